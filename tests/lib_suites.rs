//! nixpkgs' own lib test suites, run through `netns-compile eval` and through real Nix 2.8.
//!
//! The suites are those of nixpkgs' lib of 2022-11 (the last that Nix 2.8 evaluates), from
//! `$NIXPKGS_LIB_2022_11`, by default the snapshot `../shared/nixpkgs-lib/2022-11/lib`. The
//! snapshot is read-only, so the lib is copied to a temporary folder first.
//!
//! - `lib/tests/misc.nix`: `runTests` is replaced by the identity, so each test of its set is
//!   evaluated on its own: `{ expr, expected }` printed as JSON (or `expr == expected`).
//! - `lib/tests/modules.sh`: every `checkConfigOutput` / `checkConfigError` of the script, read
//!   by running the script itself with those two functions replaced by ones that only record
//!   their arguments (bash does the parsing: `set --`, brace expansion, continued lines). Each
//!   check evaluates `import ./default.nix { modules = [ … ]; }` at an attribute path.
//!
//! Each test runs twice through netns-compile: with nixpkgs' own lib, and with the native lib
//! substituted (`lib ? import <nixpkgs/lib>` in `modules/default.nix`, `with import
//! <nixpkgs/lib>` in `misc.nix`, with no `NIX_PATH`: `<nixpkgs/lib>` is then netns-compile's
//! own lib). Real Nix runs each test once, with nixpkgs' lib (for it `<nixpkgs/lib>` is the
//! copy): that is what both runs must agree with.
//!
//! Agreement compares values and reasons, not verdicts:
//!
//! - a misc test agrees when netns-compile prints the JSON real Nix prints (`--eval --strict
//!   --json`) of `{ expr, expected }`, the test's two sides, so a lenient `==` cannot hide a
//!   wrong value. Where real Nix cannot print that JSON (a function, say) but evaluates
//!   `expr == expected`, that boolean is compared instead, and such tests are counted apart
//!   ("compared as booleans");
//! - a modules.sh output check agrees when netns-compile prints the JSON real Nix prints;
//! - where real Nix fails, netns-compile must fail for the same reason: the first line of real
//!   Nix's error after `error: ` must equal the first line of netns-compile's first message,
//!   both with positions (`:12:3`) and the temporary root stripped. That is the strictest rule
//!   the two pass: the message of a `throw`, an `assert`, a missing attribute or a type error
//!   is the same text in both; what follows the first line (Nix's code excerpt, its trace,
//!   netns-compile's notes) is presentation;
//! - an error check agrees when netns-compile fails with a message (and notes) that the
//!   check's pattern matches (`grep -zP`, as modules.sh does), where real Nix passes the same
//!   check.
//!
//! During development `LIB_SUITES_FILTER=<text>` runs only the tests whose name contains the
//! text (the floors are then not held).
//!
//! The test prints the figures and the disagreeing tests, and fails when a figure falls below
//! its floor in [`FLOORS`] (raise them as things improve). Tests that need a Nix store are
//! listed in [`STORE_BOUND`] and counted apart.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The least number of agreeing tests per suite today (not counting [`STORE_BOUND`]): a
/// figure below its floor fails the test; one above it says to raise the floor.
const FLOORS: &[(&str, usize)] = &[
    ("misc (nixpkgs lib)", 140),
    // The two left follow current nixpkgs' `escapeShellArg` (`abc`, not 2022-11's `'abc'`),
    // which the golden fixtures were made with.
    ("misc (native lib)", 138),
    ("modules.sh outputs (nixpkgs lib)", 123),
    ("modules.sh outputs (native lib)", 123),
    ("modules.sh errors (nixpkgs lib)", 42),
    ("modules.sh errors (native lib)", 42),
];

/// Tests that need a Nix store (derivations, store paths, a path copied to the store),
/// which netns-compile does not have: shown, but not counted. Misc tests by name, modules.sh
/// checks as `<attr> <files>`.
const STORE_BOUND: &[&str] = &[
    // `"${./.}"`: the path is copied to the store.
    "testHasInfixPath",
    "testHasInfixPathStoreDir",
    // `derivation { … }`
    "testSanitizeDerivationNameAscii",
    "testSanitizeDerivationNameEmpty",
    "testSanitizeDerivationNameLeadingDots",
    "testSanitizeDerivationNameTooLong",
    "testSanitizeDerivationNameTooLongWithInvalid",
    "testSanitizeDerivationNameUnicode",
    "testSplitStringsDerivation",
    "testToPretty",
    // nixpkgs' packages (`(import ../.. { … }).hello`), which a lib snapshot lacks.
    "testHasInfixDerivation",
    "testIsStorePath",
    // `imports = [ "${builtins.toFile …}" ]`
    "config.enable ./import-from-store.nix",
    // The value is the path `/`, which `--json` copies to the store (modules.sh prints it
    // without `--json`).
    "config.value.path ./types-anything/equal-atoms.nix",
];

