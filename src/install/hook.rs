//! Test hooks: environment variables that make the phases of an install or uninstall
//! observable, so that crash tests can kill a run inside a given phase and prove that the
//! kill landed there. Unset (always, outside tests), each hook is one environment lookup.
//!
//! - `NETNS_COMPILE_TEST_CRASH_AT=<step>`: SIGKILL right after that step of an install
//!   (`generation-written`, `links-added`, `switched`, `old-links-removed`).
//! - `NETNS_COMPILE_TEST_PHASE_LOG=<file>`: append `<phase> <step> <µs since the epoch>` to
//!   the file at the start of each phase (step 0) and before each further step of it (each
//!   link made or removed, each generation renamed away and deleted, …).
//! - `NETNS_COMPILE_TEST_STOP_AT=<phase> <step>`: once that line is logged, stop the process
//!   with SIGSTOP: a test then kills it there (mid-phase for a step above 0), or continues it
//!   and kills it a moment later.
//!
//! The phases, in order: install `evaluate`, `write-generation`, `link`, `switch`, `unlink`,
//! `remove-generations`, `done`; uninstall `unlink`, `remove-generations`, `done`.

use std::io::Write;

pub const CRASH_HOOK: &str = "NETNS_COMPILE_TEST_CRASH_AT";
pub const PHASE_LOG: &str = "NETNS_COMPILE_TEST_PHASE_LOG";
pub const STOP_AT: &str = "NETNS_COMPILE_TEST_STOP_AT";

/// Kill this process with SIGKILL if [`CRASH_HOOK`] names `step`.
pub fn crash_point(step: &str) {
    if std::env::var_os(CRASH_HOOK).is_some_and(|v| v == step) {
        // SAFETY: sends a signal to this process; what a crash is.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// The steps of one phase, counted from its start.
pub struct Phase {
    name: &'static str,
    step: usize,
}

impl Phase {
    /// A phase starts (its step 0).
    pub fn start(name: &'static str) -> Phase {
        let phase = Phase { name, step: 0 };
        phase.mark();
        phase
    }

    /// The next step of the phase begins.
    pub fn step(&mut self) {
        self.step += 1;
        self.mark();
    }

    fn mark(&self) {
        let Some(log) = std::env::var_os(PHASE_LOG) else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        let line = format!("{} {} {now}\n", self.name, self.step);
        // One write of a whole line to a file opened for appending: a kill never leaves half.
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(log) {
            let _ = f.write_all(line.as_bytes());
        }
        let here = format!("{} {}", self.name, self.step);
        if std::env::var_os(STOP_AT).is_some_and(|v| v == here.as_str()) {
            // SAFETY: sends a signal to this process; the test continues or kills it.
            unsafe {
                libc::raise(libc::SIGSTOP);
            }
        }
    }
}
