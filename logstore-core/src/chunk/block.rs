//! Reading log blocks and chunks: the block header, the sealed block, the decoder of a block's
//! payload, and the chunk reader. Writing is in `head`. Layouts: `docs/format/log-chunks.md`.
//!
//! A block holds entries (timestamp in ns, line bytes, structured metadata) sorted by timestamp,
//! ties in arrival order. Its payload is columnar so that the line filter can search every line
//! of a block with one substring search:
//!
//! ```text
//! timestamps: the gaps after the header's mint, as a gap table and indexes or in a unit
//!             (the `timestamps` module)
//! multi-line: count uvarint, then per entry whose line holds k >= 1 newlines, ascending:
//!             (index delta uvarint, k uvarint)
//! lines:      the n lines, each followed by one `\n`
//! metadata:   symbol count uvarint, symbols (uvarint length + UTF-8), then, only when there are
//!             symbols, per entry: pair count uvarint + (name id, value id) uvarint pairs
//! ```
//!
//! Newline-terminated lines compress better than a column of lengths (zstd models `\n` in text
//! far better than length bytes), and the decoder finds the lines with one `memchr` pass. A line
//! may itself contain `\n` (Loki allows it); the multi-line list says how many newlines such a
//! line holds before its terminator.
//!
//! A sealed block is that payload zstd-compressed, behind a fixed header (encoding, mint, maxt,
//! entry count, uncompressed size, compressed size, CRC32 of the compressed bytes) that a reader
//! uses to skip blocks outside a time range without decompressing them. A chunk is a header, the
//! table of its blocks' headers with a CRC32, then the blocks' compressed bytes.
//!
//! Everything here reads untrusted bytes: it never panics, checks checksums before
//! decompressing, allocates at most [`MAX_BLOCK_SIZE`] for a payload (and index vectors bounded
//! by the payload size), and reports every inconsistency as [`Error::Corruption`].
#![deny(clippy::indexing_slicing)]

use std::cell::RefCell;
use std::ops::Range;

use crate::error::{Error, Result, Structure};

use super::timestamps;

/// The largest uncompressed payload a block may have; a decoder refuses to allocate more.
pub const MAX_BLOCK_SIZE: usize = 64 << 20;

/// zstd level used when none is configured (zstd's own default).
pub const DEFAULT_COMPRESSION_LEVEL: i32 = 3;

/// Encoding byte of a block whose payload has newline-terminated lines (layout in the module
/// doc), compressed as one zstd frame. New encodings get new values, never reused: 1 was the
/// length-prefixed layout, which is no longer read.
const ENCODING_ZSTD_NEWLINES: u8 = 2;

/// Length of an encoded [`BlockHeader`].
pub const BLOCK_HEADER_LEN: usize = 33;

/// The smallest payload of `n` entries: the gap table length, the unit, a gap byte per entry
/// but the first, a newline per entry, the multi-line count and the symbol count.
fn min_payload_len(entries: u64) -> u64 {
    entries.saturating_mul(2).saturating_add(3)
}

/// First four bytes of a chunk: `LOGC`.
pub(super) const CHUNK_MAGIC: u32 = 0x4c4f_4743;
/// Chunk format version; a new layout gets a new number.
pub(super) const CHUNK_VERSION: u8 = 1;
/// Magic, version and block count.
pub(super) const CHUNK_HEADER_LEN: usize = 9;

thread_local! {
    /// One zstd decompression context per thread.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// What a reader knows about a sealed block without decompressing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Timestamp of the first (oldest) entry, ns.
    pub mint: i64,
    /// Timestamp of the last (newest) entry, ns.
    pub maxt: i64,
    /// Number of entries, at least 1.
    pub entries: u32,
    /// Size of the decompressed payload, at most [`MAX_BLOCK_SIZE`].
    pub uncompressed_len: u32,
    /// Size of the compressed bytes.
    pub compressed_len: u32,
    /// CRC32 (IEEE, as `crc32fast` computes it) of the compressed bytes.
    pub crc32: u32,
}

