//! The byte layout of a segment file that the writer and the reader share: constants, the
//! sections and their table, the footer, the public value types stored in it, and the cursor
//! that reads big-endian integers from untrusted bytes. Layout: `docs/format/log-segments.md`.
//!
//! Every offset in an error from this module is an absolute offset in the file.
#![deny(clippy::indexing_slicing)]

use std::fmt;

use crate::error::{Error, Result, Structure};

/// First four bytes of a segment file, and its last four: `LOGS`.
pub(super) const MAGIC: u32 = 0x4c4f_4753;
/// Segment format version; a new layout gets a new number.
pub(super) const VERSION: u8 = 1;
/// Magic and version.
pub(super) const HEADER_LEN: usize = 5;
/// What follows the footer: its length, its CRC32 and the magic.
pub(super) const TRAILER_LEN: usize = 12;
/// One section table entry: offset, length, CRC32.
const TOC_ENTRY_LEN: usize = 20;
/// Footer bytes besides the tenant: tenant length, partition, totals, section table.
pub(super) const FOOTER_FIXED_LEN: usize = 2 + 16 + 32 + Section::ALL.len() * TOC_ENTRY_LEN;
/// Encoded size of one chunk reference.
pub(super) const CHUNK_REF_LEN: usize = 52;
/// Cookie of a serialized roaring bitmap without run containers (the portable format).
const ROARING_COOKIE_NO_RUNS: u32 = 12346;
/// Low 16 bits of the cookie of a serialized roaring bitmap with run containers.
const ROARING_COOKIE_RUNS: u32 = 12347;

/// The sections of a segment, in file order. The section table of the footer has one entry
/// per section in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    /// The chunks, back to back.
    Chunks,
    /// Label names and values, sorted, each once.
    Symbols,
    /// Stream id → label pairs.
    Streams,
    /// Label name → value → bitmap of stream ids, and the bitmap of every stream.
    Postings,
    /// Stream id → chunk references.
    ChunkRefs,
}

impl Section {
    /// Every section, in file order.
    pub(super) const ALL: [Section; 5] = [
        Section::Chunks,
        Section::Symbols,
        Section::Streams,
        Section::Postings,
        Section::ChunkRefs,
    ];

    /// Which structure a damaged section is reported as.
    pub(super) fn structure(self) -> Structure {
        match self {
            Section::Chunks => Structure::Segment,
            _ => Structure::SegmentIndex,
        }
    }

    /// What errors call it: `"symbols section"`.
    pub(super) fn what(self) -> &'static str {
        match self {
            Section::Chunks => "chunks section",
            Section::Symbols => "symbols section",
            Section::Streams => "streams section",
            Section::Postings => "postings section",
            Section::ChunkRefs => "chunk refs section",
        }
    }

    /// A corruption error in this section at absolute file offset `at`; the reason names it.
    pub(super) fn error(self, at: u64, reason: impl fmt::Display) -> Error {
        Error::corruption(self.structure(), at, format!("{}: {reason}", self.what()))
    }
}

/// A damaged header, footer or section table at absolute offset `at`.
pub(super) fn file_error(part: &str, at: u64, reason: impl fmt::Display) -> Error {
    Error::corruption(Structure::Segment, at, format!("{part}: {reason}"))
}

/// An argument a writer refuses. `Error` has no variant for bad arguments yet, so this is the
/// one place that picks the closest one.
pub(super) fn invalid_input(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidOption {
        name,
        reason: reason.into(),
    }
}

/// The time partition a segment belongs to: `mint <= t <= maxt`, nanoseconds since the Unix
/// epoch, both inclusive (e.g. one UTC day). Chunks may reach past it: a chunk is filed under
/// the partition it was flushed for, and [`super::SegmentReader::bounds`] tells where its data
/// lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    /// First nanosecond of the partition.
    pub mint: i64,
    /// Last nanosecond of the partition.
    pub maxt: i64,
}

/// Counts and sizes of some streams' chunks: of a whole segment (stored in its footer and
/// checked against its index on open), of one stream, or of the streams a selector picks over a
/// time range (Loki's `index/stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Streams.
    pub streams: u64,
    /// Chunks.
    pub chunks: u64,
    /// Log entries in all chunks.
    pub entries: u64,
    /// Uncompressed bytes of all chunks' block payloads.
    pub uncompressed_bytes: u64,
    /// Bytes of the chunks section (the chunks as stored, compressed).
    pub chunk_bytes: u64,
}

