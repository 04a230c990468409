//! How Nix 2.8 writes values as text: `toString` of a value the compiler copies into its output
//! ([`NixValue`]), a float through `toString` and through JSON, a string as JSON. On the ground
//! floor because the evaluator (`toString`, `toJSON`, `--json`) and the emitter (values copied
//! into units, as NixOS's modules copy them) write them alike.

use crate::node::{Kind, Node};

/// A value as the model keeps it for the output: what `toString` can write (a derivation is
/// its `outPath`, already a string). The text is made only where it is written ([`Self::to_nix_string`]).
#[derive(Clone, Debug, PartialEq)]
pub enum NixValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<NixValue>),
}

impl NixValue {
    /// Nix's `toString`: null and `false` are empty, `true` is `1`, a float has six decimals,
    /// a list as [`push_list_to_string`] writes it. The evaluator writes its values through
    /// this too (`eval/coerce.rs`), where forcing and `__toString` are done.
    pub fn push_to_string(&self, out: &mut String) {
        match self {
            NixValue::Null | NixValue::Bool(false) => {}
            NixValue::Bool(true) => out.push('1'),
            NixValue::Int(i) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            NixValue::Float(f) => out.push_str(&format_float_fixed(*f)),
            NixValue::Str(s) => out.push_str(s),
            NixValue::List(items) => {
                let written: Result<(), std::convert::Infallible> = push_list_to_string(items, out, |item, out| {
                    item.push_to_string(out);
                    Ok(matches!(item, NixValue::List(l) if l.is_empty()))
                });
                if let Err(never) = written {
                    match never {}
                }
            }
        }
    }

    /// [`Self::push_to_string`] into a new string.
    pub fn to_nix_string(&self) -> String {
        match self {
            NixValue::Str(s) => s.clone(),
            _ => {
                let mut out = String::new();
                self.push_to_string(&mut out);
                out
            }
        }
    }

    /// nixpkgs' systemd-lib `toOption` (how NixOS writes a value into a unit): a boolean as
    /// `true`/`false`, anything else through `toString`.
    pub fn push_option_string(&self, out: &mut String) {
        match self {
            NixValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            _ => self.push_to_string(out),
        }
    }

    /// [`Self::push_option_string`] into a new string.
    pub fn to_option_string(&self) -> String {
        match self {
            NixValue::Bool(_) => {
                let mut out = String::new();
                self.push_option_string(&mut out);
                out
            }
            _ => self.to_nix_string(),
        }
    }

    /// Whether any string in it holds `c` (a test before writing it out).
    pub fn any_str(&self, c: &impl Fn(&str) -> bool) -> bool {
        match self {
            NixValue::Str(s) => c(s),
            NixValue::List(items) => items.iter().any(|i| i.any_str(c)),
            _ => false,
        }
    }
}

/// Nix's `toString` of a list: each item as `item` writes it (which says whether the item was
/// an empty list), a space after every item but the last and an empty list (Nix 2.8's
/// `coerceToString`: `toString [ [] 1 ]` is `"1"`, `toString [ 1 [] ]` is `"1 "`).
pub fn push_list_to_string<T, E>(
    items: &[T],
    out: &mut String,
    mut item: impl FnMut(&T, &mut String) -> Result<bool, E>,
) -> Result<(), E> {
    for (i, it) in items.iter().enumerate() {
        let empty_list = item(it, out)?;
        if i + 1 < items.len() && !empty_list {
            out.push(' ');
        }
    }
    Ok(())
}

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
/// characters as `\u00XX`, everything else (non-ASCII too) as is. Runs of bytes written as
/// they are (nearly all of a string) are copied at once.
pub fn push_json_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut rest = s;
    loop {
        let plain = plain_json_prefix(rest.as_bytes());
        out.push_str(&rest[..plain]);
        // An escaped byte is ASCII: `plain + 1` is a character boundary.
        let Some(&c) = rest.as_bytes().get(plain) else { break };
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(c >> 4)] as char);
                out.push(HEX[usize::from(c & 15)] as char);
            }
        }
        rest = &rest[plain + 1..];
    }
    out.push('"');
}

