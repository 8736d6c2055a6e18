//! One running queue: a reader thread that tails the WAL, resolves series through
//! `write_relabel_configs` and external labels, and hands each sample to the shard of its
//! series; the shard tasks; and the persisted position.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use model::Labels;
use model::relabel::RelabelConfig;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tsdb_core::{Db, TailEvent, WalPosition, WalSample, WalSeries, WalTail};

use super::position::{self, Progress};
use super::shard::{BatchSettings, QueuedSample, ShardContext, run_shard};
use super::{QueueMetrics, RemoteQueueError};
use crate::config::RemoteWriteConfig;

/// How long the reader sleeps when it has read everything written so far.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long it waits before retrying after a WAL read error.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// Least time between two writes of the position file while running.
const PERSIST_INTERVAL: Duration = Duration::from_secs(1);
/// Shards when `max_shards` allows: enough parallel requests for one receiver without the
/// dynamic resharding Prometheus does. The count is `min_shards.max(DEFAULT_SHARDS)` capped by
/// `max_shards`.
const DEFAULT_SHARDS: u64 = 4;

/// Everything a queue needs to start.
pub(crate) struct QueueSpec {
    /// Name for logs and metrics.
    pub(crate) name: String,
    pub(crate) config: RemoteWriteConfig,
    pub(crate) external_labels: Labels,
    /// The position file.
    pub(crate) state_file: PathBuf,
}

/// A started queue.
pub(crate) struct RunningQueue {
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    shards: JoinSet<()>,
    progress: Arc<Mutex<Progress>>,
    state_file: PathBuf,
    name: String,
    pub(crate) metrics: Arc<QueueMetrics>,
}

/// The number of shards of a `queue_config`.
pub(crate) fn shard_count(min_shards: u64, max_shards: u64) -> usize {
    let n = min_shards.max(DEFAULT_SHARDS).min(max_shards).max(1);
    usize::try_from(n).unwrap_or(1)
}

impl RunningQueue {
    /// Starts the queue: reads its saved position, spawns the shards on the current runtime and
    /// the reader thread.
    pub(crate) fn start(db: Arc<Db>, spec: QueueSpec) -> Result<Self, RemoteQueueError> {
        let client = super::client::WriteClient::new(&spec.config)?;
        let start = match position::load(&spec.state_file) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(queue = %spec.name, error = %e, "remote write: ignoring the saved position; sending new samples only");
                None
            }
        };
        let q = &spec.config.queue_config;
        let metrics = Arc::new(QueueMetrics::default());
        let progress = Arc::new(Mutex::new(Progress::new(start)));
        let ctx = Arc::new(ShardContext {
            queue: spec.name.clone(),
            client,
            settings: BatchSettings {
                max_samples: usize::try_from(q.max_samples_per_send).unwrap_or(usize::MAX),
                deadline: q.batch_send_deadline,
                min_backoff: q.min_backoff,
                max_backoff: q.max_backoff,
            },
            progress: progress.clone(),
            metrics: metrics.clone(),
        });
        let capacity = usize::try_from(q.capacity).unwrap_or(usize::MAX).max(1);
        let mut shards = JoinSet::new();
        let mut senders = Vec::new();
        for _ in 0..shard_count(q.min_shards, q.max_shards) {
            let (tx, rx) = mpsc::channel(capacity);
            senders.push(tx);
            shards.spawn(run_shard(rx, ctx.clone()));
        }
        // Opened here, not in the thread: samples appended once `apply` returned are sent.
        let tail = db.wal_tail(start).map_err(RemoteQueueError::Wal)?;
        if start.is_none() {
            // First start: from the current end. Record it so a restart before the first
            // sample does not skip what is appended meanwhile.
            progress.lock().register(tail.position(), 0);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            name: spec.name.clone(),
            senders,
            progress: progress.clone(),
            metrics: metrics.clone(),
            relabel: spec.config.write_relabel_configs.clone(),
            external_labels: spec.external_labels,
            stop: stop.clone(),
            state_file: spec.state_file.clone(),
            series: HashMap::new(),
            registered: None,
        };
        let reader = std::thread::Builder::new()
            .name(format!("remote-write-{}", spec.name))
            .spawn(move || reader.run(tail))
            .map_err(|source| RemoteQueueError::Io {
                path: spec.state_file.clone(),
                source,
            })?;
        Ok(Self {
            stop,
            reader: Some(reader),
            shards,
            progress,
            state_file: spec.state_file,
            name: spec.name,
            metrics,
        })
    }

    /// Stops reading, lets the shards send what they hold until `deadline` passes (then aborts
    /// them), and persists the delivered position.
    pub(crate) async fn stop(mut self, deadline: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let give_up = tokio::time::Instant::now() + deadline;
        // The reader drops the shards' senders when it returns; it returns at its next poll or,
        // if blocked on a full shard, once that shard takes more or is aborted.
        let drained = tokio::time::timeout_at(give_up, async {
            while self.shards.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(queue = %self.name, "remote write: flush deadline passed; unsent samples are sent again after restart");
            self.shards.abort_all();
            while self.shards.join_next().await.is_some() {}
        }
        if let Some(reader) = self.reader.take() {
            // Returns promptly: the stop flag is set and every receiver is gone.
            let _ = tokio::task::spawn_blocking(move || reader.join()).await;
        }
        let delivered = self.progress.lock().delivered();
        if let Some(pos) = delivered
            && let Err(e) = position::store(&self.state_file, pos)
        {
            tracing::error!(queue = %self.name, error = %e, "remote write: cannot save the queue position");
        }
    }
}

