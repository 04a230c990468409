//! What the Nix frontend gives the evaluator and takes from it, in the module system's terms:
//! the `pkgs` a module receives, the arguments of a module file evaluated on its own, and the
//! compiler's resolved config turned back into values for modules that read it.
//!
//! The evaluator knows none of this: these are functions over its generic API
//! ([`Evaluator::call`], [`Evaluator::force`], …) and its values.

use crate::diagnostic::Diagnostics;
use crate::eval::builtins::{STORE_DIR, parse_drv_name};
use crate::eval::{Attrs, EvalError, EvalResult, Evaluator, Thunk, Value, error, ir, with_evaluator};
use crate::module::config::ResolvedNamespace;
use crate::node::{Kind, Node};
use crate::source::{SourceMap, Span};
use std::path::Path;
use std::rc::Rc;

/// What nixpkgs declares of a tool's package, besides where it is. The table is the tools'
/// (`model::tools::PACKAGES`); a package's `pname` is its attribute name there.
#[derive(Debug, PartialEq)]
pub struct PackageFacts {
    /// `pkgs.<attr>`, and the package's `pname`.
    pub attr: &'static str,
    /// `meta.mainProgram`, where nixpkgs sets one (`lib.getExe` falls back to the pname).
    pub main_program: Option<&'static str>,
    /// `outputs`, `out` first.
    pub outputs: &'static [&'static str],
    /// `meta.description`.
    pub description: &'static str,
}

/// A package as `pkgs.<attr>` gives it: its facts, and the prefix the input's tools name.
#[derive(Clone, Debug)]
pub struct Package {
    pub facts: &'static PackageFacts,
    /// Where its `out` output is.
    pub prefix: String,
}

/// `pkgs` (SPEC §2.4): each package the compiler knows as a derivation-like set (see
/// [`package_value`]); any other name an error that explains the JSON route. `packages` are in
/// the order the error lists them (the caller's: the tools belong to the stages above).
pub fn pkgs(packages: &[Package]) -> Value {
    let mut attrs = Attrs::new();
    for p in packages {
        attrs.insert_value(p.facts.attr, package_value(&Rc::new(p.clone()), p.facts.outputs[0]));
    }
    let known: Rc<str> = Rc::from(packages.iter().map(|p| p.facts.attr).collect::<Vec<_>>().join(", "));
    // Other names fail where they are used, not when `pkgs` is made.
    attrs.missing = Some(Rc::new(move |name: &str| unknown_package_message(name, &known)));
    Value::attrs(attrs)
}

/// Package `p` (or its output `output`) shaped as nixpkgs' `stdenv.mkDerivation` gives it, so
/// that `lib.isDerivation`, `lib.getName`, `lib.getVersion`, `lib.getExe`, `lib.getOutput`
/// and friends see what they see in NixOS: `type = "derivation"`, `outPath`, `name`, `pname`,
/// `version`, `outputs`, `outputName`, `meta.{mainProgram,description}`, and one attribute per
/// output, itself the same set for that output with `outputSpecified = true` (made when read:
/// `p.out.out` goes on as in nixpkgs). It interpolates and `toString`s to its `outPath`.
///
/// There is no `drvPath`: nothing here was instantiated from a derivation (the prefix need not
/// even be a store path), so no `.drv` path would be true, and nothing a module does with a
/// package (`isDerivation`, interpolation, `getExe`) needs one.
fn package_value(p: &Rc<Package>, output: &'static str) -> Value {
    let facts = p.facts;
    let (name, version) = name_and_version(&p.prefix, facts.attr);
    let mut attrs = Attrs::new();
    attrs.insert_value("type", Value::str("derivation"));
    attrs.insert_value("name", Value::string(name));
    attrs.insert_value("pname", Value::str(facts.attr));
    attrs.insert_value("version", Value::string(version));
    attrs.insert(Rc::from("outPath"), output_path(p, output), Span::BUILTIN);
    attrs.insert_value("outputName", Value::str(output));
    let outputs = facts.outputs.iter().map(|o| Thunk::ready(Value::str(o), Span::BUILTIN));
    attrs.insert_value("outputs", Value::list(outputs.collect()));
    for &o in facts.outputs {
        let p = Rc::clone(p);
        let value = Thunk::native(Span::BUILTIN, move |_| {
            let Value::Attrs(a) = package_value(&p, o) else {
                unreachable!("a package is a set")
            };
            let mut a = (*a).clone();
            a.insert_value("outputSpecified", Value::Bool(true));
            Ok(Value::attrs(a))
        });
        attrs.insert(Rc::from(o), value, Span::BUILTIN);
    }
    let mut meta = Attrs::new();
    meta.insert_value("description", Value::str(facts.description));
    if let Some(program) = facts.main_program {
        meta.insert_value("mainProgram", Value::str(program));
    }
    attrs.insert_value("meta", Value::attrs(meta));
    Value::attrs(attrs)
}

