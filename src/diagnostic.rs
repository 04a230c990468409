//! Diagnostics as data: one type for the whole pipeline.
//!
//! A stage never prints and never stops at the first problem: it pushes [`Diagnostic`]s into a
//! [`Diagnostics`] list and goes on where it can. The command line turns them into miette
//! reports (human) or JSON lines (machines) at the edge.

use crate::source::{SourceMap, Span};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Every kind of diagnostic, with a stable code. Codes are part of the interface: users
/// match on them in CI logs and in `--message-format json`; never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    // -- input -----------------------------------------------------------------------------
    /// The input is not valid JSON.
    JsonSyntax,
    /// The input is not valid UTF-8.
    InvalidUtf8,
    /// The input is past a documented limit (size, nesting depth, evaluation steps).
    LimitExceeded,
    /// JSON of `config.services.netns` alone, without the rest the compiler needs.
    PartialConfig,
    /// Nix syntax error.
    NixSyntax,
    /// Nix evaluation error.
    NixEval,
    // -- module system ---------------------------------------------------------------------
    /// A key that is not an option.
    UnknownOption,
    /// A definition whose value does not have the option's type.
    TypeMismatch,
    /// Different values for a single-valued option.
    ConflictingDefinitions,
    /// A key defined twice where the option takes one definition only (sysctl keys).
    DuplicateDefinition,
    /// A malformed `mkIf`/`mkMerge`/`mkOverride`/`mkOrder` property.
    InvalidProperty,
    // -- namespaces -------------------------------------------------------------------------
    /// A namespace name that iproute2 rejects or that would break the unit file.
    InvalidNamespaceName,
    /// Two namespace names that escape to the same unit name.
    UnitNameCollision,
    /// A namespace's own sysctl key that is global to the host.
    HostSysctl,
    /// A service joins a namespace that is not declared.
    UnknownNamespace,
    /// A service joins two namespaces.
    JoinsTwoNamespaces,
    /// A unit name that systemd does not accept.
    InvalidUnitName,
    /// The units' ordering has a cycle.
    OrderingCycle,
    /// A unit setting whose value holds a newline or other control character.
    UnitValueBreaksLine,
    // -- warnings ---------------------------------------------------------------------------
    /// An inherited sysctl key that is global to the host.
    InheritedHostSysctl,
    /// A `net.*` sysctl key that a child namespace does not have.
    SysctlNotInNamespace,
    /// A `net.*` sysctl key that is read-only in a child namespace.
    SysctlReadOnlyInNamespace,
    /// nftables enabled with an empty ruleset: the namespace is left unfiltered.
    EmptyRuleset,
    /// The namespace is ordered after `network.target`, which defeats `Before=network.target`.
    LateOrdering,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::JsonSyntax,
        Code::InvalidUtf8,
        Code::LimitExceeded,
        Code::PartialConfig,
        Code::NixSyntax,
        Code::NixEval,
        Code::UnknownOption,
        Code::TypeMismatch,
        Code::ConflictingDefinitions,
        Code::DuplicateDefinition,
        Code::InvalidProperty,
        Code::InvalidNamespaceName,
        Code::UnitNameCollision,
        Code::HostSysctl,
        Code::UnknownNamespace,
        Code::JoinsTwoNamespaces,
        Code::InvalidUnitName,
        Code::OrderingCycle,
        Code::UnitValueBreaksLine,
        Code::InheritedHostSysctl,
        Code::SysctlNotInNamespace,
        Code::SysctlReadOnlyInNamespace,
        Code::EmptyRuleset,
        Code::LateOrdering,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::JsonSyntax => "netns::json-syntax",
            Code::InvalidUtf8 => "netns::invalid-utf8",
            Code::LimitExceeded => "netns::limit-exceeded",
            Code::PartialConfig => "netns::partial-config",
            Code::NixSyntax => "netns::nix-syntax",
            Code::NixEval => "netns::nix-eval",
            Code::UnknownOption => "netns::unknown-option",
            Code::TypeMismatch => "netns::type-mismatch",
            Code::ConflictingDefinitions => "netns::conflicting-definitions",
            Code::DuplicateDefinition => "netns::duplicate-definition",
            Code::InvalidProperty => "netns::invalid-property",
            Code::InvalidNamespaceName => "netns::invalid-namespace-name",
            Code::UnitNameCollision => "netns::unit-name-collision",
            Code::HostSysctl => "netns::host-sysctl",
            Code::UnknownNamespace => "netns::unknown-namespace",
            Code::JoinsTwoNamespaces => "netns::joins-two-namespaces",
            Code::InvalidUnitName => "netns::invalid-unit-name",
            Code::OrderingCycle => "netns::ordering-cycle",
            Code::UnitValueBreaksLine => "netns::unit-value-breaks-line",
            Code::InheritedHostSysctl => "netns::inherited-host-sysctl",
            Code::SysctlNotInNamespace => "netns::sysctl-not-in-namespace",
            Code::SysctlReadOnlyInNamespace => "netns::sysctl-read-only-in-namespace",
            Code::EmptyRuleset => "netns::empty-ruleset",
            Code::LateOrdering => "netns::late-ordering",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::InheritedHostSysctl
            | Code::SysctlNotInNamespace
            | Code::SysctlReadOnlyInNamespace
            | Code::EmptyRuleset
            | Code::LateOrdering => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span with what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is. `None` only for problems of the whole input (an empty file has
    /// a span too: the empty range at 0).
    pub primary: Option<Label>,
    /// Other places that take part (the other definition of a conflict, …).
    pub secondary: Vec<Label>,
    /// Further facts, without a place.
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// The main place, with a label. Builtin spans (no file) become notes instead.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        let label = label.into();
        if span.is_builtin() {
            if !label.is_empty() {
                self.notes.push(label);
            }
        } else {
            self.primary = Some(Label { span, message: label });
        }
        self
    }

    /// A further place. Builtin spans become notes.
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        let label = label.into();
        if span.is_builtin() {
            self.notes.push(label);
        } else if self.primary.is_none() {
            self.primary = Some(Label { span, message: label });
        } else {
            self.secondary.push(Label { span, message: label });
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics a run collects.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        // The same problem reached twice (a definition read through two paths) is shown once.
        if !self.items.contains(&d) {
            self.items.push(d);
        }
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Errors first, then by place, so output does not depend on the order of discovery.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by_key(|d| {
            let p = d.primary.as_ref().map(|l| (l.span.file, l.span.start, l.span.end));
            (d.severity, p, d.code)
        });
        v
    }
}

