//! Element-wise kernels: the PromQL functions that map one float to one float (`abs`, `round`,
//! `clamp`, the trigonometric family, the date functions, ...), plus the scalar constants and
//! binary scalar functions (`pi`, `min_of`, `max_of`).
//!
//! They follow Prometheus 3.x's `promql/functions.go`, including Go's special-value rules where
//! they differ from Rust's (`math.Max`/`math.Min` propagate NaN, `math.Log2` is computed from the
//! binary exponent, `int64(NaN)` is `i64::MIN` on x86-64). Transcendental functions use Rust's
//! `libm`, whose results may differ from Go's in the last bit; the conformance tolerance (1e-6
//! relative) is far wider.
//!
//! The evaluator applies them to float samples only (upstream skips native histograms) and
//! handles label dropping.

/// `abs(v)`.
pub fn abs(v: f64) -> f64 {
    v.abs()
}

/// `ceil(v)`.
pub fn ceil(v: f64) -> f64 {
    v.ceil()
}

/// `floor(v)`.
pub fn floor(v: f64) -> f64 {
    v.floor()
}

/// `exp(v)`.
pub fn exp(v: f64) -> f64 {
    v.exp()
}

/// `sqrt(v)`; NaN for negative input.
pub fn sqrt(v: f64) -> f64 {
    v.sqrt()
}

/// `ln(v)`: the natural logarithm; `-Inf` at 0, NaN below.
pub fn ln(v: f64) -> f64 {
    v.ln()
}

/// `log2(v)`, computed as Go's `math.Log2` does: exact for powers of two, otherwise from the
/// binary exponent plus the logarithm of the mantissa.
pub fn log2(v: f64) -> f64 {
    let (mantissa, exponent) = frexp(v);
    if mantissa == 0.5 {
        return f64::from(exponent - 1);
    }
    mantissa.ln() * std::f64::consts::LOG2_E + f64::from(exponent)
}

/// `log10(v)`, computed as Go's `math.Log10` does: `log2(v) * log10(2)`.
pub fn log10(v: f64) -> f64 {
    log2(v) * std::f64::consts::LOG10_2
}

/// Go's `math.Frexp`: `v = mantissa * 2^exponent` with `|mantissa|` in `[0.5, 1)`; zero, the
/// infinities and NaN come back unchanged with exponent 0.
fn frexp(v: f64) -> (f64, i32) {
    const EXPONENT_MASK: u64 = 0x7ff << 52;
    if v == 0.0 || !v.is_finite() {
        return (v, 0);
    }
    // Scale subnormals into the normal range first so the exponent field is meaningful.
    let (normal, adjust) = if v.abs() < f64::MIN_POSITIVE {
        (v * (1u64 << 52) as f64, -52)
    } else {
        (v, 0)
    };
    let bits = normal.to_bits();
    // The biased exponent is 11 bits, so it always fits an i32.
    let biased = ((bits & EXPONENT_MASK) >> 52) as i32;
    let mantissa = f64::from_bits((bits & !EXPONENT_MASK) | (1022 << 52));
    (mantissa, biased - 1022 + adjust)
}

/// `sgn(v)`: -1 for negative, 1 for positive; zero (of either sign) and NaN unchanged.
pub fn sgn(v: f64) -> f64 {
    if v < 0.0 {
        -1.0
    } else if v > 0.0 {
        1.0
    } else {
        v
    }
}

/// `round(v, to_nearest)`: rounds to the nearest multiple of `to_nearest` (1 when the query
/// omits it), ties upwards. As upstream, it multiplies by the inverse of `to_nearest`
/// (`floor(v * (1/to) + 0.5) / (1/to)`), which is exact more often than dividing.
pub fn round(v: f64, to_nearest: f64) -> f64 {
    let inverse = 1.0 / to_nearest;
    (v * inverse + 0.5).floor() / inverse
}

/// Go's `math.Max`: `+Inf` wins over everything (even NaN), then NaN wins, and `+0` is larger
/// than `-0`.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a == f64::INFINITY || b == f64::INFINITY {
        f64::INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { b } else { a }
    } else if a > b {
        a
    } else {
        b
    }
}

/// Go's `math.Min`: `-Inf` wins over everything (even NaN), then NaN wins, and `-0` is smaller
/// than `+0`.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { a } else { b }
    } else if a < b {
        a
    } else {
        b
    }
}

/// `clamp(v, min, max)`: `v` limited to `[min, max]`. `None` (no output sample) when
/// `max < min`; a NaN bound gives NaN, as Go's `math.Max`/`math.Min` do.
pub fn clamp(v: f64, min: f64, max: f64) -> Option<f64> {
    if max < min {
        return None;
    }
    Some(go_max(min, go_min(max, v)))
}

