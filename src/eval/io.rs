//! Everything the evaluator reads from outside the Nix text: files, directories, environment
//! variables and the current directory, behind one trait ([`EvalIo`]), as snix's `EvalIO`.
//!
//! [`StdIo`], the real disk and environment, is what an evaluator uses unless it is given
//! another; [`MemoryIo`] is a tree of files and a set of variables held in memory, so that
//! tests and fuzzing evaluate `import`, `readFile`, `readDir`, `pathExists`, `getEnv` and
//! `<nixpkgs>` without touching the machine. Paths are lexically canonical (`lower`'s
//! `canonicalize_path`, as Nix's): the evaluator resolves `.` and `..` itself, never symlinks,
//! so no canonicalising is asked of the I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What a path names (`builtins.readDir`'s words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Directory,
    Regular,
    Symlink,
    /// Anything else (a socket, a device), or a type that could not be read.
    Unknown,
}

impl FileType {
    /// The name `builtins.readDir` gives the type.
    pub fn nix_name(self) -> &'static str {
        match self {
            FileType::Directory => "directory",
            FileType::Regular => "regular",
            FileType::Symlink => "symlink",
            FileType::Unknown => "unknown",
        }
    }
}

/// The evaluator's file and environment access.
pub trait EvalIo {
    /// The bytes of the file at `path` (symlinks followed).
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// What `path` names, symlinks followed (`stat`): an error when there is nothing.
    fn file_type(&self, path: &Path) -> io::Result<FileType>;
    /// What `path` itself is, a last symlink not followed (`lstat`): a dangling symlink exists.
    fn symlink_file_type(&self, path: &Path) -> io::Result<FileType>;
    /// The entries of the directory `path`: each name with its type (symlinks not followed), in
    /// no particular order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>>;
    /// The environment variable `name`; `None` when it is unset (or not Unicode).
    fn env_var(&self, name: &str) -> Option<String>;
    /// The directory relative command-line paths and `<…>` lookups start from.
    fn current_dir(&self) -> PathBuf;
    /// Show the message of `builtins.trace`, at the moment it is evaluated (as Nix does).
    fn trace(&self, message: &str);

    /// Whether `path` names a directory, symlinks followed (`Path::is_dir`).
    fn is_dir(&self, path: &Path) -> bool {
        self.file_type(path).is_ok_and(|t| t == FileType::Directory)
    }
}

/// The machine's own disk and environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdIo;

fn std_file_type(t: std::fs::FileType) -> FileType {
    if t.is_symlink() {
        FileType::Symlink
    } else if t.is_dir() {
        FileType::Directory
    } else if t.is_file() {
        FileType::Regular
    } else {
        FileType::Unknown
    }
}

impl EvalIo for StdIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        std::fs::metadata(path).map(|m| std_file_type(m.file_type()))
    }

    fn symlink_file_type(&self, path: &Path) -> io::Result<FileType> {
        std::fs::symlink_metadata(path).map(|m| std_file_type(m.file_type()))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        // An entry that cannot be read is left out; one whose type cannot be read is `unknown`.
        Ok(std::fs::read_dir(path)?
            .flatten()
            .map(|entry| {
                let kind = entry.file_type().map_or(FileType::Unknown, std_file_type);
                (entry.file_name().to_string_lossy().into_owned(), kind)
            })
            .collect())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn current_dir(&self) -> PathBuf {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    }

    fn trace(&self, message: &str) {
        // Nix's own words, on stderr, while evaluation goes on: what the user asked to see.
        eprintln!("trace: {message}");
    }
}

/// Files, directories and environment variables held in memory. A directory exists when
/// it is added or holds something; there are no symlinks. The current directory is `/` unless
/// set. Paths are absolute and canonical, as the evaluator asks for them.
#[derive(Clone, Debug)]
pub struct MemoryIo {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeSet<PathBuf>,
    env: BTreeMap<String, String>,
    cwd: PathBuf,
    /// The messages of `builtins.trace`, in order; shared with [`MemoryIo::trace_log`].
    traces: Arc<Mutex<Vec<String>>>,
}

impl Default for MemoryIo {
    fn default() -> MemoryIo {
        MemoryIo {
            files: BTreeMap::new(),
            dirs: BTreeSet::from([PathBuf::from("/")]),
            env: BTreeMap::new(),
            cwd: PathBuf::from("/"),
            traces: Arc::default(),
        }
    }
}

