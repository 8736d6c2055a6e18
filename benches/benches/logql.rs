//! Criterion benches of the LogQL engine over logstore-core, on the real loghub samples
//! (`../shared/data/logs/loghub/*/*_2k.log`: 16 systems, 32k lines, 4.5 MB), replayed as one
//! stream per system spread evenly over an hour and flushed into a segment:
//!
//! - `logql/parse`: the parser on queries users write;
//! - `logql/filter`: a line filter over the whole hour, as the store's own filtered scan
//!   (`raw_scan`) and as the engine's log query and metric query (MB/s of lines scanned; the
//!   issue's target is the engine within 80% of the raw scan);
//! - `logql/metric`: `sum by (system) (count_over_time(...[1m]))` over the hour at a 1 m step;
//! - `logql/pipeline`: `json | line_format` on the same lines written as JSON objects.
#![allow(
    clippy::expect_used,
    reason = "a bench without its data cannot run: failing loudly is right"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logstore_core::{LogStore, Options, PushStream, StreamLabels, WalSync};
use model::{
    Direction, LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect, MatchType, Matcher,
};
use query::logql::{Engine, EngineOptions, InstantQuery, RangeQuery, syntax};
use query::promql::CancelToken;

/// The hour the replay covers starts here (ns).
const T0: i64 = 1_700_000_000_000_000_000;
const HOUR_NS: i64 = 3_600_000_000_000;
/// A needle found in 3 lines of the 32k: the filter must scan everything.
const RARE_NEEDLE: &str = "panic";

/// The lines of each system's 2k sample, by system name.
fn loghub_systems() -> Vec<(String, Vec<Vec<u8>>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/logs/loghub");
    let mut systems: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("loghub samples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    systems.sort();
    systems
        .into_iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            let text = std::fs::read(path.join(format!("{name}_2k.log"))).ok()?;
            let lines = text
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            Some((name, lines))
        })
        .collect()
}

/// A store under `dir` holding each system's lines as stream `{job=<job>, system=<name>}`,
/// spread evenly over the hour, with `line` turning a raw line into the stored one; flushed.
fn replay(
    dir: &Path,
    job: &str,
    systems: &[(String, Vec<Vec<u8>>)],
    line: &dyn Fn(&str, &[u8]) -> Vec<u8>,
) -> LogStore {
    let opts = Options {
        wal_sync: WalSync::Never,
        ..benches::logs_capacity::bench_options()
    };
    let store = LogStore::open(dir, opts).expect("open store");
    for (system, lines) in systems {
        let gap = HOUR_NS / lines.len().max(1) as i64;
        let entries = lines
            .iter()
            .enumerate()
            .map(|(i, l)| LogEntry::new(T0 + i as i64 * gap, line(system, l)))
            .collect();
        let stream = PushStream {
            labels: StreamLabels::Pairs(vec![
                ("job".into(), job.into()),
                ("system".into(), system.clone()),
            ]),
            entries,
        };
        store
            .push_at("fake", vec![stream], T0 + HOUR_NS)
            .expect("push");
    }
    store.flush(true).expect("flush");
    store
}

fn total_bytes(systems: &[(String, Vec<Vec<u8>>)]) -> u64 {
    systems
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|l| l.len() as u64))
        .sum()
}

fn engine() -> Engine {
    Engine::new(EngineOptions {
        timeout: None,
        ..EngineOptions::default()
    })
}

fn parse(c: &mut Criterion) {
    let queries = [
        r#"{app="api"} |= "error" != "debug""#,
        r#"sum by (system) (count_over_time({job="loghub"} |~ "(?i)error|fail" [1m]))"#,
        r#"{app="api"} | json | status >= 500 and duration > 1s | line_format "{{.method}} {{.path | lower}}""#,
        r#"quantile_over_time(0.99, {app="api"} | logfmt | unwrap duration(latency) | __error__="" [5m]) by (route)"#,
    ];
    let mut g = c.benchmark_group("logql/parse");
    for (i, q) in queries.iter().enumerate() {
        g.bench_function(format!("query_{i}"), |b| {
            b.iter(|| black_box(syntax::parse(black_box(q))))
        });
    }
    g.finish();
}

