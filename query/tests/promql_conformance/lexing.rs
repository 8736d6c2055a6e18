//! Lexical pieces the script language shares with PromQL: a character cursor, Prometheus
//! durations, Go's number syntax and PromQL's quoted strings.
//!
//! The rules follow the upstream runner at the commit the scripts were taken from (see the
//! NOTICE next to them): durations are `model.ParseDuration`, numbers are `strconv.ParseInt`
//! with base 0 falling back to `strconv.ParseFloat`, strings are `strutil.Unquote`.

use std::fmt;

/// Why a piece of script text could not be read. The script parser adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotationError(pub String);

impl NotationError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        NotationError(message.into())
    }
}

impl fmt::Display for NotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotationError {}

/// Result of the notation readers.
pub type NotationResult<T> = Result<T, NotationError>;

/// A position in a text, advanced one character at a time.
///
/// Invariant: `pos` is always on a character boundary of `text`.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    /// The character under the cursor.
    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character after the one under the cursor.
    pub fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    /// Moves past the character under the cursor and returns it.
    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// The text not read yet.
    pub fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Byte offset of the cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The text between byte offset `start` and the cursor.
    pub fn since(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// True when everything was read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// Consumes `prefix` when the rest starts with it.
    pub fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    /// Consumes characters while `pred` holds and returns them.
    pub fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.bump();
        }
        self.since(start)
    }

    /// Skips whitespace.
    pub fn skip_ws(&mut self) {
        self.take_while(char::is_whitespace);
    }
}

/// True for characters that may start a PromQL label name.
pub fn is_label_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// True for characters inside a PromQL label name.
pub fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True for characters that may start a metric name (labels plus `:`).
pub fn is_metric_start(c: char) -> bool {
    is_label_start(c) || c == ':'
}

/// True for characters inside a metric name.
pub fn is_metric_char(c: char) -> bool {
    is_label_char(c) || c == ':'
}

/// Milliseconds per duration unit, largest first (the order units must appear in).
const DURATION_UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Longest duration Prometheus accepts: what fits an `i64` of nanoseconds.
const MAX_DURATION_MS: i64 = i64::MAX / 1_000_000;

/// Parses a Prometheus duration (`0`, `90s`, `1h30m`, `10s53ms`) into milliseconds. Units go from
/// largest to smallest, each at most once; there is no sign and no fraction.
pub fn parse_duration(text: &str) -> NotationResult<i64> {
    let bad = || NotationError::new(format!("not a valid duration: {text:?}"));
    if text == "0" {
        return Ok(0);
    }
    if text.is_empty() {
        return Err(NotationError::new("empty duration"));
    }
    let mut cur = Cursor::new(text);
    let mut total: i64 = 0;
    let mut last_unit: Option<usize> = None;
    while !cur.at_end() {
        let digits = cur.take_while(|c| c.is_ascii_digit());
        let unit = cur.take_while(|c| !c.is_ascii_digit());
        let count: i64 = digits.parse().map_err(|_| bad())?;
        let index = DURATION_UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(|| NotationError::new(format!("unknown unit {unit:?} in {text:?}")))?;
        if last_unit.is_some_and(|last| index <= last) {
            return Err(bad());
        }
        last_unit = Some(index);
        let scale = DURATION_UNITS.get(index).map_or(1, |(_, ms)| *ms);
        total = count
            .checked_mul(scale)
            .and_then(|ms| total.checked_add(ms))
            .filter(|ms| *ms <= MAX_DURATION_MS)
            .ok_or_else(|| NotationError::new(format!("duration {text:?} is too long")))?;
    }
    Ok(total)
}

/// Parses a number as Prometheus's test runner and series parser do: first as a Go integer
/// literal with base prefix (`0x1F`, `0o17`, `017`, `0b11`, `1_000`), then as a Go float
/// (`1e3`, `.5`, `Inf`, `-inf`, `NaN`).
pub fn parse_go_number(text: &str) -> Option<f64> {
    parse_go_int(text)
        .map(|i| i as f64)
        .or_else(|| parse_go_float(text))
}

