//! The checks of SPEC §11: what the connectivity options would get wrong at run time.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::connect::{At, Listen, MAX_INTERFACE_BYTES, V4Net};
use crate::model::{Model, Namespace};
use crate::source::Span;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub fn check_connect(model: &Model, diags: &mut Diagnostics) {
    if model.namespaces.iter().all(|ns| ns.connect.is_empty()) {
        return; // the seed module's configurations: nothing to check, at no cost
    }
    let mut listens: Vec<(&Namespace, &str, &At<Listen>)> = Vec::new();
    for ns in &model.namespaces {
        check_publish(ns, diags, &mut listens);
        check_dns(ns, diags);
        check_host_link(ns, diags);
        check_wireguard(ns, diags);
        super::tunnel::check_tunnel(ns, diags);
        check_way_out(model, ns, diags);
        super::confine::check_confinement(ns, diags);
    }
    check_duplicate_listens(&listens, diags);
    check_subnet_overlaps(model, diags);
    check_interface_collisions(model, diags);
    check_unit_collisions(model, diags);
}

fn loc(ns: &Namespace, rest: &str) -> String {
    format!("services.netns.namespaces.{:?}.{rest}", ns.name)
}

fn port_check(what: &str, port: &At<i64>, diags: &mut Diagnostics) -> bool {
    if (1..=65535).contains(&port.value) {
        return true;
    }
    diags.push(
        Diagnostic::new(
            Code::PortOutOfRange,
            format!("{what}: port {} is outside 1–65535", port.value),
        )
        .at(port.span, "not a TCP port"),
    );
    false
}

fn check_publish<'m>(
    ns: &'m Namespace,
    diags: &mut Diagnostics,
    listens: &mut Vec<(&'m Namespace, &'m str, &'m At<Listen>)>,
) {
    for p in &ns.connect.publish {
        let what = loc(ns, &format!("publish.{:?}", p.label.value));
        let label = &p.label.value;
        if label.is_empty()
            || !label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            diags.push(
                Diagnostic::new(
                    Code::InvalidUnitName,
                    format!("`{what}`: the label {label:?} cannot name a unit"),
                )
                .at(
                    p.label.span,
                    "the label is part of the socket's and the forwarder's unit names",
                )
                .help("use letters, digits, `-`, `_` and `.`"),
            );
        }
        match p.protocol.value.as_str() {
            "tcp" => {}
            "udp" => diags.push(
                Diagnostic::new(
                    Code::UnsupportedProtocol,
                    format!("`{what}.protocol`: UDP cannot be published"),
                )
                .at(p.protocol.span, "systemd-socket-proxyd forwards stream sockets only")
                .note("systemd 252's socket-proxyd refuses a datagram socket (\"not a stream socket\")")
                .help("publish TCP, or give the namespace a `hostLink` and forward UDP over it yourself"),
            ),
            other => diags.push(
                Diagnostic::new(Code::UnsupportedProtocol, format!("`{what}.protocol` is {other:?}")).at(
                    p.protocol.span,
                    "expected \"tcp\" (or \"udp\", which systemd-socket-proxyd cannot forward)",
                ),
            ),
        }
        if let Some(port) = &p.port {
            port_check(&format!("`{what}.port`"), port, diags);
        }
        if let Some(l) = &p.listen {
            let port = At {
                value: l.value.port,
                span: l.span,
            };
            if port_check(&format!("`{what}.listen`"), &port, diags) {
                listens.push((ns, label, l));
            }
        }
    }
}

fn check_duplicate_listens(listens: &[(&Namespace, &str, &At<Listen>)], diags: &mut Diagnostics) {
    for (i, (ns, label, l)) in listens.iter().enumerate() {
        if let Some((first_ns, first_label, first)) =
            listens[..i].iter().find(|(_, _, f)| f.value.clashes_with(&l.value))
        {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateListen,
                    format!(
                        "the host address {} is published twice (namespace `{}` port `{label}`)",
                        l.value.render(),
                        ns.name
                    ),
                )
                .at(l.span, format!("{} here", l.value.render()))
                .also(
                    first.span,
                    format!(
                        "{} already published here (namespace `{}` port `{first_label}`)",
                        first.value.render(),
                        first_ns.name
                    ),
                )
                .note("the second socket unit could not bind: a wildcard address takes the port on every address")
                .help("give one of them another port"),
            );
        }
    }
}

