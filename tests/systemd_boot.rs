//! SPEC §3.5 and §8 under a real systemd: this machine's own systemd 252, booted as PID 1 of
//! a throwaway container (`common::nspawn`), runs the units of `build --host-tools --prefix P`.
//! The tree is bound read-only at P; its units, install links and drop-ins are linked into the
//! container's /etc/systemd/system (a host temporary folder bound there, so that a reboot keeps
//! them), the `enable = false` unit masked by the tree's own /dev/null link. Then systemctl and /proc say what
//! systemd really did: the units started at boot from `wantedBy`/`requiredBy`, joiners in their
//! namespace (network namespace inode), their resolv.conf (also after an in-place update), the
//! resolver sockets out of their reach when the resolver starts before them, after them, and
//! restarts (two resolvers simulated with the `RuntimeDirectory=` settings of systemd-resolved and
//! of NixOS's nscd), `BindsTo=` both ways, a namespace unit whose ruleset nft rejects, names
//! with spaces and UTF-8, and `systemd-analyze verify` inside. One container serves every
//! assertion (two boots: the reboot brings the resolvers up at boot); around it, the host's
//! /tmp, /run/netns and nftables ruleset must stay as they were.
//!
//! Needs root, systemd-nspawn (systemd-container) and nsenter; without them the test says
//! `SKIPPED: … because …`, and fails instead when `CI` is set.

mod common;
mod harden;

use common::nspawn::{self, Boot, Container};
use common::skip;
use harden::{build_config_at, configured_ruleset, configured_sysctls, note, ruleset_tables, run_cmd, tempdir};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// Where the compiled tree is bound in the container (the units' `--prefix`).
const PREFIX: &str = "/opt/netns-boot";

const WEB: &str = "web lab ☃";

fn config() -> Value {
    json!({
        "networking": { "nftables": {
            "enable": true,
            "ruleset": "table inet boot_global {\n  chain input { type filter hook input priority 0; policy accept; }\n}\n",
        } },
        "boot": { "kernel": { "sysctl": { "net.ipv4.ip_forward": 1, "net.ipv4.ip_local_port_range": "20000 30000" } } },
        "systemd": { "services": {
            "rt-web": { "netns": WEB },
            "rt-late": { "netns": "late" },
            "rt-broken": { "netns": "broken" },
        } },
        "services": { "netns": { "namespaces": {
            WEB: {
                "service": { "wantedBy": ["multi-user.target"] },
                "sysctl": { "net.ipv4.ip_forward": 0, "net.core.somaxconn": 1234, "net.ipv4.conf.all.rp_filter": true },
                "nftables": "table inet web_lab {\n  chain input { type filter hook input priority 0; policy drop; iif lo accept; }\n}\n",
            },
            "req": { "service": { "requiredBy": ["multi-user.target"] } },
            // nft rejects the policy: the unit fails after `ip netns attach` registered it.
            "broken": {
                "service": { "wantedBy": ["multi-user.target"] },
                "nftables": "table inet broken {\n  chain input { type filter hook input priority 0; policy sideways; }\n}\n",
            },
            "off": { "service": { "enable": false, "wantedBy": ["multi-user.target"] } },
            "late": {},
        } } },
    })
}

/// A joining service: records the network namespace of every run, then stays up.
fn joiner(wanted_at_boot: bool) -> String {
    let install = if wanted_at_boot {
        "\n[Install]\nWantedBy=multi-user.target\n"
    } else {
        ""
    };
    format!(
        "[Unit]\nDescription=a service that joins a namespace\n\n[Service]\n\
         ExecStart=/bin/sh -c 'readlink /proc/self/ns/net >> /run/ran-%N; exec sleep infinity'\n{install}"
    )
}

/// A resolver stand-in: its `RuntimeDirectory=` as the real one has it, and a socket in it
/// that closes every connection at once (glibc's NSS clients — `ip`, `sysctl` of the namespace
/// units ask nscd — then fall back at once; a socket that accepted and never answered would
/// make each of them wait for glibc's 10 s timeout).
fn resolver(runtime_dir: &str, socket: &str, preserve: bool) -> String {
    format!(
        "[Unit]\nDescription=resolver stand-in ({runtime_dir})\n\n[Service]\n\
         RuntimeDirectory={runtime_dir}\nRuntimeDirectoryPreserve={}\nRestart=always\nRestartSec=100ms\n\
         ExecStartPre=/bin/rm -f {socket}\n\
         ExecStart=/usr/bin/systemd-socket-activate --accept --listen={socket} /bin/true\n",
        if preserve { "yes" } else { "no" }
    )
}