/// Go's `strconv.ParseInt(text, 0, 64)`.
fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.get(1..)?)
    } else {
        (10, lower.as_str())
    };
    // Underscores separate digits (a base prefix counts as one); they may not lead, trail or
    // double up.
    let digits = match digits.strip_prefix('_') {
        Some(rest) if radix != 10 => rest,
        _ => digits,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(text, 64)` for decimal syntax and the special values (hex floats,
/// which the scripts do not use, are refused).
pub fn parse_go_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    // Go takes a sign before `Inf` but not before `NaN`.
    if unsigned.eq_ignore_ascii_case("nan") && unsigned.len() != text.len() {
        return None;
    }
    let plain = unsigned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    let special = ["inf", "infinity", "nan"]
        .iter()
        .any(|s| unsigned.eq_ignore_ascii_case(s));
    if !(plain || special) {
        return None;
    }
    text.parse().ok()
}

/// Reads a quoted string at the cursor (`"..."`, `'...'` or `` `...` ``) and returns its value,
/// with escapes resolved as PromQL resolves them.
pub fn scan_quoted(cur: &mut Cursor<'_>) -> NotationResult<String> {
    let start = cur.pos();
    let quote = cur
        .bump()
        .filter(|q| matches!(q, '"' | '\'' | '`'))
        .ok_or_else(|| NotationError::new("expected a quoted string"))?;
    loop {
        match cur.bump() {
            None => {
                return Err(NotationError::new(format!(
                    "unterminated string {}",
                    cur.since(start)
                )));
            }
            Some('\\') if quote != '`' => {
                cur.bump();
            }
            Some(c) if c == quote => break,
            Some(_) => {}
        }
    }
    unquote(cur.since(start))
}

/// Resolves a quoted PromQL string literal, quotes included (`strutil.Unquote`): double- and
/// single-quoted strings take Go's escapes (`\n`, `\x41`, `\101`, `\u00e9`, the string's own
/// quote), backquoted strings are raw.
pub fn unquote(literal: &str) -> NotationResult<String> {
    let mut chars = literal.chars();
    let quote = chars.next();
    let body = chars.as_str().strip_suffix(|c| Some(c) == quote);
    let (Some(quote), Some(body)) = (quote, body) else {
        return Err(NotationError::new(format!("bad string literal {literal}")));
    };
    match quote {
        '`' if !body.contains('`') => Ok(body.replace('\r', "")),
        '"' | '\'' => unescape(body, quote)
            .map_err(|why| NotationError::new(format!("bad string literal {literal}: {why}"))),
        _ => Err(NotationError::new(format!("bad string literal {literal}"))),
    }
}

/// Resolves the escapes of a string body quoted by `quote`. `\x` and octal escapes give raw
/// bytes, so the result is checked to be UTF-8 at the end.
fn unescape(body: &str, quote: char) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(body.len());
    let mut cur = Cursor::new(body);
    while let Some(c) = cur.bump() {
        if c == quote || c == '\n' {
            return Err(format!("unescaped {c:?} inside the string"));
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let escaped = cur.bump().ok_or("string ends in a backslash")?;
        let simple = match escaped {
            'a' => Some(0x07u8),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            q if q == quote => Some(q as u8),
            _ => None,
        };
        if let Some(b) = simple {
            bytes.push(b);
            continue;
        }
        unescape_numeric(escaped, &mut cur, &mut bytes)?;
    }
    String::from_utf8(bytes).map_err(|_| "the string is not valid UTF-8".to_owned())
}

/// Resolves `\xHH`, `\OOO`, `\uHHHH` and `\UHHHHHHHH` (the escape letter already read).
fn unescape_numeric(escaped: char, cur: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let mut take_digits = |count: usize, radix: u32| -> Result<u32, String> {
        let start = cur.pos();
        for _ in 0..count {
            cur.bump()
                .filter(|c| c.is_digit(radix))
                .ok_or_else(|| format!("escape \\{escaped} needs {count} base-{radix} digits"))?;
        }
        u32::from_str_radix(cur.since(start), radix).map_err(|e| e.to_string())
    };
    match escaped {
        'x' => out.push(u8::try_from(take_digits(2, 16)?).map_err(|e| e.to_string())?),
        '0'..='7' => {
            let rest = take_digits(2, 8)?;
            let value = escaped.to_digit(8).unwrap_or(0) * 64 + rest;
            out.push(u8::try_from(value).map_err(|_| "octal escape above \\377".to_owned())?);
        }
        'u' | 'U' => {
            let code = take_digits(if escaped == 'u' { 4 } else { 8 }, 16)?;
            let c = char::from_u32(code)
                .ok_or_else(|| format!("escape names no character: {code:#x}"))?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        other => return Err(format!("unknown escape sequence \\{other}")),
    }
    Ok(())
}

#[cfg(test)]
#[path = "lexing_tests.rs"]
mod tests;
