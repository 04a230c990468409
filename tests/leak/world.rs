//! The peer, the world behind it and the host's own network, built inside the container; the
//! counters and logs that say, from outside the namespaces, what reached them.

use super::{
    ARRIVALS, ECHO_PORT, HOST, HOST_LINKS, PEER, TOOLS, TUNNELS, UNDERLAY_HOST, UNDERLAY_HOST_ADDRS, UNDERLAY_PEER,
    UNDERLAY_PEER_ADDRS, WORLD, WORLD_DNS, bare,
};
use crate::common::nspawn::Container;
use crate::harden::wait_for;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where a listener runs: the container's host namespace, or the peer's (the world).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Host,
    World,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Host => "host",
            Side::World => "world",
        }
    }

    /// The command prefix that runs a program on this side.
    fn enter(self) -> Vec<String> {
        match self {
            Side::Host => Vec::new(),
            Side::World => enter(PEER),
        }
    }
}

/// One socat listener: it logs the sender of every arrival to `ARRIVALS/<unit>` and answers
/// with its tag (`world`, `world-dns`, `host`, `host-dns`), so the probe knows who answered.
pub struct Listener {
    pub side: Side,
    pub addr: String,
    pub port: u16,
    pub udp: bool,
    pub unit: String,
}

impl Listener {
    fn tag(&self) -> String {
        let dns = if self.port == 53 { "-dns" } else { "" };
        format!("{}{dns}", self.side.name())
    }

    fn socat_address(&self) -> String {
        let (family, host) = if self.addr.contains(':') {
            ("6", format!("[{}]", self.addr))
        } else {
            ("4", self.addr.clone())
        };
        if self.udp {
            format!("UDP{family}-RECVFROM:{},bind={host},fork", self.port)
        } else {
            format!("TCP{family}-LISTEN:{},bind={host},reuseaddr,fork", self.port)
        }
    }

    /// How `ss -Hlntu` shows its socket: netid and local address.
    fn ss_row(&self) -> (String, String) {
        let host = if self.addr.contains(':') {
            format!("[{}]", self.addr)
        } else {
            self.addr.clone()
        };
        let netid = if self.udp { "udp" } else { "tcp" };
        (netid.into(), format!("{host}:{}", self.port))
    }
}

/// Every listener of a side: echo and DNS, TCP and UDP, on each address of it (the host's own
/// network, and the host's end of each host link, which exists once its unit ran).
pub fn listeners(side: Side) -> Vec<Listener> {
    let mut ports: Vec<(String, u16)> = Vec::new();
    match side {
        Side::World => {
            for addr in WORLD {
                ports.extend([(addr.to_string(), ECHO_PORT), (addr.to_string(), 53)]);
            }
            ports.push((WORLD_DNS.into(), 53));
        }
        Side::Host => {
            let link_ends = HOST_LINKS.iter().map(|(_, host_end, _)| bare(host_end));
            for addr in HOST.into_iter().chain(link_ends) {
                ports.extend([(addr.to_string(), ECHO_PORT), (addr.to_string(), 53)]);
            }
        }
    }
    let mut all = Vec::new();
    for (i, (addr, port)) in ports.into_iter().enumerate() {
        for udp in [false, true] {
            let proto = if udp { "udp" } else { "tcp" };
            all.push(Listener {
                side,
                unit: format!("lp-listen-{}-{i}-{proto}", side.name()),
                addr: addr.clone(),
                port,
                udp,
            });
        }
    }
    all
}

/// Start a side's listeners as transient units and wait until every socket is bound.
pub fn start_listeners(c: &Container, side: Side) -> Vec<Listener> {
    let all = listeners(side);
    for l in &all {
        let proto = if l.udp { "udp" } else { "tcp" };
        let handler = format!("SYSTEM:{TOOLS}/reply {} {ARRIVALS}/{} {proto}", l.tag(), l.unit);
        let mut argv: Vec<String> = ["systemd-run", "--quiet", "--unit", &l.unit, "--"]
            .map(String::from)
            .into();
        argv.extend(side.enter());
        argv.extend(["socat".into(), l.socat_address(), handler]);
        c.run_ok(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    }
    wait_for(&format!("the {} listeners", side.name()), || {
        let mut argv = side.enter();
        argv.extend(["ss", "-Hlntu"].map(String::from));
        let r = c.exec(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        let bound: Vec<(String, String)> = r
            .stdout
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Some((f.first()?.to_string(), f.get(4)?.to_string()))
            })
            .collect();
        all.iter().all(|l| bound.contains(&l.ss_row()))
    });
    all
}

/// What a kernel sends on a link by itself once it is up (IPv6 neighbour and router discovery,
/// multicast listener reports): counted apart, as no namespace's traffic.
const HOUSEKEEPING: &str = "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report }";

