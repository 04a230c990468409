//! The Nix search path: what `<nixpkgs/lib>` names.
//!
//! Entries come from the search path the evaluator was given (like `nix-instantiate -I`,
//! searched first) and then from `NIX_PATH`, as in Nix 2.8. Each is `prefix=dir` or a bare
//! `dir` (which serves every name). When no entry has the file, `<nixpkgs/lib>` is the native
//! `lib` (SPEC §2.3), so that a file written for nixpkgs' lib runs against ours unchanged.

use super::io::EvalIo;
use std::path::Path;

/// One entry of the search path: `prefix=path`, or a bare `path` (an empty prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPathEntry {
    pub prefix: String,
    pub path: String,
}

/// The path that `<nixpkgs/lib>` stands for when no entry of the search path has it; importing
/// it gives the native `lib`. No real file is there (the name says so where it is printed).
pub const NATIVE_LIB_PATH: &str = "/netns-compile-native/nixpkgs/lib";

/// The search path of a new evaluator: the entries it was given, then `NIX_PATH`'s (in `io`'s
/// environment).
pub(crate) fn current_search_path(given: &[SearchPathEntry], io: &dyn EvalIo) -> Vec<SearchPathEntry> {
    let mut entries = given.to_vec();
    if let Some(nix_path) = io.env_var("NIX_PATH") {
        entries.extend(parse_search_path(&nix_path));
    }
    entries
}

/// `NIX_PATH`'s syntax: entries separated by `:`, a `:` followed by `//` being part of a URL.
pub fn parse_search_path(text: &str) -> Vec<SearchPathEntry> {
    let mut entries = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices(':') {
        if text[i + 1..].starts_with("//") {
            continue;
        }
        entries.extend(parse_entry(&text[start..i]));
        start = i + 1;
    }
    entries.extend(parse_entry(&text[start..]));
    entries
}

/// One `prefix=path` or `path` (`None` when empty).
pub fn parse_entry(text: &str) -> Option<SearchPathEntry> {
    if text.is_empty() {
        return None;
    }
    Some(match text.split_once('=') {
        Some((prefix, path)) => SearchPathEntry {
            prefix: prefix.to_string(),
            path: path.to_string(),
        },
        None => SearchPathEntry {
            prefix: String::new(),
            path: text.to_string(),
        },
    })
}

/// Where `name` (`nixpkgs/lib`) is found: the first entry whose prefix is `name` or a leading
/// component path of it, and under which the rest exists (Nix 2.8's `findFile`). URLs, which
/// Nix would download, are skipped: there is no network and no store. Files are `io`'s.
pub fn find(io: &dyn EvalIo, entries: &[SearchPathEntry], name: &str, cwd: &Path) -> Option<String> {
    for entry in entries {
        let suffix = if entry.prefix.is_empty() {
            format!("/{name}")
        } else {
            let Some(rest) = name.strip_prefix(entry.prefix.as_str()) else {
                continue;
            };
            if !rest.is_empty() && !rest.starts_with('/') {
                continue;
            }
            rest.to_string()
        };
        if entry.path.contains("://") {
            continue;
        }
        let base = cwd.join(&entry.path);
        let candidate = format!("{}{suffix}", base.display());
        if io.file_type(Path::new(&candidate)).is_ok() {
            return Some(super::lower::canonicalize_path(&candidate));
        }
    }
    None
}

/// The native stand-in of a name no entry has: only nixpkgs' `lib` has one.
pub fn native_fallback(name: &str) -> Option<&'static str> {
    matches!(name, "nixpkgs/lib" | "nixpkgs/lib/").then_some(NATIVE_LIB_PATH)
}

/// True when `path` (given to `import`) is the native `lib`.
pub fn is_native_lib(path: &Path) -> bool {
    path == Path::new(NATIVE_LIB_PATH) || path == Path::new(NATIVE_LIB_PATH).join("default.nix")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prefix: &str, path: &str) -> SearchPathEntry {
        SearchPathEntry {
            prefix: prefix.into(),
            path: path.into(),
        }
    }

    #[test]
    fn nix_path_syntax() {
        assert_eq!(
            parse_search_path("nixpkgs=/a/b:/c::x=https://h/t.tar.gz"),
            vec![
                entry("nixpkgs", "/a/b"),
                entry("", "/c"),
                entry("x", "https://h/t.tar.gz")
            ]
        );
        assert_eq!(parse_search_path(""), vec![]);
    }

    #[test]
    fn lookup_follows_nix() {
        let dir = Path::new("/search");
        let io = super::super::io::MemoryIo::new().with_dir(dir.join("np/lib"));
        let np = dir.join("np").display().to_string();
        let cwd = Path::new("/");
        let found = |entries: &[SearchPathEntry], name: &str| find(&io, entries, name, cwd);
        let lib = format!("{np}/lib");
        assert_eq!(found(&[entry("nixpkgs", &np)], "nixpkgs/lib"), Some(lib.clone()));
        assert_eq!(found(&[entry("nixpkgs", &np)], "nixpkgs"), Some(np.clone()));
        // A prefix matches whole components only.
        assert_eq!(found(&[entry("nix", &np)], "nixpkgs/lib"), None);
        // A bare entry serves every name; a missing file falls through to the next entry.
        assert_eq!(
            found(
                &[entry("nixpkgs", "/nonexistent"), entry("", &dir.display().to_string())],
                "np/lib"
            ),
            Some(lib)
        );
        assert_eq!(found(&[], "nixpkgs/lib"), None);
    }
}
