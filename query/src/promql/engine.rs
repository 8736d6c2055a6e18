//! The engine's entry points and options.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use model::{Labels, Queryable, Sample};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{AtModifier, Expr, Offset};

use super::durations;
use super::eval::{
    Evaluator, Grid, NAME_LABELS, StepSeries, Value, expr_type_name, info_time_bounds,
    mark_label_selectors, merge_same_labels,
};
use super::extended;
use super::parse::{at_millis, millis, offset_millis, parse};
use super::{InstantSample, QueryError, QueryResult, QueryValue, RangeSeries};

/// How an [`Engine`] evaluates queries. Defaults are Prometheus's.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`), ms.
    pub lookback_delta_ms: i64,
    /// Most samples a query may hold at once (`--query.max-samples`).
    pub max_samples: usize,
    /// Longest a query may run (`--query.timeout`).
    pub timeout: Duration,
    /// Step of a subquery that names none, ms.
    pub default_subquery_step_ms: i64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta_ms: 5 * 60 * 1000,
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            default_subquery_step_ms: 60 * 1000,
        }
    }
}

/// Lets another thread stop a running query: clones share one flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Asks every query holding a clone of this token to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`CancelToken::cancel`] was called.
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Evaluates PromQL queries over any [`Queryable`].
#[derive(Debug, Clone, Default)]
pub struct Engine {
    options: EngineOptions,
}

