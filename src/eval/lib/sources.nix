# `lib.sources`: filtered sources, git revisions and source names, as nixpkgs' lib/sources.nix
# defines them. netns-compile has no Nix store: a filtered source's filter, name and origin
# work, but its `outPath` (builtins.path) and `filterSource` say that they need one.
{ lib }:
let
  inherit (builtins) elemAt filter isList isString length match readFile split;
  inherit (lib.strings) escapeRegex hasPrefix hasSuffix removePrefix removeSuffix fileContents;
  inherit (lib.filesystem) pathIsRegularFile;
  noStore = what: throw "${what} copies a path into the Nix store, which netns-compile does not have";

  cleanSourceFilter = name: type:
    let baseName = baseNameOf name; in
    !((baseName == ".git"
      || type == "directory" && (baseName == ".svn" || baseName == "CVS" || baseName == ".hg" || baseName == ".jj"
        || baseName == ".pijul" || baseName == "_darcs"))
      || hasSuffix "~" baseName
      || match "^\\.sw[a-z]$" baseName != null
      || match "^\\..*\\.sw[a-z]$" baseName != null
      || hasSuffix ".o" baseName
      || hasSuffix ".so" baseName
      || (type == "symlink" && hasPrefix "result" baseName)
      || (type == "unknown"));

  cleanSource = src: cleanSourceWith { filter = cleanSourceFilter; inherit src; };

  cleanSourceWith = { src, filter ? _path: _type: true, name ? null }:
    let orig = toSourceAttributes src; in
    fromSourceAttributes {
      inherit (orig) origSrc;
      filter = path: type: filter path type && orig.filter path type;
      name = if name != null then name else orig.name;
    };

  trace = src:
    let attrs = toSourceAttributes src; in
    fromSourceAttributes (attrs // {
      filter = path: type:
        let r = attrs.filter path type; in
        builtins.trace "${attrs.name}.filter ${path} = ${lib.trivial.boolToString r}" r;
    })
    // { satisfiesSubpathInvariant = src ? satisfiesSubpathInvariant && src.satisfiesSubpathInvariant; };

  sourceByRegex = src: regexes:
    let origSrc = if src ? _isLibCleanSourceWith then src.origSrc else src; in
    cleanSourceWith {
      filter = path: type:
        let relPath = removePrefix (toString origSrc + "/") (toString path); in
        lib.lists.any (re: match re relPath != null) regexes;
      inherit src;
    };

  sourceFilesBySuffices = src: exts:
    let
      filter = name: type:
        let base = baseNameOf name; in
        type == "directory" || lib.lists.any (ext: hasSuffix ext base) exts;
    in
    cleanSourceWith { inherit filter src; };

  pathIsGitRepo = path: (commitIdFromGitRepoOrError path) ? value;
  commitIdFromGitRepo = path:
    let commitIdOrError = commitIdFromGitRepoOrError path; in
    commitIdOrError.value or (throw commitIdOrError.error);

  # HEAD's commit, following `ref:`s, `gitdir:` files (worktrees, submodules) and packed-refs.
  commitIdFromGitRepoOrError =
    let
      readCommitFromFile = file: path:
        let
          fileName = path + "/${file}";
          packedRefsName = path + "/packed-refs";
          absolutePath = base: path:
            if hasPrefix "/" path then path
            else if hasPrefix "/" base then "${base}/${path}"
            else "/${base}/${path}";
        in
        if pathIsRegularFile path then
          let m = match "^gitdir: (.*)$" (fileContents path); in
          if m == null then { error = "File contains no gitdir reference: " + path; }
          else
            let
              gitDir = absolutePath (dirOf path) (builtins.head m);
              commonDir'' = if pathIsRegularFile "${gitDir}/commondir" then fileContents "${gitDir}/commondir" else gitDir;
              commonDir = absolutePath gitDir (removeSuffix "/" commonDir'');
              refFile = removePrefix "${commonDir}/" "${gitDir}/${file}";
            in
            readCommitFromFile refFile commonDir
        else if pathIsRegularFile fileName then
          let
            fileContent = fileContents fileName;
            matchRef = match "^ref: (.*)$" fileContent;
          in
          if matchRef == null then { value = fileContent; } else readCommitFromFile (builtins.head matchRef) path
        else if pathIsRegularFile packedRefsName then
          let
            matchRef = match "([a-z0-9]+) ${file}";
            refs = filter (s: isString s && matchRef s != null) (split "\n" (readFile packedRefsName));
          in
          if refs == [ ] then { error = "Could not find " + file + " in " + packedRefsName; }
          else { value = builtins.head (matchRef (builtins.head refs)); }
        else { error = "Not a .git directory: " + toString path; };
    in
    readCommitFromFile "HEAD";

  pathHasContext = builtins.hasContext or (hasPrefix builtins.storeDir);
  canCleanSource = src: src ? _isLibCleanSourceWith || !(pathHasContext (toString src));

  toSourceAttributes = src:
    let isFiltered = src ? _isLibCleanSourceWith; in
    {
      origSrc = if isFiltered then src.origSrc else src;
      filter = if isFiltered then src.filter else _: _: true;
      name = if isFiltered then src.name else "source";
    };
  fromSourceAttributes = { origSrc, filter, name }: {
    _isLibCleanSourceWith = true;
    inherit origSrc filter name;
    outPath = if builtins ? path then builtins.path { inherit filter name; path = origSrc; } else noStore "A filtered source";
  };

  urlToName = url:
    let
      base = baseNameOf (removeSuffix "/" (lib.lists.last (lib.strings.splitString ":" (toString url))));
      removeExt = name:
        let matchExt = match "(.*)\\.(git|tar|zip|gz|tgz|bz|tbz|bz2|tbz2|lzma|txz|xz|zstd)$" name; in
        if matchExt != null then builtins.head matchExt else name;
      shrink = f: x: let v = f x; in if builtins.stringLength v < builtins.stringLength x then shrink f v else x;
    in
    shrink removeExt base;

  shortRev = rev:
    let
      baseRev = baseNameOf (toString rev);
      matchHash = match "[a-f0-9]+" baseRev;
      matchVer = match "([A-Za-z]+[-_. ]?)*(v)?([0-9.]+.*)" baseRev;
    in
    if matchHash != null then builtins.substring 0 7 baseRev
    else if matchVer != null then lib.lists.last matchVer
    else baseRev;

  revOrTag = rev: tag: if tag != null then tag else if rev != null then rev else "HEAD";

  repoRevToNameFull = repo_: rev_: suffix_:
    let
      repo = urlToName repo_;
      rev = if rev_ != null then "-${shortRev rev_}" else "";
      suffix = if suffix_ != null then "-${suffix_}" else "";
    in
    "${repo}${rev}${suffix}-source";
  repoRevToName = kind:
    if kind == "source" then (repo: rev: suffix: "source")
    else if kind == "versioned" then (repo: rev: suffix: repoRevToNameFull repo rev null)
    else if kind == "full" then repoRevToNameFull
    else throw "repoRevToName: invalid kind";

  # Globs (`*` within a component, `**` across them) over paths relative to the source.
  sourceByGlobs =
    let
      splitPath = path: filter isString (split "/" path);
      mkRe = s:
        if s == "**" then ".*"
        else lib.strings.concatStrings (map (tok: if isList tok then "[^/]*" else escapeRegex tok) (split "\\*+" s));
      mkMatcher = pat:
        let globs = map mkRe (splitPath pat); glen = length globs; in
        path: type:
        let
          path' = splitPath path;
          plen = length path';
          recurse = gi: pi:
            let g = elemAt globs gi; p = elemAt path' pi; m = match g p != null; in
            if pi >= plen then gi >= glen || (type == "directory" || type == "symlink")
            else if gi >= glen then false
            else if g == ".*" then
              (if (gi + 1) == glen then true
               else if (match (elemAt globs (gi + 1)) p != null) then recurse (gi + 1) pi
               else if m then recurse gi (pi + 1)
               else false)
            else if m then recurse (gi + 1) (pi + 1)
            else false;
        in
        recurse 0 0;
      mkSourceFilter = root: patterns:
        let root' = "${toString root}/"; matchers = map mkMatcher patterns; in
        name: type: let name' = removePrefix root' name; in lib.lists.any (m: m name' type) matchers;
    in
    src: patterns: cleanSourceWith { filter = mkSourceFilter src patterns; inherit src; };
in
{
  inherit pathIsGitRepo commitIdFromGitRepo cleanSource cleanSourceWith cleanSourceFilter pathHasContext
    canCleanSource urlToName shortRev revOrTag repoRevToName sourceByRegex sourceFilesBySuffices sourceByGlobs
    trace;
  filterSource = builtins.filterSource or (filter: path: noStore "builtins.filterSource");
}
