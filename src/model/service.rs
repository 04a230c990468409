//! A namespace's `systemd.services.netns-<escaped>`: the definitions NixOS merges into it
//! and the rendering values of the result (systemd-lib's `serviceToUnit`).
//!
//! NixOS merges three groups of definitions, in this order: systemd's own service module
//! (job scripts, the default `path`, `environment.PATH`, the `[Unit]` keys of the
//! dependency options), the user's `service`, and the netns module's own settings. List
//! values concatenate in that order, which is why a user's `before` comes before
//! `network.target` and a `script` comes first among the `ExecStart=` lines.

use super::escape::{escape_shell_arg, job_script_name, json_string, nix_to_string, to_option};
use super::{Script, ServiceUnit, Tools};
use crate::dependency::{Section, nixos_dependency_options};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::module::config::ResolvedNamespace;
use crate::module::loc::Loc;
use crate::module::merge::{Scope, merge_modules_in, merge_option};
use crate::module::property::{Def, MK_AFTER};
use crate::module::schema::{SCRIPT_OPTIONS, service_schema};
use crate::module::types::Ty;
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::Span;

/// What the netns module needs to know beyond the namespace itself.
pub struct ServiceContext<'a> {
    pub tools: &'a Tools,
    pub nftables_enable: bool,
    pub global_environment: &'a Node,
    /// Absolute folder of this unit's scripts (`<prefix>/libexec/netns-compile/<unit>`).
    pub script_dir: String,
    /// `environment.PATH` of a service that does not set `path` ([`default_path_env`]).
    pub default_path_env: Option<&'a str>,
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
    let dir = &ctx.script_dir;
    let mut exec_start = vec![
        s(format!("{dir}/ip-netns-attach")),
        s(format!("{} link set dev lo up", t.ip)),
        // NixOS writes this line in an indented string: its value ends in a newline.
        s(format!("{} --ignore -p {dir}/sysctl\n", t.sysctl)),
    ];
    if ctx.nftables_enable {
        exec_start.push(s(format!("{dir}/nftables-ruleset")));
    }
    attrs(vec![
        ("description", s(format!("{} network namespace", ns.name))),
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
                    s(format!("{} netns delete {}", t.ip, escape_shell_arg(&ns.name))),
                ),
            ]),
        ),
    ])
}

/// The scripts of the netns module itself.
fn netns_module_scripts(ns: &ResolvedNamespace, sysctl_lines: &str, ctx: &ServiceContext) -> Vec<Script> {
    let q = escape_shell_arg(&ns.name);
    let t = ctx.tools;
    let mut scripts = vec![
        Script {
            name: "ip-netns-attach".into(),
            content: format!(
                "#!{}\n{} netns attach {q} $$\nmkdir -p /etc/netns/{q}\ntouch /etc/netns/{q}/resolv.conf\n\n",
                t.runtime_shell, t.ip
            ),
        },
        Script {
            name: "sysctl".into(),
            content: sysctl_lines.to_string(),
        },
    ];
    if ctx.nftables_enable {
        let ruleset = ns.get("nftables").and_then(Node::as_str).unwrap_or("");
        scripts.push(Script {
            name: "nftables-ruleset".into(),
            content: format!("#!{} -f\nflush ruleset\n{ruleset}\n", t.nft),
        });
    }
    scripts
}

