//! Tests of the exposition parser: one per rule of the module docs, an inline sample file, and
//! property tests (arbitrary bytes never panic; rendered samples parse back to what was rendered).
#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

/// An owned copy of an entry, so tests can collect a whole input.
#[derive(Debug, Clone, PartialEq)]
enum Own {
    Sample {
        name: String,
        labels: Vec<(String, String)>,
        bits: u64,
        ts: Option<i64>,
    },
    Type(String, MetricType),
    Help(String, String),
    Unit(String, String),
    Comment(Vec<u8>),
    Eof,
}

fn own(entry: &Entry<'_>) -> Own {
    match entry {
        Entry::Sample {
            name,
            labels,
            value,
            timestamp_ms,
        } => Own::Sample {
            name: (*name).to_owned(),
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.to_string()))
                .collect(),
            bits: value.to_bits(),
            ts: *timestamp_ms,
        },
        Entry::Type { metric, kind } => Own::Type((*metric).to_owned(), *kind),
        Entry::Help { metric, text } => Own::Help((*metric).to_owned(), text.to_string()),
        Entry::Unit { metric, unit } => Own::Unit((*metric).to_owned(), (*unit).to_owned()),
        Entry::Comment { text } => Own::Comment(text.to_vec()),
        Entry::Eof => Own::Eof,
    }
}

/// All entries of `input`, or the first error.
fn parse(input: &[u8], format: Format) -> Result<Vec<Own>, ParseError> {
    let mut p = Parser::new(input, format);
    let mut out = Vec::new();
    while let Some(e) = p.next() {
        out.push(own(&e?));
    }
    Ok(out)
}

fn om(input: &str) -> Result<Vec<Own>, ParseError> {
    parse(input.as_bytes(), Format::OpenMetrics)
}

fn text(input: &str) -> Result<Vec<Own>, ParseError> {
    parse(input.as_bytes(), Format::Text)
}

fn sample(name: &str, labels: &[(&str, &str)], v: f64, ts: Option<i64>) -> Own {
    Own::Sample {
        name: name.to_owned(),
        labels: labels
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        bits: v.to_bits(),
        ts,
    }
}

/// The error kind and line of a failing input.
fn err(result: Result<Vec<Own>, ParseError>) -> (u64, ParseErrorKind) {
    let e = result.unwrap_err();
    (e.line(), e.kind().clone())
}

#[test]
fn openmetrics_descriptors_samples_and_eof() {
    let input = "# TYPE process_cpu_seconds counter\n\
                 # UNIT process_cpu_seconds seconds\n\
                 # HELP process_cpu_seconds Total \\\"user\\\" CPU\\\\time.\\n\n\
                 process_cpu_seconds_total{job=\"a\"} 4.2 1795271349.643\n\
                 process_cpu_seconds_created{job=\"a\"} 1.7e9\n\
                 # EOF\n";
    assert_eq!(
        om(input).unwrap(),
        vec![
            Own::Type("process_cpu_seconds".into(), MetricType::Counter),
            Own::Unit("process_cpu_seconds".into(), "seconds".into()),
            Own::Help(
                "process_cpu_seconds".into(),
                "Total \"user\" CPU\\time.\n".into()
            ),
            sample(
                "process_cpu_seconds_total",
                &[("job", "a")],
                4.2,
                Some(1_795_271_349_643)
            ),
            sample("process_cpu_seconds_created", &[("job", "a")], 1.7e9, None),
            Own::Eof,
        ]
    );
    // `# EOF` may lack its newline.
    assert_eq!(om("a 1\n# EOF").unwrap().len(), 2);
    // Every OpenMetrics type word.
    for (word, kind) in [
        ("gauge", MetricType::Gauge),
        ("histogram", MetricType::Histogram),
        ("gaugehistogram", MetricType::GaugeHistogram),
        ("summary", MetricType::Summary),
        ("info", MetricType::Info),
        ("stateset", MetricType::StateSet),
        ("unknown", MetricType::Unknown),
    ] {
        let got = om(&format!("# TYPE m {word}\n# EOF\n")).unwrap();
        assert_eq!(got[0], Own::Type("m".into(), kind));
        assert_eq!(kind.as_str(), word);
    }
}

