//! The native `lib`: nixpkgs' library functions that NixOS configurations use, written in
//! Nix on top of the builtins (`lib.nix` beside this file) with nixpkgs' exact behaviour.

/// A function `builtins: lib`.
pub const LIB_NIX: &str = include_str!("lib.nix");
