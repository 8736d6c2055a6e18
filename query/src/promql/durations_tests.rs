use std::borrow::Cow;

use proptest::prelude::*;

use super::syntax::{parse_duration_millis, parse_number};
use super::tokens::{TokenKind, tokenize};
use super::{QueryError, format_millis, rewrite};

/// Range-query bounds the tests use: 50s to 60s, step 5s (`range()` = 10s, `step()` = 5s).
const START: i64 = 50_000;
const END: i64 = 60_000;
const STEP: i64 = 5_000;

fn ranged(query: &str) -> String {
    match rewrite(query, START, END, STEP) {
        Ok(text) => text.into_owned(),
        Err(e) => panic!("{query:?} failed: {e}"),
    }
}

fn instant(query: &str) -> String {
    match rewrite(query, START, START, 0) {
        Ok(text) => text.into_owned(),
        Err(e) => panic!("{query:?} failed: {e}"),
    }
}

/// The error of rewriting `query` as a range query: (position, message).
fn failure(query: &str) -> (Option<usize>, String) {
    match rewrite(query, START, END, STEP) {
        Ok(text) => panic!("{query:?} rewrote to {text:?} instead of failing"),
        Err(QueryError::Parse { position, message }) => (position, message),
        Err(other) => panic!("{query:?} failed with a non-parse error: {other}"),
    }
}

fn assert_unchanged(query: &str) {
    let out = rewrite(query, START, END, STEP);
    assert!(
        matches!(out, Ok(Cow::Borrowed(text)) if text == query),
        "{query:?} came back as {out:?}"
    );
}

fn kinds(query: &str) -> Vec<TokenKind> {
    tokenize(query).into_iter().map(|t| t.kind).collect()
}

