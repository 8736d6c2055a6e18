//! Literals of the template language: Go's `strconv.Unquote` for `"..."`, `` `...` `` and
//! `'c'`, number constants with Go's `NumberNode` typing rules, and the integer and float
//! syntaxes of `strconv.ParseInt(s, 0, 64)` / `strconv.ParseFloat(s, 64)` that sprig's
//! conversions (through `spf13/cast`) also rely on.

/// A number constant as Go's template parser types it: which Go types it can be passed as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number {
    /// Value when passed to an `int` parameter (`NumberNode.IsInt`).
    pub(crate) int: Option<i64>,
    /// Value when passed to a `float64` parameter (`NumberNode.IsFloat`).
    pub(crate) float: Option<f64>,
    /// Value when passed to an `interface{}` parameter or printed (Go's `idealConstant`).
    pub(crate) ideal: Ideal,
}

/// What an untyped number constant becomes where no type is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Ideal {
    /// An `int`.
    Int(i64),
    /// A `float64`.
    Float(f64),
    /// A positive integer beyond `int64`: an error when used (`%s overflows int`).
    Overflow,
}

/// Parses a number token (`Number` or `CharConstant`) the way Go's `newNumber` does.
pub(crate) fn parse_number(text: &str, is_char: bool) -> Result<Number, String> {
    if is_char {
        let value = unquote_char_constant(text)?;
        let v = i64::from(u32::from(value));
        return Ok(Number {
            int: Some(v),
            float: Some(v as f64),
            ideal: Ideal::Int(v),
        });
    }
    if text.ends_with('i') {
        return Err(format!(
            "complex number constants are not supported: {text:?}"
        ));
    }
    let int = parse_go_int(text);
    let uint = int.is_none().then(|| parse_go_uint(text)).flatten();
    let (int, float) = if let Some(i) = int {
        (Some(i), Some(i as f64))
    } else if let Some(u) = uint {
        (None, Some(u as f64))
    } else {
        let Some(f) = parse_go_float(text) else {
            return Err(format!("illegal number syntax: {text:?}"));
        };
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text:?}"));
        }
        (exact_int(f), Some(f))
    };
    let is_hex_int = text.len() > 2 && (text.starts_with("0x") || text.starts_with("0X"));
    let ideal = match (float, int) {
        (Some(f), _) if !is_hex_int && text.contains(['.', 'e', 'E', 'p', 'P']) => Ideal::Float(f),
        (_, Some(i)) => Ideal::Int(i),
        _ => Ideal::Overflow,
    };
    Ok(Number { int, float, ideal })
}

