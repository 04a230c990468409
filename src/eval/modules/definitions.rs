//! `mergeDefinitions loc type defs`: an option's definitions discharged, filtered by priority,
//! sorted, checked against the type and merged by it, as nixpkgs' lib/modules.nix does. The
//! rules are the ground floor's ([`crate::module_rules::merge_definitions`], read through
//! [`Call`]); here their stages become nixpkgs' attrset of lazy attributes, each part computed
//! once, when read.

use super::properties::{self, Lazy, defs_of_list, discharge, filter_overrides, sort_if_ordered, sort_properties};
use super::{Def, attr_or_missing, defs_value, record, with_context};
use crate::diagnostic::Code;
use crate::eval::coerce::CoerceMode;
use crate::eval::error::{ErrorKind, EvalResult, error_of};
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::module_rules::merge_definitions::{self, message};
use crate::module_rules::{Merging, Normalizing};
use crate::source::Span;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

/// The lib's functions that messages are made with (`showOption`, `showDefs`, `showFiles`)
/// and `warn`; each is read only when a message is made.
pub struct Helpers {
    pub show_option: Thunk,
    pub show_defs: Thunk,
    pub show_files: Thunk,
    pub show_raw_decls: Thunk,
    pub warn: Thunk,
    /// `optionTreeToOption` (an option tree declared beside submodule options as a submodule).
    pub option_tree_to_option: Thunk,
    /// `types.unspecified`, the type of an option declared without one.
    pub unspecified: Thunk,
    /// The lib's `prioritySuggestion` text (for conflicting definitions).
    pub priority_suggestion: Thunk,
}

impl Helpers {
    /// [`Helpers::of`] the set `set`, made once per set: the lib passes the same few sets
    /// (its `engineHelpers`) to every call, and reading one makes a thunk per absent name.
    pub fn shared(ev: &Evaluator, set: &Thunk, span: Span) -> EvalResult<Rc<Helpers>> {
        type Known = Vec<(Rc<crate::eval::value::Attrs>, Rc<Helpers>)>;
        thread_local! {
            static KNOWN: std::cell::RefCell<Known> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let Value::Attrs(attrs) = ev.force(set)? else {
            return Helpers::of(ev, set, span).map(Rc::new);
        };
        if let Some(h) = KNOWN.with(|k| {
            k.borrow()
                .iter()
                .find(|(a, _)| Rc::ptr_eq(a, &attrs))
                .map(|(_, h)| h.clone())
        }) {
            return Ok(h);
        }
        let h = Rc::new(Helpers::of(ev, set, span)?);
        KNOWN.with(|k| {
            let mut k = k.borrow_mut();
            // A handful of sets exist; an evaluation that makes more keeps the latest.
            if k.len() == 8 {
                k.remove(0);
            }
            k.push((attrs, h.clone()));
        });
        Ok(h)
    }

    /// Read from the attrset the Nix code gives (`engineHelpers` of `lib/modules.nix`).
    pub fn of(ev: &Evaluator, set: &Thunk, span: Span) -> EvalResult<Helpers> {
        let v = ev.force(set)?;
        let attrs = ev.expect_attrs(v.clone(), span, "the module engine's helpers")?;
        Ok(Helpers {
            show_option: attr_or_missing(&v, &attrs, "showOption", span),
            show_defs: attr_or_missing(&v, &attrs, "showDefs", span),
            show_files: attr_or_missing(&v, &attrs, "showFiles", span),
            show_raw_decls: attr_or_missing(&v, &attrs, "showRawDecls", span),
            warn: attr_or_missing(&v, &attrs, "warn", span),
            option_tree_to_option: attr_or_missing(&v, &attrs, "optionTreeToOption", span),
            unspecified: attr_or_missing(&v, &attrs, "unspecified", span),
            priority_suggestion: attr_or_missing(&v, &attrs, "prioritySuggestion", span),
        })
    }
}

/// A `throw` of the module system. It is located in the lib, as the Nix code's `throw` was
/// (the Nix frontend points such errors at the definitions they are about instead).
pub(super) fn throw(message: String) -> Box<crate::eval::error::EvalError> {
    error_of(ErrorKind::Throw, Code::NixEval, Span::BUILTIN, message)
}

/// The definitions of the highest priority, and that priority.
type Overridden = (Vec<Def>, Value);

/// What one `mergeDefinitions` call has computed so far. Each stage is behind a thunk (so a
/// definition that needs its own option's value is infinite recursion, as in Nix, and a
/// failed stage is tried again when read again); the thunk's value is a token, the stage's
/// result is kept here. The stages are [`crate::module_rules::merge_definitions`]' over
/// [`Call`].
struct Merge {
    loc: Thunk,
    ty: Thunk,
    defs: Thunk,
    helpers: Rc<Helpers>,
    span: Span,
    overridden: RefCell<Option<Rc<Overridden>>>,
    sorted: RefCell<Option<Rc<Vec<Def>>>>,
}

/// A `mergeDefinitions` call as the ground floor's rules read it; `defs_final` is the thunk
/// of `defsFinal` (the list the type's merge is called with) once it is made.
struct Call<'m> {
    lazy: Lazy<'m>,
    merge: &'m Merge,
    defs_final: Option<&'m Thunk>,
    /// The type, forced when first read.
    ty: OnceCell<(Value, Rc<Attrs>)>,
}

