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
    /// The first [`MAX_ERRORS`] errors in file order.
    pub errors: Vec<Diagnostic>,
    /// Errors found beyond those, counted but not kept.
    pub more_errors: usize,
    pub warnings: Vec<Diagnostic>,
    pub(crate) sources: SourceMap,
}

/// Errors kept per load: enough to fix a file in one round, and a bound on the memory a
/// file of a million mistakes can take (and on how long rendering them takes).
pub const MAX_ERRORS: usize = 100;

impl ConfigErrors {
    /// For callers (and tests) that build the error themselves; rendering then
    /// shows no source lines.
    pub fn new(errors: Vec<Diagnostic>, warnings: Vec<Diagnostic>) -> Self {
        ConfigErrors { errors, more_errors: 0, warnings, sources: SourceMap::default() }
    }

    /// The line that stands for the errors not kept, if any.
    pub fn more_errors_line(&self) -> Option<String> {
        (self.more_errors > 0).then(|| {
            let s = if self.more_errors == 1 { "" } else { "s" };
            format!("{} more error{s} not shown (the first {} are above)", self.more_errors, self.errors.len())
        })
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
        if let Some(more) = self.more_errors_line() {
            write!(f, "\n{more}")?;
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
    /// At most [`MAX_ERRORS`]: the earliest in file order of all reported.
    pub errors: Vec<Diagnostic>,
    /// How many errors beyond [`MAX_ERRORS`] were reported (and dropped).
    pub more_errors: usize,
    /// Where in `errors` the one latest in file order is, once `errors` is full.
    latest: Option<usize>,
    pub warnings: Vec<Diagnostic>,
    /// How many of `warnings` keepalived reports as configuration errors (and then runs
    /// anyway): its `-t` exits 5 for those, and so does `vrrpd -t`.
    pub keepalived_errors: usize,
    /// `--strict`: what keepalived would run without the authentication it was given is
    /// refused instead ([`Reporter::insecure_at`]).
    pub strict: bool,
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

    /// Stages report out of file order (lexing first, cross-checks last), so once
    /// [`MAX_ERRORS`] are kept a new error replaces the latest kept one when it comes
    /// earlier in the files: what is kept is the first [`MAX_ERRORS`] a reader meets.
    pub fn error_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(Diagnostic { severity: Severity::Error, location, message: message.into() });
            return;
        }
        self.more_errors += 1;
        let key = |d: &SourceLocation| self.sources.order_key(d);
        let latest = match self.latest {
            Some(i) => i,
            None => {
                let i = (0..self.errors.len()).max_by_key(|&i| key(&self.errors[i].location)).unwrap_or(0);
                self.latest = Some(i);
                i
            }
        };
        let Some(kept) = self.errors.get(latest) else { return };
        if key(&location) < key(&kept.location) {
            self.errors[latest] = Diagnostic { severity: Severity::Error, location, message: message.into() };
            self.latest = None;
        }
    }

    pub fn warn_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        self.warnings.push(Diagnostic { severity: Severity::Warning, location, message: message.into() });
    }

    /// A warning where keepalived reports a configuration error and carries on: the
    /// message says what vrrpd did instead (the same as keepalived).
    pub fn recovered(&mut self, pos: Pos, message: impl Into<String>) {
        let location = self.loc(pos);
        self.recovered_at(location, message);
    }

    pub fn recovered_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        self.keepalived_errors += 1;
        self.warn_at(location, message);
    }

    /// Where keepalived runs an instance without the authentication the file asked for:
    /// a loud warning, as keepalived does it (counted as a keepalived error when
    /// `keepalived_reports`), or under `--strict` an error.
    pub fn insecure_at(&mut self, location: SourceLocation, message: impl Into<String>, keepalived_reports: bool) {
        let message = message.into();
        if self.strict {
            self.error_at(location, format!("{message} (refused by --strict)"));
        } else if keepalived_reports {
            self.recovered_at(location, format!("INSECURE: {message}"));
        } else {
            self.warn_at(location, format!("INSECURE: {message}"));
        }
    }

    /// Where keepalived ignores a tracked script, file or process it cannot find (the
    /// instance then runs without that protection): a warning as keepalived's, or under
    /// `--strict` an error.
    pub fn untracked_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        let message = message.into();
        if self.strict {
            self.error_at(location, format!("{message} (refused by --strict)"));
        } else {
            self.recovered_at(location, message);
        }
    }

    /// Where vrrpd runs an instance on other terms than keepalived would, so that a
    /// keepalived peer with the same file would not interoperate with it: a loud warning
    /// (keepalived says nothing), or under `--strict` an error.
    pub fn incompatible_at(&mut self, location: SourceLocation, message: impl Into<String>) {
        let message = message.into();
        if self.strict {
            self.error_at(location, format!("{message} (refused by --strict)"));
        } else {
            self.warn_at(location, format!("INCOMPATIBLE: {message}"));
        }
    }

    pub fn insecure(&mut self, pos: Pos, message: impl Into<String>, keepalived_reports: bool) {
        let location = self.loc(pos);
        self.insecure_at(location, message, keepalived_reports);
    }

    /// Position used for problems with a whole file (unreadable, not UTF-8).
    pub fn file_start(file: FileId) -> Pos {
        Pos { file, line: 1, column: 1 }
    }

    pub fn into_result<T>(self, value: T) -> Result<(T, Vec<Diagnostic>, usize), ConfigErrors> {
        if self.errors.is_empty() {
            Ok((value, self.warnings, self.keepalived_errors))
        } else {
            Err(ConfigErrors {
                errors: self.errors,
                more_errors: self.more_errors,
                warnings: self.warnings,
                sources: self.sources,
            })
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
