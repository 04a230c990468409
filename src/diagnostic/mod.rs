//! Diagnostics as data: one type for the whole pipeline.
//!
//! A stage never prints and never stops at the first problem: it pushes [`Diagnostic`]s into a
//! [`Diagnostics`] list and goes on where it can. The command line turns them into miette
//! reports (human) or JSON lines (machines) at the edge.
//!
//! `code` holds the table of codes, `explanations` what each one means (the text of
//! `netns-compile explain` and of docs/diagnostics.md, rendered by `explain`), `render` the
//! reports.

mod code;
mod explain;
mod explanations;
pub mod parts;
mod render;

pub use code::{CODE_PREFIX, Code, FoundBy, Severity};
pub use explain::{Example, Explanation, Language, Standalone, explain_text, list_codes, render_markdown};
pub use render::{FileSource, Report, render_human, to_json, to_report};

use crate::source::Span;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// A span with what it shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// The diagnostics a run collects, each problem once, in the order of first appearance.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    /// Read them freely; add them with [`Diagnostics::push`] or [`Diagnostics::extend`], which
    /// keep each problem once.
    pub items: Vec<Diagnostic>,
    /// The hash of each pushed diagnostic, with the index in `items` of the first one that has
    /// it: `push` finds an equal diagnostic in constant time. An entry that no longer points
    /// at an equal item (after `items` was changed directly) only costs a search.
    first_with_hash: FxHashMap<u64, usize>,
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for d in iter {
            diags.push(d);
        }
        diags
    }
}

fn hash_of(d: &Diagnostic) -> u64 {
    let mut h = FxHasher::default();
    d.hash(&mut h);
    h.finish()
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        // The same problem reached twice (a definition read through two paths) is shown once.
        let hash = hash_of(&d);
        match self.first_with_hash.get(&hash) {
            None => {
                self.first_with_hash.insert(hash, self.items.len());
            }
            Some(&i) if self.items.get(i) == Some(&d) => return,
            // Two different diagnostics with one hash: so rare that a search costs nothing.
            Some(_) if self.items.contains(&d) => return,
            Some(_) => {}
        }
        self.items.push(d);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize, message: &str) -> Diagnostic {
        Diagnostic::new(Code::UnknownOption, message).at(Span::new(FileId(1), start, start + 1), "here")
    }

    #[test]
    fn an_equal_diagnostic_is_kept_once_in_the_order_of_first_appearance() {
        let mut diags = Diagnostics::new();
        for d in [at(5, "b"), at(1, "a"), at(5, "b"), at(1, "a"), at(1, "a").note("more")] {
            diags.push(d);
        }
        let shown: Vec<(u32, &str, usize)> = diags
            .items
            .iter()
            .map(|d| {
                (
                    d.primary.as_ref().map_or(0, |l| l.span.start),
                    d.message.as_str(),
                    d.notes.len(),
                )
            })
            .collect();
        assert_eq!(shown, [(5, "b", 0), (1, "a", 0), (1, "a", 1)]);
    }

    #[test]
    fn items_changed_directly_do_not_mislead_the_index() {
        let mut diags = Diagnostics::new();
        diags.push(at(1, "a"));
        diags.push(at(2, "b"));
        // The index says "a" is item 0, which is now something else.
        diags.items.clear();
        diags.push(at(2, "b"));
        diags.push(at(1, "a"));
        diags.push(at(2, "b"));
        assert_eq!(diags.items, [at(2, "b"), at(1, "a")]);
    }

    #[test]
    fn many_diagnostics_are_kept_once_each() {
        let diags: Diagnostics = (0..10_000)
            .map(|i| at(i, "x"))
            .chain((0..10_000).map(|i| at(i, "x")))
            .collect();
        assert_eq!(diags.items.len(), 10_000);
        assert!(
            diags
                .items
                .iter()
                .enumerate()
                .all(|(i, d)| d.primary.as_ref().unwrap().span.start as usize == i)
        );
    }
}
