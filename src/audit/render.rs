//! The audit report as text (for people) and as JSON (for scripts and tests; its shape is
//! documented in docs/audit.md and is part of the interface).

use super::verdict::{Reach, reach};
use super::{Family, InterfaceKind, NamespaceAudit, NamespaceFacts};
use crate::model::connect::Ipv6Policy;
use serde_json::{Value, json};
use std::fmt::Write;

/// What IPv6 amounts to in the namespace: `disabled`, `tunnel` (IPv6 leaves only through the
/// tunnel), `open` (an IPv6 route leaves by another interface) or `none` (no IPv6 route beyond
/// `lo`). Link-local and multicast routes (`fe80::/64`, `ff00::/8`, which the kernel adds to
/// every interface with IPv6) never leave their link: they do not count.
pub fn ipv6_state(facts: &NamespaceFacts) -> &'static str {
    if facts.ipv6_disabled {
        return "disabled";
    }
    if facts.ipv6 == Ipv6Policy::Tunnel {
        return "tunnel";
    }
    let kind = |dev: &str| facts.interface(dev).map(|i| i.kind);
    let v6: Vec<_> = facts
        .routes
        .iter()
        .filter(|r| r.family == Family::V6 && kind(&r.dev) != Some(InterfaceKind::Loopback))
        .filter(|r| !r.to.starts_with("fe80:") && !r.to.starts_with("ff00:"))
        .collect();
    if v6.iter().any(|r| kind(&r.dev) != Some(InterfaceKind::Tunnel)) {
        "open"
    } else if v6.is_empty() {
        "none"
    } else {
        "tunnel"
    }
}

fn reach_json(r: Reach) -> (&'static str, Option<String>) {
    match r {
        Reach::Namespace => ("namespace", Some("lo".to_string())),
        Reach::Tunnel(i) => ("tunnel", Some(i)),
        Reach::Host(i) => ("host", Some(i)),
        Reach::Other(i) => ("other", Some(i)),
        Reach::UserRoutes => ("user-routes", None),
        Reach::Unreachable => ("unreachable", None),
    }
}

/// The report as one JSON object: `{ "namespaces": [ … ] }`.
pub fn to_json(audits: &[NamespaceAudit]) -> Value {
    json!({ "namespaces": audits.iter().map(namespace_json).collect::<Vec<_>>() })
}

fn namespace_json(a: &NamespaceAudit) -> Value {
    let f = &a.facts;
    let routes = |family: Family| {
        f.routes
            .iter()
            .filter(|r| r.family == family)
            .map(|r| json!({ "to": r.to, "dev": r.dev, "kernel": r.kernel }))
            .collect::<Vec<_>>()
    };
    let forwarding = |k: &Option<(String, crate::source::Span)>| k.as_ref().map(|(key, _)| key.clone());
    json!({
        "name": f.name,
        "running": f.running,
        "interfaces": f.interfaces.iter().map(|i| json!({
            "name": i.name,
            "kind": i.kind.as_str(),
            "addresses": i.address_texts(),
            "note": i.note,
            "latest_handshake": i.latest_handshake,
        })).collect::<Vec<_>>(),
        "routes": { "ipv4": routes(Family::V4), "ipv6": routes(Family::V6), "user": f.user_routes },
        "dns": {
            "servers": f.dns.servers.iter().map(|(s, _)| {
                let (kind, via) = reach_json(reach(f, s));
                json!({ "address": s, "reach": kind, "via": via })
            }).collect::<Vec<_>>(),
            "search": f.dns.search,
            "strict": f.dns.strict.is_some(),
            "from_file": f.dns.from_file.as_ref().map(|(file, _)| file),
            "pushed_by_server_of": f.dns.pushed.as_ref().map(|(file, _)| file),
        },
        "forwarded_port": f.forwarded_port,
        "publish": f.publish.iter().map(|p| json!({
            "label": p.label, "listen": p.listen, "port": p.port, "protocol": p.protocol,
        })).collect::<Vec<_>>(),
        "ipv6": { "setting": f.ipv6.as_str(), "state": ipv6_state(f) },
        "ruleset": { "user": f.ruleset.user, "guard": f.ruleset.guard },
        "forwarding": { "ipv4": forwarding(&f.forwarding.v4), "ipv6": forwarding(&f.forwarding.v6) },
        "services": f.services.iter().zip(&a.verdicts).map(|(s, (verdict, why))| json!({
            "unit": s.unit,
            "forwarder": s.forwarder,
            "verdict": verdict.as_str(),
            "why": why,
            "resolver_sockets": {
                "hidden": s.resolver_sockets.hidden,
                "reachable": s.resolver_sockets.reachable,
                "own": s.resolver_sockets.own,
            },
            "live": s.live.as_ref().map(|l| json!({
                "pid": l.pid, "in_namespace": l.in_namespace, "resolv_conf": l.resolv_conf,
            })),
        })).collect::<Vec<_>>(),
    })
}

