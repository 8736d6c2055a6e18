//! Aggregation kernels: one aggregation over one group at one step.
//!
//! The evaluator groups series (`by`/`without`) and, at each step, hands a group's values to these
//! kernels in input order. They follow `aggregation`, `aggregationK` and `rangeEvalAgg` in
//! Prometheus's `promql/engine.go` (3.14, commit d15adb9a, the version of the conformance files)
//! down to the order of floating-point operations, so results match bit for bit:
//!
//! * [`Accumulator`]: `sum` (Kahan–Neumaier compensated), `avg` (compensated direct mean that
//!   switches to an incremental mean once the running sum would overflow), `count`, `group`,
//!   `min`/`max`, `stddev`/`stdvar` (Welford's online algorithm) and `quantile`.
//! * [`select_ranked`] (`topk`/`bottomk`), [`select_first`] (`limitk`) and [`select_ratio`]
//!   (`limit_ratio`): which series of a group survive, in upstream's output order.
//! * [`ParamRange`], [`step_k`], [`step_ratio`]: the checks and conversions of the `k`/`ratio`
//!   parameter, with Prometheus's error texts ([`AggregateParamError`]).
//! * [`format_value_label`] (`count_values`) and [`format_float_g`] (Go's `%g`, for messages).

use crate::float_text::non_finite_name as non_finite;
use model::Labels;

/// Neumaier's improvement of Kahan summation, as upstream's `kahanSumInc`: adds `inc` to the
/// running `sum` and returns the new sum and compensation. Once the sum is infinite the
/// compensation is reset to 0, so `Inf + c` cannot turn into NaN.
pub fn kahan_sum_inc(inc: f64, sum: f64, compensation: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        compensation + ((sum - t) + inc)
    } else {
        compensation + ((inc - t) + sum)
    };
    (t, c)
}

/// The aggregations that reduce a group to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateOp {
    /// `sum`.
    Sum,
    /// `avg`.
    Avg,
    /// `count`.
    Count,
    /// `group` (always 1).
    Group,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `stddev` (population standard deviation).
    Stddev,
    /// `stdvar` (population variance).
    Stdvar,
    /// `quantile(φ, …)`; φ is given per step to [`Accumulator::start_step`].
    Quantile,
}

/// The running state of one aggregation of one group, reused across steps.
///
/// Call order per step: [`start_step`](Self::start_step), then [`add`](Self::add) for each of
/// the group's values in input order, then [`finish`](Self::finish). Only `quantile` keeps the
/// values (in a buffer whose capacity survives across steps); every other aggregation is O(1)
/// in memory and allocates nothing.
#[derive(Debug, Clone)]
pub struct Accumulator {
    op: AggregateOp,
    /// φ of `quantile` for the current step.
    phi: f64,
    /// Whether a value was added since `start_step`.
    seen: bool,
    /// Upstream's `floatValue`: the sum, extreme, or sum of squared deviations.
    value: f64,
    /// Upstream's `floatMean`: the running mean of `avg` (incremental mode) and `stddev`.
    mean: f64,
    /// Upstream's `floatKahanC`: the Kahan compensation of `sum` and `avg`.
    compensation: f64,
    /// Upstream's `groupCount`, kept as a float as upstream divides by it.
    count: f64,
    /// `avg` only: true once the direct sum would have overflowed.
    incremental_mean: bool,
    /// `quantile` only: the values of this step.
    values: Vec<f64>,
}

impl Accumulator {
    /// A new accumulator for `op`, with no step started.
    pub fn new(op: AggregateOp) -> Self {
        Self {
            op,
            phi: f64::NAN,
            seen: false,
            value: 0.0,
            mean: 0.0,
            compensation: 0.0,
            count: 0.0,
            incremental_mean: false,
            values: Vec::new(),
        }
    }

    /// The aggregation this accumulator computes.
    pub fn op(&self) -> AggregateOp {
        self.op
    }

