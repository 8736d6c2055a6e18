//! One in-memory series of the head: its labels, the full chunks already written to the head
//! chunk files, the open chunk being appended to, and out-of-order samples not yet compacted.
//!
//! Invariants (guarded by `MemSeries::state`):
//! * `mmapped` is sorted by time and chunks do not overlap; every one ends before `open` starts.
//! * `open` holds samples in strictly increasing time order; `last` is the newest in-order sample.
//! * `ooo` holds accepted out-of-order samples sorted by time, unique timestamps.

use model::{Labels, Sample};
use parking_lot::Mutex;

use crate::chunk::XorChunk;

/// Samples per chunk before it is cut, as in Prometheus.
pub(crate) const SAMPLES_PER_CHUNK: usize = 120;

/// A full chunk that lives in the head chunk files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MmappedChunk {
    /// Reference into the head chunk files.
    pub chunk_ref: u64,
    /// Time of the first sample.
    pub mint: i64,
    /// Time of the last sample.
    pub maxt: i64,
}

/// The chunk currently being appended to.
pub(crate) struct OpenChunk {
    pub chunk: XorChunk,
    pub mint: i64,
    pub maxt: i64,
    /// The chunk is cut before appending a sample at or after this time: the end of the chunk range
    /// (block range) that holds `mint`, so no chunk spans two blocks.
    pub cut_at: i64,
}

/// The mutable part of a series.
#[derive(Default)]
pub(crate) struct SeriesState {
    pub mmapped: Vec<MmappedChunk>,
    pub open: Option<OpenChunk>,
    /// Newest in-order sample, for out-of-order and duplicate checks.
    pub last: Option<Sample>,
    /// Accepted out-of-order samples, sorted, unique by time.
    pub ooo: Vec<Sample>,
    /// Appenders' samples not yet committed, so head truncation keeps the series.
    pub pending: u32,
    /// Newest uncommitted in-order sample, so one appender's later samples are checked against it.
    pub pending_last: Option<Sample>,
    /// True once a WAL record defining this series was written.
    pub wal_logged: bool,
    /// Set by head truncation when the series leaves the head; never cleared.
    pub removed: bool,
}

/// A series of the head.
pub(crate) struct MemSeries {
    pub series_ref: u64,
    pub labels: Labels,
    pub state: Mutex<SeriesState>,
}

/// What an appended sample is, relative to the series' newest sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Appendability {
    /// Newer than every sample: goes into the open chunk.
    InOrder,
    /// Same timestamp and same value bits as the newest sample: accepted and dropped.
    Duplicate,
    /// Older than the newest sample, within the out-of-order window.
    OutOfOrder,
}

/// Why a sample is refused; the caller turns it into an error naming the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    OutOfOrder,
    DuplicateDifferentValue,
}

impl MemSeries {
    pub fn new(series_ref: u64, labels: Labels) -> Self {
        Self {
            series_ref,
            labels,
            state: Mutex::new(SeriesState::default()),
        }
    }
}

impl SeriesState {
    /// Classifies a sample; `ooo_min` is the oldest timestamp the out-of-order window accepts
    /// (`None` when the window is off).
    pub fn appendable(
        &self,
        t: i64,
        v: f64,
        ooo_min: Option<i64>,
    ) -> Result<Appendability, Refusal> {
        self.appendable_after(self.last, t, v, ooo_min)
    }

    /// Like [`appendable`](Self::appendable), against an appender's own newest uncommitted sample
    /// when that is newer than the committed one.
    pub fn appendable_pending(
        &self,
        t: i64,
        v: f64,
        ooo_min: Option<i64>,
    ) -> Result<Appendability, Refusal> {
        let newest = match (self.last, self.pending_last) {
            (Some(a), Some(b)) if b.t > a.t => Some(b),
            (None, b) => b,
            (a, _) => a,
        };
        self.appendable_after(newest, t, v, ooo_min)
    }

    fn appendable_after(
        &self,
        last: Option<Sample>,
        t: i64,
        v: f64,
        ooo_min: Option<i64>,
    ) -> Result<Appendability, Refusal> {
        let Some(last) = last else {
            return Ok(Appendability::InOrder);
        };
        if t > last.t {
            return Ok(Appendability::InOrder);
        }
        if t == last.t {
            return if v.to_bits() == last.v.to_bits() {
                Ok(Appendability::Duplicate)
            } else {
                Err(Refusal::DuplicateDifferentValue)
            };
        }
        match ooo_min {
            Some(min) if t >= min => match self.ooo_or_chunk_value(t) {
                Some(old) if old.to_bits() == v.to_bits() => Ok(Appendability::Duplicate),
                Some(_) => Err(Refusal::DuplicateDifferentValue),
                None => Ok(Appendability::OutOfOrder),
            },
            _ => Err(Refusal::OutOfOrder),
        }
    }

