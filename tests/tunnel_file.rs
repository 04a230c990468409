//! The start script of a tunnel from a wg-quick file (`wireguard.configFile`, SPEC §14), held to
//! provider-style files: `fixtures/tunnel/<provider>.conf` read with the script's `parse` mode
//! gives `fixtures/tunnel/<provider>.parsed` (addresses, DNS servers and search domains, MTU,
//! and what `wg setconf` gets), under every POSIX shell here; and the keys that run commands or
//! change the host's routing, unknown keys and malformed lines fail, naming the key (not the
//! line: it may hold a key) and the file. Rewrite the `.parsed` files with `UPDATE_EXPECT=1`.

mod common;
mod harden;

use common::{fixtures, read};
use harden::{build_config_at, run_cmd, tempdir};
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};

/// The start script of a namespace whose tunnel reads a wg-quick file.
fn start_script(work: &Path) -> PathBuf {
    let config = json!({"services": {"netns": {"namespaces": {"vpn": {"wireguard": {
        "enable": true,
        "implementation": "userspace",
        "configFile": "/run/secrets/vpn.conf"
    }}}}}});
    let out = build_config_at(&config, work, "/netns");
    let script = out.join("libexec/netns-compile/netns-vpn-wireguard.service/start");
    let text = read(&script);
    assert!(text.contains("config_file=/run/secrets/vpn.conf\n"), "{text}");
    assert!(!text.contains("PrivateKey ="), "the script holds no key");
    script
}

/// The shells the script must run under: the one units name (bash with --host-tools) and a
/// plain POSIX sh.
fn shells() -> Vec<&'static str> {
    ["sh", "bash", "dash"]
        .into_iter()
        .filter(|s| run_cmd("sh", &["-c", &format!("command -v {s}")]).code == 0)
        .collect()
}

fn parse(shell: &str, script: &Path, file: &Path) -> harden::Run {
    run_cmd(shell, &[script.to_str().unwrap(), "parse", file.to_str().unwrap()])
}

#[test]
fn provider_files_parse_as_wg_quick_reads_them() {
    let work = tempdir("tunnel-file");
    let script = start_script(work.path());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut files: Vec<PathBuf> = fs::read_dir(fixtures().join("tunnel"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        let expected = file.with_extension("parsed");
        for shell in shells() {
            let r = parse(shell, &script, file);
            assert_eq!(r.code, 0, "{shell} {}: {}", file.display(), r.stderr);
            if update {
                fs::write(&expected, &r.stdout).unwrap();
            } else {
                assert_eq!(r.stdout, read(&expected), "{shell} {}", file.display());
            }
        }
    }
}

#[test]
fn keys_that_reach_the_host_and_unknown_keys_fail_naming_key_and_file() {
    let work = tempdir("tunnel-file-refused");
    let script = start_script(work.path());
    let base = "[Interface]\nPrivateKey = c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWstMDAwMDA=\nAddress = 10.2.0.2/32\n";
    let peer = "[Peer]\nPublicKey = cGVlcg==\nAllowedIPs = 0.0.0.0/0\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "preup",
            format!("{base}PreUp = touch /tmp/x\n{peer}"),
            "line 4: PreUp would run a command on the host",
        ),
        (
            "postup",
            format!("{base}PostUp = iptables -A FORWARD -j ACCEPT\n{peer}"),
            "line 4: PostUp would run a command",
        ),
        (
            "predown",
            format!("{base}predown = true\n{peer}"),
            "line 4: predown would run a command",
        ),
        (
            "postdown",
            format!("{base}POSTDOWN = true\n{peer}"),
            "line 4: POSTDOWN would run a command",
        ),
        (
            "table",
            format!("{base}Table = off\n{peer}"),
            "line 4: Table would change the host's routing",
        ),
        (
            "saveconfig",
            format!("{base}SaveConfig = true\n{peer}"),
            "line 4: SaveConfig would change",
        ),
        (
            "unknown",
            format!("{base}Bouncing = 1\n{peer}"),
            "line 4: unknown key Bouncing in [interface]",
        ),
        (
            "peer-unknown",
            format!("{base}{peer}Foo = bar\n"),
            "line 7: unknown key Foo in [peer]",
        ),
        (
            "before-section",
            format!("PrivateKey = x\n{base}{peer}"),
            "line 1: PrivateKey comes before any",
        ),
        ("section", format!("{base}[Peers]\n"), "line 4: unknown section [Peers]"),
        (
            "no-equals",
            format!("{base}PrivateKey c2VjcmV0\n{peer}"),
            "line 4 is neither a [Section] nor Key = Value",
        ),
        (
            "address",
            format!("{base}Address = 10.0.0.1/32;reboot\n{peer}"),
            "line 4: Address 10.0.0.1/32;reboot is not",
        ),
        (
            "mtu",
            format!("{base}MTU = big\n{peer}"),
            "line 4: MTU big is not a number",
        ),
        (
            "no-key",
            format!("[Interface]\nAddress = 10.2.0.2/32\n{peer}"),
            "has no PrivateKey",
        ),
        ("no-peer", base.to_string(), "has no [Peer]"),
    ];
    for (name, text, message) in cases {
        let file = work.path().join(format!("{name}.conf"));
        fs::write(&file, &text).unwrap();
        for shell in shells() {
            let r = parse(shell, &script, &file);
            assert_eq!(r.code, 1, "{shell} {name}: {}{}", r.stdout, r.stderr);
            assert!(r.stdout.is_empty(), "{shell} {name}: {}", r.stdout);
            let want = format!("netns-compile: {}: {message}", file.display());
            assert!(
                r.stderr.starts_with(&want),
                "{shell} {name}: {:?}, want {want:?}",
                r.stderr
            );
            assert!(
                !r.stderr.contains("c2VjcmV0"),
                "{shell} {name} shows the key: {}",
                r.stderr
            );
        }
    }
}

