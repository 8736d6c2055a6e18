//! Binary operators: arithmetic, comparisons (filtering or `bool`), `and`/`or`/`unless`, with
//! Prometheus's vector matching (`on`/`ignoring`, `group_left`/`group_right`) evaluated step by
//! step over series grouped once by their matching signature.

use std::collections::HashMap;

use model::{Labels, METRIC_NAME};
use promql_parser::label::Labels as NameList;
use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB, TokenId,
};
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::{Evaluator, Grid, StepSeries, Value, type_error};
use crate::promql::QueryError;

impl Evaluator<'_> {
    pub(super) fn eval_binary(&mut self, b: &BinaryExpr, grid: Grid) -> Result<Value, QueryError> {
        let op = b.op.id();
        let modifier = b.modifier.as_ref();
        let return_bool = modifier.is_some_and(|m| m.return_bool);
        if modifier.is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some()) {
            return Err(QueryError::Execution(
                "fill modifiers (fill, fill_left, fill_right) are not supported".into(),
            ));
        }
        let lhs = self.eval(&b.lhs, grid)?;
        let rhs = self.eval(&b.rhs, grid)?;
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => Ok(Value::Scalar(
                l.iter()
                    .zip(&r)
                    .map(|(&a, &b)| scalar_binop(op, a, b))
                    .collect(),
            )),
            (Value::Vector(v), Value::Scalar(s)) => {
                Ok(Value::Vector(vector_scalar(op, v, &s, false, return_bool)))
            }
            (Value::Scalar(s), Value::Vector(v)) => {
                Ok(Value::Vector(vector_scalar(op, v, &s, true, return_bool)))
            }
            (Value::Vector(l), Value::Vector(r)) => {
                let out = if is_set_op(op) {
                    set_op(op, l, r, modifier)
                } else {
                    vector_vector(op, l, r, modifier, grid.len)?
                };
                let points: usize = out.iter().map(|s| s.points.len()).sum();
                self.hold(points)?;
                Ok(Value::Vector(out))
            }
            (l, r) => {
                let bad = if matches!(l, Value::Scalar(_) | Value::Vector(_)) {
                    r
                } else {
                    l
                };
                Err(type_error("binary expression", &bad))
            }
        }
    }
}

fn is_set_op(op: TokenId) -> bool {
    matches!(op, T_LAND | T_LOR | T_LUNLESS)
}

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

/// An arithmetic operator on two floats, or a comparison as 1/0.
pub(crate) fn scalar_binop(op: TokenId, a: f64, b: f64) -> f64 {
    if is_comparison(op) {
        return if compare(op, a, b) { 1.0 } else { 0.0 };
    }
    arithmetic(op, a, b)
}

fn arithmetic(op: TokenId, a: f64, b: f64) -> f64 {
    match op {
        T_ADD => a + b,
        T_SUB => a - b,
        T_MUL => a * b,
        T_DIV => a / b,
        // Go's math.Mod, like Rust's `%`, takes the sign of the dividend.
        T_MOD => a % b,
        T_POW => a.powf(b),
        T_ATAN2 => a.atan2(b),
        _ => f64::NAN,
    }
}

fn compare(op: TokenId, a: f64, b: f64) -> bool {
    match op {
        T_EQLC => a == b,
        T_NEQ => a != b,
        T_GTR => a > b,
        T_LSS => a < b,
        T_GTE => a >= b,
        T_LTE => a <= b,
        _ => false,
    }
}

/// The value of `lv op rv` for two vector elements and whether the element is kept.
fn elem_binop(op: TokenId, lv: f64, rv: f64, return_bool: bool) -> Option<f64> {
    if is_comparison(op) {
        let holds = compare(op, lv, rv);
        return match (return_bool, holds) {
            (true, holds) => Some(if holds { 1.0 } else { 0.0 }),
            (false, true) => Some(lv),
            (false, false) => None,
        };
    }
    Some(arithmetic(op, lv, rv))
}

/// Whether the result of `op` loses the metric name.
fn drops_name(op: TokenId, return_bool: bool) -> bool {
    !is_comparison(op) || return_bool
}