impl IndexStats {
    /// Counts one more chunk (its stream is counted by the caller).
    pub fn add_chunk(&mut self, r: &ChunkRef) {
        self.chunks += 1;
        self.entries = self.entries.saturating_add(r.entries);
        self.uncompressed_bytes = self.uncompressed_bytes.saturating_add(r.uncompressed_bytes);
        self.chunk_bytes = self.chunk_bytes.saturating_add(u64::from(r.len));
    }
}

/// Where a chunk of a segment is, and what its block headers say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkRef {
    /// Absolute offset of the chunk's first byte in the segment file.
    pub offset: u64,
    /// Length of the chunk in bytes.
    pub len: u32,
    /// Oldest entry, ns.
    pub mint: i64,
    /// Newest entry, ns.
    pub maxt: i64,
    /// Number of entries, at least 1.
    pub entries: u64,
    /// Uncompressed bytes of the chunk's block payloads.
    pub uncompressed_bytes: u64,
    /// Bytes of the chunk's entries as Loki counts them (lines plus structured metadata names
    /// and values), for index statistics and volumes without decompressing.
    pub entry_bytes: u64,
}

impl ChunkRef {
    /// True when the chunk may hold entries with `mint <= ts <= maxt` (both inclusive).
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.mint <= maxt && self.maxt >= mint
    }

    /// Appends the [`CHUNK_REF_LEN`]-byte encoding.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(&self.mint.to_be_bytes());
        out.extend_from_slice(&self.maxt.to_be_bytes());
        out.extend_from_slice(&self.entries.to_be_bytes());
        out.extend_from_slice(&self.uncompressed_bytes.to_be_bytes());
        out.extend_from_slice(&self.entry_bytes.to_be_bytes());
    }

    /// Decodes one reference; the caller checks it against the file.
    pub(super) fn decode(c: &mut Cursor<'_>) -> Result<ChunkRef> {
        Ok(ChunkRef {
            offset: c.be64()?,
            len: c.be32()?,
            mint: c.be64()? as i64,
            maxt: c.be64()? as i64,
            entries: c.be64()?,
            uncompressed_bytes: c.be64()?,
            entry_bytes: c.be64()?,
        })
    }
}

/// One entry of the section table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TocEntry {
    /// Absolute offset of the section.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// CRC32 of its bytes.
    pub crc32: u32,
}

impl TocEntry {
    /// The section's bytes as a range of the file, when it lies inside `file_len` bytes.
    pub(super) fn range(&self, file_len: usize) -> Option<std::ops::Range<usize>> {
        let start = usize::try_from(self.offset).ok()?;
        let end = start.checked_add(usize::try_from(self.len).ok()?)?;
        (end <= file_len).then_some(start..end)
    }
}

/// Everything the footer holds: what the segment is, its totals and its section table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Footer {
    pub tenant: String,
    pub partition: Partition,
    /// The totals; `chunk_bytes` is not stored (it is the chunks section's length).
    pub totals: IndexStats,
    pub toc: [TocEntry; 5],
}

