use model::{LogEntry, VecLogQuerier};

use super::*;
use crate::logql::eval::Guard;
use crate::logql::syntax::{Expr, SampleExpr, parse};
use crate::promql::CancelToken;

const S: i64 = 1_000_000_000;

fn pts(seconds: &[i64]) -> Vec<Point> {
    seconds
        .iter()
        .map(|&t| Point { t: t * S, v: 1.0 })
        .collect()
}

fn windows(start_s: i64, step_s: i64, count: usize, range_s: i64, offset_s: i64) -> Windows {
    Windows {
        grid: Grid {
            start: start_s * S,
            step: step_s * S,
            count,
        },
        range: range_s * S,
        offset: offset_s * S,
    }
}

fn collect(w: &Windows, points: &[Point]) -> Vec<(usize, Vec<i64>)> {
    let mut out = Vec::new();
    w.for_each(points, |step, window| {
        out.push((step, window.iter().map(|p| p.t / S).collect()));
    });
    out
}

#[test]
fn windows_are_left_open_and_right_closed() {
    // Steps at 10, 20, 30 with a 10 s range: (0, 10], (10, 20], (20, 30].
    let w = windows(10, 10, 3, 10, 0);
    let got = collect(&w, &pts(&[0, 5, 10, 11, 20, 30, 31]));
    assert_eq!(got, [(0, vec![5, 10]), (1, vec![11, 20]), (2, vec![30])]);
}

#[test]
fn overlapping_windows_and_empty_steps() {
    // Range 25 s over steps 10 s apart: (-15, 10], (-5, 20], (5, 30], (15, 40].
    let w = windows(10, 10, 4, 25, 0);
    let got = collect(&w, &pts(&[1, 12]));
    assert_eq!(
        got,
        [(0, vec![1]), (1, vec![1, 12]), (2, vec![12]), (3, vec![])]
            .into_iter()
            .filter(|(_, w)| !w.is_empty())
            .collect::<Vec<_>>()
    );
}

#[test]
fn offset_moves_the_window_back() {
    // Step at 100 with offset 30 and range 10: (60, 70].
    let w = windows(100, 1, 1, 10, 30);
    assert_eq!(
        collect(&w, &pts(&[60, 65, 70, 71, 100])),
        [(0, vec![65, 70])]
    );
    assert_eq!(w.first_step(&pts(&[100])), None);
}

#[test]
fn error_series_fail_at_their_first_window() {
    let w = windows(10, 10, 3, 10, 0);
    let ok = Labels::from_pairs([("app", "a")]).unwrap();
    let late = Labels::from_pairs([("__error__", "LateErr"), ("app", "b")]).unwrap();
    let early = Labels::from_pairs([("__error__", "EarlyErr"), ("app", "c")]).unwrap();
    let outside = Labels::from_pairs([("__error__", "Outside"), ("app", "d")]).unwrap();
    let series = vec![
        (ok.clone(), pts(&[5])),
        (late, pts(&[25])),
        (early.clone(), pts(&[15])),
        (outside.clone(), pts(&[99])),
    ];
    match check_errors(&series, &w) {
        Err(QueryError::SeriesPipeline { series, error_type }) => {
            assert_eq!(series, early);
            assert_eq!(error_type, "EarlyErr");
        }
        other => panic!("{other:?}"),
    }
    let preserved =
        Labels::from_pairs([("__error__", "E"), ("__preserve_error__", "true")]).unwrap();
    let quiet = vec![
        (ok, pts(&[5])),
        (outside, pts(&[99])),
        (preserved, pts(&[5])),
    ];
    assert!(check_errors(&quiet, &w).is_ok());
}

#[test]
fn absent_labels_follow_lokis_rules() {
    let m = |kind, name: &str, value: &str| Matcher::new(kind, name, value).unwrap();
    let labels = absent_labels(&[
        m(MatchType::Equal, "job", "api"),
        m(MatchType::Equal, "env", "prod"),
        m(MatchType::Regex, "env", "p.*"),
        m(MatchType::Equal, "host", "a"),
        m(MatchType::Equal, "host", "b"),
        m(MatchType::NotEqual, "zone", "x"),
        m(MatchType::Equal, "__name__", "n"),
    ])
    .unwrap();
    assert_eq!(labels, Labels::from_pairs([("job", "api")]).unwrap());
}

