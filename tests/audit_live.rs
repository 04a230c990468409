//! `netns-compile audit --live` on a real kernel (SPEC §13): namespaces the test starts with
//! the compiler's own units (run as systemd would run them, see tests/harden), read back by
//! `audit --live --host-tools`, first as configured (exit 0, the verdicts of the configuration),
//! then changed by hand (exit 1, a diagnostic naming the change, rendered into the fixture's
//! snapshot `fixtures/errors/live-*.txt`; `UPDATE_EXPECT=1` rewrites them).
//!
//! Run as an unprivileged user (`setpriv`), `--live` cannot enter the namespaces: a usage
//! error (exit 2) that says to run it as root.
//!
//! The namespaces, interfaces and key file are named for this test only (`nca…`) and removed
//! by guards, also when a test fails. Needs root, iproute2, nftables, procps, util-linux (with
//! setpriv), wg and wireguard-go with /dev/net/tun; otherwise each test says SKIPPED (and fails
//! under CI).
//! systemd does not run as PID 1 here, so the joined services are reported as not running;
//! a process inside its namespace, and one outside it, are proved under a booted systemd by
//! tests/audit_boot.rs.

mod common;
mod harden;

use harden::{
    Compiled, NamespaceGuard, build_host_tools, is_root, missing_program, run_cmd, run_host_unit, start_namespace,
};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the WireGuard fixture expects its private key.
const KEY_DIR: &str = "/run/netns-compile-audit-live";

fn unavailable(extra: &[&str]) -> Option<String> {
    if !is_root() {
        return Some("not running as root (network namespaces need CAP_SYS_ADMIN)".into());
    }
    let mut needed = vec!["ip", "nft", "sysctl", "unshare", "sh"];
    needed.extend_from_slice(extra);
    if let Some(p) = missing_program(&needed) {
        return Some(format!("`{p}` is not installed (tests/run.sh installs it)"));
    }
    None
}

macro_rules! require {
    ($test:expr, $extra:expr) => {
        if let Some(why) = unavailable($extra) {
            common::skip($test, &why);
            return;
        }
    };
}

fn fixture(code: &str) -> String {
    format!("fixtures/errors/{code}.json")
}

