//! The Nix integration (`nix/`, `flake.nix`) tested with real Nix: `nix-instantiate`,
//! `nix-store` and `nix-build` on this machine's store (Debian's Nix 2.8, offline, no sandbox).
//!
//! - every `.nix` file of the integration parses;
//! - a real `nix-build` whose builder is the compiler, added to the store, gives the same tree
//!   as the compiler run here with `--prefix` set to that store path, and the units NixOS gives;
//! - `nix/module.nix` evaluated by nixpkgs' real module system hands the compiler a
//!   configuration that resolves to NixOS's own, and builds. The nixpkgs lib is
//!   `$NETNS_NIXPKGS_LIB`, by default the snapshot `../shared/nixpkgs-lib/current/lib` (Nix 2.8
//!   evaluates what these tests use of it, and `nix/lib.nix` needs its `lib.isPath`, which
//!   2022-11 lacks); without it the two tests say SKIPPED (a failure under CI).
//!
//! Run: `cargo test --test nix_integration -- --nocapture`. The compiler is
//! `$NETNS_COMPILE_BIN` when set, else the crate's own binary. A test whose tool is missing
//! prints `*** SKIPPED: test: why ***` (`common::skip`) and passes, or fails when `CI` is set;
//! when the tool is there, it runs for real. Inside a Nix build (`NETNS_COMPILE_IN_NIX_BUILD=1`,
//! set by nix/package.nix) there is no store to build in, so they all skip.
//!
//! The store persists between runs: `nix-store --add` of the same bytes gives the same path and
//! a derivation already built is reused, so the tests are idempotent.

mod common;

use common::skip;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TMP_DIR: &str = env!("CARGO_TARGET_TMPDIR");

/// Nix must not look for substitutes (the machine is offline) and must let the builder see
/// the host's glibc, which the compiler binary links against.
const NIX_BUILD_OPTIONS: [&str; 4] = ["--option", "substituters", "", "--no-out-link"];
const NO_SANDBOX: [&str; 3] = ["--option", "sandbox", "false"];

/// The nixpkgs lib whose module system evaluates `nix/module.nix` (see the top of the file).
fn nixpkgs_lib(test: &str) -> Option<PathBuf> {
    common::snapshot_or_skip(test, "NETNS_NIXPKGS_LIB", common::NIXPKGS_LIB_CURRENT)
}

fn in_nix_build() -> bool {
    std::env::var_os("NETNS_COMPILE_IN_NIX_BUILD").is_some_and(|v| v == "1")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The compiler under test. `option_env!`: the variable exists only once the crate has its
/// binary target, and `NETNS_COMPILE_BIN` lets a prebuilt binary be tested.
fn compiler() -> Option<PathBuf> {
    std::env::var_os("NETNS_COMPILE_BIN")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_BIN_EXE_netns-compile").map(PathBuf::from))
}

/// What every test needs: Nix's tools (and the compiler when `with_compiler`), or the reason
/// to skip.
fn requirements(tools: &[&str], with_compiler: bool) -> Result<Option<PathBuf>, String> {
    if in_nix_build() {
        return Err(
            "running inside a Nix build (NETNS_COMPILE_IN_NIX_BUILD=1), which has no Nix store to build in".into(),
        );
    }
    if let Some(missing) = tools.iter().find(|t| !on_path(t)) {
        return Err(format!(
            "{missing} is not installed (Debian: apt-get install nix-bin nix-setup-systemd)"
        ));
    }
    if !with_compiler {
        return Ok(None);
    }
    match compiler() {
        Some(bin) if bin.is_file() => Ok(Some(bin)),
        Some(bin) => Err(format!("the compiler {} does not exist", bin.display())),
        None => Err("the crate has no netns-compile binary and NETNS_COMPILE_BIN is not set".into()),
    }
}

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    let program = program.as_ref();
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.to_string_lossy()))
}

