//! `info(v [, selector])`: adds to each series of `v` the data labels of the info series that
//! share its identifying labels (`instance`, `job`), after Prometheus 3.14's `promql/info.go`.
//!
//! Which info series count: those named `target_info` by default; the selector's `__name__`
//! matchers choose others (only negated ones mean "any `*_info` but these"), its other matchers
//! both filter info series and name the data labels to take. A series of `v` that is itself
//! such an info series passes unchanged. At each step an info series counts when it has a
//! sample within the lookback window of the step's reference time: the step time moved by the
//! `@` and offsets that `v` reads its series with, when every vector path of `v` agrees on
//! them (so `info(m @ 60)` is enriched as of 60 s at every step), else the step time itself.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use model::{Labels, METRIC_NAME, Sample, is_stale_nan};
use promql_parser::label::{MatchOp, Matcher, Matchers};
use promql_parser::parser::token::T_EQL_REGEX;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{AtModifier, Expr, Offset, VectorSelector};

use super::{Evaluator, Grid, LoadedSeries, StepSeries, Value};
use crate::promql::QueryError;
use crate::promql::parse::{at_millis, offset_millis};

/// The info metric `info()` reads when its selector names none.
const TARGET_INFO: &str = "target_info";

/// The labels an info series shares with the series it describes.
const IDENTIFYING_LABELS: [&str; 2] = ["instance", "job"];

/// A matcher [`mark_label_selectors`] adds to `info()`'s label selector so that the parser,
/// which refuses selectors all of whose matchers match the empty string, accepts it. `info()`
/// ignores it. Names starting with `__` are reserved, so no stored series carries it.
pub(crate) const SELECTOR_MARKER: &str = "__info_label_selector__";

/// When an expression reads its series, relative to the time of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reference {
    /// The step time minus this offset, ms.
    Step(i64),
    /// This fixed time, ms (an `@` modifier, less the offsets under it).
    Fixed(i64),
}

impl Reference {
    /// The reference time at step time `t`.
    fn at(self, t: i64) -> i64 {
        match self {
            Reference::Step(offset) => t.saturating_sub(offset),
            Reference::Fixed(at) => at,
        }
    }

    /// This reference (of an inner expression) seen through a selector or subquery with
    /// modifiers `at` and `offset`: an inner `@` keeps anchoring it, else the outer modifiers
    /// move it.
    fn under(self, at: Option<i64>, offset: i64) -> Reference {
        match (self, at) {
            (Reference::Fixed(_), _) => self,
            (Reference::Step(inner), Some(at)) => Reference::Fixed(at - offset - inner),
            (Reference::Step(inner), None) => Reference::Step(offset + inner),
        }
    }
}

/// The second argument of `info()`, resolved.
#[derive(Debug)]
struct InfoSelector {
    /// The `__name__` matchers an info series passes; a series of `v` passing them all is an
    /// info series itself and is not enriched.
    names: Vec<Matcher>,
    /// The other matchers: info series must pass them, and when there are any, only the
    /// labels they name are taken.
    data: Vec<Matcher>,
}

impl InfoSelector {
    fn from_arg(arg: Option<&Expr>) -> Result<Self, QueryError> {
        let Some(arg) = arg else {
            return Ok(InfoSelector {
                names: vec![target_info_matcher()],
                data: Vec::new(),
            });
        };
        let vs = match arg {
            Expr::VectorSelector(vs) if vs.name.is_none() => vs,
            Expr::VectorSelector(_) => {
                return Err(parse_error(
                    "expected label selectors only, got vector selector instead",
                ));
            }
            _ => return Err(parse_error("expected label selectors only")),
        };
        if !vs.matchers.or_matchers.is_empty() {
            return Err(QueryError::Execution(
                "selectors with `or` between matcher sets are not supported".into(),
            ));
        }
        let (names, data): (Vec<Matcher>, Vec<Matcher>) = vs
            .matchers
            .matchers
            .iter()
            .filter(|m| m.name != SELECTOR_MARKER)
            .cloned()
            .partition(|m| m.name == METRIC_NAME);
        Ok(InfoSelector {
            names: effective_name_matchers(names)?,
            data,
        })
    }

    fn is_info_name(&self, name: &str) -> bool {
        self.names.iter().all(|m| m.is_match(name))
    }

