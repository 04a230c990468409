//! What modules define below no option netns-compile knows (another NixOS option) and read in
//! `config`: the lib's engine merges it (own_options.nix's `<undeclared>`, `mergeEqualOption`),
//! as values — a function stays a function — with its errors at the definitions.

use super::load_nix_modules;
use crate::diagnostic::Code;
use crate::module::config::resolve_config;
use crate::source::SourceMap;

/// The projected modules of `text` as a module file, or its diagnostics' codes and the
/// text each label points at.
fn load(test: &str, text: &str) -> Result<serde_json::Value, Vec<(Code, Vec<String>)>> {
    let dir = std::env::temp_dir().join(format!("netns-compile-undeclared-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("module.nix");
    std::fs::write(&path, text).expect("write");
    let mut sources = SourceMap::new();
    let loaded = load_nix_modules(&path, &[], &Default::default(), &mut sources);
    std::fs::remove_dir_all(&dir).expect("remove the temp dir");
    match loaded {
        Ok(modules) => {
            let mut diags = crate::diagnostic::Diagnostics::new();
            let config = resolve_config(&modules, &mut diags);
            assert!(diags.errors().next().is_none(), "{:?}", diags.items);
            Ok(crate::module::config::resolved_json(&config))
        }
        Err(diags) => Err(diags
            .items
            .iter()
            .map(|d| {
                let labels = d.primary.iter().chain(&d.secondary);
                (
                    d.code,
                    labels
                        .map(|l| text[l.span.start as usize..l.span.end as usize].to_string())
                        .collect(),
                )
            })
            .collect()),
    }
}

#[test]
fn an_undeclared_option_is_read_as_its_merged_value() {
    let resolved = load(
        "value",
        r#"{ config, lib, ... }: {
          imports = [
            { networking.hostName = "host"; networking.hooks = [ (x: "${x}!") ]; }
            { networking.hostName = lib.mkDefault "other"; networking.hostId = lib.mkIf false (throw "read"); }
          ];
          services.netns.namespaces.vpn.service.environment.X =
            (lib.head config.networking.hooks) config.networking.hostName;
        }"#,
    )
    .expect("it evaluates");
    assert_eq!(resolved["vpn"]["service"]["environment"]["X"], "host!");
}

#[test]
fn conflicting_definitions_of_an_undeclared_option_point_at_both() {
    let errors = load(
        "conflict",
        r#"{ config, ... }: {
          imports = [ { networking.hostName = "a"; } { networking.hostName = "b"; } ];
          services.netns.namespaces.vpn.service.environment.X = config.networking.hostName;
        }"#,
    )
    .expect_err("a conflict");
    let (code, mut labels) = errors.into_iter().next().expect("one error");
    labels.sort();
    assert_eq!(
        (code, labels),
        (
            Code::ConflictingDefinitions,
            vec![r#""a""#.to_string(), r#""b""#.to_string()]
        )
    );
}
