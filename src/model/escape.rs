//! Escaping and coercions exactly as nixpkgs does them.

use crate::node::{Kind, Node};

// A namespace's unit name is known to the module stage, which merges the definitions made on
// that unit (`systemd.services.netns-<escaped>`).
pub use crate::module::unit_name::{escape_unit_name, namespace_unit_name};

/// nixpkgs `lib.escapeShellArg`: unquoted when it matches `[[:alnum:],._+:@%/-]+` (ASCII),
/// else single-quoted with `'` as `'\''`.
pub fn escape_shell_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ",._+:@%/-".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// `makeJobScript`'s file name: `shellEscape` doubles backslashes, then `\` → `-`, `@` → `_`.
pub fn job_script_name(name: &str) -> String {
    name.replace('\\', "\\\\").replace('\\', "-").replace('@', "_")
}

/// Nix's `toString` of a float as Nix 2.8 prints it (`std::to_string`: six decimals).
pub fn float_to_string(f: f64) -> String {
    crate::nix_text::format_float_fixed(f)
}

/// Nix's `toString`. `Err` carries what cannot be coerced (a set, a function).
pub fn nix_to_string(v: &Node) -> Result<String, &Node> {
    Ok(match &v.kind {
        Kind::Null => String::new(),
        Kind::Bool(true) => "1".into(),
        Kind::Bool(false) => String::new(),
        Kind::Int(i) => i.to_string(),
        Kind::Float(f) => float_to_string(*f),
        Kind::Str(s) | Kind::Path(s) => s.clone(),
        Kind::List(items) => {
            let parts: Result<Vec<String>, &Node> = items.iter().map(nix_to_string).collect();
            parts?.join(" ")
        }
        Kind::Attrs(a) => match a.get("outPath") {
            Some(p) => nix_to_string(p)?,
            None => return Err(v),
        },
        Kind::Opaque(_) => return Err(v),
    })
}

/// systemd-lib's `toOption`: booleans as `true`/`false`, the rest through `toString`.
pub fn to_option(v: &Node) -> Result<String, &Node> {
    match v.kind {
        Kind::Bool(b) => Ok(if b { "true" } else { "false" }.to_string()),
        _ => nix_to_string(v),
    }
}

/// Nix's `builtins.toJSON` of a string (used for `Environment=` lines), as the evaluator
/// prints it.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    crate::nix_text::push_json_string(s, &mut out);
    out
}

/// Folder of the units' trigger files (`X-Restart-Triggers=`), relative to the output root.
pub const TRIGGER_DIR: &str = "share/netns-compile/triggers";

/// Folder of a unit's scripts, relative to the output root.
pub fn script_dir(unit_name: &str) -> String {
    format!("libexec/netns-compile/{unit_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_escape_runs() {
        assert_eq!(escape_unit_name("my lab"), "my-lab");
        assert_eq!(escape_unit_name("x;rm -rf /"), "x-rm--rf-");
        assert_eq!(escape_unit_name("ünïcode"), "-n-code");
        assert_eq!(escape_unit_name("dots.and_under-score"), "dots.and_under-score");
        assert_eq!(escape_unit_name("back\\slash"), "back\\slash");
        assert_eq!(escape_unit_name("a  b"), "a-b");
        assert_eq!(escape_unit_name(""), "");
        assert_eq!(namespace_unit_name("a/b"), "netns-a-b.service");
    }

    #[test]
    fn shell_args_quote_like_nixpkgs() {
        assert_eq!(escape_shell_arg("bare"), "bare");
        assert_eq!(escape_shell_arg("a/b"), "a/b");
        assert_eq!(escape_shell_arg(""), "''");
        assert_eq!(escape_shell_arg("my lab"), "'my lab'");
        assert_eq!(escape_shell_arg("it's"), "'it'\\''s'");
        assert_eq!(escape_shell_arg("ünïcode"), "'ünïcode'");
        assert_eq!(escape_shell_arg("$(id)"), "'$(id)'");
        assert_eq!(escape_shell_arg("a,b._+:@%/-c"), "a,b._+:@%/-c");
    }

    #[test]
    fn job_script_names() {
        assert_eq!(job_script_name("netns-svc-start"), "netns-svc-start");
        assert_eq!(job_script_name("netns-a\\b-start"), "netns-a--b-start");
        assert_eq!(job_script_name("x@y"), "x_y");
    }

    #[test]
    fn environment_quoting_is_nix_to_json() {
        assert_eq!(json_string("QUOTE=say \"hi\" $HOME"), r#""QUOTE=say \"hi\" $HOME""#);
        assert_eq!(json_string("A=b\\c\nd\u{1}"), r#""A=b\\c\nd\u0001""#);
        // Nix 2.8 names only \n, \r and \t; a backspace is \u0008 (not \b).
        assert_eq!(json_string("B=\u{8}\u{c}"), r#""B=\u0008\u000c""#);
        assert_eq!(json_string("U=ünï"), "\"U=ünï\"");
    }

    #[test]
    fn to_string_coerces_like_nix() {
        use crate::source::Span;
        let n = |k| Node::new(Span::BUILTIN, k);
        assert_eq!(nix_to_string(&n(Kind::Float(1.5))).unwrap(), "1.500000");
        assert_eq!(nix_to_string(&n(Kind::Bool(true))).unwrap(), "1");
        assert_eq!(to_option(&n(Kind::Bool(true))).unwrap(), "true");
        assert_eq!(to_option(&n(Kind::Bool(false))).unwrap(), "false");
        assert_eq!(
            nix_to_string(&n(Kind::List(vec![
                n(Kind::Int(1)),
                n(Kind::Null),
                n(Kind::Str("x".into()))
            ])))
            .unwrap(),
            "1  x"
        );
    }
}
