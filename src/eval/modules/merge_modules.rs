//! `mergeModules' prefix options configs`: the declarations and definitions of every module
//! walked together, attribute by attribute, as nixpkgs' lib/modules.nix does: a name whose
//! declarations are all options is evaluated as one option (`evalOptionValue`), a name of
//! option trees is walked further, and definitions nothing declares are collected (with their
//! path) for `_module.check` and `freeformType`. Every attribute is computed when read.

use super::by_name::{ByName, by_name};
use super::definitions::{Helpers, throw};
use super::options::{eval_option_value, merge_option_decls};
use super::{attr_or_missing, lazy_select, record};
use crate::eval::coerce::CoerceMode;
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// `isOption x`: `(x._type or "") == "option"`.
pub(super) fn is_option(ev: &Evaluator, x: &Value) -> EvalResult<bool> {
    let Value::Attrs(a) = x else {
        return Ok(false);
    };
    Ok(match a.get("_type") {
        Some(t) => matches!(ev.force(t)?, Value::Str(s) if &*s == "option"),
        None => false,
    })
}

/// `xs ++ [ name ]`, made when read.
pub(super) fn appended(list: &Thunk, name: &Rc<str>, span: Span) -> Thunk {
    let (list, name) = (list.clone(), name.clone());
    Thunk::native(span, move |ev| {
        let mut all = ev.expect_list(ev.force(&list)?, span)?.to_vec();
        all.push(Thunk::ready(Value::Str(name.clone()), span));
        Ok(Value::list(all))
    })
}

/// `opt.type.getSubModules or null` of a declaration's options (its type forced).
fn sub_modules(ev: &Evaluator, opt: &Attrs) -> EvalResult<Value> {
    let ty = opt.get("type").map(|t| ev.force(t)).transpose()?;
    Ok(match &ty {
        Some(Value::Attrs(t)) => match t.get("getSubModules") {
            Some(g) => ev.force(g)?,
            None => Value::Null,
        },
        _ => Value::Null,
    })
}

/// `type.substSubModules options`, when read.
fn substituted(ty: &Thunk, options: Thunk, span: Span) -> Thunk {
    let subst = lazy_select(ty, "substSubModules", span);
    Thunk::native(span, move |ev| {
        let f = ev.force(&subst)?;
        ev.call(f, options.clone(), span)
    })
}

/// `fixupOptionType loc opt`: a submodule type rebuilt from every declaration's modules, or
/// `types.unspecified` where no type is declared.
fn fixup_option_type(ev: &Evaluator, h: &Helpers, opt: &Value, span: Span) -> EvalResult<Value> {
    let attrs = ev.expect_attrs(opt.clone(), span, "an option")?;
    let sub = sub_modules(ev, &attrs)?;
    let mut out = (*attrs).clone();
    out.missing = None;
    if matches!(sub, Value::Null) {
        let t = match attrs.get("type") {
            Some(t) => t.clone(),
            None => h.unspecified.clone(),
        };
        out.insert(Rc::from("type"), t, span);
    } else {
        let ty_t = attrs.get("type").cloned().unwrap_or_else(|| h.unspecified.clone());
        let options = attr_or_missing(opt, &attrs, "options", span);
        out.insert(Rc::from("type"), substituted(&ty_t, options, span), span);
        out.insert(Rc::from("options"), Thunk::ready(Value::list(Vec::new()), span), span);
    }
    Ok(Value::attrs(out))
}

