//! Function calls: each PromQL function maps its arguments, evaluated once over the grid, to a
//! value over the grid, with the numeric work done by the kernels in `functions`.

use model::{Labels, METRIC_NAME, is_valid_label_name};
use promql_parser::parser::{Call, Expr};

use super::{Evaluator, Grid, StepSeries, Value};
use crate::promql::QueryError;
use crate::promql::extended::{MODIFIER_LABEL, modifier_of};
use crate::promql::functions::range::{ExtendedWindow, SelectorModifier, Window};
use crate::promql::functions::{instant, range};

/// A function of one window.
type WindowFn = fn(Window<'_>) -> Option<f64>;

/// A function of one window of an `anchored` / `smoothed` range selector.
type ExtendedFn = fn(ExtendedWindow<'_>) -> Option<f64>;

/// The functions an `anchored` range selector may feed, sorted by name (upstream's error lists
/// them in this order).
const ANCHORED_FUNCTIONS: &[(&str, ExtendedFn)] = &[
    ("changes", range::anchored_changes),
    ("delta", range::anchored_delta),
    ("increase", range::anchored_increase),
    ("rate", range::anchored_rate),
    ("resets", range::anchored_resets),
];

/// The functions a `smoothed` range selector may feed, sorted by name.
const SMOOTHED_FUNCTIONS: &[(&str, ExtendedFn)] = &[
    ("delta", range::smoothed_delta),
    ("increase", range::smoothed_increase),
    ("rate", range::smoothed_rate),
];

/// A function of one float.
type FloatFn = fn(f64) -> f64;

/// Range-vector functions of one argument: name, kernel, whether the result keeps the name.
const WINDOW_FUNCTIONS: &[(&str, WindowFn, bool)] = &[
    ("rate", range::rate, false),
    ("increase", range::increase, false),
    ("delta", range::delta, false),
    ("irate", range::irate, false),
    ("idelta", range::idelta, false),
    ("deriv", range::deriv, false),
    ("changes", range::changes, false),
    ("resets", range::resets, false),
    ("sum_over_time", range::sum_over_time, false),
    ("avg_over_time", range::avg_over_time, false),
    ("count_over_time", range::count_over_time, false),
    ("min_over_time", range::min_over_time, false),
    ("max_over_time", range::max_over_time, false),
    ("last_over_time", range::last_over_time, true),
    ("first_over_time", range::first_over_time, true),
    ("present_over_time", range::present_over_time, false),
    ("stddev_over_time", range::stddev_over_time, false),
    ("stdvar_over_time", range::stdvar_over_time, false),
    ("mad_over_time", range::mad_over_time, false),
    ("ts_of_min_over_time", range::ts_of_min_over_time, false),
    ("ts_of_max_over_time", range::ts_of_max_over_time, false),
    ("ts_of_first_over_time", range::ts_of_first_over_time, false),
    ("ts_of_last_over_time", range::ts_of_last_over_time, false),
];

/// Element-wise functions of one instant vector.
const ELEMENT_FUNCTIONS: &[(&str, FloatFn)] = &[
    ("abs", instant::abs),
    ("ceil", instant::ceil),
    ("floor", instant::floor),
    ("exp", instant::exp),
    ("sqrt", instant::sqrt),
    ("ln", instant::ln),
    ("log2", instant::log2),
    ("log10", instant::log10),
    ("sgn", instant::sgn),
    ("sin", instant::sin),
    ("cos", instant::cos),
    ("tan", instant::tan),
    ("asin", instant::asin),
    ("acos", instant::acos),
    ("atan", instant::atan),
    ("sinh", instant::sinh),
    ("cosh", instant::cosh),
    ("tanh", instant::tanh),
    ("asinh", instant::asinh),
    ("acosh", instant::acosh),
    ("atanh", instant::atanh),
    ("deg", instant::deg),
    ("rad", instant::rad),
];

/// Date functions of a timestamp in seconds; with no argument they read the step's time.
const DATE_FUNCTIONS: &[(&str, FloatFn)] = &[
    ("minute", instant::minute),
    ("hour", instant::hour),
    ("day_of_week", instant::day_of_week),
    ("day_of_month", instant::day_of_month),
    ("day_of_year", instant::day_of_year),
    ("days_in_month", instant::days_in_month),
    ("month", instant::month),
    ("year", instant::year),
];

/// Names whose suffix marks a counter; `rate` and `increase` of anything else get an info.
const COUNTER_SUFFIXES: &[&str] = &["_total", "_sum", "_count", "_bucket"];

impl Evaluator<'_> {
    pub(super) fn eval_call(&mut self, call: &Call, grid: Grid) -> Result<Value, QueryError> {
        let name = call.func.name;
        let args: Vec<&Expr> = call.args.args.iter().map(Box::as_ref).collect();
        if let Some(modifier) = range_arg_modifier(&args) {
            return self.extended_window_function(name, &args, modifier, grid);
        }
        if let Some(&(_, kernel, keep_name)) = WINDOW_FUNCTIONS.iter().find(|f| f.0 == name) {
            let arg = one_arg(&args, name)?;
            if matches!(name, "rate" | "increase") {
                self.check_counter_name(arg);
            }
            return self.window_function(arg, grid, keep_name, |_, w| kernel(w));
        }
        if let Some(&(_, f)) = ELEMENT_FUNCTIONS.iter().find(|f| f.0 == name) {
            let series = self.eval_vector(one_arg(&args, name)?, grid)?;
            return Ok(Value::Vector(map_values(series, |_, v| Some(f(v)))));
        }
        if let Some(&(_, f)) = DATE_FUNCTIONS.iter().find(|f| f.0 == name) {
            return self.date_function(&args, grid, f);
        }
        match name {
            "quantile_over_time" => {
                let phi = self.scalar_arg(&args, 0, grid)?;
                self.warn_bad_quantiles(&phi, arg_at(&args, 0, name)?);
                let arg = arg_at(&args, 1, name)?;
                self.window_function(arg, grid, false, |step, w| {
                    range::quantile_over_time(w, phi[step])
                })
            }
            "predict_linear" => {
                let ahead = self.scalar_arg(&args, 1, grid)?;
                let arg = arg_at(&args, 0, name)?;
                let input = self.range_input(arg, grid)?;
                let out = input.map_windows(|step, samples, start, end| {
                    range::predict_linear(
                        Window::new(samples, start, end),
                        ahead[step],
                        grid.time(step),
                    )
                });
                Ok(finish_window_output(out, false))
            }
            "double_exponential_smoothing" => self.smoothing(&args, grid),
            "absent_over_time" => self.absent_over_time(arg_at(&args, 0, name)?, grid),
            "round" => {
                let to = match args.get(1) {
                    Some(e) => self.eval_scalar(e, grid)?,
                    None => vec![1.0; grid.len],
                };
                let series = self.eval_vector(arg_at(&args, 0, name)?, grid)?;
                Ok(Value::Vector(map_values(series, |step, v| {
                    Some(instant::round(v, to[step]))
                })))
            }
            "clamp" => {
                let min = self.scalar_arg(&args, 1, grid)?;
                let max = self.scalar_arg(&args, 2, grid)?;
                let series = self.eval_vector(arg_at(&args, 0, name)?, grid)?;
                Ok(Value::Vector(map_values(series, |s, v| {
                    instant::clamp(v, min[s], max[s])
                })))
            }
            "clamp_min" | "clamp_max" => {
                let bound = self.scalar_arg(&args, 1, grid)?;
                let series = self.eval_vector(arg_at(&args, 0, name)?, grid)?;
                let f = if name == "clamp_min" {
                    instant::clamp_min
                } else {
                    instant::clamp_max
                };
                Ok(Value::Vector(map_values(series, |s, v| {
                    Some(f(v, bound[s]))
                })))
            }
            "pi" => Ok(Value::Scalar(vec![instant::pi(); grid.len])),
            "start" => Ok(Value::Scalar(vec![
                self.query_start as f64 / 1000.0;
                grid.len
            ])),
            "end" => Ok(Value::Scalar(vec![
                self.query_end as f64 / 1000.0;
                grid.len
            ])),
            "step" => Ok(Value::Scalar(vec![
                self.query_step as f64 / 1000.0;
                grid.len
            ])),
            "range" => Ok(Value::Scalar(vec![
                (self.query_end - self.query_start)
                    as f64
                    / 1000.0;
                grid.len
            ])),
            "min_of" | "max_of" => {
                let a = self.scalar_arg(&args, 0, grid)?;
                let b = self.scalar_arg(&args, 1, grid)?;
                let f = if name == "min_of" {
                    instant::min_of
                } else {
                    instant::max_of
                };
                Ok(Value::Scalar(
                    a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect(),
                ))
            }
            "time" => Ok(Value::Scalar(
                (0..grid.len)
                    .map(|i| grid.time(i) as f64 / 1000.0)
                    .collect(),
            )),
            "vector" => {
                let values = self.scalar_arg(&args, 0, grid)?;
                Ok(Value::Vector(vec![StepSeries {
                    labels: Labels::empty(),
                    points: values.into_iter().map(Some).collect(),
                    drop_name: false,
                }]))
            }
            "scalar" => {
                let series = self.eval_vector(arg_at(&args, 0, name)?, grid)?;
                Ok(Value::Scalar(
                    (0..grid.len)
                        .map(|step| {
                            let mut present = series.iter().filter_map(|s| s.points[step]);
                            match (present.next(), present.next()) {
                                (Some(v), None) => v,
                                _ => f64::NAN,
                            }
                        })
                        .collect(),
                ))
            }
            "timestamp" => self.timestamp(arg_at(&args, 0, name)?, grid),
            "absent" => self.absent(arg_at(&args, 0, name)?, grid),
            "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => {
                if self.query_step != 0 {
                    let position = self.position_of(&Expr::Call(call.clone()));
                    self.annotations.warn(format!(
                        "PromQL warning: sort is ineffective for range queries since results are always ordered by labels{position}"
                    ));
                }
                self.sort(name, &args, grid)
            }
            "label_replace" => self.label_replace(&args, grid),
            "label_join" => self.label_join(&args, grid),
            "histogram_quantile" | "histogram_fraction" => {
                self.classic_histogram(name, &args, grid)
            }
            "histogram_quantiles" => self.histogram_quantiles(&args, grid),
            "info" => self.info(&args, grid),

            other => Err(QueryError::Execution(format!(
                "function {other}() is not supported"
            ))),
        }
    }

    /// Evaluates the scalar argument at `index`.
    pub(super) fn scalar_arg(
        &mut self,
        args: &[&Expr],
        index: usize,
        grid: Grid,
    ) -> Result<Vec<f64>, QueryError> {
        let e = args.get(index).ok_or_else(|| {
            QueryError::Execution(format!("missing argument {index} of a function call"))
        })?;
        self.eval_scalar(e, grid)
    }

    fn window_function(
        &mut self,
        arg: &Expr,
        grid: Grid,
        keep_name: bool,
        f: impl Fn(usize, Window<'_>) -> Option<f64>,
    ) -> Result<Value, QueryError> {
        let input = self.range_input(arg, grid)?;
        let out = input
            .map_windows(|step, samples, start, end| f(step, Window::new(samples, start, end)));
        Ok(finish_window_output(out, keep_name))
    }

    /// A function over an `anchored` / `smoothed` range selector: each window reaches past its
    /// edges as far as the modifier needs. Functions other than upstream's few fail with its
    /// error.
    fn extended_window_function(
        &mut self,
        name: &str,
        args: &[&Expr],
        modifier: SelectorModifier,
        grid: Grid,
    ) -> Result<Value, QueryError> {
        let kernel = extended_kernel(name, modifier)?;
        let arg = one_arg(args, name)?;
        if matches!(name, "rate" | "increase") {
            self.check_counter_name(arg);
        }
        let input = self.range_input(arg, grid)?;
        let reach = input.reach(self.options.lookback_delta_ms);
        let out = input.map_spans(reach, |_, samples, start, end| {
            kernel(ExtendedWindow::new(samples, start, end))
        });
        Ok(finish_window_output(out, false))
    }

    fn smoothing(&mut self, args: &[&Expr], grid: Grid) -> Result<Value, QueryError> {
        let sf = self.scalar_arg(args, 1, grid)?;
        let tf = self.scalar_arg(args, 2, grid)?;
        let input = self.range_input(arg_at(args, 0, "double_exponential_smoothing")?, grid)?;
        let mut failure = None;
        let out =
            input.map_windows(
                |step, samples, start, end| match range::double_exponential_smoothing(
                    Window::new(samples, start, end),
                    sf[step],
                    tf[step],
                ) {
                    Ok(v) => v,
                    Err(e) => {
                        failure.get_or_insert(e);
                        None
                    }
                },
            );
        if let Some(e) = failure {
            return Err(QueryError::Execution(e.to_string()));
        }
        Ok(finish_window_output(out, false))
    }

    /// Warns about the first φ outside `[0, 1]`; `param` is the expression it came from.
    pub(super) fn warn_bad_quantiles(&mut self, phi: &[f64], param: &Expr) {
        if let Some(bad) = phi.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            let position = self.position_of(param);
            self.annotations.warn(format!(
                "PromQL warning: quantile value should be between 0 and 1, got {}{position}",
                format_go_float(*bad)
            ));
        }
    }

    fn check_counter_name(&mut self, arg: &Expr) {
        let Expr::MatrixSelector(ms) = strip_parens(arg) else {
            return;
        };
        let Some(name) = ms.vs.name.as_deref() else {
            return;
        };
        if !COUNTER_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            let position = self.position_of(arg);
            self.annotations.info(format!(
                "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {name:?}{position}"
            ));
        }
    }

    fn date_function(
        &mut self,
        args: &[&Expr],
        grid: Grid,
        f: FloatFn,
    ) -> Result<Value, QueryError> {
        match args.first() {
            Some(e) => {
                let series = self.eval_vector(e, grid)?;
                Ok(Value::Vector(map_values(series, |_, v| Some(f(v)))))
            }
            None => Ok(Value::Vector(vec![StepSeries {
                labels: Labels::empty(),
                points: (0..grid.len)
                    .map(|i| Some(f(grid.time(i) as f64 / 1000.0)))
                    .collect(),
                drop_name: false,
            }])),
        }
    }

    fn timestamp(&mut self, arg: &Expr, grid: Grid) -> Result<Value, QueryError> {
        let mut series = match strip_parens(arg) {
            Expr::VectorSelector(vs) => self.eval_vector_selector(vs, grid, true)?,
            other => {
                let mut series = self.eval_vector(other, grid)?;
                for s in &mut series {
                    for (i, p) in s.points.iter_mut().enumerate() {
                        if p.is_some() {
                            *p = Some(grid.time(i) as f64 / 1000.0);
                        }
                    }
                }
                series
            }
        };
        for s in &mut series {
            s.drop_name = true;
        }
        Ok(Value::Vector(series))
    }

    fn absent(&mut self, arg: &Expr, grid: Grid) -> Result<Value, QueryError> {
        let series = self.eval_vector(arg, grid)?;
        let points = (0..grid.len)
            .map(|step| {
                series
                    .iter()
                    .all(|s| s.points[step].is_none())
                    .then_some(1.0)
            })
            .collect();
        Ok(absent_result(arg, points))
    }

    fn absent_over_time(&mut self, arg: &Expr, grid: Grid) -> Result<Value, QueryError> {
        let input = self.range_input(arg, grid)?;
        let present = input.map_windows(|_, _, _, _| Some(1.0));
        let points = (0..grid.len)
            .map(|step| {
                present
                    .iter()
                    .all(|s| s.points[step].is_none())
                    .then_some(1.0)
            })
            .collect();
        Ok(absent_result(arg, points))
    }

    fn sort(&mut self, name: &str, args: &[&Expr], grid: Grid) -> Result<Value, QueryError> {
        let mut series = self.eval_vector(arg_at(args, 0, name)?, grid)?;
        // Order only shows in an instant query's vector; range queries ignore it.
        let first = |s: &StepSeries| s.points.first().copied().flatten().unwrap_or(f64::NAN);
        match name {
            "sort" => series.sort_by(|a, b| nan_last(first(a), first(b), false)),
            "sort_desc" => series.sort_by(|a, b| nan_last(first(a), first(b), true)),
            _ => {
                let mut label_names = Vec::new();
                for e in args.iter().skip(1) {
                    match strip_parens(e) {
                        Expr::StringLiteral(s) => label_names.push(s.val.clone()),
                        other => {
                            return Err(QueryError::Execution(format!(
                                "expected a string argument to {name}(), got {}",
                                super::expr_type_name(other)
                            )));
                        }
                    }
                }
                let descending = name == "sort_by_label_desc";
                series.sort_by(|a, b| {
                    let mut ord = std::cmp::Ordering::Equal;
                    for l in &label_names {
                        ord = ord.then_with(|| {
                            natural_cmp(
                                a.labels.get(l).unwrap_or(""),
                                b.labels.get(l).unwrap_or(""),
                            )
                        });
                    }
                    let ord = ord.then_with(|| a.labels.cmp(&b.labels));
                    if descending { ord.reverse() } else { ord }
                });
            }
        }
        Ok(Value::Vector(series))
    }

    fn label_replace(&mut self, args: &[&Expr], grid: Grid) -> Result<Value, QueryError> {
        let dst = string_arg(args, 1, "label_replace")?;
        let replacement = string_arg(args, 2, "label_replace")?;
        let src = string_arg(args, 3, "label_replace")?;
        let pattern = string_arg(args, 4, "label_replace")?;
        let regex = regex::Regex::new(&format!("^(?s:{pattern})$")).map_err(|_| {
            QueryError::Execution(format!(
                "invalid regular expression in label_replace(): {pattern}"
            ))
        })?;
        if !is_valid_label_name(&dst) {
            return Err(QueryError::Execution(format!(
                "invalid destination label name in label_replace(): {dst}"
            )));
        }
        let series = self.eval_vector(arg_at(args, 0, "label_replace")?, grid)?;
        let mut out = Vec::with_capacity(series.len());
        for mut s in series {
            let value = s.labels.get(&src).unwrap_or("").to_owned();
            if let Some(caps) = regex.captures(&value) {
                let mut expanded = String::new();
                caps.expand(&replacement, &mut expanded);
                s = set_label(s, &dst, &expanded)?;
            }
            out.push(s);
        }
        Ok(Value::Vector(super::merge_same_labels(out)?))
    }

    fn label_join(&mut self, args: &[&Expr], grid: Grid) -> Result<Value, QueryError> {
        let dst = string_arg(args, 1, "label_join")?;
        let separator = string_arg(args, 2, "label_join")?;
        let sources: Vec<String> = (3..args.len())
            .map(|i| string_arg(args, i, "label_join"))
            .collect::<Result<_, _>>()?;
        if !is_valid_label_name(&dst) {
            return Err(QueryError::Execution(format!(
                "invalid destination label name in label_join(): {dst}"
            )));
        }
        let series = self.eval_vector(arg_at(args, 0, "label_join")?, grid)?;
        let mut out = Vec::with_capacity(series.len());
        for s in series {
            let joined = sources
                .iter()
                .map(|l| s.labels.get(l).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(&separator);
            out.push(set_label(s, &dst, &joined)?);
        }
        Ok(Value::Vector(super::merge_same_labels(out)?))
    }
}

