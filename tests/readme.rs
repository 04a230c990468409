//! The README's Nix examples are true: every example that is a whole expression (its first
//! line that is not a comment opens with `{`) compiles with `netns-compile check` and raises
//! nothing, and the confined downloader (the example with a wg-quick `configFile`) is what the
//! README says of it: `audit` finds every unit that joins its namespace `tunnel-only`.

mod common;

use common::run;
use std::fs;
use std::path::Path;

/// The bodies of the README's ```nix blocks.
fn nix_examples() -> Vec<String> {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    readme
        .split("```nix\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or("").to_string())
        .collect()
}

fn is_whole_expression(example: &str) -> bool {
    example
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('{'))
}

/// `args` run over `example` saved as a file.
fn run_on(example: &str, args: &[&str]) -> common::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("configuration.nix");
    fs::write(&path, example).unwrap();
    let mut argv = args.to_vec();
    argv.push(path.to_str().unwrap());
    run(&argv)
}

#[test]
fn every_whole_example_compiles_without_a_word() {
    let examples: Vec<String> = nix_examples().into_iter().filter(|e| is_whole_expression(e)).collect();
    assert!(
        examples.len() >= 3,
        "the README's whole Nix examples: {}",
        examples.len()
    );
    for example in &examples {
        let out = run_on(example, &["check", "--deny-warnings"]);
        assert_eq!(out.code, 0, "README example:\n{example}\ngives:\n{}", out.stderr);
    }
}

#[test]
fn the_confined_downloader_is_tunnel_only() {
    let examples = nix_examples();
    let downloader = examples
        .iter()
        .find(|e| e.contains("configFile") && e.contains("portForward"))
        .expect("the README's confined downloader (a wg-quick configFile and portForward)");
    let out = run_on(downloader, &["audit", "--format", "json", "--deny-warnings"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let services = report["namespaces"][0]["services"].as_array().unwrap();
    let units: Vec<&str> = services.iter().map(|s| s["unit"].as_str().unwrap()).collect();
    for unit in [
        "transmission.service",
        "netns-downloads-portforward.service",
        "netns-downloads-publish-webui.service",
    ] {
        assert!(units.contains(&unit), "{unit} not in the audit: {units:?}");
    }
    for s in services {
        assert_eq!(s["verdict"], "tunnel-only", "{s}");
    }
}
