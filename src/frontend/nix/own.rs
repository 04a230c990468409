//! The compiler's own options as nixpkgs' module system has them: declared (`own_options.nix`,
//! with nix/module.nix's namespace submodule), so that `options.<own option>` is the whole
//! option `evalOptionValue` gives (`type`, `highestPrio`, `definitions`, …, with the fast
//! path's merged value), and so that a module may extend the namespace submodule by declaring
//! `services.netns.namespaces` itself, which nixpkgs merges with netns.nix's declaration.
//!
//! An extended namespace option is evaluated by the lib's engine as a whole — the extension's
//! sub-options, its `config` definitions, `name` and `config` as nixpkgs gives them — and the
//! module stage gets, per namespace, the compiler's own sub-options that definitions set, at
//! their merged values (as nix/lib.nix hands them over from NixOS), never the extension's.

use super::options::{Declared, declared_at, declared_value};
use super::{State, config_thunk, defined_values, definition_node, push_down::Level, push_down::push_down};
use crate::eval::{EvalResult, Evaluator, Thunk, Value, error};
use crate::module::property::MK_OPTION_DEFAULT;
use crate::module::read_options::NAMESPACES;
use crate::module::schema::{joining_service_schema, namespace_schema};
use crate::node::{Attrs as NodeAttrs, Entry, Kind, Node};
use crate::source::Span;
use std::rc::Rc;

/// The sub-option every namespace of an extended namespace option gets from netns-compile:
/// the namespace's own `options` (what NixOS's `valueMeta` exposes), to tell which of its
/// options definitions set. Hidden from what modules read of the namespace.
const META: &str = "_netnsCompileOptions";

