//! The Nix frontend: a `.nix` file (a plain config or a NixOS module with `imports`) →
//! the modules' config trees, ready for the module stage.
//!
//! Modules are collected as nixpkgs collects them (breadth-first over `imports`, each once
//! by key, less `disabledModules`) and each is called with the arguments nixpkgs gives:
//! `config`, `options`, `lib`, `pkgs` and `_module.args`. `config` is the fixpoint: a lazy
//! attrset computed by native code, so that one module may read what another defines
//! (`config.boot.kernel.sysctl`). Definitions are found as nixpkgs' `pushDownProperties`
//! finds them, by attribute names only: an `mkIf`'s condition is evaluated with the
//! definitions of one option, never while walking to it.
//!
//! What modules read in `config` and `options` is the lib's own module engine's, for every
//! option (`options.rs`): those the modules declare, the compiler's own as NixOS declares them
//! (`own.rs`, `own_options.nix`), and what is defined below no declared option. What the
//! compiler compiles of the options it reads (SPEC §2.1) is merged by the module stage, as
//! JSON input is: each module's config is *projected* onto them — forced along those paths
//! only, property markers kept as they are — so a whole NixOS module whose other options use
//! packages netns-compile does not have still compiles. `collect.rs` collects the modules and
//! `push_down.rs` finds their definitions; `hooks.rs` holds what passes between the evaluator
//! and the module system, `packages.rs` the `pkgs` modules get.

mod assertions;
mod collect;
mod hooks;
mod options;
mod own;
mod packages;
mod push_down;
#[cfg(test)]
mod undeclared_tests;

use collect::collect_modules;
pub use hooks::eval_file_json_with_lib;
use packages::pkgs;
use push_down::{Level, defined_values, push_down};

