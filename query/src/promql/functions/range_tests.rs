//! Tests for the range-window kernels. Expected values come from Prometheus's conformance
//! scripts (`functions.test`, `at_modifier.test`; the load/eval lines are quoted above each case)
//! or are worked out by hand from upstream's definitions.

use super::*;
use proptest::prelude::*;

const S: i64 = 1000;
const M: i64 = 60 * S;

/// A range kernel with its arguments other than the window fixed.
type WindowKernel = fn(Window<'_>) -> Option<f64>;

/// A series written as a `load <interval>` line of the conformance scripts: the k-th item at
/// `k * interval`. Items: a number (`NaN`, `Inf`, `-Inf` too), `_` for a gap, `vxN` for N+1
/// copies of `v`, `a+bxN` / `a-bxN` for the N+1 values `a, a±b, ..., a±N*b`.
fn load(interval: i64, line: &str) -> Vec<Sample> {
    let mut values: Vec<Option<f64>> = Vec::new();
    for item in line.split_whitespace() {
        let Some((head, count)) = item.split_once('x') else {
            values.push(parse_value(item));
            continue;
        };
        let count: u32 = count
            .parse()
            .unwrap_or_else(|_| panic!("bad repeat in {item}"));
        // The step's sign is the last '+' or '-' that neither leads nor follows an exponent 'e'.
        let split = head
            .char_indices()
            .rev()
            .find(|&(i, c)| (c == '+' || c == '-') && i > 0 && !head[..i].ends_with(['e', 'E']));
        let (start, step) = match split {
            Some((i, _)) => (parse_number(&head[..i]), parse_number(&head[i..])),
            None => (parse_number(head), 0.0),
        };
        values.extend((0..=count).map(|k| Some(start + step * f64::from(k))));
    }
    values
        .iter()
        .zip(0..)
        .filter_map(|(v, k)| v.map(|v| Sample::new(k * interval, v)))
        .collect()
}

fn parse_value(item: &str) -> Option<f64> {
    (item != "_").then(|| parse_number(item))
}

fn parse_number(text: &str) -> f64 {
    text.parse().unwrap_or_else(|_| panic!("bad number {text}"))
}

#[test]
fn load_helper_expands_the_script_syntax() {
    let samples = load(1, "1 _ -2.5e-1 Inf 0+10x2 5x1 8-1e1x1");
    let text: Vec<String> = samples.iter().map(|s| format!("{}:{}", s.t, s.v)).collect();
    assert_eq!(
        text.join(" "),
        "0:1 2:-0.25 3:inf 4:0 5:10 6:20 7:5 8:5 9:8 10:-2"
    );
}

/// A window selected the way the evaluator does: `x[range] offset o` at `eval`.
struct Selected {
    samples: Vec<Sample>,
    start: i64,
    end: i64,
}

impl Selected {
    fn window(&self) -> Window<'_> {
        Window::new(&self.samples, self.start, self.end)
    }
}

fn select_offset(series: &[Sample], eval: i64, range: i64, offset: i64) -> Selected {
    let end = eval - offset;
    let start = end - range;
    let samples = series
        .iter()
        .copied()
        .filter(|s| s.t > start && s.t <= end)
        .collect();
    Selected {
        samples,
        start,
        end,
    }
}

fn select(series: &[Sample], eval: i64, range: i64) -> Selected {
    select_offset(series, eval, range, 0)
}