/// `clamp_min(v, min)`: `v` limited to at least `min` (upstream's `clamp(v, min, +Inf)`).
pub fn clamp_min(v: f64, min: f64) -> f64 {
    go_max(min, go_min(f64::INFINITY, v))
}

/// `clamp_max(v, max)`: `v` limited to at most `max` (upstream's `clamp(v, -Inf, max)`).
pub fn clamp_max(v: f64, max: f64) -> f64 {
    go_max(f64::NEG_INFINITY, go_min(max, v))
}

/// `max_of(a, b)`: the larger scalar, NaN if either is NaN (Go's `math.Max`).
pub fn max_of(a: f64, b: f64) -> f64 {
    go_max(a, b)
}

/// `min_of(a, b)`: the smaller scalar, NaN if either is NaN (Go's `math.Min`).
pub fn min_of(a: f64, b: f64) -> f64 {
    go_min(a, b)
}

/// `sin(v)`, radians.
pub fn sin(v: f64) -> f64 {
    v.sin()
}

/// `cos(v)`, radians.
pub fn cos(v: f64) -> f64 {
    v.cos()
}

/// `tan(v)`, radians.
pub fn tan(v: f64) -> f64 {
    v.tan()
}

/// `asin(v)`; NaN outside `[-1, 1]`.
pub fn asin(v: f64) -> f64 {
    v.asin()
}

/// `acos(v)`; NaN outside `[-1, 1]`.
pub fn acos(v: f64) -> f64 {
    v.acos()
}

/// `atan(v)`.
pub fn atan(v: f64) -> f64 {
    v.atan()
}

/// `sinh(v)`.
pub fn sinh(v: f64) -> f64 {
    v.sinh()
}

/// `cosh(v)`.
pub fn cosh(v: f64) -> f64 {
    v.cosh()
}

/// `tanh(v)`.
pub fn tanh(v: f64) -> f64 {
    v.tanh()
}

/// `asinh(v)`.
pub fn asinh(v: f64) -> f64 {
    v.asinh()
}

/// `acosh(v)`; NaN below 1.
pub fn acosh(v: f64) -> f64 {
    v.acosh()
}

/// `atanh(v)`; NaN outside `[-1, 1]`, ±Inf at ±1.
pub fn atanh(v: f64) -> f64 {
    v.atanh()
}

/// `deg(v)`: radians to degrees, as `v * 180 / pi` in that order.
pub fn deg(v: f64) -> f64 {
    v * 180.0 / std::f64::consts::PI
}

/// `rad(v)`: degrees to radians, as `v * pi / 180` in that order.
pub fn rad(v: f64) -> f64 {
    v * std::f64::consts::PI / 180.0
}

/// `pi()`.
pub fn pi() -> f64 {
    std::f64::consts::PI
}

/// Days from 1 January of [`ABSOLUTE_EPOCH_YEAR`] to the Unix epoch.
const EPOCH_TO_UNIX_DAYS: u64 = 730_692_556 * DAYS_PER_400_YEARS + 719_162;

/// The year the unsigned calendar arithmetic counts from, as Go's `time` package does. It is
/// 1 (mod 400), so it starts a Gregorian 400-year cycle on a Monday, and it lies so far back
/// that every `i64` of Unix seconds maps to an unsigned offset; Go wraps the few lowest `i64`
/// values (including `i64::MIN`, which is what NaN converts to) around to year 292277026596.
const ABSOLUTE_EPOCH_YEAR: i64 = -292_277_022_399;

/// Seconds from the absolute epoch to the Unix epoch.
const UNIX_TO_ABSOLUTE_SECONDS: u64 = EPOCH_TO_UNIX_DAYS * SECONDS_PER_DAY;

const SECONDS_PER_DAY: u64 = 86_400;
const DAYS_PER_400_YEARS: u64 = 146_097;

/// A UTC civil date and time of day, as the date functions report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CivilTime {
    year: i64,
    /// 1..=12.
    month: u32,
    /// 1..=31.
    day: u32,
    /// 1..=366.
    day_of_year: u32,
    /// 0 = Sunday .. 6 = Saturday.
    day_of_week: u32,
    hour: u32,
    minute: u32,
}

/// Go's `int64(f)` on x86-64 (the platform Prometheus is built for in practice): truncation
/// towards zero, and `i64::MIN` for NaN, the infinities and anything out of range.
fn go_float_to_seconds(seconds: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    // NaN is outside every range too.
    if !(-LIMIT..LIMIT).contains(&seconds) {
        return i64::MIN;
    }
    // In range, so the cast truncates without saturating.
    seconds as i64
}

