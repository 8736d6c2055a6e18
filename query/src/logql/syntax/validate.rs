//! Checks on a parsed query.
//!
//! First ours: the query's canonical form must not nest deeper than the parser reads
//! ([`MAX_DEPTH`]). Flat chains parse with loops, but print with one level of parentheses per
//! operator (`a, b, c` is `( a , ( b , c ) )`, `x + y + z` is `((x + y) + z)`); refusing them
//! here keeps "what parses prints to text that parses" true, and bounds every recursive walk
//! of the tree (printing, comparing, dropping, evaluating).
//!
//! Then Loki's (`validateExpr` in `pkg/logql/syntax/parser.go`): every stream selector has a
//! matcher that selects (one that does not match the empty string, so that the query cannot
//! read every stream), and `sort`/`sort_desc` have no grouping. Every selector of the tree is
//! checked, including those Loki's walk skips (the right operand of a binary operation under
//! `label_replace`).

use super::ast::{Expr, LabelFilter, LogExpr, SampleExpr, Stage, VectorOp};
use super::error::ParseError;
use super::parser::MAX_DEPTH;

/// Loki's message for a selector that could select every stream.
const NO_SELECTIVE_MATCHER: &str = "queries require at least one regexp or equality matcher \
     that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this \
     requirement, but app=~\".+\" will";

/// The first check `expr` fails: nesting, then Loki's in its order (a pre-order walk, left
/// before right).
pub(crate) fn validate(expr: &Expr) -> Result<(), ParseError> {
    if printed_depth(expr) > MAX_DEPTH {
        return Err(ParseError::unpositioned(format!(
            "syntax error: expression nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match expr {
        Expr::Log(log) => validate_selector(log),
        Expr::Sample(sample) => validate_sample(sample),
    }
}

fn validate_selector(log: &LogExpr) -> Result<(), ParseError> {
    if log.matchers.iter().any(|m| !m.matches_empty()) {
        Ok(())
    } else {
        Err(ParseError::unpositioned(NO_SELECTIVE_MATCHER))
    }
}

fn validate_sample(root: &SampleExpr) -> Result<(), ParseError> {
    let mut pending = vec![root];
    while let Some(expr) = pending.pop() {
        match expr {
            SampleExpr::VectorAggregation(agg) => {
                let sort = matches!(agg.op, VectorOp::Sort | VectorOp::SortDesc);
                if sort && !agg.grouping.labels.is_empty() {
                    return Err(ParseError::unpositioned(
                        "sort and sort_desc doesn't allow grouping by ",
                    ));
                }
                pending.push(&agg.inner);
            }
            SampleExpr::Binary(bin) => {
                pending.push(&bin.rhs);
                pending.push(&bin.lhs);
            }
            SampleExpr::LabelReplace(lr) => pending.push(&lr.inner),
            SampleExpr::RangeAggregation(agg) => validate_selector(&agg.range.selector)?,
            SampleExpr::Literal(_) | SampleExpr::Vector(_) => {}
        }
    }
    Ok(())
}

/// How deep the parser nests (its depth counter) when it reads `expr`'s canonical form: one
/// level for the query, one per call argument (`sum(`, `label_replace(`), one for the left and
/// two for the right operand of a parenthesized binary operation (the right one is read by a
/// nested precedence level), one per parenthesized label filter pair. Iterative, so that it
/// can measure any tree.
fn printed_depth(expr: &Expr) -> usize {
    let mut deepest = 1;
    let mut samples: Vec<(&SampleExpr, usize)> = Vec::new();
    let mut filters: Vec<(&LabelFilter, usize)> = Vec::new();
    match expr {
        Expr::Log(log) => push_filters(log, None, 1, &mut filters),
        Expr::Sample(sample) => samples.push((sample, 1)),
    }
    while let Some((sample, depth)) = samples.pop() {
        deepest = deepest.max(depth);
        match sample {
            SampleExpr::Binary(bin) => {
                samples.push((&bin.lhs, depth + 1));
                samples.push((&bin.rhs, depth + 2));
            }
            SampleExpr::VectorAggregation(agg) => samples.push((&agg.inner, depth + 1)),
            SampleExpr::LabelReplace(lr) => samples.push((&lr.inner, depth + 1)),
            SampleExpr::RangeAggregation(agg) => push_filters(
                &agg.range.selector,
                agg.range.unwrap.as_ref().map(|u| u.post_filters.as_slice()),
                depth,
                &mut filters,
            ),
            // Printed as `(0 / 0)` and the like.
            SampleExpr::Literal(v) if !v.is_finite() => deepest = deepest.max(depth + 2),
            SampleExpr::Literal(_) | SampleExpr::Vector(_) => {}
        }
    }
    while let Some((filter, depth)) = filters.pop() {
        deepest = deepest.max(depth);
        if let LabelFilter::And(left, right) | LabelFilter::Or(left, right) = filter {
            deepest = deepest.max(depth + 1);
            filters.push((left, depth + 1));
            filters.push((right, depth + 1));
        }
    }
    deepest
}

fn push_filters<'a>(
    log: &'a LogExpr,
    post_filters: Option<&'a [LabelFilter]>,
    depth: usize,
    filters: &mut Vec<(&'a LabelFilter, usize)>,
) {
    let stage_filters = log.stages.iter().filter_map(|stage| match stage {
        Stage::LabelFilter(filter) => Some(filter),
        _ => None,
    });
    for filter in stage_filters.chain(post_filters.unwrap_or_default()) {
        filters.push((filter, depth));
    }
}
