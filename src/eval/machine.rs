//! Evaluation of lowered expressions: forcing thunks, applying functions, the operators.

use super::coerce::CoerceMode;
use super::error::{ErrorKind, EvalError, EvalResult, error, error_of};
use super::evaluator::Evaluator;
use super::ir::*;
use super::value::*;
use crate::diagnostic::Code;
use crate::source::Span;
use std::cmp::Ordering;
use std::rc::Rc;

/// Stack of the evaluation thread. Only what is used is touched (virtual memory).
pub const EVAL_STACK_BYTES: usize = 1 << 30;

/// Stack kept free for the error path and for dropping deep values: evaluation stops with a
/// `LimitExceeded` error when less than this is left.
pub const STACK_MARGIN_BYTES: usize = 128 << 20;

/// One step of evaluation: a value, or the expression to continue with (a tail call).
enum Step {
    Done(Value),
    Tail(Rc<Expr>, Env),
}

/// Held while a nested evaluation runs. Nesting is bounded by the stack itself (see
/// [`Evaluator::enter`]), so there is no depth to count back: the guard costs nothing.
pub(crate) struct DepthGuard<'a>(std::marker::PhantomData<&'a Evaluator>);

/// An address in the caller's stack frame: called first on the evaluation thread, it is near
/// the bottom of its stack ([`Evaluator::stack_limit`]).
#[inline(always)]
pub(crate) fn stack_address() -> usize {
    let here = 0u8;
    &here as *const u8 as usize
}

/// The lowest stack address an evaluation may reach on a thread whose stack starts near
/// `base` ([`EVAL_STACK_BYTES`] of it, all but [`STACK_MARGIN_BYTES`] usable).
pub(crate) fn stack_limit_below(base: usize) -> usize {
    base.saturating_sub(EVAL_STACK_BYTES - STACK_MARGIN_BYTES)
}

