//! Expected values come from Prometheus's `aggregators.test` and `limit.test` (3.14) or, for tie
//! orders and number formats, from running the corresponding Go code (`container/heap` +
//! `sort.Sort`, `strconv`, `fmt`) on the same inputs.

use super::*;

/// Runs one step of `op` over `values`.
fn aggregate(op: AggregateOp, param: f64, values: &[f64]) -> Option<f64> {
    let mut acc = Accumulator::new(op);
    acc.start_step(param);
    values.iter().for_each(|&v| acc.add(v));
    acc.finish()
}

fn agg(op: AggregateOp, values: &[f64]) -> f64 {
    aggregate(op, f64::NAN, values).unwrap_or(-12345.0)
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;
/// `9.988465674311579e+307` in `aggregators.test`; the same float.
const BIG: f64 = 9.988_465_674_311_58e307;

#[test]
fn kahan_sum_keeps_what_plain_addition_loses() {
    assert_eq!(agg(AggregateOp::Sum, &[1e100, 1.0, -1e100]), 1.0);
    assert_eq!(agg(AggregateOp::Sum, &[2.0, 8.0, 1e100, -1e100]), 10.0);
    assert_eq!(agg(AggregateOp::Avg, &[2.0, 8.0, 1e100, -1e100]), 2.5);
    // Plain left-to-right addition gives 0 here.
    assert_eq!(1e100 + 1.0 - 1e100, 0.0);
}

#[test]
fn kahan_compensation_resets_on_infinity() {
    assert_eq!(kahan_sum_inc(INF, 1.0, 0.5), (INF, 0.0));
    assert_eq!(agg(AggregateOp::Sum, &[INF, 2.0]), INF);
    assert_eq!(agg(AggregateOp::Sum, &[2.0, -INF]), -INF);
    assert!(agg(AggregateOp::Sum, &[INF, -INF]).is_nan());
    assert!(agg(AggregateOp::Sum, &[NAN, 2.0]).is_nan());
    assert!(agg(AggregateOp::Sum, &[2.0, NAN]).is_nan());
}

#[test]
fn avg_matches_aggregators_test() {
    let cases: &[(&[f64], f64)] = &[
        (&[8.0, 10.0, 12.0], 10.0),
        (&[0.0, INF, INF, 0.0], INF),
        (&[INF, 0.0, INF], INF),
        (&[-INF, -INF, 0.0], -INF),
        (&[-INF, 0.0, -INF], -INF),
        (&[INF, INF, -INF], NAN),
        (&[-INF, -INF, INF], NAN),
        (&[-INF, 0.0, INF], NAN),
        (&[INF, 2.0], INF),
        (&[2.0, -INF], -INF),
        (&[INF, -INF], NAN),
        (&[NAN, 2.0], NAN),
        (&[NAN], NAN),
    ];
    for &(values, want) in cases {
        let got = agg(AggregateOp::Avg, values);
        assert!(same(got, want), "avg({values:?}) = {got}, want {want}");
    }
}

#[test]
fn avg_switches_to_incremental_mean_instead_of_overflowing() {
    assert_eq!(agg(AggregateOp::Avg, &[BIG; 4]), BIG);
    assert_eq!(agg(AggregateOp::Avg, &[-BIG; 4]), -BIG);
    assert_eq!(agg(AggregateOp::Avg, &[-BIG, -BIG, BIG, BIG]), 0.0);
    // The direct sum would be +Inf.
    assert!((BIG + BIG).is_infinite());
}

#[test]
fn avg_of_equal_values_is_exact() {
    assert_eq!(agg(AggregateOp::Avg, &[52.0; 12]), 52.0);
    assert_eq!(agg(AggregateOp::Avg, &[52.0; 9]), 52.0);
}

#[test]
fn stddev_and_stdvar() {
    let values = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0];
    assert_eq!(agg(AggregateOp::Stdvar, &values), 52500.0);
    assert!((agg(AggregateOp::Stddev, &values) - 229.12878474779).abs() < 1e-9);
    assert_eq!(agg(AggregateOp::Stddev, &[1.0, 2.0]), 0.5);
    assert_eq!(agg(AggregateOp::Stdvar, &[1.0, 2.0]), 0.25);
    assert_eq!(agg(AggregateOp::Stddev, &[7.0]), 0.0);
}

