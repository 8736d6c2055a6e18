//! Appending: samples are checked and buffered by an [`Appender`], then `commit` writes them to
//! the WAL and only after that applies them to the head, so an acknowledged sample survives a
//! crash.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use model::Labels;

use super::Head;
use super::series::{Appendability, Refusal, SeriesState};
use crate::error::{Error, Result};
use crate::wal::{self, RefSample, RefSeries, Wal};

/// A reference to a head series, returned by appends so later samples of the same series can
/// skip the label lookup ([`Appender::append_ref`]). Stays valid while the series is in the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesRef(pub u64);

/// Most samples an appender reserves room for before its first append.
const MAX_RESERVED_BATCH: usize = 4096;

/// Buffers samples until [`commit`](HeadAppender::commit). Not shared between threads: each thread
/// takes its own appender. Dropping an appender without committing discards its samples.
pub struct HeadAppender<'a> {
    head: &'a Head,
    wal: Option<&'a Wal>,
    /// Accepted samples by series reference, in append order: also the WAL samples record.
    pending: Vec<RefSample>,
    /// Series that no WAL record defines yet; logged before the samples that use them.
    unlogged: Vec<RefSeries>,
    unlogged_refs: HashSet<u64>,
    /// Time bounds, taken at the first append (see [`bounds`](Self::bounds)).
    bounds: Option<Bounds>,
    series_buf: Vec<u8>,
    samples_buf: Vec<u8>,
}

/// The oldest times an appender accepts.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    in_order_min: i64,
    /// `None` when the out-of-order window is off.
    ooo_min: Option<i64>,
}

impl<'a> HeadAppender<'a> {
    pub(crate) fn new(head: &'a Head, wal: Option<&'a Wal>) -> Self {
        // Scrapes and remote-write batches repeat their size, so the last commit's is a good
        // guess; it saves the reallocations (and copies) of growing from empty.
        let expected = head.recent_batch_len.load(Ordering::Relaxed);
        Self {
            head,
            wal,
            pending: Vec::with_capacity(expected),
            unlogged: Vec::new(),
            unlogged_refs: HashSet::new(),
            bounds: None,
            series_buf: Vec::new(),
            samples_buf: Vec::new(),
        }
    }

    /// Adds a sample to the series named by `labels`, creating the series if needed. Returns the
    /// series' reference for [`append_ref`](Self::append_ref).
    ///
    /// Fails with [`Error::OutOfOrder`], [`Error::DuplicateSampleForTimestamp`] or
    /// [`Error::OutOfBounds`], each naming the series, when the sample cannot be stored.
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef> {
        if labels.is_empty() {
            return Err(Error::InvalidOption {
                name: "labels",
                reason: "a series needs at least one label".into(),
            });
        }
        loop {
            let (r, _) = self.head.get_or_create(labels)?;
            match self.add(r, t, v) {
                // Truncation removed the series between the lookup and the lock: look again,
                // which creates it afresh.
                Err(Error::UnknownSeriesRef(_)) => continue,
                other => return other,
            }
        }
    }

    /// Adds a sample to the series with reference `r`, as returned by an earlier append.
    /// Fails with [`Error::UnknownSeriesRef`] when the head no longer has it (then append by
    /// labels again).
    pub fn append_ref(&mut self, r: SeriesRef, t: i64, v: f64) -> Result<SeriesRef> {
        self.add(r.0, t, v)
    }

    fn add(&mut self, r: u64, t: i64, v: f64) -> Result<SeriesRef> {
        let bounds = self.bounds();
        let outcome = self
            .head
            .with_series(r, |series| {
                let st = &mut series.state;
                let kind = st
                    .appendable_pending(t, v, bounds.ooo_min)
                    .map_err(|refusal| refusal_error(refusal, bounds, &series.labels, t))?;
                if kind == Appendability::InOrder && t < bounds.in_order_min {
                    return Err(Error::OutOfBounds {
                        series: series.labels.clone(),
                        t,
                        min_valid: bounds.in_order_min,
                    });
                }
                if kind == Appendability::Duplicate {
                    return Ok(None);
                }
                if kind == Appendability::InOrder {
                    st.pending_max_t = st.pending_max_t.max(t);
                }
                st.pending += 1;
                Ok(Some((!st.wal_logged).then(|| series.labels.clone())))
            })
            .ok_or(Error::UnknownSeriesRef(r))??;
        let Some(unlogged_labels) = outcome else {
            return Ok(SeriesRef(r));
        };
        if let Some(labels) = unlogged_labels
            && self.unlogged_refs.insert(r)
        {
            self.unlogged.push(RefSeries {
                series_ref: r,
                labels,
            });
        }
        self.pending.push(RefSample {
            series_ref: r,
            t,
            v,
        });
        Ok(SeriesRef(r))
    }

