//! Reading a segment's index sections: `IndexTables::parse` checks the symbols, streams,
//! postings and chunk refs sections of untrusted bytes once, at open, and keeps where their
//! tables lie; [`Index`] then looks things up in them without copying. Layout:
//! `docs/format/log-segments.md`.
//!
//! Invariants after a successful parse (what every lookup relies on, and why a lookup that
//! finds nothing for an id below a count is impossible rather than an error path): symbols are
//! non-empty UTF-8, strictly increasing, so comparing symbol ids compares strings; each stream's
//! label names are strictly increasing ids below the symbol count, and streams are strictly
//! increasing in label order; postings names and each name's values are strictly increasing;
//! every bitmap's container headers fit its bytes; every stream has at least one chunk ref,
//! its refs sorted by `mint`; the refs tile the chunks section exactly.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;
use std::ops::Range;

use model::Labels;
use roaring::RoaringBitmap;

use super::format::{
    CHUNK_REF_LEN, ChunkRef, Cursor, IndexStats, Section, TocEntry, roaring_serialized_len, u32_at,
    u64_at,
};
use crate::error::Result;

/// Where the tables of the index sections are in the file (absolute byte ranges).
#[derive(Debug, Clone)]
pub(super) struct IndexTables {
    symbol_count: u32,
    /// `symbol_count + 1` offsets into `symbol_data`.
    symbol_offsets: Range<usize>,
    symbol_data: Range<usize>,
    stream_count: u32,
    /// `stream_count + 1` indices into `pairs`.
    pair_starts: Range<usize>,
    /// (name id, value id) pairs, 8 bytes each.
    pairs: Range<usize>,
    name_count: u32,
    /// Symbol id of each postings name.
    names: Range<usize>,
    /// `name_count + 1` indices into `values`.
    value_starts: Range<usize>,
    /// Symbol id of each value.
    values: Range<usize>,
    /// `value_count + 2` u64 offsets into `bitmap_data`: bitmap 0 is every stream, bitmap
    /// `j + 1` is value `j`'s.
    bitmap_offsets: Range<usize>,
    bitmap_data: Range<usize>,
}

/// A stream's chunk references, parsed at open.
#[derive(Debug, Clone, Default)]
pub(super) struct ChunkRefs {
    /// Every reference, stream after stream, each stream's sorted by `mint`.
    pub refs: Vec<ChunkRef>,
    /// `stream_count + 1` indices into `refs`.
    pub starts: Vec<u32>,
}

impl IndexTables {
    /// Parses and checks the symbols, streams and postings sections (their CRCs were checked).
    pub(super) fn parse(file: &[u8], toc: &[TocEntry; 5]) -> Result<IndexTables> {
        let [_, symbols, streams, postings, _] = toc;
        let (symbol_count, symbol_offsets, symbol_data) = parse_symbols(file, symbols)?;
        let mut t = IndexTables {
            symbol_count,
            symbol_offsets,
            symbol_data,
            stream_count: 0,
            pair_starts: 0..0,
            pairs: 0..0,
            name_count: 0,
            names: 0..0,
            value_starts: 0..0,
            values: 0..0,
            bitmap_offsets: 0..0,
            bitmap_data: 0..0,
        };
        parse_streams(file, streams, &mut t)?;
        parse_postings(file, postings, &mut t)?;
        Ok(t)
    }

    /// Number of streams.
    pub(super) fn stream_count(&self) -> u32 {
        self.stream_count
    }
}

fn section_cursor<'a>(file: &'a [u8], section: Section, entry: &TocEntry) -> Cursor<'a> {
    let end = entry.range(file.len()).map_or(0, |r| r.end);
    Cursor::new(
        file.get(..end).unwrap_or_default(),
        entry.offset as usize,
        section.structure(),
        section.what(),
    )
}

