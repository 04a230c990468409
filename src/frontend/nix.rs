//! The Nix frontend: a `.nix` file (a plain config or a NixOS module with `imports`) →
//! the modules' config trees, ready for the module stage.
//!
//! Modules are collected as nixpkgs collects them (breadth-first over `imports`, each once
//! by key) and each is called with `{ config, lib, pkgs, options, ... }`. `config` is the
//! fixpoint: a lazy attrset computed by native code, so that one module may read what another
//! defines (`config.boot.kernel.sysctl`). Reading an option merges its definitions with the
//! same module stage that `build` uses.
//!
//! The module stage needs definitions, not values: each module's config is *projected* onto
//! the options netns-compile reads (SPEC §2.1) — forced along those paths only, property
//! markers kept as they are — so a whole NixOS module whose other options use packages
//! netns-compile does not have still compiles.

use crate::diagnostic::Diagnostics;
use crate::eval::{EvalResult, Evaluator, Thunk, Value, error, with_evaluator};
use crate::model::Tools;
use crate::module::config::{ResolvedConfig, resolve_config, resolved_json};
use crate::module::node::{Attrs as NodeAttrs, Entry, Kind, Node};
use crate::module::property::Def;
use crate::module::types::{Loc, Ty, merge_option};
use crate::source::{SourceMap, Span};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Keys a structured module may have (nixpkgs `unifyModuleSyntax`).
const MODULE_KEYS: [&str; 9] = [
    "_class",
    "_file",
    "config",
    "disabledModules",
    "freeformType",
    "imports",
    "key",
    "meta",
    "options",
];