/// Runs and returns stdout, failing the test with the command's stderr if it fails.
fn run_ok(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> String {
    let program = program.as_ref();
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{} {} failed ({}):\n{}",
        program.to_string_lossy(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn fixtures_dir() -> PathBuf {
    Path::new(CRATE_DIR).join("fixtures/nixos")
}

/// A fresh scratch directory under the target's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(TMP_DIR).join(format!("nix-integration-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Adds the compiler to the store as `<hash>-netns-compile/bin/netns-compile`, the layout of
/// a package. Same binary, same store path. `test` names the scratch directory: the tests
/// run in parallel.
fn add_compiler_to_store(bin: &Path, test: &str) -> String {
    let root = scratch(&format!("{test}-package")).join("netns-compile");
    fs::create_dir_all(root.join("bin")).unwrap();
    let target = root.join("bin/netns-compile");
    fs::copy(bin, &target).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o555)).unwrap();
    run_ok("nix-store", &["--add", root.to_str().unwrap()])
        .trim()
        .to_owned()
}

fn add_file_to_store(path: &Path) -> String {
    run_ok("nix-store", &["--add", path.to_str().unwrap()])
        .trim()
        .to_owned()
}

fn nix_build(file: &Path, args: &[&str]) -> Output {
    let mut all = vec![file.to_str().unwrap()];
    all.extend(NIX_BUILD_OPTIONS);
    all.extend(NO_SANDBOX);
    all.extend(args);
    run("nix-build", &all)
}

fn nix_build_ok(file: &Path, args: &[&str]) -> String {
    let out = nix_build(file, args);
    assert!(
        out.status.success(),
        "nix-build {} {} failed:\n{}",
        file.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[derive(Debug, PartialEq)]
enum Entry {
    Dir,
    File { executable: bool, bytes: Vec<u8> },
    Symlink(PathBuf),
}

/// Every entry under `root`, by path relative to it: what must be equal for two trees to be
/// the same output.
fn read_tree(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, tree: &mut BTreeMap<PathBuf, Entry>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(root).unwrap().to_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                tree.insert(rel, Entry::Symlink(fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                tree.insert(rel, Entry::Dir);
                walk(root, &path, tree);
            } else {
                let executable = meta.permissions().mode() & 0o111 != 0;
                tree.insert(
                    rel,
                    Entry::File {
                        executable,
                        bytes: fs::read(&path).unwrap(),
                    },
                );
            }
        }
    }
    let mut tree = BTreeMap::new();
    walk(root, root, &mut tree);
    tree
}

fn assert_same_tree(store: &Path, local: &Path) {
    let (store_tree, local_tree) = (read_tree(store), read_tree(local));
    let store_paths: Vec<_> = store_tree.keys().collect();
    let local_paths: Vec<_> = local_tree.keys().collect();
    assert_eq!(
        store_paths,
        local_paths,
        "{} and {} hold different files",
        store.display(),
        local.display()
    );
    for (path, entry) in &store_tree {
        assert!(
            entry == &local_tree[path],
            "{} differs between {} and {}",
            path.display(),
            store.display(),
            local.display()
        );
    }
}

/// Golden cases: (name, directory), sorted.
fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<_> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("config.nix").is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    cases.sort();
    cases
}

fn rejected(case: &Path) -> bool {
    case.join("error.txt").exists() || case.join("spec-error.txt").exists()
}

/// The golden units of a case, with each script's store path replaced by the script's name
/// (SPEC §9), and the scripts by name: `{unit: (text, {script: bytes})}`.
fn golden_units(case: &Path) -> BTreeMap<String, (String, BTreeMap<String, Vec<u8>>)> {
    let scripts: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(case.join("scripts.json")).unwrap()).unwrap();
    let mut units = BTreeMap::new();
    let Ok(entries) = fs::read_dir(case.join("units")) else {
        return units; // a case without namespaces
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let unit = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut text = fs::read_to_string(&path).unwrap();
        let mut contents = BTreeMap::new();
        if let Some(map) = scripts.get(&unit).and_then(|m| m.as_object()) {
            // Longest first: no store path is cut by the replacement of a shorter one.
            let mut pairs: Vec<_> = map.iter().collect();
            pairs.sort_by_key(|(store_path, _)| std::cmp::Reverse(store_path.len()));
            for (store_path, file) in pairs {
                let file = file.as_str().unwrap();
                let name = Path::new(file).file_name().unwrap().to_string_lossy().into_owned();
                text = text.replace(store_path.as_str(), &name);
                contents.insert(name, fs::read(case.join(file)).unwrap());
            }
        }
        units.insert(unit, (text, contents));
    }
    units
}

