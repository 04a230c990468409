//! Options the modules declare: their declarations, their values computed by the lib's own
//! module engine (`mergeOptionDecls`, `fixupOptionType`, `evalOptionValue`, as nixpkgs'
//! `mergeModules'` calls them), the `options` argument, the check that every definition under
//! a declared tree is an option, and the engine's errors located at the definitions.

use super::{Definition, Level, State, defined_values, ev_span, known_paths, own, push_down};
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::property_of;
use crate::eval::{EvalError, EvalResult, Evaluator, Thunk, Value, error};
use crate::module::loc::Loc;
use crate::module::merge::{unknown_option, what_it_is};
use crate::module_rules::merge_definitions;
use crate::module_rules::{self, Definitions, Discharge, Normalizing, PropertyType, Values};
use crate::source::Span;
use crate::suggest::closest;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One `mkOption` a module declares.
pub(super) struct Declaration {
    pub value: Value,
    pub span: Span,
    pub file: Rc<str>,
}

/// The lib's module engine: nixpkgs' lib exports it at its top level.
pub(super) struct Engine {
    merge_decls: Value,
    fixup: Option<Value>,
    eval_option: Value,
}

impl Engine {
    /// The engine of `lib`, if it has one.
    pub fn of(ev: &Evaluator, lib: &Value) -> EvalResult<Option<Engine>> {
        let Value::Attrs(a) = lib else { return Ok(None) };
        let function = |name: &str| -> EvalResult<Option<Value>> {
            match a.get(name) {
                Some(t) => Ok(Some(ev.force(t)?).filter(Value::is_function)),
                None => Ok(None),
            }
        };
        Ok(match (function("mergeOptionDecls")?, function("evalOptionValue")?) {
            (Some(merge_decls), Some(eval_option)) => Some(Engine {
                merge_decls,
                fixup: function("fixupOptionType")?,
                eval_option,
            }),
            _ => None,
        })
    }
}

/// Fixed words nixpkgs' own NixOS uses at the top of its option tree: a definition below one
/// of them that no module declares is some other NixOS option, not a typo in a user's tree.
const NIXOS_TOP_LEVEL: [&str; 34] = [
    "appstream",
    "assertions",
    "boot",
    "console",
    "containers",
    "documentation",
    "environment",
    "fileSystems",
    "fonts",
    "gtk",
    "hardware",
    "i18n",
    "ids",
    "krb5",
    "location",
    "meta",
    "networking",
    "nix",
    "nixpkgs",
    "powerManagement",
    "programs",
    "qt",
    "security",
    "services",
    "sound",
    "specialisation",
    "swapDevices",
    "system",
    "systemd",
    "time",
    "users",
    "virtualisation",
    "warnings",
    "xdg",
];

/// What the modules declare at a path.
#[derive(Clone)]
pub(super) enum Declared {
    /// An option: every declaration of it.
    Option(Rc<[Declaration]>),
    /// Attribute names of declarations below.
    Below(Rc<BTreeSet<String>>),
    Nothing,
}

fn is_option(ev: &Evaluator, v: &Value) -> EvalResult<bool> {
    let Value::Attrs(a) = v else { return Ok(false) };
    match a.get("_type") {
        Some(t) => Ok(matches!(ev.force(t)?, Value::Str(s) if s.as_ref() == "option")),
        None => Ok(false),
    }
}

