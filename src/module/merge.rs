//! Options merged over definition trees: the ground floor's `mergeDefinitions`
//! ([`crate::module_rules::merge_definitions`]: properties discharged, overrides filtered,
//! definitions ordered, checked against the type and merged) read through `Typed`, and each
//! type's `merge` of `lib/types.nix`; submodules merged from their modules.

use super::loc::Loc;
use super::property::{Def, Trees};
use super::types::{Schema, Ty, Unknown};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::module_rules::merge_definitions;
use crate::module_rules::{Merging, Normalizing, Values};
use crate::node::{Attrs, Entry, Kind, Node, cmp_names};
use crate::source::Span;
use std::cell::RefCell;
use std::convert::Infallible;

/// The result of merging one option: its value and the priority of the definitions it came
/// from (`MK_OPTION_DEFAULT` when only the default applied).
#[derive(Clone, Debug)]
pub struct Merged {
    pub value: Node,
    pub priority: i64,
}

/// `mergeDefinitions` + `evalOptionValue`: discharge properties, add the default, keep the
/// highest priority, sort by order, check the type and merge. `None` when the option has no
/// value (no definitions and no default) or when it has errors (already reported).
pub fn merge_option<'a>(
    loc: &Loc,
    ty: &Ty,
    defs: Vec<Def<'a>>,
    default: Option<&'a Node>,
    diags: &mut Diagnostics,
) -> Option<Merged> {
    if defs.is_empty() && !matches!(ty, Ty::Submodule(_)) {
        // Only the default: netns-compile's defaults hold no properties and have their type,
        // so `mergeDefinitions` would give it back unchanged. (A submodule's default still
        // goes through the submodule, which adds its options' own defaults.)
        return default.map(|d| Merged {
            value: d.clone(),
            priority: super::property::MK_OPTION_DEFAULT,
        });
    }
    if let [one] = defs.as_slice()
        && one.is_plain()
        && ty.takes_as_is(&one.value)
    {
        // One plain definition, which beats the default and merges to itself.
        let value = defs.into_iter().next().map(|d| d.value.into_owned())?;
        return Some(Merged {
            value,
            priority: super::property::DEFAULT_PRIORITY,
        });
    }
    let typed = Typed::new(loc, ty, diags);
    let (defs, priority) = if !defs.is_empty() && defs.iter().all(Def::is_plain) {
        // No properties: every definition has the plain priority, which beats the default, and
        // none has an order, so `defsFinal` is the definitions as they are.
        (defs, super::property::DEFAULT_PRIORITY)
    } else {
        typed.defs_final(defs, default)?
    };
    let merged = merge_definitions::merged_value(&typed, &defs);
    typed.reported(merged).map(|value| Merged { value, priority })
}

/// The first half of [`merge_option`]: the definitions that take part (`defsFinal`), checked
/// against the type, and their priority.
pub fn prepare_defs<'a>(
    loc: &Loc,
    ty: &Ty,
    defs: Vec<Def<'a>>,
    default: Option<&'a Node>,
    diags: &mut Diagnostics,
) -> Option<(Vec<Def<'a>>, i64)> {
    let typed = Typed::new(loc, ty, diags);
    let (defs, priority) = typed.defs_final(defs, default)?;
    if !merge_definitions::is_defined(&defs) {
        return None;
    }
    typed.reported(merge_definitions::checked(&typed, &defs))?;
    Some((defs, priority))
}

/// One option's definition trees and its type, as the ground floor's `mergeDefinitions`
/// reads them. Unlike the evaluator, which stops at the first failure, every malformed
/// property and every definition that fails the type is reported.
struct Typed<'t, 'a, 'd> {
    trees: Trees<'a>,
    loc: &'t Loc,
    ty: &'t Ty,
    diags: RefCell<&'d mut Diagnostics>,
}

/// Why an option has no value: the diagnostics that say so (none when nothing defines it,
/// which its reader reports if it must be defined; the type's merge reports its own).
struct Unmerged(Vec<Diagnostic>);

impl From<Diagnostic> for Unmerged {
    fn from(d: Diagnostic) -> Unmerged {
        Unmerged(vec![d])
    }
}

