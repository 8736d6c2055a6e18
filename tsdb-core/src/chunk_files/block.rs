//! Chunk segment files of a persisted block (`<block>/chunks/000001`, ...), in Prometheus's
//! chunks format v1 so that `promtool` and Prometheus read them.
//!
//! A segment is an 8-byte header (magic `0x85BD40DD` big-endian, version 1, three zero bytes)
//! followed by chunks, each `uvarint(len(data)) | encoding (1 byte) | data | CRC32-C (big-endian)
//! over encoding and data`. Segments are numbered from `000001` and cut before they would exceed
//! the segment size (512 MiB by default), unless a single chunk is larger than that.
//!
//! A chunk reference is `(segment_index << 32) | offset`, where `segment_index` is the 0-based
//! position of the segment in the sorted list of the directory's numeric file names (the file
//! `000001` is index 0) and `offset` is where the chunk's length field starts. This is what
//! Prometheus's writer (`seq = len(files) - 1`) and reader (`bs[sgmIndex]` over the sorted
//! directory listing) agree on; see `tsdb/chunks/chunks.go` (v2.42).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::encoding::{Decbuf, put_uvarint};
use crate::error::{Error, Result};

/// Magic number at the start of every block chunk segment.
pub(crate) const MAGIC_CHUNKS: u32 = 0x85BD_40DD;
/// The only segment format version.
const FORMAT_V1: u8 = 1;
/// Magic, version and padding.
pub(crate) const SEGMENT_HEADER_SIZE: usize = 8;
/// Prometheus's default segment size.
pub(crate) const DEFAULT_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;
/// Prometheus sizes chunks for the cut decision with the longest 32-bit uvarint.
const MAX_LEN_FIELD: u64 = 5;
/// Encoding byte plus CRC.
const CHUNK_OVERHEAD: u64 = 1 + 4;
/// The writer's buffer; block writes are large sequential streams.
const WRITE_BUFFER_SIZE: usize = 4 * 1024 * 1024;

/// Path of segment number `n` (1-based), `%06d` as Prometheus names them.
pub(crate) fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:06}"))
}

/// Writes chunks into numbered segment files of a fresh directory.
///
/// Invariant: `cur` is segment index `files - 1` and holds `n` bytes (header included).
#[derive(Debug)]
pub(crate) struct BlockChunkWriter {
    /// The chunks directory.
    dir: PathBuf,
    /// Cut segments before they would grow past this.
    segment_size: u64,
    /// The segment being written and its path.
    cur: Option<(PathBuf, BufWriter<File>)>,
    /// Segments created so far.
    files: u32,
    /// Bytes in the current segment.
    n: u64,
}

impl BlockChunkWriter {
    /// A writer into `dir` (created if missing) with Prometheus's 512 MiB segments.
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        Self::with_segment_size(dir, DEFAULT_SEGMENT_SIZE)
    }

    /// A writer with a custom segment size (at most 4 GiB - 1, the largest 32-bit offset).
    pub(crate) fn with_segment_size(dir: &Path, segment_size: u64) -> Result<Self> {
        super::check_file_size("chunk segment size", segment_size, SEGMENT_HEADER_SIZE)?;
        fs::create_dir_all(dir).map_err(|e| Error::io("create dir", dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            segment_size,
            cur: None,
            files: 0,
            n: 0,
        })
    }

    /// Appends a chunk and returns its reference.
    pub(crate) fn write_chunk(&mut self, encoding: u8, data: &[u8]) -> Result<u64> {
        let size = MAX_LEN_FIELD + CHUNK_OVERHEAD + data.len() as u64;
        if self.cur.is_none()
            || (self.n > SEGMENT_HEADER_SIZE as u64 && self.n + size > self.segment_size)
        {
            self.cut()?;
        }
        let Some((path, w)) = self.cur.as_mut() else {
            return Err(Error::Closed);
        };
        let r = u64::from(self.files - 1) << 32 | self.n;
        let mut head = Vec::with_capacity(11);
        put_uvarint(&mut head, data.len() as u64);
        head.push(encoding);
        let crc = crc32c::crc32c_append(crc32c::crc32c(&[encoding]), data);
        let res = w
            .write_all(&head)
            .and_then(|()| w.write_all(data))
            .and_then(|()| w.write_all(&crc.to_be_bytes()));
        res.map_err(|e| Error::io("write", path.as_path(), e))?;
        self.n += (head.len() + data.len() + 4) as u64;
        Ok(r)
    }

    /// Finishes the current segment (flush and fsync) and starts the next one.
    fn cut(&mut self) -> Result<()> {
        self.finish_segment()?;
        let n = u64::from(self.files) + 1;
        let path = segment_path(&self.dir, n);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        let mut w = BufWriter::with_capacity(WRITE_BUFFER_SIZE, file);
        let mut header = [0u8; SEGMENT_HEADER_SIZE];
        header[..4].copy_from_slice(&MAGIC_CHUNKS.to_be_bytes());
        header[4] = FORMAT_V1;
        w.write_all(&header)
            .map_err(|e| Error::io("write", &path, e))?;
        self.files += 1;
        self.n = SEGMENT_HEADER_SIZE as u64;
        self.cur = Some((path, w));
        Ok(())
    }

    /// Flushes and fsyncs the current segment, if any.
    fn finish_segment(&mut self) -> Result<()> {
        let Some((path, w)) = self.cur.take() else {
            return Ok(());
        };
        let file = w
            .into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io("fsync", &path, e))
    }

    /// Flushes and fsyncs every segment and the directory. A writer that received no chunk
    /// leaves the directory empty, as Prometheus does.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.finish_segment()?;
        let d = File::open(&self.dir).map_err(|e| Error::io("open dir", &self.dir, e))?;
        d.sync_all()
            .map_err(|e| Error::io("fsync dir", &self.dir, e))
    }
}

