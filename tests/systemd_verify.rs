//! `systemd-analyze verify` over every unit and drop-in that the golden, case, runtime and
//! example fixtures produce (built with `--host-tools`, so every program and script path
//! exists). systemd-analyze exits 0 on warnings, so any output on stderr fails the test.
//! Each drop-in is verified on a minimal base service (`ExecStart=/bin/true`) beside it.
//!
//! A second test checks our reading of unit command lines (`harden::extract_first_word`,
//! used by the runtime tests) against systemd's own `extract_first_word`, from the
//! libsystemd-shared library the installed systemd uses, on every value the fixtures produce.
//!
//! Without systemd-analyze, ip, sysctl and nft (the first test), or systemd 252's library
//! (the second: the flag values are version-specific), a test says `*** SKIPPED: … ***`, and
//! fails instead when `CI` is set.

mod common;
mod harden;

use common::skip;
use harden::{build_host_tools, extract_first_word, missing_program, note, tempdir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every fixture configuration that compiles: (label, input).
fn inputs() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    let dirs = |sub: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(root.join(sub))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    for case in dirs("nixos") {
        let rejected = case.join("error.txt").exists() || case.join("spec-error.txt").exists();
        if case.join("eval.json").is_file() && !rejected {
            out.push((format!("nixos/{}", name(&case)), case.join("eval.json")));
        }
    }
    for case in dirs("cases") {
        out.push((format!("cases/{}", name(&case)), case.join("input.json")));
    }
    for f in dirs("runtime") {
        out.push((format!("runtime/{}", name(&f)), f));
    }
    out.push(("example".into(), root.join("example.json")));
    out
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Build one input; return the unit folder and the names to verify (units, and the base
/// services of the drop-ins, written beside them).
fn build(label: &str, input: &Path, dir: &Path) -> (PathBuf, Vec<String>) {
    let out = dir.join(label.replace('/', "_"));
    build_host_tools(input, &out);
    let units = out.join("lib/systemd/system");
    let mut names = Vec::new();
    let Ok(entries) = fs::read_dir(&units) else {
        return (units, names);
    };
    for e in entries.flatten() {
        let n = name(&e.path());
        let ty = e.file_type().unwrap();
        if ty.is_file() && (n.ends_with(".service") || n.ends_with(".socket")) {
            names.push(n);
        } else if ty.is_dir() && n.ends_with(".service.d") {
            let base = n.trim_end_matches(".d").to_string();
            if !e.path().join("netns.conf").is_file() {
                // A drop-in of a generated unit (`dns`): verified with that unit.
                assert!(units.join(&base).is_file(), "{label}: {n} without netns.conf");
                continue;
            }
            assert!(!units.join(&base).exists(), "{label}: {base} is generated and joins");
            fs::write(units.join(&base), "[Service]\nExecStart=/bin/true\n").unwrap();
            names.push(base);
        }
    }
    names.sort();
    stub_missing_dependencies(label, &units, &names);
    (units, names)
}

/// Units the configuration names but nobody generates (`requires = [ "foo.service" ]`):
/// on a real system they exist, so a minimal one is written beside the generated units
/// (systemd-analyze would otherwise fail to load them, which says nothing about ours).
fn stub_missing_dependencies(label: &str, units: &Path, names: &[String]) {
    let system = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];
    for n in names {
        let text = fs::read_to_string(units.join(n)).unwrap_or_default();
        for (_, key, value) in harden::parse_unit(&text) {
            let deps = [
                "Requires",
                "Wants",
                "BindsTo",
                "PartOf",
                "Requisite",
                "Upholds",
                "Conflicts",
                "OnFailure",
                "OnSuccess",
            ];
            if !deps.contains(&key.as_str()) {
                continue;
            }
            for dep in value.split_whitespace() {
                let known = units.join(dep).exists() || system.iter().any(|d| Path::new(d).join(dep).exists());
                if !known {
                    let body = if dep.ends_with(".service") {
                        "[Service]\nExecStart=/bin/true\n"
                    } else {
                        "[Unit]\n"
                    };
                    fs::write(units.join(dep), body).unwrap();
                    note(&format!(
                        "systemd_verify: {label}: stub {dep} (named by {n}, exists nowhere)"
                    ));
                }
            }
        }
    }
}

#[test]
fn systemd_analyze_verify_accepts_every_unit_and_dropin() {
    if let Some(p) = missing_program(&["systemd-analyze", "ip", "sysctl", "nft"]) {
        skip(
            "systemd_verify::systemd_analyze_verify_accepts_every_unit_and_dropin",
            &format!("`{p}` is not installed (tests/run.sh installs it; --host-tools needs it)"),
        );
        return;
    }
    let dir = tempdir("verify");
    let mut failures = Vec::new();
    let mut count = 0;
    for (label, input) in inputs() {
        let (units, names) = build(&label, &input, dir.path());
        if names.is_empty() {
            continue;
        }
        count += names.len();
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .args(&names)
            .env("SYSTEMD_UNIT_PATH", format!("{}:", units.display()))
            .env("SYSTEMD_LOG_COLOR", "0")
            .current_dir(&units)
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !stderr.trim().is_empty() {
            failures.push(format!("{label} ({}):\n{stderr}", out.status));
        }
    }
    note(&format!("systemd_verify: {count} units and drop-ins verified"));
    assert!(count > 40, "only {count} units found");
    assert!(
        failures.is_empty(),
        "systemd-analyze verify complained:\n{}",
        failures.join("\n")
    );
}

/// `ExtractFlags` of systemd 252 (src/basic/extract-word.h).
const EXTRACT_CUNESCAPE: i32 = 1 << 1;
const EXTRACT_UNQUOTE: i32 = 1 << 5;
const EXTRACT_DONT_COALESCE_SEPARATORS: i32 = 1 << 6;
const LIBSYSTEMD_SHARED: &str = "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so";

type ExtractFirstWord =
    unsafe extern "C" fn(*mut *const libc::c_char, *mut *mut libc::c_char, *const libc::c_char, i32) -> i32;

/// All words of `value` as systemd's `extract_first_word` gives them, or its error.
fn systemd_words(f: ExtractFirstWord, value: &str, separators: &str, flags: i32) -> Result<Vec<String>, i32> {
    let value = std::ffi::CString::new(value).unwrap();
    let seps = std::ffi::CString::new(separators).unwrap();
    let mut p: *const libc::c_char = value.as_ptr();
    let mut words = Vec::new();
    loop {
        if p.is_null() {
            break;
        }
        let mut word: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: p points into `value` (NUL-terminated, alive), word receives a malloc'd
        // string that we free; the flags are the ones systemd 252 defines.
        let r = unsafe { f(&mut p, &mut word, seps.as_ptr(), flags) };
        if r < 0 {
            return Err(r);
        }
        if r == 0 {
            break;
        }
        // SAFETY: on r > 0, word is a valid NUL-terminated malloc'd string.
        unsafe {
            words.push(std::ffi::CStr::from_ptr(word).to_string_lossy().into_owned());
            libc::free(word.cast());
        }
    }
    Ok(words)
}

fn our_words(value: &str, separators: &str, cunescape: bool, coalesce: bool) -> Result<Vec<String>, i32> {
    let mut rest = value;
    let mut words = Vec::new();
    loop {
        match extract_first_word(&mut rest, separators, cunescape, coalesce) {
            Ok(Some((w, _))) => words.push(w),
            Ok(None) => return Ok(words),
            Err(_) => return Err(-22),
        }
    }
}

#[test]
fn our_unit_word_splitting_is_systemds() {
    let version = Command::new("systemd-analyze").arg("--version").output();
    let is_252 = version.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("systemd 252 "));
    if !is_252 || !Path::new(LIBSYSTEMD_SHARED).exists() {
        skip(
            "systemd_verify::our_unit_word_splitting_is_systemds",
            "systemd 252's libsystemd-shared is not here (the flag values are version-specific)",
        );
        return;
    }
    let lib = std::ffi::CString::new(LIBSYSTEMD_SHARED).unwrap();
    let sym = std::ffi::CString::new("extract_first_word").unwrap();
    // SAFETY: dlopen/dlsym with valid C strings; the symbol has the declared signature in
    // systemd 252 (checked above).
    let f: ExtractFirstWord = unsafe {
        let h = libc::dlopen(lib.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        assert!(!h.is_null(), "dlopen {LIBSYSTEMD_SHARED}");
        let s = libc::dlsym(h, sym.as_ptr());
        assert!(!s.is_null(), "dlsym extract_first_word");
        std::mem::transmute::<*mut libc::c_void, ExtractFirstWord>(s)
    };

    // Every command line, environment and bind value the fixtures produce, and some more.
    let mut exec_values: Vec<String> = vec![
        "/bin/ip netns delete 'it'\\''s \"q\"'".into(),
        "/bin/x 'a b'c\"d e\" \\\"q\\\" 'ünï ☃' '`bt`;x'".into(),
        "/bin/x 'unbalanced".into(),
        "/bin/x \"a\\tb\" 'c\\nd'".into(),
    ];
    let mut bind_values: Vec<String> = vec![
        "\"/etc/netns/my lab/resolv.conf:/etc/resolv.conf\"".into(),
        "\"/etc/netns/my lab/resolv.conf\":/etc/resolv.conf".into(),
        "/etc/netns/it's/resolv.conf:/etc/resolv.conf".into(),
        "\"/etc/netns/say \\\"hi\\\"/resolv.conf\":/etc/resolv.conf -/a:/b".into(),
    ];
    let dir = tempdir("words");
    for (label, input) in inputs() {
        let (units, _) = build(&label, &input, dir.path());
        for e in walk(&units) {
            let Ok(text) = fs::read_to_string(&e) else { continue };
            for (_, k, v) in harden::parse_unit(&text) {
                match k.as_str() {
                    "ExecStart" | "ExecStop" | "ExecReload" | "ExecStartPre" | "ExecStartPost" | "ExecStopPost"
                    | "Environment" => exec_values.push(v),
                    "BindReadOnlyPaths" | "BindPaths" => bind_values.push(v),
                    _ => {}
                }
            }
        }
    }
    let ws = " \t\n\r";
    for v in &exec_values {
        let theirs = systemd_words(f, v, ws, EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE);
        assert_eq!(our_words(v, ws, true, true), theirs, "command line {v:?}");
    }
    let seps = ": \t\n\r";
    for v in &bind_values {
        let theirs = systemd_words(f, v, seps, EXTRACT_UNQUOTE | EXTRACT_DONT_COALESCE_SEPARATORS);
        assert_eq!(our_words(v, seps, false, false), theirs, "bind paths {v:?}");
    }
    note(&format!(
        "systemd_verify: {} command lines and {} bind values split as systemd 252 splits them",
        exec_values.len(),
        bind_values.len()
    ));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            out.extend(walk(&p));
        } else if ty.is_file() {
            out.push(p);
        }
    }
    out
}
