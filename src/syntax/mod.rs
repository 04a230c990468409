//! The Nix syntax stage: rnix parses, this module turns its errors into located diagnostics.
//!
//! rnix always builds a tree and recovers from errors, so one mistake often yields a cascade
//! of follow-up errors. Only the first one is reported: it is the one the user has to fix.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use rnix::ParseError;
use rowan::TextRange;

/// The span of a rowan text range in `file`.
pub fn span_of(file: FileId, range: TextRange) -> Span {
    Span::new(file, usize::from(range.start()), usize::from(range.end()))
}

/// Parse `text` (the contents of `file`); the first syntax error becomes the diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<rnix::Root, Box<Diagnostic>> {
    let parsed = rnix::Root::parse(text);
    match parsed.errors().first() {
        Some(first) => Err(Box::new(describe_error(file, text.len(), first))),
        None => Ok(parsed.tree()),
    }
}

/// One rnix parse error as a diagnostic. Errors without a range (end of file) point at the
/// last byte of the text, where the input stopped.
fn describe_error(file: FileId, text_len: usize, error: &ParseError) -> Diagnostic {
    let at_end = Span::new(file, text_len, text_len);
    let (span, message, label) = match error {
        ParseError::Unexpected(r) => (span_of(file, *r), "syntax error: unexpected input".to_string(), "not valid here"),
        ParseError::UnexpectedExtra(r) => (
            span_of(file, *r),
            "syntax error: unexpected input after the end of the expression".to_string(),
            "the expression ended before this",
        ),
        ParseError::UnexpectedWanted(got, r, wanted) => (
            span_of(file, *r),
            format!("syntax error: unexpected {}, expected {}", token_name(*got), token_list(wanted)),
            "unexpected",
        ),
        ParseError::UnexpectedDoubleBind(r) => {
            (span_of(file, *r), "syntax error: a pattern is bound twice (`@`)".to_string(), "second binding")
        }
        ParseError::UnexpectedEOF => (at_end, "syntax error: unexpected end of file".to_string(), "input ends here"),
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
    let code = if matches!(error, ParseError::RecursionLimitExceeded) { Code::LimitExceeded } else { Code::NixSyntax };
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
        _ => return format!("{kind:?}").trim_start_matches("TOKEN_").trim_start_matches("NODE_").to_lowercase(),
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
    fn deep_nesting_is_a_limit() {
        let text = "[".repeat(100_000);
        let err = parse(FileId(0), &text).unwrap_err();
        assert!(err.code == Code::LimitExceeded || err.code == Code::NixSyntax);
    }
}
