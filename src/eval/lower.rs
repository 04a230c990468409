//! Lowering: rnix's syntax tree → [`ir`](super::ir) expressions.
//!
//! Done once per file, before evaluation, so that what Nix reports when it parses a file is
//! reported here too, even in code that is never evaluated: undefined variables (outside any
//! `with`), attributes defined twice, dynamic attributes in `let`, malformed numbers.

use super::ir::*;
use super::value::Value;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::span_of;
use rnix::ast::{self, HasEntry, InterpolPart};
use rowan::ast::AstNode;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub type LowerResult<T> = Result<T, Box<Diagnostic>>;

/// What the lowering needs to know about the file and the base environment.
pub struct LowerContext<'a> {
    pub file: FileId,
    /// The directory relative paths are resolved against (absolute, canonical).
    pub base_dir: String,
    /// Names of the base environment (`builtins`, `true`, `map`, …).
    pub globals: &'a HashSet<Rc<str>>,
}

enum ScopeFrame {
    Names(HashMap<Rc<str>, u32>),
    With,
}

struct Lowerer<'a> {
    cx: &'a LowerContext<'a>,
    scopes: Vec<ScopeFrame>,
}

/// Lower the expression of a parsed file.
pub fn lower_root(cx: &LowerContext<'_>, root: &ast::Root) -> LowerResult<Rc<Expr>> {
    let mut lowerer = Lowerer { cx, scopes: Vec::new() };
    let span = lowerer.span(root.syntax());
    match root.expr() {
        Some(e) => lowerer.expr(&e),
        None => Err(Box::new(
            Diagnostic::new(Code::NixSyntax, "syntax error: the file has no expression").at(span, ""),
        )),
    }
}

/// Join and normalise a path lexically, as Nix does (`.` and `..` removed, no symlinks).
pub fn canonicalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

fn error(span: Span, message: impl Into<String>, label: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(Code::NixEval, message).at(span, label))
}

/// The value of a binding while a set's bindings are collected (before lowering), so that
/// `a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;` fold into one nested set.
enum Pending {
    Expr(ast::Expr),
    Inherit(Rc<str>, Span),
    InheritFrom(usize, Span),
    Set(SetBuilder),
}

struct PendingEntry {
    name: Rc<str>,
    key_span: Span,
    value: Pending,
}

#[derive(Default)]
struct SetBuilder {
    /// A `rec` literal that other definitions were merged into (nixpkgs relies on it).
    rec: bool,
    statics: Vec<PendingEntry>,
    /// Position of each static name in `statics`, once there are more than a few of them
    /// (small sets, the common case, are searched directly).
    index: HashMap<Rc<str>, usize>,
    dynamics: Vec<(ast::Expr, Span, Pending)>,
    inherit_from: Vec<ast::Expr>,
}

/// Sets with more static attributes than this get an index.
const INDEXED_SET: usize = 8;

impl SetBuilder {
    /// Where the static attribute `name` is in `statics`.
    fn find(&self, name: &str) -> Option<usize> {
        if self.statics.len() <= INDEXED_SET {
            self.statics.iter().position(|e| &*e.name == name)
        } else {
            self.index.get(name).copied()
        }
    }

    fn push_static(&mut self, entry: PendingEntry) {
        if self.statics.len() == INDEXED_SET {
            self.index = self
                .statics
                .iter()
                .enumerate()
                .map(|(i, e)| (e.name.clone(), i))
                .collect();
        }
        if self.statics.len() >= INDEXED_SET {
            self.index.insert(entry.name.clone(), self.statics.len());
        }
        self.statics.push(entry);
    }
}

/// The name of an attribute in a path: known now, or computed at run time.
enum AttrName {
    Static(Rc<str>),
    Dynamic(ast::Expr),
}

impl<'a> Lowerer<'a> {
    fn span(&self, node: &rnix::SyntaxNode) -> Span {
        span_of(self.cx.file, node.text_range())
    }

