//! Byte-level scanning for the exposition parser: line splitting, names, quoted strings, numbers.
//!
//! Everything here reads one line (without its `\n`) through [`Cursor`], which only ever advances
//! with checked splits, so no input can make it panic or index out of bounds.

use std::borrow::Cow;

use super::{NORMAL_NAN_BITS, ParseErrorKind};

/// Class bit: may start a label name, `[a-zA-Z_]`.
const LABEL_START: u8 = 1;
/// Class bit: may continue a label name, `[a-zA-Z0-9_]`.
const LABEL_CONT: u8 = 2;
/// Class bit: may start a metric name, `[a-zA-Z_:]`.
const METRIC_START: u8 = 4;
/// Class bit: may continue a metric name, `[a-zA-Z0-9_:]`.
const METRIC_CONT: u8 = 8;

/// Character classes of every byte; a table keeps the name scanners to one load per byte.
static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        let digit = b.is_ascii_digit();
        let mut class = 0;
        if alpha {
            class |= LABEL_START | LABEL_CONT | METRIC_START | METRIC_CONT;
        }
        if digit {
            class |= LABEL_CONT | METRIC_CONT;
        }
        if b == b':' {
            class |= METRIC_START | METRIC_CONT;
        }
        table[i] = class;
        i += 1;
    }
    table
}

/// True for the whitespace the text format allows between tokens.
pub(super) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Index of the first `\n` in `hay`.
pub(super) fn find_newline(hay: &[u8]) -> Option<usize> {
    find_either(hay, b'\n', b'\n')
}

