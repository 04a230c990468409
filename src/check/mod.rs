//! The checks of SPEC §3.6 that go beyond what NixOS checks.

pub mod confine;
pub mod connect;
pub mod ordering;
pub mod probe;
pub mod sysctl;
pub mod tunnel;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{Model, Namespace};
use crate::suggest::closest;
use sysctl::Scope;

/// Longest unit file name systemd accepts.
pub const MAX_UNIT_NAME_BYTES: usize = 255;

/// Every check that needs only the model (the ordering checks need the graph).
pub fn check_model(model: &Model, diags: &mut Diagnostics) {
    for ns in &model.namespaces {
        check_name(ns, diags);
        check_sysctl(ns, diags);
        if model.nftables_enable && ns.nftables.trim().is_empty() {
            let d = Diagnostic::new(
                Code::EmptyRuleset,
                format!(
                    "namespace `{}` gets an empty nftables ruleset while nftables is enabled",
                    ns.name
                ),
            );
            let d = if ns.nftables_inherited {
                d.at(
                    ns.name_span,
                    "this namespace inherits `networking.nftables.ruleset`, which is empty",
                )
            } else {
                d.at(ns.nftables_span, "empty ruleset defined here")
            };
            diags.push(d.note("`flush ruleset` runs and nothing is loaded: the namespace is left unfiltered"));
        }
    }
    check_collisions(model, diags);
    check_joins(model, diags);
    check_wireguard_namespaces(model, diags);
    connect::check_connect(model, diags);
}

/// `networking.wireguard.interfaces.<i>.interfaceNamespace` must name a declared namespace.
fn check_wireguard_namespaces(model: &Model, diags: &mut Diagnostics) {
    for wg in &model.wireguard_interfaces {
        if model.namespaces.iter().any(|n| n.name == wg.namespace) {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::UnknownNamespace,
            format!(
                "{} moves its interface into namespace `{}`, which is not declared",
                wg.unit_name, wg.namespace
            ),
        )
        .at(wg.namespace_span, "no such namespace in `services.netns.namespaces`");
        if let Some(best) = closest(&wg.namespace, model.namespaces.iter().map(|n| n.name.as_str())) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        diags.push(d);
    }
}

/// Names iproute2 or systemd reject were reported while building the model (their units
/// are not built); what is left is the length of the unit name.
fn check_name(ns: &Namespace, diags: &mut Diagnostics) {
    if ns.unit_name.len() > MAX_UNIT_NAME_BYTES {
        diags.push(
            Diagnostic::new(
                Code::InvalidNamespaceName,
                format!(
                    "the unit name of namespace {:?} is longer than {MAX_UNIT_NAME_BYTES} bytes",
                    ns.name
                ),
            )
            .at(ns.name_span, format!("gives a {}-byte unit name", ns.unit_name.len())),
        );
    }
}

fn check_sysctl(ns: &Namespace, diags: &mut Diagnostics) {
    for e in &ns.sysctl {
        if e.value.is_none() {
            continue; // null: not written
        }
        let origin = if ns.sysctl_inherited {
            "inherited from `boot.kernel.sysctl`"
        } else {
            "defined by the namespace"
        };
        match sysctl::scope(&e.key) {
            Scope::Namespace => {}
            Scope::Host if !ns.sysctl_inherited => diags.push(
                Diagnostic::new(
                    Code::HostSysctl,
                    format!(
                        "sysctl `{}` of namespace `{}` is not per network namespace",
                        e.key, ns.name
                    ),
                )
                .at(e.key_span, "set inside the namespace, this changes the host")
                .help("set it in `boot.kernel.sysctl` instead, or remove it"),
            ),
            Scope::Host => diags.push(
                Diagnostic::new(
                    Code::InheritedHostSysctl,
                    format!("namespace `{}` inherits the host-wide sysctl `{}`", ns.name, e.key),
                )
                .at(e.key_span, "defined here in `boot.kernel.sysctl`")
                .also(ns.name_span, "this namespace inherits it")
                .note("the namespace's sysctl script sets it again on the host")
                .help("give the namespace its own `sysctl` (it replaces the inherited set)"),
            ),
            Scope::Absent => diags.push(
                Diagnostic::new(
                    Code::SysctlNotInNamespace,
                    format!("sysctl `{}` does not exist in a network namespace", e.key),
                )
                .at(e.key_span, format!("{origin}; `sysctl --ignore` skips it there")),
            ),
            Scope::ReadOnly => diags.push(
                Diagnostic::new(
                    Code::SysctlReadOnlyInNamespace,
                    format!("sysctl `{}` is read-only in a network namespace", e.key),
                )
                .at(e.key_span, format!("{origin}; it cannot take effect there")),
            ),
        }
    }
}

fn check_collisions(model: &Model, diags: &mut Diagnostics) {
    let mut by_unit: std::collections::BTreeMap<&str, Vec<&Namespace>> = Default::default();
    for ns in &model.namespaces {
        by_unit.entry(ns.unit_name.as_str()).or_default().push(ns);
    }
    for (unit, group) in by_unit {
        if group.len() < 2 {
            continue;
        }
        let names: Vec<String> = group.iter().map(|n| format!("{:?}", n.name)).collect();
        let mut d = Diagnostic::new(
            Code::UnitNameCollision,
            format!("namespaces {} all escape to the unit {unit}", names.join(" and ")),
        );
        for ns in &group {
            d = d.also(ns.name_span, format!("{:?} becomes {unit}", ns.name));
        }
        diags.push(
            d.note("NixOS silently keeps only one of them")
                .help("rename one of the namespaces"),
        );
    }
}

fn check_joins(model: &Model, diags: &mut Diagnostics) {
    for svc in &model.joining {
        if let Some(ns) = model.namespaces.iter().find(|n| n.unit_name == svc.unit_name) {
            diags.push(
                Diagnostic::new(
                    Code::JoinsTwoNamespaces,
                    format!(
                        "{} creates namespace `{}` and cannot also join `{}`",
                        svc.unit_name, ns.name, svc.namespace
                    ),
                )
                .at(svc.namespace_span, "joins this namespace")
                .also(ns.name_span, "but the service is this namespace's own unit"),
            );
            continue;
        }
        if !model.namespaces.iter().any(|n| n.name == svc.namespace) {
            let mut d = Diagnostic::new(
                Code::UnknownNamespace,
                format!(
                    "{} joins namespace `{}`, which is not declared",
                    svc.unit_name, svc.namespace
                ),
            )
            .at(svc.namespace_span, "no such namespace in `services.netns.namespaces`");
            if let Some(best) = closest(&svc.namespace, model.namespaces.iter().map(|n| n.name.as_str())) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            diags.push(d);
        }
        let stem = svc.unit_name.strip_suffix(".service").unwrap_or(&svc.unit_name);
        if !crate::module::types::is_unit_name(&svc.unit_name) || stem.contains(['/', ' ']) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidUnitName,
                    format!("`{}` is not a unit name systemd accepts", svc.unit_name),
                )
                .at(svc.name_span, "in `systemd.services`"),
            );
        }
    }
}
