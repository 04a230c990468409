//! Values of options: the `config` an `options` tree gives (each option's `value`, option
//! trees walked), `mergeEqualOption`, the merge of most built-in types, and the merges of
//! `attrsOf`, `lazyAttrsOf` and `listOf`.

use super::definitions::{Helpers, throw};
use super::{lazy_select, merge_modules::is_option, with_context};
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options`: every attribute made
/// when read.
pub fn option_values(ev: &Evaluator, options: &Thunk, span: Span) -> EvalResult<Value> {
    let set = ev.expect_attrs(ev.force(options)?, span, "an options tree")?;
    let mut out = Attrs::new();
    for (name, a) in &set.map {
        let t = a.value.clone();
        let value = Thunk::native(span, move |ev| {
            let v = ev.force(&t)?;
            if matches!(v, Value::Attrs(_)) && !is_option(ev, &v)? {
                option_values(ev, &t, span)
            } else {
                ev.force(&lazy_select(&t, "value", span))
            }
        });
        out.insert(name.clone(), value, a.key_span);
    }
    Ok(Value::attrs(out))
}

/// `mergeEqualOption loc defs`: the one value all definitions agree on (a lone definition as
/// it is, so that a function, never equal to itself, merges).
pub fn merge_equal(ev: &Evaluator, h: &Helpers, loc: &Thunk, defs: &Thunk, span: Span) -> EvalResult<Value> {
    let defs = ev.expect_list(ev.force(defs)?, span)?;
    let Some(first) = defs.first() else {
        return Err(crate::eval::error::error_of(
            crate::eval::error::ErrorKind::Abort,
            crate::diagnostic::Code::NixEval,
            span,
            "evaluation aborted with the following error message: 'This case should never happen.'",
        ));
    };
    for def in defs.iter().skip(1) {
        let v = ev.force(&lazy_select(def, "value", span))?;
        let f = ev.force(&lazy_select(first, "value", span))?;
        if !ev.values_equal(&v, &f, span)? {
            let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
            let pair = Thunk::ready(Value::list(vec![first.clone(), def.clone()]), span);
            let shown_defs = ev.message_part(&h.show_defs, pair, span)?;
            let suggestion = ev.message_part_of(&h.priority_suggestion, span)?;
            return Err(throw(format!(
                "The option `{shown}' has conflicting definition values:{shown_defs}\n{suggestion}"
            )));
        }
    }
    ev.force(&lazy_select(first, "value", span))
}

/// `(nullOr elemType).merge loc defs`: null where every definition is null, `elemType`'s
/// merge where none is, else nixpkgs' message (each value forced in order, as `count` does).
pub fn merge_null_or(
    ev: &Evaluator,
    h: &Helpers,
    elem_type: &Thunk,
    loc: &Thunk,
    defs: &Thunk,
    span: Span,
) -> EvalResult<Value> {
    let list = ev.expect_list(ev.force(defs)?, span)?;
    let mut nulls = 0;
    for def in list.iter() {
        if matches!(ev.force(&lazy_select(def, "value", span))?, Value::Null) {
            nulls += 1;
        }
    }
    if nulls == list.len() {
        return Ok(Value::Null);
    }
    if nulls != 0 {
        let shown = ev.message_part(&h.show_option, loc.clone(), span)?;
        let files = list.iter().map(|d| lazy_select(d, "file", span)).collect();
        let files = ev.message_part(&h.show_files, Thunk::ready(Value::list(files), span), span)?;
        return Err(throw(format!(
            "The option `{shown}` is defined both null and not null, in {files}."
        )));
    }
    let merge = ev.force(&lazy_select(elem_type, "merge", span))?;
    let partial = ev.call(merge, loc.clone(), span)?;
    ev.call(partial, defs.clone(), span)
}

/// The value of a definition `{ file, value }` that is no attrset (so no property:
/// `mergeDefinitions` keeps it as it is), forced as discharging it forces it, with the same
/// note on an error; `None` for an attrset.
pub(super) fn plain_value(ev: &Evaluator, def: &Thunk, span: Span) -> EvalResult<Option<Thunk>> {
    let value = lazy_select(def, "value", span);
    let forced = with_context(
        ev,
        |ev| {
            let f = ev.message_part_of(&lazy_select(def, "file", span), span)?;
            Ok(crate::module_rules::merge_definitions::message::definitions_from(&f))
        },
        || ev.force(&value),
    )?;
    Ok((!matches!(forced, Value::Attrs(_))).then_some(value))
}