/// systemd-resolved keeps its folder (`RuntimeDirectoryPreserve=yes`); NixOS's nscd does not.
const RESOLVERS: [(&str, &str, &str, bool); 2] = [
    ("nscd.service", "nscd", "/run/nscd/socket", false),
    (
        "systemd-resolved.service",
        "systemd/resolve",
        "/run/systemd/resolve/io.systemd.Resolve",
        true,
    ),
];

/// What of the host the harness must leave alone.
#[derive(Debug, PartialEq)]
struct HostState {
    netns: Vec<String>,
    ruleset: String,
    canary: BTreeMap<String, (String, Vec<u8>, u32)>,
}

/// The container's namespace names.
const NAMES: [&str; 5] = [WEB, "req", "broken", "off", "late"];

/// The host as it was: its ruleset and the /tmp canary byte for byte, and /run/netns — with
/// `CI` set (test binaries run one at a time) entry for entry; on a shared machine, where other
/// runs register their own namespaces meanwhile, at least none of the container's names.
fn assert_host_clean(now: &HostState, before: &HostState) {
    assert_eq!(now.ruleset, before.ruleset, "the host's nftables ruleset changed");
    assert_eq!(now.canary, before.canary, "the /tmp canary changed");
    let ours: Vec<&String> = now.netns.iter().filter(|n| NAMES.contains(&n.as_str())).collect();
    assert!(ours.is_empty(), "the container's namespaces are on the host: {ours:?}");
    if std::env::var_os("CI").is_some() {
        assert_eq!(now.netns, before.netns, "the host's /run/netns changed");
    } else if now.netns != before.netns {
        note(&format!(
            "systemd_boot: the host's /run/netns changed meanwhile (other runs): {:?} -> {:?}",
            before.netns, now.netns
        ));
    }
}

fn host_state(canary: &Path) -> HostState {
    let mut netns: Vec<String> = fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    netns.sort();
    HostState {
        netns,
        ruleset: run_cmd("nft", &["list", "ruleset"]).stdout,
        canary: common::tree(canary),
    }
}

/// Entries of the host's /tmp older than an hour: nobody's test removes those while we run,
/// but systemd-tmpfiles at a boot over the host's root would.
fn old_tmp_entries() -> Vec<String> {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let mut v: Vec<String> = fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .filter(|e| e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A folder in the host's /tmp that tmpfiles' rules would clean (age) or empty (boot).
fn plant_canary() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("netns-boot-canary-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/old"), "old\n").unwrap();
    fs::write(dir.path().join("fresh"), "fresh\n").unwrap();
    let old = SystemTime::now() - Duration::from_secs(90 * 24 * 3600);
    // Files first, then their folder (writing a file updates its folder's time). futimens
    // on a read-only descriptor is enough for the owner.
    for p in ["sub/old", "sub"] {
        let f = fs::File::open(dir.path().join(p)).unwrap();
        f.set_modified(old).unwrap();
    }
    dir
}

struct Harness {
    c: Container,
    config: Value,
    manifest: Value,
    checks: Vec<String>,
    t0: Instant,
}

impl Harness {
    fn pass(&mut self, what: String) {
        note(&format!(
            "systemd_boot: [{:.1} s] {what}",
            self.t0.elapsed().as_secs_f64()
        ));
        self.checks.push(what);
    }

