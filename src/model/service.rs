//! A namespace's `systemd.services.netns-<escaped>`: the definitions NixOS merges into it
//! and the rendering values of the result (systemd-lib's `serviceToUnit`).
//!
//! NixOS merges three groups of definitions, in this order: systemd's own service module
//! (job scripts, the default `path`, `environment.PATH`, the `[Unit]` keys of the
//! dependency options), the user's `service`, and the netns module's own settings. List
//! values concatenate in that order, which is why a user's `before` comes before
//! `network.target` and a `script` comes first among the `ExecStart=` lines.

use super::escape::{escape_shell_arg, job_script_name};
use super::{Script, ScriptBody, ServiceUnit, Setting, Tools};
use crate::dependency::Section;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::module::config::ResolvedNamespace;
use crate::module::loc::Loc;
use crate::module::merge::{Scope, merge_modules_in, merge_option, prepare_defs};
use crate::module::property::{Def, MK_AFTER};
use crate::module::schema::service_schema;
use crate::module::types::Ty;
use crate::module::unit_options::{UnitOptions, derived_from, without_join_option};
use crate::nix_text::{NixValue, nix_to_string, nix_value};
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::Span;
use sha2::Digest;

/// What the netns module needs to know beyond the namespace itself.
pub struct ServiceContext<'a> {
    pub tools: &'a Tools,
    pub nftables_enable: bool,
    pub global_environment: &'a Node,
    /// Absolute folder of this unit's scripts (`<prefix>/libexec/netns-compile/<unit>`).
    pub script_dir: String,
    /// `environment.PATH` of a service that does not set `path` ([`default_path_env`]).
    pub default_path_env: Option<&'a str>,
    /// Absolute folder of the trigger files (`<prefix>/share/netns-compile/triggers`).
    pub trigger_dir: String,
    /// `systemd.enableStrictShellChecks`, where it is set to true: the default of the unit's
    /// `enableStrictShellChecks`.
    pub strict_shell_checks: Option<Span>,
}

/// `environment.PATH` from systemd's default `path` alone.
pub fn default_path_env(tools: &Tools) -> Option<String> {
    let default: Vec<Node> = tools.default_path.iter().map(|p| s(p.clone())).collect();
    path_env(&default)
}

fn b(kind: Kind) -> Node {
    Node::new(Span::BUILTIN, kind)
}

fn s(text: impl Into<String>) -> Node {
    Node::str(Span::BUILTIN, text)
}

fn list(items: Vec<Node>) -> Node {
    b(Kind::List(items))
}

fn attrs(entries: Vec<(&str, Node)>) -> Node {
    b(Kind::Attrs(Attrs::from_entries(
        entries
            .into_iter()
            .map(|(k, v)| Entry {
                key: k.to_string(),
                key_span: Span::BUILTIN,
                value: v,
            })
            .collect(),
    )))
}

fn order(priority: i64, content: Node) -> Node {
    attrs(vec![
        ("_type", s("order")),
        ("priority", b(Kind::Int(priority))),
        ("content", content),
    ])
}

/// The netns module's own definition of the service.
fn netns_module_def(ns: &ResolvedNamespace, ctx: &ServiceContext) -> Node {
    let t = ctx.tools;
    // Written by concatenation: every namespace's unit makes these texts.
    let dir = ctx.script_dir.as_str();
    let mut exec_start = vec![
        s([dir, "/ip-netns-attach"].concat()),
        s([t.ip.as_str(), " link set dev lo up"].concat()),
        // NixOS writes this line in an indented string: its value ends in a newline.
        s([t.sysctl.as_str(), " --ignore -p ", dir, "/sysctl\n"].concat()),
    ];
    if ctx.nftables_enable {
        exec_start.push(s([dir, "/nftables-ruleset"].concat()));
    }
    attrs(vec![
        ("description", s([ns.name.as_str(), " network namespace"].concat())),
        ("before", list(vec![s("network.target")])),
        (
            "serviceConfig",
            attrs(vec![
                ("Type", s("oneshot")),
                ("RemainAfterExit", b(Kind::Bool(true))),
                ("PrivateNetwork", b(Kind::Bool(true))),
                ("PrivateMounts", b(Kind::Bool(false))),
                ("ExecStart", list(exec_start)),
                (
                    "ExecStop",
                    s([t.ip.as_str(), " netns delete ", &*escape_shell_arg(&ns.name)].concat()),
                ),
            ]),
        ),
    ])
}

