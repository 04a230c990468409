//! The verdict on each service of a namespace, with its reasons, and the ways around the
//! tunnel as diagnostics. Pure: the same facts give the same verdicts, whether they come from
//! the configuration or from the running system.

use super::{Family, Interface, InterfaceKind, NamespaceAudit, NamespaceFacts, ServiceFacts, Verdict};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::connect::Ipv6Policy;
use std::net::IpAddr;

/// Where traffic to one address goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The namespace's own `lo`.
    Namespace,
    /// Into the tunnel's interface.
    Tunnel(String),
    /// Across the host link, to the host.
    Host(String),
    /// Out by another interface (one added by hand).
    Other(String),
    /// Only by routes the user's own commands add (not interpreted).
    UserRoutes,
    /// No route: the packet is not sent.
    Unreachable,
}

/// Where a packet to `address` leaves the namespace: its longest matching route.
pub fn reach(facts: &NamespaceFacts, address: &str) -> Reach {
    let Ok(ip) = address.parse::<IpAddr>() else {
        return Reach::Unreachable;
    };
    if ip.is_loopback() {
        return Reach::Namespace;
    }
    let family = Family::of(address);
    if family == Family::V6 && facts.ipv6_disabled {
        return Reach::Unreachable;
    }
    let best = facts
        .routes
        .iter()
        .filter(|r| r.family == family)
        .filter_map(|r| Some((route_match(&r.to, ip)?, r)))
        .max_by_key(|(len, _)| *len);
    let Some((_, route)) = best else {
        return if facts.user_routes.is_empty() && !facts.tunnel().is_some_and(|t| t.addresses.is_empty()) {
            Reach::Unreachable
        } else {
            Reach::UserRoutes
        };
    };
    match facts.interface(&route.dev).map(|i| i.kind) {
        Some(InterfaceKind::Tunnel) => Reach::Tunnel(route.dev.clone()),
        Some(InterfaceKind::HostLink) => Reach::Host(route.dev.clone()),
        Some(InterfaceKind::Loopback) => Reach::Namespace,
        _ => Reach::Other(route.dev.clone()),
    }
}

/// The prefix length with which `to` (`default` or `a/len`) holds `ip`, if it does.
fn route_match(to: &str, ip: IpAddr) -> Option<u32> {
    if to == "default" {
        return Some(0);
    }
    let (net, len) = to
        .split_once('/')
        .unwrap_or((to, if ip.is_ipv4() { "32" } else { "128" }));
    let len: u32 = len.parse().ok()?;
    let inside = match (net.parse::<IpAddr>().ok()?, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len.min(32)) };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len.min(128)) };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    };
    inside.then_some(len)
}

/// What one service's verdict is made of, as it is found.
#[derive(Default)]
struct Judgement {
    why: Vec<String>,
    open: bool,
    host: bool,
}

impl Judgement {
    fn say(&mut self, why: impl Into<String>) {
        self.why.push(why.into());
    }

    fn verdict(&self, tunnel: bool) -> Verdict {
        if self.open {
            Verdict::Open
        } else if tunnel {
            Verdict::TunnelOnly
        } else if self.host {
            Verdict::HostOnly
        } else {
            Verdict::Closed
        }
    }
}

/// The verdicts on every service of the namespace.
pub fn judge(facts: NamespaceFacts) -> NamespaceAudit {
    let shared = judge_namespace(&facts);
    let verdicts = facts
        .services
        .iter()
        .map(|s| {
            let mut j = Judgement {
                why: shared.why.clone(),
                open: shared.open,
                host: shared.host,
            };
            judge_service(&facts, s, &mut j);
            (j.verdict(facts.tunnel().is_some()), j.why)
        })
        .collect();
    NamespaceAudit { facts, verdicts }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}

/// What holds for every service of the namespace.
fn judge_namespace(facts: &NamespaceFacts) -> Judgement {
    let mut j = Judgement::default();
    if !facts.running {
        j.say("the namespace is not running: /run/netns has no such name");
    }
    let tunnel = facts.tunnel();
    for family in [Family::V4, Family::V6] {
        judge_family(facts, tunnel, family, &mut j);
    }
    for p in &facts.publish {
        j.host = true;
        j.say(format!(
            "the host reaches in by the published port {} → {}/{} (a way in; it opens no way out)",
            p.listen, p.port, p.protocol
        ));
    }
    if let (Some(file), Some(t)) = (&facts.forwarded_port, tunnel) {
        j.say(format!(
            "the tunnel's gateway forwards one port in through {} (its number in {file}); every other packet that comes in through the tunnel unasked is dropped",
            t.name
        ));
    }
    judge_dns(facts, tunnel, &mut j);
    for u in &facts.user_routes {
        j.say(format!("not interpreted: {u}"));
    }
    if !facts.ruleset.user.is_empty() {
        j.say(format!(
            "not interpreted: the user's own nftables tables ({}) filter it",
            facts.ruleset.user.join(", ")
        ));
    }
    j
}

