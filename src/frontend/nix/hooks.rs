//! What the Nix frontend gives the evaluator and takes from it, in the module system's terms:
//! the arguments of a module file evaluated on its own (with the `pkgs` of `packages.rs`), and
//! the compiler's resolved config turned back into values for modules that read it.
//!
//! The evaluator knows none of this: these are functions over its generic API
//! ([`Evaluator::call`], [`Evaluator::force`], …) and its values.

use super::packages::pkgs;
use crate::diagnostic::Diagnostics;
use crate::eval::{Attrs, EvalError, EvalOptions, EvalResult, Evaluator, Thunk, Value, ir, with_evaluator};
use crate::module::config::ResolvedNamespace;
use crate::node::{Kind, Node};
use crate::package::Package;
use crate::source::SourceMap;
use std::path::Path;
use std::rc::Rc;

/// Like [`crate::eval::eval_file_json`], but a file whose value is a function is first called
/// with the arguments a module gets outside a configuration: `lib` (native), `pkgs` (of
/// `packages`), and empty `config` and `options`. Only the arguments the function names are
/// passed unless it takes `...`. Used to test `lib` against nixpkgs, and to inspect module files.
pub fn eval_file_json_with_lib(
    path: &Path,
    packages: &[Package],
    options: &EvalOptions,
    sources: &mut SourceMap,
) -> Result<String, Diagnostics> {
    let path = path.to_path_buf();
    let pkgs_of = packages.to_vec();
    with_evaluator(sources, options, move |ev| {
        let (value, span) = ev.evaluate_file(&path, None)?;
        let value = match &value {
            Value::Lambda(_) => {
                let args = lone_module_arguments(ev, &pkgs_of, &value)?;
                ev.call(value.clone(), Thunk::ready(args, span), span)?
            }
            _ => value,
        };
        let mut out = String::new();
        ev.print_json(&value, &mut out, span)?;
        Ok(out)
    })
    .map_err(EvalError::into_diagnostics)
}

/// The arguments of module function `f` evaluated on its own: `lib`, `pkgs`, empty `config` and
/// `options`, restricted to the names `f` accepts unless it has `...`. (Inside a configuration
/// the module collector gives the real ones.)
fn lone_module_arguments(ev: &Evaluator, packages: &[Package], f: &Value) -> EvalResult<Value> {
    let mut args = Attrs::new();
    args.insert_value("lib", ev.lib()?);
    args.insert_value("pkgs", pkgs(packages));
    args.insert_value("config", Value::attrs(Attrs::new()));
    args.insert_value("options", Value::attrs(Attrs::new()));
    if let Value::Lambda(c) = f
        && let ir::Param::Pattern {
            entries,
            ellipsis: false,
            ..
        } = &c.def.param
    {
        args.map.retain(|k, _| entries.iter().any(|e| e.name == *k));
    }
    Ok(Value::attrs(args))
}

/// What a node's values with no JSON form become in [`value_of`].
#[derive(Clone, Copy)]
enum Shape {
    /// As they are: a path stays a path.
    Exact,
    /// As in the JSON that `resolve` prints: a path is its string, a float JSON cannot hold
    /// (infinite, NaN) is null.
    Json,
}

/// A node as an evaluator value, with the node's spans.
pub fn node_to_value(n: &Node) -> Value {
    value_of(n, Shape::Exact)
}

/// `config.services.netns.namespaces` as the compiler resolved it: each namespace by name,
/// located where the name and the value are written. A module has always read these values
/// in the shape of `resolve`'s JSON (they were once carried as that JSON), and keeps doing so.
pub fn resolved_namespaces_value(namespaces: &[ResolvedNamespace]) -> Value {
    let mut attrs = Attrs::new();
    for ns in namespaces {
        attrs.insert(
            Rc::from(ns.name.as_str()),
            Thunk::ready(value_of(&ns.value, Shape::Json), ns.value.span),
            ns.name_span,
        );
    }
    Value::attrs(attrs)
}

