//! Runtime values: what an expression evaluates to, and the thunks that delay evaluation.

use super::error::EvalResult;
use super::evaluator::Evaluator;
use super::ir::{Expr, LambdaDef};
use crate::source::Span;
use std::cell::{OnceCell, RefCell, UnsafeCell};
use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

/// A Nix value in weak head normal form: the outermost constructor is known, the parts
/// (list items, attribute values) are thunks.
#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// An absolute, canonical path.
    Path(Rc<str>),
    Attrs(Rc<Attrs>),
    List(Rc<[Thunk]>),
    /// A lambda with its environment, held in the value itself (two pointers, no allocation
    /// of its own: a curried function makes one at each argument).
    Lambda(Closure),
    /// A builtin, possibly applied to some of its arguments already.
    PrimOp(Rc<PrimOpApp>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn string(s: String) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn list(items: Vec<Thunk>) -> Value {
        Value::List(Rc::from(items))
    }

    pub fn attrs(a: Attrs) -> Value {
        Value::Attrs(Rc::new(a))
    }

    /// The name `builtins.typeOf` gives this kind of value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Path(_) => "path",
            Value::Attrs(_) => "set",
            Value::List(_) => "list",
            Value::Lambda(_) | Value::PrimOp(_) => "lambda",
        }
    }

    /// How Nix's error messages name the kind of value ("a string", "an integer", …).
    pub fn described(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Lambda(_) => "a function",
            Value::PrimOp(p) if p.args.is_empty() => "a built-in function",
            Value::PrimOp(_) => "a partially applied built-in function",
        }
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Value::Lambda(_) | Value::PrimOp(_))
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Path(p) => f.write_str(p),
            Value::Attrs(a) => write!(f, "{{ {} attributes }}", a.len()),
            Value::List(l) => write!(f, "[ {} items ]", l.len()),
            Value::Lambda(_) => f.write_str("<lambda>"),
            Value::PrimOp(p) => write!(f, "<primop {}>", p.op.name),
        }
    }
}

/// One attribute: its value and where its name was written.
#[derive(Clone)]
pub struct Attr {
    pub value: Thunk,
    pub key_span: Span,
}

/// Explains a missing attribute of a set (its name given).
pub type MissingMessage = dyn Fn(&str) -> String;

/// The attributes of a set, sorted by name (byte-wise: Nix's key order) in one vector, as
/// Nix's own `Bindings`: a lookup is a binary search, a set built in order is one push per
/// attribute, and `//` is a merge of two sorted runs (no tree nodes to allocate or copy).
#[derive(Clone, Default)]
pub struct AttrMap {
    entries: Vec<(Rc<str>, Attr)>,
}

/// The iterator of [`AttrMap::iter`]: names and attributes, in order.
pub type AttrIter<'a> =
    std::iter::Map<std::slice::Iter<'a, (Rc<str>, Attr)>, fn(&'a (Rc<str>, Attr)) -> (&'a Rc<str>, &'a Attr)>;

impl AttrMap {
    pub fn new() -> AttrMap {
        AttrMap::default()
    }

    pub fn with_capacity(n: usize) -> AttrMap {
        AttrMap {
            entries: Vec::with_capacity(n),
        }
    }

    /// A map of `entries` in any order; of two with the same name, the later one stays.
    pub fn from_unsorted(mut entries: Vec<(Rc<str>, Attr)>) -> AttrMap {
        if !entries.is_sorted_by(|a, b| compare_names(&a.0, &b.0) == Ordering::Less) {
            // Stable: equal names keep their order, so the last of a run is the later one.
            entries.sort_by(|a, b| compare_names(&a.0, &b.0));
            let mut out: Vec<(Rc<str>, Attr)> = Vec::with_capacity(entries.len());
            for entry in entries {
                match out.last_mut() {
                    Some(last) if last.0 == entry.0 => *last = entry,
                    _ => out.push(entry),
                }
            }
            entries = out;
        }
        AttrMap { entries }
    }

