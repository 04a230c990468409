//! `collectModules`: every module reachable through `imports`, each brought to the one syntax,
//! without the disabled ones, each once by `key`, in the order of nixpkgs' lib/modules.nix
//! (its `genericClosure` is breadth first). The Nix code builds a record per module and walks
//! the tree with `imap1`, `concatLists`, `filter`, `elem` and `genericClosure`; here the same
//! walk is one native pass, forcing what the Nix code forces in the order it forces it:
//!
//! - whenever there is a module, the Nix code's `disabledKeys` needs every module's
//!   `disabledModules`, so the whole tree is loaded, depth first and in order: the module
//!   (its function applied, its syntax unified), its class checked, its `disabledModules`,
//!   then its `imports`;
//! - a disabled item's key is made when `elem` reaches it, and a module's key is forced by
//!   that comparison or else by the closure;
//! - the fallback `_file` and `key` of an import stay lazy, as the Nix code's strings do.
//!
//! What is rare and only throws or imports a file stays Nix, passed in as [`CollectHelpers`].

use super::lazy_select;
use super::lib_functions::is_function;
use super::module_syntax::{apply_args, unify};
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// The Nix functions `collectModules` leaves to the lib (`lib/modules.nix`).
pub struct CollectHelpers {
    /// `args: fallbackFile: m: …`: a module that is neither a function nor an attrset (a path
    /// to import, or a nested list to refuse).
    pub load_other: Thunk,
    /// `module: throw …`: the message for a module of another class.
    pub class_error: Thunk,
    /// `m: …`: the key a `disabledModules` item stands for (`modulesPath` applied).
    pub module_key: Thunk,
}

impl CollectHelpers {
    pub fn of(ev: &Evaluator, set: &Thunk, span: Span) -> EvalResult<CollectHelpers> {
        let set = Thunk::ready(ev.force(set)?, span);
        Ok(CollectHelpers {
            load_other: lazy_select(&set, "loadOther", span),
            class_error: lazy_select(&set, "classError", span),
            module_key: lazy_select(&set, "moduleKey", span),
        })
    }
}

/// A loaded module and what it imports.
struct Node {
    key: Thunk,
    module: Value,
    imports: Vec<Node>,
}

/// The walk's state: the arguments every module gets and the disabled items met so far.
struct Walk<'a> {
    ev: &'a Evaluator,
    helpers: &'a CollectHelpers,
    class: Thunk,
    args: Thunk,
    disabled: Vec<Thunk>,
    span: Span,
}

impl Walk<'_> {
    /// `collectStructuredModules parentFile parentKey modules args`: each module loaded and
    /// checked, its `disabledModules` read, then its imports, depth first.
    fn load_all(&mut self, parent_file: &Thunk, parent_key: &Thunk, modules: &Thunk) -> EvalResult<Vec<Node>> {
        let (ev, span) = (self.ev, self.span);
        let items = ev.expect_list(ev.force(modules)?, span)?;
        let mut nodes = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            let fallback_key = anon_key(parent_key, i + 1, span);
            let module = self.load(parent_file, &fallback_key, x)?;
            let field = |name| lazy_select(&Thunk::ready(module.clone(), span), name, span);
            self.check_class(&module, &field("_class"))?;
            let disabled = ev.expect_list(ev.force(&field("disabledModules"))?, span)?;
            self.disabled.extend(disabled.iter().cloned());
            let (file, key) = (field("_file"), field("key"));
            let imports = self.load_all(&file, &key, &field("imports"))?;
            nodes.push(Node { key, module, imports });
        }
        Ok(nodes)
    }

    /// `loadModule args fallbackFile fallbackKey m`.
    fn load(&self, file: &Thunk, key: &Thunk, m: &Thunk) -> EvalResult<Value> {
        let (ev, span) = (self.ev, self.span);
        if is_function(ev, m, span)? || matches!(ev.force(m)?, Value::Attrs(_)) {
            let applied = apply_args(ev, key, m, &self.args, span)?;
            return unify(ev, file, key, &Thunk::ready(applied, span), span);
        }
        let f = ev.call(ev.force(&self.helpers.load_other)?, self.args.clone(), span)?;
        let f = ev.call(f, file.clone(), span)?;
        ev.call(f, m.clone(), span)
    }

    /// `checkClass`: a module of another class than the evaluation's is refused.
    fn check_class(&self, module: &Value, class: &Thunk) -> EvalResult<()> {
        let (ev, span) = (self.ev, self.span);
        let expected = ev.force(&self.class)?;
        if matches!(expected, Value::Null) {
            return Ok(());
        }
        let own = ev.force(class)?;
        if matches!(own, Value::Null) || ev.values_equal(&own, &expected, span)? {
            return Ok(());
        }
        ev.call(
            ev.force(&self.helpers.class_error)?,
            Thunk::ready(module.clone(), span),
            span,
        )
        .map(|_| ())
    }
}