    /// Whether a series without any matching info series is still returned.
    fn keeps_unmatched(&self) -> bool {
        self.data.iter().all(|m| m.is_match(""))
    }

    /// Whether the data label `name` is taken from info series.
    fn takes(&self, name: &str) -> bool {
        self.data.is_empty() || self.data.iter().any(|m| m.name == name)
    }

    /// The selector that loads candidate info series (before the identifying-label filter).
    fn candidates(&self) -> VectorSelector {
        let matchers = self.names.iter().chain(&self.data).cloned().collect();
        VectorSelector::new(None, Matchers::new(matchers))
    }
}

/// `__name__="target_info"`.
fn target_info_matcher() -> Matcher {
    Matcher::new(MatchOp::Equal, METRIC_NAME, TARGET_INFO)
}

/// The name matchers that decide what an info series is: `target_info` without any, every
/// `*_info` but the excluded ones with only negated ones, else the given ones.
fn effective_name_matchers(given: Vec<Matcher>) -> Result<Vec<Matcher>, QueryError> {
    if given.is_empty() {
        return Ok(vec![target_info_matcher()]);
    }
    if given
        .iter()
        .all(|m| matches!(m.op, MatchOp::NotEqual | MatchOp::NotRe(_)))
    {
        let any_info = Matcher::new_matcher(T_EQL_REGEX, METRIC_NAME.into(), ".+_info".into())
            .map_err(QueryError::Execution)?;
        return Ok(std::iter::once(any_info).chain(given).collect());
    }
    Ok(given)
}

fn parse_error(message: &str) -> QueryError {
    QueryError::Parse {
        position: None,
        message: format!("parse error: {message}"),
    }
}

/// The identifying labels of a label set: the key an info series and the series it
/// describes share.
type Identity<'a> = [Option<&'a str>; 2];

fn identity(labels: &Labels) -> Identity<'_> {
    IDENTIFYING_LABELS.map(|name| labels.get(name))
}

/// A candidate info series: its metric name and identity, and per step the time of the sample
/// it has in the lookback window of that step's reference time.
struct InfoSeries<'a> {
    labels: &'a Labels,
    name: &'a str,
    identity: Identity<'a>,
    sample_times: Vec<Option<i64>>,
}

impl Evaluator<'_> {
    /// `info(v [, selector])` over `grid`; `args` as written in the call.
    pub(super) fn info(&mut self, args: &[&Expr], grid: Grid) -> Result<Value, QueryError> {
        let base_expr = args.first().copied().ok_or_else(|| {
            QueryError::Execution(
                "expected at least 1 argument(s) in call to \"info\", got 0".into(),
            )
        })?;
        let selector = InfoSelector::from_arg(args.get(1).copied())?;
        let base = self.eval_vector(base_expr, grid)?;
        let is_info: Vec<bool> = base
            .iter()
            .map(|s| selector.is_info_name(s.labels.metric_name().unwrap_or("")))
            .collect();
        let wanted = wanted_identities(&base, &is_info);
        let loaded = if wanted.iter().all(BTreeSet::is_empty) {
            Vec::new().into()
        } else {
            self.load(&selector.candidates())?
        };
        let reference = reference_of(base_expr, self.query_start, self.query_end);
        let times: Vec<i64> = (0..grid.len).map(|i| reference.at(grid.time(i))).collect();
        let lookback = self.options.lookback_delta_ms;
        let infos: Vec<InfoSeries<'_>> = loaded
            .iter()
            .filter(|s| describes_wanted(&s.labels, &wanted))
            .map(|s| info_series(s, &times, lookback))
            .collect();
        let out = enrich(&base, &is_info, &infos, &selector, grid.len)?;
        let points = out.iter().map(|s| s.points.len()).sum();
        self.hold(points)?;
        Ok(Value::Vector(out))
    }
}

/// Per identifying label, the values the series to enrich carry: an info series must carry
/// one of them for every label some series carries.
fn wanted_identities<'a>(base: &'a [StepSeries], is_info: &[bool]) -> [BTreeSet<&'a str>; 2] {
    let mut wanted = [BTreeSet::new(), BTreeSet::new()];
    for (s, _) in base.iter().zip(is_info).filter(|(_, info)| !**info) {
        for (values, value) in wanted.iter_mut().zip(identity(&s.labels)) {
            values.extend(value);
        }
    }
    wanted
}

