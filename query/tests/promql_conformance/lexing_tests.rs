use super::*;
use proptest::prelude::*;

#[test]
fn durations_follow_prometheus() {
    let ms = |s| parse_duration(s).unwrap();
    assert_eq!(ms("0"), 0);
    assert_eq!(ms("0s"), 0);
    assert_eq!(ms("90s"), 90_000);
    assert_eq!(ms("1h30m"), 5_400_000);
    assert_eq!(ms("10s53ms"), 10_053);
    assert_eq!(ms("3m0s"), 180_000);
    assert_eq!(ms("20s500ms"), 20_500);
    assert_eq!(ms("1y1w1d"), (365 + 7 + 1) * 86_400_000);
    for bad in ["", "1.5m", "30s1m", "1m1m", "5x", "-1m", "m", "1", "1h 30m"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} must be refused");
    }
    assert!(parse_duration("300y").is_err(), "beyond i64 nanoseconds");
}

#[test]
fn numbers_follow_go() {
    let n = |s| parse_go_number(s);
    assert_eq!(n("1"), Some(1.0));
    assert_eq!(n("-2.5"), Some(-2.5));
    assert_eq!(n("1e3"), Some(1000.0));
    assert_eq!(n("1.78264E+50"), Some(1.78264e50));
    assert_eq!(n(".5"), Some(0.5));
    assert_eq!(n("2."), Some(2.0));
    assert_eq!(n("+Inf"), Some(f64::INFINITY));
    assert_eq!(n("-inf"), Some(f64::NEG_INFINITY));
    assert!(n("NaN").is_some_and(f64::is_nan));
    assert!(n("nan").is_some_and(f64::is_nan));
    assert_eq!(n("-NaN"), None, "Go refuses a sign before NaN");
    assert_eq!(n("017"), Some(15.0), "a leading zero means octal");
    assert_eq!(n("08"), Some(8.0), "not octal, so a float");
    assert_eq!(n("0x1F"), Some(31.0));
    assert_eq!(n("0b101"), Some(5.0));
    assert_eq!(n("1_000"), Some(1000.0));
    assert_eq!(n("99999999999999999999"), Some(1e20));
    let zero = n("-0").unwrap();
    assert!(
        zero == 0.0 && zero.is_sign_positive(),
        "an integer -0 is +0"
    );
    for bad in [
        "", "abc", "1,5", "1e", "--1", "1__0", "_1", "0x1p-2", "{} 1",
    ] {
        assert_eq!(n(bad), None, "{bad:?}");
    }
}

#[test]
fn strings_unquote_like_promql() {
    let u = |s| unquote(s).unwrap();
    assert_eq!(u(r#""a\nb\t\"c\\""#), "a\nb\t\"c\\");
    assert_eq!(u(r"'it\'s'"), "it's");
    assert_eq!(u(r"`raw\n`"), r"raw\n");
    assert_eq!(u(r#""\x41\101\u00e9\U0001F600""#), "AAé😀");
    assert_eq!(u(r#""""#), "");
    for bad in [
        r#""\q""#,
        r#""a\'""#,
        r#""\xc5""#,
        r#""\400""#,
        r#""\ud800""#,
        "\"a",
        "'a\"",
        r#""\x4""#,
    ] {
        assert!(unquote(bad).is_err(), "{bad} must be refused");
    }
}

#[test]
fn scan_quoted_stops_after_the_closing_quote() {
    let mut cur = Cursor::new(r#""a\"b" rest"#);
    assert_eq!(scan_quoted(&mut cur).unwrap(), "a\"b");
    assert_eq!(cur.rest(), " rest");
    let mut open = Cursor::new(r#""never closed"#);
    assert!(
        scan_quoted(&mut open)
            .unwrap_err()
            .0
            .contains("unterminated")
    );
}

/// Quotes `s` in Go syntax, escaping a mix of ways so every escape form is exercised.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_ascii_control() && i % 2 == 0 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c if !c.is_ascii() && i % 2 == 0 => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest! {
    #[test]
    fn quoted_strings_round_trip(s in prop_oneof![
        "[a-z\"\\\\\n\t ]{0,12}",
        "\\PC{0,8}",
        proptest::collection::vec(any::<char>(), 0..6).prop_map(|v| v.into_iter().collect::<String>()),
    ]) {
        let quoted = go_quote(&s);
        prop_assert_eq!(unquote(&quoted).unwrap(), s.clone());
        let mut cur = Cursor::new(&quoted);
        prop_assert_eq!(scan_quoted(&mut cur).unwrap(), s);
        prop_assert!(cur.at_end());
    }
}
