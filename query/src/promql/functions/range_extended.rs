//! Range kernels for Prometheus 3's extended range selectors (`anchored`, `smoothed`): their
//! windows also hold the samples around the range (the anchor before it, the neighbours a value
//! is interpolated from), so they get an [`ExtendedWindow`] instead of a [`super::Window`].
//!
//! The float paths follow upstream's `extendedRate`, `pickFirstSampleIndex`, `extendFloats` and
//! `smoothSeries` (`promql/functions.go`, `promql/engine.go`, Prometheus 3.14 as of the
//! conformance scripts' commit `d15adb9a`). Two details the scripts pin down: interpolating a
//! counter across a reset starts the line from zero on both edges, and a series that only has
//! samples after the window gives no smoothed result.

use model::Sample;

use super::{count_pairs, go_duration_seconds, value_changed, value_decreased};

/// A modifier of Prometheus 3's extended range selectors (feature
/// `promql-extended-range-selectors`): `rate(x[5m] anchored)`, `increase(x[5m] smoothed)`,
/// `x smoothed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectorModifier {
    /// `anchored`: a range starts at the last sample at or before its start (within the lookback
    /// delta) and ends at its last sample; nothing is extrapolated.
    Anchored,
    /// `smoothed`: the values at a range's edges, and an instant selector's value, are
    /// interpolated linearly between the samples around them.
    Smoothed,
}

impl SelectorModifier {
    /// The keyword as written in a query.
    pub fn keyword(self) -> &'static str {
        match self {
            SelectorModifier::Anchored => "anchored",
            SelectorModifier::Smoothed => "smoothed",
        }
    }
}

/// The samples of one series that an `anchored` or `smoothed` range selector hands a function:
/// those of the window `(range_start, range_end]` and those around it that the modifier needs.
///
/// Contract (the evaluator enforces it): `samples` are sorted by strictly increasing `t`, none is
/// a staleness marker, and all lie in `(range_start - lookback, range_end]` for `anchored` or in
/// `(range_start - lookback, range_end + lookback]` for `smoothed` (the lookback delta, 5 m by
/// default). `range_start` and `range_end` are after `offset` and `@`, as in [`super::Window`].
#[derive(Debug, Clone, Copy)]
pub struct ExtendedWindow<'a> {
    /// The series' samples around and inside the window, oldest first.
    pub samples: &'a [Sample],
    /// Exclusive lower bound of the window, ms.
    pub range_start: i64,
    /// Inclusive upper bound of the window, ms.
    pub range_end: i64,
}

impl<'a> ExtendedWindow<'a> {
    /// The window `(range_start, range_end]` with `samples` around it (see the type's contract).
    pub fn new(samples: &'a [Sample], range_start: i64, range_end: i64) -> Self {
        Self {
            samples,
            range_start,
            range_end,
        }
    }

    /// The indices of the samples upstream's `extendedRate` takes as the window's edges: `first`
    /// is the last sample at or before the start (the first sample when there is none), `last`
    /// the last sample (`anchored`) or the first one at or after the end (`smoothed`; the last
    /// sample when there is none). `None` when no sample lies after the start, or none at or
    /// before the end (the series only exists before or after the window).
    fn edges(&self, smoothed: bool) -> Option<(usize, usize)> {
        let candidates = self.samples.get(..self.samples.len().checked_sub(1)?)?;
        let first = candidates
            .partition_point(|s| s.t <= self.range_start)
            .saturating_sub(1);
        let last = if smoothed {
            candidates.partition_point(|s| s.t < self.range_end)
        } else {
            candidates.len()
        };
        let (first_sample, last_sample) = (self.samples.get(first)?, self.samples.get(last)?);
        if last_sample.t <= self.range_start || first_sample.t > self.range_end {
            return None;
        }
        Some((first, last))
    }

    /// The value at the window's start: the first edge sample's, interpolated to the start when
    /// smoothing and that sample lies before it.
    fn left_value(&self, first: usize, smoothed: bool, is_counter: bool) -> Option<f64> {
        let sample = *self.samples.get(first)?;
        match self.samples.get(first + 1) {
            Some(&next) if smoothed && sample.t < self.range_start => {
                Some(interpolate(sample, next, self.range_start, is_counter))
            }
            _ => Some(sample.v),
        }
    }

    /// The value at the window's end: the last edge sample's, interpolated to the end when
    /// smoothing and that sample lies after it.
    fn right_value(&self, last: usize, smoothed: bool, is_counter: bool) -> Option<f64> {
        let sample = *self.samples.get(last)?;
        let previous = last.checked_sub(1).and_then(|i| self.samples.get(i));
        match previous {
            Some(&previous) if smoothed && sample.t > self.range_end => {
                Some(interpolate(previous, sample, self.range_end, is_counter))
            }
            _ => Some(sample.v),
        }
    }
}

/// The value at `t` on the line from `p1` to `p2` (`p1.t < p2.t`). For a counter that reset
/// between the two, the line starts from zero at `p1` (the counter restarted there), so the
/// value is `p2`'s scaled by how far `t` lies between them.
fn interpolate(p1: Sample, p2: Sample, t: i64, is_counter: bool) -> f64 {
    let y1 = if is_counter && p2.v < p1.v { 0.0 } else { p1.v };
    y1 + (p2.v - y1) * t.wrapping_sub(p1.t) as f64 / p2.t.wrapping_sub(p1.t) as f64
}