/// Checks that a count read from a section leaves room for `per_item` bytes each.
fn check_count(c: &Cursor<'_>, end: usize, count: u32, per_item: usize, what: &str) -> Result<()> {
    let needed = (count as usize).saturating_mul(per_item);
    let left = end.saturating_sub(c.pos());
    if needed > left {
        return Err(c.error(format!("{count} {what} do not fit {left} bytes")));
    }
    Ok(())
}

fn parse_symbols(file: &[u8], entry: &TocEntry) -> Result<(u32, Range<usize>, Range<usize>)> {
    let mut c = section_cursor(file, Section::Symbols, entry);
    let end = entry.range(file.len()).map_or(0, |r| r.end);
    let count = c.be32()?;
    check_count(&c, end, count.saturating_add(1), 4, "symbol offsets")?;
    let offsets = c.table32(count as usize + 1)?;
    let data = c.pos()..end;
    let mut prev: Option<&str> = None;
    for i in 0..count as usize {
        let at = offsets.start + 4 * i;
        let (Some(start), Some(stop)) = (u32_at(file, &offsets, i), u32_at(file, &offsets, i + 1))
        else {
            return Err(c.error_at(at, "symbol offset table cut short"));
        };
        let (start, stop) = (data.start + start as usize, data.start + stop as usize);
        if (i == 0 && start != data.start) || stop <= start || stop > data.end {
            let reason = format!("symbol {i} spans {start}..{stop}, data is {data:?}");
            return Err(c.error_at(at, reason));
        }
        let bytes = file.get(start..stop).unwrap_or_default();
        let s = std::str::from_utf8(bytes)
            .map_err(|_| c.error_at(start, format!("symbol {i} is not UTF-8")))?;
        if prev.is_some_and(|p| p >= s) {
            return Err(c.error_at(start, format!("symbol {i} not after the one before")));
        }
        prev = Some(s);
    }
    let last = u32_at(file, &offsets, count as usize).unwrap_or(u32::MAX) as usize;
    if last != data.len() {
        let reason = format!("symbols end at {last}, data is {} bytes", data.len());
        return Err(c.error_at(offsets.end - 4, reason));
    }
    Ok((count, offsets, data))
}

fn parse_streams(file: &[u8], entry: &TocEntry, t: &mut IndexTables) -> Result<()> {
    let mut c = section_cursor(file, Section::Streams, entry);
    let end = entry.range(file.len()).map_or(0, |r| r.end);
    let count = c.be32()?;
    let pair_count = c.be32()?;
    check_count(&c, end, count.saturating_add(1), 4, "stream offsets")?;
    t.pair_starts = c.table32(count as usize + 1)?;
    check_count(&c, end, pair_count, 8, "label pairs")?;
    t.pairs = c.table32(2 * pair_count as usize)?;
    if c.pos() != end {
        return Err(c.error(format!("{} bytes after the label pairs", end - c.pos())));
    }
    t.stream_count = count;
    let index = Index { file, t };
    let mut prev: Vec<[u32; 2]> = Vec::new();
    let mut current: Vec<[u32; 2]> = Vec::new();
    let mut prev_end = 0u32;
    for s in 0..=count {
        let at = t.pair_starts.start + 4 * s as usize;
        let start = u32_at(file, &t.pair_starts, s as usize).unwrap_or(u32::MAX);
        if (s == 0 && start != 0) || start < prev_end || start > pair_count {
            return Err(c.error_at(at, format!("stream {s} starts at label pair {start}")));
        }
        prev_end = start;
    }
    if prev_end != pair_count {
        let reason = format!("streams end at pair {prev_end} of {pair_count}");
        return Err(c.error_at(t.pair_starts.end - 4, reason));
    }
    for s in 0..count {
        current.clear();
        let at = t.pair_starts.start + 4 * s as usize;
        let pairs = index.pair_range(s).unwrap_or(0..0);
        for p in pairs {
            let pair = index.pair(p).unwrap_or([u32::MAX; 2]);
            let bad_id = pair.iter().any(|&id| id >= t.symbol_count);
            let unsorted = current.last().is_some_and(|last| last[0] >= pair[0]);
            if bad_id || unsorted {
                let reason = format!("stream {s} has bad or unsorted label pair {pair:?}");
                return Err(c.error_at(t.pairs.start + 8 * p as usize, reason));
            }
            current.push(pair);
        }
        // Ids compare as their strings do, so this is the order of `Labels`.
        if s > 0 && prev.cmp(&current) != Ordering::Less {
            return Err(c.error_at(at, format!("stream {s} not after the stream before")));
        }
        std::mem::swap(&mut prev, &mut current);
    }
    Ok(())
}

