# nixpkgs' lib at `dir` as Nix 2.8 can evaluate it (tests/lib_parity.rs): every file is
# imported with the builtins newer Nix has and 2.8 lacks bound to stand-ins that throw when
# used, so that their names (`lib.convertHash`, `lib.derivations.addDrvOutputDependencies`, …)
# can be listed and everything else evaluates as nixpkgs wrote it.
{ dir }:
let
  missing = [ "addDrvOutputDependencies" "convertHash" "flakeRefToString" "parseFlakeRef" "readFileType" ];
  standIns = builtins.listToAttrs (map (name: {
    inherit name;
    value = throw "Nix 2.8 has no builtins.${name}";
  }) missing);
  importWithStandIns = scopedImport { builtins = builtins // standIns; import = importWithStandIns; };
in
importWithStandIns (/. + dir)
