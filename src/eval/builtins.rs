//! The pure builtins, with Nix 2.8's results.

use super::coerce::CoerceMode;
use super::ir::BinOp;
use super::search_path::SearchPathEntry;
use super::value::{Attr, AttrMap, Attrs, Thunk, Value};
use super::{ErrorKind, EvalResult, Evaluator, error, error_of};
use crate::diagnostic::Code;
use crate::source::Span;
use std::cmp::Ordering;
use std::rc::Rc;

type Defs = Vec<(&'static str, Value)>;

/// Names of the base environment that are not reached through `builtins` only: exactly the
/// ones Nix 2.8 binds at the top level (each of the others is there only as `__name`).
const GLOBAL_NAMES: &[&str] = &[
    "abort",
    "baseNameOf",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

/// The base environment (`builtins`, `true`, `map`, `__add`, …) and the `builtins` set;
/// `search_path` is what `builtins.nixPath` lists.
pub fn base_environment(search_path: &[SearchPathEntry]) -> (rustc_hash::FxHashMap<Rc<str>, Value>, Value) {
    let mut defs = definitions();
    defs.push(("nixPath", nix_path_value(search_path)));
    let mut attrs = Attrs::new();
    for (name, value) in &defs {
        attrs.insert_value(name, value.clone());
    }
    // `builtins.builtins` is `builtins` itself: a native thunk that reads it back.
    attrs.insert(
        Rc::from("builtins"),
        Thunk::native(Span::BUILTIN, |ev| Ok(ev.builtins_value())),
        Span::BUILTIN,
    );
    let builtins = Value::attrs(attrs);
    let mut globals: rustc_hash::FxHashMap<Rc<str>, Value> = Default::default();
    for (name, value) in &defs {
        if GLOBAL_NAMES.contains(name) || matches!(*name, "true" | "false" | "null") {
            globals.insert(Rc::from(*name), value.clone());
        } else {
            globals.insert(Rc::from(format!("__{name}")), value.clone());
        }
    }
    globals.insert(Rc::from("builtins"), builtins.clone());
    (globals, builtins)
}

fn def(
    defs: &mut Defs,
    name: &'static str,
    arity: usize,
    f: impl Fn(&Evaluator, &[Thunk], Span) -> EvalResult<Value> + 'static,
) {
    defs.push((name, Value::primop(name, arity, f)));
}

/// `builtins.nixPath`: `[ { prefix; path; } … ]`, as Nix 2.8 lists its search path.
fn nix_path_value(entries: &[SearchPathEntry]) -> Value {
    let items = entries
        .iter()
        .map(|e| {
            let mut attrs = Attrs::new();
            attrs.insert_value("path", Value::str(&e.path));
            attrs.insert_value("prefix", Value::str(&e.prefix));
            Thunk::ready(Value::attrs(attrs), Span::BUILTIN)
        })
        .collect();
    Value::list(items)
}

fn unsupported(defs: &mut Defs, name: &'static str, arity: usize) {
    def(defs, name, arity, move |_, _, span| {
        Err(error(
            span,
            format!("builtins.{name} is not supported: netns-compile evaluates without a Nix store"),
        ))
    });
}

impl Evaluator {
    fn arg(&self, args: &[Thunk], i: usize) -> EvalResult<Value> {
        match args.get(i) {
            Some(t) => self.force(t),
            None => Err(error(Span::BUILTIN, "internal error: missing builtin argument")),
        }
    }
    fn arg_int(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<i64> {
        let v = self.arg(args, i)?;
        self.expect_int(v, span)
    }
    fn arg_str(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<str>> {
        let v = self.arg(args, i)?;
        self.expect_string(v, span)
    }
    /// A string argument that Nix coerces (paths and sets with `__toString` too).
    fn arg_coerced(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<String> {
        let v = self.arg(args, i)?;
        self.to_string_value(&v, CoerceMode::PathInterpolation, span)
    }
    fn arg_list(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<[Thunk]>> {
        let v = self.arg(args, i)?;
        self.expect_list(v, span)
    }
    fn arg_attrs(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Rc<Attrs>> {
        let v = self.arg(args, i)?;
        self.expect_attrs(v, span, "a builtin's argument")
    }
    fn arg_fn(&self, args: &[Thunk], i: usize, span: Span) -> EvalResult<Value> {
        let v = self.arg(args, i)?;
        self.expect_function(v, span)
    }
    fn call2(&self, f: &Value, a: Thunk, b: Thunk, span: Span) -> EvalResult<Value> {
        let partial = self.call(f.clone(), a, span)?;
        self.call(partial, b, span)
    }
    fn predicate(&self, f: &Value, x: &Thunk, span: Span) -> EvalResult<bool> {
        let v = self.call(f.clone(), x.clone(), span)?;
        self.expect_bool(v, span)
    }
}

/// A lazy `f x`.
fn lazy_call(f: Value, x: Thunk, span: Span) -> Thunk {
    Thunk::native(span, move |ev| ev.call(f.clone(), x.clone(), span))
}

fn definitions() -> Defs {
    let mut d: Defs = vec![
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
        ("currentSystem", Value::str("x86_64-linux")),
        ("nixVersion", Value::str("2.8.0")),
        ("langVersion", Value::Int(6)),
        ("storeDir", Value::str("/nix/store")),
    ];
    define_control(&mut d);
    define_types(&mut d);
    define_numbers(&mut d);
    define_lists(&mut d);
    define_attrs(&mut d);
    define_strings(&mut d);
    define_files(&mut d);
    for name in [
        "derivation",
        "derivationStrict",
        "fetchGit",
        "fetchTarball",
        "fetchurl",
        "fetchMercurial",
        "fetchTree",
        "toFile",
        "storePath",
        "filterSource",
        "path",
        "placeholder",
    ] {
        let arity = match name {
            "toFile" | "filterSource" => 2,
            _ => 1,
        };
        unsupported(&mut d, name, arity);
    }
    d
}

fn define_control(d: &mut Defs) {
    def(d, "throw", 1, |ev, a, span| {
        let msg = ev.arg_coerced(a, 0, span)?;
        Err(error_of(ErrorKind::Throw, Code::NixEval, span, msg))
    });
    def(d, "abort", 1, |ev, a, span| {
        let msg = ev.arg_coerced(a, 0, span)?;
        Err(error_of(
            ErrorKind::Abort,
            Code::NixEval,
            span,
            format!("evaluation aborted with the following error message: '{msg}'"),
        ))
    });
    def(d, "seq", 2, |ev, a, _| {
        ev.arg(a, 0)?;
        ev.arg(a, 1)
    });
    def(d, "deepSeq", 2, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        ev.deep_force(&v, span)?;
        ev.arg(a, 1)
    });
    def(d, "trace", 2, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let shown = match &v {
            Value::Str(s) => s.to_string(),
            other => {
                let mut out = String::new();
                match ev
                    .deep_force(other, span)
                    .and_then(|_| ev.print_json(other, &mut out, span))
                {
                    Ok(()) => out,
                    Err(_) => format!("{other:?}"),
                }
            }
        };
        // `trace` is a side effect the user asked for: it goes to stderr, as in Nix.
        eprintln!("trace: {shown}");
        ev.arg(a, 1)
    });
    def(d, "tryEval", 1, |ev, a, span| {
        let mut attrs = Attrs::new();
        match ev.arg(a, 0) {
            Ok(v) => {
                attrs.insert_value("success", Value::Bool(true));
                attrs.insert(Rc::from("value"), Thunk::ready(v, span), span);
            }
            Err(e) if matches!(e.kind, ErrorKind::Throw | ErrorKind::AssertionFailed) => {
                attrs.insert_value("success", Value::Bool(false));
                attrs.insert_value("value", Value::Bool(false));
            }
            Err(e) => return Err(e),
        }
        Ok(Value::attrs(attrs))
    });
    // The context is read only when an error passes through (as Nix does), and becomes a
    // note of its diagnostic: innermost first, as Nix's trace lists them. An error reading
    // the context replaces the one passing, as in Nix.
    def(d, "addErrorContext", 2, |ev, a, span| {
        ev.arg(a, 1).or_else(|mut e| {
            let context = ev.arg(a, 0)?;
            let mut text = String::new();
            ev.coerce_to_string(&context, CoerceMode::PathInterpolation, span, &mut text)?;
            e.diagnostic.notes.push(text);
            Err(e)
        })
    });
    def(d, "unsafeDiscardStringContext", 1, |ev, a, _| ev.arg(a, 0));
    def(d, "unsafeDiscardOutputDependency", 1, |ev, a, _| ev.arg(a, 0));
    def(d, "hasContext", 1, |_, _, _| Ok(Value::Bool(false)));
    // Strings carry no context here (see `hasContext`), so the context given is checked to be
    // an attrset and otherwise dropped.
    def(d, "appendContext", 2, |ev, a, span| {
        let s = ev.arg_str(a, 0, span)?;
        ev.arg_attrs(a, 1, span)?;
        Ok(Value::string(s.to_string()))
    });
    def(d, "getContext", 1, |_, _, _| Ok(Value::attrs(Attrs::new())));
    def(d, "getEnv", 1, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        Ok(Value::string(ev.io().env_var(&name).unwrap_or_default()))
    });
    def(d, "import", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let path = ev.path_argument(&v, span)?;
        let thunk = ev.load_file(std::path::Path::new(&path), span)?;
        ev.force(&thunk)
    });
    // The path is looked at first, then the scope (as Nix 2.8 does).
    def(d, "scopedImport", 2, |ev, a, span| {
        let v = ev.arg(a, 1)?;
        let path = ev.path_argument(&v, span)?;
        let scope = ev.arg(a, 0)?;
        let scope = ev.expect_attrs(scope, span, "the scope of 'scopedImport'")?;
        ev.scoped_import(std::path::Path::new(&path), &scope, span)
    });
    def(d, "genericClosure", 1, |ev, a, span| {
        let args = ev.arg_attrs(a, 0, span)?;
        let start = args
            .get("startSet")
            .cloned()
            .ok_or_else(|| error(span, "attribute 'startSet' required"))?;
        let operator = args
            .get("operator")
            .cloned()
            .ok_or_else(|| error(span, "attribute 'operator' required"))?;
        let operator = ev.force(&operator)?;
        let start = ev.force(&start)?;
        let mut work: std::collections::VecDeque<Thunk> = ev.expect_list(start, span)?.iter().cloned().collect();
        let mut seen: Vec<Value> = Vec::new();
        let mut result = Vec::new();
        while let Some(item) = work.pop_front() {
            let v = ev.force(&item)?;
            let attrs = ev.expect_attrs(v, span, "an element of genericClosure")?;
            let key = attrs
                .get("key")
                .cloned()
                .ok_or_else(|| error(span, "attribute 'key' required"))?;
            let key = ev.force(&key)?;
            let mut known = false;
            for k in &seen {
                if ev.compare(k, &key, span)? == Ordering::Equal && ev.values_equal(k, &key, span)? {
                    known = true;
                    break;
                }
            }
            if known {
                continue;
            }
            seen.push(key);
            result.push(item.clone());
            let next = ev.call(operator.clone(), item, span)?;
            work.extend(ev.expect_list(next, span)?.iter().cloned());
        }
        Ok(Value::list(result))
    });
}

fn define_types(d: &mut Defs) {
    def(d, "typeOf", 1, |ev, a, _| Ok(Value::str(ev.arg(a, 0)?.type_name())));
    for (name, ty) in [
        ("isAttrs", "set"),
        ("isBool", "bool"),
        ("isFloat", "float"),
        ("isFunction", "lambda"),
        ("isInt", "int"),
        ("isList", "list"),
        ("isNull", "null"),
        ("isPath", "path"),
        ("isString", "string"),
    ] {
        def(d, name, 1, move |ev, a, _| {
            Ok(Value::Bool(ev.arg(a, 0)?.type_name() == ty))
        });
    }
    def(d, "functionArgs", 1, |ev, a, span| {
        let mut attrs = Attrs::new();
        match ev.arg(a, 0)? {
            Value::Lambda(c) => {
                if let super::ir::Param::Pattern { entries, .. } = &c.def.param {
                    for e in entries {
                        attrs.insert(
                            e.name.clone(),
                            Thunk::ready(Value::Bool(e.default.is_some()), e.span),
                            e.span,
                        );
                    }
                }
            }
            Value::PrimOp(_) => {}
            other => {
                return Err(error(
                    span,
                    format!("'functionArgs' requires a function, got {}", other.described()),
                ));
            }
        }
        Ok(Value::attrs(attrs))
    });
    def(d, "toJSON", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let mut out = String::new();
        ev.print_json(&v, &mut out, span)?;
        Ok(Value::string(out))
    });
    def(d, "fromJSON", 1, |ev, a, span| {
        let text = ev.arg_str(a, 0, span)?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| error(span, format!("invalid JSON: {e}")))?;
        Ok(from_json(&json, span))
    });
    def(d, "toXML", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        Ok(Value::string(ev.to_xml(&v, span)?))
    });
    def(d, "fromTOML", 1, |ev, a, span| {
        let text = ev.arg_str(a, 0, span)?;
        super::formats::from_toml(&text, span)
    });
    def(d, "toString", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        Ok(Value::string(ev.to_string_value(&v, CoerceMode::ToString, span)?))
    });
}