impl From<Infallible> for Unmerged {
    fn from(never: Infallible) -> Unmerged {
        match never {}
    }
}

impl<'t, 'a, 'd> Typed<'t, 'a, 'd> {
    fn new(loc: &'t Loc, ty: &'t Ty, diags: &'d mut Diagnostics) -> Self {
        Typed {
            trees: Trees::new(),
            loc,
            ty,
            diags: RefCell::new(diags),
        }
    }

    /// `defsFinal'` of the definitions with the default first (as `evalOptionValue` puts
    /// it), every malformed property reported.
    fn defs_final(&self, defs: Vec<Def<'a>>, default: Option<&'a Node>) -> Option<(Vec<Def<'a>>, i64)> {
        let given = default.map(Def::option_default).into_iter().chain(defs).map(Ok);
        let mut malformed = Vec::new();
        let result = merge_definitions::defs_final(self, given, &mut malformed);
        for d in malformed {
            self.diags.borrow_mut().push(d);
        }
        self.reported(result)
    }

    /// The result, or `None` with its diagnostics reported.
    fn reported<T>(&self, result: Result<T, Unmerged>) -> Option<T> {
        result
            .map_err(|Unmerged(errors)| {
                for d in errors {
                    self.diags.borrow_mut().push(d);
                }
            })
            .ok()
    }
}

impl<'a> Normalizing for Typed<'_, 'a, '_> {
    type Props = Trees<'a>;
    type Given = Def<'a>;
    /// A tree's diagnostics point at the definition itself: no file is needed.
    type File = ();
    type Error = Unmerged;

    fn props(&self) -> &Trees<'a> {
        &self.trees
    }

    fn parts(&self, given: Def<'a>) -> ((), Result<Def<'a>, Unmerged>) {
        ((), Ok(given))
    }

    fn in_file<T>(&self, _: &(), run: impl FnOnce() -> Result<T, Unmerged>) -> Result<T, Unmerged> {
        run()
    }

    fn definition(&self, _: &(), value: Def<'a>) -> Result<Def<'a>, Unmerged> {
        Ok(value)
    }

    /// Its value, whose span names it in diagnostics as its `file` does in nixpkgs' messages.
    fn marked(&self, marker: Def<'a>) -> Result<Def<'a>, Unmerged> {
        Ok(Values::content(&self.trees, &marker)?)
    }
}

impl<'a> Merging for Typed<'_, 'a, '_> {
    type Merged = Node;

    fn check(&self, def: &Def<'a>) -> Result<bool, Unmerged> {
        Ok(self.ty.check(&def.value))
    }

    fn merge(&self, defs: &[Def<'a>]) -> Result<Node, Unmerged> {
        merge_by_type(self.loc, self.ty, defs, &mut self.diags.borrow_mut()).ok_or_else(|| Unmerged(Vec::new()))
    }

    fn undefined(&self) -> Unmerged {
        Unmerged(Vec::new())
    }

    fn not_of_type(&self, invalid: Vec<Def<'a>>) -> Unmerged {
        Unmerged(
            invalid
                .iter()
                .map(|d| type_error(self.loc, self.ty, &d.value))
                .collect(),
        )
    }
}

pub fn type_error(loc: &Loc, ty: &Ty, v: &Node) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::TypeMismatch,
        format!(
            "a definition for option `{}` is not of type `{}`",
            loc.show(),
            ty.description()
        ),
    )
    .at(v.span, what_it_is(v));
    if super::property::is_property(v) {
        d = d.note("a property (mkIf/mkMerge/mkOverride/mkOrder) that nixpkgs does not expand at this place");
    }
    if matches!(ty, Ty::UnitName) {
        d = d.help("a unit name needs a suffix such as `.service` or `.target`");
    }
    d
}

fn conflict(loc: &Loc, a: &Node, b: &Node) -> Diagnostic {
    // Put the user's definition first: a builtin one (the netns module's) becomes a note.
    let (user, other) = if b.span.is_builtin() { (a, b) } else { (b, a) };
    Diagnostic::new(
        Code::ConflictingDefinitions,
        format!("the option `{}` has conflicting definition values", loc.show()),
    )
    .at(user.span, format!("defined as {user} here"))
    .also(other.span, definition_label(other, "and as"))
    .help("use `lib.mkForce value` or `lib.mkDefault value` to change the priority of one of them")
}

