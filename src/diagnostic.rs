//! Diagnostics as data: one type for the whole pipeline.
//!
//! A stage never prints and never stops at the first problem: it pushes [`Diagnostic`]s into a
//! [`Diagnostics`] list and goes on where it can. The command line turns them into miette
//! reports (human) or JSON lines (machines) at the edge.

use crate::source::{SourceMap, Span};
use std::fmt;
use std::sync::Arc;

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
    // -- connectivity (SPEC §11) -------------------------------------------------------------
    /// A published port's `listen` or `port` that is missing or cannot be read.
    InvalidListen,
    /// A port outside 1–65535.
    PortOutOfRange,
    /// Two published ports that would bind the same host address and port.
    DuplicateListen,
    /// A published port's protocol that systemd-socket-proxyd does not forward.
    UnsupportedProtocol,
    /// A `dns` entry that is not an IP address (servers) or would break resolv.conf.
    InvalidDnsServer,
    /// A host-link or WireGuard address that cannot be read, or an incomplete pair.
    InvalidAddress,
    /// Host-link subnets that overlap each other or a given address.
    SubnetOverlap,
    /// An interface name Linux refuses (over 15 bytes, `/`, white space).
    InvalidInterfaceName,
    /// Two interfaces with one name in the host namespace.
    InterfaceNameCollision,
    /// A WireGuard key given inline where only a path to a key file belongs.
    InlineSecret,
    /// A WireGuard setting that cannot work (no key file, no peers, unknown implementation).
    InvalidWireguard,
    // -- found by the real tools (`check --probe`) --------------------------------------------
    /// `nft -c` rejects a namespace's ruleset.
    NftRejected,
    /// A sysctl key this kernel has neither in a network namespace nor on the host.
    UnknownSysctl,
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
    /// A namespace that services join but that has no way out at all.
    NoWayOut,
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
        Code::InvalidListen,
        Code::PortOutOfRange,
        Code::DuplicateListen,
        Code::UnsupportedProtocol,
        Code::InvalidDnsServer,
        Code::InvalidAddress,
        Code::SubnetOverlap,
        Code::InvalidInterfaceName,
        Code::InterfaceNameCollision,
        Code::InlineSecret,
        Code::InvalidWireguard,
        Code::NftRejected,
        Code::UnknownSysctl,
        Code::InheritedHostSysctl,
        Code::SysctlNotInNamespace,
        Code::SysctlReadOnlyInNamespace,
        Code::EmptyRuleset,
        Code::LateOrdering,
        Code::NoWayOut,
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
            Code::InvalidListen => "netns::invalid-listen",
            Code::PortOutOfRange => "netns::port-out-of-range",
            Code::DuplicateListen => "netns::duplicate-listen",
            Code::UnsupportedProtocol => "netns::unsupported-protocol",
            Code::InvalidDnsServer => "netns::invalid-dns-server",
            Code::InvalidAddress => "netns::invalid-address",
            Code::SubnetOverlap => "netns::subnet-overlap",
            Code::InvalidInterfaceName => "netns::invalid-interface-name",
            Code::InterfaceNameCollision => "netns::interface-name-collision",
            Code::InlineSecret => "netns::inline-secret",
            Code::InvalidWireguard => "netns::invalid-wireguard",
            Code::NftRejected => "netns::nft-rejected",
            Code::UnknownSysctl => "netns::unknown-sysctl",
            Code::InheritedHostSysctl => "netns::inherited-host-sysctl",
            Code::SysctlNotInNamespace => "netns::sysctl-not-in-namespace",
            Code::SysctlReadOnlyInNamespace => "netns::sysctl-read-only-in-namespace",
            Code::EmptyRuleset => "netns::empty-ruleset",
            Code::LateOrdering => "netns::late-ordering",
            Code::NoWayOut => "netns::no-way-out",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::InheritedHostSysctl
            | Code::SysctlNotInNamespace
            | Code::SysctlReadOnlyInNamespace
            | Code::EmptyRuleset
            | Code::LateOrdering
            | Code::NoWayOut => Severity::Warning,
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
    source: Option<FileSource>,
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