#[test]
fn stddev_of_constant_values_is_exactly_zero() {
    let v = 0.0 + 1.33 * 10.0;
    assert_eq!(agg(AggregateOp::Stddev, &[v, v, v]), 0.0);
    assert_eq!(agg(AggregateOp::Stdvar, &[v, v, v]), 0.0);
    assert_eq!(agg(AggregateOp::Stddev, &[0.1; 1000]), 0.0);
}

#[test]
fn stddev_with_nan_or_infinity_is_nan() {
    assert!(agg(AggregateOp::Stddev, &[1.0, 2.0, NAN]).is_nan());
    assert!(agg(AggregateOp::Stdvar, &[NAN]).is_nan());
    assert!(agg(AggregateOp::Stddev, &[INF]).is_nan());
    assert!(agg(AggregateOp::Stddev, &[1.0, INF]).is_nan());
}

#[test]
fn min_and_max_replace_nan_by_any_number() {
    assert_eq!(agg(AggregateOp::Max, &[NAN, 1.0, NAN, 3.0, 2.0]), 3.0);
    assert_eq!(agg(AggregateOp::Min, &[NAN, 1.0, NAN, 3.0, 0.5]), 0.5);
    assert_eq!(agg(AggregateOp::Max, &[2.0, NAN]), 2.0);
    assert_eq!(agg(AggregateOp::Min, &[-INF, 2.0]), -INF);
    assert!(agg(AggregateOp::Max, &[NAN, NAN]).is_nan());
    assert!(agg(AggregateOp::Min, &[NAN]).is_nan());
}

#[test]
fn count_and_group() {
    assert_eq!(agg(AggregateOp::Count, &[NAN, 1.0, INF]), 3.0);
    assert_eq!(agg(AggregateOp::Group, &[5.0, NAN]), 1.0);
    assert_eq!(agg(AggregateOp::Group, &[NAN]), 1.0);
}

#[test]
fn quantile_uses_this_steps_phi() {
    assert_eq!(
        aggregate(AggregateOp::Quantile, 0.8, &[0.0, 1.0]),
        Some(0.8)
    );
    let got = aggregate(AggregateOp::Quantile, 0.8, &[0.0, 1.0, 2.0]).unwrap_or(NAN);
    assert!((got - 1.6).abs() < 1e-12);
    let got = aggregate(AggregateOp::Quantile, 0.8, &[0.0, 1.0, 4.0]).unwrap_or(NAN);
    assert!((got - 2.8).abs() < 1e-12);
    assert_eq!(aggregate(AggregateOp::Quantile, -1.0, &[1.0]), Some(-INF));
    assert_eq!(aggregate(AggregateOp::Quantile, 2.0, &[1.0]), Some(INF));
    assert!(aggregate(AggregateOp::Quantile, NAN, &[1.0]).is_some_and(f64::is_nan));
}

#[test]
fn accumulator_is_reusable_across_steps() {
    let mut acc = Accumulator::new(AggregateOp::Quantile);
    acc.start_step(0.5);
    [1.0, 2.0, 3.0].iter().for_each(|&v| acc.add(v));
    assert_eq!(acc.finish(), Some(2.0));
    acc.start_step(1.0);
    assert!(acc.is_empty());
    assert_eq!(acc.finish(), None);
    acc.add(10.0);
    assert_eq!(acc.finish(), Some(10.0));

    let mut acc = Accumulator::new(AggregateOp::Avg);
    acc.start_step(NAN);
    [BIG, BIG].iter().for_each(|&v| acc.add(v));
    assert_eq!(acc.finish(), Some(BIG));
    // A new step starts from a direct sum again.
    acc.start_step(NAN);
    [1.0, 2.0].iter().for_each(|&v| acc.add(v));
    assert_eq!(acc.finish(), Some(1.5));
    assert_eq!(acc.op(), AggregateOp::Avg);
}

fn ranked(rank: Rank, k: usize, values: &[f64]) -> Vec<usize> {
    let mut out = vec![99];
    select_ranked(rank, k, values, &mut out);
    out
}

fn first(k: usize, values: &[f64]) -> Vec<usize> {
    let mut out = Vec::new();
    select_first(k, values, &mut out);
    out
}