fn describes_wanted(labels: &Labels, wanted: &[BTreeSet<&str>; 2]) -> bool {
    wanted
        .iter()
        .zip(identity(labels))
        .all(|(values, value)| values.is_empty() || value.is_some_and(|v| values.contains(v)))
}

fn info_series<'a>(s: &'a LoadedSeries, times: &[i64], lookback: i64) -> InfoSeries<'a> {
    InfoSeries {
        labels: &s.labels,
        name: s.labels.metric_name().unwrap_or(""),
        identity: identity(&s.labels),
        sample_times: times
            .iter()
            .map(|&t| newest_sample_time(&s.samples, t, lookback))
            .collect(),
    }
}

/// The time of the newest sample at or before `t` and after `t - lookback`, unless it is a
/// staleness marker.
fn newest_sample_time(samples: &[Sample], t: i64, lookback: i64) -> Option<i64> {
    let newer = samples.partition_point(|s| s.t <= t);
    let s = samples.get(newer.checked_sub(1)?)?;
    (s.t > t.saturating_sub(lookback) && !is_stale_nan(s.v)).then_some(s.t)
}

/// The output series of `info()` and, per series, the last step written.
#[derive(Default)]
struct Enriched {
    series: Vec<StepSeries>,
    written_at: Vec<usize>,
    index: HashMap<(Labels, bool), usize>,
    /// Output series by (base series, info series it was enriched with).
    by_source: HashMap<(usize, Vec<usize>), usize>,
}

impl Enriched {
    fn write(
        &mut self,
        source: (usize, Vec<usize>),
        labels: impl FnOnce() -> Result<Labels, QueryError>,
        drop_name: bool,
        step: usize,
        value: f64,
        steps: usize,
    ) -> Result<(), QueryError> {
        let idx = match self.by_source.get(&source) {
            Some(&idx) => idx,
            None => {
                let labels = labels()?;
                let idx = *self
                    .index
                    .entry((labels.clone(), drop_name))
                    .or_insert_with(|| {
                        self.series.push(StepSeries {
                            labels,
                            points: vec![None; steps],
                            drop_name,
                        });
                        self.written_at.push(usize::MAX);
                        self.series.len() - 1
                    });
                self.by_source.insert(source, idx);
                idx
            }
        };
        if self.written_at[idx] == step {
            return Err(QueryError::Execution(
                "vector cannot contain metrics with the same labelset".into(),
            ));
        }
        self.written_at[idx] = step;
        self.series[idx].points[step] = Some(value);
        Ok(())
    }
}

/// Joins `base` with the info series step by step.
fn enrich(
    base: &[StepSeries],
    is_info: &[bool],
    infos: &[InfoSeries<'_>],
    selector: &InfoSelector,
    steps: usize,
) -> Result<Vec<StepSeries>, QueryError> {
    let names: BTreeSet<&str> = infos.iter().map(|s| s.name).collect();
    let mut out = Enriched::default();
    for step in 0..steps {
        let current = current_infos(infos, step)?;
        for (bi, b) in base.iter().enumerate() {
            let Some(value) = b.points[step] else {
                continue;
            };
            if is_info[bi] {
                out.write(
                    (bi, Vec::new()),
                    || Ok(b.labels.clone()),
                    b.drop_name,
                    step,
                    value,
                    steps,
                )?;
                continue;
            }
            let id = identity(&b.labels);
            let matched: Vec<usize> = names
                .iter()
                .filter_map(|name| current.get(&(*name, id)).copied())
                .collect();
            if matched.is_empty() && !selector.keeps_unmatched() {
                continue;
            }
            let labels = || {
                enriched_labels(
                    &b.labels,
                    matched.iter().map(|&i| infos[i].labels),
                    selector,
                )
            };
            out.write(
                (bi, matched.clone()),
                labels,
                b.drop_name,
                step,
                value,
                steps,
            )?;
        }
    }
    Ok(out.series)
}

/// Per (info metric name, identity), the info series current at `step`: the one with the
/// newest sample; two with samples at the same time are Prometheus's duplicate error.
fn current_infos<'a>(
    infos: &'a [InfoSeries<'a>],
    step: usize,
) -> Result<HashMap<(&'a str, Identity<'a>), usize>, QueryError> {
    let mut current: HashMap<(&str, Identity<'_>), (usize, i64)> = HashMap::new();
    for (i, s) in infos.iter().enumerate() {
        let Some(t) = s.sample_times[step] else {
            continue;
        };
        match current.get_mut(&(s.name, s.identity)) {
            None => {
                current.insert((s.name, s.identity), (i, t));
            }
            Some((existing, existing_t)) => {
                if *existing_t == t {
                    return Err(QueryError::Execution(format!(
                        "found duplicate series for info metric: existing {} @ {t}, new {} @ {t}",
                        infos[*existing].labels, s.labels
                    )));
                }
                if *existing_t < t {
                    *existing = i;
                    *existing_t = t;
                }
            }
        }
    }
    Ok(current.into_iter().map(|(k, (i, _))| (k, i)).collect())
}

/// `base` plus the data labels of `infos` it lacks; two infos disagreeing on one is an error.
fn enriched_labels<'a>(
    base: &Labels,
    infos: impl Iterator<Item = &'a Labels>,
    selector: &InfoSelector,
) -> Result<Labels, QueryError> {
    let mut added: Vec<(&str, &str)> = Vec::new();
    for info in infos {
        for (name, value) in info.iter() {
            if name == METRIC_NAME || !selector.takes(name) {
                continue;
            }
            if added.iter().any(|&(n, v)| n == name && v != value) {
                return Err(QueryError::Execution(format!("conflicting label: {name}")));
            }
            if base.get(name).is_none() && !added.iter().any(|&(n, _)| n == name) {
                added.push((name, value));
            }
        }
    }
    let mut builder = base.to_builder();
    for (name, value) in added {
        builder.set(name, value);
    }
    builder
        .build()
        .map_err(|e| QueryError::Execution(e.to_string()))
}