    /// Begins a step, forgetting the previous one. `param` is φ for `quantile` and ignored by
    /// the other aggregations.
    pub fn start_step(&mut self, param: f64) {
        self.phi = param;
        self.seen = false;
        self.values.clear();
    }

    /// True when no value was added since the last [`start_step`](Self::start_step).
    pub fn is_empty(&self) -> bool {
        !self.seen
    }

    /// Adds the next value of the group.
    pub fn add(&mut self, v: f64) {
        if !self.seen {
            self.add_first(v);
            return;
        }
        match self.op {
            AggregateOp::Sum => {
                (self.value, self.compensation) = kahan_sum_inc(v, self.value, self.compensation);
            }
            AggregateOp::Avg => self.add_to_mean(v),
            AggregateOp::Count => self.count += 1.0,
            AggregateOp::Group => {}
            // NaN is replaced by any later value, so the result is NaN only if all are NaN.
            AggregateOp::Max => {
                if self.value < v || self.value.is_nan() {
                    self.value = v;
                }
            }
            AggregateOp::Min => {
                if self.value > v || self.value.is_nan() {
                    self.value = v;
                }
            }
            AggregateOp::Stddev | AggregateOp::Stdvar => {
                self.count += 1.0;
                let delta = v - self.mean;
                self.mean += delta / self.count;
                self.value += delta * (v - self.mean);
            }
            AggregateOp::Quantile => self.values.push(v),
        }
    }

    /// The first value initialises every field, as upstream's group initialisation does.
    fn add_first(&mut self, v: f64) {
        self.seen = true;
        self.value = v;
        self.mean = v;
        self.compensation = 0.0;
        self.count = 1.0;
        self.incremental_mean = false;
        match self.op {
            // A NaN or infinite first value makes the variance NaN for good; otherwise the sum
            // of squared deviations starts at 0.
            AggregateOp::Stddev | AggregateOp::Stdvar => {
                self.value = if v.is_finite() { 0.0 } else { f64::NAN };
            }
            AggregateOp::Group => self.value = 1.0,
            AggregateOp::Quantile => self.values.push(v),
            _ => {}
        }
    }

    /// `avg`: a compensated direct sum while it stays finite; once adding `v` would make it
    /// infinite, the sum is turned into a mean and the mean is updated incrementally from then
    /// on (still compensated), which cannot overflow for finite inputs.
    fn add_to_mean(&mut self, v: f64) {
        self.count += 1.0;
        if !self.incremental_mean {
            let (sum, c) = kahan_sum_inc(v, self.value, self.compensation);
            if !sum.is_infinite() {
                self.value = sum;
                self.compensation = c;
                return;
            }
            self.incremental_mean = true;
            self.mean = self.value / (self.count - 1.0);
            self.compensation /= self.count - 1.0;
        }
        let q = (self.count - 1.0) / self.count;
        (self.mean, self.compensation) =
            kahan_sum_inc(v / self.count, q * self.mean, q * self.compensation);
    }

    /// The aggregate of the values added in this step, or `None` when none was added (the
    /// group has no output at this step).
    pub fn finish(&mut self) -> Option<f64> {
        if !self.seen {
            return None;
        }
        let result = match self.op {
            AggregateOp::Sum => self.value + self.compensation,
            AggregateOp::Avg if self.incremental_mean => self.mean + self.compensation,
            AggregateOp::Avg => self.value / self.count + self.compensation / self.count,
            AggregateOp::Count => self.count,
            AggregateOp::Stdvar => self.value / self.count,
            AggregateOp::Stddev => (self.value / self.count).sqrt(),
            AggregateOp::Quantile => super::range::quantile(self.phi, &mut self.values),
            AggregateOp::Group | AggregateOp::Min | AggregateOp::Max => self.value,
        };
        Some(result)
    }
}

