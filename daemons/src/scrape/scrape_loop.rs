//! One target's scrape loop: scrapes at a fixed phase within the interval, ingests each body
//! on a blocking thread, records the outcome, and on removal writes staleness markers once the
//! target has surely not reappeared elsewhere (Prometheus's `endOfRunStaleness`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Interval, MissedTickBehavior};

use super::cache::ScrapeCache;
use super::client::{Body, ScrapeClient};
use super::ingest::{Outcome, SampleRules, Sink};
use super::status::TargetHealth;
use super::target::Target;
use crate::tsdbd::metrics::{JobLabels, Metrics};
use tsdb_core::Db;

/// Why a loop is asked to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// Keep scraping.
    Run,
    /// The target is gone: write staleness markers for its series after the grace period.
    Remove,
    /// A successor takes over the target (new settings, same target) or the server stops:
    /// hand the cache over, write no markers.
    Handover,
}

/// Everything a loop needs besides its cache.
#[derive(Debug, Clone)]
pub(crate) struct LoopContext {
    /// The job's name, for metrics.
    pub job: String,
    /// Storage.
    pub db: Arc<Db>,
    /// Daemon metrics.
    pub metrics: Arc<Metrics>,
    /// The job's HTTP client.
    pub client: ScrapeClient,
    /// The job's sample rules.
    pub rules: Arc<SampleRules>,
    /// Set to true once when the server stops: nothing more is written.
    pub shutdown: watch::Receiver<bool>,
}

/// A running loop, as its pool holds it.
#[derive(Debug)]
pub(crate) struct LoopHandle {
    /// The target's status, shared with the HTTP API.
    pub health: Arc<TargetHealth>,
    signal: watch::Sender<Signal>,
    task: JoinHandle<ScrapeCache>,
}

impl LoopHandle {
    /// Starts scraping `target`. With a `predecessor` (the loop this one replaces, already
    /// told to hand over), its cache is taken over first so no series looks new or stale.
    pub(crate) fn start(
        ctx: LoopContext,
        target: Target,
        predecessor: Option<JoinHandle<ScrapeCache>>,
    ) -> Self {
        let health = Arc::new(TargetHealth::new(
            target.discovered.clone(),
            target.public.clone(),
            target.url.clone(),
            target.interval,
            target.timeout,
        ));
        let (signal, receiver) = watch::channel(Signal::Run);
        let task = tokio::spawn(run(ctx, target, Arc::clone(&health), receiver, predecessor));
        LoopHandle {
            health,
            signal,
            task,
        }
    }

    /// Asks the loop to end as `how` says; the returned task yields its cache when it has.
    pub(crate) fn stop(self, how: Signal) -> JoinHandle<ScrapeCache> {
        let _ = self.signal.send(how);
        self.task
    }
}

/// When the first scrape happens: the next instant whose offset within the interval (counted
/// from the Unix epoch) is the target's, so restarts keep the phase.
fn first_tick(key: u64, interval: Duration) -> tokio::time::Instant {
    let interval_ns = interval.as_nanos().max(1);
    let offset = u128::from(key) % interval_ns;
    let now_ns = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let wait = (offset + interval_ns - now_ns % interval_ns) % interval_ns;
    let wait = Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX));
    tokio::time::Instant::now() + wait
}

fn now_ms(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn run(
    ctx: LoopContext,
    target: Target,
    health: Arc<TargetHealth>,
    mut signal: watch::Receiver<Signal>,
    predecessor: Option<JoinHandle<ScrapeCache>>,
) -> ScrapeCache {
    let mut cache = ScrapeCache::new(&target.public);
    if let Some(previous) = predecessor {
        match previous.await {
            Ok(mut c) => {
                c.forget_series_texts();
                cache = c;
            }
            Err(e) => {
                tracing::warn!(target = %target.url, error = %e, "the replaced scrape loop failed")
            }
        }
    }
    let mut ticker =
        tokio::time::interval_at(first_tick(target.key(), target.interval), target.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut scraped = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = signal.changed() => break,
        }
        let started = Instant::now();
        let at = SystemTime::now();
        let body = tokio::select! {
            b = ctx.client.scrape(&target.url, target.timeout) => b,
            _ = signal.changed() => break,
        };
        match ingest(&ctx, &target, &health, cache, body, (at, started)).await {
            Some(c) => cache = c,
            None => return ScrapeCache::new(&target.public),
        }
        scraped = true;
    }
    let how = *signal.borrow();
    if how == Signal::Remove && scraped {
        end_of_run(&ctx, &target, &mut cache, ticker).await;
    }
    cache
}

