//! Reading a segment file from bytes the caller owns (a memory map, a `Vec<u8>`): open checks
//! the header, the footer, the section table and the checksums of the index sections, and
//! parses the index once; lookups then read the bytes in place. Layout:
//! `docs/format/log-segments.md`.
//!
//! The chunks section is not read at open (a segment may be gigabytes that a query never
//! touches): each chunk carries its own checksums (`docs/format/log-chunks.md`), which are
//! checked when it is read, and [`SegmentReader::verify_chunks`] checks the whole section's
//! CRC on demand (compaction does, so it never copies damage into a new file).
#![deny(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use model::{Labels, Matcher};
use roaring::RoaringBitmap;

use super::format::{
    ChunkRef, Footer, HEADER_LEN, IndexStats, MAGIC, Partition, Section, TocEntry, VERSION,
    file_error,
};
use super::index::{ChunkRefs, Index, IndexTables, parse_chunk_refs};
use super::select;
use crate::chunk::ChunkReader;
use crate::error::{Error, Result};

/// An open segment: one tenant's chunks of one time partition, with their index.
///
/// Stream ids are dense, `0..stream_count()`, in label order. Every error names the file.
#[derive(Debug)]
pub struct SegmentReader<B> {
    bytes: B,
    path: PathBuf,
    footer: Footer,
    tables: IndexTables,
    refs: ChunkRefs,
    /// Oldest `mint` and newest `maxt` of all chunks; `None` without chunks.
    bounds: Option<(i64, i64)>,
}

impl<B: AsRef<[u8]>> SegmentReader<B> {
    /// Opens the segment in `bytes`, read from `path` (used only to name the file in errors).
    /// Checks the magic numbers, the footer's checksum, that the sections tile the file, the
    /// checksums of the index sections, and the index's structure and totals.
    pub fn open(bytes: B, path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let parsed = parse(bytes.as_ref());
        match parsed {
            Ok((footer, tables, refs)) => {
                let bounds = data_bounds(&refs.refs);
                Ok(Self {
                    bytes,
                    path,
                    footer,
                    tables,
                    refs,
                    bounds,
                })
            }
            Err(e) => Err(e.in_file(path)),
        }
    }

