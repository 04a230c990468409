//! List builtins (`map`, `filter`, `foldl'`, `sort`, …).

use super::{Defs, def, lazy_call};
use crate::eval::error::{EvalResult, error};
use crate::eval::value::{Attrs, Thunk, Value};
use std::rc::Rc;

pub(super) fn define_lists(d: &mut Defs) {
    def(d, "length", 1, |ev, a, span| {
        Ok(Value::Int(ev.arg_list(a, 0, span)?.len() as i64))
    });
    def(d, "head", 1, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        match l.first() {
            Some(t) => ev.force(t),
            None => Err(error(span, "list index 0 is out of bounds")),
        }
    });
    def(d, "tail", 1, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        if l.is_empty() {
            return Err(error(span, "'tail' called on an empty list"));
        }
        Ok(Value::List(l[1..].iter().cloned().collect()))
    });
    def(d, "elemAt", 2, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        let n = ev.arg_int(a, 1, span)?;
        match usize::try_from(n).ok().and_then(|i| l.get(i)) {
            Some(t) => ev.force(t),
            None => Err(error(span, format!("list index {n} is out of bounds"))),
        }
    });
    def(d, "elem", 2, |ev, a, span| {
        let x = ev.arg(a, 0)?;
        for item in ev.arg_list(a, 1, span)?.iter() {
            if ev.values_equal(&x, &ev.force(item)?, span)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(d, "map", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let l = ev.arg_list(a, 1, span)?;
        // Of a known length: collected straight into the shared list (one allocation).
        Ok(Value::List(
            l.iter().map(|x| lazy_call(f.clone(), x.clone(), span)).collect(),
        ))
    });
    def(d, "filter", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let l = ev.arg_list(a, 1, span)?;
        let mut out = Vec::new();
        for x in l.iter() {
            if ev.predicate(&f, x, span)? {
                out.push(x.clone());
            }
        }
        // Everything kept: the list itself, as Nix gives it back (no copy).
        if out.len() == l.len() {
            return Ok(Value::List(l));
        }
        Ok(Value::list(out))
    });
    def(d, "foldl'", 3, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        // The initial accumulator is not forced unless it is the result (as in Nix).
        let mut acc = a
            .get(1)
            .cloned()
            .ok_or_else(|| error(span, "internal error: missing argument"))?;
        for x in ev.arg_list(a, 2, span)?.iter() {
            acc = Thunk::ready(ev.call2(&f, acc, x.clone(), span)?, span);
        }
        ev.force(&acc)
    });
    def(d, "genList", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let n = ev.arg_int(a, 1, span)?;
        if n < 0 {
            return Err(error(span, format!("cannot create list of size {n}")));
        }
        Ok(Value::List(
            (0..n)
                .map(|i| lazy_call(f.clone(), Thunk::ready(Value::Int(i), span), span))
                .collect(),
        ))
    });
    def(d, "concatLists", 1, |ev, a, span| {
        let mut out = Vec::new();
        for l in ev.arg_list(a, 0, span)?.iter() {
            let l = ev.force(l)?;
            out.extend(ev.expect_list(l, span)?.iter().cloned());
        }
        Ok(Value::list(out))
    });
    def(d, "concatMap", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let mut out = Vec::new();
        for x in ev.arg_list(a, 1, span)?.iter() {
            let l = ev.call(f.clone(), x.clone(), span)?;
            out.extend(ev.expect_list(l, span)?.iter().cloned());
        }
        Ok(Value::list(out))
    });
    def(d, "any", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        for x in ev.arg_list(a, 1, span)?.iter() {
            if ev.predicate(&f, x, span)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(d, "all", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        for x in ev.arg_list(a, 1, span)?.iter() {
            if !ev.predicate(&f, x, span)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    });
    def(d, "partition", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let (mut right, mut wrong) = (Vec::new(), Vec::new());
        for x in ev.arg_list(a, 1, span)?.iter() {
            if ev.predicate(&f, x, span)? {
                right.push(x.clone())
            } else {
                wrong.push(x.clone())
            }
        }
        let mut attrs = Attrs::new();
        attrs.insert_value("right", Value::list(right));
        attrs.insert_value("wrong", Value::list(wrong));
        Ok(Value::attrs(attrs))
    });
    def(d, "groupBy", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let mut groups: std::collections::BTreeMap<Rc<str>, Vec<Thunk>> = Default::default();
        for x in ev.arg_list(a, 1, span)?.iter() {
            let key = ev.call(f.clone(), x.clone(), span)?;
            let key = ev.expect_string(key, span)?;
            groups.entry(key).or_default().push(x.clone());
        }
        let mut attrs = Attrs::new();
        for (k, v) in groups {
            attrs.insert(k, Thunk::ready(Value::list(v), span), span);
        }
        Ok(Value::attrs(attrs))
    });
    def(d, "sort", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let items: Vec<Thunk> = ev.arg_list(a, 1, span)?.to_vec();
        let less =
            |x: &Thunk, y: &Thunk| -> EvalResult<bool> { ev.predicate(&ev.call(f.clone(), x.clone(), span)?, y, span) };
        Ok(Value::list(crate::stable_sort::stable_sort(items, &less)?))
    });
}
