//! The diagnostic codes: one table, one row a code.
//!
//! Each row names the variant, its stable code string (printed as `netns::<name>`), its
//! severity, what finds it, and its one-line summary. `Code::ALL`, `as_str`, `severity`,
//! `found_by` and `summary` are all generated from the table, so adding a code is adding a row
//! (and its explanation in `explanations.rs`, which the compiler asks for).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What raises a code: compiling the configuration, only `check --probe`, which asks the
/// real tools (`nft`, the kernel) in a throwaway network namespace, only `audit`, which
/// follows every way out of each namespace, or only `audit --live`, which compares the
/// running system with the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoundBy {
    Compiling,
    Probe,
    Audit,
    Live,
}

/// The code string's prefix: `netns::nix-eval`.
pub const CODE_PREFIX: &str = "netns::";

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $found_by:ident, $summary:literal; )*) => {
        /// Every kind of diagnostic, with a stable code. Codes are part of the interface: users
        /// match on them in CI logs and in `--message-format json`; never rename one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as printed: `netns::nix-eval`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => concat!("netns::", $name), )*
                }
            }

            /// The code without its prefix: `nix-eval`.
            pub fn name(self) -> &'static str {
                match self {
                    $( Code::$variant => $name, )*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $( Code::$variant => Severity::$severity, )*
                }
            }

            pub fn found_by(self) -> FoundBy {
                match self {
                    $( Code::$variant => FoundBy::$found_by, )*
                }
            }

            /// One line: what the code reports.
            pub fn summary(self) -> &'static str {
                match self {
                    $( Code::$variant => $summary, )*
                }
            }
        }
    };
}

