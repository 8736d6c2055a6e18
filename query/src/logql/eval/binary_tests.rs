use model::Labels;

use super::*;
use crate::logql::syntax::VectorMatching;

fn s(pairs: &[(&str, &str)], value: f64) -> Sample {
    Sample::new(Labels::from_pairs(pairs.iter().copied()).unwrap(), value)
}

fn bin(op: BinaryOp, return_bool: bool, labels: MatchingLabels, card: Cardinality) -> BinaryExpr {
    BinaryExpr {
        op,
        return_bool,
        matching: VectorMatching { labels, card },
        lhs: Box::new(SampleExpr::Vector(0.0)),
        rhs: Box::new(SampleExpr::Vector(0.0)),
    }
}

fn plain(op: BinaryOp) -> BinaryExpr {
    bin(op, false, MatchingLabels::default(), Cardinality::OneToOne)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|n| n.to_string()).collect()
}

fn rendered(step: &StepVector) -> Vec<String> {
    step.iter()
        .map(|s| format!("{} {}", s.labels, s.value))
        .collect()
}

#[test]
fn arithmetic_and_lokis_zero_division() {
    assert_eq!(apply(BinaryOp::Add, 1.0, 2.0, true), Some(3.0));
    assert_eq!(apply(BinaryOp::Sub, 1.0, 2.0, true), Some(-1.0));
    assert_eq!(apply(BinaryOp::Mul, 3.0, 2.0, true), Some(6.0));
    assert_eq!(apply(BinaryOp::Div, 3.0, 2.0, true), Some(1.5));
    assert!(apply(BinaryOp::Div, 3.0, 0.0, true).unwrap().is_nan());
    assert_eq!(apply(BinaryOp::Mod, -7.0, 3.0, true), Some(-1.0));
    assert!(apply(BinaryOp::Mod, 7.0, 0.0, true).unwrap().is_nan());
    assert_eq!(apply(BinaryOp::Pow, 2.0, 10.0, true), Some(1024.0));
}

#[test]
fn comparisons_filter_or_answer_bool() {
    assert_eq!(apply(BinaryOp::Gt, 2.0, 1.0, true), Some(1.0));
    assert_eq!(apply(BinaryOp::Gt, 1.0, 2.0, true), None);
    assert_eq!(apply(BinaryOp::Gt, 1.0, 2.0, false), Some(0.0));
    assert_eq!(apply(BinaryOp::Le, 2.0, 2.0, true), Some(1.0));
    assert_eq!(apply(BinaryOp::Ne, f64::NAN, f64::NAN, false), Some(1.0));
    assert_eq!(apply(BinaryOp::Eq, f64::NAN, f64::NAN, false), Some(0.0));
}