/// "and as X here", or for a definition netns-compile makes itself, who makes it.
fn definition_label(v: &Node, lead: &str) -> String {
    if v.span.is_builtin() {
        format!("the `services.netns` module defines it as {v}")
    } else {
        format!("{lead} {v} here")
    }
}

/// A type error's label at an ill-typed definition: what its value is.
pub fn what_it_is(v: &Node) -> String {
    format!("this is {} {}: {v}", article(v.type_name()), v.type_name())
}

/// "a" or "an" before a type name.
pub fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `mergeOneOption`: one definition, whatever its value.
fn merge_one(loc: &Loc, defs: &[Def], diags: &mut Diagnostics) -> Option<Node> {
    if let [one] = defs {
        return Some(one.value.as_ref().clone());
    }
    diags.push(
        Diagnostic::new(
            Code::DuplicateDefinition,
            format!(
                "the option `{}` is defined multiple times while it's expected to be unique",
                loc.show()
            ),
        )
        .at(defs[1].span(), format!("defined again as {} here", defs[1].value))
        .also(defs[0].span(), format!("first defined as {} here", defs[0].value)),
    );
    None
}

/// `mergeEqualOption`.
fn merge_equal(loc: &Loc, defs: &[Def], diags: &mut Diagnostics) -> Option<Node> {
    let first = &defs[0].value;
    for d in &defs[1..] {
        if !d.value.same_value(first) {
            diags.push(conflict(loc, first, &d.value));
            return None;
        }
    }
    Some(first.as_ref().clone())
}

/// `type.merge loc defs` of definitions that passed the type's check.
pub fn merge_checked(loc: &Loc, ty: &Ty, defs: Vec<Def<'_>>, diags: &mut Diagnostics) -> Option<Node> {
    merge_by_type(loc, ty, &defs, diags)
}

