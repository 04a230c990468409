//! The fast parser against rnix's: wherever the fast parser reads a tree, it must be the tree
//! rnix reads (spans, string normalisation and all); wherever rnix refuses a text, the fast
//! parser must refuse it too. Checked on hand-picked tricky snippets, on every `.nix` file of
//! the repository, and on NixOS/nix's language tests when `NIX_LANG_TESTS_DIR` points at them.

mod common;

use netns_compile::source::FileId;
use netns_compile::syntax::{Agreement, compare_parsers};
use std::path::{Path, PathBuf};

/// Forms the fast parser reads itself: each must give rnix's tree exactly.
const READ_BY_FAST_PARSER: &[&str] = &[
    "1 + 2 * 3 - 4 / 5",
    "a - -b",
    "- - 1",
    "3 - -2",
    "f -1",
    "f - 1",
    "a-1",
    "a - 1",
    "!a && b || c -> d -> e",
    "!a == b",
    "!a // b",
    "!!a",
    "a // b // c",
    "a ++ b ++ c ++ d",
    "a ? b.c ? d",
    "-a ? b",
    "!a ? b",
    "a ++ b ? c",
    "a < b == c < d",
    "a == b && c != d",
    "a <= b || c >= d",
    "a -> b -> c || d",
    "f x y",
    "f x: x",
    "x: x x",
    "[ a b (c d) ]",
    "[ ]",
    "[ x: x ]",
    "x: y: x.y or z",
    "x.y.z or (1 + 2)",
    // Words and dots of attribute paths, and strings with and without escapes, read by the
    // lexer's quick paths.
    r#"{ a.b.c = 1; a.d = "x\ty"; e = "plain"; f-g.h_i = a.b; }.a"#,
    "[ a.b c.d 1 2 ]",
    "a.b.c or d.e",
    "{ a, b ? 1, ... }@args: a",
    "args@{ a }: a",
    "args @ { a, ... }: a",
    "{ }: 1",
    "{ ... }: 1",
    "{ a ? b }: a",
    "{a,b}:a",
    "{ a, }: a",
    "{ a, b }: a: b",
    "f ({ a }: a)",
    "{}",
    "{ a = 1; }",
    "{ a.b.c = 1; a.d = 2; }",
    "{ a = { b = 1; }; a.c = 2; }",
    "{ a = 1; a = 2; }",
    "rec { a = b; b = 1; }",
    "let a = 1; in a",
    "let in 1",
    "let a = 1; b = a; in [ a b ]",
    "let x = 1; in\nx",
    "with a; b",
    "with a; with b; c",
    "if a then b else c",
    "if a then if b then c else d else e",
    "assert a; b",
    "\"a${b}c\"",
    "\"\"",
    "\"${a}${b}\"",
    "\"\\n\\t\\r\\\\ \\$ $$ \\${x} ${x}\"",
    "\"é ü — ✓\"",
    "''\n  a\n    b\n''",
    "''  x ''",
    "''a''$b''\\n'''c''",
    "''${a}''",
    "'' \n''",
    "''''",
    "''\n  ${a}\n  b\n  ''",
    "''\n\ta\n''",
    "''\n    a\n  ${b} c\n      d\n  ''",
    "''\n\n  a\n\n  b\n''",
    "''  \n  x\n  ''",
    "''x\n  y''",
    "''\n  a ''${b}\n''",
    "./a/b",
    "./a/${b}/c",
    "./a${b}",
    "/a/${b}",
    "~/x",
    "<nixpkgs>",
    "<nixpkgs/lib>",
    "/abs/path",
    "http://example.com/x?y=1",
    "1.5",
    "1e3",
    "1.5e-3",
    ".5",
    "01",
    "9223372036854775808",
    "__curPos",
    "x.__curPos",
    "{ __curPos = 1; }.__curPos",
    "a.\"b c\".${d}",
    "a.${\"b\"}",
    "{ \"${a}\" = 1; }",
    "{ ${a} = 1; }",
    "{ \"a\" = 1; \"b${c}\" = 2; }",
    "{ inherit a b; inherit (c) d \"e\"; }",
    "{ inherit; }",
    "{ or = 1; }.or",
    "{ a.or.b = 1; }",
    "(a).b",
    "(a) + (b)",
    "((a))",
    "{ a = x: x; }",
    "a.b-c'd",
    "# comment\n1 /* c */ + 2",
    "/* a */ { /* b */ a /* c */ = /* d */ 1 /* e */; /* f */ } /* g */",
    "f { a = 1; } [ 1 ] \"s\" ./p 1 2.5",
    "f rec { a = 1; }",
    "import ./x.nix { inherit lib; }",
    "{ config, lib, pkgs, ... }: { services.netns.namespaces.a = { }; }",
    "let f = { a ? 1, b ? a }: a + b; in f { }",
    "builtins.map (x: x * 2) [ 1 2 3 ]",
];