/// A mapped segment.
#[derive(Debug)]
struct Segment {
    /// For errors.
    path: PathBuf,
    /// The whole file.
    map: Mmap,
}

/// Reads chunks of a block by reference from its memory-mapped segments.
#[derive(Debug)]
pub(crate) struct BlockChunkReader {
    /// The chunks directory, for errors about unknown segments.
    dir: PathBuf,
    /// Segments in reference order.
    segments: Vec<Segment>,
    /// Total bytes of all segments.
    size: u64,
}

impl BlockChunkReader {
    /// Maps every segment of `dir` and validates its header.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        let mut segments = Vec::new();
        let mut size = 0;
        for path in sequence_files(dir)? {
            let file = File::open(&path).map_err(|e| Error::io("open", &path, e))?;
            let map = crate::mmap::map_file(&file, &path)?;
            check_header(&map).map_err(|reason| Error::corruption(&path, 0, reason))?;
            size += map.len() as u64;
            segments.push(Segment { path, map });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            segments,
            size,
        })
    }

    /// The encoding and data of the chunk at `r`, after checking bounds and CRC.
    pub(crate) fn chunk(&self, r: u64) -> Result<(u8, &[u8])> {
        let index = (r >> 32) as usize;
        let offset = r & 0xffff_ffff;
        let Some(seg) = self.segments.get(index) else {
            let reason = format!(
                "chunk ref {r:#x}: segment index {index} of {}",
                self.segments.len()
            );
            return Err(Error::corruption(&self.dir, offset, reason));
        };
        read_chunk(&seg.map, offset as usize)
            .map_err(|reason| Error::corruption(&seg.path, offset, reason))
    }

    /// Total size of the segment files in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
}

/// Checks a segment header.
fn check_header(b: &[u8]) -> std::result::Result<(), String> {
    let mut d = Decbuf::new(b);
    let (magic, version) = d
        .be32()
        .and_then(|m| Ok((m, d.u8()?)))
        .map_err(|_| "segment shorter than its header".to_string())?;
    if magic != MAGIC_CHUNKS {
        return Err(format!("invalid magic number {magic:#010x}"));
    }
    if version != FORMAT_V1 {
        return Err(format!("invalid chunk format version {version}"));
    }
    Ok(())
}

/// Decodes the chunk starting at `offset`.
fn read_chunk(b: &[u8], offset: usize) -> std::result::Result<(u8, &[u8]), String> {
    if offset < SEGMENT_HEADER_SIZE {
        return Err("chunk offset inside the segment header".into());
    }
    let rest = b
        .get(offset..)
        .ok_or("chunk offset past the end of the segment")?;
    let mut d = Decbuf::new(rest);
    let parsed = (|| {
        let len = d.uvarint_usize()?;
        let body = d.bytes(
            len.checked_add(1)
                .ok_or(crate::encoding::DecodeError::InvalidSize)?,
        )?;
        Ok::<_, crate::encoding::DecodeError>((body, d.be32()?))
    })();
    let (body, want) = parsed.map_err(|e| format!("reading chunk: {e}"))?;
    let got = crc32c::crc32c(body);
    if got != want {
        return Err(format!(
            "checksum mismatch: stored {want:#010x}, computed {got:#010x}"
        ));
    }
    let (&encoding, data) = body.split_first().ok_or("chunk without encoding byte")?;
    Ok((encoding, data))
}