/// Sets (or, with an empty value, removes) label `name`; setting the metric name keeps it.
fn set_label(mut s: StepSeries, name: &str, value: &str) -> Result<StepSeries, QueryError> {
    let mut b = s.labels.to_builder();
    if value.is_empty() {
        b.remove(name);
    } else {
        b.set(name, value);
    }
    s.labels = b
        .build()
        .map_err(|e| QueryError::Execution(e.to_string()))?;
    if name == METRIC_NAME {
        s.drop_name = false;
    }
    Ok(s)
}

/// Maps every present value; the result loses its metric name.
fn map_values(
    mut series: Vec<StepSeries>,
    f: impl Fn(usize, f64) -> Option<f64>,
) -> Vec<StepSeries> {
    for s in &mut series {
        for (step, p) in s.points.iter_mut().enumerate() {
            if let Some(v) = *p {
                *p = f(step, v);
            }
        }
        s.drop_name = true;
    }
    series.retain(|s| !s.is_empty());
    series
}

fn finish_window_output(mut out: Vec<StepSeries>, keep_name: bool) -> Value {
    out.retain(|s| !s.is_empty());
    if !keep_name {
        for s in &mut out {
            s.drop_name = true;
        }
    }
    Value::Vector(out)
}

/// `absent`'s result: labels from the equality matchers of a plain selector argument.
fn absent_result(arg: &Expr, points: Vec<Option<f64>>) -> Value {
    let mut labels = Labels::empty();
    let selector = match strip_parens(arg) {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(ms) => Some(&ms.vs),
        _ => None,
    };
    if let Some(vs) = selector {
        let mut b = model::LabelsBuilder::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut repeated: Vec<&str> = Vec::new();
        for m in &vs.matchers.matchers {
            if m.name == METRIC_NAME || m.name == MODIFIER_LABEL {
                continue;
            }
            if seen.contains(&m.name.as_str()) {
                repeated.push(&m.name);
            }
            seen.push(&m.name);
            if matches!(m.op, promql_parser::label::MatchOp::Equal) {
                b.set(&m.name, &m.value);
            }
        }
        for r in repeated {
            b.remove(r);
        }
        labels = b.build().unwrap_or_default();
    }
    if points.iter().all(Option::is_none) {
        return Value::Vector(Vec::new());
    }
    Value::Vector(vec![StepSeries {
        labels,
        points,
        drop_name: false,
    }])
}

