//! Tests for the extended-range-selector kernels. Expected values come from Prometheus's
//! `extended_vectors.test` (the load and eval lines are quoted above each case) or are worked out
//! by hand from upstream's definitions.

use super::*;
use proptest::prelude::*;

const S: i64 = 1000;
const M: i64 = 60 * S;
/// The default lookback delta, ms.
const LOOKBACK: i64 = 5 * M;

/// An extended kernel.
type Kernel = fn(ExtendedWindow<'_>) -> Option<f64>;

/// Samples `values[k]` at `k * interval`; `None` is a gap.
fn series(interval: i64, values: &[Option<f64>]) -> Vec<Sample> {
    values
        .iter()
        .zip(0..)
        .filter_map(|(v, k)| v.map(|v| Sample::new(k * interval, v)))
        .collect()
}

/// `first, first + 1, ...`, `count` values.
fn ramp(first: f64, count: usize) -> Vec<Option<f64>> {
    (0..count).map(|k| Some(first + k as f64)).collect()
}

/// The samples the evaluator hands a kernel for `x[range] <modifier>` evaluated at `end`.
fn around(samples: &[Sample], end: i64, range: i64, modifier: SelectorModifier) -> Vec<Sample> {
    let after = match modifier {
        SelectorModifier::Anchored => 0,
        SelectorModifier::Smoothed => LOOKBACK,
    };
    samples
        .iter()
        .copied()
        .filter(|s| s.t > end - range - LOOKBACK && s.t <= end + after)
        .collect()
}

/// `kernel` over `x[range] <modifier>` at `end`.
fn eval(
    kernel: Kernel,
    samples: &[Sample],
    end: i64,
    range: i64,
    modifier: SelectorModifier,
) -> Option<f64> {
    let selected = around(samples, end, range, modifier);
    kernel(ExtendedWindow::new(&selected, end - range, end))
}

fn assert_close(actual: Option<f64>, expected: f64) {
    let Some(actual) = actual else {
        panic!("expected {expected}, got no value");
    };
    let tolerance = 1e-9 * (actual.abs() + expected.abs()).max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected}, got {actual}"
    );
}

/// `load 15s / metric 1+1x4 9+1x4` (PROM-52, complete dataset).
fn complete() -> Vec<Sample> {
    let mut values = ramp(1.0, 5);
    values.extend(ramp(9.0, 5));
    series(15 * S, &values)
}

/// `load 15s / metric 1+1x2 _ _ 9+1x4` (PROM-52, partial dataset).
fn partial() -> Vec<Sample> {
    let mut values = ramp(1.0, 3);
    values.extend([None, None]);
    values.extend(ramp(9.0, 5));
    series(15 * S, &values)
}

#[test]
fn anchored_increase_takes_the_difference_from_the_anchor() {
    use SelectorModifier::Anchored;
    // eval instant at <t> increase(metric[1m] anchored), t = 5s, 20s, ..., 125s.
    let times = [5, 20, 35, 50, 65, 80, 95, 110, 125];
    let expect_complete = [0.0, 1.0, 2.0, 3.0, 4.0, 7.0, 7.0, 7.0, 7.0];
    let expect_partial = [0.0, 1.0, 2.0, 2.0, 2.0, 7.0, 7.0, 8.0, 9.0];
    for ((t, c), p) in times.iter().zip(expect_complete).zip(expect_partial) {
        assert_close(eval(anchored_increase, &complete(), t * S, M, Anchored), c);
        assert_close(eval(anchored_increase, &partial(), t * S, M, Anchored), p);
    }
}

#[test]
fn smoothed_increase_interpolates_both_edges() {
    use SelectorModifier::Smoothed;
    // eval instant at <t> increase(metric[1m] smoothed).
    let times = [5, 20, 35, 50, 65, 80, 95, 110, 125];
    let expect_complete = [
        1.0 / 3.0,
        4.0 / 3.0,
        7.0 / 3.0,
        10.0 / 3.0,
        5.0,
        7.0,
        7.0,
        7.0,
        6.0,
    ];
    let expect_partial = [
        1.0 / 3.0,
        4.0 / 3.0,
        8.0 / 3.0,
        14.0 / 3.0,
        19.0 / 3.0,
        7.0,
        20.0 / 3.0,
        17.0 / 3.0,
        14.0 / 3.0,
    ];
    for ((t, c), p) in times.iter().zip(expect_complete).zip(expect_partial) {
        assert_close(eval(smoothed_increase, &complete(), t * S, M, Smoothed), c);
        assert_close(eval(smoothed_increase, &partial(), t * S, M, Smoothed), p);
    }
}

