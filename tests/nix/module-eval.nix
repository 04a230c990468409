# nix/module.nix evaluated by nixpkgs' real module system, beside minimal stand-ins for the
# NixOS options it reads and defines, with one golden case's config.nix as the user's module.
# Used by tests/nix_integration.rs (needs nixpkgs' lib/: NETNS_NIXPKGS_LIB).
#
# The stand-ins keep NixOS's types where they decide a value: `boot.kernel.sysctl` is NixOS's
# submodule (free-form keys with the typed `net.core.{r,w}mem_max`), `networking.nftables`
# and `systemd.services` have NixOS's option types. Packages are the fake prefixes of
# tools.json, as in the golden outputs; `runCommand`/`writeText` are raw derivations running
# the host's /bin/sh (the test store builds without a sandbox).
{
  # nixpkgs' lib/ directory
  libDir,
  # the case's config.nix
  case,
  # tools.json of the golden fixtures
  toolsFile,
  # a store path holding bin/netns-compile
  package,
}:
let
  lib = import libDir;
  inherit (lib) mkOption types;

  tools = lib.importJSON toolsFile;

  system = builtins.currentSystem;

  netnsCompile = builtins.storePath package;

  runCommand =
    name: env: script:
    let
      drv = derivation (
        removeAttrs env [
          "passthru"
          "nativeBuildInputs"
        ]
        // {
          inherit name system;
          builder = "/bin/sh";
          args = [
            "-c"
            ''
              set -e
              PATH=${lib.concatMapStringsSep ":" (p: "${p}/bin") (env.nativeBuildInputs or [ ])}:/usr/bin:/bin
              ${script}
            ''
          ];
        }
      );
    in
    drv // env.passthru or { };

  writeText =
    name: text:
    derivation {
      inherit name system text;
      passAsFile = [ "text" ];
      builder = "/bin/sh";
      args = [
        "-c"
        ''/bin/cp "$textPath" "$out"''
      ];
    };

  pkgs = {
    inherit runCommand writeText;
    netns-compile = netnsCompile;
    inherit (tools)
      iproute2
      procps
      nftables
      coreutils
      findutils
      gnugrep
      gnused
      systemd
      runtimeShell
      ;
    # Not in the NixOS fixture's tools: a stand-in prefix for the OpenVPN namespace of
    # connect.nix (the units name `<prefix>/bin/openvpn`, which nothing here runs).
    openvpn = "/run/current-system/sw";
  };

  # NixOS's nixos/modules/config/sysctl.nix, types only.
  sysctlOption = lib.mkOptionType {
    name = "sysctl option value";
    check =
      val:
      let
        checkType = x: lib.isBool x || lib.isString x || lib.isInt x || x == null;
      in
      checkType val || (val._type or "" == "override" && checkType val.content);
    merge = loc: defs: lib.mergeOneOption loc defs;
  };

  highestValueType = types.ints.unsigned // {
    merge = loc: defs: lib.foldl (a: b: if b.value == null then null else lib.max a b.value) 0 defs;
  };

  unitList = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };

  nixosStandIns = { config, ... }: {
    options = {
      system.build = mkOption {
        type = types.lazyAttrsOf types.unspecified;
        default = { };
      };

      networking.nftables = {
        enable = mkOption {
          type = types.bool;
          default = false;
        };
        ruleset = mkOption {
          type = types.lines;
          default = "";
        };
      };

      boot.kernel.sysctl = mkOption {
        type = types.submodule {
          freeformType = types.attrsOf sysctlOption;
          options = {
            "net.core.rmem_max" = mkOption {
              type = types.nullOr highestValueType;
              default = null;
            };
            "net.core.wmem_max" = mkOption {
              type = types.nullOr highestValueType;
              default = null;
            };
          };
        };
        default = { };
      };

      systemd = {
        package = mkOption {
          type = types.unspecified;
          default = tools.systemd;
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
        };
        enableStrictShellChecks = mkOption {
          type = types.bool;
          default = false;
        };
        globalEnvironment = mkOption {
          type = with types; attrsOf (nullOr (oneOf [ str path package ]));
          default = { };
        };
        services = mkOption {
          type = types.attrsOf (
            types.submodule {
              # The other service options (description, serviceConfig, …) are not read.
              freeformType = types.attrsOf types.anything;
              options =
                # The scripts, as NixOS types them (their definitions are joined by lines).
                lib.genAttrs [ "preStart" "script" "postStart" "reload" "preStop" "postStop" ] (
                  _:
                  mkOption {
                    type = types.lines;
                    default = "";
                  }
                )
                // lib.genAttrs [
                "after"
                "before"
                "requires"
                "wants"
                "bindsTo"
                "partOf"
                "wantedBy"
                "requiredBy"
                "upheldBy"
              ] (_: unitList);
            }
          );
          default = { };
        };
        units = mkOption {
          type = types.attrsOf (
            types.submodule {
              options = {
                wantedBy = unitList;
                requiredBy = unitList;
                enable = mkOption {
                  type = types.bool;
                  default = true;
                };
                text = mkOption {
                  type = types.nullOr types.str;
                  default = null;
                };
              };
            }
          );
          default = { };
        };
      };
    };

    config._module.args.pkgs = pkgs;

    # NixOS's systemd module turns every `systemd.services` entry into a unit with its text
    # (systemd.nix, `serviceToUnit`); the stand-in text only shows whether it survives.
    config.systemd.units = lib.mapAttrs' (
      name: service:
      lib.nameValuePair "${name}.service" {
        text = "the unit NixOS renders from systemd.services.${name}";
        inherit (service) wantedBy requiredBy;
      }
    ) config.systemd.services;
  };

  eval = lib.evalModules {
    modules = [
      nixosStandIns
      ../../nix/module.nix
      (/. + case)
    ];
  };

  inherit (eval) config options;

  compiled = config.system.build.netns-compile;

  # NixOS's own services.netns module (nixos/modules/services/networking/netns.nix), reduced to
  # the part that defines each namespace's unit: `systemd.services.netns-<escaped> =
  # mkMerge [ { …; before = [ "network.target" ]; … } c.service ]`. Evaluated with the case,
  # it shows how NixOS merges that definition with the ones the case makes on the unit.
  nixosNetns =
    { config, ... }:
    {
      config.systemd.services = lib.mapAttrs' (
        name: c:
        lib.nameValuePair "netns-${netnsLib.escapeUnitName name}" (
          lib.mkMerge [
            { before = [ "network.target" ]; }
            c.service
          ]
        )
      ) config.services.netns.namespaces;
    };

  nixosServices =
    (lib.evalModules {
      modules = [
        nixosStandIns
        ../../nix/module.nix
        nixosNetns
        (/. + case)
      ];
    }).config.systemd.services;

  netnsLib = import ../../nix/lib.nix { inherit lib; };
in
{
  # What the module hands to the compiler.
  input = compiled.input;

  # The same with the namespaces as an older nixpkgs (without `valueMeta`) hands them over.
  inputFromDefinitions = compiled.input // {
    services.netns.namespaces = netnsLib.namespacesFromDefinitions options.services.netns.namespaces;
  };

  # The unit tree built from it, and what the module installs and enables.
  units = compiled;
  inherit (compiled) inputFile check;

  # The namespaces' units as NixOS merges them: the lists and scripts netns-compile's must match.
  nixosUnits = lib.mapAttrs (_: service: { inherit (service) after postStart; }) (
    lib.filterAttrs (
      name: _: lib.elem name (netnsLib.namespaceServiceNames config.services.netns.namespaces)
    ) nixosServices
  );
  packages = map toString config.systemd.packages;
  enablement = config.systemd.units;
}
