//! `include` handling: splices the tokens of included files into one stream.
//!
//! keepalived treats `include` as a textual directive valid anywhere (even
//! inside blocks), so expanding it before parsing gives the same semantics
//! while every token still remembers its own file for diagnostics.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::diagnostic::Reporter;
use super::lexer::{lex, Token, TokenKind};
use super::source::FileId;

/// keepalived's own nesting limit is of this order; deeper nesting is almost
/// certainly a cycle through differently-named paths.
const MAX_DEPTH: usize = 16;
/// Bounds the work a hostile or mistaken pattern (`include /**/*`) can cause.
const MAX_FILES: usize = 1024;
const MAX_MATCHES_PER_PATTERN: usize = 256;
const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads `path` and everything it includes.
pub(crate) fn expand_file(path: &Path, rep: &mut Reporter) -> Vec<Token> {
    let mut ex = Expander { rep, stack: Vec::new(), out: Vec::new() };
    let bytes = read_limited(path);
    let id = ex.rep.sources.add(path.to_path_buf(), String::new());
    match bytes {
        Ok(bytes) => {
            let id = ex.add_text(path, bytes, Some(id));
            ex.stack.push(std::fs::canonicalize(path).ok());
            ex.expand(id, path.parent().map(Path::to_path_buf), 0);
        }
        Err(e) => ex.rep.error(Reporter::file_start(id), format!("cannot read configuration file: {e}")),
    }
    ex.out
}

/// Expands an in-memory text; its relative includes resolve against the cwd.
pub(crate) fn expand_text(name: &str, text: &str, rep: &mut Reporter) -> Vec<Token> {
    let id = rep.sources.add(PathBuf::from(name), text.to_string());
    let mut ex = Expander { rep, stack: vec![None], out: Vec::new() };
    ex.expand(id, None, 0);
    ex.out
}

struct Expander<'r> {
    rep: &'r mut Reporter,
    /// Canonical paths of the files being read, outermost first (`None` when
    /// the path cannot be canonicalised, e.g. an in-memory text).
    stack: Vec<Option<PathBuf>>,
    out: Vec<Token>,
}

impl Expander<'_> {
    fn expand(&mut self, file: FileId, base: Option<PathBuf>, depth: usize) {
        let text = self.rep.sources.get(file).map(|f| f.text.clone()).unwrap_or_default();
        let tokens = lex(file, &text, self.rep);
        let mut i = 0;
        while let Some(tok) = tokens.get(i) {
            if !is_include_directive(&tokens, i) {
                self.out.push(tok.clone());
                i += 1;
                continue;
            }
            let mut j = i + 1;
            let mut args = Vec::new();
            while let Some(arg) = tokens.get(j) {
                if !arg.same_line(tok) || arg.word().is_none() {
                    break;
                }
                args.push(arg);
                j += 1;
            }
            match args.as_slice() {
                [] => self.rep.error(tok.pos, "`include` needs a file name or glob pattern on the same line"),
                [pattern, rest @ ..] => {
                    if let Some(extra) = rest.first() {
                        self.rep.warn(extra.pos, "`include` takes one pattern; extra arguments ignored");
                    }
                    self.include(pattern, base.as_deref(), depth);
                }
            }
            i = j;
        }
    }

    fn include(&mut self, pattern_tok: &Token, base: Option<&Path>, depth: usize) {
        let pattern = pattern_tok.word().unwrap_or_default();
        let full = match base {
            Some(dir) if !Path::new(pattern).is_absolute() && !dir.as_os_str().is_empty() => {
                // The directory is literal text, not a pattern.
                let dir = glob::Pattern::escape(&dir.to_string_lossy());
                format!("{dir}/{pattern}")
            }
            _ => pattern.to_string(),
        };
        let paths = match glob::glob(&full) {
            Ok(paths) => paths,
            Err(e) => {
                self.rep.error(pattern_tok.pos, format!("invalid include pattern `{pattern}`: {}", e.msg));
                return;
            }
        };
        let mut matched = 0usize;
        for entry in paths {
            let path = match entry {
                Ok(path) => path,
                Err(e) => {
                    self.rep.warn(
                        pattern_tok.pos,
                        format!("include `{pattern}`: cannot read {}, skipped", e.path().display()),
                    );
                    continue;
                }
            };
            if !path.is_file() {
                self.rep.warn(
                    pattern_tok.pos,
                    format!("include `{pattern}`: {} is not a regular file, skipped", path.display()),
                );
                continue;
            }
            matched += 1;
            if matched > MAX_MATCHES_PER_PATTERN {
                self.rep.error(
                    pattern_tok.pos,
                    format!("include `{pattern}` matches more than {MAX_MATCHES_PER_PATTERN} files"),
                );
                return;
            }
            self.include_file(pattern_tok, &path, depth + 1);
        }
        if matched == 0 {
            // keepalived only logs this too, so a config that works there keeps working.
            self.rep.warn(pattern_tok.pos, format!("include `{pattern}` matched no file; ignored"));
        }
    }

    fn include_file(&mut self, tok: &Token, path: &Path, depth: usize) {
        if depth > MAX_DEPTH {
            self.rep
                .error(tok.pos, format!("includes nested more than {MAX_DEPTH} levels deep (at {})", path.display()));
            return;
        }
        let canonical = std::fs::canonicalize(path).ok();
        if canonical.is_some() && self.stack.contains(&canonical) {
            self.rep.error(
                tok.pos,
                format!("include cycle: {} is already being read by an enclosing include", path.display()),
            );
            return;
        }
        if self.rep.sources.len() >= MAX_FILES {
            self.rep.error(tok.pos, format!("more than {MAX_FILES} files included; stopping at {}", path.display()));
            return;
        }
        let bytes = match read_limited(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.rep.error(tok.pos, format!("cannot read included file {}: {e}", path.display()));
                return;
            }
        };
        let id = self.add_text(path, bytes, None);
        self.stack.push(canonical);
        self.expand(id, path.parent().map(Path::to_path_buf), depth);
        self.stack.pop();
    }

    /// Registers a file's text. Bytes that are not UTF-8 become U+FFFD: keepalived reads
    /// bytes, and Latin-1 or GBK in a comment or a quoted string is common in files that
    /// work there. Where a token must be text (a keyword, a value read unquoted, an
    /// interface name), the parser reports the replacement at its position.
    fn add_text(&mut self, path: &Path, bytes: Vec<u8>, reuse: Option<FileId>) -> FileId {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        match reuse {
            Some(id) => {
                self.rep.sources.set_text(id, text);
                id
            }
            None => self.rep.sources.add(path.to_path_buf(), text),
        }
    }
}

/// A directive only where a statement may start, so `router_id include`
/// or a quoted "include" stay ordinary words.
fn is_include_directive(tokens: &[Token], i: usize) -> bool {
    let Some(tok) = tokens.get(i) else {
        return false;
    };
    let TokenKind::Word { text, quoted: false } = &tok.kind else {
        return false;
    };
    if text != "include" {
        return false;
    }
    match i.checked_sub(1).and_then(|p| tokens.get(p)) {
        None => true,
        Some(prev) => !prev.same_line(tok) || prev.word().is_none(),
    }
}

fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    Ok(bytes)
}