/// The reader thread's state.
struct Reader {
    name: String,
    senders: Vec<mpsc::Sender<QueuedSample>>,
    progress: Arc<Mutex<Progress>>,
    metrics: Arc<QueueMetrics>,
    relabel: Vec<RelabelConfig>,
    external_labels: Labels,
    stop: Arc<AtomicBool>,
    state_file: PathBuf,
    /// Series by reference: the labels sent, or `None` when relabeling dropped the series.
    series: HashMap<u64, Option<Arc<Labels>>>,
    /// The position last registered with `progress`.
    registered: Option<WalPosition>,
}

impl Reader {
    fn run(mut self, mut tail: WalTail) {
        // Nothing on disk is assumed, so the first tick writes the start position too.
        let mut persisted = None;
        let mut last_persist = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            let caught_up = match self.step(&mut tail) {
                Ok(caught_up) => caught_up,
                Err(Closed) => return,
            };
            if last_persist.elapsed() >= PERSIST_INTERVAL {
                persisted = self.persist(persisted);
                last_persist = Instant::now();
            }
            if caught_up && self.pause(POLL_INTERVAL) {
                return;
            }
        }
    }

    /// Handles one tailer event; `Ok(true)` when everything written so far was read.
    fn step(&mut self, tail: &mut WalTail) -> Result<bool, Closed> {
        let event = match tail.next() {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(queue = %self.name, error = %e, "remote write: WAL read failed; retrying");
                self.pause(ERROR_BACKOFF);
                return Ok(false);
            }
        };
        let kept = match event {
            TailEvent::Series(s) => {
                self.define(s);
                return Ok(false);
            }
            TailEvent::Samples(s) => self.resolve(s),
            TailEvent::Gap(gap) => {
                self.metrics.wal_gaps.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(queue = %self.name, ?gap, "remote write: part of the WAL was skipped; its samples are not sent");
                return Ok(false);
            }
            TailEvent::CaughtUp => {
                // Positions after series records and skipped samples become resumable too.
                let pos = tail.position();
                if self.registered != Some(pos) {
                    self.progress.lock().register(pos, 0);
                    self.registered = Some(pos);
                }
                return Ok(true);
            }
        };
        self.forward(kept, tail.position())?;
        Ok(false)
    }

    /// Records the labels each series is sent with: external labels the series lacks, then
    /// `write_relabel_configs` (Prometheus's order).
    fn define(&mut self, series: &[WalSeries]) {
        for s in series {
            let mut labels = s.labels.clone();
            if self
                .external_labels
                .iter()
                .any(|(n, _)| labels.get(n).is_none())
            {
                let mut b = labels.to_builder();
                for (n, v) in self.external_labels.iter() {
                    if labels.get(n).is_none() {
                        b.set(n, v);
                    }
                }
                match b.build() {
                    Ok(l) => labels = l,
                    Err(e) => {
                        tracing::warn!(queue = %self.name, error = %e, "remote write: cannot add external labels")
                    }
                }
            }
            let sent = model::relabel::process(&labels, &self.relabel).map(Arc::new);
            self.series.insert(s.series_ref.0, sent);
        }
    }

    /// The samples of one record whose series is sent, with the labels they are sent with.
    fn resolve(&self, samples: &[WalSample]) -> Vec<(u64, Arc<Labels>, i64, f64)> {
        self.metrics
            .samples_read
            .fetch_add(samples.len() as u64, Ordering::Relaxed);
        let mut kept = Vec::with_capacity(samples.len());
        for s in samples {
            match self.series.get(&s.series_ref.0) {
                Some(Some(labels)) => kept.push((s.series_ref.0, labels.clone(), s.t, s.v)),
                Some(None) => {
                    self.metrics.samples_dropped.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.metrics
                        .samples_unknown_series
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        kept
    }

    /// Registers one record (ending at `after`) and hands its samples to their shards.
    fn forward(
        &mut self,
        kept: Vec<(u64, Arc<Labels>, i64, f64)>,
        after: WalPosition,
    ) -> Result<(), Closed> {
        let seq = self.progress.lock().register(after, kept.len());
        self.registered = Some(after);
        let shards = self.senders.len() as u64;
        for (series_ref, labels, t, v) in kept {
            let shard = usize::try_from(shard_of(series_ref, shards)).unwrap_or(0);
            let Some(tx) = self.senders.get(shard) else {
                return Err(Closed);
            };
            let sample = QueuedSample { labels, t, v, seq };
            if tx.blocking_send(sample).is_err() {
                return Err(Closed);
            }
        }
        Ok(())
    }

    /// Writes the delivered position if it moved since `persisted`; returns what is on disk.
    fn persist(&self, persisted: Option<WalPosition>) -> Option<WalPosition> {
        let delivered = self.progress.lock().delivered();
        match delivered {
            Some(pos) if delivered != persisted => match position::store(&self.state_file, pos) {
                Ok(()) => delivered,
                Err(e) => {
                    tracing::error!(queue = %self.name, error = %e, "remote write: cannot save the queue position");
                    persisted
                }
            },
            _ => persisted,
        }
    }

    /// Sleeps `d` in short steps; true when the queue is stopping.
    fn pause(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.stop.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(POLL_INTERVAL.min(until - Instant::now()));
        }
        self.stop.load(Ordering::Relaxed)
    }
}

/// The shards are gone: the queue is stopping.
struct Closed;

/// The shard of a series: the high bits of a multiplicative (Fibonacci) hash of its reference,
/// so references that differ in any bits spread over the shards.
fn shard_of(series_ref: u64, shards: u64) -> u64 {
    (series_ref.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % shards.max(1)
}
