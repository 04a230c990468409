//! Diagnostics rendered at the edge: miette reports for people, JSON lines for machines.

use super::{Code, Diagnostic, Label, Severity};
use crate::source::{SourceMap, Span};
use std::fmt;
use std::sync::Arc;

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