/// What the modules' `options` declare at `path`, read as nixpkgs reads them: by attribute
/// names level by level, so that a declaration may depend on other options
/// (`mkRenamedOptionModule` reads the type of the option it renames to).
pub(super) fn declared_at(ev: &Evaluator, state: &State, path: &[String]) -> EvalResult<Declared> {
    if let Some(d) = state.declared.borrow().get(path) {
        return Ok(d.clone());
    }
    let modules: Vec<(Thunk, Rc<str>)> = state
        .modules
        .borrow()
        .iter()
        .filter_map(|m| m.options.clone().map(|o| (o, m.file.clone())))
        .collect();
    let mut decls = Vec::new();
    let mut names = BTreeSet::new();
    'modules: for (options, file) in modules {
        let mut span = options.span();
        let mut v = ev.force(&options)?;
        for p in path {
            // An option above `path`: what is below it comes through its type.
            if is_option(ev, &v)? {
                continue 'modules;
            }
            let Value::Attrs(a) = &v else {
                return Err(error(
                    span,
                    "`options` must be an attribute set of `mkOption` declarations",
                ));
            };
            let Some(t) = a.get(p).cloned() else { continue 'modules };
            span = t.span();
            v = ev.force(&t)?;
        }
        if is_option(ev, &v)? {
            decls.push(Declaration { value: v, span, file });
        } else if let Value::Attrs(a) = &v {
            names.extend(a.map.keys().map(|k| k.to_string()));
        } else {
            return Err(error(
                span,
                "`options` must be an attribute set of `mkOption` declarations",
            ));
        }
    }
    let d = if !decls.is_empty() {
        Declared::Option(Rc::from(decls))
    } else if !names.is_empty() {
        Declared::Below(Rc::new(names))
    } else {
        Declared::Nothing
    };
    state.declared.borrow_mut().insert(path.to_vec(), d.clone());
    Ok(d)
}

