//! Properties (`mkIf`, `mkMerge`, `mkOverride`, `mkOrder`, and `mkDefinition`'s marker) as
//! nixpkgs' lib/modules.nix handles them: [`push_down`] is `pushDownProperties`, [`discharge`]
//! is `dischargeProperties`, [`filter_overrides`] is `filterOverrides'`, [`sort_properties`] is
//! `sortProperties` and [`sort_if_ordered`] is `mergeDefinitions`' `defsSorted`.
//!
//! Each function reads a definition only through its trait, in the order the Nix code reads
//! it, so an implementation that forces values on access (the evaluator's) forces exactly
//! what nixpkgs forces: `_type` first, an `mkIf`'s condition only when discharging, its
//! content only when the condition holds, a priority only when filtering or sorting.

use crate::stable_sort::stable_sort;

/// `mkForce`.
pub const MK_FORCE: i64 = 50;
/// A plain definition (`defaultOverridePriority`).
pub const DEFAULT_PRIORITY: i64 = 100;
/// `mkDefault`.
pub const MK_DEFAULT: i64 = 1000;
/// `mkOptionDefault`: the option's own default.
pub const MK_OPTION_DEFAULT: i64 = 1500;
/// `highestPrio` of no definitions: `filterOverrides'` folds `min` from it.
pub const NO_PRIORITY: i64 = 9999;
/// The order of a definition without `mkOrder` (`defaultOrderPriority`).
pub const DEFAULT_ORDER: i64 = 1000;
/// `mkBefore`.
pub const MK_BEFORE: i64 = 500;
/// `mkAfter`.
pub const MK_AFTER: i64 = 1500;

/// `propertyType`: what a value's `_type` says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyType {
    Merge,
    If,
    Override,
    Order,
    /// `mkDefinition`'s marker: a definition with its own file, which `mergeDefinitions`
    /// takes as a definition of its own (dischargeProperties leaves it as it is).
    Definition,
    /// Not a property: no attrset, no `_type`, or another one.
    None,
}

impl PropertyType {
    /// What a `_type` string says.
    pub fn of_tag(tag: &str) -> PropertyType {
        match tag {
            "merge" => PropertyType::Merge,
            "if" => PropertyType::If,
            "override" => PropertyType::Override,
            "order" => PropertyType::Order,
            "definition" => PropertyType::Definition,
            _ => PropertyType::None,
        }
    }
}

/// A definition's value as `dischargeProperties` and `pushDownProperties` both read it.
pub trait Values {
    type Value;
    type Error;
    /// `v._type or ""`.
    fn property_type(&self, v: &Self::Value) -> Result<PropertyType, Self::Error>;
    /// `v.content` of an `mkIf` or `mkOverride` (`v.value` of an `mkDefinition`).
    fn content(&self, v: &Self::Value) -> Result<Self::Value, Self::Error>;
    /// `v.contents` of an `mkMerge`.
    fn contents(&self, v: &Self::Value) -> Result<Vec<Self::Value>, Self::Error>;
    /// What a failure does: stop (the evaluator, as Nix does), or be kept while the other
    /// definitions go on (definition trees, which report every malformed property).
    fn failed(&self, error: Self::Error, errors: &mut Vec<Self::Error>) -> Result<(), Self::Error> {
        let _ = errors;
        Err(error)
    }
}

/// Values whose `mkIf`s can be decided (`dischargeProperties`).
pub trait Discharge: Values {
    /// An `mkIf`'s condition; a condition that is no bool is the error nixpkgs throws
    /// ("‘mkIf’ called with a non-Boolean condition").
    fn condition(&self, v: &Self::Value) -> Result<bool, Self::Error>;
}

/// Values that properties can be pushed down into (`pushDownProperties`).
pub trait PushDown: Values {
    /// `mapAttrs (n: a: mkIf property.condition a) pushed` for an `mkIf` property, and
    /// likewise with `mkOverride property.priority` for an `mkOverride`.
    fn push_into_attributes(&self, property: &Self::Value, pushed: Self::Value) -> Result<Self::Value, Self::Error>;
}

/// A definition record (`{ file, value }`) as `filterOverrides'` and `sortProperties` read it.
pub trait Definitions {
    type Def;
    type Priority: Clone;
    type Error;
    /// `def.value._type or ""`.
    fn property_type(&self, def: &Self::Def) -> Result<PropertyType, Self::Error>;
    /// `def.value.priority` of an `mkOverride`.
    fn override_priority(&self, def: &Self::Def) -> Result<Self::Priority, Self::Error>;
    /// A priority that is a constant of the lib.
    fn constant(&self, priority: i64) -> Self::Priority;
    /// `def // { value = def.value.content; }`.
    fn with_content(&self, def: &Self::Def) -> Result<Self::Def, Self::Error>;
    /// `a < b`.
    fn less(&self, a: &Self::Priority, b: &Self::Priority) -> Result<bool, Self::Error>;
    /// `a == b`.
    fn same(&self, a: &Self::Priority, b: &Self::Priority) -> Result<bool, Self::Error>;
}