codes! {
    // -- input -----------------------------------------------------------------------------
    JsonSyntax = "json-syntax", Error, Compiling, "The input is not valid JSON.";
    InvalidUtf8 = "invalid-utf8", Error, Compiling, "The input is not valid UTF-8.";
    LimitExceeded = "limit-exceeded", Error, Compiling,
        "The input is past a documented limit (size, nesting depth, evaluation steps).";
    PartialConfig = "partial-config", Error, Compiling,
        "JSON of `config.services.netns` alone, without the rest the compiler needs.";
    NixSyntax = "nix-syntax", Error, Compiling, "Nix syntax error.";
    NixEval = "nix-eval", Error, Compiling, "Nix evaluation error.";
    // -- module system ---------------------------------------------------------------------
    UnknownOption = "unknown-option", Error, Compiling, "A key that is not an option.";
    TypeMismatch = "type-mismatch", Error, Compiling,
        "A definition whose value does not have the option's type.";
    ConflictingDefinitions = "conflicting-definitions", Error, Compiling,
        "Different values for a single-valued option.";
    DuplicateDefinition = "duplicate-definition", Error, Compiling,
        "A key defined twice where the option takes one definition only (sysctl keys).";
    InvalidProperty = "invalid-property", Error, Compiling,
        "A malformed `mkIf`/`mkMerge`/`mkOverride`/`mkOrder` property.";
    FailedAssertion = "failed-assertion", Error, Compiling,
        "A module's `assertions` entry is false (NixOS would not build the system).";
    OverlappingDeclaration = "overlapping-declaration", Error, Compiling,
        "A module's option declaration above or below an option netns-compile reads, which it cannot merge.";
    // -- namespaces -------------------------------------------------------------------------
    InvalidNamespaceName = "invalid-namespace-name", Error, Compiling,
        "A namespace name that iproute2 rejects or that would break the unit file.";
    UnitNameCollision = "unit-name-collision", Error, Compiling,
        "Two namespace names that escape to the same unit name.";
    HostSysctl = "host-sysctl", Error, Compiling,
        "A namespace's own sysctl key that is global to the host.";
    UnknownNamespace = "unknown-namespace", Error, Compiling,
        "A service joins a namespace that is not declared.";
    JoinsTwoNamespaces = "joins-two-namespaces", Error, Compiling, "A service joins two namespaces.";
    InvalidUnitName = "invalid-unit-name", Error, Compiling, "A unit name that systemd does not accept.";
    OrderingCycle = "ordering-cycle", Error, Compiling, "The units' ordering has a cycle.";
    UnitValueBreaksLine = "unit-value-breaks-line", Error, Compiling,
        "A unit setting whose value holds a newline or other control character.";
    // -- connectivity (SPEC §11) -------------------------------------------------------------
    InvalidListen = "invalid-listen", Error, Compiling,
        "A published port's `listen` or `port` that is missing or cannot be read.";
    PortOutOfRange = "port-out-of-range", Error, Compiling, "A port outside 1–65535.";
    DuplicateListen = "duplicate-listen", Error, Compiling,
        "Two published ports that would bind the same host address and port.";
    UnsupportedProtocol = "unsupported-protocol", Error, Compiling,
        "A published port's protocol that systemd-socket-proxyd does not forward.";
    InvalidDnsServer = "invalid-dns-server", Error, Compiling,
        "A `dns` entry that is not an IP address (servers) or would break resolv.conf.";
    InvalidAddress = "invalid-address", Error, Compiling,
        "A host-link or WireGuard address that cannot be read, or an incomplete pair.";
    SubnetOverlap = "subnet-overlap", Error, Compiling,
        "Host-link subnets that overlap each other, or a tunnel address its own namespace's host link overlaps.";
    InvalidInterfaceName = "invalid-interface-name", Error, Compiling,
        "An interface name Linux refuses (over 15 bytes, `/`, white space).";
    InterfaceNameCollision = "interface-name-collision", Error, Compiling,
        "Two interfaces with one name in the host namespace.";
    InlineSecret = "inline-secret", Error, Compiling,
        "A WireGuard key, or a tunnel's file, given inline where only a path to a file belongs.";
    InvalidWireguard = "invalid-wireguard", Error, Compiling,
        "A WireGuard setting that cannot work (no key file, no peers, unknown implementation).";
    // -- confinement (SPEC §13) ---------------------------------------------------------------
    StrictDnsWithoutServers = "strict-dns-without-servers", Error, Compiling,
        "`dns.strict` with no name server to allow.";
    Ipv6Conflict = "ipv6-conflict", Error, Compiling,
        "An `ipv6` policy the namespace's interfaces contradict (\"tunnel\" without an IPv6 tunnel, \"disable\" beside IPv6 addresses).";
    // -- tunnels (SPEC §14) --------------------------------------------------------------------
    WireguardFileConflict = "wireguard-file-conflict", Error, Compiling,
        "A wg-quick `configFile` beside the inline WireGuard options it replaces.";
    TwoTunnels = "two-tunnels", Error, Compiling,
        "Two tunnels (`wireguard` and `openvpn`) in one namespace, which has one default route.";
    InvalidOpenvpn = "invalid-openvpn", Error, Compiling,
        "`openvpn.enable` without a `configFile`, or a path OpenVPN's unit cannot hold.";
    InvalidWatchdog = "invalid-watchdog", Error, Compiling,
        "A `watchdog` without a tunnel to watch, or with an interval or timeout under 1 s.";
    InvalidPortForward = "invalid-port-forward", Error, Compiling,
        "A `portForward` without a tunnel, or whose gateway is not an IPv4 address.";
    UnitAsDropin = "unit-as-dropin", Error, Compiling,
        "A namespace's unit with `overrideStrategy = \"asDropin\"`: a drop-in with no unit file, which systemd does not load.";
    CompiledSettingRead = "compiled-setting-read", Error, Compiling,
        "An extension of `systemd.services` reads a setting of a namespace's unit that only the compiled unit knows.";
    // -- found by the real tools (`check --probe`) --------------------------------------------
    NftRejected = "nft-rejected", Error, Probe, "`nft -c` rejects a namespace's ruleset.";
    UnknownSysctl = "unknown-sysctl", Error, Probe,
        "A sysctl key this kernel has neither in a network namespace nor on the host.";
    // -- warnings ---------------------------------------------------------------------------
    InheritedHostSysctl = "inherited-host-sysctl", Warning, Compiling,
        "An inherited sysctl key that is global to the host.";
    SysctlNotInNamespace = "sysctl-not-in-namespace", Warning, Compiling,
        "A `net.*` sysctl key that a child namespace does not have.";
    SysctlReadOnlyInNamespace = "sysctl-read-only-in-namespace", Warning, Compiling,
        "A `net.*` sysctl key that is read-only in a child namespace.";
    EmptyRuleset = "empty-ruleset", Warning, Compiling,
        "nftables enabled with an empty ruleset: the namespace is left unfiltered.";
    LateOrdering = "late-ordering", Warning, Compiling,
        "The namespace is ordered after `network.target`, which defeats `Before=network.target`.";
    NoWayOut = "no-way-out", Warning, Compiling,
        "A namespace that services join but that has no way out at all.";
    ShellcheckNotRun = "shellcheck-not-run", Warning, Compiling,
        "A job script with `enableStrictShellChecks`, which NixOS's build checks with shellcheck and netns-compile does not.";
    // -- ways around the tunnel (`audit`, SPEC §13) -------------------------------------------
    DnsOutsideTunnel = "dns-outside-tunnel", Warning, Audit,
        "A DNS server of a namespace with a tunnel that is reached outside the tunnel.";
    StrictDnsOutsideTunnel = "strict-dns-outside-tunnel", Warning, Audit,
        "`dns.strict` allows a server that is reached outside the tunnel.";
    Ipv6OutsideTunnel = "ipv6-outside-tunnel", Warning, Audit,
        "IPv6 open beside an IPv4-only tunnel, with an IPv6 route across the host link.";
    HostLinkForwards = "host-link-forwards", Warning, Audit,
        "A host link beside a tunnel, on a host whose configuration forwards.";
    // -- the running system differs from the configuration (`audit --live`) -------------------
    LiveNamespaceMissing = "live-namespace-missing", Error, Live,
        "A namespace of the configuration that is not under /run/netns.";
    LiveServiceOutsideNamespace = "live-service-outside-namespace", Error, Live,
        "A running service that joins a namespace but whose process is not in it.";
    LiveInterfaceDiffers = "live-interface-differs", Error, Live,
        "An interface or address in a namespace that the configuration does not set up, or one it sets up that is missing.";
    LiveRouteDiffers = "live-route-differs", Error, Live,
        "A route in a namespace that the configuration does not set up, or one it sets up that is missing.";
    LiveConfinementDiffers = "live-confinement-differs", Error, Live,
        "A nftables table, IPv6 switch, resolv.conf or resolver socket that is not as configured.";
}

