//! Properties: determinism (the same configuration with any key order gives the same output
//! bytes), escaping round trips (`escape_shell_arg` through a real shell, `escape_unit_name`
//! into systemd's unit-name alphabet), and the replay of every fuzz finding in
//! `fixtures/fuzz-regressions/` through the fuzz targets' own checks.

#[path = "../fuzz/checks.rs"]
mod checks;
mod common;

use netns_compile::diagnostic::Diagnostics;
use netns_compile::frontend::json::parse_json;
use netns_compile::model::escape::{escape_shell_arg, escape_unit_name, namespace_unit_name};
use netns_compile::source::SourceMap;
use netns_compile::{ToolsChoice, compile_modules};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;

// -- fuzz regressions ------------------------------------------------------------------------

#[test]
fn fuzz_regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in &files {
        let data = fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = std::panic::catch_unwind(|| {
            checks::check_json_frontend(&data);
            checks::check_compile(&data);
            checks::check_nix_eval(&data);
        });
        assert!(outcome.is_ok(), "fuzz regression {name} fails again");
    }
}

// -- determinism -------------------------------------------------------------------------------

/// JSON text of `v` with every object's keys in an order drawn from `seed`.
fn shuffled_json(v: &Value, seed: &mut u64, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            for i in (1..keys.len()).rev() {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                keys.swap(i, (*seed >> 33) as usize % (i + 1));
            }
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                shuffled_json(&map[*k], seed, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                shuffled_json(item, seed, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The output tree of a JSON text (or the error codes).
fn compile_text(text: &str) -> Result<netns_compile::emit::OutputTree, Vec<String>> {
    let mut sources = SourceMap::new();
    let file = sources.add("input.json".to_string(), None, text);
    let node = parse_json(text, file).map_err(|d| vec![d.code.as_str().to_string()])?;
    let mut diags = Diagnostics::new();
    match compile_modules(&[node], ToolsChoice::FromInput, "/prefix", &mut diags) {
        Some(c) => Ok(c.tree),
        None => {
            let mut codes: Vec<String> = diags.errors().map(|d| d.code.as_str().to_string()).collect();
            codes.sort();
            Err(codes)
        }
    }
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_.-]{0,10}",
        "[a-zA-Z0-9 '\"`;:*?&|<>~#!(){}\\[\\]=,+@^_.-]{1,12}",
        "\\PC{1,8}",
    ]
}

fn sysctl_strategy() -> impl Strategy<Value = Map<String, Value>> {
    let keys = prop_oneof![
        Just("net.ipv4.ip_forward"),
        Just("net.ipv6.conf.all.disable_ipv6"),
        Just("net.core.somaxconn"),
        Just("net.ipv4.ip_local_port_range"),
        Just("net.core.rmem_max"),
        Just("net.ipv4.tcp_syncookies"),
    ];
    let value = prop_oneof![
        any::<bool>().prop_map(Value::from),
        (0i64..100_000).prop_map(Value::from),
        "[0-9]{1,5} [0-9]{1,5}".prop_map(Value::from),
        Just(Value::Null),
    ];
    proptest::collection::btree_map(keys, value, 0..4)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn units_strategy() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![
            Just("multi-user.target".to_string()),
            Just("network-pre.target".to_string()),
            "[a-z]{1,6}\\.service"
        ],
        0..3,
    )
}

fn namespace_strategy() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(sysctl_strategy()),
        proptest::option::of("[a-z {};\n]{0,30}"),
        units_strategy(),
        units_strategy(),
        proptest::collection::btree_map("[A-Z]{1,4}", "[ -~]{0,10}", 0..3),
        proptest::option::of("[a-z ;$\"\n]{0,20}"),
    )
        .prop_map(|(sysctl, nft, wanted, after, env, script)| {
            let mut ns = Map::new();
            if let Some(s) = sysctl {
                ns.insert("sysctl".into(), Value::Object(s));
            }
            if let Some(n) = nft {
                ns.insert("nftables".into(), Value::from(n));
            }
            let mut service = Map::new();
            service.insert("wantedBy".into(), json!(wanted));
            service.insert("after".into(), json!(after));
            service.insert("environment".into(), json!(env));
            if let Some(s) = script {
                service.insert("script".into(), Value::from(s));
            }
            ns.insert("service".into(), Value::Object(service));
            Value::Object(ns)
        })
}

