//! Pipeline tests: each stage against Loki's documented examples and its own tests'
//! expectations (`pkg/logql/log/*_test.go`, v3), stages combined, and the `__error__` paths.

use model::{Labels, LineFilterChain, LineFilterOp, LogEntry};
use proptest::prelude::*;

use super::*;
use crate::logql::syntax::{Expr, parse};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

/// The stages of a log query.
fn stages_of(query: &str) -> Vec<Stage> {
    match parse(query) {
        Ok(Expr::Log(log)) => log.stages,
        other => panic!("{query}: {other:?}"),
    }
}

fn pipeline(stages: &str) -> Pipeline {
    let stages = stages_of(&format!("{{app=\"a\"}} {stages}"));
    Pipeline::new(&stages).unwrap()
}

fn pipeline_error(stages: &str) -> String {
    let stages = stages_of(&format!("{{app=\"a\"}} {stages}"));
    Pipeline::new(&stages).unwrap_err().message
}

/// Runs one line of stream `{app="a"}` through `stages`: the line and labels, or `None`.
fn run(stages: &str, line: &str) -> Option<(String, Labels)> {
    run_entry(stages, &[("app", "a")], &LogEntry::new(0, line))
}

fn run_entry(stages: &str, stream: &[(&str, &str)], entry: &LogEntry) -> Option<(String, Labels)> {
    let p = pipeline(stages);
    let stream = labels(stream);
    let mut sp = p.for_stream(&stream);
    sp.process(entry).map(|out| {
        (
            String::from_utf8(out.line.to_vec()).unwrap(),
            out.labels.clone(),
        )
    })
}

fn passes(stages: &str, line: &str) -> bool {
    run(stages, line).is_some()
}

#[test]
fn an_empty_pipeline_passes_entries_with_their_stream_labels() {
    let p = Pipeline::new(&[]).unwrap();
    assert!(p.is_empty());
    let stream = labels(&[("app", "a"), ("env", "prod")]);
    let mut sp = p.for_stream(&stream);
    let entry = LogEntry::new(5, "hello");
    let out = sp.process(&entry).unwrap();
    assert_eq!(out.line, b"hello");
    assert_eq!(out.labels, &stream);
    assert!(!pipeline("|= \"x\"").is_empty());
}

