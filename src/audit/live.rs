//! `audit --live`: the state of the running system, read with the tools the units use
//! (`ip`, `nft`, `wg`, `sysctl`, `systemctl`) and from /proc, gathered into plain structs.
//! The only I/O of the stage; what it means is decided in `compare.rs`.

use super::{Family, HostForwarding, InterfaceKind, NamespaceFacts, Route};
use crate::model::Tools;
use crate::source::Span;
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where iproute2 registers named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// The socket each resolver folder of `model::join::RESOLVERS` holds (a test holds the two
/// lists to the same folders).
pub const RESOLVER_SOCKETS: [(&str, &str); 2] =
    [("/run/nscd", "socket"), ("/run/systemd/resolve", "io.systemd.Resolve")];

/// One interface as `ip -d -j addr` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveLink {
    pub name: String,
    /// `loopback`, `veth`, `wireguard`, `tun`, … (the link's kind, else its type).
    pub kind: String,
    /// With prefix length; link-local IPv6 left out.
    pub addresses: Vec<String>,
}

/// A joined service as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveProcess {
    pub unit: String,
    /// Its main PID; `None` when it does not run (or systemd cannot say).
    pub pid: Option<u32>,
    pub in_namespace: bool,
    /// `nameserver` addresses of the resolv.conf it sees.
    pub resolv_conf: Vec<String>,
    /// The resolver folders whose socket it can see.
    pub sockets_seen: Vec<String>,
}

/// One namespace of the configuration as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveNamespace {
    pub name: String,
    /// Registered under /run/netns.
    pub present: bool,
    pub links: Vec<LiveLink>,
    pub routes: Vec<Route>,
    /// `net.ipv6.conf.all.disable_ipv6` inside it.
    pub disable_ipv6: bool,
    /// nftables tables loaded in it (`inet filter`, …).
    pub tables: Vec<String>,
    /// Latest WireGuard handshake of each tunnel interface (seconds since the epoch; 0: never).
    pub handshakes: Vec<(String, u64)>,
    /// `nameserver` addresses of /etc/netns/<name>/resolv.conf.
    pub resolv_conf: Vec<String>,
    pub processes: Vec<LiveProcess>,
}

/// The whole running state the audit compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveState {
    pub namespaces: Vec<LiveNamespace>,
    pub forwarding: HostForwarding,
}

/// The programs `--live` runs, found as the units find them.
struct Programs {
    ip: String,
    nft: String,
    sysctl: String,
    wg: String,
    systemctl: String,
}

impl Programs {
    fn new(tools: &Tools) -> Programs {
        // `--host-tools` names no systemd prefix: systemctl is then where the default PATH has it.
        let systemctl = tools
            .prefix("systemd")
            .map(|p| format!("{p}/bin/systemctl"))
            .or_else(|| {
                tools
                    .default_path
                    .iter()
                    .map(|p| format!("{p}/bin/systemctl"))
                    .find(|p| Path::new(p).is_file())
            })
            .unwrap_or_else(|| "systemctl".to_string());
        Programs {
            ip: tools.ip.clone(),
            nft: tools.nft.clone(),
            sysctl: tools.sysctl.clone(),
            wg: tools.wg.clone(),
            systemctl,
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{program} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A program run inside the namespace (`ip netns exec`).
    fn run_in(&self, ns: &str, program: &str, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", ns, program];
        all.extend(args);
        self.run(&self.ip, &all)
    }

    fn json(&self, args: &[&str]) -> Result<Value, String> {
        let text = self.run(&self.ip, args)?;
        serde_json::from_str(&text).map_err(|e| format!("{} {}: {e}", self.ip, args.join(" ")))
    }
}

/// Read the running state of the namespaces of `facts` (the static audit's). `Err` when the
/// state cannot be read at all (not root, `ip` missing).
pub fn read_live(facts: &[NamespaceFacts], tools: &Tools) -> Result<LiveState, String> {
    let programs = Programs::new(tools);
    let mut namespaces = Vec::new();
    for f in facts {
        namespaces.push(read_namespace(&programs, f)?);
    }
    Ok(LiveState {
        namespaces,
        forwarding: read_forwarding(),
    })
}

fn read_namespace(p: &Programs, f: &NamespaceFacts) -> Result<LiveNamespace, String> {
    let name = f.name.as_str();
    let registered = Path::new(NETNS_DIR).join(name);
    let mut ns = LiveNamespace {
        name: name.to_string(),
        present: registered.exists(),
        links: Vec::new(),
        routes: Vec::new(),
        disable_ipv6: false,
        tables: Vec::new(),
        handshakes: Vec::new(),
        resolv_conf: nameservers(&PathBuf::from(format!("/etc/netns/{name}/resolv.conf"))),
        processes: Vec::new(),
    };
    if ns.present {
        ns.links = parse_links(&p.json(&["-d", "-j", "-n", name, "addr"])?);
        for (family, flag) in [(Family::V4, "-4"), (Family::V6, "-6")] {
            ns.routes
                .extend(parse_routes(&p.json(&["-j", "-n", name, flag, "route"])?, family));
        }
        ns.disable_ipv6 = p
            .run_in(name, &p.sysctl, &["-n", "net.ipv6.conf.all.disable_ipv6"])
            .is_ok_and(|v| v.trim() == "1");
        let tables = p.run_in(name, &p.nft, &["-j", "list", "tables"])?;
        ns.tables = parse_tables(&serde_json::from_str(&tables).map_err(|e| format!("nft -j list tables: {e}"))?);
        for i in f.interfaces.iter().filter(|i| i.kind == InterfaceKind::Tunnel) {
            if !ns.links.iter().any(|l| l.name == i.name) {
                continue;
            }
            // A tunnel that is not WireGuard has no handshake to show.
            if let Ok(text) = p.run_in(name, &p.wg, &["show", &i.name, "latest-handshakes"]) {
                ns.handshakes.push((i.name.clone(), latest_handshake(&text)));
            }
        }
    }
    for s in &f.services {
        ns.processes.push(read_process(p, &s.unit, &registered));
    }
    Ok(ns)
}

fn read_process(p: &Programs, unit: &str, registered: &Path) -> LiveProcess {
    let pid = p
        .run(&p.systemctl, &["show", "-p", "MainPID", "--value", unit])
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|pid| *pid != 0);
    let Some(pid) = pid else {
        return LiveProcess {
            unit: unit.to_string(),
            pid: None,
            in_namespace: false,
            resolv_conf: Vec::new(),
            sockets_seen: Vec::new(),
        };
    };
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let id = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let ns_id = id(registered);
    let root = proc_dir.join("root");
    LiveProcess {
        unit: unit.to_string(),
        pid: Some(pid),
        in_namespace: ns_id.is_some() && id(&proc_dir.join("ns/net")) == ns_id,
        resolv_conf: nameservers(&root.join("etc/resolv.conf")),
        sockets_seen: RESOLVER_SOCKETS
            .iter()
            .filter(|(dir, socket)| root.join(dir.trim_start_matches('/')).join(socket).exists())
            .map(|(dir, _)| dir.to_string())
            .collect(),
    }
}

/// The host's forwarding switches, as the kernel has them now.
fn read_forwarding() -> HostForwarding {
    let on = |key: &str| {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::read_to_string(path)
            .is_ok_and(|v| v.trim() != "0")
            .then(|| (key.to_string(), Span::BUILTIN))
    };
    HostForwarding {
        v4: on("net.ipv4.conf.all.forwarding").or_else(|| on("net.ipv4.conf.default.forwarding")),
        v6: on("net.ipv6.conf.all.forwarding"),
    }
}

/// The `nameserver` addresses of a resolv.conf (none when it cannot be read).
pub fn nameservers(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver")).then(|| words.next().map(str::to_string))?
        })
        .collect()
}

