//! The checks that need the unit graph: ordering cycles and namespaces started too late.

use crate::dependency::{DepOption, Relation};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::graph::{Cycle, OrderingStep, UnitGraph};
use crate::model::Model;

/// Ordering cycles (errors) and namespaces ordered after `network.target` (warnings).
pub fn check_ordering(model: &Model, graph: &UnitGraph, diags: &mut Diagnostics) {
    let cycles = graph.cycles();
    for cycle in &cycles {
        diags.push(cycle_diagnostic(cycle, model));
    }
    for ns in &model.namespaces {
        if cycles.iter().any(|c| c.units.contains(&ns.unit_name)) {
            continue;
        }
        for Relation { option, target, span } in &ns.unit.relations {
            if *option != DepOption::After || span.is_builtin() {
                continue;
            }
            if let Some(path) = graph.is_ordered_after(target, "network.target") {
                diags.push(
                    Diagnostic::new(
                        Code::LateOrdering,
                        format!(
                            "namespace unit {} is ordered after {target}, which starts after network.target",
                            ns.unit_name
                        ),
                    )
                    .at(*span, format!("{} waits for {target}", ns.unit_name))
                    .note(format!("{target} is after network.target: {}", show_path(&path)))
                    .note("services that join the namespace expect it before the network is up"),
                );
            }
        }
    }
}

fn show_path(steps: &[OrderingStep]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for s in steps {
        if parts.last() != Some(&s.first.as_str()) {
            parts.push(&s.first);
        }
        parts.push(&s.then);
    }
    parts.join(" → ")
}

fn cycle_diagnostic(cycle: &Cycle, model: &Model) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::OrderingCycle,
        format!("ordering cycle: {}", show_path(&cycle.steps)),
    );
    for step in &cycle.steps {
        let what = format!("{} {}={}", step.declared_by, step.option, other(step));
        match step.span {
            Some(span) if !span.is_builtin() => {
                d = d.also(span, format!("{what}: {} starts before {}", step.first, step.then))
            }
            _ => {
                // Unwritten orderings come from the netns module (its own units) or systemd.
                let by = if model.namespaces.iter().any(|n| n.unit_name == step.declared_by) {
                    "the netns module"
                } else {
                    "systemd"
                };
                d = d.note(format!(
                    "{what} (set by {by}): {} starts before {}",
                    step.first, step.then
                ))
            }
        }
    }
    d.help("systemd breaks such a cycle by dropping a job at random; remove one of these orderings")
}

/// The unit named on the declaring side of a step.
fn other(step: &OrderingStep) -> &str {
    if step.declared_by == step.first {
        &step.then
    } else {
        &step.first
    }
}
