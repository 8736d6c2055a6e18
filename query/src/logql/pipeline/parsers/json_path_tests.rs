use super::super::test_sink::{TestSink, owned_pairs as pairs};
use super::*;

const LOKI_LINE: &str = r#"{"app":"foo","field with space":"value","field with ÜFT8👌":"value","null_field":null,"bool_field":false,"namespace":"prod","pod":{"uuid":"foo","deployment":{"ref":"foobar", "params": [1,2,3,"string_value"]}}}"#;

fn parser(extractions: &[(&str, &str)]) -> JsonPathParser {
    let extractions: Vec<_> = extractions
        .iter()
        .map(|(label, expression)| LabelExtraction {
            label: (*label).to_owned(),
            expression: (*expression).to_owned(),
        })
        .collect();
    JsonPathParser::new(&extractions).unwrap()
}

fn run(
    extractions: &[(&str, &str)],
    stream: &[(&str, &str)],
    line: &str,
) -> (ParseOutcome, Vec<(String, String)>) {
    let mut sink = TestSink::new(stream);
    let outcome = parser(extractions).parse(line.as_bytes(), &mut sink);
    (outcome, sink.parsed())
}

fn labels(extractions: &[(&str, &str)], line: &str) -> Vec<(String, String)> {
    let (outcome, labels) = run(extractions, &[], line);
    assert_eq!(outcome, ParseOutcome::Unchanged, "{line}");
    labels
}