/// `ip -d -j addr` → links.
pub fn parse_links(v: &Value) -> Vec<LiveLink> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let kind = l["linkinfo"]["info_kind"]
                .as_str()
                .or(l["link_type"].as_str())
                .unwrap_or("")
                .to_string();
            let addresses = l["addr_info"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["scope"].as_str() != Some("link"))
                .filter_map(|a| Some(format!("{}/{}", a["local"].as_str()?, a["prefixlen"].as_u64()?)))
                .collect();
            LiveLink {
                name: l["ifname"].as_str().unwrap_or("").to_string(),
                kind,
                addresses,
            }
        })
        .collect()
}

/// `ip -j route` of one family → routes (multicast and unicast alike; `proto kernel` marked).
pub fn parse_routes(v: &Value, family: Family) -> Vec<Route> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Route {
                family,
                to: r["dst"].as_str()?.to_string(),
                dev: r["dev"].as_str()?.to_string(),
                kernel: r["protocol"].as_str() == Some("kernel"),
            })
        })
        .collect()
}

/// `nft -j list tables` → `inet filter`, ….
pub fn parse_tables(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let t = &e["table"];
            Some(format!("{} {}", t["family"].as_str()?, t["name"].as_str()?))
        })
        .collect();
    out.sort();
    out
}

/// The latest of `wg show IFACE latest-handshakes` (`<key>\t<seconds>` a peer).
fn latest_handshake(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::join::RESOLVERS;

    #[test]
    fn the_resolver_lists_name_the_same_folders() {
        assert!(
            RESOLVERS
                .iter()
                .map(|(_, d)| *d)
                .eq(RESOLVER_SOCKETS.iter().map(|(d, _)| *d))
        );
    }

    #[test]
    fn ip_json_is_read() {
        let links = parse_links(
            &serde_json::from_str(
                r#"[{"ifname":"lo","link_type":"loopback","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
                    {"ifname":"host0","link_type":"ether","linkinfo":{"info_kind":"veth"},"addr_info":[
                      {"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"},
                      {"family":"inet6","local":"fd00::2","prefixlen":64,"scope":"global"}]}]"#,
            )
            .unwrap(),
        );
        assert_eq!(links[0].addresses, ["127.0.0.1/8"]);
        assert_eq!(
            (links[1].kind.as_str(), links[1].addresses.clone()),
            ("veth", vec!["fd00::2/64".to_string()])
        );
        let routes = parse_routes(
            &serde_json::from_str(
                r#"[{"dst":"default","dev":"wg0","flags":[]},{"dst":"10.0.0.0/30","dev":"host0","protocol":"kernel"}]"#,
            )
            .unwrap(),
            Family::V4,
        );
        assert!(!routes[0].kernel && routes[1].kernel);
        let tables = parse_tables(
            &serde_json::from_str(
                r#"{"nftables":[{"metainfo":{}},{"table":{"family":"inet","name":"filter","handle":1}}]}"#,
            )
            .unwrap(),
        );
        assert_eq!(tables, ["inet filter"]);
        assert_eq!(latest_handshake("k1\t0\nk2\t1700000000\n"), 1_700_000_000);
    }
}
