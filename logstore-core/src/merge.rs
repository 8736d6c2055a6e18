//! Reading entries in time order: per stream from its blocks, which may overlap in time (chunks
//! with out-of-order entries, the head beside flushed segments), then across streams.
//!
//! A stream's blocks are loaded lazily, in the order of their first timestamp in the read's
//! direction; a block is decoded only when the next entry to return could come from it, so
//! memory holds the blocks that overlap the current position, not the whole range. Filters run
//! on the decoded block before any line is copied. Entries with the same timestamp and line are
//! returned once per stream (the same push replayed into the head and a flushed chunk, or a
//! client retrying).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use model::Labels;
use model::logs::{LogEntry, ScanStats};

use crate::chunk::{BlockHeader, ChunkReader, DecodedBlock, SealedBlock};
use crate::error::Result;
use crate::filter::{Direction, LineFilter};

/// A chunk's bytes, wherever they are kept: in memory (cut from a head) or in a segment file.
pub(crate) trait ChunkSource: Send + Sync {
    /// The chunk (`docs/format/log-chunks.md`).
    fn chunk_bytes(&self) -> Result<&[u8]>;
    /// True for flushed chunks (Loki's "store" in scan statistics), false for the head's.
    fn is_flushed(&self) -> bool;
}

/// A chunk cut from a head and not yet flushed.
pub(crate) struct MemoryChunk(pub Arc<[u8]>);

impl ChunkSource for MemoryChunk {
    fn chunk_bytes(&self) -> Result<&[u8]> {
        Ok(&self.0)
    }
    fn is_flushed(&self) -> bool {
        false
    }
}

/// Where one block of a stream is.
pub(crate) enum BlockSource {
    /// Block `index` of a chunk.
    InChunk {
        header: BlockHeader,
        chunk: Arc<dyn ChunkSource>,
        index: usize,
    },
    /// A sealed block copied from a head chunk.
    Sealed(SealedBlock),
    /// An open head block, already decoded.
    Decoded {
        block: DecodedBlock,
        mint: i64,
        maxt: i64,
    },
}

impl BlockSource {
    /// Oldest and newest timestamp the block may hold.
    fn bounds(&self) -> (i64, i64) {
        match self {
            BlockSource::InChunk { header, .. } => (header.mint, header.maxt),
            BlockSource::Sealed(b) => (b.header().mint, b.header().maxt),
            BlockSource::Decoded { mint, maxt, .. } => (*mint, *maxt),
        }
    }

    fn is_flushed(&self) -> bool {
        matches!(self, BlockSource::InChunk { chunk, .. } if chunk.is_flushed())
    }

    fn decode(self) -> Result<DecodedBlock> {
        match self {
            BlockSource::InChunk { chunk, index, .. } => {
                let reader = ChunkReader::new(chunk.chunk_bytes()?)?;
                match reader.blocks().get(index) {
                    Some(b) => b.decode(),
                    None => Err(crate::error::Error::corruption(
                        crate::error::Structure::Chunk,
                        0,
                        format!("block {index} missing from its chunk"),
                    )),
                }
            }
            BlockSource::Sealed(b) => b.decode(),
            BlockSource::Decoded { block, .. } => Ok(block),
        }
    }

