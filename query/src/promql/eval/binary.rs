//! Binary operators: arithmetic, comparisons (filtering or `bool`), `and`/`or`/`unless`, with
//! Prometheus's vector matching (`on`/`ignoring`, `group_left`/`group_right`) evaluated step by
//! step over series grouped once by their matching signature. The fill modifiers (`fill`,
//! `fill_left`, `fill_right`) let an element without a partner match a fill value instead,
//! which carries the element's matching labels (Prometheus's `VectorBinop`).

use std::collections::{HashMap, HashSet};

use model::{Labels, METRIC_NAME};
use promql_parser::label::Labels as NameList;
use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB, TokenId,
};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::{Evaluator, Grid, NAME_LABELS, StepSeries, Value, type_error};
use crate::promql::QueryError;

impl Evaluator<'_> {
    pub(super) fn eval_binary(&mut self, b: &BinaryExpr, grid: Grid) -> Result<Value, QueryError> {
        let op = b.op.id();
        let modifier = b.modifier.as_ref();
        let return_bool = modifier.is_some_and(|m| m.return_bool);
        check_fill(b)?;
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

/// Refuses fill modifiers where Prometheus's parser does: they apply only between two instant
/// vectors, and never to set operators.
fn check_fill(b: &BinaryExpr) -> Result<(), QueryError> {
    let Some(m) = b.modifier.as_ref() else {
        return Ok(());
    };
    if m.fill_values.lhs.is_none() && m.fill_values.rhs.is_none() {
        return Ok(());
    }
    let message =
        if b.lhs.value_type() != ValueType::Vector || b.rhs.value_type() != ValueType::Vector {
            "filling in missing series only allowed between instant vectors"
        } else if is_set_op(b.op.id()) {
            "filling in missing series not allowed for set operators"
        } else {
            return Ok(());
        };
    Err(QueryError::Parse {
        position: None,
        message: format!("parse error: {message}"),
    })
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

/// A vector/vector operation other than a set operation, its modifier resolved.
struct Join<'m> {
    op: TokenId,
    return_bool: bool,
    card: VectorMatchCardinality,
    matching: Option<&'m LabelModifier>,
    /// `group_right`: the right operand is the "many" side; values are swapped back per element.
    swapped: bool,
    /// Stands in for a missing element of the "one" side. Prometheus takes it from
    /// `fill_right` whichever operand that side is, so under `group_right` it fills the left one.
    fill_one: Option<f64>,
    /// Stands in for a missing element of the "many" side (`fill_left`), likewise.
    fill_many: Option<f64>,
}

impl<'m> Join<'m> {
    fn new(op: TokenId, modifier: Option<&'m BinModifier>) -> Self {
        let card = modifier.map_or(VectorMatchCardinality::OneToOne, |m| m.card.clone());
        Join {
            op,
            return_bool: modifier.is_some_and(|m| m.return_bool),
            swapped: matches!(card, VectorMatchCardinality::OneToMany(_)),
            card,
            matching: modifier.and_then(|m| m.matching.as_ref()),
            fill_one: modifier.and_then(|m| m.fill_values.rhs),
            fill_many: modifier.and_then(|m| m.fill_values.lhs),
        }
    }

    fn fills(&self) -> bool {
        self.fill_one.is_some() || self.fill_many.is_some()
    }

    fn one_side_name(&self) -> &'static str {
        if self.swapped { "left" } else { "right" }
    }
}

/// The two elements one result comes from: present series, or a fill value standing in for
/// the missing partner of a series (whose labels are then that series' matching labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Pair {
    Both {
        many: usize,
        one: usize,
    },
    /// The "one" side is filled for "many" series `many`.
    OneFilled {
        many: usize,
    },
    /// The "many" side is filled for "one" series `one`.
    ManyFilled {
        one: usize,
    },
}

/// Both operands of a join, grouped by matching signature.
struct Operands {
    many: Vec<StepSeries>,
    one: Vec<StepSeries>,
    many_groups: Vec<usize>,
    one_groups: Vec<usize>,
    /// The signature of each group, by group index.
    signatures: Vec<Labels>,
    /// Steps of the grid.
    steps: usize,
}

