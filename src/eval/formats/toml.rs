//! A TOML parser that accepts and rejects exactly what Nix 2.8's `builtins.fromTOML` does.
//!
//! Nix 2.8 parses TOML with a vendored toml11 (upstream commit cc1cc27, December 2021), which
//! follows TOML 1.0 loosely. Its quirks are observable from Nix, so they are kept here on
//! purpose:
//! - whether a table may be defined a second time is decided from the source text of its first
//!   definition ([`Origin`]): `a.b = 1` then `[a]` is accepted, `[[a.b]]` then `[a]` is not;
//! - decimal, hex and octal integers out of range saturate (a C++ stream read), binary ones
//!   wrap around (a hand-written loop); floats out of range become the largest finite float;
//! - arrays may mix types, and a table inside an array value may still be extended by a later
//!   `[header]` (`a = [{b = 1}]` then `[a.c]`);
//! - line endings inside multi-line strings are kept as written (`\r\n` stays).
//!
//! Dates and times are lexed and checked (an invalid date is a syntax error, as in toml11) and
//! become [`Toml::DateTime`]; the caller rejects them, as Nix 2.8 does without the
//! `parse-toml-timestamps` experimental feature (added later).
//!
//! The parser works on bytes: every delimiter is ASCII, so UTF-8 sequences are copied whole.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed TOML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Toml {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An offset or local date-time, a local date or a local time: Nix has no such value.
    DateTime,
    Array(Vec<Toml>),
    Table(Table),
}

/// A TOML table and where it was defined.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub entries: BTreeMap<String, Toml>,
    origin: Origin,
}

/// Where a table was (last) defined. toml11 decides whether a `[header]` may define a table
/// again by re-reading the source text of the table's definition; this is that text, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
enum Origin {
    /// The document itself.
    #[default]
    Root,
    /// `[a.b]` (or `[[a.b]]`), or a table created implicitly on the way to it.
    Header { keys: Vec<String>, array_of_tables: bool },
    /// Created implicitly on the way to the (full, relative) dotted key of `a.b.c = …`.
    DottedKey(Vec<String>),
    /// `{ … }`: immutable once written.
    Inline,
}

/// A syntax error, located at a 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq)]
pub struct TomlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (line {}, column {})", self.message, self.line, self.column)
    }
}

/// Arrays and inline tables nested deeper than this are an error rather than a stack overflow
/// (Nix 2.8 handles 10,000 levels; at 100,000 it reports a stack overflow).
pub const MAX_NESTING: usize = 20_000;

/// Parse a TOML document into its root table.
pub fn parse(text: &str) -> Result<Table, TomlError> {
    // toml11 appends a newline unless the text ends with one, or with a lone `\r` (which then
    // fails as an incomplete line ending, as in Nix).
    let mut source = text.as_bytes().to_vec();
    if source.last().is_some_and(|&c| c != b'\n' && c != b'\r') {
        source.push(b'\n');
    }
    let mut parser = Parser {
        src: &source,
        pos: 0,
        depth: 0,
    };
    if source.starts_with(b"\xEF\xBB\xBF") {
        parser.pos = 3; // a byte-order mark
    }
    parser.document()
}

type Parsed<T> = Result<T, TomlError>;

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    /// Arrays and inline tables currently open.
    depth: usize,
}

// -- bytes, whitespace, comments, line ends -------------------------------------------------------

/// Characters no TOML string or comment may contain raw (tab is allowed).
fn is_control(c: u8) -> bool {
    c <= 0x08 || (0x0A..=0x1F).contains(&c) || c == 0x7F
}

fn is_bare_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.src[self.pos.min(self.src.len())..].starts_with(s)
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> TomlError {
        let before = &self.src[..pos.min(self.src.len())];
        let line_start = before.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        TomlError {
            message: message.into(),
            line: before.iter().filter(|&&c| c == b'\n').count() + 1,
            column: String::from_utf8_lossy(&before[line_start..]).chars().count() + 1,
        }
    }

    fn error(&self, message: impl Into<String>) -> TomlError {
        self.error_at(self.pos, message)
    }

    /// What the next character is, for error messages.
    fn shown_next(&self) -> String {
        match self.peek() {
            None => "the end of the text".to_string(),
            Some(b'\n') => "a line end".to_string(),
            Some(c) if c.is_ascii_graphic() => format!("'{}'", c as char),
            Some(c) => format!("byte 0x{c:02x}"),
        }
    }

    /// Spaces and tabs.
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// `\n` or `\r\n`.
    fn newline(&mut self) -> bool {
        if self.eat(b'\n') {
            return true;
        }
        if self.starts_with(b"\r\n") {
            self.pos += 2;
            return true;
        }
        false
    }

    /// `# …` up to the first control character (normally the line end).
    fn comment(&mut self) -> bool {
        if !self.eat(b'#') {
            return false;
        }
        while self.peek().is_some_and(|c| !is_control(c)) {
            self.pos += 1;
        }
        true
    }

    /// Lines that hold at most whitespace and a comment; whether there was one.
    fn skip_blank_lines(&mut self) -> bool {
        let mut any = false;
        loop {
            let before = self.pos;
            self.skip_ws();
            self.comment();
            if !self.newline() {
                self.pos = before;
                return any;
            }
            any = true;
        }
    }

    /// Whitespace, line ends and comments, as between the items of an array.
    fn skip_ws_comments_newlines(&mut self) {
        loop {
            if matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            } else if !self.newline() && !self.comment() {
                return;
            }
        }
    }

    /// After a `[header]`: the line must end (a comment may come first), or the text.
    fn end_header_line(&mut self, what: &str) -> Parsed<()> {
        if self.at_end() {
            return Ok(());
        }
        self.skip_ws();
        self.comment();
        if !self.newline() {
            return Err(self.error(format!("expected a line end after {what}, found {}", self.shown_next())));
        }
        Ok(())
    }
}

