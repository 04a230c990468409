//! Option types, as nixpkgs `lib/types.nix` defines them — only the types the `services.netns`
//! module and systemd's service options use, each with its exact description and `check`.
//! How definitions of a type merge is in [`super::merge`].

use crate::node::{Kind, Node, cmp_names};
use rustc_hash::FxHashMap;

/// An option type.
#[derive(Clone, Debug)]
pub enum Ty {
    /// `types.bool`.
    Bool,
    /// `types.int`.
    Int,
    /// `types.str`: equal definitions merge, different ones conflict.
    Str,
    /// `types.enum [ … ]` of strings: one of these, merged as `str` is.
    Enum(&'static [&'static str]),
    /// `types.singleLineStr`.
    SingleLineStr,
    /// `types.lines`: definitions joined with newlines.
    Lines,
    /// `types.separatedString sep` (other than `lines`).
    Separated(String),
    /// `types.attrs`: a shallow `//` of the definitions; nothing inside is interpreted.
    Attrs,
    /// `types.attrsOf t`.
    AttrsOf(Box<Ty>),
    /// `types.listOf t`.
    ListOf(Box<Ty>),
    /// `types.nullOr t`.
    NullOr(Box<Ty>),
    /// A submodule with fixed options (and maybe a freeform type for other keys).
    Submodule(Box<Schema>),
    /// systemd's `unitNameType` (`strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|…)"`).
    UnitName,
    /// `oneOf [ str path package ]`: a value of `environment`.
    EnvValue,
    /// `oneOf [ package str ]`: an entry of `path`.
    PathEntry,
    /// The sysctl module's `sysctlOption`: bool, int, string or null; one definition only.
    SysctlValue,
    /// `highestValueType` of `net.core.{r,w}mem_max`: unsigned ints, the highest wins.
    HighestInt,
    /// systemd's `unitOption`: lists concatenate, other values must be equal.
    UnitOption,
    /// Anything, merged as `mergeEqualOption` (options we read but do not type).
    Anything,
    /// `types.either t1 t2`: merged by `t1` when every definition has it, else by `t2` when
    /// every one has that, else as `mergeOneOption`.
    Either(Box<Ty>, Box<Ty>),
}

