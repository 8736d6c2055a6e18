//! Writing log blocks and chunks: the open block builder, zstd compression, and the head chunk
//! of one stream. Reading is in `block`. Layouts: `docs/format/log-chunks.md`.
//!
//! A [`HeadChunk`] is a list of sealed (compressed, immutable) blocks plus an open block being
//! appended to. The open block is sealed at the first append after its uncompressed size reaches
//! [`ChunkOptions::block_size`], so a failed compression never loses the entry being appended.
//! The caller cuts the chunk when [`HeadChunk::should_cut`] says so and stores
//! [`HeadChunk::finish`]'s bytes; a [`ChunkReader`] lists the blocks of such bytes and decodes
//! each lazily.
//!
//! Ordering: [`HeadChunk::append`] refuses an entry older than the chunk's newest;
//! [`HeadChunk::insert_out_of_order`] accepts any timestamp and keeps the open block sorted.
//! Sealed blocks never change, so after out-of-order inserts the blocks of a chunk may overlap
//! in time ([`ChunkReader::blocks_ordered`]); each block is always sorted.
//!
//! Duplicates (same timestamp, same line; metadata is not compared, as in Loki) are dropped when
//! the earlier copy is in the open block, or among the newest-timestamp entries of the last
//! sealed block, which covers an in-order stream resent across a block boundary. A duplicate of
//! an entry in an older sealed block (only reachable through out-of-order inserts) is stored
//! again; the read path's merge drops identical entries.
#![deny(clippy::indexing_slicing)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[cfg(any(doc, test, feature = "testing"))]
use super::block::ChunkReader;
use super::block::{
    BLOCK_HEADER_LEN, BlockHeader, CHUNK_HEADER_LEN, CHUNK_MAGIC, CHUNK_VERSION,
    DEFAULT_COMPRESSION_LEVEL, DecodedBlock, MAX_BLOCK_SIZE, SealedBlock, put_uvarint, uvarint_len,
};
use super::timestamps::GapStats;
use crate::error::{Error, Result};

/// The most bytes one multi-line list entry takes: an index delta below 2^32 and a newline
/// count below [`MAX_BLOCK_SIZE`], 5 bytes each as uvarints.
const MAX_MULTILINE_ENTRY: usize = 10;

/// A scratch buffer larger than this is freed after use rather than kept per thread.
const KEEP_SCRATCH: usize = 4 << 20;

thread_local! {
    /// One zstd compression context per thread (a context per stream would cost ~1 MiB each),
    /// with the level it is set to, and the scratch buffer it compresses into.
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>, Vec<u8>)>> =
        const { RefCell::new(None) };
}

/// How head chunks build blocks and when they are cut. Names and defaults follow Loki's ingester
/// settings (`chunk_block_size`, `chunk_target_size`, `max_chunk_age`, `chunk_idle_period`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkOptions {
    /// Uncompressed size in bytes at which the open block is sealed. Default 1 MiB (Loki uses
    /// 256 KiB; zstd finds 15-20% more redundancy in 1 MiB of log lines); at most
    /// [`MAX_BLOCK_SIZE`].
    pub block_size: usize,
    /// zstd level for sealed blocks. Default 3.
    pub compression_level: i32,
    /// Compressed size in bytes at which a chunk is cut. Default 1.5 MiB.
    pub target_size: usize,
    /// Age (since the first append) at which a chunk is cut, and the largest time span of its
    /// entries. Default 2 h.
    pub max_age: Duration,
    /// Time without appends after which a chunk is cut. Default 30 min.
    pub idle_period: Duration,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            block_size: 1 << 20,
            compression_level: DEFAULT_COMPRESSION_LEVEL,
            target_size: 1536 << 10,
            max_age: Duration::from_secs(2 * 3600),
            idle_period: Duration::from_secs(30 * 60),
        }
    }
}

