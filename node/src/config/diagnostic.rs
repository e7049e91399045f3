//! Errors and warnings, and the collector that lets the parser keep going
//! after the first problem so users fix a whole file in one round.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::source::{FileId, Pos, SourceMap};

/// Where something was written. Lines and columns are 1-based (columns count
/// characters), matching what editors and keepalived's own messages show.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: SourceLocation,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.severity, self.message)
    }
}

/// Returned when the configuration has at least one error. Holds every error
/// found, plus the warnings, plus the file texts so [`ConfigErrors::render`]
/// can quote them.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    pub(crate) sources: SourceMap,
}

impl ConfigErrors {
    /// For callers (and tests) that build the error themselves; rendering then
    /// shows no source lines.
    pub fn new(errors: Vec<Diagnostic>, warnings: Vec<Diagnostic>) -> Self {
        ConfigErrors { errors, warnings, sources: SourceMap::default() }
    }
}

/// Equality is about the findings, not about the cached file texts.
impl PartialEq for ConfigErrors {
    fn eq(&self, other: &Self) -> bool {
        self.errors == other.errors && self.warnings == other.warnings
    }
}

impl Eq for ConfigErrors {}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects diagnostics while the files are read; owns the source map because
/// positions only become paths through it.
#[derive(Debug, Default)]
pub(crate) struct Reporter {
    pub sources: SourceMap,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Reporter {
    pub fn loc(&self, pos: Pos) -> SourceLocation {
        SourceLocation { file: self.sources.path(pos.file), line: pos.line.max(1), column: pos.column.max(1) }
    }

    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        let location = self.loc(pos);
        self.error_at(location, message);
    }

    pub fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        let location = self.loc(pos);
        self.warn_at(location, message);
    }

    pub fn error_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        self.errors.push(Diagnostic { severity: Severity::Error, location, message: message.into() });
    }

    pub fn warn_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        self.warnings.push(Diagnostic { severity: Severity::Warning, location, message: message.into() });
    }

    /// Position used for problems with a whole file (unreadable, not UTF-8).
    pub fn file_start(file: FileId) -> Pos {
        Pos { file, line: 1, column: 1 }
    }

    pub fn into_result<T>(self, value: T) -> Result<(T, Vec<Diagnostic>), ConfigErrors> {
        if self.errors.is_empty() {
            Ok((value, self.warnings))
        } else {
            Err(ConfigErrors { errors: self.errors, warnings: self.warnings, sources: self.sources })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_formats() {
        let d = Diagnostic {
            severity: Severity::Error,
            location: SourceLocation { file: "a.conf".into(), line: 3, column: 7 },
            message: "bad".into(),
        };
        assert_eq!(d.location.to_string(), "a.conf:3:7");
        assert_eq!(d.to_string(), "a.conf:3:7: error: bad");
        let w = Diagnostic { severity: Severity::Warning, ..d };
        assert_eq!(w.to_string(), "a.conf:3:7: warning: bad");
    }
}