impl<'m> Call<'m> {
    fn new(ev: &'m Evaluator, merge: &'m Merge, defs_final: Option<&'m Thunk>) -> Call<'m> {
        Call {
            lazy: Lazy { ev, span: merge.span },
            merge,
            defs_final,
            ty: OnceCell::new(),
        }
    }

    /// The attribute `name` of the type.
    fn type_attr(&self, name: &str) -> EvalResult<Value> {
        let (ev, span) = (self.lazy.ev, self.merge.span);
        let (tv, ty) = match self.ty.get() {
            Some(ty) => ty,
            None => {
                let tv = ev.force(&self.merge.ty)?;
                let ty = ev.expect_attrs(tv.clone(), span, "an option type")?;
                self.ty.get_or_init(|| (tv, ty))
            }
        };
        ev.force(&attr_or_missing(tv, ty, name, span))
    }

    fn shown_option(&self) -> EvalResult<String> {
        let m = self.merge;
        self.lazy.ev.message_part(&m.helpers.show_option, m.loc.clone(), m.span)
    }
}

impl<'m> Normalizing for Call<'m> {
    type Props = Lazy<'m>;
    type Given = Def;
    /// The thunk of `m.file`.
    type File = Thunk;
    type Error = Box<crate::eval::error::EvalError>;

    fn props(&self) -> &Lazy<'m> {
        &self.lazy
    }

    fn parts(&self, given: Def) -> (Thunk, EvalResult<Thunk>) {
        (given.file, Ok(given.value))
    }

    fn in_file<T>(&self, file: &Thunk, run: impl FnOnce() -> EvalResult<T>) -> EvalResult<T> {
        let span = self.merge.span;
        with_context(
            self.lazy.ev,
            |ev| {
                let f = ev.force(file)?;
                let f = ev.to_string_value(&f, CoerceMode::PathInterpolation, span)?;
                Ok(crate::module_rules::merge_definitions::message::definitions_from(&f))
            },
            run,
        )
    }

    fn definition(&self, file: &Thunk, value: Thunk) -> EvalResult<Def> {
        Ok(Def::new(file.clone(), value))
    }

    fn marked(&self, marker: Thunk) -> EvalResult<Def> {
        // Current nixpkgs' `mergeDefinitions` takes the marker's record as the definition.
        let span = self.merge.span;
        let value = self.lazy.ev.force(&marker)?;
        let Value::Attrs(a) = &value else {
            unreachable!("a marker is an attrset")
        };
        Ok(Def {
            record: Some(a.clone()),
            unchanged: Some(value.clone()),
            ..Def::new(
                attr_or_missing(&value, a, "file", span),
                attr_or_missing(&value, a, "value", span),
            )
        })
    }
}

