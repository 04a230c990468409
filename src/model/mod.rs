//! The typed config: what the checks, the graph and the emitter work on.

pub mod command;
pub mod connect;
pub mod connect_units;
pub mod guard;
pub mod join;
pub mod openvpn;
pub mod port_forward;
pub mod tools;
pub mod tunnel_file;
pub mod watchdog;

use crate::dependency::{Relation, Section};
use crate::module::unit_options::UnitOptions;
use crate::nix_text::NixValue;
use crate::source::Span;
use command::Command;
pub use tools::Tools;

/// One namespace, resolved and merged into its service.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: String,
    pub name_span: Span,
    /// `netns-<escaped>.service`.
    pub unit_name: String,
    pub nftables: String,
    pub nftables_span: Span,
    pub nftables_inherited: bool,
    pub sysctl: Vec<SysctlEntry>,
    pub sysctl_inherited: bool,
    pub unit: ServiceUnit,
    /// The connectivity options (SPEC §11); empty for a namespace of the seed module.
    pub connect: connect::Connect,
}

/// One sysctl key of a namespace with its value (`None`: null, left out). A boolean is
/// already the number NixOS writes for it (`true` → 1, `false` → 0).
#[derive(Clone, Debug)]
pub struct SysctlEntry {
    pub key: String,
    pub key_span: Span,
    pub value: Option<NixValue>,
}

/// One value of a unit setting (`serviceConfig.<key>`, `unitConfig.<key>`), as merged, with
/// the span of its definition: emit writes it as systemd-lib's `toOption` does.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub value: NixValue,
    pub span: Span,
}

/// One key of a unit's section and its values (a list value is one directive an item).
pub type SectionEntry = (String, Vec<Setting>);

/// A generated service unit: what NixOS's `serviceToUnit` writes, as values (SPEC §4.1).
#[derive(Clone, Debug, Default)]
pub struct ServiceUnit {
    pub name: String,
    /// `enable = false`: the unit is masked, as NixOS masks it (the tree holds a link to
    /// /dev/null in its place).
    pub enabled: bool,
    /// `[Unit]` keys sorted, each with its values (one directive each).
    pub unit_section: Vec<SectionEntry>,
    /// The variables of `Environment=`, sorted by name, with their values.
    pub environment: Vec<(String, NixValue)>,
    /// `X-ReloadIfChanged=true` and friends (key, value), in NixOS's order.
    pub flags: Vec<(&'static str, bool)>,
    /// `[Service]` keys sorted, each with its values.
    pub service_section: Vec<SectionEntry>,
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    /// `upheldBy`: NixOS links the unit into `<target>.upholds/`.
    pub upheld_by: Vec<String>,
    /// `aliases`: NixOS links each alias to the unit, beside it.
    pub aliases: Vec<String>,
    /// `startAt`: NixOS adds `<unit>.timer` with these `OnCalendar=` (systemd.nix).
    pub start_at: Vec<String>,
    /// Scripts of this unit, in the libexec folder of the unit.
    pub scripts: Vec<Script>,
    /// The files `X-Restart-Triggers=`/`X-Reload-Triggers=` name (see `service::trigger_file`).
    pub trigger_files: Vec<service::TriggerFile>,
    /// Dependencies for the graph, with where each was written.
    pub relations: Vec<Relation>,
}

/// A script of a unit: its file name and what it is made of (emit writes its text).
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub name: String,
    pub body: ScriptBody,
}

/// The run-time scripts of ours that are templates filled with settings (SPEC §11, §14): each
/// template's header says what it does and which settings it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// `openvpn.sh`: OpenVPN's own script for every role it gives it (`script_type`).
    OpenVpn,
    /// `watchdog.sh`: restarts a tunnel whose last handshake is too old.
    Watchdog,
    /// `port_forward.sh`: asks the NAT-PMP gateway for a port and keeps it.
    PortForward,
    /// `wg_quick_file.sh`: brings up a tunnel from a wg-quick file.
    WgQuickFile,
}

/// What a script is. The parts a script shares with its namespace (its name, its sysctl keys,
/// its ruleset) are not copied: emit reads them from the [`Namespace`] the script belongs to.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptBody {
    /// The netns module's `ip-netns-attach`: names the unit's network namespace after the
    /// namespace and makes its resolv.conf.
    Attach,
    /// The netns module's `sysctl` file: the namespace's [`SysctlEntry`]s that are not null.
    Sysctl,
    /// The netns module's `nftables-ruleset`: `flush ruleset`, then the namespace's ruleset.
    Ruleset,
    /// A job script (`script`, `preStart`, …): systemd-lib's `makeJobScript` around `text`,
    /// with `enableStrictShellChecks` (`strict`) `writeShellApplication`'s options.
    Job { text: String, strict: bool },
    /// A run-time script of ours: the runtime shell, `set -e`, then these lines.
    Shell(Vec<command::ShellLine>),
    /// A run-time script of ours from a template (emit/templates/): the runtime shell,
    /// `set -e`, each setting as `name=value` (the value quoted for the shell), the template.
    Template {
        settings: Vec<(&'static str, String)>,
        template: Template,
    },
    /// The guard's nftables file (SPEC §13), loaded by `nft -f`.
    Guard(guard::GuardTable),
    /// `dns`: a run-time script of ours that writes these settings as the namespace's
    /// resolv.conf (`path`), truncated in place.
    ResolvConf { dns: connect::Dns, path: String },
}

