//! The module stage: definitions, priorities, merging and defaults, as nixpkgs' module system.

pub mod config;
pub mod loc;
pub mod merge;
pub mod property;
pub mod read_options;
pub mod schema;
pub mod submodules;
pub mod types;
pub mod unit_name;
pub mod unit_options;