impl Merging for Call<'_> {
    type Merged = Value;

    fn check(&self, def: &Def) -> EvalResult<bool> {
        let (ev, span) = (self.lazy.ev, self.merge.span);
        let ok = ev.call(self.type_attr("check")?, def.value.clone(), span)?;
        ev.expect_bool(ok, span)
    }

    fn merge(&self, _: &[Def]) -> EvalResult<Value> {
        let (ev, span) = (self.lazy.ev, self.merge.span);
        let defs_final = self.defs_final.expect("merged once `defsFinal` is made");
        let partial = ev.call(self.type_attr("merge")?, self.merge.loc.clone(), span)?;
        ev.call(partial, defs_final.clone(), span)
    }

    fn undefined(&self) -> Box<crate::eval::error::EvalError> {
        match self.shown_option() {
            Ok(shown) => throw(message::undefined(&shown)),
            Err(e) => e,
        }
    }

    fn not_of_type(&self, invalid: Vec<Def>) -> Box<crate::eval::error::EvalError> {
        let (ev, span) = (self.lazy.ev, self.merge.span);
        let text = || -> EvalResult<String> {
            let shown = self.shown_option()?;
            let description = self.type_attr("description")?;
            let description = ev.to_string_value(&description, CoerceMode::PathInterpolation, span)?;
            let defs = ev.message_part(
                &self.merge.helpers.show_defs,
                Thunk::ready(defs_value(&invalid, span), span),
                span,
            )?;
            Ok(message::not_of_type(&shown, &description, &defs))
        };
        match text() {
            Ok(text) => throw(text),
            Err(e) => e,
        }
    }
}

impl Merge {
    /// `defsFiltered`: the definitions of the highest priority.
    fn overridden(&self, ev: &Evaluator) -> EvalResult<()> {
        let span = self.span;
        let list = ev.expect_list(ev.force(&self.defs)?, span)?;
        // Each record forced as `concatMap` reaches it.
        let given = list.iter().map(|m| {
            let mv = ev.force(m)?;
            let attrs = ev.expect_attrs(mv.clone(), span, "a definition")?;
            Ok(Def::new(
                attr_or_missing(&mv, &attrs, "file", span),
                attr_or_missing(&mv, &attrs, "value", span),
            ))
        });
        let result = merge_definitions::overridden(&Call::new(ev, self, None), given, &mut Vec::new())?;
        *self.overridden.borrow_mut() = Some(Rc::new(result));
        Ok(())
    }

    fn sorted(&self, ev: &Evaluator, overridden: &Thunk) -> EvalResult<Value> {
        ev.force(overridden)?;
        let Some(o) = self.overridden.borrow().clone() else {
            return Ok(Value::Null);
        };
        let sorted = sort_if_ordered(ev, o.0.clone(), self.span)?;
        let list = defs_value(&sorted, self.span);
        *self.sorted.borrow_mut() = Some(Rc::new(sorted));
        Ok(list)
    }

    fn merged_value(&self, ev: &Evaluator, values: &Thunk) -> EvalResult<Value> {
        ev.force(values)?;
        let Some(defs) = self.sorted.borrow().clone() else {
            return Ok(Value::Null);
        };
        merge_definitions::merged_value(&Call::new(ev, self, Some(values)), &defs)
    }
}

