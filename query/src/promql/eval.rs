//! The evaluator: every expression is evaluated once over the whole step grid of the query.
//!
//! An instant vector is a list of [`StepSeries`], each holding one optional value per step, so
//! that a selector walks each series' samples once for all steps, functions map whole series,
//! and binary operators and aggregations combine series step by step without re-selecting.
//! Range vectors never exist as values between steps: functions over them slide a window along
//! each series ([`RangeInput`]). A subquery evaluates its inner expression once over its own
//! aligned grid and feeds the points to the same windows. A range selector with an `anchored` or
//! `smoothed` modifier hands its function windows that reach a lookback delta past their edges
//! ([`RangeInput::map_spans`]); a `smoothed` instant selector interpolates between the samples
//! around each step.

mod aggregate;
mod binary;
mod call;
mod histogram;
mod info;

pub(crate) use info::{info_time_bounds, mark_label_selectors};

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use model::{Labels, Sample, SeriesQuerier, is_stale_nan};
use promql_parser::parser::{Expr, MatrixSelector, SubqueryExpr, VectorSelector};

use super::extended::{modifier_of, without_marks};
use super::functions::range::{self, ExtendedWindow, SelectorModifier};
use super::parse::{at_millis, millis, offset_millis, selector_matchers};
use super::{EngineOptions, QueryError};

/// The labels that describe the metric name: `__name__`, and the `__type__` and `__unit__`
/// metadata labels Prometheus 3 can attach to it. Whatever drops the name drops all three.
pub(crate) const NAME_LABELS: &[&str] = &[model::METRIC_NAME, "__type__", "__unit__"];

/// The evaluation times of one (sub)expression: `start`, `start + step`, ..., at most `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    pub(crate) start: i64,
    pub(crate) step: i64,
    pub(crate) len: usize,
}

impl Grid {
    /// The grid from `start` to `end` inclusive; `step` must be positive.
    pub(crate) fn new(start: i64, end: i64, step: i64) -> Grid {
        let len = if end < start {
            0
        } else {
            usize::try_from((end - start) / step.max(1)).map_or(0, |n| n + 1)
        };
        Grid {
            start,
            step: step.max(1),
            len,
        }
    }

    /// Time of step `i`.
    pub(crate) fn time(&self, i: usize) -> i64 {
        self.start + self.step * i as i64
    }

    /// Time of the last step (the start when empty).
    pub(crate) fn end(&self) -> i64 {
        self.time(self.len.saturating_sub(1))
    }
}

/// One series of an instant vector over the grid.
#[derive(Debug, Clone)]
pub(crate) struct StepSeries {
    pub(crate) labels: Labels,
    /// One entry per step of the grid; `None` where the series has no value.
    pub(crate) points: Vec<Option<f64>>,
    /// The metric name is to be removed when the result leaves the engine (Prometheus 3's
    /// delayed name removal: label functions still see it until then).
    pub(crate) drop_name: bool,
}

impl StepSeries {
    fn is_empty(&self) -> bool {
        self.points.iter().all(Option::is_none)
    }
}

/// The value of an expression over a grid.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// One value per step.
    Scalar(Vec<f64>),
    /// A string (the same at every step).
    String(String),
    /// An instant vector.
    Vector(Vec<StepSeries>),
    /// A range vector, only as the value of a whole instant query: per series, its samples in
    /// the window ending at the (single) step.
    Matrix(Vec<(Labels, Vec<Sample>)>),
}

impl Value {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::String(_) => "string",
            Value::Vector(_) => "instant vector",
            Value::Matrix(_) => "range vector",
        }
    }
}

/// A selector's series with all their samples in the query's time range, stale markers included.
#[derive(Debug)]
pub(crate) struct LoadedSeries {
    pub(crate) labels: Labels,
    pub(crate) samples: Vec<Sample>,
}

/// The windows a range function reads: per series its samples (no stale markers), and per step
/// the end of the window; a window holds the samples with `end - range < t <= end`.
#[derive(Debug)]
pub(crate) struct RangeInput {
    pub(crate) series: Vec<(Labels, bool, Rc<[Sample]>)>,
    pub(crate) range: i64,
    pub(crate) ends: Vec<i64>,
    /// The `anchored` / `smoothed` modifier of a range selector (never of a subquery).
    pub(crate) modifier: Option<SelectorModifier>,
}