#[test]
fn windows_are_left_open() {
    // load 1m / metric 1 2 _ 4 5; eval instant at 2m increase(metric[1m] smoothed) -> 1,
    // ... anchored -> empty (the only sample at or before 2m sits on the window's start).
    let samples = series(M, &[Some(1.0), Some(2.0), None, Some(4.0), Some(5.0)]);
    assert_close(
        eval(
            smoothed_increase,
            &samples,
            2 * M,
            M,
            SelectorModifier::Smoothed,
        ),
        1.0,
    );
    assert_eq!(
        eval(
            anchored_increase,
            &samples,
            2 * M,
            M,
            SelectorModifier::Anchored
        ),
        None
    );
}

#[test]
fn counter_resets_are_compensated() {
    // load 1m / metric{id="2"} 3 2+2x9 and metric{id="3"} 5+3x2 3+3x6, at 1m30s:
    // increase(...[1m] smoothed) and (...[1m] anchored) give 2 and 3, delta anchored -1 and 3.
    let id2 = series(M, &[3.0, 2.0, 4.0, 6.0, 8.0].map(Some));
    let id3 = series(M, &[5.0, 8.0, 11.0, 3.0, 6.0].map(Some));
    let t = 90 * S;
    for (samples, increase, delta) in [(&id2, 2.0, -1.0), (&id3, 3.0, 3.0)] {
        assert_close(
            eval(smoothed_increase, samples, t, M, SelectorModifier::Smoothed),
            increase,
        );
        assert_close(
            eval(anchored_increase, samples, t, M, SelectorModifier::Anchored),
            increase,
        );
        assert_close(
            eval(anchored_delta, samples, t, M, SelectorModifier::Anchored),
            delta,
        );
    }
    // eval instant at 3m delta(metric[1m] anchored): {id="3"} -8.
    assert_close(
        eval(anchored_delta, &id3, 3 * M, M, SelectorModifier::Anchored),
        -8.0,
    );
}

#[test]
fn smoothed_counter_restarts_from_zero_across_a_reset() {
    // load 15s / metric 100 10; eval instant at 12s rate(metric[10s] smoothed) -> 0.6667.
    let samples = series(15 * S, &[Some(100.0), Some(10.0)]);
    assert_close(
        eval(
            smoothed_rate,
            &samples,
            12 * S,
            10 * S,
            SelectorModifier::Smoothed,
        ),
        2.0 / 3.0,
    );
    // load 1m / metric 9 8 5 4; eval instant at 2m15s increase(metric[2m] smoothed) -> 12.
    let samples = series(M, &[9.0, 8.0, 5.0, 4.0].map(Some));
    assert_close(
        eval(
            smoothed_increase,
            &samples,
            135 * S,
            2 * M,
            SelectorModifier::Smoothed,
        ),
        12.0,
    );
    // The float references of the histogram cases: 5 10 3 (10s apart) at 15s over [10s],
    // rate 0.4; 10 5 2 4 at 15s over [14s], increase 5.5.
    let samples = series(10 * S, &[5.0, 10.0, 3.0].map(Some));
    assert_close(
        eval(
            smoothed_rate,
            &samples,
            15 * S,
            10 * S,
            SelectorModifier::Smoothed,
        ),
        0.4,
    );
    let samples = series(10 * S, &[10.0, 5.0, 2.0, 4.0].map(Some));
    assert_close(
        eval(
            smoothed_increase,
            &samples,
            15 * S,
            14 * S,
            SelectorModifier::Smoothed,
        ),
        5.5,
    );
}

#[test]
fn smoothed_delta_is_not_a_counter() {
    // load 1m / metric{id="1"} 11 -1 100 0 and {id="2"} 0 0 100 0 0 11 -1;
    // eval instant at 5m30s delta(metric[5m] smoothed) -> -5 and 5.
    let id1 = series(M, &[11.0, -1.0, 100.0, 0.0].map(Some));
    let id2 = series(M, &[0.0, 0.0, 100.0, 0.0, 0.0, 11.0, -1.0].map(Some));
    let t = 330 * S;
    assert_close(
        eval(smoothed_delta, &id1, t, 5 * M, SelectorModifier::Smoothed),
        -5.0,
    );
    assert_close(
        eval(smoothed_delta, &id2, t, 5 * M, SelectorModifier::Smoothed),
        5.0,
    );
}

