//! `histogram_quantile`, `histogram_quantiles` and `histogram_fraction` over classic
//! histograms: the bucket series (`le` label) of each histogram are grouped once, then each
//! step hands the group's buckets to the kernels in `functions::histogram`.

use std::collections::HashMap;

use model::Labels;
use promql_parser::parser::Expr;

use super::{Evaluator, Grid, StepSeries, Value};
use crate::promql::QueryError;
use crate::promql::functions::histogram::{
    Bucket, FORCED_MONOTONICITY_INFO, ForcedMonotonicityInfo, histogram_fraction,
    histogram_quantile, parse_bucket_bound,
};

/// The bucket label.
const LE: &str = "le";

/// One histogram: its labels without `le` (the name kept, as upstream groups by it) and its
/// bucket series with their upper bounds.
struct Histogram {
    labels: Labels,
    buckets: Vec<(usize, f64)>,
}

/// Repairs of non-monotonic buckets, merged per metric name for one info each.
#[derive(Default)]
struct Repairs(Vec<(String, ForcedMonotonicityInfo)>);

impl Repairs {
    fn add(&mut self, metric: &str, info: ForcedMonotonicityInfo) {
        match self.0.iter_mut().find(|(m, _)| m == metric) {
            Some((_, seen)) => seen.merge(&info),
            None => self.0.push((metric.to_owned(), info)),
        }
    }
}

impl Evaluator<'_> {
    pub(super) fn classic_histogram(
        &mut self,
        name: &str,
        args: &[&Expr],
        grid: Grid,
    ) -> Result<Value, QueryError> {
        let quantile = name == "histogram_quantile";
        let scalar_count = if quantile { 1 } else { 2 };
        let mut scalars = Vec::with_capacity(scalar_count);
        for i in 0..scalar_count {
            scalars.push(self.scalar_arg(args, i, grid)?);
        }
        let Some(&vector_arg) = args.get(scalar_count) else {
            return Err(QueryError::Execution(format!(
                "missing the histogram argument of {name}()"
            )));
        };
        if quantile && let Some(&param) = args.first() {
            self.warn_bad_quantiles(&scalars[0], param);
        }
        let series = self.eval_vector(vector_arg, grid)?;
        let histograms = self.group_buckets(&series, vector_arg);
        let mut repairs = Repairs::default();
        let mut out = Vec::with_capacity(histograms.len());
        for h in &histograms {
            let points = if quantile {
                quantile_points(h, &series, &scalars[0], grid, &mut repairs)
            } else {
                step_points(h, &series, grid.len, |step, buckets| {
                    histogram_fraction(scalars[0][step], scalars[1][step], buckets)
                })
            };
            push_result(&mut out, h.labels.clone(), points);
        }
        self.report_repairs(repairs, vector_arg);
        Ok(Value::Vector(super::merge_same_labels(out)?))
    }

    /// `histogram_quantiles(v, "label", φ1, φ2, ...)`: one output series per histogram and φ,
    /// told apart by `label`.
    pub(super) fn histogram_quantiles(
        &mut self,
        args: &[&Expr],
        grid: Grid,
    ) -> Result<Value, QueryError> {
        let (Some(&vector_arg), Some(Expr::StringLiteral(label))) =
            (args.first(), args.get(1).copied())
        else {
            return Err(QueryError::Execution(
                "histogram_quantiles() needs a vector, a label name and at least one quantile"
                    .into(),
            ));
        };
        if !model::is_valid_label_name(&label.val) {
            return Err(QueryError::Execution(format!(
                "invalid label name {:?}",
                label.val
            )));
        }
        let mut phis = Vec::new();
        for (i, &param) in args.iter().enumerate().skip(2) {
            let phi = self.scalar_arg(args, i, grid)?;
            self.warn_bad_quantiles(&phi, param);
            phis.push(phi);
        }
        let series = self.eval_vector(vector_arg, grid)?;
        let histograms = self.group_buckets(&series, vector_arg);
        let mut repairs = Repairs::default();
        let mut out = Vec::new();
        for h in &histograms {
            if h.labels.get(&label.val).is_some() {
                return Err(QueryError::Execution(format!(
                    "label {:?} already exists on histogram {}",
                    label.val, h.labels
                )));
            }
            for phi in &phis {
                let mut b = h.labels.to_builder();
                b.set(
                    &label.val,
                    &quantile_label(phi.first().copied().unwrap_or(f64::NAN)),
                );
                let labels = b
                    .build()
                    .map_err(|e| QueryError::Execution(e.to_string()))?;
                let points = quantile_points(h, &series, phi, grid, &mut repairs);
                push_result(&mut out, labels, points);
            }
        }
        self.report_repairs(repairs, vector_arg);
        Ok(Value::Vector(super::merge_same_labels(out)?))
    }

    /// Groups bucket series into histograms; a series without a readable `le` is warned about
    /// and left out.
    fn group_buckets(&mut self, series: &[StepSeries], vector_arg: &Expr) -> Vec<Histogram> {
        let mut index: HashMap<Labels, usize> = HashMap::new();
        let mut histograms: Vec<Histogram> = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let le = s.labels.get(LE);
            let Some(bound) = le.and_then(parse_bucket_bound) else {
                let position = self.position_of(vector_arg);
                self.annotations.warn(format!(
                    "PromQL warning: bucket label \"le\" is missing or has a malformed value of {:?} for metric name {:?}{position}",
                    le.unwrap_or(""),
                    s.labels.metric_name().unwrap_or("")
                ));
                continue;
            };
            let key = s.labels.without(&[LE]);
            let h = *index.entry(key.clone()).or_insert_with(|| {
                histograms.push(Histogram {
                    labels: key,
                    buckets: Vec::new(),
                });
                histograms.len() - 1
            });
            histograms[h].buckets.push((i, bound));
        }
        histograms
    }

    fn report_repairs(&mut self, repairs: Repairs, vector_arg: &Expr) {
        let position = self.position_of(vector_arg);
        for (metric, info) in repairs.0 {
            let named = if metric.is_empty() {
                String::new()
            } else {
                format!(" for metric name {metric:?}")
            };
            self.annotations.info(format!(
                "{FORCED_MONOTONICITY_INFO}{named}{}{position}",
                info.details()
            ));
        }
    }
}

