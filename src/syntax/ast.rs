//! The syntax tree the evaluator's lowering reads: one small, owned tree per file.
//!
//! Both parsers of [`crate::syntax`] build it — the fast one over rnix's tokens, and the
//! conversion of rnix's own tree — so lowering has one input and the two parsers can be
//! compared node for node (`PartialEq`, `Debug`). It keeps exactly what lowering needs:
//! every span lowering reports, string literals already unescaped and de-indented as rnix's
//! `normalized_parts` does, and no parentheses (they only group).

use crate::source::Span;
use std::borrow::Cow;

#[derive(Debug, PartialEq)]
pub struct Node<'s> {
    pub span: Span,
    pub kind: Kind<'s>,
}

#[derive(Debug, PartialEq)]
pub enum Kind<'s> {
    /// A number or URI, as written (lowering turns it into a value, or reports an overflow).
    Literal(LiteralKind, &'s str),
    Ident(&'s str),
    Str(Box<[StrPart<'s>]>),
    /// `/a`, `./a`, `~/a` (with interpolations) or `<a>` (`parts` is its text): the literal
    /// parts are the path tokens as written.
    Path(PathKind, Box<[PathPart<'s>]>),
    List(Vec<Node<'s>>),
    AttrSet {
        rec: bool,
        entries: Vec<Entry<'s>>,
    },
    LetIn {
        entries: Vec<Entry<'s>>,
        body: Box<Node<'s>>,
    },
    /// `let { …; body = …; }`.
    LegacyLet(Vec<Entry<'s>>),
    Lambda(Box<Lambda<'s>>),
    Apply(Box<Node<'s>>, Box<Node<'s>>),
    Select {
        target: Box<Node<'s>>,
        path: Box<[Attr<'s>]>,
        default: Option<Box<Node<'s>>>,
    },
    HasAttr {
        target: Box<Node<'s>>,
        path: Box<[Attr<'s>]>,
    },
    IfElse(Box<Node<'s>>, Box<Node<'s>>, Box<Node<'s>>),
    Assert(Box<Node<'s>>, Box<Node<'s>>),
    With(Box<Node<'s>>, Box<Node<'s>>),
    BinOp(BinOp, Box<Node<'s>>, Box<Node<'s>>),
    Not(Box<Node<'s>>),
    Neg(Box<Node<'s>>),
    CurPos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    Integer,
    Float,
    Uri,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    Absolute,
    Relative,
    Home,
    Search,
}

/// A part of a string: text with escapes and indentation already resolved (still the
/// source's text where nothing needed resolving), or `${…}`.
#[derive(Debug, PartialEq)]
pub enum StrPart<'s> {
    Lit(Cow<'s, str>),
    Interp(Box<Node<'s>>),
}

#[derive(Debug, PartialEq)]
pub enum PathPart<'s> {
    Lit(&'s str),
    Interp(Box<Node<'s>>),
}

#[derive(Debug, PartialEq)]
pub struct Lambda<'s> {
    pub param: Param<'s>,
    pub body: Node<'s>,
}

#[derive(Debug, PartialEq)]
pub enum Entry<'s> {
    /// `inherit a b;` or `inherit (from) a b;`.
    Inherit {
        from: Option<Box<Node<'s>>>,
        attrs: Box<[Attr<'s>]>,
    },
    /// `a.b.c = value;`
    Value { path: Box<[Attr<'s>]>, value: Node<'s> },
}

/// One name of an attribute path, with the span of its syntax.
#[derive(Debug, PartialEq)]
pub struct Attr<'s> {
    pub span: Span,
    pub kind: AttrKind<'s>,
}

#[derive(Debug, PartialEq)]
pub enum AttrKind<'s> {
    /// `a` (also `or`, which is a valid attribute name).
    Ident(&'s str),
    /// `"a"` or `"a${b}"`.
    Str(Box<[StrPart<'s>]>),
    /// `${e}`.
    Dynamic(Box<Node<'s>>),
}

#[derive(Debug, PartialEq)]
pub enum Param<'s> {
    Ident {
        name: &'s str,
        span: Span,
    },
    Pattern {
        entries: Vec<PatEntry<'s>>,
        ellipsis: bool,
        /// `args @ { … }` or `{ … } @ args`.
        bind: Option<(&'s str, Span)>,
    },
}

#[derive(Debug, PartialEq)]
pub struct PatEntry<'s> {
    pub name: &'s str,
    pub span: Span,
    pub default: Option<Node<'s>>,
}

#[cfg(test)]
mod tests {
    /// The tree of a large file is held whole between parsing and lowering: its nodes stay
    /// small (big variants are boxed, lists are boxed slices).
    #[test]
    fn nodes_stay_small() {
        assert!(
            std::mem::size_of::<super::Node>() <= 56,
            "{}",
            std::mem::size_of::<super::Node>()
        );
        assert!(
            std::mem::size_of::<super::Attr>() <= 40,
            "{}",
            std::mem::size_of::<super::Attr>()
        );
        assert!(std::mem::size_of::<super::StrPart>() <= 24);
    }
}

/// A binary operator (`a + b`, `a // b`, `a -> b`, `a |> f`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Concat,
    Update,
    And,
    Or,
    Implies,
    Eq,
    NotEq,
    Less,
    LessEq,
    More,
    MoreEq,
    PipeRight,
    PipeLeft,
}
