//! The units and drop-ins the connectivity options add (SPEC §11). None of them changes the
//! namespace's own unit file: each is a unit of its own, linked into the namespace unit's
//! `.wants/` folder where it must start with it, or (for `dns`) a drop-in that adds a command.
//!
//! Names: `<stem>-publish-<label>.{socket,service}`, `<stem>-hostlink.service`,
//! `<stem>-wireguard.service`, `<stem>-openvpn.service` (openvpn.rs), `<stem>-guard.service` ([`guard_unit_name`]), and SPEC §14's
//! `<stem>-watchdog.service` and `<stem>-portforward.service` (built in their own files, as is
//! the tunnel from a wg-quick file), where `<stem>` is the namespace unit's name without
//! `.service` and `<label>` is escaped as namespace names are; the checks refuse names that
//! come out the same for two things.

use super::command::{Command, ShellLine};
use super::connect::{Dns, HostLink, Publish, WireGuard, resolv_conf_path};
use super::escape::{escape_unit_name, script_dir};
use super::guard::{GuardTable, guard_table};
use super::join::{resolver_covers, resolvers_to_follow};
use super::{ExtraUnit, Namespace, Script, ScriptBody, Sections, Tools, UnitKey, UnitValue};
use crate::dependency::{DepOption, Relation};
use crate::source::Span;

