//! Atomic output under faults (SPEC §4): `netns-compile build` is SIGKILLed at random
//! moments while it replaces an existing output tree; after every kill the tree is entirely
//! the old one or entirely the new one (compared with two reference trees, byte for byte,
//! modes and links included), and the staging folders a kill leaves beside it
//! (`.<name>.netns-compile-*`) are gone after the next complete run. Two runs writing the
//! same output at once also leave one whole tree (and the test proves that they overlapped).
//! `install` and `uninstall` are killed inside each of their phases (see the last test).
//!
//! The kill moments come from a seeded generator: the seed is printed, and `KILL_SEED=<seed>`
//! replays its draws (the moments scale with the measured length of one build). A third of the kills wait until the run has begun writing its staging
//! folder, and the test asserts that at least that many kills landed mid-write (the process
//! was still running, killed by the signal, with its staging folder beside the output), so
//! that a fast machine, where a whole build may finish before a timed kill, cannot pass
//! without testing anything.
//!
//! Sizes can be raised for a longer run: NETNS_ATOMIC_NAMESPACES (default 400),
//! NETNS_ATOMIC_ITERATIONS (default 24).

mod common;
mod harden;
mod image;

use common::tree;
use harden::{note, tempdir};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Tree = BTreeMap<String, (String, Vec<u8>, u32)>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A configuration of `n` namespaces; `variant` changes every unit's scripts.
fn config(n: usize, variant: &str) -> String {
    let namespaces: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            let ns = serde_json::json!({
                "sysctl": { "net.ipv4.ip_forward": (i % 2) as i64, "net.core.somaxconn": 100 + i as i64 },
                "service": { "wantedBy": ["multi-user.target"] },
            });
            (format!("ns{i}-{variant}"), ns)
        })
        .collect();
    serde_json::json!({
        "networking": { "nftables": { "enable": true, "ruleset": format!("table inet {variant} {{ }}\n") } },
        "boot": { "kernel": { "sysctl": {} } },
        "services": { "netns": { "namespaces": namespaces } },
    })
    .to_string()
}

/// A temporary folder with the two configurations of `n` namespaces, `a.json` and `b.json`.
fn two_configs(tag: &str, n: usize) -> (tempfile::TempDir, [PathBuf; 2]) {
    let dir = tempdir(tag);
    let inputs = [dir.path().join("a.json"), dir.path().join("b.json")];
    fs::write(&inputs[0], config(n, "a")).unwrap();
    fs::write(&inputs[1], config(n, "b")).unwrap();
    (dir, inputs)
}

/// Units name scripts by the prefix, not by the folder: one prefix makes trees comparable.
const PREFIX: &str = "/opt/netns-compile-atomic";

