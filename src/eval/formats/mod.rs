//! Data formats besides JSON: `builtins.toXML` ([`xml`]) and `builtins.fromTOML` ([`toml`]),
//! with Nix 2.8's results.
//!
//! Nix 2.8 keeps string values as C strings, so a string ends at its first NUL byte wherever
//! Nix reads one through `char *` (TOML strings, XML attribute values): [`c_string`]. Attribute
//! names are C++ strings and keep their NUL bytes (a TOML key `"a\u0000b"` stays whole).

mod toml;
mod xml;

use self::toml::Toml;
use super::error::{EvalResult, error};
use super::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// `s` up to its first NUL byte, as Nix 2.8 reads a string through `char *`.
pub(crate) fn c_string(s: &str) -> &str {
    s.split('\0').next().unwrap_or_default()
}

/// `builtins.fromTOML text`.
pub(crate) fn from_toml(text: &str, span: Span) -> EvalResult<Value> {
    let context = |message: String| error(span, format!("while parsing a TOML string: {message}"));
    let table = toml::parse(c_string(text)).map_err(|e| context(e.to_string()))?;
    toml_table_value(table.entries, span).map_err(context)
}

/// A TOML value as a Nix value. Dates and times have none: Nix 2.8 rejects them (later
/// versions turn them into sets with the experimental `parse-toml-timestamps`).
fn toml_value(t: Toml, span: Span) -> Result<Value, String> {
    Ok(match t {
        Toml::Bool(b) => Value::Bool(b),
        Toml::Int(i) => Value::Int(i),
        Toml::Float(x) => Value::Float(x),
        Toml::Str(s) => Value::str(c_string(&s)),
        Toml::DateTime => return Err("Dates and times are not supported".to_string()),
        Toml::Array(items) => Value::list(
            items
                .into_iter()
                .map(|item| toml_value(item, span).map(|v| Thunk::ready(v, span)))
                .collect::<Result<_, _>>()?,
        ),
        Toml::Table(table) => return toml_table_value(table.entries, span),
    })
}

fn toml_table_value(entries: impl IntoIterator<Item = (String, Toml)>, span: Span) -> Result<Value, String> {
    let mut attrs = Attrs::new();
    for (key, value) in entries {
        let value = toml_value(value, span)?;
        attrs.insert(Rc::from(key), Thunk::ready(value, span), span);
    }
    Ok(Value::attrs(attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings_end_at_nul() {
        assert_eq!(c_string("a\0b"), "a");
        assert_eq!(c_string(""), "");
        assert_eq!(c_string("ab"), "ab");
    }
}
