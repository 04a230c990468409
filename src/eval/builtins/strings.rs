//! String builtins: substrings, `replaceStrings`, regular expressions, versions,
//! derivation names, hashes, and the path-like `baseNameOf`/`dirOf`.
//!
//! Which arguments are coerced follows Nix 2.8's primops: `stringLength`, `substring`,
//! `concatStringsSep`'s items and `baseNameOf` coerce (`coerceToString`: a path, a set with
//! `outPath`/`__toString`); `match`, `split`, `replaceStrings`, `splitVersion`,
//! `compareVersions`, `parseDrvName` and `hashString` force a string (`forceString`), and
//! anything else is "value is … while a string was expected".

use super::{Defs, def};
use crate::eval::coerce::CoerceMode;
use crate::eval::error::error;
use crate::eval::value::{Attrs, Thunk, Value};
use std::cmp::Ordering;
use std::rc::Rc;

pub(super) fn define_strings(d: &mut Defs) {
    def(d, "stringLength", 1, |ev, a, span| {
        Ok(Value::Int(ev.arg_coerced(a, 0, span)?.len() as i64))
    });
    def(d, "substring", 3, |ev, a, span| {
        let start = ev.arg_int(a, 0, span)?;
        let len = ev.arg_int(a, 1, span)?;
        let s = ev.arg_coerced(a, 2, span)?;
        if start < 0 {
            return Err(error(span, "negative start position in 'substring'"));
        }
        let bytes = s.as_bytes();
        let from = (start as usize).min(bytes.len());
        let to = if len < 0 {
            bytes.len()
        } else {
            from.saturating_add(len as usize).min(bytes.len())
        };
        Ok(Value::string(String::from_utf8_lossy(&bytes[from..to]).into_owned()))
    });
    def(d, "concatStringsSep", 2, |ev, a, span| {
        let sep = ev.arg_str(a, 0, span)?;
        let mut out = String::new();
        for (i, item) in ev.arg_list(a, 1, span)?.iter().enumerate() {
            if i > 0 {
                out.push_str(&sep);
            }
            let v = ev.force(item)?;
            ev.coerce_to_string(&v, CoerceMode::Interpolation, item.span(), &mut out)?;
        }
        Ok(Value::string(out))
    });
    def(d, "replaceStrings", 3, |ev, a, span| {
        let from = ev.arg_list(a, 0, span)?;
        let to = ev.arg_list(a, 1, span)?;
        if from.len() != to.len() {
            return Err(error(
                span,
                "'from' and 'to' arguments to 'replaceStrings' have different lengths",
            ));
        }
        let mut pairs = Vec::new();
        for (f, t) in from.iter().zip(to.iter()) {
            let f = ev.force(f)?;
            let t = ev.force(t)?;
            pairs.push((ev.expect_string(f, span)?, ev.expect_string(t, span)?));
        }
        let s = ev.arg_str(a, 2, span)?;
        Ok(Value::string(replace_strings(&s, &pairs)))
    });
    def(d, "match", 2, |ev, a, span| {
        let pattern = ev.arg_str(a, 0, span)?;
        let s = ev.arg_str(a, 1, span)?;
        let re = crate::eval::regex::compile_posix_anchored(&pattern)
            .map_err(|e| error(span, format!("invalid regular expression '{pattern}': {e}")))?;
        Ok(match re.captures(&s) {
            None => Value::Null,
            Some(caps) => Value::list(
                caps.iter()
                    .skip(1)
                    .map(|g| Thunk::ready(group_value(g), span))
                    .collect(),
            ),
        })
    });
    def(d, "split", 2, |ev, a, span| {
        let pattern = ev.arg_str(a, 0, span)?;
        let s = ev.arg_str(a, 1, span)?;
        let re = crate::eval::regex::compile_posix(&pattern)
            .map_err(|e| error(span, format!("invalid regular expression '{pattern}': {e}")))?;
        let mut out = Vec::new();
        let mut last = 0;
        for caps in re.captures_iter(&s) {
            let Some(whole) = caps.get(0) else { continue };
            out.push(Thunk::ready(Value::str(&s[last..whole.start()]), span));
            let groups = caps
                .iter()
                .skip(1)
                .map(|g| Thunk::ready(group_value(g), span))
                .collect();
            out.push(Thunk::ready(Value::list(groups), span));
            last = whole.end();
        }
        out.push(Thunk::ready(Value::str(&s[last..]), span));
        Ok(Value::list(out))
    });
    def(d, "splitVersion", 1, |ev, a, span| {
        let s = ev.arg_str(a, 0, span)?;
        Ok(Value::list(
            version_components(&s)
                .into_iter()
                .map(|c| Thunk::ready(Value::string(c), span))
                .collect(),
        ))
    });
    def(d, "compareVersions", 2, |ev, a, span| {
        let x = ev.arg_str(a, 0, span)?;
        let y = ev.arg_str(a, 1, span)?;
        Ok(Value::Int(match compare_versions(&x, &y) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }))
    });
    def(d, "parseDrvName", 1, |ev, a, span| {
        let s = ev.arg_str(a, 0, span)?;
        let (name, version) = parse_drv_name(&s);
        let mut attrs = Attrs::new();
        attrs.insert_value("name", Value::str(name));
        attrs.insert_value("version", Value::str(version));
        Ok(Value::attrs(attrs))
    });
    def(d, "hashString", 2, |ev, a, span| {
        let algo = ev.arg_str(a, 0, span)?;
        let s = ev.arg_str(a, 1, span)?;
        Ok(Value::string(hash_hex(&algo, s.as_bytes()).ok_or_else(|| {
            error(span, format!("unknown hash algorithm '{algo}'"))
        })?))
    });
    // What a derivation's output path stands in for while it builds: Nix's `hashPlaceholder`.
    def(d, "placeholder", 1, |ev, a, span| {
        let output = ev.arg_str(a, 0, span)?;
        Ok(Value::string(placeholder(&output)))
    });
    def(d, "baseNameOf", 1, |ev, a, span| {
        Ok(Value::string(base_name_of(&ev.arg_coerced(a, 0, span)?)))
    });
    def(d, "dirOf", 1, |ev, a, span| match ev.arg(a, 0)? {
        Value::Path(p) => Ok(Value::Path(Rc::from(dir_of(&p)))),
        other => Ok(Value::string(dir_of(&ev.to_string_value(
            &other,
            CoerceMode::PathInterpolation,
            span,
        )?))),
    });
}