fn spawn_build(input: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_netns-compile"))
        .args([
            "build",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--prefix",
            PREFIX,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn build(input: &Path, out: &Path) {
    let o = spawn_build(input, out).wait_with_output().unwrap();
    assert!(o.status.success(), "build: {}", String::from_utf8_lossy(&o.stderr));
}

/// SIGKILL the child; true when the signal is what ended it (it was still running).
fn kill(child: &mut Child) -> bool {
    // SAFETY: kill(2) on the pid of a child we have not reaped yet.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    child.wait().is_ok_and(|s| s.signal() == Some(libc::SIGKILL))
}

/// Staging folders of `out` left in its parent folder.
fn leftovers(out: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.netns-compile-", out.file_name().unwrap().to_string_lossy());
    let mut v: Vec<PathBuf> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// `KILL_SEED`, or one from the clock (printed by each test, to replay its draws).
fn kill_seed() -> u64 {
    std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1
}

/// xorshift64*: reproducible from the printed seed, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn which(t: &Tree, a: &Tree, b: &Tree) -> Option<char> {
    if t == a {
        Some('A')
    } else if t == b {
        Some('B')
    } else {
        None
    }
}

/// What differs between a tree and a reference, briefly.
fn difference(t: &Tree, r: &Tree) -> String {
    let missing = r.keys().filter(|k| !t.contains_key(*k)).count();
    let extra = t.keys().filter(|k| !r.contains_key(*k)).count();
    let changed = r.iter().filter(|(k, v)| t.get(*k).is_some_and(|w| w != *v)).count();
    format!("{missing} missing, {extra} extra, {changed} changed of {}", r.len())
}

#[test]
fn sigkill_at_random_moments_leaves_old_or_new_tree() {
    let n = env_usize("NETNS_ATOMIC_NAMESPACES", 400);
    let iterations = env_usize("NETNS_ATOMIC_ITERATIONS", 24);
    let seed = kill_seed();
    note(&format!(
        "atomic_kill: {n} namespaces, {iterations} kills, KILL_SEED={seed} (set it to replay this run)"
    ));
    let mut rng = Rng(seed);
    let (dir, inputs) = two_configs("atomic", n);

    // The two reference trees, and how long one whole replacement takes (used only to choose
    // kill moments: no assertion depends on time).
    build(&inputs[0], &dir.path().join("ref-a"));
    build(&inputs[1], &dir.path().join("ref-b"));
    let a = tree(&dir.path().join("ref-a"));
    let b = tree(&dir.path().join("ref-b"));
    assert_ne!(a, b);
    let out = dir.path().join("out");
    build(&inputs[0], &out);
    let t0 = Instant::now();
    build(&inputs[1], &out);
    let full = t0.elapsed().as_micros() as u64;
    assert_eq!(tree(&out), b);

    let mut current = 'B';
    let (mut old, mut new, mut left_behind, mut mid_write) = (0, 0, 0, 0);
    let targeted = (0..iterations).filter(|i| i % 3 == 2).count();
    for i in 0..iterations {
        let target = if current == 'A' { 1 } else { 0 };
        let before = leftovers(&out);
        let mut child = spawn_build(&inputs[target], &out);
        // A third of the kills anywhere in the run, a third near its end, where the swap
        // happens, a third once the run has begun writing its staging folder.
        let at = match i % 3 {
            0 => rng.below(full * 11 / 10),
            1 => full * 8 / 10 + rng.below(full * 3 / 10),
            _ => {
                let waited = Instant::now();
                // Its own staging folder, not an earlier one it may be clearing.
                let started = |l: &Vec<PathBuf>| l.iter().any(|p| !before.contains(p));
                while !started(&leftovers(&out)) && child.try_wait().unwrap().is_none() {
                    std::thread::sleep(Duration::from_micros(100));
                }
                rng.below(full / 2).saturating_sub(waited.elapsed().as_micros() as u64)
            }
        };
        std::thread::sleep(Duration::from_micros(at));
        let writing = leftovers(&out).iter().any(|l| !before.contains(l));
        if kill(&mut child) && writing {
            mid_write += 1;
        }
        let t = tree(&out);
        let now = which(&t, &a, &b).unwrap_or_else(|| {
            panic!(
                "after a kill at {at} µs of {full} µs the output is neither tree: vs old: {}; vs new: {}",
                difference(&t, if current == 'A' { &a } else { &b }),
                difference(&t, if current == 'A' { &b } else { &a }),
            )
        });
        if now == current {
            old += 1;
        } else {
            new += 1;
        }
        current = now;
        if !leftovers(&out).is_empty() {
            left_behind += 1;
        }
    }
    note(&format!(
        "atomic_kill: after {iterations} kills ({full} µs per build): {old}× the old tree, {new}× the new one, \
         {left_behind}× staging leftovers beside it, {mid_write} kills mid-write"
    ));
    assert!(
        mid_write >= targeted,
        "only {mid_write} of {iterations} kills landed while the run was writing (want at least {targeted}): \
         rerun with KILL_SEED={seed}"
    );
    // The next complete run cleans every leftover and gives the whole new tree.
    let target = if current == 'A' { 1 } else { 0 };
    build(&inputs[target], &out);
    assert_eq!(which(&tree(&out), &a, &b), Some(if target == 0 { 'A' } else { 'B' }));
    assert_eq!(leftovers(&out), Vec::<PathBuf>::new(), "leftovers after a complete run");
}

/// Regression: a run removed every `.<out>.netns-compile-*` folder as a leftover, also the
/// one a concurrent run was still writing, which then recreated the folders it was missing
/// and swapped a partial tree in (both exiting 0). Now a run's staging folder is locked.
#[test]
fn concurrent_builds_leave_one_whole_tree() {
    let dir = tempdir("concurrent");
    let big = dir.path().join("big.json");
    let small = dir.path().join("small.json");
    fs::write(&big, config(env_usize("NETNS_ATOMIC_NAMESPACES", 400), "a")).unwrap();
    fs::write(&small, config(20, "b")).unwrap();
    build(&big, &dir.path().join("ref-big"));
    build(&small, &dir.path().join("ref-small"));
    let a = tree(&dir.path().join("ref-big"));
    let b = tree(&dir.path().join("ref-small"));
    let out = dir.path().join("out");
    build(&small, &out);
    for round in 0..3 {
        // The big run starts first and is still writing when the small one starts, clears
        // leftovers and finishes.
        let mut first = spawn_build(&big, &out);
        while leftovers(&out).is_empty() && first.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(2));
        }
        let second = spawn_build(&small, &out);
        // The overlap, proved: once the second run has started (spawn returns after its exec),
        // the first is still running, with its own staging folder (named by its pid) beside
        // the output. Otherwise the round tested two runs one after the other.
        let staging = out.with_file_name(format!(".out.netns-compile-{}", first.id()));
        let overlapped = staging.exists() && first.try_wait().unwrap().is_none();
        let second = second.wait_with_output().unwrap();
        assert!(
            overlapped,
            "round {round}: the first run was no longer writing when the second started: the runs did not overlap"
        );
        assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
        let first = first.wait_with_output().unwrap();
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        let t = tree(&out);
        assert!(
            which(&t, &a, &b).is_some(),
            "round {round}: two concurrent runs left a mixed tree: vs big: {}; vs small: {}",
            difference(&t, &a),
            difference(&t, &b)
        );
        assert_eq!(leftovers(&out), Vec::<PathBuf>::new(), "round {round}");
    }
}

// -- install and uninstall under SIGKILL ---------------------------------------------------

/// The test hooks of `src/install/hook.rs`.
const PHASE_LOG: &str = "NETNS_COMPILE_TEST_PHASE_LOG";
const STOP_AT: &str = "NETNS_COMPILE_TEST_STOP_AT";

/// One line of a phase log: phase, step, µs since the epoch.
type Mark = (String, usize, u64);

fn read_marks(log: &Path) -> Vec<Mark> {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|l| {
            let mut w = l.split(' ');
            let (phase, step, at) = (w.next().unwrap(), w.next().unwrap(), w.next().unwrap());
            (phase.to_string(), step.parse().unwrap(), at.parse().unwrap())
        })
        .collect()
}