#[test]
fn tokenizer_keeps_strings_whole_and_drops_comments() {
    use TokenKind::*;
    assert_eq!(
        kinds(r#"x{a="[1+1] \"offset"} # c [2m+1]"#),
        [Ident, LeftBrace, Ident, Other, Str, RightBrace]
    );
    assert_eq!(kinds(r"`raw \` x"), [Str, Ident]);
    assert_eq!(kinds("'it\\'s' +"), [Str, Add]);
    // An unclosed string runs to the end of the text.
    assert_eq!(kinds("\"abc [5m+1m]"), [Str]);
}

#[test]
fn tokenizer_splits_colons_only_inside_brackets() {
    use TokenKind::*;
    assert_eq!(kinds("job:rate5m"), [Ident]);
    assert_eq!(
        kinds("x[step():5s]"),
        [
            Ident,
            LeftBracket,
            Ident,
            LeftParen,
            RightParen,
            Colon,
            Duration,
            RightBracket
        ]
    );
}

#[test]
fn tokenizer_reads_numbers_and_durations() {
    use TokenKind::*;
    assert_eq!(kinds("1e+3"), [Number]);
    assert_eq!(kinds("1e3-2"), [Number, Sub, Number]);
    assert_eq!(kinds("0x1e+1"), [Number, Add, Number]);
    assert_eq!(
        kinds(".5 1h30m 5mm 1.5"),
        [Number, Duration, Duration, Number]
    );
    assert_eq!(kinds("5m+1m"), [Duration, Add, Duration]);
}

#[test]
fn literals_parse_as_upstream() {
    assert_eq!(parse_duration_millis("1h30m"), Ok(5_400_000));
    assert_eq!(
        parse_duration_millis("1y2w3d"),
        Ok((365 + 14 + 3) * 86_400_000)
    );
    assert_eq!(parse_duration_millis("1s500ms"), Ok(1500));
    assert_eq!(parse_duration_millis("0s"), Ok(0));
    assert_eq!(
        parse_duration_millis("30m1h"),
        Err("not a valid duration string: \"30m1h\"".to_owned())
    );
    assert_eq!(
        parse_duration_millis("1hs"),
        Err("unknown unit \"hs\" in duration \"1hs\"".to_owned())
    );
    assert_eq!(
        parse_duration_millis("300000y"),
        Err("duration out of range".to_owned())
    );
    assert_eq!(parse_number("0x1f"), Ok(31.0));
    assert_eq!(parse_number("1_000"), Ok(1000.0));
    assert_eq!(parse_number("1e3"), Ok(1000.0));
    assert_eq!(parse_number("0755"), Ok(493.0));
    assert_eq!(parse_number("089"), Ok(89.0));
    assert_eq!(parse_number(".5"), Ok(0.5));
    for malformed in ["5x", "0x", "1.2.3", "0b2"] {
        assert!(parse_number(malformed).is_err(), "{malformed}");
    }
}

#[test]
fn durations_print_as_promql_parser_reads_them() {
    assert_eq!(format_millis(0), "0");
    assert_eq!(format_millis(1500), "1s500ms");
    assert_eq!(format_millis(5_400_000), "1h30m");
    assert_eq!(format_millis(-60_000), "-1m");
    assert_eq!(format_millis((365 + 8) * 86_400_000 + 1), "1y1w1d1ms");
}

#[test]
fn plain_durations_pass_through_borrowed() {
    for query in [
        "rate(x[5m])",
        "x[100:1] offset 20 @ 100",
        "sum_over_time(x[1800])",
        "x offset -50",
        "x offset +5m",
        "x offset 100 + 2",
        "x offset -2 ^ 2",
        "rate(x[5m:])",
        "x @ 100 + 50",
        "x @ start() offset 5m",
        "sum by (offset) (offset)",
        "x{a=\"[1m+1m]\", b='offset (1m)'} offset 1m",
        "label_replace(x, \"a\", \"[1+1]\", \"b\", \"(.*)\")",
        "x # offset (1m+1m)\n+ y[1m]",
        "step() + range() * min_of(1, 2)",
        "unclosed[5m+1m",
    ] {
        assert_unchanged(query);
    }
}

#[test]
fn arithmetic_in_brackets_follows_precedence() {
    assert_eq!(ranged("x[26m+4m]"), "x[30m]");
    assert_eq!(ranged("x[60*30]"), "x[30m]");
    assert_eq!(ranged("x[2m*(10+5)]"), "x[30m]");
    assert_eq!(ranged("x[30m1s-30m1s % 1m]"), "x[30m]");
    assert_eq!(ranged("x[1m+2m*3]"), "x[7m]");
    // `^` is right-associative and binds tighter than a unary minus.
    assert_eq!(ranged("x[2^3^2]"), "x[8m32s]");
    assert_eq!(ranged("x[-2^2+10]"), "x[6s]");
    assert_eq!(ranged("x[-5m+35m]"), "x[30m]");
    assert_eq!(ranged("x[10 % 3 * 2]"), "x[2s]");
    assert_eq!(ranged("x[ 1h / 2 ]"), "x[ 30m ]");
}

#[test]
fn subquery_range_and_step_are_rewritten_separately() {
    assert_eq!(ranged("x[29s+1s:5s+5s]"), "x[30s:10s]");
    assert_eq!(ranged("x[30s:5s+5s]"), "x[30s:10s]");
    assert_eq!(ranged("x[29s+1s:]"), "x[30s:]");
    assert_eq!(
        ranged("x[29s+1s:((((8 - 2) / 3) * 7s) % 4) + 8000ms]"),
        "x[30s:10s]"
    );
}

#[test]
fn step_range_min_of_and_max_of_take_the_query_window() {
    assert_eq!(ranged("x[step()]"), "x[5s]");
    assert_eq!(ranged("x[STep()+1ms]"), "x[5s1ms]");
    assert_eq!(ranged("x[1+(STep()-5)*2]"), "x[1s]");
    assert_eq!(ranged("x[range()]"), "x[10s]");
    assert_eq!(ranged("x[max_of(min_of(step()+1,1h),1ms)]"), "x[6s]");
    assert_eq!(ranged("x offset min_of(range(), 8s)"), "x offset 8s");
    assert_eq!(instant("x offset range()"), "x offset 0");
}

#[test]
fn step_is_zero_in_an_instant_query() {
    let result = rewrite("x[step()]", START, START, 0);
    assert!(
        matches!(&result, Err(QueryError::Parse { position: Some(2), message })
            if message == "2:8: duration must be greater than 0"),
        "{result:?}"
    );
}

#[test]
fn offset_binds_one_primary() {
    assert_eq!(ranged("x offset (100 + 2)"), "x offset 1m42s");
    assert_eq!(ranged("x offset (-2 ^ 2)"), "x offset -4s");
    assert_eq!(ranged("x offset (-2 * 2)"), "x offset -4s");
    assert_eq!(ranged("x offset -(2m)"), "x offset -2m");
    assert_eq!(ranged("x offset -step()*2"), "x offset -5s*2");
    assert_eq!(ranged("x offset (-step()*2)"), "x offset -10s");
    assert_eq!(ranged("x offset step()^0"), "x offset 5s^0");
    assert_eq!(
        ranged("x offset -min_of(step(), 1s)+8000"),
        "x offset -1s+8000"
    );
    assert_eq!(
        ranged("x offset -(min_of(step(), 2s)-5)+8000"),
        "x offset 3s+8000"
    );
    // An unsigned parenthesis continues into the operators after it, as upstream's parser
    // shifts them.
    assert_eq!(ranged("x offset (1m) * 2"), "x offset 2m");
}

#[test]
fn offset_is_found_only_after_an_operand() {
    assert_eq!(
        ranged("offset + offset offset (1m+1m)"),
        "offset + offset offset 2m"
    );
    assert_eq!(
        ranged("rate(x[5m] offset (1m+1m))"),
        "rate(x[5m] offset 2m)"
    );
    assert_eq!(
        ranged("x{a=\"b\"} @ 100 offset (1m+1m)"),
        "x{a=\"b\"} @ 100 offset 2m"
    );
    assert_eq!(ranged("x offset 0s"), "x offset 0");
    // A replacement never runs into a neighbouring word.
    assert_eq!(ranged("x offset(1m+1m)and y"), "x offset 2m and y");
}

#[test]
fn literal_errors_are_parse_errors_at_their_byte() {
    let cases = [
        ("x[0]", 2, "duration must be greater than 0"),
        ("x[-(5m)]", 2, "duration must be greater than 0"),
        ("x[5m:0s]", 5, "duration must be greater than 0"),
        ("x[5m/0]", 4, "division by zero"),
        ("x[5m % -(0)]", 5, "modulo by zero"),
        ("x[1e10]", 2, "duration out of range"),
        ("x[5mm]", 2, "unknown unit \"mm\" in duration \"5mm\""),
        ("x[5x]", 2, "bad number or duration syntax: \"5x\""),
        ("x offset (5m/0)", 12, "division by zero"),
    ];
    for (query, position, message) in cases {
        let (at, text) = failure(query);
        assert_eq!(at, Some(position), "{query:?}");
        assert_eq!(text, format!("parse error: {message}"), "{query:?}");
    }
}

#[test]
fn evaluation_errors_name_the_expression_range() {
    let cases = [
        ("x[1m-1m]", "2:7: duration must be greater than 0"),
        ("x[5m/(1-1)]", "2:10: division by zero"),
        ("x[5m%(1-1)]", "2:10: modulo by zero"),
        ("x[10^400]", "2:8: duration is out of range"),
        ("x offset (10^400)", "9:17: duration is out of range"),
    ];
    for (query, message) in cases {
        let (_, text) = failure(query);
        assert_eq!(text, message, "{query:?}");
    }
}

#[test]
fn malformed_brackets_are_errors_but_unknown_offsets_are_left_to_the_parser() {
    let (_, text) = failure("x[1m foo]");
    assert_eq!(
        text,
        "parse error: unexpected \"foo\" in duration expression"
    );
    let (at, _) = failure("x[]");
    assert_eq!(at, Some(2));
    let (_, text) = failure("x[5m:1m:1m]");
    assert_eq!(text, "parse error: unexpected \":\" in duration expression");
    assert_unchanged("x offset foo");
    assert_unchanged("x offset step");
}

#[test]
fn fractions_of_a_millisecond_are_truncated() {
    assert_eq!(ranged("x[2001ms/2]"), "x[1s]");
    assert_eq!(ranged("x[1ms/2]"), "x[0]");
    assert_eq!(ranged("x offset (-1ms/2)"), "x offset 0");
}

#[test]
fn rewritten_queries_parse() {
    let query = "sum_over_time(metric1_total[29s+1s:20*500ms] offset \
                 -(20*(((((8 - 2) / 3) * 7s) % 4) + 8000ms)))";
    let text = ranged(query);
    assert_eq!(text, "sum_over_time(metric1_total[30s:10s] offset -3m20s)");
    assert!(promql_parser::parser::parse(&text).is_ok(), "{text}");
}

/// Queries without duration arithmetic: selectors with awkward label values, plain ranges and
/// offsets, functions and operators.
fn plain_query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("x".to_owned()),
        Just("offset".to_owned()),
        Just("job:rate5m".to_owned()),
        "[a-z_][a-z0-9_]{0,6}",
    ];
    let value = prop_oneof![
        Just("[5m+1m]".to_owned()),
        Just("offset (1m)".to_owned()),
        Just("\\\"[\\\\".to_owned()),
        "[ -~&&[^\"\\\\]]{0,8}",
    ];
    let duration = prop_oneof![
        Just("5m".to_owned()),
        Just("1h30m".to_owned()),
        Just("100".to_owned()),
        Just("1.5".to_owned()),
        Just("250ms".to_owned()),
    ];
    let offset = prop_oneof![
        Just(String::new()),
        duration.clone().prop_map(|d| format!(" offset {d}")),
        duration.clone().prop_map(|d| format!(" offset -{d}")),
        Just(" @ 100".to_owned()),
    ];
    let selector = (name, value, prop::option::of(duration.clone()), offset).prop_map(
        |(name, value, range, offset)| {
            let range = range.map_or(String::new(), |r| format!("[{r}]"));
            format!("{name}{{l=\"{value}\"}}{range}{offset}")
        },
    );
    selector.prop_recursive(3, 12, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("rate({e})")),
            (inner.clone(), duration.clone()).prop_map(|(e, d)| format!("({e})[{d}:{d}]")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} / on(l) # c\n {b}")),
        ]
    })
}