/// promqltest's float comparison: relative tolerance 1e-6, NaN equal to NaN, zero exact.
fn assert_value(actual: Option<f64>, expected: f64) {
    let Some(actual) = actual else {
        panic!("expected {expected}, got no sample");
    };
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

/// `kernel` over `functions.test`'s resets/changes data at 50m with the given range (load 5m:
/// http_requests{path="/foo" | "/bar" | "/biz"}).
fn over_resets_changes_data(kernel: WindowKernel, range: i64) -> Vec<Option<f64>> {
    [
        "1 2 3 0 1 0 0 1 2 0",
        "1 2 3 4 5 1 2 3 4 5",
        "0 0 0 0 0 1 1 1 1 1",
    ]
    .iter()
    .map(|line| kernel(select(&load(5 * M, line), 50 * M, range).window()))
    .collect()
}

#[test]
fn resets_and_changes_per_window() {
    // eval instant at 50m resets(http_requests[5m]) and changes(...[5m]): empty.
    assert_eq!(over_resets_changes_data(resets, 5 * M), [None; 3]);
    assert_eq!(over_resets_changes_data(changes, 5 * M), [None; 3]);
    // (range in minutes, counts for /foo /bar /biz).
    #[rustfmt::skip]
    let resets_cases =
        [(10, [0, 0, 0]), (20, [1, 0, 0]), (30, [1, 0, 0]), (32, [2, 1, 0]), (50, [3, 1, 0])];
    #[rustfmt::skip]
    let changes_cases = [(6, [0, 0, 0]), (20, [2, 2, 0]), (30, [3, 4, 0]), (50, [7, 8, 1])];
    let check = |kernel: WindowKernel, cases: &[(i64, [u8; 3])]| {
        for &(minutes, counts) in cases {
            let expected = counts.map(|c| Some(f64::from(c)));
            let got = over_resets_changes_data(kernel, minutes * M);
            assert_eq!(got, expected, "[{minutes}m]");
        }
    };
    check(resets, &resets_cases);
    check(changes, &changes_cases);
}

#[test]
fn changes_treats_nan_to_nan_as_no_change() {
    // load 5m: x{a="b"} NaN NaN NaN; x{a="c"} 0 NaN 0. eval at 15m changes(x[20m]) -> 0, 2.
    let all_nan = select(&load(5 * M, "NaN NaN NaN"), 15 * M, 20 * M);
    let mixed = select(&load(5 * M, "0 NaN 0"), 15 * M, 20 * M);
    assert_eq!(changes(all_nan.window()), Some(0.0));
    assert_eq!(changes(mixed.window()), Some(2.0));
    // NaN never counts as a decrease.
    assert_eq!(resets(mixed.window()), Some(0.0));
}

#[test]
fn increase_extrapolates_and_clamps_at_zero() {
    // load 5m: http_requests_total{path="/foo" | "/bar" | "/dings" | "/bumms"}.
    let series = [
        load(5 * M, "0+10x10"),
        load(5 * M, "0+18x5 0+18x5"),
        load(5 * M, "10+10x10"),
        load(5 * M, "1+10x10"),
    ];
    // eval instant at 50m increase(http_requests_total[50m]) -> 100 160 100 100.
    for (s, want) in series.iter().zip([100.0, 160.0, 100.0, 100.0]) {
        assert_value(increase(select(s, 50 * M, 50 * M).window()), want);
    }
    // [100m]: "dings" extrapolates by half an interval, "bumms" only to its zero point.
    for (s, want) in series.iter().zip([100.0, 162.0, 105.0, 101.0]) {
        assert_value(increase(select(s, 50 * M, 100 * M).window()), want);
    }
}

#[test]
fn increase_adds_the_value_before_each_reset() {
    // load 5m: http_requests_total{path="/foo"} 0 1 2 3 2 3 4; at 30m increase(x[30m]) -> 7.
    let s = load(5 * M, "0 1 2 3 2 3 4");
    assert_value(increase(select(&s, 30 * M, 30 * M).window()), 7.0);
}

#[test]
fn rate_handles_resets_in_the_middle_and_at_the_end() {
    let middle = load(5 * M, "0+27x4 0+27x5");
    let end = load(5 * M, "0+10x9 0 10");
    assert_value(rate(select(&middle, 50 * M, 50 * M).window()), 0.08);
    assert_eq!(rate(select(&end, 50 * M, 5 * M).window()), None);
    assert_value(rate(select(&end, 50 * M, 6 * M).window()), 0.0);
}

#[test]
fn rate_is_per_second_and_honours_offset() {
    let window_total = load(5 * M, "0+80x10");
    let rate_50m = rate(select(&window_total, 50 * M, 50 * M).window());
    assert_value(rate_50m, 0.266_666_666_666_666_66);
    // eval instant at 50m rate(calculate_rate_offset_total[10m] offset 5m).
    let a = select_offset(&load(5 * M, "0+10x10"), 50 * M, 10 * M, 5 * M);
    let b = select_offset(&load(5 * M, "0+20x10"), 50 * M, 10 * M, 5 * M);
    assert_value(rate(a.window()), 0.033_333_333_333_333_33);
    assert_value(rate(b.window()), 0.066_666_666_666_666_67);
}

#[test]
fn rate_zero_cutoff_stops_left_extrapolation() {
    // load 4m: testcounter_zero_cutoff_total{start="0m" .. "5m"}.
    let series = [0, 60, 120, 180, 240, 300].map(|start| load(4 * M, &format!("{start}+240x10")));
    // eval instant at 10m rate(...[20m]) -> 0.5 0.55 0.6 0.6 0.6 0.6.
    for (s, want) in series.iter().zip([0.5, 0.55, 0.6, 0.6, 0.6, 0.6]) {
        assert_value(rate(select(s, 10 * M, 20 * M).window()), want);
    }
    // eval instant at 50m: the normal half-interval cutoff, 0.6 for all.
    for s in &series {
        assert_value(rate(select(s, 50 * M, 20 * M).window()), 0.6);
    }
}

#[test]
fn rate_with_at_modifier_windows() {
    // load 10s: metric{job="1"} 0+1x1000, metric{job="2"} 0+2x1000; at 25s
    // rate(metric{job="1"}[100s] @ 100) + rate(metric{job="2"}[123s] @ 200) -> 0.3.
    let job1 = select(&load(10 * S, "0+1x1000"), 100 * S, 100 * S);
    let job2 = select(&load(10 * S, "0+2x1000"), 200 * S, 123 * S);
    assert_value(rate(job1.window()), 0.1);
    assert_value(rate(job2.window()), 0.2);
}

#[test]
fn extrapolation_uses_the_1_1_times_average_spacing_threshold() {
    // Three samples 10 s apart, so the threshold is 11 s.
    let s = [
        Sample::new(100 * S, 0.0),
        Sample::new(110 * S, 10.0),
        Sample::new(120 * S, 20.0),
    ];
    // First sample 10.9 s after the start: extrapolated all the way to the start.
    assert_value(delta(Window::new(&s, 89_100, 120 * S)), 20.0 * 30.9 / 20.0);
    // 11.1 s: extrapolated by half a spacing only.
    assert_value(delta(Window::new(&s, 88_900, 120 * S)), 25.0);
    // The same on the right edge (the left edge 1 ms away).
    let near_end = Window::new(&s, 100 * S - 1, 130_900);
    let far_end = Window::new(&s, 100 * S - 1, 131_100);
    assert_value(delta(near_end), 20.0 + 0.001 + 10.9);
    assert_value(delta(far_end), 20.0 + 0.001 + 5.0);
}

#[test]
fn delta_does_not_clamp_at_zero_but_increase_does() {
    // 5 -> 10 between 10 s and 20 s in (0, 20s]: the zero point lies exactly on the window's
    // start, so nothing is clamped.
    let s = [Sample::new(10 * S, 5.0), Sample::new(20 * S, 10.0)];
    assert_value(increase(Window::new(&s, 0, 20 * S)), 10.0);
    assert_value(delta(Window::new(&s, 0, 20 * S)), 10.0);
    // 1 -> 6: the counter would reach zero 2 s before the first sample, after the window start.
    let s = [Sample::new(10 * S, 1.0), Sample::new(20 * S, 6.0)];
    assert_value(increase(Window::new(&s, 0, 20 * S)), 6.0);
    assert_value(delta(Window::new(&s, 0, 20 * S)), 10.0);
}

#[test]
fn rate_family_needs_two_samples() {
    let none: [Sample; 0] = [];
    let one = [Sample::new(10 * S, 5.0)];
    let two = [Sample::new(10 * S, 10.0), Sample::new(20 * S, 20.0)];
    let kernels: [WindowKernel; 6] = [rate, increase, delta, irate, idelta, deriv];
    for f in kernels {
        assert_eq!(f(Window::new(&none, 0, 30 * S)), None);
        assert_eq!(f(Window::new(&one, 0, 30 * S)), None);
    }
    // Two samples: both edges 10 s away, within 1.1 x 10 s, so the 10-unit increase over 10 s is
    // extrapolated to the whole 30 s window.
    let w = Window::new(&two, 0, 30 * S);
    assert_value(increase(w), 30.0);
    assert_value(rate(w), 1.0);
    assert_value(irate(w), 1.0);
    assert_value(idelta(w), 10.0);
    assert_value(deriv(w), 1.0);
}

#[test]
fn rate_of_a_range_that_is_not_whole_seconds() {
    // The divisor is Go's Duration.Seconds(): 1 + 0.001 for 1001 ms.
    assert_eq!(
        go_duration_seconds(1001).to_bits(),
        (1.0_f64 + 1e6 / 1e9).to_bits()
    );
    assert_eq!(go_duration_seconds(300_000), 300.0);
    // Starts at zero, so no left extrapolation; ends on the window's end: increase 1 in 1.001 s.
    let s = [Sample::new(1, 0.0), Sample::new(1001, 1.0)];
    assert_value(rate(Window::new(&s, 0, 1001)), 1.0 / 1.001);
}

#[test]
fn irate_uses_the_last_two_samples() {
    // load 5m: http_requests_total{path="/foo"} 0+10x10, {path="/bar"} 0+10x5 0+10x5.
    let foo = load(5 * M, "0+10x10");
    let bar = load(5 * M, "0+10x5 0+10x5");
    let third = 0.033_333_333_333_333_33;
    assert_value(irate(select(&foo, 50 * M, 50 * M).window()), third);
    assert_value(irate(select(&bar, 50 * M, 50 * M).window()), third);
    // At 30m "/bar" has just reset: the value after the reset (0) is the increase.
    assert_value(irate(select(&foo, 30 * M, 50 * M).window()), third);
    assert_value(irate(select(&bar, 30 * M, 50 * M).window()), 0.0);
}

#[test]
fn irate_and_idelta_with_nan_samples() {
    // load 5m: http_requests_nan 1 NaN NaN 5 11; eval range from 0 to 20m step 5m
    // irate(x[15m1s]) -> _ NaN NaN NaN 0.02 and idelta(x[15m1s]) -> _ NaN NaN NaN 6.
    let s = load(5 * M, "1 NaN NaN 5 11");
    let at = |step: i64| select(&s, step * 5 * M, 15 * M + S);
    assert_eq!(irate(at(0).window()), None);
    assert_eq!(idelta(at(0).window()), None);
    for step in 1..=3 {
        assert_value(irate(at(step).window()), f64::NAN);
        assert_value(idelta(at(step).window()), f64::NAN);
    }
    assert_value(irate(at(4).window()), 0.02);
    assert_value(idelta(at(4).window()), 6.0);
}

#[test]
fn idelta_and_delta_of_gauges() {
    // idelta(http_requests[20m]) at 20m -> 50, -50; delta(http_requests[20m]) -> 200, -200.
    let idelta_of = |line| idelta(select(&load(5 * M, line), 20 * M, 20 * M).window());
    assert_value(idelta_of("0 50 100 150"), 50.0);
    assert_value(idelta_of("0 50 100 50"), -50.0);
    let delta_of = |line| delta(select(&load(5 * M, line), 20 * M, 20 * M).window());
    assert_value(delta_of("0 50 100 150 200"), 200.0);
    assert_value(delta_of("200 150 100 50 0"), -200.0);
}

#[test]
fn deriv_fits_a_least_squares_line() {
    let linear = select(&load(5 * M, "0+80x10"), 50 * M, 50 * M);
    assert_value(deriv(linear.window()), 0.266_666_666_666_666_66);
    // deriv(testcounter_reset_middle_total[100m]) at 50m.
    let reset_middle = select(&load(5 * M, "0+10x4 0+10x5"), 50 * M, 100 * M);
    assert_value(deriv(reset_middle.window()), 0.010_606_060_606_060_607);
    // deriv(http_requests_inf[100m]) at 100m -> NaN.
    let with_inf = select(&load(5 * M, "-Inf 0+80x10 Inf"), 100 * M, 100 * M);
    assert_value(deriv(with_inf.window()), f64::NAN);
}

#[test]
fn deriv_of_constant_series() {
    let constant = load(S, "3 3 3");
    assert_eq!(deriv(Window::new(&constant, -1, 2 * S)), Some(0.0));
    let predicted = predict_linear(Window::new(&constant, -1, 2 * S), 100.0, 2 * S);
    assert_value(predicted, 3.0);
    let constant_inf = load(S, "Inf Inf");
    assert_value(deriv(Window::new(&constant_inf, -1, S)), f64::NAN);
}

#[test]
fn predict_linear_extrapolates_from_the_evaluation_time() {
    // load 5m: testcounter_reset_middle_total 0+10x4 0+10x5.
    let s = load(5 * M, "0+10x4 0+10x5");
    // eval instant at 50m predict_linear(x[50m], 3600) -> 70.
    let w = select(&s, 50 * M, 50 * M);
    assert_value(predict_linear(w.window(), 3600.0, 50 * M), 70.0);
    // x[55m] @ 3000: the window ends at 3000 s, but the prediction starts from the eval time.
    let pinned = select(&s, 3000 * S, 55 * M);
    let cases = [
        (50 * M, 76.818_181_818_181_81),
        (10 * M, 51.363_636_363_636_37),
        (70 * M, 89.545_454_545_454_55),
    ];
    for (eval, want) in cases {
        assert_value(predict_linear(pinned.window(), 3600.0, eval), want);
    }
    // predict_linear(http_requests_inf[100m], 6000) at 100m -> NaN.
    let with_inf = select(&load(5 * M, "-Inf 0+80x10 Inf"), 100 * M, 100 * M);
    assert_value(predict_linear(with_inf.window(), 6000.0, 100 * M), f64::NAN);
}

#[test]
fn predict_linear_matches_deriv_when_the_last_sample_is_on_the_line() {
    // predict_linear(x[50m], 3600) - (x + deriv(x[50m]) * 3600) -> 0 for x = 0+80x10 at 50m.
    let w = select(&load(5 * M, "0+80x10"), 50 * M, 50 * M);
    let predicted = predict_linear(w.window(), 3600.0, 50 * M).unwrap_or(f64::NAN);
    let slope = deriv(w.window()).unwrap_or(f64::NAN);
    assert_value(Some(predicted - (800.0 + slope * 3600.0)), 0.0);
}

#[test]
fn double_exponential_smoothing_follows_trends() {
    // load 10s; eval instant at 8000s double_exponential_smoothing(http_requests[1m], 0.01, 0.1).
    let cases = [
        ("0+10x1000 100+30x1000", 8000.0),
        ("0+20x1000 200+30x1000", 16000.0),
        ("0+30x1000 300+80x1000", 24000.0),
        ("0+40x2000", 32000.0),
        // Negative trends.
        ("8000-10x1000", 0.0),
        ("0-20x1000", -16000.0),
        ("0+30x1000 300-80x1000", 24000.0),
        ("0-40x1000 0+40x1000", -32000.0),
    ];
    for (line, want) in cases {
        let w = select(&load(10 * S, line), 8000 * S, M);
        let smoothed = double_exponential_smoothing(w.window(), 0.01, 0.1);
        assert!(matches!(smoothed, Ok(Some(_))), "{line}: {smoothed:?}");
        assert_value(smoothed.ok().flatten(), want);
    }
}

#[test]
fn double_exponential_smoothing_by_hand() {
    // sf = tf = 0.5 over 1, 3, 4: s = 1, b = 2; step 1: s = 0.5*3 + 0.5*(1+2) = 3;
    // step 2: b = 0.5*(3-1) + 0.5*2 = 2, s = 0.5*4 + 0.5*(3+2) = 4.5.
    let s = load(S, "1 3 4");
    let w = Window::new(&s, -1, 2 * S);
    assert_eq!(double_exponential_smoothing(w, 0.5, 0.5), Ok(Some(4.5)));
    let one = load(S, "1");
    assert_eq!(
        double_exponential_smoothing(Window::new(&one, -1, 0), 0.5, 0.5),
        Ok(None)
    );
    // A NaN factor passes upstream's range check and poisons the result.
    let nan = double_exponential_smoothing(w, f64::NAN, 0.5);
    assert_value(nan.ok().flatten(), f64::NAN);
}

#[test]
fn double_exponential_smoothing_rejects_factors_outside_the_unit_interval() {
    let s = load(S, "1 3");
    let w = Window::new(&s, -1, S);
    let message = |sf, tf| match double_exponential_smoothing(w, sf, tf) {
        Err(e) => e.to_string(),
        Ok(v) => format!("unexpected success {v:?}"),
    };
    let sf_error = "invalid smoothing factor. Expected: 0 < sf < 1, got: ";
    let tf_error = "invalid trend factor. Expected: 0 < tf < 1, got: ";
    assert_eq!(message(0.0, 0.5), format!("{sf_error}0.000000"));
    assert_eq!(message(1.0, 0.5), format!("{sf_error}1.000000"));
    assert_eq!(message(f64::INFINITY, 0.5), format!("{sf_error}+Inf"));
    assert_eq!(message(0.5, 1.5), format!("{tf_error}1.500000"));
    assert_eq!(message(0.5, -0.25), format!("{tf_error}-0.250000"));
    assert_eq!(message(0.5, f64::NEG_INFINITY), format!("{tf_error}-Inf"));
    // The factors are checked even when there are too few samples to smooth.
    let empty: [Sample; 0] = [];
    assert!(double_exponential_smoothing(Window::new(&empty, 0, S), 2.0, 0.5).is_err());
}

/// A series of `functions.test`'s avg_over_time section (load 10s) at 55s over [1m], which
/// holds every sample.
fn over_time_55s(line: &str) -> Selected {
    select(&load(10 * S, line), 55 * S, M)
}

#[test]
fn avg_and_sum_over_time_with_infinities_and_nan() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    // metric .. metric11: load line -> avg_over_time, sum_over_time.
    let cases = [
        ("1 2 3 4 5", 3.0, 15.0),
        ("1 2 3 4 Inf", inf, inf),
        ("1 2 3 4 -Inf", -inf, -inf),
        ("1 2 3 Inf -Inf", nan, nan),
        ("Inf 0 Inf", inf, inf),
        ("Inf Inf Inf -Inf", nan, nan),
        ("1 2 3 -Inf -Inf", -inf, -inf),
        ("-Inf 0 -Inf", -inf, -inf),
        ("-Inf -Inf -Inf Inf", nan, nan),
        ("1 2 -Inf -Inf Inf", nan, nan),
        ("-9.988465674311579e+307 9.988465674311579e+307", 0.0, 0.0),
        ("1 2 3 NaN NaN", nan, nan),
    ];
    for (line, avg, sum) in cases {
        let w = over_time_55s(line);
        assert_value(avg_over_time(w.window()), avg);
        assert_value(sum_over_time(w.window()), sum);
    }
}

