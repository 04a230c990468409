//! `audit --live`, the pure part: the facts the running system gives (to judge them as the
//! configuration's are judged), and every difference from the configuration's facts as a
//! diagnostic naming what differs.

use super::live::{LiveNamespace, LiveState};
use super::{
    DnsFacts, Family, Interface, InterfaceKind, LiveService, NamespaceFacts, ResolverSockets, Route, Ruleset,
    ServiceFacts,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::connect::GUARD_TABLE;
use crate::model::join::RESOLVERS;
use crate::source::Span;

/// The name `nft list tables` gives netns-compile's own table.
fn guard_table() -> String {
    format!("inet {GUARD_TABLE}")
}

/// The facts of one namespace as found running; `configured` gives what the running state
/// does not say (the kinds of interfaces by name, where things are set, the services).
pub fn live_facts(configured: &NamespaceFacts, live: &LiveNamespace, state: &LiveState) -> NamespaceFacts {
    let interfaces = live
        .links
        .iter()
        .map(|l| {
            let known = configured.interface(&l.name);
            let span_of = |a: &str| {
                known
                    .and_then(|k| k.addresses.iter().find(|(x, _)| x == a))
                    .map_or(Span::BUILTIN, |(_, s)| *s)
            };
            Interface {
                name: l.name.clone(),
                kind: match known {
                    Some(k) => k.kind,
                    None if l.kind == "loopback" => InterfaceKind::Loopback,
                    None => InterfaceKind::Other,
                },
                addresses: l.addresses.iter().map(|a| (a.clone(), span_of(a))).collect(),
                note: known.and_then(|k| k.note.clone()),
                latest_handshake: live.handshakes.iter().find(|(i, _)| *i == l.name).map(|(_, h)| *h),
                span: known.map_or(configured.span, |k| k.span),
            }
        })
        .collect();
    let span_of_server = |s: &str| {
        configured
            .dns
            .servers
            .iter()
            .find(|(x, _)| x == s)
            .map_or(Span::BUILTIN, |(_, span)| *span)
    };
    let guard = guard_table();
    NamespaceFacts {
        name: configured.name.clone(),
        unit: configured.unit.clone(),
        span: configured.span,
        running: live.present,
        interfaces,
        routes: live.routes.clone(),
        user_routes: configured.user_routes.clone(),
        dns: DnsFacts {
            servers: live
                .resolv_conf
                .iter()
                .map(|s| (s.clone(), span_of_server(s)))
                .collect(),
            search: configured.dns.search.clone(),
            strict: configured.dns.strict,
            // Read from the file the process sees: known now.
            from_file: None,
            pushed: None,
        },
        publish: configured.publish.clone(),
        forwarded_port: configured.forwarded_port.clone(),
        ipv6: configured.ipv6,
        ipv6_span: configured.ipv6_span,
        ipv6_disabled: live.disable_ipv6,
        ruleset: Ruleset {
            user: live.tables.iter().filter(|t| **t != guard).cloned().collect(),
            guard: live.tables.contains(&guard),
        },
        forwarding: state.forwarding.clone(),
        services: configured.services.iter().map(|s| live_service(s, live)).collect(),
    }
}

fn live_service(configured: &ServiceFacts, live: &LiveNamespace) -> ServiceFacts {
    let Some(p) = live.processes.iter().find(|p| p.unit == configured.unit) else {
        return configured.clone();
    };
    let mut out = configured.clone();
    out.live = Some(LiveService {
        pid: p.pid,
        in_namespace: p.in_namespace,
        resolv_conf: p.resolv_conf.clone(),
    });
    if p.pid.is_some() {
        let own = &configured.resolver_sockets.own;
        let (reachable, hidden) = RESOLVERS
            .iter()
            .map(|(_, d)| d.to_string())
            .filter(|d| !own.contains(d))
            .partition(|d| p.sockets_seen.contains(d));
        out.resolver_sockets = ResolverSockets {
            hidden,
            reachable,
            own: own.clone(),
        };
    }
    out
}

fn route_text(r: &Route) -> String {
    format!("{} {} dev {}", r.family.as_str(), r.to, r.dev)
}

/// Every difference between the configured facts and the running namespace.
pub fn differences(configured: &NamespaceFacts, live: &LiveNamespace, diags: &mut Diagnostics) {
    let ns = &configured.name;
    if !live.present {
        diags.push(
            Diagnostic::new(
                Code::LiveNamespaceMissing,
                format!("namespace `{ns}` is not running: /run/netns/{ns} does not exist"),
            )
            .at(configured.span, "declared here")
            .help(format!(
                "start it: `systemctl start netns-{ns}.service` (the unit's name is escaped as netns-compile names it)"
            )),
        );
        return;
    }
    interface_differences(configured, live, diags);
    route_differences(configured, live, diags);
    confinement_differences(configured, live, diags);
    for s in &configured.services {
        let Some(p) = live.processes.iter().find(|p| p.unit == s.unit) else {
            continue;
        };
        let Some(pid) = p.pid else { continue };
        if !p.in_namespace {
            diags.push(
                Diagnostic::new(
                    Code::LiveServiceOutsideNamespace,
                    format!("{} (PID {pid}) is not in network namespace `{ns}`", s.unit),
                )
                .at(s.span, "it joins the namespace here")
                .note("/proc/PID/ns/net is not /run/netns/<name>: it runs in another network namespace, with its ways out")
                .help(format!("restart it after the namespace: `systemctl restart {}`", s.unit)),
            );
            continue;
        }
        // A tunnel that writes its own servers (a wg-quick file's, OpenVPN's pushed ones):
        // the service is to see what the namespace's resolv.conf names now.
        let want: Vec<&str> = if configured.dns.from_file.is_some() || configured.dns.pushed.is_some() {
            live.resolv_conf.iter().map(String::as_str).collect()
        } else {
            configured.dns.servers.iter().map(|(a, _)| a.as_str()).collect()
        };
        if p.resolv_conf != want {
            diags.push(
                Diagnostic::new(
                    Code::LiveConfinementDiffers,
                    format!(
                        "{} sees a resolv.conf naming {}, not the namespace's {}",
                        s.unit,
                        shown(&p.resolv_conf),
                        shown(&want)
                    ),
                )
                .at(s.span, "it joins the namespace here"),
            );
        }
        let allowed = [&s.resolver_sockets.reachable, &s.resolver_sockets.own];
        for seen in p.sockets_seen.iter().filter(|d| !allowed.iter().any(|a| a.contains(d))) {
            diags.push(
                Diagnostic::new(
                    Code::LiveConfinementDiffers,
                    format!("the host's resolver socket in {seen} is visible to {} (PID {pid})", s.unit),
                )
                .at(s.span, "it joins the namespace here")
                .note("its unit hides the folder: the service started before the hiding was installed, or its mount namespace was changed"),
            );
        }
    }
}

fn shown(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        "no server".to_string()
    } else {
        items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
    }
}

