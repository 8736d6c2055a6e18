//! Following the live WAL from a position, for readers outside the write path (the remote-write
//! sender): series definitions and samples in log order, a resumable [`WalPosition`], and
//! reports of what could not be read.
//!
//! How it reads (the semantics of Prometheus's `tsdb/wlog/watcher.go`, over our files):
//! - At open it reads the series of the newest checkpoint (its samples are not replayed) and
//!   the series records of the segments up to the start position, so every reference logged
//!   before the position is known; samples are yielded only from the start position on.
//! - Frames are read straight from the segment file with their own reader, because storage-io's
//!   `SegmentReader` fixes the file length at open: here a read past the end simply returns
//!   what the writer appended since.
//! - The end of the newest segment, or a torn frame there, is "nothing more yet"
//!   ([`TailEvent::CaughtUp`]): the writer may be in the middle of that write. A segment is
//!   left only after a newer one exists *and* a second read after seeing it still ends there:
//!   the writer never appends to a segment once it created the next, so that read is final.
//! - When the next segment is gone (the tailer lagged behind a checkpoint and truncation), or
//!   the WAL was recreated, it re-reads the newest checkpoint's series, continues at the first
//!   segment after it, and reports a [`TailEvent::Gap`]. A damaged frame in a sealed segment,
//!   or a record that does not decode, is a gap too: the rest of that segment (or that one
//!   record) is skipped.
#![deny(clippy::indexing_slicing)]

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use model::Labels;
use storage_io::wal::{DirListing, FRAME_HEADER_LEN, checkpoint_name, list_dir, segment_name};

use super::record::{Record, RecordDecoder};
use crate::error::{Error, Result};
use crate::head::SeriesRef;

/// Bytes read from a file per read call.
const READ_CHUNK: u64 = 256 << 10;
/// Consumed bytes at the front of the read buffer before it is compacted.
const COMPACT_AT: usize = 256 << 10;
/// How often opening a checkpoint or segment that vanished between listing and opening is
/// retried with a new listing (each retry means the database truncated the WAL meanwhile).
const MAX_RELIST: usize = 8;

/// A place in the WAL: the next record a tailer reads starts at `offset` in `segment`.
/// Positions order as the log does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WalPosition {
    /// Index of the segment file (`wal/00000042` is 42).
    pub segment: u64,
    /// Byte offset of the next frame in that segment.
    pub offset: u64,
}

/// A series definition read from the WAL: `series_ref` means `labels` in later samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalSeries {
    /// The head's reference for the series.
    pub series_ref: SeriesRef,
    /// The series' labels.
    pub labels: Labels,
}

/// A sample read from the WAL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalSample {
    /// The series, defined by an earlier [`WalSeries`].
    pub series_ref: SeriesRef,
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// The value, bit-exact (staleness markers included).
    pub v: f64,
}

/// Why a tailer skipped part of the WAL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapCause {
    /// The segments were checkpointed and deleted before they were read.
    Truncated,
    /// The position lies beyond every segment, or inside a segment that became shorter: the
    /// WAL was recreated or repaired after a crash.
    Rewritten,
    /// A frame of a sealed segment is damaged; the rest of that segment was skipped.
    Damaged {
        /// What was wrong with the frame.
        reason: String,
    },
    /// A record whose checksum matched does not decode; that record was skipped.
    Undecodable {
        /// Why it does not decode.
        reason: String,
    },
}

/// A part of the WAL a tailer did not read: samples logged in `[from, resumed_at)` were lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalGap {
    /// Where reading stopped.
    pub from: WalPosition,
    /// Where it went on.
    pub resumed_at: WalPosition,
    /// Why.
    pub cause: GapCause,
}

/// What [`WalTail::next`] read.
#[derive(Debug, Clone, PartialEq)]
pub enum TailEvent<'a> {
    /// Series definitions (from a checkpoint or a segment), valid for every later sample.
    Series(&'a [WalSeries]),
    /// Samples at or after the start position, in log order.
    Samples(&'a [WalSample]),
    /// Part of the WAL was skipped; series known so far stay valid.
    Gap(WalGap),
    /// Everything written so far was read: call again later.
    CaughtUp,
}

/// The file a tailer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `checkpoint.N`: series only.
    Checkpoint(u64),
    /// Segment `N`.
    Segment(u64),
}

