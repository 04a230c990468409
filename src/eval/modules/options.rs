//! Option declarations: several declarations of one option merged into one
//! (`mergeOptionDecls`, types merged by their functors), and a declared option evaluated with
//! its definitions (`evalOptionValue`), as nixpkgs' lib/modules.nix does.

use super::definitions::{Helpers, merge_definitions, throw};
use super::values::{merged_as_is, plain_value};
use super::{attr_or_missing, lazy_select, record, with_context};
use crate::eval::coerce::CoerceMode;
use crate::eval::error::{EvalResult, error};
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// `set ? name` of a value that may be no attrset (then false), the value left alone.
fn has(v: &Value, name: &str) -> bool {
    matches!(v, Value::Attrs(a) if a.get(name).is_some())
}

/// `a // b` of two attrsets.
fn update(a: &Attrs, b: &Attrs) -> Attrs {
    Attrs {
        map: a.map.updated(&b.map),
        missing: None,
    }
}

/// `set.a.b.c or null` without failing: null where a step is missing or no attrset.
fn select_or_null(ev: &Evaluator, set: &Value, path: &[&str]) -> EvalResult<Value> {
    let mut v = set.clone();
    for name in path {
        let next = match &v {
            Value::Attrs(a) => a.get(name).cloned(),
            _ => None,
        };
        match next {
            Some(t) => v = ev.force(&t)?,
            None => return Ok(Value::Null),
        }
    }
    Ok(v)
}

/// `mergeOptionDecls loc opts`: the declarations `{ _file, options }` of one option folded
/// into one declaration, left to right, as nixpkgs' `foldl'` does (each step's conflicts
/// decided when it is taken, its lists made when read).
pub fn merge_option_decls(ev: &Evaluator, h: &Rc<Helpers>, loc: &Thunk, opts: &Value, span: Span) -> EvalResult<Value> {
    let empty = || Thunk::ready(Value::list(Vec::new()), span);
    let mut res = match record(&[("declarations", empty()), ("loc", loc.clone()), ("options", empty())]) {
        Value::Attrs(a) => a,
        _ => unreachable!("a record is an attrset"),
    };
    for opt in ev.expect_list(opts.clone(), span)?.iter() {
        let ov = ev.force(opt)?;
        let oattrs = ev.expect_attrs(ov.clone(), span, "an option declaration")?;
        let options_t = attr_or_missing(&ov, &oattrs, "options", span);
        let options = ev.force(&options_t)?;
        let res_v = Value::Attrs(res.clone());
        let both_have = |k: &str| has(&options, k) && has(&res_v, k);
        let conflict = ["default", "example", "description", "apply"]
            .iter()
            .any(|k| both_have(k));
        let mut merged_type = None;
        if !conflict && both_have("type") {
            let t = ev.force(&attr_or_missing(&res_v, &res, "type", span))?;
            let t_attrs = ev.expect_attrs(t.clone(), span, "an option type")?;
            let functor = lazy_select(&lazy_select(&options_t, "type", span), "functor", span);
            let type_merge = ev.force(&attr_or_missing(&t, &t_attrs, "typeMerge", span))?;
            merged_type = Some(ev.call(type_merge, functor, span)?);
        }
        if conflict || matches!(merged_type, Some(Value::Null)) {
            let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
            let file = ev.force(&attr_or_missing(&ov, &oattrs, "_file", span))?;
            let file = ev.to_string_value(&file, CoerceMode::PathInterpolation, span)?;
            let declared = ev.message_part(&h.show_files, attr_or_missing(&res_v, &res, "declarations", span), span)?;
            return Err(throw(format!(
                "The option `{shown}' in `{file}' is already declared in {declared}."
            )));
        }
        let file = attr_or_missing(&ov, &oattrs, "_file", span);
        let declarations = {
            let (before, file) = (attr_or_missing(&res_v, &res, "declarations", span), file.clone());
            Thunk::native(span, move |ev| {
                let mut all = ev.expect_list(ev.force(&before)?, span)?.to_vec();
                all.push(file.clone());
                Ok(Value::list(all))
            })
        };
        let submodules = {
            let (before, options) = (attr_or_missing(&res_v, &res, "options", span), options.clone());
            Thunk::native(span, move |ev| {
                let sub = select_or_null(ev, &options, &["type", "getSubModules"])?;
                let before = ev.force(&before)?;
                if matches!(sub, Value::Null) {
                    return Ok(before);
                }
                // `map (setDefaultModuleLocation opt._file) getSubModules ++ res.options`
                let mut all: Vec<Thunk> = ev
                    .expect_list(sub, span)?
                    .iter()
                    .map(|m| {
                        let imports = Thunk::ready(Value::list(vec![m.clone()]), span);
                        Thunk::ready(record(&[("_file", file.clone()), ("imports", imports)]), span)
                    })
                    .collect();
                all.extend(ev.expect_list(before, span)?.iter().cloned());
                Ok(Value::list(all))
            })
        };
        let own = ev.expect_attrs(options, span, "an option declaration's options")?;
        let mut next = update(&own, &res);
        let Value::Attrs(lists) = record(&[("declarations", declarations), ("options", submodules)]) else {
            unreachable!("a record is an attrset");
        };
        next = update(&next, &lists);
        if let Some(t) = merged_type {
            next.insert(Rc::from("type"), Thunk::ready(t, span), span);
        }
        res = Rc::new(next);
    }
    Ok(Value::Attrs(res))
}