/// `mergeDefinitions loc type defs` (with the lib's message helpers): nixpkgs' attrset
/// `{ defsFinal', defsFinal, mergedValue, isDefined, optionalValue }`, every attribute lazy.
pub fn merge_definitions(helpers: Rc<Helpers>, loc: Thunk, ty: Thunk, defs: Thunk, span: Span) -> Value {
    let m = Rc::new(Merge {
        loc,
        ty,
        defs,
        helpers,
        span,
        overridden: RefCell::new(None),
        sorted: RefCell::new(None),
    });
    let lazy = |f: Box<crate::eval::value::NativeThunkFn>| Thunk::native(span, f);
    let overridden = {
        let m = m.clone();
        lazy(Box::new(move |ev| m.overridden(ev).map(|()| Value::Null)))
    };
    let values = {
        let (m, o) = (m.clone(), overridden.clone());
        lazy(Box::new(move |ev| m.sorted(ev, &o)))
    };
    let highest_prio = {
        let (m, o) = (m.clone(), overridden.clone());
        lazy(Box::new(move |ev| {
            ev.force(&o)?;
            Ok(m.overridden.borrow().as_ref().map_or(Value::Null, |o| o.1.clone()))
        }))
    };
    let is_defined = {
        let v = values.clone();
        lazy(Box::new(move |ev| match ev.force(&v)? {
            Value::List(l) => Ok(Value::Bool(merge_definitions::is_defined(&l))),
            _ => Ok(Value::Bool(false)),
        }))
    };
    let merged = {
        let (m, v) = (m.clone(), values.clone());
        lazy(Box::new(move |ev| m.merged_value(ev, &v)))
    };
    let optional = {
        let (v, merged) = (values.clone(), merged.clone());
        lazy(Box::new(move |ev| {
            let optional = match ev.force(&v)? {
                Value::List(l) => merge_definitions::optional_value(&l, || record(&[("value", merged.clone())])),
                _ => None,
            };
            Ok(optional.unwrap_or_else(|| Value::attrs(Attrs::new())))
        }))
    };
    let defs_final_prime = record(&[("highestPrio", highest_prio), ("values", values.clone())]);
    record(&[
        ("defsFinal", values),
        ("defsFinal'", Thunk::ready(defs_final_prime, span)),
        ("isDefined", is_defined),
        ("mergedValue", merged),
        ("optionalValue", optional),
    ])
}

/// The engine's functions by the names `lib/modules.nix` uses.
pub(super) fn functions() -> Vec<(&'static str, Value)> {
    vec![
        (
            "mergeDefinitions",
            Value::primop("mergeDefinitions", 4, |ev, a, span| {
                let helpers = Helpers::shared(ev, &a[0], span)?;
                Ok(merge_definitions(
                    helpers,
                    a[1].clone(),
                    a[2].clone(),
                    a[3].clone(),
                    span,
                ))
            }),
        ),
        (
            "pushDownProperties",
            Value::primop("pushDownProperties", 1, |ev, a, span| {
                let mut out = Vec::new();
                properties::push_down(ev, &a[0], span, &mut out)?;
                Ok(Value::list(out))
            }),
        ),
        (
            "dischargeProperties",
            Value::primop("dischargeProperties", 1, |ev, a, span| {
                let mut out = Vec::new();
                discharge(ev, &a[0], span, &mut out)?;
                Ok(Value::list(out))
            }),
        ),
        (
            "filterOverrides'",
            Value::primop("filterOverrides'", 1, |ev, a, span| {
                let defs = a[0].clone();
                let done = Thunk::native(span, move |ev| {
                    let defs = defs_of_list(ev, &ev.force(&defs)?, span)?;
                    let (kept, prio) = filter_overrides(ev, defs, span)?;
                    Ok(Value::list(vec![
                        Thunk::ready(defs_value(&kept, span), span),
                        Thunk::ready(prio, span),
                    ]))
                });
                let part = |i: usize| {
                    let done = done.clone();
                    Thunk::native(span, move |ev| match ev.force(&done)? {
                        Value::List(l) => ev.force(&l[i]),
                        other => Ok(other),
                    })
                };
                let _ = ev;
                Ok(record(&[("highestPrio", part(1)), ("values", part(0))]))
            }),
        ),
        (
            "sortProperties",
            Value::primop("sortProperties", 1, |ev, a, span| {
                let defs = defs_of_list(ev, &ev.force(&a[0])?, span)?;
                Ok(defs_value(&sort_properties(ev, defs, span)?, span))
            }),
        ),
        (
            // `has name set`: `set ? name` of an attrset, leaving the attribute's value alone.
            "has",
            Value::primop("has", 2, |ev, a, span| {
                Ok(Value::Bool(match ev.force(&a[1])? {
                    Value::Attrs(set) => {
                        let name = ev.force(&a[0])?;
                        set.get(&ev.expect_string(name, span)?).is_some()
                    }
                    _ => false,
                }))
            }),
        ),
    ]
}