#[test]
fn avg_over_time_switches_to_an_incremental_mean_on_overflow() {
    let big = 9.988_465_674_311_58e307;
    let w = over_time_55s("9.988465674311579e+307 9.988465674311579e+307");
    assert_value(avg_over_time(w.window()), big);
    // sum_over_time(metric8[1m]) / count_over_time(metric8[1m]) overflows instead.
    assert_value(sum_over_time(w.window()), f64::INFINITY);
    let w = over_time_55s("-9.988465674311579e+307x2");
    assert_value(avg_over_time(w.window()), -big);
}

#[test]
fn avg_over_time_window_sizes() {
    let s = load(10 * S, "1 2 3 4 5");
    // No sample in (45s, 55s]; one in (35s, 55s]; all in [1m].
    assert_eq!(avg_over_time(select(&s, 55 * S, 10 * S).window()), None);
    assert_eq!(
        avg_over_time(select(&s, 55 * S, 20 * S).window()),
        Some(5.0)
    );
    assert_eq!(avg_over_time(select(&s, 55 * S, M).window()), Some(3.0));
    // metric11 1 2 3 NaN NaN: at 20s only 1 2 3 are in the window.
    let nan_tail = load(10 * S, "1 2 3 NaN NaN");
    let avg_at = |eval| avg_over_time(select(&nan_tail, eval, M).window());
    assert_eq!(avg_at(20 * S), Some(2.0));
    assert_value(avg_at(30 * S), f64::NAN);
}