/// Which parts of a module's config netns-compile reads.
#[derive(Debug)]
enum Spec {
    /// Everything below (an option's definitions).
    All,
    /// Only these attributes (`*` stands for any name).
    Keys(Vec<(&'static str, Spec)>),
}

fn spec() -> Spec {
    use Spec::{All, Keys};
    let service_reads = || {
        Keys(
            [
                "netns",
                "after",
                "before",
                "requires",
                "wants",
                "bindsTo",
                "partOf",
                "requisite",
                "upholds",
                "conflicts",
                "onFailure",
                "onSuccess",
                "wantedBy",
                "requiredBy",
            ]
            .into_iter()
            .map(|k| (k, All))
            .collect(),
        )
    };
    Keys(vec![
        ("services", Keys(vec![("netns", All)])),
        (
            "networking",
            Keys(vec![
                ("nftables", Keys(vec![("enable", All), ("ruleset", All)])),
                (
                    "wireguard",
                    Keys(vec![(
                        "interfaces",
                        Keys(vec![("*", Keys(vec![("interfaceNamespace", All)]))]),
                    )]),
                ),
            ]),
        ),
        ("boot", Keys(vec![("kernel", Keys(vec![("sysctl", All)]))])),
        (
            "systemd",
            Keys(vec![
                ("globalEnvironment", All),
                ("services", Keys(vec![("*", service_reads())])),
            ]),
        ),
        ("tools", All),
    ])
}

impl Spec {
    /// Only the branches on `paths` (and everything below their ends).
    fn restrict(self, paths: &[&[&str]]) -> Spec {
        match self {
            Spec::All => Spec::All,
            Spec::Keys(keys) => Spec::Keys(
                keys.into_iter()
                    .filter_map(|(k, sub)| {
                        let below: Vec<&[&str]> = paths
                            .iter()
                            .filter(|p| p.first() == Some(&k))
                            .map(|p| &p[1..])
                            .collect();
                        if below.is_empty() {
                            None
                        } else if below.iter().any(|p| p.is_empty()) {
                            Some((k, sub))
                        } else {
                            Some((k, sub.restrict(&below)))
                        }
                    })
                    .collect(),
            ),
        }
    }

    fn child(&self, key: &str) -> Option<&Spec> {
        match self {
            Spec::All => Some(self),
            Spec::Keys(keys) => keys.iter().find(|(k, _)| *k == key || *k == "*").map(|(_, s)| s),
        }
    }
}

/// One collected module.
struct Module {
    /// Its config (for a shorthand module, the whole attrset).
    config: Option<Thunk>,
    /// Its option declarations.
    options: Option<Thunk>,
    span: Span,
}

/// What native `config` reads share.
struct State {
    modules: RefCell<Vec<Module>>,
    /// Declared options: path → the `mkOption` attrset.
    declared: RefCell<BTreeMap<Vec<String>, (Value, Span)>>,
}

/// Evaluate `path` as a NixOS config or module; the projected config of every module, in
/// collection order.
pub fn load_nix_modules(path: &Path, tools: &Tools, sources: &mut SourceMap) -> Result<Vec<Node>, Diagnostics> {
    let path = path.to_path_buf();
    let tools: BTreeMap<String, String> = tools.prefixes.iter().cloned().collect();
    with_evaluator(sources, tools, move |ev| collect_and_project(ev, &path)).map_err(|e| {
        let mut d = Diagnostics::new();
        d.push(e.diagnostic);
        d
    })
}

fn collect_and_project(ev: &Evaluator, path: &Path) -> EvalResult<Vec<Node>> {
    let state = Rc::new(State {
        modules: RefCell::new(Vec::new()),
        declared: RefCell::new(BTreeMap::new()),
    });
    let config = config_thunk(&state, Vec::new());
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let entry = ev.load_file(&cwd.join(path), Span::BUILTIN)?;
    collect_modules(ev, &state, entry, &config)?;
    projected_modules(ev, &state, &spec())
}

/// Breadth-first over `imports`, each module once (by file, or by position for inline ones).
fn collect_modules(ev: &Evaluator, state: &Rc<State>, entry: Thunk, config: &Thunk) -> EvalResult<()> {
    let mut queue: std::collections::VecDeque<(Thunk, String)> = std::collections::VecDeque::new();
    queue.push_back((entry, String::from("<entry>")));
    let mut seen: HashSet<String> = HashSet::new();
    while let Some((thunk, key)) = queue.pop_front() {
        let span = thunk.span();
        let mut value = ev.force(&thunk)?;
        let mut key = key;
        // A path (or a string naming one) in `imports` is a file to load.
        if let Value::Path(p) | Value::Str(p) = &value {
            let file = PathBuf::from(p.as_ref());
            key = file.display().to_string();
            if !seen.insert(key.clone()) {
                continue;
            }
            let loaded = ev.load_file(&file, span)?;
            value = ev.force(&loaded)?;
        } else if !seen.insert(key.clone()) {
            continue;
        }
        if value.is_function() {
            let args = ev.module_arguments(&value, Some(config.clone()))?;
            value = ev.call(value, Thunk::ready(args, span), span)?;
        }
        let Value::Attrs(attrs) = &value else {
            return Err(error(
                span,
                format!(
                    "a module must be an attribute set or a function, not {}",
                    value.described()
                ),
            ));
        };
        // nixpkgs' `unifyModuleSyntax`: with `config` or `options` every key must be a module
        // key; without them the module is shorthand — its `imports` are imports and the rest,
        // less the module keys, is its config.
        let structured = attrs.get("config").is_some() || attrs.get("options").is_some();
        if structured {
            for (name, attr) in &attrs.map {
                if !MODULE_KEYS.contains(&name.as_ref()) {
                    return Err(error(
                        attr.key_span,
                        format!(
                            "module has an unsupported attribute `{name}`: a module with `config` or `options` keeps every definition inside `config`"
                        ),
                    ));
                }
            }
        }
        if let Some(imports) = attrs.get("imports") {
            let list = ev.force(imports)?;
            let Value::List(items) = list else {
                return Err(error(imports.span(), "`imports` must be a list"));
            };
            for (n, item) in items.iter().enumerate() {
                queue.push_back((item.clone(), format!("{key}:anon-{}", n + 1)));
            }
        }
        let config = if structured {
            attrs.get("config").cloned()
        } else {
            let mut rest = (**attrs).clone();
            for k in MODULE_KEYS.iter().chain(&["require"]) {
                rest.map.remove(*k);
            }
            Some(Thunk::ready(Value::attrs(rest), span))
        };
        state.modules.borrow_mut().push(Module {
            config,
            options: if structured {
                attrs.get("options").cloned()
            } else {
                None
            },
            span,
        });
    }
    // Declarations are read lazily, the first time `config` needs them.
    Ok(())
}

// -- projection ----------------------------------------------------------------------------

fn project(ev: &Evaluator, v: &Value, span: Span, spec: &Spec) -> EvalResult<Node> {
    if matches!(spec, Spec::All) {
        return ev.to_node(v, span);
    }
    let Value::Attrs(attrs) = v else {
        // Not an attribute set where the module stage expects one: it says so, located.
        return ev.to_node(v, span);
    };
    // Property markers keep their shape; only their content is projected.
    if let Some(tag) = attrs.get("_type") {
        let tag = ev.force(tag)?;
        if let Value::Str(t) = &tag
            && matches!(t.as_ref(), "if" | "merge" | "override" | "order")
        {
            let mut entries = Vec::new();
            for (name, attr) in &attrs.map {
                let value = ev.force(&attr.value)?;
                let node = match name.as_ref() {
                    "content" => project(ev, &value, attr.value.span(), spec)?,
                    "contents" => match &value {
                        Value::List(items) => {
                            let mut out = Vec::with_capacity(items.len());
                            for item in items.iter() {
                                let iv = ev.force(item)?;
                                out.push(project(ev, &iv, item.span(), spec)?);
                            }
                            Node::new(attr.value.span(), Kind::List(out))
                        }
                        _ => ev.to_node(&value, attr.value.span())?,
                    },
                    _ => ev.to_node(&value, attr.value.span())?,
                };
                entries.push(Entry {
                    key: name.to_string(),
                    key_span: attr.key_span,
                    value: node,
                });
            }
            return Ok(Node::new(span, Kind::Attrs(NodeAttrs::from_entries(entries))));
        }
    }
    let mut entries = Vec::new();
    for (name, attr) in &attrs.map {
        let Some(child) = spec.child(name) else { continue };
        let value = ev.force(&attr.value)?;
        entries.push(Entry {
            key: name.to_string(),
            key_span: attr.key_span,
            value: project(ev, &value, attr.value.span(), child)?,
        });
    }
    Ok(Node::new(span, Kind::Attrs(NodeAttrs::from_entries(entries))))
}

/// Every module projected onto what netns-compile reads (`spec`).
fn projected_modules(ev: &Evaluator, state: &State, spec: &Spec) -> EvalResult<Vec<Node>> {
    let modules = state.modules.borrow();
    let configs: Vec<(Option<Thunk>, Span)> = modules.iter().map(|m| (m.config.clone(), m.span)).collect();
    drop(modules);
    let mut out = Vec::with_capacity(configs.len());
    for (config, span) in configs {
        match config {
            Some(c) => {
                let v = ev.force(&c)?;
                out.push(project(ev, &v, c.span(), spec)?);
            }
            None => out.push(Node::new(span, Kind::Attrs(NodeAttrs::new()))),
        }
    }
    Ok(out)
}

// -- the config fixpoint -------------------------------------------------------------------

fn config_thunk(state: &Rc<State>, path: Vec<String>) -> Thunk {
    let state = state.clone();
    Thunk::native(Span::BUILTIN, move |ev| config_level(ev, &state, &path))
}

/// `config` at `path`: an option's merged value, or an attrset of what is below.
fn config_level(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    read_declarations(ev, state)?;
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    if let Some(v) = known_option(ev, state, &parts)? {
        return Ok(v);
    }
    if let Some(decl) = state.declared.borrow().get(path).cloned() {
        return declared_option(ev, state, &parts, &decl.0, decl.1);
    }
    // Below: declared and known options, and whatever modules define here.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for known in known_paths() {
        if known.len() > parts.len() && known[..parts.len()] == parts[..] {
            names.insert(known[parts.len()].to_string());
        }
    }
    for declared in state.declared.borrow().keys() {
        if declared.len() > path.len() && declared[..path.len()] == path[..] {
            names.insert(declared[path.len()].clone());
        }
    }
    let defined = defined_values(ev, state, &parts)?;
    let mut leaves = Vec::new();
    for (v, span) in &defined {
        match v {
            Value::Attrs(a) => names.extend(a.map.keys().map(|k| k.to_string())),
            _ => leaves.push((v.clone(), *span)),
        }
    }
    if !leaves.is_empty() && names.is_empty() {
        // Something netns-compile does not declare, defined as a value: merge it as
        // `mergeEqualOption` does.
        let mut nodes = Vec::new();
        for (v, span) in &leaves {
            nodes.push(ev.to_node(v, *span)?);
        }
        return merged_to_value(ev, &parts, &Ty::Anything, &nodes, None);
    }
    if names.is_empty() && !parts.is_empty() && defined.is_empty() {
        return Err(error(
            ev_span(ev),
            format!(
                "the option `{}` is not defined: netns-compile knows the options it reads (services.netns, networking.nftables, boot.kernel.sysctl, systemd.globalEnvironment, systemd.services) and those the modules declare",
                parts.join(".")
            ),
        ));
    }
    let mut attrs = crate::eval::Attrs::new();
    for name in names {
        let mut child = path.to_vec();
        child.push(name.clone());
        attrs.insert(Rc::from(name.as_str()), config_thunk(state, child), Span::BUILTIN);
    }
    Ok(Value::attrs(attrs))
}

/// Where the evaluation is: the expression that read `config`.
fn ev_span(ev: &Evaluator) -> Span {
    ev.current.get()
}

fn known_paths() -> Vec<Vec<&'static str>> {
    vec![
        vec!["services", "netns", "namespaces"],
        vec!["networking", "nftables", "enable"],
        vec!["networking", "nftables", "ruleset"],
        vec!["boot", "kernel", "sysctl"],
        vec!["systemd", "globalEnvironment"],
        vec!["systemd", "services"],
    ]
}

