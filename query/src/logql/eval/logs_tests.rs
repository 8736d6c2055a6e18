use model::{LogQuerier, VecLogQuerier};

use super::*;
use crate::logql::syntax::{Expr, parse};
use crate::promql::CancelToken;

const S: i64 = 1_000_000_000;

/// app=a lines "a1".."a5" at 1..5 s, app=b lines "b1".."b3" at 2, 4, 6 s; a's line 3 says error.
fn store() -> VecLogQuerier {
    let mut store = VecLogQuerier::new();
    let a = Labels::from_pairs([("app", "a")]).unwrap();
    let b = Labels::from_pairs([("app", "b")]).unwrap();
    for i in 1..=5 {
        let line = if i == 3 {
            "a3 error".to_string()
        } else {
            format!("a{i}")
        };
        store.push("t", &a, LogEntry::new(i * S, line));
    }
    for i in 1..=3 {
        store.push("t", &b, LogEntry::new(2 * i * S, format!("b{i}")));
    }
    store
}

fn request(direction: Direction, limit: usize, interval: i64) -> LogRequest<'static> {
    LogRequest {
        tenant: "t",
        start: 0,
        end: 100 * S,
        direction,
        limit,
        interval,
    }
}

fn run(query: &str, request: &LogRequest<'_>) -> (Vec<LogStream>, ScanTotals) {
    run_on(&store(), query, request)
}

fn run_on(
    querier: &dyn LogQuerier,
    query: &str,
    request: &LogRequest<'_>,
) -> (Vec<LogStream>, ScanTotals) {
    let Ok(Expr::Log(expr)) = parse(query) else {
        panic!("{query}");
    };
    let mut totals = ScanTotals::default();
    let guard = Guard::new(CancelToken::default(), None);
    let streams = eval(querier, &expr, request, &guard, &mut totals).unwrap();
    (streams, totals)
}

fn lines(streams: &[LogStream]) -> Vec<(String, Vec<String>)> {
    streams
        .iter()
        .map(|s| {
            let lines = s
                .entries
                .iter()
                .map(|e| String::from_utf8_lossy(&e.line).into_owned())
                .collect();
            (s.labels.to_string(), lines)
        })
        .collect()
}

#[test]
fn forward_and_backward_with_a_limit() {
    let (streams, _) = run(r#"{app=~"a|b"}"#, &request(Direction::Forward, 4, 0));
    // Oldest four: a1 (1s), a2 (2s), b1 (2s), a3 (3s).
    assert_eq!(
        lines(&streams),
        [
            (
                r#"{app="a"}"#.into(),
                vec!["a1".into(), "a2".into(), "a3 error".into()]
            ),
            (r#"{app="b"}"#.into(), vec!["b1".into()]),
        ]
    );
    let (streams, _) = run(r#"{app=~"a|b"}"#, &request(Direction::Backward, 3, 0));
    // Newest three: b3 (6s), a5 (5s), b2 (4s) / a4 (4s): equal times go by labels, reversed.
    assert_eq!(
        lines(&streams),
        [
            (r#"{app="a"}"#.into(), vec!["a5".into()]),
            (r#"{app="b"}"#.into(), vec!["b3".into(), "b2".into()]),
        ]
    );
}

#[test]
fn residual_pipeline_stops_after_the_limit_of_passing_entries() {
    // `|> "<_>1"` stays in the pipeline: a1 and b1 pass.
    let (streams, totals) = run(
        r#"{app=~"a|b"} |> "<_>1""#,
        &request(Direction::Forward, 1, 0),
    );
    assert_eq!(
        lines(&streams),
        [(r#"{app="a"}"#.into(), vec!["a1".into()])]
    );
    assert_eq!(totals.post_filter_lines, 1);
    let (streams, _) = run(
        r#"{app=~"a|b"} |> "<_>1""#,
        &request(Direction::Forward, 10, 0),
    );
    assert_eq!(streams.len(), 2);
}

#[test]
fn pushed_down_filters_and_stats() {
    let (streams, totals) = run(
        r#"{app="a"} |= "error""#,
        &request(Direction::Forward, 10, 0),
    );
    assert_eq!(
        lines(&streams),
        [(r#"{app="a"}"#.into(), vec!["a3 error".into()])]
    );
    assert_eq!(
        totals.scan.total_lines(),
        5,
        "the store tested every line of app=a"
    );
    assert_eq!(totals.post_filter_lines, 1);
}

#[test]
fn interval_skips_entries_closer_than_it() {
    let (streams, _) = run(r#"{app="a"}"#, &request(Direction::Forward, 10, 2 * S));
    assert_eq!(
        lines(&streams),
        [(
            r#"{app="a"}"#.into(),
            vec!["a1".into(), "a3 error".into(), "a5".into()]
        )]
    );
    let (streams, _) = run(r#"{app="a"}"#, &request(Direction::Backward, 10, 2 * S));
    assert_eq!(
        lines(&streams),
        [(
            r#"{app="a"}"#.into(),
            vec!["a5".into(), "a3 error".into(), "a1".into()]
        )]
    );
}

#[test]
fn streams_group_by_final_labels_sorted_by_their_text() {
    let mut store = VecLogQuerier::new();
    let stream = Labels::from_pairs([("app", "x")]).unwrap();
    store.push("t", &stream, LogEntry::new(S, "level=info msg=a"));
    store.push("t", &stream, LogEntry::new(2 * S, "level=error msg=b"));
    store.push("t", &stream, LogEntry::new(3 * S, "msg=c"));
    let (streams, _) = run_on(
        &store,
        r#"{app="x"} | logfmt | drop msg"#,
        &request(Direction::Forward, 10, 0),
    );
    // `{app="x", level="error"}` < `{app="x", level="info"}` < `{app="x"}` as text.
    assert_eq!(
        lines(&streams),
        [
            (
                r#"{app="x", level="error"}"#.into(),
                vec!["level=error msg=b".into()]
            ),
            (
                r#"{app="x", level="info"}"#.into(),
                vec!["level=info msg=a".into()]
            ),
            (r#"{app="x"}"#.into(), vec!["msg=c".into()]),
        ]
    );
}

#[test]
fn structured_metadata_becomes_labels() {
    let mut store = VecLogQuerier::new();
    let stream = Labels::from_pairs([("app", "x")]).unwrap();
    store.push(
        "t",
        &stream,
        LogEntry::new(S, "one").with_metadata("trace", "abc"),
    );
    store.push("t", &stream, LogEntry::new(2 * S, "two"));
    let (streams, _) = run_on(&store, r#"{app="x"}"#, &request(Direction::Forward, 10, 0));
    assert_eq!(
        lines(&streams),
        [
            (r#"{app="x", trace="abc"}"#.into(), vec!["one".into()]),
            (r#"{app="x"}"#.into(), vec!["two".into()]),
        ]
    );
}
