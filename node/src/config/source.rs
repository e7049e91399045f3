//! The texts of every file read, kept so errors can quote the offending line
//! long after parsing (and without touching the disk again).

use std::path::{Path, PathBuf};

/// Index into [`SourceMap`]; tokens carry this instead of a path to stay `Copy`.
pub(crate) type FileId = u32;

/// A position inside a source file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push(SourceFile { path, text });
        // Include limits keep the count far below u32::MAX.
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    pub fn set_text(&mut self, id: FileId, text: String) {
        if let Some(f) = usize::try_from(id).ok().and_then(|i| self.files.get_mut(i)) {
            f.text = text;
        }
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(usize::try_from(id).ok()?)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn path(&self, id: FileId) -> PathBuf {
        self.get(id).map(|f| f.path.clone()).unwrap_or_default()
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn find(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    /// Sorts locations the way a reader meets them: files in reading order, then line
    /// and column.
    pub fn order_key(&self, loc: &super::diagnostic::SourceLocation) -> (usize, u32, u32) {
        (self.find(&loc.file).unwrap_or(usize::MAX), loc.line, loc.column)
    }
}

/// Byte range of the token starting at (line, column), for caret rendering.
/// `None` when the position is outside the text (e.g. a stale location).
pub(crate) fn token_span(text: &str, line: u32, column: u32) -> Option<std::ops::Range<usize>> {
    let line_idx = usize::try_from(line.checked_sub(1)?).ok()?;
    let col_idx = usize::try_from(column.checked_sub(1)?).ok()?;
    let mut start_of_line = 0usize;
    for _ in 0..line_idx {
        start_of_line += text.get(start_of_line..)?.find('\n')? + 1;
    }
    let line_text = text.get(start_of_line..)?;
    let line_text = line_text.split('\n').next().unwrap_or("");
    let mut chars = line_text.char_indices().skip(col_idx);
    let Some((start, first)) = chars.next() else {
        // Pointing just past the end of the line (e.g. "missing value").
        let end = start_of_line + line_text.len();
        return Some(end..end);
    };
    let mut end = start + first.len_utf8();
    if !matches!(first, '{' | '}') {
        for (i, c) in chars {
            if c.is_whitespace() || matches!(c, '{' | '}' | '#' | '!') {
                break;
            }
            end = i + c.len_utf8();
        }
    }
    Some(start_of_line + start..start_of_line + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_covers_the_token() {
        let t = "a b\n  priority 0\n";
        assert_eq!(token_span(t, 2, 3), Some(6..14));
        assert_eq!(&t[6..14], "priority");
        assert_eq!(token_span(t, 2, 12), Some(15..16));
        assert_eq!(token_span(t, 9, 1), None);
        assert_eq!(token_span(t, 0, 1), None);
    }
}