#[test]
fn openmetrics_timestamps_convert_like_prometheus() {
    let ts = |t: &str| match om(&format!("m 1 {t}\n# EOF\n")).map(|v| v[0].clone()) {
        Ok(Own::Sample { ts, .. }) => Ok(ts.unwrap()),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.kind().clone()),
    };
    assert_eq!(ts("1795271349.643"), Ok(1_795_271_349_643));
    assert_eq!(ts("1795271350"), Ok(1_795_271_350_000));
    assert_eq!(ts("1.5e3"), Ok(1_500_000));
    assert_eq!(ts("-1.5"), Ok(-1500));
    assert_eq!(ts("0.0019"), Ok(1), "truncated, not rounded");
    // int64(1.005 * 1000) is 1004 in Go: the product is 1004.9999999999999.
    assert_eq!(ts("1.005"), Ok(1004));
    for bad in ["NaN", "+Inf", "-Inf", "1e17", "x", "1,5", "0x10", "1_0"] {
        assert!(
            matches!(ts(bad), Err(ParseErrorKind::InvalidTimestamp(_))),
            "{bad}"
        );
    }
}

#[test]
fn values_nan_inf_integers_floats() {
    let value = |v: &str| match text(&format!("m {v}\n")).map(|v| v[0].clone()) {
        Ok(Own::Sample { bits, .. }) => Ok(bits),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.kind().clone()),
    };
    assert_eq!(value("NaN"), Ok(NORMAL_NAN_BITS));
    assert_eq!(value("nan"), Ok(NORMAL_NAN_BITS));
    assert_ne!(NORMAL_NAN_BITS, crate::STALE_NAN_BITS);
    assert_eq!(value("+Inf"), Ok(f64::INFINITY.to_bits()));
    assert_eq!(value("-Inf"), Ok(f64::NEG_INFINITY.to_bits()));
    assert_eq!(value("42"), Ok(42f64.to_bits()));
    assert_eq!(value("-0"), Ok((-0f64).to_bits()));
    assert_eq!(value("2.5066e-05"), Ok(2.5066e-05f64.to_bits()));
    assert_eq!(value(".5"), Ok(0.5f64.to_bits()));
    assert_eq!(value("1.7976931348623157e308"), Ok(f64::MAX.to_bits()));
    for bad in ["1e999", "0x1p3", "1_000", "one", "1.2.3", "--1"] {
        assert!(
            matches!(value(bad), Err(ParseErrorKind::InvalidValue(_))),
            "{bad}"
        );
    }
}

#[test]
fn label_value_escapes() {
    let got = om("m{a=\"x\\\\y\\\"z\\nw\",b=\"\\t\",c=\"é\",d=\"\"} 1\n# EOF\n").unwrap();
    let want = sample(
        "m",
        &[("a", "x\\y\"z\nw"), ("b", "\\t"), ("c", "é"), ("d", "")],
        1.0,
        None,
    );
    assert_eq!(got[0], want);
    // Values without escapes borrow the input.
    let input = b"m{a=\"plain\",b=\"esc\\\\\"} 1\n";
    let mut p = Parser::new(input, Format::Text);
    match p.next().unwrap().unwrap() {
        Entry::Sample { labels, .. } => {
            assert!(matches!(labels[0].1, Cow::Borrowed("plain")));
            assert!(matches!(&labels[1].1, Cow::Owned(s) if s == "esc\\"));
        }
        other => panic!("{other:?}"),
    }
    // Unterminated values and invalid UTF-8 are errors.
    assert_eq!(
        err(om("m{a=\"x} 1\n# EOF\n")).1,
        ParseErrorKind::UnterminatedLabelValue
    );
    assert_eq!(
        err(om("m{a=\"x\\\"} 1\n# EOF\n")).1,
        ParseErrorKind::UnterminatedLabelValue
    );
    let bad_utf8 = parse(b"m{a=\"\xff\"} 1\n", Format::Text).unwrap_err();
    assert_eq!(bad_utf8.kind(), &ParseErrorKind::InvalidUtf8("sample line"));
}

