//! `netns-compile explain` and docs/diagnostics.md, both rendered from the explanations in
//! src/diagnostic/explanations.rs.
//!
//! The committed docs/diagnostics.md must be what the library renders; rewrite it with
//! `UPDATE_EXPECT=1 cargo test --test explain`. Every example must be true: its `before`
//! raises its code and its `after` raises nothing, compiled as `netns-compile check` compiles
//! them, and with `--probe` where the probe can run (the codes only the probe finds are
//! SKIPPED without it, and fail under `CI`). A `before` whose mistake is in the file's bytes is
//! compiled saved as Latin-1; one that cannot stand alone at all (the limits, which
//! tests/limits.rs tests at their boundaries) says why in its data, and that is printed.

mod common;

use common::{probe_can_run, run, skip};
use netns_compile::diagnostic::{Code, Diagnostic, Diagnostics, FoundBy, Language, Standalone, render_markdown};
use netns_compile::frontend::json::parse_json;
use netns_compile::frontend::nix::load_nix_modules;
use netns_compile::model::Tools;
use netns_compile::source::SourceMap;
use netns_compile::{ToolsChoice, analyse_modules, probe};
use std::io::Write;

#[test]
fn docs_diagnostics_md_is_the_rendered_explanations() {
    expect_test::expect_file!["../docs/diagnostics.md"].assert_eq(&render_markdown());
}

/// The diagnostics `check` (with `--probe` when `with_probe`) and `audit` give for `text`,
/// compiled as the file `config.<ext>`.
fn check(language: Language, text: &str, with_probe: bool) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("config.{}", language.extension()));
    std::fs::write(&path, text).unwrap();
    let mut sources = SourceMap::new();
    let loaded = match language {
        Language::Nix => load_nix_modules(&path, &Tools::default().packages(), &Default::default(), &mut sources),
        Language::Json => {
            let file = sources.add("config.json", Some(&path), text);
            parse_json(text, file)
                .map(|m| vec![m])
                .map_err(|d| [d].into_iter().collect())
        }
    };
    let modules = match loaded {
        Ok(m) => m,
        Err(diags) => return diags.items,
    };
    let mut diags = Diagnostics::new();
    let analysis = analyse_modules(
        modules,
        ToolsChoice::FromInput,
        "/nix/store/netns-compile-check",
        &mut diags,
    );
    if with_probe && let Some(analysis) = &analysis {
        probe(analysis, &mut diags).expect("the probe runs");
    }
    // Every example is audited too: the ways around a tunnel are its codes.
    if let Some(a) = &analysis {
        netns_compile::audit::audit_configuration(&a.config, &a.model, &mut diags);
    }
    diags.items
}

/// What `netns-compile check` prints for `text` saved as Latin-1 (each character one byte:
/// the example holds only characters below U+0100).
fn check_bytes_saved_as_latin1(language: Language, text: &str) -> String {
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 example holds characters below U+0100"))
        .collect();
    assert!(std::str::from_utf8(&bytes).is_err(), "the example is the same in UTF-8");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("config.{}", language.extension()));
    std::fs::write(&path, bytes).unwrap();
    let out = run(&["check", path.to_str().unwrap()]);
    assert_eq!(out.code, 1, "check of a file that is not UTF-8: {}", out.stderr);
    out.stderr
}

#[test]
fn every_example_raises_its_code_and_its_fix_raises_nothing() {
    let can_probe = probe_can_run();
    let mut failures = Vec::new();
    for &code in Code::ALL {
        let example = code.explanation().example;
        if code.found_by() == FoundBy::Probe && !can_probe {
            skip(
                &format!("the example of {code}"),
                "check --probe cannot run here (nft, or unshare of a network namespace)",
            );
            continue;
        }
        let codes = |text: &str| -> Vec<&str> {
            check(example.language, text, can_probe)
                .iter()
                .map(|d| d.code.as_str())
                .collect()
        };
        match example.standalone {
            Standalone::Yes => {
                let before = codes(example.before());
                if !before.contains(&code.as_str()) {
                    failures.push(format!("{code}: its example raises {before:?}, not {code}"));
                }
            }
            Standalone::SavedAsLatin1 => {
                let stderr = check_bytes_saved_as_latin1(example.language, example.before());
                if !stderr.contains(&code.to_string()) {
                    failures.push(format!("{code}: its example, saved as Latin-1, gives:\n{stderr}"));
                }
            }
            // By design, not by environment: no failure under CI, but said where `cargo test`
            // shows it.
            Standalone::No { reason } => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\n*** not compiled, by design: the example of {code} before its fix: {reason} ***"
                );
            }
        }
        let after = codes(example.after());
        if !after.is_empty() {
            failures.push(format!("{code}: the fixed example still raises {after:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explain_prints_a_code_given_with_or_without_its_prefix() {
    for &code in Code::ALL {
        let bare = run(&["explain", code.name()]);
        assert_eq!(bare.code, 0, "{code}: {}", bare.stderr);
        assert_eq!(bare.stdout, netns_compile::diagnostic::explain_text(code));
        let prefixed = run(&["explain", code.as_str()]);
        assert_eq!((prefixed.code, prefixed.stdout), (0, bare.stdout), "{code}");
    }
    let text = run(&["explain", "nix-eval"]).stdout;
    for part in [
        "netns::nix-eval (error)",
        "What it means",
        "Why it matters",
        "Example",
        "Fixed:",
    ] {
        assert!(text.contains(part), "no {part:?} in:\n{text}");
    }
    // The example is the one the explanation holds, line by line.
    let example = Code::NixEval.explanation().example;
    for line in example.before().lines().chain(example.after().lines()) {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[test]
fn explain_of_an_unknown_code_fails_and_names_the_closest() {
    let r = run(&["explain", "netns::ordering-cycel"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("no diagnostic code `netns::ordering-cycel`") && r.stderr.contains("netns::ordering-cycle"),
        "{}",
        r.stderr
    );
    let part = run(&["explain", "sysctl"]);
    assert_eq!(part.code, 1);
    assert!(
        part.stderr.contains("netns::host-sysctl") && part.stderr.contains("netns::unknown-sysctl"),
        "{}",
        part.stderr
    );
}

#[test]
fn explain_without_a_code_lists_every_code_with_its_summary() {
    let r = run(&["explain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for &code in Code::ALL {
        let line = r
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(code.as_str()))
            .unwrap_or_else(|| panic!("{code} is not listed:\n{}", r.stdout));
        assert!(
            line.contains(code.severity().as_str()) && line.ends_with(code.summary()),
            "{line}"
        );
    }
    let help = run(&["explain", "--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("Usage: netns-compile explain [CODE]"),
        "{}",
        help.stdout
    );
}
