//! The kernels of LogQL's range aggregations: each reduces the samples of one series inside one
//! window to a value, with the arithmetic of Loki v3's `pkg/logql/range_vector.go` (plain sums,
//! Welford's variance without compensation, an incremental mean), so results match Loki's.

use crate::logql::syntax::RangeOp;
use crate::promql::functions::range::quantile;

/// One extracted sample: a timestamp in nanoseconds and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    /// Timestamp, nanoseconds.
    pub t: i64,
    /// Value.
    pub v: f64,
}

/// A range aggregation's kernel, configured with its range and parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RangeKernel {
    /// `count_over_time`: the number of samples.
    Count,
    /// `rate` of lines, `bytes_rate`, and `rate` of an unwrapped range: the sum of the values
    /// per second of range (a line counts 1, so the line rate is count / seconds).
    SumPerSecond {
        /// The range, seconds.
        seconds: f64,
    },
    /// `rate_counter`: the values read as a counter.
    RateCounter {
        /// The range, nanoseconds.
        range_ns: i64,
    },
    /// `sum_over_time`, `bytes_over_time`.
    Sum,
    /// `avg_over_time`.
    Avg,
    /// `min_over_time`.
    Min,
    /// `max_over_time`.
    Max,
    /// `stdvar_over_time`.
    Stdvar,
    /// `stddev_over_time`.
    Stddev,
    /// `quantile_over_time(phi, ...)`.
    Quantile {
        /// φ.
        phi: f64,
    },
    /// `first_over_time`.
    First,
    /// `last_over_time`.
    Last,
    /// `absent_over_time`: 1 for a series present in the window (the evaluator inverts it).
    One,
}

impl RangeKernel {
    /// The kernel of `op` over a range of `range_ns`; `param` is `quantile_over_time`'s φ (the
    /// parser requires it there; a missing one reads as NaN, which gives NaN).
    pub(crate) fn new(op: RangeOp, range_ns: i64, param: Option<f64>) -> Self {
        let seconds = go_seconds(range_ns);
        match op {
            RangeOp::CountOverTime => RangeKernel::Count,
            RangeOp::Rate | RangeOp::BytesRate => RangeKernel::SumPerSecond { seconds },
            RangeOp::RateCounter => RangeKernel::RateCounter { range_ns },
            RangeOp::BytesOverTime | RangeOp::SumOverTime => RangeKernel::Sum,
            RangeOp::AvgOverTime => RangeKernel::Avg,
            RangeOp::MinOverTime => RangeKernel::Min,
            RangeOp::MaxOverTime => RangeKernel::Max,
            RangeOp::StdvarOverTime => RangeKernel::Stdvar,
            RangeOp::StddevOverTime => RangeKernel::Stddev,
            RangeOp::QuantileOverTime => RangeKernel::Quantile {
                phi: param.unwrap_or(f64::NAN),
            },
            RangeOp::FirstOverTime => RangeKernel::First,
            RangeOp::LastOverTime => RangeKernel::Last,
            RangeOp::AbsentOverTime => RangeKernel::One,
        }
    }

    /// The value of a window; `window` holds at least one sample, oldest first.
    pub(crate) fn apply(&self, window: &[Point]) -> f64 {
        match *self {
            RangeKernel::Count => window.len() as f64,
            RangeKernel::SumPerSecond { seconds } => sum(window) / seconds,
            RangeKernel::RateCounter { range_ns } => rate_counter(window, range_ns),
            RangeKernel::Sum => sum(window),
            RangeKernel::Avg => avg(window),
            RangeKernel::Min => extreme(window, |v, best| v < best),
            RangeKernel::Max => extreme(window, |v, best| v > best),
            RangeKernel::Stdvar => variance(window),
            RangeKernel::Stddev => variance(window).sqrt(),
            RangeKernel::Quantile { phi } => {
                let mut values: Vec<f64> = window.iter().map(|p| p.v).collect();
                quantile(phi, &mut values)
            }
            RangeKernel::First => window.first().map_or(f64::NAN, |p| p.v),
            RangeKernel::Last => window.last().map_or(f64::NAN, |p| p.v),
            RangeKernel::One => 1.0,
        }
    }
}

/// Go's `time.Duration.Seconds()`: whole seconds and the rest converted separately.
pub(crate) fn go_seconds(ns: i64) -> f64 {
    let whole = ns / 1_000_000_000;
    let rest = ns % 1_000_000_000;
    whole as f64 + rest as f64 / 1e9
}

/// The plain (uncompensated) sum of the values, in order.
fn sum(window: &[Point]) -> f64 {
    window.iter().fold(0.0, |acc, p| acc + p.v)
}

/// Loki's incremental mean: `mean += v/n - mean/n`, keeping an infinite mean when the next value
/// is finite or an infinity of the same sign (so `Inf - Inf` cannot turn it into NaN).
fn avg(window: &[Point]) -> f64 {
    let mut mean = 0.0_f64;
    for (i, p) in window.iter().enumerate() {
        let count = (i + 1) as f64;
        if mean.is_infinite() {
            let same_infinity = p.v.is_infinite() && (mean > 0.0) == (p.v > 0.0);
            if same_infinity || p.v.is_finite() {
                continue;
            }
        }
        mean += p.v / count - mean / count;
    }
    mean
}

/// The value `replaces` picks over all others, starting from the first; a NaN best so far is
/// replaced by anything (Loki's `maxOverTime`/`minOverTime`).
fn extreme(window: &[Point], replaces: impl Fn(f64, f64) -> bool) -> f64 {
    let mut best = window.first().map_or(f64::NAN, |p| p.v);
    for p in window {
        if replaces(p.v, best) || best.is_nan() {
            best = p.v;
        }
    }
    best
}

/// Population variance by Welford's online algorithm, uncompensated.
fn variance(window: &[Point]) -> f64 {
    let (mut count, mut mean, mut aux) = (0.0_f64, 0.0_f64, 0.0_f64);
    for p in window {
        count += 1.0;
        let delta = p.v - mean;
        mean += delta / count;
        aux += delta * (p.v - mean);
    }
    aux / count
}

/// `rate_counter`: Loki's port of Prometheus's `extrapolatedRate` (counter, per second).
///
/// Loki feeds it nanosecond timestamps while the formula, written for milliseconds, subtracts
/// the range in milliseconds and divides time differences by 1000. The result is kept exactly
/// as Loki computes it: the window start is `first - range_ms` (in nanosecond units), the
/// distance to the end is always 0, and the extrapolation factor is therefore close to 1. A
/// window with fewer than two samples gives 0 (a sample, not a missing value).
fn rate_counter(window: &[Point], range_ns: i64) -> f64 {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return 0.0;
    };
    if window.len() < 2 {
        return 0.0;
    }
    let range_ms = range_ns / 1_000_000;
    let range_start = first.t.saturating_sub(range_ms);
    let mut result = last.v - first.v;
    let mut previous = 0.0;
    for p in window {
        if p.v < previous {
            result += previous;
        }
        previous = p.v;
    }
    let mut to_start = first.t.saturating_sub(range_start) as f64 / 1000.0;
    // `rangeEnd` is the last sample's time, so this is always 0.
    let to_end = 0.0;
    let sampled = last.t.saturating_sub(first.t) as f64 / 1000.0;
    let average_gap = sampled / (window.len() - 1) as f64;
    if result > 0.0 && first.v >= 0.0 {
        let to_zero = sampled * (first.v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average_gap * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average_gap / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average_gap / 2.0
    };
    result * (interval / sampled) / go_seconds(range_ns)
}

#[cfg(test)]
#[path = "range_fns_tests.rs"]
mod tests;