/// When `expr` (the first argument of `info()`) reads its series, relative to the step time:
/// the reference every vector path of it shares, else the step time itself (a path without a
/// selector, like `vector(1)`, has none).
pub(crate) fn reference_of(expr: &Expr, query_start: i64, query_end: i64) -> Reference {
    let mut paths = Vec::new();
    vector_paths(expr, query_start, query_end, &mut paths);
    match paths.split_first() {
        Some((Some(first), rest)) if rest.iter().all(|r| *r == Some(*first)) => *first,
        _ => Reference::Step(0),
    }
}

/// Pushes the reference of every path through which `expr` produces its vector (`None` for a
/// path without a selector); scalar operands and parameters are no such path.
fn vector_paths(expr: &Expr, start: i64, end: i64, out: &mut Vec<Option<Reference>>) {
    let leaf = |at: Option<&AtModifier>, offset: Option<&Offset>| {
        Reference::Step(0).under(at_millis(at, start, end), offset_millis(offset))
    };
    match expr {
        Expr::VectorSelector(vs) => out.push(Some(leaf(vs.at.as_ref(), vs.offset.as_ref()))),
        Expr::MatrixSelector(ms) => out.push(Some(leaf(ms.vs.at.as_ref(), ms.vs.offset.as_ref()))),
        Expr::Subquery(sq) => {
            let mut inner = Vec::new();
            vector_paths(&sq.expr, start, end, &mut inner);
            let at = at_millis(sq.at.as_ref(), start, end);
            let offset = offset_millis(sq.offset.as_ref());
            out.extend(inner.into_iter().map(|r| r.map(|r| r.under(at, offset))));
        }
        Expr::Paren(p) => vector_paths(&p.expr, start, end, out),
        Expr::Unary(u) => vector_paths(&u.expr, start, end, out),
        Expr::Binary(b) => {
            for side in [&b.lhs, &b.rhs] {
                if side.value_type() == ValueType::Vector {
                    vector_paths(side, start, end, out);
                }
            }
        }
        Expr::Aggregate(a) => vector_paths(&a.expr, start, end, out),
        Expr::Call(c) => {
            // info()'s own label selector is no vector the call reads.
            let args = if c.func.name == "info" {
                &c.args.args[..1.min(c.args.args.len())]
            } else {
                &c.args.args[..]
            };
            let before = out.len();
            for arg in args {
                if matches!(arg.value_type(), ValueType::Vector | ValueType::Matrix) {
                    vector_paths(arg, start, end, out);
                }
            }
            if out.len() == before {
                out.push(None);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => out.push(None),
    }
}

/// The time range the info series of an `info()` call evaluated from `start` to `end` are
/// read over, ms inclusive, for the querier's bounds.
pub(crate) fn info_time_bounds(
    base: &Expr,
    start: i64,
    end: i64,
    lookback: i64,
    query_start: i64,
    query_end: i64,
) -> (i64, i64) {
    let reference = reference_of(base, query_start, query_end);
    let (first, last) = (reference.at(start), reference.at(end));
    (first.min(last).saturating_sub(lookback), first.max(last))
}

/// Marks the label selector of every `info()` call in `query` with [`SELECTOR_MARKER`], so
/// that the parser accepts selectors like `{data=~".*"}`, as Prometheus's does for `info()`.
/// Strings and comments are left alone; the text is borrowed when there is nothing to mark.
pub(crate) fn mark_label_selectors(query: &str) -> Cow<'_, str> {
    let positions = label_selector_positions(query);
    if positions.is_empty() {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len() + positions.len() * 40);
    let mut copied = 0;
    for brace in positions {
        let after = brace + 1;
        out.push_str(&query[copied..after]);
        out.push_str(SELECTOR_MARKER);
        out.push_str("=\"1\"");
        if !query[after..].trim_start().starts_with('}') {
            out.push_str(", ");
        }
        copied = after;
    }
    out.push_str(&query[copied..]);
    Cow::Owned(out)
}

/// One open parenthesis while scanning a query.
struct Frame {
    /// It opens an `info(` call.
    info_call: bool,
    /// Index of the argument being scanned.
    arg: usize,
    /// The argument has had a token before this point.
    arg_started: bool,
}

/// A scan of a query's tokens for the label selectors of `info()` calls: strings and comments
/// are skipped, parentheses and commas outside braces delimit call arguments.
#[derive(Default)]
struct SelectorScan {
    frames: Vec<Frame>,
    /// Depth of `{` nesting.
    braces: usize,
    /// The last token was the identifier `info` (outside braces).
    after_info: bool,
    /// Offsets of the `{` found so far.
    found: Vec<usize>,
}

impl SelectorScan {
    /// Takes the punctuation byte `c` at offset `at`.
    fn punctuation(&mut self, c: u8, at: usize) {
        let after_info = std::mem::take(&mut self.after_info);
        match c {
            b'(' if self.braces == 0 => {
                self.frames.push(Frame {
                    info_call: after_info,
                    arg: 0,
                    arg_started: false,
                });
                return;
            }
            b')' if self.braces == 0 => {
                self.frames.pop();
            }
            b',' if self.braces == 0 => {
                if let Some(f) = self.frames.last_mut() {
                    f.arg += 1;
                    f.arg_started = false;
                }
                return;
            }
            b'{' => {
                let opens_selector = self
                    .frames
                    .last()
                    .is_some_and(|f| f.info_call && f.arg == 1 && !f.arg_started);
                if self.braces == 0 && opens_selector {
                    self.found.push(at);
                }
                self.braces += 1;
            }
            b'}' => self.braces = self.braces.saturating_sub(1),
            _ => {}
        }
        self.started();
    }

    /// Takes the identifier `word`.
    fn identifier(&mut self, word: &str) {
        self.after_info = self.braces == 0 && word == "info";
        self.started();
    }

    fn started(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            f.arg_started = true;
        }
    }
}

/// Byte offsets of the `{` that opens the second argument of each `info(` call.
fn label_selector_positions(query: &str) -> Vec<usize> {
    let bytes = query.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut scan = SelectorScan::default();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let start = i;
        i += 1;
        match c {
            b'"' | b'\'' | b'`' => {
                i = skip_string(bytes, start);
                scan.punctuation(c, start);
            }
            b'#' => {
                let line = bytes.get(start..).unwrap_or_default();
                i = line
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| start + p);
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                while bytes.get(i).is_some_and(|&b| is_word(b)) {
                    i += 1;
                }
                scan.identifier(query.get(start..i).unwrap_or_default());
            }
            _ => scan.punctuation(c, start),
        }
    }
    scan.found
}

/// The offset just past the string literal opening at `start` (backslash escapes except in
/// raw backtick strings); the end of the text when it is not closed.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let Some(&quote) = bytes.get(start) else {
        return bytes.len();
    };
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' && quote != b'`' {
            i += 2;
        } else if b == quote {
            return i + 1;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

#[cfg(test)]
#[path = "info_tests.rs"]
mod tests;
