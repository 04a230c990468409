//! `builtins.toXML`: a value as the XML Nix 2.8 writes (`printValueAsXML`, strict and without
//! source positions), the same document `nix-instantiate --eval --xml` prints.

use super::c_string;
use crate::eval::coerce::format_float_g;
use crate::eval::error::EvalResult;
use crate::eval::evaluator::Evaluator;
use crate::eval::ir::Param;
use crate::eval::value::{Attrs, Closure, Value};
use crate::source::Span;
use std::collections::HashSet;

/// Nix's `XMLWriter` with indentation: one element per line, two spaces per open element.
struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    fn new() -> XmlWriter {
        XmlWriter {
            out: "<?xml version='1.0' encoding='utf-8'?>\n".to_string(),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        push_xml_attrs(attrs, &mut self.out);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        push_xml_attrs(attrs, &mut self.out);
        self.out.push_str(" />\n");
    }
}

/// ` name="value"` for each attribute, sorted by name (Nix keeps them in a `std::map`).
fn push_xml_attrs(attrs: &[(&str, &str)], out: &mut String) {
    let mut sorted = attrs.to_vec();
    sorted.sort_by_key(|&(name, _)| name);
    for (name, value) in sorted {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        push_escaped_attr_value(value, out);
        out.push('"');
    }
}

/// Nix 2.8 escapes `"`, `<`, `>`, `&` and the line feed (which XML would otherwise normalise
/// to a space), and nothing else: not `'`, tabs, carriage returns or other control characters.
fn push_escaped_attr_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("&#xA;"),
            c => out.push(c),
        }
    }
}

impl Evaluator {
    /// The XML document of `v`, forcing it completely.
    pub(crate) fn to_xml(&self, v: &Value, span: Span) -> EvalResult<String> {
        let mut doc = XmlWriter::new();
        doc.open("expr", &[]);
        // Each derivation's attributes are written once; later occurrences are `<repeated />`.
        let mut derivations_seen = HashSet::new();
        self.write_xml(v, span, &mut doc, &mut derivations_seen)?;
        doc.close();
        Ok(doc.out)
    }

    fn write_xml(&self, v: &Value, span: Span, doc: &mut XmlWriter, seen: &mut HashSet<String>) -> EvalResult<()> {
        let _guard = self.enter(span)?;
        match v {
            Value::Int(i) => doc.empty("int", &[("value", &i.to_string())]),
            Value::Float(x) => doc.empty("float", &[("value", &format_float_g(*x))]),
            Value::Bool(b) => doc.empty("bool", &[("value", if *b { "true" } else { "false" })]),
            Value::Str(s) => doc.empty("string", &[("value", c_string(s))]),
            Value::Path(p) => doc.empty("path", &[("value", p)]),
            Value::Null => doc.empty("null", &[]),
            Value::Attrs(attrs) if self.is_derivation(attrs)? => self.write_derivation_xml(attrs, doc, seen)?,
            Value::Attrs(attrs) => {
                doc.open("attrs", &[]);
                self.write_attrs_xml(attrs, doc, seen)?;
                doc.close();
            }
            Value::List(items) => {
                doc.open("list", &[]);
                for item in items.iter() {
                    let x = self.force(item)?;
                    self.write_xml(&x, item.span(), doc, seen)?;
                }
                doc.close();
            }
            Value::Lambda(closure) => write_function_xml(closure, doc),
            // Nix 2.8 does not serialise builtins (a FIXME in `printValueAsXML`).
            Value::PrimOp(_) => doc.empty("unevaluated", &[]),
        }
        Ok(())
    }

    /// `<attr name="…">` and the value, for every attribute in name order.
    fn write_attrs_xml(&self, attrs: &Attrs, doc: &mut XmlWriter, seen: &mut HashSet<String>) -> EvalResult<()> {
        for (name, attr) in &attrs.map {
            doc.open("attr", &[("name", name)]);
            let x = self.force(&attr.value)?;
            self.write_xml(&x, attr.value.span(), doc, seen)?;
            doc.close();
        }
        Ok(())
    }

