//! netns-compile: the NixOS `services.netns` module as a compiler.
//!
//! The pipeline, one folder a stage, each importing only those before it:
//! `syntax` → `eval` → `module` (definitions, priorities, merging, defaults) → `frontend`
//! (JSON, or `.nix` through `syntax` and `eval`, into module definitions) → `model` (the typed
//! config) → `graph` (the units' ordering) → `check` (model and graph) → `emit` (units,
//! scripts, manifest, graph) → `output` (the atomic write); `audit` (beside `check`) says where
//! each joined service's traffic can go. `source`, `diagnostic`, `node`
//! and `dependency` are the ground floor. [`compile`] runs the pure part; the CLI does the I/O.

// Diagnostics travel in `Err` on cold paths only; boxing them would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod audit;
pub mod check;
pub mod cli;
pub mod dependency;
pub mod diagnostic;
pub mod emit;
pub mod eval;
pub mod frontend;
pub mod graph;
pub mod install;
pub mod model;
pub mod module;
pub mod node;
pub mod output;
pub mod source;
pub mod suggest;
pub mod syntax;

use diagnostic::Diagnostics;
use emit::OutputTree;
use model::{Model, Tools};
use module::config::{ResolvedConfig, resolve_config};
use node::Node;

/// Which programs the units call.
// Made once per run: boxing the tools would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ToolsChoice {
    /// From the input's `tools` key (defaults for what it does not name).
    FromInput,
    /// Given explicitly (`--tools FILE`, `--host-tools`).
    Given(Tools),
}

/// What the checks and the graph make of a configuration.
#[derive(Debug)]
pub struct Analysis {
    pub config: ResolvedConfig,
    pub model: Model,
    pub graph: graph::UnitGraph,
}

/// Everything a successful compile produces.
#[derive(Debug)]
pub struct Compiled {
    pub analysis: Analysis,
    pub tree: OutputTree,
}

/// Resolve the options (what `netns-compile resolve` prints).
pub fn resolve(modules: &[Node], diags: &mut Diagnostics) -> ResolvedConfig {
    resolve_config(modules, diags)
}

/// Resolve the tools and build the typed model of a resolved config.
pub fn build_model(config: &ResolvedConfig, tools: ToolsChoice, prefix: &str, diags: &mut Diagnostics) -> Model {
    let tools = match tools {
        ToolsChoice::Given(t) => t,
        ToolsChoice::FromInput => match config.tools.as_ref().map(Tools::from_node) {
            None => Tools::default(),
            Some(Ok(t)) => t,
            Some(Err(d)) => {
                diags.push(d);
                Tools::default()
            }
        },
    };
    model::build::build_model(config, tools, prefix, diags)
}

/// The whole pure pipeline: resolve, model, check, graph, emit. `prefix` is the absolute
/// path the output tree will have. Returns `None` when there are errors (in `diags`).
pub fn compile(modules: &[Node], tools: ToolsChoice, prefix: &str, diags: &mut Diagnostics) -> Option<Compiled> {
    let config = resolve_config(modules, diags);
    compile_resolved(config, tools, prefix, diags)
}

/// [`compile`], dropping the modules once they are resolved: nothing after reads them, and
/// their memory serves the later stages (what the command line does).
pub fn compile_owned(
    modules: Vec<Node>,
    tools: ToolsChoice,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Compiled> {
    let config = resolve_config(&modules, diags);
    drop(modules);
    compile_resolved(config, tools, prefix, diags)
}

fn compile_resolved(
    config: ResolvedConfig,
    tools: ToolsChoice,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Compiled> {
    let analysis = analyse_resolved(config, tools, prefix, diags)?;
    let tree = emit_tree(&analysis, diags);
    Some(Compiled { analysis, tree })
}

/// Resolve, build the model, order it and check it: everything but the output tree (what
/// `netns-compile check` needs). The modules are dropped once resolved (see
/// [`compile_owned`]). `None` when there are errors.
pub fn analyse(modules: Vec<Node>, tools: ToolsChoice, prefix: &str, diags: &mut Diagnostics) -> Option<Analysis> {
    let config = resolve_config(&modules, diags);
    drop(modules);
    analyse_resolved(config, tools, prefix, diags)
}

fn analyse_resolved(
    config: ResolvedConfig,
    tools: ToolsChoice,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Analysis> {
    let model = build_model(&config, tools, prefix, diags);
    check::check_model(&model, diags);
    let graph = graph::build_unit_graph(&model);
    check::ordering::check_ordering(&model, &graph, diags);
    if diags.has_errors() {
        return None;
    }
    Some(Analysis { config, model, graph })
}

/// The checks only the real tools can make (`check --probe`): `nft -c` of every ruleset and
/// the kernel's sysctl keys, in throwaway network namespaces. `Err` when they cannot run.
pub fn probe(analysis: &Analysis, diags: &mut Diagnostics) -> Result<(), String> {
    let prober = check::probe::Prober::find(&analysis.model)?;
    check::probe::probe_model(&analysis.model, &prober, diags)
}

/// The output tree of an analysed configuration (units, scripts, manifest, graph).
pub fn emit_tree(analysis: &Analysis, diags: &Diagnostics) -> OutputTree {
    let Analysis { config, model, graph } = analysis;
    emit::emit_tree(config, model, graph, diags)
}
