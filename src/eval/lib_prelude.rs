//! The native `lib`: nixpkgs' library functions that NixOS configurations use, written in
//! Nix on top of the builtins (`lib.nix` beside this file) with nixpkgs' exact behaviour.
//! The module system, the option types, `lib.customisation` and `lib.sources` are files of
//! their own (`lib/modules.nix`, `lib/types.nix`, `lib/customisation.nix`, `lib/sources.nix`),
//! bound in front of `lib.nix` so that the whole stays one source, one `lib` value, and lazy:
//! a binding is parsed at every run but evaluated only when used.

/// A function `engine: builtins: lib`, where `engine` is the native module engine's functions
/// ([`super::modules::engine`]): a variable of this source only, never a builtin.
pub const LIB_NIX: &str = concat!(
    "engine:\nlet\n  moduleSystemOf =\n",
    include_str!("lib/modules.nix"),
    ";\n  optionTypesOf =\n",
    include_str!("lib/types.nix"),
    ";\n  customisationOf =\n",
    include_str!("lib/customisation.nix"),
    ";\n  sourcesOf =\n",
    include_str!("lib/sources.nix"),
    ";\nin\n",
    include_str!("lib.nix"),
);