/// The options netns-compile itself declares, merged as `build` merges them.
fn known_option(ev: &Evaluator, state: &State, path: &[&str]) -> EvalResult<Option<Value>> {
    if !known_paths().iter().any(|k| k[..] == *path) {
        return Ok(None);
    }
    // Only this option and what its default reads: a module may define namespaces from
    // `config.boot.kernel.sysctl`, so reading the sysctl must not force the namespaces.
    let needs: Vec<&[&str]> = match path {
        ["services", "netns", "namespaces"] => vec![
            &["services", "netns"],
            &["networking", "nftables"],
            &["boot", "kernel", "sysctl"],
        ],
        _ => vec![path],
    };
    let modules = projected_modules(ev, state, &spec().restrict(&needs))?;
    let mut diags = Diagnostics::new();
    let config = resolve_config(&modules, &mut diags);
    if let Some(d) = diags.errors().next() {
        return Err(Box::new(crate::eval::EvalError {
            kind: crate::eval::ErrorKind::Other,
            diagnostic: d.clone(),
        }));
    }
    let node = match path {
        ["services", "netns", "namespaces"] => json_node(resolved_json(&config)),
        ["networking", "nftables", "enable"] => config.nftables_enable,
        ["networking", "nftables", "ruleset"] => config.nftables_ruleset,
        ["boot", "kernel", "sysctl"] => config.sysctl,
        ["systemd", "globalEnvironment"] => config.global_environment,
        _ => services_node(&config),
    };
    Ok(Some(node_to_value(&node)))
}