/// What counter resets add to `right - left` across an extended window: the value before every
/// decrease along `left`, the `inner` samples (those strictly inside the window) and `right`.
fn reset_correction(left: f64, right: f64, inner: &[Sample]) -> f64 {
    let mut correction = 0.0;
    let mut previous = left;
    for sample in inner {
        if sample.v < previous {
            correction += previous;
        }
        previous = sample.v;
    }
    if right < previous {
        correction += previous;
    }
    correction
}

/// Upstream's `extendedRate` for float samples: the difference between the values at the
/// window's edges (the edge samples themselves, or interpolated to the edges when smoothing),
/// plus for counters the value before every decrease; per second for `rate`.
fn extended_rate(
    w: ExtendedWindow<'_>,
    smoothed: bool,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let (first, last) = w.edges(smoothed)?;
    let left = w.left_value(first, smoothed, is_counter)?;
    let right = w.right_value(last, smoothed, is_counter)?;
    let mut result = right - left;
    if is_counter {
        // The edge samples are accounted for by `left` and `right` unless they lie inside.
        let at_or_before_start = w.samples.get(first).is_some_and(|s| s.t <= w.range_start);
        let at_or_after_end = w.samples.get(last).is_some_and(|s| s.t >= w.range_end);
        let from = first + usize::from(at_or_before_start);
        let to = (last + 1 - usize::from(at_or_after_end)).max(from);
        result += reset_correction(left, right, w.samples.get(from..to).unwrap_or_default());
    }
    if is_rate {
        result /= go_duration_seconds(w.range_end.wrapping_sub(w.range_start));
    }
    Some(result)
}

/// `rate(v[range] anchored)`: the increase from the last sample at or before the window's start
/// to its last sample, counter resets compensated, per second of the range. `None` without a
/// sample inside the window.
pub fn anchored_rate(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, false, true, true)
}

/// `increase(v[range] anchored)`: as [`anchored_rate`], not divided by the range.
pub fn anchored_increase(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, false, true, false)
}

/// `delta(v[range] anchored)`: the last sample's value minus the anchor's (the last sample at or
/// before the window's start), without counter-reset handling.
pub fn anchored_delta(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, false, false, false)
}

/// `rate(v[range] smoothed)`: the increase between the values interpolated at the window's
/// edges, counter resets compensated, per second of the range. `None` when the series has no
/// sample after the window's start or none at or before its end.
pub fn smoothed_rate(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, true, true, true)
}

/// `increase(v[range] smoothed)`: as [`smoothed_rate`], not divided by the range.
pub fn smoothed_increase(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, true, true, false)
}

/// `delta(v[range] smoothed)`: the difference between the values interpolated at the window's
/// edges, without counter-reset handling.
pub fn smoothed_delta(w: ExtendedWindow<'_>) -> Option<f64> {
    extended_rate(w, true, false, false)
}

/// `changes(v[range] anchored)`: as [`super::changes`], counted from the last sample at or before
/// the window's start. `None` without a sample inside the window.
pub fn anchored_changes(w: ExtendedWindow<'_>) -> Option<f64> {
    let (first, _) = w.edges(false)?;
    count_pairs(w.samples.get(first..)?, value_changed)
}

/// `resets(v[range] anchored)`: as [`super::resets`], counted from the last sample at or before
/// the window's start. `None` without a sample inside the window.
pub fn anchored_resets(w: ExtendedWindow<'_>) -> Option<f64> {
    let (first, _) = w.edges(false)?;
    count_pairs(w.samples.get(first..)?, value_decreased)
}

/// A range vector selected with `modifier`, as an instant query returns it (upstream's
/// `extendFloats`): a point at the window's start (the anchor's value, or the value interpolated
/// there), the samples strictly inside, and a point at its end (the last sample's value, or the
/// value interpolated there). Values are not treated as counters. Empty when the series has no
/// sample inside the window (or, smoothing, none around it).
pub fn extend_window(w: ExtendedWindow<'_>, modifier: SelectorModifier) -> Vec<Sample> {
    let smoothed = modifier == SelectorModifier::Smoothed;
    let Some((first, last)) = w.edges(smoothed) else {
        return Vec::new();
    };
    let (Some(left), Some(right)) = (
        w.left_value(first, smoothed, false),
        w.right_value(last, smoothed, false),
    ) else {
        return Vec::new();
    };
    let inside = w
        .samples
        .iter()
        .filter(|s| s.t > w.range_start && s.t < w.range_end);
    std::iter::once(Sample::new(w.range_start, left))
        .chain(inside.copied())
        .chain(std::iter::once(Sample::new(w.range_end, right)))
        .collect()
}

/// `v smoothed` at time `t`: the sample at `t`, else the value interpolated between the samples
/// just before and just after `t`, else (nothing after) the last sample's value. `None` without
/// a sample at or before `t`. `samples` are the series' samples in `(t - lookback, t + lookback]`,
/// sorted, without staleness markers; values are not treated as counters.
pub fn smoothed_value(samples: &[Sample], t: i64) -> Option<f64> {
    let next_index = samples.partition_point(|s| s.t < t);
    let previous = next_index.checked_sub(1).and_then(|i| samples.get(i));
    match (previous, samples.get(next_index)) {
        (_, Some(next)) if next.t == t => Some(next.v),
        (Some(&previous), Some(&next)) => Some(interpolate(previous, next, t, false)),
        (Some(previous), None) => Some(previous.v),
        (None, _) => None,
    }
}

#[cfg(test)]
#[path = "range_extended_tests.rs"]
mod tests;
