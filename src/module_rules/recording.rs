//! A source of definitions for the rules' unit tests that records every read, so that what
//! the rules force, and in which order, can be held to what nixpkgs' Nix code forces.

use super::properties::{Definitions, Discharge, Ordered, PropertyType, PushDown, Values};
use std::cell::RefCell;

/// A definition: a plain number, or a property around others.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Plain(i64),
    Merge(Vec<V>),
    If(Result<bool, &'static str>, Box<V>),
    Override(i64, Box<V>),
    Order(i64, Box<V>),
    /// `mkDefinition`'s marker: a file and a value.
    Definition(&'static str, Box<V>),
    Attrs(Vec<(&'static str, V)>),
}

/// Records each read as `what:value`; a failure stops (as the evaluator does).
#[derive(Default)]
pub struct Recording(RefCell<Vec<String>>);

impl Recording {
    pub fn read(&self, what: &str, v: &V) {
        self.note(format!("{what}:{}", show(v)));
    }

    pub fn note(&self, read: String) {
        self.0.borrow_mut().push(read);
    }

    /// The reads so far, forgotten.
    pub fn take(&self) -> Vec<String> {
        self.0.take()
    }
}

pub fn show(v: &V) -> String {
    match v {
        V::Plain(n) => n.to_string(),
        V::Merge(_) => "merge".into(),
        V::If(..) => "if".into(),
        V::Override(p, _) => format!("override{p}"),
        V::Order(p, _) => format!("order{p}"),
        V::Definition(..) => "definition".into(),
        V::Attrs(_) => "attrs".into(),
    }
}

/// `mkIf c v`.
pub fn when(c: bool, v: V) -> V {
    V::If(Ok(c), Box::new(v))
}

impl Values for Recording {
    type Value = V;
    type Error = String;

    fn property_type(&self, v: &V) -> Result<PropertyType, String> {
        self.read("type", v);
        Ok(match v {
            V::Merge(_) => PropertyType::Merge,
            V::If(..) => PropertyType::If,
            V::Override(..) => PropertyType::Override,
            V::Order(..) => PropertyType::Order,
            V::Definition(..) => PropertyType::Definition,
            _ => PropertyType::None,
        })
    }

    fn content(&self, v: &V) -> Result<V, String> {
        self.read("content", v);
        match v {
            V::If(_, c) | V::Override(_, c) | V::Order(_, c) | V::Definition(_, c) => Ok((**c).clone()),
            _ => unreachable!(),
        }
    }

    fn contents(&self, v: &V) -> Result<Vec<V>, String> {
        self.read("contents", v);
        match v {
            V::Merge(items) => Ok(items.clone()),
            _ => unreachable!(),
        }
    }
}

impl Discharge for Recording {
    fn condition(&self, v: &V) -> Result<bool, String> {
        self.read("condition", v);
        match v {
            V::If(c, _) => c.map_err(str::to_string),
            _ => unreachable!(),
        }
    }
}

impl PushDown for Recording {
    fn push_into_attributes(&self, property: &V, pushed: V) -> Result<V, String> {
        let V::Attrs(attrs) = pushed else {
            return Err(format!("not an attrset: {}", show(&pushed)));
        };
        let wrap = |v: V| match property {
            V::If(c, _) => V::If(*c, Box::new(v)),
            V::Override(p, _) => V::Override(*p, Box::new(v)),
            _ => unreachable!(),
        };
        Ok(V::Attrs(attrs.into_iter().map(|(k, v)| (k, wrap(v))).collect()))
    }
}

/// Definition records as plain values with the order `sortProperties` gave them.
impl Definitions for Recording {
    type Def = (V, i64);
    type Priority = i64;
    type Error = String;

    fn property_type(&self, def: &(V, i64)) -> Result<PropertyType, String> {
        Values::property_type(self, &def.0)
    }

    fn override_priority(&self, def: &(V, i64)) -> Result<i64, String> {
        self.read("priority", &def.0);
        match def.0 {
            V::Override(p, _) => Ok(p),
            _ => unreachable!(),
        }
    }

    fn constant(&self, priority: i64) -> i64 {
        priority
    }

    fn with_content(&self, def: &(V, i64)) -> Result<(V, i64), String> {
        Ok((Values::content(self, &def.0)?, def.1))
    }

    fn less(&self, a: &i64, b: &i64) -> Result<bool, String> {
        Ok(a < b)
    }

    fn same(&self, a: &i64, b: &i64) -> Result<bool, String> {
        Ok(a == b)
    }
}

impl Ordered for Recording {
    fn with_order(&self, def: &(V, i64)) -> Result<(V, i64), String> {
        match &def.0 {
            V::Order(p, c) => Ok(((**c).clone(), *p)),
            _ => unreachable!(),
        }
    }

    fn order(&self, def: &(V, i64)) -> Result<i64, String> {
        Ok(def.1)
    }
}
