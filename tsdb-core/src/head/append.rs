//! Appending: samples are checked and buffered by an [`Appender`], then `commit` writes them to
//! the WAL and only after that applies them to the head, so an acknowledged sample survives a
//! crash.

use std::collections::HashSet;
use std::sync::Arc;

use model::{Labels, Sample};

use super::Head;
use super::series::{Appendability, MemSeries, Refusal};
use crate::error::{Error, Result};
use crate::wal::{self, RefSample, RefSeries, Wal};

/// A reference to a head series, returned by appends so later samples of the same series can
/// skip the label lookup ([`Appender::append_ref`]). Stays valid while the series is in the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesRef(pub u64);

struct Pending {
    series: Arc<MemSeries>,
    t: i64,
    v: f64,
}

/// Buffers samples until [`commit`](HeadAppender::commit). Not shared between threads: each thread
/// takes its own appender. Dropping an appender without committing discards its samples.
pub struct HeadAppender<'a> {
    head: &'a Head,
    wal: Option<&'a Wal>,
    pending: Vec<Pending>,
    /// Series that no WAL record defines yet; logged before the samples that use them.
    unlogged: Vec<Arc<MemSeries>>,
    unlogged_refs: HashSet<u64>,
    series_buf: Vec<u8>,
    samples_buf: Vec<u8>,
    wal_samples: Vec<RefSample>,
}

impl<'a> HeadAppender<'a> {
    pub(crate) fn new(head: &'a Head, wal: Option<&'a Wal>) -> Self {
        Self {
            head,
            wal,
            pending: Vec::new(),
            unlogged: Vec::new(),
            unlogged_refs: HashSet::new(),
            series_buf: Vec::new(),
            samples_buf: Vec::new(),
            wal_samples: Vec::new(),
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
            let (series, _) = self.head.get_or_create(labels)?;
            match self.add(series, t, v) {
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
        let series = self.head.series(r.0).ok_or(Error::UnknownSeriesRef(r.0))?;
        self.add(series, t, v)
    }

    fn add(&mut self, series: Arc<MemSeries>, t: i64, v: f64) -> Result<SeriesRef> {
        let (in_order_min, ooo_min) = self.bounds();
        let mut st = series.state.lock();
        if st.removed {
            return Err(Error::UnknownSeriesRef(series.series_ref));
        }
        let kind = st
            .appendable_pending(t, v, ooo_min)
            .map_err(|refusal| match refusal {
                Refusal::OutOfOrder if t < in_order_min && ooo_min.is_none_or(|m| t < m) => {
                    Error::OutOfBounds {
                        series: series.labels.clone(),
                        t,
                        min_valid: in_order_min,
                    }
                }
                Refusal::OutOfOrder => Error::OutOfOrder {
                    series: series.labels.clone(),
                    t,
                },
                Refusal::DuplicateDifferentValue => Error::DuplicateSampleForTimestamp {
                    series: series.labels.clone(),
                    t,
                },
            })?;
        if kind == Appendability::InOrder && t < in_order_min {
            return Err(Error::OutOfBounds {
                series: series.labels.clone(),
                t,
                min_valid: in_order_min,
            });
        }
        let r = SeriesRef(series.series_ref);
        if kind == Appendability::Duplicate {
            return Ok(r);
        }
        if kind == Appendability::InOrder {
            st.pending_last = Some(Sample::new(t, v));
        }
        st.pending += 1;
        let log_series = !st.wal_logged;
        drop(st);
        if log_series && self.unlogged_refs.insert(series.series_ref) {
            self.unlogged.push(series.clone());
        }
        self.pending.push(Pending { series, t, v });
        Ok(r)
    }

    /// The oldest time an in-order sample may have, and the oldest an out-of-order one may have
    /// (`None` when the out-of-order window is off). Like Prometheus, in-order appends may reach
    /// back half a chunk range from the head's newest sample.
    fn bounds(&self) -> (i64, Option<i64>) {
        let min_valid = self.head.min_valid_time();
        let Some(max) = self.head.max_time() else {
            return (min_valid, self.head.opts.ooo_window.map(|_| min_valid));
        };
        let in_order = min_valid.max(max.saturating_sub(self.head.opts.chunk_range / 2));
        let ooo = self
            .head
            .opts
            .ooo_window
            .map(|w| min_valid.max(max.saturating_sub(w)));
        (in_order, ooo)
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
        for s in &self.unlogged {
            s.state.lock().wal_logged = true;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut first_err = None;
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for p in pending {
            match self.apply(&p) {
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
            let defs: Vec<RefSeries> = self
                .unlogged
                .iter()
                .map(|s| RefSeries {
                    series_ref: s.series_ref,
                    labels: s.labels.clone(),
                })
                .collect();
            wal::encode_series(&defs, &mut self.series_buf);
        }
        if !self.pending.is_empty() {
            self.wal_samples.clear();
            self.wal_samples
                .extend(self.pending.iter().map(|p| RefSample {
                    series_ref: p.series.series_ref,
                    t: p.t,
                    v: p.v,
                }));
            wal::encode_samples(&self.wal_samples, &mut self.samples_buf);
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
    /// does.
    fn apply(&self, p: &Pending) -> Result<bool> {
        let head = self.head;
        let mut st = p.series.state.lock();
        st.pending = st.pending.saturating_sub(1);
        if st.pending == 0 {
            st.pending_last = None;
        }
        let ooo_min = head.opts.ooo_window.map(|_| head.min_valid_time());
        match st.appendable(p.t, p.v, ooo_min) {
            Ok(Appendability::InOrder) => {
                if let Some(cut) = st.append_in_order(p.t, p.v, head.opts.chunk_range) {
                    let st = &mut *st;
                    head.persist_cut_chunk(p.series.series_ref, &mut st.mmapped, cut)?;
                }
            }
            Ok(Appendability::OutOfOrder) => st.insert_ooo(Sample::new(p.t, p.v)),
            Ok(Appendability::Duplicate) | Err(_) => return Ok(false),
        }
        Ok(true)
    }

    /// Discards the buffered samples.
    pub fn rollback(mut self) {
        self.release();
    }

    fn release(&mut self) {
        for p in self.pending.drain(..) {
            let mut st = p.series.state.lock();
            st.pending = st.pending.saturating_sub(1);
            if st.pending == 0 {
                st.pending_last = None;
            }
        }
    }
}

impl Drop for HeadAppender<'_> {
    fn drop(&mut self) {
        self.release();
    }
}