/// The part of systemd's service module that the service type imports (`serviceOptions`'
/// job scripts, `serviceConfig`'s `environment.PATH`): `evalModules` merges imported modules
/// before the definitions, so these come first.
fn systemd_imported_def(
    unit_base: &str,
    merged: &Attrs,
    path_env: Option<String>,
    ctx: &ServiceContext,
) -> (Node, Vec<Script>) {
    let t = ctx.tools;
    let mut service_config = Vec::new();
    let mut scripts = Vec::new();
    for (option, suffix) in SCRIPT_OPTIONS {
        let Some(script) = merged.get(option) else { continue };
        let text = script.as_str().unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let name = job_script_name(&format!("{unit_base}-{suffix}"));
        // makeJobScript wraps the text in "set -e\n\n${text}\n" and writeShellScriptBin adds
        // the `#!` line and one more newline.
        scripts.push(Script {
            name: name.clone(),
            content: format!("#!{}\nset -e\n\n{text}\n\n", t.runtime_shell),
        });
        // The derived value points at the script option, so a conflict shows the user where.
        let at = |text: String| Node::str(script.span, text);
        let one = |text: String| Node::new(script.span, Kind::List(vec![at(text)]));
        let path = format!("{}/{name}", ctx.script_dir);
        let (key, value) = match option {
            "preStart" => ("ExecStartPre", one(path)),
            "script" => {
                let args = merged.get("scriptArgs").and_then(Node::as_str).unwrap_or("");
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

/// The `[Unit]` keys systemd's unit module derives from the dependency options.
fn unit_config_def(merged: &Attrs) -> Node {
    let mut entries = Vec::new();
    let joined = |option: &str| -> Option<String> {
        let items = merged.get(option)?.as_list()?;
        if items.is_empty() {
            return None;
        }
        nix_to_string(&list(items.to_vec())).ok()
    };
    for (option, d) in nixos_dependency_options(Section::Unit) {
        if let Some(v) = joined(option) {
            entries.push((d.key, s(v)));
        }
    }
    if let Some(d) = merged
        .get("description")
        .and_then(Node::as_str)
        .filter(|d| !d.is_empty())
    {
        entries.push(("Description", s(d)));
    }
    if let Some(v) = joined("documentation") {
        entries.push(("Documentation", s(v)));
    }
    for (option, key) in [
        ("startLimitIntervalSec", "StartLimitIntervalSec"),
        ("startLimitBurst", "StartLimitBurst"),
    ] {
        if let Some(v) = merged.get(option) {
            entries.push((key, s(nix_to_string(v).unwrap_or_default())));
        }
    }
    attrs(entries)
}

/// The options systemd's service module derives definitions from: the job scripts (and
/// `scriptArgs`), and what [`unit_config_def`] reads.
fn derived_from() -> &'static [&'static str] {
    static OPTIONS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut options: Vec<&str> = SCRIPT_OPTIONS.iter().map(|(o, _)| *o).collect();
        options.push("scriptArgs");
        options.extend(nixos_dependency_options(Section::Unit).map(|(o, _)| o));
        options.extend([
            "description",
            "documentation",
            "startLimitIntervalSec",
            "startLimitBurst",
        ]);
        options
    });
    &OPTIONS
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

/// Merge a namespace's service and compute everything its unit file shows.
pub fn build_service_unit(
    ns: &ResolvedNamespace,
    unit_name: &str,
    sysctl_lines: &str,
    ctx: &ServiceContext,
    diags: &mut Diagnostics,
) -> Option<ServiceUnit> {
    let unit_base = unit_name.strip_suffix(".service").unwrap_or(unit_name);
    let loc = Loc::new(&["systemd", "services", unit_base]);
    let schema = service_schema();
    let empty = b(Kind::Attrs(Attrs::new()));
    let user = ns.get("service").unwrap_or(&empty);
    let module = netns_module_def(ns, ctx);
    // The definitions of `systemd.services.netns-<escaped>` from the netns module are
    // `mkMerge [ own cfg.service ]`; as submodule modules they merge last-first: the user's
    // `service` before the module's own settings.
    // A first pass without systemd's derived definitions, to learn what they derive from.
    let mut scratch = Diagnostics::new();
    // Only the options systemd derives from are merged (errors are reported by the full merge).
    let first = merge_modules_in(
        &loc,
        schema,
        &[Def::new(user), Def::new(&module)],
        Scope {
            only: Some(derived_from()),
            sparse: true,
        },
        &mut scratch,
    )?;
    // systemd's default `path` is `mkAfter [ coreutils findutils gnugrep gnused systemd ]`.
    let path_default = order(
        MK_AFTER,
        list(ctx.tools.default_path.iter().map(|p| s(p.clone())).collect()),
    );
    let env_path = match user.attrs().and_then(|a| a.get("path")) {
        // Only the default: the same for every namespace.
        None => ctx.default_path_env.map(str::to_string),
        Some(p) => {
            let full_path = merge_option(
                &loc.child("path"),
                &Ty::ListOf(Box::new(Ty::PathEntry)),
                vec![Def::new(p), Def::new(&path_default)],
                None,
                &mut scratch,
            );
            path_env(full_path.as_ref().and_then(|m| m.value.as_list()).unwrap_or(&[]))
        }
    };
    let (imported, job_scripts) = systemd_imported_def(unit_base, first.attrs()?, env_path, ctx);
    // The service type's own modules (the `[Unit]` keys of the dependency options, the
    // default `path`) are collected first and so merged last.
    let own = attrs(vec![
        ("unitConfig", unit_config_def(first.attrs()?)),
        ("path", path_default),
    ]);
    let before = diags.items.len();
    // Every option below is read with its default as fallback: those left at it need no copy.
    let merged = merge_modules_in(
        &loc,
        schema,
        &[Def::new(&imported), Def::new(user), Def::new(&module), Def::new(&own)],
        Scope {
            only: None,
            sparse: true,
        },
        diags,
    )?;
    if diags.items[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let m = merged.attrs()?;
    let mut unit = ServiceUnit {
        name: unit_name.to_string(),
        enabled: m.get("enable").and_then(Node::as_bool).unwrap_or(true),
        ..ServiceUnit::default()
    };
    unit.unit_section = section(&loc.child("unitConfig"), m.get("unitConfig"), diags);
    unit.service_section = section(&loc.child("serviceConfig"), m.get("serviceConfig"), diags);
    for (key, allowed) in SERVICE_VALUE_CHECKS {
        if let Some((_, values)) = unit.service_section.iter().find(|(k, _)| k == key)
            && let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str()))
        {
            let span = user_span(user, &["serviceConfig", key]).unwrap_or(ns.name_span);
            diags.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("systemd Service field `{key}` cannot have value `{bad}`"),
                )
                .at(span, format!("one of: {}", allowed.join(", "))),
            );
        }
    }
    unit.environment = environment(ctx.global_environment, m.get("environment"));
    let flag = |k: &str, d: bool| m.get(k).and_then(Node::as_bool).unwrap_or(d);
    if flag("reloadIfChanged", false) {
        unit.flags.push("X-ReloadIfChanged=true");
    } else if !flag("restartIfChanged", true) {
        unit.flags.push("X-RestartIfChanged=false");
    }
    if !flag("stopIfChanged", true) {
        unit.flags.push("X-StopIfChanged=false");
    }
    let strings = |k: &str| -> Vec<String> {
        m.get(k)
            .and_then(Node::as_list)
            .map(|l| l.iter().filter_map(|n| n.as_str().map(String::from)).collect())
            .unwrap_or_default()
    };
    unit.wanted_by = strings("wantedBy");
    unit.required_by = strings("requiredBy");
    unit.scripts = netns_module_scripts(ns, sysctl_lines, ctx);
    unit.scripts.extend(job_scripts);
    unit.relations = super::relations_of(m);
    Some(unit)
}