fn group_value(g: Option<regex::Match<'_>>) -> Value {
    match g {
        Some(m) => Value::str(m.as_str()),
        None => Value::Null,
    }
}

/// `replaceStrings`: at each position the first pattern that matches is replaced; an empty
/// pattern matches at every position.
pub fn replace_strings(s: &str, pairs: &[(Rc<str>, Rc<str>)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut p = 0;
    while p <= s.len() {
        let mut found = false;
        for (from, to) in pairs {
            if s[p..].starts_with(&**from) {
                found = true;
                out.push_str(to);
                if from.is_empty() {
                    match s[p..].chars().next() {
                        Some(c) => {
                            out.push(c);
                            p += c.len_utf8();
                        }
                        None => p += 1,
                    }
                } else {
                    p += from.len();
                }
                break;
            }
        }
        if !found {
            match s[p..].chars().next() {
                Some(c) => {
                    out.push(c);
                    p += c.len_utf8();
                }
                None => p += 1,
            }
        }
    }
    out
}

/// The next component of a version string, as Nix's `nextComponent`.
fn next_version_component(s: &[u8], p: &mut usize) -> String {
    while *p < s.len() && (s[*p] == b'.' || s[*p] == b'-') {
        *p += 1;
    }
    let start = *p;
    if *p < s.len() && s[*p].is_ascii_digit() {
        while *p < s.len() && s[*p].is_ascii_digit() {
            *p += 1;
        }
    } else {
        while *p < s.len() && !(s[*p].is_ascii_digit() || s[*p] == b'.' || s[*p] == b'-') {
            *p += 1;
        }
    }
    String::from_utf8_lossy(&s[start..*p]).into_owned()
}

pub fn version_components(s: &str) -> Vec<String> {
    let bytes = s.as_bytes();
    let mut p = 0;
    let mut out = Vec::new();
    while p < bytes.len() {
        let c = next_version_component(bytes, &mut p);
        if c.is_empty() {
            break;
        }
        out.push(c);
    }
    out
}

fn version_component_less(c1: &str, c2: &str) -> bool {
    let n1 = c1
        .parse::<i64>()
        .ok()
        .filter(|_| !c1.is_empty() && c1.bytes().all(|b| b.is_ascii_digit()));
    let n2 = c2
        .parse::<i64>()
        .ok()
        .filter(|_| !c2.is_empty() && c2.bytes().all(|b| b.is_ascii_digit()));
    match (n1, n2) {
        (Some(a), Some(b)) => a < b,
        _ if c1.is_empty() && n2.is_some() => true,
        _ if c1 == "pre" && c2 != "pre" => true,
        _ if c2 == "pre" => false,
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => c1 < c2,
    }
}

pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut p, mut q) = (0, 0);
    while p < a.len() || q < b.len() {
        let c1 = next_version_component(a, &mut p);
        let c2 = next_version_component(b, &mut q);
        if version_component_less(&c1, &c2) {
            return Ordering::Less;
        }
        if version_component_less(&c2, &c1) {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

/// Name and version: the version starts after the first `-` not followed by a letter.
pub fn parse_drv_name(s: &str) -> (&str, &str) {
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'-' && bytes.get(i + 1).is_some_and(|c| !c.is_ascii_alphabetic()) {
            return (&s[..i], &s[i + 1..]);
        }
    }
    (s, "")
}

pub fn base_name_of(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let bytes = path.as_bytes();
    let mut last = bytes.len() - 1;
    if bytes[last] == b'/' && last > 0 {
        last -= 1;
    }
    let start = bytes[..=last].iter().rposition(|&b| b == b'/').map_or(0, |p| p + 1);
    String::from_utf8_lossy(&bytes[start..=last]).into_owned()
}

pub fn dir_of(path: &str) -> String {
    match path.rfind('/') {
        None => ".".to_string(),
        Some(0) => "/".to_string(),
        Some(p) => path[..p].to_string(),
    }
}

/// `/` and the SHA-256 of `nix-output:<output>` in Nix's base-32, as Nix's `hashPlaceholder`.
pub(super) fn placeholder(output: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(format!("nix-output:{output}").as_bytes());
    format!("/{}", nix_base32(&hash))
}

/// Nix's base-32 (its own alphabet, read from the hash's last bits first), as `printHash32`.
fn nix_base32(hash: &[u8]) -> String {
    const CHARS: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";
    let len = (hash.len() * 8 - 1) / 5 + 1;
    (0..len)
        .rev()
        .map(|n| {
            let (i, j) = (n * 5 / 8, n * 5 % 8);
            let low = hash[i] >> j;
            let high = if i + 1 < hash.len() {
                (u16::from(hash[i + 1]) << (8 - j)) as u8
            } else {
                0
            };
            char::from(CHARS[usize::from((low | high) & 0x1f)])
        })
        .collect()
}

pub(super) fn hash_hex(algo: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest;
    let bytes: Vec<u8> = match algo {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        "sha256" => sha2::Sha256::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    };
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_nix_s() {
        // As `nix-instantiate --eval -E 'builtins.placeholder "out"'` prints them (Nix 2.8).
        assert_eq!(
            placeholder("out"),
            "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"
        );
        assert_eq!(
            placeholder("dev"),
            "/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz"
        );
    }

    #[test]
    fn versions_compare_as_nix() {
        assert_eq!(compare_versions("1.0", "2.3"), Ordering::Less);
        assert_eq!(compare_versions("2.1", "2.3"), Ordering::Less);
        assert_eq!(compare_versions("2.3", "2.3"), Ordering::Equal);
        assert_eq!(compare_versions("2.5", "2.3"), Ordering::Greater);
        assert_eq!(compare_versions("3.1", "2.3"), Ordering::Greater);
        assert_eq!(compare_versions("2.3.1", "2.3"), Ordering::Greater);
        assert_eq!(compare_versions("2.3.1", "2.3a"), Ordering::Greater);
        assert_eq!(compare_versions("2.3pre1", "2.3"), Ordering::Less);
        assert_eq!(compare_versions("2.3pre3", "2.3pre12"), Ordering::Less);
        assert_eq!(compare_versions("2.3a", "2.3c"), Ordering::Less);
        assert_eq!(compare_versions("2.3pre1", "2.3c"), Ordering::Less);
        assert_eq!(compare_versions("2.3pre1", "2.3q"), Ordering::Less);
    }

    #[test]
    fn replace_strings_as_nix() {
        let pairs = vec![(Rc::from(""), Rc::from("X"))];
        assert_eq!(replace_strings("ab", &pairs), "XaXbX");
        let pairs = vec![(Rc::from("oo"), Rc::from("u")), (Rc::from("o"), Rc::from("0"))];
        assert_eq!(replace_strings("fooo", &pairs), "fu0");
    }

    #[test]
    fn names_and_dirs() {
        assert_eq!(base_name_of("/a/b/"), "b");
        assert_eq!(dir_of("/a"), "/");
        assert_eq!(dir_of("a"), ".");
        assert_eq!(parse_drv_name("nix-0.12pre12876"), ("nix", "0.12pre12876"));
        assert_eq!(parse_drv_name("a-b-c"), ("a-b-c", ""));
    }
}
