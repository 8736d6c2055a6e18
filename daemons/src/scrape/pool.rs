//! One scrape pool (a `scrape_configs` job): its discovered groups, the targets they make, one
//! loop per target, and the file-SD watcher that re-syncs the pool when files change.

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::{Arc, Weak};

use model::Labels;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::cache::ScrapeCache;
use super::client::ScrapeClient;
use super::file_sd::FileSdState;
use super::ingest::SampleRules;
use super::scrape_loop::{LoopContext, LoopHandle, Signal};
use super::status::{PoolStatus, ScrapeStatus};
use super::target::{self, Outcome, Target, TargetGroup};
use crate::config::ScrapeConfig;
use crate::tsdbd::metrics::Metrics;
use tsdb_core::Db;

/// What every pool shares with the manager.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Storage.
    pub db: Arc<Db>,
    /// Target status for the HTTP API.
    pub status: Arc<ScrapeStatus>,
    /// Daemon metrics.
    pub metrics: Arc<Metrics>,
    /// Becomes true when the manager stops.
    pub shutdown: watch::Sender<bool>,
    /// Tasks of loops that were told to end (some still writing staleness markers); the
    /// manager's `stop` waits for them.
    pub retiring: Mutex<Vec<JoinHandle<ScrapeCache>>>,
}

impl Shared {
    fn retire(&self, task: JoinHandle<ScrapeCache>) {
        let mut retiring = self.retiring.lock();
        retiring.retain(|t| !t.is_finished());
        retiring.push(task);
    }
}

/// A job's pool. Guarded by a mutex held only for synchronous work (never across an await).
#[derive(Debug)]
pub(crate) struct Pool {
    /// The job as configured.
    pub config: ScrapeConfig,
    client: ScrapeClient,
    rules: Arc<SampleRules>,
    static_groups: Vec<TargetGroup>,
    file_groups: Vec<TargetGroup>,
    /// Running loops by target key.
    loops: HashMap<u64, LoopHandle>,
    /// Loops of the job's previous configuration whose settings differ: a target that stays
    /// gets a new loop that takes over the old one's cache. Empty after the first sync.
    superseded: HashMap<u64, LoopHandle>,
    /// Stops the file-SD watcher when set or dropped.
    watcher: Option<watch::Sender<bool>>,
}

impl Pool {
    /// A pool with no loops yet; [`sync`](Self::sync) starts them.
    pub(crate) fn new(config: ScrapeConfig, client: ScrapeClient) -> Self {
        Pool {
            rules: Arc::new(SampleRules::of(&config)),
            client,
            static_groups: static_groups(&config),
            file_groups: Vec::new(),
            loops: HashMap::new(),
            superseded: HashMap::new(),
            watcher: None,
            config,
        }
    }

    /// Takes over the loops of `old`, the same job's previous configuration: they keep
    /// running when only target discovery changed, else they are superseded (see
    /// [`Pool::superseded`]). Stops `old`'s watcher.
    pub(crate) fn inherit(&mut self, old: &mut Pool) {
        old.stop_watcher();
        let loops = std::mem::take(&mut old.loops);
        if same_loop_settings(&self.config, &old.config) {
            self.loops = loops;
        } else {
            self.superseded = loops;
        }
    }

    /// Reads the file-SD files once now (so the first sync sees their targets), then
    /// starts the watcher that re-syncs `pool` whenever they change.
    pub(crate) fn start_discovery(pool: &Arc<Mutex<Pool>>, shared: &Arc<Shared>) {
        let mut guard = pool.lock();
        if guard.config.file_sd_configs.is_empty() {
            return;
        }
        let mut state = FileSdState::new(guard.config.file_sd_configs.clone());
        state.poll();
        guard.file_groups = state.groups();
        let (stop, stopped) = watch::channel(false);
        guard.watcher = Some(stop);
        drop(guard);
        tokio::spawn(watch_files(
            Arc::downgrade(pool),
            Arc::clone(shared),
            state,
            stopped,
        ));
    }

