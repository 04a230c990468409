//! The probe: a joined service (`lp-probe-<ns>.service`, `netns = <ns>`, a oneshot started on
//! demand) that tries every way out of its namespace at once and writes what answered.

use super::{ECHO_PORT, HOST, HOST_LINKS, RESULTS, TOOLS, WORLD, bare};
use crate::common::nspawn::Container;
use std::collections::{BTreeMap, BTreeSet};

/// The targets every probe tries, over TCP and UDP: (name, socat family and address).
fn targets() -> Vec<(String, String)> {
    let at = |addr: &str, port: u16| {
        if addr.contains(':') {
            format!("6:[{addr}]:{port}")
        } else {
            format!("4:{addr}:{port}")
        }
    };
    let mut t = vec![
        ("world4".to_string(), at(WORLD[0], ECHO_PORT)),
        ("world6".into(), at(WORLD[1], ECHO_PORT)),
        ("dns-unlisted-world".into(), at(WORLD[0], 53)),
        ("host4".into(), at(HOST[0], ECHO_PORT)),
        ("host6".into(), at(HOST[1], ECHO_PORT)),
        ("dns-unlisted-host".into(), at(HOST[0], 53)),
    ];
    for (ns, host_end, _) in HOST_LINKS {
        t.push((format!("link-{ns}"), at(bare(host_end), ECHO_PORT)));
    }
    t
}

/// How many seconds an attempt waits for an answer: a first packet into a tunnel waits for its
/// handshake, and the machine may be busy; every attempt that gets none takes this long.
pub const ANSWER_WITHIN: u32 = 4;

/// The host's resolver sockets (SPEC §8): a joined service must not reach them.
pub const RESOLVER_SOCKETS: [(&str, &str); 2] = [
    ("resolver-nscd", "/run/nscd/socket"),
    ("resolver-resolved", "/run/systemd/resolve/io.systemd.Resolve"),
];

/// The probe's script: `probe.sh NS` writes `RESULTS/NS`, one line an attempt,
/// `<name>-<tcp|udp> <first line of the answer, or ->`. Each attempt has `ANSWER_WITHIN`
/// seconds; all run at once.
/// The servers of the namespace's /etc/resolv.conf are tried as `dns-configured-<n>`.
pub fn script() -> String {
    let t = ANSWER_WITHIN;
    let mut s = format!(
        "#!/bin/sh
# The leak probe of tests/leak_boot.rs: tries every way out of its namespace, at once.
set -u
dir=$(mktemp -d)
tcp() {{ socat -T {t} -u \"TCP$2,connect-timeout={t}\" - 2>/dev/null | head -n 1 > \"$dir/$1-tcp\"; }}
udp() {{ echo probe | socat -t {t} -T {t} - \"UDP$2\" 2>/dev/null | head -n 1 > \"$dir/$1-udp\"; }}
both() {{ tcp \"$1\" \"$2\" & udp \"$1\" \"$2\" & }}
unix() {{
  if socat -u \"UNIX-CONNECT:$2\" /dev/null 2>/dev/null; then echo connected; fi > \"$dir/$1\"
}}
",
    );
    for (name, addr) in targets() {
        s.push_str(&format!("both {name} '{addr}'\n"));
    }
    for (name, path) in RESOLVER_SOCKETS {
        s.push_str(&format!("unix {name} {path} &\n"));
    }
    s.push_str(&format!(
        "n=0
for server in $(sed -n 's/^nameserver //p' /etc/resolv.conf); do
  n=$((n + 1))
  case $server in
    *:*) both dns-configured-$n \"6:[$server]:53\" ;;
    *) both dns-configured-$n \"4:$server:53\" ;;
  esac
done
wait
mkdir -p {RESULTS}
for f in \"$dir\"/*; do
  answer=$(cat \"$f\")
  printf '%s %s\\n' \"${{f##*/}}\" \"${{answer:--}}\"
done > \"$dir.out\"
mv \"$dir.out\" {RESULTS}/\"$1\"
rm -r \"$dir\"
"
    ));
    s
}

/// The unit of the probe of `ns` (its `netns` drop-in comes from the compiled tree).
pub fn unit(ns: &str) -> String {
    format!(
        "[Unit]\nDescription=leak probe in network namespace {ns}\n\n[Service]\nType=oneshot\n\
         ExecStart=/bin/sh {TOOLS}/probe.sh {ns}\n"
    )
}

pub fn unit_name(ns: &str) -> String {
    format!("lp-probe-{ns}.service")
}

/// What one run of a probe saw: attempt → answer (`-` for none).
#[derive(Debug)]
pub struct Findings(pub BTreeMap<String, String>);

impl Findings {
    /// The attempts that got an answer.
    pub fn reached(&self) -> BTreeSet<&str> {
        self.0
            .iter()
            .filter(|(_, a)| *a != "-")
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The verdict of SPEC §13 (as docs/audit.md defines it) from what answered: the world
    /// answers only through a tunnel (the peer does not forward; the peer's counters prove
    /// that nothing else reached it). Beside it, the host answering on a host link is the host,
    /// not a way around the tunnel — but a DNS server on the host's side, or the host's resolver
    /// socket, resolves names through the host's own upstream: a leak around it.
    pub fn verdict(&self) -> &'static str {
        let answered = |p: fn(&str) -> bool| self.0.values().any(|a| p(a));
        let world = answered(|a| a.starts_with("world"));
        let host = answered(|a| a.starts_with("host") || a == "connected");
        let host_resolves = answered(|a| a == "host-dns" || a == "connected");
        match (world, host) {
            (true, _) if host_resolves => "open",
            (true, _) => "tunnel-only",
            (false, true) => "host-only",
            (false, false) => "closed",
        }
    }
}

/// Start the probe of `ns` under systemd (a oneshot: `start` returns when it is done) and
/// read what it wrote. A joined service `Requires=` its namespace's tunnel unit, so starting
/// it starts a stopped tunnel; `alone` starts it with `--job-mode=ignore-requirements`, in
/// its namespace with the tunnel left stopped, as a joined service that outlived its tunnel.
pub fn run(c: &Container, ns: &str, alone: bool) -> Findings {
    let unit = unit_name(ns);
    let mut start = vec!["systemctl", "start", &unit];
    if alone {
        start.push("--job-mode=ignore-requirements");
    }
    c.run_ok(&start);
    let path = format!("{RESULTS}/{ns}");
    let text = c.run_ok(&["cat", &path]);
    c.run_ok(&["rm", &path]);
    Findings(
        text.lines()
            .filter_map(|l| {
                let (name, answer) = l.split_once(' ')?;
                Some((name.to_string(), answer.to_string()))
            })
            .collect(),
    )
}
