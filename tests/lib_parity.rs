//! The native `lib` has the shape of current nixpkgs' lib: the same names in `lib` and in each
//! of its namespaces (`lib.types`, `lib.strings`, `lib.modules`, … every attrset-valued
//! attribute nixpkgs' lib has), and the same `name` and `description` for every type of
//! `lib.types` (a constructor applied to simple arguments, `tests/nix/lib-tree.nix`).
//!
//! The oracle is real Nix 2.8 over the snapshot `../shared/nixpkgs-lib/current/lib`
//! (`$NIXPKGS_LIB_CURRENT`), its files imported with stand-ins for the few builtins newer
//! than 2.8 (`tests/nix/nixpkgs-lib-nix28.nix`); the native lib is `<nixpkgs/lib>` under
//! `netns-compile eval` with no `NIX_PATH`. Every difference fails the test and is printed,
//! except the names in [`ABSENT`] (each with why it is not there) and in [`KEPT`] (names
//! nixpkgs has since removed, kept for configurations of its 2022-11 lib, which the test
//! checks against that snapshot).

mod common;

use common::{NIXPKGS_LIB_2022_11, NIXPKGS_LIB_CURRENT, bin, real_nix_or_skip, snapshot_or_skip};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const TEST: &str = "lib_parity";

/// Names nixpkgs' lib has and the native lib deliberately has not: `namespace.name`, or a bare
/// name at the top level (a namespace's own name stands for all its names).
const ABSENT: &[(&[&str], &str)] = &[
    (
        &["maintainers", "teams"],
        "read from nixpkgs' maintainers/ folder, outside lib/ (the snapshot has none): people, not functions",
    ),
    (
        &[
            "addDrvOutputDependencies",
            "derivations.addDrvOutputDependencies",
            "convertHash",
            "flakes",
            "flakeRefToString",
            "parseFlakeRef",
        ],
        "builtins that Nix 2.8 lacks (nixpkgs takes them from builtins); netns-compile's evaluator is Nix 2.8's",
    ),
    (
        &["fileset", "types.fileset"],
        "file sets are made to be copied into a Nix store, which netns-compile has not (its builtins \
         that need one, toFile or storePath, are there and say so when called)",
    ),
    (
        &[
            "licenses",
            "licensesSpdx",
            "getLicenseFromSpdxId",
            "getLicenseFromSpdxIdOr",
            "meta.licensesSpdx",
            "meta.getLicenseFromSpdxId",
            "meta.getLicenseFromSpdxIdOr",
            "systems",
            "platforms",
        ],
        "data nixpkgs keeps for packages' meta and for cross-compiling them (300 licences, every \
         platform's description); netns-compile builds no package",
    ),
];

/// Names the native lib has and current nixpkgs' lib has not: nixpkgs of 2022-11 had them (the
/// test checks it), configurations written for it use them, and its own test suite
/// (`tests/lib_suites.rs`) calls `cartesianProductOfSets`.
const KEPT: &[&str] = &[
    "cartesianProductOfSets",
    "attrsets.cartesianProductOfSets",
    "literalExample",
    "options.literalExample",
    "mdDoc",
    "options.mdDoc",
    "replaceChars",
    "strings.replaceChars",
    "strings.isCoercibleToString",
    "modules.defaultPriority",
    "types.string",
];

/// `lib-tree.nix` over a lib: `{ names = { "" = […]; ns = […]; }; types = { key = { name;
/// description; }; }; }`.
fn tree(program: &Path, args: &[&str], lib: &str) -> Value {
    let tree_nix = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nix/lib-tree.nix");
    let expr = format!(
        "import {} {{ lib = {lib}; unforced = [ \"maintainers\" \"teams\" ]; }}",
        tree_nix.display()
    );
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lib-tree-{}.nix", std::process::id()));
    let out = if program == bin() {
        std::fs::write(&file, &expr).unwrap();
        Command::new(program)
            .args(args)
            .arg(&file)
            .env_remove("NIX_PATH")
            .env("NO_COLOR", "1")
            .output()
    } else {
        Command::new(program)
            .args(args)
            .arg("-E")
            .arg(&expr)
            .env_remove("NIX_PATH")
            .output()
    }
    .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} over {lib}:\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the tree is JSON")
}

/// Real Nix's tree of the nixpkgs lib at `dir`.
fn nix_tree(dir: &Path) -> Value {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nix/nixpkgs-lib-nix28.nix");
    let lib = format!("import {} {{ dir = \"{}\"; }}", oracle.display(), dir.display());
    tree(Path::new("nix-instantiate"), &["--eval", "--strict", "--json"], &lib)
}

/// Which of `paths` (`a.b`) the nixpkgs lib at `dir` has, by real Nix.
fn names_in(dir: &Path, paths: &[&str]) -> BTreeSet<String> {
    let list: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    let expr = format!(
        "let lib = import {}; in builtins.filter (p: lib.hasAttrByPath (lib.splitString \".\" p) lib) [ {} ]",
        dir.display(),
        list.join(" ")
    );
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "-E", &expr])
        .output()
        .expect("nix-instantiate runs");
    assert!(out.status.success(), "{expr}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a list of names")
}

