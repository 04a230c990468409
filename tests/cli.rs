//! The command line as a user meets it: subcommands, exit codes, standard input, and bad
//! input of every kind — each a located error with exit 1 and nothing written.

mod common;

use common::{fixtures, run, run_with_stdin, tree};
use std::fs;

fn two_namespaces() -> String {
    fixtures().join("nixos/two-namespaces/eval.json").display().to_string()
}

#[test]
fn help_on_every_subcommand() {
    for sub in [
        vec!["--help"],
        vec!["build", "--help"],
        vec!["check", "--help"],
        vec!["resolve", "--help"],
        vec!["graph", "--help"],
        vec!["install", "--help"],
        vec!["uninstall", "--help"],
    ] {
        let r = run(&sub);
        assert_eq!(r.code, 0, "{sub:?}");
        assert!(r.stdout.contains("Usage"), "{sub:?}: {}", r.stdout);
    }
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(run(&["build"]).code, 2);
    assert_eq!(run(&["check", "/nonexistent/x.json"]).code, 2);
    assert_eq!(run(&["check", &two_namespaces(), "--no-such-flag"]).code, 2);
    assert_eq!(
        run(&["check", &two_namespaces(), "--tools", "/nonexistent.json"]).code,
        2
    );
    let r = run(&["graph", &two_namespaces(), "--format", "svg"]);
    assert_eq!(r.code, 2);
}

/// `build --prefix` and `install --prefix` are one type with one rule: a path either refuses
/// is refused by both, with exit 2, before anything is read or written.
#[test]
fn build_and_install_refuse_the_same_prefixes() {
    let work = tempfile::tempdir().unwrap();
    let (out, root) = (work.path().join("out"), work.path().join("root"));
    for bad in ["relative", "/", "/a/../b", "/a/./b", "/a//b", "/a b", "/a%b", "/a$b"] {
        let with = |command: &str, flag: &str, dir: &std::path::Path| {
            run(&[command, &two_namespaces(), flag, dir.to_str().unwrap(), "--prefix", bad])
        };
        let (build, install) = (with("build", "--out", &out), with("install", "--root", &root));
        for (what, r, role) in [
            ("build", &build, "the output path"),
            ("install", &install, "the state folder"),
        ] {
            assert_eq!(r.code, 2, "{what} --prefix {bad:?}: {}", r.stderr);
            let said = format!("netns-compile: error: {role} {bad:?} must be an absolute path other than /");
            assert!(r.stderr.starts_with(&said), "{what} --prefix {bad:?}: {}", r.stderr);
        }
    }
    assert!(!out.exists() && !root.exists(), "a refused prefix wrote something");
    let good = run(&[
        "build",
        &two_namespaces(),
        "--out",
        out.to_str().unwrap(),
        "--prefix",
        "/opt/netns/",
    ]);
    assert_eq!(good.code, 0, "{}", good.stderr);
}

#[test]
fn bare_input_means_build_into_result() {
    let work = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(common::bin())
        .arg(two_namespaces())
        .current_dir(work.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&status.stdout).trim().to_string();
    assert!(printed.ends_with("/result"), "{printed}");
    assert!(
        work.path()
            .join("result/lib/systemd/system/netns-vpn.service")
            .is_file()
    );
}

#[test]
fn stdin_input_and_check() {
    let text = fs::read(two_namespaces()).unwrap();
    let r = run_with_stdin(&["resolve", "-"], Some(&text));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["lab"]["nftables"], "table inet lab { }");
    let r = run_with_stdin(&["check", "-"], Some(&text));
    assert_eq!(r.code, 0);
    // Warnings (vm.swappiness inherited) are fine until denied.
    assert!(r.stderr.contains("netns::inherited-host-sysctl"), "{}", r.stderr);
    let r = run_with_stdin(&["check", "-", "--deny-warnings"], Some(&text));
    assert_eq!(r.code, 1);
}

#[test]
fn deny_warnings_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let r = run(&[
        "build",
        &two_namespaces(),
        "--out",
        out.to_str().unwrap(),
        "--deny-warnings",
    ]);
    assert_eq!(r.code, 1);
    assert!(!out.exists());
}

