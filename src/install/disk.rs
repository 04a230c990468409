//! The install's I/O: reading what is installed, the lock, carrying out a plan, `systemctl`.
//! The decisions are made in `plan`; this file only does what a plan says, in the order the
//! module documentation gives.

use super::hook::{Phase, crash_point};
use super::plan::{self, Conflict, Generation, InstallPlan, Installed, PathState, UninstallPlan};
use super::{Layout, Link, RECORD, Record};
use crate::emit::{OutEntry, OutputTree};
use crate::output::{WriteError, write_tree_atomically};
use crate::prefix::Prefix;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Link paths holding what netns-compile did not write (exit 1).
    #[error("{}", describe_conflicts(.0))]
    Foreign(Vec<Conflict>),
    /// The configuration has errors (already reported).
    #[error("the configuration has errors")]
    Config,
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: not a record netns-compile wrote: {message}")]
    Record { path: PathBuf, message: String },
    #[error("{0}: not empty and not a netns-compile state folder (it has no `lock` and no `current`)")]
    NotState(PathBuf),
    #[error(
        "--root {0}: no such folder; --root names the root folder of an existing system image (its /etc and /var are written into): create it or correct the path"
    )]
    NoRoot(PathBuf),
    #[error("--root {0}: not a folder; --root names the root folder of a system image")]
    RootNotFolder(PathBuf),
    #[error(transparent)]
    Write(#[from] WriteError),
}

fn describe_conflicts(conflicts: &[Conflict]) -> String {
    let mut s = String::from("refusing to overwrite what netns-compile did not write:");
    for c in conflicts {
        s.push_str(&format!("\n  {} is {}", c.path, plan::describe_state(&c.found)));
    }
    s.push_str("\nmove these away (or remove them) and run the install again");
    s
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether systemd runs this system (`sd_booted()`'s test).
pub fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// One `systemctl` run and what it said.
#[derive(Clone, Debug)]
pub struct SystemctlRun {
    pub args: Vec<String>,
    pub ok: bool,
    pub output: String,
}

fn systemctl(args: &[String]) -> SystemctlRun {
    let (ok, output) = match Command::new("systemctl").args(args).output() {
        Ok(o) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        ),
        Err(e) => (false, format!("systemctl: {e}")),
    };
    SystemctlRun {
        args: args.to_vec(),
        ok,
        output,
    }
}

/// What an install did (or, dry, would do).
#[derive(Debug)]
pub struct InstallOutcome {
    pub plan: InstallPlan,
    /// `systemctl` runs made (systemd running), or none.
    pub systemctl: Vec<SystemctlRun>,
    /// The `systemctl` commands left to the administrator (no running systemd, `--root`).
    pub to_run: Vec<Vec<String>>,
}

/// How to install.
#[derive(Clone, Copy, Debug)]
pub struct InstallOptions {
    pub dry_run: bool,
    /// Drive systemd (it runs, and the install is into `/`).
    pub systemd: bool,
}

/// The lock of the state folder: `flock` on `<state>/lock`, retried when an uninstall
/// removed the file while we waited (then the path names another file, or none).
pub struct StateLock {
    _file: fs::File,
}

fn take_lock(layout: &Layout, create: bool) -> Result<Option<StateLock>, InstallError> {
    let path = layout.host(&layout.lock());
    loop {
        let file = match fs::OpenOptions::new()
            .read(true)
            .write(create)
            .create(create)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) => return Err(io_at(&path)(e)),
        };
        // SAFETY: flock on a descriptor we own; no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io_at(&path)(io::Error::last_os_error()));
        }
        let held = file.metadata().map_err(io_at(&path))?;
        let same = fs::metadata(&path).is_ok_and(|m| m.ino() == held.ino() && m.dev() == held.dev());
        if same {
            return Ok(Some(StateLock { _file: file }));
        }
        if !create && !path.exists() {
            return Ok(None);
        }
    }
}

/// `Some(n)` for a generation folder's name (digits, no leading zero).
fn generation_number(name: &str) -> Option<u32> {
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) && (name == "0" || !name.starts_with('0'));
    plain.then(|| name.parse().ok()).flatten()
}