fn judge_family(facts: &NamespaceFacts, tunnel: Option<&Interface>, family: Family, j: &mut Judgement) {
    let name = family_name(family);
    if family == Family::V6 && facts.ipv6_disabled {
        j.say("IPv6 is off in the namespace (disable_ipv6)");
        return;
    }
    let guarded = family == Family::V6 && facts.ipv6 == Ipv6Policy::Tunnel;
    match facts.default_route(family) {
        Some(r) => match facts.interface(&r.dev).map(|i| i.kind) {
            Some(InterfaceKind::Tunnel) => j.say(format!("{name} leaves only through the tunnel {}", r.dev)),
            _ => {
                j.open = true;
                j.say(format!("{name}'s default route goes out by {}, not into a tunnel", r.dev));
            }
        },
        None => match tunnel {
            Some(t) if t.addresses.is_empty() => j.say(format!(
                "{name} goes into the tunnel {} by the routes its own unit adds",
                t.name
            )),
            Some(t) => j.say(format!(
                "{name} has no default route: the tunnel {} carries no {name}, and {name} beyond the namespace's links is unreachable",
                t.name
            )),
            None => j.say(format!("{name} has no default route: nothing beyond the namespace's links is reachable")),
        },
    }
    for r in facts
        .routes
        .iter()
        .filter(|r| r.family == family && r.to != "default" && !r.kernel)
    {
        if !facts.interface(&r.dev).is_some_and(|i| i.kind == InterfaceKind::Tunnel) {
            j.open = true;
            j.say(format!("{name} to {} goes out by {}, not into a tunnel", r.to, r.dev));
        }
    }
    for i in facts
        .interfaces
        .iter()
        .filter(|i| i.kind == InterfaceKind::Other && i.has_family(family))
    {
        j.open = true;
        j.say(format!(
            "{name} reaches whatever is on {}, an interface netns-compile does not set up",
            i.name
        ));
    }
    let Some(link) = facts.host_link().filter(|l| l.has_family(family)) else {
        return;
    };
    if guarded {
        j.say(format!(
            "IPv6 on {} is dropped by netns-compile's table (`ipv6 = \"tunnel\"`)",
            link.name
        ));
        return;
    }
    j.host = true;
    j.say(format!(
        "the host itself is reachable over {name} across the host link {} ({})",
        link.name,
        link.note.as_deref().unwrap_or("")
    ));
    let forwarding = match family {
        Family::V4 => &facts.forwarding.v4,
        Family::V6 => &facts.forwarding.v6,
    };
    if let Some((key, _)) = forwarding {
        j.open = true;
        j.say(format!(
            "the host forwards {name} ({key}): a route through {} — which any process with CAP_NET_ADMIN in the namespace can add — reaches beyond the host{}",
            link.name,
            if tunnel.is_some() { ", around the tunnel" } else { "" }
        ));
    } else if family == Family::V6 && tunnel.is_some() && facts.default_route(Family::V6).is_none() {
        j.open = true;
        j.say(format!(
            "IPv6 is open beside the IPv4-only tunnel: {} has IPv6 addresses and takes router advertisements, so a router on the host's side gives IPv6 a default route around the tunnel",
            link.name
        ));
    } else {
        j.say(format!(
            "the host does not forward {name}: the host link ends at the host"
        ));
    }
}

fn judge_dns(facts: &NamespaceFacts, tunnel: Option<&Interface>, j: &mut Judgement) {
    let dns = &facts.dns;
    if let Some((file, _)) = &dns.from_file {
        j.say(format!(
            "resolv.conf takes the servers of the `DNS =` line of {file} when the tunnel starts; they are reached by the routes above (`audit --live` shows where each goes)"
        ));
    } else if let Some((file, _)) = &dns.pushed {
        j.say(format!(
            "resolv.conf takes the DNS servers OpenVPN's server pushes (the client file {file}) when it connects; they are reached by the routes above (`audit --live` shows where each goes)"
        ));
    } else if dns.servers.is_empty() {
        j.say("resolv.conf names no server: lookups go to 127.0.0.1, the namespace's own lo");
    }
    for (server, _) in &dns.servers {
        match reach(facts, server) {
            Reach::Namespace => j.say(format!("DNS to {server} stays in the namespace (lo)")),
            Reach::Tunnel(t) => j.say(format!("DNS to {server} goes through the tunnel {t}")),
            Reach::Host(l) if tunnel.is_some() => {
                j.open = true;
                j.say(format!(
                    "DNS to {server} goes to the host across {l}, outside the tunnel: the host's resolver asks its own upstream"
                ));
            }
            Reach::Host(l) => {
                j.host = true;
                j.say(format!("DNS to {server} goes to the host across {l}"));
            }
            Reach::Other(dev) => {
                j.open = true;
                j.say(format!("DNS to {server} goes out by {dev}, not into a tunnel"));
            }
            Reach::UserRoutes => j.say(format!("DNS to {server} goes by routes of the user's own")),
            Reach::Unreachable => j.say(format!("DNS to {server} has no route: lookups fail")),
        }
    }
    if dns.strict.is_some() {
        j.say("dns.strict: DNS to any other address is dropped and counted");
    }
}

