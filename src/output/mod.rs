//! The atomic write (SPEC §4): the tree is built in a fresh folder beside the destination and
//! swapped in with one `renameat2(RENAME_EXCHANGE)` (or a plain rename when the destination
//! does not exist yet). At every instant the destination is either the whole old tree or the
//! whole new one, whenever the process is killed; leftovers of an interrupted run are removed
//! by the next one. Like `cp` and like a Nix build, it does not fsync each file: durability
//! across a power loss is the job of whoever registers the result (Nix does).

use crate::emit::{MANIFEST, OutEntry, OutputTree};
use std::collections::HashSet;
use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, symlink};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("refusing to replace {0}: it is not empty and holds no {MANIFEST} (not a netns-compile output)")]
    NotOurs(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The staging and retired folders of `dest` share this prefix, so leftovers can be found.
fn staging_prefix(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.netns-compile-")
}

/// Write `tree` to `dest`, replacing what is there atomically.
pub fn write_tree_atomically(tree: &OutputTree, dest: &Path) -> Result<(), WriteError> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = staging_prefix(dest);
    remove_leftovers(&parent, &prefix);
    if dest.exists() && !is_replaceable(dest) {
        return Err(WriteError::NotOurs(dest.to_path_buf()));
    }
    let staging = parent.join(format!("{prefix}{}", std::process::id()));
    // Held until the swap: a concurrent run's clean-up leaves a locked staging folder alone.
    let result = create_locked_staging(&staging)
        .and_then(|_lock| write_into(tree, &staging).and_then(|()| swap_in(&staging, dest)));
    // On success `staging` holds the old tree (or nothing); on failure, the partial new one.
    let _ = fs::remove_dir_all(&staging);
    result
}

fn is_replaceable(dest: &Path) -> bool {
    dest.join(MANIFEST).is_file() || fs::read_dir(dest).is_ok_and(|mut d| d.next().is_none())
}

/// `flock` on an open file; `Ok(false)` when `nonblocking` and someone else holds it.
fn lock(file: &fs::File, nonblocking: bool) -> io::Result<bool> {
    let op = if nonblocking {
        libc::LOCK_EX | libc::LOCK_NB
    } else {
        libc::LOCK_EX
    };
    // SAFETY: flock on a file descriptor we own; it has no memory effects.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if nonblocking && e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Remove the staging folders of runs that are gone. A live run holds an exclusive `flock`
/// on its staging folder (released by the kernel when it ends, even by SIGKILL); removing a
/// live run's folder would make it swap in a partial tree.
fn remove_leftovers(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        if e.file_name().as_bytes().starts_with(prefix.as_bytes()) {
            match fs::File::open(e.path()) {
                Ok(f) if !lock(&f, true).unwrap_or(false) => {} // in use by a live run
                _ => {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Make the (empty) staging folder and lock it. Another run's clean-up may remove it between
/// `mkdir` and `flock`: then the path no longer names the locked folder, and we start over.
fn create_locked_staging(staging: &Path) -> Result<fs::File, WriteError> {
    for _ in 0..16 {
        let _ = fs::remove_dir_all(staging);
        fs::create_dir_all(staging).map_err(io_at(staging))?;
        let dir = match fs::File::open(staging) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_at(staging)(e)),
        };
        lock(&dir, false).map_err(io_at(staging))?;
        let held = dir.metadata().map_err(io_at(staging))?;
        if fs::symlink_metadata(staging).is_ok_and(|m| m.ino() == held.ino() && m.dev() == held.dev()) {
            return Ok(dir);
        }
    }
    Err(WriteError::Io {
        path: staging.to_path_buf(),
        source: io::Error::other("the staging folder keeps being removed by another run"),
    })
}

fn write_into(tree: &OutputTree, root: &Path) -> Result<(), WriteError> {
    // Folders first (one `mkdir` each), then the entries, which no longer depend on each other.
    let mut made: HashSet<&Path> = HashSet::new();
    for rel in tree.entries.keys() {
        if let Some(dir) = Path::new(rel).parent().filter(|d| !d.as_os_str().is_empty())
            && made.insert(dir)
        {
            let dir = root.join(dir);
            fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        }
    }
    let entries: Vec<(&String, &OutEntry)> = tree.entries.iter().collect();
    // Creating thousands of small files is kernel work that folders let run side by side.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let chunk = entries.len().div_ceil(threads).max(256);
    let exact = umask_keeps_modes(&entries);
    std::thread::scope(|scope| {
        let workers: Vec<_> = entries
            .chunks(chunk)
            .map(|part| scope.spawn(move || write_entries(root, part, exact)))
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

fn write_entries(root: &Path, entries: &[(&String, &OutEntry)], exact: bool) -> Result<(), WriteError> {
    for (rel, entry) in entries {
        let path = root.join(rel);
        match entry {
            OutEntry::File { content, mode } => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(*mode)
                    .open(&path)
                    .map_err(io_at(&path))?;
                f.write_all(content).map_err(io_at(&path))?;
                if !exact {
                    // The umask took bits away: set the mode exactly.
                    f.set_permissions(fs::Permissions::from_mode(*mode))
                        .map_err(io_at(&path))?;
                }
            }
            OutEntry::Symlink { target } => symlink(target, &path).map_err(io_at(&path))?,
        }
    }
    Ok(())
}

/// Whether `open(…, mode)` gives every file its mode exactly: the process's umask (from
/// `/proc/self/status`, which reads it without changing it) clears none of their bits.
fn umask_keeps_modes(entries: &[(&String, &OutEntry)]) -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok());
    let Some(umask) = umask else { return false };
    entries.iter().all(|(_, e)| match e {
        OutEntry::File { mode, .. } => mode & umask == 0,
        OutEntry::Symlink { .. } => true,
    })
}

fn cstring(p: &Path) -> Result<CString, WriteError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| WriteError::Io {
        path: p.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"),
    })
}

fn swap_in(staging: &Path, dest: &Path) -> Result<(), WriteError> {
    if !dest.exists() {
        fs::rename(staging, dest).map_err(io_at(dest))?;
    } else {
        let (a, b) = (cstring(staging)?, cstring(dest)?);
        // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc != 0 {
            return Err(WriteError::Io {
                path: dest.to_path_buf(),
                source: io::Error::last_os_error(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> OutputTree {
        let mut t = OutputTree::default();
        t.entries.insert(
            "share/netns-compile/manifest.json".into(),
            OutEntry::File {
                content: text.as_bytes().to_vec(),
                mode: 0o444,
            },
        );
        t.entries.insert(
            "lib/systemd/system/a.target.wants/x.service".into(),
            OutEntry::Symlink {
                target: "../x.service".into(),
            },
        );
        t
    }

    #[test]
    fn replaces_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("netns-out-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        write_tree_atomically(&tree("one"), &out).unwrap();
        write_tree_atomically(&tree("two"), &out).unwrap();
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["out"]);
        fs::create_dir_all(dir.join("mine")).unwrap();
        fs::write(dir.join("mine/file"), "keep").unwrap();
        assert!(matches!(
            write_tree_atomically(&tree("x"), &dir.join("mine")),
            Err(WriteError::NotOurs(_))
        ));
        assert_eq!(fs::read_to_string(dir.join("mine/file")).unwrap(), "keep");
        fs::remove_dir_all(&dir).unwrap();
    }
}
