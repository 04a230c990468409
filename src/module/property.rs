//! The module system's properties: `mkIf`, `mkMerge`, `mkOverride`, `mkOrder`, and the
//! `mkDefinition` marker (`_type = "definition"`: a definition with its own file).
//!
//! These follow nixpkgs `lib/modules.nix` function by function: [`push_down`] is
//! `pushDownProperties` (for attribute levels that are not options), [`discharge`] is
//! `dischargeProperties`, [`filter_overrides`] is `filterOverrides'` and [`sort_by_order`] is
//! `sortProperties`. `discharge` and `filter_overrides` take any [`Definition`]: the module
//! stage's trees, and the Nix frontend's evaluated values (which it merges itself for
//! `_module.args` and the namespaces' names). A property is a plain attrset with `_type`, as `nix eval --json` prints it.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::Span;
use std::borrow::Cow;

/// `mkForce`.
pub const MK_FORCE: i64 = 50;
/// A plain definition.
pub const DEFAULT_PRIORITY: i64 = 100;
/// `mkDefault`.
pub const MK_DEFAULT: i64 = 1000;
/// `mkOptionDefault`: the option's own default.
pub const MK_OPTION_DEFAULT: i64 = 1500;
/// The order of a definition without `mkOrder`.
pub const DEFAULT_ORDER: i64 = 1000;
/// `mkBefore`.
pub const MK_BEFORE: i64 = 500;
/// `mkAfter`.
pub const MK_AFTER: i64 = 1500;

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

/// A property marker, read from its attrset.
enum Property<'n> {
    If { condition: &'n Node, content: &'n Node },
    Merge { contents: &'n [Node] },
    Override { priority: i64, content: &'n Node },
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
        "if" => Property::If {
            condition: field("condition", "a bool")?,
            content: field("content", "the value")?,
        },
        "merge" => {
            let contents = field("contents", "a list of definitions")?;
            match contents.as_list() {
                Some(list) => Property::Merge { contents: list },
                None => {
                    return Err(Diagnostic::new(
                        Code::InvalidProperty,
                        format!("`mkMerge` takes a list, not a {}", contents.type_name()),
                    )
                    .at(contents.span, "expected a list of definitions"));
                }
            }
        }
        "override" => Property::Override {
            priority: priority(field("priority", "an integer")?)?,
            content: field("content", "the value")?,
        },
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

/// `pushDownProperties`: the attrsets a definition of a non-option attribute level stands for,
/// with `mkIf`/`mkOverride` moved onto each of their attributes.
pub fn push_down<'a>(node: Cow<'a, Node>, out: &mut Vec<Cow<'a, Node>>, diags: &mut Diagnostics) {
    let prop = match property(&node) {
        Ok(p) => p,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    // Wrap every attribute of what `content` pushes down to in a copy of the property.
    let wrap_each =
        |content: &Node, out: &mut Vec<Cow<'a, Node>>, diags: &mut Diagnostics, wrap: &dyn Fn(&Node) -> Node| {
            let mut inner = Vec::new();
            push_down(Cow::Owned(content.clone()), &mut inner, diags);
            for v in inner {
                match v.attrs() {
                    Some(attrs) => {
                        let entries = attrs
                            .entries
                            .iter()
                            .map(|e| Entry {
                                key: e.key.clone(),
                                key_span: e.key_span,
                                value: wrap(&e.value),
                            })
                            .collect();
                        out.push(Cow::Owned(Node::new(v.span, Kind::Attrs(Attrs { entries }))));
                    }
                    None => diags.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("expected an attribute set here, found a {}", v.type_name()),
                        )
                        .at(v.span, "not an attribute set"),
                    ),
                }
            }
        };
    match prop {
        Some(Property::Merge { contents }) => {
            let contents: Vec<Node> = contents.to_vec();
            for c in contents {
                push_down(Cow::Owned(c), out, diags);
            }
        }
        Some(Property::If { condition, content }) => {
            let marker = node.span;
            wrap_each(content, out, diags, &|v| make_if(condition, v, marker));
        }
        Some(Property::Override { priority, content }) => {
            let marker = node.span;
            wrap_each(content, out, diags, &|v| make_override(priority, v, marker));
        }
        Some(Property::Order { .. } | Property::Definition) | None => out.push(node),
    }
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

fn content(n: &Node) -> Option<&Node> {
    n.attrs()?.get("content")
}

/// What `dischargeProperties` and `filterOverrides'` read of a definition: the property
/// marker it is (an `mkIf`'s condition evaluated, nothing else of it read) and its parts.
/// Implemented for definition trees ([`Def`]) and, in the Nix frontend, for evaluated values,
/// so that both follow this one copy of the two functions.
pub trait Definition: Sized {
    type Error;
    /// Which marker it is.
    fn marker(&self) -> Result<Marker, Self::Error>;
    /// The content of an `mkIf`, `mkOverride` or `mkOrder`, or the value of an `mkDefinition`.
    fn content(&self) -> Result<Self, Self::Error>;
    /// The contents of an `mkMerge`.
    fn contents(&self) -> Result<Vec<Self>, Self::Error>;
}

/// A property marker as [`Definition::marker`] reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Marker {
    /// `mkIf` with its condition.
    If(bool),
    Merge,
    /// `mkOverride` with its priority.
    Override(i64),
    /// `mkOrder` with its priority.
    Order(i64),
    /// `mkDefinition` (`_type = "definition"`): its value is a definition of its own.
    Definition,
    /// No property.
    Plain,
}

