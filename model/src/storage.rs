//! The storage traits the query engine reads through.
//!
//! A [`Queryable`] hands out a [`SeriesQuerier`] bound to a time range `[mint, maxt]` (inclusive,
//! milliseconds); the querier selects series by matchers and answers label-name and label-value
//! questions. Storage engines implement these traits; the query engine knows nothing else of them.

use crate::{Labels, Matcher, Sample, StorageError};

mod vec;

pub use vec::VecQueryable;

/// Something a querier can be opened on (a database, or a test fixture).
pub trait Queryable: Send + Sync {
    /// A querier over samples with `mint <= t <= maxt`.
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn SeriesQuerier + '_>, StorageError>;
}

/// Reads series over a fixed time range.
pub trait SeriesQuerier {
    /// The series whose labels pass every matcher and that have at least one sample in the
    /// querier's range, sorted by labels. An empty matcher list selects nothing (Prometheus
    /// refuses such selectors before they reach storage).
    fn select(&self, matchers: &[Matcher]) -> Result<SeriesSet<'_>, StorageError>;

    /// Label names, sorted and unique, of the series that pass every matcher (all series when
    /// `matchers` is empty) and have samples in range.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;

    /// Values of label `name`, sorted and unique, among series that pass every matcher (all series
    /// when `matchers` is empty) and have samples in range.
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;
}

/// The series a select returned, in label order.
pub type SeriesSet<'a> = Box<dyn Iterator<Item = Result<Box<dyn Series + 'a>, StorageError>> + 'a>;

/// One selected series.
pub trait Series {
    /// Its labels.
    fn labels(&self) -> &Labels;

    /// A fresh iterator over its samples in the querier's range, in time order, without
    /// duplicate timestamps.
    fn samples(&self) -> Box<dyn SampleIterator + '_>;
}

/// Iterates over samples in increasing timestamp order.
///
/// Contract: before the first `next` or `seek` there is no current sample. `next` and `seek`
/// return `None` at the end *or* on an error; after `None`, `error` tells which. Once `None` was
/// returned, every later call returns `None` too.
pub trait SampleIterator {
    /// Advances to the next sample.
    fn next(&mut self) -> Option<Sample>;

    /// Advances to the first sample with timestamp `>= t`. If the current sample already
    /// satisfies that, returns it again without advancing; seeking backwards never moves back.
    fn seek(&mut self, t: i64) -> Option<Sample>;

    /// The error that ended iteration early, if any.
    fn error(&self) -> Option<&StorageError>;
}

/// A [`SampleIterator`] over samples held in memory, for tests and small adapters.
#[derive(Debug, Clone)]
pub struct VecSampleIterator {
    samples: Vec<Sample>,
    /// Index of the next sample `next` returns; the current sample is at `pos - 1`.
    pos: usize,
}

impl VecSampleIterator {
    /// An iterator over `samples`, which must be sorted by timestamp.
    pub fn new(samples: Vec<Sample>) -> Self {
        Self { samples, pos: 0 }
    }
}

impl SampleIterator for VecSampleIterator {
    fn next(&mut self) -> Option<Sample> {
        let s = self.samples.get(self.pos).copied();
        self.pos = (self.pos + 1).min(self.samples.len() + 1);
        s
    }

    fn seek(&mut self, t: i64) -> Option<Sample> {
        if self.pos > self.samples.len() {
            return None;
        }
        if let Some(cur) = self.pos.checked_sub(1).and_then(|i| self.samples.get(i))
            && cur.t >= t
        {
            return Some(*cur);
        }
        let start = self.pos;
        let rest = self.samples.get(start..).unwrap_or(&[]);
        let skip = rest.partition_point(|s| s.t < t);
        self.pos = start + skip;
        self.next()
    }

    fn error(&self) -> Option<&StorageError> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_iterator_follows_the_contract() {
        let mut it =
            VecSampleIterator::new((0..5).map(|i| Sample::new(i * 10, i as f64)).collect());
        assert_eq!(it.seek(15), Some(Sample::new(20, 2.0)));
        assert_eq!(
            it.seek(15),
            Some(Sample::new(20, 2.0)),
            "seek does not move back or on"
        );
        assert_eq!(it.next(), Some(Sample::new(30, 3.0)));
        assert_eq!(it.seek(100), None);
        assert_eq!(it.next(), None);
        assert_eq!(it.seek(0), None);
        assert!(it.error().is_none());
    }
}
