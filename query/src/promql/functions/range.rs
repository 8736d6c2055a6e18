//! Range-window kernels: the PromQL functions that reduce one series' samples inside one range
//! window (`rate(x[5m])`, `avg_over_time(x[1h])`, ...) to at most one value.
//!
//! Each function follows the float path of Prometheus 3.x's `promql/functions.go` (upstream as of
//! the conformance scripts' commit `d15adb9a`, Prometheus 3.14): the same extrapolation rules, the
//! same Kahan-Neumaier compensated sums and the same order of floating-point operations, so that
//! results agree with Prometheus to the last bit wherever Go and Rust round alike.
//!
//! The `anchored` / `smoothed` selector modifiers (Prometheus 3's extended range selectors) have
//! their own kernels (in `range_extended.rs`) over an [`ExtendedWindow`], which also holds the
//! samples just outside the window that the modifiers look at.
//!
//! What stays with the evaluator: selecting the window (left-open, after `offset` and `@`) and
//! the samples around it, dropping staleness markers, annotations ("metric might not be a
//! counter", "invalid quantile"), native histograms, `absent_over_time`, and start timestamps.

use model::Sample;

#[path = "range_extended.rs"]
mod extended;

pub use extended::{
    ExtendedWindow, SelectorModifier, anchored_changes, anchored_delta, anchored_increase,
    anchored_rate, anchored_resets, extend_window, smoothed_delta, smoothed_increase,
    smoothed_rate, smoothed_value,
};

/// The samples of one series inside one range window.
///
/// The window is `(range_start, range_end]`: `range_start` is exclusive (a sample exactly at
/// `t - range` is out, as in Prometheus 3) and `range_end` inclusive; both are milliseconds after
/// `offset` and `@` have been applied, so `range_end - range_start` is the selector's range.
///
/// Contract (the evaluator enforces it): `samples` are sorted by strictly increasing `t`, all lie
/// inside the window, and none is a staleness marker.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The series' samples inside the window, oldest first.
    pub samples: &'a [Sample],
    /// Exclusive lower bound of the window, ms.
    pub range_start: i64,
    /// Inclusive upper bound of the window, ms.
    pub range_end: i64,
}

impl<'a> Window<'a> {
    /// A window `(range_start, range_end]` holding `samples` (see the type's contract).
    pub fn new(samples: &'a [Sample], range_start: i64, range_end: i64) -> Self {
        Self {
            samples,
            range_start,
            range_end,
        }
    }

    /// The selector's range in seconds, computed as Go's `time.Duration.Seconds()` does (whole
    /// seconds plus the fraction, which can differ from `ms / 1000.0` in the last bit).
    fn range_seconds(&self) -> f64 {
        go_duration_seconds(self.range_end.wrapping_sub(self.range_start))
    }
}

/// Go's `time.Duration(ms * 1e6).Seconds()`: whole seconds and the remaining nanoseconds are
/// converted separately and added.
fn go_duration_seconds(ms: i64) -> f64 {
    let whole = ms / 1000;
    let nanos = (ms % 1000) * 1_000_000;
    whole as f64 + nanos as f64 / 1e9
}

/// Seconds from `from` to `to` (both ms), as upstream computes them: integer difference first.
fn seconds_between(from: i64, to: i64) -> f64 {
    to.wrapping_sub(from) as f64 / 1000.0
}

/// One step of Kahan-Neumaier summation (upstream `kahansum.Inc`): adds `inc` to `sum`, carrying
/// the rounding error in `c`. Once the sum overflows, the compensation is reset, so that an
/// infinite sum is not turned into NaN by `Inf - Inf` in the compensation.
fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// `rate(v[range])`: the per-second increase of a counter over the window, extrapolated to the
/// window's edges, counter resets compensated. `None` with fewer than two samples.
pub fn rate(w: Window<'_>) -> Option<f64> {
    extrapolated_rate(w, true, true)
}

/// `increase(v[range])`: the increase of a counter over the window, extrapolated like
/// [`rate`] but not divided by the range. `None` with fewer than two samples.
pub fn increase(w: Window<'_>) -> Option<f64> {
    extrapolated_rate(w, true, false)
}