proptest! {
    #[test]
    fn queries_without_duration_arithmetic_come_back_identical(query in plain_query()) {
        let out = rewrite(&query, START, END, STEP);
        prop_assert!(matches!(out, Ok(Cow::Borrowed(text)) if text == query), "{:?}", out);
    }

    #[test]
    fn any_text_is_handled_without_panicking(query in "\\PC{0,40}") {
        let _ = rewrite(&query, START, END, STEP);
    }

    #[test]
    fn sums_of_whole_seconds_print_back_exactly(a in 1i64..10_000_000, b in 0i64..10_000_000) {
        let b_text = if b == 0 { "0s".to_owned() } else { format_millis(b * 1000) };
        let query = format!("x[{}+{b_text}]", format_millis(a * 1000));
        prop_assert_eq!(ranged(&query), format!("x[{}]", format_millis((a + b) * 1000)));
    }

    /// Upstream adds in `f64` seconds and truncates to whole milliseconds, so a sum may come out
    /// one millisecond short; never more.
    #[test]
    fn sums_of_milliseconds_truncate_like_upstream(a in 1i64..1_000_000_000, b in 1i64..1_000_000_000) {
        let query = format!("x[{}+{}]", format_millis(a), format_millis(b));
        let exact = format!("x[{}]", format_millis(a + b));
        let short = format!("x[{}]", format_millis(a + b - 1));
        let out = ranged(&query);
        prop_assert!(out == exact || out == short, "{} gave {}", query, out);
    }

    #[test]
    fn printed_durations_parse_back(millis in prop_oneof![1i64..100_000, 1i64..9_223_372_036_854]) {
        prop_assert_eq!(parse_duration_millis(&format_millis(millis)), Ok(millis));
    }
}
