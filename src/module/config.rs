//! The top of the module stage: from the modules' config trees to the resolved options.
//!
//! Each module (one for JSON input, one per file for Nix) gives a config tree. Walking down
//! attribute levels that are not options pushes properties down (`pushDownProperties`); at an
//! option the raw definitions are merged by its type (`mergeDefinitions`).

use super::loc::Loc;
use super::merge::{merge_checked, merge_option, prepare_defs, unknown_option};
use super::property::{Def, MK_OPTION_DEFAULT, push_down};
use super::read_options::{
    GLOBAL_ENVIRONMENT, Merge, NAMESPACES, NETNS_MODULE, NFTABLES_ENABLE, NFTABLES_RULESET, ReadOption, SERVICES,
    STRICT_SHELL_CHECKS, SYSCTL, TOOLS, UNIT_EXTENSIONS, WIREGUARD_INTERFACES, netns_module_options,
    partial_config_options,
};
use super::schema;
use super::submodules::{
    DnsOptions, ENABLE, HostLinkOptions, OpenVpnOptions, PortForwardOptions, WatchdogOptions, WireGuardOptions,
};
use super::types::Ty;
use super::unit_name::namespace_service_name;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, parts};
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::Span;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// The options netns-compile reads, merged.
#[derive(Clone, Debug)]
pub struct ResolvedConfig {
    pub nftables_enable: Node,
    pub nftables_ruleset: Node,
    pub sysctl: Node,
    pub global_environment: Node,
    /// `systemd.enableStrictShellChecks`: the default of each service's own option.
    pub strict_shell_checks: Node,
    pub namespaces: Vec<ResolvedNamespace>,
    pub services: Vec<ResolvedService>,
    /// `networking.wireguard.interfaces.<i>` of NixOS's WireGuard module, as far as read
    /// (`interfaceNamespace`, SPEC §11).
    pub wireguard_interfaces: Vec<ResolvedService>,
    /// The `tools` key, as given (read by the tools stage).
    pub tools: Option<Node>,
}

/// One `services.netns.namespaces.<name>`.
#[derive(Clone, Debug)]
pub struct ResolvedNamespace {
    pub name: String,
    /// The first place the name is written.
    pub name_span: Span,
    /// `{ nftables, service, sysctl }` as NixOS resolves it (what `resolve` prints).
    pub value: Node,
    /// True when no definition of `sysctl` beat the default (`boot.kernel.sysctl`).
    pub sysctl_inherited: bool,
    /// True when no definition of `nftables` beat the default (`networking.nftables.ruleset`).
    pub nftables_inherited: bool,
    /// The definitions made directly on the namespace's unit, `systemd.services.netns-<escaped>`
    /// (SPEC §3.3), raw, in the order `attrsOf` hands them to the unit's submodule: NixOS
    /// merges them with the netns module's own definition of that unit.
    pub unit_defs: Vec<Node>,
    /// What the `config` of modules that extend `systemd.services` defines on that unit
    /// ([`UNIT_EXTENSIONS`]): it is one of the unit's submodule's own modules, so NixOS merges
    /// it whatever priority wins among the definitions above, and before them.
    pub unit_extension_defs: Vec<Node>,
}

/// A resolved namespace as the model reads it: each option of the namespace submodule once,
/// typed as far as the model takes it as a whole, with the span of its definition. The
/// submodules of SPEC §11–§14 are handed over as views of their merged sub-options
/// (`submodules.rs`), and only when enabled.
#[derive(Clone, Copy, Debug)]
pub struct NamespaceOptions<'a> {
    /// `nftables`: its ruleset, inherited or not ([`ResolvedNamespace::nftables_inherited`]).
    pub nftables: Ruleset<'a>,
    /// `sysctl`: each key with its merged value.
    pub sysctl: &'a [Entry],
    /// `service`: the definition of the namespace's unit the netns module merges.
    pub service: Option<&'a Node>,
    /// `publish`: each published port (read through
    /// [`PublishOptions::of`](super::submodules::PublishOptions::of)).
    pub publish: &'a [Entry],
    pub dns: Option<DnsOptions<'a>>,
    pub host_link: Option<HostLinkOptions<'a>>,
    pub wireguard: Option<WireGuardOptions<'a>>,
    pub openvpn: Option<OpenVpnOptions<'a>>,
    /// `ipv6`: one of [`IPV6_VALUES`](super::schema::IPV6_VALUES), where defined.
    pub ipv6: Option<&'a Node>,
    pub watchdog: Option<WatchdogOptions<'a>>,
    pub port_forward: Option<PortForwardOptions<'a>>,
}