fn interface_differences(configured: &NamespaceFacts, live: &LiveNamespace, diags: &mut Diagnostics) {
    let ns = &configured.name;
    for l in live.links.iter().filter(|l| configured.interface(&l.name).is_none()) {
        diags.push(
            Diagnostic::new(
                Code::LiveInterfaceDiffers,
                format!(
                    "interface `{}` ({}) in namespace `{ns}` is not set up by the configuration",
                    l.name, l.kind
                ),
            )
            .at(configured.span, "the namespace")
            .note(format!("its addresses: {}", shown(&l.addresses))),
        );
    }
    for i in &configured.interfaces {
        let Some(l) = live.links.iter().find(|l| l.name == i.name) else {
            diags.push(
                Diagnostic::new(
                    Code::LiveInterfaceDiffers,
                    format!("interface `{}` of namespace `{ns}` is missing", i.name),
                )
                .at(i.span, format!("`{}` is set up by this", i.name)),
            );
            continue;
        };
        // A NixOS WireGuard interface is addressed by its own unit: its addresses are not known.
        if i.kind == InterfaceKind::Tunnel && i.addresses.is_empty() {
            continue;
        }
        for a in l.addresses.iter().filter(|a| !i.addresses.iter().any(|(x, _)| x == *a)) {
            diags.push(
                Diagnostic::new(
                    Code::LiveInterfaceDiffers,
                    format!(
                        "address {a} on `{}` in namespace `{ns}` is not set up by the configuration",
                        i.name
                    ),
                )
                .at(i.span, format!("`{}` is set up here", i.name)),
            );
        }
        for (a, span) in i.addresses.iter().filter(|(a, _)| !l.addresses.contains(a)) {
            diags.push(
                Diagnostic::new(
                    Code::LiveInterfaceDiffers,
                    format!("address {a} of `{}` in namespace `{ns}` is missing", i.name),
                )
                .at(*span, "set up here"),
            );
        }
    }
}

