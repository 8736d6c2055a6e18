//! Criterion benches of tsdb-core, a group per component: `chunk/xor` (ns per sample),
//! `head/append` (samples/s, 1 and 2 threads), `wal/replay` (samples/s), `querier/select`
//! (100k series). Shapes use fixed seeds so runs compare.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use model::{Labels, MatchType, Matcher, SeriesQuerier};
use tsdb_core::testing::{xor_decode_all, xor_encode};
use tsdb_core::{Db, Options, SeriesRef, WalSync};

/// Deterministic pseudo-random numbers (xorshift), so shapes are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// 120-sample shapes: a constant gauge, a counter with timestamp jitter, and a float gauge with
/// gaps in time.
fn shapes() -> Vec<(&'static str, Vec<(i64, f64)>)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let constant = (0..120)
        .map(|i| (1_700_000_000_000 + i * 15_000, 1.0))
        .collect();
    let mut c = 0.0;
    let jitter = (0..120)
        .map(|i| {
            c += (rng.next() % 100) as f64;
            (1_700_000_000_000 + i * 15_000 + (rng.next() % 50) as i64, c)
        })
        .collect();
    let mut t = 1_700_000_000_000;
    let gaps = (0..120)
        .map(|_| {
            t += if rng.next().is_multiple_of(10) {
                600_000
            } else {
                15_000
            };
            (t, (rng.next() % 10_000) as f64 / 7.0)
        })
        .collect();
    vec![("constant", constant), ("jitter", jitter), ("gaps", gaps)]
}

fn chunk_xor(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunk/xor");
    for (name, samples) in shapes() {
        g.throughput(Throughput::Elements(samples.len() as u64));
        g.bench_with_input(BenchmarkId::new("encode", name), &samples, |b, s| {
            b.iter(|| xor_encode(black_box(s)))
        });
        let bytes = xor_encode(&samples);
        g.bench_with_input(BenchmarkId::new("decode", name), &bytes, |b, bytes| {
            b.iter(|| xor_decode_all(black_box(bytes)))
        });
    }
    g.finish();
}

fn labels(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", format!("metric_{}", i % 10)),
        ("instance", format!("host-{i}.example.org:9100")),
        ("job", format!("job_{}", i % 7)),
    ])
    .unwrap_or_default()
}

fn bench_options() -> Options {
    Options {
        wal_sync: WalSync::Never,
        compact_on_commit: false,
        retention_ms: None,
        ..Options::default()
    }
}

/// One scrape of `series` from `threads` threads, 1000 samples per commit, timed `iters` times.
fn append_scrapes(
    db: &Db,
    series: &[Labels],
    refs: &mut [Option<SeriesRef>],
    threads: usize,
    t0: i64,
    iters: u64,
) -> Duration {
    let started = Instant::now();
    for k in 0..iters as i64 {
        let t = t0 + k * 15_000;
        std::thread::scope(|s| {
            let per = series.len().div_ceil(threads);
            for (shard, rs) in series.chunks(per).zip(refs.chunks_mut(per)) {
                s.spawn(move || {
                    for (batch, rb) in shard.chunks(1000).zip(rs.chunks_mut(1000)) {
                        let mut app = db.appender();
                        for (l, r) in batch.iter().zip(rb.iter_mut()) {
                            let got = match *r {
                                Some(sr) => app.append_ref(sr, t, k as f64),
                                None => app.append(l, t, k as f64),
                            };
                            *r = got.ok();
                        }
                        let _ = app.commit();
                    }
                });
            }
        });
    }
    started.elapsed()
}

fn head_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("head/append");
    g.sample_size(10);
    let series: Vec<Labels> = (0..20_000).map(labels).collect();
    g.throughput(Throughput::Elements(series.len() as u64));
    for threads in [1usize, 2] {
        let Ok(dir) = tempfile::tempdir() else { return };
        let Ok(db) = Db::open(dir.path(), bench_options()) else {
            return;
        };
        let mut refs = vec![None; series.len()];
        let mut t0 = 1_700_000_000_000i64;
        append_scrapes(&db, &series, &mut refs, threads, t0, 1);
        g.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter_custom(|iters| {
                t0 += 15_000;
                let d = append_scrapes(&db, &series, &mut refs, threads, t0, iters);
                t0 += iters as i64 * 15_000;
                d
            })
        });
    }
    g.finish();
}

fn wal_replay(c: &mut Criterion) {
    let mut g = c.benchmark_group("wal/replay");
    g.sample_size(10);
    // 10k series x 100 samples: fewer than a chunk each, so every sample comes from the WAL.
    let (n_series, n_samples) = (10_000usize, 100i64);
    let Ok(dir) = tempfile::tempdir() else { return };
    {
        let Ok(db) = Db::open(dir.path(), bench_options()) else {
            return;
        };
        let series: Vec<Labels> = (0..n_series).map(labels).collect();
        let mut refs = vec![None; n_series];
        append_scrapes(
            &db,
            &series,
            &mut refs,
            1,
            1_700_000_000_000,
            n_samples as u64,
        );
        let _ = db.close();
    }
    g.throughput(Throughput::Elements(n_series as u64 * n_samples as u64));
    g.bench_function("open", |b| {
        b.iter(|| match Db::open(dir.path(), bench_options()) {
            Ok(db) => {
                black_box(db.head_series());
            }
            Err(e) => panic!("replay failed: {e}"),
        })
    });
    g.finish();
}

fn querier_select(c: &mut Criterion) {
    let mut g = c.benchmark_group("querier/select");
    g.sample_size(10);
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(db) = Db::open(dir.path(), bench_options()) else {
        return;
    };
    let series: Vec<Labels> = (0..100_000).map(labels).collect();
    let mut refs = vec![None; series.len()];
    append_scrapes(&db, &series, &mut refs, 2, 1_700_000_000_000, 8);
    let cases = [
        (
            "one_metric_one_job",
            vec![
                ("__name__", MatchType::Equal, "metric_3"),
                ("job", MatchType::Equal, "job_2"),
            ],
        ),
        (
            "one_metric_regex_jobs",
            vec![
                ("__name__", MatchType::Equal, "metric_3"),
                ("job", MatchType::Regex, "job_[1-3]"),
            ],
        ),
        (
            "all_series",
            vec![("__name__", MatchType::Regex, "metric_.*")],
        ),
    ];
    for (name, ms) in cases {
        let matchers: Vec<Matcher> = ms
            .iter()
            .filter_map(|(n, k, v)| Matcher::new(*k, *n, *v).ok())
            .collect();
        g.bench_function(name, |b| {
            b.iter(|| {
                let q = db.querier(i64::MIN, i64::MAX);
                let mut n = 0u64;
                if let Ok(set) = q.select(&matchers) {
                    for s in set.flatten() {
                        let mut it = s.samples();
                        while it.next().is_some() {
                            n += 1;
                        }
                    }
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, chunk_xor, head_append, wal_replay, querier_select);
criterion_main!(benches);
