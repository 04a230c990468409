//! nixpkgs' `pushDownProperties`, and the definitions modules give an attribute path.

use super::{Definition, State};
use crate::eval::{EvalResult, Evaluator, Thunk, Value, error};
use crate::module_rules::DEFAULT_PRIORITY;
use crate::source::Span;
use std::rc::Rc;

/// What a definition of an attribute level stands for once its properties are pushed down
/// (nixpkgs' `pushDownProperties`): attrsets whose attributes each carry the `mkIf`s and
/// `mkOverride`s around them, or a value that is no attrset.
pub(super) enum Level {
    Attrs(Rc<crate::eval::Attrs>, Rc<[Wrap]>),
    Value(Value),
}

/// A property around a level, outermost first.
#[derive(Clone)]
pub(super) enum Wrap {
    If(Thunk),
    Override(Thunk),
}

/// `pushDownProperties`: reads only the attribute names of each `content`, so a condition is
/// never evaluated here — it goes onto every attribute, to be discharged with the definitions
/// of one option.
pub(super) fn push_down(ev: &Evaluator, v: Value, wraps: &[Wrap], out: &mut Vec<Level>) -> EvalResult<()> {
    let Value::Attrs(a) = &v else {
        out.push(Level::Value(v));
        return Ok(());
    };
    let tag = match a.get("_type") {
        Some(t) => ev.force(t)?,
        None => Value::Null,
    };
    let field = |name: &str| a.get(name).cloned();
    let kind = match &tag {
        Value::Str(t) => t.as_ref(),
        _ => "",
    };
    match (kind, field("content"), field("contents")) {
        ("merge", _, Some(contents)) => {
            let Value::List(items) = ev.force(&contents)? else {
                return Err(error(contents.span(), "`mkMerge` takes a list"));
            };
            for item in items.iter() {
                push_down(ev, ev.force(item)?, wraps, out)?;
            }
        }
        ("if", Some(content), _) | ("override", Some(content), _) => {
            let wrap = if kind == "if" {
                Wrap::If(field("condition").unwrap_or_else(|| Thunk::ready(Value::Bool(false), Span::BUILTIN)))
            } else {
                Wrap::Override(
                    field("priority").unwrap_or_else(|| Thunk::ready(Value::Int(DEFAULT_PRIORITY), Span::BUILTIN)),
                )
            };
            let inner: Vec<Wrap> = wraps.iter().cloned().chain([wrap]).collect();
            let before = out.len();
            push_down(ev, ev.force(&content)?, &inner, out)?;
            // A property around something that is no attrset is a value of this level.
            if out[before..].iter().any(|l| matches!(l, Level::Value(_))) {
                out.truncate(before);
                out.push(Level::Value(v));
            }
        }
        _ => out.push(Level::Attrs(a.clone(), Rc::from(wraps))),
    }
    Ok(())
}

/// An attribute of a pushed-down level, inside the properties around it (`mkIf c (mkOverride
/// p value)`, as nixpkgs builds them).
fn wrapped(value: &Thunk, wraps: &[Wrap]) -> Thunk {
    let mut t = value.clone();
    for w in wraps.iter().rev() {
        let mut a = crate::eval::Attrs::new();
        let (tag, key, arg) = match w {
            Wrap::If(c) => ("if", "condition", c),
            Wrap::Override(p) => ("override", "priority", p),
        };
        a.insert_value("_type", Value::str(tag));
        a.insert(Rc::from(key), arg.clone(), Span::BUILTIN);
        let span = t.span();
        a.insert(Rc::from("content"), t, Span::BUILTIN);
        t = Thunk::ready(Value::attrs(a), span);
    }
    t
}

/// The definitions modules give `path` (properties pushed down through the levels above; at
/// `path` itself properties are kept), in module order.
pub(super) fn defined_values(ev: &Evaluator, state: &State, path: &[&str]) -> EvalResult<Vec<Definition>> {
    let configs: Vec<(Thunk, Rc<str>)> = state
        .modules
        .borrow()
        .iter()
        .filter_map(|m| m.config.clone().map(|c| (c, m.file.clone())))
        .collect();
    let mut level: Vec<Definition> = Vec::new();
    // nixpkgs merges definitions in the reverse of the collection order.
    for (c, file) in configs.into_iter().rev() {
        level.push(Definition {
            value: ev.force(&c)?,
            span: c.span(),
            key_span: c.span(),
            file,
        });
    }
    for p in path {
        let mut next = Vec::new();
        for d in level {
            let mut pushed = Vec::new();
            push_down(ev, d.value, &[], &mut pushed)?;
            for l in pushed {
                if let Level::Attrs(a, wraps) = l
                    && let Some(attr) = a.map.get(p)
                {
                    let t = wrapped(&attr.value, &wraps);
                    next.push(Definition {
                        value: ev.force(&t)?,
                        span: t.span(),
                        key_span: attr.key_span,
                        file: d.file.clone(),
                    });
                }
            }
        }
        level = next;
    }
    Ok(level)
}
