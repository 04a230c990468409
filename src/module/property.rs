//! The module system's properties over definition trees: `mkIf`, `mkMerge`, `mkOverride`,
//! `mkOrder`, and the `mkDefinition` marker (`_type = "definition"`: a definition with its own
//! file), read from a tree as `nix eval --json` prints them (plain attrsets with `_type`).
//!
//! The rules themselves (`pushDownProperties`, `dischargeProperties`, `filterOverrides'`,
//! `sortProperties`) and the priorities are [`crate::module_rules`]'s, written once for every
//! place definitions come from; this file says how a tree answers what they read
//! ([`Trees`]) and gives the module stage their tree-shaped forms.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::module_rules::{self, Definitions, Discharge, Ordered, PropertyType, PushDown, Values};
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::Span;
use std::borrow::Cow;
use std::convert::Infallible;
use std::marker::PhantomData;

pub use crate::module_rules::{
    DEFAULT_ORDER, DEFAULT_PRIORITY, MK_AFTER, MK_BEFORE, MK_DEFAULT, MK_FORCE, MK_OPTION_DEFAULT,
};

/// One definition of an option: its value, the order priority `mkOrder` gave it, and — for
/// an option's default — the override priority that `mkOptionDefault` would wrap it in.
#[derive(Clone, Debug)]
pub struct Def<'a> {
    pub value: Cow<'a, Node>,
    pub order: i64,
    /// `Some` when the priority is given outside the value (an option default), so that
    /// the default need not be copied into a wrapper.
    pub priority: Option<i64>,
}

impl<'a> Def<'a> {
    pub fn new(value: &'a Node) -> Def<'a> {
        Def {
            value: Cow::Borrowed(value),
            order: DEFAULT_ORDER,
            priority: None,
        }
    }

    pub fn owned(value: Node) -> Def<'a> {
        Def {
            value: Cow::Owned(value),
            order: DEFAULT_ORDER,
            priority: None,
        }
    }

    /// The option default: `mkOptionDefault value`.
    pub fn option_default(value: &'a Node) -> Def<'a> {
        Def {
            priority: Some(MK_OPTION_DEFAULT),
            ..Def::new(value)
        }
    }

    /// The same definition with another value (a part of this one).
    fn with_value(&self, value: Cow<'a, Node>) -> Def<'a> {
        Def {
            value,
            order: self.order,
            priority: self.priority,
        }
    }

    pub fn span(&self) -> Span {
        self.value.span
    }

    /// A definition without properties: not an option default, and not a property marker
    /// (nor anything that could be a malformed one, which `discharge` would report).
    pub fn is_plain(&self) -> bool {
        self.priority.is_none() && self.order == DEFAULT_ORDER && !is_property(&self.value)
    }
}

/// A property marker, read from its attrset (its fields checked: what the rules read of it
/// besides is read where they read it).
enum Property<'n> {
    If { condition: &'n Node },
    Merge,
    Override { priority: i64 },
    Order { priority: i64 },
    Definition,
}

/// Read a property marker; `Ok(None)` for any other value. A marker with missing or
/// ill-typed fields is an error (nixpkgs would fail on it too, less clearly).
fn property(node: &Node) -> Result<Option<Property<'_>>, Diagnostic> {
    let Some(attrs) = node.attrs() else { return Ok(None) };
    let Some(tag) = attrs.type_attr().and_then(Node::as_str) else {
        return Ok(None);
    };
    let field = |name: &str, what: &str| {
        attrs.get(name).ok_or_else(|| {
            Diagnostic::new(Code::InvalidProperty, format!("a `{tag}` property without `{name}`")).at(
                node.span,
                format!("this `_type = \"{tag}\"` attrset needs `{name}` ({what})"),
            )
        })
    };
    let priority = |n: &Node| match n.kind {
        Kind::Int(p) => Ok(p),
        _ => Err(Diagnostic::new(
            Code::InvalidProperty,
            format!(
                "the priority of a `{tag}` property must be an integer, not a {}",
                n.type_name()
            ),
        )
        .at(n.span, "expected an integer")),
    };
    Ok(Some(match tag {
        "if" => {
            let condition = field("condition", "a bool")?;
            field("content", "the value")?;
            Property::If { condition }
        }
        "merge" => {
            let contents = field("contents", "a list of definitions")?;
            match contents.as_list() {
                Some(_) => Property::Merge,
                None => {
                    return Err(Diagnostic::new(
                        Code::InvalidProperty,
                        format!("`mkMerge` takes a list, not a {}", contents.type_name()),
                    )
                    .at(contents.span, "expected a list of definitions"));
                }
            }
        }
        "override" => {
            let priority = priority(field("priority", "an integer")?)?;
            field("content", "the value")?;
            Property::Override { priority }
        }
        "order" => {
            field("content", "the value")?;
            Property::Order {
                priority: priority(field("priority", "an integer")?)?,
            }
        }
        "definition" => {
            field("value", "the defined value")?;
            Property::Definition
        }
        _ => return Ok(None),
    }))
}

fn make_if(condition: &Node, content: &Node, span: Span) -> Node {
    marker(
        span,
        "if",
        vec![("condition", condition.clone()), ("content", content.clone())],
    )
}

fn make_override(priority: i64, content: &Node, span: Span) -> Node {
    marker(
        span,
        "override",
        vec![
            ("content", content.clone()),
            ("priority", Node::new(span, Kind::Int(priority))),
        ],
    )
}

fn marker(span: Span, tag: &str, fields: Vec<(&str, Node)>) -> Node {
    let mut entries = vec![Entry {
        key: "_type".into(),
        key_span: span,
        value: Node::str(span, tag),
    }];
    entries.extend(fields.into_iter().map(|(k, v)| Entry {
        key: k.into(),
        key_span: span,
        value: v,
    }));
    // The content keeps its own span so that diagnostics point at the value, not the marker.
    Node::new(span, Kind::Attrs(Attrs::from_entries(entries)))
}

/// A part of a definition's value: borrowed when the value is, so that walking into the
/// input copies nothing.
fn part<'a>(whole: &Cow<'a, Node>, pick: impl for<'x> Fn(&'x Node) -> Option<&'x Node>) -> Option<Cow<'a, Node>> {
    match whole {
        Cow::Borrowed(n) => pick(n).map(Cow::Borrowed),
        Cow::Owned(n) => pick(n).map(|c| Cow::Owned(c.clone())),
    }
}