/// Why the parameter of `topk`/`bottomk`/`limitk`/`limit_ratio` is unusable; the messages are
/// Prometheus's.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum AggregateParamError {
    /// `k` is NaN at some step.
    #[error("Parameter value is NaN")]
    KIsNaN,
    /// `k` is at or below the smallest float that converts to an int64.
    #[error("Scalar value {} underflows int64", format_float_g(*.0, None))]
    KUnderflow(f64),
    /// `k` is at or above the largest float that converts to an int64.
    #[error("Scalar value {} overflows int64", format_float_g(*.0, None))]
    KOverflow(f64),
    /// The ratio of `limit_ratio` is NaN at some step.
    #[error("Ratio value is NaN")]
    RatioIsNaN,
}

/// What the parameter checks decided for the whole query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamCheck {
    /// The result is empty at every step; skip the aggregation.
    Empty,
    /// Evaluate step by step.
    Evaluate,
}

/// The largest float that converts to an int64 without overflow (upstream's `maxInt64`).
const MAX_INT64_FLOAT: f64 = 9_223_372_036_854_774_784.0;
/// The smallest float that converts to an int64 without underflow (upstream's `minInt64`).
const MIN_INT64_FLOAT: f64 = -9_223_372_036_854_775_808.0;

/// The extremes of a parameter over all steps of a query, as upstream's `fParams` computes them:
/// a NaN at any step makes both `min` and `max` NaN (Go's `math.Min`/`math.Max` propagate NaN),
/// and a parameter without values has `min = max = 0`.
///
/// Besides [`check_k`](Self::check_k) and [`check_ratio`](Self::check_ratio), the evaluator
/// uses the fields for warnings: `quantile` warns with NaN when `has_nan`, with `max` when
/// `max > 1` and with `min` when `min < 0`; `limit_ratio` warns ("capping to 1") when `max > 1`
/// and ("capping to -1") when `min < -1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamRange {
    /// The smallest value (NaN if any value is NaN).
    pub min: f64,
    /// The largest value (NaN if any value is NaN).
    pub max: f64,
    /// Whether some step's value is NaN.
    pub has_nan: bool,
}

impl ParamRange {
    /// The range of the parameter's values over the query's steps.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut range = Self {
            min: f64::MAX,
            max: -f64::MAX,
            has_nan: false,
        };
        let mut any = false;
        for v in values {
            any = true;
            if v.is_nan() {
                range.has_nan = true;
            }
            if !range.max.is_nan() {
                range.max = if v.is_nan() { v } else { range.max.max(v) };
            }
            if !range.min.is_nan() {
                range.min = if v.is_nan() { v } else { range.min.min(v) };
            }
        }
        if !any {
            range.min = 0.0;
            range.max = 0.0;
        }
        range
    }

    /// The query-wide checks of `k` for `topk`, `bottomk` and `limitk`, in upstream's order:
    /// all below 1 gives an empty result; then NaN, underflow and overflow are errors.
    pub fn check_k(&self) -> Result<ParamCheck, AggregateParamError> {
        if self.max < 1.0 {
            return Ok(ParamCheck::Empty);
        }
        if self.has_nan {
            return Err(AggregateParamError::KIsNaN);
        }
        if self.min <= MIN_INT64_FLOAT {
            return Err(AggregateParamError::KUnderflow(self.min));
        }
        if self.max >= MAX_INT64_FLOAT {
            return Err(AggregateParamError::KOverflow(self.max));
        }
        Ok(ParamCheck::Evaluate)
    }

    /// The query-wide checks of the ratio of `limit_ratio`: 0 at every step gives an empty
    /// result; a NaN is an error. Ratios outside [-1, 1] are capped per step by [`step_ratio`].
    pub fn check_ratio(&self) -> Result<ParamCheck, AggregateParamError> {
        if self.max == 0.0 && self.min == 0.0 {
            return Ok(ParamCheck::Empty);
        }
        if self.has_nan {
            return Err(AggregateParamError::RatioIsNaN);
        }
        Ok(ParamCheck::Evaluate)
    }
}