fn services_node(config: &ResolvedConfig) -> Node {
    let entries = config
        .services
        .iter()
        .map(|s| Entry {
            key: s.name.clone(),
            key_span: s.name_span,
            value: s.value.clone(),
        })
        .collect();
    Node::new(Span::BUILTIN, Kind::Attrs(NodeAttrs::from_entries(entries)))
}

fn json_node(v: serde_json::Value) -> Node {
    use serde_json::Value as J;
    let kind = match v {
        J::Null => Kind::Null,
        J::Bool(b) => Kind::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Kind::Int(i),
            None => Kind::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => Kind::Str(s),
        J::Array(items) => Kind::List(items.into_iter().map(json_node).collect()),
        J::Object(map) => Kind::Attrs(NodeAttrs::from_entries(
            map.into_iter()
                .map(|(k, v)| Entry {
                    key: k,
                    key_span: Span::BUILTIN,
                    value: json_node(v),
                })
                .collect(),
        )),
    };
    Node::new(Span::BUILTIN, kind)
}

/// A node as an evaluator value.
pub fn node_to_value(n: &Node) -> Value {
    match &n.kind {
        Kind::Null | Kind::Opaque(_) => Value::Null,
        Kind::Bool(b) => Value::Bool(*b),
        Kind::Int(i) => Value::Int(*i),
        Kind::Float(f) => Value::Float(*f),
        Kind::Str(s) => Value::str(s),
        Kind::Path(p) => Value::Path(Rc::from(p.as_str())),
        Kind::List(items) => Value::list(items.iter().map(|i| Thunk::ready(node_to_value(i), i.span)).collect()),
        Kind::Attrs(a) => {
            let mut attrs = crate::eval::Attrs::new();
            for e in &a.entries {
                attrs.insert(
                    Rc::from(e.key.as_str()),
                    Thunk::ready(node_to_value(&e.value), e.value.span),
                    e.key_span,
                );
            }
            Value::attrs(attrs)
        }
    }
}

