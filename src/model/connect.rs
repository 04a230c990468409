//! The connectivity options of SPEC §11, typed: what `publish`, `dns`, `hostLink` and
//! `wireguard` of a namespace say, with the place of every value (the checks point at them).
//!
//! Reading is tolerant: a value that cannot be read is reported here (its own code) and left
//! out, so that the checks go on with the rest. Everything this file decides by itself — the
//! interface names and the host-link addresses nobody gave — is derived from the namespace's
//! name alone, so it is the same in every build and does not move when other namespaces come
//! and go (see [`allocate_host_links`] for the one exception, a collision).

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::module::config::NamespaceOptions;
use crate::module::submodules::{HostLinkOptions, PublishOptions, WireGuardOptions};
use crate::node::{Kind, Node};
use crate::source::Span;
use std::net::{IpAddr, Ipv4Addr};

/// Longest network interface name Linux accepts (`IFNAMSIZ` - 1).
pub const MAX_INTERFACE_BYTES: usize = 15;

/// The host-link pool: `10.231.0.0/16`, cut into /30 subnets (host `.1`, namespace `.2`).
pub const HOST_LINK_POOL: Ipv4Addr = Ipv4Addr::new(10, 231, 0, 0);
pub const HOST_LINK_POOL_PREFIX: u8 = 16;
const HOST_LINK_SLOTS: u64 = 1 << (30 - HOST_LINK_POOL_PREFIX);

/// Prefix of the host side of a host link (`nsh-<name>`, or a short hash where the name does
/// not fit); the namespace side is always [`NAMESPACE_LINK_INTERFACE`].
pub const HOST_LINK_PREFIX: &str = "nsh-";
pub const NAMESPACE_LINK_INTERFACE: &str = "host0";

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub span: Span,
}

impl<T> At<T> {
    pub fn new(value: T, span: Span) -> At<T> {
        At { value, span }
    }
}

/// Everything SPEC §11 and §13 add to one namespace. The parts most namespaces lack are boxed:
/// inline they made every namespace of the model 1.3 kB, most of it `None`.
#[derive(Clone, Debug, Default)]
pub struct Connect {
    pub publish: Vec<Publish>,
    pub dns: Option<Box<Dns>>,
    pub host_link: Option<Box<HostLink>>,
    pub wireguard: Option<Box<WireGuard>>,
    /// `openvpn` (SPEC §14), only when enabled.
    pub openvpn: Option<Box<super::openvpn::OpenVpn>>,
    /// `dns.strict = true`, where it is written; None when false or unset.
    pub strict_dns: Option<At<bool>>,
    /// `ipv6`, where written; None when unset (= Allow, NixOS-exact output).
    pub ipv6: Option<At<Ipv6Policy>>,
    /// `watchdog` (SPEC §14), only when enabled.
    pub watchdog: Option<Box<super::watchdog::Watchdog>>,
    /// `portForward` (SPEC §14), only when enabled.
    pub port_forward: Option<Box<super::port_forward::PortForward>>,
}

impl Connect {
    pub fn is_empty(&self) -> bool {
        self.publish.is_empty()
            && self.dns.is_none()
            && self.host_link.is_none()
            && self.wireguard.is_none()
            && self.openvpn.is_none()
            && self.strict_dns.is_none()
            && self.ipv6.is_none()
            && self.watchdog.is_none()
            && self.port_forward.is_none()
    }
}

/// A namespace's `ipv6` (SPEC §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv6Policy {
    /// As the user set the namespace up: nothing added.
    Allow,
    /// `disable_ipv6` inside, and every IPv6 packet but `lo`'s dropped.
    Disable,
    /// IPv6 leaves only through the tunnel's interface.
    Tunnel,
}

impl Ipv6Policy {
    /// The option's value (`"allow"`, …), as the schema's enum spells it.
    pub fn from_value(value: &str) -> Option<Ipv6Policy> {
        match value {
            "allow" => Some(Ipv6Policy::Allow),
            "disable" => Some(Ipv6Policy::Disable),
            "tunnel" => Some(Ipv6Policy::Tunnel),
            _ => None,
        }
    }

