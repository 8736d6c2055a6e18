//! The LogQL engine's entry points: range and instant queries over any [`LogQuerier`], with
//! Loki v3's parameter checks, limits and result shapes, ready for `/loki/api/v1/query_range`
//! and `/loki/api/v1/query`.
//!
//! ```
//! use model::{Labels, LogEntry, VecLogQuerier};
//! use query::logql::{Engine, EngineOptions, QueryData, RangeQuery};
//! use query::promql::CancelToken;
//!
//! let mut store = VecLogQuerier::new();
//! let stream = Labels::from_pairs([("app", "api")]).unwrap();
//! store.push("tenant", &stream, LogEntry::new(1_000_000_000, "GET /health 200"));
//! let engine = Engine::new(EngineOptions::default());
//! let query = RangeQuery::new("vector(1) + vector(1)", 0, 60_000_000_000, 15_000_000_000);
//! let response = engine.range(&store, "tenant", &query, &CancelToken::default()).unwrap();
//! let QueryData::Matrix(series) = &response.data else { panic!() };
//! assert!(series[0].samples.iter().all(|s| s.v == 2.0));
//! assert_eq!(response.to_json()["resultType"], "matrix");
//! ```

use std::collections::HashMap;
use std::time::{Duration, Instant};

use model::{Direction, Labels, LogQuerier, Sample};

use super::eval::error::{LimitError, QueryError};
use super::eval::logs::{self, LogRequest};
use super::eval::{Evaluator, Grid, Guard, ScanTotals, StepVectors, sorts_by_value};
use super::result::{InstantSample, QueryData, QueryResponse, RangeSeries, Statistics};
use super::syntax::{Expr, LogExpr, SampleExpr, parse};
use crate::promql::CancelToken;

/// Limits of an [`Engine`]. Defaults are Loki's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Most entries a log query may ask for (Loki's `max_entries_limit_per_query`, default
    /// 5000); `None` for no limit.
    pub max_entries_limit_per_query: Option<usize>,
    /// Most series a metric query may return (Loki's `max_query_series`, default 500); `None`
    /// for no limit.
    pub max_query_series: Option<usize>,
    /// Longest a query may run (Loki's `query_timeout`, default 1 minute); `None` for no limit.
    pub timeout: Option<Duration>,
    /// Most steps of a range query (Loki's fixed 11,000 points per series); `None` for no
    /// limit.
    pub max_points_per_series: Option<usize>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_entries_limit_per_query: Some(5000),
            max_query_series: Some(500),
            timeout: Some(Duration::from_secs(60)),
            max_points_per_series: Some(11_000),
        }
    }
}

/// A range query (`/loki/api/v1/query_range`). Times are nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeQuery<'a> {
    /// The LogQL text.
    pub query: &'a str,
    /// First evaluation step (metric queries); first nanosecond read, inclusive (log queries).
    pub start: i64,
    /// Last evaluation step, inclusive (metric queries); end of the range read, exclusive (log
    /// queries).
    pub end: i64,
    /// Time between evaluation steps, nanoseconds (at least 1).
    pub step: i64,
    /// Log queries: least time between two returned entries, nanoseconds; 0 for every entry
    /// (Loki's `interval`).
    pub interval: i64,
    /// Log queries: order of the entries (Loki's default: backward, newest first).
    pub direction: Direction,
    /// Log queries: most entries returned (Loki's default: 100).
    pub limit: usize,
}

impl<'a> RangeQuery<'a> {
    /// A range query with Loki's defaults: backward, 100 entries, no interval.
    pub fn new(query: &'a str, start: i64, end: i64, step: i64) -> Self {
        Self {
            query,
            start,
            end,
            step,
            interval: 0,
            direction: Direction::Backward,
            limit: 100,
        }
    }
}

/// An instant query (`/loki/api/v1/query`). Log queries are refused, as Loki refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstantQuery<'a> {
    /// The LogQL text.
    pub query: &'a str,
    /// The evaluation time, nanoseconds since the Unix epoch.
    pub time: i64,
}

impl<'a> InstantQuery<'a> {
    /// An instant query at `time`.
    pub fn new(query: &'a str, time: i64) -> Self {
        Self { query, time }
    }
}