/// The values modules define at `path` (properties pushed down through the levels above; at
/// `path` itself properties are kept).
fn defined_values(ev: &Evaluator, state: &State, path: &[&str]) -> EvalResult<Vec<(Value, Span)>> {
    let configs: Vec<Thunk> = state.modules.borrow().iter().filter_map(|m| m.config.clone()).collect();
    let mut level: Vec<(Value, Span)> = Vec::new();
    for c in configs.iter().rev() {
        level.push((ev.force(c)?, c.span()));
    }
    for p in path {
        let mut next = Vec::new();
        for (v, span) in level {
            for (v, _) in push_down_value(ev, v, span)? {
                if let Value::Attrs(a) = &v
                    && let Some(t) = a.get(p)
                {
                    next.push((ev.force(t)?, t.span()));
                }
            }
        }
        level = next;
    }
    Ok(level)
}

/// `pushDownProperties` on evaluator values, for reading keys (conditions evaluated, as
/// `mkIf` would; overrides dropped, as only keys and plain values are read this way).
fn push_down_value(ev: &Evaluator, v: Value, span: Span) -> EvalResult<Vec<(Value, Span)>> {
    let Value::Attrs(a) = &v else {
        return Ok(vec![(v, span)]);
    };
    let Some(tag) = a.get("_type") else {
        return Ok(vec![(v, span)]);
    };
    let tag = ev.force(tag)?;
    let field = |name: &str| a.get(name).cloned();
    match &tag {
        Value::Str(t) if t.as_ref() == "merge" => {
            let mut out = Vec::new();
            if let Some(c) = field("contents")
                && let Value::List(items) = ev.force(&c)?
            {
                for item in items.iter() {
                    out.extend(push_down_value(ev, ev.force(item)?, item.span())?);
                }
            }
            Ok(out)
        }
        Value::Str(t) if t.as_ref() == "if" => {
            let cond = match field("condition") {
                Some(c) => ev.force(&c)?,
                None => Value::Bool(false),
            };
            match (cond, field("content")) {
                (Value::Bool(true), Some(c)) => push_down_value(ev, ev.force(&c)?, c.span()),
                _ => Ok(Vec::new()),
            }
        }
        Value::Str(t) if t.as_ref() == "override" || t.as_ref() == "order" => match field("content") {
            Some(c) => push_down_value(ev, ev.force(&c)?, c.span()),
            None => Ok(Vec::new()),
        },
        _ => Ok(vec![(v, span)]),
    }
}