impl ChunkOptions {
    /// Checks that the options can work.
    pub fn validate(&self) -> Result<()> {
        let invalid = |name, reason: String| Err(Error::InvalidOption { name, reason });
        if self.block_size == 0 || self.block_size > MAX_BLOCK_SIZE {
            return invalid(
                "block_size",
                format!("{} is not in 1..={MAX_BLOCK_SIZE}", self.block_size),
            );
        }
        let levels = zstd::compression_level_range();
        if !levels.contains(&self.compression_level) {
            return invalid(
                "compression_level",
                format!("{} is not in {levels:?}", self.compression_level),
            );
        }
        if self.target_size == 0 {
            return invalid("target_size", "must be positive".into());
        }
        if self.max_age.is_zero() {
            return invalid("max_age", "must be positive".into());
        }
        if self.idle_period.is_zero() {
            return invalid("idle_period", "must be positive".into());
        }
        Ok(())
    }
}

/// What an append did with the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The entry is in the chunk.
    Stored,
    /// An entry with the same timestamp and line was already there; nothing changed.
    Duplicate,
}

/// Why a chunk should be cut now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutReason {
    /// Compressed size reached [`ChunkOptions::target_size`].
    Full,
    /// The chunk was created [`ChunkOptions::max_age`] ago or more.
    MaxAge,
    /// Its entries span [`ChunkOptions::max_age`] or more (Loki's age rule, which also bounds
    /// chunks filled by backfill).
    MaxSpan,
    /// No append for [`ChunkOptions::idle_period`].
    Idle,
}

/// The open chunk of one stream.
///
/// Invariants: `entries` counts the entries of `sealed` and `open`; `bounds` is their oldest
/// and newest timestamp (`None` iff `entries == 0`); `sealed_uncompressed`/`sealed_compressed`
/// sum the sealed blocks' headers; `sealed_newest` holds the lines at the newest timestamp of
/// the last block sealed.
#[derive(Debug)]
pub struct HeadChunk {
    block_size: usize,
    compression_level: i32,
    sealed: Vec<SealedBlock>,
    open: BlockBuilder,
    sealed_uncompressed: u64,
    sealed_compressed: u64,
    entries: u64,
    bounds: Option<(i64, i64)>,
    sealed_newest: Option<(i64, Vec<Box<[u8]>>)>,
    created_at: Instant,
    last_append: Instant,
}

impl HeadChunk {
    /// An empty chunk created at `now`.
    pub fn new(options: &ChunkOptions, now: Instant) -> Result<Self> {
        options.validate()?;
        Ok(Self {
            block_size: options.block_size,
            compression_level: options.compression_level,
            sealed: Vec::new(),
            open: BlockBuilder::new(),
            sealed_uncompressed: 0,
            sealed_compressed: 0,
            entries: 0,
            bounds: None,
            sealed_newest: None,
            created_at: now,
            last_append: now,
        })
    }

    /// Appends an entry no older than the chunk's newest. An older one is
    /// [`Error::OutOfOrder`]: the caller decides whether it may use
    /// [`HeadChunk::insert_out_of_order`].
    pub fn append(
        &mut self,
        ts: i64,
        line: &[u8],
        metadata: &[(&str, &str)],
        now: Instant,
    ) -> Result<AppendOutcome> {
        if let Some((_, newest)) = self.bounds
            && ts < newest
        {
            return Err(Error::OutOfOrder { ts, newest });
        }
        self.add(ts, line, metadata, now)
    }

    /// Adds an entry of any timestamp at its place in the open block; sealed blocks are not
    /// changed, so it may end up older than entries already sealed.
    pub fn insert_out_of_order(
        &mut self,
        ts: i64,
        line: &[u8],
        metadata: &[(&str, &str)],
        now: Instant,
    ) -> Result<AppendOutcome> {
        self.add(ts, line, metadata, now)
    }

    fn add(
        &mut self,
        ts: i64,
        line: &[u8],
        metadata: &[(&str, &str)],
        now: Instant,
    ) -> Result<AppendOutcome> {
        let size = BlockBuilder::entry_size(line, metadata);
        if size >= MAX_BLOCK_SIZE {
            return Err(Error::EntryTooLarge {
                size,
                max: MAX_BLOCK_SIZE,
            });
        }
        if self.is_duplicate(ts, line) {
            return Ok(AppendOutcome::Duplicate);
        }
        if self.open.size() >= self.block_size || self.open.max_size() + size >= MAX_BLOCK_SIZE {
            self.seal_open_block()?;
        }
        self.open.push(ts, line, metadata);
        self.entries += 1;
        self.bounds = Some(match self.bounds {
            None => (ts, ts),
            Some((mint, maxt)) => (mint.min(ts), maxt.max(ts)),
        });
        self.last_append = now;
        Ok(AppendOutcome::Stored)
    }

