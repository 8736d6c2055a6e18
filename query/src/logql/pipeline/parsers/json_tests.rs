use super::super::test_sink::{TestSink, sorted_pairs as pairs};
use super::*;

fn run(stream: &[(&str, &str)], line: &str) -> (ParseOutcome, Vec<(String, String)>) {
    run_bytes(stream, line.as_bytes())
}

fn run_bytes(stream: &[(&str, &str)], line: &[u8]) -> (ParseOutcome, Vec<(String, String)>) {
    let mut sink = TestSink::new(stream);
    let outcome = JsonParser.parse(line, &mut sink);
    (outcome, sink.parsed_sorted())
}

fn failed(details: &str) -> ParseOutcome {
    ParseOutcome::Failed {
        error: JSON_PARSER_ERROR,
        details: details.to_owned(),
    }
}

#[test]
fn the_documented_example_flattens_nested_objects_and_skips_arrays() {
    let line = r#"{
        "protocol": "HTTP/2.0",
        "servers": ["129.0.1.1","10.2.1.3"],
        "request": {
            "time": "6.032",
            "method": "GET",
            "host": "foo.grafana.net",
            "size": "55",
            "headers": {
              "Accept": "*/*",
              "User-Agent": "curl/7.68.0"
            }
        },
        "response": {
            "status": 401,
            "size": "228",
            "latency_seconds": "6.031"
        }
    }"#;
    let (outcome, labels) = run(&[], line);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(
        labels,
        pairs(&[
            ("protocol", "HTTP/2.0"),
            ("request_time", "6.032"),
            ("request_method", "GET"),
            ("request_host", "foo.grafana.net"),
            ("request_size", "55"),
            ("request_headers_Accept", "*/*"),
            ("request_headers_User_Agent", "curl/7.68.0"),
            ("response_status", "401"),
            ("response_size", "228"),
            ("response_latency_seconds", "6.031"),
        ])
    );
    let (_, labels) = run(&[], r#"{ "a.b": {"c": "d"}, "e": "f" }"#);
    assert_eq!(labels, pairs(&[("a_b_c", "d"), ("e", "f")]));
}

