//! The LogQL evaluator: turns a parsed query into per-step sample vectors (metric queries) or
//! streams (log queries), reading through a [`LogQuerier`].
//!
//! Semantics follow Loki v3 (`pkg/logql/evaluator.go`, `range_vector.go`, `engine.go` in
//! grafana/loki): a metric query is evaluated at every step `start, start + step, ..., <= end`
//! (one step for an instant query); a range aggregation at step `t` aggregates the samples of
//! the window `(t - offset - range, t - offset]` (left-open, right-closed), and a series has a
//! value at a step only when its window holds a sample.
//!
//! Unlike Loki, which pulls every node of the tree one step at a time, each node here is
//! evaluated over all steps before its parent ([`StepVectors`]): a range aggregation reads its
//! selector's whole time range with one select and slides its windows per series. Results are
//! the same; only which of two errors a query that has both reports may differ.

pub(crate) mod binary;
pub(crate) mod error;
pub(crate) mod label_replace;
pub(crate) mod logs;
pub(crate) mod range;
pub(crate) mod range_fns;
pub(crate) mod vector_agg;

use std::time::Instant;

use model::{Labels, LogQuerier, ScanStats};

use super::syntax::{SampleExpr, VectorOp};
use crate::promql::CancelToken;
use error::QueryError;

/// One series' value at one step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// The series' labels.
    pub labels: Labels,
    /// Its value.
    pub value: f64,
}

impl Sample {
    /// A sample of `labels` with `value`.
    pub(crate) fn new(labels: Labels, value: f64) -> Self {
        Self { labels, value }
    }
}

/// The samples of one step, in an order each node documents (range aggregations give label
/// order; the other nodes keep their input's order).
pub(crate) type StepVector = Vec<Sample>;

/// A node's value at every step of the grid, indexed like [`Grid::time`].
pub(crate) type StepVectors = Vec<StepVector>;

/// The evaluation steps of a query, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    /// The first step.
    pub start: i64,
    /// Time between steps (at least 1).
    pub step: i64,
    /// Number of steps (at least 1).
    pub count: usize,
}

impl Grid {
    /// The single step of an instant query at `time`.
    pub(crate) fn instant(time: i64) -> Self {
        Self {
            start: time,
            step: 1,
            count: 1,
        }
    }

    /// The steps `start, start + step, ...` up to and including `end`. The caller checks
    /// `step > 0` and `end >= start`.
    pub(crate) fn range(start: i64, end: i64, step: i64) -> Self {
        let step = step.max(1);
        let span = end.saturating_sub(start).max(0);
        let count = usize::try_from(span / step).map_or(usize::MAX, |n| n.saturating_add(1));
        Self { start, step, count }
    }

    /// Time of step `i`, nanoseconds.
    pub(crate) fn time(&self, i: usize) -> i64 {
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        self.start.saturating_add(i.saturating_mul(self.step))
    }

    /// Time of the last step, nanoseconds.
    pub(crate) fn last(&self) -> i64 {
        self.time(self.count.saturating_sub(1))
    }

    /// Timestamp of step `i` in the result, milliseconds (truncated as Loki's `ns / 1e6`).
    pub(crate) fn millis(&self, i: usize) -> i64 {
        self.time(i) / 1_000_000
    }

    /// An empty vector per step.
    pub(crate) fn empty_steps(&self) -> StepVectors {
        vec![Vec::new(); self.count]
    }
}

/// Stops a query once its caller cancels it or its deadline passes.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    cancel: CancelToken,
    deadline: Option<Instant>,
}

impl Guard {
    /// A guard over `cancel`, expiring at `deadline` (`None`: never).
    pub(crate) fn new(cancel: CancelToken, deadline: Option<Instant>) -> Self {
        Self { cancel, deadline }
    }

    /// `Err` once the query must stop.
    pub(crate) fn check(&self) -> Result<(), QueryError> {
        if self.cancel.is_canceled() {
            return Err(QueryError::Canceled);
        }
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(QueryError::Timeout),
            _ => Ok(()),
        }
    }
}

/// How many entries a scan reads between two [`Guard::check`]s.
pub(crate) const CHECK_EVERY: usize = 1024;

/// The work the selects of one query did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ScanTotals {
    /// What the stores read, summed over selects.
    pub scan: ScanStats,
    /// Entries that passed the whole pipeline (Loki's post-filter lines).
    pub post_filter_lines: u64,
}

impl ScanTotals {
    /// Adds one select's figures.
    pub(crate) fn add(&mut self, scan: &ScanStats, post_filter_lines: u64) {
        self.scan.add(scan);
        self.post_filter_lines += post_filter_lines;
    }
}

/// Evaluates the nodes of a metric query over a grid.
pub(crate) struct Evaluator<'a> {
    pub(crate) querier: &'a dyn LogQuerier,
    pub(crate) tenant: &'a str,
    pub(crate) grid: Grid,
    pub(crate) guard: Guard,
    /// The work done so far.
    pub(crate) totals: ScanTotals,
}

impl<'a> Evaluator<'a> {
    /// An evaluator reading `tenant`'s logs through `querier` at the steps of `grid`.
    pub(crate) fn new(
        querier: &'a dyn LogQuerier,
        tenant: &'a str,
        grid: Grid,
        guard: Guard,
    ) -> Self {
        Self {
            querier,
            tenant,
            grid,
            guard,
            totals: ScanTotals::default(),
        }
    }

    /// The value of `expr` at every step.
    pub(crate) fn eval(&mut self, expr: &SampleExpr) -> Result<StepVectors, QueryError> {
        self.guard.check()?;
        match expr {
            SampleExpr::RangeAggregation(agg) => range::eval(self, agg),
            SampleExpr::VectorAggregation(agg) => {
                let input = self.eval(&agg.inner)?;
                Ok(vector_agg::eval(agg, input))
            }
            SampleExpr::Binary(bin) => binary::eval(self, bin),
            SampleExpr::LabelReplace(lr) => {
                let input = self.eval(&lr.inner)?;
                label_replace::eval(lr, input)
            }
            SampleExpr::Vector(value) => Ok(self.vector(*value)),
            SampleExpr::Literal(_) => Err(QueryError::Execution(
                "a number cannot be evaluated where a vector is expected".into(),
            )),
        }
    }

    /// `vector(value)`: one sample without labels at every step.
    fn vector(&self, value: f64) -> StepVectors {
        (0..self.grid.count)
            .map(|_| vec![Sample::new(Labels::empty(), value)])
            .collect()
    }
}

/// True when `expr` contains `sort` or `sort_desc`: an instant query then keeps its result in
/// the order the evaluator gives instead of sorting it by labels (Loki's `Sortable`).
pub(crate) fn sorts_by_value(expr: &SampleExpr) -> bool {
    match expr {
        SampleExpr::VectorAggregation(agg) => {
            matches!(agg.op, VectorOp::Sort | VectorOp::SortDesc) || sorts_by_value(&agg.inner)
        }
        SampleExpr::Binary(bin) => sorts_by_value(&bin.lhs) || sorts_by_value(&bin.rhs),
        SampleExpr::LabelReplace(lr) => sorts_by_value(&lr.inner),
        SampleExpr::RangeAggregation(_) | SampleExpr::Literal(_) | SampleExpr::Vector(_) => false,
    }
}

#[cfg(test)]
mod tests;
