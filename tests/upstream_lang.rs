//! Differential test against the Nix language test suite (NixOS/nix `tests/functional/lang`,
//! LGPL: never vendored). It is read from `$NIX_LANG_TESTS_DIR`, by default the snapshot
//! `../shared/nix-lang/tests/functional/lang`; without it (or real Nix) the test says SKIPPED
//! (a failure under CI).
//!
//! For every `eval-okay-*.nix`, real Nix (`nix-instantiate --eval --strict --json`, the
//! reference Nix 2.8) gives the expected JSON; cases real Nix cannot print as JSON (newer
//! language features, functions, derivations, store paths) are not counted. netns-compile
//! must print the same text. `fixtures/lang/notyetpassing.txt` lists the cases that do not
//! agree yet: the test fails when an unlisted case disagrees *or* a listed one starts to
//! agree (then remove it from the list).

mod common;

use netns_compile::eval::{EvalIo, EvalOptions, FileType, StdIo};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The real disk and environment, with `TEST_VAR=foo` added as the upstream harness sets it
/// (`eval-okay-getenv` reads it): given to the evaluator, so the test sets nothing in the
/// process.
struct UpstreamHarnessIo;

impl EvalIo for UpstreamHarnessIo {
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        StdIo.read_file(path)
    }
    fn file_type(&self, path: &Path) -> std::io::Result<FileType> {
        StdIo.file_type(path)
    }
    fn symlink_file_type(&self, path: &Path) -> std::io::Result<FileType> {
        StdIo.symlink_file_type(path)
    }
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<(String, FileType)>> {
        StdIo.read_dir(path)
    }
    fn env_var(&self, name: &str) -> Option<String> {
        match name {
            "TEST_VAR" => Some("foo".into()),
            _ => StdIo.env_var(name),
        }
    }
    fn current_dir(&self) -> PathBuf {
        StdIo.current_dir()
    }
    fn trace(&self, message: &str) {
        StdIo.trace(message)
    }
}

fn real_nix_json(case: &Path) -> Option<String> {
    let dir = case.parent()?;
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(case.file_name()?)
        .current_dir(dir)
        .env("TEST_VAR", "foo")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok().map(|s| s.trim_end().to_string())
}

fn ours(case: &Path) -> Result<String, String> {
    let mut sources = netns_compile::source::SourceMap::new();
    let options = EvalOptions::default().with_io(UpstreamHarnessIo);
    netns_compile::eval::eval_file_json(case, None, &options, &mut sources)
        .map_err(|d| d.items.first().map(|x| x.message.clone()).unwrap_or_default())
}

fn not_yet_passing() -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang/notyetpassing.txt"))
        .unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn upstream_lang_tests_agree_with_real_nix() {
    let test = "upstream_lang_tests_agree_with_real_nix";
    let Some(dir) = common::snapshot_or_skip(test, "NIX_LANG_TESTS_DIR", common::NIX_LANG_TESTS) else {
        return;
    };
    if !common::real_nix_or_skip(test) {
        return;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("NIX_LANG_TESTS_DIR is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("eval-okay-") && name.ends_with(".nix")
        })
        .collect();
    cases.sort();
    let listed = not_yet_passing();
    let (mut total, mut agree) = (0, 0);
    let mut problems = Vec::new();
    let mut failing = Vec::new();
    for case in &cases {
        let name = case.file_stem().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let Some(expected) = real_nix_json(case) else {
            continue;
        };
        total += 1;
        let got = ours(case);
        let passes = got.as_deref() == Ok(expected.as_str());
        if passes {
            agree += 1;
            if listed.contains(&name) {
                problems.push(format!("{name}: passes now, remove it from notyetpassing.txt"));
            }
        } else {
            failing.push(name.clone());
            if !listed.contains(&name) {
                let got = match got {
                    Ok(s) => s.chars().take(300).collect::<String>(),
                    Err(e) => format!("error: {e}"),
                };
                problems.push(format!(
                    "{name}:\n  expected {}\n  got      {got}",
                    expected.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    println!("upstream: {agree}/{total} agree");
    if std::env::var("PRINT_FAILING").is_ok() {
        println!("{}", failing.join("\n"));
    }
    assert!(
        problems.is_empty(),
        "{} upstream cases changed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
