//! `netns-compile audit` on the test's configuration: from the configuration alone (on the
//! test's host), and `--live` inside the container (the binary bound in read-only at `BIN`).

use super::TOOLS;
use crate::common::nspawn::Container;
use crate::harden::run_cmd;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Where the container sees the folder of the binary under test.
pub const BIN: &str = "/opt/netns-leak-bin";
/// The configuration's file name in `TOOLS`.
pub const INPUT: &str = "input.json";

/// What an audit said: its exit code, each service's verdict (`ns/unit` → verdict), its
/// diagnostics.
#[derive(Debug)]
pub struct Audit {
    pub code: i32,
    pub verdicts: BTreeMap<String, String>,
    pub stderr: String,
    pub report: String,
}

impl Audit {
    fn read(code: i32, stdout: &str, stderr: &str) -> Audit {
        let json: Value =
            serde_json::from_str(stdout).unwrap_or_else(|e| panic!("audit's JSON: {e}: {stdout}\n{stderr}"));
        let mut verdicts = BTreeMap::new();
        for ns in json["namespaces"].as_array().expect("namespaces") {
            for s in ns["services"].as_array().expect("services") {
                let unit = s["unit"].as_str().expect("unit");
                let verdict = s["verdict"].as_str().expect("verdict");
                verdicts.insert(format!("{}/{unit}", ns["name"].as_str().unwrap()), verdict.into());
            }
        }
        Audit {
            code,
            verdicts,
            stderr: stderr.into(),
            report: stdout.into(),
        }
    }

    /// The verdict of `unit` in namespace `ns`.
    pub fn verdict(&self, ns: &str, unit: &str) -> &str {
        self.verdicts
            .get(&format!("{ns}/{unit}"))
            .unwrap_or_else(|| panic!("{unit} of {ns} is not in the audit: {:?}", self.verdicts))
    }
}

/// `netns-compile audit INPUT --format json` from the configuration alone.
pub fn static_audit(input: &Path) -> Audit {
    let r = run_cmd(
        env!("CARGO_BIN_EXE_netns-compile"),
        &["audit", input.to_str().unwrap(), "--format", "json", "--host-tools"],
    );
    Audit::read(r.code, &r.stdout, &r.stderr)
}

/// `netns-compile audit INPUT --live --format json`, as root in the container.
pub fn live_audit(c: &Container) -> Audit {
    let r = c.sh(
        &format!("NO_COLOR=1 {BIN}/netns-compile audit {TOOLS}/{INPUT} --live --host-tools --format json"),
        &[],
    );
    Audit::read(r.code, &r.stdout, &r.stderr)
}
