//! The compiler's own options as nixpkgs' module system has them: declared (`own_options.nix`,
//! with nix/module.nix's namespace submodule), so that `config.<own option>` is the value and
//! `options.<own option>` the whole option `evalOptionValue` gives (`type`, `highestPrio`,
//! `definitions`, …), and so that a module may extend one by declaring it itself (the
//! namespace submodule: `services.netns.namespaces`), which nixpkgs merges with netns.nix's or
//! NixOS's declaration.
//!
//! The same holds for every own option (`systemd.services` above all, which VPN modules extend
//! with a sub-option of their own, as nixpkgs' `confinement` module does): one mechanism,
//! keyed by the option's path. An extended option is evaluated by the lib's engine as a
//! whole — the extension's sub-options, its `config` definitions, `name` and `config` as
//! nixpkgs gives them — and the module stage gets, per element (namespace, service), the
//! compiler's own sub-options that definitions set, at their final definitions (as nix/lib.nix
//! hands them over from NixOS), never the extension's; of an option without elements, its
//! value. The namespaces' own units are read whole, with what an extension's `config` defines
//! on them, by nix/lib.nix's own code ([`namespace_units_node`]). A declaration above or
//! below an option the compiler reads, or of one it reads but does not declare, is refused
//! ([`check_overlaps`]).

use super::options::{Declaration, Declared, all_declared, declared_at, declared_value};
use super::{State, config_thunk, defined_values, definition_node, push_down::Level, push_down::push_down};
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::{ErrorKind, EvalError};
use crate::eval::{EvalResult, Evaluator, Thunk, Value, error};
use crate::module::property::MK_OPTION_DEFAULT;
use crate::module::read_options::{Merge, NAMESPACES, READ_OPTIONS, ReadOption, SERVICES, UNIT_EXTENSIONS};
use crate::module::schema::{joining_service_schema, namespace_schema};
use crate::node::{Attrs as NodeAttrs, Entry, Kind, Node};
use crate::source::Span;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::rc::Rc;

/// The sub-option every element of an extended option of elements gets from netns-compile:
/// the element's own `options` (what NixOS's `valueMeta` exposes), to tell which of its
/// options definitions set. Hidden from what modules read of the element.
const META: &str = "_netnsCompileOptions";

/// own_options.nix's attribute that declares [`META`] (no option's path).
const EXTENSION_META: &str = "<extension meta>";

/// own_options.nix's attribute that declares an option nothing declares (no option's path).
const UNDECLARED: &str = "<undeclared>";

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

/// The compiler's own option at `path` (one whose value modules read in `config`).
pub(super) fn own_option(path: &[String]) -> Option<&'static ReadOption> {
    READ_OPTIONS
        .into_iter()
        .filter(|o| o.in_config)
        .find(|o| o.path.iter().eq(path.iter()))
}

/// Whether a module declares the own option `option` itself, extending the compiler's (NixOS's)
/// declaration: the lib's engine then evaluates the whole option.
pub(super) fn extended(ev: &Evaluator, state: &State, option: &ReadOption) -> EvalResult<bool> {
    let path: Vec<String> = option.path.iter().map(|p| p.to_string()).collect();
    Ok(matches!(declared_at(ev, state, &path)?, Declared::Option(_)))
}

/// The compiler's own sub-options of each element of an `attrsOf (submodule …)` option (what
/// the module stage merges of a namespace or of a service), or `None` for another option.
fn element_options(option: &ReadOption) -> Option<Vec<&'static str>> {
    match option.merge {
        Merge::Namespaces => {
            let none = Node::new(Span::BUILTIN, Kind::Null);
            Some(namespace_schema(&none, &none).options.iter().map(|o| o.0).collect())
        }
        Merge::EachOf(schema) => Some(schema().options.iter().map(|o| o.0).collect()),
        Merge::Typed { .. } | Merge::AsGiven => None,
    }
}

/// Whether the option at `path` is one of the compiler's own of elements (`attrsOf
/// (submodule …)`), which an extension's declaration is merged with together with [`META`].
pub(super) fn has_elements(path: &[String]) -> bool {
    own_option(path).and_then(element_options).is_some()
}