#[test]
fn kahan_keeps_small_terms_next_to_huge_ones() {
    // load 10s: metric 1 1e100 1 -1e100; at 1m over [2m]: sum 2, avg 0.5.
    let w = select(&load(10 * S, "1 1e100 1 -1e100"), M, 2 * M);
    assert_eq!(sum_over_time(w.window()), Some(2.0));
    assert_eq!(avg_over_time(w.window()), Some(0.5));
}

#[test]
fn avg_over_time_extreme_magnitudes() {
    // load 5s, eval instant at 55s avg_over_time(metricN[1m]), from functions.test.
    #[rustfmt::skip]
    let cases = [
        ("1e10 1e-6 1e-6 1e-6 1e-6 1e-6", 1.666_666_666_666_667_5e9),
        ("5.30921651659898 0.961118537914768 1.62091361305318 0.865089463758091 \
          0.323055185914577 0.951811357687154", 1.671_867_445_821_13),
        ("1.78264e50 0.76342771 1.9592258 7.69805412 458.90154", 3.56528e49),
        ("0.76342771 1.9592258 7.69805412 1.78264e50 458.90154", 3.56528e49),
        ("1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 458.90154",
         3.763_333_333_333_33e219),
        ("-1.78264E+50 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154",
         3.763_333_333_333_33e219),
        ("-1.78264E+50 0.76342771 1.9592258 -2.258E+220 7.69805412 -458.90154",
         -3.763_333_333_333_33e219),
        ("-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 -458.90154",
         3.763_303_622_666_67e219),
        ("-1.78264E+215 0.76342771 1.9592258 2.258E+220 7.69805412 1.78264E+215 -458.90154",
         3.225_714_285_714_286e219),
        ("-1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 2.258E+220 \
          7.69805412 1.78264E+219 -458.90154", 2.508_888_888_888_888_8e219),
        // Large values cancelling exactly: Kahan cannot recover the small ones; upstream gets 0.
        ("-2.258E+220 -1.78264E+219 0.76342771 1.9592258 2.3757689E+217 -2.3757689E+217 \
          2.258E+220 7.69805412 1.78264E+219 -458.90154", 0.0),
    ];
    for (line, want) in cases {
        let w = select(&load(5 * S, line), 55 * S, M);
        assert_value(avg_over_time(w.window()), want);
    }
}

