//! Statement and block reading shared by every section.
//!
//! A statement is a keyword plus the words on the rest of its line, optionally
//! followed by a `{ ... }` block. Because statements end at line ends, an
//! error only costs the rest of its line: reading resumes at the next line,
//! which is how every error in a file gets reported in one run.

use std::ops::RangeInclusive;

use super::diagnostic::Reporter;
use super::lexer::{Token, TokenKind};
use super::number::{parse_centis, parse_uint, DecimalError};

#[derive(Debug)]
pub(crate) struct Stmt<'t> {
    pub key: &'t Token,
    pub name: &'t str,
    pub args: Vec<&'t Token>,
    /// The `{` opening this statement's block, already consumed; the block
    /// body is next in the cursor and must be parsed or skipped.
    pub block: Option<&'t Token>,
}

#[derive(Debug)]
pub(crate) enum Item<'t> {
    Stmt(Stmt<'t>),
    Close(&'t Token),
    Eof,
}

#[derive(Debug)]
pub(crate) struct Cursor<'t> {
    toks: &'t [Token],
    pos: usize,
}

impl<'t> Cursor<'t> {
    pub fn new(toks: &'t [Token]) -> Self {
        Cursor { toks, pos: 0 }
    }

    pub fn next_item(&mut self, rep: &mut Reporter) -> Item<'t> {
        loop {
            let Some(tok) = self.toks.get(self.pos) else {
                return Item::Eof;
            };
            self.pos += 1;
            match &tok.kind {
                TokenKind::Close => return Item::Close(tok),
                TokenKind::Open => {
                    rep.error(tok.pos, "unexpected `{`: expected a keyword before a block");
                    self.skip_block(tok, rep);
                }
                TokenKind::Word { text, .. } => {
                    if let Some(pos) = not_utf8_at(tok) {
                        // lib/parser.c 3098: no keyword matches, "Unknown keyword '%s'" (a
                        // warning to keepalived, which goes on): skip the statement and its block.
                        rep.recovered(
                            pos,
                            "unknown keyword (it holds a byte that is not UTF-8, so it is no keyword keepalived knows either), ignored",
                        );
                        self.skip_line(tok);
                        if let Some(open @ Token { kind: TokenKind::Open, .. }) = self.toks.get(self.pos) {
                            self.pos += 1;
                            self.skip_block(open, rep);
                        }
                        continue;
                    }
                    let mut args = Vec::new();
                    while let Some(next) = self.toks.get(self.pos) {
                        if !next.same_line(tok) || next.word().is_none() {
                            break;
                        }
                        args.push(next);
                        self.pos += 1;
                    }
                    // The `{` may sit on the next line (Allman style); keepalived accepts both.
                    let block = match self.toks.get(self.pos) {
                        Some(open @ Token { kind: TokenKind::Open, .. }) => {
                            self.pos += 1;
                            Some(open)
                        }
                        _ => None,
                    };
                    return Item::Stmt(Stmt { key: tok, name: text, args, block });
                }
            }
        }
    }

    /// Consumes the words after `tok` on its line.
    fn skip_line(&mut self, tok: &Token) {
        while self.toks.get(self.pos).is_some_and(|next| next.same_line(tok) && next.word().is_some()) {
            self.pos += 1;
        }
    }

    /// Consumes a block body up to its matching `}` (the `{` is already read).
    pub fn skip_block(&mut self, open: &Token, rep: &mut Reporter) {
        let mut depth = 1usize;
        while let Some(tok) = self.toks.get(self.pos) {
            self.pos += 1;
            match tok.kind {
                TokenKind::Open => depth += 1,
                TokenKind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                TokenKind::Word { .. } => {}
            }
        }
        unclosed(open, rep);
    }

    /// Runs `f` on every statement of a block body until its `}`; `false`
    /// when the file ended first, so callers can skip checks on a truncated block.
    pub fn block(
        &mut self,
        rep: &mut Reporter,
        open: &Token,
        mut f: impl FnMut(&mut Cursor<'t>, &mut Reporter, Stmt<'t>),
    ) -> bool {
        loop {
            match self.next_item(rep) {
                Item::Close(_) => return true,
                Item::Eof => {
                    unclosed(open, rep);
                    return false;
                }
                Item::Stmt(stmt) => f(self, rep, stmt),
            }
        }
    }
}

/// `false`, after an error at the offending character, when an unquoted word holds bytes
/// that were not UTF-8 (read as U+FFFD): fine in a comment, a quoted string or a
/// skipped section, but a keyword or a value read as text must be text.
pub(crate) fn is_text(tok: &Token, rep: &mut Reporter) -> bool {
    let Some(pos) = not_utf8_at(tok) else {
        return true;
    };
    rep.error(pos, "invalid text: this byte is not UTF-8 (quote the value if it may hold any bytes)");
    false
}

