//! `netns-compile install` / `uninstall` (SPEC §12) into image roots (`--root DIR`, temp
//! folders): a fresh install, a re-install with its exact add/remove/change set, `--dry-run`
//! writing nothing, uninstall leaving no trace, foreign files left alone, a crash after each
//! step leaving a working install, concurrent installs. (Under a real systemd: the container
//! tests.)

mod common;
mod image;

use common::{bin, run, tree};
use image::{MASKED, STATE, UNITS, generation_free, working_units};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Generation A: three namespaces (one with a UTF-8 name), a joiner.
const CONFIG_A: &str = r#"{
  "networking": { "nftables": { "enable": true, "ruleset": "table inet filter { }\n" } },
  "boot": { "kernel": { "sysctl": {} } },
  "systemd": { "services": { "transmission": { "netns": "vpn" } } },
  "services": { "netns": { "namespaces": {
    "vpn": { "sysctl": { "net.ipv4.ip_forward": 0 }, "service": { "wantedBy": [ "multi-user.target" ] } },
    "lab": { "nftables": "table inet lab { }\n" },
    "old": {},
    "ünï côde": { "service": { "requiredBy": [ "network-online.target" ] } }
  } } }
}"#;

/// Generation B: `vpn` changed (restarted), `lab` changed with `restartIfChanged = false`,
/// `old` removed, `web` added and enabled (started), a joiner of `web` added.
const CONFIG_B: &str = r#"{
  "networking": { "nftables": { "enable": true, "ruleset": "table inet filter { }\n" } },
  "boot": { "kernel": { "sysctl": {} } },
  "systemd": { "services": { "transmission": { "netns": "vpn" }, "dl": { "netns": "web" } } },
  "services": { "netns": { "namespaces": {
    "vpn": { "sysctl": { "net.ipv4.ip_forward": 1 }, "service": { "wantedBy": [ "multi-user.target" ] } },
    "lab": { "nftables": "table inet lab { chain c { } }\n", "service": { "restartIfChanged": false } },
    "web": { "service": { "wantedBy": [ "multi-user.target" ] } },
    "ünï côde": { "service": { "requiredBy": [ "network-online.target" ] } }
  } } }
}"#;

struct Work {
    _dir: tempfile::TempDir,
    a: String,
    b: String,
    base: PathBuf,
}

fn work() -> Work {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    fs::write(&a, CONFIG_A).unwrap();
    fs::write(&b, CONFIG_B).unwrap();
    let base = dir.path().to_path_buf();
    Work {
        _dir: dir,
        a: a.display().to_string(),
        b: b.display().to_string(),
        base,
    }
}

impl Work {
    /// A fresh image root.
    fn root(&self, name: &str) -> PathBuf {
        let r = self.base.join(name);
        fs::create_dir_all(&r).unwrap();
        r
    }
}

fn install(root: &Path, config: &str, extra: &[&str]) -> common::Output {
    let root = root.display().to_string();
    let mut args = vec!["install", config, "--root", &root, "--host-tools"];
    args.extend(extra);
    run(&args)
}

fn uninstall(root: &Path) -> common::Output {
    run(&["uninstall", "--root", &root.display().to_string()])
}

/// The working units of a clean install of `config`.
fn clean_install(w: &Work, name: &str, config: &str) -> BTreeMap<String, String> {
    let root = w.root(name);
    assert_eq!(install(&root, config, &[]).code, 0);
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty(), "{dangling:?}");
    units
}