fn judge_service(facts: &NamespaceFacts, s: &ServiceFacts, j: &mut Judgement) {
    if let Some(live) = &s.live {
        match live.pid {
            None => j.say("it is not running"),
            Some(pid) if !live.in_namespace => {
                j.open = true;
                j.say(format!(
                    "its process {pid} is not in the namespace: it has another network namespace's ways out"
                ));
            }
            Some(pid) => j.say(format!("its process {pid} runs in the namespace")),
        }
    }
    let sockets = &s.resolver_sockets;
    if !sockets.hidden.is_empty() {
        j.say(format!(
            "the host's resolver sockets are hidden from it ({})",
            sockets.hidden.join(", ")
        ));
    }
    if !sockets.own.is_empty() {
        j.say(format!(
            "it keeps its own {} (it is that resolver, running in the namespace)",
            sockets.own.join(", ")
        ));
    }
    if !sockets.reachable.is_empty() {
        let folders = sockets.reachable.join(", ");
        if facts.tunnel().is_some() {
            j.open = true;
            j.say(format!(
                "the host's resolver sockets are in its reach ({folders}): names it looks up are resolved by the host, outside the tunnel"
            ));
        } else {
            j.host = true;
            j.say(format!(
                "the host's resolver sockets are in its reach ({folders}): names it looks up are resolved by the host"
            ));
        }
    }
}

/// The ways around the tunnel the configuration opens, each a diagnostic pointing at the
/// definitions that open it (SPEC §13). Only for facts read from the configuration.
pub fn ways_around(facts: &NamespaceFacts, diags: &mut Diagnostics) {
    let ns = &facts.name;
    let Some(tunnel) = facts.tunnel() else { return };
    let tunnel_label = format!("the tunnel {} it goes around", tunnel.name);
    for (server, span) in &facts.dns.servers {
        let Reach::Host(link) = reach(facts, server) else {
            continue;
        };
        let link_span = facts.host_link().map_or(facts.span, |l| l.span);
        let d = match facts.dns.strict {
            Some(strict) => Diagnostic::new(
                Code::StrictDnsOutsideTunnel,
                format!(
                    "`dns.strict` of namespace `{ns}` allows {server}, which is reached across {link}, outside the tunnel"
                ),
            )
            .at(*span, format!("reached across the host link {link}"))
            .also(strict, "strict DNS lets exactly these servers through"),
            None => Diagnostic::new(
                Code::DnsOutsideTunnel,
                format!("namespace `{ns}` sends DNS to {server} across {link}, outside the tunnel"),
            )
            .at(*span, format!("reached across the host link {link}")),
        };
        diags.push(
            d.also(link_span, "the host link")
                .also(tunnel.span, tunnel_label.clone())
                .help("name a server that is reached through the tunnel (the provider's), or drop the host link"),
        );
    }
    let Some(link) = facts.host_link() else { return };
    for (family, forwarding) in [(Family::V4, &facts.forwarding.v4), (Family::V6, &facts.forwarding.v6)] {
        let Some((key, key_span)) = forwarding else { continue };
        let v6_blocked = family == Family::V6 && (facts.ipv6_disabled || facts.ipv6 == Ipv6Policy::Tunnel);
        if !link.has_family(family) || v6_blocked {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::HostLinkForwards,
                format!(
                    "namespace `{ns}` has a host link beside its tunnel, and the host forwards {}",
                    family_name(family)
                ),
            )
            .at(link.span, "a host link: a route through it goes to the host")
            .also(
                *key_span,
                format!("`{key}` makes the host forward what comes in by the link"),
            )
            .also(tunnel.span, tunnel_label.clone())
            .help("drop the host link (publish ports instead), or keep the host from forwarding"),
        );
    }
    if link.has_family(Family::V6)
        && facts.default_route(Family::V6).is_none()
        && facts.ipv6 == Ipv6Policy::Allow
        && !facts.ipv6_disabled
        && facts.forwarding.v6.is_none()
        && !tunnel.addresses.is_empty()
    {
        let mut d = Diagnostic::new(
            Code::Ipv6OutsideTunnel,
            format!("IPv6 is open in namespace `{ns}` beside its IPv4-only tunnel"),
        );
        for (a, span) in link.addresses.iter().filter(|(a, _)| Family::of(a) == Family::V6) {
            d = d.also(*span, format!("{a} gives IPv6 a route across {}", link.name));
        }
        diags.push(
            d.also(tunnel.span, format!("{} carries IPv4 only", tunnel.name)).help(
                "set `ipv6 = \"disable\"`, give the tunnel an IPv6 address, or drop the host link's IPv6 addresses",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_by_prefix() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(route_match("default", a("1.2.3.4")), Some(0));
        assert_eq!(route_match("10.231.0.0/30", a("10.231.0.1")), Some(30));
        assert_eq!(route_match("10.231.0.0/30", a("10.231.0.5")), None);
        assert_eq!(route_match("fd00::/64", a("fd00::1")), Some(64));
        assert_eq!(route_match("fd00::/64", a("10.0.0.1")), None);
        assert_eq!(route_match("10.0.0.9", a("10.0.0.9")), Some(32));
    }
}