/// Every declared option's path, walking the whole declaration tree.
pub(super) fn all_declared(
    ev: &Evaluator,
    state: &State,
    path: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> EvalResult<()> {
    match declared_at(ev, state, path)? {
        Declared::Option(_) => out.push(path.clone()),
        Declared::Below(names) => {
            for name in names.iter() {
                path.push(name.clone());
                all_declared(ev, state, path, out)?;
                path.pop();
            }
        }
        Declared::Nothing => {}
    }
    Ok(())
}

fn strings(path: &[String]) -> Value {
    Value::list(
        path.iter()
            .map(|p| Thunk::ready(Value::str(p), Span::BUILTIN))
            .collect(),
    )
}

fn attrs_of(fields: Vec<(&str, Thunk)>) -> Value {
    let mut a = crate::eval::Attrs::new();
    for (k, v) in fields {
        a.insert(Rc::from(k), v, Span::BUILTIN);
    }
    Value::attrs(a)
}

fn call(ev: &Evaluator, f: &Value, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut v = f.clone();
    for a in args {
        v = ev.call(v, Thunk::ready(a.clone(), span), span)?;
    }
    Ok(v)
}

/// The option at `path` as nixpkgs' `options` tree holds it: `evalOptionValue loc opt defs`,
/// evaluated once.
fn evaluated_option(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    let cached = state.evaluated.borrow().get(path).cloned();
    let thunk = match cached {
        Some(t) => t,
        None => {
            let (st, p) = (state.clone(), path.to_vec());
            let t = Thunk::native(Span::BUILTIN, move |ev| evaluate_option(ev, &st, &p));
            state.evaluated.borrow_mut().insert(path.to_vec(), t.clone());
            t
        }
    };
    ev.force(&thunk)
}

fn evaluate_option(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    if state.engine.get().is_none() {
        let lib = ev.force(&state.lib)?;
        let _ = state.engine.set(Engine::of(ev, &lib)?);
    }
    let Some(Some(engine)) = state.engine.get() else {
        let span = match declared_at(ev, state, path)? {
            Declared::Option(d) => d[0].span,
            _ => ev_span(ev),
        };
        return Err(error(
            span,
            "the lib the modules get has no module engine (mergeOptionDecls, evalOptionValue): netns-compile evaluates declared options with it",
        ));
    };
    let loc = strings(path);
    let (decls, span) = all_declarations(ev, state, path)?;
    let mut opt = call(ev, &engine.merge_decls, &[loc.clone(), Value::list(decls)], span)?;
    if let Some(fixup) = &engine.fixup {
        opt = call(ev, fixup, &[loc.clone(), opt], span)?;
    }
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let defs: Vec<Thunk> = defined_values(ev, state, &parts)?
        .into_iter()
        .map(|d| {
            Thunk::ready(
                attrs_of(vec![
                    ("file", Thunk::ready(Value::Str(d.file), Span::BUILTIN)),
                    ("value", Thunk::ready(d.value, d.span)),
                ]),
                d.span,
            )
        })
        .collect();
    call(ev, &engine.eval_option, &[loc, opt, Value::list(defs)], span)
}

/// The declarations of the option at `path` as `mergeOptionDecls` takes them, and where the
/// first is: the modules' own, or the compiler's (`own.rs`) for one of its options. A module
/// that declares one of the compiler's options (`services.netns.namespaces`,
/// `systemd.services`, …) extends the compiler's declaration, as nixpkgs merges it with
/// netns.nix's or NixOS's. A path nothing declares is some NixOS option netns-compile does
/// not have, which modules define and read as a value: own_options.nix's `<undeclared>`.
fn all_declarations(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<(Vec<Thunk>, Span)> {
    let users = match declared_at(ev, state, path)? {
        Declared::Option(d) => Some(d),
        _ => None,
    };
    // The compiler's own declarations are NixOS's (and nix/module.nix's), whose modules are
    // collected before the user's.
    let mut own = Vec::new();
    if users.is_none() || own::own_option(path).is_some() {
        own.extend(own::declarations(ev, state, path)?.unwrap_or_default());
        if users.is_some() && own::has_elements(path) {
            own.push(own::meta_declaration(ev, state)?);
        }
    }
    let Some(users) = users else {
        if own.is_empty() {
            own.push(own::undeclared_declaration(ev, state)?);
        }
        own.reverse();
        return Ok((own, Span::BUILTIN));
    };
    // `evalModules` merges the modules last-collected first (`mergeModules prefix (reverseList
    // …)`): that is the order of `declarations`, and of a submodule's modules (an extension's
    // `config` before another's).
    let mut decls: Vec<Thunk> = users
        .iter()
        .rev()
        .map(|d| {
            Thunk::ready(
                attrs_of(vec![
                    ("_file", Thunk::ready(Value::Str(d.file.clone()), Span::BUILTIN)),
                    ("options", Thunk::ready(d.value.clone(), d.span)),
                ]),
                d.span,
            )
        })
        .collect();
    decls.extend(own.into_iter().rev());
    Ok((decls, users[0].span))
}

/// `config` at a declared option: the `value` of its evaluated option.
pub(super) fn declared_value(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    let opt = evaluated_option(ev, state, path)?;
    let Value::Attrs(a) = &opt else {
        return Err(error(ev_span(ev), "the lib's evalOptionValue gave no attribute set"));
    };
    match a.get("value") {
        Some(v) => ev.force(v),
        None => Err(error(ev_span(ev), "the lib's evalOptionValue gave no `value`")),
    }
}

/// The frontend's definitions as the module system's rules read them ([`crate::module_rules`]),
/// each part forced when a rule reads it (an `mkMerge`'s contents one by one, as Nix's
/// `concatMap` forces them).
pub(super) struct Evaluated<'e>(pub &'e Evaluator);

/// A definition or a part of one (a property's content), not forced before a rule reads it.
pub(super) struct Unforced {
    value: Thunk,
    key_span: Span,
    file: Rc<str>,
}

impl Evaluated<'_> {
    fn unforced(def: Definition) -> Unforced {
        Unforced {
            value: Thunk::ready(def.value, def.span),
            key_span: def.key_span,
            file: def.file,
        }
    }

    fn forced(&self, def: Unforced) -> EvalResult<Definition> {
        Ok(Definition {
            value: self.0.force(&def.value)?,
            span: def.value.span(),
            key_span: def.key_span,
            file: def.file,
        })
    }

    /// A part of the definition, where it is written.
    fn part(def: &Unforced, t: &Thunk) -> Unforced {
        Unforced {
            value: t.clone(),
            key_span: def.key_span,
            file: def.file.clone(),
        }
    }

    /// The attribute `name` of a property (whose `_type` was read, so it is forced).
    fn field(&self, def: &Unforced, name: &str) -> EvalResult<Thunk> {
        let found = match self.0.force(&def.value)? {
            Value::Attrs(a) => a.get(name).cloned(),
            _ => None,
        };
        found.ok_or_else(|| {
            error(
                def.value.span(),
                format!("a property without `{name}`: `_type` names one, and it needs `{name}`"),
            )
        })
    }
}

impl Values for Evaluated<'_> {
    type Value = Unforced;
    type Error = Box<EvalError>;

    fn property_type(&self, def: &Unforced) -> EvalResult<PropertyType> {
        property_of(self.0, &self.0.force(&def.value)?)
    }

    fn content(&self, def: &Unforced) -> EvalResult<Unforced> {
        let field = match Values::property_type(self, def)? {
            PropertyType::Definition => "value",
            _ => "content",
        };
        Ok(Evaluated::part(def, &self.field(def, field)?))
    }

    fn contents(&self, def: &Unforced) -> EvalResult<Vec<Unforced>> {
        let t = self.field(def, "contents")?;
        let items = self.0.expect_list(self.0.force(&t)?, t.span())?;
        Ok(items.iter().map(|item| Evaluated::part(def, item)).collect())
    }
}

