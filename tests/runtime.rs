//! SPEC §8 on a real kernel: the generated units, run as systemd would run them.
//!
//! Each configuration of `fixtures/runtime/` is compiled with `--host-tools`, its namespace
//! names made unique with this process's id. For every namespace unit, a worker thread calls
//! `unshare(CLONE_NEWNET)` — what `unshare --net` and `PrivateNetwork=true` do — and runs the
//! unit's `ExecStart=` command lines in order, split exactly as systemd splits them
//! (`harden::parse_exec`), with the unit's `Environment=` and nothing else. Then, from
//! outside: the namespace is registered under /run/netns, `lo` is up, every sysctl is set
//! inside and unchanged on the host, the nftables ruleset is loaded inside and absent on the
//! host (the expected sysctls and rulesets are read from the configuration itself, SPEC §3.1,
//! not from the compiler's manifest), `/etc/netns/<name>/resolv.conf` exists. The joining services' drop-ins are applied
//! to a process (their `BindReadOnlyPaths=` in a private mount namespace, inside the
//! namespace) that must see the namespace's `lo`, sysctls and resolv.conf. `ExecStop=` (run in
//! the unit's namespace) must remove the registration.
//!
//! Needs root, iproute2, nftables, procps and util-linux; otherwise each test says
//! `*** SKIPPED: test: why ***` (`common::skip`), and fails instead when `CI` is set. Only
//! namespaces these tests create are touched, and a guard removes them (and their /etc/netns
//! folders) even when a test fails. A unit's command lines get a minute (`WAIT`) to finish.

mod common;
mod harden;

use common::skip;
use harden::{
    Compiled, ExecCommand, NamespaceGuard, build_host_tools, configured_nftables_enabled, configured_ruleset,
    configured_sysctls, is_root, missing_program, note, parse_bind_paths, parse_environment, parse_exec,
    ruleset_tables, run_cmd, suffix_namespaces, tempdir, unit_values,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/runtime")
        .join(name)
}

/// Why the runtime tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    if !is_root() {
        return Some("not running as root (network namespaces need CAP_SYS_ADMIN)".into());
    }
    if let Some(p) = missing_program(&["ip", "nft", "sysctl", "unshare", "nsenter", "mount", "sh"]) {
        return Some(format!("`{p}` is not installed (tests/run.sh installs it)"));
    }
    let probe = run_cmd("unshare", &["--net", "true"]);
    if probe.code != 0 {
        return Some(format!("`unshare --net` fails here: {}", probe.stderr.trim()));
    }
    None
}

macro_rules! require_runtime {
    ($test:expr) => {
        if let Some(why) = unavailable() {
            skip($test, &why);
            return;
        }
    };
}

fn netns_id_of_this_thread() -> String {
    fs::read_link("/proc/thread-self/ns/net")
        .expect("/proc/thread-self/ns/net")
        .to_string_lossy()
        .into_owned()
}

