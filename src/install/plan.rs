//! What an install or an uninstall changes, as pure functions of what is on disk (read by
//! `disk`) and the new output tree. Nothing here touches the disk, so tests call it directly.

use super::diff::unified_diff;
use super::{Layout, Link, Record};
use crate::emit::{MASKED, OutEntry, OutputTree, UNIT_DIR};
use std::collections::{BTreeMap, BTreeSet};

/// Where systemd reads the administrator's units (links are made here).
pub const UNIT_LINK_DIR: &str = "/etc/systemd/system";

/// What is at a path, seen without following a final symlink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathState {
    Missing,
    Dir,
    Symlink(String),
    /// A file or anything else: never ours.
    Other,
}

/// One generation folder on disk: its number, its tree, and the record it carries.
#[derive(Clone, Debug)]
pub struct Generation {
    pub number: u32,
    pub tree: OutputTree,
    pub record: Record,
}

/// What a previous install left: the generation `current` points at, and the records of the
/// other generation folders (the one before, or one a crashed run wrote and never switched to).
#[derive(Clone, Debug, Default)]
pub struct Installed {
    pub current: Option<Generation>,
    pub others: Vec<Record>,
}

impl Installed {
    /// Every link and folder any present generation says it wrote: what is ours to replace
    /// or remove.
    fn owned(&self) -> (BTreeMap<&str, BTreeSet<&str>>, BTreeSet<&str>) {
        let mut links: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut dirs = BTreeSet::new();
        let records = self.current.iter().map(|g| &g.record).chain(&self.others);
        for r in records {
            for (path, target) in &r.links {
                links.entry(path).or_default().insert(target);
            }
            dirs.extend(r.created_dirs.iter().map(String::as_str));
        }
        (links, dirs)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// A unit file or drop-in (its path under `lib/systemd/system`), how it changes, and the
/// unified diff of its text and of its scripts when it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitChange {
    pub name: String,
    pub change: Change,
    pub diff: String,
}

/// What systemd is asked to do, unit names each (SPEC §12; decided as NixOS's
/// switch-to-configuration decides): removed units are stopped before their files go;
/// changed units are restarted if running (`try-restart`), or reloaded with `reloadIfChanged`,
/// or left running with `restartIfChanged = false`; a service whose drop-in was added, changed
/// or removed is restarted if running (it enters or leaves the namespace); added units that
/// are enabled (`wantedBy`/`requiredBy`) are started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub stop: Vec<String>,
    pub restart: Vec<String>,
    pub reload: Vec<String>,
    pub start: Vec<String>,
    pub not_restarted: Vec<String>,
}

impl Actions {
    pub fn is_empty(&self) -> bool {
        self.stop.is_empty() && self.restart.is_empty() && self.reload.is_empty() && self.start.is_empty()
    }
}

/// A link that is recorded as ours but was changed by someone else: left as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftAlone {
    pub path: String,
    pub found: PathState,
}

#[derive(Clone, Debug)]
pub struct InstallPlan {
    pub generation: u32,
    pub previous: Option<u32>,
    /// The generation's tree, the record included.
    pub tree: OutputTree,
    pub record: Record,
    pub units: Vec<UnitChange>,
    /// Folders to make, parents first.
    pub create_dirs: Vec<String>,
    pub add_links: Vec<Link>,
    /// Our links whose target changes (another state folder): replaced by rename.
    pub replace_links: Vec<Link>,
    pub remove_links: Vec<Link>,
    pub left_alone: Vec<LeftAlone>,
    /// Folders we made that no link needs any more, deepest first: removed when empty.
    pub remove_dirs: Vec<String>,
    pub actions: Actions,
}

/// A path where install would write a link, holding something it did not write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub path: String,
    pub found: PathState,
}

/// The number of the next generation: above every folder present, so a folder a crashed run
/// left is never reused.
pub fn next_generation(present: &[u32]) -> u32 {
    present.iter().max().map_or(1, |n| n + 1)
}

