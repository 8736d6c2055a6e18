//! Compares what the engine returned for an eval with what the script expects, as upstream's
//! runner does: errors, annotations, then the value (floats within a relative tolerance).
//!
//! Every check returns `Err(Mismatch)` with a short description of the first difference.

use std::collections::HashMap;
use std::fmt::Write as _;

use model::{Labels, Sample};
use query::promql::{InstantSample, QueryResult, QueryValue, RangeSeries};

use crate::notation::SeqValue;
use crate::script::{AnnotationRule, Eval, EvalKind, ExpectedResult, ExpectedSeries, Grid};

/// Relative tolerance for sample values (upstream's `defaultEpsilon`).
pub const EPSILON: f64 = 1e-6;

/// The smallest positive normal `f64`.
const MIN_NORMAL: f64 = f64::MIN_POSITIVE;

/// How a result differs from the expectation.
pub type Mismatch = String;

/// Upstream's `almost.Equal`: true when both are NaN, when equal, or when they differ by less
/// than `epsilon` times the sum of their magnitudes. When either is zero (or both are
/// subnormal) the difference must be below `epsilon * MIN_NORMAL`, i.e. essentially exact.
pub fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Checks the outcome of an eval's main query: `outcome` is the result or the error message.
pub fn check_outcome(eval: &Eval, outcome: Result<&QueryResult, &str>) -> Result<(), Mismatch> {
    let result = match (outcome, &eval.expect.fail) {
        (Err(message), Some(matches)) => {
            return match matches.iter().find(|m| !m.matches(message)) {
                None => Ok(()),
                Some(m) => Err(format!("expected an error matching {m}, got: {message}")),
            };
        }
        (Err(message), None) => return Err(format!("query failed: {message}")),
        (Ok(_), Some(_)) => return Err("expected the query to fail, but it succeeded".to_owned()),
        (Ok(result), None) => result,
    };
    check_annotations("warning", &eval.expect.warnings, &result.warnings)?;
    check_annotations("info", &eval.expect.infos, &result.infos)?;
    check_value(eval, &result.value)
}

/// Checks one kind of annotation against its rule.
pub fn check_annotations(
    kind: &str,
    rule: &AnnotationRule,
    actual: &[String],
) -> Result<(), Mismatch> {
    if rule.required && actual.is_empty() {
        return Err(format!("expected a {kind} annotation, got none"));
    }
    if !rule.expected.is_empty() {
        if actual.is_empty() {
            return Err(format!("expected {kind} annotations, got none"));
        }
        if let Some(missing) = rule
            .expected
            .iter()
            .find(|e| !actual.iter().any(|a| e.matches(a)))
        {
            return Err(format!(
                "expected a {kind} matching {missing}, got {actual:?}"
            ));
        }
        if let Some(extra) = actual
            .iter()
            .find(|a| !rule.expected.iter().any(|e| e.matches(a)))
        {
            return Err(format!("unexpected {kind} {extra:?}"));
        }
    }
    if rule.forbidden && !actual.is_empty() {
        return Err(format!("expected no {kind} annotations, got {actual:?}"));
    }
    Ok(())
}

/// Checks a query's value against the eval's expected result.
pub fn check_value(eval: &Eval, value: &QueryValue) -> Result<(), Mismatch> {
    let expect = &eval.expect;
    match (value, &expect.result) {
        (QueryValue::String { value, .. }, _) => {
            let expected = expect.string.as_deref().unwrap_or("");
            if value == expected {
                Ok(())
            } else {
                Err(format!("expected string {expected:?}, got {value:?}"))
            }
        }
        (QueryValue::Scalar(s), ExpectedResult::Scalar(v)) => compare_float("scalar", *v, s.v),
        (QueryValue::Scalar(s), ExpectedResult::Series(_)) => {
            Err(format!("expected a vector or matrix, got scalar {}", s.v))
        }
        (other, ExpectedResult::Scalar(v)) => {
            Err(format!("expected scalar {v}, got {}", describe(other)))
        }
        (QueryValue::Vector(samples), ExpectedResult::Series(series)) => {
            if matches!(eval.kind, EvalKind::Range(_)) {
                return Err("a range query returned an instant vector".to_owned());
            }
            check_vector(samples, series, expect.ordered)
        }
        (QueryValue::Matrix(matrix), ExpectedResult::Series(series)) => {
            if expect.ordered {
                return Err(
                    "expected an ordered result, but the query returned a matrix".to_owned(),
                );
            }
            let grid = match eval.kind {
                EvalKind::Range(grid) => Some(grid),
                EvalKind::Instant { .. } => expect.range_vector,
            };
            check_matrix(matrix, series, grid)
        }
    }
}

