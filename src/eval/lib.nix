# The `lib` netns-compile provides: the nixpkgs library functions NixOS configurations use,
# with nixpkgs' results. Written for netns-compile on top of the builtins; the module-system
# markers (`mkIf`, `mkOverride`, `mkOption`, `types.*`) build the same attrsets as nixpkgs so
# that the module stage (and `nix eval --json`) sees the same data.
builtins:
let
  inherit (builtins)
    add all any attrNames attrValues concatLists concatMap concatStringsSep elem elemAt filter
    foldl' genList getAttr hasAttr head isAttrs isBool isFloat isFunction isInt isList isPath
    isString length listToAttrs map mapAttrs match replaceStrings split stringLength substring
    tail toJSON typeOf;

  lib = trivial // lists // strings // attrsets // options // modules // versionFns // {
    inherit trivial lists strings attrsets options modules types asserts debug generators;
    versions = versionFns;
    fixedPoints = { inherit (trivial) fix fix' extends; };
    inherit (asserts) assertMsg assertOneOf;
    inherit (debug) traceVal traceValFn traceSeq traceSeqN traceIf;
    # What nixpkgs' lib/default.nix takes from builtins as they are.
    inherit (builtins)
      addErrorContext baseNameOf compareVersions dirOf fromJSON fromTOML getContext hasContext
      hashString isAttrs isBool isFloat isInt isList isPath isString parseDrvName pathExists
      readDir readFile toString tryEval trace unsafeDiscardStringContext unsafeGetAttrPos;
    imap = lists.imap1;
    join = concatStringsSep;
    replaceElemAt = list: idx: newElem: genList (i: if i == idx then newElem else elemAt list i) (length list);
    concatAttrValues = set: concatLists (attrValues set);
    getOutput = output: pkg:
      if !pkg ? outputSpecified || !pkg.outputSpecified then pkg.${output} or pkg.out or pkg else pkg;
    getBin = lib.getOutput "bin";
    getLib = lib.getOutput "lib";
    getDev = lib.getOutput "dev";
    getMan = lib.getOutput "man";
    makeSearchPathOutput = output: subDir: pkgs: strings.makeSearchPath subDir (map (lib.getOutput output) pkgs);
    makeIncludePath = lib.makeSearchPathOutput "dev" "include";
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
    inherit (builtins) isFunction functionArgs typeOf seq deepSeq genericClosure add sub mul div lessThan ceil floor;
    setFunctionArgs = f: args: { __functor = self: f; __functionArgs = args; };
    mirrorFunctionArgs = f: let fArgs = functionArgs f; in g: setFunctionArgs g fArgs;
    toFunction = v: if isFunction v then v else _: v;
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = base: int: base - (int * (builtins.div base int));
    compare = a: b: if a < b then -1 else if a > b then 1 else 0;
    splitByAndCompare = p: yes: no: a: b:
      if p a then (if p b then yes a b else -1) else (if p b then 1 else no a b);
    fix = f: let x = f x; in x;
    fix' = f: let x = f x // { __unfix__ = f; }; in x;
    extends = overlay: f: (final: let prev = f final; in prev // overlay final prev);
    importJSON = path: builtins.fromJSON (builtins.readFile path);
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    warn = msg: builtins.trace "[1;31mwarning: ${msg}[0m";
    warnIf = cond: msg: if cond then warn msg else x: x;
    warnIfNot = cond: msg: if cond then x: x else warn msg;
    throwIf = cond: msg: if cond then throw msg else x: x;
    throwIfNot = cond: msg: if cond then x: x else throw msg;
    info = msg: builtins.trace "INFO: ${msg}";
    inNixShell = false;
    isInOldestRelease = _: false;
    oldestSupportedRelease = 2411;
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
  };
  inherit (trivial) warn warnIf;

  # -- lists ---------------------------------------------------------------------------------
  lists = rec {
    inherit (builtins) head tail length elem elemAt filter genList concatLists concatMap any all sort partition groupBy map;
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
    imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);
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
    reverseList = xs: let l = length xs; in genList (n: elemAt xs (l - n - 1)) l;
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
        dfs' = us: visited: rest:
          let c = filter (x: before x us) visited; b = partition (x: before x us) rest.right;
          in if stopOnCycles && (length c > 0) then { cycle = us; loops = c; inherit visited rest; }
          else if length b.right == 0 then { minimal = us; inherit visited rest; }
          else dfs' (head b.right) ([ us ] ++ visited) { right = tail b.right ++ b.wrong; wrong = [ ]; };
      in if length list == 0 then { visited = [ ]; rest = [ ]; } else dfs' (head list) [ ] { right = tail list; wrong = [ ]; };
  };
  inherit (lists) foldl take drop;

  # -- strings -------------------------------------------------------------------------------
  strings = rec {
    inherit (builtins) stringLength substring replaceStrings concatStringsSep match split toJSON typeOf;
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
    escapeC = list: replaceStrings list (map (c: "\\x${toLower (trivial.toHexString (charToInt c))}") list);
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
      let firstChar = substring 0 1 str; rest = substring 1 (stringLength str) str;
      in addContextFrom str (toUpper firstChar + toLower rest);
    addContextFrom = src: target: target;
    splitString = sep: s: builtins.filter builtins.isString (builtins.split (escapeRegex (toString sep)) (toString s));
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
    getName = x: (builtins.parseDrvName (x.name or x)).name;
    getVersion = x: (builtins.parseDrvName (x.name or x)).version;
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
    isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;
    isStorePath = x: false;
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
    normalizePath = s: builtins.foldl' (x: y: if y == "/" && strings.hasSuffix "/" x then x else x + y) "" (stringToCharacters s);
    sanitizeDerivationName = string: string;
  };
  inherit (strings) optionalString concatStrings escapeShellArg toUpper toLower;

  asciiTable = builtins.listToAttrs (builtins.genList (i: {
    name = builtins.elemAt (builtins.split "" " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") (2 * i + 2);
    value = i + 32;
  }) 95) // { "\t" = 9; "\n" = 10; "\r" = 13; };

  # -- attrsets ------------------------------------------------------------------------------
  attrsets = rec {
    inherit (builtins) attrNames attrValues hasAttr getAttr removeAttrs listToAttrs mapAttrs intersectAttrs catAttrs zipAttrsWith;
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
    concatMapAttrs = f: v: builtins.foldl' (a: b: a // b) { } (attrValues (mapAttrs f v));
    genAttrs = names: f: genAttrs' names (n: nameValuePair n (f n));
    genAttrs' = xs: f: listToAttrs (map f xs);
    isDerivation = value: value.type or null == "derivation";
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
    updateManyAttrsByPath = updates: value:
      builtins.foldl' (acc: u: recursiveUpdate acc (setAttrByPath u.path (u.update (attrByPath u.path null acc)))) value updates;
  };

  # -- options, modules, types ---------------------------------------------------------------
  options = rec {
    isOption = lib.isType "option";
    mkOption = { default ? null, defaultText ? null, example ? null, description ? null, relatedPackages ? null,
                 type ? null, apply ? null, internal ? null, visible ? null, readOnly ? null }@attrs:
      attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { default = false; example = true; description = "Whether to enable ${name}."; type = types.bool; };
    mkSinkUndeclaredOptions = attrs: mkOption ({ internal = true; visible = false; default = false;
      description = "Sink for option definitions."; type = mkOptionType { name = "sink"; check = x: true; merge = loc: defs: false; };
      apply = x: throw "Option value is not readable because the option is not declared."; } // attrs);
    literalExpression = text: if !isString text then throw "literalExpression expects a string." else { _type = "literalExpression"; inherit text; };
    literalExample = literalExpression;
    literalMD = text: if !isString text then throw "literalMD expects a string." else { _type = "literalMD"; inherit text; };
    mdDoc = x: x;
    showOption = parts: concatStringsSep "." (map strings.escapeNixIdentifier parts);
    getValues = map (x: x.value);
    getFiles = map (x: x.file);
    mkOptionType = { name, description ? null, descriptionClass ? null, check ? (x: true), merge ? null,
                     emptyValue ? { }, getSubOptions ? prefix: { }, getSubModules ? null, substSubModules ? m: null,
                     typeMerge ? null, functor ? null, deprecationMessage ? null, nestedTypes ? { } }:
      { _type = "option-type"; inherit name check merge emptyValue getSubOptions getSubModules substSubModules
          typeMerge deprecationMessage nestedTypes descriptionClass;
        description = if description == null then name else description;
        functor = if functor == null then { inherit name; type = null; wrapped = null; payload = null; binOp = null; } else functor; };
  };
  inherit (options) mkOptionType mkOption;

  modules = rec {
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkAssert = assertion: message: content: mkIf (if assertion then true else throw "\nFailed assertion: ${message}") content;
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
    defaultOverridePriority = 100;
    defaultPriority = defaultOverridePriority;
    mkOrder = priority: content: { _type = "order"; inherit priority content; };
    mkBefore = mkOrder 500;
    defaultOrderPriority = 1000;
    mkAfter = mkOrder 1500;
    mkFixStrictness = x: x;
    mkAliasDefinitions = unsupportedModuleFunction "mkAliasDefinitions";
    mkAliasOptionModule = unsupportedModuleFunction "mkAliasOptionModule";
    mkRenamedOptionModule = unsupportedModuleFunction "mkRenamedOptionModule";
    mkRemovedOptionModule = unsupportedModuleFunction "mkRemovedOptionModule";
    mkChangedOptionModule = unsupportedModuleFunction "mkChangedOptionModule";
    mkMergedOptionModule = unsupportedModuleFunction "mkMergedOptionModule";
    evalModules = unsupportedModuleFunction "evalModules";
    isType = type: x: (x._type or "") == type;
    setType = typeName: value: value // { _type = typeName; };
  };
  unsupportedModuleFunction = name: _: throw "lib.${name} is not supported by netns-compile: evaluate the configuration with real Nix and compile its JSON instead";

  types = let
    simple = name: check: mkOptionType { inherit name check; };
    wrap = name: description: elemType: check:
      mkOptionType { inherit name description check; nestedTypes.elemType = elemType;
        functor = { inherit name; type = null; wrapped = elemType; payload = null; binOp = null; }; };
    between = lowest: highest: mkOptionType {
      name = "intBetween"; description = "integer between ${toString lowest} and ${toString highest} (both inclusive)";
      check = x: isInt x && x >= lowest && x <= highest; };
    unsign = bit: range: between 0 (range - 1) // { name = "unsignedInt${toString bit}"; };
    sign = bit: range: between (0 - (range / 2)) (range / 2 - 1) // { name = "signedInt${toString bit}"; };
  in rec {
    isType = modules.isType "option-type";
    inherit mkOptionType;
    raw = simple "raw" (x: true);
    anything = simple "anything" (x: true);
    unspecified = simple "unspecified" (x: true);
    bool = simple "bool" isBool;
    boolByOr = simple "boolByOr" isBool;
    int = simple "int" isInt;
    ints = {
      inherit between;
      unsigned = mkOptionType { name = "unsignedInt"; description = "unsigned integer, meaning >=0"; check = x: isInt x && x >= 0; };
      positive = mkOptionType { name = "positiveInt"; description = "positive integer, meaning >0"; check = x: isInt x && x > 0; };
      u8 = unsign 8 256; u16 = unsign 16 65536; u32 = unsign 32 4294967296;
      s8 = sign 8 256; s16 = sign 16 65536; s32 = sign 32 4294967296;
    };
    port = ints.u16;
    float = simple "float" isFloat;
    number = simple "number" (x: isInt x || isFloat x);
    numbers = { between = lowest: highest: simple "numberBetween" (x: (isInt x || isFloat x) && x >= lowest && x <= highest);
      nonnegative = simple "numberNonnegative" (x: (isInt x || isFloat x) && x >= 0);
      positive = simple "numberPositive" (x: (isInt x || isFloat x) && x > 0); };
    str = simple "str" isString;
    nonEmptyStr = simple "nonEmptyStr" (x: isString x && match "[ \t\n]*" x == null);
    singleLineStr = simple "singleLineStr" (x: isString x && match "[^\n\r]*\n?" x != null);
    strMatching = pattern: mkOptionType { name = "strMatching ${strings.escapeNixString pattern}";
      description = "string matching the pattern ${pattern}"; check = x: isString x && match pattern x != null; };
    separatedString = sep: mkOptionType { name = "separatedString"; description = "strings concatenated with ${builtins.toJSON sep}";
      check = isString; functor = { name = "separatedString"; type = null; wrapped = null; payload = sep; binOp = null; }; };
    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";
    string = separatedString "" // { name = "string"; };
    passwdEntry = entryType: entryType;
    attrs = simple "attrs" isAttrs;
    package = simple "package" (x: isAttrs x || isString x);
    shellPackage = package;
    pkgs = package;
    path = simple "path" (x: isPath x || (isString x && substring 0 1 x == "/"));
    externalPath = path;
    pathInStore = path;
    listOf = elemType: wrap "listOf" "list of ${elemType.description or "values"}" elemType isList;
    nonEmptyListOf = elemType: listOf elemType // { name = "nonEmptyListOf"; check = l: isList l && l != [ ]; };
    attrsOf = elemType: wrap "attrsOf" "attribute set of ${elemType.description or "values"}" elemType isAttrs;
    lazyAttrsOf = elemType: wrap "lazyAttrsOf" "lazy attribute set of ${elemType.description or "values"}" elemType isAttrs;
    attrsWith = { elemType, lazy ? false, placeholder ? "name" }: if lazy then lazyAttrsOf elemType else attrsOf elemType;
    uniq = elemType: elemType // { name = "uniq"; nestedTypes.elemType = elemType; };
    unique = { message }: uniq;
    nullOr = elemType: wrap "nullOr" "null or ${elemType.description or "value"}" elemType (x: x == null || elemType.check x);
    functionTo = elemType: wrap "functionTo" "function that evaluates to a(n) ${elemType.description or "value"}" elemType isFunction;
    either = t1: t2: mkOptionType { name = "either"; description = "${t1.description} or ${t2.description}";
      check = x: t1.check x || t2.check x; nestedTypes = { left = t1; right = t2; }; };
    oneOf = ts: let head' = head ts; tail' = tail ts; in builtins.foldl' either head' tail';
    enum = values: mkOptionType { name = "enum";
      description = "one of ${concatStringsSep ", " (map builtins.toJSON values)}";
      check = x: elem x values;
      functor = { name = "enum"; type = null; wrapped = null; payload = { inherit values; }; binOp = null; }; };
    coercedTo = coercedType: coerceFunc: finalType: mkOptionType { name = "coercedTo";
      description = "${finalType.description} or ${coercedType.description} convertible to it";
      check = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x;
      nestedTypes = { inherit coercedType finalType; }; };
    addCheck = elemType: check: elemType // { check = x: elemType.check x && check x; };
    submodule = modules': submoduleWith { modules = lists.toList modules'; };
    submoduleWith = { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, description ? null, class ? null }:
      mkOptionType { name = "submodule"; description = if description == null then "submodule" else description;
        check = x: isAttrs x || isFunction x || isPath x;
        functor = { name = "submodule"; type = null; wrapped = null; payload = { inherit modules specialArgs shorthandOnlyDefinesConfig; }; binOp = null; }; };
    deferredModule = simple "deferredModule" (x: isAttrs x || isFunction x || isPath x);
    optionType = simple "optionType" isAttrs;
  };

  asserts = {
    assertMsg = pred: msg: pred || throw msg;
    assertOneOf = name: val: xs:
      asserts.assertMsg (elem val xs) "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
    assertEachOneOf = name: vals: xs: all (val: asserts.assertOneOf name val xs) vals;
  };

  debug = {
    traceIf = pred: msg: x: if pred then builtins.trace msg x else x;
    traceVal = x: builtins.trace x x;
    traceValFn = f: x: builtins.trace (f x) x;
    traceSeq = x: y: builtins.trace (builtins.deepSeq x x) y;
    traceSeqN = depth: x: y: builtins.trace (builtins.deepSeq x x) y;
    traceValSeq = v: builtins.trace (builtins.deepSeq v v) v;
  };

  generators = {
    toJSON = { }: builtins.toJSON;
    toYAML = { }: builtins.toJSON;
    mkValueStringDefault = { }: v:
      if isInt v then toString v
      else if isString v then v
      else if true == v then "true"
      else if false == v then "false"
      else if null == v then "null"
      else if isFloat v then strings.floatToString v
      else throw "generators.mkValueStringDefault: this value can't be converted to a string";
    mkKeyValueDefault = { mkValueString ? generators.mkValueStringDefault { } }: sep: k: v:
      "${strings.escape [ sep ] k}${sep}${mkValueString v}";
    toKeyValue = { mkKeyValue ? generators.mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false, indent ? "" }: attrs:
      let mkLine = k: v: indent + mkKeyValue k v + "\n";
          mkLines = if listsAsDuplicateKeys then k: v: map (mkLine k) (if isList v then v else [ v ]) else k: v: [ (mkLine k v) ];
      in concatStrings (concatLists (attrsets.mapAttrsToList mkLines attrs));
    toPretty = { multiline ? true, indent ? "", allowPrettyValues ? false }: v:
      if isString v then builtins.toJSON v
      else if isInt v || isFloat v then toString v
      else if isBool v then trivial.boolToString v
      else if v == null then "null"
      else if isList v then (if v == [ ] then "[ ]" else "[ " + concatStringsSep " " (map (generators.toPretty { inherit multiline indent; }) v) + " ]")
      else if isFunction v then "<function>"
      else "{ " + concatStrings (attrsets.mapAttrsToList (n: x: "${strings.escapeNixIdentifier n} = ${generators.toPretty { inherit multiline indent; } x}; ") v) + "}";
  };

  versionFns = {
    splitVersion = builtins.splitVersion;
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
