# NixOS module: the options of NixOS's `services.netns` module, compiled by netns-compile.
#
# The option interface is the one of `nixos/modules/services/networking/netns.nix` (same types,
# same defaults), plus `systemd.services.<svc>.netns`. Instead of turning each namespace into a
# `systemd.services` entry, the module hands the configuration to `netns-compile build` in a
# derivation and installs the unit tree it writes through `systemd.packages`: the compiler
# checks the configuration far more than NixOS does and fails the build with its diagnostics.
{
  config,
  lib,
  options,
  pkgs,
  ...
}:
let
  inherit (lib)
    any
    attrValues
    filterAttrs
    intersectAttrs
    literalExpression
    mapAttrs'
    mkIf
    mkOption
    nameValuePair
    types
    ;

  netnsLib = import ./lib.nix { inherit lib; };

  cfg = config.services.netns;

  package = netnsLib.packageFor pkgs;

  # What the compiler reads; `lib.toCompilerJSON` gives the same attrset (see nix/lib.nix for
  # why namespaces are handed over the way they are).
  input = netnsLib.compilerInput { inherit config options pkgs; };

  inputFile = pkgs.writeText "netns-compile-input.json" (builtins.toJSON input);

  compiled = netnsLib.buildUnits {
    inherit pkgs inputFile package;
    passthru = {
      inherit input inputFile;
      check = netnsLib.checkInput { inherit pkgs inputFile package; };
    };
  };

  joinsNamespace = any (svc: svc.netns != null) (attrValues config.systemd.services);

  # NixOS applies no `[Install]` section of a unit that comes from `systemd.packages`, and
  # skips the packages' `<target>.wants/` directories: a unit is enabled by
  # `systemd.units."<unit>".wantedBy`/`requiredBy`, which is what
  # `systemd.services.<name>.{wantedBy,requiredBy}` become in NixOS. So the namespace's
  # `service` definitions of these options (property markers included) are handed to them, and
  # NixOS merges them exactly as it would merge them in `systemd.services.netns-<name>`: the
  # same `.wants/`/`.requires/` links appear, and `enable = false` masks the unit (a link to
  # /dev/null) as NixOS does. Such an entry has no `text`, so beside the packaged unit NixOS
  # adds an empty `overrides.conf` drop-in, which changes nothing; namespaces that set none of
  # these options get no entry at all.
  enablement = filterAttrs (_: unit: unit != { }) (
    mapAttrs' (
      name: namespace:
      nameValuePair "netns-${netnsLib.escapeUnitName name}.service" (
        intersectAttrs {
          wantedBy = null;
          requiredBy = null;
          enable = null;
        } namespace.service
      )
    ) cfg.namespaces
  );
in
{
  # This module declares the options of NixOS's own services.netns module, where nixpkgs has it.
  disabledModules = [ "services/networking/netns.nix" ];

  options.services.netns.namespaces = mkOption {
    description = ''
      Network namespaces, each kept alive by a oneshot service `netns-<name>.service`
      that registers it with iproute2 (as `ip netns` does, under `/run/netns/<name>`),
      brings `lo` up, applies the namespace's sysctls and, with
      {option}`networking.nftables.enable`, loads its nftables ruleset.

      A service runs inside namespace `<name>` with
      `systemd.services.<svc>.netns = "<name>"`, which also binds
      `/etc/netns/<name>/resolv.conf` onto its `/etc/resolv.conf`.
      Outside systemd, `ip -n <name> …` and `ip netns exec <name> …` reach it.

      The units are written by netns-compile, which rejects configurations that
      would not work (unknown options, names iproute2 refuses, host-wide sysctls set
      inside a namespace, ordering cycles, …) when the system is built.
    '';
    default = { };
    type = types.attrsOf (
      types.submodule {
        options.nftables = mkOption {
          description = ''
            The nftables ruleset loaded inside the namespace (after `flush ruleset`).
            Only loaded when {option}`networking.nftables.enable` is set.
          '';
          type = types.lines;
          default = config.networking.nftables.ruleset;
          defaultText = literalExpression "config.networking.nftables.ruleset";
        };
        options.sysctl = mkOption {
          description = ''
            Kernel parameters set inside the namespace with `sysctl -p`. Defining it
            replaces the default as a whole. Keys that are not per network namespace
            (`vm.*`, `kernel.*`, `fs.*`, …) would change the host and are refused.
          '';
          type = options.boot.kernel.sysctl.type;
          default = config.boot.kernel.sysctl;
          defaultText = literalExpression "config.boot.kernel.sysctl";
        };
        options.service = mkOption {
          description = ''
            Settings merged into the namespace's service, with the options of
            {option}`systemd.services.<name>` (e.g. `wantedBy`, `after`,
            `serviceConfig`). Several definitions merge shallowly, as any attrset.
          '';
          type = types.attrs;
          default = { };
        };
      }
    );
  };

  options.systemd.services = mkOption {
    type = types.attrsOf (
      types.submodule {
        options.netns = mkOption {
          description = ''
            The name of a namespace of {option}`services.netns.namespaces` for this
            service to run in: it gets the namespace's network (`PrivateNetwork=` with
            `JoinsNamespaceOf=`), starts after it and stops with it, sees the namespace's
            `/etc/netns/<name>/resolv.conf` as `/etc/resolv.conf`, and cannot reach the
            host's resolver sockets.
          '';
          type = types.nullOr types.str;
          default = null;
          example = "vpn";
        };
      }
    );
  };

  config = {
    # Always there, so that `lib.toCompilerJSON`/`lib.check` work on any configuration that
    # imports the module; built only when something is installed.
    system.build.netns-compile = compiled;

    systemd.packages = mkIf (cfg.namespaces != { } || joinsNamespace) [ compiled ];

    systemd.units = enablement;
  };
}
