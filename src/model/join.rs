//! What joining a namespace adds to a unit: the relations of its drop-in (SPEC §3.5), which
//! the emitter writes and the graph orders by, so that the two cannot disagree.

use crate::dependency::{DepOption, Relation};
use crate::source::Span;

/// The resolvers whose sockets a joining service must not reach, and the folder each keeps
/// them in (its `RuntimeDirectory=`).
pub const RESOLVERS: [(&str, &str); 2] = [
    ("nscd.service", "/run/nscd"),
    ("systemd-resolved.service", "/run/systemd/resolve"),
];

/// The resolvers a joining service is kept from: all but itself (a resolver that joins a
/// namespace keeps its own folder, and is not ordered after or part of itself).
pub fn resolvers_to_hide(service: &str) -> Vec<(&'static str, &'static str)> {
    RESOLVERS.into_iter().filter(|(unit, _)| *unit != service).collect()
}

/// The resolver folders hidden from `service`, each to be covered by an empty read-only
/// tmpfs (`TemporaryFileSystem=`; see the emitter's `render_dropin` for why not
/// `InaccessiblePaths=`).
pub fn resolver_covers(service: &str) -> Vec<String> {
    resolvers_to_hide(service)
        .iter()
        .map(|(_, dir)| dir.to_string())
        .collect()
}

/// The resolvers `service` is ordered after and part of: those it is kept from, except that of
/// two resolvers that both join a namespace only the later in [`RESOLVERS`] follows the other
/// (each `After=` the other would be an ordering cycle, which systemd breaks by dropping a
/// job at boot). `joins` says whether a unit joins a namespace.
pub fn resolvers_to_follow(service: &str, joins: impl Fn(&str) -> bool) -> Vec<&'static str> {
    let position = |unit: &str| RESOLVERS.iter().position(|(u, _)| *u == unit);
    let own = position(service);
    resolvers_to_hide(service)
        .into_iter()
        .map(|(unit, _)| unit)
        .filter(|unit| match own {
            Some(own) if joins(unit) => position(unit) < Some(own),
            _ => true,
        })
        .collect()
}

/// The relations of the drop-in that makes `service` run in the namespace of
/// `namespace_unit`: it starts after the namespace, is bound to it and joins it; with a tunnel
/// (the unit `tunnel`), it starts after it and requires it, so that a tunnel that fails to come
/// up keeps it from starting (SPEC §14) — `Requires=`, not `BindsTo=`: the watchdog restarts the
/// tunnel's unit ignoring dependencies, and a service bound to it would be stopped the moment
/// the unit is inactive, where the service is to keep running, cut off; and it is
/// `After=` and `PartOf=` the resolvers it is kept from ([`resolvers_to_follow`]). A resolver whose
/// `RuntimeDirectoryPreserve=` is `no` (NixOS's nscd) removes its folder when it stops or
/// restarts, which detaches the mount that covers the folder (see the emitter's
/// `TemporaryFileSystem=`); `PartOf=` stops and restarts the service with the resolver, and
/// `After=` starts it once the folder exists again. A unit named only in `After=`/`PartOf=`
/// that is not installed is harmless. `span` is where the join is written; `joins` says
/// whether a unit joins a namespace.
pub fn join_relations(
    service: &str,
    namespace_unit: &str,
    tunnel: Option<&str>,
    joins: impl Fn(&str) -> bool,
    span: Span,
) -> Vec<Relation> {
    let relation = |option, target: &str| Relation {
        option,
        target: target.to_string(),
        span,
    };
    let mut out = vec![
        relation(DepOption::After, namespace_unit),
        relation(DepOption::BindsTo, namespace_unit),
        relation(DepOption::JoinsNamespaceOf, namespace_unit),
    ];
    if let Some(tunnel) = tunnel {
        out.extend([DepOption::After, DepOption::Requires].map(|option| relation(option, tunnel)));
    }
    let resolvers = resolvers_to_follow(service, joins);
    for option in [DepOption::After, DepOption::PartOf] {
        out.extend(resolvers.iter().map(|unit| relation(option, unit)));
    }
    out
}

/// What a joining service's drop-in adds where its namespace has a guard (SPEC §13): it
/// starts after the guard and is bound to it, so it never runs without netns-compile's table
/// in place — if the guard fails or stops, so does the service.
pub fn guard_relations(guard_unit: &str, span: Span) -> Vec<Relation> {
    after_and_bound_to(guard_unit, span)
}

/// The relations of the drop-in of NixOS's `wireguard-<i>.service` for an
/// `interfaceNamespace`: the unit moves the interface into the namespace itself (from the host
/// namespace, where its UDP socket stays), so it needs the namespace first, and goes when the
/// namespace goes.
pub fn interface_move_relations(namespace_unit: &str, span: Span) -> Vec<Relation> {
    after_and_bound_to(namespace_unit, span)
}

/// `After=` and `BindsTo=` `unit`: started once it is up, stopped when it goes.
fn after_and_bound_to(unit: &str, span: Span) -> Vec<Relation> {
    [DepOption::After, DepOption::BindsTo]
        .into_iter()
        .map(|option| Relation {
            option,
            target: unit.to_string(),
            span,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolver_that_joins_keeps_its_own_folder() {
        assert_eq!(resolvers_to_hide("web.service"), RESOLVERS.to_vec());
        assert_eq!(
            resolvers_to_hide("nscd.service"),
            [("systemd-resolved.service", "/run/systemd/resolve")]
        );
        assert_eq!(
            resolvers_to_hide("systemd-resolved.service"),
            [("nscd.service", "/run/nscd")]
        );
    }

    #[test]
    fn a_resolver_that_joins_is_not_part_of_itself() {
        let relations = join_relations("nscd.service", "netns-vpn.service", None, |_| false, Span::BUILTIN);
        let shown: Vec<String> = relations.iter().map(|r| format!("{}={}", r.option, r.target)).collect();
        assert_eq!(
            shown,
            [
                "After=netns-vpn.service",
                "BindsTo=netns-vpn.service",
                "JoinsNamespaceOf=netns-vpn.service",
                "After=systemd-resolved.service",
                "PartOf=systemd-resolved.service",
            ]
        );
    }

    #[test]
    fn a_joiner_requires_the_tunnel() {
        let tunnel = Some("netns-vpn-wireguard.service");
        let relations = join_relations("web.service", "netns-vpn.service", tunnel, |_| false, Span::BUILTIN);
        let shown: Vec<String> = relations.iter().map(|r| format!("{}={}", r.option, r.target)).collect();
        assert_eq!(
            shown[..5],
            [
                "After=netns-vpn.service",
                "BindsTo=netns-vpn.service",
                "JoinsNamespaceOf=netns-vpn.service",
                "After=netns-vpn-wireguard.service",
                "Requires=netns-vpn-wireguard.service",
            ]
        );
    }

    #[test]
    fn two_joining_resolvers_are_ordered_one_way() {
        let both = |unit: &str| RESOLVERS.iter().any(|(u, _)| *u == unit);
        assert_eq!(resolvers_to_follow("nscd.service", both), Vec::<&str>::new());
        assert_eq!(resolvers_to_follow("systemd-resolved.service", both), ["nscd.service"]);
        // One resolver alone in a namespace still follows the other, as any joining service.
        assert_eq!(
            resolvers_to_follow("nscd.service", |_| false),
            ["systemd-resolved.service"]
        );
        assert_eq!(
            resolvers_to_follow("web.service", both),
            ["nscd.service", "systemd-resolved.service"]
        );
    }
}
