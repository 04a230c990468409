# `lib.customisation`: packages made overridable, called with their arguments from a scope, and
# scopes themselves, as nixpkgs' lib/customisation.nix defines them. Nothing here builds: a
# derivation is only called for by `overrideDerivation`, which needs a store.
{ lib }:
let
  inherit (builtins) attrNames attrValues elemAt filter head intersectAttrs isAttrs length listToAttrs mapAttrs
    unsafeGetAttrPos;
  inherit (lib.trivial) functionArgs isFunction mirrorFunctionArgs setFunctionArgs id;
  inherit (lib.attrsets) isDerivation optionalAttrs;
  inherit (lib.strings) levenshtein levenshteinAtMost;

  # The six cross-compilation indices, renamed with or without a prefix.
  crossIndices = [ "BuildBuild" "BuildHost" "BuildTarget" "HostHost" "HostTarget" "TargetTarget" ];
  unprefixed = index: lib.strings.toLower (builtins.substring 0 1 index) + builtins.substring 1 (-1) index;
in
rec {
  overrideDerivation = drv: f:
    (extendDerivation (builtins.seq drv.drvPath true)) (
      { meta = drv.meta or { }; passthru = drv.passthru or { }; }
      // (drv.passthru or { })
      // { ${if drv ? __spliced then "__spliced" else null} = mapAttrs (_: sDrv: overrideDerivation sDrv f) drv.__spliced; }
    ) (derivation (drv.drvAttrs // (f drv)));

  # `f origArgs` with `override` (new arguments), `overrideDerivation` and `overrideAttrs`.
  makeOverridable = f:
    let
      mirrorArgs = mirrorFunctionArgs f;
      f' = origArgs:
        let
          result = f origArgs;
          overrideArgs = mirrorArgs (newArgs:
            makeOverridable f (origArgs // (if isFunction newArgs then newArgs origArgs else newArgs)));
        in
        if isAttrs result then
          result // {
            override = overrideArgs;
            overrideDerivation = fdrv: makeOverridable (mirrorArgs (args: overrideDerivation (f args) fdrv)) origArgs;
            ${if result ? overrideAttrs then "overrideAttrs" else null} =
              fdrv: makeOverridable (mirrorArgs (args: (f args).overrideAttrs fdrv)) origArgs;
          }
        else if isFunction result then setFunctionArgs result (functionArgs result) // { override = overrideArgs; }
        else result;
    in
    if isAttrs f then
      f // (mirrorArgs f') // { ${if f ? override then "override" else null} = fdrv: makeOverridable (f.override fdrv); }
    else mirrorArgs f';

  # A function (or file) called with the arguments it names from `autoArgs`, and `args`.
  callPackageWith =
    let
      makeErrorMessage = autoArgs: fn: args: fargs: unpassedArgs:
        let
          arg = head (filter (name: !fargs.${name}) (attrNames unpassedArgs));
          suggestions = lib.trivial.pipe (autoArgs // args) [
            attrNames
            (filter (levenshteinAtMost 2 arg))
            (lib.lists.sortOn (levenshtein arg))
            (lib.lists.take 3)
            (map (x: "\"" + x + "\""))
          ];
          prettySuggestions =
            if suggestions == [ ] then ""
            else if length suggestions == 1 then ", did you mean ${elemAt suggestions 0}?"
            else ", did you mean ${builtins.concatStringsSep ", " (lib.lists.init suggestions)} or ${lib.lists.last suggestions}?";
          loc = unsafeGetAttrPos arg fargs;
          loc' = if loc != null then loc.file + ":" + toString loc.line else "<unknown location>";
        in
        "lib.customisation.callPackageWith: Function called without required argument \"${arg}\" at ${loc'}${prettySuggestions}";
    in
    autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      fargs = functionArgs f;
      allArgs = intersectAttrs fargs autoArgs // args;
      unpassedArgs = removeAttrs fargs (attrNames allArgs);
    in
    if unpassedArgs == { } || lib.lists.all (value: value) (attrValues unpassedArgs) then makeOverridable f allArgs
    else abort (makeErrorMessage autoArgs fn args fargs unpassedArgs);

  # callPackageWith for a function that returns a set of packages, each made overridable.
  callPackagesWith = autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      auto = intersectAttrs (functionArgs f) autoArgs;
      mirrorArgs = mirrorFunctionArgs f;
      origArgs = auto // args;
      pkgs = f origArgs;
      mkAttrOverridable = name: _: makeOverridable (mirrorArgs (newArgs: (f newArgs).${name})) origArgs;
    in
    if isDerivation pkgs then
      throw ("function `callPackages` was called on a *single* derivation "
        + ''"${pkgs.name or "<unknown-name>"}";''
        + " did you mean to use `callPackage` instead?")
    else mapAttrs mkAttrOverridable pkgs;

  # `drv` with `passthru` added to it and each of its outputs; reading a path asserts `condition`.
  extendDerivation = condition: passthru: drv:
    let
      commonAttrs = drv
        // listToAttrs (outputsList ++ [ { name = "all"; value = map (x: x.value) outputsList; } ])
        // passthru
        // {
          drvPath = assert condition; drv.drvPath;
          outPath = assert condition; drv.outPath;
        };
      outputsList = map (outputName: {
        name = outputName;
        value = commonAttrs // {
          inherit (drv.${outputName}) type outputName;
          outputSpecified = true;
          drvPath = assert condition; drv.${outputName}.drvPath;
          outPath = assert condition; drv.${outputName}.outPath;
          ${if passthru ? overrideAttrs then "overrideAttrs" else null} = f: (passthru.overrideAttrs f).${outputName};
        };
      }) (drv.outputs or [ "out" ]);
    in
    commonAttrs;

  # What Hydra needs of a derivation, strictly evaluated.
  hydraJob = drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = { inherit (drv) name system meta; inherit outputs; }
        // optionalAttrs (drv._hydraAggregate or false) {
          _hydraAggregate = true;
          constituents = map hydraJob (lib.lists.flatten drv.constituents);
        }
        // (listToAttrs outputsList);
      makeOutput = outputName:
        let output = drv.${outputName}; in
        {
          name = outputName;
          value = commonAttrs // {
            outPath = output.outPath;
            drvPath = output.drvPath;
            type = "derivation";
            inherit outputName;
          };
        };
      outputsList = map makeOutput outputs;
      drv' = (head outputsList).value;
    in
    if drv == null then null else builtins.deepSeq drv' drv';

  makeScope = newScope: f:
    let
      self = { callPackage = self.newScope { }; } // f self // {
        newScope = scope: newScope (self // scope);
        overrideScope = g: makeScope newScope (lib.fixedPoints.extends g f);
        packages = f;
      };
    in
    self;

  makeScopeWithSplicing = splicePackages: newScope: otherSplices: keep: extra: f:
    makeScopeWithSplicing' { inherit splicePackages newScope; } { inherit otherSplices keep extra f; };

  makeScopeWithSplicing' = { splicePackages, newScope }: { otherSplices, keep ? (_self: { }), extra ? (_spliced0: { }), f }:
    let
      spliced0 = splicePackages {
        pkgsBuildBuild = otherSplices.selfBuildBuild;
        pkgsBuildHost = otherSplices.selfBuildHost;
        pkgsBuildTarget = otherSplices.selfBuildTarget;
        pkgsHostHost = otherSplices.selfHostHost;
        pkgsHostTarget = self;
        pkgsTargetTarget = otherSplices.selfTargetTarget;
      };
      spliced = extra spliced0 // spliced0 // keep self;
      self = f self // {
        newScope = scope: newScope (spliced // scope);
        callPackage = newScope spliced;
        overrideScope = g: makeScopeWithSplicing' { inherit splicePackages newScope; } {
          inherit otherSplices keep extra;
          f = lib.fixedPoints.extends g f;
        };
        packages = f;
      };
    in
    self;

  # A mkDerivation-like function whose arguments `extendDrvArgs` extends.
  extendMkDerivation =
    { constructDrv, excludeDrvArgNames ? [ ], excludeFunctionArgNames ? [ ], extendDrvArgs, inheritFunctionArgs ? true
    , transformDrv ? id }:
    {
      __functor = self: fpargs:
        transformDrv (constructDrv (final:
          let previous = if isFunction fpargs then fpargs final else fpargs; in
          removeAttrs previous excludeDrvArgNames // extendDrvArgs final previous));
      __functionArgs = removeAttrs (
        optionalAttrs inheritFunctionArgs (removeAttrs (functionArgs constructDrv) excludeDrvArgNames)
        // functionArgs (extendDrvArgs { })
      ) excludeFunctionArgNames;
      inherit constructDrv excludeDrvArgNames extendDrvArgs transformDrv;
    };

  renameCrossIndexFrom = prefix: x:
    listToAttrs (map (index: { name = unprefixed index; value = x."${prefix}${index}"; }) crossIndices);
  renameCrossIndexTo = prefix: x:
    listToAttrs (map (index: { name = "${prefix}${index}"; value = x.${unprefixed index}; }) crossIndices);
  mapCrossIndex = f: { buildBuild, buildHost, buildTarget, hostHost, hostTarget, targetTarget }: {
    buildBuild = f buildBuild;
    buildHost = f buildHost;
    buildTarget = f buildTarget;
    hostHost = f hostHost;
    hostTarget = f hostTarget;
    targetTarget = f targetTarget;
  };
}
