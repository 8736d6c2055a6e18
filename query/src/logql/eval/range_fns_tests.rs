use super::*;

const S: i64 = 1_000_000_000;

fn points(values: &[f64]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| Point {
            t: (i as i64 + 1) * 10 * S,
            v,
        })
        .collect()
}

fn apply(op: RangeOp, range_s: i64, param: Option<f64>, values: &[f64]) -> f64 {
    RangeKernel::new(op, range_s * S, param).apply(&points(values))
}

#[test]
fn counting_kernels() {
    assert_eq!(
        apply(RangeOp::CountOverTime, 60, None, &[1.0, 1.0, 1.0]),
        3.0
    );
    // rate of lines: 3 lines per 60 s; the extractor gives 1 per line.
    assert_eq!(apply(RangeOp::Rate, 60, None, &[1.0, 1.0, 1.0]), 0.05);
    // rate of an unwrapped range: sum of values per second.
    assert_eq!(apply(RangeOp::Rate, 10, None, &[4.0, 6.0]), 1.0);
    // bytes: the extractor gives each line's length.
    assert_eq!(apply(RangeOp::BytesOverTime, 60, None, &[10.0, 20.0]), 30.0);
    assert_eq!(apply(RangeOp::BytesRate, 60, None, &[10.0, 20.0]), 0.5);
    assert_eq!(apply(RangeOp::AbsentOverTime, 60, None, &[7.0]), 1.0);
}

#[test]
fn statistics_kernels() {
    let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    assert_eq!(apply(RangeOp::SumOverTime, 60, None, &v), 40.0);
    assert_eq!(apply(RangeOp::AvgOverTime, 60, None, &v), 5.0);
    assert_eq!(apply(RangeOp::MinOverTime, 60, None, &v), 2.0);
    assert_eq!(apply(RangeOp::MaxOverTime, 60, None, &v), 9.0);
    // Population variance of the classic example: 4, deviation 2.
    assert_eq!(apply(RangeOp::StdvarOverTime, 60, None, &v), 4.0);
    assert_eq!(apply(RangeOp::StddevOverTime, 60, None, &v), 2.0);
    assert_eq!(apply(RangeOp::FirstOverTime, 60, None, &v), 2.0);
    assert_eq!(apply(RangeOp::LastOverTime, 60, None, &v), 9.0);
}

#[test]
fn quantile_interpolates_between_ranks() {
    let v = [4.0, 1.0, 3.0, 2.0];
    // Sorted 1 2 3 4: rank 0.5 * 3 = 1.5 → 2.5; 0.9 → rank 2.7 → 3.7.
    assert_eq!(apply(RangeOp::QuantileOverTime, 60, Some(0.5), &v), 2.5);
    let q = apply(RangeOp::QuantileOverTime, 60, Some(0.9), &v);
    assert!((q - 3.7).abs() < 1e-12, "{q}");
    assert_eq!(apply(RangeOp::QuantileOverTime, 60, Some(0.0), &v), 1.0);
    assert_eq!(apply(RangeOp::QuantileOverTime, 60, Some(1.0), &v), 4.0);
    assert_eq!(
        apply(RangeOp::QuantileOverTime, 60, Some(-1.0), &v),
        f64::NEG_INFINITY
    );
    assert_eq!(
        apply(RangeOp::QuantileOverTime, 60, Some(2.0), &v),
        f64::INFINITY
    );
}

#[test]
fn min_and_max_skip_a_leading_nan() {
    let v = [f64::NAN, 3.0, 1.0];
    assert_eq!(apply(RangeOp::MaxOverTime, 60, None, &v), 3.0);
    assert_eq!(apply(RangeOp::MinOverTime, 60, None, &v), 1.0);
    assert!(apply(RangeOp::MaxOverTime, 60, None, &[f64::NAN]).is_nan());
}

#[test]
fn avg_keeps_an_infinite_mean() {
    let v = [f64::INFINITY, 1.0, f64::INFINITY];
    assert_eq!(apply(RangeOp::AvgOverTime, 60, None, &v), f64::INFINITY);
    let v = [f64::INFINITY, f64::NEG_INFINITY];
    assert!(apply(RangeOp::AvgOverTime, 60, None, &v).is_nan());
    // The incremental mean of 1, 2: 1, then 1 + 2/2 - 1/2 = 1.5.
    assert_eq!(apply(RangeOp::AvgOverTime, 60, None, &[1.0, 2.0]), 1.5);
}

#[test]
fn rate_counter_adds_resets_with_lokis_units() {
    // Samples 10 s apart: 5, 10, 2 (a reset), 6. Increase: (6 - 5) + 10 = 11.
    // Loki's quirk: timestamps are ns but the formula treats them as ms: the distance to the
    // start is range_ms / 1000 = 60 "seconds", the sampled interval (30e9 ns) / 1000 = 3e7,
    // the zero point 3e7 * 5 / 11 is further than 60, the threshold 1.1e7 is larger than 60,
    // so the interval is 3e7 + 60 and the rate 11 * (3e7 + 60) / 3e7 / 60.
    let got = apply(RangeOp::RateCounter, 60, None, &[5.0, 10.0, 2.0, 6.0]);
    let want = 11.0 * ((3e7 + 60.0) / 3e7) / 60.0;
    assert_eq!(got, want);
    // Fewer than two samples: 0.
    assert_eq!(apply(RangeOp::RateCounter, 60, None, &[5.0]), 0.0);
}

#[test]
fn go_seconds_matches_durations() {
    assert_eq!(go_seconds(90 * S), 90.0);
    assert_eq!(go_seconds(1_500_000_000), 1.5);
    assert_eq!(go_seconds(-2_500_000_000), -2.5);
}