fn filter(c: &mut Criterion) {
    let systems = loghub_systems();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = replay(dir.path(), "loghub", &systems, &|_, l| l.to_vec());
    let engine = engine();
    let cancel = CancelToken::default();
    let mut g = c.benchmark_group("logql/filter");
    g.throughput(Throughput::Bytes(total_bytes(&systems)));
    g.sample_size(20);
    g.bench_function("raw_scan", |b| {
        b.iter(|| {
            let mut select = LogSelect::new(
                "fake",
                vec![Matcher::new(MatchType::Equal, "job", "loghub").expect("matcher")],
                T0,
                T0 + HOUR_NS,
            );
            select.filter = LineFilterChain::new().then(LineFilterOp::Contains, [RARE_NEEDLE]);
            let found = store
                .select(&select)
                .expect("select")
                .filter(Result::is_ok)
                .count();
            black_box(found)
        })
    });
    let log_query = format!(r#"{{job="loghub"}} |= "{RARE_NEEDLE}""#);
    g.bench_function("log_query", |b| {
        b.iter(|| {
            let mut q = RangeQuery::new(&log_query, T0, T0 + HOUR_NS, 60_000_000_000);
            q.direction = Direction::Forward;
            black_box(engine.range(&store, "fake", &q, &cancel).expect("query"))
        })
    });
    let metric_query = r#"sum(count_over_time({job="loghub"} |= "error" [1h]))"#;
    g.bench_function("count_over_time_instant", |b| {
        b.iter(|| {
            let q = InstantQuery::new(metric_query, T0 + HOUR_NS);
            black_box(engine.instant(&store, "fake", &q, &cancel).expect("query"))
        })
    });
    g.finish();
}

fn metric(c: &mut Criterion) {
    let systems = loghub_systems();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = replay(dir.path(), "loghub", &systems, &|_, l| l.to_vec());
    let engine = engine();
    let cancel = CancelToken::default();
    let query = r#"sum by (system) (count_over_time({job="loghub"}[1m]))"#;
    let mut g = c.benchmark_group("logql/metric");
    g.throughput(Throughput::Bytes(total_bytes(&systems)));
    g.sample_size(20);
    g.bench_function("sum_by_count_over_time_1h_step_1m", |b| {
        b.iter(|| {
            let q = RangeQuery::new(query, T0, T0 + HOUR_NS, 60_000_000_000);
            black_box(engine.range(&store, "fake", &q, &cancel).expect("query"))
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let systems = loghub_systems();
    let dir = tempfile::tempdir().expect("tempdir");
    let as_json = |system: &str, line: &[u8]| -> Vec<u8> {
        let message = String::from_utf8_lossy(line);
        let level = if message.contains("error") || message.contains("ERROR") {
            "error"
        } else {
            "info"
        };
        serde_json::json!({"system": system, "level": level, "msg": message})
            .to_string()
            .into_bytes()
    };
    let store = replay(dir.path(), "json", &systems, &as_json);
    let bytes: u64 = systems
        .iter()
        .flat_map(|(s, lines)| lines.iter().map(|l| as_json(s, l).len() as u64))
        .sum();
    let engine = engine();
    let cancel = CancelToken::default();
    let query = r#"sum by (level) (bytes_over_time({job="json"} | json | line_format "{{.level | upper}} {{.msg}}" [1h]))"#;
    let mut g = c.benchmark_group("logql/pipeline");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("json_line_format", |b| {
        b.iter(|| {
            let q = InstantQuery::new(query, T0 + HOUR_NS);
            black_box(engine.instant(&store, "fake", &q, &cancel).expect("query"))
        })
    });
    g.finish();
}

criterion_group!(benches, parse, filter, metric, pipeline);
criterion_main!(benches);
