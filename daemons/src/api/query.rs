//! `/api/v1/query`, `/api/v1/query_range`, `/api/v1/query_exemplars` and
//! `/api/v1/format_query`.
//!
//! A query waits for one of `--query.max-concurrency` slots (the wait counts against its
//! timeout, as Prometheus's query queue does), then runs on the blocking pool with a
//! [`CancelToken`] that is cancelled when the client disconnects: hyper drops the handler's
//! future, and with it the guard that owns the token.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use model::Queryable;
use query::promql::{CancelToken, Engine, EngineOptions, QueryError, QueryResult};

use super::params::Params;
use super::response::{ApiError, ApiResult, ErrorKind, Success};
use super::timestamp::{MAX_TIME_MS, MIN_TIME_MS, now_ms, parse_duration_param, parse_time};
use crate::tsdbd::TsdbState;

/// Prometheus's cap on the points a range query returns per series.
const MAX_POINTS_PER_SERIES: i128 = 11_000;

const NANOS_PER_MS: i64 = 1_000_000;

/// Which endpoint a query came through; errors are worded per endpoint as Prometheus's are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    Instant,
    Range,
}

/// `GET|POST /api/v1/query`.
pub(crate) async fn instant(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let time = params.time_or("time", now_ms())?;
    let settings = QuerySettings::from_params(&params, state.engine.options())?;
    let text = params.value("query").to_owned();
    let result = run(
        &state,
        settings,
        QueryKind::Instant,
        move |engine, db, cancel| engine.instant_with(db, &text, time, cancel),
    )
    .await?;
    Ok(success(result))
}

/// `GET|POST /api/v1/query_range`.
pub(crate) async fn range(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let start =
        parse_time(params.value("start")).map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time(params.value("end")).map_err(|e| ApiError::invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step_ms = parse_step(params.value("step"), start, end)?;
    let settings = QuerySettings::from_params(&params, state.engine.options())?;
    let text = params.value("query").to_owned();
    let result = run(
        &state,
        settings,
        QueryKind::Range,
        move |engine, db, cancel| engine.range_with(db, &text, start, end, step_ms, cancel),
    )
    .await?;
    Ok(success(result))
}

/// The step in ms, checked as Prometheus checks it: positive, and at most 11,000 points.
fn parse_step(text: &str, start: i64, end: i64) -> Result<i64, ApiError> {
    let step_ns = parse_duration_param(text).map_err(|e| ApiError::invalid_param("step", e))?;
    if step_ns <= 0 {
        return Err(ApiError::invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    let span_ns = i128::from(end - start) * i128::from(NANOS_PER_MS);
    if span_ns / i128::from(step_ns) > MAX_POINTS_PER_SERIES {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    match step_ns / NANOS_PER_MS {
        0 => Err(ApiError::invalid_param(
            "step",
            "query resolution steps shorter than a millisecond are not supported",
        )),
        ms => Ok(ms),
    }
}

/// The per-request engine settings: `timeout` (capped by `--query.timeout`) and
/// `lookback_delta`.
#[derive(Debug, Clone, Copy)]
struct QuerySettings {
    timeout: Duration,
    lookback_delta_ms: i64,
}

impl QuerySettings {
    fn from_params(params: &Params, options: &EngineOptions) -> Result<Self, ApiError> {
        let mut settings = QuerySettings {
            timeout: options.timeout,
            lookback_delta_ms: options.lookback_delta_ms,
        };
        match params.value("timeout") {
            "" => {}
            text => {
                let ns = parse_duration_param(text)
                    .map_err(|e| ApiError::invalid_param("timeout", e))?;
                let asked = Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
                settings.timeout = settings.timeout.min(asked);
            }
        }
        match params.value("lookback_delta") {
            "" => {}
            text => {
                let ns = parse_duration_param(text).map_err(|e| {
                    ApiError::bad_data(format!("error parsing lookback delta duration: {e}"))
                })?;
                // Zero or less keeps the server's default, as in Prometheus.
                if ns / NANOS_PER_MS > 0 {
                    settings.lookback_delta_ms = ns / NANOS_PER_MS;
                }
            }
        }
        Ok(settings)
    }

    fn engine(&self, base: &Engine) -> Engine {
        Engine::new(EngineOptions {
            timeout: self.timeout,
            lookback_delta_ms: self.lookback_delta_ms,
            ..base.options().clone()
        })
    }
}

/// Cancels its token when dropped while armed: the handler's future was dropped because the
/// client went away.
struct CancelOnDrop(Option<CancelToken>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.cancel();
        }
    }
}

/// Keeps `queries_running` right even if the evaluation panics.
struct RunningQuery<'a>(&'a crate::tsdbd::Metrics);

impl Drop for RunningQuery<'_> {
    fn drop(&mut self) {
        self.0.queries_running.dec();
    }
}

