//! The Nix language cases of `fixtures/lang/`, run through the public evaluator API.
//!
//! - `eval-okay-<topic>.nix`: the value must print as `eval-okay-<topic>.exp.json` (what real
//!   `nix-instantiate --eval --strict --json` printed). `eval-okay-lib-<topic>.nix` is a
//!   function `{ lib, ... }:` called with netns-compile's native `lib`; its expectation was
//!   made with nixpkgs' `lib`.
//! - `eval-fail-<topic>.nix`: evaluation must fail with a diagnostic located in a file.
//!
//! The expectations are re-checked against real Nix 2.8 (`nix-instantiate`); the `lib` ones
//! against a current nixpkgs `lib` (`NIXPKGS_LIB_DIR`, by default the snapshot
//! `../shared/nixpkgs-lib/current/lib`: the cases were made with it, and Nix 2.8 evaluates all
//! they use). Without real Nix or the snapshot the re-check is SKIPPED, loudly (a failure
//! under CI). Every case runs; the test reports all that fail, by name.

mod common;

use netns_compile::diagnostic::Code;
use netns_compile::diagnostic::Diagnostics;
use netns_compile::eval::EvalOptions;
use netns_compile::model::Tools;
use netns_compile::source::SourceMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang")
}

fn cases(prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/lang exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with(prefix) && n.ends_with(".nix")
        })
        .collect();
    v.sort();
    v
}

fn name_of(p: &Path) -> String {
    p.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string()
}

fn is_lib_case(p: &Path) -> bool {
    name_of(p).starts_with("eval-okay-lib-")
}

/// An eval-okay case that real Nix 2.8 cannot evaluate (it needs a newer builtin) starts
/// with a comment saying so.
fn declines_real_nix(case: &Path) -> bool {
    std::fs::read_to_string(case).is_ok_and(|text| text.starts_with("# ") && text.contains("real Nix cannot"))
}

/// The nixpkgs `lib` the `lib` cases are re-checked with.
fn nixpkgs_lib(test: &str) -> Option<PathBuf> {
    common::snapshot_or_skip(test, "NIXPKGS_LIB_DIR", common::NIXPKGS_LIB_CURRENT)
}

/// What real Nix prints for a case (`None`: it failed). `lib`: the nixpkgs lib of lib cases.
fn real_nix(case: &Path, lib: Option<&Path>) -> Option<String> {
    let file = case.file_name()?.to_str()?.to_string();
    let mut cmd = Command::new("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json"]).current_dir(fixtures());
    // `<nixpkgs/lib>` cases: real Nix finds nixpkgs' lib where ours would give the native one.
    if let Some(lib) = lib.and_then(Path::parent) {
        cmd.env("NIX_PATH", format!("nixpkgs={}", lib.display()));
    }
    if is_lib_case(case) {
        let lib = lib?;
        cmd.args(["-E", &format!("import ./{file} {{ lib = import {}; }}", lib.display())]);
    } else {
        cmd.arg(&file);
    }
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// A file evaluated as a module on its own, with the default tools as `pkgs`.
fn eval_file_json_with_lib(path: &Path, sources: &mut SourceMap) -> Result<String, Diagnostics> {
    let packages = Tools::default().packages();
    netns_compile::frontend::nix::eval_file_json_with_lib(path, &packages, &EvalOptions::default(), sources)
}

/// A file (or its attribute `attr`) evaluated with the default settings.
fn eval_file_json(path: &Path, attr: Option<&str>, sources: &mut SourceMap) -> Result<String, Diagnostics> {
    netns_compile::eval::eval_file_json(path, attr, &EvalOptions::default(), sources)
}

fn ours(case: &Path) -> Result<String, netns_compile::diagnostic::Diagnostics> {
    let mut sources = SourceMap::new();
    if is_lib_case(case) {
        eval_file_json_with_lib(case, &mut sources)
    } else {
        eval_file_json(case, None, &mut sources)
    }
}