impl BlockHeader {
    /// True when the block may hold entries with `mint <= ts <= maxt`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.mint <= maxt && self.maxt >= mint
    }

    /// Appends the [`BLOCK_HEADER_LEN`]-byte encoding: encoding byte, then big-endian mint,
    /// maxt, entries, uncompressed length, compressed length, CRC32.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ENCODING_ZSTD_NEWLINES);
        out.extend_from_slice(&self.mint.to_be_bytes());
        out.extend_from_slice(&self.maxt.to_be_bytes());
        out.extend_from_slice(&self.entries.to_be_bytes());
        out.extend_from_slice(&self.uncompressed_len.to_be_bytes());
        out.extend_from_slice(&self.compressed_len.to_be_bytes());
        out.extend_from_slice(&self.crc32.to_be_bytes());
    }

    /// Decodes and sanity-checks a header from the front of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<BlockHeader> {
        let mut r = ByteReader::new(bytes, Structure::BlockHeader);
        let encoding = r.u8()?;
        if encoding != ENCODING_ZSTD_NEWLINES {
            return Err(r.error_at(
                0,
                format!(
                    "unknown block encoding {encoding} (this reader knows only \
                     {ENCODING_ZSTD_NEWLINES}, zstd with newline-terminated lines)"
                ),
            ));
        }
        let header = BlockHeader {
            mint: r.be64()? as i64,
            maxt: r.be64()? as i64,
            entries: r.be32()?,
            uncompressed_len: r.be32()?,
            compressed_len: r.be32()?,
            crc32: r.be32()?,
        };
        header.validate()?;
        Ok(header)
    }

    /// Checks the header's fields against each other, so that a damaged header is reported
    /// before anything is allocated from it.
    fn validate(&self) -> Result<()> {
        let bad =
            |offset, reason: String| Err(Error::corruption(Structure::BlockHeader, offset, reason));
        if self.mint > self.maxt {
            return bad(1, format!("mint {} after maxt {}", self.mint, self.maxt));
        }
        if self.entries == 0 {
            return bad(17, "a block with no entries".into());
        }
        if self.uncompressed_len as usize > MAX_BLOCK_SIZE {
            return bad(
                21,
                format!(
                    "uncompressed size {} over the maximum {MAX_BLOCK_SIZE}",
                    self.uncompressed_len
                ),
            );
        }
        if u64::from(self.uncompressed_len) < min_payload_len(u64::from(self.entries)) {
            return bad(
                21,
                format!(
                    "uncompressed size {} too small for {} entries",
                    self.uncompressed_len, self.entries
                ),
            );
        }
        if self.compressed_len == 0 {
            return bad(25, "no compressed bytes".into());
        }
        Ok(())
    }
}

/// A block as it is stored: header and zstd-compressed payload. Immutable once built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBlock {
    header: BlockHeader,
    data: Box<[u8]>,
}

impl SealedBlock {
    /// A block from its parts; the writer guarantees they belong together.
    pub(super) fn new(header: BlockHeader, data: Box<[u8]>) -> Self {
        Self { header, data }
    }

    /// The header.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// The compressed payload.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Decompresses and decodes the block.
    pub fn decode(&self) -> Result<DecodedBlock> {
        decode_block(&self.header, &self.data)
    }

    /// The standalone form: header followed by the compressed payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BLOCK_HEADER_LEN + self.data.len());
        self.header.encode(&mut out);
        out.extend_from_slice(&self.data);
        out
    }

    /// Parses the standalone form written by [`SealedBlock::to_bytes`]. Checks the header and
    /// the length, not the checksum (that is checked by [`SealedBlock::decode`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<SealedBlock> {
        let header = BlockHeader::decode(bytes)?;
        let data = bytes.get(BLOCK_HEADER_LEN..).unwrap_or_default();
        check_data_len(&header, data)?;
        Ok(SealedBlock::new(header, data.into()))
    }
}

fn check_data_len(header: &BlockHeader, data: &[u8]) -> Result<()> {
    if data.len() == header.compressed_len as usize {
        return Ok(());
    }
    let reason = format!(
        "{} compressed bytes, header says {}",
        data.len(),
        header.compressed_len
    );
    Err(Error::corruption(Structure::BlockData, 0, reason))
}

/// Decompresses `data` into a buffer of at most `len` bytes with this thread's zstd context.
fn decompress(data: &[u8], len: usize) -> Result<Vec<u8>> {
    let zstd_error =
        |e: std::io::Error| Error::corruption(Structure::BlockData, 0, format!("zstd: {e}"));
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let ctx = match &mut *slot {
            Some(ctx) => ctx,
            empty => empty.insert(zstd::bulk::Decompressor::new().map_err(Error::Zstd)?),
        };
        ctx.decompress(data, len).map_err(zstd_error)
    })
}

