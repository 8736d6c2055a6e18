use std::time::{Duration, Instant};

use model::VecLogQuerier;

use super::*;
use crate::logql::syntax::{Expr, parse};

fn sample_expr(query: &str) -> SampleExpr {
    match parse(query) {
        Ok(Expr::Sample(expr)) => expr,
        other => panic!("{query}: {other:?}"),
    }
}

#[test]
fn grid_steps_include_the_end() {
    let grid = Grid::range(10, 40, 10);
    assert_eq!(grid.count, 4);
    assert_eq!(grid.time(3), 40);
    assert_eq!(grid.last(), 40);
    let grid = Grid::range(10, 45, 10);
    assert_eq!((grid.count, grid.last()), (4, 40));
    let grid = Grid::instant(1_500_000);
    assert_eq!((grid.count, grid.millis(0)), (1, 1));
    assert_eq!(
        Grid::instant(-1_500_000).millis(0),
        -1,
        "truncated toward zero like Go"
    );
}

#[test]
fn guard_reports_cancellation_and_deadline() {
    let cancel = CancelToken::default();
    let guard = Guard::new(cancel.clone(), None);
    assert!(guard.check().is_ok());
    cancel.cancel();
    assert!(matches!(guard.check(), Err(QueryError::Canceled)));
    let past = Instant::now().checked_sub(Duration::from_millis(1));
    let guard = Guard::new(CancelToken::default(), past);
    assert!(matches!(guard.check(), Err(QueryError::Timeout)));
}

#[test]
fn vectors_and_literals_evaluate_without_reading() {
    let store = VecLogQuerier::new();
    let grid = Grid::range(0, 20, 10);
    let mut ev = Evaluator::new(&store, "t", grid, Guard::new(CancelToken::default(), None));
    let steps = ev.eval(&sample_expr("vector(1) + vector(1)")).unwrap();
    assert_eq!(steps.len(), 3);
    assert!(
        steps
            .iter()
            .all(|s| s == &[Sample::new(Labels::empty(), 2.0)])
    );
    let steps = ev.eval(&sample_expr("vector(3) * 2 > bool 5")).unwrap();
    assert!(
        steps
            .iter()
            .all(|s| s == &[Sample::new(Labels::empty(), 1.0)])
    );
    let steps = ev.eval(&sample_expr("sum(vector(2)) - 1")).unwrap();
    assert!(
        steps
            .iter()
            .all(|s| s == &[Sample::new(Labels::empty(), 1.0)])
    );
    assert!(ev.eval(&SampleExpr::Literal(1.0)).is_err());
    assert_eq!(ev.totals, ScanTotals::default());
}

#[test]
fn a_cancelled_query_stops_before_evaluating() {
    let store = VecLogQuerier::new();
    let cancel = CancelToken::default();
    cancel.cancel();
    let mut ev = Evaluator::new(&store, "t", Grid::instant(0), Guard::new(cancel, None));
    assert!(matches!(
        ev.eval(&sample_expr("vector(1)")),
        Err(QueryError::Canceled)
    ));
}

#[test]
fn sortable_queries_are_found_anywhere_in_the_tree() {
    assert!(sorts_by_value(&sample_expr("sort(vector(1))")));
    assert!(sorts_by_value(&sample_expr(
        r#"vector(1) + sort_desc(sum by (a) (rate({a="b"}[1m])))"#
    )));
    assert!(!sorts_by_value(&sample_expr(
        r#"topk(2, rate({a="b"}[1m]))"#
    )));
}
