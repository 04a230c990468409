//! Lowering: the syntax tree ([`crate::syntax::ast`]) → [`ir`](super::ir) expressions.
//!
//! Done once per file, before evaluation, so that what Nix reports when it parses a file is
//! reported here too, even in code that is never evaluated: undefined variables (outside any
//! `with`), attributes defined twice, dynamic attributes in `let`, malformed numbers.

use super::ir::*;
use super::value::Value;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{self, AttrKind, Entry, Kind, LiteralKind, Node, PathKind, PathPart};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::rc::Rc;

pub type LowerResult<T> = Result<T, Box<Diagnostic>>;

/// What the lowering needs to know about the file and the base environment (the file itself
/// is in the spans of its syntax tree).
pub struct LowerContext<'a> {
    /// The directory relative paths are resolved against (absolute, canonical).
    pub base_dir: String,
    /// `$HOME`, what `~/x` starts from.
    pub home: Option<String>,
    /// Names of the base environment (`builtins`, `true`, `map`, …).
    pub globals: &'a HashSet<Rc<str>>,
}

enum ScopeFrame {
    Names(HashMap<Rc<str>, u32>),
    With,
}

struct Lowerer<'a, 's> {
    cx: &'a LowerContext<'a>,
    scopes: Vec<ScopeFrame>,
    /// One shared `Rc<str>` per distinct name of the file.
    names: HashMap<&'s str, Rc<str>>,
}

/// Lower the expression of a parsed file.
pub fn lower_root(cx: &LowerContext<'_>, root: Node<'_>) -> LowerResult<Rc<Expr>> {
    lower_in(cx, root, Vec::new())
}

/// Lower the expression of a file loaded by `scopedImport`: `scope` names the attributes of
/// its scope set, a frame of slots (slot `i` is `scope[i]`) around the file and inside the
/// base environment. They are resolved statically, as Nix does: they shadow the globals, and
/// win over `with` like any lexical binding.
pub fn lower_root_scoped(cx: &LowerContext<'_>, root: Node<'_>, scope: &[Rc<str>]) -> LowerResult<Rc<Expr>> {
    let frame = scope.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
    lower_in(cx, root, vec![ScopeFrame::Names(frame)])
}

fn lower_in(cx: &LowerContext<'_>, root: Node<'_>, scopes: Vec<ScopeFrame>) -> LowerResult<Rc<Expr>> {
    let mut lowerer = Lowerer {
        cx,
        scopes,
        names: HashMap::default(),
    };
    lowerer.expr(root)
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
enum Pending<'s> {
    Expr(Node<'s>),
    Inherit(Rc<str>, Span),
    InheritFrom(usize, Span),
    Set(SetBuilder<'s>),
}

struct PendingEntry<'s> {
    name: Rc<str>,
    key_span: Span,
    value: Pending<'s>,
}

#[derive(Default)]
struct SetBuilder<'s> {
    /// A `rec` literal that other definitions were merged into (nixpkgs relies on it).
    rec: bool,
    statics: Vec<PendingEntry<'s>>,
    /// Position of each static name in `statics`, once there are more than a few of them
    /// (small sets, the common case, are searched directly).
    index: HashMap<Rc<str>, usize>,
    dynamics: Vec<(Node<'s>, Span, Pending<'s>)>,
    inherit_from: Vec<Node<'s>>,
}

/// Sets with more static attributes than this get an index.
const INDEXED_SET: usize = 8;

impl SetBuilder<'_> {
    /// Where the static attribute `name` is in `statics`.
    fn find(&self, name: &str) -> Option<usize> {
        if self.statics.len() <= INDEXED_SET {
            self.statics.iter().position(|e| &*e.name == name)
        } else {
            self.index.get(name).copied()
        }
    }
}

