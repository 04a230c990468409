//! Properties of definitions (`mkIf`, `mkMerge`, `mkOverride`, `mkOrder`), handled as
//! nixpkgs' lib/modules.nix does: pushed down into attributes, discharged, filtered by
//! priority and sorted by order. Each function forces exactly what its Nix counterpart forces.

use super::{Def, attr_or_missing, record};
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::cmp::Ordering;
use std::rc::Rc;

/// `mkOverride`'s default priority (`defaultOverridePriority`).
pub const DEFAULT_OVERRIDE_PRIORITY: i64 = 100;
/// `mkOrder`'s default priority (`defaultOrderPriority`).
pub const DEFAULT_ORDER_PRIORITY: i64 = 1000;

/// What `propertyType` says of a value: its `_type` when it is a property.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Property {
    Merge,
    If,
    Override,
    Order,
    /// Not a property (no `_type`, another `_type`, or no attrset).
    None,
}

/// `propertyType v`: `v._type or ""` of an attrset (the `_type` is forced), else nothing.
pub fn property_of(ev: &Evaluator, v: &Value) -> EvalResult<Property> {
    let Value::Attrs(attrs) = v else {
        return Ok(Property::None);
    };
    let Some(t) = attrs.get("_type") else {
        return Ok(Property::None);
    };
    Ok(match ev.force(t)? {
        Value::Str(s) => match &*s {
            "merge" => Property::Merge,
            "if" => Property::If,
            "override" => Property::Override,
            "order" => Property::Order,
            _ => Property::None,
        },
        _ => Property::None,
    })
}

/// `pushDownProperties cfg`: `mkMerge` expanded and `mkIf`/`mkOverride` pushed into the
/// attributes of their content; only attribute names are looked at, never a condition.
pub fn push_down(ev: &Evaluator, cfg: &Thunk, span: Span, out: &mut Vec<Thunk>) -> EvalResult<()> {
    let v = ev.force(cfg)?;
    let property = property_of(ev, &v)?;
    let attrs = match &v {
        Value::Attrs(a) if property != Property::None => a.clone(),
        _ => {
            out.push(cfg.clone());
            return Ok(());
        }
    };
    match property {
        Property::Merge => {
            let contents = ev.force(&attr_or_missing(&v, &attrs, "contents", span))?;
            for item in ev.expect_list(contents, span)?.iter() {
                push_down(ev, item, span, out)?;
            }
        }
        p @ (Property::If | Property::Override) => {
            // `map (mapAttrs (n: v: mkIf cfg.condition v))`: each item is made when read.
            let (kind, field, key) = match p {
                Property::If => ("if", "condition", attr_or_missing(&v, &attrs, "condition", span)),
                _ => ("override", "priority", attr_or_missing(&v, &attrs, "priority", span)),
            };
            let mut inner = Vec::new();
            push_down(ev, &attr_or_missing(&v, &attrs, "content", span), span, &mut inner)?;
            for item in inner {
                let key = key.clone();
                out.push(Thunk::native(span, move |ev| {
                    let content = ev.force(&item)?;
                    let content = ev.expect_attrs(content, span, "a builtin's argument")?;
                    let mut wrapped = Attrs::new();
                    for (name, a) in &content.map {
                        let property = record(&[
                            ("_type", Thunk::ready(Value::str(kind), span)),
                            (field, key.clone()),
                            ("content", a.value.clone()),
                        ]);
                        wrapped.insert(name.clone(), Thunk::ready(property, a.value.span()), a.key_span);
                    }
                    Ok(Value::attrs(wrapped))
                }));
            }
        }
        Property::Order | Property::None => out.push(cfg.clone()),
    }
    Ok(())
}

/// `dischargeProperties def`: `mkMerge`s expanded and `mkIf` conditions decided; the values
/// left (forced to their outermost constructor) go to `out`.
pub fn discharge(ev: &Evaluator, def: &Thunk, span: Span, out: &mut Vec<Thunk>) -> EvalResult<()> {
    let v = ev.force(def)?;
    match property_of(ev, &v)? {
        Property::Merge => {
            let contents = ev.force(&select(&v, "contents", span))?;
            for item in ev.expect_list(contents, span)?.iter() {
                discharge(ev, item, span, out)?;
            }
        }
        Property::If => match ev.force(&select(&v, "condition", span))? {
            Value::Bool(true) => discharge(ev, &select(&v, "content", span), span, out)?,
            Value::Bool(false) => {}
            _ => {
                return Err(super::definitions::throw(
                    "‘mkIf’ called with a non-Boolean condition".to_string(),
                ));
            }
        },
        _ => out.push(def.clone()),
    }
    Ok(())
}

