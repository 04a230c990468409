//! `netns-compile audit INPUT [--live] [--format text|json] [--deny-warnings]` (SPEC §13).

use super::{
    CommonArgs, EXIT_CONFIG, exit_without_freeing, input, options, placeholder_prefix, report, settle, usage_error,
};
use crate::audit;
use crate::diagnostic::Diagnostics;
use crate::source::SourceMap;
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also read the running system (as root, where the units run) and report every difference.
    #[arg(long)]
    pub live: bool,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Treat warnings (the ways around a tunnel) as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum AuditFormat {
    Text,
    Json,
}

pub fn run_audit(a: &AuditArgs, sources: &mut SourceMap) -> i32 {
    let options = options(&a.common, placeholder_prefix("audit"));
    let mut diags = Diagnostics::new();
    let analysis = crate::analyse(&input(&a.common), &options, sources, &mut diags);
    let analysis = match settle(analysis, &diags, sources, a.common.message_format) {
        Ok(analysis) => analysis,
        Err(code) => return code,
    };
    let Some(analysis) = analysis else {
        report(&diags, sources, a.common.message_format);
        return EXIT_CONFIG;
    };
    let mut facts = audit::audit_configuration(&analysis.config, &analysis.model, &mut diags);
    if a.live {
        let state = match audit::live::read_live(&facts, &analysis.model.tools) {
            Ok(s) => s,
            Err(e) => {
                report(&diags, sources, a.common.message_format);
                // SAFETY: geteuid has no preconditions.
                let root = unsafe { libc::geteuid() } == 0;
                let hint = if root {
                    ""
                } else {
                    " (--live enters other network namespaces: run it as root)"
                };
                return usage_error(format!("audit --live: {e}{hint}"));
            }
        };
        facts = audit::audit_live(&facts, &state, &mut diags);
    }
    let audits = audit::judge_all(facts);
    match a.format {
        AuditFormat::Text => print!("{}", audit::render::to_text(&audits)),
        AuditFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&audit::render::to_json(&audits)).unwrap_or_default()
        ),
    }
    report(&diags, sources, a.common.message_format);
    let denied = a.deny_warnings && diags.warnings().next().is_some();
    let failed = diags.has_errors() || denied;
    exit_without_freeing(analysis);
    if failed { EXIT_CONFIG } else { 0 }
}