/// Follows a WAL directory; see the module documentation. Open it with
/// [`Db::wal_tail`](crate::Db::wal_tail).
#[derive(Debug)]
pub struct WalTail {
    dir: PathBuf,
    source: Source,
    file: FrameFile,
    /// Samples of records that start before this position are not yielded (warm-up).
    live_from: WalPosition,
    /// The current segment was seen to have a successor; its next end is final.
    successor_seen: bool,
    /// A gap found at open, reported by the first `next`.
    pending_gap: Option<WalGap>,
    dec: RecordDecoder,
    series: Vec<WalSeries>,
    samples: Vec<WalSample>,
}

impl WalTail {
    /// Opens a tailer of the WAL in `dir` yielding samples from `from` on, or (with `None`)
    /// from the current end of the WAL, i.e. only samples appended from now on.
    pub(crate) fn open(dir: &Path, from: Option<WalPosition>) -> Result<Self> {
        for _ in 0..MAX_RELIST {
            let listing = list_dir(dir)?;
            let (live_from, gap) = start_position(dir, &listing, from)?;
            let first = first_source(&listing, live_from);
            match FrameFile::open(&source_path(dir, first)) {
                Ok(file) => {
                    return Ok(Self {
                        dir: dir.to_owned(),
                        source: first,
                        file,
                        live_from,
                        successor_seen: false,
                        pending_gap: gap,
                        dec: RecordDecoder::new(),
                        series: Vec::new(),
                        samples: Vec::new(),
                    });
                }
                Err(Opened::Missing) => continue,
                Err(Opened::Failed(e)) => return Err(e),
            }
        }
        Err(vanishing(dir))
    }

    /// The position to resume from: the next record this tailer would yield samples of.
    /// Persist it once everything yielded before it was handled.
    pub fn position(&self) -> WalPosition {
        match self.source {
            Source::Checkpoint(_) => self.live_from,
            Source::Segment(segment) => self.live_from.max(WalPosition {
                segment,
                offset: self.file.offset,
            }),
        }
    }