#[test]
fn topk_and_bottomk_put_nan_last() {
    // aggregators.test at 50m; index 2 is the NaN series.
    let v = [100.0, 200.0, NAN, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0];
    assert_eq!(ranked(Rank::Top, 3, &v), [8, 7, 6]);
    assert_eq!(ranked(Rank::Bottom, 3, &v), [0, 1, 3]);
    assert_eq!(ranked(Rank::Top, 9, &v), [8, 7, 6, 5, 4, 3, 1, 0, 2]);
    assert_eq!(ranked(Rank::Bottom, 9, &v), [0, 1, 3, 4, 5, 6, 7, 8, 2]);
    assert_eq!(ranked(Rank::Top, 3, &[100.0, 200.0, NAN]), [1, 0, 2]);
    assert_eq!(ranked(Rank::Bottom, 3, &[100.0, 200.0, NAN]), [0, 1, 2]);
    assert_eq!(ranked(Rank::Top, 0, &v), Vec::<usize>::new());
}

/// Orders produced by Go (see the module doc) for inputs with ties and NaNs.
#[test]
fn topk_and_bottomk_break_ties_like_upstream() {
    let ties = [1.0, 3.0, 3.0, 2.0, 3.0, 1.0, NAN, 3.0];
    let expected: &[(usize, &[usize], &[usize])] = &[
        (1, &[1], &[0]),
        (2, &[2, 1], &[5, 0]),
        (3, &[4, 1, 2], &[0, 5, 3]),
        (5, &[7, 2, 1, 4, 3], &[0, 5, 3, 4, 2]),
        (8, &[1, 4, 2, 7, 3, 0, 5, 6], &[5, 0, 3, 4, 1, 7, 2, 6]),
    ];
    for &(k, top, bottom) in expected {
        assert_eq!(ranked(Rank::Top, k, &ties), top, "topk {k}");
        assert_eq!(ranked(Rank::Bottom, k, &ties), bottom, "bottomk {k}");
    }
    let nans = [NAN, NAN, 1.0, NAN, 2.0, 2.0];
    assert_eq!(ranked(Rank::Top, 2, &nans), [5, 4]);
    assert_eq!(ranked(Rank::Top, 3, &nans), [4, 5, 2]);
    assert_eq!(ranked(Rank::Top, 6, &nans), [4, 5, 2, 0, 1, 3]);
    assert_eq!(ranked(Rank::Bottom, 5, &nans), [2, 5, 4, 0, 1]);
    assert_eq!(ranked(Rank::Bottom, 6, &nans), [2, 5, 4, 0, 1, 3]);
    assert_eq!(ranked(Rank::Top, 5, &[5.0; 5]), [0, 1, 2, 3, 4]);
    let alternating: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 2.0 } else { 1.0 })
        .collect();
    assert_eq!(ranked(Rank::Top, 5, &alternating), [8, 6, 2, 0, 4]);
    assert_eq!(ranked(Rank::Bottom, 5, &alternating), [9, 5, 7, 3, 1]);
    assert_eq!(
        ranked(Rank::Top, 12, &alternating),
        [16, 12, 14, 18, 6, 0, 8, 4, 10, 2, 5, 11]
    );
    assert_eq!(
        ranked(Rank::Bottom, 12, &alternating),
        [17, 13, 15, 5, 19, 7, 3, 9, 1, 11, 2, 6]
    );
}

#[test]
fn large_selections_are_sorted_strongest_first() {
    let values: Vec<f64> = (0..40).map(|i| f64::from((i * 7) % 13)).collect();
    let top = ranked(Rank::Top, 30, &values);
    assert_eq!(top.len(), 30);
    assert!(top.windows(2).all(|w| values[w[0]] >= values[w[1]]));
    let bottom = ranked(Rank::Bottom, 30, &values);
    assert!(bottom.windows(2).all(|w| values[w[0]] <= values[w[1]]));
    let mut with_nan = values.clone();
    with_nan[3] = NAN;
    assert_eq!(ranked(Rank::Top, 40, &with_nan).last(), Some(&3));
    assert_eq!(ranked(Rank::Bottom, 40, &with_nan).last(), Some(&3));
}