fn parse_postings(file: &[u8], entry: &TocEntry, t: &mut IndexTables) -> Result<()> {
    let mut c = section_cursor(file, Section::Postings, entry);
    let end = entry.range(file.len()).map_or(0, |r| r.end);
    let name_count = c.be32()?;
    let value_count = c.be32()?;
    let per_name = 4 + 4;
    check_count(&c, end, name_count, per_name, "postings names")?;
    t.names = c.table32(name_count as usize)?;
    t.value_starts = c.table32(name_count as usize + 1)?;
    check_count(&c, end, value_count, 4 + 8, "postings values")?;
    t.values = c.table32(value_count as usize)?;
    let bitmap_count = value_count as usize + 2;
    let offsets_start = c.pos();
    c.bytes(bitmap_count * 8)?;
    t.bitmap_offsets = offsets_start..c.pos();
    t.bitmap_data = c.pos()..end;
    t.name_count = name_count;
    check_postings_names(file, &c, t, value_count)?;
    check_bitmap_offsets(file, &c, t)?;
    let all = Index { file, t }.bitmap(0)?;
    if all.len() != u64::from(t.stream_count) || all.max().is_some_and(|m| m >= t.stream_count) {
        let reason = format!("the all-streams bitmap is not 0..{}", t.stream_count);
        return Err(c.error_at(t.bitmap_data.start, reason));
    }
    Ok(())
}

fn check_postings_names(file: &[u8], c: &Cursor<'_>, t: &IndexTables, values: u32) -> Result<()> {
    let mut prev_name: Option<u32> = None;
    let mut prev_start = 0u32;
    for i in 0..=t.name_count as usize {
        let at = t.value_starts.start + 4 * i;
        let start = u32_at(file, &t.value_starts, i).unwrap_or(u32::MAX);
        if (i == 0 && start != 0) || (i > 0 && start <= prev_start) || start > values {
            return Err(c.error_at(at, format!("name {i} values start at {start}")));
        }
        if i > 0 {
            check_values(file, c, t, prev_start..start)?;
        }
        prev_start = start;
        if i == t.name_count as usize {
            break;
        }
        let name = u32_at(file, &t.names, i).unwrap_or(u32::MAX);
        if name >= t.symbol_count || prev_name.is_some_and(|p| p >= name) {
            let reason = format!("name {i} is bad or unsorted symbol {name}");
            return Err(c.error_at(t.names.start + 4 * i, reason));
        }
        prev_name = Some(name);
    }
    if prev_start != values {
        let reason = format!("names end at value {prev_start} of {values}");
        return Err(c.error_at(t.value_starts.end - 4, reason));
    }
    Ok(())
}

fn check_values(file: &[u8], c: &Cursor<'_>, t: &IndexTables, values: Range<u32>) -> Result<()> {
    let mut prev: Option<u32> = None;
    for j in values {
        let v = u32_at(file, &t.values, j as usize).unwrap_or(u32::MAX);
        if v >= t.symbol_count || prev.is_some_and(|p| p >= v) {
            let reason = format!("value {j} is bad or unsorted symbol {v}");
            return Err(c.error_at(t.values.start + 4 * j as usize, reason));
        }
        prev = Some(v);
    }
    Ok(())
}

