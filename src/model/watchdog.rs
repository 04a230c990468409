//! `watchdog` (SPEC §14): a service of the namespace's own that restarts its tunnel when the
//! tunnel's last handshake is older than a timeout (WireGuard) or its device is gone (OpenVPN). What it does, and why the restart ignores
//! dependencies, is said in `emit/templates/watchdog.sh`.
//!
//! Name: `<stem>-watchdog.service`. Started with the namespace (its `.wants/`), after the
//! tunnel, bound to the namespace, and part of the tunnel's unit: stopping the tunnel by hand
//! stops the watchdog too, so that it does not bring back a tunnel someone meant to stop.

use super::connect::{At, int_at};
use super::connect_units::{Ctx, started_with_namespace};
use super::tunnel_file::path_of;
use super::{ExtraUnit, Script, ScriptBody, Template, UnitValue};
use crate::module::submodules::WatchdogOptions;
use crate::node::Node;
use crate::source::Span;

/// `watchdog`, only when enabled.
#[derive(Clone, Debug)]
pub struct Watchdog {
    /// The `watchdog` key.
    pub span: Span,
    /// Seconds between looks.
    pub interval: At<i64>,
    /// Age in seconds of the last handshake past which the tunnel is restarted.
    pub handshake_timeout: At<i64>,
}

/// Read `watchdog` from a resolved namespace's options.
pub fn read_watchdog(w: WatchdogOptions) -> Watchdog {
    // A default has no place of its own: point at the `watchdog` key instead.
    let seconds = |value: Option<&Node>, default: i64| {
        value
            .and_then(int_at)
            .filter(|a| !a.span.is_builtin())
            .unwrap_or(At::new(default, w.key_span))
    };
    Watchdog {
        span: w.key_span,
        interval: seconds(w.interval(), 30),
        handshake_timeout: seconds(w.handshake_timeout(), 180),
    }
}

/// The watchdog's unit for the namespace whose tunnel's unit is `tunnel`.
pub(super) fn watchdog_unit(ctx: &Ctx, dog: &Watchdog, tunnel: &str) -> Option<ExtraUnit> {
    // OpenVPN reconnects by itself; what the watchdog sees of it is its device (SPEC §14).
    let (kind, interface) = match (&ctx.ns.connect.openvpn, &ctx.ns.connect.wireguard) {
        (Some(vpn), _) => ("OpenVPN", &vpn.interface),
        (None, Some(wg)) => ("WireGuard", &wg.interface.value),
        (None, None) => return None,
    };
    let unit = format!("{}-watchdog.service", ctx.stem());
    let ns_unit = &ctx.ns.unit_name;
    // Raw: emit quotes each value for the shell.
    let v = |s: &str| s.to_string();
    let settings = [
        ("ip", v(&ctx.tools.ip)),
        ("wg", v(&ctx.tools.wg)),
        ("namespace", v(&ctx.ns.name)),
        ("kind", kind.to_string()),
        ("interface", v(interface)),
        ("tunnel_unit", v(tunnel)),
        ("interval", dog.interval.value.to_string()),
        ("timeout", dog.handshake_timeout.value.to_string()),
        ("PATH", v(&path_of(&ctx.tools.default_path))),
    ];
    let sections = vec![
        (
            "Unit",
            vec![
                ("After", UnitValue::units([ns_unit.as_str(), tunnel])),
                ("BindsTo", UnitValue::units([ns_unit])),
                (
                    "Description",
                    UnitValue::Text(format!(
                        "Watchdog of {kind} {interface} of network namespace {:?}",
                        ctx.ns.name
                    )),
                ),
                ("PartOf", UnitValue::units([tunnel])),
            ],
        ),
        (
            "Service",
            vec![
                ("ExecStart", UnitValue::Exec(ctx.run(&unit, "watch"))),
                ("Restart", UnitValue::text("on-failure")),
            ],
        ),
        ("Install", vec![("WantedBy", UnitValue::units([ns_unit]))]),
    ];
    Some(started_with_namespace(
        ctx,
        unit,
        sections,
        dog.span,
        vec![Script {
            name: "watch".into(),
            body: ScriptBody::Template {
                settings: settings.into(),
                template: Template::Watchdog,
            },
        }],
    ))
}
