//! Classic histograms: series with an `le` (upper bound) label whose values are cumulative
//! bucket counts.
//!
//! Follows `BucketQuantile`, `BucketFraction`, `coalesceBuckets` and
//! `ensureMonotonicAndIgnoreSmallDeltas` in Prometheus's `promql/quantile.go`, the
//! `HistogramQuantileForcedMonotonicityInfo` annotation in `util/annotations/annotations.go`, and
//! `strconv.ParseFloat` for `le` values (Prometheus 3.14, commit d15adb9a, the version of the
//! conformance files). The evaluator groups the buckets of one histogram at one step (series that
//! differ only in `le` and the metric name) and calls these kernels on them.

use std::borrow::Cow;

use super::aggregate::format_float_g;

/// The start of the info annotation Prometheus raises when `histogram_quantile` had to force
/// bucket counts to be monotonic (upstream's `HistogramQuantileForcedMonotonicityInfo`).
///
/// The full text is this, then ` for metric name "<name>"` when the metric name is known (Go's
/// `%q` quoting), then [`ForcedMonotonicityInfo::details`], then ` (<line>:<column>)` of the
/// histogram argument, e.g. `… for metric name "series_1", from buckets 2.5 to 100, with a max
/// diff of 10, over 3 samples from 2023-12-25T00:00:00Z to 2024-12-25T00:00:00Z (1:4)`.
pub const FORCED_MONOTONICITY_INFO: &str = "PromQL info: input to histogram_quantile needed to be \
     fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/\
     #histogram_quantile)";

/// Relative difference between neighbouring bucket counts below which `histogram_quantile`
/// treats it as floating-point noise and silently evens it out (upstream's
/// `smallDeltaTolerance`): the counts are equal when `|a - b| / (|a| + |b|) < 1e-12`.
pub const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// One bucket of a classic histogram: the value of `le` and the cumulative count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The inclusive upper bound (`le`), from [`parse_bucket_bound`].
    pub upper_bound: f64,
    /// The number of observations at or below `upper_bound`.
    pub count: f64,
}

/// What the monotonicity repair of `histogram_quantile` changed: the lowest and highest upper
/// bound whose count had to be raised to its predecessor's, and the largest such raise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonotonicityRepair {
    /// The lowest upper bound whose count was raised.
    pub min_bucket: f64,
    /// The highest upper bound whose count was raised.
    pub max_bucket: f64,
    /// The largest amount a count was raised by.
    pub max_diff: f64,
}

/// The result of [`histogram_quantile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileResult {
    /// The estimated quantile.
    pub value: f64,
    /// `Some` when counts decreased with a growing upper bound and had to be raised; the
    /// evaluator then adds the [`FORCED_MONOTONICITY_INFO`] annotation.
    pub forced_monotonicity: Option<MonotonicityRepair>,
    /// True when differences below [`SMALL_DELTA_TOLERANCE`] were evened out (no annotation).
    pub ignored_small_deltas: bool,
}

impl QuantileResult {
    fn plain(value: f64) -> Self {
        Self {
            value,
            forced_monotonicity: None,
            ignored_small_deltas: false,
        }
    }
}

/// `histogram_quantile(φ, …)` over the buckets of one histogram at one step.
///
/// The buckets may come in any order: they are sorted by upper bound in place, buckets with the
/// same upper bound (e.g. `le="0.2"` and `le="2e-1"`) are merged by adding their counts, and
/// counts that decrease are raised to the previous count (see [`QuantileResult`]). Then the
/// quantile is interpolated linearly inside the bucket where the rank `φ × total` falls, from 0
/// in the lowest bucket when its upper bound is positive (and as that upper bound otherwise); a
/// rank in the `+Inf` bucket gives the second-highest upper bound.
///
/// NaN when φ is NaN, when there is no `+Inf` bucket, fewer than two distinct upper bounds or no
/// observations; -Inf for φ < 0 and +Inf for φ > 1. Upper bounds are ordered by IEEE total order,
/// so a NaN bound sorts after `+Inf` and gives NaN (Prometheus's order of NaN bounds is
/// unspecified).
pub fn histogram_quantile(phi: f64, buckets: &mut [Bucket]) -> QuantileResult {
    if phi.is_nan() {
        return QuantileResult::plain(f64::NAN);
    }
    if phi < 0.0 {
        return QuantileResult::plain(f64::NEG_INFINITY);
    }
    if phi > 1.0 {
        return QuantileResult::plain(f64::INFINITY);
    }
    let Some(buckets) = sorted_with_inf_bucket(buckets) else {
        return QuantileResult::plain(f64::NAN);
    };
    let len = coalesce(buckets);
    let buckets = &mut buckets[..len];
    let (forced_monotonicity, ignored_small_deltas) =
        ensure_monotonic(buckets, SMALL_DELTA_TOLERANCE);
    let mut result = QuantileResult {
        value: f64::NAN,
        forced_monotonicity,
        ignored_small_deltas,
    };
    if let Some(value) = interpolate_quantile(phi, buckets) {
        result.value = value;
    }
    result
}

