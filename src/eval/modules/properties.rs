//! Properties of definitions (`mkIf`, `mkMerge`, `mkOverride`, `mkOrder`) over the engine's
//! lazy values: how a value answers what the rules of [`crate::module_rules`] read (each part
//! forced when a rule reads it, so each rule forces exactly what its Nix counterpart forces),
//! and those rules in the engine's terms.

use super::{Def, attr_or_missing, record};
use crate::eval::error::{EvalError, EvalResult};
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::module_rules::{self, DEFAULT_ORDER, Definitions, Discharge, Ordered, PropertyType, PushDown, Values};
use crate::source::Span;
use std::cmp::Ordering;
use std::rc::Rc;

/// `propertyType v`: `v._type or ""` of an attrset (the `_type` is forced).
pub fn property_of(ev: &Evaluator, v: &Value) -> EvalResult<PropertyType> {
    let Value::Attrs(attrs) = v else {
        return Ok(PropertyType::None);
    };
    let Some(t) = attrs.get("_type") else {
        return Ok(PropertyType::None);
    };
    Ok(match ev.force(t)? {
        Value::Str(s) => PropertyType::of_tag(&s),
        _ => PropertyType::None,
    })
}

/// The engine's values and definitions as the rules read them; `span` is where the lib
/// called the engine.
pub struct Lazy<'e> {
    pub ev: &'e Evaluator,
    pub span: Span,
}

impl Lazy<'_> {
    /// The attribute `name` of a property (an attrset, forced already): its thunk, or one
    /// that fails as a missing attribute does.
    fn select(&self, t: &Thunk, name: &str) -> EvalResult<Thunk> {
        let v = self.ev.force(t)?;
        match &v {
            Value::Attrs(a) => Ok(attr_or_missing(&v, a, name, self.span)),
            _ => unreachable!("a property is an attrset"),
        }
    }

    /// Which field holds a property's content.
    fn content_field(&self, t: &Thunk) -> EvalResult<&'static str> {
        Ok(match property_of(self.ev, &self.ev.force(t)?)? {
            PropertyType::Definition => "value",
            _ => "content",
        })
    }
}

impl Values for Lazy<'_> {
    type Value = Thunk;
    type Error = Box<EvalError>;

    fn property_type(&self, t: &Thunk) -> EvalResult<PropertyType> {
        property_of(self.ev, &self.ev.force(t)?)
    }

    fn content(&self, t: &Thunk) -> EvalResult<Thunk> {
        self.select(t, self.content_field(t)?)
    }

    fn contents(&self, t: &Thunk) -> EvalResult<Vec<Thunk>> {
        let contents = self.ev.force(&self.select(t, "contents")?)?;
        Ok(self.ev.expect_list(contents, self.span)?.to_vec())
    }
}

impl Discharge for Lazy<'_> {
    fn condition(&self, t: &Thunk) -> EvalResult<bool> {
        match self.ev.force(&self.select(t, "condition")?)? {
            Value::Bool(b) => Ok(b),
            _ => Err(super::definitions::throw(
                "‘mkIf’ called with a non-Boolean condition".to_string(),
            )),
        }
    }
}

impl PushDown for Lazy<'_> {
    fn push_into_attributes(&self, property: &Thunk, pushed: Thunk) -> EvalResult<Thunk> {
        // `map (mapAttrs (n: v: mkIf cfg.condition v))`: each item is made when read.
        let (kind, field) = match Values::property_type(self, property)? {
            PropertyType::If => ("if", "condition"),
            _ => ("override", "priority"),
        };
        let key = self.select(property, field)?;
        let span = self.span;
        Ok(Thunk::native(span, move |ev| {
            let content = ev.force(&pushed)?;
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
        }))
    }
}

impl Definitions for Lazy<'_> {
    type Def = Def;
    type Priority = Value;
    type Error = Box<EvalError>;

    fn property_type(&self, def: &Def) -> EvalResult<PropertyType> {
        Values::property_type(self, &def.value)
    }

    fn override_priority(&self, def: &Def) -> EvalResult<Value> {
        self.ev.force(&self.select(&def.value, "priority")?)
    }

    fn constant(&self, priority: i64) -> Value {
        Value::Int(priority)
    }

    fn with_content(&self, def: &Def) -> EvalResult<Def> {
        Ok(def.with_value(self.select(&def.value, "content")?, None))
    }

    fn less(&self, a: &Value, b: &Value) -> EvalResult<bool> {
        Ok(self.ev.compare(a, b, self.span)? == Ordering::Less)
    }

    fn same(&self, a: &Value, b: &Value) -> EvalResult<bool> {
        self.ev.values_equal(a, b, self.span)
    }
}

impl Ordered for Lazy<'_> {
    fn with_order(&self, def: &Def) -> EvalResult<Def> {
        Ok(def.with_value(
            self.select(&def.value, "content")?,
            Some(self.select(&def.value, "priority")?),
        ))
    }

    fn order(&self, def: &Def) -> EvalResult<Value> {
        match &def.priority {
            Some(p) => self.ev.force(p),
            None => Ok(Value::Int(DEFAULT_ORDER)),
        }
    }
}

/// `pushDownProperties cfg`: `mkMerge` expanded and `mkIf`/`mkOverride` pushed into the
/// attributes of their content; only attribute names are looked at, never a condition.
pub fn push_down(ev: &Evaluator, cfg: &Thunk, span: Span, out: &mut Vec<Thunk>) -> EvalResult<()> {
    module_rules::push_down(&Lazy { ev, span }, cfg.clone(), out, &mut Vec::new())
}

/// `dischargeProperties def`: `mkMerge`s expanded and `mkIf` conditions decided; the values
/// left (forced to their outermost constructor) go to `out`.
pub fn discharge(ev: &Evaluator, def: &Thunk, span: Span, out: &mut Vec<Thunk>) -> EvalResult<()> {
    module_rules::discharge(&Lazy { ev, span }, def.clone(), out, &mut Vec::new())
}

/// `filterOverrides' defs`: the definitions of the highest priority (numerically lowest),
/// their `mkOverride` stripped, and that priority (9999 without definitions).
pub fn filter_overrides(ev: &Evaluator, defs: Vec<Def>, span: Span) -> EvalResult<(Vec<Def>, Value)> {
    module_rules::filter_overrides(&Lazy { ev, span }, defs)
}

/// `sortProperties defs`: `mkOrder` stripped (its priority kept on the definition), stable by
/// priority (1000 when unset).
pub fn sort_properties(ev: &Evaluator, defs: Vec<Def>, span: Span) -> EvalResult<Vec<Def>> {
    module_rules::sort_properties(&Lazy { ev, span }, defs)
}

/// `mergeDefinitions`' `defsSorted`: [`sort_properties`] when any definition is an `mkOrder`
/// (each value's `_type` forced, as `any` does).
pub fn sort_if_ordered(ev: &Evaluator, defs: Vec<Def>, span: Span) -> EvalResult<Vec<Def>> {
    module_rules::sort_if_ordered(&Lazy { ev, span }, defs)
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