/// Ingests one fetched body on a blocking thread and records the outcome; `None` when the
/// ingest task died (its cache with it). `when` is the scrape's wall-clock and monotonic start.
async fn ingest(
    ctx: &LoopContext,
    target: &Target,
    health: &TargetHealth,
    mut cache: ScrapeCache,
    body: Result<Body, String>,
    when: (SystemTime, Instant),
) -> Option<ScrapeCache> {
    let (at, started) = when;
    let (db, metrics, rules) = (
        Arc::clone(&ctx.db),
        Arc::clone(&ctx.metrics),
        Arc::clone(&ctx.rules),
    );
    let labels = target.public.clone();
    let ingest = tokio::task::spawn_blocking(move || {
        let sink = Sink {
            db: &db,
            target: &labels,
            rules: &rules,
            metrics: &metrics,
        };
        let body = body
            .as_ref()
            .map(|b| (b.bytes.as_ref(), b.format))
            .map_err(Clone::clone);
        let outcome = sink.ingest(&mut cache, body, now_ms(at), started);
        (cache, outcome)
    });
    let (cache, outcome) = match ingest.await {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(target = %target.url, error = %e, "ingesting a scrape failed");
            return None;
        }
    };
    record(ctx, health, at, started.elapsed(), outcome);
    Some(cache)
}

fn record(
    ctx: &LoopContext,
    health: &TargetHealth,
    at: SystemTime,
    took: Duration,
    outcome: Outcome,
) {
    let job = JobLabels {
        job: ctx.job.clone(),
    };
    ctx.metrics.scrapes.get_or_create(&job).inc();
    if let Some(e) = &outcome.error {
        ctx.metrics.scrape_failures.get_or_create(&job).inc();
        tracing::debug!(
            target = %health.scrape_url, error = %e, scraped = outcome.counts.scraped,
            "scrape failed"
        );
    }
    if let Some(metadata) = outcome.metadata {
        health.set_metadata(metadata);
    }
    health.record(at, took, outcome.error);
}

/// Waits until the next scrape would have happened (its time is the markers' timestamp), then
/// one more interval and a tenth, so a successor loop of the same series has written by then;
/// then marks every series of the last scrape stale. A server shutdown cancels it.
async fn end_of_run(
    ctx: &LoopContext,
    target: &Target,
    cache: &mut ScrapeCache,
    mut ticker: Interval,
) {
    let mut shutdown = ctx.shutdown.clone();
    if *shutdown.borrow() {
        return;
    }
    let stale_at = tokio::select! {
        _ = ticker.tick() => SystemTime::now(),
        _ = shutdown.changed() => return,
    };
    tokio::select! {
        _ = ticker.tick() => {}
        _ = shutdown.changed() => return,
    }
    tokio::select! {
        _ = tokio::time::sleep(target.interval / 10) => {}
        _ = shutdown.changed() => return,
    }
    let mut owned = std::mem::replace(cache, ScrapeCache::new(&target.public));
    let (db, metrics, rules) = (
        Arc::clone(&ctx.db),
        Arc::clone(&ctx.metrics),
        Arc::clone(&ctx.rules),
    );
    let labels = target.public.clone();
    let written = tokio::task::spawn_blocking(move || {
        let sink = Sink {
            db: &db,
            target: &labels,
            rules: &rules,
            metrics: &metrics,
        };
        sink.end_of_run(&mut owned, now_ms(stale_at));
        owned
    })
    .await;
    match written {
        Ok(c) => *cache = c,
        Err(e) => {
            tracing::error!(target = %target.url, error = %e, "writing staleness markers failed")
        }
    }
}
