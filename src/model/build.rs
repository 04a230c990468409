//! From the resolved options to the typed model.

use super::connect_units::guard_unit_name;
use super::connect_units::tunnel_unit;
use super::escape::{TRIGGER_DIR, namespace_unit_name, script_dir};
use super::guard::guard_table;
use super::join::{guard_relations, interface_move_relations, join_relations};
use super::service::{ServiceContext, build_service_unit, default_path_env};
use super::{JoiningService, Model, Namespace, SysctlEntry, Tools};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, parts};
use crate::module::config::{ResolvedConfig, ResolvedNamespace, ResolvedService};
use crate::module::unit_options::UnitOptions;
use crate::nix_text::{NixValue, nix_value};
use crate::node::{Entry, Kind, Node};
use std::collections::HashSet;

/// Longest namespace name iproute2 accepts (`NAME_MAX`).
pub const MAX_NAME_BYTES: usize = 255;

/// Why iproute2 or the unit file would not take this name, if it would not.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty: iproute2 rejects it".into());
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is not a name iproute2 accepts"));
    }
    if name.contains('/') {
        return Some("the name contains `/`: iproute2 rejects it (it names a file under /run/netns)".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "the name is {} bytes long; iproute2 accepts at most {MAX_NAME_BYTES}",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "the name contains the control character {:?}: it would break the unit file",
            c
        ));
    }
    if name.starts_with('-') {
        return Some("the name starts with `-`: `ip netns` would read it as an option".into());
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '%' | '$' | '\\')) {
        let why = match c {
            '%' => "systemd reads `%` in unit files as a specifier",
            '$' => "systemd expands `$` in command lines as a variable",
            _ => "systemd reads `\\` in command lines as an escape",
        };
        return Some(format!(
            "the name contains `{c}`: {why}, so `ExecStop=` would name another namespace"
        ));
    }
    None
}

/// Build the model. `prefix` is where the output tree will live (units name scripts by
/// absolute path under it).
pub fn build_model(cfg: &ResolvedConfig, tools: Tools, prefix: &str, diags: &mut Diagnostics) -> Model {
    build_model_on(cfg, tools, prefix, parts::threads(), diags)
}

/// [`build_model`] on at most `threads` threads.
fn build_model_on(cfg: &ResolvedConfig, tools: Tools, prefix: &str, threads: usize, diags: &mut Diagnostics) -> Model {
    let nftables_enable = cfg.nftables_enable.as_bool().unwrap_or(false);
    let default_path_env = default_path_env(&tools);
    let shared = Shared {
        tools: &tools,
        nftables_enable,
        default_path_env: default_path_env.as_deref(),
    };
    // Namespaces are built independently of each other: in parallel, in contiguous parts whose
    // results (and diagnostics) are put back in order, so the model is the same either way.
    let mut namespaces = parts::in_parts_on(&cfg.namespaces, parts::MIN_PART, threads, diags, |part, diags| {
        // Sized up front: a namespace is large, and a vector grown by doubling would hold up
        // to twice the part at the peak of `check`'s memory.
        let mut built: Vec<Namespace> = Vec::with_capacity(part.len());
        built.extend(
            part.iter()
                .filter_map(|ns| build_namespace(ns, cfg, &shared, prefix, diags)),
        );
        built
    });
    let (mut joining, other_services) = services(&cfg.services, &namespaces);
    let mut wireguard_interfaces = wireguard_interfaces(&cfg.wireguard_interfaces);
    let namespace_of = |namespace: &str| namespaces.iter().find(|ns| ns.name == namespace);
    let joining_units: HashSet<String> = joining.iter().map(|s| s.unit_name.clone()).collect();
    for svc in &mut joining {
        if let Some(ns) = namespace_of(&svc.namespace) {
            let joins = |unit: &str| joining_units.contains(unit);
            let tunnel = tunnel_unit(ns);
            svc.dropin = join_relations(
                &svc.unit_name,
                &ns.unit_name,
                tunnel.as_deref(),
                joins,
                svc.namespace_span,
            );
            if guard_table(&ns.connect).is_some() {
                svc.dropin
                    .extend(guard_relations(&guard_unit_name(&ns.unit_name), svc.namespace_span));
            }
        }
    }
    for wg in &mut wireguard_interfaces {
        if let Some(ns) = namespace_of(&wg.namespace) {
            wg.dropin = interface_move_relations(&ns.unit_name, wg.namespace_span);
        }
    }
    let nixos_wireguard_names = cfg
        .wireguard_interfaces
        .iter()
        .map(|i| (i.name.clone(), i.name_span))
        .collect();
    super::connect::allocate_host_links(
        namespaces
            .iter_mut()
            .filter_map(|ns| Some((ns.name.as_str(), &mut **ns.connect.host_link.as_mut()?))),
    );
    let connect_units = super::connect_units::build_connect_units(&namespaces, &tools, prefix);
    Model {
        namespaces,
        joining,
        other_services,
        nftables_enable,
        tools,
        wireguard_interfaces,
        nixos_wireguard_names,
        connect_units,
    }
}