impl RangeInput {
    /// Calls `f(step, window, window_start, window_end)` for every step of every series whose
    /// window is not empty, building one output series per input series.
    pub(crate) fn map_windows(
        &self,
        f: impl FnMut(usize, &[Sample], i64, i64) -> Option<f64>,
    ) -> Vec<StepSeries> {
        self.map_spans((0, 0), f)
    }

    /// How far before and after its window a modified range selector's function looks, ms:
    /// `anchored` a lookback delta back (for the anchor), `smoothed` also one forward (for the
    /// neighbours interpolated from).
    pub(crate) fn reach(&self, lookback: i64) -> (i64, i64) {
        match self.modifier {
            None => (0, 0),
            Some(SelectorModifier::Anchored) => (lookback, 0),
            Some(SelectorModifier::Smoothed) => (lookback, lookback),
        }
    }

    /// As [`RangeInput::map_windows`], but each slice reaches `reach.0` ms before the window's
    /// start and `reach.1` ms after its end: it holds the samples with
    /// `start - reach.0 < t <= end + reach.1`, while `f` still gets the window's own bounds.
    pub(crate) fn map_spans(
        &self,
        (before, after): (i64, i64),
        mut f: impl FnMut(usize, &[Sample], i64, i64) -> Option<f64>,
    ) -> Vec<StepSeries> {
        let mut out = Vec::with_capacity(self.series.len());
        for (labels, drop_name, samples) in &self.series {
            let mut points = vec![None; self.ends.len()];
            let (mut lo, mut hi) = (0usize, 0usize);
            for (step, (point, &end)) in points.iter_mut().zip(&self.ends).enumerate() {
                let start = end.saturating_sub(self.range);
                let (first, last) = (start.saturating_sub(before), end.saturating_add(after));
                // Ends never decrease, so both bounds only move forward.
                while hi < samples.len() && samples[hi].t <= last {
                    hi += 1;
                }
                lo = lo.min(hi);
                while lo < hi && samples[lo].t <= first {
                    lo += 1;
                }
                let span = &samples[lo..hi];
                if !span.is_empty() {
                    *point = f(step, span, start, end);
                }
            }
            out.push(StepSeries {
                labels: labels.clone(),
                points,
                drop_name: *drop_name,
            });
        }
        out
    }
}

/// Warnings and infos raised during evaluation, each once, in order.
#[derive(Debug, Default)]
pub(crate) struct Annotations {
    pub(crate) warnings: Vec<String>,
    pub(crate) infos: Vec<String>,
}

impl Annotations {
    pub(crate) fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    pub(crate) fn info(&mut self, message: String) {
        if !self.infos.contains(&message) {
            self.infos.push(message);
        }
    }
}

