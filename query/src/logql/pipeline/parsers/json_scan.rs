//! A JSON scanner over bytes with the semantics (and the error texts) of the scanner Loki's
//! `json` and `unpack` parsers use, `github.com/grafana/jsonparser` (a fork of
//! `buger/jsonparser`): values are located without building a tree, a string ends at the
//! first quote not escaped by an odd run of backslashes, an object or array value ends at
//! its matching bracket (counting only that bracket kind, skipping strings), and a scalar
//! ends at white space, `,`, `}` or `]`. Scalars are classified by their first byte and not
//! otherwise validated (`-x` is a number), as in jsonparser.
//!
//! Offsets are absolute positions in the line; every function bounds its work to the
//! `end` it is given, so nested values are read inside their parent's extent.
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::fmt;

/// Why a JSON value could not be read; the texts are jsonparser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonError {
    /// A scalar that is not a number, `true`, `false` or `null`.
    UnknownValueType,
    /// Missing colon, key string or value.
    MalformedJson,
    /// A string value without its closing quote.
    MalformedString,
    /// An array without its closing bracket, or nothing after a value (jsonparser's text).
    MalformedArray,
    /// Not an object, or an object without its closing brace.
    MalformedObject,
    /// A key with an invalid escape sequence.
    MalformedStringEscape,
    /// Objects nested deeper than [`MAX_NESTING`] (our limit; Loki has none).
    TooDeep,
}

/// How many objects deep the `json` parser descends before giving up with
/// [`JsonError::TooDeep`]: each level rescans its object's extent, so this bounds the work
/// on a hostile line to `MAX_NESTING` passes over it.
pub(super) const MAX_NESTING: usize = 128;

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            JsonError::UnknownValueType => "Unknown value type",
            JsonError::MalformedJson => "Malformed JSON error",
            JsonError::MalformedString => "Value is string, but can't find closing '\"' symbol",
            JsonError::MalformedArray => "Value is array, but can't find closing ']' symbol",
            JsonError::MalformedObject => {
                "Value looks like object, but can't find closing '}' symbol"
            }
            JsonError::MalformedStringEscape => {
                "Encountered an invalid escape sequence in a string"
            }
            JsonError::TooDeep => {
                return write!(f, "JSON objects nested more than {MAX_NESTING} levels deep");
            }
        };
        f.write_str(text)
    }
}

/// The kind of a located value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `"..."`
    String,
    /// A scalar starting with a digit or `-`.
    Number,
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `true` or `false`
    Boolean,
    /// `null`
    Null,
}

/// A located value: `start..end` is its text (a string's without the quotes), `next` the
/// offset just after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Value {
    /// What it is.
    pub(super) kind: Kind,
    /// Where its text starts.
    pub(super) start: usize,
    /// Where its text ends (exclusive).
    pub(super) end: usize,
    /// The offset after the value (after a string's closing quote).
    pub(super) next: usize,
}

impl Value {
    /// The value's text.
    pub(super) fn text<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        line.get(self.start..self.end).unwrap_or_default()
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn slice(line: &[u8], from: usize, to: usize) -> &[u8] {
    line.get(from..to).unwrap_or_default()
}

fn byte_at(line: &[u8], at: usize) -> u8 {
    line.get(at).copied().unwrap_or(0)
}

/// The first offset in `from..end` that is not JSON white space.
pub(super) fn skip_space(line: &[u8], from: usize, end: usize) -> Option<usize> {
    slice(line, from, end)
        .iter()
        .position(|&b| !is_space(b))
        .map(|p| from + p)
}

/// jsonparser's `stringEnd` on the bytes after an opening quote at `from - 1`: the offset
/// just after the closing quote, and whether the string has a backslash before it.
pub(super) fn string_end(line: &[u8], from: usize, end: usize) -> Option<(usize, bool)> {
    let data = slice(line, from, end);
    let mut escaped = false;
    let mut i = 0;
    while let Some(p) = data
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"' || b == b'\\'))
    {
        let at = i + p;
        if byte_at(data, at) == b'\\' {
            escaped = true;
            i = at + 1;
            continue;
        }
        let backslashes = data
            .get(..at)
            .unwrap_or_default()
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some((from + at + 1, escaped));
        }
        i = at + 1;
    }
    None
}

