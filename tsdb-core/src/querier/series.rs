//! One selected series: its chunks from every source (blocks and head), and the iterator that reads
//! them in time order, clipped to the query range, without duplicates and without deleted samples.
//!
//! Fast path: when the chunks do not overlap and there are no loose samples (out-of-order samples of
//! the head), the iterator walks the chunks one after the other, decoding lazily. Otherwise the
//! samples are merged once into a sorted vector; on equal timestamps the later source wins (head
//! over blocks, newer block over older).

use std::ops::Deref;

use model::{Labels, Sample, SampleIterator, Series, StorageError, VecSampleIterator};

use crate::block::reader::Block;
use crate::block::tombstones::{Interval, add_interval, is_deleted};
use crate::chunk::XorIter;
use crate::chunk_files::ChunkBytes;
use crate::index::ChunkMeta;

/// Bytes of one XOR chunk, wherever they live.
pub(crate) enum ChunkData<'a> {
    /// In a memory-mapped block chunk file that outlives the querier.
    Borrowed(&'a [u8]),
    /// In the head chunk files.
    Head(ChunkBytes),
    /// Copied (the head's open chunk).
    Owned(Vec<u8>),
}

impl Deref for ChunkData<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            ChunkData::Borrowed(b) => b,
            ChunkData::Head(b) => b,
            ChunkData::Owned(b) => b,
        }
    }
}

/// A chunk with the time range of its samples (both inclusive).
pub(crate) struct TimedChunk<'a> {
    pub mint: i64,
    pub maxt: i64,
    pub data: ChunkData<'a>,
}

/// A selected series with everything needed to iterate it.
pub(crate) struct SeriesChunks<'a> {
    pub labels: Labels,
    /// Chunks in source order (oldest source first), each source's chunks sorted by time.
    pub chunks: Vec<TimedChunk<'a>>,
    /// Loose samples (head out-of-order samples), sorted by time.
    pub loose: Vec<Sample>,
    /// Deleted intervals (tombstones), sorted and disjoint.
    pub deleted: Vec<Interval>,
    pub mint: i64,
    pub maxt: i64,
}

impl<'a> SeriesChunks<'a> {
    /// Adds the chunks `metas` of series `series_ref` of block `b`, and its deletions.
    pub fn add_block_chunks(
        &mut self,
        b: &'a Block,
        metas: &[ChunkMeta],
        series_ref: u64,
    ) -> crate::error::Result<()> {
        for m in metas {
            let data = ChunkData::Borrowed(b.chunk(m.chunk_ref)?);
            self.chunks.push(TimedChunk {
                mint: m.mint,
                maxt: m.maxt,
                data,
            });
        }
        self.add_deleted(b.deleted(series_ref));
        Ok(())
    }

    /// Adds deleted intervals, keeping `deleted` sorted and disjoint (sources may overlap).
    pub fn add_deleted(&mut self, ivs: impl IntoIterator<Item = Interval>) {
        for iv in ivs {
            add_interval(&mut self.deleted, iv);
        }
    }

    /// True when the chunks are sorted, disjoint and there are no loose samples.
    fn is_simple(&self) -> bool {
        self.loose.is_empty() && self.chunks.windows(2).all(|w| w[0].maxt < w[1].mint)
    }

    /// All samples in range, merged and deduplicated; for the slow path.
    fn merged(&self) -> Result<Vec<Sample>, StorageError> {
        let mut all: Vec<(i64, usize, f64)> = Vec::new();
        for (order, c) in self.chunks.iter().enumerate() {
            let mut it = XorIter::new(&c.data);
            let mut s = it.seek(self.mint);
            while let Some(x) = s {
                if x.t > self.maxt {
                    break;
                }
                all.push((x.t, order, x.v));
                s = it.next();
            }
            if let Some(e) = it.error() {
                return Err(StorageError::wrap("decode chunk", e));
            }
        }
        let loose_order = self.chunks.len();
        all.extend(
            self.loose
                .iter()
                .filter(|s| s.t >= self.mint && s.t <= self.maxt)
                .map(|s| (s.t, loose_order, s.v)),
        );
        all.sort_unstable_by_key(|&(t, order, _)| (t, order));
        let mut out: Vec<Sample> = Vec::with_capacity(all.len());
        for (t, _, v) in all {
            match out.last_mut() {
                Some(last) if last.t == t => last.v = v,
                _ => out.push(Sample::new(t, v)),
            }
        }
        Ok(out)
    }
}