/// Disagreements with one reason are listed on one line from this many on.
const GROUP_AT_LEAST: usize = 3;

/// Parallel evaluations (each a process of its own).
const THREADS: usize = 4;

/// Seconds one evaluation may take (modules.sh gives real Nix 1).
const TIMEOUT_SECONDS: &str = "30";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    Nixpkgs,
    Native,
}

impl Variant {
    const BOTH: [Variant; 2] = [Variant::Nixpkgs, Variant::Native];

    fn name(self) -> &'static str {
        match self {
            Variant::Nixpkgs => "nixpkgs",
            Variant::Native => "native",
        }
    }
}

/// What an evaluation gave: its standard output, or the text of its error.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Value(String),
    Error(String),
}

impl Outcome {
    /// The value's first line, or `error: ` and the [`reason`], cut for a report.
    fn short(&self, root: &Path) -> String {
        let (what, line) = match self {
            Outcome::Value(v) => (
                "",
                v.lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            ),
            Outcome::Error(e) => ("error: ", reason(e, root)),
        };
        let cut: String = line.chars().take(160).collect();
        format!("{what}{cut}")
    }
}

/// Where the copied lib is, and the programs that evaluate.
struct Setup {
    /// The temporary folder holding `lib/` (so `nixpkgs=<root>` makes `<nixpkgs/lib>` it).
    root: PathBuf,
    ours: PathBuf,
}

impl Setup {
    fn lib(&self) -> PathBuf {
        self.root.join("lib")
    }

    fn tests(&self) -> PathBuf {
        self.root.join("lib/tests")
    }

    /// `netns-compile eval FILE [--attr ATTR]` in `dir`, with no `NIX_PATH`.
    fn ours(&self, dir: &Path, file: &str, attr: &str) -> Outcome {
        let mut cmd = Command::new("timeout");
        cmd.arg(TIMEOUT_SECONDS)
            .arg(&self.ours)
            .args(["eval", file, "--attr", attr, "--message-format", "json"])
            .current_dir(dir)
            .env_remove("NIX_PATH");
        let out = cmd.output().expect("netns-compile runs");
        if out.status.success() {
            return Outcome::Value(String::from_utf8_lossy(&out.stdout).trim_end().to_string());
        }
        Outcome::Error(error_text(&String::from_utf8_lossy(&out.stderr)))
    }

    /// `nix-instantiate --eval ARGS` in `dir`, with nixpkgs' lib as `<nixpkgs/lib>`.
    fn nix(&self, dir: &Path, args: &[&str]) -> Outcome {
        let out = Command::new("timeout")
            .arg(TIMEOUT_SECONDS)
            .arg("nix-instantiate")
            // As modules.sh runs it: `builtins.toFile` writes to the store.
            .args(["--eval", "--read-write-mode"])
            .args(args)
            .current_dir(dir)
            .env("NIX_PATH", format!("nixpkgs={}", self.root.display()))
            .output()
            .expect("nix-instantiate runs");
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim_end().to_string();
        if out.status.success() {
            Outcome::Value(text(&out.stdout))
        } else {
            Outcome::Error(text(&out.stderr))
        }
    }
}

/// The messages and notes of netns-compile's JSON diagnostics (one per line), as text a
/// pattern can match across lines; the raw text when they are not JSON.
fn error_text(stderr: &str) -> String {
    let mut parts = Vec::new();
    for line in stderr.lines() {
        let Ok(d) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(m) = d.get("message").and_then(|m| m.as_str()) {
            parts.push(m.to_string());
        }
        for note in d.get("notes").and_then(|n| n.as_array()).into_iter().flatten() {
            parts.extend(note.as_str().map(str::to_string));
        }
    }
    if parts.is_empty() {
        stderr.to_string()
    } else {
        parts.join("\n")
    }
}