/// The links a tree asks for in `/etc/systemd/system`, path → target (both as the running
/// system sees them): each unit file and drop-in through `<state>/current`, so that switching
/// `current` switches them all; each `.wants/`/`.requires/` entry to the unit's link, as
/// `systemctl enable` makes it. A masked unit (`enable = false`) is linked to /dev/null
/// itself, as `systemctl mask` does, and never enabled: the tree's `.wants/` entry for it
/// (NixOS makes one) is left out, as `systemctl enable` refuses a masked unit.
pub fn wanted_links(tree: &OutputTree, layout: &Layout) -> BTreeMap<String, String> {
    let prefix = format!("{UNIT_DIR}/");
    let mut links = BTreeMap::new();
    for (rel, entry) in &tree.entries {
        let Some(name) = rel.strip_prefix(&prefix) else {
            continue;
        };
        let path = format!("{UNIT_LINK_DIR}/{name}");
        let target = match entry {
            OutEntry::File { .. } => format!("{}/{rel}", layout.current()),
            OutEntry::Symlink { target } => match enabling_link(name, target) {
                Some(unit) if is_masked(tree, unit) => continue,
                Some(unit) => format!("{UNIT_LINK_DIR}/{unit}"),
                None => target.clone(),
            },
        };
        links.insert(path, target);
    }
    links
}

/// The unit a `<target>.wants/<unit>` (or `.requires/`, or `.upholds/` of `upheldBy`) entry
/// of the tree enables: its link is `../<unit>`.
fn enabling_link<'a>(name: &'a str, target: &str) -> Option<&'a str> {
    let (dir, unit) = name.rsplit_once('/')?;
    let kind = [".wants", ".requires", ".upholds"].iter().any(|k| dir.ends_with(k));
    (kind && target.strip_prefix("../") == Some(unit)).then_some(unit)
}

/// Whether the tree masks `unit` (`enable = false`): a link to /dev/null in its place.
pub fn is_masked(tree: &OutputTree, unit: &str) -> bool {
    matches!(tree.entries.get(&format!("{UNIT_DIR}/{unit}")), Some(OutEntry::Symlink { target }) if target == MASKED)
}

/// Every folder the links and the state folder need, as absolute paths (not `/`).
pub fn needed_dirs(links: &BTreeMap<String, String>, layout: &Layout) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    let mut add_ancestors = |path: &str, include_self: bool| {
        let mut p = if include_self { Some(path) } else { parent(path) };
        while let Some(d) = p.filter(|d| !d.is_empty() && *d != "/") {
            dirs.insert(d.to_string());
            p = parent(d);
        }
    };
    add_ancestors(&layout.state, true);
    add_ancestors(UNIT_LINK_DIR, true);
    for path in links.keys() {
        add_ancestors(path, false);
    }
    dirs
}

fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(p, _)| p)
}

/// The paths whose state the plan needs: the new links, every recorded link, the folders.
pub fn paths_to_observe(tree: &OutputTree, layout: &Layout, installed: &Installed) -> BTreeSet<String> {
    let links = wanted_links(tree, layout);
    let (owned_links, owned_dirs) = installed.owned();
    let mut paths: BTreeSet<String> = needed_dirs(&links, layout);
    paths.extend(links.into_keys());
    paths.extend(owned_links.keys().map(|p| p.to_string()));
    paths.extend(owned_dirs.iter().map(|p| p.to_string()));
    paths
}

