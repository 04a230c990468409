//! SPEC §14's OpenVPN under a real systemd: this machine's systemd 252, booted as PID 1 of a
//! throwaway container (`common::nspawn`, with `/dev/net/tun`), runs `openvpn.configFile`
//! against an OpenVPN server in a peer namespace (`opeer`, TLS with a CA, server and client
//! certificates made by `openssl` here, as providers make them), with a "world" address on the
//! peer's `lo`. One boot proves:
//!
//! - the joiner starts only once the device is up in the namespace, and the namespace reaches
//!   the world through it;
//! - the DNS server the server pushes is in the resolv.conf the joiner sees;
//! - `audit --live` reads what the up scripts made and finds both joiners tunnel-only, with no
//!   difference from the configuration;
//! - the `up` and `route-up` lines of the provider's file were overridden (never ran);
//! - an nft counter on the peer's underlay ingress, counting every packet that is not
//!   OpenVPN's (UDP 1194) nor the link's neighbour discovery, stays 0 while traffic flows;
//! - OpenVPN killed: its device, and the namespace's default route with it, are gone, and
//!   nothing from the namespace reaches the peer;
//! - in a second namespace (`ovd`) with a watchdog, OpenVPN killed is restarted by it, and its
//!   joiner, the same process throughout, reaches the world again.
//!
//! Needs root, systemd-nspawn, socat, openssl and openvpn; otherwise `SKIPPED: …` (a failure
//! when `CI` is set).

mod common;
mod harden;

use common::nspawn::{self, Boot, Container, wait_for};
use harden::{build_config_at, missing_program, note, run_cmd, tempdir};
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PREFIX: &str = "/opt/netns-openvpn";
const KEYS: &str = "/etc/systemd/system/keys";
const WORLD: &str = "192.0.2.80";

