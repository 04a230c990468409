//! The facts of each namespace as the configuration sets it up: what the units netns-compile
//! writes will make, and nothing they do not (what the user's own commands add is named in
//! `user_routes`, not guessed).

use super::{
    DnsFacts, Family, HostForwarding, Interface, InterfaceKind, NamespaceFacts, Published, ResolverSockets, Route,
    Ruleset, ServiceFacts,
};
use crate::model::connect::Ipv6Policy;
use crate::model::connect::{HostLink, WireGuard};
use crate::model::guard::guard_table;
use crate::model::join::{RESOLVERS, resolvers_to_hide};
use crate::model::openvpn::OpenVpn;
use crate::model::{ExtraUnit, Model, Namespace, UnitValue};
use crate::module::config::ResolvedConfig;
use crate::node::{Kind, Node};
use crate::source::Span;
use std::net::Ipv6Addr;

/// Keys of `boot.kernel.sysctl` that make the host forward: IPv4 forwarding is decided by the
/// interface a packet comes in by, and the host's end of a link is made after boot, so it
/// takes `default`; IPv6 forwarding is one switch (`all`).
const FORWARDING_KEYS: [(Family, &str); 4] = [
    (Family::V4, "net.ipv4.ip_forward"),
    (Family::V4, "net.ipv4.conf.all.forwarding"),
    (Family::V4, "net.ipv4.conf.default.forwarding"),
    (Family::V6, "net.ipv6.conf.all.forwarding"),
];

/// The namespace's own sysctl that turns IPv6 off inside it.
const DISABLE_IPV6_KEY: &str = "net.ipv6.conf.all.disable_ipv6";

/// Options of a namespace's `service` that run commands of the user's in the namespace.
const COMMAND_OPTIONS: [&str; 4] = ["script", "preStart", "postStart", "reload"];
const COMMAND_KEYS: [&str; 3] = ["ExecStart", "ExecStartPre", "ExecStartPost"];

/// The facts of every namespace, in the model's order.
pub fn static_facts(config: &ResolvedConfig, model: &Model) -> Vec<NamespaceFacts> {
    let forwarding = host_forwarding(&config.sysctl);
    model
        .namespaces
        .iter()
        .map(|ns| namespace_facts(config, model, ns, &forwarding))
        .collect()
}

/// `dns.strict` and `ipv6` of a namespace (SPEC §13): where `dns.strict = true` is set, the
/// `ipv6` setting and where it is set (the namespace's name when unset).
fn confinement(ns: &Namespace) -> (Option<Span>, Ipv6Policy, Span) {
    let c = &ns.connect;
    let (ipv6, span) = c
        .ipv6
        .as_ref()
        .map_or((Ipv6Policy::Allow, ns.name_span), |p| (p.value, p.span));
    (c.strict_dns.as_ref().map(|s| s.span), ipv6, span)
}

