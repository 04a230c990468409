//! Arithmetic, comparison and bit operations on numbers.

use super::{Defs, def};
use crate::eval::error::error;
use crate::eval::ir::BinOp;
use crate::eval::value::Value;
use std::cmp::Ordering;

pub(super) fn define_numbers(d: &mut Defs) {
    for (name, op) in [
        ("add", BinOp::Add),
        ("sub", BinOp::Sub),
        ("mul", BinOp::Mul),
        ("div", BinOp::Div),
    ] {
        def(d, name, 2, move |ev, a, span| {
            let (x, y) = (ev.arg(a, 0)?, ev.arg(a, 1)?);
            for v in [&x, &y] {
                if !matches!(v, Value::Int(_) | Value::Float(_)) {
                    return Err(error(
                        span,
                        format!("value is {} while a number was expected", v.described()),
                    ));
                }
            }
            ev.arith(op, x, y, span)
        });
    }
    def(d, "lessThan", 2, |ev, a, span| {
        let (x, y) = (ev.arg(a, 0)?, ev.arg(a, 1)?);
        Ok(Value::Bool(ev.compare(&x, &y, span)? == Ordering::Less))
    });
    type IntOp = fn(i64, i64) -> i64;
    let ops: [(&str, IntOp); 3] = [
        ("bitAnd", |x, y| x & y),
        ("bitOr", |x, y| x | y),
        ("bitXor", |x, y| x ^ y),
    ];
    for (name, f) in ops {
        def(d, name, 2, move |ev, a, span| {
            Ok(Value::Int(f(ev.arg_int(a, 0, span)?, ev.arg_int(a, 1, span)?)))
        });
    }
    for (name, f) in [("ceil", f64::ceil as fn(f64) -> f64), ("floor", f64::floor)] {
        def(d, name, 1, move |ev, a, span| match ev.arg(a, 0)? {
            Value::Int(i) => Ok(Value::Int(i)),
            Value::Float(x) => Ok(Value::Int(f(x) as i64)),
            other => Err(error(
                span,
                format!("value is {} while a float was expected", other.described()),
            )),
        });
    }
}