#[test]
fn avg_over_time_of_a_constant_is_exact() {
    // load 10s: foo 52+0x100; avg_over_time(foo[100s..130s]) == 52 exactly at 10m.
    let s = load(10 * S, "52+0x100");
    for range in [100 * S, 110 * S, 120 * S, 130 * S] {
        assert_eq!(
            avg_over_time(select(&s, 10 * M, range).window()),
            Some(52.0)
        );
    }
}

#[test]
fn sum_over_time_on_dense_millisecond_samples() {
    // load 1ms: metric 1+0x4000; sum_over_time(metric[Nms]) at 4s -> N.
    let s = load(1, "1+0x4000");
    for range in [
        1000, 1001, 1002, 1003, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003,
    ] {
        let w = select(&s, 4 * S, range);
        assert_eq!(sum_over_time(w.window()), Some(range as f64));
        assert_eq!(count_over_time(w.window()), Some(range as f64));
    }
}

#[test]
fn sum_over_time_with_at_and_offset() {
    // load 10s: metric{job="1"} 0+1x1000; at 25s sum_over_time(x[100s] @ 100) -> 55,
    // with offset 50s -> 15.
    let s = load(10 * S, "0+1x1000");
    assert_eq!(
        sum_over_time(select(&s, 100 * S, 100 * S).window()),
        Some(55.0)
    );
    let shifted = select_offset(&s, 100 * S, 100 * S, 50 * S);
    assert_eq!(sum_over_time(shifted.window()), Some(15.0));
}