/// The quantile over sorted, merged, monotonic buckets; `None` (NaN) without enough buckets or
/// observations.
fn interpolate_quantile(phi: f64, buckets: &[Bucket]) -> Option<f64> {
    let len = buckets.len();
    if len < 2 {
        return None;
    }
    let observations = buckets[len - 1].count;
    if observations == 0.0 {
        return None;
    }
    let mut rank = phi * observations;
    // The +Inf bucket is left out of the search: a rank there lands on `len - 1`.
    let b = go_search(len - 1, |i| buckets[i].count >= rank);
    if b == len - 1 {
        return Some(buckets[len - 2].upper_bound);
    }
    if b == 0 && buckets[0].upper_bound <= 0.0 {
        return Some(buckets[0].upper_bound);
    }
    let bucket_end = buckets[b].upper_bound;
    let mut count = buckets[b].count;
    let mut bucket_start = 0.0;
    if b > 0 {
        bucket_start = buckets[b - 1].upper_bound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    Some(bucket_start + (bucket_end - bucket_start) * (rank / count))
}

/// `histogram_fraction(lower, upper, …)` over the buckets of one histogram at one step: the
/// estimated fraction of observations between `lower` and `upper`.
///
/// Prometheus supports classic histograms here (`BucketFraction`); this follows it. Buckets are
/// sorted and merged as for [`histogram_quantile`] but counts are not made monotonic. Inside a
/// bucket the count is interpolated linearly, from 0 in the lowest bucket when its upper bound is
/// positive; a bucket without a finite lower bound (the lowest one otherwise) and the `+Inf`
/// bucket cannot be interpolated, so a bound inside them counts the whole bucket below it and
/// nothing of it above.
///
/// NaN when there is no `+Inf` bucket or no observation, or when a bound is NaN; 0 when
/// `lower >= upper`.
pub fn histogram_fraction(lower: f64, upper: f64, buckets: &mut [Bucket]) -> f64 {
    let Some(buckets) = sorted_with_inf_bucket(buckets) else {
        return f64::NAN;
    };
    let len = coalesce(buckets);
    let buckets = &buckets[..len];
    let total = buckets[len - 1].count;
    if total == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let mut lower_rank = None;
    let mut upper_rank = None;
    // The cumulative count below the current bucket.
    let mut rank = 0.0;
    let mut lower_bound = if buckets[0].upper_bound <= 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    for (i, bucket) in buckets.iter().enumerate() {
        if i > 0 {
            lower_bound = buckets[i - 1].upper_bound;
        }
        let upper_bound = bucket.upper_bound;
        let interpolate = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                bucket.count
            } else {
                rank + (bucket.count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
            }
        };
        if lower_rank.is_none() && lower_bound >= lower {
            lower_rank = Some(rank);
        }
        if upper_rank.is_none() && lower_bound >= upper {
            upper_rank = Some(rank);
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        if lower_rank.is_none() && lower_bound < lower && upper_bound > lower {
            lower_rank = Some(interpolate(lower));
        }
        if upper_rank.is_none() && lower_bound < upper && upper_bound > upper {
            upper_rank = Some(interpolate(upper));
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        rank = bucket.count;
    }
    let clamp = |r: Option<f64>| r.filter(|&r| r <= total).unwrap_or(total);
    (clamp(upper_rank) - clamp(lower_rank)) / total
}

/// Sorts the buckets by upper bound; `None` when there are none or the highest is not `+Inf`.
fn sorted_with_inf_bucket(buckets: &mut [Bucket]) -> Option<&mut [Bucket]> {
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    let last = buckets.last()?;
    (last.upper_bound == f64::INFINITY).then_some(buckets)
}

/// Merges neighbouring buckets with equal upper bounds by adding their counts (in order) and
/// returns how many buckets remain at the front of `buckets`. `buckets` is sorted and not empty.
fn coalesce(buckets: &mut [Bucket]) -> usize {
    let mut kept = 0;
    for i in 1..buckets.len() {
        if buckets[i].upper_bound == buckets[kept].upper_bound {
            buckets[kept].count += buckets[i].count;
        } else {
            kept += 1;
            buckets[kept] = buckets[i];
        }
    }
    kept + 1
}

/// Makes the counts monotonic, as upstream's `ensureMonotonicAndIgnoreSmallDeltas`: a count that
/// differs from the last accepted one by less than `tolerance` (relatively, in either direction)
/// is set equal to it silently; a count that is still lower is raised to it and reported. The
/// last accepted count only moves on a real increase.
fn ensure_monotonic(buckets: &mut [Bucket], tolerance: f64) -> (Option<MonotonicityRepair>, bool) {
    let mut repair: Option<MonotonicityRepair> = None;
    let mut ignored_small_deltas = false;
    let Some(first) = buckets.first() else {
        return (None, false);
    };
    let mut prev = first.count;
    for bucket in buckets.iter_mut().skip(1) {
        let curr = bucket.count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, tolerance) {
            bucket.count = prev;
            ignored_small_deltas = true;
            continue;
        }
        if curr < prev {
            bucket.count = prev;
            let diff = prev - curr;
            let r = repair.get_or_insert(MonotonicityRepair {
                min_bucket: f64::INFINITY,
                max_bucket: f64::NEG_INFINITY,
                max_diff: 0.0,
            });
            if bucket.upper_bound < r.min_bucket {
                r.min_bucket = bucket.upper_bound;
            }
            if bucket.upper_bound > r.max_bucket {
                r.max_bucket = bucket.upper_bound;
            }
            if diff > r.max_diff {
                r.max_diff = diff;
            }
            continue;
        }
        prev = curr;
    }
    (repair, ignored_small_deltas)
}

/// Upstream's `almost.Equal`: true when `a` and `b` are both NaN, equal, or differ relatively by
/// less than `epsilon` (absolutely by less than `epsilon` × the smallest normal float near 0).
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if (a.is_nan() && b.is_nan()) || a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < epsilon * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Go's `sort.Search`: the smallest index in `0..n` for which `pred` holds, assuming it holds
/// for a suffix, or `n`. Written out so that non-monotonic inputs probe the same indices.
fn go_search(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The [`FORCED_MONOTONICITY_INFO`] annotation's running details for one metric name and
/// position: upstream merges every step's repair into one annotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForcedMonotonicityInfo {
    /// The earliest step (ms) whose buckets were repaired.
    pub min_ts: i64,
    /// The latest step (ms) whose buckets were repaired.
    pub max_ts: i64,
    /// The lowest upper bound raised at any step.
    pub min_bucket: f64,
    /// The highest upper bound raised at any step.
    pub max_bucket: f64,
    /// The largest raise at any step.
    pub max_diff: f64,
    /// How many repairs were merged.
    pub samples: u64,
}

impl ForcedMonotonicityInfo {
    /// The details of one repair at step `ts` (ms).
    pub fn new(ts: i64, repair: MonotonicityRepair) -> Self {
        Self {
            min_ts: ts,
            max_ts: ts,
            min_bucket: repair.min_bucket,
            max_bucket: repair.max_bucket,
            max_diff: repair.max_diff,
            samples: 1,
        }
    }

    /// Widens these details by `other`'s.
    pub fn merge(&mut self, other: &Self) {
        self.min_ts = self.min_ts.min(other.min_ts);
        self.max_ts = self.max_ts.max(other.max_ts);
        if other.min_bucket < self.min_bucket {
            self.min_bucket = other.min_bucket;
        }
        if other.max_bucket > self.max_bucket {
            self.max_bucket = other.max_bucket;
        }
        if other.max_diff > self.max_diff {
            self.max_diff = other.max_diff;
        }
        self.samples += other.samples;
    }

    /// The text upstream appends after the metric name, e.g. `, from buckets 2.5 to 100, with a
    /// max diff of 10, over 3 samples from 2023-12-25T00:00:00Z to 2024-12-25T00:00:00Z` (bounds
    /// as `%g`, the difference as `%.2g`, times in whole seconds, UTC).
    pub fn details(&self) -> String {
        format!(
            ", from buckets {} to {}, with a max diff of {}, over {} samples from {} to {}",
            format_float_g(self.min_bucket, None),
            format_float_g(self.max_bucket, None),
            format_float_g(self.max_diff, Some(2)),
            self.samples,
            format_rfc3339_seconds(self.min_ts),
            format_rfc3339_seconds(self.max_ts),
        )
    }
}

/// Go's `time.Unix(ms / 1000, 0).UTC().Format(time.RFC3339)` (the division truncates toward 0).
fn format_rfc3339_seconds(ms: i64) -> String {
    let seconds = ms / 1000;
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = model::civil::civil_from_days(days);
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        year.unsigned_abs(),
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    )
}

