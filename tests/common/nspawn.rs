//! A throwaway container that boots this machine's own systemd as its PID 1, for the tests
//! that need a real service manager (SPEC §8, §12).
//!
//! `systemd-nspawn -D / --volatile=yes --private-network --register=no --keep-unit -b` boots
//! the host's OS with a fresh tmpfs as its root (only /usr comes from the host, read-only),
//! a PID namespace of its own and a network namespace of its own: whatever systemd does in
//! it — tmpfiles cleaning /tmp, units creating /run/netns entries or nftables rulesets —
//! stays inside. (Never start systemd as PID 1 in a bare PID namespace over the host's own
//! root instead: its tmpfiles empty the host's /tmp.) Host folders come in with `bind_ro`
//! (read-only) and `bind` (writable; they survive a reboot, the tmpfs root does not).
//!
//! ```ignore
//! let c = Container::boot(&Boot { bind_ro: vec![(tree, "/opt/x".into())], ..Boot::default() })?;
//! c.systemctl(&["start", "foo.service"]);
//! c.wait_active("foo.service", &["active"])?;
//! let r = c.exec(&["cat", "/run/foo"]);
//! ```
//! Dropping the container always ends it (orderly, then by SIGKILL).
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a booted container gets from the host.
#[derive(Clone, Debug, Default)]
pub struct Boot {
    /// (host path, path in the container), bound read-only.
    pub bind_ro: Vec<(PathBuf, String)>,
    /// (host path, path in the container), bound writable.
    pub bind: Vec<(PathBuf, String)>,
}

/// The result of a command run in the container.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// How long a boot (or a state change) may take before the harness gives up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Why no container can be booted here, if none can.
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root (systemd-nspawn needs it)".into());
    }
    for (tool, package) in [
        ("/usr/bin/systemd-nspawn", "systemd-container"),
        ("/usr/bin/nsenter", "util-linux"),
        ("/usr/lib/systemd/systemd", "systemd"),
    ] {
        if !Path::new(tool).exists() {
            return Some(format!("{tool} is missing (tests/run.sh installs {package})"));
        }
    }
    None
}

/// A booted container; dropped, it is powered off (or killed).
pub struct Container {
    machine: String,
    boot: Boot,
    nspawn: Child,
    leader: i32,
    log: PathBuf,
    _logdir: tempfile::TempDir,
    boots: usize,
}

impl Container {
    /// Boot a container and wait until its systemd reports `running` or `degraded` (a unit
    /// of the host's OS that fails in a container, e.g. one that needs /etc files the tmpfs
    /// root lacks, makes it degraded; the caller checks the units it cares about).
    pub fn boot(boot: &Boot) -> Result<Container, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let machine = format!(
            "netns-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let logdir = tempfile::Builder::new()
            .prefix("netns-nspawn-")
            .tempdir()
            .map_err(|e| format!("a temporary folder: {e}"))?;
        let log = logdir.path().join("console.log");
        let nspawn = spawn_nspawn(&machine, boot, &log)?;
        let mut c = Container {
            machine,
            boot: boot.clone(),
            nspawn,
            leader: 0,
            log,
            _logdir: logdir,
            boots: 0,
        };
        c.await_boot()?;
        Ok(c)
    }

    /// The container's PID 1, as the host sees it.
    pub fn leader(&self) -> i32 {
        self.leader
    }

    /// The machine name (also its hostname).
    pub fn machine(&self) -> &str {
        &self.machine
    }

    /// How many times it booted (1 after `boot`, +1 for each `reboot`).
    pub fn boots(&self) -> usize {
        self.boots
    }

