//! Units, drop-ins, scripts, the manifest and the graph, as an in-memory output tree (SPEC §4).

pub mod connect;
pub mod manifest;

use crate::dependency::Relation;
use crate::diagnostic::Diagnostics;
use crate::graph::UnitGraph;
use crate::model::escape::{TRIGGER_DIR, script_dir};
use crate::model::join::resolver_covers;
use crate::model::service::environment_line;
use crate::model::{JoiningService, Model, ServiceUnit};
use crate::module::config::ResolvedConfig;
pub use manifest::MANIFEST;
use std::collections::BTreeMap;

/// Where units go, relative to the output root.
pub const UNIT_DIR: &str = "lib/systemd/system";

/// What a unit with `enable = false` is: NixOS's `makeUnit` (nixos/lib/systemd-lib.nix) writes
/// no text for it but `ln -s /dev/null "$out/$name"`, which masks it (and leaves its scripts
/// out of the system, as nothing names them).
pub const MASKED: &str = "/dev/null";

/// Where the unit graph goes, relative to the output root (SPEC §4).
pub const GRAPH_DOT: &str = "share/netns-compile/graph.dot";

/// One entry of the output tree. Paths are relative to the output root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutEntry {
    File { content: Vec<u8>, mode: u32 },
    Symlink { target: String },
}

/// The whole output, sorted by path: the writer makes folders as needed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputTree {
    pub entries: BTreeMap<String, OutEntry>,
}

impl OutputTree {
    fn file(&mut self, path: String, content: impl Into<Vec<u8>>, mode: u32) {
        self.entries.insert(
            path,
            OutEntry::File {
                content: content.into(),
                mode,
            },
        );
    }

    fn symlink(&mut self, path: String, target: String) {
        self.entries.insert(path, OutEntry::Symlink { target });
    }
}

/// systemd-lib's `serviceToUnit` text.
pub fn render_unit(unit: &ServiceUnit) -> String {
    let mut out = String::from("[Unit]\n");
    section_lines(&mut out, &unit.unit_section);
    out.push_str("\n[Service]\n");
    for (name, value) in &unit.environment {
        out.push_str("Environment=");
        out.push_str(&environment_line(name, value));
        out.push('\n');
    }
    for flag in &unit.flags {
        out.push_str(flag);
        out.push('\n');
    }
    section_lines(&mut out, &unit.service_section);
    if !unit.wanted_by.is_empty() {
        out.push_str("\n[Install]\nWantedBy=");
        out.push_str(&unit.wanted_by.join(" "));
        out.push('\n');
    }
    out
}

/// `<unit>.timer` of a service with `startAt`.
pub fn timer_name(unit_name: &str) -> String {
    format!("{}.timer", unit_name.strip_suffix(".service").unwrap_or(unit_name))
}

/// The timer NixOS adds for a service with `startAt` (nixos/modules/system/boot/systemd.nix:
/// `systemd.timers.<name> = { wantedBy = [ "timers.target" ]; timerConfig.OnCalendar =
/// service.startAt; }` for enabled services), rendered by systemd-lib's `timerToUnit`: the
/// `[Unit]` section is empty (the timer sets no unit options), `[Timer]` is followed by the
/// blank line its template ends with.
fn render_timer(unit: &ServiceUnit) -> Option<String> {
    if unit.start_at.is_empty() {
        return None;
    }
    let mut out = String::from("[Unit]\n\n[Timer]\n");
    for calendar in &unit.start_at {
        out.push_str("OnCalendar=");
        out.push_str(calendar);
        out.push('\n');
    }
    out.push_str("\n\n[Install]\nWantedBy=timers.target\n");
    Some(out)
}

fn section_lines(out: &mut String, section: &[(String, Vec<String>)]) {
    for (key, values) in section {
        for v in values {
            out.push_str(key);
            out.push('=');
            out.push_str(v);
            out.push('\n');
        }
    }
}

