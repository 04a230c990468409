//! One evaluation's state ([`Evaluator`]): the files read, the base environment, the import
//! cache, the step counter and the stack limit; loading files and text, the native `lib`, a file's
//! attribute. Evaluating expressions is [`machine`](super::machine)'s.

use super::error::{ErrorKind, EvalResult, error, error_of};
use super::io::EvalIo;
use super::options::EvalOptions;
use super::value::{Attrs, Env, Thunk, Value};
use super::{builtins, ir, lib_prelude, lower, modules, output, search_path};
use crate::diagnostic::Code;
use crate::source::{SourceMap, Span};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

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
    /// Evaluation steps (nested evaluations entered) still allowed, of `max_steps`.
    pub(crate) steps_left: Cell<u64>,
    /// The step limit ([`EvalOptions::max_steps`]).
    pub(crate) max_steps: u64,
    /// The lowest stack address evaluation may reach, set by
    /// [`with_evaluator`](super::run::with_evaluator) for its thread; 0 elsewhere (no stack check).
    pub(crate) stack_limit: Cell<usize>,
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
            steps_left: Cell::new(options.max_steps),
            max_steps: options.max_steps,
            stack_limit: Cell::new(0),
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

    /// [`Evaluator::into_sources`], leaving every value the evaluation made unfreed: for a
    /// process that ends with the evaluation ([`super::EvalOptions::free_values`]).
    pub fn into_sources_leaving_values(self) -> SourceMap {
        let sources = self.sources.take();
        std::mem::forget(self);
        sources
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

    /// The file read as `name` (see [`SourceMap::file_named`]).
    pub(crate) fn file_named(&self, name: &str) -> Option<crate::source::FileId> {
        self.sources.borrow().file_named(name)
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
