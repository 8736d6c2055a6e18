//! Memory-mapped head chunk files (`<db>/chunks_head/000001`, ...): full head chunks are
//! written here so that they need not stay in RAM, and read back zero-copy from the map.
//!
//! Layout (Prometheus's head chunk format, `tsdb/docs/format/head_chunks.md`): an 8-byte file
//! header (magic `0x0130BC91` big-endian, version 1, three zero bytes), then records
//! `series_ref (be64) | mint (be64) | maxt (be64) | encoding (1) | uvarint(len) | data |
//! CRC32-C (be32) over everything of the record before it`. A reference is
//! `(file_number << 32) | record_offset`; file numbers are the 1-based names.
//!
//! Write path: records are appended with `pwrite` to the newest file while holding the
//! writer lock, and become readable once written (see [`crate::mmap::AppendFile`]). Files are
//! never preallocated or padded, so a file's length is exactly its records; a new file is cut
//! when the next record would pass the maximum size (128 MiB by default), and the finished
//! file is fsynced then. Files are mapped with the maximum size up front so they never need
//! remapping. After a restart, writing starts in a fresh file (as Prometheus does).
//!
//! Recovery: on open every file is scanned and every record's CRC checked. A torn or corrupt
//! tail of the last file (a crash before its data reached the disk) is cut back to the last
//! good record; a corrupt file before the last, or a last file whose header is bad, is deleted
//! together with every later file, so the surviving chunks form a prefix of what was written
//! (the WAL replays the rest). Each repair is logged with the file and offset.
//!
//! Reads: [`ChunkBytes`] holds an `Arc` of the file's map, so it stays valid after later writes
//! and even after [`HeadChunkFiles::truncate_before`] unlinks the file.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::encoding::{Decbuf, DecodeError, put_uvarint};
use crate::error::{Error, Result};
use crate::mmap::{AppendFile, MappedPrefix, map_file};

/// Magic number at the start of every head chunk file.
pub(crate) const MAGIC_HEAD_CHUNKS: u32 = 0x0130_BC91;
/// The only head chunk format version.
const FORMAT_V1: u8 = 1;
/// Magic, version and padding.
const FILE_HEADER_SIZE: usize = 8;
/// Prometheus's maximum head chunk file size.
pub(crate) const DEFAULT_MAX_FILE_SIZE: u64 = 128 * 1024 * 1024;

/// What [`HeadChunkFiles::iter_all`] reports about each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadChunkMeta {
    /// The head series the chunk belongs to.
    pub(crate) series_ref: u64,
    /// First sample's timestamp.
    pub(crate) mint: i64,
    /// Last sample's timestamp.
    pub(crate) maxt: i64,
    /// Reference for [`HeadChunkFiles::chunk`].
    pub(crate) r: u64,
    /// The chunk's sample count (its first two bytes, big-endian, as XOR chunks store it).
    pub(crate) num_samples: u16,
}

/// A chunk's bytes inside a mapped file: a cheap, clonable handle that keeps the map alive.
#[derive(Clone)]
pub(crate) struct ChunkBytes {
    /// The file's map; only its immutable prefix is read.
    seg: Arc<MappedPrefix>,
    /// Data range within the file.
    start: usize,
    /// End of the data range.
    end: usize,
    /// The chunk's encoding byte.
    encoding: u8,
}

impl ChunkBytes {
    /// The chunk's encoding byte.
    #[allow(
        dead_code,
        reason = "the head writes XOR chunks only; readers may check it"
    )]
    pub(crate) fn encoding(&self) -> u8 {
        self.encoding
    }
}

impl Deref for ChunkBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // The range was validated against the visible prefix, which only grows.
        self.seg
            .bytes()
            .get(self.start..self.end)
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for ChunkBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkBytes")
            .field("encoding", &self.encoding)
            .field("len", &(self.end - self.start))
            .finish()
    }
}