/// One `source:destination` item of `BindReadOnlyPaths=`, as systemd's `extract_first_word`
/// (separators `:` and whitespace, quotes removed, no C escapes) reads it back: each path on
/// its own is double-quoted when it holds whitespace, a quote, `\` or `:`, with `\` and `"`
/// escaped inside. Quoting the whole item would hide the `:` that separates the two paths
/// (systemd would take it all as the source), and a bare `'` would open an unbalanced quote.
fn bind_item(source: &str, destination: &str) -> String {
    let path = |p: &str| {
        if p.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ':')) {
            format!("\"{}\"", p.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            p.to_string()
        }
    };
    format!("{}:{}", path(source), path(destination))
}

/// The `[Unit]` lines of a drop-in: one directive per dependency option, keys sorted by name
/// (as NixOS sorts a section), its targets joined by spaces in the order of the relations.
pub fn dependency_lines(relations: &[Relation]) -> String {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in relations {
        by_key.entry(r.option.as_str()).or_default().push(&r.target);
    }
    let mut out = String::new();
    for (key, targets) in by_key {
        out.push_str(key);
        out.push('=');
        out.push_str(&targets.join(" "));
        out.push('\n');
    }
    out
}

/// The drop-in that makes a service run inside a namespace (SPEC §3.5): the relations the
/// model gives it ([`crate::model::join::join_relations`]), and its namespaced view of the
/// files.
///
/// The resolver folders are covered so that DNS cannot leave around the namespace, also when
/// the resolver starts after the service or restarts (systemd 252, `src/core/namespace.c`):
/// - `InaccessiblePaths=-DIR` mounts over DIR only if it exists when the service starts; a
///   resolver started later creates DIR, and its socket is reachable.
/// - `TemporaryFileSystem=DIR:ro` (`mount_tmpfs`) first creates DIR (`mkdir_p_label`, on the
///   host's /run, which the service's mount namespace shares) and mounts an empty read-only
///   tmpfs on it. A resolver started later finds its `RuntimeDirectory=` already there, keeps
///   that folder, and puts its socket where the service cannot see it.
/// - No mount survives the folder itself being removed: since Linux 3.18 removing a directory
///   detaches the mounts on it in every mount namespace, and a new folder of that name is
///   visible again; the relations to the resolvers restart the service then.
pub fn render_dropin(svc: &JoiningService) -> String {
    let bind = bind_item(&format!("/etc/netns/{}/resolv.conf", svc.namespace), "/etc/resolv.conf");
    let covers = resolver_covers(&svc.unit_name);
    format!(
        "# Generated by netns-compile: {svc} runs in network namespace {name:?}.\n\
         [Unit]\n\
         {units}\
         \n\
         [Service]\n\
         BindReadOnlyPaths={bind}\n\
         PrivateNetwork=true\n\
         TemporaryFileSystem={covers}\n",
        svc = svc.unit_name,
        name = svc.namespace,
        units = dependency_lines(&svc.dropin),
    )
}

/// The whole output tree: units, drop-ins, scripts, the manifest (with the warnings of
/// `diags`) and the graph.
pub fn emit_tree(config: &ResolvedConfig, model: &Model, graph: &UnitGraph, diags: &Diagnostics) -> OutputTree {
    let mut tree = emit_units(model);
    tree.file(
        MANIFEST.to_string(),
        manifest::render_manifest(config, model, graph, diags),
        0o444,
    );
    tree.file(GRAPH_DOT.to_string(), graph.to_dot(), 0o444);
    tree
}