/// Whether `pattern` (Perl syntax, the whole text one record) matches `text`: modules.sh's
/// `grep -zP`.
fn grep_p(pattern: &str, text: &str) -> bool {
    use std::io::Write;
    let mut child = Command::new("grep")
        .args(["-zP", "--silent", "--", pattern])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("grep runs");
    // grep may stop reading once it has matched: a broken pipe is fine.
    let _ = child.stdin.take().expect("stdin").write_all(text.as_bytes());
    child.wait().is_ok_and(|s| s.success())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&src, &dst);
        } else {
            // A copy of a read-only file is read-only: give it back its owner's write bit.
            let text = std::fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            std::fs::write(&dst, text).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        }
    }
}

/// `text` with `from` replaced by `to`, which must be there.
fn substitute(text: &str, from: &str, to: &str, what: &str) -> String {
    assert!(text.contains(from), "{what} no longer contains {from:?}");
    text.replacen(from, to, 1)
}

// -- misc.nix ---------------------------------------------------------------------------------

/// Per variant the test set of misc.nix twice: `misc-values-<variant>.nix`, each test
/// `{ expr, expected }`, and `misc-results-<variant>.nix`, each test `expr == expected`.
/// Returns the names of the tests.
fn prepare_misc(setup: &Setup) -> Vec<String> {
    let tests = setup.tests();
    let misc = std::fs::read_to_string(tests.join("misc.nix")).expect("misc.nix");
    for variant in Variant::BOTH {
        let lib = match variant {
            Variant::Nixpkgs => "import ../default.nix",
            Variant::Native => "import <nixpkgs/lib>",
        };
        let text = substitute(
            &misc,
            "with import ../default.nix;",
            &format!("with {lib} // {{ runTests = tests: tests; }};"),
            "misc.nix",
        );
        let name = variant.name();
        std::fs::write(tests.join(format!("misc-{name}.nix")), text).expect("write");
        for (file, body) in [
            ("values", "{ inherit (t) expr expected; }"),
            ("results", "t.expr == t.expected"),
        ] {
            std::fs::write(
                tests.join(format!("misc-{file}-{name}.nix")),
                format!("builtins.mapAttrs (name: t: {body}) (import ./misc-{name}.nix)\n"),
            )
            .expect("write");
        }
    }
    let names = setup.nix(
        &tests,
        &[
            "--strict",
            "--json",
            "-E",
            "builtins.filter (n: builtins.substring 0 4 n == \"test\") (builtins.attrNames (import ./misc-nixpkgs.nix))",
        ],
    );
    let Outcome::Value(names) = names else {
        panic!("real Nix cannot list misc.nix's tests: {names:?}")
    };
    serde_json::from_str(&names).expect("a JSON list of names")
}

// -- modules.sh -------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum CheckKind {
    Output,
    Error,
}

/// One `checkConfigOutput` / `checkConfigError` line of modules.sh.
#[derive(Clone, Debug)]
struct Check {
    kind: CheckKind,
    pattern: String,
    attr: String,
    modules: Vec<String>,
}

impl Check {
    fn name(&self) -> String {
        format!("{} {}", self.attr, self.modules.join(" "))
    }
}