/// True for leap years of the proleptic Gregorian calendar (year 0 is one).
fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Days of `month` (1..=12) in `year`.
fn month_length(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The UTC civil time `seconds` after the Unix epoch, with Go's `time.Unix(int64(seconds), 0)`
/// semantics: fractions truncated towards zero, out-of-range and non-finite input as `i64::MIN`,
/// and the proleptic Gregorian calendar for negative timestamps.
fn civil_time(seconds: f64) -> CivilTime {
    let unix = go_float_to_seconds(seconds);
    // Two's-complement reinterpretation plus wrapping add: exactly Go's unsigned arithmetic.
    let absolute = (unix as u64).wrapping_add(UNIX_TO_ABSOLUTE_SECONDS);
    let days = absolute / SECONDS_PER_DAY;
    let second_of_day = absolute % SECONDS_PER_DAY;
    // Both remainders are small, so the narrowing conversions are lossless.
    let hour = (second_of_day / 3600) as u32;
    let minute = (second_of_day % 3600 / 60) as u32;
    // The absolute epoch is a Monday (1); Sunday is 0.
    let day_of_week = ((days + 1) % 7) as u32;
    let (year, day_of_year) = year_and_day(days);
    let (month, day) = month_and_day(year, day_of_year);
    CivilTime {
        year,
        month,
        day,
        day_of_year,
        day_of_week,
        hour,
        minute,
    }
}

/// Splits days since the absolute epoch into the year and the 1-based day of that year.
fn year_and_day(days: u64) -> (i64, u32) {
    let cycles = days / DAYS_PER_400_YEARS;
    let mut rest = days % DAYS_PER_400_YEARS;
    // Each cycle starts at a year = 1 (mod 400): centuries 1..=3 of it are 36524 days long,
    // the fourth (ending in the 400-divisible leap year) 36525.
    let centuries = (rest / 36_524).min(3);
    rest -= centuries * 36_524;
    // Within a century, 4-year blocks of 1461 days; the century's last block may lack its leap
    // day, which only shortens the final block.
    let blocks = rest / 1461;
    rest -= blocks * 1461;
    // Within a block, years of 365 days, the fourth one a leap year of 366.
    let years = (rest / 365).min(3);
    rest -= years * 365;
    let years_since_epoch = cycles * 400 + centuries * 100 + blocks * 4 + years;
    // `years_since_epoch` < 2^64 / 365 / 86400 < 2^40 and `rest` < 366, so both conversions are
    // lossless.
    (
        ABSOLUTE_EPOCH_YEAR + years_since_epoch as i64,
        rest as u32 + 1,
    )
}

/// The month (1..=12) and day of month of the `day_of_year`-th (1-based) day of `year`.
fn month_and_day(year: i64, day_of_year: u32) -> (u32, u32) {
    let mut remaining = day_of_year;
    for month in 1..12 {
        let length = month_length(year, month);
        if remaining <= length {
            return (month, remaining);
        }
        remaining -= length;
    }
    (12, remaining)
}

/// `minute(v)`: the UTC minute of the hour (0..=59) of `v` seconds since the epoch.
pub fn minute(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).minute)
}

/// `hour(v)`: the UTC hour of the day (0..=23).
pub fn hour(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).hour)
}

/// `day_of_week(v)`: the UTC day of the week, 0 = Sunday .. 6 = Saturday.
pub fn day_of_week(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).day_of_week)
}

/// `day_of_month(v)`: the UTC day of the month (1..=31).
pub fn day_of_month(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).day)
}

/// `day_of_year(v)`: the UTC day of the year (1..=365, 366 in leap years).
pub fn day_of_year(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).day_of_year)
}

/// `days_in_month(v)`: the number of days (28..=31) in the UTC month of `v`.
pub fn days_in_month(seconds: f64) -> f64 {
    let time = civil_time(seconds);
    f64::from(month_length(time.year, time.month))
}

/// `month(v)`: the UTC month (1..=12).
pub fn month(seconds: f64) -> f64 {
    f64::from(civil_time(seconds).month)
}

/// `year(v)`: the UTC year (proleptic Gregorian, so 0 and negative years occur).
///
/// The date functions take seconds as `f64`; with no argument the query means the evaluation
/// time, which the evaluator passes as `t_ms as f64 / 1000.0` (truncated the same way as
/// upstream's integer `t_ms / 1000`). NaN, ±Inf and values beyond ±2^63 behave like upstream on
/// x86-64: they all read as the instant 2^63 s after the epoch, 292277026596-12-04 15:30 UTC.
pub fn year(seconds: f64) -> f64 {
    // Years stay within about ±2.9e11, exactly representable in an f64.
    civil_time(seconds).year as f64
}

#[cfg(test)]
#[path = "instant_tests.rs"]
mod tests;