/// A namespace's ruleset and where it is defined (the namespace's name where nothing is).
#[derive(Clone, Copy, Debug)]
pub struct Ruleset<'a> {
    pub text: &'a str,
    pub span: Span,
}

impl ResolvedNamespace {
    /// The namespace's options (see [`NamespaceOptions`]).
    pub fn options(&self) -> NamespaceOptions<'_> {
        let a = self.value.attrs();
        let entry = |option: &str| a.and_then(|a| a.entry(option));
        let submodule = |option: &str| {
            let e = entry(option)?;
            Some((e.key_span, e.value.attrs()?))
        };
        // `hostLink`, `wireguard`, `openvpn`, `watchdog` and `portForward` do nothing unless
        // enabled.
        let enabled = |option: &str| {
            submodule(option).filter(|(_, options)| options.get(ENABLE).and_then(Node::as_bool) == Some(true))
        };
        let entries = |option: &str| {
            entry(option)
                .and_then(|e| e.value.attrs())
                .map_or(&[][..], |a| a.entries.as_slice())
        };
        let nftables = entry("nftables").map(|e| &e.value);
        NamespaceOptions {
            nftables: Ruleset {
                text: nftables.and_then(Node::as_str).unwrap_or(""),
                span: nftables.map_or(self.name_span, |n| n.span),
            },
            sysctl: entries("sysctl"),
            service: entry("service").map(|e| &e.value),
            publish: entries("publish"),
            dns: submodule("dns").map(|(span, o)| DnsOptions::new(span, o)),
            host_link: enabled("hostLink").map(|(span, o)| HostLinkOptions::new(span, o)),
            wireguard: enabled("wireguard").map(|(span, o)| WireGuardOptions::new(span, o)),
            openvpn: enabled("openvpn").map(|(span, o)| OpenVpnOptions::new(span, o)),
            ipv6: entry("ipv6").map(|e| &e.value),
            watchdog: enabled("watchdog").map(|(span, o)| WatchdogOptions::new(span, o)),
            port_forward: enabled("portForward").map(|(span, o)| PortForwardOptions::new(span, o)),
        }
    }
}

/// One `systemd.services.<name>`, as far as netns-compile reads it.
#[derive(Clone, Debug)]
pub struct ResolvedService {
    pub name: String,
    pub name_span: Span,
    pub value: Node,
}

impl ResolvedService {
    /// `systemd.services.<name>.netns` (SPEC §3.5): the namespace the service joins, where it
    /// names one (not null).
    pub fn netns(&self) -> Option<&Node> {
        super::unit_options::UnitOptions::read(&self.value)?.netns()
    }

    /// `networking.wireguard.interfaces.<i>.interfaceNamespace`: the namespace NixOS moves the
    /// interface into, where set.
    pub fn interface_namespace(&self) -> Option<&Node> {
        self.value.attrs()?.get("interfaceNamespace")
    }
}

/// The raw definitions of the option at `path` from every module.
///
/// `modules` are in the order they were collected (the entry file first, then its imports);
/// `evalModules` merges them in reverse, so definitions come out last module first.
pub fn defs_at<'a>(modules: &'a [Node], path: &[&str], diags: &mut Diagnostics) -> Vec<Def<'a>> {
    let mut level: Vec<Cow<'a, Node>> = Vec::new();
    for m in modules.iter().rev() {
        push_down(Cow::Borrowed(m), &mut level, diags);
    }
    let Some((last, inner)) = path.split_last() else {
        return level
            .into_iter()
            .map(|v| match v {
                Cow::Borrowed(n) => Def::new(n),
                Cow::Owned(n) => Def::owned(n),
            })
            .collect();
    };
    for comp in inner {
        let mut next = Vec::new();
        for v in level {
            let child = match v {
                Cow::Borrowed(n) => n.attrs().and_then(|a| a.get(comp)).map(Cow::Borrowed),
                Cow::Owned(n) => n.attrs().and_then(|a| a.get(comp)).cloned().map(Cow::Owned),
            };
            if let Some(c) = child {
                push_down(c, &mut next, diags);
            }
        }
        level = next;
    }
    level
        .into_iter()
        .filter_map(|v| match v {
            Cow::Borrowed(n) => n.attrs().and_then(|a| a.get(last)).map(Def::new),
            Cow::Owned(n) => n.attrs().and_then(|a| a.get(last)).cloned().map(Def::owned),
        })
        .collect()
}