/// The units, drop-ins and scripts of the output tree.
fn emit_units(model: &Model) -> OutputTree {
    let mut tree = OutputTree::default();
    for ns in &model.namespaces {
        let unit = &ns.unit;
        if unit.enabled {
            tree.file(format!("{UNIT_DIR}/{}", unit.name), render_unit(unit), 0o444);
            for file in &unit.trigger_files {
                tree.file(format!("{TRIGGER_DIR}/{}", file.name), file.content.clone(), 0o444);
            }
            if let Some(timer) = render_timer(unit) {
                let timer_name = timer_name(&unit.name);
                tree.file(format!("{UNIT_DIR}/{timer_name}"), timer, 0o444);
                tree.symlink(
                    format!("{UNIT_DIR}/timers.target.wants/{timer_name}"),
                    format!("../{timer_name}"),
                );
            }
            for script in &unit.scripts {
                tree.file(
                    format!("{}/{}", script_dir(&unit.name), script.name),
                    script.content.clone(),
                    0o555,
                );
            }
        } else {
            tree.symlink(format!("{UNIT_DIR}/{}", unit.name), MASKED.to_string());
        }
        // NixOS links `wantedBy`/`requiredBy` of every unit, masked or not: `generateUnits`
        // (nixos/lib/systemd-lib.nix) gets `enabledUnits`, which systemd.nix filters by
        // `suppressedSystemUnits` only. Such a link reaches /dev/null and enables nothing.
        for (targets, kind) in [
            (&unit.wanted_by, "wants"),
            (&unit.upheld_by, "upholds"),
            (&unit.required_by, "requires"),
        ] {
            for t in targets {
                tree.symlink(
                    format!("{UNIT_DIR}/{t}.{kind}/{}", unit.name),
                    format!("../{}", unit.name),
                );
            }
        }
        // `ln -sfn '${name}' $out/'${alias}'` (generateUnits).
        for alias in &unit.aliases {
            tree.symlink(format!("{UNIT_DIR}/{alias}"), unit.name.clone());
        }
    }
    // The model gives a drop-in its relations only when the namespace is built.
    for svc in model.joining.iter().filter(|s| !s.dropin.is_empty()) {
        tree.file(
            format!("{UNIT_DIR}/{}.d/netns.conf", svc.unit_name),
            render_dropin(svc),
            0o444,
        );
    }
    for wg in model.wireguard_interfaces.iter().filter(|w| !w.dropin.is_empty()) {
        tree.file(
            format!("{UNIT_DIR}/{}.d/netns.conf", wg.unit_name),
            connect::render_wireguard_dropin(wg),
            0o444,
        );
    }
    for unit in &model.connect_units {
        tree.file(
            format!("{UNIT_DIR}/{}", unit.file),
            connect::render_extra_unit(unit),
            0o444,
        );
        for script in &unit.scripts {
            tree.file(
                format!("{}/{}", unit.script_dir, script.name),
                script.content.clone(),
                0o555,
            );
        }
        for t in &unit.wanted_by {
            tree.symlink(
                format!("{UNIT_DIR}/{t}.wants/{}", unit.unit),
                format!("../{}", unit.unit),
            );
        }
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_items_are_quoted_and_escaped() {
        let r = "/etc/resolv.conf";
        assert_eq!(
            bind_item("/etc/netns/vpn/resolv.conf", r),
            "/etc/netns/vpn/resolv.conf:/etc/resolv.conf"
        );
        // Regression: the whole item was quoted, so systemd read no destination at all.
        assert_eq!(
            bind_item("/etc/netns/my lab/resolv.conf", r),
            "\"/etc/netns/my lab/resolv.conf\":/etc/resolv.conf"
        );
        assert_eq!(
            bind_item("/etc/netns/a:b/resolv.conf", r),
            "\"/etc/netns/a:b/resolv.conf\":/etc/resolv.conf"
        );
        // Regression: a bare `'` made systemd ignore the setting ("Failed to parse").
        assert_eq!(
            bind_item("/etc/netns/it's/resolv.conf", r),
            "\"/etc/netns/it's/resolv.conf\":/etc/resolv.conf"
        );
        assert_eq!(
            bind_item("/etc/netns/say \"hi\"/resolv.conf", r),
            "\"/etc/netns/say \\\"hi\\\"/resolv.conf\":/etc/resolv.conf"
        );
    }
}
