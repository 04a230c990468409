# The benchmark's baseline: what NixOS's module system does for the same config, evaluated by
# real Nix with nixpkgs' own lib (`nix-instantiate --eval --strict`). Not a test.
#
# NixOS itself is not here (no nixpkgs checkout), so this is a stand-in with the same shape of
# work, kept deliberately lighter than NixOS:
# - the `services.netns` options as NixOS declares them (an attrsOf submodule whose `nftables`
#   and `sysctl` default to the host's), the host options they read, and `systemd.services` as
#   a submodule with the service options the generated units use;
# - the seed module's config: each namespace becomes a service definition, its scripts are
#   derivations (as `pkgs.writeScript` makes them), merged with the namespace's `service`;
# - every unit rendered to text the way systemd-lib does it (sections of sorted keys, lists as
#   one line per item).
# Real NixOS evaluates far more per service (its full systemd module, assertions, unit
# derivations), so a ratio measured against this is a lower bound.
{
  libDir,
  config,
}:
let
  lib = import libDir;
  inherit (lib) mkOption types;

  # A store path for a script, as `pkgs.writeScript` gives it (evaluation only: nothing builds).
  writeScript =
    name: text:
    derivation {
      inherit name text;
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [
        "-c"
        "echo \"$text\" > $out"
      ];
    };
  prefix = "/run/current-system/sw";

  unitOption = types.oneOf [
    types.bool
    types.int
    types.str
    (types.listOf (types.oneOf [ types.bool types.int types.str ]))
  ];
  unitList = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };
  sysctlValue = types.nullOr (types.oneOf [ types.bool types.int types.str ]);

  serviceModule = {
    options = lib.genAttrs [
      "after"
      "before"
      "requires"
      "wants"
      "bindsTo"
      "partOf"
      "wantedBy"
      "requiredBy"
    ] (_: unitList) // {
      description = mkOption {
        type = types.str;
        default = "";
      };
      enable = mkOption {
        type = types.bool;
        default = true;
      };
      environment = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        default = { };
      };
      serviceConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      unitConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
    };
  };

  hostOptions =
    { options, ... }:
    {
      options = {
        networking.nftables.enable = mkOption {
          type = types.bool;
          default = false;
        };
        networking.nftables.ruleset = mkOption {
          type = types.lines;
          default = "";
        };
        boot.kernel.sysctl = mkOption {
          type = types.attrsOf sysctlValue;
          default = { };
        };
        systemd.services = mkOption {
          type = types.attrsOf (types.submodule serviceModule);
          default = { };
        };
      };
    };

  netnsModule =
    { config, options, ... }:
    let
      escapeUnitName = name: lib.concatMapStrings (s: if lib.isList s then "-" else s) (builtins.split "[^a-zA-Z0-9_.\\-]+" name);
      sysctlText =
        values:
        lib.concatStrings (
          lib.mapAttrsToList (n: v: lib.optionalString (v != null) "${n}=${if v == false then "0" else toString v}\n") values
        );
      unitFor = name: ns: {
        description = "${name} network namespace";
        before = [ "network.target" ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          PrivateNetwork = true;
          PrivateMounts = false;
          ExecStart =
            [
              "${writeScript "ip-netns-attach" ''
                ${prefix}/bin/ip netns attach ${lib.escapeShellArg name} $$
                mkdir -p /etc/netns/${lib.escapeShellArg name}
                touch /etc/netns/${lib.escapeShellArg name}/resolv.conf
              ''}"
              "${prefix}/bin/ip link set dev lo up"
              "${prefix}/bin/sysctl --ignore -p ${writeScript "sysctl" (sysctlText ns.sysctl)}\n"
            ]
            ++ lib.optional config.networking.nftables.enable "${writeScript "nftables-ruleset" ''
              #!${prefix}/bin/nft -f
              flush ruleset
              ${ns.nftables}
            ''}";
          ExecStop = "${prefix}/bin/ip netns delete ${lib.escapeShellArg name}";
        };
      };
    in
    {
      options.services.netns.namespaces = mkOption {
        default = { };
        type = types.attrsOf (
          types.submodule {
            options.nftables = mkOption {
              type = types.lines;
              default = config.networking.nftables.ruleset;
            };
            options.sysctl = options.boot.kernel.sysctl // {
              default = config.boot.kernel.sysctl;
            };
            options.service = mkOption {
              type = types.attrs;
              default = { };
            };
          }
        );
      };
      config.systemd.services = lib.mapAttrs' (
        name: ns: lib.nameValuePair "netns-${escapeUnitName name}" (lib.mkMerge [ (unitFor name ns) ns.service ])
      ) config.services.netns.namespaces;
    };

  # systemd-lib's rendering: `Key=value` lines, sorted keys, a list as one line per item.
  render =
    value:
    if lib.isBool value then
      lib.boolToString value
    else
      toString value;
  section =
    attrs:
    lib.concatStrings (
      lib.mapAttrsToList (
        key: value: lib.concatMapStrings (v: "${key}=${render v}\n") (lib.toList value)
      ) attrs
    );
  unitText =
    name: s:
    let
      deps = lib.filterAttrs (_: v: v != [ ]) {
        After = s.after;
        Before = s.before;
        Requires = s.requires;
        Wants = s.wants;
        BindsTo = s.bindsTo;
        PartOf = s.partOf;
      };
    in
    ''
      [Unit]
      ${section ({ Description = s.description; } // lib.mapAttrs (_: lib.concatStringsSep " ") deps // s.unitConfig)}
      [Service]
      ${lib.concatStrings (lib.mapAttrsToList (n: v: "Environment=${builtins.toJSON "${n}=${v}"}\n") (lib.filterAttrs (_: v: v != null) s.environment))}${section s.serviceConfig}
    ''
    + lib.optionalString (s.wantedBy != [ ]) ''

      [Install]
      WantedBy=${lib.concatStringsSep " " s.wantedBy}
    '';

  evaluated = lib.evalModules {
    modules = [
      hostOptions
      netnsModule
      config
    ];
  };
in
lib.mapAttrs unitText (lib.filterAttrs (_: s: s.enable) evaluated.config.systemd.services)