/// Plan an install of `tree` (built with the prefix of generation `generation`) over what is
/// installed. `observed` must hold every path of [`paths_to_observe`]. Errors: the paths
/// where a link would go that hold something netns-compile did not write.
pub fn plan_install(
    tree: &OutputTree,
    generation: u32,
    layout: &Layout,
    installed: &Installed,
    observed: &BTreeMap<String, PathState>,
) -> Result<InstallPlan, Vec<Conflict>> {
    let state_of = |p: &str| observed.get(p).cloned().unwrap_or(PathState::Missing);
    let links = wanted_links(tree, layout);
    let (owned_links, owned_dirs) = installed.owned();
    let is_owned = |path: &str, target: &str| owned_links.get(path).is_some_and(|t| t.contains(target));

    let (mut add_links, mut replace_links, mut conflicts) = (Vec::new(), Vec::new(), Vec::new());
    for (path, target) in &links {
        let link = Link {
            path: path.clone(),
            target: target.clone(),
        };
        match state_of(path) {
            PathState::Missing => add_links.push(link),
            // Already there: ours from before, or the same link a crashed run made.
            PathState::Symlink(t) if &t == target => {}
            PathState::Symlink(t) if is_owned(path, &t) => replace_links.push(link),
            found => conflicts.push(Conflict {
                path: path.clone(),
                found,
            }),
        }
    }
    let needed = needed_dirs(&links, layout);
    for dir in &needed {
        match state_of(dir) {
            PathState::Missing | PathState::Dir => {}
            found => conflicts.push(Conflict {
                path: dir.clone(),
                found,
            }),
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }

    let (mut remove_links, mut left_alone) = (Vec::new(), Vec::new());
    for (path, targets) in &owned_links {
        if links.contains_key(*path) {
            continue;
        }
        match state_of(path) {
            PathState::Missing => {}
            PathState::Symlink(t) if targets.contains(t.as_str()) => remove_links.push(Link {
                path: path.to_string(),
                target: t,
            }),
            found => left_alone.push(LeftAlone {
                path: path.to_string(),
                found,
            }),
        }
    }
    let create_dirs: Vec<String> = needed
        .iter()
        .filter(|d| state_of(d) == PathState::Missing)
        .cloned()
        .collect();
    let mut remove_dirs: Vec<String> = owned_dirs
        .iter()
        .filter(|d| !needed.contains(**d) && state_of(d) == PathState::Dir)
        .map(|d| d.to_string())
        .collect();
    remove_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));

    let mut created: BTreeSet<String> = create_dirs.iter().cloned().collect();
    created.extend(
        owned_dirs
            .iter()
            .filter(|d| needed.contains(**d) && state_of(d) == PathState::Dir)
            .map(|d| d.to_string()),
    );
    let record = Record {
        generation,
        state: layout.state.clone(),
        links,
        created_dirs: created,
    };
    let mut full = tree.clone();
    full.entries.insert(
        super::RECORD.to_string(),
        OutEntry::File {
            content: record.to_json().into_bytes(),
            mode: 0o444,
        },
    );
    let old = installed.current.as_ref();
    let units = unit_changes(
        old.map(|g| (&g.tree, layout.generation(g.number))),
        tree,
        &layout.generation(generation),
    );
    let actions = actions_of(&units, tree);
    Ok(InstallPlan {
        generation,
        previous: old.map(|g| g.number),
        tree: full,
        record,
        units,
        create_dirs,
        add_links,
        replace_links,
        remove_links,
        left_alone,
        remove_dirs,
        actions,
    })
}

/// The unit files and drop-ins of a tree: path under `lib/systemd/system` → text.
fn units_of(tree: &OutputTree) -> BTreeMap<&str, &[u8]> {
    let prefix = format!("{UNIT_DIR}/");
    tree.entries
        .iter()
        .filter_map(|(rel, e)| match e {
            OutEntry::File { content, .. } => Some((rel.strip_prefix(&prefix)?, content.as_slice())),
            OutEntry::Symlink { .. } => None,
        })
        .collect()
}

/// The scripts of a unit: name → (mode, text).
fn scripts_of<'t>(tree: &'t OutputTree, unit: &str) -> BTreeMap<&'t str, (u32, &'t [u8])> {
    let dir = format!("{}/", crate::model::escape::script_dir(unit));
    tree.entries
        .range(dir.clone()..)
        .take_while(|(rel, _)| rel.starts_with(&dir))
        .filter_map(|(rel, e)| match e {
            OutEntry::File { content, mode } => Some((&rel[dir.len()..], (*mode, content.as_slice()))),
            OutEntry::Symlink { .. } => None,
        })
        .collect()
}