fn check_bitmap_offsets(file: &[u8], c: &Cursor<'_>, t: &IndexTables) -> Result<()> {
    let count = t.bitmap_offsets.len() / 8;
    let data_len = t.bitmap_data.len() as u64;
    let mut prev = 0u64;
    for k in 0..count {
        let at = t.bitmap_offsets.start + 8 * k;
        let off = u64_at(file, &t.bitmap_offsets, k).unwrap_or(u64::MAX);
        if (k == 0 && off != 0) || off < prev || off > data_len {
            return Err(c.error_at(at, format!("bitmap {k} at {off} of {data_len}")));
        }
        if k > 0 {
            let range = t.bitmap_data.start + prev as usize..t.bitmap_data.start + off as usize;
            let bytes = file.get(range.clone()).unwrap_or_default();
            if roaring_serialized_len(bytes) != Some(bytes.len()) {
                let reason = format!("bitmap {} is not a roaring bitmap", k - 1);
                return Err(c.error_at(range.start, reason));
            }
        }
        prev = off;
    }
    if prev != data_len {
        let reason = format!("bitmaps end at {prev}, data is {data_len} bytes");
        return Err(c.error_at(t.bitmap_offsets.end - 8, reason));
    }
    Ok(())
}

/// Parses and checks the chunk refs section against the streams and the chunks section, and
/// returns the refs with the totals they add up to.
pub(super) fn parse_chunk_refs(
    file: &[u8],
    toc: &[TocEntry; 5],
    stream_count: u32,
) -> Result<(ChunkRefs, IndexStats)> {
    let [chunks, _, _, _, entry] = toc;
    let mut c = section_cursor(file, Section::ChunkRefs, entry);
    let end = entry.range(file.len()).map_or(0, |r| r.end);
    let count = c.be32()?;
    if count != stream_count {
        return Err(c.error_at(
            c.pos() - 4,
            format!("{count} streams, index has {stream_count}"),
        ));
    }
    let ref_count = c.be32()?;
    check_count(&c, end, count.saturating_add(1), 4, "stream ref offsets")?;
    let starts_table = c.table32(count as usize + 1)?;
    let expected = (ref_count as usize).saturating_mul(CHUNK_REF_LEN);
    if end - c.pos() != expected {
        let reason = format!("{ref_count} refs in {} bytes", end - c.pos());
        return Err(c.error(reason));
    }
    let starts = parse_ref_starts(file, &c, &starts_table, ref_count)?;
    let chunk_range = chunks.range(file.len()).unwrap_or(0..0);
    let mut refs = Vec::with_capacity(ref_count as usize);
    for (s, w) in (0u32..).zip(starts.windows(2)) {
        let &[from, to] = w else {
            continue;
        };
        for i in from..to {
            let at = c.pos();
            let r = ChunkRef::decode(&mut c)?;
            let prev = refs.last().filter(|_| i > from);
            check_ref(&c, at, &r, prev, &chunk_range, s)?;
            refs.push(r);
        }
    }
    let mut totals = IndexStats {
        streams: u64::from(count),
        chunks: refs.len() as u64,
        chunk_bytes: chunks.len,
        ..IndexStats::default()
    };
    for r in &refs {
        totals.entries = totals.entries.saturating_add(r.entries);
        totals.uncompressed_bytes = totals
            .uncompressed_bytes
            .saturating_add(r.uncompressed_bytes);
    }
    check_tiling(&c, &refs, &chunk_range)?;
    Ok((ChunkRefs { refs, starts }, totals))
}