    /// The option's value, as [`Ipv6Policy::from_value`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Ipv6Policy::Allow => "allow",
            Ipv6Policy::Disable => "disable",
            Ipv6Policy::Tunnel => "tunnel",
        }
    }
}

/// The nftables table of netns-compile's own inside a namespace (family `inet`), loaded by
/// the namespace's guard unit `<stem>-guard.service` after the user's ruleset (SPEC §13).
pub const GUARD_TABLE: &str = "netns-compile";

/// `publish.<label>`.
#[derive(Clone, Debug)]
pub struct Publish {
    pub label: At<String>,
    /// `None`: missing or unreadable (reported).
    pub listen: Option<At<Listen>>,
    pub port: Option<At<i64>>,
    pub protocol: At<String>,
}

/// A host address and port, as `ListenStream=` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    pub address: IpAddr,
    pub port: i64,
}

impl Listen {
    /// `127.0.0.1:8080`, `[::1]:8080`.
    pub fn render(&self) -> String {
        match self.address {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }

    /// Whether binding both would fail: the same port, and the same address or a wildcard
    /// (`0.0.0.0` takes the port on every IPv4 address, `[::]` on every address: systemd binds
    /// it dual-stack by default).
    pub fn clashes_with(&self, other: &Listen) -> bool {
        if self.port != other.port {
            return false;
        }
        let wildcard_over = |w: &IpAddr, o: &IpAddr| match w {
            IpAddr::V4(a) => a.is_unspecified() && o.is_ipv4(),
            IpAddr::V6(a) => a.is_unspecified(),
        };
        self.address == other.address
            || wildcard_over(&self.address, &other.address)
            || wildcard_over(&other.address, &self.address)
    }
}

/// `dns`: the settings of the namespace's resolv.conf.
#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    pub span: Span,
    pub servers: Vec<At<String>>,
    pub search: Vec<At<String>>,
    pub options: Vec<At<String>>,
}

impl Dns {
    /// No server, search domain or option: nothing to write.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.search.is_empty() && self.options.is_empty()
    }
}

/// A namespace's resolv.conf, which `ip netns exec` and joined services see as /etc/resolv.conf.
pub fn resolv_conf_path(namespace: &str) -> String {
    format!("/etc/netns/{namespace}/resolv.conf")
}

/// An IPv4 address with its prefix length (`10.231.0.1/30`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V4Net {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl V4Net {
    pub fn parse(s: &str) -> Option<V4Net> {
        let (a, p) = s.split_once('/')?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = p.parse().ok().filter(|p: &u8| *p <= 32)?;
        Some(V4Net {
            address: a.parse().ok()?,
            prefix,
        })
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    pub fn network(&self) -> u32 {
        u32::from(self.address) & self.mask()
    }

    /// Whether the two subnets share an address.
    pub fn overlaps(&self, other: &V4Net) -> bool {
        let shorter = self.prefix.min(other.prefix);
        let mask = if shorter == 0 { 0 } else { u32::MAX << (32 - shorter) };
        u32::from(self.address) & mask == u32::from(other.address) & mask
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & self.mask() == self.network()
    }
}

impl std::fmt::Display for V4Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// `hostLink` (only when enabled).
#[derive(Clone, Debug)]
pub struct HostLink {
    /// The `hostLink` key.
    pub span: Span,
    pub host_interface: String,
    pub namespace_interface: String,
    /// The addresses, given or allocated (allocated: `None` until [`allocate_host_links`]).
    pub host_address: Option<At<V4Net>>,
    pub namespace_address: Option<At<V4Net>>,
    /// True when the user gave the IPv4 addresses.
    pub given: bool,
    pub host_address6: Option<At<String>>,
    pub namespace_address6: Option<At<String>>,
}

/// `wireguard` (only when enabled).
#[derive(Clone, Debug)]
pub struct WireGuard {
    pub span: Span,
    pub interface: At<String>,
    pub private_key_file: Option<At<String>>,
    /// A wg-quick file read when the unit starts, instead of the key, addresses and peers.
    pub config_file: Option<At<String>>,
    pub addresses: Vec<At<String>>,
    pub peers: Vec<Peer>,
    pub implementation: At<String>,
}