impl Footer {
    /// Appends the footer and the trailer (footer length, CRC32, magic). The tenant is at most
    /// `u16::MAX` bytes (the writer checks).
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let tenant_len = self.tenant.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(tenant_len as u16).to_be_bytes());
        out.extend_from_slice(self.tenant.as_bytes().get(..tenant_len).unwrap_or_default());
        out.extend_from_slice(&self.partition.mint.to_be_bytes());
        out.extend_from_slice(&self.partition.maxt.to_be_bytes());
        for v in [
            self.totals.streams,
            self.totals.chunks,
            self.totals.entries,
            self.totals.uncompressed_bytes,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for e in &self.toc {
            out.extend_from_slice(&e.offset.to_be_bytes());
            out.extend_from_slice(&e.len.to_be_bytes());
            out.extend_from_slice(&e.crc32.to_be_bytes());
        }
        let footer_len = (out.len() - start) as u32;
        out.extend_from_slice(&footer_len.to_be_bytes());
        let crc = crc32fast::hash(out.get(start..).unwrap_or_default());
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&MAGIC.to_be_bytes());
    }

    /// Finds the footer from the end of `file`, checks its CRC and decodes it. Returns it with
    /// its absolute offset. The section table is not checked against the file here.
    pub(super) fn decode(file: &[u8]) -> Result<(Footer, usize)> {
        let len = file.len();
        if len < HEADER_LEN + TRAILER_LEN + FOOTER_FIXED_LEN {
            return Err(file_error(
                "footer",
                0,
                format!("{len} bytes are too short for a segment"),
            ));
        }
        let trailer_at = len - TRAILER_LEN;
        let mut t = Cursor::new(file, trailer_at, Structure::Segment, "trailer");
        let footer_len = t.be32()? as usize;
        let crc = t.be32()?;
        let magic = t.be32()?;
        if magic != MAGIC {
            let reason = format!("magic {magic:#010x}, want {MAGIC:#010x}");
            return Err(file_error("trailer", (len - 4) as u64, reason));
        }
        let max_footer = trailer_at - HEADER_LEN;
        if !(FOOTER_FIXED_LEN..=max_footer).contains(&footer_len) {
            let reason =
                format!("footer length {footer_len} not in {FOOTER_FIXED_LEN}..={max_footer}");
            return Err(file_error("trailer", trailer_at as u64, reason));
        }
        let footer_at = trailer_at - footer_len;
        let covered = file.get(footer_at..trailer_at + 4).unwrap_or_default();
        if crc32fast::hash(covered) != crc {
            return Err(file_error("footer", footer_at as u64, "checksum mismatch"));
        }
        let footer = Self::parse(file, footer_at, trailer_at)?;
        Ok((footer, footer_at))
    }

    fn parse(file: &[u8], footer_at: usize, end: usize) -> Result<Footer> {
        let mut c = Cursor::new(file, footer_at, Structure::Segment, "footer");
        let tenant_len = usize::from(c.be16()?);
        let tenant_at = c.pos();
        let tenant = std::str::from_utf8(c.bytes(tenant_len)?)
            .map_err(|_| c.error_at(tenant_at, "tenant is not UTF-8"))?;
        if tenant.is_empty() {
            return Err(c.error_at(tenant_at, "empty tenant"));
        }
        let partition = Partition {
            mint: c.be64()? as i64,
            maxt: c.be64()? as i64,
        };
        if partition.mint > partition.maxt {
            let reason = format!("partition {} after {}", partition.mint, partition.maxt);
            return Err(c.error_at(tenant_at + tenant_len, reason));
        }
        let totals = IndexStats {
            streams: c.be64()?,
            chunks: c.be64()?,
            entries: c.be64()?,
            uncompressed_bytes: c.be64()?,
            chunk_bytes: 0,
        };
        let mut toc = [TocEntry::default(); 5];
        for e in &mut toc {
            *e = TocEntry {
                offset: c.be64()?,
                len: c.be64()?,
                crc32: c.be32()?,
            };
        }
        if c.pos() != end {
            return Err(c.error(format!("{} bytes after the section table", end - c.pos())));
        }
        let totals = IndexStats {
            chunk_bytes: toc.first().map_or(0, |e| e.len),
            ..totals
        };
        Ok(Footer {
            tenant: tenant.to_owned(),
            partition,
            totals,
            toc,
        })
    }
}

/// Reads big-endian integers forward from an absolute position of untrusted bytes; every
/// failure is a corruption error at the absolute offset where it happened, prefixed by `what`.
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    structure: Structure,
    what: &'a str,
}

impl<'a> Cursor<'a> {
    /// A cursor at absolute offset `pos` of `buf` (the whole file).
    pub(super) fn new(buf: &'a [u8], pos: usize, structure: Structure, what: &'a str) -> Self {
        Self {
            buf,
            pos,
            structure,
            what,
        }
    }

    /// Absolute position.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// An error at the current position.
    pub(super) fn error(&self, reason: impl fmt::Display) -> Error {
        self.error_at(self.pos, reason)
    }

    /// An error at absolute offset `at`.
    pub(super) fn error_at(&self, at: usize, reason: impl fmt::Display) -> Error {
        Error::corruption(
            self.structure,
            at as u64,
            format!("{}: {reason}", self.what),
        )
    }

    /// The next `n` bytes.
    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let Some(b) = rest.get(..n) else {
            return Err(self.error(format!("{n} bytes needed, {} left", rest.len())));
        };
        self.pos += n;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    /// A big-endian u16.
    pub(super) fn be16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// A big-endian u32.
    pub(super) fn be32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// A big-endian u64.
    pub(super) fn be64(&mut self) -> Result<u64> {
        self.array().map(u64::from_be_bytes)
    }

    /// `count` big-endian u32 values as a byte range of the file (not decoded).
    pub(super) fn table32(&mut self, count: usize) -> Result<std::ops::Range<usize>> {
        let start = self.pos;
        self.bytes(count.saturating_mul(4))?;
        Ok(start..self.pos)
    }
}