// -- document structure ----------------------------------------------------------------------------

impl Parser<'_> {
    /// The root table's key/value pairs, then `[table]` and `[[array.of.tables]]` sections.
    fn document(&mut self) -> Parsed<Table> {
        let mut root = self.table_body()?;
        while !self.at_end() {
            let at = self.pos;
            let (keys, array_of_tables) = if let Some(keys) = self.array_table_header()? {
                (keys, true)
            } else if let Some(keys) = self.table_header()? {
                (keys, false)
            } else {
                return Err(self.error("expected a [table] header or a key = value pair"));
            };
            let origin = Origin::Header {
                keys: keys.clone(),
                array_of_tables,
            };
            let body = self.table_body()?;
            let table = Toml::Table(Table {
                entries: body.entries,
                origin: origin.clone(),
            });
            insert_nested(&mut root.entries, table, &keys, &origin, array_of_tables)
                .map_err(|message| self.error_at(at, message))?;
        }
        Ok(root)
    }

    /// Key/value lines up to the next header (or the end).
    fn table_body(&mut self) -> Parsed<Table> {
        let mut table = Table::default();
        if self.at_end() {
            return Ok(table);
        }
        self.skip_blank_lines();
        self.skip_ws();
        while !self.at_end() {
            self.skip_ws();
            let before = self.pos;
            if self.array_table_header()?.is_some() || self.table_header()?.is_some() {
                self.pos = before;
                return Ok(table);
            }
            let (keys, value) = self.key_value()?;
            let origin = Origin::DottedKey(keys.clone());
            insert_nested(&mut table.entries, value, &keys, &origin, false)
                .map_err(|message| self.error_at(before, message))?;
            self.skip_ws();
            self.comment();
            if !self.skip_blank_lines() && !self.at_end() {
                self.skip_ws();
                return Err(self.error(format!(
                    "expected a line end after the value, found {}",
                    self.shown_next()
                )));
            }
            self.skip_ws();
            self.comment();
        }
        Ok(table)
    }

    /// `[ key ]`; `None` (and nothing consumed) if the line is not one.
    fn table_header(&mut self) -> Parsed<Option<Vec<String>>> {
        self.header(b"[", b"]", "a [table] header")
    }

    /// `[[ key ]]`; `None` (and nothing consumed) if the line is not one.
    fn array_table_header(&mut self) -> Parsed<Option<Vec<String>>> {
        self.header(b"[[", b"]]", "an [[array.of.tables]] header")
    }

    fn header(&mut self, open: &[u8], close: &[u8], what: &str) -> Parsed<Option<Vec<String>>> {
        let start = self.pos;
        if !self.starts_with(open) {
            return Ok(None);
        }
        self.pos += open.len();
        self.skip_ws();
        let Some(keys) = self.key()? else {
            self.pos = start;
            return Ok(None);
        };
        self.skip_ws();
        if !self.starts_with(close) {
            self.pos = start;
            return Ok(None);
        }
        self.pos += close.len();
        self.end_header_line(what)?;
        Ok(Some(keys))
    }

    /// `key = value` (the key possibly dotted).
    fn key_value(&mut self) -> Parsed<(Vec<String>, Toml)> {
        let Some(keys) = self.key()? else {
            let before = self.pos;
            self.skip_ws();
            let message = if self.peek() == Some(b'=') {
                "empty key: a key is needed before '='".to_string()
            } else {
                format!(
                    "expected a key (letters, digits, '_' and '-', or a quoted string), found {}",
                    self.shown_next()
                )
            };
            return Err(self.error_at(before, message));
        };
        self.skip_ws();
        if !self.eat(b'=') {
            return Err(self.error(format!("expected '=' after the key, found {}", self.shown_next())));
        }
        self.skip_ws();
        let before_value = self.pos;
        if self.skip_blank_lines() || self.at_end() {
            return Err(self.error_at(before_value, "expected a value after '='"));
        }
        let value = self.value()?;
        Ok((keys, value))
    }

    /// A simple key, or simple keys joined by dots (whitespace around the dots is allowed).
    fn key(&mut self) -> Parsed<Option<Vec<String>>> {
        let Some(first) = self.simple_key()? else {
            return Ok(None);
        };
        let mut keys = vec![first];
        loop {
            let before = self.pos;
            self.skip_ws();
            if !self.eat(b'.') {
                self.pos = before;
                break;
            }
            self.skip_ws();
            match self.simple_key()? {
                Some(key) => keys.push(key),
                None => {
                    self.pos = before;
                    break;
                }
            }
        }
        Ok(Some(keys))
    }

    /// A bare key, or a one-line basic or literal string.
    fn simple_key(&mut self) -> Parsed<Option<String>> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => Ok(self.literal_string()),
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(is_bare_key_char) {
                    self.pos += 1;
                }
                Ok((self.pos > start).then(|| String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()))
            }
        }
    }
}

// -- inserting into tables -----------------------------------------------------------------------