#[test]
fn label_set_syntax() {
    assert_eq!(
        om("m{} 1\n# EOF\n").unwrap()[0],
        sample("m", &[], 1.0, None)
    );
    assert_eq!(
        om("m{a=\"1\",} 1\n# EOF\n").unwrap()[0],
        sample("m", &[("a", "1")], 1.0, None)
    );
    for bad in [
        "m{a=\"1\" b=\"2\"} 1",
        "m{a=\"1\",,} 1",
        "m{,} 1",
        "m{a} 1",
        "m{a=1} 1",
        "m{a=\"1\"",
        "m{a=\"1\",b",
    ] {
        assert!(
            matches!(
                err(om(&format!("{bad}\n# EOF\n"))).1,
                ParseErrorKind::Unexpected { .. }
            ),
            "{bad}"
        );
    }
    // OpenMetrics has no optional whitespace; the text format does.
    assert!(om("m{a = \"1\"} 1\n# EOF\n").is_err());
    assert!(om("m {a=\"1\"} 1\n# EOF\n").is_err());
    let spaced = text("  m { a = \"1\" ,\tb=\"2\" }\t 1 \t 7  \r\n").unwrap();
    assert_eq!(
        spaced,
        vec![sample("m", &[("a", "1"), ("b", "2")], 1.0, Some(7))]
    );
}

#[test]
fn exemplars_are_parsed_and_skipped() {
    let input = "foo_total{a=\"1\"} 17 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879607.789\n\
                 foo_bucket{le=\"+Inf\"} 3 1520879607.1 # {id=\"x\",} 1\n\
                 foo_bucket{le=\"1\"} 2 # {} 0.5\n\
                 # EOF\n";
    assert_eq!(
        om(input).unwrap(),
        vec![
            sample("foo_total", &[("a", "1")], 17.0, None),
            sample(
                "foo_bucket",
                &[("le", "+Inf")],
                3.0,
                Some(1_520_879_607_100)
            ),
            sample("foo_bucket", &[("le", "1")], 2.0, None),
            Own::Eof,
        ]
    );
    for bad in [
        "m 1 # {a=\"1\"}",
        "m 1 # {a=\"1\"} x",
        "m 1 # {a=\"1\"} 1 NaN",
        "m 1 # {a=\"1\"} 1 2 3",
        "m 1 # a 1",
        "m 1 # {a=\"1\",a=\"2\"} 1",
        "m 1 2 # ",
        "m 1 2 #{} 1",
        "m 1 2 3",
    ] {
        assert!(om(&format!("{bad}\n# EOF\n")).is_err(), "{bad}");
    }
}

#[test]
fn eof_rules() {
    assert_eq!(err(om("m 1\n")), (2, ParseErrorKind::MissingEof));
    assert_eq!(err(om("")), (1, ParseErrorKind::MissingEof));
    assert_eq!(err(om("m 1")).1, ParseErrorKind::MissingEof);
    assert_eq!(
        err(om("m 1\n# EOF\nm 2\n")),
        (3, ParseErrorKind::DataAfterEof)
    );
    assert_eq!(err(om("# EOF\n\n")), (2, ParseErrorKind::DataAfterEof));
    assert!(matches!(
        err(om("# EOF \n")).1,
        ParseErrorKind::InvalidDescriptor(_)
    ));
    // After an error or `# EOF` the parser stays finished.
    let mut p = Parser::new(b"m x\nm 1\n# EOF\n", Format::OpenMetrics);
    assert!(p.next().unwrap().is_err());
    assert!(p.next().is_none());
    let mut p = Parser::new(b"# EOF", Format::OpenMetrics);
    assert!(matches!(p.next(), Some(Ok(Entry::Eof))));
    assert!(p.next().is_none());
}