/// Where the user wrote `service.<path>`, if they did.
fn user_span(user: &Node, path: &[&str]) -> Option<Span> {
    let mut n = user;
    for p in path {
        n = n.attrs()?.get(p)?;
    }
    Some(n.span)
}

/// `attrsToSection`: keys sorted, list values one line each, values through `toOption`.
fn section(loc: &Loc, value: Option<&Node>, diags: &mut Diagnostics) -> Vec<(String, Vec<String>)> {
    let Some(a) = value.and_then(Node::attrs) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(a.len());
    for e in &a.entries {
        let items: Vec<&Node> = match &e.value.kind {
            Kind::List(l) => l.iter().collect(),
            _ => vec![&e.value],
        };
        let mut lines = Vec::with_capacity(items.len());
        for item in items {
            match to_option(item) {
                Ok(line) => {
                    // NixOS copies a value into the unit as it is: a newline in the middle (or
                    // another control character) would cut the line and start a directive of
                    // its own. A single newline at the end only leaves a blank line.
                    let body = line.strip_suffix('\n').unwrap_or(&line);
                    if let Some(c) = body.chars().find(|c| c.is_control() && *c != '\t') {
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
                    lines.push(line)
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
        out.push((e.key.clone(), lines));
    }
    out
}

/// `globalEnvironment // environment`, nulls left out, sorted by name.
fn environment(global: &Node, own: Option<&Node>) -> Vec<(String, String)> {
    let mut env = global.attrs().cloned().unwrap_or_default();
    if let Some(own) = own.and_then(Node::attrs) {
        for e in &own.entries {
            env.insert(e.clone());
        }
    }
    env.entries
        .iter()
        .filter(|e| !matches!(e.value.kind, Kind::Null))
        .map(|e| (e.key.clone(), nix_to_string(&e.value).unwrap_or_default()))
        .collect()
}

/// One `Environment=` line's value.
pub fn environment_line(name: &str, value: &str) -> String {
    json_string(&format!("{name}={value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derivations_read_options_of_the_service() {
        for o in derived_from() {
            assert!(service_schema().option(o).is_some(), "{o}");
        }
    }
}