/// Index of the first `a` or `b` in `hay`, eight bytes at a time: line splitting touches every
/// byte, and label values are the longest tokens, so both are worth more than a byte loop.
fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Classic "has zero byte": the lowest set high bit marks the first zero byte exactly (bits
    // above it may be false positives from borrows, which we never look at).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let (words, tail) = hay.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word);
        let found = zero_bytes(x ^ (ONES * u64::from(a))) | zero_bytes(x ^ (ONES * u64::from(b)));
        if found != 0 {
            return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let base = words.len() * 8;
    tail.iter()
        .position(|&c| c == a || c == b)
        .map(|i| base + i)
}

/// A short, printable excerpt of `text` for error messages.
pub(super) fn snippet(text: &[u8]) -> String {
    const MAX: usize = 40;
    if text.is_empty() {
        return "end of line".to_owned();
    }
    let cut = text.get(..MAX).unwrap_or(text);
    let mut s = format!("{:?}", String::from_utf8_lossy(cut));
    if cut.len() < text.len() {
        s.push('…');
    }
    s
}

/// An "expected X, found <rest of line>" error.
pub(super) fn unexpected(expected: &'static str, found: &str) -> ParseErrorKind {
    ParseErrorKind::Unexpected {
        expected,
        found: snippet(found.as_bytes()),
    }
}

/// A read position inside one line, which was checked to be UTF-8 once: every split below is at
/// an ASCII byte, so slicing never needs another UTF-8 check.
pub(super) struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `line`.
    pub(super) fn new(line: &'a str) -> Self {
        Self { rest: line }
    }

    /// The unread part of the line.
    pub(super) fn rest(&self) -> &'a str {
        self.rest
    }

    /// True when the whole line has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next byte, if any.
    pub(super) fn peek(&self) -> Option<u8> {
        self.rest.as_bytes().first().copied()
    }

    /// Consumes `n` bytes (all, if `n` is past the end or not on a character boundary).
    fn take(&mut self, n: usize) -> &'a str {
        let (head, tail) = self.rest.split_at_checked(n).unwrap_or((self.rest, ""));
        self.rest = tail;
        head
    }

    /// Consumes the ASCII byte `b` if it is next.
    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.take(1);
            true
        } else {
            false
        }
    }

    /// Consumes `prefix` if the line continues with it.
    pub(super) fn eat_str(&mut self, prefix: &str) -> bool {
        match self.rest.strip_prefix(prefix) {
            Some(tail) => {
                self.rest = tail;
                true
            }
            None => false,
        }
    }

    /// Consumes `b` or fails naming what was expected.
    pub(super) fn expect(&mut self, b: u8, what: &'static str) -> Result<(), ParseErrorKind> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(unexpected(what, self.rest))
        }
    }

    /// Skips spaces and tabs; returns how many.
    pub(super) fn skip_ws(&mut self) -> usize {
        let n = self
            .rest
            .bytes()
            .position(|b| !is_ws(b))
            .unwrap_or(self.rest.len());
        self.take(n);
        n
    }

    /// Consumes bytes up to (not including) the first one for which `stop` holds; `stop` must
    /// only hold for ASCII bytes.
    pub(super) fn take_until(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let n = self.rest.bytes().position(stop).unwrap_or(self.rest.len());
        self.take(n)
    }

    /// Consumes the longest run of bytes in `class` (all ASCII).
    fn take_class(&mut self, class: u8) -> &'a str {
        let n = self
            .rest
            .bytes()
            .position(|b| CLASS[usize::from(b)] & class == 0)
            .unwrap_or(self.rest.len());
        self.take(n)
    }

    /// Reads a metric name; `foo-bar` or `1foo` is an invalid name, while `foo` followed by a
    /// structural character is left for the caller to judge.
    pub(super) fn metric_name(&mut self) -> Result<&'a str, ParseErrorKind> {
        self.name(METRIC_START, METRIC_CONT, "metric name")
            .map_err(|w| w.map_or_else(|e| e, ParseErrorKind::InvalidMetricName))
    }

    /// Reads a label name, as [`metric_name`](Self::metric_name) reads metric names.
    pub(super) fn label_name(&mut self) -> Result<&'a str, ParseErrorKind> {
        self.name(LABEL_START, LABEL_CONT, "label name")
            .map_err(|w| w.map_or_else(|e| e, ParseErrorKind::InvalidLabelName))
    }

    /// Reads a name of the given classes. Fails with `Err(Ok(word))` for an invalid name (the
    /// whole offending word) and `Err(Err(_))` when no name starts here.
    fn name(
        &mut self,
        start_class: u8,
        class: u8,
        what: &'static str,
    ) -> Result<&'a str, Result<String, ParseErrorKind>> {
        let start = self.rest;
        let name = self.take_class(class);
        let first = name.as_bytes().first().copied();
        let first_ok = first.is_some_and(|b| CLASS[usize::from(b)] & start_class != 0);
        let delimited = self.peek().is_none_or(is_structural);
        if first_ok && delimited {
            Ok(name)
        } else if name.is_empty() && delimited {
            Err(Err(unexpected(what, start)))
        } else {
            Err(Ok(word(start)))
        }
    }

    /// Reads a double-quoted label value, undoing the `\\`, `\"` and `\n` escapes.
    ///
    /// Other escapes are kept verbatim, as Prometheus's parsers keep them. Borrows from the input
    /// unless the value has an escape.
    pub(super) fn quoted(&mut self) -> Result<Cow<'a, str>, ParseErrorKind> {
        self.expect(b'"', "'\"' to open the label value")?;
        let body = self.rest.as_bytes();
        let stop = find_either(body, b'"', b'\\');
        let Some(end) = stop else {
            return Err(ParseErrorKind::UnterminatedLabelValue);
        };
        if body.get(end) == Some(&b'"') {
            let raw = self.take(end);
            self.take(1);
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = Vec::with_capacity(body.len());
        let consumed =
            unescape(&mut out, body, true, true).ok_or(ParseErrorKind::UnterminatedLabelValue)?;
        self.take(consumed);
        // Only ASCII escape sequences were replaced in valid UTF-8, so this cannot fail.
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| ParseErrorKind::InvalidUtf8("label value"))
    }
}

/// True for the bytes that may follow a name: separators and punctuation of the grammar.
fn is_structural(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'{' | b'}' | b',' | b'=' | b'"')
}

/// The offending token for an invalid-name error: `start` up to the next structural byte.
fn word(start: &str) -> String {
    start
        .split(|c: char| c.is_ascii() && is_structural(c as u8))
        .next()
        .unwrap_or("")
        .to_owned()
}

/// `bytes` as UTF-8, or an error naming `what` they were.
pub(super) fn utf8<'a>(bytes: &'a [u8], what: &'static str) -> Result<&'a str, ParseErrorKind> {
    std::str::from_utf8(bytes).map_err(|_| ParseErrorKind::InvalidUtf8(what))
}

