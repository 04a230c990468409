//! `pkgs` in a `.nix` input (SPEC §2.4): the compiler's tools, each shaped as nixpkgs' derivation
//! of it (docs/nix.md), from the facts the caller passes (the table is `model::tools`).

use crate::eval::builtins::{STORE_DIR, parse_drv_name};
use crate::eval::{Attrs, Thunk, Value, error};
use crate::package::Package;
use crate::source::Span;
use std::rc::Rc;

/// `pkgs` (SPEC §2.4): each package the compiler knows as a derivation-like set (see
/// [`package_value`]); any other name an error that explains the JSON route. `packages` are in
/// the order the error lists them (the caller's: the tools belong to the stages above).
pub fn pkgs(packages: &[Package]) -> Value {
    let mut attrs = Attrs::new();
    for p in packages {
        attrs.insert_value(
            p.facts.attr,
            package_value(&Rc::new(p.clone()), p.facts.outputs[0], false),
        );
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
fn package_value(p: &Rc<Package>, output: &'static str, specified: bool) -> Value {
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
        let value = Thunk::native(Span::BUILTIN, move |_| Ok(package_value(&p, o, true)));
        attrs.insert(Rc::from(o), value, Span::BUILTIN);
    }
    if specified {
        attrs.insert_value("outputSpecified", Value::Bool(true));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::nix::eval_file_json_with_lib;
    use crate::package::PackageFacts;
    use crate::source::SourceMap;

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
        let out = eval_file_json_with_lib(&path, packages, &Default::default(), &mut SourceMap::new());
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
        let Value::Attrs(set) = pkgs(&packages("/p/ip", "/p/wg")) else {
            panic!("pkgs is a set")
        };
        assert_eq!(
            set.map.keys().map(|k| k.to_string()).collect::<Vec<_>>(),
            ["iproute2", "wireguard-tools"]
        );
        let explain = set.missing.as_ref().expect("explains missing names");
        let message = explain("hello");
        assert!(message.starts_with("pkgs.hello is not available"), "{message}");
        assert!(
            message.contains("knows only the tools iproute2, wireguard-tools."),
            "{message}"
        );
    }
}