/// Checks, decompresses and decodes a block's compressed bytes.
pub fn decode_block(header: &BlockHeader, data: &[u8]) -> Result<DecodedBlock> {
    header.validate()?;
    check_data_len(header, data)?;
    let crc = crc32fast::hash(data);
    if crc != header.crc32 {
        let reason = format!("checksum {crc:#010x}, header says {:#010x}", header.crc32);
        return Err(Error::corruption(Structure::BlockData, 0, reason));
    }
    let payload = decompress(data, header.uncompressed_len as usize)?;
    if payload.len() != header.uncompressed_len as usize {
        let reason = format!(
            "decompressed to {} bytes, header says {}",
            payload.len(),
            header.uncompressed_len
        );
        return Err(Error::corruption(Structure::BlockData, 0, reason));
    }
    DecodedBlock::parse(payload, header)
}

/// A decompressed block: the payload plus the offsets that locate each entry's parts in it.
/// Lines are never copied out of the payload; the line filter searches them in place.
///
/// Invariants (checked by `DecodedBlock::parse`): `timestamps` is sorted and has one element
/// per entry; `line_offsets` has one more, starts at 0, strictly increases, and its last value
/// is the length of `lines`, which lies inside `payload`; the byte before each offset but the
/// first is the `\n` that ends the line before it; `meta_offsets` is empty (no entry has
/// metadata) or has `n + 1` non-decreasing offsets into `meta_pairs`; every pair's ids index
/// `symbols`.
#[derive(Debug, Clone)]
pub struct DecodedBlock {
    payload: Vec<u8>,
    timestamps: Vec<i64>,
    line_offsets: Vec<u32>,
    lines: Range<usize>,
    symbols: Vec<Box<str>>,
    meta_offsets: Vec<u32>,
    meta_pairs: Vec<[u32; 2]>,
}

impl DecodedBlock {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when there are no entries (never for a decoded block).
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Timestamps, sorted.
    pub fn timestamps(&self) -> &[i64] {
        &self.timestamps
    }

    /// Every line in entry order, each followed by its terminating `\n`.
    pub fn lines_region(&self) -> &[u8] {
        self.payload.get(self.lines.clone()).unwrap_or_default()
    }

    /// Where each line starts in [`DecodedBlock::lines_region`], plus the region's length:
    /// line `i` with its terminating `\n` is `offsets[i]..offsets[i + 1]`, so the line itself
    /// is `offsets[i]..offsets[i + 1] - 1`.
    pub fn line_offsets(&self) -> &[u32] {
        &self.line_offsets
    }

    /// The bytes of line `i` in [`DecodedBlock::lines_region`], without its terminating `\n`
    /// (which is at `span.end`), if there is such an entry.
    pub fn line_span(&self, i: usize) -> Option<Range<usize>> {
        let start = *self.line_offsets.get(i)? as usize;
        let next = *self.line_offsets.get(i + 1)? as usize;
        Some(start..next.saturating_sub(1).max(start))
    }

    /// Line `i` without its terminating `\n`, if there is such an entry.
    pub fn line(&self, i: usize) -> Option<&[u8]> {
        self.lines_region().get(self.line_span(i)?)
    }

    /// Index of the line whose bytes or terminating `\n` contain `offset` of the lines region
    /// (the last line for an offset at or past the end).
    pub fn line_at(&self, offset: usize) -> usize {
        let offset = offset.min(u32::MAX as usize) as u32;
        self.line_offsets
            .partition_point(|&o| o <= offset)
            .saturating_sub(1)
            .min(self.len().saturating_sub(1))
    }

    /// Indices of the entries with `mint <= ts <= maxt`.
    pub fn index_range(&self, mint: i64, maxt: i64) -> Range<usize> {
        let start = self.timestamps.partition_point(|&t| t < mint);
        let end = self.timestamps.partition_point(|&t| t <= maxt);
        start..end.max(start)
    }

