//! Where the programs the units call live (SPEC §2.4).

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Kind, Node};
use crate::package::{Package, PackageFacts};
use std::path::{Path, PathBuf};

/// Prefix used for a package the input does not name.
pub const DEFAULT_PREFIX: &str = "/run/current-system/sw";
/// Shell used for scripts when the input does not name one.
pub const DEFAULT_SHELL: &str = "/run/current-system/sw/bin/bash";

/// The packages of `tools`, in no particular order, with what nixpkgs declares of each (as of
/// nixpkgs 25.05): what `pkgs.<attr>` shows of the package besides its prefix (SPEC §2.4).
pub static PACKAGES: [PackageFacts; 12] = [
    facts(
        "iproute2",
        None,
        &["out", "dev", "scripts", "man"],
        "Collection of utilities for controlling TCP/IP networking and traffic control in Linux",
    ),
    facts(
        "procps",
        None,
        &["out"],
        "Utilities that give information about processes using the /proc filesystem",
    ),
    facts(
        "nftables",
        Some("nft"),
        &["out"],
        "Project that aims to replace the existing {ip,ip6,arp,eb}tables framework",
    ),
    facts("coreutils", None, &["out", "info"], "GNU Core Utilities"),
    facts(
        "findutils",
        Some("find"),
        &["out", "info", "locate"],
        "GNU Find Utilities, the basic directory searching utilities of the GNU operating system",
    ),
    facts(
        "gnugrep",
        Some("grep"),
        &["out", "info"],
        "GNU implementation of the Unix grep command",
    ),
    facts(
        "gnused",
        Some("sed"),
        &["out", "info"],
        "GNU sed, a batch stream editor",
    ),
    facts(
        "systemd",
        None,
        &["out", "man", "dev"],
        "System and service manager for Linux",
    ),
    facts(
        "wireguard-tools",
        Some("wg"),
        &["out", "man"],
        "Tools for the WireGuard secure network tunnel",
    ),
    facts(
        "wireguard-go",
        Some("wireguard-go"),
        &["out"],
        "Userspace Go implementation of WireGuard",
    ),
    facts("libnatpmp", Some("natpmpc"), &["out"], "NAT-PMP client"),
    facts(
        "openvpn",
        Some("openvpn"),
        &["out"],
        "Robust and highly flexible tunneling application",
    ),
];

const fn facts(
    attr: &'static str,
    main_program: Option<&'static str>,
    outputs: &'static [&'static str],
    description: &'static str,
) -> PackageFacts {
    PackageFacts {
        attr,
        main_program,
        outputs,
        description,
    }
}

/// Whether `name` is a package of `tools`.
fn is_package(name: &str) -> bool {
    PACKAGES.iter().any(|p| p.attr == name)
}

/// The packages of systemd's default `PATH` for services, in NixOS's order.
pub const DEFAULT_PATH_PACKAGES: [&str; 5] = ["coreutils", "findutils", "gnugrep", "gnused", "systemd"];

#[derive(Clone, Debug, PartialEq)]
pub struct Tools {
    /// `ip`, `sysctl`, `nft`: absolute paths.
    pub ip: String,
    pub sysctl: String,
    pub nft: String,
    /// `systemd-socket-proxyd` (publish), `wg` and `wireguard-go` (wireguard): named by a unit
    /// only when a namespace uses the option.
    pub socket_proxyd: String,
    pub wg: String,
    pub wireguard_go: String,
    /// `natpmpc` (portForward): named only when a namespace uses it.
    pub natpmpc: String,
    /// `openvpn` (openvpn): named only when a namespace uses it.
    pub openvpn: String,
    pub runtime_shell: String,
    /// Package prefixes whose `bin` and `sbin` make the default `PATH`.
    pub default_path: Vec<String>,
    /// Package name → prefix (what `pkgs.<name>` is in Nix input).
    pub prefixes: Vec<(String, String)>,
}

impl Default for Tools {
    fn default() -> Tools {
        Tools::from_prefixes(&[], None)
    }
}

impl Tools {
    /// From package prefixes; missing ones default to [`DEFAULT_PREFIX`].
    pub fn from_prefixes(given: &[(String, String)], shell: Option<String>) -> Tools {
        let prefix = |pkg: &str| {
            given
                .iter()
                .find(|(k, _)| k == pkg)
                .map_or_else(|| DEFAULT_PREFIX.to_string(), |(_, v)| v.clone())
        };
        Tools {
            ip: format!("{}/bin/ip", prefix("iproute2")),
            sysctl: format!("{}/bin/sysctl", prefix("procps")),
            nft: format!("{}/bin/nft", prefix("nftables")),
            socket_proxyd: format!("{}/lib/systemd/systemd-socket-proxyd", prefix("systemd")),
            wg: format!("{}/bin/wg", prefix("wireguard-tools")),
            wireguard_go: format!("{}/bin/wireguard-go", prefix("wireguard-go")),
            natpmpc: format!("{}/bin/natpmpc", prefix("libnatpmp")),
            openvpn: format!("{}/bin/openvpn", prefix("openvpn")),
            runtime_shell: shell.unwrap_or_else(|| DEFAULT_SHELL.to_string()),
            default_path: DEFAULT_PATH_PACKAGES.iter().map(|p| prefix(p)).collect(),
            prefixes: PACKAGES.iter().map(|p| (p.attr.to_string(), prefix(p.attr))).collect(),
        }
    }

