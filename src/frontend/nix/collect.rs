//! nixpkgs' `collectModules`: the modules of a configuration, by key, and the arguments a
//! module function gets.

use super::{MODULE_KEYS, Module, State, defined_values, options};
use crate::eval::{EvalResult, Evaluator, Thunk, Value, error};
use crate::source::Span;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A module waiting in the queue: its value, key, the file it is written in, and the module
/// that imported it.
struct Pending {
    thunk: Thunk,
    key: String,
    file: Rc<str>,
    parent: Option<usize>,
}

/// nixpkgs' `collectModules`: breadth-first over `imports`, each module once by key (its
/// file, its `key`, or its position for an inline one), then `disabledModules` taken out
/// with what only they import.
pub(super) fn collect_modules(ev: &Evaluator, state: &Rc<State>, entry: Thunk, entry_path: &Path) -> EvalResult<()> {
    let entry_file: Rc<str> = Rc::from(entry_path.display().to_string().as_str());
    let mut queue: std::collections::VecDeque<Pending> = std::collections::VecDeque::new();
    queue.push_back(Pending {
        thunk: entry,
        key: entry_file.to_string(),
        file: entry_file.clone(),
        parent: None,
    });
    // Each module once, by key; what it imports, by index (a module imported twice is a child
    // of both importers).
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut collected: Vec<(Module, String)> = Vec::new();
    let mut children: Vec<Vec<usize>> = Vec::new();
    let mut disabled: Vec<String> = Vec::new();
    while let Some(Pending {
        thunk,
        mut key,
        mut file,
        parent,
    }) = queue.pop_front()
    {
        let span = thunk.span();
        let mut value = ev.force(&thunk)?;
        // A path (or a string naming one) in `imports` is a file to load.
        if let Value::Path(p) | Value::Str(p) = &value {
            let path = PathBuf::from(p.as_ref());
            key = path.display().to_string();
            file = Rc::from(key.as_str());
            let loaded = ev.load_file(&path, span)?;
            value = ev.force(&loaded)?;
        }
        if value.is_function() {
            let args = module_arguments(state, &value, span)?;
            value = ev.call(value, Thunk::ready(args, span), span)?;
        }
        let Value::Attrs(attrs) = &value else {
            return Err(error(
                span,
                format!(
                    "a module must be an attribute set or a function, not {}",
                    value.described()
                ),
            ));
        };
        if let Some(k) = attrs.get("key") {
            key = string_of(ev, k, "a module's `key`")?;
        }
        if let Some(f) = attrs.get("_file") {
            file = Rc::from(string_of(ev, f, "a module's `_file`")?.as_str());
        }
        if let Some(&known) = seen.get(&key) {
            if let Some(p) = parent {
                children[p].push(known);
            }
            continue;
        }
        let index = collected.len();
        seen.insert(key.clone(), index);
        if let Some(p) = parent {
            children[p].push(index);
        }
        // nixpkgs' `unifyModuleSyntax`: with `config` or `options` every key must be a module
        // key; without them the module is shorthand — its `imports` are imports and the rest,
        // less the module keys, is its config.
        let structured = attrs.get("config").is_some() || attrs.get("options").is_some();
        if structured {
            for (name, attr) in &attrs.map {
                if !MODULE_KEYS.contains(&name.as_ref()) {
                    return Err(error(
                        attr.key_span,
                        format!(
                            "module has an unsupported attribute `{name}`: a module with `config` or `options` keeps every definition inside `config`"
                        ),
                    ));
                }
            }
        }
        if let Some(imports) = attrs.get("imports") {
            let Value::List(items) = ev.force(imports)? else {
                return Err(error(imports.span(), "`imports` must be a list"));
            };
            for (n, item) in items.iter().enumerate() {
                queue.push_back(Pending {
                    thunk: item.clone(),
                    key: format!("{key}:anon-{}", n + 1),
                    file: file.clone(),
                    parent: Some(index),
                });
            }
        }
        if let Some(list) = attrs.get("disabledModules") {
            let Value::List(items) = ev.force(list)? else {
                return Err(error(list.span(), "`disabledModules` must be a list"));
            };
            for item in items.iter() {
                disabled.push(disabled_key(ev, state, item)?);
            }
        }
        let config = if structured {
            attrs.get("config").cloned()
        } else {
            let mut rest = (**attrs).clone();
            for k in MODULE_KEYS.iter().chain(&["require"]) {
                rest.map.remove(*k);
            }
            Some(Thunk::ready(Value::attrs(rest), span))
        };
        let options = if structured {
            attrs.get("options").cloned()
        } else {
            None
        };
        collected.push((
            Module {
                config,
                options,
                span,
                file,
            },
            key,
        ));
        children.push(Vec::new());
    }
    // nixpkgs filters the import tree: a module stays when some chain of imports that passes
    // no disabled module reaches it, so a disabled module takes with it only what nothing
    // else imports.
    let is_disabled = |i: usize| disabled.contains(&collected[i].1);
    let mut kept = vec![false; collected.len()];
    let mut stack: Vec<usize> = if collected.is_empty() || is_disabled(0) {
        vec![]
    } else {
        vec![0]
    };
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut kept[i], true) {
            continue;
        }
        stack.extend(children[i].iter().copied().filter(|&c| !kept[c] && !is_disabled(c)));
    }
    let mut modules = state.modules.borrow_mut();
    for ((module, _), kept) in collected.into_iter().zip(kept) {
        if kept {
            modules.push(module);
        }
    }
    Ok(())
}

