//! A `systemd.services.<name>` read by option: the names of a NixOS service's options the
//! model takes from the unit it merges (`model/service.rs`), kept here beside their schema.
//!
//! [`UnitOptions`] is a view, not a copy: each accessor looks its option up when the model
//! asks, so the model reads (and reports) in the order it always has.

use super::property::Def;
use super::schema::SCRIPT_OPTIONS;
use crate::dependency::{DependencyOption, Section, nixos_dependency_options};
use crate::node::{Attrs, Kind, Node};

/// `systemd.services.<name>.netns` (SPEC §3.5): the namespace a service joins.
pub const JOIN_OPTION: &str = "netns";

/// A unit's options, merged or as one definition gives them.
#[derive(Clone, Copy, Debug)]
pub struct UnitOptions<'a> {
    attrs: &'a Attrs,
}

impl<'a> UnitOptions<'a> {
    fn new(attrs: &'a Attrs) -> Self {
        UnitOptions { attrs }
    }

    /// The options of `node`, where it is an attribute set.
    pub fn read(node: &'a Node) -> Option<Self> {
        node.attrs().map(Self::new)
    }

    fn get(&self, option: &str) -> Option<&'a Node> {
        self.attrs.get(option)
    }

    fn flag(&self, option: &str, default: bool) -> bool {
        self.get(option).and_then(Node::as_bool).unwrap_or(default)
    }

    /// The strings of a list option (or none).
    fn strings(&self, option: &str) -> Vec<String> {
        self.get(option)
            .and_then(Node::as_list)
            .map(|l| l.iter().filter_map(|n| n.as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    /// The job scripts that are defined (`preStart`, `script`, …), each with its option's
    /// name and the suffix of its file name, in `serviceOptions`' order.
    pub fn scripts(&self) -> impl Iterator<Item = (&'static str, &'static str, &'a Node)> + '_ {
        SCRIPT_OPTIONS
            .iter()
            .filter_map(|(option, suffix)| Some((*option, *suffix, self.get(option)?)))
    }

    pub fn script_args(&self) -> &'a str {
        self.get("scriptArgs").and_then(Node::as_str).unwrap_or("")
    }

    /// The unit's own `enableStrictShellChecks`, where defined.
    pub fn strict_shell_checks(&self) -> Option<&'a Node> {
        self.get("enableStrictShellChecks")
    }

    /// The dependency options written in `section` that are defined, in declaration order.
    pub fn dependencies(&self, section: Section) -> impl Iterator<Item = (&'static DependencyOption, &'a Node)> + '_ {
        nixos_dependency_options(section).filter_map(|(option, d)| Some((d, self.get(option)?)))
    }

    pub fn restart_triggers(&self) -> Option<&'a Node> {
        self.get("restartTriggers")
    }

    pub fn reload_triggers(&self) -> Option<&'a Node> {
        self.get("reloadTriggers")
    }

    pub fn description(&self) -> Option<&'a str> {
        self.get("description").and_then(Node::as_str)
    }

    pub fn documentation(&self) -> Option<&'a Node> {
        self.get("documentation")
    }

    pub fn start_limit_interval_sec(&self) -> Option<&'a Node> {
        self.get("startLimitIntervalSec")
    }

    pub fn start_limit_burst(&self) -> Option<&'a Node> {
        self.get("startLimitBurst")
    }

    /// `path`: the packages whose `bin` and `sbin` make the unit's `PATH`.
    pub fn path(&self) -> Option<&'a Node> {
        self.get("path")
    }

    pub fn enable(&self) -> bool {
        self.flag("enable", true)
    }

    pub fn unit_config(&self) -> Option<&'a Node> {
        self.get("unitConfig")
    }

    pub fn service_config(&self) -> Option<&'a Node> {
        self.get("serviceConfig")
    }

    pub fn environment(&self) -> Option<&'a Node> {
        self.get("environment")
    }

    pub fn reload_if_changed(&self) -> bool {
        self.flag("reloadIfChanged", false)
    }

    pub fn restart_if_changed(&self) -> bool {
        self.flag("restartIfChanged", true)
    }

    pub fn stop_if_changed(&self) -> bool {
        self.flag("stopIfChanged", true)
    }

    pub fn not_socket_activated(&self) -> bool {
        self.flag("notSocketActivated", false)
    }

    pub fn wanted_by(&self) -> Vec<String> {
        self.strings("wantedBy")
    }

    pub fn required_by(&self) -> Vec<String> {
        self.strings("requiredBy")
    }

    pub fn upheld_by(&self) -> Vec<String> {
        self.strings("upheldBy")
    }

    pub fn aliases(&self) -> Vec<String> {
        self.strings("aliases")
    }

    /// `startAt`, after its `apply = toList`.
    pub fn start_at(&self) -> Vec<String> {
        match self.get("startAt") {
            Some(Node {
                kind: Kind::Str(one), ..
            }) => vec![one.clone()],
            _ => self.strings("startAt"),
        }
    }

    /// `overrideStrategy`, where it is `"asDropin"`.
    pub fn as_dropin(&self) -> Option<&'a Node> {
        self.get("overrideStrategy").filter(|s| s.as_str() == Some("asDropin"))
    }

    /// [`JOIN_OPTION`], where it names a namespace (not null).
    pub fn netns(&self) -> Option<&'a Node> {
        self.get(JOIN_OPTION).filter(|n| !matches!(n.kind, Kind::Null))
    }
}