/// `f` as an `int64` when the conversion is exact.
fn exact_int(f: f64) -> Option<i64> {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f)).then_some(f as i64)
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if let [b'0', prefix, ..] = bytes
        && matches!(prefix | 0x20, b'b' | b'o' | b'x')
    {
        i = 2;
        saw = b'0';
        hex = prefix | 0x20 == b'x';
    }
    for &c in bytes.iter().skip(i) {
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Magnitude of an unsigned Go integer literal with base prefix rules of `ParseUint(s, 0, 64)`.
fn parse_magnitude(digits: &str) -> Option<u64> {
    let (radix, body) = match digits.as_bytes() {
        [b'0', p, _, ..] if matches!(p | 0x20, b'b' | b'o' | b'x') => {
            let radix = match p | 0x20 {
                b'b' => 2,
                b'o' => 8,
                _ => 16,
            };
            (radix, digits.get(2..)?)
        }
        [b'0', ..] => (8, digits.get(1..)?),
        [] => return None,
        _ => (10, digits),
    };
    let mut value: u64 = 0;
    let mut seen_underscore = false;
    for c in body.chars() {
        if c == '_' {
            seen_underscore = true;
            continue;
        }
        let d = c.to_digit(36)?;
        if d >= radix {
            return None;
        }
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
    }
    if seen_underscore && !underscores_ok(digits) {
        return None;
    }
    Some(value)
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_go_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    parse_magnitude(s)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0` bases,
/// underscores between digits.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let magnitude = parse_magnitude(digits)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal syntax, `inf`/`infinity`/`nan` and
/// underscores; `None` for syntax errors and overflow (where Go reports `ErrRange`).
/// Hexadecimal floats (`0x1p-2`) are not accepted.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return (s.len() == 3).then_some(f64::NAN);
    }
    if !is_decimal_float_syntax(body) || (body.contains('_') && !underscores_ok(body)) {
        return None;
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    let value: f64 = cleaned.parse().ok()?;
    if value.is_infinite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// `digits [. digits] [(e|E) [sign] digits]` with at least one mantissa digit.
fn is_decimal_float_syntax(body: &str) -> bool {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    let mut seen_dot = false;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'0'..=b'9' => mantissa_digits += 1,
            b'_' => {}
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        i += 1;
    }
    if mantissa_digits == 0 {
        return false;
    }
    if bytes.get(i).is_some_and(|c| *c == b'e' || *c == b'E') {
        i += 1;
        if bytes.get(i).is_some_and(|c| *c == b'+' || *c == b'-') {
            i += 1;
        }
        let exponent_start = i;
        while bytes
            .get(i)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'_')
        {
            i += 1;
        }
        if i == exponent_start {
            return false;
        }
    }
    i == bytes.len()
}

/// Go's `strconv.Unquote` for a `"..."` or `` `...` `` token.
pub(crate) fn unquote_string(token: &str) -> Result<String, String> {
    let invalid = || format!("invalid syntax: {token}");
    if let Some(raw) = token.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        return Ok(raw.replace('\r', ""));
    }
    let body = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(invalid)?;
    if !body.contains('\\') {
        return Ok(body.to_owned());
    }
    let mut bytes = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        let (piece, tail) = unquote_one(rest, '"').ok_or_else(invalid)?;
        match piece {
            Piece::Char(c) => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Piece::Byte(b) => bytes.push(b),
        }
        rest = tail;
    }
    String::from_utf8(bytes).map_err(|_| format!("invalid UTF-8 in string literal {token}"))
}

/// Value of a `'c'` character constant.
fn unquote_char_constant(token: &str) -> Result<char, String> {
    let malformed = || format!("malformed character constant: {token}");
    let body = token.strip_prefix('\'').ok_or_else(malformed)?;
    let (piece, tail) = unquote_one(body, '\'').ok_or_else(malformed)?;
    if tail != "'" {
        return Err(malformed());
    }
    match piece {
        Piece::Char(c) => Ok(c),
        Piece::Byte(b) => Ok(char::from(b)),
    }
}

/// One unit of a quoted literal: a character, or a raw byte from `\x` / octal escapes.
enum Piece {
    Char(char),
    Byte(u8),
}

/// Go's `strconv.UnquoteChar`: decodes the first character or escape of `s`.
fn unquote_one(s: &str, quote: char) -> Option<(Piece, &str)> {
    let mut chars = s.chars();
    let first = chars.next()?;
    if first == quote && quote == '\'' {
        return None;
    }
    if first != '\\' {
        return Some((Piece::Char(first), chars.as_str()));
    }
    let escape = chars.next()?;
    let rest = chars.as_str();
    let simple = match escape {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' if escape == quote => Some(escape),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((Piece::Char(c), rest));
    }
    match escape {
        'x' => hex_escape(rest, 2).map(|(v, r)| (Piece::Byte(v as u8), r)),
        'u' => hex_escape(rest, 4).and_then(|(v, r)| Some((Piece::Char(char::from_u32(v)?), r))),
        'U' => hex_escape(rest, 8).and_then(|(v, r)| Some((Piece::Char(char::from_u32(v)?), r))),
        '0'..='7' => {
            let digits = s.get(1..4)?;
            let value = u32::from_str_radix(digits, 8).ok()?;
            let byte = u8::try_from(value).ok()?;
            Some((Piece::Byte(byte), s.get(4..)?))
        }
        _ => None,
    }
}

fn hex_escape(s: &str, len: usize) -> Option<(u32, &str)> {
    let digits = s.get(..len)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((u32::from_str_radix(digits, 16).ok()?, s.get(len..)?))
}