fn namespace_facts(
    config: &ResolvedConfig,
    model: &Model,
    ns: &Namespace,
    forwarding: &HostForwarding,
) -> NamespaceFacts {
    let (strict, ipv6, ipv6_span) = confinement(ns);
    let own_disable = ns
        .sysctl
        .iter()
        .any(|e| e.key == DISABLE_IPV6_KEY && e.value.as_ref().is_some_and(|v| v.to_nix_string().trim() != "0"));
    let guard = guard_table(&ns.connect);
    let ipv6_disabled = guard.as_ref().is_some_and(|g| g.disables_ipv6()) || own_disable;
    let mut interfaces = vec![Interface {
        name: "lo".into(),
        kind: InterfaceKind::Loopback,
        addresses: ["127.0.0.1/8", "::1/128"]
            .into_iter()
            .filter(|a| !(ipv6_disabled && Family::of(a) == Family::V6))
            .map(|a| (a.to_string(), ns.name_span))
            .collect(),
        note: None,
        latest_handshake: None,
        span: ns.name_span,
    }];
    let mut routes = Vec::new();
    let c = &ns.connect;
    if let Some(link) = &c.host_link {
        interfaces.push(host_link_interface(link, ipv6_disabled));
    }
    if let Some(wg) = &c.wireguard {
        interfaces.push(wireguard_interface(wg, ipv6_disabled));
        let v4 = wg.addresses.iter().any(|a| Family::of(&a.value) == Family::V4);
        let v6 = wg.addresses.iter().any(|a| Family::of(&a.value) == Family::V6);
        // As the unit adds them (model/connect_units.rs): IPv4 unless only IPv6 is given.
        for (family, on) in [(Family::V4, v4 || !v6), (Family::V6, v6 && !ipv6_disabled)] {
            if on {
                routes.push(Route {
                    family,
                    to: "default".into(),
                    dev: wg.interface.value.clone(),
                    kernel: false,
                });
            }
        }
    }
    if let Some(vpn) = &c.openvpn {
        interfaces.push(openvpn_interface(vpn));
        // The up script's IPv4 default route; an IPv6 one only if the server pushes an
        // address, which the configuration cannot know.
        routes.push(Route {
            family: Family::V4,
            to: "default".into(),
            dev: vpn.interface.clone(),
            kernel: false,
        });
    }
    let mut user_routes = user_commands(config, ns);
    for wg in model.wireguard_interfaces.iter().filter(|w| w.namespace == ns.name) {
        let name = wg
            .unit_name
            .trim_start_matches("wireguard-")
            .trim_end_matches(".service");
        interfaces.push(Interface {
            name: name.to_string(),
            kind: InterfaceKind::Tunnel,
            addresses: Vec::new(),
            note: Some(format!(
                "NixOS WireGuard: {} makes it, moves it in and addresses it (`networking.wireguard.interfaces.{name}`)",
                wg.unit_name
            )),
            latest_handshake: None,
            span: wg.namespace_span,
        });
        user_routes.push(format!(
            "{} adds a route for each of its peers' allowedIPs",
            wg.unit_name
        ));
    }
    // The kernel puts `lo`'s routes in the local table, which the audit does not show.
    for i in interfaces.iter().filter(|i| i.kind != InterfaceKind::Loopback) {
        routes.extend(i.addresses.iter().filter_map(|(a, _)| subnet_route(a, &i.name)));
    }
    let dns = DnsFacts {
        servers: c
            .dns
            .iter()
            .flat_map(|d| &d.servers)
            .map(|s| (s.value.clone(), s.span))
            .collect(),
        search: c.dns.iter().flat_map(|d| &d.search).map(|s| s.value.clone()).collect(),
        strict,
        from_file: c
            .wireguard
            .as_ref()
            .and_then(|wg| wg.config_file.as_ref())
            .map(|f| (f.value.clone(), f.span)),
        pushed: c
            .openvpn
            .as_ref()
            .and_then(|vpn| vpn.config_file.as_ref())
            .map(|f| (f.value.clone(), f.span)),
    };
    let publish = c
        .publish
        .iter()
        .filter_map(|p| {
            Some(Published {
                label: p.label.value.clone(),
                listen: p.listen.as_ref()?.value.render(),
                port: p.port.as_ref()?.value,
                protocol: p.protocol.value.clone(),
                span: p.label.span,
            })
        })
        .collect();
    let user_tables = if model.nftables_enable {
        ruleset_tables(&ns.nftables)
    } else {
        Vec::new()
    };
    NamespaceFacts {
        name: ns.name.clone(),
        unit: ns.unit_name.clone(),
        span: ns.name_span,
        running: true,
        interfaces,
        routes,
        user_routes,
        dns,
        publish,
        forwarded_port: c
            .port_forward
            .as_ref()
            .map(|_| crate::model::port_forward::port_file(&ns.name)),
        ipv6,
        ipv6_span,
        ipv6_disabled,
        ruleset: Ruleset {
            user: user_tables,
            guard: guard.is_some(),
        },
        forwarding: forwarding.clone(),
        services: services_of(model, ns),
    }
}

fn host_link_interface(link: &HostLink, ipv6_disabled: bool) -> Interface {
    let mut addresses: Vec<(String, Span)> = link
        .namespace_address
        .iter()
        .map(|a| (a.value.to_string(), a.span))
        .collect();
    let mut host: Vec<String> = link.host_address.iter().map(|a| a.value.to_string()).collect();
    if !ipv6_disabled {
        addresses.extend(link.namespace_address6.iter().map(|a| (a.value.clone(), a.span)));
        host.extend(link.host_address6.iter().map(|a| a.value.clone()));
    }
    Interface {
        name: link.namespace_interface.clone(),
        kind: InterfaceKind::HostLink,
        addresses,
        note: Some(format!("the host's end: {} {}", link.host_interface, host.join(" "))),
        latest_handshake: None,
        span: link.span,
    }
}

