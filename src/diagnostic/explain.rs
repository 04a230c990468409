//! What each code means, as `netns-compile explain CODE` prints it and as docs/diagnostics.md
//! shows it: both are rendered here from the one text in `explanations.rs`.

use super::code::{Code, FoundBy};

/// A code's explanation in three parts, as statix explains its lints.
#[derive(Clone, Copy, Debug)]
pub struct Explanation {
    /// What the code means: which inputs raise it.
    pub meaning: &'static str,
    /// Why it matters: what would go wrong if it were let through.
    pub why: &'static str,
    pub example: Example,
}

/// A configuration that raises the code, and the same configuration fixed.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub language: Language,
    /// The texts as written in `explanations.rs`: a raw string that opens with a newline, so
    /// that the example starts at the left margin there too. [`Example::before`] drops it.
    pub(super) before: &'static str,
    pub(super) after: &'static str,
    pub standalone: Standalone,
}

impl Example {
    /// The configuration that raises the code.
    pub fn before(&self) -> &'static str {
        self.before.strip_prefix('\n').unwrap_or(self.before)
    }

    /// The same configuration, fixed: it raises nothing.
    pub fn after(&self) -> &'static str {
        self.after.strip_prefix('\n').unwrap_or(self.after)
    }
}

/// The input language of an example (a file `config.nix` or `config.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Nix,
    Json,
}

impl Language {
    /// The file extension, which is also the name of the fenced code block's language.
    pub fn extension(self) -> &'static str {
        match self {
            Language::Nix => "nix",
            Language::Json => "json",
        }
    }
}

/// Whether an example's `before` raises its code when compiled alone (the test suite checks
/// that it does and that `after` raises nothing), or why it cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standalone {
    Yes,
    /// The mistake is in the file's bytes: the `before` is compiled saved as Latin-1 (each
    /// character one byte), which an example's UTF-8 text cannot show itself.
    SavedAsLatin1,
    No {
        reason: &'static str,
    },
}

impl Code {
    pub fn explanation(self) -> &'static Explanation {
        super::explanations::explanation(self)
    }
}

/// Terminal text is wrapped at this width; docs/diagnostics.md at [`MARKDOWN_WIDTH`].
const TERMINAL_WIDTH: usize = 80;
const MARKDOWN_WIDTH: usize = 100;

/// `text` wrapped at `width` columns (words are never split), each line after `indent`;
/// paragraphs (separated by a blank line) stay apart.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && indent.len() + line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn indented(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{indent}{l}\n")
            }
        })
        .collect()
}

/// The sentence that says which command alone raises a code, for codes compiling does not.
fn raised_only_by(code: Code) -> Option<&'static str> {
    match code.found_by() {
        FoundBy::Compiling => None,
        FoundBy::Probe => Some(
            "Raised by `netns-compile check --probe` only: it asks the real tools, in a throwaway network namespace.",
        ),
        FoundBy::Audit => Some("Raised by `netns-compile audit` only: it follows every way out of each namespace."),
        FoundBy::Live => {
            Some("Raised by `netns-compile audit --live` only: it compares the running system with the configuration.")
        }
    }
}

/// What `netns-compile explain CODE` prints.
pub fn explain_text(code: Code) -> String {
    let e = code.explanation();
    let mut out = format!("{} ({})\n", code.as_str(), code.severity().as_str());
    out.push_str(&wrap(code.summary(), "", TERMINAL_WIDTH));
    if let Some(probe) = raised_only_by(code) {
        out.push_str(&wrap(probe, "", TERMINAL_WIDTH));
    }
    let section = |out: &mut String, title: &str, text: &str| {
        out.push_str(&format!("\n{title}\n"));
        out.push_str(&wrap(text, "  ", TERMINAL_WIDTH));
    };
    section(&mut out, "What it means", e.meaning);
    section(&mut out, "Why it matters", e.why);
    out.push_str("\nExample\n  This configuration raises it:\n\n");
    out.push_str(&indented(e.example.before(), "    "));
    out.push_str("\n  Fixed:\n\n");
    out.push_str(&indented(e.example.after(), "    "));
    out
}

