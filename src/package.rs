//! What the compiler knows of a tool's package (SPEC §2.4) besides where it is: the facts the
//! model's tool table states (`model::tools::PACKAGES`) and the Nix frontend shapes as nixpkgs'
//! derivations (`frontend/nix/packages.rs`). On the ground floor, since both use it.

/// What nixpkgs declares of a tool's package, besides where it is. The table is the tools'
/// (`model::tools::PACKAGES`); a package's `pname` is its attribute name there.
#[derive(Debug, PartialEq)]
pub struct PackageFacts {
    /// `pkgs.<attr>`, and the package's `pname`.
    pub attr: &'static str,
    /// `meta.mainProgram`, where nixpkgs sets one (`lib.getExe` falls back to the pname).
    pub main_program: Option<&'static str>,
    /// `outputs`, `out` first.
    pub outputs: &'static [&'static str],
    /// `meta.description`.
    pub description: &'static str,
}

/// A package as `pkgs.<attr>` gives it: its facts, and the prefix the input's tools name.
#[derive(Clone, Debug)]
pub struct Package {
    pub facts: &'static PackageFacts,
    /// Where its `out` output is.
    pub prefix: String,
}
