//! netns-compile's own nftables table inside a namespace (SPEC §13): what `dns.strict` and
//! `ipv6` make of it. [`guard_table`] says what the table holds (sets, drops), as data;
//! [`guard_ruleset`] is the one place its nftables text is written.
//!
//! The table is `table inet netns-compile` ([`GUARD_TABLE`]), loaded by the namespace's guard
//! unit after the user's ruleset and reloaded with it (model/connect_units.rs), so a
//! `flush ruleset` there cannot remove it for longer than the reload takes. Every drop is
//! counted in a named counter, so that tests and a live audit can read what it stopped.

use super::connect::{Connect, GUARD_TABLE, Ipv6Policy};
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
const LOOPBACK: &str = "lo";

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

/// The nftables file that loads `table` in one transaction: declaring the table first makes
/// the delete succeed on a first load, and the new table replaces the old one atomically (no
/// moment without it). `nft` is the shebang's interpreter.
pub fn guard_ruleset(table: &GuardTable, nft: &str) -> String {
    let t = GUARD_TABLE;
    let mut out = format!("#!{nft} -f\ntable inet {t} {{}}\ndelete table inet {t}\ntable inet {t} {{\n");
    let mut input = Vec::new();
    let mut output = Vec::new();
    let mut forward = Vec::new();
    if let Some(dns) = &table.dns {
        out.push_str(&format!("\tcounter {DNS_LEAK_COUNTER} {{}}\n"));
        let set = |name: &str, ty: &str, elements: Vec<String>| {
            let mut s = format!("\tset {name} {{\n\t\ttype {ty}\n");
            if !elements.is_empty() {
                s.push_str(&format!("\t\telements = {{ {} }}\n", elements.join(", ")));
            }
            s.push_str("\t}\n");
            s
        };
        out.push_str(&set(
            DNS_ALLOW4,
            "ipv4_addr",
            dns.v4.iter().map(|a| a.to_string()).collect(),
        ));
        out.push_str(&set(
            DNS_ALLOW6,
            "ipv6_addr",
            dns.v6.iter().map(|a| a.to_string()).collect(),
        ));
        let ports: Vec<String> = DNS_PORTS.iter().map(|p| p.to_string()).collect();
        for (family, set) in [("ip", DNS_ALLOW4), ("ip6", DNS_ALLOW6)] {
            let rule = format!(
                "meta l4proto {{ tcp, udp }} th dport {{ {} }} {family} daddr != @{set} counter name {DNS_LEAK_COUNTER} drop",
                ports.join(", ")
            );
            output.push(rule.clone());
            forward.push(rule);
        }
    }
    let drop6 = format!("counter name {IPV6_COUNTER} drop");
    match &table.ipv6 {
        Ipv6Drop::Nothing => {}
        Ipv6Drop::AllButLoopback => {
            input.push(format!("meta nfproto ipv6 iifname != \"{LOOPBACK}\" {drop6}"));
            output.push(format!("meta nfproto ipv6 oifname != \"{LOOPBACK}\" {drop6}"));
            forward.push(format!("meta nfproto ipv6 {drop6}"));
        }
        Ipv6Drop::OutsideTunnel(dev) => {
            let rule = format!(
                "meta nfproto ipv6 oifname != {{ \"{LOOPBACK}\", {} }} {drop6}",
                nft_string(dev)
            );
            output.push(rule.clone());
            forward.push(rule);
        }
    }
    if table.ipv6 != Ipv6Drop::Nothing {
        out.push_str(&format!("\tcounter {IPV6_COUNTER} {{}}\n"));
    }
    if let Some(dev) = &table.forwarded_through {
        out.push_str(&format!(
            "\tcounter {INBOUND_COUNTER} {{}}\n\tset {FORWARDED_PORTS} {{\n\t\ttype inet_service\n\t}}\n"
        ));
        let dev = nft_string(dev);
        input.push(format!("iifname {dev} ct state established,related accept"));
        input.push(format!(
            "iifname {dev} meta l4proto {{ tcp, udp }} th dport @{FORWARDED_PORTS} accept"
        ));
        input.push(format!("iifname {dev} counter name {INBOUND_COUNTER} drop"));
    }
    for (chain, rules) in [("input", input), ("output", output), ("forward", forward)] {
        if rules.is_empty() {
            continue;
        }
        // Before the usual filter chains; a drop here is final whatever other tables accept.
        out.push_str(&format!(
            "\tchain {chain} {{\n\t\ttype filter hook {chain} priority filter - 10; policy accept;\n"
        ));
        for r in rules {
            out.push_str(&format!("\t\t{r}\n"));
        }
        out.push_str("\t}\n");
    }
    out.push_str("}\n");
    out
}

/// An interface name as an nftables string (the checks keep `"` and `\` out of it).
fn nft_string(name: &str) -> String {
    format!("\"{name}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_dns_and_disabled_ipv6() {
        let table = GuardTable {
            dns: Some(DnsAllow {
                v4: vec![Ipv4Addr::new(10, 64, 0, 1)],
                v6: Vec::new(),
            }),
            ipv6: Ipv6Drop::AllButLoopback,
            forwarded_through: None,
        };
        let text = guard_ruleset(&table, "/bin/nft");
        assert!(text.starts_with("#!/bin/nft -f\ntable inet netns-compile {}\ndelete table inet netns-compile\n"));
        assert!(text.contains("elements = { 10.64.0.1 }"));
        assert!(text.contains("set dns_allow6 {\n\t\ttype ipv6_addr\n\t}"));
        assert!(text.contains("th dport { 53, 853, 5353, 5355 } ip6 daddr != @dns_allow6"));
        assert!(text.contains("chain input"));
        assert!(table.disables_ipv6());
    }

    #[test]
    fn tunnel_only_ipv6_has_no_input_chain() {
        let table = GuardTable {
            dns: None,
            ipv6: Ipv6Drop::OutsideTunnel("wg0".into()),
            forwarded_through: None,
        };
        let text = guard_ruleset(&table, "nft");
        assert!(!text.contains("chain input") && !text.contains("dns_allow4"));
        assert!(text.contains("oifname != { \"lo\", \"wg0\" } counter name ipv6_dropped drop"));
        assert!(!table.disables_ipv6());
    }

    #[test]
    fn a_forwarded_port_is_the_only_unsolicited_way_in_through_the_tunnel() {
        let table = GuardTable {
            dns: None,
            ipv6: Ipv6Drop::Nothing,
            forwarded_through: Some("wg0".into()),
        };
        let text = guard_ruleset(&table, "nft");
        let input = text.split("chain input").nth(1).expect("an input chain");
        let rules: Vec<&str> = input
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("iifname"))
            .collect();
        assert_eq!(
            rules,
            [
                "iifname \"wg0\" ct state established,related accept",
                "iifname \"wg0\" meta l4proto { tcp, udp } th dport @forwarded_ports accept",
                "iifname \"wg0\" counter name tunnel_inbound_dropped drop",
            ]
        );
        assert!(text.contains("set forwarded_ports {\n\t\ttype inet_service\n\t}"));
        assert!(!text.contains("chain output"));
    }
}