impl Discharge for Evaluated<'_> {
    fn condition(&self, def: &Unforced) -> EvalResult<bool> {
        let c = self.field(def, "condition")?;
        self.0.expect_bool(self.0.force(&c)?, c.span())
    }
}

impl Definitions for Evaluated<'_> {
    type Def = Unforced;
    type Priority = i64;
    type Error = Box<EvalError>;

    fn property_type(&self, def: &Unforced) -> EvalResult<PropertyType> {
        Values::property_type(self, def)
    }

    fn override_priority(&self, def: &Unforced) -> EvalResult<i64> {
        let t = self.field(def, "priority")?;
        self.0.expect_int(self.0.force(&t)?, t.span())
    }

    fn constant(&self, priority: i64) -> i64 {
        priority
    }

    fn with_content(&self, def: &Unforced) -> EvalResult<Unforced> {
        Values::content(self, def)
    }

    fn less(&self, a: &i64, b: &i64) -> EvalResult<bool> {
        Ok(a < b)
    }

    fn same(&self, a: &i64, b: &i64) -> EvalResult<bool> {
        Ok(a == b)
    }
}

/// The definitions of an option that make its value, for the few options netns-compile
/// merges itself (`_module.args`, the names of the namespaces): properties discharged, the
/// highest priority kept (`mergeDefinitions`' `defsFiltered`), `mkOrder`s taken off.
pub(super) fn winning(ev: &Evaluator, defs: Vec<Definition>) -> EvalResult<Vec<Definition>> {
    let rules = Evaluated(ev);
    let given = defs.into_iter().map(|d| Ok(Evaluated::unforced(d)));
    let (kept, _) = merge_definitions::overridden(&rules, given, &mut Vec::new())?;
    let mut out = Vec::with_capacity(kept.len());
    for mut d in kept {
        while Values::property_type(&rules, &d)? == PropertyType::Order {
            d = Values::content(&rules, &d)?;
        }
        out.push(rules.forced(d)?);
    }
    Ok(out)
}

/// Definitions given as they are: a diagnostic points at the definition itself, and an
/// `mkDefinition` marker stands for its value.
impl Normalizing for Evaluated<'_> {
    type Props = Self;
    type Given = Unforced;
    type File = ();
    type Error = Box<EvalError>;

    fn props(&self) -> &Self {
        self
    }

    fn parts(&self, given: Unforced) -> ((), EvalResult<Unforced>) {
        ((), Ok(given))
    }

    fn in_file<T>(&self, _: &(), run: impl FnOnce() -> EvalResult<T>) -> EvalResult<T> {
        run()
    }

    fn definition(&self, _: &(), value: Unforced) -> EvalResult<Unforced> {
        Ok(value)
    }

    fn marked(&self, marker: Unforced) -> EvalResult<Unforced> {
        Values::content(self, &marker)
    }
}

/// Whether any definition of `def` survives its properties (`dischargeProperties`).
pub(super) fn survives(ev: &Evaluator, def: Definition) -> EvalResult<bool> {
    let mut discharged = Vec::new();
    module_rules::discharge(
        &Evaluated(ev),
        Evaluated::unforced(def),
        &mut discharged,
        &mut Vec::new(),
    )?;
    Ok(!discharged.is_empty())
}

// -- the `options` argument -----------------------------------------------------------------

pub(super) fn options_thunk(state: &Rc<State>, path: Vec<String>) -> Thunk {
    let state = state.clone();
    Thunk::native(Span::BUILTIN, move |ev| options_level(ev, &state, &path))
}

