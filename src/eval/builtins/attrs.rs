//! Attribute set builtins (`attrNames`, `mapAttrs`, `listToAttrs`, …).

use super::{Defs, def};
use crate::eval::error::error;
use crate::eval::value::{Attr, AttrMap, Attrs, Thunk, Value};
use std::rc::Rc;

pub(super) fn define_attrs(d: &mut Defs) {
    def(d, "attrNames", 1, |ev, a, span| {
        let attrs = ev.arg_attrs(a, 0, span)?;
        // Of a known length: collected straight into the shared list (one allocation).
        Ok(Value::List(
            attrs
                .map
                .iter()
                .map(|(k, _)| Thunk::ready(Value::Str(k.clone()), span))
                .collect(),
        ))
    });
    def(d, "attrValues", 1, |ev, a, span| {
        let attrs = ev.arg_attrs(a, 0, span)?;
        Ok(Value::List(attrs.map.iter().map(|(_, v)| v.value.clone()).collect()))
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
