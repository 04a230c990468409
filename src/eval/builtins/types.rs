//! Type tests (`typeOf`, `isAttrs`, …) and `functionArgs`.

use super::{Defs, def};
use crate::eval::error::error;
use crate::eval::value::{Attrs, Thunk, Value};

pub(super) fn define_types(d: &mut Defs) {
    def(d, "typeOf", 1, |ev, a, _| Ok(Value::str(ev.arg(a, 0)?.type_name())));
    for (name, ty) in [
        ("isAttrs", "set"),
        ("isBool", "bool"),
        ("isFloat", "float"),
        ("isFunction", "lambda"),
        ("isInt", "int"),
        ("isList", "list"),
        ("isNull", "null"),
        ("isPath", "path"),
        ("isString", "string"),
    ] {
        def(d, name, 1, move |ev, a, _| {
            Ok(Value::Bool(ev.arg(a, 0)?.type_name() == ty))
        });
    }
    def(d, "functionArgs", 1, |ev, a, span| {
        let mut attrs = Attrs::new();
        match ev.arg(a, 0)? {
            Value::Lambda(c) => {
                if let crate::eval::ir::Param::Pattern { entries, .. } = &c.def.param {
                    for e in entries {
                        attrs.insert(
                            e.name.clone(),
                            Thunk::ready(Value::Bool(e.default.is_some()), e.span),
                            e.span,
                        );
                    }
                }
            }
            Value::PrimOp(_) => {}
            other => {
                return Err(error(
                    span,
                    format!("'functionArgs' requires a function, got {}", other.described()),
                ));
            }
        }
        Ok(Value::attrs(attrs))
    });
}