/// `delta(v[range])`: the change of a gauge over the window, extrapolated like [`rate`] but
/// without counter-reset handling or the zero clamp. `None` with fewer than two samples.
pub fn delta(w: Window<'_>) -> Option<f64> {
    extrapolated_rate(w, false, false)
}

/// Upstream's `extrapolatedRate` for float samples.
///
/// The raw difference between the last and first sample (plus, for counters, the value before
/// every decrease) is scaled from the sampled interval to the window: an edge gap shorter than
/// 1.1 × the average sample spacing is extrapolated all the way to the edge, a longer one by half
/// a spacing only (the series probably starts or ends inside the window). For counters the left
/// extrapolation also stops where the counter would reach zero.
fn extrapolated_rate(w: Window<'_>, is_counter: bool, is_rate: bool) -> Option<f64> {
    let samples = w.samples;
    let (first, last) = match samples {
        [first, .., last] => (*first, *last),
        _ => return None,
    };
    let mut result = last.v - first.v;
    if is_counter {
        for pair in samples.windows(2) {
            if let [prev, curr] = pair
                && curr.v < prev.v
            {
                result += prev.v;
            }
        }
    }

    let mut to_start = seconds_between(w.range_start, first.t);
    let mut to_end = seconds_between(last.t, w.range_end);
    let sampled_interval = seconds_between(first.t, last.t);
    let average_spacing = sampled_interval / (samples.len() - 1) as f64;
    let threshold = average_spacing * 1.1;

    if to_start >= threshold {
        to_start = average_spacing / 2.0;
    }
    if is_counter {
        // A counter cannot go below zero: if extrapolating left would cross zero, stop there.
        let mut to_zero = to_start;
        if result > 0.0 && first.v >= 0.0 {
            to_zero = sampled_interval * (first.v / result);
        }
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = average_spacing / 2.0;
    }

    // Distinct sorted timestamps make the sampled interval positive; the guard mirrors upstream.
    let mut factor = 1.0;
    if sampled_interval != 0.0 {
        factor = (sampled_interval + to_start + to_end) / sampled_interval;
    }
    if is_rate {
        factor /= w.range_seconds();
    }
    Some(result * factor)
}

/// `irate(v[range])`: the per-second rate between the last two samples; after a counter reset
/// (the last value is lower) the last value itself is the increase. `None` with fewer than two
/// samples.
pub fn irate(w: Window<'_>) -> Option<f64> {
    instant_value(w, true)
}

/// `idelta(v[range])`: the difference between the last two samples. `None` with fewer than two
/// samples.
pub fn idelta(w: Window<'_>) -> Option<f64> {
    instant_value(w, false)
}

/// Upstream's `instantValue` for float samples. A NaN in either sample yields NaN (the reset test
/// `last < previous` is false for NaN, so the plain difference is taken).
fn instant_value(w: Window<'_>, is_rate: bool) -> Option<f64> {
    let [.., previous, last] = w.samples else {
        return None;
    };
    let interval_ms = last.t.wrapping_sub(previous.t);
    if interval_ms == 0 {
        return None;
    }
    let counter_reset = is_rate && last.v < previous.v;
    let mut result = if counter_reset {
        last.v
    } else {
        last.v - previous.v
    };
    if is_rate {
        result /= interval_ms as f64 / 1000.0;
    }
    Some(result)
}

/// A least-squares line through samples: its slope (per second) and its value at the
/// intercept time passed to [`linear_regression`].
struct Line {
    slope: f64,
    intercept: f64,
}

/// Upstream's `linearRegression`: least squares with x in seconds relative to `intercept_time`
/// (ms), every sum Kahan-compensated. A constant series has slope 0 exactly (NaN for a constant
/// ±Inf). `samples` must not be empty.
fn linear_regression(samples: &[Sample], intercept_time: i64) -> Line {
    let init_y = samples.first().map_or(f64::NAN, |s| s.v);
    let mut const_y = true;
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    for (i, sample) in samples.iter().enumerate() {
        if const_y && i > 0 && sample.v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = sample.t.wrapping_sub(intercept_time) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(sample.v, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * sample.v, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return Line {
                slope: f64::NAN,
                intercept: f64::NAN,
            };
        }
        return Line {
            slope: 0.0,
            intercept: init_y,
        };
    }
    sum_x += c_x;
    sum_y += c_y;
    sum_xy += c_xy;
    sum_x2 += c_x2;

    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    Line { slope, intercept }
}