/// `k` at one step, after [`ParamRange::check_k`] passed: the parameter truncated toward zero
/// and capped at the number of series in the whole input (not the group). `None` when it is
/// below 1, in which case the step has no output in any group.
pub fn step_k(param: f64, input_series: usize) -> Option<usize> {
    // Go's int64(f) truncates toward zero; `as` also does and saturates, so even an unchecked
    // parameter cannot panic here.
    let k = (param as i64).min(i64::try_from(input_series).unwrap_or(i64::MAX));
    usize::try_from(k).ok().filter(|&k| k >= 1)
}

/// The ratio of `limit_ratio` at one step, capped to [-1, 1]; `None` when it is 0, in which case
/// the step has no output in any group.
pub fn step_ratio(param: f64) -> Option<f64> {
    if param == 0.0 {
        return None;
    }
    Some(param.clamp(-1.0, 1.0))
}

/// Which end of the order `topk`/`bottomk` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// `topk`: the largest values.
    Top,
    /// `bottomk`: the smallest values.
    Bottom,
}

/// Heaps of up to 12 elements are sorted by insertion sort in Go, which is stable; larger ones
/// by pdqsort, which is not (see [`select_ranked`]).
const GO_INSERTION_SORT_MAX: usize = 12;

/// `topk`/`bottomk` over one group: the indices into `values` of the `k` selected series, in
/// upstream's output order (largest first for `topk`, smallest first for `bottomk`, NaN last in
/// both), written to `out` (cleared first; its capacity is reused).
///
/// Like upstream, this keeps a binary heap of at most `k` indices whose root is the weakest
/// candidate (NaN is the weakest of all), replaces the root when a stronger value arrives, and
/// finally sorts the heap. Ties are resolved as upstream does for up to 12 selected series, where
/// Go sorts by insertion sort; for more, Go's unstable pdqsort may order equal values (and
/// NaNs) differently from the stable sort used here — only the order of equal values can differ.
pub fn select_ranked(rank: Rank, k: usize, values: &[f64], out: &mut Vec<usize>) {
    out.clear();
    if k == 0 {
        return;
    }
    let value = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
    // Upstream's heap order: for topk the root is the smallest value, for bottomk the largest;
    // NaN sorts before everything in both, i.e. is the first to be evicted.
    let weaker = |a: usize, b: usize| {
        let (va, vb) = (value(a), value(b));
        va.is_nan()
            || match rank {
                Rank::Top => va < vb,
                Rank::Bottom => va > vb,
            }
    };
    for (i, &v) in values.iter().enumerate() {
        if out.len() < k {
            let last = out.len();
            out.push(i);
            sift_up(out, last, weaker);
            continue;
        }
        let root = value(out[0]);
        let stronger = match rank {
            Rank::Top => root < v,
            Rank::Bottom => root > v,
        };
        if stronger || (root.is_nan() && !v.is_nan()) {
            out[0] = i;
            // Go's `heap.Fix(h, 0)`: its `up` half is a no-op at the root.
            sift_down(out, 0, weaker);
        }
    }
    // Upstream sorts with the reversed heap order: strongest first.
    let stronger_first = |a: usize, b: usize| weaker(b, a);
    if out.len() <= GO_INSERTION_SORT_MAX {
        insertion_sort(out, stronger_first);
    } else {
        out.sort_by(|&a, &b| output_order(rank, value(a), value(b)));
    }
}

/// The total order of [`select_ranked`]'s output for large heaps: strongest first, NaN last.
fn output_order(rank: Rank, a: f64, b: f64) -> std::cmp::Ordering {
    let by_value = match rank {
        Rank::Top => b.partial_cmp(&a),
        Rank::Bottom => a.partial_cmp(&b),
    };
    (a.is_nan().cmp(&b.is_nan())).then(by_value.unwrap_or(std::cmp::Ordering::Equal))
}

/// The heap order `limitk` and `limit_ratio` keep their selection in: by value, NaN first.
fn value_heap_less(values: &[f64]) -> impl Fn(usize, usize) -> bool + Copy + '_ {
    move |a, b| {
        let va = values.get(a).copied().unwrap_or(f64::NAN);
        let vb = values.get(b).copied().unwrap_or(f64::NAN);
        va.is_nan() || va < vb
    }
}