/// The declaration that gives each element of an extended option its [`META`] sub-option.
pub(super) fn meta_declaration(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Thunk> {
    lone_declaration(ev, state, EXTENSION_META)
}

/// The declaration of an option nothing declares that modules define and read as a value.
pub(super) fn undeclared_declaration(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Thunk> {
    lone_declaration(ev, state, UNDECLARED)
}

/// own_options.nix's one declaration under `key` (no option's path).
fn lone_declaration(ev: &Evaluator, state: &Rc<State>, key: &str) -> EvalResult<Thunk> {
    match declarations(ev, state, &[key.to_string()])? {
        Some(mut d) if d.len() == 1 => Ok(d.remove(0)),
        _ => Err(error(
            Span::BUILTIN,
            format!("own_options.nix has no one declaration `{key}`"),
        )),
    }
}

/// The engine's value of an extended option.
fn engine_value(ev: &Evaluator, state: &Rc<State>, option: &ReadOption) -> EvalResult<Value> {
    let path: Vec<String> = option.path.iter().map(|p| p.to_string()).collect();
    declared_value(ev, state, &path)
}

fn engine_elements(ev: &Evaluator, state: &Rc<State>, option: &ReadOption) -> EvalResult<Rc<crate::eval::Attrs>> {
    match engine_value(ev, state, option)? {
        Value::Attrs(all) => Ok(all),
        _ => Err(error(
            Span::BUILTIN,
            format!("{} is not an attribute set", option.path.join(".")),
        )),
    }
}

/// `config.<option>` of an own option: the engine's value (from the compiler's declarations,
/// and a module's that extends them), each element of an extended option of elements without
/// [`META`].
pub(super) fn config_value(ev: &Evaluator, state: &Rc<State>, option: &ReadOption) -> EvalResult<Value> {
    if element_options(option).is_none() || !extended(ev, state, option)? {
        return engine_value(ev, state, option);
    }
    let all = engine_elements(ev, state, option)?;
    let mut out = crate::eval::Attrs::new();
    for (name, attr) in all.map.iter() {
        let element = attr.value.clone();
        let hidden = Thunk::native(attr.value.span(), move |ev| match ev.force(&element)? {
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

/// The module stage's definition of an extended option, in place of the modules' own: one
/// module `{ <option> = …; }`. Of an option of elements, each element's own sub-options that
/// definitions set (nix/lib.nix's `isSetByDefinition`), at their final definitions — less the
/// elements in `as_written`, the namespaces' own units, which the module stage reads as the
/// modules wrote them ([`namespace_units_node`]). Of any other option, its value (as
/// nix/lib.nix hands NixOS's `config` over).
pub(super) fn extended_node(
    ev: &Evaluator,
    state: &Rc<State>,
    option: &ReadOption,
    as_written: &BTreeSet<String>,
) -> EvalResult<Node> {
    let node = match element_options(option) {
        Some(own_names) => elements_node(ev, state, option, &own_names, as_written)?,
        None => {
            let span = defined_values(ev, state, option.path)?
                .last()
                .map_or(Span::BUILTIN, |d| d.span);
            ev.to_node(&engine_value(ev, state, option)?, span)?
        }
    };
    Ok(at_path(option.path, node))
}

/// `node` at `path`: `{ a.b = node; }`.
fn at_path(path: &[&str], node: Node) -> Node {
    path.iter().rev().fold(node, |node, key| {
        Node::new(
            Span::BUILTIN,
            Kind::Attrs(NodeAttrs::from_entries(vec![Entry {
                key: key.to_string(),
                key_span: Span::BUILTIN,
                value: node,
            }])),
        )
    })
}

fn elements_node(
    ev: &Evaluator,
    state: &Rc<State>,
    option: &ReadOption,
    own_names: &[&str],
    as_written: &BTreeSet<String>,
) -> EvalResult<Node> {
    let all = engine_elements(ev, state, option)?;
    let name_spans = element_name_spans(ev, state, option.path)?;
    let mut elements = Vec::new();
    for (name, attr) in all.map.iter() {
        if as_written.contains(name.as_ref()) {
            continue;
        }
        let Value::Attrs(config) = ev.force(&attr.value)? else {
            continue;
        };
        let Some(meta) = config.get(META) else { continue };
        let Value::Attrs(meta) = ev.force(meta)? else { continue };
        let mut set = Vec::new();
        for own in own_names {
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
        elements.push(Entry {
            key: name.to_string(),
            key_span: span,
            value: Node::new(span, Kind::Attrs(NodeAttrs::from_entries(set))),
        });
    }
    Ok(Node::new(Span::BUILTIN, Kind::Attrs(NodeAttrs::from_entries(elements))))
}

/// Where `systemd.services` is extended, the namespaces' own units as
/// nix/lib.nix's `namespaceUnitsInput` hands them over from NixOS, one module
/// `{ systemd.services.<unit> = …; netnsCompile.unitExtensions.<unit> = …; }`: the definitions
/// made on each unit (less the options only extensions declare) and what the extensions'
/// `config` defines on it, from the engine's `options.systemd.services` — the same code on
/// both routes.
pub(super) fn namespace_units_node(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Node> {
    namespace_units_input(ev, state).map_err(|e| compiled_setting_read(ev, e))
}

/// nix/lib.nix's error for an extension that reads a setting of a namespace's unit only the
/// compiled unit knows (`compiledSettingRead`), as `netns::compiled-setting-read`, located
/// in the file of the extension that reads it (the nearest definitions' file of its context
/// that netns-compile did not write).
fn compiled_setting_read(ev: &Evaluator, mut e: Box<EvalError>) -> Box<EvalError> {
    const THROWN: &str = "netns-compile: an extension of systemd.services reads";
    let d = &mut e.diagnostic;
    let Some(rest) = d.message.strip_prefix(THROWN).filter(|_| e.kind == ErrorKind::Throw) else {
        return e;
    };
    let reader = d.notes.iter().find_map(|n| {
        crate::module_rules::merge_definitions::message::file_of_definitions_from(n)
            .filter(|f| !f.starts_with("<netns-compile"))
    });
    let Some(file) = reader.and_then(|f| ev.file_named(f)) else {
        return e;
    };
    // The label names the file; the evaluator's notes would repeat it by its absolute path.
    e.diagnostic = Diagnostic::new(
        Code::CompiledSettingRead,
        format!("an extension of systemd.services reads{rest}"),
    )
    .at(
        Span::new(file, 0, 0),
        "the extension whose `config` reads it is in this file",
    )
    .help(
        "read only what does not name the store: the netns module's `description`, `before`, \
         `serviceConfig.Type`, `RemainAfterExit`, `PrivateNetwork`, `PrivateMounts`, and what \
         NixOS's systemd module derives but the scripts' `Exec*=` lines and the triggers' \
         files (`name`, `unitConfig.After`, `environment.PATH`, …); or leave the namespaces' \
         units (`netns-<name>`) out of the extension",
    );
    e
}

fn namespace_units_input(ev: &Evaluator, state: &Rc<State>) -> EvalResult<Node> {
    let source = ev.load_source(
        "<netns-compile>/nix/lib.nix",
        None,
        include_str!("../../../nix/lib.nix"),
    )?;
    let mut lib_args = crate::eval::Attrs::new();
    lib_args.insert(Rc::from("lib"), state.lib.clone(), Span::BUILTIN);
    let netns_lib = ev.call(
        ev.force(&source)?,
        Thunk::ready(Value::attrs(lib_args), Span::BUILTIN),
        Span::BUILTIN,
    )?;
    let options = state.options.borrow().clone().expect("set before modules are called");
    let services_option = ["systemd", "services"]
        .into_iter()
        .try_fold(options, |at, name| attribute(ev, &at, name))?;
    let config = state.config.borrow().clone().expect("set before modules are called");
    let namespaces = NAMESPACES
        .path
        .iter()
        .try_fold(config, |at, name| attribute(ev, &at, name))?;
    let mut args = crate::eval::Attrs::new();
    args.insert(Rc::from("servicesOption"), services_option, Span::BUILTIN);
    args.insert(Rc::from("namespaces"), namespaces, Span::BUILTIN);
    // The tools: what NixOS's systemd module derives from its default `path` is known.
    args.insert_value("pkgs", state.pkgs.clone());
    let function = attribute(ev, &Thunk::ready(netns_lib, Span::BUILTIN), "namespaceUnitsInput")?;
    let input = Thunk::ready(
        ev.call(
            ev.force(&function)?,
            Thunk::ready(Value::attrs(args), Span::BUILTIN),
            Span::BUILTIN,
        )?,
        Span::BUILTIN,
    );
    let node_of = |name: &str| -> EvalResult<Node> {
        let value = attribute(ev, &input, name)?;
        definition_node(ev, &ev.force(&value)?, value.span())
    };
    let mut units = node_of("units")?;
    join_definitions_in_their_files(ev, &mut units, &node_of("joinFiles")?);
    let units = at_path(SERVICES.path, units);
    let extensions = at_path(UNIT_EXTENSIONS, node_of("extensions")?);
    let mut entries = Vec::new();
    for node in [units, extensions] {
        if let Kind::Attrs(a) = node.kind {
            entries.extend(a.entries);
        }
    }
    Ok(Node::new(Span::BUILTIN, Kind::Attrs(NodeAttrs::from_entries(entries))))
}

/// Points each definition of `netns` that extensions make on a namespace's unit (nix/lib.nix
/// hands it over as the unit's last definition, `{ netns = mkMerge [ … ]; }`, the files of its
/// contents in `files`) at the extension's file: its value is handed over through nix/lib.nix,
/// where its spans point, and a diagnostic about it (`netns::joins-two-namespaces`) must show
/// the user's file.
fn join_definitions_in_their_files(ev: &Evaluator, units: &mut Node, files: &Node) {
    let (Kind::Attrs(units), Some(files)) = (&mut units.kind, files.attrs()) else {
        return;
    };
    for unit in units.entries.iter_mut() {
        let Some(files) = files.get(&unit.key).and_then(Node::as_list) else {
            continue;
        };
        let contents = entry_mut(&mut unit.value, "contents")
            .and_then(|c| match &mut c.kind {
                Kind::List(items) => items.last_mut(),
                _ => None,
            })
            .and_then(|last| entry_mut(last, "netns"))
            .and_then(|netns| entry_mut(netns, "contents"));
        let Some(Node {
            kind: Kind::List(defs), ..
        }) = contents
        else {
            continue;
        };
        for (def, file) in defs.iter_mut().zip(files) {
            if let Some(id) = file.as_str().and_then(|f| ev.file_named(f)) {
                respan(def, Span::new(id, 0, 0));
            }
        }
    }
}

/// The value of attribute `key` of `node`, if it is an attribute set that has it.
fn entry_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.kind {
        Kind::Attrs(a) => a.entries.iter_mut().find(|e| e.key == key).map(|e| &mut e.value),
        _ => None,
    }
}

/// `node` and everything in it at `span`.
fn respan(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        Kind::Attrs(a) => a.entries.iter_mut().for_each(|e| {
            e.key_span = span;
            respan(&mut e.value, span);
        }),
        Kind::List(items) => items.iter_mut().for_each(|i| respan(i, span)),
        _ => {}
    }
}

/// The attribute `name` of the attribute set `at` is.
fn attribute(ev: &Evaluator, at: &Thunk, name: &str) -> EvalResult<Thunk> {
    match ev.force(at)? {
        Value::Attrs(a) => a
            .get(name)
            .cloned()
            .ok_or_else(|| error(at.span(), format!("attribute `{name}` missing"))),
        _ => Err(error(at.span(), format!("not an attribute set where `{name}` is read"))),
    }
}

/// A module's declaration that overlaps an option the compiler reads and that the engine does
/// not merge with the compiler's: one above or below such an option (NixOS refuses most: an
/// option is the parent of others only where its type is a submodule), or one of an option the
/// compiler reads but does not declare (NixOS's WireGuard interfaces, `tools`). Never ignored.
pub(super) fn check_overlaps(ev: &Evaluator, state: &State) -> EvalResult<()> {
    if matches!(declared_at(ev, state, &[])?, Declared::Nothing) {
        return Ok(());
    }
    let mut declared = Vec::new();
    all_declared(ev, state, &mut Vec::new(), &mut declared)?;
    for path in &declared {
        for read in READ_OPTIONS {
            let prefix = path.iter().zip(read.path).all(|(a, b)| a == b);
            let overlap = match path.len().cmp(&read.path.len()) {
                _ if !prefix => continue,
                Ordering::Equal if read.in_config => continue,
                Ordering::Equal => "declares an option of its own at",
                Ordering::Less => "declares an option above",
                Ordering::Greater => "declares an option below",
            };
            let Declared::Option(decls) = declared_at(ev, state, path)? else {
                continue;
            };
            return Err(overlap_error(path, read, overlap, &decls[0]));
        }
    }
    Ok(())
}

fn overlap_error(path: &[String], read: &ReadOption, overlap: &str, decl: &Declaration) -> Box<EvalError> {
    let option = read.path.join(".");
    let declared = path.join(".");
    let (message, help) = if read.in_config {
        (
            format!(
                "`options.{declared}` {overlap} `{option}`, an option netns-compile reads, and netns-compile cannot merge it with that option"
            ),
            format!(
                "declare `{option}` itself (to give each of its elements a sub-option, with `types.attrsOf (types.submodule {{ options.… = …; }})`): netns-compile merges such a declaration with NixOS's, as NixOS does"
            ),
        )
    } else {
        (
            format!(
                "`options.{declared}` {overlap} `{option}`, which netns-compile reads as NixOS's own module defines it and has no declaration of to merge this one with"
            ),
            format!("netns-compile reads `{option}` as NixOS's module defines it: drop this declaration"),
        )
    };
    // The label names the declaring file (the message stays the same wherever it is).
    let diagnostic = Diagnostic::new(Code::OverlappingDeclaration, message)
        .at(decl.span, "declared here")
        .help(help);
    Box::new(EvalError {
        kind: ErrorKind::Other,
        diagnostic,
    })
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

/// Where each element's name is first written in the modules' definitions of `path`.
fn element_name_spans(ev: &Evaluator, state: &State, path: &[&str]) -> EvalResult<Vec<(String, Span)>> {
    let mut spans: Vec<(String, Span)> = Vec::new();
    let mut definitions = defined_values(ev, state, path)?;
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

/// `options.<own option>` of an extended option: the option the engine evaluates from the
/// declarations, with the value modules read in `config` (each element without [`META`]).
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
