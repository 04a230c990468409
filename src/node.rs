//! Definition trees: what both frontends hand to the module stage.
//!
//! A [`Node`] is a fully evaluated value (JSON-like, plus Nix paths and opaque values such as
//! functions) where every node remembers the span of the text that defined it. Property
//! markers (`mkIf`, `mkForce`, …) are plain attrsets with `_type`, exactly as
//! `nix eval --json` prints them; the module stage gives them their meaning.

use crate::source::Span;
use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A Nix path value (absolute after evaluation).
    Path(String),
    List(Vec<Node>),
    Attrs(Attrs),
    /// A value that has no JSON form (a function, …); the text says what it is.
    Opaque(&'static str),
}

/// Attribute set entries sorted by key (Nix's order), each with the span of its key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs {
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Nix's order of attribute names (`str`'s, byte by byte), compared in place: names are
/// short and most differ in their first bytes, where a call to `memcmp` per comparison (what
/// `str::cmp` makes) costs more than the comparison itself. Sets are searched by it often.
/// Eight bytes are compared at a time, read big-endian so that the integers' order is the
/// bytes' order.
#[inline]
pub fn cmp_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = a.len().min(b.len());
    let (mut a8, mut b8) = (a[..common].chunks_exact(8), b[..common].chunks_exact(8));
    for (x, y) in (&mut a8).zip(&mut b8) {
        let x = u64::from_be_bytes(x.try_into().unwrap_or_default());
        let y = u64::from_be_bytes(y.try_into().unwrap_or_default());
        if x != y {
            return x.cmp(&y);
        }
    }
    for (x, y) in a8.remainder().iter().zip(b8.remainder()) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

impl Attrs {
    pub fn new() -> Attrs {
        Attrs::default()
    }

