//! Binary operations: between a metric query and a number, and between two metric queries with
//! PromQL's vector matching (`on`/`ignoring`, `group_left`/`group_right`, set operators), as
//! Loki v3 evaluates them (`BinOpStepEvaluator`, `LiteralStepEvaluator`, `syntax.MergeBinOp`).
//!
//! Loki's arithmetic differs from Prometheus's in two places: division and modulo by zero give
//! NaN, and the result of one-to-one matching keeps the left side's labels (no `__name__` is
//! dropped; log series have none).

use std::collections::{HashMap, HashSet};

use model::Labels;

use super::error::QueryError;
use super::{Evaluator, Sample, StepVector, StepVectors};
use crate::logql::syntax::{BinaryExpr, BinaryOp, Cardinality, MatchingLabels, SampleExpr};

/// Evaluates a binary operation at every step.
pub(crate) fn eval(ev: &mut Evaluator<'_>, bin: &BinaryExpr) -> Result<StepVectors, QueryError> {
    match (&*bin.lhs, &*bin.rhs) {
        (SampleExpr::Literal(_), SampleExpr::Literal(_)) => Err(QueryError::Execution(
            "a binary operation between two numbers has no vector to apply to".into(),
        )),
        (SampleExpr::Literal(value), other) => {
            let steps = ev.eval(other)?;
            Ok(with_literal(bin.op, bin.return_bool, *value, true, steps))
        }
        (other, SampleExpr::Literal(value)) => {
            let steps = ev.eval(other)?;
            Ok(with_literal(bin.op, bin.return_bool, *value, false, steps))
        }
        (lhs, rhs) => {
            let lhs = ev.eval(lhs)?;
            let rhs = ev.eval(rhs)?;
            lhs.into_iter()
                .zip(rhs)
                .map(|(l, r)| vector_op(bin, l, r))
                .collect()
        }
    }
}

/// `vector op literal` (or `literal op vector` when `literal_on_left`) at every step: the
/// result keeps each sample's labels; a comparison without `bool` keeps the samples for which
/// it holds, with their own values.
pub(crate) fn with_literal(
    op: BinaryOp,
    return_bool: bool,
    literal: f64,
    literal_on_left: bool,
    steps: StepVectors,
) -> StepVectors {
    let filter = !return_bool;
    steps
        .into_iter()
        .map(|step| {
            step.into_iter()
                .filter_map(|sample| {
                    let (l, r) = if literal_on_left {
                        (literal, sample.value)
                    } else {
                        (sample.value, literal)
                    };
                    let value = apply(op, l, r, filter)?;
                    let value = if op.is_comparison() && filter {
                        sample.value
                    } else {
                        value
                    };
                    Some(Sample::new(sample.labels, value))
                })
                .collect()
        })
        .collect()
}

/// `l op r` for the arithmetic and comparison operators: `None` when a comparison fails and
/// `filter` is set (no `bool`), 0/1 for comparisons otherwise; `None` for set operators,
/// which never reach here (they pair samples, not values).
pub(crate) fn apply(op: BinaryOp, l: f64, r: f64, filter: bool) -> Option<f64> {
    let value = op.apply(l, r)?;
    if filter && op.is_comparison() && value == 0.0 {
        None
    } else {
        Some(value)
    }
}

/// One step of an operation between two vectors.
fn vector_op(bin: &BinaryExpr, lhs: StepVector, rhs: StepVector) -> Result<StepVector, QueryError> {
    let signature = |s: &Sample| match_signature(&s.labels, &bin.matching.labels);
    let lsigs: Vec<Labels> = lhs.iter().map(signature).collect();
    let rsigs: Vec<Labels> = rhs.iter().map(signature).collect();
    match bin.op {
        BinaryOp::And => Ok(and(lhs, &lsigs, &rsigs)),
        BinaryOp::Or => Ok(or(lhs, rhs, &lsigs, &rsigs)),
        BinaryOp::Unless => Ok(unless(lhs, &lsigs, &rsigs)),
        _ => arithmetic(bin, lhs, rhs, lsigs, rsigs),
    }
}

/// The labels two series are matched on.
fn match_signature(labels: &Labels, matching: &MatchingLabels) -> Labels {
    match matching {
        MatchingLabels::On(names) => {
            labels.keep_only(&names.iter().map(String::as_str).collect::<Vec<_>>())
        }
        MatchingLabels::Ignoring(names) => {
            labels.without(&names.iter().map(String::as_str).collect::<Vec<_>>())
        }
    }
}

fn and(lhs: StepVector, lsigs: &[Labels], rsigs: &[Labels]) -> StepVector {
    if lhs.is_empty() || rsigs.is_empty() {
        return Vec::new();
    }
    let right: HashSet<&Labels> = rsigs.iter().collect();
    lhs.into_iter()
        .zip(lsigs)
        .filter(|(_, sig)| right.contains(sig))
        .map(|(s, _)| s)
        .collect()
}