    fn is_duplicate(&self, ts: i64, line: &[u8]) -> bool {
        let in_sealed = match &self.sealed_newest {
            Some((newest, lines)) if *newest == ts => lines.iter().any(|l| **l == *line),
            _ => false,
        };
        in_sealed || self.open.contains(ts, line)
    }

    /// Compresses the open block into a sealed one (nothing happens when it is empty).
    fn seal_open_block(&mut self) -> Result<()> {
        let newest = self.open.bounds().map(|(_, maxt)| maxt);
        let newest_lines: Vec<Box<[u8]>> = self.open.newest_lines().map(Box::from).collect();
        let Some(block) = self.open.seal(self.compression_level)? else {
            return Ok(());
        };
        self.sealed_uncompressed += u64::from(block.header().uncompressed_len);
        self.sealed_compressed += u64::from(block.header().compressed_len);
        self.sealed.push(block);
        self.sealed_newest = newest.map(|ts| (ts, newest_lines));
        Ok(())
    }

    /// Number of entries.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// True when nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Oldest and newest timestamps (ns), when there are entries.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        self.bounds
    }

    /// Uncompressed bytes: sealed payloads plus the open block's estimate.
    pub fn uncompressed_bytes(&self) -> u64 {
        self.sealed_uncompressed + self.open.size() as u64
    }

    /// Compressed bytes: the sealed blocks plus the open block scaled by the compression ratio
    /// the sealed blocks had (or uncompressed, before any was sealed).
    pub fn compressed_bytes(&self) -> u64 {
        let open = self.open.size() as u64;
        let open_estimate = match self.sealed_uncompressed {
            0 => open,
            u => (u128::from(open) * u128::from(self.sealed_compressed) / u128::from(u)) as u64,
        };
        self.sealed_compressed + open_estimate
    }

    /// When the chunk was created.
    pub fn created_at(&self) -> Instant {
        self.created_at
    }

    /// When an entry was last stored (creation time before the first).
    pub fn last_append(&self) -> Instant {
        self.last_append
    }

    /// The sealed blocks, oldest first.
    pub fn sealed_blocks(&self) -> &[SealedBlock] {
        &self.sealed
    }

    /// The open block's entries decoded, without compressing them; `None` when it is empty.
    pub fn open_block(&self) -> Result<Option<DecodedBlock>> {
        self.open.snapshot()
    }

    /// Entries in the open block when any of them has `mint <= ts <= maxt`, without copying it.
    pub fn open_block_len_if_overlapping(&self, mint: i64, maxt: i64) -> Option<usize> {
        self.open.any_in(mint, maxt).then(|| self.open.len())
    }

    /// Whether the chunk should be cut at `now` under `options`, and why (the first reason
    /// that applies, in the order of [`CutReason`]). An empty chunk is never cut.
    pub fn should_cut(&self, options: &ChunkOptions, now: Instant) -> Option<CutReason> {
        let (mint, maxt) = self.bounds?;
        let span = u128::try_from(i128::from(maxt) - i128::from(mint)).unwrap_or_default();
        if self.compressed_bytes() >= options.target_size as u64 {
            Some(CutReason::Full)
        } else if now.saturating_duration_since(self.created_at) >= options.max_age {
            Some(CutReason::MaxAge)
        } else if span >= options.max_age.as_nanos() {
            Some(CutReason::MaxSpan)
        } else if now.saturating_duration_since(self.last_append) >= options.idle_period {
            Some(CutReason::Idle)
        } else {
            None
        }
    }

    /// Seals the open block and returns the chunk's bytes. The head stays valid (and holds the
    /// same entries), so a failure loses nothing; the caller drops it once the bytes are stored.
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        self.seal_open_block()?;
        Ok(encode_chunk(&self.sealed))
    }
}