/// `(mergeDefinitions loc ty [ def ]).mergedValue` of a lone definition whose value (forced,
/// no property) is `value`, where the type is known to give it back: its `check` accepts it
/// and its merge (read after the check, as the general path reads it) is `mergeEqualOption`,
/// or `nullOr`'s of a null or of an element type merged by `mergeEqualOption`. `None` where the general path must decide (and make the
/// message).
pub(super) fn merged_as_is(ev: &Evaluator, ty: &Thunk, value: &Thunk, span: Span) -> EvalResult<Option<Value>> {
    let tv = ev.force(ty)?;
    let Value::Attrs(t) = &tv else {
        return Ok(None);
    };
    let (Some(check), Some(merge)) = (t.get("check"), t.get("merge")) else {
        return Ok(None);
    };
    let ok = ev.call(ev.force(check)?, value.clone(), span)?;
    if !ev.expect_bool(ok, span)? {
        return Ok(None);
    }
    let value = ev.force(value)?;
    let as_is = match ev.force(merge)? {
        // The engine's merges as the lib applies them (to its helpers, and an element type).
        Value::PrimOp(p) => match (&*p.op.name, p.args.len()) {
            ("mergeEqualOption", 1) => true,
            // Without nulls, `nullOr`'s merge is its element type's (whose check its own made).
            ("mergeNullOr", 2) => match value {
                Value::Null => true,
                _ => match ev.force(&lazy_select(&p.args[1], "merge", span))? {
                    Value::PrimOp(m) => &*m.op.name == "mergeEqualOption" && m.args.len() == 1,
                    _ => false,
                },
            },
            _ => false,
        },
        _ => false,
    };
    Ok(as_is.then_some(value))
}

/// The elements of a container type (`attrsOf`, `listOf`) at `loc`, each merged by
/// `elem_type` on its own.
pub struct Elements {
    pub helpers: std::rc::Rc<Helpers>,
    pub elem_type: Thunk,
    pub loc: Thunk,
    pub span: Span,
}

/// `set.name` where `set` (forced) is an attrset having it, as `set.name or …` reads it.
fn attr_path(ev: &Evaluator, set: Option<&Thunk>, name: &str) -> EvalResult<Option<Thunk>> {
    let Some(set) = set else { return Ok(None) };
    Ok(match ev.force(set)? {
        Value::Attrs(a) => a.get(name).cloned(),
        _ => None,
    })
}

impl Elements {
    /// `(mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue.value`, if defined
    /// (the definitions discharged now, the value merged when read).
    fn merged_at(&self, ev: &Evaluator, name: &std::rc::Rc<str>, defs: Vec<Thunk>) -> EvalResult<Option<Thunk>> {
        let span = self.span;
        let loc = super::merge_modules::appended(&self.loc, name, span);
        if let [def] = &defs[..]
            && let Some(value) = plain_value(ev, def, span)?
        {
            let (h, ty, def) = (self.helpers.clone(), self.elem_type.clone(), def.clone());
            return Ok(Some(Thunk::native(span, move |ev| {
                if let Some(v) = merged_as_is(ev, &ty, &value, span)? {
                    return Ok(v);
                }
                let defs = Thunk::ready(Value::list(vec![def.clone()]), span);
                let merged = super::definitions::merge_definitions(h.clone(), loc.clone(), ty.clone(), defs, span);
                ev.force(&lazy_select(&Thunk::ready(merged, span), "mergedValue", span))
            })));
        }
        let defs = Thunk::ready(Value::list(defs), span);
        let merged =
            super::definitions::merge_definitions(self.helpers.clone(), loc, self.elem_type.clone(), defs, span);
        let optional = lazy_select(&Thunk::ready(merged, span), "optionalValue", span);
        Ok(match ev.force(&optional)? {
            Value::Attrs(o) => o.get("value").cloned(),
            _ => None,
        })
    }

