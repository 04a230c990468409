//! The typed config: what the checks, the graph and the emitter work on.

pub mod tools;

use crate::source::Span;
pub use tools::Tools;

/// One namespace, resolved and merged into its service.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: String,
    pub name_span: Span,
    /// `netns-<escaped>.service`.
    pub unit_name: String,
    pub nftables: String,
    pub nftables_span: Span,
    pub nftables_inherited: bool,
    pub sysctl: Vec<SysctlEntry>,
    pub sysctl_inherited: bool,
    pub unit: ServiceUnit,
}

/// One sysctl key of a namespace, with its rendered value (`None`: null, left out).
#[derive(Clone, Debug)]
pub struct SysctlEntry {
    pub key: String,
    pub key_span: Span,
    pub value: Option<String>,
}

/// A generated service unit, ready to render (SPEC §4.1).
#[derive(Clone, Debug, Default)]
pub struct ServiceUnit {
    pub name: String,
    /// `enable = false`: the unit is a link to /dev/null, as NixOS makes it.
    pub enabled: bool,
    /// `[Unit]` keys sorted, each with its rendered values (one line each).
    pub unit_section: Vec<(String, Vec<String>)>,
    /// `NAME=value` pairs of `Environment=`, sorted by name.
    pub environment: Vec<(String, String)>,
    /// `X-ReloadIfChanged=true` and friends, in NixOS's order.
    pub flags: Vec<&'static str>,
    /// `[Service]` keys sorted, each with its rendered values.
    pub service_section: Vec<(String, Vec<String>)>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    /// Scripts of this unit (file name, content), in the libexec folder of the unit.
    pub scripts: Vec<Script>,
    /// Dependencies for the graph, with where each was written.
    pub relations: Vec<(DepKind, String, Span)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub name: String,
    pub content: String,
}

/// Unit relations the graph reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepKind {
    After,
    Before,
    Requires,
    Wants,
    BindsTo,
    PartOf,
    Requisite,
    Upholds,
    Conflicts,
    JoinsNamespaceOf,
    WantedBy,
    RequiredBy,
}

impl DepKind {
    pub fn from_option(option: &str) -> Option<DepKind> {
        Some(match option {
            "after" => DepKind::After,
            "before" => DepKind::Before,
            "requires" => DepKind::Requires,
            "wants" => DepKind::Wants,
            "bindsTo" => DepKind::BindsTo,
            "partOf" => DepKind::PartOf,
            "requisite" => DepKind::Requisite,
            "upholds" => DepKind::Upholds,
            "conflicts" => DepKind::Conflicts,
            "wantedBy" => DepKind::WantedBy,
            "requiredBy" => DepKind::RequiredBy,
            _ => return None,
        })
    }
}

/// A service that runs inside a namespace (`systemd.services.<svc>.netns`).
#[derive(Clone, Debug)]
pub struct JoiningService {
    /// `<svc>.service`.
    pub unit_name: String,
    pub name_span: Span,
    pub namespace: String,
    pub namespace_span: Span,
    pub relations: Vec<(DepKind, String, Span)>,
}

/// Everything the emitter needs.
#[derive(Clone, Debug)]
pub struct Model {
    pub namespaces: Vec<Namespace>,
    pub joining: Vec<JoiningService>,
    /// Other services named in `systemd.services` (their ordering takes part in the graph).
    pub other_services: Vec<JoiningService>,
    pub nftables_enable: bool,
    pub tools: Tools,
}
pub mod build;
pub mod escape;
pub mod service;
