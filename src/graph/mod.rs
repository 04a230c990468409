//! The unit graph: ordering and requirement edges between the generated units, the services
//! that join them, every unit their options name, and systemd's standard targets (SPEC §5).
//!
//! [`build_unit_graph`] declares the units of a model; [`build_graph`] takes units so declared
//! ([`UnitDecl`]: every relation the unit file says, including the module's own
//! `Before=network.target`) and adds what systemd adds by itself (see [`systemd`]):
//! - the ordering among the standard targets, as their shipped unit files declare it;
//! - a service's default dependencies: `After=sysinit.target basic.target`,
//!   `Before=shutdown.target` (option [`DepOption::DefaultDependencies`], no span);
//! - a target's implicit `After=` on a unit it wants or requires, including through the
//!   unit's `WantedBy=`/`RequiredBy=` (systemd.target(5)), unless the target is already
//!   ordered before that unit or either side has `DefaultDependencies=no`.
//!
//! Orderings are normalised to one direction: an ordering edge `first → then` means `first`
//! starts before `then`, whether `then` said `After=first` or `first` said `Before=then`.
//! Requirement edges (`Requires=`, `Wants=`, …) and conflicts are kept for display but do not
//! order anything by themselves — systemd starts `A Requires=B` without `After=` in parallel.
//!
//! ## Default dependencies and the namespace units
//!
//! Every service is ordered after basic.target, and a namespace unit is `Before=network.target`.
//! That makes network.target (transitively) later than basic.target, which is harmless: systemd
//! orders network.target neither before basic.target nor before sysinit.target, so the
//! implicit edges close no cycle on their own. They do close the real ones: a namespace ordered
//! `before = [ "sysinit.target" ]` (or before anything sysinit.target precedes) is a cycle in
//! systemd too, and it is reported with the `DefaultDependencies` step that makes it one.
//!
//! The input does not say whether a unit sets `DefaultDependencies=no`: every `.service` node
//! is assumed to keep the default. For a referenced early-boot service that does not (e.g.
//! `systemd-networkd.service`), the graph holds two edges that systemd does not have; they can
//! only matter if the config also orders that service before sysinit.target or basic.target.
//!
//! ## Cycles
//!
//! Each strongly connected component of the ordering edges (or a unit ordered after itself) is
//! reported once, as one shortest cycle through its lexicographically smallest unit, every
//! step with the unit and option that declared it.

mod model_units;
mod render;
pub mod systemd;
#[cfg(test)]
mod tests;

use crate::dependency::{DepOption, EdgeKind, Relation};
use crate::source::Span;
pub use model_units::build_unit_graph;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

/// What a node of the graph is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitRole {
    /// A unit generated for a namespace (`netns-<escaped>.service`).
    Namespace,
    /// A service that joins a namespace (it gets a drop-in).
    Joining,
    /// A unit a connectivity option adds (SPEC §11: a published port, a host link, WireGuard).
    Connect,
    /// A unit that is only named by some relation.
    Referenced,
    /// One of systemd's standard targets (systemd.special(7)).
    StandardTarget,
}

impl UnitRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitRole::Namespace => "namespace",
            UnitRole::Joining => "joining",
            UnitRole::Connect => "connect",
            UnitRole::Referenced => "referenced",
            UnitRole::StandardTarget => "standard_target",
        }
    }

    /// Which role wins when a unit is several things: a declaration beats a name in the
    /// standard-target table, which beats a mere reference.
    fn rank(self) -> u8 {
        match self {
            UnitRole::Namespace => 0,
            UnitRole::Joining => 1,
            UnitRole::Connect => 2,
            UnitRole::StandardTarget => 3,
            UnitRole::Referenced => 4,
        }
    }
}

/// A unit the config declares, with every dependency its unit file (or drop-in) will say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitDecl {
    /// The full unit name, e.g. `netns-vpn.service`.
    pub name: String,
    pub role: UnitRole,
    pub relations: Vec<Relation>,
}

/// One ordering edge, with its provenance: `first` starts before `then` because unit
/// `declared_by` says `option=` (`span` is where; `None` for what systemd adds by itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderingStep {
    pub first: String,
    pub then: String,
    pub declared_by: String,
    pub option: DepOption,
    pub span: Option<Span>,
}

/// An elementary ordering cycle: `units[0]` before `units[1]` … before `units[0]`.
/// `steps[i]` orders `units[i]` before `units[(i + 1) % len]`; `Display` repeats `units[0]`
/// at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub units: Vec<String>,
    pub steps: Vec<OrderingStep>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for unit in &self.units {
            write!(f, "{unit} → ")?;
        }
        match self.units.first() {
            Some(first) => f.write_str(first),
            None => Ok(()),
        }
    }
}

