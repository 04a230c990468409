//! `netns-compile audit` from the configuration alone (SPEC §13): the golden cases of
//! `fixtures/audit/<case>/` — `config.nix` or `config.json` as input, `expected.txt` the text
//! report, `expected.json` the JSON report, `diagnostics.txt` what goes to standard error —
//! rewritten with `UPDATE_EXPECT=1 cargo test --test audit`. Beside the snapshots, each case's
//! name says the verdict every service of it must get, and every JSON report must have the
//! shape docs/audit.md documents.

mod common;

use common::{fixtures, run};
use serde_json::Value;
use std::fs;
use std::path::PathBuf;

/// The cases, each with its input.
fn cases() -> Vec<(String, PathBuf)> {
    let dir = fixtures().join("audit");
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let input = ["config.nix", "config.json"]
                .iter()
                .map(|f| e.path().join(f))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("fixtures/audit/{name} has no config.nix or config.json"));
            (name, input)
        })
        .collect();
    out.sort();
    out
}

fn rel(input: &std::path::Path) -> String {
    input
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_case_reports_as_its_snapshots() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let cases = cases();
    assert!(cases.len() >= 4, "{cases:?}");
    for (name, input) in &cases {
        let dir = input.parent().unwrap();
        let text = run(&["audit", &rel(input)]);
        assert_eq!(text.code, 0, "{name}: {}", text.stderr);
        expect_test::expect_file![dir.join("expected.txt")].assert_eq(&text.stdout);
        expect_test::expect_file![dir.join("diagnostics.txt")].assert_eq(&text.stderr);
        let json = run(&["audit", &rel(input), "--format", "json"]);
        assert_eq!((json.code, &json.stderr), (0, &text.stderr), "{name}");
        expect_test::expect_file![dir.join("expected.json")].assert_eq(&json.stdout);
        // --deny-warnings fails exactly when there is a way around a tunnel to warn about.
        let denied = run(&["audit", &rel(input), "--deny-warnings"]);
        let warned = text.stderr.contains("warning(s)") && !text.stderr.contains(" 0 warning(s)");
        assert_eq!(denied.code, if warned { 1 } else { 0 }, "{name}: {}", denied.stderr);
    }
}