    /// From a `tools` value (the input's top-level key or a `--tools` file).
    pub fn from_node(node: &Node) -> Result<Tools, Diagnostic> {
        let Some(attrs) = node.attrs() else {
            return Err(Diagnostic::new(
                Code::TypeMismatch,
                format!("`tools` must be an attribute set, not a {}", node.type_name()),
            )
            .at(node.span, "expected {\"iproute2\": \"/nix/store/…\", …}"));
        };
        let mut prefixes = Vec::new();
        let mut shell = None;
        for e in &attrs.entries {
            let value = match &e.value.kind {
                Kind::Str(s) | Kind::Path(s) => s.clone(),
                _ => {
                    return Err(Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`tools.{}` must be a path string, not a {}", e.key, e.value.type_name()),
                    )
                    .at(e.value.span, "expected a string"));
                }
            };
            if !value.starts_with('/') || value.contains(['\n', '\r', ' ', '\t', '"', '\'', '\\', '%', '$']) {
                return Err(Diagnostic::new(
                    Code::TypeMismatch,
                    format!(
                        "`tools.{}` must be an absolute path without spaces, quotes or specifiers",
                        e.key
                    ),
                )
                .at(e.value.span, "not a usable path"));
            }
            if e.key == "runtimeShell" {
                shell = Some(value);
            } else if is_package(&e.key) {
                prefixes.push((e.key.clone(), value.trim_end_matches('/').to_string()));
            } else {
                let known = PACKAGES.iter().map(|p| p.attr).chain(["runtimeShell"]);
                let mut d = Diagnostic::new(Code::UnknownOption, format!("unknown tool `{}`", e.key))
                    .at(e.key_span, "not a tool netns-compile uses");
                if let Some(best) = crate::suggest::closest(&e.key, known) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                return Err(d);
            }
        }
        Ok(Tools::from_prefixes(&prefixes, shell))
    }

    /// Every program from this machine's `PATH` (`--host-tools`).
    pub fn from_host() -> Result<Tools, String> {
        let find = |exe: &str| which(exe).ok_or_else(|| format!("`{exe}` is not on PATH (needed by --host-tools)"));
        let ip = find("ip")?;
        let sysctl = find("sysctl")?;
        let nft = find("nft")?;
        let shell = which("bash").or_else(|| which("sh")).ok_or("no shell on PATH")?;
        let mut default_path: Vec<String> = Vec::new();
        for exe in ["ls", "find", "grep", "sed", "systemctl"] {
            if let Some(p) = which(exe) {
                let prefix = prefix_of(&p);
                if !default_path.contains(&prefix) {
                    default_path.push(prefix);
                }
            }
        }
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        let prefixes = [("iproute2", &ip), ("procps", &sysctl), ("nftables", &nft)]
            .iter()
            .map(|(k, p)| (k.to_string(), prefix_of(p)))
            .collect();
        // Needed only by the options that use them: a host without them still builds the rest,
        // and a unit that needs one names where NixOS would have it.
        let defaults = Tools::default();
        let socket_proxyd = ["/usr/lib/systemd", "/lib/systemd"]
            .iter()
            .map(|d| Path::new(d).join("systemd-socket-proxyd"))
            .find(|p| p.is_file())
            .map_or(defaults.socket_proxyd, s);
        Ok(Tools {
            ip: s(ip),
            sysctl: s(sysctl),
            nft: s(nft),
            socket_proxyd,
            wg: which("wg").map_or(defaults.wg, s),
            wireguard_go: which("wireguard-go").map_or(defaults.wireguard_go, s),
            natpmpc: which("natpmpc").map_or(defaults.natpmpc, s),
            openvpn: which("openvpn").map_or(defaults.openvpn, s),
            runtime_shell: s(shell),
            default_path,
            prefixes,
        })
    }

    /// Every package of [`PACKAGES`], in that order, with its prefix ([`DEFAULT_PREFIX`] where
    /// none is given): what `pkgs.<name>` is in Nix input.
    pub fn packages(&self) -> Vec<Package> {
        PACKAGES
            .iter()
            .map(|facts| Package {
                facts,
                prefix: self.prefix(facts.attr).unwrap_or(DEFAULT_PREFIX).to_string(),
            })
            .collect()
    }

    pub fn prefix(&self, package: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .find(|(k, _)| k == package)
            .map(|(_, v)| v.as_str())
    }
}

/// `/usr/sbin/ip` → `/usr`.
fn prefix_of(exe: &Path) -> String {
    exe.parent()
        .and_then(Path::parent)
        .map_or_else(|| "/".to_string(), |p| p.to_string_lossy().into_owned())
}

fn which(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(exe))
        .find(|p| p.is_file())
        .and_then(|p| {
            p.canonicalize()
                .ok()
                .map(|c| if c.file_name() == p.file_name() { c } else { p })
        })
}
