//! The lowered program: the syntax tree ([`crate::syntax::ast`]) turned into expressions
//! whose variables are resolved (to a frame depth and slot, a builtin, or a `with` lookup)
//! and whose attribute paths are folded into nested sets. Every expression keeps its span.

use super::value::{Thunk, Value};
use crate::source::Span;
pub use crate::syntax::ast::BinOp;
use std::rc::Rc;

pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
    /// For a literal, its value as one shared, evaluated thunk: a literal passed as an
    /// argument or held in a list or set then costs no allocation of its own.
    pub constant: Option<Thunk>,
}

impl Expr {
    pub fn new(span: Span, kind: ExprKind) -> Expr {
        let constant = match &kind {
            ExprKind::Const(v) => Some(Thunk::ready(v.clone(), span)),
            _ => None,
        };
        Expr { span, kind, constant }
    }
}

/// A tag byte of its own (not a niche in a field): the machine matches on the kind of every
/// expression it evaluates, and a byte is read in one instruction.
#[repr(u8)]
pub enum ExprKind {
    /// A literal: number, string without interpolation, path without interpolation.
    Const(Value),
    Var(Var),
    /// A string with interpolations.
    Str(Vec<StrPart>),
    /// A path with interpolations; the first part is already absolute.
    Path(Vec<StrPart>),
    /// `<name>`: looked up in the search path, which netns-compile does not have.
    SearchPath(Rc<str>),
    List(Vec<Rc<Expr>>),
    Attrs(Rc<AttrsDef>),
    Let(Rc<AttrsDef>, Rc<Expr>),
    Lambda(Rc<LambdaDef>),
    Apply(Rc<Expr>, Rc<Expr>),
    Select(Rc<Expr>, Vec<Key>, Option<Rc<Expr>>),
    HasAttr(Rc<Expr>, Vec<Key>),
    If(Rc<Expr>, Rc<Expr>, Rc<Expr>),
    Assert(Rc<Expr>, Rc<Expr>),
    With(Rc<Expr>, Rc<Expr>),
    BinOp(BinOp, Rc<Expr>, Rc<Expr>),
    Not(Rc<Expr>),
    Neg(Rc<Expr>),
    CurPos,
}

pub enum StrPart {
    Lit(Rc<str>),
    Interp(Rc<Expr>),
}

#[derive(Clone)]
pub enum Var {
    /// A binding of a `let`, `rec` set or lambda (or a variable of a `scopedImport`'s
    /// scope): `depth` frames up, slot `index`.
    Local { depth: u32, index: u32 },
    /// A name of the base environment (`builtins`, `true`, `map`, …).
    Global(Rc<str>),
    /// Not bound lexically: searched in the enclosing `with` sets at run time.
    With(Rc<str>),
}

pub struct Key {
    pub span: Span,
    pub kind: KeyKind,
}

pub enum KeyKind {
    Static(Rc<str>),
    Dynamic(Rc<Expr>),
}

/// An attrset literal, a `rec` set or the bindings of a `let`.
pub struct AttrsDef {
    pub rec: bool,
    /// Statically named attributes; in a `rec` set or `let`, slot `i` of the new frame is
    /// `statics[i]`.
    pub statics: Vec<Binding>,
    pub dynamics: Vec<DynamicBinding>,
    /// The `e` of each `inherit (e) …`, evaluated once per evaluation of the set.
    pub inherit_from: Vec<Rc<Expr>>,
    /// In a `rec` set (not a `let`): the index in `statics` of its `__overrides` attribute,
    /// whose attributes replace the set's own, in the set and in its frame.
    pub overrides: Option<usize>,
    /// The indices of `statics` in name order (Nix's key order, byte-wise), found once here:
    /// each evaluation of the set then builds its attributes in order, sorting nothing.
    /// Empty when `statics` are written in name order already (most generated sets).
    order: Box<[u32]>,
}

impl AttrsDef {
    pub fn new(
        rec: bool,
        statics: Vec<Binding>,
        dynamics: Vec<DynamicBinding>,
        inherit_from: Vec<Rc<Expr>>,
        overrides: Option<usize>,
    ) -> AttrsDef {
        let name = |i: u32| statics[i as usize].name.as_bytes();
        let mut order: Vec<u32> = Vec::new();
        if !statics.is_sorted_by(|a, b| a.name.as_bytes() < b.name.as_bytes()) {
            order.extend(0..statics.len() as u32);
            order.sort_by(|&a, &b| name(a).cmp(name(b)));
        }
        AttrsDef {
            rec,
            statics,
            dynamics,
            inherit_from,
            overrides,
            order: order.into_boxed_slice(),
        }
    }

    /// The indices of `statics`, in name order.
    pub fn name_order(&self) -> impl Iterator<Item = usize> + '_ {
        let written_in_order = self.order.is_empty();
        (0..self.statics.len()).map(move |i| if written_in_order { i } else { self.order[i] as usize })
    }
}

pub struct Binding {
    pub name: Rc<str>,
    pub key_span: Span,
    pub value: BindValue,
}

pub enum BindValue {
    Expr(Rc<Expr>),
    /// `inherit x;`: the variable as seen from outside the set.
    Inherit(Var, Span),
    /// `inherit (e) x;`: attribute `x` of `inherit_from[i]`.
    InheritFrom(usize, Span),
}

pub struct DynamicBinding {
    pub key: Rc<Expr>,
    pub key_span: Span,
    pub value: Rc<Expr>,
}

pub struct LambdaDef {
    pub span: Span,
    pub param: Param,
    pub body: Rc<Expr>,
}

pub enum Param {
    Ident(Rc<str>),
    /// `{ a, b ? d, ... } @ x`: slots are the entries in order, then `x`.
    Pattern {
        entries: Vec<PatternEntry>,
        ellipsis: bool,
        bind: Option<Rc<str>>,
    },
}

pub struct PatternEntry {
    pub name: Rc<str>,
    pub span: Span,
    pub default: Option<Rc<Expr>>,
}
