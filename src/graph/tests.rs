use super::DepOption::*;
use super::*;
use crate::source::{FileId, Span};
use expect_test::expect;

fn span(at: usize) -> Span {
    Span::new(FileId(0), at, at + 1)
}

/// A unit with relations; each relation gets a distinct span (its position in the list).
fn unit(name: &str, role: UnitRole, relations: &[(DepOption, &str)]) -> UnitDecl {
    UnitDecl {
        name: name.to_owned(),
        role,
        relations: relations
            .iter()
            .enumerate()
            .map(|(i, &(option, target))| Relation {
                option,
                target: target.to_owned(),
                span: span(i * 10),
            })
            .collect(),
    }
}

/// `netns-<name>.service` with the module's own `Before=network.target` (a builtin span)
/// followed by `relations`.
fn namespace(name: &str, relations: &[(DepOption, &str)]) -> UnitDecl {
    let mut decl = unit(&format!("netns-{name}.service"), UnitRole::Namespace, relations);
    decl.relations.insert(
        0,
        Relation {
            option: Before,
            target: "network.target".to_owned(),
            span: Span::BUILTIN,
        },
    );
    decl
}

/// The start order restricted to `names`.
fn order_of(graph: &UnitGraph, names: &[&str]) -> Vec<String> {
    graph
        .start_order()
        .into_iter()
        .filter(|unit| names.contains(&unit.as_str()))
        .collect()
}

fn position(order: &[String], name: &str) -> usize {
    order
        .iter()
        .position(|unit| unit == name)
        .unwrap_or_else(|| panic!("{name} is not in the start order"))
}

fn displayed(cycles: &[Cycle]) -> Vec<String> {
    cycles.iter().map(|cycle| cycle.to_string()).collect()
}

#[test]
fn chain_is_ordered() {
    let graph = build_graph(&[
        unit("a.service", UnitRole::Joining, &[(After, "b.service")]),
        unit("c.service", UnitRole::Joining, &[(Before, "b.service")]),
    ]);
    assert!(graph.cycles().is_empty());
    assert_eq!(
        order_of(&graph, &["a.service", "b.service", "c.service"]),
        ["c.service", "b.service", "a.service"]
    );

    let path = graph.is_ordered_after("a.service", "c.service").unwrap();
    let steps: Vec<_> = path
        .iter()
        .map(|s| (s.first.as_str(), s.then.as_str(), s.declared_by.as_str(), s.option))
        .collect();
    assert_eq!(
        steps,
        [
            ("c.service", "b.service", "c.service", Before),
            ("b.service", "a.service", "a.service", After),
        ]
    );
    assert_eq!(path[0].span, Some(span(0)));
    assert!(graph.is_ordered_after("c.service", "a.service").is_none());
    assert!(graph.is_ordered_after("a.service", "a.service").is_none());
    assert!(graph.is_ordered_after("a.service", "nope.service").is_none());

    // Every service starts after basic.target, which starts after sysinit.target.
    let order = graph.start_order();
    assert!(position(&order, "sysinit.target") < position(&order, "basic.target"));
    assert!(position(&order, "basic.target") < position(&order, "c.service"));
    assert!(position(&order, "a.service") < position(&order, "shutdown.target"));
}