/// Index of a node; nodes are sorted by name, so comparing ids compares names.
type NodeId = u32;
/// Index into [`UnitGraph::edges`].
type EdgeId = u32;

#[derive(Clone, Debug)]
struct Node {
    name: String,
    role: UnitRole,
}

#[derive(Clone, Debug)]
struct Edge {
    from: NodeId,
    to: NodeId,
    kind: EdgeKind,
    declared_by: NodeId,
    option: DepOption,
    span: Option<Span>,
}

impl Edge {
    /// Provenance preference when one pair of units is ordered by several edges: what the
    /// user wrote, then what netns-compile wrote, then what systemd implies.
    fn provenance_rank(&self) -> u8 {
        match self.span {
            Some(span) if !span.is_builtin() => 0,
            Some(_) => 1,
            None => 2,
        }
    }

    fn identity(&self) -> (NodeId, NodeId, EdgeKind, NodeId, DepOption) {
        (self.from, self.to, self.kind, self.declared_by, self.option)
    }

    fn sort_key(&self) -> (NodeId, NodeId, EdgeKind, u8, NodeId, DepOption) {
        (
            self.from,
            self.to,
            self.kind,
            self.provenance_rank(),
            self.declared_by,
            self.option,
        )
    }
}

/// The unit graph with its start order and cycles, computed once by [`build_graph`].
#[derive(Clone, Debug)]
pub struct UnitGraph {
    nodes: Vec<Node>,
    index: HashMap<String, NodeId>,
    /// All edges, sorted by `(from, to, kind, provenance, declared_by, option)`, no duplicates.
    edges: Vec<Edge>,
    /// Ordering successors of each node: `(then, edge)`, one edge per pair (the best-sourced
    /// one), sorted by `then`.
    successors: Vec<Vec<(NodeId, EdgeId)>>,
    start_order: Vec<NodeId>,
    cycles: Vec<Cycle>,
}

/// Builds the graph of `units` plus what systemd adds (see the module documentation). The
/// result does not depend on the order of `units` or of their relations.
pub fn build_graph(units: &[UnitDecl]) -> UnitGraph {
    let (nodes, index) = collect_nodes(units);
    let edges = collect_edges(units, &nodes, &index);
    let successors = ordering_successors(nodes.len(), &edges);
    let start_order = topological_order(&successors);
    let mut graph = UnitGraph {
        nodes,
        index,
        edges,
        successors,
        start_order,
        cycles: Vec::new(),
    };
    graph.cycles = graph.find_cycles();
    graph
}

/// Every unit that is declared, named by a relation, or a standard target; sorted by name.
fn collect_nodes(units: &[UnitDecl]) -> (Vec<Node>, HashMap<String, NodeId>) {
    let mut roles: HashMap<&str, UnitRole> = HashMap::default();
    let mut merge = |name, role: UnitRole| {
        roles
            .entry(name)
            .and_modify(|old: &mut UnitRole| {
                if role.rank() < old.rank() {
                    *old = role;
                }
            })
            .or_insert(role);
    };
    for &target in systemd::STANDARD_TARGETS {
        merge(target, UnitRole::StandardTarget);
    }
    for unit in units {
        merge(unit.name.as_str(), unit.role);
        for relation in &unit.relations {
            merge(relation.target.as_str(), UnitRole::Referenced);
        }
    }
    let mut nodes: Vec<Node> = roles
        .into_iter()
        .map(|(name, role)| Node {
            name: name.to_owned(),
            role,
        })
        .collect();
    nodes.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let index = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.name.clone(), i as NodeId))
        .collect();
    (nodes, index)
}

