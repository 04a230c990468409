//! `netns-compile audit` on the test's configuration, from the configuration alone (on the
//! test's host).

use crate::harden::run_cmd;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

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
