//! `netns-compile install` and `uninstall` (SPEC §12): the tree of §4 on a systemd host
//! without NixOS.
//!
//! On disk (paths as the running system sees them; with `--root DIR` all under `DIR`):
//!
//! ```text
//! /var/lib/netns-compile/            the state folder (`--prefix`)
//!   lock                             flock'd by every install and uninstall
//!   <n>/                             generation n: the §4 tree built with prefix /var/lib/netns-compile/<n>
//!     share/netns-compile/install.json   its record: every link and folder it needs and made
//!   current -> <n>                   the installed generation
//!   .<anything>                      leftovers of a killed run (staging folders, a generation
//!                                    being deleted): removed by the next run
//! /etc/systemd/system/
//!   netns-vpn.service        -> /var/lib/netns-compile/current/lib/systemd/system/netns-vpn.service
//!   svc.service.d/netns.conf -> /var/lib/netns-compile/current/lib/systemd/system/svc.service.d/netns.conf
//!   multi-user.target.wants/netns-vpn.service -> /etc/systemd/system/netns-vpn.service
//!   netns-off.service        -> /dev/null      (`enable = false`: masked, never enabled)
//! ```
//!
//! Unit files and drop-ins point through `current`, so that one `rename` of `current` switches
//! every unit at once; the enablement links are those `systemctl enable` makes. An install:
//! 1. takes the lock, reads what the present generations recorded, and plans (pure, `plan`);
//!    a link path holding anything it did not write is an error, before anything is written;
//! 2. writes generation n+1 whole (atomically, with its record) — a crash leaves a folder
//!    that nothing points at;
//! 3. makes the links that are new — they dangle (through `current`, which still names the
//!    old generation) and systemd reads nothing new: the old install still works;
//! 4. (systemd running) stops the units that go away, while their files are still there;
//! 5. switches `current` with one `rename` of a fresh symlink over it: the new install;
//! 6. removes the links only the old generations had, and folders it made that are now empty;
//! 7. deletes generations older than the previous one (kept for the units still running from
//!    it until systemd reloads, and to look at), each renamed to a leftover's name first: a
//!    numbered folder is always a whole generation with its record (one without is debris of
//!    an older version's deletion, and deleted as such);
//! 8. (systemd running) `systemctl daemon-reload`, then restarts, reloads and starts as
//!    [`plan::Actions`] says; otherwise it prints those commands.
//!
//! A crash anywhere leaves the old or the new install working, plus at most dangling links
//! that every present generation's record names and leftovers: the next install or uninstall
//! (which read all of them, under the lock) finishes the job. `hook` makes each phase
//! observable to the tests that kill runs inside it. `uninstall` removes exactly the links still pointing where
//! a record says, the generations, the state folder and the folders install made, and leaves
//! everything else alone.

pub mod diff;
pub mod disk;
pub mod hook;
pub mod plan;

use crate::prefix::{Prefix, is_plain};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The default state folder.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/netns-compile";
/// The record of a generation, inside its tree.
pub const RECORD: &str = "share/netns-compile/install.json";

/// Where an install lives: the image root (`/` on a running system) and the state folder as
/// the running system sees it.
#[derive(Clone, Debug)]
pub struct Layout {
    pub root: PathBuf,
    pub state: String,
    prefix: Prefix,
}

impl Layout {
    pub fn new(root: &Path, state: &Prefix) -> Layout {
        Layout {
            root: root.to_path_buf(),
            state: state.as_str().trim_end_matches('/').to_string(),
            prefix: state.clone(),
        }
    }

    /// The path of `abs` (as the running system sees it) from here.
    pub fn host(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    pub fn current(&self) -> String {
        format!("{}/current", self.state)
    }

    pub fn generation(&self, n: u32) -> String {
        self.generation_prefix(n).as_str().to_string()
    }

    /// The prefix generation `n`'s units are built for.
    pub fn generation_prefix(&self, n: u32) -> Prefix {
        self.prefix.numbered(n)
    }

    pub fn lock(&self) -> String {
        format!("{}/lock", self.state)
    }
}

/// A symlink: where it is and what it points at, both as the running system sees them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub path: String,
    pub target: String,
}

/// What one generation installed: its links and the folders made for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub generation: u32,
    pub state: String,
    pub links: BTreeMap<String, String>,
    pub created_dirs: BTreeSet<String>,
}

impl Record {
    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "generator": concat!("netns-compile ", env!("CARGO_PKG_VERSION")),
            "generation": self.generation,
            "state": self.state,
            "links": self.links,
            "createdDirs": self.created_dirs,
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Read a record back. Only what an install can have written is accepted: links inside
    /// `/etc/systemd/system`, folders on the way to it or to the state folder, plain paths.
    pub fn from_json(text: &str, layout: &Layout) -> Result<Record, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let generation = v["generation"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("no generation number")?;
        let state = v["state"].as_str().ok_or("no state folder")?.to_string();
        let mut links = BTreeMap::new();
        for (path, target) in v["links"].as_object().ok_or("no links")? {
            let target = target.as_str().ok_or("a link without a target")?;
            let inside = path
                .strip_prefix(plan::UNIT_LINK_DIR)
                .is_some_and(|rest| rest.starts_with('/'));
            if !inside || !is_plain(path) {
                return Err(format!("link {path:?} is outside {}", plan::UNIT_LINK_DIR));
            }
            links.insert(path.clone(), target.to_string());
        }
        let mut created_dirs = BTreeSet::new();
        let allowed = plan::needed_dirs(&links, layout);
        for d in v["createdDirs"].as_array().ok_or("no createdDirs")? {
            let d = d.as_str().ok_or("a folder that is not a string")?;
            if !is_plain(d) || !allowed.contains(d) {
                return Err(format!("folder {d:?} is not one install makes"));
            }
            created_dirs.insert(d.to_string());
        }
        Ok(Record {
            generation,
            state,
            links,
            created_dirs,
        })
    }
}