/// `configFile`, `watchdog` and `portForward` through both routes: a module (with properties) and the JSON it
/// stands for give one tree, and `resolve` shows the options with their defaults.
#[test]
fn nix_and_json_routes_read_the_tunnel_options() {
    let dir = tempdir("tunnel-routes");
    let module = r#"{ lib, ... }: {
  services.netns.namespaces.vpn = lib.mkMerge [
    { wireguard = { enable = true; configFile = "/run/secrets/proton.conf"; }; }
    {
      wireguard.implementation = lib.mkDefault "userspace";
      watchdog = { enable = lib.mkIf true true; handshakeTimeout = lib.mkForce 240; };
      portForward = { enable = true; onChange = lib.mkDefault "true"; };
    }
  ];
  systemd.services.qbittorrent.netns = "vpn";
}
"#;
    let json = json!({
        "services": {"netns": {"namespaces": {"vpn": {
            "wireguard": {"enable": true, "configFile": "/run/secrets/proton.conf", "implementation": "userspace"},
            "watchdog": {"enable": true, "handshakeTimeout": 240},
            "portForward": {"enable": true, "onChange": "true"}
        }}}},
        "systemd": {"services": {"qbittorrent": {"netns": "vpn"}}}
    });
    let from_nix = common::build_both_routes(dir.path(), module, &json);
    let bin = env!("CARGO_BIN_EXE_netns-compile");
    let unit = |name: &str| {
        let (_, bytes, _) = &from_nix[&format!("lib/systemd/system/{name}")];
        String::from_utf8(bytes.clone()).unwrap()
    };
    assert!(unit("netns-vpn-watchdog.service").contains("PartOf=netns-vpn-wireguard.service"));
    let watch = &from_nix["libexec/netns-compile/netns-vpn-watchdog.service/watch"].1;
    let watch = String::from_utf8_lossy(watch);
    assert!(watch.contains("\ninterval=30\ntimeout=240\n"), "{watch}");
    let resolved = run_cmd(bin, &["resolve", dir.path().join("config.nix").to_str().unwrap()]);
    assert_eq!(resolved.code, 0, "{}", resolved.stderr);
    let resolved: serde_json::Value = serde_json::from_str(&resolved.stdout).unwrap();
    assert_eq!(
        resolved["vpn"]["watchdog"],
        json!({"enable": true, "interval": 30, "handshakeTimeout": 240})
    );
    assert_eq!(resolved["vpn"]["wireguard"]["configFile"], "/run/secrets/proton.conf");
    assert_eq!(
        resolved["vpn"]["portForward"],
        json!({"enable": true, "gateway": "10.2.0.1", "onChange": "true"})
    );
    assert!(from_nix.contains_key("lib/systemd/system/netns-vpn-portforward.service"));
}

/// A `configFile` path with a control character would break the unit's description; a `%` in
/// it is kept literal there (`%%`), never read as a specifier.
#[test]
fn config_file_paths_in_the_unit() {
    let dir = tempdir("tunnel-path");
    let bin = env!("CARGO_BIN_EXE_netns-compile");
    let input = |file: &str| {
        let config = json!({"services": {"netns": {"namespaces": {"vpn": {"wireguard": {
            "enable": true, "configFile": file
        }}}}}});
        let path = dir.path().join("config.json");
        fs::write(&path, config.to_string()).unwrap();
        path
    };
    let bad = run_cmd(bin, &["check", input("/run/a\nb.conf").to_str().unwrap()]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("netns::invalid-wireguard"), "{}", bad.stderr);
    let out = dir.path().join("out");
    let path = input("/run/100%n.conf");
    let built = run_cmd(bin, &["build", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let unit = read(&out.join("lib/systemd/system/netns-vpn-wireguard.service"));
    assert!(unit.contains("from /run/100%%n.conf\n"), "{unit}");
}