/// Definition records that carry an order (`sortProperties`).
pub trait Ordered: Definitions {
    /// `def // { value = def.value.content; inherit (def.value) priority; }` of an `mkOrder`.
    fn with_order(&self, def: &Self::Def) -> Result<Self::Def, Self::Error>;
    /// `def.priority or defaultOrderPriority`.
    fn order(&self, def: &Self::Def) -> Result<Self::Priority, Self::Error>;
}

/// `dischargeProperties v`: `mkMerge`s expanded and `mkIf`s decided; the values left go to
/// `out`. A failure goes to [`Values::failed`].
pub fn discharge<S: Discharge>(
    src: &S,
    v: S::Value,
    out: &mut Vec<S::Value>,
    errors: &mut Vec<S::Error>,
) -> Result<(), S::Error> {
    let step = match src.property_type(&v) {
        Ok(PropertyType::Merge) => src.contents(&v).and_then(|items| {
            for item in items {
                discharge(src, item, out, errors)?;
            }
            Ok(())
        }),
        Ok(PropertyType::If) => match src.condition(&v) {
            Ok(true) => src.content(&v).and_then(|c| discharge(src, c, out, errors)),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
        Ok(_) => {
            out.push(v);
            Ok(())
        }
        Err(e) => Err(e),
    };
    match step {
        Err(e) => src.failed(e, errors),
        ok => ok,
    }
}

/// `mkDefinition`'s markers among discharged values, each replaced by its value: a definition
/// of its own for `mergeDefinitions`, taken undischarged (an override or order inside it still
/// counts, an `mkIf` or `mkMerge` does not). For sources whose definitions are values without
/// a record; the evaluator's keeps the marker's record (its `file`).
pub fn take_definitions<S: Values>(src: &S, discharged: &mut [S::Value]) -> Result<(), S::Error> {
    for v in discharged {
        if src.property_type(v)? == PropertyType::Definition {
            *v = src.content(v)?;
        }
    }
    Ok(())
}

/// `pushDownProperties cfg`: `mkMerge` expanded and `mkIf`/`mkOverride` moved onto each
/// attribute of their content; a condition is never read here. `mkOrder` is left in place,
/// as nixpkgs leaves it.
pub fn push_down<S: PushDown>(
    src: &S,
    cfg: S::Value,
    out: &mut Vec<S::Value>,
    errors: &mut Vec<S::Error>,
) -> Result<(), S::Error> {
    let step = match src.property_type(&cfg) {
        Ok(PropertyType::Merge) => src.contents(&cfg).and_then(|items| {
            for item in items {
                push_down(src, item, out, errors)?;
            }
            Ok(())
        }),
        Ok(PropertyType::If | PropertyType::Override) => src.content(&cfg).and_then(|content| {
            let mut inner = Vec::new();
            push_down(src, content, &mut inner, errors)?;
            for pushed in inner {
                match src.push_into_attributes(&cfg, pushed) {
                    Ok(v) => out.push(v),
                    Err(e) => src.failed(e, errors)?,
                }
            }
            Ok(())
        }),
        Ok(_) => {
            out.push(cfg);
            Ok(())
        }
        Err(e) => Err(e),
    };
    match step {
        Err(e) => src.failed(e, errors),
        ok => ok,
    }
}

/// What `filterOverrides'` gives: `values` and `highestPrio`.
pub type Overridden<S> = (Vec<<S as Definitions>::Def>, <S as Definitions>::Priority);

/// `getPrio def`, and whether it is an `mkOverride`.
fn override_priority<S: Definitions>(src: &S, def: &S::Def) -> Result<(S::Priority, bool), S::Error> {
    Ok(match src.property_type(def)? {
        PropertyType::Override => (src.override_priority(def)?, true),
        _ => (src.constant(DEFAULT_PRIORITY), false),
    })
}

/// `filterOverrides' defs`: the definitions of the highest priority (numerically lowest), each
/// `mkOverride` taken off, and that priority (`NO_PRIORITY` without definitions).
pub fn filter_overrides<S: Definitions>(src: &S, defs: Vec<S::Def>) -> Result<Overridden<S>, S::Error> {
    let mut highest = src.constant(NO_PRIORITY);
    let mut priorities = Vec::with_capacity(defs.len());
    for def in &defs {
        let (priority, is_override) = override_priority(src, def)?;
        // `min (getPrio def) prio`
        if src.less(&priority, &highest)? {
            highest = priority.clone();
        }
        priorities.push((priority, is_override));
    }
    let mut kept = Vec::with_capacity(defs.len());
    for (def, (priority, is_override)) in defs.into_iter().zip(priorities) {
        if src.same(&priority, &highest)? {
            kept.push(if is_override { src.with_content(&def)? } else { def });
        }
    }
    Ok((kept, highest))
}

/// `sortProperties defs`: each `mkOrder` taken off (its priority kept on the definition), then
/// sorted stably by that priority.
pub fn sort_properties<S: Ordered>(src: &S, defs: Vec<S::Def>) -> Result<Vec<S::Def>, S::Error> {
    let mut stripped = Vec::with_capacity(defs.len());
    for def in defs {
        stripped.push(match src.property_type(&def)? {
            PropertyType::Order => src.with_order(&def)?,
            _ => def,
        });
    }
    stable_sort(stripped, &|a, b| src.less(&src.order(a)?, &src.order(b)?))
}

/// `defsSorted` of `mergeDefinitions`: [`sort_properties`] when any definition is an `mkOrder`
/// (each `_type` read, as `any` reads them), else the definitions as they are.
pub fn sort_if_ordered<S: Ordered>(src: &S, defs: Vec<S::Def>) -> Result<Vec<S::Def>, S::Error> {
    for def in &defs {
        if src.property_type(def)? == PropertyType::Order {
            return sort_properties(src, defs);
        }
    }
    Ok(defs)
}

#[cfg(test)]
mod tests {
    //! The rules over a source that records every read (see [`super::super::recording`]).
    use super::super::recording::{Recording, V, when};
    use super::*;

    #[test]
    fn discharge_never_reads_what_a_false_condition_guards() {
        let r = Recording::default();
        let v = V::Merge(vec![
            when(false, V::Merge(vec![V::Plain(1)])),
            when(true, V::Override(50, Box::new(V::Plain(2)))),
        ]);
        let mut out = Vec::new();
        discharge(&r, v, &mut out, &mut Vec::new()).unwrap();
        assert_eq!(out, [V::Override(50, Box::new(V::Plain(2)))]);
        // The override's priority is not read here: only filtering reads it.
        assert_eq!(
            r.take(),
            [
                "type:merge",
                "contents:merge",
                "type:if",
                "condition:if",
                "type:if",
                "condition:if",
                "content:if",
                "type:override50",
            ]
        );
    }

    #[test]
    fn a_failure_stops_discharging_by_default() {
        let r = Recording::default();
        let v = V::Merge(vec![V::If(Err("not a bool"), Box::new(V::Plain(1))), V::Plain(2)]);
        let mut out = Vec::new();
        assert_eq!(
            discharge(&r, v, &mut out, &mut Vec::new()),
            Err("not a bool".to_string())
        );
        assert!(out.is_empty(), "nothing after the failure is read: {out:?}");
    }

    #[test]
    fn push_down_reads_no_condition_and_wraps_each_attribute() {
        let r = Recording::default();
        let v = when(
            false,
            V::Merge(vec![
                V::Attrs(vec![("a", V::Plain(1))]),
                V::Attrs(vec![("b", V::Plain(2))]),
            ]),
        );
        let mut out = Vec::new();
        push_down(&r, v, &mut out, &mut Vec::new()).unwrap();
        assert_eq!(
            out,
            [
                V::Attrs(vec![("a", when(false, V::Plain(1)))]),
                V::Attrs(vec![("b", when(false, V::Plain(2)))]),
            ]
        );
        assert!(r.take().iter().all(|read| !read.starts_with("condition")));
    }

    fn def(v: V) -> (V, i64) {
        (v, DEFAULT_ORDER)
    }

    #[test]
    fn filter_overrides_keeps_the_lowest_number_and_strips_its_wrapper() {
        let r = Recording::default();
        let defs = vec![
            def(V::Override(MK_DEFAULT, Box::new(V::Plain(1)))),
            def(V::Plain(2)),
            def(V::Override(MK_FORCE, Box::new(V::Plain(3)))),
            def(V::Override(
                MK_FORCE,
                Box::new(V::Order(MK_BEFORE, Box::new(V::Plain(4)))),
            )),
        ];
        let (kept, highest) = filter_overrides(&r, defs).unwrap();
        assert_eq!(highest, MK_FORCE);
        assert_eq!(
            kept,
            [def(V::Plain(3)), def(V::Order(MK_BEFORE, Box::new(V::Plain(4))))]
        );
        assert_eq!(filter_overrides(&r, Vec::new()).unwrap().1, NO_PRIORITY);
    }

    #[test]
    fn sorting_is_stable_and_only_where_an_order_is_given() {
        let r = Recording::default();
        let plain = vec![def(V::Plain(1)), def(V::Plain(2))];
        assert_eq!(sort_if_ordered(&r, plain.clone()).unwrap(), plain);
        let defs = vec![
            def(V::Order(MK_AFTER, Box::new(V::Plain(1)))),
            def(V::Plain(2)),
            def(V::Order(MK_BEFORE, Box::new(V::Plain(3)))),
            def(V::Plain(4)),
        ];
        let sorted: Vec<V> = sort_if_ordered(&r, defs).unwrap().into_iter().map(|d| d.0).collect();
        assert_eq!(sorted, [V::Plain(3), V::Plain(2), V::Plain(4), V::Plain(1)]);
    }
}
