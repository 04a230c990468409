//! Values out of the evaluator: JSON as `nix-instantiate --eval --strict --json` prints it,
//! and [`Node`] trees for the module stage.

use super::coerce::CoerceMode;
use super::error::{EvalResult, error};
use super::evaluator::Evaluator;
use super::value::Value;
use crate::nix_text::format_float_g;
use crate::node::{Attrs as NodeAttrs, Entry, Kind, Node};
use crate::source::Span;
use std::collections::HashSet;
use std::rc::Rc;

impl Evaluator {
    /// Force `v` completely (`--strict`, `deepSeq`). Each list and set is visited once, so
    /// cyclic values (`let as = { y = as; }`) terminate, as in Nix.
    pub fn deep_force(&self, v: &Value, span: Span) -> EvalResult<()> {
        self.deep_force_seen(v, span, &mut HashSet::new())
    }

    fn deep_force_seen(&self, v: &Value, span: Span, seen: &mut HashSet<usize>) -> EvalResult<()> {
        let _guard = self.enter(span)?;
        match v {
            Value::List(items) => {
                if !seen.insert(items.as_ptr() as usize) {
                    return Ok(());
                }
                for item in items.iter() {
                    let x = self.force(item)?;
                    self.deep_force_seen(&x, item.span(), seen)?;
                }
            }
            Value::Attrs(attrs) => {
                if !seen.insert(Rc::as_ptr(attrs) as usize) {
                    return Ok(());
                }
                for attr in attrs.map.values() {
                    let x = self.force(&attr.value)?;
                    self.deep_force_seen(&x, attr.value.span(), seen)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `v` as Nix 2.8's `printValue` shows it (what `builtins.trace` prints): nothing is
    /// forced, a part not evaluated yet is `<CODE>`, functions `<LAMBDA>`/`<PRIMOP>`/
    /// `<PRIMOP-APP>`, a non-empty set or list shown already `«repeated»`; strings quoted with
    /// `"`, `\\`, `\n`, `\r`, `\t` escaped, names bare, floats `%g`.
    pub fn show_value(&self, v: &Value) -> String {
        let mut out = String::new();
        show_value_into(v, &mut out, &mut HashSet::new());
        out
    }

    /// Append the JSON of `v` (Nix 2.8's printing: floats `%g`, sets with `__toString` as
    /// their string, sets with `outPath` as that value, paths as their absolute path).
    pub fn print_json(&self, v: &Value, out: &mut String, span: Span) -> EvalResult<()> {
        let _guard = self.enter(span)?;
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                // Into the output, not through a string of its own.
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            Value::Float(x) => out.push_str(&format_float_g(*x)),
            Value::Str(s) | Value::Path(s) => push_json_string(s, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let x = self.force(item)?;
                    self.print_json(&x, out, item.span())?;
                }
                out.push(']');
            }
            Value::Attrs(attrs) => {
                if attrs.get("__toString").is_some() {
                    let s = self.to_string_value(v, CoerceMode::ToString, span)?;
                    push_json_string(&s, out);
                    return Ok(());
                }
                if let Some(p) = attrs.get("outPath") {
                    let p = self.force(p)?;
                    return self.print_json(&p, out, span);
                }
                out.push('{');
                for (i, (key, attr)) in attrs.map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(key, out);
                    out.push(':');
                    let x = self.force(&attr.value)?;
                    self.print_json(&x, out, attr.value.span())?;
                }
                out.push('}');
            }
            Value::Lambda(_) | Value::PrimOp(_) => {
                return Err(error(span, "cannot convert a function to JSON"));
            }
        }
        Ok(())
    }

    /// The deep-forced value as a [`Node`] tree: every node has the span of the expression
    /// that produced it, attribute entries also the span of their key; functions are
    /// `Opaque("lambda")`; a derivation is its `type` and `outPath`.
    pub fn to_node(&self, v: &Value, span: Span) -> EvalResult<Node> {
        let _guard = self.enter(span)?;
        let kind = match v {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Int(i) => Kind::Int(*i),
            Value::Float(x) => Kind::Float(*x),
            Value::Str(s) => Kind::Str(s.to_string()),
            Value::Path(p) => Kind::Path(p.to_string()),
            Value::List(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for item in items.iter() {
                    let x = self.force(item)?;
                    nodes.push(self.to_node(&x, item.span())?);
                }
                Kind::List(nodes)
            }
            // What the stages above read of a derivation is its `type` and `outPath`: its
            // other attributes are not forced, as its outputs refer back to it without end
            // (nixpkgs' `p.out.out`), and its JSON is its `outPath` alone.
            Value::Attrs(attrs) if self.is_derivation(attrs)? => {
                let mut entries = Vec::with_capacity(2);
                for key in ["outPath", "type"] {
                    if let Some(attr) = attrs.map.get(key) {
                        let x = self.force(&attr.value)?;
                        entries.push(Entry {
                            key: key.to_string(),
                            key_span: attr.key_span,
                            value: self.to_node(&x, attr.value.span())?,
                        });
                    }
                }
                Kind::Attrs(NodeAttrs { entries })
            }
            Value::Attrs(attrs) => {
                let mut entries = Vec::with_capacity(attrs.len());
                for (key, attr) in &attrs.map {
                    let x = self.force(&attr.value)?;
                    let value = self.to_node(&x, attr.value.span())?;
                    entries.push(Entry {
                        key: key.to_string(),
                        key_span: attr.key_span,
                        value,
                    });
                }
                // Already sorted and unique: the evaluator's sets are sorted maps.
                Kind::Attrs(NodeAttrs { entries })
            }
            Value::Lambda(_) | Value::PrimOp(_) => Kind::Opaque("lambda"),
        };
        Ok(Node::new(span, kind))
    }
}

// How Nix writes a JSON string is the ground floor's (nix_text.rs): the model writes them too.
pub use crate::nix_text::push_json_string;

/// Split `a.b."c.d".0` into its components.
pub fn split_attr_path(path: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    current.push(n)
                }
            }
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if quoted {
        return Err(format!("unterminated quote in attribute path '{path}'"));
    }
    parts.push(current);
    if path.is_empty() {
        return Ok(Vec::new());
    }
    Ok(parts)
}

