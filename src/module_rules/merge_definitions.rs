//! `mergeDefinitions loc type defs` of nixpkgs' lib/modules.nix, generic over where
//! definitions come from and what a type is: [`normalized`] is `defsNormalized`,
//! [`overridden`] is `defsFiltered` (with `highestPrio`), [`defs_final`] is `defsFinal'`,
//! [`merged_value`] is `mergedValue` (with [`checked`], its type check), and [`is_defined`]
//! and [`optional_value`] are what their names say.
//!
//! Each stage reads a definition only through [`Normalizing`], [`Merging`] and the property
//! traits, in the order the Nix code reads it: a definition's value is read within its file's
//! error context and only as far as discharging reads it, `highestPrio` reads no content
//! beyond `_type` and `priority`, and only the type's `check` and `merge` read the values
//! themselves.

use super::properties::{
    Definitions, Discharge, Ordered, Overridden, PropertyType, Values, discharge, filter_overrides, sort_if_ordered,
};

/// A definition as the rules of a [`Normalizing`] source keep it.
pub type Def<S> = <<S as Normalizing>::Props as Definitions>::Def;
/// A value of a definition as a [`Normalizing`] source discharges it.
pub type Value<S> = <<S as Normalizing>::Props as Values>::Value;
/// A failure of discharging that a [`Normalizing`] source keeps going after (see [`Values::failed`]).
pub type Kept<S> = <<S as Normalizing>::Props as Values>::Error;

/// One option's definitions as `mergeDefinitions` reads them to find `defsFinal`.
pub trait Normalizing {
    /// How definitions' values answer the property rules (`Ordered` too, to sort them).
    type Props: Discharge + Definitions;
    /// A definition as the caller gives it: `{ file, value }`.
    type Given;
    /// `m.file` of a given definition (what a source needs of it).
    type File;
    type Error: From<<Self::Props as Values>::Error> + From<<Self::Props as Definitions>::Error>;

    fn props(&self) -> &Self::Props;
    /// `m.file` and `m.value` of a given definition; the value is read only in its file's
    /// context.
    fn parts(&self, given: Self::Given) -> (Self::File, Result<Value<Self>, Self::Error>);
    /// `addErrorContext "while evaluating definitions from `${m.file}':" (run ())`.
    fn in_file<T>(&self, file: &Self::File, run: impl FnOnce() -> Result<T, Self::Error>) -> Result<T, Self::Error>;
    /// `{ inherit (m) file; inherit value; }`: a discharged value, defined in `file`.
    fn definition(&self, file: &Self::File, value: Value<Self>) -> Result<Def<Self>, Self::Error>;
    /// An `mkDefinition` marker left by discharging: the definition it is, file and all.
    fn marked(&self, marker: Value<Self>) -> Result<Def<Self>, Self::Error>;
}

/// One option's definitions and its type, as `mergeDefinitions` reads them.
pub trait Merging: Normalizing {
    /// What the type's `merge` gives.
    type Merged;

    /// `type.check def.value`.
    fn check(&self, def: &Def<Self>) -> Result<bool, Self::Error>;
    /// `type.merge loc defsFinal`: `defs` are `defsFinal`, every one checked.
    fn merge(&self, defs: &[Def<Self>]) -> Result<Self::Merged, Self::Error>;
    /// "The option `…' is used but not defined."
    fn undefined(&self) -> Self::Error;
    /// "A definition for option `…' is not of type `…'." of the definitions `invalid`.
    fn not_of_type(&self, invalid: Vec<Def<Self>>) -> Self::Error;
}

/// `defsNormalized`: each given definition's value discharged within its file's context, in
/// turn; each value left is a definition of that file, except an `mkDefinition` marker, which
/// is one of its own. Failures the source keeps going after go to `kept`.
pub fn normalized<S: Normalizing>(
    src: &S,
    given: impl IntoIterator<Item = Result<S::Given, S::Error>>,
    kept: &mut Vec<Kept<S>>,
) -> Result<Vec<Def<S>>, S::Error> {
    let props = src.props();
    let given = given.into_iter();
    let mut defs = Vec::with_capacity(given.size_hint().0);
    for m in given {
        let (file, value) = src.parts(m?);
        let mut values = Vec::new();
        src.in_file(&file, || Ok(discharge(props, value?, &mut values, kept)?))?;
        for value in values {
            // `value._type or null == "definition"`: discharging has read `_type` already.
            defs.push(match Values::property_type(props, &value)? {
                PropertyType::Definition => src.marked(value)?,
                _ => src.definition(&file, value)?,
            });
        }
    }
    Ok(defs)
}

