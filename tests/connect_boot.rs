//! SPEC §11 under a real systemd: this machine's systemd 252, booted as PID 1 of a throwaway
//! container (`common::nspawn`, its own network namespace), runs the units the connectivity
//! options add, installed as `systemd_boot.rs` installs a tree.
//!
//! - `publish`: the socket unit listens in the container's host namespace from boot
//!   (`sockets.target`); a connection to it starts the forwarder, which runs in the namespace
//!   (same network namespace as /run/netns/<name>) and reaches a server a joining service runs
//!   on the namespace's 127.0.0.1.
//! - `dns`: a joining service reads the lines as its /etc/resolv.conf.
//! - `hostLink`: started with the namespace's unit (its `.wants/`), both ends addressed, the
//!   server answers on the namespace's end from the host side; stopping the namespace's unit
//!   stops the link's and the forwarder's (`BindsTo=`) and removes the pair.
//! - `wireguard` (`implementation = "userspace"`): started with its namespace, wireguard-go
//!   stays in the unit (a oneshot with `RemainAfterExit=`), the namespace reaches a peer
//!   namespace the test builds through the tunnel and through nothing else; stopping the unit
//!   removes the interface and ends wireguard-go, and nothing reaches the peer after.
//!
//! Needs root, systemd-nspawn, socat, wg and wireguard-go; otherwise `SKIPPED: …` (a failure when `CI` is set).

mod common;
mod harden;

use common::nspawn::{self, Boot, Container};
use common::wireguard::{KeyPair, key_pair};
use harden::{build_config_at, missing_program, note, skip, tempdir, wait_for};
use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::symlink;

const PREFIX: &str = "/opt/netns-connect";

