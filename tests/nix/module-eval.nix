# nix/module.nix evaluated by nixpkgs' real module system, beside minimal stand-ins for the
# NixOS options it reads and defines, with one golden case's config.nix as the user's module.
# Used by tests/nix_integration.rs (needs nixpkgs' lib/: NETNS_NIXPKGS_LIB).
#
# The stand-ins keep NixOS's types where they decide a value: `boot.kernel.sysctl` is NixOS's
# submodule (free-form keys with the typed `net.core.{r,w}mem_max`), `networking.nftables`
# and `systemd.services` have NixOS's option types. Packages are derivation-like sets (as
# nixpkgs' are) at the fake prefixes of tools.json, as in the golden outputs;
# `runCommand`/`writeText` are raw derivations running the host's /bin/sh (the test store
# builds without a sandbox).
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

  # A package as nixpkgs' `stdenv.mkDerivation` shapes it, as far as modules read one: `type`,
  # `outPath`, `name`, `pname`, `version`, `outputs`, `outputName`, `meta`, and one attribute
  # per output (the same set for that output, `outputSpecified`). Its `out` is `prefix`; a
  # store path names the package (`<hash>-iproute2-6.1.0`), any other prefix is a profile
  # that holds every output and says no version.
  toolPackage =
    {
      pname,
      prefix,
      outputs ? [ "out" ],
      meta ? { },
    }:
    let
      inStore = builtins.match "/nix/store/[0-9a-z]{32}-([^/]+)" prefix;
      name = if inStore == null then pname else builtins.head inStore;
      output =
        outputName:
        {
          type = "derivation";
          inherit
            name
            pname
            outputs
            meta
            outputName
            ;
          version = (builtins.parseDrvName name).version;
          outPath =
            if outputName == "out" || inStore == null then
              prefix
            else
              throw "the stand-in knows no store path for ${pname}.${outputName}";
        }
        // lib.genAttrs outputs (o: output o // { outputSpecified = true; });
    in
    output (builtins.head outputs);

  # nixpkgs' packages of the tools, at the prefixes of tools.json (the profile of NixOS,
  # `/run/current-system/sw`, for those it does not name).
  tool =
    pname: facts:
    toolPackage (
      {
        inherit pname;
        prefix = tools.${pname} or "/run/current-system/sw";
      }
      // facts
    );

  pkgs = {
    inherit runCommand writeText;
    netns-compile = netnsCompile;
    inherit (tools) runtimeShell;
    iproute2 = tool "iproute2" {
      outputs = [
        "out"
        "dev"
        "scripts"
        "man"
      ];
    };
    procps = tool "procps" { };
    nftables = tool "nftables" { meta.mainProgram = "nft"; };
    coreutils = tool "coreutils" {
      outputs = [
        "out"
        "info"
      ];
    };
    findutils = tool "findutils" {
      outputs = [
        "out"
        "info"
        "locate"
      ];
      meta.mainProgram = "find";
    };
    gnugrep = tool "gnugrep" {
      outputs = [
        "out"
        "info"
      ];
      meta.mainProgram = "grep";
    };
    gnused = tool "gnused" {
      outputs = [
        "out"
        "info"
      ];
      meta.mainProgram = "sed";
    };
    systemd = tool "systemd" {
      outputs = [
        "out"
        "man"
        "dev"
      ];
    };
    wireguard-tools = tool "wireguard-tools" {
      outputs = [
        "out"
        "man"
      ];
      meta.mainProgram = "wg";
    };
    wireguard-go = tool "wireguard-go" { meta.mainProgram = "wireguard-go"; };
    libnatpmp = tool "libnatpmp" { meta.mainProgram = "natpmpc"; };
    # Not in the NixOS fixture's tools: at the profile for the OpenVPN namespace of
    # connect.nix (the units name `<prefix>/bin/openvpn`, which nothing here runs).
    openvpn = tool "openvpn" { meta.mainProgram = "openvpn"; };
  };

  # NixOS's declarations of the options the compiler reads, as the compiler has them itself
  # (NixOS's types: `boot.kernel.sysctl` is nixos/modules/config/sysctl.nix's submodule).
  nixosDeclarations = import ../../src/frontend/nix/own_options.nix {
    inherit lib;
    netns = throw "module-eval.nix takes the namespaces from nix/module.nix itself";
    # The unit lists of NixOS a case may define (nix/module.nix declares `netns`).
    unitLists = lib.remove "netns" netnsLib.joiningOptionNames;
  };
  nixos = path: (lib.head nixosDeclarations.${path}).options;
  # The declaration as a module of the file NixOS declares it in: `systemd.services`, whose
  # type's modules are known by that file as NixOS's own (nix/lib.nix, `unitExtension`).
  nixosModule =
    path:
    let
      declaration = lib.head nixosDeclarations.${path};
    in
    {
      inherit (declaration) _file;
      options = lib.setAttrByPath (lib.splitString "." path) declaration.options;
    };

  unitList = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };

  # What NixOS's systemd module derives inside every service's submodule, written after NixOS's
  # code (nixos/lib/systemd-lib.nix: `unitConfig`, `serviceConfig`, `stage2ServiceConfig`;
  # nixos/modules/system/boot/systemd.nix: the job scripts' `Exec*=` lines), with `name`
  # declared as nixos/lib/systemd-unit-options.nix declares it. Given NixOS's file name, as the
  # type's modules carry it there. `makeJobScript` and the triggers' files are the stand-in's
  # `writeText` (nothing here builds them).
  nixosServiceDerivations =
    { config, ... }:
    let
      nixosConfig = config;
      makeJobScript =
        name: text:
        let
          scriptName = lib.replaceStrings [ "\\" "@" ] [ "-" "_" ] name;
        in
        "${writeText "unit-script-${scriptName}" text}/bin/${scriptName}";
      triggersFile =
        name: triggers:
        "${writeText name (
          lib.pipe triggers [
            lib.flatten
            (map (x: if lib.isPath x then "${x}" else x))
            toString
          ]
        )}";
    in
    {
      _file = "<nixpkgs>/nixos/modules/system/boot/systemd.nix";
      options.systemd.services = mkOption {
        type = types.attrsOf (
          types.submodule (
            {
              name,
              config,
              options,
              ...
            }:
            {
              options.name = mkOption {
                type = types.str;
                description = "The name of this systemd unit, including its extension.";
              };
              config = lib.mkMerge [
                {
                  unitConfig =
                    lib.optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
                    // lib.optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
                    // lib.optionalAttrs (config.upholds != [ ]) { Upholds = toString config.upholds; }
                    // lib.optionalAttrs (config.after != [ ]) { After = toString config.after; }
                    // lib.optionalAttrs (config.before != [ ]) { Before = toString config.before; }
                    // lib.optionalAttrs (config.bindsTo != [ ]) { BindsTo = toString config.bindsTo; }
                    // lib.optionalAttrs (config.partOf != [ ]) { PartOf = toString config.partOf; }
                    // lib.optionalAttrs (config.conflicts != [ ]) { Conflicts = toString config.conflicts; }
                    // lib.optionalAttrs (config.requisite != [ ]) { Requisite = toString config.requisite; }
                    // lib.optionalAttrs (config ? restartTriggers && config.restartTriggers != [ ]) {
                      X-Restart-Triggers = triggersFile "X-Restart-Triggers-${name}" config.restartTriggers;
                    }
                    // lib.optionalAttrs (config ? reloadTriggers && config.reloadTriggers != [ ]) {
                      X-Reload-Triggers = triggersFile "X-Reload-Triggers-${name}" config.reloadTriggers;
                    }
                    // lib.optionalAttrs (config.description != "") { Description = config.description; }
                    // lib.optionalAttrs (config.documentation != [ ]) {
                      Documentation = toString config.documentation;
                    }
                    // lib.optionalAttrs (config.onFailure != [ ]) { OnFailure = toString config.onFailure; }
                    // lib.optionalAttrs (config.onSuccess != [ ]) { OnSuccess = toString config.onSuccess; }
                    // lib.optionalAttrs options.startLimitIntervalSec.isDefined {
                      StartLimitIntervalSec = toString config.startLimitIntervalSec;
                    }
                    // lib.optionalAttrs options.startLimitBurst.isDefined {
                      StartLimitBurst = toString config.startLimitBurst;
                    };
                  name = "${name}.service";
                  environment.PATH = lib.mkIf (
                    config.path != [ ]
                  ) "${lib.makeBinPath config.path}:${lib.makeSearchPathOutput "bin" "sbin" config.path}";
                  enableStrictShellChecks = lib.mkOptionDefault nixosConfig.systemd.enableStrictShellChecks;
                  # stage2ServiceConfig's default path.
                  path = lib.mkAfter [
                    pkgs.coreutils
                    pkgs.findutils
                    pkgs.gnugrep
                    pkgs.gnused
                    nixosConfig.systemd.package
                  ];
                }
                (lib.mkIf (config.preStart != "") {
                  serviceConfig.ExecStartPre = [ (makeJobScript "${name}-pre-start" config.preStart) ];
                })
                (lib.mkIf (config.script != "") {
                  serviceConfig.ExecStart = makeJobScript "${name}-start" config.script + " " + config.scriptArgs;
                })
                (lib.mkIf (config.postStart != "") {
                  serviceConfig.ExecStartPost = [ (makeJobScript "${name}-post-start" config.postStart) ];
                })
                (lib.mkIf (config.reload != "") {
                  serviceConfig.ExecReload = makeJobScript "${name}-reload" config.reload;
                })
                (lib.mkIf (config.preStop != "") {
                  serviceConfig.ExecStop = makeJobScript "${name}-pre-stop" config.preStop;
                })
                (lib.mkIf (config.postStop != "") {
                  serviceConfig.ExecStopPost = makeJobScript "${name}-post-stop" config.postStop;
                })
              ];
            }
          )
        );
      };
    };

  nixosStandIns = { config, ... }: {
    options = {
      system.build = mkOption {
        type = types.lazyAttrsOf types.unspecified;
        default = { };
      };

      networking.nftables = {
        enable = nixos "networking.nftables.enable";
        ruleset = nixos "networking.nftables.ruleset";
      };

      boot.kernel.sysctl = nixos "boot.kernel.sysctl";

      systemd = {
        package = mkOption {
          type = types.unspecified;
          default = tools.systemd;
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
        };
        enableStrictShellChecks = nixos "systemd.enableStrictShellChecks";
        globalEnvironment = nixos "systemd.globalEnvironment";
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
      # NixOS's lists and scripts, `serviceConfig`, … (the others free-form).
      (nixosModule "systemd.services")
      nixosServiceDerivations
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
            {
              description = "${name} network namespace";
              before = [ "network.target" ];
              # The netns module's own settings but for the scripts' paths (`ExecStart=`,
              # `ExecStop=`), which only the compiled unit knows.
              serviceConfig = {
                Type = "oneshot";
                RemainAfterExit = true;
                PrivateNetwork = true;
                PrivateMounts = false;
              };
            }
            c.service
          ]
        )
      ) config.services.netns.namespaces;
    };

  nixosServices =
    (lib.evalModules {
      modules = [
        nixosStandIns
        # NixOS's lists and scripts, `serviceConfig`, … (the others free-form).
        (nixosModule "systemd.services")
        nixosServiceDerivations
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

  # The namespaces' units as NixOS merges them: the lists, scripts and `serviceConfig`
  # netns-compile's must match.
  # `Exec*=` are left out (the test compares the scripts by their text): the stand-in's
  # `serviceConfig` is `attrsOf anything`, which cannot concatenate a script's line with a
  # definition's as NixOS's `unitOption` does.
  nixosUnits = lib.mapAttrs (_: service: {
      inherit (service)
        documentation
        restartIfChanged
        after
        wants
        preStart
        postStart
        ;
      serviceConfig = lib.filterAttrs (key: _: !lib.hasPrefix "Exec" key) service.serviceConfig;
    }) (
    lib.filterAttrs (
      name: _: lib.elem name (netnsLib.namespaceServiceNames config.services.netns.namespaces)
    ) nixosServices
  );
  packages = map toString config.systemd.packages;
  enablement = config.systemd.units;
}