// -- rendering ---------------------------------------------------------------------------------

/// One diagnostic as a JSON object (one line of `--message-format json`).
pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    use serde_json::json;
    let label = |l: &Label, primary: bool| {
        let (line, column) = sources.line_col(l.span.file, l.span.start);
        let (end_line, end_column) = sources.line_col(l.span.file, l.span.end);
        json!({
            "file": sources.name(l.span.file),
            "byte_start": l.span.start,
            "byte_end": l.span.end,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "message": l.message,
            "primary": primary,
        })
    };
    let mut labels: Vec<serde_json::Value> = d.primary.iter().map(|l| label(l, true)).collect();
    labels.extend(d.secondary.iter().map(|l| label(l, false)));
    json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}

/// A miette report of one diagnostic: labels in the primary's file are drawn on its source,
/// labels in other files become related reports with their own source.
#[derive(Debug)]
pub struct Report {
    code: Code,
    severity: Severity,
    message: String,
    source: Option<miette::NamedSource<String>>,
    labels: Vec<miette::LabeledSpan>,
    help: Option<String>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

fn named_source(sources: &SourceMap, span: Span) -> Option<miette::NamedSource<String>> {
    let f = sources.get(span.file)?;
    Some(miette::NamedSource::new(f.name.clone(), f.text.to_string()).with_language("nix"))
}

fn labeled(l: &Label, primary: bool) -> miette::LabeledSpan {
    let text = if l.message.is_empty() {
        None
    } else {
        Some(l.message.clone())
    };
    if primary {
        miette::LabeledSpan::new_primary_with_span(text, (l.span.start as usize, l.span.len()))
    } else {
        miette::LabeledSpan::new_with_span(text, (l.span.start as usize, l.span.len()))
    }
}

pub fn to_report(d: &Diagnostic, sources: &SourceMap) -> Report {
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let mut source = None;
    if let Some(p) = &d.primary {
        source = named_source(sources, p.span);
        labels.push(labeled(p, true));
    }
    for s in &d.secondary {
        if d.primary.as_ref().is_some_and(|p| p.span.file == s.span.file) {
            labels.push(labeled(s, false));
        } else {
            related.push(Report {
                code: d.code,
                severity: d.severity,
                message: s.message.clone(),
                source: named_source(sources, s.span),
                labels: vec![labeled(s, true)],
                help: None,
                related: Vec::new(),
            });
        }
    }
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str("\n  note: ");
        message.push_str(n);
    }
    Report {
        code: d.code,
        severity: d.severity,
        message,
        source,
        labels,
        help: d.help.clone(),
        related,
    }
}

/// Render for a terminal (or, with `color == false`, for logs and snapshot tests).
pub fn render_human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let handler = if color {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode())
    } else {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
    }
    .with_width(100)
    .with_links(false);
    let mut out = String::new();
    let report = to_report(d, sources);
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", d.severity.as_str(), d.message);
    }
    out
}