/// Definition trees as the rules of [`crate::module_rules`] read them. A malformed property
/// is an error where it is discharged or pushed down, reported with every other one; once
/// discharged, filtering and sorting read a tree without failing (what discharging kept is
/// well-formed, and an `mkDefinition`'s value is taken as a plain value where it is not).
pub struct Trees<'a>(PhantomData<&'a Node>);

impl Trees<'_> {
    pub const fn new() -> Self {
        Trees(PhantomData)
    }
}

impl Default for Trees<'_> {
    fn default() -> Self {
        Trees::new()
    }
}

impl PropertyType {
    fn of(p: &Property) -> PropertyType {
        match p {
            Property::If { .. } => PropertyType::If,
            Property::Merge => PropertyType::Merge,
            Property::Override { .. } => PropertyType::Override,
            Property::Order { .. } => PropertyType::Order,
            Property::Definition => PropertyType::Definition,
        }
    }
}

impl<'a> Values for Trees<'a> {
    type Value = Def<'a>;
    type Error = Diagnostic;

    fn property_type(&self, def: &Def<'a>) -> Result<PropertyType, Diagnostic> {
        if def.priority.is_some() {
            // An option default: `mkOptionDefault value`, without the wrapper.
            return Ok(PropertyType::Override);
        }
        Ok(property(&def.value)?
            .as_ref()
            .map_or(PropertyType::None, PropertyType::of))
    }