#[test]
fn connectivity_units_under_systemd_252() {
    let test = "connect_boot::connectivity_units_under_systemd_252";
    let why = nspawn::unavailable()
        .or_else(|| missing_program(&["socat", "wg", "wireguard-go"]).map(|p| format!("`{p}` is not installed")));
    if let Some(why) = why {
        assert!(std::env::var_os("CI").is_none(), "{test}: {why} (CI is set)");
        skip(test, &why);
        return;
    }
    let config = json!({
        "services": {"netns": {"namespaces": {"web": {
            "publish": {"ui": {"listen": "127.0.0.1:8080", "port": 3000}},
            "dns": {"servers": ["10.64.0.1"], "search": ["home.arpa"]},
            "hostLink": {"enable": true},
            "service": {"wantedBy": ["multi-user.target"]}
        }}}},
        "systemd": {"services": {"rt-server": {"netns": "web"}, "rt-reader": {"netns": "web"}}}
    });
    let mut config = config;
    let keys = wireguard_keys();
    config["services"]["netns"]["namespaces"]["vpn"] = json!({
        "service": {"wantedBy": ["multi-user.target"]},
        "wireguard": {
            "enable": true,
            "implementation": "userspace",
            "interface": "wg-vpn",
            "privateKeyFile": "/etc/systemd/system/keys/vpn.key",
            "addresses": ["10.99.0.2/32"],
            "peers": [{"publicKey": keys.peer.public, "endpoint": "10.232.0.2:51820", "allowedIPs": ["0.0.0.0/0"]}]
        }
    });
    let work = tempdir("connect-boot");
    let out = build_config_at(&config, work.path(), PREFIX);
    let link_start = fs::read_to_string(out.join("libexec/netns-compile/netns-web-hostlink.service/start")).unwrap();
    let ns_addr = link_start
        .lines()
        .find(|l| l.contains(" -n web address add "))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != "add").nth(1))
        .map(|a| a.split('/').next().unwrap().to_string())
        .expect("the namespace's address");
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(out.join("share/netns-compile/manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["connect"].as_array().is_some_and(|a| a.len() == 5),
        "{}",
        manifest["connect"]
    );

    let etc = work.path().join("etc");
    fs::create_dir(&etc).unwrap();
    nspawn::link_units(&out, &etc, PREFIX, &[]);
    // The container has no network to wait for: its wait-online would hold network-online.target
    // (which the WireGuard unit is after, as wg-quick's is) for its two-minute timeout.
    symlink("/dev/null", etc.join("systemd-networkd-wait-online.service")).unwrap();
    fs::create_dir(etc.join("keys")).unwrap();
    fs::write(etc.join("keys/vpn.key"), &keys.vpn.private).unwrap();
    fs::write(etc.join("keys/peer.key"), &keys.peer.private).unwrap();
    // The joining services: a server on the namespace's 127.0.0.1 (and on every address of it,
    // for the host link), and a reader of its resolv.conf.
    fs::write(
        etc.join("rt-server.service"),
        "[Service]\nExecStart=/usr/bin/socat TCP-LISTEN:3000,reuseaddr,fork SYSTEM:'echo answer-from-web'\n",
    )
    .unwrap();
    fs::write(
        etc.join("rt-reader.service"),
        "[Service]\nType=oneshot\nRemainAfterExit=true\nExecStart=/bin/sh -c 'cat /etc/resolv.conf > /run/resolv-seen'\n",
    )
    .unwrap();
    let c = Container::boot(&Boot {
        bind_ro: vec![(out.clone(), PREFIX.into())],
        bind: vec![(etc.clone(), "/etc/systemd/system".into())],
    })
    .unwrap_or_else(|e| panic!("{e}"));

    // At boot: the namespace (multi-user.target), its host link (its .wants/), the socket.
    for unit in [
        "netns-web.service",
        "netns-web-hostlink.service",
        "netns-web-publish-ui.socket",
    ] {
        c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(c.property("netns-web-publish-ui.service", "ActiveState"), "inactive");
    c.run_ok(&["systemctl", "start", "rt-server.service", "rt-reader.service"]);
    c.wait_active("rt-server.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("the server in web", || {
        c.exec(&["ip", "netns", "exec", "web", "socat", "-u", "TCP:127.0.0.1:3000", "-"])
            .ok()
    });

    // publish: the host's 127.0.0.1:8080 reaches the namespace's 127.0.0.1:3000.
    let answer = c.run_ok(&["socat", "-T", "5", "-u", "TCP:127.0.0.1:8080", "-"]);
    assert_eq!(answer.trim(), "answer-from-web", "through the published port");
    c.wait_active("netns-web-publish-ui.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = c.main_pid("netns-web-publish-ui.service").expect("the forwarder's pid");
    let registered = c.run_ok(&["stat", "-L", "-c", "%i", "/run/netns/web"]);
    let forwarder_ns = c.run_ok(&["readlink", &format!("/proc/{pid}/ns/net")]);
    assert_eq!(
        forwarder_ns.trim(),
        format!("net:[{}]", registered.trim()),
        "the forwarder's namespace"
    );
    let not_inside = c.exec(&["socat", "-T", "2", "-u", "TCP:127.0.0.1:3000,connect-timeout=2", "-"]);
    assert!(!not_inside.ok(), "the namespace's own port answers on the host side");
    note("connect_boot: 127.0.0.1:8080 reaches web's 127.0.0.1:3000 through a socket-activated forwarder in web");

    // dns: what the joined service read as /etc/resolv.conf.
    c.wait_active("rt-reader.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.run_ok(&["cat", "/run/resolv-seen"]),
        "nameserver 10.64.0.1\nsearch home.arpa\n"
    );
    note("connect_boot: the joined service reads the dns lines as /etc/resolv.conf");

    // hostLink: the host side reaches the server on the namespace's end; no default route.
    let via_link = c.run_ok(&["socat", "-T", "5", "-u", &format!("TCP:{ns_addr}:3000"), "-"]);
    assert_eq!(via_link.trim(), "answer-from-web", "across the host link");
    assert_eq!(c.run_ok(&["ip", "-n", "web", "route", "show", "default"]).trim(), "");
    assert_eq!(c.run_ok(&["cat", "/proc/sys/net/ipv4/ip_forward"]).trim(), "0");
    note(&format!(
        "connect_boot: the host link reaches {ns_addr}, no default route, no forwarding"
    ));

    wireguard_under_systemd(&c, &keys);

    // Stopping the namespace stops what is bound to it, and the pair goes.
    c.run_ok(&["systemctl", "stop", "netns-web.service"]);
    for unit in [
        "netns-web-hostlink.service",
        "netns-web-publish-ui.service",
        "rt-server.service",
    ] {
        c.wait_active(unit, &["inactive", "failed"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        !c.exec(&["ip", "link", "show", "nsh-web"]).ok(),
        "nsh-web outlived its unit"
    );
    note("connect_boot: stopping netns-web.service stopped the link and the forwarder, and removed nsh-web");
    drop(c);
}

/// The namespace's and the peer's key pairs.
struct Keys {
    vpn: KeyPair,
    peer: KeyPair,
}

fn wireguard_keys() -> Keys {
    Keys {
        vpn: key_pair(),
        peer: key_pair(),
    }
}

/// The peer: a namespace of the container, linked to its host side, running wireguard-go,
/// with an nft counter of what arrives on its link.
fn wireguard_under_systemd(c: &Container, keys: &Keys) {
    let unit = "netns-vpn-wireguard.service";
    c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "set -e
ip netns add peer
ip link add vh type veth peer name vp netns peer
ip address add 10.232.0.1/30 dev vh
ip link set vh up
ip -n peer address add 10.232.0.2/30 dev vp
ip -n peer link set vp up
ip -n peer link set lo up
ip netns exec peer wireguard-go wg-peer
ip netns exec peer wg set wg-peer private-key /etc/systemd/system/keys/peer.key listen-port 51820 peer {} allowed-ips 10.99.0.2/32
ip -n peer address add 10.99.0.1/24 dev wg-peer
ip -n peer link set wg-peer up
ip netns exec peer nft add table inet count
ip netns exec peer nft add chain inet count c '{{ type filter hook input priority 0; }}'
ip netns exec peer nft add rule inet count c iifname vp counter
ip netns exec peer socat TCP-LISTEN:4000,bind=10.99.0.1,reuseaddr,fork SYSTEM:'echo answer-from-peer' >/dev/null 2>&1 &
",
        keys.vpn.public
    );
    let r = c.sh(&script, &[]);
    assert!(r.ok(), "building the peer: {}{}", r.stdout, r.stderr);
    let counted = || {
        let t = c.run_ok(&["ip", "netns", "exec", "peer", "nft", "list", "table", "inet", "count"]);
        t.split_whitespace()
            .skip_while(|w| *w != "packets")
            .nth(1)
            .and_then(|n| n.parse::<u64>().ok())
            .expect("a counter")
    };
    wait_for("the peer's server", || {
        c.exec(&["ip", "netns", "exec", "peer", "socat", "-u", "TCP:10.99.0.1:4000", "-"])
            .ok()
    });
    let vpn = |args: &[&str]| {
        let argv: Vec<&str> = ["ip", "netns", "exec", "vpn"].iter().chain(args).copied().collect();
        c.exec(&argv)
    };
    let through = vpn(&["socat", "-T", "5", "-u", "TCP:10.99.0.1:4000,connect-timeout=5", "-"]);
    assert_eq!(
        through.stdout.trim(),
        "answer-from-peer",
        "through the tunnel: {}",
        through.stderr
    );
    let routes = c.run_ok(&["ip", "-n", "vpn", "route", "show", "default"]);
    assert!(routes.contains("dev wg-vpn"), "{routes}");
    let up = counted();
    assert!(up > 0, "no encrypted packet reached the peer");
    // Nothing but the tunnel: the peer's own address is reached only through it (the
    // connection goes into the tunnel, where the peer's allowed-ips accept it, or fails).
    note(&format!(
        "connect_boot: vpn reaches the peer through wg-vpn under systemd ({up} packets at the peer)"
    ));

    // Stopping the unit: the interface goes, and wireguard-go with it; then nothing leaves.
    c.run_ok(&["systemctl", "stop", unit]);
    assert!(
        !c.exec(&["ip", "-n", "vpn", "link", "show", "wg-vpn"]).ok(),
        "wg-vpn outlived its unit"
    );
    wait_for("wireguard-go to end", || {
        !c.run_ok(&["ps", "-eo", "args"])
            .lines()
            .any(|l| l.trim() == "wireguard-go wg-vpn")
    });
    let before = counted();
    for target in [
        "TCP:10.99.0.1:4000,connect-timeout=2",
        "TCP:10.232.0.2:51820,connect-timeout=2",
    ] {
        assert!(
            !vpn(&["socat", "-T", "2", "-u", target, "-"]).ok(),
            "{target} answered with the tunnel gone"
        );
    }
    assert_eq!(counted(), before, "packets reached the peer with the tunnel gone");
    note("connect_boot: stopping the WireGuard unit removed wg-vpn and ended wireguard-go; nothing left after");
}
