# `netns-compile build` as the builder of a raw derivation, on inputs already in the store.
# Used by tests/nix_integration.rs. No stdenv, no shell: the compiler is the builder itself,
# `$out` reaches it as a placeholder that Nix replaces in the arguments.
{
  # a store path holding bin/netns-compile
  package,
  # store paths of the input JSON and of tools.json
  input,
  tools,
}:
derivation {
  name = "netns-compile-units";
  system = builtins.currentSystem;
  builder = "${builtins.storePath package}/bin/netns-compile";
  args = [
    "build"
    (builtins.storePath input)
    "--tools"
    (builtins.storePath tools)
    "--out"
    (builtins.placeholder "out")
  ];
}