    fn content(&self, def: &Def<'a>) -> Result<Def<'a>, Diagnostic> {
        if def.priority.is_some() {
            return Ok(Def {
                priority: None,
                ..def.clone()
            });
        }
        // `property` checked the marker's fields when its type was read: only which field
        // holds the content is left to tell.
        let field = match def.value.type_tag() {
            Some("definition") => "value",
            _ => "content",
        };
        Ok(part(&def.value, |n| n.attrs()?.get(field)).map_or_else(|| def.clone(), |c| def.with_value(c)))
    }

    fn contents(&self, def: &Def<'a>) -> Result<Vec<Def<'a>>, Diagnostic> {
        let count = def
            .value
            .attrs()
            .and_then(|a| a.get("contents"))
            .and_then(Node::as_list)
            .map_or(0, <[Node]>::len);
        Ok((0..count)
            .filter_map(|i| part(&def.value, |n| n.attrs()?.get("contents")?.as_list()?.get(i)))
            .map(|item| def.with_value(item))
            .collect())
    }

    fn failed(&self, error: Diagnostic, errors: &mut Vec<Diagnostic>) -> Result<(), Diagnostic> {
        errors.push(error);
        Ok(())
    }
}

impl<'a> Discharge for Trees<'a> {
    fn condition(&self, def: &Def<'a>) -> Result<bool, Diagnostic> {
        let Some(Property::If { condition, .. }) = property(&def.value)? else {
            unreachable!("`condition` is read of an `mkIf` only");
        };
        match condition.kind {
            Kind::Bool(b) => Ok(b),
            _ => Err(
                Diagnostic::new(Code::InvalidProperty, "‘mkIf’ called with a non-Boolean condition").at(
                    condition.span,
                    format!("this condition is a {}, not a bool", condition.type_name()),
                ),
            ),
        }
    }
}

impl<'a> PushDown for Trees<'a> {
    fn push_into_attributes(&self, property_def: &Def<'a>, pushed: Def<'a>) -> Result<Def<'a>, Diagnostic> {
        let Some(attrs) = pushed.value.attrs() else {
            return Err(Diagnostic::new(
                Code::TypeMismatch,
                format!("expected an attribute set here, found a {}", pushed.value.type_name()),
            )
            .at(pushed.value.span, "not an attribute set"));
        };
        let span = property_def.value.span;
        let wrap: &dyn Fn(&Node) -> Node = match property(&property_def.value)? {
            Some(Property::If { condition, .. }) => &move |v| make_if(condition, v, span),
            Some(Property::Override { priority, .. }) => &move |v| make_override(priority, v, span),
            _ => unreachable!("only `mkIf` and `mkOverride` are pushed into attributes"),
        };
        let entries = attrs
            .entries
            .iter()
            .map(|e| Entry {
                key: e.key.clone(),
                key_span: e.key_span,
                value: wrap(&e.value),
            })
            .collect();
        Ok(Def::owned(Node::new(pushed.value.span, Kind::Attrs(Attrs { entries }))))
    }
}

impl<'a> Definitions for Trees<'a> {
    type Def = Def<'a>;
    type Priority = i64;
    type Error = Infallible;

    fn property_type(&self, def: &Def<'a>) -> Result<PropertyType, Infallible> {
        Ok(Values::property_type(self, def).unwrap_or(PropertyType::None))
    }

    fn override_priority(&self, def: &Def<'a>) -> Result<i64, Infallible> {
        Ok(match (def.priority, property(&def.value)) {
            (Some(p), _) | (None, Ok(Some(Property::Override { priority: p, .. }))) => p,
            _ => unreachable!("the priority is read of an `mkOverride` only"),
        })
    }

    fn constant(&self, priority: i64) -> i64 {
        priority
    }