/// Insert `value` at the dotted path `keys` below `root`, creating tables on the way (with
/// origin `origin`), as toml11's `insert_nested_key`. With `array_of_tables`, `value` is
/// appended to the array of tables at `keys`.
fn insert_nested(
    root: &mut BTreeMap<String, Toml>,
    value: Toml,
    keys: &[String],
    origin: &Origin,
    array_of_tables: bool,
) -> Result<(), String> {
    let Some((last, path)) = keys.split_last() else {
        return Err("empty key".to_string());
    };
    let mut table = root;
    for (i, key) in path.iter().enumerate() {
        let entry = table.entry(key.clone()).or_insert_with(|| {
            Toml::Table(Table {
                entries: BTreeMap::new(),
                origin: origin.clone(),
            })
        });
        let not_a_table = || format!("'{}' is neither a table nor an array of tables", keys[..=i].join("."));
        table = match entry {
            Toml::Table(t) if t.origin == Origin::Inline => {
                return Err(format!(
                    "cannot add to the inline table '{}': inline tables are complete where they are written",
                    keys[..=i].join(".")
                ));
            }
            Toml::Table(t) => &mut t.entries,
            // The last table of an array of tables, or of an array value: toml11 does not
            // check which (and reads past the end of an empty array, where Nix 2.8 crashes).
            Toml::Array(items) => match items.last_mut() {
                Some(Toml::Table(t)) => &mut t.entries,
                _ => return Err(not_a_table()),
            },
            _ => return Err(not_a_table()),
        };
    }
    if array_of_tables {
        append_to_array_of_tables(table, last, value, &keys.join("."))
    } else {
        insert_last(table, last, value, keys, origin)
    }
}

fn append_to_array_of_tables(
    table: &mut BTreeMap<String, Toml>,
    key: &str,
    value: Toml,
    dotted: &str,
) -> Result<(), String> {
    match table.get_mut(key) {
        None => {
            table.insert(key.to_string(), Toml::Array(vec![value]));
            Ok(())
        }
        Some(Toml::Table(_)) => Err(format!(
            "the array of tables '{dotted}' cannot be defined: a table of that name exists"
        )),
        Some(Toml::Array(items)) => match items.first() {
            Some(Toml::Table(Table {
                origin: Origin::Header {
                    array_of_tables: true, ..
                },
                ..
            })) => {
                items.push(value);
                Ok(())
            }
            Some(Toml::Table(_)) => Err(format!(
                "the array of tables '{dotted}' cannot be extended: it was written as an array value"
            )),
            _ => Err(format!(
                "the array of tables '{dotted}' collides with an existing value"
            )),
        },
        Some(_) => Err(format!(
            "the array of tables '{dotted}' collides with an existing value"
        )),
    }
}

/// Insert the last key of a path. A table header may add to a table that exists already when
/// [`may_define_again`] allows it; then its keys are merged in and the table takes the header
/// as its origin.
fn insert_last(
    table: &mut BTreeMap<String, Toml>,
    key: &str,
    value: Toml,
    keys: &[String],
    origin: &Origin,
) -> Result<(), String> {
    let dotted = keys.join(".");
    let Some(existing) = table.get_mut(key) else {
        table.insert(key.to_string(), value);
        return Ok(());
    };
    match (existing, value) {
        (Toml::Table(old), Toml::Table(new)) => {
            if !may_define_again(old, &new, keys) {
                return Err(format!("the table '{dotted}' is defined twice"));
            }
            for (k, v) in new.entries {
                if old.entries.contains_key(&k) {
                    return Err(format!("the value '{dotted}.{k}' is defined twice"));
                }
                old.entries.insert(k, v);
            }
            old.origin = origin.clone();
            Ok(())
        }
        (Toml::Array(items), Toml::Table(_)) if matches!(items.first(), Some(Toml::Table(_))) => Err(format!(
            "the table '{dotted}' collides with the array of tables of that name"
        )),
        _ => Err(format!("the value '{dotted}' is defined twice")),
    }
}

/// toml11's `is_valid_forward_table_definition`: may `new` (a table being inserted at `keys`)
/// be merged into the existing table `old`? Never for an inline table; for a table written by
/// a `[header]`, when `old` was not defined by that same header, nor on the way to the same
/// dotted key. Tables created on the way to an `[[array.of.tables]]` header cannot be reopened
/// at all (toml11 cannot read their definition back as a table key).
fn may_define_again(old: &Table, new: &Table, keys: &[String]) -> bool {
    if new.origin == Origin::Inline {
        return false;
    }
    match &old.origin {
        Origin::Header {
            keys: header,
            array_of_tables: false,
        } => header.as_slice() != keys,
        // toml11 compares the dotted key with the keys from the current one on, which is
        // only the last one: a dotted key has at least two parts, so this always allows.
        Origin::DottedKey(dotted) => dotted.as_slice() != &keys[keys.len() - 1..],
        Origin::Header {
            array_of_tables: true, ..
        }
        | Origin::Inline
        | Origin::Root => false,
    }
}

// -- values ----------------------------------------------------------------------------------------

