//! The checks of SPEC §13: `dns.strict` and `ipv6` asked of a namespace that cannot give
//! them.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Namespace;
use crate::model::connect::{Ipv6Policy, WireGuard};
use crate::model::guard::tunnel_interface;

pub fn check_confinement(ns: &Namespace, diags: &mut Diagnostics) {
    check_strict_dns(ns, diags);
    check_ipv6(ns, diags);
}

fn loc(ns: &Namespace, rest: &str) -> String {
    format!("services.netns.namespaces.{:?}.{rest}", ns.name)
}

/// Strict DNS allows `dns.servers` only: without one, every lookup would be dropped.
fn check_strict_dns(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(strict) = &ns.connect.strict_dns else { return };
    if ns.connect.dns.as_ref().is_some_and(|d| !d.servers.is_empty()) {
        return;
    }
    // A wg-quick file's DNS servers are allowed when its tunnel starts (model/tunnel_file.rs).
    // So are the servers an OpenVPN server pushes (model/openvpn.rs).
    if ns.connect.wireguard.as_ref().is_some_and(|w| w.config_file.is_some()) || ns.connect.openvpn.is_some() {
        return;
    }
    diags.push(
        Diagnostic::new(
            Code::StrictDnsWithoutServers,
            format!("`{}` is set, but no name server is allowed", loc(ns, "dns.strict")),
        )
        .at(
            strict.span,
            "strict DNS drops every lookup to a server not in `dns.servers`",
        )
        .note("`dns.servers` is empty: every name lookup inside the namespace would be dropped")
        .help("list the servers to use in `dns.servers` (e.g. the tunnel's DNS server)"),
    );
}

/// The IPv6 addresses of a WireGuard tunnel.
fn ipv6_addresses(wg: &WireGuard) -> impl Iterator<Item = &crate::model::connect::At<String>> {
    wg.addresses.iter().filter(|a| a.value.contains(':'))
}

/// `"tunnel"` needs a tunnel with an IPv6 address; `"disable"` cannot stand beside IPv6
/// addresses of the namespace's own interfaces (the kernel refuses to add them once IPv6 is
/// off there, and the unit that adds them fails).
fn check_ipv6(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(policy) = &ns.connect.ipv6 else { return };
    let what = loc(ns, "ipv6");
    let c = &ns.connect;
    match policy.value {
        Ipv6Policy::Allow => {}
        Ipv6Policy::Tunnel => {
            match (&c.wireguard, tunnel_interface(c)) {
                (Some(wg), Some(dev)) => {
                    if dev.contains(['"', '\\']) {
                        diags.push(
                            Diagnostic::new(
                                Code::InvalidInterfaceName,
                                format!("`{}` cannot be matched by nftables", loc(ns, "wireguard.interface")),
                            )
                            .at(wg.interface.span, "an nftables string cannot hold `\"` or `\\`")
                            .help("name the interface with letters, digits, `-` and `_`"),
                        );
                    }
                    // A wg-quick file's addresses are known only when its unit starts.
                    if wg.config_file.is_none() && ipv6_addresses(wg).next().is_none() {
                        let mut d = Diagnostic::new(
                            Code::Ipv6Conflict,
                            format!("`{what}` is \"tunnel\", but the tunnel has no IPv6 address"),
                        )
                        .at(policy.span, "IPv6 may leave only through the tunnel");
                        d = match wg.addresses.first() {
                            Some(a) => wg.addresses[1..]
                                .iter()
                                .fold(d.also(a.span, "the tunnel's addresses: IPv4 only"), |d, a| {
                                    d.also(a.span, "IPv4")
                                }),
                            None => d.also(wg.span, "this tunnel has no address at all"),
                        };
                        diags.push(
                        d.note("IPv6 could not leave at all: every IPv6 packet would be dropped")
                            .help("add the tunnel's IPv6 address to `wireguard.addresses`, or set `ipv6 = \"disable\"`"),
                    );
                    }
                }
                // OpenVPN's IPv6 address is pushed by its server when it connects.
                (None, Some(_)) => {}
                _ => diags.push(
                    Diagnostic::new(
                        Code::Ipv6Conflict,
                        format!("`{what}` is \"tunnel\", but namespace `{}` has no tunnel", ns.name),
                    )
                    .at(policy.span, "IPv6 may leave only through the tunnel")
                    .also(ns.name_span, "this namespace has no `wireguard`")
                    .help("give the namespace a `wireguard` tunnel, or set `ipv6 = \"disable\"`"),
                ),
            }
        }
        Ipv6Policy::Disable => {
            let tunnel = c.wireguard.iter().flat_map(|w| ipv6_addresses(w));
            let link = c.host_link.iter().flat_map(|l| &l.namespace_address6);
            let addresses: Vec<_> = tunnel.chain(link).collect();
            if addresses.is_empty() {
                return;
            }
            let d = Diagnostic::new(
                Code::Ipv6Conflict,
                format!("`{what}` is \"disable\", but the namespace's interfaces have IPv6 addresses"),
            )
            .at(policy.span, "IPv6 is switched off inside the namespace");
            let d = addresses
                .iter()
                .fold(d, |d, a| d.also(a.span, "an IPv6 address inside the namespace"));
            diags.push(
                d.note("with `disable_ipv6` set the kernel refuses these addresses, and the unit adding them fails")
                    .help("remove the IPv6 addresses, or leave `ipv6` at \"allow\" (or \"tunnel\")"),
            );
        }
    }
}