/// A short name of a value's type with its size.
fn describe(value: &QueryValue) -> String {
    match value {
        QueryValue::Scalar(s) => format!("scalar {}", s.v),
        QueryValue::String { value, .. } => format!("string {value:?}"),
        QueryValue::Vector(v) => format!("a vector of {} series", v.len()),
        QueryValue::Matrix(m) => format!("a matrix of {} series", m.len()),
    }
}

/// Compares an expected and an actual float.
fn compare_float(what: &str, expected: f64, actual: f64) -> Result<(), Mismatch> {
    if almost_equal(expected, actual, EPSILON) {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {actual}"))
    }
}

/// Compares an instant vector with the expected series (each with one value).
pub fn check_vector(
    samples: &[InstantSample],
    expected: &[ExpectedSeries],
    ordered: bool,
) -> Result<(), Mismatch> {
    let by_labels: HashMap<&Labels, &ExpectedSeries> =
        expected.iter().map(|e| (&e.labels, e)).collect();
    for sample in samples {
        let Some(exp) = by_labels.get(&sample.labels) else {
            return Err(format!(
                "unexpected series {} = {} in the result",
                sample.labels, sample.v
            ));
        };
        match exp.values.first() {
            Some(SeqValue::Float(v)) => compare_float(&sample.labels.to_string(), *v, sample.v)?,
            Some(other) => {
                return Err(format!(
                    "{}: expected {other}, got {}",
                    sample.labels, sample.v
                ));
            }
            None => return Err(format!("{}: the expectation has no value", sample.labels)),
        }
    }
    if let Some(missing) = expected
        .iter()
        .find(|e| !samples.iter().any(|s| s.labels == e.labels))
    {
        return Err(format!(
            "expected series {} {} missing from the result",
            missing.labels,
            join_values(&missing.values)
        ));
    }
    if ordered {
        let actual: Vec<&Labels> = samples.iter().map(|s| &s.labels).collect();
        let wanted: Vec<&Labels> = expected.iter().map(|e| &e.labels).collect();
        if let Some(pos) = actual.iter().zip(&wanted).position(|(a, w)| a != w) {
            return Err(format!(
                "order differs at position {}: expected {}, got {}",
                pos + 1,
                wanted.get(pos).map_or(String::new(), ToString::to_string),
                actual.get(pos).map_or(String::new(), ToString::to_string)
            ));
        }
    }
    Ok(())
}

/// Compares a matrix with the expected series, whose values sit on `grid` (`None`: an instant
/// eval without `expect range vector`, which cannot expect matrix points).
pub fn check_matrix(
    matrix: &[RangeSeries],
    expected: &[ExpectedSeries],
    grid: Option<Grid>,
) -> Result<(), Mismatch> {
    check_sorted(matrix)?;
    let by_labels: HashMap<&Labels, &ExpectedSeries> =
        expected.iter().map(|e| (&e.labels, e)).collect();
    for series in matrix {
        let Some(exp) = by_labels.get(&series.labels) else {
            return Err(format!(
                "unexpected series {} in the result: {}",
                series.labels,
                join_samples(&series.samples)
            ));
        };
        let points = expected_points(exp, grid)?;
        compare_points(&series.labels, &points, &series.samples)?;
    }
    if let Some(missing) = expected
        .iter()
        .find(|e| !matrix.iter().any(|s| s.labels == e.labels))
    {
        return Err(format!(
            "expected series {} {} missing from the result",
            missing.labels,
            join_values(&missing.values)
        ));
    }
    Ok(())
}

