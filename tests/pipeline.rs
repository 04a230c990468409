//! The pipeline as docs/architecture.md draws it, held against the code: a stage imports only
//! the stages drawn below it. The drawing (the `text` block of docs/architecture.md) is the
//! one place the order is stated; this test reads it, reads every `crate::…` path in `src/`,
//! and fails on an import that runs up or across the drawing, unless it is listed in `KNOWN`
//! with the issue that removes it. A listed import that is gone fails too, so the list only
//! shrinks. It prints the house: lines and imports per stage. Inside `eval`, it holds the parts
//! to the file that defines an item, never the front door `eval/mod.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Imports that run against the drawing today: (from, to, the issue that removes it, why).
const KNOWN: &[(&str, &str, &str)] = &[];

/// What the prose adds to the drawing, each in a sentence docs/architecture.md says (checked
/// verbatim, so that the doc and this test change together): these stages never import those.
const NOT_BELOW: &[(&[&str], &[&str], &str)] = &[
    (&["module"], &["eval"], "`module` does not use `eval`"),
    (
        &["model", "graph", "check", "audit", "emit", "output", "install"],
        &["frontend", "eval", "syntax"],
        "From `model` up, a stage sees the input only as the `ResolvedConfig`: only `lib.rs` and `cli.rs` use `frontend`, `eval` or `syntax`",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The drawing's floors, top first: each a list of the stage names drawn on it.
fn floors(doc: &str) -> Vec<Vec<String>> {
    let block = doc
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md draws the pipeline in a ```text block");
    let mut floors = Vec::new();
    let mut in_ground = false;
    for line in block.lines() {
        if line.starts_with("ground floor") {
            in_ground = true;
            floors.push(Vec::new());
        }
        if in_ground {
            // `source.rs (files, spans), diagnostic/ (…)`: every name before a `(`.
            let names = line
                .split(" (")
                .filter_map(|part| stage_name(part.rsplit([' ', ',']).next()?));
            floors.last_mut().unwrap().extend(names);
            continue;
        }
        if line.starts_with(' ') || line.trim().is_empty() {
            continue;
        }
        let names: Vec<String> = line.split_whitespace().map_while(stage_name).collect();
        assert!(!names.is_empty(), "a floor of the drawing names no stage: {line:?}");
        floors.push(names);
    }
    assert!(in_ground, "the drawing has no ground floor");
    floors
}

/// `emit/` → `emit`, `lib.rs` → `lib`; anything else is not a stage's name.
fn stage_name(word: &str) -> Option<String> {
    let name = word.strip_suffix('/').or_else(|| word.strip_suffix(".rs"))?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    ok.then(|| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The stage a file of `src/` belongs to: its folder, or its own name at the top.
fn stage_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The crate's top-level names a file's code uses through `crate::` (comments skipped).
fn crate_imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: the first name of each item (on this line).
                let group = group.split('}').next().unwrap();
                found.extend(group.split(',').filter_map(|item| first_ident(item.trim())));
            } else {
                found.extend(first_ident(rest));
            }
        }
    }
    found
}

fn first_ident(s: &str) -> Option<String> {
    let ident: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!ident.is_empty()).then_some(ident)
}

#[test]
fn no_import_runs_up_the_drawing() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let doc_flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    for (_, _, sentence) in NOT_BELOW {
        assert!(
            doc_flat.contains(sentence),
            "docs/architecture.md no longer says {sentence:?}: change this test with it"
        );
    }
    let floors = floors(&doc);
    let top = floors.len();
    let floor_of: BTreeMap<String, usize> = floors
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (n.clone(), top - i)))
        .collect();

    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // stage → (lines, imported stage → files importing it)
    let mut house: BTreeMap<String, (usize, BTreeMap<String, BTreeSet<String>>)> = BTreeMap::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let stage = stage_of(rel);
        if stage == "bin" {
            continue; // the binary uses the library by its name, as any user would
        }
        assert!(
            floor_of.contains_key(&stage),
            "src/{} belongs to `{stage}`, which docs/architecture.md does not draw",
            rel.display()
        );
        let text = std::fs::read_to_string(path).unwrap();
        let entry = house.entry(stage.clone()).or_default();
        entry.0 += text.lines().count();
        for to in crate_imports(&text) {
            if to != stage && floor_of.contains_key(&to) {
                entry.1.entry(to).or_default().insert(rel.display().to_string());
            }
        }
    }

    println!("the house: stage (floor), lines, and the stages it imports (files that do)");
    for (stage, (lines, imports)) in &house {
        let list: Vec<String> = imports.iter().map(|(to, f)| format!("{to} ({})", f.len())).collect();
        println!(
            "  {stage:<10} floor {:>2}  {lines:>6} lines  {}",
            floor_of[stage],
            list.join(", ")
        );
    }

    let mut upward = BTreeMap::new();
    for (stage, (_, imports)) in &house {
        for (to, files) in imports {
            // The ground floor is one floor whose files use each other (source spans).
            let up = floor_of[to] > floor_of[stage] || (floor_of[to] == floor_of[stage] && floor_of[to] > 1);
            let barred = NOT_BELOW
                .iter()
                .any(|(from, not, _)| from.contains(&stage.as_str()) && not.contains(&to.as_str()));
            let against = up || barred;
            if against {
                upward.insert((stage.clone(), to.clone()), files.clone());
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN.iter().map(|(f, t, _)| (f.to_string(), t.to_string())).collect();
    let new: Vec<String> = upward
        .iter()
        .filter(|(pair, _)| !known.contains(*pair))
        .map(|((from, to), files)| {
            format!(
                "{from} imports {to} ({})",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let gone: Vec<String> = KNOWN
        .iter()
        .filter(|(f, t, _)| !upward.contains_key(&(f.to_string(), t.to_string())))
        .map(|(f, t, why)| format!("{f} → {t} ({why})"))
        .collect();
    for (f, t, why) in KNOWN {
        println!("known, against the drawing: {f} → {t}: {why}");
    }
    assert!(
        new.is_empty(),
        "imports against docs/architecture.md's drawing (a stage imports only those below it):\n  {}",
        new.join("\n  ")
    );
    assert!(
        gone.is_empty(),
        "listed as known but gone: take them off KNOWN in tests/pipeline.rs:\n  {}",
        gone.join("\n  ")
    );
}

#[test]
fn the_drawing_is_read_as_drawn() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let floors = floors(&doc);
    let names: Vec<&str> = floors.iter().flatten().map(String::as_str).collect();
    for stage in [
        "cli",
        "lib",
        "emit",
        "model",
        "eval",
        "syntax",
        "source",
        "diagnostic",
        "node",
    ] {
        assert!(names.contains(&stage), "the drawing as read lacks {stage}: {floors:?}");
    }
    let at = |s: &str| floors.iter().position(|f| f.iter().any(|n| n == s)).unwrap();
    assert!(at("cli") < at("emit") && at("emit") < at("model") && at("model") < at("syntax"));
    assert_eq!(at("source"), floors.len() - 1, "the ground floor is the last");
    // A reader that stops at the first floor would pass the first test vacuously.
    assert_eq!(
        crate_imports("use crate::{a, b::c};\nx(crate::d::e) // crate::f\n").len(),
        3
    );
}

/// The names `src/eval/mod.rs` re-exports (`pub use part::{A, b};`), and any item it defines
/// itself (it should define none: it only names the parts and re-exports).
fn front_door(text: &str) -> (BTreeSet<String>, Vec<String>) {
    let mut names = BTreeSet::new();
    let mut defined = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        if let Some(used) = line.strip_prefix("pub use ") {
            let items = used
                .split_once('{')
                .map_or(used.rsplit("::").next().unwrap(), |(_, g)| g);
            names.extend(items.split(',').filter_map(|item| first_ident(item.trim())));
        } else if !line.is_empty() && !line.starts_with("mod ") && !line.starts_with("pub mod ") {
            defined.push(line.to_string());
        }
    }
    (names, defined)
}

/// The front door's names a file of `src/eval/` reaches through `prefix` (`crate::eval::`, or
/// `super::` where its parent is `eval`): `prefix::Name` or `prefix::{…, Name, …}`, a name
/// followed by `::` being a part (`crate::eval::error::error`). Unit tests are not read.
fn through_front_door(text: &str, prefix: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code = text.split("#[cfg(test)]").next().unwrap();
    for line in code.lines() {
        let code = line.split("//").next().unwrap();
        for (i, _) in code.match_indices(prefix) {
            if i > 0 && code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[i + prefix.len()..];
            let items: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap().split(',').map(str::trim).collect(),
                None => vec![rest],
            };
            for item in items {
                let Some(name) = first_ident(item) else { continue };
                let is_part = item[name.len()..].starts_with("::");
                if !is_part && names.contains(&name) {
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// `eval/mod.rs` is a front door for the stages above (docs/architecture.md's eval row): it
/// defines nothing, and no part of the evaluator imports it, each naming the file
/// an item is defined in, so that the parts depend on each other and never on the door.
#[test]
fn no_part_of_eval_imports_its_front_door() {
    let eval = root().join("src/eval");
    let (names, defined) = front_door(&std::fs::read_to_string(eval.join("mod.rs")).unwrap());
    assert!(names.contains("Evaluator") && names.contains("error"), "{names:?}");
    assert!(defined.is_empty(), "src/eval/mod.rs defines items: {defined:?}");
    let mut files = Vec::new();
    rust_files(&eval, &mut files);
    let mut through = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&eval).unwrap();
        if rel == Path::new("mod.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let parent_is_eval = rel.components().count() == 1 || rel.ends_with("mod.rs");
        let mut found = through_front_door(&text, "crate::eval::", &names);
        if parent_is_eval {
            found.extend(through_front_door(&text, "super::", &names));
        }
        if !found.is_empty() {
            through.push(format!("{}: {found:?}", rel.display()));
        }
    }
    assert!(
        through.is_empty(),
        "parts of eval/ that import from its front door instead of the file that defines the item:\n{}",
        through.join("\n")
    );
    // The reader sees both forms, and tells a part from an item.
    let probe = "use super::{Value, error::EvalResult};\nx(crate::eval::error::error(s));\ny(crate::eval::error(s));";
    assert_eq!(through_front_door(probe, "super::", &names).len(), 1);
    assert_eq!(through_front_door(probe, "crate::eval::", &names).len(), 1);
}
