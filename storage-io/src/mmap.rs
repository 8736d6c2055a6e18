//! Memory-mapped files: the only module of the crate with `unsafe` code.
//!
//! Two shapes are offered:
//!
//! * [`map_file`]: a read-only map of a whole immutable file (tsdb-core's block chunk segments
//!   and index files, logstore-core's segments).
//! * [`AppendFile`] + [`MappedPrefix`]: a file that one writer extends with `pwrite` while any
//!   number of readers see its prefix through a map (tsdb-core's head chunk files). The writer
//!   publishes a new length only after the bytes below it are written, and never writes below a
//!   published length, so the published prefix is immutable for as long as the map lives. The
//!   map may be longer than the file; only the published prefix, which the file always covers,
//!   is ever touched.
//!
//! Contract for every map, which callers uphold: a file mapped through this module is never
//! truncated or rewritten in place by the process while a map of it exists (repairs truncate
//! before mapping; deletion only unlinks, and the kernel keeps the pages alive until the last
//! map is dropped). If another process truncates a mapped file, touching the lost pages raises
//! `SIGBUS` and the process dies; if it rewrites bytes in place, readers may see the new bytes.
//! Both are outside what a library can defend against, like any other tampering with a data
//! directory while the engine runs; every decoder still treats mapped bytes as untrusted and
//! validates them (lengths, CRCs) before use.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{Error, Result};

/// A read-only map of a whole file; derefs to `[u8]`. Re-exported so that users need no
/// `memmap2` dependency of their own.
pub use memmap2::Mmap;

/// Maps the whole of `file` (opened for reading; `path` names it in errors) read-only. An empty
/// file gives an empty map.
///
/// The caller upholds the module contract: the file is not truncated or rewritten in place while
/// the map lives. The bytes are otherwise untrusted; validate them before use.
pub fn map_file(file: &File, path: &Path) -> Result<Mmap> {
    #[expect(
        unsafe_code,
        reason = "memmap2 cannot prove that nobody modifies the mapped file"
    )]
    // SAFETY: the map is read-only and the files mapped this way are immutable once written;
    // the module contract says nobody in this process truncates or rewrites them while mapped,
    // so the pages stay backed. memmap2 handles empty files by returning an empty map.
    let map = unsafe { Mmap::map(file) };
    map.map_err(|e| Error::io("mmap", path, e))
}

/// A read-only map whose first `visible` bytes may be read; `visible` only grows.
///
/// Invariants: `visible <= raw.len()`; the file is at least `visible` bytes long; no byte below
/// `visible` is ever written again (only [`AppendFile::append`] writes, and only above it).
#[derive(Debug)]
pub struct MappedPrefix {
    /// The map, possibly longer than the file.
    raw: MmapRaw,
    /// Length of the readable, immutable prefix.
    visible: AtomicUsize,
}

impl MappedPrefix {
    /// Maps the first `len` bytes of an existing file (opened for reading; `path` names it in
    /// errors) read-only, all of them visible. Fails with [`Error::Corruption`] if the file is
    /// shorter than `len`.
    ///
    /// The caller upholds the module contract: nothing truncates the file or writes to its first
    /// `len` bytes while the map lives.
    pub fn open(file: &File, path: &Path, len: usize) -> Result<Self> {
        let file_len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        if file_len < u64::try_from(len).unwrap_or(u64::MAX) {
            return Err(Error::corruption(
                path,
                file_len,
                format!("file shorter than {len} bytes"),
            ));
        }
        let raw = MmapOptions::new()
            .len(len)
            .map_raw_read_only(file)
            .map_err(|e| Error::io("mmap", path, e))?;
        Ok(Self {
            raw,
            visible: AtomicUsize::new(len),
        })
    }

    /// The visible prefix.
    #[inline]
    #[expect(
        unsafe_code,
        reason = "building a slice over the published part of a raw map"
    )]
    pub fn bytes(&self) -> &[u8] {
        // Acquire pairs with the Release in `AppendFile::append`: the bytes are written first.
        let len = self.visible.load(Ordering::Acquire).min(self.raw.len());
        // SAFETY: `raw` maps at least `len` bytes and lives as long as `&self`; the file covers
        // them, so reading does not fault; they are never written again (type invariant), so
        // no mutation happens while the returned borrow lives.
        unsafe { std::slice::from_raw_parts(self.raw.as_ptr(), len) }
    }

    /// Length of the visible prefix.
    #[inline]
    pub fn len(&self) -> usize {
        self.visible.load(Ordering::Acquire)
    }

    /// Whether the visible prefix is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file being extended by a single writer while readers share its [`MappedPrefix`].