/// The output of a join and what it tracks from step to step.
struct JoinState {
    out: Vec<StepSeries>,
    /// Output series by label set as it leaves the engine (names marked for removal removed)
    /// and whether the name goes.
    out_index: HashMap<(Labels, bool), usize>,
    pair_out: HashMap<Pair, usize>,
    /// Per output series: the last step a result was written to it.
    written_at: Vec<usize>,
    /// Per group: the step its "one" element was last seen at, and that element.
    one_seen_at: Vec<usize>,
    one_at: Vec<usize>,
    /// Per group: the last step an element (or fill) was matched with it.
    matched_at: Vec<usize>,
    /// Group-left/right: (group, output series) pairs produced at the current step.
    step_results: HashSet<(usize, usize)>,
    /// The "one" elements present at the current step.
    present_one: Vec<usize>,
}

impl JoinState {
    fn new(groups: usize) -> Self {
        JoinState {
            out: Vec::new(),
            out_index: HashMap::new(),
            pair_out: HashMap::new(),
            written_at: Vec::new(),
            one_seen_at: vec![usize::MAX; groups],
            one_at: vec![0; groups],
            matched_at: vec![usize::MAX; groups],
            step_results: HashSet::new(),
            present_one: Vec::new(),
        }
    }
}

fn vector_vector(
    op: TokenId,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    modifier: Option<&BinModifier>,
    steps: usize,
) -> Result<Vec<StepSeries>, QueryError> {
    let join = Join::new(op, modifier);
    let (many, one) = if join.swapped { (rhs, lhs) } else { (lhs, rhs) };
    let mut groups = HashMap::new();
    let one_groups = group_by_signature(&one, join.matching, &mut groups);
    let many_groups = group_by_signature(&many, join.matching, &mut groups);
    let mut signatures = vec![Labels::empty(); groups.len()];
    for (sig, g) in groups {
        signatures[g] = sig;
    }
    let operands = Operands {
        many,
        one,
        many_groups,
        one_groups,
        signatures,
        steps,
    };
    let mut state = JoinState::new(operands.signatures.len());
    for step in 0..steps {
        join_step(&join, &operands, step, &mut state)?;
    }
    Ok(state.out)
}

/// Matches the elements present at `step`, as Prometheus's `VectorBinop` does at one instant.
fn join_step(
    join: &Join<'_>,
    ops: &Operands,
    step: usize,
    state: &mut JoinState,
) -> Result<(), QueryError> {
    let many_present = ops.many.iter().any(|s| s.points[step].is_some());
    let one_present = ops.one.iter().any(|s| s.points[step].is_some());
    if !(many_present && one_present || (many_present || one_present) && join.fills()) {
        return Ok(());
    }
    state.present_one.clear();
    state.step_results.clear();
    for (oi, s) in ops.one.iter().enumerate() {
        if s.points[step].is_none() {
            continue;
        }
        let g = ops.one_groups[oi];
        if state.one_seen_at[g] == step {
            return Err(duplicate_one_error(join, ops, g, state.one_at[g], oi));
        }
        state.one_seen_at[g] = step;
        state.one_at[g] = oi;
        state.present_one.push(oi);
    }
    for (mi, s) in ops.many.iter().enumerate() {
        if s.points[step].is_none() {
            continue;
        }
        let g = ops.many_groups[mi];
        let pair = if state.one_seen_at[g] == step {
            Pair::Both {
                many: mi,
                one: state.one_at[g],
            }
        } else if join.fill_one.is_some() {
            Pair::OneFilled { many: mi }
        } else {
            continue;
        };
        apply_pair(join, ops, pair, g, step, state)?;
    }
    if join.fill_many.is_some() {
        for i in 0..state.present_one.len() {
            let oi = state.present_one[i];
            let g = ops.one_groups[oi];
            if state.matched_at[g] != step {
                apply_pair(join, ops, Pair::ManyFilled { one: oi }, g, step, state)?;
            }
        }
    }
    Ok(())
}

