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

  str = types.str;
  strs = types.listOf types.str;
  nullStr = types.nullOr types.str;
  opt = type: default: description: mkOption { inherit type default description; };
  # One option holding a few: set or not as a whole, as the compiler input needs.
  group =
    description: options:
    mkOption {
      inherit description;
      type = types.submodule { inherit options; };
      default = { };
    };

  # The connectivity options of SPEC §11 (README, "Reaching the world"). Each adds units of its
  # own; a namespace that sets none of them gets exactly NixOS's unit.
  connectivityOptions = {
    options.publish = mkOption {
      description = ''
        Ports of the namespace published on the host: a socket unit in the host's namespace
        and `systemd-socket-proxyd` joined to the namespace, forwarding each connection to the
        namespace's `127.0.0.1:<port>`. No veth, no forwarding, no firewall change. TCP only
        (socket-proxyd forwards stream sockets). Clients must keep their side open until the
        reply: systemd 252's socket-proxyd ends the connection at the client's first EOF, so a
        client that half-closes after its request (`echo … | socat - TCP:…`) gets nothing;
        HTTP clients are fine.
      '';
      default = { };
      example = literalExpression ''{ webui = { listen = "127.0.0.1:9091"; port = 9091; }; }'';
      type = types.attrsOf (
        types.submodule {
          options.listen = mkOption {
            description = "Host address and port (`\"127.0.0.1:8080\"`, `\"[::1]:8080\"`, `\"0.0.0.0:8080\"`), or a port on 127.0.0.1.";
            type = types.either types.str types.port;
          };
          options.port = mkOption {
            description = "The port the server listens on at the namespace's 127.0.0.1.";
            type = types.int;
          };
          options.protocol = opt (types.enum [
            "tcp"
            "udp"
          ]) "tcp" "`tcp`; `udp` is refused (systemd-socket-proxyd cannot forward it).";
        }
      );
    };
    options.dns = group "The namespace's resolv.conf, written when it starts (truncated in place)." {
      servers = opt strs [ ] "Name servers (IP addresses) of the namespace's resolv.conf.";
      search = opt strs [ ] "Search domains of the namespace's resolv.conf.";
      options = opt strs [ ] "`options` of the namespace's resolv.conf (e.g. `ndots:1`).";
      strict = opt types.bool false ''
        Name resolution only through `servers`: inside the namespace, DNS traffic (UDP and TCP
        to ports 53, 853, 5353 and 5355) to any other address is dropped and counted, by
        netns-compile's own nftables table `inet netns-compile`, which a `flush ruleset` in the
        namespace's ruleset cannot remove (it is loaded after it and reloaded with it). Needs
        `servers`.
      '';
    };
    options.ipv6 = opt (types.enum [
      "allow"
      "disable"
      "tunnel"
    ]) "allow" ''
      `allow`: IPv6 as the namespace is set up. `disable`: `disable_ipv6` for `all` and
      `default` inside the namespace, and every IPv6 packet but `lo`'s dropped, so it stays off
      even if something turns it back on. `tunnel`: IPv6 leaves only through the tunnel's
      interface (the tunnel needs an IPv6 address). Both are enforced by netns-compile's own
      nftables table in the namespace.
    '';
    options.hostLink = group "A veth pair to the host, in a unit of its own." {
      enable = lib.mkEnableOption "a veth pair between the host and the namespace (no default route through it)";
      hostAddress = opt nullStr null "The host end's IPv4 address with prefix; from the pool 10.231.0.0/16 when unset.";
      namespaceAddress = opt nullStr null "The namespace end's IPv4 address with prefix; from the pool when unset.";
      hostAddress6 = opt nullStr null "The host end's IPv6 address with prefix.";
      namespaceAddress6 = opt nullStr null "The namespace end's IPv6 address with prefix.";
    };
    options.wireguard = group "A WireGuard tunnel made on the host and moved into the namespace." {
      enable = lib.mkEnableOption "a WireGuard interface as the namespace's only way out";
      interface = opt str "wg0" "The interface's name (at most 15 bytes).";
      privateKeyFile = opt nullStr null "Path of the private key (never the key itself).";
      configFile = opt nullStr null ''
        Path of a wg-quick file (as providers hand them out), instead of `privateKeyFile`,
        `addresses` and `peers`: read when the unit starts, never at build time, never copied
        into the store. Its DNS servers go into the namespace's resolv.conf. `PreUp`, `PostUp`,
        `PreDown`, `PostDown`, `Table` and `SaveConfig` make the unit fail.
      '';
      addresses = opt strs [ ] "The interface's addresses with prefix.";
      implementation = opt (types.enum [
        "kernel"
        "userspace"
      ]) "kernel" "`kernel`, or `userspace` for wireguard-go.";
      peers = opt (types.listOf (
        types.submodule {
          options.publicKey = mkOption {
            type = str;
            description = "The peer's public key.";
          };
          options.endpoint = opt nullStr null "`host:port` of the peer, resolved in the host's namespace.";
          options.allowedIPs = opt strs [ ] "Addresses routed to the peer.";
          options.persistentKeepalive = opt (types.nullOr types.int) null "Seconds between keepalives.";
          options.presharedKeyFile = opt nullStr null "Path of a preshared key.";
        }
      )) [ ] "The tunnel's peers.";
    };
    options.openvpn = group "OpenVPN with its socket on the host and its tun device in the namespace." {
      enable = lib.mkEnableOption "OpenVPN as the namespace's only way out";
      configFile = opt nullStr null ''
        Path of the OpenVPN client file (as providers hand them out), read when the unit starts,
        never copied into the store. Directives that would address, route or run scripts on the
        host are overridden; `daemon`, `config`, `plugin` and the verify/connect hooks make the
        unit fail. DNS servers the server pushes go into the namespace's resolv.conf.
      '';
      authUserPassFile = opt nullStr null "Path of a file with the user name and the password, one a line (`--auth-user-pass`).";
    };
    options.watchdog = group "Restarts the tunnel when its last handshake is too old." {
      enable = lib.mkEnableOption "a watchdog that restarts the namespace's tunnel (resolving its endpoint again) when its last handshake is older than `handshakeTimeout`";
      interval = opt types.ints.positive 30 "Seconds between looks at the last handshake.";
      handshakeTimeout = opt types.ints.positive 180 "Age in seconds of the last handshake past which the tunnel is restarted.";
    };
    options.portForward = group "NAT-PMP port forwarding through the tunnel." {
      enable = lib.mkEnableOption "a service in the namespace that keeps a port (UDP and TCP) forwarded by the tunnel's NAT-PMP gateway and writes it to /run/netns-compile/<name>/forwarded-port";
      gateway = opt str "10.2.0.1" "The NAT-PMP gateway's IPv4 address inside the tunnel (ProtonVPN's by default).";
      onChange = opt nullStr null "A shell command run when the port changes, given the port as its last argument.";
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

  # Definitions made directly on a namespace's unit (`systemd.services.netns-<escaped>`) are
  # merged into the unit by the compiler (nix/lib.nix hands them over), but NixOS's systemd
  # module also turns that `systemd.services` entry into a unit of its own: its `text` would
  # become an `overrides.conf` drop-in beside the packaged unit, repeating every list (a second
  # `After=`, a second `ExecStartPost=` script) and adding keys the compiled unit already
  # settles. So its text is dropped; what NixOS still takes from the entry is what
  # `serviceToUnit` passes besides the text (`wantedBy`, `requiredBy`, `upheldBy`, `aliases`,
  # `enable`), which it applies as it does for any unit, the same as the compiled tree's links.
  # The timer NixOS makes of such an entry's `startAt` likewise loses its text to the
  # compiler's timer.
  unitTexts = lib.listToAttrs (
    lib.concatMap (
      unit:
      let
        service = config.systemd.services.${unit};
      in
      [ (nameValuePair "${unit}.service" { text = lib.mkForce null; }) ]
      ++ lib.optional ((service.startAt or [ ]) != [ ]) (
        nameValuePair "${unit}.timer" { text = lib.mkForce null; }
      )
    ) (lib.filter (unit: config.systemd.services ? ${unit}) (netnsLib.namespaceServiceNames cfg.namespaces))
  );

  # A namespace's `service.startAt` gives the compiled tree `<unit>.timer`, which NixOS would not
  # enable (it skips the packages' `.wants/` directories): it is started by timers.target as
  # NixOS starts the timers of `startAt`.
  timerEnablement = lib.mapAttrs' (
    name: _: nameValuePair "netns-${netnsLib.escapeUnitName name}.timer" { wantedBy = [ "timers.target" ]; }
  ) (filterAttrs (_: namespace: (namespace.service.startAt or [ ]) != [ ]) cfg.namespaces);

  # The same for the units the connectivity options add, which the tree enables through
  # `.wants/` links that NixOS would skip: a published port's socket by sockets.target, a host
  # link, a WireGuard tunnel and the guard by their namespace's unit.
  connectEnablement = lib.listToAttrs (
    lib.concatLists (
      lib.mapAttrsToList (
        name: namespace:
        let
          stem = "netns-${netnsLib.escapeUnitName name}";
          startedWith = unit: nameValuePair unit { wantedBy = [ "${stem}.service" ]; };
        in
        map (
          label:
          nameValuePair "${stem}-publish-${netnsLib.escapeUnitName label}.socket" {
            wantedBy = [ "sockets.target" ];
          }
        ) (lib.attrNames namespace.publish)
        ++ lib.optional namespace.hostLink.enable (startedWith "${stem}-hostlink.service")
        ++ lib.optional namespace.wireguard.enable (startedWith "${stem}-wireguard.service")
        ++ lib.optional namespace.openvpn.enable (startedWith "${stem}-openvpn.service")
        # SPEC §13: the guard that loads netns-compile's own nftables table.
        ++ lib.optional (namespace.dns.strict || namespace.ipv6 != "allow") (
          startedWith "${stem}-guard.service"
        )
        ++ lib.optional (namespace.watchdog.enable && (namespace.wireguard.enable || namespace.openvpn.enable)) (
          startedWith "${stem}-watchdog.service"
        )
        ++ lib.optional (namespace.portForward.enable && (namespace.wireguard.enable || namespace.openvpn.enable)) (
          startedWith "${stem}-portforward.service"
        )
      ) cfg.namespaces
    )
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
      types.submodule [
        {
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
        connectivityOptions
      ]
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

    systemd.units = lib.mkMerge [
      enablement
      connectEnablement
      unitTexts
      timerEnablement
    ];
  };
}
