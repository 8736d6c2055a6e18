use model::Labels;

use super::*;

fn s(pairs: &[(&str, &str)], value: f64) -> Sample {
    Sample::new(Labels::from_pairs(pairs.iter().copied()).unwrap(), value)
}

fn by(names: &[&str]) -> Grouping {
    Grouping {
        without: false,
        labels: names.iter().map(|n| n.to_string()).collect(),
    }
}

fn without(names: &[&str]) -> Grouping {
    Grouping {
        without: true,
        labels: names.iter().map(|n| n.to_string()).collect(),
    }
}

/// app=a: 1, 3; app=b: 10, 20, 30 (with a `pod` label each).
fn input() -> StepVector {
    vec![
        s(&[("app", "a"), ("pod", "1")], 1.0),
        s(&[("app", "b"), ("pod", "2")], 10.0),
        s(&[("app", "a"), ("pod", "3")], 3.0),
        s(&[("app", "b"), ("pod", "4")], 20.0),
        s(&[("app", "b"), ("pod", "5")], 30.0),
    ]
}

fn run(op: VectorOp, param: Option<i64>, grouping: &Grouping) -> Vec<(String, f64)> {
    aggregate_step(op, param, grouping, input())
        .into_iter()
        .map(|s| (s.labels.to_string(), s.value))
        .collect()
}

#[test]
fn reducing_aggregations_by_app() {
    let g = by(&["app"]);
    let a = r#"{app="a"}"#.to_string();
    let b = r#"{app="b"}"#.to_string();
    assert_eq!(
        run(VectorOp::Sum, None, &g),
        [(a.clone(), 4.0), (b.clone(), 60.0)]
    );
    assert_eq!(
        run(VectorOp::Avg, None, &g),
        [(a.clone(), 2.0), (b.clone(), 20.0)]
    );
    assert_eq!(
        run(VectorOp::Count, None, &g),
        [(a.clone(), 2.0), (b.clone(), 3.0)]
    );
    assert_eq!(
        run(VectorOp::Min, None, &g),
        [(a.clone(), 1.0), (b.clone(), 10.0)]
    );
    assert_eq!(
        run(VectorOp::Max, None, &g),
        [(a.clone(), 3.0), (b.clone(), 30.0)]
    );
    // Population variance: a: mean 2, (1 + 1) / 2 = 1; b: mean 20, (100 + 0 + 100) / 3.
    let stdvar = run(VectorOp::Stdvar, None, &g);
    assert_eq!(stdvar[0], (a.clone(), 1.0));
    assert!((stdvar[1].1 - 200.0 / 3.0).abs() < 1e-12);
    let stddev = run(VectorOp::Stddev, None, &g);
    assert_eq!(stddev[0], (a, 1.0));
    assert!((stddev[1].1 - (200.0_f64 / 3.0).sqrt()).abs() < 1e-12);
}

#[test]
fn empty_by_aggregates_everything_and_without_drops_labels() {
    assert_eq!(
        run(VectorOp::Sum, None, &Grouping::default()),
        [("{}".to_string(), 64.0)]
    );
    let out = run(VectorOp::Count, None, &without(&["pod"]));
    assert_eq!(
        out,
        [
            (r#"{app="a"}"#.to_string(), 2.0),
            (r#"{app="b"}"#.to_string(), 3.0)
        ]
    );
}

#[test]
fn topk_and_bottomk_keep_whole_series_best_first() {
    let out = run(VectorOp::Topk, Some(2), &by(&["app"]));
    assert_eq!(
        out,
        [
            (r#"{app="a", pod="3"}"#.to_string(), 3.0),
            (r#"{app="a", pod="1"}"#.to_string(), 1.0),
            (r#"{app="b", pod="5"}"#.to_string(), 30.0),
            (r#"{app="b", pod="4"}"#.to_string(), 20.0),
        ]
    );
    let out = run(VectorOp::Bottomk, Some(1), &Grouping::default());
    assert_eq!(out, [(r#"{app="a", pod="1"}"#.to_string(), 1.0)]);
    assert!(run(VectorOp::Topk, Some(0), &Grouping::default()).is_empty());
}

#[test]
fn topk_ties_keep_the_earlier_series_and_nan_ranks_last() {
    let step = vec![
        s(&[("x", "1")], 5.0),
        s(&[("x", "2")], 5.0),
        s(&[("x", "3")], f64::NAN),
        s(&[("x", "4")], 1.0),
    ];
    let top = aggregate_step(VectorOp::Topk, Some(1), &Grouping::default(), step.clone());
    assert_eq!(top, [s(&[("x", "1")], 5.0)], "a tie does not displace");
    let top = aggregate_step(VectorOp::Topk, Some(4), &Grouping::default(), step.clone());
    let values: Vec<String> = top.iter().map(|s| s.value.to_string()).collect();
    assert_eq!(values, ["5", "5", "1", "NaN"]);
    let bottom = aggregate_step(VectorOp::Bottomk, Some(2), &Grouping::default(), step);
    let values: Vec<f64> = bottom.iter().map(|s| s.value).collect();
    assert_eq!(values, [1.0, 5.0]);
}

#[test]
fn sort_and_sort_desc_order_every_series() {
    let out = run(VectorOp::Sort, None, &Grouping::default());
    let values: Vec<f64> = out.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [1.0, 3.0, 10.0, 20.0, 30.0]);
    let out = run(VectorOp::SortDesc, None, &Grouping::default());
    let values: Vec<f64> = out.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [30.0, 20.0, 10.0, 3.0, 1.0]);
}

#[test]
fn long_sorts_put_nan_last() {
    let step: StepVector = (0..20)
        .map(|i| {
            let v = if i % 7 == 0 {
                f64::NAN
            } else {
                f64::from(i % 5)
            };
            s(&[("i", &i.to_string())], v)
        })
        .collect();
    let out = aggregate_step(VectorOp::SortDesc, None, &Grouping::default(), step.clone());
    let finite: Vec<f64> = out
        .iter()
        .map(|s| s.value)
        .take_while(|v| !v.is_nan())
        .collect();
    assert_eq!(finite.len(), 17);
    assert!(finite.windows(2).all(|w| w[0] >= w[1]));
    assert!(out.iter().skip(17).all(|s| s.value.is_nan()));
    let out = aggregate_step(VectorOp::Sort, None, &Grouping::default(), step);
    let finite: Vec<f64> = out
        .iter()
        .map(|s| s.value)
        .take_while(|v| !v.is_nan())
        .collect();
    assert!(finite.windows(2).all(|w| w[0] <= w[1]) && finite.len() == 17);
}

#[test]
fn max_and_min_replace_a_nan_first_value() {
    let step = vec![s(&[("x", "1")], f64::NAN), s(&[("x", "2")], 2.0)];
    let max = aggregate_step(VectorOp::Max, None, &Grouping::default(), step.clone());
    assert_eq!(max[0].value, 2.0);
    let min = aggregate_step(VectorOp::Min, None, &Grouping::default(), step);
    assert_eq!(min[0].value, 2.0);
}

#[test]
fn go_heap_matches_container_heap() {
    // Pushing 3, 1, 2 into a min-heap and popping gives 1 first, leaving the heap valid.
    let mut heap = Vec::new();
    for v in [3.0, 1.0, 2.0] {
        heap_push(&mut heap, s(&[], v), HeapOrder::ByValue);
    }
    assert_eq!(heap[0].value, 1.0);
    heap_pop(&mut heap, HeapOrder::ByValue);
    assert_eq!(heap[0].value, 2.0);
    assert_eq!(heap.len(), 2);
}