/// The options systemd's service module derives definitions from: the job scripts (and
/// `scriptArgs`), the `[Unit]` keys of the dependency options, and the other options its
/// `unitConfig` reads.
pub fn derived_from() -> &'static [&'static str] {
    static OPTIONS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut options: Vec<&str> = SCRIPT_OPTIONS.iter().map(|(o, _)| *o).collect();
        options.push("scriptArgs");
        options.extend(nixos_dependency_options(Section::Unit).map(|(o, _)| o));
        options.extend([
            "description",
            "documentation",
            "startLimitIntervalSec",
            "startLimitBurst",
            "restartTriggers",
            "reloadTriggers",
            "enableStrictShellChecks",
        ]);
        options
    });
    &OPTIONS
}

/// A definition of a namespace's unit without [`JOIN_OPTION`], which every
/// `systemd.services.<name>` has for joining (`joining_service_schema`) and the namespace's
/// own unit has nothing to do with: it is read for joining, where a namespace's own unit that
/// joins one is refused (`netns::joins-two-namespaces`). The option is taken out through
/// property markers, as nix/lib.nix's `withoutKeys` takes keys out, so that the rules see the
/// definition otherwise as it was written (a malformed marker is left to them to report).
pub fn without_join_option(def: &Node) -> Def<'_> {
    match without_key(def, JOIN_OPTION) {
        Some(copy) => Def::owned(copy),
        None => Def::new(def),
    }
}

/// `node` without the attribute `key` wherever a definition of it would be, through property
/// markers; `None` where it has none (nothing is copied).
fn without_key(node: &Node, key: &str) -> Option<Node> {
    let attrs = node.attrs()?;
    let field = match node.type_tag() {
        None => {
            attrs.get(key)?;
            let mut copy = attrs.clone();
            copy.entries.retain(|e| e.key != key);
            return Some(Node::new(node.span, Kind::Attrs(copy)));
        }
        Some("merge") => {
            let contents = attrs.get("contents")?;
            let items = contents.as_list()?;
            let stripped: Vec<Option<Node>> = items.iter().map(|i| without_key(i, key)).collect();
            if stripped.iter().all(Option::is_none) {
                return None;
            }
            let items = stripped
                .into_iter()
                .zip(items)
                .map(|(s, i)| s.unwrap_or_else(|| i.clone()));
            return Some(with_field(
                node,
                "contents",
                Node::new(contents.span, Kind::List(items.collect())),
            ));
        }
        Some("if" | "override" | "order") => "content",
        Some("definition") => "value",
        Some(_) => return None,
    };
    Some(with_field(node, field, without_key(attrs.get(field)?, key)?))
}

/// A copy of the attribute set `node` with `field` set to `value`.
fn with_field(node: &Node, field: &str, value: Node) -> Node {
    let mut copy = node.attrs().cloned().unwrap_or_default();
    if let Some(e) = copy.entries.iter_mut().find(|e| e.key == field) {
        e.value = value;
    }
    Node::new(node.span, Kind::Attrs(copy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::schema::service_schema;

    fn node(text: &str) -> Node {
        Node::from_json(serde_json::from_str(text).expect("test JSON parses"))
    }

    #[test]
    fn the_join_option_is_taken_out_through_property_markers() {
        let def = node(
            r#"{"_type":"merge","contents":[{"netns":"vpn","after":["a.service"]},{"_type":"if","condition":true,"content":{"_type":"override","priority":1000,"content":{"netns":"x"}}},{"before":["b.service"]}]}"#,
        );
        let stripped = without_join_option(&def);
        assert!(matches!(stripped.value, std::borrow::Cow::Owned(_)));
        assert_eq!(
            stripped.value.to_json().to_string(),
            r#"{"_type":"merge","contents":[{"after":["a.service"]},{"_type":"if","condition":true,"content":{"_type":"override","content":{},"priority":1000}},{"before":["b.service"]}]}"#
        );
        // Without the option, nothing is copied; a malformed marker is left to the rules.
        for text in [r#"{"after":["a.service"]}"#, r#"{"_type":"if","condition":true}"#] {
            let def = node(text);
            assert!(matches!(without_join_option(&def).value, std::borrow::Cow::Borrowed(_)));
        }
    }

    #[test]
    fn the_derivations_read_options_of_the_service() {
        for o in derived_from() {
            assert!(service_schema().option(o).is_some(), "{o}");
        }
    }
}
