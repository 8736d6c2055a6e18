//! Criterion benches of logstore-core, a group per component: `log/block` (encode and decode,
//! MB/s of lines), `log/filter` (a `|= "error"` and a regex scan over a decoded block, MB/s of
//! lines), `log/push` (MB/s through the store's push path: limits, WAL, heads), and
//! `log/select` (matchers → streams among 100k streams, in the head and in a segment).
//!
//! Lines are the real loghub samples (`../shared/data/logs/loghub/*/*_2k.log`), read at start.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use logstore_core::testing::{BlockBuilder, Direction, FilterOp, LineFilter};
use logstore_core::{LogStore, Options, PushStream, StreamLabels, WalSync};
use model::logs::{LogEntry, LogQuerier};
use model::{MatchType, Matcher};

const T0: i64 = 1_700_000_000_000_000_000;

/// Every line of the loghub 2k samples, in file order per system.
fn loghub_lines() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/logs/loghub");
    let mut systems: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    systems.sort();
    let mut lines = Vec::new();
    for s in systems {
        let Some(name) = s.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Ok(text) = std::fs::read(s.join(format!("{name}_2k.log"))) else {
            continue;
        };
        lines.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    assert!(
        !lines.is_empty(),
        "no loghub samples under {}",
        dir.display()
    );
    lines
}

/// A 256 KiB block's worth of lines (the default block size), from the start of `lines`.
fn block_lines(lines: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut size = 0;
    lines
        .iter()
        .take_while(|l| {
            size += l.len();
            size <= 256 << 10
        })
        .cloned()
        .collect()
}

fn block(c: &mut Criterion) {
    let lines = block_lines(&loghub_lines());
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("log/block");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("encode_zstd3", |b| {
        b.iter(|| {
            let mut builder = BlockBuilder::new();
            for (i, l) in lines.iter().enumerate() {
                builder.push(T0 + i as i64, l, &[]);
            }
            black_box(builder.seal(3))
        })
    });
    let mut builder = BlockBuilder::new();
    for (i, l) in lines.iter().enumerate() {
        builder.push(T0 + i as i64, l, &[]);
    }
    let sealed = match builder.seal(3) {
        Ok(Some(s)) => s,
        other => panic!("sealing failed: {other:?}"),
    };
    g.bench_function("decode", |b| b.iter(|| black_box(sealed.decode())));
    g.finish();

    let decoded = match sealed.decode() {
        Ok(d) => d,
        Err(e) => panic!("decode: {e}"),
    };
    let mut g = c.benchmark_group("log/filter");
    g.throughput(Throughput::Bytes(bytes as u64));
    let filters = [
        ("contains_error", FilterOp::Contains, "error"),
        ("regex_error_or_fail", FilterOp::Matches, "(?i)error|fail"),
    ];
    for (name, op, pattern) in filters {
        let filter = match LineFilter::compile(&[(op, &[pattern][..])]) {
            Ok(f) => f,
            Err(e) => panic!("filter: {e}"),
        };
        g.bench_function(BenchmarkId::new("decoded_block", name), |b| {
            b.iter(|| {
                filter
                    .scan(&decoded, i64::MIN, i64::MAX, Direction::Forward)
                    .count()
            })
        });
        g.bench_function(BenchmarkId::new("decode_and_scan", name), |b| {
            b.iter(|| match sealed.decode() {
                Ok(d) => filter
                    .scan(&d, i64::MIN, i64::MAX, Direction::Forward)
                    .count(),
                Err(_) => 0,
            })
        });
    }
    g.finish();
}

fn unlimited() -> Options {
    Options {
        wal_sync: WalSync::Never,
        ..benches::logs_capacity::bench_options()
    }
}

fn push(c: &mut Criterion) {
    let lines = loghub_lines();
    let batch: Vec<&Vec<u8>> = lines.iter().take(1000).collect();
    let bytes: usize = batch.iter().map(|l| l.len()).sum();
    let mut g = c.benchmark_group("log/push");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.measurement_time(Duration::from_secs(5));
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let store = match LogStore::open(dir.path(), unlimited()) {
        Ok(s) => s,
        Err(e) => panic!("open: {e}"),
    };
    let mut ts = T0;
    g.bench_function("batch_of_1000_lines", |b| {
        b.iter(|| {
            let entries = batch
                .iter()
                .map(|l| {
                    ts += 1000;
                    LogEntry::new(ts, l.as_slice())
                })
                .collect();
            let s = PushStream {
                labels: StreamLabels::Selector(r#"{job="bench", app="loghub"}"#.into()),
                entries,
            };
            black_box(store.push_at("fake", vec![s], i64::MAX / 2))
        })
    });
    g.finish();
}

fn select(c: &mut Criterion) {
    const STREAMS: usize = 100_000;
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let store = match LogStore::open(dir.path(), unlimited()) {
        Ok(s) => s,
        Err(e) => panic!("open: {e}"),
    };
    for chunk in (0..STREAMS).collect::<Vec<_>>().chunks(1000) {
        let streams = chunk
            .iter()
            .map(|i| PushStream {
                labels: StreamLabels::Pairs(vec![
                    ("app".into(), format!("app-{}", i % 100)),
                    ("instance".into(), format!("host-{i}")),
                    ("job".into(), "bench".into()),
                ]),
                entries: vec![LogEntry::new(T0, format!("line of stream {i}"))],
            })
            .collect();
        if let Err(e) = store.push_at("fake", streams, i64::MAX / 2) {
            panic!("push: {e}");
        }
    }
    let matchers = |app: &str| -> Vec<Matcher> {
        match Matcher::new(MatchType::Equal, "app", app) {
            Ok(m) => vec![m],
            Err(e) => panic!("matcher: {e}"),
        }
    };
    let regex = match Matcher::new(MatchType::Regex, "instance", "host-1.*") {
        Ok(m) => vec![m],
        Err(e) => panic!("matcher: {e}"),
    };
    let mut g = c.benchmark_group("log/select");
    g.sample_size(10);
    for (where_, flush) in [("head", false), ("segment", true)] {
        if flush && let Err(e) = store.flush(true) {
            panic!("flush: {e}");
        }
        g.bench_function(BenchmarkId::new(where_, "app_eq_1k_of_100k"), |b| {
            b.iter(|| black_box(store.series("fake", T0, T0 + 1, &[matchers("app-7")])))
        });
        g.bench_function(
            BenchmarkId::new(where_, "instance_regex_11k_of_100k"),
            |b| {
                b.iter(|| black_box(store.series("fake", T0, T0 + 1, std::slice::from_ref(&regex))))
            },
        );
    }
    g.finish();
}

criterion_group!(benches, block, push, select);
criterion_main!(benches);