    /// The next series definitions, samples or gap, or [`TailEvent::CaughtUp`] at the end of
    /// what was written. Errors are I/O errors and a damaged checkpoint; the tailer may be
    /// called again after one.
    #[allow(clippy::should_implement_trait)] // Borrows from `self`: not an `Iterator`.
    pub fn next(&mut self) -> Result<TailEvent<'_>> {
        if let Some(gap) = self.pending_gap.take() {
            return Ok(TailEvent::Gap(gap));
        }
        loop {
            match self.read_one()? {
                Step::Series => return Ok(TailEvent::Series(&self.series)),
                Step::Samples => return Ok(TailEvent::Samples(&self.samples)),
                Step::Gap(gap) => return Ok(TailEvent::Gap(gap)),
                Step::CaughtUp => return Ok(TailEvent::CaughtUp),
                Step::Again => {}
            }
        }
    }

    /// Reads one frame (or handles the end of the current file).
    fn read_one(&mut self) -> Result<Step> {
        let (offset, end) = match self.file.next_frame()? {
            TailFrame::Record { offset, payload } => {
                let live = match self.source {
                    Source::Checkpoint(_) => false,
                    Source::Segment(segment) => WalPosition { segment, offset } >= self.live_from,
                };
                let out = Decoded {
                    series: &mut self.series,
                    samples: &mut self.samples,
                };
                match decode(&mut self.dec, payload, live, out) {
                    Ok(step) => return Ok(step),
                    Err(reason) => return self.undecodable(offset, reason),
                }
            }
            TailFrame::End => (self.file.offset, None),
            TailFrame::Torn { offset, reason } => (offset, Some(reason)),
        };
        match self.source {
            Source::Checkpoint(c) => match end {
                // A checkpoint appears by an atomic rename of a complete file.
                Some(reason) => Err(Error::corruption(self.file.path.clone(), offset, reason)),
                None => self.after_checkpoint(c),
            },
            Source::Segment(s) => self.end_of_segment(s, offset, end),
        }
    }

    /// A record at `offset` passed its checksum but does not decode: an error in a checkpoint,
    /// a one-record gap in a segment.
    fn undecodable(&mut self, offset: u64, reason: String) -> Result<Step> {
        match self.source {
            Source::Checkpoint(_) => Err(Error::corruption(self.file.path.clone(), offset, reason)),
            Source::Segment(segment) => Ok(Step::Gap(WalGap {
                from: WalPosition { segment, offset },
                resumed_at: self.position(),
                cause: GapCause::Undecodable { reason },
            })),
        }
    }

    /// After the checkpoint's last record: continue at the segment after it.
    fn after_checkpoint(&mut self, checkpoint: u64) -> Result<Step> {
        let next = checkpoint + 1;
        match FrameFile::open(&self.dir.join(segment_name(next))) {
            Ok(file) => {
                self.switch(Source::Segment(next), file);
                Ok(Step::Again)
            }
            // Truncated further while the checkpoint was read.
            Err(Opened::Missing) => self.jump(WalPosition {
                segment: next,
                offset: 0,
            }),
            Err(Opened::Failed(e)) => Err(e),
        }
    }

    /// At the end (or a torn frame at `offset`) of segment `s`: wait, re-read, or move on.
    fn end_of_segment(&mut self, s: u64, offset: u64, torn: Option<String>) -> Result<Step> {
        let listing = list_dir(&self.dir)?;
        let has_successor = listing.segments.iter().any(|&x| x > s);
        if !has_successor {
            if listing.segments.contains(&s) {
                return Ok(Step::CaughtUp);
            }
            // Our segment is gone and nothing follows it: the WAL was recreated.
            return self.jump_with(self.position(), GapCause::Rewritten);
        }
        if !self.successor_seen {
            // Frames may have landed between the read and the listing; read once more.
            self.successor_seen = true;
            return Ok(Step::Again);
        }
        let here = WalPosition { segment: s, offset };
        match FrameFile::open(&self.dir.join(segment_name(s + 1))) {
            Ok(file) => {
                self.switch(Source::Segment(s + 1), file);
                match torn {
                    Some(reason) => Ok(Step::Gap(WalGap {
                        from: here,
                        resumed_at: self.position(),
                        cause: GapCause::Damaged { reason },
                    })),
                    None => Ok(Step::Again),
                }
            }
            Err(Opened::Missing) => self.jump(WalPosition {
                segment: s + 1,
                offset: 0,
            }),
            Err(Opened::Failed(e)) => Err(e),
        }
    }

    /// Segments from `from` on were truncated: re-read the newest checkpoint's series and go on
    /// after it.
    fn jump(&mut self, from: WalPosition) -> Result<Step> {
        self.jump_with(from, GapCause::Truncated)
    }

    fn jump_with(&mut self, from: WalPosition, cause: GapCause) -> Result<Step> {
        for _ in 0..MAX_RELIST {
            let listing = list_dir(&self.dir)?;
            let resumed_at = restart_point(&listing);
            let source = first_source(&listing, resumed_at);
            match FrameFile::open(&source_path(&self.dir, source)) {
                Ok(file) => {
                    self.switch(source, file);
                    self.live_from = resumed_at;
                    return Ok(Step::Gap(WalGap {
                        from,
                        resumed_at,
                        cause,
                    }));
                }
                Err(Opened::Missing) => continue,
                Err(Opened::Failed(e)) => return Err(e),
            }
        }
        Err(vanishing(&self.dir))
    }

    fn switch(&mut self, source: Source, file: FrameFile) {
        self.source = source;
        self.file = file;
        self.successor_seen = false;
    }
}

/// What one read step produced; `Again` means nothing to yield yet.
enum Step {
    Series,
    Samples,
    Gap(WalGap),
    CaughtUp,
    Again,
}

