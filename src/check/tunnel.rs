//! The checks of SPEC §14 on the tunnel options: a wg-quick file beside the inline WireGuard
//! options it replaces, OpenVPN beside WireGuard or without its file, a watchdog with nothing to watch or that cannot tick, port forwarding
//! without a tunnel or a gateway to ask.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Namespace;
use crate::model::connect::At;

pub fn check_tunnel(ns: &Namespace, diags: &mut Diagnostics) {
    check_config_file(ns, diags);
    check_openvpn(ns, diags);
    check_watchdog(ns, diags);
    check_port_forward(ns, diags);
}

fn loc(ns: &Namespace, rest: &str) -> String {
    format!("services.netns.namespaces.{:?}.{rest}", ns.name)
}

/// `configFile` replaces `privateKeyFile`, `addresses` and `peers`: given both, which one
/// holds would be a guess. The file is read when the unit starts, so its path must not depend
/// on the unit's working folder (and a relative path may be the file's text pasted in).
fn check_config_file(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(wg) = &ns.connect.wireguard else { return };
    let Some(file) = &wg.config_file else { return };
    let inline: Vec<(&str, crate::source::Span)> = wg
        .private_key_file
        .iter()
        .map(|k| ("privateKeyFile", k.span))
        .chain(wg.addresses.first().map(|a| ("addresses", a.span)))
        .chain(wg.peers.first().map(|p| ("peers", p.span)))
        .collect();
    if !inline.is_empty() {
        let names: Vec<String> = inline.iter().map(|(n, _)| format!("`{n}`")).collect();
        let mut d = Diagnostic::new(
            Code::WireguardFileConflict,
            format!(
                "`{}` is given beside {}",
                loc(ns, "wireguard.configFile"),
                names.join(", ")
            ),
        )
        .at(file.span, "the wg-quick file has the key, the addresses and the peers");
        for (name, span) in inline {
            d = d.also(span, format!("`{name}` given here too"));
        }
        diags.push(
            d.note("the file is read when the unit starts; netns-compile does not merge it with inline options")
                .help("keep `configFile` alone, or drop it and give the tunnel inline"),
        );
    }
    check_file_path(
        &loc(ns, "wireguard.configFile"),
        file,
        Code::InvalidWireguard,
        "/run/secrets/wg0.conf",
        diags,
    );
}

/// A file a tunnel's unit reads when it starts: its path is written into the unit (so no
/// control character) and must not depend on the unit's working folder; a relative one may be
/// the file's text pasted in, so its value is never shown. `control` is the code of the first
/// mistake, `example` a path to suggest.
fn check_file_path(what: &str, path: &At<String>, control: Code, example: &str, diags: &mut Diagnostics) {
    if let Some(c) = path.value.chars().find(|c| c.is_control()) {
        diags.push(
            Diagnostic::new(control, format!("`{what}` holds the control character {c:?}"))
                .at(
                    path.span,
                    "the path is written into the unit and its script, where it would break them",
                )
                .help("give the file a path without control characters"),
        );
    } else if !path.value.starts_with('/') {
        diags.push(
            Diagnostic::new(Code::InlineSecret, format!("`{what}` must be the path of a file"))
                .at(
                    path.span,
                    "this is not an absolute path; if it is the file's text, it would be written into the output",
                )
                .help(format!(
                    "put the file where only root reads it (e.g. {example}) and give its path"
                )),
        );
    }
}

/// One tunnel per namespace: each sets the default route, and joiners require one tunnel unit.
/// OpenVPN needs its file; both paths are read when the unit starts, so they must be absolute
/// (a relative one may be the file's text pasted in) and fit in a unit file.
fn check_openvpn(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(vpn) = &ns.connect.openvpn else { return };
    if let Some(wg) = &ns.connect.wireguard {
        diags.push(
            Diagnostic::new(
                Code::TwoTunnels,
                format!("namespace `{}` has both `wireguard` and `openvpn`", ns.name),
            )
            .at(vpn.span, "OpenVPN's device would be the default route")
            .also(wg.span, "and so would WireGuard's")
            .note("a namespace has one default route, and its services require one tunnel")
            .help("put each tunnel in a namespace of its own"),
        );
    }
    let Some(file) = &vpn.config_file else {
        diags.push(
            Diagnostic::new(
                Code::InvalidOpenvpn,
                format!("`{}` is enabled without a `configFile`", loc(ns, "openvpn")),
            )
            .at(vpn.span, "OpenVPN needs the provider's configuration file")
            .help("give `openvpn.configFile`, the path of the `.ovpn` file (e.g. /run/secrets/provider.ovpn)"),
        );
        return;
    };
    for (what, path) in [
        ("configFile", Some(file)),
        ("authUserPassFile", vpn.auth_user_pass_file.as_ref()),
    ] {
        let Some(path) = path else { continue };
        check_file_path(
            &loc(ns, &format!("openvpn.{what}")),
            path,
            Code::InvalidOpenvpn,
            "/run/secrets/provider.ovpn",
            diags,
        );
    }
}

/// A watchdog restarts the namespace's tunnel: without one it has nothing to do.
fn check_watchdog(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(dog) = &ns.connect.watchdog else { return };
    if ns.connect.wireguard.is_none() && ns.connect.openvpn.is_none() {
        diags.push(
            Diagnostic::new(
                Code::InvalidWatchdog,
                format!("`{}` is enabled, but the namespace has no tunnel", loc(ns, "watchdog")),
            )
            .at(dog.span, "this watchdog would watch nothing")
            .help("give the namespace a `wireguard` or `openvpn` tunnel, or drop the watchdog"),
        );
    }
    let positive = |what: &str, a: &At<i64>, diags: &mut Diagnostics| {
        if a.value < 1 {
            diags.push(
                Diagnostic::new(
                    Code::InvalidWatchdog,
                    format!("`{}` is {}", loc(ns, &format!("watchdog.{what}")), a.value),
                )
                .at(a.span, "expected a number of seconds, at least 1"),
            );
        }
    };
    positive("interval", &dog.interval, diags);
    positive("handshakeTimeout", &dog.handshake_timeout, diags);
}

/// NAT-PMP asks the tunnel's gateway, by IPv4 address (RFC 6886).
fn check_port_forward(ns: &Namespace, diags: &mut Diagnostics) {
    let Some(pf) = &ns.connect.port_forward else { return };
    if ns.connect.wireguard.is_none() && ns.connect.openvpn.is_none() {
        diags.push(
            Diagnostic::new(
                Code::InvalidPortForward,
                format!(
                    "`{}` is enabled, but the namespace has no tunnel",
                    loc(ns, "portForward")
                ),
            )
            .at(pf.span, "there is no gateway to ask for a port")
            .help("give the namespace a `wireguard` or `openvpn` tunnel, or drop `portForward`"),
        );
    }
    if pf.gateway.value.parse::<std::net::Ipv4Addr>().is_err() {
        diags.push(
            Diagnostic::new(
                Code::InvalidPortForward,
                format!(
                    "`{}`: {:?} is not an IPv4 address",
                    loc(ns, "portForward.gateway"),
                    pf.gateway.value
                ),
            )
            .at(pf.gateway.span, "NAT-PMP speaks to its gateway by IPv4 address")
            .help("give the gateway's address inside the tunnel, e.g. \"10.2.0.1\" (ProtonVPN)"),
        );
    }
}