/// A JSON value as a Nix value (integers stay integers).
pub fn from_json(json: &serde_json::Value, span: Span) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => Value::str(s),
        J::Array(items) => Value::list(items.iter().map(|x| Thunk::ready(from_json(x, span), span)).collect()),
        J::Object(map) => {
            let mut attrs = Attrs::new();
            for (k, v) in map {
                attrs.insert(Rc::from(k.as_str()), Thunk::ready(from_json(v, span), span), span);
            }
            Value::attrs(attrs)
        }
    }
}

fn define_numbers(d: &mut Defs) {
    for (name, op) in [
        ("add", BinOp::Add),
        ("sub", BinOp::Sub),
        ("mul", BinOp::Mul),
        ("div", BinOp::Div),
    ] {
        def(d, name, 2, move |ev, a, span| {
            let (x, y) = (ev.arg(a, 0)?, ev.arg(a, 1)?);
            for v in [&x, &y] {
                if !matches!(v, Value::Int(_) | Value::Float(_)) {
                    return Err(error(
                        span,
                        format!("value is {} while a number was expected", v.described()),
                    ));
                }
            }
            ev.arith(op, x, y, span)
        });
    }
    def(d, "lessThan", 2, |ev, a, span| {
        let (x, y) = (ev.arg(a, 0)?, ev.arg(a, 1)?);
        Ok(Value::Bool(ev.compare(&x, &y, span)? == Ordering::Less))
    });
    type IntOp = fn(i64, i64) -> i64;
    let ops: [(&str, IntOp); 3] = [
        ("bitAnd", |x, y| x & y),
        ("bitOr", |x, y| x | y),
        ("bitXor", |x, y| x ^ y),
    ];
    for (name, f) in ops {
        def(d, name, 2, move |ev, a, span| {
            Ok(Value::Int(f(ev.arg_int(a, 0, span)?, ev.arg_int(a, 1, span)?)))
        });
    }
    for (name, f) in [("ceil", f64::ceil as fn(f64) -> f64), ("floor", f64::floor)] {
        def(d, name, 1, move |ev, a, span| match ev.arg(a, 0)? {
            Value::Int(i) => Ok(Value::Int(i)),
            Value::Float(x) => Ok(Value::Int(f(x) as i64)),
            other => Err(error(
                span,
                format!("value is {} while a float was expected", other.described()),
            )),
        });
    }
}