/// `fixupOptionType loc (mergeOptionDecls loc [ decl ])` of an option declared once: the
/// fold's one step has nothing to conflict with, so the declaration's `options` with `loc`,
/// `declarations = [ decl._file ]`, its type's sub-modules and the fixed-up type, built in
/// one set, forcing what the two steps force in the order they force it.
fn one_declaration(ev: &Evaluator, h: &Helpers, loc: &Thunk, decl: &Thunk, span: Span) -> EvalResult<Value> {
    let dv = ev.force(decl)?;
    let dattrs = ev.expect_attrs(dv.clone(), span, "an option declaration")?;
    let options = ev.force(&attr_or_missing(&dv, &dattrs, "options", span))?;
    let own = ev.expect_attrs(options, span, "an option declaration's options")?;
    let file = attr_or_missing(&dv, &dattrs, "_file", span);
    let sub = sub_modules(ev, &own)?;
    let empty = || Thunk::ready(Value::list(Vec::new()), span);
    let ty_t = own.get("type").cloned().unwrap_or_else(|| h.unspecified.clone());
    let ty_t = if matches!(sub, Value::Null) {
        ty_t
    } else {
        // `opt.type.substSubModules opt.options`, the options being
        // `map (setDefaultModuleLocation opt._file) getSubModules`.
        let file = file.clone();
        let submodules = Thunk::native(span, move |ev| {
            let all = ev.expect_list(sub.clone(), span)?;
            Ok(Value::list(
                all.iter()
                    .map(|m| {
                        let imports = Thunk::ready(Value::list(vec![m.clone()]), span);
                        Thunk::ready(record(&[("_file", file.clone()), ("imports", imports)]), span)
                    })
                    .collect(),
            ))
        });
        substituted(&ty_t, submodules, span)
    };
    let Value::Attrs(fields) = record(&[
        ("declarations", Thunk::ready(Value::list(vec![file]), span)),
        ("loc", loc.clone()),
        ("options", empty()),
        ("type", ty_t),
    ]) else {
        unreachable!("a record is an attrset");
    };
    Ok(Value::attrs(Attrs {
        map: own.map.updated(&fields.map),
        missing: None,
    }))
}

/// What one name of `resultsByName` is: an option's entry and the definitions left unmatched.
fn result_of(
    ev: &Evaluator,
    h: &Rc<Helpers>,
    loc: Thunk,
    decls: Thunk,
    defns: Thunk,
    defns_raw: Thunk,
    span: Span,
) -> EvalResult<(Thunk, Thunk)> {
    let list = ev.expect_list(ev.force(&decls)?, span)?;
    let mut option_decls = Vec::new();
    let mut non_options = Vec::new();
    for d in list.iter() {
        if is_option(ev, &ev.force(&lazy_select(d, "options", span))?)? {
            option_decls.push(d.clone());
        } else {
            non_options.push(d.clone());
        }
    }
    let evaluated = |decls: Thunk| -> Thunk {
        let (h, loc, defns_raw) = (h.clone(), loc.clone(), defns_raw.clone());
        let opt = {
            let (h, loc) = (h.clone(), loc.clone());
            Thunk::native(span, move |ev| {
                let decls = ev.force(&decls)?;
                if let Value::List(l) = &decls
                    && let [decl] = &**l
                {
                    return one_declaration(ev, &h, &loc, decl, span);
                }
                let merged = merge_option_decls(ev, &h, &loc, &decls, span)?;
                fixup_option_type(ev, &h, &merged, span)
            })
        };
        Thunk::native(span, move |ev| {
            eval_option_value(ev, &h, loc.clone(), opt.clone(), defns_raw.clone(), span)
        })
    };
    let none = || Thunk::ready(Value::list(Vec::new()), span);
    if non_options.is_empty() {
        return Ok((evaluated(decls), none()));
    }
    if option_decls.is_empty() {
        let merged = merge_modules(h.clone(), loc, decls, defns, span);
        return Ok((
            lazy_select(&merged, "matchedOptions", span),
            lazy_select(&merged, "unmatchedDefns", span),
        ));
    }
    let mut all_submodules = true;
    for d in &option_decls {
        let name = ev.force(&lazy_select(
            &lazy_select(&lazy_select(d, "options", span), "type", span),
            "name",
            span,
        ))?;
        if !matches!(&name, Value::Str(s) if &**s == "submodule") {
            all_submodules = false;
            break;
        }
    }
    if all_submodules {
        let to_option = h.option_tree_to_option.clone();
        let converted: Vec<Thunk> = list
            .iter()
            .map(|d| {
                let (f, d) = (to_option.clone(), d.clone());
                Thunk::native(span, move |ev| {
                    let f = ev.force(&f)?;
                    ev.call(f, d.clone(), span)
                })
            })
            .collect();
        return Ok((evaluated(Thunk::ready(Value::list(converted), span)), none()));
    }
    let first = &option_decls[0];
    let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
    let file = ev.force(&lazy_select(first, "_file", span))?;
    let file = ev.to_string_value(&file, CoerceMode::PathInterpolation, span)?;
    let ty = ev.force(&lazy_select(&lazy_select(first, "options", span), "type", span))?;
    let description = match &ty {
        Value::Attrs(t) => match t.get("description") {
            Some(d) => {
                let d = ev.force(d)?;
                ev.to_string_value(&d, CoerceMode::PathInterpolation, span)?
            }
            None => "<no description>".to_string(),
        },
        _ => "<no description>".to_string(),
    };
    let show_raw = ev.force(&h.show_raw_decls)?;
    let partial = ev.call(show_raw, loc.clone(), span)?;
    let raw = ev.call(partial, Thunk::ready(Value::list(non_options), span), span)?;
    let raw = ev.to_string_value(&raw, CoerceMode::PathInterpolation, span)?;
    Err(throw(format!(
        "The option `{shown}' in module `{file}' would be a parent of the following options, but its type `{description}' does not support nested options.\n{raw}"
    )))
}