/// The dependency lists of a merged service (`after`, `wantedBy`, …) as graph relations,
/// each item with the span of its definition. Lists of options that make no edge
/// (`onFailure`) are left out: the units they name are no part of the graph.
pub fn relations_of(service: UnitOptions) -> Vec<Relation> {
    let mut out = Vec::new();
    for (d, value) in [Section::Unit, Section::Install]
        .into_iter()
        .flat_map(|section| service.dependencies(section))
        .filter(|(d, _)| d.effect.is_some())
    {
        for item in value.as_list().unwrap_or(&[]) {
            if let Some(name) = item.as_str() {
                out.push(Relation {
                    option: d.option,
                    target: name.to_string(),
                    span: item.span,
                });
            }
        }
    }
    out
}

/// A service that runs inside a namespace (`systemd.services.<svc>.netns`), or a NixOS
/// WireGuard unit that moves its interface into one.
#[derive(Clone, Debug)]
pub struct JoiningService {
    /// `<svc>.service`.
    pub unit_name: String,
    pub name_span: Span,
    pub namespace: String,
    pub namespace_span: Span,
    /// Its own dependencies (`systemd.services.<svc>.after`, …), for the graph.
    pub relations: Vec<Relation>,
    /// What its drop-in says ([`join::join_relations`]); empty when the namespace it names is
    /// not built (an error: no drop-in is written then).
    pub dropin: Vec<Relation>,
}

/// Everything the emitter needs.
#[derive(Clone, Debug)]
pub struct Model {
    pub namespaces: Vec<Namespace>,
    pub joining: Vec<JoiningService>,
    /// Other services named in `systemd.services` (their ordering takes part in the graph).
    pub other_services: Vec<JoiningService>,
    pub nftables_enable: bool,
    pub tools: Tools,
    /// NixOS WireGuard interfaces moved into a namespace (`interfaceNamespace`): their
    /// `wireguard-<i>.service` gets a drop-in, as a joining service does.
    pub wireguard_interfaces: Vec<JoiningService>,
    /// Every interface of `networking.wireguard.interfaces` (name, where): NixOS makes each in
    /// the host's namespace first, where a connectivity interface of the same name collides.
    pub nixos_wireguard_names: Vec<(String, Span)>,
    /// Units and drop-ins of the connectivity options, sorted by file.
    pub connect_units: Vec<ExtraUnit>,
}

/// A unit or drop-in of the connectivity options (SPEC §11): never NixOS's rendering, so its
/// sections are plain lists of keys and their values in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraUnit {
    /// Path under the unit folder: `x.socket`, `x.service` or `netns-x.service.d/<name>.conf`.
    pub file: String,
    /// The unit it is, or for a drop-in the unit it extends.
    pub unit: String,
    /// The namespace whose option made it.
    pub namespace: String,
    /// What it is for (its first line, as a comment).
    pub comment: String,
    pub sections: Sections,
    /// Scripts, in `script_dir` (relative to the output root).
    pub scripts: Vec<Script>,
    pub script_dir: String,
    /// Units whose `.wants/` folder links this one (as `wantedBy` does).
    pub wanted_by: Vec<String>,
    /// Dependencies for the graph.
    pub relations: Vec<Relation>,
}

/// The sections of a unit file of ours, in order, each with its keys in order.
pub type Sections = Vec<(&'static str, Vec<UnitKey>)>;

/// One key of a section of a unit of ours and its value.
pub type UnitKey = (&'static str, UnitValue);

/// The value of a key in a unit of ours: what it is; emit writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitValue {
    /// Written as it is (a description, `oneshot`, an address).
    Text(String),
    /// A command line (`ExecStart=` and friends): a program and its arguments, which emit
    /// quotes as systemd reads them; `may_fail` is systemd's `-` prefix. Never `stdout_to`: a
    /// unit's command has no redirection.
    Exec(Command),
    /// A boolean setting (`PrivateNetwork=`, `RemainAfterExit=`).
    Bool(bool),
    /// The units a dependency key names (`After=`, `WantedBy=`, …): the graph's relations.
    Units(Vec<String>),
    /// Folders each covered by an empty read-only tmpfs (`TemporaryFileSystem=`).
    EmptyReadOnly(Vec<String>),
    /// Our text, then a value of the user's (a file's path) in which systemd must read no
    /// specifier: emit writes its `%` as `%%`.
    TextAndValue(String, String),
}

impl UnitValue {
    pub fn text(s: impl Into<String>) -> Self {
        UnitValue::Text(s.into())
    }

    pub fn units<S: Into<String>>(units: impl IntoIterator<Item = S>) -> Self {
        UnitValue::Units(units.into_iter().map(Into::into).collect())
    }

    /// What the value is made of: the units it names or the folders it covers, else the one
    /// text (nothing for a boolean or a description with a user's path).
    pub fn items(&self) -> &[String] {
        match self {
            UnitValue::Units(items) | UnitValue::EmptyReadOnly(items) => items,
            UnitValue::Text(s) => std::slice::from_ref(s),
            UnitValue::Bool(_) | UnitValue::TextAndValue(..) | UnitValue::Exec(_) => &[],
        }
    }
}

impl ExtraUnit {
    pub fn is_dropin(&self) -> bool {
        self.file.contains(".d/")
    }
}
pub mod build;
pub mod escape;
pub mod service;
