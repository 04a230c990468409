# The shape of a nixpkgs-like `lib`, for tests/lib_parity.rs: the names of `lib` and of each of
# its namespaces, and the `name` and `description` of every type in `lib.types` (a type
# constructor applied to simple arguments). Evaluated by real Nix over nixpkgs' lib and by
# netns-compile over its own, so it uses only what both evaluate alike.
{
  lib,
  # Attributes of lib whose values are not forced here (see tests/lib_parity.rs).
  unforced ? [ ],
}:
let
  inherit (builtins) attrNames elem filter isAttrs isFunction listToAttrs mapAttrs tryEval;
  t = lib.types;
  isType = v: isAttrs v && v._type or null == "option-type";

  # A namespace: an attrset-valued attribute of lib that is no type, derivation or value marker.
  isNamespace = n: v: isAttrs v && !(v ? _type) && !(v ? type && v.type == "derivation");
  forced = filter (n: !(elem n unforced)) (attrNames lib);
  namespaces = filter (n: (tryEval (isNamespace n lib.${n})).value or false) forced;

  # What each type constructor is applied to (`types.str` unless named here).
  samples = {
    addCheck = [ t.str (x: true) ];
    attrListWith = [ { elemType = t.str; } ];
    attrTag = [ { a = lib.mkOption { type = t.str; }; b = lib.mkOption { type = t.int; }; } ];
    attrsWith = [ { elemType = t.str; } ];
    coercedTo = [ t.int toString t.str ];
    deferredModuleWith = [ { } ];
    either = [ t.str t.int ];
    enum = [ [ "a" "b" ] ];
    mergeTypes = [ t.str t.str ];
    mkOptionType = [ { name = "sample"; } ];
    oneOf = [ [ t.str t.int ] ];
    pathWith = [ { absolute = true; inStore = false; } ];
    separatedString = [ "," ];
    serializableValueWith = [ { typeName = "sample"; } ];
    strMatching = [ "a.*" ];
    submodule = [ { } ];
    submoduleWith = [ { modules = [ ]; } ];
    unique = [ { message = "sample"; } t.str ];
    between = [ 0 10 ];
  };
  # Functions of lib.types that make no type.
  notConstructors = [ "defaultFunctor" "defaultTypeMerge" "isOptionType" "isType" "optionDescriptionPhrase" "setType" ];

  apply = f: args: builtins.foldl' (g: a: g a) f args;
  # A field of a type, or the fact that reading it fails (`loaOf` throws, as nixpkgs says).
  field = ty: name: let r = tryEval ty.${name}; in if r.success then r.value else "<fails>";
  shape = ty: if isType ty then { name = field ty "name"; description = field ty "description"; } else null;
  typesIn = prefix: set:
    builtins.concatLists (map (n:
      let v = set.${n}; key = prefix + n; in
      if n == "types" then [ ]
      else if isType v then [ { name = key; value = shape v; } ]
      else if isFunction v then
        if builtins.elem n notConstructors then [ ]
        else [ { name = key; value = let r = tryEval (apply v (samples.${n} or [ t.str ])); in if r.success then shape r.value else "<fails>"; } ]
      else if isAttrs v && !(v ? _type) && !(v ? _file) then typesIn "${key}." v
      else [ ]
    ) (attrNames set));
in
{
  names = { "" = attrNames lib; }
    // listToAttrs (map (n: { name = n; value = attrNames lib.${n}; }) namespaces)
;
  types = listToAttrs (typesIn "" t);
}