/// The nftables table on the peer's side of the underlay: at ingress of `lp-up`, before
/// anything else sees a packet, every IP packet from the host is counted as one tunnel's
/// (UDP from the host's underlay address to that tunnel's port), link housekeeping (IPv6
/// neighbour discovery and multicast listener reports, which the host's kernel sends by itself;
/// ARP never reaches an inet chain), or `other` — which must stay 0 while the namespaces run.
fn underlay_ruleset() -> String {
    let host = bare(UNDERLAY_HOST_ADDRS[0]);
    let mut counters = String::new();
    let mut rules = String::new();
    for t in &TUNNELS {
        counters.push_str(&format!("  counter tunnel-{} {{ }}\n", t.namespace));
        rules.push_str(&format!(
            "    ip saddr {host} udp dport {} counter name \"tunnel-{}\" accept\n",
            t.port, t.namespace
        ));
    }
    format!(
        "table inet lp-underlay {{
{counters}  counter link {{ }}
  counter other {{ }}
  chain ingress {{
    type filter hook ingress device \"{UNDERLAY_PEER}\" priority 0; policy accept;
{rules}    {HOUSEKEEPING} counter name \"link\" accept
    counter name \"other\"
  }}
}}
"
    )
}

/// The nftables table of the container's host namespace: packets that arrive from each host
/// link (but its housekeeping), and packets whose source is a tunnel's inner address (they exist only inside the
/// namespaces and the peer: one seen on the host side came around the tunnel).
fn host_ruleset() -> String {
    let mut counters = String::new();
    let mut rules = String::new();
    for (ns, _, _) in HOST_LINKS {
        counters.push_str(&format!("  counter link-{ns} {{ }}\n"));
        rules.push_str(&format!("    iifname \"nsh-{ns}\" {HOUSEKEEPING} accept\n"));
        rules.push_str(&format!("    iifname \"nsh-{ns}\" counter name \"link-{ns}\"\n"));
    }
    for t in &TUNNELS {
        for a in t.inner() {
            let family = if a.contains(':') { "ip6" } else { "ip" };
            rules.push_str(&format!(
                "    {family} saddr {} counter name \"tunnel-sources\"\n",
                bare(a)
            ));
        }
    }
    format!(
        "table inet lp-hostside {{
{counters}  counter tunnel-sources {{ }}
  chain prerouting {{
    type filter hook prerouting priority -300; policy accept;
{rules}  }}
}}
"
    )
}

/// Files the container reads from `TOOLS`: the rulesets and the listeners' reply script.
pub fn tool_files() -> Vec<(&'static str, String)> {
    vec![
        ("underlay.nft", underlay_ruleset()),
        ("hostside.nft", host_ruleset()),
        (
            "reply",
            "#!/bin/sh\n# A listener's answer: log who arrived, then say who answers. A datagram is\n\
             # read first: socat writes it to this script, and fails when the pipe is closed.\n\
             if [ \"$3\" = udp ]; then read -r _; fi\n\
             echo \"$SOCAT_PEERADDR\" >> \"$2\"\necho \"$1\"\n"
                .into(),
        ),
    ]
}

/// Build the underlay, the world's and the host's addresses and the counters, then the peer's
/// WireGuard interfaces (`wireguard-go` in the peer's network namespace through `nsenter`,
/// foreground, as a transient unit) with the keys under `keys` (`peer-<ns>.key`) and each
/// namespace's public key from `client_keys`.
pub fn build(c: &Container, keys: &str, client_keys: &BTreeMap<&str, String>) {
    let p = format!("nsenter --net=/run/netns/{PEER}");
    let mut script = format!(
        "set -e
mkdir -p {ARRIVALS}
ip netns add {PEER}
ip link add {UNDERLAY_HOST} type veth peer name {UNDERLAY_PEER} netns {PEER}
{p} ip link set lo up
{p} nft -f {TOOLS}/underlay.nft
nft -f {TOOLS}/hostside.nft
"
    );
    for (h, w) in UNDERLAY_HOST_ADDRS.iter().zip(UNDERLAY_PEER_ADDRS) {
        script.push_str(&format!("ip address add {h} dev {UNDERLAY_HOST} nodad\n"));
        script.push_str(&format!("{p} ip address add {w} dev {UNDERLAY_PEER} nodad\n"));
    }
    script.push_str(&format!(
        "ip link set {UNDERLAY_HOST} up\n{p} ip link set {UNDERLAY_PEER} up\n"
    ));
    // The host reaches the world over the underlay, as a real host reaches the internet: a
    // way around a tunnel would have somewhere to go, and the peer's counters would see it.
    for (net, via) in [("198.51.100.0/24", 0), ("2001:db8:100::/48", 1)] {
        script.push_str(&format!("ip route add {net} via {}\n", bare(UNDERLAY_PEER_ADDRS[via])));
    }
    for a in WORLD.iter().chain([&WORLD_DNS]) {
        script.push_str(&format!("{p} ip address add {a} dev lo\n"));
    }
    for a in HOST {
        script.push_str(&format!("ip address add {a} dev lo\n"));
    }
    let r = c.sh(&script, &[]);
    assert!(r.ok(), "building the world: {}{}", r.stdout, r.stderr);

    for t in &TUNNELS {
        let i = t.peer_interface;
        c.run_ok(&[
            "systemd-run",
            "--quiet",
            "--unit",
            &format!("lp-peer-{i}"),
            "--",
            "nsenter",
            &format!("--net=/run/netns/{PEER}"),
            "wireguard-go",
            "--foreground",
            i,
        ]);
        wait_for(&format!("wireguard-go's {i}"), || {
            c.exec(&["nsenter", &format!("--net=/run/netns/{PEER}"), "wg", "show", i])
                .ok()
        });
        let allowed = t.inner();
        let mut setup = format!(
            "set -e
{p} wg set {i} private-key {keys}/peer-{ns}.key listen-port {port} peer {public} allowed-ips {allowed}
",
            ns = t.namespace,
            port = t.port,
            public = client_keys[t.namespace],
            allowed = allowed.join(","),
        );
        for a in t.peer_addrs.iter().chain(t.by_hand6.as_ref().map(|(_, p)| p)) {
            setup.push_str(&format!("{p} ip address add {a} dev {i}\n"));
        }
        setup.push_str(&format!("{p} ip link set {i} up\n"));
        let r = c.sh(&setup, &[]);
        assert!(r.ok(), "the peer's {i}: {}{}", r.stdout, r.stderr);
    }
}