/// `limitk` over one group: the first `k` series in input order, written to `out` as indices
/// into `values` in upstream's output order (the array order of its value heap, into which each
/// series is pushed as it is taken).
pub fn select_first(k: usize, values: &[f64], out: &mut Vec<usize>) {
    out.clear();
    let less = value_heap_less(values);
    for i in 0..k.min(values.len()) {
        out.push(i);
        sift_up(out, i, less);
    }
}

/// `limit_ratio` over one group: the series whose label hash falls inside `ratio` (see
/// [`ratio_keeps`] and [`ratio_sample_offset`]), written to `out` as indices into `values` in
/// upstream's output order (the array order of its value heap). `hashes[i]` is the label hash of
/// series `i`; pass [`prometheus_labels_hash`] to select the same series as Prometheus, over the
/// labels the series has at that point (with a metric name whose removal is delayed).
pub fn select_ratio(ratio: f64, values: &[f64], hashes: &[u64], out: &mut Vec<usize>) {
    out.clear();
    let less = value_heap_less(values);
    for (i, &hash) in hashes.iter().enumerate().take(values.len()) {
        if ratio_keeps(ratio, ratio_sample_offset(hash)) {
            let last = out.len();
            out.push(i);
            sift_up(out, last, less);
        }
    }
}

/// Where a series falls in [0, 1] for `limit_ratio`: its label hash divided by `u64::MAX`, both
/// converted to float as Go does (`float64(MaxUint64)` rounds to 2^64, so the offset is < 1
/// except for the top 1024 hashes, which give exactly 1).
pub fn ratio_sample_offset(hash: u64) -> f64 {
    hash as f64 / u64::MAX as f64
}

