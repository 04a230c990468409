//! The command line (SPEC §6): argument parsing, reading input, printing results and
//! diagnostics, exit codes. The only place that prints: the stages below return values and
//! [`Diagnostics`]; files are written by `output` (atomically) and `install`.

use crate::diagnostic::{Diagnostics, render_human, to_json};
use crate::input::{Input, ReadOptions, ToolsSource};
use crate::prefix::Prefix;
use crate::source::SourceMap;
use crate::{Failure, Options};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

mod audit;

/// Exit code: the configuration has errors.
pub const EXIT_CONFIG: i32 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: i32 = 2;
pub use crate::input::DEFAULT_MAX_INPUT_BYTES;

#[derive(Parser, Debug)]
#[command(
    name = "netns-compile",
    version,
    about = "Compile NixOS `services.netns` network namespaces into systemd units",
    long_about = "Compile NixOS `services.netns` network namespaces into systemd units.\n\n\
        INPUT is a NixOS configuration or module file ending in .nix (evaluated by the built-in \
        evaluator, no Nix needed), or the JSON that `nix eval --json` prints for it (a file ending \
        in .json, or - for standard input). `netns-compile INPUT` is `netns-compile build INPUT`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write units, drop-ins and scripts into an output folder (atomically).
    Build(BuildArgs),
    /// Check the configuration; write nothing.
    Check(CheckArgs),
    /// Print the resolved `services.netns.namespaces` as JSON.
    Resolve(CommonArgs),
    /// Print the unit graph.
    Graph(GraphArgs),
    /// Print the strict JSON value of a Nix file, as `nix-instantiate --eval --strict --json`.
    Eval(EvalArgs),
    /// Install the units on this systemd host (or an image with --root), replacing the last install atomically.
    Install(InstallArgs),
    /// Remove exactly what `install` wrote.
    Uninstall(UninstallArgs),
    /// Explain a diagnostic code: what it means, why it matters, an example and its fix.
    Explain(ExplainArgs),
    /// Say where each joined service's traffic can go, from the configuration (and with --live, from the running system).
    Audit(audit::AuditArgs),
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The code, with or without `netns::` (e.g. `nix-eval`); without one, every code is listed.
    pub code: Option<String>,
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Install into the system image at DIR (no systemd is driven; paths inside are as DIR's system sees them).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The state folder holding the generations, as the running system sees it.
    #[arg(long, value_name = "P", default_value = crate::install::DEFAULT_STATE_DIR)]
    pub prefix: String,
    /// Print what would change (units added, removed, changed, with diffs) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// Uninstall from the system image at DIR.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The state folder `install` used.
    #[arg(long, value_name = "P", default_value = crate::install::DEFAULT_STATE_DIR)]
    pub prefix: String,
    /// Stop the installed units first (when systemd runs).
    #[arg(long)]
    pub stop: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The Nix file.
    pub file: PathBuf,
    /// Print only this attribute path of the value (`a.b."c.d"`).
    #[arg(long, value_name = "PATH")]
    pub attr: Option<String>,
    /// Stop evaluating after this many steps.
    #[arg(long, value_name = "STEPS", default_value_t = crate::input::DEFAULT_MAX_EVAL_STEPS)]
    pub max_eval_steps: u64,
    /// How diagnostics are printed on standard error.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// A nixpkgs checkout: `<nixpkgs>` (and `<nixpkgs/lib>`) name it, before NIX_PATH.
    #[arg(long, value_name = "DIR")]
    pub nixpkgs: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CommonArgs {
    /// The configuration: a .json or .nix file, or - for JSON on standard input.
    pub input: PathBuf,
    /// Package prefixes of the programs the units call (JSON: {"iproute2": "/nix/store/…", …}).
    #[arg(long, value_name = "FILE", conflicts_with = "host_tools")]
    pub tools: Option<PathBuf>,
    /// Take every program from this machine's PATH instead.
    #[arg(long)]
    pub host_tools: bool,
    /// How diagnostics are printed on standard error.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT_BYTES)]
    pub max_input_bytes: u64,
    /// Stop evaluating a .nix input after this many steps.
    #[arg(long, value_name = "STEPS", default_value_t = crate::input::DEFAULT_MAX_EVAL_STEPS)]
    pub max_eval_steps: u64,
    /// A nixpkgs checkout: a .nix input's modules get its own `lib` (default: `<nixpkgs>` on
    /// NIX_PATH, else netns-compile's native lib), and `<nixpkgs>` names it.
    #[arg(long, value_name = "DIR")]
    pub nixpkgs: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output folder (default: ./result). It is replaced atomically.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Absolute path the output will be moved to (units name scripts under it).
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also ask the real tools, in throwaway network namespaces (`unshare`; root, or user
    /// namespaces): `nft -c` of every ruleset, and whether the kernel has each sysctl key.
    #[arg(long)]
    pub probe: bool,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum GraphFormat {
    Dot,
    Json,
}

const SUBCOMMANDS: [&str; 10] = [
    "build",
    "check",
    "resolve",
    "graph",
    "eval",
    "install",
    "uninstall",
    "explain",
    "audit",
    "help",
];

/// `netns-compile INPUT …` means `netns-compile build INPUT …`.
pub fn normalise_args(mut args: Vec<String>) -> Vec<String> {
    if let Some(first) = args.get(1) {
        let is_flag = first.starts_with('-') && first != "-";
        if !is_flag && !SUBCOMMANDS.contains(&first.as_str()) {
            args.insert(1, "build".to_string());
        }
    }
    args
}

/// Run the command line; returns the exit code.
pub fn run(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(normalise_args(args)) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    let mut sources = SourceMap::new();
    match cli.command {
        Command::Build(a) => run_build(&a, &mut sources),
        Command::Check(a) => run_check(&a, &mut sources),
        Command::Resolve(a) => run_resolve(&a, &mut sources),
        Command::Graph(a) => run_graph(&a, &mut sources),
        Command::Eval(a) => run_eval(&a, &mut sources),
        Command::Install(a) => run_install(&a, &mut sources),
        Command::Uninstall(a) => run_uninstall(&a),
        Command::Explain(a) => run_explain(&a),
        Command::Audit(a) => audit::run_audit(&a, &mut sources),
    }
}

/// A usage or I/O problem: message on stderr, exit 2.
pub(crate) fn usage_error(message: impl std::fmt::Display) -> i32 {
    eprintln!("netns-compile: error: {message}");
    EXIT_USAGE
}

/// Print diagnostics on stderr in the chosen format.
pub(crate) fn report(diags: &Diagnostics, sources: &SourceMap, format: MessageFormat) {
    let mut shown;
    let sources = match std::env::current_dir() {
        Ok(cwd) => {
            shown = sources.clone();
            shown.shorten_names(&cwd);
            &shown
        }
        Err(_) => sources,
    };
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = stderr.lock();
    for d in diags.sorted() {
        let text = match format {
            MessageFormat::Human => render_human(d, sources, color),
            MessageFormat::Json => format!("{}\n", to_json(d, sources)),
        };
        let _ = err.write_all(text.as_bytes());
    }
    if format == MessageFormat::Human {
        let (e, w) = (diags.errors().count(), diags.warnings().count());
        if e + w > 0 {
            let _ = writeln!(err, "netns-compile: {e} error(s), {w} warning(s)");
        }
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("current folder: {e}"))?
            .join(path)
    };
    // Normalise `.` and `..` without touching the disk (the folder may not exist yet).
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// What every subcommand reads, as the library takes it; the paths units name are `prefix`.
pub(crate) fn options(args: &CommonArgs, prefix: Prefix) -> Options {
    Options {
        read: read_options(args),
        prefix,
    }
}

fn read_options(args: &CommonArgs) -> ReadOptions {
    let tools = match (&args.tools, args.host_tools) {
        (_, true) => ToolsSource::Host,
        (Some(file), false) => ToolsSource::File(file.clone()),
        (None, false) => ToolsSource::FromInput,
    };
    ReadOptions {
        tools,
        max_input_bytes: args.max_input_bytes,
        max_eval_steps: args.max_eval_steps,
        nixpkgs: args.nixpkgs.clone(),
    }
}

/// The prefix of a subcommand that writes no tree (its units name scripts under it all the same).
pub(crate) fn placeholder_prefix(subcommand: &str) -> Prefix {
    Prefix::new(&format!("/nix/store/netns-compile-{subcommand}")).expect("a store path is a prefix")
}

pub(crate) fn input(args: &CommonArgs) -> Input {
    Input::Path(args.input.clone())
}

/// A library result, settled: `Err(code)` for a usage problem (printed) or an input that could
/// not be read (its diagnostics printed); `Ok(None)` for a configuration with errors, whose
/// diagnostics the caller prints as its command does.
pub(crate) fn settle<T>(
    result: Result<T, Failure>,
    diags: &Diagnostics,
    sources: &SourceMap,
    format: MessageFormat,
) -> Result<Option<T>, i32> {
    match result {
        Ok(t) => Ok(Some(t)),
        Err(Failure::Invalid) => Ok(None),
        Err(Failure::Usage(message)) => Err(usage_error(message)),
        Err(Failure::Unreadable) => {
            report(diags, sources, format);
            Err(EXIT_CONFIG)
        }
    }
}

/// Print only the errors; exit code 1 if there are any.
fn report_errors(diags: &Diagnostics, sources: &SourceMap, format: MessageFormat) -> Result<(), i32> {
    let errors: Diagnostics = diags.errors().cloned().collect();
    report(&errors, sources, format);
    if errors.has_errors() { Err(EXIT_CONFIG) } else { Ok(()) }
}

fn run_build(a: &BuildArgs, sources: &mut SourceMap) -> i32 {
    let out = match absolute(a.out.as_deref().unwrap_or(Path::new("result"))) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let prefix = a.prefix.clone().unwrap_or_else(|| out.display().to_string());
    let prefix = match Prefix::new(&prefix) {
        Ok(p) => p,
        Err(e) => return usage_error(format!("the output path {e}")),
    };
    let format = a.common.message_format;
    let mut diags = Diagnostics::new();
    let analysis = crate::analyse(&input(&a.common), &options(&a.common, prefix), sources, &mut diags);
    let analysis = match settle(analysis, &diags, sources, format) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let denied = a.deny_warnings && diags.warnings().next().is_some();
    report(&diags, sources, format);
    let Some(analysis) = analysis.filter(|_| !denied) else {
        return EXIT_CONFIG;
    };
    // `crate::compile`'s tree, made in its two parts and written as they are made.
    let crate::Analysis { config, model, graph } = &analysis;
    let written = crate::output::write_made_atomically(
        &out,
        || crate::emit::emit_units(model),
        || crate::emit::emit_summary(config, model, graph, &diags),
    );
    let trees = match written {
        Ok(trees) => trees,
        Err(e) => return usage_error(e),
    };
    println!("{}", out.display());
    exit_without_freeing((trees, analysis));
    0
}

/// The process ends with this value: the kernel takes its memory back at once, where freeing
/// a large model allocation by allocation takes a twentieth of a `check`.
pub(crate) fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

fn run_check(a: &CheckArgs, sources: &mut SourceMap) -> i32 {
    let format = a.common.message_format;
    let options = options(&a.common, placeholder_prefix("check"));
    let mut diags = Diagnostics::new();
    let analysis = match settle(
        crate::analyse(&input(&a.common), &options, sources, &mut diags),
        &diags,
        sources,
        format,
    ) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if a.probe
        && let Some(analysis) = &analysis
        && let Err(e) = crate::probe(analysis, &mut diags)
    {
        report(&diags, sources, format);
        return usage_error(e);
    }
    let failed_probe = diags.has_errors();
    report(&diags, sources, format);
    let denied = a.deny_warnings && diags.warnings().next().is_some();
    let failed = analysis.is_none() || denied || failed_probe;
    exit_without_freeing(analysis);
    if failed { EXIT_CONFIG } else { 0 }
}

fn run_resolve(a: &CommonArgs, sources: &mut SourceMap) -> i32 {
    let mut diags = Diagnostics::new();
    let resolved = crate::resolve(
        &input(a),
        &options(a, placeholder_prefix("resolve")),
        sources,
        &mut diags,
    );
    let resolved = match settle(resolved, &diags, sources, a.message_format) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Err(code) = report_errors(&diags, sources, a.message_format) {
        return code;
    }
    if let Some(json) = resolved {
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    }
    0
}

fn run_graph(a: &GraphArgs, sources: &mut SourceMap) -> i32 {
    let format = a.common.message_format;
    let options = options(&a.common, placeholder_prefix("graph"));
    let mut diags = Diagnostics::new();
    let graph = crate::unit_graph(&input(&a.common), &options, sources, &mut diags);
    let graph = match settle(graph, &diags, sources, format) {
        Ok(g) => g,
        Err(code) => return code,
    };
    if let Err(code) = report_errors(&diags, sources, format) {
        return code;
    }
    let Some(graph) = graph else { return EXIT_CONFIG };
    match a.format {
        GraphFormat::Dot => print!("{}", graph.to_dot()),
        GraphFormat::Json => println!("{}", serde_json::to_string_pretty(&graph.to_json()).unwrap_or_default()),
    }
    0
}

fn run_eval(a: &EvalArgs, sources: &mut SourceMap) -> i32 {
    let options = ReadOptions {
        max_eval_steps: a.max_eval_steps,
        nixpkgs: a.nixpkgs.clone(),
        ..ReadOptions::default()
    };
    let mut diags = Diagnostics::new();
    let json = crate::input::evaluate(&a.file, a.attr.as_deref(), &options, sources, &mut diags);
    match settle(json, &diags, sources, a.message_format) {
        Ok(Some(json)) => {
            println!("{json}");
            0
        }
        Ok(None) => EXIT_CONFIG,
        Err(code) => code,
    }
}

/// `--root` and `--prefix` of install/uninstall, checked; and whether to drive systemd (it
/// runs here, and the install is into this system, not an image).
fn install_layout(root: Option<&Path>, prefix: &str) -> Result<(crate::install::Layout, bool), i32> {
    let prefix = Prefix::new(prefix).map_err(|e| usage_error(format!("the state folder {e}")))?;
    let root_dir = match root {
        Some(r) => absolute(r).map_err(usage_error)?,
        None => PathBuf::from("/"),
    };
    let systemd = root.is_none() && crate::install::disk::systemd_running();
    Ok((crate::install::Layout::new(&root_dir, &prefix), systemd))
}

/// A word as a shell reads it back (for the commands printed for the administrator).
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':' | '=' | '+'));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn command_line(args: &[String]) -> String {
    std::iter::once("systemctl".to_string())
        .chain(args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Print the `systemctl` runs made and the commands left to run; `false` if a run failed.
fn report_systemctl(runs: &[crate::install::disk::SystemctlRun], to_run: &[Vec<String>], dry_run: bool) -> bool {
    let mut ok = true;
    for r in runs {
        println!("ran: {}{}", command_line(&r.args), if r.ok { "" } else { " (failed)" });
        if !r.ok {
            ok = false;
            eprintln!(
                "netns-compile: error: {} failed:\n{}",
                command_line(&r.args),
                r.output.trim_end()
            );
        }
    }
    let say = if dry_run { "would run" } else { "to run" };
    for c in to_run {
        println!("{say}: {}", command_line(c));
    }
    ok
}

fn install_error(e: crate::install::disk::InstallError) -> i32 {
    use crate::install::disk::InstallError;
    match e {
        InstallError::Config => EXIT_CONFIG,
        InstallError::Foreign(_) => {
            eprintln!("netns-compile: error: {e}");
            EXIT_CONFIG
        }
        other => usage_error(other),
    }
}

fn run_install(a: &InstallArgs, sources: &mut SourceMap) -> i32 {
    let (layout, systemd) = match install_layout(a.root.as_deref(), &a.prefix) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let format = a.common.message_format;
    // Read once, before the state folder is touched; built for the generation install makes.
    let mut diags = Diagnostics::new();
    let loaded = crate::input::load(&input(&a.common), &read_options(&a.common), sources, &mut diags);
    let Some(loaded) = (match settle(loaded, &diags, sources, format) {
        Ok(l) => l,
        Err(code) => return code,
    }) else {
        return EXIT_CONFIG;
    };
    let options = crate::install::disk::InstallOptions {
        dry_run: a.dry_run,
        systemd,
    };
    let build = |prefix: &Prefix| {
        let compiled = loaded.compile(prefix, &mut diags).ok();
        let denied = a.deny_warnings && diags.warnings().next().is_some();
        report(&diags, sources, format);
        let compiled = compiled.filter(|_| !denied)?;
        // Into this running system, units that call programs it lacks would all fail. (An
        // image given with --root may get its packages later: not checked.)
        let missing = match a.root {
            None => missing_programs(&compiled.analysis.model, &layout),
            Some(_) => Vec::new(),
        };
        if !missing.is_empty() {
            eprintln!(
                "netns-compile: error: the units would call {}, missing on this system; give the tools with --host-tools or --tools FILE",
                missing.join(", ")
            );
            return None;
        }
        Some(compiled.tree)
    };
    let outcome = match crate::install::disk::install(&layout, options, build) {
        Ok(o) => o,
        Err(e) => return install_error(e),
    };
    print!(
        "{}",
        crate::install::plan::describe_install(&outcome.plan, a.dry_run, &layout)
    );
    for u in &outcome.plan.actions.not_restarted {
        println!("not restarted (restartIfChanged = false): {u}");
    }
    if a.dry_run && systemd && !outcome.plan.actions.stop.is_empty() {
        let mut stop = vec!["stop".to_string()];
        stop.extend(outcome.plan.actions.stop.iter().cloned());
        println!("would run: {}", command_line(&stop));
    }
    if !report_systemctl(&outcome.systemctl, &outcome.to_run, a.dry_run) {
        return EXIT_CONFIG;
    }
    0
}

/// The programs the units call that the system being installed into does not have (the
/// default `/run/current-system/sw` on a host without NixOS): its units would all fail.
fn missing_programs(model: &crate::model::Model, layout: &crate::install::Layout) -> Vec<String> {
    let tools = &model.tools;
    let mut programs = vec![&tools.ip, &tools.sysctl, &tools.runtime_shell];
    if model.nftables_enable {
        programs.push(&tools.nft);
    }
    programs
        .into_iter()
        .filter(|p| !layout.host(p).exists())
        .map(|p| p.to_string())
        .collect()
}

fn run_uninstall(a: &UninstallArgs) -> i32 {
    let (layout, systemd) = match install_layout(a.root.as_deref(), &a.prefix) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let outcome = match crate::install::disk::uninstall(&layout, a.stop, systemd) {
        Ok(o) => o,
        Err(e) => return install_error(e),
    };
    let Some(plan) = &outcome.plan else {
        println!("nothing is installed at {}", layout.host(&layout.state).display());
        return 0;
    };
    println!("uninstalled {}", layout.host(&layout.state).display());
    for l in &plan.remove_links {
        println!("  - {} -> {}", l.path, l.target);
    }
    for l in &plan.left_alone {
        println!(
            "  left alone: {} (recorded as ours, but now {})",
            l.path,
            crate::install::plan::describe_state(&l.found)
        );
    }
    if report_systemctl(&outcome.systemctl, &outcome.to_run, false) {
        0
    } else {
        EXIT_CONFIG
    }
}

/// How many of the closest codes an unknown code's error names.
const CLOSEST_CODES_SHOWN: usize = 3;

fn run_explain(a: &ExplainArgs) -> i32 {
    use crate::diagnostic::{Code, explain_text, list_codes};
    let Some(name) = &a.code else {
        print!("{}", list_codes());
        return 0;
    };
    match Code::from_name(name) {
        Some(code) => {
            print!("{}", explain_text(code));
            0
        }
        None => {
            let closest: Vec<&str> = Code::closest_to(name, CLOSEST_CODES_SHOWN)
                .into_iter()
                .map(Code::as_str)
                .collect();
            eprintln!(
                "netns-compile: error: no diagnostic code `{name}`; the closest: {} (`netns-compile explain` lists them all)",
                closest.join(", ")
            );
            EXIT_CONFIG
        }
    }
}
