# The declarations of the options netns-compile reads (SPEC §2.1), as NixOS declares them:
# what a module sees of them in `options` (`type`, `default`, `declarations`, …) and what a
# module that declares one of them itself (`services.netns.namespaces`, `systemd.services`, …)
# is merged with, as nixpkgs' `mergeOptionDecls` merges the declarations of one option.
#
# `netns` is nix/module.nix called with the module arguments: the namespace submodule and
# `systemd.services.<svc>.netns` are declared there, once. The NixOS options are declared with
# NixOS's types (nixos/modules/…); a declaration's `_file` says where NixOS has it, under
# `<netns-compile>`, since the copy is netns-compile's. `unitLists` are the names of the unit
# options netns-compile reads of a service (`after`, `wantedBy`, …: src/dependency.rs).
#
# The value: one attribute per option (its path joined with dots), the list of its
# declarations as `mergeOptionDecls` takes them (`{ _file; options = mkOption …; }`).
{ lib, netns, unitLists }:
let
  inherit (lib) mkOption types;

  nixos = file: options: {
    _file = "<netns-compile>/nixos/modules/${file}";
    inherit options;
  };

  fromModule = options: {
    _file = "<netns-compile>/nix/module.nix";
    inherit options;
  };

  # nixos/modules/config/sysctl.nix
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

  # nixos/modules/system/boot/systemd.nix, nixos/lib/systemd-unit-options.nix
  environmentType =
    with types;
    attrsOf (
      nullOr (oneOf [
        str
        path
        package
      ])
    );

  # nixos/lib/systemd-unit-options.nix
  scriptOptions = [
    "preStart"
    "script"
    "postStart"
    "reload"
    "preStop"
    "postStop"
  ];

  unitList = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };

  bool =
    default:
    mkOption {
      type = types.bool;
      inherit default;
    };
in
{
  "services.netns.namespaces" = [ (fromModule netns.options.services.netns.namespaces) ];

  # For netns-compile (src/frontend/nix/own.rs), where a module extends one of the options
  # of elements above (`services.netns.namespaces`, `systemd.services`): each element's own
  # `options`, to tell which options definitions set. Merged with that option's declarations.
  "<extension meta>" = [
    {
      _file = "<netns-compile>/own_options.nix";
      options = mkOption {
        type = types.attrsOf (
          types.submodule (
            { options, ... }:
            {
              options._netnsCompileOptions = mkOption {
                type = types.unspecified;
                default = options;
                internal = true;
                visible = false;
              };
            }
          )
        );
      };
    }
  ];

  # For netns-compile (src/frontend/nix/options.rs): an option no module declares and netns-compile
  # does not read (another NixOS option, `networking.hostName`), which modules define and read
  # in `config` as a value. NixOS has its type; netns-compile merges it as `mergeEqualOption`
  # does, so that definitions which differ are an error rather than a guess.
  "<undeclared>" = [
    {
      _file = "<netns-compile>/own_options.nix";
      options = mkOption {
        type = lib.mkOptionType {
          name = "undeclared";
          description = "a NixOS option netns-compile does not declare";
          merge = lib.mergeEqualOption;
        };
      };
    }
  ];

  "networking.nftables.enable" = [
    (nixos "services/networking/nftables.nix" (mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable nftables and use nftables based firewall if enabled.";
    }))
  ];

  "networking.nftables.ruleset" = [
    (nixos "services/networking/nftables.nix" (mkOption {
      type = types.lines;
      default = "";
      description = "The ruleset to be used with nftables.";
    }))
  ];

  "boot.kernel.sysctl" = [
    (nixos "config/sysctl.nix" (mkOption {
      type = types.submodule {
        freeformType = types.attrsOf sysctlOption;
        options = {
          "net.core.rmem_max" = mkOption {
            type = types.nullOr highestValueType;
            default = null;
            description = "The maximum receive socket buffer size in bytes.";
          };
          "net.core.wmem_max" = mkOption {
            type = types.nullOr highestValueType;
            default = null;
            description = "The maximum send socket buffer size in bytes.";
          };
        };
      };
      default = { };
      description = "Runtime parameters of the Linux kernel, as set by sysctl(8).";
    }))
  ];

  "systemd.globalEnvironment" = [
    (nixos "system/boot/systemd.nix" (mkOption {
      type = environmentType;
      default = { };
      description = "Environment variables passed to all systemd units.";
    }))
  ];

  "systemd.enableStrictShellChecks" = [
    (nixos "system/boot/systemd.nix" (
      lib.mkEnableOption "running shellcheck on the generated scripts for systemd units"
    ))
  ];

  "systemd.services" = [
    (nixos "system/boot/systemd.nix" (mkOption {
      type = types.attrsOf (
        types.submodule {
          # NixOS's options of a service (nixos/lib/systemd-unit-options.nix), with its types
          # and defaults, but for `name`, `jobScripts` and `enableStrictShellChecks`, whose
          # values NixOS's systemd module derives (free-form here). Declared, not free-form:
          # an extension's `config = mkIf config.<its option> { serviceConfig = …; }` must not
          # pass through the freeform type, which would read the condition to list the
          # attributes (as nixpkgs does), and what it defines on a namespace's own unit is
          # read option by option (nix/lib.nix, `unitEvaluation`).
          freeformType = types.attrsOf types.anything;
          options =
            lib.genAttrs unitLists (_: unitList)
            // lib.genAttrs scriptOptions (
              _:
              mkOption {
                type = types.lines;
                default = "";
              }
            )
            // lib.genAttrs [ "serviceConfig" "unitConfig" ] (
              _:
              mkOption {
                type = types.attrsOf types.anything;
                default = { };
              }
            )
            // lib.genAttrs [
              "documentation"
              "upholds"
              "conflicts"
              "requisite"
              "onFailure"
              "onSuccess"
              "aliases"
            ] (_: unitList)
            // {
              environment = mkOption {
                type = environmentType;
                default = { };
              };
              enable = bool true;
              description = mkOption {
                type = types.singleLineStr;
                default = "";
              };
              path = mkOption {
                type = types.listOf (
                  types.oneOf [
                    types.package
                    types.str
                  ]
                );
                default = [ ];
              };
              scriptArgs = mkOption {
                type = types.str;
                default = "";
              };
              startLimitBurst = mkOption { type = types.int; };
              startLimitIntervalSec = mkOption { type = types.int; };
              restartIfChanged = bool true;
              reloadIfChanged = bool false;
              stopIfChanged = bool true;
              notSocketActivated = bool false;
              restartTriggers = mkOption {
                type = types.listOf types.unspecified;
                default = [ ];
              };
              reloadTriggers = mkOption {
                type = types.listOf types.unspecified;
                default = [ ];
              };
              startAt = mkOption {
                type = with types; either str (listOf str);
                default = [ ];
              };
              overrideStrategy = mkOption {
                type = types.enum [
                  "asDropinIfExists"
                  "asDropin"
                ];
                default = "asDropinIfExists";
              };
            };
        }
      );
      default = { };
      description = "Definition of systemd service units.";
    }))
    (fromModule netns.options.systemd.services)
  ];
}
