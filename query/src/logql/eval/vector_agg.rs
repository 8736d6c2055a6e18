//! Vector aggregations (`sum`, `avg`, `count`, `min`, `max`, `stddev`, `stdvar`, `topk`,
//! `bottomk`, `sort`, `sort_desc`) with `by`/`without`, as Loki v3's `VectorAggEvaluator`
//! computes them: plain sums, an incremental mean, Welford's variance, and for the ranking
//! operations Go's `container/heap` with Loki's comparisons, so that ties resolve as in Loki
//! for the same input order.

use std::cmp::Ordering;
use std::collections::HashMap;

use model::{Labels, METRIC_NAME};

use super::{Sample, StepVector, StepVectors};
use crate::logql::syntax::{Grouping, VectorAggregation, VectorOp};

/// Evaluates `agg` at every step of its already evaluated input.
pub(crate) fn eval(agg: &VectorAggregation, input: StepVectors) -> StepVectors {
    input
        .into_iter()
        .map(|step| aggregate_step(agg.op, agg.param, &agg.grouping, step))
        .collect()
}

/// One step of an aggregation. Groups come out in the order their first sample came in.
pub(crate) fn aggregate_step(
    op: VectorOp,
    param: Option<i64>,
    grouping: &Grouping,
    step: StepVector,
) -> StepVector {
    let k = match op {
        VectorOp::Topk | VectorOp::Bottomk => match param.and_then(|k| usize::try_from(k).ok()) {
            Some(k) if k >= 1 => k,
            _ => return Vec::new(),
        },
        _ => usize::MAX,
    };
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for sample in step {
        let key = group_labels(&sample.labels, grouping);
        match index.get(&key) {
            Some(&i) => {
                if let Some(group) = groups.get_mut(i) {
                    group.add(op, k, sample);
                }
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(Group::new(op, key, sample));
            }
        }
    }
    groups.into_iter().flat_map(|g| g.finish(op)).collect()
}

/// The labels of a sample's group: only the `by` labels, or all but the `without` labels and
/// `__name__`.
fn group_labels(labels: &Labels, grouping: &Grouping) -> Labels {
    let names: Vec<&str> = grouping.labels.iter().map(String::as_str).collect();
    if grouping.without {
        let mut names = names;
        names.push(METRIC_NAME);
        labels.without(&names)
    } else {
        labels.keep_only(&names)
    }
}

/// The running state of one group (Loki's `groupedAggregation`).
struct Group {
    labels: Labels,
    value: f64,
    mean: f64,
    count: f64,
    /// `topk`, `bottomk`, `sort`, `sort_desc`: the samples kept, as a Go heap.
    heap: Vec<Sample>,
}

impl Group {
    /// A group started by its first sample.
    fn new(op: VectorOp, labels: Labels, first: Sample) -> Self {
        let value = match op {
            VectorOp::Stddev | VectorOp::Stdvar => 0.0,
            _ => first.value,
        };
        let mut group = Group {
            labels,
            value,
            mean: first.value,
            count: 1.0,
            heap: Vec::new(),
        };
        if let Some(order) = HeapOrder::of(op) {
            heap_push(&mut group.heap, first, order);
        }
        group
    }

    /// Adds a later sample of the group.
    fn add(&mut self, op: VectorOp, k: usize, sample: Sample) {
        let v = sample.value;
        match op {
            VectorOp::Sum => self.value += v,
            VectorOp::Avg => {
                self.count += 1.0;
                self.mean += (v - self.mean) / self.count;
            }
            VectorOp::Max => {
                if self.value < v || self.value.is_nan() {
                    self.value = v;
                }
            }
            VectorOp::Min => {
                if self.value > v || self.value.is_nan() {
                    self.value = v;
                }
            }
            VectorOp::Count => self.count += 1.0,
            VectorOp::Stddev | VectorOp::Stdvar => {
                self.count += 1.0;
                let delta = v - self.mean;
                self.mean += delta / self.count;
                self.value += delta * (v - self.mean);
            }
            VectorOp::Topk | VectorOp::Bottomk | VectorOp::Sort | VectorOp::SortDesc => {
                self.add_ranked(op, k, sample);
            }
        }
    }

    /// `topk`/`bottomk` keep `k` samples: a new one displaces the heap's top (the worst kept)
    /// only when strictly better or the top is NaN; `sort`/`sort_desc` keep all.
    fn add_ranked(&mut self, op: VectorOp, k: usize, sample: Sample) {
        let Some(order) = HeapOrder::of(op) else {
            return;
        };
        let keep_all = matches!(op, VectorOp::Sort | VectorOp::SortDesc);
        let enters = keep_all
            || self.heap.len() < k
            || self.heap.first().is_some_and(|top| {
                top.value.is_nan() || order.strictly_worse(top.value, sample.value)
            });
        if !enters {
            return;
        }
        if !keep_all && self.heap.len() == k {
            heap_pop(&mut self.heap, order);
        }
        heap_push(&mut self.heap, sample, order);
    }