impl<'s> SetBuilder<'s> {
    fn push_static(&mut self, entry: PendingEntry<'s>) {
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
enum AttrName<'s> {
    Static(Rc<str>),
    Dynamic(Node<'s>),
}

impl<'a, 's> Lowerer<'a, 's> {
    fn name(&mut self, text: &'s str) -> Rc<str> {
        self.names.entry(text).or_insert_with(|| Rc::from(text)).clone()
    }

    fn expr(&mut self, node: Node<'s>) -> LowerResult<Rc<Expr>> {
        let span = node.span;
        let kind = match node.kind {
            Kind::Literal(kind, text) => literal(kind, text, span)?,
            Kind::Ident(name) => match self.resolve(name, span)? {
                // The three constants are values, not lookups, as in Nix (where `trace` shows
                // them in a list as they are, not as `<CODE>`).
                Var::Global(g) if &*g == "null" => ExprKind::Const(Value::Null),
                Var::Global(g) if &*g == "true" => ExprKind::Const(Value::Bool(true)),
                Var::Global(g) if &*g == "false" => ExprKind::Const(Value::Bool(false)),
                var => ExprKind::Var(var),
            },
            Kind::Str(parts) => self.string(parts)?,
            Kind::Path(kind, parts) => self.path(kind, parts, span)?,
            Kind::List(items) => ExprKind::List(items.into_iter().map(|i| self.expr(i)).collect::<LowerResult<_>>()?),
            Kind::AttrSet { rec, entries } => {
                let mut builder = self.collect_entries(entries, false)?;
                builder.rec = rec;
                ExprKind::Attrs(Rc::new(self.finish(builder)?))
            }
            Kind::LetIn { entries, body } => {
                let builder = self.collect_entries(entries, true)?;
                self.push_names(&builder);
                let def = self.finish_set(builder, true, 1).map(|mut def| {
                    // `__overrides` means nothing special in a `let`.
                    def.overrides = None;
                    def
                });
                let body = self.expr(*body);
                self.scopes.pop();
                ExprKind::Let(Rc::new(def?), body?)
            }
            Kind::LegacyLet(entries) => {
                let builder = self.collect_entries(entries, false)?;
                self.push_names(&builder);
                let def = self.finish_set(builder, true, 1);
                self.scopes.pop();
                let set = Rc::new(Expr::new(span, ExprKind::Attrs(Rc::new(def?))));
                let body = Key {
                    span,
                    kind: KeyKind::Static(Rc::from("body")),
                };
                ExprKind::Select(set, vec![body], None)
            }
            Kind::Lambda(lambda) => {
                let ast::Lambda { param, body } = *lambda;
                ExprKind::Lambda(Rc::new(self.lambda(param, body, span)?))
            }
            Kind::Apply(f, x) => ExprKind::Apply(self.expr(*f)?, self.expr(*x)?),
            Kind::Select { target, path, default } => {
                let target = self.expr(*target)?;
                let keys = self.keys(path)?;
                let default = match default {
                    Some(d) => Some(self.expr(*d)?),
                    None => None,
                };
                ExprKind::Select(target, keys, default)
            }
            Kind::HasAttr { target, path } => ExprKind::HasAttr(self.expr(*target)?, self.keys(path)?),
            Kind::IfElse(c, t, f) => ExprKind::If(self.expr(*c)?, self.expr(*t)?, self.expr(*f)?),
            Kind::Assert(c, b) => ExprKind::Assert(self.expr(*c)?, self.expr(*b)?),
            Kind::With(namespace, body) => {
                let namespace = self.expr(*namespace)?;
                self.scopes.push(ScopeFrame::With);
                let body = self.expr(*body);
                self.scopes.pop();
                ExprKind::With(namespace, body?)
            }
            Kind::BinOp(op, l, r) => ExprKind::BinOp(op, self.expr(*l)?, self.expr(*r)?),
            Kind::Not(inner) => ExprKind::Not(self.expr(*inner)?),
            Kind::Neg(inner) => ExprKind::Neg(self.expr(*inner)?),
            Kind::CurPos => ExprKind::CurPos,
        };
        Ok(Rc::new(Expr::new(span, kind)))
    }

    fn resolve(&mut self, name: &str, span: Span) -> LowerResult<Var> {
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
            let shared = self.names.get(name).cloned();
            return Ok(Var::With(shared.unwrap_or_else(|| Rc::from(name))));
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
        if let Some(best) = crate::suggest::closest(name, in_scope) {
            d.help = Some(format!("did you mean '{best}'?"));
        }
        Err(d)
    }

    fn string(&mut self, parts: Box<[ast::StrPart<'s>]>) -> LowerResult<ExprKind> {
        if let [ast::StrPart::Lit(text)] = &*parts {
            return Ok(ExprKind::Const(Value::str(text)));
        }
        let mut lowered = Vec::with_capacity(parts.len());
        for part in parts {
            lowered.push(match part {
                ast::StrPart::Lit(text) => StrPart::Lit(Rc::from(&*text)),
                ast::StrPart::Interp(inner) => StrPart::Interp(self.expr(*inner)?),
            });
        }
        Ok(constant_or_parts(lowered, false))
    }

    fn path(&mut self, kind: PathKind, parts: Box<[PathPart<'s>]>, span: Span) -> LowerResult<ExprKind> {
        if kind == PathKind::Search {
            let text = match parts.first() {
                Some(PathPart::Lit(text)) => *text,
                _ => "",
            };
            let name = text.trim_start_matches('<').trim_end_matches('>');
            return Ok(ExprKind::SearchPath(Rc::from(name)));
        }
        let mut lowered = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            lowered.push(match part {
                PathPart::Lit(text) if i == 0 => StrPart::Lit(Rc::from(self.absolute(text, span)?)),
                PathPart::Lit(text) => StrPart::Lit(Rc::from(text)),
                PathPart::Interp(inner) => StrPart::Interp(self.expr(*inner)?),
            });
        }
        Ok(constant_or_parts(lowered, true))
    }

    /// The first literal part of a path made absolute: `./x` against the file's directory,
    /// `~/x` against `$HOME`.
    fn absolute(&self, text: &str, span: Span) -> LowerResult<String> {
        if text.starts_with('/') {
            Ok(text.to_string())
        } else if let Some(rest) = text.strip_prefix('~') {
            match &self.cx.home {
                Some(home) => Ok(format!("{home}{rest}")),
                None => Err(error(span, "cannot resolve '~': HOME is not set", "")),
            }
        } else {
            Ok(format!("{}/{}", self.cx.base_dir, text))
        }
    }

    fn keys(&mut self, path: Box<[ast::Attr<'s>]>) -> LowerResult<Vec<Key>> {
        let mut keys = Vec::with_capacity(path.len());
        for attr in path.into_vec() {
            let span = attr.span;
            let kind = match self.attr_name(attr) {
                AttrName::Static(name) => KeyKind::Static(name),
                AttrName::Dynamic(e) => KeyKind::Dynamic(self.expr(e)?),
            };
            keys.push(Key { span, kind });
        }
        Ok(keys)
    }

    fn attr_name(&mut self, attr: ast::Attr<'s>) -> AttrName<'s> {
        match attr.kind {
            AttrKind::Ident(name) => AttrName::Static(self.name(name)),
            AttrKind::Str(parts) => match self.static_string(&parts) {
                Some(name) => AttrName::Static(name),
                None => AttrName::Dynamic(Node {
                    span: attr.span,
                    kind: Kind::Str(parts),
                }),
            },
            AttrKind::Dynamic(inner) => match &inner.kind {
                Kind::Str(parts) if let Some(name) = self.static_string(parts) => AttrName::Static(name),
                _ => AttrName::Dynamic(*inner),
            },
        }
    }

    /// The text of a string without interpolation (`"a"` in `{ "a" = 1; }`), shared with the
    /// other uses of the name when it is the source's text.
    fn static_string(&mut self, parts: &[ast::StrPart<'s>]) -> Option<Rc<str>> {
        match parts {
            [ast::StrPart::Lit(Cow::Borrowed(text))] => Some(self.name(text)),
            [ast::StrPart::Lit(text)] => Some(Rc::from(&**text)),
            _ => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        ast::StrPart::Lit(t) => text.push_str(t),
                        ast::StrPart::Interp(_) => return None,
                    }
                }
                Some(Rc::from(text))
            }
        }
    }

    fn lambda(&mut self, param: ast::Param<'s>, body: Node<'s>, span: Span) -> LowerResult<LambdaDef> {
        match param {
            ast::Param::Ident { name, .. } => {
                let name = self.name(name);
                self.scopes
                    .push(ScopeFrame::Names(HashMap::from_iter([(name.clone(), 0)])));
                let body = self.expr(body);
                self.scopes.pop();
                Ok(LambdaDef {
                    span,
                    param: Param::Ident(name),
                    body: body?,
                })
            }
            ast::Param::Pattern {
                entries: formals,
                ellipsis,
                bind,
            } => {
                let mut names = HashMap::default();
                let mut defaults = Vec::with_capacity(formals.len());
                let mut entries = Vec::with_capacity(formals.len());
                for formal in formals {
                    let name = self.name(formal.name);
                    if names.insert(name.clone(), names.len() as u32).is_some() {
                        return Err(Box::new(
                            Diagnostic::new(Code::NixSyntax, format!("duplicate formal function argument '{name}'"))
                                .at(formal.span, "defined twice"),
                        ));
                    }
                    defaults.push(formal.default);
                    entries.push(PatternEntry {
                        name,
                        span: formal.span,
                        default: None,
                    });
                }
                let bind = match bind {
                    Some((name, bind_span)) => {
                        let name = self.name(name);
                        if names.contains_key(&name) {
                            return Err(Box::new(
                                Diagnostic::new(
                                    Code::NixSyntax,
                                    format!("duplicate formal function argument '{name}'"),
                                )
                                .at(bind_span, ""),
                            ));
                        }
                        names.insert(name.clone(), names.len() as u32);
                        Some(name)
                    }
                    None => None,
                };
                self.scopes.push(ScopeFrame::Names(names));
                let result = (|| -> LowerResult<Rc<Expr>> {
                    for (entry, default) in entries.iter_mut().zip(defaults) {
                        if let Some(d) = default {
                            entry.default = Some(self.expr(d)?);
                        }
                    }
                    self.expr(body)
                })();
                self.scopes.pop();
                Ok(LambdaDef {
                    span,
                    param: Param::Pattern {
                        entries,
                        ellipsis,
                        bind,
                    },
                    body: result?,
                })
            }
        }
    }

    // -- attribute sets -----------------------------------------------------------------------

    /// Lower a collected set literal: a `rec` one in the frame of its own names.
    fn finish(&mut self, builder: SetBuilder<'s>) -> LowerResult<AttrsDef> {
        if builder.rec {
            self.push_names(&builder);
            let def = self.finish_set(builder, true, 1);
            self.scopes.pop();
            def
        } else {
            self.finish_set(builder, false, 0)
        }
    }

    /// Push the frame of a `rec` set or `let`.
    fn push_names(&mut self, builder: &SetBuilder<'s>) {
        let names = builder
            .statics
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i as u32))
            .collect();
        self.scopes.push(ScopeFrame::Names(names));
    }

    fn collect_entries(&mut self, entries: Vec<Entry<'s>>, is_let: bool) -> LowerResult<SetBuilder<'s>> {
        let mut builder = SetBuilder::default();
        // Most entries bind a name of their own (`inherit` may bind more, paths fewer).
        builder.statics.reserve(entries.len());
        for entry in entries {
            match entry {
                Entry::Inherit { from, attrs } => self.collect_inherit(&mut builder, from.map(|f| *f), attrs)?,
                Entry::Value { path, value } => {
                    let mut attrs = path.into_vec().into_iter();
                    let Some(first) = attrs.next() else {
                        return Err(Box::new(
                            Diagnostic::new(Code::NixSyntax, "syntax error: missing attribute name").at(value.span, ""),
                        ));
                    };
                    let first = self.binding_name(first, is_let)?;
                    // Most paths are one name: the rest allocates only when there is one.
                    let mut rest = Vec::new();
                    for attr in attrs {
                        rest.push(self.binding_name(attr, is_let)?);
                    }
                    rest.reverse();
                    self.insert_path(&mut builder, first, rest, value)?;
                }
            }
        }
        Ok(builder)
    }

    /// The name an attribute path gives a binding, and its span.
    fn binding_name(&mut self, attr: ast::Attr<'s>, is_let: bool) -> LowerResult<(AttrName<'s>, Span)> {
        let span = attr.span;
        let name = self.attr_name(attr);
        if is_let && matches!(name, AttrName::Dynamic(_)) {
            return Err(error(span, "dynamic attributes not allowed in let", "computed name"));
        }
        Ok((name, span))
    }

    fn collect_inherit(
        &mut self,
        builder: &mut SetBuilder<'s>,
        from: Option<Node<'s>>,
        attrs: Box<[ast::Attr<'s>]>,
    ) -> LowerResult<()> {
        let from = from.map(|e| {
            builder.inherit_from.push(e);
            builder.inherit_from.len() - 1
        });
        for attr in attrs.into_vec() {
            let span = attr.span;
            let name = match self.attr_name(attr) {
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
            insert_static(builder, name, span, value)?;
        }
        Ok(())
    }

    /// Add `a.b.c = value` to a set being collected, merging with what `a` and `a.b` already
    /// hold when those are sets. `rest` holds the names after `first`, last first (taken
    /// from its end).
    fn insert_path(
        &mut self,
        builder: &mut SetBuilder<'s>,
        (first, first_span): (AttrName<'s>, Span),
        mut rest: Vec<(AttrName<'s>, Span)>,
        value: Node<'s>,
    ) -> LowerResult<()> {
        let next = rest.pop();
        match first {
            AttrName::Dynamic(key) => {
                let pending = self.path_value(next, rest, value)?;
                builder.dynamics.push((key, first_span, pending));
                Ok(())
            }
            AttrName::Static(name) => {
                let Some(i) = builder.find(&name) else {
                    // A new name (what follows it goes into a set of its own): no second
                    // search for a duplicate.
                    let pending = self.path_value(next, rest, value)?;
                    builder.push_static(PendingEntry {
                        name,
                        key_span: first_span,
                        value: pending,
                    });
                    return Ok(());
                };
                let previous_span = builder.statics[i].key_span;
                // An existing plain attrset literal becomes a set we can add to.
                if matches!(
                    builder.statics[i].value,
                    Pending::Expr(Node {
                        kind: Kind::AttrSet { .. },
                        ..
                    })
                ) {
                    let taken = std::mem::replace(&mut builder.statics[i].value, Pending::Set(SetBuilder::default()));
                    if let Pending::Expr(Node {
                        kind: Kind::AttrSet { rec, entries },
                        ..
                    }) = taken
                    {
                        let mut nested = self.collect_entries(entries, false)?;
                        nested.rec = rec;
                        builder.statics[i].value = Pending::Set(nested);
                    }
                }
                let Pending::Set(existing) = &mut builder.statics[i].value else {
                    return Err(duplicate(&name, first_span, previous_span));
                };
                match next {
                    None => match value.kind {
                        Kind::AttrSet { entries, .. } => {
                            let mut more = self.collect_entries(entries, false)?;
                            // Nix 2.8 merges only the static attributes of the later set.
                            more.dynamics.clear();
                            merge_builders(existing, more)
                        }
                        _ => Err(duplicate(&name, first_span, previous_span)),
                    },
                    Some(next) => {
                        let mut existing = std::mem::take(existing);
                        let result = self.insert_path(&mut existing, next, rest, value);
                        builder.statics[i].value = Pending::Set(existing);
                        result
                    }
                }
            }
        }
    }

    /// What a new binding of a path holds: `value` at its last name, or a set of the names
    /// after `next`.
    fn path_value(
        &mut self,
        next: Option<(AttrName<'s>, Span)>,
        rest: Vec<(AttrName<'s>, Span)>,
        value: Node<'s>,
    ) -> LowerResult<Pending<'s>> {
        Ok(match next {
            None => Pending::Expr(value),
            Some(next) => {
                let mut nested = SetBuilder::default();
                self.insert_path(&mut nested, next, rest, value)?;
                Pending::Set(nested)
            }
        })
    }

    /// Lower a collected set. For a `rec` set or `let`, the frame of its names is already
    /// pushed, and `inherit x` looks `skip` frames further out.
    fn finish_set(&mut self, builder: SetBuilder<'s>, rec: bool, skip: u32) -> LowerResult<AttrsDef> {
        let mut inherit_from = Vec::with_capacity(builder.inherit_from.len());
        for e in builder.inherit_from {
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
            let key = self.expr(key)?;
            let value = self.pending_expr(value, key_span)?;
            dynamics.push(DynamicBinding { key, key_span, value });
        }
        let overrides = if rec {
            statics.iter().position(|b| &*b.name == "__overrides")
        } else {
            None
        };
        Ok(AttrsDef::new(rec, statics, dynamics, inherit_from, overrides))
    }

    fn pending_expr(&mut self, pending: Pending<'s>, key_span: Span) -> LowerResult<Rc<Expr>> {
        match pending {
            Pending::Expr(e) => self.expr(e),
            Pending::Set(nested) => Ok(Rc::new(Expr::new(
                key_span,
                ExprKind::Attrs(Rc::new(self.finish(nested)?)),
            ))),
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

fn literal(kind: LiteralKind, text: &str, span: Span) -> LowerResult<ExprKind> {
    let value = match kind {
        LiteralKind::Integer => match text.parse::<i64>() {
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
        LiteralKind::Float => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Value::Float(x),
            _ => return Err(error(span, format!("invalid float '{text}'"), "")),
        },
        LiteralKind::Uri => Value::str(text),
    };
    Ok(ExprKind::Const(value))
}

fn insert_static<'s>(
    builder: &mut SetBuilder<'s>,
    name: Rc<str>,
    key_span: Span,
    value: Pending<'s>,
) -> LowerResult<()> {
    if let Some(i) = builder.find(&name) {
        let previous = builder.statics[i].key_span;
        return Err(duplicate(&name, key_span, previous));
    }
    builder.push_static(PendingEntry { name, key_span, value });
    Ok(())
}

fn merge_builders<'s>(into: &mut SetBuilder<'s>, more: SetBuilder<'s>) -> LowerResult<()> {
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

#[cfg(test)]
mod tests {
    use super::canonicalize_path;

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(canonicalize_path("/a/./b/../c/"), "/a/c");
        assert_eq!(canonicalize_path("/.."), "/");
    }
}
