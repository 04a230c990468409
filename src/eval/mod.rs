//! The Nix evaluator: lazy, with nixpkgs-compatible semantics and a native `lib`.
//!
//! Pipeline inside: [`crate::syntax`] parses a file, [`lower`] resolves its variables and folds
//! its attribute paths into the [`ir`], [`machine`] evaluates it lazily (values in [`value`]),
//! [`builtins`] and the `lib` prelude provide the functions, [`output`] prints values as
//! `nix-instantiate --eval --strict --json` does or turns them into [`Node`] trees, `formats`
//! reads TOML and writes XML (`builtins.fromTOML`, `builtins.toXML`). Files and the
//! environment are read through [`io::EvalIo`] only: the real disk by default, or a tree in
//! memory. Every setting of an evaluation (the step limit, the search path, the I/O) is a
//! field of the [`EvalOptions`] it is given: nothing is process-wide.
//!
//! # Evaluating on a big stack
//! Evaluation recurses (a Nix function calling itself, a deeply nested value), so it runs on
//! a thread of its own with a large stack ([`EVAL_STACK_BYTES`]), and every nested evaluation
//! counts against [`MAX_EVAL_DEPTH`]: deep recursion ends in a `LimitExceeded` diagnostic,
//! never in a stack overflow. [`with_evaluator`] runs any code in such a thread.
//!
//! # Calling Nix from native code
//! The evaluator knows nothing of modules: a caller (the Nix frontend, which calls each
//! NixOS module `{ config, lib, pkgs, options, ... }: { … }`) drives it from native code inside
//! [`with_evaluator`]:
//! - [`Evaluator::load_file`] gives the file's value (a [`Thunk`]);
//! - [`Evaluator::lib`] is the native `lib`; any other argument is a value the caller builds;
//! - a value can be *lazy and computed by native code*: [`Thunk::native`] wraps any
//!   `Fn(&Evaluator) -> EvalResult<Value>`; it runs when (and only when) Nix code forces it
//!   (a module its `config`) and its result is cached. Attribute values of a native attrset
//!   ([`Attrs::insert`]) can themselves be native thunks, so `config.a.b` evaluates only what
//!   is read. A thunk that forces itself through such a chain is reported as infinite
//!   recursion, like any other.
//! - [`Evaluator::call`] applies a function value to an argument thunk;
//!   [`Evaluator::force`], [`Evaluator::deep_force`] and [`Evaluator::to_node`] read results.
//!
//! # Choices where Nix versions differ
//! The reference is Nix 2.8: floats print with 6 significant digits (`%g`), sets with
//! `__toString` or `outPath` print as strings. Unlike 2.8 (which wraps around), integer
//! overflow is an error, as in current Nix. Paths print as their absolute path: netns-compile
//! has no store, so nothing is copied (Nix would print a `/nix/store` path); interpolating a
//! path into a string, which would copy it to the store, is an error for the same reason.
//! `<name>` is looked up in the search path ([`search_path`]: the entries of
//! [`EvalOptions::search_path`], then `NIX_PATH`), and `<nixpkgs/lib>`, when no
//! entry has it, is the native `lib`. `builtins.addErrorContext`'s text becomes a note of the
//! diagnostic of an error passing through it (innermost first, as Nix's trace).
//! `builtins.match`/`split` use POSIX extended regular expressions translated to the `regex`
//! crate's syntax (see [`regex`](self::regex)).

pub mod builtins;
mod coerce;
pub use coerce::format_float_fixed;
mod formats;
pub mod io;
pub mod ir;
mod lib_prelude;
pub mod lower;
pub mod machine;
pub mod modules;
mod options;
pub use options::{DEFAULT_MAX_EVAL_STEPS, EvalOptions};
pub mod output;
pub mod regex;
pub mod search_path;
pub mod value;

pub use io::{EvalIo, FileType, MemoryIo, StdIo};
pub use value::{Attrs, Env, Thunk, Value};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::node::Node;
use crate::source::{SourceMap, Span};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Stack of the evaluation thread. Only what is used is touched (virtual memory).
pub const EVAL_STACK_BYTES: usize = 1 << 30;

/// Nested evaluations allowed before a `LimitExceeded` error. The stack is watched too:
/// evaluation stops when less than [`STACK_MARGIN_BYTES`] of it are left.
pub const MAX_EVAL_DEPTH: usize = 10_000_000;

/// Stack kept free for the error path and for dropping deep values.
pub const STACK_MARGIN_BYTES: usize = 128 << 20;

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

/// Lowered `scopedImport` files: per path, the names of each scope and the expression.
type ScopedImports = HashMap<PathBuf, Vec<(Rc<[Rc<str>]>, Rc<ir::Expr>)>>;

