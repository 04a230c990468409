# `lib.modules`: the module system, with nixpkgs' semantics and its architecture
# (lib/modules.nix): modules are collected through `imports` (minus `disabledModules`, unique by
# `key`), brought to one syntax, and their declarations and definitions walked together option by
# option. Each option's definitions go through pushDownProperties (attribute names only, so an
# `mkIf` condition may read the configuration it helps define), dischargeProperties (conditions
# evaluated, per option), filterOverrides, sortProperties and the type's own `merge`.
# Everything here is a function or a lazy attribute: nothing runs unless a module system is used.
{ lib }:
let
  inherit (builtins)
    all any attrNames catAttrs concatLists concatMap concatStringsSep elem filter foldl' head
    isAttrs isBool isList isString length mapAttrs sort zipAttrsWith;
  inherit (lib.trivial) isFunction id min warnIf;
  inherit (lib.lists) imap1 optional reverseList;
  inherit (lib.attrsets) attrByPath getAttrFromPath mapAttrsToList mapAttrsRecursiveCond optionalAttrs
    recursiveUpdate setAttrByPath;
  inherit (lib.strings) optionalString;
  inherit (lib.options) isOption mkOption showDefs showFiles showOption unknownModule;
  types = lib.types;

  # `?` without forcing the attribute's value: module attributes may depend on `config`.
  # (`engine` is the native module engine, src/eval/modules/, bound around this file.)
  inherit (engine) has;

  showDeclPrefix = loc: decl: prefix:
    " - option(s) with prefix `${showOption (loc ++ [ prefix ])}' in module `${decl._file}'";
  showRawDecls = loc: decls:
    concatStringsSep "\n" (sort (a: b: a < b)
      (concatMap (decl: map (showDeclPrefix loc decl) (attrNames decl.options)) decls));

  propertyType = v: if isAttrs v then v._type or "" else "";

  # An option tree (not an option) declared where options are: a submodule of those options.
  optionTreeToOption = decl:
    if isOption decl.options then decl
    else decl // {
      options = mkOption {
        type = types.submoduleWith {
          modules = [ { options = decl.options; } ];
          # "whatever the other declarations say"
          shorthandOnlyDefinesConfig = null;
        };
      };
    };

  # What the native engine makes its messages with, and the few Nix values it needs.
  engineHelpers = {
    inherit showOption showDefs showFiles showRawDecls optionTreeToOption;
    inherit (lib.trivial) warn;
    inherit (types) unspecified;
  };

  # The options of `_module`: the same values in every evaluation (extendModules and
  # submodules too), so they are built once, for the top level and for a nested evaluation
  # (where `_module.args` is internal).
  internalOptions =
    let
      options = internal: {
        _module.args = mkOption ({
          # `mkIf` is useless here and a lazy type keeps unused arguments unevaluated.
          type = types.lazyAttrsOf types.raw;
          description = "Additional arguments passed to each module in addition to ones like `lib`, `config`, and `pkgs`, `modulesPath`.";
        } // optionalAttrs internal { internal = true; });
        _module.check = mkOption {
          type = types.bool;
          internal = true;
          default = true;
          description = "Whether to check whether all option definitions have matching declarations.";
        };
        _module.freeformType = mkOption {
          type = types.nullOr types.optionType;
          internal = true;
          default = null;
          description = "If set, merge all definitions that don't have an associated option together using this type.";
        };
        _module.specialArgs = mkOption {
          readOnly = true;
          internal = true;
          description = "Externally provided module arguments that can't be modified from within a configuration, but can be used in module imports.";
        };
      };
    in
    { top = options false; nested = options true; };

  # What the native collectModules leaves to Nix: what only throws or imports a file.
  collectHelpers = class: modulesPath: {
    # A module that is neither a function nor an attrset: a file to import, or a nested list.
    loadOther = args: fallbackFile: m:
      if isList m then
        let defs = [ { file = fallbackFile; value = m; } ]; in
        throw "Module imports can't be nested lists. Perhaps you meant to remove one level of lists? Definitions: ${showDefs defs}"
      else engine.unifyModuleSyntax (toString m) (toString m) (engine.applyModuleArgsIfFunction (toString m) (import m) args);

    classError = module:
      let q = lib.strings.escapeNixString; in
      throw ''
        The module `${module._file or module.key}` (class: ${q module._class}) cannot be imported into a module evaluation that expects class ${q class}.

        Help:
        - Ensure that you are importing the correct module.
        - Verify that the module's `_class`, ${q module._class} matches the expected `class` ${q class}.
        - If you are using a custom class, make sure it is correctly defined and used consistently across your modules.
      '';

    # The key a `disabledModules` item stands for.
    moduleKey = m:
      if isString m && builtins.substring 0 1 m != "/" then toString modulesPath + "/" + m
      else if isAttrs m then m.key or (throw "Each disabledModules item must be a path, string, or a attribute set with a key attribute, or a value supported by toString. However, one of the disabledModules items is an attribute set without a key attribute.")
      else toString m;
  };
in
rec {
  defaultOverridePriority = 100;
  defaultPriority = defaultOverridePriority;
  defaultOrderPriority = 1000;

  evalModules = evalModulesArgs@{ modules, prefix ? [ ], specialArgs ? { }, args ? { }, check ? true, class ? null }:
    let
      withWarnings = x:
        warnIf (has "args" evalModulesArgs) "The args argument to evalModules is deprecated. Please set config._module.args instead."
          (warnIf (has "check" evalModulesArgs) "The check argument to evalModules is deprecated. Please set config._module.check instead." x);

      legacyModules =
        optional (has "args" evalModulesArgs) { config._module.args = args; }
        ++ optional (has "check" evalModulesArgs) { config._module.check = mkDefault check; };
      regularModules = modules ++ legacyModules;

      # `_module`'s own module: its options shared (internalOptions), its config this evaluation's.
      internalModule = rec {
        _file = "lib/modules.nix";
        key = _file;
        options = if prefix == [ ] then internalOptions.top else internalOptions.nested;
        config = {
          _module.args = { inherit extendModules; moduleType = type; };
          _module.specialArgs = specialArgs;
        };
      };

      merged =
        let
          collected = collectModules class (specialArgs.modulesPath or "") (regularModules ++ [ internalModule ])
            ({ inherit lib options config specialArgs; } // specialArgs);
        in
        mergeModules prefix (reverseList collected);

      options = merged.matchedOptions;

      config =
        let
          declaredConfig = engine.optionValues options; # mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value)
          freeformConfig =
            let defs = map (def: { file = def.file; value = setAttrByPath def.prefix def.value; }) merged.unmatchedDefns;
            in if defs == [ ] then { } else declaredConfig._module.freeformType.merge prefix defs;
        in
        if declaredConfig._module.freeformType == null then declaredConfig
        # Definitions with an option are all in declaredConfig, so freeform ones never collide.
        else recursiveUpdate freeformConfig declaredConfig;

      checkUnmatched =
        if config._module.check && config._module.freeformType == null && merged.unmatchedDefns != [ ] then
          let
            firstDef = head merged.unmatchedDefns;
            baseMsg = "The option `${showOption (prefix ++ firstDef.prefix)}' does not exist. Definition values:${showDefs [ firstDef ]}";
          in
          if attrNames options == [ "_module" ] then
            let optionName = showOption prefix; in
            if optionName == "" then throw ''
              ${baseMsg}

              It seems as if you're trying to declare an option by placing it into `config' rather than `options'!
            ''
            else throw ''
              ${baseMsg}

              However there are no options defined in `${showOption prefix}'. Are you sure you've
              declared your options properly? This can happen if you e.g. declared your options in `types.submodule'
              under `config' rather than `options'.
            ''
          else throw baseMsg
        else null;

      checked = builtins.seq checkUnmatched;

      extendModules = extendArgs@{ modules ? [ ], specialArgs ? { }, prefix ? [ ] }:
        evalModules (evalModulesArgs // {
          modules = regularModules ++ modules;
          specialArgs = evalModulesArgs.specialArgs or { } // specialArgs;
          prefix = extendArgs.prefix or evalModulesArgs.prefix or [ ];
        });

      type = types.submoduleWith { inherit modules specialArgs class; };

      result = withWarnings {
        _type = "configuration";
        options = checked options;
        config = checked (removeAttrs config [ "_module" ]);
        _module = checked config._module;
        inherit extendModules type class;
      };
    in
    result;

  # Every module reachable through `imports`, in order, without the disabled ones, each once
  # (by key): natively (src/eval/modules/collect.rs), with what only throws or imports a file
  # left here.
  collectModules = class: modulesPath: initialModules: args:
    engine.collectModules (collectHelpers class modulesPath) class initialModules args;

  setDefaultModuleLocation = file: m: { _file = file; imports = [ m ]; };

  # A module file that is a function of a static argument, applied, keeping its location.
  importApply = modulePath: staticArg: setDefaultModuleLocation modulePath (import modulePath staticArg);

  # A module as { _file, key, _class, disabledModules, imports, options, config }: natively
  # (src/eval/modules/module_syntax.rs), `meta` and `freeformType` merged into its `config`.
  unifyModuleSyntax = engine.unifyModuleSyntax;

  # A module function gets a set with exactly the names it asks for, each forwarded lazily to
  # the given arguments or to `config._module.args` (a strict pattern would recurse): natively.
  applyModuleArgsIfFunction = engine.applyModuleArgsIfFunction;

  mergeModules = prefix: modules: mergeModules' prefix modules (engine.configsOf modules);

  # Natively (src/eval/modules/merge_modules.rs): declarations and definitions regrouped by
  # name; a name declared by options evaluated as one option, one of option trees walked further
  # (beside submodule options, an option tree is a submodule: `optionTreeToOption`), the
  # definitions nothing declares collected with their paths.
  mergeModules' = engine."mergeModules'" engineHelpers;

  # Several declarations of one option: one declaration, their types merged by the functors,
  # sub-modules (`options` of submodule types) collected.
  mergeOptionDecls = engine.mergeOptionDecls engineHelpers;

  # An option's entry of the `options` tree: its declaration with its value and definitions.
  evalOptionValue = engine.evalOptionValue engineHelpers;

  # Natively (src/eval/modules/): discharged, filtered by priority, sorted by order, checked
  # and merged by the type, each part when read, with nixpkgs' messages.
  mergeDefinitions = engine.mergeDefinitions engineHelpers;

  # An `attrsOf`/`lazyAttrsOf` option's value, attribute by attribute, with the priority each
  # attribute's definitions won at.
  mergeAttrDefinitionsWithPrio = opt:
    let
      defsByAttr = lib.attrsets.zipAttrs (concatLists (concatMap ({ value, ... }@def:
        map (mapAttrsToList (k: value: { ${k} = def // { inherit value; }; })) (pushDownProperties value)
      ) opt.definitionsWithLocations));
    in
    assert opt.type.name == "attrsOf" || opt.type.name == "lazyAttrsOf";
    mapAttrs (k: v:
      let merging = mergeDefinitions (opt.loc ++ [ k ]) opt.type.nestedTypes.elemType v; in
      { value = merging.mergedValue; inherit (merging.defsFinal') highestPrio; }
    ) defsByAttr;

  # `mkMerge` expanded and `mkIf`/`mkOverride` pushed into the attributes: only the attribute
  # names of their content are looked at, never a condition.
  inherit (engine) pushDownProperties;

  # One definition's values once its `mkMerge`s are expanded and its `mkIf` conditions decided.
  inherit (engine) dischargeProperties;

  filterOverrides = defs: (filterOverrides' defs).values;

  # The definitions of the highest priority (numerically lowest), their `mkOverride` stripped.
  filterOverrides' = engine."filterOverrides'";

  # Stable by `mkOrder` priority (1000 when unset).
  inherit (engine) sortProperties;

  # A submodule type rebuilt from every declaration's modules (with their file positions).
  fixupOptionType = loc: opt:
    if opt.type.getSubModules or null == null then opt // { type = opt.type or types.unspecified; }
    else opt // { type = opt.type.substSubModules opt.options; options = [ ]; };

  # -- properties ------------------------------------------------------------------------------
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkAssert = assertion: message: content: mkIf (if assertion then true else throw "\nFailed assertion: ${message}") content;
  mkMerge = contents: { _type = "merge"; inherit contents; };
  # A definition with its own location: mergeDefinitions takes it as it is.
  mkDefinition = args@{ file, value, ... }: args // { _type = "definition"; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkImageMediaOverride = mkOverride 60;
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;
  mkFixStrictness = id;
  mkOrder = priority: content: { _type = "order"; inherit priority content; };
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  # `f` applied to the value inside a definition's properties, which stay as they are.
  mapDefinitionValue = f: def:
    let t = def._type or null; in
    if !(def ? _type) then f def
    else if t == "merge" then def // { contents = map (mapDefinitionValue f) def.contents; }
    else if t == "if" || t == "override" || t == "order" then def // { content = mapDefinitionValue f def.content; }
    else if t == "definition" then def // { value = mapDefinitionValue f def.value; }
    else f def;

  # -- aliases ---------------------------------------------------------------------------------
  mkAliasDefinitions = mkAliasAndWrapDefinitions id;
  mkAliasAndWrapDefinitions = wrap: option: mkAliasIfDef option (wrap (mkMerge option.definitions));
  mkAliasAndWrapDefsWithPriority = wrap: option:
    let
      prio = option.highestPrio or defaultOverridePriority;
      defsWithPrio = map (mkOverride prio) option.definitions;
    in
    mkAliasIfDef option (wrap (mkMerge defsWithPrio));
  mkAliasIfDef = option: mkIf (isOption option && option.isDefined);

  fixMergeModules = modules: args: evalModules { inherit modules args; check = false; };

  mkRemovedOptionModule = optionName: replacementInstructions: { options, ... }: {
    options = setAttrByPath optionName (mkOption {
      visible = false;
      apply = x: throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
    });
    config.assertions =
      let opt = getAttrFromPath optionName options; in
      [ {
        assertion = !opt.isDefined;
        message = ''
          The option definition `${showOption optionName}' in ${showFiles opt.files} no longer has any effect; please remove it.
          ${replacementInstructions}
        '';
      } ];
  };

  mkRenamedOptionModule = from: to: doRename {
    inherit from to;
    visible = false;
    warn = true;
    use = builtins.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
  };

  mkRenamedOptionModuleWith = { from, to, sinceRelease }: doRename {
    inherit from to;
    visible = false;
    warn = lib.trivial.isInOldestRelease sinceRelease;
    use = warnIf (lib.trivial.isInOldestRelease sinceRelease)
      "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
  };

  mkMergedOptionModule = from: to: mergeFn: { config, options, ... }: {
    options = foldl' recursiveUpdate { } (map (path: setAttrByPath path (mkOption {
      visible = false;
      # Readable by mergeFn without an error when not defined.
      default = "_mkMergedOptionModule";
    })) from);
    config = {
      warnings = filter (x: x != "") (map (f:
        let
          val = getAttrFromPath f config;
          opt = getAttrFromPath f options;
        in
        optionalString (val != "_mkMergedOptionModule")
          "The option `${showOption f}' defined in ${showFiles opt.files} has been changed to `${showOption to}' that has a different type. Please read `${showOption to}' documentation and update your configuration accordingly."
      ) from);
    } // setAttrByPath to (mkMerge (optional
      (any (f: (getAttrFromPath f config) != "_mkMergedOptionModule") from)
      (mergeFn config)));
  };

  mkChangedOptionModule = from: to: changeFn: mkMergedOptionModule [ from ] to changeFn;

  mkAliasOptionModule = from: to: doRename { inherit from to; visible = true; warn = false; use = id; };
  mkAliasOptionModuleMD = mkAliasOptionModule;

  mkDerivedConfig = opt: f: mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

  doRename = { from, to, visible, warn, use, withPriority ? true }: { config, options, ... }:
    let
      fromOpt = getAttrFromPath from options;
      toOf = attrByPath to (abort "Renaming error: option `${showOption to}' does not exist.");
      toType = let opt = attrByPath to { } options; in opt.type or (types.submodule { });
    in
    {
      options = setAttrByPath from (mkOption {
        inherit visible;
        description = "Alias of {option}`${showOption to}`.";
        apply = x: use (toOf config);
      } // optionalAttrs (toType != null) { type = toType; });
      config = mkMerge [
        (optionalAttrs (has "warnings" options) {
          warnings = optional (warn && fromOpt.isDefined)
            "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'.";
        })
        (if withPriority
          then mkAliasAndWrapDefsWithPriority (setAttrByPath to) fromOpt
          else mkAliasAndWrapDefinitions (setAttrByPath to) fromOpt)
      ];
    };

  importJSON = file: { _file = file; config = lib.trivial.importJSON file; };
  importTOML = file: { _file = file; config = lib.trivial.importTOML file; };

  isType = type: x: (x._type or "") == type;
  setType = typeName: value: value // { _type = typeName; };
}
