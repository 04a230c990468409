//! Snapshots of the rendered diagnostic for every code: `fixtures/errors/<code>.json` (or
//! `.nix`, and `<code>--<variant>.{json,nix}` for more cases of one code) is the input,
//! `fixtures/errors/<code>[--<variant>].txt` what `netns-compile check` prints (no colour).
//! Update the snapshots with `UPDATE_EXPECT=1 cargo test --test diagnostics`.
//!
//! The codes `audit` finds are rendered by `netns-compile audit` (its report on standard output
//! is left to tests/audit.rs); those of `audit --live` by tests/audit_live.rs, which makes
//! real namespaces differ from their fixture.
//!
//! Every input is checked with `--probe` (the real `nft` and the kernel's sysctl keys, in a
//! throwaway network namespace): the probe must add nothing where the pure checks already
//! speak, and the codes only it finds have their fixtures too. Without nft or `unshare`, those
//! fixtures are SKIPPED (and fail under `CI`).

mod common;

use common::{fixtures, probe_can_run, run};
use netns_compile::diagnostic::{Code, FoundBy};
use std::fs;

#[test]
fn every_code_has_a_rendered_snapshot() {
    let dir = fixtures().join("errors");
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut seen = Vec::new();
    let probe = probe_can_run();
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "nix"))
        .collect();
    inputs.sort();
    for input in inputs {
        let stem = input.file_stem().unwrap().to_string_lossy().into_owned();
        let file = input.file_name().unwrap().to_string_lossy().into_owned();
        let code_name = stem.split("--").next().unwrap_or(&stem);
        let code = Code::from_name(code_name).unwrap_or_else(|| panic!("{file} names no diagnostic code"));
        let rel = format!("fixtures/errors/{file}");
        if code.found_by() == FoundBy::Live {
            // Rendered by tests/audit_live.rs, against namespaces it makes differ.
            assert!(
                dir.join(format!("{stem}.txt")).is_file(),
                "{rel}: no snapshot (tests/audit_live.rs writes it)"
            );
            seen.push(code);
            continue;
        }
        let probe_only = code.found_by() == FoundBy::Probe;
        if probe_only && !probe {
            common::skip(&rel, "check --probe cannot run here: nft or unshare missing");
            seen.push(code);
            continue;
        }
        // The ways around a tunnel are found by `audit`, the rest by `check`.
        let command = if code.found_by() == FoundBy::Audit {
            "audit"
        } else {
            "check"
        };
        let check = |extra: &[&str]| {
            let mut args = vec![command, rel.as_str()];
            args.extend(extra);
            if probe && command == "check" {
                args.push("--probe");
            }
            run(&args)
        };
        let r = check(&[]);
        let want_exit = if code.severity() == netns_compile::diagnostic::Severity::Error {
            1
        } else {
            0
        };
        assert_eq!(r.code, want_exit, "{rel}: exit code\n{}", r.stderr);
        assert!(
            r.stderr.contains(code.as_str()),
            "{rel} does not raise {code}:\n{}",
            r.stderr
        );
        expect_test::expect_file![dir.join(format!("{stem}.txt"))].assert_eq(&r.stderr);
        // The same diagnostics as JSON lines, each with its code and a located label.
        let j = check(&["--message-format", "json"]);
        let first: serde_json::Value = serde_json::from_str(j.stderr.lines().next().unwrap_or("")).unwrap();
        assert_eq!(first["code"], code.as_str(), "{rel}");
        assert!(
            first["labels"][0]["line"].as_u64().is_some(),
            "{rel}: JSON diagnostic without a location"
        );
        seen.push(code);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a snapshot in fixtures/errors: {missing:?}"
    );
}