    /// The blocks of a chunk that overlap `[mint, maxt]`.
    pub fn from_chunk(
        chunk: Arc<dyn ChunkSource>,
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<BlockSource>> {
        let reader = ChunkReader::new(chunk.chunk_bytes()?)?;
        Ok(reader
            .blocks()
            .iter()
            .enumerate()
            .filter(|(_, b)| b.header.overlaps(mint, maxt))
            .map(|(index, b)| BlockSource::InChunk {
                header: b.header,
                chunk: chunk.clone(),
                index,
            })
            .collect())
    }

    /// A decoded block, with its bounds computed from its timestamps; `None` when empty.
    pub fn from_decoded(block: DecodedBlock) -> Option<BlockSource> {
        let ts = block.timestamps();
        let mint = ts.iter().copied().min()?;
        let maxt = ts.iter().copied().max()?;
        Some(BlockSource::Decoded { block, mint, maxt })
    }
}

/// An entry waiting in a stream's heap, ordered so the heap's top is the next to return.
struct Pending {
    /// Timestamp, negated for backward reads so the max-heap pops in the right order.
    key: Reverse<(i64, u64)>,
    entry: LogEntry,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// The entries of one stream in `[mint, maxt]` (inclusive, ns) that pass a filter, in order.
pub(crate) struct StreamCursor {
    labels: Labels,
    /// Blocks not loaded yet, each with its rank (its place in the order the blocks were given,
    /// which is the order they were stored); the next one to load is last.
    blocks: Vec<(u32, BlockSource)>,
    heap: BinaryHeap<Pending>,
    mint: i64,
    maxt: i64,
    direction: Direction,
    filter: Arc<LineFilter>,
    /// Lines returned at the current timestamp, to drop duplicates.
    at_ts: Option<(i64, Vec<Vec<u8>>)>,
    /// Entries with a timestamp in one of these ranges (ns, inclusive) are left out.
    hidden: Vec<(i64, i64)>,
    /// Work done so far.
    pub stats: ScanStats,
}

impl StreamCursor {
    /// A cursor over `blocks` (any order) of the stream `labels`.
    pub fn new(
        labels: Labels,
        blocks: Vec<BlockSource>,
        (mint, maxt): (i64, i64),
        direction: Direction,
        filter: Arc<LineFilter>,
    ) -> Self {
        // Entries with equal timestamps are ordered by (block rank, position in block), so they
        // come in the order they were stored whatever order the blocks are loaded in; blocks
        // are loaded by where they start in the read's direction (`pop` takes the last).
        let mut blocks: Vec<(u32, BlockSource)> = blocks
            .into_iter()
            .enumerate()
            .map(|(rank, b)| (u32::try_from(rank).unwrap_or(u32::MAX), b))
            .collect();
        match direction {
            Direction::Forward => blocks.sort_by_key(|(rank, b)| Reverse((b.bounds().0, *rank))),
            Direction::Backward => blocks.sort_by_key(|(rank, b)| (b.bounds().1, *rank)),
        }
        Self {
            labels,
            blocks,
            heap: BinaryHeap::new(),
            mint,
            maxt,
            direction,
            filter,
            at_ts: None,
            hidden: Vec::new(),
            stats: ScanStats::default(),
        }
    }

    /// Leaves out the entries with a timestamp in any of `ranges` (ns, inclusive): what the
    /// pending delete requests that select this stream remove.
    pub fn hiding(mut self, ranges: Vec<(i64, i64)>) -> Self {
        self.hidden = ranges;
        self
    }

    fn key(&self, ts: i64, seq: u64) -> Reverse<(i64, u64)> {
        match self.direction {
            Direction::Forward => Reverse((ts, seq)),
            // Newest first; among equal times, the later stored first.
            Direction::Backward => Reverse((ts.wrapping_neg().wrapping_sub(1), u64::MAX - seq)),
        }
    }

    /// True when the next block to load could hold an entry that comes before the heap's top.
    fn must_load(&self) -> bool {
        let Some((_, next)) = self.blocks.last() else {
            return false;
        };
        let Some(top) = self.heap.peek() else {
            return true;
        };
        let (bmin, bmax) = next.bounds();
        let top_ts = top.entry.ts;
        match self.direction {
            Direction::Forward => bmin <= top_ts,
            Direction::Backward => bmax >= top_ts,
        }
    }

    fn load_next(&mut self) -> Result<()> {
        let Some((rank, source)) = self.blocks.pop() else {
            return Ok(());
        };
        let flushed = source.is_flushed();
        let block = source.decode()?;
        let range = block.index_range(self.mint, self.maxt);
        let part = if flushed {
            &mut self.stats.store
        } else {
            &mut self.stats.head
        };
        part.chunks += 1;
        part.lines += range.len() as u64;
        part.bytes += range
            .clone()
            .filter_map(|i| block.line(i))
            .map(|l| l.len() as u64)
            .sum::<u64>();
        let mut indices = self.filter.matching_entries(&block, range);
        if !self.hidden.is_empty() {
            let ts = block.timestamps();
            indices.retain(|&i| {
                ts.get(i as usize)
                    .is_none_or(|t| !self.hidden.iter().any(|&(lo, hi)| lo <= *t && *t <= hi))
            });
        }
        self.stats.post_filter_lines += indices.len() as u64;
        for i in indices {
            let Some(e) = block.entry(i as usize) else {
                continue;
            };
            let key = self.key(e.ts, (u64::from(rank) << 32) | u64::from(i));
            self.heap.push(Pending {
                key,
                entry: e.to_log_entry(),
            });
        }
        Ok(())
    }