#[test]
fn limitk_takes_the_first_k_in_heap_order() {
    let v = [100.0, 200.0, NAN, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0];
    assert_eq!(first(1, &v), [0]);
    assert_eq!(first(2, &v), [0, 1]);
    assert_eq!(first(3, &v), [2, 1, 0]);
    assert_eq!(first(5, &v), [2, 1, 0, 3, 4]);
    assert_eq!(first(100, &v), [2, 1, 0, 3, 4, 5, 6, 7, 8]);
    let ties = [1.0, 3.0, 3.0, 2.0, 3.0, 1.0, NAN, 3.0];
    assert_eq!(first(5, &ties), [0, 3, 2, 1, 4]);
    assert_eq!(first(8, &ties), [6, 3, 0, 1, 4, 2, 5, 7]);
    assert_eq!(first(0, &ties), Vec::<usize>::new());
}

#[test]
fn limit_ratio_selects_complementary_sets() {
    let hashes: Vec<u64> = (0..200u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let values = vec![1.0; hashes.len()];
    for ratio in [0.2, 0.5, 0.8, 5.0 / 17.0] {
        let (mut kept, mut complement) = (Vec::new(), Vec::new());
        select_ratio(ratio, &values, &hashes, &mut kept);
        select_ratio(ratio - 1.0, &values, &hashes, &mut complement);
        assert_eq!(kept.len() + complement.len(), hashes.len(), "ratio {ratio}");
        assert!(kept.iter().all(|i| !complement.contains(i)));
    }
    let mut all = Vec::new();
    select_ratio(1.0, &values, &hashes, &mut all);
    assert_eq!(all.len(), hashes.len());
    select_ratio(-1.0, &values, &hashes, &mut all);
    assert_eq!(all.len(), hashes.len());
}

#[test]
fn ratio_offsets_follow_go_conversions() {
    assert_eq!(ratio_sample_offset(0), 0.0);
    assert_eq!(ratio_sample_offset(u64::MAX), 1.0);
    assert_eq!(ratio_sample_offset(18_446_744_073_709_550_592), 1.0);
    assert_eq!(ratio_sample_offset(1 << 63), 0.5);
    assert!(ratio_keeps(0.5, 0.49) && !ratio_keeps(0.5, 0.5));
    assert!(ratio_keeps(-0.5, 0.5) && !ratio_keeps(-0.5, 0.49));
    assert!(ratio_keeps(1.0, 0.999) && ratio_keeps(-1.0, 0.0));
    assert!(!ratio_keeps(f64::NAN, 0.1));
}

#[test]
fn xxh64_matches_reference_vectors() {
    // Reference values from the xxHash specification's implementation (seed 0).
    let hash = |data: &[u8]| {
        let mut h = Xxh64::new();
        h.write(data);
        h.finish()
    };
    assert_eq!(hash(b""), 0xEF46_DB37_51D8_E999);
    assert_eq!(hash(b"a"), 0xD24E_C4F1_A98C_6E5B);
    assert_eq!(hash(b"abc"), 0x44BC_2CF5_AD77_0999);
    let long: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let mut split = Xxh64::new();
    for chunk in long.chunks(7) {
        split.write(chunk);
    }
    assert_eq!(split.finish(), hash(&long));
    assert_eq!(hash(&long), XXH64_OF_1000_BYTES);
}

/// XXH64 of bytes 0, 1, …, 255, 0, 1, … (1000 bytes), from the `xxhash-rust` crate.
const XXH64_OF_1000_BYTES: u64 = 0x6EF4_36B0_0EBA_4078;

#[test]
fn prometheus_labels_hash_hashes_names_and_values_with_separators() {
    let labels = Labels::from_pairs([("__name__", "http_requests"), ("job", "api-server")])
        .unwrap_or_default();
    // XXH64 of `__name__\xffhttp_requests\xffjob\xffapi-server\xff`, from `xxhash-rust`.
    assert_eq!(prometheus_labels_hash(&labels), 0x60FD_61FB_7614_0E5E);
    assert_eq!(
        prometheus_labels_hash(&Labels::empty()),
        0xEF46_DB37_51D8_E999
    );
}

#[test]
fn k_parameter_checks_follow_upstream_order_and_messages() {
    let check = |values: &[f64]| ParamRange::of(values.iter().copied()).check_k();
    assert_eq!(check(&[]), Ok(ParamCheck::Empty));
    assert_eq!(check(&[0.0, 0.9, -5.0]), Ok(ParamCheck::Empty));
    assert_eq!(check(&[3.0]), Ok(ParamCheck::Evaluate));
    assert_eq!(check(&[0.0, 3.0]), Ok(ParamCheck::Evaluate));
    let message = |values: &[f64]| check(values).map_err(|e| e.to_string());
    assert_eq!(message(&[NAN]), Err("Parameter value is NaN".to_owned()));
    assert_eq!(
        message(&[0.0, NAN]),
        Err("Parameter value is NaN".to_owned())
    );
    assert_eq!(
        message(&[1e19]),
        Err("Scalar value 1e+19 overflows int64".to_owned())
    );
    assert_eq!(
        message(&[INF]),
        Err("Scalar value +Inf overflows int64".to_owned())
    );
    assert_eq!(
        message(&[9_223_372_036_854_774_784.0]),
        Err("Scalar value 9.223372036854775e+18 overflows int64".to_owned())
    );
    assert_eq!(
        check(&[9_223_372_036_854_773_760.0]),
        Ok(ParamCheck::Evaluate)
    );
    assert_eq!(
        message(&[-INF, 5.0]),
        Err("Scalar value -Inf underflows int64".to_owned())
    );
    assert_eq!(
        message(&[-1e19, 5.0]),
        Err("Scalar value -1e+19 underflows int64".to_owned())
    );
}

#[test]
fn ratio_parameter_checks() {
    let check = |values: &[f64]| ParamRange::of(values.iter().copied()).check_ratio();
    assert_eq!(check(&[0.0]), Ok(ParamCheck::Empty));
    assert_eq!(check(&[]), Ok(ParamCheck::Empty));
    assert_eq!(check(&[0.0, 0.5]), Ok(ParamCheck::Evaluate));
    assert_eq!(
        check(&[NAN]).map_err(|e| e.to_string()),
        Err("Ratio value is NaN".to_owned())
    );
    let range = ParamRange::of([1.1, -1.1, 0.3]);
    assert_eq!((range.min, range.max, range.has_nan), (-1.1, 1.1, false));
    let range = ParamRange::of([1.1, NAN, 0.3]);
    assert!(range.min.is_nan() && range.max.is_nan() && range.has_nan);
}

#[test]
fn per_step_parameters() {
    assert_eq!(step_k(3.0, 10), Some(3));
    assert_eq!(step_k(3.9, 10), Some(3));
    assert_eq!(step_k(9_999_999_999.0, 2), Some(2));
    assert_eq!(step_k(0.5, 10), None);
    assert_eq!(step_k(-1.0, 10), None);
    assert_eq!(step_k(5.0, 0), None);
    assert_eq!(step_k(NAN, 10), None);
    assert_eq!(step_ratio(0.0), None);
    assert_eq!(step_ratio(-0.0), None);
    assert_eq!(step_ratio(1.1), Some(1.0));
    assert_eq!(step_ratio(-1.1), Some(-1.0));
    assert_eq!(step_ratio(0.25), Some(0.25));
}

#[test]
fn count_values_labels_format_like_go() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (-1.0, "-1"),
        (0.1, "0.1"),
        (1.5, "1.5"),
        (1e21, "1000000000000000000000"),
        (1e20, "100000000000000000000"),
        (1e-7, "0.0000001"),
        (2.5e-5, "0.000025"),
        (123_456_789.123, "123456789.123"),
        (9.223_372_036_854_776e18, "9223372036854776000"),
        (2.0 / 3.0, "0.6666666666666666"),
        (INF, "+Inf"),
        (-INF, "-Inf"),
        (NAN, "NaN"),
    ];
    for &(v, want) in cases {
        assert_eq!(format_value_label(v), want, "{v:e}");
    }
    let tiny = format_value_label(5e-324);
    assert_eq!(tiny.len(), 2 + 323 + 1);
    assert!(tiny.starts_with("0.000") && tiny.ends_with("05"));
    let max = format_value_label(f64::MAX);
    assert!(max.starts_with("17976931348623157000") && max.len() == 309);
}

