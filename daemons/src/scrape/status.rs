//! What the scrape manager knows about its targets, shared with the HTTP API.
//!
//! The manager replaces a pool's target list whenever discovery or a reload changes it; each
//! scrape loop records its outcome and the metadata (`# HELP`/`# TYPE`/`# UNIT`) of its last
//! successful scrape on its own [`TargetHealth`]. Readers (`/api/v1/targets`,
//! `/api/v1/metadata`) take snapshots and never block a scrape for longer than a clone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use model::Labels;
use parking_lot::{Mutex, RwLock};

/// A target's health, as `/api/v1/targets` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not scraped yet.
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl Health {
    /// `"unknown"`, `"up"` or `"down"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// The outcome of a target's most recent scrape.
#[derive(Debug, Clone)]
pub struct LastScrape {
    /// Up, down, or unknown before the first scrape.
    pub health: Health,
    /// Why the last scrape failed; empty when it succeeded.
    pub error: String,
    /// When the last scrape started; `None` before the first.
    pub at: Option<SystemTime>,
    /// How long the last scrape took.
    pub duration: Duration,
}

/// Metadata of one metric family as the target exposed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset` or
    /// `unknown` (Prometheus reports untyped families as `unknown`).
    pub kind: String,
    /// The `# HELP` text, unescaped.
    pub help: String,
    /// The `# UNIT` (OpenMetrics), empty when none.
    pub unit: String,
}

/// One active target: fixed identity plus the mutable state its scrape loop updates.
#[derive(Debug)]
pub struct TargetHealth {
    /// Labels from service discovery, before relabeling (includes `__address__`, `__scheme__`,
    /// `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__`, `job` and `__param_*`).
    pub discovered_labels: Labels,
    /// Labels after relabeling, without `__`-prefixed ones: what every scraped series gets.
    pub labels: Labels,
    /// The URL scraped, parameters included.
    pub scrape_url: String,
    /// Scrape interval of this target.
    pub scrape_interval: Duration,
    /// Scrape timeout of this target.
    pub scrape_timeout: Duration,
    last: Mutex<LastScrape>,
    /// Metric family name → metadata, from the last successful scrape.
    metadata: Mutex<Arc<BTreeMap<String, MetricMetadata>>>,
}

impl TargetHealth {
    /// A target that has not been scraped yet.
    pub fn new(
        discovered_labels: Labels,
        labels: Labels,
        scrape_url: String,
        scrape_interval: Duration,
        scrape_timeout: Duration,
    ) -> Self {
        TargetHealth {
            discovered_labels,
            labels,
            scrape_url,
            scrape_interval,
            scrape_timeout,
            last: Mutex::new(LastScrape {
                health: Health::Unknown,
                error: String::new(),
                at: None,
                duration: Duration::ZERO,
            }),
            metadata: Mutex::new(Arc::new(BTreeMap::new())),
        }
    }

    /// Records a scrape's outcome: `error` is `None` when it succeeded.
    pub fn record(&self, at: SystemTime, duration: Duration, error: Option<String>) {
        let mut last = self.last.lock();
        last.at = Some(at);
        last.duration = duration;
        match error {
            None => {
                last.health = Health::Up;
                last.error.clear();
            }
            Some(e) => {
                last.health = Health::Down;
                last.error = e;
            }
        }
    }

    /// The last scrape's outcome.
    pub fn last(&self) -> LastScrape {
        self.last.lock().clone()
    }

    /// Replaces the target's metadata with that of its latest successful scrape.
    pub fn set_metadata(&self, metadata: BTreeMap<String, MetricMetadata>) {
        *self.metadata.lock() = Arc::new(metadata);
    }

    /// The metadata of the latest successful scrape, metric family name → metadata.
    pub fn metadata(&self) -> Arc<BTreeMap<String, MetricMetadata>> {
        Arc::clone(&self.metadata.lock())
    }
}

/// One scrape pool (a `scrape_configs` job): its active targets and the discovered ones that
/// relabeling dropped.
#[derive(Debug, Clone, Default)]
pub struct PoolStatus {
    /// Targets being scraped, in discovery order.
    pub active: Vec<Arc<TargetHealth>>,
    /// Discovered label sets of targets relabeling dropped.
    pub dropped: Vec<Labels>,
}

/// Every pool's status, by job name.
#[derive(Debug, Default)]
pub struct ScrapeStatus {
    pools: RwLock<BTreeMap<String, PoolStatus>>,
}

impl ScrapeStatus {
    /// Empty: no pools.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces pool `job`'s targets.
    pub fn set_pool(&self, job: &str, status: PoolStatus) {
        self.pools.write().insert(job.to_owned(), status);
    }

    /// Forgets pools whose job is not in `jobs` (after a reload removed them).
    pub fn retain_pools(&self, jobs: &[&str]) {
        self.pools
            .write()
            .retain(|name, _| jobs.contains(&name.as_str()));
    }

    /// A copy of every pool's status, by job name.
    pub fn snapshot(&self) -> BTreeMap<String, PoolStatus> {
        self.pools.read().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(instance: &str) -> Arc<TargetHealth> {
        let labels = Labels::from_pairs([("instance", instance), ("job", "node")])
            .unwrap_or_else(|e| panic!("{e}"));
        Arc::new(TargetHealth::new(
            labels.clone(),
            labels,
            format!("http://{instance}/metrics"),
            Duration::from_secs(15),
            Duration::from_secs(10),
        ))
    }

    #[test]
    fn records_health_and_keeps_the_latest_error_only() {
        let t = target("a:1");
        assert_eq!(t.last().health, Health::Unknown);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(10);
        t.record(
            at,
            Duration::from_millis(5),
            Some("connection refused".into()),
        );
        assert_eq!(t.last().health, Health::Down);
        assert_eq!(t.last().error, "connection refused");
        t.record(at, Duration::from_millis(5), None);
        let last = t.last();
        assert_eq!((last.health, last.error.as_str()), (Health::Up, ""));
        assert_eq!(last.at, Some(at));
    }

    #[test]
    fn pools_are_replaced_and_pruned() {
        let status = ScrapeStatus::new();
        status.set_pool(
            "node",
            PoolStatus {
                active: vec![target("a:1")],
                dropped: Vec::new(),
            },
        );
        status.set_pool("old", PoolStatus::default());
        status.retain_pools(&["node"]);
        let snap = status.snapshot();
        assert_eq!(snap.keys().collect::<Vec<_>>(), ["node"]);
        assert_eq!(snap["node"].active.len(), 1);
    }
}
