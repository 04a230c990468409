//! SPEC §13's proof of confinement, under a real systemd: this machine's systemd 252 as PID 1
//! of a throwaway container (`common::nspawn`, `--bind=/dev/net/tun` for the tunnels) runs the
//! units compiled from four namespaces, and what leaves each is watched from outside it.
//!
//! - The stage (`tests/leak/`): a peer namespace stands in for the VPN server (wireguard-go
//!   started in it with `nsenter`), linked to the container's host namespace by a veth
//!   underlay; behind it a "world" (addresses on its `lo`, IPv4 and IPv6, echo and DNS
//!   listeners); the host's own network (addresses on the host's `lo` and the host links'
//!   host ends, echo and DNS listeners, a DNS server no namespace is configured with) and the
//!   host's resolver sockets. Every listener logs who arrived and answers with who it is.
//! - The namespaces: `lp-tun` (WireGuard, `dns.strict` with its server in the world,
//!   `ipv6 = "disable"`: tunnel-only), `lp-open` (WireGuard, but its DNS server at its host
//!   link's host end: open), `lp-host` (a host link, no tunnel: host-only), `lp-closed`
//!   (nothing: closed). Each has a joined probe (`tests/leak/probe.rs`) that tries every way
//!   out and records what answered.
//! - `lp-tun` is probed with its tunnel up, stopped (`systemctl stop` of its WireGuard unit,
//!   which stops the joined services that `Requires=` it; the probe then runs alone, started
//!   with `--job-mode=ignore-requirements`, as a service that outlived its tunnel), started again, with IPv6 switched back on by hand, with its guard's table deleted by hand
//!   (the leaks it stopped then show: the probe sees them), and after `systemctl restart` of
//!   the namespace's unit. Each time, an nftables table at the ingress of the peer's underlay
//!   interface proves that nothing but the tunnel's UDP left the host namespace for the peer
//!   (its `other` counter stays, its tunnel counter grows when up and not when down), the
//!   host's listeners and counters prove that nothing reached the host's network, the world's
//!   listeners that nothing reached the world while the tunnel was down (and, when up, only
//!   from the tunnel's inner address), and the guard's own counters (`dns_leak_dropped`,
//!   `ipv6_dropped`) that it dropped the DNS to a server not configured and the IPv6.
//! - Each namespace's probe gives the verdict its answers imply (as docs/audit.md defines the
//!   verdicts); it must be the expected one, and the one `netns-compile audit --format json`
//!   gives each joined service of the namespace (the probe and a long-running `lp-app-<ns>`),
//!   from the configuration and `--live` in the container (exit 0 when all is as configured;
//!   exit 1, with the difference, while the tunnel is stopped or the guard's table deleted).
//!
//! Needs root, systemd-nspawn, socat, wg, wireguard-go and nft; otherwise `*** SKIPPED: … ***`
//! (`common::skip`), a failure when `CI` is set.

mod common;
mod harden;
mod leak;

use common::nspawn::{self, Boot, Container};
use common::skip;
use common::wireguard::{KeyPair, key_pair};
use harden::{build_config_at, missing_program, note, run_cmd, tempdir, wait_for};
use leak::audit;
use leak::outside::{Outside, growth};
use leak::probe::{self, Findings, RESOLVER_SOCKETS};
use leak::world::{self, Side};
use leak::{HOST_LINKS, TOOLS, TUNNELS, Tunnel, UNDERLAY_PEER_ADDRS, WORLD, WORLD_DNS, bare};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

const PREFIX: &str = "/opt/netns-leak";
const KEYS: &str = "/etc/systemd/system/keys";
const NAMESPACES: [&str; 4] = ["lp-tun", "lp-open", "lp-host", "lp-closed"];
/// The namespaces with `dns.strict` (and `ipv6 = "disable"`).
const STRICT_DNS: [&str; 1] = ["lp-tun"];

/// A joined service of `ns` that stays up, so that `audit --live` has a process to look at.
fn app(ns: &str) -> String {
    format!("lp-app-{ns}.service")
}

/// A tunnel's key pairs: the namespace's and the peer's.
struct TunnelKeys {
    client: KeyPair,
    peer: KeyPair,
}

