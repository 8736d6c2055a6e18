//! Aggregations: series are grouped once by their `by`/`without` labels, then each step feeds
//! the group's present values, in input order, to the kernels in `functions::aggregate`.

use std::collections::HashMap;

use model::{Labels, METRIC_NAME, is_valid_label_name};
use promql_parser::parser::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_LIMIT_RATIO, T_LIMITK, T_MAX, T_MIN,
    T_QUANTILE, T_STDDEV, T_STDVAR, T_SUM, T_TOPK,
};
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};

use super::{Evaluator, Grid, StepSeries, Value};
use crate::promql::QueryError;
use crate::promql::functions::aggregate::{
    Accumulator, AggregateOp, ParamCheck, ParamRange, Rank, format_value_label,
    prometheus_labels_hash, select_first, select_ranked, select_ratio, step_k, step_ratio,
};

/// Series grouped for one aggregation.
struct Groups {
    /// Per input series, its group.
    of_series: Vec<usize>,
    /// Per group, its labels.
    labels: Vec<Labels>,
    /// Per group, whether its metric name (kept by `by (__name__)`) is to be dropped.
    drop_name: Vec<bool>,
}

impl Groups {
    fn new(series: &[StepSeries], modifier: Option<&LabelModifier>) -> Groups {
        let mut index: HashMap<Labels, usize> = HashMap::new();
        let mut groups = Groups {
            of_series: Vec::with_capacity(series.len()),
            labels: Vec::new(),
            drop_name: Vec::new(),
        };
        for s in series {
            let key = match modifier {
                Some(LabelModifier::Include(by)) => {
                    let names: Vec<&str> = by.labels.iter().map(String::as_str).collect();
                    s.labels.keep_only(&names)
                }
                Some(LabelModifier::Exclude(without)) => {
                    let mut names: Vec<&str> = without.labels.iter().map(String::as_str).collect();
                    names.extend_from_slice(super::NAME_LABELS);
                    s.labels.without(&names)
                }
                None => Labels::empty(),
            };
            let keeps_name = key.get(METRIC_NAME).is_some();
            let g = *index.entry(key.clone()).or_insert_with(|| {
                groups.labels.push(key);
                groups.drop_name.push(false);
                groups.labels.len() - 1
            });
            if keeps_name && s.drop_name {
                groups.drop_name[g] = true;
            }
            groups.of_series.push(g);
        }
        groups
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}

impl Evaluator<'_> {
    pub(super) fn eval_aggregate(
        &mut self,
        a: &AggregateExpr,
        grid: Grid,
    ) -> Result<Value, QueryError> {
        let op = a.op.id();
        let reduce = match op {
            T_SUM => Some(AggregateOp::Sum),
            T_AVG => Some(AggregateOp::Avg),
            T_COUNT => Some(AggregateOp::Count),
            T_GROUP => Some(AggregateOp::Group),
            T_MIN => Some(AggregateOp::Min),
            T_MAX => Some(AggregateOp::Max),
            T_STDDEV => Some(AggregateOp::Stddev),
            T_STDVAR => Some(AggregateOp::Stdvar),
            T_QUANTILE => Some(AggregateOp::Quantile),
            _ => None,
        };
        let param = match (op, a.param.as_deref()) {
            (T_COUNT_VALUES, _) | (_, None) => None,
            (_, Some(p)) => Some(self.eval_scalar(p, grid)?),
        };
        let series = self.eval_vector(&a.expr, grid)?;
        let groups = Groups::new(&series, a.modifier.as_ref());
        let out = match (reduce, op) {
            (Some(kind), _) => {
                if kind == AggregateOp::Quantile
                    && let (Some(phi), Some(expr)) = (param.as_deref(), a.param.as_deref())
                {
                    self.warn_bad_quantiles(phi, expr);
                }
                reduce_groups(kind, &series, &groups, param.as_deref(), grid.len)
            }
            (None, T_TOPK | T_BOTTOMK | T_LIMITK | T_LIMIT_RATIO) => select_series(
                op,
                series,
                &groups,
                param.as_deref().unwrap_or(&[]),
                grid.len,
            )?,
            (None, T_COUNT_VALUES) => {
                let label = match a.param.as_deref().map(strip_parens) {
                    Some(Expr::StringLiteral(s)) => s.val.clone(),
                    _ => {
                        return Err(QueryError::Execution(
                            "count_values needs a string label name".into(),
                        ));
                    }
                };
                count_values(&label, &series, &groups, grid.len)?
            }
            _ => {
                return Err(QueryError::Execution(format!(
                    "aggregation {} is not supported",
                    a.op
                )));
            }
        };
        let points: usize = out.iter().map(|s| s.points.len()).sum();
        self.hold(points)?;
        Ok(Value::Vector(out))
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        other => other,
    }
}