/// A file as miette reads it for a snippet: shared, not copied, and read only around the
/// lines shown (found with the file's line index), so that thousands of diagnostics in a
/// large file cost what their snippets cost.
#[derive(Debug)]
pub struct FileSource {
    name: String,
    text: Arc<str>,
    breaks: Arc<[u32]>,
}

/// Lines longer than this are not drawn: the label's place is written out instead. (`nix eval
/// --json` prints a whole configuration on one line.)
const LONGEST_DRAWN_LINE: usize = 1000;

/// The file of `span`, or `None` when there is none or a line around the span is too long to
/// draw.
fn file_source(sources: &SourceMap, span: Span) -> Option<FileSource> {
    let f = sources.get(span.file)?;
    let breaks = f.lines().after_break.clone();
    let (first, last) = (
        line_of(&breaks, span.start as usize),
        line_of(&breaks, span.end as usize),
    );
    // The lines miette may show: the span's, and one of context on either side.
    let shown = first.saturating_sub(1)..(last + 2).min(breaks.len());
    let too_long = shown.into_iter().any(|line| {
        let end = breaks.get(line + 1).map_or(f.text.len(), |&e| e as usize);
        end - breaks[line] as usize > LONGEST_DRAWN_LINE
    });
    (!too_long).then(|| FileSource {
        name: f.name.clone(),
        text: f.text.clone(),
        breaks,
    })
}

/// The 0-based line (in `breaks`, line starts) holding byte `offset`.
fn line_of(breaks: &[u32], offset: usize) -> usize {
    breaks.partition_point(|&s| s as usize <= offset).saturating_sub(1)
}

impl miette::SourceCode for FileSource {
    /// miette's own reading of a text, applied to the lines around the span only (two more
    /// on either side than it asks for), then moved back to the file's offsets and lines.
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = line_of(&self.breaks, start).saturating_sub(before + 2);
        let last = line_of(&self.breaks, end) + after + 3;
        let from = self.breaks[first] as usize;
        let to = self.breaks.get(last).map_or(self.text.len(), |&e| e as usize);
        let window = &self.text[from..to];
        let local = miette::SourceSpan::from((start - from, span.len()));
        let inner = <str as miette::SourceCode>::read_span(window, &local, before, after)?;
        let contents = miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            (inner.span().offset() + from, inner.span().len()).into(),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )
        .with_language("nix");
        Ok(Box::new(contents))
    }
}

/// Where a label is, written out, for a label whose lines are too long to draw.
fn written_out(sources: &SourceMap, l: &Label) -> String {
    let at = sources.location(l.span);
    if l.message.is_empty() {
        format!("at {at}")
    } else {
        format!("at {at}: {}", l.message)
    }
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
    // Labels whose lines are too long to draw, written out under the message.
    let mut written = Vec::new();
    if let Some(p) = &d.primary {
        source = file_source(sources, p.span);
        match source {
            Some(_) => labels.push(labeled(p, true)),
            None if !p.span.is_builtin() && sources.get(p.span.file).is_some() => written.push(written_out(sources, p)),
            None => {}
        }
    }
    for s in &d.secondary {
        if d.primary.as_ref().is_some_and(|p| p.span.file == s.span.file) {
            match (&source, file_source(sources, s.span)) {
                (Some(_), Some(_)) => labels.push(labeled(s, false)),
                _ => written.push(written_out(sources, s)),
            }
        } else {
            let source = file_source(sources, s.span);
            let (message, labels) = match source {
                Some(_) => (s.message.clone(), vec![labeled(s, true)]),
                None => (written_out(sources, s), Vec::new()),
            };
            related.push(Report {
                code: d.code,
                severity: d.severity,
                message,
                source,
                labels,
                help: None,
                related: Vec::new(),
            });
        }
    }
    let mut message = d.message.clone();
    for w in &written {
        message.push_str("\n  ");
        message.push_str(w);
    }
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