/// [`Evaluator::show_value`] into `out`; `seen` holds the non-empty sets and lists shown so
/// far (so a cyclic value ends). It walks only what is evaluated already.
fn show_value_into(v: &Value, out: &mut String, seen: &mut HashSet<usize>) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(x) => out.push_str(&format_float_g(*x)),
        Value::Path(p) => out.push_str(p),
        Value::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Lambda(_) => out.push_str("<LAMBDA>"),
        Value::PrimOp(app) if app.args.is_empty() => out.push_str("<PRIMOP>"),
        Value::PrimOp(_) => out.push_str("<PRIMOP-APP>"),
        Value::Attrs(attrs) => {
            if !attrs.map.is_empty() && !seen.insert(Rc::as_ptr(attrs) as usize) {
                return out.push_str("«repeated»");
            }
            out.push_str("{ ");
            for (name, attr) in attrs.map.iter() {
                out.push_str(name);
                out.push_str(" = ");
                show_thunk_into(&attr.value, out, seen);
                out.push_str("; ");
            }
            out.push('}');
        }
        Value::List(items) => {
            if !items.is_empty() && !seen.insert(items.as_ptr() as usize) {
                return out.push_str("«repeated»");
            }
            out.push_str("[ ");
            for item in items.iter() {
                show_thunk_into(item, out, seen);
                out.push(' ');
            }
            out.push(']');
        }
    }
}

fn show_thunk_into(t: &super::value::Thunk, out: &mut String, seen: &mut HashSet<usize>) {
    match t.value_if_done() {
        Some(v) => show_value_into(&v, out, seen),
        None => out.push_str("<CODE>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_paths_split_on_unquoted_dots() {
        assert_eq!(split_attr_path("a.\"b.c\".d").unwrap(), vec!["a", "b.c", "d"]);
        assert!(split_attr_path("").unwrap().is_empty());
        assert!(split_attr_path("\"a").is_err());
    }

    #[test]
    fn json_strings_escape_as_nix() {
        let mut out = String::new();
        push_json_string("a\"\\\n\u{1}é", &mut out);
        assert_eq!(out, "\"a\\\"\\\\\\n\\u0001é\"");
    }
}
