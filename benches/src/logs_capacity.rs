//! `capacity logs`: ingest synthesized loghub lines into logstore-core, flush them, scan them
//! with a substring and a regex filter, and measure the `zstd` command-line tool on exactly the
//! same bytes (one file per stream, one thread), so the engine's figures have a reference.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use logstore_core::{Limits, LogStore, Options, PushStream, StreamLabels, TenantLimits, WalSync};
use model::logs::{LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect};
use model::{MatchType, Matcher};

use crate::loghub::{self, SystemLines};
use crate::procstat;

/// Lines per push: one push carries this many lines of one stream, as a Promtail batch would.
const LINES_PER_PUSH: usize = 1000;

/// What `capacity logs` measured. MB are 10^6 bytes.
#[derive(Debug, serde::Serialize)]
pub struct LogsReport {
    /// Line bytes pushed (without newlines).
    pub bytes_in: u64,
    /// Lines pushed.
    pub lines: u64,
    /// Streams (one per loghub system).
    pub streams: usize,
    /// Time of all pushes (limits, WAL, heads, block compression).
    pub ingest_seconds: f64,
    /// `bytes_in` per ingest second, MB.
    pub ingest_mb_per_sec: f64,
    /// Lines per ingest second.
    pub lines_per_sec: f64,
    /// Time of the final flush (cutting and writing every chunk), not part of ingest.
    pub flush_seconds: f64,
    /// Segment files and WAL after the flush.
    pub bytes_on_disk: u64,
    /// `bytes_in / bytes_on_disk`.
    pub compression_ratio: f64,
    /// `|= "error"` over every stream, MB of lines in the range per second.
    pub scan_contains_mb_per_sec: f64,
    /// Lines that scan returned.
    pub scan_contains_matches: u64,
    /// `|~ "(?i)error|fail"` likewise.
    pub scan_regex_mb_per_sec: f64,
    /// Lines that scan returned.
    pub scan_regex_matches: u64,
    /// Peak resident memory of the process.
    pub peak_rss_bytes: u64,
    /// The same bytes through `zstd -3` / `zstd -d`, one file per stream, one thread; absent
    /// when the tool is not installed.
    pub zstd: Option<ZstdReference>,
}

/// The `zstd` command-line tool on the dumped streams.
#[derive(Debug, serde::Serialize)]
pub struct ZstdReference {
    /// Dumped bytes over `.zst` bytes.
    pub compression_ratio: f64,
    /// `zstd -3 -T1`, MB of input per second (process start included).
    pub compress_mb_per_sec: f64,
    /// `zstd -d`, MB of output per second.
    pub decompress_mb_per_sec: f64,
    /// Our compression ratio over zstd's (target ≥ 0.9).
    pub ratio_vs_zstd: f64,
    /// Our ingest over zstd's compression speed (target ≥ 0.5).
    pub ingest_vs_zstd_compress: f64,
    /// Our `|= "error"` scan over zstd's decompression speed (target ≥ 0.7).
    pub scan_vs_zstd_decompress: f64,
}

/// Options of one run.
pub struct LogsArgs {
    /// The loghub samples.
    pub input: PathBuf,
    /// Bytes to synthesize, line ends counted.
    pub volume: u64,
    /// Synthesizer seed.
    pub seed: u64,
    /// The store's directory (emptied first).
    pub out: PathBuf,
    /// Skip the zstd reference.
    pub no_zstd: bool,
}

/// Writes each stream's lines to `dir/<system>.log` and returns the files.
pub fn dump_input(args: &LogsArgs, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = loghub::dump(&args.input, args.seed, args.volume, dir)
        .with_context(|| format!("synthesize from {}", args.input.display()))?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

/// Runs the whole measurement.
pub fn run(args: &LogsArgs) -> anyhow::Result<LogsReport> {
    let systems = loghub::generate(&args.input, args.seed, args.volume)
        .with_context(|| format!("synthesize from {}", args.input.display()))?;
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("empty {}", args.out.display()))?;
    }
    let store = LogStore::open(&args.out.join("store"), bench_options())?;
    let (bytes_in, lines) = totals(&systems);

    let started = Instant::now();
    ingest(&store, &systems)?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    let flush_started = Instant::now();
    store.flush(true)?;
    let flush_seconds = flush_started.elapsed().as_secs_f64();
    let bytes_on_disk = dir_size(&args.out.join("store"))?;

    let (mint, maxt) = time_range(&systems);
    let contains = LineFilterChain::new().then(LineFilterOp::Contains, ["error"]);
    let (contains_secs, contains_matches) = scan(&store, contains, mint, maxt)?;
    let regex = LineFilterChain::new().then(LineFilterOp::Matches, ["(?i)error|fail"]);
    let (regex_secs, regex_matches) = scan(&store, regex, mint, maxt)?;
    store.close()?;

    let mb = bytes_in as f64 / 1e6;
    let mut report = LogsReport {
        bytes_in,
        lines,
        streams: systems.len(),
        ingest_seconds,
        ingest_mb_per_sec: mb / ingest_seconds,
        lines_per_sec: lines as f64 / ingest_seconds,
        flush_seconds,
        bytes_on_disk,
        compression_ratio: bytes_in as f64 / bytes_on_disk.max(1) as f64,
        scan_contains_mb_per_sec: mb / contains_secs,
        scan_contains_matches: contains_matches,
        scan_regex_mb_per_sec: mb / regex_secs,
        scan_regex_matches: regex_matches,
        peak_rss_bytes: procstat::memory().peak_rss,
        zstd: None,
    };
    if !args.no_zstd {
        let dumped = args.out.join("dump");
        let files = dump_input(args, &dumped)?;
        report.zstd = zstd_reference(&files, &report)?;
    }
    Ok(report)
}