#[test]
fn openmetrics_line_rules() {
    assert_eq!(
        err(om("a 1\n\nb 1\n# EOF\n")),
        (2, ParseErrorKind::BlankLine)
    );
    for bad in [
        "# some comment",
        "#HELP m x",
        "# HELP m",
        "# TYPE m untyped",
        "# TYPE m counter ",
    ] {
        assert!(om(&format!("{bad}\n# EOF\n")).is_err(), "{bad}");
    }
    assert_eq!(
        om("# HELP m \n# EOF\n").unwrap()[0],
        Own::Help("m".into(), String::new())
    );
    assert_eq!(
        om("# UNIT m \n# EOF\n").unwrap()[0],
        Own::Unit("m".into(), String::new())
    );
    assert!(matches!(
        err(om("# UNIT m_bytes seconds\n# EOF\n")).1,
        ParseErrorKind::UnitNotSuffix { .. }
    ));
    assert!(
        om("# UNIT mbytes bytes\n# EOF\n").is_err(),
        "unit must follow an underscore"
    );
    assert!(om("m  1\n# EOF\n").is_err(), "single spaces only");
    assert!(om("m 1 \n# EOF\n").is_err(), "no trailing space");
    assert!(om("m\t1\n# EOF\n").is_err());
    assert!(om("m 1\r\n# EOF\n").is_err());
}

#[test]
fn names_validated_and_labels_unique() {
    let kind = |line: &str| err(om(&format!("{line}\n# EOF\n"))).1;
    let invalid_metric = |s: &str| ParseErrorKind::InvalidMetricName(s.into());
    let invalid_label = |s: &str| ParseErrorKind::InvalidLabelName(s.into());
    let duplicate = |s: &str| ParseErrorKind::DuplicateLabelName(s.into());
    assert_eq!(kind("1abc 1"), invalid_metric("1abc"));
    assert_eq!(kind("foo-bar 1"), invalid_metric("foo-bar"));
    assert_eq!(kind("# TYPE a.b counter"), invalid_metric("a.b"));
    assert_eq!(kind("m{1a=\"x\"} 1"), invalid_label("1a"));
    assert_eq!(kind("m{a-b=\"x\"} 1"), invalid_label("a-b"));
    assert_eq!(kind("m{a:b=\"x\"} 1"), invalid_label("a:b"));
    assert_eq!(kind("m{a=\"1\",b=\"2\",a=\"3\"} 1"), duplicate("a"));
    assert_eq!(kind("m{__name__=\"x\"} 1"), duplicate("__name__"));
    assert_eq!(kind("-m 1"), invalid_metric("-m"));
    assert!(matches!(
        kind("{a=\"1\"} 1"),
        ParseErrorKind::Unexpected {
            expected: "metric name",
            ..
        }
    ));
    assert!(matches!(kind("m}"), ParseErrorKind::Unexpected { .. }));
    // Many labels take the sorting path of the duplicate check.
    let many: Vec<String> = (0..40).map(|i| format!("l{i}=\"v\"")).collect();
    assert!(om(&format!("m{{{}}} 1\n# EOF\n", many.join(","))).is_ok());
    assert_eq!(
        kind(&format!("m{{{},l7=\"w\"}} 1", many.join(","))),
        duplicate("l7")
    );
    assert_eq!(
        kind(&format!("m{{{},__name__=\"w\"}} 1", many.join(","))),
        duplicate("__name__")
    );
    // Names made of every allowed character.
    let ok = om("_:aZ09{_aZ09=\"v\"} 1\n# EOF\n").unwrap();
    assert_eq!(ok[0], sample("_:aZ09", &[("_aZ09", "v")], 1.0, None));
    // The text format checks the same.
    assert!(text("m{a=\"1\",a=\"1\"} 1\n").is_err());
    assert!(text("m:x{a.b=\"1\"} 1\n").is_err());
}

