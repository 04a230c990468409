//! The graph as Graphviz DOT and as JSON (`netns-compile graph --format dot|json`).

use super::{Cycle, Edge, UnitGraph, UnitRole};
use crate::dependency::{DepOption, EdgeKind};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fmt::Write as _;

impl UnitGraph {
    /// The graph in Graphviz DOT: nodes in name order, edges in `(from, to)` order, one per
    /// line; the same graph always gives the same text.
    ///
    /// An edge `a -> b` means: `a` starts before `b` (solid), `a` pulls in `b` (dashed), or `a`
    /// conflicts with `b` (dotted). The option is written at the end of the unit that declared
    /// it; gray unlabelled edges are systemd's default dependencies; red edges are steps of a
    /// reported cycle.
    pub fn to_dot(&self) -> String {
        let on_cycle: HashSet<(&str, &str)> = self
            .cycles
            .iter()
            .flat_map(|cycle| cycle.steps.iter())
            .map(|step| (step.first.as_str(), step.then.as_str()))
            .collect();

        let mut out = String::new();
        out.push_str("// netns-compile unit graph.\n");
        out.push_str("// a -> b: a starts before b (solid), a pulls in b (dashed), a conflicts with b (dotted).\n");
        out.push_str("// Each option sits at the end of the unit that declared it; gray edges are systemd's\n");
        out.push_str("// default dependencies; red edges close an ordering cycle.\n");
        out.push_str("digraph units {\n");
        out.push_str("    rankdir=LR;\n");
        out.push_str("    node [shape=box];\n");
        for node in &self.nodes {
            let style = match node.role {
                UnitRole::Namespace => "style=\"bold,filled\", fillcolor=lightblue",
                UnitRole::Joining => "style=filled, fillcolor=lightyellow",
                UnitRole::Connect => "style=filled, fillcolor=palegreen",
                UnitRole::Referenced => "style=dashed",
                UnitRole::StandardTarget => "shape=ellipse, color=gray40, fontcolor=gray40",
            };
            let _ = writeln!(out, "    {} [{style}];", quote(&node.name));
        }
        for edge in &self.edges {
            let from = &self.nodes[edge.from as usize].name;
            let to = &self.nodes[edge.to as usize].name;
            let mut attributes = Vec::new();
            match edge.kind {
                EdgeKind::Order => {}
                EdgeKind::Requirement => attributes.push("style=dashed".to_owned()),
                EdgeKind::Conflict => attributes.push("style=dotted".to_owned()),
            }
            if edge.option == DepOption::DefaultDependencies {
                attributes.push("color=gray70".to_owned());
            } else {
                attributes.push(self.option_label(edge));
            }
            if edge.kind == EdgeKind::Order && on_cycle.contains(&(from.as_str(), to.as_str())) {
                attributes.push("color=red, penwidth=2".to_owned());
            }
            let _ = writeln!(out, "    {} -> {} [{}];", quote(from), quote(to), attributes.join(", "));
        }
        out.push_str("}\n");
        out
    }

    /// `{nodes: [{name, role}], edges: [{from, to, kind, declared_by, option}], start_order:
    /// [name], cycles: [[name]]}`. An order edge's `from` starts before its `to`; each cycle is
    /// closed: its first unit is repeated at the end.
    pub fn to_json(&self) -> Value {
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|node| json!({ "name": node.name, "role": node.role.as_str() }))
            .collect();
        let edges: Vec<Value> = self
            .edges
            .iter()
            .map(|edge| {
                json!({
                    "from": self.nodes[edge.from as usize].name,
                    "to": self.nodes[edge.to as usize].name,
                    "kind": edge.kind.as_str(),
                    "declared_by": self.nodes[edge.declared_by as usize].name,
                    "option": edge.option.as_str(),
                })
            })
            .collect();
        let cycles: Vec<Value> = self.cycles.iter().map(closed_path).collect();
        json!({
            "nodes": nodes,
            "edges": edges,
            "start_order": self.start_order(),
            "cycles": cycles,
        })
    }

    /// `taillabel`/`headlabel` with `Option=` next to the unit that declared it.
    fn option_label(&self, edge: &Edge) -> String {
        let option = edge.option.as_str();
        if edge.declared_by == edge.from {
            format!("taillabel=\"{option}=\"")
        } else if edge.declared_by == edge.to {
            format!("headlabel=\"{option}=\"")
        } else {
            let by = &self.nodes[edge.declared_by as usize].name;
            format!("label={}", quote(&format!("{option}= ({by})")))
        }
    }
}

fn closed_path(cycle: &Cycle) -> Value {
    let mut units = cycle.units.clone();
    if let Some(first) = cycle.units.first() {
        units.push(first.clone());
    }
    json!(units)
}

/// A DOT quoted string. DOT itself only unescapes `\"`; the backslash is doubled so that
/// Graphviz's label escapes (`\n`, `\N`, …) show a unit name as it is.
fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}
