//! One in-memory series of the head: its labels, the full chunks already written to the head
//! chunk files, the open chunk being appended to, and out-of-order samples not yet compacted.
//!
//! Invariants (guarded by the series' table slot lock, see `table.rs`):
//! * `mmapped` is sorted by time and chunks do not overlap; every one ends before `open` starts.
//! * `open` holds samples in strictly increasing time order; `last` is the newest in-order sample.
//! * `ooo` holds accepted out-of-order samples sorted by time, unique timestamps.

use model::{Labels, Sample};

use super::chunk_list::ChunkList;
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

/// The chunk currently being appended to; it always holds at least one sample.
pub(crate) struct OpenChunk {
    pub chunk: XorChunk,
    /// The chunk is cut before appending a sample at or after this time: the end of the chunk range
    /// (block range) that holds `mint`, so no chunk spans two blocks.
    pub cut_at: i64,
}

impl OpenChunk {
    /// Time of the first sample.
    pub fn mint(&self) -> i64 {
        self.chunk.min_time().unwrap_or(i64::MAX)
    }

    /// Time of the last sample.
    pub fn maxt(&self) -> i64 {
        self.chunk.max_time().unwrap_or(i64::MIN)
    }

    /// True when the chunk has samples in `[mint, maxt]`, judged by its bounds.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.maxt() >= mint && self.mint() <= maxt
    }
}

/// Out-of-order samples of a series, sorted, unique by time. Boxed and absent until the first
/// one: most series never get any, and an empty `Vec` inline would cost every series 24 bytes.
#[derive(Default)]
#[expect(
    clippy::box_collection,
    reason = "8 bytes per series instead of 24 while unused"
)]
pub(crate) struct OooSamples(Option<Box<Vec<Sample>>>);

impl OooSamples {
    /// The samples, oldest first.
    pub fn as_slice(&self) -> &[Sample] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Inserts `s`, replacing a sample with the same time.
    pub fn insert(&mut self, s: Sample) {
        let v = self.0.get_or_insert_default();
        match v.binary_search_by_key(&s.t, |x| x.t) {
            Ok(i) => {
                if let Some(slot) = v.get_mut(i) {
                    *slot = s;
                }
            }
            Err(i) => v.insert(i, s),
        }
    }

    /// Drops samples older than `mint`, and the allocation when none is left.
    pub fn retain_from(&mut self, mint: i64) {
        if let Some(v) = self.0.as_mut() {
            v.retain(|s| s.t >= mint);
            if v.is_empty() {
                self.0 = None;
            }
        }
    }
}

/// The mutable part of a series.
pub(crate) struct SeriesState {
    pub mmapped: ChunkList,
    pub open: Option<OpenChunk>,
    /// Newest in-order sample, for out-of-order and duplicate checks.
    pub last: Option<Sample>,
    /// Accepted out-of-order samples.
    pub ooo: OooSamples,
    /// Appenders' samples not yet committed, so head truncation keeps the series.
    pub pending: u32,
    /// Time of the newest uncommitted in-order sample (`i64::MIN` when none), so an appender's
    /// later samples are checked against it too.
    pub pending_max_t: i64,
    /// True once a WAL record defining this series was written.
    pub wal_logged: bool,
}

impl Default for SeriesState {
    fn default() -> Self {
        Self {
            mmapped: ChunkList::default(),
            open: None,
            last: None,
            ooo: OooSamples::default(),
            pending: 0,
            pending_max_t: i64::MIN,
            wal_logged: false,
        }
    }
}

/// A series of the head, owned by the series table.
pub(crate) struct MemSeries {
    pub series_ref: u64,
    pub labels: Labels,
    pub state: SeriesState,
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
            state: SeriesState::default(),
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

    /// Like [`appendable`](Self::appendable), but also against the newest uncommitted sample
    /// when that is newer than the committed one. A sample at the same time as an uncommitted
    /// one is accepted here; commit then keeps whichever is applied first, as Prometheus does.
    pub fn appendable_pending(
        &self,
        t: i64,
        v: f64,
        ooo_min: Option<i64>,
    ) -> Result<Appendability, Refusal> {
        let p = self.pending_max_t;
        if p > self.last.map_or(i64::MIN, |l| l.t) {
            if t >= p {
                return Ok(Appendability::InOrder);
            }
            // Older than an uncommitted sample: out of order against it. The value is not
            // looked at, since `t` differs from `p`.
            return self.appendable_after(Some(Sample::new(p, f64::NAN)), t, v, ooo_min);
        }
        self.appendable(t, v, ooo_min)
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
        let ooo = self.ooo.as_slice();
        if let Ok(i) = ooo.binary_search_by_key(&t, |s| s.t) {
            return ooo.get(i).map(|s| s.v);
        }
        let open = self.open.as_ref()?;
        if t < open.mint() {
            return None;
        }
        let mut it = open.chunk.iter();
        it.seek(t).filter(|s| s.t == t).map(|s| s.v)
    }

    /// Inserts an accepted out-of-order sample.
    pub fn insert_ooo(&mut self, s: Sample) {
        self.ooo.insert(s);
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
                cut_at: range_end(t, chunk_range),
            };
            self.open.replace(fresh)
        } else {
            None
        };
        if let Some(open) = self.open.as_mut() {
            open.chunk.append(t, v);
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
            .or_else(|| self.open.as_ref().map(OpenChunk::mint));
        match (chunk_min, self.ooo.as_slice().first().map(|s| s.t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when the series holds no samples.
    pub fn is_empty(&self) -> bool {
        self.mmapped.is_empty() && self.open.is_none() && self.ooo.as_slice().is_empty()
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
                cuts.push((c.mint(), c.maxt(), c.chunk.num_samples()));
            }
        }
        assert_eq!(cuts, vec![(0, 119, 120), (120, 239, 120)]);
        let c = s.append_in_order(1_000_000, 0.0, 1_000_000);
        assert_eq!(c.map(|c| (c.mint(), c.maxt())), Some((240, 249)));
        assert_eq!(range_start(-1, 10), -10);
        assert_eq!(range_end(-1, 10), 0);
    }
}
