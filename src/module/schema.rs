//! The options netns-compile knows: those of the NixOS `services.netns` module, the parts of
//! NixOS it reads (`networking.nftables`, `boot.kernel.sysctl`, `systemd.globalEnvironment`,
//! `systemd.services`), and systemd's service options (`systemd-unit-options.nix`).

use super::types::{Schema, Ty, Unknown};
use crate::dependency::{Section, nixos_dependency_options};
use crate::node::{Attrs, Kind, Node};
use crate::source::Span;

fn builtin(kind: Kind) -> Node {
    Node::new(Span::BUILTIN, kind)
}

fn empty_attrs() -> Node {
    builtin(Kind::Attrs(Attrs::new()))
}

fn empty_list() -> Node {
    builtin(Kind::List(Vec::new()))
}

fn empty_str() -> Node {
    builtin(Kind::Str(String::new()))
}

/// The type of `boot.kernel.sysctl` (and of a namespace's `sysctl`): NixOS's sysctl
/// submodule — free-form keys of `sysctlOption`, and the two typed keys whose highest
/// value wins.
pub fn sysctl_type() -> Ty {
    let highest = || Ty::NullOr(Box::new(Ty::HighestInt));
    Ty::Submodule(Box::new(Schema::new(
        vec![
            ("net.core.rmem_max", highest(), Some(builtin(Kind::Null))),
            ("net.core.wmem_max", highest(), Some(builtin(Kind::Null))),
        ],
        Some(Ty::SysctlValue),
        Unknown::Error,
    )))
}

/// The keys with a type of their own in the sysctl submodule.
pub const TYPED_SYSCTL_KEYS: [&str; 2] = ["net.core.rmem_max", "net.core.wmem_max"];

/// `services.netns.namespaces.<name>`: defaults come from the global options.
pub fn namespace_schema(global_ruleset: &Node, global_sysctl: &Node) -> Schema {
    Schema::new(
        vec![
            ("nftables", Ty::Lines, Some(global_ruleset.clone())),
            ("sysctl", sysctl_type(), Some(global_sysctl.clone())),
            ("service", Ty::Attrs, Some(empty_attrs())),
            // The connectivity options of SPEC §11 have no default of their own: a namespace
            // that does not define them resolves exactly as NixOS's module resolves it.
            (
                "publish",
                Ty::AttrsOf(Box::new(Ty::Submodule(Box::new(publish_schema())))),
                None,
            ),
            ("dns", Ty::Submodule(Box::new(dns_schema())), None),
            ("hostLink", Ty::Submodule(Box::new(host_link_schema())), None),
            ("wireguard", Ty::Submodule(Box::new(wireguard_schema())), None),
            ("openvpn", Ty::Submodule(Box::new(openvpn_schema())), None),
            // SPEC §13; no default either: unset is "allow", NixOS's output.
            ("ipv6", Ty::Enum(&IPV6_VALUES), None),
            ("watchdog", Ty::Submodule(Box::new(watchdog_schema())), None),
            ("portForward", Ty::Submodule(Box::new(port_forward_schema())), None),
        ],
        None,
        Unknown::Error,
    )
}

/// The options of SPEC §11, §13 and §14, in the order they are merged.
pub const CONNECT_OPTIONS: [&str; 8] = [
    "publish",
    "dns",
    "hostLink",
    "wireguard",
    "openvpn",
    "ipv6",
    "watchdog",
    "portForward",
];

/// The values of a namespace's `ipv6` (SPEC §13), as `types.enum` lists them.
pub const IPV6_VALUES: [&str; 3] = ["allow", "disable", "tunnel"];

fn str_default(s: &str) -> Option<Node> {
    Some(builtin(Kind::Str(s.to_string())))
}

fn null_default() -> Option<Node> {
    Some(builtin(Kind::Null))
}

fn null_or(ty: Ty) -> Ty {
    Ty::NullOr(Box::new(ty))
}

fn str_list() -> Ty {
    Ty::ListOf(Box::new(Ty::Str))
}

/// `publish.<label>`: `listen` is `"[addr:]port"` or a port number, checked by the model.
fn publish_schema() -> Schema {
    Schema::new(
        vec![
            ("listen", Ty::Anything, None),
            ("port", Ty::Int, None),
            ("protocol", Ty::Str, str_default("tcp")),
        ],
        None,
        Unknown::Error,
    )
}

fn dns_schema() -> Schema {
    Schema::new(
        vec![
            ("servers", str_list(), Some(empty_list())),
            ("search", str_list(), Some(empty_list())),
            ("options", str_list(), Some(empty_list())),
            // SPEC §13. No default: a `dns` without it resolves (and the manifest shows it) as
            // before the option existed; unset reads as false.
            ("strict", Ty::Bool, None),
        ],
        None,
        Unknown::Error,
    )
}