    /// Entry `i`, borrowing from the block.
    pub fn entry(&self, i: usize) -> Option<EntryRef<'_>> {
        let pairs = match (self.meta_offsets.get(i), self.meta_offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => self.meta_pairs.get(start as usize..end as usize),
            _ => Some(&[][..]),
        };
        Some(EntryRef {
            ts: *self.timestamps.get(i)?,
            line: self.line(i)?,
            metadata: Metadata {
                symbols: &self.symbols,
                pairs: pairs.unwrap_or_default(),
            },
        })
    }

    /// Every entry in order.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = EntryRef<'_>> {
        (0..self.len()).filter_map(|i| self.entry(i))
    }

    /// Parses a decompressed payload whose header is `header`, checking every invariant.
    pub(crate) fn parse(payload: Vec<u8>, header: &BlockHeader) -> Result<DecodedBlock> {
        let mut r = ByteReader::new(&payload, Structure::BlockPayload);
        let n = header.entries as usize;
        if min_payload_len(n as u64) > payload.len() as u64 || payload.len() > MAX_BLOCK_SIZE {
            return Err(r.error_at(
                0,
                format!("{} bytes cannot hold {n} entries", payload.len()),
            ));
        }
        let timestamps = timestamps::parse(&mut r, n, header.mint)?;
        let multiline = parse_multiline(&mut r, n)?;
        let (line_offsets, lines) = parse_lines(&mut r, n, &multiline)?;
        let symbols = parse_symbols(&mut r)?;
        let (meta_offsets, meta_pairs) = match symbols.len() {
            0 => (Vec::new(), Vec::new()),
            count => parse_pairs(&mut r, n, count)?,
        };
        if !r.rest().is_empty() {
            return Err(r.error(format!("{} bytes after the metadata", r.rest().len())));
        }
        // Checked last so that a fuzzer's synthetic header still reaches every section.
        if timestamps.last() != Some(&header.maxt) {
            let reason = format!(
                "newest timestamp {:?}, header says maxt {}",
                timestamps.last(),
                header.maxt
            );
            return Err(r.error_at(0, reason));
        }
        Ok(DecodedBlock {
            payload,
            timestamps,
            line_offsets,
            lines,
            symbols,
            meta_offsets,
            meta_pairs,
        })
    }
}

/// One entry of the multi-line list: an entry index and the newlines its line holds (at least
/// one) before its terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Multiline {
    index: usize,
    newlines: usize,
}

/// Reads the multi-line list: indices strictly increasing and below `n`, counts at least 1, and
/// all the newlines they promise (plus one terminator per entry) fitting in what follows.
fn parse_multiline(r: &mut ByteReader<'_>, n: usize) -> Result<Vec<Multiline>> {
    let at = r.pos();
    let count = r.uvarint()?;
    if count > n as u64 || count > (r.rest().len() / 2) as u64 {
        let reason = format!(
            "{count} multi-line entries among {n} entries in {} bytes",
            r.rest().len()
        );
        return Err(r.error_at(at, reason));
    }
    let mut list = Vec::with_capacity(count as usize);
    let mut newlines_needed = n as u64;
    let mut index: u64 = 0;
    for j in 0..count {
        let at = r.pos();
        let delta = r.uvarint()?;
        if j > 0 && delta == 0 {
            return Err(r.error_at(at, format!("multi-line entry {index} listed twice")));
        }
        index = index.saturating_add(delta);
        if index >= n as u64 {
            return Err(r.error_at(at, format!("multi-line entry {index} of {n} entries")));
        }
        let at = r.pos();
        let newlines = r.uvarint()?;
        newlines_needed = newlines_needed.saturating_add(newlines);
        if newlines == 0 || newlines_needed > r.rest().len() as u64 {
            let reason = format!(
                "entry {index} listed with {newlines} newlines, {newlines_needed} needed in all \
                 in {} bytes",
                r.rest().len()
            );
            return Err(r.error_at(at, reason));
        }
        list.push(Multiline {
            index: index as usize,
            newlines: newlines as usize,
        });
    }
    Ok(list)
}

/// Finds the end of each of the `n` lines: the next newline, or for a multi-line entry the
/// newline after the ones its line holds. The lines region ends after the last terminator.
fn parse_lines(
    r: &mut ByteReader<'_>,
    n: usize,
    multiline: &[Multiline],
) -> Result<(Vec<u32>, Range<usize>)> {
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0u32);
    // The payload is at most MAX_BLOCK_SIZE bytes, so every offset fits a u32.
    let mut newlines = memchr::memchr_iter(b'\n', r.rest()).map(|p| p as u32 + 1);
    if multiline.is_empty() {
        offsets.extend(newlines.by_ref().take(n));
    } else {
        let mut multiline = multiline.iter().peekable();
        for i in 0..n {
            let inside = multiline
                .next_if(|m| m.index == i)
                .map_or(0, |m| m.newlines);
            let Some(end) = newlines.nth(inside) else {
                break;
            };
            offsets.push(end);
        }
    }
    if offsets.len() != n + 1 {
        let line = offsets.len() - 1;
        let reason = format!("line {line} of {n} is not terminated by a newline");
        return Err(r.error(reason));
    }
    let len = offsets.last().map_or(0, |&end| end as usize);
    let start = r.pos();
    r.bytes(len)?;
    Ok((offsets, start..r.pos()))
}