impl Series for SeriesChunks<'_> {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn samples(&self) -> Box<dyn SampleIterator + '_> {
        let inner: Box<dyn SampleIterator + '_> = if self.is_simple() {
            Box::new(ChainIter {
                chunks: &self.chunks,
                next_chunk: 0,
                cur: None,
                mint: self.mint,
                maxt: self.maxt,
                err: None,
                done: false,
            })
        } else {
            match self.merged() {
                Ok(samples) => Box::new(VecSampleIterator::new(samples)),
                Err(e) => Box::new(FailedIter(e)),
            }
        };
        if self.deleted.is_empty() {
            inner
        } else {
            Box::new(DeletedFilter {
                inner,
                deleted: &self.deleted,
            })
        }
    }
}

/// Walks disjoint, sorted chunks in order.
struct ChainIter<'s> {
    chunks: &'s [TimedChunk<'s>],
    next_chunk: usize,
    cur: Option<XorIter<'s>>,
    mint: i64,
    maxt: i64,
    err: Option<StorageError>,
    done: bool,
}

impl<'s> ChainIter<'s> {
    /// Moves to the first chunk at or after `next_chunk` that may hold a sample `>= t`, and seeks
    /// in it.
    fn advance_to(&mut self, t: i64) -> Option<Sample> {
        loop {
            if let Some(cur) = self.cur.as_mut() {
                if let Some(s) = cur.seek(t) {
                    return self.clip(s);
                }
                if !self.leave_chunk() {
                    return None;
                }
            }
            let chunk = self.chunks.get(self.next_chunk)?;
            self.next_chunk += 1;
            if chunk.maxt < t {
                continue;
            }
            if chunk.mint > self.maxt {
                self.done = true;
                return None;
            }
            self.cur = Some(XorIter::new(&chunk.data));
        }
    }

    /// Called when the current chunk yielded no sample: records its decode error, which ends
    /// the iteration (false), or moves past it (true).
    fn leave_chunk(&mut self) -> bool {
        if let Some(e) = self.cur.as_ref().and_then(|c| c.error()) {
            self.err = Some(StorageError::wrap("decode chunk", e));
            self.done = true;
            return false;
        }
        self.cur = None;
        true
    }

    fn clip(&mut self, s: Sample) -> Option<Sample> {
        if s.t > self.maxt {
            self.done = true;
            self.cur = None;
            return None;
        }
        Some(s)
    }
}

impl SampleIterator for ChainIter<'_> {
    fn next(&mut self) -> Option<Sample> {
        if self.done {
            return None;
        }
        if let Some(cur) = self.cur.as_mut() {
            if let Some(s) = cur.next() {
                return self.clip(s);
            }
            if !self.leave_chunk() {
                return None;
            }
        }
        let r = self.advance_to(self.mint);
        if r.is_none() {
            self.done = true;
        }
        r
    }

    fn seek(&mut self, t: i64) -> Option<Sample> {
        if self.done {
            return None;
        }
        let r = self.advance_to(t.max(self.mint));
        if r.is_none() {
            self.done = true;
        }
        r
    }

    fn error(&self) -> Option<&StorageError> {
        self.err.as_ref()
    }
}

/// Skips samples inside deleted intervals.
struct DeletedFilter<'s> {
    inner: Box<dyn SampleIterator + 's>,
    deleted: &'s [Interval],
}