impl Code {
    /// The code named `name`, with or without the `netns::` prefix.
    pub fn from_name(name: &str) -> Option<Code> {
        let bare = name.strip_prefix(CODE_PREFIX).unwrap_or(name);
        Code::ALL.iter().copied().find(|c| c.name() == bare)
    }

    /// The `n` codes whose names are closest to `name` (a mistyped or half-remembered code),
    /// best first: names that contain it, then by edit distance.
    pub fn closest_to(name: &str, n: usize) -> Vec<Code> {
        let wanted = name.strip_prefix(CODE_PREFIX).unwrap_or(name).to_lowercase();
        let mut ranked: Vec<(bool, usize, Code)> = Code::ALL
            .iter()
            .map(|&c| {
                let contained = !wanted.is_empty() && c.name().contains(&wanted);
                (!contained, strsim::damerau_levenshtein(&wanted, c.name()), c)
            })
            .collect();
        ranked.sort();
        ranked.into_iter().take(n).map(|(_, _, c)| c).collect()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_unique_kebab_case_words() {
        for (i, c) in Code::ALL.iter().enumerate() {
            let name = c.name();
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
            assert_eq!(c.as_str(), format!("{CODE_PREFIX}{name}"));
            assert!(
                Code::ALL[..i].iter().all(|o| o.name() != name),
                "{name} is in the table twice"
            );
        }
    }

    #[test]
    fn a_code_is_found_with_or_without_its_prefix() {
        assert_eq!(Code::from_name("nix-eval"), Some(Code::NixEval));
        assert_eq!(Code::from_name("netns::nix-eval"), Some(Code::NixEval));
        assert_eq!(Code::from_name("netns::"), None);
        assert_eq!(Code::from_name("nix_eval"), None);
        for &c in Code::ALL {
            assert_eq!(Code::from_name(c.as_str()), Some(c));
        }
    }

    #[test]
    fn the_closest_codes_to_a_typo_come_first() {
        assert_eq!(Code::closest_to("nix-evl", 1), vec![Code::NixEval]);
        assert_eq!(Code::closest_to("netns::ordering-cycel", 1), vec![Code::OrderingCycle]);
        // A part of a name finds the names that hold it.
        let sysctl = Code::closest_to("sysctl", 3);
        assert_eq!(sysctl.len(), 3);
        assert!(sysctl.iter().all(|c| c.name().contains("sysctl")), "{sysctl:?}");
    }
}
