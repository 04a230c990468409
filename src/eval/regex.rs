//! Regular expressions for `builtins.match` and `builtins.split`.
//!
//! Nix compiles them with `std::regex::extended`: POSIX extended regular expressions. The
//! `regex` crate has a different syntax, so a POSIX ERE is translated first:
//! - inside brackets the backslash is an ordinary character (`[\-]` is `\` and `-`), `]`
//!   first is literal, `[:alpha:]`-style classes stay as they are;
//! - `.` also matches a newline (libstdc++ excludes only NUL in POSIX mode).
//!
//! Known difference: where several matches are possible, POSIX picks the leftmost-*longest*
//! one and the `regex` crate the leftmost-*first* (by alternation order). This changes only
//! what a group captures in an ambiguous pattern (`(a|ab)(c|bcd)`), or where `split` cuts
//! with an alternation whose earlier branch is a prefix of a later one.

use regex::Regex;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    /// A pure cache, not a setting: a pattern compiles to the same automaton in any
    /// evaluation, so sharing it between the evaluations of a thread changes no result.
    static CACHE: RefCell<HashMap<String, Result<Regex, String>>> = RefCell::new(HashMap::new());
}

/// Compile a POSIX ERE (cached: nixpkgs' `lib` compiles the same few patterns many times).
pub fn compile_posix(pattern: &str) -> Result<Regex, String> {
    CACHE.with(|cache| {
        if let Some(r) = cache.borrow().get(pattern) {
            return r.clone();
        }
        let compiled = translate(pattern).and_then(|t| Regex::new(&format!("(?s){t}")).map_err(|e| e.to_string()));
        cache.borrow_mut().insert(pattern.to_string(), compiled.clone());
        compiled
    })
}

/// Compile a POSIX ERE that must match the whole input.
pub fn compile_posix_anchored(pattern: &str) -> Result<Regex, String> {
    compile_posix(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

/// POSIX ERE syntax → `regex` crate syntax.
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("trailing backslash in regular expression".into());
                };
                push_escaped_outside(next, &mut out);
                i += 2;
            }
            '[' => i = translate_bracket(&chars, i, &mut out)?,
            '{' => {
                // An interval only when it has the form {n}, {n,} or {n,m}; otherwise literal.
                match interval_end(&chars, i) {
                    Some(end) => {
                        out.extend(&chars[i..=end]);
                        i = end + 1;
                    }
                    None => {
                        out.push_str("\\{");
                        i += 1;
                    }
                }
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn push_escaped_outside(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() {
        // `\d`, `\w`, `\s`, `\b` keep the meaning libstdc++ gives them too.
        out.push('\\');
        out.push(c);
    } else {
        out.push_str(&regex::escape(&c.to_string()));
    }
}

fn interval_end(chars: &[char], start: usize) -> Option<usize> {
    let mut j = start + 1;
    let digits_start = j;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    if j == digits_start {
        return None;
    }
    if chars.get(j) == Some(&',') {
        j += 1;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
    }
    (chars.get(j) == Some(&'}')).then_some(j)
}

/// Translate the bracket expression starting at `chars[start] == '['`; returns the index after
/// its closing `]`.
fn translate_bracket(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated bracket expression in regular expression".into());
        };
        match c {
            ']' if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            '[' if matches!(chars.get(i + 1), Some(':' | '=' | '.')) => {
                let kind = chars[i + 1];
                let mut j = i + 2;
                while j + 1 < chars.len() && !(chars[j] == kind && chars[j + 1] == ']') {
                    j += 1;
                }
                if j + 1 >= chars.len() {
                    return Err("unterminated character class in regular expression".into());
                }
                let inner: String = chars[i + 2..j].iter().collect();
                match kind {
                    ':' => out.push_str(&format!("[:{inner}:]")),
                    _ => out.push_str(&regex::escape(&inner)),
                }
                i = j + 2;
            }
            '-' => {
                // A range dash between two items stays a dash; at the edges it is literal.
                let at_edge = first || chars.get(i + 1) == Some(&']');
                out.push_str(if at_edge { "\\-" } else { "-" });
                i += 1;
            }
            '\\' | '[' | ']' | '^' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_backslash_is_literal() {
        let r = compile_posix_anchored("[^a-zA-Z0-9_.\\-]+").unwrap();
        assert!(!r.is_match("back\\slash"));
        assert!(r.is_match("!!"));
    }

    #[test]
    fn classes_and_intervals() {
        assert!(compile_posix_anchored("[[:alpha:]]{2,3}").unwrap().is_match("abc"));
        assert!(compile_posix_anchored("a{").unwrap().is_match("a{"));
        assert!(compile_posix_anchored("[]a]+").unwrap().is_match("]a"));
    }
}
