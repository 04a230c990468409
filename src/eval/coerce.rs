//! Coercions to strings, as Nix's `coerceToString` does them.

use super::error::{EvalResult, error};
use super::evaluator::Evaluator;
use super::value::{Thunk, Value};
use crate::nix_text::{NixValue, push_list_to_string};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoerceMode {
    /// `"${x}"` and `"a" + x`: strings and sets with `__toString`/`outPath` only.
    Interpolation,
    /// `./a/${x}` and `./a + x`: also paths (no store copy is involved).
    PathInterpolation,
    /// `toString x`: also numbers, booleans, null and lists.
    ToString,
}

impl Evaluator {
    /// Append the string form of `v` to `out`.
    pub(crate) fn coerce_to_string(&self, v: &Value, mode: CoerceMode, span: Span, out: &mut String) -> EvalResult<()> {
        let _guard = self.enter(span)?;
        match v {
            Value::Str(s) => out.push_str(s),
            Value::Path(p) => match mode {
                CoerceMode::Interpolation => {
                    return Err(error(
                        span,
                        format!(
                            "cannot interpolate the path '{p}' into a string: Nix would copy it to the store, which netns-compile does not have; use `toString` for the path itself"
                        ),
                    ));
                }
                _ => out.push_str(p),
            },
            Value::Attrs(attrs) => {
                if let Some(f) = attrs.get("__toString") {
                    let f = self.force(f)?;
                    let result = self.call(f, Thunk::ready(v.clone(), span), span)?;
                    return self.coerce_to_string(&result, mode, span, out);
                }
                if let Some(p) = attrs.get("outPath") {
                    let p = self.force(p)?;
                    return self.coerce_to_string(&p, mode, span, out);
                }
                return Err(error(span, "cannot coerce a set to a string"));
            }
            // What `toString` writes without forcing anything is the ground floor's, which
            // writes the model's values alike.
            Value::Int(i) if mode == CoerceMode::ToString => NixValue::Int(*i).push_to_string(out),
            Value::Float(x) if mode == CoerceMode::ToString => NixValue::Float(*x).push_to_string(out),
            Value::Bool(b) if mode == CoerceMode::ToString => NixValue::Bool(*b).push_to_string(out),
            Value::Null if mode == CoerceMode::ToString => NixValue::Null.push_to_string(out),
            Value::List(items) if mode == CoerceMode::ToString => {
                push_list_to_string(items, out, |item, out| -> EvalResult<bool> {
                    let item = self.force(item)?;
                    self.coerce_to_string(&item, mode, span, out)?;
                    Ok(matches!(&item, Value::List(l) if l.is_empty()))
                })?;
            }
            other => {
                return Err(error(span, format!("cannot coerce {} to a string", other.described())));
            }
        }
        Ok(())
    }

    pub(crate) fn to_string_value(&self, v: &Value, mode: CoerceMode, span: Span) -> EvalResult<String> {
        let mut out = String::new();
        self.coerce_to_string(v, mode, span, &mut out)?;
        Ok(out)
    }
}

// How Nix writes a float in JSON is the ground floor's (nix_text.rs): XML writes it alike.
pub use crate::nix_text::format_float_g;