/// Waits for a query slot, then evaluates on the blocking pool.
async fn run<F>(
    state: &Arc<TsdbState>,
    settings: QuerySettings,
    kind: QueryKind,
    evaluate: F,
) -> Result<QueryResult, ApiError>
where
    F: FnOnce(&Engine, &dyn Queryable, &CancelToken) -> Result<QueryResult, QueryError>
        + Send
        + 'static,
{
    let slots = Arc::clone(&state.query_slots);
    let permit = match tokio::time::timeout(settings.timeout, slots.acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_closed)) => return Err(query_error(QueryError::Canceled("query queue"), kind)),
        Err(_elapsed) => return Err(query_error(QueryError::Timeout("query queue"), kind)),
    };
    let engine = settings.engine(&state.engine);
    let cancel = CancelToken::default();
    let mut guard = CancelOnDrop(Some(cancel.clone()));
    let db = Arc::clone(&state.db);
    let metrics = Arc::clone(&state.metrics);
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        metrics.queries_running.inc();
        let _running = RunningQuery(&metrics);
        evaluate(&engine, &*db, &cancel)
    });
    let outcome = task.await;
    guard.0 = None;
    outcome
        .map_err(|e| ApiError::internal(format!("query task failed: {e}")))?
        .map_err(|e| query_error(e, kind))
}

/// Prometheus's `returnAPIError`, plus the parse-time checks its `NewInstantQuery` and
/// `NewRangeQuery` make (our engine reports those while running).
fn query_error(error: QueryError, kind: QueryKind) -> ApiError {
    match error {
        QueryError::Parse { message, .. } => match kind {
            QueryKind::Instant => ApiError::invalid_param("query", message),
            QueryKind::Range => ApiError::bad_data(message),
        },
        QueryError::Execution(message)
            if kind == QueryKind::Range && message.starts_with("invalid expression type") =>
        {
            ApiError::bad_data(message)
        }
        QueryError::Execution(message) => ApiError::new(ErrorKind::Execution, message),
        e @ QueryError::Timeout(_) => ApiError::new(ErrorKind::Timeout, e.to_string()),
        e @ QueryError::Canceled(_) => ApiError::new(ErrorKind::Canceled, e.to_string()),
        e @ QueryError::TooManySamples(_) => ApiError::new(ErrorKind::Execution, e.to_string()),
        QueryError::Storage(e) => ApiError::internal(format!("query read storage: {e}")),
    }
}

fn success(result: QueryResult) -> Success {
    Success {
        data: result.value.to_json(),
        warnings: result.warnings,
        infos: result.infos,
    }
}

/// `GET|POST /api/v1/query_exemplars`: the parameters are checked as Prometheus checks them;
/// tsdbd stores no exemplars, so the answer is always an empty list.
pub(crate) async fn exemplars(params: Params) -> ApiResult {
    let start = params.time_or("start", MIN_TIME_MS)?;
    let end = params.time_or("end", MAX_TIME_MS)?;
    if end < start {
        return Err(ApiError::bad_data(
            "end timestamp must not be before start timestamp",
        ));
    }
    if params.value("query").trim().is_empty() {
        return Err(ApiError::bad_data(
            "1:1: parse error: no expression found in input",
        ));
    }
    Ok(Success::new(serde_json::Value::Array(Vec::new())))
}

/// `GET|POST /api/v1/format_query`: the query re-printed by the PromQL parser's pretty
/// printer, as Prometheus's `parser.Prettify`.
pub(crate) async fn format_query(params: Params) -> ApiResult {
    let text = params.value("query");
    match promql_parser::parser::parse(text) {
        Ok(expr) => Ok(Success::new(serde_json::Value::String(expr.prettify()))),
        Err(e) => Err(ApiError::invalid_param("query", e)),
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
