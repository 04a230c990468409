//! netns-compile's own nftables table inside a namespace (SPEC §13): what `dns.strict` and
//! `ipv6` make of it. [`guard_table`] says what the table holds (sets, drops), as data;
//! emit/guard.rs is the one place its nftables text is written.
//!
//! The table is `table inet netns-compile` ([`GUARD_TABLE`](super::connect::GUARD_TABLE)),
//! loaded by the namespace's guard unit after the user's ruleset and reloaded with it
//! (model/connect_units.rs), so a `flush ruleset` there cannot remove it for longer than the
//! reload takes. Every drop is counted in a named counter, so that tests and a live audit can
//! read what it stopped.

use super::connect::{Connect, Ipv6Policy};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The ports whose traffic is DNS for `dns.strict`: DNS, DNS over TLS, mDNS, LLMNR (each over
/// UDP and TCP).
pub const DNS_PORTS: [u16; 4] = [53, 853, 5353, 5355];
/// Named sets of the allowed servers: a tunnel unit that learns its DNS at run time adds its
/// servers to them (`nft add element inet netns-compile dns_allow4 { … }`).
pub const DNS_ALLOW4: &str = "dns_allow4";
pub const DNS_ALLOW6: &str = "dns_allow6";
/// Named counters of the drops.
pub const DNS_LEAK_COUNTER: &str = "dns_leak_dropped";
pub const IPV6_COUNTER: &str = "ipv6_dropped";
pub const INBOUND_COUNTER: &str = "tunnel_inbound_dropped";
/// The named set of the ports `portForward` holds open: its service adds the port the gateway
/// granted (`nft add element inet netns-compile forwarded_ports { PORT }`) and empties it when
/// the port changes or the gateway stops answering.
pub const FORWARDED_PORTS: &str = "forwarded_ports";
/// The only interface whose IPv6 `ipv6 = "disable"` lets through.
pub const LOOPBACK: &str = "lo";

/// What the table of one namespace holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardTable {
    /// `dns.strict`: the servers DNS may go to (the rest is dropped).
    pub dns: Option<DnsAllow>,
    pub ipv6: Ipv6Drop,
    /// `portForward`: the tunnel interface whose unsolicited inbound traffic is dropped but to
    /// the forwarded port ([`FORWARDED_PORTS`]); replies to what the namespace sent pass.
    pub forwarded_through: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsAllow {
    pub v4: Vec<Ipv4Addr>,
    pub v6: Vec<Ipv6Addr>,
}

/// Which IPv6 packets are dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ipv6Drop {
    /// None (`ipv6` unset or `"allow"`).
    Nothing,
    /// Every one in input, output and forward but `lo`'s; the guard also sets `disable_ipv6`.
    AllButLoopback,
    /// In output and forward, every one whose way out is neither `lo` nor this interface.
    OutsideTunnel(String),
}

impl GuardTable {
    /// Whether the guard also switches IPv6 off (`disable_ipv6` for `all` and `default`).
    pub fn disables_ipv6(&self) -> bool {
        self.ipv6 == Ipv6Drop::AllButLoopback
    }
}

/// The table `connect` asks for, if any. A server that is not an IP address is left out of the
/// sets (the checks report it); `ipv6 = "tunnel"` without a tunnel interface drops IPv6 on every
/// way out but `lo` (the checks report that too).
pub fn guard_table(connect: &Connect) -> Option<GuardTable> {
    let dns = connect.strict_dns.as_ref().map(|_| {
        let mut allow = DnsAllow::default();
        let servers = connect.dns.iter().flat_map(|d| &d.servers);
        // A link-local server may name its interface (`fe80::1%eth0`); the set holds the address.
        for s in servers.filter_map(|s| s.value.split('%').next()?.parse::<IpAddr>().ok()) {
            match s {
                IpAddr::V4(a) if !allow.v4.contains(&a) => allow.v4.push(a),
                IpAddr::V6(a) if !allow.v6.contains(&a) => allow.v6.push(a),
                _ => {}
            }
        }
        // A wg-quick file's servers are added by its tunnel's unit at run time (tunnel_file.rs).
        allow
    });
    let ipv6 = match connect.ipv6.as_ref().map(|p| p.value) {
        None | Some(Ipv6Policy::Allow) => Ipv6Drop::Nothing,
        Some(Ipv6Policy::Disable) => Ipv6Drop::AllButLoopback,
        Some(Ipv6Policy::Tunnel) => match tunnel_interface(connect) {
            Some(dev) => Ipv6Drop::OutsideTunnel(dev.to_string()),
            None => Ipv6Drop::AllButLoopback,
        },
    };
    // The checks refuse `portForward` without a tunnel.
    let forwarded_through = connect
        .port_forward
        .as_ref()
        .and_then(|_| tunnel_interface(connect))
        .map(str::to_string);
    (dns.is_some() || ipv6 != Ipv6Drop::Nothing || forwarded_through.is_some()).then_some(GuardTable {
        dns,
        ipv6,
        forwarded_through,
    })
}

/// The interface of the namespace's tunnel, if it has one netns-compile makes (inline or from a
/// wg-quick file: the interface is named by `wireguard.interface` either way; OpenVPN's tun
/// device, model/openvpn.rs).
pub fn tunnel_interface(connect: &Connect) -> Option<&str> {
    match &connect.openvpn {
        Some(vpn) => Some(vpn.interface.as_str()),
        None => connect.wireguard.as_ref().map(|wg| wg.interface.value.as_str()),
    }
}
