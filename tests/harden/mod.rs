//! Helpers of the hardening tests (runtime, systemd-analyze, atomic output): reading unit
//! files and their command lines as systemd does, namespace clean-up. (A test that cannot
//! run says so with `common::skip`, the one helper of every test binary.)
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A progress line worth seeing in a normal `cargo test` run: written to the stream directly,
/// past the harness's capture (which takes only `print!`/`eprint!`).
pub fn note(line: &str) {
    let _ = std::io::stderr().lock().write_all(format!("{line}\n").as_bytes());
}

/// The first program of `names` not found in PATH (nor in /usr/sbin, /sbin).
pub fn missing_program(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    names
        .iter()
        .find(|n| {
            !path
                .split(':')
                .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
                .any(|d| Path::new(d).join(n).is_file())
        })
        .map(|n| n.to_string())
}

/// Poll `done` every 50 ms until it holds; panics after 30 s, naming `what`.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A fresh temporary folder whose path needs no quoting in a unit file.
pub fn tempdir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("netns-{tag}-"))
        .tempdir()
        .expect("a temporary folder")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run a program (no shell) and collect its output.
pub fn run_cmd(program: &str, args: &[&str]) -> Run {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Compile `input` with `netns-compile build --host-tools` into `out`; panics on failure.
pub fn build_host_tools(input: &Path, out: &Path) {
    build_host_tools_at(input, out, None);
}

/// The same, with units naming their scripts under `prefix` (where the tree will be seen).
pub fn build_host_tools_at(input: &Path, out: &Path, prefix: Option<&str>) {
    let mut args = vec![
        "build",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--host-tools",
    ];
    if let Some(prefix) = prefix {
        args.extend(["--prefix", prefix]);
    }
    let r = run_cmd(env!("CARGO_BIN_EXE_netns-compile"), &args);
    assert_eq!(r.code, 0, "building {}:\n{}", input.display(), r.stderr);
}

/// Write `config` as `work/input.json`, compile it for `prefix` into `work/out` and return that.
pub fn build_config_at(config: &Value, work: &Path, prefix: &str) -> PathBuf {
    let input = work.join("input.json");
    fs::write(&input, serde_json::to_string_pretty(config).unwrap()).unwrap();
    let out = work.join("out");
    build_host_tools_at(&input, &out, Some(prefix));
    out
}

/// A unit file as systemd reads it: (section, key, value) in order. Values end at the line
/// end; comments and blank lines are skipped. (Our units use no line continuations.)
pub fn parse_unit(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        assert!(!line.ends_with('\\'), "line continuation in {line:?}");
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line:?}"));
        out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
    }
    out
}

/// The values of `section`/`key`, in order.
pub fn unit_values(unit: &[(String, String, String)], section: &str, key: &str) -> Vec<String> {
    unit.iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.clone())
        .collect()
}

/// systemd's `extract_first_word` (src/basic/extract-word.c) for the flags our units need:
/// quotes are removed wherever they are in a word (`EXTRACT_UNQUOTE`), a backslash escapes
/// the next character, also inside quotes, C-style when `cunescape` (`EXTRACT_CUNESCAPE`),
/// literally otherwise. With `coalesce` false, one separator ends one word
/// (`EXTRACT_DONT_COALESCE_SEPARATORS`). Returns the word and the separator that ended it
/// (None at the end), or None when nothing is left. Unbalanced quotes or a trailing
/// backslash are errors, as in systemd.
pub fn extract_first_word(
    rest: &mut &str,
    separators: &str,
    cunescape: bool,
    coalesce: bool,
) -> Result<Option<(String, Option<char>)>, String> {
    let mut chars = rest.char_indices().peekable();
    if coalesce {
        while chars.peek().is_some_and(|(_, c)| separators.contains(*c)) {
            chars.next();
        }
    }
    if chars.peek().is_none() {
        *rest = "";
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            let Some((_, n)) = chars.next() else {
                return Err(format!("trailing backslash in {rest:?}"));
            };
            if cunescape {
                word.push(match n {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    's' => ' ',
                    '\\' | '"' | '\'' => n,
                    other => return Err(format!("unsupported escape \\{other} in {rest:?}")),
                });
            } else {
                word.push(n);
            }
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                word.push(c);
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if separators.contains(c) {
            let mut end = i + c.len_utf8();
            if coalesce {
                while let Some((j, d)) = chars.peek().copied() {
                    if !separators.contains(d) {
                        break;
                    }
                    chars.next();
                    end = j + d.len_utf8();
                }
            }
            *rest = &rest[end..];
            return Ok(Some((word, Some(c))));
        } else {
            word.push(c);
        }
    }
    if quote.is_some() {
        return Err(format!("unbalanced quoting in {rest:?}"));
    }
    *rest = "";
    Ok(Some((word, None)))
}

const WHITESPACE: &str = " \t\n\r";

/// One command of an `ExecStart=`-like line.
#[derive(Debug, Clone)]
pub struct ExecCommand {
    pub argv: Vec<String>,
    /// `-` prefix: a failure is ignored.
    pub ignore_failure: bool,
}

