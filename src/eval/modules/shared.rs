//! One thunk for every copy of a declaration that cannot differ between evaluations.
//!
//! A submodule's modules are applied once per entry of an `attrsOf (submodule …)`, so an
//! option a module function declares (`{ name, config, ... }: { options.port = mkOption { … };
//! }`) is a new thunk per entry: the same expression, in a new frame of the function's
//! arguments. Where the expression reads none of the frames made per entry (no `name`, no
//! `config`, nothing bound inside the function around it), every copy has the same value, so
//! the engine takes the first copy for all of them: the option (its type, its default) is
//! built once. What an expression reads is known from its lowering: a variable is a frame
//! depth and a slot, so the frames it reaches start at the least depth its free variables
//! name; two pending thunks of one expression whose environments share the frame at that
//! depth are one value (Nix is pure; a failing one fails alike, and stays pending). A
//! variable looked up in `with` sets is never shared: where it is found depends on every
//! frame. What differs from thunks kept apart is only how often a `builtins.trace` in such an
//! expression prints (once).

use crate::eval::ir::{AttrsDef, BindValue, Expr, ExprKind, KeyKind, Param, StrPart, Var};
use crate::eval::value::{Env, Thunk};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The frames an expression's free variables reach, counted from the one it is evaluated in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    /// No frame: only constants and global names.
    Nothing,
    /// This frame and those above it.
    From(u32),
    /// A variable of a `with`, found wherever the sets in scope have it.
    Dynamic,
}

impl Reach {
    fn join(self, other: Reach) -> Reach {
        match (self, other) {
            (Reach::Dynamic, _) | (_, Reach::Dynamic) => Reach::Dynamic,
            (Reach::Nothing, r) | (r, Reach::Nothing) => r,
            (Reach::From(a), Reach::From(b)) => Reach::From(a.min(b)),
        }
    }
}

/// What [`reach`] walks: the frames bound inside the expression so far (`bound`), so a
/// variable `depth` frames up reaches the outside only where `depth >= bound`.
struct Walk {
    reach: Reach,
}

impl Walk {
    fn var(&mut self, var: &Var, bound: u32) {
        let own = match var {
            Var::Local { depth, .. } if *depth >= bound => Reach::From(depth - bound),
            Var::Local { .. } | Var::Global(_) => Reach::Nothing,
            Var::With(_) => Reach::Dynamic,
        };
        self.reach = self.reach.join(own);
    }

    fn expr(&mut self, e: &Expr, bound: u32) {
        if self.reach == Reach::Dynamic {
            return;
        }
        match &e.kind {
            ExprKind::Const(_) | ExprKind::SearchPath(_) | ExprKind::CurPos => {}
            ExprKind::Var(v) => self.var(v, bound),
            ExprKind::Str(parts) | ExprKind::Path(parts) => {
                for p in parts {
                    if let StrPart::Interp(e) = p {
                        self.expr(e, bound);
                    }
                }
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i, bound)),
            // A `rec` set's bindings are evaluated in a frame of its own (see `build_attrs`).
            ExprKind::Attrs(def) => self.attrs(def, bound + u32::from(def.rec)),
            ExprKind::Let(def, body) => {
                self.attrs(def, bound + 1);
                self.expr(body, bound + 1);
            }
            ExprKind::Lambda(def) => {
                if let Param::Pattern { entries, .. } = &def.param {
                    for d in entries.iter().filter_map(|e| e.default.as_ref()) {
                        self.expr(d, bound + 1);
                    }
                }
                self.expr(&def.body, bound + 1);
            }
            ExprKind::Apply(f, x) => {
                self.expr(f, bound);
                self.expr(x, bound);
            }
            ExprKind::Select(target, keys, default) => self.select(target, keys, default.as_deref(), bound),
            ExprKind::HasAttr(target, keys) => self.select(target, keys, None, bound),
            ExprKind::If(c, t, f) => [c, t, f].iter().for_each(|e| self.expr(e, bound)),
            ExprKind::Assert(c, b) | ExprKind::BinOp(_, c, b) => {
                self.expr(c, bound);
                self.expr(b, bound);
            }
            // The body is evaluated in a frame of the `with` set.
            ExprKind::With(namespace, body) => {
                self.expr(namespace, bound);
                self.expr(body, bound + 1);
            }
            ExprKind::Not(inner) | ExprKind::Neg(inner) => self.expr(inner, bound),
        }
    }

    /// `target.keys or default` (and `target ? keys`).
    fn select(&mut self, target: &Expr, keys: &[crate::eval::ir::Key], default: Option<&Expr>, bound: u32) {
        self.expr(target, bound);
        for k in keys {
            if let KeyKind::Dynamic(e) = &k.kind {
                self.expr(e, bound);
            }
        }
        if let Some(d) = default {
            self.expr(d, bound);
        }
    }

    /// A set's bindings, all evaluated in the frame `bound` (its own where it has one).
    fn attrs(&mut self, def: &AttrsDef, bound: u32) {
        for b in &def.statics {
            match &b.value {
                BindValue::Expr(e) => self.expr(e, bound),
                BindValue::Inherit(var, _) => self.var(var, bound),
                BindValue::InheritFrom(..) => {}
            }
        }
        for e in &def.inherit_from {
            self.expr(e, bound);
        }
        for d in &def.dynamics {
            self.expr(&d.key, bound);
            self.expr(&d.value, bound);
        }
    }
}

