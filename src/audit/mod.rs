//! `netns-compile audit` (SPEC §13): every way in and out of each namespace, and for each
//! service that joins it a verdict — where its traffic can go.
//!
//! The stage works on [`NamespaceFacts`]: plain data about a namespace (its interfaces,
//! routes, DNS, published ports, IPv6, ruleset and the services in it). `facts.rs` derives
//! them from the model (what the configuration sets up); `live.rs` reads them from the running
//! system (the only I/O here, at the edge). `verdict.rs` judges facts of either origin the
//! same way, `compare.rs` names what differs between the two, and `render.rs` prints a report
//! as text or JSON. Above `check`: it reads the model and the resolved config, never the
//! stages above it.

pub mod compare;
pub mod facts;
pub mod live;
pub mod render;
pub mod verdict;

use crate::model::connect::Ipv6Policy;
use crate::source::Span;

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }

    /// The family of an address (`10.0.0.1`, `fd00::1`, with or without a prefix).
    pub fn of(address: &str) -> Family {
        if address.contains(':') { Family::V6 } else { Family::V4 }
    }
}

/// What an interface of a namespace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterfaceKind {
    Loopback,
    /// The namespace's end of `hostLink` (`host0`).
    HostLink,
    /// A tunnel's interface: the namespace's own WireGuard, or a NixOS WireGuard interface
    /// moved in (`interfaceNamespace`).
    Tunnel,
    /// Anything else (found only by `--live`).
    Other,
}

impl InterfaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InterfaceKind::Loopback => "loopback",
            InterfaceKind::HostLink => "host-link",
            InterfaceKind::Tunnel => "tunnel",
            InterfaceKind::Other => "other",
        }
    }
}

/// One interface inside a namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    pub name: String,
    pub kind: InterfaceKind,
    /// With prefix length (`10.231.0.2/30`), each with where it is set; link-local IPv6
    /// addresses are left out.
    pub addresses: Vec<(String, Span)>,
    /// What sets it up, or the host's end of a link (`nsh-vpn 10.231.0.1/30`): shown only.
    pub note: Option<String>,
    /// A WireGuard tunnel's last handshake (`--live`): seconds since the epoch, 0 for never.
    pub latest_handshake: Option<u64>,
    pub span: Span,
}

impl Interface {
    pub fn has_family(&self, family: Family) -> bool {
        self.addresses.iter().any(|(a, _)| Family::of(a) == family)
    }

    /// The addresses, without where they are set.
    pub fn address_texts(&self) -> Vec<&str> {
        self.addresses.iter().map(|(a, _)| a.as_str()).collect()
    }
}

/// One route of a namespace's main table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    /// `default` or a prefix (`10.231.0.0/30`).
    pub to: String,
    pub dev: String,
    /// The kernel made it for an address (`proto kernel`): it follows the addresses.
    pub kernel: bool,
}

/// A namespace's `dns` as the namespace sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DnsFacts {
    pub servers: Vec<(String, Span)>,
    pub search: Vec<String>,
    /// `dns.strict`: where it is set (`Span::BUILTIN` when read live).
    pub strict: Option<Span>,
    /// A tunnel's wg-quick file (`wireguard.configFile`) and where it is named: its `DNS =`
    /// servers are written into resolv.conf when the tunnel starts, so the configuration
    /// alone does not know them (`audit --live` reads them).
    pub from_file: Option<(String, Span)>,
    /// OpenVPN's configuration file (`openvpn.configFile`) and where it is named: the servers
    /// its server pushes are written into resolv.conf when it connects.
    pub pushed: Option<(String, Span)>,
}

/// A published port: a way in from the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub label: String,
    pub listen: String,
    pub port: i64,
    pub protocol: String,
    pub span: Span,
}

/// The nftables the namespace holds: the user's (shown, not interpreted) and netns-compile's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// The user's own tables (`inet filter`, …) when read live; statically, whether a
    /// non-empty ruleset is loaded.
    pub user: Vec<String>,
    /// netns-compile's own table (`inet netns-compile`) is loaded.
    pub guard: bool,
}

/// How the host's resolver sockets (SPEC §3.5) stand for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverSockets {
    /// The resolver folders hidden from it.
    pub hidden: Vec<String>,
    /// The folders it reaches (a resolver keeps its own; a publish forwarder hides none).
    pub reachable: Vec<String>,
    /// The folders kept because they are the service's own (a resolver that joins).
    pub own: Vec<String>,
}