#[test]
fn lokis_expression_cases() {
    let cases: &[(&str, &str, &str)] = &[
        ("app", "app", "foo"),
        ("test", r#"["field with space"]"#, "value"),
        ("utf8", r#"["field with ÜFT8👌"]"#, "value"),
        ("uuid", "pod.uuid", "foo"),
        ("uuid", r#"pod["uuid"]"#, "foo"),
        ("uuid", r#"["pod"]["uuid"]"#, "foo"),
        ("uuid", r#"["pod"].uuid"#, "foo"),
        ("param", "pod.deployment.params[0]", "1"),
        ("undefined", r#"pod[""]"#, ""),
        ("param", r#"pod.deployment.params[""]"#, ""),
        ("param", "pod.deployment.params[3]", "string_value"),
        (
            "params",
            "pod.deployment.params",
            r#"[1,2,3,"string_value"]"#,
        ),
        (
            "deployment",
            "pod.deployment",
            r#"{"ref":"foobar", "params": [1,2,3,"string_value"]}"#,
        ),
        ("nope", "pod.nope", ""),
        ("nf", "null_field", ""),
        ("bool", "bool_field", "false"),
    ];
    for (label, expression, value) in cases {
        assert_eq!(
            labels(&[(label, expression)], LOKI_LINE),
            pairs(&[(label, value)]),
            "{expression}"
        );
    }
    assert_eq!(
        labels(&[("app", "app"), ("namespace", "namespace")], LOKI_LINE),
        pairs(&[("app", "foo"), ("namespace", "prod")])
    );
}

#[test]
fn the_documented_examples() {
    let line = r#"{"protocol": "HTTP/2.0", "servers": ["129.0.1.1","10.2.1.3"],
        "request": {"time": "6.032", "headers": {"Accept": "*/*", "User-Agent": "curl/7.68.0"}}}"#;
    assert_eq!(
        labels(
            &[
                ("first_server", "servers[0]"),
                ("ua", r#"request.headers["User-Agent"]"#)
            ],
            line
        ),
        pairs(&[("first_server", "129.0.1.1"), ("ua", "curl/7.68.0")])
    );
    assert_eq!(
        labels(
            &[("server_list", "servers"), ("headers", "request.headers")],
            line
        ),
        pairs(&[
            ("server_list", r#"["129.0.1.1","10.2.1.3"]"#),
            (
                "headers",
                r#"{"Accept": "*/*", "User-Agent": "curl/7.68.0"}"#
            ),
        ])
    );
}

#[test]
fn escaped_values() {
    assert_eq!(
        labels(
            &[("app", "app")],
            r#"{"app":"{ \"key\": \"value\", \"key2\":\"value2\"}"}"#
        ),
        pairs(&[("app", r#"{ "key": "value", "key2":"value2"}"#)])
    );
    assert_eq!(
        labels(&[("app", "app")], r#"{"app":{"name":"great \"loki\""}}"#),
        pairs(&[("app", r#"{"name":"great \"loki\""}"#)])
    );
    assert_eq!(
        labels(
            &[("app", "app")],
            r#"{"app":"{\"name\":\"great \\\"loki\\\"\"}"}"#
        ),
        pairs(&[("app", r#"{"name":"great \"loki\""}"#)])
    );
    // expression strings have no escapes: this one is the key `a\`
    assert_eq!(
        labels(&[("k", r#"["a\"]"#)], r#"{"a\\":1}"#),
        pairs(&[("k", "1")])
    );
    assert_eq!(
        labels(&[("k", "k")], "{\"k\":\"x\u{FFFD}y\"}"),
        pairs(&[("k", "x y")])
    );
}

#[test]
fn stream_labels_and_earlier_parsers() {
    let (_, got) = run(&[("uuid", "pod.uuid")], &[("uuid", "bar")], LOKI_LINE);
    assert_eq!(got, pairs(&[("uuid_extracted", "foo")]));
    let (_, got) = run(
        &[("request_size", "request.size.invalid")],
        &[("uuid", "bar")],
        LOKI_LINE,
    );
    assert_eq!(got, pairs(&[("request_size", "")]));
    // a missing path leaves a stream label alone
    let (_, got) = run(&[("uuid", "will.not.work")], &[("uuid", "bar")], LOKI_LINE);
    assert_eq!(got, pairs(&[]));
    // a requested label overrides an earlier parser; a missing one does not blank it
    let mut sink = TestSink::new(&[]);
    sink.set_parsed("app", "earlier");
    sink.set_parsed("gone", "earlier");
    sink.next_stage();
    let outcome =
        parser(&[("app", "app"), ("gone", "nope")]).parse(LOKI_LINE.as_bytes(), &mut sink);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(sink.get("app"), Some("foo"));
    assert_eq!(sink.get("gone"), Some("earlier"));
    // two extractions of one label: the found value is not blanked by the missing one
    assert_eq!(
        labels(&[("a", "app"), ("a", "missing")], LOKI_LINE),
        pairs(&[("a", "foo")])
    );
}

#[test]
fn line_shapes() {
    assert_eq!(
        labels(&[("uuid", "pod.uuid")], "{}"),
        pairs(&[("uuid", "")])
    );
    let (outcome, got) = run(&[("uuid", "will.not.work")], &[("foo", "bar")], "");
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert!(got.is_empty());
    let (outcome, got) = run(&[("uuid", "pod.uuid")], &[], "invalid json");
    assert_eq!(
        outcome,
        ParseOutcome::Failed {
            error: JSON_PARSER_ERROR,
            details: String::new()
        }
    );
    assert!(got.is_empty());
    assert_eq!(
        run(&[("a", "a")], &[], r#" {"a":1}"#).0,
        run(&[("a", "a")], &[], "x").0
    );
    assert_eq!(
        labels(&[("first", "[0]")], r#"[1,2]"#),
        pairs(&[("first", "1")])
    );
    assert_eq!(
        labels(&[("first", "[0]")], r#"{"a":1}"#),
        pairs(&[("first", "")])
    );
    assert_eq!(
        labels(&[("a", "a")], r#""just a string""#),
        pairs(&[("a", "")])
    );
    assert_eq!(
        labels(&[("x", "a[1].b")], r#"{"a":[{"b":1},{"b":2}]}"#),
        pairs(&[("x", "2")])
    );
    assert_eq!(
        labels(&[("x", "a.b")], r#"{"a":1,"a":{"b":2}}"#),
        pairs(&[("x", "2")])
    );
    assert_eq!(
        labels(&[("x", "a")], r#"{"a":1,"a":2}"#),
        pairs(&[("x", "1")])
    );
}

#[test]
fn a_malformed_value_at_a_path_is_an_error() {
    let (outcome, got) = run(&[("a", "a"), ("b", "b")], &[], r#"{"b":"ok","a":tru}"#);
    assert_eq!(
        outcome,
        ParseOutcome::Failed {
            error: JSON_PARSER_ERROR,
            details: "Unknown value type".to_owned()
        }
    );
    assert_eq!(got, pairs(&[("b", "ok"), ("a", "")]));
    // malformed data before the value is "not found"
    assert_eq!(
        labels(&[("a", "x.a")], r#"{"x":{"q":tru,"a":1}}"#),
        pairs(&[("a", "")])
    );
}

#[test]
fn bad_expressions_and_labels_are_refused() {
    let err = |label: &str, expression: &str| {
        JsonPathParser::new(&[LabelExtraction {
            label: label.to_owned(),
            expression: expression.to_owned(),
        }])
        .unwrap_err()
        .message
    };
    assert_eq!(
        err("app", "field with space"),
        "cannot parse expression [field with space]: syntax error: unexpected FIELD"
    );
    assert_eq!(
        err("app", "pod..uuid"),
        "cannot parse expression [pod..uuid]: syntax error: unexpected DOT, expecting FIELD"
    );
    assert_eq!(err("a-b", "x"), "invalid extracted label name 'a-b'");
}

#[test]
fn many_extractions_are_tracked() {
    let extractions: Vec<(String, String)> = (0..70)
        .map(|i| (format!("l{i}"), format!("k{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = extractions
        .iter()
        .map(|(l, e)| (l.as_str(), e.as_str()))
        .collect();
    let got = labels(&refs, r#"{"k3":"three","k68":"sixty-eight"}"#);
    assert_eq!(got.len(), 70);
    assert!(got.contains(&("l3".to_owned(), "three".to_owned())));
    assert!(got.contains(&("l68".to_owned(), "sixty-eight".to_owned())));
    assert!(got.contains(&("l69".to_owned(), String::new())));
}
