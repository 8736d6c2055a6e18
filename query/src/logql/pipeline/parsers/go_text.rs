//! Byte-string helpers that reproduce how Go reads text in Loki's parsers: a string is bytes,
//! `range` over it yields one `utf8.RuneError` per byte of an invalid sequence, and
//! `strings.TrimSpace` trims Unicode white space. Label names are built from such keys with
//! Loki's `sanitizeLabelKey` (`pkg/logql/log/util.go`): every rune that is not an ASCII letter,
//! digit or `_` becomes one `_`, and a key starting with a digit gets a leading `_`.
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;

/// The UTF-8 encoding of U+FFFD, Go's `utf8.RuneError`.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// True when Go's `bytes.ContainsRune(b, utf8.RuneError)` holds: `b` has an invalid UTF-8
/// sequence or a literal U+FFFD.
pub(super) fn has_rune_error(b: &[u8]) -> bool {
    if b.is_ascii() {
        return false;
    }
    match std::str::from_utf8(b) {
        Err(_) => true,
        Ok(s) => s
            .as_bytes()
            .windows(REPLACEMENT.len())
            .any(|w| w == REPLACEMENT),
    }
}

/// `b` as text with every U+FFFD and every byte of an invalid sequence replaced by a space
/// (Loki's `removeInvalidUtf` mapping, which keeps the rune error out of label values).
pub(super) fn replace_rune_errors(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b)
        && !s.contains('\u{FFFD}')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.extend(
            chunk
                .valid()
                .chars()
                .map(|c| if c == '\u{FFFD}' { ' ' } else { c }),
        );
        out.extend(std::iter::repeat_n(' ', chunk.invalid().len()));
    }
    Cow::Owned(out)
}

/// `b` as text; invalid sequences become U+FFFD (Go would keep the raw bytes, which no label
/// value can hold).
pub(super) fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Go's `bytes.TrimSpace`: `b` without leading and trailing Unicode white space.
pub(super) fn trim_space(b: &[u8]) -> &[u8] {
    let mut rest = b;
    while let Some((c, len)) = first_char(rest) {
        if !c.is_whitespace() {
            break;
        }
        rest = rest.get(len..).unwrap_or_default();
    }
    while let Some((c, len)) = last_char(rest) {
        if !c.is_whitespace() {
            break;
        }
        rest = rest.get(..rest.len() - len).unwrap_or_default();
    }
    rest
}

/// The valid character `b` starts with and its length; `None` when `b` is empty or starts
/// with an invalid sequence.
fn first_char(b: &[u8]) -> Option<(char, usize)> {
    let first = *b.first()?;
    if first.is_ascii() {
        return Some((char::from(first), 1));
    }
    let chunk = b.get(..b.len().min(4))?.utf8_chunks().next()?;
    let c = chunk.valid().chars().next()?;
    Some((c, c.len_utf8()))
}

/// The valid character `b` ends with and its length; `None` when `b` is empty or ends with
/// an invalid sequence.
fn last_char(b: &[u8]) -> Option<(char, usize)> {
    let last = *b.last()?;
    if last.is_ascii() {
        return Some((char::from(last), 1));
    }
    (2..=b.len().min(4)).find_map(|len| {
        let tail = b.get(b.len() - len..)?;
        let s = std::str::from_utf8(tail).ok()?;
        let mut chars = s.chars();
        let c = chars.next()?;
        chars.next().is_none().then_some((c, len))
    })
}

/// True for the characters a label name keeps as they are.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Appends Loki's sanitized form of `key` to `out` (`appendSanitized`): `key` is trimmed,
/// a leading ASCII digit gets a `_` in front when `digit_prefix` is set, and each character
/// that is not an ASCII letter, digit or `_` (each byte of an invalid sequence) becomes `_`.
pub(super) fn push_sanitized(out: &mut String, key: &[u8], digit_prefix: bool) {
    let key = trim_space(key);
    if digit_prefix && key.first().is_some_and(u8::is_ascii_digit) {
        out.push('_');
    }
    for chunk in key.utf8_chunks() {
        out.extend(
            chunk
                .valid()
                .chars()
                .map(|c| if is_name_char(c) { c } else { '_' }),
        );
        out.extend(std::iter::repeat_n('_', chunk.invalid().len()));
    }
}

/// `key` itself when it already is its own sanitized form (a valid label name); `None` when
/// sanitizing would change it.
pub(super) fn as_clean_name(key: &[u8]) -> Option<&str> {
    let first = *key.first()?;
    let clean = (first.is_ascii_alphabetic() || first == b'_')
        && key.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
    if clean {
        std::str::from_utf8(key).ok()
    } else {
        None
    }
}

/// Loki's `sanitizeLabelKey(key, true)`: borrowed from `key` when it is already clean, else
/// built in `buf`. Empty when `key` is empty or white space.
pub(super) fn sanitize_key<'a>(key: &'a [u8], buf: &'a mut String) -> &'a str {
    if let Some(clean) = as_clean_name(key) {
        return clean;
    }
    buf.clear();
    push_sanitized(buf, key, true);
    buf.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanitized(key: &[u8]) -> String {
        let mut buf = String::new();
        sanitize_key(key, &mut buf).to_owned()
    }

    #[test]
    fn keys_are_sanitized_as_loki_does() {
        assert_eq!(sanitized(b"cou-nter"), "cou_nter");
        assert_eq!(sanitized(b"a.b"), "a_b");
        assert_eq!(sanitized(b"1a"), "_1a");
        assert_eq!(sanitized(b"  trimmed\t"), "trimmed");
        assert_eq!(sanitized(b" "), "");
        assert_eq!(sanitized(b""), "");
        assert_eq!(sanitized("ÜFT8👌".as_bytes()), "_FT8_");
        // one `_` per byte of an invalid sequence, as Go's range over a string yields
        assert_eq!(sanitized(b"a\xe2\x82b"), "a__b");
        assert_eq!(sanitized("\u{a0}x\u{3000}".as_bytes()), "x");
        assert_eq!(sanitized(b"__error__"), "__error__");
    }

    #[test]
    fn clean_names_are_borrowed() {
        let mut buf = String::new();
        let key = b"level";
        let name = sanitize_key(key, &mut buf);
        assert_eq!(name.as_ptr(), key.as_ptr());
        assert!(as_clean_name(b"9a").is_none());
        assert!(as_clean_name(b"").is_none());
    }

    #[test]
    fn rune_errors_are_found_and_replaced() {
        assert!(!has_rune_error(b"plain"));
        assert!(!has_rune_error("é".as_bytes()));
        assert!(has_rune_error(b"b\xffr"));
        assert!(has_rune_error("b\u{FFFD}r".as_bytes()));
        assert_eq!(replace_rune_errors("b\u{FFFD}r".as_bytes()), "b r");
        assert_eq!(replace_rune_errors(b"b\xe2\x82r"), "b  r");
        assert!(matches!(replace_rune_errors(b"ok"), Cow::Borrowed("ok")));
    }

    #[test]
    fn trimming_stops_at_invalid_bytes() {
        assert_eq!(trim_space(b" \xff "), b"\xff");
        assert_eq!(trim_space("\u{85}a\u{2029}".as_bytes()), b"a");
        assert_eq!(trim_space(b""), b"");
    }
}