#[derive(Clone, Debug)]
pub struct Peer {
    pub span: Span,
    pub public_key: Option<At<String>>,
    pub endpoint: Option<At<String>>,
    pub allowed_ips: Vec<At<String>>,
    pub persistent_keepalive: Option<At<i64>>,
    pub preshared_key_file: Option<At<String>>,
}

/// FNV-1a (64 bits): a hash whose values are part of the output (interface names, addresses),
/// so it must never change — std's hasher makes no such promise.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The host side of a namespace's link: `nsh-<name>` when that fits the kernel's 15 bytes and
/// holds only letters, digits, `-`, `_` and `.`; else `nsh-` + the first five such characters
/// + `-` + five hex digits of the name's hash.
pub fn host_interface_name(namespace: &str) -> String {
    interface_name(HOST_LINK_PREFIX, namespace)
}

/// `<prefix><name>` when that fits the kernel's 15 bytes and holds only letters, digits, `-`,
/// `_` and `.`; else `<prefix>` + the first such characters that fit + `-` + five hex digits
/// of the name's hash.
pub fn interface_name(prefix: &str, namespace: &str) -> String {
    let tame = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let plain = format!("{prefix}{namespace}");
    if plain.len() <= MAX_INTERFACE_BYTES && namespace.chars().all(tame) {
        return plain;
    }
    let room = MAX_INTERFACE_BYTES - prefix.len() - 6;
    let stem: String = namespace.chars().filter(|c| tame(*c)).take(room).collect();
    format!("{prefix}{stem}-{:05x}", stable_hash(namespace.as_bytes()) & 0xf_ffff)
}

pub fn string_at(node: &Node) -> Option<At<String>> {
    node.as_str().map(|s| At::new(s.to_string(), node.span))
}

fn strings_at(node: Option<&Node>) -> Vec<At<String>> {
    node.and_then(Node::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(string_at)
        .collect()
}

pub fn int_at(node: &Node) -> Option<At<i64>> {
    match node.kind {
        Kind::Int(i) => Some(At::new(i, node.span)),
        _ => None,
    }
}

/// A string sub-option, where defined (not null).
pub fn opt_string(value: Option<&Node>) -> Option<At<String>> {
    value.and_then(string_at)
}

/// Read the options of SPEC §11–§14 from a resolved namespace's options.
pub fn read_connect(namespace: &str, options: &NamespaceOptions, diags: &mut Diagnostics) -> Connect {
    let mut out = Connect::default();
    for e in options.publish {
        out.publish.push(read_publish(namespace, e, diags));
    }
    if let Some(d) = options.dns {
        let dns = Dns {
            span: d.key_span,
            servers: strings_at(d.servers()),
            search: strings_at(d.search()),
            options: strings_at(d.options()),
        };
        // All empty: nothing to write, and the namespace is exactly NixOS's.
        if !dns.is_empty() {
            out.dns = Some(Box::new(dns));
        }
    }
    if let Some(h) = options.host_link {
        out.host_link = Some(Box::new(read_host_link(namespace, h, diags)));
    }
    if let Some(w) = options.wireguard {
        out.wireguard = Some(Box::new(read_wireguard(w)));
    }
    out.openvpn = options
        .openvpn
        .map(|o| Box::new(super::openvpn::read_openvpn(namespace, o)));
    read_confinement(options, &mut out);
    out.watchdog = options.watchdog.map(|w| Box::new(super::watchdog::read_watchdog(w)));
    out.port_forward = options
        .port_forward
        .map(|p| Box::new(super::port_forward::read_port_forward(p)));
    out
}

/// SPEC §13: `dns.strict` and `ipv6`. The schema has typed both (a bool, one of the enum's
/// values); `ipv6` defined as "allow" is kept, so that checks and reports can point at it.
fn read_confinement(options: &NamespaceOptions, out: &mut Connect) {
    out.strict_dns = options
        .dns
        .and_then(|d| d.strict())
        .filter(|n| n.as_bool() == Some(true))
        .map(|n| At::new(true, n.span));
    out.ipv6 = options
        .ipv6
        .and_then(|n| Some(At::new(Ipv6Policy::from_value(n.as_str()?)?, n.span)));
}

fn read_publish(namespace: &str, e: &crate::node::Entry, diags: &mut Diagnostics) -> Publish {
    let p = PublishOptions::of(e);
    let loc = format!("services.netns.namespaces.{namespace:?}.publish.{:?}", e.key);
    let listen = match p.listen() {
        None => {
            diags.push(
                Diagnostic::new(Code::InvalidListen, format!("`{loc}.listen` is not defined"))
                    .at(e.key_span, "this published port has no host address")
                    .help("give the host address and port, e.g. `listen = \"127.0.0.1:8080\";`"),
            );
            None
        }
        Some(n) => match parse_listen(n) {
            Ok(l) => Some(At::new(l, n.span)),
            Err(why) => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidListen,
                        format!("`{loc}.listen` is not an address and port"),
                    )
                    .at(n.span, why)
                    .help("write `\"127.0.0.1:8080\"`, `\"[::1]:8080\"`, `\"0.0.0.0:8080\"`, or a port alone"),
                );
                None
            }
        },
    };
    let port = match p.port() {
        None => {
            diags.push(
                Diagnostic::new(Code::InvalidListen, format!("`{loc}.port` is not defined"))
                    .at(e.key_span, "this published port says no port inside the namespace")
                    .help("give the port the server listens on at the namespace's 127.0.0.1, e.g. `port = 3000;`"),
            );
            None
        }
        Some(n) => int_at(n),
    };
    let protocol = p
        .protocol()
        .and_then(string_at)
        .filter(|p| !p.span.is_builtin())
        .unwrap_or_else(|| At::new("tcp".into(), e.key_span));
    Publish {
        label: At::new(e.key.clone(), e.key_span),
        listen,
        port,
        protocol,
    }
}

