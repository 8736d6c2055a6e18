//! Label values read as numbers the way Loki's Go code reads them, with Go's error texts
//! (which Loki puts in `__error_details__`): `strconv.ParseFloat` (numeric label filters,
//! `unwrap`), `time.ParseDuration` (duration label filters, `unwrap duration()`) and
//! go-humanize's `ParseBytes` (byte-size label filters, `unwrap bytes()`).
//!
//! The parsers are the ones the lexer uses (`syntax::units`) and `promql`'s
//! `strconv.ParseFloat`, which, unlike the lexer's, reads every form Go accepts in a value.

pub(crate) use crate::logql::syntax::literals::go_quote;
pub(crate) use crate::logql::syntax::units::{
    parse_go_duration as parse_duration, parse_humanized_bytes as parse_bytes,
};
use crate::promql::functions::histogram::parse_bucket_bound;

const NS_PER_SECOND: i64 = 1_000_000_000;

/// `strconv.ParseFloat(s, 64)`; the error is Go's text.
pub(crate) fn parse_float(s: &str) -> Result<f64, String> {
    if let Some(v) = parse_bucket_bound(s) {
        return Ok(v);
    }
    // Go's grammar accepted it but the value overflowed (`1e400`): a range error.
    let reason = match s.replace('_', "").parse::<f64>() {
        Ok(v) if v.is_infinite() => "value out of range",
        _ => "invalid syntax",
    };
    Err(format!(
        "strconv.ParseFloat: parsing {}: {reason}",
        go_quote(s)
    ))
}

/// `time.Duration(ns).Seconds()`.
pub(crate) fn duration_seconds(ns: i64) -> f64 {
    let seconds = ns / NS_PER_SECOND;
    let rest = ns % NS_PER_SECOND;
    seconds as f64 + rest as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_go_reads_them() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("-2e3"), Ok(-2000.0));
        assert_eq!(parse_float("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert_eq!(parse_float("1_000"), Ok(1000.0));
        assert!(parse_float("nan").is_ok_and(f64::is_nan));
        assert_eq!(
            parse_float("abc"),
            Err(r#"strconv.ParseFloat: parsing "abc": invalid syntax"#.to_owned())
        );
        assert_eq!(
            parse_float(""),
            Err(r#"strconv.ParseFloat: parsing "": invalid syntax"#.to_owned())
        );
        assert_eq!(
            parse_float("1e400"),
            Err(r#"strconv.ParseFloat: parsing "1e400": value out of range"#.to_owned())
        );
        assert_eq!(
            parse_float(" 1"),
            Err(r#"strconv.ParseFloat: parsing " 1": invalid syntax"#.to_owned())
        );
    }

    #[test]
    fn durations_read_as_go_reads_them() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m3s"), Ok(3_723_000_000_000));
        assert_eq!(parse_duration("-250ms"), Ok(-250_000_000));
        assert_eq!(parse_duration("3µs"), Ok(3_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration(".5m"), Ok(30_000_000_000));
        assert_eq!(
            parse_duration("abc"),
            Err(r#"time: invalid duration "abc""#.to_owned())
        );
        assert_eq!(
            parse_duration("12"),
            Err(r#"time: missing unit in duration "12""#.to_owned())
        );
        assert_eq!(
            parse_duration("3d"),
            Err(r#"time: unknown unit "d" in duration "3d""#.to_owned())
        );
        assert_eq!(
            parse_duration(""),
            Err(r#"time: invalid duration """#.to_owned())
        );
        assert_eq!(
            parse_duration("9999999999h"),
            Err(r#"time: invalid duration "9999999999h""#.to_owned())
        );
        assert_eq!(duration_seconds(1_500_000_000), 1.5);
    }

    #[test]
    fn byte_sizes_read_as_go_humanize_reads_them() {
        assert_eq!(parse_bytes("42"), Ok(42));
        assert_eq!(parse_bytes("1.5kB"), Ok(1500));
        assert_eq!(parse_bytes("1 KiB"), Ok(1024));
        assert_eq!(parse_bytes("1,000MB"), Ok(1_000_000_000));
        assert_eq!(parse_bytes("2gib"), Ok(2 << 30));
        assert_eq!(
            parse_bytes("12 parsecs"),
            Err("unhandled size name: parsecs".to_owned())
        );
        assert_eq!(
            parse_bytes("abc"),
            Err(r#"strconv.ParseFloat: parsing "": invalid syntax"#.to_owned())
        );
        assert_eq!(parse_bytes("20EiB"), Err("too large: 20EiB".to_owned()));
    }

    #[test]
    fn quoting_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\x01é""#);
    }
}
