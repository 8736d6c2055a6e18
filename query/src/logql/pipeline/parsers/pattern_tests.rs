use super::super::test_sink::TestSink;
use super::*;

/// Loki's `pattern_test.go` fixtures: pattern, line, captures (`Matches`), and whether the
/// line matches as a filter would (`Test`, checked here with the named captures as `<_>`).
const FIXTURES: &[(&str, &str, &[&str], bool)] = &[
    ("foo <foo> bar", "foo buzz bar", &["buzz"], true),
    ("foo <foo> bar<fuzz>", "foo buzz bar", &["buzz", ""], false),
    ("<foo>foo <bar> bar", "foo buzz bar", &["", "buzz"], false),
    ("<foo> bar<fuzz>", " bar", &["", ""], false),
    ("<foo>bar<baz>", " bar ", &[" ", " "], true),
    ("<foo> bar<baz>", " bar ", &["", " "], false),
    ("<foo>bar <baz>", " bar ", &[" ", ""], false),
    ("<foo>", " bar ", &[" bar "], true),
    (
        "<path>?<_>",
        "/api/plugins/versioncheck?slugIn=snuids-trafficlights-panel,input,gel&grafanaVersion=7.0.0-beta1",
        &["/api/plugins/versioncheck"],
        true,
    ),
    (
        "<path>?<_>",
        "/api/plugins/status",
        &["/api/plugins/status"],
        false,
    ),
    (
        r#"<ip> <userid> <user> [<_>] "<method> <path> <_>" <status> <size>"#,
        r#"127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        &[
            "127.0.0.1",
            "user-identifier",
            "frank",
            "GET",
            "/apache_pb.gif",
            "200",
            "2326",
        ],
        true,
    ),
    (
        r#"<ip> - - [<_>] "<method> <path> <_>" <status> <size> "#,
        r#"35.191.8.106 - - [19/May/2021:07:21:49 +0000] "GET /api/plugins/versioncheck?slugIn=snuids-trafficlights-panel,input,gel&grafanaVersion=7.0.0-beta1 HTTP/1.1" 200 107 "-" "Go-http-client/2.0" "80.153.74.144, 34.120.177.193" "TLSv1.3" "DE" "DEBW""#,
        &[
            "35.191.8.106",
            "GET",
            "/api/plugins/versioncheck?slugIn=snuids-trafficlights-panel,input,gel&grafanaVersion=7.0.0-beta1",
            "200",
            "107",
        ],
        false,
    ),
    (
        "<_> <id> [<level>] [<no>] [<component>] ",
        "2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin",
        &["0", "Note", "MY-012487", "InnoDB"],
        false,
    ),
    (
        "<level>  [<component>]<_> in <duration>.<_>",
        "INFO  [Service Thread] 2021-05-19 07:40:12,130 GCInspector.java:284 - ParNew GC in 248ms.  CMS Old Gen: 5043436640 -> 5091062064",
        &["INFO", "Service Thread", "248ms"],
        true,
    ),
    (
        r#"<_> msg="<method> <path> (<status>) <duration>""#,
        r#"level=debug ts=2021-05-19T07:54:26.864644382Z caller=logging.go:66 traceID=7fbb92fd0eb9c65d msg="POST /loki/api/v1/push (204) 1.238734ms""#,
        &["POST", "/loki/api/v1/push", "204", "1.238734ms"],
        true,
    ),
    (
        "<_> <_> <level> | <component>: <_> peer <peer_id> <_> tcp <ip>:<_>",
        "2021-05-19 08:16:50.181436 W | rafthttp: health check for peer fd8275e521cfb532 could not connect: dial tcp 10.32.85.85:2380: connect: connection refused",
        &["W", "rafthttp", "fd8275e521cfb532", "10.32.85.85"],
        true,
    ),
    (
        "<_>][<level>][<component>] [<id>] [<index>]",
        "[2021-05-19T06:54:06,994][INFO ][o.e.c.m.MetaDataMappingService] [1f605d47-8454-4bfb-a67f-49f318bf837a] [usage-stats-2021.05.19/O2Je9IbmR8CqFyUvNpTttA] update_mapping [report]",
        &[
            "INFO ",
            "o.e.c.m.MetaDataMappingService",
            "1f605d47-8454-4bfb-a67f-49f318bf837a",
            "usage-stats-2021.05.19/O2Je9IbmR8CqFyUvNpTttA",
        ],
        false,
    ),
    (
        "unicode <emoji> character",
        "unicode 🤷 character",
        &["🤷"],
        true,
    ),
    (
        "unicode ▶ <what>",
        "unicode ▶ character",
        &["character"],
        true,
    ),
];

