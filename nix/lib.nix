# The Nix side of netns-compile, shared by the NixOS module (nix/module.nix) and the flake's
# `lib`: what a configuration hands to the compiler, and the derivations that run it.
#
# Public (re-exported by flake.nix as `lib.*`):
#   toCompilerJSON config            the subset of an evaluated NixOS config the compiler reads
#   compile { config; pkgs ? … }     derivation: the unit tree of `netns-compile build`
#   check { config; pkgs ? … }       derivation: fails with the diagnostics of
#                                     `netns-compile check --deny-warnings`
# `config` is an evaluated NixOS configuration (`nixosConfigurations.HOST.config`), or, with
# `pkgs`, a path to a `.nix`/`.json` config file or a plain config attrset (SPEC §2.1).
{ lib }:
let
  inherit (lib)
    any
    concatMap
    filterAttrs
    hasSuffix
    intersectAttrs
    isAttrs
    isFunction
    isString
    length
    listToAttrs
    mapAttrs
    mkMerge
    nameValuePair
    optional
    optionalString
    ;

  # Priority of an option's own `default` (what `mkOptionDefault` gives).
  optionDefaultPriority = (lib.mkOptionDefault null).priority;

  # `lib.isPath` (nixpkgs 23.05 and later), for the older lib a `.nix` input may be given.
  isPath = lib.isPath or (value: builtins.typeOf value == "path");

  # Priority of a plain definition (named `defaultPriority` before nixpkgs 23.05).
  plainPriority = lib.modules.defaultOverridePriority or lib.modules.defaultPriority;

  namespaceOptionNames = [
    "nftables"
    "sysctl"
    "service"
    # The connectivity options (SPEC §11): handed over only where a definition sets them.
    "publish"
    "dns"
    "hostLink"
    "wireguard"
    "openvpn"
    # SPEC §13.
    "ipv6"
    # The tunnel options of SPEC §14.
    "watchdog"
    "portForward"
  ];

  # The `systemd.services.<svc>` options the compiler reads (SPEC §2.1): the namespace a service
  # joins and the edges of the unit graph.
  joiningOptionNames = [
    "netns"
    "after"
    "before"
    "requires"
    "wants"
    "bindsTo"
    "partOf"
    "wantedBy"
    "requiredBy"
    "upheldBy"
  ];

  # Keys of a module written in module form rather than as a plain attrset of option values.
  moduleKeys = [
    "imports"
    "options"
    "config"
    "_file"
    "key"
    "_module"
    "disabledModules"
  ];

  # The values a definition stands for once its property markers (mkIf, mkMerge, mkOverride,
  # mkOrder) are peeled off, whatever their conditions: enough to see what kind of value it is.
  markedValues =
    def:
    let
      type = def._type or null;
    in
    if !isAttrs def || type == null then
      [ def ]
    else if type == "merge" then
      concatMap markedValues def.contents
    else if type == "if" || type == "override" || type == "order" then
      markedValues def.content
    else
      [ def ];

  isModuleForm =
    value: isFunction value || isPath value || (isAttrs value && any (k: value ? ${k}) moduleKeys);

  isNixosConfig = config: isAttrs config && config ? system.build;
