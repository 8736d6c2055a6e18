//! One shard of a queue: a task that batches the samples of its series (up to
//! `max_samples_per_send`, or what arrived within `batch_send_deadline`), sends each batch, and
//! retries it with exponential backoff until it is delivered or refused for good. One batch is
//! in flight per shard, so the samples of a series (always the same shard) arrive in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use model::Labels;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::QueueMetrics;
use super::client::{SendOutcome, WriteClient};
use super::encode::{SeriesSamples, compress, encode_write_request};
use super::position::Progress;

/// A sample on its way to the receiver.
#[derive(Debug, Clone)]
pub(crate) struct QueuedSample {
    /// The series' labels as sent; one `Arc` per series, so identity groups a batch.
    pub(crate) labels: Arc<Labels>,
    /// Milliseconds since the Unix epoch.
    pub(crate) t: i64,
    /// The value.
    pub(crate) v: f64,
    /// The WAL record it came from ([`Progress::register`]).
    pub(crate) seq: u64,
}

/// Batching and retry settings of a queue.
#[derive(Debug, Clone)]
pub(crate) struct BatchSettings {
    /// Most samples per request.
    pub(crate) max_samples: usize,
    /// Longest a sample waits for its batch to fill.
    pub(crate) deadline: Duration,
    /// First retry delay.
    pub(crate) min_backoff: Duration,
    /// Longest retry delay.
    pub(crate) max_backoff: Duration,
}

/// What every shard of a queue shares.
#[derive(Debug)]
pub(crate) struct ShardContext {
    /// The queue's name, for logs.
    pub(crate) queue: String,
    pub(crate) client: WriteClient,
    pub(crate) settings: BatchSettings,
    pub(crate) progress: Arc<Mutex<Progress>>,
    pub(crate) metrics: Arc<QueueMetrics>,
}

/// Runs one shard until its channel is closed and drained; the last partial batch is sent too.
pub(crate) async fn run_shard(mut rx: mpsc::Receiver<QueuedSample>, ctx: Arc<ShardContext>) {
    let mut batch: Vec<QueuedSample> = Vec::with_capacity(ctx.settings.max_samples);
    let mut buf = Vec::new();
    let mut deadline = Instant::now() + ctx.settings.deadline;
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Some(sample) => {
                    if batch.is_empty() {
                        deadline = Instant::now() + ctx.settings.deadline;
                    }
                    batch.push(sample);
                    if batch.len() >= ctx.settings.max_samples {
                        send_batch(&ctx, &mut batch, &mut buf).await;
                    }
                }
                None => {
                    send_batch(&ctx, &mut batch, &mut buf).await;
                    return;
                }
            },
            () = sleep_until(deadline), if !batch.is_empty() => {
                send_batch(&ctx, &mut batch, &mut buf).await;
            }
        }
    }
}

/// Sends `batch` until delivered or refused, then reports it to the progress tracker and
/// empties it.
async fn send_batch(ctx: &ShardContext, batch: &mut Vec<QueuedSample>, buf: &mut Vec<u8>) {
    if batch.is_empty() {
        return;
    }
    let body = match build_body(batch, buf) {
        Ok(body) => body,
        Err(e) => {
            // Only a body over snappy's 4 GiB block limit fails; batches are far smaller.
            tracing::error!(queue = %ctx.queue, error = %e, samples = batch.len(), "remote write: cannot compress a batch; dropping it");
            finish(ctx, batch, false);
            return;
        }
    };
    let n = batch.len() as u64;
    let mut backoff = ctx.settings.min_backoff;
    loop {
        ctx.metrics.requests.fetch_add(1, Ordering::Relaxed);
        match ctx.client.send(body.clone()).await {
            SendOutcome::Delivered => {
                ctx.metrics
                    .bytes_sent
                    .fetch_add(body.len() as u64, Ordering::Relaxed);
                finish(ctx, batch, true);
                return;
            }
            SendOutcome::Refused { status, body } => {
                tracing::error!(queue = %ctx.queue, %status, body = %body.trim(), samples = n, "remote write: receiver refused a batch; dropping it (not retried)");
                finish(ctx, batch, false);
                return;
            }
            SendOutcome::Retry {
                reason,
                retry_after,
            } => {
                ctx.metrics.samples_retried.fetch_add(n, Ordering::Relaxed);
                let wait = retry_after.unwrap_or(backoff);
                tracing::warn!(queue = %ctx.queue, %reason, retry_in = ?wait, "remote write: batch failed; retrying");
                sleep(wait).await;
                backoff = (backoff * 2).min(ctx.settings.max_backoff);
            }
        }
    }
}

/// Groups `batch` by series (first appearance order, samples in arrival order), encodes and
/// compresses it.
fn build_body(batch: &[QueuedSample], buf: &mut Vec<u8>) -> Result<Vec<u8>, snap::Error> {
    let mut index: HashMap<*const Labels, usize> = HashMap::new();
    let mut groups: Vec<(&Labels, Vec<(i64, f64)>)> = Vec::new();
    for s in batch {
        let i = *index.entry(Arc::as_ptr(&s.labels)).or_insert_with(|| {
            groups.push((&s.labels, Vec::new()));
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.1.push((s.t, s.v));
        }
    }
    let series: Vec<SeriesSamples<'_>> = groups
        .iter()
        .map(|(labels, samples)| SeriesSamples { labels, samples })
        .collect();
    encode_write_request(&series, buf);
    compress(buf)
}

/// Counts the batch as sent or failed, reports its records' samples as done, empties it.
fn finish(ctx: &ShardContext, batch: &mut Vec<QueuedSample>, delivered: bool) {
    let n = batch.len() as u64;
    if delivered {
        ctx.metrics.samples_sent.fetch_add(n, Ordering::Relaxed);
        if let Some(t) = batch.iter().map(|s| s.t).max() {
            ctx.metrics
                .highest_sent_timestamp_ms
                .fetch_max(t, Ordering::Relaxed);
        }
    } else {
        ctx.metrics.samples_failed.fetch_add(n, Ordering::Relaxed);
    }
    let mut progress = ctx.progress.lock();
    // Samples of one record are consecutive in a shard's batch: report runs, not samples.
    let mut run: Option<(u64, usize)> = None;
    for s in batch.iter() {
        match &mut run {
            Some((seq, count)) if *seq == s.seq => *count += 1,
            _ => {
                if let Some((seq, count)) = run {
                    progress.done(seq, count);
                }
                run = Some((s.seq, 1));
            }
        }
    }
    if let Some((seq, count)) = run {
        progress.done(seq, count);
    }
    batch.clear();
}