fn define_lists(d: &mut Defs) {
    def(d, "length", 1, |ev, a, span| {
        Ok(Value::Int(ev.arg_list(a, 0, span)?.len() as i64))
    });
    def(d, "head", 1, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        match l.first() {
            Some(t) => ev.force(t),
            None => Err(error(span, "list index 0 is out of bounds")),
        }
    });
    def(d, "tail", 1, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        if l.is_empty() {
            return Err(error(span, "'tail' called on an empty list"));
        }
        Ok(Value::List(l[1..].iter().cloned().collect()))
    });
    def(d, "elemAt", 2, |ev, a, span| {
        let l = ev.arg_list(a, 0, span)?;
        let n = ev.arg_int(a, 1, span)?;
        match usize::try_from(n).ok().and_then(|i| l.get(i)) {
            Some(t) => ev.force(t),
            None => Err(error(span, format!("list index {n} is out of bounds"))),
        }
    });
    def(d, "elem", 2, |ev, a, span| {
        let x = ev.arg(a, 0)?;
        for item in ev.arg_list(a, 1, span)?.iter() {
            if ev.values_equal(&x, &ev.force(item)?, span)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(d, "map", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let l = ev.arg_list(a, 1, span)?;
        Ok(Value::list(
            l.iter().map(|x| lazy_call(f.clone(), x.clone(), span)).collect(),
        ))
    });
    def(d, "filter", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let l = ev.arg_list(a, 1, span)?;
        let mut out = Vec::new();
        for x in l.iter() {
            if ev.predicate(&f, x, span)? {
                out.push(x.clone());
            }
        }
        Ok(Value::list(out))
    });
    def(d, "foldl'", 3, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        // The initial accumulator is not forced unless it is the result (as in Nix).
        let mut acc = a
            .get(1)
            .cloned()
            .ok_or_else(|| error(span, "internal error: missing argument"))?;
        for x in ev.arg_list(a, 2, span)?.iter() {
            acc = Thunk::ready(ev.call2(&f, acc, x.clone(), span)?, span);
        }
        ev.force(&acc)
    });
    def(d, "genList", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let n = ev.arg_int(a, 1, span)?;
        if n < 0 {
            return Err(error(span, format!("cannot create list of size {n}")));
        }
        Ok(Value::list(
            (0..n)
                .map(|i| lazy_call(f.clone(), Thunk::ready(Value::Int(i), span), span))
                .collect(),
        ))
    });
    def(d, "concatLists", 1, |ev, a, span| {
        let mut out = Vec::new();
        for l in ev.arg_list(a, 0, span)?.iter() {
            let l = ev.force(l)?;
            out.extend(ev.expect_list(l, span)?.iter().cloned());
        }
        Ok(Value::list(out))
    });
    def(d, "concatMap", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let mut out = Vec::new();
        for x in ev.arg_list(a, 1, span)?.iter() {
            let l = ev.call(f.clone(), x.clone(), span)?;
            out.extend(ev.expect_list(l, span)?.iter().cloned());
        }
        Ok(Value::list(out))
    });
    def(d, "any", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        for x in ev.arg_list(a, 1, span)?.iter() {
            if ev.predicate(&f, x, span)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    def(d, "all", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        for x in ev.arg_list(a, 1, span)?.iter() {
            if !ev.predicate(&f, x, span)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    });
    def(d, "partition", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let (mut right, mut wrong) = (Vec::new(), Vec::new());
        for x in ev.arg_list(a, 1, span)?.iter() {
            if ev.predicate(&f, x, span)? {
                right.push(x.clone())
            } else {
                wrong.push(x.clone())
            }
        }
        let mut attrs = Attrs::new();
        attrs.insert_value("right", Value::list(right));
        attrs.insert_value("wrong", Value::list(wrong));
        Ok(Value::attrs(attrs))
    });
    def(d, "groupBy", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let mut groups: std::collections::BTreeMap<Rc<str>, Vec<Thunk>> = Default::default();
        for x in ev.arg_list(a, 1, span)?.iter() {
            let key = ev.call(f.clone(), x.clone(), span)?;
            let key = ev.expect_string(key, span)?;
            groups.entry(key).or_default().push(x.clone());
        }
        let mut attrs = Attrs::new();
        for (k, v) in groups {
            attrs.insert(k, Thunk::ready(Value::list(v), span), span);
        }
        Ok(Value::attrs(attrs))
    });
    def(d, "sort", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let items: Vec<Thunk> = ev.arg_list(a, 1, span)?.to_vec();
        let less =
            |x: &Thunk, y: &Thunk| -> EvalResult<bool> { ev.predicate(&ev.call(f.clone(), x.clone(), span)?, y, span) };
        Ok(Value::list(merge_sort(items, &less)?))
    });
}