/// Run `commands` in order, as systemd would: the given environment only, failures fatal
/// unless `-`-prefixed. Output is collected for the error message.
fn run_commands(commands: &[ExecCommand], env: &BTreeMap<String, String>, cwd: &Path) -> Result<(), String> {
    for c in commands {
        let out = Command::new(&c.argv[0])
            .args(&c.argv[1..])
            .env_clear()
            .envs(env)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{:?}: {e}", c.argv))?;
        if !out.status.success() && !c.ignore_failure {
            return Err(format!(
                "{:?} failed ({}): {}{}",
                c.argv,
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// A namespace unit running in its own network namespace, like a started oneshot unit with
/// `RemainAfterExit=true`: its thread stays in the namespace until `stop` runs `ExecStop=`.
struct RunningUnit {
    unit: String,
    stop_tx: mpsc::Sender<()>,
    stopped_rx: mpsc::Receiver<Result<(), String>>,
    handle: thread::JoinHandle<()>,
}

/// How long a unit's `ExecStart=` or `ExecStop=` lines may take before the test fails.
const WAIT: Duration = Duration::from_secs(60);

fn start_unit(compiled: &Compiled, unit: &str, cwd: &Path) -> Result<RunningUnit, String> {
    let u = compiled.unit(unit);
    let env = parse_environment(&unit_values(&u, "Service", "Environment"))?;
    assert!(env.contains_key("PATH"), "{unit}: no PATH in Environment=");
    assert_eq!(unit_values(&u, "Service", "PrivateNetwork"), ["true"], "{unit}");
    let mut start = Vec::new();
    for v in unit_values(&u, "Service", "ExecStart") {
        start.extend(parse_exec(&v).map_err(|e| format!("{unit}: ExecStart: {e}"))?);
    }
    let mut stop = Vec::new();
    for v in unit_values(&u, "Service", "ExecStop") {
        stop.extend(parse_exec(&v).map_err(|e| format!("{unit}: ExecStop: {e}"))?);
    }
    assert!(
        !start.is_empty() && !stop.is_empty(),
        "{unit}: no ExecStart= or ExecStop="
    );
    let (started_tx, started_rx) = mpsc::channel::<Result<(), String>>();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let (stopped_tx, stopped_rx) = mpsc::channel::<Result<(), String>>();
    let cwd = cwd.to_path_buf();
    let name = unit.to_string();
    let handle = thread::spawn(move || {
        let host = netns_id_of_this_thread();
        // SAFETY: unshare only changes this thread's namespaces; CLONE_NEWNET is allowed in
        // a multi-threaded process and affects no other thread.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        let own = netns_id_of_this_thread();
        if rc != 0 || own == host {
            // Never run a unit's commands in the host's namespace (its ruleset would be flushed).
            let e = format!(
                "{name}: unshare(CLONE_NEWNET) failed: {}",
                std::io::Error::last_os_error()
            );
            let _ = started_tx.send(Err(e));
            return;
        }
        // Children inherit this thread's namespace: check it before running anything.
        let child = Command::new("readlink").arg("/proc/self/ns/net").output();
        let child_ns = child.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if child_ns.as_deref().ok() != Some(own.as_str()) {
            let _ = started_tx.send(Err(format!("{name}: a child runs in {child_ns:?}, not in {own}")));
            return;
        }
        let started = run_commands(&start, &env, &cwd).map_err(|e| format!("{name}: {e}"));
        let ok = started.is_ok();
        let _ = started_tx.send(started);
        if !ok {
            return;
        }
        // Wait for the stop (or for the test to give up on us).
        let _ = stop_rx.recv();
        let _ = stopped_tx.send(run_commands(&stop, &env, &cwd).map_err(|e| format!("{name}: ExecStop: {e}")));
    });
    started_rx
        .recv_timeout(WAIT)
        .map_err(|e| format!("{unit}: ExecStart= did not finish within {WAIT:?} ({e})"))??;
    Ok(RunningUnit {
        unit: unit.to_string(),
        stop_tx,
        stopped_rx,
        handle,
    })
}

impl RunningUnit {
    fn stop(self) -> Result<(), String> {
        let _ = self.stop_tx.send(());
        let stopped = self
            .stopped_rx
            .recv_timeout(WAIT)
            .map_err(|e| format!("{}: ExecStop= did not finish within {WAIT:?} ({e})", self.unit))?;
        self.handle
            .join()
            .map_err(|_| format!("{}: the worker panicked", self.unit))?;
        stopped
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn host_sysctl(key: &str) -> Option<String> {
    let r = run_cmd("sysctl", &["-n", key]);
    (r.code == 0).then(|| normalise(&r.stdout))
}

fn ns_exec(ns: &str, args: &[&str]) -> harden::Run {
    let mut all = vec!["netns", "exec", ns];
    all.extend_from_slice(args);
    run_cmd("ip", &all)
}

/// Compile a runtime fixture with unique names; the guard owns the names. Also returns the
/// configuration as compiled: the tests' expectations come from it, not from the manifest.
fn compile_fixture(file: &str, tag: &str) -> (tempfile::TempDir, Compiled, NamespaceGuard, Value) {
    let mut config: Value = serde_json::from_str(&fs::read_to_string(fixture(file)).unwrap()).unwrap();
    let names = suffix_namespaces(&mut config, &format!("-{tag}{}", std::process::id()));
    let guard = NamespaceGuard::new(names);
    let dir = tempdir("runtime");
    let input = dir.path().join("input.json");
    fs::write(&input, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    let out = dir.path().join("out");
    build_host_tools(&input, &out);
    let compiled = Compiled::read(&out);
    (dir, compiled, guard, config)
}

/// The whole cycle of SPEC §8 for every unit of a fixture, all namespaces up at once.
fn run_fixture(file: &str, tag: &str) {
    let (dir, compiled, guard, config) = compile_fixture(file, tag);
    let cwd = dir.path().join("cwd");
    fs::create_dir(&cwd).unwrap();
    let namespaces = compiled.namespaces();
    assert_eq!(namespaces.len(), guard.names.len());
    let mut listed: Vec<&String> = namespaces.iter().map(|(n, _)| n).collect();
    listed.sort();
    let mut configured: Vec<&String> = guard.names.iter().collect();
    configured.sort();
    assert_eq!(
        listed, configured,
        "the manifest's namespaces are not the configuration's"
    );

    // The host's values of every key any namespace sets, and its ruleset, before.
    let mut keys: Vec<String> = namespaces
        .iter()
        .flat_map(|(n, _)| configured_sysctls(&config, n).into_keys())
        .collect();
    keys.sort();
    keys.dedup();
    let host_before: BTreeMap<String, Option<String>> = keys.iter().map(|k| (k.clone(), host_sysctl(k))).collect();

    let mut running = Vec::new();
    for (name, unit) in &namespaces {
        assert!(
            !Path::new("/run/netns").join(name).exists(),
            "{name} exists before the test"
        );
        running.push(start_unit(&compiled, unit, &cwd).unwrap_or_else(|e| panic!("{e}")));
    }

    let host_ruleset = run_cmd("nft", &["list", "ruleset"]).stdout;
    for (name, unit) in &namespaces {
        assert!(
            Path::new("/run/netns").join(name).exists(),
            "{unit}: /run/netns/{name} missing"
        );
        assert!(
            Path::new("/etc/netns").join(name).join("resolv.conf").is_file(),
            "{unit}: /etc/netns/{name}/resolv.conf missing"
        );
        let lo = ns_exec(name, &["ip", "-o", "link", "show", "lo"]);
        let flags = lo.stdout.split(['<', '>']).nth(1).unwrap_or("").to_string();
        assert!(
            flags.split(',').any(|f| f == "UP"),
            "{unit}: lo is not up: {}",
            lo.stdout
        );
        for (key, want) in configured_sysctls(&config, name) {
            let got = ns_exec(name, &["sysctl", "-n", &key]);
            assert_eq!(got.code, 0, "{unit}: reading {key}: {}", got.stderr);
            assert_eq!(normalise(&got.stdout), normalise(&want), "{unit}: {key} inside");
        }
        let inside = ns_exec(name, &["nft", "list", "ruleset"]);
        assert_eq!(inside.code, 0, "{unit}: nft: {}", inside.stderr);
        let ruleset = configured_ruleset(&config, name);
        let tables = ruleset_tables(&ruleset);
        assert!(
            !tables.is_empty(),
            "{unit}: the fixture's ruleset defines no table to look for"
        );
        if configured_nftables_enabled(&config) {
            for t in &tables {
                assert!(
                    inside.stdout.contains(&format!("{t} {{")),
                    "{unit}: {t} not loaded inside"
                );
                assert!(
                    !host_ruleset.contains(&format!("{t} {{")),
                    "{unit}: {t} loaded on the host"
                );
            }
        } else {
            assert_eq!(
                inside.stdout.trim(),
                "",
                "{unit}: nftables is off, yet a ruleset is loaded"
            );
        }
        for t in &tables {
            assert!(!host_ruleset.contains(&format!("{t} {{")), "{unit}: {t} on the host");
        }
        note(&format!(
            "runtime: {unit}: registered, lo up, sysctls and ruleset inside only"
        ));
    }
    for (key, before) in &host_before {
        assert_eq!(&host_sysctl(key), before, "the host's {key} changed");
    }

    check_joining_services(&compiled, &config);

    for r in running {
        r.stop().unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, unit) in &namespaces {
        assert!(
            !Path::new("/run/netns").join(name).exists(),
            "{unit}: ExecStop left /run/netns/{name}"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(&cwd).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(
        leftovers.is_empty(),
        "the units wrote {leftovers:?} into their working folder"
    );
    drop(guard);
}

/// Every drop-in, applied to a process: inside the namespace (`nsenter --net`, which is what
/// `JoinsNamespaceOf=` + `PrivateNetwork=true` give), with its `BindReadOnlyPaths=` in a
/// private mount namespace. It must see the namespace's lo, sysctls and resolv.conf.
fn check_joining_services(compiled: &Compiled, config: &Value) {
    let units: BTreeMap<String, String> = compiled.namespaces().into_iter().map(|(n, u)| (u, n)).collect();
    for (service, ns) in compiled.dropins() {
        let d = harden::parse_unit(
            &fs::read_to_string(compiled.unit_path(&format!("{service}.d/netns.conf"))).expect("the drop-in"),
        );
        assert_eq!(unit_values(&d, "Service", "PrivateNetwork"), ["true"], "{service}");
        let joins = unit_values(&d, "Unit", "JoinsNamespaceOf");
        assert_eq!(joins.len(), 1, "{service}");
        assert_eq!(units.get(&joins[0]), Some(&ns), "{service} joins {}", joins[0]);
        let mut binds = Vec::new();
        for v in unit_values(&d, "Service", "BindReadOnlyPaths") {
            binds.extend(parse_bind_paths(&v).unwrap_or_else(|e| panic!("{service}: {e}")));
        }
        let resolv = format!("/etc/netns/{ns}/resolv.conf");
        assert_eq!(
            binds,
            [(resolv.clone(), "/etc/resolv.conf".to_string())],
            "{service}: BindReadOnlyPaths= as systemd reads it"
        );
        let marker = format!("# netns-compile runtime test {} {service}", std::process::id());
        fs::write(&resolv, format!("{marker}\n")).unwrap();

        let sysctls = configured_sysctls(config, &ns);
        let mut args: Vec<String> = vec![
            format!("--net=/run/netns/{ns}"),
            "--".into(),
            "unshare".into(),
            "--mount".into(),
            "--propagation".into(),
            "private".into(),
            "--".into(),
            "sh".into(),
            "-c".into(),
            "while [ \"$1\" != -- ]; do mount --bind -o ro \"$1\" \"$2\" || exit 9; shift 2; done; shift; \
             cat /etc/resolv.conf; echo ==; ip -o link show lo; echo ==; for k in \"$@\"; do sysctl -n \"$k\"; done"
                .into(),
            "sh".into(),
        ];
        for (s, t) in &binds {
            args.push(s.clone());
            args.push(t.clone());
        }
        args.push("--".into());
        args.extend(sysctls.keys().cloned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_cmd("nsenter", &argv);
        assert_eq!(r.code, 0, "{service}: {}", r.stderr);
        let parts: Vec<&str> = r.stdout.split("==\n").collect();
        assert_eq!(parts.len(), 3, "{service}: {}", r.stdout);
        assert_eq!(
            parts[0].trim(),
            marker,
            "{service}: /etc/resolv.conf is not the namespace's"
        );
        assert!(parts[1].contains(",UP"), "{service}: lo is not up: {}", parts[1]);
        let seen: Vec<String> = parts[2].lines().map(normalise).collect();
        let want: Vec<String> = sysctls.values().map(|v| normalise(v)).collect();
        assert_eq!(seen, want, "{service}: sysctls seen inside");
        // Without the drop-in's bind, the process would see the host's file.
        let host = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        assert!(!host.contains(&marker), "the host's /etc/resolv.conf holds the marker");
        note(&format!(
            "runtime: {service} (joins {ns:?}): namespace's lo, sysctls, resolv.conf"
        ));
    }
}

#[test]
fn several_namespaces_nftables_on_inherited_and_own_sysctls() {
    require_runtime!("runtime::several_namespaces_nftables_on_inherited_and_own_sysctls");
    run_fixture("several.json", "s");
}

#[test]
fn nftables_off() {
    require_runtime!("runtime::nftables_off");
    run_fixture("nft-off.json", "o");
}

/// Names with spaces, both quotes, backticks, `;`, globs, unicode: compiled, and run for
/// real; `touch canary` in a name would leave a file in the units' working folder
/// (checked by `run_fixture`) or in this one.
#[test]
fn hostile_names_run_for_real() {
    require_runtime!("runtime::hostile_names_run_for_real");
    run_fixture("hostile.json", "h");
    assert!(!Path::new("canary").exists(), "a name was executed");
}

/// Names netns-compile must refuse: a clear, located error (exit 1), nothing written,
/// nothing executed.
#[test]
fn hostile_names_rejected() {
    let bad = [
        "x$(touch canary)",
        "x${HOME}",
        "-leading-dash",
        "new\nline",
        "tab\there",
        "back\\slash",
        "per%cent",
        "a/b",
        ".",
        "..",
        "",
        "nul\u{1}ctl",
        "del\u{7f}",
    ];
    let dir = tempdir("hostile");
    for name in bad {
        let config = serde_json::json!({
            "networking": { "nftables": { "enable": true } },
            "boot": { "kernel": { "sysctl": {} } },
            "services": { "netns": { "namespaces": { name: {} } } },
        });
        let input = dir.path().join("input.json");
        fs::write(&input, serde_json::to_string_pretty(&config).unwrap()).unwrap();
        let out = dir.path().join("out");
        let r = Command::new(env!("CARGO_BIN_EXE_netns-compile"))
            .args([
                "build",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--host-tools",
            ])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{name:?} was accepted: {stderr}");
        assert!(stderr.contains("netns::invalid-namespace-name"), "{name:?}: {stderr}");
        assert!(located(&stderr), "{name:?}: the error is not located: {stderr}");
        assert!(!out.exists(), "{name:?}: output written");
        assert!(!dir.path().join("canary").exists(), "{name:?}: executed");
    }
}

/// The report points into the input: `input.json:<line>:<column>`.
fn located(stderr: &str) -> bool {
    stderr.split("input.json:").skip(1).any(|rest| {
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap_or("");
        let col: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) && !col.is_empty()
    })
}