/// `"127.0.0.1:8080"`, `"[::1]:8080"`, `"8080"` or `8080` (address `127.0.0.1`).
pub fn parse_listen(n: &Node) -> Result<Listen, String> {
    let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let text = match &n.kind {
        Kind::Int(p) => {
            return Ok(Listen {
                address: local,
                port: *p,
            });
        }
        Kind::Str(s) => s.as_str(),
        _ => return Err(format!("this is a {}, not a string or a port number", n.type_name())),
    };
    let port = |p: &str| {
        if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<i64>().map_err(|_| format!("`{p}` is not a port"))
        } else {
            Err(format!("`{p}` is not a port number"))
        }
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, p) = rest
            .split_once("]:")
            .ok_or_else(|| "an IPv6 address needs `[addr]:port`".to_string())?;
        let address: std::net::Ipv6Addr = addr.parse().map_err(|_| format!("`{addr}` is not an IPv6 address"))?;
        return Ok(Listen {
            address: IpAddr::V6(address),
            port: port(p)?,
        });
    }
    match text.rsplit_once(':') {
        None => Ok(Listen {
            address: local,
            port: port(text)?,
        }),
        Some((addr, p)) => {
            let address: Ipv4Addr = addr.parse().map_err(|_| {
                format!("`{addr}` is not an IPv4 address (IPv6 goes in brackets; names are not resolved)")
            })?;
            Ok(Listen {
                address: IpAddr::V4(address),
                port: port(p)?,
            })
        }
    }
}

fn read_host_link(namespace: &str, h: HostLinkOptions, diags: &mut Diagnostics) -> HostLink {
    let span = h.key_span;
    let loc = format!("services.netns.namespaces.{namespace:?}.hostLink");
    let mut v4 = |key: &str, value: Option<&Node>| {
        let s = opt_string(value)?;
        match V4Net::parse(&s.value) {
            Some(net) => Some(At::new(net, s.span)),
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidAddress,
                        format!("`{loc}.{key}` is not an IPv4 address with a prefix"),
                    )
                    .at(s.span, "expected e.g. \"10.231.0.1/30\"")
                    .help("write the address and its prefix length, as `ip address add` takes them"),
                );
                None
            }
        }
    };
    let host_address = v4("hostAddress", h.host_address());
    let namespace_address = v4("namespaceAddress", h.namespace_address());
    let host_given = opt_string(h.host_address()).is_some();
    let ns_given = opt_string(h.namespace_address()).is_some();
    if host_given != ns_given {
        let (given, missing, at) = if host_given {
            ("hostAddress", "namespaceAddress", h.host_address())
        } else {
            ("namespaceAddress", "hostAddress", h.namespace_address())
        };
        let at = opt_string(at).map_or(span, |s| s.span);
        diags.push(
            Diagnostic::new(
                Code::InvalidAddress,
                format!("`{loc}.{given}` is given but `{missing}` is not"),
            )
            .at(
                at,
                format!("given here; `{missing}` would come from the pool, maybe in another subnet"),
            )
            .help("give both addresses, or neither (both then come from the pool 10.231.0.0/16)"),
        );
    }
    HostLink {
        span,
        host_interface: host_interface_name(namespace),
        namespace_interface: NAMESPACE_LINK_INTERFACE.to_string(),
        given: host_given && ns_given,
        host_address,
        namespace_address,
        host_address6: opt_string(h.host_address6()),
        namespace_address6: opt_string(h.namespace_address6()),
    }
}

