//! Rebuilding the head on open: full chunks come back from the head chunk files, then the WAL
//! (checkpoint first, then segments) re-applies series definitions, the samples newer than those
//! chunks, and deletions.

use std::collections::HashMap;

use model::Sample;

use super::Head;
use super::chunk_list::ChunkList;
use super::series::MmappedChunk;
use crate::block::tombstones::Interval;
use crate::chunk::XorIter;
use crate::error::Result;
use crate::wal::{RefSample, RefSeries, RefTombstone};

/// Replay bookkeeping.
pub(crate) struct ReplayState<'h> {
    head: &'h Head,
    /// Full chunks found in the head chunk files, by series, waiting for the series definition.
    mmapped: HashMap<u64, Vec<MmappedChunk>>,
    /// WAL series reference → head series reference, dense: references are counters, so a
    /// vector beats a map here. They differ only when two references named the same labels.
    by_ref: Vec<Option<u64>>,
    sparse: HashMap<u64, u64>,
    /// Samples for references no series record defined (dropped, counted).
    pub unknown_refs: u64,
    /// Samples replayed.
    pub samples: u64,
}

/// Largest reference kept in the dense table; beyond it a map is used.
const DENSE_LIMIT: u64 = 1 << 26;

/// Loads the head chunk files into a replay state; the caller then feeds WAL records to it.
pub(crate) fn replay_into(head: &Head) -> Result<ReplayState<'_>> {
    let min_valid = head.min_valid_time();
    let mut mmapped: HashMap<u64, Vec<MmappedChunk>> = HashMap::new();
    head.chunk_files.iter_all(|m| {
        if m.maxt >= min_valid {
            mmapped.entry(m.series_ref).or_default().push(MmappedChunk {
                chunk_ref: m.r,
                mint: m.mint,
                maxt: m.maxt,
            });
        }
        Ok(())
    })?;
    for chunks in mmapped.values_mut() {
        chunks.sort_by_key(|c| c.mint);
    }
    Ok(ReplayState {
        head,
        mmapped,
        by_ref: Vec::new(),
        sparse: HashMap::new(),
        unknown_refs: 0,
        samples: 0,
    })
}

impl ReplayState<'_> {
    /// Applies series definitions.
    pub fn series(&mut self, defs: &[RefSeries]) -> Result<()> {
        for d in defs {
            let (r, created) = self
                .head
                .get_or_create_with_ref(d.series_ref, d.labels.clone())?;
            if created {
                self.attach_chunks(r)?;
            }
            self.head
                .with_series(r, |series| series.state.wal_logged = true);
            // A second definition of the same labels under another reference (possible when two
            // appenders raced) maps that reference to the same series.
            self.remember(d.series_ref, r);
        }
        Ok(())
    }

    fn remember(&mut self, r: u64, series: u64) {
        if r < DENSE_LIMIT {
            let i = r as usize;
            if self.by_ref.len() <= i {
                self.by_ref.resize(i + 1, None);
            }
            if let Some(slot) = self.by_ref.get_mut(i) {
                *slot = Some(series);
            }
        } else {
            self.sparse.insert(r, series);
        }
    }

    fn lookup(&self, r: u64) -> Option<u64> {
        if r < DENSE_LIMIT {
            *self.by_ref.get(r as usize)?
        } else {
            self.sparse.get(&r).copied()
        }
    }

    /// Gives a new series its chunks from the head chunk files, and its newest sample.
    fn attach_chunks(&mut self, r: u64) -> Result<()> {
        let Some(chunks) = self.mmapped.remove(&r) else {
            return Ok(());
        };
        let last = match chunks.last() {
            Some(c) => last_sample(self.head, c)?,
            None => None,
        };
        let min = self.head.with_series(r, |series| {
            series.state.mmapped = ChunkList::from_chunks(chunks);
            series.state.last = last;
            series.state.min_time()
        });
        if let (Some(Some(min)), Some(l)) = (min, last) {
            self.head.observe_range(min, l.t);
        }
        Ok(())
    }

    /// Applies samples; those already in full chunks or too old are skipped.
    pub fn samples(&mut self, samples: &[RefSample]) -> Result<()> {
        let head = self.head;
        let min_valid = head.min_valid_time();
        let ooo_min = head.opts.ooo_window.map(|_| min_valid);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for s in samples {
            let Some(r) = self.lookup(s.series_ref) else {
                self.unknown_refs += 1;
                continue;
            };
            if s.t < min_valid {
                continue;
            }
            let stored = head.with_series(r, |series| {
                let st = &series.state;
                // Until the first sample past them, `last` is the newest sample of the full
                // chunks (set by `attach_chunks`); samples up to it are already in those chunks.
                if st.open.is_none() && st.last.is_some_and(|l| s.t <= l.t) {
                    return Ok(false);
                }
                head.store_sample(series, s.t, s.v, ooo_min)
            });
            if stored.transpose()? == Some(true) {
                lo = lo.min(s.t);
                hi = hi.max(s.t);
                self.samples += 1;
            }
        }
        if lo <= hi {
            head.observe_range(lo, hi);
        }
        Ok(())
    }

    /// Applies deletions.
    pub fn tombstones(&mut self, stones: &[RefTombstone]) {
        for t in stones {
            if let Some(r) = self.lookup(t.series_ref) {
                self.head.add_deleted(
                    r,
                    Interval {
                        mint: t.mint,
                        maxt: t.maxt,
                    },
                );
            }
        }
    }
}

/// The newest sample of a full chunk.
fn last_sample(head: &Head, c: &MmappedChunk) -> Result<Option<Sample>> {
    let bytes = head.chunk_files.chunk(c.chunk_ref)?;
    Ok(XorIter::new(&bytes).last())
}
