//! `netns-compile audit --live` under a real systemd (SPEC §13): this machine's systemd 252 as
//! PID 1 of a throwaway container (`common::nspawn`) runs `fixtures/errors/live-service-outside-namespace.json`:
//! `inside.service` joins `boxed` as its drop-in says (and does not see the resolver socket the
//! test puts in /run/nscd); `escaped.service` was started before its
//! drop-in was installed (then `daemon-reload`, no restart), so it runs in the container's own
//! network namespace (and sees the socket). The audit, run in the container, finds each main PID with `systemctl`:
//! `inside` is in the namespace (its verdict `closed`), `escaped` is not (`open`, and the error
//! `netns::live-service-outside-namespace`, exit 1, as the fixture's snapshot shows;
//! `UPDATE_EXPECT=1` rewrites it).
//!
//! Needs root and systemd-nspawn; otherwise `SKIPPED: …` (a failure when `CI` is set).

mod common;
mod harden;

use common::nspawn::{self, Boot, Container};
use harden::{build_host_tools_at, tempdir};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const PREFIX: &str = "/opt/netns-audit";
/// Where the container sees this checkout's fixtures and the binary.
const SOURCE: &str = "/opt/netns-audit-source";
const BIN: &str = "/opt/netns-audit-bin";
const FIXTURE: &str = "fixtures/errors/live-service-outside-namespace.json";

/// `netns-compile audit FIXTURE --live --host-tools EXTRA…` in the container, from the
/// checkout's folder (so that the file is named as in the snapshot).
fn audit(c: &Container, extra: &str) -> nspawn::Run {
    c.sh(
        &format!("cd {SOURCE} && NO_COLOR=1 {BIN}/netns-compile audit {FIXTURE} --live --host-tools {extra}"),
        &[],
    )
}

#[test]
fn a_service_started_before_its_drop_in_is_found_outside_its_namespace() {
    let test = "audit_boot::a_service_started_before_its_drop_in_is_found_outside_its_namespace";
    if nspawn::skipped(test, || None) {
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempdir("audit-boot");
    let out = work.path().join("out");
    build_host_tools_at(&manifest.join(FIXTURE), &out, Some(PREFIX));
    let etc = work.path().join("etc");
    fs::create_dir(&etc).unwrap();
    nspawn::link_units(&out, &etc, PREFIX, &[]);
    for svc in ["inside", "escaped"] {
        fs::write(
            etc.join(format!("{svc}.service")),
            "[Service]\nExecStart=/bin/sleep infinity\n",
        )
        .unwrap();
    }
    // Held back until escaped.service runs.
    let held = work.path().join("escaped.service.d");
    fs::rename(etc.join("escaped.service.d"), &held).unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_netns-compile"));
    let c = Container::boot(&Boot {
        bind_ro: vec![
            (out.clone(), PREFIX.into()),
            (manifest.join("fixtures"), format!("{SOURCE}/fixtures")),
            (bin.parent().unwrap().to_path_buf(), BIN.into()),
        ],
        bind: vec![(etc.clone(), "/etc/systemd/system".into())],
    })
    .unwrap_or_else(|e| panic!("{e}"));

    // A resolver's socket where nscd keeps it: the drop-in hides it from a joined service.
    c.run_ok(&["sh", "-c", "mkdir -p /run/nscd && touch /run/nscd/socket"]);
    c.run_ok(&["systemctl", "start", "netns-boxed.service", "escaped.service"]);
    fs::rename(&held, etc.join("escaped.service.d")).unwrap();
    c.run_ok(&["systemctl", "daemon-reload"]);
    c.run_ok(&["systemctl", "start", "inside.service"]);
    for unit in ["inside.service", "escaped.service"] {
        c.wait_active(unit, &["active"]).unwrap_or_else(|e| panic!("{e}"));
    }

    let r = audit(&c, "--format json");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let ns = &report["namespaces"][0];
    let service = |unit: &str| {
        ns["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["unit"] == unit)
            .unwrap_or_else(|| panic!("{unit} not in {ns}"))
            .clone()
    };
    let inside = service("inside.service");
    assert_eq!(inside["live"]["in_namespace"], true, "{inside}");
    assert!(inside["live"]["pid"].as_u64().is_some_and(|p| p > 1), "{inside}");
    assert_eq!(inside["verdict"], "closed", "{inside}");
    assert_eq!(
        inside["resolver_sockets"]["reachable"],
        serde_json::json!([]),
        "{inside}"
    );
    let escaped = service("escaped.service");
    assert_eq!(escaped["live"]["in_namespace"], false, "{escaped}");
    assert_eq!(
        escaped["resolver_sockets"]["reachable"],
        serde_json::json!(["/run/nscd"]),
        "{escaped}"
    );
    assert_eq!(escaped["verdict"], "open", "{escaped}");

    let text = audit(&c, "");
    assert_eq!(text.code, 1);
    // The PID differs from boot to boot: the snapshot shows it as PID.
    let pid = escaped["live"]["pid"].as_u64().unwrap();
    let stderr = text.stderr.replace(&format!("PID {pid})"), "PID <pid>)");
    expect_test::expect_file![manifest.join("fixtures/errors/live-service-outside-namespace.txt")].assert_eq(&stderr);

    // Restarted, it joins: the audit passes.
    c.run_ok(&["systemctl", "restart", "escaped.service"]);
    c.wait_active("escaped.service", &["active"])
        .unwrap_or_else(|e| panic!("{e}"));
    let clean = audit(&c, "");
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    drop(c);
}
