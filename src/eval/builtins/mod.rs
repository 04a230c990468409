//! The builtins, with Nix 2.8's results: the table that makes the base environment, and the
//! helpers every group uses. Each group of builtins is a file of its own.

mod attrs;
mod control;
mod conversions;
mod files;
mod lists;
mod numbers;
mod strings;
mod types;

use super::coerce::CoerceMode;
use super::error::{EvalResult, error};
use super::evaluator::Evaluator;
use super::search_path::SearchPathEntry;
use super::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

pub use strings::parse_drv_name;

/// `builtins.storeDir`.
pub const STORE_DIR: &str = "/nix/store";

type Defs = Vec<(&'static str, Value)>;

/// Names of the base environment that are not reached through `builtins` only: exactly the
/// ones Nix 2.8 binds at the top level (each of the others is there only as `__name`).
const GLOBAL_NAMES: &[&str] = &[
    "abort",
    "baseNameOf",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

/// The base environment (`builtins`, `true`, `map`, `__add`, …) and the `builtins` set;
/// `search_path` is what `builtins.nixPath` lists.
pub fn base_environment(search_path: &[SearchPathEntry]) -> (rustc_hash::FxHashMap<Rc<str>, Value>, Value) {
    let mut defs = definitions();
    defs.push(("nixPath", files::nix_path_value(search_path)));
    let mut attrs = Attrs::new();
    for (name, value) in &defs {
        attrs.insert_value(name, value.clone());
    }
    // `builtins.builtins` is `builtins` itself: a native thunk that reads it back.
    attrs.insert(
        Rc::from("builtins"),
        Thunk::native(Span::BUILTIN, |ev| Ok(ev.builtins_value())),
        Span::BUILTIN,
    );
    let builtins = Value::attrs(attrs);
    let mut globals: rustc_hash::FxHashMap<Rc<str>, Value> = Default::default();
    for (name, value) in &defs {
        if GLOBAL_NAMES.contains(name) || matches!(*name, "true" | "false" | "null") {
            globals.insert(Rc::from(*name), value.clone());
        } else {
            globals.insert(Rc::from(format!("__{name}")), value.clone());
        }
    }
    globals.insert(Rc::from("builtins"), builtins.clone());
    (globals, builtins)
}

fn def(
    defs: &mut Defs,
    name: &'static str,
    arity: usize,
    f: impl Fn(&Evaluator, &[Thunk], Span) -> EvalResult<Value> + 'static,
) {
    defs.push((name, Value::primop(name, arity, f)));
}

fn unsupported(defs: &mut Defs, name: &'static str, arity: usize) {
    def(defs, name, arity, move |_, _, span| {
        Err(error(
            span,
            format!("builtins.{name} is not supported: netns-compile evaluates without a Nix store"),
        ))
    });
}

impl Evaluator {
    fn arg(&self, args: &[Thunk], i: usize) -> EvalResult<Value> {
        match args.get(i) {
            Some(t) => self.force(t),
            None => Err(error(Span::BUILTIN, "internal error: missing builtin argument")),
        }
    }
    fn arg_int(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<i64> {
        let v = self.arg(args, i)?;
        self.expect_int(v, span)
    }
    fn arg_str(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<str>> {
        let v = self.arg(args, i)?;
        self.expect_string(v, span)
    }
    /// A string argument that Nix coerces (paths and sets with `__toString` too).
    fn arg_coerced(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<String> {
        let v = self.arg(args, i)?;
        self.to_string_value(&v, CoerceMode::PathInterpolation, span)
    }
    fn arg_list(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<[Thunk]>> {
        let v = self.arg(args, i)?;
        self.expect_list(v, span)
    }
    fn arg_attrs(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<Attrs>> {
        let v = self.arg(args, i)?;
        self.expect_attrs(v, span, "a builtin's argument")
    }
    fn arg_fn(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Value> {
        let v = self.arg(args, i)?;
        self.expect_function(v, span)
    }
    fn call2(&self, f: &Value, a: Thunk, b: Thunk, span: Span) -> EvalResult<Value> {
        let partial = self.call(f.clone(), a, span)?;
        self.call(partial, b, span)
    }
    fn predicate(&self, f: &Value, x: &Thunk, span: Span) -> EvalResult<bool> {
        let v = self.call(f.clone(), x.clone(), span)?;
        self.expect_bool(v, span)
    }
}

/// A lazy `f x`: of a lambda (the commonest) a thunk of its own kind, of any other function
/// native code.
fn lazy_call(f: Value, x: Thunk, span: Span) -> Thunk {
    match f {
        Value::Lambda(closure) => Thunk::apply(span, closure, x),
        f => Thunk::native(span, move |ev| ev.call(f.clone(), x.clone(), span)),
    }
}

fn definitions() -> Defs {
    let mut d: Defs = vec![
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
        ("currentSystem", Value::str("x86_64-linux")),
        ("nixVersion", Value::str("2.8.0")),
        ("langVersion", Value::Int(6)),
        ("storeDir", Value::str(STORE_DIR)),
    ];
    control::define_control(&mut d);
    types::define_types(&mut d);
    conversions::define_conversions(&mut d);
    numbers::define_numbers(&mut d);
    lists::define_lists(&mut d);
    attrs::define_attrs(&mut d);
    strings::define_strings(&mut d);
    files::define_files(&mut d);
    for name in [
        "derivation",
        "derivationStrict",
        "fetchGit",
        "fetchTarball",
        "fetchurl",
        "fetchMercurial",
        "fetchTree",
        "toFile",
        "storePath",
        "filterSource",
        "path",
    ] {
        let arity = match name {
            "toFile" | "filterSource" => 2,
            _ => 1,
        };
        unsupported(&mut d, name, arity);
    }
    d
}