fn config(keys: &BTreeMap<&str, TunnelKeys>) -> Value {
    let mut namespaces = serde_json::Map::new();
    for ns in NAMESPACES {
        namespaces.insert(ns.into(), json!({}));
    }
    for t in &TUNNELS {
        let mut allowed = vec!["0.0.0.0/0"];
        if t.carries_ipv6() {
            allowed.push("::/0");
        }
        namespaces[t.namespace]["wireguard"] = json!({
            "enable": true,
            "implementation": "userspace",
            "interface": format!("wg-{}", t.namespace),
            "privateKeyFile": format!("{KEYS}/{}.key", t.namespace),
            "addresses": t.client,
            "peers": [{
                "publicKey": keys[t.namespace].peer.public,
                "endpoint": format!("{}:{}", bare(UNDERLAY_PEER_ADDRS[0]), t.port),
                "allowedIPs": allowed,
            }],
        });
    }
    for (ns, host_end, ns_end) in HOST_LINKS {
        namespaces[ns]["hostLink"] = json!({"enable": true, "hostAddress": host_end, "namespaceAddress": ns_end});
    }
    // The tunnel-only namespace asks a server in the world; the open one asks the host, at
    // its host link's host end: a DNS leak beside the tunnel.
    for ns in STRICT_DNS {
        namespaces[ns]["dns"] = json!({"servers": [WORLD_DNS], "strict": true});
        namespaces[ns]["ipv6"] = json!("disable");
    }
    namespaces["lp-open"]["dns"] = json!({"servers": [bare(HOST_LINKS[1].1)]});
    let probes: serde_json::Map<String, Value> = NAMESPACES
        .iter()
        .flat_map(|ns| [(probe::unit_name(ns), ns), (app(ns), ns)])
        .map(|(unit, ns)| (unit.trim_end_matches(".service").to_string(), json!({"netns": ns})))
        .collect();
    json!({"services": {"netns": {"namespaces": namespaces}}, "systemd": {"services": probes}})
}

/// What a run of a probe must show: the attempts that get an answer, the verdict they imply,
/// whether the namespace's tunnel carries, and which drops of the guard must count.
struct Expect {
    reached: BTreeSet<String>,
    verdict: &'static str,
    tunnel_up: bool,
    /// The namespace's tunnel unit is stopped: the probe starts without it.
    tunnel_stopped: bool,
    dns_dropped: bool,
    ipv6_dropped: bool,
}

/// Attempt names over TCP and UDP.
fn both(names: &[&str]) -> BTreeSet<String> {
    names
        .iter()
        .flat_map(|n| [format!("{n}-tcp"), format!("{n}-udp")])
        .collect()
}

/// What each namespace's probe must show with its units up.
fn expected(ns: &str) -> Expect {
    let (reached, verdict) = match ns {
        "lp-tun" => (both(&["world4", "dns-configured-1"]), "tunnel-only"),
        "lp-open" => (
            both(&["world4", "dns-unlisted-world", "link-lp-open", "dns-configured-1"]),
            "open",
        ),
        "lp-host" => (both(&["link-lp-host"]), "host-only"),
        _ => (BTreeSet::new(), "closed"),
    };
    Expect {
        reached,
        verdict,
        tunnel_up: TUNNELS.iter().any(|t| t.namespace == ns),
        tunnel_stopped: false,
        dns_dropped: STRICT_DNS.contains(&ns),
        ipv6_dropped: false,
    }
}

/// With the tunnel's unit stopped: nothing answers, and nothing gets as far as the guard.
fn nothing_out() -> Expect {
    Expect {
        reached: BTreeSet::new(),
        verdict: "closed",
        tunnel_up: false,
        tunnel_stopped: true,
        dns_dropped: false,
        ipv6_dropped: false,
    }
}

