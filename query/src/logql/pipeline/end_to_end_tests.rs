//! Pipelines of parsers and the other stages together, on the examples of Loki's "Log
//! queries" and "Metric queries" documentation pages.

use model::{Labels, LogEntry};

use super::*;
use crate::logql::syntax::{Expr, SampleExpr, parse};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

/// Runs `line` of `stream` through the whole pipeline of `query` (a log query).
fn run(query: &str, stream: &[(&str, &str)], line: &str) -> Option<(String, Labels)> {
    let Ok(Expr::Log(log)) = parse(query) else {
        panic!("{query}")
    };
    let pipeline = Pipeline::new(&log.stages).unwrap();
    let stream = labels(stream);
    let mut sp = pipeline.for_stream(&stream);
    sp.process(&LogEntry::new(1_700_000_000_000_000_000, line))
        .map(|out| {
            (
                String::from_utf8_lossy(out.line).into_owned(),
                out.labels.clone(),
            )
        })
}

/// Runs `lines` through the extractor of `query` (a range aggregation).
fn samples(query: &str, stream: &[(&str, &str)], lines: &[&str]) -> Vec<(f64, Labels)> {
    let Ok(Expr::Sample(SampleExpr::RangeAggregation(agg))) = parse(query) else {
        panic!("{query}")
    };
    let extractor = SampleExtractor::new(&agg.range, agg.op, agg.grouping.as_ref()).unwrap();
    let stream = labels(stream);
    let mut se = extractor.for_stream(&stream);
    lines
        .iter()
        .filter_map(|line| {
            se.process(&LogEntry::new(0, *line))
                .map(|(v, l)| (v, l.clone()))
        })
        .collect()
}

const STREAM: &[(&str, &str)] = &[("app", "api"), ("level", "info")];