/// The checks of modules.sh, in order: the script run with its two check functions replaced
/// by recorders (fields separated by US, records by RS).
fn modules_checks(setup: &Setup) -> Vec<Check> {
    let tests = setup.tests();
    let script = std::fs::read_to_string(tests.join("modules.sh")).expect("modules.sh");
    let script = substitute(
        &script,
        "\ncheckConfigOutput() {",
        "\nupstream_checkConfigOutput() {",
        "modules.sh",
    );
    let script = substitute(
        &script,
        "\ncheckConfigError() {",
        "\nupstream_checkConfigError() {",
        "modules.sh",
    );
    let recorders = "checkConfigOutput() { printf '%s\\x1f' output \"$@\"; printf '\\x1e'; }\n\
                     checkConfigError() { printf '%s\\x1f' error \"$@\"; printf '\\x1e'; }\n";
    let listing = tests.join("modules-listing.sh");
    std::fs::write(&listing, format!("{recorders}{script}")).expect("write");
    let out = Command::new("bash").arg(&listing).output().expect("bash runs");
    assert!(
        out.status.success(),
        "modules.sh, with its checks recorded, fails: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let mut checks = Vec::new();
    for record in stdout.split('\x1e') {
        let fields: Vec<&str> = record.split('\x1f').collect();
        let kind = match fields[0] {
            "output" => CheckKind::Output,
            "error" => CheckKind::Error,
            // The script's own summary, after the last check.
            _ => continue,
        };
        // The recorder ends every field with US: the last piece is empty.
        let [_, pattern, attr, modules @ .., ""] = fields.as_slice() else {
            panic!("a modules.sh check without a pattern and an attribute: {record:?}")
        };
        checks.push(Check {
            kind,
            pattern: pattern.to_string(),
            attr: attr.to_string(),
            modules: modules.iter().map(|m| m.to_string()).collect(),
        });
    }
    checks
}

/// `modules/default-native.nix`: default.nix with the native lib as the default `lib`.
fn prepare_modules(setup: &Setup) {
    let dir = setup.tests().join("modules");
    let default = std::fs::read_to_string(dir.join("default.nix")).expect("modules/default.nix");
    let native = substitute(
        &default,
        "lib ? import ../..",
        "lib ? import <nixpkgs/lib>",
        "modules/default.nix",
    );
    std::fs::write(dir.join("default-native.nix"), native).expect("write");
}

/// The file check `i` evaluates with `variant`'s lib, written in `modules/`.
fn check_file(setup: &Setup, i: usize, check: &Check, variant: Variant) -> String {
    let default = match variant {
        Variant::Nixpkgs => "default.nix",
        Variant::Native => "default-native.nix",
    };
    let file = format!("check-{i}-{}.nix", variant.name());
    let text = format!("import ./{default} {{ modules = [ {} ];}}\n", check.modules.join(" "));
    std::fs::write(setup.tests().join("modules").join(&file), text).expect("write");
    file
}

// -- running and judging ----------------------------------------------------------------------

/// One comparison's result.
struct Verdict {
    suite: String,
    name: String,
    agrees: bool,
    store_bound: bool,
    /// Agrees in that both fail for the same reason.
    both_fail: bool,
    /// Compared as `expr == expected`: real Nix cannot print the test's values as JSON.
    boolean_only: bool,
    /// What real Nix and netns-compile gave, when they disagree.
    detail: String,
    /// What netns-compile gave, shortly.
    ours: String,
}

/// The same JSON printed, or both failing for the same [`reason`].
fn same_outcome(real: &Outcome, ours: &Outcome, root: &Path) -> bool {
    match (real, ours) {
        (Outcome::Value(a), Outcome::Value(b)) => a == b,
        (Outcome::Error(a), Outcome::Error(b)) => reason(a, root) == reason(b, root),
        _ => false,
    }
}

/// What an error is about: its first line after `error: ` (real Nix's first such line; the
/// first line of netns-compile's first message), with positions (`:12:3`) and the
/// temporary `root` stripped.
fn reason(text: &str, root: &Path) -> String {
    static POSITION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let position = POSITION.get_or_init(|| regex::Regex::new(r":[0-9]+:[0-9]+").expect("a regex"));
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("");
    let line = line.replace(&root.display().to_string(), "<root>");
    position.replace_all(line.trim(), "").into_owned()
}

fn suite_name(suite: &str, variant: Variant) -> String {
    format!("{suite} ({} lib)", variant.name())
}

/// `f` of every item, on [`THREADS`] threads, in the items' order.
fn run_parallel<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(item);
                    results.lock().unwrap().push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn misc_verdicts(setup: &Setup, names: &[String]) -> Vec<Verdict> {
    run_parallel(names, |name| {
        let dir = setup.tests();
        let file = |kind: &str, variant: Variant| format!("misc-{kind}-{}.nix", variant.name());
        let nix = |kind: &str| setup.nix(&dir, &["--strict", "--json", &file(kind, Variant::Nixpkgs), "-A", name]);
        // The values where real Nix prints them; else the boolean (and, where that fails too,
        // the reason it fails).
        let (kind, real) = match nix("values") {
            Outcome::Error(_) => ("results", nix("results")),
            values => ("values", values),
        };
        let boolean_only = kind == "results" && matches!(real, Outcome::Value(_));
        Variant::BOTH
            .iter()
            .map(|&variant| {
                let ours = setup.ours(&dir, &file(kind, variant), name);
                let agrees = same_outcome(&real, &ours, &setup.root);
                Verdict {
                    suite: suite_name("misc", variant),
                    name: name.clone(),
                    agrees,
                    store_bound: STORE_BOUND.contains(&name.as_str()),
                    both_fail: agrees && matches!(real, Outcome::Error(_)),
                    boolean_only,
                    detail: format!("nix {} / ours {}", real.short(&setup.root), ours.short(&setup.root)),
                    ours: ours.short(&setup.root),
                }
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

fn modules_verdicts(setup: &Setup, checks: &[Check]) -> Vec<Verdict> {
    let files: Vec<[String; 2]> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| Variant::BOTH.map(|v| check_file(setup, i, c, v)))
        .collect();
    let work: Vec<(&Check, &[String; 2])> = checks.iter().zip(&files).collect();
    run_parallel(&work, |&(check, files)| {
        let dir = setup.tests().join("modules");
        let attr = check.attr.as_str();
        let real = match check.kind {
            CheckKind::Output => setup.nix(&dir, &["--strict", "--json", &files[0], "-A", attr]),
            // As modules.sh runs it: the pattern is matched against the trace.
            CheckKind::Error => setup.nix(&dir, &["--show-trace", &files[0], "-A", attr]),
        };
        let real_passes = matches!(&real, Outcome::Error(e) if grep_p(&check.pattern, e));
        let suite = match check.kind {
            CheckKind::Output => "modules.sh outputs",
            CheckKind::Error => "modules.sh errors",
        };
        Variant::BOTH
            .iter()
            .zip(files)
            .map(|(&variant, file)| {
                let ours = setup.ours(&dir, file, attr);
                let agrees = match check.kind {
                    CheckKind::Output => same_outcome(&real, &ours, &setup.root),
                    CheckKind::Error => real_passes && matches!(&ours, Outcome::Error(e) if grep_p(&check.pattern, e)),
                };
                let name = check.name();
                let detail = match check.kind {
                    CheckKind::Output => format!("nix {} / ours {}", real.short(&setup.root), ours.short(&setup.root)),
                    CheckKind::Error if !real_passes => {
                        format!(
                            "real Nix does not pass /{}/: {}",
                            check.pattern,
                            real.short(&setup.root)
                        )
                    }
                    CheckKind::Error => format!("/{}/ vs ours {}", check.pattern, ours.short(&setup.root)),
                };
                Verdict {
                    suite: suite_name(suite, variant),
                    store_bound: STORE_BOUND.contains(&name.as_str()),
                    both_fail: agrees && check.kind == CheckKind::Output && matches!(real, Outcome::Error(_)),
                    boolean_only: false,
                    name,
                    agrees,
                    detail,
                    ours: ours.short(&setup.root),
                }
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Print the figures and the disagreements; the figures per suite (not counting store-bound
/// tests).
fn report(verdicts: &[Verdict]) -> BTreeMap<String, (usize, usize)> {
    let mut figures: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut store: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut both_fail: BTreeMap<&str, usize> = BTreeMap::new();
    let mut booleans: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for v in verdicts {
        let entry = if v.store_bound { &mut store } else { &mut figures };
        let (agree, total) = entry.entry(v.suite.clone()).or_default();
        *total += 1;
        *agree += usize::from(v.agrees);
        if v.both_fail && !v.store_bound {
            *both_fail.entry(&v.suite).or_default() += 1;
        }
        if v.boolean_only && !v.store_bound {
            let (agree, total) = booleans.entry(&v.suite).or_default();
            *total += 1;
            *agree += usize::from(v.agrees);
        }
    }
    println!("nixpkgs lib 2022-11 test suites, netns-compile eval against real Nix 2.8:");
    for (suite, (agree, total)) in &figures {
        let (sa, st) = store.get(suite).copied().unwrap_or_default();
        let store_note = if st > 0 {
            format!(" (and {sa}/{st} of the store-bound)")
        } else {
            String::new()
        };
        let floor = FLOORS.iter().find(|(s, _)| s == suite).map_or(0, |(_, f)| *f);
        let raise = if *agree > floor { ": raise its floor" } else { "" };
        let both = match both_fail.get(suite.as_str()) {
            Some(n) => format!(", {n} of them in failing for the same reason"),
            None => String::new(),
        };
        // Said for every misc suite, none compared so too.
        let boolean = match (booleans.get(suite.as_str()), suite.starts_with("misc")) {
            (Some((a, t)), _) => format!(", {a}/{t} compared as booleans (values JSON cannot hold)"),
            (None, true) => ", none compared as booleans".to_string(),
            (None, false) => String::new(),
        };
        println!("  {suite}: {agree}/{total} agree{both}{boolean}{store_note} (floor {floor}{raise})");
    }
    for (suite, _) in booleans.iter().filter(|(s, _)| s.contains("nixpkgs lib")) {
        let names: Vec<&str> = verdicts
            .iter()
            .filter(|v| v.suite == *suite && v.boolean_only && !v.store_bound)
            .map(|v| v.name.as_str())
            .collect();
        println!("compared as booleans, {suite}: {}", names.join("; "));
    }
    for (suite, _) in both_fail.iter().filter(|(s, _)| s.contains("nixpkgs lib")) {
        let names: Vec<String> = verdicts
            .iter()
            .filter(|v| v.suite == *suite && v.both_fail && !v.store_bound)
            .map(|v| format!("{} ({})", v.name, v.ours))
            .collect();
        println!("failing for the same reason, {suite}: {}", names.join("; "));
    }
    // Compactly: disagreements that netns-compile gives the same reason for, on one line.
    let mut groups: BTreeMap<(&str, &str), Vec<&Verdict>> = BTreeMap::new();
    for v in verdicts.iter().filter(|v| !v.agrees) {
        groups.entry((&v.suite, &v.ours)).or_default().push(v);
    }
    let mut current = "";
    for ((suite, ours), group) in &groups {
        if *suite != current {
            current = suite;
            println!("disagreeing, {current}:");
        }
        let name = |v: &Verdict| format!("{}{}", v.name, if v.store_bound { " [store-bound]" } else { "" });
        if group.len() >= GROUP_AT_LEAST {
            let names: Vec<String> = group.iter().map(|v| name(v)).collect();
            println!("  {} tests, ours {ours}: {}", group.len(), names.join("; "));
        } else {
            for v in group {
                println!("  {}: {}", name(v), v.detail);
            }
        }
    }
    figures
}

#[test]
fn nixpkgs_lib_test_suites_agree_with_real_nix() {
    let test = "nixpkgs_lib_test_suites_agree_with_real_nix";
    let Some(snapshot) = common::snapshot_or_skip(test, "NIXPKGS_LIB_2022_11", common::NIXPKGS_LIB_2022_11) else {
        return;
    };
    if !common::real_nix_or_skip(test) {
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lib-suites-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let setup = Setup {
        root: root.clone(),
        ours: common::bin(),
    };
    copy_tree(&snapshot, &setup.lib());

    let mut names = prepare_misc(&setup);
    prepare_modules(&setup);
    let mut checks = modules_checks(&setup);
    assert!(names.len() > 100, "only {} misc.nix tests found", names.len());
    assert!(checks.len() > 150, "only {} modules.sh checks found", checks.len());
    let filter = std::env::var("LIB_SUITES_FILTER").ok();
    if let Some(text) = &filter {
        names.retain(|n| n.contains(text.as_str()));
        checks.retain(|c| c.name().contains(text.as_str()));
    }

    let mut verdicts = misc_verdicts(&setup, &names);
    verdicts.extend(modules_verdicts(&setup, &checks));
    verdicts.sort_by(|a, b| (&a.suite, &a.name).cmp(&(&b.suite, &b.name)));
    for name in STORE_BOUND.iter().filter(|_| filter.is_none()) {
        assert!(
            verdicts.iter().any(|v| v.name == *name),
            "STORE_BOUND names {name}, which is no test of the suites"
        );
    }
    let figures = report(&verdicts);
    std::fs::remove_dir_all(&root).expect("remove the copy");
    if filter.is_some() {
        println!("LIB_SUITES_FILTER is set: the floors are not held");
        return;
    }

    let mut below = Vec::new();
    for (suite, floor) in FLOORS {
        let (agree, total) = figures.get(*suite).copied().unwrap_or_default();
        if agree < *floor {
            below.push(format!("{suite}: {agree}/{total}, below its floor {floor}"));
        }
    }
    for suite in figures.keys() {
        assert!(FLOORS.iter().any(|(s, _)| s == suite), "{suite} has no floor in FLOORS");
    }
    assert!(below.is_empty(), "{}", below.join("\n"));
}

#[test]
fn a_reason_is_the_first_line_of_the_error_without_positions_or_the_root() {
    let root = Path::new("/tmp/lib-suites-1");
    let nix = "trace: x\nerror: attribute 'a' missing in /tmp/lib-suites-1/lib/x.nix:3:5\n\n       at /tmp/lib-suites-1/lib/x.nix:3:5:\n";
    assert_eq!(reason(nix, root), "attribute 'a' missing in <root>/lib/x.nix");
    let ours =
        error_text(r#"{"message":"attribute 'a' missing in /tmp/lib-suites-1/lib/x.nix:3:5","notes":["a note"]}"#);
    assert_eq!(reason(&ours, root), reason(nix, root));
    let other = Outcome::Error("error: attribute 'b' missing".to_string());
    assert!(!same_outcome(&Outcome::Error(nix.to_string()), &other, root));
    assert!(!same_outcome(&Outcome::Value("true".into()), &other, root));
}