    fn missing(&self, node: &rnix::SyntaxNode, what: &str) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(Code::NixSyntax, format!("syntax error: missing {what}")).at(self.span(node), ""))
    }

    fn expr(&mut self, e: &ast::Expr) -> LowerResult<Rc<Expr>> {
        let span = self.span(e.syntax());
        let kind = match e {
            ast::Expr::Paren(p) => {
                return match p.expr() {
                    Some(inner) => self.expr(&inner),
                    None => Err(self.missing(p.syntax(), "expression in parentheses")),
                };
            }
            ast::Expr::Root(r) => match r.expr() {
                Some(inner) => return self.expr(&inner),
                None => return Err(self.missing(r.syntax(), "expression")),
            },
            ast::Expr::Literal(l) => self.literal(l, span)?,
            ast::Expr::Ident(i) => ExprKind::Var(self.resolve(&ident_text(i), span)?),
            ast::Expr::Str(s) => self.string(s)?,
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) | ast::Expr::PathHome(_) | ast::Expr::PathSearch(_) => {
                self.path(e, span)?
            }
            ast::Expr::List(l) => {
                let items = l.items().map(|i| self.expr(&i)).collect::<LowerResult<Vec<_>>>()?;
                ExprKind::List(items)
            }
            ast::Expr::AttrSet(set) => {
                let rec = set.rec_token().is_some();
                ExprKind::Attrs(Rc::new(self.attrset(set, rec, false)?))
            }
            ast::Expr::LetIn(l) => {
                let body = l.body().ok_or_else(|| self.missing(l.syntax(), "body of let"))?;
                let builder = self.collect_entries(l, true)?;
                let names = self.push_names(&builder);
                let def = self.finish_set(builder, true, names);
                let body = body_in_scope(self, &body);
                self.scopes.pop();
                ExprKind::Let(Rc::new(def?), body?)
            }
            ast::Expr::LegacyLet(l) => {
                let builder = self.collect_entries(l, false)?;
                let names = self.push_names(&builder);
                let def = self.finish_set(builder, true, names);
                self.scopes.pop();
                let set = Rc::new(Expr {
                    span,
                    kind: ExprKind::Attrs(Rc::new(def?)),
                });
                ExprKind::Select(
                    set,
                    vec![Key {
                        span,
                        kind: KeyKind::Static(Rc::from("body")),
                    }],
                    None,
                )
            }
            ast::Expr::Lambda(l) => ExprKind::Lambda(Rc::new(self.lambda(l, span)?)),
            ast::Expr::Apply(a) => {
                let f = a.lambda().ok_or_else(|| self.missing(a.syntax(), "function"))?;
                let x = a.argument().ok_or_else(|| self.missing(a.syntax(), "argument"))?;
                ExprKind::Apply(self.expr(&f)?, self.expr(&x)?)
            }
            ast::Expr::Select(s) => {
                let target = s.expr().ok_or_else(|| self.missing(s.syntax(), "expression"))?;
                let path = s.attrpath().ok_or_else(|| self.missing(s.syntax(), "attribute path"))?;
                let target = self.expr(&target)?;
                let keys = self.keys(&path)?;
                let default = match s.default_expr() {
                    Some(d) => Some(self.expr(&d)?),
                    None => None,
                };
                ExprKind::Select(target, keys, default)
            }
            ast::Expr::HasAttr(h) => {
                let target = h.expr().ok_or_else(|| self.missing(h.syntax(), "expression"))?;
                let path = h.attrpath().ok_or_else(|| self.missing(h.syntax(), "attribute path"))?;
                ExprKind::HasAttr(self.expr(&target)?, self.keys(&path)?)
            }
            ast::Expr::IfElse(i) => {
                let c = i.condition().ok_or_else(|| self.missing(i.syntax(), "condition"))?;
                let t = i.body().ok_or_else(|| self.missing(i.syntax(), "then branch"))?;
                let f = i.else_body().ok_or_else(|| self.missing(i.syntax(), "else branch"))?;
                ExprKind::If(self.expr(&c)?, self.expr(&t)?, self.expr(&f)?)
            }
            ast::Expr::Assert(a) => {
                let c = a.condition().ok_or_else(|| self.missing(a.syntax(), "condition"))?;
                let b = a.body().ok_or_else(|| self.missing(a.syntax(), "body"))?;
                ExprKind::Assert(self.expr(&c)?, self.expr(&b)?)
            }
            ast::Expr::With(w) => {
                let ns = w.namespace().ok_or_else(|| self.missing(w.syntax(), "namespace"))?;
                let body = w.body().ok_or_else(|| self.missing(w.syntax(), "body"))?;
                let ns = self.expr(&ns)?;
                self.scopes.push(ScopeFrame::With);
                let body = self.expr(&body);
                self.scopes.pop();
                ExprKind::With(ns, body?)
            }
            ast::Expr::BinOp(b) => {
                let l = b.lhs().ok_or_else(|| self.missing(b.syntax(), "left operand"))?;
                let r = b.rhs().ok_or_else(|| self.missing(b.syntax(), "right operand"))?;
                let op = b.operator().ok_or_else(|| self.missing(b.syntax(), "operator"))?;
                ExprKind::BinOp(bin_op(op), self.expr(&l)?, self.expr(&r)?)
            }
            ast::Expr::UnaryOp(u) => {
                let inner = u.expr().ok_or_else(|| self.missing(u.syntax(), "operand"))?;
                let inner = self.expr(&inner)?;
                match u.operator() {
                    Some(ast::UnaryOpKind::Invert) => ExprKind::Not(inner),
                    Some(ast::UnaryOpKind::Negate) => ExprKind::Neg(inner),
                    None => return Err(self.missing(u.syntax(), "operator")),
                }
            }
            ast::Expr::CurPos(_) => ExprKind::CurPos,
            ast::Expr::Error(err) => {
                return Err(Box::new(
                    Diagnostic::new(Code::NixSyntax, "syntax error").at(self.span(err.syntax()), ""),
                ));
            }
        };
        Ok(Rc::new(Expr { span, kind }))
    }

    fn literal(&self, l: &ast::Literal, span: Span) -> LowerResult<ExprKind> {
        let text = l.syntax().text().to_string();
        let value = match l.kind() {
            ast::LiteralKind::Integer(i) => match i.value() {
                Ok(n) => Value::Int(n),
                Err(_) => {
                    return Err(error(
                        span,
                        format!("invalid integer '{text}'"),
                        "does not fit in 64 bits",
                    ));
                }
            },
            // Nix parses with `strtod` and refuses what overflows it (`1.5e1000`).
            ast::LiteralKind::Float(f) => match f.value() {
                Ok(x) if x.is_finite() => Value::Float(x),
                _ => return Err(error(span, format!("invalid float '{text}'"), "")),
            },
            ast::LiteralKind::Uri(_) => Value::string(text),
        };
        Ok(ExprKind::Const(value))
    }

    fn resolve(&self, name: &str, span: Span) -> LowerResult<Var> {
        let mut inside_with = false;
        for (depth, frame) in self.scopes.iter().rev().enumerate() {
            match frame {
                ScopeFrame::Names(names) => {
                    if let Some(&index) = names.get(name) {
                        return Ok(Var::Local {
                            depth: depth as u32,
                            index,
                        });
                    }
                }
                ScopeFrame::With => inside_with = true,
            }
        }
        if let Some(global) = self.cx.globals.get(name) {
            return Ok(Var::Global(global.clone()));
        }
        if inside_with {
            return Ok(Var::With(Rc::from(name)));
        }
        let mut d = error(span, format!("undefined variable '{name}'"), "not defined here");
        let in_scope = self
            .scopes
            .iter()
            .filter_map(|f| match f {
                ScopeFrame::Names(names) => Some(names.keys().map(|k| k.as_ref())),
                ScopeFrame::With => None,
            })
            .flatten()
            .chain(self.cx.globals.iter().map(|g| g.as_ref()));
        if let Some(best) = crate::module::types::closest(name, in_scope) {
            d.help = Some(format!("did you mean '{best}'?"));
        }
        Err(d)
    }

    fn string(&mut self, s: &ast::Str) -> LowerResult<ExprKind> {
        let mut parts = Vec::new();
        for part in s.normalized_parts() {
            match part {
                InterpolPart::Literal(text) => parts.push(StrPart::Lit(Rc::from(text))),
                InterpolPart::Interpolation(i) => {
                    let inner = i
                        .expr()
                        .ok_or_else(|| self.missing(i.syntax(), "interpolated expression"))?;
                    parts.push(StrPart::Interp(self.expr(&inner)?));
                }
            }
        }
        Ok(constant_or_parts(parts, false))
    }

    fn path(&mut self, e: &ast::Expr, span: Span) -> LowerResult<ExprKind> {
        let path = match ast::Path::cast(e.syntax().clone()) {
            Some(p) => p,
            None => return Err(self.missing(e.syntax(), "path")),
        };
        if path.is_search() {
            let text = e.syntax().text().to_string();
            let name = text.trim_start_matches('<').trim_end_matches('>');
            return Ok(ExprKind::SearchPath(Rc::from(name)));
        }
        let mut parts = Vec::new();
        for (i, part) in path.parts().into_iter().enumerate() {
            match part {
                InterpolPart::Literal(content) => {
                    let text = content.text();
                    let text = if i == 0 {
                        self.absolute(text, span)?
                    } else {
                        text.to_string()
                    };
                    parts.push(StrPart::Lit(Rc::from(text)));
                }
                InterpolPart::Interpolation(interp) => {
                    let inner = interp
                        .expr()
                        .ok_or_else(|| self.missing(interp.syntax(), "interpolated expression"))?;
                    parts.push(StrPart::Interp(self.expr(&inner)?));
                }
            }
        }
        Ok(constant_or_parts(parts, true))
    }

    /// The first literal part of a path made absolute: `./x` against the file's directory,
    /// `~/x` against `$HOME`.
    fn absolute(&self, text: &str, span: Span) -> LowerResult<String> {
        if text.starts_with('/') {
            Ok(text.to_string())
        } else if let Some(rest) = text.strip_prefix('~') {
            match std::env::var("HOME") {
                Ok(home) => Ok(format!("{home}{rest}")),
                Err(_) => Err(error(span, "cannot resolve '~': HOME is not set", "")),
            }
        } else {
            Ok(format!("{}/{}", self.cx.base_dir, text))
        }
    }

    fn keys(&mut self, path: &ast::Attrpath) -> LowerResult<Vec<Key>> {
        let mut keys = Vec::new();
        for attr in path.attrs() {
            let span = self.span(attr.syntax());
            let kind = match self.attr_name(&attr)? {
                AttrName::Static(name) => KeyKind::Static(name),
                AttrName::Dynamic(e) => KeyKind::Dynamic(self.expr(&e)?),
            };
            keys.push(Key { span, kind });
        }
        Ok(keys)
    }

    fn attr_name(&self, attr: &ast::Attr) -> LowerResult<AttrName> {
        match attr {
            ast::Attr::Ident(i) => Ok(AttrName::Static(Rc::from(ident_text(i)))),
            ast::Attr::Str(s) => {
                Ok(static_string(s).map_or_else(|| AttrName::Dynamic(ast::Expr::Str(s.clone())), AttrName::Static))
            }
            ast::Attr::Dynamic(d) => {
                let inner = d.expr().ok_or_else(|| self.missing(d.syntax(), "expression"))?;
                if let ast::Expr::Str(s) = &inner
                    && let Some(name) = static_string(s)
                {
                    return Ok(AttrName::Static(name));
                }
                Ok(AttrName::Dynamic(inner))
            }
        }
    }

    fn lambda(&mut self, l: &ast::Lambda, span: Span) -> LowerResult<LambdaDef> {
        let param = l.param().ok_or_else(|| self.missing(l.syntax(), "parameter"))?;
        let body = l.body().ok_or_else(|| self.missing(l.syntax(), "body"))?;
        match param {
            ast::Param::IdentParam(p) => {
                let ident = p.ident().ok_or_else(|| self.missing(p.syntax(), "parameter name"))?;
                let name: Rc<str> = Rc::from(ident_text(&ident));
                self.scopes.push(ScopeFrame::Names(HashMap::from([(name.clone(), 0)])));
                let body = self.expr(&body);
                self.scopes.pop();
                Ok(LambdaDef {
                    span,
                    param: Param::Ident(name),
                    body: body?,
                })
            }
            ast::Param::Pattern(p) => {
                let mut names = HashMap::new();
                let mut entries_ast = Vec::new();
                for entry in p.pat_entries() {
                    let ident = entry
                        .ident()
                        .ok_or_else(|| self.missing(entry.syntax(), "argument name"))?;
                    let name: Rc<str> = Rc::from(ident_text(&ident));
                    let entry_span = self.span(ident.syntax());
                    if names.insert(name.clone(), names.len() as u32).is_some() {
                        return Err(Box::new(
                            Diagnostic::new(Code::NixSyntax, format!("duplicate formal function argument '{name}'"))
                                .at(entry_span, "defined twice"),
                        ));
                    }
                    entries_ast.push((name, entry_span, entry.default()));
                }
                let bind = match p.pat_bind().and_then(|b| b.ident()) {
                    Some(ident) => {
                        let name: Rc<str> = Rc::from(ident_text(&ident));
                        if names.contains_key(&name) {
                            let s = self.span(ident.syntax());
                            return Err(Box::new(
                                Diagnostic::new(
                                    Code::NixSyntax,
                                    format!("duplicate formal function argument '{name}'"),
                                )
                                .at(s, ""),
                            ));
                        }
                        names.insert(name.clone(), names.len() as u32);
                        Some(name)
                    }
                    None => None,
                };
                self.scopes.push(ScopeFrame::Names(names));
                let result = (|| -> LowerResult<(Vec<PatternEntry>, Rc<Expr>)> {
                    let mut entries = Vec::new();
                    for (name, span, default) in entries_ast {
                        let default = match default {
                            Some(d) => Some(self.expr(&d)?),
                            None => None,
                        };
                        entries.push(PatternEntry { name, span, default });
                    }
                    let body = self.expr(&body)?;
                    Ok((entries, body))
                })();
                self.scopes.pop();
                let (entries, body) = result?;
                Ok(LambdaDef {
                    span,
                    param: Param::Pattern {
                        entries,
                        ellipsis: p.ellipsis_token().is_some(),
                        bind,
                    },
                    body,
                })
            }
        }
    }

    // -- attribute sets -----------------------------------------------------------------------

    fn attrset(&mut self, set: &ast::AttrSet, rec: bool, _nested: bool) -> LowerResult<AttrsDef> {
        let builder = self.collect_entries(set, false)?;
        if rec {
            let names = self.push_names(&builder);
            let def = self.finish_set(builder, true, names);
            self.scopes.pop();
            def
        } else {
            self.finish_set(builder, false, 0)
        }
    }

    /// Push the frame of a `rec` set or `let`; returns how many scopes the inherit (outer)
    /// lookups must skip.
    fn push_names(&mut self, builder: &SetBuilder) -> u32 {
        let names = builder
            .statics
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i as u32))
            .collect();
        self.scopes.push(ScopeFrame::Names(names));
        1
    }

    fn collect_entries(&mut self, node: &impl HasEntry, is_let: bool) -> LowerResult<SetBuilder> {
        let mut builder = SetBuilder::default();
        for entry in node.entries() {
            match entry {
                ast::Entry::Inherit(inherit) => self.collect_inherit(&mut builder, &inherit)?,
                ast::Entry::AttrpathValue(apv) => {
                    let path = apv
                        .attrpath()
                        .ok_or_else(|| self.missing(apv.syntax(), "attribute path"))?;
                    let value = apv.value().ok_or_else(|| self.missing(apv.syntax(), "value"))?;
                    let mut names = Vec::new();
                    for attr in path.attrs() {
                        let name = self.attr_name(&attr)?;
                        if is_let && matches!(name, AttrName::Dynamic(_)) {
                            return Err(error(
                                self.span(attr.syntax()),
                                "dynamic attributes not allowed in let",
                                "computed name",
                            ));
                        }
                        names.push((name, self.span(attr.syntax())));
                    }
                    self.insert_path(&mut builder, names, value)?;
                }
            }
        }
        Ok(builder)
    }

    fn collect_inherit(&mut self, builder: &mut SetBuilder, inherit: &ast::Inherit) -> LowerResult<()> {
        let from = match inherit.from() {
            Some(f) => {
                let e = f.expr().ok_or_else(|| self.missing(f.syntax(), "expression"))?;
                builder.inherit_from.push(e);
                Some(builder.inherit_from.len() - 1)
            }
            None => None,
        };
        for attr in inherit.attrs() {
            let span = self.span(attr.syntax());
            let name = match self.attr_name(&attr)? {
                AttrName::Static(n) => n,
                AttrName::Dynamic(_) => {
                    return Err(error(
                        span,
                        "dynamic attributes not allowed in inherit",
                        "computed name",
                    ));
                }
            };
            let value = match from {
                Some(i) => Pending::InheritFrom(i, span),
                None => Pending::Inherit(name.clone(), span),
            };
            self.insert_static(builder, name, span, value)?;
        }
        Ok(())
    }

    fn insert_static(
        &self,
        builder: &mut SetBuilder,
        name: Rc<str>,
        key_span: Span,
        value: Pending,
    ) -> LowerResult<()> {
        if let Some(i) = builder.find(&name) {
            let previous = builder.statics[i].key_span;
            return Err(duplicate(&name, key_span, previous));
        }
        builder.push_static(PendingEntry { name, key_span, value });
        Ok(())
    }

    /// Add `a.b.c = value` to a set being collected, merging with what `a` and `a.b` already
    /// hold when those are sets.
    fn insert_path(
        &mut self,
        builder: &mut SetBuilder,
        mut names: Vec<(AttrName, Span)>,
        value: ast::Expr,
    ) -> LowerResult<()> {
        if names.is_empty() {
            return Err(self.missing(value.syntax(), "attribute name"));
        }
        let (first, first_span) = names.remove(0);
        let is_last = names.is_empty();
        match first {
            AttrName::Dynamic(key) => {
                let pending = if is_last {
                    Pending::Expr(value)
                } else {
                    let mut nested = SetBuilder::default();
                    self.insert_path(&mut nested, names, value)?;
                    Pending::Set(nested)
                };
                builder.dynamics.push((key, first_span, pending));
                Ok(())
            }
            AttrName::Static(name) => {
                let Some(i) = builder.find(&name) else {
                    let pending = if is_last {
                        Pending::Expr(value)
                    } else {
                        let mut nested = SetBuilder::default();
                        self.insert_path(&mut nested, names, value)?;
                        Pending::Set(nested)
                    };
                    return self.insert_static(builder, name, first_span, pending);
                };
                let previous_span = builder.statics[i].key_span;
                // An existing plain attrset literal becomes a set we can add to.
                if let Pending::Expr(ast::Expr::AttrSet(set)) = &builder.statics[i].value {
                    let set = set.clone();
                    let mut nested = self.collect_entries(&set, false)?;
                    nested.rec = set.rec_token().is_some();
                    builder.statics[i].value = Pending::Set(nested);
                }
                let Pending::Set(existing) = &mut builder.statics[i].value else {
                    return Err(duplicate(&name, first_span, previous_span));
                };
                if is_last {
                    match value {
                        ast::Expr::AttrSet(set) => {
                            let mut more = self.collect_entries(&set, false)?;
                            // Nix 2.8 merges only the static attributes of the later set.
                            more.dynamics.clear();
                            merge_builders(existing, more)
                        }
                        _ => Err(duplicate(&name, first_span, previous_span)),
                    }
                } else {
                    let mut existing = std::mem::take(existing);
                    let result = self.insert_path(&mut existing, names, value);
                    builder.statics[i].value = Pending::Set(existing);
                    result
                }
            }
        }
    }

    /// Lower a collected set. For a `rec` set or `let`, the frame of its names is already
    /// pushed, and `inherit x` looks `skip` frames further out.
    fn finish_set(&mut self, builder: SetBuilder, rec: bool, skip: u32) -> LowerResult<AttrsDef> {
        let mut inherit_from = Vec::with_capacity(builder.inherit_from.len());
        for e in &builder.inherit_from {
            inherit_from.push(self.expr(e)?);
        }
        let mut statics = Vec::with_capacity(builder.statics.len());
        for entry in builder.statics {
            let value = match entry.value {
                Pending::Inherit(name, span) => BindValue::Inherit(self.resolve_outside(&name, span, skip)?, span),
                Pending::InheritFrom(i, span) => BindValue::InheritFrom(i, span),
                other => BindValue::Expr(self.pending_expr(other, entry.key_span)?),
            };
            statics.push(Binding {
                name: entry.name,
                key_span: entry.key_span,
                value,
            });
        }
        let mut dynamics = Vec::with_capacity(builder.dynamics.len());
        for (key, key_span, value) in builder.dynamics {
            let key = self.expr(&key)?;
            let value = self.pending_expr(value, key_span)?;
            dynamics.push(DynamicBinding { key, key_span, value });
        }
        Ok(AttrsDef {
            rec,
            statics,
            dynamics,
            inherit_from,
        })
    }

    fn pending_expr(&mut self, pending: Pending, key_span: Span) -> LowerResult<Rc<Expr>> {
        match pending {
            Pending::Expr(e) => self.expr(&e),
            Pending::Set(nested) => {
                let span = key_span;
                let def = if nested.rec {
                    let skip = self.push_names(&nested);
                    let def = self.finish_set(nested, true, skip);
                    self.scopes.pop();
                    def?
                } else {
                    self.finish_set(nested, false, 0)?
                };
                Ok(Rc::new(Expr {
                    span,
                    kind: ExprKind::Attrs(Rc::new(def)),
                }))
            }
            Pending::Inherit(_, span) | Pending::InheritFrom(_, span) => {
                Err(error(span, "inherit is not allowed here", ""))
            }
        }
    }

    /// Resolve a variable as seen from outside the innermost `skip` frames.
    fn resolve_outside(&mut self, name: &str, span: Span, skip: u32) -> LowerResult<Var> {
        let hidden: Vec<ScopeFrame> = (0..skip).filter_map(|_| self.scopes.pop()).collect();
        let result = self.resolve(name, span);
        self.scopes.extend(hidden.into_iter().rev());
        Ok(match result? {
            Var::Local { depth, index } => Var::Local {
                depth: depth + skip,
                index,
            },
            other => other,
        })
    }
}