/// Parses an `le` label value as Go's `strconv.ParseFloat(s, 64)` does, which is how Prometheus
/// reads bucket bounds; `None` where Go returns an error (Prometheus then warns about a malformed
/// bucket label and skips the series).
///
/// Accepted: decimal numbers (`1`, `-.5`, `2.`, `1e3`, `2.0E-1`), `_` between digits (`1_000`),
/// hexadecimal mantissas with a binary exponent (`0x1.8p1`), and, in any letter case, `inf`,
/// `infinity` with an optional sign, and `nan` without one. Values beyond the float range are
/// errors in Go (`1e400`), so `None` here; values too small for it become 0 as in Go.
pub fn parse_bucket_bound(s: &str) -> Option<f64> {
    if let Some(v) = parse_special(s) {
        return Some(v);
    }
    let s: Cow<'_, str> = if s.contains('_') {
        if !underscores_ok(s) {
            return None;
        }
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let magnitude = match body.get(..2) {
        Some("0x" | "0X") if body.len() > 2 => parse_hex(&body[2..])?,
        _ => parse_decimal(body)?,
    };
    // Only literal infinities are infinite; an overflowing number is a range error in Go.
    if magnitude.is_infinite() {
        return None;
    }
    Some(if negative { -magnitude } else { magnitude })
}