/// How each unit file and drop-in changes from the old generation (its tree and prefix) to
/// the new one. The old text is read with the old generation's prefix replaced by the new
/// one's: a unit that only moved to the new generation folder has not changed.
fn unit_changes(old: Option<(&OutputTree, String)>, new: &OutputTree, new_prefix: &str) -> Vec<UnitChange> {
    let empty = OutputTree::default();
    let (old_tree, old_prefix) = old.map_or((&empty, String::new()), |(t, p)| (t, p));
    let moved = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        if old_prefix.is_empty() {
            text.into_owned()
        } else {
            text.replace(&format!("{old_prefix}/"), &format!("{new_prefix}/"))
        }
    };
    let (old_units, new_units) = (units_of(old_tree), units_of(new));
    let names: BTreeSet<&str> = old_units.keys().chain(new_units.keys()).copied().collect();
    names
        .into_iter()
        .map(|name| {
            let before = old_units.get(name).map(|b| moved(b));
            let after = new_units.get(name).map(|b| String::from_utf8_lossy(b).into_owned());
            let mut diff = unified_diff(
                before.as_deref().unwrap_or(""),
                after.as_deref().unwrap_or(""),
                &format!("a/{name}"),
                &format!("b/{name}"),
            );
            let (old_scripts, new_scripts) = (scripts_of(old_tree, name), scripts_of(new, name));
            let script_names: BTreeSet<&str> = old_scripts.keys().chain(new_scripts.keys()).copied().collect();
            let mut scripts_differ = false;
            for script in script_names {
                let (a, b) = (old_scripts.get(script), new_scripts.get(script));
                let text = |s: Option<&(u32, &[u8])>| s.map(|(_, t)| moved(t)).unwrap_or_default();
                let (ta, tb) = (text(a), text(b));
                if ta != tb || a.map(|s| s.0) != b.map(|s| s.0) {
                    scripts_differ = true;
                    if before.is_some() && after.is_some() {
                        let rel = format!("{}/{script}", crate::model::escape::script_dir(name));
                        diff.push_str(&unified_diff(&ta, &tb, &format!("a/{rel}"), &format!("b/{rel}")));
                    }
                }
            }
            let change = match (&before, &after) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                (Some(a), Some(b)) if a != b || scripts_differ => Change::Changed,
                _ => Change::Unchanged,
            };
            if change != Change::Changed {
                diff.clear();
            }
            UnitChange {
                name: name.to_string(),
                change,
                diff,
            }
        })
        .collect()
}

/// The unit a drop-in belongs to (`x.service.d/netns.conf` → `x.service`), or `None` for a
/// unit file.
pub fn dropin_owner(name: &str) -> Option<&str> {
    name.split_once(".d/").map(|(unit, _)| unit)
}

fn has_flag(tree: &OutputTree, name: &str, flag: &str) -> bool {
    units_of(tree)
        .get(name)
        .is_some_and(|text| String::from_utf8_lossy(text).lines().any(|l| l == flag))
}

/// Whether the tree enables `unit`: a `.wants/`/`.requires/`/`.upholds/` link to it, and the unit not
/// masked (such a link reaches /dev/null and starts nothing).
fn is_enabled(tree: &OutputTree, unit: &str) -> bool {
    let prefix = format!("{UNIT_DIR}/");
    !is_masked(tree, unit)
        && tree.entries.iter().any(|(rel, e)| match e {
            OutEntry::Symlink { target } => rel
                .strip_prefix(&prefix)
                .and_then(|n| enabling_link(n, target))
                .is_some_and(|u| u == unit),
            OutEntry::File { .. } => false,
        })
}

