//! `portForward` (SPEC §14): a service joined to the namespace that keeps a port forwarded by
//! the tunnel's NAT-PMP gateway and says which (`emit/templates/port_forward.sh` says how).
//!
//! Name: `<stem>-portforward.service`. Started with the namespace (its `.wants/`); joined to it
//! with a joining service's relations, and after the tunnel and requiring it, as joined services
//! are (model/join.rs).

use super::connect::{At, opt_string};
use super::connect_units::{Ctx, guard_unit_name, started_with_namespace};
use super::guard::guard_table;
use super::join::{resolver_covers, resolvers_to_follow};
use super::tunnel_file::path_of;
use super::{ExtraUnit, Script, ScriptBody, Template, UnitValue};
use crate::module::submodules::PortForwardOptions;
use crate::source::Span;

/// `portForward`, only when enabled.
#[derive(Clone, Debug)]
pub struct PortForward {
    /// The `portForward` key.
    pub span: Span,
    /// The NAT-PMP gateway, reached through the tunnel.
    pub gateway: At<String>,
    /// A shell command run with the new port as its last argument.
    pub on_change: Option<At<String>>,
}

/// Read `portForward` from a resolved namespace's options.
pub fn read_port_forward(p: PortForwardOptions) -> PortForward {
    let gateway = opt_string(p.gateway())
        .map(|g| {
            if g.span.is_builtin() {
                At::new(g.value, p.key_span)
            } else {
                g
            }
        })
        .unwrap_or_else(|| At::new("10.2.0.1".into(), p.key_span));
    PortForward {
        span: p.key_span,
        gateway,
        on_change: opt_string(p.on_change()),
    }
}

/// Where the forwarded port is written: `/run/netns-compile/<name>/forwarded-port`.
pub fn port_file(namespace: &str) -> String {
    format!("/run/netns-compile/{namespace}/forwarded-port")
}

/// The service of the namespace whose tunnel's unit is `tunnel`.
pub(super) fn port_forward_unit(ctx: &Ctx, pf: &PortForward, tunnel: &str) -> ExtraUnit {
    let unit = format!("{}-portforward.service", ctx.stem());
    let ns_unit = &ctx.ns.unit_name;
    // Raw: emit quotes each value for the shell.
    let v = |s: &str| s.to_string();
    let settings = [
        ("natpmpc", v(&ctx.tools.natpmpc)),
        ("nft", v(&ctx.tools.nft)),
        ("namespace", v(&ctx.ns.name)),
        ("gateway", v(&pf.gateway.value)),
        ("on_change", v(pf.on_change.as_ref().map_or("", |c| c.value.as_str()))),
        ("port_file", v(&port_file(&ctx.ns.name))),
        ("shell", v(&ctx.tools.runtime_shell)),
        ("PATH", v(&path_of(&ctx.tools.default_path))),
    ];
    // A joined service's relations, the guard's where there is one (SPEC §13); the host's
    // resolver sockets are hidden from it as from every joined service (natpmpc resolves
    // nothing, but `onChange` runs in the namespace too), and the resolvers' restarts restart it.
    let guard = guard_table(&ctx.ns.connect).map(|_| guard_unit_name(ns_unit));
    let resolvers = resolvers_to_follow(&unit, |_| false);
    let sections = vec![
        (
            "Unit",
            vec![
                (
                    "After",
                    UnitValue::units(
                        [ns_unit.as_str(), tunnel]
                            .into_iter()
                            .chain(guard.as_deref())
                            .chain(resolvers.iter().copied()),
                    ),
                ),
                (
                    "BindsTo",
                    UnitValue::units(std::iter::once(ns_unit.as_str()).chain(guard.as_deref())),
                ),
                (
                    "Description",
                    UnitValue::Text(format!(
                        "NAT-PMP port forwarding of network namespace {:?}",
                        ctx.ns.name
                    )),
                ),
                ("JoinsNamespaceOf", UnitValue::units([ns_unit])),
                ("PartOf", UnitValue::units(resolvers)),
                ("Requires", UnitValue::units([tunnel])),
            ],
        ),
        (
            "Service",
            vec![
                ("ExecStart", UnitValue::Exec(ctx.run(&unit, "forward"))),
                ("PrivateNetwork", UnitValue::Bool(true)),
                ("Restart", UnitValue::text("on-failure")),
                ("TemporaryFileSystem", UnitValue::EmptyReadOnly(resolver_covers(&unit))),
            ],
        ),
        ("Install", vec![("WantedBy", UnitValue::units([ns_unit]))]),
    ];
    started_with_namespace(
        ctx,
        unit,
        sections,
        pf.span,
        vec![Script {
            name: "forward".into(),
            body: ScriptBody::Template {
                settings: settings.into(),
                template: Template::PortForward,
            },
        }],
    )
}