impl Parser<'_> {
    /// A value, chosen by its first character as toml11's `guess_value_type`.
    fn value(&mut self) -> Parsed<Toml> {
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the text")),
            Some(b'"' | b'\'') => self.string().map(Toml::Str),
            Some(b't' | b'f') => self.boolean(),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::inline_table),
            Some(b'i' | b'n') => self.special_float(),
            Some(_) => self.number_or_date_time(),
        }
    }

    /// Run `parse` one array or inline table deeper.
    fn nested(&mut self, parse: fn(&mut Self) -> Parsed<Toml>) -> Parsed<Toml> {
        if self.depth >= MAX_NESTING {
            return Err(self.error(format!(
                "arrays and inline tables are nested more than {MAX_NESTING} deep"
            )));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn boolean(&mut self) -> Parsed<Toml> {
        for (word, value) in [(&b"true"[..], true), (b"false", false)] {
            if self.starts_with(word) {
                self.pos += word.len();
                return Ok(Toml::Bool(value));
            }
        }
        Err(self.error("expected a value: 'true' or 'false'?"))
    }

    /// `[ v, v, … ]`: across lines, with comments, a trailing comma allowed.
    fn array(&mut self) -> Parsed<Toml> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        while !self.at_end() {
            self.skip_ws_comments_newlines();
            if self.eat(b']') {
                return Ok(Toml::Array(items));
            }
            items.push(self.value()?);
            let after_value = self.pos;
            self.skip_ws_comments_newlines();
            if self.eat(b',') {
                continue;
            }
            self.pos = after_value;
            self.skip_ws_comments_newlines();
            if self.eat(b']') {
                return Ok(Toml::Array(items));
            }
            return Err(self.error(format!(
                "expected ',' or ']' after a value in an array, found {}",
                self.shown_next()
            )));
        }
        Err(self.error_at(start, "this array is not closed by ']'"))
    }

    /// `{ k = v, … }`: on one line, no trailing comma.
    fn inline_table(&mut self) -> Parsed<Toml> {
        let start = self.pos;
        self.pos += 1;
        let mut entries = BTreeMap::new();
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                if self.at_end() {
                    return Err(self.error_at(start, "this inline table is not closed by '}'"));
                }
                let at = self.pos;
                let (keys, value) = self.key_value()?;
                let origin = Origin::DottedKey(keys.clone());
                insert_nested(&mut entries, value, &keys, &origin, false)
                    .map_err(|message| self.error_at(at, message))?;
                self.skip_ws();
                if self.eat(b',') {
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(self.error("a trailing comma is not allowed in an inline table"));
                    }
                    continue;
                }
                match self.peek() {
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    None | Some(b'#' | b'\r' | b'\n') => {
                        return Err(self.error("expected '}': an inline table must be on one line"));
                    }
                    Some(_) => {
                        return Err(self.error(format!(
                            "expected ',' or '}}' after a value in an inline table, found {}",
                            self.shown_next()
                        )));
                    }
                }
            }
        }
        Ok(Toml::Table(Table {
            entries,
            origin: Origin::Inline,
        }))
    }

    /// `inf`, `nan`, `+inf`, `-nan`, ….
    fn special_float(&mut self) -> Parsed<Toml> {
        match lex_special_float(self.src, self.pos) {
            Some(end) => {
                let value = special_float_value(&self.src[self.pos..end]);
                self.pos = end;
                Ok(Toml::Float(value))
            }
            None => Err(self.error("expected a value: 'inf' or 'nan'?")),
        }
    }

    /// A date-time, float or integer, tried in toml11's order (`guess_number_type`).
    fn number_or_date_time(&mut self) -> Parsed<Toml> {
        let (src, start) = (self.src, self.pos);
        if let Some(date_time) = self.date_time()? {
            return Ok(date_time);
        }
        if lex_special_float(src, start).is_some() {
            return self.special_float();
        }
        if let Some(end) = lex_float(src, start) {
            if src.get(end) == Some(&b'_') {
                return Err(self.error_at(end, "'_' in a float must be between digits"));
            }
            self.pos = end;
            return Ok(Toml::Float(float_value(&src[start..end])));
        }
        if let Some(end) = lex_integer(src, start) {
            match src.get(end) {
                Some(b'_') => return Err(self.error_at(end, "'_' in an integer must be between digits")),
                Some(c) if c.is_ascii_digit() => {
                    return Err(self.error_at(end - 1, "an integer may not have leading zeros"));
                }
                Some(b':' | b'-') => return Err(self.error_at(end, "invalid date or time")),
                Some(b'.' | b'e' | b'E') => return Err(self.error_at(end, "invalid float")),
                _ => {}
            }
            return self.integer();
        }
        Err(match src.get(start) {
            Some(b'.') => self.error("invalid float: digits are needed before '.'"),
            Some(b'_') => self.error("'_' in a number must be between digits"),
            _ => self.error(format!("expected a value, found {}", self.shown_next())),
        })
    }

    /// An integer the lexer accepted (toml11's `parse_integer`).
    fn integer(&mut self) -> Parsed<Toml> {
        let (src, start) = (self.src, self.pos);
        if src[start] == b'0' {
            let prefixed = match src.get(start + 1) {
                Some(b'b') => Some((lex_prefixed_int(src, start, b'b', is_bin_digit), 2)),
                Some(b'o') => Some((lex_prefixed_int(src, start, b'o', is_oct_digit), 8)),
                Some(b'x') => Some((lex_prefixed_int(src, start, b'x', u8::is_ascii_hexdigit), 16)),
                Some(c) if c.is_ascii_digit() => return Err(self.error("an integer may not have leading zeros")),
                Some(c) if c.is_ascii_alphabetic() => {
                    return Err(self.error("unknown integer prefix: only 0x, 0o and 0b are allowed"));
                }
                _ => None,
            };
            if let Some((end, radix)) = prefixed {
                let Some(end) = end else {
                    return Err(self.error("invalid integer: digits are needed after the prefix"));
                };
                let digits = without_underscores(&src[start + 2..end]);
                self.pos = end;
                return Ok(Toml::Int(if radix == 2 {
                    wrapping_binary_value(&digits)
                } else {
                    saturating_value(&digits, radix, false)
                }));
            }
        }
        let Some(end) = lex_dec_int(src, start) else {
            return Err(self.error("expected an integer"));
        };
        self.pos = end;
        let text = without_underscores(&src[start..end]);
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, &text[..]),
        };
        Ok(Toml::Int(saturating_value(digits, 10, negative)))
    }

    /// A date-time, date or time, if the text starts with one; an invalid one is an error
    /// (toml11 checks the calendar), as are the malformed forms toml11 recognises.
    fn date_time(&mut self) -> Parsed<Option<Toml>> {
        let (src, start) = (self.src, self.pos);
        let Some(date_end) = lex_full_date(src, start) else {
            return match lex_partial_time(src, start) {
                Some(end) => {
                    self.check_time(start)?;
                    self.pos = end;
                    Ok(Some(Toml::DateTime))
                }
                None => Ok(None),
            };
        };
        let time_start = date_end + 1;
        let time_end = matches!(src.get(date_end), Some(b'T' | b't' | b' '))
            .then(|| lex_partial_time(src, time_start))
            .flatten();
        let end = match time_end {
            Some(time_end) => match lex_time_offset(src, time_end) {
                Some(offset_end) => {
                    self.check_offset(time_end)?;
                    offset_end
                }
                None if matches!(src.get(time_end), Some(b'+' | b'-' | b'Z' | b'z')) => {
                    return Err(self.error_at(time_end, "invalid time offset: expected Z or [+-]HH:MM"));
                }
                None => time_end,
            },
            None => {
                let next = src.get(date_end).copied();
                let space_then_digit = next == Some(b' ') && src.get(date_end + 1).is_some_and(u8::is_ascii_digit);
                if matches!(next, Some(b'T' | b't')) || next.is_some_and(|c| c.is_ascii_digit()) || space_then_digit {
                    return Err(self.error_at(date_end, "invalid time: expected HH:MM:SS after the date"));
                }
                date_end
            }
        };
        self.check_date(start)?;
        if time_end.is_some() {
            self.check_time(time_start)?;
        }
        self.pos = end;
        Ok(Some(Toml::DateTime))
    }

    fn two_digits(&self, at: usize) -> u32 {
        self.src[at..at + 2].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    }

    fn check_date(&self, at: usize) -> Parsed<()> {
        let year = self.two_digits(at) * 100 + self.two_digits(at + 2);
        let (month, day) = (self.two_digits(at + 5), self.two_digits(at + 8));
        let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=12).contains(&month) || !(1..=days).contains(&day) {
            return Err(self.error_at(at, "invalid date: the month must be 01-12 and the day exist in it"));
        }
        Ok(())
    }

    fn check_time(&self, at: usize) -> Parsed<()> {
        // A second of 60 is a leap second.
        if self.two_digits(at) > 23 || self.two_digits(at + 3) > 59 || self.two_digits(at + 6) > 60 {
            return Err(self.error_at(at, "invalid time: hours 00-23, minutes 00-59, seconds 00-60"));
        }
        Ok(())
    }

    fn check_offset(&self, at: usize) -> Parsed<()> {
        if matches!(self.src[at], b'+' | b'-') && (self.two_digits(at + 1) > 23 || self.two_digits(at + 4) > 59) {
            return Err(self.error_at(at, "invalid time offset: hours 00-23, minutes 00-59"));
        }
        Ok(())
    }
}

