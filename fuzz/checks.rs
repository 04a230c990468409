//! The properties the fuzz targets check, shared with `tests/properties.rs`, which replays
//! every input of `fixtures/fuzz-regressions/` through them.

use netns_compile::diagnostic::{Code, Diagnostics};
use netns_compile::emit::OutEntry;
use netns_compile::frontend::json::{MAX_DEPTH, parse_json};
use netns_compile::input::{Input, ReadOptions};
use netns_compile::prefix::Prefix;
use netns_compile::source::SourceMap;
use netns_compile::{Compiled, Failure, Options, compile};

/// The JSON frontend never panics, and agrees with serde_json on what is JSON (within the
/// nesting both accept).
pub fn check_json_frontend(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.json".to_string(), None, text);
    let ours = parse_json(text, file);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(_), Err(e)) if !e.to_string().contains("recursion limit") => {
            panic!("accepted what serde_json rejects ({e})")
        }
        // Refused on purpose, where serde_json accepts: a duplicated key (Nix never prints one;
        // serde_json keeps the last), an integer outside Nix's 64-bit range.
        (Err(d), Ok(_))
            if depth(text) <= MAX_DEPTH
                && !d.message.contains("duplicate key")
                && !d.message.contains("integer out of range") =>
        {
            panic!("rejected what serde_json accepts: {} {}", d.code.as_str(), d.message)
        }
        (Err(d), _) => assert!(
            matches!(d.code, Code::JsonSyntax | Code::LimitExceeded),
            "a syntax error with code {}",
            d.code.as_str()
        ),
        _ => {}
    }
}

/// The whole pure pipeline never panics; a successful compile is deterministic and gives a
/// tree of relative, clean paths; its units hold no control character but newlines unless
/// the input's strings do (values are copied into units as NixOS copies them).
pub fn check_compile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(first) = compile_once(text) else { return };
    assert_eq!(
        Some(&first.tree),
        compile_once(text).as_ref().map(|c| &c.tree),
        "not deterministic"
    );
    let input_has_control = serde_json::from_str::<serde_json::Value>(text).map_or(true, |v| has_control(&v));
    for (path, entry) in &first.tree.entries {
        assert!(
            !path.is_empty() && path.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
            "bad path {path:?}"
        );
        assert!(
            !path.contains(|c: char| c.is_control()),
            "control character in {path:?}"
        );
        if let OutEntry::File { content, .. } = entry
            && path.starts_with("lib/systemd/system/")
            && !input_has_control
        {
            let text = std::str::from_utf8(content).expect("units are UTF-8");
            assert!(
                !text.contains(|c: char| c.is_control() && c != '\n'),
                "control character in {path}"
            );
        }
    }
}

/// The library's one entry point on JSON text, as a program embedding it calls it: `None`
/// when the text is not JSON or the configuration has errors (which it must say).
fn compile_once(text: &str) -> Option<Compiled> {
    let input = Input::Json {
        name: "fuzz.json".to_string(),
        text: text.to_string(),
    };
    let options = Options {
        read: ReadOptions::default(),
        prefix: Prefix::new("/p").expect("a prefix"),
    };
    let (mut sources, mut diags) = (SourceMap::new(), Diagnostics::new());
    match compile(&input, &options, &mut sources, &mut diags) {
        Ok(compiled) => {
            assert!(!diags.has_errors(), "output despite errors");
            Some(compiled)
        }
        Err(Failure::Unreadable) => None,
        Err(Failure::Invalid) => {
            assert!(diags.has_errors(), "no output and no error");
            None
        }
        Err(Failure::Usage(m)) => panic!("JSON text is a usage problem: {m}"),
    }
}

/// Whether a key or string of the value holds a control character other than a newline.
fn has_control(v: &serde_json::Value) -> bool {
    let bad = |s: &str| s.contains(|c: char| c.is_control() && c != '\n');
    match v {
        serde_json::Value::String(s) => bad(s),
        serde_json::Value::Array(items) => items.iter().any(has_control),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| bad(k) || has_control(v)),
        _ => false,
    }
}

/// Deepest nesting of `[`/`{` outside strings.
fn depth(text: &str) -> usize {
    let (mut d, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for c in text.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (true, ..) => {}
            (false, _, '"') => in_str = true,
            (false, _, '[' | '{') => {
                d += 1;
                max = max.max(d);
            }
            (false, _, ']' | '}') => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The Nix parsers and evaluator never panic and never overflow the stack: any text gives a
/// JSON value or located diagnostics. Evaluation is bounded by a small step limit so that an
/// endless loop is a quick, clear error here too. And the fast parser reads no text
/// differently from rnix's parser (`syntax::compare_parsers`).
pub fn check_nix_eval(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let owned = text.to_string();
    let agreement = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || netns_compile::syntax::compare_parsers(netns_compile::source::FileId(0), &owned))
        .expect("a parser thread")
        .join()
        .expect("the parsers do not panic");
    if let netns_compile::syntax::Agreement::Different(why) = agreement {
        panic!("the parsers disagree on {text:?}: {why}");
    }
    let options = netns_compile::eval::EvalOptions::default().with_max_steps(200_000);
    let mut sources = SourceMap::new();
    match netns_compile::eval::eval_source_json("fuzz.nix", text, &options, &mut sources) {
        Ok(json) => assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "not JSON: {json}"
        ),
        Err(diags) => {
            assert!(diags.has_errors(), "a failure without an error");
            for d in diags.errors() {
                assert!(
                    matches!(
                        d.code,
                        Code::NixSyntax | Code::NixEval | Code::LimitExceeded | Code::InvalidUtf8
                    ),
                    "an evaluation error with code {}",
                    d.code.as_str()
                );
            }
        }
    }
}
