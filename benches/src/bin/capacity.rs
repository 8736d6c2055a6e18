//! `capacity`: capacity-planning measurements of the engines.
//!
//! `capacity write --metrics 10000 --scrapes 3000 --out DIR [--json] FILE` runs the workload of
//! `promtool tsdb bench write` (see `benches::workload`) against `tsdb-core` and reports ingest
//! speed, bytes per sample on disk once the head is persisted, and memory per series.
//!
//! `capacity logs [--volume 1GiB] [--seed N] [--json]` ingests synthesized loghub lines into
//! `logstore-core`, flushes and scans them, and measures the `zstd` tool on the same bytes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use benches::workload::{self, SCRAPE_INTERVAL_MS, SCRAPES_PER_ROUND, SHARD_SIZE, START_VALUE};
use benches::{live_heap, logs_capacity, procstat};
use clap::{Parser, Subcommand};
use model::Labels;
use tsdb_core::{Db, Error, Options, SeriesRef, WalSync};

#[global_allocator]
static ALLOCATOR: live_heap::CountingAllocator = live_heap::CountingAllocator;

#[derive(Parser)]
#[command(name = "capacity", about = "Capacity-planning measurements")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The `promtool tsdb bench write` workload against tsdb-core.
    Write(WriteArgs),
    /// Synthesized loghub lines through logstore-core, against the `zstd` tool on the same bytes.
    Logs(LogsCli),
}

#[derive(clap::Args)]
struct LogsCli {
    /// The loghub samples (one directory per system).
    #[arg(long, default_value = "../shared/data/logs/loghub")]
    input: PathBuf,
    /// Bytes of lines to synthesize (line ends counted), e.g. 1GiB, 200MB, 1000000.
    #[arg(long, default_value = "1GiB", value_parser = parse_bytes)]
    volume: u64,
    /// Seed of the synthesizer; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Working directory for the store and the zstd files (emptied first).
    #[arg(long, default_value = "capacity-logs")]
    out: PathBuf,
    /// Write each stream's lines to DIR/<system>.log and exit.
    #[arg(long, value_name = "DIR")]
    dump_input: Option<PathBuf>,
    /// Skip the zstd reference.
    #[arg(long)]
    no_zstd: bool,
    /// Print one JSON object instead of indented JSON.
    #[arg(long)]
    json: bool,
}

/// Parses a byte count with an optional unit: B, KB/MB/GB (10^3…), KiB/MiB/GiB (2^10…).
fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let digits = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(digits);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown unit {other:?} in {s:?}")),
    };
    Ok((n * scale) as u64)
}

#[derive(clap::Args)]
struct WriteArgs {
    /// Number of distinct series to take from FILE.
    #[arg(long, default_value_t = 10_000)]
    metrics: usize,
    /// Number of scrapes (30 s apart).
    #[arg(long, default_value_t = 3000)]
    scrapes: usize,
    /// Directory for the database (emptied first).
    #[arg(long)]
    out: PathBuf,
    /// WAL fsync policy: `interval` (every second, the engine's default), `commit` (every
    /// commit) or `never` (only when segments are finished, as Prometheus does).
    #[arg(long, default_value = "interval", value_parser = ["interval", "commit", "never"])]
    wal_sync: String,
    /// Keep everything in the head until the end, as promtool does.
    #[arg(long)]
    no_compaction: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Label sets, one JSON object per line (promtool's 20kseries.json).
    file: PathBuf,
}

#[derive(serde::Serialize)]
struct WriteReport {
    series: usize,
    scrapes: usize,
    samples: u64,
    /// Ingest time (appends and commits, WAL included), as promtool's `ingestScrapes` stage.
    seconds: f64,
    samples_per_sec: f64,
    /// CPU time (all threads, user + system) spent in ingest, per sample: the cost of a sample
    /// independent of how many cores the machine has or how busy they are.
    ingest_cpu_ns_per_sample: f64,
    /// Time to write the head out as blocks after ingest.
    persist_seconds: f64,
    /// Block bytes (chunks, index, meta, tombstones) per sample after the head is persisted.
    bytes_per_sample: f64,
    /// Chunk-file bytes per sample.
    chunk_bytes_per_sample: f64,
    blocks: usize,
    peak_rss_bytes: u64,
    /// Resident memory after ingest minus before opening the database, per series.
    rss_bytes_per_series: f64,
    /// Resident anonymous memory (heap) grown during the run, per series. The label strings are
    /// not in it: the head shares them with the label sets the workload loaded before the
    /// measurement started. Includes what the C allocator keeps cached or fragmented.
    head_heap_bytes_per_series_beyond_labels: f64,
    /// Heap bytes the engine holds allocated after ingest (counted by the allocator, so nothing
    /// cached or fragmented is included), per series; label strings excluded as above.
    head_live_bytes_per_series_beyond_labels: f64,
    /// Label name and value bytes per series, for reference.
    label_bytes_per_series: f64,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Write(args) => write(&args),
        Command::Logs(args) => logs(&args),
    }
}