fn is_ip(s: &str) -> bool {
    // An IPv6 link-local server may name its interface (`fe80::1%eth0`), as resolv.conf allows.
    let addr = match s.split_once('%') {
        Some((a, scope)) if !scope.is_empty() && a.contains(':') => a,
        Some(_) => return false,
        None => s,
    };
    addr.parse::<IpAddr>().is_ok()
}

fn check_dns(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(dns) = &ns.connect.dns else { return };
    for s in &dns.servers {
        if !is_ip(&s.value) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidDnsServer,
                    format!("`{}`: {:?} is not an IP address", loc(ns, "dns.servers"), s.value),
                )
                .at(s.span, "resolv.conf takes a name server by address only")
                .help("write the server's IPv4 or IPv6 address"),
            );
        }
    }
    for (option, items) in [("search", &dns.search), ("options", &dns.options)] {
        for s in items {
            if s.value.is_empty() || s.value.contains(|c: char| c.is_whitespace() || c.is_control()) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDnsServer,
                        format!("`{}`: {:?} is not one word", loc(ns, &format!("dns.{option}")), s.value),
                    )
                    .at(s.span, "resolv.conf separates the items of a line by white space")
                    .help("give each item as its own list element"),
                );
            }
        }
    }
}

fn check_host_link(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(link) = &ns.connect.host_link else { return };
    if link.given
        && let (Some(h), Some(n)) = (&link.host_address, &link.namespace_address)
        && (h.value.prefix != n.value.prefix
            || h.value.network() != n.value.network()
            || h.value.address == n.value.address)
    {
        diags.push(
            Diagnostic::new(
                Code::InvalidAddress,
                format!(
                    "`{}`: {} and {} are not two addresses of one subnet",
                    loc(ns, "hostLink"),
                    h.value,
                    n.value
                ),
            )
            .at(n.span, "the namespace's end")
            .also(h.span, "the host's end")
            .help("give both ends distinct addresses in the same subnet, e.g. 10.231.0.1/30 and 10.231.0.2/30"),
        );
    }
    for a in [&link.host_address6, &link.namespace_address6].into_iter().flatten() {
        if !is_v6_net(&a.value) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidAddress,
                    format!(
                        "`{}`: {:?} is not an IPv6 address with a prefix",
                        loc(ns, "hostLink"),
                        a.value
                    ),
                )
                .at(a.span, "expected e.g. \"fd00:231::1/64\""),
            );
        }
    }
}

fn is_v6_net(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, p)| {
        a.parse::<std::net::Ipv6Addr>().is_ok()
            && !p.is_empty()
            && p.len() <= 3
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u8>().is_ok_and(|p| p <= 128)
    })
}

fn is_net(s: &str) -> bool {
    V4Net::parse(s).is_some() || is_v6_net(s)
}

/// Why Linux would refuse `name` as an interface name (`dev_valid_name`), if it would.
fn interface_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.len() > MAX_INTERFACE_BYTES {
        return Some(format!(
            "`{name}` is {} bytes long; Linux takes at most {MAX_INTERFACE_BYTES}",
            name.len()
        ));
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is not a name Linux accepts"));
    }
    if name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace() || c.is_control()) {
        return Some(format!("`{name}` holds `/`, `:` or white space, which Linux refuses"));
    }
    None
}

