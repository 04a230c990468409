{
  lib,
  rustPlatform,
}:
let
  cargoToml = lib.importTOML ../Cargo.toml;
in
rustPlatform.buildRustPackage {
  pname = cargoToml.package.name;
  inherit (cargoToml.package) version;

  # Only what cargo reads: editing the Nix files or the docs does not rebuild the compiler.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../src
      (lib.fileset.maybeMissing ../build.rs)
      (lib.fileset.maybeMissing ../tests)
      (lib.fileset.maybeMissing ../benches)
      (lib.fileset.maybeMissing ../fixtures)
    ];
  };

  cargoLock.lockFile = ../Cargo.lock;

  # The test suite runs in the check phase. Tests that need what a build sandbox lacks (root,
  # network namespaces, a Nix store to build in, the network) skip themselves, saying so, when
  # NETNS_COMPILE_IN_NIX_BUILD=1; every other test runs.
  env.NETNS_COMPILE_IN_NIX_BUILD = "1";

  meta = {
    description = "Compiler from NixOS services.netns configurations to systemd units";
    mainProgram = "netns-compile";
    platforms = lib.platforms.linux;
  };
}