fn reduce_groups(
    kind: AggregateOp,
    series: &[StepSeries],
    groups: &Groups,
    param: Option<&[f64]>,
    steps: usize,
) -> Vec<StepSeries> {
    let mut accumulators: Vec<Accumulator> =
        (0..groups.len()).map(|_| Accumulator::new(kind)).collect();
    let mut points = vec![vec![None; steps]; groups.len()];
    for step in 0..steps {
        let p = param.and_then(|p| p.get(step)).copied().unwrap_or(f64::NAN);
        accumulators.iter_mut().for_each(|a| a.start_step(p));
        for (s, &g) in series.iter().zip(&groups.of_series) {
            if let Some(v) = s.points[step] {
                accumulators[g].add(v);
            }
        }
        for (acc, out) in accumulators.iter_mut().zip(points.iter_mut()) {
            out[step] = acc.finish();
        }
    }
    groups
        .labels
        .iter()
        .zip(points)
        .zip(&groups.drop_name)
        .map(|((labels, points), &drop_name)| StepSeries {
            labels: labels.clone(),
            points,
            drop_name,
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// `topk`, `bottomk`, `limitk`, `limit_ratio`: input series keep their labels and get values
/// only at the steps they were selected at.
fn select_series(
    op: promql_parser::parser::token::TokenId,
    series: Vec<StepSeries>,
    groups: &Groups,
    param: &[f64],
    steps: usize,
) -> Result<Vec<StepSeries>, QueryError> {
    let range = ParamRange::of(param.iter().copied());
    let check = if op == T_LIMIT_RATIO {
        range.check_ratio()
    } else {
        range.check_k()
    };
    if check.map_err(|e| QueryError::Execution(e.to_string()))? == ParamCheck::Empty {
        return Ok(Vec::new());
    }
    let hashes: Vec<u64> = if op == T_LIMIT_RATIO {
        series
            .iter()
            .map(|s| prometheus_labels_hash(&s.labels))
            .collect()
    } else {
        Vec::new()
    };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, &g) in groups.of_series.iter().enumerate() {
        members[g].push(i);
    }
    let mut selected_points: Vec<Vec<Option<f64>>> = vec![vec![None; steps]; series.len()];
    let mut order: Vec<usize> = Vec::new();
    let mut placed = vec![false; series.len()];
    let (mut present, mut values, mut present_hashes, mut chosen) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    #[allow(
        clippy::needless_range_loop,
        reason = "step indexes several per-series vectors"
    )]
    for step in 0..steps {
        let p = param.get(step).copied().unwrap_or(f64::NAN);
        for group in &members {
            present.clear();
            values.clear();
            present_hashes.clear();
            for &i in group {
                if let Some(v) = series[i].points[step] {
                    present.push(i);
                    values.push(v);
                    if let Some(&h) = hashes.get(i) {
                        present_hashes.push(h);
                    }
                }
            }
            if present.is_empty() {
                continue;
            }
            match op {
                T_LIMIT_RATIO => match step_ratio(p) {
                    Some(r) => select_ratio(r, &values, &present_hashes, &mut chosen),
                    None => chosen.clear(),
                },
                _ => match step_k(p, present.len()) {
                    Some(k) if op == T_LIMITK => select_first(k, &values, &mut chosen),
                    Some(k) => select_ranked(
                        if op == T_TOPK {
                            Rank::Top
                        } else {
                            Rank::Bottom
                        },
                        k,
                        &values,
                        &mut chosen,
                    ),
                    None => chosen.clear(),
                },
            }
            for &c in &chosen {
                let i = present[c];
                selected_points[i][step] = Some(values[c]);
                if !placed[i] {
                    placed[i] = true;
                    order.push(i);
                }
            }
        }
    }
    let mut series: Vec<Option<StepSeries>> = series.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| {
            let mut s = series[i].take()?;
            s.points = std::mem::take(&mut selected_points[i]);
            Some(s)
        })
        .collect())
}

fn count_values(
    label: &str,
    series: &[StepSeries],
    groups: &Groups,
    steps: usize,
) -> Result<Vec<StepSeries>, QueryError> {
    if !is_valid_label_name(label) {
        return Err(QueryError::Execution(format!(
            "invalid label name {label:?}"
        )));
    }
    let mut out: Vec<StepSeries> = Vec::new();
    let mut index: HashMap<(usize, String), usize> = HashMap::new();
    for step in 0..steps {
        for (s, &g) in series.iter().zip(&groups.of_series) {
            let Some(v) = s.points[step] else { continue };
            let value = format_value_label(v);
            let i = match index.get(&(g, value.clone())) {
                Some(&i) => i,
                None => {
                    let mut b = groups.labels[g].to_builder();
                    b.set(label, &value);
                    let labels = b
                        .build()
                        .map_err(|e| QueryError::Execution(e.to_string()))?;
                    out.push(StepSeries {
                        labels,
                        points: vec![None; steps],
                        drop_name: groups.drop_name[g],
                    });
                    index.insert((g, value), out.len() - 1);
                    out.len() - 1
                }
            };
            let p = &mut out[i].points[step];
            *p = Some(p.unwrap_or(0.0) + 1.0);
        }
    }
    Ok(out)
}