    fn is_duplicate(&self, e: &LogEntry) -> bool {
        matches!(&self.at_ts, Some((ts, lines)) if *ts == e.ts && lines.contains(&e.line))
    }

    /// The timestamp of the next entry, loading blocks as needed and dropping duplicates of
    /// entries already returned.
    pub fn peek_ts(&mut self) -> Result<Option<i64>> {
        loop {
            while self.must_load() {
                self.load_next()?;
            }
            match self.heap.peek() {
                Some(p) if self.is_duplicate(&p.entry) => {
                    self.heap.pop();
                }
                top => return Ok(top.map(|p| p.entry.ts)),
            }
        }
    }

    /// The next entry.
    pub fn next_entry(&mut self) -> Result<Option<LogEntry>> {
        if self.peek_ts()?.is_none() {
            return Ok(None);
        }
        let Some(Pending { entry, .. }) = self.heap.pop() else {
            return Ok(None);
        };
        match &mut self.at_ts {
            Some((ts, lines)) if *ts == entry.ts => lines.push(entry.line.clone()),
            _ => self.at_ts = Some((entry.ts, vec![entry.line.clone()])),
        }
        Ok(Some(entry))
    }
}

/// Entries of many streams merged by time in one direction, at most `limit` of them. Among equal
/// times, streams come in label order.
pub(crate) struct MergedEntries {
    cursors: Vec<StreamCursor>,
    /// (key, cursor index) of every cursor with a next entry; the max is next.
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    direction: Direction,
    remaining: Option<usize>,
    started: bool,
}

impl MergedEntries {
    /// Merges `cursors`; they are put in label order here.
    pub fn new(mut cursors: Vec<StreamCursor>, direction: Direction, limit: Option<usize>) -> Self {
        cursors.sort_by(|a, b| a.labels.cmp(&b.labels));
        Self {
            cursors,
            heap: BinaryHeap::new(),
            direction,
            remaining: limit,
            started: false,
        }
    }

    fn key(&self, ts: i64) -> i64 {
        match self.direction {
            Direction::Forward => ts,
            Direction::Backward => ts.wrapping_neg().wrapping_sub(1),
        }
    }

    fn push_cursor(&mut self, i: usize) -> Result<()> {
        let Some(c) = self.cursors.get_mut(i) else {
            return Ok(());
        };
        if let Some(ts) = c.peek_ts()? {
            let key = self.key(ts);
            // Backward is exactly forward reversed: among equal times, streams in reverse
            // label order.
            let order = match self.direction {
                Direction::Forward => i,
                Direction::Backward => usize::MAX - i,
            };
            self.heap.push(Reverse((key, order)));
        }
        Ok(())
    }

    /// Work done so far by every stream.
    pub fn stats(&self) -> ScanStats {
        let mut total = ScanStats::default();
        for c in &self.cursors {
            total.add(&c.stats);
        }
        total
    }

    /// The next entry with its stream's labels.
    pub fn next_entry(&mut self) -> Result<Option<(Labels, LogEntry)>> {
        if !self.started {
            self.started = true;
            for i in 0..self.cursors.len() {
                self.push_cursor(i)?;
            }
        }
        if self.remaining == Some(0) {
            return Ok(None);
        }
        while let Some(Reverse((_, order))) = self.heap.pop() {
            let i = match self.direction {
                Direction::Forward => order,
                Direction::Backward => usize::MAX - order,
            };
            let Some(c) = self.cursors.get_mut(i) else {
                continue;
            };
            let Some(e) = c.next_entry()? else {
                continue;
            };
            let labels = c.labels.clone();
            if let Some(r) = &mut self.remaining {
                *r -= 1;
            }
            // Past the limit nothing more is read, so blocks beyond it are never decoded.
            if self.remaining != Some(0) {
                self.push_cursor(i)?;
            }
            return Ok(Some((labels, e)));
        }
        Ok(None)
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