fn host_link_schema() -> Schema {
    Schema::new(
        vec![
            ("enable", Ty::Bool, Some(false_default())),
            ("hostAddress", null_or(Ty::Str), null_default()),
            ("namespaceAddress", null_or(Ty::Str), null_default()),
            ("hostAddress6", null_or(Ty::Str), null_default()),
            ("namespaceAddress6", null_or(Ty::Str), null_default()),
        ],
        None,
        Unknown::Error,
    )
}

fn wireguard_peer_schema() -> Schema {
    Schema::new(
        vec![
            ("publicKey", Ty::Str, None),
            ("endpoint", null_or(Ty::Str), null_default()),
            ("allowedIPs", str_list(), Some(empty_list())),
            ("persistentKeepalive", null_or(Ty::Int), null_default()),
            ("presharedKeyFile", null_or(Ty::Str), null_default()),
        ],
        None,
        Unknown::Error,
    )
}

fn wireguard_schema() -> Schema {
    Schema::new(
        vec![
            ("enable", Ty::Bool, Some(false_default())),
            ("interface", Ty::Str, str_default("wg0")),
            ("privateKeyFile", null_or(Ty::Str), null_default()),
            // A wg-quick file read when the unit starts (SPEC §14), instead of the three
            // inline options around it.
            ("configFile", null_or(Ty::Str), null_default()),
            ("addresses", str_list(), Some(empty_list())),
            (
                "peers",
                Ty::ListOf(Box::new(Ty::Submodule(Box::new(wireguard_peer_schema())))),
                Some(empty_list()),
            ),
            ("implementation", Ty::Str, str_default("kernel")),
        ],
        None,
        Unknown::Error,
    )
}

/// `openvpn` (SPEC §14): the client's configuration file and its credentials, both by path.
fn openvpn_schema() -> Schema {
    Schema::new(
        vec![
            ("enable", Ty::Bool, Some(false_default())),
            ("configFile", null_or(Ty::Str), null_default()),
            ("authUserPassFile", null_or(Ty::Str), null_default()),
        ],
        None,
        Unknown::Error,
    )
}

/// `watchdog` (SPEC §14): seconds between looks, and the age of the last handshake that
/// counts as a dead tunnel.
fn watchdog_schema() -> Schema {
    let int = |i| Some(builtin(Kind::Int(i)));
    Schema::new(
        vec![
            ("enable", Ty::Bool, Some(false_default())),
            ("interval", Ty::Int, int(30)),
            ("handshakeTimeout", Ty::Int, int(180)),
        ],
        None,
        Unknown::Error,
    )
}

/// `portForward` (SPEC §14): NAT-PMP through the tunnel to `gateway` (ProtonVPN's by default);
/// `onChange` is a shell command, given the port as its last argument.
fn port_forward_schema() -> Schema {
    Schema::new(
        vec![
            ("enable", Ty::Bool, Some(false_default())),
            ("gateway", Ty::Str, str_default("10.2.0.1")),
            ("onChange", null_or(Ty::Str), null_default()),
        ],
        None,
        Unknown::Error,
    )
}

fn unit_list() -> Ty {
    Ty::ListOf(Box::new(Ty::UnitName))
}

/// The dependency options of a NixOS service written in `section`: lists of unit names,
/// empty by default.
fn dependency_list_options(section: Section) -> impl Iterator<Item = (&'static str, Ty, Option<Node>)> {
    nixos_dependency_options(section).map(|(name, _)| (name, unit_list(), Some(empty_list())))
}

/// The script options and the job-script name suffix each gets (`makeJobScript`).
pub const SCRIPT_OPTIONS: [(&str, &str); 6] = [
    ("preStart", "pre-start"),
    ("script", "start"),
    ("postStart", "post-start"),
    ("reload", "reload"),
    ("preStop", "pre-stop"),
    ("postStop", "post-stop"),
];

/// `systemd.services.<name>`: the options SPEC §3.3 lists, typed as NixOS types them.
/// Built once: every namespace's service is merged against it.
pub fn service_schema() -> &'static Schema {
    static SCHEMA: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(build_service_schema);
    &SCHEMA
}