impl MemoryIo {
    /// An empty tree (only `/`) and an empty environment.
    pub fn new() -> MemoryIo {
        MemoryIo::default()
    }

    /// With the file `path` holding `contents` (and the directories above it).
    pub fn with_file(mut self, path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> MemoryIo {
        let path = path.as_ref();
        self.add_parents(path);
        self.files.insert(path.to_path_buf(), contents.into());
        self
    }

    /// With the (maybe empty) directory `path`.
    pub fn with_dir(mut self, path: impl AsRef<Path>) -> MemoryIo {
        let path = path.as_ref();
        self.add_parents(path);
        self.dirs.insert(path.to_path_buf());
        self
    }

    /// With the environment variable `name` set to `value`.
    pub fn with_env(mut self, name: &str, value: &str) -> MemoryIo {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    /// With `dir` as the current directory.
    pub fn with_current_dir(mut self, dir: impl AsRef<Path>) -> MemoryIo {
        self.cwd = dir.as_ref().to_path_buf();
        self
    }

    /// The traces this tree (and its clones) received, readable after it is handed over.
    pub fn trace_log(&self) -> Arc<Mutex<Vec<String>>> {
        self.traces.clone()
    }

    fn add_parents(&mut self, path: &Path) {
        self.dirs.extend(path.ancestors().skip(1).map(Path::to_path_buf));
    }

    fn not_found(path: &Path) -> io::Error {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no such file or directory: {}", path.display()),
        )
    }
}

impl EvalIo for MemoryIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(bytes) => Ok(bytes.clone()),
            None if self.dirs.contains(path) => Err(io::Error::from(io::ErrorKind::IsADirectory)),
            None => Err(MemoryIo::not_found(path)),
        }
    }

    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        if self.files.contains_key(path) {
            Ok(FileType::Regular)
        } else if self.dirs.contains(path) {
            Ok(FileType::Directory)
        } else {
            Err(MemoryIo::not_found(path))
        }
    }

    fn symlink_file_type(&self, path: &Path) -> io::Result<FileType> {
        self.file_type(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        if !self.dirs.contains(path) {
            return Err(match self.files.contains_key(path) {
                true => io::Error::from(io::ErrorKind::NotADirectory),
                false => MemoryIo::not_found(path),
            });
        }
        let child_name = |p: &Path| {
            (p.parent() == Some(path))
                .then(|| p.file_name())
                .flatten()
                .map(|n| n.to_string_lossy().into_owned())
        };
        let files = self
            .files
            .keys()
            .filter_map(|p| child_name(p).map(|n| (n, FileType::Regular)));
        let dirs = self
            .dirs
            .iter()
            .filter_map(|p| child_name(p).map(|n| (n, FileType::Directory)));
        Ok(files.chain(dirs).collect())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn current_dir(&self) -> PathBuf {
        self.cwd.clone()
    }

    fn trace(&self, message: &str) {
        self.traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_tree_answers_as_a_disk_would() {
        let io = MemoryIo::new()
            .with_file("/a/b/c.nix", "1")
            .with_dir("/a/empty")
            .with_env("HOME", "/home/x");
        assert_eq!(io.read_file(Path::new("/a/b/c.nix")).unwrap(), b"1");
        assert_eq!(
            io.read_file(Path::new("/a/b")).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            io.read_file(Path::new("/a/x")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(io.file_type(Path::new("/a")).unwrap(), FileType::Directory);
        assert_eq!(io.file_type(Path::new("/")).unwrap(), FileType::Directory);
        assert_eq!(
            io.symlink_file_type(Path::new("/a/b/c.nix")).unwrap(),
            FileType::Regular
        );
        let mut entries = io.read_dir(Path::new("/a")).unwrap();
        entries.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            entries,
            vec![
                ("b".to_string(), FileType::Directory),
                ("empty".to_string(), FileType::Directory)
            ]
        );
        assert!(io.read_dir(Path::new("/a/empty")).unwrap().is_empty());
        assert_eq!(
            io.read_dir(Path::new("/a/b/c.nix")).unwrap_err().kind(),
            io::ErrorKind::NotADirectory
        );
        assert_eq!(io.env_var("HOME").as_deref(), Some("/home/x"));
        assert_eq!(io.env_var("NIX_PATH"), None);
        assert_eq!(io.current_dir(), PathBuf::from("/"));
    }
}
