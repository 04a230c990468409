//! The fast parser: rnix's tokens (from [`lexer`](super::lexer), rnix's tokenizer over bytes)
//! straight into [`ast`](super::ast), without a rowan tree.
//!
//! rnix's parser builds a lossless tree (every token, trivia included, interned in rowan's
//! cache) and recovers from errors; reading that tree back costs as much again. Evaluation
//! only needs the expression, so this parser follows rnix's grammar decision for decision
//! (the same precedence levels, lookaheads and quirks) and builds the small tree directly.
//!
//! It never reports an error: on anything it does not accept — every syntax error, and the
//! rare forms it leaves to rnix (`let { }`, the `or` quirk, `|>`) — it returns `None`, and
//! [`super::parse`] runs rnix's parser, whose tree and first error are the reference. The
//! differential tests check that wherever this parser answers, rnix's tree says the same.

use super::ast::*;
use super::lexer::Lexer;
use super::strings::{RawPart, normalize_indented, plain_string, plain_text};
use crate::source::{FileId, Span};
use crate::syntax::ast::BinOp;
use rnix::SyntaxKind::{self, *};

/// Slots of the lookahead ring (a power of two above the deepest lookahead past the next
/// token, two tokens).
const AHEAD: usize = 4;

/// rnix's recursion limit on nested expressions.
const MAX_DEPTH: u32 = 512;

#[derive(Clone, Copy)]
struct Token {
    kind: SyntaxKind,
    start: u32,
    end: u32,
    /// No whitespace or comment before it: what paths with interpolations need.
    glued: bool,
    /// A text of a `"…"` string with an escape (see [`Lexer::escaped`]).
    escaped: bool,
}

struct Parser<'s> {
    file: FileId,
    text: &'s str,
    /// The tokens (rnix's, from [`super::lexer`]), read as the parser goes: those of a large
    /// file would take more memory than its tree.
    source: Lexer<'s>,
    /// The next token without trivia (`None` where the parser reads no further): what
    /// nearly every look is at, so it is read as the last one is taken.
    next: Option<Token>,
    /// The tokens after it, read ahead only for the deeper lookaheads (at most two): a ring
    /// of `AHEAD` slots from `head`, `waiting` of them filled.
    ahead: [Token; AHEAD],
    head: usize,
    waiting: usize,
    /// The tokenizer found an error, or the tokens nest deeper than `max_nesting`: the text
    /// ends there for this parser, and it declines.
    failed: bool,
    max_nesting: usize,
    /// The end of the last token taken.
    last_end: u32,
    depth: u32,
    scratch: Scratch<'s>,
}

/// Stacks the parts of lists, sets, attribute paths and strings are gathered on while they
/// are parsed (a nested one's above its parent's), then moved out in vectors of their exact
/// size: a large file's tree is held whole until it is lowered, and a vector grown by
/// pushes would have room to spare (or be copied to shrink it). A part is left on a stack
/// only when the parser declines, and then the whole parse ends.
#[derive(Default)]
struct Scratch<'s> {
    items: Vec<Node<'s>>,
    entries: Vec<Entry<'s>>,
    attrs: Vec<Attr<'s>>,
    strings: Vec<RawPart<'s, Box<Node<'s>>>>,
    parts: Vec<StrPart<'s>>,
}

/// The parts pushed on `stack` since it was `mark` long, in a vector of their exact size
/// (copied at once; the stack keeps its room).
fn exact<T>(stack: &mut Vec<T>, mark: usize) -> Vec<T> {
    stack.split_off(mark)
}

/// A part of a string as written: a text token, or an interpolation already parsed.
enum Piece<'s> {
    Text(Token),
    Interp(Box<Node<'s>>),
}

/// What the fast parser read of a whole text.
pub struct WholeText<'s> {
    pub tree: Node<'s>,
    /// The text nests no deeper than the limit, counted as the nesting check counts it (see
    /// [`super::lexer::Nesting`]): the check need not run. `false` where it must decide.
    pub nesting_checked: bool,
}

