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

pub(crate) fn lex(file: FileId, text: &str, rep: &mut Reporter) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u32 = 1;
    let mut column: u32 = 1;

    while let Some(&c) = chars.peek() {
        let pos = Pos { file, line, column };
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
            tokens.push(Token { kind, pos });
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
                    _ => value.push(c),
                }
            }
            if !closed {
                rep.error(pos, "unterminated quoted string: expected a closing `\"` on the same line");
            }
            tokens.push(Token { kind: TokenKind::Word { text: value, quoted: true }, pos });
        } else {
            let mut value = String::new();
            while let Some(&c) = chars.peek() {
                if ends_word(c) {
                    break;
                }
                chars.next();
                column = column.saturating_add(1);
                value.push(c);
            }
            tokens.push(Token { kind: TokenKind::Word { text: value, quoted: false }, pos });
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

    #[test]
    fn unterminated_quote_is_error_at_quote() {
        let mut rep = Reporter::default();
        let toks = lex(0, "x \"abc\ny", &mut rep);
        assert_eq!(toks.len(), 3);
        assert_eq!(rep.errors.len(), 1);
        assert_eq!(rep.errors[0].location.line, 1);
        assert_eq!(rep.errors[0].location.column, 3);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            lex_ok("é x\n\tß y"),
            vec![("é".into(), 1, 1), ("x".into(), 1, 3), ("ß".into(), 2, 2), ("y".into(), 2, 4)]
        );
    }
}
