//! Segment files: names, directory listing, record framing and a sequential frame reader.
//!
//! A segment is a plain sequence of frames, `len u32 BE | crc32c(payload) u32 BE | payload`,
//! with no file header and no padding. `len` is at least 1 (the payload starts with its record
//! tag), so a zero-filled tail, which a crash can leave behind on some file systems, never reads
//! as a valid record. Frames never span segments. Checkpoints use the same frame layout. The
//! reader distinguishes I/O errors (returned as `Err`) from damage (returned as
//! [`Frame::Damaged`] with the frame's offset), because damage is repaired by truncation while an
//! I/O error must stop the caller.
#![deny(clippy::indexing_slicing)]

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Bytes before each payload: the big-endian payload length and CRC32-Castagnoli.
pub const FRAME_HEADER_LEN: usize = 8;

/// Read buffer of the frame reader; large enough that small records cost no syscall each.
const READ_BUFFER: usize = 1 << 20;

/// Prefix of checkpoint file names.
const CHECKPOINT_PREFIX: &str = "checkpoint.";
/// Suffix of a checkpoint that is still being written.
const TMP_SUFFIX: &str = ".tmp";

/// File name of segment `index`: eight digits, zero-padded (wider when it needs more).
pub fn segment_name(index: u64) -> String {
    format!("{index:08}")
}

/// File name of the checkpoint covering segments up to `index`: `checkpoint.` and eight digits.
pub fn checkpoint_name(index: u64) -> String {
    format!("{CHECKPOINT_PREFIX}{index:08}")
}

/// File name of the checkpoint covering `index` while it is being written.
pub(crate) fn checkpoint_tmp_name(index: u64) -> String {
    format!("{CHECKPOINT_PREFIX}{index:08}{TMP_SUFFIX}")
}

/// Parses a name made only of ASCII digits.
fn parse_index(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What a WAL directory holds; each list is sorted ascending. Files with other names are ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirListing {
    /// Indexes of segment files.
    pub segments: Vec<u64>,
    /// Indexes of complete checkpoints.
    pub checkpoints: Vec<u64>,
    /// Checkpoints that were being written when the process stopped.
    pub tmp_checkpoints: Vec<PathBuf>,
}

/// Lists the WAL directory `dir` (read-only).
pub fn list_dir(dir: &Path) -> Result<DirListing> {
    let mut out = DirListing::default();
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read_dir", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read_dir", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(i) = parse_index(name) {
            out.segments.push(i);
        } else if let Some(rest) = name.strip_prefix(CHECKPOINT_PREFIX) {
            if let Some(i) = parse_index(rest) {
                out.checkpoints.push(i);
            } else if rest
                .strip_suffix(TMP_SUFFIX)
                .and_then(parse_index)
                .is_some()
            {
                out.tmp_checkpoints.push(entry.path());
            }
        }
    }
    out.segments.sort_unstable();
    out.checkpoints.sort_unstable();
    out.tmp_checkpoints.sort();
    Ok(out)
}

/// Appends the frame of `payload` to `buf`. The caller guarantees `1 <= payload.len() <=
/// u32::MAX` (see [`check_record`]).
pub(crate) fn append_frame(buf: &mut Vec<u8>, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(&crc32c::crc32c(payload).to_be_bytes());
    buf.extend_from_slice(payload);
}

/// Refuses a record the reader would later treat as damage: empty, longer than a frame can
/// describe, or (when `tags` is given) starting with a tag not in `tags`.
pub(crate) fn check_record(record: &[u8], tags: Option<&[u8]>) -> Result<()> {
    let reason = match record.first() {
        None => "empty record".to_owned(),
        Some(tag) if tags.is_some_and(|t| !t.contains(tag)) => format!("unknown record tag {tag}"),
        Some(_) if u32::try_from(record.len()).is_err() => {
            format!("{} bytes exceed 4 GiB", record.len())
        }
        Some(_) => return Ok(()),
    };
    Err(Error::InvalidOption {
        name: "wal record",
        reason,
    })
}

/// Fsyncs a directory so that creations, renames and deletions in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync", dir, e))
}

/// Size of the file at `path`.
pub(crate) fn file_len(path: &Path) -> Result<u64> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| Error::io("stat", path, e))
}

/// The next thing in a segment.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A record whose checksum matched, starting (with its header) at `offset`.
    Record {
        /// Offset of the frame header in the file.
        offset: u64,
        /// The record bytes.
        payload: &'a [u8],
    },
    /// The clean end of the segment.
    End,
    /// A frame that is torn or corrupt; nothing at or after `offset` can be trusted.
    Damaged {
        /// Offset of the damaged frame's header.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
}

/// Reads the frames of one segment (or checkpoint) file in order.
///
/// The file length is taken once at open, so a length field pointing past it is damage, never
/// a read of what a concurrent writer appends later.
///
/// ```
/// use storage_io::wal::{Frame, SegmentReader, Wal, WalOptions, segment_name};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let (wal, _) = Wal::open(dir.path(), WalOptions::default())?;
/// wal.log(&[b"first", b"second"])?;
/// wal.close()?;
/// let mut reader = SegmentReader::open(&dir.path().join(segment_name(0)))?;
/// assert!(matches!(reader.next_frame()?, Frame::Record { offset: 0, payload: b"first" }));
/// assert!(matches!(reader.next_frame()?, Frame::Record { offset: 13, payload: b"second" }));
/// assert_eq!(reader.next_frame()?, Frame::End);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SegmentReader {
    path: PathBuf,
    reader: BufReader<File>,
    /// Offset of the next frame.
    offset: u64,
    /// File length at open.
    len: u64,
    /// Reused payload buffer.
    buf: Vec<u8>,
    /// Set once `Damaged` or `End` was returned; later calls repeat `End`.
    done: bool,
}

