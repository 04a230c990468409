//! SPEC §11 under a real systemd: this machine's systemd 252, booted as PID 1 of a throwaway
//! container (`common::nspawn`, its own network namespace), runs the units the connectivity
//! options add, installed as `systemd_boot.rs` installs a tree. (tests/connectivity.rs runs the
//! same units' command lines with stand-ins for systemd; what it claims of the units is checked
//! here under the real one, in this one boot, and the in-place resolv.conf update that a
//! running joiner sees, in tests/systemd_boot.rs.)
//!
//! - `publish`: the socket unit listens in the container's host namespace from boot
//!   (`sockets.target`); a connection to it starts the forwarder, which runs in the namespace
//!   (same network namespace as /run/netns/<name>) and reaches a server a joining service runs
//!   on the namespace's 127.0.0.1, the same forwarder for a second connection; the namespace's
//!   port does not answer on the host side. A client that half-closes its side gets no reply
//!   through the forwarder (systemd 252's socket-proxyd closes both directions at the first
//!   EOF), one that keeps it open does, and the half-closing client straight to the server does
//!   too. A real `ListenDatagram=` socket unit in front of socket-proxyd makes it fail ("not a
//!   stream socket"): why `"udp"` is refused.
//! - `dns`: a joining service reads the lines as its /etc/resolv.conf.
//! - `hostLink`: started with the namespace's unit (its `.wants/`), both IPv4 ends at the
//!   addresses the test computes from the pool's documented rule, a server answering across it
//!   each way, and on the given IPv6 address; no default route for either family; stopping the
//!   namespace's unit stops the link's and the forwarders' (`BindsTo=`) and removes the pair.
//! - `wireguard` (`implementation = "userspace"`): started with its namespace, wireguard-go
//!   stays in the unit (a oneshot with `RemainAfterExit=`), the namespace reaches a peer
//!   namespace the test builds through the tunnel and through nothing else (nft counters on
//!   the peer's link, in the peer and on the host side, see the tunnel's UDP and not one other
//!   packet); stopping the unit removes the interface and ends wireguard-go, and nothing
//!   reaches the link after.
//!
//! Every wait is for a state (a unit's, a socket in `ss`, a process), bounded, with a message
//! saying what did not come. Needs root, systemd-nspawn, socat, wg and wireguard-go; otherwise
//! `*** SKIPPED: … ***` (`common::skip`), a failure when `CI` is set.

mod common;
mod harden;

use common::nspawn::{self, Boot, Container};
use common::skip;
use common::wireguard::{KeyPair, key_pair};
use harden::{build_config_at, missing_program, note, tempdir, wait_for};
use serde_json::{Value, json};
use std::fs;
use std::os::unix::fs::symlink;
use std::time::Duration;

const PREFIX: &str = "/opt/netns-connect";

/// How long any wait of this test may take before it fails.
const WAIT: Duration = Duration::from_secs(30);

/// Whether a socket is bound to `port` in the container's namespace `ns` (its host's if
/// `None`): `ss -H` with `kind` (`-ltn` for TCP listeners, `-lun` for bound UDP sockets).
fn listening(c: &Container, ns: Option<&str>, kind: &str, port: u16) -> bool {
    let filter = format!("sport = :{port}");
    let mut argv = match ns {
        Some(ns) => vec!["ip", "netns", "exec", ns],
        None => vec![],
    };
    argv.extend(["ss", "-H", kind, &filter]);
    !c.run_ok(&argv).trim().is_empty()
}