/// An `ExecStart=` value split as systemd's `config_parse_exec` splits it: words with
/// quotes and C escapes, an unquoted lone `;` separating commands, `-@:+!` prefixes on the
/// first word, `%%` → `%`. `$` (environment substitution) and other specifiers are refused:
/// our units never need them, so meeting one is a finding.
pub fn parse_exec(value: &str) -> Result<Vec<ExecCommand>, String> {
    let mut commands = Vec::new();
    let mut rest = value.trim_start_matches([' ', '\t']);
    let mut argv: Vec<String> = Vec::new();
    let mut ignore_failure = false;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        if trimmed.starts_with(';') && trimmed[1..].chars().next().is_none_or(|c| WHITESPACE.contains(c)) {
            rest = &trimmed[1..];
            if !argv.is_empty() {
                commands.push(ExecCommand {
                    argv: std::mem::take(&mut argv),
                    ignore_failure,
                });
            }
            ignore_failure = false;
            continue;
        }
        let Some((mut word, _)) = extract_first_word(&mut rest, WHITESPACE, true, true)? else {
            break;
        };
        if argv.is_empty() {
            let prefix_len = word.chars().take_while(|c| "-@:+!".contains(*c)).count();
            let prefix: String = word.chars().take(prefix_len).collect();
            if prefix.contains(['@', ':', '+', '!']) {
                return Err(format!("unexpected prefix {prefix:?} in {value:?}"));
            }
            ignore_failure = prefix.contains('-');
            word = word[prefix_len..].to_string();
            if !word.starts_with('/') {
                return Err(format!("not an absolute path: {word:?} in {value:?}"));
            }
        }
        if word.contains('$') {
            return Err(format!("environment substitution would apply to {word:?}"));
        }
        argv.push(expand_specifiers(&word)?);
    }
    if !argv.is_empty() {
        commands.push(ExecCommand { argv, ignore_failure });
    }
    Ok(commands)
}