/// Checks a built tree against the units NixOS gives for the case (SPEC §9): unit text equal
/// once every script path is replaced by the script's name, scripts equal byte for byte.
fn assert_matches_goldens(case_name: &str, case: &Path, out: &Path) {
    let goldens = golden_units(case);
    let units_dir = out.join("lib/systemd/system");
    let mut units: Vec<String> = match fs::read_dir(&units_dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    };
    units.sort();
    assert_eq!(
        units,
        goldens.keys().cloned().collect::<Vec<_>>(),
        "{case_name}: not the units NixOS has"
    );
    let scripts_root = format!("{}/libexec/netns-compile/", out.display());
    for (unit, (golden_text, golden_scripts)) in goldens {
        let unit_path = out.join("lib/systemd/system").join(&unit);
        let text =
            fs::read_to_string(&unit_path).unwrap_or_else(|e| panic!("{case_name}: {}: {e}", unit_path.display()));
        let mut normalized = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(&scripts_root) {
            normalized.push_str(&rest[..at]);
            // <out>/libexec/netns-compile/<unit>/<script> becomes <script>
            let after = &rest[at + scripts_root.len()..];
            let path_end = after.find(char::is_whitespace).unwrap_or(after.len());
            let script = after[..path_end].rsplit('/').next().unwrap();
            normalized.push_str(script);
            rest = &after[path_end..];
        }
        normalized.push_str(rest);
        assert_eq!(normalized, golden_text, "{case_name}: unit {unit} differs from NixOS's");
        for (script, golden) in golden_scripts {
            let path = out.join("libexec/netns-compile").join(&unit).join(&script);
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{case_name}: {}: {e}", path.display()));
            assert!(
                bytes == golden,
                "{case_name}: script {unit}/{script} differs from NixOS's:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// Runs `check` on every golden case, going on past a failing one, then fails with all the
/// failures: one run shows every case that differs. Returns the number of cases `check` went
/// through to the end (it returns `false` for those it passes over).
fn for_each_case(mut check: impl FnMut(&str, &Path) -> bool) -> usize {
    let mut failures = Vec::new();
    let mut completed = 0;
    for (name, case) in cases() {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&name, &case))) {
            Ok(true) => completed += 1,
            Ok(false) => {}
            Err(panic) => failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| format!("{name}: panicked")),
            ),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    completed
}

/// 4b: every Nix file of the integration parses.
#[test]
fn nix_files_parse() {
    if let Err(reason) = requirements(&["nix-instantiate"], false) {
        return skip("nix_files_parse", &reason);
    }
    let root = Path::new(CRATE_DIR);
    let mut files = vec![root.join("flake.nix")];
    for dir in ["nix", "tests/nix"] {
        let mut found: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "nix"))
            .collect();
        found.sort();
        files.extend(found);
    }
    for required in ["nix/package.nix", "nix/module.nix", "nix/lib.nix"] {
        assert!(files.contains(&root.join(required)), "{required} is missing");
    }
    for file in &files {
        let out = run("nix-instantiate", &["--parse", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{} does not parse:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// 4a: a real `nix-build` whose builder is the compiler, added to the store, run on each
/// accepted golden case's `eval.json`: its output is the tree the compiler writes here with
/// `--prefix` set to that store path, byte for byte, and its units are NixOS's.
#[test]
fn nix_build_matches_cli() {
    let bin = match requirements(&["nix-store", "nix-build"], true) {
        Ok(bin) => bin.unwrap(),
        Err(reason) => return skip("nix_build_matches_cli", &reason),
    };
    let package = add_compiler_to_store(&bin, "fixture-build");
    let tools = add_file_to_store(&fixtures_dir().join("tools.json"));
    let expression = Path::new(CRATE_DIR).join("tests/nix/fixture-build.nix");
    let work = scratch("fixture-build");
    let built = for_each_case(|name, case| {
        if rejected(case) || !case.join("eval.json").is_file() {
            return false;
        }
        let input = add_file_to_store(&case.join("eval.json"));
        let out = nix_build_ok(
            &expression,
            &[
                "--argstr", "package", &package, "--argstr", "input", &input, "--argstr", "tools", &tools,
            ],
        );
        assert!(out.starts_with("/nix/store/"), "{name}: nix-build printed {out:?}");

        let local = work.join(name);
        run_ok(
            &bin,
            &[
                "build",
                &input,
                "--tools",
                &tools,
                "--out",
                local.to_str().unwrap(),
                "--prefix",
                &out,
            ],
        );
        assert_same_tree(Path::new(&out), &local);
        assert_matches_goldens(name, case, Path::new(&out));
        true
    });
    assert!(built >= 10, "only {built} golden cases were built");
    let _ = fs::remove_dir_all(&work);
}

/// 4c: `nix/module.nix` under nixpkgs' real module system (tests/nix/module-eval.nix), with
/// each golden case's config.nix as the user's module.
#[test]
fn module_evaluates_like_nixos() {
    const TEST: &str = "module_evaluates_like_nixos";
    let Some(lib_dir) = nixpkgs_lib(TEST) else { return };
    let bin = match requirements(&["nix-instantiate", "nix-store", "nix-build"], true) {
        Ok(bin) => bin.unwrap(),
        Err(reason) => return skip(TEST, &reason),
    };
    assert!(
        lib_dir.join("default.nix").is_file() && lib_dir.join("modules.nix").is_file(),
        "NETNS_NIXPKGS_LIB={} is not a nixpkgs lib/ directory",
        lib_dir.display()
    );
    let package = add_compiler_to_store(&bin, "module-eval");
    let expression = Path::new(CRATE_DIR).join("tests/nix/module-eval.nix");
    let work = scratch("module-eval");
    let tools_file = fixtures_dir().join("tools.json");

    let checked = for_each_case(|name, case| {
        let config = case.join("config.nix");
        let args = [
            "--argstr",
            "libDir",
            lib_dir.to_str().unwrap(),
            "--argstr",
            "case",
            config.to_str().unwrap(),
            "--argstr",
            "toolsFile",
            tools_file.to_str().unwrap(),
            "--argstr",
            "package",
            &package,
        ];
        let eval_json = |attr: &str| {
            let mut all = vec![expression.to_str().unwrap(), "--eval", "--strict", "--json", "-A", attr];
            all.extend(args);
            run("nix-instantiate", &all)
        };

        if case.join("error.txt").exists() {
            // NixOS rejects the configuration: evaluating it, or building the units the
            // compiler writes for it, must fail too.
            let evaluated = eval_json("input");
            if evaluated.status.success() {
                let mut all = args.to_vec();
                all.extend(["-A", "units"]);
                let build = nix_build(&expression, &all);
                assert!(
                    !build.status.success(),
                    "{name}: NixOS rejects it, yet the module's units built"
                );
            }
            return false;
        }

        // The input resolves to NixOS's own services.netns.namespaces, through both routes.
        // Where SPEC §3.6 requires an error NixOS does not raise, `resolve` may report it.
        let spec_error = case.join("spec-error.txt").exists();
        let resolved: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(case.join("resolved.json")).unwrap()).unwrap();
        for attr in ["input", "inputFromDefinitions"] {
            let evaluated = eval_json(attr);
            assert!(
                evaluated.status.success(),
                "{name}: evaluating {attr} failed:\n{}",
                String::from_utf8_lossy(&evaluated.stderr)
            );
            let input = work.join(format!("{name}-{attr}.json"));
            fs::write(&input, &evaluated.stdout).unwrap();
            let out = run(&bin, &["resolve", input.to_str().unwrap()]);
            if spec_error && !out.status.success() {
                return false;
            }
            assert!(
                out.status.success(),
                "{name}: resolve of {attr} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "{name}: resolve of {attr} printed no JSON ({e}):\n{}",
                    String::from_utf8_lossy(&out.stdout)
                )
            });
            assert_eq!(
                ours, resolved,
                "{name}: {attr} does not resolve to NixOS's resolved.json"
            );
        }

        let mut build_args = args.to_vec();
        build_args.extend(["-A", "units"]);
        if spec_error {
            let build = nix_build(&expression, &build_args);
            assert!(
                !build.status.success(),
                "{name}: SPEC §3.6 requires an error, yet the units built"
            );
            return false;
        }

        // The derivation builds, to the tree the compiler writes for the same input file.
        let out = nix_build_ok(&expression, &build_args);
        let mut file_args = args.to_vec();
        file_args.extend(["-A", "inputFile"]);
        let input_file = nix_build_ok(&expression, &file_args);
        let local = work.join(name);
        run_ok(
            &bin,
            &["build", &input_file, "--out", local.to_str().unwrap(), "--prefix", &out],
        );
        assert_same_tree(Path::new(&out), &local);
        assert_matches_goldens(name, case, Path::new(&out));

        // What the module installs: the tree, and each unit enabled by the targets NixOS's
        // rendering names in [Install] (`systemd.units.<unit>.wantedBy`).
        let packages: Vec<String> = serde_json::from_slice(&eval_json("packages").stdout).unwrap();
        let namespaces = resolved.as_object().unwrap();
        assert_eq!(
            packages,
            if namespaces.is_empty() {
                vec![]
            } else {
                vec![out.clone()]
            },
            "{name}: systemd.packages"
        );
        let enablement: serde_json::Value = serde_json::from_slice(&eval_json("enablement").stdout).unwrap();
        for (unit, (text, _)) in golden_units(case) {
            let wanted_by: Vec<&str> = text
                .lines()
                .find_map(|l| l.strip_prefix("WantedBy="))
                .map(|targets| targets.split(' ').collect())
                .unwrap_or_default();
            let ours: Vec<&str> = enablement
                .get(&unit)
                .and_then(|u| u.get("wantedBy"))
                .and_then(|w| w.as_array())
                .map(|w| w.iter().map(|t| t.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(
                ours, wanted_by,
                "{name}: {unit} is not wanted by the targets NixOS's unit names"
            );
        }

        // lib.check's derivation agrees with the compiler's own `check --deny-warnings`, and a
        // failing one shows the diagnostics in its log.
        let direct = run(&bin, &["check", &input_file, "--deny-warnings"]);
        let mut check_args = args.to_vec();
        check_args.extend(["-A", "check"]);
        let via_nix = nix_build(&expression, &check_args);
        assert_eq!(
            via_nix.status.success(),
            direct.status.success(),
            "{name}: the check derivation and `netns-compile check --deny-warnings` disagree:\n{}",
            String::from_utf8_lossy(&via_nix.stderr)
        );
        if !direct.status.success() {
            let log = String::from_utf8_lossy(&via_nix.stderr);
            let diagnostics = String::from_utf8_lossy(&direct.stderr);
            let first = diagnostics.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
            assert!(
                log.contains(first.trim()),
                "{name}: the check's log lacks the diagnostics:\n{log}"
            );
        }
        true
    });
    assert!(checked >= 20, "only {checked} golden cases were checked");
    let _ = fs::remove_dir_all(&work);
}

/// `tests/nix/module-eval.nix` with `case` as the user's module, for `nix-instantiate` and
/// `nix-build`: the expression and its arguments (nixpkgs' lib, the tools, the compiler added
/// to the store as `store_name`). `None` when a requirement is missing (said as SKIPPED).
struct ModuleEval {
    expression: PathBuf,
    args: Vec<String>,
}

impl ModuleEval {
    fn new(test: &str, case: &str, store_name: &str) -> Option<ModuleEval> {
        let lib_dir = nixpkgs_lib(test)?;
        let bin = match requirements(&["nix-instantiate", "nix-store", "nix-build"], true) {
            Ok(bin) => bin.unwrap(),
            Err(reason) => {
                skip(test, &reason);
                return None;
            }
        };
        let package = add_compiler_to_store(&bin, store_name);
        let case = Path::new(CRATE_DIR).join(case);
        let tools_file = fixtures_dir().join("tools.json");
        let args = [
            ("libDir", lib_dir.to_str().unwrap()),
            ("case", case.to_str().unwrap()),
            ("toolsFile", tools_file.to_str().unwrap()),
            ("package", package.as_str()),
        ]
        .iter()
        .flat_map(|(name, value)| ["--argstr".to_string(), name.to_string(), value.to_string()])
        .collect();
        Some(ModuleEval {
            expression: Path::new(CRATE_DIR).join("tests/nix/module-eval.nix"),
            args,
        })
    }

    /// `nix-instantiate --eval --strict --json -A attr`.
    fn json(&self, attr: &str) -> serde_json::Value {
        let mut all = vec![
            self.expression.to_str().unwrap(),
            "--eval",
            "--strict",
            "--json",
            "-A",
            attr,
        ];
        all.extend(self.args.iter().map(String::as_str));
        serde_json::from_str(&run_ok("nix-instantiate", &all)).unwrap()
    }

    /// `nix-build -A attr`: the output path.
    fn build(&self, attr: &str) -> String {
        let mut args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        args.extend(["-A", attr]);
        nix_build_ok(&self.expression, &args)
    }
}

/// 4c, the module's own extension (`systemd.services.<svc>.netns`), which NixOS's golden
/// cases cannot show: the joining service reaches the compiler and gets its drop-in, and the
/// namespace's `service.wantedBy`/`enable` reach `systemd.units` as NixOS merges them. A
/// definition made directly on the namespace's unit reaches the compiler whole and is in the
/// compiled unit, while the text NixOS would render from it (a drop-in repeating it) is
/// dropped.
#[test]
fn module_joins_and_enables() {
    let Some(eval) = ModuleEval::new("module_joins_and_enables", "tests/nix/joining.nix", "module-joining") else {
        return;
    };
    assert_eq!(
        eval.json("input.systemd.services"),
        serde_json::json!({
            "web": { "netns": "vpn", "after": ["network.target"] },
            "netns-vpn": { "_type": "merge", "contents": [{ "after": ["direct.service"] }] },
        })
    );
    let enablement = eval.json("enablement");
    let field = |unit: &str, key: &str| enablement[unit][key].clone();
    assert_eq!(
        field("netns-vpn.service", "enable"),
        serde_json::json!(true),
        "{enablement}"
    );
    assert_eq!(
        field("netns-vpn.service", "wantedBy"),
        serde_json::json!(["multi-user.target"])
    );
    assert_eq!(
        field("netns-vpn.service", "text"),
        serde_json::Value::Null,
        "{enablement}"
    );
    assert_eq!(field("netns-spare.service", "enable"), serde_json::json!(false));
    assert_eq!(field("netns-spare.service", "wantedBy"), serde_json::json!([]));
    // Any other service keeps the unit NixOS renders.
    assert!(field("web.service", "text").is_string(), "{enablement}");

    let out = eval.build("units");
    assert_eq!(eval.json("packages"), serde_json::json!([out]));
    let unit = Path::new(&out).join("lib/systemd/system/netns-vpn.service");
    let text = fs::read_to_string(&unit).unwrap_or_else(|e| panic!("{}: {e}", unit.display()));
    assert!(text.lines().any(|l| l == "After=direct.service"), "{text}");
    let drop_in = Path::new(&out).join("lib/systemd/system/web.service.d/netns.conf");
    let text = fs::read_to_string(&drop_in).unwrap_or_else(|e| panic!("{}: {e}", drop_in.display()));
    for line in ["JoinsNamespaceOf=netns-vpn.service", "PrivateNetwork=true"] {
        assert!(
            text.lines().any(|l| l == line),
            "{} lacks {line}:\n{text}",
            drop_in.display()
        );
    }
}

/// The connectivity options (SPEC §11, and §13's `dns.strict` and `ipv6`) through nixpkgs' module system: what reaches the
/// compiler is what the user set (a namespace without them gets none), and the units they add
/// are in the built tree.
#[test]
fn module_connects() {
    let Some(eval) = ModuleEval::new("module_connects", "tests/nix/connect.nix", "module-connect") else {
        return;
    };
    let namespaces = eval.json("input.services.netns.namespaces");
    // Older nixpkgs hands over the definitions (a `mkMerge`); newer the merged values.
    let text = namespaces.to_string();
    assert!(text.contains("\"publish\"") && text.contains("home.arpa"), "{text}");
    if let Some(closed) = namespaces.get("closed") {
        for option in ["publish", "dns", "hostLink", "wireguard", "ipv6"] {
            assert!(closed.get(option).is_none(), "closed: {option} handed over: {closed}");
        }
    }
    // NixOS skips a package's `.wants/` links: the module enables these units itself.
    let enablement = eval.json("enablement");
    assert_eq!(
        enablement["netns-downloads-publish-webui.socket"]["wantedBy"],
        serde_json::json!(["sockets.target"]),
        "{enablement}"
    );
    assert_eq!(
        enablement["netns-downloads-hostlink.service"]["wantedBy"],
        serde_json::json!(["netns-downloads.service"]),
        "{enablement}"
    );
    assert_eq!(
        enablement["netns-downloads-guard.service"]["wantedBy"],
        serde_json::json!(["netns-downloads.service"]),
        "{enablement}"
    );
    for unit in ["netns-ovpn-openvpn.service", "netns-ovpn-watchdog.service"] {
        assert_eq!(
            enablement[unit]["wantedBy"],
            serde_json::json!(["netns-ovpn.service"]),
            "{enablement}"
        );
    }
    assert!(enablement.get("netns-closed-hostlink.service").is_none());
    assert!(enablement.get("netns-closed-guard.service").is_none());
    let out = eval.build("units");
    let units = Path::new(&out).join("lib/systemd/system");
    for unit in [
        "netns-downloads-publish-webui.socket",
        "netns-downloads-publish-webui.service",
        "netns-downloads-hostlink.service",
        "netns-downloads.service.d/netns-dns.conf",
        "netns-downloads-guard.service",
        "netns-ovpn-openvpn.service",
        "netns-ovpn-watchdog.service",
    ] {
        assert!(units.join(unit).is_file(), "{unit} missing in {out}");
    }
    assert!(!units.join("netns-closed-hostlink.service").exists());
}