/// The numeric file names of `dir`, sorted by name as Go's `os.ReadDir` returns them.
fn sequence_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io("read dir", dir, e))? {
        let entry = entry.map_err(|e| Error::io("read dir", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // Go's strconv.ParseUint: decimal digits only, fitting 64 bits.
        if !name.is_empty()
            && name.bytes().all(|c| c.is_ascii_digit())
            && name.parse::<u64>().is_ok()
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_promtool_bytes() {
        // chunks/000001 as `promtool tsdb create-blocks-from openmetrics` (Prometheus 2.42)
        // wrote it for `foo` with samples (1s, 1.0), (2s, 1.0), (3s, 2.0), (4.01s, 2.5).
        let want: &[u8] = &[
            0x85, 0xbd, 0x40, 0xdd, 0x01, 0x00, 0x00, 0x00, 0x15, 0x01, 0x00, 0x04, 0xd0, 0x0f,
            0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07, 0x30, 0x97, 0xff, 0xe0, 0x02, 0xb6, 0x83,
            0x39, 0x62, 0x7b, 0x05,
        ];
        let dir = tempfile::tempdir().unwrap();
        let chunks = dir.path().join("chunks");
        let mut w = BlockChunkWriter::new(&chunks).unwrap();
        let data = want[10..31].to_vec();
        assert_eq!(w.write_chunk(1, &data).unwrap(), 8);
        w.finish().unwrap();
        assert_eq!(fs::read(chunks.join("000001")).unwrap(), want);
        let r = BlockChunkReader::open(&chunks).unwrap();
        assert_eq!(r.chunk(8).unwrap(), (1, &data[..]));
        assert_eq!(r.size(), want.len() as u64);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn round_trip_across_segments(
            chunks in proptest::collection::vec((0u8..4, proptest::collection::vec(any::<u8>(), 0..300)), 0..60),
            segment_size in prop_oneof![Just(9u64), 64u64..2048, Just(DEFAULT_SEGMENT_SIZE)],
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut w = BlockChunkWriter::with_segment_size(dir.path(), segment_size).unwrap();
            let refs: Vec<u64> = chunks.iter().map(|(e, d)| w.write_chunk(*e, d).unwrap()).collect();
            w.finish().unwrap();
            let r = BlockChunkReader::open(dir.path()).unwrap();
            let files = sequence_files(dir.path()).unwrap();
            let mut total = 0;
            for (i, f) in files.iter().enumerate() {
                prop_assert_eq!(f.file_name().unwrap().to_str().unwrap(), format!("{:06}", i + 1));
                let len = fs::metadata(f).unwrap().len();
                let first_ref_in_file = refs.iter().any(|&r| r >> 32 == i as u64 && r & 0xffff_ffff == 8);
                prop_assert!(len <= segment_size || first_ref_in_file, "segment {} has {} bytes", i, len);
                total += len;
            }
            prop_assert_eq!(r.size(), total);
            for (r_, (e, d)) in refs.iter().zip(&chunks) {
                prop_assert!((*r_ >> 32) < files.len() as u64);
                prop_assert_eq!(r.chunk(*r_).unwrap(), (*e, &d[..]));
            }
        }
    }

    #[test]
    fn corruption_names_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlockChunkWriter::with_segment_size(dir.path(), 64).unwrap();
        let a = w.write_chunk(1, &[7; 20]).unwrap();
        let b = w.write_chunk(1, &[8; 40]).unwrap();
        w.finish().unwrap();
        assert_eq!(
            (a, b),
            (8, 1 << 32 | 8),
            "the second chunk did not fit in 64 bytes"
        );

        let p = dir.path().join("000001");
        let mut bytes = fs::read(&p).unwrap();
        bytes[15] ^= 1;
        fs::write(&p, &bytes).unwrap();
        let r = BlockChunkReader::open(dir.path()).unwrap();
        let err = r.chunk(a).unwrap_err().to_string();
        assert!(
            err.contains("000001") && err.contains("offset 8") && err.contains("checksum"),
            "{err}"
        );
        assert!(r.chunk(b).is_ok());
        assert!(r.chunk(2 << 32 | 8).is_err());
        assert!(r.chunk(1 << 32 | 3).is_err());
        assert!(r.chunk(1 << 32 | 1000).is_err());

        let p2 = dir.path().join("000002");
        let full = fs::read(&p2).unwrap();
        fs::write(&p2, &full[..full.len() - 1]).unwrap();
        let err = BlockChunkReader::open(dir.path())
            .unwrap()
            .chunk(b)
            .unwrap_err()
            .to_string();
        assert!(err.contains("000002"), "{err}");

        fs::write(&p2, b"\x85\xbd\x40\xdc\x01\0\0\0").unwrap();
        assert!(
            BlockChunkReader::open(dir.path())
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        fs::write(&p2, b"\x85\xbd").unwrap();
        assert!(BlockChunkReader::open(dir.path()).is_err());
    }

    #[test]
    fn options_are_checked_and_empty_writers_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(BlockChunkWriter::with_segment_size(dir.path(), 8).is_err());
        assert!(BlockChunkWriter::with_segment_size(dir.path(), 1 << 32).is_err());
        BlockChunkWriter::new(dir.path()).unwrap().finish().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(BlockChunkReader::open(dir.path()).unwrap().size(), 0);
    }
}