/// One decoded record.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// Series reference.
    series_ref: u64,
    /// First timestamp.
    mint: i64,
    /// Last timestamp.
    maxt: i64,
    /// Encoding byte.
    encoding: u8,
    /// Data range in the file.
    data: (usize, usize),
    /// Offset just past the CRC.
    end: usize,
}

/// Decodes and CRC-checks the record at `off` of a file's bytes.
fn parse_record(b: &[u8], off: usize) -> std::result::Result<Record, String> {
    if off < FILE_HEADER_SIZE {
        return Err("chunk offset inside the file header".into());
    }
    let rest = b
        .get(off..)
        .ok_or("chunk offset past the end of the file")?;
    let mut d = Decbuf::new(rest);
    let head = (|| {
        let (series_ref, mint, maxt) = (d.be64()?, d.be64()? as i64, d.be64()? as i64);
        let encoding = d.u8()?;
        let len = d.uvarint_usize()?;
        Ok::<_, DecodeError>((series_ref, mint, maxt, encoding, len))
    })();
    let (series_ref, mint, maxt, encoding, len) = head.map_err(|e| format!("chunk header: {e}"))?;
    let data_start = off + (rest.len() - d.len());
    d.skip(len)
        .map_err(|_| format!("chunk data of {len} bytes runs past the end"))?;
    let data_end = data_start + len;
    let want = d
        .be32()
        .map_err(|_| "chunk checksum runs past the end".to_string())?;
    let got = crc32c::crc32c(b.get(off..data_end).unwrap_or_default());
    if got != want {
        return Err(format!(
            "checksum mismatch: stored {want:#010x}, computed {got:#010x}"
        ));
    }
    Ok(Record {
        series_ref,
        mint,
        maxt,
        encoding,
        data: (data_start, data_end),
        end: data_end + 4,
    })
}

/// The header every head chunk file starts with.
fn file_header() -> [u8; FILE_HEADER_SIZE] {
    let mut h = [0u8; FILE_HEADER_SIZE];
    h[..4].copy_from_slice(&MAGIC_HEAD_CHUNKS.to_be_bytes());
    h[4] = FORMAT_V1;
    h
}

/// What scanning a file found.
#[derive(Debug)]
struct Scan {
    /// End of the last good record (or of the header).
    valid_end: usize,
    /// Largest maxt among good records.
    maxt: Option<i64>,
    /// The first problem, if the file is not clean to its end: offset and reason.
    problem: Option<(usize, String)>,
}

/// Walks a file's records up to its end or the first bad one.
fn scan(b: &[u8]) -> Scan {
    if b.get(..FILE_HEADER_SIZE) != Some(&file_header()[..]) {
        let problem = Some((0, "missing or invalid file header".to_string()));
        return Scan {
            valid_end: 0,
            maxt: None,
            problem,
        };
    }
    let (mut off, mut maxt) = (FILE_HEADER_SIZE, None::<i64>);
    while off < b.len() {
        match parse_record(b, off) {
            Ok(r) => {
                maxt = Some(maxt.map_or(r.maxt, |m| m.max(r.maxt)));
                off = r.end;
            }
            Err(reason) => {
                return Scan {
                    valid_end: off,
                    maxt,
                    problem: Some((off, reason)),
                };
            }
        }
    }
    Scan {
        valid_end: off,
        maxt,
        problem: None,
    }
}

/// The file being appended to.
#[derive(Debug)]
struct Active {
    /// Its file number.
    seq: u32,
    /// The writer.
    file: AppendFile,
}

/// State behind the writer lock.
#[derive(Debug)]
struct Writer {
    /// The newest file, if writing has started since open (or since it was deleted).
    active: Option<Active>,
    /// Largest maxt of every live file's chunks (`None`: no chunks), by file number.
    maxt: BTreeMap<u32, Option<i64>>,
    /// Number for the next file.
    next_seq: u32,
    /// Whether files were created or deleted since the directory was last fsynced.
    dir_dirty: bool,
    /// Reused record buffer.
    buf: Vec<u8>,
}

