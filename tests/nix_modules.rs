//! Module-form configs as NixOS users write them (`fixtures/modules/<case>/config.nix`, with
//! the files it imports), each evaluated by the real nixpkgs module system through real Nix
//! and by netns-compile's `.nix` route — once with the native lib and once with nixpkgs' own
//! lib (`--nixpkgs`) — and required to agree:
//!
//! - the oracle is `tests/nix/module-eval.nix` (nix/module.nix beside stand-ins for the NixOS
//!   options it reads, the case as the user's module) under `nix-instantiate`; what it hands
//!   the compiler, compiled by the JSON route, is what NixOS gives;
//! - `resolve` of the case must print the same namespaces, and `build` must write the same
//!   tree (units, drop-ins, scripts, manifest);
//! - a case with an `error-code` file is one NixOS rejects: real Nix must fail, and so must
//!   netns-compile, with that diagnostic code, located in the case's files;
//! - a case with a `native-pending` file needs the native lib's module engine (submodule
//!   merging, `coercedTo`, …), which is not there yet: the native run must still disagree,
//!   so that the marker is removed when the engine lands. The nixpkgs-lib run is always held
//!   to the oracle.
//!
//! Inputs, found at `../shared/…` by default (or `shared/` beside a further ancestor, for a
//! worktree): the oracle's lib
//! (`NETNS_MODULES_ORACLE_LIB`, default `../shared/nixpkgs-lib/current/lib`; nix/lib.nix
//! needs `lib.isPath`, which the 2022-11 lib lacks) and the nixpkgs given to `--nixpkgs`
//! (`NETNS_MODULES_NIXPKGS`, default `../shared/nixpkgs-lib/2022-11`). A missing input or
//! Nix tool prints SKIPPED; with `CI` set it fails instead.

mod common;

use common::{bin, fixtures, skip, tree};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TMP_DIR: &str = env!("CARGO_TARGET_TMPDIR");

/// `$var`, else `shared/<rel>` beside the project root (`../shared`) or beside an ancestor
/// (a git worktree kept under the project's folder).
fn input_dir(var: &str, rel: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os(var) {
        return PathBuf::from(dir);
    }
    let beside = |dir: &Path| dir.join("shared").join(rel);
    Path::new(CRATE_DIR)
        .ancestors()
        .skip(1)
        .map(beside)
        .find(|p| p.exists())
        .unwrap_or_else(|| beside(Path::new(CRATE_DIR).parent().unwrap_or(Path::new("/"))))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    Command::new(program.as_ref())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("NIX_PATH")
        .output()
        .unwrap_or_else(|e| panic!("{:?}: {e}", program.as_ref()))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The compiler in the store, as a package (`module-eval.nix` takes one).
fn compiler_in_store(scratch: &Path) -> String {
    let root = scratch.join("package/netns-compile");
    fs::create_dir_all(root.join("bin")).unwrap();
    let target = root.join("bin/netns-compile");
    fs::copy(bin(), &target).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o555)).unwrap();
    let out = run("nix-store", &["--add", root.to_str().unwrap()]);
    assert!(out.status.success(), "nix-store --add: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Setup {
    oracle_lib: PathBuf,
    nixpkgs: PathBuf,
    package: String,
    tools: PathBuf,
    scratch: PathBuf,
}

impl Setup {
    /// `attr` of `module-eval.nix` for the case, as JSON, or real Nix's error.
    fn evaluate(&self, case: &Path, attr: &str) -> Result<Vec<u8>, String> {
        let expression = Path::new(CRATE_DIR).join("tests/nix/module-eval.nix");
        let config = case.join("config.nix");
        let out = run(
            "nix-instantiate",
            &[
                expression.to_str().unwrap(),
                "--eval",
                "--strict",
                "--json",
                "-A",
                attr,
                "--argstr",
                "libDir",
                self.oracle_lib.to_str().unwrap(),
                "--argstr",
                "case",
                config.to_str().unwrap(),
                "--argstr",
                "toolsFile",
                self.tools.to_str().unwrap(),
                "--argstr",
                "package",
                &self.package,
            ],
        );
        if !out.status.success() {
            return Err(stderr(&out));
        }
        Ok(out.stdout)
    }

    /// What NixOS hands the compiler for the case, or real Nix's error.
    fn oracle(&self, case: &Path) -> Result<PathBuf, String> {
        let out = self.evaluate(case, "input")?;
        let file = self.scratch.join(format!("{}.json", name_of(case)));
        fs::write(&file, &out).unwrap();
        Ok(file)
    }

