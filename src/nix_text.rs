//! How Nix 2.8 writes scalar values as text: a float through `toString` and through JSON, a
//! string as JSON. On the ground floor because the evaluator (`toString`, `toJSON`, `--json`)
//! and the model (values copied into units, as NixOS's modules copy them) write them alike.

/// `toString 1.5` = `"1.500000"`: C's `%f` (std::to_string).
pub fn format_float_fixed(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text;
    }
    format!("{x:.6}")
}

/// How Nix 2.8 prints a float in JSON and in `toJSON`: C++ stream default, i.e. `%g` with six
/// significant digits (`0.1 + 0.2` → `0.3`, `1.0e10` → `1e+10`, `1234567.0` → `1.23457e+06`).
pub fn format_float_g(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text;
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

/// NaN and the infinities as C prints them, in both styles.
fn non_finite(x: f64) -> Option<String> {
    let text = match (x.is_nan(), x.is_infinite(), x.is_sign_negative()) {
        (true, _, true) => "-nan",
        (true, _, false) => "nan",
        (_, true, false) => "inf",
        (_, true, true) => "-inf",
        _ => return None,
    };
    Some(text.into())
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A JSON string as Nix writes it: `"` and `\` escaped, `\n` `\r` `\t` by name, other control
/// characters as `\u00XX`, everything else (non-ASCII too) as is.
pub fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_print_as_c_prints_them_in_both_styles() {
        for f in [format_float_fixed, format_float_g] {
            assert_eq!(f(f64::NAN), "nan");
            assert_eq!(f(-f64::NAN), "-nan");
            assert_eq!(f(f64::INFINITY), "inf");
            assert_eq!(f(f64::NEG_INFINITY), "-inf");
        }
        assert_eq!(format_float_fixed(-0.5), "-0.500000");
        let mut out = String::new();
        push_json_string("a\"\\\n\u{1}é", &mut out);
        assert_eq!(out, "\"a\\\"\\\\\\n\\u0001é\"");
    }
}