#[test]
fn absent_answers_only_empty_steps() {
    let labels = Labels::from_pairs([("job", "api")]).unwrap();
    let steps = vec![vec![], vec![Sample::new(labels.clone(), 1.0)], vec![]];
    let out = absent(steps, &labels);
    assert_eq!(out[0], [Sample::new(labels.clone(), 1.0)]);
    assert!(out[1].is_empty());
    assert_eq!(out[2], [Sample::new(labels, 1.0)]);
}

fn store() -> VecLogQuerier {
    let mut store = VecLogQuerier::new();
    let a = Labels::from_pairs([("app", "a")]).unwrap();
    let b = Labels::from_pairs([("app", "b")]).unwrap();
    // app=a: a line every 10 s from 10 to 60; app=b: lines at 15 and 45 (length 5).
    for t in 1..=6 {
        store.push("t", &a, LogEntry::new(t * 10 * S, "ab"));
    }
    store.push("t", &b, LogEntry::new(15 * S, "hello"));
    store.push("t", &b, LogEntry::new(45 * S, "world"));
    store.push("other", &a, LogEntry::new(15 * S, "elsewhere"));
    store
}

fn run(query: &str, grid: Grid) -> Result<StepVectors, QueryError> {
    let Ok(Expr::Sample(SampleExpr::RangeAggregation(agg))) = parse(query) else {
        panic!("{query}");
    };
    let store = store();
    let mut ev = Evaluator::new(&store, "t", grid, Guard::new(CancelToken::default(), None));
    eval(&mut ev, &agg)
}

fn values(steps: &StepVectors) -> Vec<Vec<(String, f64)>> {
    steps
        .iter()
        .map(|step| {
            step.iter()
                .map(|s| (s.labels.to_string(), s.value))
                .collect()
        })
        .collect()
}

