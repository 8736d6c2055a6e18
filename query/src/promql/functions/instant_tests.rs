//! Tests for the element-wise kernels. Expected values come from Prometheus's conformance
//! scripts (`functions.test`, `trig_functions.test`), from Prometheus 2.42's `promtool` on
//! x86-64 (date functions of NaN / ±Inf), or from the proleptic Gregorian calendar.

use super::*;
use proptest::prelude::*;

/// promqltest's float comparison: relative tolerance 1e-6, NaN equal to NaN, zero exact.
fn assert_value(actual: f64, expected: f64) {
    if expected.is_nan() || actual.is_nan() {
        assert!(
            expected.is_nan() && actual.is_nan(),
            "expected {expected}, got {actual}"
        );
        return;
    }
    if actual == expected {
        return;
    }
    let tolerance = 1e-6 * (actual.abs() + expected.abs());
    assert!(
        expected != 0.0 && (actual - expected).abs() <= tolerance,
        "expected {expected}, got {actual}"
    );
}

/// An element-wise kernel with its arguments other than the sample value fixed.
type Kernel = fn(f64) -> f64;

/// A clamp with its bounds fixed; `None` when it gives no output.
type ClampKernel = fn(f64) -> Option<f64>;

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// `data{type=...}` from functions.test's abs/ceil/floor/round section:
/// positive, whole, negative, nwhole, zero, nzero, inf, ninf, nan.
const DATA: [f64; 9] = [2.5, 2.0, -2.5, -2.0, 0.0, -0.0, INF, -INF, NAN];

#[test]
fn abs_ceil_floor_round_over_special_values() {
    let cases: [(Kernel, [f64; 9]); 4] = [
        (abs, [2.5, 2.0, 2.5, 2.0, 0.0, 0.0, INF, INF, NAN]),
        (ceil, [3.0, 2.0, -2.0, -2.0, 0.0, 0.0, INF, -INF, NAN]),
        (floor, [2.0, 2.0, -3.0, -2.0, 0.0, 0.0, INF, -INF, NAN]),
        (
            |v| round(v, 1.0),
            [3.0, 2.0, -2.0, -2.0, 0.0, 0.0, INF, -INF, NAN],
        ),
    ];
    for (f, expected) in cases {
        for (v, want) in DATA.into_iter().zip(expected) {
            assert_value(f(v), want);
        }
    }
    assert!(abs(-0.0).is_sign_positive());
}

#[test]
fn round_to_a_multiple() {
    assert_eq!(round(17.5, 5.0), 20.0);
    assert_eq!(round(-7.5, 5.0), -5.0);
    assert_eq!(round(2.26, 0.1), 2.3);
    assert_eq!(round(1234.0, 100.0), 1200.0);
    // Ties round upwards, also below zero.
    assert_eq!(round(-0.5, 1.0), 0.0);
    // to_nearest 0 makes the inverse infinite: upstream yields NaN.
    assert!(round(3.0, 0.0).is_nan());
}

#[test]
fn sgn_keeps_zero_and_nan() {
    // test_sgn: -Inf Inf NaN -50 0 100 -> -1 1 NaN -1 0 1.
    for (v, want) in [
        (-INF, -1.0),
        (INF, 1.0),
        (NAN, NAN),
        (-50.0, -1.0),
        (0.0, 0.0),
        (100.0, 1.0),
    ] {
        assert_value(sgn(v), want);
    }
    assert!(sgn(-0.0).is_sign_negative());
}

#[test]
fn clamp_family() {
    // test_clamp: -50 0 100.
    let values = [-50.0, 0.0, 100.0];
    let cases: [(ClampKernel, [f64; 3]); 5] = [
        (|v| Some(clamp_max(v, 75.0)), [-50.0, 0.0, 75.0]),
        (|v| Some(clamp_min(v, -25.0)), [-25.0, 0.0, 100.0]),
        (|v| clamp(v, -25.0, 75.0), [-25.0, 0.0, 75.0]),
        (|v| clamp(v, 0.0, NAN), [NAN; 3]),
        (|v| clamp(v, NAN, 0.0), [NAN; 3]),
    ];
    for (f, expected) in cases {
        for (v, want) in values.into_iter().zip(expected) {
            let Some(got) = f(v) else {
                panic!("no output for {v}")
            };
            assert_value(got, want);
        }
    }
    // clamp(test_clamp, 5, -5): min above max, no output at all.
    for v in values {
        assert_eq!(clamp(v, 5.0, -5.0), None);
    }
    assert_eq!(clamp_max(clamp_min(-50.0, -20.0), 70.0), -20.0);
    assert_eq!(clamp_max(clamp_min(100.0, -20.0), 70.0), 70.0);
}