/// `options` at `path`: a declared option as `evalOptionValue` gives it, one of the compiler's
/// own options (its value and definitions), or the attrset of what is declared below.
fn options_level(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Value> {
    let declared = declared_at(ev, state, path)?;
    if let Declared::Option(_) = declared {
        let option = evaluated_option(ev, state, path)?;
        if own::own_option(path).is_some() {
            // Extended: without the compiler's bookkeeping in each element.
            return Ok(own::with_config_value(state, path, option));
        }
        return Ok(option);
    }
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    if known_paths().iter().any(|k| k[..] == parts[..]) {
        // The whole option as nixpkgs has it, from the compiler's declaration.
        return evaluated_option(ev, state, path);
    }
    let mut names: BTreeSet<String> = BTreeSet::new();
    if let Declared::Below(below) = &declared {
        names.extend(below.iter().cloned());
    }
    for known in known_paths() {
        if known.len() > parts.len() && known[..parts.len()] == parts[..] {
            names.insert(known[parts.len()].to_string());
        }
    }
    if names.is_empty() && !path.is_empty() {
        return Err(error(
            ev_span(ev),
            format!(
                "`options.{}` is no option netns-compile knows: it knows the options it reads and those the modules declare",
                parts.join(".")
            ),
        ));
    }
    let mut a = crate::eval::Attrs::new();
    for name in names {
        let mut child = path.to_vec();
        child.push(name.clone());
        a.insert(Rc::from(name.as_str()), options_thunk(state, child), Span::BUILTIN);
    }
    Ok(Value::attrs(a))
}

// -- definitions that are no option ---------------------------------------------------------

/// Every definition under a tree the modules declare must be one of its options (nixpkgs:
/// "The option `…' does not exist"). Trees under NixOS's own top-level names are shared with
/// NixOS's options, which netns-compile does not have, so only what a module declares below
/// them is checked there.
pub(super) fn check_definitions(ev: &Evaluator, state: &State) -> EvalResult<()> {
    let mut declared = Vec::new();
    all_declared(ev, state, &mut Vec::new(), &mut declared)?;
    let mut options: BTreeSet<Vec<String>> = declared.iter().cloned().collect();
    options.extend(known_paths().iter().map(|k| k.iter().map(|s| s.to_string()).collect()));
    let mut below: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for declared in &declared {
        for n in 0..declared.len() {
            below
                .entry(declared[..n].to_vec())
                .or_default()
                .insert(declared[n].clone());
        }
    }
    if below.is_empty() {
        return Ok(());
    }
    for known in known_paths() {
        for n in 0..known.len() {
            below
                .entry(known[..n].iter().map(|s| s.to_string()).collect())
                .or_default()
                .insert(known[n].to_string());
        }
    }
    let configs: Vec<Thunk> = state.modules.borrow().iter().filter_map(|m| m.config.clone()).collect();
    for c in configs {
        let v = ev.force(&c)?;
        check_level(ev, v, &mut Vec::new(), &options, &below)?;
    }
    Ok(())
}

fn check_level(
    ev: &Evaluator,
    v: Value,
    path: &mut Vec<String>,
    options: &BTreeSet<Vec<String>>,
    below: &BTreeMap<Vec<String>, BTreeSet<String>>,
) -> EvalResult<()> {
    let Some(names) = below.get(path.as_slice()) else {
        return Ok(());
    };
    let owned = match path.len() {
        0 => false,
        1 => !NIXOS_TOP_LEVEL.contains(&path[0].as_str()),
        _ => true,
    };
    let mut pushed = Vec::new();
    push_down(ev, v, &mut pushed)?;
    for level in pushed {
        let Level::Attrs(a, _) = level else { continue };
        for (name, attr) in &a.map {
            path.push(name.to_string());
            if !options.contains(path.as_slice()) {
                if names.contains(name.as_ref()) {
                    check_level(ev, ev.force(&attr.value)?, path, options, below)?;
                } else if owned {
                    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                    return Err(Box::new(EvalError {
                        kind: crate::eval::ErrorKind::Other,
                        diagnostic: unknown_option(&Loc::new(&parts), attr.key_span, names.iter().map(String::as_str)),
                    }));
                }
            }
            path.pop();
        }
    }
    Ok(())
}

// -- the engine's errors, located -----------------------------------------------------------

/// An error the lib's module engine threw ("The option `a.b' …", "A definition for option
/// `a.b' is not of type `…'"), as a diagnostic with its code that points at the definitions
/// it is about. Other errors pass as they are.
pub(super) fn locate(ev: &Evaluator, state: &Rc<State>, e: Box<EvalError>) -> Box<EvalError> {
    let message = e.diagnostic.message.clone();
    let Some((code, option, rest)) = engine_error(&message) else {
        return e;
    };
    let path = split_option(option);
    if rest.starts_with("in `") && rest.contains("is already declared in") {
        return locate_redeclared(ev, state, e, &path);
    }
    if code == Code::NixEval {
        // "used but not defined": where it is declared (a sub-option of one of the compiler's
        // own options: where what holds it is defined), and the read that needed it.
        let (span, label) = match declared_at(ev, state, &path) {
            Ok(Declared::Option(decls)) => (decls[0].span, "declared here".to_string()),
            _ => match defined_above(ev, state, &path) {
                Some(span) => (
                    span,
                    format!("defined here without `{}`", path.last().map_or("", String::as_str)),
                ),
                None => return e,
            },
        };
        let mut d = Diagnostic::new(
            code,
            format!("the option `{option}` is used but not defined: it has no default and no module defines it"),
        )
        .at(span, label);
        if let Some(read) = e
            .diagnostic
            .secondary
            .iter()
            .chain(&e.diagnostic.primary)
            .find(|l| !in_lib(ev, state, l.span))
        {
            d = d.also(read.span, "needed here");
        }
        return Box::new(EvalError {
            kind: e.kind,
            diagnostic: d,
        });
    }
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let Ok(defs) = defined_values(ev, state, &parts) else {
        return e;
    };
    // The definitions it names (by file), else all of them.
    let named: Vec<&Definition> = defs
        .iter()
        .filter(|d| message.contains(&format!("`{}'", d.file)))
        .collect();
    let named = if named.is_empty() { defs.iter().collect() } else { named };
    let Some(first) = named.first() else { return e };
    let d = match code {
        Code::TypeMismatch => {
            let ty = rest
                .strip_prefix("is not of type `")
                .and_then(|r| r.split_once("'."))
                .map_or("its type", |(t, _)| t);
            // What the definition is, as the module stage says it, where the value has a form.
            let label = ev
                .to_node(&first.value, first.span)
                .map_or_else(|_| "this definition".to_string(), |v| what_it_is(&v));
            Diagnostic::new(
                code,
                format!("a definition for option `{option}` is not of type `{ty}`"),
            )
            .at(first.span, label)
        }
        Code::ConflictingDefinitions => {
            let mut d = Diagnostic::new(code, format!("the option `{option}` has conflicting definition values"))
                .at(first.span, format!("defined as {} here", shown(&first.value)))
                .help("use `lib.mkForce value` or `lib.mkDefault value` to change the priority of one of them");
            for other in named.iter().skip(1) {
                d = d.also(other.span, format!("and as {} here", shown(&other.value)));
            }
            d
        }
        _ => {
            let d = Diagnostic::new(code, format!("the option `{option}` does not exist"))
                .at(first.key_span, "unknown option");
            let name = path.last().map_or("", String::as_str);
            let siblings = sub_options_beside(ev, state, &path).unwrap_or_default();
            match closest(name, siblings.iter().map(String::as_str)) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d,
            }
        }
    };
    Box::new(EvalError {
        kind: e.kind,
        diagnostic: d,
    })
}

