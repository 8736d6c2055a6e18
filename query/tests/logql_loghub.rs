//! LogQL queries over real log lines: 300 lines each of four loghub systems
//! (`../shared/data/logs/loghub`), stamped at a fixed cadence, loaded into `logstore-core` (half
//! flushed into segments, half in the head) and into `model::VecLogQuerier`. Every query runs on
//! both stores, which must agree, and is checked against values computed here directly from the
//! lines.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use logstore_core::{LogStore, Options, PushStream, StreamLabels};
use model::{Direction, Labels, LogEntry, VecLogQuerier};
use query::logql::{
    Engine, EngineOptions, InstantQuery, LimitError, QueryData, QueryError, QueryResponse,
    RangeQuery,
};
use query::promql::CancelToken;
use regex::Regex;

const S: i64 = 1_000_000_000;
/// The first line's time: 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000 * S;
const LINES: usize = 300;
const TENANT: &str = "loghub";
const SYSTEMS: [(&str, &str); 4] = [
    ("apache", "Apache"),
    ("hdfs", "HDFS"),
    ("linux", "Linux"),
    ("openssh", "OpenSSH"),
];

/// One loaded line.
#[derive(Debug, Clone)]
struct Line {
    system: &'static str,
    ts: i64,
    text: String,
}

/// The lines and both stores holding them.
struct Fixture {
    lines: Vec<Line>,
    vec: VecLogQuerier,
    store: LogStore,
    _dir: tempfile::TempDir,
}

/// Line `i` of system `k` is at `T0 + i s + k * 250 ms`, so systems interleave without ties.
fn load_lines() -> Vec<Line> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/logs/loghub");
    let mut lines = Vec::new();
    for (k, (system, dir)) in SYSTEMS.iter().enumerate() {
        let path = root.join(dir).join(format!("{dir}_2k.log"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for (i, line) in text.lines().take(LINES).enumerate() {
            lines.push(Line {
                system,
                ts: T0 + i as i64 * S + k as i64 * 250_000_000,
                text: line.to_owned(),
            });
        }
    }
    lines
}

fn stream_labels(system: &str) -> Labels {
    Labels::from_pairs([("job", "loghub"), ("system", system)]).unwrap()
}

fn fixture() -> Fixture {
    let lines = load_lines();
    let mut vec = VecLogQuerier::new();
    for line in &lines {
        vec.push(
            TENANT,
            &stream_labels(line.system),
            LogEntry::new(line.ts, line.text.clone()),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), Options::default()).unwrap();
    let push = |range: std::ops::Range<usize>| {
        let streams = SYSTEMS
            .iter()
            .map(|(system, _)| PushStream {
                labels: StreamLabels::Pairs(vec![
                    ("job".into(), "loghub".into()),
                    ("system".into(), system.to_string()),
                ]),
                entries: lines
                    .iter()
                    .filter(|l| l.system == *system)
                    .skip(range.start)
                    .take(range.len())
                    .map(|l| LogEntry::new(l.ts, l.text.clone()))
                    .collect(),
            })
            .collect();
        let outcome = store.push_at(TENANT, streams, T0 + 3600 * S).unwrap();
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    };
    push(0..LINES / 2);
    store.flush(true).unwrap();
    push(LINES / 2..LINES);
    Fixture {
        lines,
        vec,
        store,
        _dir: dir,
    }
}

impl Fixture {
    /// Runs a range query on both stores, checks they agree, returns the answer.
    fn range(&self, query: RangeQuery<'_>) -> QueryResponse {
        self.range_with(&Engine::default(), query).unwrap()
    }

    fn range_with(
        &self,
        engine: &Engine,
        query: RangeQuery<'_>,
    ) -> Result<QueryResponse, QueryError> {
        let cancel = CancelToken::default();
        let a = engine.range(&self.vec, TENANT, &query, &cancel);
        let b = engine.range(&self.store, TENANT, &query, &cancel);
        agree(query.query, a, b)
    }

    fn instant(&self, query: &str, time: i64) -> QueryResponse {
        let cancel = CancelToken::default();
        let q = InstantQuery::new(query, time);
        let engine = Engine::default();
        let a = engine.instant(&self.vec, TENANT, &q, &cancel);
        let b = engine.instant(&self.store, TENANT, &q, &cancel);
        agree(query, a, b).unwrap()
    }

    /// Lines of `system` (all when `None`) with `lo < ts <= hi` passing `keep`.
    fn window<'a>(
        &'a self,
        lo: i64,
        hi: i64,
        keep: impl Fn(&Line) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines
            .iter()
            .filter(move |l| lo < l.ts && l.ts <= hi && keep(l))
    }
}