/// A stable merge sort whose comparison may fail (Nix's `sort` is `std::stable_sort`).
fn merge_sort(items: Vec<Thunk>, less: &dyn Fn(&Thunk, &Thunk) -> EvalResult<bool>) -> EvalResult<Vec<Thunk>> {
    let mut runs: Vec<Vec<Thunk>> = items.into_iter().map(|x| vec![x]).collect();
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut iter = runs.into_iter();
        while let Some(left) = iter.next() {
            match iter.next() {
                Some(right) => next.push(merge(left, right, less)?),
                None => next.push(left),
            }
        }
        runs = next;
    }
    Ok(runs.pop().unwrap_or_default())
}

fn merge(
    left: Vec<Thunk>,
    right: Vec<Thunk>,
    less: &dyn Fn(&Thunk, &Thunk) -> EvalResult<bool>,
) -> EvalResult<Vec<Thunk>> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
        // Take from the right only when it is strictly smaller: equal items keep their order.
        if less(y, x)? {
            out.extend(r.next());
        } else {
            out.extend(l.next());
        }
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}

fn define_attrs(d: &mut Defs) {
    def(d, "attrNames", 1, |ev, a, span| {
        let attrs = ev.arg_attrs(a, 0, span)?;
        Ok(Value::list(
            attrs
                .map
                .keys()
                .map(|k| Thunk::ready(Value::Str(k.clone()), span))
                .collect(),
        ))
    });
    def(d, "attrValues", 1, |ev, a, span| {
        let attrs = ev.arg_attrs(a, 0, span)?;
        Ok(Value::list(attrs.map.values().map(|v| v.value.clone()).collect()))
    });
    def(d, "hasAttr", 2, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        Ok(Value::Bool(ev.arg_attrs(a, 1, span)?.get(&name).is_some()))
    });
    def(d, "getAttr", 2, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        let set = ev.arg(a, 1)?;
        let attrs = ev.expect_attrs(set.clone(), span, "the argument of getAttr")?;
        match attrs.get(&name) {
            Some(t) => ev.force(t),
            None => Err(ev.missing_attr(&set, &name, span)),
        }
    });
    def(d, "unsafeGetAttrPos", 2, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        let attrs = ev.arg_attrs(a, 1, span)?;
        match attrs.map.get(&name) {
            Some(attr) if !attr.key_span.is_builtin() => Ok(ev.position_attrs(attr.key_span)),
            _ => Ok(Value::Null),
        }
    });
    def(d, "removeAttrs", 2, |ev, a, span| {
        let attrs = ev.arg_attrs(a, 0, span)?;
        let mut names = rustc_hash::FxHashSet::default();
        for name in ev.arg_list(a, 1, span)?.iter() {
            let name = ev.force(name)?;
            names.insert(ev.expect_string(name, span)?);
        }
        let mut out = (*attrs).clone();
        // One pass, not one removal (a shift of the rest) per name.
        out.map.retain(|k, _| !names.contains(k));
        Ok(Value::attrs(out))
    });
    def(d, "listToAttrs", 1, |ev, a, span| {
        let mut entries = Vec::new();
        for item in ev.arg_list(a, 0, span)?.iter() {
            let v = ev.force(item)?;
            let pair = ev.expect_attrs(v, item.span(), "an element of listToAttrs")?;
            let name = pair
                .get("name")
                .cloned()
                .ok_or_else(|| error(item.span(), "attribute 'name' missing in listToAttrs element"))?;
            let name = ev.force(&name)?;
            let name = ev.expect_string(name, item.span())?;
            let value = pair
                .get("value")
                .cloned()
                .ok_or_else(|| error(item.span(), "attribute 'value' missing in listToAttrs element"))?;
            let key_span = pair.map.get("name").map_or(item.span(), |a| a.key_span);
            entries.push((name, Attr { value, key_span }));
        }
        // The first definition of a name wins: reversed, it is the last, which stays.
        entries.reverse();
        Ok(Value::attrs(Attrs {
            map: AttrMap::from_unsorted(entries),
            missing: None,
        }))
    });
    def(d, "mapAttrs", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let attrs = ev.arg_attrs(a, 1, span)?;
        let mut out = Attrs::new();
        for (k, attr) in &attrs.map {
            let (f, k2, v) = (f.clone(), k.clone(), attr.value.clone());
            let thunk = Thunk::native(attr.value.span(), move |ev| {
                ev.call2(&f, Thunk::ready(Value::Str(k2.clone()), span), v.clone(), span)
            });
            out.insert(k.clone(), thunk, attr.key_span);
        }
        Ok(Value::attrs(out))
    });
    def(d, "intersectAttrs", 2, |ev, a, span| {
        let e1 = ev.arg_attrs(a, 0, span)?;
        let e2 = ev.arg_attrs(a, 1, span)?;
        let mut out = Attrs::new();
        for (k, v) in &e2.map {
            if e1.map.contains_key(k) {
                out.map.insert(k.clone(), v.clone());
            }
        }
        Ok(Value::attrs(out))
    });
    def(d, "catAttrs", 2, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        let mut out = Vec::new();
        for item in ev.arg_list(a, 1, span)?.iter() {
            let v = ev.force(item)?;
            if let Some(t) = ev.expect_attrs(v, span, "an element of catAttrs")?.get(&name) {
                out.push(t.clone());
            }
        }
        Ok(Value::list(out))
    });
    def(d, "zipAttrsWith", 2, |ev, a, span| {
        let f = ev.arg_fn(a, 0, span)?;
        let mut grouped: std::collections::BTreeMap<Rc<str>, Vec<Thunk>> = Default::default();
        for item in ev.arg_list(a, 1, span)?.iter() {
            let v = ev.force(item)?;
            for (k, attr) in &ev.expect_attrs(v, span, "an element of zipAttrsWith")?.map {
                grouped.entry(k.clone()).or_default().push(attr.value.clone());
            }
        }
        let mut out = Attrs::new();
        for (k, values) in grouped {
            let (f, name) = (f.clone(), k.clone());
            let values = Thunk::ready(Value::list(values), span);
            let thunk = Thunk::native(span, move |ev| {
                ev.call2(&f, Thunk::ready(Value::Str(name.clone()), span), values.clone(), span)
            });
            out.insert(k, thunk, span);
        }
        Ok(Value::attrs(out))
    });
}

