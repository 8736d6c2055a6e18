//! Range aggregations: one select over the selector's whole time range, samples extracted per
//! stream by the pipeline's [`SampleExtractor`], grouped into series by the labels it gives,
//! then a window slid per series over the steps.
//!
//! The window of step `t` is `(t - offset - range, t - offset]` (Loki's `range_vector.go`:
//! samples at the window's start are out, samples at its end in). The select reads
//! `(first step - offset - range, last step - offset]`, the union of the windows.

use std::collections::HashMap;

use model::{Direction, Labels, LogSelect, MatchType, Matcher};

use super::error::QueryError;
use super::range_fns::{Point, RangeKernel};
use super::{CHECK_EVERY, Evaluator, Grid, Sample, StepVectors};
use crate::logql::pipeline::{SampleExtractor, StreamSampleExtractor};
use crate::logql::syntax::{LogRange, RangeAggregation, RangeOp};

/// The label a failed parse or conversion sets.
pub(crate) const ERROR_LABEL: &str = "__error__";
/// Set to `true`, it keeps samples with [`ERROR_LABEL`] from failing the query.
const PRESERVE_ERROR_LABEL: &str = "__preserve_error__";

/// The samples of one series, oldest first.
type SeriesPoints = (Labels, Vec<Point>);

/// Evaluates a range aggregation at every step of the evaluator's grid.
pub(crate) fn eval(
    ev: &mut Evaluator<'_>,
    agg: &RangeAggregation,
) -> Result<StepVectors, QueryError> {
    let extractor = SampleExtractor::new(&agg.range, agg.op, agg.grouping.as_ref())?;
    let series = load(ev, &agg.range, &extractor)?;
    let windows = Windows {
        grid: ev.grid,
        range: agg.range.range_ns,
        offset: agg.range.offset_ns,
    };
    check_errors(&series, &windows)?;
    let kernel = RangeKernel::new(agg.op, agg.range.range_ns, agg.param);
    let mut steps = ev.grid.empty_steps();
    for (labels, points) in &series {
        ev.guard.check()?;
        windows.for_each(points, |step, window| {
            if let Some(out) = steps.get_mut(step) {
                out.push(Sample::new(labels.clone(), kernel.apply(window)));
            }
        });
    }
    if agg.op == RangeOp::AbsentOverTime {
        return Ok(absent(steps, &absent_labels(&agg.range.selector.matchers)?));
    }
    Ok(steps)
}

/// Reads the selector's range once and extracts its samples, grouped into series sorted by
/// labels, each series' points in time order.
fn load(
    ev: &mut Evaluator<'_>,
    range: &LogRange,
    extractor: &SampleExtractor,
) -> Result<Vec<SeriesPoints>, QueryError> {
    let select = LogSelect {
        tenant: ev.tenant.to_owned(),
        matchers: range.selector.matchers.clone(),
        // Exclusive window starts: the first sample that can count is one nanosecond later.
        start: ev
            .grid
            .start
            .saturating_sub(range.offset_ns)
            .saturating_sub(range.range_ns)
            .saturating_add(1),
        end: ev
            .grid
            .last()
            .saturating_sub(range.offset_ns)
            .saturating_add(1),
        direction: Direction::Forward,
        limit: None,
        filter: range.selector.pushdown_filters(),
    };
    let mut entries = ev.querier.select(&select)?;
    let mut streams: HashMap<Labels, StreamSampleExtractor<'_>> = HashMap::new();
    let mut series: HashMap<Labels, Vec<Point>> = HashMap::new();
    let mut passed = 0_u64;
    for (n, item) in entries.by_ref().enumerate() {
        if n.is_multiple_of(CHECK_EVERY) {
            ev.guard.check()?;
        }
        let (stream, entry) = item?;
        let stream_extractor = streams
            .entry(stream)
            .or_insert_with_key(|stream| extractor.for_stream(stream));
        if let Some((value, labels)) = stream_extractor.process(&entry) {
            passed += 1;
            let point = Point {
                t: entry.ts,
                v: value,
            };
            match series.get_mut(labels) {
                Some(points) => points.push(point),
                None => {
                    series.insert(labels.clone(), vec![point]);
                }
            }
        }
    }
    ev.totals.add(&entries.stats(), passed);
    let mut series: Vec<SeriesPoints> = series.into_iter().collect();
    series.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(series)
}

/// The windows of a range aggregation over a grid.
struct Windows {
    grid: Grid,
    range: i64,
    offset: i64,
}

impl Windows {
    /// Calls `f(step, window)` for every step whose window holds samples of `points` (sorted by
    /// time), in step order.
    fn for_each(&self, points: &[Point], mut f: impl FnMut(usize, &[Point])) {
        let (mut lo, mut hi) = (0, 0);
        for step in 0..self.grid.count {
            let end = self.grid.time(step).saturating_sub(self.offset);
            let start = end.saturating_sub(self.range);
            while hi < points.len() && points.get(hi).is_some_and(|p| p.t <= end) {
                hi += 1;
            }
            while lo < hi && points.get(lo).is_some_and(|p| p.t <= start) {
                lo += 1;
            }
            if let Some(window) = points.get(lo..hi)
                && !window.is_empty()
            {
                f(step, window);
            }
        }
    }

    /// The first step whose window holds samples of `points`.
    fn first_step(&self, points: &[Point]) -> Option<usize> {
        let mut first = None;
        self.for_each(points, |step, _| {
            first.get_or_insert(step);
        });
        first
    }
}

/// Fails as Loki does when a step's vector holds a sample whose labels carry `__error__`
/// (unless `__preserve_error__="true"`): the earliest such step, the first series in label
/// order at that step.
fn check_errors(series: &[SeriesPoints], windows: &Windows) -> Result<(), QueryError> {
    let mut worst: Option<(usize, &Labels, &str)> = None;
    for (labels, points) in series {
        let Some(error) = labels.get(ERROR_LABEL) else {
            continue;
        };
        if labels.get(PRESERVE_ERROR_LABEL) == Some("true") {
            continue;
        }
        if let Some(step) = windows.first_step(points)
            && worst.is_none_or(|(s, _, _)| step < s)
        {
            worst = Some((step, labels, error));
        }
    }
    match worst {
        Some((_, series, error)) => Err(QueryError::SeriesPipeline {
            series: series.clone(),
            error_type: error.to_owned(),
        }),
        None => Ok(()),
    }
}

/// `absent_over_time`: 1 with `labels` at the steps where no series has samples, nothing
/// elsewhere.
fn absent(steps: StepVectors, labels: &Labels) -> StepVectors {
    steps
        .into_iter()
        .map(|step| {
            if step.is_empty() {
                vec![Sample::new(labels.clone(), 1.0)]
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// The labels of `absent_over_time`'s sample (Loki's `absentLabels`): the selector's equality
/// matchers, except names that appear twice or in any other kind of matcher.
pub(crate) fn absent_labels(matchers: &[Matcher]) -> Result<Labels, QueryError> {
    let mut kept: Vec<(&str, &str)> = Vec::new();
    let mut dropped: Vec<&str> = Vec::new();
    for m in matchers {
        if m.name() == model::METRIC_NAME {
            continue;
        }
        if m.kind() == MatchType::Equal && !kept.iter().any(|(n, _)| *n == m.name()) {
            // Setting an empty value removes the label, as in Loki's label builder.
            if !m.value().is_empty() {
                kept.push((m.name(), m.value()));
            }
        } else {
            dropped.push(m.name());
        }
    }
    kept.retain(|(name, _)| !dropped.contains(name));
    Labels::from_pairs(kept).map_err(|e| QueryError::labels("absent_over_time", e))
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