// -- strings ---------------------------------------------------------------------------------------

/// What an escape sequence contributed.
enum Escape {
    /// Decoded into the string.
    Char,
    /// Lexically fine, but names no Unicode scalar value (the string is an error).
    BadCodePoint(String),
    /// Not an escape sequence: the string does not lex.
    Invalid,
}

impl Parser<'_> {
    /// A string value of any of the four kinds.
    fn string(&mut self) -> Parsed<String> {
        let start = self.pos;
        let parsed = if self.starts_with(b"\"\"\"") {
            self.multi_line_basic_string()?
        } else if self.peek() == Some(b'"') {
            self.basic_string()?
        } else if self.starts_with(b"'''") {
            self.multi_line_literal_string()
        } else {
            self.literal_string()
        };
        parsed.ok_or_else(|| self.error_at(start, "invalid string (unclosed, or an invalid escape or character)"))
    }

    /// `"…"`: `None` (nothing consumed) if it does not lex.
    fn basic_string(&mut self) -> Parsed<Option<String>> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        let mut bad = None;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return self.finish_string(out, bad);
                }
                Some(b'\\') => match self.escape(&mut out) {
                    Escape::Char => {}
                    Escape::BadCodePoint(message) => {
                        bad.get_or_insert(self.error(message));
                    }
                    Escape::Invalid => break,
                },
                Some(c) if !is_control(c) => {
                    out.push(c);
                    self.pos += 1;
                }
                _ => break,
            }
        }
        self.pos = start;
        Ok(None)
    }

    /// `"""…"""`: a line end right after the opening quotes is dropped, `\` at a line end
    /// drops the line end and the whitespace after it, one or two `"` may end the text.
    fn multi_line_basic_string(&mut self) -> Parsed<Option<String>> {
        let start = self.pos;
        self.pos += 3;
        self.newline();
        let mut out = Vec::new();
        let mut bad = None;
        loop {
            if self.starts_with(b"\"\"\"") {
                self.close_multi_line(b'"', &mut out);
                return self.finish_string(out, bad);
            }
            match self.peek() {
                Some(b'\\') if self.line_ending_backslash() => {}
                Some(b'\\') => match self.escape(&mut out) {
                    Escape::Char => {}
                    Escape::BadCodePoint(message) => {
                        bad.get_or_insert(self.error(message));
                    }
                    Escape::Invalid => break,
                },
                _ if self.multi_line_text(&mut out) => {}
                _ => break,
            }
        }
        self.pos = start;
        Ok(None)
    }

    /// `'…'`: no escapes.
    fn literal_string(&mut self) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        while let Some(c) = self.peek() {
            if c == b'\'' {
                self.pos += 1;
                return Some(String::from_utf8_lossy(&self.src[start + 1..self.pos - 1]).into_owned());
            }
            if is_control(c) {
                break;
            }
            self.pos += 1;
        }
        self.pos = start;
        None
    }

    /// `'''…'''`: no escapes; a line end right after the opening quotes is dropped.
    fn multi_line_literal_string(&mut self) -> Option<String> {
        let start = self.pos;
        self.pos += 3;
        self.newline();
        let mut out = Vec::new();
        loop {
            if self.starts_with(b"'''") {
                self.close_multi_line(b'\'', &mut out);
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            if !self.multi_line_text(&mut out) {
                break;
            }
        }
        self.pos = start;
        None
    }

    /// One character of a multi-line string's text (a line end kept as written); `false`
    /// where the text cannot go on.
    fn multi_line_text(&mut self, out: &mut Vec<u8>) -> bool {
        match self.peek() {
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                out.extend_from_slice(b"\r\n");
                self.pos += 2;
                true
            }
            Some(c) if c == b'\n' || !is_control(c) => {
                out.push(c);
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// The closing delimiter: three quotes, and up to two more that belong to the text.
    fn close_multi_line(&mut self, quote: u8, out: &mut Vec<u8>) {
        self.pos += 3;
        for _ in 0..2 {
            if self.eat(quote) {
                out.push(quote);
            }
        }
    }

    fn finish_string(&self, out: Vec<u8>, bad: Option<TomlError>) -> Parsed<Option<String>> {
        match bad {
            Some(error) => Err(error),
            // Only whole UTF-8 sequences were copied: every delimiter is ASCII.
            None => Ok(Some(String::from_utf8_lossy(&out).into_owned())),
        }
    }

    /// `\` + optional spaces + a line end, then any whitespace and line ends: dropped.
    fn line_ending_backslash(&mut self) -> bool {
        let start = self.pos;
        self.pos += 1;
        self.skip_ws();
        if !self.newline() {
            self.pos = start;
            return false;
        }
        loop {
            self.skip_ws();
            if !self.newline() {
                return true;
            }
        }
    }

    /// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`, `\UXXXXXXXX`.
    fn escape(&mut self, out: &mut Vec<u8>) -> Escape {
        let simple = match self.peek_at(1) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0C,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => return self.unicode_escape(4, out),
            Some(b'U') => return self.unicode_escape(8, out),
            _ => return Escape::Invalid,
        };
        out.push(simple);
        self.pos += 2;
        Escape::Char
    }

    fn unicode_escape(&mut self, digits: usize, out: &mut Vec<u8>) -> Escape {
        let hex = &self.src[(self.pos + 2).min(self.src.len())..];
        if hex.len() < digits || !hex[..digits].iter().all(u8::is_ascii_hexdigit) {
            return Escape::Invalid;
        }
        let code = hex[..digits]
            .iter()
            .fold(0u32, |n, &d| n * 16 + (d as char).to_digit(16).unwrap_or(0));
        self.pos += 2 + digits;
        match char::from_u32(code) {
            Some(c) => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                Escape::Char
            }
            None if (0xD800..=0xDFFF).contains(&code) => {
                Escape::BadCodePoint(format!("\\u{code:X} is a UTF-16 surrogate, not a Unicode character"))
            }
            None => Escape::BadCodePoint(format!("\\U{code:08X} is beyond the last Unicode character U+10FFFF")),
        }
    }
}

