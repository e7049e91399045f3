//! Script lines (`script`, `notify_*`, `notify_fifo_script`), read the way keepalived 2.2.7
//! reads them.
//!
//! keepalived does not use its ordinary word splitting for these: it re-reads the line
//! (`lib/notify.c` `notify_script_init`, `keepalived/vrrp/vrrp_parser.c`
//! `vrrp_vscript_script_handler`) in three steps, which [`script_line`] reproduces:
//!
//! 1. `lib/parser.c` `decomment`: the line ends at the first `#` or `!` outside double
//!    quotes (`\#` and `\!` outside double quotes are a literal `#`, `!`); `read_line` also
//!    ends it at the first `{` or `}` outside double quotes.
//! 2. `lib/parser.c` `alloc_strvec_quoted_escaped` splits that line into words: the keyword,
//!    the script, then (for notify scripts) `username [groupname]`.
//! 3. `lib/notify.c` `set_script_params_array` splits the script word again with the same
//!    function: those words are the program and its arguments (`argv`).
//!
//! `alloc_strvec_quoted_escaped` ([`split_words`]): words are separated by spaces and tabs;
//! `"…"` and `'…'` quote (the quotes are removed, and may sit inside a word: `a"b c"d` is
//! `ab cd`); a backslash escapes in every context, with C's escapes (`\n`, `\t`, `\a`, `\b`,
//! `\f`, `\r`, `\v`, `\E` for ESC, `\xHH…`, `\NNN` octal, `\cX` for control-X); any other
//! escaped character stands for itself (`\"`, `\'`, `\\`, `\ `). An unterminated quote or a
//! backslash ending the text makes keepalived drop the script.

use super::diagnostic::Reporter;
use super::lexer::Token;
use super::model::{RunAs, ScriptCmd};
use super::source::Pos;

/// A word of a line with the column (1-based, in characters) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    pub column: u32,
}

/// Why [`split_words`] refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A quote (`'` or `"`) that is never closed; the column of the opening quote.
    UnterminatedQuote(char, u32),
    /// A backslash with nothing after it; its column.
    TrailingBackslash(u32),
}

