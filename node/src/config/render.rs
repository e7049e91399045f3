//! Human-readable output. The first line of each diagnostic keeps the
//! compiler-style "file:line:column: severity: message" shape so editors and
//! grep can jump to it; the quoted line and caret come from codespan.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Chars};

use super::diagnostic::{ConfigErrors, Diagnostic, Severity};
use super::source::{token_span, SourceMap};

impl ConfigErrors {
    /// Errors first (and the count of those not kept), then warnings, each with its
    /// source line when known.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Built once: codespan indexes each file's lines when it is added, which per
        // diagnostic made a file with thousands of errors quadratic to print.
        let files = Files::new(&self.sources);
        for d in &self.errors {
            render_one(&mut out, d, Some(&files));
        }
        if let Some(more) = self.more_errors_line() {
            out.push_str(&more);
            out.push('\n');
        }
        for d in &self.warnings {
            render_one(&mut out, d, Some(&files));
        }
        out
    }
}

/// Warnings of a successful load. The texts are gone by then, so this prints
/// one line per warning, without source quotes.
pub fn render_warnings(ws: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in ws {
        render_one(&mut out, d, None);
    }
    out
}

/// Every source file, indexed for codespan, in [`SourceMap`] order.
struct Files<'s> {
    sources: &'s SourceMap,
    files: SimpleFiles<String, &'s str>,
}

impl<'s> Files<'s> {
    fn new(sources: &'s SourceMap) -> Self {
        let mut files = SimpleFiles::new();
        for f in sources.files() {
            files.add(f.path.display().to_string(), f.text.as_str());
        }
        Files { sources, files }
    }
}

fn render_one(out: &mut String, d: &Diagnostic, files: Option<&Files<'_>>) {
    out.push_str(&d.to_string());
    out.push('\n');
    if let Some(snippet) = files.and_then(|f| snippet(d, f)) {
        out.push_str(&snippet);
    }
}

/// The codespan rendering minus its own header line (ours replaces it).
fn snippet(d: &Diagnostic, files: &Files<'_>) -> Option<String> {
    let id = files.sources.find(&d.location.file)?;
    let line_index = usize::try_from(d.location.line.checked_sub(1)?).ok()?;
    let line = codespan_reporting::files::Files::line_range(&files.files, id, line_index).ok()?;
    let text = files.sources.files().get(id)?.text.get(line.clone())?;
    let within = token_span(text, 1, d.location.column)?;
    let span = line.start + within.start..line.start + within.end;

    let cs = match d.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    }
    .with_message(d.message.as_str())
    .with_labels(vec![Label::primary(id, span)]);

    let config = term::Config { chars: Chars::ascii(), ..term::Config::default() };
    let text = term::emit_into_string(&config, &files.files, &cs).ok()?;
    // Messages are single-line, so the header is exactly the first line.
    let body = text.split_once('\n').map(|(_, rest)| rest)?;
    Some(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::diagnostic::SourceLocation;
    use super::*;

    #[test]
    fn render_quotes_line_with_caret() {
        let mut sources = SourceMap::default();
        sources.add("x.conf".into(), "a\n  priority 0\n".into());
        let errs = ConfigErrors {
            errors: vec![Diagnostic {
                severity: Severity::Error,
                location: SourceLocation { file: "x.conf".into(), line: 2, column: 12 },
                message: "bad priority".into(),
            }],
            more_errors: 0,
            warnings: vec![],
            sources,
        };
        let text = errs.render();
        assert!(text.starts_with("x.conf:2:12: error: bad priority\n"), "{text}");
        assert!(text.contains("  priority 0"), "{text}");
        let caret_line = text.lines().find(|l| l.contains('^')).unwrap_or("");
        assert_eq!(
            caret_line.find('^'),
            text.lines().find(|l| l.contains("priority 0")).and_then(|l| l.find('0')),
            "{text}"
        );
    }

    #[test]
    fn render_warnings_is_plain() {
        let w = Diagnostic {
            severity: Severity::Warning,
            location: SourceLocation { file: "k.conf".into(), line: 1, column: 1 },
            message: "m".into(),
        };
        assert_eq!(render_warnings(&[w]), "k.conf:1:1: warning: m\n");
    }
}