/// `defsFiltered`: the [`normalized`] definitions of the highest priority, and that priority
/// (`highestPrio`, which reads nothing of the values kept).
pub fn overridden<S: Normalizing>(
    src: &S,
    given: impl IntoIterator<Item = Result<S::Given, S::Error>>,
    kept: &mut Vec<Kept<S>>,
) -> Result<Overridden<S::Props>, S::Error> {
    let defs = normalized(src, given, kept)?;
    Ok(filter_overrides(src.props(), defs)?)
}

/// `defsFinal'`: the [`overridden`] definitions sorted where any has an `mkOrder`, and
/// `highestPrio`.
pub fn defs_final<S: Normalizing>(
    src: &S,
    given: impl IntoIterator<Item = Result<S::Given, S::Error>>,
    kept: &mut Vec<Kept<S>>,
) -> Result<Overridden<S::Props>, S::Error>
where
    S::Props: Ordered,
{
    let (defs, highest) = overridden(src, given, kept)?;
    Ok((sort_if_ordered(src.props(), defs)?, highest))
}

/// `isDefined`: whether any definition is left in `defsFinal`.
pub fn is_defined<D>(defs_final: &[D]) -> bool {
    !defs_final.is_empty()
}

/// `optionalValue`: `{ value = mergedValue; }` when defined, else `{ }`; `merged` is read only
/// when defined.
pub fn optional_value<D, T>(defs_final: &[D], merged: impl FnOnce() -> T) -> Option<T> {
    is_defined(defs_final).then(merged)
}

/// `all (def: type.check def.value) defsFinal`, else the "not of type" error of
/// `filter (def: !type.check def.value) defsFinal`, which checks every definition again.
#[inline]
pub fn checked<S: Merging>(src: &S, defs_final: &[Def<S>]) -> Result<(), S::Error>
where
    Def<S>: Clone,
{
    for def in defs_final {
        if !src.check(def)? {
            return Err(not_of_type(src, defs_final));
        }
    }
    Ok(())
}

/// The "not of type" error of the definitions that fail the check (kept out of [`checked`],
/// which every option's merge goes through).
#[cold]
fn not_of_type<S: Merging>(src: &S, defs_final: &[Def<S>]) -> S::Error
where
    Def<S>: Clone,
{
    let mut invalid = Vec::new();
    for def in defs_final {
        match src.check(def) {
            Ok(true) => {}
            Ok(false) => invalid.push(def.clone()),
            Err(e) => return e,
        }
    }
    src.not_of_type(invalid)
}

/// `mergedValue`: "used but not defined" without definitions, else every definition
/// [`checked`] and then the type's merge.
#[inline]
pub fn merged_value<S: Merging>(src: &S, defs_final: &[Def<S>]) -> Result<S::Merged, S::Error>
where
    Def<S>: Clone,
{
    if !is_defined(defs_final) {
        return Err(src.undefined());
    }
    checked(src, defs_final)?;
    src.merge(defs_final)
}

/// nixpkgs' texts of `mergedValue`'s errors, given the parts its Nix code shows
/// (`showOption loc`, `type.description`, `showDefs`).
pub mod message {
    /// The context of a definition's evaluation (`addErrorContext "while evaluating
    /// definitions from `${m.file}':"`), a note of the error it gives.
    pub fn definitions_from(file: &str) -> String {
        format!("while evaluating definitions from `{file}':")
    }

    /// The file a note made by [`definitions_from`] names.
    pub fn file_of_definitions_from(note: &str) -> Option<&str> {
        note.strip_prefix("while evaluating definitions from `")?
            .strip_suffix("':")
    }

