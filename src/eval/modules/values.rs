//! Values of options: the `config` an `options` tree gives (each option's `value`, option
//! trees walked), and `mergeEqualOption`, the merge of most built-in types.

use super::definitions::{Helpers, throw};
use super::{lazy_select, merge_modules::is_option};
use crate::eval::value::{Attrs, Thunk, Value};
use crate::eval::{EvalResult, Evaluator};
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
        return Err(crate::eval::error_of(
            crate::eval::ErrorKind::Abort,
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

/// `(attrsOf elemType).merge loc defs`: the definitions regrouped by attribute name
/// (`defsByAttr`), each name's merged by `elemType` (`mergeDefinitions`), the names without a
/// value left out; each value merged when read.
pub fn merge_attrs_of(
    ev: &Evaluator,
    h: &std::rc::Rc<Helpers>,
    elem_type: &Thunk,
    loc: &Thunk,
    defs: &Thunk,
    span: Span,
) -> EvalResult<Value> {
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
        let loc = super::merge_modules::appended(loc, &name, span);
        let defs = Thunk::ready(Value::list(defs), span);
        let merged = super::definitions::merge_definitions(h.clone(), loc, elem_type.clone(), defs, span);
        let optional = lazy_select(&Thunk::ready(merged, span), "optionalValue", span);
        if let Value::Attrs(o) = ev.force(&optional)?
            && let Some(v) = o.get("value")
        {
            out.insert(name, v.clone(), span);
        }
    }
    Ok(Value::attrs(out))
}