/// Serializes blocks as a chunk: header, block header table and its CRC32, then the blocks'
/// compressed bytes in the same order.
pub fn encode_chunk(blocks: &[SealedBlock]) -> Vec<u8> {
    let data_len: usize = blocks.iter().map(|b| b.data().len()).sum();
    let mut out =
        Vec::with_capacity(CHUNK_HEADER_LEN + blocks.len() * BLOCK_HEADER_LEN + 4 + data_len);
    out.extend_from_slice(&CHUNK_MAGIC.to_be_bytes());
    out.push(CHUNK_VERSION);
    out.extend_from_slice(&(blocks.len() as u32).to_be_bytes());
    for b in blocks {
        b.header().encode(&mut out);
    }
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    for b in blocks {
        out.extend_from_slice(b.data());
    }
    out
}

/// Where one entry of a [`BlockBuilder`] keeps its parts.
#[derive(Debug, Clone, Copy)]
struct Slot {
    ts: i64,
    /// Range of the line in `BlockBuilder::line_bytes`.
    line: (u32, u32),
    /// Range of the metadata pairs in `BlockBuilder::meta_pairs`.
    meta: (u32, u32),
}

/// The open, uncompressed block being appended to: entries kept sorted by timestamp (ties in
/// arrival order), lines in arrival order in one buffer, metadata strings interned.
///
/// Invariants: `slots` is sorted by `ts`; every slot's ranges lie inside `line_bytes` and
/// `meta_pairs`; every pair's ids are below `symbols.len()`; `gaps` accounts for the timestamp
/// section of the slots' timestamps; `multiline` counts the lines that contain a newline and
/// `last_multiline` is the sorted index of the last of them; `entries_size` counts the payload
/// bytes of the lines, their newlines and the symbols, `pairs_size` those of the pairs section
/// (written only when there are symbols), `multiline_size` those of the multi-line entries:
/// exactly when entries arrived in timestamp order, as an upper bound otherwise (see
/// `count_multiline`).
#[derive(Debug, Default)]
pub struct BlockBuilder {
    slots: Vec<Slot>,
    line_bytes: Vec<u8>,
    meta_pairs: Vec<[u32; 2]>,
    symbols: Vec<Box<str>>,
    symbol_ids: HashMap<Box<str>, u32>,
    entries_size: usize,
    gaps: GapStats,
    pairs_size: usize,
    multiline: usize,
    last_multiline: Option<usize>,
    multiline_size: usize,
}