/// The frames `e` reaches.
fn reach(e: &Expr) -> Reach {
    let mut walk = Walk { reach: Reach::Nothing };
    walk.expr(e, 0);
    walk.reach
}

/// The frame `depth` frames above `env`'s (`None` past the outermost).
fn ancestor(env: &Env, depth: u32) -> Option<Env> {
    let mut frame = env.clone();
    for _ in 0..depth {
        frame = frame.0.parent.clone()?;
    }
    Some(frame)
}

/// A shared thunk with its expression and the frame it reaches from, both kept alive so that
/// no other expression or frame is ever found at their address.
struct Entry {
    _expr: Rc<Expr>,
    _frame: Option<Env>,
    thunk: Thunk,
}

/// The shared thunks, by the addresses of their expression and frame; and each expression's
/// reach, computed once.
#[derive(Default)]
struct Shared {
    thunks: HashMap<(usize, usize), Entry>,
    reaches: HashMap<usize, (Rc<Expr>, Reach)>,
}

thread_local! {
    static SHARED: RefCell<Shared> = RefCell::default();
}

/// `t`, or the first thunk met of the same expression reaching the same frames (see the
/// module's note): a pending expression that reads nothing of the frames closest to it.
pub fn canonical(t: &Thunk) -> Thunk {
    let Some((expr, env)) = t.pending_parts() else {
        return t.clone();
    };
    SHARED.with(|shared| {
        let mut shared = shared.borrow_mut();
        let id = Rc::as_ptr(&expr) as usize;
        let reach = shared
            .reaches
            .entry(id)
            .or_insert_with(|| (expr.clone(), reach(&expr)))
            .1;
        let frame = match reach {
            Reach::Dynamic | Reach::From(0) => return t.clone(),
            Reach::From(depth) => match ancestor(&env, depth) {
                Some(frame) => Some(frame),
                None => return t.clone(),
            },
            Reach::Nothing => None,
        };
        let key = (id, frame.as_ref().map_or(0, |f| Rc::as_ptr(&f.0) as usize));
        shared
            .thunks
            .entry(key)
            .or_insert_with(|| Entry {
                _expr: expr,
                _frame: frame,
                thunk: t.clone(),
            })
            .thunk
            .clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::lower::{LowerContext, lower_root};

    /// The reach of the body of the innermost function of `src` (a chain of lambdas).
    fn body_reach(src: &str) -> Reach {
        let root = crate::syntax::parse(crate::source::FileId(0), src).expect("parses");
        let globals = Default::default();
        let cx = LowerContext {
            base_dir: "/".to_string(),
            home: None,
            globals: &globals,
        };
        let mut e = lower_root(&cx, root).expect("lowers");
        while let ExprKind::Lambda(def) = &e.kind {
            e = def.body.clone();
        }
        reach(&e)
    }

    #[test]
    fn reach_counts_the_frames_bound_inside() {
        assert_eq!(body_reach("a: b: a"), Reach::From(1));
        assert_eq!(body_reach("a: b: b"), Reach::From(0));
        assert_eq!(body_reach("a: b: 1 + 2"), Reach::Nothing);
        assert_eq!(body_reach("a: b: let c = a; in c"), Reach::From(1));
        assert_eq!(body_reach("a: b: let c = 1; in c"), Reach::Nothing);
        assert_eq!(body_reach("a: b: rec { c = 1; d = c; }"), Reach::Nothing);
        assert_eq!(body_reach("a: b: rec { c = b; }"), Reach::From(0));
        assert_eq!(body_reach("a: b: { inherit a; }"), Reach::From(1));
        assert_eq!(body_reach("a: b: rec { inherit a; }"), Reach::From(1));
        assert_eq!(body_reach("a: b: let inherit (b) x; in x"), Reach::From(0));
        assert_eq!(body_reach("a: b: (x: { y ? b }: x) 1"), Reach::From(0));
        assert_eq!(body_reach("a: b: (x: { y ? a }: x) 1"), Reach::From(1));
        assert_eq!(body_reach("a: b: { ${b} = 1; }"), Reach::From(0));
        assert_eq!(body_reach("a: b: a.${b} or 1"), Reach::From(0));
        assert_eq!(body_reach("a: b: \"${a}\""), Reach::From(1));
        assert_eq!(body_reach("a: b: with a; x"), Reach::Dynamic);
        assert_eq!(body_reach("a: b: with a; a"), Reach::From(1));
    }
}