#[test]
fn variance_over_time() {
    // load 10s: metric 0 8 8 2 3; at 1m [2m]: stdvar 10.56, stddev 3.249615.
    let w = select(&load(10 * S, "0 8 8 2 3"), M, 2 * M);
    assert_value(stdvar_over_time(w.window()), 10.56);
    assert_value(stddev_over_time(w.window()), 3.249_615);
    // Issue #4927: a constant that is not exactly representable still has variance 0.
    let w = over_time_55s("1.5990505637277868 1.5990505637277868 1.5990505637277868");
    assert_eq!(stdvar_over_time(w.window()), Some(0.0));
    assert_eq!(stddev_over_time(w.window()), Some(0.0));
}

#[test]
fn mad_over_time_cases() {
    // load 10s; functions.test's mad_over_time section: (line, eval, range) -> value.
    let cases = [
        ("4 6 2 1 999 1 2", 70 * S, 70 * S, 1.0),
        ("1 2 3 4 5", 40 * S, 50 * S, 1.0),
        ("7 7 7 7 7", 40 * S, 50 * S, 0.0),
        ("5", 0, 10 * S, 0.0),
        ("1 2 NaN 4", 30 * S, 40 * S, f64::NAN),
    ];
    for (line, eval, range, want) in cases {
        let w = select(&load(10 * S, line), eval, range);
        assert_value(mad_over_time(w.window()), want);
    }
}