impl BlockBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Payload size in bytes: exact when entries arrived in timestamp order, an estimate after
    /// out-of-order pushes.
    pub fn size(&self) -> usize {
        if self.slots.is_empty() {
            return 0;
        }
        let pairs = if self.symbols.is_empty() {
            0
        } else {
            self.pairs_size
        };
        self.gaps.section().1
            + self.entries_size
            + uvarint_len(self.multiline as u64)
            + self.multiline_size
            + uvarint_len(self.symbols.len() as u64)
            + pairs
    }

    /// An upper bound of [`BlockBuilder::size`] that a push raises by at most its
    /// [`BlockBuilder::entry_size`]: the size with the timestamp section at its largest (one
    /// new gap can change the unit or overflow the gap table, and so grow every gap at once).
    pub fn max_size(&self) -> usize {
        match self.size() {
            0 => 0,
            size => size - self.gaps.section().1 + self.gaps.max_section_len(),
        }
    }

    /// Oldest and newest timestamps, when there are entries.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        Some((self.slots.first()?.ts, self.slots.last()?.ts))
    }

    /// How many bytes an entry adds at most to [`BlockBuilder::max_size`]: its gap at the
    /// largest varint, its line and newline, a multi-line entry and the growth of the next
    /// one's index delta, its metadata as if every string were a new symbol, and the section
    /// counts.
    pub fn entry_size(line: &[u8], metadata: &[(&str, &str)]) -> usize {
        let strings: usize = metadata.iter().map(|(n, v)| n.len() + v.len() + 20).sum();
        20 + line.len() + 1 + MAX_MULTILINE_ENTRY + 1 + 20 + 10 * metadata.len() + strings
    }

    /// True when an entry has `mint <= ts <= maxt`.
    pub fn any_in(&self, mint: i64, maxt: i64) -> bool {
        let start = self.slots.partition_point(|s| s.ts < mint);
        self.slots.get(start).is_some_and(|s| s.ts <= maxt)
    }

    /// True when an entry with this timestamp and line is already in the builder.
    pub fn contains(&self, ts: i64, line: &[u8]) -> bool {
        let start = self.slots.partition_point(|s| s.ts < ts);
        let same_ts = self.slots.get(start..).unwrap_or_default();
        same_ts
            .iter()
            .take_while(|s| s.ts == ts)
            .any(|s| self.line_of(s) == line)
    }

    /// Lines of the entries at the newest timestamp.
    pub fn newest_lines(&self) -> impl Iterator<Item = &[u8]> {
        let newest = self.slots.last().map(|s| s.ts);
        self.slots
            .iter()
            .rev()
            .take_while(move |s| Some(s.ts) == newest)
            .map(|s| self.line_of(s))
    }

    /// Adds an entry at its place in timestamp order, after entries with the same timestamp.
    /// The caller bounds the total size (see [`BlockBuilder::entry_size`]) below
    /// [`MAX_BLOCK_SIZE`], so every offset fits a `u32`.
    pub fn push(&mut self, ts: i64, line: &[u8], metadata: &[(&str, &str)]) {
        let line_start = self.line_bytes.len() as u32;
        self.line_bytes.extend_from_slice(line);
        let meta_start = self.meta_pairs.len() as u32;
        self.pairs_size += uvarint_len(metadata.len() as u64);
        for &(name, value) in metadata {
            let pair = [self.intern(name), self.intern(value)];
            self.pairs_size += uvarint_len(u64::from(pair[0])) + uvarint_len(u64::from(pair[1]));
            self.meta_pairs.push(pair);
        }
        let slot = Slot {
            ts,
            line: (line_start, self.line_bytes.len() as u32),
            meta: (meta_start, self.meta_pairs.len() as u32),
        };
        self.entries_size += line.len() + 1;
        let newlines = memchr::memchr_iter(b'\n', line).count();
        let in_order = self.slots.last().is_none_or(|last| last.ts <= ts);
        let at = if in_order {
            self.slots.len()
        } else {
            self.slots.partition_point(|s| s.ts <= ts)
        };
        let before = at.checked_sub(1).and_then(|i| self.slots.get(i));
        let after = self.slots.get(at);
        let unit_shrank = self
            .gaps
            .insert(before.map(|s| s.ts), ts, after.map(|s| s.ts));
        self.count_multiline(at, newlines, in_order);
        self.slots.insert(at, slot);
        if unit_shrank {
            self.gaps.recount(self.slots.iter().map(|s| s.ts));
        }
    }

    /// Accounts for an entry about to be placed at sorted index `at` whose line holds
    /// `newlines`: exactly when it goes last, and as an upper bound (its own multi-line entry
    /// at the largest size, and the next one's index delta one byte longer) when inserted.
    fn count_multiline(&mut self, at: usize, newlines: usize, last: bool) {
        if !last && let Some(i) = self.last_multiline.as_mut().filter(|i| **i >= at) {
            *i += 1;
            self.multiline_size += 1;
        }
        if newlines == 0 {
            return;
        }
        self.multiline += 1;
        self.multiline_size += if last {
            let delta = at - self.last_multiline.unwrap_or(0);
            uvarint_len(delta as u64) + uvarint_len(newlines as u64)
        } else {
            MAX_MULTILINE_ENTRY
        };
        if self.last_multiline.is_none_or(|i| i < at) {
            self.last_multiline = Some(at);
        }
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.symbol_ids.get(s) {
            return id;
        }
        let id = self.symbols.len() as u32;
        self.entries_size += uvarint_len(s.len() as u64) + s.len();
        self.symbols.push(s.into());
        self.symbol_ids.insert(s.into(), id);
        id
    }

    fn line_of(&self, s: &Slot) -> &[u8] {
        let (start, end) = s.line;
        self.line_bytes
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn pairs_of(&self, s: &Slot) -> &[[u32; 2]] {
        let (start, end) = s.meta;
        self.meta_pairs
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// Writes the uncompressed payload (layout in the module doc) into `out`.
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.size());
        self.gaps.encode(self.slots.iter().map(|s| s.ts), out);
        self.encode_multiline(out);
        for s in &self.slots {
            out.extend_from_slice(self.line_of(s));
            out.push(b'\n');
        }
        put_uvarint(out, self.symbols.len() as u64);
        for sym in &self.symbols {
            put_uvarint(out, sym.len() as u64);
            out.extend_from_slice(sym.as_bytes());
        }
        if !self.symbols.is_empty() {
            for s in &self.slots {
                let pairs = self.pairs_of(s);
                put_uvarint(out, pairs.len() as u64);
                for &[name, value] in pairs {
                    put_uvarint(out, u64::from(name));
                    put_uvarint(out, u64::from(value));
                }
            }
        }
    }

    /// Writes the multi-line list: the count, then (index delta, newlines) per line that holds
    /// newlines, in sorted order. Lines are searched only when some line has a newline.
    fn encode_multiline(&self, out: &mut Vec<u8>) {
        put_uvarint(out, self.multiline as u64);
        if self.multiline == 0 {
            return;
        }
        let mut prev = 0;
        for (i, s) in self.slots.iter().enumerate() {
            let newlines = memchr::memchr_iter(b'\n', self.line_of(s)).count();
            if newlines > 0 {
                put_uvarint(out, (i - prev) as u64);
                put_uvarint(out, newlines as u64);
                prev = i;
            }
        }
    }

    /// Compresses the entries into a sealed block at zstd `level` and empties the builder
    /// (keeping its allocations). `None` when empty.
    pub fn seal(&mut self, level: i32) -> Result<Option<SealedBlock>> {
        let Some((mint, maxt)) = self.bounds() else {
            return Ok(None);
        };
        let mut payload = Vec::new();
        self.encode_payload(&mut payload);
        if payload.len() > MAX_BLOCK_SIZE {
            // The head seals before an entry would take a block past the maximum; a block this
            // large could not be read back.
            return Err(Error::EntryTooLarge {
                size: payload.len(),
                max: MAX_BLOCK_SIZE,
            });
        }
        let data = compress(&payload, level)?;
        let header = BlockHeader {
            mint,
            maxt,
            entries: self.slots.len() as u32,
            uncompressed_len: payload.len() as u32,
            compressed_len: data.len() as u32,
            crc32: crc32fast::hash(&data),
        };
        self.clear();
        Ok(Some(SealedBlock::new(header, data)))
    }

    /// The entries decoded as a block would be, without compressing them (for reading the
    /// open block of a head chunk). `None` when empty.
    pub fn snapshot(&self) -> Result<Option<DecodedBlock>> {
        let Some((mint, maxt)) = self.bounds() else {
            return Ok(None);
        };
        let mut payload = Vec::new();
        self.encode_payload(&mut payload);
        let header = BlockHeader {
            mint,
            maxt,
            entries: self.slots.len() as u32,
            uncompressed_len: payload.len() as u32,
            compressed_len: 0,
            crc32: 0,
        };
        DecodedBlock::parse(payload, &header).map(Some)
    }

    /// Removes every entry, keeping allocations.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.line_bytes.clear();
        self.meta_pairs.clear();
        self.symbols.clear();
        self.symbol_ids.clear();
        self.entries_size = 0;
        self.gaps = GapStats::default();
        self.pairs_size = 0;
        self.multiline = 0;
        self.last_multiline = None;
        self.multiline_size = 0;
    }
}

