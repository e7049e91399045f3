//! Splits one file into words and braces.
//!
//! keepalived's syntax is line-oriented (a keyword takes the rest of its
//! line), so every token keeps its line; the parser uses that to find where a
//! statement ends and to resynchronise after an error.

use super::diagnostic::Reporter;
use super::source::{FileId, Pos};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `quoted` matters for `include`: a quoted "include" is a value, not a directive.
    Word {
        text: String,
        quoted: bool,
    },
    Open,
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub pos: Pos,
}

impl Token {
    pub fn word(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::Word { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Same file and line: the parser's notion of "still the same statement".
    pub fn same_line(&self, other: &Token) -> bool {
        self.pos.file == other.pos.file && self.pos.line == other.pos.line
    }
}

/// Comment starters: keepalived accepts both, anywhere outside quotes.
fn is_comment(c: char) -> bool {
    c == '#' || c == '!'
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || is_comment(c) || matches!(c, '{' | '}' | '"')
}

/// Deepest block nesting accepted. keepalived's own grammar goes five deep at most
/// (`virtual_server` > `real_server` > `HTTP_GET` > `url`); the bound keeps a file of a
/// million `{` from costing a token each.
pub(crate) const MAX_NESTING: usize = 64;

/// Splits `text` into tokens. Blocks nested deeper than [`MAX_NESTING`] are reported at
/// their first `{` and dropped up to its matching `}`, so their contents cost nothing.
pub(crate) fn lex(file: FileId, text: &str, rep: &mut Reporter) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u32 = 1;
    let mut column: u32 = 1;
    // Depth within this file (a `}` closing an includer's block does not go below 0).
    let mut depth = 0usize;
    let mut too_deep_reported = false;

    while let Some(&c) = chars.peek() {
        let pos = Pos { file, line, column };
        let dropping = depth > MAX_NESTING;
        if c == '\n' {
            chars.next();
            line = line.saturating_add(1);
            column = 1;
        } else if c.is_whitespace() {
            chars.next();
            column = column.saturating_add(1);
        } else if is_comment(c) {
            while chars.peek().is_some_and(|&c| c != '\n') {
                chars.next();
            }
        } else if c == '{' || c == '}' {
            chars.next();
            column = column.saturating_add(1);
            let kind = if c == '{' { TokenKind::Open } else { TokenKind::Close };
            if c == '{' {
                depth += 1;
                if depth > MAX_NESTING && !too_deep_reported {
                    too_deep_reported = true;
                    rep.error(pos, format!("blocks nested more than {MAX_NESTING} levels deep; this block is skipped"));
                }
            } else {
                depth = depth.saturating_sub(1);
            }
            if !dropping && depth <= MAX_NESTING {
                tokens.push(Token { kind, pos });
            }
        } else if c == '"' {
            chars.next();
            column = column.saturating_add(1);
            let mut value = String::new();
            let mut closed = false;
            while let Some(&c) = chars.peek() {
                if c == '\n' {
                    break;
                }
                chars.next();
                column = column.saturating_add(1);
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    // Only the two escapes a password or label may need.
                    '\\' if matches!(chars.peek(), Some('"' | '\\')) => {
                        if let Some(escaped) = chars.next() {
                            column = column.saturating_add(1);
                            value.push(escaped);
                        }
                    }
                    _ if dropping => {}
                    _ => value.push(c),
                }
            }
            // lib/parser.c 1193 (alloc_strvec_r): "Unmatched quote", and the line ends
            // before the quote: keepalived reads the words before it and runs.
            if !closed && !dropping {
                rep.recovered(
                    pos,
                    "unterminated quoted string (expected a closing `\"` on the same line): the rest of the line is ignored, as keepalived does",
                );
            }
            if closed && !dropping {
                tokens.push(Token { kind: TokenKind::Word { text: value, quoted: true }, pos });
            }
        } else {
            let mut value = String::new();
            while let Some(&c) = chars.peek() {
                if ends_word(c) {
                    break;
                }
                chars.next();
                column = column.saturating_add(1);
                if !dropping {
                    value.push(c);
                }
            }
            if !dropping {
                tokens.push(Token { kind: TokenKind::Word { text: value, quoted: false }, pos });
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_ok(text: &str) -> Vec<(String, u32, u32)> {
        let mut rep = Reporter::default();
        let toks = lex(0, text, &mut rep);
        assert!(rep.errors.is_empty(), "{:?}", rep.errors);
        toks.into_iter()
            .map(|t| {
                let s = match t.kind {
                    TokenKind::Word { text, quoted: false } => text,
                    TokenKind::Word { text, quoted: true } => format!("\"{text}\""),
                    TokenKind::Open => "{".into(),
                    TokenKind::Close => "}".into(),
                };
                (s, t.pos.line, t.pos.column)
            })
            .collect()
    }

    #[test]
    fn glued_braces_and_positions() {
        assert_eq!(
            lex_ok("authentication{\n  auth_type PASS}"),
            vec![
                ("authentication".into(), 1, 1),
                ("{".into(), 1, 15),
                ("auth_type".into(), 2, 3),
                ("PASS".into(), 2, 13),
                ("}".into(), 2, 17),
            ]
        );
    }

    #[test]
    fn comments_both_kinds() {
        assert_eq!(
            lex_ok("a # b c\n! whole line\nd!e\nf#g"),
            vec![("a".into(), 1, 1), ("d".into(), 3, 1), ("f".into(), 4, 1)]
        );
    }

    #[test]
    fn quoted_strings_keep_spaces_and_comment_chars() {
        assert_eq!(
            lex_ok("auth_pass \"a b#!{}\\\"\" x"),
            vec![("auth_pass".into(), 1, 1), ("\"a b#!{}\"\"".into(), 1, 11), ("x".into(), 1, 23),]
        );
    }

    /// lib/parser.c 1193: the unterminated string and the rest of its line are dropped.
    #[test]
    fn unterminated_quote_drops_the_rest_of_the_line_with_a_warning_at_the_quote() {
        let mut rep = Reporter::default();
        let toks = lex(0, "x \"abc\ny", &mut rep);
        assert_eq!(toks.iter().map(|t| t.word().unwrap_or_default()).collect::<Vec<_>>(), ["x", "y"]);
        assert!(rep.errors.is_empty(), "{:?}", rep.errors);
        assert_eq!(rep.warnings.len(), 1);
        assert_eq!((rep.warnings[0].location.line, rep.warnings[0].location.column), (1, 3));
        assert_eq!(rep.keepalived_errors, 1);
    }

    #[test]
    fn blocks_nested_too_deep_are_one_error_at_the_first_too_deep_brace_and_cost_no_tokens() {
        let mut rep = Reporter::default();
        let toks = lex(0, &"{".repeat(1_000_000), &mut rep);
        assert_eq!(toks.len(), MAX_NESTING, "only the braces up to the limit are kept");
        assert_eq!(rep.errors.len(), 1, "{:?}", rep.errors);
        let column = u32::try_from(MAX_NESTING + 1).unwrap();
        assert_eq!((rep.errors[0].location.line, rep.errors[0].location.column), (1, column));
        assert!(rep.errors[0].message.contains("nested more than 64 levels"), "{:?}", rep.errors);

        // The too-deep block is dropped up to its own `}`; what follows is read again.
        let mut rep = Reporter::default();
        let text = format!("{}x \"{{\" }}y{}", "{".repeat(MAX_NESTING + 1), "}".repeat(MAX_NESTING));
        let toks = lex(0, &text, &mut rep);
        assert_eq!(rep.errors.len(), 1, "{:?}", rep.errors);
        assert_eq!(toks.len(), 2 * MAX_NESTING + 1, "{toks:?}");
        assert_eq!(toks[MAX_NESTING].word(), Some("y"));
        // 64 levels are fine.
        let mut rep = Reporter::default();
        lex(0, &format!("{}{}", "{".repeat(MAX_NESTING), "}".repeat(MAX_NESTING)), &mut rep);
        assert!(rep.errors.is_empty(), "{:?}", rep.errors);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            lex_ok("é x\n\tß y"),
            vec![("é".into(), 1, 1), ("x".into(), 1, 3), ("ß".into(), 2, 2), ("y".into(), 2, 4)]
        );
    }
}