/// Run the probe of `ns` and check what it reached and what the outside saw against `want`.
fn probe_and_watch(c: &Container, ns: &str, when: &str, want: &Expect) -> Findings {
    let before = Outside::look(c);
    let guard_before = world::guard_counters(c, ns);
    let found = probe::run(c, ns, want.tunnel_stopped);
    let change = Outside::look(c).since(&before);
    let guard = growth(&world::guard_counters(c, ns), &guard_before);
    let verdict = want.verdict;
    let reached: BTreeSet<String> = found.reached().into_iter().map(String::from).collect();
    assert_eq!(reached, want.reached, "{ns} {when}: what the probe reached\n{found:#?}");
    assert_eq!(found.verdict(), verdict, "{ns} {when}: {found:#?}");
    assert_eq!(
        change.underlay["other"], 0,
        "{ns} {when}: packets other than a tunnel's reached the peer: {change:#?}"
    );
    assert_eq!(change.host["tunnel-sources"], 0, "{ns} {when}: {change:#?}");
    let tunnel: Option<&Tunnel> = TUNNELS.iter().find(|t| t.namespace == ns);
    let inner: BTreeSet<String> = tunnel
        .map(|t| t.inner().iter().map(|a| bare(a).to_string()).collect())
        .unwrap_or_default();
    // The world is reached only from the tunnel's inner addresses, and only when it is up.
    assert!(change.world.is_subset(&inner), "{ns} {when}: {change:#?}");
    assert_eq!(
        change.world.is_empty(),
        !want
            .reached
            .iter()
            .any(|a| a.starts_with("world") || a.starts_with("dns-unlisted-world")),
        "{ns} {when}: {change:#?}"
    );
    if let Some(t) = tunnel {
        let sent = change.underlay[&format!("tunnel-{}", t.namespace)];
        assert_eq!(
            sent > 0,
            want.tunnel_up,
            "{ns} {when}: {sent} tunnel packets at the peer"
        );
    }
    // dns.strict: the probe's DNS to a server in the world that is not configured would go
    // through the tunnel; the guard drops it (and counts it) inside the namespace. The same
    // for IPv6 once it is switched back on by hand.
    let dropped = |counter: &str| guard.get(counter).copied().unwrap_or(0) > 0;
    assert_eq!(dropped("dns_leak_dropped"), want.dns_dropped, "{ns} {when}: {guard:?}");
    assert_eq!(dropped("ipv6_dropped"), want.ipv6_dropped, "{ns} {when}: {guard:?}");
    // The host is reached only over the namespace's own host link.
    let link = HOST_LINKS.iter().find(|l| l.0 == ns);
    let link_end: BTreeSet<String> = link.map(|l| bare(l.2).to_string()).into_iter().collect();
    assert!(change.host_arrivals.is_subset(&link_end), "{ns} {when}: {change:#?}");
    for (other, _, _) in HOST_LINKS {
        let n = change.host[&format!("link-{other}")];
        assert_eq!(
            n > 0,
            other == ns && !change.host_arrivals.is_empty(),
            "{ns} {when}: link-{other}: {n}"
        );
    }
    note(&format!(
        "leak_boot: {ns} {when}: verdict {verdict}; reached {:?}; the guard's counters {guard:?}; at the peer's underlay {:?}; host counters {:?}; world arrivals from {:?}; host arrivals from {:?}",
        found.reached(),
        change.underlay,
        change.host,
        change.world,
        change.host_arrivals
    ));
    found
}

fn wireguard_go_running(c: &Container, interface: &str) -> bool {
    c.run_ok(&["ps", "-eo", "args"])
        .lines()
        .any(|l| l.trim().ends_with(&format!("wireguard-go {interface}")))
}

/// The tunnel-only namespace through its tunnel's life: up, stopped, started; IPv6 switched
/// back on by hand (the guard still drops it); the guard's table deleted by hand (the probe
/// then sees the leaks it stopped: the probe can see them); and after the namespace's own
/// restart, which brings the guard back.
fn tunnel_life(c: &Container) -> &'static str {
    let ns = "lp-tun";
    let wg_unit = format!("netns-{ns}-wireguard.service");
    let verdict = probe_and_watch(c, ns, "with the tunnel up", &expected(ns)).verdict();

    c.run_ok(&["systemctl", "stop", &wg_unit]);
    wait_for("lp-tun's wireguard-go to end", || !wireguard_go_running(c, "wg-lp-tun"));
    // A joined service Requires= the tunnel: stopping it stopped the long-running one.
    c.wait_active(&app(ns), &["inactive", "failed"])
        .unwrap_or_else(|e| panic!("{e}"));
    probe_and_watch(c, ns, "with the tunnel stopped", &nothing_out());
    assert_eq!(
        c.property(&wg_unit, "ActiveState"),
        "inactive",
        "the probe started the tunnel"
    );
    live_differs(c, "with the tunnel stopped", "netns::live-interface-differs");

    c.run_ok(&["systemctl", "start", &wg_unit]);
    probe_and_watch(c, ns, "with the tunnel started again", &expected(ns));

    let disabled = c.run_ok(&[
        "nsenter",
        &format!("--net=/run/netns/{ns}"),
        "sysctl",
        "-n",
        "net.ipv6.conf.all.disable_ipv6",
    ]);
    assert_eq!(disabled.trim(), "1", "ipv6 = \"disable\" left IPv6 on in {ns}");
    let (client6, _) = TUNNELS[0].by_hand6.unwrap();
    let r = c.sh(
        "set -e
nsenter --net=/run/netns/$1 sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
ip -n $1 address add $2 dev wg-$1 nodad
ip -n $1 -6 route add default dev wg-$1",
        &[ns, client6],
    );
    assert!(r.ok(), "switching IPv6 back on in {ns}: {}{}", r.stdout, r.stderr);
    probe_and_watch(
        c,
        ns,
        "with IPv6 switched back on by hand",
        &Expect {
            ipv6_dropped: true,
            ..expected(ns)
        },
    );
    live_differs(c, "with IPv6 switched back on", "netns::live-confinement-differs");

    c.run_ok(&[
        "nsenter",
        &format!("--net=/run/netns/{ns}"),
        "nft",
        "delete",
        "table",
        "inet",
        "netns-compile",
    ]);
    let unguarded = Expect {
        reached: both(&["world4", "world6", "dns-unlisted-world", "dns-configured-1"]),
        dns_dropped: false,
        ..expected(ns)
    };
    probe_and_watch(c, ns, "with the guard's table deleted by hand", &unguarded);
    live_differs(c, "with the guard's table deleted", "netns::live-confinement-differs");

    let registered = |c: &Container| c.run_ok(&["stat", "-L", "-c", "%i", &format!("/run/netns/{ns}")]);
    let before = registered(c);
    c.run_ok(&["systemctl", "restart", &format!("netns-{ns}.service")]);
    c.wait_active(&wg_unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(registered(c), before, "the restart kept the old namespace");
    probe_and_watch(c, ns, "after the namespace's restart", &expected(ns));
    // Its long-running joined service stopped with the tunnel (Requires=) and the namespace
    // (BindsTo=): back for the audit.
    start_apps(c, &[ns]);
    verdict
}

