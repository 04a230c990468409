//! The Nix evaluator: lazy, with nixpkgs-compatible semantics and a native `lib`.
//!
//! Pipeline inside: [`crate::syntax`] parses a file, `lower.rs` resolves its variables and
//! folds its attribute paths into the [`ir`], `machine.rs` evaluates it lazily (values in
//! `value.rs`), [`builtins`] and the `lib` prelude provide the functions, `output.rs` prints
//! values as `nix-instantiate --eval --strict --json` does or turns them into
//! [`Node`](crate::node::Node) trees, `formats`
//! reads TOML and writes XML (`builtins.fromTOML`, `builtins.toXML`). Files and the
//! environment are read through [`io::EvalIo`] only: the real disk by default, or a tree in
//! memory. Every setting of an evaluation (the step limit, the search path, the I/O) is a
//! field of the [`EvalOptions`] it is given: nothing is process-wide.
//!
//! # The front door
//! This file only names the parts and re-exports what the stages above use: an
//! [`Evaluator`] (`evaluator.rs`) made from [`EvalOptions`] (`options.rs`), run on a big stack
//! by [`with_evaluator`] or the one-call [`eval_file_json`], [`eval_source_json`] and
//! [`eval_file_node`] (`run.rs`), the values, and the errors (`error.rs`). No part of the
//! evaluator imports this file: each names the file an item is defined in.
//!
//! # Calling Nix from native code
//! The evaluator knows nothing of modules: a caller (the Nix frontend, which calls each
//! NixOS module `{ config, lib, pkgs, options, ... }: { … }`) drives it from native code inside
//! [`with_evaluator`]:
//! - [`Evaluator::load_file`] gives the file's value (a [`Thunk`]);
//! - [`Evaluator::lib`] is the native `lib`; any other argument is a value the caller builds;
//! - a value can be *lazy and computed by native code*: [`Thunk::native`] wraps any
//!   `Fn(&Evaluator) -> EvalResult<Value>`; it runs when (and only when) Nix code forces it
//!   (a module its `config`) and its result is cached. Attribute values of a native attrset
//!   ([`Attrs::insert`]) can themselves be native thunks, so `config.a.b` evaluates only what
//!   is read. A thunk that forces itself through such a chain is reported as infinite
//!   recursion, like any other.
//! - [`Evaluator::call`] applies a function value to an argument thunk;
//!   [`Evaluator::force`], [`Evaluator::deep_force`] and [`Evaluator::to_node`] read results.
//!
//! # Choices where Nix versions differ
//! The reference is Nix 2.8: floats print with 6 significant digits (`%g`), sets with
//! `__toString` or `outPath` print as strings. Unlike 2.8 (which wraps around), integer
//! overflow is an error, as in current Nix. Paths print as their absolute path: netns-compile
//! has no store, so nothing is copied (Nix would print a `/nix/store` path); interpolating a
//! path into a string, which would copy it to the store, is an error for the same reason.
//! `<name>` is looked up in the search path ([`search_path`]: the entries of
//! [`EvalOptions::search_path`], then `NIX_PATH`), and `<nixpkgs/lib>`, when no
//! entry has it, is the native `lib`. `builtins.addErrorContext`'s text becomes a note of the
//! diagnostic of an error passing through it (innermost first, as Nix's trace).
//! `builtins.match`/`split` use POSIX extended regular expressions translated to the `regex`
//! crate's syntax (see `regex.rs`).

pub mod builtins;
mod coerce;
mod error;
mod evaluator;
mod formats;
pub mod io;
pub mod ir;
mod lib_prelude;
mod lower;
mod machine;
mod modules;
mod options;
mod output;
mod regex;
mod run;
pub mod search_path;
mod value;

pub use error::{ErrorKind, EvalError, EvalResult, error, error_of};
pub use evaluator::Evaluator;
pub use io::{EvalIo, FileType, MemoryIo, StdIo};
pub use modules::properties::property_of;
pub use options::{DEFAULT_MAX_EVAL_STEPS, EvalOptions};
pub use run::{eval_file_json, eval_file_node, eval_source_json, with_evaluator};
pub use value::{Attrs, Env, Thunk, Value};