/// Evaluates LogQL queries over any [`LogQuerier`].
#[derive(Debug, Clone, Default)]
pub struct Engine {
    options: EngineOptions,
}

impl Engine {
    /// An engine with `options`.
    pub fn new(options: EngineOptions) -> Self {
        Self { options }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Runs a range query over `tenant`'s logs: a log query returns streams, a metric query a
    /// matrix. Stops with [`QueryError::Canceled`] once `cancel` is cancelled.
    pub fn range(
        &self,
        querier: &dyn LogQuerier,
        tenant: &str,
        query: &RangeQuery<'_>,
        cancel: &CancelToken,
    ) -> Result<QueryResponse, QueryError> {
        let started = Instant::now();
        self.check_range(query)?;
        let guard = self.guard(started, cancel);
        let mut totals = ScanTotals::default();
        let data = match parse(query.query)? {
            Expr::Log(log) => self.log_query(querier, tenant, &log, query, &guard, &mut totals)?,
            Expr::Sample(expr) => {
                let grid = Grid::range(query.start, query.end, query.step);
                let ctx = MetricContext {
                    querier,
                    tenant,
                    grid,
                    guard,
                    instant: false,
                };
                self.metric_query(&expr, ctx, &mut totals)?
            }
        };
        Ok(respond(data, totals, started))
    }

    /// Runs an instant query over `tenant`'s logs at `query.time`: a vector, or a scalar for a
    /// number. Stops with [`QueryError::Canceled`] once `cancel` is cancelled.
    pub fn instant(
        &self,
        querier: &dyn LogQuerier,
        tenant: &str,
        query: &InstantQuery<'_>,
        cancel: &CancelToken,
    ) -> Result<QueryResponse, QueryError> {
        let started = Instant::now();
        let Expr::Sample(expr) = parse(query.query)? else {
            return Err(QueryError::instant_log_query());
        };
        let guard = self.guard(started, cancel);
        let mut totals = ScanTotals::default();
        let grid = Grid::instant(query.time);
        let ctx = MetricContext {
            querier,
            tenant,
            grid,
            guard,
            instant: true,
        };
        let data = self.metric_query(&expr, ctx, &mut totals)?;
        Ok(respond(data, totals, started))
    }

    fn guard(&self, started: Instant, cancel: &CancelToken) -> Guard {
        let deadline = self.options.timeout.and_then(|t| started.checked_add(t));
        Guard::new(cancel.clone(), deadline)
    }

    /// Loki's checks of a range query's times (`pkg/loghttp/params.go`).
    fn check_range(&self, query: &RangeQuery<'_>) -> Result<(), QueryError> {
        if query.end < query.start {
            return Err(QueryError::InvalidParameter(
                "end timestamp must not be before or equal to start time".into(),
            ));
        }
        if query.step <= 0 {
            return Err(QueryError::InvalidParameter(
                "zero or negative query resolution step widths are not accepted. Try a positive integer"
                    .into(),
            ));
        }
        let points = query.end.saturating_sub(query.start) / query.step;
        if let Some(max) = self.options.max_points_per_series
            && usize::try_from(points).map_or(true, |p| p > max)
        {
            return Err(QueryError::InvalidParameter(format!(
                "exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution (?step=XX)",
                thousands(max)
            )));
        }
        Ok(())
    }

    fn log_query(
        &self,
        querier: &dyn LogQuerier,
        tenant: &str,
        log: &LogExpr,
        query: &RangeQuery<'_>,
        guard: &Guard,
        totals: &mut ScanTotals,
    ) -> Result<QueryData, QueryError> {
        if let Some(limit) = self.options.max_entries_limit_per_query
            && query.limit > limit
        {
            return Err(LimitError::Entries {
                requested: query.limit,
                limit,
            }
            .into());
        }
        if query.limit == 0 {
            return Err(QueryError::InvalidParameter(
                "limit must be a positive value".into(),
            ));
        }
        let request = LogRequest {
            tenant,
            start: query.start,
            end: query.end,
            direction: query.direction,
            limit: query.limit,
            interval: query.interval.max(0),
        };
        let streams = logs::eval(querier, log, &request, guard, totals)?;
        Ok(QueryData::Streams(streams))
    }

    fn metric_query(
        &self,
        expr: &SampleExpr,
        ctx: MetricContext<'_>,
        totals: &mut ScanTotals,
    ) -> Result<QueryData, QueryError> {
        let MetricContext {
            querier,
            tenant,
            grid,
            guard,
            instant,
        } = ctx;
        // A number or `vector(n)` alone: no series limit, as in Loki's `evalLiteral`/`evalVector`.
        match expr {
            SampleExpr::Literal(v) if instant => {
                return Ok(QueryData::Scalar(Sample::new(grid.millis(0), *v)));
            }
            SampleExpr::Vector(v) if instant => {
                let sample = InstantSample {
                    labels: Labels::empty(),
                    t: grid.millis(0),
                    v: *v,
                };
                return Ok(QueryData::Vector(vec![sample]));
            }
            SampleExpr::Literal(v) | SampleExpr::Vector(v) => {
                let samples = (0..grid.count)
                    .map(|i| Sample::new(grid.millis(i), *v))
                    .collect();
                return Ok(QueryData::Matrix(vec![RangeSeries {
                    labels: Labels::empty(),
                    samples,
                }]));
            }
            _ => {}
        }
        let mut evaluator = Evaluator::new(querier, tenant, grid, guard);
        let steps = evaluator.eval(expr)?;
        *totals = evaluator.totals;
        let max_series = self.options.max_query_series;
        if instant {
            instant_vector(steps, grid, max_series, sorts_by_value(expr)).map(QueryData::Vector)
        } else {
            matrix(steps, grid, max_series).map(QueryData::Matrix)
        }
    }
}

/// What a metric query runs against.
struct MetricContext<'a> {
    querier: &'a dyn LogQuerier,
    tenant: &'a str,
    grid: Grid,
    guard: Guard,
    instant: bool,
}