fn or(lhs: StepVector, rhs: StepVector, lsigs: &[Labels], rsigs: &[Labels]) -> StepVector {
    if lhs.is_empty() {
        return rhs;
    }
    if rhs.is_empty() {
        return lhs;
    }
    let left: HashSet<&Labels> = lsigs.iter().collect();
    let extra: Vec<Sample> = rhs
        .into_iter()
        .zip(rsigs)
        .filter(|(_, sig)| !left.contains(sig))
        .map(|(s, _)| s)
        .collect();
    lhs.into_iter().chain(extra).collect()
}

fn unless(lhs: StepVector, lsigs: &[Labels], rsigs: &[Labels]) -> StepVector {
    if rsigs.is_empty() {
        return lhs;
    }
    let right: HashSet<&Labels> = rsigs.iter().collect();
    lhs.into_iter()
        .zip(lsigs)
        .filter(|(_, sig)| !right.contains(sig))
        .map(|(s, _)| s)
        .collect()
}

/// Arithmetic and comparisons between vectors (Loki's `vectorBinop`). For `group_right` the
/// sides are swapped for matching and swapped back to apply the operator.
fn arithmetic(
    bin: &BinaryExpr,
    lhs: StepVector,
    rhs: StepVector,
    lsigs: Vec<Labels>,
    rsigs: Vec<Labels>,
) -> Result<StepVector, QueryError> {
    let card = &bin.matching.card;
    let one_to_many = matches!(card, Cardinality::OneToMany(_));
    let (many, one, many_sigs, one_sigs) = if one_to_many {
        (rhs, lhs, rsigs, lsigs)
    } else {
        (lhs, rhs, lsigs, rsigs)
    };
    let one_side = index_one_side(&one, &one_sigs, one_to_many)?;
    let filter = !bin.return_bool;
    let mut matched: HashMap<&Labels, HashSet<Labels>> = HashMap::new();
    let mut out = Vec::new();
    for (sample, sig) in many.iter().zip(&many_sigs) {
        let Some(&other) = one_side.get(sig) else {
            continue;
        };
        let labels = result_labels(&sample.labels, &other.labels, bin);
        let seen = matched.entry(sig).or_default();
        if matches!(card, Cardinality::OneToOne) {
            if !seen.is_empty() {
                return Err(QueryError::Execution(
                    "multiple matches for labels: many-to-one matching must be explicit \
                     (group_left/group_right)"
                        .into(),
                ));
            }
            seen.insert(Labels::empty());
        } else if !seen.insert(labels.clone()) {
            return Err(QueryError::Execution(
                "multiple matches for labels: grouping labels must ensure unique matches".into(),
            ));
        }
        let (l, r) = if one_to_many {
            (other, sample)
        } else {
            (sample, other)
        };
        if let Some(value) = apply(bin.op, l.value, r.value, filter) {
            let value = if bin.op.is_comparison() && filter {
                l.value
            } else {
                value
            };
            out.push(Sample::new(labels, value));
        }
    }
    Ok(out)
}

/// The "one" side's samples by signature; two with one signature are an error (the one side
/// is the right operand, or the left for `group_right`).
fn index_one_side<'s>(
    one: &'s [Sample],
    sigs: &'s [Labels],
    one_to_many: bool,
) -> Result<HashMap<&'s Labels, &'s Sample>, QueryError> {
    let mut index = HashMap::with_capacity(one.len());
    for (sample, sig) in one.iter().zip(sigs) {
        if index.insert(sig, sample).is_some() {
            let side = if one_to_many { "left" } else { "right" };
            return Err(QueryError::Execution(format!(
                "found duplicate series on the {side} hand-side;many-to-many matching not \
                 allowed: matching labels must be unique on one side"
            )));
        }
    }
    Ok(index)
}

/// The labels of a result sample (Loki's `resultMetric`): the "many" side's labels; for
/// one-to-one matching only the `on` labels, or without the `ignoring` labels; for
/// `group_x (labels)` those labels copied from the "one" side (removed where it lacks them).
fn result_labels(many: &Labels, one: &Labels, bin: &BinaryExpr) -> Labels {
    let mut builder = many.to_builder();
    let include = match &bin.matching.card {
        Cardinality::OneToOne => {
            match &bin.matching.labels {
                MatchingLabels::On(names) => {
                    for (name, _) in many.iter() {
                        if !names.iter().any(|n| n == name) {
                            builder.remove(name);
                        }
                    }
                }
                MatchingLabels::Ignoring(names) => {
                    for name in names {
                        builder.remove(name);
                    }
                }
            }
            &[][..]
        }
        Cardinality::ManyToOne(include) | Cardinality::OneToMany(include) => &include[..],
    };
    for name in include {
        match one.get(name) {
            Some(value) => builder.set(name, value),
            None => builder.remove(name),
        };
    }
    // Names and values come from valid label sets, so the set is valid.
    builder.build().unwrap_or_else(|_| many.clone())
}

#[cfg(test)]
#[path = "binary_tests.rs"]
mod tests;