    /// `netns-compile ARGS INPUT --tools … [--nixpkgs …]`.
    fn compiler(&self, args: &[&str], input: &Path, with_nixpkgs: bool) -> Output {
        let mut all = args.to_vec();
        all.extend([input.to_str().unwrap(), "--tools", self.tools.to_str().unwrap()]);
        if with_nixpkgs {
            all.extend(["--nixpkgs", self.nixpkgs.to_str().unwrap()]);
        }
        run(bin(), &all)
    }
}

fn name_of(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures().join("modules"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("config.nix").is_file())
        .collect();
    cases.sort();
    cases
}

fn setup(test: &str) -> Option<Setup> {
    let oracle_lib = input_dir("NETNS_MODULES_ORACLE_LIB", "nixpkgs-lib/current/lib");
    let nixpkgs = input_dir("NETNS_MODULES_NIXPKGS", "nixpkgs-lib/2022-11");
    for (what, dir) in [
        ("the oracle's lib", oracle_lib.join("modules.nix")),
        ("--nixpkgs", nixpkgs.join("lib/modules.nix")),
    ] {
        if !dir.is_file() {
            skip(test, &format!("{what}: {} is missing", dir.display()));
            return None;
        }
    }
    if let Some(missing) = ["nix-instantiate", "nix-store"].into_iter().find(|t| !on_path(t)) {
        skip(test, &format!("{missing} is not installed (it is the oracle)"));
        return None;
    }
    let scratch = Path::new(TMP_DIR).join(format!("nix-modules-{test}"));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();
    let package = compiler_in_store(&scratch);
    Some(Setup {
        oracle_lib,
        nixpkgs,
        package,
        tools: fixtures().join("nixos/tools.json"),
        scratch,
    })
}

/// How one route of one case compares with NixOS: `Ok` when it agrees, else what differs.
fn judge_route(s: &Setup, case: &Path, want: &Path, with_nixpkgs: bool) -> Result<(), String> {
    let config = case.join("config.nix");
    let ours = s.compiler(&["resolve"], &config, with_nixpkgs);
    if !ours.status.success() {
        return Err(format!("resolve failed:\n{}", stderr(&ours)));
    }
    let theirs = s.compiler(&["resolve"], want, false);
    assert!(
        theirs.status.success(),
        "resolve of NixOS's input failed:\n{}",
        stderr(&theirs)
    );
    let parse = |o: &Output| -> serde_json::Value { serde_json::from_slice(&o.stdout).expect("resolve prints JSON") };
    if parse(&ours) != parse(&theirs) {
        return Err(format!(
            "resolve differs:\n--- NixOS\n{}\n--- ours\n{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&ours.stdout)
        ));
    }
    let route = if with_nixpkgs { "nixpkgs" } else { "native" };
    let (a, b) = (
        s.scratch.join(format!("{}-{route}-ours", name_of(case))),
        s.scratch.join(format!("{}-{route}-nixos", name_of(case))),
    );
    for (input, out, nixpkgs) in [(&config, &a, with_nixpkgs), (&want.to_path_buf(), &b, false)] {
        let o = s.compiler(
            &["build", "--prefix", "/netns", "--out", out.to_str().unwrap()],
            input,
            nixpkgs,
        );
        if !o.status.success() {
            return Err(format!("build of {} failed:\n{}", input.display(), stderr(&o)));
        }
    }
    let (ta, tb) = (tree(&a), tree(&b));
    if ta != tb {
        let differ: Vec<&String> = ta
            .keys()
            .chain(tb.keys())
            .filter(|k| ta.get(*k) != tb.get(*k))
            .collect();
        return Err(format!("build writes a different tree: {differ:?}"));
    }
    Ok(())
}

/// A case NixOS rejects: ours must fail with `code`, pointing into the case's files.
fn judge_error_route(s: &Setup, case: &Path, code: &str, with_nixpkgs: bool) -> Result<(), String> {
    let config = case.join("config.nix");
    let o = s.compiler(&["check", "--message-format", "json"], &config, with_nixpkgs);
    if o.status.code() != Some(1) {
        return Err(format!("check exits {:?}, want 1:\n{}", o.status.code(), stderr(&o)));
    }
    let text = stderr(&o);
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().unwrap_or("")).map_err(|e| format!("{e}: {text}"))?;
    if first["code"] != code {
        return Err(format!("the diagnostic is {}, want {code}:\n{text}", first["code"]));
    }
    let file = first["labels"][0]["file"].as_str().unwrap_or_default();
    if !file.contains(&format!("fixtures/modules/{}/", name_of(case))) {
        return Err(format!("the diagnostic points at {file:?}, not into the case:\n{text}"));
    }
    Ok(())
}

