//! systemd's dependency options — `After=`, `Requires=`, `WantedBy=`, … — in one table
//! ([`DEPENDENCY_OPTIONS`]): the NixOS option that sets each (`systemd.services.<name>.after`),
//! the key and section of the unit file, and what it means between two units. The module
//! stage's schemas, the model's relations, the rendering of units and drop-ins and the graph's
//! edges all read it, so they cannot disagree on what an option is.
//!
//! On the ground floor because every stage from `module` up names these options.

use crate::source::Span;
use std::fmt;

/// A dependency option of a unit file.
///
/// The order of the variants is part of the graph's output: edges between the same two units
/// are sorted by it (see `graph`). New variants keep the relative order of the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepOption {
    After,
    Before,
    Requires,
    Wants,
    BindsTo,
    PartOf,
    Requisite,
    Upholds,
    Conflicts,
    OnFailure,
    OnSuccess,
    JoinsNamespaceOf,
    WantedBy,
    RequiredBy,
    /// NixOS's `upheldBy`: no `[Install]` line, only `<target>.upholds/` links, which systemd
    /// reads as the target's `Upholds=` on the unit.
    UpheldBy,
    /// Not written by anyone: the implicit dependencies systemd gives a unit that keeps
    /// `DefaultDependencies=yes` (systemd.service(5)). A [`Relation`] with this option is
    /// ignored.
    DefaultDependencies,
}

/// What an edge between two units means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// `from` starts before `to`.
    Order,
    /// `from` pulls in (or joins, or is part of) `to`; no ordering.
    Requirement,
    /// `from` conflicts with `to`.
    Conflict,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Order => "order",
            EdgeKind::Requirement => "requirement",
            EdgeKind::Conflict => "conflict",
        }
    }
}

/// The section of a unit file a dependency option is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Unit,
    Install,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Unit => "Unit",
            Section::Install => "Install",
        }
    }
}

/// What `option=target` of a unit means between it and `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub kind: EdgeKind,
    /// The edge runs from the target to the declaring unit: `After=` (the target starts
    /// first), `WantedBy=` (installed as the target's `Wants=` on the unit).
    pub from_target: bool,
}

/// One row of [`DEPENDENCY_OPTIONS`].
#[derive(Debug)]
pub struct DependencyOption {
    pub option: DepOption,
    /// As a unit file spells it.
    pub key: &'static str,
    /// The option of a NixOS service that sets it (`systemd.services.<name>.<nixos>`), a list
    /// of unit names; `None` where NixOS has none.
    pub nixos: Option<&'static str>,
    pub section: Section,
    /// Its edge in the graph; `None` for what neither orders nor pulls in a unit with the one
    /// that declares it (`OnFailure=` starts a unit when this one fails), and for the default
    /// dependencies, which the graph adds itself.
    pub effect: Option<Effect>,
    /// A target that pulls in a unit by this option is also ordered after it (systemd's
    /// `UNIT_ATOM_ADD_DEFAULT_TARGET_DEPENDENCY_QUEUE`: `Requires=`, `Requisite=`, `Wants=`,
    /// `BindsTo=`, `Upholds=`, `PartOf=`; plus the install-time `WantedBy=`/`RequiredBy=` of the
    /// other unit, which become the target's `Wants=`/`Requires=`), systemd.target(5).
    pub orders_target_after: bool,
}

const fn row(
    option: DepOption,
    key: &'static str,
    nixos: Option<&'static str>,
    section: Section,
    effect: Option<Effect>,
    orders_target_after: bool,
) -> DependencyOption {
    DependencyOption {
        option,
        key,
        nixos,
        section,
        effect,
        orders_target_after,
    }
}

const ORDERS: Option<Effect> = Some(Effect {
    kind: EdgeKind::Order,
    from_target: false,
});
const ORDERED_AFTER: Option<Effect> = Some(Effect {
    kind: EdgeKind::Order,
    from_target: true,
});
const PULLS_IN: Option<Effect> = Some(Effect {
    kind: EdgeKind::Requirement,
    from_target: false,
});
const PULLED_IN_BY: Option<Effect> = Some(Effect {
    kind: EdgeKind::Requirement,
    from_target: true,
});
const CONFLICTS: Option<Effect> = Some(Effect {
    kind: EdgeKind::Conflict,
    from_target: false,
});