#[test]
fn go_g_format() {
    // (value, %g, %.2g, %.1g, %.3g), from Go.
    let cases: &[(f64, &str, &str, &str, &str)] = &[
        (0.0, "0", "0", "0", "0"),
        (-0.0, "-0", "-0", "-0", "-0"),
        (1.0, "1", "1", "1", "1"),
        (0.1, "0.1", "0.1", "0.1", "0.1"),
        (1e21, "1e+21", "1e+21", "1e+21", "1e+21"),
        (1e-7, "1e-07", "1e-07", "1e-07", "1e-07"),
        (
            123_456_789.123,
            "1.23456789123e+08",
            "1.2e+08",
            "1e+08",
            "1.23e+08",
        ),
        (5e-324, "5e-324", "4.9e-324", "5e-324", "4.94e-324"),
        (
            f64::MAX,
            "1.7976931348623157e+308",
            "1.8e+308",
            "2e+308",
            "1.8e+308",
        ),
        (1.5, "1.5", "1.5", "2", "1.5"),
        (2.5e-5, "2.5e-05", "2.5e-05", "3e-05", "2.5e-05"),
        (100_000.0, "100000", "1e+05", "1e+05", "1e+05"),
        (1e6, "1e+06", "1e+06", "1e+06", "1e+06"),
        (0.0001, "0.0001", "0.0001", "0.0001", "0.0001"),
        (1e-5, "1e-05", "1e-05", "1e-05", "1e-05"),
        (123_456.0, "123456", "1.2e+05", "1e+05", "1.23e+05"),
        (1_234_567.0, "1.234567e+06", "1.2e+06", "1e+06", "1.23e+06"),
        (2.0 / 3.0, "0.6666666666666666", "0.67", "0.7", "0.667"),
        (10.0, "10", "10", "1e+01", "10"),
        (100.0, "100", "1e+02", "1e+02", "100"),
        (5.5, "5.5", "5.5", "6", "5.5"),
    ];
    for &(v, g, g2, g1, g3) in cases {
        assert_eq!(format_float_g(v, None), g, "%g of {v:e}");
        assert_eq!(format_float_g(v, Some(2)), g2, "%.2g of {v:e}");
        assert_eq!(format_float_g(v, Some(1)), g1, "%.1g of {v:e}");
        assert_eq!(format_float_g(v, Some(3)), g3, "%.3g of {v:e}");
    }
    assert_eq!(format_float_g(INF, None), "+Inf");
    assert_eq!(format_float_g(-INF, Some(2)), "-Inf");
    assert_eq!(format_float_g(NAN, Some(2)), "NaN");
    assert_eq!(format_float_g(1.5, Some(0)), "2");
}

mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::promql::functions::histogram::parse_bucket_bound;

    /// Any float, weighted toward the values formatting and ordering get wrong.
    fn edge_float() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => any::<f64>(),
            2 => prop::sample::select(vec![
                0.0, -0.0, 1.0, -1.0, 0.1, 1e21, 1e-7, 1e6, 1e-5, 1e5, 5e-324, f64::MIN_POSITIVE,
                f64::MAX, -f64::MAX, INF, -INF, NAN,
            ]),
            2 => (-1000i32..1000).prop_map(|i| f64::from(i) / 8.0),
        ]
    }

    fn same_bits_or_nan(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
    }

    proptest! {
        #[test]
        fn printed_values_read_back(v in edge_float()) {
            let label = parse_bucket_bound(&format_value_label(v));
            prop_assert!(label.is_some_and(|back| same_bits_or_nan(back, v)));
            let g = parse_bucket_bound(&format_float_g(v, None));
            prop_assert!(g.is_some_and(|back| same_bits_or_nan(back, v)));
        }

        #[test]
        fn ranked_selection_keeps_the_strongest_in_order(
            values in prop::collection::vec(edge_float(), 0..40),
            k in 0usize..45,
            top in any::<bool>(),
        ) {
            let rank = if top { Rank::Top } else { Rank::Bottom };
            let mut out = Vec::new();
            select_ranked(rank, k, &values, &mut out);
            prop_assert_eq!(out.len(), k.min(values.len()));
            let mut unique = out.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), out.len());
            let order = |a: &f64, b: &f64| output_order(rank, *a, *b);
            let got: Vec<f64> = out.iter().map(|&i| values[i]).collect();
            prop_assert!(got.windows(2).all(|w| order(&w[0], &w[1]).is_le()));
            let mut all = values.clone();
            all.sort_by(order);
            let expected = &all[..out.len()];
            prop_assert!(got.iter().zip(expected).all(|(a, b)| order(a, b).is_eq()));
        }
    }
}
