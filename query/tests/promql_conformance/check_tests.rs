use super::*;
use crate::script::{Command, parse_script};

#[test]
fn tolerance_follows_upstream_almost_equal() {
    assert!(almost_equal(f64::NAN, f64::NAN, EPSILON));
    assert!(
        almost_equal(f64::NAN, model::STALE_NAN, EPSILON),
        "any NaN equals any NaN"
    );
    assert!(!almost_equal(f64::NAN, 1.0, EPSILON));
    assert!(almost_equal(1.0, 1.0 + 1e-7, EPSILON));
    assert!(!almost_equal(1.0, 1.00001, EPSILON));
    assert!(almost_equal(1e300, 1e300 * (1.0 + 1e-7), EPSILON));
    assert!(
        almost_equal(-3.0, -3.000001, EPSILON),
        "difference / sum of magnitudes"
    );
    assert!(!almost_equal(-3.0, 3.0, EPSILON));
    assert!(almost_equal(0.0, -0.0, EPSILON));
    assert!(
        !almost_equal(0.0, 1e-300, EPSILON),
        "against zero the match is near exact"
    );
    assert!(
        almost_equal(0.0, 1e-320, EPSILON),
        "but a subnormal difference is below it"
    );
    assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
    assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY, EPSILON));
    assert!(!almost_equal(f64::INFINITY, f64::MAX, EPSILON));
    assert!(
        almost_equal(f64::MAX, f64::MAX * (1.0 - 1e-9), EPSILON),
        "no overflow on the sum"
    );
}

