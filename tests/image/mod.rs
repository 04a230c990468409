//! An image root as its systemd would see it, for the install tests: which units the links
//! in /etc/systemd/system reach, through `current` into a generation.
#![allow(dead_code)]

use crate::common::tree;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The state folder and the unit folder, relative to the root.
pub const STATE: &str = "var/lib/netns-compile";
pub const UNITS: &str = "etc/systemd/system";

/// Follow `path` (relative to `root`) as the image's system would: absolute link targets are
/// inside `root`. `None` when it dangles.
pub fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = root.join(rel);
    for _ in 0..16 {
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.file_type().is_symlink() {
            return Some(path);
        }
        let target = fs::read_link(&path).unwrap();
        path = if target.is_absolute() {
            root.join(target.strip_prefix("/").unwrap())
        } else {
            path.parent().unwrap().join(target)
        };
        // A link through `current` (a relative link to the generation).
        let mut resolved = PathBuf::new();
        for c in path.components() {
            resolved.push(c);
            if let Ok(t) = fs::read_link(&resolved)
                && resolved.starts_with(root.join(STATE))
            {
                resolved.pop();
                resolved.push(t);
            }
        }
        path = resolved;
    }
    None
}

/// What a link to /dev/null (a masked unit) reads as in [`working_units`].
pub const MASKED: &str = "(masked)";

/// What the image's systemd would load from `/etc/systemd/system`: every link there that
/// resolves, with the text it reaches (generation folders written as `GEN`), and every
/// script a unit names checked to exist; a link to /dev/null as [`MASKED`]. Dangling links
/// are listed apart.
pub fn working_units(root: &Path) -> (BTreeMap<String, String>, Vec<String>) {
    let (mut units, mut dangling) = (BTreeMap::new(), Vec::new());
    for (rel, (kind, target, _)) in tree(&root.join(UNITS)) {
        if kind != "link" {
            continue;
        }
        if target == b"/dev/null" {
            units.insert(rel, MASKED.to_string());
            continue;
        }
        let Some(file) = resolve(root, &format!("{UNITS}/{rel}")) else {
            dangling.push(rel);
            continue;
        };
        let text = fs::read_to_string(&file).unwrap();
        for word in text.split(|c: char| c.is_whitespace() || c == '=') {
            if let Some(script) = word.strip_prefix('/').filter(|w| w.starts_with(STATE)) {
                assert!(root.join(script).is_file(), "{rel} names {word}, which is missing");
            }
        }
        units.insert(rel, generation_free(&text));
    }
    (units, dangling)
}

pub fn generation_free(text: &str) -> String {
    let re = regex::Regex::new(r"/var/lib/netns-compile/[0-9]+/").unwrap();
    re.replace_all(text, "/var/lib/netns-compile/GEN/").into_owned()
}