/// Where the nearest attribute above `path` that modules define is first written.
fn defined_above(ev: &Evaluator, state: &State, path: &[String]) -> Option<Span> {
    (1..path.len()).rev().find_map(|n| {
        let parts: Vec<&str> = path[..n].iter().map(String::as_str).collect();
        // Collection order is the reverse of `defined_values`'.
        defined_values(ev, state, &parts).ok()?.last().map(|d| d.key_span)
    })
}

/// "The option `a.b' in `f' is already declared in `g'": at the module's declaration that
/// declares it again — of the option itself, or of the option whose submodule it is in (a
/// module that extends the namespace submodule with a sub-option the compiler has).
fn locate_redeclared(ev: &Evaluator, state: &Rc<State>, e: Box<EvalError>, path: &[String]) -> Box<EvalError> {
    let Some(decls) = (1..=path.len())
        .rev()
        .find_map(|n| match declared_at(ev, state, &path[..n]) {
            Ok(Declared::Option(d)) => Some(d),
            _ => None,
        })
    else {
        return e;
    };
    let message = &e.diagnostic.message;
    let decl = decls
        .iter()
        .find(|d| message.contains(&format!("`{}'", d.file)))
        .unwrap_or(&decls[0]);
    let d = Diagnostic::new(Code::NixEval, message.clone())
        .at(decl.span, format!("declares `{}` again", path.join(".")))
        .help("an option has one declaration with a default and a description: drop this one, or give it another name");
    Box::new(EvalError {
        kind: e.kind,
        diagnostic: d,
    })
}