/// The generation folders present.
fn present_generations(layout: &Layout) -> Result<Vec<u32>, InstallError> {
    let dir = layout.host(&layout.state);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at(&dir)(e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(io_at(&dir))?;
        if let Some(n) = e.file_name().to_str().and_then(generation_number)
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn current_generation(layout: &Layout) -> Option<u32> {
    let target = fs::read_link(layout.host(&layout.current())).ok()?;
    generation_number(target.to_str()?)
}

/// A generation's record; `None` when the folder has none (debris: see [`read_installed`]).
fn read_record(layout: &Layout, n: u32) -> Result<Option<Record>, InstallError> {
    let path = layout.host(&format!("{}/{RECORD}", layout.generation(n)));
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_at(&path)(e)),
    };
    Record::from_json(&text, layout)
        .map(Some)
        .map_err(|message| InstallError::Record { path, message })
}

/// A tree as it is on disk.
fn read_tree(root: &Path) -> Result<OutputTree, InstallError> {
    let mut tree = OutputTree::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(io_at(&dir))? {
            let e = e.map_err(io_at(&dir))?;
            let path = e.path();
            let meta = fs::symlink_metadata(&path).map_err(io_at(&path))?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).map_err(io_at(&path))?;
                tree.entries.insert(
                    rel,
                    OutEntry::Symlink {
                        target: target.to_string_lossy().into_owned(),
                    },
                );
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                let content = fs::read(&path).map_err(io_at(&path))?;
                let mode = meta.permissions().mode() & 0o7777;
                tree.entries.insert(rel, OutEntry::File { content, mode });
            }
        }
    }
    Ok(tree)
}

/// The generation folders present, by what they are.
#[derive(Debug, Default)]
pub struct Present {
    /// Whole generations (each carries its record).
    pub whole: Vec<u32>,
    /// Folders without a record: what a run killed while deleting a generation left before
    /// deletions went through a rename (a generation is written whole, its record with it, and
    /// is renamed away before it is deleted). Nothing refers to them; the next run deletes them.
    pub debris: Vec<u32>,
}

/// What the present generations recorded, the tree of the current one, and which folders
/// are whole generations or debris. The current generation without its record is an error
/// (no run of ours leaves that: it is never deleted).
pub fn read_installed(layout: &Layout) -> Result<(Installed, Present), InstallError> {
    let numbers = present_generations(layout)?;
    let current = current_generation(layout).filter(|n| numbers.contains(n));
    let (mut installed, mut present) = (Installed::default(), Present::default());
    for n in numbers {
        let record = match read_record(layout, n)? {
            Some(r) => r,
            None if Some(n) == current => {
                let path = layout.host(&format!("{}/{RECORD}", layout.generation(n)));
                return Err(io_at(&path)(io::ErrorKind::NotFound.into()));
            }
            None => {
                present.debris.push(n);
                continue;
            }
        };
        present.whole.push(n);
        if Some(n) == current {
            let tree = read_tree(&layout.host(&layout.generation(n)))?;
            installed.current = Some(Generation {
                number: n,
                tree,
                record,
            });
        } else {
            installed.others.push(record);
        }
    }
    Ok((installed, present))
}

fn observe_one(layout: &Layout, path: &str) -> PathState {
    let host = layout.host(path);
    match fs::symlink_metadata(&host) {
        Err(_) => PathState::Missing,
        Ok(m) if m.file_type().is_symlink() => match fs::read_link(&host) {
            Ok(t) => PathState::Symlink(t.to_string_lossy().into_owned()),
            Err(_) => PathState::Other,
        },
        Ok(m) if m.is_dir() => PathState::Dir,
        Ok(_) => PathState::Other,
    }
}

pub fn observe<'a>(layout: &Layout, paths: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, PathState> {
    paths.into_iter().map(|p| (p.clone(), observe_one(layout, p))).collect()
}

/// Refuse a state folder that holds something else (a mistyped `--prefix` must not make
/// netns-compile take over, or later remove, a folder of someone else's).
fn check_state_folder(layout: &Layout) -> Result<(), InstallError> {
    let dir = layout.host(&layout.state);
    let Ok(mut entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    let empty = entries.next().is_none();
    let ours = dir.join("lock").exists() || fs::symlink_metadata(dir.join("current")).is_ok();
    if empty || ours {
        Ok(())
    } else {
        Err(InstallError::NotState(dir))
    }
}

/// The image root must be there: a mistyped `--root` must not grow a new tree, nor report
/// "nothing installed" for a path that is not there at all.
fn check_root(layout: &Layout) -> Result<(), InstallError> {
    match fs::metadata(&layout.root) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(InstallError::RootNotFolder(layout.root.clone())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(InstallError::NoRoot(layout.root.clone())),
        Err(e) => Err(io_at(&layout.root)(e)),
    }
}

/// Make the state folder (and its parents) so the lock can be taken; which ones were made.
fn make_state_folder(layout: &Layout) -> Result<Vec<String>, InstallError> {
    let mut missing = Vec::new();
    let mut p = Some(layout.state.as_str());
    while let Some(d) = p.filter(|d| !d.is_empty()) {
        if observe_one(layout, d) == PathState::Missing {
            missing.push(d.to_string());
        }
        p = d.rsplit_once('/').map(|(a, _)| a);
    }
    for d in missing.iter().rev() {
        let host = layout.host(d);
        match fs::create_dir(&host) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(io_at(&host)(e)),
            _ => {}
        }
    }
    Ok(missing)
}

