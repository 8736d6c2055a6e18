//! Writing segment files: [`SegmentWriter`] streams chunks into any `Write` and appends the
//! index and footer at [`SegmentWriter::finish`]; [`write_segment`] writes a file durably
//! (`<dir>/<name>.tmp`, fsync, rename to `<dir>/<name>`, fsync the directory), so a segment
//! file either exists whole under its final name or not at all. Layout:
//! `docs/format/log-segments.md`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use model::Labels;

use super::build::build_index;
use super::format::{
    ChunkRef, Footer, HEADER_LEN, IndexStats, MAGIC, Partition, TocEntry, VERSION, invalid_input,
};
use crate::chunk::ChunkReader;
use crate::error::{Error, Result};

/// One chunk to store: its bytes (as `HeadChunk::finish` or `encode_chunk` produce them) and
/// what its block headers say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInput<'a> {
    /// The chunk.
    pub bytes: &'a [u8],
    /// Oldest entry, ns.
    pub mint: i64,
    /// Newest entry, ns.
    pub maxt: i64,
    /// Number of entries.
    pub entries: u64,
    /// Uncompressed bytes of its block payloads.
    pub uncompressed_bytes: u64,
    /// Bytes of its entries' lines and structured metadata (the writer cannot check this one
    /// without decompressing; [`ChunkInput::from_chunk`] computes it).
    pub entry_bytes: u64,
}

impl<'a> ChunkInput<'a> {
    /// The input for chunk `bytes`: fields read from its block headers, entry bytes from its
    /// decoded blocks. Fails when the bytes are not a chunk with at least one block.
    pub fn from_chunk(bytes: &'a [u8]) -> Result<Self> {
        let (mint, maxt, entries, uncompressed_bytes) = header_summary(bytes)?;
        let mut entry_bytes = 0u64;
        for b in ChunkReader::new(bytes)?.blocks() {
            let block = b.decode()?;
            for e in block.entries() {
                let md: usize = e.metadata.iter().map(|(n, v)| n.len() + v.len()).sum();
                entry_bytes += (e.line.len() + md) as u64;
            }
        }
        Ok(Self {
            bytes,
            mint,
            maxt,
            entries,
            uncompressed_bytes,
            entry_bytes,
        })
    }
}

impl<'a> ChunkInput<'a> {
    /// The input for a chunk read from a segment: its bytes there and what its ref says.
    pub fn from_ref(bytes: &'a [u8], r: &ChunkRef) -> Self {
        Self {
            bytes,
            mint: r.mint,
            maxt: r.maxt,
            entries: r.entries,
            uncompressed_bytes: r.uncompressed_bytes,
            entry_bytes: r.entry_bytes,
        }
    }
}

/// Bounds, entry count and payload bytes of a chunk, from its block headers alone.
fn header_summary(bytes: &[u8]) -> Result<(i64, i64, u64, u64)> {
    let reader = ChunkReader::new(bytes)?;
    let Some((mint, maxt)) = reader.bounds() else {
        return Err(invalid_input("chunk", "a chunk without blocks"));
    };
    let uncompressed = reader
        .blocks()
        .iter()
        .map(|b| u64::from(b.header.uncompressed_len))
        .sum();
    Ok((mint, maxt, reader.entries(), uncompressed))
}

/// One stream's chunks to store.
#[derive(Debug, Clone)]
pub struct StreamInput<'a> {
    /// The stream's labels.
    pub labels: Labels,
    /// Its chunks, in any order.
    pub chunks: Vec<ChunkInput<'a>>,
}

/// A segment file that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFile {
    /// Its final path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// What it holds.
    pub totals: IndexStats,
}

/// Writes one segment into `W`: the header at creation, chunks as they are added, the index
/// and footer at [`SegmentWriter::finish`].
///
/// Streams may be added in any order and a stream's chunks in any order; chunks are stored in
/// the order added, the index lists streams in label order and each stream's chunks by `mint`.
/// Chunks added under equal labels belong to one stream. A stream exists once it has a chunk.
/// After a failed write every call fails: the bytes written so far are unusable.
#[derive(Debug)]
pub struct SegmentWriter<W: Write> {
    out: W,
    /// Names the destination in errors.
    path: PathBuf,
    tenant: String,
    partition: Partition,
    /// Bytes written so far.
    pos: u64,
    /// CRC32 of the chunks written so far.
    chunks_crc: crc32fast::Hasher,
    streams: BTreeMap<Labels, Vec<ChunkRef>>,
    failed: bool,
}

