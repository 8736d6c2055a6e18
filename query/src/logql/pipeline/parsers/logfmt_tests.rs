use super::super::test_sink::{TestSink, sorted_pairs as pairs};
use super::*;

fn stage(strict: bool, keep_empty: bool, extractions: &[(&str, &str)]) -> LogfmtStage {
    LogfmtStage::new(&LogfmtParser {
        strict,
        keep_empty,
        extractions: extractions
            .iter()
            .map(|(label, expression)| LabelExtraction {
                label: (*label).to_owned(),
                expression: (*expression).to_owned(),
            })
            .collect(),
    })
    .unwrap()
}

fn run_stage(
    stage: &LogfmtStage,
    stream: &[(&str, &str)],
    line: &[u8],
) -> (ParseOutcome, Vec<(String, String)>) {
    let mut sink = TestSink::new(stream);
    let outcome = stage.parse(line, &mut sink);
    (outcome, sink.parsed_sorted())
}

fn failed(details: &str) -> ParseOutcome {
    ParseOutcome::Failed {
        error: LOGFMT_PARSER_ERROR,
        details: details.to_owned(),
    }
}

/// Label pairs as written in a test case.
type Labels = &'static [(&'static str, &'static str)];

/// A logfmt case: line, stream, labels, and under `--strict` the labels and error when they
/// differ.
type Case = (&'static str, Labels, Labels, Option<(Labels, &'static str)>);

/// Loki's `TestLogfmtParser_parse` cases.
const LOKI_CASES: &[Case] = &[
    (
        "foobar====wqe=sdad1r",
        &[("foo", "bar")],
        &[],
        Some((&[], "logfmt syntax error at pos 8 : unexpected '='")),
    ),
    (
        "buzz=foo bar=\u{FFFD}f",
        &[],
        &[("bar", " f"), ("buzz", "foo")],
        None,
    ),
    ("buzz bar=foo", &[("foo", "bar")], &[("bar", "foo")], None),
    (
        r#"foobar="foo bar""#,
        &[("foo", "bar")],
        &[("foobar", "foo bar")],
        None,
    ),
    (
        r#"foobar="foo\nbar\tbaz""#,
        &[],
        &[("foobar", "foo\nbar\tbaz")],
        None,
    ),
    (
        "foobar=\"foo\nbar\tbaz\"",
        &[],
        &[("foobar", "foo\nbar\tbaz")],
        None,
    ),
    (
        r#"foobar="foo ba\\r baz""#,
        &[],
        &[("foobar", r"foo ba\r baz")],
        None,
    ),
    (
        r#"foobar="foo bar" latency=10ms"#,
        &[],
        &[("foobar", "foo bar"), ("latency", "10ms")],
        None,
    ),
    (
        r#"foobar="foo bar" foobar=10ms"#,
        &[],
        &[("foobar", "10ms")],
        None,
    ),
    (
        r#"foo="foo bar" foobar=10ms"#,
        &[("foo", "bar")],
        &[("foo_extracted", "foo bar"), ("foobar", "10ms")],
        None,
    ),
    (
        r#"foo="foo bar" foo.bar=10ms test-dash=foo"#,
        &[("foo", "bar")],
        &[
            ("foo_extracted", "foo bar"),
            ("foo_bar", "10ms"),
            ("test_dash", "foo"),
        ],
        None,
    ),
    ("", &[("foo", "bar")], &[], None),
    (
        r#"foo="foo bar" =notkey bar=10ms"#,
        &[("foo", "bar")],
        &[("foo_extracted", "foo bar"), ("bar", "10ms")],
        Some((
            &[("foo_extracted", "foo bar")],
            "logfmt syntax error at pos 15 : unexpected '='",
        )),
    ),
    (
        "foo=\"foo bar\" b\u{FFFD}r=10ms",
        &[("foo", "bar")],
        &[("foo_extracted", "foo bar")],
        Some((
            &[("foo_extracted", "foo bar")],
            "logfmt syntax error at pos 20 : invalid key",
        )),
    ),
    (
        r#"foo="foo bar" bu"zz=10ms"#,
        &[("foo", "bar")],
        &[("foo_extracted", "foo bar")],
        Some((
            &[("foo_extracted", "foo bar")],
            "logfmt syntax error at pos 17 : unexpected '\"'",
        )),
    ),
    (
        r#"bar=bu=zz foo="foo bar""#,
        &[("foo", "bar")],
        &[("foo_extracted", "foo bar")],
        Some((&[], "logfmt syntax error at pos 7 : unexpected '='")),
    ),
];

