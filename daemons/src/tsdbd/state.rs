//! The state every HTTP handler and background loop of tsdbd shares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::RwLock;
use query::promql::Engine;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tsdb_core::Db;

use super::metrics::Metrics;
use crate::config::Config;
use crate::scrape::status::ScrapeStatus;

/// A configuration in force: parsed, plus the text `/api/v1/status/config` shows.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The parsed configuration.
    pub config: Config,
    /// The YAML it was read from (or the embedded default's text).
    pub yaml: String,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

/// Outcome of the most recent configuration (re)load.
#[derive(Debug, Clone, Copy)]
pub struct ReloadStatus {
    /// Whether it succeeded.
    pub success: bool,
    /// When the last successful load happened.
    pub last_success: SystemTime,
}

/// Web features switched on by flags.
#[derive(Debug, Clone, Default)]
pub struct WebFeatures {
    /// `--web.enable-admin-api`.
    pub admin_api: bool,
    /// `--web.enable-lifecycle`.
    pub lifecycle: bool,
    /// `--web.enable-remote-write-receiver`.
    pub remote_write_receiver: bool,
    /// `--web.external-url`, resolved (scheme, host and route prefix); used in target URLs.
    pub external_url: String,
    /// The route prefix, `""` or `/path` without a trailing slash.
    pub route_prefix: String,
}

/// A request the HTTP layer hands to the main loop.
#[derive(Debug)]
pub enum LifecycleRequest {
    /// Reload the configuration; the reply says whether it worked.
    Reload(oneshot::Sender<Result<(), String>>),
    /// Shut down cleanly.
    Quit,
}

/// What handlers and loops share. Cheap to clone through its `Arc`.
#[derive(Debug)]
pub struct TsdbState {
    /// The storage engine.
    pub db: Arc<Db>,
    /// The PromQL engine, configured from the `--query.*` flags.
    pub engine: Engine,
    /// Permits for concurrent queries (`--query.max-concurrency`).
    pub query_slots: Arc<Semaphore>,
    /// Flag name → value, for `/api/v1/status/flags`.
    pub flags: BTreeMap<String, String>,
    /// Features switched on by flags.
    pub web: WebFeatures,
    /// Target health and metadata from the scrape manager.
    pub scrape_status: Arc<ScrapeStatus>,
    /// The daemon's own metrics.
    pub metrics: Arc<Metrics>,
    /// When the server started.
    pub started_at: SystemTime,
    /// Storage retention as `/api/v1/status/runtimeinfo` reports it (`15d`, `15d or 10GiB`).
    pub storage_retention: String,
    config: RwLock<Arc<LoadedConfig>>,
    reload_status: RwLock<ReloadStatus>,
    lifecycle: mpsc::Sender<LifecycleRequest>,
    ready: watch::Sender<bool>,
}

/// The parts of [`TsdbState`] fixed at start-up.
#[derive(Debug)]
pub struct StateParts {
    /// See [`TsdbState::db`].
    pub db: Arc<Db>,
    /// See [`TsdbState::engine`].
    pub engine: Engine,
    /// `--query.max-concurrency`.
    pub max_concurrent_queries: usize,
    /// See [`TsdbState::flags`].
    pub flags: BTreeMap<String, String>,
    /// See [`TsdbState::web`].
    pub web: WebFeatures,
    /// See [`TsdbState::scrape_status`].
    pub scrape_status: Arc<ScrapeStatus>,
    /// See [`TsdbState::metrics`].
    pub metrics: Arc<Metrics>,
    /// See [`TsdbState::storage_retention`].
    pub storage_retention: String,
    /// The configuration loaded at start-up.
    pub config: LoadedConfig,
}

impl TsdbState {
    /// The shared state, plus the receiving end of lifecycle requests for the main loop.
    pub fn new(parts: StateParts) -> (Arc<Self>, mpsc::Receiver<LifecycleRequest>) {
        let (lifecycle, requests) = mpsc::channel(8);
        let loaded_at = parts.config.loaded_at;
        let state = TsdbState {
            db: parts.db,
            engine: parts.engine,
            query_slots: Arc::new(Semaphore::new(parts.max_concurrent_queries.max(1))),
            flags: parts.flags,
            web: parts.web,
            scrape_status: parts.scrape_status,
            metrics: parts.metrics,
            started_at: SystemTime::now(),
            storage_retention: parts.storage_retention,
            config: RwLock::new(Arc::new(parts.config)),
            reload_status: RwLock::new(ReloadStatus {
                success: true,
                last_success: loaded_at,
            }),
            lifecycle,
            ready: watch::Sender::new(false),
        };
        (Arc::new(state), requests)
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<LoadedConfig> {
        Arc::clone(&self.config.read())
    }

    /// Installs a newly loaded configuration and records the successful reload.
    pub fn set_config(&self, config: LoadedConfig) {
        let at = config.loaded_at;
        *self.config.write() = Arc::new(config);
        *self.reload_status.write() = ReloadStatus {
            success: true,
            last_success: at,
        };
    }

    /// Records a failed reload (the old configuration stays in force).
    pub fn record_failed_reload(&self) {
        self.reload_status.write().success = false;
    }

    /// Outcome of the latest (re)load.
    pub fn reload_status(&self) -> ReloadStatus {
        *self.reload_status.read()
    }

    /// Asks the main loop to reload the configuration and waits for the outcome.
    pub async fn request_reload(&self) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.lifecycle
            .send(LifecycleRequest::Reload(tx))
            .await
            .map_err(|_| "tsdbd is shutting down".to_owned())?;
        rx.await.map_err(|_| "tsdbd is shutting down".to_owned())?
    }

    /// Asks the main loop to shut down.
    pub async fn request_quit(&self) {
        // A closed channel means shutdown is under way already.
        let _ = self.lifecycle.send(LifecycleRequest::Quit).await;
    }

    /// Whether start-up finished (WAL replayed, servers listening).
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Marks start-up finished.
    pub fn set_ready(&self) {
        self.ready.send_replace(true);
    }
}