    /// A map of `entries` already in name order, each name once (a set literal's, whose order
    /// lowering found).
    pub fn from_sorted(entries: Vec<(Rc<str>, Attr)>) -> AttrMap {
        debug_assert!(entries.is_sorted_by(|a, b| compare_names(&a.0, &b.0) == Ordering::Less));
        AttrMap { entries }
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| compare_names(k, key))
    }

    pub fn get(&self, key: &str) -> Option<&Attr> {
        self.index_of(key).map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.index_of(key).is_some()
    }

    /// Where `key` is. A small set (an option, a type, a definition: most that are read) is
    /// scanned comparing lengths first, which rejects most names without reading their
    /// text; a binary search compares texts at every step, and names share prefixes.
    fn index_of(&self, key: &str) -> Option<usize> {
        const SCANNED: usize = 24;
        if self.entries.len() > SCANNED {
            return self.position(key).ok();
        }
        let key = key.as_bytes();
        self.entries.iter().position(|(k, _)| {
            let k = k.as_bytes();
            k.len() == key.len() && (std::ptr::eq(k.as_ptr(), key.as_ptr()) || k == key)
        })
    }

    /// Add or replace `key`; the previous attribute of that name, if any.
    pub fn insert(&mut self, key: Rc<str>, attr: Attr) -> Option<Attr> {
        // Sets are mostly built in order: then this is a push.
        if self
            .entries
            .last()
            .is_none_or(|(last, _)| compare_names(last, &key) == Ordering::Less)
        {
            self.entries.push((key, attr));
            return None;
        }
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, attr)),
            Err(i) => {
                self.entries.insert(i, (key, attr));
                None
            }
        }
    }

    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, key: &Q) -> Option<Attr> {
        self.position(key.as_ref()).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keep only the attributes for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&Rc<str>, &mut Attr) -> bool) {
        self.entries.retain_mut(|(k, a)| keep(k, a));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> AttrIter<'_> {
        self.entries.iter().map(|(k, a)| (k, a))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Rc<str>> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Attr> + '_ {
        self.entries.iter().map(|(_, a)| a)
    }

    /// `a // b`: every attribute of both, `b`'s where both have a name.
    pub fn updated(&self, b: &AttrMap) -> AttrMap {
        let (a, b) = (&self.entries, &b.entries);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match compare_names(&a[i].0, &b[j].0) {
                Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(b[j].clone());
                    j += 1;
                }
                Ordering::Equal => {
                    out.push(b[j].clone());
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        AttrMap { entries: out }
    }
}

/// Byte-wise order of attribute names (`str`'s own), compared in line: names are short and
/// mostly differ in their first bytes, where a call of `memcmp` costs more than the loop.
fn compare_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if std::ptr::eq(a, b) {
        return Ordering::Equal;
    }
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

impl<'a> IntoIterator for &'a AttrMap {
    type Item = (&'a Rc<str>, &'a Attr);
    type IntoIter = AttrIter<'a>;

    fn into_iter(self) -> AttrIter<'a> {
        self.iter()
    }
}

/// An attribute set.
#[derive(Clone, Default)]
pub struct Attrs {
    pub map: AttrMap,
    /// The message for a missing attribute, where a set explains its absent names itself
    /// (`pkgs`).
    pub missing: Option<Rc<MissingMessage>>,
}

impl Attrs {
    pub fn new() -> Attrs {
        Attrs::default()
    }

    pub fn get(&self, key: &str) -> Option<&Thunk> {
        self.map.get(key).map(|a| &a.value)
    }

    pub fn insert(&mut self, key: Rc<str>, value: Thunk, key_span: Span) {
        self.map.insert(key, Attr { value, key_span });
    }