    /// Starts, keeps and stops loops so that exactly the groups' targets are scraped, and
    /// publishes the pool's status.
    pub(crate) fn sync(&mut self, shared: &Shared) {
        let mut targets: Vec<Target> = Vec::new();
        let mut dropped: Vec<Labels> = Vec::new();
        let mut seen = HashSet::new();
        for group in self.static_groups.iter().chain(&self.file_groups) {
            for discovered in &group.targets {
                match target::populate(&self.config, group, discovered) {
                    Outcome::Active(t) => {
                        if seen.insert(t.key()) {
                            targets.push(t);
                        }
                    }
                    Outcome::Dropped(labels) => dropped.push(labels),
                    Outcome::Invalid(reason) => tracing::warn!(
                        job = %self.config.job_name, target = %discovered, %reason,
                        "skipping an invalid scrape target"
                    ),
                }
            }
        }
        let mut old = std::mem::take(&mut self.loops);
        let mut active = Vec::with_capacity(targets.len());
        for target in targets {
            let key = target.key();
            let handle = match old.remove(&key) {
                Some(running) => running,
                None => {
                    let predecessor = self
                        .superseded
                        .remove(&key)
                        .map(|h| h.stop(Signal::Handover));
                    LoopHandle::start(self.context(shared), target, predecessor)
                }
            };
            active.push(Arc::clone(&handle.health));
            self.loops.insert(key, handle);
        }
        for (_, gone) in old.drain().chain(self.superseded.drain()) {
            shared.retire(gone.stop(Signal::Remove));
        }
        shared
            .status
            .set_pool(&self.config.job_name, PoolStatus { active, dropped });
    }

    /// Ends every loop as `how` says and the watcher; the tasks go to `shared.retiring`.
    pub(crate) fn shut(&mut self, shared: &Shared, how: Signal) {
        self.stop_watcher();
        for (_, handle) in self.loops.drain().chain(self.superseded.drain()) {
            shared.retire(handle.stop(how));
        }
    }

    fn context(&self, shared: &Shared) -> LoopContext {
        LoopContext {
            job: self.config.job_name.clone(),
            db: Arc::clone(&shared.db),
            metrics: Arc::clone(&shared.metrics),
            client: self.client.clone(),
            rules: Arc::clone(&self.rules),
            shutdown: shared.shutdown.subscribe(),
        }
    }

    fn stop_watcher(&mut self) {
        if let Some(w) = self.watcher.take() {
            let _ = w.send(true);
        }
    }
}

/// The groups of the job's `static_configs`.
fn static_groups(config: &ScrapeConfig) -> Vec<TargetGroup> {
    config
        .static_configs
        .iter()
        .map(|s| TargetGroup::from_addresses(&s.targets, s.labels.clone()))
        .collect()
}

/// Whether two configurations of a job scrape a given target the same way: they may differ
/// only in how targets are discovered and relabeled.
pub(crate) fn same_loop_settings(a: &ScrapeConfig, b: &ScrapeConfig) -> bool {
    let discovery_blind = |c: &ScrapeConfig| ScrapeConfig {
        static_configs: Vec::new(),
        file_sd_configs: Vec::new(),
        relabel_configs: Vec::new(),
        ..c.clone()
    };
    discovery_blind(a) == discovery_blind(b)
}

/// Polls the pool's file-SD files and re-syncs the pool when their groups change; ends when
/// told to or when the pool is gone.
async fn watch_files(
    pool: Weak<Mutex<Pool>>,
    shared: Arc<Shared>,
    mut state: FileSdState,
    mut stop: watch::Receiver<bool>,
) {
    let period = state.poll_period();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
        let polled = tokio::task::spawn_blocking(move || {
            let changed = state.poll();
            (state, changed)
        })
        .await;
        let changed;
        (state, changed) = match polled {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "file service discovery task failed");
                return;
            }
        };
        if !changed || *stop.borrow() {
            continue;
        }
        let Some(pool) = pool.upgrade() else { return };
        let mut pool = pool.lock();
        // A reload may have stopped this watcher while the files were read.
        if *stop.borrow() {
            return;
        }
        pool.file_groups = state.groups();
        pool.sync(&shared);
    }
}