/// The scripts of the netns module itself.
fn netns_module_scripts(nftables_enable: bool) -> Vec<Script> {
    let mut scripts = vec![
        Script {
            name: "ip-netns-attach".into(),
            body: ScriptBody::Attach,
        },
        Script {
            name: "sysctl".into(),
            body: ScriptBody::Sysctl,
        },
    ];
    if nftables_enable {
        scripts.push(Script {
            name: "nftables-ruleset".into(),
            body: ScriptBody::Ruleset,
        });
    }
    scripts
}

/// The part of systemd's service module that the service type imports (`serviceOptions`'
/// job scripts, `serviceConfig`'s `environment.PATH`): `evalModules` merges imported modules
/// before the definitions, so these come first.
fn systemd_imported_def(
    unit_base: &str,
    merged: UnitOptions,
    path_env: Option<String>,
    ctx: &ServiceContext,
) -> (Node, Vec<Script>) {
    let strict = strict_span(merged, ctx).is_some();
    let mut service_config = Vec::new();
    let mut scripts = Vec::new();
    for (option, suffix, script) in merged.scripts() {
        let text = script.as_str().unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let name = job_script_name(&format!("{unit_base}-{suffix}"));
        scripts.push(Script {
            name: name.clone(),
            body: ScriptBody::Job {
                text: text.to_string(),
                strict,
            },
        });
        // The derived value points at the script option, so a conflict shows the user where.
        let at = |text: String| Node::str(script.span, text);
        let one = |text: String| Node::new(script.span, Kind::List(vec![at(text)]));
        let path = format!("{}/{name}", ctx.script_dir);
        let (key, value) = match option {
            "preStart" => ("ExecStartPre", one(path)),
            "script" => {
                let args = merged.script_args();
                ("ExecStart", at(format!("{path} {args}")))
            }
            "postStart" => ("ExecStartPost", one(path)),
            "reload" => ("ExecReload", at(path)),
            "preStop" => ("ExecStop", at(path)),
            _ => ("ExecStopPost", at(path)),
        };
        service_config.push((key, value));
    }
    let mut def = vec![("serviceConfig", attrs(service_config))];
    if let Some(path) = path_env {
        def.push(("environment", attrs(vec![("PATH", s(path))])));
    }
    (attrs(def), scripts)
}

/// Where the unit's `enableStrictShellChecks` is set to true (its own definition, else
/// `systemd.enableStrictShellChecks`), if it is.
fn strict_span(merged: UnitOptions, ctx: &ServiceContext) -> Option<Span> {
    match merged.strict_shell_checks() {
        Some(own) => own.as_bool().filter(|b| *b).map(|_| own.span),
        None => ctx.strict_shell_checks,
    }
}

/// `environment.PATH` of a service whose merged `path` is `full_path` (`None` when empty).
pub fn path_env(full_path: &[Node]) -> Option<String> {
    if full_path.is_empty() {
        return None;
    }
    let mut bin = String::new();
    let mut sbin = String::new();
    for p in full_path {
        let prefix = path_entry(p);
        for (out, dir) in [(&mut bin, "/bin"), (&mut sbin, "/sbin")] {
            if !out.is_empty() {
                out.push(':');
            }
            out.push_str(&prefix);
            out.push_str(dir);
        }
    }
    Some(format!("{bin}:{sbin}"))
}

/// A `path` entry's prefix: a string as is, a derivation by its `outPath`.
fn path_entry(p: &Node) -> String {
    nix_to_string(p).unwrap_or_default()
}

/// A trigger file of the unit (`X-Restart-Triggers=`/`X-Reload-Triggers=`): its name, and
/// the triggers it holds (written as `toString` writes a list).
#[derive(Clone, Debug)]
pub struct TriggerFile {
    pub name: String,
    pub triggers: NixValue,
}

