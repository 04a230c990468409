{
  description = "netns-compile: NixOS services.netns compiled to checked systemd units";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];

      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      netnsLib = import ./nix/lib.nix { inherit lib; };

      packageFor = pkgs: self.packages.${pkgs.stdenv.hostPlatform.system}.default;
    in
    {
      packages = forAllSystems (
        pkgs:
        let
          netns-compile = pkgs.callPackage ./nix/package.nix { };
        in
        {
          inherit netns-compile;
          default = netns-compile;
        }
      );

      overlays.default = final: _prev: {
        netns-compile = final.callPackage ./nix/package.nix { };
      };

      nixosModules.default = ./nix/module.nix;

      lib = {
        inherit (netnsLib) toCompilerJSON compile check;
      };

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = lib.getExe (packageFor pkgs);
          meta.description = "Compile, check or resolve a services.netns configuration";
        };
      });

      checks = forAllSystems (
        pkgs:
        let
          package = packageFor pkgs;

          # A small NixOS system using the module, evaluated with this nixpkgs: the units it
          # compiles to, and the check users put in their own flake.
          example = lib.nixosSystem {
            modules = [
              self.nixosModules.default
              ./nix/example.nix
              {
                nixpkgs.hostPlatform = pkgs.stdenv.hostPlatform.system;
                boot.loader.grub.enable = false;
                fileSystems."/" = {
                  device = "none";
                  fsType = "tmpfs";
                };
                system.stateVersion = lib.trivial.release;
              }
            ];
          };
        in
        {
          # The compiler, its test suite run in the check phase.
          inherit package;

          # `netns-compile check` on every golden case, through both input routes: accepted
          # cases pass (warnings allowed), rejected ones (error.txt, spec-error.txt) fail.
          fixtures =
            pkgs.runCommand "netns-compile-fixtures" { nativeBuildInputs = [ package ]; }
              ''
                status=0
                for dir in ${./fixtures/nixos}/*/; do
                  name=$(basename "$dir")
                  want=0
                  if [ -e "$dir/error.txt" ] || [ -e "$dir/spec-error.txt" ]; then want=1; fi
                  for input in "$dir/config.nix" "$dir/eval.json"; do
                    [ -e "$input" ] || continue
                    rc=0
                    netns-compile check "$input" >/dev/null 2>&1 || rc=$?
                    if [ "$rc" != "$want" ]; then
                      echo "FAIL $name/$(basename "$input"): netns-compile check exited $rc, expected $want" >&2
                      netns-compile check "$input" >&2 || true
                      status=1
                    fi
                  done
                done
                if [ "$status" != 0 ]; then exit 1; fi
                touch "$out"
              '';

          module-units = self.lib.compile { inherit (example) config; };

          module-check = self.lib.check { inherit (example) config; };

          # Boots the example in a VM (needs KVM) and looks at the namespace from inside.
          vm = import ./nix/vm-test.nix {
            inherit pkgs;
            modules = [
              self.nixosModules.default
              ./nix/example.nix
            ];
          };
        }
      );
    };
}
