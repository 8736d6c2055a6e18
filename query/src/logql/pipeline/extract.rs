//! Sample values and series labels for range aggregations (Loki's
//! `pkg/logql/log/metrics_extraction.go` and `syntax/extractor.go`, v3).
//!
//! * Lines: 1 per entry (`count_over_time`, `rate`, `absent_over_time`) or the byte length of
//!   the line after the stages (`bytes_over_time`, `bytes_rate`).
//! * `unwrap label`: the label's value read as `strconv.ParseFloat` reads it, or as a Go
//!   duration in seconds (`duration()`, `duration_seconds()`), or as a humanized byte size
//!   (`bytes()`). An entry without the label, or with it empty, gives no sample. A value
//!   that does not convert gives 0 with `__error__="SampleExtractionErr"` and the conversion
//!   error as `__error_details__`; then the label filters after `unwrap` run.
//!
//! Series labels: an entry with an error keeps all its labels, error included, so the
//! evaluator can report it. Otherwise the range aggregation's grouping applies: `by (a, b)`
//! keeps those labels, `without (a)` removes them, `by ()` (and `absent_over_time`) keeps
//! none. With `unwrap`, and no grouping or `without`, the unwrapped label is removed too.

use model::Labels;

use super::PipelineError;
use super::convert::{duration_seconds, parse_bytes, parse_duration, parse_float};
use super::label_filter::LabelFilterStage;
use super::labels::EntryLabels;
use crate::logql::syntax::{Grouping, LogRange, RangeOp, Unwrap, UnwrapConversion};

/// The error Loki sets when an unwrapped value does not convert.
pub(crate) const SAMPLE_EXTRACTION_ERROR: &str = "SampleExtractionErr";

/// Where a sample's value comes from.
#[derive(Debug)]
pub(crate) enum ValueSource {
    /// 1 per line.
    Count,
    /// The line's length in bytes.
    Bytes,
    /// An unwrapped label.
    Unwrap(UnwrapValue),
}

/// `| unwrap ...` compiled.
#[derive(Debug)]
pub(crate) struct UnwrapValue {
    label: String,
    conversion: Option<UnwrapConversion>,
    post_filters: Vec<LabelFilterStage>,
}

impl ValueSource {
    /// The value source of `op` over `range`.
    pub(crate) fn new(range: &LogRange, op: RangeOp) -> Result<Self, PipelineError> {
        match &range.unwrap {
            Some(unwrap) => {
                if !op.allows_unwrap() {
                    return Err(unsupported(op, "an unwrapped range"));
                }
                Ok(ValueSource::Unwrap(UnwrapValue::new(unwrap)?))
            }
            None => match op {
                RangeOp::CountOverTime | RangeOp::Rate | RangeOp::AbsentOverTime => {
                    Ok(ValueSource::Count)
                }
                RangeOp::BytesOverTime | RangeOp::BytesRate => Ok(ValueSource::Bytes),
                _ => Err(unsupported(op, "a range that is not unwrapped")),
            },
        }
    }

    /// The unwrapped label, if any.
    pub(crate) fn unwrapped_label(&self) -> Option<&str> {
        match self {
            ValueSource::Unwrap(u) => Some(&u.label),
            ValueSource::Count | ValueSource::Bytes => None,
        }
    }

    /// The sample value of an entry whose stages ran; `None` when it gives no sample.
    /// `line_len` is the byte length of the line after the stages.
    pub(crate) fn value(&self, line_len: usize, labels: &mut EntryLabels) -> Option<f64> {
        match self {
            ValueSource::Count => Some(1.0),
            ValueSource::Bytes => Some(line_len as f64),
            ValueSource::Unwrap(unwrap) => unwrap.value(labels),
        }
    }
}

fn unsupported(op: RangeOp, what: &str) -> PipelineError {
    PipelineError {
        message: format!(
            "unsupported range vector aggregation operation {} over {what}",
            op.name()
        ),
    }
}

impl UnwrapValue {
    fn new(unwrap: &Unwrap) -> Result<Self, PipelineError> {
        Ok(Self {
            label: unwrap.label.clone(),
            conversion: unwrap.conversion,
            post_filters: unwrap
                .post_filters
                .iter()
                .map(LabelFilterStage::new)
                .collect::<Result<_, _>>()?,
        })
    }

    fn value(&self, labels: &mut EntryLabels) -> Option<f64> {
        let raw = labels.get(&self.label).filter(|v| !v.is_empty())?;
        let converted = match self.conversion {
            None => parse_float(raw),
            Some(UnwrapConversion::Duration | UnwrapConversion::DurationSeconds) => {
                parse_duration(raw).map(duration_seconds)
            }
            Some(UnwrapConversion::Bytes) => parse_bytes(raw).map(|b| b as f64),
        };
        let value = converted.unwrap_or_else(|details| {
            labels.fail(SAMPLE_EXTRACTION_ERROR, &details);
            0.0
        });
        // Every filter runs, as in Loki's chain of `and`s.
        let mut kept = true;
        for filter in &self.post_filters {
            kept &= filter.process(labels);
        }
        kept.then_some(value)
    }
}

/// Which labels a sample's series keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SeriesLabels {
    /// All of the entry's labels.
    All,
    /// None.
    Empty,
    /// Only these (sorted).
    Only(Vec<String>),
    /// All but these (sorted).
    AllBut(Vec<String>),
}

impl SeriesLabels {
    /// The series labels of `op` grouped by `grouping`, with `unwrapped` the unwrapped label.
    pub(crate) fn new(op: RangeOp, grouping: Option<&Grouping>, unwrapped: Option<&str>) -> Self {
        let (mut names, mut without, no_labels) = match grouping {
            Some(g) => (g.labels.clone(), g.without, g.labels.is_empty()),
            None => (Vec::new(), false, false),
        };
        if let Some(label) = unwrapped
            && (names.is_empty() || without)
        {
            without = true;
            names.push(label.to_owned());
        }
        if no_labels || op == RangeOp::AbsentOverTime {
            return SeriesLabels::Empty;
        }
        names.sort();
        names.dedup();
        match (names.is_empty(), without) {
            (true, _) => SeriesLabels::All,
            (false, true) => SeriesLabels::AllBut(names),
            (false, false) => SeriesLabels::Only(names),
        }
    }

    /// The series labels of an entry: all of them when it has an error.
    pub(crate) fn apply<'l>(&self, labels: &'l mut EntryLabels) -> &'l Labels {
        if labels.has_error() {
            return labels.labels();
        }
        match self {
            SeriesLabels::All => labels.labels(),
            SeriesLabels::Empty => labels.labels_where(|_| false),
            SeriesLabels::Only(names) => {
                labels.labels_where(|n| names.binary_search_by(|g| g.as_str().cmp(n)).is_ok())
            }
            SeriesLabels::AllBut(names) => {
                labels.labels_where(|n| names.binary_search_by(|g| g.as_str().cmp(n)).is_err())
            }
        }
    }
}