/// How many bytes at the start of `b` a JSON string writes as they are: up to the first `"`,
/// `\` or control character. Eight bytes are tested at a time (the bit tricks of "Bit
/// Twiddling Hacks": a byte equal to zero, a byte less than n); a flag can be set wrongly
/// only above a byte rightly flagged, so the lowest flag is the first such byte.
fn plain_json_prefix(b: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | w.wrapping_sub(ONES * 0x20) & !w)
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - i)
}

/// A value of a definition tree (the resolved config) as the model keeps it for the output
/// (Nix's `toString` writes it: [`NixValue::to_nix_string`]); a derivation is its `outPath`.
/// `Err` carries what `toString` cannot coerce (a set without `outPath`, a function).
pub fn nix_value(v: &Node) -> Result<NixValue, &Node> {
    Ok(match &v.kind {
        Kind::Null => NixValue::Null,
        Kind::Bool(b) => NixValue::Bool(*b),
        Kind::Int(i) => NixValue::Int(*i),
        Kind::Float(f) => NixValue::Float(*f),
        Kind::Str(s) | Kind::Path(s) => NixValue::Str(s.clone()),
        Kind::List(items) => NixValue::List(items.iter().map(nix_value).collect::<Result<_, _>>()?),
        Kind::Attrs(a) => match a.get("outPath") {
            Some(p) => nix_value(p)?,
            None => return Err(v),
        },
        Kind::Opaque(_) => return Err(v),
    })
}

/// Nix's `toString` of a value of the resolved config.
pub fn nix_to_string(v: &Node) -> Result<String, &Node> {
    nix_value(v).map(|v| v.to_nix_string())
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

    /// The writer that copies runs is held to the plain one, character by character, with
    /// every escape at every place of an eight-byte word and next to multi-byte characters.
    #[test]
    fn json_strings_copy_runs_as_the_plain_writer_escapes() {
        fn plain_writer(s: &str) -> String {
            let mut out = String::from('"');
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
            out
        }
        let specials = [
            "\"",
            "\\",
            "\n",
            "\r",
            "\t",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            " ",
            "!",
            "#",
            "[",
            "é",
            "€",
            "\u{10348}",
        ];
        for len in 0..20 {
            for at in 0..=len {
                for special in specials {
                    let s = format!("{}{special}{}", "a".repeat(at), "b".repeat(len - at));
                    let mut out = String::new();
                    push_json_string(&s, &mut out);
                    assert_eq!(out, plain_writer(&s), "{s:?}");
                }
            }
        }
    }

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

    #[test]
    fn an_empty_list_in_a_list_takes_no_space_after_it() {
        use NixValue::*;
        let empty = || List(Vec::new());
        assert_eq!(List(vec![empty(), Int(1)]).to_nix_string(), "1");
        assert_eq!(List(vec![Int(1), empty()]).to_nix_string(), "1 ");
        assert_eq!(List(vec![Int(1), empty(), Int(2)]).to_nix_string(), "1 2");
    }

    #[test]
    fn to_string_coerces_like_nix() {
        use NixValue::*;
        assert_eq!(Float(1.5).to_nix_string(), "1.500000");
        assert_eq!(Bool(true).to_nix_string(), "1");
        assert_eq!(Bool(false).to_nix_string(), "");
        assert_eq!(Bool(true).to_option_string(), "true");
        assert_eq!(Bool(false).to_option_string(), "false");
        assert_eq!(List(vec![Int(1), Null, Str("x".into())]).to_nix_string(), "1  x");
        assert_eq!(
            List(vec![Bool(true), List(vec![Int(2), Bool(false)])]).to_option_string(),
            "1 2 "
        );
    }

    #[test]
    fn values_keep_their_type_and_coerce_like_nix() {
        use crate::source::Span;
        let n = |k| Node::new(Span::BUILTIN, k);
        assert_eq!(nix_value(&n(Kind::Float(1.5))), Ok(NixValue::Float(1.5)));
        assert_eq!(nix_to_string(&n(Kind::Bool(true))).unwrap(), "1");
        assert_eq!(
            nix_to_string(&n(Kind::List(vec![
                n(Kind::Int(1)),
                n(Kind::Null),
                n(Kind::Str("x".into()))
            ])))
            .unwrap(),
            "1  x"
        );
        let set = n(Kind::Attrs(crate::node::Attrs::new()));
        assert!(nix_value(&set).is_err());
    }
}