/// Two "one"-side elements share a signature: Prometheus's many-to-many error, the two label
/// sets in sorted order.
fn duplicate_one_error(
    join: &Join<'_>,
    ops: &Operands,
    g: usize,
    a: usize,
    b: usize,
) -> QueryError {
    let (mut first, mut second) = (&ops.one[a].labels, &ops.one[b].labels);
    if second < first {
        std::mem::swap(&mut first, &mut second);
    }
    QueryError::Execution(format!(
        "found duplicate series for the match group {} on the {} hand-side of the operation: [{first}, {second}];many-to-many matching not allowed: matching labels must be unique on one side",
        ops.signatures[g],
        join.one_side_name()
    ))
}

/// The values of a pair's two elements at `step`, as (many, one).
fn pair_values(join: &Join<'_>, ops: &Operands, pair: Pair, step: usize) -> (f64, f64) {
    let value = |s: &StepSeries| s.points[step].unwrap_or(f64::NAN);
    let fill = |f: Option<f64>| f.unwrap_or(f64::NAN);
    match pair {
        Pair::Both { many, one } => (value(&ops.many[many]), value(&ops.one[one])),
        Pair::OneFilled { many } => (value(&ops.many[many]), fill(join.fill_one)),
        Pair::ManyFilled { one } => (fill(join.fill_many), value(&ops.one[one])),
    }
}

/// Computes one result of group `g` at `step` and writes it to its output series, after the
/// cardinality checks Prometheus makes whether or not a comparison keeps the element.
fn apply_pair(
    join: &Join<'_>,
    ops: &Operands,
    pair: Pair,
    g: usize,
    step: usize,
    state: &mut JoinState,
) -> Result<(), QueryError> {
    let idx = output_for(join, ops, pair, state);
    if matches!(join.card, VectorMatchCardinality::OneToOne) {
        if state.matched_at[g] == step {
            return Err(QueryError::Execution(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
            ));
        }
    } else if !state.step_results.insert((g, idx)) {
        return Err(QueryError::Execution(
            "multiple matches for labels: grouping labels must ensure unique matches".into(),
        ));
    }
    state.matched_at[g] = step;
    let (mv, ov) = pair_values(join, ops, pair, step);
    let (lv, rv) = if join.swapped { (ov, mv) } else { (mv, ov) };
    let Some(value) = elem_binop(join.op, lv, rv, join.return_bool) else {
        return Ok(());
    };
    if state.written_at[idx] == step {
        return Err(QueryError::Execution(
            "vector cannot contain metrics with the same labelset".into(),
        ));
    }
    state.written_at[idx] = step;
    // A filtering comparison keeps the value of the left operand.
    let value = if is_comparison(join.op) && !join.return_bool {
        lv
    } else {
        value
    };
    state.out[idx].points[step] = Some(value);
    Ok(())
}

/// The output series a pair writes to, created on first use.
fn output_for(join: &Join<'_>, ops: &Operands, pair: Pair, state: &mut JoinState) -> usize {
    if let Some(&idx) = state.pair_out.get(&pair) {
        return idx;
    }
    let drops = drops_name(join.op, join.return_bool);
    let (labels, drop_name) = match pair {
        Pair::Both { many, one } => {
            let m = &ops.many[many];
            let labels = result_labels(&m.labels, &ops.one[one].labels, &join.card, join.matching);
            (labels, m.drop_name || drops)
        }
        Pair::OneFilled { many } => {
            let m = &ops.many[many];
            let one = signature(&m.labels, join.matching);
            let labels = result_labels(&m.labels, &one, &join.card, join.matching);
            (labels, m.drop_name || drops)
        }
        Pair::ManyFilled { one } => {
            let o = &ops.one[one].labels;
            let many = signature(o, join.matching);
            (result_labels(&many, o, &join.card, join.matching), drops)
        }
    };
    let visible = if drop_name {
        labels.without(NAME_LABELS)
    } else {
        labels.clone()
    };
    let steps = ops.steps;
    let idx = *state
        .out_index
        .entry((visible, drop_name))
        .or_insert_with(|| {
            state.out.push(StepSeries {
                labels,
                points: vec![None; steps],
                drop_name,
            });
            state.written_at.push(usize::MAX);
            state.out.len() - 1
        });
    state.pair_out.insert(pair, idx);
    idx
}

#[cfg(test)]
#[path = "binary_tests.rs"]
mod tests;