/// The tailer's output buffers, borrowed apart from its reader.
struct Decoded<'a> {
    series: &'a mut Vec<WalSeries>,
    samples: &'a mut Vec<WalSample>,
}

/// Decodes one record into `out`: series always, samples only when `live`; the error is why
/// the record does not decode.
fn decode(
    dec: &mut RecordDecoder,
    payload: &[u8],
    live: bool,
    out: Decoded<'_>,
) -> std::result::Result<Step, String> {
    match dec.decode(payload).map_err(|e| e.to_string())? {
        Record::Series(s) => {
            out.series.clear();
            out.series.extend(s.iter().map(|s| WalSeries {
                series_ref: SeriesRef(s.series_ref),
                labels: s.labels.clone(),
            }));
            Ok(Step::Series)
        }
        Record::Samples(s) if live && !s.is_empty() => {
            out.samples.clear();
            out.samples.extend(s.iter().map(|s| WalSample {
                series_ref: SeriesRef(s.series_ref),
                t: s.t,
                v: s.v,
            }));
            Ok(Step::Samples)
        }
        // Samples before the start position, empty records, and tombstones (remote readers
        // receive no deletions, as in Prometheus).
        Record::Samples(_) | Record::Tombstones(_) => Ok(Step::Again),
    }
}

/// Where yielding samples starts, and the gap to report if `from` cannot be honoured.
fn start_position(
    dir: &Path,
    listing: &DirListing,
    from: Option<WalPosition>,
) -> Result<(WalPosition, Option<WalGap>)> {
    let newest = listing.segments.last().copied();
    let Some(from) = from else {
        // The current end: records that start before the newest segment's present length
        // were written (or were being written) before the tailer existed.
        let live_from = match newest {
            Some(segment) => WalPosition {
                segment,
                offset: file_len(&dir.join(segment_name(segment)))?,
            },
            None => restart_point(listing),
        };
        return Ok((live_from, None));
    };
    let checkpoint = listing.checkpoints.last().copied();
    let oldest = listing.segments.first().copied();
    let gap = |resumed_at: WalPosition, cause: GapCause| {
        let gap = WalGap {
            from,
            resumed_at,
            cause,
        };
        Ok((resumed_at, Some(gap)))
    };
    if newest.is_none_or(|n| from.segment > n) {
        return gap(restart_point(listing), GapCause::Rewritten);
    }
    if checkpoint.is_some_and(|c| from.segment <= c) || oldest.is_some_and(|o| from.segment < o) {
        return gap(restart_point(listing), GapCause::Truncated);
    }
    let len = file_len(&dir.join(segment_name(from.segment)))?;
    if from.offset > len {
        // Cut back by crash repair: what follows the cut is new, or (in the active segment)
        // whatever the writer appended since, which starts at a frame we cannot locate.
        let segment = match newest {
            Some(n) if n == from.segment => n,
            _ => from.segment + 1,
        };
        return gap(WalPosition { segment, offset: 0 }, GapCause::Rewritten);
    }
    Ok((from, None))
}

/// Where reading goes on after a truncation or reset: the segment after the newest checkpoint,
/// else the oldest segment.
fn restart_point(listing: &DirListing) -> WalPosition {
    let segment = match listing.checkpoints.last() {
        Some(&c) => listing
            .segments
            .iter()
            .copied()
            .find(|&s| s > c)
            .unwrap_or(c + 1),
        None => listing.segments.first().copied().unwrap_or(0),
    };
    WalPosition { segment, offset: 0 }
}

/// The first file to read to know every series logged before `live_from`: the newest checkpoint
/// below it, else the oldest segment.
fn first_source(listing: &DirListing, live_from: WalPosition) -> Source {
    let checkpoint = listing
        .checkpoints
        .iter()
        .rev()
        .copied()
        .find(|&c| c < live_from.segment);
    match checkpoint {
        Some(c) => Source::Checkpoint(c),
        None => Source::Segment(
            listing
                .segments
                .first()
                .copied()
                .unwrap_or(live_from.segment)
                .min(live_from.segment),
        ),
    }
}