/// Where the first byte that was not UTF-8 sits in an unquoted word, if any.
fn not_utf8_at(tok: &Token) -> Option<super::source::Pos> {
    let TokenKind::Word { text, quoted: false } = &tok.kind else {
        return None;
    };
    let at = text.chars().position(|c| c == char::REPLACEMENT_CHARACTER)?;
    let column = tok.pos.column.saturating_add(u32::try_from(at).unwrap_or(u32::MAX));
    Some(super::source::Pos { column, ..tok.pos })
}

/// Reported at the `{`, since the end of file says nothing about which block
/// lost its `}`.
fn unclosed(open: &Token, rep: &mut Reporter) {
    rep.error(open.pos, "block is never closed: expected `}` before the end of the file");
}

impl<'t> Stmt<'t> {
    /// For keywords that take no block: a block there is a mistake worth an
    /// error, and skipping it keeps its contents from being misread.
    pub fn no_block(&self, cur: &mut Cursor<'t>, rep: &mut Reporter) {
        if let Some(open) = self.block {
            rep.error(open.pos, format!("`{}` does not take a block: unexpected `{{`", self.name));
            cur.skip_block(open, rep);
        }
    }

    /// For keywords that need a block; `false` (after an error) when absent.
    pub fn needs_block(&self, rep: &mut Reporter) -> bool {
        if self.block.is_none() {
            rep.error(self.key.pos, format!("expected `{{` after `{}`", self.name));
        }
        self.block.is_some()
    }

    /// Warns about, and skips, a keyword keepalived does not know either (lib/parser.c
    /// 3098 "Unknown keyword", which keepalived counts as a configuration error).
    pub fn ignore(&self, cur: &mut Cursor<'t>, rep: &mut Reporter, message: String) {
        rep.recovered(self.key.pos, message);
        if let Some(open) = self.block {
            cur.skip_block(open, rep);
        }
    }

    /// Warns about, and skips, a keepalived keyword vrrpd does not act on.
    pub fn not_implemented(&self, cur: &mut Cursor<'t>, rep: &mut Reporter) {
        rep.warn(self.key.pos, format!("`{}` is not implemented by vrrpd, ignored", self.name));
        if let Some(open) = self.block {
            cur.skip_block(open, rep);
        }
    }

    pub fn no_args(&self, rep: &mut Reporter) {
        if let Some(extra) = self.args.first() {
            rep.warn(extra.pos, format!("`{}` takes no argument; extra arguments ignored", self.name));
        }
    }

    /// The single argument of `keyword VALUE`; `expected` describes VALUE.
    pub fn one_arg(&self, rep: &mut Reporter, expected: &str) -> Option<&'t Token> {
        self.arg_range(rep, expected, 1)
    }

    /// The first argument, allowing up to `max` arguments before warning.
    pub fn arg_range(&self, rep: &mut Reporter, expected: &str, max: usize) -> Option<&'t Token> {
        let Some(first) = self.args.first() else {
            rep.error(self.key.pos, format!("missing value: expected `{} {expected}`", self.name));
            return None;
        };
        if let Some(extra) = self.args.get(max) {
            rep.warn(extra.pos, format!("extra argument after `{}` ignored", self.name));
        }
        is_text(first, rep).then_some(*first)
    }

    /// `keyword N` with N in `range`.
    pub fn uint(&self, rep: &mut Reporter, range: RangeInclusive<u64>) -> Option<(u64, &'t Token)> {
        let tok = self.one_arg(rep, &format!("<{}..={}>", range.start(), range.end()))?;
        let text = tok.word().unwrap_or_default();
        match parse_uint(text).filter(|v| range.contains(v)) {
            Some(v) => Some((v, tok)),
            None => {
                rep.error(
                    tok.pos,
                    format!(
                        "invalid `{}` value `{text}`: expected an integer in {}..={}",
                        self.name,
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    pub fn u32(&self, rep: &mut Reporter) -> Option<u32> {
        self.uint(rep, 0..=u64::from(u32::MAX)).and_then(|(v, _)| u32::try_from(v).ok())
    }

    /// `keyword SECONDS` with up to two decimals, returned in centiseconds.
    pub fn centis(&self, rep: &mut Reporter) -> Option<(u64, &'t Token)> {
        let tok = self.one_arg(rep, "<seconds>")?;
        let text = tok.word().unwrap_or_default();
        match parse_centis(text) {
            Ok(cs) => Some((cs, tok)),
            Err(e) => {
                let why = match e {
                    DecimalError::NotANumber => "expected a number of seconds such as 1 or 0.5",
                    DecimalError::TooPrecise => "expected a multiple of 0.01 seconds",
                    DecimalError::TooLarge => "value is far too large",
                };
                rep.error(tok.pos, format!("invalid `{}` value `{text}`: {why}", self.name));
                None
            }
        }
    }
}