#[test]
fn text_format_rules() {
    let input = "\n# HELP http_requests_total The total\\\\number of \\\"HTTP\\\" requests.\\n\n\
                 # TYPE http_requests_total counter\n\
                 #  just a comment\n\
                 #nospace\n\
                 # HELPER not help\n\
                 \t\n\
                 http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
                 http_requests_total{method=\"post\",code=\"400\"}    3 -1395066363000\n\
                 # TYPE x untyped\n\
                 x 1e3\n\
                 # HELP y\n";
    assert_eq!(
        text(input).unwrap(),
        vec![
            Own::Help(
                "http_requests_total".into(),
                "The total\\number of \\\"HTTP\\\" requests.\n".into()
            ),
            Own::Type("http_requests_total".into(), MetricType::Counter),
            Own::Comment(b"  just a comment".to_vec()),
            Own::Comment(b"nospace".to_vec()),
            Own::Comment(b" HELPER not help".to_vec()),
            sample(
                "http_requests_total",
                &[("method", "post"), ("code", "200")],
                1027.0,
                Some(1_395_066_363_000)
            ),
            sample(
                "http_requests_total",
                &[("method", "post"), ("code", "400")],
                3.0,
                Some(-1_395_066_363_000)
            ),
            Own::Type("x".into(), MetricType::Unknown),
            sample("x", &[], 1000.0, None),
            Own::Help("y".into(), String::new()),
        ]
    );
    assert_eq!(text("").unwrap(), vec![]);
    assert_eq!(
        text("m 1").unwrap(),
        vec![sample("m", &[], 1.0, None)],
        "last newline optional"
    );
    assert!(text("# EOF\n").is_ok_and(|v| matches!(v[..], [Own::Comment(_)])));
    for bad in [
        "m 1 1.5",
        "m 1 2 3",
        "m 1 99999999999999999999",
        "m",
        "m{a=\"1\"}",
        "# TYPE m gaugehistogram",
        "# TYPE m",
        "# HELP  ",
        "# HELP m{ x",
        "m 1 # {a=\"1\"} 1",
    ] {
        assert!(text(&format!("{bad}\n")).is_err(), "{bad}");
    }
    // Errors name the line they are on.
    let e = text("a 1\n\n# c\nb x\n").unwrap_err();
    assert_eq!(e.line(), 4);
    assert!(e.to_string().starts_with("line 4: invalid value"), "{e}");
}

#[test]
fn series_labels_and_series_bytes() {
    let mut p = Parser::new(
        b"# TYPE m gauge\nm{z=\"1\",a=\"\\\"q\",e=\"\"} 1\n",
        Format::Text,
    );
    p.next().unwrap().unwrap();
    assert_eq!(
        p.series_labels().unwrap_err().kind(),
        &ParseErrorKind::NoSample
    );
    assert_eq!(p.series_bytes(), b"");
    assert_eq!(p.line(), 1);
    assert!(matches!(p.next(), Some(Ok(Entry::Sample { .. }))));
    assert_eq!(p.line(), 2);
    let labels = p.series_labels().unwrap();
    assert_eq!(labels.to_string(), r#"{__name__="m", a="\"q", z="1"}"#);
    assert_eq!(p.series_bytes(), b"m{z=\"1\",a=\"\\\"q\",e=\"\"}");
    assert!(p.next().is_none());
    assert_eq!(p.series_bytes(), b"");
}

#[test]
fn debug_shows_position_not_input() {
    let mut p = Parser::new(b"secret_metric 1\n", Format::Text);
    p.next();
    let shown = format!("{p:?}");
    assert!(
        shown.contains("line: 1") && !shown.contains("secret"),
        "{shown}"
    );
}

#[test]
fn format_detection() {
    assert_eq!(Format::detect(b"a 1\n# EOF\n"), Format::OpenMetrics);
    assert_eq!(Format::detect(b"a 1\n# EOF"), Format::OpenMetrics);
    assert_eq!(Format::detect(b"# EOF"), Format::OpenMetrics);
    assert_eq!(Format::detect(b"a 1\n"), Format::Text);
    assert_eq!(Format::detect(b"a 1\n## EOF\n"), Format::Text);
    assert_eq!(Format::detect(b""), Format::Text);
}

/// The first lines of `node-exporter-1s.om` style backfill input, plus descriptors and a
/// histogram, as `promtool tsdb create-blocks-from openmetrics` would read them.
const NODE_SAMPLE: &str = r#"# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{instance="127.0.0.1:9090",job="prometheus",quantile="0"} 2.5066e-05 1795271349.643
go_gc_duration_seconds{instance="127.0.0.1:9090",job="prometheus",quantile="0.25"} 3.1e-05 1795271349.643
go_gc_duration_seconds_sum{instance="127.0.0.1:9090",job="prometheus"} 0.012345 1795271349.643
go_gc_duration_seconds_count{instance="127.0.0.1:9090",job="prometheus"} 312 1795271349.643
go_gc_duration_seconds{instance="127.0.0.1:9090",job="prometheus",quantile="0"} 2.5066e-05 1795271350.643
# HELP node_cpu_seconds Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds counter
# UNIT node_cpu_seconds seconds
node_cpu_seconds_total{cpu="0",instance="127.0.0.1:9100",job="node",mode="idle"} 123456.78 1795271365.664
node_cpu_seconds_total{cpu="0",instance="127.0.0.1:9100",job="node",mode="user"} 4567.1 1795271365.664
# TYPE prometheus_http_request_duration_seconds histogram
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.1"} 10 1795271378.648
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="+Inf"} 11 1795271378.648
prometheus_http_request_duration_seconds_sum{handler="/metrics"} 0.5 1795271378.648
prometheus_http_request_duration_seconds_count{handler="/metrics"} 11 1795271378.648
up{instance="127.0.0.1:9100",job="node"} 1 1795272850.174
up{instance="127.0.0.1:9100",job="node"} NaN 1795272851.174
# EOF
"#;

#[test]
fn parses_node_exporter_style_file() {
    assert_eq!(Format::detect(NODE_SAMPLE.as_bytes()), Format::OpenMetrics);
    let mut p = Parser::new(NODE_SAMPLE.as_bytes(), Format::OpenMetrics);
    let (mut samples, mut meta, mut eof) = (Vec::new(), 0, false);
    while let Some(e) = p.next() {
        match e.unwrap() {
            Entry::Sample {
                value,
                timestamp_ms,
                ..
            } => {
                let labels = p.series_labels().unwrap();
                samples.push((labels, value, timestamp_ms.unwrap()));
            }
            Entry::Eof => eof = true,
            _ => meta += 1,
        }
    }
    assert!(eof);
    assert_eq!((samples.len(), meta), (13, 6));
    let (first, v, t) = &samples[0];
    assert_eq!(
        first.to_string(),
        r#"{__name__="go_gc_duration_seconds", instance="127.0.0.1:9090", job="prometheus", quantile="0"}"#
    );
    assert_eq!((*v, *t), (2.5066e-05, 1_795_271_349_643));
    assert_eq!(samples[5].2, 1_795_271_365_664);
    assert_eq!(samples[8].0.get("le"), Some("+Inf"));
    assert_eq!(samples[12].1.to_bits(), NORMAL_NAN_BITS);
    assert_eq!(samples[12].2, 1_795_272_851_174);
}

/// Bytes that look like exposition text often enough to reach deep parser states.
fn exposition_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"m".to_vec()),
        Just(b"_x:y".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"a=\"v\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"=".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"# ".to_vec()),
        Just(b"# EOF".to_vec()),
        Just(b"# HELP ".to_vec()),
        Just(b"# TYPE ".to_vec()),
        Just(b"# UNIT ".to_vec()),
        Just(b"counter".to_vec()),
        Just(b" # {".to_vec()),
        Just(b"1".to_vec()),
        Just(b"1.5e3".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"-Inf".to_vec()),
        Just(b"1795271349.643".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(vec![0xff]),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

/// Checks the parser's progress invariants on `data` in `format`; must never panic.
fn exercise(data: &[u8], format: Format) -> Result<(), TestCaseError> {
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut p = Parser::new(data, format);
    let (mut entries, mut last) = (0u64, 0u64);
    while let Some(e) = p.next() {
        let is_sample = matches!(e, Ok(Entry::Sample { .. }));
        entries += 1;
        prop_assert!(p.line() > last && p.line() <= lines + 1);
        last = p.line();
        if is_sample {
            let _ = p.series_labels();
        }
    }
    prop_assert!(entries <= lines + 1);
    Ok(())
}

/// A label value with the characters that need escaping, weighted up.
fn label_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => proptest::char::range('a', 'z'),
            1 => Just('\\'),
            1 => Just('"'),
            1 => Just('\n'),
            1 => Just('{'),
            1 => Just(' '),
            1 => Just('é'),
            1 => Just('🦀'),
        ],
        0..8,
    )
    .prop_map(|c| c.into_iter().collect())
}