// -- lexing numbers and dates (pure: a start offset in, the end offset out) -----------------------

fn is_bin_digit(c: &u8) -> bool {
    matches!(c, b'0' | b'1')
}

fn is_oct_digit(c: &u8) -> bool {
    (b'0'..=b'7').contains(c)
}

fn is_digit(c: &u8) -> bool {
    c.is_ascii_digit()
}

/// `d (d | _d)*`.
fn lex_digits(s: &[u8], i: usize, digit: fn(&u8) -> bool) -> Option<usize> {
    if !s.get(i).is_some_and(digit) {
        return None;
    }
    let mut j = i + 1;
    loop {
        if s.get(j).is_some_and(digit) {
            j += 1;
        } else if s.get(j) == Some(&b'_') && s.get(j + 1).is_some_and(digit) {
            j += 2;
        } else {
            return Some(j);
        }
    }
}

/// `[+-]? (0 | [1-9] (d | _d)*)`.
fn lex_dec_int(s: &[u8], i: usize) -> Option<usize> {
    let i = if matches!(s.get(i), Some(b'+' | b'-')) {
        i + 1
    } else {
        i
    };
    match s.get(i) {
        Some(b'0') => Some(i + 1),
        Some(_) => lex_digits(s, i, is_digit),
        None => None,
    }
}

/// `0x…`, `0o…`, `0b…` (no sign).
fn lex_prefixed_int(s: &[u8], i: usize, prefix: u8, digit: fn(&u8) -> bool) -> Option<usize> {
    if s.get(i) != Some(&b'0') || s.get(i + 1) != Some(&prefix) {
        return None;
    }
    lex_digits(s, i + 2, digit)
}

fn lex_integer(s: &[u8], i: usize) -> Option<usize> {
    lex_prefixed_int(s, i, b'b', is_bin_digit)
        .or_else(|| lex_prefixed_int(s, i, b'o', is_oct_digit))
        .or_else(|| lex_prefixed_int(s, i, b'x', u8::is_ascii_hexdigit))
        .or_else(|| lex_dec_int(s, i))
}

