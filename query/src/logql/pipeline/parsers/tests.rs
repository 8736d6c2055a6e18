//! Stage-level tests: compiling parser stages from queries, and properties over random lines.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::test_sink::{TestSink, owned_pairs as pairs};
use super::*;
use crate::logql::syntax::{Expr, parse};

/// The first stage of `{app="x"} <pipeline>`.
fn stage(pipeline: &str) -> Stage {
    let query = format!(r#"{{app="x"}} {pipeline}"#);
    match parse(&query) {
        Ok(Expr::Log(log)) => log.stages.into_iter().next().unwrap(),
        other => panic!("{query}: {other:?}"),
    }
}

fn parser(pipeline: &str) -> LineParser {
    LineParser::from_stage(&stage(pipeline)).unwrap().unwrap()
}

fn run(pipeline: &str, line: &[u8]) -> (ParseOutcome, Vec<(String, String)>) {
    let mut sink = TestSink::new(&[("app", "x")]);
    let outcome = parser(pipeline).parse(line, &mut sink);
    (outcome, sink.parsed())
}

#[test]
fn every_parser_stage_compiles_and_other_stages_are_not_parsers() {
    for pipeline in [
        "| json",
        r#"| json a="b.c[0]", d"#,
        "| logfmt",
        "| logfmt --strict --keep-empty a",
        r#"| regexp "(?P<a>.)""#,
        r#"| pattern "<a> <_>""#,
        "| unpack",
        "| decolorize",
    ] {
        assert!(
            LineParser::from_stage(&stage(pipeline)).unwrap().is_some(),
            "{pipeline}"
        );
    }
    for pipeline in [
        r#"|= "x""#,
        r#"| a="b""#,
        r#"| line_format "{{.a}}""#,
        r#"| label_format a=b"#,
        "| keep a",
        "| drop a",
    ] {
        assert!(
            LineParser::from_stage(&stage(pipeline)).unwrap().is_none(),
            "{pipeline}"
        );
    }
}

#[test]
fn compile_errors_are_lokis() {
    let err = |pipeline: &str| {
        LineParser::from_stage(&stage(pipeline))
            .unwrap_err()
            .message
    };
    assert_eq!(
        err(r#"| json a="b..c""#),
        "cannot parse expression [b..c]: syntax error: unexpected DOT, expecting FIELD"
    );
    assert_eq!(
        err(r#"| logfmt a="b c""#),
        "cannot parse expression [b c]: syntax error: unexpected KEY"
    );
}

#[test]
fn stages_run_through_line_parser() {
    let (outcome, labels) = run("| json", br#"{"app":"y","n":{"m":1}}"#);
    assert_eq!(outcome, ParseOutcome::Unchanged);
    assert_eq!(labels, pairs(&[("app_extracted", "y"), ("n_m", "1")]));
    let (_, labels) = run(r#"| json first="list[0]""#, br#"{"list":["a","b"]}"#);
    assert_eq!(labels, pairs(&[("first", "a")]));
    let (_, labels) = run("| logfmt", b"level=info app=z");
    assert_eq!(labels, pairs(&[("level", "info"), ("app_extracted", "z")]));
    let (outcome, _) = run("| logfmt --strict", b"a=1 =b");
    assert_eq!(
        outcome,
        ParseOutcome::Failed {
            error: LOGFMT_PARSER_ERROR,
            details: "logfmt syntax error at pos 5 : unexpected '='".to_owned()
        }
    );
    let (_, labels) = run(
        r#"| regexp "(?P<verb>[A-Z]+) (?P<path>\\S+)""#,
        b"GET /x HTTP",
    );
    assert_eq!(labels, pairs(&[("verb", "GET"), ("path", "/x")]));
    let (_, labels) = run(r#"| pattern "<verb> <path> <_>""#, b"GET /x HTTP");
    assert_eq!(labels, pairs(&[("verb", "GET"), ("path", "/x")]));
    let (outcome, labels) = run("| unpack", br#"{"pod":"p","_entry":"line"}"#);
    assert_eq!(outcome, ParseOutcome::NewLine(b"line".to_vec()));
    assert_eq!(labels, pairs(&[("pod", "p")]));
    let (outcome, labels) = run("| decolorize", b"\x1b[1mbold\x1b[0m");
    assert_eq!(outcome, ParseOutcome::NewLine(b"bold".to_vec()));
    assert!(labels.is_empty());
}

#[test]
fn two_parsers_keep_the_first_value() {
    let json = parser("| json");
    let logfmt = parser("| logfmt");
    let mut sink = TestSink::new(&[]);
    let line = br#"{"level":"error","msg":"level=info caller=x"}"#;
    assert_eq!(json.parse(line, &mut sink), ParseOutcome::Unchanged);
    sink.next_stage();
    // logfmt reads the JSON line as garbage plus pairs; `level` stays json's
    logfmt.parse(b"level=info caller=x", &mut sink);
    assert_eq!(sink.get("level"), Some("error"));
    assert_eq!(sink.get("caller"), Some("x"));
}

#[test]
fn hostile_lines_end_without_deep_recursion() {
    let hostile = [
        "[".repeat(100_000),
        "{".repeat(100_000),
        r#"{"a":"#.repeat(100_000),
        format!("{}{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000)),
        format!("{{\"a\":{}", "[".repeat(100_000)),
        "\"".repeat(100_001),
        "a=\"".repeat(50_000),
        "<_>".repeat(30_000),
    ];
    let parsers = parsers_for_fuzzing();
    for line in &hostile {
        for parser in &parsers {
            let mut sink = TestSink::new(&[]);
            let _ = parser.parse(line.as_bytes(), &mut sink);
        }
    }
    let (outcome, _) = run("| json", hostile[3].as_bytes());
    assert_eq!(
        outcome,
        ParseOutcome::Failed {
            error: JSON_PARSER_ERROR,
            details: "JSON objects nested more than 128 levels deep".to_owned()
        }
    );
}

fn arbitrary_line() -> impl Strategy<Value = Vec<u8>> {
    let structural =
        prop::sample::select(b"{}[]\":,\\= \t\nu0aA_-.\x1b\xff\xc3\xa9\x9b1eE+tfnrl".to_vec());
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec(structural, 0..200),
        "[ -~]{0,120}".prop_map(String::into_bytes),
    ]
}

fn parsers_for_fuzzing() -> Vec<LineParser> {
    [
        "| json",
        r#"| json a="a", b="b[1]", c="x.y[0].z", d="[0]""#,
        "| logfmt",
        "| logfmt --strict --keep-empty",
        r#"| logfmt a, b="b", c="\"c\"""#,
        r#"| regexp "(?P<a>\\w+)=(?P<b>[^ ]*)""#,
        r#"| pattern "<a> <_>=<b>""#,
        "| unpack",
        "| decolorize",
    ]
    .iter()
    .map(|p| parser(p))
    .collect()
}

proptest! {
    #[test]
    fn random_lines_never_panic(line in arbitrary_line()) {
        for parser in parsers_for_fuzzing() {
            let mut sink = TestSink::new(&[("a", "x"), ("level", "y")]);
            let outcome = parser.parse(&line, &mut sink);
            if let ParseOutcome::Failed { error, .. } = outcome {
                prop_assert!(error == JSON_PARSER_ERROR || error == LOGFMT_PARSER_ERROR);
            }
        }
        let filter = PatternMatcher::new("<_> = <_>").unwrap();
        let _ = filter.matches(&line);
    }

    #[test]
    fn json_objects_round_trip_their_string_values(
        fields in prop::collection::btree_map(
            "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
            "[^\u{FFFD}]{0,24}",
            0..12,
        ),
        pretty in any::<bool>(),
    ) {
        let line = if pretty {
            serde_json::to_vec_pretty(&fields)
        } else {
            serde_json::to_vec(&fields)
        };
        let line = line.unwrap();
        let mut sink = TestSink::new(&[]);
        prop_assert_eq!(parser("| json").parse(&line, &mut sink), ParseOutcome::Unchanged);
        let got: BTreeMap<String, String> = sink.parsed().into_iter().collect();
        prop_assert_eq!(got, fields);
    }

    #[test]
    fn json_paths_find_what_the_whole_object_parser_finds(
        fields in prop::collection::btree_map("[a-z]{1,6}", "[ -~é😀]{0,12}", 1..8),
    ) {
        let line = serde_json::to_vec(&serde_json::json!({ "outer": fields })).unwrap();
        for (key, value) in &fields {
            let stage = format!(r#"| json v="outer[\"{key}\"]""#);
            let mut sink = TestSink::new(&[]);
            parser(&stage).parse(&line, &mut sink);
            prop_assert_eq!(sink.get("v"), Some(value.as_str()));
        }
    }

    #[test]
    fn logfmt_round_trips_quoted_values(
        fields in prop::collection::btree_map(
            "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
            "[^\u{FFFD}]{0,24}",
            0..12,
        ),
    ) {
        let line = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut sink = TestSink::new(&[]);
        let outcome = parser("| logfmt --strict --keep-empty").parse(line.as_bytes(), &mut sink);
        prop_assert_eq!(outcome, ParseOutcome::Unchanged);
        let got: BTreeMap<String, String> = sink.parsed().into_iter().collect();
        prop_assert_eq!(got, fields);
    }
}