#[test]
fn literal_operands_keep_labels_and_vector_values() {
    let steps = vec![vec![s(&[("a", "1")], 10.0), s(&[("a", "2")], 1.0)]];
    let out = with_literal(BinaryOp::Div, false, 2.0, false, steps.clone());
    assert_eq!(rendered(&out[0]), [r#"{a="1"} 5"#, r#"{a="2"} 0.5"#]);
    let out = with_literal(BinaryOp::Div, false, 2.0, true, steps.clone());
    assert_eq!(rendered(&out[0]), [r#"{a="1"} 0.2"#, r#"{a="2"} 2"#]);
    // `v > 5` keeps the samples above 5 with their values; `5 > v` those below.
    let out = with_literal(BinaryOp::Gt, false, 5.0, false, steps.clone());
    assert_eq!(rendered(&out[0]), [r#"{a="1"} 10"#]);
    let out = with_literal(BinaryOp::Gt, false, 5.0, true, steps.clone());
    assert_eq!(rendered(&out[0]), [r#"{a="2"} 1"#]);
    let out = with_literal(BinaryOp::Gt, true, 5.0, false, steps);
    assert_eq!(rendered(&out[0]), [r#"{a="1"} 1"#, r#"{a="2"} 0"#]);
}

#[test]
fn one_to_one_matches_on_all_labels_and_keeps_the_left_ones() {
    let lhs = vec![
        s(&[("a", "1")], 6.0),
        s(&[("a", "2")], 8.0),
        s(&[("a", "3")], 1.0),
    ];
    let rhs = vec![s(&[("a", "2")], 2.0), s(&[("a", "1")], 3.0)];
    let out = vector_op(&plain(BinaryOp::Div), lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(rendered(&out), [r#"{a="1"} 2"#, r#"{a="2"} 4"#]);
    let out = vector_op(&plain(BinaryOp::Gt), lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(rendered(&out), [r#"{a="1"} 6"#, r#"{a="2"} 8"#]);
    let b = bin(
        BinaryOp::Lt,
        true,
        MatchingLabels::default(),
        Cardinality::OneToOne,
    );
    let out = vector_op(&b, lhs, rhs).unwrap();
    assert_eq!(rendered(&out), [r#"{a="1"} 0"#, r#"{a="2"} 0"#]);
}

#[test]
fn on_and_ignoring_shape_the_result_labels() {
    let lhs = vec![s(&[("app", "x"), ("pod", "1")], 10.0)];
    let rhs = vec![s(&[("app", "x"), ("zone", "z")], 5.0)];
    let on = bin(
        BinaryOp::Sub,
        false,
        MatchingLabels::On(names(&["app"])),
        Cardinality::OneToOne,
    );
    let out = vector_op(&on, lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(rendered(&out), [r#"{app="x"} 5"#]);
    let lhs = vec![s(&[("app", "x"), ("pod", "1")], 10.0)];
    let rhs = vec![s(&[("app", "x"), ("pod", "2")], 4.0)];
    let ignoring = bin(
        BinaryOp::Sub,
        false,
        MatchingLabels::Ignoring(names(&["pod"])),
        Cardinality::OneToOne,
    );
    let out = vector_op(&ignoring, lhs, rhs).unwrap();
    assert_eq!(rendered(&out), [r#"{app="x"} 6"#]);
}

#[test]
fn group_left_and_group_right_copy_labels_from_the_one_side() {
    let many = vec![
        s(&[("app", "x"), ("pod", "1")], 10.0),
        s(&[("app", "x"), ("pod", "2")], 20.0),
        s(&[("app", "y"), ("pod", "3")], 30.0),
    ];
    let one = vec![s(&[("app", "x"), ("team", "t1")], 2.0)];
    let left = bin(
        BinaryOp::Div,
        false,
        MatchingLabels::On(names(&["app"])),
        Cardinality::ManyToOne(names(&["team"])),
    );
    let out = vector_op(&left, many.clone(), one.clone()).unwrap();
    assert_eq!(
        rendered(&out),
        [
            r#"{app="x", pod="1", team="t1"} 5"#,
            r#"{app="x", pod="2", team="t1"} 10"#
        ]
    );
    let right = bin(
        BinaryOp::Div,
        false,
        MatchingLabels::On(names(&["app"])),
        Cardinality::OneToMany(names(&["team"])),
    );
    // `one / on(app) group_right(team) many`: the one side is on the left now.
    let out = vector_op(&right, one, many).unwrap();
    assert_eq!(
        rendered(&out),
        [
            r#"{app="x", pod="1", team="t1"} 0.2"#,
            r#"{app="x", pod="2", team="t1"} 0.1"#
        ]
    );
}

#[test]
fn matching_errors_are_lokis() {
    let lhs = vec![
        s(&[("app", "x"), ("pod", "1")], 1.0),
        s(&[("app", "x"), ("pod", "2")], 2.0),
    ];
    let rhs = vec![s(&[("app", "x")], 1.0)];
    let on = |card| {
        bin(
            BinaryOp::Add,
            false,
            MatchingLabels::On(names(&["app"])),
            card,
        )
    };
    let err = vector_op(&on(Cardinality::OneToOne), lhs.clone(), rhs.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
    );
    let err = vector_op(&on(Cardinality::OneToOne), rhs.clone(), lhs.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels must be unique on one side"
    );
    let err = vector_op(
        &on(Cardinality::OneToMany(vec![])),
        lhs.clone(),
        rhs.clone(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("on the left hand-side"), "{err}");
    // group_left without pod: both left series map to {app="x"}.
    let grouping = bin(
        BinaryOp::Add,
        false,
        MatchingLabels::Ignoring(names(&["pod"])),
        Cardinality::ManyToOne(vec![]),
    );
    let lhs = vec![
        s(&[("app", "x"), ("pod", "1")], 1.0),
        s(&[("app", "x"), ("pod", "2")], 2.0),
    ];
    let ok = vector_op(&grouping, lhs, rhs).unwrap();
    assert_eq!(ok.len(), 2);
}

#[test]
fn set_operators() {
    let lhs = vec![s(&[("a", "1")], 1.0), s(&[("a", "2")], 2.0)];
    let rhs = vec![s(&[("a", "2")], 20.0), s(&[("a", "3")], 30.0)];
    let and = vector_op(&plain(BinaryOp::And), lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(rendered(&and), [r#"{a="2"} 2"#]);
    let or = vector_op(&plain(BinaryOp::Or), lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(
        rendered(&or),
        [r#"{a="1"} 1"#, r#"{a="2"} 2"#, r#"{a="3"} 30"#]
    );
    let unless = vector_op(&plain(BinaryOp::Unless), lhs.clone(), rhs.clone()).unwrap();
    assert_eq!(rendered(&unless), [r#"{a="1"} 1"#]);
    assert!(
        vector_op(&plain(BinaryOp::And), lhs.clone(), vec![])
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        vector_op(&plain(BinaryOp::Or), vec![], rhs.clone())
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        vector_op(&plain(BinaryOp::Unless), lhs, vec![])
            .unwrap()
            .len(),
        2
    );
}
