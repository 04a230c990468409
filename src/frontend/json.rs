//! The JSON frontend: `nix eval --json` output → a definition tree with spans.
//!
//! serde_json would check the syntax but forgets where each value was; diagnostics of the
//! later stages must point into the JSON text, so this small parser keeps a span on every
//! value and every key. It is iterative in nothing but bounded in depth: past
//! [`MAX_DEPTH`] levels it stops with a clear error instead of exhausting the stack.

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Attrs, Entry, Kind, Node};
use crate::source::{FileId, Span};

/// Deepest nesting of arrays and objects accepted. Real configs nest about ten levels.
pub const MAX_DEPTH: usize = 512;

pub fn parse_json(text: &str, file: FileId) -> Result<Node, Diagnostic> {
    let mut p = Parser {
        text: text.as_bytes(),
        pos: 0,
        file,
        max_depth: MAX_DEPTH,
    };
    p.skip_ws();
    if p.pos == p.text.len() {
        return Err(Diagnostic::new(Code::JsonSyntax, "the input is empty")
            .at(p.span(0, 0), "expected a JSON object here")
            .help("give the JSON that `nix eval --json` prints for the configuration"));
    }
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.text.len() {
        return Err(p.error(
            "trailing characters after the JSON value",
            p.pos,
            "unexpected text here",
        ));
    }
    Ok(v)
}

struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    file: FileId,
    max_depth: usize,
}

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&self, message: impl Into<String>, at: usize, label: &str) -> Diagnostic {
        // Point at one whole character (or at the end of input).
        let end = if at < self.text.len() {
            let len = utf8_len(self.text[at]);
            (at + len).min(self.text.len())
        } else {
            at
        };
        Diagnostic::new(Code::JsonSyntax, message).at(self.span(at, end), label)
    }

    fn skip_ws(&mut self) {
        while self.pos < self.text.len() && matches!(self.text[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        if depth > self.max_depth {
            return Err(Diagnostic::new(
                Code::LimitExceeded,
                format!("the JSON nests deeper than {} levels", self.max_depth),
            )
            .at(self.span(self.pos, self.pos + 1), "too deep here"));
        }
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Err(self.error("unexpected end of input", start, "expected a value")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::new(self.span(start, self.pos), Kind::Str(s)))
            }
            Some(b't') => self.literal("true", Kind::Bool(true)),
            Some(b'f') => self.literal("false", Kind::Bool(false)),
            Some(b'n') => self.literal("null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value", start, "unexpected character")),
        }
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Node, Diagnostic> {
        let start = self.pos;
        if self.text[start..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(self.span(start, self.pos), kind))
        } else {
            Err(self.error("expected a JSON value", start, "unexpected text"))
        }
    }

    fn number(&mut self) -> Result<Node, Diagnostic> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        if !digits(self) {
            return Err(self.error("invalid number", start, "expected digits"));
        }
        if self.text[int_start] == b'0' && self.pos - int_start > 1 {
            return Err(self.error("numbers cannot have leading zeros", start, "here"));
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            if !digits(self) {
                return Err(self.error("invalid number", self.pos, "expected digits after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            is_float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number", self.pos, "expected exponent digits"));
            }
        }
        let text = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("0");
        let span = self.span(start, self.pos);
        if !is_float {
            return match text.parse::<i64>() {
                Ok(i) => Ok(Node::new(span, Kind::Int(i))),
                Err(_) => Err(Diagnostic::new(Code::JsonSyntax, "integer out of range")
                    .at(span, "Nix integers are 64-bit signed")),
            };
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Node::new(span, Kind::Float(f))),
            _ => Err(Diagnostic::new(Code::JsonSyntax, "number out of range").at(span, "not a finite float")),
        }
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        let open = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while self.peek().is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            // The input was checked to be UTF-8 and runs stop at ASCII bytes only.
            out.push_str(std::str::from_utf8(&self.text[run_start..self.pos]).unwrap_or(""));
            match self.peek() {
                None => return Err(self.error("unterminated string", open, "this string is never closed")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(esc)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in string", esc, "unknown escape")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.error(
                        "control character in string",
                        self.pos,
                        "control characters must be escaped in JSON strings",
                    ));
                }
            }
        }
    }

    fn hex4(&mut self, esc: usize) -> Result<u32, Diagnostic> {
        // Exactly four hex digits: `from_str_radix` alone would also take a sign (`\u+000`).
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let parsed = digits
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match parsed {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error("invalid \\u escape", esc, "expected four hex digits")),
        }
    }

    fn unicode_escape(&mut self, esc: usize) -> Result<char, Diagnostic> {
        let hi = self.hex4(esc)?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.text.get(self.pos..self.pos + 2) == Some(b"\\u") {
                self.pos += 2;
                let lo = self.hex4(esc)?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(c).ok_or_else(|| self.error("invalid \\u escape", esc, "not a character"));
                }
            }
            return Err(self.error("unpaired surrogate in \\u escape", esc, "not a character"));
        }
        char::from_u32(hi).ok_or_else(|| self.error("unpaired surrogate in \\u escape", esc, "not a character"))
    }

    fn array(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::new(self.span(start, self.pos), Kind::List(items)));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::new(self.span(start, self.pos), Kind::List(items)));
                }
                None => return Err(self.error("unterminated array", start, "this `[` is never closed")),
                Some(_) => return Err(self.error("expected `,` or `]`", self.pos, "unexpected character")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        let start = self.pos;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::new(self.span(start, self.pos), Kind::Attrs(Attrs::new())));
        }
        loop {
            self.skip_ws();
            let key_start = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key", self.pos, "object keys are strings"));
            }
            let key = self.string()?;
            let key_span = self.span(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key", self.pos, "expected `:`"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push(Entry { key, key_span, value });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error("unterminated object", start, "this `{` is never closed")),
                Some(_) => return Err(self.error("expected `,` or `}`", self.pos, "unexpected character")),
            }
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        if let Some(w) = entries.windows(2).find(|w| w[0].key == w[1].key) {
            let (first, second) = if w[0].key_span.start < w[1].key_span.start {
                (&w[0], &w[1])
            } else {
                (&w[1], &w[0])
            };
            return Err(
                Diagnostic::new(Code::JsonSyntax, format!("duplicate key `{}`", first.key))
                    .at(second.key_span, "defined again here")
                    .also(first.key_span, "first defined here"),
            );
        }
        Ok(Node::new(self.span(start, self.pos), Kind::Attrs(Attrs { entries })))
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Check that input bytes are UTF-8; the error points at the first bad byte.
pub fn decode_utf8(bytes: Vec<u8>, file: FileId) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Diagnostic::new(Code::InvalidUtf8, format!("the input is not valid UTF-8 (byte {at})"))
            .at(Span::new(file, at, at), "invalid byte here")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Node, Diagnostic> {
        parse_json(t, FileId(0))
    }

    #[test]
    fn values_and_spans() {
        let n = parse(r#" {"b": [1, 2.5, "x\u00e9\ud83d\ude00"], "a": null} "#).unwrap();
        let a = n.attrs().unwrap();
        assert_eq!(a.keys().collect::<Vec<_>>(), ["a", "b"]);
        let b = a.get("b").unwrap();
        assert_eq!((b.span.start, b.span.end), (7, 38));
        assert_eq!(b.as_list().unwrap()[2].as_str(), Some("xé😀"));
        assert_eq!(b.as_list().unwrap()[1].kind, Kind::Float(2.5));
    }

    #[test]
    fn errors_are_located() {
        for (text, at) in [
            ("", 0),
            ("{", 1),
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("\"abc", 0),
            ("01", 0),
            ("{\"a\":1,\"a\":2}", 7),
            ("1 2", 2),
            ("\"\\x\"", 1),
            ("\"\\u+000c\"", 1),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.primary.as_ref().map(|l| l.span.start), Some(at), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn deep_nesting_is_a_limit_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = parse(&text).unwrap_err();
        assert_eq!(e.code, Code::LimitExceeded);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = decode_utf8(vec![b'{', 0xff, b'}'], FileId(0)).unwrap_err();
        assert_eq!(e.code, Code::InvalidUtf8);
        assert_eq!(e.primary.unwrap().span.start, 1);
    }
}