fn source_path(dir: &Path, source: Source) -> PathBuf {
    match source {
        Source::Checkpoint(c) => dir.join(checkpoint_name(c)),
        Source::Segment(s) => dir.join(segment_name(s)),
    }
}

fn file_len(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| Error::io("stat", path, e))
}

fn vanishing(dir: &Path) -> Error {
    Error::io(
        "follow",
        dir,
        std::io::Error::other("WAL files keep vanishing between listing and opening"),
    )
}

/// Why a file could not be opened.
enum Opened {
    /// It does not exist (any more).
    Missing,
    /// Anything else.
    Failed(Error),
}

/// The next thing in a file being appended to.
enum TailFrame<'a> {
    /// A whole record starting at `offset`.
    Record { offset: u64, payload: &'a [u8] },
    /// No bytes after the last record (yet).
    End,
    /// The frame at `offset` is incomplete or fails its checksum (at the live tail: not yet
    /// fully written). Nothing is consumed; the next call reads it again.
    Torn { offset: u64, reason: String },
}

/// Reads frames (`len u32 BE | crc32c u32 BE | payload`, storage-io's layout) from a file that
/// may still grow: reads at the end return whatever was appended since.
#[derive(Debug)]
struct FrameFile {
    path: PathBuf,
    file: File,
    /// Offset of the next frame; `buf[start..]` holds the file's bytes from here on.
    offset: u64,
    buf: Vec<u8>,
    start: usize,
}

impl FrameFile {
    fn open(path: &Path) -> std::result::Result<Self, Opened> {
        match File::open(path) {
            Ok(file) => Ok(Self {
                path: path.to_owned(),
                file,
                offset: 0,
                buf: Vec::new(),
                start: 0,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Opened::Missing),
            Err(e) => Err(Opened::Failed(Error::io("open", path, e))),
        }
    }

    /// Bytes buffered after `start`.
    fn available(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Reads until `want` bytes are buffered after `start` or the file has no more.
    fn fill(&mut self, want: usize) -> Result<()> {
        if self.start >= COMPACT_AT || self.start == self.buf.len() {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
        while self.available() < want {
            let missing = (want - self.available()) as u64;
            let n = (&self.file)
                .take(missing.max(READ_CHUNK))
                .read_to_end(&mut self.buf)
                .map_err(|e| Error::io("read", &self.path, e))?;
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    fn next_frame(&mut self) -> Result<TailFrame<'_>> {
        self.fill(FRAME_HEADER_LEN)?;
        let offset = self.offset;
        let avail = self.available();
        if avail == 0 {
            return Ok(TailFrame::End);
        }
        let header = self.buf.get(self.start..self.start + FRAME_HEADER_LEN);
        let Some(&[l0, l1, l2, l3, c0, c1, c2, c3]) = header else {
            let reason = format!("torn frame header: {avail} bytes");
            return Ok(TailFrame::Torn { offset, reason });
        };
        let len = u32::from_be_bytes([l0, l1, l2, l3]) as usize;
        let stored_crc = u32::from_be_bytes([c0, c1, c2, c3]);
        if len == 0 {
            let reason = "zero-length frame".to_owned();
            return Ok(TailFrame::Torn { offset, reason });
        }
        self.fill(FRAME_HEADER_LEN + len)?;
        let body = self.start + FRAME_HEADER_LEN;
        let Some(payload) = self.buf.get(body..body + len) else {
            let have = self.available() - FRAME_HEADER_LEN;
            let reason = format!("frame of {len} bytes, {have} written");
            return Ok(TailFrame::Torn { offset, reason });
        };
        let crc = crc32c::crc32c(payload);
        if crc != stored_crc {
            let reason = format!("CRC mismatch: stored {stored_crc:#010x}, computed {crc:#010x}");
            return Ok(TailFrame::Torn { offset, reason });
        }
        self.start = body + len;
        self.offset += (FRAME_HEADER_LEN + len) as u64;
        Ok(TailFrame::Record { offset, payload })
    }
}

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
