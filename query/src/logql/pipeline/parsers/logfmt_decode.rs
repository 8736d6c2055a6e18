//! The logfmt tokenizer of Loki's `logfmt` parser (`pkg/logql/log/logfmt/decode.go`, adapted
//! from go-logfmt): pairs are `key`, `key=`, `key=value` or `key="quoted value"`, separated by
//! bytes up to the space. A key runs to `=`, white space or the end and may not contain `"`
//! nor an invalid UTF-8 sequence; an unquoted value may not contain `=` or `"`; a quoted value
//! ends at the first unescaped `"` and is unquoted like a JSON string (with `\'` allowed and
//! invalid UTF-8 coerced to U+FFFD). After a malformed pair the tokenizer skips to the next
//! white space and records the error with its 1-based byte position, as Loki reports it.
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::fmt;

/// A malformed pair: `logfmt syntax error at pos 8 : unexpected '='`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    /// 1-based byte position.
    pos: usize,
    /// What is wrong.
    message: ErrorMessage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorMessage {
    Unexpected(u8),
    InvalidKey,
    InvalidQuotedValue,
    UnterminatedQuotedValue,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "logfmt syntax error at pos {} : ", self.pos)?;
        match self.message {
            // Go's `%q` of a byte: a quoted character literal
            ErrorMessage::Unexpected(b) => write!(f, "unexpected '{}'", char::from(b)),
            ErrorMessage::InvalidKey => f.write_str("invalid key"),
            ErrorMessage::InvalidQuotedValue => f.write_str("invalid quoted value"),
            ErrorMessage::UnterminatedQuotedValue => f.write_str("unterminated quoted value"),
        }
    }
}

/// One `key[=value]` pair; `value` is `None` for no or an empty value.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Pair<'a> {
    /// The key as written.
    pub(super) key: &'a [u8],
    /// The value, unquoted.
    pub(super) value: Option<Cow<'a, [u8]>>,
}

/// Reads the pairs of one line.
#[derive(Debug)]
pub(super) struct Decoder<'a> {
    line: &'a [u8],
    pos: usize,
    error: Option<SyntaxError>,
}

fn is_space_or_control(b: u8) -> bool {
    b <= b' '
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `line`.
    pub(super) fn new(line: &'a [u8]) -> Self {
        Self {
            line,
            pos: 0,
            error: None,
        }
    }

    /// True when the whole line has been read.
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The last error met, if any.
    pub(super) fn error(&self) -> Option<&SyntaxError> {
        self.error.as_ref()
    }

    fn rest(&self) -> &'a [u8] {
        self.line.get(self.pos..).unwrap_or_default()
    }

    /// The next pair; `None` when the line ended before one or the pair is malformed (then
    /// [`Decoder::error`] tells why). Every call moves forward.
    pub(super) fn next_pair(&mut self) -> Option<Pair<'a>> {
        match self.rest().iter().position(|&b| !is_space_or_control(b)) {
            Some(p) => self.pos += p,
            None => {
                self.pos = self.line.len();
                return None;
            }
        }
        self.read_key()
    }

    fn read_key(&mut self) -> Option<Pair<'a>> {
        let start = self.pos;
        let stop = self
            .rest()
            .iter()
            .position(|&b| b == b'=' || b == b'"' || is_space_or_control(b));
        self.pos = stop.map_or(self.line.len(), |p| start + p);
        let key = self.line.get(start..self.pos).unwrap_or_default();
        let invalid_key = super::go_text::has_rune_error(key);
        match self.line.get(self.pos).copied() {
            Some(b'=') if key.is_empty() => self.fail_and_skip(ErrorMessage::Unexpected(b'=')),
            Some(b'=') if invalid_key => self.fail_and_skip(ErrorMessage::InvalidKey),
            Some(b'=') => self.read_value(key),
            Some(b'"') => self.fail_and_skip(ErrorMessage::Unexpected(b'"')),
            _ if invalid_key => self.fail(ErrorMessage::InvalidKey),
            _ => Some(Pair { key, value: None }),
        }
    }

    /// After `key=`.
    fn read_value(&mut self, key: &'a [u8]) -> Option<Pair<'a>> {
        self.pos += 1;
        match self.line.get(self.pos).copied() {
            None => return Some(Pair { key, value: None }),
            Some(b) if is_space_or_control(b) => return Some(Pair { key, value: None }),
            Some(b'"') => return self.read_quoted(key),
            Some(_) => {}
        }
        let start = self.pos;
        let stop = self
            .rest()
            .iter()
            .position(|&b| b == b'=' || b == b'"' || is_space_or_control(b));
        self.pos = stop.map_or(self.line.len(), |p| start + p);
        match self.line.get(self.pos).copied() {
            Some(b @ (b'=' | b'"')) => self.fail_and_skip(ErrorMessage::Unexpected(b)),
            _ => {
                let value = self.line.get(start..self.pos).unwrap_or_default();
                Some(Pair {
                    key,
                    value: Some(Cow::Borrowed(value)),
                })
            }
        }
    }

    /// A quoted value starting at the quote at `self.pos`.
    fn read_quoted(&mut self, key: &'a [u8]) -> Option<Pair<'a>> {
        let open = self.pos;
        let body = self.line.get(open + 1..).unwrap_or_default();
        let (mut escaped, mut has_escape) = (false, false);
        let close = body.iter().position(|&b| {
            if escaped {
                escaped = false;
                return false;
            }
            if b == b'\\' {
                (escaped, has_escape) = (true, true);
                return false;
            }
            b == b'"'
        });
        let Some(close) = close else {
            self.pos = self.line.len();
            return self.fail(ErrorMessage::UnterminatedQuotedValue);
        };
        self.pos = open + 1 + close + 1;
        let inner = body.get(..close).unwrap_or_default();
        if !has_escape {
            let value = (!inner.is_empty()).then_some(Cow::Borrowed(inner));
            return Some(Pair { key, value });
        }
        match unquote(inner) {
            Some(value) => Some(Pair {
                key,
                value: Some(Cow::Owned(value)),
            }),
            None => self.fail(ErrorMessage::InvalidQuotedValue),
        }
    }

    fn fail(&mut self, message: ErrorMessage) -> Option<Pair<'a>> {
        self.error = Some(SyntaxError {
            pos: self.pos + 1,
            message,
        });
        None
    }

    /// Records the error at the current position and skips to the next white space.
    fn fail_and_skip(&mut self, message: ErrorMessage) -> Option<Pair<'a>> {
        self.fail(message);
        let rest = self.rest();
        self.pos += rest
            .iter()
            .position(|&b| is_space_or_control(b))
            .unwrap_or(rest.len());
        None
    }
}

