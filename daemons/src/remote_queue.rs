//! Remote-write sender: one durable queue per `remote_write` entry, tailing the WAL.
//!
//! Each queue follows the database's WAL with a [`tsdb_core::WalTail`] (so it sends every
//! appended sample, whoever appended it: scrapes, rules, the remote-write receiver), keeps each
//! series' labels after external labels and `write_relabel_configs` (a dropped series costs a
//! map entry and nothing per sample), and hands samples to a fixed number of shards by series
//! reference. A shard batches up to `max_samples_per_send` samples or what arrived within
//! `batch_send_deadline`, POSTs a remote-write 1.0 request (protobuf, snappy block) and retries
//! it on 5xx, 429 (honouring `Retry-After` in seconds) and connection errors with exponential
//! backoff from `min_backoff` to `max_backoff`, forever, as Prometheus does; other 4xx drop the
//! batch (counted and logged). A shard has one batch in flight, so a series' samples stay in
//! order.
//!
//! Durability: a queue's position (WAL segment and offset) is written atomically to
//! `<state_dir>/<queue file>` once every sample before it was delivered or refused, at most
//! once a second while running and at stop; after a restart the queue resumes there, so it
//! re-sends at most what was in flight. A queue without a saved position starts at the current
//! end of the WAL (new samples only), as Prometheus does. A WAL range truncated before the
//! queue read it (the receiver was down for longer than the head keeps its WAL) is skipped and
//! logged.
//!
//! Sharding: the shard count is fixed at `min_shards.max(4)` capped by `max_shards`, instead of
//! Prometheus's dynamic resharding; `capacity` bounds each shard's channel, and a full shard
//! pauses reading the WAL (which keeps the data durable meanwhile).
//!
//! The counters of each queue are in [`QueueMetrics`], see [`RemoteWriteQueues::metrics`].

mod client;
mod encode;
mod position;
mod queue;
mod shard;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Duration;

use model::Labels;
use tsdb_core::Db;

use crate::config::{Config, RemoteWriteConfig};
use queue::{QueueSpec, RunningQueue};

