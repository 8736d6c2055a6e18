//! tsdbd's own metrics, served at `/metrics` in OpenMetrics text and scraped by the default
//! configuration like any other target.
//!
//! Every family is prefixed `tsdbd_` except the `process_*` ones, which carry the names every
//! Prometheus client library uses so existing dashboards find them.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tsdb_core::Db;

/// Labels of per-handler HTTP counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route, e.g. `/api/v1/query`.
    pub handler: String,
    /// The status code.
    pub code: String,
}

/// Labels naming a route.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandlerLabels {
    /// The matched route.
    pub handler: String,
}

/// Labels naming a scrape job.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// The `job_name`.
    pub job: String,
}

/// Labels naming why samples were refused.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `out_of_order`, `duplicate`, `out_of_bounds`, `too_old`, `invalid` or `unsupported`
    /// (native histograms).
    pub reason: String,
}

/// The metric families the daemon updates as it works.
#[derive(Debug)]
pub struct Metrics {
    /// HTTP requests by route and status code.
    pub http_requests: Family<HttpLabels, Counter>,
    /// HTTP request latency by route.
    pub http_request_duration: Family<HandlerLabels, Histogram, fn() -> Histogram>,
    /// Samples accepted through `/api/v1/write`.
    pub remote_write_samples_received: Counter,
    /// Samples refused through `/api/v1/write`, by reason.
    pub remote_write_samples_rejected: Family<ReasonLabels, Counter>,
    /// Scrapes attempted, by job.
    pub scrapes: Family<JobLabels, Counter>,
    /// Scrapes that failed, by job.
    pub scrape_failures: Family<JobLabels, Counter>,
    /// Scraped samples refused by storage, by reason.
    pub scrape_samples_rejected: Family<ReasonLabels, Counter>,
    /// Whether the last configuration reload succeeded (1) or not (0).
    pub config_last_reload_successful: Gauge,
    /// When the configuration was last loaded successfully, Unix seconds.
    pub config_last_reload_success_timestamp_seconds: Gauge,
    /// Queries currently running.
    pub queries_running: Gauge,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 4.0, 10))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh families, none registered yet.
    pub fn new() -> Self {
        Metrics {
            http_requests: Family::default(),
            http_request_duration: Family::new_with_constructor(latency_histogram),
            remote_write_samples_received: Counter::default(),
            remote_write_samples_rejected: Family::default(),
            scrapes: Family::default(),
            scrape_failures: Family::default(),
            scrape_samples_rejected: Family::default(),
            config_last_reload_successful: Gauge::default(),
            config_last_reload_success_timestamp_seconds: Gauge::default(),
            queries_running: Gauge::default(),
        }
    }

    /// Registers every family (and the storage and process collectors) in a new registry.
    pub fn registry(self: &Arc<Self>, db: Arc<Db>) -> Registry {
        let mut r = Registry::default();
        let m = Arc::clone(self);
        r.register(
            "tsdbd_http_requests",
            "HTTP requests served, by route and status code.",
            m.http_requests.clone(),
        );
        r.register(
            "tsdbd_http_request_duration_seconds",
            "HTTP request latency, by route.",
            m.http_request_duration.clone(),
        );
        r.register(
            "tsdbd_remote_write_samples_received",
            "Samples appended from remote-write requests.",
            m.remote_write_samples_received.clone(),
        );
        r.register(
            "tsdbd_remote_write_samples_rejected",
            "Samples of remote-write requests refused by storage, by reason.",
            m.remote_write_samples_rejected.clone(),
        );
        r.register(
            "tsdbd_scrapes",
            "Scrapes attempted, by job.",
            m.scrapes.clone(),
        );
        r.register(
            "tsdbd_scrape_failures",
            "Scrapes that failed, by job.",
            m.scrape_failures.clone(),
        );
        r.register(
            "tsdbd_scrape_samples_rejected",
            "Scraped samples refused by storage, by reason.",
            m.scrape_samples_rejected.clone(),
        );
        r.register(
            "tsdbd_config_last_reload_successful",
            "Whether the last configuration reload succeeded.",
            m.config_last_reload_successful.clone(),
        );
        r.register(
            "tsdbd_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration load.",
            m.config_last_reload_success_timestamp_seconds.clone(),
        );
        r.register(
            "tsdbd_queries_running",
            "PromQL queries being evaluated now.",
            m.queries_running.clone(),
        );
        r.register_collector(Box::new(StorageCollector { db }));
        r.register_collector(Box::new(ProcessCollector));
        r
    }
}