    fn unit_of(&self, ns: &str) -> String {
        self.manifest["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["namespace"] == json!(ns))
            .map(|u| u["unit"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no unit for {ns:?}"))
    }

    fn state(&self, unit: &str) -> String {
        self.c.property(unit, "ActiveState")
    }

    fn ok(&self, argv: &[&str]) -> String {
        self.c.run_ok(argv)
    }

    /// The network namespace of /run/netns/NAME, as `net:[inode]`.
    fn registered_netns(&self, ns: &str) -> String {
        let ino = self.ok(&["stat", "-L", "-c", "%i", &format!("/run/netns/{ns}")]);
        format!("net:[{}]", ino.trim())
    }

    fn pid_netns(&self, pid: u32) -> String {
        self.ok(&["readlink", &format!("/proc/{pid}/ns/net")])
            .trim()
            .to_string()
    }

    fn running_pid(&self, unit: &str) -> u32 {
        self.c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
        let start = Instant::now();
        loop {
            if let Some(p) = self.c.main_pid(unit) {
                return p;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "{unit}: no MainPID");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Run `script` in the mount and network namespaces of a unit's main process.
    fn in_service(&self, unit: &str, script: &str, args: &[&str]) -> nspawn::Run {
        let pid = self.running_pid(unit).to_string();
        let mut argv = vec!["nsenter", "-t", &pid, "-m", "-n", "--", "sh", "-c", script, "sh"];
        argv.extend_from_slice(args);
        self.c.exec(&argv)
    }

    /// Every network namespace a joiner ran in (its runs append to /run/ran-<unit>).
    fn runs(&self, unit: &str) -> Vec<String> {
        let stem = unit.trim_end_matches(".service");
        let r = self.c.exec(&["cat", &format!("/run/ran-{stem}")]);
        r.stdout.lines().map(str::to_string).collect()
    }

    /// The joiner runs in the namespace registered as `ns` (not in the container's own), and
    /// its latest run logged that namespace from inside.
    fn assert_joined(&mut self, unit: &str, ns: &str) {
        let pid = self.running_pid(unit);
        let want = self.registered_netns(ns);
        let root = self.pid_netns(1);
        let got = self.pid_netns(pid);
        assert_eq!(got, want, "{unit} (pid {pid}) is not in /run/netns/{ns}");
        assert_ne!(got, root, "{unit} runs in the container's own network namespace");
        let runs = self.runs(unit);
        assert_eq!(runs.last(), Some(&want), "{unit}: runs {runs:?}");
        self.pass(format!(
            "{unit} runs in {ns:?}: /proc/{pid}/ns/net = /run/netns/{ns} = {want}"
        ));
    }

    /// Neither resolver socket is reachable in `unit`, while from the container's root both
    /// that run are.
    fn assert_resolvers_hidden(&mut self, unit: &str, when: &str) {
        let mut seen = Vec::new();
        for (resolver, _, socket, _) in RESOLVERS {
            if self.state(resolver) == "active" {
                let r = self.c.exec(&["test", "-S", socket]);
                assert!(
                    r.ok(),
                    "{resolver} is active but {socket} is no socket in the container"
                );
                seen.push(socket);
            }
            let r = self.in_service(
                unit,
                "for p in \"$@\"; do if [ -e \"$p\" ]; then echo \"visible: $p\"; fi; ls -A \"$(dirname \"$p\")\" 2>/dev/null; done; true",
                &[socket],
            );
            assert!(r.ok(), "{unit}: {}", r.stderr);
            assert_eq!(r.stdout.trim(), "", "{unit} reaches the resolver ({when}): {socket}");
        }
        self.pass(format!(
            "{unit}: resolver sockets unreachable ({when}; up in the container: {seen:?})"
        ));
    }
}

#[test]
fn units_under_systemd_252_as_pid_1() {
    let test = "systemd_boot::units_under_systemd_252_as_pid_1";
    if let Some(why) = nspawn::unavailable() {
        skip(test, &why);
        return;
    }
    let t0 = Instant::now();
    let canary = plant_canary();
    let host_before = host_state(canary.path());
    let tmp_before = old_tmp_entries();

    let work = tempdir("boot");
    let config = config();
    let out = build_config_at(&config, work.path(), PREFIX);
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(out.join("share/netns-compile/manifest.json")).unwrap()).unwrap();
    let etc = work.path().join("etc");
    fs::create_dir(&etc).unwrap();
    // Every entry of the tree linked as it is: a disabled unit is masked by the tree's own
    // link to /dev/null, not by this harness.
    nspawn::link_units(&out, &etc, PREFIX, &[]);
    fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
    for (unit, at_boot) in [
        ("rt-web.service", true),
        ("rt-broken.service", true),
        ("rt-late.service", false),
    ] {
        fs::write(etc.join(unit), joiner(at_boot)).unwrap();
        if at_boot {
            symlink(format!("../{unit}"), etc.join("multi-user.target.wants").join(unit)).unwrap();
        }
    }
    for (unit, dir, socket, preserve) in RESOLVERS {
        fs::write(etc.join(unit), resolver(dir, socket, preserve)).unwrap();
    }

    let boot = Boot {
        bind_ro: vec![(out.clone(), PREFIX.into())],
        bind: vec![(etc.clone(), "/etc/systemd/system".into())],
    };
    let c = Container::boot(&boot).unwrap_or_else(|e| panic!("{e}"));
    let booted = t0.elapsed();
    let mut h = Harness {
        c,
        config,
        manifest,
        checks: Vec::new(),
        t0,
    };
    first_boot(&mut h);
    // While the container runs with its namespaces up, the host has none of them.
    assert_host_clean(&host_state(canary.path()), &host_before);
    second_boot(&mut h, &etc);
    let leader = h.c.leader();
    let Harness { c, checks, .. } = h;
    let stopping = Instant::now();
    drop(c);
    note(&format!(
        "systemd_boot: container stopped in {:.1} s",
        stopping.elapsed().as_secs_f64()
    ));
    assert!(
        !Path::new(&format!("/proc/{leader}")).exists()
            || fs::read_to_string(format!("/proc/{leader}/comm")).is_ok_and(|c| c.trim() != "systemd"),
        "the container's PID 1 survived the harness"
    );

    // The host: nothing of the container's doing is left.
    let host_after = host_state(canary.path());
    assert_host_clean(&host_after, &host_before);
    let tmp_after = old_tmp_entries();
    let gone: Vec<&String> = tmp_before.iter().filter(|e| !tmp_after.contains(e)).collect();
    assert!(gone.is_empty(), "entries of the host's /tmp vanished: {gone:?}");
    note(&format!(
        "systemd_boot: host untouched: /run/netns {:?}, nftables ruleset ({} bytes) and the /tmp canary \
         (90-day-old files) unchanged, {} old /tmp entries all kept",
        host_after.netns,
        host_after.ruleset.len(),
        tmp_before.len()
    ));
    note(&format!(
        "systemd_boot: {} checks in {:.1} s (first boot ready after {:.1} s)",
        checks.len(),
        t0.elapsed().as_secs_f64(),
        booted.as_secs_f64()
    ));
}

/// Boot 1: the namespace units and joiners of the configuration, no resolver running.
fn first_boot(h: &mut Harness) {
    let web = h.unit_of(WEB);
    let [req, broken, off, late] = ["req", "broken", "off", "late"].map(|n| h.unit_of(n));

    // At boot, from wantedBy/requiredBy.
    for (unit, how) in [(&web, "wantedBy"), (&req, "requiredBy")] {
        let s =
            h.c.wait_active(unit, &["active", "failed"])
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s, "active", "{unit}: {}", h.c.systemctl(&["status", unit]).stdout);
        h.pass(format!("{unit} started at boot from {how} multi-user.target"));
    }
    // A ruleset nft rejects: the unit fails and its joiner never runs.
    let s = h.c.wait_active(&broken, &["failed"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s, "failed");
    h.c.wait_active("rt-broken.service", &["inactive", "failed"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.runs("rt-broken.service"), Vec::<String>::new(), "rt-broken ran");
    let again = h.c.systemctl(&["start", "rt-broken.service"]);
    assert!(!again.ok(), "rt-broken.service started although {broken} failed");
    assert_eq!(h.runs("rt-broken.service"), Vec::<String>::new(), "rt-broken ran");
    assert_eq!(h.state("rt-broken.service"), "inactive");
    h.pass(format!(
        "{broken} failed (nft rejects its ruleset); rt-broken.service never ran, at boot nor when started \
         (no fresh empty namespace, systemd issue 17485): {}",
        again.stderr.lines().next().unwrap_or("").trim()
    ));
    // enable = false: masked, not started, cannot be started.
    assert_eq!(h.c.systemctl(&["is-enabled", &off]).stdout.trim(), "masked");
    assert_eq!(h.state(&off), "inactive");
    assert!(!h.c.systemctl(&["start", &off]).ok(), "{off} started");
    assert!(
        !h.c.exec(&["test", "-e", "/run/netns/off"]).ok(),
        "/run/netns/off exists"
    );
    h.pass(format!(
        "{off} (enable = false, with a wantedBy link) masked, not started at boot nor on demand"
    ));
    assert_eq!(h.state(&late), "inactive", "{late} started without a reason");

    // What is inside the namespaces, as the configuration says.
    let root_ruleset = h.ok(&["nft", "list", "ruleset"]);
    for ns in [WEB, "req"] {
        let unit = h.unit_of(ns);
        let lo = h.ok(&["ip", "-n", ns, "-o", "link", "show", "lo"]);
        assert!(lo.contains(",UP") || lo.contains("<UP"), "{unit}: lo down: {lo}");
        for (key, want) in configured_sysctls(&h.config, ns) {
            let got = h.ok(&["ip", "netns", "exec", ns, "sysctl", "-n", &key]);
            let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(norm(&got), norm(&want), "{unit}: {key}");
        }
        let inside = h.ok(&["ip", "netns", "exec", ns, "nft", "list", "ruleset"]);
        let tables = ruleset_tables(&configured_ruleset(&h.config, ns));
        assert!(!tables.is_empty());
        for t in &tables {
            assert!(inside.contains(&format!("{t} {{")), "{unit}: {t} not loaded inside");
            assert!(!root_ruleset.contains(&format!("{t} {{")), "{unit}: {t} outside");
        }
        h.ok(&["test", "-f", &format!("/etc/netns/{ns}/resolv.conf")]);
        h.pass(format!(
            "{unit}: /run/netns/{ns}, lo up, its configured sysctls and tables {tables:?} inside only"
        ));
    }

    // The joiner started at boot, in its namespace, with its resolv.conf.
    h.assert_joined("rt-web.service", WEB);
    let resolv = format!("/etc/netns/{WEB}/resolv.conf");
    let pid = h.running_pid("rt-web.service");
    let ino = h.ok(&["stat", "-c", "%i", &resolv]);
    h.ok(&["sh", "-c", "printf 'nameserver 192.0.2.53\\n' > \"$1\"", "sh", &resolv]);
    let seen = h.in_service("rt-web.service", "cat /etc/resolv.conf", &[]);
    assert_eq!(
        seen.stdout, "nameserver 192.0.2.53\n",
        "rt-web's /etc/resolv.conf: {}",
        seen.stderr
    );
    // Truncated in place, never replaced: the bind mount follows the same inode.
    h.ok(&[
        "sh",
        "-c",
        "printf 'nameserver 198.51.100.7\\nsearch example.test\\n' > \"$1\"",
        "sh",
        &resolv,
    ]);
    assert_eq!(
        h.ok(&["stat", "-c", "%i", &resolv]),
        ino,
        "the update replaced the file"
    );
    let seen = h.in_service("rt-web.service", "cat /etc/resolv.conf", &[]);
    assert_eq!(seen.stdout, "nameserver 198.51.100.7\nsearch example.test\n");
    assert_eq!(h.running_pid("rt-web.service"), pid, "rt-web restarted");
    h.pass(format!(
        "rt-web.service sees {resolv} as /etc/resolv.conf, and an in-place update without a restart"
    ));

    // Resolvers started after the joiner: their folders were made (empty) when it started.
    h.assert_resolvers_hidden("rt-web.service", "no resolver yet");
    for (resolver, ..) in RESOLVERS {
        assert!(h.c.systemctl(&["start", resolver]).ok(), "{resolver} does not start");
    }
    assert_eq!(
        h.running_pid("rt-web.service"),
        pid,
        "starting a resolver restarted rt-web"
    );
    h.assert_resolvers_hidden("rt-web.service", "resolvers started after it");
    // Restarts: systemd-resolved keeps its folder; nscd's is removed and made anew, which
    // would uncover it: PartOf= restarts the joiner after it.
    for (resolver, _, _, preserve) in RESOLVERS {
        let before = h.running_pid("rt-web.service");
        assert!(
            h.c.systemctl(&["restart", resolver]).ok(),
            "{resolver} does not restart"
        );
        h.c.wait_active(resolver, &["active"]).unwrap_or_else(|e| panic!("{e}"));
        h.assert_resolvers_hidden(
            "rt-web.service",
            &format!("after `systemctl restart {resolver}` (RuntimeDirectoryPreserve={preserve})"),
        );
        let after = h.running_pid("rt-web.service");
        assert_ne!(before, after, "rt-web was not restarted with {resolver}");
    }
    // A crash and automatic restart (Restart=always) of the resolver that removes its folder.
    let before = h.running_pid("rt-web.service");
    let nscd = h.running_pid("nscd.service").to_string();
    h.ok(&["kill", "-KILL", &nscd]);
    let start = Instant::now();
    while h.c.main_pid("nscd.service").is_none_or(|p| p.to_string() == nscd) || h.state("nscd.service") != "active" {
        assert!(start.elapsed() < Duration::from_secs(30), "nscd did not restart");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.assert_resolvers_hidden("rt-web.service", "after nscd was killed and restarted itself");
    assert_ne!(
        h.running_pid("rt-web.service"),
        before,
        "rt-web was not restarted with nscd"
    );
    h.assert_joined("rt-web.service", WEB);

    // BindsTo=: a joiner started alone pulls its namespace in; stopping or restarting the
    // namespace stops or restarts it.
    assert!(h.c.systemctl(&["start", "rt-late.service"]).ok());
    assert_eq!(h.state(&late), "active", "{late} not pulled in");
    h.assert_joined("rt-late.service", "late");
    assert!(h.c.systemctl(&["stop", &late]).ok());
    h.c.wait_active("rt-late.service", &["inactive"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !h.c.exec(&["test", "-e", "/run/netns/late"]).ok(),
        "ExecStop left /run/netns/late"
    );
    h.pass(format!(
        "rt-late.service pulled {late} in when started alone, and stopped with it"
    ));
    let before = h.running_pid("rt-web.service");
    assert!(h.c.systemctl(&["restart", &web]).ok());
    let after = h.running_pid("rt-web.service");
    assert_ne!(before, after, "rt-web.service not restarted with {web}");
    h.pass(format!("rt-web.service restarted with {web}"));
    h.assert_joined("rt-web.service", WEB);
    let runs = h.runs("rt-web.service");
    let registered = h.registered_netns(WEB);
    assert_eq!(runs.last(), Some(&registered));

    // systemd-analyze verify of what is installed, inside.
    let mut units: Vec<String> = [&web, &req, &broken, &late]
        .iter()
        .map(|u| format!("/etc/systemd/system/{u}"))
        .collect();
    units.extend(["rt-web", "rt-late", "rt-broken"].map(|s| format!("/etc/systemd/system/{s}.service")));
    let mut argv = vec!["systemd-analyze", "verify", "--man=no"];
    argv.extend(units.iter().map(String::as_str));
    let r = h.c.exec(&argv);
    assert!(
        r.ok() && r.stderr.trim().is_empty(),
        "systemd-analyze verify: {}{}",
        r.stdout,
        r.stderr
    );
    h.pass(format!(
        "systemd-analyze verify inside: {} installed units with their drop-ins, no warning",
        units.len()
    ));
}

/// Boot 2: the resolvers start at boot too; the joiner is ordered after them.
fn second_boot(h: &mut Harness, etc: &Path) {
    for (resolver, ..) in RESOLVERS {
        symlink(
            format!("../{resolver}"),
            etc.join("multi-user.target.wants").join(resolver),
        )
        .unwrap();
    }
    h.c.reboot().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.c.boots(), 2);
    let web = h.unit_of(WEB);
    h.c.wait_active(&web, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    h.pass(format!("after a reboot, {web} started at boot again"));
    h.assert_joined("rt-web.service", WEB);
    let started = |unit: &str| -> u64 {
        h.c.property(unit, "ExecMainStartTimestampMonotonic")
            .parse()
            .unwrap_or(0)
    };
    for (resolver, ..) in RESOLVERS {
        h.c.wait_active(resolver, &["active"]).unwrap_or_else(|e| panic!("{e}"));
        let (r, j) = (
            h.c.property(resolver, "ActiveEnterTimestampMonotonic"),
            started("rt-web.service"),
        );
        let r: u64 = r.parse().unwrap_or(u64::MAX);
        assert!(
            r > 0 && r <= j,
            "rt-web.service ({j}) started before {resolver} was up ({r})"
        );
    }
    h.assert_resolvers_hidden("rt-web.service", "resolvers started at boot, before it");
}