impl<W: Write> SegmentWriter<W> {
    /// Starts a segment of `tenant` (1 to 65535 bytes) for `partition`, writing to `out`;
    /// `path` names the destination in errors.
    pub fn new(
        out: W,
        path: impl Into<PathBuf>,
        tenant: &str,
        partition: Partition,
    ) -> Result<Self> {
        if tenant.is_empty() || tenant.len() > usize::from(u16::MAX) {
            let reason = format!("{} bytes; a segment takes 1 to 65535", tenant.len());
            return Err(invalid_input("tenant", reason));
        }
        if partition.mint > partition.maxt {
            let reason = format!("mint {} after maxt {}", partition.mint, partition.maxt);
            return Err(invalid_input("partition", reason));
        }
        let mut writer = Self {
            out,
            path: path.into(),
            tenant: tenant.to_owned(),
            partition,
            pos: 0,
            chunks_crc: crc32fast::Hasher::new(),
            streams: BTreeMap::new(),
            failed: false,
        };
        let mut header = MAGIC.to_be_bytes().to_vec();
        header.push(VERSION);
        writer.write(&header)?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if self.failed {
            let earlier = std::io::Error::other("an earlier write of this segment failed");
            return Err(Error::io("write", &self.path, earlier));
        }
        if let Err(e) = self.out.write_all(bytes) {
            self.failed = true;
            return Err(Error::io("write", &self.path, e));
        }
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Appends a chunk of stream `labels` and returns its reference. Checks the chunk's
    /// header table and that `chunk`'s fields agree with it; nothing is written when they
    /// do not.
    pub fn add_chunk(&mut self, labels: &Labels, chunk: &ChunkInput<'_>) -> Result<ChunkRef> {
        let found = header_summary(chunk.bytes)?;
        if found != summary(chunk) {
            let reason = format!(
                "stream {labels}: chunk given as {:?}, its block headers say {:?}",
                summary(chunk),
                found
            );
            return Err(invalid_input("chunk", reason));
        }
        let len = u32::try_from(chunk.bytes.len())
            .map_err(|_| invalid_input("chunk", "a chunk of 4 GiB or more"))?;
        let chunk_ref = ChunkRef {
            offset: self.pos,
            len,
            mint: chunk.mint,
            maxt: chunk.maxt,
            entries: chunk.entries,
            uncompressed_bytes: chunk.uncompressed_bytes,
            entry_bytes: chunk.entry_bytes,
        };
        self.write(chunk.bytes)?;
        self.chunks_crc.update(chunk.bytes);
        match self.streams.get_mut(labels) {
            Some(refs) => refs.push(chunk_ref),
            None => {
                self.streams.insert(labels.clone(), vec![chunk_ref]);
            }
        }
        Ok(chunk_ref)
    }

    /// Writes the index and the footer, flushes, and returns the writer, what the segment
    /// holds and its size in bytes. Does not sync: [`write_segment`] does.
    pub fn finish(mut self) -> Result<(W, IndexStats, u64)> {
        let mut streams = std::mem::take(&mut self.streams);
        for refs in streams.values_mut() {
            refs.sort_by_key(|r| (r.mint, r.maxt, r.offset));
        }
        let sections = build_index(&streams)?;
        let chunks_crc = std::mem::take(&mut self.chunks_crc).finalize();
        let mut toc = [TocEntry::default(); 5];
        let chunks_at = HEADER_LEN as u64;
        let chunks_len = self.pos - chunks_at;
        let mut entries = toc.iter_mut();
        if let Some(e) = entries.next() {
            *e = TocEntry {
                offset: chunks_at,
                len: chunks_len,
                crc32: chunks_crc,
            };
        }
        let bodies = [
            &sections.symbols,
            &sections.streams,
            &sections.postings,
            &sections.chunk_refs,
        ];
        for (entry, body) in entries.zip(bodies) {
            *entry = TocEntry {
                offset: self.pos,
                len: body.len() as u64,
                crc32: crc32fast::hash(body),
            };
            self.write(body)?;
        }
        let totals = totals(&streams, chunks_len);
        let footer = Footer {
            tenant: std::mem::take(&mut self.tenant),
            partition: self.partition,
            totals,
            toc,
        };
        let mut bytes = Vec::new();
        footer.encode(&mut bytes);
        self.write(&bytes)?;
        if let Err(e) = self.out.flush() {
            return Err(Error::io("write", &self.path, e));
        }
        Ok((self.out, totals, self.pos))
    }
}

fn summary(c: &ChunkInput<'_>) -> (i64, i64, u64, u64) {
    (c.mint, c.maxt, c.entries, c.uncompressed_bytes)
}

fn totals(streams: &BTreeMap<Labels, Vec<ChunkRef>>, chunk_bytes: u64) -> IndexStats {
    let mut t = IndexStats {
        streams: streams.len() as u64,
        chunk_bytes,
        ..IndexStats::default()
    };
    for r in streams.values().flatten() {
        t.chunks += 1;
        t.entries = t.entries.saturating_add(r.entries);
        t.uncompressed_bytes = t.uncompressed_bytes.saturating_add(r.uncompressed_bytes);
    }
    t
}

/// Writes `streams` (streams with equal labels merge) as the segment file `<dir>/<name>` of
/// `tenant` for `partition`, durably: see the module doc. Streams without chunks are left out.
pub fn write_segment(
    dir: &Path,
    name: &str,
    tenant: &str,
    partition: Partition,
    streams: &[StreamInput<'_>],
) -> Result<SegmentFile> {
    let mut order: Vec<&StreamInput<'_>> = streams.iter().collect();
    order.sort_by(|a, b| a.labels.cmp(&b.labels));
    let (file, ()) = write_file(dir, name, tenant, partition, |w| {
        for stream in order {
            let mut chunks: Vec<&ChunkInput<'_>> = stream.chunks.iter().collect();
            chunks.sort_by_key(|c| (c.mint, c.maxt));
            for chunk in chunks {
                w.add_chunk(&stream.labels, chunk)?;
            }
        }
        Ok(())
    })?;
    Ok(file)
}

/// Writes a segment file durably, the chunks added by `fill`. On failure the temporary file
/// is removed and the final name is untouched (unless the failure was the directory sync after
/// the rename: then the file is complete but may not survive a crash).
pub(super) fn write_file<T>(
    dir: &Path,
    name: &str,
    tenant: &str,
    partition: Partition,
    fill: impl FnOnce(&mut SegmentWriter<BufWriter<File>>) -> Result<T>,
) -> Result<(SegmentFile, T)> {
    check_name(name)?;
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let result = write_tmp(&tmp, tenant, partition, fill).and_then(|(totals, size, t)| {
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &tmp, e))?;
        let dir_file = File::open(dir).map_err(|e| Error::io("open", dir, e))?;
        dir_file
            .sync_all()
            .map_err(|e| Error::io("fsync", dir, e))?;
        Ok((SegmentFile { path, size, totals }, t))
    });
    if result.is_err() {
        // Best effort: the error being returned is the one that matters, and a leftover
        // `.tmp` file is never read as a segment.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_tmp<T>(
    tmp: &Path,
    tenant: &str,
    partition: Partition,
    fill: impl FnOnce(&mut SegmentWriter<BufWriter<File>>) -> Result<T>,
) -> Result<(IndexStats, u64, T)> {
    let file = File::create(tmp).map_err(|e| Error::io("create", tmp, e))?;
    let mut writer = SegmentWriter::new(BufWriter::new(file), tmp, tenant, partition)?;
    let t = fill(&mut writer)?;
    let (out, totals, size) = writer.finish()?;
    let file = out
        .into_inner()
        .map_err(|e| Error::io("write", tmp, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("fsync", tmp, e))?;
    Ok((totals, size, t))
}

/// A segment name is one plain file name that cannot be mistaken for a temporary file.
fn check_name(name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.ends_with(".tmp");
    if plain {
        Ok(())
    } else {
        Err(invalid_input(
            "segment name",
            format!("{name:?} is not a plain file name (or ends in .tmp)"),
        ))
    }
}