/// Keys defined at a non-option level (`path`), with their spans, from every module.
fn keys_at(modules: &[Node], path: &[&str], diags: &mut Diagnostics) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for d in defs_at(modules, path, diags) {
        let mut pushed = Vec::new();
        push_down(d.value, &mut pushed, diags);
        for v in pushed {
            if let Some(a) = v.attrs() {
                out.extend(a.entries.iter().map(|e| (e.key.clone(), e.key_span)));
            }
        }
    }
    out
}

/// A typed option of [`READ_OPTIONS`](super::read_options::READ_OPTIONS), merged.
fn typed_option(modules: &[Node], option: &ReadOption, diags: &mut Diagnostics) -> Node {
    let Merge::Typed { ty, default } = &option.merge else {
        panic!("`{}` is not a typed option", option.path.join("."));
    };
    let default = default();
    let defs = defs_at(modules, option.path, diags);
    merge_option(&Loc::new(option.path), &ty(), defs, Some(&default), diags).map_or(default, |m| m.value)
}

/// Merge everything netns-compile reads.
pub fn resolve_config(modules: &[Node], diags: &mut Diagnostics) -> ResolvedConfig {
    check_partial_config(modules, diags);
    check_netns_module_keys(modules, diags);
    let nftables_enable = typed_option(modules, &NFTABLES_ENABLE, diags);
    let nftables_ruleset = typed_option(modules, &NFTABLES_RULESET, diags);
    let sysctl = typed_option(modules, &SYSCTL, diags);
    let global_environment = typed_option(modules, &GLOBAL_ENVIRONMENT, diags);
    let strict_shell_checks = typed_option(modules, &STRICT_SHELL_CHECKS, diags);
    let mut namespaces = resolve_namespaces(modules, &nftables_ruleset, &sysctl, diags);
    let unit_names: BTreeSet<String> = namespaces.iter().map(|ns| namespace_service_name(&ns.name)).collect();
    let (services, mut unit_defs) = resolve_attrs_of(modules, &SERVICES, &unit_names, diags);
    for ns in &mut namespaces {
        let unit = namespace_service_name(&ns.name);
        let mut path = UNIT_EXTENSIONS.to_vec();
        path.push(&unit);
        // In module order, as their submodule collects them.
        ns.unit_extension_defs = defs_at(modules, &path, diags)
            .into_iter()
            .rev()
            .map(|d| d.value.as_ref().clone())
            .collect();
        ns.unit_defs = unit_defs.remove(&unit).unwrap_or_default();
    }
    let (wireguard_interfaces, _) = resolve_attrs_of(modules, &WIREGUARD_INTERFACES, &BTreeSet::new(), diags);
    let tools = defs_at(modules, TOOLS.path, diags)
        .last()
        .map(|d| d.value.as_ref().clone());
    ResolvedConfig {
        nftables_enable,
        nftables_ruleset,
        sysctl,
        global_environment,
        strict_shell_checks,
        namespaces,
        services,
        wireguard_interfaces,
        tools,
    }
}

/// Every key directly under `services.netns` must be one of the netns module's options.
fn check_netns_module_keys(modules: &[Node], diags: &mut Diagnostics) {
    for (key, span) in keys_at(modules, NETNS_MODULE, diags) {
        if !netns_module_options().any(|o| o == key) {
            let path: Vec<&str> = NETNS_MODULE.iter().copied().chain([key.as_str()]).collect();
            diags.push(unknown_option(&Loc::new(&path), span, netns_module_options()));
        }
    }
}

/// JSON of `config.services.netns` alone (`namespaces` at the top level) would silently lose
/// the other options the units depend on: refuse it and show the command that prints the right
/// subset.
fn check_partial_config(modules: &[Node], diags: &mut Diagnostics) {
    for m in modules {
        let Some(a) = m.attrs() else { continue };
        if let Some(e) = netns_module_options().find_map(|o| a.entry(o))
            && a.get(NETNS_MODULE[0]).is_none()
        {
            diags.push(
                Diagnostic::new(
                    Code::PartialConfig,
                    format!(
                        "this JSON holds only `config.{}`; the compiler needs the whole subset it reads",
                        NETNS_MODULE.join(".")
                    ),
                )
                .at(e.key_span, format!("`{}` at the top level", e.key))
                .note(format!(
                    "without {} the units would silently differ from NixOS",
                    partial_config_options()
                ))
                .help(
                    "print the subset the compiler reads with: nix eval --json \
                     .#nixosConfigurations.HOST.config --impure --apply \
                     \"(builtins.getFlake (toString ./.)).inputs.netns-compile.lib.toCompilerJSON\" \
                     (README, \"Without Nix\")",
                ),
            );
        }
    }
}