/// Install: plan against what is there, then (unless dry) carry it out. `build` compiles the
/// configuration for a prefix (the generation's folder); `None` when it has errors.
pub fn install(
    layout: &Layout,
    options: InstallOptions,
    build: impl FnOnce(&Prefix) -> Option<OutputTree>,
) -> Result<InstallOutcome, InstallError> {
    check_root(layout)?;
    check_state_folder(layout)?;
    let made = if options.dry_run {
        Vec::new()
    } else {
        make_state_folder(layout)?
    };
    let lock_existed = layout.host(&layout.lock()).exists();
    let lock = take_lock(layout, !options.dry_run)?;
    let result = install_locked(layout, options, build, &made);
    let first = !lock_existed && !options.dry_run;
    if result.is_err() && first && present_generations(layout).is_ok_and(|g| g.is_empty()) {
        // Refused before anything was ever installed: take back the lock and its folders.
        let _ = fs::remove_file(layout.host(&layout.lock()));
        for d in &made {
            remove_dir_if_empty(layout, d);
        }
    }
    drop(lock);
    result
}

fn install_locked(
    layout: &Layout,
    options: InstallOptions,
    build: impl FnOnce(&Prefix) -> Option<OutputTree>,
    made: &[String],
) -> Result<InstallOutcome, InstallError> {
    let (installed, present) = read_installed(layout)?;
    if !options.dry_run {
        remove_debris(layout, &present)?;
    }
    let all: Vec<u32> = present.whole.iter().chain(&present.debris).copied().collect();
    let generation = plan::next_generation(&all);
    Phase::start("evaluate");
    let tree = build(&layout.generation_prefix(generation)).ok_or(InstallError::Config)?;
    let paths = plan::paths_to_observe(&tree, layout, &installed);
    let mut observed = observe(layout, &paths);
    // The folders made for the lock are this install's to record.
    for d in made {
        observed.insert(d.clone(), PathState::Missing);
    }
    let plan = plan::plan_install(&tree, generation, layout, &installed, &observed).map_err(InstallError::Foreign)?;
    let commands = plan::systemctl_commands(&plan.actions);
    if options.dry_run {
        return Ok(InstallOutcome {
            plan,
            systemctl: Vec::new(),
            to_run: commands,
        });
    }
    let mut runs = Vec::new();
    apply_install(layout, &plan, &present.whole, options.systemd, &mut runs)?;
    let to_run = if options.systemd {
        runs.extend(commands.iter().filter_map(|c| running_only(c)).map(|c| systemctl(&c)));
        Vec::new()
    } else {
        commands
    };
    Ok(InstallOutcome {
        plan,
        systemctl: runs,
        to_run,
    })
}

/// A `try-…` command narrowed to the units that run: `try-restart` of a unit systemd does not
/// know (a service that has only our drop-in) fails where "if it runs" means nothing to do.
/// `None` when none of them runs.
fn running_only(command: &[String]) -> Option<Vec<String>> {
    let Some((verb, units)) = command.split_first() else {
        return Some(Vec::new());
    };
    if !verb.starts_with("try-") {
        return Some(command.to_vec());
    }
    let mut query = vec!["is-active".to_string()];
    query.extend(units.iter().cloned());
    // One state a line, in the order asked; unknown units are `inactive`.
    let states = systemctl(&query).output;
    let running: Vec<String> = units
        .iter()
        .zip(states.lines())
        .filter(|(_, state)| matches!(*state, "active" | "activating" | "reloading"))
        .map(|(u, _)| u.clone())
        .collect();
    (!running.is_empty()).then(|| std::iter::once(verb.clone()).chain(running).collect())
}