/// `tree(a) == tree(b)`, saying only which paths differ.
#[track_caller]
fn assert_same_tree(got: &Path, want: &BTreeMap<String, (String, Vec<u8>, u32)>, what: &str) {
    let got = tree(got);
    let differ: Vec<&String> = got
        .keys()
        .chain(want.keys())
        .filter(|k| got.get(*k) != want.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: these paths differ: {differ:?}");
}

fn generations(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(STATE))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn fresh_install_links_enables_and_records() {
    let w = work();
    let root = w.root("fresh");
    let r = install(&root, &w.a, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cur = "/var/lib/netns-compile/current/lib/systemd/system";
    let links: BTreeMap<String, String> = tree(&root.join(UNITS))
        .into_iter()
        .filter(|(_, (kind, _, _))| kind == "link")
        .map(|(p, (_, target, _))| (p, String::from_utf8(target).unwrap()))
        .collect();
    let want: BTreeMap<String, String> = [
        (
            "multi-user.target.wants/netns-vpn.service",
            "/etc/systemd/system/netns-vpn.service".to_string(),
        ),
        (
            "network-online.target.requires/netns--n-c-de.service",
            "/etc/systemd/system/netns--n-c-de.service".to_string(),
        ),
        ("netns-lab.service", format!("{cur}/netns-lab.service")),
        ("netns-old.service", format!("{cur}/netns-old.service")),
        ("netns-vpn.service", format!("{cur}/netns-vpn.service")),
        ("netns--n-c-de.service", format!("{cur}/netns--n-c-de.service")),
        (
            "transmission.service.d/netns.conf",
            format!("{cur}/transmission.service.d/netns.conf"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(links, want);
    assert_eq!(fs::read_link(root.join(STATE).join("current")).unwrap(), Path::new("1"));
    assert_eq!(generations(&root), ["1", "current", "lock"]);
    // Each link reaches the generation's own file, which names its scripts in generation 1.
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty());
    let vpn = fs::read_to_string(root.join(STATE).join("1/lib/systemd/system/netns-vpn.service")).unwrap();
    assert!(vpn.contains("ExecStart=/var/lib/netns-compile/1/libexec/netns-compile/netns-vpn.service/ip-netns-attach"));
    assert_eq!(units["netns-vpn.service"], generation_free(&vpn));
    assert_eq!(
        units["multi-user.target.wants/netns-vpn.service"],
        units["netns-vpn.service"]
    );
    // The record lists exactly the links made, and the folders made for them.
    let record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join(STATE).join("1/share/netns-compile/install.json")).unwrap())
            .unwrap();
    let recorded: BTreeMap<String, String> = record["links"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k["/etc/systemd/system/".len()..].to_string(),
                v.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(recorded, want);
    assert!(
        record["createdDirs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "/var/lib")
    );
    // What it says: the units, the links, and the systemctl commands left to run.
    for line in [
        "installed generation 1 at /var/lib/netns-compile/1 (nothing installed before)",
        "  added     netns-vpn.service",
        "  added     transmission.service.d/netns.conf",
        "to run: systemctl daemon-reload",
        "to run: systemctl try-restart transmission.service",
        "to run: systemctl start netns--n-c-de.service netns-vpn.service",
    ] {
        assert_line(&r, line);
    }
}

#[test]
fn reinstall_changes_exactly_what_changed() {
    let w = work();
    let root = w.root("re");
    assert_eq!(install(&root, &w.a, &[]).code, 0);
    let r = install(&root, &w.b, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary: Vec<&str> = r.stdout.lines().take_while(|l| !l.starts_with("---")).collect();
    let cur = "/var/lib/netns-compile/current/lib/systemd/system";
    let want = [
        "installed generation 2 at /var/lib/netns-compile/2 (replacing generation 1)".to_string(),
        "  added     dl.service.d/netns.conf".into(),
        "  added     netns-web.service".into(),
        "  removed   netns-old.service".into(),
        "  changed   netns-lab.service".into(),
        "  changed   netns-vpn.service".into(),
        "  2 unit file(s) and drop-in(s) unchanged".into(),
        format!("  + /etc/systemd/system/dl.service.d/netns.conf -> {cur}/dl.service.d/netns.conf"),
        "  + /etc/systemd/system/multi-user.target.wants/netns-web.service -> /etc/systemd/system/netns-web.service"
            .into(),
        format!("  + /etc/systemd/system/netns-web.service -> {cur}/netns-web.service"),
        format!("  - /etc/systemd/system/netns-old.service -> {cur}/netns-old.service"),
    ];
    assert_eq!(
        summary,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{}",
        r.stdout
    );
    let tail: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| !l.starts_with([' ', '-', '+', '@']))
        .collect();
    assert_eq!(
        tail[1..],
        [
            "not restarted (restartIfChanged = false): netns-lab.service",
            "to run: systemctl daemon-reload",
            "to run: systemctl try-restart netns-vpn.service dl.service",
            "to run: systemctl start netns-web.service",
        ]
    );
    // The result is what a clean install of B gives; the generation before is kept.
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty(), "{dangling:?}");
    assert_eq!(units, clean_install(&w, "clean-b", &w.b));
    assert_eq!(generations(&root), ["1", "2", "current", "lock"]);
    // A third install keeps only the one before it.
    assert_eq!(install(&root, &w.a, &[]).code, 0);
    assert_eq!(generations(&root), ["2", "3", "current", "lock"]);
    assert_eq!(working_units(&root).0, clean_install(&w, "clean-a", &w.a));
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let w = work();
    let root = w.root("dry");
    // Into an empty root: nothing at all is made, not even the state folder.
    let r = install(&root, &w.a, &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("would install generation 1"), "{}", r.stdout);
    assert!(r.stdout.contains("would run: systemctl daemon-reload"));
    assert!(tree(&root).is_empty());
    // The golden fixtures' tools, so that the diff below is fixed text.
    let tools = common::fixtures().join("nixos/tools.json").display().to_string();
    let (root_s, tools_args) = (root.display().to_string(), ["--tools", tools.as_str()]);
    let with_tools = |config: &str, dry: bool| {
        let mut args = vec!["install", config, "--root", &root_s];
        args.extend(tools_args);
        if dry {
            args.push("--dry-run");
        }
        run(&args)
    };
    assert_eq!(with_tools(&w.a, false).code, 0);
    let before = tree(&root);
    let r = with_tools(&w.b, true);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_same_tree(&root, &before, "--dry-run changed the root");
    assert!(
        r.stdout
            .starts_with("would install generation 2 at /var/lib/netns-compile/2 (replacing generation 1)\n")
    );
    // The unit diffs: `lab`'s unit and ruleset, and the changed sysctl script of `vpn`.
    let diffs = &r.stdout[r.stdout.find("\n---").unwrap() + 1..];
    let diffs: String = diffs
        .lines()
        .filter(|l| !l.starts_with("would run") && !l.starts_with("not restarted"))
        .map(|l| format!("{l}\n"))
        .collect();
    expect_test::expect_file!["../fixtures/install/dry-run.diff"].assert_eq(&diffs);
    assert!(
        diffs.contains("+X-RestartIfChanged=false\n")
            && diffs.contains("-net.ipv4.ip_forward=0\n+net.ipv4.ip_forward=1\n")
    );
}

#[test]
fn uninstall_leaves_no_trace_and_foreign_units_alone() {
    let w = work();
    let root = w.root("un");
    // The administrator's own units, enabled in the folders install also uses.
    let own = root.join(UNITS);
    fs::create_dir_all(own.join("multi-user.target.wants")).unwrap();
    fs::create_dir_all(own.join("transmission.service.d")).unwrap();
    fs::write(own.join("transmission.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    fs::write(
        own.join("transmission.service.d/limits.conf"),
        "[Service]\nMemoryMax=1G\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/etc/systemd/system/transmission.service",
        own.join("multi-user.target.wants/transmission.service"),
    )
    .unwrap();
    let before = tree(&root);
    assert_eq!(install(&root, &w.a, &[]).code, 0);
    assert_eq!(install(&root, &w.b, &[]).code, 0);
    assert_eq!(
        fs::read_to_string(own.join("transmission.service.d/limits.conf")).unwrap(),
        "[Service]\nMemoryMax=1G\n"
    );
    let r = uninstall(&root);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("  - /etc/systemd/system/netns-web.service -> "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("to run: systemctl daemon-reload\n"), "{}", r.stdout);
    assert_same_tree(&root, &before, "uninstall left a trace or took something");
    // Into an empty root and out again: the root is empty again.
    let empty = w.root("empty");
    assert_eq!(install(&empty, &w.a, &[]).code, 0);
    assert_eq!(uninstall(&empty).code, 0);
    assert!(tree(&empty).is_empty(), "{:?}", tree(&empty).keys().collect::<Vec<_>>());
    let r = uninstall(&empty);
    assert_eq!((r.code, r.stdout.contains("nothing is installed")), (0, true));
}

#[test]
fn foreign_files_at_link_paths_are_refused() {
    let w = work();
    for (i, (rel, make)) in [
        ("netns-vpn.service", "file"),
        ("transmission.service.d/netns.conf", "file"),
        ("multi-user.target.wants/netns-vpn.service", "link"),
    ]
    .into_iter()
    .enumerate()
    {
        let root = w.root(&format!("foreign-{i}"));
        let path = root.join(UNITS).join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        match make {
            "file" => fs::write(&path, "mine\n").unwrap(),
            _ => std::os::unix::fs::symlink("/lib/systemd/system/other.service", &path).unwrap(),
        }
        let before = tree(&root);
        let r = install(&root, &w.a, &[]);
        assert_eq!(r.code, 1, "{rel}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("/etc/systemd/system/{rel} is a")),
            "{}",
            r.stderr
        );
        assert_same_tree(&root, &before, &format!("{rel}: a refused install wrote something"));
    }
    // A link of ours that the administrator replaced after the install: left alone by the
    // next install (which cannot link there: refused) and by uninstall.
    let root = w.root("replaced");
    assert_eq!(install(&root, &w.a, &[]).code, 0);
    let old = root.join(UNITS).join("netns-old.service");
    fs::remove_file(&old).unwrap();
    fs::write(&old, "[Service]\nExecStart=/bin/true\n").unwrap();
    let r = install(&root, &w.b, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("left alone: /etc/systemd/system/netns-old.service (recorded as ours, but now a file)")
    );
    let r = uninstall(&root);
    assert_eq!(r.code, 0);
    assert_eq!(fs::read_to_string(&old).unwrap(), "[Service]\nExecStart=/bin/true\n");
    let left: Vec<String> = tree(&root).into_keys().collect();
    assert_eq!(
        left,
        [
            "etc",
            "etc/systemd",
            "etc/systemd/system",
            "etc/systemd/system/netns-old.service"
        ]
    );
}

/// Run an install of `config` killed by SIGKILL right after `step`.
fn crash_install(root: &Path, config: &str, step: &str) {
    let status = Command::new(bin())
        .args(["install", config, "--root", &root.display().to_string(), "--host-tools"])
        .env("NETNS_COMPILE_TEST_CRASH_AT", step)
        .output()
        .unwrap()
        .status;
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "the install was not killed after {step}");
}

#[test]
fn a_crash_after_any_step_leaves_a_working_install() {
    let w = work();
    let (a, b) = (clean_install(&w, "clean-a", &w.a), clean_install(&w, "clean-b", &w.b));
    let steps = ["generation-written", "links-added", "switched", "old-links-removed"];
    for (i, step) in steps.iter().enumerate() {
        let root = w.root(&format!("crash-{step}"));
        assert_eq!(install(&root, &w.a, &[]).code, 0);
        crash_install(&root, &w.b, step);
        // Before the switch the old install is whole; from it on, the new one.
        let (units, dangling) = working_units(&root);
        let switched = i >= 2;
        assert_eq!(units, if switched { b.clone() } else { a.clone() }, "after {step}");
        // Dangling links: only the new units' (before) or the removed units' (after).
        for d in &dangling {
            let name = d.rsplit('/').next().unwrap();
            let expected = if switched {
                !b.contains_key(d)
            } else {
                !a.contains_key(d)
            };
            assert!(expected, "after {step}: {d} ({name}) dangles");
        }
        // The next install finishes the job; uninstall then leaves nothing.
        assert_eq!(install(&root, &w.b, &[]).code, 0, "after {step}");
        let (units, dangling) = working_units(&root);
        assert_eq!((units, dangling), (b.clone(), Vec::new()), "after {step}");
        assert_eq!(uninstall(&root).code, 0);
        assert!(
            tree(&root).is_empty(),
            "after {step}: {:?}",
            tree(&root).keys().collect::<Vec<_>>()
        );
    }
    // A first install that crashed: uninstall still removes all of it.
    for step in steps {
        let root = w.root(&format!("first-crash-{step}"));
        crash_install(&root, &w.a, step);
        assert_eq!(uninstall(&root).code, 0, "after {step}");
        assert!(
            tree(&root).is_empty(),
            "after {step}: {:?}",
            tree(&root).keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn concurrent_installs_take_turns() {
    let w = work();
    let (a, b) = (clean_install(&w, "clean-a", &w.a), clean_install(&w, "clean-b", &w.b));
    let root = w.root("concurrent");
    let children: Vec<_> = (0..6)
        .map(|i| {
            Command::new(bin())
                .args(["install", if i % 2 == 0 { &w.a } else { &w.b }, "--root"])
                .arg(&root)
                .arg("--host-tools")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty(), "{dangling:?}");
    assert!(units == a || units == b);
    let gens = generations(&root);
    assert_eq!(gens.len(), 4, "{gens:?}");
    assert_eq!(gens[1].parse::<u32>().unwrap(), 6);
}

/// `line` is one of the lines `out` printed.
#[track_caller]
fn assert_line(out: &common::Output, line: &str) {
    assert!(
        out.stdout.lines().any(|l| l == line),
        "{line:?} missing from:\n{}",
        out.stdout
    );
}

/// `enable = false` (as a new user tries it, with a `wantedBy`): the generation holds NixOS's
/// tree (the unit a link to /dev/null, its `.wants/` link, no scripts); install masks the unit
/// in /etc/systemd/system with a link of its own, enables and starts nothing for it; enabling
/// it later replaces the mask and starts it, disabling masks it again; uninstall removes the
/// mask with the rest.
#[test]
fn a_disabled_unit_is_masked_never_enabled_nor_started() {
    let w = work();
    let config = |off_enabled: bool| {
        format!(
            r#"{{ "services": {{ "netns": {{ "namespaces": {{
              "off": {{ "service": {{ "enable": {off_enabled}, "wantedBy": [ "multi-user.target" ] }} }},
              "on": {{ "service": {{ "enable": {}, "wantedBy": [ "multi-user.target" ] }} }}
            }} }} }}, "networking": {{ "nftables": {{ "enable": false }} }} }}"#,
            !off_enabled
        )
    };
    let (disabled, enabled) = (w.base.join("off.json"), w.base.join("on.json"));
    fs::write(&disabled, config(false)).unwrap();
    fs::write(&enabled, config(true)).unwrap();
    let (disabled, enabled) = (disabled.display().to_string(), enabled.display().to_string());
    let root = w.root("masked");
    let r = install(&root, &disabled, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let link = |rel: &str| fs::read_link(root.join(UNITS).join(rel)).ok();
    let wants = "multi-user.target.wants/netns-off.service";
    assert_eq!(link("netns-off.service").as_deref(), Some(Path::new("/dev/null")));
    assert_eq!(link(wants), None, "a masked unit was enabled");
    let generation = root.join(STATE).join("1");
    assert_eq!(
        fs::read_link(generation.join("lib/systemd/system/netns-off.service")).unwrap(),
        Path::new("/dev/null")
    );
    assert_eq!(
        fs::read_link(generation.join("lib/systemd/system").join(wants)).unwrap(),
        Path::new("../netns-off.service")
    );
    assert!(!generation.join("libexec/netns-compile/netns-off.service").exists());
    let record = fs::read_to_string(generation.join("share/netns-compile/install.json")).unwrap();
    assert!(
        record.contains(r#""/etc/systemd/system/netns-off.service": "/dev/null""#),
        "{record}"
    );
    assert!(!record.contains(wants), "{record}");
    assert_line(&r, "to run: systemctl start netns-on.service");
    assert!(!r.stdout.contains("start netns-off.service"), "{}", r.stdout);
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty(), "{dangling:?}");
    assert_eq!(units["netns-off.service"], MASKED);

    // Enabled now (and `on` masked): the mask is replaced, the unit linked, enabled, started.
    let r = install(&root, &enabled, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        link("netns-off.service").as_deref(),
        Some(Path::new(
            "/var/lib/netns-compile/current/lib/systemd/system/netns-off.service"
        ))
    );
    assert_eq!(
        link(wants).as_deref(),
        Some(Path::new("/etc/systemd/system/netns-off.service"))
    );
    assert_eq!(link("netns-on.service").as_deref(), Some(Path::new("/dev/null")));
    assert_eq!(link("multi-user.target.wants/netns-on.service"), None);
    assert_line(&r, "to run: systemctl start netns-off.service");
    assert!(
        r.stdout.lines().any(|l| l == "  removed   netns-on.service"),
        "{}",
        r.stdout
    );
    let (units, dangling) = working_units(&root);
    assert!(dangling.is_empty(), "{dangling:?}");
    assert_eq!(units, clean_install(&w, "clean-enabled", &enabled));

    // Disabled again, then uninstalled: the mask goes with the rest.
    assert_eq!(install(&root, &disabled, &[]).code, 0);
    assert_eq!(link("netns-off.service").as_deref(), Some(Path::new("/dev/null")));
    assert_eq!(link(wants), None);
    assert_eq!(working_units(&root).0, clean_install(&w, "clean-disabled", &disabled));
    let r = uninstall(&root);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("  - /etc/systemd/system/netns-off.service -> /dev/null"),
        "{}",
        r.stdout
    );
    assert!(tree(&root).is_empty(), "{:?}", tree(&root).keys().collect::<Vec<_>>());
}