    fn with_content(&self, def: &Def<'a>) -> Result<Def<'a>, Infallible> {
        Ok(Values::content(self, def).unwrap_or_else(|_| def.clone()))
    }

    fn less(&self, a: &i64, b: &i64) -> Result<bool, Infallible> {
        Ok(a < b)
    }

    fn same(&self, a: &i64, b: &i64) -> Result<bool, Infallible> {
        Ok(a == b)
    }
}

impl<'a> Ordered for Trees<'a> {
    fn with_order(&self, def: &Def<'a>) -> Result<Def<'a>, Infallible> {
        let Ok(Some(Property::Order { priority })) = property(&def.value) else {
            unreachable!("`with_order` is read of an `mkOrder` only");
        };
        Ok(match part(&def.value, |n| n.attrs()?.get("content")) {
            Some(c) => Def {
                order: priority,
                ..def.with_value(c)
            },
            None => def.clone(),
        })
    }

    fn order(&self, def: &Def<'a>) -> Result<i64, Infallible> {
        Ok(def.order)
    }
}

/// `pushDownProperties`: the attrsets a definition of a non-option attribute level stands for,
/// with `mkIf`/`mkOverride` moved onto each of their attributes.
pub fn push_down<'a>(node: Cow<'a, Node>, out: &mut Vec<Cow<'a, Node>>, diags: &mut Diagnostics) {
    let mut pushed = Vec::new();
    let mut errors = Vec::new();
    let def = Def {
        value: node,
        order: DEFAULT_ORDER,
        priority: None,
    };
    // Trees keep going after a failure: every one is in `errors`.
    let _ = module_rules::push_down(&Trees::new(), def, &mut pushed, &mut errors);
    out.extend(pushed.into_iter().map(|d| d.value));
    for e in errors {
        diags.push(e);
    }
}

/// Whether a value is a property marker (`mkIf`, `mkMerge`, `mkOverride`, `mkOrder`,
/// `mkDefinition`).
pub fn is_property(node: &Node) -> bool {
    node.type_tag()
        .is_some_and(|t| PropertyType::of_tag(t) != PropertyType::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node of JSON text, read with serde_json: the JSON frontend is a stage above this one.
    fn node(text: &str) -> Node {
        Node::from_json(serde_json::from_str(text).expect("test JSON parses"))
    }

    fn values(defs: &[Def]) -> Vec<String> {
        defs.iter().map(|d| d.value.to_json().to_string()).collect()
    }

    /// `dischargeProperties` of the rules over trees, each `mkDefinition` marker then taken
    /// as its value (as `mergeDefinitions` takes it).
    fn discharge<'a>(def: Def<'a>, out: &mut Vec<Def<'a>>, errors: &mut Vec<Diagnostic>) {
        let trees = Trees::new();
        let _ = module_rules::discharge(&trees, def, out, errors);
        module_rules::take_definitions(&trees, out).expect("well-formed markers");
    }

    fn filter_overrides(defs: Vec<Def<'_>>) -> (Vec<Def<'_>>, i64) {
        let Ok(filtered) = module_rules::filter_overrides(&Trees::new(), defs);
        filtered
    }

    fn sort_by_order(defs: Vec<Def<'_>>) -> Vec<Def<'_>> {
        let Ok(sorted) = module_rules::sort_if_ordered(&Trees::new(), defs);
        sorted
    }

    #[test]
    fn discharge_expands_merge_and_if() {
        let n = node(
            r#"{"_type":"merge","contents":[1,{"_type":"if","condition":false,"content":2},{"_type":"if","condition":true,"content":3}]}"#,
        );
        let mut out = Vec::new();
        let mut errors = Vec::new();
        discharge(Def::new(&n), &mut out, &mut errors);
        assert_eq!(values(&out), ["1", "3"]);
        assert!(errors.is_empty());
    }

    #[test]
    fn non_bool_condition_is_an_error() {
        let n = node(r#"{"_type":"if","condition":"yes","content":2}"#);
        let mut out = Vec::new();
        let mut errors = Vec::new();
        discharge(Def::new(&n), &mut out, &mut errors);
        assert!(out.is_empty());
        assert_eq!(errors[0].code, Code::InvalidProperty);
    }

    #[test]
    fn overrides_keep_the_lowest_number() {
        let a = node(r#"{"_type":"override","priority":1000,"content":"default"}"#);
        let b = node(r#""plain""#);
        let c = node(r#"{"_type":"override","priority":50,"content":"forced"}"#);
        let (kept, prio) = filter_overrides(vec![Def::new(&a), Def::new(&b), Def::new(&c)]);
        assert_eq!(prio, MK_FORCE);
        assert_eq!(values(&kept), [r#""forced""#]);
        let (kept, prio) = filter_overrides(vec![Def::new(&a), Def::new(&b)]);
        assert_eq!(
            (values(&kept), prio),
            (vec![r#""plain""#.to_string()], DEFAULT_PRIORITY)
        );
    }

    #[test]
    fn a_definition_marker_stands_for_its_value_undischarged() {
        // Inside a mkMerge; its value's mkForce still counts, its mkIf is not evaluated.
        let n = node(
            r#"{"_type":"merge","contents":["plain",{"_type":"definition","file":"/f.nix","value":{"_type":"override","priority":50,"content":"forced"}},{"_type":"definition","file":"/g.nix","value":{"_type":"if","condition":false,"content":1}}]}"#,
        );
        let mut out = Vec::new();
        let mut errors = Vec::new();
        discharge(Def::new(&n), &mut out, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(values(&out)[2], r#"{"_type":"if","condition":false,"content":1}"#);
        let (kept, priority) = filter_overrides(out);
        assert_eq!((values(&kept), priority), (vec![r#""forced""#.to_owned()], MK_FORCE));
    }

    #[test]
    fn order_sorts_stably() {
        let a = node(r#"{"_type":"order","priority":1500,"content":"late"}"#);
        let b = node(r#""plain1""#);
        let c = node(r#"{"_type":"order","priority":500,"content":"early"}"#);
        let d = node(r#""plain2""#);
        let sorted = sort_by_order(vec![Def::new(&a), Def::new(&b), Def::new(&c), Def::new(&d)]);
        assert_eq!(
            values(&sorted),
            [r#""early""#, r#""plain1""#, r#""plain2""#, r#""late""#]
        );
    }

    #[test]
    fn push_down_moves_if_onto_attributes() {
        let n = node(r#"{"_type":"if","condition":true,"content":{"a":1,"b":2}}"#);
        let mut out = Vec::new();
        let mut diags = Diagnostics::new();
        push_down(Cow::Borrowed(&n), &mut out, &mut diags);
        assert_eq!(out.len(), 1);
        let a = out[0].attrs().unwrap().get("a").unwrap();
        assert_eq!(a.type_tag(), Some("if"));
    }
}