#[test]
fn clamp_follows_go_max_min_special_cases() {
    // A NaN sample stays NaN ...
    assert!(clamp_min(NAN, 0.0).is_nan());
    assert!(clamp_max(NAN, 0.0).is_nan());
    assert!(clamp(NAN, 0.0, 1.0).is_some_and(f64::is_nan));
    // ... except against an infinite bound, which wins over NaN in Go's math.Max / math.Min.
    assert_eq!(clamp_min(NAN, INF), INF);
    assert_eq!(clamp_max(NAN, -INF), -INF);
    // Signed zeros: Max prefers +0, Min prefers -0.
    assert!(clamp_min(-0.0, 0.0).is_sign_positive());
    assert!(clamp_max(0.0, -0.0).is_sign_negative());
}

#[test]
fn min_of_and_max_of() {
    assert_eq!(min_of(3.0, 5.0), 3.0);
    assert_eq!(min_of(5.0, 3.0), 3.0);
    assert_eq!(max_of(3.0, 5.0), 5.0);
    assert_eq!(max_of(4.0, 4.0), 4.0);
    assert_eq!(min_of(-2.0, -5.0), -5.0);
    assert_eq!(max_of(-2.0, -5.0), -2.0);
    for (a, b) in [(NAN, 3.0), (3.0, NAN)] {
        assert!(min_of(a, b).is_nan());
        assert!(max_of(a, b).is_nan());
    }
}

#[test]
fn exp_ln_sqrt_log2_log10() {
    // exp_root_log{l="x"} 10, {l="y"} 20.
    assert_value(exp(10.0), 22_026.465_794_806_718);
    assert_value(exp(20.0), 485_165_195.409_790_3);
    assert_value(exp(-10.0), 4.539_992_976_248_485_4e-5);
    assert_value(exp(0.0), 1.0);
    assert_value(ln(10.0), std::f64::consts::LN_10);
    assert_value(ln(20.0), 2.995_732_273_553_991);
    assert_value(ln(0.0), -INF);
    assert_value(ln(-10.0), NAN);
    assert_value(exp(ln(20.0)), 20.0);
    assert_value(sqrt(10.0), 3.162_277_660_168_379_5);
    assert_value(sqrt(20.0), 4.472_135_954_999_58);
    assert_value(log2(10.0), 3.321_928_094_887_362_6);
    assert_value(log2(20.0), 4.321_928_094_887_363);
    assert_value(log2(0.0), -INF);
    assert_value(log2(-10.0), NAN);
    assert_value(log10(10.0), 1.0);
    assert_value(log10(20.0), 1.301_029_995_663_981);
    assert_value(log10(0.0), -INF);
    assert_value(log10(-10.0), NAN);
}

#[test]
fn log2_is_exact_for_powers_of_two() {
    for exponent in -1074..=1023_i32 {
        // Built from bits: subnormal below 2^-1022, otherwise a bare biased exponent.
        let bits = if exponent < -1022 {
            1u64 << (exponent + 1074)
        } else {
            u64::from((exponent + 1023).unsigned_abs()) << 52
        };
        let v = f64::from_bits(bits);
        assert_eq!(log2(v), f64::from(exponent), "2^{exponent}");
    }
    assert_eq!(log2(INF), INF);
    assert!(log2(NAN).is_nan());
    assert!(log2(-8.0).is_nan());
}