/// systemd-lib's `unitConfig` writes `X-Restart-Triggers=` and `X-Reload-Triggers=` as the
/// store path of `pkgs.writeText "X-Restart-Triggers-${name}" (toString (map … (flatten
/// triggers)))`: a file that holds the triggers, whose path changes whenever they do (so
/// switch-to-configuration sees the unit change). netns-compile writes the same text into
/// the tree, named after its SHA-256 as a store path is named after its hash.
fn trigger_file(key: &str, unit_base: &str, triggers: &Node, dir: &str) -> Result<(String, TriggerFile), Node> {
    let mut flat = Vec::new();
    flatten(triggers, &mut flat);
    let items: Result<Vec<NixValue>, &Node> = flat.iter().map(|n| nix_value(n)).collect();
    let triggers = NixValue::List(items.map_err(Node::clone)?);
    // The name is a hash of the text, as a store path's is: it changes whenever the text does.
    let digest = sha2::Sha256::digest(triggers.to_nix_string().as_bytes());
    let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let name = format!("{hash}-{key}-{unit_base}");
    Ok((format!("{dir}/{name}"), TriggerFile { name, triggers }))
}

/// `lib.flatten`.
fn flatten<'n>(v: &'n Node, out: &mut Vec<&'n Node>) {
    match &v.kind {
        Kind::List(items) => items.iter().for_each(|i| flatten(i, out)),
        _ => out.push(v),
    }
}