/// Start the long-running joined services of `namespaces` and wait until they run.
fn start_apps(c: &Container, namespaces: &[&str]) {
    for ns in namespaces {
        c.run_ok(&["systemctl", "start", &app(ns)]);
        c.wait_active(&app(ns), &["active"]).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// `audit --live` must see the difference that the test made by hand, and exit 1.
fn live_differs(c: &Container, when: &str, code: &str) {
    let live = audit::live_audit(c);
    assert_eq!(live.code, 1, "audit --live {when}: {}", live.stderr);
    assert!(
        live.stderr.contains(code),
        "audit --live {when}: no {code}:\n{}",
        live.stderr
    );
    note(&format!("leak_boot: audit --live {when}: exit 1, {code}"));
}

/// Proof that the watchers watch: the host itself reaches the world over the underlay (the
/// peer's `other` counter counts it), its own listeners and its resolver sockets.
fn controls(c: &Container) {
    let before = Outside::look(c);
    let t = probe::ANSWER_WITHIN.to_string();
    for (family, addr) in [("4", WORLD[0].to_string()), ("6", format!("[{}]", WORLD[1]))] {
        let target = format!("UDP{family}:{addr}:{}", leak::ECHO_PORT);
        let r = c.sh("echo control | socat -t \"$2\" -T \"$2\" - \"$1\"", &[&target, &t]);
        assert_eq!(
            r.stdout.trim(),
            "world",
            "the host to the world at {target}: {}",
            r.stderr
        );
    }
    let host = format!("TCP4:{}:{},connect-timeout={t}", leak::HOST[0], leak::ECHO_PORT);
    assert_eq!(c.run_ok(&["socat", "-T", &t, "-u", &host, "-"]).trim(), "host");
    let change = Outside::look(c).since(&before);
    assert!(
        change.underlay["other"] >= 2,
        "the underlay counter missed the host's packets: {change:#?}"
    );
    assert!(
        !change.world.is_empty() && !change.host_arrivals.is_empty(),
        "{change:#?}"
    );
    note(&format!(
        "leak_boot: controls: the host reaches the world around any tunnel ({change:?})"
    ));
}

#[test]
fn no_leak_under_systemd_252() {
    let test = "leak_boot::no_leak_under_systemd_252";
    let why = nspawn::unavailable().or_else(|| {
        missing_program(&["socat", "wg", "wireguard-go", "nft"]).map(|p| format!("`{p}` is not installed"))
    });
    if let Some(why) = why {
        skip(test, &why);
        return;
    }
    let keys: BTreeMap<&str, TunnelKeys> = TUNNELS
        .iter()
        .map(|t| {
            (
                t.namespace,
                TunnelKeys {
                    client: key_pair(),
                    peer: key_pair(),
                },
            )
        })
        .collect();
    let work = tempdir("leak-boot");
    let out = build_config_at(&config(&keys), work.path(), PREFIX);
    let bin = common::bin();

    let etc = work.path().join("etc");
    fs::create_dir(&etc).unwrap();
    nspawn::link_units(&out, &etc, PREFIX, &[]);
    // No network to wait for in the container (as in connect_boot.rs).
    symlink("/dev/null", etc.join("systemd-networkd-wait-online.service")).unwrap();
    fs::create_dir(etc.join("keys")).unwrap();
    for (ns, k) in &keys {
        fs::write(etc.join(format!("keys/{ns}.key")), &k.client.private).unwrap();
        fs::write(etc.join(format!("keys/peer-{ns}.key")), &k.peer.private).unwrap();
    }
    for ns in NAMESPACES {
        fs::write(etc.join(probe::unit_name(ns)), probe::unit(ns)).unwrap();
        fs::write(etc.join(app(ns)), "[Service]\nExecStart=/bin/sleep infinity\n").unwrap();
    }
    let tools = work.path().join("tools");
    fs::create_dir(&tools).unwrap();
    fs::copy(work.path().join("input.json"), tools.join(audit::INPUT)).unwrap();
    for (name, text) in world::tool_files().into_iter().chain([("probe.sh", probe::script())]) {
        fs::write(tools.join(name), text).unwrap();
        fs::set_permissions(tools.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }

    let static_audit = audit::static_audit(&work.path().join("input.json"));
    assert_eq!(static_audit.code, 0, "the static audit: {}", static_audit.stderr);
    let text = run_cmd(
        &bin.to_string_lossy(),
        &[
            "audit",
            &work.path().join("input.json").to_string_lossy(),
            "--host-tools",
        ],
    );
    note(&format!("leak_boot: the static audit:\n{}{}", text.stdout, text.stderr));

    let c = Container::boot(&Boot {
        bind_ro: vec![
            (out.clone(), PREFIX.into()),
            (tools, TOOLS.into()),
            (bin.parent().unwrap().to_path_buf(), audit::BIN.into()),
        ],
        bind: vec![
            (etc.clone(), "/etc/systemd/system".into()),
            ("/dev/net/tun".into(), "/dev/net/tun".into()),
        ],
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let client_keys = keys.iter().map(|(ns, k)| (*ns, k.client.public.clone())).collect();
    world::build(&c, KEYS, &client_keys);
    world::start_listeners(&c, Side::World);
    let units: Vec<String> = NAMESPACES.iter().map(|ns| format!("netns-{ns}.service")).collect();
    let mut start = vec!["systemctl", "start"];
    start.extend(units.iter().map(String::as_str));
    c.run_ok(&start);
    for t in &TUNNELS {
        c.wait_active(&format!("netns-{}-wireguard.service", t.namespace), &["active"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (ns, _, _) in HOST_LINKS {
        c.wait_active(&format!("netns-{ns}-hostlink.service"), &["active"])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // The host's listeners bind the host links' ends, which exist now.
    world::start_listeners(&c, Side::Host);
    world::start_resolver_standins(&c, &RESOLVER_SOCKETS);
    start_apps(&c, &NAMESPACES);
    controls(&c);
    let live = audit::live_audit(&c);
    assert_eq!(live.code, 0, "audit --live with everything up: {}", live.stderr);

    let mut seen = BTreeMap::new();
    seen.insert("lp-tun", tunnel_life(&c));
    for ns in ["lp-open", "lp-host", "lp-closed"] {
        seen.insert(
            ns,
            probe_and_watch(&c, ns, "with its units up", &expected(ns)).verdict(),
        );
    }

    // The audit's verdicts, from the configuration and from the running system, are what the
    // probes saw.
    let live = audit::live_audit(&c);
    assert_eq!(live.code, 0, "audit --live at the end: {}", live.stderr);
    for (ns, verdict) in &seen {
        for unit in [probe::unit_name(ns), app(ns)] {
            assert_eq!(static_audit.verdict(ns, &unit), *verdict, "the static audit of {unit}");
            assert_eq!(live.verdict(ns, &unit), *verdict, "audit --live of {unit}");
        }
    }
    note(&format!(
        "leak_boot: the probes saw {seen:?}; the static audit says {:?}; audit --live says {:?}",
        static_audit.verdicts, live.verdicts
    ));
    let last = Outside::look(&c);
    note(&format!(
        "leak_boot: the peer's underlay counters at the end: {:?}; the host's: {:?}",
        last.underlay, last.host
    ));
    drop(c);
}
