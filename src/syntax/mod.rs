//! The Nix syntax stage: source text → [`ast::Node`], or the first syntax error, located.
//!
//! Two parsers, one answer. [`parser`] reads rnix's tokens straight into the small tree the
//! evaluator lowers; it is several times faster than building rnix's lossless tree and
//! walking it. Where it declines (any syntax error, and a few rare forms), rnix's parser
//! runs: its first error is the diagnostic, and its tree, converted by [`from_rnix`], is the
//! answer. rnix always recovers from errors, so one mistake often yields a cascade of
//! follow-up errors; only the first is reported: it is the one the user has to fix.

pub mod ast;
mod from_rnix;
pub mod lexer;
mod parser;
mod strings;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use rnix::ParseError;
use rowan::TextRange;

/// The span of a rowan text range in `file`.
pub fn span_of(file: FileId, range: TextRange) -> Span {
    Span::new(file, usize::from(range.start()), usize::from(range.end()))
}

/// Brackets, interpolations and strings nested deeper than this are refused before parsing:
/// rnix's parser slows down quadratically on such input and no configuration needs it.
pub const MAX_NESTING: usize = 1000;

/// Parse `text` (the contents of `file`); the first syntax error becomes the diagnostic.
/// Text nested too deeply is refused first, as if the check ran before parsing: where the
/// fast parser's tokens show the text within the limit, it need not run.
pub fn parse(file: FileId, text: &str) -> Result<ast::Node<'_>, Box<Diagnostic>> {
    match parser::parse(file, text, MAX_NESTING) {
        Some(parsed) if parsed.nesting_checked => Ok(parsed.tree),
        fast => {
            check_nesting(file, text)?;
            match fast {
                Some(parsed) => Ok(parsed.tree),
                None => rnix_tree(file, text),
            }
        }
    }
}

/// The tree of the fast parser alone (`None` where it leaves the decision to rnix).
pub fn parse_fast(file: FileId, text: &str) -> Option<ast::Node<'_>> {
    check_nesting(file, text).ok()?;
    parser::parse(file, text, MAX_NESTING).map(|parsed| parsed.tree)
}

/// The tree as rnix's parser reads it: the reference the fast parser is held to.
pub fn parse_with_rnix(file: FileId, text: &str) -> Result<ast::Node<'_>, Box<Diagnostic>> {
    check_nesting(file, text)?;
    rnix_tree(file, text)
}

/// rnix's tree of a text whose nesting is checked.
fn rnix_tree(file: FileId, text: &str) -> Result<ast::Node<'_>, Box<Diagnostic>> {
    let parsed = rnix::Root::parse(text);
    match parsed.errors().first() {
        Some(first) => Err(Box::new(describe_error(file, text.len(), first))),
        None => from_rnix::convert(file, text, &parsed.tree()),
    }
}

/// How the fast parser's answer compares with rnix's on one text.
#[derive(Debug)]
pub enum Agreement {
    /// Both read the same tree, or both refuse the text.
    Same,
    /// The fast parser left the text to rnix (which accepts or refuses it).
    Declined { rnix_accepts: bool },
    /// A bug: the fast parser read a tree rnix does not (shown in the message).
    Different(String),
}

/// Compare the fast parser with rnix's on `text`: the check behind the differential tests
/// and the parser fuzz target.
pub fn compare_parsers(file: FileId, text: &str) -> Agreement {
    if let Some(difference) = lexer::difference_from_rnix(text) {
        return Agreement::Different(format!("the tokens differ: {difference}"));
    }
    let reference = parse_with_rnix(file, text);
    match (parse_fast(file, text), reference) {
        (None, reference) => Agreement::Declined {
            rnix_accepts: reference.is_ok(),
        },
        (Some(fast), Ok(reference)) if fast == reference => Agreement::Same,
        (Some(fast), Ok(reference)) => Agreement::Different(format!("fast parser:\n{fast:#?}\nrnix:\n{reference:#?}")),
        (Some(fast), Err(error)) => Agreement::Different(format!(
            "the fast parser accepts what rnix refuses ({}):\n{fast:#?}",
            error.message
        )),
    }
}