fn build_service_schema() -> Schema {
    let mut options: Vec<(&'static str, Ty, Option<Node>)> = vec![
        ("enable", Ty::Bool, Some(builtin(Kind::Bool(true)))),
        ("description", Ty::SingleLineStr, Some(empty_str())),
        ("documentation", Ty::ListOf(Box::new(Ty::Str)), Some(empty_list())),
    ];
    // The `[Install]` lists (`wantedBy`, `requiredBy`) here and the `[Unit]` ones below: the
    // schema's order is the order options are merged in, and so the order of their diagnostics.
    options.extend(dependency_list_options(Section::Install));
    options.extend([
        (
            "environment",
            Ty::AttrsOf(Box::new(Ty::NullOr(Box::new(Ty::EnvValue)))),
            Some(empty_attrs()),
        ),
        ("path", Ty::ListOf(Box::new(Ty::PathEntry)), Some(empty_list())),
        (
            "serviceConfig",
            Ty::AttrsOf(Box::new(Ty::UnitOption)),
            Some(empty_attrs()),
        ),
        ("unitConfig", Ty::AttrsOf(Box::new(Ty::UnitOption)), Some(empty_attrs())),
        ("scriptArgs", Ty::Str, Some(empty_str())),
        ("startLimitBurst", Ty::Int, None),
        ("startLimitIntervalSec", Ty::Int, None),
        ("restartIfChanged", Ty::Bool, Some(builtin(Kind::Bool(true)))),
        ("stopIfChanged", Ty::Bool, Some(builtin(Kind::Bool(true)))),
        ("reloadIfChanged", Ty::Bool, Some(builtin(Kind::Bool(false)))),
    ]);
    options.extend(dependency_list_options(Section::Unit));
    for (name, _) in SCRIPT_OPTIONS {
        options.push((name, Ty::Lines, Some(empty_str())));
    }
    // The rest of `systemd.services.<name>` in current nixpkgs (systemd-unit-options.nix):
    // `sharedOptions`, `stage2CommonUnitOptions`, `serviceOptions`, `stage2ServiceOptions`.
    options.extend([
        ("aliases", unit_list(), Some(empty_list())),
        // `name` has no default: systemd-lib's `serviceConfig` defines it as `"${name}.service"`
        // (see model/service.rs), so any other value conflicts.
        ("name", Ty::Str, None),
        (
            "overrideStrategy",
            Ty::Enum(&OVERRIDE_STRATEGIES),
            str_default("asDropinIfExists"),
        ),
        (
            "restartTriggers",
            Ty::ListOf(Box::new(Ty::Anything)),
            Some(empty_list()),
        ),
        (
            "reloadTriggers",
            Ty::ListOf(Box::new(Ty::UnitOption)),
            Some(empty_list()),
        ),
        ("notSocketActivated", Ty::Bool, Some(false_default())),
        // Its default is `systemd.enableStrictShellChecks` (systemd-lib's `serviceConfig`,
        // `mkOptionDefault`), given by model/service.rs.
        ("enableStrictShellChecks", Ty::Bool, None),
        (
            "startAt",
            Ty::Either(Box::new(Ty::Str), Box::new(str_list())),
            Some(empty_list()),
        ),
    ]);
    Schema::new(options, None, Unknown::Error)
}

/// `overrideStrategy`'s values (`sharedOptions` in systemd-unit-options.nix).
pub const OVERRIDE_STRATEGIES: [&str; 2] = ["asDropinIfExists", "asDropin"];

/// What netns-compile reads of any `systemd.services.<svc>`: the join option and the
/// dependency lists for the graph. Everything else a NixOS service has is ignored.
pub fn joining_service_schema() -> Schema {
    let mut options: Vec<(&'static str, Ty, Option<Node>)> =
        vec![("netns", Ty::NullOr(Box::new(Ty::Str)), Some(builtin(Kind::Null)))];
    options.extend(dependency_list_options(Section::Install));
    options.extend(dependency_list_options(Section::Unit));
    Schema::new(options, None, Unknown::Ignore)
}

/// What netns-compile reads of NixOS's `networking.wireguard.interfaces.<i>`.
pub fn wireguard_interface_schema() -> Schema {
    Schema::new(
        vec![(
            "interfaceNamespace",
            Ty::NullOr(Box::new(Ty::Str)),
            Some(builtin(Kind::Null)),
        )],
        None,
        Unknown::Ignore,
    )
}

/// `systemd.globalEnvironment`.
pub fn global_environment_type() -> Ty {
    Ty::AttrsOf(Box::new(Ty::NullOr(Box::new(Ty::EnvValue))))
}

pub fn empty_attrs_default() -> Node {
    empty_attrs()
}

pub fn empty_str_default() -> Node {
    empty_str()
}

pub fn false_default() -> Node {
    builtin(Kind::Bool(false))
}