fn wireguard_interface(wg: &WireGuard, ipv6_disabled: bool) -> Interface {
    let endpoints: Vec<&str> = wg
        .peers
        .iter()
        .filter_map(|p| p.endpoint.as_ref().map(|e| e.value.as_str()))
        .collect();
    Interface {
        name: wg.interface.value.clone(),
        kind: InterfaceKind::Tunnel,
        addresses: wg
            .addresses
            .iter()
            .map(|a| (a.value.clone(), a.span))
            .filter(|(a, _)| !(ipv6_disabled && Family::of(a) == Family::V6))
            .collect(),
        note: Some(match &wg.config_file {
            Some(file) => format!(
                "WireGuard ({}), its UDP socket in the host's namespace; its addresses, peers and DNS from {}, read when its unit starts",
                wg.implementation.value, file.value
            ),
            None => format!(
                "WireGuard ({}), its UDP socket in the host's namespace; peers at {}",
                wg.implementation.value,
                if endpoints.is_empty() {
                    "no endpoint".to_string()
                } else {
                    endpoints.join(", ")
                }
            ),
        }),
        latest_handshake: None,
        span: wg.span,
    }
}

fn openvpn_interface(vpn: &OpenVpn) -> Interface {
    let file = vpn.config_file.as_ref().map_or("", |f| f.value.as_str());
    Interface {
        name: vpn.interface.clone(),
        kind: InterfaceKind::Tunnel,
        addresses: Vec::new(),
        note: Some(format!(
            "OpenVPN (tun), its socket in the host's namespace; configured by {file}; its addresses, routes and DNS from the server when it connects"
        )),
        latest_handshake: None,
        span: vpn.span,
    }
}

/// The route the kernel adds for an address with a prefix shorter than the whole address.
pub fn subnet_route(address: &str, dev: &str) -> Option<Route> {
    let (a, p) = address.split_once('/')?;
    let prefix: u32 = p.parse().ok()?;
    let to = match Family::of(a) {
        Family::V4 => {
            let a: std::net::Ipv4Addr = a.parse().ok()?;
            if prefix >= 32 {
                return None;
            }
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
            format!("{}/{prefix}", std::net::Ipv4Addr::from(u32::from(a) & mask))
        }
        Family::V6 => {
            let a: Ipv6Addr = a.parse().ok()?;
            if prefix >= 128 {
                return None;
            }
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
            format!("{}/{prefix}", Ipv6Addr::from(u128::from(a) & mask))
        }
    };
    Some(Route {
        family: Family::of(a),
        to,
        dev: dev.to_string(),
        kernel: true,
    })
}

/// `table inet filter { … }` → `inet filter` (a table without a family is `ip`).
pub fn ruleset_tables(ruleset: &str) -> Vec<String> {
    let mut out: Vec<String> = ruleset
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace().skip_while(|w| matches!(*w, "add" | "create"));
            if words.next() != Some("table") {
                return None;
            }
            let words: Vec<&str> = words
                .map(|w| w.trim_end_matches('{'))
                .take_while(|w| !w.is_empty())
                .collect();
            match words.as_slice() {
                [name] => Some(format!("ip {name}")),
                [family, name, ..] => Some(format!("{family} {name}")),
                [] => None,
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Commands of the user's that run in the namespace's own unit (they may add routes).
fn user_commands(config: &ResolvedConfig, ns: &Namespace) -> Vec<String> {
    let Some(service) = config
        .namespaces
        .iter()
        .find(|r| r.name == ns.name)
        .and_then(|r| r.options().service)
        .and_then(Node::attrs)
    else {
        return Vec::new();
    };
    let mut found: Vec<String> = COMMAND_OPTIONS
        .iter()
        .filter(|o| service.get(o).is_some_and(|n| !matches!(n.kind, Kind::Null)))
        .map(|o| format!("service.{o}"))
        .collect();
    if let Some(sc) = service.get("serviceConfig").and_then(Node::attrs) {
        found.extend(
            COMMAND_KEYS
                .iter()
                .filter(|k| sc.get(k).is_some())
                .map(|k| format!("service.serviceConfig.{k}")),
        );
    }
    if found.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "commands of yours in {} ({}) may add routes",
        ns.unit_name,
        found.join(", ")
    )]
}

/// Whether a sysctl value switches something on (`true`, `1`, `"1"`, `"2"`).
fn switched_on(node: &Node) -> bool {
    match &node.kind {
        Kind::Bool(b) => *b,
        Kind::Int(i) => *i != 0,
        Kind::Str(s) => !matches!(s.trim(), "" | "0"),
        _ => false,
    }
}

