//! Coercions to strings, as Nix's `coerceToString` does them.

use super::error::{EvalResult, error};
use super::evaluator::Evaluator;
use super::value::{Thunk, Value};
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
            Value::Int(i) if mode == CoerceMode::ToString => out.push_str(&i.to_string()),
            Value::Float(x) if mode == CoerceMode::ToString => out.push_str(&format_float_fixed(*x)),
            Value::Bool(b) if mode == CoerceMode::ToString => {
                if *b {
                    out.push('1')
                }
            }
            Value::Null if mode == CoerceMode::ToString => {}
            Value::List(items) if mode == CoerceMode::ToString => {
                for (i, item) in items.iter().enumerate() {
                    let item = self.force(item)?;
                    self.coerce_to_string(&item, mode, span, out)?;
                    let is_empty_list = matches!(&item, Value::List(l) if l.is_empty());
                    if i + 1 < items.len() && !is_empty_list {
                        out.push(' ');
                    }
                }
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

// How Nix writes floats is the ground floor's (nix_text.rs): the model prints them too.
pub use crate::nix_text::{format_float_fixed, format_float_g};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_nix_2_8() {
        assert_eq!(format_float_g(0.1 + 0.2), "0.3");
        assert_eq!(format_float_g(1.0e10), "1e+10");
        assert_eq!(format_float_g(1234567.0), "1.23457e+06");
        assert_eq!(format_float_g(123456.7), "123457");
        assert_eq!(format_float_g(1.0e-5), "1e-05");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(1.0 / 3.0), "0.333333");
        assert_eq!(format_float_g(2.5), "2.5");
        assert_eq!(format_float_g(100.0), "100");
        assert_eq!(format_float_fixed(1.5), "1.500000");
    }
}