fn value_of(n: &Node, shape: Shape) -> Value {
    match (&n.kind, shape) {
        (Kind::Null | Kind::Opaque(_), _) => Value::Null,
        (Kind::Bool(b), _) => Value::Bool(*b),
        (Kind::Int(i), _) => Value::Int(*i),
        (Kind::Float(f), Shape::Json) if !f.is_finite() => Value::Null,
        (Kind::Float(f), _) => Value::Float(*f),
        (Kind::Str(s), _) => Value::str(s),
        (Kind::Path(p), Shape::Exact) => Value::Path(Rc::from(p.as_str())),
        (Kind::Path(p), Shape::Json) => Value::str(p),
        // A derivation, say: `resolve` prints its `outPath`.
        (Kind::Attrs(a), Shape::Json) if let Some(p) = a.get("outPath") => value_of(p, shape),
        (Kind::List(items), _) => Value::list(items.iter().map(|i| Thunk::ready(value_of(i, shape), i.span)).collect()),
        (Kind::Attrs(a), _) => {
            let mut attrs = Attrs::new();
            for e in &a.entries {
                attrs.insert(
                    Rc::from(e.key.as_str()),
                    Thunk::ready(value_of(&e.value, shape), e.value.span),
                    e.key_span,
                );
            }
            Value::attrs(attrs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Attrs as NodeAttrs, Entry};
    use crate::source::{FileId, Span};

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    /// `{ service = { path = ./x; weight = <float>; }; }` written at distinct spans.
    fn namespace(name: &str, weight: f64) -> ResolvedNamespace {
        let entry = |key: &str, key_at, value: Node| Entry {
            key: key.to_string(),
            key_span: at(key_at),
            value,
        };
        let service = Node::new(
            at(10),
            Kind::Attrs(NodeAttrs::from_entries(vec![
                entry("path", 11, Node::new(at(12), Kind::Path("/etc/x".into()))),
                entry("weight", 13, Node::new(at(14), Kind::Float(weight))),
            ])),
        );
        ResolvedNamespace {
            name: name.to_string(),
            name_span: at(1),
            value: Node::new(
                at(2),
                Kind::Attrs(NodeAttrs::from_entries(vec![entry("service", 3, service)])),
            ),
            sysctl_inherited: true,
            nftables_inherited: true,
            unit_defs: Vec::new(),
            unit_extension_defs: Vec::new(),
        }
    }

    fn attrs(v: &Value) -> &Attrs {
        match v {
            Value::Attrs(a) => a,
            _ => panic!("not a set"),
        }
    }

    fn ready(t: &Thunk) -> Value {
        t.value_if_done().expect("a ready value")
    }

    #[test]
    fn resolved_namespaces_keep_their_spans_and_resolve_s_shape() {
        let value = resolved_namespaces_value(&[namespace("vpn", f64::INFINITY)]);
        let vpn = attrs(&value).map.get("vpn").expect("vpn");
        assert_eq!(vpn.key_span, at(1));
        assert_eq!(vpn.value.span(), at(2));
        let vpn = ready(&vpn.value);
        let service = attrs(&vpn).map.get("service").expect("service");
        assert_eq!((service.key_span, service.value.span()), (at(3), at(10)));
        let service = ready(&service.value);
        let path = attrs(&service).map.get("path").expect("path");
        assert_eq!((path.key_span, path.value.span()), (at(11), at(12)));
        assert!(matches!(ready(&path.value), Value::Str(s) if &*s == "/etc/x"));
        let weight = attrs(&service).get("weight").expect("weight");
        assert!(matches!(ready(weight), Value::Null));
    }

    #[test]
    fn a_resolved_derivation_is_its_out_path_as_in_resolve_s_json() {
        let entry = |key: &str, value: &str| Entry {
            key: key.to_string(),
            key_span: at(5),
            value: Node::new(at(6), Kind::Str(value.to_string())),
        };
        let derivation = Node::new(
            at(4),
            Kind::Attrs(NodeAttrs::from_entries(vec![
                entry("outPath", "/p"),
                entry("type", "derivation"),
            ])),
        );
        let mut ns = namespace("vpn", 0.5);
        ns.value = Node::new(
            at(2),
            Kind::Attrs(NodeAttrs::from_entries(vec![Entry {
                key: "service".to_string(),
                key_span: at(3),
                value: derivation,
            }])),
        );
        assert_eq!(ns.value.to_json(), serde_json::json!({ "service": "/p" }));
        let value = resolved_namespaces_value(&[ns]);
        let vpn = ready(&attrs(&value).map.get("vpn").expect("vpn").value);
        assert!(matches!(ready(attrs(&vpn).get("service").expect("service")), Value::Str(s) if &*s == "/p"));
    }

    #[test]
    fn nodes_become_values_exactly() {
        let ns = namespace("vpn", 0.5);
        let value = node_to_value(&ns.value);
        let service = ready(attrs(&value).get("service").expect("service"));
        assert!(matches!(ready(attrs(&service).get("path").expect("path")), Value::Path(p) if &*p == "/etc/x"));
        assert!(matches!(ready(attrs(&service).get("weight").expect("weight")), Value::Float(f) if f == 0.5));
    }
}