    /// A set whose `type` is the string `"derivation"` (Nix's `isDerivation`).
    pub fn is_derivation(&self, attrs: &Attrs) -> EvalResult<bool> {
        let Some(ty) = attrs.get("type") else {
            return Ok(false);
        };
        Ok(matches!(self.force(ty)?, Value::Str(s) if c_string(&s) == "derivation"))
    }

    /// `<derivation drvPath=… outPath=…>` (each only where it is a string), with the attributes
    /// the first time its `drvPath` is seen. Without a (non-empty) `drvPath`, which is all a
    /// derivation can have here without a store, Nix writes `<repeated />` even the first time.
    fn write_derivation_xml(&self, attrs: &Attrs, doc: &mut XmlWriter, seen: &mut HashSet<String>) -> EvalResult<()> {
        let drv_path = self.string_attr(attrs, "drvPath")?;
        let out_path = self.string_attr(attrs, "outPath")?;
        let mut xml_attrs = Vec::new();
        if let Some(p) = &drv_path {
            xml_attrs.push(("drvPath", p.as_str()));
        }
        if let Some(p) = &out_path {
            xml_attrs.push(("outPath", p.as_str()));
        }
        doc.open("derivation", &xml_attrs);
        let first_time = drv_path.is_some_and(|p| !p.is_empty() && seen.insert(p));
        if first_time {
            self.write_attrs_xml(attrs, doc, seen)?;
        } else {
            doc.empty("repeated", &[]);
        }
        doc.close();
        Ok(())
    }

    /// The attribute `name` if it is a string (as a C string, like Nix reads it).
    fn string_attr(&self, attrs: &Attrs, name: &str) -> EvalResult<Option<String>> {
        let Some(t) = attrs.get(name) else {
            return Ok(None);
        };
        Ok(match self.force(t)? {
            Value::Str(s) => Some(c_string(&s).to_string()),
            _ => None,
        })
    }
}

/// `<function>` with `<varpat name=…/>` for `x: …`, or `<attrspat>` listing the formals in name
/// order (defaults are not shown) for `{ a, b ? 1, ... } @ args: …`.
fn write_function_xml(closure: &Closure, doc: &mut XmlWriter) {
    doc.open("function", &[]);
    match &closure.def.param {
        Param::Ident(name) => doc.empty("varpat", &[("name", name)]),
        Param::Pattern {
            entries,
            ellipsis,
            bind,
        } => {
            let mut attrs = Vec::new();
            if let Some(name) = bind {
                attrs.push(("name", &**name));
            }
            if *ellipsis {
                attrs.push(("ellipsis", "1"));
            }
            doc.open("attrspat", &attrs);
            let mut names: Vec<&str> = entries.iter().map(|e| &*e.name).collect();
            names.sort_unstable();
            for name in names {
                doc.empty("attr", &[("name", name)]);
            }
            doc.close();
        }
    }
    doc.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_escape_as_nix_2_8() {
        let mut out = String::new();
        push_escaped_attr_value("<a href=\"x\">&'\n\t\r\u{1}", &mut out);
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&amp;'&#xA;\t\r\u{1}");
    }

    #[test]
    fn elements_indent_by_depth_and_attributes_sort() {
        let mut doc = XmlWriter::new();
        doc.open("expr", &[]);
        doc.open("attrspat", &[("name", "args"), ("ellipsis", "1")]);
        doc.empty("attr", &[("name", "x")]);
        doc.close();
        doc.open("list", &[]);
        doc.close();
        doc.close();
        assert_eq!(
            doc.out,
            "<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrspat ellipsis=\"1\" name=\"args\">\n    <attr name=\"x\" />\n  </attrspat>\n  <list>\n  </list>\n</expr>\n"
        );
    }
}