/// The `stream_count + 1` indices of each stream's first ref: from 0, strictly increasing (every
/// stream has a chunk), to `ref_count`.
fn parse_ref_starts(
    file: &[u8],
    c: &Cursor<'_>,
    table: &Range<usize>,
    ref_count: u32,
) -> Result<Vec<u32>> {
    let count = table.len() / 4;
    let mut starts: Vec<u32> = Vec::with_capacity(count);
    for s in 0..count {
        let at = table.start + 4 * s;
        let start = u32_at(file, table, s).unwrap_or(u32::MAX);
        let prev = starts.last().copied();
        if (s == 0 && start != 0) || prev.is_some_and(|p| p >= start) || start > ref_count {
            return Err(c.error_at(at, format!("stream {s} refs start at {start}")));
        }
        starts.push(start);
    }
    if starts.last().copied() != Some(ref_count) {
        return Err(c.error_at(table.end - 4, "refs end before the last ref"));
    }
    Ok(starts)
}

fn check_ref(
    c: &Cursor<'_>,
    at: usize,
    r: &ChunkRef,
    prev: Option<&ChunkRef>,
    chunks: &Range<usize>,
    stream: u32,
) -> Result<()> {
    let end = r.offset.checked_add(u64::from(r.len));
    let inside = r.offset >= chunks.start as u64 && end.is_some_and(|e| e <= chunks.end as u64);
    let reason = if r.mint > r.maxt {
        format!("chunk mint {} after maxt {}", r.mint, r.maxt)
    } else if r.entries == 0 || r.len == 0 {
        "empty chunk".into()
    } else if !inside {
        format!(
            "chunk {}+{} outside the chunks section {chunks:?}",
            r.offset, r.len
        )
    } else if prev.is_some_and(|p| p.mint > r.mint) {
        "chunk refs not sorted by mint".into()
    } else {
        return Ok(());
    };
    Err(c.error_at(at, format!("stream {stream}: {reason}")))
}

/// The refs must cover the chunks section exactly, each byte once, so that every stored byte
/// belongs to one chunk.
fn check_tiling(c: &Cursor<'_>, refs: &[ChunkRef], chunks: &Range<usize>) -> Result<()> {
    let mut spans: Vec<(u64, u64)> = refs
        .iter()
        .map(|r| (r.offset, r.offset + u64::from(r.len)))
        .collect();
    spans.sort_unstable();
    let mut pos = chunks.start as u64;
    for (start, end) in spans {
        if start != pos {
            return Err(c.error(format!("chunk at {start} where one should start at {pos}")));
        }
        pos = end;
    }
    if pos != chunks.end as u64 {
        return Err(c.error(format!(
            "chunks end at {pos}, the section at {}",
            chunks.end
        )));
    }
    Ok(())
}

/// Lookups in parsed index tables. Every method answers `None` for an id at or past its count;
/// for ids below it, the checks of `IndexTables::parse` make `None` impossible.
#[derive(Debug, Clone, Copy)]
pub(super) struct Index<'a> {
    pub file: &'a [u8],
    pub t: &'a IndexTables,
}