fn make_link(layout: &Layout, link: &Link) -> Result<(), InstallError> {
    let host = layout.host(&link.path);
    match symlink(&link.target, &host) {
        Ok(()) => Ok(()),
        // Made since we looked: fine if it is the same link, refused otherwise.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match observe_one(layout, &link.path) {
            PathState::Symlink(t) if t == link.target => Ok(()),
            found => Err(InstallError::Foreign(vec![Conflict {
                path: link.path.clone(),
                found,
            }])),
        },
        Err(e) => Err(io_at(&host)(e)),
    }
}

/// Put a symlink at `path` with one rename (a fresh link beside it, moved over it).
fn replace_link(host: &Path, target: &str) -> Result<(), InstallError> {
    let name = host
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = host.with_file_name(format!(".{name}.netns-compile-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    symlink(target, &tmp).map_err(io_at(&tmp))?;
    fs::rename(&tmp, host).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_at(host)(e)
    })
}

/// Remove a link if it still points where we left it.
fn remove_link(layout: &Layout, link: &Link) -> Result<(), InstallError> {
    if observe_one(layout, &link.path) == PathState::Symlink(link.target.clone()) {
        let host = layout.host(&link.path);
        match fs::remove_file(&host) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_at(&host)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// `rmdir`, when empty.
fn remove_dir_if_empty(layout: &Layout, dir: &str) {
    let _ = fs::remove_dir(layout.host(dir));
}

fn apply_install(
    layout: &Layout,
    plan: &InstallPlan,
    present: &[u32],
    systemd: bool,
    runs: &mut Vec<SystemctlRun>,
) -> Result<(), InstallError> {
    let generation_dir = layout.host(&layout.generation(plan.generation));
    Phase::start("write-generation");
    write_tree_atomically(&plan.tree, &generation_dir)?;
    // On disk before anything points at it: a power loss after the switch must not find
    // empty unit files (a new file's data is not ordered before a later rename).
    sync_fs(&generation_dir)?;
    crash_point("generation-written");
    let mut phase = Phase::start("link");
    for d in &plan.create_dirs {
        phase.step();
        let host = layout.host(d);
        match fs::create_dir(&host) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(io_at(&host)(e)),
            _ => {}
        }
    }
    for link in &plan.add_links {
        phase.step();
        make_link(layout, link)?;
    }
    for link in &plan.replace_links {
        phase.step();
        replace_link(&layout.host(&link.path), &link.target)?;
    }
    crash_point("links-added");
    let mut phase = Phase::start("switch");
    if systemd && !plan.actions.stop.is_empty() {
        let mut args = vec!["stop".to_string()];
        args.extend(plan.actions.stop.iter().cloned());
        runs.push(systemctl(&args));
    }
    sync_fs(&layout.host(plan::UNIT_LINK_DIR))?;
    phase.step();
    replace_link(&layout.host(&layout.current()), &plan.generation.to_string())?;
    phase.step();
    sync_fs(&layout.host(&layout.state))?;
    crash_point("switched");
    let mut phase = Phase::start("unlink");
    for link in &plan.remove_links {
        phase.step();
        remove_link(layout, link)?;
    }
    for d in &plan.remove_dirs {
        phase.step();
        remove_dir_if_empty(layout, d);
    }
    crash_point("old-links-removed");
    let mut phase = Phase::start("remove-generations");
    let keep = [Some(plan.generation), plan.previous];
    for &n in present {
        if !keep.contains(&Some(n)) {
            remove_generation(layout, n, &mut phase)?;
        }
    }
    remove_leftovers(layout);
    Phase::start("done");
    Ok(())
}

/// The name a generation folder gets while it is deleted: a dot name, which the next run
/// removes as a leftover ([`remove_leftovers`]).
fn removal_name(layout: &Layout, n: u32) -> PathBuf {
    layout.host(&format!("{}/.{n}.removed", layout.state))
}

/// Delete generation `n` so that no moment leaves a numbered folder without its record
/// (which wedged every later run): it is renamed to a leftover's name first, in one step,
/// and deleted from there.
fn remove_generation(layout: &Layout, n: u32, phase: &mut Phase) -> Result<(), InstallError> {
    let (dir, away) = (layout.host(&layout.generation(n)), removal_name(layout, n));
    phase.step();
    // One a killed run left there (a rename cannot replace a folder that is not empty).
    match fs::remove_dir_all(&away) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_at(&away)(e)),
        _ => {}
    }
    fs::rename(&dir, &away).map_err(io_at(&dir))?;
    phase.step();
    fs::remove_dir_all(&away).map_err(io_at(&away))
}

