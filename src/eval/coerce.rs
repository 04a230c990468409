//! Coercions to strings, as Nix's `coerceToString` does them.

use super::value::{Thunk, Value};
use super::{EvalResult, Evaluator, error};
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

/// `toString 1.5` = `"1.500000"`: C's `%f` (std::to_string).
pub fn format_float_fixed(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{x:.6}")
}

/// How Nix 2.8 prints a float in JSON and in `toJSON`: C++ stream default, i.e. `%g` with six
/// significant digits (`0.1 + 0.2` → `0.3`, `1.0e10` → `1e+10`, `1234567.0` → `1.23457e+06`).
pub fn format_float_g(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const PRECISION: i32 = 6;
    // Round to six significant digits first: the exponent after rounding decides the style.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let mantissa = trim_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (PRECISION - 1 - exponent).max(0) as usize;
        trim_fraction_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

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