#[test]
fn module_cases_agree_with_the_nixpkgs_module_system() {
    const TEST: &str = "module_cases_agree_with_the_nixpkgs_module_system";
    let Some(s) = setup(TEST) else { return };
    let cases = cases();
    assert!(cases.len() >= 12, "only {} module cases", cases.len());
    let mut failures = Vec::new();
    let (mut agreed, mut pending) = (0, 0);
    for case in &cases {
        let name = name_of(case);
        let expected_error = fs::read_to_string(case.join("error-code"))
            .ok()
            .map(|c| c.trim().to_string());
        let oracle = s.oracle(case);
        for with_nixpkgs in [false, true] {
            let route = if with_nixpkgs { "--nixpkgs" } else { "native lib" };
            let verdict = match (&expected_error, &oracle) {
                (Some(code), Err(_)) => judge_error_route(&s, case, code, with_nixpkgs),
                (Some(_), Ok(_)) => {
                    failures.push(format!("{name}: has an error-code, yet NixOS accepts it"));
                    break;
                }
                (None, Ok(want)) => judge_route(&s, case, want, with_nixpkgs),
                (None, Err(e)) => {
                    failures.push(format!("{name}: NixOS rejects it:\n{e}"));
                    break;
                }
            };
            let marked_pending = !with_nixpkgs && case.join("native-pending").is_file();
            match (verdict, marked_pending) {
                (Ok(()), false) => agreed += 1,
                (Err(why), false) => failures.push(format!("{name} ({route}): {why}")),
                (Err(_), true) => pending += 1,
                (Ok(()), true) => failures.push(format!(
                    "{name} ({route}): agrees with NixOS now; remove its native-pending marker"
                )),
            }
        }
    }
    eprintln!(
        "module cases: {} cases, {agreed} runs agree with NixOS, {pending} native runs pending the native module engine",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let _ = fs::remove_dir_all(&s.scratch);
}

/// Which lib the modules get: the native one, nixpkgs' with `--nixpkgs`, or the one
/// `<nixpkgs>` on `NIX_PATH` names (the 2022-11 lib has no `isPath`; the native lib has).
#[test]
fn the_modules_get_the_lib_nixpkgs_names() {
    const TEST: &str = "the_modules_get_the_lib_nixpkgs_names";
    let nixpkgs = input_dir("NETNS_MODULES_NIXPKGS", "nixpkgs-lib/2022-11");
    if !nixpkgs.join("lib/default.nix").is_file() {
        return skip(TEST, &format!("{} is not a nixpkgs", nixpkgs.display()));
    }
    let dir = Path::new(TMP_DIR).join(format!("nix-modules-{TEST}"));
    fs::create_dir_all(&dir).unwrap();
    let module = dir.join("which-lib.nix");
    fs::write(
        &module,
        "{ lib, ... }: { services.netns.namespaces.${if lib ? isPath then \"native\" else \"nixpkgs\"} = { }; }\n",
    )
    .unwrap();
    let namespaces = |extra: &[&str], nix_path: Option<String>| -> Vec<String> {
        let mut cmd = Command::new(bin());
        cmd.arg("resolve").arg(&module).args(extra).env_remove("NIX_PATH");
        if let Some(p) = nix_path {
            cmd.env("NIX_PATH", p);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "resolve failed:\n{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object().unwrap().keys().cloned().collect()
    };
    let dir_arg = nixpkgs.to_str().unwrap();
    assert_eq!(namespaces(&[], None), ["native"]);
    assert_eq!(namespaces(&["--nixpkgs", dir_arg], None), ["nixpkgs"]);
    assert_eq!(namespaces(&[], Some(format!("nixpkgs={dir_arg}"))), ["nixpkgs"]);

    // `eval` takes it too: `<nixpkgs/lib>` is then nixpkgs' lib.
    let expression = dir.join("has-is-path.nix");
    fs::write(&expression, "(import <nixpkgs/lib>) ? isPath\n").unwrap();
    let eval = |extra: &[&str]| -> String {
        let mut all = vec!["eval", expression.to_str().unwrap()];
        all.extend(extra);
        let out = run(bin(), &all);
        assert!(out.status.success(), "eval failed:\n{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(eval(&[]), "true");
    assert_eq!(eval(&["--nixpkgs", dir_arg]), "false");

    // A folder that is no nixpkgs is a usage error.
    let out = run(
        bin(),
        &["resolve", module.to_str().unwrap(), "--nixpkgs", dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a nixpkgs checkout"), "{}", stderr(&out));
    let _ = fs::remove_dir_all(&dir);
}

/// The lines systemd-lib's `attrsToSection` writes for a `serviceConfig` key of `value` (a list
/// one line an item; the values the stand-in's units hold: strings, booleans, numbers).
fn service_lines(key: &str, value: &serde_json::Value) -> Vec<String> {
    let items = match value {
        serde_json::Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    items
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => format!("{key}={s}"),
            other => format!("{key}={other}"),
        })
        .collect()
}

/// The namespaces' units as NixOS itself merges them: `module-eval.nix`'s `nixosUnits` evaluates
/// the case with NixOS's netns module's definition of each unit (`mkMerge [ own service ]`)
/// under nixpkgs' module system, with NixOS's types for the lists and scripts, beside every
/// definition the case makes on `systemd.services.netns-<escaped>`. The unit netns-compile
/// builds from the case must have the same `After=`, `Documentation=`, `X-RestartIfChanged=`,
/// post-start script text and `[Service]` keys NixOS's merge has (but `Exec*=`: the netns module's own, whose paths only the compiled
/// unit knows, and those of the scripts, written by NixOS's systemd module): the order of the namespace's `service`, the module's own values, the
/// direct definitions and what extensions of `systemd.services` define on the unit, and which
/// of their priorities wins.
#[test]
fn namespace_units_merge_as_nixos_merges_them() {
    const TEST: &str = "namespace_units_merge_as_nixos_merges_them";
    let Some(s) = setup(TEST) else { return };
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in cases().iter().filter(|c| !c.join("error-code").is_file()) {
        let name = name_of(case);
        let units: serde_json::Value = match s.evaluate(case, "nixosUnits") {
            Ok(json) => serde_json::from_slice(&json).unwrap(),
            Err(e) => {
                failures.push(format!("{name}: NixOS's merge failed:\n{e}"));
                continue;
            }
        };
        let out = s.scratch.join(format!("{name}-units"));
        let o = s.compiler(
            &["build", "--prefix", "/netns", "--out", out.to_str().unwrap()],
            &case.join("config.nix"),
            true,
        );
        if !o.status.success() {
            failures.push(format!("{name}: build failed:\n{}", stderr(&o)));
            continue;
        }
        for (unit, merged) in units.as_object().into_iter().flatten() {
            compared += 1;
            let file = out.join(format!("lib/systemd/system/{unit}.service"));
            let text = fs::read_to_string(&file).unwrap_or_default();
            let strings = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect()
            };
            let after = strings(&merged["after"]).join(" ");
            let ours = text.lines().find_map(|l| l.strip_prefix("After=")).unwrap_or("");
            if ours != after {
                failures.push(format!("{name}: {unit}: After={ours}, NixOS has After={after}"));
            }
            let documentation = strings(&merged["documentation"]).join(" ");
            let ours = text
                .lines()
                .find_map(|l| l.strip_prefix("Documentation="))
                .unwrap_or("");
            if ours != documentation {
                failures.push(format!(
                    "{name}: {unit}: Documentation={ours}, NixOS has Documentation={documentation}"
                ));
            }
            // serviceToUnit writes `X-RestartIfChanged=false` of `restartIfChanged = false`.
            let restarts = merged["restartIfChanged"].as_bool().unwrap_or(true);
            if restarts == text.lines().any(|l| l == "X-RestartIfChanged=false") {
                failures.push(format!("{name}: {unit}: restartIfChanged is {restarts} in NixOS"));
            }
            // `Exec*=` but as NixOS's systemd module writes it of the scripts, which the
            // stand-in does not: those are compared by the scripts' text.
            let service_config = merged["serviceConfig"].as_object().into_iter().flatten();
            for (key, value) in service_config.filter(|(k, _)| !k.starts_with("Exec")) {
                let want = service_lines(key, value);
                let ours: Vec<&str> = text
                    .lines()
                    .filter(|l| l.split_once('=').is_some_and(|(k, _)| k == key))
                    .collect();
                if ours != want {
                    failures.push(format!("{name}: {unit}: {ours:?}, NixOS has {want:?}"));
                }
            }
            let post_start = merged["postStart"].as_str().unwrap_or("");
            let script = out.join(format!("libexec/netns-compile/{unit}.service/{unit}-post-start"));
            let ours = fs::read_to_string(&script).unwrap_or_default();
            if !post_start.is_empty() && !ours.contains(&format!("\n{post_start}\n")) {
                failures.push(format!(
                    "{name}: {unit}: post-start script\n{ours}\nlacks NixOS's\n{post_start}"
                ));
            }
        }
    }
    assert!(compared > 0, "no namespace unit was compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