/// Compresses `payload` with this thread's zstd context into an exactly sized buffer.
pub(super) fn compress(payload: &[u8], level: i32) -> Result<Box<[u8]>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (ctx_level, ctx, scratch) = match &mut *slot {
            Some(ctx) => ctx,
            empty => {
                let ctx = zstd::bulk::Compressor::new(level).map_err(Error::Zstd)?;
                empty.insert((level, ctx, Vec::new()))
            }
        };
        if *ctx_level != level {
            ctx.set_compression_level(level).map_err(Error::Zstd)?;
            *ctx_level = level;
        }
        scratch.clear();
        scratch.reserve(zstd::zstd_safe::compress_bound(payload.len()));
        let n = ctx
            .compress_to_buffer(payload, scratch)
            .map_err(Error::Zstd)?;
        let data: Box<[u8]> = scratch.get(..n).unwrap_or_default().into();
        if scratch.capacity() > KEEP_SCRATCH {
            *scratch = Vec::new();
        }
        Ok(data)
    })
}

/// Fuzz hook: `data` read as a standalone sealed block, as a chunk and as a raw payload must
/// decode or fail with an error, never panic; what decodes must keep the decoded-block
/// invariants, and a substring scan over it must agree with testing each line; entries derived
/// from `data` must come back unchanged from an encode → decode round trip.
#[cfg(any(test, feature = "testing"))]
pub fn fuzz_log_block_decoder(data: &[u8]) {
    if let Ok(block) = SealedBlock::from_bytes(data)
        && let Ok(decoded) = block.decode()
    {
        check_decoded(&decoded, block.header().entries);
    }
    if let Ok(reader) = ChunkReader::new(data) {
        for b in reader.blocks() {
            if let Ok(decoded) = b.decode() {
                check_decoded(&decoded, b.header.entries);
            }
        }
    }
    if let Some((&n, payload)) = data.split_first() {
        let header = BlockHeader {
            mint: 0,
            maxt: 0,
            entries: u32::from(n.max(1)),
            uncompressed_len: payload.len() as u32,
            compressed_len: 0,
            crc32: 0,
        };
        if let Ok(decoded) = DecodedBlock::parse(payload.to_vec(), &header) {
            check_decoded(&decoded, header.entries);
        }
    }
    fuzz_round_trip(data);
}