in
rec {
  inherit joiningOptionNames;

  # Escape a namespace name into its unit name as the NixOS services.netns module does (SPEC §3.2).
  escapeUnitName =
    name:
    lib.concatMapStrings (s: if lib.isList s then "-" else s) (
      builtins.split "[^a-zA-Z0-9_.\\-]+" name
    );

  # `true` when the value of an option inside a namespace comes from definitions, `false` when it
  # is the option's default alone. A definition at the default's own priority (mkOptionDefault)
  # merges with the default, so more than one definition at that priority counts as set too.
  isSetByDefinition = opt: opt.highestPrio < optionDefaultPriority || length opt.definitions > 1;

  # How the namespaces reach the compiler. This is the one choice that decides whether the
  # compiler sees what NixOS sees, so it is made with care:
  #
  # * Resolved values alone (`config.services.netns.namespaces`) lose one fact the compiler
  #   needs: whether a namespace's `sysctl`/`nftables` is its own or the default inherited from
  #   `boot.kernel.sysctl`/`networking.nftables.ruleset`. The checks of SPEC §3.6 depend on it
  #   (a `vm.*` key a namespace sets itself is an error, an inherited one a warning).
  # * The raw definitions of `services.netns.namespaces` keep that fact, but a namespace may be
  #   written as a submodule function or with `imports`, which JSON cannot carry, and the
  #   compiler would then redo in Rust a merge that NixOS has already done.
  # * So, where nixpkgs exposes each namespace's own option evaluation (`valueMeta`, nixpkgs
  #   25.11 and later), we hand over, per namespace, exactly the options that are set by
  #   definitions, at the value NixOS merged for them, and leave out those left to their
  #   default. One plain definition of a merged value merges back to the same value, and an
  #   absent option takes the same default in the compiler, so `netns-compile resolve` gives
  #   NixOS's own `services.netns.namespaces`, and the own/inherited distinction survives.
  #   Errors NixOS raises while merging (conflicting definitions) surface during evaluation,
  #   with NixOS's file names, exactly as without netns-compile.
  # * Older nixpkgs has no `valueMeta`: there we hand over the definitions of
  #   `services.netns.namespaces` as one `mkMerge`, which the compiler merges by the same rules
  #   (property markers and all, SPEC §2.2). A namespace written in module form cannot be
  #   carried that way and is rejected with an explanation.
  namespacesInput =
    namespacesOption:
    if namespacesOption ? valueMeta.attrs then
      namespacesFromValueMeta namespacesOption
    else
      namespacesFromDefinitions namespacesOption;

  namespacesFromValueMeta =
    namespacesOption:
    mapAttrs (
      _: meta:
      let
        options = meta.configuration.options;
      in
      listToAttrs (
        concatMap (
          o: optional (isSetByDefinition options.${o}) (nameValuePair o options.${o}.value)
        ) namespaceOptionNames
      )
    ) namespacesOption.valueMeta.attrs;

  namespacesFromDefinitions =
    namespacesOption:
    let
      checkNamespaces =
        def:
        lib.mapAttrs (
          name: namespace:
          if any isModuleForm (markedValues namespace) then
            throw ''
              netns-compile: services.netns.namespaces.${name} is written in module form
              (a function, a path, or an attrset with imports/options/config).
              This nixpkgs does not expose the evaluation of each namespace (option `valueMeta`,
              nixpkgs 25.11 and later), so only plain attribute sets can reach the compiler.
              Write the namespace as an attribute set of its options (nftables, sysctl, service),
              or update nixpkgs.''
          else
            namespace
        ) def;
    in
    mkMerge (
      map (
        def: if isAttrs def && def._type or null == null then checkNamespaces def else def
      ) namespacesOption.definitions
    );

  # The services that join a namespace or order themselves against other units: the compiler
  # reads them for the drop-ins and for the unit graph (cycles, SPEC §5). Empty lists and unset
  # `netns` are left out so that the input stays readable.
  servicesInput =
    services:
    filterAttrs (_: s: s != { }) (
      mapAttrs (
        _: svc:
        filterAttrs (_: v: v != null && v != [ ]) (
          intersectAttrs (lib.genAttrs joiningOptionNames (_: null)) svc
        )
      ) services
    );

  # The names of the namespaces' own units in `systemd.services` (SPEC §3.2).
  namespaceServiceNames = namespaces: map (name: "netns-${escapeUnitName name}") (lib.attrNames namespaces);

  # The namespaces' own units (`systemd.services.netns-<escaped>` for each of `namespaces`,
  # `config.services.netns.namespaces`, SPEC §3.3) as the compiler reads them, from
  # `servicesOption` (`options.systemd.services`): NixOS merges what they hold into each unit with the netns
  # module's own definition, and the compiler does the same by the same rules.
  #
  # * `units`: the definitions made directly on each unit, as one `mkMerge`, property markers
  #   and all. `definitions` are those that won on priority at `systemd.services` itself, in
  #   the order the compiler reads them (as `namespacesFromDefinitions`). A unit defined in
  #   module form cannot be carried in JSON. The options only extensions declare
  #   (`systemd.services.netns-wg.hardened = false`) are left out: the compiler knows NixOS's
  #   unit options only, and what they do is in `extensions`.
  # * `extensions`: what the `config` of modules that extend `systemd.services` defines on
  #   each unit (`unitExtension`), where it defines anything.
  namespaceUnitsInput =
    {
      servicesOption,
      namespaces,
      # The packages modules get as `pkgs` where they are the compiler's tools (the `.nix`
      # route): systemd's default `path` is known from them.
      pkgs ? null,
    }:
    let
      # stage2ServiceConfig's, with the tools' systemd as `systemd.package`.
      defaultPath =
        if pkgs == null then
          null
        else
          [
            pkgs.coreutils
            pkgs.findutils
            pkgs.gnugrep
            pkgs.gnused
            pkgs.systemd
          ];
      checked =
        name: def:
        if any isModuleForm (markedValues def) then
          throw ''
            netns-compile: systemd.services.${name} is written in module form (a function, a
            path, or an attrset with imports/options/config), which cannot reach the compiler.
            Write its definitions as an attribute set of the service's options.''
        else
          def;
      perUnit = lib.mapAttrsToList (
        namespace: value:
        let
          name = "netns-${escapeUnitName namespace}";
          unit = unitEvaluation {
            inherit
              servicesOption
              name
              namespace
              defaultPath
              ;
            inherit (value) service;
          };
          defs = concatMap (def: optional (isAttrs def && def ? ${name}) def.${name}) (
            servicesOption.definitions or [ ]
          );
        in
        {
          inherit name;
          # What extensions set as the unit's `netns` is read with the unit's own definitions,
          # for joining, where the compiler refuses a namespace's unit that joins one.
          defs =
            map (def: withoutKeys unit.extensionOptionNames (checked name def)) defs
            ++ optional (unit.joinDefinition != null) { netns = unit.joinDefinition; };
          extension = unit.extensionDefinitions;
          inherit (unit) joinFiles;
        }
      ) namespaces;
    in
    {
      units = listToAttrs (
        concatMap (u: optional (u.defs != [ ]) (nameValuePair u.name (mkMerge u.defs))) perUnit
      );
      extensions = listToAttrs (
        concatMap (u: optional (u.extension != { }) (nameValuePair u.name u.extension)) perUnit
      );
      # The file of each definition in the `netns` of `units` that extensions make, in order:
      # on the `.nix` route, where a diagnostic about it points (the values are handed over
      # through this file).
      joinFiles = listToAttrs (
        concatMap (u: optional (u.joinFiles != [ ]) (nameValuePair u.name u.joinFiles)) perUnit
      );
    };

  # A definition without the attributes `keys`, through its property markers.
  withoutKeys =
    keys: def:
    let
      type = def._type or null;
    in
    if keys == [ ] || !isAttrs def then
      def
    else if type == "merge" then
      def // { contents = map (withoutKeys keys) def.contents; }
    else if type == "if" || type == "override" || type == "order" then
      def // { content = withoutKeys keys def.content; }
    else if type == null then
      removeAttrs def keys
    else
      def;

  # The netns module's own settings of the namespace's unit `name` (SPEC §3.2), as an
  # extension's `config` sees them in NixOS: those that do not depend on the store are
  # netns-compile's values (model/service.rs, `netns_module_def`, writes the same); the
  # `ExecStart=`/`ExecStop=` lines name store paths in NixOS, which no evaluation before the
  # build knows, so reading one refuses the configuration (`netns::compiled-setting-read`;
  # the `.nix` route tells this error by its text, `compiledSettingRead`) instead of letting
  # the extension see another value than NixOS's.
  netnsModuleSettings =
    { name, namespace }:
    let
      unknown =
        setting:
        throw "${compiledSettingRead} `${setting}` of ${name}.service, which names store paths in NixOS and only the compiled unit knows";
    in
    {
      description = "${namespace} network namespace";
      before = [ "network.target" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        PrivateNetwork = true;
        PrivateMounts = false;
        # Lists whose item fails: merging `serviceConfig`'s attributes reads each value as far
        # as a list (in NixOS too), merging this one reads its items.
        ExecStart = [ (unknown "serviceConfig.ExecStart") ];
        ExecStop = [ (unknown "serviceConfig.ExecStop") ];
      };
    };

  # How the error an extension gets that reads a setting only the compiled unit knows begins.
  compiledSettingRead = "netns-compile: an extension of systemd.services reads";

  # What NixOS's systemd module derives inside a service's submodule (nixos/lib/systemd-lib.nix:
  # `unitConfig`, `serviceConfig`, `stage2ServiceConfig`; systemd.nix: the job scripts' `Exec*=`
  # lines), for a `systemd.services` whose type lacks it (the compiler's own declaration, on the
  # `.nix` route): an extension's `config` reads the unit as NixOS's does. Given the file NixOS
  # gives these definitions, so that they are told from an extension's (`unitEvaluation`).
  # What names store paths in NixOS is refused when read, as `netnsModuleSettings` refuses the
  # netns module's own lines: the scripts' `Exec*=`, the triggers' files, and `PATH` and the
  # default `path` where `defaultPath` (the packages of systemd's default `path`, as the
  # compiler writes them) is not known.
  #
  # `name` is the service's (its unit's stem): the compiler's declaration leaves the option
  # `name` free-form, whose value a free-form submodule merges before it gives the module
  # argument `name`, so the argument cannot make it.
  systemdServiceDerivations =
    {
      name,
      defaultPath ? null,
    }:
    {
      _file = "<netns-compile>/nixos/modules/system/boot/systemd.nix";
      imports = [
        (
          { config, options, ... }:
          let
            unit = "${name}.service";
            unknown =
              setting:
              throw "${compiledSettingRead} `${setting}` of ${unit}, which names store paths in NixOS and only the compiled unit knows";
            listed = option: key: lib.optionalAttrs (config.${option} != [ ]) { ${key} = toString config.${option}; };
            triggers =
              option: key:
              lib.optionalAttrs (config.${option} != [ ]) { ${key} = unknown "unitConfig.${key}"; };
            defined =
              option: key:
              lib.optionalAttrs options.${option}.isDefined { ${key} = toString config.${option}; };
            # `makeBinPath`, `makeSearchPathOutput "bin" "sbin"`, each entry interpolated (this
            # evaluator's `+` does not yet take a package on its left, as Nix's does).
            searchPath =
              dir: paths:
              lib.concatMapStringsSep ":" (p: "${lib.getOutput "bin" p}/${dir}") (
                lib.filter (p: p != null) paths
              );
            script =
              option: key: asList:
              lib.mkIf (config.${option} != "") {
                serviceConfig.${key} =
                  let
                    line = unknown "serviceConfig.${key}";
                  in
                  if asList then [ line ] else line;
              };
          in
          {
            config = mkMerge [
              {
                name = unit;
                unitConfig =
                  listed "requires" "Requires"
                  // listed "wants" "Wants"
                  // listed "upholds" "Upholds"
                  // listed "after" "After"
                  // listed "before" "Before"
                  // listed "bindsTo" "BindsTo"
                  // listed "partOf" "PartOf"
                  // listed "conflicts" "Conflicts"
                  // listed "requisite" "Requisite"
                  // triggers "restartTriggers" "X-Restart-Triggers"
                  // triggers "reloadTriggers" "X-Reload-Triggers"
                  // lib.optionalAttrs (config.description != "") { Description = config.description; }
                  // listed "documentation" "Documentation"
                  // listed "onFailure" "OnFailure"
                  // listed "onSuccess" "OnSuccess"
                  // defined "startLimitIntervalSec" "StartLimitIntervalSec"
                  // defined "startLimitBurst" "StartLimitBurst";
                environment.PATH = lib.mkIf (config.path != [ ]) (
                  if defaultPath == null then
                    unknown "environment.PATH"
                  else
                    "${searchPath "bin" config.path}:${searchPath "sbin" config.path}"
                );
                path = lib.mkAfter (if defaultPath == null then [ (unknown "path") ] else defaultPath);
              }
              (script "preStart" "ExecStartPre" true)
              (script "script" "ExecStart" false)
              (script "postStart" "ExecStartPost" true)
              (script "reload" "ExecReload" false)
              (script "preStop" "ExecStop" false)
              (script "postStop" "ExecStopPost" false)
            ];
          }
        )
      ];
    };

  # The namespace's unit `name` as its submodule evaluates it, and what the `config` of
  # modules that extend `systemd.services` (`options.systemd.services = mkOption { type =
  # attrsOf (submodule ({ config, ... }: { options.…; config = …; })); }`, as hardening and
  # confinement modules write it) defines on it: NixOS applies that to every service,
  # `netns-<escaped>` included. The submodule is evaluated as `attrsOf (submodule …)`
  # evaluates it (the type's modules, then `name`, then the definitions of this unit that win
  # at `systemd.services.<name>`, with the netns module's, `mkMerge [ own service ]`, whose
  # own settings are `netnsModuleSettings`), and of each of NixOS's unit options (those NixOS's systemd
  # module declares) the definitions that make its value are kept but for three kinds, which
  # the compiler has already: those made on the unit itself (known here by the file they are
  # given), NixOS's own systemd module's (the `[Unit]` keys of the lists, the scripts'
  # `Exec*=`, `name`, `environment.PATH`: the compiler derives them), and the option's
  # default. They are handed over with the priority that won and their order: merged with the
  # netns module's definition and the unit's by the compiler, they give what NixOS's merge of
  # all of them gives (a definition that loses here loses there too).
  #
  # `extensionDefinitions`: an attrset of the unit's options to their definitions (an `mkMerge`
  # of each, under `mkOverride` unless at plain priority), empty where no extension defines
  # anything on the unit. `extensionOptionNames`: the unit's options only extensions declare.
  unitEvaluation =
    {
      servicesOption,
      name,
      namespace,
      service ? { },
      defaultPath ? null,
    }:
    let
      loc = [
        "systemd"
        "services"
        name
      ];
      elemType = servicesOption.type.nestedTypes.elemType;
      payload = elemType.functor.payload or { };
      # The file the unit's own definitions are given here, to tell them from the extensions'.
      onTheUnit = "<netns-compile: a definition of systemd.services.${name}>";
      definedOnTheUnit =
        (lib.modules.mergeDefinitions loc elemType (
          # The netns module's definition.
          [
            {
              file = onTheUnit;
              value = mkMerge [
                (netnsModuleSettings { inherit name namespace; })
                service
              ];
            }
          ]
          ++ map (def: {
            inherit (def) file;
            value = def.value.${name};
          }) (lib.filter (def: isAttrs def.value && def.value ? ${name}) servicesOption.definitionsWithLocations)
        )).defsFinal;
      asModule =
        def:
        {
          _file = onTheUnit;
        }
        // (
          if isAttrs def.value && payload.shorthandOnlyDefinesConfig or false then
            { config = def.value; }
          else
            { imports = [ def.value ]; }
        );
      unit = lib.evalModules (
        {
          specialArgs = payload.specialArgs or { };
          prefix = loc;
          modules = [
            { _module.args.name = lib.mkOptionDefault "‹name›"; }
          ]
          ++ elemType.getSubModules
          # NixOS's type derives what its systemd module derives (and declares `name`, which
          # it sets); the compiler's own declaration of `systemd.services` does not.
          ++ optional (!isUnitOption (elemType.getSubOptions loc).name or null) (
            systemdServiceDerivations { inherit name defaultPath; }
          )
          ++ [ { _module.args.name = name; } ]
          ++ map asModule definedOnTheUnit;
        }
        // lib.optionalAttrs ((payload.class or null) != null) { inherit (payload) class; }
      );
      isNixosSystemd = hasSuffix "nixos/modules/system/boot/systemd.nix";
      isUnitOption = opt: lib.isOption opt && any isNixosSystemd opt.declarations;
      # The option's own default comes first among the definitions when it is one of those
      # that win.
      withoutDefault =
        opt:
        if opt ? default && opt.highestPrio == optionDefaultPriority then
          lib.tail opt.definitionsWithLocations
        else
          opt.definitionsWithLocations;
      fromExtensions =
        opt: lib.filter (def: def.file != onTheUnit && !isNixosSystemd def.file) (withoutDefault opt);
      # Each definition as it was written but for the properties discharged: under the
      # priority that won (outside, as `filterOverrides` takes it off first) and its order.
      definitionOf =
        opt: defs:
        let
          ordered = def: if def ? priority then lib.mkOrder def.priority def.value else def.value;
          prioritized =
            value: if opt.highestPrio == plainPriority then value else lib.mkOverride opt.highestPrio value;
        in
        mkMerge (map (def: prioritized (ordered def)) defs);
      unitOptions = filterAttrs (n: opt: n != "_module" && isUnitOption opt) unit.options;
      joinDefs =
        let
          opt = unit.options.netns or { };
        in
        if lib.isOption opt then fromExtensions opt else [ ];
    in
    {
      extensionDefinitions = listToAttrs (
        concatMap (
          n:
          let
            opt = unitOptions.${n};
            defs = fromExtensions opt;
          in
          optional (defs != [ ]) (nameValuePair n (definitionOf opt defs))
        ) (lib.attrNames unitOptions)
      );
      # What extensions define as nix/module.nix's `netns` of the unit (`null` where nothing),
      # as `extensionDefinitions` gives an option's.
      joinDefinition = if joinDefs == [ ] then null else definitionOf unit.options.netns joinDefs;
      # The file of each of its definitions, in order.
      joinFiles = map (def: def.file) joinDefs;
      # nix/module.nix's `netns` is read by the compiler.
      extensionOptionNames = lib.filter (
        n: n != "_module" && n != "netns" && !(isUnitOption unit.options.${n})
      ) (lib.attrNames unit.options);
    };

  # Where the generated units and scripts find their programs (SPEC §2.4): the packages the
  # NixOS module itself uses. NixOS's default service PATH takes systemd from
  # `systemd.package`, the scripts' shell is `runtimeShell` as in `writeShellScript`.
  # WireGuard's tools only where a namespace uses them, so that no other system depends on them.
  toolsFor =
    {
      pkgs,
      systemd ? pkgs.systemd,
      wireguard ? false,
      portForward ? false,
      openvpn ? false,
    }:
    {
      inherit (pkgs)
        iproute2
        procps
        nftables
        coreutils
        findutils
        gnugrep
        gnused
        runtimeShell
        ;
      inherit systemd;
    }
    // lib.optionalAttrs wireguard { inherit (pkgs) wireguard-tools wireguard-go; }
    // lib.optionalAttrs portForward { inherit (pkgs) libnatpmp; }
    // lib.optionalAttrs openvpn { inherit (pkgs) openvpn; };

  # `networking.wireguard.interfaces` of NixOS's WireGuard module: every name (each is made in
  # the host's namespace, where a namespace's own tunnel must not take it), and the
  # `interfaceNamespace` of those moved into a namespace, whose units the compiler orders after
  # it (SPEC §11).
  wireguardInput =
    config:
    mapAttrs (
      _: i: lib.optionalAttrs ((i.interfaceNamespace or null) != null) { inherit (i) interfaceNamespace; }
    ) (config.networking.wireguard.interfaces or { });

  # Everything the compiler reads from a NixOS configuration (SPEC §2.1). Derivations in it
  # (tools, paths in `systemd.globalEnvironment`) become their store paths in JSON and stay
  # dependencies of whatever is built from it.
  compilerInput =
    {
      config,
      options,
      pkgs,
    }:
    let
      namespaceUnits = namespaceUnitsInput {
        servicesOption = options.systemd.services;
        inherit (config.services.netns) namespaces;
      };
    in
    {
      services.netns.namespaces = namespacesInput options.services.netns.namespaces;
      networking.nftables = {
        inherit (config.networking.nftables) enable ruleset;
      };
      boot.kernel.sysctl = config.boot.kernel.sysctl;
      systemd.globalEnvironment = config.systemd.globalEnvironment;
      # NixOS before 24.11 has no such option: its scripts are never checked.
      systemd.enableStrictShellChecks = config.systemd.enableStrictShellChecks or false;
      systemd.services = servicesInput config.systemd.services // namespaceUnits.units;
      netnsCompile.unitExtensions = namespaceUnits.extensions;
      networking.wireguard.interfaces = wireguardInput config;
      tools = toolsFor {
        inherit pkgs;
        systemd = config.systemd.package;
        wireguard = any (ns: ns.wireguard.enable or false) (lib.attrValues config.services.netns.namespaces);
        portForward = any (ns: ns.portForward.enable or false) (
          lib.attrValues config.services.netns.namespaces
        );
        openvpn = any (ns: ns.openvpn.enable or false) (lib.attrValues config.services.netns.namespaces);
      };
    };

  # The compiler as a package of `pkgs`: the overlay's, else built from this source.
  packageFor = pkgs: pkgs.netns-compile or (pkgs.callPackage ./package.nix { });

  # The input file for the CLI. JSON is written with a `.json` name, which is how the CLI knows
  # the format. A path is handed over as it is; a `.nix` file is copied with its directory so
  # that its relative `imports` still resolve.
  inputFileFor =
    pkgs: config:
    if isPath config then
      if hasSuffix ".nix" (toString config) then
        "${builtins.path { path = dirOf config; name = "netns-config"; }}/${baseNameOf config}"
      else
        config
    else if isString config then
      config
    else
      pkgs.writeText "netns-compile-input.json" (builtins.toJSON config);

  # `netns-compile build` in a derivation: `$out` is the unit tree of SPEC §4, scripts and units
  # referring to their final store paths.
  buildUnits =
    {
      pkgs,
      inputFile,
      package ? packageFor pkgs,
      passthru ? { },
    }:
    pkgs.runCommand "netns-compile-units"
      {
        nativeBuildInputs = [ package ];
        inherit passthru;
        # Milliseconds of work, as NixOS's own unit files: not worth a remote builder or cache.
        preferLocalBuild = true;
        allowSubstitutes = false;
      }
      ''
        netns-compile build ${inputFile} --out "$out"
      '';

  # `netns-compile check --deny-warnings` in a derivation. The diagnostics go to the build log,
  # which `nix build`/`nix flake check` print when it fails.
  checkInput =
    {
      pkgs,
      inputFile,
      package ? packageFor pkgs,
      denyWarnings ? true,
    }:
    pkgs.runCommand "netns-compile-check"
      {
        nativeBuildInputs = [ package ];
        preferLocalBuild = true;
        allowSubstitutes = false;
      }
      ''
        netns-compile check ${inputFile}${optionalString denyWarnings " --deny-warnings"}
        touch "$out"
      '';

  notANixosConfigWithModule = ''
    netns-compile: this NixOS configuration does not import netns-compile's module
    (nixosModules.default). The module records which namespace options are set by definitions
    and which take their defaults: a resolved configuration no longer shows it, and the
    compiler's checks need it.'';

  toCompilerJSON =
    config: config.system.build.netns-compile.input or (throw notANixosConfigWithModule);

  compile =
    {
      config,
      pkgs ? null,
    }:
    if isNixosConfig config then
      config.system.build.netns-compile or (throw notANixosConfigWithModule)
    else
      buildUnits {
        pkgs = requirePkgs "compile" pkgs;
        inputFile = inputFileFor pkgs (withTools pkgs config);
      };

  check =
    {
      config,
      pkgs ? null,
    }:
    if isNixosConfig config then
      config.system.build.netns-compile.check or (throw notANixosConfigWithModule)
    else
      checkInput {
        pkgs = requirePkgs "check" pkgs;
        inputFile = inputFileFor pkgs (withTools pkgs config);
      };

  # A NixOS configuration brings its own packages; a file or a plain attrset does not.
  requirePkgs =
    fn: pkgs:
    if pkgs == null then
      throw "netns-compile: lib.${fn} needs `pkgs` (e.g. nixpkgs.legacyPackages.x86_64-linux) when `config` is not a NixOS configuration"
    else
      pkgs;

  # A plain config attrset without `tools` gets those of `pkgs`, so that the units it compiles
  # to run on the system built from the same `pkgs`.
  withTools =
    pkgs: config:
    if isAttrs config && !(config ? tools) then
      config // { tools = toolsFor { inherit pkgs; }; }
    else
      config;
}
