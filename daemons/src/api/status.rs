//! `/api/v1/status/*`: build and runtime information, the configuration, the flags and the
//! head's cardinality statistics, with Prometheus's keys so Grafana and `promtool` read them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use model::{MatchType, Matcher, SeriesQuerier};
use serde_json::{Value as Json, json};

use super::blocking::blocking;
use super::labels::storage_error;
use super::params::Params;
use super::response::{ApiError, ApiResult, Success};
use super::timestamp::format_rfc3339;
use crate::tsdbd::TsdbState;

/// Entries per list in `/status/tsdb` when no `limit` is given (Prometheus's default).
const DEFAULT_TSDB_STATS_LIMIT: usize = 10;

/// `GET /api/v1/status/buildinfo`: Prometheus's keys and nothing else (no `features`, no
/// `application`), which is what makes Grafana treat the server as Prometheus. Fields a
/// build does not stamp (`TSDBD_BUILD_*` at compile time) read `unknown`.
pub(crate) async fn build_info() -> ApiResult {
    let stamp = |value: Option<&'static str>| value.unwrap_or("unknown");
    Ok(Success::new(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": stamp(option_env!("TSDBD_BUILD_REVISION")),
        "branch": stamp(option_env!("TSDBD_BUILD_BRANCH")),
        "buildUser": stamp(option_env!("TSDBD_BUILD_USER")),
        "buildDate": stamp(option_env!("TSDBD_BUILD_DATE")),
        // Not Go: the Rust toolchain the crate declares it needs.
        "goVersion": concat!("rust", env!("CARGO_PKG_RUST_VERSION")),
    })))
}

/// `GET /api/v1/status/runtimeinfo`. Go-specific fields get the nearest true value: the
/// process's thread count for `goroutineCount`, the usable CPUs for `GOMAXPROCS`, and empty
/// `GOGC`/`GODEBUG`; tsdbd does not count corrupted blocks (they fail the start-up instead),
/// so `corruptionCount` is 0.
pub(crate) async fn runtime_info(State(state): State<Arc<TsdbState>>) -> ApiResult {
    let reload = state.reload_status();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|e| format!("<unknown: {e}>"));
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(Success::new(json!({
        "startTime": format_rfc3339(state.started_at),
        "CWD": cwd,
        "reloadConfigSuccess": reload.success,
        "lastConfigTime": format_rfc3339(reload.last_success),
        "corruptionCount": 0,
        "goroutineCount": thread_count(),
        "GOMAXPROCS": cpus,
        "GOGC": "",
        "GODEBUG": "",
        "storageRetention": state.storage_retention,
    })))
}

/// Threads of this process (Linux `/proc/self/status`), 0 where that cannot be read.
fn thread_count() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `GET /api/v1/status/config`.
pub(crate) async fn config(State(state): State<Arc<TsdbState>>) -> ApiResult {
    Ok(Success::new(json!({ "yaml": state.config().yaml })))
}

/// `GET /api/v1/status/flags`.
pub(crate) async fn flags(State(state): State<Arc<TsdbState>>) -> ApiResult {
    Ok(Success::new(json!(state.flags)))
}

/// `GET /api/v1/status/tsdb`: head statistics and the top `limit` (default 10) entries of
/// each cardinality list, computed from the series of the head's time range.
pub(crate) async fn tsdb(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let limit = match params.limit()? {
        0 => DEFAULT_TSDB_STATS_LIMIT,
        n => n,
    };
    let db = Arc::clone(&state.db);
    let stats = blocking(move || {
        let range = db.head_time_range();
        let counts = match range {
            Some((mint, maxt)) => count_cardinality(&db.querier(mint, maxt))?,
            None => Cardinality::default(),
        };
        Ok((db.head_series(), range, counts))
    })
    .await?;
    let (num_series, range, counts) = stats;
    // An empty head reports Prometheus's sentinels: min time above max time.
    let (min_time, max_time) = range.unwrap_or((i64::MAX, i64::MIN));
    Ok(Success::new(json!({
        "headStats": {
            "numSeries": num_series,
            "numLabelPairs": counts.pairs.len(),
            // tsdb-core does not report its head chunk count yet.
            "chunkCount": 0,
            "minTime": min_time,
            "maxTime": max_time,
        },
        "seriesCountByMetricName": top(&counts.series_by_metric, limit),
        "labelValueCountByLabelName": top(&counts.values_by_name, limit),
        "memoryInBytesByLabelName": top(&counts.bytes_by_name, limit),
        "seriesCountByLabelValuePair": top(&counts.pairs, limit),
    })))
}

/// Counts over every series a querier sees, as Prometheus's postings statistics.
#[derive(Debug, Default)]
struct Cardinality {
    /// Metric name → series.
    series_by_metric: HashMap<String, u64>,
    /// Label name → distinct values.
    values_by_name: HashMap<String, u64>,
    /// Label name → bytes of its values summed over series.
    bytes_by_name: HashMap<String, u64>,
    /// `name=value` → series.
    pairs: HashMap<String, u64>,
}

fn count_cardinality(querier: &dyn SeriesQuerier) -> Result<Cardinality, ApiError> {
    let everything = Matcher::new(MatchType::Regex, model::METRIC_NAME, ".*")
        .map_err(|e| ApiError::internal(format!("building the all-series matcher: {e}")))?;
    let mut counts = Cardinality::default();
    for series in querier.select(&[everything]).map_err(storage_error)? {
        let series = series.map_err(storage_error)?;
        for (name, value) in series.labels().iter() {
            if name == model::METRIC_NAME {
                *counts.series_by_metric.entry(value.to_owned()).or_default() += 1;
            }
            *counts.bytes_by_name.entry(name.to_owned()).or_default() += value.len() as u64;
            let pair = counts.pairs.entry(format!("{name}={value}")).or_default();
            if *pair == 0 {
                *counts.values_by_name.entry(name.to_owned()).or_default() += 1;
            }
            *pair += 1;
        }
    }
    Ok(counts)
}

/// The `limit` largest counts as `[{"name":…,"value":…}]`, largest first, ties by name.
fn top(counts: &HashMap<String, u64>, limit: usize) -> Json {
    let sorted: BTreeMap<(std::cmp::Reverse<u64>, &str), ()> = counts
        .iter()
        .map(|(name, &value)| ((std::cmp::Reverse(value), name.as_str()), ()))
        .collect();
    Json::Array(
        sorted
            .into_keys()
            .take(limit)
            .map(|(value, name)| json!({"name": name, "value": value.0}))
            .collect(),
    )
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
