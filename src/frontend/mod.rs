pub mod json;
pub mod nix;