/// The options of a submodule.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Option name, type, default (`None`: no default).
    pub options: Vec<(&'static str, Ty, Option<Node>)>,
    /// Type of keys that are not options (`freeformType`), if any.
    pub freeform: Option<Ty>,
    /// What keys that are neither options nor freeform are.
    pub unknown: Unknown,
    /// Each option's place in the order of the options' names (by index of `options`): a
    /// merge sorts the few options it merged by it, instead of walking every option by name.
    name_rank: Vec<u32>,
    /// The index of each option by name: every attribute of every definition is looked up,
    /// and the service schema has some fifty options, many with a prefix in common
    /// (`re…`, `start…`), which a search by comparison pays for at each step.
    index: FxHashMap<&'static str, usize>,
    /// Whether an option is a submodule, which merges its options' defaults with no
    /// definition.
    has_submodule: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unknown {
    /// An error that names the option and suggests the closest one.
    Error,
    /// Ignored (parts of a whole NixOS configuration we do not read).
    Ignore,
}

impl Schema {
    /// Option names must be distinct; their order is the order options are merged in.
    pub fn new(options: Vec<(&'static str, Ty, Option<Node>)>, freeform: Option<Ty>, unknown: Unknown) -> Schema {
        let mut by_name: Vec<usize> = (0..options.len()).collect();
        by_name.sort_by_key(|&i| options[i].0);
        let mut name_rank = vec![0; options.len()];
        for (rank, &i) in by_name.iter().enumerate() {
            name_rank[i] = rank as u32;
        }
        let index = options.iter().enumerate().map(|(i, o)| (o.0, i)).collect();
        let has_submodule = options.iter().any(|o| matches!(o.1, Ty::Submodule(_)));
        Schema {
            has_submodule,
            options,
            freeform,
            unknown,
            name_rank,
            index,
        }
    }

    /// The index of the option `name` in `options`.
    pub fn option_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Whether an option is a submodule: a merge that leaves undefined options out must still
    /// visit it.
    pub fn has_submodule(&self) -> bool {
        self.has_submodule
    }

    /// The place of option `i` (an index of `options`) in the order of the options' names.
    pub fn name_rank(&self, i: usize) -> u32 {
        self.name_rank[i]
    }

    pub fn option(&self, name: &str) -> Option<&(&'static str, Ty, Option<Node>)> {
        self.option_index(name).map(|i| &self.options[i])
    }
}

impl Ty {
    /// The type's name as nixpkgs describes it in "is not of type" errors.
    pub fn description(&self) -> String {
        match self {
            Ty::Bool => "boolean".into(),
            Ty::Int => "signed integer".into(),
            Ty::Str => "string".into(),
            Ty::Enum(values) => match values {
                [] => "impossible (empty enum)".into(),
                [one] => format!("value {one:?} (singular enum)"),
                _ => format!(
                    "one of {}",
                    values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
                ),
            },
            Ty::SingleLineStr => "(optionally newline-terminated) single-line string".into(),
            Ty::Lines => "strings concatenated with \"\\n\"".into(),
            Ty::Separated(sep) => format!("strings concatenated with {}", serde_json::to_string(sep).unwrap_or_default()),
            Ty::Attrs => "attribute set".into(),
            Ty::AttrsOf(t) => format!("attribute set of ({})", t.description()),
            Ty::ListOf(t) => format!("list of ({})", t.description()),
            Ty::NullOr(t) => format!("null or ({})", t.description()),
            Ty::Submodule(_) => "submodule".into(),
            Ty::UnitName => "string matching the pattern [a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)".into(),
            Ty::EnvValue => "null or string or absolute path or package".into(),
            Ty::PathEntry => "package or string".into(),
            Ty::SysctlValue => "sysctl option value".into(),
            Ty::HighestInt => "unsigned integer, meaning >=0".into(),
            Ty::UnitOption => "systemd option".into(),
            Ty::Anything => "anything".into(),
            Ty::Either(a, b) => format!("{} or {}", a.description(), b.description()),
        }
    }

    /// Whether one plain definition `v` merges to itself: a type whose merge of a single
    /// definition gives it back unchanged (`mergeEqualOption`; `unitOption`'s concatenation,
    /// `lines`' join and `attrs`' `//` of one; a `nullOr` of such a type), and a value that is
    /// no property and has the type. Merging it would only copy it; this lets callers skip
    /// the location and the bookkeeping.
    pub fn takes_as_is(&self, v: &Node) -> bool {
        self.merges_one_to_itself(v)
            && self.check(v)
            && !(matches!(v.kind, Kind::Attrs(_)) && super::property::is_property(v))
    }

    /// The first half of [`Ty::takes_as_is`]: the type's merge of `v` alone is `v`, if it has
    /// the type.
    fn merges_one_to_itself(&self, v: &Node) -> bool {
        match self {
            Ty::Bool
            | Ty::Int
            | Ty::Str
            | Ty::Enum(_)
            | Ty::UnitName
            | Ty::EnvValue
            | Ty::PathEntry
            | Ty::Anything
            | Ty::UnitOption
            | Ty::Lines
            | Ty::Separated(_)
            | Ty::Attrs
            | Ty::SysctlValue => true,
            // `mergeEqualOption`, then a last newline dropped.
            Ty::SingleLineStr => matches!(&v.kind, Kind::Str(s) if !s.ends_with('\n')),
            Ty::NullOr(inner) => matches!(v.kind, Kind::Null) || inner.merges_one_to_itself(v),
            // Each element merged alone, in order.
            Ty::ListOf(elem) => v
                .as_list()
                .is_some_and(|items| items.iter().all(|i| elem.takes_as_is(i))),
            // Each attribute merged alone, in name order (which a tree's attributes are in).
            Ty::AttrsOf(elem) => v.attrs().is_some_and(|a| {
                a.entries.iter().all(|e| elem.takes_as_is(&e.value))
                    && a.entries.windows(2).all(|w| cmp_names(&w[0].key, &w[1].key).is_lt())
            }),
            _ => false,
        }
    }

    /// The type's `check`: shallow, as in nixpkgs (elements are checked when merged).
    pub fn check(&self, v: &Node) -> bool {
        match self {
            Ty::Bool => matches!(v.kind, Kind::Bool(_)),
            Ty::Int => matches!(v.kind, Kind::Int(_)),
            Ty::Str | Ty::Lines | Ty::Separated(_) => matches!(v.kind, Kind::Str(_)),
            Ty::Enum(values) => matches!(&v.kind, Kind::Str(s) if values.contains(&s.as_str())),
            Ty::SingleLineStr => match &v.kind {
                Kind::Str(s) => {
                    let body = s.strip_suffix('\n').unwrap_or(s);
                    !body.contains(['\n', '\r'])
                }
                _ => false,
            },
            Ty::Attrs | Ty::AttrsOf(_) | Ty::Submodule(_) => matches!(v.kind, Kind::Attrs(_)),
            Ty::ListOf(_) => matches!(v.kind, Kind::List(_)),
            Ty::NullOr(t) => matches!(v.kind, Kind::Null) || t.check(v),
            Ty::UnitName => v.as_str().is_some_and(is_unit_name) && matches!(v.kind, Kind::Str(_)),
            Ty::EnvValue => matches!(v.kind, Kind::Str(_) | Kind::Path(_)) || is_derivation(v),
            Ty::PathEntry => matches!(v.kind, Kind::Str(_) | Kind::Path(_)) || is_derivation(v),
            Ty::SysctlValue => matches!(v.kind, Kind::Bool(_) | Kind::Int(_) | Kind::Str(_) | Kind::Null),
            Ty::HighestInt => matches!(v.kind, Kind::Int(i) if i >= 0),
            Ty::UnitOption | Ty::Anything => true,
            Ty::Either(a, b) => a.check(v) || b.check(v),
        }
    }
}

fn is_derivation(v: &Node) -> bool {
    v.attrs()
        .and_then(|a| a.get("type"))
        .and_then(Node::as_str)
        .is_some_and(|t| t == "derivation")
}

/// systemd's `unitNameType` pattern, matched against the whole string.
pub fn is_unit_name(s: &str) -> bool {
    const SUFFIXES: [&str; 11] = [
        "service",
        "socket",
        "device",
        "mount",
        "automount",
        "swap",
        "target",
        "path",
        "timer",
        "scope",
        "slice",
    ];
    // `[chars]+[.](suffix)`: the greedy `+` can end at any `.`, so try every `.` as the split.
    s.char_indices().filter(|&(_, c)| c == '.').any(|(i, _)| {
        let (stem, suffix) = (&s[..i], &s[i + 1..]);
        !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "@%:_.\\-".contains(c))
            && SUFFIXES.contains(&suffix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names() {
        assert!(is_unit_name("foo.service"));
        assert!(is_unit_name("a.b.target"));
        assert!(is_unit_name("getty@tty1.service"));
        assert!(!is_unit_name("foo"));
        assert!(!is_unit_name(".service"));
        assert!(!is_unit_name("foo.services"));
        assert!(!is_unit_name("a b.service"));
    }

    #[test]
    fn enums_as_nixpkgs_describes_and_checks_them() {
        let ty = Ty::Enum(&["allow", "disable", "tunnel"]);
        assert_eq!(ty.description(), r#"one of "allow", "disable", "tunnel""#);
        assert_eq!(Ty::Enum(&["only"]).description(), r#"value "only" (singular enum)"#);
        let s = |v: &str| Node::new(crate::source::Span::BUILTIN, Kind::Str(v.into()));
        assert!(ty.check(&s("tunnel")));
        assert!(!ty.check(&s("off")));
        let path = Node::new(crate::source::Span::BUILTIN, Kind::Path("allow".into()));
        assert!(!ty.check(&path));
    }
}
