//! `mergeModules'`'s regrouping: the declarations (`options`) or definitions (`config`) of
//! every module, by attribute name, as nixpkgs' `byName` gives them (`zipAttrsWith` over each
//! module's attributes, in module order), and the definitions `mergeModules` starts from.

use super::properties::push_down;
use super::shared::canonical;
use super::{lazy_select, record};
use crate::eval::error::{EvalError, EvalResult};
use crate::eval::evaluator::Evaluator;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What `byName` collects under each name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ByName {
    /// `declsByName`: `{ _file, options }` of each module declaring the name.
    Declarations,
    /// `defnsByName`: `{ file, config }` of each definition, its properties pushed down.
    Definitions,
    /// `defnsByName'`: `{ file, value }` of each definition as written.
    RawDefinitions,
}

/// `byName attr f modules` for one of the three uses, `prefix` the option path (for the
/// message when a module's subtree is no attrset).
pub fn by_name(ev: &Evaluator, kind: ByName, prefix: &Thunk, modules: &Value, span: Span) -> EvalResult<Value> {
    let (attr, file) = match kind {
        ByName::Declarations => ("options", "_file"),
        ByName::Definitions | ByName::RawDefinitions => ("config", "file"),
    };
    let mut grouped: BTreeMap<Rc<str>, Vec<(Thunk, Thunk)>> = BTreeMap::new();
    for module in ev.expect_list(modules.clone(), span)?.iter() {
        let subtree = ev.force(&lazy_select(module, attr, span))?;
        let Value::Attrs(subtree) = subtree else {
            return Err(not_attrs(ev, &subtree, prefix, span)?);
        };
        let file = lazy_select(module, file, span);
        for (name, a) in &subtree.map {
            // A declaration that every entry of a submodule makes alike is built once.
            let value = match kind {
                ByName::Declarations => canonical(&a.value),
                ByName::Definitions | ByName::RawDefinitions => a.value.clone(),
            };
            grouped.entry(name.clone()).or_default().push((file.clone(), value));
        }
    }
    let mut out = Attrs::new();
    for (name, entries) in grouped {
        let value = match kind {
            ByName::Declarations | ByName::RawDefinitions => {
                let field = if kind == ByName::Declarations {
                    "options"
                } else {
                    "value"
                };
                let (file_field, records) = (if kind == ByName::Declarations { "_file" } else { "file" }, &entries);
                let list = records
                    .iter()
                    .map(|(f, v)| Thunk::ready(record(&[(file_field, f.clone()), (field, v.clone())]), span))
                    .collect();
                Thunk::ready(Value::list(list), span)
            }
            ByName::Definitions => Thunk::native(span, move |ev| {
                let mut list = Vec::new();
                for (f, v) in &entries {
                    let mut pushed = Vec::new();
                    push_down(ev, v, span, &mut pushed)?;
                    list.extend(
                        pushed
                            .into_iter()
                            .map(|c| Thunk::ready(record(&[("config", c), ("file", f.clone())]), span)),
                    );
                }
                Ok(Value::list(list))
            }),
        };
        out.insert(name, value, span);
    }
    Ok(Value::attrs(out))
}

/// nixpkgs' message for a module whose `options` or `config` at `prefix` is no attrset.
fn not_attrs(ev: &Evaluator, subtree: &Value, prefix: &Thunk, span: Span) -> EvalResult<Box<EvalError>> {
    let mut parts = Vec::new();
    for p in ev.expect_list(ev.force(prefix)?, span)?.iter() {
        parts.push(ev.expect_string(ev.force(p)?, span)?.to_string());
    }
    let p = parts.join(".");
    Ok(super::definitions::throw(format!(
        "You're trying to declare a value of type `{}'\nrather than an attribute-set for the option\n`{p}'!\n\nThis usually happens if `{p}' has option\ndefinitions inside that are not matched. Please check how to properly define\nthis option by e.g. referring to `man 5 configuration.nix'!\n",
        subtree.type_name()
    )))
}

/// `mergeModules`' definitions: `{ file = m._file; config; }` for each of a module's
/// `config`s once its properties are pushed down, module by module.
pub fn configs_of(ev: &Evaluator, modules: &Value, span: Span) -> EvalResult<Value> {
    let mut list = Vec::new();
    for m in ev.expect_list(modules.clone(), span)?.iter() {
        let mut pushed = Vec::new();
        push_down(ev, &lazy_select(m, "config", span), span, &mut pushed)?;
        let file = lazy_select(m, "_file", span);
        list.extend(
            pushed
                .into_iter()
                .map(|c| Thunk::ready(record(&[("config", c), ("file", file.clone())]), span)),
        );
    }
    Ok(Value::list(list))
}