/// Regression: a run killed while deleting an old generation left `<n>/` holding only
/// `lib/systemd/system/`, and every later install and uninstall failed on its missing
/// `install.json`. A numbered folder without its record is debris now: the next run deletes
/// it, and works.
#[test]
fn a_generation_folder_without_its_record_is_debris() {
    let w = work();
    let root = w.root("debris");
    let b = clean_install(&w, "clean-b", &w.b);
    for config in [&w.a, &w.b] {
        assert_eq!(install(&root, config, &[]).code, 0);
    }
    // What such a kill left (an older version deleted folders in place), and a leftover of
    // this version's deletion (renamed away, half deleted).
    let state = root.join(STATE);
    for half in ["1/lib/systemd/system", ".0.removed/lib/systemd/system"] {
        fs::create_dir_all(state.join(half)).unwrap();
        fs::write(state.join(half).join("netns-x.service"), "[Service]\n").unwrap();
    }
    let r = install(&root, &w.b, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(generations(&root), ["2", "3", "current", "lock"]);
    assert_eq!(working_units(&root), (b, Vec::new()));
    // Uninstall too.
    fs::create_dir_all(state.join("1/lib/systemd/system")).unwrap();
    let r = uninstall(&root);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tree(&root).is_empty(), "{:?}", tree(&root).keys().collect::<Vec<_>>());
}

