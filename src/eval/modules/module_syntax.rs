//! One module brought to the one syntax the module system walks (`unifyModuleSyntax`:
//! `{ _file, key, _class, disabledModules, imports, options, config }`), and a module function
//! applied to its arguments (`applyModuleArgsIfFunction`), as nixpkgs' lib/modules.nix does.

use super::definitions::throw;
use super::lib_functions::is_function;
use super::{lazy_select, record, with_context};
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// `toString (m.name or fallback)`, when read.
fn to_string_or(m: &Rc<Attrs>, name: &str, fallback: &Thunk, span: Span) -> Thunk {
    let v = m.get(name).cloned().unwrap_or_else(|| fallback.clone());
    Thunk::native(span, move |ev| {
        let to_string = ev.globals.get("toString").cloned().unwrap_or(Value::Null);
        ev.call(to_string, v.clone(), span)
    })
}

/// `m.name or default`.
fn or_else(m: &Rc<Attrs>, name: &str, default: Value, span: Span) -> Thunk {
    m.get(name).cloned().unwrap_or_else(|| Thunk::ready(default, span))
}

/// `m` without the attributes `names`.
fn without(m: &Attrs, names: &[&str]) -> Attrs {
    let mut out = m.clone();
    out.missing = None;
    out.map.retain(|k, _| !names.contains(&&**k));
    out
}

/// `addFreeformType (addMeta config)` (or without `addMeta`): an `mkMerge` of `config` and
/// the module's `meta` and `freeformType`, where it has them.
fn with_meta(m: &Rc<Attrs>, config: Thunk, meta: bool, span: Span) -> Thunk {
    let merge = |config: Thunk, other: Value| {
        let contents = Value::list(vec![config, Thunk::ready(other, span)]);
        Thunk::ready(
            record(&[
                ("_type", Thunk::ready(Value::str("merge"), span)),
                ("contents", Thunk::ready(contents, span)),
            ]),
            span,
        )
    };
    let mut config = config;
    if meta && let Some(t) = m.get("meta") {
        config = merge(config, record(&[("meta", t.clone())]));
    }
    if let Some(t) = m.get("freeformType") {
        let module = Thunk::ready(record(&[("freeformType", t.clone())]), span);
        config = merge(config, record(&[("_module", module)]));
    }
    config
}

/// `unifyModuleSyntax file key m`.
pub fn unify(ev: &Evaluator, file: &Thunk, key: &Thunk, m: &Thunk, span: Span) -> EvalResult<Value> {
    let mv = ev.force(m)?;
    let attrs = match &mv {
        Value::Attrs(a) => a.clone(),
        _ => {
            let file = ev.message_part_of(file, span)?;
            let key = ev.message_part_of(key, span)?;
            return Err(throw(format!("module {file} ({key}) does not look like a module.")));
        }
    };
    let empty_list = || Value::list(Vec::new());
    let (imports, options, config) = if attrs.get("config").is_some() || attrs.get("options").is_some() {
        let bad = without(
            &attrs,
            &[
                "_class",
                "_file",
                "key",
                "disabledModules",
                "imports",
                "options",
                "config",
                "meta",
                "freeformType",
            ],
        );
        if let Some(first) = bad.map.keys().next() {
            let key = ev.message_part_of(key, span)?;
            let names: Vec<&str> = bad.map.keys().map(|k| &**k).collect();
            return Err(throw(format!(
                "Module `{key}' has an unsupported attribute `{first}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: {}) into the explicit `config' attribute.",
                names.join(" ")
            )));
        }
        let config = or_else(&attrs, "config", Value::attrs(Attrs::new()), span);
        (
            or_else(&attrs, "imports", empty_list(), span),
            or_else(&attrs, "options", Value::attrs(Attrs::new()), span),
            with_meta(&attrs, config, true, span),
        )
    } else {
        // `m.require or [ ] ++ m.imports or [ ]`
        let (require, imports) = (
            or_else(&attrs, "require", empty_list(), span),
            or_else(&attrs, "imports", empty_list(), span),
        );
        let all = Thunk::native(span, move |ev| {
            let mut all = ev.expect_list(ev.force(&require)?, span)?.to_vec();
            all.extend(ev.expect_list(ev.force(&imports)?, span)?.iter().cloned());
            Ok(Value::list(all))
        });
        let rest = without(
            &attrs,
            &[
                "_class",
                "_file",
                "key",
                "disabledModules",
                "require",
                "imports",
                "freeformType",
            ],
        );
        (
            all,
            Thunk::ready(Value::attrs(Attrs::new()), span),
            with_meta(&attrs, Thunk::ready(Value::attrs(rest), span), false, span),
        )
    };
    // Sorted by name, so the record is built as listed (see `record`).
    Ok(record(&[
        ("_class", or_else(&attrs, "_class", Value::Null, span)),
        ("_file", to_string_or(&attrs, "_file", file, span)),
        ("config", config),
        (
            "disabledModules",
            or_else(&attrs, "disabledModules", empty_list(), span),
        ),
        ("imports", imports),
        ("key", to_string_or(&attrs, "key", key, span)),
        ("options", options),
    ]))
}

/// `applyModuleArgsIfFunction key f args`: a module function called with the arguments it
/// names, each from `args` or else from `config._module.args` (when read, with nixpkgs' error
/// context); anything else as it is.
pub fn apply_args(ev: &Evaluator, key: &Thunk, f: &Thunk, args: &Thunk, span: Span) -> EvalResult<Value> {
    let given = ev.expect_attrs(ev.force(args)?, span, "the module arguments")?;
    for required in ["config", "options", "lib"] {
        if given.get(required).is_none() {
            return Err(crate::eval::error::error(
                span,
                format!("function called without required argument '{required}'"),
            ));
        }
    }
    if !is_function(ev, f, span)? {
        return ev.force(f);
    }
    // `builtins.functionArgs f`
    let function_args = lazy_select(&Thunk::ready(ev.builtins_value(), span), "functionArgs", span);
    let names = ev.call(ev.force(&function_args)?, f.clone(), span)?;
    let names = ev.expect_attrs(names, span, "a function's arguments")?;
    let mut extra = Attrs::new();
    for (name, a) in &names.map {
        let (given, key, name2, config) = (given.clone(), key.clone(), name.clone(), given.get("config").cloned());
        let value = Thunk::native(span, move |ev| {
            with_context(
                ev,
                |ev| {
                    let key = ev.message_part_of(&key, span)?;
                    Ok(format!("while evaluating the module argument `{name2}' in \"{key}\":"))
                },
                || match given.get(&name2) {
                    Some(t) => ev.force(t),
                    None => {
                        let config = config.clone().unwrap_or_else(|| Thunk::ready(Value::Null, span));
                        let module = lazy_select(&config, "_module", span);
                        ev.force(&lazy_select(&lazy_select(&module, "args", span), &name2, span))
                    }
                },
            )
        });
        extra.insert(name.clone(), value, a.key_span);
    }
    let all = Attrs {
        map: given.map.updated(&extra.map),
        missing: None,
    };
    let f = ev.force(f)?;
    ev.call(f, Thunk::ready(Value::attrs(all), span), span)
}