fn config_strategy() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map(name_strategy(), namespace_strategy(), 0..4),
        any::<bool>(),
        "[a-z {};\n]{0,30}",
        sysctl_strategy(),
        proptest::collection::btree_map("[A-Z_]{1,6}", proptest::option::of("[ -~]{0,8}"), 0..3),
        proptest::collection::btree_map("[a-z]{1,6}", 0usize..4, 0..3),
    )
        .prop_map(|(namespaces, enable, ruleset, sysctl, global_env, joins)| {
            let names: Vec<String> = namespaces.keys().cloned().collect();
            let services: Map<String, Value> = joins
                .into_iter()
                .filter_map(|(svc, i)| names.get(i).map(|n| (svc, json!({ "netns": n }))))
                .collect();
            json!({
                "networking": { "nftables": { "enable": enable, "ruleset": ruleset } },
                "boot": { "kernel": { "sysctl": sysctl } },
                "systemd": { "globalEnvironment": global_env, "services": services },
                "services": { "netns": { "namespaces": namespaces } },
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn any_key_order_gives_the_same_output(config in config_strategy(), s1 in any::<u64>(), s2 in any::<u64>()) {
        let (mut a, mut b) = (String::new(), String::new());
        shuffled_json(&config, &mut s1.clone(), &mut a);
        shuffled_json(&config, &mut s2.clone(), &mut b);
        let (ta, tb) = (compile_text(&a), compile_text(&b));
        prop_assert_eq!(&ta, &tb, "key order changed the result:\n{}\n{}", a, b);
        // And the same text twice gives the same bytes.
        prop_assert_eq!(&ta, &compile_text(&a));
    }

    #[test]
    fn escape_shell_arg_round_trips_through_sh_and_bash(s in "\\PC{0,24}|[ -~\n\t]{0,24}") {
        let escaped = escape_shell_arg(&s);
        for shell in ["sh", "bash"] {
            let out = Command::new(shell).arg("-c").arg(format!("printf %s {escaped}")).output().unwrap();
            prop_assert!(out.status.success(), "{} failed on {}", shell, escaped);
            prop_assert_eq!(String::from_utf8_lossy(&out.stdout), s.as_str(), "{} read {} back", shell, escaped);
        }
    }

    #[test]
    fn escape_unit_name_gives_systemd_unit_names(s in "\\PC{0,40}|[ -~]{0,40}") {
        let escaped = escape_unit_name(&s);
        // Only characters systemd allows in a unit name (unit-name.c VALID_CHARS, less `:`).
        prop_assert!(
            escaped.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '\\' | '-')),
            "{:?} -> {:?}", s, escaped
        );
        // A run of other characters becomes one `-`; kept characters stay, in order.
        let kept: String = s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '\\' | '-')).collect();
        prop_assert_eq!(escaped.chars().filter(|c| *c != '-').collect::<String>(), kept.replace('-', ""));
        prop_assert!(!escaped.contains("--") || s.contains('-'), "{:?} -> {:?}", s, escaped);
        prop_assert_eq!(escape_unit_name(&escaped), escaped.clone(), "not idempotent");
        let unit = namespace_unit_name(&s);
        prop_assert!(unit.starts_with("netns-") && unit.ends_with(".service"));
        if unit.len() <= 255 {
            prop_assert!(is_valid_unit_name(&unit), "{:?}", unit);
        }
    }
}

/// systemd's `unit_name_is_valid(name, UNIT_NAME_PLAIN)`: at most 255 bytes, a known suffix,
/// a non-empty prefix of `[A-Za-z0-9:_.\\-]`.
fn is_valid_unit_name(name: &str) -> bool {
    let Some(prefix) = name.strip_suffix(".service") else {
        return false;
    };
    name.len() <= 255
        && !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '\\' | '-'))
}

/// Every fixture configuration, its keys reversed, through the binary: the same bytes on disk.
#[test]
fn fixtures_with_reversed_keys_build_the_same_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut inputs = vec![root.join("example.json")];
    for sub in ["nixos", "cases"] {
        for e in fs::read_dir(root.join(sub)).unwrap().flatten() {
            inputs.extend(
                ["eval.json", "input.json"]
                    .map(|f| e.path().join(f))
                    .into_iter()
                    .filter(|p| p.is_file()),
            );
        }
    }
    for e in fs::read_dir(root.join("runtime")).unwrap().flatten() {
        inputs.push(e.path());
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (i, input) in inputs.iter().enumerate() {
        let value: Value = serde_json::from_str(&fs::read_to_string(input).unwrap()).unwrap();
        let reversed = dir.path().join(format!("{i}.json"));
        fs::write(&reversed, reverse_keys(&value).to_string()).unwrap();
        let (a, b) = (dir.path().join(format!("{i}-a")), dir.path().join(format!("{i}-b")));
        let prefix = "/opt/netns-compile-determinism";
        let ra = common::run(&[
            "build",
            input.to_str().unwrap(),
            "--out",
            a.to_str().unwrap(),
            "--prefix",
            prefix,
        ]);
        let rb = common::run(&[
            "build",
            reversed.to_str().unwrap(),
            "--out",
            b.to_str().unwrap(),
            "--prefix",
            prefix,
        ]);
        assert_eq!(ra.code, rb.code, "{}: {} vs {}", input.display(), ra.stderr, rb.stderr);
        if ra.code == 0 {
            assert!(
                common::tree(&a) == common::tree(&b),
                "{}: key order changed the output",
                input.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "only {compared} fixtures built");
}

/// `serde_json` sorts keys; a `Map` keeps them sorted, so write reversed order by hand.
fn reverse_keys(v: &Value) -> ReversedJson<'_> {
    ReversedJson(v)
}

struct ReversedJson<'v>(&'v Value);

impl std::fmt::Display for ReversedJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Value::Object(map) => {
                write!(f, "{{")?;
                for (i, (k, v)) in map.iter().rev().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{}:{}", Value::from(k.as_str()), ReversedJson(v))?;
                }
                write!(f, "}}")
            }
            Value::Array(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{}", ReversedJson(v))?;
                }
                write!(f, "]")
            }
            other => write!(f, "{other}"),
        }
    }
}