    /// The oldest time an in-order sample may have, and the oldest an out-of-order one may have.
    /// Like Prometheus, in-order appends may reach back half a chunk range from the head's newest
    /// sample. Taken once per appender, as Prometheus does, so the shared atomics are not read
    /// per sample; commit checks each sample again.
    fn bounds(&mut self) -> Bounds {
        if let Some(b) = self.bounds {
            return b;
        }
        let min_valid = self.head.min_valid_time();
        let b = match self.head.max_time() {
            None => Bounds {
                in_order_min: min_valid,
                ooo_min: self.head.opts.ooo_window.map(|_| min_valid),
            },
            Some(max) => Bounds {
                in_order_min: min_valid.max(max.saturating_sub(self.head.opts.chunk_range / 2)),
                ooo_min: self
                    .head
                    .opts
                    .ooo_window
                    .map(|w| min_valid.max(max.saturating_sub(w))),
            },
        };
        self.bounds = Some(b);
        b
    }

    /// Number of samples buffered.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Writes the buffered samples to the WAL, then applies them to the head. On a WAL failure
    /// nothing is applied and the error is returned.
    pub fn commit(mut self) -> Result<()> {
        self.log_to_wal()?;
        self.head.recent_batch_len.store(
            self.pending.len().min(MAX_RESERVED_BATCH),
            Ordering::Relaxed,
        );
        for s in &self.unlogged {
            self.head
                .with_series(s.series_ref, |series| series.state.wal_logged = true);
        }
        let pending = std::mem::take(&mut self.pending);
        let mut first_err = None;
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for p in &pending {
            match self.apply(p) {
                Ok(true) => {
                    lo = lo.min(p.t);
                    hi = hi.max(p.t);
                }
                Ok(false) => {}
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if lo <= hi {
            self.head.observe_range(lo, hi);
        }
        first_err.map_or(Ok(()), Err)
    }

    fn log_to_wal(&mut self) -> Result<()> {
        let Some(wal) = self.wal else { return Ok(()) };
        self.series_buf.clear();
        self.samples_buf.clear();
        if !self.unlogged.is_empty() {
            wal::encode_series(&self.unlogged, &mut self.series_buf);
        }
        if !self.pending.is_empty() {
            wal::encode_samples(&self.pending, &mut self.samples_buf);
        }
        match (self.series_buf.is_empty(), self.samples_buf.is_empty()) {
            (true, true) => Ok(()),
            (false, true) => wal.log(&[&self.series_buf]),
            (true, false) => wal.log(&[&self.samples_buf]),
            (false, false) => wal.log(&[&self.series_buf, &self.samples_buf]),
        }
    }

    /// Applies one committed sample; true when it was stored. A sample that became unappendable
    /// since `append` (another appender committed a newer one first) is dropped, as Prometheus
    /// does. The series cannot have left the head: its pending count kept truncation away.
    fn apply(&self, p: &RefSample) -> Result<bool> {
        let head = self.head;
        let ooo_min = head.opts.ooo_window.map(|_| head.min_valid_time());
        let applied = head.with_series(p.series_ref, |series| {
            release_one(&mut series.state);
            head.store_sample(series, p.t, p.v, ooo_min)
        });
        applied.unwrap_or(Ok(false))
    }

    /// Discards the buffered samples.
    pub fn rollback(mut self) {
        self.release();
    }

    fn release(&mut self) {
        for p in self.pending.drain(..) {
            self.head
                .with_series(p.series_ref, |series| release_one(&mut series.state));
        }
    }
}

/// Forgets one of an appender's uncommitted samples of a series.
fn release_one(st: &mut SeriesState) {
    st.pending = st.pending.saturating_sub(1);
    if st.pending == 0 {
        st.pending_max_t = i64::MIN;
    }
}

/// The error for a refused sample, naming the series.
fn refusal_error(refusal: Refusal, bounds: Bounds, labels: &Labels, t: i64) -> Error {
    match refusal {
        Refusal::OutOfOrder if t < bounds.in_order_min && bounds.ooo_min.is_none_or(|m| t < m) => {
            Error::OutOfBounds {
                series: labels.clone(),
                t,
                min_valid: bounds.in_order_min,
            }
        }
        Refusal::OutOfOrder => Error::OutOfOrder {
            series: labels.clone(),
            t,
        },
        Refusal::DuplicateDifferentValue => Error::DuplicateSampleForTimestamp {
            series: labels.clone(),
            t,
        },
    }
}

impl Drop for HeadAppender<'_> {
    fn drop(&mut self) {
        self.release();
    }
}