fn define_strings(d: &mut Defs) {
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
            pairs.push((
                ev.expect_string(f, span)?,
                ev.to_string_value(&t, CoerceMode::Interpolation, span)?,
            ));
        }
        let s = ev.arg_coerced(a, 2, span)?;
        Ok(Value::string(replace_strings(&s, &pairs)))
    });
    def(d, "match", 2, |ev, a, span| {
        let pattern = ev.arg_str(a, 0, span)?;
        let s = ev.arg_coerced(a, 1, span)?;
        let re = super::regex::compile_posix_anchored(&pattern)
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
        let s = ev.arg_coerced(a, 1, span)?;
        let re = super::regex::compile_posix(&pattern)
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
        let s = ev.arg_coerced(a, 0, span)?;
        Ok(Value::list(
            version_components(&s)
                .into_iter()
                .map(|c| Thunk::ready(Value::string(c), span))
                .collect(),
        ))
    });
    def(d, "compareVersions", 2, |ev, a, span| {
        let x = ev.arg_coerced(a, 0, span)?;
        let y = ev.arg_coerced(a, 1, span)?;
        Ok(Value::Int(match compare_versions(&x, &y) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }))
    });
    def(d, "parseDrvName", 1, |ev, a, span| {
        let s = ev.arg_coerced(a, 0, span)?;
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
pub fn replace_strings(s: &str, pairs: &[(Rc<str>, String)]) -> String {
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

fn hash_hex(algo: &str, data: &[u8]) -> Option<String> {
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

fn define_files(d: &mut Defs) {
    // `builtins.findFile [ { prefix; path; } … ] "nixpkgs/lib"`: what `<nixpkgs/lib>` does
    // with the search path given.
    def(d, "findFile", 2, |ev, a, span| {
        let mut entries = Vec::new();
        for item in ev.arg_list(a, 0, span)?.iter() {
            let v = ev.force(item)?;
            let attrs = ev.expect_attrs(v, item.span(), "an element of the search path")?;
            let prefix = match attrs.get("prefix") {
                Some(p) => {
                    let v = ev.force(p)?;
                    ev.expect_string(v, p.span())?.to_string()
                }
                None => String::new(),
            };
            let Some(path) = attrs.get("path") else {
                return Err(error(item.span(), "attribute 'path' missing"));
            };
            let v = ev.force(path)?;
            let mut text = String::new();
            ev.coerce_to_string(&v, CoerceMode::PathInterpolation, path.span(), &mut text)?;
            entries.push(SearchPathEntry { prefix, path: text });
        }
        let name = ev.arg_str(a, 1, span)?;
        ev.find_in(&entries, &name, span)
    });
    def(d, "toPath", 1, |ev, a, span| {
        Ok(Value::string(super::lower::canonicalize_path(
            &ev.arg_coerced(a, 0, span)?,
        )))
    });
    def(d, "pathExists", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        // `…/file/` and `…/file/.` name a directory: they exist only if it is one.
        let raw = ev.to_string_value(&v, CoerceMode::PathInterpolation, span)?;
        let must_be_dir = raw.ends_with('/') || raw.ends_with("/.");
        let path = std::path::Path::new(&p);
        // lstat, as Nix: a dangling symlink exists.
        Ok(Value::Bool(if must_be_dir {
            ev.io().is_dir(path)
        } else {
            ev.io().symlink_file_type(path).is_ok()
        }))
    });
    def(d, "hashFile", 2, |ev, a, span| {
        let algo = ev.arg_str(a, 0, span)?;
        let v = ev.arg(a, 1)?;
        let p = ev.path_argument(&v, span)?;
        let bytes = ev
            .io()
            .read_file(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read '{p}': {e}")))?;
        Ok(Value::string(hash_hex(&algo, &bytes).ok_or_else(|| {
            error(span, format!("unknown hash algorithm '{algo}'"))
        })?))
    });
    def(d, "readFile", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        let bytes = ev
            .io()
            .read_file(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read '{p}': {e}")))?;
        String::from_utf8(bytes).map(Value::string).map_err(|_| {
            error_of(
                ErrorKind::Other,
                Code::InvalidUtf8,
                span,
                format!("'{p}' is not valid UTF-8"),
            )
        })
    });
    def(d, "readDir", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        let entries = ev
            .io()
            .read_dir(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read directory '{p}': {e}")))?;
        let mut attrs = Attrs::new();
        for (name, kind) in entries {
            attrs.insert_value(&name, Value::str(kind.nix_name()));
        }
        Ok(Value::attrs(attrs))
    });
}

impl Evaluator {
    /// A path argument (`import`, `readFile`): a path value, or a string holding an absolute
    /// path.
    pub(crate) fn path_argument(&self, v: &Value, span: Span) -> EvalResult<String> {
        let s = self.to_string_value(v, CoerceMode::PathInterpolation, span)?;
        if !s.starts_with('/') {
            return Err(error(span, format!("string '{s}' doesn't represent an absolute path")));
        }
        Ok(super::lower::canonicalize_path(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let pairs = vec![(Rc::from(""), "X".to_string())];
        assert_eq!(replace_strings("ab", &pairs), "XaXbX");
        let pairs = vec![(Rc::from("oo"), "u".to_string()), (Rc::from("o"), "0".to_string())];
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
