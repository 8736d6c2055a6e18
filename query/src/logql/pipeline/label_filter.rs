//! Label filters (Loki's `pkg/logql/log/label_filter.go`, v3).
//!
//! * A string matcher compares the label's value, `""` when absent; on `__error__` it reads
//!   the error, which makes it the one filter that can drop errored entries
//!   (`| __error__=""`).
//! * A number, duration or byte-size comparison drops the entry when the label is absent.
//!   When the value does not convert, the entry is kept and gets
//!   `__error__="LabelFilterErr"` with the conversion's error as `__error_details__`, unless
//!   it already has an error (the earlier one is kept).
//! * `ip("...")` keeps an entry that already has an error, drops one without the label, and
//!   otherwise tests the label's value like the line filter tests a line.
//! * `and` runs both sides (the right side still runs when the left fails, so it may set an
//!   error); `or` runs the right side only when the left fails.

use model::Matcher;

use super::PipelineError;
use super::convert::{parse_bytes, parse_duration, parse_float};
use super::ip::IpPattern;
use super::labels::{ERROR_LABEL, EntryLabels};
use crate::logql::syntax::{CmpOp, LabelFilter};

/// The error Loki sets when a label filter cannot convert a value.
pub(crate) const LABEL_FILTER_ERROR: &str = "LabelFilterErr";

/// A compiled label filter.
#[derive(Debug)]
pub(crate) enum LabelFilterStage {
    /// `name op "value"`.
    Matcher(Matcher),
    /// `name op 1.5`.
    Number { name: String, op: CmpOp, value: f64 },
    /// `name op 1s`.
    Duration {
        name: String,
        op: CmpOp,
        value_ns: i64,
    },
    /// `name op 10KB`.
    Bytes { name: String, op: CmpOp, value: u64 },
    /// `name = ip("...")`, `name != ip("...")`.
    Ip {
        name: String,
        negated: bool,
        pattern: IpPattern,
    },
    /// Both.
    And(Box<LabelFilterStage>, Box<LabelFilterStage>),
    /// Either.
    Or(Box<LabelFilterStage>, Box<LabelFilterStage>),
}

impl LabelFilterStage {
    /// Compiles `filter`; an `ip(...)` pattern that does not parse is an error.
    pub(crate) fn new(filter: &LabelFilter) -> Result<Self, PipelineError> {
        Ok(match filter {
            LabelFilter::Matcher(m) => LabelFilterStage::Matcher(m.clone()),
            LabelFilter::Number { name, op, value } => LabelFilterStage::Number {
                name: name.clone(),
                op: *op,
                value: *value,
            },
            LabelFilter::Duration { name, op, value_ns } => LabelFilterStage::Duration {
                name: name.clone(),
                op: *op,
                value_ns: *value_ns,
            },
            LabelFilter::Bytes { name, op, value } => LabelFilterStage::Bytes {
                name: name.clone(),
                op: *op,
                value: *value,
            },
            LabelFilter::Ip {
                name,
                negated,
                pattern,
            } => LabelFilterStage::Ip {
                name: name.clone(),
                negated: *negated,
                pattern: IpPattern::parse(pattern)?,
            },
            LabelFilter::And(l, r) => {
                LabelFilterStage::And(Box::new(Self::new(l)?), Box::new(Self::new(r)?))
            }
            LabelFilter::Or(l, r) => {
                LabelFilterStage::Or(Box::new(Self::new(l)?), Box::new(Self::new(r)?))
            }
        })
    }

    /// True when the entry passes; may set the entry's error (see the module docs).
    pub(crate) fn process(&self, labels: &mut EntryLabels) -> bool {
        match self {
            LabelFilterStage::Matcher(m) => {
                let value = if m.name() == ERROR_LABEL {
                    labels.error()
                } else {
                    labels.get(m.name()).unwrap_or_default()
                };
                m.matches(value)
            }
            LabelFilterStage::Number { name, op, value } => {
                compare(labels, name, parse_float, |v| cmp_f64(*op, v, *value))
            }
            LabelFilterStage::Duration { name, op, value_ns } => {
                compare(labels, name, parse_duration, |v| cmp(*op, v, *value_ns))
            }
            LabelFilterStage::Bytes { name, op, value } => {
                compare(labels, name, parse_bytes, |v| cmp(*op, v, *value))
            }
            LabelFilterStage::Ip {
                name,
                negated,
                pattern,
            } => {
                if labels.has_error() {
                    return true;
                }
                labels
                    .get(name)
                    .is_some_and(|v| pattern.matches_in(v.as_bytes()) != *negated)
            }
            LabelFilterStage::And(l, r) => {
                let left = l.process(labels);
                let right = r.process(labels);
                left && right
            }
            LabelFilterStage::Or(l, r) => l.process(labels) || r.process(labels),
        }
    }
}

/// A converting comparison: absent label drops, a value that does not convert keeps the
/// entry with `LabelFilterErr` (unless an error is already set).
fn compare<T>(
    labels: &mut EntryLabels,
    name: &str,
    convert: fn(&str) -> Result<T, String>,
    test: impl FnOnce(T) -> bool,
) -> bool {
    let Some(raw) = labels.get(name) else {
        return false;
    };
    match convert(raw) {
        Ok(v) => test(v),
        Err(details) => {
            if !labels.has_error() {
                labels.fail(LABEL_FILTER_ERROR, &details);
            }
            true
        }
    }
}

fn cmp<T: PartialOrd>(op: CmpOp, a: T, b: T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
    }
}

fn cmp_f64(op: CmpOp, a: f64, b: f64) -> bool {
    cmp(op, a, b)
}