/// Where output `output` of `p` is. The prefix is the `out` output. A prefix that is not a
/// store path (`/usr`, a profile such as `/run/current-system/sw`) is a merged tree that holds
/// every output (its `share/man`, its headers) at once. The other outputs of a store path are
/// store paths of their own that the input does not give: reading one is an error that says so.
fn output_path(p: &Rc<Package>, output: &'static str) -> Thunk {
    if output == "out" || store_name(&p.prefix).is_none() {
        return Thunk::ready(Value::str(&p.prefix), Span::BUILTIN);
    }
    let p = Rc::clone(p);
    Thunk::native(Span::BUILTIN, move |ev| {
        let attr = p.facts.attr;
        Err(error(
            ev.current_span(),
            format!(
                "pkgs.{attr}.{output} is not available: the tools give the store path of {attr}'s `out` output \
                 ({}), not of its `{output}` output",
                p.prefix
            ),
        ))
    })
}

/// `name` and `version` of a package whose `out` is at `prefix`. A store path names itself:
/// `/nix/store/<hash>-iproute2-6.1.0` is `iproute2-6.1.0`, version `6.1.0` (split as
/// `builtins.parseDrvName` splits it; `/nix/store/<hash>-iproute2` has the version `""`). Any
/// other prefix (`/usr`, `/run/current-system/sw`) says nothing of the package's version: the
/// name is the pname alone and the version `""`, what `parseDrvName` gives for such a name.
fn name_and_version(prefix: &str, pname: &str) -> (String, String) {
    match store_name(prefix) {
        Some(name) => (name.to_string(), parse_drv_name(name).1.to_string()),
        None => (pname.to_string(), String::new()),
    }
}

/// The name of store path `path` (`/nix/store/<32-character hash>-<name>`, nothing below it).
fn store_name(path: &str) -> Option<&str> {
    let base = path.strip_prefix(STORE_DIR)?.strip_prefix('/')?;
    let (hash, name) = base.split_at_checked(32)?;
    let name = name.strip_prefix('-')?;
    let valid = hash.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    (valid && !name.is_empty() && !name.contains('/')).then_some(name)
}

/// The message for `pkgs.<name>` that is not one of the `known` tools (a list for the text).
fn unknown_package_message(name: &str, known: &str) -> String {
    format!(
        "pkgs.{name} is not available: netns-compile evaluates .nix files without nixpkgs and knows only the tools {known}. \
         Evaluate the configuration with real Nix instead and compile its JSON: \
         `nix eval --json .#nixosConfigurations.<host>.config --apply '…toCompilerJSON' > eval.json`"
    )
}

/// Like [`crate::eval::eval_file_json`], but a file whose value is a function is first called
/// with the arguments a module gets outside a configuration: `lib` (native), `pkgs` (of
/// `packages`), and empty `config` and `options`. Only the arguments the function names are
/// passed unless it takes `...`. Used to test `lib` against nixpkgs, and to inspect module files.
pub fn eval_file_json_with_lib(
    path: &Path,
    packages: &[Package],
    sources: &mut SourceMap,
) -> Result<String, Diagnostics> {
    let path = path.to_path_buf();
    let pkgs_of = packages.to_vec();
    with_evaluator(sources, move |ev| {
        let (value, span) = ev.evaluate_file(&path, None)?;
        let value = match &value {
            Value::Lambda(_) => {
                let args = lone_module_arguments(ev, &pkgs_of, &value)?;
                ev.call(value.clone(), Thunk::ready(args, span), span)?
            }
            _ => value,
        };
        let mut out = String::new();
        ev.print_json(&value, &mut out, span)?;
        Ok(out)
    })
    .map_err(EvalError::into_diagnostics)
}