/// Whether `limit_ratio` keeps a series at `offset` (from [`ratio_sample_offset`]) for `ratio`
/// in [-1, 1]: a positive ratio keeps offsets below it, a negative one keeps offsets at or above
/// `1 + ratio`, so `ratio` and `ratio - 1` select complementary sets.
pub fn ratio_keeps(ratio: f64, offset: f64) -> bool {
    (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
}

/// Prometheus's `labels.Labels.Hash()`: 64-bit xxHash (XXH64, seed 0) of every label as name,
/// byte 0xFF, value, byte 0xFF, in name order.
///
/// `limit_ratio` selects by this hash. [`Labels::stable_hash`] is a different function (XXH3 over
/// our own length-prefixed encoding), so selecting by it still gives a deterministic subset of
/// about the right size, with the complement property, but not the same series as Prometheus.
pub fn prometheus_labels_hash(labels: &Labels) -> u64 {
    let mut hasher = Xxh64::new();
    for (name, value) in labels.iter() {
        hasher.write(name.as_bytes());
        hasher.write(&[0xff]);
        hasher.write(value.as_bytes());
        hasher.write(&[0xff]);
    }
    hasher.finish()
}

/// `container/heap`'s `up`: moves element `j` toward the root while it is `less` than its parent.
fn sift_up(heap: &mut [usize], mut j: usize, less: impl Fn(usize, usize) -> bool) {
    while j > 0 {
        let parent = (j - 1) / 2;
        if !less(heap[j], heap[parent]) {
            break;
        }
        heap.swap(parent, j);
        j = parent;
    }
}

/// `container/heap`'s `down`: moves element `i` toward the leaves.
fn sift_down(heap: &mut [usize], mut i: usize, less: impl Fn(usize, usize) -> bool) {
    loop {
        let left = 2 * i + 1;
        if left >= heap.len() {
            break;
        }
        let right = left + 1;
        let child = if right < heap.len() && less(heap[right], heap[left]) {
            right
        } else {
            left
        };
        if !less(heap[child], heap[i]) {
            break;
        }
        heap.swap(i, child);
        i = child;
    }
}

/// Go's `insertionSort`: each element moves left while it is `less` than its left neighbour.
fn insertion_sort(items: &mut [usize], less: impl Fn(usize, usize) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && less(items[j], items[j - 1]) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Streaming XXH64 with seed 0 (the xxHash specification), for [`prometheus_labels_hash`].
struct Xxh64 {
    lanes: [u64; 4],
    buffer: [u8; 32],
    buffered: usize,
    total_len: u64,
}

const PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME64_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME64_3: u64 = 0x1656_67B1_9E37_79F9;
const PRIME64_4: u64 = 0x85EB_CA77_C2B2_AE63;
const PRIME64_5: u64 = 0x27D4_EB2F_1656_67C5;

impl Xxh64 {
    fn new() -> Self {
        Self {
            lanes: [
                PRIME64_1.wrapping_add(PRIME64_2),
                PRIME64_2,
                0,
                0u64.wrapping_sub(PRIME64_1),
            ],
            buffer: [0; 32],
            buffered: 0,
            total_len: 0,
        }
    }

    fn round(acc: u64, input: u64) -> u64 {
        acc.wrapping_add(input.wrapping_mul(PRIME64_2))
            .rotate_left(31)
            .wrapping_mul(PRIME64_1)
    }

    fn merge_round(acc: u64, lane: u64) -> u64 {
        (acc ^ Self::round(0, lane))
            .wrapping_mul(PRIME64_1)
            .wrapping_add(PRIME64_4)
    }

    fn stripe(&mut self, stripe: &[u8; 32]) {
        for (lane, word) in self.lanes.iter_mut().zip(stripe.chunks_exact(8)) {
            *lane = Self::round(*lane, read_u64(word));
        }
    }

    fn write(&mut self, mut data: &[u8]) {
        self.total_len += data.len() as u64;
        while !data.is_empty() {
            let take = (32 - self.buffered).min(data.len());
            let (head, rest) = data.split_at(take);
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(head);
            self.buffered += take;
            data = rest;
            if self.buffered == 32 {
                let stripe = self.buffer;
                self.stripe(&stripe);
                self.buffered = 0;
            }
        }
    }

    fn finish(&self) -> u64 {
        let [v1, v2, v3, v4] = self.lanes;
        let mut h = if self.total_len >= 32 {
            let h = v1
                .rotate_left(1)
                .wrapping_add(v2.rotate_left(7))
                .wrapping_add(v3.rotate_left(12))
                .wrapping_add(v4.rotate_left(18));
            [v1, v2, v3, v4].into_iter().fold(h, Self::merge_round)
        } else {
            PRIME64_5
        };
        h = h.wrapping_add(self.total_len);
        let mut tail = &self.buffer[..self.buffered];
        while tail.len() >= 8 {
            h ^= Self::round(0, read_u64(&tail[..8]));
            h = h
                .rotate_left(27)
                .wrapping_mul(PRIME64_1)
                .wrapping_add(PRIME64_4);
            tail = &tail[8..];
        }
        if tail.len() >= 4 {
            let word = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
            h ^= word.wrapping_mul(PRIME64_1);
            h = h
                .rotate_left(23)
                .wrapping_mul(PRIME64_2)
                .wrapping_add(PRIME64_3);
            tail = &tail[4..];
        }
        for &byte in tail {
            h ^= u64::from(byte).wrapping_mul(PRIME64_5);
            h = h.rotate_left(11).wrapping_mul(PRIME64_1);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(PRIME64_2);
        h ^= h >> 29;
        h = h.wrapping_mul(PRIME64_3);
        h ^ (h >> 32)
    }
}

/// Little-endian u64 from `bytes` (callers pass exactly 8).
fn read_u64(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_le_bytes)
}

/// The label value `count_values` gives a sample value: Go's `strconv.FormatFloat(v, 'f', -1,
/// 64)`, the shortest decimal that reads back as `v`, never in exponent form (`1e21` is
/// `1000000000000000000000`, `1e-7` is `0.0000001`), and `+Inf`, `-Inf`, `NaN`.
pub fn format_value_label(v: f64) -> String {
    if let Some(special) = non_finite(v) {
        return special.to_owned();
    }
    let digits = Digits::shortest(v);
    let mut out = String::new();
    digits.write_fixed(&mut out, digits.fraction_len());
    out
}

/// Go's `%g` (`precision: None`, shortest round-trip digits) or `%.Ng` (`Some(N)` significant
/// digits) for a float, as Prometheus's messages print numbers: exponent form when the exponent
/// is below -4 or at least the precision (6 for the shortest form), e.g. `1e+06`, `2.5`,
/// `1e-05`, and `+Inf`, `-Inf`, `NaN`.
pub fn format_float_g(v: f64, precision: Option<usize>) -> String {
    if let Some(special) = non_finite(v) {
        return special.to_owned();
    }
    let (digits, precision, exp_threshold) = match precision {
        None => {
            let d = Digits::shortest(v);
            let p = d.digits.len();
            (d, p, 6)
        }
        Some(p) => {
            let p = p.max(1);
            let d = Digits::rounded(v, p);
            let n = d.digits.len();
            let threshold = if p > n && n as i64 >= d.point { n } else { p };
            (d, p, threshold)
        }
    };
    let exponent = digits.point - 1;
    let mut out = String::new();
    if exponent < -4 || exponent >= exp_threshold as i64 {
        digits.write_exponent(
            &mut out,
            precision.min(digits.digits.len()).saturating_sub(1),
        );
    } else {
        let p = if precision as i64 > digits.point {
            digits.digits.len()
        } else {
            precision
        };
        digits.write_fixed(&mut out, (p as i64 - digits.point).max(0) as usize);
    }
    out
}

/// A finite float as decimal digits: `0.d1d2… × 10^point`, without trailing zeros (Go's
/// `decimalSlice`). Zero has no digits and `point` 0.
struct Digits {
    negative: bool,
    digits: Vec<u8>,
    point: i64,
}

impl Digits {
    /// The shortest digits that read back as `v`.
    fn shortest(v: f64) -> Self {
        Self::from_exponent_form(v, &format!("{:e}", v.abs()))
    }

    /// `significant` digits, correctly rounded (ties to even, as Go).
    fn rounded(v: f64, significant: usize) -> Self {
        Self::from_exponent_form(v, &format!("{:.*e}", significant - 1, v.abs()))
    }

    /// Parses Rust's `d.ddde±x` output.
    fn from_exponent_form(v: f64, text: &str) -> Self {
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let point = if digits.is_empty() {
            0
        } else {
            exponent.parse::<i64>().unwrap_or(0) + 1
        };
        Self {
            negative: v.is_sign_negative(),
            digits,
            point,
        }
    }

    /// Digits after the point needed to print every digit.
    fn fraction_len(&self) -> usize {
        (self.digits.len() as i64 - self.point).max(0) as usize
    }

    fn digit(&self, i: i64) -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .map_or('0', |&d| char::from(d))
    }

    /// Go's `fmtF`: `[-]ddd.ddd` with `fraction` digits after the point.
    fn write_fixed(&self, out: &mut String, fraction: usize) {
        if self.negative {
            out.push('-');
        }
        if self.point > 0 {
            (0..self.point).for_each(|i| out.push(self.digit(i)));
        } else {
            out.push('0');
        }
        if fraction > 0 {
            out.push('.');
            (0..fraction as i64).for_each(|i| out.push(self.digit(self.point + i)));
        }
    }

    /// Go's `fmtE`: `[-]d.ddde±dd` with `fraction` digits after the point.
    fn write_exponent(&self, out: &mut String, fraction: usize) {
        if self.negative {
            out.push('-');
        }
        out.push(self.digit(0));
        if fraction > 0 {
            out.push('.');
            (1..=fraction as i64).for_each(|i| out.push(self.digit(i)));
        }
        let exponent = if self.digits.is_empty() {
            0
        } else {
            self.point - 1
        };
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    }
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