/// The declarations of the own option at `path` (`{ _file; options; }` each), if it is one.
pub(super) fn declarations(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Option<Vec<Thunk>>> {
    let own = match state.own.get() {
        Some(v) => v.clone(),
        None => {
            let v = load(ev, state)?;
            let _ = state.own.set(v.clone());
            v
        }
    };
    let Value::Attrs(all) = &own else {
        return Err(error(Span::BUILTIN, "own_options.nix gives no attribute set"));
    };
    let Some(list) = all.get(&path.join(".")) else {
        return Ok(None);
    };
    match ev.force(list)? {
        Value::List(items) => Ok(Some(items.to_vec())),
        _ => Err(error(list.span(), "own_options.nix: a list of declarations")),
    }
}

/// `own_options.nix` applied: nix/module.nix called with the module arguments gives the
/// namespace submodule.
fn load(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Value> {
    let module = ev.load_source(
        "<netns-compile>/nix/module.nix",
        None,
        include_str!("../../../nix/module.nix"),
    )?;
    let root = |cell: &std::cell::RefCell<Option<Thunk>>| cell.borrow().clone().expect("set before modules are called");
    let mut args = crate::eval::Attrs::new();
    args.insert(Rc::from("config"), root(&state.config), Span::BUILTIN);
    args.insert(Rc::from("options"), root(&state.options), Span::BUILTIN);
    args.insert(Rc::from("lib"), state.lib.clone(), Span::BUILTIN);
    args.insert_value("pkgs", state.pkgs.clone());
    let netns = Thunk::native(Span::BUILTIN, move |ev| {
        ev.call(
            ev.force(&module)?,
            Thunk::ready(Value::attrs(args.clone()), Span::BUILTIN),
            Span::BUILTIN,
        )
    });
    let unit_lists: Vec<Thunk> = joining_service_schema()
        .options
        .iter()
        .filter(|o| o.0 != "netns")
        .map(|o| Thunk::ready(Value::str(o.0), Span::BUILTIN))
        .collect();
    let mut own_args = crate::eval::Attrs::new();
    own_args.insert(Rc::from("lib"), state.lib.clone(), Span::BUILTIN);
    own_args.insert(Rc::from("netns"), netns, Span::BUILTIN);
    own_args.insert_value("unitLists", Value::list(unit_lists));
    let own = ev.load_source("<netns-compile>/own_options.nix", None, include_str!("own_options.nix"))?;
    ev.call(
        ev.force(&own)?,
        Thunk::ready(Value::attrs(own_args), Span::BUILTIN),
        Span::BUILTIN,
    )
}

/// Whether the modules declare `services.netns.namespaces` themselves (extending the
/// namespace submodule).
pub(super) fn namespaces_extended(ev: &Evaluator, state: &State) -> EvalResult<bool> {
    let path: Vec<String> = NAMESPACES.path.iter().map(|p| p.to_string()).collect();
    Ok(matches!(declared_at(ev, state, &path)?, Declared::Option(_)))
}

/// The declaration that gives each namespace of an extended option its [`META`] sub-option.
pub(super) fn meta_declaration(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Thunk> {
    let path = ["services", "netns", "namespaces", "meta"].map(String::from);
    match declarations(ev, state, &path)? {
        Some(mut d) if d.len() == 1 => Ok(d.remove(0)),
        _ => Err(error(
            Span::BUILTIN,
            "own_options.nix has no namespaces meta declaration",
        )),
    }
}

/// The engine's value of an extended namespace option: each namespace's config.
fn engine_namespaces(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Rc<crate::eval::Attrs>> {
    let path: Vec<String> = NAMESPACES.path.iter().map(|p| p.to_string()).collect();
    match declared_value(ev, state, &path)? {
        Value::Attrs(all) => Ok(all),
        _ => Err(error(
            Span::BUILTIN,
            "services.netns.namespaces is not an attribute set",
        )),
    }
}

/// `config.services.netns.namespaces` of an extended option: the engine's value, each
/// namespace without [`META`].
pub(super) fn extended_namespaces_value(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Value> {
    let all = engine_namespaces(ev, state)?;
    let mut out = crate::eval::Attrs::new();
    for (name, attr) in all.map.iter() {
        let namespace = attr.value.clone();
        let hidden = Thunk::native(attr.value.span(), move |ev| match ev.force(&namespace)? {
            Value::Attrs(a) => {
                let mut a = (*a).clone();
                a.map.remove(META);
                Ok(Value::attrs(a))
            }
            other => Ok(other),
        });
        out.insert(name.clone(), hidden, attr.key_span);
    }
    Ok(Value::attrs(out))
}

/// The module stage's definition of an extended namespace option: one module
/// `{ services.netns.namespaces.<name>.<own sub-option> = merged value; }` with the
/// sub-options definitions set (nix/lib.nix's `isSetByDefinition`).
pub(super) fn extended_namespaces_node(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Node> {
    let all = engine_namespaces(ev, state)?;
    let none = Node::new(Span::BUILTIN, Kind::Null);
    let own_names: Vec<&str> = namespace_schema(&none, &none).options.iter().map(|o| o.0).collect();
    let name_spans = namespace_name_spans(ev, state)?;
    let mut namespaces = Vec::new();
    for (name, attr) in all.map.iter() {
        let Value::Attrs(config) = ev.force(&attr.value)? else {
            continue;
        };
        let Some(meta) = config.get(META) else { continue };
        let Value::Attrs(meta) = ev.force(meta)? else { continue };
        let mut set = Vec::new();
        for own in &own_names {
            let (Some(option), Some(value)) = (meta.get(own), config.get(own)) else {
                continue;
            };
            let option = ev.force(option)?;
            if set_by_definition(ev, &option)? {
                let value = final_definitions(ev, &option)?.unwrap_or(ev.to_node(&ev.force(value)?, value.span())?);
                set.push(Entry {
                    key: own.to_string(),
                    key_span: value.span,
                    value,
                });
            }
        }
        let span = name_spans
            .iter()
            .find(|(n, _)| n == name.as_ref())
            .map_or(attr.key_span, |(_, s)| *s);
        namespaces.push(Entry {
            key: name.to_string(),
            key_span: span,
            value: Node::new(span, Kind::Attrs(NodeAttrs::from_entries(set))),
        });
    }
    let mut node = Node::new(Span::BUILTIN, Kind::Attrs(NodeAttrs::from_entries(namespaces)));
    for key in NAMESPACES.path.iter().rev() {
        node = Node::new(
            Span::BUILTIN,
            Kind::Attrs(NodeAttrs::from_entries(vec![Entry {
                key: key.to_string(),
                key_span: Span::BUILTIN,
                value: node,
            }])),
        );
    }
    Ok(node)
}

/// The definitions that make an option's value (`definitionsWithLocations`: properties
/// discharged, the highest priority kept, in order) as one `mkMerge`, each where it is written,
/// for the module stage to merge again and to point its diagnostics at.
fn final_definitions(ev: &Evaluator, option: &Value) -> EvalResult<Option<Node>> {
    let Value::Attrs(o) = option else { return Ok(None) };
    let Some(defs) = o.get("definitionsWithLocations") else {
        return Ok(None);
    };
    let Value::List(defs) = ev.force(defs)? else {
        return Ok(None);
    };
    let mut contents = Vec::with_capacity(defs.len());
    for def in defs.iter() {
        let Value::Attrs(def) = ev.force(def)? else {
            return Ok(None);
        };
        let Some(value) = def.get("value") else { return Ok(None) };
        contents.push(definition_node(ev, &ev.force(value)?, value.span())?);
    }
    let span = contents.first().map_or(Span::BUILTIN, |n| n.span);
    if contents.len() == 1 {
        return Ok(contents.pop());
    }
    let entries = vec![
        Entry {
            key: "_type".into(),
            key_span: span,
            value: Node::str(span, "merge"),
        },
        Entry {
            key: "contents".into(),
            key_span: span,
            value: Node::new(span, Kind::List(contents)),
        },
    ];
    Ok(Some(Node::new(span, Kind::Attrs(NodeAttrs::from_entries(entries)))))
}

/// nix/lib.nix's `isSetByDefinition`: a definition beats the default, or there are several.
fn set_by_definition(ev: &Evaluator, option: &Value) -> EvalResult<bool> {
    let Value::Attrs(o) = option else { return Ok(false) };
    let highest = match o.get("highestPrio") {
        Some(p) => matches!(ev.force(p)?, Value::Int(p) if p < MK_OPTION_DEFAULT),
        None => false,
    };
    if highest {
        return Ok(true);
    }
    Ok(match o.get("definitions") {
        Some(d) => matches!(ev.force(d)?, Value::List(items) if items.len() > 1),
        None => false,
    })
}

/// Where each namespace name is first written in the modules' definitions.
fn namespace_name_spans(ev: &Evaluator, state: &State) -> EvalResult<Vec<(String, Span)>> {
    let mut spans: Vec<(String, Span)> = Vec::new();
    let mut definitions = defined_values(ev, state, NAMESPACES.path)?;
    // Collection order: the entry module first.
    definitions.reverse();
    for d in definitions {
        let mut levels = Vec::new();
        push_down(ev, d.value, &mut levels)?;
        for level in levels {
            let Level::Attrs(a, _) = level else { continue };
            for (name, attr) in a.map.iter() {
                if !spans.iter().any(|(n, _)| n == name.as_ref()) {
                    spans.push((name.to_string(), attr.key_span));
                }
            }
        }
    }
    Ok(spans)
}

/// `options.<own option>`: the option the engine evaluates from the declarations, with the
/// value modules read in `config` (the fast path's, or the extended namespaces').
pub(super) fn with_config_value(state: &Rc<State>, path: &[String], option: Value) -> Value {
    let Value::Attrs(a) = option else { return option };
    let mut a = (*a).clone();
    a.insert(Rc::from("value"), config_thunk(state, path.to_vec()), Span::BUILTIN);
    Value::attrs(a)
}

#[cfg(test)]
mod tests {
    use crate::module::read_options::READ_OPTIONS;

    /// `options.<option>` of every option modules read in `config` needs its declaration.
    #[test]
    fn every_option_read_in_config_is_declared() {
        let text = include_str!("own_options.nix");
        for option in READ_OPTIONS.into_iter().filter(|o| o.in_config) {
            let key = format!("\"{}\" = [", option.path.join("."));
            assert!(text.contains(&key), "own_options.nix does not declare {key}");
        }
    }
}
