//! What systemd itself contributes to the ordering: its standard targets, the ordering their
//! shipped unit files declare among themselves, and the implicit dependencies it adds to units
//! that keep `DefaultDependencies=yes`.
//!
//! Sources: systemd.special(7) and bootup(7) for the targets and their documented place in
//! the boot, the unit files systemd ships (`units/*.target`, and the `*.target.wants/` links
//! meson installs), systemd.service(5) and systemd.target(5) for the default dependencies.
//! Only what orders anything is here: `Requires=`/`Wants=` between the targets themselves are
//! left out, as are the services they name (`rescue.service`, `emergency.service`,
//! `display-manager.service`), which would otherwise be given service default dependencies
//! they do not have (they set `DefaultDependencies=no`).

use crate::dependency::DepOption::{self, After, Before, Wants};

/// The standard targets that are always nodes of the graph (role `StandardTarget`).
pub const STANDARD_TARGETS: &[&str] = &[
    "basic.target",
    "cryptsetup-pre.target",
    "cryptsetup.target",
    "emergency.target",
    "getty.target",
    "graphical.target",
    "local-fs-pre.target",
    "local-fs.target",
    "multi-user.target",
    "network-online.target",
    "network-pre.target",
    "network.target",
    "nss-lookup.target",
    "nss-user-lookup.target",
    "paths.target",
    "remote-fs-pre.target",
    "remote-fs.target",
    "rescue.target",
    "shutdown.target",
    "slices.target",
    "sockets.target",
    "swap.target",
    "sysinit.target",
    "time-set.target",
    "time-sync.target",
    "timers.target",
];

/// One ordering between standard targets: `first` starts before `then`, because unit
/// `declared_by` says `option=` about the other one.
pub struct StandardOrdering {
    pub first: &'static str,
    pub then: &'static str,
    pub declared_by: &'static str,
    pub option: DepOption,
}

const fn ord(
    first: &'static str,
    then: &'static str,
    declared_by: &'static str,
    option: DepOption,
) -> StandardOrdering {
    StandardOrdering {
        first,
        then,
        declared_by,
        option,
    }
}

/// The ordering among the standard targets (systemd.special(7), bootup(7), and the unit
/// files systemd ships). Read each row as "`declared_by` says `option=` the other one".
///
/// Rows whose option is `Wants` are a target's implicit `After=` on a unit it wants
/// (systemd.target(5), both sides having default dependencies) through the links systemd
/// installs: `sysinit.target.wants/cryptsetup.target`, `multi-user.target.wants/getty.target`.
///
/// Deliberately absent:
/// - `timers.target` → `basic.target`: basic.target wants timers.target but is not ordered
///   after it; timers.target has `DefaultDependencies=no` so timers can wait for services
///   that start later (bootup(7): "timers.target is pulled-in by basic.target
///   asynchronously").
/// - `remote-fs.target` → `multi-user.target`: multi-user.target wants it, but remote-fs.target
///   has `DefaultDependencies=no`, so no ordering is implied.
/// - emergency.target and sysinit.target: their ordering changed between systemd releases
///   (`Before=` in sysinit.target up to v252, `After=` later), and emergency mode never runs
///   together with the units netns-compile generates.
pub const STANDARD_ORDERING: &[StandardOrdering] = &[
    // The network (systemd.special(7): network-pre.target, network.target, network-online.target).
    ord("network-pre.target", "network.target", "network.target", After),
    ord(
        "network.target",
        "network-online.target",
        "network-online.target",
        After,
    ),
    // File systems, swap and encrypted volumes, up to sysinit.target.
    ord("local-fs-pre.target", "local-fs.target", "local-fs.target", After),
    ord("remote-fs-pre.target", "remote-fs.target", "remote-fs.target", After),
    ord("local-fs.target", "sysinit.target", "sysinit.target", After),
    ord("swap.target", "sysinit.target", "sysinit.target", After),
    ord(
        "cryptsetup-pre.target",
        "cryptsetup.target",
        "cryptsetup-pre.target",
        Before,
    ),
    ord("cryptsetup.target", "sysinit.target", "sysinit.target", Wants),
    // basic.target, then the default targets.
    ord("sysinit.target", "basic.target", "basic.target", After),
    ord("sockets.target", "basic.target", "basic.target", After),
    ord("paths.target", "basic.target", "basic.target", After),
    ord("slices.target", "basic.target", "basic.target", After),
    ord("basic.target", "multi-user.target", "multi-user.target", After),
    ord("getty.target", "multi-user.target", "multi-user.target", Wants),
    ord("multi-user.target", "graphical.target", "graphical.target", After),
    // Rescue mode.
    ord("sysinit.target", "rescue.target", "rescue.target", After),
    ord("rescue.target", "multi-user.target", "multi-user.target", After),
    ord("rescue.target", "graphical.target", "graphical.target", After),
    // Time.
    ord("time-set.target", "time-sync.target", "time-sync.target", After),
];

/// Standard targets whose unit file says `DefaultDependencies=no`. A target that wants or
/// requires a unit is ordered after it only when both keep their default dependencies
/// (systemd.target(5); `unit_add_default_target_dependency()` in systemd's `src/core/unit.c`).
const NO_DEFAULT_DEPENDENCIES: &[&str] = &[
    "local-fs.target",
    "remote-fs.target",
    "shutdown.target",
    "timers.target",
];

/// Whether a unit keeps `DefaultDependencies=yes`. Only the standard targets are known not to;
/// any other unit is assumed to keep the default, since its unit file is not part of the input.
pub fn has_default_dependencies(unit: &str) -> bool {
    !NO_DEFAULT_DEPENDENCIES.contains(&unit)
}

/// A service's default dependencies (systemd.service(5)): `After=sysinit.target basic.target`
/// and `Before=shutdown.target` (with `Requires=`/`Conflicts=` that do not order). Each entry
/// is `(target, the service is ordered after the target)`.
pub const SERVICE_DEFAULT_ORDERING: &[(&str, bool)] = &[
    ("sysinit.target", true),
    ("basic.target", true),
    ("shutdown.target", false),
];

/// A socket's default dependencies (systemd.socket(5)): `After=sysinit.target`,
/// `Before=sockets.target shutdown.target`. Same form as [`SERVICE_DEFAULT_ORDERING`].
pub const SOCKET_DEFAULT_ORDERING: &[(&str, bool)] = &[
    ("sysinit.target", true),
    ("sockets.target", false),
    ("shutdown.target", false),
];