#[test]
fn network_online_cycle() {
    let graph = build_graph(&[namespace("x", &[(After, "network-online.target")])]);
    let cycles = graph.cycles();
    assert_eq!(
        displayed(&cycles),
        ["netns-x.service → network.target → network-online.target → netns-x.service"]
    );
    assert_eq!(
        cycles[0].steps,
        [
            OrderingStep {
                first: "netns-x.service".into(),
                then: "network.target".into(),
                declared_by: "netns-x.service".into(),
                option: Before,
                span: Some(Span::BUILTIN),
            },
            OrderingStep {
                first: "network.target".into(),
                then: "network-online.target".into(),
                declared_by: "network-online.target".into(),
                option: After,
                span: None,
            },
            OrderingStep {
                first: "network-online.target".into(),
                then: "netns-x.service".into(),
                declared_by: "netns-x.service".into(),
                option: After,
                span: Some(span(0)),
            },
        ]
    );
    assert!(
        graph
            .to_dot()
            .contains(r#""network.target" -> "network-online.target" [headlabel="After=", color=red, penwidth=2];"#)
    );
    // The units of the cycle, and what is ordered after them, come last in name order.
    let order = graph.start_order();
    assert_eq!(
        &order[order.len() - 4..],
        [
            "netns-x.service",
            "network-online.target",
            "network.target",
            "shutdown.target"
        ]
    );
}

#[test]
fn namespace_alone_has_no_cycle_despite_default_dependencies() {
    // basic.target → netns (default dependencies) → network.target: fine, systemd never orders
    // network.target before basic.target.
    let graph = build_graph(&[namespace("x", &[(After, "network-pre.target")])]);
    assert!(graph.cycles().is_empty());
    let steps = graph.is_ordered_after("network.target", "basic.target").unwrap();
    assert_eq!(steps[0].option, DefaultDependencies);
    assert_eq!(steps[0].span, None);
}

#[test]
fn default_dependencies_close_a_cycle() {
    let graph = build_graph(&[namespace("early", &[(Before, "sysinit.target")])]);
    let cycles = graph.cycles();
    // The component also holds basic.target (sysinit.target → basic.target → netns-early), the
    // smallest name: the cycle reported is the shortest one through it.
    assert_eq!(
        displayed(&cycles),
        ["basic.target → netns-early.service → sysinit.target → basic.target"]
    );
    assert_eq!(cycles[0].steps[0].option, DefaultDependencies);
    assert_eq!(cycles[0].steps[0].declared_by, "netns-early.service");
    assert_eq!(cycles[0].steps[1].option, Before);
    assert_eq!(cycles[0].steps[2].declared_by, "basic.target");
}

#[test]
fn two_disjoint_cycles() {
    let graph = build_graph(&[
        unit("z.service", UnitRole::Joining, &[(After, "y.service")]),
        unit("y.service", UnitRole::Joining, &[(After, "x.service")]),
        unit("x.service", UnitRole::Joining, &[(After, "z.service")]),
        unit("b.service", UnitRole::Joining, &[(Before, "a.service")]),
        unit("a.service", UnitRole::Joining, &[(Before, "b.service")]),
    ]);
    assert_eq!(
        displayed(&graph.cycles()),
        [
            "a.service → b.service → a.service",
            "x.service → y.service → z.service → x.service",
        ]
    );
}

#[test]
fn shortest_cycle_through_the_smallest_unit() {
    // One component with a long way round (a→b→c→d→a) and a short cut (a→c).
    let graph = build_graph(&[
        unit("b.service", UnitRole::Joining, &[(After, "a.service")]),
        unit("c.service", UnitRole::Joining, &[(After, "b.service")]),
        unit("d.service", UnitRole::Joining, &[(After, "c.service")]),
        unit(
            "a.service",
            UnitRole::Joining,
            &[(After, "d.service"), (Before, "c.service")],
        ),
    ]);
    assert_eq!(
        displayed(&graph.cycles()),
        ["a.service → c.service → d.service → a.service"]
    );
}

#[test]
fn self_loop() {
    let graph = build_graph(&[unit("a.service", UnitRole::Joining, &[(After, "a.service")])]);
    let cycles = graph.cycles();
    assert_eq!(displayed(&cycles), ["a.service → a.service"]);
    assert_eq!(cycles[0].units, ["a.service"]);
    assert_eq!(cycles[0].steps.len(), 1);
    let path = graph.is_ordered_after("a.service", "a.service").unwrap();
    assert_eq!(path.len(), 1);
    let order = graph.start_order();
    assert_eq!(&order[order.len() - 2..], ["a.service", "shutdown.target"]);
}

#[test]
fn wanted_by_orders_the_target_after_the_unit() {
    let graph = build_graph(&[namespace(
        "x",
        &[(WantedBy, "multi-user.target"), (RequiredBy, "foo.target")],
    )]);
    assert!(graph.cycles().is_empty());
    let path = graph.is_ordered_after("multi-user.target", "netns-x.service").unwrap();
    assert_eq!(path.len(), 1);
    assert_eq!(path[0].declared_by, "netns-x.service");
    assert_eq!(path[0].option, WantedBy);
    assert_eq!(path[0].span, Some(span(0)));
    assert!(graph.is_ordered_after("foo.target", "netns-x.service").is_some());
    let json = graph.to_json();
    let edges = json["edges"].as_array().unwrap();
    assert!(edges.contains(&serde_json::json!({
        "from": "multi-user.target",
        "to": "netns-x.service",
        "kind": "requirement",
        "declared_by": "netns-x.service",
        "option": "WantedBy",
    })));
    assert!(edges.contains(&serde_json::json!({
        "from": "netns-x.service",
        "to": "multi-user.target",
        "kind": "order",
        "declared_by": "netns-x.service",
        "option": "WantedBy",
    })));
}

#[test]
fn wanted_by_does_not_order_where_systemd_does_not() {
    let graph = build_graph(&[
        // local-fs.target has DefaultDependencies=no.
        namespace("a", &[(WantedBy, "local-fs.target")]),
        // sysinit.target is already before every service: systemd adds no loop.
        namespace("b", &[(WantedBy, "sysinit.target")]),
        // An explicit ordering the other way wins over the implicit one.
        namespace(
            "c",
            &[(WantedBy, "network-online.target"), (After, "network-online.target")],
        ),
    ]);
    assert!(graph.is_ordered_after("local-fs.target", "netns-a.service").is_none());
    // Only netns-c's explicit After= closes a cycle (with its Before=network.target).
    assert_eq!(
        displayed(&graph.cycles()),
        ["netns-c.service → network.target → network-online.target → netns-c.service"]
    );
}

#[test]
fn requirements_do_not_order() {
    let graph = build_graph(&[
        unit(
            "a.service",
            UnitRole::Joining,
            &[
                (Requires, "b.service"),
                (BindsTo, "b.service"),
                (Wants, "b.service"),
                (Conflicts, "b.service"),
                (JoinsNamespaceOf, "b.service"),
                (PartOf, "foo.target"),
            ],
        ),
        unit("b.service", UnitRole::Joining, &[(Requires, "a.service")]),
    ]);
    assert!(graph.cycles().is_empty());
    assert!(graph.is_ordered_after("a.service", "b.service").is_none());
    assert!(graph.is_ordered_after("b.service", "a.service").is_none());
    assert!(graph.is_ordered_after("foo.target", "a.service").is_none());
    assert_eq!(
        order_of(&graph, &["a.service", "b.service"]),
        ["a.service", "b.service"]
    );
}

#[test]
fn start_order_breaks_ties_by_name() {
    let graph = build_graph(&[
        unit("c.socket", UnitRole::Referenced, &[]),
        unit("z.socket", UnitRole::Referenced, &[(Before, "y.socket")]),
        unit("b.socket", UnitRole::Referenced, &[(Before, "a.socket")]),
        unit("x.socket", UnitRole::Referenced, &[]),
    ]);
    assert_eq!(
        order_of(
            &graph,
            &["a.socket", "b.socket", "c.socket", "x.socket", "y.socket", "z.socket"]
        ),
        ["b.socket", "a.socket", "c.socket", "x.socket", "z.socket", "y.socket"]
    );
}

#[test]
fn roles() {
    let graph = build_graph(&[
        namespace("x", &[]),
        unit(
            "tor.service",
            UnitRole::Joining,
            &[(After, "netns-x.service"), (Wants, "foo.service")],
        ),
        // Declared twice: the declaration wins over the reference.
        unit("foo.service", UnitRole::Joining, &[]),
    ]);
    assert_eq!(graph.role("netns-x.service"), Some(UnitRole::Namespace));
    assert_eq!(graph.role("tor.service"), Some(UnitRole::Joining));
    assert_eq!(graph.role("foo.service"), Some(UnitRole::Joining));
    assert_eq!(graph.role("network.target"), Some(UnitRole::StandardTarget));
    assert_eq!(graph.role("nope.service"), None);
}

/// A small config: a namespace pulled in by multi-user.target, a service that joins it, and a
/// service it must start after.
fn sample() -> Vec<UnitDecl> {
    vec![
        namespace(
            "vpn",
            &[(WantedBy, "multi-user.target"), (After, "wireguard-wg0.service")],
        ),
        unit(
            "tor.service",
            UnitRole::Joining,
            &[
                (JoinsNamespaceOf, "netns-vpn.service"),
                (BindsTo, "netns-vpn.service"),
                (After, "netns-vpn.service"),
            ],
        ),
    ]
}

#[test]
fn insertion_order_does_not_matter() {
    let forward = build_graph(&sample());
    let mut reversed = sample();
    reversed.reverse();
    for decl in &mut reversed {
        decl.relations.reverse();
    }
    // The same relation written twice, at two places: one edge, the first span.
    reversed[0].relations.push(Relation {
        option: After,
        target: "netns-vpn.service".into(),
        span: span(500),
    });
    let backward = build_graph(&reversed);
    assert_eq!(forward.to_json(), backward.to_json());
    assert_eq!(forward.to_dot(), backward.to_dot());
    assert_eq!(forward.start_order(), backward.start_order());
    assert_eq!(
        forward.is_ordered_after("tor.service", "wireguard-wg0.service"),
        backward.is_ordered_after("tor.service", "wireguard-wg0.service")
    );

    let cyclic = |reverse: bool| {
        let mut units = vec![
            unit("b.service", UnitRole::Joining, &[(After, "a.service")]),
            unit("c.service", UnitRole::Joining, &[(After, "b.service")]),
            unit(
                "a.service",
                UnitRole::Joining,
                &[(After, "c.service"), (After, "b.service")],
            ),
        ];
        if reverse {
            units.reverse();
            for decl in &mut units {
                decl.relations.reverse();
            }
        }
        build_graph(&units).cycles()
    };
    assert_eq!(cyclic(false), cyclic(true));
}

#[test]
fn ten_thousand_units() {
    const N: usize = 10_000;
    let name = |i: usize| format!("netns-n{i:05}.service");
    let mut units: Vec<UnitDecl> = (0..N)
        .map(|i| {
            let mut relations = vec![(WantedBy, "multi-user.target")];
            let previous = if i > 0 { name(i - 1) } else { String::new() };
            if i > 0 {
                relations.push((After, previous.as_str()));
            }
            namespace(&format!("n{i:05}"), &relations)
        })
        .collect();
    units.push(unit(
        "tor.service",
        UnitRole::Joining,
        &[(After, "netns-n09999.service")],
    ));
    let graph = build_graph(&units);
    assert!(graph.cycles().is_empty());
    let order = graph.start_order();
    assert!(position(&order, &name(0)) < position(&order, &name(N - 1)));
    let path = graph.is_ordered_after("tor.service", &name(0)).expect("a chain");
    assert_eq!(path.len(), N);

    // One ring of N units: no recursion, one cycle of length N.
    let ring: Vec<UnitDecl> = (0..N)
        .map(|i| {
            let next = name((i + 1) % N);
            unit(&name(i), UnitRole::Joining, &[(Before, next.as_str())])
        })
        .collect();
    let cycles = build_graph(&ring).cycles();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].units.len(), N);
    assert_eq!(cycles[0].units[0], name(0));
}