/// The head chunk files of a database: thread-safe writes, zero-copy concurrent reads.
#[derive(Debug)]
pub(crate) struct HeadChunkFiles {
    /// The `chunks_head` directory.
    dir: PathBuf,
    /// Files are cut before they would grow past this (a larger single record gets its own file).
    max_file_size: u64,
    /// Guards appends, cuts, truncation and per-file metadata. Lock order: `writer`, then `files`.
    writer: Mutex<Writer>,
    /// The map of every live file by number; readers only clone an `Arc` under the read lock.
    files: RwLock<BTreeMap<u32, Arc<MappedPrefix>>>,
}

impl HeadChunkFiles {
    /// Opens (creating if needed) `dir`, maps and checks every file, repairing as described in
    /// the module docs. `max_file_size` must be in `9..=u32::MAX` so offsets fit a reference.
    pub(crate) fn open(dir: &Path, max_file_size: u64) -> Result<Self> {
        super::check_file_size("head chunk file size", max_file_size, FILE_HEADER_SIZE)?;
        fs::create_dir_all(dir).map_err(|e| Error::io("create dir", dir, e))?;
        let seqs = list_files(dir)?;
        let next_seq = match seqs.last() {
            Some(&last) => last.checked_add(1).ok_or_else(|| too_many_files(dir))?,
            None => 1,
        };
        let (mut files, mut maxt, mut repaired) = (BTreeMap::new(), BTreeMap::new(), false);
        for (i, &seq) in seqs.iter().enumerate() {
            let path = file_path(dir, seq);
            let is_last = i + 1 == seqs.len();
            match load_file(&path, is_last)? {
                Loaded::Kept {
                    view,
                    maxt: file_maxt,
                    truncated,
                } => {
                    repaired |= truncated;
                    files.insert(seq, Arc::new(view));
                    maxt.insert(seq, file_maxt);
                }
                Loaded::Drop => {
                    for &later in seqs.get(i..).unwrap_or_default() {
                        let p = file_path(dir, later);
                        tracing::warn!(file = %p.display(), "deleting head chunk file after corruption");
                        fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
                    }
                    repaired = true;
                    break;
                }
            }
        }
        if repaired {
            sync_dir(dir)?;
        }
        let writer = Writer {
            active: None,
            maxt,
            next_seq,
            dir_dirty: false,
            buf: Vec::new(),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            max_file_size,
            writer: Mutex::new(writer),
            files: RwLock::new(files),
        })
    }

    /// Writes a chunk and returns its reference. Safe to call from many threads.
    pub(crate) fn write(
        &self,
        series_ref: u64,
        mint: i64,
        maxt: i64,
        encoding: u8,
        data: &[u8],
    ) -> Result<u64> {
        let mut guard = self.writer.lock();
        let w = &mut *guard;
        w.buf.clear();
        w.buf.extend_from_slice(&series_ref.to_be_bytes());
        w.buf.extend_from_slice(&mint.to_be_bytes());
        w.buf.extend_from_slice(&maxt.to_be_bytes());
        w.buf.push(encoding);
        put_uvarint(&mut w.buf, data.len() as u64);
        w.buf.extend_from_slice(data);
        let crc = crc32c::crc32c(&w.buf);
        w.buf.extend_from_slice(&crc.to_be_bytes());

        if w.active
            .as_ref()
            .is_none_or(|a| a.file.remaining() < w.buf.len())
        {
            self.cut(w)?;
        }
        let Some(active) = w.active.as_mut() else {
            return Err(Error::Closed);
        };
        let off = active.file.append(&w.buf)?;
        let seq = active.seq;
        let m = w.maxt.entry(seq).or_default();
        *m = Some(m.map_or(maxt, |x| x.max(maxt)));
        Ok(u64::from(seq) << 32 | off as u64)
    }

    /// Seals the active file (fsync) and starts a new one with room for a `w.buf` record.
    fn cut(&self, w: &mut Writer) -> Result<()> {
        if let Some(old) = w.active.take() {
            old.file.sync()?;
        }
        let seq = w.next_seq;
        w.next_seq = seq
            .checked_add(1)
            .ok_or_else(|| too_many_files(&self.dir))?;
        let capacity = (self.max_file_size as usize).max(FILE_HEADER_SIZE + w.buf.len());
        let path = file_path(&self.dir, seq);
        let mut file = AppendFile::create(&path, capacity)?;
        w.dir_dirty = true;
        if let Err(e) = file.append(&file_header()) {
            // A headerless file would later read as corruption and take newer files with it.
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(e.into());
        }
        self.files.write().insert(seq, Arc::clone(file.view()));
        w.maxt.insert(seq, None);
        w.active = Some(Active { seq, file });
        Ok(())
    }

    /// The chunk at `r`, CRC-checked. The handle reads straight from the map.
    pub(crate) fn chunk(&self, r: u64) -> Result<ChunkBytes> {
        let seq = (r >> 32) as u32;
        let off = (r & 0xffff_ffff) as usize;
        let seg = self.files.read().get(&seq).cloned();
        let Some(seg) = seg else {
            let reason = format!("chunk ref {r:#x}: no head chunk file {seq}");
            return Err(Error::corruption(&self.dir, off as u64, reason));
        };
        let rec = parse_record(seg.bytes(), off)
            .map_err(|reason| Error::corruption(file_path(&self.dir, seq), off as u64, reason))?;
        let (start, end) = rec.data;
        Ok(ChunkBytes {
            seg,
            start,
            end,
            encoding: rec.encoding,
        })
    }

    /// Calls `f` for every chunk in file order (for rebuilding the head on open). Chunks
    /// written concurrently may or may not be included.
    pub(crate) fn iter_all(&self, mut f: impl FnMut(HeadChunkMeta) -> Result<()>) -> Result<()> {
        let files: Vec<(u32, Arc<MappedPrefix>)> = self
            .files
            .read()
            .iter()
            .map(|(&s, v)| (s, Arc::clone(v)))
            .collect();
        for (seq, view) in files {
            let b = view.bytes();
            let mut off = FILE_HEADER_SIZE;
            while off < b.len() {
                let rec = parse_record(b, off).map_err(|reason| {
                    Error::corruption(file_path(&self.dir, seq), off as u64, reason)
                })?;
                let head = b
                    .get(rec.data.0..rec.data.1)
                    .and_then(|d| d.first_chunk::<2>());
                f(HeadChunkMeta {
                    series_ref: rec.series_ref,
                    mint: rec.mint,
                    maxt: rec.maxt,
                    r: u64::from(seq) << 32 | off as u64,
                    num_samples: head.map_or(0, |h| u16::from_be_bytes(*h)),
                })?;
                off = rec.end;
            }
        }
        Ok(())
    }

    /// Deletes every file whose chunks all have `maxt < mint`, including the active one (the
    /// next write then starts a new file) and files without chunks other than the active one.
    /// Handles already returned by [`chunk`](Self::chunk) stay readable.
    pub(crate) fn truncate_before(&self, mint: i64) -> Result<()> {
        let mut guard = self.writer.lock();
        let w = &mut *guard;
        let active = w.active.as_ref().map(|a| a.seq);
        let doomed: Vec<u32> = w
            .maxt
            .iter()
            .filter(|&(&seq, &m)| m.map_or(Some(seq) != active, |m| m < mint))
            .map(|(&seq, _)| seq)
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        if active.is_some_and(|a| doomed.contains(&a)) {
            w.active = None;
        }
        {
            let mut files = self.files.write();
            for seq in &doomed {
                files.remove(seq);
                w.maxt.remove(seq);
            }
        }
        w.dir_dirty = true;
        for seq in doomed {
            let p = file_path(&self.dir, seq);
            fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
        }
        Ok(())
    }

    /// Makes every written chunk durable: fsyncs the active file and, if files were created or
    /// deleted, the directory.
    pub(crate) fn sync(&self) -> Result<()> {
        let mut w = self.writer.lock();
        if let Some(a) = &w.active {
            a.file.sync()?;
        }
        if w.dir_dirty {
            sync_dir(&self.dir)?;
            w.dir_dirty = false;
        }
        Ok(())
    }

    /// Bytes of all live files (headers included).
    pub(crate) fn size_bytes(&self) -> u64 {
        self.files.read().values().map(|v| v.len() as u64).sum()
    }
}

