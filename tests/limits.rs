//! Input limits (issue 4, item 7): the input size (`--max-input-bytes`, default 32 MiB) and
//! the JSON nesting depth (512) are documented, adjustable where the README says so, exact at
//! their boundary, and going past one is a clear, located `netns::limit-exceeded` error
//! (exit 1), from a file or from standard input, never a crash.

mod common;

use common::{run, run_with_stdin};
use netns_compile::cli::DEFAULT_MAX_INPUT_BYTES;
use netns_compile::frontend::json::MAX_DEPTH;
use std::fs;
use std::path::Path;

/// A valid configuration of exactly `len` bytes (padded inside an ignored top-level key).
fn config_of_len(len: usize) -> Vec<u8> {
    let head = br#"{"boot":{"kernel":{"sysctl":{}}},"networking":{"nftables":{"enable":false}},"pad":""#;
    let tail = br#""}"#;
    assert!(len >= head.len() + tail.len());
    let mut v = head.to_vec();
    v.resize(len - tail.len(), b'x');
    v.extend_from_slice(tail);
    v
}

/// `depth` nested containers (the top-level object and arrays) around a number, the
/// number inside an ignored top-level key.
fn nested(depth: usize) -> Vec<u8> {
    let inner = depth - 1;
    format!(
        r#"{{"boot":{{"kernel":{{"sysctl":{{}}}}}},"pad":{}0{}}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    )
    .into_bytes()
}

#[test]
fn limits_are_documented() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains("--max-input-bytes") && readme.contains("32 MiB"),
        "README: size limit"
    );
    assert!(readme.contains("512"), "README: depth limit");
    assert_eq!(DEFAULT_MAX_INPUT_BYTES, 32 * 1024 * 1024);
    assert_eq!(MAX_DEPTH, 512);
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/hardening.md")).unwrap();
    assert!(
        doc.contains("--max-input-bytes") && doc.contains("512"),
        "docs/hardening.md: limits"
    );
    for sub in ["build", "check", "resolve", "graph"] {
        let help = run(&[sub, "--help"]);
        assert!(help.stdout.contains("--max-input-bytes"), "{sub} --help");
    }
}

#[test]
fn input_size_limit_is_exact_and_adjustable() {
    let dir = tempfile::tempdir().unwrap();
    let len = 4096;
    let file = dir.path().join("input.json");
    fs::write(&file, config_of_len(len)).unwrap();
    let f = file.to_str().unwrap();
    let at = len.to_string();
    let below = (len - 1).to_string();

    let ok = run(&["check", f, "--max-input-bytes", &at]);
    assert_eq!(ok.code, 0, "exactly at the limit: {}", ok.stderr);
    let over = run(&["check", f, "--max-input-bytes", &below]);
    assert_eq!(over.code, 1, "one byte over: {}", over.stderr);
    assert!(over.stderr.contains("netns::limit-exceeded"), "{}", over.stderr);
    assert!(
        over.stderr.contains("--max-input-bytes"),
        "the message names the flag: {}",
        over.stderr
    );
    assert!(
        over.stderr.contains("input.json"),
        "the message names the file: {}",
        over.stderr
    );

    let ok = run_with_stdin(&["check", "-", "--max-input-bytes", &at], Some(&config_of_len(len)));
    assert_eq!(ok.code, 0, "stdin at the limit: {}", ok.stderr);
    let over = run_with_stdin(&["check", "-", "--max-input-bytes", &below], Some(&config_of_len(len)));
    assert_eq!(over.code, 1, "stdin over: {}", over.stderr);
    assert!(over.stderr.contains("netns::limit-exceeded"), "{}", over.stderr);

    // build writes nothing when over.
    let out = dir.path().join("out");
    let r = run(&["build", f, "--out", out.to_str().unwrap(), "--max-input-bytes", &below]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!out.exists());
    // And the limit can be raised past the default.
    let r = run(&["check", f, "--max-input-bytes", &(64u64 << 20).to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn nesting_depth_limit_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    fs::write(&file, nested(MAX_DEPTH)).unwrap();
    let ok = run(&["check", file.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{} levels: {}", MAX_DEPTH, ok.stderr);
    fs::write(&file, nested(MAX_DEPTH + 1)).unwrap();
    let over = run(&["check", file.to_str().unwrap()]);
    assert_eq!(over.code, 1, "{} levels: {}", MAX_DEPTH + 1, over.stderr);
    assert!(over.stderr.contains("netns::limit-exceeded"), "{}", over.stderr);
    assert!(
        over.stderr.contains(&format!("deeper than {MAX_DEPTH} levels")),
        "{}",
        over.stderr
    );
    assert!(over.stderr.contains("input.json:1:"), "located: {}", over.stderr);
    // Far past it, objects and arrays mixed: still the clear error, no stack overflow.
    let deep = format!("{}{}", r#"{"a":["#.repeat(200_000), "0");
    let r = run_with_stdin(&["check", "-"], Some(deep.as_bytes()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("netns::limit-exceeded"), "{}", r.stderr);
}