/// Every dependency option netns-compile knows. Those with a NixOS option come first, in the
/// order systemd-unit-options.nix declares them (the order they are merged, and so the order
/// of their diagnostics).
pub const DEPENDENCY_OPTIONS: [DependencyOption; 16] = {
    use DepOption::*;
    use Section::{Install, Unit};
    [
        row(Requires, "Requires", Some("requires"), Unit, PULLS_IN, true),
        row(Wants, "Wants", Some("wants"), Unit, PULLS_IN, true),
        row(Upholds, "Upholds", Some("upholds"), Unit, PULLS_IN, true),
        row(After, "After", Some("after"), Unit, ORDERED_AFTER, false),
        row(Before, "Before", Some("before"), Unit, ORDERS, false),
        row(BindsTo, "BindsTo", Some("bindsTo"), Unit, PULLS_IN, true),
        row(PartOf, "PartOf", Some("partOf"), Unit, PULLS_IN, true),
        row(Conflicts, "Conflicts", Some("conflicts"), Unit, CONFLICTS, false),
        row(Requisite, "Requisite", Some("requisite"), Unit, PULLS_IN, true),
        row(OnFailure, "OnFailure", Some("onFailure"), Unit, None, false),
        row(OnSuccess, "OnSuccess", Some("onSuccess"), Unit, None, false),
        row(WantedBy, "WantedBy", Some("wantedBy"), Install, PULLED_IN_BY, true),
        row(
            RequiredBy,
            "RequiredBy",
            Some("requiredBy"),
            Install,
            PULLED_IN_BY,
            true,
        ),
        row(UpheldBy, "UpheldBy", Some("upheldBy"), Install, PULLED_IN_BY, true),
        row(JoinsNamespaceOf, "JoinsNamespaceOf", None, Unit, PULLS_IN, false),
        row(DefaultDependencies, "DefaultDependencies", None, Unit, None, false),
    ]
};

impl DepOption {
    /// Its row of [`DEPENDENCY_OPTIONS`].
    pub fn info(self) -> &'static DependencyOption {
        DEPENDENCY_OPTIONS
            .iter()
            .find(|d| d.option == self)
            .expect("every dependency option has a row in DEPENDENCY_OPTIONS")
    }

    /// The directive as written in a unit file.
    pub fn as_str(self) -> &'static str {
        self.info().key
    }

    /// The option written `key=` in `section` of a unit file, if it is one.
    pub fn of_key(section: &str, key: &str) -> Option<DepOption> {
        DEPENDENCY_OPTIONS
            .iter()
            .find(|d| d.key == key && d.section.as_str() == section)
            .map(|d| d.option)
    }
}

impl fmt::Display for DepOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The dependency options of a NixOS service written in `section`, in declaration order,
/// each with its NixOS name.
pub fn nixos_dependency_options(section: Section) -> impl Iterator<Item = (&'static str, &'static DependencyOption)> {
    DEPENDENCY_OPTIONS
        .iter()
        .filter(move |d| d.section == section)
        .filter_map(|d| Some((d.nixos?, d)))
}

/// One dependency as the declaring unit says it: `option=target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    pub option: DepOption,
    pub target: String,
    /// Where it was written; a builtin span for what netns-compile writes itself.
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::DepOption::*;
    use super::*;

    #[test]
    fn every_option_has_exactly_one_row() {
        let all = [
            After,
            Before,
            Requires,
            Wants,
            BindsTo,
            PartOf,
            Requisite,
            Upholds,
            Conflicts,
            OnFailure,
            OnSuccess,
            JoinsNamespaceOf,
            WantedBy,
            RequiredBy,
            UpheldBy,
            DefaultDependencies,
        ];
        assert_eq!(all.len(), DEPENDENCY_OPTIONS.len());
        for option in all {
            let rows = DEPENDENCY_OPTIONS.iter().filter(|d| d.option == option).count();
            assert_eq!(rows, 1, "{option:?}");
            assert_eq!(
                DepOption::of_key(option.info().section.as_str(), option.as_str()),
                Some(option)
            );
        }
    }

    #[test]
    fn nixos_names_are_the_keys_in_camel_case() {
        for (nixos, d) in [Section::Unit, Section::Install]
            .into_iter()
            .flat_map(nixos_dependency_options)
        {
            let mut chars = d.key.chars();
            let first = chars.next().map(|c| c.to_ascii_lowercase());
            assert_eq!(Some(nixos.to_string()), first.map(|c| c.to_string() + chars.as_str()));
        }
    }

    #[test]
    fn only_pulling_in_orders_a_target_after_the_unit() {
        for d in &DEPENDENCY_OPTIONS {
            if d.orders_target_after {
                assert_eq!(d.effect.map(|e| e.kind), Some(EdgeKind::Requirement), "{:?}", d.option);
            }
        }
    }
}