/// The modifier of a call's range-vector argument (its first range selector or subquery, as
/// upstream picks it), if that is a modified range selector.
fn range_arg_modifier(args: &[&Expr]) -> Option<SelectorModifier> {
    let range_arg = args
        .iter()
        .map(|a| strip_parens(a))
        .find(|a| matches!(a, Expr::MatrixSelector(_) | Expr::Subquery(_)))?;
    match range_arg {
        Expr::MatrixSelector(ms) => modifier_of(&ms.vs),
        _ => None,
    }
}

/// The kernel for `name` over a range selector with `modifier`; upstream's error for a function
/// the modifier cannot be used with.
fn extended_kernel(name: &str, modifier: SelectorModifier) -> Result<ExtendedFn, QueryError> {
    let functions = match modifier {
        SelectorModifier::Anchored => ANCHORED_FUNCTIONS,
        SelectorModifier::Smoothed => SMOOTHED_FUNCTIONS,
    };
    functions
        .iter()
        .find(|f| f.0 == name)
        .map(|f| f.1)
        .ok_or_else(|| {
            let names: Vec<&str> = functions.iter().map(|f| f.0).collect();
            QueryError::Execution(format!(
                "{} modifier can only be used with: {} - not with {name}",
                modifier.keyword(),
                names.join(", ")
            ))
        })
}

fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        other => other,
    }
}

fn one_arg<'e>(args: &[&'e Expr], name: &str) -> Result<&'e Expr, QueryError> {
    arg_at(args, 0, name)
}

fn arg_at<'e>(args: &[&'e Expr], index: usize, name: &str) -> Result<&'e Expr, QueryError> {
    args.get(index)
        .copied()
        .ok_or_else(|| QueryError::Execution(format!("missing argument {} of {name}()", index + 1)))
}

fn string_arg(args: &[&Expr], index: usize, name: &str) -> Result<String, QueryError> {
    match args.get(index).map(|e| strip_parens(e)) {
        Some(Expr::StringLiteral(s)) => Ok(s.val.clone()),
        _ => Err(QueryError::Execution(format!(
            "expected a string as argument {} of {name}()",
            index + 1
        ))),
    }
}

/// Orders floats with NaN after every number, ascending or descending.
fn nan_last(a: f64, b: f64, descending: bool) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ if descending => b.total_cmp(&a),
        _ => a.total_cmp(&b),
    }
}

/// Compares strings with runs of digits compared as numbers ("a2" < "a10").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let xn = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let yn = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (xd, yd) = (&x[..xn], &y[..yn]);
                let strip = |d: &[u8]| -> usize { d.iter().take_while(|&&c| c == b'0').count() };
                let (xs, ys) = (&xd[strip(xd)..], &yd[strip(yd)..]);
                let ord = xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                x = &x[xn..];
                y = &y[yn..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// A float as Prometheus prints it in annotations (the sample-value form).
pub(crate) use crate::promql::value::format_sample_value as format_go_float;