#[test]
fn eval_okay_cases_print_what_nix_prints() {
    let test = "eval_okay_cases_print_what_nix_prints";
    let check_real = common::real_nix_or_skip(test);
    let lib = if check_real { nixpkgs_lib(test) } else { None };
    let mut failures = Vec::new();
    let all = cases("eval-okay-");
    for case in &all {
        let name = name_of(case);
        let expected_path = case.with_extension("exp.json");
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{name}: no {}", expected_path.display()));
            continue;
        };
        let expected = expected.trim_end().to_string();
        if check_real && (!is_lib_case(case) || lib.is_some()) {
            match real_nix(case, lib.as_deref()) {
                Some(real) if real != expected => failures.push(format!(
                    "{name}: the committed expectation differs from real Nix: {real}"
                )),
                Some(_) => {}
                // A case real Nix cannot evaluate says why in its first line; any other is
                // a case whose expectation nothing checks.
                None if declines_real_nix(case) => {
                    eprintln!("{name}: not re-checked: real Nix 2.8 cannot evaluate it (see the case)")
                }
                None => failures.push(format!("{name}: real Nix fails on it, so its expectation is unchecked")),
            }
        }
        match ours(case) {
            Ok(got) if got == expected => {}
            Ok(got) => failures.push(format!("{name}:\n    expected {expected}\n    got      {got}")),
            Err(d) => failures.push(format!("{name}: failed: {:?}", d.items.first().map(|x| &x.message))),
        }
    }
    assert!(all.len() >= 150, "only {} eval-okay cases", all.len());
    assert!(
        failures.is_empty(),
        "{} of {} eval-okay cases fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn eval_fail_cases_fail_with_a_located_diagnostic() {
    let test = "eval_fail_cases_fail_with_a_located_diagnostic";
    let check_real = common::real_nix_or_skip(test);
    let lib = if check_real { nixpkgs_lib(test) } else { None };
    let mut failures = Vec::new();
    let all = cases("eval-fail-");
    for case in &all {
        let name = name_of(case);
        if check_real && let Some(out) = real_nix(case, lib.as_deref()) {
            failures.push(format!("{name}: real Nix succeeds with {out}"));
        }
        match ours(case) {
            Ok(out) => failures.push(format!("{name}: succeeded with {out}")),
            Err(d) => {
                let Some(first) = d.items.first() else {
                    failures.push(format!("{name}: failed without a diagnostic"));
                    continue;
                };
                if !matches!(first.code, Code::NixEval | Code::NixSyntax | Code::LimitExceeded) {
                    failures.push(format!("{name}: unexpected code {}", first.code));
                }
                if first.primary.is_none() {
                    failures.push(format!("{name}: diagnostic without a location: {}", first.message));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} eval-fail cases fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

// -- hostile input ------------------------------------------------------------------------------

fn eval_text(name: &str, text: &[u8]) -> Result<String, netns_compile::diagnostic::Diagnostics> {
    let dir = std::env::temp_dir().join(format!("netns-compile-lang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    let mut sources = SourceMap::new();
    eval_file_json(&path, None, &mut sources)
}

fn first_code(r: Result<String, netns_compile::diagnostic::Diagnostics>) -> Code {
    match r {
        Ok(out) => panic!("expected an error, got {}", out.chars().take(100).collect::<String>()),
        Err(d) => {
            let first = d.items.first().expect("a diagnostic");
            assert!(
                first.primary.is_some() || first.code == Code::InvalidUtf8,
                "unlocated: {}",
                first.message
            );
            first.code
        }
    }
}

#[test]
fn deep_nesting_is_a_clear_error() {
    let text = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(matches!(
        first_code(eval_text("deep-list.nix", text.as_bytes())),
        Code::LimitExceeded | Code::NixSyntax
    ));
    let text = "(".repeat(100_000) + "1" + &")".repeat(100_000);
    assert!(matches!(
        first_code(eval_text("deep-parens.nix", text.as_bytes())),
        Code::LimitExceeded | Code::NixSyntax
    ));
}

#[test]
fn million_deep_recursion_is_a_limit() {
    // Ten million levels: past the stack whatever a build's frame sizes (a million fits in
    // the evaluation stack or not depending on how the compiler lays out the evaluator).
    let text = b"let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 10000000";
    assert_eq!(first_code(eval_text("million.nix", text)), Code::LimitExceeded);
}

#[test]
fn self_reference_is_infinite_recursion() {
    let r = eval_text("selfref.nix", b"let x = x; in x");
    let d = r.expect_err("fails");
    assert!(d.items[0].message.contains("infinite recursion"));
    assert!(!d.items[0].secondary.is_empty() || d.items[0].primary.is_some());
}

#[test]
fn self_import_terminates() {
    let dir = std::env::temp_dir().join(format!("netns-compile-selfimport-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("self.nix");
    std::fs::write(&path, "import ./self.nix").expect("write");
    let mut sources = SourceMap::new();
    let d = eval_file_json(&path, None, &mut sources).expect_err("fails");
    assert!(
        d.items[0].message.contains("infinite recursion"),
        "{}",
        d.items[0].message
    );
}

#[test]
fn ten_megabyte_string_is_fine() {
    let text = format!("builtins.stringLength \"{}\"", "x".repeat(10 << 20));
    assert_eq!(
        eval_text("big.nix", text.as_bytes()).expect("evaluates"),
        (10 << 20).to_string()
    );
    let text = b"builtins.stringLength (builtins.concatStringsSep \"\" (builtins.genList (i: \"0123456789\") 1000000))";
    assert_eq!(eval_text("big2.nix", text).expect("evaluates"), "10000000");
}

#[test]
fn non_utf8_source_is_a_clear_error() {
    assert_eq!(first_code(eval_text("latin1.nix", b"\"caf\xe9\"")), Code::InvalidUtf8);
}

#[test]
fn parse_error_on_last_byte_is_located() {
    for text in [
        "{ a = 1; ",
        "[ 1 2",
        "\"abc",
        "''abc",
        "a:",
        "let a = 1; in",
        "{ a = 1; }.",
        "x: x +",
    ] {
        let code = first_code(eval_text("last.nix", text.as_bytes()));
        assert_eq!(code, Code::NixSyntax, "{text}");
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let inputs: &[&str] = &[
        "",
        " ",
        "#",
        "/*",
        "${",
        "''${",
        "{ inherit; }",
        "{ inherit (a); }",
        "a.${",
        "[ (x: x) ] == [ (x: x) ]",
        "builtins.genList (x: x) 100000",
        "let a = { b = a; }; in a.b.b.b.b.b.b",
        "builtins.toJSON (let a = [ a ]; in a)",
        "rec { a = { b = a; }; }",
        "9223372036854775807 + 1",
        "-9223372036854775807 - 2",
        "(-9223372036854775807 - 1) / (-1)",
        "99999999999999999999",
        "builtins.substring 0 1 \"é\"",
        "builtins.split \"\" \"abc\"",
        "builtins.match \"(\" \"\"",
        "builtins.fromJSON (builtins.concatStringsSep \"\" (builtins.genList (x: \"[\") 10000))",
        "import ./.",
        "__curPos",
        "let f = x: f; in f 1 2 3",
        "{ a = 1; } ? \"${throw \"x\"}\"",
    ];
    for input in inputs {
        // Success or a diagnostic, but never a panic or hang.
        let _ = eval_text("hostile.nix", input.as_bytes());
    }
}

// -- the API the module stage uses ------------------------------------------------------------

#[test]
fn nodes_carry_spans_of_values_and_keys() {
    use netns_compile::node::Kind;
    let dir = std::env::temp_dir().join(format!("netns-compile-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("node.nix");
    let text = "{ a.b = 1 + 1; c = [ \"x\" ]; f = x: x; }";
    std::fs::write(&path, text).expect("write");
    let mut sources = SourceMap::new();
    let node = netns_compile::eval::eval_file_node(&path, &EvalOptions::default(), &mut sources).expect("evaluates");
    let attrs = node.attrs().expect("a set");
    let a = attrs.entry("a").expect("a");
    assert_eq!(sources.text(a.key_span), "a");
    let b = a.value.attrs().and_then(|x| x.entry("b")).expect("a.b");
    assert_eq!(sources.text(b.key_span), "b");
    assert_eq!(sources.text(b.value.span), "1 + 1");
    assert_eq!(b.value.kind, Kind::Int(2));
    let c = attrs.get("c").and_then(|c| c.as_list()).expect("c");
    assert_eq!(sources.text(c[0].span), "\"x\"");
    assert_eq!(attrs.get("f").map(|f| f.kind.clone()), Some(Kind::Opaque("lambda")));
}

#[test]
fn module_functions_get_lib_and_pkgs() {
    let dir = std::env::temp_dir().join(format!("netns-compile-module-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("module.nix");
    std::fs::write(
        &path,
        "{ config, lib, pkgs, ... }: { x = lib.mkForce \"${pkgs.iproute2}/bin/ip\"; n = lib.strings.toUpper \"a\"; }",
    )
    .expect("write");
    let mut sources = SourceMap::new();
    let out = eval_file_json_with_lib(&path, &mut sources).expect("evaluates");
    assert_eq!(
        out,
        r#"{"n":"A","x":{"_type":"override","content":"/run/current-system/sw/bin/ip","priority":50}}"#
    );
    std::fs::write(&path, "{ pkgs, ... }: pkgs.hello").expect("write");
    let err = eval_file_json_with_lib(&path, &mut sources).expect_err("unknown package");
    assert!(
        err.items[0].message.contains("nix eval --json"),
        "{}",
        err.items[0].message
    );
    assert!(err.items[0].primary.is_some());
}

#[test]
fn attr_path_selects_inside_the_value() {
    let dir = std::env::temp_dir().join(format!("netns-compile-attr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("attr.nix");
    std::fs::write(&path, "{ a = { \"b.c\" = [ 1 { d = 2; } ]; }; }").expect("write");
    let mut sources = SourceMap::new();
    assert_eq!(
        eval_file_json(&path, Some("a.\"b.c\".1.d"), &mut sources).expect("selects"),
        "2"
    );
    let err = eval_file_json(&path, Some("a.x"), &mut sources).expect_err("missing");
    assert_eq!(err.items[0].message, "attribute 'x' in selection path 'a.x' not found");
}

/// A configuration evaluated against files and an environment held in memory: nothing of
/// the disk is read (the directory `/cfg` is nowhere on it).
#[test]
fn files_and_environment_come_from_the_evaluator_s_io() {
    use netns_compile::eval::{MemoryIo, with_evaluator};
    let main = r#"
      let a = import ./a.nix; in {
        a = a.x;
        sub = import ./sub;
        np = import <np>;
        text = builtins.readFile ./data.txt;
        listing = builtins.readDir ./.;
        exists = builtins.pathExists ./a.nix;
        missing = builtins.pathExists ./nope.nix;
        subIsDir = builtins.pathExists "/cfg/sub/";
        fileIsNoDir = builtins.pathExists "/cfg/a.nix/.";
        greeting = builtins.getEnv "GREETING";
        unset = builtins.getEnv "UNSET";
        home = ~/x;
        traced = builtins.trace { shown = "lazily"; } (builtins.trace "second" 3);
      }"#;
    let io = MemoryIo::new()
        .with_file("/cfg/main.nix", main)
        .with_file("/cfg/a.nix", "{ x = 1; }")
        .with_file("/cfg/sub/default.nix", "\"in sub\"")
        .with_file("/cfg/data.txt", "hello\n")
        .with_file("/store/np/default.nix", "[ (import ./two.nix) ]")
        .with_file("/store/np/two.nix", "2")
        .with_env("GREETING", "hi")
        .with_env("HOME", "/home/u")
        .with_env("NIX_PATH", "np=/store/np")
        .with_current_dir("/cfg");
    let traces = io.trace_log();
    let mut sources = SourceMap::new();
    let json = with_evaluator(&mut sources, &EvalOptions::default().with_io(io.clone()), |ev| {
        let (value, span) = ev.evaluate_file(Path::new("main.nix"), None)?;
        let mut out = String::new();
        ev.print_json(&value, &mut out, span)?;
        Ok::<_, Box<netns_compile::eval::EvalError>>(out)
    })
    .expect("evaluates");
    assert_eq!(
        json,
        concat!(
            r#"{"a":1,"exists":true,"fileIsNoDir":false,"greeting":"hi","home":"/home/u/x","#,
            r#""listing":{"a.nix":"regular","data.txt":"regular","main.nix":"regular","sub":"directory"},"#,
            r#""missing":false,"np":[2],"sub":"in sub","subIsDir":true,"text":"hello\n","traced":3,"unset":""}"#
        )
    );
    // `builtins.trace` reports through the same interface, in evaluation order, showing its
    // first argument as Nix does (a set unforced inside: `{ shown = "lazily"; }`).
    assert_eq!(
        *traces.lock().unwrap(),
        [r#"{ shown = "lazily"; }"#.to_string(), "second".to_string()]
    );
    // A file the tree does not hold is a located error, as a missing file on disk is.
    let io = io.with_file("/cfg/bad.nix", "import ./nope.nix");
    let err = with_evaluator(&mut sources, &EvalOptions::default().with_io(io), |ev| {
        ev.evaluate_file(Path::new("/cfg/bad.nix"), None).map(|_| ())
    })
    .expect_err("no such file");
    assert!(
        err.diagnostic.message.starts_with("cannot read '/cfg/nope.nix'"),
        "{}",
        err.diagnostic.message
    );
    assert!(err.diagnostic.primary.is_some());
}

#[test]
fn error_context_becomes_notes_innermost_first() {
    let case = fixtures().join("eval-fail-adderrorcontext.nix");
    let d = ours(&case).expect_err("throws");
    assert_eq!(d.items[0].message, "boom");
    assert_eq!(
        d.items[0].notes,
        ["while evaluating inner", "while evaluating outer 1"],
        "Nix 2.8's trace lists the contexts innermost first"
    );
    // Reading the context fails: that error replaces the one passing, as in Nix.
    let d = eval_text("context-int.nix", b"builtins.addErrorContext 1 (throw \"x\")").expect_err("fails");
    assert!(d.items[0].message.contains("cannot coerce"), "{}", d.items[0].message);
}

/// `builtins.trace` shows a value as Nix 2.8's `printValue` does, forcing nothing but its
/// outermost constructor (each expected line is what `nix-instantiate --eval` 2.8 printed).
#[test]
fn trace_shows_values_as_nix_2_8_does() {
    use netns_compile::eval::{MemoryIo, with_evaluator};
    let cases = [
        (
            r#"builtins.trace { shown = "lazily"; a = 1 + 1; } 0"#,
            r#"{ a = <CODE>; shown = "lazily"; }"#,
        ),
        (
            r#"let x = { s = "a\"b\\c\nd\te"; f = 1.5; l = [ 1 (2+1) null true ./. builtins.map (builtins.map (x: x)) (x: x) ]; }; in builtins.seq x.l (builtins.trace x 1)"#,
            r#"{ f = 1.5; l = [ 1 <CODE> null true /cfg <CODE> <CODE> <CODE> ]; s = "a\"b\\c\nd\te"; }"#,
        ),
        (
            "let a = { x = 1; }; e = {}; in builtins.seq a (builtins.trace [ a a e e [] [] ] 0)",
            "[ { x = 1; } «repeated» <CODE> <CODE> <CODE> <CODE> ]",
        ),
        (
            "let r = { a = r; }; in builtins.seq r.a (builtins.trace r 0)",
            "{ a = «repeated»; }",
        ),
        (
            "let e = {}; in builtins.seq e (builtins.trace [ e e ] 0)",
            "[ { } { } ]",
        ),
        (
            "builtins.trace builtins.add (builtins.trace (builtins.add 1) 0)",
            "<PRIMOP>",
        ),
        ("builtins.trace (builtins.add 1) 0", "<PRIMOP-APP>"),
        ("builtins.trace (x: x) 0", "<LAMBDA>"),
        ("builtins.trace [ 1.0e20 0.1 3.0 ] 0", "[ 1e+20 0.1 3 ]"),
    ];
    for (text, shown) in cases {
        let io = MemoryIo::new().with_file("/cfg/t.nix", text).with_current_dir("/cfg");
        let traces = io.trace_log();
        let mut sources = SourceMap::new();
        with_evaluator(&mut sources, &EvalOptions::default().with_io(io), |ev| {
            let (value, span) = ev.evaluate_file(Path::new("t.nix"), None)?;
            ev.deep_force(&value, span)
        })
        .unwrap_or_else(|e| panic!("{text}: {}", e.diagnostic.message));
        let traces = traces.lock().unwrap();
        assert_eq!(traces.first().map(String::as_str), Some(shown), "{text}");
    }
}