fn agree(
    query: &str,
    a: Result<QueryResponse, QueryError>,
    b: Result<QueryResponse, QueryError>,
) -> Result<QueryResponse, QueryError> {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.data, b.data, "{query}: the stores disagree");
            assert_eq!(
                a.stats.post_filter_lines, b.stats.post_filter_lines,
                "{query}"
            );
            Ok(b)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{query}");
            Err(b)
        }
        (a, b) => panic!("{query}: {a:?} vs {b:?}"),
    }
}

/// `(stream labels text, lines)` of a streams result.
fn streams(response: &QueryResponse) -> Vec<(String, Vec<(i64, String)>)> {
    let QueryData::Streams(streams) = &response.data else {
        panic!("not streams: {:?}", response.data.result_type());
    };
    streams
        .iter()
        .map(|s| {
            let entries = s
                .entries
                .iter()
                .map(|e| (e.ts, String::from_utf8_lossy(&e.line).into_owned()))
                .collect();
            (s.labels.to_string(), entries)
        })
        .collect()
}

/// `labels text → [(ms, value)]` of a matrix result.
fn matrix(response: &QueryResponse) -> BTreeMap<String, Vec<(i64, f64)>> {
    let QueryData::Matrix(series) = &response.data else {
        panic!("not a matrix: {:?}", response.data.result_type());
    };
    series
        .iter()
        .map(|s| {
            (
                s.labels.to_string(),
                s.samples.iter().map(|p| (p.t, p.v)).collect(),
            )
        })
        .collect()
}

/// `labels text → value` of a vector result.
fn vector(response: &QueryResponse) -> BTreeMap<String, f64> {
    let QueryData::Vector(samples) = &response.data else {
        panic!("not a vector: {:?}", response.data.result_type());
    };
    samples
        .iter()
        .map(|s| (s.labels.to_string(), s.v))
        .collect()
}

fn system_key(system: &str) -> String {
    format!("{{system={system:?}}}")
}

fn log_query(query: &str, direction: Direction, limit: usize) -> RangeQuery<'_> {
    let mut q = RangeQuery::new(query, T0, T0 + 400 * S, S);
    q.direction = direction;
    q.limit = limit;
    q
}

/// The queries (named `logql::...` so `cargo test -p query logql` selects them).
mod logql {
    use super::*;

    #[test]
    fn line_filter_returns_every_matching_line_in_order() {
        let f = fixture();
        let got = f.range(log_query(
            r#"{job="loghub", system="apache"} |= "error""#,
            Direction::Forward,
            1000,
        ));
        let want: Vec<(i64, String)> = f
            .lines
            .iter()
            .filter(|l| l.system == "apache" && l.text.contains("error"))
            .map(|l| (l.ts, l.text.clone()))
            .collect();
        assert!(want.len() > 10, "the sample holds error lines");
        assert_eq!(
            streams(&got),
            [(
                r#"{job="loghub", system="apache"}"#.to_string(),
                want.clone()
            )]
        );
        assert_eq!(got.stats.entries_returned, want.len() as u64);
        assert_eq!(got.stats.post_filter_lines, want.len() as u64);
    }