// -- declared options ------------------------------------------------------------------------

/// Read every module's `options` into the declaration table (once).
fn read_declarations(ev: &Evaluator, state: &State) -> EvalResult<()> {
    let pending: Vec<Thunk> = state
        .modules
        .borrow_mut()
        .iter_mut()
        .filter_map(|m| m.options.take())
        .collect();
    for options in pending {
        let v = ev.force(&options)?;
        declare(ev, state, &v, options.span(), &mut Vec::new())?;
    }
    Ok(())
}

fn declare(ev: &Evaluator, state: &State, v: &Value, span: Span, path: &mut Vec<String>) -> EvalResult<()> {
    let Value::Attrs(a) = v else {
        return Err(error(
            span,
            "`options` must be an attribute set of `mkOption` declarations",
        ));
    };
    if let Some(t) = a.get("_type")
        && matches!(ev.force(t)?, Value::Str(s) if s.as_ref() == "option")
    {
        state.declared.borrow_mut().insert(path.clone(), (v.clone(), span));
        return Ok(());
    }
    for (name, attr) in &a.map {
        path.push(name.to_string());
        let child = ev.force(&attr.value)?;
        declare(ev, state, &child, attr.value.span(), path)?;
        path.pop();
    }
    Ok(())
}

/// A declared option's value: its definitions merged by its type, its default, `apply`.
fn declared_option(ev: &Evaluator, state: &State, path: &[&str], decl: &Value, span: Span) -> EvalResult<Value> {
    let Value::Attrs(d) = decl else {
        return Err(error(span, "not an option declaration"));
    };
    let ty_value = match d.get("type") {
        Some(t) => Some(ev.force(t)?),
        None => None,
    };
    let ty = match &ty_value {
        Some(t) => option_type(ev, t)?,
        None => Ty::Anything,
    };
    let default = match d.get("default") {
        Some(t) => Some(ev.to_node(&ev.force(t)?, t.span())?),
        None => None,
    };
    let values = defined_raw(ev, state, path)?;
    // The type's own `check`, as nixpkgs calls it, for declared types netns-compile does not
    // model in full.
    if let Some(Value::Attrs(t)) = &ty_value
        && let Some(check) = t.get("check")
    {
        let check = ev.force(check)?;
        for (v, vspan) in &values {
            if is_property(ev, v)? {
                continue;
            }
            let ok = ev.call(check.clone(), Thunk::ready(v.clone(), *vspan), *vspan)?;
            if !matches!(ok, Value::Bool(true)) {
                let description = match t.get("description") {
                    Some(desc) => match ev.force(desc)? {
                        Value::Str(s) => s.to_string(),
                        _ => "its type".into(),
                    },
                    None => "its type".into(),
                };
                return Err(error(
                    *vspan,
                    format!(
                        "a definition for option `{}` is not of type `{description}`",
                        path.join(".")
                    ),
                ));
            }
        }
    }
    let mut nodes = Vec::with_capacity(values.len());
    for (v, vspan) in &values {
        nodes.push(ev.to_node(v, *vspan)?);
    }
    let merged = merged_to_value(ev, path, &ty, &nodes, default.as_ref())?;
    match d.get("apply") {
        Some(apply) => {
            let f = ev.force(apply)?;
            if matches!(f, Value::Null) {
                return Ok(merged);
            }
            ev.call(f, Thunk::ready(merged, span), span)
        }
        None => Ok(merged),
    }
}

