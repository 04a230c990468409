//! The evaluator's errors: each a located [`Diagnostic`] and the kind `builtins.tryEval`
//! tells apart.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::Span;

/// What went wrong, for `builtins.tryEval` (which catches only `throw` and `assert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Throw,
    AssertionFailed,
    Abort,
    Other,
}

#[derive(Clone, Debug)]
pub struct EvalError {
    pub kind: ErrorKind,
    pub diagnostic: Diagnostic,
}

pub type EvalResult<T> = Result<T, Box<EvalError>>;

impl EvalError {
    /// The error as the pipeline reports it.
    #[allow(clippy::boxed_local)] // errors travel boxed; this is where they are unpacked
    pub fn into_diagnostics(self: Box<Self>) -> Diagnostics {
        let mut d = Diagnostics::new();
        d.push(self.diagnostic);
        d
    }
}

/// An evaluation error of kind [`ErrorKind::Other`] located at `span`.
pub fn error(span: Span, message: impl Into<String>) -> Box<EvalError> {
    error_of(ErrorKind::Other, Code::NixEval, span, message)
}

pub fn error_of(kind: ErrorKind, code: Code, span: Span, message: impl Into<String>) -> Box<EvalError> {
    Box::new(EvalError {
        kind,
        diagnostic: Diagnostic::new(code, message).at(span, ""),
    })
}

impl From<Box<Diagnostic>> for Box<EvalError> {
    fn from(d: Box<Diagnostic>) -> Box<EvalError> {
        Box::new(EvalError {
            kind: ErrorKind::Other,
            diagnostic: *d,
        })
    }
}