#[test]
fn connectivity_units_under_systemd_252() {
    let test = "connect_boot::connectivity_units_under_systemd_252";
    let why = nspawn::unavailable()
        .or_else(|| missing_program(&["socat", "wg", "wireguard-go"]).map(|p| format!("`{p}` is not installed")));
    if let Some(why) = why {
        skip(test, &why);
        return;
    }
    let config = json!({
        "services": {"netns": {"namespaces": {"web": {
            "publish": {
                "ui": {"listen": "127.0.0.1:8080", "port": 3000},
                "echo": {"listen": "127.0.0.1:8081", "port": 3001}
            },
            "dns": {"servers": ["10.64.0.1"], "search": ["home.arpa"]},
            "hostLink": {"enable": true, "hostAddress6": "fd00:231::1/64", "namespaceAddress6": "fd00:231::2/64"},
            "service": {"wantedBy": ["multi-user.target"]}
        }}}},
        "systemd": {"services": {
            "rt-server": {"netns": "web"}, "rt-echo": {"netns": "web"}, "rt-reader": {"netns": "web"}
        }}
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
    // web's is the only host link: its ends are the pool's first choice for its name, computed
    // from the documented rule (not read from the compiler's scripts).
    let (host_addr, ns_addr) = common::first_pool_addresses("web");
    let (host_addr, ns_addr) = (host_addr.to_string(), ns_addr.to_string());
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(out.join("share/netns-compile/manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["connect"].as_array().is_some_and(|a| a.len() == 7),
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
        "[Service]\nExecStart=/usr/bin/socat TCP6-LISTEN:3000,ipv6only=0,reuseaddr,fork SYSTEM:'echo answer-from-web'\n",
    )
    .unwrap();
    // A request/response server: it answers a line, or, when the line is `wait-eof`, the end
    // of the request (the client's half-close), so that whether a reply can follow a
    // half-close is decided by the forwarder alone, not by a race.
    fs::write(
        etc.join("rt-echo.sh"),
        "read l\n[ \"$l\" != wait-eof ] || cat >/dev/null\necho \"reply-to-$l\"\n",
    )
    .unwrap();
    fs::write(
        etc.join("rt-echo.service"),
        "[Service]\nExecStart=/usr/bin/socat TCP-LISTEN:3001,reuseaddr,fork \"SYSTEM:sh /etc/systemd/system/rt-echo.sh\"\n",
    )
    .unwrap();
    // systemd-socket-proxyd behind a real datagram socket unit: why `protocol = "udp"` is refused.
    fs::write(etc.join("rt-udp.socket"), "[Socket]\nListenDatagram=127.0.0.1:5300\n").unwrap();
    fs::write(
        etc.join("rt-udp.service"),
        "[Service]\nExecStart=/usr/lib/systemd/systemd-socket-proxyd 127.0.0.1:53\n",
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
        "netns-web-publish-echo.socket",
    ] {
        c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(c.property("netns-web-publish-ui.service", "ActiveState"), "inactive");
    c.run_ok(&[
        "systemctl",
        "start",
        "rt-server.service",
        "rt-echo.service",
        "rt-reader.service",
    ]);
    for (unit, port) in [("rt-server.service", 3000), ("rt-echo.service", 3001)] {
        c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
        wait_for(&format!("{unit} listening on web's port {port}"), || {
            listening(&c, Some("web"), "-ltn", port)
        });
    }

    // publish: the host's 127.0.0.1:8080 reaches the namespace's 127.0.0.1:3000.
    let answer = c.run_ok(&["socat", "-T", "5", "-u", "TCP:127.0.0.1:8080", "-"]);
    assert_eq!(answer.trim(), "answer-from-web", "through the published port");
    c.wait_active("netns-web-publish-ui.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = c.main_pid("netns-web-publish-ui.service").expect("the forwarder's pid");
    // Device and inode of the network namespace, as stat(1) gives them.
    let netns_id = |path: &str| c.run_ok(&["stat", "-L", "-c", "%d:%i", path]);
    assert_eq!(
        netns_id(&format!("/proc/{pid}/ns/net")),
        netns_id("/run/netns/web"),
        "the forwarder's network namespace is not the registered one"
    );
    // Again: the one forwarder (the socket's `Accept=no` service) serves every connection.
    let again = c.run_ok(&["socat", "-T", "5", "-u", "TCP:127.0.0.1:8080", "-"]);
    assert_eq!(again.trim(), "answer-from-web", "a second connection");
    assert_eq!(
        c.main_pid("netns-web-publish-ui.service"),
        Some(pid),
        "a second forwarder"
    );
    let not_inside = c.exec(&["socat", "-T", "2", "-u", "TCP:127.0.0.1:3000,connect-timeout=2", "-"]);
    assert!(!not_inside.ok(), "the namespace's own port answers on the host side");
    note("connect_boot: 127.0.0.1:8080 reaches web's 127.0.0.1:3000 through a socket-activated forwarder in web");

    half_close_through_the_forwarder(&c);
    udp_socket_refused_by_the_forwarder(&c);

    // dns: what the joined service read as /etc/resolv.conf.
    c.wait_active("rt-reader.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.run_ok(&["cat", "/run/resolv-seen"]),
        "nameserver 10.64.0.1\nsearch home.arpa\n"
    );
    note("connect_boot: the joined service reads the dns lines as /etc/resolv.conf");

    // hostLink: the host side reaches the server on the namespace's end; no default route.
    for target in [format!("TCP:{ns_addr}:3000"), "TCP6:[fd00:231::2]:3000".to_string()] {
        let via_link = c.run_ok(&["socat", "-T", "5", "-u", &target, "-"]);
        assert_eq!(via_link.trim(), "answer-from-web", "across the host link to {target}");
    }
    assert_eq!(
        c.run_ok(&["ip", "-n", "web", "-6", "route", "show", "default"]).trim(),
        ""
    );
    // And the other way: the namespace reaches a server on the host's end (and only there).
    let host_server = format!(
        "socat TCP-LISTEN:3002,bind={host_addr},reuseaddr,fork SYSTEM:'echo answer-from-host' >/dev/null 2>&1 &"
    );
    assert!(c.sh(&host_server, &[]).ok(), "a server on the host's end");
    wait_for("the server on the host's end", || listening(&c, None, "-ltn", 3002));
    let from_web = c.run_ok(&[
        "ip",
        "netns",
        "exec",
        "web",
        "socat",
        "-T",
        "5",
        "-u",
        &format!("TCP:{host_addr}:3002"),
        "-",
    ]);
    assert_eq!(
        from_web.trim(),
        "answer-from-host",
        "from the namespace across the host link"
    );
    assert_eq!(c.run_ok(&["ip", "-n", "web", "route", "show", "default"]).trim(), "");
    assert_eq!(c.run_ok(&["cat", "/proc/sys/net/ipv4/ip_forward"]).trim(), "0");
    note(&format!(
        "connect_boot: the host link joins {host_addr} and {ns_addr} both ways, and fd00:231::2; no default route, no forwarding"
    ));

    wireguard_under_systemd(&c, &keys);

    // Stopping the namespace stops what is bound to it, and the pair goes.
    c.run_ok(&["systemctl", "stop", "netns-web.service"]);
    for unit in [
        "netns-web-hostlink.service",
        "netns-web-publish-ui.service",
        "netns-web-publish-echo.service",
        "rt-server.service",
        "rt-echo.service",
    ] {
        c.wait_active(unit, &["inactive", "failed"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        !c.exec(&["ip", "link", "show", "nsh-web"]).ok(),
        "nsh-web outlived its unit"
    );
    note(
        "connect_boot: stopping netns-web.service stopped the link, the forwarders and the joiners, and removed nsh-web",
    );
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
/// with nft counters on that link, in the peer (what arrives) and on the host side (what the
/// host sends): `tunnel` counts the tunnel's UDP (to port 51820), `other` everything else.
fn wireguard_under_systemd(c: &Container, keys: &Keys) {
    let unit = "netns-vpn-wireguard.service";
    c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "set -e
ip netns add peer
ip link add vh type veth peer name vp netns peer
# No IPv6 on the link: its router solicitations and the like would count as `other`.
sysctl -qw net.ipv6.conf.vh.disable_ipv6=1
ip netns exec peer sysctl -qw net.ipv6.conf.vp.disable_ipv6=1
printf '%s' \"$1\" | ip netns exec peer nft -f -
printf '%s' \"$2\" | nft -f -
ip address add 10.232.0.1/30 dev vh
ip link set vh up
ip -n peer address add 10.232.0.2/30 dev vp
ip -n peer link set vp up
ip -n peer link set lo up
ip netns exec peer wireguard-go wg-peer
ip netns exec peer wg set wg-peer private-key /etc/systemd/system/keys/peer.key listen-port 51820 peer {} allowed-ips 10.99.0.2/32
ip -n peer address add 10.99.0.1/24 dev wg-peer
ip -n peer link set wg-peer up
ip netns exec peer socat TCP-LISTEN:4000,bind=10.99.0.1,reuseaddr,fork SYSTEM:'echo answer-from-peer' >/dev/null 2>&1 &
",
        keys.vpn.public
    );
    let r = c.sh(
        &script,
        &[
            &counting_table("input", "iifname"),
            &counting_table("output", "oifname"),
        ],
    );
    assert!(r.ok(), "building the peer: {}{}", r.stdout, r.stderr);
    // (tunnel, other) packets, in the peer and on the host side.
    let counted = || {
        let read = |ns: &[&str], name: &str| {
            let argv: Vec<&str> = ns
                .iter()
                .copied()
                .chain(["nft", "list", "counter", "inet", "count", name])
                .collect();
            common::nft_packets(&c.run_ok(&argv))
        };
        let peer = ["ip", "netns", "exec", "peer"];
        [
            (read(&peer, "tunnel"), read(&peer, "other")),
            (read(&[], "tunnel"), read(&[], "other")),
        ]
    };
    wait_for("the peer's server", || {
        c.exec(&["ip", "netns", "exec", "peer", "ss", "-H", "-ltn", "sport = :4000"])
            .stdout
            .contains("10.99.0.1:4000")
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
    // Through the tunnel and nothing else: on the link, only the tunnel's UDP, both ways of
    // counting.
    let [(peer_tunnel, peer_other), (host_tunnel, host_other)] = counted();
    assert!(
        peer_tunnel > 0 && host_tunnel > 0,
        "no encrypted packet on the link (peer {peer_tunnel}, host {host_tunnel})"
    );
    assert_eq!(
        (peer_other, host_other),
        (0, 0),
        "packets on the link that are not the tunnel's (peer, host)"
    );
    note(&format!(
        "connect_boot: vpn reaches the peer through wg-vpn under systemd ({peer_tunnel} tunnel packets at the peer, {host_tunnel} sent by the host, nothing else)"
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
    assert_eq!(counted(), before, "packets on the link with the tunnel gone");
    // The counters of `other` do count: a datagram from the host side to the peer's link.
    c.run_ok(&["sh", "-c", "echo control | socat -u - UDP:10.232.0.2:9"]);
    wait_for(
        "a datagram beside the tunnel counted as other, in the peer and on the host side",
        || {
            let [(_, peer_other), (_, host_other)] = counted();
            peer_other > before[0].1 && host_other > before[1].1
        },
    );
    note("connect_boot: stopping the WireGuard unit removed wg-vpn and ended wireguard-go; nothing left after");
}

/// An nft table `count` whose chain on `hook` counts the packets of interface vh/vp (`vp` for
/// input, in the peer; `vh` for output, on the host side): the tunnel's UDP in `tunnel`,
/// everything else in `other`.
fn counting_table(hook: &str, direction: &str) -> String {
    let link = if hook == "input" { "vp" } else { "vh" };
    format!(
        "table inet count {{
  counter tunnel {{ }}
  counter other {{ }}
  chain c {{
    type filter hook {hook} priority 0; policy accept;
    {direction} \"{link}\" udp dport 51820 counter name \"tunnel\" accept
    {direction} \"{link}\" counter name \"other\"
  }}
}}
"
    )
}

/// systemd 252's socket-proxyd ends a connection when the client half-closes its side (EOF on
/// one direction closes both), so the server's reply is dropped: `echo … | socat -
/// TCP:host:port` gets nothing through a published port. A client that keeps its side open
/// until the reply came (an HTTP client, `socat …,shut-none`) gets it. The same half-closing
/// client straight to the server, inside the namespace, gets the reply: the forwarder drops it.
fn half_close_through_the_forwarder(c: &Container) {
    // `-t`: how long socat waits for the reply after its input ended; a closed connection ends
    // it at once, so this bounds a reply that does not come, and costs nothing otherwise.
    let client = |line: &str, target: &str| format!("echo {line} | socat -t {} - {target}", WAIT.as_secs());
    let half_closed = c.sh(&client("wait-eof", "TCP:127.0.0.1:8081"), &[]);
    assert_eq!(
        half_closed.stdout, "",
        "a half-closing client got a reply through the forwarder ({}): README says it gets none",
        half_closed.stderr
    );
    let direct = c.run_ok(&[
        "ip",
        "netns",
        "exec",
        "web",
        "sh",
        "-c",
        &client("wait-eof", "TCP:127.0.0.1:3001"),
    ]);
    assert_eq!(
        direct.trim(),
        "reply-to-wait-eof",
        "the half-closing client, straight to the server"
    );
    let kept_open = c.sh(&client("hi", "TCP:127.0.0.1:8081,shut-none"), &[]);
    assert_eq!(
        kept_open.stdout.trim(),
        "reply-to-hi",
        "a client that keeps its side open, through the forwarder: {}",
        kept_open.stderr
    );
    note("connect_boot: through the forwarder a half-closing client gets no reply, one that keeps its side open does");
}

/// A real socket unit with `ListenDatagram=` in front of socket-proxyd: the forwarder refuses
/// the socket ("not a stream socket") and fails, which is why `protocol = "udp"` is an error.
fn udp_socket_refused_by_the_forwarder(c: &Container) {
    c.run_ok(&["systemctl", "start", "rt-udp.socket"]);
    wait_for("rt-udp.socket's datagram socket", || listening(c, None, "-lun", 5300));
    c.run_ok(&["sh", "-c", "echo probe | socat -u - UDP:127.0.0.1:5300"]);
    c.wait_active("rt-udp.service", &["failed"])
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for("socket-proxyd's refusal in the journal", || {
        c.run_ok(&["journalctl", "-q", "-o", "cat", "-u", "rt-udp.service"])
            .contains("not a stream socket")
    });
    note("connect_boot: socket-proxyd behind a ListenDatagram= socket unit fails: not a stream socket");
}