/// Routes the kernel makes for addresses follow the addresses (compared above); the others
/// are compared one by one, except those of an interface whose routes are the user's.
fn route_differences(configured: &NamespaceFacts, live: &LiveNamespace, diags: &mut Diagnostics) {
    let ns = &configured.name;
    let users = |dev: &str| {
        configured
            .interface(dev)
            .is_some_and(|i| i.kind == InterfaceKind::Tunnel && i.addresses.is_empty())
    };
    let same = |a: &Route, b: &Route| a.family == b.family && a.to == b.to && a.dev == b.dev;
    for r in live.routes.iter().filter(|r| !r.kernel && !users(&r.dev)) {
        if !configured.routes.iter().any(|c| same(c, r)) {
            diags.push(
                Diagnostic::new(
                    Code::LiveRouteDiffers,
                    format!(
                        "route {} in namespace `{ns}` is not set up by the configuration",
                        route_text(r)
                    ),
                )
                .at(configured.span, "the namespace")
                .also(
                    configured.interface(&r.dev).map_or(Span::BUILTIN, |i| i.span),
                    format!("{} is set up here", r.dev),
                )
                .note(match configured.interface(&r.dev).map(|i| i.kind) {
                    Some(InterfaceKind::Tunnel) => "it goes into the tunnel, but the configuration did not add it",
                    _ => "it leads out of the namespace by a way the configuration does not open",
                }),
            );
        }
    }
    for r in configured.routes.iter().filter(|r| !r.kernel) {
        if !live.routes.iter().any(|l| same(l, r)) {
            let span = configured.interface(&r.dev).map_or(configured.span, |i| i.span);
            let family = match r.family {
                Family::V4 => "IPv4",
                Family::V6 => "IPv6",
            };
            diags.push(
                Diagnostic::new(
                    Code::LiveRouteDiffers,
                    format!("route {} of namespace `{ns}` is missing", route_text(r)),
                )
                .at(span, format!("this sets up the {family} route")),
            );
        }
    }
}

fn confinement_differences(configured: &NamespaceFacts, live: &LiveNamespace, diags: &mut Diagnostics) {
    let ns = &configured.name;
    let mut differs = |message: String, span: Span, label: &str| {
        diags.push(Diagnostic::new(Code::LiveConfinementDiffers, message).at(span, label));
    };
    let guard = guard_table();
    if configured.ruleset.guard && !live.tables.contains(&guard) {
        differs(
            format!("netns-compile's table `{guard}` is not loaded in namespace `{ns}`"),
            configured.span,
            "the namespace",
        );
    }
    for t in configured.ruleset.user.iter().filter(|t| !live.tables.contains(t)) {
        differs(
            format!("table `{t}` of the ruleset is not loaded in namespace `{ns}`"),
            configured.span,
            "the namespace",
        );
    }
    for t in live
        .tables
        .iter()
        .filter(|t| **t != guard && !configured.ruleset.user.contains(t))
    {
        differs(
            format!("table `{t}` in namespace `{ns}` is not in its ruleset"),
            configured.span,
            "the namespace",
        );
    }
    if configured.ipv6_disabled != live.disable_ipv6 {
        let (want, found) = if configured.ipv6_disabled {
            ("off", "on")
        } else {
            ("on", "off")
        };
        differs(
            format!(
                "IPv6 is {found} in namespace `{ns}` (net.ipv6.conf.all.disable_ipv6), the configuration has it {want}"
            ),
            configured.ipv6_span,
            "the namespace's IPv6",
        );
    }
    // A tunnel's wg-quick file writes its own servers when the tunnel starts: whatever they
    // are, the report read live judges where each goes.
    let want: Vec<&str> = configured.dns.servers.iter().map(|(a, _)| a.as_str()).collect();
    if configured.dns.from_file.is_none() && configured.dns.pushed.is_none() && live.resolv_conf != want {
        differs(
            format!(
                "/etc/netns/{ns}/resolv.conf names {}, the configuration {}",
                shown(&live.resolv_conf),
                shown(&want)
            ),
            configured.dns.servers.first().map_or(configured.span, |(_, s)| *s),
            "the namespace's DNS",
        );
    }
}