impl Engine {
    /// An engine with `options`.
    pub fn new(options: EngineOptions) -> Self {
        Engine { options }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Evaluates `query` at the instant `time_ms`, as Prometheus's `/api/v1/query`.
    pub fn instant(
        &self,
        storage: &dyn Queryable,
        query: &str,
        time_ms: i64,
    ) -> Result<QueryResult, QueryError> {
        self.instant_with(storage, query, time_ms, &CancelToken::default())
    }

    /// [`Engine::instant`], stopping with [`QueryError::Canceled`] once `cancel` is cancelled.
    pub fn instant_with(
        &self,
        storage: &dyn Queryable,
        query: &str,
        time_ms: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult, QueryError> {
        self.run(storage, query, Grid::new(time_ms, time_ms, 1), true, cancel)
    }

    /// Evaluates `query` at every step from `start_ms` to `end_ms` (inclusive) `step_ms` apart,
    /// as Prometheus's `/api/v1/query_range`: the result is always a matrix.
    pub fn range(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<QueryResult, QueryError> {
        self.range_with(
            storage,
            query,
            start_ms,
            end_ms,
            step_ms,
            &CancelToken::default(),
        )
    }

    /// [`Engine::range`], stopping with [`QueryError::Canceled`] once `cancel` is cancelled.
    pub fn range_with(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult, QueryError> {
        if step_ms <= 0 {
            return Err(QueryError::Execution(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end_ms < start_ms {
            return Err(QueryError::Execution(
                "end timestamp must not be before start time".into(),
            ));
        }
        self.run(
            storage,
            query,
            Grid::new(start_ms, end_ms, step_ms),
            false,
            cancel,
        )
    }

    fn run(
        &self,
        storage: &dyn Queryable,
        query: &str,
        grid: Grid,
        instant: bool,
        cancel: &CancelToken,
    ) -> Result<QueryResult, QueryError> {
        let query_text = durations::rewrite(
            query,
            grid.start,
            grid.end(),
            if instant { 0 } else { grid.step },
        )?;
        let query_text = mark_label_selectors(&query_text);
        let expr = parse(&query_text)?;
        if !instant && matches!(expr.value_type(), ValueType::Matrix | ValueType::String) {
            return Err(QueryError::Execution(format!(
                "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                expr_type_name(&expr)
            )));
        }
        let lookback = self.options.lookback_delta_ms;
        let (mint, maxt) = time_bounds(
            &expr,
            grid.start,
            grid.end(),
            lookback,
            grid.start,
            grid.end(),
        )
        .unwrap_or((grid.start, grid.end()));
        let (mint, maxt) = extended::load_range(&expr, mint, maxt, lookback);
        let querier = storage.querier(mint, maxt)?;
        let mut evaluator = Evaluator::new(&*querier, &self.options, query, grid, instant, cancel);
        let value = evaluator.eval(&expr, grid)?;
        let value = result_value(value, grid, instant)?;
        let annotations = evaluator.annotations;
        Ok(QueryResult {
            value,
            warnings: annotations.warnings,
            infos: annotations.infos,
        })
    }
}

/// The time range every selector of `expr` reads when evaluated from `start` to `end`:
/// offsets and `@` moved, ranges and the lookback window added. `None` without selectors.
fn time_bounds(
    expr: &Expr,
    start: i64,
    end: i64,
    lookback: i64,
    query_start: i64,
    query_end: i64,
) -> Option<(i64, i64)> {
    let moved = |at: Option<&AtModifier>, offset: Option<&Offset>| {
        let offset = offset_millis(offset);
        match at_millis(at, query_start, query_end) {
            Some(t) => (t - offset, t - offset),
            None => (start - offset, end - offset),
        }
    };
    let union = |a: Option<(i64, i64)>, b: Option<(i64, i64)>| match (a, b) {
        (Some(x), Some(y)) => Some((x.0.min(y.0), x.1.max(y.1))),
        (x, None) => x,
        (None, y) => y,
    };
    let inner = |e: &Expr, s: i64, t: i64| time_bounds(e, s, t, lookback, query_start, query_end);
    match expr {
        Expr::VectorSelector(vs) => {
            let (s, e) = moved(vs.at.as_ref(), vs.offset.as_ref());
            Some((s.saturating_sub(lookback), e))
        }
        Expr::MatrixSelector(ms) => {
            let (s, e) = moved(ms.vs.at.as_ref(), ms.vs.offset.as_ref());
            Some((s.saturating_sub(millis(ms.range)), e))
        }
        Expr::Subquery(sq) => {
            let (s, e) = moved(sq.at.as_ref(), sq.offset.as_ref());
            inner(&sq.expr, s.saturating_sub(millis(sq.range)), e)
        }
        Expr::Paren(p) => inner(&p.expr, start, end),
        Expr::Unary(u) => inner(&u.expr, start, end),
        Expr::Binary(b) => union(inner(&b.lhs, start, end), inner(&b.rhs, start, end)),
        Expr::Aggregate(a) => union(
            inner(&a.expr, start, end),
            a.param.as_ref().and_then(|p| inner(p, start, end)),
        ),
        Expr::Call(c) => {
            let args = c
                .args
                .args
                .iter()
                .fold(None, |acc, a| union(acc, inner(a, start, end)));
            // info() reads its info series at the times its first argument's samples come from.
            match (c.func.name, c.args.args.first()) {
                ("info", Some(base)) => union(
                    args,
                    Some(info_time_bounds(
                        base,
                        start,
                        end,
                        lookback,
                        query_start,
                        query_end,
                    )),
                ),
                _ => args,
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => None,
    }
}

/// Turns the evaluator's value into the API's shapes, removing metric names marked for it.
fn result_value(value: Value, grid: Grid, instant: bool) -> Result<QueryValue, QueryError> {
    let t = grid.start;
    match value {
        Value::Scalar(values) if instant => Ok(QueryValue::Scalar(Sample::new(
            t,
            values.first().copied().unwrap_or(f64::NAN),
        ))),
        Value::Scalar(values) => Ok(QueryValue::Matrix(vec![RangeSeries {
            labels: Labels::empty(),
            samples: values
                .iter()
                .enumerate()
                .map(|(i, &v)| Sample::new(grid.time(i), v))
                .collect(),
        }])),
        Value::String(value) => Ok(QueryValue::String { t, value }),
        Value::Matrix(series) => Ok(QueryValue::Matrix(
            series
                .into_iter()
                .map(|(labels, samples)| RangeSeries { labels, samples })
                .collect(),
        )),
        Value::Vector(series) => {
            let series = drop_marked_names(series)?;
            if instant {
                Ok(QueryValue::Vector(
                    series
                        .into_iter()
                        .filter_map(|s| {
                            let v = s.points.first().copied().flatten()?;
                            Some(InstantSample {
                                labels: s.labels,
                                t,
                                v,
                            })
                        })
                        .collect(),
                ))
            } else {
                let mut out: Vec<RangeSeries> = series
                    .into_iter()
                    .map(|s| RangeSeries {
                        samples: s
                            .points
                            .iter()
                            .enumerate()
                            .filter_map(|(i, p)| p.map(|v| Sample::new(grid.time(i), v)))
                            .collect(),
                        labels: s.labels,
                    })
                    .filter(|s| !s.samples.is_empty())
                    .collect();
                out.sort_by(|a, b| a.labels.cmp(&b.labels));
                Ok(QueryValue::Matrix(out))
            }
        }
    }
}

/// Removes the metric name where it was marked for removal, then merges series whose labels
/// became equal; two of them with a value at the same step is Prometheus's duplicate error.
fn drop_marked_names(series: Vec<StepSeries>) -> Result<Vec<StepSeries>, QueryError> {
    let mut series = merge_same_labels(series)?;
    for s in &mut series {
        if s.drop_name {
            s.labels = s.labels.without(NAME_LABELS);
            s.drop_name = false;
        }
    }
    merge_same_labels(series)
}
