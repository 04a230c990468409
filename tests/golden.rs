//! The golden cases of `fixtures/nixos` (made by the real NixOS module system), judged by the
//! rules of SPEC §9 through both routes — `config.nix` read by our own evaluator, and the
//! `eval.json` real Nix printed for it: units byte-identical after the script-path rule,
//! scripts identical with mode 0555, install links, `resolve` equal to `resolved.json`, error
//! cases exiting 1 with nothing written, and the two routes giving identical trees.

mod common;

use common::{bin, fixtures, read, run, tree};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

struct Case {
    name: String,
    dir: PathBuf,
}

fn cases() -> Vec<Case> {
    let root = fixtures().join("nixos");
    let mut out: Vec<Case> = fs::read_dir(&root)
        .expect("fixtures/nixos exists")
        .flatten()
        .filter(|e| e.path().join("config.nix").is_file())
        .map(|e| Case {
            name: e.file_name().to_string_lossy().into_owned(),
            dir: e.path(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// How a script path is written after normalising: in a unit, `@script:<unit>/<name>@`, so
/// that a unit pointing at another unit's script (same name, maybe the same bytes) differs;
/// inside a script, where scripts.json cannot tell which unit's copy of a shared store path
/// is meant, `@script:<name>@`.
#[derive(Clone, Copy)]
enum Scripts {
    OfUnit,
    ByName,
}

impl Scripts {
    /// `unit_and_name` is `<unit>/<name>`.
    fn placeholder(self, unit_and_name: &str) -> String {
        match self {
            Scripts::OfUnit => format!("@script:{unit_and_name}@"),
            Scripts::ByName => format!("@script:{}@", unit_and_name.rsplit('/').next().unwrap()),
        }
    }
}

/// Golden text with each store path of `paths` (store path → `scripts/<unit>/<name>`, from
/// scripts.json) replaced by its placeholder.
fn golden_norm(text: &str, paths: &BTreeMap<String, String>, how: Scripts) -> String {
    let mut keys: Vec<&String> = paths.keys().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut text = text.to_string();
    for k in keys {
        let rel = paths[k].strip_prefix("scripts/").unwrap_or(&paths[k]);
        text = text.replace(k.as_str(), &how.placeholder(rel));
    }
    text
}

/// Our text with each absolute path of a script under `out`
/// (`<out>/libexec/netns-compile/<unit>/<name>`) replaced by its placeholder; a path to any
/// other file of `out` keeps its place relative to `out`, so it cannot pass for a script.
fn ours_norm(text: &str, out: &Path, how: Scripts) -> String {
    let prefix = format!("{}/", out.display());
    let mut result = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(&prefix) {
        result.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        if Path::new(candidate).is_file() {
            let rel = &candidate[prefix.len()..];
            match rel.strip_prefix("libexec/netns-compile/") {
                Some(script) => result.push_str(&how.placeholder(script)),
                None => result.push_str(&format!("@out:{rel}@")),
            }
        } else {
            result.push_str(candidate);
        }
        rest = &tail[end..];
    }
    result.push_str(rest);
    result
}

/// `netns-compile build INPUT --out OUT --tools TOOLS [--prefix P]`.
fn build(input: &Path, out: &Path, tools: &Path, prefix: Option<&str>) -> common::Output {
    let mut args = vec![
        "build",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--tools",
        tools.to_str().unwrap(),
    ];
    if let Some(p) = prefix {
        args.extend(["--prefix", p]);
    }
    run(&args)
}

/// The inputs of a case: `config.nix`, and `eval.json` where real Nix could print one.
fn inputs(case: &Case) -> Vec<PathBuf> {
    ["config.nix", "eval.json"]
        .iter()
        .map(|f| case.dir.join(f))
        .filter(|p| p.is_file())
        .collect()
}

fn judge_ok(case: &Case, tools: &Path, failures: &mut Vec<String>) {
    let mut trees = Vec::new();
    for input in inputs(case) {
        let work = tempfile::tempdir().unwrap();
        let out = work.path().join("out");
        judge_ok_route(case, &input, &out, tools, failures);
        // Both routes, built for the same place, must give the same bytes.
        let same_place = work.path().join("same");
        build(&input, &same_place, tools, Some("/netns"));
        trees.push((input.display().to_string(), tree(&same_place)));
    }
    if let [(a, ta), (b, tb)] = &trees[..]
        && ta != tb
    {
        failures.push(format!("{}: {a} and {b} give different trees", case.name));
    }
}

fn judge_ok_route(case: &Case, input: &Path, out: &Path, tools: &Path, failures: &mut Vec<String>) {
    let work = tempfile::tempdir().unwrap();
    let r = build(input, out, tools, None);
    if r.code != 0 {
        failures.push(format!(
            "{} ({}): build exit {}: {}",
            case.name,
            input.display(),
            r.code,
            r.stderr
        ));
        return;
    }
    let out = out.to_path_buf();
    let scripts: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_str(&read(&case.dir.join("scripts.json"))).unwrap();
    let all_paths: BTreeMap<String, String> = scripts.values().flat_map(|m| m.clone()).collect();
    let golden_units: Vec<String> = fs::read_dir(case.dir.join("units"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let unit_dir = out.join("lib/systemd/system");
    let ours: Vec<String> = fs::read_dir(&unit_dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("netns-") && n.ends_with(".service"))
                .collect()
        })
        .unwrap_or_default();
    let (mut g, mut o) = (golden_units.clone(), ours.clone());
    g.sort();
    o.sort();
    if g != o {
        failures.push(format!("{}: units {o:?}, want {g:?}", case.name));
    }
    for unit in &golden_units {
        let paths = scripts.get(unit).cloned().unwrap_or_default();
        // Each unit's script paths must point at that unit's own scripts.
        let want = golden_norm(&read(&case.dir.join("units").join(unit)), &paths, Scripts::OfUnit);
        let got = ours_norm(&read(&unit_dir.join(unit)), &out, Scripts::OfUnit);
        if want != got {
            failures.push(format!(
                "{}: unit {unit} differs:\n--- want\n{want}--- got\n{got}",
                case.name
            ));
        }
        for rel in paths.values() {
            let name = Path::new(rel).file_name().unwrap();
            let mine = out.join("libexec/netns-compile").join(unit).join(name);
            if !mine.is_file() {
                failures.push(format!("{}: script {} missing", case.name, mine.display()));
                continue;
            }
            let want = golden_norm(&read(&case.dir.join(rel)), &all_paths, Scripts::ByName);
            let got = ours_norm(&read(&mine), &out, Scripts::ByName);
            if want != got {
                failures.push(format!(
                    "{}: script {rel} differs:\n--- want\n{want}--- got\n{got}",
                    case.name
                ));
            }
            let mode = fs::metadata(&mine).unwrap().permissions().mode() & 0o7777;
            if mode != 0o555 {
                failures.push(format!("{}: script {rel} mode {mode:o}", case.name));
            }
        }
        let text = read(&case.dir.join("units").join(unit));
        if let Some(install) = text.split("\n[Install]\n").nth(1) {
            for line in install.lines().filter_map(|l| l.strip_prefix("WantedBy=")) {
                for target in line.split_whitespace() {
                    let link = unit_dir.join(format!("{target}.wants")).join(unit);
                    if !fs::read_link(&link).is_ok_and(|t| t.ends_with(unit)) {
                        failures.push(format!("{}: {} missing", case.name, link.display()));
                    }
                }
            }
        }
    }
    judge_resolve(case, input, tools, true, failures);
    // Same input, same bytes.
    let again = work.path().join("again");
    build(input, &again, tools, out.to_str());
    if tree(&out) != tree(&again) {
        failures.push(format!("{}: a second build with the same prefix differs", case.name));
    }
}

fn judge_resolve(case: &Case, input: &Path, tools: &Path, must_pass: bool, failures: &mut Vec<String>) {
    let r = run(&["resolve", input.to_str().unwrap(), "--tools", tools.to_str().unwrap()]);
    let golden = case.dir.join("resolved.json");
    let want: Value = if golden.is_file() {
        serde_json::from_str(&read(&golden)).unwrap()
    } else {
        Value::Null // NixOS rejects the config: there is nothing resolved to print
    };
    match r.code {
        0 => {
            let got: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
            if got != want {
                failures.push(format!("{}: resolve printed {got}, want {want}", case.name));
            }
        }
        1 if !must_pass => {}
        code => failures.push(format!("{}: resolve exit {code}: {}", case.name, r.stderr)),
    }
}

fn judge_error(case: &Case, tools: &Path, failures: &mut Vec<String>) {
    for input in inputs(case) {
        judge_error_route(case, &input, tools, failures);
    }
}

fn judge_error_route(case: &Case, input: &Path, tools: &Path, failures: &mut Vec<String>) {
    let work = tempfile::tempdir().unwrap();
    let input = input.to_path_buf();
    let out = work.path().join("out");
    let r = build(&input, &out, tools, None);
    if r.code != 1 || out.exists() {
        failures.push(format!(
            "{}: rejected build exit {}, created output: {}",
            case.name,
            r.code,
            out.exists()
        ));
    }
    if !r.stderr.contains("netns::") {
        failures.push(format!("{}: no diagnostic code in: {}", case.name, r.stderr));
    }
    // An existing output folder survives.
    let keep = work.path().join("keep");
    fs::create_dir_all(keep.join("share/netns-compile")).unwrap();
    fs::write(keep.join("share/netns-compile/manifest.json"), "{}").unwrap();
    let before = tree(&keep);
    let r = build(&input, &keep, tools, None);
    if r.code != 1 || tree(&keep) != before {
        failures.push(format!("{}: rejected build changed an existing output", case.name));
    }
    let r = run(&["check", input.to_str().unwrap()]);
    if r.code != 1 {
        failures.push(format!("{}: check exit {}", case.name, r.code));
    }
    let nixos_rejects = case.dir.join("error.txt").exists();
    judge_resolve(case, &input, tools, false, failures);
    if nixos_rejects && run(&["resolve", input.to_str().unwrap()]).code != 1 {
        failures.push(format!("{}: resolve of a config NixOS rejects did not fail", case.name));
    }
}

#[test]
fn golden_cases_through_both_routes() {
    assert!(bin().is_file());
    let tools = fixtures().join("nixos/tools.json");
    let cases = cases();
    assert!(
        cases.len() >= 17,
        "expected the 17 plain-form cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        if case.dir.join("error.txt").exists() || case.dir.join("spec-error.txt").exists() {
            judge_error(case, &tools, &mut failures);
        } else {
            judge_ok(case, &tools, &mut failures);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The unit comparison tells a unit's own script from another unit's script of the same
/// name and bytes (the golden cases share store paths between such scripts).
#[test]
fn script_paths_must_be_the_units_own() {
    let out = tempfile::tempdir().unwrap();
    for unit in ["netns-a.service", "netns-b.service"] {
        let dir = out.path().join("libexec/netns-compile").join(unit);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("sysctl"), "same\n").unwrap();
    }
    let store = "/nix/store/0000000000000000000000000000000a-sysctl";
    let paths = BTreeMap::from([(store.to_string(), "scripts/netns-a.service/sysctl".to_string())]);
    let golden = golden_norm(&format!("ExecStart={store}\n"), &paths, Scripts::OfUnit);
    let own = format!(
        "ExecStart={}/libexec/netns-compile/netns-a.service/sysctl\n",
        out.path().display()
    );
    let other = own.replace("netns-a.service", "netns-b.service");
    assert_eq!(ours_norm(&own, out.path(), Scripts::OfUnit), golden);
    assert_ne!(ours_norm(&other, out.path(), Scripts::OfUnit), golden);
    // Inside scripts only the name counts.
    assert_eq!(
        ours_norm(&other, out.path(), Scripts::ByName),
        golden_norm(&format!("ExecStart={store}\n"), &paths, Scripts::ByName)
    );
}