/// The outcome of checking one file at open.
enum Loaded {
    /// The file's good prefix, mapped.
    Kept {
        /// The map.
        view: MappedPrefix,
        /// Largest maxt of its chunks.
        maxt: Option<i64>,
        /// Whether a bad tail was cut off.
        truncated: bool,
    },
    /// The file must be deleted together with every later one.
    Drop,
}

/// Maps and checks one file; a bad tail of the last file is cut off, any other damage drops it.
fn load_file(path: &Path, is_last: bool) -> Result<Loaded> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let s = scan(&map_file(&file, path)?);
    if let Some((offset, reason)) = &s.problem {
        if !is_last || s.valid_end < FILE_HEADER_SIZE {
            tracing::warn!(file = %path.display(), offset, reason, "corrupt head chunk file");
            return Ok(Loaded::Drop);
        }
        tracing::warn!(file = %path.display(), offset, reason, "truncating torn tail of head chunk file");
        // The scan's map was dropped above: nothing maps the file while it shrinks.
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        f.set_len(s.valid_end as u64)
            .map_err(|e| Error::io("truncate", path, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", path, e))?;
    }
    let view = MappedPrefix::open(&file, path, s.valid_end)?;
    Ok(Loaded::Kept {
        view,
        maxt: s.maxt,
        truncated: s.problem.is_some(),
    })
}

/// Numbers of the files in `dir` whose names are decimal numbers, ascending.
fn list_files(dir: &Path) -> Result<Vec<u32>> {
    let mut seqs = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io("read dir", dir, e))? {
        let entry = entry.map_err(|e| Error::io("read dir", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.bytes().all(|c| c.is_ascii_digit())
            && let Ok(seq) = name.parse::<u32>()
        {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// Path of file number `seq`.
fn file_path(dir: &Path, seq: u32) -> PathBuf {
    dir.join(format!("{seq:06}"))
}

/// Fsyncs a directory so that created and deleted entries are durable.
fn sync_dir(dir: &Path) -> Result<()> {
    let d = File::open(dir).map_err(|e| Error::io("open dir", dir, e))?;
    d.sync_all().map_err(|e| Error::io("fsync dir", dir, e))
}

/// The error for running out of 32-bit file numbers.
fn too_many_files(dir: &Path) -> Error {
    Error::io(
        "create",
        dir,
        std::io::Error::other("head chunk file numbers exhausted"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A deterministic chunk body for chunk `i` (first two bytes: a sample count).
    fn body(i: u64) -> Vec<u8> {
        let n = (i % 120 + 1) as u16;
        let mut b = n.to_be_bytes().to_vec();
        b.extend((0..(i * 7) % 90).map(|j| (i + j) as u8));
        b
    }

    /// Writes chunks `range` with mint = 100 i, maxt = 100 i + 50; returns (i, ref) pairs.
    fn write_range(h: &HeadChunkFiles, range: std::ops::Range<u64>) -> Vec<(u64, u64)> {
        let w = |i: u64| h.write(i % 7, 100 * i as i64, 100 * i as i64 + 50, 1, &body(i));
        range.map(|i| (i, w(i).unwrap())).collect()
    }

    fn all(h: &HeadChunkFiles) -> Vec<HeadChunkMeta> {
        let mut out = Vec::new();
        h.iter_all(|m| {
            out.push(m);
            Ok(())
        })
        .unwrap();
        out
    }

    /// What `write_range` wrote for chunks `refs`.
    fn all_metas(refs: &[(u64, u64)]) -> Vec<HeadChunkMeta> {
        let meta = |(i, r): (u64, u64)| {
            let (series_ref, mint) = (i % 7, 100 * i as i64);
            let num_samples = (i % 120 + 1) as u16;
            HeadChunkMeta {
                series_ref,
                mint,
                maxt: mint + 50,
                r,
                num_samples,
            }
        };
        refs.iter().copied().map(meta).collect()
    }

    fn check(h: &HeadChunkFiles, refs: &[(u64, u64)]) {
        assert_eq!(all(h), all_metas(refs));
        for &(i, r) in refs {
            let c = h.chunk(r).unwrap();
            assert_eq!((c.encoding(), &c[..]), (1, &body(i)[..]));
        }
    }

    fn files(dir: &Path) -> Vec<u32> {
        list_files(dir).unwrap()
    }

    fn disk_size(dir: &Path) -> u64 {
        let len = |s| fs::metadata(file_path(dir, s)).unwrap().len();
        files(dir).into_iter().map(len).sum()
    }

    #[test]
    fn write_read_reopen_across_cuts() {
        let dir = tempfile::tempdir().unwrap();
        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        let refs = write_range(&h, 0..200);
        assert!(files(dir.path()).len() > 5, "small files were cut");
        assert_eq!(
            refs[0].1,
            1 << 32 | 8,
            "refs hold the 1-based file number and the offset"
        );
        let early = h.chunk(refs[0].1).unwrap();
        check(&h, &refs);
        h.sync().unwrap();
        assert_eq!(h.size_bytes(), disk_size(dir.path()));
        for s in files(dir.path()) {
            assert!(fs::metadata(file_path(dir.path(), s)).unwrap().len() <= 1024);
        }
        drop(h);
        assert_eq!(&early[..], &body(0)[..], "handles outlive the files object");

        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        check(&h, &refs);
        let before = files(dir.path());
        let more = write_range(&h, 200..210);
        assert!(
            more[0].1 >> 32 > u64::from(*before.last().unwrap()),
            "writing resumes in a new file"
        );
        let mut refs = refs;
        refs.extend(more);
        check(&h, &refs);

        // A record larger than the file size gets a file of its own.
        let big = vec![9u8; 3000];
        let r = h.write(1, 0, 1, 1, &big).unwrap();
        assert_eq!(&h.chunk(r).unwrap()[..], &big[..]);
        assert_eq!(r & 0xffff_ffff, 8);
        assert!(h.chunk(r + 1).is_err());
        assert!(h.chunk(99 << 32 | 8).is_err());
        assert!(h.chunk(r & !0xffff_ffff).is_err());
    }

    #[test]
    fn concurrent_writers_and_readers() {
        let dir = tempfile::tempdir().unwrap();
        let h = HeadChunkFiles::open(dir.path(), 4096).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let h = &h;
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..300 {
                        let id = t * 1000 + i;
                        mine.push((id, h.write(id, 0, 0, 1, &body(id)).unwrap()));
                        let (j, r) = mine[(i as usize * 7) % mine.len()];
                        assert_eq!(&h.chunk(r).unwrap()[..], &body(j)[..]);
                    }
                });
            }
        });
        assert_eq!(all(&h).len(), 1200);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn torn_tail_keeps_every_earlier_chunk(
            n in 1u64..60,
            cut in any::<prop::sample::Index>(),
            garbage in prop_oneof![Just(vec![]), Just(vec![0u8; 40]), proptest::collection::vec(any::<u8>(), 1..40)],
        ) {
            let dir = tempfile::tempdir().unwrap();
            let h = HeadChunkFiles::open(dir.path(), 2048).unwrap();
            let refs = write_range(&h, 0..n);
            drop(h);
            let last = *files(dir.path()).last().unwrap();
            let p = file_path(dir.path(), last);
            let mut b = fs::read(&p).unwrap();
            let orig_len = b.len() as u64;
            let k = cut.index(b.len() + 1);
            b.truncate(k);
            b.extend(&garbage);
            fs::write(&p, &b).unwrap();

            let h = HeadChunkFiles::open(dir.path(), 2048).unwrap();
            // A chunk survives if it is in an earlier file or its record ends at or before the
            // cut: the next record's offset in the same file, or the original file length.
            let in_last = |r: u64| r >> 32 == u64::from(last);
            let survivors = refs
                .iter()
                .enumerate()
                .take_while(|&(j, &(_, r))| {
                    let end = match refs.get(j + 1) {
                        Some(&(_, next)) if in_last(next) => next & 0xffff_ffff,
                        _ => orig_len,
                    };
                    !in_last(r) || end <= k as u64
                })
                .count();
            check(&h, &refs[..survivors]);
            prop_assert_eq!(h.size_bytes(), disk_size(dir.path()));
            let more = write_range(&h, 1000..1003);
            drop(h);
            let h = HeadChunkFiles::open(dir.path(), 2048).unwrap();
            let mut want = refs[..survivors].to_vec();
            want.extend(more);
            check(&h, &want);
        }
    }

    #[test]
    fn corrupt_middle_file_drops_it_and_later_files() {
        let dir = tempfile::tempdir().unwrap();
        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        let refs = write_range(&h, 0..100);
        drop(h);
        let seqs = files(dir.path());
        assert!(seqs.len() >= 4);
        let victim = seqs[1];
        let p = file_path(dir.path(), victim);
        let mut b = fs::read(&p).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x40;
        fs::write(&p, &b).unwrap();

        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        assert_eq!(files(dir.path()), vec![seqs[0]]);
        let kept: Vec<(u64, u64)> = refs
            .iter()
            .copied()
            .filter(|&(_, r)| r >> 32 == u64::from(seqs[0]))
            .collect();
        check(&h, &kept);
        let r = h.write(1, 0, 0, 1, b"xy").unwrap();
        assert!(
            r >> 32 > u64::from(*seqs.last().unwrap()),
            "file numbers are not reused"
        );

        // A bad header on the last file drops just that file.
        drop(h);
        let last = *files(dir.path()).last().unwrap();
        fs::write(file_path(dir.path(), last), b"\x01\x30\xbc").unwrap();
        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        assert_eq!(files(dir.path()), vec![seqs[0]]);
        check(&h, &kept);
        assert!(HeadChunkFiles::open(dir.path(), 8).is_err());
        assert!(HeadChunkFiles::open(dir.path(), 1 << 32).is_err());
    }

    #[test]
    fn truncate_before_deletes_only_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let h = HeadChunkFiles::open(dir.path(), 1024).unwrap();
        let refs = write_range(&h, 0..100);
        let seqs = files(dir.path());
        let held = h.chunk(refs[0].1).unwrap();
        // Chunk i has maxt 100 i + 50: a file goes iff its newest chunk is below the bound.
        let bound = 100 * 40;
        h.truncate_before(bound).unwrap();
        let left = files(dir.path());
        assert!(left.len() < seqs.len() && !left.is_empty());
        for &(i, r) in &refs {
            let file_maxt = refs
                .iter()
                .filter(|&&(_, r2)| r2 >> 32 == r >> 32)
                .map(|&(j, _)| 100 * j as i64 + 50)
                .max()
                .unwrap();
            assert_eq!(h.chunk(r).is_ok(), file_maxt >= bound, "chunk {i}");
            assert_eq!(left.contains(&((r >> 32) as u32)), file_maxt >= bound);
        }
        assert_eq!(
            &held[..],
            &body(0)[..],
            "a handle survives the deletion of its file"
        );
        let kept: Vec<(u64, u64)> = refs
            .iter()
            .copied()
            .filter(|&(_, r)| h.chunk(r).is_ok())
            .collect();
        check(&h, &kept);

        // Everything old, the active file included: all gone, and writing starts a new file.
        h.truncate_before(i64::MAX).unwrap();
        assert!(files(dir.path()).is_empty());
        assert_eq!(h.size_bytes(), 0);
        let r = h.write(3, 5, 6, 1, b"ab").unwrap();
        assert_eq!(&h.chunk(r).unwrap()[..], b"ab");
        h.truncate_before(0).unwrap();
        assert_eq!(
            files(dir.path()).len(),
            1,
            "the active file with newer chunks stays"
        );
        h.sync().unwrap();
    }
}
