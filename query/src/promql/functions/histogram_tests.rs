//! Expected values come from Prometheus's `histograms.test` (3.14) at 50m, from the upstream
//! annotations test, or, for `le` parsing and times, from Go's `strconv.ParseFloat` and `time`.

use super::*;

const INF: f64 = f64::INFINITY;

fn buckets(pairs: &[(f64, f64)]) -> Vec<Bucket> {
    pairs
        .iter()
        .map(|&(upper_bound, count)| Bucket { upper_bound, count })
        .collect()
}

fn quantile(phi: f64, pairs: &[(f64, f64)]) -> f64 {
    histogram_quantile(phi, &mut buckets(pairs)).value
}

fn fraction(lower: f64, upper: f64, pairs: &[(f64, f64)]) -> f64 {
    histogram_fraction(lower, upper, &mut buckets(pairs))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// `testhistogram3` at 50m.
const POSITIVE3: &[(f64, f64)] = &[
    (0.0, 0.0),
    (0.1, 50.0),
    (0.2, 70.0),
    (1.0, 110.0),
    (INF, 110.0),
];
const NEGATIVE3: &[(f64, f64)] = &[
    (-0.25, 0.0),
    (-0.2, 10.0),
    (-0.1, 20.0),
    (0.3, 20.0),
    (INF, 20.0),
];
/// `testhistogram` at 50m, listed out of order.
const POSITIVE: &[(f64, f64)] = &[(INF, 120.0), (0.2, 70.0), (0.1, 50.0), (1.0, 110.0)];
const NEGATIVE: &[(f64, f64)] = &[(0.3, 20.0), (-0.1, 20.0), (INF, 30.0), (-0.2, 10.0)];

#[test]
fn quantiles_interpolate_inside_buckets() {
    let cases = [
        (0.0, 0.0, -0.25),
        (0.25, 0.055, -0.225),
        (0.5, 0.125, -0.2),
        (0.75, 0.45, -0.15),
        (1.0, 1.0, -0.1),
    ];
    for (phi, positive, negative) in cases {
        assert!(close(quantile(phi, POSITIVE3), positive), "phi {phi}");
        assert!(close(quantile(phi, NEGATIVE3), negative), "phi {phi}");
    }
    let cases = [
        (0.0, 0.0, -0.2),
        (0.2, 0.048, -0.2),
        (0.5, 0.15, -0.15),
        (0.8, 0.72, 0.3),
        (1.0, 1.0, 0.3),
    ];
    for (phi, positive, negative) in cases {
        assert!(close(quantile(phi, POSITIVE), positive), "phi {phi}");
        assert!(close(quantile(phi, NEGATIVE), negative), "phi {phi}");
    }
    let middle = &[
        (0.0, 0.0),
        (2.0, 10.0),
        (4.0, 20.0),
        (6.0, 30.0),
        (INF, 30.0),
    ];
    assert!(close(quantile(1.0 / 6.0, middle), 1.0));
    assert!(close(quantile(0.5, middle), 3.0));
    assert!(close(quantile(5.0 / 6.0, middle), 5.0));
}

#[test]
fn quantile_bounds_and_invalid_phi() {
    assert_eq!(quantile(-0.1, POSITIVE), -INF);
    assert_eq!(quantile(1.01, NEGATIVE), INF);
    assert!(quantile(f64::NAN, POSITIVE).is_nan());
    // Out-of-range φ does not even look at the buckets.
    assert_eq!(quantile(-0.1, &[]), -INF);
}

#[test]
fn quantile_needs_an_inf_bucket_two_bounds_and_observations() {
    assert!(quantile(0.5, &[(0.1, 1.0), (0.2, 2.0)]).is_nan());
    assert!(quantile(0.5, &[(INF, 5.0)]).is_nan());
    assert!(quantile(0.5, &[]).is_nan());
    assert!(quantile(0.2, &[(0.1, 0.0), (0.2, 0.0), (INF, 0.0)]).is_nan());
    // A NaN bound sorts after +Inf.
    assert!(quantile(0.5, &[(0.1, 1.0), (INF, 2.0), (f64::NAN, 2.0)]).is_nan());
}

#[test]
fn duplicate_upper_bounds_are_merged() {
    // `mixed_bucket` at 50m: le 0.2, 2e-1 and 2.0e-1 are one bucket.
    let mixed = &[
        (0.1, 10.0),
        (0.2, 10.0),
        (0.2, 10.0),
        (0.2, 10.0),
        (INF, 40.0),
    ];
    assert!(close(quantile(0.5, mixed), 0.15));
    assert!(close(quantile(0.75, mixed), 0.2));
    assert!(close(quantile(1.0, mixed), 0.2));
    // `+inf` and `+Inf` are one bucket, so fewer than two remain.
    assert!(quantile(0.5, &[(INF, 0.0), (INF, 0.0)]).is_nan());
}

#[test]
fn non_monotonic_buckets_are_repaired_and_reported() {
    // `nonmonotonic_bucket` at 50m.
    let pairs = &[
        (0.1, 20.0),
        (1.0, 10.0),
        (10.0, 50.0),
        (100.0, 40.0),
        (1000.0, 90.0),
        (INF, 80.0),
    ];
    let result = histogram_quantile(0.01, &mut buckets(pairs));
    assert!(close(result.value, 0.0045));
    let repair = MonotonicityRepair {
        min_bucket: 1.0,
        max_bucket: INF,
        max_diff: 10.0,
    };
    assert_eq!(result.forced_monotonicity, Some(repair));
    assert!(!result.ignored_small_deltas);
    assert!(close(quantile(0.5, pairs), 8.5));
    assert!(close(quantile(0.99, pairs), 979.75));
    let info = ForcedMonotonicityInfo::new(3_000_000, repair);
    assert_eq!(
        info.details(),
        ", from buckets 1 to +Inf, with a max diff of 10, over 1 samples from \
         1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z"
    );
    // Monotonic input reports nothing.
    let result = histogram_quantile(0.5, &mut buckets(POSITIVE));
    assert_eq!(result.forced_monotonicity, None);
}

#[test]
fn the_repair_envelope_keeps_the_last_accepted_count() {
    let mut b = buckets(&[(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (4.0, 6.0), (INF, 6.0)]);
    let result = histogram_quantile(0.5, &mut b);
    let counts: Vec<f64> = b.iter().map(|b| b.count).collect();
    assert_eq!(counts, [5.0, 5.0, 5.0, 6.0, 6.0]);
    let repair = result
        .forced_monotonicity
        .map(|r| (r.min_bucket, r.max_bucket, r.max_diff));
    assert_eq!(repair, Some((2.0, 3.0, 2.0)));
}

#[test]
fn small_deltas_are_evened_out_silently() {
    let count = 1e12;
    let pairs = &[(1.0, count), (2.0, count - 0.5), (INF, count)];
    let result = histogram_quantile(0.5, &mut buckets(pairs));
    assert!(result.ignored_small_deltas);
    assert_eq!(result.forced_monotonicity, None);
    assert!(close(result.value, 0.5));
    // A relative difference of 1e-12 or more is a real decrease.
    let pairs = &[(1.0, 100.0), (2.0, 99.0), (INF, 100.0)];
    let result = histogram_quantile(0.5, &mut buckets(pairs));
    assert!(!result.ignored_small_deltas);
    assert!(result.forced_monotonicity.is_some());
}

#[test]
fn almost_equal_is_relative() {
    assert!(almost_equal(1e12, 1e12 - 0.5, 1e-12));
    assert!(!almost_equal(1.0, 1.0 + 1e-11, 1e-12));
    assert!(almost_equal(f64::NAN, f64::NAN, 1e-12));
    assert!(!almost_equal(0.0, 1e-300, 1e-12));
    assert!(almost_equal(0.0, 0.0, 1e-12));
}

#[test]
fn monotonicity_details_merge_like_upstream() {
    let repair = |min_bucket, max_bucket, max_diff| MonotonicityRepair {
        min_bucket,
        max_bucket,
        max_diff,
    };
    let mut info = ForcedMonotonicityInfo::new(1_735_084_800_000, repair(5.0, 50.0, 5.5));
    info.merge(&ForcedMonotonicityInfo::new(
        1_703_462_400_000,
        repair(10.0, 100.0, 10.0),
    ));
    info.merge(&ForcedMonotonicityInfo::new(
        1_733_011_200_000,
        repair(2.5, 75.0, 7.5),
    ));
    assert_eq!(
        info.details(),
        ", from buckets 2.5 to 100, with a max diff of 10, over 3 samples from \
         2023-12-25T00:00:00Z to 2024-12-25T00:00:00Z"
    );
    assert!(FORCED_MONOTONICITY_INFO.ends_with("needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"));
    assert!(FORCED_MONOTONICITY_INFO.starts_with("PromQL info: input to histogram_quantile "));
}

#[test]
fn rfc3339_seconds_like_go() {
    let cases: &[(i64, &str)] = &[
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1970-01-01T00:00:00Z"),
        (-1001, "1969-12-31T23:59:59Z"),
        (1_703_462_400_000, "2023-12-25T00:00:00Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00Z"),
        (-62_135_596_801_000, "0000-12-31T23:59:59Z"),
        (253_402_300_800_000, "10000-01-01T00:00:00Z"),
    ];
    for &(ms, want) in cases {
        assert_eq!(format_rfc3339_seconds(ms), want, "{ms}");
    }
}

/// `testhistogram2` at 50m, and the classic cases of `histograms.test`.
#[test]
fn fractions_match_histograms_test() {
    let h2 = &[
        (0.0, 0.0),
        (2.0, 10.0),
        (4.0, 20.0),
        (6.0, 30.0),
        (INF, 30.0),
    ];
    assert!(close(fraction(0.0, 4.0, h2), 0.6666666666666666));
    assert!(close(fraction(0.0, 6.0, h2), 1.0));
    assert!(close(fraction(0.0, 3.5, h2), 0.5833333333333334));
    assert!(close(fraction(0.0, 0.2, POSITIVE3), 0.6363636363636364));
    assert_eq!(fraction(0.0, 0.2, NEGATIVE3), 0.0);
    let positive = &[(1.0, 1.0), (2.0, 3.0), (3.0, 6.0), (INF, 100.0)];
    let negative = &[(-3.0, 10.0), (-2.0, 12.0), (-1.0, 15.0), (INF, 100.0)];
    type Case<'a> = (f64, f64, &'a [(f64, f64)], f64);
    let cases: &[Case<'_>] = &[
        (0.0, 1.5, positive, 0.02),
        (-4.0, -2.0, negative, 0.02),
        (f64::NEG_INFINITY, -1.5, negative, 0.135),
        (f64::NEG_INFINITY, INF, positive, 1.0),
        (f64::NEG_INFINITY, INF, negative, 1.0),
        (4.0, 5.0, positive, 0.0),
        (0.0, 1.0, negative, 0.0),
        (2.0, 5.0, positive, 0.03),
        (400.0, INF, positive, 0.94),
        (2.0, 2.0, positive, 0.0),
        (3.0, 2.0, positive, 0.0),
        (2.0, 3.5, positive, 0.03),
        (0.5, 2.0, positive, 0.025),
        (1.0, 3.0, positive, 0.05),
        (0.1, 0.75, &[(0.5, 2.5), (1.0, 7.5), (INF, 100.0)], 0.045),
        (
            -1.0,
            1.0,
            &[
                (-2.0, 5.0),
                (-1.0, 10.0),
                (0.0, 15.0),
                (1.0, 20.0),
                (INF, 100.0),
            ],
            0.1,
        ),
        (-10.0, -5.0, &[(1.0, 1.0), (2.0, 3.0), (INF, 10.0)], 0.0),
        (5.0, 10.0, &[(1.0, 1.0), (2.0, 3.0), (INF, 10.0)], 0.0),
        (0.0, 1.0, &[(INF, 100.0)], 0.0),
    ];
    for &(lower, upper, pairs, want) in cases {
        let got = fraction(lower, upper, pairs);
        assert!(
            close(got, want),
            "fraction({lower}, {upper}) = {got}, want {want}"
        );
    }
}

#[test]
fn fraction_nan_cases() {
    let zero = &[(1.0, 0.0), (2.0, 0.0), (3.0, 0.0), (INF, 0.0)];
    assert!(fraction(0.0, 5.0, zero).is_nan());
    let one = &[(1.0, 1.0), (INF, 100.0)];
    assert!(fraction(f64::NAN, 1.0, one).is_nan());
    assert!(fraction(0.0, f64::NAN, one).is_nan());
    assert!(fraction(0.0, 1.0, &[(1.0, 1.0)]).is_nan());
    assert!(fraction(0.0, 1.0, &[]).is_nan());
    // Unsorted input and duplicate bounds are handled as for quantiles.
    let unsorted = &[(INF, 100.0), (2.0, 2.0), (2.0, 1.0), (1.0, 1.0)];
    assert!(close(fraction(0.0, 1.5, unsorted), 0.02));
}

#[test]
fn le_values_parse_like_go() {
    let ok: &[(&str, f64)] = &[
        ("+Inf", INF),
        ("Inf", INF),
        ("inf", INF),
        ("-Inf", f64::NEG_INFINITY),
        ("Infinity", INF),
        ("+infinity", INF),
        ("-INFINITY", f64::NEG_INFINITY),
        ("1e3", 1000.0),
        (".2", 0.2),
        ("1e0", 1.0),
        ("2.0e-1", 0.2),
        ("0.1", 0.1),
        ("1_000", 1000.0),
        ("1_000.5_5", 1000.55),
        ("1e1_0", 1e10),
        ("0x1p-2", 0.25),
        ("0x1.8p1", 3.0),
        ("0x_1p0", 1.0),
        ("0x1_0p0", 16.0),
        ("0x.8p1", 1.0),
        ("0X1P4", 16.0),
        ("0x1p-1074", 5e-324),
        ("0x1p-1075", 0.0),
        ("0x1.00000000000008p0", 1.0),
        ("0x1.000000000000080000001p0", 1.0000000000000002),
        ("1e-400", 0.0),
        ("1.", 1.0),
        ("1.e5", 1e5),
        ("+.5", 0.5),
        ("1e+5", 1e5),
        ("1E5", 1e5),
        ("00001", 1.0),
        ("1e00000000000000000001", 10.0),
        ("0x1p000000000000000000001", 2.0),
    ];
    for &(s, want) in ok {
        assert_eq!(parse_bucket_bound(s), Some(want), "{s:?}");
    }
    assert!(parse_bucket_bound("-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
    assert!(parse_bucket_bound("NaN").is_some_and(f64::is_nan));
    assert!(parse_bucket_bound("nan").is_some_and(f64::is_nan));
    let bad = [
        "infin",
        "+nan",
        "-NaN",
        "1__0",
        "_1",
        "1_",
        "1e_10",
        "0x10",
        "0xp1",
        "0x1p",
        "0x",
        "",
        "abc",
        "1e400",
        "-1e400",
        "Hello World",
        " 1",
        "1 ",
        ".e5",
        ".",
        "0b101",
        "0x1.fffffffffffff8p1023",
        "1e",
        "1e+",
        "1.2.3",
        "--1",
        "+-1",
    ];
    for s in bad {
        assert_eq!(parse_bucket_bound(s), None, "{s:?}");
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Buckets with small bounds (duplicates likely), counts that may decrease, and a `+Inf`
    /// bucket most of the time.
    fn histogram() -> impl Strategy<Value = Vec<Bucket>> {
        let bucket = (-3i32..8, 0u32..50).prop_map(|(bound, count)| Bucket {
            upper_bound: f64::from(bound) / 2.0,
            count: f64::from(count),
        });
        (
            prop::collection::vec(bucket, 0..10),
            any::<bool>(),
            0u32..60,
        )
            .prop_map(|(mut buckets, with_inf, inf_count)| {
                if with_inf {
                    buckets.push(Bucket {
                        upper_bound: INF,
                        count: f64::from(inf_count),
                    });
                }
                buckets
            })
    }

    proptest! {
        #[test]
        fn quantiles_stay_inside_the_finite_buckets(mut buckets in histogram(), phi in 0.0..=1.0f64) {
            let lowest = buckets.iter().map(|b| b.upper_bound).fold(0.0, f64::min);
            let highest = buckets
                .iter()
                .map(|b| b.upper_bound)
                .filter(|b| b.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            let mut bounds: Vec<f64> = buckets.iter().map(|b| b.upper_bound).collect();
            bounds.sort_by(f64::total_cmp);
            bounds.dedup();
            let distinct = bounds.len();
            let result = histogram_quantile(phi, &mut buckets);
            let v = result.value;
            prop_assert!(v.is_nan() || (lowest <= v && v <= highest), "{v} not in [{lowest}, {highest}]");
            // Whatever was repaired is monotonic now (the merged buckets are at the front).
            if result.forced_monotonicity.is_some() {
                let repaired = &buckets[..distinct];
                prop_assert!(repaired.windows(2).all(|w| w[0].count <= w[1].count));
            }
        }

        #[test]
        fn fractions_are_between_zero_and_one(
            mut buckets in histogram(),
            lower in -4.0..5.0f64,
            width in 0.0..6.0f64,
        ) {
            // Monotonic once buckets with equal bounds are merged (their counts summed, as
            // Prometheus's coalesceBuckets does): histogram_fraction does not repair the rest.
            let monotonic = {
                let mut sorted = buckets.clone();
                sorted.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
                let mut merged: Vec<Bucket> = Vec::new();
                for b in sorted {
                    match merged.last_mut() {
                        Some(last) if last.upper_bound == b.upper_bound => last.count += b.count,
                        _ => merged.push(b),
                    }
                }
                merged.windows(2).all(|w| w[0].count <= w[1].count)
            };
            let f = histogram_fraction(lower, lower + width, &mut buckets);
            if monotonic {
                prop_assert!(f.is_nan() || (0.0..=1.0).contains(&f), "{f}");
            }
        }
    }
}