impl SegmentReader {
    /// Opens `path` for reading from its start.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        Ok(Self {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(READ_BUFFER, file),
            offset: 0,
            len,
            buf: Vec::new(),
            done: false,
        })
    }

    /// The next frame: a verified payload, the clean end of the file, or the first damaged frame
    /// (after which only `End` follows). I/O errors other than a short read are errors.
    pub fn next_frame(&mut self) -> Result<Frame<'_>> {
        if self.done {
            return Ok(Frame::End);
        }
        let offset = self.offset;
        let left = self.len.saturating_sub(offset);
        if left == 0 {
            self.done = true;
            return Ok(Frame::End);
        }
        if let Err(reason) = self.read_payload(left)? {
            self.done = true;
            return Ok(Frame::Damaged { offset, reason });
        }
        Ok(Frame::Record {
            offset,
            payload: &self.buf,
        })
    }

    /// Reads the frame at `self.offset` into `self.buf`; the inner `Err` is damage.
    fn read_payload(&mut self, left: u64) -> Result<Result<(), String>> {
        if left < FRAME_HEADER_LEN as u64 {
            return Ok(Err(format!("torn frame header: {left} bytes left")));
        }
        let mut header = [0u8; FRAME_HEADER_LEN];
        self.reader
            .read_exact(&mut header)
            .map_err(|e| Error::io("read", &self.path, e))?;
        let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
        let len = u32::from_be_bytes([l0, l1, l2, l3]);
        let stored_crc = u32::from_be_bytes([c0, c1, c2, c3]);
        let body_left = left - FRAME_HEADER_LEN as u64;
        if len == 0 {
            return Ok(Err("zero-length frame".to_owned()));
        }
        if u64::from(len) > body_left {
            return Ok(Err(format!(
                "frame length {len} exceeds the {body_left} bytes left"
            )));
        }
        let Ok(len) = usize::try_from(len) else {
            return Ok(Err(format!("frame length {len} does not fit in memory")));
        };
        self.buf.resize(len, 0);
        self.reader
            .read_exact(&mut self.buf)
            .map_err(|e| Error::io("read", &self.path, e))?;
        let crc = crc32c::crc32c(&self.buf);
        if crc != stored_crc {
            return Ok(Err(format!(
                "CRC mismatch: stored {stored_crc:#010x}, computed {crc:#010x}"
            )));
        }
        self.offset += (FRAME_HEADER_LEN + len) as u64;
        Ok(Ok(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        for p in payloads {
            append_frame(&mut buf, p);
        }
        buf
    }

    /// All frames of `bytes`, then the terminal frame (End or Damaged).
    fn read_all(bytes: &[u8]) -> (Vec<Vec<u8>>, Frame<'static>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(segment_name(0));
        fs::write(&path, bytes).unwrap();
        let mut r = SegmentReader::open(&path).unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_frame().unwrap() {
                Frame::Record { payload, .. } => out.push(payload.to_vec()),
                Frame::End => return (out, Frame::End),
                Frame::Damaged { offset, reason } => {
                    return (out, Frame::Damaged { offset, reason });
                }
            }
        }
    }

    #[test]
    fn names_parse_back() {
        assert_eq!(segment_name(12), "00000012");
        assert_eq!(segment_name(123_456_789), "123456789");
        assert_eq!(checkpoint_name(3), "checkpoint.00000003");
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "00000002",
            "00000010",
            "checkpoint.00000001",
            "checkpoint.00000004.tmp",
        ] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        for name in ["x1", "0000000a", "checkpoint.", "checkpoint.1.bak", "LOCK"] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let l = list_dir(dir.path()).unwrap();
        assert_eq!(l.segments, [2, 10]);
        assert_eq!(l.checkpoints, [1]);
        assert_eq!(
            l.tmp_checkpoints,
            [dir.path().join("checkpoint.00000004.tmp")]
        );
    }

    #[test]
    fn clean_frames_read_back() {
        let big = vec![7u8; 3 * READ_BUFFER + 5]; // larger than the read buffer
        let (got, end) = read_all(&frames(&[b"a", &big, b"xyz"]));
        assert_eq!(got, [b"a".to_vec(), big, b"xyz".to_vec()]);
        assert_eq!(end, Frame::End);
    }

    #[test]
    fn damage_is_reported_at_the_frame_offset() {
        let good = frames(&[b"one", b"two"]);
        let second = (FRAME_HEADER_LEN + 3) as u64;
        // Torn header.
        let (got, end) = read_all(&good[..good.len() - 9]);
        assert_eq!(got.len(), 1);
        assert!(matches!(end, Frame::Damaged { offset, .. } if offset == second));
        // Torn payload.
        let (_, end) = read_all(&good[..good.len() - 1]);
        assert!(
            matches!(end, Frame::Damaged { offset, ref reason } if offset == second && reason.contains("exceeds"))
        );
        // Flipped payload bit.
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        let (_, end) = read_all(&bad);
        assert!(matches!(end, Frame::Damaged { ref reason, .. } if reason.contains("CRC")));
        // Zero-filled tail.
        let mut zeros = good.clone();
        zeros.extend_from_slice(&[0; 64]);
        let (got, end) = read_all(&zeros);
        assert_eq!(got.len(), 2);
        assert!(matches!(end, Frame::Damaged { ref reason, .. } if reason.contains("zero-length")));
    }
}