/// The attribute `name` of a property (an attrset): its thunk, or one that fails as a
/// missing attribute does.
fn select(v: &Value, name: &str, span: Span) -> Thunk {
    match v {
        Value::Attrs(a) => attr_or_missing(v, a, name, span),
        _ => unreachable!("a property is an attrset"),
    }
}

/// `getPrio def`: the priority of an `mkOverride`, else the default one.
fn priority_of(ev: &Evaluator, def: &Def, span: Span) -> EvalResult<(Value, bool)> {
    let v = ev.force(&def.value)?;
    if property_of(ev, &v)? == Property::Override {
        Ok((ev.force(&select(&v, "priority", span))?, true))
    } else {
        Ok((Value::Int(DEFAULT_OVERRIDE_PRIORITY), false))
    }
}

/// `filterOverrides' defs`: the definitions of the highest priority (numerically lowest),
/// their `mkOverride` stripped, and that priority (9999 without definitions).
pub fn filter_overrides(ev: &Evaluator, defs: &[Def], span: Span) -> EvalResult<(Vec<Def>, Value)> {
    let mut prios = Vec::with_capacity(defs.len());
    let mut highest = Value::Int(9999);
    for def in defs {
        let (prio, is_override) = priority_of(ev, def, span)?;
        // `min (getPrio def) prio`
        if ev.compare(&prio, &highest, span)? == Ordering::Less {
            highest = prio.clone();
        }
        prios.push((prio, is_override));
    }
    let mut kept = Vec::new();
    for (def, (prio, is_override)) in defs.iter().zip(prios) {
        if ev.values_equal(&prio, &highest, span)? {
            kept.push(if is_override {
                let v = ev.force(&def.value)?;
                def.with_value(select(&v, "content", span), None)
            } else {
                def.clone()
            });
        }
    }
    Ok((kept, highest))
}

/// Whether any definition is an `mkOrder` (each value's `_type` forced, as `any` does).
pub fn any_ordered(ev: &Evaluator, defs: &[Def]) -> EvalResult<bool> {
    for def in defs {
        if property_of(ev, &ev.force(&def.value)?)? == Property::Order {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `sortProperties defs`: `mkOrder` stripped (its priority kept on the definition), stable by
/// priority (1000 when unset).
pub fn sort_properties(ev: &Evaluator, defs: &[Def], span: Span) -> EvalResult<Vec<Def>> {
    let mut stripped = Vec::with_capacity(defs.len());
    for def in defs {
        let v = ev.force(&def.value)?;
        stripped.push(if property_of(ev, &v)? == Property::Order {
            def.with_value(select(&v, "content", span), Some(select(&v, "priority", span)))
        } else {
            def.clone()
        });
    }
    let default = Value::Int(DEFAULT_ORDER_PRIORITY);
    let prio = |d: &Def| -> EvalResult<Value> {
        match &d.priority {
            Some(p) => ev.force(p),
            None => Ok(default.clone()),
        }
    };
    let less = |a: &Def, b: &Def| -> EvalResult<bool> { Ok(ev.compare(&prio(a)?, &prio(b)?, span)? == Ordering::Less) };
    crate::eval::builtins::stable_sort(stripped, &less)
}

/// The definitions of a Nix list of `{ file, value, … }` records (each record forced).
pub fn defs_of_list(ev: &Evaluator, list: &Value, span: Span) -> EvalResult<Vec<Def>> {
    let items = ev.expect_list(list.clone(), span)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items.iter() {
        let v = ev.force(item)?;
        let attrs: Rc<Attrs> = ev.expect_attrs(v.clone(), span, "a definition")?;
        out.push(Def {
            file: attr_or_missing(&v, &attrs, "file", span),
            value: attr_or_missing(&v, &attrs, "value", span),
            priority: attrs.get("priority").cloned(),
            record: Some(attrs.clone()),
            unchanged: Some(v.clone()),
        });
    }
    Ok(out)
}