#[test]
fn dot_snapshot() {
    let graph = build_graph(&sample());
    expect![[r#"
        // netns-compile unit graph.
        // a -> b: a starts before b (solid), a pulls in b (dashed), a conflicts with b (dotted).
        // Each option sits at the end of the unit that declared it; gray edges are systemd's
        // default dependencies; red edges close an ordering cycle.
        digraph units {
            rankdir=LR;
            node [shape=box];
            "basic.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "cryptsetup-pre.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "cryptsetup.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "emergency.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "getty.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "graphical.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "local-fs-pre.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "local-fs.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "multi-user.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "netns-vpn.service" [style="bold,filled", fillcolor=lightblue];
            "network-online.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "network-pre.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "network.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "nss-lookup.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "nss-user-lookup.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "paths.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "remote-fs-pre.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "remote-fs.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "rescue.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "shutdown.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "slices.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "sockets.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "swap.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "sysinit.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "time-set.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "time-sync.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "timers.target" [shape=ellipse, color=gray40, fontcolor=gray40];
            "tor.service" [style=filled, fillcolor=lightyellow];
            "wireguard-wg0.service" [style=dashed];
            "basic.target" -> "multi-user.target" [headlabel="After="];
            "basic.target" -> "netns-vpn.service" [color=gray70];
            "basic.target" -> "tor.service" [color=gray70];
            "basic.target" -> "wireguard-wg0.service" [color=gray70];
            "cryptsetup-pre.target" -> "cryptsetup.target" [taillabel="Before="];
            "cryptsetup.target" -> "sysinit.target" [headlabel="Wants="];
            "getty.target" -> "multi-user.target" [headlabel="Wants="];
            "local-fs-pre.target" -> "local-fs.target" [headlabel="After="];
            "local-fs.target" -> "sysinit.target" [headlabel="After="];
            "multi-user.target" -> "graphical.target" [headlabel="After="];
            "multi-user.target" -> "netns-vpn.service" [style=dashed, headlabel="WantedBy="];
            "netns-vpn.service" -> "multi-user.target" [taillabel="WantedBy="];
            "netns-vpn.service" -> "network.target" [taillabel="Before="];
            "netns-vpn.service" -> "shutdown.target" [color=gray70];
            "netns-vpn.service" -> "tor.service" [headlabel="After="];
            "network-pre.target" -> "network.target" [headlabel="After="];
            "network.target" -> "network-online.target" [headlabel="After="];
            "paths.target" -> "basic.target" [headlabel="After="];
            "remote-fs-pre.target" -> "remote-fs.target" [headlabel="After="];
            "rescue.target" -> "graphical.target" [headlabel="After="];
            "rescue.target" -> "multi-user.target" [headlabel="After="];
            "slices.target" -> "basic.target" [headlabel="After="];
            "sockets.target" -> "basic.target" [headlabel="After="];
            "swap.target" -> "sysinit.target" [headlabel="After="];
            "sysinit.target" -> "basic.target" [headlabel="After="];
            "sysinit.target" -> "netns-vpn.service" [color=gray70];
            "sysinit.target" -> "rescue.target" [headlabel="After="];
            "sysinit.target" -> "tor.service" [color=gray70];
            "sysinit.target" -> "wireguard-wg0.service" [color=gray70];
            "time-set.target" -> "time-sync.target" [headlabel="After="];
            "tor.service" -> "netns-vpn.service" [style=dashed, taillabel="BindsTo="];
            "tor.service" -> "netns-vpn.service" [style=dashed, taillabel="JoinsNamespaceOf="];
            "tor.service" -> "shutdown.target" [color=gray70];
            "wireguard-wg0.service" -> "netns-vpn.service" [headlabel="After="];
            "wireguard-wg0.service" -> "shutdown.target" [color=gray70];
        }
    "#]]
    .assert_eq(&graph.to_dot());
}

#[test]
fn json_snapshot() {
    let graph = build_graph(&[namespace("x", &[(After, "network-online.target")])]);
    // One line per node, edge and list, to keep the snapshot readable.
    let json = graph.to_json();
    let mut text = String::new();
    for key in ["nodes", "edges"] {
        text.push_str(key);
        text.push_str(":\n");
        for item in json[key].as_array().unwrap() {
            text.push_str(&format!("  {item}\n"));
        }
    }
    for key in ["start_order", "cycles"] {
        text.push_str(&format!("{key}: {}\n", json[key]));
    }
    expect![[r#"
        nodes:
          {"name":"basic.target","role":"standard_target"}
          {"name":"cryptsetup-pre.target","role":"standard_target"}
          {"name":"cryptsetup.target","role":"standard_target"}
          {"name":"emergency.target","role":"standard_target"}
          {"name":"getty.target","role":"standard_target"}
          {"name":"graphical.target","role":"standard_target"}
          {"name":"local-fs-pre.target","role":"standard_target"}
          {"name":"local-fs.target","role":"standard_target"}
          {"name":"multi-user.target","role":"standard_target"}
          {"name":"netns-x.service","role":"namespace"}
          {"name":"network-online.target","role":"standard_target"}
          {"name":"network-pre.target","role":"standard_target"}
          {"name":"network.target","role":"standard_target"}
          {"name":"nss-lookup.target","role":"standard_target"}
          {"name":"nss-user-lookup.target","role":"standard_target"}
          {"name":"paths.target","role":"standard_target"}
          {"name":"remote-fs-pre.target","role":"standard_target"}
          {"name":"remote-fs.target","role":"standard_target"}
          {"name":"rescue.target","role":"standard_target"}
          {"name":"shutdown.target","role":"standard_target"}
          {"name":"slices.target","role":"standard_target"}
          {"name":"sockets.target","role":"standard_target"}
          {"name":"swap.target","role":"standard_target"}
          {"name":"sysinit.target","role":"standard_target"}
          {"name":"time-set.target","role":"standard_target"}
          {"name":"time-sync.target","role":"standard_target"}
          {"name":"timers.target","role":"standard_target"}
        edges:
          {"declared_by":"multi-user.target","from":"basic.target","kind":"order","option":"After","to":"multi-user.target"}
          {"declared_by":"netns-x.service","from":"basic.target","kind":"order","option":"DefaultDependencies","to":"netns-x.service"}
          {"declared_by":"cryptsetup-pre.target","from":"cryptsetup-pre.target","kind":"order","option":"Before","to":"cryptsetup.target"}
          {"declared_by":"sysinit.target","from":"cryptsetup.target","kind":"order","option":"Wants","to":"sysinit.target"}
          {"declared_by":"multi-user.target","from":"getty.target","kind":"order","option":"Wants","to":"multi-user.target"}
          {"declared_by":"local-fs.target","from":"local-fs-pre.target","kind":"order","option":"After","to":"local-fs.target"}
          {"declared_by":"sysinit.target","from":"local-fs.target","kind":"order","option":"After","to":"sysinit.target"}
          {"declared_by":"graphical.target","from":"multi-user.target","kind":"order","option":"After","to":"graphical.target"}
          {"declared_by":"netns-x.service","from":"netns-x.service","kind":"order","option":"Before","to":"network.target"}
          {"declared_by":"netns-x.service","from":"netns-x.service","kind":"order","option":"DefaultDependencies","to":"shutdown.target"}
          {"declared_by":"netns-x.service","from":"network-online.target","kind":"order","option":"After","to":"netns-x.service"}
          {"declared_by":"network.target","from":"network-pre.target","kind":"order","option":"After","to":"network.target"}
          {"declared_by":"network-online.target","from":"network.target","kind":"order","option":"After","to":"network-online.target"}
          {"declared_by":"basic.target","from":"paths.target","kind":"order","option":"After","to":"basic.target"}
          {"declared_by":"remote-fs.target","from":"remote-fs-pre.target","kind":"order","option":"After","to":"remote-fs.target"}
          {"declared_by":"graphical.target","from":"rescue.target","kind":"order","option":"After","to":"graphical.target"}
          {"declared_by":"multi-user.target","from":"rescue.target","kind":"order","option":"After","to":"multi-user.target"}
          {"declared_by":"basic.target","from":"slices.target","kind":"order","option":"After","to":"basic.target"}
          {"declared_by":"basic.target","from":"sockets.target","kind":"order","option":"After","to":"basic.target"}
          {"declared_by":"sysinit.target","from":"swap.target","kind":"order","option":"After","to":"sysinit.target"}
          {"declared_by":"basic.target","from":"sysinit.target","kind":"order","option":"After","to":"basic.target"}
          {"declared_by":"netns-x.service","from":"sysinit.target","kind":"order","option":"DefaultDependencies","to":"netns-x.service"}
          {"declared_by":"rescue.target","from":"sysinit.target","kind":"order","option":"After","to":"rescue.target"}
          {"declared_by":"time-sync.target","from":"time-set.target","kind":"order","option":"After","to":"time-sync.target"}
        start_order: ["cryptsetup-pre.target","cryptsetup.target","emergency.target","getty.target","local-fs-pre.target","local-fs.target","network-pre.target","nss-lookup.target","nss-user-lookup.target","paths.target","remote-fs-pre.target","remote-fs.target","slices.target","sockets.target","swap.target","sysinit.target","basic.target","rescue.target","multi-user.target","graphical.target","time-set.target","time-sync.target","timers.target","netns-x.service","network-online.target","network.target","shutdown.target"]
        cycles: [["netns-x.service","network.target","network-online.target","netns-x.service"]]
    "#]].assert_eq(&text);
}

#[test]
fn dot_quotes_names() {
    let graph = build_graph(&[unit(r#"we"ird\name.service"#, UnitRole::Joining, &[])]);
    assert!(graph.to_dot().contains(r#""we\"ird\\name.service" [style=filled"#));
}

#[test]
fn one_edge_per_relation_with_the_best_source() {
    // The user repeats the module's own Before=network.target: one edge, the user's span.
    let graph = build_graph(&[namespace("x", &[(Before, "network.target")])]);
    let json = graph.to_json();
    let count = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"] == "netns-x.service" && e["to"] == "network.target")
        .count();
    assert_eq!(count, 1);
    let path = graph.is_ordered_after("network.target", "netns-x.service").unwrap();
    assert_eq!(path[0].span, Some(span(0)));
}

#[test]
fn sockets_get_their_default_dependencies() {
    // A published port's socket (SPEC §11): after sysinit.target, before sockets.target, as
    // systemd.socket(5) orders a socket that keeps DefaultDependencies=yes.
    let graph = build_graph(&[
        unit("p.socket", UnitRole::Connect, &[(WantedBy, "sockets.target")]),
        unit(
            "p.service",
            UnitRole::Connect,
            &[(Requires, "p.socket"), (After, "p.socket")],
        ),
    ]);
    let order = order_of(&graph, &["sysinit.target", "p.socket", "sockets.target", "p.service"]);
    assert!(position(&order, "sysinit.target") < position(&order, "p.socket"));
    assert!(position(&order, "p.socket") < position(&order, "sockets.target"));
    assert!(position(&order, "p.socket") < position(&order, "p.service"));
    assert!(graph.cycles().is_empty());
}

/// The graph of a model built from JSON input.
fn model_graph(json: &str) -> UnitGraph {
    // serde_json, not the JSON frontend (a stage above): spans do not matter here.
    let module = crate::node::Node::from_json(serde_json::from_str(json).unwrap());
    let mut diags = crate::diagnostic::Diagnostics::new();
    let config = crate::module::config::resolve_config(&[module], &mut diags);
    let model = crate::model::build::build_model(&config, crate::model::Tools::default(), "/p", &mut diags);
    assert!(!diags.has_errors(), "{:?}", diags.items);
    build_unit_graph(&model)
}

#[test]
fn a_joining_service_is_ordered_as_its_dropin_says() {
    // Regression: the graph knew the drop-in's relations to the namespace only, not
    // `After=nscd.service systemd-resolved.service`, so this cycle went unreported.
    let graph = model_graph(
        r#"{"services": {"netns": {"namespaces": {"vpn": {}}}},
            "systemd": {"services": {"web": {"netns": "vpn", "before": ["nscd.service"]}}}}"#,
    );
    assert_eq!(
        displayed(&graph.cycles()),
        ["nscd.service → web.service → nscd.service"]
    );
    let graph = model_graph(
        r#"{"services": {"netns": {"namespaces": {"vpn": {}}}},
            "systemd": {"services": {"web": {"netns": "vpn"}, "nscd": {"netns": "vpn"}}}}"#,
    );
    for before in ["netns-vpn.service", "nscd.service", "systemd-resolved.service"] {
        assert!(graph.is_ordered_after("web.service", before).is_some(), "{before}");
    }
    // A resolver that joins is not ordered after itself.
    assert!(
        graph
            .is_ordered_after("nscd.service", "systemd-resolved.service")
            .is_some()
    );
    assert!(graph.cycles().is_empty());
}
