# The `lib` netns-compile provides: the nixpkgs library functions NixOS configurations use,
# with nixpkgs' results. Written for netns-compile on top of the builtins; the module-system
# markers (`mkIf`, `mkOverride`, `mkOption`, `types.*`) build the same attrsets as nixpkgs so
# that the module stage (and `nix eval --json`) sees the same data.
builtins:
let
  inherit (builtins)
    add all any attrNames attrValues concatLists concatMap concatStringsSep elem elemAt filter
    foldl' genList getAttr hasAttr head isAttrs isBool isFloat isInt isList isPath
    isString length listToAttrs map mapAttrs match replaceStrings split stringLength substring
    tail toJSON typeOf;

  # nixpkgs keeps these in their section only (`lib.strings.levenshtein`, no `lib.levenshtein`).
  sectionOnly = [
    "revisionWithDefault" "commonPrefix" "commonPrefixLength" "commonSuffixLength" "levenshtein"
    "levenshteinAtMost" "storeDir" "longestValidPathPrefix" "literalCode" "renderOptionValue" "showDefs"
    "closePropagationFast" "closePropagationSlow" "listFilesRecursive" "locateDominatingFile"
    "charToInt" "escapeC" "escapeNixIdentifier" "escapeNixString" "floatToString" "isCoercibleToString"
    "isConvertibleWithToString" "normalizePath" "sanitizeDerivationName" "findFirstIndex" "unionOfDisjoint"
    "codeName" "oldestSupportedRelease" "release" "versionSuffix" "major" "minor" "patch" "majorMinor" "pad"
    "collectModules" "defaultOrderPriority" "defaultOverridePriority" "defaultPriority" "filterOverrides'"
    "importApply" "mkAliasAndWrapDefsWithPriority" "mkAliasIfDef" "availableOn" "platformMatch"
    "cpeFullVersionWithVendor" "mapDefinitionValue" "mergeAttrDefinitionsWithPrio"
    "resolveDefaultNix" "haskellPathsInDir" "shortRev" "urlToName" "sourceByGlobs"
  ];
  lib = builtins.removeAttrs (trivial // fixedPoints // lists // strings // attrsets // options
    // builtins.removeAttrs modules [ "importJSON" "importTOML" ]
    // versionFns // misc // meta // filesystem // stringsWithDeps // derivations // customisation
    // sources) sectionOnly // {
    inherit trivial fixedPoints lists strings attrsets options types asserts debug generators misc
      meta filesystem stringsWithDeps cli kernel network derivations sourceTypes path gvariant fetchers
      customisation sources;
    # nixpkgs' lib.modules does not export the marker helpers; lib (from lib.types) does.
    modules = builtins.removeAttrs modules [ "isType" "setType" ];
    versions = versionFns;
    inherit (asserts) assertMsg assertOneOf;
    inherit (debug)
      trace traceIf traceVal traceValFn traceSeq traceSeqN traceValSeq traceValSeqFn traceValSeqN
      traceValSeqNFn traceFnSeqN runTests testAllTrue;
    # Names more than one section defines: the top level takes the one nixpkgs' lib/default.nix takes.
    inherit (lists) replicate;
    inherit (types) isOptionType defaultTypeMerge defaultFunctor mkOptionType;
    inherit (generators) mkLuaInline;
    inherit (network.ipv6) mkEUI64Suffix;
    # What nixpkgs' lib/default.nix takes from builtins as they are.
    inherit (builtins)
      addErrorContext baseNameOf compareVersions dirOf fromJSON fromTOML getContext hasContext
      hashString isAttrs isBool isFloat isInt isList isPath isString parseDrvName pathExists
      readDir readFile toString tryEval unsafeDiscardStringContext unsafeGetAttrPos appendContext
      unsafeDiscardOutputDependency toXML placeholder toFile;
    # nixpkgs re-fixes its whole lib under the extension, so its own functions see overrides too;
    # this lib is not written as one fixed point, so an extension only adds and replaces names.
    extend = f: fixedPoints.makeExtensible (fixedPoints.extends f (_: builtins.removeAttrs lib [ "extend" ]));
  };

  # -- trivial -------------------------------------------------------------------------------
  trivial = rec {
    id = x: x;
    const = x: _: x;
    flip = f: a: b: f b a;
    pipe = builtins.foldl' (x: f: f x);
    concat = x: y: x ++ y;
    "or" = x: y: x || y;
    "and" = x: y: x && y;
    xor = x: y: (!x) != (!y);
    bitAnd = builtins.bitAnd;
    bitOr = builtins.bitOr;
    bitXor = builtins.bitXor;
    bitNot = builtins.sub (-1);
    boolToString = b: if b then "true" else "false";
    boolToYesNo = b: if b then "yes" else "no";
    mergeAttrs = x: y: x // y;
    defaultTo = default: maybeValue: if maybeValue != null then maybeValue else default;
    mapNullable = f: a: if a == null then a else f a;
    inherit (builtins)
      seq deepSeq genericClosure add sub mul div lessThan ceil floor isBool isFloat isInt pathExists readFile;
    # nixpkgs' versions see through `__functor` attrsets, which the builtins do not.
    # Natively (src/eval/modules/lib_functions.rs, as are imap1 and reverseList):
    # builtins.isFunction f || (f ? __functor && builtins.isFunction (f.__functor f))
    inherit (engine) isFunction;
    functionArgs = f:
      if f ? __functor then f.__functionArgs or (builtins.functionArgs (f.__functor f)) else builtins.functionArgs f;
    setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };
    mirrorFunctionArgs = f: let fArgs = functionArgs f; in g: setFunctionArgs g fArgs;
    toFunction = v: if isFunction v then v else _: v;
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = base: int: base - (int * (builtins.div base int));
    compare = a: b: if a < b then -1 else if a > b then 1 else 0;
    splitByAndCompare = p: yes: no: a: b:
      if p a then (if p b then yes a b else -1) else (if p b then 1 else no a b);
    importJSON = path: builtins.fromJSON (builtins.readFile path);
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    warn = msg: builtins.trace "[1;31mwarning: ${msg}[0m";
    warnIf = cond: msg: if cond then warn msg else x: x;
    warnIfNot = cond: msg: if cond then x: x else warn msg;
    throwIf = cond: msg: if cond then throw msg else x: x;
    throwIfNot = cond: msg: if cond then x: x else throw msg;
    info = msg: builtins.trace "INFO: ${msg}";
    showWarnings = warnings: res: lists.foldr warn res warnings;
    checkListOfEnum = msg: valid: given:
      let unexpected = lists.subtractLists valid given; in
      throwIfNot (unexpected == [ ])
        "${msg}: ${concatStringsSep ", " (map toString unexpected)} unexpected; valid ones: ${concatStringsSep ", " (map toString valid)}";
    inNixShell = false;
    inPureEvalMode = !builtins ? currentSystem;
    oldestSupportedRelease = 2411;
    oldestSupportedReleaseIsAtLeast = release: release <= oldestSupportedRelease;
    isInOldestRelease = warnIf (oldestSupportedReleaseIsAtLeast 2411)
      "lib.isInOldestRelease is deprecated. Use lib.oldestSupportedReleaseIsAtLeast instead."
      oldestSupportedReleaseIsAtLeast;
    nixpkgsVersion = warn "lib.nixpkgsVersion is a deprecated alias of lib.version." version;
    # There is no nixpkgs checkout (nor its .git-revision) behind this lib.
    revisionWithDefault = default: default;
    release = "25.05";
    codeName = "Warbler";
    version = "25.05";
    versionSuffix = "";
    toHexString = i:
      let
        toHexDigit = d: if d < 10 then toString d else
          { "10" = "A"; "11" = "B"; "12" = "C"; "13" = "D"; "14" = "E"; "15" = "F"; }.${toString d};
      in strings.concatMapStrings toHexDigit (toBaseDigits 16 i);
    toBaseDigits = base: i:
      let
        go = i: if i < base then [ i ] else
          let r = i - ((i / base) * base); q = (i - r) / base; in [ r ] ++ go q;
      in
      assert (isInt base); assert (isInt i); assert (base >= 2); assert (i >= 0);
      lists.reverseList (go i);
    # The number is read as TOML reads `0x…` (nixpkgs does the same): Nix 2.8's reader
    # saturates at the largest int, and takes `_` and a trailing comment in loose input.
    fromHexString = str:
      let
        valid = match "(0x)?([0-7]?[0-9A-Fa-f]{1,15})" str;
        read = digits: (builtins.fromTOML "v=0x${digits}").v;
      in
      if valid != null then read (elemAt valid 1)
      else
        assert warn "fromHexString: ${lib.generators.toPretty { } str} is not a valid input and will be rejected in 26.05" true;
        read (strings.removePrefix "0x" (strings.toLower str));
  };
  inherit (trivial) warn warnIf isFunction;

  # -- fixedPoints ---------------------------------------------------------------------------
  fixedPoints = rec {
    fix = f: let x = f x; in x;
    fix' = f: let x = f x // { __unfix__ = f; }; in x;
    converge = f: x: let next = f x; in if next == x then x else converge f next;
    extends = overlay: f: (final: let prev = f final; in prev // overlay final prev);
    composeExtensions = f: g: final: prev:
      let fromF = f final prev; in fromF // g final (prev // fromF);
    composeManyExtensions = lists.foldr composeExtensions (final: prev: { });
    makeExtensible = makeExtensibleWithCustomName "extend";
    makeExtensibleWithCustomName = extenderName: rattrs:
      fix' (self: rattrs self // { ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs); });
    # An extension may be given as an attrset, as `prev: attrs`, or as `final: prev: attrs`;
    # which of the last two only shows once it is applied to `prev`.
    toExtension = f:
      if trivial.isFunction f then
        final: prev: let applied = f prev; in if trivial.isFunction applied then f final prev else applied
      else final: prev: f;
  };

  # -- lists ---------------------------------------------------------------------------------
  lists = rec {
    inherit (builtins)
      head tail length elem elemAt filter genList concatLists concatMap any all sort partition groupBy map isList;
    foldl' = builtins.foldl';
    singleton = x: [ x ];
    forEach = xs: f: map f xs;
    foldr = op: nul: list:
      let len = length list; fold' = n: if n == len then nul else op (elemAt list n) (fold' (n + 1));
      in fold' 0;
    fold = foldr;
    foldl = op: nul: list:
      let foldl'' = n: if n == -1 then nul else op (foldl'' (n - 1)) (elemAt list n);
      in foldl'' (length list - 1);
    imap0 = f: list: genList (n: f n (elemAt list n)) (length list);
    inherit (engine) imap1; # f: list: genList (n: f (n + 1) (elemAt list n)) (length list)
    ifilter0 = ipred: input:
      map (idx: elemAt input idx) (filter (idx: ipred idx (elemAt input idx)) (genList (x: x) (length input)));
    flatten = x: if isList x then concatMap (y: flatten y) x else [ x ];
    remove = e: filter (x: x != e);
    findSingle = pred: default: multiple: list:
      let found = filter pred list; len = length found;
      in if len == 0 then default else if len != 1 then multiple else head found;
    findFirstIndex = pred: default: list:
      let
        resultIndex = builtins.foldl' (index: el: if index < 0 then (if pred el then -index - 1 else index - 1) else index) (-1) list;
      in if resultIndex < 0 then default else resultIndex;
    findFirst = pred: default: list:
      let index = findFirstIndex pred null list; in if index == null then default else elemAt list index;
    count = pred: builtins.foldl' (c: x: if pred x then c + 1 else c) 0;
    optional = cond: elem: if cond then [ elem ] else [ ];
    optionals = cond: elems: if cond then elems else [ ];
    toList = x: if isList x then x else [ x ];
    range = first: last: if first > last then [ ] else genList (n: first + n) (last - first + 1);
    replicate = n: elem: genList (_: elem) n;
    groupBy' = op: nul: pred: lst: builtins.mapAttrs (name: foldl op nul) (groupBy pred lst);
    zipListsWith = f: fst: snd: genList (n: f (elemAt fst n) (elemAt snd n)) (trivial.min (length fst) (length snd));
    zipLists = zipListsWith (fst: snd: { inherit fst snd; });
    inherit (engine) reverseList; # xs: let l = length xs; in genList (n: elemAt xs (l - n - 1)) l
    sortOn = f: list:
      map (x: x.snd) (sort (a: b: a.fst < b.fst) (map (x: { fst = f x; snd = x; }) list));
    compareLists = cmp: a: b:
      if a == [ ] then (if b == [ ] then 0 else -1)
      else if b == [ ] then 1
      else let rel = cmp (head a) (head b); in if rel == 0 then compareLists cmp (tail a) (tail b) else rel;
    take = count: sublist 0 count;
    drop = count: list: sublist count (length list) list;
    takeEnd = n: xs: drop (trivial.max 0 (length xs - n)) xs;
    dropEnd = n: xs: take (trivial.max 0 (length xs - n)) xs;
    sublist = start: count: list:
      let len = length list; in
      genList (n: elemAt list (n + start))
        (if start >= len then 0 else if start + count > len then len - start else count);
    hasPrefix = list1: list2: take (length list1) list2 == list1;
    removePrefix = list1: list2:
      if hasPrefix list1 list2 then drop (length list1) list2
      else throw "lib.lists.removePrefix: First argument is not a list prefix of the second argument";
    last = list: assert trivial.throwIf (list == [ ]) "lists.last: list must not be empty!" true; elemAt list (length list - 1);
    init = list: assert trivial.throwIf (list == [ ]) "lists.init: list must not be empty!" true; take (length list - 1) list;
    unique = builtins.foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];
    allUnique = list: (length (unique list) == length list);
    intersectLists = e: filter (x: elem x e);
    subtractLists = e: filter (x: !(elem x e));
    mutuallyExclusive = a: b: length a == 0 || !(any (x: elem x a) b);
    crossLists = f: foldl (fs: args: concatMap (f: map f args) fs) [ f ];
    listDfs = stopOnCycles: before: list:
      let
        # Walk from `us` to something that must come before it, until nothing does (or a cycle).
        dfs' = us: visited: rest:
          let
            loops = filter (x: before x us) visited;
            earlier = partition (x: before x us) rest;
          in
          if stopOnCycles && loops != [ ] then { cycle = us; inherit loops visited rest; }
          else if earlier.right == [ ] then { minimal = us; inherit visited rest; }
          else dfs' (head earlier.right) ([ us ] ++ visited) (tail earlier.right ++ earlier.wrong);
      in
      dfs' (head list) [ ] (tail list);
    toposort = before: list:
      let
        walk = listDfs true before list;
        others = toposort before (walk.visited ++ walk.rest);
      in
      if length list < 2 then { result = list; }
      else if walk ? cycle then { cycle = reverseList ([ walk.cycle ] ++ walk.visited); inherit (walk) loops; }
      else if others ? cycle then others
      else { result = [ walk.minimal ] ++ others.result; };
    naturalSort = list:
      let
        # Digit runs compare as numbers; each string is split once, not at every comparison.
        key = s: map (part: if isList part then strings.toInt (head part) else part) (split "(0|[1-9][0-9]*)" s);
        keyed = map (s: { key = key s; value = s; }) list;
      in
      map (x: x.value) (sort (a: b: compareLists trivial.compare a.key b.key < 0) keyed);
    uniqueStrings = list: attrNames (listToAttrs (map (name: { inherit name; value = null; }) list));
    commonPrefix = list1: list2:
      let
        differs = zipListsWith (a: b: a != b) list1 list2;
      in
      take (findFirstIndex (x: x) (length differs) differs) list1;
    concatAttrValues = set: concatLists (attrValues set);
    replaceElemAt = list: idx: newElem:
      assert asserts.assertMsg (idx >= 0 && idx < length list)
        "'lists.replaceElemAt' called with index ${toString idx} on a list of size ${toString (length list)}";
      genList (i: if i == idx then newElem else elemAt list i) (length list);
  };
  inherit (lists) foldl take drop;

  # -- strings -------------------------------------------------------------------------------
  strings = rec {
    inherit (builtins)
      stringLength substring replaceStrings concatStringsSep match split toJSON typeOf compareVersions elem
      elemAt filter fromJSON genList head isInt isList isAttrs isPath isString parseDrvName readFile
      storeDir tail unsafeDiscardStringContext appendContext;
    join = concatStringsSep;
    concatStrings = builtins.concatStringsSep "";
    concatMapStrings = f: list: concatStrings (map f list);
    concatImapStrings = f: list: concatStrings (lists.imap1 f list);
    intersperse = separator: list:
      if list == [ ] || length list == 1 then list
      else tail (lists.foldl' (acc: x: acc ++ [ separator x ]) [ ] list);
    concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
    concatImapStringsSep = sep: f: list: concatStringsSep sep (lists.imap1 f list);
    concatMapAttrsStringSep = sep: f: attrs: concatStringsSep sep (attrValues (mapAttrs f attrs));
    concatLines = lines: optionalString (lines != [ ]) (concatStringsSep "\n" lines + "\n");
    replaceString = from: to: replaceStrings [ from ] [ to ];
    makeSearchPath = subDir: paths: concatStringsSep ":" (map (path: path + "/" + subDir) (filter (x: x != null) paths));
    makeSearchPathOutput = output: subDir: pkgs: makeSearchPath subDir (map (attrsets.getOutput output) pkgs);
    makeIncludePath = makeSearchPathOutput "dev" "include";
    makeBinPath = makeSearchPath "bin";
    makeLibraryPath = makeSearchPath "lib";
    optionalString = cond: string: if cond then string else "";
    hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
    hasSuffix = suffix: content:
      let lenContent = stringLength content; lenSuffix = stringLength suffix;
      in lenContent >= lenSuffix && substring (lenContent - lenSuffix) lenContent content == suffix;
    hasInfix = infix: content: builtins.match ".*${escapeRegex infix}.*" "${content}" != null;
    stringToCharacters = s: genList (p: substring p 1 s) (stringLength s);
    stringAsChars = f: s: concatStrings (map f (stringToCharacters s));
    charToInt = c: builtins.getAttr c asciiTable;
    escape = list: replaceStrings list (map (c: "\\${c}") list);
    escapeC = list: replaceStrings list (map (c: "\\x${fixedWidthString 2 "0" (toLower (trivial.toHexString (charToInt c)))}") list);
    escapeURL =
      let
        unreserved = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "-" "_" "." "~" ];
        toEscape = builtins.removeAttrs asciiTable unreserved;
      in replaceStrings (attrNames toEscape) (lists.map (c: "%${trivial.toHexString c}") (attrValues toEscape));
    escapeShellArg = arg:
      let string = toString arg;
      in if match "[[:alnum:],._+:@%/-]+" string == null then "'${replaceStrings [ "'" ] [ "'\\''" ] string}'" else string;
    escapeShellArgs = concatMapStringsSep " " escapeShellArg;
    isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;
    toShellVar = name: value:
      trivial.throwIfNot (isValidPosixName name) "toShellVar: ${name} is not a valid shell variable name" (
        if isAttrs value && !isStringLike value then
          "declare -A ${name}=(${concatStringsSep " " (attrsets.mapAttrsToList (n: v: "[${escapeShellArg n}]=${escapeShellArg v}") value)})"
        else if isList value then "declare -a ${name}=(${escapeShellArgs value})"
        else "${name}=${escapeShellArg value}");
    toShellVars = vars: concatStringsSep "\n" (attrsets.mapAttrsToList toShellVar vars);
    escapeNixString = s: escape [ "$" ] (toJSON s);
    escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");
    escapeNixIdentifier = s: if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null then s else escapeNixString s;
    escapeXML = builtins.replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];
    replaceChars = builtins.replaceStrings;
    lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    toLower = replaceStrings upperChars lowerChars;
    toUpper = replaceStrings lowerChars upperChars;
    toSentenceCase = str:
      let firstChar = substring 0 1 str; rest = substring 1 (stringLength str) str; in
      # A multi-byte first character: nixpkgs upper-cases its first byte alone, which changes
      # nothing; here that byte cannot stand alone (strings are UTF-8), so the character is kept.
      if stringLength firstChar > 1 then toLower str else toUpper firstChar + toLower rest;
    addContextFrom = src: target: target;
    splitString = sep: s: builtins.filter builtins.isString (builtins.split (escapeRegex (toString sep)) (toString s));
    splitStringBy = predicate: keepSplit: str:
      let
        len = stringLength str;
        # Pieces are cut out of `str` whole, not built byte by byte as in nixpkgs: strings here
        # are UTF-8, and a lone byte of a multi-byte character would not survive concatenation.
        piece = start: end: substring start (end - start) str;
        go = pos: start: done:
          if pos == len then done ++ [ (piece start pos) ]
          else if predicate (if pos > 0 then substring (pos - 1) 1 str else "") (substring pos 1 str)
          then go (pos + 1) (if keepSplit then pos else pos + 1) (done ++ [ (piece start pos) ])
          else go (pos + 1) start done;
      in
      if len == 0 then [ "" ] else go 0 0 [ ];
    toCamelCase = str:
      trivial.throwIfNot (isString str) "toCamelCase does only accepts string values, but got ${typeOf str}" (
        let
          words = splitStringBy (prev: curr: elem curr [ "-" "_" " " ]) false str;
          humps = lists.flatten (map (splitStringBy (prev: curr: match "[a-z]" prev != null && match "[A-Z]" curr != null) true) words);
        in
        if humps == [ ] then "" else toLower (head humps) + concatMapStrings toSentenceCase (tail humps));
    removePrefix = prefix: str:
      let preLen = stringLength prefix; in
      if substring 0 preLen str == prefix then substring preLen (-1) str else str;
    removeSuffix = suffix: str:
      let sufLen = stringLength suffix; sLen = stringLength str; in
      if sufLen <= sLen && suffix == substring (sLen - sufLen) sufLen str then substring 0 (sLen - sufLen) str else str;
    trim = trimWith { start = true; end = true; };
    trimWith = { start ? false, end ? false }:
      let
        chars = " \t\r\n";
        regex =
          if start && end then "[${chars}]*(.*[^${chars}])[${chars}]*"
          else if start then "[${chars}]*(.*)"
          else if end then "(.*[^${chars}])[${chars}]*"
          else "(.*)";
      in s: let res = match regex s; in if res == null then "" else head res;
    versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;
    versionAtLeast = v1: v2: !versionOlder v1 v2;
    getName = x: if isString x then (builtins.parseDrvName x).name else x.pname or (builtins.parseDrvName x.name).name;
    getVersion = x: if isString x then (builtins.parseDrvName x).version else x.version or (builtins.parseDrvName x.name).version;
    cmakeOptionType = type: feature: value: "-D${feature}:${toUpper type}=${value}";
    cmakeBool = condition: flag: cmakeOptionType "bool" condition (lib.toUpper (lib.boolToString flag));
    cmakeFeature = feature: value: cmakeOptionType "string" feature value;
    mesonOption = feature: value: "-D${feature}=${value}";
    mesonBool = condition: flag: mesonOption condition (lib.boolToString flag);
    mesonEnable = feature: flag: mesonOption feature (if flag then "enabled" else "disabled");
    enableFeature = flag: feature: "--${if flag then "enable" else "disable"}-${feature}";
    enableFeatureAs = flag: feature: value: enableFeature flag feature + optionalString flag "=${value}";
    withFeature = flag: feature: "--${if flag then "with" else "without"}-${feature}";
    withFeatureAs = flag: feature: value: withFeature flag feature + optionalString flag "=${value}";
    fixedWidthString = width: filler: str:
      let strw = stringLength str; reqWidth = width - (stringLength filler); in
      assert asserts.assertMsg (strw <= width)
        "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString strw})";
      if strw == width then str else filler + fixedWidthString reqWidth filler str;
    fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);
    floatToString = float: let result = toString float; precise = float == builtins.fromJSON result; in
      warnIf (!precise) "Imprecise conversion from float to string ${result}" result;
    isConvertibleWithToString = x: isStringLike x || builtins.elem (typeOf x) [ "null" "int" "float" "bool" ] ||
      (isList x && lists.all isConvertibleWithToString x);
    # nixpkgs 2022-11's name for it (lib/types.nix still calls it).
    isCoercibleToString = isConvertibleWithToString;
    isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;
    isStorePath = x:
      if isStringLike x then
        let str = toString x; in
        substring 0 1 str == "/" && (builtins.dirOf str == storeDir || match "/[0-9a-z]{52}" str != null)
      else false;
    toInt = str:
      let
        strippedInput = match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*" str;
        isLeadingZero = match "0[[:digit:]]+" (head strippedInput) == [ ];
        parsedInput = builtins.fromJSON (head strippedInput);
        generalError = "toInt: Could not convert ${escapeNixString str} to int.";
      in
      if strippedInput == null then throw generalError
      else if isLeadingZero then throw "toInt: Ambiguity in interpretation of ${escapeNixString str} between octal and zero padded integer."
      else if !isInt parsedInput then throw generalError
      else parsedInput;
    toIntBase10 = str:
      let
        strippedInput = match "[[:space:]]*0*(-?[[:digit:]]+)[[:space:]]*" str;
        isZero = match "0+" (head strippedInput) == [ ];
        parsedInput = builtins.fromJSON (head strippedInput);
        generalError = "toIntBase10: Could not convert ${escapeNixString str} to int.";
      in
      if strippedInput == null then throw generalError
      else if isZero then 0
      else if !isInt parsedInput then throw generalError
      else parsedInput;
    fileContents = file: removeSuffix "\n" (builtins.readFile file);
    nameFromURL = url: sep:
      let
        filename = lists.last (splitString "/" url);
        name = head (splitString sep filename);
      in
      assert name != filename; name;
    replicate = n: s: concatStrings (lists.replicate n s);
    commonPrefixLength = a: b:
      let
        shorter = trivial.min (stringLength a) (stringLength b);
        go = i: if i < shorter && substring i 1 a == substring i 1 b then go (i + 1) else i;
      in
      go 0;
    commonSuffixLength = a: b:
      let
        shorter = trivial.min (stringLength a) (stringLength b);
        charFromEnd = s: i: substring (stringLength s - i - 1) 1 s;
        go = i: if i < shorter && charFromEnd a i == charFromEnd b i then go (i + 1) else i;
      in
      go 0;
    levenshtein = a: b:
      let
        # The whole table, lazily: each cell is computed once, from its three neighbours.
        table = genList (i: genList (j: cell i j) (stringLength b + 1)) (stringLength a + 1);
        at = i: j: elemAt (elemAt table i) j;
        cell = i: j:
          if j == 0 then i
          else if i == 0 then j
          else
            let substitution = if substring (i - 1) 1 a == substring (j - 1) 1 b then 0 else 1; in
            trivial.min (trivial.min (at (i - 1) j + 1) (at i (j - 1) + 1)) (at (i - 1) (j - 1) + substitution);
      in
      at (stringLength a) (stringLength b);
    levenshteinAtMost =
      let
        # Both work on what is left once the common prefix and suffix are cut off: whatever
        # edits there are must sit at the two ends of that middle part.
        atMost1 = x: y: stringLength x <= 1 && stringLength y <= 1;
        # Called with the longer string first, at most two characters longer.
        atMost2 = x: y:
          let
            xl = stringLength x;
            yl = stringLength y;
            xMiddle = substring 1 (xl - 2) x;
            yMiddle = substring 1 (yl - 2) y;
            xNoLast = substring 0 (xl - 1) x;
            xNoFirst = substring 1 (xl - 1) x;
            yNoLast = substring 0 (yl - 1) y;
            yNoFirst = substring 1 (yl - 1) y;
          in
          if xl - yl == 2 then xMiddle == y
          else if xl - yl == 1 then xMiddle == yNoLast || xMiddle == yNoFirst
          else xMiddle == yMiddle || xNoLast == yNoFirst || xNoFirst == yNoLast;
      in
      k:
      if k <= 0 then a: b: a == b
      else
        let
          f = a: b:
            let
              al = stringLength a;
              bl = stringLength b;
              pre = commonPrefixLength a b;
              suf = commonSuffixLength a b;
              aMiddle = substring pre (al - pre - suf) a;
              bMiddle = substring pre (bl - pre - suf) b;
            in
            if al < bl then f b a
            else if al - bl > k then false
            else if k == 1 then atMost1 aMiddle bMiddle
            else if k == 2 then atMost2 aMiddle bMiddle
            else levenshtein aMiddle bMiddle <= k;
        in
        f;
    normalizePath = s: builtins.foldl' (x: y: if y == "/" && strings.hasSuffix "/" x then x else x + y) "" (stringToCharacters s);
    # A valid store path name: leading dots dropped, runs of other characters a `-`, at most
    # 207 characters (the last ones), "unknown" if nothing is left; context discarded.
    sanitizeDerivationName =
      let okRegex = match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*"; in
      string:
      if stringLength string <= 207 && okRegex string != null then builtins.unsafeDiscardStringContext string
      else trivial.pipe string [
        builtins.unsafeDiscardStringContext
        (x: elemAt (match "\\.*(.*)" x) 0)
        (split "[^[:alnum:]+._?=-]+")
        (concatMapStrings (s: if isList s then "-" else s))
        (x: substring (trivial.max (stringLength x - 207) 0) (-1) x)
        (x: if stringLength x == 0 then "unknown" else x)
      ];
  };
  inherit (strings) optionalString concatStrings escapeShellArg toUpper toLower;

  asciiTable = builtins.listToAttrs (builtins.genList (i: {
    name = builtins.elemAt (builtins.split "" " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") (2 * i + 2);
    value = i + 32;
  }) 95) // { "\t" = 9; "\n" = 10; "\r" = 13; };

  # -- attrsets ------------------------------------------------------------------------------
  attrsets = rec {
    inherit (builtins)
      attrNames attrValues hasAttr getAttr removeAttrs listToAttrs mapAttrs intersectAttrs catAttrs zipAttrsWith isAttrs;
    attrByPath = attrPath: default: set:
      let
        lenAttrPath = length attrPath;
        attrByPath' = n: s:
          if n == lenAttrPath then s
          else let attr = elemAt attrPath n; in if s ? ${attr} then attrByPath' (n + 1) s.${attr} else default;
      in attrByPath' 0 set;
    hasAttrByPath = attrPath: e:
      let
        lenAttrPath = length attrPath;
        hasAttrByPath' = n: s:
          (n == lenAttrPath || (let attr = elemAt attrPath n; in if s ? ${attr} then hasAttrByPath' (n + 1) s.${attr} else false));
      in hasAttrByPath' 0 e;
    setAttrByPath = attrPath: value:
      let
        len = length attrPath;
        atDepth = n: if n == len then value else { ${elemAt attrPath n} = atDepth (n + 1); };
      in atDepth 0;
    longestValidPathPrefix = attrPath: v:
      let
        go = set: n:
          if n == length attrPath then attrPath
          else let attr = elemAt attrPath n; in
            if set ? ${attr} then go set.${attr} (n + 1) else lists.take n attrPath;
      in
      go v 0;
    getAttrFromPath = attrPath: set:
      attrByPath attrPath (abort ("cannot find attribute '" + concatStringsSep "." attrPath + "'")) set;
    attrVals = nameList: set: map (x: set.${x}) nameList;
    getAttrs = names: attrs: genAttrs names (name: attrs.${name});
    filterAttrs = pred: set: removeAttrs set (filter (name: !pred name set.${name}) (attrNames set));
    filterAttrsRecursive = pred: set:
      listToAttrs (concatMap (name:
        let v = set.${name}; in
        if pred name v then [ (nameValuePair name (if isAttrs v then filterAttrsRecursive pred v else v)) ] else [ ]
      ) (attrNames set));
    foldlAttrs = f: init: set: builtins.foldl' (acc: name: f acc name set.${name}) init (attrNames set);
    foldAttrs = op: nul: list_of_attrs:
      builtins.foldl' (a: n: builtins.foldl' (o: name: o // { ${name} = op n.${name} (a.${name} or nul); }) a (attrNames n)) { }
        (lists.reverseList list_of_attrs);
    collect = pred: attrs:
      if pred attrs then [ attrs ] else if isAttrs attrs then concatMap (collect pred) (attrValues attrs) else [ ];
    cartesianProduct = attrsOfLists:
      builtins.foldl' (listOfAttrs: attrName: concatMap (attrs: map (listValue: attrs // { ${attrName} = listValue; }) attrsOfLists.${attrName}) listOfAttrs)
        [ { } ] (attrNames attrsOfLists);
    mapCartesianProduct = f: attrsOfLists: map f (cartesianProduct attrsOfLists);
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: listToAttrs (mapAttrsToList f set);
    mapAttrsToList = f: attrs: attrValues (mapAttrs f attrs);
    attrsToList = mapAttrsToList nameValuePair;
    mapAttrsRecursive = f: set: mapAttrsRecursiveCond (as: true) f set;
    mapAttrsRecursiveCond = cond: f: set:
      let
        recurse = path: mapAttrs (name: value:
          if isAttrs value && cond value then recurse (path ++ [ name ]) value else f (path ++ [ name ]) value);
      in recurse [ ] set;
    mapAttrsToListRecursive = mapAttrsToListRecursiveCond (_: _: true);
    mapAttrsToListRecursiveCond = pred: f: set:
      let
        visit = path: value: if isAttrs value && pred path value then below path value else [ (f path value) ];
        below = path: set: concatMap (name: visit (path ++ [ name ]) set.${name}) (attrNames set);
      in
      below [ ] set;
    concatMapAttrs = f: v: builtins.foldl' (a: b: a // b) { } (attrValues (mapAttrs f v));
    genAttrs = names: f: genAttrs' names (n: nameValuePair n (f n));
    genAttrs' = xs: f: listToAttrs (map f xs);
    isDerivation = value: value.type or null == "derivation";
    getOutput = output: pkg:
      if !pkg ? outputSpecified || !pkg.outputSpecified then pkg.${output} or pkg.out or pkg else pkg;
    getFirstOutput = candidates: pkg:
      let present = filter (name: hasAttr name pkg) candidates; in
      if pkg.outputSpecified or false || present == [ ] then pkg else pkg.${head present};
    getBin = getOutput "bin";
    getLib = getOutput "lib";
    getDev = getOutput "dev";
    getMan = getOutput "man";
    getStatic = getFirstOutput [ "static" "lib" "out" ];
    getInclude = getFirstOutput [ "include" "dev" "out" ];
    chooseDevOutputs = map getDev;
    optionalAttrs = cond: as: if cond then as else { };
    zipAttrsWithNames = names: f: sets:
      listToAttrs (map (name: { inherit name; value = f name (catAttrs name sets); }) names);
    zipAttrs = zipAttrsWith (name: values: values);
    mergeAttrsList = list: builtins.foldl' (a: b: a // b) { } list;
    recursiveUpdateUntil = pred: lhs: rhs:
      let
        f = attrPath: zipAttrsWith (n: values:
          let here = attrPath ++ [ n ]; in
          if length values == 1 || pred here (elemAt values 1) (head values) then head values
          else f here values);
      in f [ ] [ rhs lhs ];
    recursiveUpdate = lhs: rhs: recursiveUpdateUntil (path: lhs: rhs: !(isAttrs lhs && isAttrs rhs)) lhs rhs;
    matchAttrs = pattern: attrs:
      assert isAttrs pattern;
      all (attr:
        let lhs = pattern.${attr}; rhs = attrs.${attr}; in
        if isAttrs lhs then isAttrs rhs && matchAttrs lhs rhs else lhs == rhs
      ) (attrNames pattern) && all (attr: attrs ? ${attr}) (attrNames pattern);
    overrideExisting = old: new: mapAttrs (name: value: new.${name} or value) old;
    showAttrPath = path: if path == [ ] then "<root attribute path>" else concatStringsSep "." (map strings.escapeNixIdentifier path);
    unionOfDisjoint = x: y:
      let intersection = builtins.intersectAttrs x y; collisions = concatStringsSep " " (attrNames intersection);
          mask = builtins.mapAttrs (name: value: throw "unionOfDisjoint: collision on ${name}; complete list: ${collisions}") intersection;
      in (x // y) // mask;
    recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
    dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };
    # Updates grouped by path, deepest first; each level's own updates apply (lazily, in order)
    # after the nested ones, so an update sees the value the deeper updates made.
    updateManyAttrsByPath =
      let
        go = prefixLength: hasValue: value: updates:
          let
            split = lists.partition (el: length el.path == prefixLength) updates;
            nested = lists.groupBy (el: elemAt el.path prefixLength) split.wrong;
            withNestedMods =
              if split.wrong == [ ] then
                if hasValue then value
                else
                  let updatePath = (head split.right).path; in
                  throw ("updateManyAttrsByPath: Path '${showAttrPath updatePath}' does "
                    + "not exist in the given value, but the first update to this "
                    + "path tries to access the existing value.")
              else if !hasValue then mapAttrs (name: go (prefixLength + 1) false null) nested
              else if isAttrs value then
                value // mapAttrs (name: go (prefixLength + 1) (builtins.hasAttr name value) value.${name}) nested
              else
                let updatePath = (head split.wrong).path; in
                throw ("updateManyAttrsByPath: Path '${showAttrPath updatePath}' needs to "
                  + "be updated, but path '${showAttrPath (lists.take prefixLength updatePath)}' "
                  + "of the given value is not an attribute set, so we can't "
                  + "update an attribute inside of it.");
          in
          lists.foldl (acc: el: el.update acc) withNestedMods split.right;
      in
      updates: value: go 0 true value updates;
    # A store path as a derivation (builtins.storePath, which needs a store, says so here).
    toDerivation = path:
      let
        path' = builtins.storePath path;
        res = {
          type = "derivation";
          name = strings.sanitizeDerivationName (builtins.substring 33 (-1) (baseNameOf path'));
          outPath = path';
          outputs = [ "out" ];
          out = res;
          outputName = "out";
        };
      in
      res;
    # nixpkgs 2022-11's name of cartesianProduct.
    cartesianProductOfSets = cartesianProduct;
  };

  # -- gvariant: GLib's GVariant values, written in its text format (for dconf) ---------------
  gvariant =
    let
      inherit (strings) concatMapStringsSep concatStrings escape replaceString;
      mkPrimitive = t: v: {
        _type = "gvariant";
        type = t;
        value = v;
        __toString = self: "@${self.type} ${toString self.value}";
      };
      type = {
        arrayOf = t: "a${t}";
        maybeOf = t: "m${t}";
        tupleOf = ts: "(${concatStrings ts})";
        dictionaryEntryOf = nameType: valueType: "{${nameType}${valueType}}";
        string = "s";
        boolean = "b";
        uchar = "y";
        int16 = "n";
        uint16 = "q";
        int32 = "i";
        uint32 = "u";
        int64 = "x";
        uint64 = "t";
        double = "d";
        variant = "v";
      };
    in
    rec {
      inherit type;
      isGVariant = v: v._type or "" == "gvariant";
      intConstructors = [
        { name = "mkInt32"; type = type.int32; min = -2147483648; max = 2147483647; }
        { name = "mkUint32"; type = type.uint32; min = 0; max = 4294967295; }
        { name = "mkInt64"; type = type.int64; min = null; max = null; }
        { name = "mkUint64"; type = type.uint64; min = 0; max = null; }
        { name = "mkInt16"; type = type.int16; min = -32768; max = 32767; }
        { name = "mkUint16"; type = type.uint16; min = 0; max = 65535; }
        { name = "mkUchar"; type = type.uchar; min = 0; max = 255; }
      ];
      # A Nix value as a GVariant; an integer's width is not guessed.
      mkValue = v:
        if isBool v then mkBoolean v
        else if isFloat v then mkDouble v
        else if isString v then mkString v
        else if isList v then mkArray v
        else if isGVariant v then v
        else if isInt v then
          let
            validConstructors = filter ({ min, max, ... }: (min == null || min <= v) && (max == null || v <= max)) intConstructors;
          in
          throw ''
            The GVariant type for number “${toString v}” is unclear.
            Please wrap the value with one of the following, depending on the value type in GSettings schema:
            ${concatMapStringsSep "\n" ({ name, type, ... }: "- `lib.gvariant.${name}` for `${type}`") validConstructors}
          ''
        else if isAttrs v then
          throw "Cannot construct GVariant value from an attribute set. If you want to construct a dictionary, you will need to create an array containing items constructed with `lib.gvariant.mkDictionaryEntry`."
        else throw "The GVariant type of “${typeOf v}” can't be inferred.";
      mkArray = elems:
        let
          vs = map mkValue (trivial.throwIf (elems == [ ]) "Please create empty array with mkEmptyArray." elems);
          elemType = trivial.throwIfNot (all (t: (head vs).type == t) (map (v: v.type) vs))
            "Elements in a list should have same type." (head vs).type;
        in
        mkPrimitive (type.arrayOf elemType) vs // { __toString = self: "@${self.type} [${concatMapStringsSep "," toString self.value}]"; };
      mkEmptyArray = elemType: mkPrimitive (type.arrayOf elemType) [ ] // { __toString = self: "@${self.type} []"; };
      mkVariant = elem: mkPrimitive type.variant (mkValue elem) // { __toString = self: "<${toString self.value}>"; };
      mkDictionaryEntry = name: value:
        let name' = mkValue name; value' = mkValue value; in
        mkPrimitive (type.dictionaryEntryOf name'.type value'.type) { inherit name value; }
        // { __toString = self: "@${self.type} {${name'},${value'}}"; };
      mkMaybe = elemType: elem:
        mkPrimitive (type.maybeOf elemType) elem
        // { __toString = self: if self.value == null then "@${self.type} nothing" else "just ${toString self.value}"; };
      mkNothing = elemType: mkMaybe elemType null;
      mkJust = elem: let gvarElem = mkValue elem; in mkMaybe gvarElem.type gvarElem;
      mkTuple = elems:
        let gvarElems = map mkValue elems; in
        mkPrimitive (type.tupleOf (map (e: e.type) gvarElems)) gvarElems
        // { __toString = self: "@${self.type} (${concatMapStringsSep "," toString self.value})"; };
      mkBoolean = v: mkPrimitive type.boolean v // { __toString = self: if self.value then "true" else "false"; };
      mkString = v:
        let sanitize = s: replaceString "\n" "\\n" (escape [ "'" "\\" ] s); in
        mkPrimitive type.string v // { __toString = self: "'${sanitize self.value}'"; };
      mkObjectpath = v: mkPrimitive type.string v // { __toString = self: "objectpath '${escape [ "'" ] self.value}'"; };
      mkUchar = mkPrimitive type.uchar;
      mkInt16 = mkPrimitive type.int16;
      mkUint16 = mkPrimitive type.uint16;
      mkInt32 = v: mkPrimitive type.int32 v // { __toString = self: toString self.value; };
      mkUint32 = mkPrimitive type.uint32;
      mkInt64 = mkPrimitive type.int64;
      mkUint64 = mkPrimitive type.uint64;
      mkDouble = v: mkPrimitive type.double v // { __toString = self: toString self.value; };
    };

  # -- fetchers: the hash arguments of fixed-output fetchers, as their derivations want them --
  fetchers =
    let
      defaultHashTypes = [ "sha256" ];
      hashNamesOf = hashTypes: [ "hash" ] ++ hashTypes;
      hashSetOf = hashTypes: attrsets.genAttrs (hashNamesOf hashTypes) (trivial.const { });
      fakeH = { hash = misc.fakeHash; sha256 = misc.fakeSha256; sha512 = misc.fakeSha512; };
    in
    rec {
      proxyImpureEnvVars = [
        "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy"
        "HTTP_PROXY" "HTTPS_PROXY" "FTP_PROXY" "ALL_PROXY" "NO_PROXY"
        "NIX_SSL_CERT_FILE"
      ];
      # `hash` or one `<type>` argument becomes `outputHash` (and `outputHashAlgo`); "" is the fake hash.
      normalizeHash = { hashTypes ? defaultHashTypes, required ? true }: args:
        if args ? outputHash then args
        else
          let
            hashesAsNVPairs = attrsets.attrsToList (builtins.intersectAttrs (hashSetOf hashTypes) args);
            h =
              if hashesAsNVPairs == [ ] then trivial.throwIf required "fetcher called without `hash`" null
              else if length hashesAsNVPairs != 1 then
                throw "fetcher called with mutually-incompatible arguments: ${strings.concatMapStringsSep ", " (a: a.name) hashesAsNVPairs}"
              else head hashesAsNVPairs;
          in
          builtins.removeAttrs args (hashNamesOf hashTypes)
          // attrsets.optionalAttrs (h != null) {
            outputHashAlgo = if h.name == "hash" then null else h.name;
            outputHash = if h.value == "" then fakeH.${h.name} or (throw "no “fake hash” defined for ${h.name}") else h.value;
          };
      # A fetcher taking `outputHash`/`outputHashAlgo`, made to take `hash` and the hash types.
      withNormalizedHash = { hashTypes ? defaultHashTypes }: fetcher:
        let
          fArgs = trivial.functionArgs fetcher;
          normalize = normalizeHash { inherit hashTypes; required = !fArgs.outputHash; };
        in
        assert fArgs ? outputHash && fArgs ? outputHashAlgo;
        assert builtins.intersectAttrs fArgs (hashSetOf hashTypes) == { };
        trivial.setFunctionArgs (args: fetcher (normalize args))
          (builtins.removeAttrs fArgs [ "outputHash" "outputHashAlgo" ] // { hash = fArgs.outputHash; });
    };

  # -- derivations (what needs no store: a derivation's attributes, not its build) ------------
  derivations = {
    # A derivation's attributes known without evaluating it (only `outputs` is assumed).
    lazyDerivation = args@{ derivation, meta ? null, passthru ? { }, outputs ? [ "out" ] }:
      let
        checked =
          trivial.throwIfNot (derivation.type or null == "derivation") "lazyDerivation: input must be a derivation."
            (trivial.throwIfNot (derivation.outputs == outputs)
              "lib.lazyDerivation: The derivation ${derivation.name or "<unknown>"} has outputs that don't match the assumed outputs."
              derivation);
      in
      {
        type = "derivation";
        inherit (checked) outPath outputName drvPath name system;
        inherit outputs;
        meta = args.meta or checked.meta;
      } // attrsets.genAttrs outputs (outputName: checked.${outputName}) // passthru;
    optionalDrvAttr = cond: value: if cond then value else null;
    # Every attribute warns when read, but those `nix search` and `nix-build` read anyway.
    warnOnInstantiate = msg: drv:
      drv // mapAttrs (_: trivial.warn msg) (builtins.removeAttrs drv [ "meta" "name" "type" "outputName" ])
      // (if drv ? overrideAttrs && builtins.isFunction drv.overrideAttrs
          then { overrideAttrs = x: derivations.warnOnInstantiate msg (drv.overrideAttrs x); } else { });
    inherit (builtins) unsafeDiscardOutputDependency;
  };

  # -- path: path values and subpath strings, component-wise --------------------------------
  path =
    let
      inherit (asserts) assertMsg;
      subpathInvalidReason = value:
        if !isString value then "The given value is of type ${typeOf value}, but a string was expected"
        else if value == "" then "The given string is empty"
        else if substring 0 1 value == "/" then "The given string \"${value}\" starts with a `/`, representing an absolute path"
        else if match "(.*/)?\\.\\.(/.*)?" value != null then "The given string \"${value}\" contains a `..` component, which is not allowed in subpaths"
        else null;
      isValid = value: subpathInvalidReason value == null;
      # "./a//b/./c/" → [ "a" "b" "c" ] (the string is a valid subpath).
      splitRelPath = p:
        let
          parts = split "/+(\\./+)*" p;
          partCount = length parts / 2 + 1;
          skipStart = if head parts == "." then 1 else 0;
          skipEnd = if lists.last parts == "." || lists.last parts == "" then 1 else 0;
        in
        if p == "." then [ ] else genList (index: elemAt parts ((skipStart + index) * 2)) (partCount - skipEnd - skipStart);
      joinRelPath = components: "./" + (if components == [ ] then "." else concatStringsSep "/" components);
      # A path value as its filesystem root and its components below it.
      deconstructPath =
        let recurse = components: base:
          if base == dirOf base then { root = base; inherit components; }
          else recurse ([ (baseNameOf base) ] ++ components) (dirOf base);
        in recurse [ ];
      storeDirComponents = splitRelPath ("./" + builtins.storeDir);
      storeDirLength = length storeDirComponents;
      componentsHaveStorePathPrefix = components:
        lists.hasPrefix storeDirComponents components
        && storeDirComponents != components
        && match ".{32}-.+" (elemAt components storeDirLength) != null
        # content-addressed derivations' outputs, which have no store directory prefix yet
        || components != [ ] && match "[0-9a-z]{52}" (head components) != null;
      sameRoots = fn: p1: p2: d1: d2: assertMsg (d1.root == d2.root) ''
        lib.path.${fn}: Filesystem roots must be the same for both paths, but paths with different roots were given:
            first argument: "${toString p1}" with root "${toString d1.root}"
            second argument: "${toString p2}" with root "${toString d2.root}"'';
      validSubpath = fn: what: value: assertMsg (isValid value) ''
        lib.path.${fn}: ${what} not a valid subpath string:
            ${subpathInvalidReason value}'';
    in
    {
      append = p: subpath:
        assert assertMsg (isPath p) "lib.path.append: The first argument is of type ${typeOf p}, but a path was expected";
        assert validSubpath "append" "Second argument is" subpath;
        p + ("/" + subpath);
      hasPrefix = path1:
        assert assertMsg (isPath path1) "lib.path.hasPrefix: First argument is of type ${typeOf path1}, but a path was expected";
        let d1 = deconstructPath path1; in
        path2:
        assert assertMsg (isPath path2) "lib.path.hasPrefix: Second argument is of type ${typeOf path2}, but a path was expected";
        let d2 = deconstructPath path2; in
        assert sameRoots "hasPrefix" path1 path2 d1 d2;
        lists.take (length d1.components) d2.components == d1.components;
      removePrefix = path1:
        assert assertMsg (isPath path1) "lib.path.removePrefix: First argument is of type ${typeOf path1}, but a path was expected.";
        let d1 = deconstructPath path1; n = length d1.components; in
        path2:
        assert assertMsg (isPath path2) "lib.path.removePrefix: Second argument is of type ${typeOf path2}, but a path was expected.";
        let
          d2 = deconstructPath path2;
          components =
            if lists.take n d2.components == d1.components then lists.drop n d2.components
            else throw ''lib.path.removePrefix: The first path argument "${toString path1}" is not a component-wise prefix of the second path argument "${toString path2}".'';
        in
        assert sameRoots "removePrefix" path1 path2 d1 d2;
        joinRelPath components;
      splitRoot = p:
        assert assertMsg (isPath p) "lib.path.splitRoot: Argument is of type ${typeOf p}, but a path was expected";
        let d = deconstructPath p; in { inherit (d) root; subpath = joinRelPath d.components; };
      hasStorePathPrefix = p:
        let d = deconstructPath p; in
        assert assertMsg (isPath p) "lib.path.hasStorePathPrefix: Argument is of type ${typeOf p}, but a path was expected";
        assert assertMsg (d.root == /. && toString d.root == "/")
          "lib.path.hasStorePathPrefix: Argument has a filesystem root (${toString d.root}) that's not /, which is currently not supported.";
        componentsHaveStorePathPrefix d.components;
      subpath = {
        inherit isValid;
        join = subpaths:
          if all isValid subpaths then joinRelPath (concatMap splitRelPath subpaths)
          else foldl' (i: p:
            if isValid p then i + 1
            else throw ''
              lib.path.subpath.join: Element at index ${toString i} is not a valid subpath string:
                  ${subpathInvalidReason p}'') 0 subpaths;
        components = subpath:
          assert validSubpath "subpath.components" "Argument is" subpath;
          splitRelPath subpath;
        normalise = subpath:
          assert validSubpath "subpath.normalise" "Argument is" subpath;
          joinRelPath (splitRelPath subpath);
      };
    };

  # What a package's sources are, for its `meta.sourceProvenance`.
  sourceTypes = mapAttrs (tname: tset: { shortName = tname; isSource = false; } // tset) {
    fromSource = { isSource = true; };
    binaryNativeCode = { };
    binaryBytecode = { };
    binaryFirmware = { };
    obfuscatedCode = { };
  };

  # -- options, modules, types ---------------------------------------------------------------
  options = rec {
    isOption = lib.isType "option";
    # The options of an `options` tree, depth first, as the manual lists them.
    optionAttrSetToDocList = optionAttrSetToDocList' [ ];
    optionAttrSetToDocList' = _: options:
      concatMap (opt:
        let
          docOption = {
            loc = opt.loc;
            name = showOption opt.loc;
            description = opt.description or null;
            declarations = filter (x: x != unknownModule) opt.declarations;
            internal = opt.internal or false;
            visible = if (opt.visible or null) == "shallow" then true else opt.visible or true;
            readOnly = opt.readOnly or false;
            type = opt.type.description or "unspecified";
          }
          // attrsets.optionalAttrs (builtins.hasAttr "example" opt) { example = scrubOptionValue opt.example; }
          // attrsets.optionalAttrs (builtins.hasAttr "default" opt) { default = scrubOptionValue opt.default; }
          // attrsets.optionalAttrs (builtins.hasAttr "defaultText" opt) { default = opt.defaultText; }
          // attrsets.optionalAttrs (builtins.hasAttr "relatedPackages" opt && opt.relatedPackages != null) { inherit (opt) relatedPackages; };
          subOptions = let ss = opt.type.getSubOptions opt.loc; in if ss != { } then optionAttrSetToDocList' opt.loc ss else [ ];
          subOptionsVisible = docOption.visible && (opt.visible or null) != "shallow";
        in
        [ docOption ] ++ lists.optionals subOptionsVisible subOptions) (attrsets.collect isOption options);
    mkOption = { default ? null, defaultText ? null, example ? null, description ? null, relatedPackages ? null,
                 type ? null, apply ? null, internal ? null, visible ? null, readOnly ? null }@attrs:
      attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { default = false; example = true; description = "Whether to enable ${name}."; type = types.bool; };
    mkSinkUndeclaredOptions = attrs: mkOption ({ internal = true; visible = false; default = false;
      description = "Sink for option definitions."; type = types.mkOptionType { name = "sink"; check = x: true; merge = loc: defs: false; };
      apply = x: throw "Option value is not readable because the option is not declared."; } // attrs);
    literalExpression = text: if !isString text then throw "literalExpression expects a string." else { _type = "literalExpression"; inherit text; };
    literalExample = literalExpression;
    literalMD = text: if !isString text then throw "literalMD expects a string." else { _type = "literalMD"; inherit text; };
    mdDoc = x: x;
    # `*` and `<name>` stand for any attribute name in option paths, so they stay unquoted.
    showOption = parts:
      concatStringsSep "." (map (part: if part == "*" || match "<(.*)>" part != null then part else strings.escapeNixIdentifier part) parts);
    showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);
    showDefs = defs: concatStrings (map (def:
      let
        # At most five lines of each value, and none of a value that fails to evaluate.
        pretty = builtins.tryEval (lib.generators.toPretty { }
          (lib.generators.withRecursion { depthLimit = 10; throwOnDepthLimit = false; } def.value));
        lines = filter (l: !isList l) (split "\n" pretty.value);
        shown = concatStringsSep "\n    " (lists.take 5 lines ++ lists.optional (length lines > 5) "...");
      in
      "\n- In `${def.file}'" + (if !pretty.success then "" else if length lines > 1 then ":\n    " + shown else ": " + shown)
    ) defs);
    showOptionWithDefLocs = opt: ''
      ${showOption opt.loc}, with values defined in:
      ${concatStringsSep "\n" (map (file: "  - ${file}") opt.files)}
    '';
    unknownModule = "<unknown-file>";
    mergeDefaultOption = loc: defs:
      let values = getValues defs; in
      if length values == 1 then head values
      else if all isFunction values then x: mergeDefaultOption loc (map (f: f x) values)
      else if all isList values then concatLists values
      else if all isAttrs values then foldl' (a: b: a // b) { } values
      else if all isBool values then any (x: x) values
      else if all isString values then concatStrings values
      else if all isInt values && all (x: x == head values) values then head values
      else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";
    mergeUniqueOption = { message, merge ? loc: defs: (head defs).value }: loc: defs:
      if length defs == 1 then merge loc defs
      else
        assert length defs > 1;
        throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${showDefs defs}\n${prioritySuggestion}";
    mergeOneOption = mergeUniqueOption { message = ""; };
    # Natively (src/eval/modules/values.rs): the one value all definitions agree on, a lone
    # definition as it is (so that a lone function, never equal to itself, works).
    mergeEqualOption = engine.mergeEqualOption { inherit showOption showDefs prioritySuggestion; };
    literalCode = languageTag: text: literalMD ''
      ```${languageTag}
      ${text}
      ```
    '';
    renderOptionValue = v:
      if v ? _type && v ? text then v
      else literalExpression (lib.generators.toPretty { multiline = true; allowPrettyValues = true; } v);
    scrubOptionValue = x:
      if attrsets.isDerivation x then { type = "derivation"; drvPath = x.name; outPath = x.name; name = x.name; }
      else if isList x then map scrubOptionValue x
      else if isAttrs x then mapAttrs (n: v: scrubOptionValue v) (builtins.removeAttrs x [ "_args" ])
      else x;
    mkPackageOption = pkgs: name:
      { nullable ? false, default ? name, example ? null, extraDescription ? "", pkgsText ? "pkgs" }:
      let
        shownName = if isList name then lists.last name else name;
        defaultPath = lists.toList default;
        defaultText = attrsets.showAttrPath defaultPath;
        defaults =
          if default != null then {
            default = attrsets.attrByPath defaultPath (throw "${defaultText} cannot be found in ${pkgsText}") pkgs;
            defaultText = literalExpression "${pkgsText}.${defaultText}";
          }
          else attrsets.optionalAttrs nullable { default = null; };
      in
      mkOption (defaults // {
        description = "The ${shownName} package to use." + (if extraDescription == "" then "" else " ") + extraDescription;
        type = if nullable then types.nullOr types.package else types.package;
      } // attrsets.optionalAttrs (example != null) {
        example = literalExpression (if isList example then "${pkgsText}.${attrsets.showAttrPath example}" else example);
      });
    getValues = map (x: x.value);
    getFiles = map (x: x.file);
  };
  inherit (options) mkOption;
  prioritySuggestion = ''
    Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.
  '';

  # The module system and the option types live in lib/modules.nix and lib/types.nix (prepended
  # to this file by lib_prelude.rs); both take the whole lib, lazily.
  modules = moduleSystemOf { inherit lib; };
  customisation = customisationOf { inherit lib; };
  sources = sourcesOf { inherit lib; };
  types = optionTypesOf { inherit lib; };

  # -- asserts, debug, generators ------------------------------------------------------------
  asserts = {
    assertMsg = pred: msg: pred || throw msg;
    assertOneOf = name: val: xs:
      asserts.assertMsg (elem val xs) "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
    assertEachOneOf = name: vals: xs:
      asserts.assertMsg (all (val: elem val xs) vals)
        "each element in ${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } vals}";
    checkAssertWarn = assertions: warnings: val:
      let failed = map (x: x.message) (filter (x: !x.assertion) assertions); in
      if failed != [ ] then throw "\nFailed assertions:\n${concatStringsSep "\n" (map (x: "- ${x}") failed)}"
      else trivial.showWarnings warnings val;
  };

  debug = rec {
    inherit (builtins) trace addErrorContext unsafeGetAttrPos;
    traceIf = pred: msg: x: if pred then builtins.trace msg x else x;
    traceVal = x: builtins.trace x x;
    traceValFn = f: x: builtins.trace (f x) x;
    traceSeq = x: y: builtins.trace (builtins.deepSeq x x) y;
    traceSeqN = depth: x: y:
      let
        # Lists and attrsets below `depth` are printed as `[…]` and `{…}`.
        shownAs = text: v: { __pretty = _: text; val = v; };
        elide = v: if isList v then shownAs "[…]" v else if isAttrs v then shownAs "{…}" v else v;
        cut = n: v:
          if n == 0 then elide v
          else if isList v then map (cut (n - 1)) v
          else if isAttrs v then mapAttrs (_: cut (n - 1)) v
          else v;
      in
      builtins.trace (generators.toPretty { allowPrettyValues = true; } (cut depth x)) y;
    traceValSeqFn = f: v: traceValFn f (builtins.deepSeq v v);
    traceValSeq = traceValSeqFn (x: x);
    traceValSeqNFn = f: depth: v: traceSeqN depth (f v) v;
    traceValSeqN = traceValSeqNFn (x: x);
    traceFnSeqN = depth: name: f: v:
      let res = f v; in traceSeqN (depth + 1) { fn = name; from = v; to = res; } res;
    runTests = tests: concatLists (attrValues (mapAttrs (name: test:
      let selected = tests.tests or [ ]; in
      if (substring 0 4 name == "test" || elem name selected)
        && (selected == [ ] || elem name tests.tests)
        && test.expr != test.expected
      then [ { inherit name; expected = test.expected; result = test.expr; } ]
      else [ ]) tests));
    throwTestFailures = { failures, description ? "tests", ... }:
      if failures == [ ] then null
      else
        let
          pretty = generators.toPretty { allowPrettyValues = true; };
          report = failure: ''
            FAIL ${pretty failure.name}:
            Expected:
            ${pretty failure.expected}
            Result:
            ${pretty failure.result}
          '';
          traced = foldl' (_: failure: traceVal (report failure)) null failures;
        in
        throw (builtins.seq traced ("${toString (length failures)} ${description} failed:\n- "
          + concatStringsSep "\n- " (map (failure: failure.name) failures) + "\n\n" + toJSON failures));
    testAllTrue = expr: { inherit expr; expected = map (_: true) expr; };
  };

  generators = rec {
    toJSON = { }: builtins.toJSON;
    toYAML = { }: builtins.toJSON;
    mkValueStringDefault = { }: v:
      let unsupported = what: shown: abort "generators.mkValueStringDefault: ${what} not supported: ${toPretty { } shown}"; in
      if isInt v then toString v
      else if attrsets.isDerivation v then toString v
      else if isString v then v
      else if true == v then "true"
      else if false == v then "false"
      else if null == v then "null"
      else if isList v then unsupported "lists" v
      else if isAttrs v then unsupported "attrsets" v
      else if isFunction v then unsupported "functions" v
      else if isFloat v then strings.floatToString v
      else unsupported "this value is" (toString v);
    mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v:
      "${strings.escape [ sep ] k}${sep}${mkValueString v}";
    toKeyValue = { mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false, indent ? "" }: attrs:
      let mkLine = k: v: indent + mkKeyValue k v + "\n";
          mkLines = if listsAsDuplicateKeys then k: v: map (mkLine k) (if isList v then v else [ v ]) else k: v: [ (mkLine k v) ];
      in concatStrings (concatLists (attrsets.mapAttrsToList mkLines attrs));
    toINI = { mkSectionName ? (name: strings.escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
      sections:
      concatStringsSep "\n" (attrsets.mapAttrsToList (name: values:
        "[${mkSectionName name}]\n" + toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } values) sections);
    # dconf's keyfiles: INI whose values are GVariant text.
    mkDconfKeyValue = mkKeyValueDefault { mkValueString = v: toString (gvariant.mkValue v); } "=";
    toDconfINI = toINI { mkKeyValue = mkDconfKeyValue; };
    toINIWithGlobalSection = { mkSectionName ? (name: strings.escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
      { globalSection, sections ? { } }:
      (if globalSection == { } then "" else toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } globalSection + "\n")
      + toINI { inherit mkSectionName mkKeyValue listsAsDuplicateKeys; } sections;
    toGitINI = attrs:
      let
        # `a.b.c` is git's section `a` with subsection "b.c" (unless that would need quoting).
        sectionName = name:
          let parts = strings.splitString "." name; in
          if strings.hasInfix "\"" name || length parts == 1 then name
          else "${head parts} \"${concatStringsSep "." (tail parts)}\"";
        valueString = v: mkValueStringDefault { }
          (if isString v then "\"${replaceStrings [ "\n" "\t" "\"" "\\" ] [ "\\n" "\\t" "\\\"" "\\\\" ] v}\"" else v);
        keyValue = k: v:
          let line = x: "\t" + mkKeyValueDefault { mkValueString = valueString; } " = " k x; in
          if isList v then concatStringsSep "\n" (map line v) else line v;
        isPlainAttrs = x: isAttrs x && !attrsets.isDerivation x;
        # Sections nested deeper than section.key become "section.subsection".key for toINI.
        flattened =
          let
            nested = filter (name: isAttrs attrs.${name} && any isPlainAttrs (attrValues attrs.${name})) (attrNames attrs);
            walk = path: value:
              if isPlainAttrs value then concatMap (name: walk ([ name ] ++ path) value.${name}) (attrNames value)
              else if length path > 1 then [ { ${concatStringsSep "." (lists.reverseList (tail path))}.${head path} = value; } ]
              else [ { ${head path} = value; } ];
          in
          builtins.removeAttrs attrs nested // lists.foldl attrsets.recursiveUpdate { } (walk [ ] (attrsets.getAttrs nested attrs));
      in
      toINI { mkKeyValue = keyValue; mkSectionName = sectionName; } flattened;
    withRecursion = { depthLimit, throwOnDepthLimit ? true }:
      assert isInt depthLimit;
      let
        special = [ "__functor" "__functionArgs" "__toString" "__pretty" ];
        limit = depth:
          if depthLimit != null && depth > depthLimit then
            (if throwOnDepthLimit
             then throw "Exceeded maximum eval-depth limit of ${toString depthLimit} while trying to evaluate with `generators.withRecursion'!"
             else _: "<unevaluated>")
          else x: x;
        walk = depth: v:
          let next = x: walk (depth + 1) (limit (depth + 1) x); in
          if isAttrs v then mapAttrs (name: if elem name special then x: x else next) v
          else if isList v then map next v
          else limit (depth + 1) v;
      in
      walk 0;
    toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
      let
        go = indent: v:
          let
            open = if multiline then "\n${indent}  " else " ";
            close = if multiline then "\n${indent}" else " ";
          in
          if isInt v then toString v
          # toJSON, not toString: toString loses float precision.
          else if isFloat v then builtins.toJSON v
          else if isString v then
            let
              lines = filter (l: !isList l) (split "\n" v);
              oneLine = "\"" + concatStringsSep "\\n" (map (strings.escape [ "\\" "\"" "\${" ]) lines) + "\"";
              indented = map (replaceStrings [ "\${" "''" ] [ "''\${" "'''" ]) lines;
              lastLine = lists.last indented;
              manyLines = "''" + open + concatStringsSep open (lists.init indented)
                + (if lastLine == "" then close else open + lastLine) + "''";
            in
            if multiline && length lines > 1 then manyLines else oneLine
          else if true == v then "true"
          else if false == v then "false"
          else if null == v then "null"
          else if isPath v then toString v
          else if isList v then
            if v == [ ] then "[ ]" else "[" + open + concatStringsSep open (map (go (indent + "  ")) v) + close + "]"
          else if isFunction v then
            let args = trivial.functionArgs v; in
            if args == { } then "<function>"
            else "<function, args: {${concatStringsSep ", " (attrsets.mapAttrsToList (name: hasDefault: if hasDefault then name + "?" else name) args)}}>"
          else if isAttrs v then
            if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
            else if v == { } then "{ }"
            else if v ? type && v.type == "derivation" then "<derivation ${v.name or "???"}>"
            else "{" + open + concatStringsSep open (attrsets.mapAttrsToList (name: value:
              "${strings.escapeNixIdentifier name} = ${builtins.addErrorContext "while evaluating an attribute `${name}`" (go (indent + "  ") value)};") v)
              + close + "}"
          else abort "generators.toPretty: should never happen (v = ${v})";
      in
      go indent;
    toPlist = { escape ? false }: v:
      let
        text = if escape then strings.escapeXML else x: x;
        render = ind: x:
          let deeper = "\t${ind}"; in
          if x == null then ""
          else if isBool x then ind + (if x then "<true/>" else "<false/>")
          else if isInt x then ind + "<integer>${toString x}</integer>"
          else if isString x then ind + "<string>${text x}</string>"
          else if isList x then concatStringsSep "\n" [ (ind + "<array>") (concatStringsSep "\n" (map (render deeper) x)) (ind + "</array>") ]
          else if isAttrs x then
            concatStringsSep "\n" [
              (ind + "<dict>")
              (concatStringsSep "\n" (concatLists (attrsets.mapAttrsToList (name: value:
                lists.optionals (name != "_module" && value != null) [ (deeper + "<key>${text name}</key>") (render deeper value) ]) x)))
              (ind + "</dict>")
            ]
          else if isPath x then ind + "<string>${text (toString x)}</string>"
          else if isFloat x then ind + "<real>${toString x}</real>"
          else abort "generators.toPlist: should never happen (v = ${x})";
      in
      warnIf (!escape && trivial.oldestSupportedReleaseIsAtLeast 2505) "Using `lib.generators.toPlist` without `escape = true` is deprecated" ''
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        ${render "" v}
        </plist>'';
    toDhall = { }@args: v:
      if isAttrs v then "{ ${concatStringsSep ", " (attrsets.mapAttrsToList (key: value: "${key} = ${toDhall args value}") v)} }"
      else if isList v then "[ ${concatStringsSep ", " (map (toDhall args) v)} ]"
      else if isInt v then (if v < 0 then "" else "+") + toString v
      else if isBool v then (if v then "True" else "False")
      else if isFunction v then abort "generators.toDhall: cannot convert a function to Dhall"
      else if v == null then abort "generators.toDhall: cannot convert a null to Dhall"
      else builtins.toJSON v;
    toLua = { multiline ? true, indent ? "", asBindings ? false }@args: v:
      let
        innerIndent = "${indent}  ";
        open = if multiline then "\n${innerIndent}" else " ";
        close = if multiline then "\n${indent}" else " ";
        inner = args // { indent = if asBindings then indent else innerIndent; asBindings = false; };
        items = concatStringsSep ",${open}";
        badNames = filter (name: match "[[:alpha:]_][[:alnum:]_]*(\\.[[:alpha:]_][[:alnum:]_]*)*" name == null) (attrNames v);
        bindings =
          assert asserts.assertMsg (badNames == [ ]) "Bad Lua var names: ${toPretty { } badNames}";
          concatStrings (attrsets.mapAttrsToList (key: value: "${indent}${key} = ${toLua inner value}\n") v);
      in
      if asBindings then bindings
      else if v == null then "nil"
      else if isInt v || isFloat v || isString v || isBool v then builtins.toJSON v
      else if isPath v || attrsets.isDerivation v then builtins.toJSON "${v}"
      else if isList v then (if v == [ ] then "{}" else "{${open}${items (map (toLua inner) v)}${close}}")
      else if isAttrs v then
        if (v._type or null) == "lua-inline" then "(${v.expr})"
        else if v == { } then "{}"
        else "{${open}${items (attrsets.mapAttrsToList (key: value: "[${builtins.toJSON key}] = ${toLua inner value}") v)}${close}}"
      else abort "generators.toLua: type ${typeOf v} is unsupported";
    mkLuaInline = expr: { _type = "lua-inline"; inherit expr; };
  };

  # -- deprecated (nixpkgs' lib/deprecated/misc.nix) -----------------------------------------
  misc = rec {
    maybeEnv = name: default: let value = builtins.getEnv name; in if value == "" then default else value;
    defaultMergeArg = x: y: if isAttrs y then y else y x;
    defaultMerge = x: y: x // defaultMergeArg x y;
    foldArgs = merger: f: init: x:
      let
        arg = merger init (defaultMergeArg init x);
        # nixpkgs looks `passthru.args` up inside `passthru` itself; kept, for the same results.
        base = setAttrMerge "passthru" { } (f arg)
          (z: z // { function = foldArgs merger f arg; args = attrsets.attrByPath [ "passthru" "args" ] { } z // x; });
      in
      base // { override = base.passthru.function; };
    maybeAttr = name: default: attrs: attrs.${name} or default;
    maybeAttrNullable = maybeAttr;
    ifEnable = cond: val:
      if cond then val
      else if isList val then [ ]
      else if isAttrs val then { }
      else if val == true || val == false then false
      else null;
    checkFlag = attrSet: name:
      if name == "true" then true
      else if name == "false" then false
      else if elem name (attrSet.flags or [ ]) then true
      else attrSet.${name} or false;
    getValue = attrSet: argList: name:
      attrSet.${name} or (
        if checkFlag attrSet name then true
        else if argList == [ ] then null
        else let x = head argList; in if head x == name then head (tail x) else getValue attrSet (tail argList) name);
    checkReqs = attrSet: argList: condList:
      all (cond: checkFlag attrSet (head cond)
        -> all (req: let value = getValue attrSet argList req; in value != null && value != false) (tail cond)) condList;
    uniqList = { inputList, acc ? [ ] }:
      let
        go = xs: seen:
          if xs == [ ] then [ ]
          else let x = head xs; fresh = !elem x seen; in
            (if fresh then [ x ] else [ ]) ++ go (tail xs) (if fresh then [ x ] ++ seen else seen);
      in
      go inputList acc;
    uniqListExt = { inputList, outputList ? [ ], getter ? (x: x), compare ? (x: y: x == y) }:
      if inputList == [ ] then outputList
      else
        let
          x = head inputList;
          seen = any (y: compare (getter y) (getter x)) outputList;
        in
        uniqListExt { inherit getter compare; inputList = tail inputList; outputList = outputList ++ (if seen then [ ] else [ x ]); };
    # `list` alternates values for `checker` and the strings appended when it accepts them.
    condConcat = name: list: checker:
      if list == [ ] then name
      else condConcat (if checker (head list) then name + head (tail list) else name) (tail (tail list)) checker;
    lazyGenericClosure = { startSet, operator }:
      let
        work = todo: doneKeys: result:
          if todo == [ ] then result
          else
            let x = head todo; in
            if elem x.key doneKeys then work (tail todo) doneKeys result
            else work (tail todo ++ operator x) ([ x.key ] ++ doneKeys) ([ x ] ++ result);
      in
      work startSet [ ] [ ];
    innerModifySumArgs = f: x: a: b: if b == null then f a b // x else innerModifySumArgs f x (a // b);
    modifySumArgs = f: x: innerModifySumArgs f x { };
    innerClosePropagation = acc: xs:
      if xs == [ ] then acc
      else
        let y = head xs; ys = tail xs; in
        if !isAttrs y then innerClosePropagation acc ys
        else
          let acc' = [ y ] ++ acc; in
          innerClosePropagation acc' (uniqList {
            inputList = (y.propagatedBuildInputs or [ ]) ++ (y.propagatedNativeBuildInputs or [ ]) ++ ys;
            acc = acc';
          });
    closePropagationSlow = list: uniqList { inputList = innerClosePropagation [ ] list; };
    closePropagationFast = list:
      let
        entries = xs: map (x: { key = x.outPath; val = x; }) (filter (x: x != null) xs);
      in
      map (x: x.val) (builtins.genericClosure {
        startSet = entries list;
        operator = item:
          if !isAttrs item.val then [ ]
          else entries ((item.val.propagatedBuildInputs or [ ]) ++ (item.val.propagatedNativeBuildInputs or [ ]));
      });
    closePropagation = closePropagationFast;
    nvs = name: value: listToAttrs [ { inherit name value; } ];
    setAttr = set: name: v: set // nvs name v;
    setAttrMerge = name: default: attrs: f: setAttr attrs name (f (maybeAttr name default attrs));
    # A name only `set2` has is merged with itself, as in nixpkgs.
    mergeAttrsWithFunc = f: set1: set2:
      let both = set2 // set1; in both // mapAttrs (n: v: f both.${n} v) set2;
    mergeAttrsConcatenateValues = mergeAttrsWithFunc (a: b: lists.toList a ++ lists.toList b);
    mergeAttrsNoOverride = { mergeLists ? [ "buildInputs" "propagatedBuildInputs" ], overrideSnd ? [ "buildPhase" ] }: attrs1: attrs2:
      attrs1 // mapAttrs (n: v:
        if !attrs1 ? ${n} then v
        else if elem n mergeLists then v ++ attrs1.${n}
        else if elem n overrideSnd then attrs1.${n}
        else throw "error mergeAttrsNoOverride, attribute ${n} given in both attributes - no merge func defined") attrs2;
    mergeAttrByFunc = x: y:
      let
        mergers = { mergeAttrBy = trivial.mergeAttrs; } // x.mergeAttrBy or { } // y.mergeAttrBy or { };
        wanted = attrsets.filterAttrs (a: _: x ? ${a} || y ? ${a}) mergers;
      in
      x // y // mapAttrs (a: merge:
        if x ? ${a} then (if y ? ${a} then merge x.${a} y.${a} else x.${a}) else y.${a}) wanted;
    mergeAttrsByFuncDefaults = lists.foldl mergeAttrByFunc { inherit mergeAttrBy; };
    mergeAttrsByFuncDefaultsClean = list: builtins.removeAttrs (mergeAttrsByFuncDefaults list) [ "mergeAttrBy" ];
    mergeAttrBy =
      attrsets.genAttrs [ "nativeBuildInputs" "buildInputs" "propagatedBuildInputs" "configureFlags" "prePhases" "postAll" "patches" ] (_: trivial.concat)
      // attrsets.genAttrs [ "passthru" "meta" "cfg" "flags" ] (_: trivial.mergeAttrs)
      // attrsets.genAttrs [ "preConfigure" "postInstall" ] (_: a: b: "${a}\n${b}");
    nixType = x:
      if isAttrs x then (if x ? outPath then "derivation" else "attrs")
      else if isFunction x then "function"
      else if isList x then "list"
      else if x == true || x == false then "bool"
      else if x == null then "null"
      else if isInt x then "int"
      else "string";
    imap = lists.imap1;
    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    fakeSha256 = strings.replicate 64 "0";
    fakeSha512 = strings.replicate 128 "0";
  };

  # -- meta (the parts that only touch attrsets) ---------------------------------------------
  meta = rec {
    addMetaAttrs = newAttrs: drv:
      if drv ? overrideAttrs then drv.overrideAttrs (old: { meta = (old.meta or { }) // newAttrs; })
      else drv // { meta = (drv.meta or { }) // newAttrs; };
    dontDistribute = addMetaAttrs { hydraPlatforms = [ ]; };
    setName = name: drv: drv // { inherit name; };
    updateName = updater: drv: drv // { name = updater drv.name; };
    appendToName = suffix: updateName (name: let parsed = builtins.parseDrvName name; in "${parsed.name}-${suffix}-${parsed.version}");
    mapDerivationAttrset = f: set: mapAttrs (name: pkg: if attrsets.isDerivation pkg then f pkg else pkg) set;
    setPrio = priority: addMetaAttrs { inherit priority; };
    lowPrio = setPrio 10;
    hiPrio = setPrio (-10);
    lowPrioSet = mapDerivationAttrset lowPrio;
    hiPrioSet = mapDerivationAttrset hiPrio;
    # nix-env's priority of a package without one.
    defaultPriority = 5;
    # A platform matches a `meta.platforms` element: a system string, or a pattern of its `parsed`.
    platformMatch = platform: elem:
      if isString elem then platform ? system && elem == platform.system
      else attrsets.matchAttrs (if elem ? parsed then elem else { parsed = elem; }) platform;
    availableOn = platform: pkg:
      ((!pkg ? meta.platforms) || any (platformMatch platform) pkg.meta.platforms)
      && ((!pkg ? meta.badPlatforms) || !(any (platformMatch platform) pkg.meta.badPlatforms));
    cpeFullVersionWithVendor = vendor: version: { inherit vendor version; update = "*"; };
    # A package's main program: `meta.mainProgram`, else (with nixpkgs' warning) its name.
    getExe = x:
      getExe' x (x.meta.mainProgram or (trivial.warn
        "getExe: Package ${strings.escapeNixIdentifier x.meta.name or x.pname or x.name} does not have the meta.mainProgram attribute. We'll assume that the main program has the same name for now, but this behavior is deprecated, because it leads to surprising errors when the assumption does not hold. If the package has a main program, please set `meta.mainProgram` in its definition to make this warning go away. Otherwise, if the package does not have a main program, or if you don't control its definition, use getExe' to specify the name to the program, such as lib.getExe' foo \"bar\"."
        strings.getName x));
    getExe' = x: y:
      assert asserts.assertMsg (attrsets.isDerivation x)
        "lib.meta.getExe': The first argument is of type ${typeOf x}, but it should be a derivation instead.";
      assert asserts.assertMsg (isString y)
        "lib.meta.getExe': The second argument is of type ${typeOf y}, but it should be a string instead.";
      assert asserts.assertMsg (match ".*/.*" y == null)
        "lib.meta.getExe': The second argument \"${y}\" is a nested path with a \"/\" character, but it should just be the name of the executable instead.";
      "${attrsets.getBin x}/bin/${y}";
  };

  # -- filesystem ----------------------------------------------------------------------------
  filesystem = rec {
    inherit (builtins) baseNameOf dirOf isPath readDir hashFile;
    # Nix 2.8 has no `builtins.readFileType`: a path's type is its entry in its parent's listing
    # (which, like readFileType, does not follow a symlink).
    readFileType = builtins.readFileType or (path:
      if !builtins.pathExists path then abort "lib.filesystem.pathType: Path ${toString path} does not exist."
      else if builtins.dirOf path == path then "directory"
      else (readDir (builtins.dirOf path)).${builtins.baseNameOf path});
    pathType = readFileType;
    pathIsDirectory = path: builtins.pathExists path && pathType path == "directory";
    pathIsRegularFile = path: builtins.pathExists path && pathType path == "regular";
    # The subdirectories of `root` that hold a `<name>.cabal` of their own name, by name.
    haskellPathsInDir = root:
      listToAttrs (filter ({ name, value }: builtins.pathExists (value + "/${name}.cabal"))
        (map (file: { name = file; value = root + "/${file}"; }) (attrNames (readDir root))));
    # A directory's `.nix` files called as packages (`package.nix` stands for its directory),
    # subdirectories as nested sets (scopes, given `newScope`).
    packagesFromDirectoryRecursive =
      let
        processDir = { callPackage, directory, ... }@args:
          attrsets.concatMapAttrs (name: type:
            let path = directory + "/${name}"; in
            if type == "directory" then { "${name}" = packagesFromDirectoryRecursive (args // { directory = path; }); }
            else if type == "regular" && strings.hasSuffix ".nix" name then { "${strings.removeSuffix ".nix" name}" = callPackage path { }; }
            else if type == "regular" then { }
            else throw ''
              lib.filesystem.packagesFromDirectoryRecursive: Unsupported file type ${type} at path ${toString path}
            ''
          ) (readDir directory);
      in
      { callPackage, newScope ? throw "lib.packagesFromDirectoryRecursive: newScope wasn't passed in args", directory }@args:
      let defaultPath = directory + "/package.nix"; in
      if builtins.pathExists defaultPath then callPackage defaultPath { }
      else if args ? newScope then
        attrsets.recurseIntoAttrs (customisation.makeScope newScope (self: processDir (args // { inherit (self) callPackage newScope; })))
      else processDir args;
    # A directory (or a string ending in `/`) stands for its default.nix.
    resolveDefaultNix = v:
      if pathIsDirectory v then v + "/default.nix"
      else if isString v && strings.hasSuffix "/" v then v + "default.nix"
      else v;
    listFilesRecursive = dir:
      let
        below = dir: attrsets.mapAttrsToList (name: type:
          if type == "directory" then below (dir + "/${name}") else dir + "/${name}") (readDir dir);
      in
      lists.flatten (below dir);
    locateDominatingFile = pattern: file:
      let
        go = path:
          let matches = filter (m: m != null) (map (match pattern) (attrNames (readDir path))); in
          if matches != [ ] then { inherit path matches; }
          else if toString path == "/" then null
          else go (builtins.dirOf path);
        isDir = toString file == "/" || (readDir (builtins.dirOf file)).${builtins.baseNameOf file} or null == "directory";
      in
      go (if isDir then file else builtins.dirOf file);
  };

  # -- cli -----------------------------------------------------------------------------------
  cli = rec {
    toGNUCommandLineShell = warnIf (trivial.oldestSupportedReleaseIsAtLeast 2511)
      "lib.cli.toGNUCommandLineShell is deprecated, please use lib.cli.toCommandLineShell or lib.cli.toCommandLineShellGNU instead."
      (options: attrs: strings.escapeShellArgs (toGNUCommandLine options attrs));
    toGNUCommandLine = warnIf (trivial.oldestSupportedReleaseIsAtLeast 2511)
      "lib.cli.toGNUCommandLine is deprecated, please use lib.cli.toCommandLine or lib.cli.toCommandLineShellGNU instead."
      ({ mkOptionName ? k: if stringLength k == 1 then "-${k}" else "--${k}"
       , mkBool ? k: v: lists.optional v (mkOptionName k)
       , mkList ? k: v: concatMap (mkOption k) v
       , mkOption ? k: v:
           if v == null then [ ]
           else if optionValueSeparator == null then [ (mkOptionName k) (generators.mkValueStringDefault { } v) ]
           else [ "${mkOptionName k}${optionValueSeparator}${generators.mkValueStringDefault { } v}" ]
       , optionValueSeparator ? null
       }: options:
       concatLists (attrsets.mapAttrsToList (k: v: if isBool v then mkBool k v else if isList v then mkList k v else mkOption k v) options));
    toCommandLineShellGNU = options: attrs: strings.escapeShellArgs (toCommandLineGNU options attrs);
    toCommandLineGNU = { isLong ? optionName: stringLength optionName > 1, explicitBool ? false, formatArg ? generators.mkValueStringDefault { } }:
      toCommandLine (optionName: {
        option = if isLong optionName then "--${optionName}" else "-${optionName}";
        sep = if isLong optionName then "=" else "";
        inherit explicitBool formatArg;
      });
    toCommandLineShell = optionFormat: attrs: strings.escapeShellArgs (toCommandLine optionFormat attrs);
    toCommandLine = optionFormat: attrs:
      let
        render = { option, sep, explicitBool, formatArg ? generators.mkValueStringDefault { } }: v:
          if v == null || (!explicitBool && v == false) then [ ]
          else if !explicitBool && v == true then [ option ]
          else let arg = formatArg v; in if sep != null then [ "${option}${sep}${arg}" ] else [ option arg ];
        one = k: render (optionFormat k);
      in
      concatLists (attrsets.mapAttrsToList (k: v:
        if k == "" then throw "lib.cli.toCommandLine only accepts non-empty option names."
        else if isList v then concatMap (one k) v
        else one k v) attrs);
  };

  # -- kernel --------------------------------------------------------------------------------
  kernel = {
    option = x: x // { optional = true; };
    yes = { tristate = "y"; optional = false; };
    no = { tristate = "n"; optional = false; };
    module = { tristate = "m"; optional = false; };
    unset = { tristate = null; optional = false; };
    freeform = x: { freeform = x; optional = false; };
    whenHelpers = version: {
      whenAtLeast = ver: modules.mkIf (strings.versionAtLeast version ver);
      whenOlder = ver: modules.mkIf (strings.versionOlder version ver);
      # From `verLow` (included) to `verHigh` (excluded).
      whenBetween = verLow: verHigh: modules.mkIf (strings.versionAtLeast version verLow && strings.versionOlder version verHigh);
    };
  };

  # -- stringsWithDeps -----------------------------------------------------------------------
  stringsWithDeps = rec {
    textClosureList = predefined: arg:
      let
        # Each entry's text comes after its dependencies' and once only; `done` is the names seen.
        go = done: todo:
          if todo == [ ] then { result = [ ]; inherit done; }
          else
            let entry = head todo; in
            if isAttrs entry then
              let deps = go done entry.deps; rest = go deps.done (tail todo); in
              { result = deps.result ++ [ entry.text ] ++ rest.result; inherit (rest) done; }
            else if done ? ${entry} then go done (tail todo)
            else go (done // { ${entry} = 1; }) ([ predefined.${entry} ] ++ tail todo);
      in
      (go { } arg).result;
    textClosureMap = f: predefined: names: concatStringsSep "\n" (map f (textClosureList predefined names));
    noDepEntry = text: { inherit text; deps = [ ]; };
    fullDepEntry = text: deps: { inherit text deps; };
    packEntry = deps: { inherit deps; text = ""; };
    stringAfter = deps: text: { inherit text deps; };
  };

  # -- network -------------------------------------------------------------------------------
  network.ipv6 = {
    # Not compressed: every one of the eight pieces is shown.
    fromString = addr:
      let parsed = ipv6.split addr; in
      { address = concatStringsSep ":" (map (piece: toLower (trivial.toHexString piece)) parsed.address); inherit (parsed) prefixLength; };
    mkEUI64Suffix = mac:
      let
        octets = match "^([0-9A-Fa-f]{2})[-:.]?([0-9A-Fa-f]{2})[-:.]?([0-9A-Fa-f]{2})[-:.]?([0-9A-Fa-f]{2})[-:.]?([0-9A-Fa-f]{2})[-:.]?([0-9A-Fa-f]{2})$" mac;
        octet = elemAt octets;
      in
      if octets == null then throw "\"${mac}\" is not a valid MAC address (expected 6 octets of hex digits)"
      else toLower (concatStringsSep ":" [
        # The universal/local bit (0x200 of the first hextet) is flipped.
        (trivial.toHexString (builtins.bitXor 512 (trivial.fromHexString (octet 0 + octet 1))))
        "${octet 2}ff"
        "fe${octet 3}"
        (octet 4 + octet 5)
      ]);
  };
  ipv6 = {
    expand = addr:
      if match "^[0-9A-Fa-f:]+$" addr == null then throw "${addr} contains malformed characters for IPv6 address"
      else
        let
          pieces = strings.splitString ":" addr;
          given = lists.remove "" pieces;
          zeros = lists.replicate (8 - length given) "0";
          atStart = strings.hasPrefix "::" addr;
          atEnd = strings.hasSuffix "::" addr;
          inside = strings.hasInfix "::" addr;
          # splitString leaves two empty pieces for a "::" at either end, one for one inside.
          emptyPieces = if atStart || atEnd then 2 else if inside then 1 else 0;
        in
        if addr == "::" then zeros
        else if length pieces - length given != emptyPieces || (inside && length given >= 8) || (!inside && length given != 8)
        then throw "${addr} is not a valid IPv6 address"
        else if atStart then zeros ++ given
        else if atEnd then given ++ zeros
        else if inside then concatMap (piece: if piece == "" then zeros else [ piece ]) pieces
        else pieces;
    parse = addr: map (hex:
      let value = trivial.fromHexString hex; in
      if 0 <= value && value <= 65535 then value else throw "0x${hex} is not a valid u16 integer") (ipv6.expand addr);
    split = addr:
      let parts = strings.splitString "/" addr; in
      if length parts == 1 then { address = ipv6.parse addr; prefixLength = 128; }
      else if length parts == 2 then {
        address = ipv6.parse (head parts);
        prefixLength =
          let n = strings.toInt (lists.last parts); in
          if 1 <= n && n <= 128 then n else throw "${addr} IPv6 subnet should be in range [1;128], got ${toString n}";
      }
      else throw "${addr} is not a valid IPv6 address in CIDR notation";
  };

  versionFns = {
    inherit (builtins) compareVersions splitVersion;
    major = v: builtins.elemAt (builtins.splitVersion v) 0;
    minor = v: builtins.elemAt (builtins.splitVersion v) 1;
    patch = v: builtins.elemAt (builtins.splitVersion v) 2;
    majorMinor = v: builtins.concatStringsSep "." (lists.take 2 (builtins.splitVersion v));
    pad = n: version:
      let numericVersion = head (builtins.splitVersion version);
          versionSuffix = removePrefix numericVersion version;
          elements = builtins.splitVersion numericVersion;
          paddedElements = elements ++ lists.replicate (n - length elements) "0";
      in concatStringsSep "." (lists.take n paddedElements) + versionSuffix;
  };
  inherit (strings) removePrefix;
in
lib
