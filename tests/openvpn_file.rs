//! `openvpn` (SPEC §14) without a container: both routes (a module with properties, and the
//! JSON it stands for) give one tree and `resolve` shows the options; the unit's script refuses
//! the directives of a provider's file that cannot be overridden, naming the directive and the
//! line (never the rest of it), before OpenVPN runs, and does not read inline blocks as
//! directives. What it does with a real OpenVPN is proved by tests/openvpn_boot.rs.

mod common;
mod harden;

use common::read;
use harden::{build_config_at, run_cmd, tempdir};
use serde_json::json;
use std::fs;

#[test]
fn nix_and_json_routes_read_the_openvpn_options() {
    let dir = tempdir("openvpn-routes");
    let module = r#"{ lib, ... }: {
  services.netns.namespaces.vpn = lib.mkMerge [
    { openvpn = { enable = true; configFile = "/run/secrets/provider.ovpn"; }; }
    { openvpn.authUserPassFile = lib.mkDefault "/run/secrets/provider.auth"; watchdog.enable = true; }
  ];
  systemd.services.qbittorrent.netns = "vpn";
}
"#;
    let json = json!({
        "services": {"netns": {"namespaces": {"vpn": {
            "openvpn": {"enable": true, "configFile": "/run/secrets/provider.ovpn",
                        "authUserPassFile": "/run/secrets/provider.auth"},
            "watchdog": {"enable": true}
        }}}},
        "systemd": {"services": {"qbittorrent": {"netns": "vpn"}}}
    });
    let from_nix = common::build_both_routes(dir.path(), module, &json);
    let bin = env!("CARGO_BIN_EXE_netns-compile");
    let text = |name: &str| String::from_utf8(from_nix[name].1.clone()).unwrap();
    let unit = text("lib/systemd/system/netns-vpn-openvpn.service");
    assert!(unit.contains("Type=notify\n"), "{unit}");
    assert!(
        unit.contains("ExecStartPost=/p/libexec/netns-compile/netns-vpn-openvpn.service/openvpn ready\n"),
        "{unit}"
    );
    let dropin = text("lib/systemd/system/qbittorrent.service.d/netns.conf");
    assert!(dropin.contains("Requires=netns-vpn-openvpn.service"), "{dropin}");
    let watch = text("libexec/netns-compile/netns-vpn-watchdog.service/watch");
    assert!(watch.contains("\nkind=OpenVPN\ninterface=ovpn-vpn\n"), "{watch}");
    let resolved = run_cmd(bin, &["resolve", dir.path().join("config.nix").to_str().unwrap()]);
    assert_eq!(resolved.code, 0, "{}", resolved.stderr);
    let resolved: serde_json::Value = serde_json::from_str(&resolved.stdout).unwrap();
    assert_eq!(
        resolved["vpn"]["openvpn"],
        json!({"enable": true, "configFile": "/run/secrets/provider.ovpn",
               "authUserPassFile": "/run/secrets/provider.auth"})
    );
}

#[test]
fn directives_that_cannot_be_overridden_fail_naming_directive_and_line() {
    let work = tempdir("openvpn-refused");
    let file = work.path().join("client.ovpn");
    let config = json!({"services": {"netns": {"namespaces": {"vpn": {"openvpn": {
        "enable": true, "configFile": file.to_str().unwrap()
    }}}}}});
    let out = build_config_at(&config, work.path(), "/netns");
    let script = out.join("libexec/netns-compile/netns-vpn-openvpn.service/openvpn");
    let text = read(&script);
    // Only the check runs: OpenVPN would be the next step, and a refused file never gets there.
    let base = "client\ndev tun\nremote 192.0.2.1 1194\n<key>\ndaemon-looking-base64\nplugin\n</key>\n";
    for (directive, line) in [
        ("daemon", "daemon"),
        (
            "plugin",
            "plugin /usr/lib/openvpn/openvpn-plugin-down-root.so \"secret-cmd\"",
        ),
        ("tls-verify", "tls-verify \"/bin/secret-cmd\""),
        ("client-connect", "--client-connect /bin/secret-cmd"),
        ("learn-address", "  learn-address /bin/secret-cmd"),
        ("config", "config /etc/other.ovpn"),
    ] {
        fs::write(&file, format!("{base}{line}\n")).unwrap();
        let r = run_cmd("sh", &[script.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{directive}: {}{}", r.stdout, r.stderr);
        let want = format!(
            "netns-compile: {}: line 8: {directive} would run a command",
            file.display()
        );
        assert!(r.stderr.contains(&want), "{directive}: {}", r.stderr);
        assert!(!r.stderr.contains("secret-cmd"), "the line was shown: {}", r.stderr);
    }
    fs::remove_file(&file).unwrap();
    let r = run_cmd("sh", &[script.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot be read"), "{}", r.stderr);
    assert!(text.contains("--ifconfig-noexec --route-noexec"), "{text}");
}