fn check_nesting(file: FileId, text: &str) -> Result<(), Box<Diagnostic>> {
    if let Some(offset) = find_too_deep_nesting(text, MAX_NESTING) {
        return Err(Box::new(
            Diagnostic::new(
                Code::LimitExceeded,
                format!("the expression is nested more than {MAX_NESTING} levels deep"),
            )
            .at(Span::new(file, offset, offset + 1), "too deep here"),
        ));
    }
    Ok(())
}

/// The offset where brackets (`( [ {`), interpolations and strings first nest deeper than
/// `limit`. A small lexer skips comments and string contents so that brackets inside them do
/// not count.
fn find_too_deep_nesting(text: &str, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    // b'"' and b'\'' are strings, b'$' an interpolation, anything else a bracket.
    let mut stack: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // Bytes that change nothing where they stand are skipped in a tight loop: the depth
        // changes only at a byte the match below looks at.
        let interesting = match stack.last() {
            Some(b'"') => &IN_STRING,
            Some(b'\'') => &IN_INDENTED_STRING,
            _ => &IN_CODE,
        };
        i += b[i..]
            .iter()
            .position(|&c| interesting[c as usize])
            .unwrap_or(b.len() - i);
        let Some(&c) = b.get(i) else { break };
        match stack.last() {
            Some(b'"') => match c {
                b'\\' => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'$' if at(i + 1) == b'{' => {
                    stack.push(b'$');
                    i += 2;
                }
                _ => i += 1,
            },
            Some(b'\'') => {
                if c == b'\'' && at(i + 1) == b'\'' {
                    match at(i + 2) {
                        b'\'' | b'$' => i += 3,
                        b'\\' => i += 4,
                        _ => {
                            stack.pop();
                            i += 2;
                        }
                    }
                } else if c == b'$' && at(i + 1) == b'{' {
                    stack.push(b'$');
                    i += 2;
                } else {
                    i += 1;
                }
            }
            _ => match c {
                b'"' => {
                    stack.push(b'"');
                    i += 1;
                }
                b'\'' if at(i + 1) == b'\'' => {
                    stack.push(b'\'');
                    i += 2;
                }
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if at(i + 1) == b'*' => {
                    i += 2;
                    while i < b.len() && !(b[i] == b'*' && at(i + 1) == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                b'$' if at(i + 1) == b'{' => {
                    stack.push(b'$');
                    i += 2;
                }
                b'(' | b'[' | b'{' => {
                    stack.push(c);
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    stack.pop();
                    i += 1;
                }
                _ => i += 1,
            },
        }
        if stack.len() > limit {
            return Some(i.saturating_sub(1).min(b.len().saturating_sub(1)));
        }
    }
    None
}

/// The bytes [`find_too_deep_nesting`] acts on: in a `"` string, in a `''` string, and
/// elsewhere.
static IN_STRING: [bool; 256] = byte_set(b"\\\"$");
static IN_INDENTED_STRING: [bool; 256] = byte_set(b"'$");
static IN_CODE: [bool; 256] = byte_set(b"\"'#/$([{)]}");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// One rnix parse error as a diagnostic. Errors without a range (end of file) point at the
/// last byte of the text, where the input stopped.
fn describe_error(file: FileId, text_len: usize, error: &ParseError) -> Diagnostic {
    let at_end = Span::new(file, text_len, text_len);
    let (span, message, label) = match error {
        ParseError::Unexpected(r) => (
            span_of(file, *r),
            "syntax error: unexpected input".to_string(),
            "not valid here",
        ),
        ParseError::UnexpectedExtra(r) => (
            span_of(file, *r),
            "syntax error: unexpected input after the end of the expression".to_string(),
            "the expression ended before this",
        ),
        ParseError::UnexpectedWanted(got, r, wanted) => (
            span_of(file, *r),
            format!(
                "syntax error: unexpected {}, expected {}",
                token_name(*got),
                token_list(wanted)
            ),
            "unexpected",
        ),
        ParseError::UnexpectedDoubleBind(r) => (
            span_of(file, *r),
            "syntax error: a pattern is bound twice (`@`)".to_string(),
            "second binding",
        ),
        ParseError::UnexpectedEOF => (
            at_end,
            "syntax error: unexpected end of file".to_string(),
            "input ends here",
        ),
        ParseError::UnexpectedEOFWanted(wanted) => (
            at_end,
            format!("syntax error: unexpected end of file, expected {}", token_list(wanted)),
            "input ends here",
        ),
        ParseError::DuplicatedArgs(r, name) => (
            span_of(file, *r),
            format!("duplicate formal function argument '{name}'"),
            "defined twice",
        ),
        ParseError::RecursionLimitExceeded => (
            at_end,
            "syntax error: the expression is nested too deeply (parser recursion limit)".to_string(),
            "",
        ),
        other => (at_end, format!("syntax error: {other}"), ""),
    };
    let code = if matches!(error, ParseError::RecursionLimitExceeded) {
        Code::LimitExceeded
    } else {
        Code::NixSyntax
    };
    Diagnostic::new(code, message).at(span, label)
}

/// A token kind as a user reads it (`TOKEN_SEMICOLON` → `';'`).
fn token_name(kind: rnix::SyntaxKind) -> String {
    use rnix::SyntaxKind::*;
    let text = match kind {
        TOKEN_SEMICOLON => "';'",
        TOKEN_COLON => "':'",
        TOKEN_COMMA => "','",
        TOKEN_DOT => "'.'",
        TOKEN_ASSIGN => "'='",
        TOKEN_L_BRACE => "'{'",
        TOKEN_R_BRACE => "'}'",
        TOKEN_L_BRACK => "'['",
        TOKEN_R_BRACK => "']'",
        TOKEN_L_PAREN => "'('",
        TOKEN_R_PAREN => "')'",
        TOKEN_IN => "'in'",
        TOKEN_THEN => "'then'",
        TOKEN_ELSE => "'else'",
        TOKEN_IDENT => "an identifier",
        TOKEN_STRING_END => "end of string",
        TOKEN_INTERPOL_END => "'}'",
        _ => {
            return format!("{kind:?}")
                .trim_start_matches("TOKEN_")
                .trim_start_matches("NODE_")
                .to_lowercase();
        }
    };
    text.to_string()
}

fn token_list(kinds: &[rnix::SyntaxKind]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| token_name(*k)).collect();
    match names.len() {
        0 => "more input".to_string(),
        1 => names[0].clone(),
        _ => format!("one of {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_of_a_cascade_is_reported() {
        let err = parse(FileId(0), "{ a = 1 b = 2; }").unwrap_err();
        assert_eq!(err.code, Code::NixSyntax);
        assert!(err.primary.is_some());
    }

    #[test]
    fn error_on_last_byte_points_at_the_end() {
        let err = parse(FileId(0), "{ a = 1;").unwrap_err();
        let span = err.primary.unwrap().span;
        assert!(span.end as usize <= "{ a = 1;".len());
    }

    #[test]
    fn nesting_inside_strings_and_comments_does_not_count() {
        let text = format!(
            "\"{}\" # {}\n''{}'' /* {} */ 1",
            "[".repeat(5000),
            "(".repeat(5000),
            "{".repeat(5000),
            "[".repeat(5000)
        );
        assert_eq!(find_too_deep_nesting(&text, 10), None);
        assert!(find_too_deep_nesting(&"[".repeat(20), 10).is_some());
        assert_eq!(find_too_deep_nesting("\"${\"${\"a\"}\"}\"", 10), None);
    }

    #[test]
    fn nesting_is_found_where_it_passes_the_limit() {
        // Interpolations in both kinds of string count; escapes (`\"`, `''$`, `'''`) and
        // brackets in strings and comments do not.
        let at = |text: &str| find_too_deep_nesting(text, 3);
        assert_eq!(at("x [ y [ z [ 1 ( 2 ) ] ] ]"), Some(14));
        assert_eq!(at(r#"[ "a ${ [ 1 ] }" ]"#), Some(8));
        assert_eq!(at("[ ''a ${ [ 1 ] }'' ]"), Some(9));
        assert_eq!(at(r#"[ "\" [ [ [ " ]"#), None);
        assert_eq!(at("[ ''a ''${ [ [ [ '''' [ [ '' ]"), None);
        assert_eq!(at("[ # [ [ [\n /* [ [ [ */ [ [ [ ]"), Some(27));
        assert_eq!(at("{ a = { b = { c = { }; }; }; }"), Some(18));
    }

    /// The fast parser skips the nesting check where its tokens show the text within the
    /// limit: on every text it reads whole and calls checked, the check must agree at every
    /// limit. The texts are random nestings of every form that opens a level, and of the
    /// forms the check reads otherwise.
    #[test]
    fn nesting_counted_by_the_tokens_is_the_checks() {
        fn expr(seed: &mut u64, depth: u32, out: &mut String) {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let pick = (*seed >> 33) % if depth > 6 { 7 } else { 20 };
            let mut inner = |out: &mut String| expr(seed, depth + 1, out);
            match pick {
                0 => out.push('1'),
                1 => out.push_str("a'"),
                2 => out.push_str("a''"),
                3 => out.push_str("http://x.org/a''b"),
                4 => out.push_str("\"$${ [ \""),
                5 => out.push_str("''a $${ '''' ''${ \\ ''"),
                6 => out.push_str("\"\\${ [ \""),
                7 | 8 => {
                    out.push_str("[ ");
                    inner(out);
                    out.push(' ');
                    inner(out);
                    out.push_str(" ]");
                }
                9 | 10 => {
                    out.push_str("{ x = ");
                    inner(out);
                    out.push_str("; ${\"y\"} = ");
                    inner(out);
                    out.push_str("; }");
                }
                11 => {
                    out.push('(');
                    inner(out);
                    out.push(')');
                }
                12 | 13 => {
                    out.push_str("\"s ( ${");
                    inner(out);
                    out.push_str("} [\"");
                }
                14 | 15 => {
                    out.push_str("''\n  s { ${");
                    inner(out);
                    out.push_str("} \" ''");
                }
                16 => {
                    out.push_str("# [ { (\n");
                    inner(out);
                }
                17 => {
                    out.push_str("/* [ \" */ ");
                    inner(out);
                }
                18 => {
                    out.push_str("./a/${");
                    inner(out);
                    out.push('}');
                }
                _ => {
                    out.push_str("x: ");
                    inner(out);
                }
            }
        }
        let mut seed = 7;
        let (mut checked, mut differing) = (0, 0);
        for _ in 0..3000 {
            let mut text = String::new();
            expr(&mut seed, 0, &mut text);
            let whole = parser::parse(FileId(0), &text, MAX_NESTING).expect(&text);
            if !whole.nesting_checked {
                differing += 1;
                continue;
            }
            checked += 1;
            for limit in 0..8 {
                let check_passes = find_too_deep_nesting(&text, limit).is_none();
                let fast = parser::parse(FileId(0), &text, limit);
                assert_eq!(fast.is_some(), check_passes, "limit {limit}: {text}");
            }
        }
        assert!(
            checked > 500 && differing > 500,
            "{checked} checked, {differing} differing"
        );
        // Where the check reads a form otherwise, it can refuse what the tokens nest within
        // the limit: the check runs there.
        for text in [
            "[ a'' \"'' [ [ [ \" ]",
            "[ http://x/'' \"'' [ [ [ \" ]",
            "[ \"$${ [ [ [ \" ]",
        ] {
            assert!(find_too_deep_nesting(text, 3).is_some(), "{text}");
            assert!(
                !parser::parse(FileId(0), text, 3).is_some_and(|p| p.nesting_checked),
                "{text}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_a_limit() {
        let text = "[".repeat(100_000);
        let err = parse(FileId(0), &text).unwrap_err();
        assert!(err.code == Code::LimitExceeded || err.code == Code::NixSyntax);
    }
}