/// Forms the fast parser leaves to rnix: rare (`let { }`, `or` as a variable, pipes) or wrong.
const LEFT_TO_RNIX: &[&str] = &[
    "let { body = 1; }",
    "a or b",
    "f a or b",
    "a |> b",
    "a <| b",
    "(1 ]",
    "a == b == c",
    "a < b < c",
    "- !a",
    "a + !b",
    "a * !b",
    "1 +",
    "{ a = 1",
    "\"abc",
    "''abc",
    "${a}",
    "[1 2 3",
    "{ a, ... , b }: a",
    "a@{ b }@c: b",
    "{ if = 1; }",
    "./a/",
    "./a ${b}",
    "",
    "1 2 )",
    "let a = 1 in a",
    "x: ",
    "{ a ? }: a",
];

/// Texts whose tokens are easy to get wrong: paths against operators and URIs, numbers,
/// strings and their escapes, comments, Unicode, and errors.
const TOKENS: &[&str] = &[
    "a/b",
    "a//b",
    "a/ b",
    "a /b",
    "a/*c*/b",
    "a/",
    "/",
    "//",
    "/*",
    "/* x",
    "/**/",
    "/***/1",
    "x:y",
    "x_y:z",
    "x:_",
    "http://a.b/c?d=e&f",
    "a:",
    "a: b",
    "<a/b>",
    "<<a>",
    "<a",
    "<>",
    "<|",
    "|>",
    "~x",
    "~/a/${b}c",
    "~",
    "./a//b",
    "./a/",
    "./a.b/c-d+e_f",
    "/a/${b}/${c}d",
    "a/${b}",
    "./${a}",
    "1.",
    "0.5e",
    "1e+5",
    "1E-5",
    "00",
    "0.0",
    "01.5",
    ".5e3",
    "1.2.3",
    "1..2",
    "...",
    "..",
    "\"\u{a0}\"",
    "a\u{a0}b",
    "a\u{2028}b",
    "a\u{b}b",
    "a\tb\rc\u{c}d",
    "\u{feff}1",
    "$x",
    "${",
    "$${x}",
    "'a",
    "''a'''",
    "''a''",
    "''a'''b''",
    r"''a''\nb''",
    "''a''$b''",
    "''$${a}''",
    r#""a\"b""#,
    r#""a\"#,
    r#""$""#,
    r#""$$""#,
    r#""${a}""#,
    r#""${"${a}"}""#,
    "{ a = { b = 1; }; }",
    "${ { } }",
    r#""${ { a = 1; }.a }""#,
    "é",
    "ident-with'quote",
    "a.b.c",
    "a?b",
    "a->b",
    "a!=b",
    "!a",
    "a==b",
    "a<=b",
    "a>=b",
    "a&&b",
    "a||b",
    "a++b",
    "a+b",
    "a-b",
    "a*b",
    "#c\n1",
    "#c",
    "# é\n",
    "1 #",
    "\t\n\r 1",
    // The lexer's quick paths: words, integers and dots whose prefix decides otherwise.
    "a.b/c",
    "a.b.c/d",
    "a.b:c",
    "a.b: c",
    "a_b:c",
    "a:b",
    "a: b.c",
    "a.b.c = 1;",
    "a.b'c",
    "a'.b",
    "a.5",
    "a.b.5",
    "a..b",
    "a...",
    "a.",
    "a.\u{a0}b",
    "a+b/c",
    "a+b.c",
    "a-b.c-d",
    "1/2",
    "1/ 2",
    "1.5",
    "1a",
    "1.a",
    "1_a",
    "1:2",
    "0/a",
    "a.b>c",
    "<a.b>",
    "x.y.${z}",
    "{a.b=1;}.a.b",
    " \u{a0} a",
    "a\u{85}.b",
    "a==b.c",
    r#""a\\b""#,
    r#""a\nb" "c""#,
    "(a.b)",
    "[a.b c.d]",
];