///
/// Writes go through `pwrite` (so a full disk is an error, not a `SIGBUS` on a dirty page) and
/// become visible to readers once complete.
#[derive(Debug)]
pub struct AppendFile {
    /// The file, opened for writing.
    file: File,
    /// Its path, for errors.
    path: PathBuf,
    /// Bytes written and published.
    len: usize,
    /// What readers see.
    view: Arc<MappedPrefix>,
}

impl AppendFile {
    /// Creates `path` (it must not exist) and maps `capacity` bytes of it; the file can grow to
    /// at most `capacity` bytes. Only this value writes to the file while its view lives (module
    /// contract).
    pub fn create(path: &Path, capacity: usize) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        // Mapping past the end of the file is allowed; pages there are never touched because
        // only the published prefix, which the file covers, is read.
        let raw = MmapOptions::new()
            .len(capacity)
            .map_raw_read_only(&file)
            .map_err(|e| Error::io("mmap", path, e))?;
        let view = Arc::new(MappedPrefix {
            raw,
            visible: AtomicUsize::new(0),
        });
        Ok(Self {
            file,
            path: path.to_path_buf(),
            len: 0,
            view,
        })
    }

    /// Appends `b` and publishes it; returns the offset it was written at. Fails without
    /// publishing anything if the write fails or would exceed the capacity.
    pub fn append(&mut self, b: &[u8]) -> Result<usize> {
        let at = self.len;
        let end = at + b.len();
        if end > self.view.raw.len() {
            let reason = format!("append of {} bytes exceeds the mapped capacity", b.len());
            return Err(Error::io(
                "write",
                &self.path,
                std::io::Error::other(reason),
            ));
        }
        self.file
            .write_all_at(b, at as u64)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.len = end;
        self.view.visible.store(end, Ordering::Release);
        Ok(at)
    }

    /// Room left before the capacity.
    pub fn remaining(&self) -> usize {
        self.view.raw.len() - self.len
    }

    /// The readers' view.
    pub fn view(&self) -> &Arc<MappedPrefix> {
        &self.view
    }

    /// Flushes written data to disk.
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn map_file_handles_empty_and_full_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"").unwrap();
        assert!(map_file(&File::open(&p).unwrap(), &p).unwrap().is_empty());
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(
            &map_file(&File::open(&p).unwrap(), &p).unwrap()[..],
            b"hello"
        );
    }

    #[test]
    fn append_file_publishes_only_written_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        let mut a = AppendFile::create(&p, 1 << 20).unwrap();
        let view = Arc::clone(a.view());
        assert_eq!(view.len(), 0);
        assert!(view.is_empty());
        assert_eq!(a.append(b"abc").unwrap(), 0);
        let before = view.bytes();
        assert_eq!(a.append(b"defg").unwrap(), 3);
        assert_eq!(
            before, b"abc",
            "an earlier borrow is unaffected by later writes"
        );
        assert_eq!(view.bytes(), b"abcdefg");
        assert_eq!(a.remaining(), (1 << 20) - 7);
        a.sync().unwrap();
        assert!(
            AppendFile::create(&p, 16).is_err(),
            "never reuses an existing file"
        );

        let mut small = AppendFile::create(&dir.path().join("s"), 4).unwrap();
        assert!(small.append(b"12345").is_err());
        assert_eq!(small.remaining(), 4);

        let f = File::open(&p).unwrap();
        assert_eq!(MappedPrefix::open(&f, &p, 5).unwrap().bytes(), b"abcde");
        assert!(matches!(
            MappedPrefix::open(&f, &p, 8),
            Err(Error::Corruption { offset: 7, .. })
        ));
        assert_eq!(MappedPrefix::open(&f, &p, 0).unwrap().bytes(), b"");
    }

    #[test]
    fn concurrent_readers_only_ever_see_a_written_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = AppendFile::create(&dir.path().join("c"), 1 << 16).unwrap();
        let view = Arc::clone(a.view());
        // Byte i of the file is `i % 251`, so any prefix is checkable on its own.
        let expected: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8).collect();
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut seen = 0;
                while seen < expected.len() {
                    let b = view.bytes();
                    assert!(b.len() >= seen, "the visible prefix never shrinks");
                    assert_eq!(b, &expected[..b.len()]);
                    seen = b.len();
                }
            });
            for chunk in expected.chunks(37) {
                a.append(chunk).unwrap();
            }
            reader.join().unwrap();
        });
        assert_eq!(view.bytes(), &expected[..]);
    }
}