fn actions_of(units: &[UnitChange], new: &OutputTree) -> Actions {
    let mut a = Actions::default();
    let mut restart_services = BTreeSet::new();
    for u in units {
        if let Some(service) = dropin_owner(&u.name) {
            if u.change != Change::Unchanged {
                restart_services.insert(service.to_string());
            }
            continue;
        }
        match u.change {
            Change::Unchanged => {}
            Change::Removed => a.stop.push(u.name.clone()),
            Change::Added if is_enabled(new, &u.name) => a.start.push(u.name.clone()),
            Change::Added => {}
            Change::Changed if has_flag(new, &u.name, "X-RestartIfChanged=false") => {
                a.not_restarted.push(u.name.clone())
            }
            Change::Changed if has_flag(new, &u.name, "X-ReloadIfChanged=true") => a.reload.push(u.name.clone()),
            Change::Changed => a.restart.push(u.name.clone()),
        }
    }
    // A joiner restarted for its drop-in may also be a unit of ours; once is enough.
    for s in restart_services {
        if !a.restart.contains(&s) && !a.start.contains(&s) && !a.stop.contains(&s) {
            a.restart.push(s);
        }
    }
    a
}

/// What an uninstall removes.
#[derive(Clone, Debug, Default)]
pub struct UninstallPlan {
    pub remove_links: Vec<Link>,
    pub left_alone: Vec<LeftAlone>,
    /// Folders we made, deepest first: removed when empty.
    pub remove_dirs: Vec<String>,
    /// The unit files of the current generation (stopped first with `--stop`).
    pub units: Vec<String>,
}

/// Plan an uninstall: every link a present generation recorded that is still the link it
/// wrote, and the folders it made. `observed` must hold every recorded path.
pub fn plan_uninstall(installed: &Installed, observed: &BTreeMap<String, PathState>) -> UninstallPlan {
    let (owned_links, owned_dirs) = installed.owned();
    let mut plan = UninstallPlan::default();
    for (path, targets) in owned_links {
        match observed.get(path).cloned().unwrap_or(PathState::Missing) {
            PathState::Missing => {}
            PathState::Symlink(t) if targets.contains(t.as_str()) => plan.remove_links.push(Link {
                path: path.to_string(),
                target: t,
            }),
            found => plan.left_alone.push(LeftAlone {
                path: path.to_string(),
                found,
            }),
        }
    }
    plan.remove_dirs = owned_dirs.into_iter().map(str::to_string).collect();
    plan.remove_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    if let Some(g) = &installed.current {
        plan.units = units_of(&g.tree)
            .into_keys()
            .filter(|n| dropin_owner(n).is_none())
            .map(str::to_string)
            .collect();
    }
    plan
}

/// What `install` says it changed (or, with `dry_run`, would change): the units added,
/// removed and changed with their diffs, the links, and what systemd is (or should be) asked.
pub fn describe_install(plan: &InstallPlan, dry_run: bool, layout: &Layout) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would install" } else { "installed" };
    let from = plan.previous.map_or_else(
        || "nothing installed before".to_string(),
        |p| format!("replacing generation {p}"),
    );
    out.push_str(&format!(
        "{verb} generation {} at {} ({from})\n",
        plan.generation,
        layout.generation(plan.generation)
    ));
    for change in [Change::Added, Change::Removed, Change::Changed] {
        for u in plan.units.iter().filter(|u| u.change == change) {
            out.push_str(&format!("  {:<9} {}\n", change.as_str(), u.name));
        }
    }
    let unchanged = plan.units.iter().filter(|u| u.change == Change::Unchanged).count();
    if unchanged > 0 {
        out.push_str(&format!("  {unchanged} unit file(s) and drop-in(s) unchanged\n"));
    }
    for (mark, links) in [
        ("+", &plan.add_links),
        ("~", &plan.replace_links),
        ("-", &plan.remove_links),
    ] {
        for l in links {
            out.push_str(&format!("  {mark} {} -> {}\n", l.path, l.target));
        }
    }
    for l in &plan.left_alone {
        out.push_str(&format!(
            "  left alone: {} (recorded as ours, but now {})\n",
            l.path,
            describe_state(&l.found)
        ));
    }
    for u in plan.units.iter().filter(|u| u.change == Change::Changed) {
        out.push_str(&u.diff);
    }
    out
}