/// How long [`RemoteWriteQueues::stop`] (and replacing a queue on reload) lets shards send what
/// they hold before giving up; what is left is sent again after the next start.
pub const DEFAULT_FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// Why the queues could not be (re)configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteQueueError {
    /// A file (the state directory, a position file, a TLS file) could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A saved position file does not parse.
    #[error("remote write queue position file {path}: {reason}")]
    BadState {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client of an entry could not be built.
    #[error("remote_write {url}: {reason}")]
    Client {
        /// The entry's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Two entries would share a queue (the same `name`, or no name and the same URL).
    #[error("duplicate remote_write queue {key:?}: give the entries distinct names")]
    Duplicate {
        /// The name or URL they share.
        key: String,
    },
    /// The WAL could not be opened for reading.
    #[error("remote write: cannot follow the WAL: {0}")]
    Wal(#[source] tsdb_core::Error),
    /// A setting the sender does not support.
    #[error("{field} is not supported")]
    Unsupported {
        /// The setting.
        field: &'static str,
    },
}

/// Counters of one queue, for the daemon's `/metrics` (the names Prometheus uses are in each
/// field's doc). All counts are totals since the queue started.
#[derive(Debug, Default)]
pub struct QueueMetrics {
    /// Samples read from the WAL (`prometheus_remote_storage_samples_in_total`).
    pub samples_read: AtomicU64,
    /// Samples delivered (`prometheus_remote_storage_samples_total`).
    pub samples_sent: AtomicU64,
    /// Samples of refused batches, not retried (`prometheus_remote_storage_samples_failed_total`).
    pub samples_failed: AtomicU64,
    /// Samples in attempts that will be retried (`prometheus_remote_storage_samples_retried_total`).
    pub samples_retried: AtomicU64,
    /// Samples of series dropped by `write_relabel_configs`
    /// (`prometheus_remote_storage_samples_dropped_total`).
    pub samples_dropped: AtomicU64,
    /// Samples whose series the WAL never defined (should stay 0).
    pub samples_unknown_series: AtomicU64,
    /// Requests made, retries included.
    pub requests: AtomicU64,
    /// Compressed bytes delivered (`prometheus_remote_storage_bytes_total`).
    pub bytes_sent: AtomicU64,
    /// WAL ranges skipped because they were truncated or damaged before they were read.
    pub wal_gaps: AtomicU64,
    /// Newest sample timestamp delivered, ms (`prometheus_remote_storage_queue_highest_sent_timestamp_seconds`).
    pub highest_sent_timestamp_ms: AtomicI64,
}

/// What identifies a running queue: its settings and external labels. A queue whose identity
/// is unchanged keeps running across [`RemoteWriteQueues::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    config: RemoteWriteConfig,
    external_labels: Labels,
}

/// The remote-write queues of one database. See the module documentation.
pub struct RemoteWriteQueues {
    db: Arc<Db>,
    state_dir: PathBuf,
    flush_deadline: Duration,
    /// Running queues by key (name, else URL), with what they were started from.
    running: tokio::sync::Mutex<BTreeMap<String, (Identity, RunningQueue)>>,
}

impl std::fmt::Debug for RemoteWriteQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteQueues")
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

impl RemoteWriteQueues {
    /// No queues yet; positions are kept in `state_dir` (e.g. `<data>/remote_write`), created
    /// when the first one is saved.
    pub fn new(db: Arc<Db>, state_dir: PathBuf) -> Self {
        Self {
            db,
            state_dir,
            flush_deadline: DEFAULT_FLUSH_DEADLINE,
            running: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// Sets how long stopping a queue waits for its shards ([`DEFAULT_FLUSH_DEADLINE`]).
    pub fn with_flush_deadline(mut self, deadline: Duration) -> Self {
        self.flush_deadline = deadline;
        self
    }

    /// Starts, stops or keeps one queue per `remote_write` entry of `config`, with the external
    /// labels of `config.global`. Queues whose settings did not change keep running; changed
    /// ones are stopped (persisting their position) and started again from it. Must be called
    /// within a Tokio runtime. On error, no queue was changed.
    pub async fn apply(&self, config: &Config) -> Result<(), RemoteQueueError> {
        let mut wanted: BTreeMap<String, Identity> = BTreeMap::new();
        for rw in &config.remote_write {
            let key = rw.name.clone().unwrap_or_else(|| rw.url.clone());
            let identity = Identity {
                config: rw.clone(),
                external_labels: config.global.external_labels.clone(),
            };
            if wanted.insert(key.clone(), identity).is_some() {
                return Err(RemoteQueueError::Duplicate { key });
            }
        }
        // Check every client before stopping anything, so a bad entry changes nothing.
        for identity in wanted.values() {
            client::WriteClient::new(&identity.config)?;
        }
        let mut running = self.running.lock().await;
        let old = std::mem::take(&mut *running);
        for (key, (identity, queue)) in old {
            if wanted.get(&key) == Some(&identity) {
                running.insert(key, (identity, queue));
            } else {
                queue.stop(self.flush_deadline).await;
            }
        }
        for (key, identity) in wanted {
            if running.contains_key(&key) {
                continue;
            }
            let spec = QueueSpec {
                name: key.clone(),
                config: identity.config.clone(),
                external_labels: identity.external_labels.clone(),
                state_file: self.state_dir.join(state_file_name(&key)),
            };
            let queue = RunningQueue::start(self.db.clone(), spec)?;
            running.insert(key, (identity, queue));
        }
        Ok(())
    }

    /// Stops every queue: shards send what they hold for up to the flush deadline, positions
    /// are persisted.
    pub async fn stop(&self) {
        let queues = std::mem::take(&mut *self.running.lock().await);
        for (_, (_, queue)) in queues {
            queue.stop(self.flush_deadline).await;
        }
    }

    /// The counters of each running queue, by queue name (the entry's `name`, else its URL).
    pub async fn metrics(&self) -> Vec<(String, Arc<QueueMetrics>)> {
        self.running
            .lock()
            .await
            .iter()
            .map(|(k, (_, q))| (k.clone(), q.metrics.clone()))
            .collect()
    }
}

/// The position file of queue `key`: readable when the key is, unique by a hash of the key.
fn state_file_name(key: &str) -> String {
    let readable: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    format!("{readable}-{:016x}.position", fnv1a(key.as_bytes()))
}

/// FNV-1a, 64 bits: stable across releases, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