    /// The group's output samples.
    fn finish(self, op: VectorOp) -> Vec<Sample> {
        let value = match op {
            VectorOp::Avg => self.mean,
            VectorOp::Count => self.count,
            VectorOp::Stddev => (self.value / self.count).sqrt(),
            VectorOp::Stdvar => self.value / self.count,
            VectorOp::Sum | VectorOp::Max | VectorOp::Min => self.value,
            VectorOp::Topk | VectorOp::Bottomk | VectorOp::Sort | VectorOp::SortDesc => {
                let mut heap = self.heap;
                if let Some(order) = HeapOrder::of(op) {
                    sort_best_first(&mut heap, order);
                }
                return heap;
            }
        };
        vec![Sample::new(self.labels, value)]
    }
}

/// The order of a ranking heap (Loki's `vectorByValueHeap` / `vectorByReverseValueHeap`): the
/// top is the least element, NaN is less than everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeapOrder {
    /// Least = smallest value: keeps the largest (`topk`, `sort_desc`).
    ByValue,
    /// Least = largest value: keeps the smallest (`bottomk`, `sort`).
    ByReverseValue,
}

impl HeapOrder {
    fn of(op: VectorOp) -> Option<Self> {
        match op {
            VectorOp::Topk | VectorOp::SortDesc => Some(HeapOrder::ByValue),
            VectorOp::Bottomk | VectorOp::Sort => Some(HeapOrder::ByReverseValue),
            _ => None,
        }
    }

    /// Go's `Less(i, j)` of the heap type.
    fn less(self, a: f64, b: f64) -> bool {
        if a.is_nan() {
            return true;
        }
        match self {
            HeapOrder::ByValue => a < b,
            HeapOrder::ByReverseValue => a > b,
        }
    }

    /// True when `kept` ranks strictly below `candidate` (the candidate displaces it).
    fn strictly_worse(self, kept: f64, candidate: f64) -> bool {
        match self {
            HeapOrder::ByValue => kept < candidate,
            HeapOrder::ByReverseValue => kept > candidate,
        }
    }
}

/// Go's `heap.Push`: append, then sift up.
fn heap_push(heap: &mut Vec<Sample>, sample: Sample, order: HeapOrder) {
    heap.push(sample);
    let mut j = heap.len() - 1;
    while j > 0 {
        let parent = (j - 1) / 2;
        if !less_at(heap, j, parent, order) {
            break;
        }
        heap.swap(parent, j);
        j = parent;
    }
}

/// Go's `heap.Pop`: move the top to the end, sift the new top down, remove the end.
fn heap_pop(heap: &mut Vec<Sample>, order: HeapOrder) {
    let Some(n) = heap.len().checked_sub(1) else {
        return;
    };
    heap.swap(0, n);
    let mut i = 0;
    loop {
        let left = 2 * i + 1;
        if left >= n {
            break;
        }
        let right = left + 1;
        let child = if right < n && less_at(heap, right, left, order) {
            right
        } else {
            left
        };
        if !less_at(heap, child, i, order) {
            break;
        }
        heap.swap(i, child);
        i = child;
    }
    heap.pop();
}

fn less_at(heap: &[Sample], i: usize, j: usize, order: HeapOrder) -> bool {
    match (heap.get(i), heap.get(j)) {
        (Some(a), Some(b)) => order.less(a.value, b.value),
        _ => false,
    }
}

/// Loki's `sort.Sort(sort.Reverse(heap))`: best first, NaN last. Go sorts up to 12 elements by
/// insertion sort, which this reproduces exactly (ties keep their heap positions); longer
/// slices, where Go's order of ties is unspecified, are sorted stably.
fn sort_best_first(heap: &mut [Sample], order: HeapOrder) {
    // Reverse(Less)(i, j) = Less(j, i).
    let before = |a: &Sample, b: &Sample| order.less(b.value, a.value);
    if heap.len() <= 12 {
        for i in 1..heap.len() {
            let mut j = i;
            while j > 0 {
                let (Some(a), Some(b)) = (heap.get(j), heap.get(j - 1)) else {
                    break;
                };
                if !before(a, b) {
                    break;
                }
                heap.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    heap.sort_by(|a, b| {
        let key = |s: &Sample| match order {
            HeapOrder::ByValue => -s.value,
            HeapOrder::ByReverseValue => s.value,
        };
        a.value
            .is_nan()
            .cmp(&b.value.is_nan())
            .then_with(|| key(a).partial_cmp(&key(b)).unwrap_or(Ordering::Equal))
    });
}

#[cfg(test)]
#[path = "vector_agg_tests.rs"]
mod tests;