fn expand_specifiers(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('%') => out.push('%'),
                other => return Err(format!("specifier %{other:?} in {word:?}")),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// `BindReadOnlyPaths=` as systemd's `config_parse_bind_paths` reads it: items separated by
/// whitespace, each `source[:destination[:options]]`, split by `extract_first_word` with
/// separators `:` and whitespace, quotes removed, no C escapes.
pub fn parse_bind_paths(value: &str) -> Result<Vec<(String, String)>, String> {
    let seps = ": \t\n\r";
    let mut rest = value;
    let mut out = Vec::new();
    while let Some((source, sep)) = extract_first_word(&mut rest, seps, false, false)? {
        if source.is_empty() {
            continue;
        }
        let source = source.strip_prefix('-').unwrap_or(&source).to_string();
        let destination = if sep == Some(':') {
            let Some((dest, sep2)) = extract_first_word(&mut rest, seps, false, false)? else {
                return Err(format!("missing destination in {value:?}"));
            };
            if sep2 == Some(':') {
                extract_first_word(&mut rest, WHITESPACE, false, true)?;
            }
            dest
        } else {
            source.clone()
        };
        out.push((source, destination));
    }
    Ok(out)
}

/// `Environment=` values (each one or more `NAME=value` words).
pub fn parse_environment(values: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for v in values {
        let mut rest = v.as_str();
        while let Some((word, _)) = extract_first_word(&mut rest, WHITESPACE, true, true)? {
            let (k, val) = word
                .split_once('=')
                .ok_or_else(|| format!("not NAME=value: {word:?}"))?;
            env.insert(k.to_string(), val.to_string());
        }
    }
    Ok(env)
}

/// A compiled output tree: the namespaces and joining services its manifest lists.
pub struct Compiled {
    pub root: PathBuf,
    pub manifest: Value,
}

impl Compiled {
    pub fn read(root: &Path) -> Compiled {
        let text = fs::read_to_string(root.join("share/netns-compile/manifest.json")).expect("a manifest");
        Compiled {
            root: root.to_path_buf(),
            manifest: serde_json::from_str(&text).expect("manifest JSON"),
        }
    }

    /// (namespace name, unit name) of every namespace.
    pub fn namespaces(&self) -> Vec<(String, String)> {
        self.manifest["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["namespace"].as_str().unwrap().to_string(),
                    u["unit"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// (service unit, namespace name) of every drop-in.
    pub fn dropins(&self) -> Vec<(String, String)> {
        self.manifest["dropins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["service"].as_str().unwrap().to_string(),
                    d["namespace"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn unit_path(&self, unit: &str) -> PathBuf {
        self.root.join("lib/systemd/system").join(unit)
    }

    pub fn unit(&self, unit: &str) -> Vec<(String, String, String)> {
        let p = self.unit_path(unit);
        parse_unit(&fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
    }
}

/// A sysctl value as `sysctl -p` writes it: booleans as 1/0 (NixOS's rendering), null
/// skipped.
fn sysctl_text(key: &str, v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        other => panic!("sysctl {key} = {other}"),
    }
}

/// What a JSON configuration itself says a namespace's sysctls are (SPEC §3.1), read without
/// the compiler: its own `sysctl` when it defines one (that replaces the default entirely),
/// else all of `boot.kernel.sysctl`. The runtime tests expect these, not the manifest's.
pub fn configured_sysctls(config: &Value, ns: &str) -> BTreeMap<String, String> {
    let own = config.pointer(&format!("/services/netns/namespaces/{}/sysctl", pointer_escape(ns)));
    let map = own.or_else(|| config.pointer("/boot/kernel/sysctl"));
    map.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), sysctl_text(k, v)?)))
        .collect()
}

/// A namespace's nftables ruleset as the configuration says (its own `nftables`, else
/// `networking.nftables.ruleset`).
pub fn configured_ruleset(config: &Value, ns: &str) -> String {
    config
        .pointer(&format!("/services/netns/namespaces/{}/nftables", pointer_escape(ns)))
        .or_else(|| config.pointer("/networking/nftables/ruleset"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

pub fn configured_nftables_enabled(config: &Value) -> bool {
    config
        .pointer("/networking/nftables/enable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// JSON pointer escaping of one reference token (RFC 6901).
fn pointer_escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `table <family> <name>` of each table a ruleset defines.
pub fn ruleset_tables(ruleset: &str) -> Vec<String> {
    ruleset
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.first() == Some(&"table") && w.len() >= 3).then(|| format!("table {} {}", w[1], w[2]))
        })
        .collect()
}

/// Rename every namespace of a configuration by appending `suffix` (and the joining
/// services' `netns` with it), so that concurrent runs never share a namespace name.
pub fn suffix_namespaces(config: &mut Value, suffix: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(map) = config
        .pointer_mut("/services/netns/namespaces")
        .and_then(Value::as_object_mut)
    {
        let old = std::mem::take(map);
        for (k, v) in old {
            let new = format!("{k}{suffix}");
            names.push(new.clone());
            map.insert(new, v);
        }
    }
    if let Some(map) = config.pointer_mut("/systemd/services").and_then(Value::as_object_mut) {
        for svc in map.values_mut() {
            if let Some(Value::String(ns)) = svc.get_mut("netns") {
                ns.push_str(suffix);
            }
        }
    }
    names
}

/// A namespace name safe to use as a path component below /run/netns and /etc/netns.
pub fn assert_plain_component(name: &str) {
    assert!(
        !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0'),
        "unsafe namespace name {name:?}"
    );
}

/// Removes, when dropped (also when a test fails), the namespaces a test registered and
/// their /etc/netns folders: only the names it was given.
pub struct NamespaceGuard {
    pub names: Vec<String>,
}

impl NamespaceGuard {
    pub fn new(names: Vec<String>) -> NamespaceGuard {
        for n in &names {
            assert_plain_component(n);
        }
        NamespaceGuard { names }
    }
}

impl Drop for NamespaceGuard {
    fn drop(&mut self) {
        for n in &self.names {
            if Path::new("/run/netns").join(n).exists() {
                let _ = Command::new("ip").args(["netns", "delete", n]).status();
            }
            let _ = fs::remove_dir_all(Path::new("/etc/netns").join(n));
        }
    }
}

/// The command lines of `key` in a unit file (or drop-in), split as systemd splits them.
pub fn exec_lines(compiled: &Compiled, unit_file: &str, key: &str) -> Vec<Vec<String>> {
    let u = compiled.unit(unit_file);
    unit_values(&u, "Service", key)
        .iter()
        .flat_map(|v| parse_exec(v).unwrap_or_else(|e| panic!("{unit_file}: {key}: {e}")))
        .map(|c| c.argv)
        .collect()
}

/// A command line as `sh` reads it back, every word quoted.
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Start a namespace unit: its `ExecStart=` lines, then the `ExecStartPost=` of its
/// drop-ins, in one fresh network namespace (the registration under /run/netns keeps it).
pub fn start_namespace(compiled: &Compiled, unit: &str) {
    let u = compiled.unit(unit);
    let env = parse_environment(&unit_values(&u, "Service", "Environment")).unwrap();
    let mut lines = exec_lines(compiled, unit, "ExecStart");
    let dropins = compiled.unit_path(&format!("{unit}.d"));
    if let Ok(entries) = fs::read_dir(&dropins) {
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let rel = format!("{unit}.d/{}", f.file_name().unwrap().to_string_lossy());
            lines.extend(exec_lines(compiled, &rel, "ExecStartPost"));
        }
    }
    let script: Vec<String> = lines.iter().map(|l| shell_join(l)).collect();
    let out = Command::new("unshare")
        .args(["--net", "--", "sh", "-ec", &script.join("\n")])
        .env_clear()
        .envs(&env)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{unit}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run a oneshot connectivity unit's `ExecStart=` (or `ExecStop=`) in the host namespace.
pub fn run_host_unit(compiled: &Compiled, unit: &str, key: &str) -> Run {
    let mut last = None;
    for argv in exec_lines(compiled, unit, key) {
        let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
        let r = run_cmd(&argv[0], &args);
        let failed = r.code != 0;
        last = Some(r);
        if failed {
            break;
        }
    }
    last.expect("a command")
}