fn resolve_namespaces(
    modules: &[Node],
    ruleset: &Node,
    sysctl: &Node,
    diags: &mut Diagnostics,
) -> Vec<ResolvedNamespace> {
    let loc = Loc::new(NAMESPACES.path);
    let defs = defs_at(modules, NAMESPACES.path, diags);
    let empty = schema::empty_attrs_default();
    let attrs_ty = Ty::AttrsOf(Box::new(Ty::Attrs));
    let Some((defs, _)) = prepare_defs(&loc, &attrs_ty, defs, Some(&empty), diags) else {
        return Vec::new();
    };
    // attrsOf: group each definition's attributes by namespace name.
    let mut by_name: std::collections::BTreeMap<&str, (Span, Vec<Def>)> = Default::default();
    for d in &defs {
        for e in d.value.attrs().map(|a| a.entries.as_slice()).unwrap_or(&[]) {
            let slot = by_name.entry(e.key.as_str()).or_insert((e.key_span, Vec::new()));
            slot.1.push(Def::new(&e.value));
        }
    }
    let ns_schema = schema::namespace_schema(ruleset, sysctl);
    let sysctl_ty = schema::sysctl_type();
    let given = Given {
        ruleset,
        sysctl,
        ns_schema: &ns_schema,
        sysctl_ty: &sysctl_ty,
    };
    let groups: Vec<(&str, (Span, Vec<Def>))> = by_name.into_iter().collect();
    // Each namespace is resolved on its own: for many, in parallel parts put back in order.
    parts::in_parts(&groups, parts::MIN_PART, diags, |part, diags| {
        let loc = Loc::new(NAMESPACES.path);
        part.iter()
            .filter_map(|(name, (name_span, ns_defs))| {
                resolve_namespace(&loc.child(name), name, *name_span, ns_defs.clone(), given, diags)
            })
            .collect()
    })
}

/// What every namespace is resolved against: the defaults it inherits and its schema.
#[derive(Clone, Copy)]
struct Given<'a> {
    ruleset: &'a Node,
    sysctl: &'a Node,
    ns_schema: &'a super::types::Schema,
    sysctl_ty: &'a Ty,
}

/// One `services.netns.namespaces.<name>` from its definitions; `None` when every definition
/// was `mkIf false` (no such namespace) or they do not merge.
fn resolve_namespace(
    ns_loc: &Loc,
    name: &str,
    name_span: Span,
    ns_defs: Vec<Def>,
    given: Given,
    diags: &mut Diagnostics,
) -> Option<ResolvedNamespace> {
    let Given {
        ruleset,
        sysctl,
        ns_schema,
        sysctl_ty,
    } = given;
    let (mut ns_defs, _) = prepare_defs(ns_loc, &Ty::Attrs, ns_defs, None, diags)?;
    // The namespace is a submodule: its modules are merged last-first (see merge_submodule).
    ns_defs.reverse();
    let mut entries = Vec::new();
    let inherited = |option: &str, ty: &Ty, default: &Node, entries: &mut Vec<Entry>, diags: &mut Diagnostics| {
        let mut option_defs = Vec::new();
        let mut key_span = None;
        for d in &ns_defs {
            if let Some(e) = d.value.attrs().and_then(|a| a.entry(option)) {
                key_span.get_or_insert(e.key_span);
                option_defs.push(Def::new(&e.value));
            }
        }
        let merged = merge_option(&ns_loc.child(option), ty, option_defs, Some(default), diags);
        let priority = merged.as_ref().map_or(MK_OPTION_DEFAULT, |m| m.priority);
        if let Some(m) = merged {
            entries.push(Entry {
                key: option.to_string(),
                key_span: key_span.unwrap_or(m.value.span),
                value: m.value,
            });
        }
        priority >= MK_OPTION_DEFAULT
    };
    let nftables_inherited = inherited("nftables", &Ty::Lines, ruleset, &mut entries, diags);
    let sysctl_inherited = inherited("sysctl", sysctl_ty, sysctl, &mut entries, diags);
    inherited(
        "service",
        &Ty::Attrs,
        &schema::empty_attrs_default(),
        &mut entries,
        diags,
    );
    for option in schema::CONNECT_OPTIONS {
        connect_option(ns_loc, ns_schema, option, &ns_defs, &mut entries, diags);
    }
    for d in &ns_defs {
        for e in d.value.attrs().map(|a| a.entries.as_slice()).unwrap_or(&[]) {
            if ns_schema.option(&e.key).is_none() {
                diags.push(unknown_option(
                    &ns_loc.child(&e.key),
                    e.key_span,
                    ns_schema.options.iter().map(|o| o.0),
                ));
            }
        }
    }
    Some(ResolvedNamespace {
        name: name.to_string(),
        name_span,
        value: Node::new(name_span, Kind::Attrs(Attrs::from_entries(entries))),
        sysctl_inherited,
        nftables_inherited,
        unit_defs: Vec::new(),
        unit_extension_defs: Vec::new(),
    })
}

