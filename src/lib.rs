//! netns-compile: the NixOS `services.netns` module as a compiler.
//!
//! The pipeline, one folder a stage, each importing only those before it:
//! `syntax` → `eval` → `module` (definitions, priorities, merging, defaults) → `frontend`
//! (JSON, or `.nix` through `syntax` and `eval`, into module definitions) → `model` (the typed
//! config) → `graph` (the units' ordering) → `check` (model and graph) → `emit` (units,
//! scripts, manifest, graph) → `output` (the atomic write); `audit` (beside `check`) says where
//! each joined service's traffic can go. `source`, `diagnostic`, `node`
//! `dependency` and `prefix` are the ground floor. [`compile`] is the one entry point: it reads
//! the input through the frontend ([`input`]) and runs the pipeline; the CLI parses arguments,
//! calls it and prints.

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
pub mod input;
pub mod install;
pub mod model;
pub mod module;
pub mod module_rules;
pub mod nix_text;
pub mod node;
pub mod output;
pub mod package;
pub mod prefix;
pub mod source;
pub mod stable_sort;
pub mod suggest;
pub mod syntax;

use diagnostic::Diagnostics;
use emit::OutputTree;
use input::{Input, Loaded, ReadOptions};
use model::{Model, Tools};
use module::config::{ResolvedConfig, resolve_config};
use node::Node;
use prefix::Prefix;
use source::SourceMap;

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

/// Why [`compile`] (or another entry) gave nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A usage or I/O problem (a missing file, an input of no known kind): the message.
    Usage(String),
    /// The input could not be read into modules: the reasons are in the diagnostics.
    Unreadable,
    /// The configuration has errors (in the diagnostics).
    Invalid,
}

/// How to read and compile.
#[derive(Clone, Debug)]
pub struct Options {
    pub read: ReadOptions,
    /// The absolute path the output tree will have (units name scripts under it).
    pub prefix: Prefix,
}

/// The one entry point: read `input` through the frontend, then resolve, model, check, graph
/// and emit. Diagnostics (warnings too, on success) go into `diags`, located in `sources`.
pub fn compile(
    input: &Input,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<Compiled, Failure> {
    input::load(input, &options.read, sources, diags)?.compile(&options.prefix, diags)
}

/// [`compile`] without the output tree (what `check` and `audit` need).
pub fn analyse(
    input: &Input,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<Analysis, Failure> {
    let Loaded { tools, modules } = input::load(input, &options.read, sources, diags)?;
    analyse_modules(modules, tools, options.prefix.as_str(), diags).ok_or(Failure::Invalid)
}

/// The resolved `services.netns.namespaces` as JSON (what `resolve` prints). Its model is
/// built too: NixOS rejects conflicts inside the generated services, and merging finds them.
pub fn resolve(
    input: &Input,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<serde_json::Value, Failure> {
    let (config, _) = resolve_and_model(input, options, sources, diags)?;
    Ok(module::config::resolved_json(&config))
}

/// The unit graph of the model (what `graph` prints), even when ordering checks would fail:
/// that is when one wants to see it.
pub fn unit_graph(
    input: &Input,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<graph::UnitGraph, Failure> {
    let (_, model) = resolve_and_model(input, options, sources, diags)?;
    Ok(graph::build_unit_graph(&model))
}

/// Read, resolve and build the model, without its checks.
fn resolve_and_model(
    input: &Input,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<(ResolvedConfig, Model), Failure> {
    let Loaded { tools, modules } = input::load(input, &options.read, sources, diags)?;
    let config = resolve_config(&modules, diags);
    let model = build_model(&config, tools, options.prefix.as_str(), diags);
    if diags.has_errors() {
        return Err(Failure::Invalid);
    }
    Ok((config, model))
}

impl Loaded {
    /// Compile what was read for `prefix` (an install reads once, then builds for the
    /// generation it makes). The modules are dropped once resolved: nothing after reads
    /// them, and their memory serves the later stages.
    pub fn compile(self, prefix: &Prefix, diags: &mut Diagnostics) -> Result<Compiled, Failure> {
        let config = resolve_config(&self.modules, diags);
        drop(self.modules);
        compile_resolved(config, self.tools, prefix.as_str(), diags).ok_or(Failure::Invalid)
    }
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

/// The pure pipeline from definition trees: resolve, model, check, graph, emit. `prefix` is
/// the absolute path the output tree will have. `None` when there are errors (in `diags`).
pub fn compile_modules(
    modules: &[Node],
    tools: ToolsChoice,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Compiled> {
    let config = resolve_config(modules, diags);
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

/// Resolve, build the model, order it and check it: everything but the output tree. The
/// modules are dropped once resolved (see [`Loaded::compile`]). `None` when there are errors.
pub fn analyse_modules(
    modules: Vec<Node>,
    tools: ToolsChoice,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<Analysis> {
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
    // The checks and the graph read the model only: for a large one, at once.
    let ((), graph) = diagnostic::parts::side_by_side(
        model.namespaces.len() >= diagnostic::parts::MIN_PART,
        diags,
        |diags| check::check_model(&model, diags),
        || graph::build_unit_graph(&model),
    );
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