#[cfg(any(test, feature = "testing"))]
fn check_decoded(block: &DecodedBlock, entries: u32) {
    use crate::filter::{FilterOp, LineFilter};

    assert_eq!(block.len(), entries as usize, "entry count");
    assert!(block.timestamps().is_sorted(), "timestamps out of order");
    assert_eq!(
        block.entries().count(),
        block.len(),
        "an entry does not resolve"
    );
    let Ok(filter) = LineFilter::compile(&[(FilterOp::Contains, &["a", "\u{0}\u{1}", "b\na"][..])])
    else {
        return;
    };
    let naive: Vec<u32> = (0..block.len())
        .filter(|&i| block.line(i).is_some_and(|l| filter.matches(l)))
        .map(|i| i as u32)
        .collect();
    assert_eq!(
        filter.matching_entries(block, 0..block.len()),
        naive,
        "scan disagrees"
    );
}

/// Builds entries from `data` (pieces split at 0xff: timestamp step from the first byte, the
/// piece as the line, metadata when the second byte says so), seals them, decodes them back.
#[cfg(any(test, feature = "testing"))]
fn fuzz_round_trip(data: &[u8]) {
    let mut builder = BlockBuilder::new();
    let mut want = Vec::new();
    let mut ts = i64::MAX - 1000 * i64::from(data.first().copied().unwrap_or_default());
    for piece in data.split(|&b| b == 0xff).take(4096) {
        ts = ts.wrapping_add(i64::from(piece.first().copied().unwrap_or_default() % 3));
        let value = format!("{:x}", piece.get(2).copied().unwrap_or_default());
        let metadata: Vec<(&str, &str)> = match piece.get(1) {
            Some(b) if b % 4 == 0 => vec![("k", &value), ("trace_id", "x")],
            _ => Vec::new(),
        };
        builder.push(ts, piece, &metadata);
        want.push((ts, piece.to_vec(), metadata.len()));
    }
    want.sort_by_key(|e| e.0);
    let sealed = builder.seal(1).ok().flatten();
    let Some(decoded) = sealed.as_ref().and_then(|s| s.decode().ok()) else {
        panic!("a block that was just sealed does not decode");
    };
    let got: Vec<_> = decoded
        .entries()
        .map(|e| (e.ts, e.line.to_vec(), e.metadata.len()))
        .collect();
    assert_eq!(got, want, "round trip changed the entries");
}

#[cfg(test)]
#[path = "head_tests.rs"]
pub(crate) mod tests;
