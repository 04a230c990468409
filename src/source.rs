//! Source texts and the spans that point into them.
//!
//! Every diagnostic of the pipeline points at a [`Span`]: a byte range in one file of the
//! [`SourceMap`]. Definitions that no file holds (those the netns module itself makes, the
//! option defaults) carry [`Span::BUILTIN`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

impl FileId {
    /// Not a file: definitions made by netns-compile itself (the module's own settings).
    pub const BUILTIN: FileId = FileId(u32::MAX);
}

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const BUILTIN: Span = Span {
        file: FileId::BUILTIN,
        start: 0,
        end: 0,
    };

    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.file == FileId::BUILTIN
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span that covers both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file: its name as the user gave it and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
    /// Where each line starts, found once, when a diagnostic first needs a line number: a
    /// run that reports thousands of problems in a large file must not rescan it for each.
    lines: OnceLock<Lines>,
}

/// The line starts of a text, two ways.
#[derive(Clone, Debug)]
pub struct Lines {
    /// After each `\n`: the lines diagnostics number.
    pub after_newline: Arc<[u32]>,
    /// After each `\n`, `\r\n` or lone `\r`: the lines miette numbers when it draws a snippet.
    pub after_break: Arc<[u32]>,
}

impl SourceFile {
    pub fn lines(&self) -> &Lines {
        self.lines.get_or_init(|| Lines::of(&self.text))
    }
}

impl Lines {
    fn of(text: &str) -> Lines {
        let bytes = text.as_bytes();
        let mut after_newline = vec![0];
        let mut after_break = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let next = (i + 1) as u32;
            match b {
                b'\n' => {
                    after_newline.push(next);
                    after_break.push(next);
                }
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => after_break.push(next),
                _ => {}
            }
        }
        Lines {
            after_newline: after_newline.into(),
            after_break: after_break.into(),
        }
    }
}

/// All files read during one run.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, path: Option<&Path>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            name: name.into(),
            path: path.map(Path::to_path_buf),
            text: text.into(),
            lines: OnceLock::new(),
        });
        id
    }

    /// Show files under `dir` by their path relative to it (as a user typed them).
    pub fn shorten_names(&mut self, dir: &Path) {
        for f in &mut self.files {
            if let Some(rest) = Path::new(&f.name)
                .strip_prefix(dir)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
            {
                f.name = rest.display().to_string();
            }
        }
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The file shown as `name`, where one is (the latest read, if several are).
    pub fn file_named(&self, name: &str) -> Option<FileId> {
        let at = self.files.iter().rposition(|f| f.name == name)?;
        Some(FileId(at as u32))
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<netns module>", |f| f.name.as_str())
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: u32) -> (usize, usize) {
        let Some(f) = self.get(id) else { return (0, 0) };
        let offset = (offset as usize).min(f.text.len());
        let starts = &f.lines().after_newline;
        let line = starts.partition_point(|&s| s as usize <= offset);
        let line_start = starts[line - 1] as usize;
        // Characters, counted as the bytes that start one (the text is UTF-8).
        let col = f.text.as_bytes()[line_start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            + 1;
        (line, col)
    }

    /// `file:line:column` of the start of a span, for plain-text messages.
    pub fn location(&self, span: Span) -> String {
        if span.is_builtin() {
            return "<netns module>".to_string();
        }
        let (l, c) = self.line_col(span.file, span.start);
        format!("{}:{}:{}", self.name(span.file), l, c)
    }

    pub fn text(&self, span: Span) -> &str {
        match self.get(span.file) {
            Some(f) => f.text.get(span.start as usize..span.end as usize).unwrap_or(""),
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1-based line and column (in characters) of a byte offset, counted from the start: what
    /// the line index must agree with.
    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        (line, col)
    }

    #[test]
    fn the_line_index_agrees_with_counting() {
        let text = "ab\ncd\r\nef\rgh\n\né\n";
        let mut map = SourceMap::new();
        let id = map.add("t", None, text);
        for offset in 0..=text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(
                    map.line_col(id, offset as u32),
                    line_col(text, offset),
                    "offset {offset}"
                );
            }
        }
        let lines = map.get(id).unwrap().lines();
        assert_eq!(&*lines.after_newline, &[0, 3, 7, 13, 14, 17]);
        assert_eq!(&*lines.after_break, &[0, 3, 7, 10, 13, 14, 17]);
    }

    #[test]
    fn line_col_counts_from_one() {
        let at = |text: &str, offset: u32| {
            let mut map = SourceMap::new();
            let id = map.add("t", None, text.to_string());
            map.line_col(id, offset)
        };
        assert_eq!(at("ab\ncd", 0), (1, 1));
        assert_eq!(at("ab\ncd", 4), (2, 2));
        assert_eq!(at("é\nx", 3), (2, 1));
        assert_eq!(at("éx", 2), (1, 2));
    }
}