fn captures(pattern: &str, line: &str) -> Vec<String> {
    let parser = PatternParser::new(pattern).unwrap();
    let mut out = Vec::new();
    parser.captures(line.as_bytes(), |c| {
        out.push(String::from_utf8_lossy(c).into_owned());
    });
    out
}

/// The filter form of a parser pattern: every capture unnamed.
fn as_filter(pattern: &str) -> PatternMatcher {
    let nodes = split_pattern(pattern);
    let text: String = nodes
        .iter()
        .map(|n| match n {
            PatternNode::Literal(l) => l.clone(),
            PatternNode::Capture(_) => "<_>".to_owned(),
        })
        .collect();
    PatternMatcher::new(&text).unwrap()
}

#[test]
fn lokis_fixtures_capture_and_match() {
    for (pattern, line, want, matches) in FIXTURES {
        assert_eq!(captures(pattern, line), *want, "{pattern}");
        assert_eq!(
            as_filter(pattern).matches(line.as_bytes()),
            *matches,
            "{pattern}"
        );
    }
}

#[test]
fn the_parser_writes_labels() {
    let parser = PatternParser::new(r#"<_> msg="<method> <path> (<status>) <duration>""#).unwrap();
    let mut sink = TestSink::new(&[("method", "bar")]);
    let line = br#"level=debug caller=logging.go:66 msg="POST /loki/api/v1/push (204) 1.238734ms""#;
    assert_eq!(parser.parse(line, &mut sink), ParseOutcome::Unchanged);
    assert_eq!(
        sink.parsed(),
        vec![
            ("method_extracted".to_owned(), "POST".to_owned()),
            ("path".to_owned(), "/loki/api/v1/push".to_owned()),
            ("status".to_owned(), "204".to_owned()),
            ("duration".to_owned(), "1.238734ms".to_owned()),
        ]
    );
    // the documented NGINX example
    let parser = PatternParser::new(
        r#"<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>"#,
    )
    .unwrap();
    let mut sink = TestSink::new(&[]);
    let line = br#"0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" """#;
    parser.parse(line, &mut sink);
    assert_eq!(sink.get("ip"), Some("0.191.12.2"));
    assert_eq!(sink.get("uri"), Some("/api/plugins/versioncheck"));
    assert_eq!(sink.get("size"), Some("2"));
    assert_eq!(sink.get("agent"), Some("Go-http-client/2.0"));
}

#[test]
fn a_leading_literal_anchors_the_parser() {
    assert!(captures(r#"foo <f>""#, "bar").is_empty());
    assert!(captures("<f> x", "").is_empty());
    assert_eq!(captures("a<x>b<y>", "ab"), vec!["", ""]);
}

#[test]
fn filters_follow_lokis_test_semantics() {
    let filter = |p: &str| PatternMatcher::new(p).unwrap();
    assert!(filter("<_> bar <_>").matches(b"foo bar baz"));
    assert!(!filter("<_> bar <_>").matches(b" bar "));
    assert!(filter("<_>bar<_>").matches(b" bar "));
    assert!(!filter("<_> bar").matches(b"foo bar baz"));
    assert!(filter("<_> baz").matches(b"foo bar baz"));
    assert!(filter("foo <_>").matches(b"foo bar baz"));
    // Loki does not anchor a leading literal in the filter form
    assert!(filter("bar <_>").matches(b"foo bar baz"));
    assert!(filter("<_>").matches(b"anything"));
    assert!(!filter("<_>").matches(b""));
    assert!(filter("").matches(b""));
    assert!(!filter("").matches(b"x"));
    assert!(filter("plain text").matches(b"plain text"));
    assert!(!filter("plain text").matches(b"plain text!"));
    assert!(PatternMatcher::new("<b>").is_err());
}

#[test]
fn filter_patterns_are_checked_as_loki_checks_them() {
    let err = |p: &str| PatternMatcher::new(p).unwrap_err().message;
    assert_eq!(
        err("<foo>"),
        "named captures are not allowed: found '<foo>'"
    );
    assert_eq!(
        err("<foo <foo> bar <_>"),
        "named captures are not allowed: found '<foo>'"
    );
    assert_eq!(
        err("<_><_>"),
        "found consecutive capture '<_><_>': invalid expression"
    );
    assert_eq!(
        err("a <_><x>"),
        "found consecutive capture '<_><x>': invalid expression"
    );
    assert!(PatternMatcher::new("<1> < a> <_>").is_ok());
}

#[test]
fn substring_search_finds_the_first_occurrence() {
    assert_eq!(find(b"abcabc", b"ca"), Some(2));
    assert_eq!(find(b"aaab", b"aab"), Some(1));
    assert_eq!(find(b"ab", b"abc"), None);
    assert_eq!(find(b"", b"a"), None);
    assert_eq!(find("héllo".as_bytes(), "llo".as_bytes()), Some(3));
}