/// The sub-options declared beside `path` inside a declared or own option's type (a submodule's
/// options, through `attrsOf`/`listOf`): `type.getSubOptions`, then the names on the way,
/// skipping those a container's element takes.
fn sub_options_beside(ev: &Evaluator, state: &Rc<State>, path: &[String]) -> EvalResult<Vec<String>> {
    let Some(n) = (1..path.len()).rev().find(|n| {
        own::own_option(&path[..*n]).is_some() || matches!(declared_at(ev, state, &path[..*n]), Ok(Declared::Option(_)))
    }) else {
        return Ok(Vec::new());
    };
    let field = |v: &Value, name: &str| -> EvalResult<Option<Value>> {
        match v {
            Value::Attrs(a) => a.get(name).map(|t| ev.force(t)).transpose(),
            _ => Ok(None),
        }
    };
    let sub_options = |option: &Value| -> EvalResult<Value> {
        match field(option, "type")?.and_then(|t| match &t {
            Value::Attrs(a) => a.get("getSubOptions").cloned(),
            _ => None,
        }) {
            Some(f) => ev.call(
                ev.force(&f)?,
                Thunk::ready(strings(&path[..n]), Span::BUILTIN),
                Span::BUILTIN,
            ),
            None => Ok(Value::attrs(crate::eval::Attrs::new())),
        }
    };
    let mut level = sub_options(&evaluated_option(ev, state, &path[..n])?)?;
    for name in &path[n..path.len() - 1] {
        let Some(next) = field(&level, name)? else { continue };
        level = if is_option(ev, &next)? {
            sub_options(&next)?
        } else {
            next
        };
    }
    Ok(match &level {
        Value::Attrs(a) => a
            .map
            .keys()
            .filter(|k| !k.starts_with('_'))
            .map(|k| k.to_string())
            .collect(),
        _ => Vec::new(),
    })
}

/// Whether `span` is in the lib's own files (the native lib, or nixpkgs' `lib/`).
fn in_lib(ev: &Evaluator, state: &State, span: Span) -> bool {
    if span.is_builtin() {
        return true;
    }
    let sources = ev.sources.borrow();
    let name = sources.name(span.file);
    name.starts_with('<') || state.lib_dir.as_deref().is_some_and(|dir| name.starts_with(dir))
}

/// A definition's value for a label: a plain value as JSON, anything else by its kind.
fn shown(v: &Value) -> String {
    match v {
        Value::Str(s) => serde_json::Value::String(s.to_string()).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => other.described().to_string(),
    }
}

/// nixpkgs' words for a type error, a conflict and an unknown option: the code, the option
/// as `showOption` wrote it, and the text after it.
fn engine_error(message: &str) -> Option<(Code, &str, &str)> {
    let quoted = |text: &str, prefix: &str| -> Option<(usize, usize)> {
        let start = text.find(prefix)? + prefix.len();
        let end = start + text[start..].find('\'')?;
        Some((start, end))
    };
    if let Some((s, e)) = quoted(message, "A definition for option `") {
        return Some((Code::TypeMismatch, &message[s..e], message[e + 1..].trim_start()));
    }
    let (s, e) = quoted(message, "The option `")?;
    let rest = message[e + 1..].trim_start();
    let code = if rest.starts_with("in `") && rest.contains("is already declared in") {
        Code::NixEval
    } else if rest.starts_with("has conflicting definition values") || rest.starts_with("is defined multiple times") {
        Code::ConflictingDefinitions
    } else if rest.starts_with("does not exist") {
        Code::UnknownOption
    } else if rest.starts_with("is used but not defined") {
        Code::NixEval
    } else {
        return None;
    };
    Some((code, &message[s..e], rest))
}

/// `showOption`'s text back into names (`a."b.c".d`).
fn split_option(shown: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in shown.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}