/// go-logfmt's `unquoteBytes` on the text between the quotes: JSON escapes plus `\'`;
/// `\u` escapes of UTF-16 surrogate pairs combine, a lone surrogate becomes U+FFFD; an
/// unknown escape or a bare `"` fails.
fn unquote(inner: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(p) = rest.iter().position(|&b| b == b'\\' || b == b'"') {
        push_coerced(&mut out, rest.get(..p).unwrap_or_default());
        let escape = rest.get(p..).unwrap_or_default();
        let consumed = match escape {
            [b'\\', c @ (b'"' | b'\\' | b'/' | b'\''), ..] => {
                out.push(*c);
                2
            }
            [b'\\', c @ (b'b' | b'f' | b'n' | b'r' | b't'), ..] => {
                out.push(match c {
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    _ => b'\t',
                });
                2
            }
            [b'\\', b'u', ..] => {
                let (c, consumed) = decode_u_escape(escape)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                consumed
            }
            _ => return None,
        };
        rest = escape.get(consumed..).unwrap_or_default();
    }
    push_coerced(&mut out, rest);
    Some(out)
}

/// Appends `text` with each invalid UTF-8 sequence replaced by U+FFFD.
fn push_coerced(out: &mut Vec<u8>, text: &[u8]) {
    for chunk in text.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        for _ in chunk.invalid() {
            out.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
}

/// `\uXXXX` (`getu4`) at `at`.
fn u4(escape: &[u8], at: usize) -> Option<u32> {
    let digits = escape.get(at..at + 6)?;
    let (prefix, hex) = digits.split_at(2);
    if prefix != b"\\u" {
        return None;
    }
    hex.iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
}

fn decode_u_escape(escape: &[u8]) -> Option<(char, usize)> {
    let unit = u4(escape, 0)?;
    if !(0xD800..=0xDFFF).contains(&unit) {
        return Some((char::from_u32(unit)?, 6));
    }
    if (0xD800..0xDC00).contains(&unit)
        && let Some(low) = u4(escape, 6).filter(|low| (0xDC00..0xE000).contains(low))
    {
        let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
        return Some((c, 12));
    }
    Some(('\u{FFFD}', 6))
}

#[cfg(test)]
#[path = "logfmt_decode_tests.rs"]
mod tests;