    /// Insert a ready value, with the builtin span (for attrsets made by builtins).
    pub fn insert_value(&mut self, key: &str, value: Value) {
        self.insert(Rc::from(key), Thunk::ready(value, Span::BUILTIN), Span::BUILTIN);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A lambda with the environment it closes over.
#[derive(Clone)]
pub struct Closure {
    pub def: Rc<LambdaDef>,
    pub env: Env,
}

/// The body of a builtin: receives its (unforced) arguments and the span of the call.
pub type PrimOpFn = dyn Fn(&Evaluator, &[Thunk], Span) -> EvalResult<Value>;

pub struct PrimOp {
    pub name: Rc<str>,
    pub arity: usize,
    pub func: Rc<PrimOpFn>,
}

/// A builtin applied to fewer arguments than its arity.
pub struct PrimOpApp {
    pub op: Rc<PrimOp>,
    pub args: PrimOpArgs,
}

/// The arguments a builtin has been given so far: up to two in place (every partial
/// application of a builtin of three arguments or fewer, which is most), more in a vector.
pub enum PrimOpArgs {
    None,
    One([Thunk; 1]),
    Two([Thunk; 2]),
    Many(Vec<Thunk>),
}

impl PrimOpArgs {
    /// These arguments and `arg` after them.
    pub fn with(&self, arg: Thunk) -> PrimOpArgs {
        match self {
            PrimOpArgs::None => PrimOpArgs::One([arg]),
            PrimOpArgs::One([a]) => PrimOpArgs::Two([a.clone(), arg]),
            PrimOpArgs::Two([a, b]) => PrimOpArgs::Many(vec![a.clone(), b.clone(), arg]),
            PrimOpArgs::Many(many) => {
                let mut many = many.clone();
                many.push(arg);
                PrimOpArgs::Many(many)
            }
        }
    }
}

impl std::ops::Deref for PrimOpArgs {
    type Target = [Thunk];

    fn deref(&self) -> &[Thunk] {
        match self {
            PrimOpArgs::None => &[],
            PrimOpArgs::One(one) => one,
            PrimOpArgs::Two(two) => two,
            PrimOpArgs::Many(many) => many,
        }
    }
}

impl Value {
    /// A native function of `arity` arguments (`builtins.x`, `lib.x`, or a hook of the caller).
    pub fn primop(
        name: &str,
        arity: usize,
        func: impl Fn(&Evaluator, &[Thunk], Span) -> EvalResult<Value> + 'static,
    ) -> Value {
        Value::PrimOp(Rc::new(PrimOpApp {
            op: Rc::new(PrimOp {
                name: Rc::from(name),
                arity,
                func: Rc::new(func),
            }),
            args: PrimOpArgs::None,
        }))
    }
}

/// The code of a native thunk: computes the value when first forced.
pub type NativeThunkFn = dyn Fn(&Evaluator) -> EvalResult<Value>;

pub enum ThunkState {
    /// Not yet evaluated: an expression in its environment.
    Pending(Rc<Expr>, Env),
    /// Not yet evaluated: native code (lazy values made by builtins or by the caller).
    Native(Rc<NativeThunkFn>),
    /// Not yet evaluated: a lambda applied to an argument, at the thunk's span (`map`'s and
    /// `genList`'s items): a lazy call without a closure of its own to allocate.
    Apply(Closure, Thunk),
    /// Not yet evaluated: `inherit (e) name;`, the attribute `name` of `e`'s value (`e` the
    /// thunk), made at each evaluation of its set or `let` without a closure of its own.
    InheritFrom(Thunk, Rc<str>),
    /// Being evaluated (a blackhole): forcing it again is infinite recursion. The span is
    /// where it was first forced.
    Forcing(Span),
    Done(Value),
}

/// A thunk's span and state. The state is in an `UnsafeCell`, not a `RefCell`: it is read or
/// replaced only through [`ThunkCell::replace_state`], [`Thunk::value_if_done`] and
/// [`Thunk::pending_parts`], none of which lets a reference into it outlive the call or runs
/// evaluation while one exists, so a borrow flag would check nothing (and cost a load, a
/// compare and a store at every read of a value).
pub struct ThunkCell {
    /// Where the value was written (the expression, or the call that made it).
    pub span: Span,
    state: UnsafeCell<ThunkState>,
}

impl ThunkCell {
    /// Put `state` in place of the current state, which is returned.
    #[inline(always)]
    pub fn replace_state(&self, state: ThunkState) -> ThunkState {
        // SAFETY: no reference into the state exists (see the type's note); dropping nothing here.
        unsafe { std::mem::replace(&mut *self.state.get(), state) }
    }
}

// Drop machinery, not a setting: a thunk is freed by `Drop`, which is given no evaluator,
// and the queue is empty again whenever no drop is under way.
thread_local! {
    /// True while a thunk's contents are being dropped on this thread: thunks freed meanwhile
    /// wait in [`DROP_QUEUE`] instead of being dropped inside it.
    static DROPPING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static DROP_QUEUE: RefCell<Vec<ThunkState>> = const { RefCell::new(Vec::new()) };
}

/// Dropping a thunk drops what it holds, which may hold thunks in turn: a chain of millions
/// (the unforced `n + 1`s of a tail-recursive loop stopped by the step limit, or a long
/// lazily built list) would overflow the stack if each link were dropped inside the last.
/// So the outermost drop frees the chain in a loop, one link at a time.
impl Drop for ThunkCell {
    fn drop(&mut self) {
        let span = self.span;
        let state = self.state.get_mut();
        if !frees_thunks(state) {
            return; // dropping it in place frees no thunk: no recursion
        }
        let state = std::mem::replace(state, ThunkState::Forcing(span));
        // During thread teardown the queue may be gone: drop in place then.
        let Ok(nested) = DROPPING.try_with(|d| d.replace(true)) else {
            return;
        };
        if nested {
            DROP_QUEUE.with(|q| q.borrow_mut().push(state));
            return;
        }
        drop(state);
        while let Some(next) = DROP_QUEUE.with(|q| q.borrow_mut().pop()) {
            drop(next);
        }
        DROPPING.with(|d| d.set(false));
    }
}

/// Whether dropping `state` may free another thunk: it holds the last reference to something
/// that can hold thunks (most states do not, and are dropped in place).
fn frees_thunks(state: &ThunkState) -> bool {
    match state {
        ThunkState::Pending(_, env) => Rc::strong_count(&env.0) == 1,
        ThunkState::Native(f) => Rc::strong_count(f) == 1,
        ThunkState::Apply(f, x) => Rc::strong_count(&f.env.0) == 1 || Rc::strong_count(&x.0) == 1,
        ThunkState::InheritFrom(from, _) => Rc::strong_count(&from.0) == 1,
        ThunkState::Forcing(_) => false,
        ThunkState::Done(v) => match v {
            Value::Attrs(a) => Rc::strong_count(a) == 1,
            Value::List(l) => Rc::strong_count(l) == 1,
            Value::Lambda(c) => Rc::strong_count(&c.env.0) == 1,
            Value::PrimOp(p) => Rc::strong_count(p) == 1,
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Path(_) => false,
        },
    }
}

/// A possibly unevaluated value, shared: evaluated at most once.
#[derive(Clone)]
pub struct Thunk(pub Rc<ThunkCell>);

impl Thunk {
    pub fn pending(expr: Rc<Expr>, env: Env) -> Thunk {
        let span = expr.span;
        Thunk(Rc::new(ThunkCell {
            span,
            state: UnsafeCell::new(ThunkState::Pending(expr, env)),
        }))
    }

    pub fn ready(value: Value, span: Span) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            span,
            state: UnsafeCell::new(ThunkState::Done(value)),
        }))
    }

    pub fn native(span: Span, f: impl Fn(&Evaluator) -> EvalResult<Value> + 'static) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            span,
            state: UnsafeCell::new(ThunkState::Native(Rc::new(f))),
        }))
    }

    /// A lazy `f x` of a lambda `f`, at `span` (the call's).
    pub fn apply(span: Span, f: Closure, x: Thunk) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            span,
            state: UnsafeCell::new(ThunkState::Apply(f, x)),
        }))
    }

    /// A lazy `inherit (e) name;` at `span`, `from` the thunk of `e`.
    pub fn inherit_from(span: Span, from: Thunk, name: Rc<str>) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            span,
            state: UnsafeCell::new(ThunkState::InheritFrom(from, name)),
        }))
    }

    pub fn span(&self) -> Span {
        self.0.span
    }

    /// The value if it has been computed already.
    #[inline(always)]
    pub fn value_if_done(&self) -> Option<Value> {
        // SAFETY: see `ThunkCell`; cloning a value only counts references, it evaluates nothing.
        match unsafe { &*self.0.state.get() } {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// The expression and environment of a thunk not yet evaluated from an expression.
    pub fn pending_parts(&self) -> Option<(Rc<Expr>, Env)> {
        // SAFETY: see `ThunkCell`; cloning two `Rc`s evaluates nothing.
        match unsafe { &*self.0.state.get() } {
            ThunkState::Pending(expr, env) => Some((expr.clone(), env.clone())),
            _ => None,
        }
    }

    pub fn ptr_eq(&self, other: &Thunk) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// One frame of the lexical environment. Variables are resolved to (depth, index) when the
/// code is lowered, so a lookup is a walk up `depth` frames and an index.
pub struct Frame {
    pub kind: FrameKind,
    pub parent: Option<Env>,
}

pub enum FrameKind {
    /// The one binding of a lambda `x: …`: its own variant, because a call is the commonest
    /// frame and a one-item `Vec` would be a second allocation per call.
    One(Thunk),
    /// Bindings of a `let`, a `rec` set or a lambda. Set once, after the frame exists, because
    /// the bindings' thunks refer to the frame itself.
    Slots(OnceCell<Vec<Thunk>>),
    /// The bindings of a `rec` set with `__overrides`: set once like [`FrameKind::Slots`],
    /// then some replaced by the overrides (see [`Env::override_slot`]).
    Overridable(RefCell<Vec<Thunk>>),
    /// The attrset of a `with`, searched by name for variables no binding defines.
    With(Thunk),
}

#[derive(Clone)]
pub struct Env(pub Rc<Frame>);

impl Env {
    pub fn root() -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::Slots(OnceCell::from(Vec::new())),
            parent: None,
        }))
    }

    /// A new frame of bindings whose slots are filled later with [`Env::fill`].
    pub fn open_slots(&self) -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::Slots(OnceCell::new()),
            parent: Some(self.clone()),
        }))
    }

    /// Like [`Env::open_slots`], for a `rec` set with `__overrides`.
    pub fn open_overridable_slots(&self) -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::Overridable(RefCell::new(Vec::new())),
            parent: Some(self.clone()),
        }))
    }

    /// A frame of slots that is the outermost (inside the base environment).
    pub fn root_with_slots(slots: Vec<Thunk>) -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::Slots(OnceCell::from(slots)),
            parent: None,
        }))
    }

    /// The frame of a call of `x: …`, binding `x` to `arg`.
    pub fn with_one(&self, arg: Thunk) -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::One(arg),
            parent: Some(self.clone()),
        }))
    }

    pub fn with_scope(&self, attrs: Thunk) -> Env {
        Env(Rc::new(Frame {
            kind: FrameKind::With(attrs),
            parent: Some(self.clone()),
        }))
    }

    pub fn fill(&self, slots: Vec<Thunk>) {
        match &self.0.kind {
            FrameKind::Slots(cell) => {
                let _ = cell.set(slots);
            }
            FrameKind::Overridable(cell) => *cell.borrow_mut() = slots,
            FrameKind::One(_) | FrameKind::With(_) => {}
        }
    }

    /// Replace slot `index` of an overridable frame (`__overrides`).
    pub fn override_slot(&self, index: usize, thunk: Thunk) {
        if let FrameKind::Overridable(cell) = &self.0.kind
            && let Some(slot) = cell.borrow_mut().get_mut(index)
        {
            *slot = thunk;
        }
    }

    /// The thunk bound at `depth` frames up, slot `index` (as resolved by the lowering).
    pub fn lookup(&self, depth: u32, index: u32) -> Option<Thunk> {
        self.read_slot(depth, index, Thunk::clone)
    }

    /// `f` of the thunk bound at `depth` frames up, slot `index`, read in place: reading a
    /// variable's computed value this way clones no thunk (the machine's commonest read).
    #[inline]
    pub fn read_slot<R>(&self, depth: u32, index: u32, f: impl FnOnce(&Thunk) -> R) -> Option<R> {
        let mut frame = &self.0;
        for _ in 0..depth {
            frame = &frame.parent.as_ref()?.0;
        }
        match &frame.kind {
            FrameKind::One(t) if index == 0 => Some(f(t)),
            FrameKind::Slots(cell) => cell.get()?.get(index as usize).map(f),
            FrameKind::Overridable(cell) => cell.borrow().get(index as usize).map(f),
            FrameKind::One(_) | FrameKind::With(_) => None,
        }
    }

    /// The `with` attrsets in scope, innermost first (read in place: a variable found
    /// through `with` collects nothing).
    pub fn with_scopes(&self) -> impl Iterator<Item = &Thunk> + '_ {
        let mut frame = Some(&self.0);
        std::iter::from_fn(move || {
            while let Some(f) = frame {
                frame = f.parent.as_ref().map(|e| &e.0);
                if let FrameKind::With(t) = &f.kind {
                    return Some(t);
                }
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of `names`, each attribute's value its name.
    fn set_of(names: &[String]) -> AttrMap {
        let entries = names
            .iter()
            .map(|n| {
                let attr = Attr {
                    value: Thunk::ready(Value::str(n), Span::BUILTIN),
                    key_span: Span::BUILTIN,
                };
                (Rc::from(n.as_str()), attr)
            })
            .collect();
        AttrMap::from_unsorted(entries)
    }

    /// Scanned (small) and searched (large) sets find the same names: names of one length,
    /// names that are prefixes of others, the empty name, and names that are not there.
    #[test]
    fn small_and_large_sets_find_every_name_and_no_other() {
        for size in [0, 1, 5, 24, 25, 60] {
            let mut names: Vec<String> = (0..size).map(|i| format!("n{}", i * 7 % 100)).collect();
            names.sort();
            names.dedup();
            if size > 2 {
                names.extend(["".to_string(), "de".to_string(), "def".to_string()]);
            }
            let set = set_of(&names);
            for name in &names {
                let found = set.get(name).and_then(|a| a.value.value_if_done());
                assert!(
                    matches!(found, Some(Value::Str(s)) if *s == **name),
                    "{name} in a set of {size}"
                );
                assert!(set.contains_key(name));
            }
            for absent in ["n", "n1000", "d", "defa", "zz"] {
                assert!(set.get(absent).is_none(), "{absent} in a set of {size}");
            }
        }
    }
}