    #[test]
    fn backward_limit_takes_the_newest_lines_across_streams() {
        let f = fixture();
        let got = f.range(log_query(r#"{job="loghub"}"#, Direction::Backward, 7));
        let mut newest: Vec<&Line> = f.lines.iter().collect();
        newest.sort_by_key(|l| std::cmp::Reverse(l.ts));
        let mut want: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for l in newest.into_iter().take(7) {
            let key = stream_labels(l.system).to_string();
            want.entry(key).or_default().push((l.ts, l.text.clone()));
        }
        assert_eq!(streams(&got), want.into_iter().collect::<Vec<_>>());
        assert_eq!(got.stats.entries_returned, 7);
    }

    #[test]
    fn forward_limit_with_a_residual_pipeline_stops_at_the_limit() {
        let f = fixture();
        // Pattern filters stay in the pipeline, so the store cannot apply the limit.
        let got = f.range(log_query(
            r#"{job="loghub"} |> "<_>Invalid user<_>""#,
            Direction::Forward,
            5,
        ));
        let want: Vec<(i64, String)> = f
            .lines
            .iter()
            .filter(|l| l.text.contains("Invalid user"))
            .map(|l| (l.ts, l.text.clone()))
            .take(5)
            .collect();
        assert_eq!(want.len(), 5);
        assert_eq!(
            streams(&got),
            [(r#"{job="loghub", system="openssh"}"#.to_string(), want)]
        );
    }

    #[test]
    fn parsed_labels_group_log_lines_into_streams() {
        let f = fixture();
        let query = r#"{system="apache"} | regexp "^\\[[^\\]]+\\] \\[(?P<level>[a-z]+)\\]" | level=~"error|warn""#;
        let got = f.range(log_query(query, Direction::Forward, 1000));
        let re = Regex::new(r"^\[[^\]]+\] \[([a-z]+)\]").unwrap();
        let mut want: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for l in f.lines.iter().filter(|l| l.system == "apache") {
            let Some(level) = re.captures(&l.text).map(|c| c[1].to_string()) else {
                continue;
            };
            if level == "error" || level == "warn" {
                let key = format!(r#"{{job="loghub", level="{level}", system="apache"}}"#);
                want.entry(key).or_default().push((l.ts, l.text.clone()));
            }
        }
        assert!(!want.is_empty());
        assert_eq!(streams(&got), want.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn count_over_time_by_system_equals_a_direct_count() {
        let f = fixture();
        let (start, end, step, range) = (T0 + 60 * S, T0 + 300 * S, 30 * S, 60 * S);
        let query = r#"sum by (system) (count_over_time({job="loghub"}[1m]))"#;
        let got = f.range(RangeQuery::new(query, start, end, step));
        let mut want: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        let mut t = start;
        while t <= end {
            for (system, _) in SYSTEMS {
                let n = f.window(t - range, t, |l| l.system == system).count();
                if n > 0 {
                    want.entry(system_key(system))
                        .or_default()
                        .push((t / 1_000_000, n as f64));
                }
            }
            t += step;
        }
        assert_eq!(matrix(&got), want);
        assert_eq!(got.stats.entries_returned, 4 * 9);
    }

    #[test]
    fn rate_is_lines_per_second_of_range() {
        let f = fixture();
        let t = T0 + 150 * S;
        let got = f.instant(r#"rate({system="hdfs"}[30s])"#, t);
        let n = f.window(t - 30 * S, t, |l| l.system == "hdfs").count();
        assert_eq!(
            vector(&got),
            BTreeMap::from([(stream_labels("hdfs").to_string(), n as f64 / 30.0)])
        );
    }

    #[test]
    fn topk_keeps_the_busiest_systems() {
        let f = fixture();
        let t = T0 + 300 * S;
        let got = f.instant(
            r#"topk(2, sum by (system) (count_over_time({job="loghub"} |= "a" [5m])))"#,
            t,
        );
        // The window (T0, T0 + 300 s] leaves out apache's first line, exactly at T0.
        let mut counts: Vec<(usize, &str)> = SYSTEMS
            .iter()
            .map(|(system, _)| {
                let n = f
                    .window(t - 300 * S, t, |l| {
                        l.system == *system && l.text.contains('a')
                    })
                    .count();
                (n, *system)
            })
            .collect();
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        assert!(counts[1].0 > counts[2].0, "no tie at the cut: {counts:?}");
        let want: BTreeMap<String, f64> = counts
            .iter()
            .take(2)
            .map(|(n, system)| (system_key(system), *n as f64))
            .collect();
        assert_eq!(vector(&got), want);
    }

    #[test]
    fn binary_operations_divide_matching_series() {
        let f = fixture();
        let t = T0 + 400 * S;
        let errors =
            r#"sum by (system) (count_over_time({job="loghub"} |~ "(?i)error|fail" [5m]))"#;
        let all = r#"sum by (system) (count_over_time({job="loghub"}[5m]))"#;
        let ratio = f.instant(&format!("{errors} / {all}"), t);
        let above = f.instant(&format!("{errors} / {all} > bool 0.1"), t);
        let re = Regex::new("(?i)error|fail").unwrap();
        let mut want = BTreeMap::new();
        let mut want_bool = BTreeMap::new();
        for (system, _) in SYSTEMS {
            let total = f.window(t - 300 * S, t, |l| l.system == system).count();
            let bad = f
                .window(t - 300 * S, t, |l| {
                    l.system == system && re.is_match(&l.text)
                })
                .count();
            if bad > 0 {
                let r = bad as f64 / total as f64;
                want.insert(system_key(system), r);
                want_bool.insert(system_key(system), if r > 0.1 { 1.0 } else { 0.0 });
            }
        }
        assert!(want.len() >= 2, "{want:?}");
        assert_eq!(vector(&ratio), want);
        assert_eq!(vector(&above), want_bool);
        let scaled = f.instant(&format!("{all} * 2 - 1"), t);
        for (key, v) in vector(&scaled) {
            let system = SYSTEMS
                .iter()
                .find(|(s, _)| system_key(s) == key)
                .unwrap()
                .0;
            let n = f.window(t - 300 * S, t, |l| l.system == system).count();
            assert_eq!(v, n as f64 * 2.0 - 1.0, "{key}");
        }
    }

    #[test]
    fn bytes_over_time_sums_line_lengths() {
        let f = fixture();
        let t = T0 + 100 * S;
        let got = f.instant(
            r#"bytes_over_time({job="loghub", system=~"linux|openssh"}[1m])"#,
            t,
        );
        let want: BTreeMap<String, f64> = ["linux", "openssh"]
            .iter()
            .map(|system| {
                let bytes: usize = f
                    .window(t - 60 * S, t, |l| l.system == *system)
                    .map(|l| l.text.len())
                    .sum();
                (stream_labels(system).to_string(), bytes as f64)
            })
            .collect();
        assert_eq!(vector(&got), want);
    }

    #[test]
    fn parsed_levels_aggregate_like_a_direct_count() {
        let f = fixture();
        let t = T0 + 400 * S;
        let query = r#"sum by (level) (count_over_time({system="apache"} | regexp "^\\[[^\\]]+\\] \\[(?P<level>[a-z]+)\\]" [10m]))"#;
        let got = f.instant(query, t);
        let re = Regex::new(r"^\[[^\]]+\] \[([a-z]+)\]").unwrap();
        let mut want: BTreeMap<String, f64> = BTreeMap::new();
        for l in f.window(t - 600 * S, t, |l| l.system == "apache") {
            let key = match re.captures(&l.text) {
                Some(c) => format!("{{level={:?}}}", &c[1]),
                None => "{}".to_string(),
            };
            *want.entry(key).or_default() += 1.0;
        }
        assert!(want.len() >= 2, "{want:?}");
        assert_eq!(vector(&got), want);
    }

    #[test]
    fn absent_over_time_names_the_missing_stream() {
        let f = fixture();
        let got = f.instant(
            r#"absent_over_time({job="loghub", system="nope"}[1m])"#,
            T0 + 60 * S,
        );
        assert_eq!(
            vector(&got),
            BTreeMap::from([(stream_labels("nope").to_string(), 1.0)])
        );
        let got = f.instant(
            r#"absent_over_time({job="loghub", system="hdfs"}[1m])"#,
            T0 + 60 * S,
        );
        assert!(vector(&got).is_empty());
    }

    #[test]
    fn the_series_limit_holds_on_real_data() {
        let f = fixture();
        let engine = Engine::new(EngineOptions {
            max_query_series: Some(3),
            ..EngineOptions::default()
        });
        let q = RangeQuery::new(
            r#"count_over_time({job="loghub"}[5m])"#,
            T0 + 60 * S,
            T0 + 120 * S,
            60 * S,
        );
        let err = f.range_with(&engine, q).unwrap_err();
        assert!(matches!(
            err,
            QueryError::Limit(LimitError::Series { limit: 3 })
        ));
        let q = RangeQuery::new(
            r#"sum(count_over_time({job="loghub"}[5m]))"#,
            T0 + 60 * S,
            T0 + 120 * S,
            60 * S,
        );
        assert!(f.range_with(&engine, q).is_ok());
    }

    #[test]
    fn responses_have_lokis_json_shape_and_stats() {
        let f = fixture();
        let cancel = CancelToken::default();
        let q = log_query(r#"{job="loghub", system="hdfs"}"#, Direction::Forward, 3);
        let response = Engine::default()
            .range(&f.store, TENANT, &q, &cancel)
            .unwrap();
        let json = response.to_json();
        assert_eq!(json["resultType"], "streams");
        let values = &json["result"][0]["values"];
        assert_eq!(values.as_array().unwrap().len(), 3);
        assert_eq!(values[0][0], (T0 + 250_000_000).to_string());
        assert!(values[0][1].as_str().unwrap().starts_with("081109"));
        let summary = &json["stats"]["summary"];
        assert_eq!(summary["totalEntriesReturned"], 3);
        assert!(summary["execTime"].as_f64().unwrap() >= 0.0);
        // The three oldest hdfs lines were flushed: the store (querier) read them.
        assert!(
            json["stats"]["querier"]["store"]["chunk"]["decompressedLines"]
                .as_u64()
                .unwrap()
                >= 3
        );
        let metric = Engine::default()
            .range(
                &f.store,
                TENANT,
                &RangeQuery::new(
                    r#"sum(count_over_time({job="loghub"}[5m]))"#,
                    T0 + 300 * S,
                    T0 + 400 * S,
                    100 * S,
                ),
                &cancel,
            )
            .unwrap();
        let json = metric.to_json();
        assert_eq!(json["resultType"], "matrix");
        let point = &json["result"][0]["values"][0];
        assert_eq!(point[0], 1_700_000_300);
        assert_eq!(point[1], "1199");
        let summary = &json["stats"]["summary"];
        // The select reads (T0, T0 + 400 s]: every line but apache's first.
        assert_eq!(summary["totalLinesProcessed"], 1199);
        assert_eq!(summary["totalPostFilterLines"], 1199);
    }
}