fn parse_symbols(r: &mut ByteReader<'_>) -> Result<Vec<Box<str>>> {
    let count = r.uvarint()?;
    if count > r.rest().len() as u64 {
        return Err(r.error(format!("{count} symbols in {} bytes", r.rest().len())));
    }
    let mut symbols = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let at = r.pos();
        let len = r.uvarint()?;
        let bytes = r.bytes(usize::try_from(len).unwrap_or(usize::MAX))?;
        let s =
            std::str::from_utf8(bytes).map_err(|_| r.error_at(at, "symbol is not UTF-8".into()))?;
        symbols.push(s.into());
    }
    Ok(symbols)
}

fn parse_pairs(
    r: &mut ByteReader<'_>,
    n: usize,
    symbols: usize,
) -> Result<(Vec<u32>, Vec<[u32; 2]>)> {
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0u32);
    let mut pairs = Vec::new();
    let id = |r: &mut ByteReader<'_>| -> Result<u32> {
        let at = r.pos();
        match r.uvarint()? {
            v if v < symbols as u64 => Ok(v as u32),
            v => Err(r.error_at(at, format!("symbol id {v} of {symbols}"))),
        }
    };
    for _ in 0..n {
        let at = r.pos();
        let count = r.uvarint()?;
        if count > (r.rest().len() / 2) as u64 {
            return Err(r.error_at(
                at,
                format!("{count} metadata pairs in {} bytes", r.rest().len()),
            ));
        }
        for _ in 0..count {
            pairs.push([id(r)?, id(r)?]);
        }
        offsets.push(pairs.len() as u32);
    }
    Ok((offsets, pairs))
}

/// One decoded entry, borrowing from its block.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// Timestamp, ns.
    pub ts: i64,
    /// The line.
    pub line: &'a [u8],
    /// Structured metadata.
    pub metadata: Metadata<'a>,
}

impl EntryRef<'_> {
    /// The entry copied out of its block.
    pub fn to_log_entry(self) -> model::logs::LogEntry {
        model::logs::LogEntry {
            ts: self.ts,
            line: self.line.to_vec(),
            metadata: self
                .metadata
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

/// An entry's structured metadata: (name, value) pairs in the order they were appended.
#[derive(Debug, Clone, Copy)]
pub struct Metadata<'a> {
    symbols: &'a [Box<str>],
    pairs: &'a [[u32; 2]],
}

impl<'a> Metadata<'a> {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let symbols = self.symbols;
        self.pairs.iter().filter_map(move |&[n, v]| {
            Some((&**symbols.get(n as usize)?, &**symbols.get(v as usize)?))
        })
    }
}

/// Reads from the front of untrusted bytes; every failure is a corruption error at the offset
/// where it happened.
pub(crate) struct ByteReader<'a> {
    buf: &'a [u8],
    pos: usize,
    structure: Structure,
}

impl<'a> ByteReader<'a> {
    pub(crate) fn new(buf: &'a [u8], structure: Structure) -> Self {
        Self {
            buf,
            pos: 0,
            structure,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn error(&self, reason: String) -> Error {
        self.error_at(self.pos, reason)
    }

    pub(crate) fn error_at(&self, offset: usize, reason: String) -> Error {
        Error::corruption(self.structure, offset as u64, reason)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let Some(b) = self.rest().get(..n) else {
            return Err(self.error(format!("{n} bytes needed, {} left", self.rest().len())));
        };
        self.pos += n;
        Ok(b)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let b = self.bytes(1)?;
        Ok(b.first().copied().unwrap_or_default())
    }

    pub(crate) fn be32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.bytes(4)?);
        Ok(u32::from_be_bytes(a))
    }

