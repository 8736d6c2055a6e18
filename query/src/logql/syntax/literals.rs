//! Strings and numbers as Loki reads and prints them: Loki is written in Go, so its canonical
//! query text quotes strings with `strconv.Quote`, prints literals with `fmt.Sprint` (`%v`),
//! parameters with `strconv.FormatFloat(v, 'f', -1, 64)` and `vector()` values with `%f`; and it
//! reads numbers with `strconv.ParseFloat` / `strconv.Atoi`. These functions reproduce those
//! forms (string escapes are decoded by the lexer, which must report their errors in place).

use crate::float_text::non_finite_name as non_finite;

/// `strconv.Quote`: `s` in double quotes, with `"` and `\` escaped, the C escapes for
/// `\a \b \f \n \r \t \v`, `\xNN` for other ASCII control characters, and `\uNNNN` /
/// `\UNNNNNNNN` for other characters Go does not consider printable.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_go_printable(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`, approximated without Unicode category tables: letters, marks,
/// numbers, punctuation, symbols and the ASCII space are printable; control characters, other
/// white space, format characters, private-use characters and noncharacters are not.
/// (Unassigned code points, which Go also escapes, are kept as they are; either form reads
/// back as the same string.)
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let cp = c as u32;
    let format_char = matches!(
        cp,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    let private_use = matches!(cp, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let noncharacter = (0xFDD0..=0xFDEF).contains(&cp) || cp & 0xFFFE == 0xFFFE;
    !(format_char || private_use || noncharacter)
}

/// `strconv.ParseFloat(text, 64)` for the number tokens the lexer produces (decimal digits with
/// `_` separators, a fraction, an exponent; or a `0x`/`0o`/`0b` integer, which Go's float parser
/// rejects). The error text is Go's.
pub(crate) fn parse_go_float(text: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(text)
        )
    };
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b") {
        return Err(syntax());
    }
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return Err(syntax());
    }
    let v: f64 = digits.parse().map_err(|_| syntax())?;
    if v.is_infinite() {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(text)
        ));
    }
    Ok(v)
}

/// `strconv.Atoi(text)`: an optionally signed decimal integer that fits in an `i64`.
pub(crate) fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `fmt.Sprint(v)` for a float64 (`%v`, i.e. `%g` with the shortest precision): plain decimal
/// for exponents in `[-4, 6)`, otherwise `d.ddde±XX`; `NaN`, `+Inf`, `-Inf`.
pub(crate) fn format_go_float_g(v: f64) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that read back as `v`, as Go's does.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if v < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.unsigned_abs());
    }
    format!("{sign}{}", place_decimal_point(&digits, exp))
}

/// Digits `d1 d2 ...` with the decimal exponent `exp` of `d1`, written without an exponent.
fn place_decimal_point(digits: &str, exp: i32) -> String {
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{int}.{frac}")
    }
}

/// `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that reads back as `v`, without
/// an exponent.
pub(crate) fn format_go_float_f(v: f64) -> String {
    match non_finite(v) {
        Some(s) => s.to_owned(),
        // Rust's `Display` for floats is exactly that form.
        None => format!("{v}"),
    }
}

/// `fmt.Sprintf("%f", v)`: six decimals, rounded.
pub(crate) fn format_go_float_fixed6(v: f64) -> String {
    match non_finite(v) {
        Some(s) => s.to_owned(),
        None => format!("{v:.6}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_strconv_quote() {
        assert_eq!(go_quote("plain"), r#""plain""#);
        assert_eq!(go_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\n\t\r\u{7}\u{8}\u{c}\u{b}"),
            r#""\n\t\r\a\b\f\v""#
        );
        assert_eq!(go_quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(go_quote("é ü 日本 🙂"), "\"é ü 日本 🙂\"");
        assert_eq!(
            go_quote("\u{a0}\u{200b}\u{feff}"),
            r#""\u00a0\u200b\ufeff""#
        );
        assert_eq!(go_quote("\u{10fffd}"), r#""\U0010fffd""#);
    }

    #[test]
    fn floats_parse_like_strconv() {
        assert_eq!(parse_go_float("1.5"), Ok(1.5));
        assert_eq!(parse_go_float("1_000"), Ok(1000.0));
        assert_eq!(parse_go_float(".5"), Ok(0.5));
        assert_eq!(parse_go_float("1."), Ok(1.0));
        assert_eq!(parse_go_float("2e3"), Ok(2000.0));
        assert_eq!(
            parse_go_float("1e999"),
            Err(r#"strconv.ParseFloat: parsing "1e999": value out of range"#.to_owned())
        );
        assert_eq!(
            parse_go_float("0x1f"),
            Err(r#"strconv.ParseFloat: parsing "0x1f": invalid syntax"#.to_owned())
        );
        assert_eq!(parse_go_int("10"), Some(10));
        assert_eq!(parse_go_int("1.5"), None);
        assert_eq!(parse_go_int("1_0"), None);
        assert_eq!(parse_go_int("99999999999999999999"), None);
    }

    #[test]
    fn floats_print_like_fmt_sprint() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.6, "1.6"),
            (-2.5, "-2.5"),
            (100000.0, "100000"),
            (123456.7, "123456.7"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(format_go_float_g(v), want, "{v:?}");
        }
        assert_eq!(format_go_float_f(0.99998), "0.99998");
        assert_eq!(format_go_float_f(5.0), "5");
        assert_eq!(format_go_float_f(1e21), "1000000000000000000000");
        assert_eq!(format_go_float_fixed6(1.0), "1.000000");
        assert_eq!(format_go_float_fixed6(0.1234567), "0.123457");
    }
}