fn check_wireguard(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(wg) = &ns.connect.wireguard else { return };
    let at = |rest: &str| loc(ns, &format!("wireguard.{rest}"));
    if let Some(problem) = interface_name_problem(&wg.interface.value) {
        diags.push(
            Diagnostic::new(
                Code::InvalidInterfaceName,
                format!("`{}` cannot name an interface", at("interface")),
            )
            .at(wg.interface.span, problem)
            .help("Linux interface names have at most 15 bytes, without `/`, `:` or white space"),
        );
    }
    match wg.implementation.value.as_str() {
        "kernel" | "userspace" => {}
        other => diags.push(
            Diagnostic::new(
                Code::InvalidWireguard,
                format!("`{}` is {other:?}", at("implementation")),
            )
            .at(
                wg.implementation.span,
                "expected \"kernel\" or \"userspace\" (wireguard-go)",
            ),
        ),
    }
    if wg.config_file.is_some() {
        return; // the file holds the key and the peers, read at run time
    }
    match &wg.private_key_file {
        None => diags.push(
            Diagnostic::new(Code::InvalidWireguard, format!("`{}` is not set", at("privateKeyFile")))
                .at(wg.span, "this WireGuard interface has no private key")
                .help("give the path of a file that holds the key (made with `wg genkey`), readable by root only"),
        ),
        Some(k) => key_path_check(&at("privateKeyFile"), k, diags),
    }
    if wg.peers.is_empty() {
        diags.push(
            Diagnostic::new(Code::InvalidWireguard, format!("`{}` is empty", at("peers")))
                .at(wg.span, "a tunnel without a peer carries nothing")
                .help("add a peer with its `publicKey`, `endpoint` and `allowedIPs`"),
        );
    }
    for p in &wg.peers {
        if p.public_key.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::InvalidWireguard,
                    format!("a peer of `{}` has no `publicKey`", at("peers")),
                )
                .at(p.span, "this peer"),
            );
        }
        if let Some(f) = &p.preshared_key_file {
            key_path_check(&at("peers.*.presharedKeyFile"), f, diags);
        }
        if let Some(k) = &p.persistent_keepalive
            && !(0..=65535).contains(&k.value)
        {
            diags.push(
                Diagnostic::new(
                    Code::InvalidWireguard,
                    format!("`{}` is out of range", at("peers.*.persistentKeepalive")),
                )
                .at(k.span, "seconds between 0 and 65535"),
            );
        }
        for ip in &p.allowed_ips {
            if !is_net(&ip.value) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidAddress,
                        format!(
                            "`{}`: {:?} is not an address with a prefix",
                            at("peers.*.allowedIPs"),
                            ip.value
                        ),
                    )
                    .at(ip.span, "expected e.g. \"0.0.0.0/0\" or \"::/0\""),
                );
            }
        }
    }
    for a in &wg.addresses {
        if !is_net(&a.value) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidAddress,
                    format!("`{}`: {:?} is not an address with a prefix", at("addresses"), a.value),
                )
                .at(a.span, "expected e.g. \"10.64.0.2/32\" or \"fd00::2/128\""),
            );
        }
    }
}

/// A key file's path: an absolute path, never the key itself (which would then be written
/// into a world-readable script, and the Nix store).
fn key_path_check(what: &str, k: &At<String>, diags: &mut Diagnostics) {
    if !k.value.starts_with('/') {
        // The value is not shown: it may be the secret.
        diags.push(
            Diagnostic::new(Code::InlineSecret, format!("`{what}` must be the path of a key file"))
                .at(
                    k.span,
                    "this is not an absolute path; if it is a key, it would be written into the output",
                )
                .note("netns-compile passes keys to `wg` by path only, so that no secret enters the output")
                .help("put the key in a file readable by root only (e.g. /run/keys/wg.key) and give its path"),
        );
    }
}