fn logs(cli: &LogsCli) -> anyhow::Result<()> {
    let args = logs_capacity::LogsArgs {
        input: cli.input.clone(),
        volume: cli.volume,
        seed: cli.seed,
        out: cli.out.clone(),
        no_zstd: cli.no_zstd,
    };
    if let Some(dir) = &cli.dump_input {
        let files = logs_capacity::dump_input(&args, dir)?;
        eprintln!("wrote {} files to {}", files.len(), dir.display());
        return Ok(());
    }
    let report = logs_capacity::run(&args)?;
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

fn write(args: &WriteArgs) -> anyhow::Result<()> {
    let sets = workload::read_label_sets(&args.file, args.metrics)?;
    anyhow::ensure!(!sets.is_empty(), "no label sets in {}", args.file.display());
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("empty {}", args.out.display()))?;
    }
    let dir = args.out.join("storage");
    let before = procstat::memory();
    let live_before = live_heap::live_bytes();
    // Unlike promtool, which disables compaction for this benchmark, the engine runs as
    // configured by default: the head is cut into 2 h blocks as ingest goes on. That costs ingest
    // time and keeps head memory at what a long-running server holds.
    let wal_sync = match args.wal_sync.as_str() {
        "commit" => WalSync::EveryCommit,
        "never" => WalSync::Never,
        _ => Options::default().wal_sync,
    };
    let opts = Options {
        compact_on_commit: !args.no_compaction,
        wal_sync,
        ..Options::default()
    };
    let db = Arc::new(Db::open(&dir, opts)?);

    let total = AtomicU64::new(0);
    let cpu_before = procstat::cpu_seconds();
    let started = Instant::now();
    let rounds = args.scrapes.div_ceil(SCRAPES_PER_ROUND);
    for round in 0..rounds {
        let base_t = SCRAPE_INTERVAL_MS * (round * SCRAPES_PER_ROUND) as i64;
        let scrapes = SCRAPES_PER_ROUND.min(args.scrapes - round * SCRAPES_PER_ROUND);
        std::thread::scope(|s| -> anyhow::Result<()> {
            let handles: Vec<_> = sets
                .chunks(SHARD_SIZE)
                .map(|shard| {
                    let db = &db;
                    let total = &total;
                    s.spawn(move || ingest_shard(db, shard, scrapes, base_t, total))
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("ingest thread panicked"))??;
            }
            Ok(())
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let ingest_cpu = procstat::cpu_seconds() - cpu_before;
    let after_ingest = procstat::memory();
    let live_after = live_heap::live_bytes();

    let persist_started = Instant::now();
    db.flush()?;
    let persist_seconds = persist_started.elapsed().as_secs_f64();
    let samples = total.load(Ordering::Relaxed);
    let metas = db.blocks();
    let (block_bytes, chunk_bytes) = block_sizes(&dir, &metas)?;
    let peak = procstat::memory().peak_rss;
    let n = sets.len() as f64;
    let label_bytes = workload::label_bytes(&sets) as f64;
    let report = WriteReport {
        series: sets.len(),
        scrapes: args.scrapes,
        samples,
        seconds,
        samples_per_sec: samples as f64 / seconds,
        ingest_cpu_ns_per_sample: ingest_cpu * 1e9 / samples.max(1) as f64,
        persist_seconds,
        bytes_per_sample: block_bytes as f64 / samples.max(1) as f64,
        chunk_bytes_per_sample: chunk_bytes as f64 / samples.max(1) as f64,
        blocks: metas.len(),
        peak_rss_bytes: peak,
        rss_bytes_per_series: after_ingest.rss.saturating_sub(before.rss) as f64 / n,
        head_heap_bytes_per_series_beyond_labels: after_ingest
            .rss_anon
            .saturating_sub(before.rss_anon)
            as f64
            / n,
        head_live_bytes_per_series_beyond_labels: live_after.saturating_sub(live_before) as f64 / n,
        label_bytes_per_series: label_bytes / n,
    };
    match Arc::try_unwrap(db) {
        Ok(db) => db.close()?,
        Err(_) => anyhow::bail!("database still shared at close"),
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// One shard's scrapes of one round: one appender and commit per scrape.
fn ingest_shard(
    db: &Db,
    shard: &[Labels],
    scrapes: usize,
    base_t: i64,
    total: &AtomicU64,
) -> anyhow::Result<()> {
    let mut refs: Vec<Option<SeriesRef>> = vec![None; shard.len()];
    for k in 0..scrapes {
        let t = base_t + SCRAPE_INTERVAL_MS * (k as i64 + 1);
        // Each round starts the values afresh, as promtool's shards do.
        let value = (START_VALUE + 1000 * (k as i64 + 1)) as f64;
        let mut app = db.appender();
        for (labels, r) in shard.iter().zip(refs.iter_mut()) {
            let got = match *r {
                Some(sr) => match app.append_ref(sr, t, value) {
                    Err(Error::UnknownSeriesRef(_)) => app.append(labels, t, value),
                    other => other,
                },
                None => app.append(labels, t, value),
            };
            *r = Some(got?);
        }
        app.commit()?;
        total.fetch_add(shard.len() as u64, Ordering::Relaxed);
    }
    Ok(())
}

/// Total bytes of the blocks, and of their chunk files.
fn block_sizes(
    dir: &std::path::Path,
    metas: &[tsdb_core::BlockMeta],
) -> anyhow::Result<(u64, u64)> {
    let mut all = 0;
    let mut chunks = 0;
    for m in metas {
        let block = dir.join(m.ulid.to_string());
        for entry in walk(&block)? {
            let len = std::fs::metadata(&entry)?.len();
            all += len;
            if entry.parent().is_some_and(|p| p.ends_with("chunks")) {
                chunks += len;
            }
        }
    }
    Ok((all, chunks))
}

fn walk(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}