impl DeletedFilter<'_> {
    fn is_deleted(&self, t: i64) -> bool {
        is_deleted(self.deleted, t)
    }

    fn skip_deleted(&mut self, mut s: Option<Sample>) -> Option<Sample> {
        while let Some(x) = s {
            if !self.is_deleted(x.t) {
                return Some(x);
            }
            s = self.inner.next();
        }
        None
    }
}

impl SampleIterator for DeletedFilter<'_> {
    fn next(&mut self) -> Option<Sample> {
        let s = self.inner.next();
        self.skip_deleted(s)
    }

    fn seek(&mut self, t: i64) -> Option<Sample> {
        let s = self.inner.seek(t);
        self.skip_deleted(s)
    }

    fn error(&self) -> Option<&StorageError> {
        self.inner.error()
    }
}

/// An iterator that failed before its first sample.
struct FailedIter(StorageError);

impl SampleIterator for FailedIter {
    fn next(&mut self) -> Option<Sample> {
        None
    }
    fn seek(&mut self, _t: i64) -> Option<Sample> {
        None
    }
    fn error(&self) -> Option<&StorageError> {
        Some(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chunk::XorChunk;

    fn chunk(samples: &[(i64, f64)]) -> TimedChunk<'static> {
        let mut c = XorChunk::new();
        for &(t, v) in samples {
            c.append(t, v);
        }
        TimedChunk {
            mint: samples[0].0,
            maxt: samples[samples.len() - 1].0,
            data: ChunkData::Owned(c.bytes().to_vec()),
        }
    }

    fn collect(it: &mut dyn SampleIterator) -> Vec<(i64, f64)> {
        let mut out = Vec::new();
        while let Some(s) = it.next() {
            out.push((s.t, s.v));
        }
        assert!(it.error().is_none());
        out
    }

    fn series(
        chunks: Vec<TimedChunk<'static>>,
        loose: Vec<Sample>,
        mint: i64,
        maxt: i64,
    ) -> SeriesChunks<'static> {
        SeriesChunks {
            labels: Labels::empty(),
            chunks,
            loose,
            deleted: vec![],
            mint,
            maxt,
        }
    }

    #[test]
    fn chain_clips_to_range_and_seeks_across_chunks() {
        let s = series(
            vec![
                chunk(&[(1, 1.0), (2, 2.0)]),
                chunk(&[(5, 5.0), (6, 6.0)]),
                chunk(&[(9, 9.0)]),
            ],
            vec![],
            2,
            6,
        );
        assert_eq!(
            collect(&mut *s.samples()),
            vec![(2, 2.0), (5, 5.0), (6, 6.0)]
        );
        let mut it = s.samples();
        assert_eq!(it.seek(3).map(|s| s.t), Some(5));
        assert_eq!(it.seek(3).map(|s| s.t), Some(5));
        assert_eq!(it.next().map(|s| s.t), Some(6));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn overlapping_sources_merge_and_later_source_wins() {
        let s = series(
            vec![chunk(&[(1, 1.0), (3, 3.0)]), chunk(&[(2, 2.0), (3, 30.0)])],
            vec![Sample::new(0, 0.5), Sample::new(4, 4.0)],
            0,
            10,
        );
        assert_eq!(
            collect(&mut *s.samples()),
            vec![(0, 0.5), (1, 1.0), (2, 2.0), (3, 30.0), (4, 4.0)]
        );
    }

    #[test]
    fn deleted_intervals_are_skipped() {
        let mut s = series(
            vec![chunk(&[(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)])],
            vec![],
            0,
            10,
        );
        s.deleted = vec![Interval { mint: 2, maxt: 3 }];
        assert_eq!(collect(&mut *s.samples()), vec![(1, 1.0), (4, 4.0)]);
        assert_eq!(s.samples().seek(2).map(|s| s.t), Some(4));
    }
}
