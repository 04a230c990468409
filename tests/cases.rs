//! Our own golden cases: `fixtures/cases/<case>/input.json` built with `--prefix /netns`
//! must give exactly the tree in `fixtures/cases/<case>/expected/` (file contents and link
//! targets). Rewrite the expectations with `UPDATE_EXPECT=1 cargo test --test cases`.

mod common;

use common::{fixtures, run, tree};
use std::fs;
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    for (rel, (kind, bytes, _)) in tree(from) {
        let dest = to.join(&rel);
        match kind.as_str() {
            "dir" => fs::create_dir_all(&dest).unwrap(),
            "link" => {
                fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(String::from_utf8(bytes).unwrap(), &dest).unwrap();
            }
            _ => {
                fs::create_dir_all(dest.parent().unwrap()).unwrap();
                fs::write(&dest, bytes).unwrap();
            }
        }
    }
}

/// Contents and link targets; modes are not kept by git and are checked separately.
fn comparable(root: &Path) -> Vec<(String, String, Vec<u8>)> {
    tree(root)
        .into_iter()
        .filter(|(_, (kind, _, _))| kind != "dir")
        .map(|(rel, (kind, bytes, _))| (rel, kind, bytes))
        .collect()
}

#[test]
fn cases_give_their_expected_trees() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut dirs: Vec<_> = fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let mut failures = Vec::new();
    for dir in dirs {
        let work = tempfile::tempdir().unwrap();
        let out = work.path().join("out");
        let input = dir.join("input.json");
        let r = run(&[
            "build",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--prefix",
            "/netns",
        ]);
        assert_eq!(r.code, 0, "{}: {}", dir.display(), r.stderr);
        let expected = dir.join("expected");
        if update {
            copy_tree(&out, &expected);
            continue;
        }
        for (rel, (kind, _, mode)) in tree(&out) {
            let is_script = rel.starts_with("libexec/") && kind == "file";
            if is_script && mode != 0o555 {
                failures.push(format!("{}: {rel} has mode {mode:o}, want 555", dir.display()));
            }
        }
        let (got, want) = (comparable(&out), comparable(&expected));
        if got != want {
            let names = |v: &[(String, String, Vec<u8>)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
            let differing: Vec<String> = got.iter().filter(|g| !want.contains(g)).map(|g| g.0.clone()).collect();
            failures.push(format!(
                "{}: output differs from expected/ (files {:?} vs {:?}; differing: {differing:?}); \
                 rerun with UPDATE_EXPECT=1 if the change is intended",
                dir.display(),
                names(&got),
                names(&want)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