fn is_property(ev: &Evaluator, v: &Value) -> EvalResult<bool> {
    let Value::Attrs(a) = v else { return Ok(false) };
    match a.get("_type") {
        Some(t) => {
            Ok(matches!(ev.force(t)?, Value::Str(s) if matches!(s.as_ref(), "if" | "merge" | "override" | "order")))
        }
        None => Ok(false),
    }
}

/// The raw definitions at an option path (properties at the option itself kept).
fn defined_raw(ev: &Evaluator, state: &State, path: &[&str]) -> EvalResult<Vec<(Value, Span)>> {
    let Some((last, above)) = path.split_last() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (v, _) in defined_values(ev, state, above)? {
        for (v, _) in push_down_value(ev, v, Span::BUILTIN)? {
            if let Value::Attrs(a) = &v
                && let Some(t) = a.get(last)
            {
                out.push((ev.force(t)?, t.span()));
            }
        }
    }
    Ok(out)
}

fn merged_to_value(
    ev: &Evaluator,
    path: &[&str],
    ty: &Ty,
    nodes: &[Node],
    default: Option<&Node>,
) -> EvalResult<Value> {
    let mut diags = Diagnostics::new();
    let defs: Vec<Def> = nodes.iter().map(Def::new).collect();
    let merged = merge_option(&Loc::new(path), ty, defs, default, &mut diags);
    if let Some(d) = diags.errors().next() {
        return Err(Box::new(crate::eval::EvalError {
            kind: crate::eval::ErrorKind::Other,
            diagnostic: d.clone(),
        }));
    }
    match merged {
        Some(m) => Ok(node_to_value(&m.value)),
        None => Err(error(
            ev_span(ev),
            format!(
                "the option `{}` is used but not defined (it has no default)",
                path.join(".")
            ),
        )),
    }
}

/// A `lib.types` value as a module-stage type (by its name; what is not modelled merges as
/// `mergeEqualOption` after the type's own `check`).
fn option_type(ev: &Evaluator, t: &Value) -> EvalResult<Ty> {
    let Value::Attrs(a) = t else { return Ok(Ty::Anything) };
    let name = match a.get("name") {
        Some(n) => match ev.force(n)? {
            Value::Str(s) => s.to_string(),
            _ => String::new(),
        },
        None => String::new(),
    };
    let elem = |ev: &Evaluator| -> EvalResult<Ty> {
        let Some(nested) = a.get("nestedTypes") else {
            return Ok(Ty::Anything);
        };
        match ev.force(nested)? {
            Value::Attrs(n) => match n.get("elemType") {
                Some(e) => option_type(ev, &ev.force(e)?),
                None => Ok(Ty::Anything),
            },
            _ => Ok(Ty::Anything),
        }
    };
    Ok(match name.as_str() {
        "bool" => Ty::Bool,
        "int" => Ty::Int,
        "str" => Ty::Str,
        "singleLineStr" => Ty::SingleLineStr,
        "attrs" => Ty::Attrs,
        "separatedString" | "string" => {
            let sep = match a.get("functor") {
                Some(f) => match ev.force(f)? {
                    Value::Attrs(f) => match f.get("payload") {
                        Some(p) => match ev.force(p)? {
                            Value::Str(s) => s.to_string(),
                            _ => String::new(),
                        },
                        None => String::new(),
                    },
                    _ => String::new(),
                },
                None => String::new(),
            };
            if sep == "\n" { Ty::Lines } else { Ty::Separated(sep) }
        }
        "listOf" | "nonEmptyListOf" => Ty::ListOf(Box::new(elem(ev)?)),
        "attrsOf" | "lazyAttrsOf" => Ty::AttrsOf(Box::new(elem(ev)?)),
        "nullOr" => Ty::NullOr(Box::new(elem(ev)?)),
        _ => Ty::Anything,
    })
}