impl Evaluator {
    /// Enter one level of nesting: a `LimitExceeded` error when the evaluation thread has used
    /// all but a safety margin of its stack, or past the step limit. The limit is the
    /// evaluator's own (not a thread-local): read at every step, it costs a load and a compare.
    #[inline(always)]
    pub(crate) fn enter(&self, span: Span) -> EvalResult<DepthGuard<'_>> {
        if stack_address() < self.stack_limit.get() {
            return Err(too_deep(span));
        }
        self.count_step(span)?;
        Ok(DepthGuard(std::marker::PhantomData))
    }

    /// Count one evaluation step against the step limit ([`super::options::EvalOptions::max_steps`]).
    /// A tail call counts too: a tail-recursive loop runs in constant stack, but each turn may
    /// allocate (the unforced `n + 1` of `let f = n: f (n + 1); in f 0`), so only the step
    /// limit stops it before memory runs out. The steps left are counted down: one load, one
    /// test.
    #[inline(always)]
    fn count_step(&self, span: Span) -> EvalResult<()> {
        let left = self.steps_left.get();
        if left == 0 {
            return Err(self.too_many_steps(span));
        }
        self.steps_left.set(left - 1);
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_many_steps(&self, span: Span) -> Box<EvalError> {
        error_of(
            ErrorKind::Other,
            Code::LimitExceeded,
            span,
            format!(
                "evaluation took more than {} steps (an endless loop? raise --max-eval-steps if not)",
                self.max_steps
            ),
        )
    }

    /// The value of a thunk, computed once.
    pub fn force(&self, thunk: &Thunk) -> EvalResult<Value> {
        if let Some(v) = thunk.value_if_done() {
            return Ok(v);
        }
        let cell = &thunk.0;
        let previous = cell.replace_state(ThunkState::Forcing(self.current.get()));
        let result = match &previous {
            ThunkState::Done(v) => Ok(v.clone()),
            ThunkState::Forcing(first) => {
                let first = *first;
                cell.replace_state(previous);
                return Err(self.infinite_recursion(thunk.span(), first));
            }
            ThunkState::Pending(expr, env) => self.eval(expr, env),
            ThunkState::Native(f) => {
                let _guard = self.enter(thunk.span())?;
                f(self)
            }
            ThunkState::Apply(f, x) => {
                let _guard = self.enter(thunk.span())?;
                self.call_closure(f, x.clone(), thunk.span())
            }
            ThunkState::InheritFrom(from, name) => {
                let _guard = self.enter(thunk.span())?;
                self.inherit_from(from, name, thunk.span())
            }
        };
        match result {
            Ok(v) => {
                cell.replace_state(ThunkState::Done(v.clone()));
                Ok(v)
            }
            Err(e) => {
                // Leave the thunk as it was: forcing it again (after `tryEval`) fails again.
                cell.replace_state(previous);
                Err(e)
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn infinite_recursion(&self, span: Span, first: Span) -> Box<EvalError> {
        let mut e = error(span, "infinite recursion encountered");
        e.diagnostic = crate::diagnostic::Diagnostic::new(Code::NixEval, "infinite recursion encountered")
            .at(span, "this value depends on itself")
            .also(first, "its evaluation started here");
        e
    }

    /// A thunk for `expr` in `env`, without allocating where the value is at hand.
    pub fn thunk_of(&self, expr: &Rc<Expr>, env: &Env) -> Thunk {
        if let Some(t) = &expr.constant {
            return t.clone();
        }
        match &expr.kind {
            ExprKind::Var(Var::Local { depth, index }) => match env.lookup(*depth, *index) {
                Some(t) => t,
                None => Thunk::pending(expr.clone(), env.clone()),
            },
            // A builtin's value is at hand: Nix passes it as it is, not as a thunk.
            ExprKind::Var(Var::Global(name)) => match self.globals.get(name) {
                Some(v) => Thunk::ready(v.clone(), expr.span),
                None => Thunk::pending(expr.clone(), env.clone()),
            },
            _ => Thunk::pending(expr.clone(), env.clone()),
        }
    }

    pub fn eval(&self, expr: &Rc<Expr>, env: &Env) -> EvalResult<Value> {
        // A literal, or a variable whose value is known, is at hand: no step to count, no
        // frame to enter (most evaluations in module-system code are of these).
        match &expr.kind {
            ExprKind::Const(v) => return Ok(v.clone()),
            ExprKind::Var(Var::Local { depth, index }) => {
                if let Some(Some(v)) = env.read_slot(*depth, *index, Thunk::value_if_done) {
                    return Ok(v);
                }
            }
            ExprKind::Var(Var::Global(name)) => {
                if let Some(v) = self.globals.get(name) {
                    return Ok(v.clone());
                }
            }
            _ => {}
        }
        let _guard = self.enter(expr.span)?;
        let outer = self.current.replace(expr.span);
        // Expressions in tail position (branches, bodies, calls of lambdas) continue in this
        // loop instead of recursing: a tail-recursive Nix function runs in constant stack.
        // One call of the step, inlined: the loop is the machine's innermost.
        let mut tail: Option<(Rc<Expr>, Env)> = None;
        let result = loop {
            let (expr, env) = match &tail {
                Some((next, next_env)) => (next, next_env),
                None => (expr, env),
            };
            match self.eval_step(expr, env) {
                Ok(Step::Done(v)) => break Ok(v),
                Ok(Step::Tail(next, next_env)) => {
                    self.current.set(next.span);
                    if let Err(e) = self.count_step(next.span) {
                        break Err(e);
                    }
                    tail = Some((next, next_env));
                }
                Err(e) => break Err(e),
            }
        };
        self.current.set(outer);
        result
    }

    /// `eval` of a function applied, a set selected from or an operand: mostly a variable
    /// whose value is computed already, read here without the call of `eval`.
    #[inline(always)]
    fn eval_operand(&self, expr: &Rc<Expr>, env: &Env) -> EvalResult<Value> {
        if let ExprKind::Var(Var::Local { depth, index }) = &expr.kind
            && let Some(Some(v)) = env.read_slot(*depth, *index, Thunk::value_if_done)
        {
            return Ok(v);
        }
        self.eval(expr, env)
    }

    #[inline(always)]
    fn eval_step(&self, expr: &Rc<Expr>, env: &Env) -> EvalResult<Step> {
        let span = expr.span;
        let done = Step::Done;
        let value = match &expr.kind {
            ExprKind::If(c, t, f) => {
                let branch = if self.eval_bool(c, env)? { t } else { f };
                return Ok(Step::Tail(branch.clone(), env.clone()));
            }
            ExprKind::Let(def, body) if def.dynamics.is_empty() && def.overrides.is_none() => {
                return Ok(Step::Tail(body.clone(), self.let_frame(def, env)));
            }
            ExprKind::Let(def, body) => {
                let (_, inner) = self.build_attrs(def, env)?;
                return Ok(Step::Tail(body.clone(), inner));
            }
            ExprKind::With(ns, body) => {
                let scope = self.thunk_of(ns, env);
                return Ok(Step::Tail(body.clone(), env.with_scope(scope)));
            }
            ExprKind::Assert(c, body) => {
                if self.eval_bool(c, env)? {
                    return Ok(Step::Tail(body.clone(), env.clone()));
                }
                let text = self.sources.borrow().text(c.span).to_string();
                return Err(error_of(
                    ErrorKind::AssertionFailed,
                    Code::NixEval,
                    c.span,
                    format!("assertion '{text}' failed"),
                ));
            }
            ExprKind::Apply(f, x) => {
                let f = self.eval_operand(f, env)?;
                let arg = self.thunk_of(x, env);
                if let Value::Lambda(closure) = &f {
                    let (body, inner) = self.bind_closure(closure, arg, span)?;
                    return Ok(Step::Tail(body, inner));
                }
                self.call(f, arg, span)
            }
            _ => self.eval_kind(expr, env),
        };
        value.map(done)
    }

    /// The text of an interpolated string or path: literal parts as they are, interpolated
    /// ones coerced as `mode` says.
    fn interpolate(&self, parts: &[StrPart], mode: CoerceMode, env: &Env) -> EvalResult<String> {
        let mut out = String::new();
        for part in parts {
            match part {
                StrPart::Lit(s) => out.push_str(s),
                StrPart::Interp(e) => {
                    let v = self.eval(e, env)?;
                    self.coerce_to_string(&v, mode, e.span, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    fn eval_kind(&self, expr: &Rc<Expr>, env: &Env) -> EvalResult<Value> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Const(v) => Ok(v.clone()),
            ExprKind::Var(var) => self.lookup_var(var, env, span),
            ExprKind::Str(parts) => Ok(Value::string(self.interpolate(
                parts,
                CoerceMode::Interpolation,
                env,
            )?)),
            ExprKind::Path(parts) => {
                let out = self.interpolate(parts, CoerceMode::PathInterpolation, env)?;
                Ok(Value::Path(Rc::from(super::lower::canonicalize_path(&out))))
            }
            ExprKind::SearchPath(name) => self.find_in_search_path(name, span),
            // Collected straight into the shared list: one allocation, no vector to copy.
            ExprKind::List(items) => Ok(Value::List(items.iter().map(|e| self.thunk_of(e, env)).collect())),
            ExprKind::Attrs(def) => {
                let (attrs, _) = self.build_attrs(def, env)?;
                Ok(Value::attrs(attrs))
            }
            ExprKind::Lambda(def) => Ok(Value::Lambda(Closure {
                def: def.clone(),
                env: env.clone(),
            })),
            ExprKind::Select(target, keys, default) => self.eval_select(target, keys, default.as_ref(), env, span),
            ExprKind::HasAttr(target, keys) => {
                // Only the sets along the path are forced, never the attribute tested: Nix's
                // `self ? a` inside the definition of `self.a` (a `fix` point) must not recurse.
                let mut v = self.eval(target, env)?;
                let Some((last, inner)) = keys.split_last() else {
                    return Err(error(span, "internal error: `?` without an attribute path"));
                };
                for key in inner {
                    let name = self.key_name(key, env)?;
                    let Value::Attrs(attrs) = &v else {
                        return Ok(Value::Bool(false));
                    };
                    let Some(next) = attrs.get(&name).cloned() else {
                        return Ok(Value::Bool(false));
                    };
                    v = self.force(&next)?;
                }
                let name = self.key_name(last, env)?;
                Ok(Value::Bool(
                    matches!(&v, Value::Attrs(attrs) if attrs.get(&name).is_some()),
                ))
            }
            ExprKind::BinOp(op, l, r) => self.eval_binop(*op, l, r, env, span),
            ExprKind::Not(e) => Ok(Value::Bool(!self.eval_bool(e, env)?)),
            ExprKind::Neg(e) => {
                let v = self.eval(e, env)?;
                self.arith(BinOp::Sub, Value::Int(0), v, span)
            }
            ExprKind::CurPos => Ok(self.position_attrs(span)),
            ExprKind::If(..) | ExprKind::Let(..) | ExprKind::With(..) | ExprKind::Assert(..) | ExprKind::Apply(..) => {
                self.eval(expr, env)
            }
        }
    }

    /// The path `<name>` stands for (see [`super::search_path`]).
    fn find_in_search_path(&self, name: &str, span: Span) -> EvalResult<Value> {
        self.find_in(&self.search_path, name, span)
    }

    /// `name` looked up in `entries` (`<name>`, `builtins.findFile`); `<nixpkgs/lib>`, when no
    /// entry has it, is the native lib.
    pub(crate) fn find_in(
        &self,
        entries: &[super::search_path::SearchPathEntry],
        name: &str,
        span: Span,
    ) -> EvalResult<Value> {
        let cwd = self.io().current_dir();
        let found = super::search_path::find(self.io(), entries, name, &cwd)
            .or_else(|| super::search_path::native_fallback(name).map(str::to_string));
        match found {
            Some(path) => Ok(Value::Path(Rc::from(path))),
            // Nix reports this as a catchable error (`tryEval <x>` is `{ success = false; }`).
            None => Err(error_of(
                ErrorKind::Throw,
                Code::NixEval,
                span,
                format!(
                    "file '{name}' was not found in the Nix search path (add it using $NIX_PATH); \
                     without it, only <nixpkgs/lib> is known (netns-compile's own lib)"
                ),
            )),
        }
    }

    /// `{ file, line, column }` of a span (`__curPos`, `unsafeGetAttrPos`).
    pub(crate) fn position_attrs(&self, span: Span) -> Value {
        let sources = self.sources.borrow();
        let (line, column) = sources.line_col(span.file, span.start);
        let mut attrs = Attrs::new();
        attrs.insert_value("file", Value::str(sources.name(span.file)));
        attrs.insert_value("line", Value::Int(line as i64));
        attrs.insert_value("column", Value::Int(column as i64));
        Value::attrs(attrs)
    }

    fn lookup_var(&self, var: &Var, env: &Env, span: Span) -> EvalResult<Value> {
        match var {
            Var::Local { depth, index } => match env.lookup(*depth, *index) {
                Some(t) => self.force(&t),
                None => Err(error(span, "internal error: unbound variable slot")),
            },
            Var::Global(name) => match self.globals.get(name) {
                Some(v) => Ok(v.clone()),
                None => Err(error(span, format!("undefined variable '{name}'"))),
            },
            Var::With(name) => match self.lookup_with(name, env)? {
                Some(t) => self.force(&t),
                None => Err(error(span, format!("undefined variable '{name}'"))),
            },
        }
    }

    /// `inherit (e) name;`: the attribute `name` of `from`, the thunk of `e`.
    fn inherit_from(&self, from: &Thunk, name: &str, span: Span) -> EvalResult<Value> {
        let v = self.force(from)?;
        let attrs = self.expect_attrs(v.clone(), from.span(), "the source of 'inherit'")?;
        match attrs.get(name) {
            Some(t) => self.force(t),
            None => Err(self.missing_attr(&v, name, span)),
        }
    }

    /// A variable no binding defines, searched in the `with` sets, innermost first.
    pub(crate) fn lookup_with(&self, name: &str, env: &Env) -> EvalResult<Option<Thunk>> {
        for scope in env.with_scopes() {
            let v = self.force(scope)?;
            let attrs = self.expect_attrs(v, scope.span(), "the argument of 'with'")?;
            if let Some(t) = attrs.get(name) {
                return Ok(Some(t.clone()));
            }
        }
        Ok(None)
    }

    fn eval_bool(&self, e: &Rc<Expr>, env: &Env) -> EvalResult<bool> {
        match self.eval(e, env)? {
            Value::Bool(b) => Ok(b),
            other => Err(not_a_bool(&other, e.span)),
        }
    }

    pub(crate) fn key_name(&self, key: &Key, env: &Env) -> EvalResult<Rc<str>> {
        match &key.kind {
            KeyKind::Static(name) => Ok(name.clone()),
            KeyKind::Dynamic(e) => {
                let v = self.eval(e, env)?;
                self.expect_string(v, e.span)
            }
        }
    }

    fn eval_select(
        &self,
        target: &Rc<Expr>,
        keys: &[Key],
        default: Option<&Rc<Expr>>,
        env: &Env,
        span: Span,
    ) -> EvalResult<Value> {
        let mut v = self.eval_operand(target, env)?;
        for key in keys {
            // Borrowed, not cloned: a select is among the commonest expressions.
            let dynamic;
            let name: &str = match &key.kind {
                KeyKind::Static(name) => name,
                KeyKind::Dynamic(_) => {
                    dynamic = self.key_name(key, env)?;
                    &dynamic
                }
            };
            let found = match &v {
                Value::Attrs(attrs) => match attrs.get(name) {
                    Some(t) => Some(self.force(t)?),
                    None => None,
                },
                _ if default.is_some() => None,
                other => {
                    return Err(error(
                        key.span,
                        format!(
                            "value is {} while a set was expected (selecting attribute '{name}')",
                            other.described()
                        ),
                    ));
                }
            };
            match found {
                Some(next) => v = next,
                None => match default {
                    Some(d) => return self.eval(d, env),
                    None => return Err(self.missing_attr(&v, name, key.span)),
                },
            }
        }
        let _ = span;
        Ok(v)
    }

    /// "attribute 'x' missing", with the closest existing name as a suggestion.
    pub(crate) fn missing_attr(&self, set: &Value, name: &str, span: Span) -> Box<EvalError> {
        let Value::Attrs(attrs) = set else {
            return error(span, format!("attribute '{name}' missing"));
        };
        if let Some(explain) = &attrs.missing {
            return error(span, explain(name));
        }
        let mut e = error(span, format!("attribute '{name}' missing"));
        if let Some(best) = crate::suggest::closest(name, attrs.map.keys().map(|k| k.as_ref())) {
            e.diagnostic = e.diagnostic.help(format!("did you mean '{best}'?"));
        }
        e
    }

    /// Select for `--attr` (`whole`, of which `component` is one step): an attribute of a set,
    /// or an index into a list. A missing attribute is said in `nix-instantiate -A`'s words.
    pub(crate) fn select_for_attr_path(
        &self,
        v: &Value,
        component: &str,
        whole: &str,
        span: Span,
    ) -> EvalResult<Thunk> {
        match v {
            Value::Attrs(attrs) => attrs.get(component).cloned().ok_or_else(|| {
                let mut e = self.missing_attr(v, component, span);
                if attrs.missing.is_none() {
                    e.diagnostic.message = format!("attribute '{component}' in selection path '{whole}' not found");
                }
                e
            }),
            Value::List(items) => match component.parse::<usize>() {
                Ok(i) if i < items.len() => Ok(items[i].clone()),
                _ => Err(error(
                    span,
                    format!("list index '{component}' out of range or not a number"),
                )),
            },
            other => Err(error(
                span,
                format!(
                    "value is {} while a set was expected (selecting attribute '{component}')",
                    other.described()
                ),
            )),
        }
    }

    // -- attribute sets -----------------------------------------------------------------------

    /// Evaluate a set literal in `env`; returns the set and the environment its values see
    /// (a new frame for `rec`).
    fn build_attrs(&self, def: &AttrsDef, env: &Env) -> EvalResult<(Attrs, Env)> {
        let inner = match (def.rec, def.overrides) {
            (false, _) => env.clone(),
            (true, None) => env.open_slots(),
            (true, Some(_)) => env.open_overridable_slots(),
        };
        let from = self.inherit_sources(def, &inner);
        // Built in name order (found by lowering): the map is sorted as it is made.
        let mut statics = Vec::with_capacity(def.statics.len());
        if def.rec {
            let slots = self.binding_thunks(def, &inner, &from);
            for i in def.name_order() {
                let binding = &def.statics[i];
                let attr = Attr {
                    value: slots[i].clone(),
                    key_span: binding.key_span,
                };
                statics.push((binding.name.clone(), attr));
            }
            inner.fill(slots);
        } else {
            for i in def.name_order() {
                let binding = &def.statics[i];
                let attr = Attr {
                    value: self.binding_thunk(binding, &inner, &from),
                    key_span: binding.key_span,
                };
                statics.push((binding.name.clone(), attr));
            }
        }
        let mut attrs = Attrs {
            map: AttrMap::from_sorted(statics),
            missing: None,
        };
        if let Some(index) = def.overrides {
            self.apply_overrides(def, index, &mut attrs, &inner)?;
        }
        // Dynamic attributes come after `__overrides`, and see its values.
        for dynamic in &def.dynamics {
            let key = self.eval(&dynamic.key, &inner)?;
            if matches!(key, Value::Null) {
                continue;
            }
            let name = self.expect_string(key, dynamic.key_span)?;
            if let Some(previous) = attrs.map.get(&name) {
                let mut e = error(dynamic.key_span, format!("dynamic attribute '{name}' already defined"));
                e.diagnostic = e.diagnostic.also(previous.key_span, "previously defined here");
                return Err(e);
            }
            attrs.insert(name, self.thunk_of(&dynamic.value, &inner), dynamic.key_span);
        }
        Ok((attrs, inner))
    }

    /// The frame of a `let`'s bindings in `env`: only its slots, no set (a `let` has neither
    /// dynamic names nor `__overrides`).
    fn let_frame(&self, def: &AttrsDef, env: &Env) -> Env {
        let inner = env.open_slots();
        let from = self.inherit_sources(def, &inner);
        inner.fill(self.binding_thunks(def, &inner, &from));
        inner
    }

    /// The thunks of each `inherit (e)`'s `e`, in `inner`.
    fn inherit_sources(&self, def: &AttrsDef, inner: &Env) -> Vec<Thunk> {
        def.inherit_from.iter().map(|e| self.thunk_of(e, inner)).collect()
    }

    /// The statically named bindings' thunks, in source order (a frame's slots).
    fn binding_thunks(&self, def: &AttrsDef, inner: &Env, from: &[Thunk]) -> Vec<Thunk> {
        def.statics.iter().map(|b| self.binding_thunk(b, inner, from)).collect()
    }

    fn binding_thunk(&self, binding: &Binding, inner: &Env, from: &[Thunk]) -> Thunk {
        match &binding.value {
            BindValue::Expr(e) => self.thunk_of(e, inner),
            // Resolved from the set's own frame, skipping it (see `Lowerer::resolve_outside`).
            BindValue::Inherit(var, span) => self.inherited(var, inner, *span, &binding.name),
            BindValue::InheritFrom(i, span) => match from.get(*i) {
                Some(from) => Thunk::inherit_from(*span, from.clone(), binding.name.clone()),
                None => {
                    let span = *span;
                    Thunk::native(span, move |_| {
                        Err(error(span, "internal error: missing inherit source"))
                    })
                }
            },
        }
    }

    /// `__overrides` in a `rec` set (deprecated Nix): its value, evaluated in the set's frame
    /// (whose slots still hold the set's own values), is a set whose attributes replace those
    /// of the same name, both in the set and in its frame (so the other attributes see them);
    /// the others are added to the set. As Nix's `ExprAttrs::eval` does.
    fn apply_overrides(&self, def: &AttrsDef, index: usize, attrs: &mut Attrs, inner: &Env) -> EvalResult<()> {
        let Some(binding) = def.statics.get(index) else {
            return Ok(());
        };
        let Some(thunk) = attrs.get(&binding.name).cloned() else {
            return Ok(());
        };
        let v = self.force(&thunk)?;
        let overrides = self.expect_attrs(v, thunk.span(), "the value of '__overrides'")?;
        for (name, attr) in &overrides.map {
            if let Some(slot) = def.statics.iter().position(|b| b.name == *name) {
                inner.override_slot(slot, attr.value.clone());
            }
            attrs.insert(name.clone(), attr.value.clone(), attr.key_span);
        }
        Ok(())
    }

    fn inherited(&self, var: &Var, env: &Env, span: Span, name: &Rc<str>) -> Thunk {
        match var {
            Var::Local { depth, index } => env
                .lookup(*depth, *index)
                .unwrap_or_else(|| Thunk::ready(Value::Null, span)),
            Var::Global(g) => Thunk::ready(self.globals.get(g).cloned().unwrap_or(Value::Null), span),
            Var::With(_) => {
                let env = env.clone();
                let name = name.clone();
                Thunk::native(span, move |ev| match ev.lookup_with(&name, &env)? {
                    Some(t) => ev.force(&t),
                    None => Err(error(span, format!("undefined variable '{name}'"))),
                })
            }
        }
    }

    // -- functions ----------------------------------------------------------------------------

    /// Apply a function value to an argument.
    pub fn call(&self, f: Value, arg: Thunk, span: Span) -> EvalResult<Value> {
        // A lambda's body is entered by `eval` (one step, one level), the rest here.
        if let Value::Lambda(closure) = &f {
            return self.call_closure(closure, arg, span);
        }
        let _guard = self.enter(span)?;
        match f {
            Value::Lambda(closure) => self.call_closure(&closure, arg, span),
            Value::PrimOp(app) => {
                // The commonest calls complete a builtin of three arguments or fewer: their
                // arguments go on the stack, not in a new `Vec`.
                let func = &app.op.func;
                if app.args.len() + 1 >= app.op.arity {
                    return match &*app.args {
                        [] => func(self, std::slice::from_ref(&arg), span),
                        [a] => func(self, &[a.clone(), arg], span),
                        [a, b] => func(self, &[a.clone(), b.clone(), arg], span),
                        given => {
                            let mut args = Vec::with_capacity(given.len() + 1);
                            args.extend_from_slice(given);
                            args.push(arg);
                            func(self, &args, span)
                        }
                    };
                }
                Ok(Value::PrimOp(Rc::new(PrimOpApp {
                    op: app.op.clone(),
                    args: app.args.with(arg),
                })))
            }
            Value::Attrs(attrs) if attrs.get("__functor").is_some() => {
                let functor = attrs
                    .get("__functor")
                    .cloned()
                    .ok_or_else(|| error(span, "no functor"))?;
                let functor = self.force(&functor)?;
                let this = Thunk::ready(Value::Attrs(attrs.clone()), span);
                let partial = self.call(functor, this, span)?;
                self.call(partial, arg, span)
            }
            other => Err(error(
                span,
                format!(
                    "attempt to call something which is not a function but {}",
                    other.described()
                ),
            )),
        }
    }

    fn call_closure(&self, closure: &Closure, arg: Thunk, span: Span) -> EvalResult<Value> {
        let (body, env) = self.bind_closure(closure, arg, span)?;
        self.eval(&body, &env)
    }

    /// The body of a lambda and the environment that binds its parameters to `arg`.
    fn bind_closure(&self, closure: &Closure, arg: Thunk, span: Span) -> EvalResult<(Rc<Expr>, Env)> {
        let def = &closure.def;
        let env = match &def.param {
            Param::Ident(_) => closure.env.with_one(arg),
            Param::Pattern {
                entries,
                ellipsis,
                bind,
            } => {
                let v = self.force(&arg)?;
                let Value::Attrs(given) = &v else {
                    return Err(error(
                        span,
                        format!(
                            "value is {} while a set was expected (as the function's argument)",
                            v.described()
                        ),
                    )
                    .also_at(def.span, "the function"));
                };
                if !ellipsis {
                    for key in given.map.keys() {
                        if !entries.iter().any(|e| e.name == *key) {
                            let mut e = error(span, format!("function called with unexpected argument '{key}'"))
                                .also_at(def.span, "the function");
                            if let Some(best) = crate::suggest::closest(key, entries.iter().map(|e| e.name.as_ref())) {
                                e.diagnostic = e.diagnostic.help(format!("did you mean '{best}'?"));
                            }
                            return Err(e);
                        }
                    }
                }
                let inner = closure.env.open_slots();
                let mut slots = Vec::with_capacity(entries.len() + 1);
                for entry in entries {
                    let thunk = match (given.get(&entry.name), &entry.default) {
                        (Some(t), _) => t.clone(),
                        (None, Some(default)) => self.thunk_of(default, &inner),
                        (None, None) => {
                            return Err(error(
                                span,
                                format!("function called without required argument '{}'", entry.name),
                            )
                            .also_at(entry.span, "required here"));
                        }
                    };
                    slots.push(thunk);
                }
                if bind.is_some() {
                    slots.push(arg);
                }
                inner.fill(slots);
                inner
            }
        };
        Ok((def.body.clone(), env))
    }

    // -- operators ----------------------------------------------------------------------------

    fn eval_binop(&self, op: BinOp, l: &Rc<Expr>, r: &Rc<Expr>, env: &Env, span: Span) -> EvalResult<Value> {
        match op {
            BinOp::And => Ok(Value::Bool(self.eval_bool(l, env)? && self.eval_bool(r, env)?)),
            BinOp::Or => Ok(Value::Bool(self.eval_bool(l, env)? || self.eval_bool(r, env)?)),
            BinOp::Implies => Ok(Value::Bool(!self.eval_bool(l, env)? || self.eval_bool(r, env)?)),
            BinOp::PipeRight => {
                let f = self.eval(r, env)?;
                self.call(f, self.thunk_of(l, env), span)
            }
            BinOp::PipeLeft => {
                let f = self.eval(l, env)?;
                self.call(f, self.thunk_of(r, env), span)
            }
            _ => {
                let a = self.eval_operand(l, env)?;
                let b = self.eval_operand(r, env)?;
                self.binop_values(op, a, b, span)
            }
        }
    }

    pub(crate) fn binop_values(&self, op: BinOp, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        match op {
            BinOp::Eq => Ok(Value::Bool(self.values_equal(&a, &b, span)?)),
            BinOp::NotEq => Ok(Value::Bool(!self.values_equal(&a, &b, span)?)),
            BinOp::Less => Ok(Value::Bool(self.compare(&a, &b, span)? == Ordering::Less)),
            BinOp::LessEq => Ok(Value::Bool(self.compare(&b, &a, span)? != Ordering::Less)),
            BinOp::More => Ok(Value::Bool(self.compare(&b, &a, span)? == Ordering::Less)),
            BinOp::MoreEq => Ok(Value::Bool(self.compare(&a, &b, span)? != Ordering::Less)),
            BinOp::Concat => {
                let a = self.expect_list(a, span)?;
                let b = self.expect_list(b, span)?;
                if a.is_empty() {
                    return Ok(Value::List(b));
                }
                if b.is_empty() {
                    return Ok(Value::List(a));
                }
                Ok(Value::List(a.iter().chain(b.iter()).cloned().collect()))
            }
            BinOp::Update => {
                let a = self.expect_attrs(a, span, "the left side of '//'")?;
                let b = self.expect_attrs(b, span, "the right side of '//'")?;
                Ok(Value::Attrs(update_attrs(a, b)))
            }
            BinOp::Add => match (a, b) {
                (Value::Str(x), b) => {
                    let mut out = x.to_string();
                    self.coerce_to_string(&b, CoerceMode::Interpolation, span, &mut out)?;
                    Ok(Value::string(out))
                }
                (Value::Path(p), b) => {
                    let mut out = p.to_string();
                    self.coerce_to_string(&b, CoerceMode::PathInterpolation, span, &mut out)?;
                    Ok(Value::Path(Rc::from(super::lower::canonicalize_path(&out))))
                }
                (a @ (Value::Int(_) | Value::Float(_)), b) => self.arith(BinOp::Add, a, b, span),
                // Nix 2.8's `+` is string concatenation whatever the first operand is but a
                // number or a path: a set with `outPath`/`__toString` is coerced
                // (`pkg + "/bin"`, as `lib.makeBinPath` does), and a path after it is
                // appended as it is, not copied to the store (`copyToStore` only after a
                // string). What cannot be coerced fails as Nix does.
                (a, b) => {
                    let mut out = String::new();
                    self.coerce_to_string(&a, CoerceMode::Interpolation, span, &mut out)?;
                    self.coerce_to_string(&b, CoerceMode::PathInterpolation, span, &mut out)?;
                    Ok(Value::string(out))
                }
            },
            _ => self.arith(op, a, b, span),
        }
    }

    /// `+ - * /` on numbers: ints stay ints (overflow is an error), a float makes a float.
    pub(crate) fn arith(&self, op: BinOp, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => {
                let (x, y) = (*x, *y);
                let r = match op {
                    BinOp::Add => x.checked_add(y),
                    BinOp::Sub => x.checked_sub(y),
                    BinOp::Mul => x.checked_mul(y),
                    _ => {
                        if y == 0 {
                            return Err(error(span, "division by zero"));
                        }
                        x.checked_div(y)
                    }
                };
                r.map(Value::Int)
                    .ok_or_else(|| error(span, format!("integer overflow in {}", op_verb(op))))
            }
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                let x = as_float(&a);
                let y = as_float(&b);
                Ok(Value::Float(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    _ => {
                        if y == 0.0 {
                            return Err(error(span, "division by zero"));
                        }
                        x / y
                    }
                }))
            }
            _ => {
                let culprit = if matches!(a, Value::Int(_) | Value::Float(_)) {
                    &b
                } else {
                    &a
                };
                if op == BinOp::Add {
                    Err(error(
                        span,
                        format!("cannot add {} to {}", b.described(), a.described()),
                    ))
                } else {
                    Err(error(
                        span,
                        format!("value is {} while an integer was expected", culprit.described()),
                    ))
                }
            }
        }
    }

    /// Nix's `==`: deep, forcing what it compares; functions are never equal.
    pub fn values_equal(&self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        let _guard = self.enter(span)?;
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => as_float(a) == as_float(b),
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Path(x), Value::Path(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    if p.ptr_eq(q) {
                        continue;
                    }
                    let (p, q) = (self.force(p)?, self.force(q)?);
                    if !self.values_equal(&p, &q, span)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Value::Attrs(x), Value::Attrs(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if let (Some(p), Some(q)) = (derivation_out_path(x), derivation_out_path(y)) {
                    let (p, q) = (self.force(&p)?, self.force(&q)?);
                    return self.values_equal(&p, &q, span);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for ((kx, vx), (ky, vy)) in x.map.iter().zip(y.map.iter()) {
                    if kx != ky {
                        return Ok(false);
                    }
                    if vx.value.ptr_eq(&vy.value) {
                        continue;
                    }
                    let (p, q) = (self.force(&vx.value)?, self.force(&vy.value)?);
                    if !self.values_equal(&p, &q, span)? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// Nix's `<`: numbers, strings, paths, and lists lexicographically.
    pub fn compare(&self, a: &Value, b: &Value, span: Span) -> EvalResult<Ordering> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                Ok(as_float(a).partial_cmp(&as_float(b)).unwrap_or(Ordering::Equal))
            }
            (Value::Str(x), Value::Str(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
            (Value::Path(x), Value::Path(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
            (Value::List(x), Value::List(y)) => {
                for (p, q) in x.iter().zip(y.iter()) {
                    let (p, q) = (self.force(p)?, self.force(q)?);
                    if self.values_equal(&p, &q, span)? {
                        continue;
                    }
                    return self.compare(&p, &q, span);
                }
                Ok(x.len().cmp(&y.len()))
            }
            _ => Err(error(
                span,
                format!("cannot compare {} with {}", a.described(), b.described()),
            )),
        }
    }

    // -- expectations -------------------------------------------------------------------------

    pub fn expect_bool(&self, v: Value, span: Span) -> EvalResult<bool> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(not_a_bool(&other, span)),
        }
    }

    pub fn expect_int(&self, v: Value, span: Span) -> EvalResult<i64> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(error(
                span,
                format!("value is {} while an integer was expected", other.described()),
            )),
        }
    }

    pub fn expect_string(&self, v: Value, span: Span) -> EvalResult<Rc<str>> {
        match v {
            Value::Str(s) => Ok(s),
            other => Err(error(
                span,
                format!("value is {} while a string was expected", other.described()),
            )),
        }
    }

    pub fn expect_list(&self, v: Value, span: Span) -> EvalResult<Rc<[Thunk]>> {
        match v {
            Value::List(l) => Ok(l),
            other => Err(error(
                span,
                format!("value is {} while a list was expected", other.described()),
            )),
        }
    }

    pub fn expect_attrs(&self, v: Value, span: Span, what: &str) -> EvalResult<Rc<Attrs>> {
        match v {
            Value::Attrs(a) => Ok(a),
            other => Err(error(
                span,
                format!("value is {} while a set was expected ({what})", other.described()),
            )),
        }
    }

    pub fn expect_function(&self, v: Value, span: Span) -> EvalResult<Value> {
        if v.is_function() || matches!(&v, Value::Attrs(a) if a.get("__functor").is_some()) {
            Ok(v)
        } else {
            Err(error(
                span,
                format!("value is {} while a function was expected", v.described()),
            ))
        }
    }
}

impl EvalError {
    /// Add a secondary label.
    pub fn also_at(mut self: Box<Self>, span: Span, label: &str) -> Box<Self> {
        self.diagnostic = self.diagnostic.also(span, label);
        self
    }
}

#[cold]
#[inline(never)]
fn not_a_bool(v: &Value, span: Span) -> Box<EvalError> {
    error(span, format!("value is {} while a Boolean was expected", v.described()))
}

#[cold]
#[inline(never)]
fn too_deep(span: Span) -> Box<EvalError> {
    error_of(
        ErrorKind::Other,
        Code::LimitExceeded,
        span,
        "evaluation nested too deeply (stack overflow; possible infinite recursion)",
    )
}

/// `a // b`: b's attributes win.
pub(crate) fn update_attrs(a: Rc<Attrs>, b: Rc<Attrs>) -> Rc<Attrs> {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    Rc::new(Attrs {
        map: a.map.updated(&b.map),
        missing: None,
    })
}

fn derivation_out_path(attrs: &Attrs) -> Option<Thunk> {
    let ty = attrs.get("type")?;
    match ty.value_if_done() {
        Some(Value::Str(s)) if &*s == "derivation" => attrs.get("outPath").cloned(),
        _ => None,
    }
}

pub(crate) fn as_float(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

fn op_verb(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "addition",
        BinOp::Sub => "subtraction",
        BinOp::Mul => "multiplication",
        _ => "division",
    }
}