/// One evaluation: the files read, the base environment, the import cache.
pub struct Evaluator {
    pub(crate) sources: RefCell<SourceMap>,
    /// Looked up by name at every use of a global (`true`, `null`, `builtins`): a fast hash.
    pub(crate) globals: rustc_hash::FxHashMap<Rc<str>, Value>,
    pub(crate) global_names: rustc_hash::FxHashSet<Rc<str>>,
    builtins: OnceCell<Value>,
    imports: RefCell<HashMap<PathBuf, Thunk>>,
    /// The lowered files of `scopedImport`, per path and names of the scope.
    scoped_imports: RefCell<ScopedImports>,
    pub(crate) depth: Cell<usize>,
    /// Evaluation steps taken (nested evaluations entered), against `max_steps`.
    pub(crate) steps: Cell<u64>,
    /// The step limit ([`EvalOptions::max_steps`]).
    pub(crate) max_steps: u64,
    /// The span of the expression being evaluated, for "needed here" labels.
    pub(crate) current: Cell<Span>,
    lib: OnceCell<Value>,
    /// What `<name>` is looked up in (see [`search_path`]).
    pub(crate) search_path: Vec<search_path::SearchPathEntry>,
    /// Files and the environment.
    io: std::sync::Arc<dyn EvalIo + Send + Sync>,
}

impl Evaluator {
    /// A new evaluator over `sources`, with the settings of `options`.
    pub fn new(sources: SourceMap, options: &EvalOptions) -> Evaluator {
        let io = options.io.clone();
        let search_path = search_path::current_search_path(&options.search_path, &*io);
        let (globals, builtins_attrs) = builtins::base_environment(&search_path);
        let global_names = globals.keys().cloned().collect();
        let ev = Evaluator {
            sources: RefCell::new(sources),
            globals,
            global_names,
            builtins: OnceCell::new(),
            imports: RefCell::new(HashMap::new()),
            scoped_imports: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
            steps: Cell::new(0),
            max_steps: options.max_steps,
            current: Cell::new(Span::BUILTIN),
            lib: OnceCell::new(),
            search_path,
            io,
        };
        let _ = ev.builtins.set(builtins_attrs);
        ev
    }

    /// Give the sources back (diagnostics point into them).
    pub fn into_sources(self) -> SourceMap {
        self.sources.into_inner()
    }

    /// The files and environment the evaluator reads.
    pub fn io(&self) -> &dyn EvalIo {
        &*self.io
    }

    pub fn builtins_value(&self) -> Value {
        self.builtins.get().cloned().unwrap_or(Value::Null)
    }

    /// Read, parse and lower a file and return its (unevaluated) value. Each path is loaded
    /// once: a second `import` of the same file shares the value, and a file that imports
    /// itself while being evaluated is infinite recursion.
    pub fn load_file(&self, path: &Path, at: Span) -> EvalResult<Thunk> {
        if search_path::is_native_lib(path) {
            return Ok(Thunk::native(at, |ev| ev.lib()));
        }
        let path = self.resolve_import_path(path);
        if let Some(t) = self.imports.borrow().get(&path) {
            return Ok(t.clone());
        }
        let text = self.read_nix_file(&path, at)?;
        let thunk = self.load_source(&path.display().to_string(), Some(&path), &text)?;
        self.imports.borrow_mut().insert(path, thunk.clone());
        Ok(thunk)
    }

    /// The text of a Nix file (an error located at `at` when it cannot be read, or at the
    /// bad byte when it is not UTF-8).
    fn read_nix_file(&self, path: &Path, at: Span) -> EvalResult<String> {
        let bytes = self
            .io
            .read_file(path)
            .map_err(|e| error(at, format!("cannot read '{}': {e}", path.display())))?;
        match String::from_utf8(bytes) {
            Ok(t) => Ok(t),
            Err(e) => {
                // Point at the bad byte: the file is shown lossily, which keeps the offsets
                // before it right.
                let at_byte = e.utf8_error().valid_up_to();
                let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let file = self
                    .sources
                    .borrow_mut()
                    .add(path.display().to_string(), Some(path), shown);
                let mut err = error_of(
                    ErrorKind::Other,
                    Code::InvalidUtf8,
                    Span::new(file, at_byte, at_byte),
                    format!("'{}' is not valid UTF-8 (byte {at_byte})", path.display()),
                );
                if !at.is_builtin() {
                    err.diagnostic = err.diagnostic.also(at, "imported here");
                }
                Err(err)
            }
        }
    }