/// Checks that a matrix's series are in label order, as every matrix result must be.
pub fn check_sorted(matrix: &[RangeSeries]) -> Result<(), Mismatch> {
    for pair in matrix.windows(2) {
        if let [a, b] = pair
            && a.labels > b.labels
        {
            return Err(format!(
                "matrix is not sorted by labels: {} comes before {}",
                a.labels, b.labels
            ));
        }
    }
    Ok(())
}

/// The expected (timestamp, value) points of a series on `grid`; `_` positions have none.
fn expected_points(exp: &ExpectedSeries, grid: Option<Grid>) -> Result<Vec<Sample>, Mismatch> {
    let Some(grid) = grid else {
        return Err(format!(
            "the query returned a range vector; expecting {} in it needs an \
             'expect range vector' line",
            exp.labels
        ));
    };
    let mut points = Vec::new();
    for (i, value) in exp.values.iter().enumerate() {
        let t = grid
            .start_ms
            .saturating_add((i as i64).saturating_mul(grid.step_ms));
        if t > grid.end_ms {
            return Err(format!(
                "{} expects {} points, more than the query's time range holds",
                exp.labels,
                exp.values.len()
            ));
        }
        match value {
            SeqValue::Omitted => {}
            SeqValue::Float(v) => points.push(Sample::new(t, *v)),
            SeqValue::Histogram(h) => {
                return Err(format!("{}: expected histogram {h} at {t}", exp.labels));
            }
        }
    }
    Ok(points)
}

/// Compares expected points with a result series' samples.
fn compare_points(labels: &Labels, expected: &[Sample], actual: &[Sample]) -> Result<(), Mismatch> {
    let differs = |detail: String| {
        format!(
            "{labels}: {detail}\n      expected {}\n      got      {}",
            join_samples(expected),
            join_samples(actual)
        )
    };
    if expected.len() != actual.len() {
        return Err(differs(format!(
            "expected {} points, got {}",
            expected.len(),
            actual.len()
        )));
    }
    for (e, a) in expected.iter().zip(actual) {
        if e.t != a.t {
            return Err(differs(format!(
                "expected a point at t={}, got t={}",
                e.t, a.t
            )));
        }
        if !almost_equal(e.v, a.v, EPSILON) {
            return Err(differs(format!(
                "at t={}: expected {}, got {}",
                e.t, e.v, a.v
            )));
        }
    }
    Ok(())
}

/// Most points a diff line shows.
const SHOWN_POINTS: usize = 8;

/// `v@t v@t ...`, shortened.
fn join_samples(samples: &[Sample]) -> String {
    let mut out = String::new();
    for s in samples.iter().take(SHOWN_POINTS) {
        let _ = write!(out, "{}@{} ", s.v, s.t);
    }
    if samples.len() > SHOWN_POINTS {
        let _ = write!(out, "... ({} points)", samples.len());
    }
    out.trim_end().to_owned()
}

/// The expected values as written, shortened.
fn join_values(values: &[SeqValue]) -> String {
    let mut shown: Vec<String> = values
        .iter()
        .take(SHOWN_POINTS)
        .map(ToString::to_string)
        .collect();
    if values.len() > SHOWN_POINTS {
        shown.push(format!("... ({} values)", values.len()));
    }
    shown.join(" ")
}

/// The vector a range query's result gives at time `t`: each series' point at `t`.
pub fn vector_at(matrix: &[RangeSeries], t: i64) -> Vec<InstantSample> {
    matrix
        .iter()
        .filter_map(|s| {
            let point = s.samples.iter().find(|p| p.t == t)?;
            Some(InstantSample {
                labels: s.labels.clone(),
                t,
                v: point.v,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
