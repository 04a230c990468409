//! The native module engine: the parts of nixpkgs' module system (lib/modules.nix) that run
//! once per option and per definition, done natively behind the native lib's Nix code
//! (`lib/modules.nix` beside this folder calls them; nothing here is a builtin Nix has).
//!
//! Values stay Nix values with nixpkgs' laziness: a definition is forced only when its
//! option's value is, an `mkIf false` never, and everything the Nix code would leave to a
//! thunk is a thunk here too. Types are Nix data: their `check` and `merge` are called as
//! Nix functions, so a type a user builds with `mkOptionType` works as any other.
//!
//! Rust API (for native callers inside an evaluation):
//! - [`properties`]: [`property_of`](properties::property_of), [`push_down`](properties::push_down),
//!   [`discharge`](properties::discharge), [`filter_overrides`](properties::filter_overrides),
//!   [`sort_properties`](properties::sort_properties) over [`Def`]s: the ground floor's
//!   [`crate::module_rules`] over the engine's lazy values ([`properties::Lazy`]);
//! - [`definitions::merge_definitions`]: `mergeDefinitions loc type defs` as an attrset of
//!   lazy attributes (`defsFinal'`, `defsFinal`, `mergedValue`, `isDefined`, `optionalValue`);
//! - [`merge_modules::merge_modules`]: `mergeModules' prefix options configs` (declarations
//!   and definitions walked together, options evaluated by [`options::eval_option_value`]
//!   over [`options::merge_option_decls`]); [`by_name::by_name`] and [`by_name::configs_of`];
//! - [`module_syntax`]: `unifyModuleSyntax` and `applyModuleArgsIfFunction`;
//! - [`collect::collect_modules`]: `collectModules` (imports, `disabledModules`, keys);
//! - [`shared::canonical`]: one thunk for the copies of a declaration that each call of a
//!   module function makes alike (so a submodule's entries share their options' declarations);
//! - [`values`]: an options tree's `config`, `mergeEqualOption`, and [`values::Elements`] for
//!   `attrsOf`'s, `lazyAttrsOf`'s and `listOf`'s merge;
//! - [`engine`]: the attrset of these functions that the native lib's Nix code receives.
//!
//! Functions that make messages take [`definitions::Helpers`] (the lib's `showOption`,
//! `showDefs`, `showFiles`, …), so a native caller outside the lib passes the same.

pub mod by_name;
pub mod collect;
pub mod definitions;
pub mod lib_functions;
pub mod merge_modules;
pub mod module_syntax;
pub mod options;
pub mod properties;
pub mod shared;
pub mod values;

use super::error::EvalResult;
use super::evaluator::Evaluator;
use super::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// One definition of an option: `{ file, value }`, with `priority` once `sortProperties` has
/// stripped an `mkOrder`. `record` is the Nix record it was read from, whose other
/// attributes a rebuilt record keeps (as `def // { value = …; }` does).
#[derive(Clone)]
pub struct Def {
    pub file: Thunk,
    pub value: Thunk,
    pub priority: Option<Thunk>,
    pub record: Option<Rc<Attrs>>,
    /// The record itself while nothing of it has changed.
    pub unchanged: Option<Value>,
}

impl Def {
    pub fn new(file: Thunk, value: Thunk) -> Def {
        Def {
            file,
            value,
            priority: None,
            record: None,
            unchanged: None,
        }
    }

    /// This definition with another value (and priority), the rest of its record kept.
    pub fn with_value(&self, value: Thunk, priority: Option<Thunk>) -> Def {
        Def {
            file: self.file.clone(),
            value,
            priority: priority.or_else(|| self.priority.clone()),
            record: self.record.clone(),
            unchanged: None,
        }
    }

    /// The definition as a Nix record.
    pub fn to_value(&self) -> Value {
        if let Some(v) = &self.unchanged {
            return v.clone();
        }
        let mut fields = vec![("file", self.file.clone())];
        if let Some(p) = &self.priority {
            fields.push(("priority", p.clone()));
        }
        fields.push(("value", self.value.clone()));
        let own = record(&fields);
        match (&self.record, own) {
            (Some(base), Value::Attrs(own)) => Value::attrs(Attrs {
                map: base.map.updated(&own.map),
                missing: None,
            }),
            (_, own) => own,
        }
    }
}

/// A Nix list of definition records.
pub fn defs_value(defs: &[Def], span: Span) -> Value {
    Value::list(defs.iter().map(|d| Thunk::ready(d.to_value(), span)).collect())
}