/// `[+-]? (inf | nan)`.
fn lex_special_float(s: &[u8], i: usize) -> Option<usize> {
    let i = if matches!(s.get(i), Some(b'+' | b'-')) {
        i + 1
    } else {
        i
    };
    let rest = &s[i.min(s.len())..];
    (rest.starts_with(b"inf") || rest.starts_with(b"nan")).then_some(i + 3)
}

/// A special float, or a decimal integer part followed by an exponent, or by a fraction and
/// an optional exponent.
fn lex_float(s: &[u8], i: usize) -> Option<usize> {
    if let Some(end) = lex_special_float(s, i) {
        return Some(end);
    }
    let int_end = lex_dec_int(s, i)?;
    if let Some(end) = lex_exponent(s, int_end) {
        return Some(end);
    }
    if s.get(int_end) != Some(&b'.') {
        return None;
    }
    let fraction_end = lex_digits(s, int_end + 1, is_digit)?;
    Some(lex_exponent(s, fraction_end).unwrap_or(fraction_end))
}

/// `[eE] [+-]? d (d | _d)*` (leading zeros allowed).
fn lex_exponent(s: &[u8], i: usize) -> Option<usize> {
    if !matches!(s.get(i), Some(b'e' | b'E')) {
        return None;
    }
    let i = if matches!(s.get(i + 1), Some(b'+' | b'-')) {
        i + 2
    } else {
        i + 1
    };
    lex_digits(s, i, is_digit)
}

/// `YYYY-MM-DD`.
fn lex_full_date(s: &[u8], i: usize) -> Option<usize> {
    lex_digit_groups(s, i, &[4, 2, 2], b'-')
}

/// `HH:MM:SS` with an optional fraction of a second.
fn lex_partial_time(s: &[u8], i: usize) -> Option<usize> {
    let end = lex_digit_groups(s, i, &[2, 2, 2], b':')?;
    if s.get(end) == Some(&b'.') && s.get(end + 1).is_some_and(u8::is_ascii_digit) {
        let digits = s[end + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        return Some(end + 1 + digits);
    }
    Some(end)
}

/// `Z`, `z` or `[+-]HH:MM`.
fn lex_time_offset(s: &[u8], i: usize) -> Option<usize> {
    match s.get(i) {
        Some(b'Z' | b'z') => Some(i + 1),
        Some(b'+' | b'-') => lex_digit_groups(s, i + 1, &[2, 2], b':'),
        _ => None,
    }
}

/// Groups of exactly the given numbers of digits, separated by `separator`.
fn lex_digit_groups(s: &[u8], mut i: usize, groups: &[usize], separator: u8) -> Option<usize> {
    for (n, &len) in groups.iter().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&separator) {
                return None;
            }
            i += 1;
        }
        if s.len() < i + len || !s[i..i + len].iter().all(u8::is_ascii_digit) {
            return None;
        }
        i += len;
    }
    Some(i)
}

// -- number values -------------------------------------------------------------------------------

fn without_underscores(text: &[u8]) -> String {
    text.iter().filter(|&&c| c != b'_').map(|&c| c as char).collect()
}

fn special_float_value(text: &[u8]) -> f64 {
    let negative = text.first() == Some(&b'-');
    let magnitude = if text.ends_with(b"inf") {
        f64::INFINITY
    } else {
        f64::NAN
    };
    // `-nan` keeps its sign bit (Nix prints it as `-nan`).
    if negative { -magnitude } else { magnitude }
}

/// A decimal float, read as a C++ stream reads it: correctly rounded, and out of range the
/// largest finite float of that sign (not infinity).
fn float_value(text: &[u8]) -> f64 {
    let digits = without_underscores(text);
    let value: f64 = digits.parse().unwrap_or(0.0);
    if value.is_infinite() {
        f64::MAX.copysign(value)
    } else {
        value
    }
}

/// Digits read as a C++ stream reads them into a signed 64-bit integer: out of range, the
/// nearest end of the range.
fn saturating_value(digits: &str, radix: u32, negative: bool) -> i64 {
    let mut magnitude: u128 = 0;
    for d in digits.chars().filter_map(|c| c.to_digit(radix)) {
        magnitude = (magnitude * u128::from(radix) + u128::from(d)).min(u128::from(u64::MAX));
    }
    if negative {
        i64::try_from(-(magnitude as i128)).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    }
}