/// Remove the debris of killed runs (we hold the lock: no run is live): record-less
/// generation folders (see [`Present::debris`]) and leftovers.
fn remove_debris(layout: &Layout, present: &Present) -> Result<(), InstallError> {
    let mut phase = Phase::start("remove-debris");
    for &n in &present.debris {
        remove_generation(layout, n, &mut phase)?;
    }
    remove_leftovers(layout);
    Ok(())
}

/// `syncfs` of the file system holding `path`: one call for a whole generation's files.
fn sync_fs(path: &Path) -> Result<(), InstallError> {
    let dir = fs::File::open(path).map_err(io_at(path))?;
    // SAFETY: syncfs on a descriptor we own; no memory effects.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        return Err(io_at(path)(io::Error::last_os_error()));
    }
    Ok(())
}

/// Temporary names a killed run left in the state folder (we hold the lock: no run is live).
fn remove_leftovers(layout: &Layout) {
    let Ok(entries) = fs::read_dir(layout.host(&layout.state)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            let p = e.path();
            let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
        }
    }
}

/// What an uninstall did.
#[derive(Debug, Default)]
pub struct UninstallOutcome {
    /// `None` when nothing was installed.
    pub plan: Option<UninstallPlan>,
    pub systemctl: Vec<SystemctlRun>,
    pub to_run: Vec<Vec<String>>,
}

/// Remove exactly what installs wrote; with `stop` (and systemd running) stop the units first.
pub fn uninstall(layout: &Layout, stop: bool, systemd: bool) -> Result<UninstallOutcome, InstallError> {
    check_root(layout)?;
    check_state_folder(layout)?;
    let Some(_lock) = take_lock(layout, false)? else {
        if observe_one(layout, &layout.state) == PathState::Missing {
            return Ok(UninstallOutcome::default());
        }
        // A state folder without its lock: only a crashed first install leaves that.
        return uninstall_locked(layout, stop, systemd, take_lock(layout, true)?);
    };
    uninstall_locked(layout, stop, systemd, Some(_lock))
}

fn uninstall_locked(
    layout: &Layout,
    stop: bool,
    systemd: bool,
    _lock: Option<StateLock>,
) -> Result<UninstallOutcome, InstallError> {
    let (installed, present) = read_installed(layout)?;
    let records = installed.current.iter().map(|g| &g.record).chain(&installed.others);
    let mut paths: Vec<String> = records.flat_map(|r| r.links.keys().cloned()).collect();
    paths.sort();
    paths.dedup();
    let observed = observe(layout, &paths);
    let plan = plan::plan_uninstall(&installed, &observed);
    let mut runs = Vec::new();
    if stop && systemd && !plan.units.is_empty() {
        let mut args = vec!["stop".to_string()];
        args.extend(plan.units.iter().cloned());
        runs.push(systemctl(&args));
    }
    let mut phase = Phase::start("unlink");
    for link in &plan.remove_links {
        phase.step();
        remove_link(layout, link)?;
    }
    // The folders made for links go while the records that name them are still there; the
    // state folder and the folders made on the way to it go last.
    let (on_state_path, for_links): (Vec<&String>, Vec<&String>) = plan
        .remove_dirs
        .iter()
        .partition(|d| layout.state == **d || layout.state.starts_with(&format!("{d}/")));
    for d in for_links {
        phase.step();
        remove_dir_if_empty(layout, d);
    }
    let mut phase = Phase::start("remove-generations");
    let state = layout.host(&layout.state);
    let _ = fs::remove_file(state.join("current"));
    for n in present.whole.iter().chain(&present.debris) {
        remove_generation(layout, *n, &mut phase)?;
    }
    remove_leftovers(layout);
    phase.step();
    let _ = fs::remove_file(state.join("lock"));
    remove_dir_if_empty(layout, &layout.state);
    for d in on_state_path {
        remove_dir_if_empty(layout, d);
    }
    Phase::start("done");
    let reload = vec!["daemon-reload".to_string()];
    let to_run = if systemd {
        runs.push(systemctl(&reload));
        Vec::new()
    } else {
        vec![reload]
    };
    Ok(UninstallOutcome {
        plan: Some(plan),
        systemctl: runs,
        to_run,
    })
}