/// `deriv(v[range])`: the per-second slope of the least-squares line through the window.
/// `None` with fewer than two samples.
pub fn deriv(w: Window<'_>) -> Option<f64> {
    let [first, _, ..] = w.samples else {
        return None;
    };
    // Regressing around the first sample's time keeps x small (upstream issue #2674).
    Some(linear_regression(w.samples, first.t).slope)
}

/// `predict_linear(v[range], seconds_ahead)`: the least-squares line through the window,
/// evaluated `seconds_ahead` seconds after `eval_time`.
///
/// `eval_time` (ms) is the evaluation step's own timestamp, *not* moved by the selector's
/// `offset` or `@` (upstream uses `enh.Ts`: at 10m, `predict_linear(x[55m] @ 3000, 3600)` predicts
/// for 600 s + 3600 s). `None` with fewer than two samples.
pub fn predict_linear(w: Window<'_>, seconds_ahead: f64, eval_time: i64) -> Option<f64> {
    if w.samples.len() < 2 {
        return None;
    }
    let line = linear_regression(w.samples, eval_time);
    Some(line.slope * seconds_ahead + line.intercept)
}

/// `changes(v[range])`: how often the value changed between consecutive samples (NaN followed
/// by NaN is no change). `None` for an empty window.
pub fn changes(w: Window<'_>) -> Option<f64> {
    count_pairs(w.samples, value_changed)
}

/// `resets(v[range])`: how often the value decreased between consecutive samples. `None` for an
/// empty window.
pub fn resets(w: Window<'_>) -> Option<f64> {
    count_pairs(w.samples, value_decreased)
}

/// `changes`' test: the value differs from the previous one (NaN after NaN is no change).
fn value_changed(prev: f64, curr: f64) -> bool {
    curr != prev && !(curr.is_nan() && prev.is_nan())
}

/// `resets`' test: the value is lower than the previous one.
fn value_decreased(prev: f64, curr: f64) -> bool {
    curr < prev
}

/// How many consecutive pairs `(prev, curr)` satisfy `counts`; `None` without samples, 0 for a
/// single sample.
fn count_pairs(samples: &[Sample], counts: impl Fn(f64, f64) -> bool) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let hits = samples
        .windows(2)
        .filter(|pair| matches!(pair, [prev, curr] if counts(prev.v, curr.v)))
        .count();
    Some(hits as f64)
}

/// `sum_over_time(v[range])`: the Kahan-Neumaier sum of the values. `None` for an empty window.
pub fn sum_over_time(w: Window<'_>) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    let (mut sum, mut c) = (0.0, 0.0);
    for sample in w.samples {
        (sum, c) = kahan_inc(sample.v, sum, c);
    }
    // An overflowed sum keeps its sign; adding the compensation could only turn it into NaN.
    if sum.is_infinite() {
        Some(sum)
    } else {
        Some(sum + c)
    }
}