    /// Parse and lower text (a file's or a prelude's); relative paths resolve against the
    /// directory of `path` (or the current directory).
    pub fn load_source(&self, name: &str, path: Option<&Path>, text: &str) -> EvalResult<Thunk> {
        let expr = self.lower_source(name, path, text, None)?;
        Ok(Thunk::pending(expr, Env::root()))
    }

    /// Parse and lower text; `scope` names the variables of a `scopedImport`.
    fn lower_source(
        &self,
        name: &str,
        path: Option<&Path>,
        text: &str,
        scope: Option<&[Rc<str>]>,
    ) -> EvalResult<Rc<ir::Expr>> {
        let file = self.sources.borrow_mut().add(name, path, text);
        let root = crate::syntax::parse(file, text)?;
        let base_dir = match path.and_then(Path::parent) {
            Some(dir) => dir.display().to_string(),
            None => self.io.current_dir().display().to_string(),
        };
        let cx = lower::LowerContext {
            file,
            base_dir: lower::canonicalize_path(&base_dir),
            home: self.io.env_var("HOME"),
            globals: &self.global_names,
        };
        Ok(match scope {
            Some(scope) => lower::lower_root_scoped(&cx, root, scope)?,
            None => lower::lower_root(&cx, root)?,
        })
    }

    /// `scopedImport scope path`: the value of the file with the attributes of `scope` as
    /// variables around it, shadowing the base environment (but not the file's own bindings,
    /// and winning over its `with`s, as lexical variables do). Unlike `import`, the value is
    /// not shared: every call evaluates the file afresh in its scope. Its lowering, which
    /// depends only on the names of the scope, is kept per path and set of names.
    pub fn scoped_import(&self, path: &Path, scope: &Attrs, at: Span) -> EvalResult<Value> {
        let path = self.resolve_import_path(path);
        let names: Rc<[Rc<str>]> = scope.map.keys().cloned().collect();
        let cached = self
            .scoped_imports
            .borrow()
            .get(&path)
            .and_then(|loaded| loaded.iter().find(|(n, _)| *n == names).map(|(_, e)| e.clone()));
        let expr = match cached {
            Some(expr) => expr,
            None => {
                let text = self.read_nix_file(&path, at)?;
                let expr = self.lower_source(&path.display().to_string(), Some(&path), &text, Some(&names))?;
                self.scoped_imports
                    .borrow_mut()
                    .entry(path)
                    .or_default()
                    .push((names, expr.clone()));
                expr
            }
        };
        let env = Env::root_with_slots(scope.map.values().map(|a| a.value.clone()).collect());
        self.eval(&expr, &env)
    }

    /// The span of the expression being evaluated: where a native thunk's value is needed.
    pub fn current_span(&self) -> Span {
        self.current.get()
    }

    /// The native `lib` (nixpkgs' functions NixOS configs use).
    pub fn lib(&self) -> EvalResult<Value> {
        if let Some(lib) = self.lib.get() {
            return Ok(lib.clone());
        }
        let thunk = self.load_source("<netns-compile lib>", None, lib_prelude::LIB_NIX)?;
        let prelude = self.force(&thunk)?;
        let prelude = self.call(prelude, Thunk::ready(modules::engine(), Span::BUILTIN), Span::BUILTIN)?;
        let lib = self.call(
            prelude,
            Thunk::ready(self.builtins_value(), Span::BUILTIN),
            Span::BUILTIN,
        )?;
        let _ = self.lib.set(lib.clone());
        Ok(lib)
    }

    /// Load the file (relative to the current directory) and select `attr` in its value
    /// (dot-separated, `"quoted"` components, list indices); the value and where it is written.
    pub fn evaluate_file(&self, path: &Path, attr: Option<&str>) -> EvalResult<(Value, Span)> {
        let cwd = self.io.current_dir();
        let absolute = lower::canonicalize_path(&cwd.join(path).display().to_string());
        let thunk = self.load_file(Path::new(&absolute), Span::BUILTIN)?;
        let mut value = self.force(&thunk)?;
        let mut span = thunk.span();
        if let Some(attr) = attr {
            for component in output::split_attr_path(attr).map_err(|m| error(span, m))? {
                let next = self.select_for_attr_path(&value, &component, attr, span)?;
                span = next.span();
                value = self.force(&next)?;
            }
        }
        Ok((value, span))
    }
}

impl Evaluator {
    /// `import ./dir` means `./dir/default.nix`.
    fn resolve_import_path(&self, path: &Path) -> PathBuf {
        if self.io.is_dir(path) {
            path.join("default.nix")
        } else {
            path.to_path_buf()
        }
    }
}

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
        machine::mark_stack_base();
        let ev = Evaluator::new(taken, &options);
        let result = f(&ev);
        (result, ev.into_sources())
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