/// The command prefix that runs a program in the network namespace `/run/netns/<ns>` (and
/// nothing else of it: `ip netns exec` would also remount /sys and /etc).
fn enter(ns: &str) -> Vec<String> {
    vec!["nsenter".into(), format!("--net=/run/netns/{ns}")]
}

/// Named counters of an nftables table (`lp-underlay` in the peer, `lp-hostside` on the host).
pub fn counters(c: &Container, side: Side, table: &str) -> BTreeMap<String, u64> {
    read_counters(c, side.enter(), table).unwrap_or_else(|e| panic!("{e}"))
}

/// Named counters of netns-compile's own table in namespace `ns` (empty when it has none).
pub fn guard_counters(c: &Container, ns: &str) -> BTreeMap<String, u64> {
    read_counters(c, enter(ns), "netns-compile").unwrap_or_default()
}

fn read_counters(c: &Container, mut argv: Vec<String>, table: &str) -> Result<BTreeMap<String, u64>, String> {
    argv.extend(["nft", "-j", "list", "counters", "table", "inet", table].map(String::from));
    let r = c.exec(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    if !r.ok() {
        return Err(format!("{argv:?}: {}", r.stderr));
    }
    let text = r.stdout;
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("nft -j: {e}: {text}"));
    Ok(json["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let c = o.get("counter")?;
            Some((c["name"].as_str()?.to_string(), c["packets"].as_u64()?))
        })
        .collect())
}

/// Every arrival a side's listeners logged: (listener unit, sender address without port).
pub fn arrivals(c: &Container, side: Side) -> Vec<(String, String)> {
    let r = c.sh(
        &format!(
            "cd {ARRIVALS} 2>/dev/null && grep -H . lp-listen-{}-* || true",
            side.name()
        ),
        &[],
    );
    r.stdout
        .lines()
        .filter_map(|l| {
            let (unit, peer) = l.split_once(':')?;
            Some((unit.to_string(), sender(peer)))
        })
        .collect()
}

/// socat's `SOCAT_PEERADDR`, IPv6 in brackets and written out in full, in the short form.
fn sender(peer: &str) -> String {
    let addr = peer.trim().trim_start_matches('[').trim_end_matches(']');
    addr.parse::<std::net::IpAddr>()
        .map_or_else(|_| addr.to_string(), |a| a.to_string())
}

/// The host's resolver sockets, as real unix sockets in the host's mount namespace (no
/// resolver runs in the container): each accepts and closes at once, so glibc's clients in
/// the container fall back without waiting. Returns when both can be connected to.
pub fn start_resolver_standins(c: &Container, sockets: &[(&str, &str)]) {
    for (name, path) in sockets {
        let dir = std::path::Path::new(path).parent().unwrap();
        let runtime = dir.strip_prefix("/run").unwrap().to_str().unwrap();
        c.run_ok(&[
            "systemd-run",
            "--quiet",
            "--unit",
            &format!("lp-standin-{name}"),
            "-p",
            &format!("RuntimeDirectory={runtime}"),
            "--",
            "socat",
            &format!("UNIX-LISTEN:{path},fork"),
            "SYSTEM:true",
        ]);
    }
    for (name, path) in sockets {
        wait_for(&format!("the {name} stand-in"), || {
            c.exec(&["socat", "-u", &format!("UNIX-CONNECT:{path}"), "/dev/null"])
                .ok()
        });
    }
}