fn eval_of(text: &str) -> Eval {
    let script = parse_script("t.test", text).unwrap();
    script
        .commands
        .into_iter()
        .find_map(|c| match c {
            Command::Eval(e) => Some(*e),
            _ => None,
        })
        .unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn vector(samples: &[(&[(&str, &str)], f64)]) -> QueryResult {
    let samples = samples
        .iter()
        .map(|(l, v)| InstantSample {
            labels: labels(l),
            t: 0,
            v: *v,
        })
        .collect();
    result(QueryValue::Vector(samples))
}

fn result(value: QueryValue) -> QueryResult {
    QueryResult {
        value,
        warnings: Vec::new(),
        infos: Vec::new(),
    }
}

fn check(eval: &Eval, result: &QueryResult) -> Result<(), Mismatch> {
    check_outcome(eval, Ok(result))
}

const INSTANT: &str = "eval instant at 1m sum by (job) (x)\n  {job=\"a\"} 1\n  {job=\"b\"} NaN\n";

#[test]
fn instant_vectors_match_in_any_order_within_tolerance() {
    let eval = eval_of(INSTANT);
    assert_eq!(
        check(
            &eval,
            &vector(&[(&[("job", "b")], f64::NAN), (&[("job", "a")], 1.0000001)])
        ),
        Ok(())
    );
    let wrong = check(
        &eval,
        &vector(&[(&[("job", "a")], 2.0), (&[("job", "b")], f64::NAN)]),
    )
    .unwrap_err();
    assert!(wrong.contains(r#"{job="a"}: expected 1, got 2"#), "{wrong}");
    let missing = check(&eval, &vector(&[(&[("job", "a")], 1.0)])).unwrap_err();
    assert!(
        missing.contains(r#"expected series {job="b"} NaN missing"#),
        "{missing}"
    );
    let extra = check(
        &eval,
        &vector(&[
            (&[("job", "a")], 1.0),
            (&[("job", "b")], f64::NAN),
            (&[("job", "c")], 3.0),
        ]),
    )
    .unwrap_err();
    assert!(
        extra.contains(r#"unexpected series {job="c"} = 3"#),
        "{extra}"
    );
    let named = check(&eval, &vector(&[(&[("__name__", "x"), ("job", "a")], 1.0)])).unwrap_err();
    assert!(
        named.contains("unexpected series"),
        "the metric name is part of the labels: {named}"
    );
}

#[test]
fn ordered_evals_compare_positions() {
    let eval =
        eval_of("eval instant at 1m sort(x)\n  expect ordered\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n");
    let a1: &[(&str, &str)] = &[("__name__", "x"), ("a", "1")];
    let a2: &[(&str, &str)] = &[("__name__", "x"), ("a", "2")];
    assert_eq!(check(&eval, &vector(&[(a1, 1.0), (a2, 2.0)])), Ok(()));
    let swapped = check(&eval, &vector(&[(a2, 2.0), (a1, 1.0)])).unwrap_err();
    assert!(swapped.contains("order differs at position 1"), "{swapped}");
    let matrix = result(QueryValue::Matrix(Vec::new()));
    assert!(check(&eval, &matrix).unwrap_err().contains("ordered"));
}

#[test]
fn scalars_and_strings() {
    let eval = eval_of("eval instant at 50m 1 / 0\n  +Inf\n");
    assert_eq!(
        check(
            &eval,
            &result(QueryValue::Scalar(Sample::new(0, f64::INFINITY)))
        ),
        Ok(())
    );
    assert!(
        check(&eval, &result(QueryValue::Scalar(Sample::new(0, 1.0))))
            .unwrap_err()
            .contains("expected inf, got 1")
    );
    assert!(
        check(&eval, &vector(&[]))
            .unwrap_err()
            .contains("expected scalar")
    );
    let string = eval_of("eval instant at 50m \"Foo\"\n  expect string \"Foo\"\n");
    let foo = |s: &str| {
        result(QueryValue::String {
            t: 0,
            value: s.to_owned(),
        })
    };
    assert_eq!(check(&string, &foo("Foo")), Ok(()));
    assert!(
        check(&string, &foo("Bar"))
            .unwrap_err()
            .contains(r#"expected string "Foo", got "Bar""#)
    );
}

fn series(pairs: &[(&str, &str)], points: &[(i64, f64)]) -> RangeSeries {
    RangeSeries {
        labels: labels(pairs),
        samples: points.iter().map(|(t, v)| Sample::new(*t, *v)).collect(),
    }
}

#[test]
fn range_results_compare_points_on_the_grid() {
    let eval = eval_of("eval range from 0 to 2m step 1m x\n  x{a=\"1\"} 1 _ 3\n  x{a=\"2\"} 5x2\n");
    let a1 = series(
        &[("__name__", "x"), ("a", "1")],
        &[(0, 1.0), (120_000, 3.0)],
    );
    let a2 = series(
        &[("__name__", "x"), ("a", "2")],
        &[(0, 5.0), (60_000, 5.0), (120_000, 5.0)],
    );
    let ok = result(QueryValue::Matrix(vec![a1.clone(), a2.clone()]));
    assert_eq!(check(&eval, &ok), Ok(()));
    let unsorted = result(QueryValue::Matrix(vec![a2.clone(), a1.clone()]));
    assert!(check(&eval, &unsorted).unwrap_err().contains("not sorted"));
    let mut gap_filled = a1.clone();
    gap_filled.samples.insert(1, Sample::new(60_000, 2.0));
    let wrong = check(
        &eval,
        &result(QueryValue::Matrix(vec![gap_filled, a2.clone()])),
    )
    .unwrap_err();
    assert!(wrong.contains("expected 2 points, got 3"), "{wrong}");
    let mut shifted = a1.clone();
    shifted.samples[1].t = 90_000;
    let wrong = check(&eval, &result(QueryValue::Matrix(vec![shifted, a2]))).unwrap_err();
    assert!(
        wrong.contains("expected a point at t=120000, got t=90000"),
        "{wrong}"
    );
    let too_many = eval_of("eval range from 0 to 1m step 1m x\n  x 1 2 3\n");
    let x = series(&[("__name__", "x")], &[(0, 1.0), (60_000, 2.0)]);
    assert!(
        check(&too_many, &result(QueryValue::Matrix(vec![x])))
            .unwrap_err()
            .contains("more than the query's time range")
    );
}

#[test]
fn instant_range_vectors_need_their_grid() {
    let eval = eval_of(
        "eval instant at 1m m[1m]\n  expect range vector from 20s to 1m step 20s\n  m 1 2 3\n",
    );
    let m = series(
        &[("__name__", "m")],
        &[(20_000, 1.0), (40_000, 2.0), (60_000, 3.0)],
    );
    assert_eq!(
        check(&eval, &result(QueryValue::Matrix(vec![m.clone()]))),
        Ok(())
    );
    let no_grid = eval_of("eval instant at 1m m[1m]\n  m 1\n");
    assert!(
        check(&no_grid, &result(QueryValue::Matrix(vec![m])))
            .unwrap_err()
            .contains("expect range vector")
    );
    assert_eq!(
        check(&no_grid, &result(QueryValue::Matrix(Vec::new()))).map_err(|e| e.contains("missing")),
        Err(true)
    );
}

#[test]
fn failures_match_message_or_pattern() {
    let exact = eval_of("eval_fail instant at 0 x\n  expected_fail_message boom (1:2)\n");
    assert_eq!(check_outcome(&exact, Err("boom (1:2)")), Ok(()));
    assert!(
        check_outcome(&exact, Err("boom"))
            .unwrap_err()
            .contains("expected an error matching message")
    );
    assert!(
        check_outcome(&exact, Ok(&vector(&[])))
            .unwrap_err()
            .contains("to fail")
    );
    let pattern = eval_of("eval instant at 0 x\n  expect fail regex: conflict(ing)? label\n");
    assert_eq!(
        check_outcome(&pattern, Err("found conflicting label set")),
        Ok(())
    );
    let any = eval_of("eval_fail instant at 0 x\n");
    assert_eq!(check_outcome(&any, Err("anything")), Ok(()));
    let none = eval_of("eval instant at 0 x\n");
    assert_eq!(
        check_outcome(&none, Err("bad")),
        Err("query failed: bad".to_owned())
    );
}

#[test]
fn annotations_follow_upstream_rules() {
    let eval = eval_of(
        "eval instant at 0 x\n  expect warn msg: PromQL warning: w (1:1)\n  expect no_info\n",
    );
    let mut r = vector(&[]);
    assert!(
        check(&eval, &r)
            .unwrap_err()
            .contains("expected warning annotations, got none")
    );
    r.warnings = vec!["PromQL warning: w (1:1)".to_owned()];
    assert_eq!(check(&eval, &r), Ok(()));
    r.warnings.push("PromQL warning: other".to_owned());
    assert!(
        check(&eval, &r)
            .unwrap_err()
            .contains(r#"unexpected warning "PromQL warning: other""#)
    );
    r.warnings.truncate(1);
    r.infos = vec!["PromQL info: i".to_owned()];
    assert!(check(&eval, &r).unwrap_err().contains("expected no info"));
    let legacy = eval_of("eval_warn instant at 0 x\n");
    assert!(
        check(&legacy, &vector(&[]))
            .unwrap_err()
            .contains("expected a warning annotation")
    );
    let unchecked = eval_of("eval instant at 0 x\n");
    assert_eq!(
        check(&unchecked, &r),
        Ok(()),
        "no expect line: annotations are not checked"
    );
}

#[test]
fn vector_at_picks_the_middle_step() {
    let matrix = vec![
        series(&[("a", "1")], &[(0, 1.0), (60_000, 2.0), (120_000, 3.0)]),
        series(&[("a", "2")], &[(0, 1.0)]),
    ];
    let at = vector_at(&matrix, 60_000);
    assert_eq!(
        at,
        vec![InstantSample {
            labels: labels(&[("a", "1")]),
            t: 60_000,
            v: 2.0
        }]
    );
}
