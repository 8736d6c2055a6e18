use model::Labels;
use promql_parser::parser::{self, BinaryExpr, Expr};

use super::{check_fill, vector_vector};
use crate::promql::QueryError;
use crate::promql::eval::StepSeries;

fn series(labels: &[(&str, &str)], points: &[Option<f64>]) -> StepSeries {
    StepSeries {
        labels: Labels::from_pairs(labels.iter().copied()).unwrap_or_default(),
        points: points.to_vec(),
        drop_name: false,
    }
}

/// The binary expression of `query` (whose operands are only there to carry the modifier).
fn binary(query: &str) -> BinaryExpr {
    match parser::parse(query) {
        Ok(Expr::Binary(b)) => b,
        other => panic!("{query} is not a binary expression: {other:?}"),
    }
}

/// Output series as (labels, drop name, points).
type Joined = Vec<(String, bool, Vec<Option<f64>>)>;

/// Evaluates `query`'s operator and modifier on `lhs` and `rhs`; results as (labels, drop
/// name, points), sorted by labels.
fn join(query: &str, lhs: Vec<StepSeries>, rhs: Vec<StepSeries>) -> Result<Joined, QueryError> {
    let b = binary(query);
    let steps = lhs.first().or(rhs.first()).map_or(0, |s| s.points.len());
    let out = vector_vector(b.op.id(), lhs, rhs, b.modifier.as_ref(), steps)?;
    let mut out: Vec<_> = out
        .into_iter()
        .filter(|s| s.points.iter().any(Option::is_some))
        .map(|s| (s.labels.to_string(), s.drop_name, s.points))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn left() -> Vec<StepSeries> {
    vec![
        series(&[("__name__", "l"), ("k", "a")], &[Some(10.0)]),
        series(&[("__name__", "l"), ("k", "b")], &[Some(20.0)]),
    ]
}

fn right() -> Vec<StepSeries> {
    vec![
        series(&[("__name__", "r"), ("k", "a")], &[Some(100.0)]),
        series(&[("__name__", "r"), ("k", "c")], &[Some(300.0)]),
    ]
}

fn values(out: &Joined) -> Vec<(&str, Option<f64>)> {
    out.iter().map(|(l, _, p)| (l.as_str(), p[0])).collect()
}

#[test]
fn fill_stands_in_for_the_missing_side() {
    let out = join("l + fill(1) r", left(), right()).unwrap_or_default();
    assert_eq!(
        values(&out),
        [
            (r#"{__name__="l", k="a"}"#, Some(110.0)),
            (r#"{__name__="l", k="b"}"#, Some(21.0)),
            (r#"{k="c"}"#, Some(301.0)),
        ]
    );
    assert!(
        out.iter().all(|(_, drop, _)| *drop),
        "arithmetic drops the name"
    );
}

#[test]
fn fill_left_and_fill_right_fill_one_side_each() {
    let right_only = join("l + fill_right(7) r", left(), right()).unwrap_or_default();
    assert_eq!(
        values(&right_only),
        [
            (r#"{__name__="l", k="a"}"#, Some(110.0)),
            (r#"{__name__="l", k="b"}"#, Some(27.0)),
        ]
    );
    let left_only = join("l - fill_left(5) r", left(), right()).unwrap_or_default();
    assert_eq!(
        values(&left_only),
        [
            (r#"{__name__="l", k="a"}"#, Some(-90.0)),
            (r#"{k="c"}"#, Some(-295.0)),
        ]
    );
    let no_right = join("l + fill_left(0) r", left(), Vec::new()).unwrap_or_default();
    assert!(no_right.is_empty(), "nothing to fill the left side for");
}

#[test]
fn filtering_comparison_keeps_the_left_value_even_when_filled() {
    let out = join("l != fill(30) r", left(), right()).unwrap_or_default();
    assert_eq!(
        values(&out),
        [
            (r#"{__name__="l", k="a"}"#, Some(10.0)),
            (r#"{__name__="l", k="b"}"#, Some(20.0)),
            (r#"{k="c"}"#, Some(30.0)),
        ]
    );
    assert!(
        out.iter().all(|(_, drop, _)| !drop),
        "a filter keeps the name"
    );
    let bool_out = join("l == bool fill(20) r", left(), right()).unwrap_or_default();
    assert_eq!(
        values(&bool_out),
        [
            (r#"{__name__="l", k="a"}"#, Some(0.0)),
            (r#"{__name__="l", k="b"}"#, Some(1.0)),
            (r#"{k="c"}"#, Some(0.0)),
        ]
    );
}

#[test]
fn group_left_fills_with_the_match_group_labels() {
    let many = vec![
        series(&[("m", "GET"), ("s", "200")], &[Some(100.0)]),
        series(&[("m", "POST"), ("s", "200")], &[Some(200.0)]),
        series(&[("m", "GET"), ("s", "500")], &[Some(10.0)]),
    ];
    let one = vec![
        series(&[("owner", "x"), ("s", "200")], &[Some(1000.0)]),
        series(&[("owner", "y"), ("s", "404")], &[Some(500.0)]),
    ];
    let out = join("a + on(s) group_left(owner) fill(0) b", many, one).unwrap_or_default();
    assert_eq!(
        values(&out),
        [
            (r#"{m="GET", owner="x", s="200"}"#, Some(1100.0)),
            (r#"{m="GET", s="500"}"#, Some(10.0)),
            (r#"{m="POST", owner="x", s="200"}"#, Some(1200.0)),
            // The filled "many" element takes the "one" element's `group_left` labels too.
            (r#"{owner="y", s="404"}"#, Some(500.0)),
        ]
    );
}

#[test]
fn group_right_takes_fill_right_for_the_left_operand() {
    let one = || {
        vec![
            series(&[("i", "a")], &[Some(100.0)]),
            series(&[("i", "c")], &[Some(300.0)]),
        ]
    };
    let many = || {
        vec![
            series(&[("cpu", "0"), ("i", "a")], &[Some(1.0)]),
            series(&[("cpu", "0"), ("i", "b")], &[Some(2.0)]),
        ]
    };
    let right_fill =
        join("a * on(i) group_right fill_right(5) b", one(), many()).unwrap_or_default();
    assert_eq!(
        values(&right_fill),
        [
            (r#"{cpu="0", i="a"}"#, Some(100.0)),
            (r#"{cpu="0", i="b"}"#, Some(10.0)),
        ]
    );
    let left_fill = join("a - on(i) group_right fill_left(1) b", one(), many()).unwrap_or_default();
    assert_eq!(
        values(&left_fill),
        [
            (r#"{cpu="0", i="a"}"#, Some(99.0)),
            (r#"{i="c"}"#, Some(299.0)),
        ]
    );
}

#[test]
fn fills_are_decided_step_by_step() {
    let lhs = vec![series(&[("k", "a")], &[Some(1.0), None, Some(3.0)])];
    let rhs = vec![
        series(&[("k", "a")], &[None, Some(20.0), Some(30.0)]),
        series(&[("k", "b")], &[Some(100.0), None, Some(300.0)]),
    ];
    let out = join("a + on(k) group_left fill_left(0) b", lhs, rhs).unwrap_or_default();
    assert_eq!(
        out.iter()
            .map(|(l, _, p)| (l.as_str(), p.clone()))
            .collect::<Vec<_>>(),
        [
            // Without `fill_right`, the left element unmatched at step 0 has no result.
            (r#"{k="a"}"#, vec![None, Some(20.0), Some(33.0)]),
            (r#"{k="b"}"#, vec![Some(100.0), None, Some(300.0)]),
        ]
    );
}

#[test]
fn cardinality_errors_hold_with_fills_and_filters() {
    let many = vec![
        series(&[("j", "t"), ("l", "foo")], &[Some(0.0)]),
        series(&[("j", "t"), ("l", "bar")], &[Some(1.0)]),
    ];
    let one = vec![series(&[("j", "t")], &[Some(1.0)])];
    let err = join("a > on(j) b", many.clone(), one.clone()).map(|_| ());
    assert!(
        matches!(&err, Err(QueryError::Execution(m)) if m.contains("many-to-one matching must be explicit")),
        "{err:?}"
    );
    let filled = join("a + on(j) fill(0) b", many.clone(), Vec::new()).map(|_| ());
    assert!(
        matches!(filled, Err(QueryError::Execution(_))),
        "two fills for one group"
    );
    let dup = join("b > on() a", one, many).map(|_| ());
    assert!(
        matches!(&dup, Err(QueryError::Execution(m)) if m.contains(r#"match group {} on the right hand-side of the operation: [{j="t", l="bar"}, {j="t", l="foo"}]"#)),
        "{dup:?}"
    );
}

#[test]
fn fill_is_refused_outside_vector_arithmetic_and_comparisons() {
    for (query, message) in [
        ("a and fill(0) b", "not allowed for set operators"),
        ("a + fill(0) 1", "only allowed between instant vectors"),
        ("1 - fill_left(2) a", "only allowed between instant vectors"),
    ] {
        let err = check_fill(&binary(query));
        assert!(
            matches!(&err, Err(QueryError::Parse { message: m, .. }) if m.contains(message)),
            "{query}: {err:?}"
        );
    }
    assert!(check_fill(&binary("a + fill(0) b")).is_ok());
    assert!(check_fill(&binary("a or b")).is_ok());
}