    /// The value already stored at `t` among out-of-order samples or the open chunk, if any.
    /// Full chunks are not searched: a sample landing there is rare and compaction deduplicates,
    /// keeping the newest write.
    fn ooo_or_chunk_value(&self, t: i64) -> Option<f64> {
        if let Ok(i) = self.ooo.binary_search_by_key(&t, |s| s.t) {
            return self.ooo.get(i).map(|s| s.v);
        }
        let open = self.open.as_ref()?;
        if t < open.mint {
            return None;
        }
        let mut it = open.chunk.iter();
        it.seek(t).filter(|s| s.t == t).map(|s| s.v)
    }

    /// Inserts an accepted out-of-order sample.
    pub fn insert_ooo(&mut self, s: Sample) {
        match self.ooo.binary_search_by_key(&s.t, |x| x.t) {
            Ok(i) => {
                if let Some(slot) = self.ooo.get_mut(i) {
                    *slot = s;
                }
            }
            Err(i) => self.ooo.insert(i, s),
        }
    }

    /// Appends an in-order sample; returns the chunk that had to be cut to make room, which the
    /// caller writes to the head chunk files. `chunk_range` is the block range in ms.
    pub fn append_in_order(&mut self, t: i64, v: f64, chunk_range: i64) -> Option<OpenChunk> {
        let needs_cut = match &self.open {
            None => true,
            Some(open) => t >= open.cut_at || open.chunk.num_samples() >= SAMPLES_PER_CHUNK,
        };
        let cut = if needs_cut {
            let fresh = OpenChunk {
                chunk: XorChunk::new(),
                mint: t,
                maxt: t,
                cut_at: range_end(t, chunk_range),
            };
            self.open.replace(fresh)
        } else {
            None
        };
        if let Some(open) = self.open.as_mut() {
            open.chunk.append(t, v);
            open.maxt = t;
        }
        self.last = Some(Sample::new(t, v));
        cut
    }

    /// Oldest sample time held, if any.
    pub fn min_time(&self) -> Option<i64> {
        let chunk_min = self
            .mmapped
            .first()
            .map(|c| c.mint)
            .or_else(|| self.open.as_ref().map(|o| o.mint));
        match (chunk_min, self.ooo.first().map(|s| s.t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when the series holds no samples.
    pub fn is_empty(&self) -> bool {
        self.mmapped.is_empty() && self.open.is_none() && self.ooo.is_empty()
    }
}

/// The end (exclusive) of the aligned range of width `range` that holds `t`.
pub(crate) fn range_end(t: i64, range: i64) -> i64 {
    range_start(t, range).saturating_add(range)
}

/// The start of the aligned range of width `range` that holds `t` (floor division, so negative
/// times align too).
pub(crate) fn range_start(t: i64, range: i64) -> i64 {
    t.div_euclid(range) * range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let mut s = SeriesState::default();
        assert_eq!(s.appendable(10, 1.0, None), Ok(Appendability::InOrder));
        assert!(s.append_in_order(10, 1.0, 1000).is_none());
        assert_eq!(s.appendable(10, 1.0, None), Ok(Appendability::Duplicate));
        assert_eq!(
            s.appendable(10, 2.0, None),
            Err(Refusal::DuplicateDifferentValue)
        );
        assert_eq!(s.appendable(9, 2.0, None), Err(Refusal::OutOfOrder));
        assert_eq!(s.appendable(9, 2.0, Some(5)), Ok(Appendability::OutOfOrder));
        assert_eq!(s.appendable(4, 2.0, Some(5)), Err(Refusal::OutOfOrder));
        s.insert_ooo(Sample::new(9, 2.0));
        assert_eq!(s.appendable(9, 2.0, Some(5)), Ok(Appendability::Duplicate));
        assert_eq!(
            s.appendable(9, 3.0, Some(5)),
            Err(Refusal::DuplicateDifferentValue)
        );
        assert_eq!(s.min_time(), Some(9));
    }

    #[test]
    fn cuts_at_sample_count_and_range_boundary() {
        let mut s = SeriesState::default();
        let mut cuts = Vec::new();
        for t in 0..250 {
            if let Some(c) = s.append_in_order(t, t as f64, 1_000_000) {
                cuts.push((c.mint, c.maxt, c.chunk.num_samples()));
            }
        }
        assert_eq!(cuts, vec![(0, 119, 120), (120, 239, 120)]);
        let c = s.append_in_order(1_000_000, 0.0, 1_000_000);
        assert_eq!(c.map(|c| (c.mint, c.maxt)), Some((240, 249)));
        assert_eq!(range_start(-1, 10), -10);
        assert_eq!(range_end(-1, 10), 0);
    }
}
