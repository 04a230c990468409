# `lib.types`: option types as data, as nixpkgs' lib/types.nix defines them. The module engine
# (modules.nix) knows no type: each type carries its own `check`, `merge`, sub-options,
# `emptyValue`, `nestedTypes` and a `functor` by which two declarations of one option merge.
# Descriptions and error texts are nixpkgs' (its test suite greps them).
{ lib }:
let
  inherit (builtins)
    all attrNames concatLists concatStringsSep elem elemAt filter foldl' head isAttrs isBool isFloat
    isInt isList isString length mapAttrs tail typeOf zipAttrsWith;
  inherit (lib.trivial) isFunction boolToString;
  inherit (lib.lists) imap1 last toList;
  inherit (lib.attrsets) filterAttrs optionalAttrs isDerivation;
  inherit (lib.options) getFiles getValues mergeDefaultOption mergeEqualOption mergeOneOption mergeUniqueOption
    showFiles showOption;
  inherit (lib.strings) escapeNixString hasInfix isCoercibleToString;
  inherit (lib.modules) mergeDefinitions fixupOptionType mergeOptionDecls;

  isType = type: x: (x._type or "") == type;

  # What the native module engine (`engine`, src/eval/modules/) makes its messages with.
  engineHelpers = { inherit showOption showFiles; inherit (lib.options) showDefs; };

  # `?` that leaves the attribute's value alone (a merged value is computed only when read).
  hasValue = name: set: builtins.hasAttr name set;

  # Two declarations' types merge when their functors agree: same name, and wrapped types
  # (or payloads, by the functor's `binOp`) that merge themselves.
  defaultTypeMerge = f: f':
    let
      wrapped = f.wrapped.typeMerge f'.wrapped.functor;
      payload = f.binOp f.payload f'.payload;
    in
    if f.name != f'.name then null
    else if f.wrapped == null && f'.wrapped == null && f.payload == null && f'.payload == null then f.type
    else if f.wrapped != null && f'.wrapped != null && wrapped != null then f.type wrapped
    else if f.payload != null && f'.payload != null && payload != null then f.type payload
    else null;

  defaultFunctor = name: {
    inherit name;
    type = types.${name} or null;
    wrapped = null;
    payload = null;
    binOp = a: b: null;
  };

  mkOptionType =
    { name, description ? null, descriptionClass ? null, check ? (x: true), merge ? mergeDefaultOption
    , emptyValue ? { }, getSubOptions ? prefix: { }, getSubModules ? null, substSubModules ? m: null
    , typeMerge ? defaultTypeMerge functor, functor ? defaultFunctor name, deprecationMessage ? null
    , nestedTypes ? { } }:
    {
      _type = "option-type";
      inherit name check merge emptyValue getSubOptions getSubModules substSubModules typeMerge functor
        deprecationMessage nestedTypes descriptionClass;
      description = if description == null then name else description;
    };

  # A nested type's description, parenthesized unless its class reads well in the phrase.
  optionDescriptionPhrase = unparenthesize: t:
    if unparenthesize (t.descriptionClass or null) then t.description else "(${t.description})";

  nounOrComposite = class: class == "noun" || class == "composite";
  nounOrConjunction = class: class == "noun" || class == "conjunction";

  # The definitions of an attribute set option, regrouped by attribute name.
  defsByAttr = defs: map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs;

  types = rec {
    raw = mkOptionType {
      name = "raw"; description = "raw value"; descriptionClass = "noun";
      check = value: true; merge = mergeOneOption;
    };

    anything = mkOptionType {
      name = "anything"; description = "anything"; descriptionClass = "noun";
      check = value: true;
      merge = loc: defs:
        let
          getType = value: if isAttrs value && isCoercibleToString value then "stringCoercibleSet" else typeOf value;
          commonType = foldl' (type: def:
            if getType def.value == type then type
            else throw "The option `${showOption loc}' has conflicting option types in ${showFiles (getFiles defs)}"
          ) (getType (head defs).value) defs;
          mergeFunction = {
            set = (attrsOf anything).merge;
            list =
              if length defs > 1
              then throw "The option `${showOption loc}' has conflicting definitions, in ${showFiles (getFiles defs)}."
              else (listOf anything).merge;
            stringCoercibleSet = mergeOneOption;
            lambda = loc: defs: arg: anything.merge (loc ++ [ "<function body>" ])
              (map (def: { file = def.file; value = def.value arg; }) defs);
          }.${commonType} or mergeEqualOption;
        in
        mergeFunction loc defs;
    };

    unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; descriptionClass = "noun"; };

    bool = mkOptionType {
      name = "bool"; description = "boolean"; descriptionClass = "noun"; check = isBool; merge = mergeEqualOption;
    };

    int = mkOptionType {
      name = "int"; description = "signed integer"; descriptionClass = "noun"; check = isInt; merge = mergeEqualOption;
    };

    ints =
      let
        betweenDesc = lowest: highest: "${toString lowest} and ${toString highest} (both inclusive)";
        between = lowest: highest:
          assert lib.assertMsg (lowest <= highest) "ints.between: lowest must be smaller than highest";
          addCheck int (x: x >= lowest && x <= highest) // {
            name = "intBetween";
            description = "integer between ${betweenDesc lowest highest}";
          };
        ign = lowest: highest: name: docStart:
          between lowest highest // { inherit name; description = docStart + "; between ${betweenDesc lowest highest}"; };
        unsign = bit: range: ign 0 (range - 1) "unsignedInt${toString bit}" "${toString bit} bit unsigned integer";
        sign = bit: range: ign (0 - (range / 2)) (range / 2 - 1) "signedInt${toString bit}" "${toString bit} bit signed integer";
      in
      {
        inherit between;
        unsigned = addCheck int (x: x >= 0) // { name = "unsignedInt"; description = "unsigned integer, meaning >=0"; };
        positive = addCheck int (x: x > 0) // { name = "positiveInt"; description = "positive integer, meaning >0"; };
        u8 = unsign 8 256;
        u16 = unsign 16 65536;
        u32 = unsign 32 4294967296;
        s8 = sign 8 256;
        s16 = sign 16 65536;
        s32 = sign 32 4294967296;
      };

    port = ints.u16;

    float = mkOptionType {
      name = "float"; description = "floating point number"; descriptionClass = "noun"; check = isFloat;
      merge = mergeEqualOption;
    };

    number = either int float;

    numbers =
      let betweenDesc = lowest: highest: "${builtins.toJSON lowest} and ${builtins.toJSON highest} (both inclusive)";
      in {
        between = lowest: highest:
          assert lib.assertMsg (lowest <= highest) "numbers.between: lowest must be smaller than highest";
          addCheck number (x: x >= lowest && x <= highest) // {
            name = "numberBetween";
            description = "integer or floating point number between ${betweenDesc lowest highest}";
          };
        nonnegative = addCheck number (x: x >= 0) // {
          name = "numberNonnegative";
          description = "nonnegative integer or floating point number, meaning >=0";
        };
        positive = addCheck number (x: x > 0) // {
          name = "numberPositive";
          description = "positive integer or floating point number, meaning >0";
        };
      };

    str = mkOptionType {
      name = "str"; description = "string"; descriptionClass = "noun"; check = isString; merge = mergeEqualOption;
    };

    nonEmptyStr = mkOptionType {
      name = "nonEmptyStr"; description = "non-empty string"; descriptionClass = "noun";
      check = x: str.check x && builtins.match "[ \t\n]*" x == null;
      inherit (str) merge;
    };

    singleLineStr =
      let inherit (strMatching "[^\n\r]*\n?") check merge;
      in mkOptionType {
        name = "singleLineStr"; description = "(optionally newline-terminated) single-line string";
        descriptionClass = "noun";
        inherit check;
        merge = loc: defs: lib.strings.removeSuffix "\n" (merge loc defs);
      };

    strMatching = pattern: mkOptionType {
      name = "strMatching ${escapeNixString pattern}";
      description = "string matching the pattern ${pattern}";
      descriptionClass = "noun";
      check = x: str.check x && builtins.match pattern x != null;
      inherit (str) merge;
    };

    separatedString = sep: mkOptionType rec {
      name = "separatedString";
      description = if sep == "" then "Concatenated string" else "strings concatenated with ${builtins.toJSON sep}";
      descriptionClass = "noun";
      check = isString;
      merge = loc: defs: concatStringsSep sep (getValues defs);
      functor = (defaultFunctor name) // {
        payload = sep;
        binOp = sepLhs: sepRhs: if sepLhs == sepRhs then sepLhs else null;
      };
    };

    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";

    string = separatedString "" // {
      name = "string";
      deprecationMessage = "See https://github.com/NixOS/nixpkgs/pull/66346 for better alternative types.";
    };

    passwdEntry = entryType: addCheck entryType (str: !(hasInfix ":" str || hasInfix "\n" str)) // {
      name = "passwdEntry ${entryType.name}";
      description = "${optionDescriptionPhrase (class: class == "noun") entryType}, not containing newlines or colons";
    };

    attrs = mkOptionType {
      name = "attrs"; description = "attribute set"; check = isAttrs;
      merge = loc: foldl' (res: def: res // def.value) { };
      emptyValue = { value = { }; };
    };

    # netns-compile's `pkgs` are the tool prefixes of SPEC §2.4 (absolute paths, store paths or
    # not), so an absolute path string is a package here as a store path is in nixpkgs; such a
    # value is kept as it is (nixpkgs would turn a store path into a derivation).
    package = mkOptionType {
      name = "package"; descriptionClass = "noun";
      check = x: isDerivation x || lib.strings.isStorePath x || (isString x && builtins.substring 0 1 x == "/");
      merge = mergeOneOption;
    };

    shellPackage = package // { check = x: isDerivation x && hasValue "shellPath" x; };

    path = pathWith { absolute = true; };
    pathInStore = pathWith { inStore = true; };
    externalPath = pathWith { absolute = true; inStore = false; };

    # A path, absolute or relative, in the Nix store or not (null: either). "In the store" is
    # nixpkgs' `lib.path.hasStorePathPrefix`: below `builtins.storeDir`, which without a store
    # is Nix's default, /nix/store, in netns-compile as in Nix 2.8.
    pathWith = { inStore ? null, absolute ? null }:
      lib.trivial.throwIf (inStore != null && absolute != null && inStore && !absolute)
        "In pathWith, inStore means the path must be absolute"
        mkOptionType {
          name = "path";
          description =
            (if absolute == null then "" else (if absolute then "absolute " else "relative "))
            + "path"
            + (if inStore == null then "" else (if inStore then " in the Nix store" else " not in the Nix store"));
          descriptionClass = "noun";
          merge = mergeEqualOption;
          functor = defaultFunctor "path" // {
            type = pathWith;
            payload = { inherit inStore absolute; };
            binOp = lhs: rhs: if lhs == rhs then lhs else null;
          };
          check = x:
            let
              isInStore = lib.path.hasStorePathPrefix (if builtins.isPath x then x else /. + builtins.unsafeDiscardStringContext x);
              isAbsolute = builtins.substring 0 1 (toString x) == "/";
              # A true path is refused where it may not be in the store: it could be copied there.
              isExpectedType = if inStore == null || inStore then lib.strings.isStringLike x else isString x;
            in
            isExpectedType && (inStore == null || inStore == isInStore) && (absolute == null || absolute == isAbsolute);
        };

    listOf = elemType: mkOptionType rec {
      name = "listOf";
      description = "list of ${optionDescriptionPhrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = isList;
      # Natively (src/eval/modules/values.rs): map (x: x.value) (filter (hasValue "value")
      #   (concatLists (imap1 (n: def: imap1 (m: def': (mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ])
      #     elemType [ { inherit (def) file; value = def'; } ]).optionalValue) def.value) defs)))
      merge = engine.mergeListOf engineHelpers elemType;
      emptyValue = { value = [ ]; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: listOf (elemType.substSubModules m);
      functor = (defaultFunctor name) // { wrapped = elemType; };
      nestedTypes.elemType = elemType;
    };

    nonEmptyListOf = elemType:
      let list = addCheck (listOf elemType) (l: l != [ ]);
      in list // {
        description = "non-empty ${optionDescriptionPhrase (class: class == "noun") list}";
        emptyValue = { };
      };

    attrsOf = elemType: mkOptionType rec {
      name = "attrsOf";
      description = "attribute set of ${optionDescriptionPhrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = isAttrs;
      # Natively (src/eval/modules/values.rs): mapAttrs (n: v: v.value) (filterAttrs (n: hasValue "value")
      #   (zipAttrsWith (name: defs: (mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue) (defsByAttr defs)))
      merge = engine.mergeAttrsOf engineHelpers elemType;
      emptyValue = { value = { }; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<name>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: attrsOf (elemType.substSubModules m);
      functor = (defaultFunctor name) // { wrapped = elemType; };
      nestedTypes.elemType = elemType;
    };

    # Its attributes are known without merging their definitions (a value is merged when read).
    lazyAttrsOf = elemType: mkOptionType rec {
      name = "lazyAttrsOf";
      description = "lazy attribute set of ${optionDescriptionPhrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = isAttrs;
      # Natively (src/eval/modules/values.rs): zipAttrsWith (name: defs:
      #   let merged = mergeDefinitions (loc ++ [ name ]) elemType defs;
      #   in merged.optionalValue.value or elemType.emptyValue.value or merged.mergedValue
      # ) (defsByAttr defs)
      merge = engine.mergeLazyAttrsOf engineHelpers elemType;
      emptyValue = { value = { }; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<name>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: lazyAttrsOf (elemType.substSubModules m);
      functor = (defaultFunctor name) // { wrapped = elemType; };
      nestedTypes.elemType = elemType;
    };

    attrsWith = { elemType, lazy ? false, placeholder ? "name" }: if lazy then lazyAttrsOf elemType else attrsOf elemType;

    loaOf = elemType: attrsOf elemType // {
      name = "loaOf";
      deprecationMessage = "Mixing lists with attribute values is no longer"
        + " possible; please use `types.attrsOf` instead. See"
        + " https://github.com/NixOS/nixpkgs/issues/1800 for the motivation.";
      nestedTypes.elemType = elemType;
    };

    uniq = unique { message = ""; };

    unique = { message }: type: mkOptionType rec {
      name = "unique";
      inherit (type) description descriptionClass check;
      merge = mergeUniqueOption { inherit message; inherit (type) merge; };
      emptyValue = type.emptyValue;
      getSubOptions = type.getSubOptions;
      getSubModules = type.getSubModules;
      substSubModules = m: uniq (type.substSubModules m);
      # Two declarations merge into one `unique` of the same message (uniq: `unique { message = ""; }`).
      functor = (defaultFunctor name) // { wrapped = type; type = unique { inherit message; }; };
      nestedTypes.elemType = type;
    };

    nullOr = elemType: mkOptionType rec {
      name = "nullOr";
      description = "null or ${optionDescriptionPhrase nounOrConjunction elemType}";
      descriptionClass = "conjunction";
      check = x: x == null || elemType.check x;
      # Natively (src/eval/modules/values.rs):
      #   let nrNulls = count (def: def.value == null) defs; in
      #   if nrNulls == length defs then null
      #   else if nrNulls != 0 then throw "The option `${showOption loc}` is defined both null and not null, in ${showFiles (getFiles defs)}."
      #   else elemType.merge loc defs;
      merge = engine.mergeNullOr engineHelpers elemType;
      emptyValue = { value = null; };
      getSubOptions = elemType.getSubOptions;
      getSubModules = elemType.getSubModules;
      substSubModules = m: nullOr (elemType.substSubModules m);
      functor = (defaultFunctor name) // { wrapped = elemType; };
      nestedTypes.elemType = elemType;
    };

    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${optionDescriptionPhrase nounOrComposite elemType}";
      descriptionClass = "composite";
      check = isFunction;
      merge = loc: defs: fnArgs:
        (mergeDefinitions (loc ++ [ "<function body>" ]) elemType
          (map (fn: { inherit (fn) file; value = fn.value fnArgs; }) defs)).mergedValue;
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<function body>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: functionTo (elemType.substSubModules m);
      functor = (defaultFunctor "functionTo") // { wrapped = elemType; };
      nestedTypes.elemType = elemType;
    };

    submodule = modules: submoduleWith { shorthandOnlyDefinesConfig = true; modules = toList modules; };

    deferredModule = deferredModuleWith { };

    # A module kept as a value, to be evaluated elsewhere; its definitions are imports.
    deferredModuleWith = attrs@{ staticModules ? [ ] }: mkOptionType {
      name = "deferredModule";
      description = "module";
      descriptionClass = "noun";
      check = x: isAttrs x || isFunction x || path.check x;
      merge = loc: defs: {
        imports = staticModules ++ map (def:
          lib.modules.setDefaultModuleLocation "${def.file}, via option ${showOption loc}" def.value) defs;
      };
      inherit (submoduleWith { modules = staticModules; }) getSubOptions getSubModules;
      substSubModules = m: deferredModuleWith (attrs // { staticModules = m; });
      functor = defaultFunctor "deferredModuleWith" // {
        type = deferredModuleWith;
        payload = { inherit staticModules; };
        binOp = lhs: rhs: { staticModules = lhs.staticModules ++ rhs.staticModules; };
      };
    };

    optionType = mkOptionType {
      name = "optionType";
      description = "optionType";
      descriptionClass = "noun";
      check = value: value._type or null == "option-type";
      merge = loc: defs:
        if length defs == 1 then (head defs).value
        else
          let
            optionModules = map ({ value, file }: { _file = file; options = lib.options.mkOption { type = value; }; }) defs;
          in
          (fixupOptionType loc (mergeOptionDecls loc optionModules)).type;
    };

    # A value that is itself a module evaluation: its definitions are modules, merged by a
    # nested `evalModules` that extends one base evaluation (shared by every attribute of an
    # `attrsOf (submodule …)`).
    submoduleWith =
      { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, description ? null, class ? null }@attrs:
      let
        allModules = defs: map ({ value, file }:
          if isAttrs value && shorthandOnlyDefinesConfig
          then { _file = file; config = value; }
          else { _file = file; imports = [ value ]; }
        ) defs;

        base = lib.modules.evalModules {
          inherit specialArgs class;
          modules = [ { _module.args.name = lib.modules.mkOptionDefault "‹name›"; } ] ++ modules;
        };

        freeformType = base._module.freeformType;

        name = "submodule";
      in
      mkOptionType {
        inherit name;
        description = if description != null then description else freeformType.description or name;
        check = x: isAttrs x || isFunction x || path.check x;
        merge = loc: defs:
          (base.extendModules {
            modules = [ { _module.args.name = last loc; } ] ++ allModules defs;
            prefix = loc;
          }).config;
        emptyValue = { value = { }; };
        getSubOptions = prefix: (base.extendModules { inherit prefix; }).options
          // optionalAttrs (freeformType != null) { _freeformOptions = freeformType.getSubOptions prefix; };
        getSubModules = modules;
        substSubModules = m: submoduleWith (attrs // { modules = m; });
        nestedTypes = optionalAttrs (freeformType != null) { inherit freeformType; };
        functor = defaultFunctor name // {
          type = submoduleWith;
          payload = { inherit modules specialArgs shorthandOnlyDefinesConfig description class; };
          binOp = lhs: rhs: {
            modules = lhs.modules ++ rhs.modules;
            specialArgs =
              let intersecting = builtins.intersectAttrs lhs.specialArgs rhs.specialArgs;
              in if intersecting == { } then lhs.specialArgs // rhs.specialArgs
              else throw "A submoduleWith option is declared multiple times with the same specialArgs \"${toString (attrNames intersecting)}\"";
            shorthandOnlyDefinesConfig =
              if lhs.shorthandOnlyDefinesConfig == null then rhs.shorthandOnlyDefinesConfig
              else if rhs.shorthandOnlyDefinesConfig == null then lhs.shorthandOnlyDefinesConfig
              else if lhs.shorthandOnlyDefinesConfig == rhs.shorthandOnlyDefinesConfig then lhs.shorthandOnlyDefinesConfig
              else throw "A submoduleWith option is declared multiple times with conflicting shorthandOnlyDefinesConfig values";
            description =
              if lhs.description == null then rhs.description
              else if rhs.description == null then lhs.description
              else if lhs.description == rhs.description then lhs.description
              else throw "A submoduleWith option is declared multiple times with conflicting descriptions";
            class =
              if lhs.class == null then rhs.class
              else if rhs.class == null then lhs.class
              else if lhs.class == rhs.class then lhs.class
              else throw "A submoduleWith option is declared multiple times with conflicting class values \"${toString lhs.class}\" and \"${toString rhs.class}\".";
          };
        };
      };

    enum = values:
      let
        show = v:
          if isString v then ''"${v}"''
          else if isInt v then toString v
          else if isBool v then boolToString v
          else "<${typeOf v}>";
      in
      mkOptionType rec {
        name = "enum";
        description =
          if values == [ ] then "impossible (empty enum)"
          else if length values == 1 then "value ${show (head values)} (singular enum)"
          else "one of ${concatStringsSep ", " (map show values)}";
        descriptionClass = if length values < 2 then "noun" else "conjunction";
        check = x: elem x values;
        merge = mergeEqualOption;
        functor = (defaultFunctor name) // { payload = values; binOp = a: b: lib.lists.unique (a ++ b); };
      };

    either = t1: t2: mkOptionType rec {
      name = "either";
      description = "${optionDescriptionPhrase nounOrConjunction t1} or ${
        optionDescriptionPhrase (class: class == "noun" || class == "conjunction" || class == "composite") t2}";
      descriptionClass = "conjunction";
      check = x: t1.check x || t2.check x;
      merge = loc: defs:
        let defList = map (d: d.value) defs; in
        if all (x: t1.check x) defList then t1.merge loc defs
        else if all (x: t2.check x) defList then t2.merge loc defs
        else mergeOneOption loc defs;
      typeMerge = f':
        let
          mt1 = t1.typeMerge (elemAt f'.wrapped 0).functor;
          mt2 = t2.typeMerge (elemAt f'.wrapped 1).functor;
        in
        if name == f'.name && mt1 != null && mt2 != null then functor.type mt1 mt2 else null;
      functor = (defaultFunctor name) // { wrapped = [ t1 t2 ]; };
      nestedTypes.left = t1;
      nestedTypes.right = t2;
    };

    oneOf = ts:
      let head' = if ts == [ ] then throw "types.oneOf needs to get at least one type in its argument" else head ts;
      in foldl' either head' (tail ts);

    coercedTo = coercedType: coerceFunc: finalType:
      assert lib.assertMsg (coercedType.getSubModules == null)
        "coercedTo: coercedType must not have submodules (it’s a ${coercedType.description})";
      mkOptionType rec {
        name = "coercedTo";
        description = "${optionDescriptionPhrase (class: class == "noun") finalType} or ${
          optionDescriptionPhrase (class: class == "noun") coercedType} convertible to it";
        check = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x;
        merge = loc: defs:
          let coerceVal = val: if coercedType.check val then coerceFunc val else val;
          in finalType.merge loc (map (def: def // { value = coerceVal def.value; }) defs);
        emptyValue = finalType.emptyValue;
        getSubOptions = finalType.getSubOptions;
        getSubModules = finalType.getSubModules;
        substSubModules = m: coercedTo coercedType coerceFunc (finalType.substSubModules m);
        typeMerge = t1: t2: null;
        functor = (defaultFunctor name) // { wrapped = finalType; };
        nestedTypes.coercedType = coercedType;
        nestedTypes.finalType = finalType;
      };

    addCheck = elemType: check: elemType // { check = x: elemType.check x && check x; };

    pkgs = addCheck (unique { message = "A Nixpkgs pkgs set can not be merged with another pkgs set."; } attrs // {
      name = "pkgs";
      descriptionClass = "noun";
      description = "Nixpkgs package set";
    }) (x: (x._type or null) == "pkgs");
    boolByOr = bool // {
      name = "boolByOr";
      description = "boolean (merged using or)";
      merge = loc: defs: builtins.any (d: d.value) defs;
    };

    # A union of options: a value is an attrset with one attribute, the tag, whose value the
    # tag's option merges.
    attrTag = tags_:
      let
        posSuffix = name:
          let pos = builtins.unsafeGetAttrPos name tags_; in
          if pos == null then "" else " at ${pos.file}:${toString pos.line}:${toString pos.column}";
        escapeName = lib.strings.escapeNixIdentifier;
        tags = mapAttrs (n: opt:
          builtins.addErrorContext "while checking that attrTag tag ${escapeName n} is an option with a type${posSuffix n}" (
            lib.trivial.throwIf (opt._type or null != "option")
              "In attrTag, each tag value must be an option, but tag ${escapeName n} ${
                if opt ? _type then
                  if opt._type == "option-type" then "was a bare type, not wrapped in mkOption."
                  else "was of type ${escapeNixString opt._type}."
                else "was not."}"
              opt // {
                declarations = opt.declarations or (let pos = builtins.unsafeGetAttrPos n tags_; in if pos == null then [ ] else [ pos.file ]);
                declarationPositions = opt.declarationPositions or (let pos = builtins.unsafeGetAttrPos n tags_; in if pos == null then [ ] else [ pos ]);
              })
        ) tags_;
        choicesStr = concatStringsSep ", " (map escapeName (attrNames tags));
      in
      mkOptionType {
        name = "attrTag";
        description = "attribute-tagged union with choices: ${choicesStr}";
        descriptionClass = "noun";
        getSubOptions = prefix: mapAttrs (tagName: tagOption: tagOption // { loc = prefix ++ [ tagName ]; }) tags;
        check = v: isAttrs v && length (attrNames v) == 1 && tags ? ${head (attrNames v)};
        merge = loc: defs:
          let
            choice = head (attrNames (head defs).value);
            checkedValueDefs = map (def:
              assert (length (attrNames def.value)) == 1;
              if (head (attrNames def.value)) != choice then
                throw "The option `${showOption loc}` is defined both as `${choice}` and `${head (attrNames def.value)}`, in ${showFiles (getFiles defs)}."
              else { inherit (def) file; value = def.value.${choice}; }
            ) defs;
          in
          if tags ? ${choice} then { ${choice} = (lib.modules.evalOptionValue (loc ++ [ choice ]) tags.${choice} checkedValueDefs).value; }
          else throw "The option `${showOption loc}` is defined as ${escapeName choice}, but ${escapeName choice} is not among the valid choices (${choicesStr}). Value ${choice} was defined in ${showFiles (getFiles defs)}.";
        nestedTypes = tags;
        functor = defaultFunctor "attrTag" // {
          type = { tags, ... }: attrTag tags;
          payload = { inherit tags; };
          binOp = a: b: {
            tags = a.tags // b.tags // mapAttrs (tagName: bOpt:
              lib.modules.mergeOptionDecls [ tagName ] [
                { options = a.tags.${tagName}; _file = "<attrTag {...}>"; pos = null; }
                { options = bOpt; _file = "<attrTag {...}>"; pos = null; }
              ] // {
                declarations = a.tags.${tagName}.declarations ++ bOpt.declarations;
                declarationPositions = a.tags.${tagName}.declarationPositions ++ bOpt.declarationPositions;
              }) (builtins.intersectAttrs a.tags b.tags);
          };
        };
      };

    # Attribute lists: `[ { name = value; } … ]` (or an attrset), merged attribute by attribute
    # in `mkOrder` order; `asAttrs` gives the result as one attrset.
    attrListOf = elemType: attrListWith { inherit elemType; };
    attrListWith = { elemType, asAttrs ? false, mergeAttrValues ? _name: values: values }:
      mkOptionType rec {
        name = "attrListOf";
        description = "attribute list of ${optionDescriptionPhrase nounOrComposite elemType}";
        descriptionClass = "composite";
        check = x: isList x || isAttrs x;
        merge = loc: defs:
          let
            defaultOrderPriority = 1000;
            defaultOverridePriority = 100;
            # mkOrder is taken off (it sorts), mkOverride kept for mergeDefinitions, in any nesting.
            peelProperties = value:
              let t = value._type or null; in
              if t == "order" then
                let inner = peelProperties value.content; in
                { inherit (inner) value overridePrio; prio = value.priority; }
              else if t == "override" then
                let inner = peelProperties value.content; in
                { inherit (inner) prio; overridePrio = value.priority; value = lib.modules.mkOverride value.priority inner.value; }
              else { inherit value; prio = defaultOrderPriority; overridePrio = defaultOverridePriority; };
            extractItem = file: raw:
              let
                hasOrder = isType "order" raw;
                item = if hasOrder then raw.content else raw;
                key = head (attrNames item);
                peeled = peelProperties item.${key};
              in
              if isAttrs item && length (attrNames item) == 1 then
                peeled // { inherit file key; prio = if hasOrder then raw.priority else peeled.prio; }
              else
                throw "A definition for option `${showOption loc}' is not of type `${description}'. ${
                  if !isAttrs item then "Each list element must be an attribute set, but got ${typeOf item}"
                  else "Each list element must be a single-key attribute set, but got ${toString (length (attrNames item))} keys"
                }.${lib.options.showDefs [ { inherit file; value = raw; } ]}";
            defToItems = def:
              if isList def.value then map (extractItem def.file) def.value
              else map (key: peelProperties def.value.${key} // { inherit (def) file; inherit key; }) (attrNames def.value);
            allItems = lib.lists.concatMap defToItems defs;
            winningOverridePrio = foldl' (acc: item:
              let prev = acc.${item.key} or defaultOverridePriority; in
              if item.overridePrio < prev then acc // { ${item.key} = item.overridePrio; } else acc
            ) { } allItems;
            items = builtins.sort (a: b: a.prio < b.prio) (filter (item:
              item.overridePrio == winningOverridePrio.${item.key} or defaultOverridePriority) allItems);
            evals = filter (e: e.eval.optionalValue ? value) (map (item: {
              inherit (item) key file prio;
              eval = mergeDefinitions (loc ++ [ item.key ]) elemType [ { inherit (item) file value; } ];
            }) items);
            attrListValue = map (e: { ${e.key} = e.eval.optionalValue.value or e.eval.mergedValue; }) evals;
          in
          if asAttrs then zipAttrsWith mergeAttrValues attrListValue else attrListValue;
        emptyValue = { value = if asAttrs then { } else [ ]; };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
        getSubModules = elemType.getSubModules;
        substSubModules = m: attrListWith { inherit asAttrs mergeAttrValues; elemType = elemType.substSubModules m; };
        typeMerge = t: null;
        nestedTypes.elemType = elemType;
      };

    # What `lib.generators.mkLuaInline` makes.
    luaInline = mkOptionType {
      name = "luaInline";
      description = "inline lua";
      descriptionClass = "noun";
      check = x: x._type or null == "lua-inline";
      merge = mergeEqualOption;
    };

    # An option as `mkOption` makes it, not yet evaluated.
    optionDeclaration = mkOptionType {
      name = "optionDeclaration";
      description = "option declaration";
      descriptionClass = "noun";
      check = opt: isType "option" opt && !(opt ? value);
    };

    # Values a structured format (JSON, TOML, …) can hold.
    serializableValueWith = { typeName, nullable ? true }:
      let
        baseType = oneOf [ bool int float str path (attrsOf valueType) (listOf valueType) ];
        valueType = (if nullable then nullOr baseType else baseType) // { description = "${typeName} value"; };
      in
      valueType;
    json = serializableValueWith { typeName = "JSON"; };
    toml = serializableValueWith { typeName = "TOML"; nullable = false; };

    # Two types as one option's two declarations would merge them.
    mergeTypes = a: b:
      assert isOptionType a && isOptionType b;
      let merged = a.typeMerge b.functor; in
      if merged == null then setType "merge-error" { error = "Cannot merge types"; } else merged;

    # The module evalModules adds to make documentation: no checks.
    noCheckForDocsModule = {
      config._module.check = lib.modules.mkForce false;
      _file = "<built-in module that disables checks for the purpose of documentation generation>";
    };
  };
  setType = typeName: value: value // { _type = typeName; };
  isOptionType = isType "option-type";
in
types // {
  inherit types isType defaultTypeMerge defaultFunctor mkOptionType optionDescriptionPhrase setType isOptionType;
}