/// Every edge: the standard targets' ordering, the declared relations, the services' default
/// dependencies, and the targets' implicit ordering after what they want. Sorted, deduplicated.
fn collect_edges(units: &[UnitDecl], nodes: &[Node], index: &HashMap<String, NodeId>) -> Vec<Edge> {
    let id = |name: &str| index.get(name).copied();
    let mut edges = Vec::new();

    for row in systemd::STANDARD_ORDERING {
        if let (Some(from), Some(to), Some(declared_by)) = (id(row.first), id(row.then), id(row.declared_by)) {
            edges.push(Edge {
                from,
                to,
                kind: EdgeKind::Order,
                declared_by,
                option: row.option,
                span: None,
            });
        }
    }

    for unit in units {
        let Some(unit_id) = id(&unit.name) else {
            continue;
        };
        for relation in &unit.relations {
            let Some(other) = id(&relation.target) else {
                continue;
            };
            let Some(effect) = relation.option.info().effect else {
                continue;
            };
            let (from, to) = if effect.from_target {
                (other, unit_id)
            } else {
                (unit_id, other)
            };
            edges.push(Edge {
                from,
                to,
                kind: effect.kind,
                declared_by: unit_id,
                option: relation.option,
                span: Some(relation.span),
            });
        }
    }

    for (service, node) in nodes.iter().enumerate() {
        let defaults = if node.name.ends_with(".service") {
            systemd::SERVICE_DEFAULT_ORDERING
        } else if node.name.ends_with(".socket") {
            systemd::SOCKET_DEFAULT_ORDERING
        } else {
            continue;
        };
        let service = service as NodeId;
        for &(target, after) in defaults {
            let Some(target) = id(target) else {
                continue;
            };
            let (from, to) = if after { (target, service) } else { (service, target) };
            edges.push(Edge {
                from,
                to,
                kind: EdgeKind::Order,
                declared_by: service,
                option: DepOption::DefaultDependencies,
                span: None,
            });
        }
    }

    // A target that wants or requires a unit starts after it, unless the target is already
    // ordered before the unit (systemd does not create the loop) or either side has
    // `DefaultDependencies=no`. The step keeps the provenance of the requirement.
    let ordered: HashSet<(NodeId, NodeId)> = edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Order)
        .map(|e| (e.from, e.to))
        .collect();
    let implied: Vec<Edge> = edges
        .iter()
        .filter(|e| {
            let target = &nodes[e.from as usize].name;
            let unit = &nodes[e.to as usize].name;
            e.kind == EdgeKind::Requirement
                && e.from != e.to
                && e.option.info().orders_target_after
                && target.ends_with(".target")
                && systemd::has_default_dependencies(target)
                && systemd::has_default_dependencies(unit)
                && !ordered.contains(&(e.from, e.to))
        })
        .map(|e| Edge {
            from: e.to,
            to: e.from,
            kind: EdgeKind::Order,
            declared_by: e.declared_by,
            option: e.option,
            span: e.span,
        })
        .collect();
    edges.extend(implied);

    // One edge per (from, to, kind, declared_by, option): the best-sourced one, then the
    // first span, so that the choice does not depend on the input's order.
    edges.sort_unstable_by_key(|e| {
        (
            e.identity(),
            e.provenance_rank(),
            e.span.map(|s| (s.file, s.start, s.end)),
        )
    });
    edges.dedup_by(|later, earlier| later.identity() == earlier.identity());
    edges.sort_by_key(Edge::sort_key);
    edges
}

/// The ordering successors of each node, one edge per pair of units (the first in edge order,
/// i.e. the best-sourced one), sorted by successor.
fn ordering_successors(node_count: usize, edges: &[Edge]) -> Vec<Vec<(NodeId, EdgeId)>> {
    let mut successors: Vec<Vec<(NodeId, EdgeId)>> = vec![Vec::new(); node_count];
    for (edge_id, edge) in edges.iter().enumerate() {
        if edge.kind != EdgeKind::Order {
            continue;
        }
        let list = &mut successors[edge.from as usize];
        if list.last().map(|&(then, _)| then) != Some(edge.to) {
            list.push((edge.to, edge_id as EdgeId));
        }
    }
    successors
}

