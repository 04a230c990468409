//! nixpkgs' module-system rules (lib/modules.nix) written once, generic over where definitions
//! come from: the module stage's definition trees, the native module engine's lazy values,
//! and the Nix frontend's evaluated values each implement the traits, and each follows these
//! functions. Being on the ground floor, the evaluator and the module stage both use them.

pub mod merge_definitions;
pub mod properties;
#[cfg(test)]
mod recording;

pub use merge_definitions::{Merging, Normalizing};
pub use properties::{
    DEFAULT_ORDER, DEFAULT_PRIORITY, Definitions, Discharge, MK_AFTER, MK_BEFORE, MK_DEFAULT, MK_FORCE,
    MK_OPTION_DEFAULT, NO_PRIORITY, Ordered, PropertyType, PushDown, Values, discharge, filter_overrides, push_down,
    sort_if_ordered, sort_properties, take_definitions,
};