pub fn describe_state(s: &PathState) -> String {
    match s {
        PathState::Missing => "missing".into(),
        PathState::Dir => "a folder".into(),
        PathState::Symlink(t) => format!("a link to {t}"),
        PathState::Other => "a file".into(),
    }
}

/// The `systemctl` command lines that carry out `actions`, in order.
pub fn systemctl_commands(actions: &Actions) -> Vec<Vec<String>> {
    let mut cmds = vec![vec!["daemon-reload".to_string()]];
    for (verb, units) in [
        ("try-restart", &actions.restart),
        ("try-reload-or-restart", &actions.reload),
        ("start", &actions.start),
    ] {
        if !units.is_empty() {
            let mut c = vec![verb.to_string()];
            c.extend(units.iter().cloned());
            cmds.push(c);
        }
    }
    cmds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(
            std::path::Path::new("/"),
            &crate::prefix::Prefix::new("/var/lib/netns-compile").unwrap(),
        )
    }

    /// A tree of one unit `netns-a.service` (enabled or not) with a script, for generation `n`.
    fn tree(n: u32, script: &str, enabled: bool) -> OutputTree {
        let mut t = OutputTree::default();
        let unit = format!("[Service]\nExecStart=/var/lib/netns-compile/{n}/libexec/netns-compile/netns-a.service/s\n");
        t.entries.insert(
            "lib/systemd/system/netns-a.service".into(),
            OutEntry::File {
                content: unit.into_bytes(),
                mode: 0o444,
            },
        );
        t.entries.insert(
            "libexec/netns-compile/netns-a.service/s".into(),
            OutEntry::File {
                content: script.as_bytes().to_vec(),
                mode: 0o555,
            },
        );
        if enabled {
            t.entries.insert(
                "lib/systemd/system/multi-user.target.wants/netns-a.service".into(),
                OutEntry::Symlink {
                    target: "../netns-a.service".into(),
                },
            );
        }
        t
    }

    fn installed(n: u32, t: OutputTree) -> Installed {
        let links = wanted_links(&t, &layout());
        Installed {
            current: Some(Generation {
                number: n,
                tree: t,
                record: Record {
                    generation: n,
                    state: layout().state,
                    links,
                    created_dirs: Default::default(),
                },
            }),
            others: Vec::new(),
        }
    }

    /// What is on disk after a complete install of `t`.
    fn on_disk(t: &OutputTree) -> BTreeMap<String, PathState> {
        let links = wanted_links(t, &layout());
        let mut seen: BTreeMap<String, PathState> = needed_dirs(&links, &layout())
            .into_iter()
            .map(|d| (d, PathState::Dir))
            .collect();
        seen.extend(links.into_iter().map(|(p, t)| (p, PathState::Symlink(t))));
        seen
    }

    #[test]
    fn a_moved_generation_is_no_change_and_a_script_is() {
        let old = installed(1, tree(1, "x", true));
        let same = plan_install(&tree(2, "x", true), 2, &layout(), &old, &on_disk(&tree(1, "x", true))).unwrap();
        assert_eq!(same.units[0].change, Change::Unchanged);
        assert!(same.add_links.is_empty() && same.remove_links.is_empty() && same.actions.is_empty());
        let changed = plan_install(&tree(2, "y", true), 2, &layout(), &old, &on_disk(&tree(1, "x", true))).unwrap();
        assert_eq!(changed.units[0].change, Change::Changed);
        assert_eq!(changed.actions.restart, ["netns-a.service"]);
        assert!(changed.units[0].diff.contains("-x\n\\ No newline at end of file\n+y\n"));
    }

    #[test]
    fn links_a_crashed_run_made_are_taken_and_foreign_ones_refused() {
        let new = tree(1, "x", true);
        // The same links already there (a run killed before its switch): nothing to add.
        let plan = plan_install(&new, 2, &layout(), &Installed::default(), &on_disk(&new)).unwrap();
        assert!(plan.add_links.is_empty());
        let mut seen = on_disk(&new);
        seen.insert("/etc/systemd/system/netns-a.service".into(), PathState::Other);
        let err = plan_install(&new, 1, &layout(), &Installed::default(), &seen).unwrap_err();
        assert_eq!(err[0].path, "/etc/systemd/system/netns-a.service");
    }

    #[test]
    fn an_upholds_link_enables_the_unit_as_systemctl_enable_would() {
        let mut t = tree(1, "x", false);
        t.entries.insert(
            "lib/systemd/system/multi-user.target.upholds/netns-a.service".into(),
            OutEntry::Symlink {
                target: "../netns-a.service".into(),
            },
        );
        assert!(is_enabled(&t, "netns-a.service"));
        let links = wanted_links(&t, &layout());
        assert_eq!(
            links["/etc/systemd/system/multi-user.target.upholds/netns-a.service"],
            "/etc/systemd/system/netns-a.service"
        );
    }

    #[test]
    fn a_masked_unit_is_linked_to_dev_null_and_never_enabled_nor_started() {
        // The tree as `emit` writes `enable = false`: the unit a link to /dev/null, and the
        // `.wants/` link NixOS makes for it all the same.
        let mut masked = tree(1, "x", true);
        masked.entries.retain(|rel, _| !rel.starts_with("libexec/"));
        masked.entries.insert(
            "lib/systemd/system/netns-a.service".into(),
            OutEntry::Symlink { target: MASKED.into() },
        );
        assert!(is_masked(&masked, "netns-a.service") && !is_enabled(&masked, "netns-a.service"));
        let links = wanted_links(&masked, &layout());
        assert_eq!(
            links.into_iter().collect::<Vec<_>>(),
            [("/etc/systemd/system/netns-a.service".to_string(), MASKED.to_string())]
        );
        let fresh = plan_install(&masked, 1, &layout(), &Installed::default(), &BTreeMap::new()).unwrap();
        assert!(
            fresh.actions.is_empty() && fresh.units.is_empty(),
            "{:?}",
            fresh.actions
        );
        // Masked after it ran: stopped, its mask replacing its link.
        let old = installed(1, tree(1, "x", true));
        let plan = plan_install(&masked, 2, &layout(), &old, &on_disk(&tree(1, "x", true))).unwrap();
        assert_eq!(plan.actions.stop, ["netns-a.service"]);
        assert!(plan.actions.start.is_empty());
        assert_eq!(plan.replace_links[0].target, MASKED);
        assert_eq!(
            plan.remove_links[0].path,
            "/etc/systemd/system/multi-user.target.wants/netns-a.service"
        );
    }

    #[test]
    fn a_recorded_link_someone_replaced_is_left_alone() {
        let old = installed(1, tree(1, "x", true));
        let mut seen = on_disk(&tree(1, "x", true));
        let wants = "/etc/systemd/system/multi-user.target.wants/netns-a.service";
        seen.insert(wants.into(), PathState::Symlink("/elsewhere".into()));
        let plan = plan_install(&tree(2, "x", false), 2, &layout(), &old, &seen).unwrap();
        assert!(plan.remove_links.is_empty());
        assert_eq!(plan.left_alone[0].path, wants);
        let un = plan_uninstall(&old, &seen);
        assert_eq!(un.left_alone[0].path, wants);
        assert_eq!(un.remove_links.len(), 1);
        assert_eq!(un.units, ["netns-a.service"]);
    }
}