/// A result series of a histogram function: the name goes, as upstream drops it.
fn push_result(out: &mut Vec<StepSeries>, labels: Labels, points: Vec<Option<f64>>) {
    if points.iter().any(Option::is_some) {
        out.push(StepSeries {
            labels,
            points,
            drop_name: true,
        });
    }
}

/// Per step, `f` of the histogram's buckets present at that step.
fn step_points(
    h: &Histogram,
    series: &[StepSeries],
    steps: usize,
    mut f: impl FnMut(usize, &mut [Bucket]) -> f64,
) -> Vec<Option<f64>> {
    let mut buckets = Vec::with_capacity(h.buckets.len());
    (0..steps)
        .map(|step| {
            buckets.clear();
            buckets.extend(h.buckets.iter().filter_map(|&(i, upper_bound)| {
                series[i].points[step].map(|count| Bucket { upper_bound, count })
            }));
            (!buckets.is_empty()).then(|| f(step, &mut buckets))
        })
        .collect()
}

fn quantile_points(
    h: &Histogram,
    series: &[StepSeries],
    phi: &[f64],
    grid: Grid,
    repairs: &mut Repairs,
) -> Vec<Option<f64>> {
    let metric = h.labels.metric_name().unwrap_or("").to_owned();
    step_points(h, series, grid.len, |step, buckets| {
        let r = histogram_quantile(phi[step], buckets);
        if let Some(repair) = r.forced_monotonicity {
            repairs.add(
                &metric,
                ForcedMonotonicityInfo::new(grid.time(step), repair),
            );
        }
        r.value
    })
}

/// A quantile as `histogram_quantiles` writes it into its label: the shortest decimal, with
/// `.0` added to whole numbers (`0.0`, `0.25`, `1.0`, `NaN`).
fn quantile_label(phi: f64) -> String {
    let text = crate::promql::value::format_sample_value(phi);
    if phi.is_finite() && !text.contains('.') {
        format!("{text}.0")
    } else {
        text
    }
}
