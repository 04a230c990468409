//! The options netns-compile reads of a NixOS configuration (SPEC §2.1), in one table
//! ([`READ_OPTIONS`]): where each is, how it is merged, and what else it takes part in. The
//! module stage merges them from it, the Nix frontend projects every module's config onto it
//! and gives modules their merged values, and the messages that list them are written from it.

use super::schema;
use super::types::{Schema, Ty};
use crate::node::Node;

/// The netns module's own option tree: every key below it is one of its options (the rows of
/// [`READ_OPTIONS`] one level down), or an error.
pub const NETNS_MODULE: &[&str] = &["services", "netns"];

/// How an option is merged.
pub enum Merge {
    /// By its type, with its default.
    Typed { ty: fn() -> Ty, default: fn() -> Node },
    /// Attributes of the namespace submodule, whose defaults are other options.
    Namespaces,
    /// NixOS's `attrsOf (submodule …)`, of which only these sub-options are read; the rest of
    /// each attribute belongs to NixOS and is ignored.
    EachOf(fn() -> Schema),
    /// Not merged: the last definition as given, read by the tools stage (SPEC §2.4).
    AsGiven,
}

/// One option netns-compile reads.
pub struct ReadOption {
    pub path: &'static [&'static str],
    pub merge: Merge,
    /// Modules read it in `config` and `options` as NixOS declares it (the Nix frontend's
    /// own_options.nix, evaluated by the lib's module engine). Elsewhere modules see the
    /// definitions merged as an option of unknown type, since what is not read (a WireGuard
    /// interface's keys) is NixOS's.
    pub in_config: bool,
    /// JSON of `config.services.netns` alone lacks it, and the namespaces' units would silently
    /// differ without it: the refusal of such JSON names it.
    pub named_when_partial: bool,
}

/// `services.netns.namespaces`: the namespaces, each `{ nftables, sysctl, service, … }`.
pub const NAMESPACES: ReadOption = ReadOption {
    path: &["services", "netns", "namespaces"],
    merge: Merge::Namespaces,
    in_config: true,
    named_when_partial: false,
};

/// `networking.nftables.enable` (bool, `false`): whether a namespace loads its ruleset.
pub const NFTABLES_ENABLE: ReadOption = ReadOption {
    path: &["networking", "nftables", "enable"],
    merge: Merge::Typed {
        ty: || Ty::Bool,
        default: schema::false_default,
    },
    in_config: true,
    named_when_partial: true,
};

/// `networking.nftables.ruleset` (lines, `""`): the default ruleset of a namespace.
pub const NFTABLES_RULESET: ReadOption = ReadOption {
    path: &["networking", "nftables", "ruleset"],
    merge: Merge::Typed {
        ty: || Ty::Lines,
        default: schema::empty_str_default,
    },
    in_config: true,
    named_when_partial: true,
};

/// `boot.kernel.sysctl` (NixOS's sysctl submodule, `{}`): the default sysctl of a namespace.
pub const SYSCTL: ReadOption = ReadOption {
    path: &["boot", "kernel", "sysctl"],
    merge: Merge::Typed {
        ty: schema::sysctl_type,
        default: schema::empty_attrs_default,
    },
    in_config: true,
    named_when_partial: true,
};

/// `systemd.globalEnvironment` (attrs of string or null, `{}`): every unit's environment.
pub const GLOBAL_ENVIRONMENT: ReadOption = ReadOption {
    path: &["systemd", "globalEnvironment"],
    merge: Merge::Typed {
        ty: schema::global_environment_type,
        default: schema::empty_attrs_default,
    },
    in_config: true,
    named_when_partial: false,
};

/// `systemd.enableStrictShellChecks` (bool, `false`): the default of every service's
/// `enableStrictShellChecks` (systemd-lib's `serviceConfig`).
pub const STRICT_SHELL_CHECKS: ReadOption = ReadOption {
    path: &["systemd", "enableStrictShellChecks"],
    merge: Merge::Typed {
        ty: || Ty::Bool,
        default: schema::false_default,
    },
    in_config: true,
    named_when_partial: false,
};

/// `systemd.services.<svc>`: the join option (SPEC §3.5) and the dependency lists, for the
/// graph.
pub const SERVICES: ReadOption = ReadOption {
    path: &["systemd", "services"],
    merge: Merge::EachOf(schema::joining_service_schema),
    in_config: true,
    named_when_partial: false,
};

/// `networking.wireguard.interfaces.<i>.interfaceNamespace` of NixOS's WireGuard module
/// (SPEC §11).
pub const WIREGUARD_INTERFACES: ReadOption = ReadOption {
    path: &["networking", "wireguard", "interfaces"],
    merge: Merge::EachOf(schema::wireguard_interface_schema),
    in_config: false,
    named_when_partial: false,
};