#[test]
fn json_then_a_label_filter_then_line_format() {
    let query = r#"{app="api"} | json | status >= 500 | line_format "{{.method}} {{.path}} -> {{.status}}""#;
    let out = run(
        query,
        STREAM,
        r#"{"method":"POST","path":"/orders","status":503,"level":"error"}"#,
    )
    .unwrap();
    assert_eq!(out.0, "POST /orders -> 503");
    assert_eq!(
        out.1,
        labels(&[
            ("app", "api"),
            ("level", "info"),
            // The stream already has `level`.
            ("level_extracted", "error"),
            ("method", "POST"),
            ("path", "/orders"),
            ("status", "503"),
        ])
    );
    assert!(run(query, STREAM, r#"{"method":"GET","path":"/","status":200}"#).is_none());
}

#[test]
fn a_line_that_is_not_json_keeps_going_with_an_error() {
    let (line, out) = run(r#"{app="api"} | json"#, STREAM, "plain text").unwrap();
    assert_eq!(line, "plain text");
    assert_eq!(out.get("__error__"), Some("JSONParserErr"));
    assert!(out.get("__error_details__").is_some());
    assert!(run(r#"{app="api"} | json | __error__="""#, STREAM, "plain text").is_none());
    assert!(
        run(
            r#"{app="api"} | json | __error__!="JSONParserErr""#,
            STREAM,
            "plain text"
        )
        .is_none()
    );
    assert!(
        run(
            r#"{app="api"} | json | __error__="""#,
            STREAM,
            r#"{"a":"b"}"#
        )
        .is_some()
    );
    // A numeric filter on a label the failed parse did not set drops the line.
    assert!(run(r#"{app="api"} | json | status > 1"#, STREAM, "plain text").is_none());
}

#[test]
fn logfmt_with_duration_and_number_filters_from_the_docs() {
    let query = r#"{container="query-frontend"} |= "metrics.go" | logfmt | duration > 10s and throughput_mb < 500"#;
    let slow = r#"level=info ts=2020-10-23T20:32:18.094668233Z caller=metrics.go:81 org_id=29 traceID=1980d41501b57b68 latency=slow query="{cluster=\"ops-tools1\"}" query_type=filter range_type=range length=15m0s step=7s duration=12.5s status=200 throughput_mb=1.529717 total_bytes_mb=0.994659"#;
    let fast = slow.replace("duration=12.5s", "duration=650.22401ms");
    let stream = [("container", "query-frontend")];
    let (_, out) = run(query, &stream, slow).unwrap();
    assert_eq!(out.get("traceID"), Some("1980d41501b57b68"));
    assert_eq!(out.get("query"), Some(r#"{cluster="ops-tools1"}"#));
    assert!(run(query, &stream, &fast).is_none());
}

#[test]
fn the_first_parser_keeps_a_label_a_later_one_also_finds() {
    let query = r#"{app="api"} | logfmt | regexp "user=(?P<user>\\w+)""#;
    let (_, out) = run(query, STREAM, "user=alice").unwrap();
    assert_eq!(out.get("user"), Some("alice"));
    let query = r#"{app="api"} | json | json user="name""#;
    let (_, out) = run(query, STREAM, r#"{"user":"alice","name":"bob"}"#).unwrap();
    // Extraction parameters always write.
    assert_eq!(out.get("user"), Some("bob"));
}

#[test]
fn unpack_replaces_the_line_and_decolorize_strips_colors() {
    let (line, out) = run(
        r#"{app="api"} | unpack |= "original""#,
        STREAM,
        r#"{"_entry":"the original line","pod":"p1"}"#,
    )
    .unwrap();
    assert_eq!(line, "the original line");
    assert_eq!(out.get("pod"), Some("p1"));
    let (line, _) = run(
        r#"{app="api"} | decolorize |= "plain red""#,
        STREAM,
        "\u{1b}[31mplain red\u{1b}[0m text",
    )
    .unwrap();
    assert_eq!(line, "plain red text");
}

#[test]
fn pattern_parser_and_pattern_filters_on_the_docs_nginx_line() {
    let line = r#"188.191.88.44 - - [05/Feb/2025:09:35:29 +0000] "GET /favicon.ico HTTP/1.1" 404 153 "-" "Mozilla/5.0" "-""#;
    let query = r#"{app="nginx"} | pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>""#;
    let (_, out) = run(query, &[("app", "nginx")], line).unwrap();
    assert_eq!(out.get("ip"), Some("188.191.88.44"));
    assert_eq!(out.get("method"), Some("GET"));
    assert_eq!(out.get("uri"), Some("/favicon.ico"));
    assert_eq!(out.get("status"), Some("404"));
    assert_eq!(out.get("agent"), Some("Mozilla/5.0"));
    assert!(
        run(
            r#"{app="nginx"} |> "<_> \"GET <_>""#,
            &[("app", "nginx")],
            line
        )
        .is_some()
    );
    assert!(
        run(
            r#"{app="nginx"} !> "<_> \"GET <_>""#,
            &[("app", "nginx")],
            line
        )
        .is_none()
    );
    assert!(
        run(
            r#"{app="nginx"} |> "<_> \"POST <_>""#,
            &[("app", "nginx")],
            line
        )
        .is_none()
    );
    assert!(
        run(
            r#"{app="nginx"} |> "<_> \"POST <_>" or "<_> \"GET <_>""#,
            &[("app", "nginx")],
            line
        )
        .is_some()
    );
    // The ip line filter finds the client address.
    assert!(
        run(
            r#"{app="nginx"} |= ip("188.191.0.0/16")"#,
            &[("app", "nginx")],
            line
        )
        .is_some()
    );
}

#[test]
fn label_format_keep_and_drop_on_parsed_labels() {
    let line = r#"{"user":"alice","latency_ms":"12","debug":"x"}"#;
    let (_, out) = run(
        r#"{app="api"} | json | label_format who=user, ms="{{.latency_ms}}ms" | drop debug, latency_ms"#,
        STREAM,
        line,
    )
    .unwrap();
    assert_eq!(
        out,
        labels(&[
            ("app", "api"),
            ("level", "info"),
            ("ms", "12ms"),
            ("who", "alice")
        ])
    );
    let (_, out) = run(r#"{app="api"} | json | keep app, user"#, STREAM, line).unwrap();
    assert_eq!(out, labels(&[("app", "api"), ("user", "alice")]));
}

#[test]
fn count_over_time_by_parsed_labels_keeps_them_in_the_series() {
    let lines = [r#"{"status":"200"}"#, r#"{"status":"500"}"#, "not json"];
    let got = samples(
        r#"count_over_time({app="api"} | json [1m])"#,
        STREAM,
        &lines,
    );
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0].1,
        labels(&[("app", "api"), ("level", "info"), ("status", "200")])
    );
    assert_eq!(got[2].1.get("__error__"), Some("JSONParserErr"));
    let got = samples(
        r#"count_over_time({app="api"} | json | __error__="" [1m])"#,
        STREAM,
        &lines,
    );
    assert_eq!(got.len(), 2);
}

#[test]
fn quantile_of_unwrapped_durations_from_the_docs() {
    let query = r#"quantile_over_time(0.99, {app="api"} | logfmt | unwrap duration(request_time) | __error__="" [1m]) by (path)"#;
    let lines = [
        "path=/a request_time=250ms",
        "path=/b request_time=1.5s",
        "path=/a request_time=oops",
        "path=/a",
    ];
    let got = samples(query, STREAM, &lines);
    assert_eq!(
        got,
        vec![
            (0.25, labels(&[("path", "/a")])),
            (1.5, labels(&[("path", "/b")])),
        ]
    );
    // Without the error filter the bad value is a sample carrying the error.
    let query = r#"sum_over_time({app="api"} | logfmt | unwrap duration(request_time) [1m])"#;
    let got = samples(query, STREAM, &lines);
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0].1,
        labels(&[("app", "api"), ("level", "info"), ("path", "/a")])
    );
    assert_eq!(got[2].1.get("__error__"), Some("SampleExtractionErr"));
    assert_eq!(got[2].1.get("request_time"), Some("oops"));
}

#[test]
fn bytes_over_time_counts_the_processed_line() {
    let got = samples(
        r#"bytes_over_time({app="api"} | json | line_format "{{.msg}}" [1m])"#,
        STREAM,
        &[r#"{"msg":"hello"}"#],
    );
    assert_eq!(got[0].0, 5.0);
}