/// From the log of a whole run: for each phase, its last step and how long it lasted from
/// each step on (µs, up to the next phase's start).
fn phase_lengths(marks: &[Mark]) -> BTreeMap<String, (usize, BTreeMap<usize, u64>)> {
    let mut out: BTreeMap<String, (usize, BTreeMap<usize, u64>)> = BTreeMap::new();
    for (i, (phase, step, at)) in marks.iter().enumerate() {
        let Some(end) = marks[i..].iter().find(|m| &m.0 != phase).map(|m| m.2) else {
            continue;
        };
        let e = out.entry(phase.clone()).or_default();
        e.0 = e.0.max(*step);
        e.1.insert(*step, end.saturating_sub(*at));
    }
    out
}

/// An install or uninstall of the image at `root`, logging its phases to `log`, stopped at
/// `stop` (`"<phase> <step>"`) if given.
fn spawn_netns(args: &[&str], root: &Path, log: &Path, stop: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netns-compile"));
    cmd.args(args)
        .arg("--root")
        .arg(root)
        .env(PHASE_LOG, log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if args[0] == "install" {
        cmd.arg("--host-tools");
    }
    if let Some(at) = stop {
        cmd.env(STOP_AT, at);
    }
    cmd.spawn().expect("the binary runs")
}

/// A whole run; its exit code and what it said on stderr.
fn run_netns(args: &[&str], root: &Path) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netns-compile"));
    cmd.args(args).arg("--root").arg(root);
    if args[0] == "install" {
        cmd.arg("--host-tools");
    }
    let o = cmd.output().expect("the binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Wait until the child stops itself at the hook (`true`), or exits without getting there.
fn wait_stopped(child: &mut Child) -> bool {
    let stat = format!("/proc/{}/stat", child.id());
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        // The state is the field after the parenthesised command name.
        let state = fs::read_to_string(&stat).ok().and_then(|s| {
            let rest = &s[s.rfind(')')? + 1..];
            rest.split_whitespace().next().map(str::to_string)
        });
        if state.as_deref() == Some("T") {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    panic!("the run neither stopped at its hook nor exited in 120 s");
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child we have not reaped yet.
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

/// What is in the state folder and the unit folder after a whole run: nothing but whole
/// generations (at most two, each with its record), `current` and `lock`; every link in the
/// unit folder one the current generation recorded; no empty folder left there.
#[track_caller]
fn assert_no_debris(root: &Path, after: &str) {
    let state = root.join(image::STATE);
    let current = fs::read_link(state.join("current")).unwrap();
    let mut generations = 0;
    for e in fs::read_dir(&state).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "lock" || name == "current" {
            continue;
        }
        assert!(name.parse::<u32>().is_ok(), "{after}: {name} left in the state folder");
        assert!(
            e.path().join("share/netns-compile/install.json").is_file(),
            "{after}: generation {name} without its record"
        );
        generations += 1;
    }
    assert!(generations <= 2, "{after}: {generations} generations kept");
    let record: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(state.join(&current).join("share/netns-compile/install.json")).unwrap(),
    )
    .unwrap();
    for (rel, (kind, _, _)) in tree(&root.join(image::UNITS)) {
        let path = format!("/{}/{rel}", image::UNITS);
        match kind.as_str() {
            "link" => assert!(record["links"].get(&path).is_some(), "{after}: {path} not recorded"),
            "dir" => assert!(
                fs::read_dir(root.join(image::UNITS).join(&rel))
                    .unwrap()
                    .next()
                    .is_some(),
                "{after}: empty folder {path} left"
            ),
            _ => panic!("{after}: {path} is a file"),
        }
    }
}

/// A kill to aim: the run (`install` or `uninstall`), the phase, the step to stop at, and
/// whether to kill it there (`false`) or let it run on a random part of the rest of the phase.
struct Aim {
    run: &'static str,
    phase: &'static str,
    step: usize,
    timed: bool,
}

/// The phases of each run that change something, in order (`src/install/hook.rs`).
const INSTALL_PHASES: [&str; 6] = [
    "evaluate",
    "write-generation",
    "link",
    "switch",
    "unlink",
    "remove-generations",
];
const UNINSTALL_PHASES: [&str; 2] = ["unlink", "remove-generations"];

/// SPEC §12 and the README's promise, under faults: `install` and `uninstall` of a
/// 300-namespace image (`--root`), alternating two configurations whose units all differ, are
/// SIGKILLed inside each of their phases — evaluation, writing the generation, linking, the
/// switch, unlinking, removing old generations (install); unlinking, removing the generations
/// (uninstall). A test hook logs each phase and step and stops the run at a chosen step: the
/// run is killed there (mid-phase, at a seeded random step), or continued and killed after a
/// seeded random part of the rest of the phase (phases without steps, and the deletion of a
/// generation's files). Each kill must land in its phase (the log's last line says where the
/// run was); a phase no kill landed in fails the test. After each kill the last whole install
/// works (its units linked and readable, exactly one configuration's set: the old one before
/// the switch, the new one after it), and then the next install or uninstall (chosen by the
/// seed) succeeds and leaves no debris: only whole generations with their records, every link
/// recorded, no empty folder; an uninstall leaves the image as it was before the first install.
///
/// NETNS_ATOMIC_INSTALL_NAMESPACES (default 300) and NETNS_ATOMIC_INSTALL_KILLS (kills per
/// phase, default 3) make it longer; KILL_SEED replays a run.
#[test]
fn sigkill_in_every_phase_of_install_and_uninstall() {
    let n = env_usize("NETNS_ATOMIC_INSTALL_NAMESPACES", 300);
    let per_phase = env_usize("NETNS_ATOMIC_INSTALL_KILLS", 3).max(1);
    let seed = kill_seed();
    note(&format!(
        "atomic_kill: install/uninstall of {n} namespaces, {per_phase} kills a phase, KILL_SEED={seed} (set it to replay this run)"
    ));
    let mut rng = Rng(seed);
    let (dir, inputs) = two_configs("install-kill", n);
    let input = |i: usize| inputs[i].to_str().unwrap().to_string();
    // An image as it comes: the folders of a system, none of ours.
    let image_root = |name: &str| {
        let r = dir.path().join(name);
        fs::create_dir_all(r.join(image::UNITS)).unwrap();
        fs::create_dir_all(r.join("var/lib")).unwrap();
        r
    };
    let install = |root: &Path, i: usize| {
        let (code, err) = run_netns(&["install", &input(i)], root);
        assert_eq!(code, 0, "install: {err}");
    };

    // The units each configuration installs, from clean installs.
    let reference: Vec<BTreeMap<String, String>> = (0..2)
        .map(|i| {
            let r = image_root(&format!("ref-{i}"));
            install(&r, i);
            let (units, dangling) = image::working_units(&r);
            assert!(dangling.is_empty());
            units
        })
        .collect();
    assert!(reference[0].keys().all(|u| !reference[1].contains_key(u)));

    // How long each phase and step lasts, from whole runs: an install replacing one of two
    // generations, and an uninstall of two.
    let root = image_root("image");
    let skeleton = tree(&root);
    install(&root, 0);
    install(&root, 1);
    let log = dir.path().join("phases.log");
    let whole = |args: &[&str]| {
        let _ = fs::remove_file(&log);
        let mut child = spawn_netns(args, &root, &log, None);
        assert!(child.wait().unwrap().success(), "{args:?}");
        phase_lengths(&read_marks(&log))
    };
    let lengths = [
        ("install", whole(&["install", &input(0)])),
        ("uninstall", whole(&["uninstall"])),
    ];
    let length = |run: &str, phase: &str| &lengths.iter().find(|(r, _)| *r == run).unwrap().1[phase];
    note(&format!(
        "atomic_kill: phases of a whole install (last step, µs): {}",
        INSTALL_PHASES
            .map(|p| format!("{p} {} {}", length("install", p).0, length("install", p).1[&0]))
            .join(", ")
    ));

    // The kills, each phase `per_phase` times: at a random step (the switch at each of its
    // steps; removing a generation before its rename, after it, and amid deleting its files),
    // or timed where a phase has no steps.
    let mut aims = Vec::new();
    for (run, phases) in [("install", &INSTALL_PHASES[..]), ("uninstall", &UNINSTALL_PHASES[..])] {
        for &phase in phases {
            let last = length(run, phase).0;
            for i in 0..per_phase {
                let (step, timed) = match phase {
                    "evaluate" | "write-generation" => (0, true),
                    "switch" => (i % (last + 1), false),
                    "remove-generations" if i % 3 == 2 => (2, true),
                    _ => (1 + rng.below(last as u64) as usize, false),
                };
                aims.push(Aim {
                    run,
                    phase,
                    step,
                    timed,
                });
            }
        }
    }
    // In a seeded order, so that kills of one phase follow kills of others.
    for i in (1..aims.len()).rev() {
        aims.swap(i, rng.below(i as u64 + 1) as usize);
    }

    let mut installed: Option<usize> = None;
    let mut landed: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for (k, aim) in aims.iter().enumerate() {
        // A whole install with two generations (one to remove) under each kill.
        let gens = |root: &Path| {
            fs::read_dir(root.join(image::STATE)).map_or(0, |d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
                    .count()
            })
        };
        while installed.is_none() || gens(&root) < 2 {
            let next = installed.map_or(0, |i| 1 - i);
            install(&root, next);
            installed = Some(next);
        }
        let from = installed.unwrap();
        let to = 1 - from;
        let args: Vec<String> = match aim.run {
            "install" => vec!["install".into(), input(to)],
            _ => vec!["uninstall".into()],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = fs::remove_file(&log);
        let at = format!("{} {}", aim.phase, aim.step);
        let mut child = spawn_netns(&args, &root, &log, Some(&at));
        assert!(wait_stopped(&mut child), "kill {k}: {args:?} never reached {at}");
        let delay = if aim.timed {
            let rest = length(aim.run, aim.phase).1.get(&aim.step).copied().unwrap_or(0);
            signal(&child, libc::SIGCONT);
            // Within the first quarter of what is left of the phase: a run faster than the
            // calibrated one still dies inside it.
            let d = rng.below(rest / 4);
            std::thread::sleep(Duration::from_micros(d));
            d
        } else {
            0
        };
        signal(&child, libc::SIGKILL);
        let killed = child.wait().unwrap().signal() == Some(libc::SIGKILL);
        let last = read_marks(&log).pop().unwrap();
        let inside = killed && last.0 == aim.phase && last.1 >= aim.step;
        let count = landed.entry((aim.run, aim.phase)).or_default();
        count.0 += 1;
        count.1 += usize::from(inside);
        let what = format!(
            "kill {k}: {} killed at {at}{} (last mark: {} {})",
            aim.run,
            if aim.timed {
                format!(" + {delay} µs")
            } else {
                String::new()
            },
            last.0,
            last.1
        );

        if !aim.timed {
            assert!(inside, "{what}: a run stopped at its hook did not die there");
        }

        // The last whole install still works: the old configuration's units before the
        // switch, the new one's after it (by the log's last mark; a timed kill that ran on may
        // have died between the switch and its mark).
        let (units, dangling) = image::working_units(&root);
        if aim.run == "install" {
            let expect: &[usize] = match (killed, last.0.as_str(), last.1) {
                (false, ..) => &[to],
                (_, "remove-debris" | "evaluate" | "write-generation" | "link", _) => &[from],
                (_, "switch", 0) => &[from],
                (_, "switch", 1) => &[from, to],
                _ => &[to],
            };
            let whole = expect.iter().find(|&&e| units == reference[e]);
            let Some(&e) = whole else {
                panic!(
                    "{what}: the working units are no whole configuration: {} units, {} dangling",
                    units.len(),
                    dangling.len()
                );
            };
            for d in &dangling {
                assert!(
                    !reference[e].contains_key(d),
                    "{what}: {d} of the working install dangles"
                );
            }
        } else {
            for (unit, text) in &units {
                assert_eq!(
                    reference[from].get(unit),
                    Some(text),
                    "{what}: {unit} is not the installed one"
                );
            }
        }

        // The next run finishes the job and leaves no debris.
        if rng.below(2) == 0 {
            let next = rng.below(2) as usize;
            let (code, err) = run_netns(&["install", &input(next)], &root);
            assert_eq!(code, 0, "{what}: the next install failed: {err}");
            assert_eq!(
                image::working_units(&root),
                (reference[next].clone(), Vec::new()),
                "{what}: the next install"
            );
            assert_no_debris(&root, &format!("{what}, then an install"));
            installed = Some(next);
        } else {
            let (code, err) = run_netns(&["uninstall"], &root);
            assert_eq!(code, 0, "{what}: the next uninstall failed: {err}");
            let left: Vec<String> = tree(&root).into_keys().collect();
            let want: Vec<String> = skeleton.keys().cloned().collect();
            assert_eq!(left, want, "{what}, then an uninstall: not the image as it was");
            installed = None;
        }
    }
    let summary: Vec<String> = landed
        .iter()
        .map(|((run, phase), (aimed, inside))| format!("{run} {phase} {inside}/{aimed}"))
        .collect();
    note(&format!(
        "atomic_kill: kills that landed in their phase: {}",
        summary.join(", ")
    ));
    for ((run, phase), (aimed, inside)) in &landed {
        assert!(
            *inside > 0,
            "no kill of {aimed} landed inside {run}'s {phase} phase: rerun with KILL_SEED={seed}"
        );
    }
}