#[test]
fn smoothed_needs_data_on_both_sides_of_the_start() {
    // load 10s / metric _ 5+1x4: nothing at 5s over [5s]; 0.5 at 15s over [10s]; nothing at
    // 60s over [5s].
    let mut values = vec![None];
    values.extend(ramp(5.0, 5));
    let samples = series(10 * S, &values);
    let smoothed = SelectorModifier::Smoothed;
    assert_eq!(eval(smoothed_rate, &samples, 5 * S, 5 * S, smoothed), None);
    assert_eq!(
        eval(smoothed_increase, &samples, 5 * S, 5 * S, smoothed),
        None
    );
    assert_close(
        eval(smoothed_increase, &samples, 15 * S, 10 * S, smoothed),
        0.5,
    );
    assert_eq!(eval(smoothed_rate, &samples, 60 * S, 5 * S, smoothed), None);
}

#[test]
fn anchored_changes_and_resets_count_from_the_anchor() {
    let anchored = SelectorModifier::Anchored;
    // load 1m / metric{id="1"} 1+1x10, {id="2"} 1 1+1x10, {id="3"} 99-1x10, {id="4"} 99 99-1x10.
    let id1 = series(M, &ramp(1.0, 11));
    let mut values = vec![Some(1.0)];
    values.extend(ramp(1.0, 11));
    let id2 = series(M, &values);
    let id3 = series(
        M,
        &(0..11)
            .map(|k| Some(99.0 - f64::from(k)))
            .collect::<Vec<_>>(),
    );
    // changes at 5m, 6m and 5m30s over [5m] anchored: 5 4 / 5 5 / 5 4.
    for (t, one, two) in [(300, 5.0, 4.0), (360, 5.0, 5.0), (330, 5.0, 4.0)] {
        assert_close(eval(anchored_changes, &id1, t * S, 5 * M, anchored), one);
        assert_close(eval(anchored_changes, &id2, t * S, 5 * M, anchored), two);
    }
    // resets at 5m30s over [5m] anchored: 0 for the ramp up, 5 for the ramp down.
    assert_close(eval(anchored_resets, &id1, 330 * S, 5 * M, anchored), 0.0);
    assert_close(eval(anchored_resets, &id3, 330 * S, 5 * M, anchored), 5.0);
    // load 1m / metric{id="1"} 2 _ 1 _ _ _ _ _ 0: at 8m the anchor of [1m] (after 2m) is
    // missing, that of [1m1ms] is the 2m sample; nothing lies inside (2m, 3m].
    let gappy = series(
        M,
        &[
            Some(2.0),
            None,
            Some(1.0),
            None,
            None,
            None,
            None,
            None,
            Some(0.0),
        ],
    );
    assert_close(eval(anchored_changes, &gappy, 8 * M, M, anchored), 0.0);
    assert_close(eval(anchored_changes, &gappy, 8 * M, M + 1, anchored), 1.0);
    assert_close(eval(anchored_resets, &gappy, 8 * M, M + 1, anchored), 1.0);
    assert_close(eval(anchored_resets, &gappy, 2 * M, M, anchored), 1.0);
    assert_eq!(eval(anchored_changes, &gappy, 3 * M, M, anchored), None);
}

#[test]
fn smoothed_value_interpolates_or_carries_forward() {
    // load 10s / metric 1+1x10, withreset 1+1x4 1+1x5, notregular 0 5 100 2 8.
    let metric = series(10 * S, &ramp(1.0, 11));
    let mut values = ramp(1.0, 5);
    values.extend(ramp(1.0, 6));
    let withreset = series(10 * S, &values);
    let notregular = series(10 * S, &[0.0, 5.0, 100.0, 2.0, 8.0].map(Some));
    let at = |samples: &[Sample], t: i64| {
        let near: Vec<Sample> = samples
            .iter()
            .copied()
            .filter(|s| s.t > t - LOOKBACK && s.t <= t + LOOKBACK)
            .collect();
        smoothed_value(&near, t)
    };
    assert_close(at(&metric, 10 * S), 2.0);
    assert_close(at(&metric, 15 * S), 2.5);
    assert_close(at(&metric, 5 * S), 1.5);
    assert_close(at(&metric, 105 * S), 11.0);
    assert_close(at(&withreset, 45 * S), 3.0);
    assert_close(at(&notregular, 30 * S), 2.0);
    assert_eq!(smoothed_value(&metric[1..], 5 * S), None);
    assert_eq!(smoothed_value(&[], 5 * S), None);
}