    /// The definitions regrouped by attribute name (`defsByAttr`, zipped), names in order.
    fn by_attr(&self, ev: &Evaluator, defs: &Thunk) -> EvalResult<BTreeMap<Rc<str>, Vec<Thunk>>> {
        let span = self.span;
        let mut grouped: BTreeMap<Rc<str>, Vec<Thunk>> = BTreeMap::new();
        for def in ev.expect_list(ev.force(defs)?, span)?.iter() {
            let value = ev.force(&lazy_select(def, "value", span))?;
            let file = lazy_select(def, "file", span);
            for (name, a) in ev.expect_attrs(value, span, "a builtin's argument")?.map.iter() {
                let record = super::record(&[("file", file.clone()), ("value", a.value.clone())]);
                grouped
                    .entry(name.clone())
                    .or_default()
                    .push(Thunk::ready(record, span));
            }
        }
        Ok(grouped)
    }

    /// `(attrsOf elemType).merge loc defs`: the definitions regrouped by attribute name
    /// (`defsByAttr`), each name's merged, the names without a value left out.
    pub fn merge_attrs_of(&self, ev: &Evaluator, defs: &Thunk) -> EvalResult<Value> {
        let mut out = Attrs::new();
        for (name, defs) in self.by_attr(ev, defs)? {
            if let Some(v) = self.merged_at(ev, &name, defs)? {
                out.insert(name, v, self.span);
            }
        }
        Ok(Value::attrs(out))
    }

    /// `(lazyAttrsOf elemType).merge loc defs`: every name the definitions give, each merged
    /// when read: `merged.optionalValue.value or elemType.emptyValue.value or
    /// merged.mergedValue`.
    pub fn merge_lazy_attrs_of(self: Rc<Self>, ev: &Evaluator, defs: &Thunk) -> EvalResult<Value> {
        let span = self.span;
        let mut out = Attrs::new();
        for (name, defs) in self.by_attr(ev, defs)? {
            let (this, name2) = (self.clone(), name.clone());
            let value = Thunk::native(span, move |ev| {
                let loc = super::merge_modules::appended(&this.loc, &name2, span);
                let defs = Thunk::ready(Value::list(defs.clone()), span);
                let merged = super::definitions::merge_definitions(
                    this.helpers.clone(),
                    loc,
                    this.elem_type.clone(),
                    defs,
                    span,
                );
                let Value::Attrs(merged) = merged else {
                    unreachable!("mergeDefinitions gives an attrset")
                };
                if let Some(v) = attr_path(ev, merged.get("optionalValue"), "value")? {
                    return ev.force(&v);
                }
                let empty = match ev.force(&this.elem_type)? {
                    Value::Attrs(t) => attr_path(ev, t.get("emptyValue"), "value")?,
                    _ => None,
                };
                match empty.or_else(|| merged.get("mergedValue").cloned()) {
                    Some(v) => ev.force(&v),
                    None => unreachable!("mergeDefinitions gives a mergedValue"),
                }
            });
            out.insert(name, value, span);
        }
        Ok(Value::attrs(out))
    }

    /// `(listOf elemType).merge loc defs`: every item of every definition merged on its own
    /// (at `loc ++ [ "[definition n-entry m]" ]`), the items without a value left out.
    pub fn merge_list_of(&self, ev: &Evaluator, defs: &Thunk) -> EvalResult<Value> {
        let span = self.span;
        let mut out = Vec::new();
        for (n, def) in ev.expect_list(ev.force(defs)?, span)?.iter().enumerate() {
            let file = lazy_select(def, "file", span);
            let items = ev.expect_list(ev.force(&lazy_select(def, "value", span))?, span)?;
            for (m, item) in items.iter().enumerate() {
                let entry: std::rc::Rc<str> = format!("[definition {}-entry {}]", n + 1, m + 1).into();
                let one = super::record(&[("file", file.clone()), ("value", item.clone())]);
                out.extend(self.merged_at(ev, &entry, vec![Thunk::ready(one, span)])?);
            }
        }
        Ok(Value::list(out))
    }
}