fn read_wireguard(w: WireGuardOptions) -> WireGuard {
    let span = w.key_span;
    let peers = w
        .peer_list()
        .map(|p| Peer {
            span: p.key_span,
            public_key: opt_string(p.public_key()),
            endpoint: opt_string(p.endpoint()),
            allowed_ips: strings_at(p.allowed_ips()),
            persistent_keepalive: p.persistent_keepalive().and_then(int_at),
            preshared_key_file: opt_string(p.preshared_key_file()),
        })
        .collect();
    // A default has no place of its own: point at the `wireguard` key instead.
    let placed = |a: At<String>| {
        if a.span.is_builtin() { At::new(a.value, span) } else { a }
    };
    WireGuard {
        span,
        interface: placed(opt_string(w.interface()).unwrap_or_else(|| At::new("wg0".into(), span))),
        private_key_file: opt_string(w.private_key_file()),
        config_file: opt_string(w.config_file()),
        addresses: strings_at(w.addresses()),
        peers,
        implementation: placed(opt_string(w.implementation()).unwrap_or_else(|| At::new("kernel".into(), span))),
    }
}

/// Give every enabled host link without addresses a /30 of the pool.
///
/// A namespace's candidate slots are `hash(name, 0)`, `hash(name, 1)`, … modulo the pool's
/// 16,384 slots; it takes the first that overlaps no given subnet and no slot taken before.
/// Namespaces are served in name order (given addresses first), so a namespace's subnet
/// depends on its name alone — unless its first slot collides, when it depends on the
/// namespaces before it that took that slot (about one chance in 16,384 per pair).
pub fn allocate_host_links<'a>(links: impl Iterator<Item = (&'a str, &'a mut HostLink)>) {
    let mut links: Vec<(&str, &mut HostLink)> = links.collect();
    links.sort_by(|a, b| a.0.cmp(b.0));
    let mut taken: Vec<V4Net> = links
        .iter()
        .filter(|(_, l)| l.given)
        .flat_map(|(_, l)| [&l.host_address, &l.namespace_address])
        .flatten()
        .map(|a| a.value)
        .collect();
    for (name, link) in links.iter_mut().filter(|(_, l)| !l.given) {
        let mut k: u32 = 0;
        let slot = loop {
            let mut key = name.as_bytes().to_vec();
            key.push(0);
            key.extend_from_slice(&k.to_le_bytes());
            let slot = (stable_hash(&key) % HOST_LINK_SLOTS) as u32;
            let base = u32::from(HOST_LINK_POOL) + slot * 4;
            let net = V4Net {
                address: Ipv4Addr::from(base),
                prefix: 30,
            };
            if !taken.iter().any(|t| t.overlaps(&net)) || u64::from(k) >= HOST_LINK_SLOTS * 4 {
                break base;
            }
            k += 1;
        };
        let at = |offset| {
            At::new(
                V4Net {
                    address: Ipv4Addr::from(slot + offset),
                    prefix: 30,
                },
                link.span,
            )
        };
        link.host_address = Some(at(1));
        link.namespace_address = Some(at(2));
        taken.push(V4Net {
            address: Ipv4Addr::from(slot),
            prefix: 30,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_fit_and_are_stable() {
        assert_eq!(host_interface_name("vpn"), "nsh-vpn");
        assert_eq!(host_interface_name("abcdefghijk"), "nsh-abcdefghijk");
        let long = host_interface_name("a-very-long-namespace");
        assert_eq!(long.len(), MAX_INTERFACE_BYTES);
        assert!(long.starts_with("nsh-a-ver-"));
        assert_eq!(long, host_interface_name("a-very-long-namespace"));
        assert_ne!(long, host_interface_name("a-very-long-namespace2"));
        // The hash is part of the output: pin it.
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn listen_forms() {
        let s = |t: &str| parse_listen(&Node::str(Span::BUILTIN, t));
        assert_eq!(s("127.0.0.1:8080").unwrap().render(), "127.0.0.1:8080");
        assert_eq!(s("[::1]:8080").unwrap().render(), "[::1]:8080");
        assert_eq!(s("8080").unwrap().render(), "127.0.0.1:8080");
        assert_eq!(s("0.0.0.0:99999").unwrap().port, 99999);
        for bad in ["localhost:80", "::1:80", "[::1]80", "1.2.3.4:", "1.2.3.4:x", ""] {
            assert!(s(bad).is_err(), "{bad}");
        }
        let l = |t| s(t).unwrap();
        assert!(l("0.0.0.0:80").clashes_with(&l("127.0.0.1:80")));
        assert!(l("[::]:80").clashes_with(&l("127.0.0.1:80")));
        assert!(!l("[::1]:80").clashes_with(&l("127.0.0.1:80")));
        assert!(!l("127.0.0.1:81").clashes_with(&l("127.0.0.1:80")));
    }

    #[test]
    fn subnets() {
        let n = |t| V4Net::parse(t).unwrap();
        assert!(n("10.0.0.1/30").overlaps(&n("10.0.0.2/30")));
        assert!(!n("10.0.0.1/30").overlaps(&n("10.0.0.5/30")));
        assert!(n("10.0.0.0/8").overlaps(&n("10.9.0.5/30")));
        for bad in ["10.0.0.1", "10.0.0.1/33", "10.0.0/24", "10.0.0.1/+3", "x/3"] {
            assert!(V4Net::parse(bad).is_none(), "{bad}");
        }
    }

    fn link(given: Option<(&str, &str)>) -> HostLink {
        let v = |t: &str| Some(At::new(V4Net::parse(t).unwrap(), Span::BUILTIN));
        HostLink {
            span: Span::BUILTIN,
            host_interface: String::new(),
            namespace_interface: String::new(),
            host_address: given.and_then(|g| v(g.0)),
            namespace_address: given.and_then(|g| v(g.1)),
            given: given.is_some(),
            host_address6: None,
            namespace_address6: None,
        }
    }

    #[test]
    fn allocation_depends_on_the_name_only() {
        let alloc = |names: &[&str]| {
            let mut links: Vec<(String, HostLink)> = names.iter().map(|n| (n.to_string(), link(None))).collect();
            allocate_host_links(links.iter_mut().map(|(n, l)| (n.as_str(), l)));
            links
                .into_iter()
                .map(|(n, l)| (n, l.host_address.unwrap().value.to_string()))
                .collect::<Vec<_>>()
        };
        let three = alloc(&["a", "b", "c"]);
        let two = alloc(&["a", "c"]);
        assert_eq!(three[0], two[0]);
        assert_eq!(three[2], two[1]);
        for (_, a) in &three {
            let net = V4Net::parse(a).unwrap();
            assert!(
                V4Net {
                    address: HOST_LINK_POOL,
                    prefix: 16
                }
                .contains(net.address)
            );
            assert_eq!(u32::from(net.address) % 4, 1);
        }
        // A given subnet that holds a's first slot pushes a to its next one.
        let a_first = V4Net::parse(&three[0].1).unwrap();
        let mut links = [
            ("a".to_string(), link(None)),
            (
                "z".to_string(),
                link(Some((&a_first.to_string(), &a_first.to_string()))),
            ),
        ];
        allocate_host_links(links.iter_mut().map(|(n, l)| (n.as_str(), l)));
        let moved = links[0].1.host_address.as_ref().unwrap().value;
        assert!(!moved.overlaps(&a_first));
    }
}