/// The `i`-th big-endian u32 of `table` (a range of `file`).
pub(super) fn u32_at(file: &[u8], table: &std::ops::Range<usize>, i: usize) -> Option<u32> {
    let at = table.start.checked_add(i.checked_mul(4)?)?;
    let end = at.checked_add(4)?;
    if end > table.end {
        return None;
    }
    let b: [u8; 4] = file.get(at..end)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// The `i`-th big-endian u64 of `table` (a range of `file`).
pub(super) fn u64_at(file: &[u8], table: &std::ops::Range<usize>, i: usize) -> Option<u64> {
    let at = table.start.checked_add(i.checked_mul(8)?)?;
    let end = at.checked_add(8)?;
    if end > table.end {
        return None;
    }
    let b: [u8; 8] = file.get(at..end)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// The length a serialized roaring bitmap at the start of `b` declares through its container
/// headers, or `None` when its headers do not fit `b`. Checking this before deserializing
/// keeps the deserializer from allocating for containers the bytes cannot hold.
pub(super) fn roaring_serialized_len(b: &[u8]) -> Option<usize> {
    let le16 = |at: usize| -> Option<usize> {
        let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(usize::from(u16::from_le_bytes(a)))
    };
    let le32 = |at: usize| -> Option<u32> {
        let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_le_bytes(a))
    };
    let cookie = le32(0)?;
    // (containers, where the descriptions start, where the run bitmap is, offsets present)
    let (size, descriptions, runs_at, has_offsets) = if cookie == ROARING_COOKIE_NO_RUNS {
        (le32(4)? as usize, 8, None, true)
    } else if cookie & 0xffff == ROARING_COOKIE_RUNS {
        let size = (cookie >> 16) as usize + 1;
        (size, 4 + size.div_ceil(8), Some(4usize), size >= 4)
    } else {
        return None;
    };
    if size > 1 << 16 {
        return None;
    }
    let offsets_len = if has_offsets { size * 4 } else { 0 };
    let mut pos = descriptions + size * 4 + offsets_len;
    if pos > b.len() {
        return None;
    }
    for i in 0..size {
        let cardinality = le16(descriptions + 4 * i + 2)? + 1;
        let is_run = match runs_at {
            Some(at) => (b.get(at + i / 8)? >> (i % 8)) & 1 == 1,
            None => false,
        };
        let len = if is_run {
            2 + 4 * le16(pos)?
        } else if cardinality <= 4096 {
            2 * cardinality
        } else {
            8192
        };
        pos += len;
        if pos > b.len() {
            return None;
        }
    }
    Some(pos)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index known-good data")]
mod tests {
    use roaring::RoaringBitmap;

    use super::*;

    #[test]
    fn roaring_length_matches_serialized_size() {
        let shapes: Vec<RoaringBitmap> = vec![
            RoaringBitmap::new(),
            (0..3).collect(),
            (0..5000).collect(),
            (0..200_000).step_by(3).collect(),
            [1, 70_000, 140_000, 300_000, 400_000].into_iter().collect(),
        ];
        for mut bitmap in shapes {
            for optimize in [false, true] {
                if optimize {
                    bitmap.optimize();
                }
                let mut bytes = Vec::new();
                bitmap.serialize_into(&mut bytes).unwrap();
                assert_eq!(roaring_serialized_len(&bytes), Some(bytes.len()));
                for cut in 0..bytes.len() {
                    assert_ne!(roaring_serialized_len(&bytes[..cut]), Some(cut));
                }
            }
        }
    }

    #[test]
    fn footer_round_trips_and_rejects_damage() {
        let footer = Footer {
            tenant: "team-a".into(),
            partition: Partition { mint: -5, maxt: 7 },
            totals: IndexStats {
                streams: 1,
                chunks: 2,
                entries: 3,
                uncompressed_bytes: 4,
                chunk_bytes: 0,
            },
            toc: [TocEntry {
                offset: 5,
                len: 0,
                crc32: 9,
            }; 5],
        };
        let mut file = vec![0u8; HEADER_LEN];
        footer.encode(&mut file);
        let (decoded, at) = Footer::decode(&file).unwrap();
        assert_eq!(at, HEADER_LEN);
        assert_eq!(decoded, footer);
        for i in HEADER_LEN..file.len() {
            let mut damaged = file.clone();
            damaged[i] ^= 0x10;
            assert!(Footer::decode(&damaged).is_err(), "flip at {i} accepted");
        }
    }
}