/// The `[Unit]` keys systemd's unit module derives from the dependency options.
fn unit_config_def(
    merged: UnitOptions,
    unit_base: &str,
    ctx: &ServiceContext,
    files: &mut Vec<TriggerFile>,
    diags: &mut Diagnostics,
) -> Node {
    let mut entries = Vec::new();
    let joined = |value: Option<&Node>| -> Option<String> {
        let items = value?.as_list()?;
        if items.is_empty() {
            return None;
        }
        nix_to_string(&list(items.to_vec())).ok()
    };
    for (d, value) in merged.dependencies(Section::Unit) {
        if let Some(v) = joined(Some(value)) {
            entries.push((d.key, s(v)));
        }
    }
    for (option, key, triggers) in [
        ("restartTriggers", "X-Restart-Triggers", merged.restart_triggers()),
        ("reloadTriggers", "X-Reload-Triggers", merged.reload_triggers()),
    ] {
        let Some(triggers) = triggers.filter(|t| t.as_list().is_some_and(|l| !l.is_empty())) else {
            continue;
        };
        match trigger_file(key, unit_base, triggers, &ctx.trigger_dir) {
            Ok((path, file)) => {
                entries.push((key, Node::str(triggers.span, path)));
                files.push(file);
            }
            Err(bad) => diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{option}` of `{unit_base}` cannot be written into a unit file"),
                )
                .at(bad.span, format!("cannot coerce a {} to a string", bad.type_name())),
            ),
        }
    }
    if let Some(d) = merged.description().filter(|d| !d.is_empty()) {
        entries.push(("Description", s(d)));
    }
    if let Some(v) = joined(merged.documentation()) {
        entries.push(("Documentation", s(v)));
    }
    for (key, value) in [
        ("StartLimitIntervalSec", merged.start_limit_interval_sec()),
        ("StartLimitBurst", merged.start_limit_burst()),
    ] {
        if let Some(v) = value {
            entries.push((key, s(nix_to_string(v).unwrap_or_default())));
        }
    }
    attrs(entries)
}

/// `serviceConfig` values systemd-unit-options checks (`checkService`).
const SERVICE_VALUE_CHECKS: [(&str, &[&str]); 2] = [
    (
        "Type",
        &[
            "exec",
            "simple",
            "forking",
            "oneshot",
            "dbus",
            "notify",
            "notify-reload",
            "idle",
        ],
    ),
    (
        "Restart",
        &["no", "on-success", "on-failure", "on-abnormal", "on-abort", "always"],
    ),
];

/// The definitions of the namespace's unit, in the order its submodule merges them.
///
/// The netns module defines `systemd.services.netns-<escaped> = mkMerge [ own cfg.service ]`;
/// definitions made directly on that unit (`unit_defs`, SPEC §3.3) come from the user's
/// modules, which NixOS collects after the netns module. `attrsOf` hands all of them to the
/// unit's submodule as its definitions, as `mergeDefinitions` leaves them (`defsFinal`:
/// `mkIf`/`mkMerge` discharged, the highest priority kept — a `mkForce`d unit drops the netns
/// module's definition, as in NixOS — and sorted by `mkOrder`), each checked to be an attribute
/// set; `evalModules` then merges them last-first (see `merge_submodule`): the user's
/// `service`, the module's own settings, then the direct definitions in module order.
fn unit_definitions<'a>(
    loc: &Loc,
    netns_def: &'a Node,
    unit_defs: &'a [Node],
    diags: &mut Diagnostics,
) -> Option<Vec<Def<'a>>> {
    // `unit_defs` come last module first, as `defs_at` gives them; the netns module is
    // collected before the user's modules, so its definition comes last.
    let given = unit_defs.iter().map(without_join_option).chain([Def::new(netns_def)]);
    let (mut defs, _) = prepare_defs(loc, &Ty::Attrs, given.collect(), None, diags)?;
    defs.reverse();
    Some(defs)
}

/// Merge a namespace's service and compute everything its unit file shows.
pub fn build_service_unit(
    ns: &ResolvedNamespace,
    unit_name: &str,
    ctx: &ServiceContext,
    diags: &mut Diagnostics,
) -> Option<ServiceUnit> {
    let unit_base = unit_name.strip_suffix(".service").unwrap_or(unit_name);
    let loc = Loc::new(&["systemd", "services", unit_base]);
    let schema = service_schema();
    let empty = b(Kind::Attrs(Attrs::new()));
    let user = ns.options().service.unwrap_or(&empty);
    let module = netns_module_def(ns, ctx);
    // The netns module's definition, `mkMerge [ own cfg.service ]`, made (a copy of both)
    // only where definitions made directly on the unit are merged with it.
    let netns_def;
    // What extensions of `systemd.services` define on the unit belongs to its submodule's own
    // modules, which NixOS imports: they take part whatever wins among the definitions, and
    // come first.
    let mut defs: Vec<Def> = ns.unit_extension_defs.iter().map(Def::new).collect();
    if ns.unit_defs.is_empty() {
        // As `unit_definitions` would give them, without the copies.
        defs.extend([Def::new(user), Def::new(&module)]);
    } else {
        netns_def = attrs(vec![
            ("_type", s("merge")),
            ("contents", list(vec![module.clone(), user.clone()])),
        ]);
        defs.extend(unit_definitions(&loc, &netns_def, &ns.unit_defs, diags)?);
    }
    // A first pass without systemd's derived definitions, to learn what they derive from.
    let mut scratch = Diagnostics::new();
    // Only the options systemd derives from are merged (errors are reported by the full merge).
    let first = merge_modules_in(
        &loc,
        schema,
        &defs,
        Scope {
            only: Some(derived_from()),
            sparse: true,
        },
        &mut scratch,
    )?;
    let first_options = UnitOptions::read(&first)?;
    // systemd's default `path` is `mkAfter [ coreutils findutils gnugrep gnused systemd ]`.
    let default_path = list(ctx.tools.default_path.iter().map(|p| s(p.clone())).collect());
    let path_defs: Vec<Def> = defs
        .iter()
        .filter_map(|d| UnitOptions::read(&d.value)?.path())
        .map(Def::new)
        .collect();
    let (env_path, path_default) = if path_defs.is_empty() {
        // Only the default, the same for every namespace; as the only definition of `path`,
        // its order changes nothing: it is merged as the plain list.
        (ctx.default_path_env.map(str::to_string), default_path)
    } else {
        let path_default = order(MK_AFTER, default_path);
        let full_path = merge_option(
            &loc.child("path"),
            &Ty::ListOf(Box::new(Ty::PathEntry)),
            path_defs.into_iter().chain([Def::new(&path_default)]).collect(),
            None,
            &mut scratch,
        );
        let env = path_env(full_path.as_ref().and_then(|m| m.value.as_list()).unwrap_or(&[]));
        (env, path_default)
    };
    let (imported, job_scripts) = systemd_imported_def(unit_base, first_options, env_path, ctx);
    if let (Some(span), Some(script)) = (strict_span(first_options, ctx), job_scripts.first()) {
        diags.push(
            Diagnostic::new(
                Code::ShellcheckNotRun,
                format!(
                    "`{}` is checked by shellcheck when NixOS builds it; netns-compile does not run shellcheck",
                    script.name
                ),
            )
            .at(span, "enableStrictShellChecks is set here")
            .help(format!(
                "run `shellcheck` on the unit's scripts in libexec/netns-compile/{unit_name}/"
            )),
        );
    }
    // The service type's own modules (the `[Unit]` keys of the dependency options, the
    // default `path`, systemd-lib's `serviceConfig` naming the unit) are collected first and
    // so merged last.
    let mut trigger_files = Vec::new();
    let own = attrs(vec![
        (
            "unitConfig",
            unit_config_def(first_options, unit_base, ctx, &mut trigger_files, diags),
        ),
        ("path", path_default),
        ("name", s(unit_name)),
    ]);
    let before = diags.items.len();
    let mut all = vec![Def::new(&imported)];
    all.extend(defs.iter().cloned());
    all.push(Def::new(&own));
    // Every option below is read with its default as fallback: those left at it need no copy.
    let merged = merge_modules_in(
        &loc,
        schema,
        &all,
        Scope {
            only: None,
            sparse: true,
        },
        diags,
    );
    explain_job_scripts(&loc, &mut diags.items[before..]);
    let merged = merged?;
    if diags.items[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let m = UnitOptions::read(&merged)?;
    let mut unit = ServiceUnit {
        name: unit_name.to_string(),
        enabled: m.enable(),
        ..ServiceUnit::default()
    };
    unit.unit_section = section(&loc.child("unitConfig"), m.unit_config(), diags);
    unit.service_section = section(&loc.child("serviceConfig"), m.service_config(), diags);
    for (key, allowed) in SERVICE_VALUE_CHECKS {
        if let Some((_, values)) = unit.service_section.iter().find(|(k, _)| k == key)
            && let Some(bad) = values
                .iter()
                .map(|v| v.value.to_option_string())
                .find(|v| !allowed.contains(&v.as_str()))
        {
            let span = defs
                .iter()
                .find_map(|d| service_config_span(&d.value, key))
                .unwrap_or(ns.name_span);
            diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("systemd Service field `{key}` cannot have value `{bad}`"),
                )
                .at(span, format!("one of: {}", allowed.join(", "))),
            );
        }
    }
    unit.environment = environment(ctx.global_environment, m.environment());
    // serviceToUnit's order (nixos/lib/systemd-lib.nix).
    if m.reload_if_changed() {
        unit.flags.push(("X-ReloadIfChanged", true));
    } else if !m.restart_if_changed() {
        unit.flags.push(("X-RestartIfChanged", false));
    }
    if !m.stop_if_changed() {
        unit.flags.push(("X-StopIfChanged", false));
    }
    if m.not_socket_activated() {
        unit.flags.push(("X-NotSocketActivated", true));
    }
    unit.wanted_by = m.wanted_by();
    unit.required_by = m.required_by();
    unit.upheld_by = m.upheld_by();
    unit.aliases = m.aliases();
    unit.start_at = m.start_at();
    if let Some(strategy) = m.as_dropin() {
        diags.push(
            Diagnostic::new(
                Code::UnitAsDropin,
                format!("`{unit_name}` would be only a drop-in, which systemd does not load"),
            )
            .at(strategy.span, "overrideStrategy = \"asDropin\" is set here")
            .note(format!(
                "NixOS writes it as {unit_name}.d/overrides.conf with no unit file under it, and \
                 systemd loads no service without a unit file: the namespace is never made"
            ))
            .help("leave overrideStrategy at its default, \"asDropinIfExists\""),
        );
        return None;
    }
    unit.scripts = netns_module_scripts(ctx.nftables_enable);
    unit.scripts.extend(job_scripts);
    unit.trigger_files = trigger_files;
    unit.relations = super::relations_of(m);
    Some(unit)
}

/// NixOS's internal `jobScripts`, which netns-compile does not declare: the unknown-option
/// diagnostics of a definition of it say why.
fn explain_job_scripts(loc: &Loc, found: &mut [Diagnostic]) {
    if !found.iter().any(|d| d.code == Code::UnknownOption) {
        return;
    }
    let option = format!("`{}`", loc.child("jobScripts").show());
    for d in found
        .iter_mut()
        .filter(|d| d.code == Code::UnknownOption && d.message.contains(&option))
    {
        d.message = format!("{option} is NixOS's internal list of the unit's job scripts, not an option to define");
        d.notes.push(
            "NixOS declares `jobScripts` as an internal option of a service: its systemd module \
             sets it to the job scripts it writes, and reads it only for the initrd's services \
             (`boot.initrd.systemd.services`, whose store paths it copies). A definition of it \
             changes nothing in a `systemd.services` unit, so netns-compile refuses it rather \
             than drop it without a word"
                .to_string(),
        );
        d.help = Some(
            "remove it: the unit's scripts are `script`, `preStart`, `postStart`, `reload`, `preStop` and `postStop`"
                .into(),
        );
    }
}

/// Where a definition of the unit sets the `serviceConfig` key `key`, if it does.
fn service_config_span(def: &Node, key: &str) -> Option<Span> {
    Some(UnitOptions::read(def)?.service_config()?.attrs()?.get(key)?.span)
}

/// `attrsToSection`'s values: keys sorted, a list one directive an item, each item as
/// `toOption` will write it (checked here: a value that cannot be written is an error).
fn section(loc: &Loc, value: Option<&Node>, diags: &mut Diagnostics) -> Vec<super::SectionEntry> {
    let Some(a) = value.and_then(Node::attrs) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(a.len());
    for e in &a.entries {
        let items: &[Node] = match &e.value.kind {
            Kind::List(l) => l,
            _ => std::slice::from_ref(&e.value),
        };
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match nix_value(item) {
                Ok(value) => {
                    if let Some(c) = breaking_character(&value) {
                        diags.push(
                            Diagnostic::new(
                                Code::UnitValueBreaksLine,
                                format!(
                                    "`{}` holds the control character {c:?}, which would break the unit file",
                                    loc.child(&e.key).show()
                                ),
                            )
                            .at(item.span, "systemd would read this value as more than one line")
                            .help("split it into a list (one directive each) or remove the character"),
                        );
                    }
                    values.push(Setting { value, span: item.span })
                }
                Err(bad) => diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`{}` cannot be written into a unit file", loc.child(&e.key).show()),
                    )
                    .at(bad.span, format!("cannot coerce a {} to a string", bad.type_name())),
                ),
            }
        }
        out.push((e.key.clone(), values));
    }
    out
}

/// A control character that would cut a unit's line if `value` were written into it: NixOS
/// copies a value into the unit as it is, so a newline in the middle (or another control
/// character) would start a directive of its own. A single newline at the end only leaves a
/// blank line.
fn breaking_character(value: &NixValue) -> Option<char> {
    if !value.any_str(&may_break) {
        return None;
    }
    let exact = |body: &str| body.chars().find(|c| c.is_control() && *c != '\t');
    if let NixValue::Str(s) = value {
        // A string is its own line; one that only ends in a newline (an indented string's
        // last line) needs no closer look.
        let body = s.strip_suffix('\n').unwrap_or(s);
        return if may_break(body) { exact(body) } else { None };
    }
    let line = value.to_option_string();
    exact(line.strip_suffix('\n').unwrap_or(&line))
}

/// A test of bytes before the exact one, as every value of every unit passes here: a control
/// character is below 0x20, 0x7f, or U+0080–U+009F, whose UTF-8 starts with 0xc2 (so do
/// other characters, which the exact test tells apart). Blocks of bytes are tested whole, so
/// that the test runs as vector instructions.
fn may_break(s: &str) -> bool {
    let suspect = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f || b == 0xc2;
    let mut blocks = s.as_bytes().chunks_exact(32);
    blocks.any(|block| block.iter().fold(false, |any, &b| any | suspect(b)))
        || blocks.remainder().iter().any(|&b| suspect(b))
}

/// `globalEnvironment // environment`, nulls left out, sorted by name.
fn environment(global: &Node, own: Option<&Node>) -> Vec<(String, NixValue)> {
    let mut env = global.attrs().cloned().unwrap_or_default();
    if let Some(own) = own.and_then(Node::attrs) {
        for e in &own.entries {
            env.insert(e.clone());
        }
    }
    env.entries
        .iter()
        .filter(|e| !matches!(e.value.kind, Kind::Null))
        .map(|e| (e.key.clone(), nix_value(&e.value).unwrap_or(NixValue::Null)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Option<char> {
        breaking_character(&NixValue::List(vec![NixValue::Int(1), NixValue::Str(s.to_string())]))
    }

    #[test]
    fn a_breaking_character_is_any_control_but_a_tab_or_a_last_newline() {
        assert_eq!(found("a\tb"), None);
        assert_eq!(found("a b\n"), None);
        // Non-breaking space and é: two bytes starting 0xc2/0xc3, no control characters.
        assert_eq!(found("a\u{a0}é"), None);
        assert_eq!(found("a\nb"), Some('\n'));
        assert_eq!(found("a\rb"), Some('\r'));
        assert_eq!(found("a\u{7f}"), Some('\u{7f}'));
        assert_eq!(found("a\u{85}b"), Some('\u{85}'));
        assert_eq!(found("a\u{9f}"), Some('\u{9f}'));
    }
}
