//! What the Nix frontend gives the evaluator in the module system's terms: the arguments of a
//! module file evaluated on its own (with the `pkgs` of `packages.rs`).
//!
//! The evaluator knows none of this: these are functions over its generic API
//! ([`Evaluator::call`], [`Evaluator::force`], …) and its values.

use super::packages::pkgs;
use crate::diagnostic::Diagnostics;
use crate::eval::{Attrs, EvalError, EvalOptions, EvalResult, Evaluator, Thunk, Value, ir, with_evaluator};
use crate::package::Package;
use crate::source::SourceMap;
use std::path::Path;

/// Like [`crate::eval::eval_file_json`], but a file whose value is a function is first called
/// with the arguments a module gets outside a configuration: `lib` (native), `pkgs` (of
/// `packages`), and empty `config` and `options`. Only the arguments the function names are
/// passed unless it takes `...`. Used to test `lib` against nixpkgs, and to inspect module files.
pub fn eval_file_json_with_lib(
    path: &Path,
    packages: &[Package],
    options: &EvalOptions,
    sources: &mut SourceMap,
) -> Result<String, Diagnostics> {
    let path = path.to_path_buf();
    let pkgs_of = packages.to_vec();
    with_evaluator(sources, options, move |ev| {
        let (value, span) = ev.evaluate_file(&path, None)?;
        let value = match &value {
            Value::Lambda(_) => {
                let args = lone_module_arguments(ev, &pkgs_of, &value)?;
                ev.call(value.clone(), Thunk::ready(args, span), span)?
            }
            _ => value,
        };
        let mut out = String::new();
        ev.print_json(&value, &mut out, span)?;
        Ok(out)
    })
    .map_err(EvalError::into_diagnostics)
}

/// The arguments of module function `f` evaluated on its own: `lib`, `pkgs`, empty `config` and
/// `options`, restricted to the names `f` accepts unless it has `...`. (Inside a configuration
/// the module collector gives the real ones.)
fn lone_module_arguments(ev: &Evaluator, packages: &[Package], f: &Value) -> EvalResult<Value> {
    let mut args = Attrs::new();
    args.insert_value("lib", ev.lib()?);
    args.insert_value("pkgs", pkgs(packages));
    args.insert_value("config", Value::attrs(Attrs::new()));
    args.insert_value("options", Value::attrs(Attrs::new()));
    if let Value::Lambda(c) = f
        && let ir::Param::Pattern {
            entries,
            ellipsis: false,
            ..
        } = &c.def.param
    {
        args.map.retain(|k, _| entries.iter().any(|e| e.name == *k));
    }
    Ok(Value::attrs(args))
}
