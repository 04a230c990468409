//! Writing an output tree's entries into the empty staging folder: each folder made once,
//! each file with one `open`, one `write` and one `close` (a `chmod` only when the umask
//! took bits away), on the machine's cores. `build` makes its tree in two parts (the units,
//! then the manifest and the graph): one thread writes the units while another still
//! renders the rest, and then helps with what is left of the units.

use super::{WriteError, io_at};
use crate::emit::{OutEntry, OutputTree};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Entries a thread takes at a time: few enough that the threads end together, enough that
/// taking them costs nothing beside creating the files.
const BATCH: usize = 32;

/// Threads writing at once, at most: creating small files is kernel work that scales with
/// the cores up to about four (they share the folders' locks).
const MAX_WRITERS: usize = 4;

/// Write into `root` the tree `first` makes (on this thread) and the one `second` makes (on
/// another, which writes it and then helps with what is left of the first). The trees must
/// not share a path. The trees are given back, for the caller to free or not.
pub(super) fn write_made<A: Borrow<OutputTree>, B: Borrow<OutputTree> + Send>(
    root: &Path,
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> Result<(A, B), WriteError> {
    let umask = umask();
    let made: OnceLock<A> = OnceLock::new();
    let queue: OnceLock<Queue> = OnceLock::new();
    let rest = std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let rest = second();
            let entries = listed(rest.borrow());
            make_folders(root, &entries)?;
            write_entries(root, &entries, umask)?;
            // When the first tree is not listed yet, this thread's work is done.
            queue.get().map_or(Ok(()), |q| q.help(root, umask))?;
            Ok(rest)
        });
        let own = (|| {
            let entries = listed(made.get_or_init(first).borrow());
            make_folders(root, &entries)?;
            let queue = queue.get_or_init(|| Queue::new(entries));
            let writers = std::thread::available_parallelism().map_or(1, |n| n.get());
            let extra = writers
                .min(MAX_WRITERS)
                .saturating_sub(2)
                .min(queue.entries.len() / (8 * BATCH));
            let others: Vec<_> = (0..extra).map(|_| scope.spawn(|| queue.help(root, umask))).collect();
            let mine = queue.help(root, umask);
            others.into_iter().map(joined).fold(mine, Result::and)
        })();
        let helped = joined(helper);
        own.and(helped)
    })?;
    Ok((
        made.into_inner()
            .expect("the first tree is made before its entries are written"),
        rest,
    ))
}

fn joined<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

type Entry<'a> = (&'a String, &'a OutEntry);

fn listed(tree: &OutputTree) -> Vec<Entry<'_>> {
    tree.entries.iter().collect()
}

/// The entries of a tree, taken `BATCH` at a time by whichever thread is free.
struct Queue<'a> {
    entries: Vec<Entry<'a>>,
    next: AtomicUsize,
}

impl<'a> Queue<'a> {
    fn new(entries: Vec<Entry<'a>>) -> Self {
        Queue {
            entries,
            next: AtomicUsize::new(0),
        }
    }

    fn help(&self, root: &Path, umask: Option<u32>) -> Result<(), WriteError> {
        let len = self.entries.len();
        loop {
            let start = self.next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= len {
                return Ok(());
            }
            let batch = &self.entries[start..(start + BATCH).min(len)];
            if let Err(e) = write_entries(root, batch, umask) {
                // The others stop too: the staging folder is removed anyway.
                self.next.store(len, Ordering::Relaxed);
                return Err(e);
            }
        }
    }
}

/// Every folder the entries are in, parents first (`create_dir_all` tolerates another
/// thread making the same one).
fn make_folders(root: &Path, entries: &[Entry]) -> Result<(), WriteError> {
    // Known by the text before the last `/`: hashing a `Path` walks its components.
    let mut made: HashSet<&str> = HashSet::new();
    for (rel, _) in entries {
        if let Some((dir, _)) = rel.rsplit_once('/')
            && made.insert(dir)
        {
            let dir = root.join(dir);
            fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        }
    }
    Ok(())
}

fn write_entries(root: &Path, entries: &[Entry], umask: Option<u32>) -> Result<(), WriteError> {
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
                if umask.is_none_or(|u| mode & u != 0) {
                    // The umask took bits away (or is unknown): set the mode exactly.
                    f.set_permissions(fs::Permissions::from_mode(*mode))
                        .map_err(io_at(&path))?;
                }
            }
            OutEntry::Symlink { target } => symlink(target, &path).map_err(io_at(&path))?,
        }
    }
    Ok(())
}

/// The process's umask, from `/proc/self/status` (which reads it without changing it), so
/// that `open(…, mode)` is known to give a file its mode exactly.
fn umask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let value = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(value.trim(), 8).ok()
}