/// The arguments of module function `f` evaluated on its own: `lib`, `pkgs`, empty `config` and
/// `options`, restricted to the names `f` accepts unless it has `...`. (Inside a configuration
/// the module collector gives the real ones.)
fn lone_module_arguments(ev: &Evaluator, packages: &[Package], f: &Value) -> EvalResult<Value> {
    let mut args = Attrs::new();
    args.insert_value("lib", ev.lib()?);
    args.insert_value("pkgs", pkgs(packages));
    args.insert_value("config", Value::attrs(Attrs::new()));
    args.insert_value("options", Value::attrs(Attrs::new()));
    if let Value::Lambda(c) = f
        && let ir::Param::Pattern {
            entries,
            ellipsis: false,
            ..
        } = &c.def.param
    {
        args.map.retain(|k, _| entries.iter().any(|e| e.name == *k));
    }
    Ok(Value::attrs(args))
}

/// What a node's values with no JSON form become in [`value_of`].
#[derive(Clone, Copy)]
enum Shape {
    /// As they are: a path stays a path.
    Exact,
    /// As in the JSON that `resolve` prints: a path is its string, a float JSON cannot hold
    /// (infinite, NaN) is null.
    Json,
}

/// A node as an evaluator value, with the node's spans.
pub fn node_to_value(n: &Node) -> Value {
    value_of(n, Shape::Exact)
}

/// `config.services.netns.namespaces` as the compiler resolved it: each namespace by name,
/// located where the name and the value are written. A module has always read these values
/// in the shape of `resolve`'s JSON (they were once carried as that JSON), and keeps doing so.
pub fn resolved_namespaces_value(namespaces: &[ResolvedNamespace]) -> Value {
    let mut attrs = Attrs::new();
    for ns in namespaces {
        attrs.insert(
            Rc::from(ns.name.as_str()),
            Thunk::ready(value_of(&ns.value, Shape::Json), ns.value.span),
            ns.name_span,
        );
    }
    Value::attrs(attrs)
}