use crate::diagnostic::Diagnostics;
use crate::eval::{EvalError, EvalOptions, EvalResult, Evaluator, Thunk, Value, error, search_path, with_evaluator};
use crate::module::read_options::{NAMESPACES, READ_OPTIONS, Reads, config_options_shown, read_paths};
use crate::module::unit_name::namespace_service_name;
use crate::node::{Attrs as NodeAttrs, Entry, Kind, Node};
use crate::package::Package;
use crate::source::{SourceMap, Span};
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
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
#[derive(Clone, Debug)]
enum Spec {
    /// Everything below (an option's definitions).
    All,
    /// Only these attributes (`*` stands for any name the others do not name).
    /// A map, not a list: a projection asks it once per attribute of every module, and
    /// `systemd.services` holds one key per namespace unit.
    Keys(BTreeMap<Cow<'static, str>, Spec>),
    /// Everything below but these attributes.
    AllBut(Vec<&'static str>),
}

/// Everything below, where a [`Spec`] is borrowed.
static ALL: Spec = Spec::All;

/// What netns-compile reads of a module's config ([`read_paths`]).
fn spec() -> Spec {
    let mut spec = Spec::Keys(BTreeMap::new());
    for (path, reads) in read_paths() {
        let leaf = match reads {
            Reads::Everything => Spec::All,
            Reads::EachOnly(names) => Spec::Keys(BTreeMap::from([(
                "*".into(),
                Spec::Keys(names.into_iter().map(|n| (n.into(), Spec::All)).collect()),
            )])),
        };
        spec.insert(path, leaf);
    }
    spec
}

/// [`spec`], and the whole definitions of the namespaces' own units (`systemd.services.<unit>`
/// for each of `units`), which are merged into those units (SPEC §3.3).
fn spec_with_units(units: impl IntoIterator<Item = String>) -> Spec {
    let mut spec = spec();
    for unit in units {
        spec.insert(&["systemd", "services", &unit], Spec::All);
    }
    spec
}

impl Spec {
    /// Whether it reads anything at `path`.
    fn reaches(&self, path: &[&str]) -> bool {
        path.iter().try_fold(self, |s, k| s.child(k)).is_some()
    }

    /// The same without `path`, which other definitions take the place of: all but it where
    /// its parent is read whole; else without it, the elements it reads whole by name
    /// ([`Spec::named_below`]) included.
    fn without(mut self, path: &[&'static str]) -> Spec {
        let Some((last, parent)) = path.split_last() else {
            return self;
        };
        match parent.iter().try_fold(&mut self, |s, k| match s {
            Spec::Keys(keys) => keys.get_mut(*k),
            _ => Some(s),
        }) {
            Some(Spec::Keys(keys)) => {
                keys.remove(*last);
            }
            Some(whole) => *whole = Spec::AllBut(vec![last]),
            None => {}
        }
        self
    }

    /// The names it reads whole by name just below `path` (the namespaces' own units in
    /// `systemd.services`).
    fn named_below(&self, path: &[&str]) -> BTreeSet<String> {
        match path.iter().try_fold(self, |s, k| match s {
            Spec::Keys(keys) => keys.get(*k),
            _ => None,
        }) {
            Some(Spec::Keys(keys)) => keys
                .iter()
                .filter(|(k, s)| k.as_ref() != "*" && matches!(s, Spec::All))
                .map(|(k, _)| k.to_string())
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// Read `leaf` at `path` too. Below what is read whole there is nothing to add.
    fn insert(&mut self, path: &[&str], leaf: Spec) {
        if path.is_empty() {
            *self = leaf;
            return;
        }
        let Spec::Keys(keys) = self else { return };
        let Some((&first, rest)) = path.split_first() else {
            *self = leaf;
            return;
        };
        match keys.get_mut(first) {
            Some(below) => below.insert(rest, leaf),
            None => {
                let mut below = Spec::Keys(BTreeMap::new());
                below.insert(rest, leaf);
                keys.insert(Cow::Owned(first.to_string()), below);
            }
        }
    }

    fn child(&self, key: &str) -> Option<&Spec> {
        match self {
            Spec::All => Some(self),
            Spec::AllBut(but) => (!but.contains(&key)).then_some(&ALL),
            Spec::Keys(keys) => keys.get(key).or_else(|| keys.get("*")),
        }
    }
}

#[cfg(test)]
mod spec_tests {
    use super::{NAMESPACES, Spec, spec, spec_with_units};
    use std::collections::BTreeSet;

    #[test]
    fn the_projection_reads_what_the_module_stage_merges_and_no_more() {
        let spec = spec();
        let at = |path: &[&str]| path.iter().try_fold(&spec, |s, k| s.child(k));
        assert!(matches!(at(&["services", "netns", "anything"]), Some(Spec::All)));
        for read in ["netns", "after", "onSuccess", "wantedBy"] {
            assert!(
                matches!(at(&["systemd", "services", "web", read]), Some(Spec::All)),
                "{read}"
            );
        }
        assert!(at(&["systemd", "services", "web", "serviceConfig"]).is_none());
        assert!(matches!(at(&["networking", "nftables", "ruleset"]), Some(Spec::All)));
        assert!(at(&["networking", "nftables", "tables"]).is_none());
        assert!(matches!(
            at(&["networking", "wireguard", "interfaces", "wg0", "interfaceNamespace"]),
            Some(Spec::All)
        ));
        assert!(at(&["networking", "wireguard", "interfaces", "wg0", "ips"]).is_none());
        assert!(matches!(at(&["tools"]), Some(Spec::All)));
        assert!(at(&["environment"]).is_none());
    }

    /// An extended option is the engine's: the projection no longer reads it, the elements it
    /// reads whole by name (the namespaces' units, which nix/lib.nix then hands over) included.
    #[test]
    fn an_extended_option_is_read_no_more() {
        let units = spec_with_units(["netns-wg".to_string()]);
        let services: &[&str] = &["systemd", "services"];
        assert_eq!(units.named_below(services), BTreeSet::from(["netns-wg".to_string()]));
        let extended = units.without(services);
        let at = |spec: &Spec, path: &[&str]| path.iter().try_fold(spec, |s, k| s.child(k)).is_some();
        assert!(!at(&extended, &["systemd", "services", "netns-wg", "serviceConfig"]));
        assert!(!at(&extended, &["systemd", "services", "web", "netns"]));
        assert!(at(&extended, &["systemd", "globalEnvironment"]));

        let namespaces = spec().without(NAMESPACES.path);
        assert!(!at(&namespaces, NAMESPACES.path));
        assert!(at(&namespaces, &["services", "netns", "other"]));

        let sysctl = spec().without(&["boot", "kernel", "sysctl"]);
        assert!(!at(&sysctl, &["boot", "kernel", "sysctl"]));
        assert!(at(&sysctl, &["networking", "nftables", "ruleset"]));
    }
}

/// One collected module.
struct Module {
    /// Its config (for a shorthand module, the whole attrset).
    config: Option<Thunk>,
    /// Its option declarations.
    options: Option<Thunk>,
    span: Span,
    /// nixpkgs' `_file`: the file it was written in (an inline module's is its importer's).
    file: Rc<str>,
}

/// One definition of an attribute path: the value (properties above it pushed onto it) and
/// where it comes from.
#[derive(Clone)]
struct Definition {
    value: Value,
    span: Span,
    /// Where its attribute name is written (the module itself for a whole config).
    key_span: Span,
    file: Rc<str>,
}

/// What native `config` and `options` read share.
struct State {
    modules: RefCell<Vec<Module>>,
    /// What the modules declare at each path looked up so far.
    declared: RefCell<HashMap<Vec<String>, options::Declared>>,
    /// Each declared option evaluated (`evalOptionValue`'s result), once.
    evaluated: RefCell<HashMap<Vec<String>, Thunk>>,
    /// The `lib` modules get (native, or nixpkgs' own with `--nixpkgs`).
    lib: Thunk,
    /// The `pkgs` modules get (the compiler's tools).
    pkgs: Value,
    /// Where nixpkgs' lib is, when the modules get it.
    lib_dir: Option<String>,
    /// The lib's own module engine, when it exports one (read with the first declared option).
    engine: OnceCell<Option<options::Engine>>,
    /// `modulesPath` (with `--nixpkgs`).
    modules_path: Option<Rc<str>>,
    /// The compiler's own declarations (`own_options.nix`), loaded when first needed.
    own: OnceCell<Value>,
    /// `config` and `options` at the root, as modules receive them.
    config: RefCell<Option<Thunk>>,
    options: RefCell<Option<Thunk>>,
}

/// Evaluate `path` as a NixOS config or module; the projected config of every module, in
/// collection order. Modules get the `lib` that `<nixpkgs/lib>` names (nixpkgs' own with
/// `--nixpkgs` or `<nixpkgs>` on `NIX_PATH`, else the native one). `packages` is what
/// `pkgs.<name>` names: each tool's package (see `packages::pkgs`). The evaluator runs with
/// `options`.
pub fn load_nix_modules(
    path: &Path,
    packages: &[Package],
    options: &EvalOptions,
    sources: &mut SourceMap,
) -> Result<Vec<Node>, Diagnostics> {
    let path = path.to_path_buf();
    let packages = packages.to_vec();
    with_evaluator(sources, options, move |ev| collect_and_project(ev, &path, &packages))
        .map_err(EvalError::into_diagnostics)
}

fn collect_and_project(ev: &Evaluator, path: &Path, packages: &[Package]) -> EvalResult<Vec<Node>> {
    let cwd = ev.io().current_dir();
    let lib_dir = search_path::find(ev.io(), &ev.search_path, "nixpkgs/lib", &cwd);
    // `modulesPath`, where the nixpkgs found is a whole checkout.
    let modules_path = lib_dir
        .as_ref()
        .map(|lib| Path::new(lib).with_file_name("nixos/modules"))
        .filter(|dir| ev.io().is_dir(dir))
        .map(|dir| Rc::from(dir.display().to_string().as_str()));
    // Loaded when a module first asks for it: a plain config never needs a lib.
    let lib = match lib_dir.clone() {
        Some(dir) => Thunk::native(Span::BUILTIN, move |ev| {
            ev.force(&ev.load_file(Path::new(&dir), Span::BUILTIN)?)
        }),
        None => Thunk::native(Span::BUILTIN, |ev| ev.lib()),
    };
    let state = Rc::new(State {
        modules: RefCell::new(Vec::new()),
        declared: RefCell::new(HashMap::new()),
        evaluated: RefCell::new(HashMap::new()),
        own: OnceCell::new(),
        lib,
        pkgs: pkgs(packages),
        lib_dir,
        engine: OnceCell::new(),
        modules_path,
        config: RefCell::new(None),
        options: RefCell::new(None),
    });
    *state.config.borrow_mut() = Some(config_thunk(&state, Vec::new()));
    *state.options.borrow_mut() = Some(options::options_thunk(&state, Vec::new()));
    let entry_path = cwd.join(path);
    let entry = ev.load_file(&entry_path, Span::BUILTIN)?;
    let result = collect_modules(ev, &state, entry, &entry_path)
        .and_then(|()| options::check_definitions(ev, &state))
        .and_then(|()| own::check_overlaps(ev, &state))
        .and_then(|()| assertions::declare_when_defined(ev, &state))
        .and_then(|checked| {
            // The namespaces' names decide which units are read whole.
            let units = namespace_names(ev, &state)?
                .into_iter()
                .map(|n| namespace_service_name(&n));
            let modules = projected_modules(ev, &state, &spec_with_units(units))?;
            if checked {
                assertions::check(ev, &state)?;
            }
            Ok(modules)
        });
    let result = result.map_err(|e| options::locate(ev, &state, e));
    release(&state);
    result
}

/// Break the cycles through `state` (its `config` and `options` thunks hold it, and the
/// modules' values hold them), so that what the evaluation built is freed once the modules
/// are projected instead of living through the later stages.
fn release(state: &State) {
    state.config.borrow_mut().take();
    state.options.borrow_mut().take();
    state.modules.borrow_mut().clear();
    state.declared.borrow_mut().clear();
    state.evaluated.borrow_mut().clear();
}

// -- projection ----------------------------------------------------------------------------

/// A definition as a node, deep. The content of an `mkIf` whose condition is false is never
/// needed (nixpkgs' `dischargeProperties` checks the condition first and drops it), but where
/// the marker is a value (in an option of type `attrs`) nixpkgs keeps it whole, content and
/// all: it is shown when it evaluates, and an error in it is never raised — the content is
/// then `{}` (docs/nix.md).
pub(super) fn definition_node(ev: &Evaluator, v: &Value, span: Span) -> EvalResult<Node> {
    let attrs = match v {
        Value::Attrs(attrs) => attrs,
        // `mkMerge`'s contents.
        Value::List(items) => {
            let _guard = ev.enter(span)?;
            let mut nodes = Vec::with_capacity(items.len());
            for item in items.iter() {
                nodes.push(definition_node(ev, &ev.force(item)?, item.span())?);
            }
            return Ok(Node::new(span, Kind::List(nodes)));
        }
        _ => return ev.to_node(v, span),
    };
    if ev.is_derivation(attrs)? {
        return ev.to_node(v, span);
    }
    let _guard = ev.enter(span)?;
    let false_if = is_false_if(ev, attrs)?;
    let mut entries = Vec::with_capacity(attrs.len());
    for (name, attr) in &attrs.map {
        let value = if false_if && name.as_ref() == "content" {
            ev.force(&attr.value)
                .and_then(|content| definition_node(ev, &content, attr.value.span()))
                .unwrap_or_else(|_| Node::new(attr.value.span(), Kind::Attrs(NodeAttrs::new())))
        } else {
            definition_node(ev, &ev.force(&attr.value)?, attr.value.span())?
        };
        entries.push(Entry {
            key: name.to_string(),
            key_span: attr.key_span,
            value,
        });
    }
    Ok(Node::new(span, Kind::Attrs(NodeAttrs { entries })))
}

/// Whether `attrs` is an `mkIf` whose condition is `false` (the condition is evaluated, as
/// `dischargeProperties` evaluates it before the content).
fn is_false_if(ev: &Evaluator, attrs: &crate::eval::Attrs) -> EvalResult<bool> {
    Ok(property_tag(ev, attrs)?.as_deref() == Some("if")
        && match attrs.get("condition") {
            Some(condition) => matches!(ev.force(condition)?, Value::Bool(false)),
            None => false,
        })
}

/// The `_type` of a property marker (`if`, `merge`, `override`, `order`), else `None`.
fn property_tag(ev: &Evaluator, attrs: &crate::eval::Attrs) -> EvalResult<Option<Rc<str>>> {
    let Some(tag) = attrs.get("_type") else { return Ok(None) };
    Ok(match ev.force(tag)? {
        Value::Str(t) if matches!(t.as_ref(), "if" | "merge" | "override" | "order") => Some(t),
        _ => None,
    })
}

/// Whether a definition at a level above the options read (`spec`) reaches any of them, read
/// as `pushDownProperties` reads it: attribute names only, through `mkMerge` and the content
/// of every other property, never a condition and never an option's value.
fn reaches_read_options(ev: &Evaluator, v: &Value, spec: &Spec) -> EvalResult<bool> {
    if let Spec::All = spec {
        return Ok(true);
    }
    // Not an attribute set where one is pushed down: the module stage reports it.
    let Value::Attrs(attrs) = v else { return Ok(true) };
    if let Some(tag) = property_tag(ev, attrs)? {
        return match (tag.as_ref(), attrs.get("content"), attrs.get("contents")) {
            ("merge", _, Some(contents)) => match ev.force(contents)? {
                Value::List(items) => {
                    for item in items.iter() {
                        if reaches_read_options(ev, &ev.force(item)?, spec)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
                _ => Ok(true), // malformed: the module stage says so
            },
            (_, Some(content), _) => reaches_read_options(ev, &ev.force(content)?, spec),
            _ => Ok(true),
        };
    }
    for (name, attr) in &attrs.map {
        let reaches = match spec.child(name) {
            None => false,
            Some(Spec::All) => true,
            Some(child) => reaches_read_options(ev, &ev.force(&attr.value)?, child)?,
        };
        if reaches {
            return Ok(true);
        }
    }
    Ok(false)
}

fn project(ev: &Evaluator, v: &Value, span: Span, spec: &Spec) -> EvalResult<Node> {
    if matches!(spec, Spec::All) {
        return definition_node(ev, v, span);
    }
    let Value::Attrs(attrs) = v else {
        // Not an attribute set where the module stage expects one: it says so, located.
        return ev.to_node(v, span);
    };
    // Property markers keep their shape; only their content is projected.
    if let Some(tag) = property_tag(ev, attrs)? {
        // Above the options read, a property is pushed down onto the attributes it holds,
        // and each is discharged with its option's definitions: one that holds nothing read
        // is dropped before its condition is evaluated, and one whose condition is false
        // before its content is (nixpkgs never evaluates either).
        if matches!(tag.as_ref(), "if" | "override") && (!reaches_read_options(ev, v, spec)? || is_false_if(ev, attrs)?)
        {
            return Ok(Node::new(span, Kind::Attrs(NodeAttrs::new())));
        }
        let mut entries = Vec::new();
        for (name, attr) in &attrs.map {
            let value = ev.force(&attr.value)?;
            let node = match (name.as_ref(), &value) {
                ("content", _) => project(ev, &value, attr.value.span(), spec)?,
                ("contents", Value::List(items)) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items.iter() {
                        let iv = ev.force(item)?;
                        out.push(project(ev, &iv, item.span(), spec)?);
                    }
                    Node::new(attr.value.span(), Kind::List(out))
                }
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

/// Every module projected onto what netns-compile reads (`spec`). Where a module extends one of
/// the compiler's own options (`own.rs`), that option is the engine's: one module more, in
/// place of the modules' definitions of it (but for the elements `spec` names, which are read
/// as written: the namespaces' own units).
fn projected_modules(ev: &Evaluator, state: &Rc<State>, spec: &Spec) -> EvalResult<Vec<Node>> {
    let mut spec = Cow::Borrowed(spec);
    let mut extensions = Vec::new();
    for option in READ_OPTIONS.into_iter().filter(|o| o.in_config) {
        if spec.reaches(option.path) && own::extended(ev, state, option)? {
            let units = spec.named_below(option.path);
            extensions.push(own::extended_node(ev, state, option, &units)?);
            if !units.is_empty() {
                extensions.push(own::namespace_units_node(ev, state)?);
            }
            spec = Cow::Owned(spec.into_owned().without(option.path));
        }
    }
    let mut out = projected_modules_as_written(ev, state, &spec)?;
    out.extend(extensions);
    Ok(out)
}

fn projected_modules_as_written(ev: &Evaluator, state: &State, spec: &Spec) -> EvalResult<Vec<Node>> {
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

/// `config` at `path`: an option's value (the engine's), or an attrset of what is below.
fn config_level(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    if let Some(option) = own::own_option(path) {
        return own::config_value(ev, state, option);
    }
    let declared = options::declared_at(ev, state, path)?;
    if let options::Declared::Option(_) = declared {
        return options::declared_value(ev, state, path);
    }
    // Below: declared and known options, and whatever modules define here.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for known in known_paths() {
        if known.len() > parts.len() && known[..parts.len()] == parts[..] {
            names.insert(known[parts.len()].to_string());
        }
    }
    if let options::Declared::Below(below) = &declared {
        names.extend(below.iter().cloned());
    }
    let defined = defined_values(ev, state, &parts)?;
    let mut has_leaves = false;
    for d in &defined {
        let mut pushed = Vec::new();
        push_down(ev, d.value.clone(), &mut pushed)?;
        for l in pushed {
            match l {
                Level::Attrs(a, _) => names.extend(a.map.keys().map(|k| k.to_string())),
                Level::Value => has_leaves = true,
            }
        }
    }
    if has_leaves && names.is_empty() {
        // Something netns-compile does not declare, defined as a value: the engine merges it
        // (options.rs, own_options.nix's `<undeclared>`).
        return options::declared_value(ev, state, path);
    }
    if names.is_empty() && !parts.is_empty() && defined.is_empty() {
        return Err(error(
            ev_span(ev),
            format!(
                "the option `{}` is not defined: netns-compile knows the options it reads ({}) and those the modules declare",
                parts.join("."),
                config_options_shown()
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

/// The paths of the options whose merged value modules read in `config`.
fn known_paths() -> Vec<&'static [&'static str]> {
    READ_OPTIONS
        .into_iter()
        .filter(|o| o.in_config)
        .map(|o| o.path)
        .collect()
}

/// The names of `services.netns.namespaces`: the attributes of its definitions that win on
/// priority, once their properties are discharged (their values are not read).
fn namespace_names(ev: &Evaluator, state: &State) -> EvalResult<BTreeSet<String>> {
    let mut defs = Vec::new();
    // What an override holds is discharged too (`mkForce (mkIf …)`).
    for d in options::winning(ev, defined_values(ev, state, NAMESPACES.path)?)? {
        defs.extend(options::winning(ev, vec![d])?);
    }
    let mut names = BTreeSet::new();
    for d in defs {
        let Value::Attrs(a) = &d.value else { continue };
        for (name, attr) in &a.map {
            if names.contains(name.as_ref()) {
                continue;
            }
            // `attrsOf` keeps a name only if one of its definitions survives its properties.
            let element = Definition {
                value: ev.force(&attr.value)?,
                span: attr.value.span(),
                key_span: attr.key_span,
                file: d.file.clone(),
            };
            if options::survives(ev, element)? {
                names.insert(name.to_string());
            }
        }
    }
    Ok(names)
}