/// `--root DIR` where DIR is not there: the error names the root and what it must be, and
/// nothing is created (a mistyped path must not grow a new image).
#[test]
fn a_root_that_is_not_there_is_named() {
    let w = work();
    let missing = w.base.join("no-such-image");
    for r in [install(&missing, &w.a, &[]), uninstall(&missing)] {
        assert_eq!(r.code, 2, "{}", r.stderr);
        let want = format!(
            "--root {}: no such folder; --root names the root folder of an existing system image",
            missing.display()
        );
        assert!(r.stderr.contains(&want), "{}", r.stderr);
    }
    assert!(!missing.exists());
    let file = w.base.join("a-file");
    fs::write(&file, "x").unwrap();
    let r = install(&file, &w.a, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("--root {}: not a folder", file.display())),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_state_folders_and_prefixes() {
    let w = work();
    let root = w.root("bad");
    for prefix in ["relative", "/", "/var/lib/../x", "/var/lib/net ns"] {
        let r = install(&root, &w.a, &["--prefix", prefix]);
        assert_eq!(r.code, 2, "{prefix}: {}", r.stderr);
    }
    // A folder that is not a state folder is neither taken over nor emptied.
    fs::create_dir_all(root.join("srv/data")).unwrap();
    fs::write(root.join("srv/data/keep"), "x").unwrap();
    let r = install(&root, &w.a, &["--prefix", "/srv/data"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a netns-compile state folder"), "{}", r.stderr);
    let r = run(&[
        "uninstall",
        "--root",
        &root.display().to_string(),
        "--prefix",
        "/srv/data",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(fs::read_to_string(root.join("srv/data/keep")).unwrap(), "x");
    // Another state folder works like the default one.
    assert_eq!(install(&root, &w.a, &["--prefix", "/opt/netns"]).code, 0);
    let vpn = fs::read_to_string(root.join("opt/netns/1/lib/systemd/system/netns-vpn.service")).unwrap();
    assert!(vpn.contains("/opt/netns/1/libexec/netns-compile/netns-vpn.service/sysctl"));
    assert_eq!(
        fs::read_link(root.join(UNITS).join("netns-vpn.service")).unwrap(),
        Path::new("/opt/netns/current/lib/systemd/system/netns-vpn.service")
    );
    // A configuration with errors installs nothing.
    let bad = w.base.join("bad.json");
    fs::write(
        &bad,
        r#"{"services": {"netns": {"namespaces": {"a/b": {}}}}, "networking": {}}"#,
    )
    .unwrap();
    let before = tree(&root);
    assert_eq!(install(&root, &bad.display().to_string(), &[]).code, 1);
    assert_same_tree(&root, &before, "an install with errors");
}

// -- under a real systemd -------------------------------------------------------------------

/// A joining service of the administrator's own: it sleeps, so it has a main process whose
/// network namespace can be compared with the namespace's.
const JOINER_UNIT: &str = "[Unit]\nDescription=joins vpn\n\n[Service]\nExecStart=/usr/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n";

/// The container configurations: `vpn` and `old` start at boot, `lab` on demand, `off` is
/// disabled (`enable = false`, with a `wantedBy`), `joiner` joins `vpn`; B changes `vpn` (restarted), changes `lab` with `restartIfChanged = false`
/// (left running), removes `old` (stopped) and adds `web` at boot (started).
fn container_config(b: bool) -> String {
    let (forward, lab, rest) = if b {
        (
            1,
            r#"{ "nftables": "table inet lab { chain c { } }\n", "service": { "restartIfChanged": false } }"#,
            r#""web": { "service": { "wantedBy": [ "multi-user.target" ] } }"#,
        )
    } else {
        (
            0,
            r#"{ "nftables": "table inet lab { }\n" }"#,
            r#""old": { "service": { "wantedBy": [ "multi-user.target" ] } }"#,
        )
    };
    format!(
        r#"{{
  "networking": {{ "nftables": {{ "enable": true, "ruleset": "table inet filter {{ }}\n" }} }},
  "boot": {{ "kernel": {{ "sysctl": {{}} }} }},
  "systemd": {{ "services": {{ "joiner": {{ "netns": "vpn" }} }} }},
  "services": {{ "netns": {{ "namespaces": {{
    "vpn": {{ "sysctl": {{ "net.ipv4.ip_forward": {forward} }}, "service": {{ "wantedBy": [ "multi-user.target" ] }} }},
    "off": {{ "service": {{ "enable": false, "wantedBy": [ "multi-user.target" ] }} }},
    "lab": {lab},
    {rest}
  }} }} }}
}}"#
    )
}

#[test]
fn under_systemd_install_reboot_reinstall_uninstall() {
    if let Some(why) = common::nspawn::unavailable() {
        common::skip("install::under_systemd_install_reboot_reinstall_uninstall", &why);
        return;
    }
    let host = tempfile::tempdir().unwrap();
    let (input, units, state) = (
        host.path().join("in"),
        host.path().join("units"),
        host.path().join("state"),
    );
    for d in [&input, &units, &state] {
        fs::create_dir_all(d).unwrap();
    }
    fs::copy(bin(), input.join("netns-compile")).unwrap();
    fs::write(input.join("a.json"), container_config(false)).unwrap();
    fs::write(input.join("b.json"), container_config(true)).unwrap();
    // /etc/systemd/system and the state folder come from the host, so that they outlive the
    // reboot (the container's own root is a fresh tmpfs at every boot).
    let boot = common::nspawn::Boot {
        bind_ro: vec![(input.clone(), "/opt/netns-test".into())],
        bind: vec![
            (units.clone(), "/etc/systemd/system".into()),
            (state.clone(), "/var/lib/netns-compile".into()),
        ],
    };
    let mut c = common::nspawn::Container::boot(&boot).expect("the container boots");
    // The administrator's joiner, enabled.
    fs::write(units.join("joiner.service"), JOINER_UNIT).unwrap();
    fs::create_dir_all(units.join("multi-user.target.wants")).unwrap();
    let _ = std::os::unix::fs::symlink(
        "/etc/systemd/system/joiner.service",
        units.join("multi-user.target.wants/joiner.service"),
    );
    let before = tree(&units);
    let netcomp = |c: &common::nspawn::Container, args: &[&str]| {
        let mut argv = vec!["/opt/netns-test/netns-compile"];
        argv.extend(args);
        c.exec(&argv)
    };
    let ns_inode = |c: &common::nspawn::Container, ns: &str| {
        c.exec(&["stat", "-L", "-c", "%i", &format!("/run/netns/{ns}")])
            .stdout
            .trim()
            .to_string()
    };
    let joiner_netns = |c: &common::nspawn::Container| {
        let pid = c.main_pid("joiner.service").expect("the joiner runs");
        let link = c.exec(&["readlink", &format!("/proc/{pid}/ns/net")]).stdout;
        link.trim()
            .trim_start_matches("net:[")
            .trim_end_matches(']')
            .to_string()
    };

    // Without tools, the units would call /run/current-system/sw, which this system lacks:
    // refused, nothing written.
    let r = netcomp(&c, &["install", "/opt/netns-test/a.json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("/run/current-system/sw/bin/ip"), "{}", r.stderr);
    assert!(tree(&state).is_empty());
    assert_same_tree(&units, &before, "a refused install");

    // Install: systemd reloaded, the enabled units started at once.
    let r = netcomp(&c, &["install", "/opt/netns-test/a.json", "--host-tools"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for line in [
        "ran: systemctl daemon-reload",
        "ran: systemctl start netns-old.service netns-vpn.service",
    ] {
        assert!(r.stdout.lines().any(|l| l == line), "{line:?} missing:\n{}", r.stdout);
    }
    for unit in ["netns-vpn.service", "netns-old.service"] {
        assert_eq!(c.wait_active(unit, &["active", "failed"]).unwrap(), "active", "{unit}");
    }
    assert_eq!(c.property("netns-vpn.service", "UnitFileState"), "enabled");
    // `enable = false`: masked by the install itself, not started (the start line above is
    // exact), and systemd refuses to start it.
    assert_eq!(
        c.systemctl(&["is-enabled", "netns-off.service"]).stdout.trim(),
        "masked"
    );
    assert_eq!(c.property("netns-off.service", "ActiveState"), "inactive");
    let refused = c.systemctl(&["start", "netns-off.service"]);
    assert!(!refused.ok(), "a masked unit started");
    assert!(refused.stderr.contains("masked"), "{}", refused.stderr);
    // systemd reads the linked units, through `current`, without a complaint.
    let v = c.exec(&[
        "systemd-analyze",
        "verify",
        "netns-vpn.service",
        "netns-lab.service",
        "netns-old.service",
    ]);
    assert!(
        v.ok() && v.stderr.trim().is_empty(),
        "systemd-analyze verify:\n{}{}",
        v.stdout,
        v.stderr
    );

    // Reboot: the enabled units come up by themselves, the joiner inside `vpn`; `lab` does not.
    c.reboot().expect("the container reboots");
    for unit in ["netns-vpn.service", "netns-old.service", "joiner.service"] {
        assert_eq!(
            c.wait_active(unit, &["active", "failed"]).unwrap(),
            "active",
            "{unit} after the reboot"
        );
    }
    assert_eq!(c.property("netns-lab.service", "ActiveState"), "inactive");
    assert_eq!(joiner_netns(&c), ns_inode(&c, "vpn"));
    // The masked unit stayed down through the boot that started its `wantedBy` target.
    assert_eq!(
        c.systemctl(&["is-enabled", "netns-off.service"]).stdout.trim(),
        "masked"
    );
    assert_eq!(c.property("netns-off.service", "ActiveState"), "inactive");
    assert!(
        !c.systemctl(&["start", "netns-off.service"]).ok(),
        "a masked unit started"
    );
    assert!(
        !c.exec(&["test", "-e", "/run/netns/off"]).ok(),
        "the masked namespace exists"
    );
    assert_eq!(c.systemctl(&["start", "netns-lab.service"]).code, 0);
    let invocation = |c: &common::nspawn::Container, u: &str| c.property(u, "InvocationID");
    let (vpn0, lab0, joiner0) = (
        invocation(&c, "netns-vpn.service"),
        invocation(&c, "netns-lab.service"),
        invocation(&c, "joiner.service"),
    );

    // A changed configuration: what the install says it does is what systemd did.
    let r = netcomp(&c, &["install", "/opt/netns-test/b.json", "--host-tools"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for line in [
        "ran: systemctl stop netns-old.service",
        "ran: systemctl daemon-reload",
        "ran: systemctl try-restart netns-vpn.service",
        "ran: systemctl start netns-web.service",
        "not restarted (restartIfChanged = false): netns-lab.service",
    ] {
        assert!(r.stdout.lines().any(|l| l == line), "{line:?} missing:\n{}", r.stdout);
    }
    assert_eq!(
        c.wait_active("netns-web.service", &["active", "failed"]).unwrap(),
        "active"
    );
    assert_eq!(c.property("netns-old.service", "ActiveState"), "inactive");
    assert!(
        !c.exec(&["test", "-e", "/run/netns/old"]).ok(),
        "the removed namespace is still registered"
    );
    assert_ne!(
        invocation(&c, "netns-vpn.service"),
        vpn0,
        "netns-vpn.service was not restarted"
    );
    assert_eq!(
        invocation(&c, "netns-lab.service"),
        lab0,
        "netns-lab.service was restarted"
    );
    assert_eq!(
        c.exec(&["ip", "netns", "exec", "vpn", "sysctl", "-n", "net.ipv4.ip_forward"])
            .stdout
            .trim(),
        "1"
    );
    // The joiner follows its namespace's restart (BindsTo=), into the new namespace.
    assert_eq!(
        c.wait_active("joiner.service", &["active", "failed"]).unwrap(),
        "active"
    );
    assert_ne!(
        invocation(&c, "joiner.service"),
        joiner0,
        "the joiner was not restarted with its namespace"
    );
    assert_eq!(joiner_netns(&c), ns_inode(&c, "vpn"));

    // Uninstall --stop: the units stop, and nothing of the install is left; the joiner's own
    // unit is the administrator's and stays.
    let r = netcomp(&c, &["uninstall", "--stop"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ran: systemctl stop netns-lab.service netns-vpn.service netns-web.service"),
        "{}",
        r.stdout
    );
    for unit in ["netns-vpn.service", "netns-web.service", "netns-lab.service"] {
        assert_eq!(c.property(unit, "ActiveState"), "inactive", "{unit}");
        assert_eq!(c.property(unit, "LoadState"), "not-found", "{unit}");
    }
    assert!(c.exec(&["ls", "/run/netns"]).stdout.trim().is_empty());
    assert_same_tree(&units, &before, "/etc/systemd/system after uninstall");
    assert!(tree(&state).is_empty(), "the state folder is not empty");
    assert_eq!(c.property("joiner.service", "LoadState"), "loaded");
}
