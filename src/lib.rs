//! netns-compile: the NixOS `services.netns` module as a compiler.
//!
//! The pipeline, one folder a stage:
//! `frontend` (JSON; `syntax` + `eval` for Nix) → `module` (definitions, priorities, merging,
//! defaults) → `model` (the typed config) → `check` → `graph` → `emit` (units, scripts) →
//! `output` (the atomic write). [`compile`] runs the pure part; the CLI does the I/O.

pub mod diagnostic;
pub mod eval;
pub mod syntax;
pub mod source;

pub mod frontend;
pub mod module;