    /// Build from entries in any order; a later entry with the same key replaces the earlier.
    pub fn from_entries(mut entries: Vec<Entry>) -> Attrs {
        entries.sort_by(|a, b| cmp_names(&a.key, &b.key));
        entries.dedup_by(|later, earlier| {
            if later.key == earlier.key {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        Attrs { entries }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        // A search that stops at the name (`binary_search_by` goes on to the last step).
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let e = &self.entries[mid];
            match cmp_names(&e.key, key) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return Some(e),
            }
        }
        None
    }

    /// The `_type` attribute (of a property marker or typed value), found without a search
    /// in the common case: keys are sorted, and most sort after `_type`.
    pub fn type_attr(&self) -> Option<&Node> {
        match self.entries.first() {
            Some(first) if first.key.as_str() <= "_type" => self.get("_type"),
            _ => None,
        }
    }

    /// Insert or replace, keeping the order.
    pub fn insert(&mut self, entry: Entry) {
        match self.entries.binary_search_by(|e| cmp_names(&e.key, &entry.key)) {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Node {
    pub fn new(span: Span, kind: Kind) -> Node {
        Node { span, kind }
    }

    pub fn str(span: Span, s: impl Into<String>) -> Node {
        Node::new(span, Kind::Str(s.into()))
    }

    pub fn attrs(&self) -> Option<&Attrs> {
        match &self.kind {
            Kind::Attrs(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) | Kind::Path(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::List(l) => Some(l),
            _ => None,
        }
    }

    /// The `_type` of a property marker or typed value, if this is an attrset that has one.
    pub fn type_tag(&self) -> Option<&str> {
        self.attrs()?.type_attr()?.as_str()
    }

    /// What kind of value this is, as Nix's `builtins.typeOf` names it (for messages).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Int(_) => "int",
            Kind::Float(_) => "float",
            Kind::Str(_) => "string",
            Kind::Path(_) => "path",
            Kind::List(_) => "list",
            Kind::Attrs(_) => "set",
            Kind::Opaque(what) => what,
        }
    }

    /// Structural equality that ignores spans (what Nix's `==` compares).
    pub fn same_value(&self, other: &Node) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Null, Kind::Null) => true,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Int(a), Kind::Int(b)) => a == b,
            (Kind::Float(a), Kind::Float(b)) => a == b,
            (Kind::Int(a), Kind::Float(b)) | (Kind::Float(b), Kind::Int(a)) => (*a as f64) == *b,
            (Kind::Str(a), Kind::Str(b)) | (Kind::Path(a), Kind::Path(b)) => a == b,
            (Kind::List(a), Kind::List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y)),
            (Kind::Attrs(a), Kind::Attrs(b)) => {
                a.len() == b.len()
                    && a.entries
                        .iter()
                        .zip(&b.entries)
                        .all(|(x, y)| x.key == y.key && x.value.same_value(&y.value))
            }
            _ => false,
        }
    }

    /// A tree of a JSON value, every span [`Span::BUILTIN`] (keys in serde_json's order): for
    /// values made by the program, and for tests of the stages below the JSON frontend, which
    /// keeps the spans of a text.
    pub fn from_json(v: serde_json::Value) -> Node {
        use serde_json::Value as J;
        let kind = match v {
            J::Null => Kind::Null,
            J::Bool(b) => Kind::Bool(b),
            J::Number(n) => n
                .as_i64()
                .map_or_else(|| Kind::Float(n.as_f64().unwrap_or(0.0)), Kind::Int),
            J::String(s) => Kind::Str(s),
            J::Array(items) => Kind::List(items.into_iter().map(Node::from_json).collect()),
            J::Object(map) => Kind::Attrs(Attrs::from_entries(
                map.into_iter()
                    .map(|(key, v)| Entry {
                        key,
                        key_span: Span::BUILTIN,
                        value: Node::from_json(v),
                    })
                    .collect(),
            )),
        };
        Node::new(Span::BUILTIN, kind)
    }

    /// The value as JSON (paths as their string; opaque values as null: callers check first;
    /// a set with an `outPath`, a derivation, as that value, as Nix prints it).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Null | Kind::Opaque(_) => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Int(i) => J::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Kind::Str(s) | Kind::Path(s) => J::String(s.clone()),
            Kind::List(l) => J::Array(l.iter().map(Node::to_json).collect()),
            Kind::Attrs(a) => match a.get("outPath") {
                Some(p) => p.to_json(),
                None => J::Object(a.entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect()),
            },
        }
    }
}

/// Nix-like rendering of a value for messages (short; long values are cut).
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        show(self, &mut s, 0);
        if s.chars().count() > 120 {
            s = s.chars().take(117).collect::<String>() + "...";
        }
        f.write_str(&s)
    }
}

fn show(n: &Node, out: &mut String, depth: usize) {
    if depth > 3 {
        out.push_str("...");
        return;
    }
    match &n.kind {
        Kind::Null => out.push_str("null"),
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Int(i) => out.push_str(&i.to_string()),
        Kind::Float(x) => out.push_str(&x.to_string()),
        Kind::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Kind::Path(p) => out.push_str(p),
        Kind::Opaque(w) => {
            out.push('«');
            out.push_str(w);
            out.push('»')
        }
        Kind::List(l) => {
            out.push_str("[ ");
            for x in l {
                show(x, out, depth + 1);
                out.push(' ');
            }
            out.push(']');
        }
        Kind::Attrs(a) => {
            out.push_str("{ ");
            for e in &a.entries {
                out.push_str(&e.key);
                out.push_str(" = ");
                show(&e.value, out, depth + 1);
                out.push_str("; ");
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cmp_names;

    #[test]
    fn names_compare_as_str_does() {
        let names = [
            "",
            "a",
            "ab",
            "b",
            "_type",
            "Z",
            "after",
            "afterx",
            "é",
            "e",
            "restartIfChanged",
            "reloadIfChanged",
        ];
        for a in names {
            for b in names {
                assert_eq!(cmp_names(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