/// Copies `src` into `out` undoing escapes, up to the closing quote when `stop_at_quote`, else to
/// the end; `\"` becomes `"` only when `unquote` (the text format's HELP leaves it alone).
///
/// Returns the bytes of `src` consumed (including the closing quote), or `None` when a quoted
/// string is not terminated.
fn unescape(out: &mut Vec<u8>, src: &[u8], stop_at_quote: bool, unquote: bool) -> Option<usize> {
    let mut i = 0;
    loop {
        let Some(&b) = src.get(i) else {
            return (!stop_at_quote).then_some(i);
        };
        match b {
            b'"' if stop_at_quote => return Some(i + 1),
            b'\\' => {
                match src.get(i + 1) {
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'n') => out.push(b'\n'),
                    Some(b'"') if unquote => out.push(b'"'),
                    Some(&c) => out.extend_from_slice(&[b'\\', c]),
                    None if stop_at_quote => return None,
                    None => out.push(b'\\'),
                }
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// A HELP text with its escapes undone: `\\` and `\n` in the text format, also `\"` in
/// OpenMetrics (which escapes HELP like label values).
pub(super) fn help_text(text: &str, openmetrics: bool) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    unescape(&mut out, text.as_bytes(), false, openmetrics);
    // Only ASCII escape sequences were replaced in valid UTF-8, so the lossy path never runs.
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Exact powers of ten as `f64` (10^22 is the largest exactly representable one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for plain decimals (`-12.5`, `2.5066e-05`, `1795271349.643`): with at most
/// 15 significant digits and a power of ten up to 10^22, both operands are exact, so the one
/// multiplication or division is correctly rounded and equals what a full parser returns.
/// `None` means "use the full parser", never "invalid".
fn fast_decimal(s: &[u8]) -> Option<f64> {
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let (mut mant, mut digits, mut exp, mut i) = (0u64, 0u32, 0i32, 0usize);
    let digit_run = |i: &mut usize, mant: &mut u64| {
        let start = *i;
        while let Some(eight) = s
            .get(*i..)
            .and_then(|r| r.first_chunk::<8>())
            .and_then(eight_digits)
        {
            *mant = mant.wrapping_mul(100_000_000).wrapping_add(eight);
            *i += 8;
        }
        while let Some(d) = s
            .get(*i)
            .and_then(|b| b.checked_sub(b'0'))
            .filter(|d| *d < 10)
        {
            *mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
            *i += 1;
        }
        *i - start
    };
    let int_digits = digit_run(&mut i, &mut mant);
    digits += int_digits as u32;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let frac_digits = digit_run(&mut i, &mut mant);
        digits += frac_digits as u32;
        exp -= frac_digits as i32;
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        let neg_exp = s.get(i) == Some(&b'-');
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let mut e = 0u64;
        let n = digit_run(&mut i, &mut e);
        if n == 0 || n > 3 {
            return None;
        }
        exp += if neg_exp { -(e as i32) } else { e as i32 };
    }
    if i != s.len() {
        return None;
    }
    let m = mant as f64;
    let v = match POW10.get(exp.unsigned_abs() as usize) {
        Some(p) if exp < 0 => m / p,
        Some(p) => m * p,
        None => return None,
    };
    Some(if neg { -v } else { v })
}

/// The value of eight ASCII digits, or `None` if any byte is not a digit (SWAR, as in the
/// fast_float family of parsers: three multiply steps instead of eight).
fn eight_digits(bytes: &[u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let x = u64::from_le_bytes(*bytes);
    // Digits are 0x30..=0x39: high nibble 3, and adding 6 must not carry into the high nibble.
    let high = x & 0xF0F0_F0F0_F0F0_F0F0;
    let carry = (x.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | carry != 0x3333_3333_3333_3333 {
        return None;
    }
    let v = x - ZEROS;
    // Pairs of digits, then quads, then all eight (little-endian: first digit in the low byte).
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let lo = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    Some(lo.wrapping_add(hi) >> 32 & 0xFFFF_FFFF)
}

/// Parses a sample value as Prometheus does: Go float syntax (`NaN`, `+Inf`, `-Inf`, `1e3`...),
/// overflow is an error, and every NaN becomes the one NaN Prometheus stores ([`NORMAL_NAN_BITS`]).
pub(super) fn parse_value(tok: &str) -> Result<f64, ParseErrorKind> {
    let v =
        parse_float(tok).ok_or_else(|| ParseErrorKind::InvalidValue(snippet(tok.as_bytes())))?;
    Ok(if v.is_nan() {
        f64::from_bits(NORMAL_NAN_BITS)
    } else {
        v
    })
}

/// A float in Go's `strconv.ParseFloat` syntax without hex floats or underscores (which Rust's
/// parser rejects, as Prometheus does); finite literals that overflow are refused, as Go refuses them.
pub(super) fn parse_float(tok: &str) -> Option<f64> {
    if let Some(v) = fast_decimal(tok.as_bytes()) {
        return Some(v);
    }
    let v: f64 = tok.parse().ok()?;
    // Every spelling of infinity contains an `n`; `1e999` does not.
    if v.is_infinite() && !tok.bytes().any(|b| b.eq_ignore_ascii_case(&b'n')) {
        return None;
    }
    Some(v)
}

/// An OpenMetrics timestamp (float seconds) in milliseconds, converted as Prometheus converts it:
/// `int64(ts * 1000)`, truncating toward zero. Non-finite or out-of-range values are errors.
pub(super) fn parse_om_timestamp(tok: &str) -> Result<i64, ParseErrorKind> {
    if tok.is_empty() {
        return Err(unexpected("timestamp", tok));
    }
    let bad = || ParseErrorKind::InvalidTimestamp(snippet(tok.as_bytes()));
    let secs = parse_float(tok).filter(|s| s.is_finite()).ok_or_else(bad)?;
    let ms = secs * 1000.0;
    // i64::MIN is exactly representable; i64::MAX is not, its f64 neighbour 2^63 is excluded.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&ms) {
        return Err(bad());
    }
    Ok(ms as i64)
}

/// A text-format timestamp: integer milliseconds.
pub(super) fn parse_text_timestamp(tok: &str) -> Result<i64, ParseErrorKind> {
    tok.parse::<i64>()
        .map_err(|_| ParseErrorKind::InvalidTimestamp(snippet(tok.as_bytes())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_newlines_at_every_offset() {
        for len in 0..40 {
            let mut buf = vec![b'x'; len];
            assert_eq!(find_newline(&buf), None);
            for at in 0..len {
                buf[at] = b'\n';
                assert_eq!(find_newline(&buf), Some(at));
                buf[at] = 0x8a; // '\n' | 0x80 must not match
                assert_eq!(find_newline(&buf), None);
                buf[at] = b'x';
            }
        }
        assert_eq!(find_newline(b"ab\ncd\n"), Some(2));
        assert_eq!(find_either(b"0123456789\\\"", b'"', b'\\'), Some(10));
        assert_eq!(find_either(b"01234567\"9\\", b'"', b'\\'), Some(8));
        assert_eq!(find_either(b"\"\\", b'"', b'\\'), Some(0));
        assert_eq!(
            find_either("é\u{1F980}xxxxxxxx".as_bytes(), b'"', b'\\'),
            None
        );
    }

    #[test]
    fn fast_decimal_declines_what_it_cannot_do_exactly() {
        for s in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e1234",
            "1234567890123456",
            "1.2.3",
            "inf",
            "1_0",
        ] {
            assert_eq!(fast_decimal(s.as_bytes()), None, "{s}");
        }
        assert_eq!(
            fast_decimal(b"-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(fast_decimal(b"1e22"), Some(1e22));
        assert_eq!(fast_decimal(b"1e23"), None);
    }

    #[test]
    fn eight_digits_swar() {
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"00000000"), Some(0));
        assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
        for bad in [
            b"1234567.",
            b"/2345678",
            b":2345678",
            b"1234567a",
            b"\xb02345678",
        ] {
            assert_eq!(eight_digits(bad), None);
        }
    }

    fn decimal() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just(""), Just("-"), Just("+")],
            "[0-9]{0,12}",
            proptest::option::of("[0-9]{0,10}"),
            proptest::option::of((prop_oneof![Just("e"), Just("E-"), Just("e+")], 0u32..40)),
        )
            .prop_map(|(sign, int, frac, exp)| {
                let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
                let exp = exp.map(|(e, n)| format!("{e}{n}")).unwrap_or_default();
                format!("{sign}{int}{frac}{exp}")
            })
    }

    proptest! {
        #[test]
        fn eight_digits_matches_std(bytes in proptest::array::uniform8(prop_oneof![
            4 => 0x30u8..0x3a, 1 => any::<u8>()
        ])) {
            let want = std::str::from_utf8(&bytes).ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok());
            prop_assert_eq!(eight_digits(&bytes), want);
        }

        #[test]
        fn fast_decimal_matches_the_full_parser(s in decimal()) {
            if let Some(fast) = fast_decimal(s.as_bytes()) {
                let full: f64 = s.parse().unwrap();
                prop_assert_eq!(fast.to_bits(), full.to_bits(), "{}", s);
            }
        }
    }
}