/// `avg_over_time(v[range])`: the mean of the values. `None` for an empty window.
///
/// As upstream: the mean is the compensated sum divided by the count while that sum stays
/// finite; once adding a value would overflow it, the computation switches to an incremental,
/// still compensated, mean (so `avg_over_time` of two `1e308`s is `1e308`, not `+Inf`).
pub fn avg_over_time(w: Window<'_>) -> Option<f64> {
    let (first, rest) = w.samples.split_first()?;
    let (mut sum, mut c) = (first.v, 0.0);
    let mut mean = 0.0;
    let mut incremental = false;
    let mut count = 1.0;
    for (i, sample) in rest.iter().enumerate() {
        count = (i + 2) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_inc(sample.v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(sample.v / count, q * mean, q * c);
    }
    if incremental {
        Some(mean + c)
    } else {
        Some(sum / count + c / count)
    }
}

/// `count_over_time(v[range])`: the number of samples. `None` for an empty window.
pub fn count_over_time(w: Window<'_>) -> Option<f64> {
    (!w.samples.is_empty()).then_some(w.samples.len() as f64)
}

/// `present_over_time(v[range])`: 1 when the window holds any sample, else `None`.
pub fn present_over_time(w: Window<'_>) -> Option<f64> {
    (!w.samples.is_empty()).then_some(1.0)
}

/// `last_over_time(v[range])`: the newest value. `None` for an empty window.
pub fn last_over_time(w: Window<'_>) -> Option<f64> {
    w.samples.last().map(|s| s.v)
}

/// `first_over_time(v[range])`: the oldest value. `None` for an empty window.
pub fn first_over_time(w: Window<'_>) -> Option<f64> {
    w.samples.first().map(|s| s.v)
}

/// `ts_of_last_over_time(v[range])`: the newest sample's timestamp in seconds. `None` for an
/// empty window.
pub fn ts_of_last_over_time(w: Window<'_>) -> Option<f64> {
    w.samples.last().map(|s| s.t as f64 / 1000.0)
}

/// `ts_of_first_over_time(v[range])`: the oldest sample's timestamp in seconds. `None` for an
/// empty window.
pub fn ts_of_first_over_time(w: Window<'_>) -> Option<f64> {
    w.samples.first().map(|s| s.t as f64 / 1000.0)
}

/// The sample upstream's `compareOverTime` picks: starting from the first sample, every sample
/// for which `replaces(value, best)` holds, or any sample while the best so far is NaN, becomes
/// the best. NaN is therefore only the result when every value is NaN.
fn pick_over_time(w: Window<'_>, replaces: impl Fn(f64, f64) -> bool) -> Option<Sample> {
    let mut best = *w.samples.first()?;
    for sample in w.samples {
        if replaces(sample.v, best.v) || best.v.is_nan() {
            best = *sample;
        }
    }
    Some(best)
}

/// `min_over_time(v[range])`: the smallest value, ignoring NaN unless every value is NaN.
/// `None` for an empty window.
pub fn min_over_time(w: Window<'_>) -> Option<f64> {
    pick_over_time(w, |v, best| v < best).map(|s| s.v)
}

/// `max_over_time(v[range])`: the largest value, ignoring NaN unless every value is NaN.
/// `None` for an empty window.
pub fn max_over_time(w: Window<'_>) -> Option<f64> {
    pick_over_time(w, |v, best| v > best).map(|s| s.v)
}

/// `ts_of_min_over_time(v[range])`: the timestamp (seconds) of the smallest value; ties go to
/// the newest sample. `None` for an empty window.
pub fn ts_of_min_over_time(w: Window<'_>) -> Option<f64> {
    pick_over_time(w, |v, best| v <= best).map(|s| s.t as f64 / 1000.0)
}

/// `ts_of_max_over_time(v[range])`: the timestamp (seconds) of the largest value; ties go to
/// the newest sample. `None` for an empty window.
pub fn ts_of_max_over_time(w: Window<'_>) -> Option<f64> {
    pick_over_time(w, |v, best| v >= best).map(|s| s.t as f64 / 1000.0)
}

/// Upstream's `varianceOverTime`: Welford's online variance with both the running mean and the
/// sum of squared deviations Kahan-compensated. `None` for an empty window.
fn variance_over_time(w: Window<'_>) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for sample in w.samples {
        count += 1.0;
        let delta = sample.v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (sample.v - (mean + c_mean)), aux, c_aux);
    }
    Some((aux + c_aux) / count)
}

/// `stdvar_over_time(v[range])`: the population variance of the values. `None` for an empty
/// window.
pub fn stdvar_over_time(w: Window<'_>) -> Option<f64> {
    variance_over_time(w)
}

/// `stddev_over_time(v[range])`: the population standard deviation of the values. `None` for an
/// empty window.
pub fn stddev_over_time(w: Window<'_>) -> Option<f64> {
    variance_over_time(w).map(f64::sqrt)
}

/// `quantile_over_time(phi, v[range])`: the `phi`-quantile of the values, see [`quantile`].
/// `None` for an empty window. (The evaluator adds upstream's "invalid quantile" warning when
/// `phi` is NaN or outside `[0, 1]`.)
pub fn quantile_over_time(w: Window<'_>, phi: f64) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    let mut values: Vec<f64> = w.samples.iter().map(|s| s.v).collect();
    Some(quantile(phi, &mut values))
}

