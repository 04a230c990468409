//! The atomic write (SPEC §4): the tree is built in a fresh folder beside the destination and
//! swapped in with one `renameat2(RENAME_EXCHANGE)` (or a plain rename when the destination
//! does not exist yet). At every instant the destination is either the whole old tree or the
//! whole new one, whenever the process is killed; leftovers of an interrupted run are removed
//! by the next one. Like `cp` and like a Nix build, it does not fsync each file: durability
//! across a power loss is the job of whoever registers the result (Nix does).

mod write;

use crate::emit::{MANIFEST, OutputTree};
use std::borrow::Borrow;
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
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
    write_made_atomically(dest, || tree, OutputTree::default).map(drop)
}

/// Write to `dest` atomically the tree `first` makes and the one `second` makes, each written
/// as it is made: `second` runs on another thread, beside `first` and the writing of its
/// tree (see [`write::write_made`]). The trees must not share a path; they are given back.
pub fn write_made_atomically<A: Borrow<OutputTree>, B: Borrow<OutputTree> + Send>(
    dest: &Path,
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> Result<(A, B), WriteError> {
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
    let result = create_locked_staging(&staging).and_then(|_lock| {
        write::write_made(&staging, first, second).and_then(|made| swap_in(&staging, dest).map(|()| made))
    });
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
    use crate::emit::OutEntry;

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

    /// An empty folder of this test's own under the temporary folder.
    fn fresh_folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_and_cleans_up() {
        let dir = fresh_folder("netns-out-test");
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

    /// Many units (more than the threads take at a time) in folders of their own, with
    /// both modes, beside a summary made on another thread.
    fn units(count: usize) -> OutputTree {
        let mut t = OutputTree::default();
        for i in 0..count {
            let file = |content: String, mode| OutEntry::File {
                content: content.into_bytes(),
                mode,
            };
            t.entries.insert(
                format!("lib/systemd/system/u{i}.service"),
                file(format!("unit {i}\n"), 0o444),
            );
            t.entries.insert(
                format!("libexec/netns-compile/u{i}.service/start"),
                file(format!("script {i}\n"), 0o555),
            );
        }
        t
    }

    #[test]
    fn a_tree_made_in_two_parts_is_written_whole_or_not_at_all() {
        let dir = fresh_folder("netns-out-parts");
        let out = dir.join("out");
        write_made_atomically(&out, || units(300), || tree("summary")).unwrap();
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "summary");
        for i in [0, 150, 299] {
            let unit = out.join(format!("lib/systemd/system/u{i}.service"));
            let script = out.join(format!("libexec/netns-compile/u{i}.service/start"));
            assert_eq!(fs::read_to_string(&unit).unwrap(), format!("unit {i}\n"));
            assert_eq!(fs::metadata(&unit).unwrap().mode() & 0o7777, 0o444);
            assert_eq!(fs::read_to_string(&script).unwrap(), format!("script {i}\n"));
            assert_eq!(fs::metadata(&script).unwrap().mode() & 0o7777, 0o555);
        }
        let files = |root: &Path| fs::read_dir(root.join("lib/systemd/system")).unwrap().count();
        assert_eq!(files(&out), 301); // 300 units and the summary's `a.target.wants`
        // The second part writing a path the first has fails the write: the old tree stays,
        // and no staging folder is left behind.
        let mut clash = tree("clash");
        clash.entries.extend(units(1).entries);
        assert!(matches!(
            write_made_atomically(&out, || units(300), || clash),
            Err(WriteError::Io { .. })
        ));
        assert_eq!(fs::read_to_string(out.join(MANIFEST)).unwrap(), "summary");
        assert_eq!(files(&out), 301);
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["out"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
