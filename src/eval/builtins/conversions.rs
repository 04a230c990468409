//! Conversions: JSON both ways, XML out, TOML in, `toString`.

use super::{Defs, def};
use crate::eval::coerce::CoerceMode;
use crate::eval::error::error;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

pub(super) fn define_conversions(d: &mut Defs) {
    def(d, "toJSON", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let mut out = String::new();
        ev.print_json(&v, &mut out, span)?;
        Ok(Value::string(out))
    });
    def(d, "fromJSON", 1, |ev, a, span| {
        let text = ev.arg_str(a, 0, span)?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| error(span, format!("invalid JSON: {e}")))?;
        Ok(from_json(&json, span))
    });
    def(d, "toXML", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        Ok(Value::string(ev.to_xml(&v, span)?))
    });
    def(d, "fromTOML", 1, |ev, a, span| {
        let text = ev.arg_str(a, 0, span)?;
        crate::eval::formats::from_toml(&text, span)
    });
    def(d, "toString", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        Ok(Value::string(ev.to_string_value(&v, CoerceMode::ToString, span)?))
    });
}

/// A JSON value as a Nix value (integers stay integers).
pub fn from_json(json: &serde_json::Value, span: Span) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => Value::str(s),
        J::Array(items) => Value::list(items.iter().map(|x| Thunk::ready(from_json(x, span), span)).collect()),
        J::Object(map) => {
            let mut attrs = Attrs::new();
            for (k, v) in map {
                attrs.insert(Rc::from(k.as_str()), Thunk::ready(from_json(v, span), span), span);
            }
            Value::attrs(attrs)
        }
    }
}