    /// Run `argv` in the container: `nsenter -t <PID 1> -a`, a clean environment.
    pub fn exec(&self, argv: &[&str]) -> Run {
        let out = Command::new("nsenter")
            .arg("-t")
            .arg(self.leader.to_string())
            .args(["-a", "--"])
            .args(argv)
            .env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) => Run {
                code: o.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
            Err(e) => Run {
                code: -1,
                stdout: String::new(),
                stderr: format!("nsenter: {e}"),
            },
        }
    }

    /// Run `argv` in the container and return its standard output; panics when it fails.
    pub fn run_ok(&self, argv: &[&str]) -> String {
        let r = self.exec(argv);
        assert!(r.ok(), "{argv:?} in the container: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    /// The packets counted by the rule with `comment` in nftables table `inet <table>` of
    /// network namespace `namespace` (the tunnel tests' leak counters on a peer's underlay).
    pub fn nft_counter(&self, namespace: &str, table: &str, comment: &str) -> u64 {
        let t = self.run_ok(&["ip", "netns", "exec", namespace, "nft", "list", "table", "inet", table]);
        let line = t
            .lines()
            .find(|l| l.contains(&format!("comment \"{comment}\"")))
            .unwrap_or_else(|| panic!("no {comment} rule in {t}"));
        super::nft_packets(line)
    }

    /// `sh -c script` in the container, with `args` as `$1`, `$2`, ….
    pub fn sh(&self, script: &str, args: &[&str]) -> Run {
        let mut argv = vec!["sh", "-c", script, "sh"];
        argv.extend_from_slice(args);
        self.exec(&argv)
    }

    /// `systemctl ARGS` in the container.
    pub fn systemctl(&self, args: &[&str]) -> Run {
        let mut argv = vec!["systemctl", "--no-pager", "--no-ask-password"];
        argv.extend_from_slice(args);
        self.exec(&argv)
    }

    /// One property of a unit (`systemctl show -P`).
    pub fn property(&self, unit: &str, property: &str) -> String {
        self.systemctl(&["show", "-P", property, "--", unit])
            .stdout
            .trim()
            .to_string()
    }

    /// Wait until the unit's `ActiveState` is one of `states`; returns the state reached.
    pub fn wait_active(&self, unit: &str, states: &[&str]) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let s = self.property(unit, "ActiveState");
            if states.contains(&s.as_str()) {
                return Ok(s);
            }
            if start.elapsed() > TIMEOUT {
                let status = self.systemctl(&["status", "--", unit]);
                return Err(format!(
                    "{unit}: ActiveState {s:?} after {TIMEOUT:?}, want one of {states:?}\n{}{}",
                    status.stdout, status.stderr
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The unit's main process, as the container sees it (None when it has none).
    pub fn main_pid(&self, unit: &str) -> Option<u32> {
        self.property(unit, "MainPID").parse().ok().filter(|p| *p != 0)
    }

    /// Reboot: `systemctl reboot` inside; nspawn exits with 133 (a reboot request, which
    /// `systemd-nspawn@.service` answers by starting it again), and so does this: the same
    /// machine, binds and arguments, a fresh tmpfs root.
    pub fn reboot(&mut self) -> Result<(), String> {
        let _ = self.systemctl(&["reboot"]);
        let status = wait_child(&mut self.nspawn, TIMEOUT)
            .ok_or_else(|| format!("{}: did not stop after `systemctl reboot`", self.machine))?;
        if status.code() != Some(133) {
            return Err(format!(
                "{}: nspawn exited with {status} after `systemctl reboot`, not 133:\n{}",
                self.machine,
                self.console_tail()
            ));
        }
        self.nspawn = spawn_nspawn(&self.machine, &self.boot, &self.log)?;
        self.await_boot()
    }

    /// The end of the container's console output (for failure messages).
    pub fn console_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn await_boot(&mut self) -> Result<(), String> {
        let start = Instant::now();
        self.leader = loop {
            if let Some(pid) = find_leader(self.nspawn.id() as i32) {
                break pid;
            }
            if let Ok(Some(status)) = self.nspawn.try_wait() {
                return Err(format!(
                    "{}: systemd-nspawn exited ({status}) before booting:\n{}",
                    self.machine,
                    self.console_tail()
                ));
            }
            if start.elapsed() > TIMEOUT {
                return Err(format!("{}: no PID 1 after {TIMEOUT:?}", self.machine));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // Until systemd listens on its private socket, systemctl cannot connect: retry.
        loop {
            let r = self.systemctl(&["is-system-running", "--wait"]);
            match r.stdout.trim() {
                "running" | "degraded" => break,
                "maintenance" | "stopping" => {
                    return Err(format!(
                        "{}: the system is {}:\n{}",
                        self.machine,
                        r.stdout.trim(),
                        self.console_tail()
                    ));
                }
                _ => {}
            }
            if start.elapsed() > TIMEOUT {
                return Err(format!(
                    "{}: not booted after {TIMEOUT:?}: {}{}\n{}",
                    self.machine,
                    r.stdout,
                    r.stderr,
                    self.console_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.boots += 1;
        Ok(())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // SIGTERM makes nspawn ask PID 1 for an orderly poweroff (SIGRTMIN+3).
        // SAFETY: kill(2) on our own unreaped child.
        unsafe { libc::kill(self.nspawn.id() as libc::pid_t, libc::SIGTERM) };
        if wait_child(&mut self.nspawn, Duration::from_secs(15)).is_none() {
            // Killing a PID namespace's init kills everything in it.
            if self.leader > 0 && find_leader(self.nspawn.id() as i32) == Some(self.leader) {
                // SAFETY: the pid is the container's PID 1, a child of our nspawn (checked).
                unsafe { libc::kill(self.leader, libc::SIGKILL) };
            }
            let _ = self.nspawn.kill();
            let _ = self.nspawn.wait();
        }
    }
}

fn spawn_nspawn(machine: &str, boot: &Boot, log: &Path) -> Result<Child, String> {
    let mut cmd = Command::new("systemd-nspawn");
    cmd.args([
        "-D",
        "/",
        "--volatile=yes",
        "--private-network",
        "--register=no",
        "--keep-unit",
        "--quiet",
        "--console=passive",
    ])
    .arg(format!("--machine={machine}"));
    for (host, inside) in &boot.bind_ro {
        cmd.arg(format!("--bind-ro={}:{inside}", bind_path(host)?));
    }
    for (host, inside) in &boot.bind {
        cmd.arg(format!("--bind={}:{inside}", bind_path(host)?));
    }
    cmd.args(["-b", "--", "systemd.firstboot=off"]);
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let _ = writeln!(&out, "=== {:?}", cmd);
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("systemd-nspawn: {e}"))
}

/// nspawn's `--bind=` splits at `:`; our host paths are temporary folders, which have none.
fn bind_path(p: &Path) -> Result<String, String> {
    let s = p.to_str().ok_or_else(|| format!("{}: not UTF-8", p.display()))?;
    if s.contains(':') {
        return Err(format!("{s}: a bind source must not contain ':'"));
    }
    Ok(s.to_string())
}

/// The container's PID 1: the child of `nspawn` that runs systemd in a PID namespace other
/// than ours.
fn find_leader(nspawn: i32) -> Option<i32> {
    let own = fs::metadata("/proc/self/ns/pid").ok()?.ino();
    fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (comm, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
        let ppid: i32 = rest.split_whitespace().nth(1)?.parse().ok()?;
        let ns = fs::metadata(format!("/proc/{pid}/ns/pid")).ok()?.ino();
        (ppid == nspawn && comm == "systemd" && ns != own).then_some(pid)
    })
}

fn wait_child(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Link a compiled tree's units into `etc` (the container's /etc/systemd/system) as an
/// installer would, each pointing at the tree as the container sees it under `prefix`:
/// `<target>.wants/`, `.requires/` and `<svc>.service.d/` become real folders of links, and a
/// unit named in `masked` is masked (linked to /dev/null).
pub fn link_units(out: &Path, etc: &Path, prefix: &str, masked: &[&str]) {
    for entry in fs::read_dir(out.join("lib/systemd/system")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let inside = format!("{prefix}/lib/systemd/system/{name}");
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(etc.join(&name)).unwrap();
            for e in fs::read_dir(entry.path()).unwrap().flatten() {
                let f = e.file_name().to_string_lossy().into_owned();
                std::os::unix::fs::symlink(format!("{inside}/{f}"), etc.join(&name).join(&f)).unwrap();
            }
        } else if masked.contains(&name.as_str()) {
            std::os::unix::fs::symlink("/dev/null", etc.join(&name)).unwrap();
        } else {
            std::os::unix::fs::symlink(&inside, etc.join(&name)).unwrap();
        }
    }
}

/// Boot a container with the tree `out` (built for `prefix`) at `prefix` and its units linked
/// into `etc`, which becomes the container's /etc/systemd/system (writable: a test puts its own
/// units and key files there before the boot). The container has no network to wait for, so
/// its wait-online unit is masked: it would hold network-online.target (which tunnel units are
/// after) for its two-minute timeout.
pub fn boot_tree(out: &Path, etc: &Path, prefix: &str) -> Container {
    link_units(out, etc, prefix, &[]);
    std::os::unix::fs::symlink("/dev/null", etc.join("systemd-networkd-wait-online.service")).unwrap();
    Container::boot(&Boot {
        bind_ro: vec![(out.to_path_buf(), prefix.into())],
        bind: vec![(etc.to_path_buf(), "/etc/systemd/system".into())],
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Shell lines that make network namespace `peer` (a tunnel's server in the tunnel tests) and a
/// veth underlay to it from the container's host namespace: `vh` at `<net>.1/30` on the host
/// side, `vp` at `<net>.2/30` in the peer, both up, and the peer's `lo` up.
pub fn peer_underlay(peer: &str, net: &str) -> String {
    format!(
        "ip netns add {peer}
ip link add vh type veth peer name vp netns {peer}
ip address add {net}.1/30 dev vh
ip link set vh up
ip -n {peer} address add {net}.2/30 dev vp
ip -n {peer} link set vp up
ip -n {peer} link set lo up
"
    )
}

/// Shell lines that load, in namespace `peer`, the counters of what reaches it over the
/// underlay `vp` (see [`peer_underlay`]): the tunnel's UDP `port` (`tunnel`), link housekeeping
/// (ICMPv6, uncounted) and everything else (`leak`, which must stay 0).
pub fn peer_leak_counters(peer: &str, port: u16) -> String {
    format!(
        "ip netns exec {peer} nft -f - <<'EOF'
table inet count {{
  chain input {{
    type filter hook input priority 0;
    iifname \"vp\" udp dport {port} counter accept comment \"tunnel\"
    iifname \"vp\" meta l4proto 58 accept comment \"neighbours\"
    iifname \"vp\" counter comment \"leak\"
  }}
}}
EOF
"
    )
}

/// Poll `done` every 100 ms for at most `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether a test that boots a container cannot run here (no container, or `missing` names
/// what else it lacks): then it says so through [`super::skip`], which fails when `CI` is set.
pub fn skipped(test: &str, missing: impl FnOnce() -> Option<String>) -> bool {
    let Some(why) = unavailable().or_else(missing) else {
        return false;
    };
    super::skip(test, &why);
    true
}
