//! The guard's nftables file (SPEC §13): the text of the table model/guard.rs describes.

use crate::model::connect::GUARD_TABLE;
use crate::model::guard::{
    DNS_ALLOW4, DNS_ALLOW6, DNS_LEAK_COUNTER, DNS_PORTS, FORWARDED_PORTS, GuardTable, INBOUND_COUNTER, IPV6_COUNTER,
    Ipv6Drop, LOOPBACK,
};

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
    use crate::model::guard::DnsAllow;
    use std::net::Ipv4Addr;

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
