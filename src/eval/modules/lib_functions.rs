//! Functions of the native lib that the module system calls for every module, option and list
//! element (`lib.lists.imap1`, `lib.lists.reverseList`, `lib.trivial.isFunction`), natively,
//! with the results and laziness of their Nix definitions.

use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Thunk, Value};
use crate::source::Span;

/// `imap1 f list`: `genList (n: f (n + 1) (elemAt list n)) (length list)`, each item a call
/// made when read.
pub fn imap1(ev: &Evaluator, f: &Thunk, list: &Thunk, span: Span) -> EvalResult<Value> {
    let items = ev.expect_list(ev.force(list)?, span)?;
    Ok(Value::list(
        items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let (f, x) = (f.clone(), x.clone());
                Thunk::native(span, move |ev| {
                    let f = ev.force(&f)?;
                    let partial = ev.call(f, Thunk::ready(Value::Int(i as i64 + 1), span), span)?;
                    ev.call(partial, x.clone(), span)
                })
            })
            .collect(),
    ))
}

/// `reverseList xs`.
pub fn reverse_list(ev: &Evaluator, list: &Thunk, span: Span) -> EvalResult<Value> {
    let items = ev.expect_list(ev.force(list)?, span)?;
    Ok(Value::list(items.iter().rev().cloned().collect()))
}

/// `isFunction f`: a function, or an attrset whose `__functor` applied to it gives one.
pub fn is_function(ev: &Evaluator, f: &Thunk, span: Span) -> EvalResult<bool> {
    Ok(match ev.force(f)? {
        Value::Lambda(_) | Value::PrimOp(_) => true,
        Value::Attrs(a) => match a.get("__functor") {
            Some(functor) => {
                let functor = ev.force(functor)?;
                ev.call(functor, f.clone(), span)?.is_function()
            }
            None => false,
        },
        _ => false,
    })
}