/// Kahn's algorithm, always taking the smallest name among the units that are ready. Units
/// that never become ready (on a cycle, or ordered after one) follow in name order.
fn topological_order(successors: &[Vec<(NodeId, EdgeId)>]) -> Vec<NodeId> {
    let node_count = successors.len();
    let mut in_degree = vec![0u32; node_count];
    for list in successors {
        for &(then, _) in list {
            in_degree[then as usize] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<NodeId>> = (0..node_count as NodeId)
        .filter(|&v| in_degree[v as usize] == 0)
        .map(Reverse)
        .collect();
    let mut placed = vec![false; node_count];
    let mut order = Vec::with_capacity(node_count);
    while let Some(Reverse(v)) = ready.pop() {
        placed[v as usize] = true;
        order.push(v);
        for &(then, _) in &successors[v as usize] {
            let degree = &mut in_degree[then as usize];
            *degree -= 1;
            if *degree == 0 {
                ready.push(Reverse(then));
            }
        }
    }
    order.extend((0..node_count as NodeId).filter(|&v| !placed[v as usize]));
    order
}

impl UnitGraph {
    /// One shortest elementary cycle per strongly connected component of the ordering edges
    /// (and per unit ordered after itself), starting at the component's smallest unit name;
    /// sorted by that name.
    pub fn cycles(&self) -> Vec<Cycle> {
        self.cycles.clone()
    }

    /// All units in a start order that respects every ordering edge, ties broken by name.
    /// Units on a cycle, and those ordered after one, come last, in name order.
    pub fn start_order(&self) -> Vec<String> {
        self.start_order
            .iter()
            .map(|&v| self.nodes[v as usize].name.clone())
            .collect()
    }

    /// Whether `a` starts after `b`, directly or transitively: the shortest chain of ordering
    /// steps from `b` to `a`. `None` when there is none or a unit is not in the graph.
    pub fn is_ordered_after(&self, a: &str, b: &str) -> Option<Vec<OrderingStep>> {
        let goal = *self.index.get(a)?;
        let start = *self.index.get(b)?;
        let mut parent: HashMap<NodeId, (NodeId, EdgeId)> = HashMap::default();
        let mut queue = VecDeque::from([start]);
        while let Some(v) = queue.pop_front() {
            for &(w, edge) in &self.successors[v as usize] {
                if w == goal {
                    let mut path = vec![edge];
                    let mut at = v;
                    while at != start {
                        let &(previous, edge) = parent.get(&at)?;
                        path.push(edge);
                        at = previous;
                    }
                    path.reverse();
                    return Some(path.into_iter().map(|e| self.step(e)).collect());
                }
                if w != start && !parent.contains_key(&w) {
                    parent.insert(w, (v, edge));
                    queue.push_back(w);
                }
            }
        }
        None
    }

    /// The role of a unit, if it is in the graph.
    pub fn role(&self, unit: &str) -> Option<UnitRole> {
        let &id = self.index.get(unit)?;
        Some(self.nodes[id as usize].role)
    }

    fn step(&self, edge: EdgeId) -> OrderingStep {
        let edge = &self.edges[edge as usize];
        OrderingStep {
            first: self.nodes[edge.from as usize].name.clone(),
            then: self.nodes[edge.to as usize].name.clone(),
            declared_by: self.nodes[edge.declared_by as usize].name.clone(),
            option: edge.option,
            span: edge.span,
        }
    }

    fn find_cycles(&self) -> Vec<Cycle> {
        let node_count = self.nodes.len();
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(node_count, 0);
        for _ in 0..node_count {
            graph.add_node(());
        }
        for (first, list) in self.successors.iter().enumerate() {
            for &(then, _) in list {
                graph.add_edge(NodeIndex::new(first), NodeIndex::new(then as usize), ());
            }
        }
        // Kosaraju rather than Tarjan: petgraph's Tarjan recurses once per unit of a chain.
        let components = petgraph::algo::kosaraju_scc(&graph);

        let mut component = vec![0usize; node_count];
        for (c, members) in components.iter().enumerate() {
            for v in members {
                component[v.index()] = c;
            }
        }
        let mut parent: Vec<Option<(NodeId, EdgeId)>> = vec![None; node_count];
        let mut cycles = Vec::new();
        for (c, members) in components.iter().enumerate() {
            let Some(start) = members.iter().map(|v| v.index() as NodeId).min() else {
                continue;
            };
            let self_loop = self.successors[start as usize].iter().find(|&&(then, _)| then == start);
            let path = match self_loop {
                Some(&(_, edge)) => vec![edge],
                None if members.len() > 1 => {
                    match self.shortest_cycle(start, |v| component[v as usize] == c, &mut parent) {
                        Some(path) => path,
                        None => continue,
                    }
                }
                None => continue,
            };
            let steps: Vec<OrderingStep> = path.iter().map(|&e| self.step(e)).collect();
            let units = steps.iter().map(|s| s.first.clone()).collect();
            cycles.push((start, Cycle { units, steps }));
        }
        cycles.sort_unstable_by_key(|&(start, _)| start);
        cycles.into_iter().map(|(_, cycle)| cycle).collect()
    }

    /// Breadth-first search for the shortest path from `start` back to itself through nodes
    /// `inside` allows. `parent` is all `None` on entry and left so.
    fn shortest_cycle(
        &self,
        start: NodeId,
        inside: impl Fn(NodeId) -> bool,
        parent: &mut [Option<(NodeId, EdgeId)>],
    ) -> Option<Vec<EdgeId>> {
        let mut touched = Vec::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(v) = queue.pop_front() {
            for &(w, edge) in &self.successors[v as usize] {
                if w == start {
                    closing = Some((v, edge));
                    break 'search;
                }
                if inside(w) && parent[w as usize].is_none() {
                    parent[w as usize] = Some((v, edge));
                    touched.push(w);
                    queue.push_back(w);
                }
            }
        }
        let path = closing.and_then(|(mut at, edge)| {
            let mut path = vec![edge];
            while at != start {
                let (previous, edge) = parent[at as usize]?;
                path.push(edge);
                at = previous;
            }
            path.reverse();
            Some(path)
        });
        for w in touched {
            parent[w as usize] = None;
        }
        path
    }
}
