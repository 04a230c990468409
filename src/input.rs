//! Reading the input into definition trees (SPEC §6): a `.json` file (or `-`, standard input)
//! through the JSON frontend, a `.nix` file through the Nix frontend with the evaluator's
//! settings; and the tools, from the input, a `--tools` file or this host.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::eval::EvalOptions;
use crate::eval::search_path::SearchPathEntry;
use crate::frontend::json::{decode_utf8, parse_json};
use crate::model::Tools;
use crate::node::Node;
use crate::source::{SourceMap, Span};
use crate::{Failure, ToolsChoice};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Steps a `.nix` input may take by default (`--max-eval-steps`).
pub use crate::eval::DEFAULT_MAX_EVAL_STEPS;

/// Largest input read by default (`--max-input-bytes`).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;

/// Where the programs the units call come from.
// Made once per run: boxing the tools would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ToolsSource {
    /// The input's `tools` key (defaults for what it does not name).
    FromInput,
    /// A JSON file of package prefixes (`--tools FILE`).
    File(PathBuf),
    /// This machine's PATH (`--host-tools`).
    Host,
    /// Given by the program embedding the library.
    Given(Tools),
}

/// How the input is read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub tools: ToolsSource,
    /// Inputs larger than this are refused (JSON).
    pub max_input_bytes: u64,
    /// A `.nix` input's evaluation stops after this many steps.
    pub max_eval_steps: u64,
    /// A nixpkgs checkout: `<nixpkgs>` names it, before NIX_PATH.
    pub nixpkgs: Option<PathBuf>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            tools: ToolsSource::FromInput,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_eval_steps: DEFAULT_MAX_EVAL_STEPS,
            nixpkgs: None,
        }
    }
}

/// What the library reads.
#[derive(Clone, Debug)]
pub enum Input {
    /// A `.json` or `.nix` file, or `-` for JSON on standard input.
    Path(PathBuf),
    /// JSON text, named `name` in diagnostics.
    Json { name: String, text: String },
}

/// The input read: the tools chosen and one definition tree a module.
#[derive(Debug)]
pub struct Loaded {
    pub tools: ToolsChoice,
    pub modules: Vec<Node>,
}

/// Read the tools, then the input. Diagnostics of a failed read go into `diags`.
pub fn load(
    input: &Input,
    options: &ReadOptions,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<Loaded, Failure> {
    let tools = tools_choice(&options.tools, sources).map_err(|e| e.into_failure(diags))?;
    let modules = match input {
        Input::Path(path) => load_path(path, options, &tools, sources),
        Input::Json { name, text } => {
            let file = sources.add(name.clone(), None, text.as_str());
            parse_json(text, file).map(|n| vec![n]).map_err(Unread::Diagnostic)
        }
    }
    .map_err(|e| e.into_failure(diags))?;
    Ok(Loaded { tools, modules })
}

/// Why the input was not read.
enum Unread {
    Usage(String),
    Diagnostic(Diagnostic),
    Diagnostics(Diagnostics),
}

impl Unread {
    fn into_failure(self, diags: &mut Diagnostics) -> Failure {
        match self {
            Unread::Usage(message) => return Failure::Usage(message),
            Unread::Diagnostic(d) => diags.push(d),
            Unread::Diagnostics(ds) => diags.extend(ds),
        }
        Failure::Unreadable
    }
}

fn tools_choice(source: &ToolsSource, sources: &mut SourceMap) -> Result<ToolsChoice, Unread> {
    match source {
        ToolsSource::FromInput => Ok(ToolsChoice::FromInput),
        ToolsSource::Given(t) => Ok(ToolsChoice::Given(t.clone())),
        ToolsSource::Host => Tools::from_host().map(ToolsChoice::Given).map_err(Unread::Usage),
        ToolsSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Unread::Usage(format!("{}: {e}", path.display())))?;
            let file = sources.add(path.display().to_string(), Some(path), text.as_str());
            let node = parse_json(&text, file).map_err(Unread::Diagnostic)?;
            Tools::from_node(&node)
                .map(ToolsChoice::Given)
                .map_err(Unread::Diagnostic)
        }
    }
}