#[test]
fn ts_of_min_and_max_over_time() {
    // load 10s53ms: metric 1 2 3 0 5 6 2 1 4; at 90s [90s]: min at 30.159, max at 50.265.
    let w = select(&load(10_053, "1 2 3 0 5 6 2 1 4"), 90 * S, 90 * S);
    assert_value(ts_of_min_over_time(w.window()), 30.159);
    assert_value(ts_of_max_over_time(w.window()), 50.265);
    // Ties go to the newest sample; NaN is passed over.
    let ties = load(S, "_ 2 NaN 2");
    assert_eq!(ts_of_max_over_time(Window::new(&ties, 0, 3 * S)), Some(3.0));
    assert_eq!(ts_of_min_over_time(Window::new(&ties, 0, 3 * S)), Some(3.0));
    let leading_nan = load(S, "_ NaN 5");
    assert_eq!(
        ts_of_min_over_time(Window::new(&leading_nan, 0, 2 * S)),
        Some(2.0)
    );
}

#[test]
fn ts_of_first_and_last_over_time() {
    // load 10s53ms: metric 1 2 3 _ _ -> last at 20.106 (at 90s and 95s over [90s]).
    let last = load(10_053, "1 2 3 _ _");
    assert_value(
        ts_of_last_over_time(select(&last, 90 * S, 90 * S).window()),
        20.106,
    );
    assert_value(
        ts_of_last_over_time(select(&last, 95 * S, 90 * S).window()),
        20.106,
    );
    // metric _ _ 1 2 3 _ _ -> first at 20.106; nothing in the window at 15s.
    let first = load(10_053, "_ _ 1 2 3 _ _");
    assert_value(
        ts_of_first_over_time(select(&first, 90 * S, 90 * S).window()),
        20.106,
    );
    assert_value(
        ts_of_first_over_time(select(&first, 95 * S, 90 * S).window()),
        20.106,
    );
    assert_eq!(
        ts_of_first_over_time(select(&first, 15 * S, 90 * S).window()),
        None
    );
    // Negative timestamps stay exact.
    let before_epoch = [Sample::new(-1500, 1.0)];
    assert_eq!(
        ts_of_last_over_time(Window::new(&before_epoch, -2000, 0)),
        Some(-1.5)
    );
}

#[test]
fn min_max_first_last_count_with_nan() {
    // load 10s; at 1m over [2m]: data{type="numbers" | "some_nan" | "some_nan2" | "some_nan3" |
    // "only_nan" | "sparse_numbers"}: line -> min, max, last, first, count.
    let nan = f64::NAN;
    let cases = [
        ("2 0 3", [0.0, 3.0, 3.0, 2.0, 3.0]),
        ("2 0 NaN", [0.0, 2.0, nan, 2.0, 3.0]),
        ("2 NaN 1", [1.0, 2.0, 1.0, 2.0, 3.0]),
        ("NaN 0 1", [0.0, 1.0, 1.0, nan, 3.0]),
        ("NaN NaN NaN", [nan, nan, nan, nan, 3.0]),
        ("_ 5 2 _ 4 _", [2.0, 5.0, 4.0, 5.0, 3.0]),
    ];
    for (line, [min, max, last, first, count]) in cases {
        let w = select(&load(10 * S, line), M, 2 * M);
        assert_value(min_over_time(w.window()), min);
        assert_value(max_over_time(w.window()), max);
        assert_value(last_over_time(w.window()), last);
        assert_value(first_over_time(w.window()), first);
        assert_eq!(count_over_time(w.window()), Some(count));
        assert_eq!(present_over_time(w.window()), Some(1.0));
    }
}

#[test]
fn empty_windows_produce_no_sample() {
    let empty: [Sample; 0] = [];
    let w = Window::new(&empty, 0, M);
    #[rustfmt::skip]
    let kernels: [WindowKernel; 19] = [
        changes, resets, sum_over_time, avg_over_time, count_over_time, present_over_time,
        last_over_time, first_over_time, ts_of_last_over_time, ts_of_first_over_time,
        min_over_time, max_over_time, ts_of_min_over_time, ts_of_max_over_time,
        stdvar_over_time, stddev_over_time, mad_over_time,
        |w| quantile_over_time(w, 0.5),
        |w| predict_linear(w, 1.0, 0),
    ];
    for kernel in kernels {
        assert_eq!(kernel(w), None);
    }
}

