//! Evaluation control: `throw`, `abort`, `seq`, `trace`, `tryEval`, error context, string
//! context (which strings here never carry) and `genericClosure`.

use super::{Defs, def};
use crate::diagnostic::Code;
use crate::eval::coerce::CoerceMode;
use crate::eval::error::{ErrorKind, error, error_of};
use crate::eval::value::{Attrs, Thunk, Value};
use std::cmp::Ordering;
use std::rc::Rc;

pub(super) fn define_control(d: &mut Defs) {
    def(d, "throw", 1, |ev, a, span| {
        let msg = ev.arg_coerced(a, 0, span)?;
        Err(error_of(ErrorKind::Throw, Code::NixEval, span, msg))
    });
    def(d, "abort", 1, |ev, a, span| {
        let msg = ev.arg_coerced(a, 0, span)?;
        Err(error_of(
            ErrorKind::Abort,
            Code::NixEval,
            span,
            format!("evaluation aborted with the following error message: '{msg}'"),
        ))
    });
    def(d, "seq", 2, |ev, a, _| {
        ev.arg(a, 0)?;
        ev.arg(a, 1)
    });
    def(d, "deepSeq", 2, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        ev.deep_force(&v, span)?;
        ev.arg(a, 1)
    });
    def(d, "trace", 2, |ev, a, _| {
        // Forced to its outermost constructor only, as in Nix: tracing a module's `config`
        // must not evaluate all of it.
        let shown = match ev.arg(a, 0)? {
            Value::Str(s) => s.to_string(),
            other => ev.show_value(&other),
        };
        // A side effect the user asked for, shown while evaluation goes on, as in Nix.
        ev.io().trace(&shown);
        ev.arg(a, 1)
    });
    def(d, "tryEval", 1, |ev, a, span| {
        let mut attrs = Attrs::new();
        match ev.arg(a, 0) {
            Ok(v) => {
                attrs.insert_value("success", Value::Bool(true));
                attrs.insert(Rc::from("value"), Thunk::ready(v, span), span);
            }
            Err(e) if matches!(e.kind, ErrorKind::Throw | ErrorKind::AssertionFailed) => {
                attrs.insert_value("success", Value::Bool(false));
                attrs.insert_value("value", Value::Bool(false));
            }
            Err(e) => return Err(e),
        }
        Ok(Value::attrs(attrs))
    });
    // The context is read only when an error passes through (as Nix does), and becomes a
    // note of its diagnostic: innermost first, as Nix's trace lists them. An error reading
    // the context replaces the one passing, as in Nix.
    def(d, "addErrorContext", 2, |ev, a, span| {
        ev.arg(a, 1).or_else(|mut e| {
            let context = ev.arg(a, 0)?;
            let mut text = String::new();
            ev.coerce_to_string(&context, CoerceMode::PathInterpolation, span, &mut text)?;
            e.diagnostic.notes.push(text);
            Err(e)
        })
    });
    def(d, "unsafeDiscardStringContext", 1, |ev, a, _| ev.arg(a, 0));
    def(d, "unsafeDiscardOutputDependency", 1, |ev, a, _| ev.arg(a, 0));
    def(d, "hasContext", 1, |ev, a, span| {
        ev.arg_str(a, 0, span)?;
        Ok(Value::Bool(false))
    });
    // Strings carry no context here (see `hasContext`), so the context given is checked to be
    // an attrset and otherwise dropped.
    def(d, "appendContext", 2, |ev, a, span| {
        let s = ev.arg_str(a, 0, span)?;
        ev.arg_attrs(a, 1, span)?;
        Ok(Value::string(s.to_string()))
    });
    def(d, "getContext", 1, |_, _, _| Ok(Value::attrs(Attrs::new())));
    def(d, "genericClosure", 1, |ev, a, span| {
        let args = ev.arg_attrs(a, 0, span)?;
        let start = args
            .get("startSet")
            .cloned()
            .ok_or_else(|| error(span, "attribute 'startSet' required"))?;
        let operator = args
            .get("operator")
            .cloned()
            .ok_or_else(|| error(span, "attribute 'operator' required"))?;
        let operator = ev.force(&operator)?;
        let start = ev.force(&start)?;
        let mut work: std::collections::VecDeque<Thunk> = ev.expect_list(start, span)?.iter().cloned().collect();
        let mut seen: Vec<Value> = Vec::new();
        let mut result = Vec::new();
        while let Some(item) = work.pop_front() {
            let v = ev.force(&item)?;
            let attrs = ev.expect_attrs(v, span, "an element of genericClosure")?;
            let key = attrs
                .get("key")
                .cloned()
                .ok_or_else(|| error(span, "attribute 'key' required"))?;
            let key = ev.force(&key)?;
            let mut known = false;
            for k in &seen {
                if ev.compare(k, &key, span)? == Ordering::Equal && ev.values_equal(k, &key, span)? {
                    known = true;
                    break;
                }
            }
            if known {
                continue;
            }
            seen.push(key);
            result.push(item.clone());
            let next = ev.call(operator.clone(), item, span)?;
            work.extend(ev.expect_list(next, span)?.iter().cloned());
        }
        Ok(Value::list(result))
    });
}