/// The tree of `text`, or `None` where rnix's parser must decide (or where the tokens nest
/// deeper than `max_nesting`).
pub fn parse(file: FileId, text: &str, max_nesting: usize) -> Option<WholeText<'_>> {
    let mut parser = Parser {
        file,
        text,
        source: super::lexer::tokenize(text),
        next: None,
        ahead: [Token {
            kind: TOKEN_ERROR,
            start: 0,
            end: 0,
            glued: false,
            escaped: false,
        }; AHEAD],
        head: 0,
        waiting: 0,
        failed: false,
        max_nesting,
        last_end: 0,
        depth: 0,
        scratch: Scratch::default(),
    };
    parser.next = parser.read();
    let root = parser.expr()?;
    if parser.peek().is_some() || parser.failed {
        return None;
    }
    Some(WholeText {
        tree: root,
        nesting_checked: !parser.source.nesting().differs,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Assoc {
    Left,
    Right,
    /// `a == b == c` is an error.
    None,
    /// `a ? b.c`: an attribute path follows, not an operand.
    HasAttr,
}

/// Binding strength of the operators rnix's parser climbs through (higher binds tighter).
const IMPLICATION: u8 = 3;
const OR: u8 = 4;
const AND: u8 = 5;
const EQUALITY: u8 = 6;
const COMPARISON: u8 = 7;
const UPDATE: u8 = 8;
/// `!` takes an operand of the `+` level: `!a + b` is `!(a + b)`.
const INVERT: u8 = 9;
const ADDITION: u8 = 10;
const MULTIPLICATION: u8 = 11;
const CONCAT: u8 = 12;
const HAS_ATTR: u8 = 13;

fn infix(kind: SyntaxKind) -> Option<(u8, Assoc, Option<BinOp>)> {
    Some(match kind {
        TOKEN_IMPLICATION => (IMPLICATION, Assoc::Right, Some(BinOp::Implies)),
        TOKEN_OR_OR => (OR, Assoc::Left, Some(BinOp::Or)),
        TOKEN_AND_AND => (AND, Assoc::Left, Some(BinOp::And)),
        TOKEN_EQUAL => (EQUALITY, Assoc::None, Some(BinOp::Eq)),
        TOKEN_NOT_EQUAL => (EQUALITY, Assoc::None, Some(BinOp::NotEq)),
        TOKEN_LESS => (COMPARISON, Assoc::None, Some(BinOp::Less)),
        TOKEN_LESS_OR_EQ => (COMPARISON, Assoc::None, Some(BinOp::LessEq)),
        TOKEN_MORE => (COMPARISON, Assoc::None, Some(BinOp::More)),
        TOKEN_MORE_OR_EQ => (COMPARISON, Assoc::None, Some(BinOp::MoreEq)),
        TOKEN_UPDATE => (UPDATE, Assoc::Right, Some(BinOp::Update)),
        TOKEN_ADD => (ADDITION, Assoc::Left, Some(BinOp::Add)),
        TOKEN_SUB => (ADDITION, Assoc::Left, Some(BinOp::Sub)),
        TOKEN_MUL => (MULTIPLICATION, Assoc::Left, Some(BinOp::Mul)),
        TOKEN_DIV => (MULTIPLICATION, Assoc::Left, Some(BinOp::Div)),
        TOKEN_CONCAT => (CONCAT, Assoc::Right, Some(BinOp::Concat)),
        TOKEN_QUESTION => (HAS_ATTR, Assoc::HasAttr, None),
        _ => return None,
    })
}

/// Tokens that start an argument of a function application (rnix's `is_fn_arg`).
fn starts_argument(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        TOKEN_REC
            | TOKEN_L_BRACE
            | TOKEN_L_BRACK
            | TOKEN_L_PAREN
            | TOKEN_STRING_START
            | TOKEN_IDENT
            | TOKEN_CUR_POS
            | TOKEN_FLOAT
            | TOKEN_INTEGER
            | TOKEN_PATH_ABS
            | TOKEN_PATH_REL
            | TOKEN_PATH_HOME
            | TOKEN_PATH_SEARCH
            | TOKEN_URI
    )
}

type Parsed<'s> = Option<Node<'s>>;

impl<'s> Parser<'s> {
    /// The next token from the lexer: `None` at the end of the text, and from the first
    /// error token on or once the tokens nest deeper than `max_nesting` (the parser stops
    /// before it recurses that deep). Out of line: the lexer is inlined here, once.
    #[inline(never)]
    fn read(&mut self) -> Option<Token> {
        if self.failed {
            return None;
        }
        let (kind, start, end, glued) = self.source.next_significant()?;
        if kind == TOKEN_ERROR || self.source.nesting().deepest > self.max_nesting {
            self.failed = true;
            return None;
        }
        Some(Token {
            kind,
            start: start as u32,
            end: end as u32,
            glued,
            escaped: self.source.escaped(),
        })
    }

    fn peek(&self) -> Option<SyntaxKind> {
        self.next.map(|t| t.kind)
    }

    /// The kind of the token `n` ahead (`0` is the next one).
    fn peek_at(&mut self, n: usize) -> Option<SyntaxKind> {
        if n == 0 {
            return self.peek();
        }
        while self.waiting < n {
            let token = self.read()?;
            self.ahead[(self.head + self.waiting) % AHEAD] = token;
            self.waiting += 1;
        }
        Some(self.ahead[(self.head + n - 1) % AHEAD].kind)
    }

    /// The start of the next token (where a node starting now begins).
    fn start(&self) -> u32 {
        self.next.map_or(self.text.len() as u32, |t| t.start)
    }

    /// Take the next token, and read the one after it.
    fn bump(&mut self) -> Token {
        let token = self.next.expect("bump after a peek");
        self.next = if self.waiting > 0 {
            let after = self.ahead[self.head % AHEAD];
            self.head = (self.head + 1) % AHEAD;
            self.waiting -= 1;
            Some(after)
        } else {
            self.read()
        };
        self.last_end = token.end;
        token
    }

    fn expect(&mut self, kind: SyntaxKind) -> Option<Token> {
        (self.peek() == Some(kind)).then(|| self.bump())
    }

    fn text_of(&self, token: Token) -> &'s str {
        &self.text[token.start as usize..token.end as usize]
    }

    fn span(&self, start: u32) -> Span {
        Span {
            file: self.file,
            start,
            end: self.last_end,
        }
    }

    fn token_span(&self, token: Token) -> Span {
        Span {
            file: self.file,
            start: token.start,
            end: token.end,
        }
    }

    fn node(&self, start: u32, kind: Kind<'s>) -> Node<'s> {
        Node {
            span: self.span(start),
            kind,
        }
    }

    // -- expressions ---------------------------------------------------------------------------

    fn expr(&mut self) -> Parsed<'s> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let parsed = self.expr_inner();
        self.depth -= 1;
        parsed
    }

    fn expr_inner(&mut self) -> Parsed<'s> {
        let start = self.start();
        match self.peek()? {
            TOKEN_LET => {
                self.bump();
                if self.peek() == Some(TOKEN_L_BRACE) {
                    return None; // `let { … }`: rnix's tree decides.
                }
                let entries = self.bindings(TOKEN_IN)?;
                let body = Box::new(self.expr()?);
                Some(self.node(start, Kind::LetIn { entries, body }))
            }
            TOKEN_WITH => {
                self.bump();
                let namespace = self.expr()?;
                self.expect(TOKEN_SEMICOLON)?;
                let body = self.expr()?;
                Some(self.node(start, Kind::With(Box::new(namespace), Box::new(body))))
            }
            TOKEN_IF => {
                self.bump();
                let condition = self.expr()?;
                self.expect(TOKEN_THEN)?;
                let then = self.expr()?;
                self.expect(TOKEN_ELSE)?;
                let otherwise = self.expr()?;
                Some(self.node(
                    start,
                    Kind::IfElse(Box::new(condition), Box::new(then), Box::new(otherwise)),
                ))
            }
            TOKEN_ASSERT => {
                self.bump();
                let condition = self.expr()?;
                self.expect(TOKEN_SEMICOLON)?;
                let body = self.expr()?;
                Some(self.node(start, Kind::Assert(Box::new(condition), Box::new(body))))
            }
            _ => self.operators(IMPLICATION),
        }
    }

    /// Operators binding at least as tightly as `min`, by precedence climbing over rnix's
    /// levels (pipes, `|>` and `<|`, are left to rnix: Nix 2.8 has none).
    fn operators(&mut self, min: u8) -> Parsed<'s> {
        let start = self.start();
        let mut lhs = match self.peek()? {
            TOKEN_INVERT => {
                if min > INVERT {
                    return None;
                }
                self.bump();
                // `!!a` nests; otherwise the operand is of the `+` level.
                let level = if self.peek() == Some(TOKEN_INVERT) {
                    INVERT
                } else {
                    ADDITION
                };
                let operand = self.operators(level)?;
                self.node(start, Kind::Not(Box::new(operand)))
            }
            _ => self.negation()?,
        };
        while let Some((level, assoc, op)) = self.peek().and_then(infix) {
            if level < min {
                break;
            }
            self.bump();
            lhs = match (assoc, op) {
                (Assoc::HasAttr, _) => {
                    let path = self.attrpath()?;
                    self.node(
                        start,
                        Kind::HasAttr {
                            target: Box::new(lhs),
                            path,
                        },
                    )
                }
                (assoc, Some(op)) => {
                    let rhs = self.operators(if assoc == Assoc::Right { level } else { level + 1 })?;
                    let node = self.node(start, Kind::BinOp(op, Box::new(lhs), Box::new(rhs)));
                    if assoc == Assoc::None && self.peek().and_then(infix).is_some_and(|(l, ..)| l == level) {
                        return None;
                    }
                    node
                }
                (_, None) => return None,
            };
        }
        Some(lhs)
    }

    /// An operand that may be negated. Inlined, with [`Self::application`], into the
    /// operator levels: every leaf of the tree passes here, and the negation itself (which
    /// recurses) is rare.
    #[inline]
    fn negation(&mut self) -> Parsed<'s> {
        if self.peek() != Some(TOKEN_SUB) {
            return self.application();
        }
        self.negated()
    }

    /// `-operand`, from its `-`.
    fn negated(&mut self) -> Parsed<'s> {
        let start = self.start();
        self.bump();
        let operand = self.negation()?;
        Some(self.node(start, Kind::Neg(Box::new(operand))))
    }

    #[inline]
    fn application(&mut self) -> Parsed<'s> {
        let start = self.start();
        let mut function = self.simple()?;
        while self.peek().is_some_and(starts_argument) {
            let argument = self.simple()?;
            function = self.node(start, Kind::Apply(Box::new(function), Box::new(argument)));
        }
        Some(function)
    }

    /// A primary expression, with its `.attr.path or default`.
    fn simple(&mut self) -> Parsed<'s> {
        let start = self.start();
        let primary = match self.peek()? {
            TOKEN_L_PAREN => {
                self.bump();
                let inner = self.expr()?;
                self.expect(TOKEN_R_PAREN)?;
                inner
            }
            TOKEN_REC => {
                self.bump();
                self.expect(TOKEN_L_BRACE)?;
                let entries = self.bindings(TOKEN_R_BRACE)?;
                self.node(start, Kind::AttrSet { rec: true, entries })
            }
            TOKEN_L_BRACE => {
                let pattern = matches!(
                    (self.peek_at(1), self.peek_at(2)),
                    (Some(TOKEN_IDENT), Some(TOKEN_COMMA | TOKEN_QUESTION | TOKEN_R_BRACE))
                        | (Some(TOKEN_ELLIPSIS), Some(TOKEN_R_BRACE))
                        | (Some(TOKEN_R_BRACE), Some(TOKEN_COLON | TOKEN_AT))
                );
                self.bump();
                if pattern {
                    let param = self.pattern(None)?;
                    self.expect(TOKEN_COLON)?;
                    let body = self.expr()?;
                    self.node(start, Kind::Lambda(Box::new(Lambda { param, body })))
                } else {
                    let entries = self.bindings(TOKEN_R_BRACE)?;
                    self.node(start, Kind::AttrSet { rec: false, entries })
                }
            }
            TOKEN_L_BRACK => {
                self.bump();
                let mark = self.scratch.items.len();
                while self.peek()? != TOKEN_R_BRACK {
                    let item = self.simple()?;
                    self.scratch.items.push(item);
                }
                self.bump();
                let items = exact(&mut self.scratch.items, mark);
                self.node(start, Kind::List(items))
            }
            TOKEN_STRING_START => {
                let parts = self.string()?;
                self.node(start, Kind::Str(parts))
            }
            TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME | TOKEN_PATH_SEARCH => self.path()?,
            TOKEN_INTEGER | TOKEN_FLOAT | TOKEN_URI => {
                let token = self.bump();
                let kind = match token.kind {
                    TOKEN_INTEGER => LiteralKind::Integer,
                    TOKEN_FLOAT => LiteralKind::Float,
                    _ => LiteralKind::Uri,
                };
                self.node(start, Kind::Literal(kind, self.text_of(token)))
            }
            TOKEN_IDENT => {
                let ident = self.bump();
                let name = self.text_of(ident);
                match self.peek() {
                    Some(TOKEN_COLON) => {
                        self.bump();
                        let param = Param::Ident {
                            name,
                            span: self.token_span(ident),
                        };
                        let body = self.expr()?;
                        self.node(start, Kind::Lambda(Box::new(Lambda { param, body })))
                    }
                    Some(TOKEN_AT) => {
                        self.bump();
                        self.expect(TOKEN_L_BRACE)?;
                        let param = self.pattern(Some((name, self.token_span(ident))))?;
                        self.expect(TOKEN_COLON)?;
                        let body = self.expr()?;
                        self.node(start, Kind::Lambda(Box::new(Lambda { param, body })))
                    }
                    _ if name == "__curPos" => self.node(start, Kind::CurPos),
                    _ => self.node(start, Kind::Ident(name)),
                }
            }
            _ => return None,
        };
        match self.peek() {
            Some(TOKEN_DOT) => {
                self.bump();
                let path = self.attrpath()?;
                let default = if self.peek() == Some(TOKEN_OR) {
                    self.bump();
                    Some(Box::new(self.simple()?))
                } else {
                    None
                };
                Some(self.node(
                    start,
                    Kind::Select {
                        target: Box::new(primary),
                        path,
                        default,
                    },
                ))
            }
            // `f a or b` applies `a` to a variable named `or`: left to rnix.
            Some(TOKEN_OR) => None,
            _ => Some(primary),
        }
    }

    fn path(&mut self) -> Parsed<'s> {
        let first = self.bump();
        let kind = match first.kind {
            TOKEN_PATH_ABS => PathKind::Absolute,
            TOKEN_PATH_REL => PathKind::Relative,
            TOKEN_PATH_HOME => PathKind::Home,
            _ => PathKind::Search,
        };
        let mut parts = vec![PathPart::Lit(self.text_of(first))];
        if kind != PathKind::Search && self.peek() == Some(TOKEN_INTERPOL_START) {
            // Only an interpolation right after the path text belongs to it.
            while let Some(next) = self.next.filter(|t| t.glued) {
                match next.kind {
                    TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME => {
                        self.bump();
                        parts.push(PathPart::Lit(self.text_of(next)));
                    }
                    TOKEN_INTERPOL_START => parts.push(PathPart::Interp(self.interpolation()?)),
                    _ => break,
                }
            }
            if parts.len() == 1 {
                return None;
            }
        }
        Some(self.node(first.start, Kind::Path(kind, parts.into_boxed_slice())))
    }

    /// `${ e }`, from its `${`.
    fn interpolation(&mut self) -> Option<Box<Node<'s>>> {
        self.expect(TOKEN_INTERPOL_START)?;
        let inner = self.expr()?;
        self.expect(TOKEN_INTERPOL_END)?;
        Some(Box::new(inner))
    }

    /// A string from its opening quote: its parts, normalised.
    fn string(&mut self) -> Option<Box<[StrPart<'s>]>> {
        let open = self.expect(TOKEN_STRING_START)?;
        if self.text_of(open) == "''" {
            return self.indented_string();
        }
        // The most common string, `"text"` alone, is made without the stack.
        if self.peek() == Some(TOKEN_STRING_CONTENT) && self.peek_at(1) == Some(TOKEN_STRING_END) {
            let text = self.bump();
            self.bump();
            return Some(plain_string(self.text_of(text), text.escaped));
        }
        self.string_parts()
    }

    /// The parts of a `''…''` string after its opening quotes, normalised once all are read
    /// (the indentation stripped is the least of all lines).
    fn indented_string(&mut self) -> Option<Box<[StrPart<'s>]>> {
        let mark = self.scratch.strings.len();
        while let Some(piece) = self.string_piece()? {
            let raw = match piece {
                Piece::Text(token) => RawPart::Lit(self.text_of(token)),
                Piece::Interp(inner) => RawPart::Interp(inner),
            };
            self.scratch.strings.push(raw);
        }
        Some(normalize_indented(exact(&mut self.scratch.strings, mark)))
    }

    /// The parts of a `"…"` string after its opening quote, made as they are read: such a
    /// string's texts only need their escapes resolved (never adjacent, one between two
    /// interpolations), and only where the lexer saw one.
    fn string_parts(&mut self) -> Option<Box<[StrPart<'s>]>> {
        let mark = self.scratch.parts.len();
        while let Some(piece) = self.string_piece()? {
            let part = match piece {
                Piece::Text(token) => plain_text(self.text_of(token), token.escaped),
                Piece::Interp(inner) => StrPart::Interp(inner),
            };
            self.scratch.parts.push(part);
        }
        Some(exact(&mut self.scratch.parts, mark).into_boxed_slice())
    }

    /// The next part of a string as written: `Some(None)` at its end (the closing quote
    /// taken), `None` where the parser declines.
    fn string_piece(&mut self) -> Option<Option<Piece<'s>>> {
        Some(match self.peek()? {
            TOKEN_STRING_CONTENT => Some(Piece::Text(self.bump())),
            TOKEN_INTERPOL_START => Some(Piece::Interp(self.interpolation()?)),
            TOKEN_STRING_END => {
                self.bump();
                None
            }
            _ => return None,
        })
    }

    // -- bindings and attribute paths --------------------------------------------------------

    /// The bindings of a set or `let`, through the token that closes them.
    fn bindings(&mut self, until: SyntaxKind) -> Option<Vec<Entry<'s>>> {
        let mark = self.scratch.entries.len();
        loop {
            let next = self.peek()?;
            if next == until {
                self.bump();
                return Some(exact(&mut self.scratch.entries, mark));
            }
            if next == TOKEN_INHERIT {
                self.bump();
                let from = if self.peek() == Some(TOKEN_L_PAREN) {
                    self.bump();
                    let from = self.expr()?;
                    self.expect(TOKEN_R_PAREN)?;
                    Some(Box::new(from))
                } else {
                    None
                };
                let attrs_mark = self.scratch.attrs.len();
                while self.peek()? != TOKEN_SEMICOLON {
                    let attr = self.attr()?;
                    self.scratch.attrs.push(attr);
                }
                self.bump();
                let attrs = exact(&mut self.scratch.attrs, attrs_mark).into_boxed_slice();
                self.scratch.entries.push(Entry::Inherit { from, attrs });
            } else {
                let path = self.attrpath()?;
                self.expect(TOKEN_ASSIGN)?;
                let value = self.expr()?;
                self.expect(TOKEN_SEMICOLON)?;
                self.scratch.entries.push(Entry::Value { path, value });
            }
        }
    }

    fn attrpath(&mut self) -> Option<Box<[Attr<'s>]>> {
        let first = self.attr()?;
        if self.peek() != Some(TOKEN_DOT) {
            return Some(Box::new([first]));
        }
        let mark = self.scratch.attrs.len();
        self.scratch.attrs.push(first);
        while self.peek() == Some(TOKEN_DOT) {
            self.bump();
            let attr = self.attr()?;
            self.scratch.attrs.push(attr);
        }
        Some(exact(&mut self.scratch.attrs, mark).into_boxed_slice())
    }

    fn attr(&mut self) -> Option<Attr<'s>> {
        let start = self.start();
        let kind = match self.peek()? {
            TOKEN_INTERPOL_START => AttrKind::Dynamic(self.interpolation()?),
            TOKEN_STRING_START => AttrKind::Str(self.string()?),
            TOKEN_IDENT | TOKEN_OR => {
                let token = self.bump();
                AttrKind::Ident(self.text_of(token))
            }
            _ => return None,
        };
        Some(Attr {
            span: self.span(start),
            kind,
        })
    }

    /// The formals of a function after their `{`, and the `@` binding on either side.
    fn pattern(&mut self, bind: Option<(&'s str, Span)>) -> Option<Param<'s>> {
        let mut entries = Vec::new();
        let mut ellipsis = false;
        loop {
            match self.peek()? {
                TOKEN_R_BRACE => {
                    self.bump();
                    break;
                }
                TOKEN_ELLIPSIS => {
                    self.bump();
                    self.expect(TOKEN_R_BRACE)?;
                    ellipsis = true;
                    break;
                }
                TOKEN_IDENT => {
                    let ident = self.bump();
                    let default = if self.peek() == Some(TOKEN_QUESTION) {
                        self.bump();
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    entries.push(PatEntry {
                        name: self.text_of(ident),
                        span: self.token_span(ident),
                        default,
                    });
                    if self.peek() == Some(TOKEN_COMMA) {
                        self.bump();
                    } else {
                        self.expect(TOKEN_R_BRACE)?;
                        break;
                    }
                }
                _ => return None,
            }
        }
        let bind = match (bind, self.peek()) {
            (Some(_), Some(TOKEN_AT)) => return None,
            (None, Some(TOKEN_AT)) => {
                self.bump();
                let ident = self.expect(TOKEN_IDENT)?;
                Some((self.text_of(ident), self.token_span(ident)))
            }
            (bind, _) => bind,
        };
        Some(Param::Pattern {
            entries,
            ellipsis,
            bind,
        })
    }
}