/// `evalOptionValue loc opt defs`: the declaration `opt` with its `value` (the definitions
/// `defs` and its default merged by its type, `apply` applied) and what the definitions
/// were (`definitions`, `files`, `definitionsWithLocations`, `highestPrio`, `isDefined`).
pub fn eval_option_value(
    ev: &Evaluator,
    h: &Rc<Helpers>,
    loc: Thunk,
    opt: Thunk,
    defs: Thunk,
    span: Span,
) -> EvalResult<Value> {
    let ov = ev.force(&opt)?;
    let oattrs = ev.expect_attrs(ov.clone(), span, "an option")?;
    // `warnIf (opt.type.deprecationMessage != null) "…" opt`
    let ty = lazy_select(&opt, "type", span);
    let deprecation = ev.force(&lazy_select(&ty, "deprecationMessage", span))?;
    let base = if matches!(deprecation, Value::Null) {
        oattrs.clone()
    } else {
        let name = ev.force(&lazy_select(&ty, "name", span))?;
        let name = ev.to_string_value(&name, CoerceMode::PathInterpolation, span)?;
        let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
        let files = ev.message_part(&h.show_files, lazy_select(&opt, "declarations", span), span)?;
        let message = ev.to_string_value(&deprecation, CoerceMode::PathInterpolation, span)?;
        let text = format!("The type `types.{name}' of option `{shown}' defined in {files} is deprecated. {message}");
        let warn = ev.force(&h.warn)?;
        let warned = ev.call(warn, Thunk::ready(Value::string(text), span), span)?;
        let v = ev.call(warned, opt.clone(), span)?;
        ev.expect_attrs(v, span, "an option")?
    };
    let res = {
        let (h, loc, opt, defs) = (h.clone(), loc.clone(), opt.clone(), defs.clone());
        Thunk::native(span, move |ev| {
            let ov = ev.force(&opt)?;
            // `optional (opt ? default) { file = head opt.declarations; value = mkOptionDefault opt.default; } ++ defs`
            let mut all = Vec::new();
            if has(&ov, "default") {
                let decls = lazy_select(&opt, "declarations", span);
                let file = Thunk::native(span, move |ev| {
                    let l = ev.expect_list(ev.force(&decls)?, span)?;
                    match l.first() {
                        Some(t) => ev.force(t),
                        None => Err(error(span, "'builtins.head' called on an empty list")),
                    }
                });
                let value = record(&[
                    ("_type", Thunk::ready(Value::str("override"), span)),
                    ("content", lazy_select(&opt, "default", span)),
                    ("priority", Thunk::ready(Value::Int(1500), span)),
                ]);
                all.push(Thunk::ready(
                    record(&[("file", file), ("value", Thunk::ready(value, span))]),
                    span,
                ));
            }
            all.extend(ev.expect_list(ev.force(&defs)?, span)?.iter().cloned());
            let ty = lazy_select(&opt, "type", span);
            // `opt.readOnly or false && length defs' > 1`
            let read_only = match &ov {
                Value::Attrs(a) if a.get("readOnly").is_some() => {
                    ev.expect_bool(ev.force(&lazy_select(&opt, "readOnly", span))?, span)?
                }
                _ => false,
            };
            if read_only && all.len() > 1 {
                let separate: Vec<Thunk> = all
                    .iter()
                    .map(|def| {
                        let (h, loc, ty, def) = (h.clone(), loc.clone(), ty.clone(), def.clone());
                        Thunk::native(span, move |ev| {
                            let one = Thunk::ready(Value::list(vec![def.clone()]), span);
                            let merged = merge_definitions(h.clone(), loc.clone(), ty.clone(), one, span);
                            let merged = lazy_select(&Thunk::ready(merged, span), "mergedValue", span);
                            let dv = ev.force(&def)?;
                            let d = ev.expect_attrs(dv, span, "a definition")?;
                            let Value::Attrs(v) = record(&[("value", merged)]) else {
                                unreachable!("a record is an attrset");
                            };
                            Ok(Value::attrs(update(&d, &v)))
                        })
                    })
                    .collect();
                let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
                let defs = ev.message_part(&h.show_defs, Thunk::ready(Value::list(separate), span), span)?;
                return Err(throw(format!(
                    "The option `{shown}' is read-only, but it's set multiple times. Definition values:{defs}"
                )));
            }
            Ok(merge_definitions(
                h.clone(),
                loc.clone(),
                ty,
                Thunk::ready(Value::list(all), span),
                span,
            ))
        })
    };
    let value = {
        let (h, loc, opt, res, defs) = (h.clone(), loc.clone(), opt.clone(), res.clone(), defs.clone());
        Thunk::native(span, move |ev| {
            with_context(
                ev,
                |ev| {
                    let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
                    Ok(format!("while evaluating the option `{shown}':"))
                },
                || {
                    let ov = ev.force(&opt)?;
                    if let Some(v) = known_value(ev, &opt, &ov, &defs, span)? {
                        return Ok(v);
                    }
                    let merged = lazy_select(&res, "mergedValue", span);
                    if has(&ov, "apply") {
                        let apply = ev.force(&lazy_select(&opt, "apply", span))?;
                        ev.call(apply, merged, span)
                    } else {
                        ev.force(&merged)
                    }
                },
            )
        })
    };
    let defs_final = lazy_select(&res, "defsFinal", span);
    let field_of = |name: &'static str| {
        let defs_final = defs_final.clone();
        Thunk::native(span, move |ev| {
            let l = ev.expect_list(ev.force(&defs_final)?, span)?;
            Ok(Value::list(l.iter().map(|d| lazy_select(d, name, span)).collect()))
        })
    };
    let to_string = {
        let (h, loc) = (h.clone(), loc.clone());
        Value::primop("__toString", 1, move |ev, _, span| {
            let f = ev.force(&h.show_option)?;
            ev.call(f, loc.clone(), span)
        })
    };
    let Value::Attrs(own) = record(&[
        ("__toString", Thunk::ready(to_string, span)),
        ("definitions", field_of("value")),
        ("definitionsWithLocations", defs_final.clone()),
        ("files", field_of("file")),
        (
            "highestPrio",
            lazy_select(&lazy_select(&res, "defsFinal'", span), "highestPrio", span),
        ),
        ("isDefined", lazy_select(&res, "isDefined", span)),
        ("value", value),
    ]) else {
        unreachable!("a record is an attrset");
    };
    Ok(Value::attrs(update(&base, &own)))
}

/// The value of an option without `mergeDefinitions`' records where it is known: no `apply`,
/// and either nothing defines it and it has a default, or one definition does (then it beats
/// the default, whose priority is lower, and the default is never read; not if the option
/// is read-only, where nixpkgs refuses a definition beside a default); that value no attrset
/// (so no property), forced as the general path forces it (the default by `sortProperties`,
/// a definition by discharging it, with its note on an error), and given back by its type
/// ([`merged_as_is`]). `None` where the general path must decide (a value the type rejects
/// gets its message there).
fn known_value(ev: &Evaluator, opt: &Thunk, ov: &Value, defs: &Thunk, span: Span) -> EvalResult<Option<Value>> {
    if has(ov, "apply") {
        return Ok(None);
    }
    let value = match &*ev.expect_list(ev.force(defs)?, span)? {
        [] if has(ov, "default") => {
            let default = lazy_select(opt, "default", span);
            match ev.force(&default)? {
                Value::Attrs(_) => return Ok(None),
                _ => default,
            }
        }
        [def] if !has(ov, "readOnly") => match plain_value(ev, def, span)? {
            Some(value) => value,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    merged_as_is(ev, &lazy_select(opt, "type", span), &value, span)
}