#[test]
fn same_tokens_as_rnix() {
    for text in TOKENS {
        if let Some(difference) = netns_compile::syntax::lexer::difference_from_rnix(text) {
            panic!("{text:?}: {difference}");
        }
    }
}

fn compare(text: &str) -> Agreement {
    // A big stack, as the evaluator has: both parsers recurse with the nesting of the text.
    let text = text.to_string();
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || compare_parsers(FileId(0), &text))
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn the_fast_parser_reads_the_common_forms_as_rnix_does() {
    for text in READ_BY_FAST_PARSER {
        match compare(text) {
            Agreement::Same => {}
            Agreement::Declined { rnix_accepts } => {
                panic!("the fast parser declined {text:?} (rnix accepts it: {rnix_accepts})")
            }
            Agreement::Different(why) => panic!("{text:?}: {why}"),
        }
    }
}

#[test]
fn the_fast_parser_leaves_rare_and_wrong_forms_to_rnix() {
    for text in LEFT_TO_RNIX {
        match compare(text) {
            Agreement::Declined { .. } => {}
            Agreement::Same => panic!("the fast parser read {text:?}"),
            Agreement::Different(why) => panic!("{text:?}: {why}"),
        }
    }
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

/// Forms a file may use that the fast parser leaves to rnix.
fn uses_a_form_left_to_rnix(text: &str) -> bool {
    text.contains("let {") || text.contains(" or ") || text.contains("|>") || text.contains("<|")
}

fn check_files(files: &[PathBuf]) -> (usize, usize, usize) {
    let (mut same, mut declined, mut refused) = (0, 0, 0);
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        match compare(&text) {
            Agreement::Same => same += 1,
            Agreement::Declined { rnix_accepts: false } => refused += 1,
            Agreement::Declined { rnix_accepts: true } => {
                declined += 1;
                if !uses_a_form_left_to_rnix(&text) {
                    problems.push(format!("{}: declined by the fast parser, read by rnix", file.display()));
                }
            }
            Agreement::Different(why) => problems.push(format!("{}: {why}", file.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    (same, declined, refused)
}

/// Check `files` and print the counts; how many the fast parser read.
fn check_and_report(what: &str, files: &[PathBuf]) -> usize {
    let (same, declined, refused) = check_files(files);
    println!(
        "parser, {what}: {} files: {same} read alike, {declined} left to rnix, {refused} refused by both",
        files.len()
    );
    same
}

#[test]
fn every_nix_file_of_the_repository_parses_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures", "nix", "docs", "bench"] {
        nix_files(&root.join(dir), &mut files);
    }
    files.push(root.join("flake.nix"));
    let same = check_and_report("repository", &files);
    assert!(same > 300, "only {same} files read by the fast parser");
}

#[test]
fn the_upstream_language_tests_parse_alike() {
    let test = "the_upstream_language_tests_parse_alike";
    let Some(dir) = common::snapshot_or_skip(test, "NIX_LANG_TESTS_DIR", common::NIX_LANG_TESTS) else {
        return;
    };
    let mut files = Vec::new();
    nix_files(&dir, &mut files);
    let same = check_and_report("upstream", &files);
    assert!(same > 100, "only {same} upstream files read by the fast parser");
}

/// Both nixpkgs libs at hand, the 2022-11 one with its tests (`NETNS_NIXPKGS_LIB` or
/// `NIXPKGS_LIB_DIR` name a single other one).
#[test]
fn nixpkgs_lib_parses_alike() {
    let test = "nixpkgs_lib_parses_alike";
    let dirs: Vec<PathBuf> = match std::env::var_os("NETNS_NIXPKGS_LIB").or_else(|| std::env::var_os("NIXPKGS_LIB_DIR"))
    {
        Some(dir) => vec![PathBuf::from(dir)],
        None => [common::NIXPKGS_LIB_2022_11, common::NIXPKGS_LIB_CURRENT]
            .iter()
            .filter_map(|rel| common::snapshot_or_skip(test, "NETNS_NIXPKGS_LIB", rel))
            .collect(),
    };
    for dir in dirs {
        let mut files = Vec::new();
        nix_files(&dir, &mut files);
        let same = check_and_report(&format!("nixpkgs lib {}", dir.display()), &files);
        assert!(
            same > 50,
            "only {same} files of {} read by the fast parser",
            dir.display()
        );
    }
}
