//! The fast parser's tokenizer: rnix's tokenizer restated over bytes.
//!
//! rnix's tokenizer decodes every character and, at the start of each token, scans ahead
//! with `chars()` to tell paths, URIs and identifiers apart; it is most of what parsing a
//! large file costs. This one makes the same decisions in the same order (so the token
//! stream is identical: `same_tokens_as_rnix` in the tests and the parser fuzz target compare
//! them), looking at bytes wherever the decision is about ASCII, and decoding a character
//! only where rnix's answer depends on one (Unicode whitespace).

use rnix::SyntaxKind::{self, *};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    StringBody { multiline: bool },
    StringEnd,
    Interpol { brackets: u32 },
    InterpolStart,
    Path(SyntaxKind),
}

/// What the prefix of a token looks like before it is read (rnix's `IdentType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    PathRel,
    PathAbs,
    PathHome,
    PathSearch,
    Uri,
}

/// The byte classes below, looked up in one table: a token's prefix is scanned byte by
/// byte at the start of almost every token.
const PATH: u16 = 1;
const URI: u16 = 2;
const IDENT: u16 = 4;
/// Bytes that end nothing in a `"` string (anything but `"`, `\\` and `$`) and in a `''`
/// string (anything but `'` and `$`).
const PLAIN_IN_STRING: u16 = 8;
const PLAIN_IN_INDENTED: u16 = 16;
/// Path bytes but `/`: what rnix's look at a token's prefix scans over (unless it starts
/// with `<`).
const PATH_SEGMENT: u16 = 32;
/// Bytes both of an identifier and of a path's prefix (letters, digits, `_`, `-`): the
/// identifier a run of them makes is one whatever the look at its prefix would see, unless
/// a byte of one class only (`'`, `.`, `+`) or a `/` or `:` follows.
const WORD: u16 = 64;
const DIGIT: u16 = 128;
/// ASCII's White_Space: tab, newline, vertical tab, form feed, return, space.
const SPACE: u16 = 256;

static CLASSES: [u16; 256] = classes();

const fn classes() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let path = matches!(c, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'_' | b'.' | b'+' | b'-');
        let uri = path
            || matches!(
                c,
                b'%' | b'?' | b':' | b'@' | b'&' | b'=' | b'$' | b',' | b'!' | b'~' | b'*' | b'\''
            );
        let ident = matches!(c, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'\'');
        let mut class = 0;
        if path {
            class |= PATH;
        }
        if uri {
            class |= URI;
        }
        if ident {
            class |= IDENT;
        }
        if path && c != b'/' {
            class |= PATH_SEGMENT;
        }
        if ident && c != b'\'' {
            class |= WORD;
        }
        if c.is_ascii_digit() {
            class |= DIGIT;
        }
        if matches!(c, b'\t'..=b'\r' | b' ') {
            class |= SPACE;
        }
        if !matches!(c, b'"' | b'\\' | b'$') {
            class |= PLAIN_IN_STRING;
        }
        if !matches!(c, b'\'' | b'$') {
            class |= PLAIN_IN_INDENTED;
        }
        table[i] = class;
        i += 1;
    }
    table
}

fn is_path_byte(c: u8) -> bool {
    CLASSES[c as usize] & PATH != 0
}

fn is_uri_byte(c: u8) -> bool {
    CLASSES[c as usize] & URI != 0
}

/// The tokens of `text`, exactly as `rnix::tokenize` gives them.
pub fn tokenize(text: &str) -> Lexer<'_> {
    Lexer {
        text,
        bytes: text.as_bytes(),
        offset: 0,
        ctx: Vec::new(),
        nesting: Nesting::default(),
        plain_prefix_end: 0,
        escaped: false,
    }
}

pub struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    offset: usize,
    ctx: Vec<Context>,
    nesting: Nesting,
    /// The end of the last run of path bytes but `/` (rnix's prefix of a token) found to
    /// make no path or URI. A token that starts inside the run has a prefix that ends
    /// there too, and so none either: the words and dots of `a.b.c` look at it once.
    plain_prefix_end: usize,
    /// The last text of a `"…"` string had an escape.
    escaped: bool,
}