/// keepalived's `alloc_strvec_quoted_escaped` over `chars` (each with its column).
pub(crate) fn split_words(chars: &[(char, u32)]) -> Result<Vec<Word>, SplitError> {
    let mut words = Vec::new();
    let mut i = 0;
    let blank = |c: char| c == ' ' || c == '\t';
    while i < chars.len() {
        while chars.get(i).is_some_and(|&(c, _)| blank(c)) {
            i += 1;
        }
        let Some(&(_, column)) = chars.get(i) else { break };
        let mut text = String::new();
        let mut quote: Option<(char, u32)> = None;
        while let Some(&(c, col)) = chars.get(i) {
            match (quote, c) {
                (_, '\\') => {
                    i += 1;
                    let (escaped, used) = unescape(&chars[i..]).ok_or(SplitError::TrailingBackslash(col))?;
                    text.push(escaped);
                    i += used;
                }
                (Some((q, _)), c) if c == q => {
                    quote = None;
                    i += 1;
                }
                (Some(_), c) => {
                    text.push(c);
                    i += 1;
                }
                (None, '"' | '\'') => {
                    quote = Some((c, col));
                    i += 1;
                }
                (None, c) if blank(c) => break,
                (None, c) => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        if let Some((q, col)) = quote {
            return Err(SplitError::UnterminatedQuote(q, col));
        }
        words.push(Word { text, column });
    }
    Ok(words)
}

/// The character an escape after a backslash stands for, and how many characters it
/// used; `None` when nothing follows the backslash.
fn unescape(rest: &[(char, u32)]) -> Option<(char, usize)> {
    let c = |i: usize| rest.get(i).map(|&(c, _)| c);
    let first = c(0)?;
    if first == 'x' && c(1).is_some_and(|d| d.is_ascii_hexdigit()) {
        // keepalived shifts every hex digit into one byte: only the last two count.
        let mut value: u32 = 0;
        let mut used = 1;
        while let Some(d) = c(used).and_then(|d| d.to_digit(16)) {
            value = ((value << 4) | d) & 0xff;
            used += 1;
        }
        return Some((char::from(u8::try_from(value).unwrap_or(0)), used));
    }
    if first == 'c' {
        if let Some(x) = c(1) {
            let control = u32::from(x) & 0x1f;
            return Some((char::from_u32(control).unwrap_or('\0'), 2));
        }
    }
    if let Some(d) = first.to_digit(8) {
        let mut value = d;
        let mut used = 1;
        while used < 3 {
            match c(used).and_then(|d| d.to_digit(8)) {
                Some(d) => {
                    value = (value << 3) + d;
                    used += 1;
                }
                None => break,
            }
        }
        return Some((char::from(u8::try_from(value & 0xff).unwrap_or(0)), used));
    }
    let escaped = match first {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'E' => '\u{1b}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        other => other,
    };
    Some((escaped, 1))
}

/// The rest of `tok`'s line from `tok` on, cut where keepalived's `decomment` and
/// `read_line` cut it (see the module doc), each character with its column.
/// `Err(column)` when the line ends in a backslash, which keepalived reads as a
/// continuation onto the next line.
fn line_from(rep: &Reporter, tok: &Token) -> Result<Vec<(char, u32)>, u32> {
    let text = rep.sources.get(tok.pos.file).map(|f| f.text.as_str()).unwrap_or_default();
    let line_idx = usize::try_from(tok.pos.line.saturating_sub(1)).unwrap_or(usize::MAX);
    let line = text.split('\n').nth(line_idx).unwrap_or_default();
    let skip = usize::try_from(tok.pos.column.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut chars = line.chars().zip(1u32..).skip(skip).peekable();
    while let Some((c, col)) = chars.next() {
        match c {
            '"' => in_quote = !in_quote,
            '\\' => match chars.peek().copied() {
                None => return Err(col),
                Some((next @ ('#' | '!'), next_col)) if !in_quote => {
                    chars.next();
                    // Still escaped for the word splitter, which turns `\#` into `#`.
                    out.push((c, col));
                    out.push((next, next_col));
                    continue;
                }
                Some(next) => {
                    chars.next();
                    out.push((c, col));
                    out.push(next);
                    continue;
                }
            },
            '#' | '!' if !in_quote => break,
            '{' | '}' if !in_quote => break,
            '\r' => continue,
            _ => {}
        }
        out.push((c, col));
    }
    while out.last().is_some_and(|&(c, _)| c == ' ' || c == '\t') {
        out.pop();
    }
    Ok(out)
}

/// The words of the statement keyed by `key` (the keyword first), split as keepalived
/// splits a script line; `None` after an error.
pub(crate) fn script_line(rep: &mut Reporter, key: &Token) -> Option<Vec<Word>> {
    let pos = |column| Pos { column, ..key.pos };
    let chars = match line_from(rep, key) {
        Ok(chars) => chars,
        Err(column) => {
            rep.error(
                pos(column),
                "a `\\` ending the line continues it onto the next one in keepalived; vrrpd does not support continued script lines: write the command on one line",
            );
            return None;
        }
    };
    match split_words(&chars) {
        Ok(words) => Some(words),
        Err(e) => {
            report_split(rep, key.pos, e, "line");
            None
        }
    }
}

fn report_split(rep: &mut Reporter, at: Pos, e: SplitError, what: &str) {
    let column = match e {
        SplitError::UnterminatedQuote(_, c) | SplitError::TrailingBackslash(c) => c,
    };
    // The lexer already reported an unterminated `"` there: once is enough.
    let location = rep.loc(Pos { column, ..at });
    if rep.errors.iter().chain(&rep.warnings).any(|d| d.location == location) {
        return;
    }
    // lib/parser.c 1048 `alloc_strvec_quoted_escaped`: "missing terminating %c" is a
    // configuration error (CONFIG_UNMATCHED_QUOTE); 1068 "Missing escape char at end" is
    // only logged. Either way keepalived drops the script and runs without it.
    match e {
        SplitError::UnterminatedQuote(q, column) => rep.recovered(
            Pos { column, ..at },
            format!("unterminated `{q}` in the script {what}: keepalived drops this script, and so does vrrpd; expected a closing `{q}`"),
        ),
        SplitError::TrailingBackslash(column) => rep.warn(
            Pos { column, ..at },
            format!("`\\` at the end of the script {what} escapes nothing: keepalived drops this script, and so does vrrpd"),
        ),
    }
}

/// The command of a script line whose script is `words[1]` (`words[0]` is the keyword).
/// `user` is who it runs as when the line says. `None` after an error.
pub(crate) fn command(rep: &mut Reporter, key: &Token, words: &[Word], user: Option<RunAs>) -> Option<ScriptCmd> {
    let keyword = key.word().unwrap_or_default();
    let Some(script) = words.get(1) else {
        rep.error(key.pos, format!("missing value: expected `{keyword} <command>`"));
        return None;
    };
    let at = Pos { column: script.column, ..key.pos };
    // The script word's characters, each at the column of the word (the text has lost
    // its quotes, so finer columns would be guesses).
    let chars: Vec<(char, u32)> = script.text.chars().map(|c| (c, script.column)).collect();
    let argv: Vec<String> = match split_words(&chars) {
        Ok(words) => words.into_iter().map(|w| w.text).collect(),
        Err(e) => {
            report_split(rep, at, e, "command");
            return None;
        }
    };
    if argv.is_empty() {
        rep.error(at, format!("empty `{keyword}` command: expected a program to run"));
        return None;
    }
    Some(ScriptCmd { shell: needs_shell(&script.text), text: script.text.clone(), argv, user, location: rep.loc(at) })
}

/// `username [groupname]` from `words[from..]`, warning about words after them.
pub(crate) fn run_as(rep: &mut Reporter, key: &Token, words: &[Word], from: usize) -> Option<RunAs> {
    let user = words.get(from)?;
    if let Some(extra) = words.get(from + 2) {
        rep.warn(
            Pos { column: extra.column, ..key.pos },
            format!("extra argument after `{}` ignored (expected `<user> [<group>]`)", key.word().unwrap_or_default()),
        );
    }
    Some(RunAs {
        user: user.text.clone(),
        group: words.get(from + 1).map(|g| g.text.clone()),
        location: rep.loc(Pos { column: user.column, ..key.pos }),
    })
}

/// Reads `KEYWORD SCRIPT [username [groupname]]` (a notify script).
pub(crate) fn notify_command(rep: &mut Reporter, key: &Token) -> Option<ScriptCmd> {
    let words = script_line(rep, key)?;
    let user = run_as(rep, key, &words, 2);
    command(rep, key, &words, user)
}

/// Whether `text` needs `/bin/sh -c` to mean what it says ([`ScriptCmd::shell`]).
///
/// The rule, scanning `text` with POSIX sh's quoting (`'…'` quotes everything, `"…"` quotes
/// all but `$` and `` ` ``, a backslash escapes the next character):
/// - `$` or `` ` `` outside single quotes (parameter expansion, command substitution);
/// - outside any quotes: `|`, `&`, `;`, `<`, `>`, `(`, `)` (pipes, lists, redirections,
///   subshells), `*`, `?`, `[` (globs), a newline, or `~` starting a word (home directory);
/// - the first word is an assignment (`NAME=value cmd`, NAME made of letters, digits and
///   `_`, not starting with a digit).
///
/// Nothing else does: `killall -0 haproxy` or `/usr/bin/check "a b"` run directly, with
/// keepalived's word splitting. A `#` is not a trigger: keepalived passes it as a plain
/// character, which a shell would instead read as a comment.
pub fn needs_shell(text: &str) -> bool {
    #[derive(PartialEq)]
    enum Q {
        None,
        Single,
        Double,
    }
    let mut q = Q::None;
    let mut chars = text.chars().peekable();
    let mut word_start = true;
    let mut first_word = true;
    let mut first_word_plain = true;
    let mut first_word_text = String::new();
    while let Some(c) = chars.next() {
        let at_word_start = word_start;
        word_start = false;
        match (&q, c) {
            (Q::Single, '\'') => q = Q::None,
            (Q::Single, _) => {}
            (_, '\\') => {
                chars.next();
                first_word_plain = false;
            }
            (_, '$' | '`') => return true,
            (Q::Double, '"') => q = Q::None,
            (Q::Double, _) => {}
            (Q::None, '\'') => {
                q = Q::Single;
                first_word_plain = false;
            }
            (Q::None, '"') => {
                q = Q::Double;
                first_word_plain = false;
            }
            (Q::None, '|' | '&' | ';' | '<' | '>' | '(' | ')' | '*' | '?' | '[' | '\n') => return true,
            (Q::None, '~') if at_word_start => return true,
            (Q::None, ' ' | '\t') => {
                word_start = true;
                if !first_word_text.is_empty() || !first_word_plain {
                    first_word = false;
                }
            }
            (Q::None, '=') if first_word && first_word_plain && is_name(&first_word_text) => return true,
            (Q::None, c) => {
                if first_word {
                    first_word_text.push(c);
                }
            }
        }
    }
    false
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Result<Vec<String>, SplitError> {
        let chars: Vec<(char, u32)> = s.chars().zip(1u32..).collect();
        split_words(&chars).map(|w| w.into_iter().map(|w| w.text).collect())
    }

    /// keepalived lib/parser.c `alloc_strvec_quoted_escaped`.
    #[test]
    fn keepalived_alloc_strvec_quoted_escaped_rules() {
        assert_eq!(split("a  b\tc").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("  /bin/x 'a b' \"c d\"").unwrap(), ["/bin/x", "a b", "c d"]);
        assert_eq!(split("a\"b c\"d").unwrap(), ["ab cd"]);
        assert_eq!(split("'it''s'").unwrap(), ["its"]);
        assert_eq!(split("\"a'b\" 'c\"d'").unwrap(), ["a'b", "c\"d"]);
        assert_eq!(split(r"a\ b").unwrap(), ["a b"]);
        assert_eq!(split(r#"\"x\" \\ \'"#).unwrap(), ["\"x\"", "\\", "'"]);
        assert_eq!(split(r"\n\t\a\b\f\r\v\E").unwrap(), ["\n\t\u{7}\u{8}\u{c}\r\u{b}\u{1b}"]);
        assert_eq!(split(r"\x41\x7e\x4142").unwrap(), ["A~B"], "only the last two hex digits count");
        assert_eq!(split(r"\101\0\7x").unwrap(), ["A\0\u{7}x"]);
        assert_eq!(split(r"\cA\cz").unwrap(), ["\u{1}\u{1a}"]);
        assert_eq!(split(r"'a\'b'").unwrap(), ["a'b"], "a backslash escapes inside single quotes too");
        assert_eq!(split(r"\q\xg").unwrap(), ["qxg"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("\"\"").unwrap(), [""]);
        assert_eq!(split("a 'b").unwrap_err(), SplitError::UnterminatedQuote('\'', 3));
        assert_eq!(split("\"b").unwrap_err(), SplitError::UnterminatedQuote('"', 1));
        assert_eq!(split(r"ab\").unwrap_err(), SplitError::TrailingBackslash(3));
    }

    #[test]
    fn word_columns() {
        let chars: Vec<(char, u32)> = "x  'y z' w".chars().zip(1u32..).collect();
        let cols: Vec<u32> = split_words(&chars).unwrap().iter().map(|w| w.column).collect();
        assert_eq!(cols, [1, 4, 10]);
    }

    #[test]
    fn shell_rule_triggers() {
        for text in [
            "pidof haproxy || exit 1",
            "a && b",
            "a; b",
            "a | b",
            "a > /tmp/x",
            "a < /tmp/x",
            "a 2>&1",
            "a &",
            "echo $HOME",
            "echo \"$HOME\"",
            "echo `date`",
            "echo $(date)",
            "(a)",
            "ls /tmp/*.pid",
            "ls /tmp/?",
            "ls /tmp/[ab]",
            "cat ~/x",
            "ls ~",
            "/bin/x ~user/y",
            "FOO=1 /bin/x",
            "_X1=a b",
            "a\nb",
        ] {
            assert!(needs_shell(text), "{text:?} needs a shell");
        }
    }

    #[test]
    fn shell_rule_plain_commands_run_directly() {
        for text in [
            "killall -0 haproxy",
            "/usr/local/bin/check_haproxy.sh",
            "/bin/x 'a | b' \"c && d\"",
            "/bin/x 'a $b'",
            "/bin/x a\\|b \\$c",
            "/bin/x #notacomment",
            "/bin/x a=b",
            "/bin/x a~",
            "1A=x y",
            "'FOO'=1 x",
            "curl -fs http://127.0.0.1:8080/health",
        ] {
            assert!(!needs_shell(text), "{text:?} runs without a shell");
        }
    }
}