/// Evaluates the expressions of one query.
pub(crate) struct Evaluator<'a> {
    querier: &'a dyn SeriesQuerier,
    options: &'a EngineOptions,
    /// The query's own start and end, for `@ start()` / `@ end()`, and its step (0 for an
    /// instant query), for `step()` and `range()`.
    pub(crate) query_start: i64,
    pub(crate) query_end: i64,
    pub(crate) query_step: i64,
    /// The query text, to point annotations at the expression they are about.
    query_text: &'a str,
    deadline: Instant,
    cancel: &'a super::engine::CancelToken,
    /// Samples loaded and points produced so far, checked against `max_samples`.
    samples_held: usize,
    /// Each distinct selector's series, loaded once.
    loaded: HashMap<String, Rc<[LoadedSeries]>>,
    pub(crate) annotations: Annotations,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        querier: &'a dyn SeriesQuerier,
        options: &'a EngineOptions,
        query_text: &'a str,
        grid: Grid,
        instant: bool,
        cancel: &'a super::engine::CancelToken,
    ) -> Self {
        Evaluator {
            querier,
            options,
            query_start: grid.start,
            query_end: grid.end(),
            query_step: if instant { 0 } else { grid.step },
            query_text,
            deadline: Instant::now() + options.timeout,
            cancel,
            samples_held: 0,
            loaded: HashMap::new(),
            annotations: Annotations::default(),
        }
    }

    /// ` (line:column)` of `expr` in the query text, as Prometheus ends annotations; empty when
    /// the expression's canonical form does not appear in the text as written.
    pub(crate) fn position_of(&self, expr: &Expr) -> String {
        let printed = expr.to_string();
        let needle = without_marks(&printed);
        let Some(at) = self.query_text.find(needle.as_ref()) else {
            return String::new();
        };
        let before = &self.query_text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!(" ({line}:{column})")
    }

    /// Fails once the query has run past its timeout.
    pub(crate) fn check_deadline(&self) -> Result<(), QueryError> {
        if self.cancel.is_canceled() {
            return Err(QueryError::Canceled("expression evaluation"));
        }
        if Instant::now() > self.deadline {
            return Err(QueryError::Timeout("expression evaluation"));
        }
        Ok(())
    }

    /// Accounts for `n` more samples held; fails past the limit.
    pub(crate) fn hold(&mut self, n: usize) -> Result<(), QueryError> {
        self.samples_held = self.samples_held.saturating_add(n);
        if self.samples_held > self.options.max_samples {
            return Err(QueryError::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// Evaluates `expr` at every step of `grid`.
    pub(crate) fn eval(&mut self, expr: &Expr, grid: Grid) -> Result<Value, QueryError> {
        self.check_deadline()?;
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(vec![n.val; grid.len])),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, grid),
            Expr::Unary(u) => match self.eval(&u.expr, grid)? {
                Value::Scalar(values) => {
                    Ok(Value::Scalar(values.into_iter().map(|v| -v).collect()))
                }
                Value::Vector(mut series) => {
                    for s in &mut series {
                        s.points.iter_mut().flatten().for_each(|v| *v = -*v);
                        s.drop_name = true;
                    }
                    Ok(Value::Vector(series))
                }
                other => Err(type_error("unary expression", &other)),
            },
            Expr::VectorSelector(vs) => {
                Ok(Value::Vector(self.eval_vector_selector(vs, grid, false)?))
            }
            Expr::MatrixSelector(ms) => self.eval_matrix_value(expr, ms.range, grid),
            Expr::Subquery(sq) => self.eval_matrix_value(expr, sq.range, grid),
            Expr::Binary(b) => self.eval_binary(b, grid),
            Expr::Aggregate(a) => self.eval_aggregate(a, grid),
            Expr::Call(c) => self.eval_call(c, grid),
            Expr::Extension(_) => Err(QueryError::Execution(
                "extension expressions are not supported".into(),
            )),
        }
    }

    /// A range vector as a query's value: only an instant query (one step) may return one. With
    /// an `anchored` / `smoothed` modifier it has a point on each edge of the window.
    fn eval_matrix_value(
        &mut self,
        expr: &Expr,
        _range: std::time::Duration,
        grid: Grid,
    ) -> Result<Value, QueryError> {
        if grid.len != 1 {
            return Err(QueryError::Execution(
                "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector".into(),
            ));
        }
        let input = self.range_input(expr, grid)?;
        let end = input.ends.first().copied().unwrap_or(grid.start);
        let start = end.saturating_sub(input.range);
        let (before, after) = input.reach(self.options.lookback_delta_ms);
        let series = input
            .series
            .iter()
            .filter_map(|(labels, _, samples)| {
                let span: Vec<Sample> = samples
                    .iter()
                    .filter(|s| {
                        s.t > start.saturating_sub(before) && s.t <= end.saturating_add(after)
                    })
                    .copied()
                    .collect();
                let window = match input.modifier {
                    None => span,
                    Some(m) => range::extend_window(ExtendedWindow::new(&span, start, end), m),
                };
                (!window.is_empty()).then(|| (labels.clone(), window))
            })
            .collect();
        Ok(Value::Matrix(series))
    }

    /// Evaluates `expr` and insists on an instant vector.
    pub(crate) fn eval_vector(
        &mut self,
        expr: &Expr,
        grid: Grid,
    ) -> Result<Vec<StepSeries>, QueryError> {
        match self.eval(expr, grid)? {
            Value::Vector(v) => Ok(v),
            other => Err(type_error("instant vector", &other)),
        }
    }

    /// Evaluates `expr` and insists on a scalar.
    pub(crate) fn eval_scalar(&mut self, expr: &Expr, grid: Grid) -> Result<Vec<f64>, QueryError> {
        match self.eval(expr, grid)? {
            Value::Scalar(v) => Ok(v),
            other => Err(type_error("scalar", &other)),
        }
    }

    /// The series of a selector, loaded once per query.
    pub(crate) fn load(&mut self, vs: &VectorSelector) -> Result<Rc<[LoadedSeries]>, QueryError> {
        let matchers = selector_matchers(vs)?;
        let key = matchers
            .iter()
            .map(|m| format!("{m}"))
            .collect::<Vec<_>>()
            .join(",");
        if let Some(hit) = self.loaded.get(&key) {
            return Ok(Rc::clone(hit));
        }
        let mut out = Vec::new();
        for series in self.querier.select(&matchers)? {
            let series = series?;
            let mut it = series.samples();
            let mut samples = Vec::new();
            while let Some(s) = it.next() {
                samples.push(s);
            }
            if let Some(e) = it.error() {
                return Err(QueryError::Storage(model::StorageError::msg(e.to_string())));
            }
            self.hold(samples.len())?;
            self.check_deadline()?;
            out.push(LoadedSeries {
                labels: series.labels().clone(),
                samples,
            });
        }
        let out: Rc<[LoadedSeries]> = out.into();
        self.loaded.insert(key, Rc::clone(&out));
        Ok(out)
    }

    /// Per step, the time a selector or subquery with these modifiers looks at.
    fn eval_times(&self, at: Option<i64>, offset: i64, grid: Grid) -> Vec<i64> {
        (0..grid.len)
            .map(|i| at.unwrap_or_else(|| grid.time(i)).saturating_sub(offset))
            .collect()
    }

    /// An instant vector selector: per step the newest sample within the lookback window
    /// (`t - lookback < ts <= t`), unless it is a staleness marker. With `timestamps`, the
    /// value is the sample's timestamp in seconds instead (for `timestamp()`).
    pub(crate) fn eval_vector_selector(
        &mut self,
        vs: &VectorSelector,
        grid: Grid,
        timestamps: bool,
    ) -> Result<Vec<StepSeries>, QueryError> {
        let loaded = self.load(vs)?;
        let at = at_millis(vs.at.as_ref(), self.query_start, self.query_end);
        let times = self.eval_times(at, offset_millis(vs.offset.as_ref()), grid);
        if !timestamps && modifier_of(vs) == Some(SelectorModifier::Smoothed) {
            return self.smoothed_vector_selector(&loaded, times, grid);
        }
        let lookback = self.options.lookback_delta_ms;
        let mut out = Vec::with_capacity(loaded.len());
        for series in loaded.iter() {
            let mut points = vec![None; grid.len];
            let mut next = 0usize;
            for (point, &t) in points.iter_mut().zip(&times) {
                while next < series.samples.len() && series.samples[next].t <= t {
                    next += 1;
                }
                let Some(s) = next.checked_sub(1).and_then(|i| series.samples.get(i)) else {
                    continue;
                };
                if s.t > t.saturating_sub(lookback) && !is_stale_nan(s.v) {
                    *point = Some(if timestamps { s.t as f64 / 1000.0 } else { s.v });
                }
            }
            let s = StepSeries {
                labels: series.labels.clone(),
                points,
                drop_name: false,
            };
            if !s.is_empty() {
                self.hold(grid.len)?;
                out.push(s);
            }
        }
        Ok(out)
    }

    /// `v smoothed`: per step the value interpolated at the step's time between the samples
    /// around it within the lookback delta on either side (staleness markers ignored, as
    /// upstream's `smoothSeries` does), or the last one's when none follows.
    fn smoothed_vector_selector(
        &mut self,
        loaded: &[LoadedSeries],
        times: Vec<i64>,
        grid: Grid,
    ) -> Result<Vec<StepSeries>, QueryError> {
        let input = RangeInput {
            series: loaded
                .iter()
                .map(|s| (s.labels.clone(), false, without_stale(&s.samples)))
                .collect(),
            range: 0,
            ends: times,
            modifier: Some(SelectorModifier::Smoothed),
        };
        let lookback = self.options.lookback_delta_ms;
        let mut out = input.map_spans((lookback, lookback), |_, near, _, t| {
            range::smoothed_value(near, t)
        });
        out.retain(|s| !s.is_empty());
        self.hold(out.len().saturating_mul(grid.len))?;
        Ok(out)
    }

    /// The windows of a matrix selector or subquery, for a function over a range vector.
    pub(crate) fn range_input(
        &mut self,
        expr: &Expr,
        grid: Grid,
    ) -> Result<RangeInput, QueryError> {
        match expr {
            Expr::Paren(p) => self.range_input(&p.expr, grid),
            Expr::MatrixSelector(ms) => self.matrix_selector_input(ms, grid),
            Expr::Subquery(sq) => self.subquery_input(sq, grid),
            _ => Err(QueryError::Execution(format!(
                "expected type range vector, got {}",
                expr_type_name(expr)
            ))),
        }
    }

    fn matrix_selector_input(
        &mut self,
        ms: &MatrixSelector,
        grid: Grid,
    ) -> Result<RangeInput, QueryError> {
        let loaded = self.load(&ms.vs)?;
        let at = at_millis(ms.vs.at.as_ref(), self.query_start, self.query_end);
        let ends = self.eval_times(at, offset_millis(ms.vs.offset.as_ref()), grid);
        let series = loaded
            .iter()
            .map(|s| (s.labels.clone(), false, without_stale(&s.samples)))
            .collect();
        Ok(RangeInput {
            series,
            range: millis(ms.range),
            ends,
            modifier: modifier_of(&ms.vs),
        })
    }

    fn subquery_input(&mut self, sq: &SubqueryExpr, grid: Grid) -> Result<RangeInput, QueryError> {
        let at = at_millis(sq.at.as_ref(), self.query_start, self.query_end);
        let ends = self.eval_times(at, offset_millis(sq.offset.as_ref()), grid);
        let range = millis(sq.range);
        let step = sq
            .step
            .map(millis)
            .filter(|s| *s > 0)
            .unwrap_or(self.options.default_subquery_step_ms)
            .max(1);
        let first = ends.iter().copied().min().unwrap_or(grid.start);
        let last = ends.iter().copied().max().unwrap_or(grid.start);
        // Inner steps are aligned to multiples of the step; the first one is the earliest any
        // window can hold (windows are open at their start).
        let lowest = first.saturating_sub(range);
        let inner_start = lowest.div_euclid(step) * step
            + if lowest.rem_euclid(step) == 0 {
                0
            } else {
                step
            };
        let inner = Grid::new(inner_start, last, step);
        let values = match self.eval(&sq.expr, inner)? {
            Value::Vector(v) => v,
            Value::Scalar(v) => vec![StepSeries {
                labels: Labels::empty(),
                points: v.into_iter().map(Some).collect(),
                drop_name: false,
            }],
            other => return Err(type_error("subquery", &other)),
        };
        let series = values
            .into_iter()
            .map(|s| {
                let samples: Rc<[Sample]> = s
                    .points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.map(|v| Sample::new(inner.time(i), v)))
                    .collect();
                (s.labels, s.drop_name, samples)
            })
            .collect();
        Ok(RangeInput {
            series,
            range,
            ends,
            modifier: None,
        })
    }
}