/// Every connectivity unit of every namespace, sorted by file.
pub fn build_connect_units(namespaces: &[Namespace], tools: &Tools, prefix: &str) -> Vec<ExtraUnit> {
    let mut out = Vec::new();
    for ns in namespaces.iter().filter(|n| !n.connect.is_empty()) {
        let ctx = Ctx {
            ns,
            tools,
            prefix: prefix.trim_end_matches('/'),
        };
        for p in &ns.connect.publish {
            out.extend(publish_units(&ctx, p));
        }
        if let Some(dns) = &ns.connect.dns {
            out.push(dns_dropin(&ctx, dns));
        }
        if let Some(link) = &ns.connect.host_link {
            out.push(host_link_unit(&ctx, link));
        }
        if let Some(wg) = &ns.connect.wireguard {
            out.push(match &wg.config_file {
                Some(file) => super::tunnel_file::wireguard_file_unit(&ctx, wg, &file.value),
                None => wireguard_unit(&ctx, wg),
            });
        }
        if let Some(vpn) = &ns.connect.openvpn {
            out.extend(super::openvpn::openvpn_unit(&ctx, vpn));
        }
        if let (Some(dog), Some(tunnel)) = (&ns.connect.watchdog, tunnel_unit(ns)) {
            out.extend(super::watchdog::watchdog_unit(&ctx, dog, &tunnel));
        }
        if let (Some(pf), Some(tunnel)) = (&ns.connect.port_forward, tunnel_unit(ns)) {
            out.push(super::port_forward::port_forward_unit(&ctx, pf, &tunnel));
        }
        if let Some(table) = guard_table(&ns.connect) {
            out.push(guard_unit(&ctx, &table));
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// What every unit of one namespace is built from.
pub(super) struct Ctx<'a> {
    pub(super) ns: &'a Namespace,
    pub(super) tools: &'a Tools,
    pub(super) prefix: &'a str,
}

impl Ctx<'_> {
    pub(super) fn stem(&self) -> &str {
        self.ns.unit_name.strip_suffix(".service").unwrap_or(&self.ns.unit_name)
    }

    /// `ip`, or `ip -n <namespace>` (`inside`) for what is done in the namespace.
    fn ip(&self, inside: bool) -> Command {
        let ip = Command::new(&self.tools.ip);
        if inside {
            ip.words(&["-n"]).value(&self.ns.name)
        } else {
            ip
        }
    }

    /// Absolute path of a script of `unit` once the tree is at the prefix.
    pub(super) fn script_path(&self, unit: &str, script: &str) -> String {
        format!("{}/{}/{script}", self.prefix, script_dir(unit))
    }

    /// A unit's command that runs its script `script` (`ExecStart=` and friends).
    pub(super) fn run(&self, unit: &str, script: &str) -> Command {
        Command::new(&self.script_path(unit, script))
    }
}

/// The relations a unit's sections say, for the graph: every unit a dependency key names.
pub(super) fn relations_of_sections(sections: &[(&'static str, Vec<UnitKey>)], span: Span) -> Vec<Relation> {
    let mut out = Vec::new();
    for (section, keys) in sections {
        for (key, value) in keys {
            let Some(option) = DepOption::of_key(section, key).filter(|o| o.info().effect.is_some()) else {
                continue;
            };
            debug_assert!(matches!(value, UnitValue::Units(_)), "{section}.{key} names units");
            for target in value.items() {
                out.push(Relation {
                    option,
                    target: target.clone(),
                    span,
                });
            }
        }
    }
    out
}

/// `publish.<label>`: a socket in the host namespace and systemd-socket-proxyd joined to the
/// namespace, forwarding each connection to the namespace's `127.0.0.1:<port>`.
fn publish_units(ctx: &Ctx, p: &Publish) -> Vec<ExtraUnit> {
    let (Some(listen), Some(port)) = (&p.listen, &p.port) else {
        return Vec::new(); // reported while reading
    };
    let base = format!("{}-publish-{}", ctx.stem(), escape_unit_name(&p.label.value));
    let socket = format!("{base}.socket");
    let service = format!("{base}.service");
    let ns_unit = &ctx.ns.unit_name;
    let what = format!(
        "port {:?} of network namespace {:?}: host {} to the namespace's 127.0.0.1:{}",
        p.label.value,
        ctx.ns.name,
        listen.value.render(),
        port.value
    );
    let socket_sections = vec![
        (
            "Unit",
            vec![("Description", UnitValue::Text(format!("Published {what}")))],
        ),
        ("Socket", vec![("ListenStream", UnitValue::Text(listen.value.render()))]),
        ("Install", vec![("WantedBy", UnitValue::units(["sockets.target"]))]),
    ];
    // The joining relations of a joining service's drop-in (SPEC §3.5, and the guard's of
    // §13), and the socket. It runs in the namespace, so the host's resolver sockets are
    // hidden from it as from every joined service (it resolves nothing itself, but a process
    // in the namespace must not reach them: `audit` says so); the resolvers' restarts
    // restart it, as a joined service's drop-in says.
    let guard = guard_table(&ctx.ns.connect).map(|_| guard_unit_name(ns_unit));
    let resolvers = resolvers_to_follow(&service, |_| false);
    let service_sections = vec![
        (
            "Unit",
            vec![
                (
                    "After",
                    UnitValue::units(
                        [ns_unit.as_str(), socket.as_str()]
                            .into_iter()
                            .chain(guard.as_deref())
                            .chain(resolvers.iter().copied()),
                    ),
                ),
                ("BindsTo", UnitValue::units(std::iter::once(ns_unit).chain(&guard))),
                ("Description", UnitValue::Text(format!("Forwarder of published {what}"))),
                ("JoinsNamespaceOf", UnitValue::units([ns_unit])),
                ("PartOf", UnitValue::units(resolvers)),
                ("Requires", UnitValue::units([&socket])),
            ],
        ),
        (
            "Service",
            vec![
                (
                    "ExecStart",
                    UnitValue::Exec(Command::new(&ctx.tools.socket_proxyd).value(format!("127.0.0.1:{}", port.value))),
                ),
                ("PrivateNetwork", UnitValue::Bool(true)),
                (
                    "TemporaryFileSystem",
                    UnitValue::EmptyReadOnly(resolver_covers(&service)),
                ),
            ],
        ),
    ];
    // The socket and its forwarder: one label, one comment, the same shape.
    let comment = format!(
        "netns-compile: publish.{:?} of namespace {:?}",
        p.label.value, ctx.ns.name
    );
    let unit = |name: &String, sections: Sections, wanted_by: Vec<String>| ExtraUnit {
        file: name.clone(),
        unit: name.clone(),
        namespace: ctx.ns.name.clone(),
        comment: comment.clone(),
        relations: relations_of_sections(&sections, p.label.span),
        sections,
        scripts: Vec::new(),
        script_dir: script_dir(name),
        wanted_by,
    };
    vec![
        unit(&socket, socket_sections, vec!["sockets.target".to_string()]),
        unit(&service, service_sections, Vec::new()),
    ]
}

/// `dns`: a drop-in of the namespace's unit whose `ExecStartPost=` writes resolv.conf, so that
/// every service ordered after the namespace sees the lines. The file is truncated and written
/// in place (`>`), never replaced: joined services bind-mount this very inode.
fn dns_dropin(ctx: &Ctx, dns: &Dns) -> ExtraUnit {
    let unit = &ctx.ns.unit_name;
    let body = ScriptBody::ResolvConf {
        dns: dns.clone(),
        path: resolv_conf_path(&ctx.ns.name),
    };
    ExtraUnit {
        file: format!("{unit}.d/netns-dns.conf"),
        unit: unit.clone(),
        namespace: ctx.ns.name.clone(),
        comment: format!("netns-compile: dns of namespace {:?}", ctx.ns.name),
        sections: vec![(
            "Service",
            vec![("ExecStartPost", UnitValue::Exec(ctx.run(unit, "resolv-conf")))],
        )],
        scripts: vec![Script {
            name: "resolv-conf".into(),
            body,
        }],
        script_dir: script_dir(unit),
        wanted_by: Vec::new(),
        relations: Vec::new(),
    }
}

/// A oneshot unit of the namespace's own: started with it (linked into its `.wants/`), after
/// it, stopped with it.
pub(super) fn oneshot(
    ctx: &Ctx,
    unit: String,
    description: UnitValue,
    span: Span,
    mut unit_keys: Vec<UnitKey>,
    up: ScriptBody,
    down: Command,
) -> ExtraUnit {
    let ns_unit = &ctx.ns.unit_name;
    let mut after = vec![ns_unit.clone()];
    if let Some(i) = unit_keys.iter().position(|(k, _)| *k == "After") {
        after.extend(unit_keys.remove(i).1.items().iter().cloned());
    }
    let mut keys = vec![
        ("After", UnitValue::Units(after)),
        ("BindsTo", UnitValue::units([ns_unit])),
        ("Description", description),
    ];
    keys.extend(unit_keys);
    keys.sort_by_key(|(k, _)| *k);
    let sections = vec![
        ("Unit", keys),
        (
            "Service",
            vec![
                ("ExecStart", UnitValue::Exec(ctx.run(&unit, "start"))),
                ("ExecStop", UnitValue::Exec(ctx.run(&unit, "stop"))),
                ("RemainAfterExit", UnitValue::Bool(true)),
                ("Type", UnitValue::text("oneshot")),
            ],
        ),
        ("Install", vec![("WantedBy", UnitValue::units([ns_unit]))]),
    ];
    let scripts = vec![
        Script {
            name: "start".into(),
            body: up,
        },
        Script {
            name: "stop".into(),
            body: ScriptBody::Shell(vec![down.into()]),
        },
    ];
    started_with_namespace(ctx, unit, sections, span, scripts)
}

/// A unit started with its namespace (linked into the namespace unit's `.wants/`), with its
/// relations for the graph from its sections (`span` is where the option that made it is).
pub(super) fn started_with_namespace(
    ctx: &Ctx,
    unit: String,
    sections: Sections,
    span: Span,
    scripts: Vec<Script>,
) -> ExtraUnit {
    ExtraUnit {
        file: unit.clone(),
        unit: unit.clone(),
        namespace: ctx.ns.name.clone(),
        comment: format!("netns-compile: {unit}, started with namespace {:?}", ctx.ns.name),
        relations: relations_of_sections(&sections, span),
        sections,
        scripts,
        script_dir: script_dir(&unit),
        wanted_by: vec![ctx.ns.unit_name.clone()],
    }
}

/// `hostLink`: a veth pair, the host end in the host namespace, the other moved in; each end
/// addressed. No route beyond the link's own subnet, and the host's forwarding is untouched.
fn host_link_unit(ctx: &Ctx, link: &HostLink) -> ExtraUnit {
    let host_if = &link.host_interface;
    let ns_if = &link.namespace_interface;
    let mut up = vec![
        ctx.ip(false)
            .words(&["link", "add"])
            .value(host_if)
            .words(&["type", "veth", "peer", "name"])
            .value(ns_if)
            .words(&["netns"])
            .value(&ctx.ns.name),
    ];
    let address = |inside: bool, v6: &[&'static str], a: &str, dev: &str| {
        ctx.ip(inside)
            .words(v6)
            .words(&["address", "add"])
            .value(a)
            .words(&["dev"])
            .value(dev)
    };
    if let (Some(h), Some(n)) = (&link.host_address, &link.namespace_address) {
        up.push(address(false, &[], &h.value.to_string(), host_if));
        up.push(address(true, &[], &n.value.to_string(), ns_if));
    }
    if let Some(h) = &link.host_address6 {
        up.push(address(false, &["-6"], &h.value, host_if).words(&["nodad"]));
    }
    if let Some(n) = &link.namespace_address6 {
        up.push(address(true, &["-6"], &n.value, ns_if).words(&["nodad"]));
    }
    up.push(ctx.ip(false).words(&["link", "set"]).value(host_if).words(&["up"]));
    up.push(ctx.ip(true).words(&["link", "set"]).value(ns_if).words(&["up"]));
    // Deleting one end deletes the pair; with the namespace gone it is gone already.
    let down = ctx.ip(false).words(&["link", "delete"]).value(host_if).may_fail();
    oneshot(
        ctx,
        format!("{}-hostlink.service", ctx.stem()),
        UnitValue::Text(format!(
            "Link {} (host) to {} of network namespace {:?}",
            link.host_interface, link.namespace_interface, ctx.ns.name
        )),
        link.span,
        Vec::new(),
        ScriptBody::Shell(up.into_iter().map(ShellLine::Run).collect()),
        down,
    )
}

/// The unit of a namespace's tunnel, if it has one: what its joiners require, and what the
/// watchdog restarts.
pub fn tunnel_unit(ns: &Namespace) -> Option<String> {
    let stem = ns.unit_name.strip_suffix(".service").unwrap_or(&ns.unit_name);
    if ns.connect.openvpn.is_some() {
        return Some(super::openvpn::openvpn_unit_name(stem));
    }
    ns.connect
        .wireguard
        .as_ref()
        .map(|_| format!("{stem}-wireguard.service"))
}

/// `wireguard`: the interface made in the host namespace (so its UDP socket stays outside),
/// configured, moved in, addressed, and the namespace's default route through it.
fn wireguard_unit(ctx: &Ctx, wg: &WireGuard) -> ExtraUnit {
    let dev = &wg.interface.value;
    let mut up = Vec::new();
    if wg.implementation.value == "userspace" {
        // wireguard-go daemonises; its process stays in this unit's cgroup until ExecStop.
        up.push(Command::new(&ctx.tools.wireguard_go).value(dev));
    } else {
        up.push(
            ctx.ip(false)
                .words(&["link", "add", "dev"])
                .value(dev)
                .words(&["type", "wireguard"]),
        );
    }
    up.push(wg_set(ctx, wg));
    up.push(
        ctx.ip(false)
            .words(&["link", "set", "dev"])
            .value(dev)
            .words(&["netns"])
            .value(&ctx.ns.name),
    );
    for a in &wg.addresses {
        up.push(
            ctx.ip(true)
                .words(&["address", "add"])
                .value(&a.value)
                .words(&["dev"])
                .value(dev),
        );
    }
    up.push(ctx.ip(true).words(&["link", "set", "dev"]).value(dev).words(&["up"]));
    let v4 = wg.addresses.iter().any(|a| !a.value.contains(':'));
    let v6 = wg.addresses.iter().any(|a| a.value.contains(':'));
    let default_route = |v6: &[&'static str]| {
        ctx.ip(true)
            .words(v6)
            .words(&["route", "add", "default", "dev"])
            .value(dev)
    };
    if v4 || !v6 {
        up.push(default_route(&[]));
    }
    if v6 {
        up.push(default_route(&["-6"]));
    }
    wireguard_oneshot(
        ctx,
        wg,
        None,
        ScriptBody::Shell(up.into_iter().map(ShellLine::Run).collect()),
    )
}

/// The tunnel's unit, whichever way it is configured: `up` makes it, stopping deletes the
/// interface (and the default route with it). `from`, the wg-quick file it reads if it
/// reads one, ends the description.
pub(super) fn wireguard_oneshot(ctx: &Ctx, wg: &WireGuard, from: Option<&str>, up: ScriptBody) -> ExtraUnit {
    let down = ctx
        .ip(true)
        .words(&["link", "delete", "dev"])
        .value(&wg.interface.value)
        .may_fail();
    oneshot(
        ctx,
        format!("{}-wireguard.service", ctx.stem()),
        {
            let text = format!(
                "WireGuard {} of network namespace {:?}",
                wg.interface.value, ctx.ns.name
            );
            match from {
                Some(file) => UnitValue::TextAndValue(format!("{text} from "), file.to_string()),
                None => UnitValue::Text(text),
            }
        },
        wg.span,
        vec![
            ("After", UnitValue::units(["network-online.target"])),
            ("Wants", UnitValue::units(["network-online.target"])),
        ],
        up,
        down,
    )
}

/// `wg set …`: keys by path only (`private-key <file>`), so no secret is in the output.
fn wg_set(ctx: &Ctx, wg: &WireGuard) -> Command {
    let mut wg_set = Command::new(&ctx.tools.wg).words(&["set"]).value(&wg.interface.value);
    if let Some(k) = &wg.private_key_file {
        wg_set = wg_set.words(&["private-key"]).value(&k.value);
    }
    for p in &wg.peers {
        let Some(key) = &p.public_key else { continue };
        wg_set = wg_set.words(&["peer"]).value(&key.value);
        if let Some(f) = &p.preshared_key_file {
            wg_set = wg_set.words(&["preshared-key"]).value(&f.value);
        }
        if let Some(e) = &p.endpoint {
            wg_set = wg_set.words(&["endpoint"]).value(&e.value);
        }
        if !p.allowed_ips.is_empty() {
            let ips: Vec<&str> = p.allowed_ips.iter().map(|a| a.value.as_str()).collect();
            wg_set = wg_set.words(&["allowed-ips"]).value(ips.join(","));
        }
        if let Some(k) = &p.persistent_keepalive {
            wg_set = wg_set.words(&["persistent-keepalive"]).value(k.value.to_string());
        }
    }
    wg_set
}

/// The guard unit of the namespace whose unit is `namespace_unit` (SPEC §13).
pub fn guard_unit_name(namespace_unit: &str) -> String {
    let stem = namespace_unit.strip_suffix(".service").unwrap_or(namespace_unit);
    format!("{stem}-guard.service")
}

/// `dns.strict`, `ipv6` (SPEC §13): the guard, a oneshot that loads netns-compile's own table
/// into the namespace (and switches IPv6 off for `"disable"`). The namespace's unit loads the
/// user's ruleset (`flush ruleset` first) when it starts, and again only where its own reload
/// does: the guard is after it, restarted with it (`PartOf=`) and reloaded after it
/// (`ReloadPropagatedFrom=`, its `ExecReload=` loads the table again), so the table is back
/// each time the user's ruleset has been applied. Joining services are bound to the guard
/// (model/join.rs): none runs without it.
fn guard_unit(ctx: &Ctx, table: &GuardTable) -> ExtraUnit {
    let ns_unit = &ctx.ns.unit_name;
    let unit = guard_unit_name(ns_unit);
    let in_ns = || {
        Command::new(&ctx.tools.ip)
            .words(&["netns", "exec"])
            .value(&ctx.ns.name)
    };
    let mut up = Vec::new();
    if table.disables_ipv6() {
        up.push(in_ns().value(&ctx.tools.sysctl).words(&[
            "-q",
            "-w",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        ]));
    }
    up.push(in_ns().value(ctx.script_path(&unit, "ruleset")));
    // With the namespace gone the table is gone already.
    let down = in_ns()
        .value(&ctx.tools.nft)
        .words(&["delete", "table", "inet", super::connect::GUARD_TABLE])
        .may_fail();
    let span = match (&ctx.ns.connect.strict_dns, &ctx.ns.connect.ipv6) {
        (Some(s), _) => s.span,
        (None, Some(i)) => i.span,
        (None, None) => ctx.ns.name_span,
    };
    let mut guard = oneshot(
        ctx,
        unit.clone(),
        UnitValue::Text(format!(
            "nftables table inet {} of network namespace {:?}",
            super::connect::GUARD_TABLE,
            ctx.ns.name
        )),
        span,
        vec![
            ("PartOf", UnitValue::units([ns_unit])),
            ("ReloadPropagatedFrom", UnitValue::units([ns_unit])),
        ],
        ScriptBody::Shell(up.into_iter().map(ShellLine::Run).collect()),
        down,
    );
    if let Some((_, service)) = guard.sections.iter_mut().find(|(name, _)| *name == "Service") {
        service.push(("ExecReload", UnitValue::Exec(ctx.run(&unit, "start"))));
        service.sort_by_key(|(k, _)| *k);
    }
    guard.scripts.push(Script {
        name: "ruleset".into(),
        body: ScriptBody::Guard(table.clone()),
    });
    guard
}