/// Whether `boot.kernel.sysctl` makes the host forward, with the key that does.
pub fn host_forwarding(sysctl: &Node) -> HostForwarding {
    let mut out = HostForwarding::default();
    let Some(a) = sysctl.attrs() else { return out };
    for (family, key) in FORWARDING_KEYS {
        let Some(e) = a.entry(key).filter(|e| switched_on(&e.value)) else {
            continue;
        };
        let span = if e.key_span.is_builtin() {
            e.value.span
        } else {
            e.key_span
        };
        let slot = match family {
            Family::V4 => &mut out.v4,
            Family::V6 => &mut out.v6,
        };
        slot.get_or_insert((key.to_string(), span));
    }
    out
}

/// The services in the namespace: those that join it, then the units of netns-compile's own
/// that join it (a publish forwarder), with how the host's resolver sockets stand for each.
fn services_of(model: &Model, ns: &Namespace) -> Vec<ServiceFacts> {
    let dirs = |units: &[(&str, &str)]| units.iter().map(|(_, d)| d.to_string()).collect::<Vec<_>>();
    let mut out: Vec<ServiceFacts> = model
        .joining
        .iter()
        .filter(|s| s.namespace == ns.name && !s.dropin.is_empty())
        .map(|s| {
            let hidden = resolvers_to_hide(&s.unit_name);
            let own: Vec<(&str, &str)> = RESOLVERS.into_iter().filter(|(u, _)| *u == s.unit_name).collect();
            ServiceFacts {
                unit: s.unit_name.clone(),
                forwarder: false,
                span: s.namespace_span,
                resolver_sockets: ResolverSockets {
                    hidden: dirs(&hidden),
                    reachable: Vec::new(),
                    own: dirs(&own),
                },
                live: None,
            }
        })
        .collect();
    out.extend(
        model
            .connect_units
            .iter()
            .filter(|u| !u.is_dropin() && joins(u, &ns.unit_name))
            .map(|u| {
                let hidden = hidden_folders(u);
                let (hidden, reachable): (Vec<_>, Vec<_>) = RESOLVERS
                    .iter()
                    .map(|(_, d)| d.to_string())
                    .partition(|d| hidden.contains(d));
                let span = ns
                    .connect
                    .publish
                    .iter()
                    .find(|p| u.relations.iter().any(|r| r.span == p.label.span))
                    .map_or(ns.name_span, |p| p.label.span);
                ServiceFacts {
                    unit: u.unit.clone(),
                    forwarder: true,
                    span,
                    resolver_sockets: ResolverSockets {
                        hidden,
                        reachable,
                        own: Vec::new(),
                    },
                    live: None,
                }
            }),
    );
    out
}

fn section_values<'u>(u: &'u ExtraUnit, section: &str, key: &str) -> impl Iterator<Item = &'u UnitValue> {
    u.sections
        .iter()
        .filter(move |(s, _)| *s == section)
        .flat_map(|(_, keys)| keys.iter())
        .filter(move |(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// A unit of netns-compile's own that runs in the namespace (`JoinsNamespaceOf=` it).
fn joins(u: &ExtraUnit, namespace_unit: &str) -> bool {
    section_values(u, "Unit", "JoinsNamespaceOf")
        .flat_map(UnitValue::items)
        .any(|t| t == namespace_unit)
}

/// The folders a unit of ours covers with an empty read-only tmpfs (`TemporaryFileSystem=`,
/// the only way our units hide a folder).
fn hidden_folders(u: &ExtraUnit) -> Vec<String> {
    section_values(u, "Service", "TemporaryFileSystem")
        .filter_map(|v| match v {
            UnitValue::EmptyReadOnly(dirs) => Some(dirs),
            _ => None,
        })
        .flatten()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_routes_are_the_kernels() {
        let r = |a| subnet_route(a, "x").map(|r| r.to);
        assert_eq!(r("10.231.0.2/30").as_deref(), Some("10.231.0.0/30"));
        assert_eq!(r("10.64.0.2/32"), None);
        assert_eq!(r("fd00:1::2/64").as_deref(), Some("fd00:1::/64"));
        assert_eq!(r("fd00::2/128"), None);
        assert_eq!(r("10.0.0.1"), None);
    }

    #[test]
    fn tables_of_a_ruleset() {
        let text = "flush ruleset\ntable inet filter {\n}\n  table nat {\n}\ntable ip6 x{\nadd table inet y\n";
        assert_eq!(ruleset_tables(text), ["inet filter", "inet y", "ip nat", "ip6 x"]);
    }
}