fn merge_by_type(loc: &Loc, ty: &Ty, defs: &[Def<'_>], diags: &mut Diagnostics) -> Option<Node> {
    match ty {
        Ty::Bool | Ty::Int | Ty::Str | Ty::Enum(_) | Ty::UnitName | Ty::EnvValue | Ty::PathEntry | Ty::Anything => {
            merge_equal(loc, defs, diags)
        }
        Ty::SingleLineStr => merge_equal(loc, defs, diags).map(|mut n| {
            if let Kind::Str(s) = &mut n.kind
                && s.ends_with('\n')
            {
                s.pop();
            }
            n
        }),
        Ty::Lines | Ty::Separated(_) => {
            let sep = match ty {
                Ty::Separated(sep) => sep.as_str(),
                _ => "\n",
            };
            let text = defs
                .iter()
                .filter_map(|d| d.value.as_str())
                .collect::<Vec<_>>()
                .join(sep);
            Some(Node::str(defs[0].span(), text))
        }
        Ty::Attrs => {
            let mut out = Attrs::new();
            for d in defs {
                if let Some(a) = d.value.attrs() {
                    for e in &a.entries {
                        out.insert(e.clone());
                    }
                }
            }
            Some(Node::new(defs[0].span(), Kind::Attrs(out)))
        }
        Ty::AttrsOf(elem) => merge_attrs_of(loc, elem, defs, diags),
        Ty::ListOf(elem) => {
            let mut items = Vec::new();
            let mut ok = true;
            for (n, d) in defs.iter().enumerate() {
                for (m, item) in d.value.as_list().unwrap_or(&[]).iter().enumerate() {
                    if elem.takes_as_is(item) {
                        items.push(item.clone());
                        continue;
                    }
                    let l = loc.child(&format!("[definition {}-entry {}]", n + 1, m + 1));
                    let before = diags.items.len();
                    match merge_option(&l, elem, vec![Def::new(item)], None, diags) {
                        Some(v) => items.push(v.value),
                        None => ok &= diags.items.len() == before,
                    }
                }
            }
            ok.then(|| Node::new(defs[0].span(), Kind::List(items)))
        }
        Ty::NullOr(inner) => {
            let nulls = defs.iter().filter(|d| matches!(d.value.kind, Kind::Null)).count();
            if nulls == defs.len() {
                Some(Node::new(defs[0].span(), Kind::Null))
            } else if nulls > 0 {
                let null = defs.iter().find(|d| matches!(d.value.kind, Kind::Null))?;
                let other = defs.iter().find(|d| !matches!(d.value.kind, Kind::Null))?;
                diags.push(
                    Diagnostic::new(
                        Code::ConflictingDefinitions,
                        format!("the option `{}` is defined both null and not null", loc.show()),
                    )
                    .at(other.span(), format!("defined as {} here", other.value))
                    .also(null.span(), "and as null here"),
                );
                None
            } else {
                merge_by_type(loc, inner, defs, diags)
            }
        }
        Ty::SysctlValue => {
            if defs.len() == 1 {
                Some(defs[0].value.as_ref().clone())
            } else {
                // Shown in source order: the first definition, then the ones that repeat it.
                let mut shown: Vec<&Def> = defs.iter().collect();
                shown.sort_by_key(|d| (d.span().file, d.span().start));
                let mut d = Diagnostic::new(
                    Code::DuplicateDefinition,
                    format!(
                        "the option `{}` is defined multiple times while it's expected to be unique",
                        loc.show()
                    ),
                )
                .at(shown[1].span(), format!("defined again as {} here", shown[1].value))
                .also(shown[0].span(), format!("first defined as {} here", shown[0].value));
                for extra in &shown[2..] {
                    d = d.also(extra.span(), format!("and again as {} here", extra.value));
                }
                diags.push(d.help("a sysctl key takes one definition; use `lib.mkForce` to choose one"));
                None
            }
        }
        Ty::HighestInt => {
            let best = defs
                .iter()
                .max_by_key(|d| match d.value.kind {
                    Kind::Int(i) => i,
                    _ => 0,
                })
                .map(|d| d.value.as_ref().clone());
            best.map(|n| match n.kind {
                Kind::Int(i) => Node::new(n.span, Kind::Int(i.max(0))),
                _ => n,
            })
        }
        Ty::UnitOption => {
            if defs.iter().any(|d| matches!(d.value.kind, Kind::List(_))) {
                let mut items = Vec::new();
                for d in defs {
                    match &d.value.kind {
                        Kind::List(l) => items.extend(l.iter().cloned()),
                        _ => items.push(d.value.as_ref().clone()),
                    }
                }
                Some(Node::new(defs[0].span(), Kind::List(items)))
            } else {
                merge_equal(loc, defs, diags)
            }
        }
        Ty::Submodule(schema) => merge_submodule(loc, schema, defs, diags),
        Ty::Either(a, b) => {
            if defs.iter().all(|d| a.check(&d.value)) {
                merge_by_type(loc, a, defs, diags)
            } else if defs.iter().all(|d| b.check(&d.value)) {
                merge_by_type(loc, b, defs, diags)
            } else {
                merge_one(loc, defs, diags)
            }
        }
    }
}

fn merge_attrs_of(loc: &Loc, elem: &Ty, defs: &[Def<'_>], diags: &mut Diagnostics) -> Option<Node> {
    // Each definition's attributes by name, keeping definition order within a name (the
    // sort is stable).
    let mut all: Vec<&Entry> = Vec::new();
    for d in defs {
        all.extend(&d.value.attrs()?.entries);
    }
    all.sort_by(|a, b| cmp_names(&a.key, &b.key));
    let mut out = Vec::with_capacity(all.len());
    for group in all.chunk_by(|a, b| a.key == b.key) {
        let first = group[0];
        if let [one] = group
            && elem.takes_as_is(&one.value)
        {
            out.push((*one).clone());
            continue;
        }
        let l = loc.child(&first.key);
        let values = group.iter().map(|e| Def::new(&e.value)).collect();
        if let Some(m) = merge_option(&l, elem, values, None, diags) {
            out.push(Entry {
                key: first.key.clone(),
                key_span: first.key_span,
                value: m.value,
            });
        }
    }
    // Partial results go on to later checks; the errors are already reported.
    Some(Node::new(defs[0].span(), Kind::Attrs(Attrs { entries: out })))
}

/// Evaluate a submodule from the definitions of the option it types.
///
/// Each definition becomes a module of a nested `evalModules`, and `evalModules` merges its
/// modules in reverse order of collection (`mergeModules prefix (reverseList …)` in nixpkgs).
/// So definitions that one parent module gives (the parts of an `mkMerge`) reach the
/// submodule's options last-first, while definitions from different top-level modules,
/// reversed once at the top, come out in their original order.
pub fn merge_submodule(loc: &Loc, schema: &Schema, defs: &[Def<'_>], diags: &mut Diagnostics) -> Option<Node> {
    let modules: Vec<Def> = defs.iter().rev().cloned().collect();
    merge_modules(loc, schema, &modules, diags)
}

/// Merge a submodule's options from its modules, given in the order `evalModules` merges
/// them (see [`merge_submodule`]).
pub fn merge_modules(loc: &Loc, schema: &Schema, defs: &[Def<'_>], diags: &mut Diagnostics) -> Option<Node> {
    merge_modules_in(loc, schema, defs, Scope::default(), diags)
}

/// What [`merge_modules_in`] puts in its result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'s> {
    /// Only these options (other keys are then neither merged nor reported).
    pub only: Option<&'s [&'s str]>,
    /// Leave out the options that nothing defines (their default applies): for a caller that
    /// reads every option with its default as fallback.
    pub sparse: bool,
}

/// [`merge_modules`], restricted to a [`Scope`]: what a caller that reads a few options needs.
pub fn merge_modules_in(
    loc: &Loc,
    schema: &Schema,
    defs: &[Def<'_>],
    scope: Scope,
    diags: &mut Diagnostics,
) -> Option<Node> {
    // With `only`, the options wanted, by index: looked up once, not per option.
    let wanted: Option<Vec<bool>> = scope.only.map(|names| {
        let mut wanted = vec![false; schema.options.len()];
        for i in names.iter().filter_map(|name| schema.option_index(name)) {
            wanted[i] = true;
        }
        wanted
    });
    let is_wanted = |i: usize| wanted.as_ref().is_none_or(|w| w[i]);
    // Each definition's attributes by option (stably: definition order within an option),
    // found in one pass over the definitions; keys that are not options go to `free`.
    let mut by_option: Vec<(usize, &Entry)> = Vec::new();
    let mut free: Vec<&Entry> = Vec::new();
    let mut all_attrs = true;
    for d in defs {
        let Some(a) = d.value.attrs() else {
            all_attrs = false;
            continue;
        };
        for e in &a.entries {
            match schema.option_index(&e.key) {
                Some(i) if is_wanted(i) => by_option.push((i, e)),
                Some(_) => {}
                None if wanted.is_none() => free.push(e),
                None => {}
            }
        }
    }
    by_option.sort_by_key(|&(i, _)| i);
    // Merged in the schema's order (the order diagnostics come in), each with its place in
    // the order of names: only what merged is kept, and sorted by name at the end.
    let mut merged: Vec<(u32, Entry)> = Vec::with_capacity(by_option.len());
    // Where every option left undefined is left out (no submodule merging its defaults), only
    // the defined ones are visited: a unit's few definitions against its schema's sixty options.
    let defined_only = scope.sparse && !schema.has_submodule();
    let (mut next, mut every) = (0, 0..schema.options.len());
    loop {
        let i = if defined_only {
            match by_option.get(next) {
                Some(&(i, _)) => i,
                None => break,
            }
        } else {
            match every.next() {
                Some(i) => i,
                None => break,
            }
        };
        let (name, ty, default) = &schema.options[i];
        let start = next;
        while next < by_option.len() && by_option[next].0 == i {
            next += 1;
        }
        if !is_wanted(i) {
            continue;
        }
        let group = &by_option[start..next];
        let rank = schema.name_rank(i);
        if group.is_empty() && !matches!(ty, Ty::Submodule(_)) {
            // Only the default (see `merge_option`): no need for a location.
            if scope.sparse {
                continue;
            }
            if let Some(d) = default {
                merged.push((
                    rank,
                    Entry {
                        key: name.to_string(),
                        key_span: d.span,
                        value: d.clone(),
                    },
                ));
            }
            continue;
        }
        if let [(_, one)] = group
            && ty.takes_as_is(&one.value)
        {
            // One plain definition, which beats the default and merges to itself.
            merged.push((
                rank,
                Entry {
                    key: name.to_string(),
                    key_span: one.key_span,
                    value: one.value.clone(),
                },
            ));
            continue;
        }
        let option_defs = group.iter().map(|(_, e)| Def::new(&e.value)).collect();
        if let Some(m) = merge_option(&loc.child(name), ty, option_defs, default.as_ref(), diags) {
            let entry = Entry {
                key: name.to_string(),
                key_span: group.first().map_or(m.value.span, |(_, e)| e.key_span),
                value: m.value,
            };
            merged.push((rank, entry));
        }
    }
    if !all_attrs {
        return None;
    }
    merged.sort_unstable_by_key(|&(rank, _)| rank);
    // Keys that are not options, by name (stably: definition order within a name): the
    // freeform type takes them, or they are unknown.
    free.sort_by(|a, b| cmp_names(&a.key, &b.key));
    let mut freeform = Vec::new();
    for group in free.chunk_by(|a, b| a.key == b.key) {
        let name = group[0].key.as_str();
        match (&schema.freeform, schema.unknown) {
            (Some(ty), _) => {
                let values = group.iter().map(|e| Def::new(&e.value)).collect();
                if let Some(m) = merge_option(&loc.child(name), ty, values, None, diags) {
                    freeform.push(Entry {
                        key: name.to_string(),
                        key_span: group[0].key_span,
                        value: m.value,
                    });
                }
            }
            (None, Unknown::Ignore) => {}
            (None, Unknown::Error) => {
                for e in group {
                    diags.push(unknown_option(
                        &loc.child(name),
                        e.key_span,
                        schema.options.iter().map(|o| o.0),
                    ));
                }
            }
        }
    }
    // Both are sorted by name and their names are distinct: merge them into the attrset.
    let mut entries = Vec::with_capacity(merged.len() + freeform.len());
    let mut options = merged.into_iter().map(|(_, e)| e).peekable();
    let mut freeform = freeform.into_iter().peekable();
    loop {
        let next = match (options.peek(), freeform.peek()) {
            (Some(o), Some(f)) if f.key < o.key => freeform.next(),
            (Some(_), _) => options.next(),
            (None, _) => freeform.next(),
        };
        match next {
            Some(e) => entries.push(e),
            None => break,
        }
    }
    Some(Node::new(defs[0].span(), Kind::Attrs(Attrs { entries })))
}

/// "The option … does not exist", with the closest known option.
pub fn unknown_option<'k>(loc: &Loc, span: Span, known: impl Iterator<Item = &'k str>) -> Diagnostic {
    let name = loc.name();
    let known: Vec<&str> = known.collect();
    let mut d = Diagnostic::new(
        Code::UnknownOption,
        format!("the option `{}` does not exist", loc.show()),
    )
    .at(span, "unknown option");
    match crate::suggest::closest(name, known.iter().copied()) {
        Some(best) => d = d.help(format!("did you mean `{best}`?")),
        None => d = d.help(format!("known options here: {}", known.join(", "))),
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    /// The shortcut of `merge_modules_in` and `merge_attrs_of`: a value a type takes as it is
    /// is exactly what merging it alone gives, span and all.
    #[test]
    fn what_a_type_takes_as_is_is_its_merge_alone() {
        let at = |start| Span::new(crate::source::FileId(0), start, start + 1);
        let n = |start, kind| Node::new(at(start), kind);
        let s = |start, text: &str| n(start, Kind::Str(text.into()));
        let values = vec![
            n(1, Kind::Null),
            n(2, Kind::Bool(true)),
            n(3, Kind::Int(7)),
            s(4, "a line\nand another\n"),
            s(5, "x.service"),
            n(6, Kind::List(vec![s(7, "one"), n(8, Kind::Int(2))])),
            s(12, "a line\n"),
            n(13, Kind::List(vec![s(14, "a.service"), s(15, "b.target")])),
            n(16, Kind::List(vec![n(17, Kind::List(vec![n(18, Kind::Null)]))])),
            n(
                19,
                Kind::Attrs(Attrs::from_entries(vec![
                    Entry {
                        key: "b".into(),
                        key_span: at(20),
                        value: n(21, Kind::List(vec![s(22, "x")])),
                    },
                    Entry {
                        key: "a".into(),
                        key_span: at(23),
                        value: n(24, Kind::Null),
                    },
                ])),
            ),
            n(
                9,
                Kind::Attrs(Attrs::from_entries(vec![Entry {
                    key: "k".into(),
                    key_span: at(10),
                    value: s(11, "v"),
                }])),
            ),
        ];
        let types = [
            Ty::Bool,
            Ty::Int,
            Ty::Str,
            Ty::UnitName,
            Ty::Anything,
            Ty::UnitOption,
            Ty::Lines,
            Ty::Separated(" ".into()),
            Ty::Attrs,
            Ty::SysctlValue,
            Ty::NullOr(Box::new(Ty::Lines)),
            Ty::NullOr(Box::new(Ty::ListOf(Box::new(Ty::Str)))),
            Ty::SingleLineStr,
            Ty::ListOf(Box::new(Ty::Str)),
            Ty::ListOf(Box::new(Ty::UnitName)),
            Ty::ListOf(Box::new(Ty::ListOf(Box::new(Ty::Anything)))),
            Ty::AttrsOf(Box::new(Ty::UnitOption)),
            Ty::AttrsOf(Box::new(Ty::NullOr(Box::new(Ty::Str)))),
            Ty::AttrsOf(Box::new(Ty::Int)),
        ];
        let mut taken = 0;
        for ty in &types {
            for v in &values {
                if !ty.takes_as_is(v) {
                    continue;
                }
                taken += 1;
                let mut diags = Diagnostics::new();
                let merged = merge_option(&Loc::new(&["o"]), ty, vec![Def::new(v)], None, &mut diags);
                assert!(diags.items.is_empty(), "{ty:?} {v}");
                let merged = merged.map(|m| m.value);
                assert_eq!(merged.as_ref(), Some(v), "{ty:?} {v}");
            }
        }
        assert!(taken >= types.len(), "{taken}");
    }

    /// A node of JSON text, read with serde_json: the JSON frontend is a stage above this one.
    fn node(text: &str) -> Node {
        Node::from_json(serde_json::from_str(text).expect("test JSON parses"))
    }

    /// Unlike the evaluator, definition trees go on past a failure: a malformed property and
    /// every definition the type refuses are each a diagnostic, and the option has no value.
    #[test]
    fn every_malformed_property_and_ill_typed_definition_is_reported() {
        let defs = [
            node(r#"{"_type":"if","condition":"yes","content":1}"#),
            node(r#""two""#),
            node("3"),
            node(r#"{"_type":"merge","contents":[true]}"#),
        ];
        let mut diags = Diagnostics::new();
        let merged = merge_option(
            &Loc::new(&["o"]),
            &Ty::Int,
            defs.iter().map(Def::new).collect(),
            None,
            &mut diags,
        );
        assert!(merged.is_none());
        let codes: Vec<Code> = diags.items.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::InvalidProperty, Code::TypeMismatch, Code::TypeMismatch]);
    }

    /// The priority of what merged, and the default as `mkOptionDefault`.
    #[test]
    fn the_highest_priority_wins_and_is_given_with_the_value() {
        let default = node("0");
        // The value merged from definitions of JSON text, and its priority.
        let merged = |defs: &[&str]| {
            let defs: Vec<Node> = defs.iter().map(|d| node(d)).collect();
            let mut diags = Diagnostics::new();
            let m = merge_option(
                &Loc::new(&["o"]),
                &Ty::Int,
                defs.iter().map(Def::new).collect(),
                Some(&default),
                &mut diags,
            )
            .expect("merges");
            assert!(diags.items.is_empty());
            (m.value.to_json().to_string(), m.priority)
        };
        let forced = r#"{"_type":"override","priority":50,"content":2}"#;
        assert_eq!(merged(&["1", forced]), ("2".into(), crate::module_rules::MK_FORCE));
        let guarded = r#"{"_type":"if","condition":false,"content":1}"#;
        assert_eq!(merged(&[guarded]), ("0".into(), crate::module_rules::MK_OPTION_DEFAULT));
    }
}
