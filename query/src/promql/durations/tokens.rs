//! The tokenizer of the duration pass: just enough of PromQL's lexer to find brackets,
//! `offset`, strings, comments and label matchers, and to read duration expressions.
#![deny(clippy::indexing_slicing)]

/// A half-open byte range of the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    /// First byte.
    pub(super) start: usize,
    /// One past the last byte.
    pub(super) end: usize,
}

impl Span {
    /// From the start of `self` to the end of `other`.
    pub(super) fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

/// What a token is; only the kinds duration expressions and their surroundings need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A number: decimal, float, hex or octal; it may still be malformed (`5x`).
    Number,
    /// A number followed by units (`5m`, `1h30m`); it may still be malformed (`5mm`).
    Duration,
    /// A name; outside brackets it may contain `:` (recording-rule names).
    Ident,
    /// A quoted string, its quotes included.
    Str,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    /// `:` inside brackets: the subquery's step separator.
    Colon,
    /// Anything else: comparison and matcher operators, `@`, stray characters.
    Other,
}

/// One token and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) span: Span,
}

/// Splits `query` into tokens, dropping whitespace and `#` comments. Inside `[...]` a `:` is a
/// token of its own; elsewhere it belongs to identifiers. Never fails: what it cannot make sense
/// of becomes [`TokenKind::Other`] and is left for the parser to reject.
pub(super) fn tokenize(query: &str) -> Vec<Token> {
    let bytes = query.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    let mut in_brackets = false;
    while let Some(&byte) = bytes.get(at) {
        let start = at;
        let kind = match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                at += 1;
                continue;
            }
            b'#' => {
                at = line_end(bytes, at);
                continue;
            }
            b'"' | b'\'' | b'`' => {
                at = string_end(bytes, at);
                TokenKind::Str
            }
            b'0'..=b'9' => scan_number(query, &mut at),
            b'.' if bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                scan_number(query, &mut at)
            }
            b':' if in_brackets => {
                at += 1;
                TokenKind::Colon
            }
            b'_' | b':' | b'a'..=b'z' | b'A'..=b'Z' => {
                at = ident_end(bytes, at, in_brackets);
                TokenKind::Ident
            }
            _ => {
                at = next_char_boundary(query, at);
                let kind = punctuation(byte);
                match kind {
                    TokenKind::LeftBracket => in_brackets = true,
                    TokenKind::RightBracket => in_brackets = false,
                    _ => {}
                }
                kind
            }
        };
        tokens.push(Token {
            kind,
            span: Span { start, end: at },
        });
    }
    tokens
}

fn punctuation(byte: u8) -> TokenKind {
    match byte {
        b'+' => TokenKind::Add,
        b'-' => TokenKind::Sub,
        b'*' => TokenKind::Mul,
        b'/' => TokenKind::Div,
        b'%' => TokenKind::Mod,
        b'^' => TokenKind::Pow,
        b'(' => TokenKind::LeftParen,
        b')' => TokenKind::RightParen,
        b'{' => TokenKind::LeftBrace,
        b'}' => TokenKind::RightBrace,
        b'[' => TokenKind::LeftBracket,
        b']' => TokenKind::RightBracket,
        b',' => TokenKind::Comma,
        _ => TokenKind::Other,
    }
}

/// The byte after the line that starts a comment at `at`.
fn line_end(bytes: &[u8], at: usize) -> usize {
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(rest.len())
}

/// The byte after the string whose opening quote is at `open`; the end of the text when the
/// string is not closed. Backslash escapes apply except in raw (backtick) strings. Skipping one
/// byte after a backslash is enough: no byte of a multi-byte character is a quote or backslash.
fn string_end(bytes: &[u8], open: usize) -> usize {
    let Some(&quote) = bytes.get(open) else {
        return bytes.len();
    };
    let mut at = open + 1;
    while let Some(&byte) = bytes.get(at) {
        at += 1;
        if byte == quote {
            return at;
        }
        if byte == b'\\' && quote != b'`' {
            at += 1;
        }
    }
    bytes.len()
}

fn ident_end(bytes: &[u8], start: usize, in_brackets: bool) -> usize {
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        if byte.is_ascii_alphanumeric() || byte == b'_' || (byte == b':' && !in_brackets) {
            at += 1;
        } else {
            break;
        }
    }
    at
}

fn next_char_boundary(query: &str, at: usize) -> usize {
    let mut next = at + 1;
    while next < query.len() && !query.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// Scans a number or duration starting at `*at` (a digit, or `.` before a digit) and moves
/// `*at` past it. The run takes letters, digits, `_` and `.`, and a sign right after a decimal
/// exponent (`1e+3`); it is a duration when it ends in a unit letter. Whether it is well formed
/// is decided when it is parsed.
fn scan_number(query: &str, at: &mut usize) -> TokenKind {
    let bytes = query.as_bytes();
    let start = *at;
    let hex = bytes.get(start) == Some(&b'0') && matches!(bytes.get(start + 1), Some(b'x' | b'X'));
    while let Some(&byte) = bytes.get(*at) {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' {
            *at += 1;
            continue;
        }
        let after_exponent = !hex
            && matches!(
                at.checked_sub(1).and_then(|i| bytes.get(i)),
                Some(b'e' | b'E')
            );
        let signed_digit = bytes.get(*at + 1).is_some_and(u8::is_ascii_digit);
        if after_exponent && matches!(byte, b'+' | b'-') && signed_digit {
            *at += 1;
            continue;
        }
        break;
    }
    let last = at.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    if !hex && matches!(last, Some(b's' | b'm' | b'h' | b'd' | b'w' | b'y')) {
        TokenKind::Duration
    } else {
        TokenKind::Number
    }
}