#[test]
fn lokis_logfmt_cases_lenient_and_strict() {
    let (lenient, strict) = (stage(false, false, &[]), stage(true, false, &[]));
    for (line, stream, want, want_strict) in LOKI_CASES {
        let got = run_stage(&lenient, stream, line.as_bytes());
        assert_eq!(got, (ParseOutcome::Unchanged, pairs(want)), "{line}");
        let got = run_stage(&strict, stream, line.as_bytes());
        let expected = match want_strict {
            Some((labels, error)) => (failed(error), pairs(labels)),
            None => (ParseOutcome::Unchanged, pairs(want)),
        };
        assert_eq!(got, expected, "--strict {line}");
    }
}

#[test]
fn the_documented_example() {
    let line = br#"at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200"#;
    let (_, labels) = run_stage(&stage(false, false, &[]), &[], line);
    assert_eq!(
        labels,
        pairs(&[
            ("at", "info"),
            ("method", "GET"),
            ("path", "/"),
            ("host", "grafana.net"),
            ("fwd", "124.133.124.161"),
            ("service", "8ms"),
            ("status", "200"),
        ])
    );
    let (_, labels) = run_stage(
        &stage(false, false, &[("host", "host"), ("fwd_ip", "fwd")]),
        &[],
        line,
    );
    assert_eq!(
        labels,
        pairs(&[("host", "grafana.net"), ("fwd_ip", "124.133.124.161")])
    );
}