/// What every namespace's service is built with.
struct Shared<'a> {
    tools: &'a Tools,
    nftables_enable: bool,
    default_path_env: Option<&'a str>,
}

fn build_namespace(
    ns: &ResolvedNamespace,
    cfg: &ResolvedConfig,
    shared: &Shared,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Namespace> {
    if let Some(problem) = name_problem(&ns.name) {
        // Building its unit would only add errors about the name's consequences.
        diags.push(
            Diagnostic::new(
                Code::InvalidNamespaceName,
                format!("invalid namespace name {:?}", ns.name),
            )
            .at(ns.name_span, problem)
            .help("use letters, digits, `-`, `_` and `.`"),
        );
        return None;
    }
    let unit_name = namespace_unit_name(&ns.name);
    let options = ns.options();
    let sysctl = sysctl_entries(options.sysctl);
    let ctx = ServiceContext {
        tools: shared.tools,
        nftables_enable: shared.nftables_enable,
        global_environment: &cfg.global_environment,
        script_dir: format!("{}/{}", prefix.trim_end_matches('/'), script_dir(&unit_name)),
        default_path_env: shared.default_path_env,
        trigger_dir: format!("{}/{TRIGGER_DIR}", prefix.trim_end_matches('/')),
        strict_shell_checks: (cfg.strict_shell_checks.as_bool() == Some(true)).then_some(cfg.strict_shell_checks.span),
    };
    let unit = build_service_unit(ns, &unit_name, &ctx, diags)?;
    let connect = super::connect::read_connect(&ns.name, &options, diags);
    Some(Namespace {
        name: ns.name.clone(),
        name_span: ns.name_span,
        unit_name,
        nftables: options.nftables.text.to_string(),
        nftables_span: options.nftables.span,
        nftables_inherited: ns.nftables_inherited,
        sysctl,
        sysctl_inherited: ns.sysctl_inherited,
        unit,
        connect,
    })
}

/// The sysctl file's values: `true` → 1, `false` → 0 (NixOS's sysctl module), null left out,
/// the rest as `toString` will write it (a value it cannot write is left out too).
fn sysctl_entries(sysctl: &[Entry]) -> Vec<SysctlEntry> {
    sysctl
        .iter()
        .map(|e| SysctlEntry {
            key: e.key.clone(),
            key_span: if e.key_span.is_builtin() {
                e.value.span
            } else {
                e.key_span
            },
            value: match &e.value.kind {
                Kind::Null => None,
                Kind::Bool(b) => Some(NixValue::Int(i64::from(*b))),
                _ => nix_value(&e.value).ok(),
            },
        })
        .collect()
}

fn services(services: &[ResolvedService], namespaces: &[Namespace]) -> (Vec<JoiningService>, Vec<JoiningService>) {
    let mut joining = Vec::new();
    let mut others = Vec::new();
    for svc in services {
        let Some(options) = UnitOptions::read(&svc.value) else {
            continue;
        };
        // A namespace's own unit: its definitions are merged into that unit, relations and all
        // (SPEC §3.3).
        let is_namespace_unit = namespaces
            .iter()
            .any(|ns| ns.unit_name.strip_suffix(".service") == Some(&svc.name));
        let relations = if is_namespace_unit {
            Vec::new()
        } else {
            super::relations_of(options)
        };
        let netns = svc.netns();
        let entry = JoiningService {
            unit_name: format!("{}.service", svc.name),
            name_span: svc.name_span,
            namespace: netns.and_then(Node::as_str).unwrap_or("").to_string(),
            namespace_span: netns.map_or(svc.name_span, |n| n.span),
            relations,
            dropin: Vec::new(),
        };
        if netns.is_some() {
            joining.push(entry);
        } else if !entry.relations.is_empty() {
            others.push(entry);
        }
    }
    (joining, others)
}

/// `networking.wireguard.interfaces.<i>.interfaceNamespace`: NixOS's unit `wireguard-<i>.service`
/// moves the interface into the namespace, so it must start after the namespace's unit.
fn wireguard_interfaces(interfaces: &[ResolvedService]) -> Vec<JoiningService> {
    interfaces
        .iter()
        .filter_map(|i| {
            let netns = i.interface_namespace()?;
            Some(JoiningService {
                unit_name: format!("wireguard-{}.service", i.name),
                name_span: i.name_span,
                namespace: netns.as_str()?.to_string(),
                namespace_span: netns.span,
                relations: Vec::new(),
                dropin: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_values_render_as_nixos_writes_them() {
        // serde_json, not the JSON frontend (a stage above): spans do not matter here.
        let node = Node::from_json(
            serde_json::from_str(
                r#"{"b.true": true, "a.false": false, "c.null": null, "d.int": 4096, "e.str": "1024 65000"}"#,
            )
            .unwrap(),
        );
        let rendered: Vec<(String, Option<String>)> = sysctl_entries(&node.attrs().unwrap().entries)
            .into_iter()
            .map(|e| (e.key, e.value.map(|v| v.to_nix_string())))
            .collect();
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            rendered,
            [
                ("a.false".to_string(), some("0")),
                ("b.true".to_string(), some("1")),
                ("c.null".to_string(), None),
                ("d.int".to_string(), some("4096")),
                ("e.str".to_string(), some("1024 65000")),
            ]
        );
    }

    #[test]
    fn parallel_build_is_the_sequential_build() {
        // Enough namespaces for several parts, with errors and warnings spread over them.
        let namespaces: Vec<String> = (0..700)
            .map(|i| {
                let name = if i % 97 == 0 {
                    format!("bad/{i}")
                } else {
                    format!("ns{i}")
                };
                let service = match i % 5 {
                    0 => r#"{"serviceConfig": {"Type": "bogus"}}"#.to_string(),
                    1 => format!(r#"{{"after": ["wg-{i}.service"], "script": "echo {i}"}}"#),
                    _ => "{}".to_string(),
                };
                format!(
                    r#""{name}": {{"service": {service}, "sysctl": {{"net.ipv4.ip_forward": {}}}}}"#,
                    i % 2
                )
            })
            .collect();
        let text = format!(
            r#"{{"services": {{"netns": {{"namespaces": {{{}}}}}}}, "networking": {{"nftables": {{"enable": true}}}}}}"#,
            namespaces.join(",")
        );
        let module = Node::from_json(serde_json::from_str(&text).unwrap());
        let mut diags = Diagnostics::new();
        let config = crate::module::config::resolve_config(&[module], &mut diags);
        let run = |threads| {
            let mut d = Diagnostics::new();
            let model = build_model_on(&config, Tools::default(), "/p", threads, &mut d);
            (format!("{model:?}"), format!("{:?}", d.items))
        };
        let sequential = run(1);
        assert!(sequential.1.contains("bogus") && sequential.1.contains("bad/0"));
        assert_eq!(run(3), sequential);
        assert_eq!(run(8), sequential);
    }

    #[test]
    fn names_iproute2_or_systemd_reject() {
        for bad in ["", ".", "..", "a/b", "a\nb", "-x", "a%b", "a$b", "a\\b"] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"x".repeat(256)).is_some());
        for good in ["vpn", "my lab", "ünïcode", "x;y", "a'b", "a\"b", "a`b`"] {
            assert_eq!(name_problem(good), None, "{good:?}");
        }
    }
}