    pub(crate) fn be64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.bytes(8)?);
        Ok(u64::from_be_bytes(a))
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits 64 bits.
    pub(crate) fn uvarint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for (i, &b) in self.rest().iter().take(10).enumerate() {
            if i == 9 && b > 1 {
                break;
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        Err(self.error("truncated or overlong varint".into()))
    }
}

/// Appends `v` as an unsigned LEB128 varint.
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes `v` takes as a uvarint.
pub(super) fn uvarint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Reads a chunk's block headers (checked against their CRC) and hands out its blocks, which
/// are decompressed only when [`ChunkBlock::decode`] is called.
#[derive(Debug, Clone)]
pub struct ChunkReader<'a> {
    blocks: Vec<ChunkBlock<'a>>,
}

/// One block of a chunk being read: its header and its still compressed bytes.
#[derive(Debug, Clone, Copy)]
pub struct ChunkBlock<'a> {
    /// The block's header.
    pub header: BlockHeader,
    /// The compressed bytes.
    pub data: &'a [u8],
}

impl ChunkBlock<'_> {
    /// Checks, decompresses and decodes the block.
    pub fn decode(&self) -> Result<DecodedBlock> {
        decode_block(&self.header, self.data)
    }
}

impl<'a> ChunkReader<'a> {
    /// Parses the chunk header and block header table of `bytes`; every block's bytes must
    /// follow exactly.
    pub fn new(bytes: &'a [u8]) -> Result<Self> {
        let mut r = ByteReader::new(bytes, Structure::Chunk);
        let magic = r.be32()?;
        if magic != CHUNK_MAGIC {
            return Err(r.error_at(0, format!("magic {magic:#010x}, want {CHUNK_MAGIC:#010x}")));
        }
        let version = r.u8()?;
        if version != CHUNK_VERSION {
            return Err(r.error_at(4, format!("unknown version {version}")));
        }
        let count = r.be32()? as usize;
        let table_len = count.saturating_mul(BLOCK_HEADER_LEN);
        if table_len.saturating_add(4) > r.rest().len() {
            return Err(r.error(format!(
                "{count} block headers do not fit {} bytes",
                r.rest().len()
            )));
        }
        let table = r.bytes(table_len)?;
        let covered = bytes.get(..r.pos()).unwrap_or_default();
        let crc = r.be32()?;
        if crc32fast::hash(covered) != crc {
            return Err(r.error_at(covered.len(), "block header table checksum mismatch".into()));
        }
        let mut blocks = Vec::with_capacity(count);
        for (i, raw) in table.chunks_exact(BLOCK_HEADER_LEN).enumerate() {
            let at = CHUNK_HEADER_LEN + i * BLOCK_HEADER_LEN;
            let header =
                BlockHeader::decode(raw).map_err(|e| r.error_at(at, format!("block {i}: {e}")))?;
            let data = r.bytes(header.compressed_len as usize)?;
            blocks.push(ChunkBlock { header, data });
        }
        if !r.rest().is_empty() {
            return Err(r.error(format!("{} bytes after the last block", r.rest().len())));
        }
        Ok(Self { blocks })
    }

    /// The blocks in stored order.
    pub fn blocks(&self) -> &[ChunkBlock<'a>] {
        &self.blocks
    }

    /// The blocks that may hold entries with `mint <= ts <= maxt`, found from their headers
    /// alone.
    pub fn blocks_overlapping(
        &self,
        mint: i64,
        maxt: i64,
    ) -> impl Iterator<Item = &ChunkBlock<'a>> {
        self.blocks
            .iter()
            .filter(move |b| b.header.overlaps(mint, maxt))
    }

    /// Oldest and newest timestamps over all blocks, when there are blocks.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        let mint = self.blocks.iter().map(|b| b.header.mint).min()?;
        let maxt = self.blocks.iter().map(|b| b.header.maxt).max()?;
        Some((mint, maxt))
    }

    /// Total entries.
    pub fn entries(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| u64::from(b.header.entries))
            .sum()
    }

    /// True when reading the blocks one after the other yields entries in timestamp order (no
    /// block starts before the previous one ends); false after out-of-order inserts crossed a
    /// seal, in which case a reader merges the blocks.
    pub fn blocks_ordered(&self) -> bool {
        self.blocks
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.header.maxt <= b.header.mint))
    }
}

#[cfg(test)]
#[path = "block_tests.rs"]
pub(crate) mod tests;