/// `mad_over_time(v[range])`: the median absolute deviation, `median(|v - median(v)|)`. Any NaN
/// value makes the result NaN (upstream propagates it rather than dropping it). `None` for an
/// empty window.
pub fn mad_over_time(w: Window<'_>) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    if w.samples.iter().any(|s| s.v.is_nan()) {
        return Some(f64::NAN);
    }
    let mut values: Vec<f64> = w.samples.iter().map(|s| s.v).collect();
    let median = quantile(0.5, &mut values);
    for v in &mut values {
        *v = (*v - median).abs();
    }
    Some(quantile(0.5, &mut values))
}

/// The `phi`-quantile of `values` by linear interpolation between the two closest ranks
/// (Prometheus's `quantile` in `promql/quantile.go`); `values` is sorted in place, NaN first.
///
/// Empty `values` or a NaN `phi` give NaN; `phi < 0` gives `-Inf` and `phi > 1` gives `+Inf`.
/// Shared with the `quantile` aggregator (`super::aggregate`), which calls this function rather
/// than keeping its own copy.
pub fn quantile(phi: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || phi.is_nan() {
        return f64::NAN;
    }
    if phi < 0.0 {
        return f64::NEG_INFINITY;
    }
    if phi > 1.0 {
        return f64::INFINITY;
    }
    // Upstream's ordering: NaN is less than every number.
    values.sort_unstable_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len() as f64;
    let rank = phi * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    // Both ranks lie in 0..=n-1 because 0 <= phi <= 1, so the conversions index inside `values`.
    let at = |rank: f64| values.get(rank as usize).copied().unwrap_or(f64::NAN);
    at(lower) * (1.0 - weight) + at(upper) * weight
}

/// A `double_exponential_smoothing` argument outside `(0, 1)`. The messages are upstream's, which
/// reports them as the query's error.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum SmoothingParameterError {
    /// The smoothing factor `sf` is not in `(0, 1)`.
    #[error("invalid smoothing factor. Expected: 0 < sf < 1, got: {}", go_fixed(*.0))]
    SmoothingFactor(f64),
    /// The trend factor `tf` is not in `(0, 1)`.
    #[error("invalid trend factor. Expected: 0 < tf < 1, got: {}", go_fixed(*.0))]
    TrendFactor(f64),
}

/// Go's `%f` formatting: six decimals, `+Inf` / `-Inf` / `NaN` for the special values.
fn go_fixed(v: f64) -> String {
    match crate::float_text::non_finite_name(v) {
        Some(name) => name.to_owned(),
        None => format!("{v:.6}"),
    }
}

/// `double_exponential_smoothing(v[range], sf, tf)` (Holt's linear smoothing): the smoothed value
/// at the last sample, with smoothing factor `sf` and trend factor `tf`.
///
/// Both factors must lie strictly between 0 and 1, checked before the samples as upstream does
/// (a NaN factor passes the check, like upstream, and yields NaN). `Ok(None)` with fewer than two
/// samples.
pub fn double_exponential_smoothing(
    w: Window<'_>,
    sf: f64,
    tf: f64,
) -> Result<Option<f64>, SmoothingParameterError> {
    if sf <= 0.0 || sf >= 1.0 {
        return Err(SmoothingParameterError::SmoothingFactor(sf));
    }
    if tf <= 0.0 || tf >= 1.0 {
        return Err(SmoothingParameterError::TrendFactor(tf));
    }
    let [first, second, rest @ ..] = w.samples else {
        return Ok(None);
    };
    // s1 is the smoothed value so far, s0 the one before it, trend the current trend estimate.
    let mut s0 = 0.0;
    let mut s1 = first.v;
    let mut trend = second.v - first.v;
    for (i, sample) in std::iter::once(second).chain(rest).enumerate() {
        let scaled = sf * sample.v;
        // The first step keeps the initial trend; later ones blend it with the last change.
        if i > 0 {
            trend = tf * (s1 - s0) + (1.0 - tf) * trend;
        }
        let carried = (1.0 - sf) * (s1 + trend);
        (s0, s1) = (s1, scaled + carried);
    }
    Ok(Some(s1))
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