#[test]
fn keep_empty_keeps_keys_without_values() {
    for strict in [false, true] {
        let line = b"foo bar=buzz";
        let (_, labels) = run_stage(&stage(strict, false, &[]), &[("foo", "bar")], line);
        assert_eq!(labels, pairs(&[("bar", "buzz")]));
        let (_, labels) = run_stage(&stage(strict, true, &[]), &[("foo", "bar")], line);
        assert_eq!(labels, pairs(&[("foo_extracted", ""), ("bar", "buzz")]));
        let line = "foo=b\u{FFFD}r bar=buzz".as_bytes();
        for keep_empty in [false, true] {
            let (_, labels) = run_stage(&stage(strict, keep_empty, &[]), &[("foo", "bar")], line);
            assert_eq!(labels, pairs(&[("bar", "buzz"), ("foo_extracted", "b r")]));
        }
        let (_, labels) = run_stage(&stage(strict, true, &[]), &[], br#"a= b="" c"#);
        assert_eq!(labels, pairs(&[("a", ""), ("b", ""), ("c", "")]));
    }
}

#[test]
fn lokis_expression_cases() {
    let line = "app=foo level=error spaces=\"value with ÜFT8👌\" ts=2021-02-12T19:18:10.037940878Z"
        .as_bytes();
    // extractions, stream, labels
    let cases: &[(Labels, Labels, Labels)] = &[
        (&[("app", "app")], &[], &[("app", "foo")]),
        (
            &[("app", "app"), ("level", "level"), ("ts", "ts")],
            &[],
            &[
                ("app", "foo"),
                ("level", "error"),
                ("ts", "2021-02-12T19:18:10.037940878Z"),
            ],
        ),
        (&[("test", "level")], &[], &[("test", "error")]),
        (
            &[("app", "app"), ("lvl", "level"), ("timestamp", "ts")],
            &[],
            &[
                ("app", "foo"),
                ("lvl", "error"),
                ("timestamp", "2021-02-12T19:18:10.037940878Z"),
            ],
        ),
        (
            &[("spaces", "spaces")],
            &[],
            &[("spaces", "value with ÜFT8👌")],
        ),
        (&[("nope", "nope")], &[], &[("nope", "")]),
        (&[("app", "app")], &[("ap", "bar")], &[("app", "foo")]),
        (
            &[("app", "app")],
            &[("app", "bar")],
            &[("app_extracted", "foo")],
        ),
        (
            &[("lvl", "level")],
            &[("level", "debug")],
            &[("lvl", "error")],
        ),
    ];
    for (extractions, stream, want) in cases {
        let got = run_stage(&stage(false, false, extractions), stream, line);
        assert_eq!(
            got,
            (ParseOutcome::Unchanged, pairs(want)),
            "{extractions:?}"
        );
    }
}

#[test]
fn expressions_map_keys_to_labels() {
    // a value with a rune error gives "", a repeated key the last value
    let got = run_stage(
        &stage(false, false, &[("a", "a"), ("b", "b")]),
        &[],
        "a=x\u{FFFD} b=1 b=2".as_bytes(),
    );
    assert_eq!(got.1, pairs(&[("a", ""), ("b", "2")]));
    // a key named like a label but not its expression does not set it
    let got = run_stage(
        &stage(false, false, &[("lvl", "level")]),
        &[],
        b"lvl=x level=y",
    );
    assert_eq!(got.1, pairs(&[("lvl", "y")]));
    // keys are compared once sanitized; a multi-token expression names no key
    let got = run_stage(
        &stage(false, false, &[("d", "a_b"), ("n", r#""a" "b""#)]),
        &[],
        b"a.b=1 a=2",
    );
    assert_eq!(got.1, pairs(&[("d", "1"), ("n", "")]));
    // a key an earlier parser extracted is skipped unless it is a requested label
    let mut sink = TestSink::new(&[]);
    sink.set_parsed("fwd", "earlier");
    sink.set_parsed("host", "earlier");
    sink.next_stage();
    let logfmt = stage(false, false, &[("fwd_ip", "fwd"), ("host", "host")]);
    let outcome = logfmt.parse(b"fwd=1.2.3.4 host=h", &mut sink);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(sink.get("fwd_ip"), Some(""));
    assert_eq!(sink.get("host"), Some("h"));
    // --strict stops at the first malformed pair
    let got = run_stage(
        &stage(true, false, &[("a", "a"), ("c", "c")]),
        &[],
        br#"a=1 b"=2 c=3"#,
    );
    assert_eq!(
        got,
        (
            failed("logfmt syntax error at pos 6 : unexpected '\"'"),
            pairs(&[("a", "1"), ("c", "")])
        )
    );
}

#[test]
fn a_repeated_key_does_not_override_an_earlier_stage() {
    let mut sink = TestSink::new(&[]);
    sink.set_parsed("level", "from_json");
    sink.next_stage();
    let outcome = stage(false, false, &[]).parse(b"level=info msg=hi", &mut sink);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(sink.get("level"), Some("from_json"));
    assert_eq!(sink.get("msg"), Some("hi"));
}

#[test]
fn expression_errors_have_lokis_texts() {
    let err = |expression: &str| {
        LogfmtStage::new(&LogfmtParser {
            extractions: vec![LabelExtraction {
                label: "x".to_owned(),
                expression: expression.to_owned(),
            }],
            ..LogfmtParser::default()
        })
        .unwrap_err()
        .message
    };
    assert_eq!(
        err("field with space"),
        "cannot parse expression [field with space]: syntax error: unexpected KEY"
    );
    assert_eq!(
        err("a.b"),
        "cannot parse expression [a.b]: unexpected char ."
    );
    assert_eq!(
        err(""),
        "cannot parse expression []: syntax error: unexpected $end, expecting STRING or KEY"
    );
    assert_eq!(
        err(".a"),
        "cannot parse expression [.a]: syntax error: unexpected $end, expecting STRING or KEY"
    );
    assert_eq!(
        parse_key_expression(r#""124.133.52.161""#),
        Ok(Some("124.133.52.161".to_owned()))
    );
    assert_eq!(
        parse_key_expression(r#""missing closure"#),
        Ok(Some("missing closure".to_owned()))
    );
    assert_eq!(parse_key_expression("utf8"), Ok(Some("utf8".to_owned())));
    assert_eq!(parse_key_expression(r#"k "s""#), Ok(None));
    let bad_label = LogfmtStage::new(&LogfmtParser {
        extractions: vec![LabelExtraction {
            label: "1x".to_owned(),
            expression: "x".to_owned(),
        }],
        ..LogfmtParser::default()
    });
    assert_eq!(
        bad_label.unwrap_err().message,
        "invalid extracted label name '1x'"
    );
}