/// A CA, and a server and a client certificate it signed, in `dir`.
fn make_pki(dir: &Path) {
    let script = r#"set -e
cd "$1"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.crt -subj /CN=test-ca -days 2 2>/dev/null
for who in server client; do
  openssl req $ec -keyout $who.key -out $who.csr -subj /CN=$who 2>/dev/null
  if [ $who = server ]; then eku=serverAuth; else eku=clientAuth; fi
  printf 'keyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' $eku > $who.ext
  openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt -days 2 -extfile $who.ext 2>/dev/null
done
"#;
    let r = run_cmd("sh", &["-c", script, "pki", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "openssl: {}", r.stderr);
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn openvpn_carries_the_namespace_under_systemd_252() {
    let test = "openvpn_boot::openvpn_carries_the_namespace_under_systemd_252";
    let missing = || {
        missing_program(&["socat", "openssl", "openvpn"])
            .map(|p| format!("`{p}` is not installed"))
            .or_else(|| (!Path::new("/dev/net/tun").exists()).then(|| "/dev/net/tun is missing".into()))
    };
    if nspawn::skipped(test, missing) {
        return;
    }
    let config = json!({
        "services": {"netns": {"namespaces": {
            "ov": {"openvpn": {"enable": true, "configFile": format!("{KEYS}/client.ovpn")}},
            "ovd": {
                "openvpn": {"enable": true, "configFile": format!("{KEYS}/client.ovpn")},
                "watchdog": {"enable": true, "interval": 1}
            }
        }}},
        "systemd": {"services": {"ov-reader": {"netns": "ov"}, "ov-dog": {"netns": "ovd"}}}
    });
    let work = tempdir("openvpn-boot");
    let out = build_config_at(&config, work.path(), PREFIX);
    let dropin = fs::read_to_string(out.join("lib/systemd/system/ov-reader.service.d/netns.conf")).unwrap();
    assert!(dropin.contains("Requires=netns-ov-openvpn.service"), "{dropin}");

    let etc = work.path().join("etc");
    fs::create_dir(&etc).unwrap();
    nspawn::link_units(&out, &etc, PREFIX, &[]);
    // The container has no network to wait for (see tunnel_boot.rs).
    std::os::unix::fs::symlink("/dev/null", etc.join("systemd-networkd-wait-online.service")).unwrap();
    let keys = etc.join("keys");
    fs::create_dir(&keys).unwrap();
    make_pki(&keys);
    fs::write(
        keys.join("server.conf"),
        format!(
            "dev ovs\ndev-type tun\ntopology subnet\nserver 10.8.0.0 255.255.255.0\nproto udp\n\
             local 10.233.0.2\nport 1194\nca {KEYS}/ca.crt\ncert {KEYS}/server.crt\n\
             key {KEYS}/server.key\ndh none\npush \"dhcp-option DNS 10.8.0.1\"\nduplicate-cn\nverb 3\n"
        ),
    )
    .unwrap();
    // As a provider hands it out: inline certificates, and script lines that must not run.
    fs::write(
        keys.join("client.ovpn"),
        format!(
            "client\ndev tun\nproto udp\nremote 10.233.0.2 1194\nnobind\nremote-cert-tls server\n\
             script-security 2\nup \"/bin/touch /run/up-ran\"\nroute-up \"/bin/touch /run/route-up-ran\"\n\
             verb 3\n<ca>\n{}</ca>\n<cert>\n{}</cert>\n<key>\n{}</key>\n",
            read(&keys, "ca.crt"),
            read(&keys, "client.crt"),
            read(&keys, "client.key")
        ),
    )
    .unwrap();
    fs::write(
        etc.join("ov-reader.service"),
        "[Service]\nExecStart=/bin/sh -c 'cat /etc/resolv.conf > /run/ov-resolv; exec sleep infinity'\n",
    )
    .unwrap();
    fs::write(etc.join("ov-dog.service"), "[Service]\nExecStart=/bin/sleep infinity\n").unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_netns-compile"));
    let c = Container::boot(&Boot {
        bind_ro: vec![
            (out.clone(), PREFIX.into()),
            (work.path().join("input.json"), "/opt/ovpn-input.json".into()),
            (bin.parent().unwrap().to_path_buf(), "/opt/netns-bin".into()),
        ],
        bind: vec![
            (etc.clone(), "/etc/systemd/system".into()),
            (PathBuf::from("/dev/net/tun"), "/dev/net/tun".into()),
        ],
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let peer_setup = format!(
        "set -e
{underlay}ip -n opeer address add {WORLD}/32 dev lo
{counters}nsenter --net=/run/netns/opeer openvpn --daemon --config {KEYS}/server.conf --log /run/ovpn-server.log
nsenter --net=/run/netns/opeer socat TCP-LISTEN:4000,bind={WORLD},reuseaddr,fork SYSTEM:'echo answer-from-world' >/dev/null 2>&1 &
",
        underlay = nspawn::peer_underlay("opeer", "10.233.0"),
        counters = nspawn::peer_leak_counters("opeer", 1194),
    );
    let r = c.sh(&peer_setup, &[]);
    assert!(r.ok(), "building the peer: {}{}", r.stdout, r.stderr);
    let journal = |unit: &str| c.run_ok(&["journalctl", "--no-pager", "-o", "cat", "-u", unit]);
    let counter = |comment: &str| c.nft_counter("opeer", "count", comment);
    let world_from = |ns: &str| {
        c.exec(&[
            "ip",
            "netns",
            "exec",
            ns,
            "socat",
            "-T",
            "3",
            "-u",
            &format!("TCP:{WORLD}:4000,connect-timeout=2"),
            "-",
        ])
    };
    let world = || world_from("ov");

    // Starting the joiner starts OpenVPN first; `Type=notify` holds it until OpenVPN's
    // initialisation (the up script included) is complete.
    let started = c.systemctl(&["start", "ov-reader.service"]);
    assert!(
        started.ok(),
        "the joiner did not start: {}\n{}\nserver: {}",
        started.stderr,
        journal("netns-ov-openvpn.service"),
        c.exec(&["cat", "/run/ovpn-server.log"]).stdout
    );
    let routes = c.run_ok(&["ip", "-n", "ov", "route", "show"]);
    assert!(
        routes.contains("default dev ovpn-ov"),
        "routes: {routes}\n{}{}",
        journal("netns-ov-openvpn.service"),
        c.exec(&["cat", "/run/ovpn-server.log"]).stdout
    );
    assert!(
        !c.run_ok(&["ip", "link", "show"]).contains("ovpn-ov"),
        "the device stayed on the host"
    );
    wait_for("the joiner's resolv.conf", Duration::from_secs(20), || {
        c.exec(&["test", "-s", "/run/ov-resolv"]).ok()
    });
    let resolv = c.run_ok(&["cat", "/run/ov-resolv"]);
    assert!(resolv.contains("nameserver 10.8.0.1"), "{resolv}");
    let r = world();
    assert!(
        r.ok() && r.stdout.contains("answer-from-world"),
        "the world through the tunnel: {}{}\n{}{}\nserver: {}",
        r.stdout,
        r.stderr,
        c.run_ok(&["ip", "-n", "ov", "address", "show"]),
        journal("netns-ov-openvpn.service"),
        c.exec(&["cat", "/run/ovpn-server.log"]).stdout
    );
    assert!(counter("tunnel") > 0, "OpenVPN's packets were not counted");
    assert_eq!(counter("leak"), 0, "a packet reached the peer outside the tunnel");
    for ran in ["/run/up-ran", "/run/route-up-ran"] {
        assert!(!c.exec(&["test", "-e", ran]).ok(), "the file's script ran: {ran}");
    }
    // The live audit reads what the up scripts made: the same verdicts, no difference.
    ok_start(&c, "ov-dog.service");
    let audit = c.sh(
        "NO_COLOR=1 /opt/netns-bin/netns-compile audit /opt/ovpn-input.json --live --host-tools",
        &[],
    );
    assert!(audit.ok(), "audit --live: {}{}", audit.stdout, audit.stderr);
    for joiner in ["ov-reader.service", "ov-dog.service"] {
        assert!(
            audit.stdout.contains(&format!("{joiner}: tunnel-only")),
            "{}",
            audit.stdout
        );
    }
    note(
        "openvpn_boot: the joiner reaches the world through OpenVPN's device in its namespace, sees the pushed DNS, and the file's up/route-up never ran; nothing but UDP 1194 reached the peer",
    );

    // OpenVPN dies: its device and the default route go; nothing leaves.
    c.run_ok(&["systemctl", "kill", "--signal=KILL", "netns-ov-openvpn.service"]);
    wait_for("the device to go", Duration::from_secs(20), || {
        !c.exec(&["ip", "-n", "ov", "link", "show", "dev", "ovpn-ov"]).ok()
    });
    let routes = c.run_ok(&["ip", "-n", "ov", "route", "show"]);
    assert!(!routes.contains("default"), "{routes}");
    assert!(!world().ok(), "the world was reached without OpenVPN");
    assert_eq!(counter("leak"), 0, "a packet reached the peer outside the tunnel");
    note("openvpn_boot: OpenVPN killed, the device and the namespace's way out are gone, nothing reached the peer");

    // With a watchdog, OpenVPN's death is noticed and its unit restarted, ignoring
    // dependencies: the joiner keeps running (the same process), cut off until it is back.
    let joiner = c.main_pid("ov-dog.service").expect("the joiner runs");
    c.run_ok(&["systemctl", "kill", "--signal=KILL", "netns-ovd-openvpn.service"]);
    wait_for("the watchdog to restart OpenVPN", Duration::from_secs(60), || {
        c.exec(&["ip", "-n", "ovd", "link", "show", "dev", "ovpn-ovd"]).ok() && world_from("ovd").ok()
    });
    assert_eq!(c.main_pid("ov-dog.service"), Some(joiner), "the joiner was restarted");
    let log = journal("netns-ovd-watchdog.service");
    assert!(log.contains("restarting netns-ovd-openvpn.service"), "{log}");
    assert_eq!(counter("leak"), 0, "a packet reached the peer outside the tunnel");
    note("openvpn_boot: the watchdog restarts a dead OpenVPN; its joiner keeps running and reaches the world again");
}

fn ok_start(c: &Container, unit: &str) {
    let r = c.systemctl(&["start", unit]);
    assert!(r.ok(), "{unit} did not start: {}", r.stderr);
}