#[test]
fn extend_window_puts_points_on_both_edges() {
    // 1+1x10 every 10s, [25s] at 50s: anchor 20s (3), inside 30s 40s, end 50s (6).
    let samples = series(10 * S, &ramp(1.0, 11));
    let anchored = around(&samples, 50 * S, 25 * S, SelectorModifier::Anchored);
    let points = extend_window(
        ExtendedWindow::new(&anchored, 25 * S, 50 * S),
        SelectorModifier::Anchored,
    );
    let pairs: Vec<(i64, f64)> = points.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(
        pairs,
        [(25 * S, 3.0), (30 * S, 4.0), (40 * S, 5.0), (50 * S, 6.0)]
    );
    // Smoothed at 55s over [25s]: the 30s sample sits on the start, 6.5 is interpolated at 55s.
    let smoothed = around(&samples, 55 * S, 25 * S, SelectorModifier::Smoothed);
    let points = extend_window(
        ExtendedWindow::new(&smoothed, 30 * S, 55 * S),
        SelectorModifier::Smoothed,
    );
    let pairs: Vec<(i64, f64)> = points.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(
        pairs,
        [(30 * S, 4.0), (40 * S, 5.0), (50 * S, 6.0), (55 * S, 6.5)]
    );
    assert!(extend_window(ExtendedWindow::new(&[], 0, 10), SelectorModifier::Anchored).is_empty());
}

/// A counter: non-negative increments, a sample every 15 s.
fn counter(increments: &[u16]) -> Vec<Sample> {
    let mut value = 0.0;
    increments
        .iter()
        .zip(0..)
        .map(|(&inc, k)| {
            value += f64::from(inc);
            Sample::new(k * 15 * S, value)
        })
        .collect()
}

proptest! {
    #[test]
    fn anchored_increase_of_a_counter_is_last_minus_anchor(
        increments in prop::collection::vec(0u16..1000, 1..60),
        end_s in 0i64..900,
        range_s in 1i64..600,
    ) {
        let samples = counter(&increments);
        let selected = around(&samples, end_s * S, range_s * S, SelectorModifier::Anchored);
        let w = ExtendedWindow::new(&selected, (end_s - range_s) * S, end_s * S);
        let inside: Vec<&Sample> = selected.iter().filter(|s| s.t > w.range_start).collect();
        match (anchored_increase(w), inside.last()) {
            (None, last) => prop_assert!(last.is_none()),
            (Some(increase), Some(last)) => {
                let anchor = selected
                    .iter()
                    .rev()
                    .find(|s| s.t <= w.range_start)
                    .unwrap_or(inside[0]);
                prop_assert_eq!(increase, last.v - anchor.v);
                prop_assert_eq!(anchored_delta(w), Some(increase));
                let rate = anchored_rate(w).unwrap_or(f64::NAN);
                prop_assert!((rate * range_s as f64 - increase).abs() <= 1e-9 * increase.max(1.0));
            }
            (Some(_), None) => prop_assert!(false, "a result without samples inside"),
        }
    }

    #[test]
    fn smoothed_delta_of_a_line_is_slope_times_range(
        slope in -100.0f64..100.0,
        offset in -1000.0f64..1000.0,
        end_s in 60i64..600,
        range_s in 1i64..60,
    ) {
        // A sample every 7 s on the line, far enough around the window on both sides.
        let samples: Vec<Sample> = (0..200i64)
            .map(|k| Sample::new(k * 7 * S, offset + slope * (k * 7) as f64))
            .collect();
        let smoothed = SelectorModifier::Smoothed;
        let delta = eval(smoothed_delta, &samples, end_s * S, range_s * S, smoothed);
        let expected = slope * range_s as f64;
        let got = delta.unwrap_or(f64::NAN);
        let tolerance = 1e-6 * (1.0 + expected.abs() + offset.abs());
        prop_assert!((got - expected).abs() <= tolerance, "{} vs {}", got, expected);
    }
}