fn value_of(n: &Node, shape: Shape) -> Value {
    match (&n.kind, shape) {
        (Kind::Null | Kind::Opaque(_), _) => Value::Null,
        (Kind::Bool(b), _) => Value::Bool(*b),
        (Kind::Int(i), _) => Value::Int(*i),
        (Kind::Float(f), Shape::Json) if !f.is_finite() => Value::Null,
        (Kind::Float(f), _) => Value::Float(*f),
        (Kind::Str(s), _) => Value::str(s),
        (Kind::Path(p), Shape::Exact) => Value::Path(Rc::from(p.as_str())),
        (Kind::Path(p), Shape::Json) => Value::str(p),
        // A derivation, say: `resolve` prints its `outPath`.
        (Kind::Attrs(a), Shape::Json) if let Some(p) = a.get("outPath") => value_of(p, shape),
        (Kind::List(items), _) => Value::list(items.iter().map(|i| Thunk::ready(value_of(i, shape), i.span)).collect()),
        (Kind::Attrs(a), _) => {
            let mut attrs = Attrs::new();
            for e in &a.entries {
                attrs.insert(
                    Rc::from(e.key.as_str()),
                    Thunk::ready(value_of(&e.value, shape), e.value.span),
                    e.key_span,
                );
            }
            Value::attrs(attrs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Attrs as NodeAttrs, Entry};
    use crate::source::{FileId, Span};

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    /// `{ service = { path = ./x; weight = <float>; }; }` written at distinct spans.
    fn namespace(name: &str, weight: f64) -> ResolvedNamespace {
        let entry = |key: &str, key_at, value: Node| Entry {
            key: key.to_string(),
            key_span: at(key_at),
            value,
        };
        let service = Node::new(
            at(10),
            Kind::Attrs(NodeAttrs::from_entries(vec![
                entry("path", 11, Node::new(at(12), Kind::Path("/etc/x".into()))),
                entry("weight", 13, Node::new(at(14), Kind::Float(weight))),
            ])),
        );
        ResolvedNamespace {
            name: name.to_string(),
            name_span: at(1),
            value: Node::new(
                at(2),
                Kind::Attrs(NodeAttrs::from_entries(vec![entry("service", 3, service)])),
            ),
            sysctl_inherited: true,
            nftables_inherited: true,
        }
    }

    fn attrs(v: &Value) -> &Attrs {
        match v {
            Value::Attrs(a) => a,
            _ => panic!("not a set"),
        }
    }

    fn ready(t: &Thunk) -> Value {
        t.value_if_done().expect("a ready value")
    }

    #[test]
    fn resolved_namespaces_keep_their_spans_and_resolve_s_shape() {
        let value = resolved_namespaces_value(&[namespace("vpn", f64::INFINITY)]);
        let vpn = attrs(&value).map.get("vpn").expect("vpn");
        assert_eq!(vpn.key_span, at(1));
        assert_eq!(vpn.value.span(), at(2));
        let vpn = ready(&vpn.value);
        let service = attrs(&vpn).map.get("service").expect("service");
        assert_eq!((service.key_span, service.value.span()), (at(3), at(10)));
        let service = ready(&service.value);
        let path = attrs(&service).map.get("path").expect("path");
        assert_eq!((path.key_span, path.value.span()), (at(11), at(12)));
        assert!(matches!(ready(&path.value), Value::Str(s) if &*s == "/etc/x"));
        let weight = attrs(&service).get("weight").expect("weight");
        assert!(matches!(ready(weight), Value::Null));
    }

    #[test]
    fn nodes_become_values_exactly() {
        let ns = namespace("vpn", 0.5);
        let value = node_to_value(&ns.value);
        let service = ready(attrs(&value).get("service").expect("service"));
        assert!(matches!(ready(attrs(&service).get("path").expect("path")), Value::Path(p) if &*p == "/etc/x"));
        assert!(matches!(ready(attrs(&service).get("weight").expect("weight")), Value::Float(f) if f == 0.5));
    }

    static IPROUTE2: PackageFacts = PackageFacts {
        attr: "iproute2",
        main_program: None,
        outputs: &["out", "dev", "man"],
        description: "iproute2's",
    };
    static WG: PackageFacts = PackageFacts {
        attr: "wireguard-tools",
        main_program: Some("wg"),
        outputs: &["out"],
        description: "wg's",
    };

    const STORE_PATH: &str = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-iproute2-6.1.0";

    fn packages(iproute2: &str, wg: &str) -> [Package; 2] {
        [
            Package {
                facts: &IPROUTE2,
                prefix: iproute2.to_string(),
            },
            Package {
                facts: &WG,
                prefix: wg.to_string(),
            },
        ]
    }

    /// The JSON of `{ lib, pkgs, ... }: <body>` given `packages` (native lib), or the error.
    fn eval_module(test: &str, packages: &[Package], body: &str) -> Result<String, String> {
        let dir = std::env::temp_dir().join(format!("netns-compile-hooks-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("module.nix");
        std::fs::write(&path, format!("{{ lib, pkgs, ... }}: {body}")).expect("write");
        let out = eval_file_json_with_lib(&path, packages, &mut SourceMap::new());
        std::fs::remove_dir_all(&dir).expect("remove the temp dir");
        out.map_err(|d| d.items[0].message.clone())
    }

    #[test]
    fn a_package_is_a_derivation_that_interpolates_to_its_prefix() {
        let packages = packages(STORE_PATH, "/usr");
        let out = eval_module(
            "derivation",
            &packages,
            r#"with pkgs.iproute2; {
                interpolated = "${pkgs.iproute2}/bin/ip";
                string = toString pkgs.iproute2;
                isDerivation = lib.isDerivation pkgs.iproute2;
                equal = pkgs.iproute2 == pkgs.iproute2.out;
                json = pkgs.iproute2;
                inherit type name pname version outputs outputName;
                hasDrvPath = pkgs.iproute2 ? drvPath;
                out = [ out.outPath out.outputName out.outputSpecified out.out.out.outputName ];
                man = [ man.outputName man.outputSpecified (pkgs.iproute2 ? outputSpecified) ];
                meta = pkgs.iproute2.meta;
                getName = lib.getName pkgs.iproute2;
                getVersion = lib.getVersion pkgs.iproute2;
            }"#,
        );
        let want = format!(
            r#"{{"equal":true,"getName":"iproute2","getVersion":"6.1.0","hasDrvPath":false,"interpolated":"{STORE_PATH}/bin/ip","isDerivation":true,"json":"{STORE_PATH}","man":["man",true,false],"meta":{{"description":"iproute2's"}},"name":"iproute2-6.1.0","out":["{STORE_PATH}","out",true,"out"],"outputName":"out","outputs":["out","dev","man"],"pname":"iproute2","string":"{STORE_PATH}","type":"derivation","version":"6.1.0"}}"#
        );
        assert_eq!(out.as_deref(), Ok(want.as_str()));
    }

    #[test]
    fn other_outputs_of_a_store_path_are_unknown_and_a_merged_prefix_holds_them_all() {
        let packages = packages(STORE_PATH, "/usr");
        let err = eval_module("outputs", &packages, "pkgs.iproute2.dev.outPath").expect_err("unknown output");
        assert!(
            err.starts_with(
                "pkgs.iproute2.dev is not available: the tools give the store path of iproute2's `out` output"
            ),
            "{err}"
        );
        let packages = self::packages("/usr", "/run/current-system/sw");
        let out = eval_module(
            "merged",
            &packages,
            r#"[ "${pkgs.iproute2.dev}" pkgs.iproute2.man.outPath pkgs.iproute2.name pkgs.iproute2.version
                 pkgs.wireguard-tools.meta.mainProgram pkgs.wireguard-tools.name ]"#,
        );
        assert_eq!(
            out.as_deref(),
            Ok(r#"["/usr","/usr","iproute2","","wg","wireguard-tools"]"#)
        );
    }

    #[test]
    fn a_store_path_names_the_package_and_nothing_else_does() {
        assert_eq!(
            name_and_version(STORE_PATH, "x"),
            ("iproute2-6.1.0".to_string(), "6.1.0".to_string())
        );
        let golden = "/nix/store/00000000000000000000000000000000-iproute2";
        assert_eq!(name_and_version(golden, "x"), ("iproute2".to_string(), String::new()));
        for not_a_store_path in [
            "/usr",
            "/run/current-system/sw",
            "/nix/store/short-iproute2-6.1.0",
            "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-iproute2-6.1.0/sub",
            "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-",
            "/nix/storeX/0123456789abcdfghijklmnpqrsvwxyz-iproute2",
        ] {
            assert_eq!(
                name_and_version(not_a_store_path, "iproute2"),
                ("iproute2".to_string(), String::new()),
                "{not_a_store_path}"
            );
        }
    }

    #[test]
    fn pkgs_names_its_tools_and_explains_the_others() {
        let value = pkgs(&packages("/p/ip", "/p/wg"));
        let set = attrs(&value);
        let iproute2 = ready(set.get("iproute2").expect("iproute2"));
        assert!(matches!(ready(attrs(&iproute2).get("outPath").expect("outPath")), Value::Str(s) if &*s == "/p/ip"));
        let explain = set.missing.as_ref().expect("explains missing names");
        let message = explain("hello");
        assert!(message.starts_with("pkgs.hello is not available"), "{message}");
        assert!(
            message.contains("knows only the tools iproute2, wireguard-tools."),
            "{message}"
        );
    }
}