/// A namespace that services join, that uses a connectivity option, and that has no way out:
/// no host link, no WireGuard (neither ours nor NixOS's `interfaceNamespace`), no OpenVPN. A seed module's
/// namespace is left alone: being closed is what it is for, and its output stays NixOS's.
fn check_way_out(model: &Model, ns: &Namespace, diags: &mut Diagnostics) {
    let c = &ns.connect;
    // `dns.strict` needs `dns`; `ipv6` alone is no way in or out.
    if (c.publish.is_empty() && c.dns.is_none())
        || c.host_link.is_some()
        || c.wireguard.is_some()
        || c.openvpn.is_some()
    {
        return;
    }
    if model.wireguard_interfaces.iter().any(|w| w.namespace == ns.name) {
        return;
    }
    let joined: Vec<&str> = model
        .joining
        .iter()
        .filter(|s| s.namespace == ns.name)
        .map(|s| s.unit_name.as_str())
        .collect();
    if joined.is_empty() {
        return;
    }
    let mut d = Diagnostic::new(
        Code::NoWayOut,
        format!(
            "namespace `{}` has no way out, but {} join it",
            ns.name,
            joined.join(", ")
        ),
    )
    .at(
        ns.name_span,
        "only `lo` and published ports inside: nothing it starts can reach past the host",
    );
    if let Some(dns) = &c.dns
        && let Some(s) = dns.servers.first()
    {
        d = d.also(s.span, "this name server is unreachable from inside");
    }
    diags
        .push(d.help("give it a `wireguard` tunnel or a `hostLink`, or drop this warning if it is meant to be closed"));
}

/// Subnets one routing table would hold twice. The host holds the host end of every link, so
/// host-link subnets must not overlap across namespaces; a namespace holds its own link and its
/// tunnel's addresses. Tunnel addresses of different namespaces never meet (the host does not
/// route them): two namespaces may both be ProtonVPN's 10.2.0.2/32.
fn check_subnet_overlaps(model: &Model, diags: &mut Diagnostics) {
    let links: Vec<(&str, V4Net, Span)> = model
        .namespaces
        .iter()
        .filter_map(|ns| {
            let h = ns.connect.host_link.as_ref()?.host_address.as_ref()?;
            Some((ns.name.as_str(), h.value, h.span))
        })
        .collect();
    for (i, (ns, net, span)) in links.iter().enumerate() {
        for (other_ns, other, other_span) in &links[..i] {
            if net.overlaps(other) {
                diags.push(overlap(
                    format!("the hostLink subnet {net} of namespace `{ns}` overlaps {other} (hostLink of namespace `{other_ns}`)"),
                    (*span, net),
                    (*other_span, other),
                    "the host would route one of them to the wrong place",
                ));
            }
        }
    }
    for ns in &model.namespaces {
        let (Some(wg), Some(link)) = (&ns.connect.wireguard, &ns.connect.host_link) else {
            continue;
        };
        let Some(h) = &link.host_address else { continue };
        for a in &wg.addresses {
            if let Some(net) = V4Net::parse(&a.value).filter(|n| n.overlaps(&h.value)) {
                diags.push(overlap(
                    format!(
                        "the wireguard.addresses subnet {net} of namespace `{}` overlaps its own hostLink subnet {}",
                        ns.name, h.value
                    ),
                    (a.span, &net),
                    (h.span, &h.value),
                    "inside the namespace, traffic for one would go over the other",
                ));
            }
        }
    }
}

fn overlap(message: String, (span, net): (Span, &V4Net), (other_span, other): (Span, &V4Net), why: &str) -> Diagnostic {
    Diagnostic::new(Code::SubnetOverlap, message)
        .at(span, format!("{net} here"))
        .also(other_span, format!("{other} here"))
        .note(why)
        .help("give one of them another subnet, or leave the host link's addresses to the pool")
}