/// Compile a fixture with `--host-tools` and start its namespace (and the host-namespace units
/// given), returning the tree and a guard that removes the namespace.
fn start(code: &str, ns: &str, host_units: &[&str]) -> (tempfile::TempDir, Compiled, NamespaceGuard) {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert!(
        !Path::new("/run/netns").join(ns).exists(),
        "{ns} exists before the test"
    );
    let guard = NamespaceGuard::new(vec![ns.to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build_host_tools(Path::new(&fixture(code)), &out);
    let compiled = Compiled::read(&out);
    start_namespace(&compiled, &format!("netns-{ns}.service"));
    for unit in host_units {
        let r = run_host_unit(&compiled, unit, "ExecStart");
        assert_eq!(r.code, 0, "{unit}: {}{}", r.stdout, r.stderr);
    }
    (dir, compiled, guard)
}

fn audit(code: &str, extra: &[&str]) -> common::Output {
    let f = fixture(code);
    let mut args = vec!["audit", f.as_str(), "--live", "--host-tools"];
    args.extend(extra);
    common::run(&args)
}

fn ip(args: &[&str]) {
    let r = run_cmd("ip", args);
    assert_eq!(r.code, 0, "ip {args:?}: {}", r.stderr);
}

/// The live report's namespace, from `--format json`.
fn live_namespace(code: &str) -> Value {
    let r = audit(code, &["--format", "json"]);
    assert_eq!(r.code, 0, "{code}: the state as configured differs:\n{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    report["namespaces"][0].clone()
}

/// The change made by hand is reported, exit 1, as the fixture's snapshot shows.
fn assert_differs(code: &str) {
    let r = audit(code, &[]);
    assert_eq!(r.code, 1, "{code}: {}", r.stderr);
    assert!(r.stderr.contains(&format!("netns::{code}")), "{}", r.stderr);
    expect_test::expect_file![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/errors/{code}.txt"))]
        .assert_eq(&r.stderr);
}

/// Removes the key folder and the tunnel's host-side leftovers when dropped.
struct KeyDir;

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(KEY_DIR);
        if Path::new("/sys/class/net/ncawg0").exists() {
            let _ = Command::new("ip").args(["link", "delete", "ncawg0"]).status();
        }
        if Path::new("/sys/class/net/nsh-ncaroute").exists() {
            let _ = Command::new("ip").args(["link", "delete", "nsh-ncaroute"]).status();
        }
    }
}

#[test]
fn a_tunnel_as_configured_passes_and_a_route_added_by_hand_fails() {
    let test = "audit_live::a_tunnel_as_configured_passes_and_a_route_added_by_hand_fails";
    require!(test, &["wg", "wireguard-go"]);
    if !Path::new("/dev/net/tun").exists() {
        common::skip(test, "/dev/net/tun is missing (wireguard-go needs it)");
        return;
    }
    let _keys = KeyDir;
    fs::create_dir_all(KEY_DIR).unwrap();
    let key = run_cmd("wg", &["genkey"]);
    fs::write(format!("{KEY_DIR}/ncaroute.key"), key.stdout.trim()).unwrap();
    let (_dir, _compiled, _guard) = start(
        "live-route-differs",
        "ncaroute",
        &["netns-ncaroute-hostlink.service", "netns-ncaroute-wireguard.service"],
    );
    // As configured: the same interfaces and routes, the tunnel's handshake read (none yet).
    let ns = live_namespace("live-route-differs");
    assert_eq!(ns["running"], true);
    let kinds: Vec<(&str, &str)> = ns["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("lo", "loopback"), ("host0", "host-link"), ("ncawg0", "tunnel")],
        "{ns}"
    );
    assert_eq!(ns["interfaces"][2]["latest_handshake"], 0, "{ns}");
    assert!(
        ns["routes"]["ipv4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["to"] == "default" && r["dev"] == "ncawg0" && r["kernel"] == false),
        "{ns}"
    );
    assert_eq!(ns["dns"]["servers"][0]["reach"], "tunnel", "{ns}");
    let service = &ns["services"][0];
    assert_eq!(service["live"]["pid"], Value::Null, "{service}");
    // The host's own forwarding is read live: the verdict follows it.
    let forwards = fs::read_to_string("/proc/sys/net/ipv4/conf/all/forwarding").unwrap();
    let want = if forwards.trim() == "0" { "tunnel-only" } else { "open" };
    assert_eq!(service["verdict"], want, "{service}");

    // A route around the tunnel, across the host link.
    ip(&["-n", "ncaroute", "route", "add", "192.0.2.0/24", "dev", "host0"]);
    assert_differs("live-route-differs");
    let ns = {
        let r = audit("live-route-differs", &["--format", "json"]);
        serde_json::from_str::<Value>(&r.stdout).unwrap()["namespaces"][0].clone()
    };
    assert_eq!(ns["services"][0]["verdict"], "open", "{ns}");
    ip(&["-n", "ncaroute", "route", "del", "192.0.2.0/24", "dev", "host0"]);
    // The tunnel down: its interface and its default route are missing.
    ip(&["-n", "ncaroute", "link", "delete", "ncawg0"]);
    let r = audit("live-route-differs", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for part in [
        "interface `ncawg0` of namespace `ncaroute` is missing",
        "route ipv4 default dev ncawg0 of namespace `ncaroute` is missing",
    ] {
        assert!(r.stderr.contains(part), "{part:?} not in:\n{}", r.stderr);
    }
}

#[test]
fn an_interface_added_by_hand_fails() {
    let test = "audit_live::an_interface_added_by_hand_fails";
    require!(test, &[]);
    if !Path::new("/dev/net/tun").exists() {
        common::skip(test, "/dev/net/tun is missing");
        return;
    }
    let (_dir, _compiled, _guard) = start("live-interface-differs", "ncaif", &[]);
    let ns = live_namespace("live-interface-differs");
    assert_eq!(ns["services"][0]["verdict"], "closed", "{ns}");
    ip(&["-n", "ncaif", "tuntap", "add", "mode", "tun", "name", "ncatun0"]);
    ip(&["-n", "ncaif", "address", "add", "192.0.2.9/24", "dev", "ncatun0"]);
    ip(&["-n", "ncaif", "link", "set", "ncatun0", "up"]);
    assert_differs("live-interface-differs");
    // Judged from what was found: the interface is a way out.
    let r = audit("live-interface-differs", &["--format", "json"]);
    let ns = serde_json::from_str::<Value>(&r.stdout).unwrap()["namespaces"][0].clone();
    assert_eq!(ns["services"][0]["verdict"], "open", "{ns}");
}

#[test]
fn a_table_added_by_hand_fails() {
    let test = "audit_live::a_table_added_by_hand_fails";
    require!(test, &[]);
    let (_dir, _compiled, _guard) = start("live-confinement-differs", "ncaconf", &["netns-ncaconf-guard.service"]);
    let ns = live_namespace("live-confinement-differs");
    assert_eq!(ns["ruleset"]["user"], serde_json::json!(["inet filter"]), "{ns}");
    assert_eq!(ns["ruleset"]["guard"], true, "{ns}");
    assert_eq!(ns["ipv6"]["state"], "disabled", "{ns}");
    let in_ns = |args: &[&str]| {
        let mut all = vec!["netns", "exec", "ncaconf"];
        all.extend(args);
        let r = run_cmd("ip", &all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    };
    in_ns(&["nft", "add", "table", "inet", "mine"]);
    assert_differs("live-confinement-differs");
    in_ns(&["nft", "delete", "table", "inet", "mine"]);
    // The guard's work undone by hand: its table gone, IPv6 switched back on.
    in_ns(&["nft", "delete", "table", "inet", "netns-compile"]);
    in_ns(&["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"]);
    let r = audit("live-confinement-differs", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for part in [
        "netns-compile's table `inet netns-compile` is not loaded in namespace `ncaconf`",
        "IPv6 is on in namespace `ncaconf`",
    ] {
        assert!(r.stderr.contains(part), "{part:?} not in:\n{}", r.stderr);
    }
}

#[test]
fn a_namespace_that_is_not_running_fails() {
    let test = "audit_live::a_namespace_that_is_not_running_fails";
    require!(test, &[]);
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert!(!Path::new("/run/netns/ncamiss").exists());
    assert_differs("live-namespace-missing");
}

#[test]
fn without_root_live_fails_as_a_usage_error_that_says_so() {
    let test = "audit_live::without_root_live_fails_as_a_usage_error_that_says_so";
    require!(test, &["setpriv"]);
    // A namespace of this test's own, registered bare: reading it needs root.
    assert!(
        !Path::new("/run/netns/ncauser").exists(),
        "ncauser exists before the test"
    );
    let _guard = NamespaceGuard::new(vec!["ncauser".to_string()]);
    ip(&["netns", "add", "ncauser"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("user.json");
    fs::write(
        &input,
        r#"{"networking": {"nftables": {"enable": false}}, "services": {"netns": {"namespaces": {"ncauser": {}}}}}"#,
    )
    .unwrap();
    // Readable by the unprivileged user.
    let readable = |p: &Path, mode| fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    readable(dir.path(), 0o755);
    readable(&input, 0o644);
    let f = input.to_str().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_netns-compile");
    let r = run_cmd(
        "setpriv",
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            bin,
            "audit",
            &f,
            "--live",
            "--host-tools",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("run it as root"), "{}", r.stderr);
}