/// `mergeModules' prefix options configs` as nixpkgs' attrset `{ matchedOptions,
/// unmatchedDefns }` (a thunk: nothing is looked at before it is read).
pub fn merge_modules(h: Rc<Helpers>, prefix: Thunk, options: Thunk, configs: Thunk, span: Span) -> Thunk {
    let decls_by_name = {
        let (prefix, options) = (prefix.clone(), options.clone());
        Thunk::native(span, move |ev| {
            by_name(ev, ByName::Declarations, &prefix, &ev.force(&options)?, span)
        })
    };
    let defns_by_name = {
        let (prefix, configs) = (prefix.clone(), configs.clone());
        Thunk::native(span, move |ev| {
            by_name(ev, ByName::Definitions, &prefix, &ev.force(&configs)?, span)
        })
    };
    let defns_raw_by_name = {
        let (prefix, configs) = (prefix.clone(), configs.clone());
        Thunk::native(span, move |ev| {
            by_name(ev, ByName::RawDefinitions, &prefix, &ev.force(&configs)?, span)
        })
    };
    // `resultsByName`: per declared name, a list [ matchedOptions unmatchedDefns ].
    let results = {
        let (h, prefix, d, dn, dr) = (
            h.clone(),
            prefix.clone(),
            decls_by_name.clone(),
            defns_by_name.clone(),
            defns_raw_by_name.clone(),
        );
        Thunk::native(span, move |ev| {
            let decls = ev.expect_attrs(ev.force(&d)?, span, "declarations")?;
            let mut out = Attrs::new();
            for (name, a) in &decls.map {
                let (h, decls, loc) = (h.clone(), a.value.clone(), appended(&prefix, name, span));
                let (dn, dr, name2) = (dn.clone(), dr.clone(), name.clone());
                let result = Thunk::native(span, move |ev| {
                    let (defns, defns_raw) = (or_empty(&dn, &name2, span), or_empty(&dr, &name2, span));
                    let (m, u) = result_of(ev, &h, loc.clone(), decls.clone(), defns, defns_raw, span)?;
                    Ok(Value::list(vec![m, u]))
                });
                out.insert(name.clone(), result, a.key_span);
            }
            Ok(Value::attrs(out))
        })
    };
    // `mapAttrs (n: v: v.matchedOptions) resultsByName`
    let matched = {
        let results = results.clone();
        Thunk::native(span, move |ev| {
            let r = ev.expect_attrs(ev.force(&results)?, span, "results")?;
            let mut out = Attrs::new();
            for (name, a) in &r.map {
                let t = a.value.clone();
                let v = Thunk::native(span, move |ev| ev.force(&result_part(ev, &t, 0, span)?));
                out.insert(name.clone(), v, a.key_span);
            }
            Ok(Value::attrs(out))
        })
    };
    let unmatched = {
        let (configs, dr) = (configs.clone(), defns_raw_by_name.clone());
        Thunk::native(span, move |ev| {
            if ev.expect_list(ev.force(&configs)?, span)?.is_empty() {
                return Ok(Value::list(Vec::new()));
            }
            // `concatLists (mapAttrsToList (name: defs: …) (mapAttrs (n: v: v.unmatchedDefns)
            // resultsByName // removeAttrs defnsByName' (attrNames matchedOptions)))`: both sets
            // are sorted by name, so one walk through the two gives `//`'s order without
            // building the by-name set (a declared name's own unmatched definitions, an
            // undeclared name's all); where there are none, nothing is made.
            let declared = ev.expect_attrs(ev.force(&results)?, span, "results")?;
            let raw = ev.expect_attrs(ev.force(&dr)?, span, "definitions")?;
            let (mut declared, mut raw) = (declared.map.iter().peekable(), raw.map.iter().peekable());
            let mut out = Vec::new();
            loop {
                let from_declared = match (declared.peek(), raw.peek()) {
                    (None, None) => break,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (Some((d, _)), Some((r, _))) => {
                        let order = (***d).cmp(&***r);
                        if order.is_eq() {
                            raw.next();
                        }
                        order.is_le()
                    }
                };
                let (name, defs) = if from_declared {
                    let (name, a) = declared.next().expect("peeked");
                    (name, ev.force(&result_part(ev, &a.value, 1, span)?)?)
                } else {
                    let (name, a) = raw.next().expect("peeked");
                    (name, ev.force(&a.value)?)
                };
                for def in ev.expect_list(defs, span)?.iter() {
                    out.push(prefixed(def.clone(), name.clone(), span));
                }
            }
            Ok(Value::list(out))
        })
    };
    Thunk::ready(
        record(&[("matchedOptions", matched), ("unmatchedDefns", unmatched)]),
        span,
    )
}