    fn index(&self) -> Index<'_> {
        Index {
            file: self.bytes.as_ref(),
            t: &self.tables,
        }
    }

    /// The file this segment was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tenant whose streams these are.
    pub fn tenant(&self) -> &str {
        &self.footer.tenant
    }

    /// The time partition the segment was written for.
    pub fn partition(&self) -> Partition {
        self.footer.partition
    }

    /// Streams, chunks, entries and bytes of the whole segment.
    pub fn totals(&self) -> IndexStats {
        self.footer.totals
    }

    /// Oldest and newest entry timestamps of all chunks (ns, inclusive); `None` for a segment
    /// without chunks. May reach past [`SegmentReader::partition`].
    pub fn bounds(&self) -> Option<(i64, i64)> {
        self.bounds
    }

    /// Number of streams; stream ids are `0..stream_count()`.
    pub fn stream_count(&self) -> u32 {
        self.tables.stream_count()
    }

    /// Every stream id.
    pub fn all_streams(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        all.insert_range(0..self.stream_count());
        all
    }

    /// The streams that every matcher selects (all streams for no matchers), with Prometheus
    /// semantics: a matcher that matches the empty string also selects streams without its
    /// label.
    pub fn streams_matching(&self, matchers: &[Matcher]) -> Result<RoaringBitmap> {
        select::streams_matching(self.index(), matchers).map_err(|e| self.in_file(e))
    }

    /// The labels of stream `id`; `None` when there is no such stream.
    pub fn labels(&self, id: u32) -> Option<Labels> {
        self.index().labels(id)
    }

    /// The references of stream `id`'s chunks that may hold entries with `mint <= ts <= maxt`
    /// (both bounds inclusive), sorted by their `mint`. Empty for an unknown stream.
    pub fn chunks(&self, id: u32, mint: i64, maxt: i64) -> impl Iterator<Item = &ChunkRef> {
        let refs = self.stream_refs(id);
        let end = refs.partition_point(|r| r.mint <= maxt);
        refs.get(..end)
            .unwrap_or_default()
            .iter()
            .filter(move |r| r.maxt >= mint)
    }

    /// Every chunk reference of stream `id`, sorted by `mint`.
    pub(super) fn stream_refs(&self, id: u32) -> &[ChunkRef] {
        let starts = &self.refs.starts;
        match (starts.get(id as usize), starts.get(id as usize + 1)) {
            (Some(&from), Some(&to)) => self
                .refs
                .refs
                .get(from as usize..to as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// The stored bytes of a chunk of this segment (a chunk as `docs/format/log-chunks.md`
    /// describes it). Fails for a reference that is not inside the chunks section.
    pub fn chunk_bytes(&self, chunk: &ChunkRef) -> Result<&[u8]> {
        let file = self.bytes.as_ref();
        let section = self.chunks_entry().range(file.len()).unwrap_or(0..0);
        let start = chunk.offset as usize;
        let end = start.saturating_add(chunk.len as usize);
        if chunk.offset < section.start as u64 || end > section.end {
            let reason = format!("no chunk at {}+{} in {section:?}", chunk.offset, chunk.len);
            return Err(self.in_file(Section::Chunks.error(chunk.offset, reason)));
        }
        Ok(file.get(start..end).unwrap_or_default())
    }

    /// A reader of a chunk's blocks, after checking that its block headers agree with its
    /// reference. Corruption offsets are absolute in the file.
    pub fn read_chunk(&self, chunk: &ChunkRef) -> Result<ChunkReader<'_>> {
        let bytes = self.chunk_bytes(chunk)?;
        let reader = ChunkReader::new(bytes).map_err(|e| self.in_file(rebase(e, chunk.offset)))?;
        let uncompressed: u64 = reader
            .blocks()
            .iter()
            .map(|b| u64::from(b.header.uncompressed_len))
            .sum();
        let found = (reader.bounds(), reader.entries(), uncompressed);
        let want = (
            Some((chunk.mint, chunk.maxt)),
            chunk.entries,
            chunk.uncompressed_bytes,
        );
        if found != want {
            let reason = format!(
                "chunk (bounds, entries, uncompressed bytes) are {found:?}, its ref says {want:?}"
            );
            return Err(self.in_file(Section::Chunks.error(chunk.offset, reason)));
        }
        Ok(reader)
    }

    /// Label names of the streams in `within`, or of every stream; sorted. Ids in `within`
    /// past the last stream are ignored.
    pub fn label_names(&self, within: Option<&RoaringBitmap>) -> Result<Vec<&str>> {
        select::label_names(self.index(), within).map_err(|e| self.in_file(e))
    }

    /// Values of label `name` among the streams in `within`, or among every stream; sorted.
    /// Ids in `within` past the last stream are ignored.
    pub fn label_values(&self, name: &str, within: Option<&RoaringBitmap>) -> Result<Vec<&str>> {
        select::label_values(self.index(), name, within).map_err(|e| self.in_file(e))
    }

    /// Chunks, entries and bytes of stream `id` (`streams` is 1); `None` for an unknown stream.
    pub fn stream_stats(&self, id: u32) -> Option<IndexStats> {
        if id >= self.stream_count() {
            return None;
        }
        let mut stats = IndexStats {
            streams: 1,
            ..IndexStats::default()
        };
        for r in self.stream_refs(id) {
            stats.add_chunk(r);
        }
        Some(stats)
    }

    /// Index statistics of the streams in `streams` over `mint <= ts <= maxt` (inclusive):
    /// the chunks that overlap the range, their entries and bytes, and how many streams have
    /// such a chunk. Whole chunks are counted, as Loki's `index/stats` does.
    pub fn index_stats(&self, streams: &RoaringBitmap, mint: i64, maxt: i64) -> IndexStats {
        let mut stats = IndexStats::default();
        for id in streams.iter() {
            let before = stats.chunks;
            for r in self.chunks(id, mint, maxt) {
                stats.add_chunk(r);
            }
            if stats.chunks > before {
                stats.streams += 1;
            }
        }
        stats
    }

    /// Checks the CRC32 of the whole chunks section (reads every chunk byte).
    pub fn verify_chunks(&self) -> Result<()> {
        let entry = self.chunks_entry();
        let file = self.bytes.as_ref();
        let bytes = entry
            .range(file.len())
            .and_then(|r| file.get(r))
            .unwrap_or_default();
        if crc32fast::hash(bytes) != entry.crc32 {
            let error = Section::Chunks.error(entry.offset, "checksum mismatch");
            return Err(self.in_file(error));
        }
        Ok(())
    }

    fn chunks_entry(&self) -> TocEntry {
        self.footer.toc.first().copied().unwrap_or_default()
    }

    fn in_file(&self, e: Error) -> Error {
        e.in_file(self.path.clone())
    }
}

/// A chunk decoder's error with its offset made absolute (the chunk starts at `base`).
fn rebase(e: Error, base: u64) -> Error {
    match e {
        Error::Corruption {
            structure,
            offset,
            reason,
        } => Error::Corruption {
            structure,
            offset: offset.saturating_add(base),
            reason,
        },
        other => other,
    }
}

fn data_bounds(refs: &[ChunkRef]) -> Option<(i64, i64)> {
    let mint = refs.iter().map(|r| r.mint).min()?;
    let maxt = refs.iter().map(|r| r.maxt).max()?;
    Some((mint, maxt))
}

/// Everything `open` checks, with offsets from the start of `file`.
fn parse(file: &[u8]) -> Result<(Footer, IndexTables, ChunkRefs)> {
    check_header(file)?;
    let (footer, footer_at) = Footer::decode(file)?;
    check_toc(&footer.toc, footer_at)?;
    for (section, entry) in Section::ALL.iter().zip(&footer.toc).skip(1) {
        let bytes = entry
            .range(file.len())
            .and_then(|r| file.get(r))
            .unwrap_or_default();
        if crc32fast::hash(bytes) != entry.crc32 {
            return Err(section.error(entry.offset, "checksum mismatch"));
        }
    }
    let tables = IndexTables::parse(file, &footer.toc)?;
    let (refs, totals) = parse_chunk_refs(file, &footer.toc, tables.stream_count())?;
    if totals != footer.totals {
        let reason = format!(
            "totals {:?}, the index adds up to {totals:?}",
            footer.totals
        );
        return Err(file_error("footer", footer_at as u64, reason));
    }
    Ok((footer, tables, refs))
}

fn check_header(file: &[u8]) -> Result<()> {
    let magic = file
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes);
    if magic != Some(MAGIC) {
        return Err(file_error(
            "header",
            0,
            format!("magic {magic:#010x?}, want {MAGIC:#010x}"),
        ));
    }
    let version = file.get(4).copied();
    if version != Some(VERSION) {
        return Err(file_error(
            "header",
            4,
            format!("unknown version {version:?}"),
        ));
    }
    Ok(())
}

/// The sections must follow the header and each other without gaps, in table order, and end
/// where the footer starts.
fn check_toc(toc: &[TocEntry; 5], footer_at: usize) -> Result<()> {
    let mut pos = HEADER_LEN as u64;
    for (section, entry) in Section::ALL.iter().zip(toc) {
        let end = entry.offset.checked_add(entry.len);
        if entry.offset != pos || end.is_none_or(|e| e > footer_at as u64) {
            let reason = format!(
                "{} at {}+{}, expected to start at {pos} and end by {footer_at}",
                section.what(),
                entry.offset,
                entry.len
            );
            return Err(file_error("section table", footer_at as u64, reason));
        }
        pos = end.unwrap_or(pos);
    }
    if pos != footer_at as u64 {
        let reason = format!("sections end at {pos}, the footer starts at {footer_at}");
        return Err(file_error("section table", footer_at as u64, reason));
    }
    Ok(())
}