fn vector_scalar(
    op: TokenId,
    mut series: Vec<StepSeries>,
    scalar: &[f64],
    scalar_on_left: bool,
    return_bool: bool,
) -> Vec<StepSeries> {
    for s in &mut series {
        for (point, &sv) in s.points.iter_mut().zip(scalar) {
            let Some(v) = *point else { continue };
            let (lv, rv) = if scalar_on_left { (sv, v) } else { (v, sv) };
            *point = elem_binop(op, lv, rv, return_bool).map(|out| {
                // A filtering comparison keeps the vector's value whichever side it is on.
                if is_comparison(op) && !return_bool {
                    v
                } else {
                    out
                }
            });
        }
        s.drop_name |= drops_name(op, return_bool);
    }
    series.retain(|s| s.points.iter().any(Option::is_some));
    series
}

/// The labels two series are matched on.
fn signature(labels: &Labels, matching: Option<&LabelModifier>) -> Labels {
    match matching {
        Some(LabelModifier::Include(on)) => labels.keep_only(&names(on)),
        Some(LabelModifier::Exclude(ignoring)) => {
            let mut drop = names(ignoring);
            drop.push(METRIC_NAME);
            labels.without(&drop)
        }
        None => labels.without(&[METRIC_NAME]),
    }
}

fn names(list: &NameList) -> Vec<&str> {
    list.labels.iter().map(String::as_str).collect()
}

/// Series indices grouped by signature, and each series' group.
fn group_by_signature(
    series: &[StepSeries],
    matching: Option<&LabelModifier>,
    groups: &mut HashMap<Labels, usize>,
) -> Vec<usize> {
    series
        .iter()
        .map(|s| {
            let sig = signature(&s.labels, matching);
            let next = groups.len();
            *groups.entry(sig).or_insert(next)
        })
        .collect()
}

fn set_op(
    op: TokenId,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    modifier: Option<&BinModifier>,
) -> Vec<StepSeries> {
    let matching = modifier.and_then(|m| m.matching.as_ref());
    let steps = lhs.first().or(rhs.first()).map_or(0, |s| s.points.len());
    let mut groups = HashMap::new();
    let lhs_groups = group_by_signature(&lhs, matching, &mut groups);
    let rhs_groups = group_by_signature(&rhs, matching, &mut groups);
    // Per group and step: does the side have a value there.
    let presence = |series: &[StepSeries], of: &[usize]| {
        let mut present = vec![false; groups.len() * steps];
        for (s, &g) in series.iter().zip(of) {
            for (i, p) in s.points.iter().enumerate() {
                if p.is_some() {
                    present[g * steps + i] = true;
                }
            }
        }
        present
    };
    let rhs_present = presence(&rhs, &rhs_groups);
    match op {
        T_LAND | T_LUNLESS => {
            let keep_matched = op == T_LAND;
            let mut out = lhs;
            for (s, &g) in out.iter_mut().zip(&lhs_groups) {
                for (i, p) in s.points.iter_mut().enumerate() {
                    if rhs_present[g * steps + i] != keep_matched {
                        *p = None;
                    }
                }
            }
            out.retain(|s| !s.is_empty());
            out
        }
        _ => {
            let lhs_present = presence(&lhs, &lhs_groups);
            let mut out = Outputs::default();
            for s in lhs {
                out.merge(s);
            }
            for (mut s, &g) in rhs.into_iter().zip(&rhs_groups) {
                for (i, p) in s.points.iter_mut().enumerate() {
                    if lhs_present[g * steps + i] {
                        *p = None;
                    }
                }
                if !s.is_empty() {
                    out.merge(s);
                }
            }
            out.series
        }
    }
}

/// Output series keyed by labels; a series merged into an existing one fills its gaps.
#[derive(Default)]
struct Outputs {
    series: Vec<StepSeries>,
    index: HashMap<(Labels, bool), usize>,
}

impl Outputs {
    fn merge(&mut self, s: StepSeries) {
        let key = (s.labels.clone(), s.drop_name);
        match self.index.get(&key) {
            Some(&i) => {
                for (into, p) in self.series[i].points.iter_mut().zip(s.points) {
                    if into.is_none() {
                        *into = p;
                    }
                }
            }
            None => {
                self.index.insert(key, self.series.len());
                self.series.push(s);
            }
        }
    }
}