/// The nesting of the tokens read so far, as the syntax stage's nesting check counts it
/// (`find_too_deep_nesting` in `syntax/mod.rs`): brackets, strings and interpolations open a
/// level. On the tokens of a text both count alike, except after the few forms where the
/// check's small lexer reads the text otherwise than this one (a URI, `''` in an
/// identifier, `$$` in a string). So a text this lexer read to its end, never deeper than
/// the limit and with none of those forms, passes the check without running it.
#[derive(Clone, Copy, Default)]
pub struct Nesting {
    depth: usize,
    /// The greatest depth reached.
    pub deepest: usize,
    /// A form was read where the check may count otherwise.
    pub differs: bool,
}

impl Nesting {
    fn open(&mut self) {
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = rnix::Token<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.offset;
        let kind = self.next_inner()?;
        Some((kind, &self.text[start..self.offset]))
    }
}

impl Lexer<'_> {
    /// The nesting of the tokens read so far.
    pub fn nesting(&self) -> Nesting {
        self.nesting
    }

    /// Whether the last text read of a `"…"` string holds an escape (`\\`): one that does
    /// not is its own value.
    pub fn escaped(&self) -> bool {
        self.escaped
    }

    /// The next token that is not whitespace or a comment, its start and end, and whether
    /// it follows the last one directly (no trivia between): what the parser reads.
    /// Inlined into the parser's one reading of a token.
    #[inline(always)]
    pub fn next_significant(&mut self) -> Option<(SyntaxKind, usize, usize, bool)> {
        let mut glued = true;
        loop {
            // In code, whitespace is skipped and the common tokens taken here, without a
            // token for the whitespace or a trip through the contexts.
            if matches!(self.ctx.last(), None | Some(Context::Interpol { .. })) {
                let before = self.offset;
                self.skip_ascii_whitespace();
                glued &= self.offset == before;
                let start = self.offset;
                if let Some(&first) = self.bytes.get(start)
                    && let Some(kind) = self.quick(first)
                {
                    if kind == TOKEN_WHITESPACE {
                        glued = false;
                        continue;
                    }
                    return Some((kind, start, self.offset, glued));
                }
            }
            let start = self.offset;
            match self.next_inner()? {
                TOKEN_WHITESPACE | TOKEN_COMMENT => glued = false,
                kind => return Some((kind, start, self.offset, glued)),
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.offset).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.bytes.get(self.offset + n).copied()
    }

    /// The character at byte `at` (which starts one), if any.
    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|s| s.chars().next())
    }

    /// Take one character; its first byte.
    #[inline]
    fn bump_char(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.offset += if c < 0x80 { 1 } else { self.char_len_at(self.offset) };
        Some(c)
    }

    /// The length of the non-ASCII character at byte `at`: rare, so kept out of the
    /// inlined path above.
    #[cold]
    fn char_len_at(&self, at: usize) -> usize {
        self.char_at(at).map_or(1, char::len_utf8)
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.bytes[self.offset..].starts_with(s)
    }

    fn bump_if(&mut self, s: &[u8]) -> bool {
        let yes = self.starts_with(s);
        if yes {
            self.offset += s.len();
        }
        yes
    }

    /// Take ASCII bytes while `f` holds; how many.
    fn consume(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let rest = &self.bytes[self.offset..];
        let taken = rest.iter().position(|&c| !(c < 0x80 && f(c))).unwrap_or(rest.len());
        self.offset += taken;
        taken
    }

    fn consume_whitespace(&mut self) -> usize {
        let from = self.offset;
        while let Some(c) = self.peek() {
            if c < 0x80 {
                // ASCII's White_Space: tab, newline, vertical tab, form feed, return, space.
                if !matches!(c, b'\t'..=b'\r' | b' ') {
                    break;
                }
                self.offset += 1;
            } else {
                match self.char_at(self.offset) {
                    Some(ch) if ch.is_whitespace() => self.offset += ch.len_utf8(),
                    _ => break,
                }
            }
        }
        self.offset - from
    }

    fn next_string(&mut self, multiline: bool) -> SyntaxKind {
        let plain = if multiline { PLAIN_IN_INDENTED } else { PLAIN_IN_STRING };
        self.escaped = false;
        loop {
            // Text that ends nothing, taken at once (a UTF-8 sequence is all plain bytes).
            let rest = &self.bytes[self.offset..];
            self.offset += rest
                .iter()
                .position(|&c| CLASSES[c as usize] & plain == 0)
                .unwrap_or(rest.len());
            let start = self.offset;
            match self.bump_char() {
                None => {
                    self.ctx.pop();
                    return TOKEN_ERROR;
                }
                Some(b'"') if !multiline => {
                    self.offset = start;
                    self.ctx.pop();
                    self.ctx.push(Context::StringEnd);
                    return TOKEN_STRING_CONTENT;
                }
                Some(b'\\') if !multiline => {
                    self.escaped = true;
                    if self.bump_char().is_none() {
                        return TOKEN_ERROR;
                    }
                }
                Some(b'\'') if multiline => match self.peek() {
                    None => return TOKEN_ERROR,
                    Some(b'\'') => {
                        self.offset += 1;
                        match self.peek() {
                            Some(b'\'' | b'$') => self.offset += 1,
                            Some(b'\\') => {
                                self.offset += 1;
                                if self.bump_char().is_none() {
                                    return TOKEN_ERROR;
                                }
                            }
                            _ => {
                                self.offset = start;
                                self.ctx.pop();
                                self.ctx.push(Context::StringEnd);
                                return TOKEN_STRING_CONTENT;
                            }
                        }
                    }
                    Some(_) => {}
                },
                Some(b'$') => match self.peek() {
                    Some(b'$') => {
                        // The check reads `$${` as an interpolation.
                        self.nesting.differs = true;
                        self.offset += 1;
                    }
                    Some(b'{') => {
                        self.offset = start;
                        self.ctx.push(Context::InterpolStart);
                        return TOKEN_STRING_CONTENT;
                    }
                    _ => {}
                },
                Some(_) => {}
            }
        }
    }

    fn check_path_since(&mut self, start: usize, kind: SyntaxKind) -> SyntaxKind {
        self.consume(is_path_byte);
        let path = &self.bytes[start..self.offset];
        if self.starts_with(b"${") {
            self.ctx.push(Context::InterpolStart);
        } else if path.ends_with(b"/") || path.windows(2).any(|w| w == b"//") {
            return TOKEN_ERROR;
        } else {
            self.ctx.pop();
        }
        kind
    }

    /// rnix's look at a token's prefix: a path, a search path, a URI, or none of them.
    fn shape(&self) -> Option<Shape> {
        match self.peek() {
            Some(b'/') => {
                if self.starts_with(b"//") {
                    None
                } else if self.starts_with(b"/${") {
                    Some(Shape::PathAbs)
                } else {
                    self.peek_at(1)
                        .filter(|&c| is_path_byte(c) && c != b'*')
                        .map(|_| Shape::PathAbs)
                }
            }
            Some(b'~') if self.peek_at(1) == Some(b'/') => Some(Shape::PathHome),
            first => {
                // A search path (`<nixpkgs/lib>`) takes `<` and `/` too; anything else
                // stops at them.
                let rest = &self.bytes[self.offset..];
                let len = if first == Some(b'<') {
                    rest.iter().position(|&c| c != b'<' && !is_path_byte(c))
                } else {
                    rest.iter().position(|&c| CLASSES[c as usize] & PATH_SEGMENT == 0)
                }
                .unwrap_or(rest.len());
                let end = self.offset + len;
                match (self.bytes.get(end), self.bytes.get(end + 1)) {
                    (Some(b'/'), Some(b'/' | b'*')) => None,
                    (Some(b'/'), Some(_)) => {
                        let second = self.char_at(end + 1)?;
                        (!second.is_whitespace()).then_some(Shape::PathRel)
                    }
                    (Some(b'>'), _) => Some(Shape::PathSearch),
                    (Some(b':'), Some(&c)) if c < 0x80 && is_uri_byte(c) && !rest[..len].contains(&b'_') => {
                        Some(Shape::Uri)
                    }
                    _ => None,
                }
            }
        }
    }

    fn next_inner(&mut self) -> Option<SyntaxKind> {
        let start = self.offset;
        loop {
            match self.ctx.last().copied() {
                Some(Context::InterpolStart) => {
                    self.ctx.pop();
                    self.ctx.push(Context::Interpol { brackets: 0 });
                    let opened = self.bump_if(b"${");
                    debug_assert!(opened, "an interpolation starts where the lexer saw `${{`");
                    self.nesting.open();
                    return Some(TOKEN_INTERPOL_START);
                }
                Some(Context::Path(kind)) => {
                    if kind == TOKEN_PATH_SEARCH {
                        if self.peek().is_some_and(is_path_byte) {
                            return Some(self.check_path_since(start, kind));
                        }
                        self.ctx.pop();
                    } else if self.bump_if(b"${") {
                        self.ctx.push(Context::Interpol { brackets: 0 });
                        self.nesting.open();
                        return Some(TOKEN_INTERPOL_START);
                    } else if self.peek().is_some_and(is_path_byte) {
                        return Some(self.check_path_since(start, kind));
                    } else {
                        self.ctx.pop();
                    }
                }
                Some(Context::StringBody { multiline }) => {
                    let token = self.next_string(multiline);
                    // Nothing read (the string or its text ended right here): go on.
                    if self.offset == start {
                        continue;
                    }
                    return Some(token);
                }
                Some(Context::StringEnd) => {
                    self.ctx.pop();
                    let closed = match self.peek() {
                        Some(b'"') => {
                            self.offset += 1;
                            true
                        }
                        Some(b'\'') => {
                            self.offset += 1;
                            self.bump_if(b"'")
                        }
                        _ => false,
                    };
                    self.nesting.close();
                    return Some(if closed { TOKEN_STRING_END } else { TOKEN_ERROR });
                }
                _ => {}
            }
            break;
        }

        let first = self.peek()?;
        if let Some(kind) = self.quick(first) {
            return Some(kind);
        }
        if self.consume_whitespace() > 0 {
            return Some(TOKEN_WHITESPACE);
        }
        if first == b'#' {
            // To the end of the line, whatever the bytes (a UTF-8 byte is never '\n').
            self.offset += self.bytes[self.offset..]
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(self.bytes.len() - self.offset);
            return Some(TOKEN_COMMENT);
        }
        if first == b'/' && self.bump_if(b"/*") {
            loop {
                self.offset += self.bytes[self.offset..]
                    .iter()
                    .position(|&c| c == b'*')
                    .unwrap_or(self.bytes.len() - self.offset);
                self.bump_char(); // the '*', if any
                match self.peek() {
                    None => return Some(TOKEN_ERROR),
                    Some(b'/') => {
                        self.offset += 1;
                        return Some(TOKEN_COMMENT);
                    }
                    _ => {}
                }
            }
        }
        if first == b'.' && self.bump_if(b"...") {
            return Some(TOKEN_ELLIPSIS);
        }

        // Only a token that starts like a path, a URI or an identifier has a shape: the
        // punctuation between them is told apart without the look ahead.
        let shape = if CLASSES[first as usize] & PATH_SEGMENT != 0 || matches!(first, b'/' | b'~' | b'<') {
            self.shape()
        } else {
            None
        };
        let c = self.bump_char()?;

        if c == b'/' && self.peek() == Some(b'/') {
            self.offset += 1;
            return Some(TOKEN_UPDATE);
        }
        if c == b'~'
            || matches!(shape, Some(Shape::PathAbs | Shape::PathRel))
            || (c == b'/' && self.peek().is_some_and(is_path_byte))
        {
            let kind = if c == b'~' {
                if self.bump_char() != Some(b'/') {
                    return Some(TOKEN_ERROR);
                }
                TOKEN_PATH_HOME
            } else if c == b'/' {
                TOKEN_PATH_ABS
            } else {
                TOKEN_PATH_REL
            };
            self.ctx.push(Context::Path(kind));
            return Some(self.check_path_since(start, kind));
        }

        Some(self.after_first(c, start, shape))
    }

    /// The token whose first byte `c` (at `start`, with the prefix's `shape`) was taken,
    /// when it is no path.
    fn after_first(&mut self, c: u8, start: usize, shape: Option<Shape>) -> SyntaxKind {
        let next = self.peek();
        match c {
            b'!' if next == Some(b'=') => self.take(TOKEN_NOT_EQUAL),
            b'!' => TOKEN_INVERT,
            b'.' => {
                if next.is_some_and(|d| d.is_ascii_digit()) {
                    self.consume(|d| d.is_ascii_digit());
                    self.scientific()
                } else {
                    TOKEN_DOT
                }
            }
            b'+' if next == Some(b'+') => self.take(TOKEN_CONCAT),
            b'-' if next == Some(b'>') => self.take(TOKEN_IMPLICATION),
            b'+' => TOKEN_ADD,
            b'-' => TOKEN_SUB,
            b'*' => TOKEN_MUL,
            b'/' => TOKEN_DIV,
            b'<' if next == Some(b'|') => self.take(TOKEN_PIPE_LEFT),
            b'<' if shape == Some(Shape::PathSearch) => {
                if self.consume(is_path_byte) == 0 {
                    TOKEN_LESS
                } else if self.bump_char() != Some(b'>') {
                    TOKEN_ERROR
                } else {
                    TOKEN_PATH_SEARCH
                }
            }
            b'&' if next == Some(b'&') => self.take(TOKEN_AND_AND),
            b'|' if next == Some(b'>') => self.take(TOKEN_PIPE_RIGHT),
            b'|' if next == Some(b'|') => self.take(TOKEN_OR_OR),
            b'<' if next == Some(b'=') => self.take(TOKEN_LESS_OR_EQ),
            b'<' => TOKEN_LESS,
            b'>' if next == Some(b'=') => self.take(TOKEN_MORE_OR_EQ),
            b'>' => TOKEN_MORE,
            b'$' if next == Some(b'{') => {
                self.offset += 1;
                self.ctx.push(Context::Interpol { brackets: 0 });
                self.nesting.open();
                TOKEN_INTERPOL_START
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let uri = shape == Some(Shape::Uri);
                let class = if uri { IDENT | URI } else { IDENT };
                self.consume(|c| CLASSES[c as usize] & class != 0);
                let word = &self.bytes[start..self.offset];
                // The check reads `''` in a URI or an identifier (`a''`) as a string.
                if uri || (word.contains(&b'\'') && word.windows(2).any(|w| w == b"''")) {
                    self.nesting.differs = true;
                }
                if uri { TOKEN_URI } else { keyword(word) }
            }
            b'\'' if next == Some(b'\'') => {
                self.offset += 1;
                self.ctx.push(Context::StringBody { multiline: true });
                self.nesting.open();
                TOKEN_STRING_START
            }
            b'0'..=b'9' => {
                // A leading 0 not followed by '.' is an integer (rnix-parser issue 157).
                self.consume(|d| d.is_ascii_digit());
                if (c != b'0' || next == Some(b'.')) && self.peek() == Some(b'.') {
                    self.offset += 1;
                    self.consume(|d| d.is_ascii_digit());
                    return self.scientific();
                }
                TOKEN_INTEGER
            }
            _ => TOKEN_ERROR,
        }
    }

    /// The token at the offset, first byte `first`, where that byte (or a run of bytes
    /// from it) tells it without rnix's look at the prefix: whitespace, an identifier or
    /// integer nothing can lengthen (the most common tokens), punctuation that starts no
    /// path, URI or comment. `None` (nothing taken) where the general path decides. Only in
    /// code, not in a string or path.
    #[inline(always)]
    fn quick(&mut self, first: u8) -> Option<SyntaxKind> {
        let kind = match first {
            b'\t'..=b'\r' | b' ' => {
                self.skip_ascii_whitespace();
                if self.peek().is_some_and(|c| c >= 0x80) {
                    self.consume_whitespace();
                }
                return Some(TOKEN_WHITESPACE);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => return self.plain_word(),
            b'0'..=b'9' => return self.plain_integer(),
            b'{' => {
                if let Some(Context::Interpol { brackets }) = self.ctx.last_mut() {
                    *brackets += 1;
                }
                self.nesting.open();
                TOKEN_L_BRACE
            }
            b'}' => {
                // Closes a brace or an interpolation: a level either way.
                self.nesting.close();
                match self.ctx.last_mut() {
                    Some(Context::Interpol { brackets: 0 }) => {
                        self.ctx.pop();
                        TOKEN_INTERPOL_END
                    }
                    Some(Context::Interpol { brackets }) => {
                        *brackets -= 1;
                        TOKEN_R_BRACE
                    }
                    _ => TOKEN_R_BRACE,
                }
            }
            b'"' => {
                self.ctx.push(Context::StringBody { multiline: false });
                self.nesting.open();
                TOKEN_STRING_START
            }
            b'=' if self.peek_at(1) == Some(b'=') => {
                self.offset += 2;
                return Some(TOKEN_EQUAL);
            }
            b'=' => TOKEN_ASSIGN,
            b'[' => self.opening(TOKEN_L_BRACK),
            b']' => self.closing(TOKEN_R_BRACK),
            b'(' => self.opening(TOKEN_L_PAREN),
            b')' => self.closing(TOKEN_R_PAREN),
            b';' => TOKEN_SEMICOLON,
            b',' => TOKEN_COMMA,
            b':' => TOKEN_COLON,
            b'@' => TOKEN_AT,
            b'?' => TOKEN_QUESTION,
            // A dot inside a prefix known to make nothing (`a.b`), not `...` or a float.
            b'.' if self.offset < self.plain_prefix_end
                && self.peek_at(1).is_some_and(|c| c != b'.' && !c.is_ascii_digit()) =>
            {
                TOKEN_DOT
            }
            _ => return None,
        };
        self.offset += 1;
        Some(kind)
    }

    /// Skip spaces, tabs and line breaks (ASCII whitespace).
    fn skip_ascii_whitespace(&mut self) {
        let bytes = self.bytes;
        let mut at = self.offset;
        while at < bytes.len() && CLASSES[bytes[at] as usize] & SPACE != 0 {
            at += 1;
        }
        self.offset = at;
    }

    /// The end of the run of bytes of `class` from `at`.
    fn run_of(&self, mut at: usize, class: u16) -> usize {
        let bytes = self.bytes;
        while at < bytes.len() && CLASSES[bytes[at] as usize] & class != 0 {
            at += 1;
        }
        at
    }

    /// An identifier or keyword at the offset (which starts with a letter or `_`), taken
    /// in one pass where nothing after its run of [`WORD`] bytes can make it a path or a
    /// URI or lengthen it: `None` (nothing taken) where the general path must decide.
    fn plain_word(&mut self) -> Option<SyntaxKind> {
        let end = self.run_of(self.offset + 1, WORD);
        if self.bytes.get(end) == Some(&b'\'') {
            return None;
        }
        if self.offset >= self.plain_prefix_end {
            // Where the look at the prefix would stop: `.` and `+` lengthen it, not the word.
            let prefix_end = match self.bytes.get(end) {
                Some(b'.' | b'+') => self.run_of(end, PATH_SEGMENT),
                _ => end,
            };
            match self.bytes.get(prefix_end) {
                Some(b'/') => return None,
                Some(b':')
                    if self
                        .bytes
                        .get(prefix_end + 1)
                        .is_some_and(|&c| c < 0x80 && is_uri_byte(c)) =>
                {
                    return None;
                }
                _ => self.plain_prefix_end = prefix_end,
            }
        }
        let word = &self.bytes[self.offset..end];
        self.offset = end;
        Some(keyword(word))
    }

    /// An integer at the offset (a digit) that no byte after its digits can make a path,
    /// a float or a longer token: `None` (nothing taken) where the general path decides.
    fn plain_integer(&mut self) -> Option<SyntaxKind> {
        let end = self.run_of(self.offset + 1, DIGIT);
        match self.bytes.get(end) {
            Some(&c) if CLASSES[c as usize] & PATH_SEGMENT != 0 || c == b'/' => None,
            _ => {
                self.offset = end;
                Some(TOKEN_INTEGER)
            }
        }
    }

    /// A token that opens a level of nesting.
    fn opening(&mut self, kind: SyntaxKind) -> SyntaxKind {
        self.nesting.open();
        kind
    }

    /// A token that closes a level of nesting.
    fn closing(&mut self, kind: SyntaxKind) -> SyntaxKind {
        self.nesting.close();
        kind
    }

    /// Take the second byte of a two-byte operator.
    fn take(&mut self, kind: SyntaxKind) -> SyntaxKind {
        self.offset += 1;
        kind
    }

    fn scientific(&mut self) -> SyntaxKind {
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.offset += 1;
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.offset += 1;
            }
            if self.consume(|d| d.is_ascii_digit()) == 0 {
                return TOKEN_ERROR;
            }
        }
        TOKEN_FLOAT
    }
}