/// `samples` without staleness markers.
fn without_stale(samples: &[Sample]) -> Rc<[Sample]> {
    if samples.iter().any(|x| is_stale_nan(x.v)) {
        samples
            .iter()
            .filter(|x| !is_stale_nan(x.v))
            .copied()
            .collect()
    } else {
        samples.into()
    }
}

/// Merges series whose labels (after removing names marked for removal) are equal: their
/// points join as long as no two have a value at the same step, which is Prometheus's
/// "same labelset" error.
pub(crate) fn merge_same_labels(series: Vec<StepSeries>) -> Result<Vec<StepSeries>, QueryError> {
    let mut out: Vec<StepSeries> = Vec::with_capacity(series.len());
    let mut index: HashMap<(Labels, bool), usize> = HashMap::with_capacity(series.len());
    for s in series {
        let key = if s.drop_name {
            (s.labels.without(NAME_LABELS), true)
        } else {
            (s.labels.clone(), false)
        };
        match index.get(&key) {
            Some(&i) => {
                for (into, p) in out[i].points.iter_mut().zip(s.points) {
                    match (&into, p) {
                        (Some(_), Some(_)) => {
                            return Err(QueryError::Execution(
                                "vector cannot contain metrics with the same labelset".into(),
                            ));
                        }
                        (None, Some(v)) => *into = Some(v),
                        _ => {}
                    }
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// The error for an operand of the wrong type.
pub(crate) fn type_error(context: &str, got: &Value) -> QueryError {
    QueryError::Execution(format!(
        "unexpected value type for {context}: got {}",
        got.type_name()
    ))
}

/// The type of an expression as Prometheus names it in errors.
pub(crate) fn expr_type_name(expr: &Expr) -> &'static str {
    use promql_parser::parser::value::ValueType;
    match expr.value_type() {
        ValueType::Vector => "instant vector",
        ValueType::Scalar => "scalar",
        ValueType::Matrix => "range vector",
        ValueType::String => "string",
    }
}