/// `[+-]inf`, `[+-]infinity` and `nan`, in any letter case.
fn parse_special(s: &str) -> Option<f64> {
    if s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    (rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity"))
        .then_some(sign * f64::INFINITY)
}

/// Go's `underscoreOK`: every `_` sits between two digits (or after a base prefix).
fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = s.as_bytes();
    let hex = matches!(bytes.get(..2), Some([b'0', b'x' | b'X']));
    // What came last: `^` the start, `0` a digit or base prefix, `_`, or `!` anything else.
    let mut saw = if hex { b'0' } else { b'^' };
    let start = if hex { 2 } else { 0 };
    for &c in bytes.iter().skip(start) {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// An unsigned decimal: digits with at most one point (at least one digit), then optionally
/// `e`/`E`, a sign and at least one digit; correctly rounded.
fn parse_decimal(body: &str) -> Option<f64> {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut digits = 0;
    let mut points = 0;
    for c in mantissa.bytes() {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' => points += 1,
            _ => return None,
        }
    }
    if digits == 0 || points > 1 {
        return None;
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !unsigned.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    body.parse::<f64>().ok()
}

/// An unsigned hexadecimal float after `0x`: hex digits with at most one point (at least one
/// digit), then a mandatory `p`/`P` binary exponent. Rounds once, to nearest even, except that a
/// result in the subnormal range may be rounded twice.
fn parse_hex(body: &str) -> Option<f64> {
    let at = body.find(['p', 'P'])?;
    let (mantissa, exponent) = (&body[..at], &body[at + 1..]);
    let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if unsigned.is_empty() || !unsigned.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Saturating: anything beyond ±100000 over- or underflows anyway.
    let mut binary_exponent = unsigned
        .bytes()
        .fold(0i64, |e, c| (e * 10 + i64::from(c - b'0')).min(100_000));
    if exponent.starts_with('-') {
        binary_exponent = -binary_exponent;
    }
    let (mut bits, mut sticky, mut seen_point, mut digits) = (0u64, false, false, 0);
    for c in mantissa.chars() {
        if c == '.' {
            if seen_point {
                return None;
            }
            seen_point = true;
            continue;
        }
        let nibble = u64::from(c.to_digit(16)?);
        digits += 1;
        if bits >> 60 == 0 {
            bits = bits << 4 | nibble;
            if seen_point {
                binary_exponent -= 4;
            }
        } else {
            // Beyond 64 significant bits only whether something non-zero was dropped matters.
            sticky |= nibble != 0;
            if !seen_point {
                binary_exponent += 4;
            }
        }
    }
    if digits == 0 {
        return None;
    }
    // The sticky bit sits far below the 53 kept bits, so the conversion rounds correctly.
    let mut value = (bits | u64::from(sticky)) as f64;
    let mut e = binary_exponent.clamp(-2200, 2200);
    while e != 0 {
        let step = e.clamp(-1000, 1000);
        value *= 2f64.powi(step as i32);
        e -= step;
    }
    Some(value)
}

#[cfg(test)]
#[path = "histogram_tests.rs"]
mod tests;
