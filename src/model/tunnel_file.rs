//! `wireguard.configFile` (SPEC §14): the tunnel's unit reads a wg-quick file when it starts.
//!
//! The unit is the inline tunnel's (`<stem>-wireguard.service`, the same relations); only its
//! start script differs: the settings netns-compile knows (tool paths, names, the file's path)
//! followed by `emit/templates/wg_quick_file.sh`, which says in its header why it is a shell
//! script and how it reads the file. Nothing of the file is read at build time.

use super::connect::{WireGuard, resolv_conf_path};
use super::connect_units::{Ctx, guard_unit_name, relations_of_sections, wireguard_oneshot};
use super::guard::guard_table;
use super::{ExtraUnit, ScriptBody, Template, UnitValue};
use crate::source::Span;

/// The tunnel's unit for a wg-quick file at `file` (a path, checked to be absolute).
pub(super) fn wireguard_file_unit(ctx: &Ctx, wg: &WireGuard, file: &str) -> ExtraUnit {
    // Raw: emit quotes each value for the shell.
    let v = |s: &str| s.to_string();
    let settings = [
        ("ip", v(&ctx.tools.ip)),
        ("wg", v(&ctx.tools.wg)),
        ("nft", v(&ctx.tools.nft)),
        ("wireguard_go", v(&ctx.tools.wireguard_go)),
        ("implementation", v(&wg.implementation.value)),
        ("namespace", v(&ctx.ns.name)),
        ("interface", v(&wg.interface.value)),
        ("config_file", v(file)),
        ("resolv_conf", v(&resolv_conf_path(&ctx.ns.name))),
        ("PATH", v(&path_of(&ctx.tools.default_path))),
    ];
    let up = ScriptBody::Template {
        settings: settings.into(),
        template: Template::WgQuickFile,
    };
    let mut unit = wireguard_oneshot(ctx, wg, Some(file), up);
    if let Some(table) = guard_table(&ctx.ns.connect) {
        follow_guard(ctx, &mut unit, table.dns.is_some(), wg.span);
    }
    unit
}

/// With a guard (SPEC §13), the tunnel starts after it: its table's DNS sets must be there for
/// the file's servers, and with `ipv6 = "disable"` IPv6 must be off before the addresses are
/// added (the script leaves the IPv6 ones out then). With `dns.strict`, each time the guard
/// loads the table again (which empties the sets) the tunnel's `ExecReload=` adds the file's
/// servers again: `ReloadPropagatedFrom=` the guard, ordered after it.
fn follow_guard(ctx: &Ctx, unit: &mut ExtraUnit, strict_dns: bool, span: Span) {
    let guard = guard_unit_name(&ctx.ns.unit_name);
    for (name, keys) in &mut unit.sections {
        match *name {
            "Unit" => {
                if let Some((_, UnitValue::Units(after))) = keys.iter_mut().find(|(k, _)| *k == "After") {
                    after.push(guard.clone());
                }
                if strict_dns {
                    keys.push(("ReloadPropagatedFrom", UnitValue::units([&guard])));
                }
            }
            "Service" if strict_dns => {
                keys.push((
                    "ExecReload",
                    UnitValue::Exec(ctx.run(&unit.unit, "start").words(&["dns-allow"])),
                ));
            }
            _ => continue,
        }
        keys.sort_by_key(|(k, _)| *k);
    }
    unit.relations = relations_of_sections(&unit.sections, span);
}

/// `PATH` for a script of ours: the `bin` folders of the default path's packages (the script
/// calls `tr`, `date`, `sleep`, `systemctl` by name).
pub fn path_of(default_path: &[String]) -> String {
    let mut bins: Vec<String> = Vec::new();
    for bin in default_path.iter().map(|p| format!("{p}/bin")) {
        if !bins.contains(&bin) {
            bins.push(bin);
        }
    }
    bins.join(":")
}