#[test]
fn count_over_time_slides_over_the_stream() {
    let grid = Grid::range(30 * S, 60 * S, 30 * S);
    let got = values(&run(r#"count_over_time({app=~"a|b"}[30s])"#, grid).unwrap());
    // (0, 30]: a at 10, 20, 30, b at 15; (30, 60]: a at 40, 50, 60, b at 45.
    let a = r#"{app="a"}"#.to_string();
    let b = r#"{app="b"}"#.to_string();
    assert_eq!(
        got,
        [
            vec![(a.clone(), 3.0), (b.clone(), 1.0)],
            vec![(a, 3.0), (b, 1.0)]
        ]
    );
}

#[test]
fn bytes_and_absent_over_an_instant() {
    let grid = Grid::instant(20 * S);
    let got = values(&run(r#"bytes_over_time({app="b"}[20s])"#, grid).unwrap());
    assert_eq!(got, [vec![(r#"{app="b"}"#.to_string(), 5.0)]]);
    let got = values(&run(r#"absent_over_time({app="c"}[1m])"#, grid).unwrap());
    assert_eq!(got, [vec![(r#"{app="c"}"#.to_string(), 1.0)]]);
    let got = values(&run(r#"absent_over_time({app="a"}[1m])"#, grid).unwrap());
    assert_eq!(got, [vec![]]);
}

/// `{job="w"}`: logfmt lines with a route, a pod and a latency, 10 s apart from 10 s.
fn latencies() -> VecLogQuerier {
    let mut store = VecLogQuerier::new();
    let labels = Labels::from_pairs([("job", "w")]).unwrap();
    let lines = [
        "route=/a pod=1 latency=10",
        "route=/b pod=1 latency=1",
        "route=/a pod=2 latency=30",
        "route=/a pod=1 latency=20",
        "route=/b pod=2 latency=3",
    ];
    for (i, line) in lines.iter().enumerate() {
        store.push("t", &labels, LogEntry::new((i as i64 + 1) * 10 * S, *line));
    }
    store
}

fn run_on(store: &VecLogQuerier, query: &str, grid: Grid) -> Vec<Vec<(String, f64)>> {
    let Ok(Expr::Sample(SampleExpr::RangeAggregation(agg))) = parse(query) else {
        panic!("{query}");
    };
    let mut ev = Evaluator::new(store, "t", grid, Guard::new(CancelToken::default(), None));
    values(&eval(&mut ev, &agg).unwrap())
}

#[test]
fn unwrapped_aggregations_group_by_and_without() {
    let store = latencies();
    let at = Grid::instant(50 * S);
    let got = run_on(
        &store,
        r#"avg_over_time({job="w"} | logfmt | unwrap latency [1m]) by (route)"#,
        at,
    );
    assert_eq!(
        got,
        [vec![
            (r#"{route="/a"}"#.into(), 20.0),
            (r#"{route="/b"}"#.into(), 2.0)
        ]]
    );
    let got = run_on(
        &store,
        r#"max_over_time({job="w"} | logfmt | unwrap latency [1m]) without (pod, route)"#,
        at,
    );
    assert_eq!(got, [vec![(r#"{job="w"}"#.into(), 30.0)]]);
    let got = run_on(
        &store,
        r#"quantile_over_time(0.5, {job="w"} | logfmt | unwrap latency [1m]) by (pod)"#,
        at,
    );
    // pod 1: 10, 1, 20 → 10; pod 2: 30, 3 → 16.5.
    assert_eq!(
        got,
        [vec![
            (r#"{pod="1"}"#.into(), 10.0),
            (r#"{pod="2"}"#.into(), 16.5)
        ]]
    );
    let got = run_on(
        &store,
        r#"sum_over_time({job="w"} | logfmt | route="/a" | unwrap latency [25s])"#,
        Grid::range(20 * S, 40 * S, 20 * S),
    );
    // (-5, 20]: 10; (15, 40]: 30 + 20. The series keeps every extracted label.
    let key = r#"{job="w", pod="1", route="/a"}"#.to_string();
    let key2 = r#"{job="w", pod="2", route="/a"}"#.to_string();
    assert_eq!(
        got,
        [vec![(key.clone(), 10.0)], vec![(key, 20.0), (key2, 30.0)]]
    );
}

#[test]
fn first_last_and_rate_counter_over_unwrapped_values() {
    let store = latencies();
    let at = Grid::instant(50 * S);
    let q = |op: &str| format!(r#"{op}({{job="w"}} | logfmt | unwrap latency [1m]) by (job)"#);
    assert_eq!(
        run_on(&store, &q("first_over_time"), at),
        [vec![(r#"{job="w"}"#.into(), 10.0)]]
    );
    assert_eq!(
        run_on(&store, &q("last_over_time"), at),
        [vec![(r#"{job="w"}"#.into(), 3.0)]]
    );
    let got = run_on(
        &store,
        r#"rate_counter({job="w"} | logfmt | drop pod, route | unwrap latency [1m])"#,
        at,
    );
    let want = RangeKernel::new(RangeOp::RateCounter, 60 * S, None).apply(&[
        Point { t: 10 * S, v: 10.0 },
        Point { t: 20 * S, v: 1.0 },
        Point { t: 30 * S, v: 30.0 },
        Point { t: 40 * S, v: 20.0 },
        Point { t: 50 * S, v: 3.0 },
    ]);
    assert_eq!(got, [vec![(r#"{job="w"}"#.into(), want)]]);
}

#[test]
fn offset_reads_an_earlier_window() {
    // At 60 s with offset 30 s and range 30 s: (0, 30] holds a at 10, 20, 30 and b at 15.
    let got = values(
        &run(
            r#"count_over_time({app=~"a|b"}[30s] offset 30s)"#,
            Grid::instant(60 * S),
        )
        .unwrap(),
    );
    assert_eq!(
        got,
        [vec![
            (r#"{app="a"}"#.into(), 3.0),
            (r#"{app="b"}"#.into(), 1.0)
        ]]
    );
}