fn keyword(word: &[u8]) -> SyntaxKind {
    match word {
        b"assert" => TOKEN_ASSERT,
        b"else" => TOKEN_ELSE,
        b"if" => TOKEN_IF,
        b"in" => TOKEN_IN,
        b"inherit" => TOKEN_INHERIT,
        b"let" => TOKEN_LET,
        // A keyword only in `a.b or c`; the parser decides.
        b"or" => TOKEN_OR,
        b"rec" => TOKEN_REC,
        b"then" => TOKEN_THEN,
        b"with" => TOKEN_WITH,
        _ => TOKEN_IDENT,
    }
}

/// Where the tokens of `text` differ from rnix's (compared up to the first error token,
/// after which neither parser reads on): `None` when they are the same. Both ways of
/// reading are compared: every token, and the significant ones the parser reads (which
/// skip whitespace and take the common tokens by a path of their own).
pub fn difference_from_rnix(text: &str) -> Option<String> {
    let ours = tokenize(text);
    let mut theirs = rnix::tokenize(text);
    for (i, token) in ours.enumerate() {
        let reference = theirs.next();
        if reference != Some(token) {
            return Some(format!("token {i}: ours {token:?}, rnix {reference:?}"));
        }
        if token.0 == TOKEN_ERROR {
            return significant_difference(text);
        }
    }
    match theirs.next() {
        Some(extra) => Some(format!("rnix has more tokens: {extra:?}")),
        None => significant_difference(text),
    }
}

/// Where [`Lexer::next_significant`] differs from rnix's tokens without trivia (kind,
/// place, and whether trivia came before), up to the first error token.
fn significant_difference(text: &str) -> Option<String> {
    let mut ours = tokenize(text);
    let mut offset = 0;
    let mut glued = true;
    for (kind, token) in rnix::tokenize(text) {
        let (start, end) = (offset, offset + token.len());
        offset = end;
        if matches!(kind, TOKEN_WHITESPACE | TOKEN_COMMENT) {
            glued = false;
            continue;
        }
        let reference = (kind, start, end, glued);
        let mine = ours.next_significant();
        if mine != Some(reference) {
            return Some(format!(
                "significant token at {start}: ours {mine:?}, rnix {reference:?}"
            ));
        }
        if kind == TOKEN_ERROR {
            return None;
        }
        glued = true;
    }
    ours.next_significant()
        .map(|extra| format!("ours has more significant tokens: {extra:?}"))
}