#[test]
fn lokis_json_parser_cases() {
    let (_, labels) = run(
        &[],
        r#"{"app":"foo","namespace":"prod","pod":{"uuid":"foo","deployment":{"ref":"foobar"}}}"#,
    );
    assert_eq!(
        labels,
        pairs(&[
            ("app", "foo"),
            ("namespace", "prod"),
            ("pod_uuid", "foo"),
            ("pod_deployment_ref", "foobar"),
        ])
    );
    let (_, labels) = run(&[], r#"{"counter":1, "price": {"_net_":5.56909}}"#);
    assert_eq!(
        labels,
        pairs(&[("counter", "1"), ("price__net_", "5.56909")])
    );
    let (_, labels) = run(&[], r#"{"counter":1, "price": {"net_":["10","20"]}}"#);
    assert_eq!(labels, pairs(&[("counter", "1")]));
    let (_, labels) = run(&[], r#"{"cou-nter":1}"#);
    assert_eq!(labels, pairs(&[("cou_nter", "1")]));
    let (_, labels) = run(&[], r#"{" ": {"foo":"bar"}}"#);
    assert_eq!(labels, pairs(&[("foo", "bar")]));
    let (_, labels) = run(&[], r#"{"counter":1,"foo":"foo\\\"bar"}"#);
    assert_eq!(labels, pairs(&[("counter", "1"), ("foo", r#"foo\"bar"#)]));
}

#[test]
fn stream_labels_get_the_suffix() {
    let (_, labels) = run(
        &[("app", "bar")],
        r#"{"app":"foo","namespace":"prod","next":{"err":false}}"#,
    );
    assert_eq!(
        labels,
        pairs(&[
            ("app_extracted", "foo"),
            ("namespace", "prod"),
            ("next_err", "false")
        ])
    );
}

#[test]
fn values_are_read_like_lokis() {
    let (_, labels) = run(
        &[],
        r#"{"s":"a\u00e9\n","n":-1.5e3,"t":true,"f":false,"z":null,"bad":"\q","odd":1x}"#,
    );
    assert_eq!(
        labels,
        pairs(&[
            ("s", "aé\n"),
            ("n", "-1.5e3"),
            ("t", "true"),
            ("f", "false"),
            ("bad", ""),
            ("odd", "1x"),
        ])
    );
    // a rune error, written or escaped, becomes a space
    let (_, labels) = run(&[], "{\"foo\":\"\u{FFFD}\",\"bar\":\"a\\ud800b\"}");
    assert_eq!(labels, pairs(&[("foo", " "), ("bar", "")]));
    let (_, labels) = run_bytes(&[], b"{\"foo\":\"a\xffb\"}");
    assert_eq!(labels, pairs(&[("foo", "a b")]));
}

#[test]
fn keys_are_sanitized() {
    let (_, labels) = run(
        &[],
        r#"{"1st":"a","x":{"2nd":"b"},"ÜFT8👌":"c","esc\u0041pe":"d","":"e"}"#,
    );
    assert_eq!(
        labels,
        pairs(&[
            ("_1st", "a"),
            ("x_2nd", "b"),
            ("_FT8_", "c"),
            ("escApe", "d")
        ])
    );
    // a white-space key adds nothing to the prefix
    let (_, labels) = run(&[], r#"{"a":{" ":{"b":1}}}"#);
    assert_eq!(labels, pairs(&[("a__b", "1")]));
}

#[test]
fn a_repeated_key_overwrites_within_the_stage_but_not_an_earlier_stage() {
    let (_, labels) = run(&[], r#"{"name":"text1","name":"duplicate"}"#);
    assert_eq!(labels, pairs(&[("name", "duplicate")]));
    let mut sink = TestSink::new(&[]);
    sink.set_parsed("level", "from_logfmt");
    sink.next_stage();
    let outcome = JsonParser.parse(br#"{"level":"info","msg":"m"}"#, &mut sink);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(sink.get("level"), Some("from_logfmt"));
    assert_eq!(sink.get("msg"), Some("m"));
}

#[test]
fn lines_that_are_not_objects_fail_with_jsonparsers_errors() {
    let object = "Value looks like object, but can't find closing '}' symbol";
    assert_eq!(run(&[], "{n}").0, failed(object));
    assert_eq!(run(&[], "").0, failed(object));
    assert_eq!(run(&[], "   ").0, failed(object));
    assert_eq!(run(&[], "level=info msg=hello").0, failed(object));
    assert_eq!(run(&[], r#"["a"]"#).0, failed(object));
    assert_eq!(run(&[], r#""text""#).0, failed(object));
    assert_eq!(run(&[], "{").0, failed("Malformed JSON error"));
    assert_eq!(run(&[], r#"{"a":tru}"#).0, failed("Unknown value type"));
    assert_eq!(
        run(&[], r#"{"a":"x"#).0,
        failed("Value is string, but can't find closing '\"' symbol")
    );
    assert_eq!(
        run(&[], r#"{"a":[1,2}"#).0,
        failed("Value is array, but can't find closing ']' symbol")
    );
    assert_eq!(
        run(&[], r#"{"a\q":1}"#).0,
        failed("Encountered an invalid escape sequence in a string")
    );
    assert_eq!(run(&[], r#"{"a":1}"#).0, ParseOutcome::Unchanged);
    assert_eq!(run(&[], r#"{}"#).0, ParseOutcome::Unchanged);
}

#[test]
fn labels_read_before_a_failure_stay() {
    let (outcome, labels) = run(&[], r#"{"a":"1","b":{"c":2,"d":tru}}"#);
    assert_eq!(outcome, failed("Unknown value type"));
    assert_eq!(labels, pairs(&[("a", "1"), ("b_c", "2")]));
    // a nested object that does not close fails before any of its fields is read
    let (outcome, labels) = run(&[], r#"{"a":"1","b":{"c":2"#);
    assert_eq!(
        outcome,
        failed("Value looks like object, but can't find closing '}' symbol")
    );
    assert_eq!(labels, pairs(&[("a", "1")]));
}

#[test]
fn deep_nesting_is_bounded() {
    let depth = 100_000;
    let line = format!(
        "{}\"x\":1{}",
        "{\"a\":".repeat(depth) + "{",
        "}".repeat(depth + 1)
    );
    let (outcome, labels) = run(&[], &line);
    assert_eq!(outcome, failed(&JsonError::TooDeep.to_string()));
    assert!(labels.is_empty());
    let within = MAX_NESTING - 1;
    let line = format!(
        "{}\"x\":1{}",
        "{\"a\":".repeat(within) + "{",
        "}".repeat(within + 1)
    );
    let (outcome, labels) = run(&[], &line);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(labels.len(), 1);
    let hostile = "[".repeat(100_000);
    assert_eq!(
        run(&[], &format!("{{\"a\":{hostile}")).0,
        failed("Value is array, but can't find closing ']' symbol")
    );
    assert_eq!(
        run(&[], &"{\"a\":".repeat(100_000)).0,
        failed("Value looks like object, but can't find closing '}' symbol")
    );
}