/// The vector of an instant query: sorted by labels unless the query sorts by value.
fn instant_vector(
    steps: StepVectors,
    grid: Grid,
    max_series: Option<usize>,
    keep_order: bool,
) -> Result<Vec<InstantSample>, QueryError> {
    let step = steps.into_iter().next().unwrap_or_default();
    if let Some(limit) = max_series
        && step.len() > limit
    {
        return Err(LimitError::Series { limit }.into());
    }
    let t = grid.millis(0);
    let mut samples: Vec<InstantSample> = step
        .into_iter()
        .map(|s| InstantSample {
            labels: s.labels,
            t,
            v: s.value,
        })
        .collect();
    if !keep_order {
        samples.sort_by(|a, b| a.labels.cmp(&b.labels));
    }
    Ok(samples)
}

/// The matrix of a range query: a series per label set seen at any step, sorted by labels;
/// fails as soon as more than `max_series` series have been seen.
fn matrix(
    steps: StepVectors,
    grid: Grid,
    max_series: Option<usize>,
) -> Result<Vec<RangeSeries>, QueryError> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut series: Vec<RangeSeries> = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let t = grid.millis(i);
        for sample in step {
            let slot = *index.entry(sample.labels.clone()).or_insert_with(|| {
                series.push(RangeSeries {
                    labels: sample.labels,
                    samples: Vec::new(),
                });
                series.len() - 1
            });
            if let Some(s) = series.get_mut(slot) {
                s.samples.push(Sample::new(t, sample.value));
            }
        }
        if let Some(limit) = max_series
            && series.len() > limit
        {
            return Err(LimitError::Series { limit }.into());
        }
    }
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(series)
}

fn respond(data: QueryData, totals: ScanTotals, started: Instant) -> QueryResponse {
    let stats = Statistics {
        exec_time: started.elapsed(),
        queue_time: Duration::ZERO,
        entries_returned: data.len() as u64,
        scan: totals.scan,
        post_filter_lines: totals.post_filter_lines,
    };
    QueryResponse {
        data,
        stats,
        warnings: Vec::new(),
    }
}

/// `11000` as Go's `%d` with thousands separators in Loki's message: `11,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "eval/engine_tests.rs"]
mod tests;