#[test]
fn frexp_matches_go() {
    assert_eq!(frexp(8.0), (0.5, 4));
    assert_eq!(frexp(-3.0), (-0.75, 2));
    assert_eq!(frexp(1.0), (0.5, 1));
    assert_eq!(frexp(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
    assert_eq!(frexp(5e-324), (0.5, -1073));
    assert_eq!(frexp(0.0), (0.0, 0));
    assert_eq!(frexp(-INF), (-INF, 0));
}

#[test]
fn trigonometry() {
    // trig{l="x"} 10, {l="y"} 20, {l="NaN"} NaN.
    let cases: [(Kernel, f64, [f64; 2]); 9] = [
        (
            sin,
            0.0,
            [-0.544_021_110_889_369_9, 0.912_945_250_727_627_7],
        ),
        (
            cos,
            0.0,
            [-0.839_071_529_076_452_4, 0.408_082_061_813_391_96],
        ),
        (tan, 0.0, [0.648_360_827_459_086_7, 2.237_160_944_224_742_7]),
        (asin, -10.1, [-0.100_167_421_161_559_44, NAN]),
        (acos, -10.1, [1.670_963_747_956_456, NAN]),
        (
            atan,
            0.0,
            [1.471_127_674_303_734_5, 1.520_837_931_072_953_8],
        ),
        (
            sinh,
            0.0,
            [11_013.232_920_103_324, 2.425_825_977_048_951_4e8],
        ),
        (
            cosh,
            0.0,
            [11_013.232_920_103_324, 2.425_825_977_048_951_4e8],
        ),
        (tanh, 0.0, [0.999_999_995_877_692_7, 1.0]),
    ];
    for (f, shift, expected) in cases {
        for (v, want) in [10.0, 20.0].into_iter().zip(expected) {
            assert_value(f(v + shift), want);
        }
        assert!(f(NAN).is_nan());
    }
    assert_value(asinh(10.0), 2.998_222_950_297_97);
    assert_value(asinh(20.0), 3.689_503_868_988_905_5);
    assert_value(acosh(10.0), 2.993_222_846_126_381);
    assert_value(acosh(20.0), 3.688_253_867_361_296_6);
    assert_value(atanh(10.0 - 10.1), -0.100_335_347_731_075_22);
    assert_value(atanh(20.0 - 10.1), NAN);
    assert_eq!(pi().to_bits(), std::f64::consts::PI.to_bits());
}

#[test]
fn degrees_and_radians() {
    assert_value(rad(10.0), 0.174_532_925_199_432_95);
    assert_value(rad(20.0), 0.349_065_850_398_865_9);
    assert_eq!(rad(0.0), 0.0);
    assert_value(rad(-10.0), -0.174_532_925_199_432_95);
    assert_value(deg(10.0), 572.957_795_130_823_2);
    assert_value(deg(20.0), 1_145.915_590_261_646_5);
    assert_value(deg(-10.0), -572.957_795_130_823_2);
    assert!(deg(NAN).is_nan() && rad(NAN).is_nan());
    assert_value(deg(pi()), 180.0);
}

/// All date functions of one timestamp, in the order
/// year, month, day_of_month, day_of_year, day_of_week, hour, minute, days_in_month.
fn date_parts(seconds: f64) -> [f64; 8] {
    [
        year(seconds),
        month(seconds),
        day_of_month(seconds),
        day_of_year(seconds),
        day_of_week(seconds),
        hour(seconds),
        minute(seconds),
        days_in_month(seconds),
    ]
}

#[test]
fn date_functions_from_the_conformance_scripts() {
    // 1970-01-01 00:00 Thursday; 2006-01-02 22:04:05 Monday.
    assert_eq!(
        date_parts(0.0),
        [1970.0, 1.0, 1.0, 1.0, 4.0, 0.0, 0.0, 31.0]
    );
    assert_eq!(
        date_parts(1_136_239_445.0),
        [2006.0, 1.0, 2.0, 2.0, 1.0, 22.0, 4.0, 31.0]
    );
    // Around the 2008 leap second (UTC seconds ignore it).
    assert_eq!(year(1_230_767_999.0), 2008.0);
    assert_eq!(year(1_230_768_000.0), 2009.0);
    // 2016-02-29 23:59:59 and 2016-03-01 00:00:00.
    assert_eq!(
        (month(1_456_790_399.0), day_of_month(1_456_790_399.0)),
        (2.0, 29.0)
    );
    assert_eq!(
        (month(1_456_790_400.0), day_of_month(1_456_790_400.0)),
        (3.0, 1.0)
    );
    // 366th day of leap year 2016, 365th of 2022.
    assert_eq!(day_of_year(1_483_191_420.0), 366.0);
    assert_eq!(day_of_year(1_672_493_820.0), 365.0);
    // February 2016 and 2017.
    assert_eq!(days_in_month(1_454_284_800.0), 29.0);
    assert_eq!(days_in_month(1_485_907_200.0), 28.0);
}

#[test]
fn date_functions_before_the_epoch() {
    // 1969-12-31 23:59:59 Wednesday.
    assert_eq!(
        date_parts(-1.0),
        [1969.0, 12.0, 31.0, 365.0, 3.0, 23.0, 59.0, 31.0]
    );
    // Fractions truncate towards zero as Go's int64() does: -0.5 is still 1970-01-01 00:00:00.
    assert_eq!(date_parts(-0.5), date_parts(0.0));
    assert_eq!(minute(-1.5), 59.0);
    // 1900-02-01: 1900 is not a leap year, 2000 is.
    assert_eq!(days_in_month(-2_206_310_400.0), 28.0);
    assert_eq!(days_in_month(949_363_200.0), 29.0);
    assert_eq!(date_parts(-2_077_747_200.0)[..4], [1904.0, 2.0, 29.0, 60.0]);
    // 1600-02-29 12:34:56 Tuesday, day 60.
    assert_eq!(
        date_parts(-11_670_953_104.0),
        [1600.0, 2.0, 29.0, 60.0, 2.0, 12.0, 34.0, 29.0]
    );
    // 0001-01-01 Monday, and the day before it: 0000-12-31, year 0 being a leap year.
    assert_eq!(
        date_parts(-62_135_596_800.0),
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 31.0]
    );
    assert_eq!(
        date_parts(-62_135_596_801.0),
        [0.0, 12.0, 31.0, 366.0, 0.0, 23.0, 59.0, 31.0]
    );
}

#[test]
fn date_functions_of_non_finite_and_huge_input_match_upstream_on_x86_64() {
    // promtool 2.42 (amd64): year(vector(NaN)) = 292277026596, month 12, day_of_month 4,
    // day_of_year 339, day_of_week 0, hour 15, minute 30, days_in_month 31; the same for ±Inf.
    let wrapped = [292_277_026_596.0, 12.0, 4.0, 339.0, 0.0, 15.0, 30.0, 31.0];
    let two_63 = 2f64.powi(63);
    for v in [NAN, INF, -INF, 1e19, -1e19, two_63, -two_63 - 2048.0] {
        assert_eq!(date_parts(v), wrapped, "{v}");
    }
    // -2^63 itself and the largest double below 2^63 still convert.
    assert_eq!(go_float_to_seconds(-two_63), i64::MIN);
    assert_eq!(
        go_float_to_seconds(two_63 - 1024.0),
        9_223_372_036_854_774_784
    );
    // i64::MAX seconds is 292277026596-12-04 15:30:07.
    assert_eq!(civil_time(i64::MAX as f64 - 1024.0).year, 292_277_026_596);
}

/// Civil date by walking whole years and months from 1970: slow but obviously right.
fn naive_civil(seconds: i64) -> (i64, u32, u32, u32, u32) {
    let mut days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let mut year = 1970;
    let year_length = |y: i64| if is_leap_year(y) { 366 } else { 365 };
    while days < 0 {
        year -= 1;
        days += year_length(year);
    }
    while days >= year_length(year) {
        days -= year_length(year);
        year += 1;
    }
    let day_of_year = days + 1;
    let mut month = 1;
    while days >= i64::from(month_length(year, month)) {
        days -= i64::from(month_length(year, month));
        month += 1;
    }
    let hour = (second_of_day / 3600) as u32;
    (year, month, (days + 1) as u32, day_of_year as u32, hour)
}

proptest! {
    /// The cycle arithmetic agrees with walking the calendar, before and after the epoch.
    #[test]
    fn civil_time_matches_a_calendar_walk(seconds in -70_000_000_000i64..70_000_000_000) {
        let civil = civil_time(seconds as f64);
        let (y, m, d, yd, h) = naive_civil(seconds);
        let got = (civil.year, civil.month, civil.day, civil.day_of_year, civil.hour);
        prop_assert_eq!(got, (y, m, d, yd, h));
        // 1970-01-01 was a Thursday.
        let weekday = (seconds.div_euclid(86_400) + 4).rem_euclid(7);
        prop_assert_eq!(i64::from(civil.day_of_week), weekday);
        prop_assert_eq!(i64::from(civil.minute), seconds.rem_euclid(3600) / 60);
    }
}