impl<'a> Definition for Def<'a> {
    type Error = Diagnostic;

    fn marker(&self) -> Result<Marker, Diagnostic> {
        if let Some(p) = self.priority {
            // An option default: `mkOptionDefault value`, without the wrapper.
            return Ok(Marker::Override(p));
        }
        Ok(match property(&self.value)? {
            None => Marker::Plain,
            Some(Property::Merge { .. }) => Marker::Merge,
            Some(Property::If { condition, .. }) => match condition.kind {
                Kind::Bool(b) => Marker::If(b),
                _ => {
                    return Err(
                        Diagnostic::new(Code::InvalidProperty, "‘mkIf’ called with a non-Boolean condition").at(
                            condition.span,
                            format!("this condition is a {}, not a bool", condition.type_name()),
                        ),
                    );
                }
            },
            Some(Property::Override { priority, .. }) => Marker::Override(priority),
            Some(Property::Order { priority }) => Marker::Order(priority),
            Some(Property::Definition) => Marker::Definition,
        })
    }

    fn content(&self) -> Result<Def<'a>, Diagnostic> {
        if self.priority.is_some() {
            return Ok(Def {
                priority: None,
                ..self.clone()
            });
        }
        // `property` checked the marker's fields when `marker` read it: only which field
        // holds the content is left to tell.
        let definition = self
            .value
            .attrs()
            .and_then(|a| a.get("_type"))
            .and_then(Node::as_str)
            .is_some_and(|t| t == "definition");
        let field = if definition { "value" } else { "content" };
        Ok(part(&self.value, |n| n.attrs()?.get(field)).map_or_else(|| self.clone(), |c| self.with_value(c)))
    }

    fn contents(&self) -> Result<Vec<Def<'a>>, Diagnostic> {
        let count = self
            .value
            .attrs()
            .and_then(|a| a.get("contents"))
            .and_then(Node::as_list)
            .map_or(0, <[Node]>::len);
        Ok((0..count)
            .filter_map(|i| part(&self.value, |n| n.attrs()?.get("contents")?.as_list()?.get(i)))
            .map(|item| self.with_value(item))
            .collect())
    }
}

/// `dischargeProperties`: expand `mkMerge` and evaluate `mkIf`, leaving overrides and orders.
/// A malformed property is an error and leaves its definition out; the others go on.
pub fn discharge<D: Definition>(def: D, out: &mut Vec<D>, errors: &mut Vec<D::Error>) {
    let done = match def.marker() {
        Ok(Marker::Merge) => def.contents().map(|items| {
            for item in items {
                discharge(item, out, errors);
            }
        }),
        Ok(Marker::If(true)) => def.content().map(|c| discharge(c, out, errors)),
        Ok(Marker::If(false)) => Ok(()),
        // nixpkgs' `mergeDefinitions` takes an `mkDefinition`'s value as the definition,
        // undischarged: an override or order inside it still counts, a `mkIf` or `mkMerge`
        // does not. Its `file` names it in nixpkgs' messages; here the value's span does.
        Ok(Marker::Definition) => def.content().map(|v| out.push(v)),
        Ok(_) => {
            out.push(def);
            Ok(())
        }
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        errors.push(e);
    }
}

fn override_priority<D: Definition>(def: &D) -> i64 {
    match def.marker() {
        Ok(Marker::Override(p)) => p,
        _ => DEFAULT_PRIORITY,
    }
}

/// `filterOverrides'`: keep the definitions of the highest priority (lowest number), with their
/// `mkOverride` wrapper removed. Returns that priority too (9999 when there are none).
pub fn filter_overrides<D: Definition>(defs: Vec<D>) -> Result<(Vec<D>, i64), D::Error> {
    let highest = defs.iter().map(override_priority).fold(9999, i64::min);
    let mut kept = Vec::with_capacity(defs.len());
    for d in defs {
        if override_priority(&d) != highest {
            continue;
        }
        kept.push(match d.marker() {
            Ok(Marker::Override(_)) => d.content()?,
            _ => d,
        });
    }
    Ok((kept, highest))
}

/// `sortProperties`: remove `mkOrder` wrappers and sort (stably) by their priority.
pub fn sort_by_order(defs: Vec<Def<'_>>) -> Vec<Def<'_>> {
    let any_order = defs
        .iter()
        .any(|d| matches!(property(&d.value), Ok(Some(Property::Order { .. }))));
    if !any_order {
        return defs;
    }
    let mut stripped: Vec<Def> = defs
        .into_iter()
        .map(|d| match property(&d.value) {
            Ok(Some(Property::Order { priority, .. })) => match part(&d.value, content) {
                Some(c) => Def {
                    order: priority,
                    ..d.with_value(c)
                },
                None => d,
            },
            _ => d,
        })
        .collect();
    stripped.sort_by_key(|d| d.order);
    stripped
}

/// Whether a value is a property marker (`mkIf`, `mkMerge`, `mkOverride`, `mkOrder`,
/// `mkDefinition`).
pub fn is_property(node: &Node) -> bool {
    matches!(
        node.type_tag(),
        Some("if" | "merge" | "override" | "order" | "definition")
    )
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
        let (kept, prio) = filter_overrides(vec![Def::new(&a), Def::new(&b), Def::new(&c)]).unwrap();
        assert_eq!(prio, MK_FORCE);
        assert_eq!(values(&kept), [r#""forced""#]);
        let (kept, prio) = filter_overrides(vec![Def::new(&a), Def::new(&b)]).unwrap();
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
        let (kept, priority) = filter_overrides(out).expect("no malformed property");
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