/// Item `i` of one name's `[ matchedOptions unmatchedDefns ]` in `resultsByName`.
fn result_part(ev: &Evaluator, result: &Thunk, i: usize, span: Span) -> EvalResult<Thunk> {
    match ev.force(result)? {
        Value::List(l) => Ok(l[i].clone()),
        other => Ok(Thunk::ready(other, span)),
    }
}

/// `def // { prefix = [ name ] ++ (def.prefix or [ ]); }`, made when read.
fn prefixed(def: Thunk, name: Rc<str>, span: Span) -> Thunk {
    Thunk::native(span, move |ev| {
        let d = ev.expect_attrs(ev.force(&def)?, span, "a definition")?;
        let mut prefix = vec![Thunk::ready(Value::Str(name.clone()), span)];
        if let Some(p) = d.get("prefix") {
            prefix.extend(ev.expect_list(ev.force(p)?, span)?.iter().cloned());
        }
        let mut out = (*d).clone();
        out.missing = None;
        out.insert(Rc::from("prefix"), Thunk::ready(Value::list(prefix), span), span);
        Ok(Value::attrs(out))
    })
}

/// `set.${name} or [ ]` of a lazily made attrset, when read.
fn or_empty(set: &Thunk, name: &Rc<str>, span: Span) -> Thunk {
    let (set, name) = (set.clone(), name.clone());
    Thunk::native(span, move |ev| match ev.force(&set)? {
        Value::Attrs(a) => match a.get(&name) {
            Some(t) => ev.force(t),
            None => Ok(Value::list(Vec::new())),
        },
        _ => Ok(Value::list(Vec::new())),
    })
}