/// Interfaces that exist at once in the host namespace: the host ends of the links, and each
/// WireGuard interface and OpenVPN device between its creation and its move. Inside a namespace: `lo`, `host0`
/// and the WireGuard interface.
fn check_interface_collisions(model: &Model, diags: &mut Diagnostics) {
    let mut host: BTreeMap<&str, Vec<(&str, Span)>> = BTreeMap::new();
    for ns in &model.namespaces {
        if let Some(link) = &ns.connect.host_link {
            host.entry(&link.host_interface)
                .or_default()
                .push((&ns.name, link.span));
        }
        if let Some(wg) = &ns.connect.wireguard {
            host.entry(&wg.interface.value)
                .or_default()
                .push((&ns.name, wg.interface.span));
            let inside = ["lo"]
                .into_iter()
                .chain(ns.connect.host_link.as_ref().map(|l| l.namespace_interface.as_str()));
            for taken in inside {
                if wg.interface.value == taken {
                    diags.push(
                        Diagnostic::new(
                            Code::InterfaceNameCollision,
                            format!("namespace `{}` would have two interfaces named `{taken}`", ns.name),
                        )
                        .at(wg.interface.span, "the WireGuard interface")
                        .help("name the WireGuard interface otherwise, e.g. \"wg0\""),
                    );
                }
            }
        }
    }
    // OpenVPN's tun device is made on the host too, before its up script moves it in.
    for ns in &model.namespaces {
        if let Some(vpn) = &ns.connect.openvpn {
            host.entry(&vpn.interface).or_default().push((&ns.name, vpn.span));
        }
    }
    for (name, span) in &model.nixos_wireguard_names {
        if let Some(owners) = host.get(name.as_str()) {
            let mut d = Diagnostic::new(
                Code::InterfaceNameCollision,
                format!("the interface name `{name}` is also one of `networking.wireguard.interfaces`"),
            );
            for (ns, at) in owners {
                d = d.also(*at, format!("namespace `{ns}` makes `{name}` on the host"));
            }
            diags.push(
                d.also(*span, "NixOS makes this interface on the host too")
                    .help("give the namespace's WireGuard interface another `interface` name"),
            );
        }
    }
    for (name, owners) in host {
        if owners.len() < 2 {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::InterfaceNameCollision,
            format!(
                "the interface name `{name}` is used {} times in the host namespace",
                owners.len()
            ),
        );
        for (ns, span) in &owners {
            d = d.also(*span, format!("namespace `{ns}` makes `{name}` on the host"));
        }
        diags.push(d.help("rename one of the namespaces or its WireGuard interface"));
    }
}

/// A connectivity unit whose name another unit has already.
fn check_unit_collisions(model: &Model, diags: &mut Diagnostics) {
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ns in &model.namespaces {
        by_name
            .entry(&ns.unit_name)
            .or_default()
            .push("the namespace's own unit");
    }
    for s in model.joining.iter().chain(&model.other_services) {
        by_name
            .entry(&s.unit_name)
            .or_default()
            .push("a service of `systemd.services`");
    }
    let mut spans: BTreeMap<&str, Span> = BTreeMap::new();
    for u in model.connect_units.iter().filter(|u| !u.is_dropin()) {
        by_name.entry(&u.unit).or_default().push("a connectivity unit");
        let ns = model.namespaces.iter().find(|n| n.name == u.namespace);
        if let Some(ns) = ns {
            spans.entry(&u.unit).or_insert(ns.name_span);
        }
    }
    for (unit, owners) in by_name {
        if owners.len() < 2 || !owners.contains(&"a connectivity unit") {
            continue;
        }
        let span = spans.get(unit).copied().unwrap_or(Span::BUILTIN);
        diags.push(
            Diagnostic::new(Code::UnitNameCollision, format!("two units would be named {unit}"))
                .at(span, format!("this namespace's options make {unit}"))
                .note(format!("{unit} is {}", owners.join(" and ")))
                .help("rename the namespace or the published port's label"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::connect::host_interface_name;

    #[test]
    fn the_host_ends_netns_compile_names_pass_the_check() {
        for namespace in ["vpn", "my lab", "a-very-long-namespace", "a:b/c", "ünïcode"] {
            let name = host_interface_name(namespace);
            assert_eq!(interface_name_problem(&name), None, "{name}");
        }
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "sixteen-bytes-xx"] {
            assert!(interface_name_problem(bad).is_some(), "{bad:?}");
        }
    }
}
