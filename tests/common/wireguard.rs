//! WireGuard key pairs for the tests that run a tunnel to a peer namespace.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// A key pair as `wg genkey` and `wg pubkey` give it.
pub struct KeyPair {
    pub private: String,
    pub public: String,
}

/// A fresh key pair; panics when `wg` fails.
pub fn key_pair() -> KeyPair {
    let private = wg(&["genkey"], "");
    let public = wg(&["pubkey"], &private);
    KeyPair { private, public }
}

fn wg(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("wg")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("wg: {e}"));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "wg {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
