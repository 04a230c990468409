//! Values of options: the `config` an `options` tree gives (each option's `value`, option
//! trees walked), and `mergeEqualOption`, the merge of most built-in types.

use super::definitions::{Helpers, throw};
use super::{lazy_select, merge_modules::is_option};
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;

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

/// The elements of a container type (`attrsOf`, `listOf`) at `loc`, each merged by
/// `elem_type` on its own.
pub struct Elements {
    pub helpers: std::rc::Rc<Helpers>,
    pub elem_type: Thunk,
    pub loc: Thunk,
    pub span: Span,
}

impl Elements {
    /// `(mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue.value`, if defined
    /// (the definitions discharged now, the value merged when read).
    fn merged_at(&self, ev: &Evaluator, name: &std::rc::Rc<str>, defs: Vec<Thunk>) -> EvalResult<Option<Thunk>> {
        let span = self.span;
        let loc = super::merge_modules::appended(&self.loc, name, span);
        let defs = Thunk::ready(Value::list(defs), span);
        let merged =
            super::definitions::merge_definitions(self.helpers.clone(), loc, self.elem_type.clone(), defs, span);
        let optional = lazy_select(&Thunk::ready(merged, span), "optionalValue", span);
        Ok(match ev.force(&optional)? {
            Value::Attrs(o) => o.get("value").cloned(),
            _ => None,
        })
    }

    /// `(attrsOf elemType).merge loc defs`: the definitions regrouped by attribute name
    /// (`defsByAttr`), each name's merged, the names without a value left out.
    pub fn merge_attrs_of(&self, ev: &Evaluator, defs: &Thunk) -> EvalResult<Value> {
        let span = self.span;
        let mut grouped: std::collections::BTreeMap<std::rc::Rc<str>, Vec<Thunk>> = Default::default();
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
        let mut out = Attrs::new();
        for (name, defs) in grouped {
            if let Some(v) = self.merged_at(ev, &name, defs)? {
                out.insert(name, v, span);
            }
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
