//! `openvpn` (SPEC §14): OpenVPN with its socket in the host's namespace and its tun device in
//! the namespace, as namespaced-openvpn does it.
//!
//! Name: `<stem>-openvpn.service`, with the relations of the WireGuard tunnel's unit (after and
//! bound to the namespace's unit, started with it, after `network-online.target` and the
//! guard). `Type=notify` (OpenVPN says it is ready once it has started, before it connects) and
//! an `ExecStartPost=` that waits for the up script to have moved, addressed and routed the
//! device, so the joiners (after it and requiring it, model/join.rs) never start before the way
//! out exists. What the script does,
//! and which directives of the user's file it overrides or refuses, is said in
//! `emit/templates/openvpn.sh`.

use super::connect::{At, interface_name, opt_string, resolv_conf_path};
use super::connect_units::{Ctx, guard_unit_name, started_with_namespace};
use super::guard::guard_table;
use super::tunnel_file::path_of;
use super::{ExtraUnit, Script, ScriptBody, Template, UnitValue};
use crate::module::submodules::OpenVpnOptions;
use crate::source::Span;

/// The tun device's name starts with this, in the host's namespace (where OpenVPN makes it)
/// and in the namespace (where the up script moves it).
pub const OPENVPN_INTERFACE_PREFIX: &str = "ovpn-";

/// `openvpn`, only when enabled.
#[derive(Clone, Debug)]
pub struct OpenVpn {
    /// The `openvpn` key.
    pub span: Span,
    /// The client's configuration file as the provider hands it out (checked to be given).
    pub config_file: Option<At<String>>,
    /// A file with the user name and the password, one a line (`--auth-user-pass`).
    pub auth_user_pass_file: Option<At<String>>,
    /// The tun device: [`openvpn_interface`] of the namespace's name.
    pub interface: String,
}

/// Read `openvpn` from a resolved namespace's options.
pub fn read_openvpn(namespace_name: &str, o: OpenVpnOptions) -> OpenVpn {
    OpenVpn {
        span: o.key_span,
        config_file: opt_string(o.config_file()),
        auth_user_pass_file: opt_string(o.auth_user_pass_file()),
        interface: openvpn_interface(namespace_name),
    }
}

/// The tun device of a namespace's OpenVPN: unique on the host, as OpenVPN makes it there
/// before the up script moves it in.
pub fn openvpn_interface(namespace: &str) -> String {
    interface_name(OPENVPN_INTERFACE_PREFIX, namespace)
}

/// The OpenVPN unit's name.
pub fn openvpn_unit_name(stem: &str) -> String {
    format!("{stem}-openvpn.service")
}

/// The unit, when the file is given (its absence is reported by the checks).
pub(super) fn openvpn_unit(ctx: &Ctx, vpn: &OpenVpn) -> Option<ExtraUnit> {
    let file = vpn.config_file.as_ref()?;
    let unit = openvpn_unit_name(ctx.stem());
    let ns_unit = &ctx.ns.unit_name;
    let auth = vpn.auth_user_pass_file.as_ref().map_or("", |a| a.value.as_str());
    // Raw: emit quotes each value for the shell.
    let v = |s: &str| s.to_string();
    let settings = [
        ("ip", v(&ctx.tools.ip)),
        ("nft", v(&ctx.tools.nft)),
        ("openvpn", v(&ctx.tools.openvpn)),
        ("namespace", v(&ctx.ns.name)),
        ("interface", v(&vpn.interface)),
        ("config_file", v(&file.value)),
        ("auth_user_pass_file", v(auth)),
        ("resolv_conf", v(&resolv_conf_path(&ctx.ns.name))),
        ("dns_file", v(&dns_file(&ctx.ns.name))),
        ("PATH", v(&path_of(&ctx.tools.default_path))),
    ];
    let guard = guard_table(&ctx.ns.connect);
    let mut after = vec![ns_unit.clone(), "network-online.target".to_string()];
    after.extend(guard.as_ref().map(|_| guard_unit_name(ns_unit)));
    let mut unit_keys = vec![
        ("After", UnitValue::Units(after)),
        ("BindsTo", UnitValue::units([ns_unit])),
        (
            "Description",
            UnitValue::TextAndValue(
                format!("OpenVPN {} of network namespace {:?} from ", vpn.interface, ctx.ns.name),
                file.value.clone(),
            ),
        ),
        ("Wants", UnitValue::units(["network-online.target"])),
    ];
    let script = ctx.run(&unit, "openvpn");
    let mut service_keys = vec![
        ("ExecStart", UnitValue::Exec(script.clone())),
        ("ExecStartPost", UnitValue::Exec(script.clone().words(&["ready"]))),
        ("Type", UnitValue::text("notify")),
    ];
    // As for a wg-quick file (tunnel_file.rs): loading the guard's table again empties its DNS
    // sets, and the servers the VPN pushed are added again.
    if guard.is_some_and(|t| t.dns.is_some()) {
        unit_keys.push(("ReloadPropagatedFrom", UnitValue::units([guard_unit_name(ns_unit)])));
        service_keys.push(("ExecReload", UnitValue::Exec(script.words(&["dns-allow"]))));
    }
    unit_keys.sort_by_key(|(k, _)| *k);
    service_keys.sort_by_key(|(k, _)| *k);
    let sections = vec![
        ("Unit", unit_keys),
        ("Service", service_keys),
        ("Install", vec![("WantedBy", UnitValue::units([ns_unit]))]),
    ];
    Some(started_with_namespace(
        ctx,
        unit,
        sections,
        vpn.span,
        vec![Script {
            name: "openvpn".into(),
            body: ScriptBody::Template {
                settings: settings.into(),
                template: Template::OpenVpn,
            },
        }],
    ))
}

/// Where the up script keeps the DNS servers the VPN pushed, for `dns-allow` after a reload.
pub fn dns_file(namespace: &str) -> String {
    format!("/run/netns-compile/{namespace}/openvpn-dns")
}
