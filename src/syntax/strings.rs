//! String literals: escapes, and the indentation `''…''` strings strip.
//!
//! This is the rule rnix's `Str::normalized_parts` applies to a string's tokens (which agrees
//! with Nix on every valid string), restated over the token texts the fast parser sees. The
//! differential tests compare the two on every fixture, so they cannot drift apart.

use super::ast::{Node, StrPart};
use std::borrow::Cow;

/// One token of a string as written: content text, or an interpolation already parsed.
pub enum RawPart<'s, T> {
    Lit(&'s str),
    Interp(T),
}

/// The parts of an indented string (`''…''`) with escapes resolved and the common
/// indentation, the first line when blank and the trailing blank line removed. (The parts
/// of a `"…"` string only need their escapes resolved: [`plain_text`].)
pub fn normalize_indented<'s>(raw: Vec<RawPart<'s, Box<Node<'s>>>>) -> Box<[StrPart<'s>]> {
    let min_indent = min_indent(&raw);
    let n = raw.len();
    let first_is_literal = matches!(raw.first(), Some(RawPart::Lit(_)));
    let mut parts = Vec::with_capacity(n);
    let mut at_start_of_line = true;
    let mut dropped = 0usize;
    for (i, part) in raw.into_iter().enumerate() {
        match part {
            RawPart::Interp(node) => {
                at_start_of_line = false;
                dropped = 0;
                parts.push(StrPart::Interp(node));
            }
            RawPart::Lit(mut text) => {
                if i == 0
                    && first_is_literal
                    && let Some(rest) = strip_blank_first_line(text)
                {
                    text = rest;
                    if text.is_empty() {
                        continue;
                    }
                }
                let mut out = String::with_capacity(text.len());
                for c in text.chars() {
                    if at_start_of_line {
                        if c == ' ' {
                            if dropped >= min_indent {
                                out.push(c);
                            }
                            dropped += 1;
                        } else if c == '\n' {
                            dropped = 0;
                            out.push(c);
                        } else {
                            at_start_of_line = false;
                            dropped = 0;
                            out.push(c);
                        }
                    } else {
                        out.push(c);
                        if c == '\n' {
                            at_start_of_line = true;
                        }
                    }
                }
                // The last line, when only spaces, is the closing `''`'s indentation.
                if i == n - 1
                    && let Some(p) = out.rfind('\n')
                    && out[p + 1..].bytes().all(|c| c == b' ')
                {
                    out.truncate(p + 1);
                }
                parts.push(StrPart::Lit(Cow::Owned(unescape(&out, true).into_owned())));
            }
        }
    }
    parts.into_boxed_slice()
}

/// The parts of a `"…"` string of one text without interpolation, without a vector of
/// parts to gather them.
pub fn plain_string(text: &str, escaped: bool) -> Box<[StrPart<'_>]> {
    Box::new([plain_text(text, escaped)])
}

/// A text of a `"…"` string as its part: escapes resolved, where it has any. The lexer says
/// whether it saw one (`escaped`): a text without is not searched again.
pub fn plain_text(text: &str, escaped: bool) -> StrPart<'_> {
    StrPart::Lit(if escaped {
        unescape(text, false)
    } else {
        Cow::Borrowed(text)
    })
}

/// What is left of the first token when its first line holds only spaces.
fn strip_blank_first_line(text: &str) -> Option<&str> {
    let p = text.find('\n')?;
    text[..p].bytes().all(|c| c == b' ').then(|| &text[p + 1..])
}

/// The smallest indentation of a line that has content (an interpolation counts).
fn min_indent<T>(raw: &[RawPart<'_, T>]) -> usize {
    let mut min = 1_000_000;
    let mut at_start_of_line = true;
    let mut indent = 0;
    for (i, part) in raw.iter().enumerate() {
        match part {
            RawPart::Interp(_) => {
                if at_start_of_line {
                    at_start_of_line = false;
                    min = min.min(indent);
                }
            }
            RawPart::Lit(text) => {
                let text = if i == 0 {
                    strip_blank_first_line(text).unwrap_or(text)
                } else {
                    text
                };
                for c in text.chars() {
                    if at_start_of_line {
                        if c == ' ' {
                            indent += 1;
                        } else if c == '\n' {
                            indent = 0;
                        } else {
                            at_start_of_line = false;
                            min = min.min(indent);
                        }
                    } else if c == '\n' {
                        at_start_of_line = true;
                        indent = 0;
                    }
                }
            }
        }
    }
    min
}

/// Resolve escapes: `\n \r \t \x` in `"…"`, `''$ ''' ''\x` in `''…''`.
fn unescape(input: &str, multiline: bool) -> Cow<'_, str> {
    // Most literals have no escape at all: they stay the source's text.
    let special = if multiline { b'\'' } else { b'\\' };
    if !input.bytes().any(|b| b == special || (!multiline && b == b'"')) {
        return Cow::Borrowed(input);
    }
    let mut output = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if !multiline => break,
            '\\' if !multiline => match chars.next() {
                None => break,
                Some(e) => output.push(escaped(e)),
            },
            '\'' if multiline => match chars.next() {
                None => output.push('\''),
                Some('\'') => match chars.peek() {
                    Some('\'') => {
                        chars.next();
                        output.push_str("''");
                    }
                    Some('$') => {
                        chars.next();
                        output.push('$');
                    }
                    Some('\\') => {
                        chars.next();
                        match chars.next() {
                            None => break,
                            Some(e) => output.push(escaped(e)),
                        }
                    }
                    _ => break,
                },
                Some(other) => {
                    output.push('\'');
                    output.push(other);
                }
            },
            c => output.push(c),
        }
    }
    Cow::Owned(output)
}

fn escaped(c: char) -> char {
    match c {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        c => c,
    }
}
