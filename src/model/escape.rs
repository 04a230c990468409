//! Escaping and coercions exactly as nixpkgs does them.

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
}