/// Reads the storage engine's state at each scrape.
#[derive(Debug)]
struct StorageCollector {
    db: Arc<Db>,
}

impl Collector for StorageCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let (head_min, head_max) = self.db.head_time_range().unwrap_or((0, 0));
        let gauges: [(&str, &str, i64); 5] = [
            (
                "tsdbd_tsdb_head_series",
                "Series in the head block.",
                i64::try_from(self.db.head_series()).unwrap_or(i64::MAX),
            ),
            (
                "tsdbd_tsdb_blocks_loaded",
                "Persisted blocks open.",
                i64::try_from(self.db.blocks().len()).unwrap_or(i64::MAX),
            ),
            (
                "tsdbd_tsdb_storage_bytes",
                "Bytes of blocks, WAL and head chunk files on disk.",
                i64::try_from(self.db.size_bytes()).unwrap_or(i64::MAX),
            ),
            (
                "tsdbd_tsdb_head_min_time",
                "Oldest sample time in the head, ms.",
                head_min,
            ),
            (
                "tsdbd_tsdb_head_max_time",
                "Newest sample time in the head, ms.",
                head_max,
            ),
        ];
        for (name, help, value) in gauges {
            let g = ConstGauge::new(value);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        Ok(())
    }
}

/// `process_*` metrics from `/proc/self` (Linux); nothing elsewhere.
#[derive(Debug)]
struct ProcessCollector;

/// The figures [`ProcessCollector`] reports.
#[derive(Debug, Default, PartialEq)]
struct ProcessStats {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    start_time_seconds: f64,
    open_fds: f64,
    threads: f64,
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(stats) = read_process_stats() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(stats.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                stats.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                stats.virtual_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                stats.start_time_seconds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                stats.open_fds,
            ),
            ("process_threads", "Number of OS threads.", stats.threads),
        ];
        for (name, help, value) in gauges {
            let g = ConstGauge::new(value);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        Ok(())
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times; 100 on every Linux port we run on.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
const PAGE_SIZE: f64 = 4096.0;

fn read_process_stats() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| parse_boot_time(&s));
    let open_fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as f64)
        .unwrap_or(0.0);
    let mut stats = parse_stat(&stat, boot_time.unwrap_or(0.0))?;
    stats.open_fds = open_fds;
    Some(stats)
}

/// Parses `/proc/self/stat`; the command name may contain spaces and parentheses, so fields are
/// counted after its last `)`.
fn parse_stat(stat: &str, boot_time: f64) -> Option<ProcessStats> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields after the name start at field 3 (state); field n is at index n - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse().ok() };
    Some(ProcessStats {
        cpu_seconds: (field(14)? + field(15)?) / CLOCK_TICKS_PER_SECOND,
        threads: field(20)?,
        start_time_seconds: boot_time + field(22)? / CLOCK_TICKS_PER_SECOND,
        virtual_bytes: field(23)?,
        resident_bytes: field(24)? * PAGE_SIZE,
        open_fds: 0.0,
    })
}

fn parse_boot_time(proc_stat: &str) -> Option<f64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat_with_a_tricky_command_name() {
        let stat = "4242 (tsdbd (x) y) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    250 150 0 0 20 0 7 0 1000 123456789 2048 18446744073709551615";
        let s = parse_stat(stat, 1_700_000_000.0).unwrap_or_else(|| panic!("parse"));
        assert_eq!(s.cpu_seconds, 4.0);
        assert_eq!(s.threads, 7.0);
        assert_eq!(s.start_time_seconds, 1_700_000_010.0);
        assert_eq!(s.virtual_bytes, 123_456_789.0);
        assert_eq!(s.resident_bytes, 2048.0 * 4096.0);
        assert_eq!(parse_boot_time("cpu 1 2\nbtime 1700000000\n"), Some(1.7e9));
    }

    #[test]
    fn reading_this_process_works_on_linux() {
        let s = read_process_stats().unwrap_or_else(|| panic!("no /proc"));
        assert!(s.resident_bytes > 0.0 && s.threads >= 1.0 && s.open_fds >= 1.0);
    }
}