/// `tools`: the programs the units call (SPEC §2.4); no NixOS option.
pub const TOOLS: ReadOption = ReadOption {
    path: &["tools"],
    merge: Merge::AsGiven,
    in_config: false,
    named_when_partial: false,
};

/// No option: where the input holds what the `config` of modules that extend
/// `systemd.services` defines on each namespace's unit (`<path>.<unit>`, one attrset of the
/// unit's options to their definitions), which NixOS merges into that unit. nix/lib.nix's
/// `unitExtension` writes it, on the JSON route (`lib.toCompilerJSON`) and on the `.nix` route
/// (`frontend/nix/own.rs`) alike.
pub const UNIT_EXTENSIONS: &[&str] = &["netnsCompile", "unitExtensions"];

/// Every option netns-compile reads.
pub const READ_OPTIONS: [&ReadOption; 9] = [
    &NAMESPACES,
    &NFTABLES_ENABLE,
    &NFTABLES_RULESET,
    &SYSCTL,
    &GLOBAL_ENVIRONMENT,
    &STRICT_SHELL_CHECKS,
    &SERVICES,
    &WIREGUARD_INTERFACES,
    &TOOLS,
];

/// The row of the option at `path`, if netns-compile reads one there.
pub fn read_option(path: &[&str]) -> Option<&'static ReadOption> {
    READ_OPTIONS.into_iter().find(|o| o.path == path)
}

/// The options of the netns module's own tree ([`NETNS_MODULE`]), by name.
pub fn netns_module_options() -> impl Iterator<Item = &'static str> {
    READ_OPTIONS.into_iter().filter_map(|o| match o.path.split_last() {
        Some((name, parent)) if parent == NETNS_MODULE => Some(*name),
        _ => None,
    })
}

/// What netns-compile reads at a path of a module's config.
#[derive(Debug, PartialEq)]
pub enum Reads {
    /// Everything below.
    Everything,
    /// Of each attribute, only these.
    EachOnly(Vec<&'static str>),
}

/// Every path netns-compile reads of a module's config: the netns module's tree, all of it
/// (what is no option there is reported), then each option.
pub fn read_paths() -> Vec<(&'static [&'static str], Reads)> {
    let mut out = vec![(NETNS_MODULE, Reads::Everything)];
    for option in READ_OPTIONS {
        let reads = match option.merge {
            Merge::EachOf(schema) => Reads::EachOnly(schema().options.iter().map(|o| o.0).collect()),
            Merge::Typed { .. } | Merge::Namespaces | Merge::AsGiven => Reads::Everything,
        };
        out.push((option.path, reads));
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The options named when JSON holding only `config.services.netns` is refused, as a
/// sentence part: "`a`, `b` and `c`".
pub fn partial_config_options() -> String {
    let names: Vec<String> = READ_OPTIONS
        .into_iter()
        .filter(|o| o.named_when_partial)
        .map(|o| format!("`{}`", o.path.join(".")))
        .collect();
    and_list(&names)
}

/// The options whose merged value modules read in `config`, siblings grouped:
/// `services.netns.namespaces, networking.nftables.{enable,ruleset}, …`.
pub fn config_options_shown() -> String {
    let mut groups: Vec<(&[&str], Vec<&str>)> = Vec::new();
    for option in READ_OPTIONS.into_iter().filter(|o| o.in_config) {
        let Some((name, parent)) = option.path.split_last() else {
            continue;
        };
        match groups.last_mut() {
            Some((p, names)) if *p == parent => names.push(name),
            _ => groups.push((parent, vec![name])),
        }
    }
    let shown: Vec<String> = groups
        .into_iter()
        .map(|(parent, names)| {
            let names = match names.as_slice() {
                [one] => one.to_string(),
                _ => format!("{{{}}}", names.join(",")),
            };
            parent
                .iter()
                .copied()
                .chain([names.as_str()])
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_read_once() {
        for (i, a) in READ_OPTIONS.iter().enumerate() {
            for b in &READ_OPTIONS[i + 1..] {
                let shorter = a.path.len().min(b.path.len());
                assert_ne!(
                    a.path[..shorter],
                    b.path[..shorter],
                    "{:?} and {:?} overlap",
                    a.path,
                    b.path
                );
            }
            assert_eq!(read_option(a.path).map(|o| o.path), Some(a.path));
        }
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(
            partial_config_options(),
            "`networking.nftables.enable`, `networking.nftables.ruleset` and `boot.kernel.sysctl`"
        );
        assert_eq!(
            config_options_shown(),
            "services.netns.namespaces, networking.nftables.{enable,ruleset}, boot.kernel.sysctl, \
             systemd.{globalEnvironment,enableStrictShellChecks,services}"
        );
        assert_eq!(netns_module_options().collect::<Vec<_>>(), ["namespaces"]);
    }
}