/// Sample values weighted to the edges.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        any::<i64>().prop_map(|i| i as f64),
        any::<f64>(),
    ]
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn render_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v:?}")
    }
}

type Generated = (String, Vec<(String, String)>, f64, Option<i64>, String);

fn generated_sample() -> impl Strategy<Value = Generated> {
    (
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,10}",
        proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,6}", label_value(), 0..5),
        value(),
        proptest::option::of(prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0i64),
            any::<i64>(),
            1_000_000_000_000i64..2_000_000_000_000
        ]),
        label_value(),
    )
        .prop_map(|(name, labels, v, ts, help)| {
            let labels = labels
                .into_iter()
                .filter(|(n, _)| n != METRIC_NAME)
                .collect();
            (name, labels, v, ts, help)
        })
}

/// Renders samples (each preceded by a HELP line) in `format`, with the expected entries and
/// the line of the first sample whose timestamp is out of range in ms (OpenMetrics only).
fn render(samples: &[Generated], format: Format) -> (String, Vec<Own>, Option<usize>) {
    let (mut out, mut want, mut overflow) = (String::new(), Vec::new(), None);
    for (name, labels, v, ts, help) in samples {
        let help_escaped = match format {
            Format::Text => help.replace('\\', "\\\\").replace('\n', "\\n"),
            Format::OpenMetrics => escape(help),
        };
        out.push_str(&format!("# HELP {name} {help_escaped}\n"));
        want.push(Own::Help(name.clone(), help.clone()));
        let pairs: Vec<String> = labels
            .iter()
            .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
            .collect();
        out.push_str(&format!(
            "{name}{{{}}} {}",
            pairs.join(","),
            render_value(*v)
        ));
        let bits = if v.is_nan() {
            NORMAL_NAN_BITS
        } else {
            v.to_bits()
        };
        let ts = ts.map(|ms| match format {
            Format::Text => {
                out.push_str(&format!(" {ms}"));
                ms
            }
            Format::OpenMetrics => {
                // Seconds as Rust prints them round-trip through the float parse exactly;
                // the expected ms follow the documented int64(ts * 1000) rule.
                let secs = ms as f64 / 1000.0;
                out.push_str(&format!(" {secs:?}"));
                let ms = secs * 1000.0;
                if ms >= i64::MAX as f64 && overflow.is_none() {
                    overflow = Some(want.len() + 1);
                }
                ms as i64
            }
        });
        out.push('\n');
        want.push(Own::Sample {
            name: name.clone(),
            labels: labels.clone(),
            bits,
            ts,
        });
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
        want.push(Own::Eof);
    }
    (out, want, overflow)
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in exposition_bytes()) {
        exercise(&data, Format::Text)?;
        exercise(&data, Format::OpenMetrics)?;
        let _ = Format::detect(&data);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&data, Format::Text)?;
        exercise(&data, Format::OpenMetrics)?;
    }

    #[test]
    fn rendered_samples_parse_back(samples in proptest::collection::vec(generated_sample(), 0..6)) {
        for format in [Format::Text, Format::OpenMetrics] {
            let (input, want, overflow) = render(&samples, format);
            match overflow {
                Some(line) => {
                    // i64::MAX ms printed as seconds rounds up past the i64 range: an error.
                    let e = parse(input.as_bytes(), format).unwrap_err();
                    prop_assert!(matches!(e.kind(), ParseErrorKind::InvalidTimestamp(_)));
                    prop_assert_eq!(e.line(), line as u64);
                }
                None => prop_assert_eq!(parse(input.as_bytes(), format).unwrap(), want),
            }
        }
    }
}