/// The labels of the result of matching `l` with `r`.
fn result_labels(
    l: &Labels,
    r: &Labels,
    card: &VectorMatchCardinality,
    matching: Option<&LabelModifier>,
) -> Labels {
    let mut b = l.to_builder();
    if matches!(card, VectorMatchCardinality::OneToOne) {
        match matching {
            Some(LabelModifier::Include(on)) => {
                let keep = names(on);
                let drop: Vec<String> = l
                    .iter()
                    .filter(|(n, _)| !keep.contains(n))
                    .map(|(n, _)| n.to_owned())
                    .collect();
                for n in &drop {
                    b.remove(n);
                }
            }
            Some(LabelModifier::Exclude(ignoring)) => {
                for n in names(ignoring) {
                    b.remove(n);
                }
            }
            None => {}
        }
    }
    if let Some(include) = card.labels() {
        for n in names(include) {
            match r.get(n) {
                Some(v) if !v.is_empty() => {
                    b.set(n, v);
                }
                _ => {
                    b.remove(n);
                }
            }
        }
    }
    b.build().unwrap_or_else(|_| l.clone())
}

fn vector_vector(
    op: TokenId,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    modifier: Option<&BinModifier>,
    steps: usize,
) -> Result<Vec<StepSeries>, QueryError> {
    let matching = modifier.and_then(|m| m.matching.as_ref());
    let card = modifier.map_or(VectorMatchCardinality::OneToOne, |m| m.card.clone());
    let return_bool = modifier.is_some_and(|m| m.return_bool);
    // group_right is group_left with the sides swapped; values are swapped back per element.
    let swapped = matches!(card, VectorMatchCardinality::OneToMany(_));
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let mut groups = HashMap::new();
    let one_groups = group_by_signature(&one, matching, &mut groups);
    let many_groups = group_by_signature(&many, matching, &mut groups);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, &g) in one_groups.iter().enumerate() {
        members[g].push(i);
    }
    let sig_of = |g: usize| {
        groups
            .iter()
            .find(|(_, i)| **i == g)
            .map(|(s, _)| s.clone())
    };
    let one_side = if swapped { "left" } else { "right" };
    let mut pair_out: HashMap<(usize, usize), usize> = HashMap::new();
    let mut out: Vec<StepSeries> = Vec::new();
    let mut out_index: HashMap<Labels, usize> = HashMap::new();
    // Per output series (many-to-one) or group (one-to-one): the last step it was filled at.
    let mut filled_at: Vec<usize> = Vec::new();
    let mut group_matched_at: Vec<usize> = vec![usize::MAX; groups.len()];
    for step in 0..steps {
        for (mi, m) in many.iter().enumerate() {
            let Some(mv) = m.points[step] else { continue };
            let g = many_groups[mi];
            let mut present = members[g]
                .iter()
                .filter(|&&oi| one[oi].points[step].is_some());
            let Some(&oi) = present.next() else { continue };
            if let Some(&other) = present.next() {
                let sig = sig_of(g).unwrap_or_default();
                return Err(QueryError::Execution(format!(
                    "found duplicate series for the match group {sig} on the {one_side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                    one[oi].labels, one[other].labels
                )));
            }
            if matches!(card, VectorMatchCardinality::OneToOne) {
                if group_matched_at[g] == step {
                    return Err(QueryError::Execution(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                    ));
                }
                group_matched_at[g] = step;
            }
            let ov = one[oi].points[step].unwrap_or(f64::NAN);
            let (lv, rv) = if swapped { (ov, mv) } else { (mv, ov) };
            let Some(value) = elem_binop(op, lv, rv, return_bool) else {
                continue;
            };
            let idx = match pair_out.get(&(mi, oi)) {
                Some(&i) => i,
                None => {
                    let labels = result_labels(&m.labels, &one[oi].labels, &card, matching);
                    let i = *out_index.entry(labels.clone()).or_insert_with(|| {
                        out.push(StepSeries {
                            labels,
                            points: vec![None; steps],
                            drop_name: m.drop_name || drops_name(op, return_bool),
                        });
                        filled_at.push(usize::MAX);
                        out.len() - 1
                    });
                    pair_out.insert((mi, oi), i);
                    i
                }
            };
            if filled_at[idx] == step {
                return Err(QueryError::Execution(
                    "multiple matches for labels: grouping labels must ensure unique matches"
                        .into(),
                ));
            }
            filled_at[idx] = step;
            // A filtering comparison keeps the value of the "many" (left) side's element.
            let value = if is_comparison(op) && !return_bool {
                lv
            } else {
                value
            };
            out[idx].points[step] = Some(value);
        }
    }
    Ok(out)
}