#[test]
fn graph_formats() {
    let r = run(&["graph", &two_namespaces(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let order: Vec<&str> = v["start_order"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    let pos = |u: &str| {
        order
            .iter()
            .position(|x| *x == u)
            .unwrap_or_else(|| panic!("{u} not in {order:?}"))
    };
    assert!(pos("netns-vpn.service") < pos("network.target"));
    assert!(pos("foo.service") < pos("netns-vpn.service"));
    let r = run(&["graph", &two_namespaces()]);
    assert!(
        r.stdout.starts_with("//") || r.stdout.starts_with("digraph"),
        "{}",
        r.stdout
    );
}

/// Build `input` written to `dir/file_name`: it must fail with exit 1, a diagnostic holding
/// `expected` and located in that file, no panic, and nothing written.
fn assert_rejected(dir: &std::path::Path, file_name: &str, what: &str, input: &[u8], expected: &str) {
    let file = dir.join(file_name);
    fs::write(&file, input).unwrap();
    let out = dir.join("out");
    let r = run(&["build", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{what}: exit code; stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains(expected),
        "{what}: expected {expected:?} in:\n{}",
        r.stderr
    );
    let located = format!("{file_name}:"); // file:line:column
    assert!(
        r.stderr.contains(&located),
        "{what}: the error is not located:\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{what}: panic:\n{}", r.stderr);
    assert!(!out.exists(), "{what}: output written");
}

/// Every bad input: exit 1, a located `netns::` diagnostic, nothing written, and an existing
/// output folder left as it was.
#[test]
fn bad_inputs_are_located_errors() {
    let ns = |body: &str| format!(r#"{{"services":{{"netns":{{"namespaces":{body}}}}}}}"#);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed", b"{\"services\": {".to_vec(), "netns::json-syntax"),
        ("empty", Vec::new(), "netns::json-syntax"),
        ("only whitespace", b"  \n".to_vec(), "netns::json-syntax"),
        ("invalid utf-8", b"{\"a\": \"\xff\"}".to_vec(), "netns::invalid-utf8"),
        (
            "sysctl a list",
            ns(r#"{"a":{"sysctl":[1]}}"#).into_bytes(),
            "netns::type-mismatch",
        ),
        (
            "sysctl value a set",
            ns(r#"{"a":{"sysctl":{"net.x":{"b":1}}}}"#).into_bytes(),
            "netns::type-mismatch",
        ),
        (
            "nftables an int",
            ns(r#"{"a":{"nftables":1}}"#).into_bytes(),
            "netns::type-mismatch",
        ),
        (
            "after a string",
            ns(r#"{"a":{"service":{"after":"x.service"}}}"#).into_bytes(),
            "netns::type-mismatch",
        ),
        (
            "after not a unit",
            ns(r#"{"a":{"service":{"after":["x"]}}}"#).into_bytes(),
            "netns::type-mismatch",
        ),
        (
            "unknown option",
            ns(r#"{"a":{"sysctls":{}}}"#).into_bytes(),
            "did you mean `sysctl`",
        ),
        (
            "unknown service option",
            ns(r#"{"a":{"service":{"wantedby":[]}}}"#).into_bytes(),
            "did you mean `wantedBy`",
        ),
        (
            "slash",
            ns(r#"{"a/b":{}}"#).into_bytes(),
            "netns::invalid-namespace-name",
        ),
        (
            "dotdot",
            ns(r#"{"..":{}}"#).into_bytes(),
            "netns::invalid-namespace-name",
        ),
        ("dot", ns(r#"{".":{}}"#).into_bytes(), "netns::invalid-namespace-name"),
        (
            "newline",
            ns(r#"{"a\nb":{}}"#).into_bytes(),
            "netns::invalid-namespace-name",
        ),
        (
            "long",
            ns(&format!(r#"{{"{}":{{}}}}"#, "x".repeat(256))).into_bytes(),
            "netns::invalid-namespace-name",
        ),
        (
            "collision",
            ns(r#"{"a b":{},"a;b":{}}"#).into_bytes(),
            "netns::unit-name-collision",
        ),
        ("namespaces a list", ns("[]").into_bytes(), "netns::type-mismatch"),
        (
            "mkIf not bool",
            ns(r#"{"a":{"_type":"if","condition":1,"content":{}}}"#).into_bytes(),
            "netns::invalid-property",
        ),
        (
            "mkMerge not list",
            ns(r#"{"_type":"merge","contents":{}}"#).into_bytes(),
            "netns::invalid-property",
        ),
        (
            "partial",
            br#"{"namespaces":{"a":{}}}"#.to_vec(),
            "netns::partial-config",
        ),
        ("deep", "[".repeat(100_000).into_bytes(), "netns::limit-exceeded"),
        (
            "huge",
            {
                let mut v = b"{\"pad\": \"".to_vec();
                v.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
                v.extend(b"\"}");
                v
            },
            "netns::limit-exceeded",
        ),
    ];
    let work = tempfile::tempdir().unwrap();
    for (what, input, expected) in cases {
        assert_rejected(work.path(), "input.json", what, &input, expected);
        // stdin too.
        let r = run_with_stdin(&["check", "-"], Some(&input));
        assert_eq!(r.code, 1, "{what} on stdin: {}", r.stderr);
    }
}

#[test]
fn failed_build_leaves_existing_output_alone() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let r = run(&["build", &two_namespaces(), "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = tree(&out);
    let bad = work.path().join("bad.json");
    fs::write(&bad, r#"{"services":{"netns":{"namespaces":{"a/b":{}}}}}"#).unwrap();
    assert_eq!(
        run(&["build", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]).code,
        1
    );
    assert_eq!(tree(&out), before);
    // A folder that is not ours is never replaced.
    let mine = work.path().join("mine");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "mine").unwrap();
    let r = run(&["build", &two_namespaces(), "--out", mine.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(fs::read_to_string(mine.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn output_is_deterministic_whatever_the_key_order() {
    let a = r#"{"boot":{"kernel":{"sysctl":{"net.ipv4.ip_forward":1}}},"services":{"netns":{"namespaces":{"x":{"service":{"after":["a.service"],"wants":["a.service"]}},"y":{}}}}}"#;
    let b = r#"{"services":{"netns":{"namespaces":{"y":{},"x":{"service":{"wants":["a.service"],"after":["a.service"]}}}}},"boot":{"kernel":{"sysctl":{"net.ipv4.ip_forward":1}}}}"#;
    let work = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for (i, text) in [a, b, a].iter().enumerate() {
        let file = work.path().join(format!("{i}.json"));
        fs::write(&file, text).unwrap();
        let out = work.path().join(format!("out{i}"));
        let r = run(&[
            "build",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--prefix",
            "/netns",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        trees.push(tree(&out));
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
}

/// Hostile `.nix` inputs through the whole compiler: each a located error, exit 1, nothing
/// written, never a crash.
#[test]
fn bad_nix_inputs_are_located_errors() {
    let work = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{ services.netns.namespaces.a.nftables = {}\"x\"{}; }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("parse error on the last byte", b"{ services.netns.namespaces.a = { }; ".to_vec(), "netns::nix-syntax"),
        ("non-utf-8", b"{ x = \"\xff\"; }".to_vec(), "netns::"),
        ("let x = x", b"let x = x; in { services.netns.namespaces.a.nftables = x; }".to_vec(), "infinite recursion"),
        ("deep nesting", deep.into_bytes(), "netns::"),
        (
            "deep recursion",
            b"let f = n: if n == 0 then 0 else 1 + f (n - 1); in { services.netns.namespaces.a.sysctl.\"net.x\" = f 10000000; }".to_vec(),
            "netns::",
        ),
        ("self import", b"import ./input.nix".to_vec(), "netns::"),
        ("unknown package", b"{ pkgs, ... }: { services.netns.namespaces.a.service.path = [ pkgs.curl ]; }".to_vec(), "pkgs.curl is not available"),
        ("type error", b"{ services.netns.namespaces.a.nftables = 1 + \"x\"; }".to_vec(), "netns::nix-eval"),
        ("unknown option", b"{ services.netns.namespaces.a.nftable = \"\"; }".to_vec(), "did you mean `nftables`"),
        ("throw", b"{ services.netns.namespaces = throw \"no namespaces today\"; }".to_vec(), "no namespaces today"),
    ];
    for (what, input, expected) in cases {
        assert_rejected(work.path(), "input.nix", what, &input, expected);
    }
}

/// A tail-recursive loop runs in constant stack but allocates on each turn (the unforced
/// `n + 1`): the step limit stops it, every turn counted, and the chain of thunks it leaves is
/// freed without overflowing the stack. Before, it ran until memory ran out.
#[test]
fn allocating_tail_loop_stops_at_the_step_limit() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("loop.nix");
    fs::write(&file, "let f = n: f (n + 1); in f 0\n").unwrap();
    let r = run(&["eval", file.to_str().unwrap(), "--max-eval-steps", "3000000"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("netns::limit-exceeded"), "{}", r.stderr);
    assert!(r.stderr.contains("more than 3000000 steps"), "{}", r.stderr);
    assert!(r.stderr.contains("loop.nix:1:"), "not located: {}", r.stderr);
}

/// NixOS's `warnings` of a module: shown as NixOS shows them (`trace: warning: …`), in the
/// order nixpkgs merges the list (an imported module's definitions first), and the build goes
/// on (exit 0). A module that declares `assertions` itself (a copy of NixOS's
/// declaration) keeps its own, and its false assertion still stops the build.
#[test]
fn module_warnings_and_own_assertion_declarations() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("warn.nix");
    fs::write(
        &file,
        r#"{ lib, ... }: {
  warnings = [ "first" ];
  imports = [ { warnings = lib.mkIf true [ "second" ]; assertions = [ { assertion = true; message = "fine"; } ]; } ];
  services.netns.namespaces.vpn = { };
}
"#,
    )
    .unwrap();
    let out = work.path().join("out");
    let r = run(&["build", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("trace: warning: second\ntrace: warning: first\n"),
        "{}",
        r.stderr
    );
    assert!(out.join("lib/systemd/system/netns-vpn.service").exists());

    let file = work.path().join("own.nix");
    fs::write(
        &file,
        r#"{ lib, ... }: {
  options.assertions = lib.mkOption { type = lib.types.listOf lib.types.attrs; default = [ ]; };
  config.assertions = [ { assertion = false; message = "own declaration"; } ];
  config.services.netns.namespaces.vpn = { };
}
"#,
    )
    .unwrap();
    let r = run(&["check", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("netns::failed-assertion"), "{}", r.stderr);
    assert!(r.stderr.contains("- own declaration"), "{}", r.stderr);
    assert!(r.stderr.contains("own.nix:3:"), "not located: {}", r.stderr);
}

/// nixpkgs' own lib (`--nixpkgs`, the current snapshot) takes `pkgs.<tool>` for the
/// derivation it is in NixOS: `getExe` finds `meta.mainProgram`, and where nixpkgs sets none
/// (iproute2) falls back to the pname with its deprecation warning, as NixOS does; `getName`
/// and `getVersion` read a versioned store path; a profile prefix holds every output, a store
/// path only `out`.
#[test]
fn nixpkgs_lib_reads_the_tools_as_packages() {
    const TEST: &str = "nixpkgs_lib_reads_the_tools_as_packages";
    let Some(lib) = common::snapshot_or_skip(TEST, "NIXPKGS_LIB_CURRENT", common::NIXPKGS_LIB_CURRENT) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (ip, nft) = (
        "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-iproute2-6.1.0",
        "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nftables-1.0.9",
    );
    let tools = work.path().join("tools.json");
    fs::write(&tools, format!(r#"{{"iproute2":"{ip}","nftables":"{nft}"}}"#)).unwrap();
    let file = work.path().join("module.nix");
    fs::write(
        &file,
        r#"{ lib, pkgs, ... }: {
  services.netns.namespaces.a.service.environment = {
    NFT = lib.getExe pkgs.nftables;
    IP = lib.getExe' pkgs.iproute2 "ip";
    FALLBACK = lib.getExe pkgs.iproute2;
    NAME = lib.getName pkgs.iproute2;
    VERSION = lib.getVersion pkgs.iproute2;
    WG_MAN = lib.getMan pkgs.wireguard-tools;
  };
}
"#,
    )
    .unwrap();
    let nixpkgs = lib.parent().expect("the lib's checkout");
    let r = run(&[
        "resolve",
        file.to_str().unwrap(),
        "--tools",
        tools.to_str().unwrap(),
        "--nixpkgs",
        nixpkgs.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let resolved: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(
        resolved["a"]["service"]["environment"],
        serde_json::json!({
            "NFT": format!("{nft}/bin/nft"),
            "IP": format!("{ip}/bin/ip"),
            "FALLBACK": format!("{ip}/bin/iproute2"),
            "NAME": "iproute2",
            "VERSION": "6.1.0",
            "WG_MAN": "/run/current-system/sw",
        })
    );
    assert!(
        r.stderr
            .contains("getExe: Package iproute2 does not have the meta.mainProgram attribute"),
        "{}",
        r.stderr
    );

    // The store path of another output is not in the tools: using it is an error located
    // where it is needed.
    fs::write(
        &file,
        "{ lib, pkgs, ... }: {\n  services.netns.namespaces.a.service.environment.DEV = \"${lib.getDev pkgs.iproute2}/include\";\n}\n",
    )
    .unwrap();
    let r = run(&["check", file.to_str().unwrap(), "--tools", tools.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("pkgs.iproute2.dev is not available"), "{}", r.stderr);
    assert!(r.stderr.contains("module.nix:2:"), "not located: {}", r.stderr);
}

/// A false `mkIf` is never discharged into an error: above the options (a disabled feature
/// whose body reads what no module declares) it is dropped unread, and as a value of an
/// `attrs` option (`service`) its content is shown when it evaluates and `{}` when it does not
/// (docs/nix.md). nixpkgs keeps such a content unevaluated; its JSON could not print it.
#[test]
fn a_false_condition_never_raises_its_content_s_error() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("lazy.nix");
    fs::write(
        &file,
        r#"{ config, lib, ... }: {
  config = lib.mkMerge [
    (lib.mkIf false { services.netns.namespaces.off.nftables = config.services.missing; })
    {
      services.netns.namespaces.vpn.service.serviceConfig = {
        ExecStartPost = lib.mkIf false (throw "never raised");
        ExecStartPre = lib.mkIf false [ "/bin/true" ];
      };
    }
  ];
}
"#,
    )
    .unwrap();
    let r = run(&["resolve", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let resolved: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let service = &resolved["vpn"]["service"]["serviceConfig"];
    assert_eq!(
        service["ExecStartPost"],
        serde_json::json!({ "_type": "if", "condition": false, "content": {} })
    );
    assert_eq!(service["ExecStartPre"]["content"], serde_json::json!(["/bin/true"]));
    assert!(resolved.get("off").is_none(), "{resolved}");
}

/// A namespace of a module that extends the namespace submodule is checked as any other, and
/// its diagnostics point at its definitions, not into the lib's module engine that merged it.
#[test]
fn an_extended_namespace_s_errors_point_at_its_definitions() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("extended.nix");
    fs::write(
        &file,
        r#"{ lib, ... }: {
  options.services.netns.namespaces = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule { options.killSwitch = lib.mkEnableOption "a kill switch"; });
  };
  config.services.netns.namespaces.vpn = {
    killSwitch = true;
    sysctl."vm.swappiness" = 10;
  };
}
"#,
    )
    .unwrap();
    let r = run(&["check", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("netns::host-sysctl"), "{}", r.stderr);
    assert!(r.stderr.contains("extended.nix:7:"), "not located: {}", r.stderr);
}

#[test]
fn eval_prints_json_like_nix() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("e.nix");
    fs::write(&file, "{ a = 0.1 + 0.2; b = [ 1 \"x\" null ]; c.d = 1.0e10; }").unwrap();
    let r = run(&["eval", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), r#"{"a":0.3,"b":[1,"x",null],"c":{"d":1e+10}}"#);
    let r = run(&["eval", file.to_str().unwrap(), "--attr", "c.d"]);
    assert_eq!(r.stdout.trim(), "1e+10");
    fs::write(&file, "{ f = x: x; }").unwrap();
    let r = run(&["eval", file.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("function"), "{}", r.stderr);
}

/// `check --probe` asks the real nft and the kernel (SKIPPED without them, failing under CI).
fn probe_runs_here() -> bool {
    let ok = std::process::Command::new("nft")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && std::process::Command::new("unshare")
            .args(["--map-root-user", "--net", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        common::skip(
            "cli: check --probe tests",
            "nft or unshare of a network namespace is missing",
        );
    }
    ok
}

#[test]
fn check_probe_asks_nft_and_the_kernel() {
    if !probe_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Rulesets nft accepts and keys the kernel has: nothing to say.
    let r = run(&[
        "check",
        &fixtures().join("example.json").display().to_string(),
        "--probe",
    ]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    // An inherited ruleset nft rejects: asked once, reported for each namespace, at the
    // definition, with nft's own words; and a mistyped key with the closest real one (the
    // same definition inherited twice is one diagnostic).
    let input = dir.path().join("bad.json");
    fs::write(
        &input,
        r#"{"networking": {"nftables": {"enable": true, "ruleset": "table inet t { chain c { type filter hook nowhere priority 0; } }"}},
            "boot": {"kernel": {"sysctl": {"net.ipv6.conf.all.forwardin": 1}}},
            "services": {"netns": {"namespaces": {"a": {}, "b": {}}}}}"#,
    )
    .unwrap();
    let r = run(&[
        "check",
        &input.display().to_string(),
        "--probe",
        "--message-format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let diags: Vec<serde_json::Value> = r.stderr.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["netns::nft-rejected", "netns::nft-rejected", "netns::unknown-sysctl"]
    );
    assert_eq!(diags[0]["labels"][0]["line"], 1);
    assert!(
        diags[0]["notes"][0].as_str().unwrap().contains("nowhere"),
        "{}",
        diags[0]
    );
    assert_eq!(diags[2]["help"], "did you mean `net.ipv6.conf.all.forwarding`?");
    // Without --probe, none of that is looked at.
    assert_eq!(run(&["check", &input.display().to_string()]).code, 0);
}

#[test]
fn check_probe_without_its_tools_says_so() {
    let out = std::process::Command::new(common::bin())
        .args([
            "check",
            &fixtures().join("example.json").display().to_string(),
            "--probe",
        ])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--probe needs nft"), "{stderr}");
}

/// Issue 19 item 4: what is defined directly on a namespace's unit
/// (`systemd.services.netns-<escaped>`) was dropped without a word on both routes; it is
/// merged into the unit as NixOS merges it, and the options of current NixOS are known.
#[test]
fn definitions_on_the_namespace_unit_reach_it_on_both_routes() {
    let work = tempfile::tempdir().unwrap();
    let nix = work.path().join("config.nix");
    fs::write(
        &nix,
        r#"{
          services.netns.namespaces."w g" = { };
          systemd.services.netns-w-g = {
            after = [ "x.service" ];
            serviceConfig.ExecStartPost = [ "/bin/true" ];
            postStart = "echo started";
            wantedBy = [ "multi-user.target" ];
            restartIfChanged = false;
            upheldBy = [ "y.target" ];
            aliases = [ "wg-alias.service" ];
            notSocketActivated = true;
            restartTriggers = [ "/etc/wg" ];
            reloadTriggers = [ "/etc/wg-reload" ];
            enableStrictShellChecks = true;
          };
        }"#,
    )
    .unwrap();
    let eval = run(&["eval", nix.to_str().unwrap()]);
    assert_eq!(eval.code, 0, "{}", eval.stderr);
    let json = work.path().join("config.json");
    fs::write(&json, &eval.stdout).unwrap();
    for input in [&nix, &json] {
        let out = work
            .path()
            .join(format!("out-{}", input.extension().unwrap().to_str().unwrap()));
        let r = run(&["build", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}: {}", input.display(), r.stderr);
        let units = out.join("lib/systemd/system");
        let unit = fs::read_to_string(units.join("netns-w-g.service")).unwrap();
        for line in [
            "After=x.service",
            "ExecStartPost=/bin/true",
            "X-RestartIfChanged=false",
            "X-NotSocketActivated=true",
            "WantedBy=multi-user.target",
        ] {
            assert!(
                unit.lines().any(|l| l == line),
                "{}: no {line} in\n{unit}",
                input.display()
            );
        }
        for key in ["X-Restart-Triggers=", "X-Reload-Triggers="] {
            assert!(
                unit.lines().any(|l| l.starts_with(key)),
                "{}: no {key} in\n{unit}",
                input.display()
            );
        }
        let script_line = unit
            .lines()
            .find(|l| l.starts_with("ExecStartPost=") && l.ends_with("/netns-w-g-post-start"))
            .unwrap_or_else(|| panic!("{}: no post-start script in\n{unit}", input.display()));
        let script = fs::read_to_string(script_line.trim_start_matches("ExecStartPost=")).unwrap();
        assert!(
            script.contains("set -o nounset\nset -o pipefail\n\necho started\n"),
            "{script}"
        );
        assert!(units.join("multi-user.target.wants/netns-w-g.service").is_symlink());
        assert!(units.join("y.target.upholds/netns-w-g.service").is_symlink());
        assert_eq!(
            fs::read_link(units.join("wg-alias.service")).unwrap(),
            std::path::Path::new("netns-w-g.service")
        );
    }
}