/// A service in a namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFacts {
    /// `<svc>.service`.
    pub unit: String,
    /// The forwarder of a published port (a unit of netns-compile's).
    pub forwarder: bool,
    pub span: Span,
    pub resolver_sockets: ResolverSockets,
    /// What `--live` found; `None` for the static audit.
    pub live: Option<LiveService>,
}

/// A service as found running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveService {
    /// Its main PID; `None` when it does not run.
    pub pid: Option<u32>,
    /// Its process is in the namespace's network namespace.
    pub in_namespace: bool,
    /// The `nameserver` lines of the resolv.conf it sees.
    pub resolv_conf: Vec<String>,
}

/// Whether the host forwards, from `boot.kernel.sysctl` (where set) or read live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostForwarding {
    /// The key that makes the host forward IPv4, and where it is set.
    pub v4: Option<(String, Span)>,
    pub v6: Option<(String, Span)>,
}

/// Everything about one namespace that the verdicts are made of.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespaceFacts {
    pub name: String,
    /// `netns-<escaped>.service`.
    pub unit: String,
    pub span: Span,
    /// Found under /run/netns (always true for the static audit).
    pub running: bool,
    pub interfaces: Vec<Interface>,
    pub routes: Vec<Route>,
    /// What may add routes netns-compile does not know (the user's commands): shown only.
    pub user_routes: Vec<String>,
    pub dns: DnsFacts,
    pub publish: Vec<Published>,
    /// `portForward`: the file the tunnel's forwarded port is written to; that port is the one
    /// unsolicited way in through the tunnel (the guard drops the rest).
    pub forwarded_port: Option<String>,
    /// The `ipv6` option (`Allow` when unset).
    pub ipv6: Ipv6Policy,
    pub ipv6_span: Span,
    /// `disable_ipv6` of `all` is 1 (statically: `ipv6 = "disable"`).
    pub ipv6_disabled: bool,
    pub ruleset: Ruleset,
    pub forwarding: HostForwarding,
    pub services: Vec<ServiceFacts>,
}

impl NamespaceFacts {
    pub fn tunnel(&self) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.kind == InterfaceKind::Tunnel)
    }

    pub fn host_link(&self) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.kind == InterfaceKind::HostLink)
    }

    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The namespace's default route of `family`, if any.
    pub fn default_route(&self, family: Family) -> Option<&Route> {
        self.routes.iter().find(|r| r.family == family && r.to == "default")
    }
}

/// The verdict on one service (SPEC §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every way out goes through the tunnel.
    TunnelOnly,
    /// Only the host is reachable (host link, published ports).
    HostOnly,
    /// No way out.
    Closed,
    /// Something leaves around the tunnel (or, without one, beyond the host).
    Open,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TunnelOnly => "tunnel-only",
            Verdict::HostOnly => "host-only",
            Verdict::Closed => "closed",
            Verdict::Open => "open",
        }
    }
}

/// A namespace's facts with the verdict on each of its services.
#[derive(Clone, Debug)]
pub struct NamespaceAudit {
    pub facts: NamespaceFacts,
    /// One per service of `facts.services`, in that order.
    pub verdicts: Vec<(Verdict, Vec<String>)>,
}

/// The static audit: the facts of every namespace as the configuration sets it up, with the
/// ways around each tunnel pushed into `diags`.
pub fn audit_configuration(
    config: &crate::module::config::ResolvedConfig,
    model: &crate::model::Model,
    diags: &mut crate::diagnostic::Diagnostics,
) -> Vec<NamespaceFacts> {
    let facts = facts::static_facts(config, model);
    for f in &facts {
        verdict::ways_around(f, diags);
    }
    facts
}

/// `--live`: the facts of every namespace as found running, with every difference from the
/// configured facts pushed into `diags`.
pub fn audit_live(
    configured: &[NamespaceFacts],
    state: &live::LiveState,
    diags: &mut crate::diagnostic::Diagnostics,
) -> Vec<NamespaceFacts> {
    configured
        .iter()
        .zip(&state.namespaces)
        .map(|(c, l)| {
            compare::differences(c, l, diags);
            compare::live_facts(c, l, state)
        })
        .collect()
}

/// The verdicts on every service of every namespace.
pub fn judge_all(facts: Vec<NamespaceFacts>) -> Vec<NamespaceAudit> {
    facts.into_iter().map(verdict::judge).collect()
}