/// An attrset of the given attributes, in any order; the engine lists them sorted by name
/// (byte-wise: capitals, `_`, then lower case), so the set is built as given, where fields
/// out of order are sorted into a second vector.
pub fn record(fields: &[(&'static str, Thunk)]) -> Value {
    let entries = with_static_names(|names| {
        fields
            .iter()
            .map(|(name, value)| {
                let attr = super::value::Attr {
                    value: value.clone(),
                    key_span: Span::BUILTIN,
                };
                (static_name(names, name), attr)
            })
            .collect()
    });
    Value::attrs(Attrs {
        map: super::value::AttrMap::from_unsorted(entries),
        missing: None,
    })
}

/// An address is its own hash.
#[derive(Default)]
struct ByAddress(u64);

impl std::hash::Hasher for ByAddress {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only addresses are hashed")
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The engine's attribute names, by the address of their static text.
type StaticNames = std::collections::HashMap<usize, Rc<str>, std::hash::BuildHasherDefault<ByAddress>>;

/// `f` of this thread's names, looked up once for a whole record.
fn with_static_names<R>(f: impl FnOnce(&mut StaticNames) -> R) -> R {
    thread_local! {
        static NAMES: std::cell::RefCell<StaticNames> = std::cell::RefCell::default();
    }
    NAMES.with(|names| f(&mut names.borrow_mut()))
}

/// `name` as an attribute name. The engine makes records of a few fixed names for every
/// option and definition, so each name is allocated once per evaluation thread and shared
/// (found by the address of its text, which is static).
fn static_name(names: &mut StaticNames, name: &'static str) -> Rc<str> {
    let shared = names.entry(name.as_ptr() as usize).or_insert_with(|| Rc::from(name));
    // Two texts at one address are one text, but a shorter one may start there too.
    if shared.len() == name.len() {
        shared.clone()
    } else {
        Rc::from(name)
    }
}

/// The attribute `name` of `attrs` (the value `set`), or a thunk that fails as selecting a
/// missing attribute does: Nix code would fail only when the attribute is read.
pub fn attr_or_missing(set: &Value, attrs: &Attrs, name: &str, span: Span) -> Thunk {
    match attrs.get(name) {
        Some(t) => t.clone(),
        None => {
            let (set, name) = (set.clone(), name.to_string());
            Thunk::native(span, move |ev| Err(ev.missing_attr(&set, &name, span)))
        }
    }
}

/// `set.name`, selected when read (at once where `set` is an evaluated attrset having it),
/// failing as Nix's select does.
pub fn lazy_select(set: &Thunk, name: &str, span: Span) -> Thunk {
    if let Some(Value::Attrs(a)) = set.value_if_done()
        && let Some(t) = a.get(name)
    {
        return t.clone();
    }
    let (set, name) = (set.clone(), name.to_string());
    Thunk::native(span, move |ev| {
        let v = ev.force(&set)?;
        match &v {
            Value::Attrs(a) => match a.get(&name) {
                Some(t) => ev.force(t),
                None => Err(ev.missing_attr(&v, &name, span)),
            },
            other => Err(super::error::error(
                span,
                format!(
                    "value is {} while a set was expected (selecting attribute '{name}')",
                    other.described()
                ),
            )),
        }
    })
}

/// Run `f`; an error passing through gets the note `context` (forced only then), as
/// `builtins.addErrorContext` gives it.
pub fn with_context<T>(
    ev: &Evaluator,
    context: impl FnOnce(&Evaluator) -> EvalResult<String>,
    f: impl FnOnce() -> EvalResult<T>,
) -> EvalResult<T> {
    f().or_else(|mut e| {
        e.diagnostic.notes.push(context(ev)?);
        Err(e)
    })
}

/// The engine's functions, as the native lib's `lib/modules.nix` receives them.
pub fn engine() -> Value {
    let mut attrs = Attrs::new();
    for (name, value) in functions() {
        attrs.insert_value(name, value);
    }
    Value::attrs(attrs)
}

impl Evaluator {
    /// A string for a message, a value of the lib (a text).
    pub(crate) fn message_part_of(&self, text: &Thunk, span: Span) -> EvalResult<String> {
        let v = self.force(text)?;
        self.to_string_value(&v, super::coerce::CoerceMode::PathInterpolation, span)
    }

    /// A string for a message, made by a Nix function of the lib (`showOption`, `showDefs`).
    pub(crate) fn message_part(&self, f: &Thunk, arg: Thunk, span: Span) -> EvalResult<String> {
        let f = self.force(f)?;
        let v = self.call(f, arg, span)?;
        self.to_string_value(&v, super::coerce::CoerceMode::PathInterpolation, span)
    }
}

/// The engine's functions by the names `lib/modules.nix` uses; those that make messages take
/// the lib's helpers first (see [`definitions::Helpers`]).
fn functions() -> Vec<(&'static str, Value)> {
    use by_name::ByName;
    let helpers = |ev: &Evaluator, t: &Thunk, span| definitions::Helpers::shared(ev, t, span);
    // `helpers elemType loc` of a container type's merge.
    let elements = move |ev: &Evaluator, a: &[Thunk], span| -> EvalResult<values::Elements> {
        Ok(values::Elements {
            helpers: helpers(ev, &a[0], span)?,
            elem_type: a[1].clone(),
            loc: a[2].clone(),
            span,
        })
    };
    let mut out = definitions::functions();
    out.push((
        "mergeOptionDecls",
        Value::primop("mergeOptionDecls", 3, move |ev, a, span| {
            let opts = ev.force(&a[2])?;
            options::merge_option_decls(ev, &helpers(ev, &a[0], span)?, &a[1], &opts, span)
        }),
    ));
    out.push((
        "evalOptionValue",
        Value::primop("evalOptionValue", 4, move |ev, a, span| {
            let h = helpers(ev, &a[0], span)?;
            options::eval_option_value(ev, &h, a[1].clone(), a[2].clone(), a[3].clone(), span)
        }),
    ));
    for (name, kind) in [
        ("declsByName", ByName::Declarations),
        ("defnsByName", ByName::Definitions),
        ("defnsByName'", ByName::RawDefinitions),
    ] {
        out.push((
            name,
            Value::primop(name, 2, move |ev, a, span| {
                let modules = ev.force(&a[1])?;
                by_name::by_name(ev, kind, &a[0], &modules, span)
            }),
        ));
    }
    out.push((
        "mergeModules'",
        Value::primop("mergeModules'", 4, move |ev, a, span| {
            let h = helpers(ev, &a[0], span)?;
            let merged = merge_modules::merge_modules(h, a[1].clone(), a[2].clone(), a[3].clone(), span);
            ev.force(&merged)
        }),
    ));
    out.push((
        "optionValues",
        Value::primop("optionValues", 1, |ev, a, span| values::option_values(ev, &a[0], span)),
    ));
    out.push((
        "mergeEqualOption",
        Value::primop("mergeEqualOption", 3, move |ev, a, span| {
            values::merge_equal(ev, &*helpers(ev, &a[0], span)?, &a[1], &a[2], span)
        }),
    ));
    out.push((
        "imap1",
        Value::primop("imap1", 2, |ev, a, span| lib_functions::imap1(ev, &a[0], &a[1], span)),
    ));
    out.push((
        "reverseList",
        Value::primop("reverseList", 1, |ev, a, span| {
            lib_functions::reverse_list(ev, &a[0], span)
        }),
    ));
    out.push((
        "isFunction",
        Value::primop("isFunction", 1, |ev, a, span| {
            lib_functions::is_function(ev, &a[0], span).map(Value::Bool)
        }),
    ));
    out.push((
        "unifyModuleSyntax",
        Value::primop("unifyModuleSyntax", 3, |ev, a, span| {
            module_syntax::unify(ev, &a[0], &a[1], &a[2], span)
        }),
    ));
    out.push((
        "applyModuleArgsIfFunction",
        Value::primop("applyModuleArgsIfFunction", 3, |ev, a, span| {
            module_syntax::apply_args(ev, &a[0], &a[1], &a[2], span)
        }),
    ));
    out.push((
        "mergeAttrsOf",
        Value::primop("mergeAttrsOf", 4, move |ev, a, span| {
            elements(ev, a, span)?.merge_attrs_of(ev, &a[3])
        }),
    ));
    out.push((
        "mergeLazyAttrsOf",
        Value::primop("mergeLazyAttrsOf", 4, move |ev, a, span| {
            Rc::new(elements(ev, a, span)?).merge_lazy_attrs_of(ev, &a[3])
        }),
    ));
    out.push((
        "mergeNullOr",
        Value::primop("mergeNullOr", 4, move |ev, a, span| {
            values::merge_null_or(ev, &*helpers(ev, &a[0], span)?, &a[1], &a[2], &a[3], span)
        }),
    ));
    out.push((
        "mergeListOf",
        Value::primop("mergeListOf", 4, move |ev, a, span| {
            elements(ev, a, span)?.merge_list_of(ev, &a[3])
        }),
    ));
    out.push((
        "collectModules",
        Value::primop("collectModules", 4, |ev, a, span| {
            let h = collect::CollectHelpers::of(ev, &a[0], span)?;
            collect::collect_modules(ev, &h, &a[1], &a[2], &a[3], span)
        }),
    ));
    out.push((
        "configsOf",
        Value::primop("configsOf", 1, |ev, a, span| {
            by_name::configs_of(ev, &ev.force(&a[0])?, span)
        }),
    ));
    out
}