impl<'a> Index<'a> {
    /// Symbol `id`.
    pub(super) fn symbol(self, id: u32) -> Option<&'a str> {
        let t = self.t;
        let start = u32_at(self.file, &t.symbol_offsets, id as usize)? as usize;
        let end = u32_at(self.file, &t.symbol_offsets, id as usize + 1)? as usize;
        let base = t.symbol_data.start;
        let bytes = self
            .file
            .get(base.checked_add(start)?..base.checked_add(end)?)?;
        std::str::from_utf8(bytes).ok()
    }

    /// Indices of stream `s`'s label pairs.
    fn pair_range(self, s: u32) -> Option<Range<u32>> {
        let start = u32_at(self.file, &self.t.pair_starts, s as usize)?;
        let end = u32_at(self.file, &self.t.pair_starts, s as usize + 1)?;
        Some(start..end)
    }

    /// Label pair `p` as (name id, value id).
    fn pair(self, p: u32) -> Option<[u32; 2]> {
        let name = u32_at(self.file, &self.t.pairs, 2 * p as usize)?;
        let value = u32_at(self.file, &self.t.pairs, 2 * p as usize + 1)?;
        Some([name, value])
    }

    /// Stream `s`'s labels as (name id, value id) pairs, in name order.
    pub(super) fn pairs(self, s: u32) -> Option<impl Iterator<Item = [u32; 2]> + 'a> {
        if s >= self.t.stream_count {
            return None;
        }
        Some(self.pair_range(s)?.filter_map(move |p| self.pair(p)))
    }

    /// Stream `s`'s label set.
    pub(super) fn labels(self, s: u32) -> Option<Labels> {
        let mut pairs = Vec::new();
        for [n, v] in self.pairs(s)? {
            pairs.push((self.symbol(n)?, self.symbol(v)?));
        }
        Labels::from_sorted(pairs).ok()
    }

    /// Number of label names in the postings.
    pub(super) fn name_count(self) -> u32 {
        self.t.name_count
    }

    /// Symbol id of postings name `i`.
    pub(super) fn name_symbol(self, i: u32) -> Option<u32> {
        u32_at(self.file, &self.t.names, i as usize)
    }

    /// Index of postings name `name`.
    pub(super) fn find_name(self, name: &str) -> Option<u32> {
        search(0..self.t.name_count, |i| {
            self.symbol(self.name_symbol(i)?).map(|s| s.cmp(name))
        })
    }

    /// Indices of the values of postings name `i`.
    pub(super) fn values(self, i: u32) -> Range<u32> {
        let start = u32_at(self.file, &self.t.value_starts, i as usize);
        let end = u32_at(self.file, &self.t.value_starts, i as usize + 1);
        match (start, end) {
            (Some(s), Some(e)) if i < self.t.name_count => s..e,
            _ => 0..0,
        }
    }

    /// Symbol id of value `j`.
    pub(super) fn value_symbol(self, j: u32) -> Option<u32> {
        u32_at(self.file, &self.t.values, j as usize)
    }

    /// Index of value `value` of postings name `i`.
    pub(super) fn find_value(self, i: u32, value: &str) -> Option<u32> {
        search(self.values(i), |j| {
            self.symbol(self.value_symbol(j)?).map(|s| s.cmp(value))
        })
    }

    /// Bitmap `k` (0: every stream; `j + 1`: streams with value `j`), deserialized and checked.
    pub(super) fn bitmap(self, k: u32) -> Result<RoaringBitmap> {
        let t = self.t;
        let offsets = &t.bitmap_offsets;
        let at = offsets.start + 8 * k as usize;
        let error = |at: usize, reason: &str| Section::Postings.error(at as u64, reason);
        let (Some(start), Some(end)) = (
            u64_at(self.file, offsets, k as usize),
            u64_at(self.file, offsets, k as usize + 1),
        ) else {
            return Err(error(at, "no such bitmap"));
        };
        let base = t.bitmap_data.start as u64;
        let range = base.saturating_add(start) as usize..base.saturating_add(end) as usize;
        let bytes = self.file.get(range.clone()).unwrap_or_default();
        if roaring_serialized_len(bytes) != Some(bytes.len()) {
            return Err(error(range.start, "not a roaring bitmap"));
        }
        let bitmap = RoaringBitmap::deserialize_from(bytes)
            .map_err(|e| error(range.start, &format!("roaring bitmap: {e}")))?;
        if bitmap.max().is_some_and(|m| m >= t.stream_count) {
            return Err(error(
                range.start,
                "bitmap holds a stream id past the last stream",
            ));
        }
        Ok(bitmap)
    }
}

/// Binary search over `range` for the index whose key compares `Equal`; `cmp` gives the key's
/// order relative to the target (`None`: unreadable, treated as not found).
fn search(range: Range<u32>, cmp: impl Fn(u32) -> Option<Ordering>) -> Option<u32> {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match cmp(mid)? {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}