/// One option of SPEC §11, merged only where a definition gives it: it has no default, so a
/// namespace without it resolves (and `resolve` prints it) exactly as NixOS's does.
fn connect_option(
    ns_loc: &Loc,
    ns_schema: &super::types::Schema,
    option: &str,
    ns_defs: &[Def],
    entries: &mut Vec<Entry>,
    diags: &mut Diagnostics,
) {
    let Some((_, ty, _)) = ns_schema.option(option) else {
        return;
    };
    let mut option_defs = Vec::new();
    let mut key_span = None;
    for d in ns_defs {
        if let Some(e) = d.value.attrs().and_then(|a| a.entry(option)) {
            key_span.get_or_insert(e.key_span);
            option_defs.push(Def::new(&e.value));
        }
    }
    let Some(key_span) = key_span else { return };
    if let Some(m) = merge_option(&ns_loc.child(option), ty, option_defs, None, diags) {
        entries.push(Entry {
            key: option.to_string(),
            key_span,
            value: m.value,
        });
    }
}

/// The raw definitions of some attributes of an `attrsOf` option, by name.
type RawDefs = BTreeMap<String, Vec<Node>>;

/// An `attrsOf (submodule …)` option of NixOS of which netns-compile reads a few options; of
/// the attributes named in `whole`, also every definition as it is (see
/// [`ResolvedNamespace::unit_defs`]).
fn resolve_attrs_of(
    modules: &[Node],
    option: &ReadOption,
    whole: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> (Vec<ResolvedService>, RawDefs) {
    let Merge::EachOf(schema) = &option.merge else {
        panic!("`{}` is not an attrsOf (submodule …) option", option.path.join("."));
    };
    let loc = Loc::new(option.path);
    let defs = defs_at(modules, option.path, diags);
    let ty = Ty::AttrsOf(Box::new(Ty::Submodule(Box::new(schema()))));
    let empty = schema::empty_attrs_default();
    let Some((defs, _)) = prepare_defs(&loc, &ty, defs, Some(&empty), diags) else {
        return Default::default();
    };
    let mut spans = BTreeMap::new();
    let mut raw = RawDefs::new();
    for d in &defs {
        for e in d.value.attrs().map(|a| a.entries.as_slice()).unwrap_or(&[]) {
            spans.entry(e.key.clone()).or_insert(e.key_span);
            if whole.contains(&e.key) {
                raw.entry(e.key.clone()).or_default().push(e.value.clone());
            }
        }
    }
    let Some(merged) = merge_checked(&loc, &ty, defs, diags) else {
        return (Vec::new(), raw);
    };
    let services = merged
        .attrs()
        .map(|a| {
            a.entries
                .iter()
                .map(|e| ResolvedService {
                    name: e.key.clone(),
                    name_span: spans.get(&e.key).copied().unwrap_or(e.key_span),
                    value: e.value.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    (services, raw)
}

/// `resolve`'s output: `config.services.netns.namespaces` as JSON.
pub fn resolved_json(config: &ResolvedConfig) -> serde_json::Value {
    serde_json::Value::Object(
        config
            .namespaces
            .iter()
            .map(|ns| (ns.name.clone(), ns.value.to_json()))
            .collect(),
    )
}