/// jsonparser's `blockEnd` for the bracket `open` at `from`: the offset just after its
/// matching `close`, counting only `open`/`close` and skipping strings.
pub(super) fn block_end(
    line: &[u8],
    from: usize,
    end: usize,
    open: u8,
    close: u8,
) -> Option<usize> {
    let mut level = 0usize;
    let mut i = from;
    while i < end {
        let b = byte_at(line, i);
        if b == b'"' {
            let (after, _) = string_end(line, i + 1, end)?;
            i = after;
            continue;
        }
        if b == open {
            level += 1;
        } else if b == close {
            level = level.saturating_sub(1);
            if level == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// jsonparser's `tokenEnd`: where the scalar starting at `from` ends.
fn token_end(line: &[u8], from: usize, end: usize) -> usize {
    slice(line, from, end)
        .iter()
        .position(|&b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']'))
        .map_or(end, |p| from + p)
}

/// jsonparser's `Get` without a path: the value after white space at `from`.
pub(super) fn value_at(line: &[u8], from: usize, end: usize) -> Result<Value, JsonError> {
    let start = skip_space(line, from, end).ok_or(JsonError::MalformedJson)?;
    let located = |kind, text_end| Value {
        kind,
        start,
        end: text_end,
        next: text_end,
    };
    match byte_at(line, start) {
        b'"' => {
            let (next, _) = string_end(line, start + 1, end).ok_or(JsonError::MalformedString)?;
            Ok(Value {
                kind: Kind::String,
                start: start + 1,
                end: next - 1,
                next,
            })
        }
        b'[' => block_end(line, start, end, b'[', b']')
            .map(|e| located(Kind::Array, e))
            .ok_or(JsonError::MalformedArray),
        b'{' => block_end(line, start, end, b'{', b'}')
            .map(|e| located(Kind::Object, e))
            .ok_or(JsonError::MalformedObject),
        first => {
            let text_end = token_end(line, start, end);
            let token = slice(line, start, text_end);
            let kind = match first {
                b't' | b'f' if token == b"true" || token == b"false" => Kind::Boolean,
                b'u' | b'n' if token == b"null" => Kind::Null,
                b'0'..=b'9' | b'-' => Kind::Number,
                _ => return Err(JsonError::UnknownValueType),
            };
            Ok(located(kind, text_end))
        }
    }
}

/// One `"key": value` member of an object; the key is unescaped.
#[derive(Debug)]
pub(super) struct Member<'a> {
    /// The key, unescaped.
    pub(super) key: Cow<'a, [u8]>,
    /// The value.
    pub(super) value: Value,
}

/// jsonparser's `ObjectEach` as an iterator over one object's members, in order. After the
/// last member (or an error) it yields nothing more.
#[derive(Debug, Clone)]
pub(super) struct Members {
    /// The next offset to read.
    pos: usize,
    /// The end of the object's extent.
    end: usize,
    /// The last comma seen, shifted as jsonparser shifts it (so that a comma followed by
    /// white space and `}` passes and `,}` does not).
    last_comma: Option<usize>,
    /// No member read yet (the next read does not expect a separator first).
    first: bool,
    done: bool,
}

impl Members {
    /// Starts reading the object at (white space then) `from`, inside `..end`.
    pub(super) fn open(line: &[u8], from: usize, end: usize) -> Result<Self, JsonError> {
        let brace = skip_space(line, from, end).ok_or(JsonError::MalformedObject)?;
        if byte_at(line, brace) != b'{' {
            return Err(JsonError::MalformedObject);
        }
        let pos = skip_space(line, brace + 1, end).ok_or(JsonError::MalformedJson)?;
        Ok(Self {
            pos,
            end,
            last_comma: None,
            first: true,
            done: byte_at(line, pos) == b'}',
        })
    }

    /// The next member; `None` after the closing brace.
    pub(super) fn next<'a>(&mut self, line: &'a [u8]) -> Result<Option<Member<'a>>, JsonError> {
        let Some(key) = self.next_key(line)? else {
            return Ok(None);
        };
        let value = self.next_value(line)?;
        Ok(Some(Member { key, value }))
    }

    /// The next member's key (unescaped), reading up to its colon; `None` after the closing
    /// brace. [`Members::next_value`] must follow before the next key.
    pub(super) fn next_key<'a>(
        &mut self,
        line: &'a [u8],
    ) -> Result<Option<Cow<'a, [u8]>>, JsonError> {
        if self.done {
            return Ok(None);
        }
        let read = self.read_key(line);
        if !matches!(read, Ok(Some(_))) {
            self.done = true;
        }
        read
    }

    /// The value of the member whose key [`Members::next_key`] just read.
    pub(super) fn next_value(&mut self, line: &[u8]) -> Result<Value, JsonError> {
        let value = value_at(line, self.pos, self.end);
        match &value {
            Ok(v) => self.pos = v.next,
            Err(_) => self.done = true,
        }
        value
    }

    fn read_key<'a>(&mut self, line: &'a [u8]) -> Result<Option<Cow<'a, [u8]>>, JsonError> {
        if !self.first && !self.skip_separator(line)? {
            return Ok(None);
        }
        self.first = false;
        match byte_at(line, self.pos) {
            b'"' => self.pos += 1,
            b'}' if self.last_comma.map(|c| c + 1) == Some(self.pos) => {
                return Err(JsonError::MalformedObject);
            }
            b'}' => return Ok(None),
            _ => return Err(JsonError::MalformedObject),
        }
        let (after_key, escaped) =
            string_end(line, self.pos, self.end).ok_or(JsonError::MalformedJson)?;
        let raw_key = slice(line, self.pos, after_key - 1);
        let key = if escaped {
            let mut out = Vec::with_capacity(raw_key.len());
            unescape_into(raw_key, &mut out).map_err(|()| JsonError::MalformedStringEscape)?;
            Cow::Owned(out)
        } else {
            Cow::Borrowed(raw_key)
        };
        let colon = skip_space(line, after_key, self.end).ok_or(JsonError::MalformedJson)?;
        if byte_at(line, colon) != b':' {
            return Err(JsonError::MalformedJson);
        }
        self.pos = colon + 1;
        Ok(Some(key))
    }

    /// After a value: `}` ends the object (false), `,` moves to the next member (true).
    fn skip_separator(&mut self, line: &[u8]) -> Result<bool, JsonError> {
        let at = skip_space(line, self.pos, self.end).ok_or(JsonError::MalformedArray)?;
        match byte_at(line, at) {
            b'}' => return Ok(false),
            b',' => self.last_comma = Some(at),
            _ => return Err(JsonError::MalformedObject),
        }
        let next = skip_space(line, at + 1, self.end).ok_or(JsonError::MalformedArray)?;
        let gap = next - (at + 1);
        if gap > 0 {
            self.last_comma = self.last_comma.map(|c| c + gap - 1);
        }
        self.pos = next;
        Ok(true)
    }
}

