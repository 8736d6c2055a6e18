//! Criterion benches of the PromQL engine on real data: `../shared/data/metrics/node-exporter-1s.om.zst`
//! (25 minutes of node_exporter and Prometheus self-metrics scraped every second) loaded into a
//! tsdb-core head, and the issue's queries evaluated as range queries over the whole span at a
//! 15 s step: the engine's own time, without HTTP.
#![allow(
    clippy::expect_used,
    reason = "a bench without its data cannot run: failing loudly is right"
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use model::exposition::{Entry, Format, Parser};
use query::promql::{Engine, EngineOptions};
use tsdb_core::{Db, Options, SeriesRef, WalSync};

/// The queries of issue 4's benchmark list, by name.
const QUERIES: &[(&str, &str)] = &[
    ("rate", "rate(node_cpu_seconds_total[1m])"),
    (
        "sum_by_rate",
        "sum by (mode) (rate(node_cpu_seconds_total[1m]))",
    ),
    (
        "cpu_busy",
        r#"100 - (avg by (instance) (irate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)"#,
    ),
    ("topk", "topk(5, rate(prometheus_http_requests_total[1m]))"),
    (
        "histogram_quantile",
        "histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[1m])))",
    ),
    (
        "group_left",
        "node_network_up * on(device, instance) group_left(operstate) node_network_info",
    ),
];

/// Loads the sample file into a database under `dir`; returns it with the data's time span.
fn load(dir: &Path) -> (Db, i64, i64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/metrics/node-exporter-1s.om.zst");
    let mut text = Vec::new();
    zstd::stream::Decoder::new(std::fs::File::open(&path).expect("sample file"))
        .and_then(|mut d| d.read_to_end(&mut text))
        .expect("decompress the sample file");
    let opts = Options {
        wal_sync: WalSync::Never,
        ..Options::default()
    };
    let db = Db::open(dir, opts).expect("open db");
    let mut refs: HashMap<Vec<u8>, SeriesRef> = HashMap::new();
    let (mut mint, mut maxt) = (i64::MAX, i64::MIN);
    let mut app = db.appender();
    let mut parser = Parser::new(&text, Format::OpenMetrics);
    while let Some(entry) = parser.next() {
        let Entry::Sample {
            value,
            timestamp_ms: Some(t),
            ..
        } = entry.expect("sample file parses")
        else {
            continue;
        };
        mint = mint.min(t);
        maxt = maxt.max(t);
        let key = parser.series_bytes().to_vec();
        let r = match refs.get(&key) {
            Some(&r) => app.append_ref(r, t, value).expect("append"),
            None => {
                let labels = parser.series_labels().expect("labels");
                app.append(&labels, t, value).expect("append")
            }
        };
        refs.insert(key, r);
        if app.len() >= 10_000 {
            app.commit().expect("commit");
            app = db.appender();
        }
    }
    app.commit().expect("commit");
    (db, mint, maxt)
}

fn promql(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, start, end) = load(dir.path());
    let engine = Engine::new(EngineOptions::default());
    let mut g = c.benchmark_group("promql/range_15s");
    g.measurement_time(Duration::from_secs(5));
    for &(name, query) in QUERIES {
        let out = engine
            .range(&db, query, start, end, 15_000)
            .expect("query runs");
        assert!(
            matches!(&out.value, query::promql::QueryValue::Matrix(m) if !m.is_empty()),
            "{name} returns series"
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                engine
                    .range(black_box(&db), query, start, end, 15_000)
                    .expect("query runs")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, promql);
criterion_main!(benches);