#[test]
fn contains_filters_and_alternatives() {
    assert!(passes(r#"|= "err""#, "an error"));
    assert!(!passes(r#"|= "err""#, "all fine"));
    assert!(passes(r#"|= "warn" or "err""#, "an error"));
    assert!(!passes(r#"!= "err""#, "an error"));
    assert!(passes(r#"!= "err""#, "all fine"));
    assert!(passes(r#"|= "a" |= "b""#, "b then a"));
    assert!(!passes(r#"|= "a" != "b""#, "b then a"));
    // The empty string is in every line.
    assert!(passes(r#"|= """#, "x"));
    assert!(!passes(r#"!= """#, "x"));
    // Texts are literal, not regexes.
    assert!(!passes(r#"|= "a.c""#, "abc"));
    assert!(passes(r#"|= "a.c""#, "a.c"));
}

#[test]
fn regex_filters_search_unanchored_with_go_syntax() {
    assert!(passes(r#"|~ "err(or)?""#, "an error here"));
    assert!(passes(r#"|~ "(?i)ERROR""#, "an error here"));
    assert!(!passes(r#"|~ "^error""#, "an error"));
    assert!(passes(r#"!~ "^error""#, "an error"));
    assert!(passes(r#"|~ "^x$" or "error""#, "an error"));
    assert!(passes(r#"|~ `\d{3}`"#, "status 503"));
}

#[test]
fn a_bad_regex_is_an_error_when_the_pipeline_is_built() {
    let stage = Stage::LineFilter(LineFilter {
        kind: LineFilterKind::Regex,
        alternatives: vec![LineFilterArg::Text("(".into())],
    });
    let err = Pipeline::new([&stage]).unwrap_err();
    assert!(
        err.message
            .starts_with("invalid regex in line filter |~: error parsing regexp"),
        "{err}"
    );
}

use crate::logql::syntax::{LineFilter, LineFilterArg, LineFilterKind};

#[test]
fn ip_line_filters_match_addresses_in_the_line() {
    // From Loki's docs ("Matching IP addresses").
    let line = "3.180.71.3 - - [17/May/2015:08:05:32 +0000] \"GET /downloads/product_1 HTTP/1.1\"";
    assert!(passes(r#"|= ip("3.180.71.3")"#, line));
    assert!(passes(r#"|= ip("3.180.71.0/24")"#, line));
    assert!(passes(r#"|= ip("3.180.71.1-3.180.71.5")"#, line));
    assert!(!passes(r#"|= ip("3.180.71.4-3.180.71.5")"#, line));
    assert!(!passes(r#"!= ip("3.180.71.3")"#, line));
    assert!(passes(r#"!= ip("10.0.0.0/8")"#, line));
    assert!(passes(r#"|= "nothing" or ip("3.180.0.0/16")"#, line));
    assert!(passes(r#"|= ip("::1")"#, "from ::1 port"));
    assert!(passes(
        r#"|= ip("2001:db8::/32")"#,
        "peer 2001:db8::68 connected"
    ));
    assert!(!passes(
        r#"|= ip("2001:db8::/32")"#,
        "peer 2001:db9::68 connected"
    ));
}

#[test]
fn a_bad_ip_pattern_is_an_error_when_the_pipeline_is_built() {
    assert_eq!(
        pipeline_error(r#"|= ip("192.168.999.1")"#),
        r#"ip: invalid pattern: "192.168.999.1""#
    );
    assert_eq!(
        pipeline_error(r#"| addr = ip("nope")"#),
        r#"ip: invalid pattern: "nope""#
    );
}

#[test]
fn string_label_filters_compare_absent_labels_as_empty() {
    let stream = [("app", "a"), ("level", "error")];
    let entry = LogEntry::new(0, "x");
    assert!(run_entry(r#"| level="error""#, &stream, &entry).is_some());
    assert!(run_entry(r#"| level!="error""#, &stream, &entry).is_none());
    assert!(run_entry(r#"| level=~"err.*""#, &stream, &entry).is_some());
    // Regexes are anchored.
    assert!(run_entry(r#"| level=~"err""#, &stream, &entry).is_none());
    assert!(run_entry(r#"| missing="""#, &stream, &entry).is_some());
    assert!(run_entry(r#"| missing!="""#, &stream, &entry).is_none());
    assert!(run_entry(r#"| level="warn" or level="error""#, &stream, &entry).is_some());
    assert!(run_entry(r#"| level="error", app="b""#, &stream, &entry).is_none());
    assert!(
        run_entry(
            r#"| level="error" and (app="b" or app="a")"#,
            &stream,
            &entry
        )
        .is_some()
    );
}

#[test]
fn structured_metadata_are_labels_of_the_entry() {
    let entry = LogEntry::new(0, "x")
        .with_metadata("trace_id", "abc")
        .with_metadata("app", "shadow")
        .with_metadata("k8s.pod-name", "p1")
        .with_metadata("1st", "one");
    let (_, out) = run_entry(r#"| trace_id="abc""#, &[("app", "a")], &entry).unwrap();
    assert_eq!(
        out,
        labels(&[
            ("app", "a"),
            ("app_extracted", "shadow"),
            ("k8s_pod_name", "p1"),
            ("key_1st", "one"),
            ("trace_id", "abc"),
        ])
    );
}

#[test]
fn numeric_filters_compare_numbers_and_flag_values_that_are_not() {
    let stream = [("app", "a"), ("status", "503"), ("size", "abc")];
    let entry = LogEntry::new(0, "x");
    assert!(run_entry("| status >= 500", &stream, &entry).is_some());
    assert!(run_entry("| status < 500", &stream, &entry).is_none());
    assert!(run_entry("| status == 503", &stream, &entry).is_some());
    assert!(run_entry("| status != 503", &stream, &entry).is_none());
    // An absent label drops the entry.
    assert!(run_entry("| missing > 1", &stream, &entry).is_none());
    // A value that is not a number keeps the entry with LabelFilterErr.
    let (_, out) = run_entry("| size > 1", &stream, &entry).unwrap();
    assert_eq!(out.get("__error__"), Some("LabelFilterErr"));
    assert_eq!(
        out.get("__error_details__"),
        Some(r#"strconv.ParseFloat: parsing "abc": invalid syntax"#)
    );
    // ... which `__error__=""` then removes.
    assert!(run_entry(r#"| size > 1 | __error__="""#, &stream, &entry).is_none());
    assert!(
        run_entry(
            r#"| size > 1 | __error__!="LabelFilterErr""#,
            &stream,
            &entry
        )
        .is_none()
    );
    assert!(
        run_entry(
            r#"| size > 1 | __error__="LabelFilterErr""#,
            &stream,
            &entry
        )
        .is_some()
    );
}

#[test]
fn duration_and_bytes_filters() {
    let stream = [
        ("app", "a"),
        ("took", "1.5s"),
        ("size", "2KiB"),
        ("bad", "fast"),
    ];
    let entry = LogEntry::new(0, "x");
    assert!(run_entry("| took > 1s", &stream, &entry).is_some());
    assert!(run_entry("| took >= 1500ms", &stream, &entry).is_some());
    assert!(run_entry("| took < 1s", &stream, &entry).is_none());
    assert!(run_entry("| size > 2KB", &stream, &entry).is_some());
    assert!(run_entry("| size == 2KiB", &stream, &entry).is_some());
    assert!(run_entry("| size < 1KiB", &stream, &entry).is_none());
    let (_, out) = run_entry("| bad > 1s", &stream, &entry).unwrap();
    assert_eq!(out.get("__error__"), Some("LabelFilterErr"));
    assert_eq!(
        out.get("__error_details__"),
        Some(r#"time: invalid duration "fast""#)
    );
    let (_, out) = run_entry("| bad > 1KB", &stream, &entry).unwrap();
    assert_eq!(
        out.get("__error_details__"),
        Some(r#"strconv.ParseFloat: parsing "": invalid syntax"#)
    );
}

#[test]
fn a_first_error_is_kept_by_later_filters() {
    let stream = [("app", "a"), ("x", "abc"), ("y", "nope")];
    let entry = LogEntry::new(0, "l");
    let (_, out) = run_entry("| x > 1 | y > 1s", &stream, &entry).unwrap();
    assert_eq!(
        out.get("__error_details__"),
        Some(r#"strconv.ParseFloat: parsing "abc": invalid syntax"#)
    );
    // Converting filters still compare when an earlier stage failed.
    let stream = [("app", "a"), ("x", "abc"), ("n", "5")];
    assert!(run_entry("| x > 1 | n > 9", &stream, &entry).is_none());
    assert!(run_entry("| x > 1 | n > 1", &stream, &entry).is_some());
}

#[test]
fn ip_label_filters() {
    let stream = [("app", "a"), ("addr", "192.168.4.5"), ("bad", "abc")];
    let entry = LogEntry::new(0, "l");
    assert!(run_entry(r#"| addr = ip("192.168.4.5")"#, &stream, &entry).is_some());
    assert!(run_entry(r#"| addr = ip("192.168.4.0/24")"#, &stream, &entry).is_some());
    assert!(run_entry(r#"| addr != ip("192.168.4.0/24")"#, &stream, &entry).is_none());
    assert!(run_entry(r#"| addr = ip("10.0.0.0/8")"#, &stream, &entry).is_none());
    assert!(run_entry(r#"| missing = ip("10.0.0.0/8")"#, &stream, &entry).is_none());
    // An entry that already has an error passes.
    assert!(run_entry(r#"| bad > 1 | addr = ip("10.0.0.0/8")"#, &stream, &entry).is_some());
}

#[test]
fn line_format_rewrites_the_line_for_later_filters() {
    let stream = [("app", "a"), ("method", "GET"), ("path", "/x")];
    let entry = LogEntry::new(1_656_353_124_120_000_000, "raw line");
    let (line, _) = run_entry(r#"| line_format "{{.method}} {{.path}}""#, &stream, &entry).unwrap();
    assert_eq!(line, "GET /x");
    assert!(run_entry(r#"| line_format "{{.method}}" |= "raw""#, &stream, &entry).is_none());
    assert!(run_entry(r#"| line_format "{{.method}}" |= "GET""#, &stream, &entry).is_some());
    let (line, _) = run_entry(r#"| line_format "{{__line__ | upper}}""#, &stream, &entry).unwrap();
    assert_eq!(line, "RAW LINE");
    let (line, _) = run_entry(
        r#"| line_format "{{ __timestamp__ | date \"2006-01-02\" }}""#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(line, "2022-06-27");
    // Two rewrites in a row: the second sees the first's output.
    let (line, _) = run_entry(
        r#"| line_format "{{.method}}" | line_format "<{{__line__}}>""#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(line, "<GET>");
}

#[test]
fn a_failing_line_format_keeps_the_line_and_flags_the_entry() {
    let (line, out) = run(r#"| line_format "{{ .app | trunc \"x\" }}""#, "original").unwrap();
    assert_eq!(line, "original");
    assert_eq!(out.get("__error__"), Some("TemplateFormatErr"));
    assert!(
        out.get("__error_details__")
            .is_some_and(|d| d.starts_with("template: line:1:")),
        "{out}"
    );
}

#[test]
fn template_errors_are_errors_when_the_pipeline_is_built() {
    assert!(
        pipeline_error(r#"| line_format "{{.a""#)
            .starts_with("invalid line template: template: line:1:"),
    );
    assert!(
        pipeline_error(r#"| label_format x="{{nofunc .a}}""#)
            .starts_with("invalid template for label 'x': template: label:1:"),
    );
}

#[test]
fn label_format_renames_and_templates() {
    let stream = [("app", "a"), ("foo", "blip"), ("bar", "blop")];
    let entry = LogEntry::new(0, "l");
    // Loki's fmt_test.go "rename label" and "rename and overwrite existing label".
    let (_, out) = run_entry("| label_format baz=foo", &stream, &entry).unwrap();
    assert_eq!(
        out,
        labels(&[("app", "a"), ("bar", "blop"), ("baz", "blip")])
    );
    let (_, out) = run_entry("| label_format bar=foo", &stream, &entry).unwrap();
    assert_eq!(out, labels(&[("app", "a"), ("bar", "blip")]));
    // Renaming an absent label does nothing.
    let (_, out) = run_entry("| label_format x=missing", &stream, &entry).unwrap();
    assert_eq!(out, labels(&stream));
    let (_, out) = run_entry(
        r#"| label_format foo="{{.foo}}-{{.bar}}", up="{{.bar | upper}}""#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(
        out,
        labels(&[
            ("app", "a"),
            ("bar", "blop"),
            ("foo", "blip-blop"),
            ("up", "BLOP")
        ])
    );
}

#[test]
fn label_format_templates_see_the_labels_as_the_first_template_found_them() {
    let stream = [("app", "a"), ("foo", "blip"), ("bar", "blop")];
    let entry = LogEntry::new(0, "l");
    // `bar` is set by the first template; the second still sees the old value.
    let (_, out) = run_entry(
        r#"| label_format bar="new", copy="{{.bar}}""#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(out.get("bar"), Some("new"));
    assert_eq!(out.get("copy"), Some("blop"));
    // A rename before the first template is seen; one after it is not.
    let (_, out) = run_entry(
        r#"| label_format baz=foo, a="{{.baz}}", qux=bar, b="{{.qux}}""#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(out.get("a"), Some("blip"));
    assert_eq!(out.get("b"), None);
    assert_eq!(out.get("qux"), Some("blop"));
}

#[test]
fn label_format_targets_are_checked_when_the_pipeline_is_built() {
    assert_eq!(
        pipeline_error(r#"| label_format a=b, a="x""#),
        "multiple label name 'a' not allowed in a single format operation"
    );
    let stage = Stage::LabelFormat(vec![crate::logql::syntax::LabelFormat::Rename {
        target: "__error__".into(),
        source: "b".into(),
    }]);
    assert_eq!(
        Pipeline::new([&stage]).unwrap_err().message,
        "__error__ cannot be formatted"
    );
}

#[test]
fn a_failing_label_format_template_flags_the_entry_and_sets_nothing() {
    let (_, out) = run(r#"| label_format x="{{ .app | trunc \"y\" }}""#, "l").unwrap();
    assert_eq!(out.get("x"), None);
    assert_eq!(out.get("__error__"), Some("TemplateFormatErr"));
}

#[test]
fn keep_and_drop() {
    let stream = [
        ("app", "a"),
        ("env", "prod"),
        ("level", "info"),
        ("pod", "p1"),
    ];
    let entry = LogEntry::new(0, "l");
    let (_, out) = run_entry("| keep app, level", &stream, &entry).unwrap();
    assert_eq!(out, labels(&[("app", "a"), ("level", "info")]));
    let (_, out) = run_entry(r#"| keep app, level="error""#, &stream, &entry).unwrap();
    assert_eq!(out, labels(&[("app", "a")]));
    let (_, out) = run_entry("| drop env, pod", &stream, &entry).unwrap();
    assert_eq!(out, labels(&[("app", "a"), ("level", "info")]));
    let (_, out) = run_entry(r#"| drop level="info", env="dev""#, &stream, &entry).unwrap();
    assert_eq!(out, labels(&[("app", "a"), ("env", "prod"), ("pod", "p1")]));
    let (_, out) = run_entry(r#"| drop pod=~"p.*""#, &stream, &entry).unwrap();
    assert_eq!(
        out,
        labels(&[("app", "a"), ("env", "prod"), ("level", "info")])
    );
}

#[test]
fn keep_leaves_errors_and_drop_clears_them() {
    let stream = [("app", "a"), ("x", "abc")];
    let entry = LogEntry::new(0, "l");
    let (_, out) = run_entry("| x > 1 | keep app", &stream, &entry).unwrap();
    assert_eq!(out.get("__error__"), Some("LabelFilterErr"));
    assert!(out.get("__error_details__").is_some());
    assert_eq!(out.get("x"), None);
    let (_, out) = run_entry(
        "| x > 1 | drop __error__, __error_details__",
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(out, labels(&stream));
    let (_, out) = run_entry(
        r#"| x > 1 | drop __error__="LabelFilterErr", __error_details__"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(out.get("__error__"), None);
    let (_, out) = run_entry(r#"| x > 1 | drop __error__="Other""#, &stream, &entry).unwrap();
    assert_eq!(out.get("__error__"), Some("LabelFilterErr"));
}

#[test]
fn a_stream_pipeline_is_reused_across_entries_without_leaking_state() {
    let p = pipeline(r#"| x > 1 | label_format y="{{.x}}""#);
    let stream = labels(&[("app", "a")]);
    let mut sp = p.for_stream(&stream);
    let with = LogEntry::new(0, "l").with_metadata("x", "5");
    let bad = LogEntry::new(1, "l").with_metadata("x", "abc");
    let without = LogEntry::new(2, "l");
    assert_eq!(sp.process(&with).unwrap().labels.get("y"), Some("5"));
    let out = sp.process(&bad).unwrap();
    assert_eq!(out.labels.get("__error__"), Some("LabelFilterErr"));
    assert!(sp.process(&without).is_none());
    let out = sp.process(&with).unwrap();
    assert_eq!(out.labels, &labels(&[("app", "a"), ("x", "5"), ("y", "5")]));
}

/// A log range of a metric query: its range aggregation's parts.
fn extractor(query: &str) -> SampleExtractor {
    let Ok(Expr::Sample(crate::logql::syntax::SampleExpr::RangeAggregation(agg))) = parse(query)
    else {
        panic!("{query}")
    };
    SampleExtractor::new(&agg.range, agg.op, agg.grouping.as_ref()).unwrap()
}

fn extract(query: &str, stream: &[(&str, &str)], entry: &LogEntry) -> Option<(f64, Labels)> {
    let e = extractor(query);
    let stream = labels(stream);
    let mut se = e.for_stream(&stream);
    se.process(entry).map(|(v, l)| (v, l.clone()))
}

#[test]
fn counting_and_byte_extractors() {
    let stream = [("app", "a"), ("env", "prod")];
    let entry = LogEntry::new(0, "hello world");
    assert_eq!(
        extract(r#"count_over_time({app="a"}[1m])"#, &stream, &entry),
        Some((1.0, labels(&stream)))
    );
    assert_eq!(
        extract(r#"rate({app="a"} |= "world" [1m])"#, &stream, &entry),
        Some((1.0, labels(&stream)))
    );
    // Filters in front of the first parser or rewrite run in the store, not here.
    assert_eq!(
        extract(r#"rate({app="a"} |= "nope" [1m])"#, &stream, &entry),
        Some((1.0, labels(&stream)))
    );
    assert_eq!(
        extract(
            r#"rate({app="a"} | line_format "{{.env}}" |= "world" [1m])"#,
            &stream,
            &entry
        ),
        None
    );
    assert_eq!(
        extract(r#"bytes_over_time({app="a"}[1m])"#, &stream, &entry),
        Some((11.0, labels(&stream)))
    );
    // Bytes of the line after line_format.
    assert_eq!(
        extract(
            r#"bytes_rate({app="a"} | line_format "{{.env}}" [1m])"#,
            &stream,
            &entry
        ),
        Some((4.0, labels(&stream)))
    );
    // absent_over_time's series have no labels.
    assert_eq!(
        extract(r#"absent_over_time({app="a"}[1m])"#, &stream, &entry),
        Some((1.0, Labels::empty()))
    );
}

#[test]
fn unwrap_reads_floats_durations_and_bytes() {
    let stream = [("app", "a")];
    let entry = LogEntry::new(0, "l")
        .with_metadata("latency", "1.5")
        .with_metadata("took", "250ms")
        .with_metadata("size", "1.5KiB");
    let series = labels(&[("app", "a"), ("size", "1.5KiB"), ("took", "250ms")]);
    assert_eq!(
        extract(
            r#"sum_over_time({app="a"} | unwrap latency [1m])"#,
            &stream,
            &entry
        ),
        Some((1.5, series))
    );
    let (v, _) = extract(
        r#"avg_over_time({app="a"} | unwrap duration(took) [1m])"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(v, 0.25);
    let (v, _) = extract(
        r#"avg_over_time({app="a"} | unwrap duration_seconds(took) [1m])"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(v, 0.25);
    let (v, _) = extract(
        r#"max_over_time({app="a"} | unwrap bytes(size) [1m])"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(v, 1536.0);
    // Without the label, or with it empty, there is no sample.
    assert_eq!(
        extract(
            r#"sum_over_time({app="a"} | unwrap missing [1m])"#,
            &stream,
            &entry
        ),
        None
    );
}

#[test]
fn unwrap_conversion_errors_keep_all_labels_with_the_error() {
    let stream = [("app", "a")];
    let entry = LogEntry::new(0, "l").with_metadata("latency", "slow");
    let (v, out) = extract(
        r#"max_over_time({app="a"} | unwrap latency [1m]) by (app)"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(v, 0.0);
    assert_eq!(
        out,
        labels(&[
            ("__error__", "SampleExtractionErr"),
            (
                "__error_details__",
                r#"strconv.ParseFloat: parsing "slow": invalid syntax"#
            ),
            ("app", "a"),
            ("latency", "slow"),
        ])
    );
    // A post-unwrap filter removes such entries.
    assert_eq!(
        extract(
            r#"sum_over_time({app="a"} | unwrap latency | __error__="" [1m])"#,
            &stream,
            &entry
        ),
        None
    );
    let entry = LogEntry::new(0, "l").with_metadata("took", "soon");
    let (_, out) = extract(
        r#"sum_over_time({app="a"} | unwrap duration(took) [1m])"#,
        &stream,
        &entry,
    )
    .unwrap();
    assert_eq!(
        out.get("__error_details__"),
        Some(r#"time: invalid duration "soon""#)
    );
}

#[test]
fn grouping_applies_to_series_labels() {
    let stream = [("app", "a"), ("env", "prod"), ("pod", "p1")];
    let entry = LogEntry::new(0, "l").with_metadata("latency", "2");
    let query = |q: &str| extract(q, &stream, &entry).unwrap().1;
    assert_eq!(
        query(r#"max_over_time({app="a"} | unwrap latency [1m]) by (env)"#),
        labels(&[("env", "prod")])
    );
    assert_eq!(
        query(r#"max_over_time({app="a"} | unwrap latency [1m]) by (env, latency)"#),
        labels(&[("env", "prod"), ("latency", "2")])
    );
    assert_eq!(
        query(r#"max_over_time({app="a"} | unwrap latency [1m]) without (pod)"#),
        labels(&[("app", "a"), ("env", "prod")])
    );
    assert_eq!(
        query(r#"max_over_time({app="a"} | unwrap latency [1m])"#),
        labels(&[("app", "a"), ("env", "prod"), ("pod", "p1")])
    );
    assert_eq!(
        query(r#"max_over_time({app="a"} | unwrap latency [1m]) by ()"#),
        Labels::empty()
    );
}

#[test]
fn unwrap_post_filters_run_after_the_conversion() {
    let stream = [("app", "a")];
    let entry = LogEntry::new(0, "l")
        .with_metadata("latency", "2")
        .with_metadata("level", "info");
    assert!(
        extract(
            r#"sum_over_time({app="a"} | unwrap latency | level="info" [1m])"#,
            &stream,
            &entry
        )
        .is_some()
    );
    assert!(
        extract(
            r#"sum_over_time({app="a"} | unwrap latency | level="error" [1m])"#,
            &stream,
            &entry
        )
        .is_none()
    );
}

#[test]
fn unchanged_entries_share_the_stream_labels() {
    let p = pipeline(r#"|= "a" | app="a""#);
    let stream = labels(&[("app", "a")]);
    let mut sp = p.for_stream(&stream);
    for i in 0..3 {
        let entry = LogEntry::new(i, "abc");
        let out = sp.process(&entry).unwrap();
        assert_eq!(out.labels, &stream);
    }
}

/// Random lines of a small alphabet, so that filters hit and miss.
fn line_strategy() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ab. 1-3]{0,12}").unwrap()
}

fn filter_strategy() -> impl Strategy<Value = (LineFilterOp, Vec<String>)> {
    let op = prop_oneof![
        Just(LineFilterOp::Contains),
        Just(LineFilterOp::NotContains),
        Just(LineFilterOp::Matches),
        Just(LineFilterOp::NotMatches),
    ];
    let pattern = prop_oneof![
        proptest::string::string_regex("[ab. ]{0,3}").unwrap(),
        Just("a.b".to_owned()),
        Just("^a".to_owned()),
        Just("b$".to_owned()),
        Just("[0-9]+".to_owned()),
        Just("(?i)A".to_owned()),
    ];
    (op, proptest::collection::vec(pattern, 1..3)).prop_map(|(op, mut patterns)| {
        if matches!(op, LineFilterOp::NotContains | LineFilterOp::NotMatches) {
            patterns.truncate(1);
        }
        (op, patterns)
    })
}

proptest! {
    #[test]
    fn line_filters_agree_with_the_store_filter(
        filters in proptest::collection::vec(filter_strategy(), 1..4),
        lines in proptest::collection::vec(line_strategy(), 1..20),
    ) {
        let mut chain = LineFilterChain::new();
        for (op, patterns) in &filters {
            chain = chain.then(*op, patterns.clone());
        }
        let store = chain.compile().unwrap();
        let stages: Vec<Stage> = filters
            .iter()
            .map(|(op, patterns)| {
                let kind = match op {
                    LineFilterOp::Contains => LineFilterKind::Contains,
                    LineFilterOp::NotContains => LineFilterKind::NotContains,
                    LineFilterOp::Matches => LineFilterKind::Regex,
                    LineFilterOp::NotMatches => LineFilterKind::NotRegex,
                };
                Stage::LineFilter(LineFilter {
                    kind,
                    alternatives: patterns.iter().cloned().map(LineFilterArg::Text).collect(),
                })
            })
            .collect();
        let pipeline = Pipeline::new(&stages).unwrap();
        let stream = labels(&[("app", "a")]);
        let mut sp = pipeline.for_stream(&stream);
        for line in &lines {
            let entry = LogEntry::new(0, line.as_str());
            prop_assert_eq!(sp.process(&entry).is_some(), store.matches(line.as_bytes()), "{}", line);
        }
    }
}
