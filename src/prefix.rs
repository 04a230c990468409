//! The absolute path units name their scripts by: `build --prefix` (or the output folder),
//! and `install --prefix`, the state folder whose numbered generations the units are built
//! for. One checked type, one rule, checked once where the path comes in.

use std::fmt;

/// A path that may stand unquoted in a unit file and a script's `#!` line, and names one
/// folder of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix(String);

/// Why a path is not a [`Prefix`]: it is shown after what the path is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAPrefix(pub String);

impl fmt::Display for NotAPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} must be an absolute path other than /, without `.`/`..` and free of spaces, quotes, `%`, `$` and `\\` (units name scripts by it)",
            self.0
        )
    }
}

impl Prefix {
    /// The rule: absolute, not `/`, without `.`, `..` or empty components (a trailing `/`
    /// aside), and without a character that would need quoting in a unit or a `#!` line.
    pub fn new(path: &str) -> Result<Prefix, NotAPrefix> {
        let plain = path.len() > 1 && is_plain(path.trim_end_matches('/'));
        if !plain || path.chars().any(needs_quoting) {
            return Err(NotAPrefix(path.to_string()));
        }
        Ok(Prefix(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folder numbered `n` inside (an install's generation): a number keeps the rule.
    pub fn numbered(&self, n: u32) -> Prefix {
        Prefix(format!("{}/{n}", self.0.trim_end_matches('/')))
    }
}

/// Absolute, without `.`, `..` or empty components.
pub fn is_plain(path: &str) -> bool {
    path.strip_prefix('/')
        .is_some_and(|rest| rest.split('/').all(|c| !c.is_empty() && c != "." && c != ".."))
}

/// Characters that would need quoting in a unit file or a script's `#!` line.
fn needs_quoting(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | '%' | '$' | '`' | ';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_prefix() {
        for good in [
            "/p",
            "/var/lib/netns-compile",
            "/var/lib/netns-compile/",
            "/nix/store/x-y_z.1",
        ] {
            assert!(Prefix::new(good).is_ok(), "{good}");
        }
        for bad in [
            "", "/", "//", "p", "./p", "/a/../b", "/a/./b", "/a//b", "/a b", "/a%b", "/a$b", "/a\"b", "/a\\b", "/a;b",
            "/a\nb",
        ] {
            assert_eq!(Prefix::new(bad), Err(NotAPrefix(bad.to_string())), "{bad:?}");
        }
        assert_eq!(Prefix::new("/s/").unwrap().numbered(3).as_str(), "/s/3");
    }
}