/// The report as text.
pub fn to_text(audits: &[NamespaceAudit]) -> String {
    let mut out = String::new();
    for (n, a) in audits.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        namespace_text(&mut out, a);
    }
    out
}

fn list(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ")
    }
}

fn namespace_text(out: &mut String, a: &NamespaceAudit) {
    let f = &a.facts;
    let _ = writeln!(
        out,
        "namespace {}{}",
        f.name,
        if f.running { "" } else { " (not running)" }
    );
    let _ = writeln!(out, "  interfaces:");
    for i in &f.interfaces {
        let _ = write!(
            out,
            "    {} ({}): {}",
            i.name,
            i.kind.as_str(),
            list(&i.address_texts())
        );
        if let Some(note) = &i.note {
            let _ = write!(out, "; {note}");
        }
        if let Some(h) = i.latest_handshake {
            let _ = write!(
                out,
                "; latest handshake: {}",
                if h == 0 { "never".to_string() } else { h.to_string() }
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "  routes:");
    for family in [Family::V4, Family::V6] {
        let routes: Vec<String> = f
            .routes
            .iter()
            .filter(|r| r.family == family)
            .map(|r| format!("{} dev {}{}", r.to, r.dev, if r.kernel { " (kernel)" } else { "" }))
            .collect();
        let _ = writeln!(out, "    {}: {}", family.as_str(), list(&routes));
    }
    for u in &f.user_routes {
        let _ = writeln!(out, "    the user's own: {u}");
    }
    let servers: Vec<String> = f
        .dns
        .servers
        .iter()
        .map(|(s, _)| {
            let (kind, via) = reach_json(reach(f, s));
            match via {
                Some(v) => format!("{s} via {v} ({kind})"),
                None => format!("{s} ({kind})"),
            }
        })
        .collect();
    let servers = match (&f.dns.from_file, &f.dns.pushed) {
        (Some((file, _)), _) => format!("the `DNS =` servers of {file}, written when the tunnel starts"),
        (None, Some(_)) => "the servers OpenVPN's server pushes, written when it connects".to_string(),
        (None, None) => list(&servers),
    };
    let _ = writeln!(
        out,
        "  dns: {servers}; strict: {}",
        if f.dns.strict.is_some() { "yes" } else { "no" }
    );
    let publish: Vec<String> = f
        .publish
        .iter()
        .map(|p| format!("{} {} -> {}/{}", p.label, p.listen, p.port, p.protocol))
        .collect();
    let _ = writeln!(out, "  publish: {}", list(&publish));
    if let Some(file) = &f.forwarded_port {
        let _ = writeln!(out, "  forwarded port: through the tunnel, its number in {file}");
    }
    let _ = writeln!(out, "  ipv6: {} ({})", ipv6_state(f), f.ipv6.as_str());
    let _ = writeln!(
        out,
        "  ruleset: {} (the user's own, not interpreted); netns-compile's table: {}",
        list(&f.ruleset.user),
        if f.ruleset.guard { "yes" } else { "no" }
    );
    let forwards: Vec<&str> = [&f.forwarding.v4, &f.forwarding.v6]
        .into_iter()
        .filter_map(|k| k.as_ref().map(|(key, _)| key.as_str()))
        .collect();
    let _ = writeln!(out, "  host forwards: {}", list(&forwards));
    let _ = writeln!(out, "  services:");
    if f.services.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for (s, (verdict, why)) in f.services.iter().zip(&a.verdicts) {
        let _ = writeln!(out, "    {}: {}", s.unit, verdict.as_str());
        for w in why {
            let _ = writeln!(out, "      - {w}");
        }
    }
}