/// Store options with the limits out of the way (the benchmarks measure the engine, not the rate
/// limiter) and the WAL fsynced once a second.
pub fn bench_options() -> Options {
    let limits = Limits {
        ingestion_rate_mb: 1e6,
        ingestion_burst_size_mb: 1e6,
        per_stream_rate_limit: u64::MAX / 4,
        per_stream_rate_limit_burst: u64::MAX / 4,
        reject_old_samples: false,
        max_line_size: None,
        ..Limits::default()
    };
    Options {
        limits: TenantLimits::new(limits),
        wal_sync: WalSync::Interval(std::time::Duration::from_secs(1)),
        ..Options::default()
    }
}

fn totals(systems: &[SystemLines]) -> (u64, u64) {
    let bytes = systems.iter().map(|s| s.lines.text_bytes()).sum();
    let lines = systems.iter().map(|s| s.lines.len() as u64).sum();
    (bytes, lines)
}

fn time_range(systems: &[SystemLines]) -> (i64, i64) {
    let ts = systems
        .iter()
        .flat_map(|s| s.lines.timestamps_ns().iter().copied());
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for t in ts {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    (lo, hi)
}

/// Pushes every stream's lines in batches, streams taking turns as concurrent clients would.
fn ingest(store: &LogStore, systems: &[SystemLines]) -> anyhow::Result<()> {
    let mut offsets = vec![0usize; systems.len()];
    loop {
        let mut pushed = false;
        for (s, at) in systems.iter().zip(offsets.iter_mut()) {
            let end = (*at + LINES_PER_PUSH).min(s.lines.len());
            if *at >= end {
                continue;
            }
            let entries: Vec<LogEntry> = (*at..end)
                .filter_map(|i| s.lines.get(i))
                .map(|(ts, line)| LogEntry::new(ts, line))
                .collect();
            *at = end;
            let out = store.push_at(
                "fake",
                vec![PushStream {
                    labels: StreamLabels::Pairs(vec![
                        ("job".into(), "loghub".into()),
                        ("system".into(), s.system.clone()),
                    ]),
                    entries,
                }],
                i64::MAX / 2,
            )?;
            anyhow::ensure!(out.rejected.is_empty(), "push refused: {}", out.rejected[0]);
            pushed = true;
        }
        if !pushed {
            return Ok(());
        }
    }
}

/// Scans every stream with `filter`; returns seconds and matching lines.
fn scan(
    store: &LogStore,
    filter: LineFilterChain,
    mint: i64,
    maxt: i64,
) -> anyhow::Result<(f64, u64)> {
    let mut req = LogSelect::new(
        "fake",
        vec![Matcher::new(MatchType::Equal, "job", "loghub")?],
        mint,
        maxt.saturating_add(1),
    );
    req.filter = filter;
    let started = Instant::now();
    let mut n = 0;
    for item in store.select(&req)? {
        item?;
        n += 1;
    }
    Ok((started.elapsed().as_secs_f64(), n))
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let p = e?.path();
        total += if p.is_dir() {
            dir_size(&p)?
        } else {
            std::fs::metadata(&p)?.len()
        };
    }
    Ok(total)
}

/// Times `zstd -3 -T1` and `zstd -d` over the dumped files; `None` without the tool.
fn zstd_reference(files: &[PathBuf], ours: &LogsReport) -> anyhow::Result<Option<ZstdReference>> {
    if Command::new("zstd").arg("--version").output().is_err() {
        return Ok(None);
    }
    let mut raw = 0u64;
    let mut compressed = 0u64;
    let mut compress_secs = 0.0;
    let mut decompress_secs = 0.0;
    for f in files {
        raw += std::fs::metadata(f)?.len();
        let zst = f.with_extension("log.zst");
        let started = Instant::now();
        let status = Command::new("zstd")
            .args(["-3", "-T1", "-q", "-f", "-o"])
            .arg(&zst)
            .arg(f)
            .status()?;
        compress_secs += started.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "zstd -3 {} failed", f.display());
        compressed += std::fs::metadata(&zst)?.len();
        let started = Instant::now();
        let status = Command::new("zstd")
            .args(["-d", "-T1", "-q", "-f", "-o", "/dev/null"])
            .arg(&zst)
            .status()?;
        decompress_secs += started.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "zstd -d {} failed", zst.display());
    }
    let mb = raw as f64 / 1e6;
    let ratio = raw as f64 / compressed.max(1) as f64;
    let compress = mb / compress_secs;
    let decompress = mb / decompress_secs;
    Ok(Some(ZstdReference {
        compression_ratio: ratio,
        compress_mb_per_sec: compress,
        decompress_mb_per_sec: decompress,
        ratio_vs_zstd: ours.compression_ratio / ratio,
        ingest_vs_zstd_compress: ours.ingest_mb_per_sec / compress,
        scan_vs_zstd_decompress: ours.scan_contains_mb_per_sec / decompress,
    }))
}