    /// Without definitions.
    pub fn undefined(option: &str) -> String {
        format!("The option `{option}' is used but not defined.")
    }

    /// Definitions that fail the type's check; `shown` is `showDefs` of them.
    pub fn not_of_type(option: &str, description: &str, shown: &str) -> String {
        format!("A definition for option `{option}' is not of type `{description}'. Definition values:{shown}")
    }
}

#[cfg(test)]
mod tests {
    //! `mergeDefinitions` over a source that records every read (see [`super::super::recording`]).
    use super::super::properties::{MK_BEFORE, MK_DEFAULT, MK_FORCE};
    use super::super::recording::{Recording, V, when};
    use super::*;

    /// A given definition: its file and its value.
    type Given = (&'static str, V);

    /// An option whose type takes integers and merges them by adding them up. A definition
    /// is recorded as made, with its file, rather than kept in the record.
    #[derive(Default)]
    struct Summing(Recording);

    impl Normalizing for Summing {
        type Props = Recording;
        type Given = Given;
        type File = &'static str;
        type Error = String;

        fn props(&self) -> &Recording {
            &self.0
        }

        /// The value is read where `run` reads it, as a thunk would be.
        fn parts(&self, given: Given) -> (&'static str, Result<V, String>) {
            (given.0, Ok(given.1))
        }

        fn in_file<T>(&self, file: &&'static str, run: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
            self.0.note(format!("in:{file}"));
            let result = run().map_err(|e| format!("while evaluating definitions from `{file}': {e}"));
            self.0.note(format!("out:{file}"));
            result
        }

        fn definition(&self, file: &&'static str, value: V) -> Result<(V, i64), String> {
            self.0.read(&format!("defined in {file}"), &value);
            Ok((value, DEFAULT))
        }

        fn marked(&self, marker: V) -> Result<(V, i64), String> {
            let V::Definition(file, value) = marker else {
                unreachable!("only a marker is marked")
            };
            self.0.read(&format!("defined in {file}"), &value);
            Ok((*value, DEFAULT))
        }
    }

    impl Merging for Summing {
        type Merged = i64;

        fn check(&self, def: &(V, i64)) -> Result<bool, String> {
            let value = value_of(def);
            self.0.read("check", value);
            Ok(matches!(value, V::Plain(_)))
        }

        fn merge(&self, defs: &[(V, i64)]) -> Result<i64, String> {
            self.0.note(format!("merge:{}", defs.len()));
            Ok(defs
                .iter()
                .map(|d| match value_of(d) {
                    V::Plain(n) => n,
                    _ => unreachable!("checked"),
                })
                .sum())
        }

        fn undefined(&self) -> String {
            "used but not defined".into()
        }

        fn not_of_type(&self, invalid: Vec<(V, i64)>) -> String {
            format!("not of type: {}", invalid.len())
        }
    }

    const DEFAULT: i64 = super::super::properties::DEFAULT_ORDER;

    /// The value of a definition record.
    fn value_of(def: &(V, i64)) -> &V {
        &def.0
    }

    fn values(defs: &[(V, i64)]) -> Vec<V> {
        defs.iter().map(|d| value_of(d).clone()).collect()
    }

    #[test]
    fn a_value_is_read_within_its_file_and_a_false_condition_guards_its_content() {
        let o = Summing::default();
        let given = vec![Ok(("a.nix", when(false, V::Plain(1)))), Ok(("b.nix", V::Plain(2)))];
        let defs = normalized(&o, given, &mut Vec::new()).unwrap();
        assert_eq!(values(&defs), [V::Plain(2)]);
        assert_eq!(
            o.0.take(),
            [
                "in:a.nix",
                "type:if",
                "condition:if",
                "out:a.nix",
                // Each definition left is asked whether it is an `mkDefinition` marker.
                "in:b.nix",
                "type:2",
                "out:b.nix",
                "type:2",
                "defined in b.nix:2",
            ]
        );
    }

    #[test]
    fn a_failure_is_in_its_files_context_and_stops_the_definitions_after_it() {
        let o = Summing::default();
        let given = vec![
            Ok(("a.nix", V::If(Err("not a bool"), Box::new(V::Plain(1))))),
            Ok(("b.nix", V::Plain(2))),
        ];
        assert_eq!(
            normalized(&o, given, &mut Vec::new()).unwrap_err(),
            "while evaluating definitions from `a.nix': not a bool"
        );
        assert!(o.0.take().iter().all(|read| !read.ends_with("b.nix")));
    }

    #[test]
    fn highest_prio_reads_no_value_beyond_its_priority() {
        let o = Summing::default();
        let given = vec![
            Ok(("a.nix", V::Override(MK_DEFAULT, Box::new(V::Plain(1))))),
            Ok((
                "b.nix",
                V::Override(MK_FORCE, Box::new(V::Order(MK_BEFORE, Box::new(V::Plain(2))))),
            )),
        ];
        let (defs, highest) = overridden(&o, given, &mut Vec::new()).unwrap();
        assert_eq!(highest, MK_FORCE);
        // The content kept is an `mkOrder` not yet looked into: only sorting reads it.
        assert_eq!(values(&defs), [V::Order(MK_BEFORE, Box::new(V::Plain(2)))]);
        let reads = o.0.take();
        assert!(!reads.iter().any(|r| r.contains("order")), "{reads:?}");
        assert!(
            !reads.iter().any(|r| r.starts_with("check") || r.starts_with("merge")),
            "{reads:?}"
        );
    }

    #[test]
    fn a_marker_is_a_definition_of_its_own_file_and_taken_undischarged() {
        let o = Summing::default();
        let marker = V::Definition("m.nix", Box::new(V::Override(MK_FORCE, Box::new(V::Plain(7)))));
        let given = vec![Ok(("a.nix", V::Merge(vec![V::Plain(1), marker])))];
        let defs = normalized(&o, given, &mut Vec::new()).unwrap();
        assert_eq!(
            values(&defs),
            [V::Plain(1), V::Override(MK_FORCE, Box::new(V::Plain(7)))]
        );
        let reads = o.0.take();
        let made: Vec<&String> = reads.iter().filter(|r| r.starts_with("defined")).collect();
        assert_eq!(made, ["defined in a.nix:1", "defined in m.nix:override50"]);
        // The override inside the marker still counts.
        let (defs, highest) = filter_overrides(o.props(), defs).unwrap();
        assert_eq!((values(&defs), highest), (vec![V::Plain(7)], MK_FORCE));
    }

    #[test]
    fn merged_value_checks_every_definition_before_merging() {
        let o = Summing::default();
        let given = vec![
            Ok(("a.nix", V::Order(MK_BEFORE + 1000, Box::new(V::Plain(1))))),
            Ok(("b.nix", V::Plain(2))),
        ];
        let (defs, _) = defs_final(&o, given, &mut Vec::new()).unwrap();
        o.0.take();
        assert_eq!(merged_value(&o, &defs), Ok(3));
        assert_eq!(o.0.take(), ["check:2", "check:1", "merge:2"]);
        assert_eq!(optional_value(&defs, || 3), Some(3));
    }

    #[test]
    fn an_invalid_definition_is_checked_again_by_the_filter_and_nothing_merges() {
        let o = Summing::default();
        let defs = vec![
            (V::Plain(1), DEFAULT),
            (V::Attrs(Vec::new()), DEFAULT),
            (V::Plain(3), DEFAULT),
        ];
        assert_eq!(merged_value(&o, &defs), Err("not of type: 1".to_string()));
        assert_eq!(
            o.0.take(),
            ["check:1", "check:attrs", "check:1", "check:attrs", "check:3"]
        );
    }

    #[test]
    fn without_definitions_nothing_is_checked() {
        let o = Summing::default();
        let (defs, highest) = defs_final(&o, vec![Ok(("a.nix", when(false, V::Plain(1))))], &mut Vec::new()).unwrap();
        assert_eq!(highest, super::super::properties::NO_PRIORITY);
        o.0.take();
        assert_eq!(merged_value(&o, &defs), Err("used but not defined".to_string()));
        assert!(o.0.take().is_empty());
        assert!(!is_defined(&defs));
        assert_eq!(optional_value(&defs, || unreachable!("not read")), None::<i64>);
    }
}