/// `"${parentKey}:anon-${toString n}"`, when read.
fn anon_key(parent: &Thunk, n: usize, span: Span) -> Thunk {
    let parent = parent.clone();
    Thunk::native(span, move |ev| {
        let parent = ev.message_part_of(&parent, span)?;
        Ok(Value::string(format!("{parent}:anon-{n}")))
    })
}

/// The disabled items' keys, each made when first compared (as `map moduleKey disabled`
/// under `elem`), and whether a module's key is among them.
struct DisabledKeys {
    keys: Vec<Thunk>,
}

impl DisabledKeys {
    fn new(helpers: &CollectHelpers, items: &[Thunk], span: Span) -> DisabledKeys {
        let keys = items
            .iter()
            .map(|item| {
                let (f, item) = (helpers.module_key.clone(), item.clone());
                Thunk::native(span, move |ev| ev.call(ev.force(&f)?, item.clone(), span))
            })
            .collect();
        DisabledKeys { keys }
    }

    /// `elem key disabledKeys`.
    fn contains(&self, ev: &Evaluator, key: &Thunk, span: Span) -> EvalResult<bool> {
        if self.keys.is_empty() {
            return Ok(false);
        }
        let key = ev.force(key)?;
        for k in &self.keys {
            if ev.values_equal(&key, &ev.force(k)?, span)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// `collectModules class modulesPath modules args` with the lib's helpers (its
/// `modulesPath` already in `moduleKey`): the modules, unified, in nixpkgs' order.
pub fn collect_modules(
    ev: &Evaluator,
    helpers: &CollectHelpers,
    class: &Thunk,
    modules: &Thunk,
    args: &Thunk,
    span: Span,
) -> EvalResult<Value> {
    let mut walk = Walk {
        ev,
        helpers,
        class: class.clone(),
        args: args.clone(),
        disabled: Vec::new(),
        span,
    };
    let unknown = Thunk::ready(Value::str("<unknown-file>"), span);
    let top = walk.load_all(&unknown, &Thunk::ready(Value::str(""), span), modules)?;
    let disabled = DisabledKeys::new(helpers, &walk.disabled, span);
    // `genericClosure { startSet = keyFilter modules; operator = m: keyFilter m.modules; }`
    let mut work: std::collections::VecDeque<Rc<Node>> = std::collections::VecDeque::new();
    let keep = |nodes: Vec<Node>, work: &mut std::collections::VecDeque<Rc<Node>>| -> EvalResult<()> {
        for n in nodes {
            if !disabled.contains(ev, &n.key, span)? {
                work.push_back(Rc::new(n));
            }
        }
        Ok(())
    };
    keep(top, &mut work)?;
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    while let Some(node) = work.pop_front() {
        let key = ev.force(&node.key)?;
        let mut known = false;
        for k in &seen {
            if ev.values_equal(k, &key, span)? {
                known = true;
                break;
            }
        }
        if known {
            continue;
        }
        seen.push(key);
        out.push(Thunk::ready(node.module.clone(), span));
        let node = Rc::try_unwrap(node).unwrap_or_else(|_| unreachable!("a node is queued once"));
        keep(node.imports, &mut work)?;
    }
    Ok(Value::list(out))
}
