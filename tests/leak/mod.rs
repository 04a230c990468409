//! The stage of `tests/leak_boot.rs`: inside a booted container, a peer namespace that stands
//! in for the VPN server with a small "world" behind it (`world.rs`), the host's own network
//! with listeners, and the probe that a joined service runs (`probe.rs`).
//!
//! Every name here starts with `lp-` (namespaces, interfaces, units, files under /run), so
//! nothing collides with what another test creates.
#![allow(dead_code)]

pub mod audit;
pub mod outside;
pub mod probe;
pub mod world;

/// Where the probe's script and the listeners' reply script are seen in the container.
pub const TOOLS: &str = "/opt/netns-leak-tools";
/// Where the probe writes its findings (one file a namespace) and listeners log arrivals.
pub const RESULTS: &str = "/run/lp-probe";
pub const ARRIVALS: &str = "/run/lp-arrivals";

/// The peer namespace (the VPN server) and the underlay between it and the container's host
/// namespace: `lp-uh` on the host's side, `lp-up` on the peer's.
pub const PEER: &str = "lp-peer";
pub const UNDERLAY_HOST: &str = "lp-uh";
pub const UNDERLAY_PEER: &str = "lp-up";
pub const UNDERLAY_HOST_ADDRS: [&str; 2] = ["10.233.0.1/30", "fd33::1/64"];
pub const UNDERLAY_PEER_ADDRS: [&str; 2] = ["10.233.0.2/30", "fd33::2/64"];

/// "Hosts on the internet": addresses on the peer's `lo`, reached only through a tunnel (the
/// peer does not forward). `WORLD_DNS` is the one server a namespace is configured with.
pub const WORLD: [&str; 2] = ["198.51.100.1", "2001:db8:100::1"];
pub const WORLD_DNS: &str = "198.51.100.53";
/// The host's own network: addresses on the container's host `lo`.
pub const HOST: [&str; 2] = ["203.0.113.1", "2001:db8:200::1"];

/// The port of every echo listener; DNS listeners are on 53.
pub const ECHO_PORT: u16 = 4000;

/// A tunnel of the test: the namespace that owns it, the peer's interface and UDP port, the
/// client's addresses (what the peer routes back into the tunnel) and the peer's own.
pub struct Tunnel {
    pub namespace: &'static str,
    pub peer_interface: &'static str,
    pub port: u16,
    pub client: &'static [&'static str],
    pub peer_addrs: &'static [&'static str],
    /// For a namespace with `ipv6 = "disable"`: the IPv6 (client, peer) addresses the test adds
    /// by hand after switching IPv6 back on, to show that the guard still drops it. The peer
    /// and the tunnel's allowed IPs are ready for them from the start.
    pub by_hand6: Option<(&'static str, &'static str)>,
}

pub const TUNNELS: [Tunnel; 2] = [
    Tunnel {
        namespace: "lp-tun",
        peer_interface: "wg-lpp-t",
        port: 51820,
        client: &["10.99.0.2/32"],
        peer_addrs: &["10.99.0.1/24"],
        by_hand6: Some(("fd99::2/128", "fd99::1/64")),
    },
    Tunnel {
        namespace: "lp-open",
        peer_interface: "wg-lpp-o",
        port: 51821,
        client: &["10.98.0.2/32"],
        peer_addrs: &["10.98.0.1/24"],
        by_hand6: None,
    },
];

/// The host links of the test: namespace, the host's end, the namespace's end.
pub const HOST_LINKS: [(&str, &str, &str); 2] = [
    ("lp-host", "10.231.7.1/30", "10.231.7.2/30"),
    ("lp-open", "10.231.8.1/30", "10.231.8.2/30"),
];

impl Tunnel {
    /// The addresses the peer accepts from the tunnel and routes back into it.
    pub fn inner(&self) -> Vec<&'static str> {
        self.client
            .iter()
            .copied()
            .chain(self.by_hand6.map(|(c, _)| c))
            .collect()
    }

    pub fn carries_ipv6(&self) -> bool {
        self.inner().iter().any(|a| a.contains(':'))
    }
}

/// An address without its prefix length.
pub fn bare(addr: &str) -> &str {
    addr.split('/').next().unwrap()
}
