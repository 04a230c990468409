//! rnix's tree → [`ast`](super::ast): the reference reading, used when the fast parser
//! declines a file, and by the tests that hold the two parsers to the same answer.
//!
//! Called only on trees without parse errors, so a missing child is unexpected; it is still
//! reported (located) rather than trusted away.

use super::ast::*;
use super::span_of;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::BinOp;
use rnix::ast::{self, HasEntry, InterpolPart};
use rowan::ast::AstNode;
use std::borrow::Cow;

type Converted<T> = Result<T, Box<Diagnostic>>;

pub fn convert<'s>(file: FileId, text: &'s str, root: &ast::Root) -> Converted<Node<'s>> {
    let cx = Cx { file, text };
    match root.expr() {
        Some(e) => cx.expr(&e),
        None => Err(Box::new(
            Diagnostic::new(Code::NixSyntax, "syntax error: the file has no expression").at(cx.span(root.syntax()), ""),
        )),
    }
}

struct Cx<'s> {
    file: FileId,
    text: &'s str,
}

impl<'s> Cx<'s> {
    fn span(&self, node: &rnix::SyntaxNode) -> Span {
        span_of(self.file, node.text_range())
    }

    /// The source text of a node (borrowed from the file, not rebuilt from rowan).
    fn text_of(&self, node: &rnix::SyntaxNode) -> &'s str {
        &self.text[node.text_range()]
    }

    fn missing(&self, node: &rnix::SyntaxNode, what: &str) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(Code::NixSyntax, format!("syntax error: missing {what}")).at(self.span(node), ""))
    }

    fn boxed(&self, e: Option<ast::Expr>, parent: &rnix::SyntaxNode, what: &str) -> Converted<Box<Node<'s>>> {
        let e = e.ok_or_else(|| self.missing(parent, what))?;
        Ok(Box::new(self.expr(&e)?))
    }

    fn expr(&self, e: &ast::Expr) -> Converted<Node<'s>> {
        let span = self.span(e.syntax());
        let kind = match e {
            ast::Expr::Paren(p) => {
                // rnix takes any token as the closing one; Nix does not.
                let close = p.syntax().last_token();
                if let Some(close) = close.filter(|t| t.kind() != rnix::SyntaxKind::TOKEN_R_PAREN) {
                    return Err(Box::new(
                        Diagnostic::new(Code::NixSyntax, "syntax error: expected ')'")
                            .at(span_of(self.file, close.text_range()), "expected ')' here")
                            .also(span, "this parenthesis is not closed"),
                    ));
                }
                return match p.expr() {
                    Some(inner) => self.expr(&inner),
                    None => Err(self.missing(p.syntax(), "expression in parentheses")),
                };
            }
            ast::Expr::Root(r) => {
                return match r.expr() {
                    Some(inner) => self.expr(&inner),
                    None => Err(self.missing(r.syntax(), "expression")),
                };
            }
            ast::Expr::Literal(l) => {
                let kind = match l.kind() {
                    ast::LiteralKind::Integer(_) => LiteralKind::Integer,
                    ast::LiteralKind::Float(_) => LiteralKind::Float,
                    ast::LiteralKind::Uri(_) => LiteralKind::Uri,
                };
                Kind::Literal(kind, self.text_of(l.syntax()))
            }
            ast::Expr::Ident(i) => Kind::Ident(self.text_of(i.syntax())),
            ast::Expr::Str(s) => Kind::Str(self.string(s)?),
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) | ast::Expr::PathHome(_) | ast::Expr::PathSearch(_) => {
                self.path(e)?
            }
            ast::Expr::List(l) => Kind::List(l.items().map(|i| self.expr(&i)).collect::<Converted<_>>()?),
            ast::Expr::AttrSet(set) => Kind::AttrSet {
                rec: set.rec_token().is_some(),
                entries: self.entries(set)?,
            },
            ast::Expr::LetIn(l) => Kind::LetIn {
                entries: self.entries(l)?,
                body: self.boxed(l.body(), l.syntax(), "body of let")?,
            },
            ast::Expr::LegacyLet(l) => Kind::LegacyLet(self.entries(l)?),
            ast::Expr::Lambda(l) => {
                let param = l.param().ok_or_else(|| self.missing(l.syntax(), "parameter"))?;
                Kind::Lambda(Box::new(Lambda {
                    param: self.param(&param)?,
                    body: *self.boxed(l.body(), l.syntax(), "body")?,
                }))
            }
            ast::Expr::Apply(a) => Kind::Apply(
                self.boxed(a.lambda(), a.syntax(), "function")?,
                self.boxed(a.argument(), a.syntax(), "argument")?,
            ),
            ast::Expr::Select(s) => {
                let path = s.attrpath().ok_or_else(|| self.missing(s.syntax(), "attribute path"))?;
                Kind::Select {
                    target: self.boxed(s.expr(), s.syntax(), "expression")?,
                    path: self.attrpath(&path)?,
                    default: s.default_expr().map(|d| self.expr(&d).map(Box::new)).transpose()?,
                }
            }
            ast::Expr::HasAttr(h) => {
                let path = h.attrpath().ok_or_else(|| self.missing(h.syntax(), "attribute path"))?;
                Kind::HasAttr {
                    target: self.boxed(h.expr(), h.syntax(), "expression")?,
                    path: self.attrpath(&path)?,
                }
            }
            ast::Expr::IfElse(i) => Kind::IfElse(
                self.boxed(i.condition(), i.syntax(), "condition")?,
                self.boxed(i.body(), i.syntax(), "then branch")?,
                self.boxed(i.else_body(), i.syntax(), "else branch")?,
            ),
            ast::Expr::Assert(a) => Kind::Assert(
                self.boxed(a.condition(), a.syntax(), "condition")?,
                self.boxed(a.body(), a.syntax(), "body")?,
            ),
            ast::Expr::With(w) => Kind::With(
                self.boxed(w.namespace(), w.syntax(), "namespace")?,
                self.boxed(w.body(), w.syntax(), "body")?,
            ),
            ast::Expr::BinOp(b) => {
                let op = b.operator().ok_or_else(|| self.missing(b.syntax(), "operator"))?;
                Kind::BinOp(
                    bin_op(op),
                    self.boxed(b.lhs(), b.syntax(), "left operand")?,
                    self.boxed(b.rhs(), b.syntax(), "right operand")?,
                )
            }
            ast::Expr::UnaryOp(u) => {
                let inner = self.boxed(u.expr(), u.syntax(), "operand")?;
                match u.operator() {
                    Some(ast::UnaryOpKind::Invert) => Kind::Not(inner),
                    Some(ast::UnaryOpKind::Negate) => Kind::Neg(inner),
                    None => return Err(self.missing(u.syntax(), "operator")),
                }
            }
            ast::Expr::CurPos(_) => Kind::CurPos,
            ast::Expr::Error(err) => {
                return Err(Box::new(
                    Diagnostic::new(Code::NixSyntax, "syntax error").at(self.span(err.syntax()), ""),
                ));
            }
        };
        Ok(Node { span, kind })
    }

    fn string(&self, s: &ast::Str) -> Converted<Box<[StrPart<'s>]>> {
        s.normalized_parts()
            .into_iter()
            .map(|part| match part {
                InterpolPart::Literal(text) => Ok(StrPart::Lit(Cow::Owned(text))),
                InterpolPart::Interpolation(i) => {
                    let inner = i
                        .expr()
                        .ok_or_else(|| self.missing(i.syntax(), "interpolated expression"))?;
                    Ok(StrPart::Interp(Box::new(self.expr(&inner)?)))
                }
            })
            .collect()
    }

    fn path(&self, e: &ast::Expr) -> Converted<Kind<'s>> {
        let kind = match e {
            ast::Expr::PathAbs(_) => PathKind::Absolute,
            ast::Expr::PathRel(_) => PathKind::Relative,
            ast::Expr::PathHome(_) => PathKind::Home,
            _ => PathKind::Search,
        };
        if kind == PathKind::Search {
            return Ok(Kind::Path(kind, Box::new([PathPart::Lit(self.text_of(e.syntax()))])));
        }
        // rnix's own `parts()` panics on a path whose node holds trivia (`./a ${b}`, which rnix
        // accepts): read the children here, and refuse what is not path text or `${…}`.
        let mut parts = Vec::new();
        for child in e.syntax().children_with_tokens() {
            parts.push(match child {
                rowan::NodeOrToken::Token(t)
                    if matches!(
                        t.kind(),
                        rnix::SyntaxKind::TOKEN_PATH_ABS
                            | rnix::SyntaxKind::TOKEN_PATH_REL
                            | rnix::SyntaxKind::TOKEN_PATH_HOME
                    ) =>
                {
                    PathPart::Lit(&self.text[t.text_range()])
                }
                rowan::NodeOrToken::Node(n) if let Some(i) = ast::Interpol::cast(n.clone()) => {
                    let inner = i
                        .expr()
                        .ok_or_else(|| self.missing(i.syntax(), "interpolated expression"))?;
                    PathPart::Interp(Box::new(self.expr(&inner)?))
                }
                other => {
                    let span = span_of(self.file, other.text_range());
                    return Err(Box::new(
                        Diagnostic::new(
                            Code::NixSyntax,
                            "syntax error: an interpolation must follow the path without a space",
                        )
                        .at(span, "not part of the path"),
                    ));
                }
            });
        }
        Ok(Kind::Path(kind, parts.into_boxed_slice()))
    }

    fn entries(&self, node: &impl HasEntry) -> Converted<Vec<Entry<'s>>> {
        let mut entries = Vec::new();
        for entry in node.entries() {
            entries.push(match entry {
                ast::Entry::Inherit(inherit) => {
                    let from = match inherit.from() {
                        Some(f) => {
                            let e = f.expr().ok_or_else(|| self.missing(f.syntax(), "expression"))?;
                            Some(Box::new(self.expr(&e)?))
                        }
                        None => None,
                    };
                    let attrs = inherit.attrs().map(|a| self.attr(&a)).collect::<Converted<_>>()?;
                    Entry::Inherit { from, attrs }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let path = apv
                        .attrpath()
                        .ok_or_else(|| self.missing(apv.syntax(), "attribute path"))?;
                    let value = apv.value().ok_or_else(|| self.missing(apv.syntax(), "value"))?;
                    Entry::Value {
                        path: self.attrpath(&path)?,
                        value: self.expr(&value)?,
                    }
                }
            });
        }
        Ok(entries)
    }

    fn attrpath(&self, path: &ast::Attrpath) -> Converted<Box<[Attr<'s>]>> {
        path.attrs().map(|a| self.attr(&a)).collect()
    }

    fn attr(&self, attr: &ast::Attr) -> Converted<Attr<'s>> {
        let kind = match attr {
            ast::Attr::Ident(i) => AttrKind::Ident(self.text_of(i.syntax())),
            ast::Attr::Str(s) => AttrKind::Str(self.string(s)?),
            ast::Attr::Dynamic(d) => AttrKind::Dynamic(self.boxed(d.expr(), d.syntax(), "expression")?),
        };
        Ok(Attr {
            span: self.span(attr.syntax()),
            kind,
        })
    }

    fn param(&self, param: &ast::Param) -> Converted<Param<'s>> {
        match param {
            ast::Param::IdentParam(p) => {
                let ident = p.ident().ok_or_else(|| self.missing(p.syntax(), "parameter name"))?;
                Ok(Param::Ident {
                    name: self.text_of(ident.syntax()),
                    span: self.span(ident.syntax()),
                })
            }
            ast::Param::Pattern(p) => {
                let mut entries = Vec::new();
                for entry in p.pat_entries() {
                    let ident = entry
                        .ident()
                        .ok_or_else(|| self.missing(entry.syntax(), "argument name"))?;
                    entries.push(PatEntry {
                        name: self.text_of(ident.syntax()),
                        span: self.span(ident.syntax()),
                        default: entry.default().map(|d| self.expr(&d)).transpose()?,
                    });
                }
                let bind = p
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .map(|ident| (self.text_of(ident.syntax()), self.span(ident.syntax())));
                Ok(Param::Pattern {
                    entries,
                    ellipsis: p.ellipsis_token().is_some(),
                    bind,
                })
            }
        }
    }
}

fn bin_op(op: ast::BinOpKind) -> BinOp {
    use ast::BinOpKind as K;
    match op {
        K::Concat => BinOp::Concat,
        K::Update => BinOp::Update,
        K::Add => BinOp::Add,
        K::Sub => BinOp::Sub,
        K::Mul => BinOp::Mul,
        K::Div => BinOp::Div,
        K::And => BinOp::And,
        K::Equal => BinOp::Eq,
        K::Implication => BinOp::Implies,
        K::Less => BinOp::Less,
        K::LessOrEq => BinOp::LessEq,
        K::More => BinOp::More,
        K::MoreOrEq => BinOp::MoreEq,
        K::NotEqual => BinOp::NotEq,
        K::Or => BinOp::Or,
        K::PipeRight => BinOp::PipeRight,
        K::PipeLeft => BinOp::PipeLeft,
    }
}
