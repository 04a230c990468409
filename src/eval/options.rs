//! The settings of one evaluation, as a value the caller builds and hands to the evaluator:
//! nothing about an evaluation is process-wide, so two evaluations (two tests, two threads)
//! never see each other's settings.

use super::io::{EvalIo, StdIo};
use super::search_path::SearchPathEntry;
use std::sync::Arc;

/// Default of [`EvalOptions::max_steps`]: far above what real configurations take (gen.py's
/// 10,000-namespace file takes under 500,000 steps), low enough that an endless loop
/// (`let f = x: f x; in f 1`, which runs in constant stack) stops in about a second.
pub const DEFAULT_MAX_EVAL_STEPS: u64 = 20_000_000;

/// How an evaluation runs: its step limit, its search path, its files and environment.
#[derive(Clone)]
pub struct EvalOptions {
    /// Evaluation steps (nested evaluations entered, tail calls included) allowed before a
    /// `LimitExceeded` error (`--max-eval-steps`).
    pub max_steps: u64,
    /// Entries searched for `<name>` before `NIX_PATH`'s, like `nix-instantiate -I`
    /// (`--nixpkgs DIR` is `nixpkgs=DIR`).
    pub search_path: Vec<SearchPathEntry>,
    /// The files and environment the evaluation reads (`NIX_PATH` and `HOME` included).
    pub io: Arc<dyn EvalIo + Send + Sync>,
    /// Free the evaluation's values when it ends (the default). `false` where the process
    /// ends with the evaluation (`netns-compile eval`): the kernel takes the memory back at
    /// once, where dropping a large value graph thunk by thunk takes a twentieth of the run.
    pub free_values: bool,
}

impl Default for EvalOptions {
    /// The default step limit, no extra search path, the real disk and environment.
    fn default() -> EvalOptions {
        EvalOptions {
            max_steps: DEFAULT_MAX_EVAL_STEPS,
            search_path: Vec::new(),
            io: Arc::new(StdIo),
            free_values: true,
        }
    }
}

impl EvalOptions {
    /// These options, with the files and environment of `io`.
    pub fn with_io(self, io: impl EvalIo + Send + Sync + 'static) -> EvalOptions {
        EvalOptions {
            io: Arc::new(io),
            ..self
        }
    }

    /// These options, leaving the values for the end of the process to reclaim (see
    /// [`EvalOptions::free_values`]).
    pub fn leaving_values_to_exit(self) -> EvalOptions {
        EvalOptions {
            free_values: false,
            ..self
        }
    }

    /// These options, with a step limit of `max_steps`.
    pub fn with_max_steps(self, max_steps: u64) -> EvalOptions {
        EvalOptions { max_steps, ..self }
    }
}

impl std::fmt::Debug for EvalOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The I/O is a trait object: only its presence is shown.
        f.debug_struct("EvalOptions")
            .field("max_steps", &self.max_steps)
            .field("search_path", &self.search_path)
            .field("free_values", &self.free_values)
            .finish_non_exhaustive()
    }
}