/// Binary digits summed as toml11 does, in a signed 64-bit integer that wraps around: only the
/// lowest 64 bits count, the 64th being the sign (`0b` and 64 ones is -1).
fn wrapping_binary_value(digits: &str) -> i64 {
    digits
        .bytes()
        .rev()
        .take(64)
        .enumerate()
        .filter(|&(_, d)| d == b'1')
        .fold(0i64, |n, (bit, _)| n.wrapping_add(1i64.wrapping_shl(bit as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Result<Toml, TomlError> {
        parse(text).map(Toml::Table)
    }

    fn get<'a>(t: &'a Table, path: &str) -> &'a Toml {
        let mut keys = path.split('.');
        let mut v = t.entries.get(keys.next().unwrap()).unwrap();
        for k in keys {
            match v {
                Toml::Table(t) => v = t.entries.get(k).unwrap(),
                _ => panic!("not a table at {k}"),
            }
        }
        v
    }

    fn one(text: &str) -> Toml {
        let t = parse(&format!("x = {text}")).unwrap_or_else(|e| panic!("{text}: {e}"));
        get(&t, "x").clone()
    }

    #[test]
    fn integers_as_toml11_reads_them() {
        assert_eq!(one("+99"), Toml::Int(99));
        assert_eq!(one("1_000"), Toml::Int(1000));
        assert_eq!(one("0xdead_BEEF"), Toml::Int(0xdead_beef));
        assert_eq!(one("0o755"), Toml::Int(0o755));
        assert_eq!(one("0b1101"), Toml::Int(13));
        assert_eq!(one("9223372036854775808"), Toml::Int(i64::MAX));
        assert_eq!(one("-9223372036854775809"), Toml::Int(i64::MIN));
        assert_eq!(one("-9223372036854775808"), Toml::Int(i64::MIN));
        assert_eq!(one("0xFFFFFFFFFFFFFFFFFF"), Toml::Int(i64::MAX));
        assert_eq!(one(&format!("0b{}", "1".repeat(65))), Toml::Int(-1));
        assert_eq!(one(&format!("0b1{}", "0".repeat(63))), Toml::Int(i64::MIN));
        assert_eq!(one(&format!("0b1{}", "0".repeat(64))), Toml::Int(0));
        for bad in [
            "0123", "1__0", "_1", "1_", "0x", "0X1", "+0x1", "0b2", "1.", ".5", "1e", "01.5",
        ] {
            assert!(parse(&format!("x = {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn floats_as_toml11_reads_them() {
        assert_eq!(one("+1.0"), Toml::Float(1.0));
        assert_eq!(one("-2E-2"), Toml::Float(-0.02));
        assert_eq!(one("9_224_617.445_991"), Toml::Float(9_224_617.445_991));
        assert_eq!(one("1e400"), Toml::Float(f64::MAX));
        assert_eq!(one("-1e400"), Toml::Float(-f64::MAX));
        assert_eq!(one("1e-400"), Toml::Float(0.0));
        assert_eq!(one("-inf"), Toml::Float(f64::NEG_INFINITY));
        assert!(matches!(one("-nan"), Toml::Float(x) if x.is_nan() && x.is_sign_negative()));
        assert!(matches!(one("nan"), Toml::Float(x) if x.is_nan() && x.is_sign_positive()));
    }

    #[test]
    fn strings_of_all_kinds() {
        assert_eq!(one(r#""a\tb\u00E9\U0001F600""#), Toml::Str("a\tbé😀".into()));
        assert_eq!(one("'C:\\x'"), Toml::Str("C:\\x".into()));
        assert_eq!(one("\"\"\"\nab \\\n   \n  c\"\"\"\"\""), Toml::Str("ab c\"\"".into()));
        assert_eq!(one("'''\r\nx\r\ny''''"), Toml::Str("x\r\ny'".into()));
        assert_eq!(one(r#""\u0000x""#), Toml::Str("\0x".into()));
        for bad in [
            r#""\uD800""#,
            r#""\U00110000""#,
            r#""\x""#,
            "\"a",
            "'a\nb'",
            "\"a\u{1}\"",
            "\"\"\"a\\ b\"\"\"",
        ] {
            assert!(parse(&format!("x = {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_and_times_are_recognised_and_checked() {
        for ok in [
            "1979-05-27T07:32:00Z",
            "1979-05-27 07:32:00.5-07:00",
            "1979-05-27",
            "07:32:00",
            "2000-02-29",
        ] {
            assert_eq!(one(ok), Toml::DateTime, "{ok}");
        }
        for bad in [
            "1979-13-01",
            "1979-02-29",
            "24:00:00",
            "1979-05-27T7:32:00",
            "1979-05-27 7:32",
            "1979-05-27T07:32:00+25:00",
        ] {
            assert!(parse(&format!("x = {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_reopen_as_toml11_allows() {
        let t = parse("a.b = 1\n[a]\nc = 2").unwrap();
        assert_eq!(get(&t, "a.c"), &Toml::Int(2));
        let t = parse("[a.b.c]\n[a]\nx = 1\n[a.b]\ny = 2").unwrap();
        assert_eq!(get(&t, "a.b.y"), &Toml::Int(2));
        let t = parse("a = [{b = 1}]\n[a.c]\nd = 1").unwrap();
        assert!(matches!(get(&t, "a"), Toml::Array(items) if items.len() == 1));
        for bad in [
            "[a]\n[a]",
            "[[a.b]]\n[a]",
            "a = {b = 1}\n[a.c]",
            "a = {b = 1}\na.c = 2",
            "a.b.c = 1\na.b = {}",
            "a = 1\na = 2",
            "a = []\n[a.b]",
            "a = [{}]\n[[a]]",
            "[[a]]\n[a]",
            "[a]\n[[a]]",
            "x = {a = 1, a = 2}",
            "x = {a = 1,}",
            "x = {a = 1\n}",
        ] {
            assert!(value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn layout_rules() {
        assert!(parse("").unwrap().entries.is_empty());
        assert!(parse("\u{feff}a = 1").is_ok());
        assert!(parse("a = 1\r").is_err());
        assert!(parse("a = 1 b = 2").is_err());
        assert!(parse("[a] x").is_err());
        assert!(parse("[a]]").is_err());
        assert!(parse("a = [1,\n# c\n2, ]").is_ok());
        assert!(parse("a = [1,,2]").is_err());
        assert!(parse("a = [1 2]").is_err());
        assert!(parse("= 1").is_err());
        assert!(parse("\"\" = 1").is_ok());
        let depth = 100;
        let deep = format!("a = {}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&deep).is_ok());
    }

    #[test]
    fn errors_are_located() {
        let e = parse("a = 1\nb = ?").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
    }
}