#[test]
fn each_case_gets_the_verdict_its_name_says() {
    for (name, input) in cases() {
        let want = ["tunnel-only", "host-only", "closed", "open"]
            .into_iter()
            .find(|v| name.starts_with(v))
            .unwrap_or_else(|| panic!("case {name} does not start with a verdict"));
        let r = run(&["audit", input.to_str().unwrap(), "--format", "json"]);
        let report: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{}", r.stdout));
        let services: Vec<&Value> = report["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["services"].as_array().unwrap())
            .collect();
        assert!(!services.is_empty(), "{name}: no service");
        for s in services {
            assert_eq!(s["verdict"], want, "{name}: {s}");
        }
    }
}

/// Every key docs/audit.md promises, with its type.
fn assert_shape(report: &Value, case: &str) {
    let strings = |v: &Value, what: &str| {
        assert!(
            v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "{case}: {what} is not a list of strings: {v}"
        );
    };
    let one_of = |v: &Value, allowed: &[&str], what: &str| {
        assert!(
            v.as_str().is_some_and(|s| allowed.contains(&s)),
            "{case}: {what} = {v}, not one of {allowed:?}"
        );
    };
    let namespaces = report["namespaces"].as_array().expect("namespaces");
    for ns in namespaces {
        assert!(ns["name"].is_string() && ns["running"].is_boolean(), "{case}: {ns}");
        for i in ns["interfaces"].as_array().unwrap() {
            assert!(i["name"].is_string(), "{case}: {i}");
            one_of(
                &i["kind"],
                &["loopback", "host-link", "tunnel", "other"],
                "interface kind",
            );
            strings(&i["addresses"], "addresses");
            assert!(i["note"].is_string() || i["note"].is_null());
            assert!(i["latest_handshake"].is_u64() || i["latest_handshake"].is_null());
        }
        for family in ["ipv4", "ipv6"] {
            for r in ns["routes"][family].as_array().unwrap() {
                assert!(
                    r["to"].is_string() && r["dev"].is_string() && r["kernel"].is_boolean(),
                    "{case}: {r}"
                );
            }
        }
        strings(&ns["routes"]["user"], "routes.user");
        for s in ns["dns"]["servers"].as_array().unwrap() {
            assert!(s["address"].is_string(), "{case}: {s}");
            one_of(
                &s["reach"],
                &["namespace", "tunnel", "host", "other", "user-routes", "unreachable"],
                "dns reach",
            );
            assert!(s["via"].is_string() || s["via"].is_null());
        }
        strings(&ns["dns"]["search"], "dns.search");
        assert!(ns["dns"]["strict"].is_boolean());
        for p in ns["publish"].as_array().unwrap() {
            assert!(
                p["label"].is_string() && p["listen"].is_string() && p["port"].is_i64() && p["protocol"].is_string()
            );
        }
        one_of(&ns["ipv6"]["setting"], &["allow", "disable", "tunnel"], "ipv6.setting");
        one_of(
            &ns["ipv6"]["state"],
            &["disabled", "tunnel", "open", "none"],
            "ipv6.state",
        );
        strings(&ns["ruleset"]["user"], "ruleset.user");
        assert!(ns["ruleset"]["guard"].is_boolean());
        for family in ["ipv4", "ipv6"] {
            let f = &ns["forwarding"][family];
            assert!(f.is_string() || f.is_null(), "{case}: forwarding {f}");
        }
        for s in ns["services"].as_array().unwrap() {
            assert!(
                s["unit"].as_str().is_some_and(|u| u.ends_with(".service")),
                "{case}: {s}"
            );
            assert!(s["forwarder"].is_boolean());
            one_of(
                &s["verdict"],
                &["tunnel-only", "host-only", "closed", "open"],
                "verdict",
            );
            strings(&s["why"], "why");
            assert!(
                !s["why"].as_array().unwrap().is_empty(),
                "{case}: a verdict without a reason"
            );
            for k in ["hidden", "reachable", "own"] {
                strings(&s["resolver_sockets"][k], k);
            }
            let live = &s["live"];
            assert!(
                live.is_null()
                    || (live["in_namespace"].is_boolean()
                        && (live["pid"].is_u64() || live["pid"].is_null())
                        && live["resolv_conf"].is_array()),
                "{case}: live {live}"
            );
        }
    }
}

#[test]
fn the_json_report_has_the_documented_shape() {
    for (name, input) in cases() {
        let r = run(&["audit", input.to_str().unwrap(), "--format", "json"]);
        let report: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_shape(&report, &name);
    }
    // docs/audit.md names every key the report has.
    let doc = fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/audit.md")).unwrap();
    for key in [
        "namespaces",
        "running",
        "interfaces",
        "latest_handshake",
        "routes",
        "kernel",
        "dns",
        "reach",
        "via",
        "strict",
        "publish",
        "ipv6",
        "setting",
        "state",
        "ruleset",
        "guard",
        "forwarding",
        "services",
        "forwarder",
        "verdict",
        "why",
        "resolver_sockets",
        "live",
        "in_namespace",
        "resolv_conf",
    ] {
        assert!(
            doc.contains(&format!("\"{key}\"")),
            "docs/audit.md does not document \"{key}\""
        );
    }
}

#[test]
fn an_invalid_configuration_is_refused_before_any_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.json");
    fs::write(
        &input,
        r#"{"networking": {"nftables": {"enable": false}}, "systemd": {"services": {"a": {"netns": "nowhere"}}}}"#,
    )
    .unwrap();
    let r = run(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("netns::unknown-namespace"), "{}", r.stderr);
}