fn body_in_scope(lowerer: &mut Lowerer<'_>, body: &ast::Expr) -> LowerResult<Rc<Expr>> {
    lowerer.expr(body)
}

fn merge_builders(into: &mut SetBuilder, more: SetBuilder) -> LowerResult<()> {
    let offset = into.inherit_from.len();
    into.inherit_from.extend(more.inherit_from);
    for entry in more.statics {
        let value = match entry.value {
            Pending::InheritFrom(i, span) => Pending::InheritFrom(i + offset, span),
            other => other,
        };
        if let Some(i) = into.find(&entry.name) {
            return Err(duplicate(&entry.name, entry.key_span, into.statics[i].key_span));
        }
        into.push_static(PendingEntry {
            name: entry.name,
            key_span: entry.key_span,
            value,
        });
    }
    into.dynamics.extend(more.dynamics);
    Ok(())
}

fn duplicate(name: &str, span: Span, previous: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(Code::NixEval, format!("attribute '{name}' already defined"))
            .at(span, "defined again here")
            .also(previous, "previously defined here"),
    )
}

fn constant_or_parts(parts: Vec<StrPart>, is_path: bool) -> ExprKind {
    let all_literal = parts.iter().all(|p| matches!(p, StrPart::Lit(_)));
    if all_literal {
        let text: String = parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => s.as_ref(),
                StrPart::Interp(_) => "",
            })
            .collect();
        if is_path {
            ExprKind::Const(Value::Path(Rc::from(canonicalize_path(&text))))
        } else {
            ExprKind::Const(Value::string(text))
        }
    } else if is_path {
        ExprKind::Path(parts)
    } else {
        ExprKind::Str(parts)
    }
}

/// The text of a string without interpolation (`"a"` in `{ "a" = 1; }`).
fn static_string(s: &ast::Str) -> Option<Rc<str>> {
    let mut text = String::new();
    for part in s.normalized_parts() {
        match part {
            InterpolPart::Literal(t) => text.push_str(&t),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(Rc::from(text))
}

fn ident_text(i: &ast::Ident) -> String {
    let node = i.syntax();
    // The node is one token (an identifier or `or`): its text, without formatting it.
    match node.first_token() {
        Some(t) if t.text_range() == node.text_range() => t.text().to_owned(),
        _ => node.text().to_string(),
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

#[cfg(test)]
mod tests {
    use super::canonicalize_path;

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(canonicalize_path("/a/./b/../c/"), "/a/c");
        assert_eq!(canonicalize_path("/.."), "/");
    }
}