/// jsonparser's `ArrayEach`: the `index`-th element of the array at (white space then)
/// `from`, inside `..end`; `None` when there is no such element or the array is malformed
/// before it.
pub(super) fn array_element(line: &[u8], from: usize, end: usize, index: usize) -> Option<Value> {
    let bracket = skip_space(line, from, end)?;
    let mut pos = skip_space(line, bracket + 1, end)?;
    if byte_at(line, pos) == b']' {
        return None;
    }
    for current in 0.. {
        let value = value_at(line, pos, end).ok()?;
        if current == index {
            return Some(value);
        }
        let after = skip_space(line, value.next, end)?;
        if byte_at(line, after) != b',' {
            return None;
        }
        pos = after + 1;
    }
    None
}

/// jsonparser's `Unescape`: decodes the escapes of a string's text into `out` (appending).
/// `\uXXXX` escapes of UTF-16 surrogates combine with the six bytes that follow as
/// jsonparser combines them; a result that is no valid character becomes U+FFFD.
pub(super) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
    let mut rest = raw;
    while let Some(p) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(rest.get(..p).unwrap_or_default());
        let escape = rest.get(p..).unwrap_or_default();
        let consumed = match escape.get(1) {
            Some(b'"') => push_byte(out, b'"'),
            Some(b'\\') => push_byte(out, b'\\'),
            Some(b'/') => push_byte(out, b'/'),
            Some(b'b') => push_byte(out, 0x08),
            Some(b'f') => push_byte(out, 0x0c),
            Some(b'n') => push_byte(out, b'\n'),
            Some(b'r') => push_byte(out, b'\r'),
            Some(b't') => push_byte(out, b'\t'),
            Some(b'u') => {
                let (c, consumed) = decode_unicode_escape(escape).ok_or(())?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                consumed
            }
            _ => return Err(()),
        };
        rest = escape.get(consumed..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    Ok(())
}

fn push_byte(out: &mut Vec<u8>, b: u8) -> usize {
    out.push(b);
    2
}

/// The four hex digits at `at..at + 4` as a code unit.
fn hex4(escape: &[u8], at: usize) -> Option<u32> {
    let digits = escape.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(acc * 16 + v)
    })
}

/// `\uXXXX` at the start of `escape`: the character and the bytes consumed.
fn decode_unicode_escape(escape: &[u8]) -> Option<(char, usize)> {
    let unit = hex4(escape, 2)?;
    if !(0xD800..=0xDFFF).contains(&unit) {
        return Some((char::from_u32(unit)?, 6));
    }
    // jsonparser reads the next six bytes as the low half without checking their `\u`.
    let low = hex4(escape, 8)?;
    if low < 0xDC00 {
        return None;
    }
    let combined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    Some((char::from_u32(combined).unwrap_or('\u{FFFD}'), 12))
}

/// A string value's text unescaped, borrowed when it has no escape.
pub(super) fn unescape<'a>(raw: &'a [u8], buf: &'a mut Vec<u8>) -> Result<&'a [u8], ()> {
    if !raw.contains(&b'\\') {
        return Ok(raw);
    }
    buf.clear();
    unescape_into(raw, buf)?;
    Ok(buf.as_slice())
}

#[cfg(test)]
#[path = "json_scan_tests.rs"]
mod tests;
