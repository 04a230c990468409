//! nixpkgs' `pushDownProperties` over the frontend's values (the rule is
//! [`crate::module_rules`]'s), and the definitions modules give an attribute path.

use super::{Definition, State};
use crate::eval::property_of;
use crate::eval::{EvalError, EvalResult, Evaluator, Thunk, Value, error};
use crate::module_rules::{self, DEFAULT_PRIORITY, PropertyType, PushDown, Values};
use crate::source::Span;
use std::rc::Rc;

/// What a definition of an attribute level stands for once its properties are pushed down
/// (nixpkgs' `pushDownProperties`): attrsets whose attributes each carry the `mkIf`s and
/// `mkOverride`s around them, or a value that is no attrset (which the engine merges).
pub(super) enum Level {
    Attrs(Rc<crate::eval::Attrs>, Rc<[Wrap]>),
    Value,
}

/// A property around a level, outermost first.
#[derive(Clone)]
pub(super) enum Wrap {
    If(Thunk),
    Override(Thunk),
}

/// A value being pushed down (forced when the rule reads it, as Nix forces each of an
/// `mkMerge`'s contents in turn) and the properties pushed onto it.
struct Pushed {
    value: Thunk,
    wraps: Rc<[Wrap]>,
}

/// The frontend's values as `pushDownProperties` reads them. Lenient where netns-compile
/// only looks for names: a marker without what the rule reads of it (`contents`, `content`)
/// is an attrset like any other, an `mkIf` without a condition is false, an `mkOverride`
/// without a priority the default one.
struct Levels<'e>(&'e Evaluator);

impl Levels<'_> {
    fn pushed(t: &Thunk) -> Pushed {
        Pushed {
            value: t.clone(),
            wraps: Rc::from([]),
        }
    }

    /// An attribute of a property (forced already by [`Values::property_type`]).
    fn field(&self, p: &Pushed, name: &str) -> EvalResult<Option<Thunk>> {
        Ok(match self.0.force(&p.value)? {
            Value::Attrs(a) => a.get(name).cloned(),
            _ => None,
        })
    }
}

impl Values for Levels<'_> {
    type Value = Pushed;
    type Error = Box<EvalError>;

    fn property_type(&self, p: &Pushed) -> EvalResult<PropertyType> {
        Ok(match property_of(self.0, &self.0.force(&p.value)?)? {
            PropertyType::Merge if self.field(p, "contents")?.is_some() => PropertyType::Merge,
            t @ (PropertyType::If | PropertyType::Override) if self.field(p, "content")?.is_some() => t,
            _ => PropertyType::None,
        })
    }

    fn content(&self, p: &Pushed) -> EvalResult<Pushed> {
        let content = self.field(p, "content")?.expect("`property_type` saw the content");
        Ok(Levels::pushed(&content))
    }

    fn contents(&self, p: &Pushed) -> EvalResult<Vec<Pushed>> {
        let contents = self.field(p, "contents")?.expect("`property_type` saw the contents");
        let Value::List(items) = self.0.force(&contents)? else {
            return Err(error(contents.span(), "`mkMerge` takes a list"));
        };
        Ok(items.iter().map(Levels::pushed).collect())
    }
}

impl PushDown for Levels<'_> {
    /// The property goes outside those already on `pushed`; onto a value that is no attrset
    /// too, which is then a value of this level inside its properties.
    fn push_into_attributes(&self, property: &Pushed, pushed: Pushed) -> EvalResult<Pushed> {
        let wrap = match Values::property_type(self, property)? {
            PropertyType::If => Wrap::If(
                self.field(property, "condition")?
                    .unwrap_or_else(|| Thunk::ready(Value::Bool(false), Span::BUILTIN)),
            ),
            _ => Wrap::Override(
                self.field(property, "priority")?
                    .unwrap_or_else(|| Thunk::ready(Value::Int(DEFAULT_PRIORITY), Span::BUILTIN)),
            ),
        };
        Ok(Pushed {
            wraps: [wrap].into_iter().chain(pushed.wraps.iter().cloned()).collect(),
            ..pushed
        })
    }
}

/// `pushDownProperties`: reads only the attribute names of each `content`, so a condition is
/// never evaluated here — it goes onto every attribute, to be discharged with the definitions
/// of one option.
pub(super) fn push_down(ev: &Evaluator, v: Value, out: &mut Vec<Level>) -> EvalResult<()> {
    let mut pushed = Vec::new();
    let top = Levels::pushed(&Thunk::ready(v, Span::BUILTIN));
    module_rules::push_down(&Levels(ev), top, &mut pushed, &mut Vec::new())?;
    for p in pushed {
        out.push(match ev.force(&p.value)? {
            Value::Attrs(a) => Level::Attrs(a, p.wraps),
            _ => Level::Value,
        });
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
            push_down(ev, d.value, &mut pushed)?;
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