/// The key an item of `disabledModules` names (nixpkgs' `moduleKey`): a path, a file under
/// `modulesPath`, or a module's `key`.
fn disabled_key(ev: &Evaluator, state: &State, item: &Thunk) -> EvalResult<String> {
    match ev.force(item)? {
        Value::Path(p) => Ok(p.to_string()),
        Value::Str(s) if s.starts_with('/') => Ok(s.to_string()),
        Value::Str(s) => Ok(match &state.modules_path {
            Some(dir) => format!("{dir}/{s}"),
            None => s.to_string(),
        }),
        Value::Attrs(a) => match a.get("key") {
            Some(k) => string_of(ev, k, "a disabled module's `key`"),
            None => Err(error(
                item.span(),
                "a `disabledModules` item that is an attribute set needs a `key`",
            )),
        },
        other => Err(error(
            item.span(),
            format!(
                "a `disabledModules` item must be a path, a string or a module with a `key`, not {}",
                other.described()
            ),
        )),
    }
}

fn string_of(ev: &Evaluator, t: &Thunk, what: &str) -> EvalResult<String> {
    match ev.force(t)? {
        Value::Str(s) | Value::Path(s) => Ok(s.to_string()),
        other => Err(error(
            t.span(),
            format!("{what} must be a string, not {}", other.described()),
        )),
    }
}

/// The arguments a module function gets, as nixpkgs' `applyModuleArgs` gives them: `config`,
/// `options`, `lib`, `pkgs` (netns-compile's tools),
/// `modulesPath` with `--nixpkgs`, and every other name the function asks for read from
/// `config._module.args`. Without `...`, only the names it takes.
fn module_arguments(state: &Rc<State>, f: &Value, span: Span) -> EvalResult<Value> {
    let mut args = crate::eval::Attrs::new();
    args.insert(Rc::from("lib"), state.lib.clone(), Span::BUILTIN);
    let root = |cell: &RefCell<Option<Thunk>>| cell.borrow().clone().expect("set before modules are called");
    args.insert(Rc::from("config"), root(&state.config), Span::BUILTIN);
    args.insert(Rc::from("options"), root(&state.options), Span::BUILTIN);
    if let Some(dir) = &state.modules_path {
        args.insert_value("modulesPath", Value::Path(dir.clone()));
    }
    // netns-compile's own: reading `_module.args.pkgs` would force every module's config,
    // and a config that tests `pkgs` would then depend on itself.
    args.insert_value("pkgs", state.pkgs.clone());
    let (formals, ellipsis): (Vec<Rc<str>>, bool) = match f {
        Value::Lambda(c) => match &c.def.param {
            crate::eval::ir::Param::Pattern { entries, ellipsis, .. } => {
                (entries.iter().map(|e| e.name.clone()).collect(), *ellipsis)
            }
            crate::eval::ir::Param::Ident(_) => (Vec::new(), true),
        },
        _ => (Vec::new(), true),
    };
    for name in &formals {
        if args.get(name).is_none() {
            args.insert(name.clone(), module_arg_thunk(state, name, span), Span::BUILTIN);
        }
    }
    if !ellipsis {
        args.map.retain(|k, _| formals.contains(k));
    }
    Ok(Value::attrs(args))
}

/// `config._module.args.<name>`, read when the module uses it.
fn module_arg_thunk(state: &Rc<State>, name: &str, span: Span) -> Thunk {
    let state = state.clone();
    let name = name.to_string();
    Thunk::native(span, move |ev| {
        let defs = defined_values(ev, &state, &["_module", "args", &name])?;
        let mut chosen = options::winning(ev, defs)?;
        match chosen.len() {
            0 => Err(error(
                span,
                format!("the module argument `{name}` is not defined: no module sets `_module.args.{name}`"),
            )),
            1 => Ok(chosen.remove(0).value),
            _ => Err(Box::new(crate::eval::EvalError {
                kind: crate::eval::ErrorKind::Other,
                diagnostic: crate::diagnostic::Diagnostic::new(
                    crate::diagnostic::Code::ConflictingDefinitions,
                    format!("the option `_module.args.{name}` is defined more than once"),
                )
                .at(chosen[0].span, "defined here")
                .also(chosen[1].span, "and here"),
            })),
        }
    })
}