/// What `netns-compile explain` without a code prints: every code with its summary.
pub fn list_codes() -> String {
    let width = Code::ALL.iter().map(|c| c.as_str().len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in Code::ALL {
        out.push_str(&format!(
            "{:<width$}  {:<7}  {}\n",
            c.as_str(),
            c.severity().as_str(),
            c.summary()
        ));
    }
    out.push_str("\n`netns-compile explain CODE` explains one (with or without `netns::`).\n");
    out
}

/// The anchor GitHub gives the heading of `code`'s section: `netns::nix-eval` → `netnsnix-eval`.
fn anchor(code: Code) -> String {
    code.as_str().chars().filter(|&c| c != ':').collect()
}

/// docs/diagnostics.md.
pub fn render_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Diagnostic codes\n\n");
    out.push_str(
        "<!-- Generated from src/diagnostic/explanations.rs: do not edit; rewrite it with\n     \
         `UPDATE_EXPECT=1 cargo test --test explain`. -->\n\n",
    );
    out.push_str(&wrap(
        "Every diagnostic netns-compile prints carries a stable code (`netns::nix-eval`) to \
         match on in CI logs and in `--message-format json`; codes are never renamed. \
         `netns-compile explain CODE` prints a code's section below. An error makes `build` \
         and `check` fail (exit 1); a warning does only with `--deny-warnings`. In each \
         example the first configuration raises the code and the second, fixed, raises \
         nothing: the test suite compiles both, except where a section says why it cannot.",
        "",
        MARKDOWN_WIDTH,
    ));
    out.push_str("\n| code | severity | summary |\n|---|---|---|\n");
    for &c in Code::ALL {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} |\n",
            c.as_str(),
            anchor(c),
            c.severity().as_str(),
            c.summary()
        ));
    }
    for &c in Code::ALL {
        let e = c.explanation();
        out.push_str(&format!("\n## `{}`\n\n", c.as_str()));
        let severity = match c.severity() {
            super::Severity::Error => "Error.",
            super::Severity::Warning => "Warning.",
        };
        let mut lead = format!("*{severity}* {}", c.summary());
        if let Some(probe) = raised_only_by(c) {
            lead.push(' ');
            lead.push_str(probe);
        }
        out.push_str(&wrap(&lead, "", MARKDOWN_WIDTH));
        out.push('\n');
        out.push_str(&wrap(&format!("**What it means.** {}", e.meaning), "", MARKDOWN_WIDTH));
        out.push('\n');
        out.push_str(&wrap(&format!("**Why it matters.** {}", e.why), "", MARKDOWN_WIDTH));
        let lang = e.example.language.extension();
        out.push_str(&format!(
            "\nThis configuration raises it:\n\n```{lang}\n{}```\n\nFixed:\n\n```{lang}\n{}```\n",
            e.example.before(),
            e.example.after()
        ));
        if let Standalone::No { reason } = e.example.standalone {
            out.push('\n');
            out.push_str(&wrap(
                &format!("(The test suite does not compile the first configuration: {reason}.)"),
                "",
                MARKDOWN_WIDTH,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_paragraphs() {
        let text = "one two three four five\n\nsix seven";
        assert_eq!(wrap(text, "  ", 12), "  one two\n  three four\n  five\n\n  six seven\n");
        // A word longer than the width stands on a line of its own.
        assert_eq!(wrap("a bcdefghijkl m", "", 5), "a\nbcdefghijkl\nm\n");
    }

    #[test]
    fn every_explanation_is_three_parts_and_an_example() {
        for &c in Code::ALL {
            let e = c.explanation();
            assert!(!e.meaning.trim().is_empty() && !e.why.trim().is_empty(), "{c}");
            let (before, after) = (e.example.before(), e.example.after());
            assert!(
                before.ends_with('\n') && after.ends_with('\n'),
                "{c}: examples end a line"
            );
            assert!(!before.starts_with('\n') && !after.starts_with('\n'), "{c}");
            assert_ne!(before, after, "{c}: the fix changes something");
            let text = explain_text(c);
            assert!(text.starts_with(c.as_str()) && text.contains(before.lines().next().unwrap_or("")));
        }
    }

    #[test]
    fn the_markdown_links_every_code_to_its_section() {
        let md = render_markdown();
        for &c in Code::ALL {
            assert!(md.contains(&format!("](#{})", anchor(c))), "{c}");
            assert!(md.contains(&format!("\n## `{}`\n", c.as_str())), "{c}");
        }
    }
}
