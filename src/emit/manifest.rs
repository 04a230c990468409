//! The manifest (SPEC §4): the resolved config, the units and drop-ins written, the start
//! order and the warnings.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::graph::UnitGraph;
use crate::model::Model;
use crate::module::config::{ResolvedConfig, resolved_json};

/// Where the manifest is, relative to the output root. It also marks a folder this program
/// wrote: only such a folder (or an empty one) is replaced.
pub const MANIFEST: &str = "share/netns-compile/manifest.json";

/// [`MANIFEST`]: resolved config, units, start order, warnings.
pub fn render_manifest(config: &ResolvedConfig, model: &Model, graph: &UnitGraph, diags: &Diagnostics) -> String {
    use serde_json::json;
    // Sorted by what they say, not where: the manifest is the same from `.nix` and `.json`.
    let mut warnings: Vec<(&str, &str)> = diags
        .warnings()
        .map(|d: &Diagnostic| (d.code.as_str(), d.message.as_str()))
        .collect();
    warnings.sort();
    warnings.dedup();
    let warnings: Vec<serde_json::Value> = warnings
        .into_iter()
        .map(|(code, message)| json!({ "code": code, "message": message }))
        .collect();
    let units: Vec<serde_json::Value> = model
        .namespaces
        .iter()
        .map(|ns| {
            let mut entry = json!({
                "namespace": ns.name,
                "unit": ns.unit_name,
                "enabled": ns.unit.enabled,
                // A masked unit's scripts are not written (`emit::MASKED`).
                "scripts": ns.unit.scripts.iter().filter(|_| ns.unit.enabled).map(|s| s.name.clone()).collect::<Vec<_>>(),
                "wantedBy": ns.unit.wanted_by,
                "requiredBy": ns.unit.required_by,
            });
            // What only some units have is listed only where it is.
            let u = &ns.unit;
            let optional = [
                ("upheldBy", json!(u.upheld_by), !u.upheld_by.is_empty()),
                ("aliases", json!(u.aliases), !u.aliases.is_empty()),
                ("timer", json!(super::timer_name(&u.name)), u.enabled && !u.start_at.is_empty()),
            ];
            for (key, value, present) in optional {
                if present {
                    entry[key] = value;
                }
            }
            entry
        })
        .collect();
    let dropins: Vec<serde_json::Value> = model
        .joining
        .iter()
        .chain(&model.wireguard_interfaces)
        .map(|s| json!({ "service": s.unit_name, "namespace": s.namespace }))
        .collect();
    let mut value = json!({
        "generator": concat!("netns-compile ", env!("CARGO_PKG_VERSION")),
        "namespaces": resolved_json(config),
        "nftables": { "enable": model.nftables_enable },
        "units": units,
        "dropins": dropins,
        "startOrder": graph.start_order(),
        "warnings": warnings,
    });
    // Only with a connectivity option in use: a seed config's manifest stays as it was.
    if !model.connect_units.is_empty() {
        let connect: Vec<serde_json::Value> = model
            .connect_units
            .iter()
            .map(|u| {
                json!({
                    "namespace": u.namespace,
                    "unit": u.unit,
                    "file": u.file,
                    "scripts": u.scripts.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
                    "wantedBy": u.wanted_by,
                })
            })
            .collect();
        value["connect"] = serde_json::Value::Array(connect);
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