/// Every name of a tree as `namespace.name` (bare at the top level), and every type as
/// `types:<key>` → `name: description`.
fn flatten(tree: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (ns, names) in tree["names"].as_object().expect("names") {
        for name in names.as_array().expect("a list of names") {
            let name = name.as_str().unwrap();
            let key = if ns.is_empty() {
                name.to_owned()
            } else {
                format!("{ns}.{name}")
            };
            out.insert(key, String::new());
        }
    }
    for (key, ty) in tree["types"].as_object().expect("types") {
        let shown = match ty {
            Value::Object(t) => format!("{} / {}", t["name"], t["description"]),
            other => other.to_string(),
        };
        out.insert(format!("types:{key}"), shown);
    }
    out
}

/// The entry of [`ABSENT`] that covers `key`, if any.
fn absent_reason(key: &str) -> Option<&'static str> {
    let path = key
        .strip_prefix("types:")
        .map_or(key.to_owned(), |t| format!("types.{t}"));
    ABSENT.iter().find_map(|(names, why)| {
        names
            .iter()
            .any(|n| path == *n || path.starts_with(&format!("{n}.")))
            .then_some(*why)
    })
}

#[test]
fn native_lib_has_the_names_and_types_of_current_nixpkgs_lib() {
    let Some(current) = snapshot_or_skip(TEST, "NIXPKGS_LIB_CURRENT", NIXPKGS_LIB_CURRENT) else {
        return;
    };
    let Some(old) = snapshot_or_skip(TEST, "NIXPKGS_LIB_2022_11", NIXPKGS_LIB_2022_11) else {
        return;
    };
    if !real_nix_or_skip(TEST) {
        return;
    }
    let upstream = flatten(&nix_tree(&current));
    let native = flatten(&tree(&bin(), &["eval"], "import <nixpkgs/lib>"));
    let old_names = names_in(&old, KEPT);

    let mut problems = Vec::new();
    for (key, shown) in &upstream {
        match native.get(key) {
            None if absent_reason(key).is_some() => {}
            None => problems.push(format!("missing: {key} {shown}")),
            Some(ours) if ours != shown => problems.push(format!("differs: {key}: nixpkgs {shown}, native {ours}")),
            Some(_) => {}
        }
    }
    for (key, ours) in &native {
        if upstream.contains_key(key) {
            continue;
        }
        if KEPT.contains(&key.as_str()) {
            if !old_names.contains(key) {
                problems.push(format!("KEPT says nixpkgs of 2022-11 has {key}, but it has not"));
            }
        } else if !key.starts_with("types:") || !KEPT.contains(&key.replacen("types:", "types.", 1).as_str()) {
            problems.push(format!("extra: {key} {ours}"));
        }
    }
    // The lists stay true: nothing in them that is no longer a difference.
    for (names, _) in ABSENT {
        for name in *names {
            let upstream_has = upstream.keys().any(|k| k == name || k.starts_with(&format!("{name}.")));
            let native_has = native.keys().any(|k| k == name || k.starts_with(&format!("{name}.")));
            if !upstream_has || native_has {
                problems.push(format!("ABSENT lists {name}, which is not absent from the native lib"));
            }
        }
    }
    for name in KEPT {
        if upstream.contains_key(*name) || !native.contains_key(*name) {
            problems.push(format!("KEPT lists {name}, which is not extra in the native lib"));
        }
    }
    assert!(
        problems.is_empty(),
        "the native lib differs from nixpkgs' current lib in {} places:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// `lib.mkDefinition` on the compiler's own options: the `.nix` route (the native lib's marker,
/// read by the module stage) and the JSON route (the marker as `nix eval --json` prints it,
/// `fixtures/cases/definition-marker`) give one tree, in which the marker's value counts as a
/// definition of its own: its `mkForce` outranks the plain definition, its `mkOrder` orders.
#[test]
fn definition_markers_mean_the_same_on_both_routes() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("definition-marker-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let module = r#"{ lib, ... }: {
  networking.nftables.enable = true;
  services.netns.namespaces.edge = {
    nftables = lib.mkMerge [
      "add table inet plain"
      (lib.mkDefinition { file = "/etc/nixos/late.nix"; value = lib.mkForce (lib.mkAfter "add table inet late"); })
      (lib.mkDefinition { file = "/etc/nixos/forced.nix"; value = lib.mkForce "add table inet forced"; })
    ];
    service.after = lib.mkDefinition { file = "/etc/nixos/after.nix"; value = [ "a.service" ]; };
  };
}
"#;
    let json: serde_json::Value = serde_json::from_str(&common::read(
        &common::fixtures().join("cases/definition-marker/input.json"),
    ))
    .unwrap();
    let built = common::build_both_routes(&dir, module, &json);
    let ruleset = &built["libexec/netns-compile/netns-edge.service/nftables-ruleset"].1;
    let ruleset = String::from_utf8_lossy(ruleset);
    assert!(
        ruleset.contains("add table inet forced\nadd table inet late\n") && !ruleset.contains("plain"),
        "{ruleset}"
    );
    let unit = String::from_utf8_lossy(&built["lib/systemd/system/netns-edge.service"].1).into_owned();
    assert!(unit.contains("After=a.service\n"), "{unit}");
    std::fs::remove_dir_all(&dir).unwrap();
}