#[test]
fn single_sample_windows() {
    let one = [Sample::new(5 * S, 7.0)];
    let w = Window::new(&one, 0, 10 * S);
    assert_eq!(sum_over_time(w), Some(7.0));
    assert_eq!(avg_over_time(w), Some(7.0));
    assert_eq!(min_over_time(w), Some(7.0));
    assert_eq!(max_over_time(w), Some(7.0));
    assert_eq!(stdvar_over_time(w), Some(0.0));
    assert_eq!(quantile_over_time(w, 0.9), Some(7.0));
    assert_eq!(changes(w), Some(0.0));
    assert_eq!(resets(w), Some(0.0));
    assert_eq!(predict_linear(w, 1.0, 10 * S), None);
}

#[test]
fn quantile_over_time_interpolates_between_ranks() {
    // load 10s: data{test="two samples" | "three samples" | "uneven samples"}; at 1m over [2m].
    let series = ["0 1", "0 1 2", "0 1 4"].map(|line| select(&load(10 * S, line), M, 2 * M));
    let inf = f64::INFINITY;
    let cases = [
        (0.0, [0.0, 0.0, 0.0]),
        (0.5, [0.5, 1.0, 1.0]),
        (0.75, [0.75, 1.5, 2.5]),
        (0.8, [0.8, 1.6, 2.8]),
        (1.0, [1.0, 2.0, 4.0]),
        (-1.0, [-inf, -inf, -inf]),
        (2.0, [inf, inf, inf]),
    ];
    for (phi, expected) in cases {
        for (w, want) in series.iter().zip(expected) {
            assert_value(quantile_over_time(w.window(), phi), want);
        }
    }
}

#[test]
fn quantile_edge_cases() {
    assert!(quantile(0.5, &mut []).is_nan());
    assert!(quantile(f64::NAN, &mut [1.0, 2.0]).is_nan());
    assert_eq!(quantile(-0.1, &mut [1.0]), f64::NEG_INFINITY);
    assert_eq!(quantile(1.1, &mut [1.0]), f64::INFINITY);
    // NaN sorts below every number, as upstream's vectorByValueHeap orders it.
    let mut values = [3.0, f64::NAN, 1.0, 2.0];
    assert_eq!(quantile(1.0, &mut values), 3.0);
    assert!(values[0].is_nan());
    assert_eq!(&values[1..], &[1.0, 2.0, 3.0]);
    assert!(quantile(0.0, &mut values).is_nan());
    // Upstream interpolates even with weight 0, so an infinite neighbour makes NaN.
    assert!(quantile(0.5, &mut [f64::NEG_INFINITY, 0.0, f64::INFINITY]).is_nan());
    assert_eq!(
        quantile(0.0, &mut [f64::NEG_INFINITY, 0.0, 1.0]),
        f64::NEG_INFINITY
    );
}

proptest! {
    /// Kahan summation of small integers is exact, and the mean is that exact sum divided once.
    #[test]
    fn sum_and_avg_of_small_integers_are_exact(
        values in prop::collection::vec(-1_000_000i32..=1_000_000, 1..200),
    ) {
        let samples: Vec<Sample> = values
            .iter()
            .zip(1..)
            .map(|(&v, k)| Sample::new(k * S, f64::from(v)))
            .collect();
        let w = Window::new(&samples, 0, (samples.len() as i64 + 1) * S);
        let exact: i64 = values.iter().map(|&v| i64::from(v)).sum();
        prop_assert_eq!(sum_over_time(w), Some(exact as f64));
        prop_assert_eq!(avg_over_time(w), Some(exact as f64 / values.len() as f64));
        prop_assert_eq!(count_over_time(w), Some(values.len() as f64));
    }

    /// Extrapolation only ever widens the sampled interval, and never beyond the window: for a
    /// reset-free counter, `last - first <= increase <= (last - first) * range / sampled`, and
    /// `rate` is `increase` per second of the range.
    #[test]
    fn increase_stays_between_raw_and_fully_extrapolated(
        steps in prop::collection::vec(0u16..1000, 2..50),
        range_s in 1i64..1000,
    ) {
        let mut value = 0.0;
        let series: Vec<Sample> = steps
            .iter()
            .zip(0..)
            .map(|(&step, k)| {
                value += f64::from(step);
                Sample::new(k * 15 * S, value)
            })
            .collect();
        let end = series.last().map_or(0, |s| s.t);
        let selected = select(&series, end, range_s * S);
        let w = selected.window();
        let (Some(increase), Some(rate)) = (increase(w), rate(w)) else {
            prop_assert!(selected.samples.len() < 2);
            return Ok(());
        };
        let (first, last) = (selected.samples[0], selected.samples[selected.samples.len() - 1]);
        let raw = last.v - first.v;
        let sampled_s = (last.t - first.t) as f64 / 1000.0;
        let slack = 1e-9 * raw.max(1.0);
        prop_assert!(increase >= raw - slack, "increase {} < raw {}", increase, raw);
        prop_assert!(increase <= raw * range_s as f64 / sampled_s + slack, "increase {}", increase);
        prop_assert!((rate * range_s as f64 - increase).abs() <= slack, "rate {}", rate);
    }
}
