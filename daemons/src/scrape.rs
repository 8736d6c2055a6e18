//! The scrape manager: discovers targets from `scrape_configs`, relabels them, and runs one
//! scrape loop per target that appends what it reads to storage.
//!
//! Semantics follow Prometheus (`scrape/manager.go`, `scrape/scrape.go`, `scrape/target.go`):
//!
//! * A pool per job. [`ScrapeManager::apply`] keeps pools whose job did not change untouched,
//!   re-syncs the targets of jobs whose discovery or target relabeling changed (loops of
//!   targets that stay keep running: no gap, no staleness), and replaces the loops of jobs
//!   whose scrape settings changed by loops that take over their caches.
//! * Each loop scrapes at a phase within its interval derived from the target's labels and
//!   URL, so restarts keep it; `up` and the other report series are written with every scrape.
//! * Series missing from a scrape get staleness markers; a failed scrape marks every series of
//!   the last successful one stale; a removed target's series are marked stale once the next
//!   two scrapes would have happened (so a target that moved to another job is not hit).
//!   [`ScrapeManager::stop`] writes no markers, as Prometheus on shutdown.

mod cache;
mod client;
mod file_sd;
mod ingest;
mod pool;
mod scrape_loop;
pub mod status;
mod target;

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::watch;
use tsdb_core::Db;

use crate::config::Config;
use crate::tsdbd::metrics::Metrics;
use pool::{Pool, Shared};
use scrape_loop::Signal;
use status::ScrapeStatus;

/// Why a configuration could not be applied; nothing changed then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScrapeError {
    /// A job's HTTP client could not be built from its settings.
    #[error("scrape job {job:?}: {reason}")]
    Client {
        /// The job.
        job: String,
        /// What was wrong (a TLS file, an unsupported setting, ...).
        reason: String,
    },
    /// [`ScrapeManager::stop`] was called.
    #[error("the scrape manager is stopped")]
    Stopped,
}

/// Runs the scrape loops of the applied configuration. Must be used inside a multi-threaded
/// tokio runtime.
#[derive(Debug)]
pub struct ScrapeManager {
    shared: Arc<Shared>,
    /// Pools by job name; also serializes `apply` and `stop`.
    pools: Mutex<BTreeMap<String, Arc<Mutex<Pool>>>>,
}

impl ScrapeManager {
    /// A manager with no jobs; [`apply`](Self::apply) starts them.
    pub fn new(db: Arc<Db>, status: Arc<ScrapeStatus>, metrics: Arc<Metrics>) -> Self {
        let (shutdown, _) = watch::channel(false);
        ScrapeManager {
            shared: Arc::new(Shared {
                db,
                status,
                metrics,
                shutdown,
                retiring: Mutex::new(Vec::new()),
            }),
            pools: Mutex::new(BTreeMap::new()),
        }
    }

    /// Starts, stops and keeps loops so that exactly `config`'s targets are scraped. A loop
    /// whose target and scrape settings did not change keeps running untouched (no gap, no
    /// staleness); removed targets get staleness markers for every series of their last
    /// scrape. On error nothing changes.
    pub async fn apply(&self, config: &Config) -> Result<(), ScrapeError> {
        if *self.shared.shutdown.borrow() {
            return Err(ScrapeError::Stopped);
        }
        let mut pools = self.pools.lock();
        let mut changed = Vec::new();
        for job in &config.scrape_configs {
            let unchanged = pools
                .get(&job.job_name)
                .is_some_and(|p| p.lock().config == *job);
            if unchanged {
                continue;
            }
            let client = client::ScrapeClient::new(job).map_err(|e| ScrapeError::Client {
                job: job.job_name.clone(),
                reason: e.to_string(),
            })?;
            changed.push(Pool::new(job.clone(), client));
        }
        let jobs: Vec<&str> = config
            .scrape_configs
            .iter()
            .map(|j| j.job_name.as_str())
            .collect();
        pools.retain(|name, pool| {
            let keep = jobs.contains(&name.as_str());
            if !keep {
                pool.lock().shut(&self.shared, Signal::Remove);
            }
            keep
        });
        self.shared.status.retain_pools(&jobs);
        for mut pool in changed {
            let name = pool.config.job_name.clone();
            if let Some(old) = pools.get(&name) {
                pool.inherit(&mut old.lock());
            }
            let pool = Arc::new(Mutex::new(pool));
            Pool::start_discovery(&pool, &self.shared);
            pool.lock().sync(&self.shared);
            pools.insert(name, pool);
        }
        Ok(())
    }

    /// Stops every loop (no staleness markers on shutdown, as Prometheus) and waits for them.
    pub async fn stop(&self) {
        self.shared.shutdown.send_replace(true);
        for pool in std::mem::take(&mut *self.pools.lock()).into_values() {
            pool.lock().shut(&self.shared, Signal::Handover);
        }
        let tasks = std::mem::take(&mut *self.shared.retiring.lock());
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a scrape loop failed");
            }
        }
    }
}

#[cfg(test)]
#[path = "scrape/tests.rs"]
mod tests;
