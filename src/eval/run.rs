//! Running an evaluation: on a thread of its own with a big stack, and the one-call entry
//! points that evaluate a file or text and print or convert its value.
//!
//! Evaluation recurses (a Nix function calling itself, a deeply nested value), so it runs on
//! a thread with a large stack ([`EVAL_STACK_BYTES`]), and every nested evaluation checks
//! the stack left against [`STACK_MARGIN_BYTES`](machine::STACK_MARGIN_BYTES): deep recursion
//! ends in a `LimitExceeded` diagnostic, never in a stack overflow. [`with_evaluator`] runs any code in such a thread.

use super::error::EvalError;
use super::evaluator::Evaluator;
use super::machine::{self, EVAL_STACK_BYTES};
use super::options::EvalOptions;
use crate::diagnostic::Diagnostics;
use crate::node::Node;
use crate::source::SourceMap;
use std::path::Path;

/// Run `f` with a fresh evaluator of `options` on a thread with a big stack. `sources` is
/// lent to the evaluator and given back with what it read.
pub fn with_evaluator<R: Send + 'static>(
    sources: &mut SourceMap,
    options: &EvalOptions,
    f: impl FnOnce(&Evaluator) -> R + Send + 'static,
) -> R {
    let options = options.clone();
    let taken = std::mem::take(sources);
    let run = move || {
        let base = machine::stack_address();
        let ev = Evaluator::new(taken, &options);
        ev.stack_limit.set(machine::stack_limit_below(base));
        let result = f(&ev);
        let sources = if options.free_values {
            ev.into_sources()
        } else {
            ev.into_sources_leaving_values()
        };
        (result, sources)
    };
    let handle = std::thread::Builder::new()
        .name("nix-eval".into())
        .stack_size(EVAL_STACK_BYTES)
        .spawn(run);
    match handle.map(|h| h.join()) {
        Ok(Ok((result, back))) => {
            *sources = back;
            result
        }
        // A panic is a bug of ours, never of the input: re-raise it where the caller sees it.
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(spawn_error) => panic!("cannot start the evaluation thread: {spawn_error}"),
    }
}

/// The strict value of the file (or of attribute path `attr`), printed exactly as
/// `nix-instantiate --eval --strict --json` prints it.
pub fn eval_file_json(
    path: &Path,
    attr: Option<&str>,
    options: &EvalOptions,
    sources: &mut SourceMap,
) -> Result<String, Diagnostics> {
    let path = path.to_path_buf();
    let attr = attr.map(str::to_string);
    with_evaluator(sources, options, move |ev| {
        let (value, span) = ev.evaluate_file(&path, attr.as_deref())?;
        let mut out = String::new();
        ev.print_json(&value, &mut out, span)?;
        Ok(out)
    })
    .map_err(EvalError::into_diagnostics)
}

/// Like [`eval_file_json`], for source text that is no file (imports are relative to the
/// current folder). Used by the fuzz target of the parser and evaluator.
pub fn eval_source_json(
    name: &str,
    text: &str,
    options: &EvalOptions,
    sources: &mut SourceMap,
) -> Result<String, Diagnostics> {
    let (name, text) = (name.to_string(), text.to_string());
    with_evaluator(sources, options, move |ev| {
        let thunk = ev.load_source(&name, None, &text)?;
        let value = ev.force(&thunk)?;
        let mut out = String::new();
        ev.print_json(&value, &mut out, thunk.span())?;
        Ok(out)
    })
    .map_err(EvalError::into_diagnostics)
}

/// The deep-forced value of the file as a [`Node`] tree with spans.
pub fn eval_file_node(path: &Path, options: &EvalOptions, sources: &mut SourceMap) -> Result<Node, Diagnostics> {
    let path = path.to_path_buf();
    with_evaluator(sources, options, move |ev| {
        let (value, span) = ev.evaluate_file(&path, None)?;
        ev.to_node(&value, span)
    })
    .map_err(EvalError::into_diagnostics)
}
