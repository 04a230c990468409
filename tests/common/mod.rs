//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod nspawn;
pub mod wireguard;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netns-compile"))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the binary with `args` (colour off).
pub fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

pub fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        // A large input may be refused before it is all read: a broken pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(input);
    }
    let out = child.wait_with_output().expect("the binary finishes");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A file tree as [`tree`] gives it.
pub type Tree = BTreeMap<String, (String, Vec<u8>, u32)>;

/// Build `dir/config.nix` (`module`) and `dir/config.json` (`json`, what the module stands for)
/// for the prefix `/p`, assert that both routes give one tree, and return it.
pub fn build_both_routes(dir: &Path, module: &str, json: &serde_json::Value) -> Tree {
    fs::write(dir.join("config.nix"), module).unwrap();
    fs::write(dir.join("config.json"), json.to_string()).unwrap();
    let build = |input: &str| {
        let out = dir.join(format!("out-{input}"));
        let path = dir.join(input);
        let r = run(&[
            "build",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--prefix",
            "/p",
        ]);
        assert_eq!(r.code, 0, "{input}: {}", r.stderr);
        // The manifest names its input's route nowhere; the whole tree must be the same.
        tree(&out)
    };
    let from_nix = build("config.nix");
    let from_json = build("config.json");
    let differing: Vec<&String> = from_nix
        .keys()
        .chain(from_json.keys())
        .filter(|k| from_nix.get(*k) != from_json.get(*k))
        .collect();
    assert!(differing.is_empty(), "the routes differ in {differing:?}");
    from_nix
}

/// Everything under `root`: relative path → (kind, bytes or link target, mode).
pub fn tree(root: &Path) -> BTreeMap<String, (String, Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, Vec<u8>, u32)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&p).unwrap().to_string_lossy().into_owned();
            out.insert(rel, ("link".into(), target.into_bytes(), 0));
        } else if meta.is_dir() {
            out.insert(rel, ("dir".into(), Vec::new(), mode));
            walk(root, &p, out);
        } else {
            out.insert(rel, ("file".into(), fs::read(&p).unwrap(), mode));
        }
    }
}

// -- the shared snapshots (../shared/README-snapshots.md) -------------------------------------

/// nixpkgs' lib of 2022-11 with its tests, the last that Nix 2.8 evaluates.
pub const NIXPKGS_LIB_2022_11: &str = "nixpkgs-lib/2022-11/lib";
/// A current nixpkgs lib.
pub const NIXPKGS_LIB_CURRENT: &str = "nixpkgs-lib/current/lib";
/// The upstream Nix language test suite.
pub const NIX_LANG_TESTS: &str = "nix-lang/tests/functional/lang";

/// A snapshot: the folder `env` names if it is set, else `shared/<rel>` in the nearest folder
/// above the project that has it (`../shared` beside a checkout, `../../shared` beside a
/// worktree of it).
pub fn snapshot(env: &str, rel: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(env) {
        let dir = PathBuf::from(dir);
        assert!(dir.is_dir(), "{env}={} is not a folder", dir.display());
        return Some(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared").join(rel))
        .find(|dir| dir.is_dir())
}

/// The one way a test says it does not run (every test binary calls this, none has its own):
/// `*** SKIPPED: test: why ***` on the real standard error, which libtest does not capture (it
/// captures only `print!`/`eprint!`), then back to the caller, which returns. When `CI` is set
/// (`.ci/run` sets it) a test that cannot run is a failure: this panics instead.
pub fn skip(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr().lock(), "\n*** SKIPPED: {test}: {reason} ***");
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} cannot run, and CI is set: {reason}"
    );
}

/// The snapshot for `test`, or `None` after saying SKIPPED (see [`skip`]).
pub fn snapshot_or_skip(test: &str, env: &str, rel: &str) -> Option<PathBuf> {
    let found = snapshot(env, rel);
    if found.is_none() {
        skip(
            test,
            &format!("no snapshot {rel}: set {env} or provide ../shared/{rel}"),
        );
    }
    found
}

/// True when real Nix (`nix-instantiate`) is on PATH; else says SKIPPED for `test`.
pub fn real_nix_or_skip(test: &str) -> bool {
    let there = Command::new("nix-instantiate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !there {
        skip(test, "nix-instantiate (real Nix 2.8, the oracle) is not on PATH");
    }
    there
}

/// Whether `check --probe` can run here: nft, and a throwaway network namespace (`unshare`,
/// with a user namespace when not root).
pub fn probe_can_run() -> bool {
    let works = |cmd: &[&str]| {
        Command::new(cmd[0])
            .args(&cmd[1..])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let root = works(&["sh", "-c", "test \"$(id -u)\" = 0"]);
    let netns: &[&str] = if root {
        &["unshare", "--net", "true"]
    } else {
        &["unshare", "--map-root-user", "--net", "true"]
    };
    works(&["nft", "--version"]) && works(netns)
}

/// The host link's (host, namespace) addresses that SPEC §11's pool gives the only host link
/// of a configuration that sets none, computed here from the rule README documents (not by
/// the compiler's function): the pool 10.231.0.0/16 in /30 subnets, host `.1` and namespace
/// `.2` of subnet `i`, where `i` is the 64-bit FNV-1a hash of the name's bytes, a zero byte
/// and the counter 0 as four little-endian bytes, modulo 16,384. (With one link, its first
/// candidate is free.)
pub fn first_pool_addresses(namespace: &str) -> (std::net::Ipv4Addr, std::net::Ipv4Addr) {
    let mut key = namespace.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&0u32.to_le_bytes());
    let hash = key.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let subnet = u32::from(std::net::Ipv4Addr::new(10, 231, 0, 0)) + (hash % 16_384) as u32 * 4;
    (subnet.wrapping_add(1).into(), subnet.wrapping_add(2).into())
}

/// The first packet count in an nft listing (`… counter packets N bytes M …`).
pub fn nft_packets(listing: &str) -> u64 {
    listing
        .split_whitespace()
        .skip_while(|w| *w != "packets")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in {listing}"))
}