/// Read a file (or standard input) into modules. `tools` gives `pkgs` to Nix.
fn load_path(
    path: &Path,
    options: &ReadOptions,
    tools: &ToolsChoice,
    sources: &mut SourceMap,
) -> Result<Vec<Node>, Unread> {
    let is_nix = path.extension().is_some_and(|e| e == "nix");
    let is_json = path.as_os_str() == "-" || path.extension().is_some_and(|e| e == "json");
    if is_nix {
        let pkgs = match tools {
            ToolsChoice::Given(t) => t.clone(),
            ToolsChoice::FromInput => Tools::default(),
        };
        if let Err(e) = std::fs::metadata(path) {
            return Err(Unread::Usage(format!("{}: {e}", path.display())));
        }
        let eval = eval_options(options).map_err(Unread::Usage)?;
        return crate::frontend::nix::load_nix_modules(path, &pkgs.packages(), &eval, sources)
            .map_err(Unread::Diagnostics);
    }
    if !is_json {
        return Err(Unread::Usage(format!(
            "{}: the input must be a .json or .nix file (or - for JSON on standard input)",
            path.display()
        )));
    }
    let limit = options.max_input_bytes;
    let (name, bytes) = read_bytes(path, limit).map_err(Unread::Usage)?;
    if bytes.len() as u64 > limit {
        let file = sources.add(name.clone(), Some(path), "");
        let d = Diagnostic::new(
            Code::LimitExceeded,
            format!("{name} is larger than {limit} bytes (--max-input-bytes)"),
        )
        .at(Span::new(file, 0, 0), "input too large");
        return Err(Unread::Diagnostic(d));
    }
    let text: std::sync::Arc<str> = match String::from_utf8(bytes) {
        Ok(t) => t.into(),
        Err(e) => {
            // Shown lossily: offsets before the first bad byte stay right.
            let bytes = e.into_bytes();
            let shown = String::from_utf8_lossy(&bytes).into_owned();
            let placeholder = sources.add(name, Some(path), shown);
            return Err(match decode_utf8(bytes, placeholder) {
                Err(d) => Unread::Diagnostic(d),
                Ok(_) => Unread::Diagnostics(Diagnostics::new()),
            });
        }
    };
    let file = sources.add(name, Some(path), text.clone());
    parse_json(&text, file).map(|n| vec![n]).map_err(Unread::Diagnostic)
}

fn read_bytes(path: &Path, limit: u64) -> Result<(String, Vec<u8>), String> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading standard input: {e}"))?;
        return Ok(("<stdin>".into(), bytes));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path.display().to_string(), bytes))
}

/// The evaluator's settings of a `.nix` input: the step limit, and with `--nixpkgs DIR`,
/// `<nixpkgs>` is DIR, searched before NIX_PATH.
fn eval_options(options: &ReadOptions) -> Result<EvalOptions, String> {
    let mut eval = EvalOptions::default().with_max_steps(options.max_eval_steps);
    if let Some(dir) = options.nixpkgs.as_deref() {
        if !dir.join("lib/default.nix").is_file() {
            return Err(format!(
                "--nixpkgs {}: not a nixpkgs checkout (it has no lib/default.nix)",
                dir.display()
            ));
        }
        eval.search_path.push(SearchPathEntry {
            prefix: "nixpkgs".into(),
            path: dir.display().to_string(),
        });
    }
    Ok(eval)
}

/// The strict JSON of a Nix file (`netns-compile eval`), as `nix-instantiate --eval --strict
/// --json` prints it, or only its attribute `attr`. For a process that ends after it: the
/// evaluation's values are not freed.
pub fn evaluate(
    file: &Path,
    attr: Option<&str>,
    options: &ReadOptions,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Result<String, Failure> {
    if let Err(e) = std::fs::metadata(file) {
        return Err(Failure::Usage(format!("{}: {e}", file.display())));
    }
    // The process ends once the JSON is printed: the values are left for it to reclaim.
    let eval = eval_options(options).map_err(Failure::Usage)?.leaving_values_to_exit();
    crate::eval::eval_file_json(file, attr, &eval, sources).map_err(|ds| Unread::Diagnostics(ds).into_failure(diags))
}
