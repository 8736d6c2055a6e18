//! Opening the WAL: replay of the newest checkpoint and the segments after it, repair of a
//! damaged tail, and hand-over to the writer.
//!
//! Repair is part of opening, never a separate step: [`Wal::open_and_replay`] (and
//! [`Wal::open`], which replays into nothing) truncates the first damaged segment at the damaged
//! frame and deletes every later segment before the writer exists, and the writer then starts a
//! fresh segment. So no API path appends after bytes that were not verified.
//!
//! Each repair step is crash-safe: truncation and deletions are fsynced before the writer
//! starts; a crash in between leaves a state the next open repairs the same way (the damage is
//! found again at the same offset, or the deleted segments are simply gone).
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::segment::{
    DirListing, Frame, SegmentReader, checkpoint_name, file_len, list_dir, segment_name, sync_dir,
};
use super::writer::{Wal, WalOptions};
use crate::error::{Error, Result};

/// What a record callback made of one record's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The record decoded and was used.
    Used,
    /// The record's checksum matched but its bytes do not decode; the text says why. During
    /// replay this is damage like a bad checksum (the segment is cut back to the record); in a
    /// checkpoint's input it is an [`Error::Corruption`].
    Undecodable(String),
}

/// Where replay found damage and truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    /// Index of the truncated segment.
    pub segment: u64,
    /// Offset the segment was truncated to: the start of the damaged frame.
    pub offset: u64,
    /// What was wrong with the frame.
    pub reason: String,
}

/// What opening the WAL found and changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// The checkpoint replayed, if any.
    pub checkpoint: Option<u64>,
    /// Segments replayed after it.
    pub segments_replayed: u64,
    /// Records the callback used.
    pub records: u64,
    /// The damage that was cut off, if any.
    pub corruption: Option<Corruption>,
    /// Segments deleted because they followed the damage.
    pub deleted_segments: Vec<u64>,
    /// Leftover files removed: unfinished (`.tmp`) and superseded checkpoints.
    pub removed_files: Vec<PathBuf>,
}

/// How reading one file ended.
#[derive(Debug)]
pub(super) enum ReadEnd {
    /// Every frame was valid.
    Clean,
    /// The frame at `offset` is torn, corrupt or does not decode.
    Damaged {
        /// Start of the damaged frame.
        offset: u64,
        /// Why.
        reason: String,
    },
}

/// Reads every record of `path` in order and passes its bytes to `f`, counting the records `f`
/// used in `records`. A record whose tag is not in `tags` (when given) or that `f` reports as
/// undecodable is damage, like a bad frame: reading stops there. Errors of `f` and I/O errors
/// are returned as they are.
pub(super) fn read_records<E: From<Error>>(
    path: &Path,
    tags: Option<&[u8]>,
    records: &mut u64,
    f: &mut impl FnMut(&[u8]) -> Result<RecordOutcome, E>,
) -> Result<ReadEnd, E> {
    let mut reader = SegmentReader::open(path)?;
    loop {
        let (offset, payload) = match reader.next_frame()? {
            Frame::Record { offset, payload } => (offset, payload),
            Frame::End => return Ok(ReadEnd::Clean),
            Frame::Damaged { offset, reason } => return Ok(ReadEnd::Damaged { offset, reason }),
        };
        let outcome = match (payload.first(), tags) {
            (Some(tag), Some(tags)) if !tags.contains(tag) => {
                RecordOutcome::Undecodable(format!("unknown record tag {tag}"))
            }
            _ => f(payload)?,
        };
        if let RecordOutcome::Undecodable(why) = outcome {
            let reason = format!("undecodable record: {why}");
            return Ok(ReadEnd::Damaged { offset, reason });
        }
        *records += 1;
    }
}

/// Segments in `listing` that replay reads after checkpoint `checkpoint`, checked to be
/// consecutive (and to start right after the checkpoint): a gap means lost data that truncation
/// cannot explain, so it is an error rather than something to repair silently.
pub(super) fn segments_after(
    dir: &Path,
    listing: &DirListing,
    checkpoint: Option<u64>,
) -> Result<Vec<u64>> {
    let segs: Vec<u64> = listing
        .segments
        .iter()
        .copied()
        .filter(|&s| checkpoint.is_none_or(|c| s > c))
        .collect();
    let mut expected = checkpoint.map(|c| c + 1).or(segs.first().copied());
    for &s in &segs {
        if Some(s) != expected {
            let want = expected.map_or_else(String::new, segment_name);
            return Err(Error::corruption(
                dir.join(segment_name(s)),
                0,
                format!("WAL segments are not consecutive: expected segment {want}"),
            ));
        }
        expected = Some(s + 1);
    }
    Ok(segs)
}

impl Wal {
    /// Opens (creating if needed) the WAL in `dir`, verifying and repairing it without handing
    /// records to anyone. See [`Wal::open_and_replay`].
    pub fn open(dir: &Path, opts: WalOptions) -> Result<(Wal, RepairReport)> {
        Self::open_and_replay(dir, opts, |_| Ok::<_, Error>(RecordOutcome::Used))
    }

    /// Opens (creating if needed) the WAL in `dir`: passes the bytes of every record of the
    /// newest complete checkpoint and then of every later segment to `f`, in the order they
    /// were logged; truncates the first damaged segment at the damaged frame (a torn or corrupt
    /// frame, a tag outside [`WalOptions::record_tags`], or a record `f` reports as
    /// [`RecordOutcome::Undecodable`]) and deletes the segments after it, logging a warning and
    /// reporting it; removes leftover checkpoints; then starts the writer on a fresh segment.
    ///
    /// An error from `f`, an I/O error, invalid options, a damaged checkpoint or a gap between
    /// segments stops opening without changing any segment. The error type is the caller's, so
    /// `f` can fail with its own errors; this crate's errors convert into it.
    ///
    /// ```
    /// use storage_io::wal::{RecordOutcome, Wal, WalOptions};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let (wal, _) = Wal::open(dir.path(), WalOptions::default())?;
    /// wal.log(&[b"a", b"bc"])?;
    /// wal.close()?;
    ///
    /// let mut seen = Vec::new();
    /// let (_wal, report) = Wal::open_and_replay(dir.path(), WalOptions::default(), |rec| {
    ///     seen.push(rec.to_vec());
    ///     Ok::<_, storage_io::Error>(RecordOutcome::Used)
    /// })?;
    /// assert_eq!(seen, [b"a".to_vec(), b"bc".to_vec()]);
    /// assert_eq!((report.records, report.corruption), (2, None));
    /// # Ok(())
    /// # }
    /// ```
    pub fn open_and_replay<E: From<Error>>(
        dir: &Path,
        opts: WalOptions,
        mut f: impl FnMut(&[u8]) -> Result<RecordOutcome, E>,
    ) -> Result<(Wal, RepairReport), E> {
        opts.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create_dir", dir, e))?;
        let listing = list_dir(dir)?;
        let mut report = RepairReport::default();
        remove_leftovers(dir, &listing, &mut report)?;
        let tags = opts.record_tags;
        let checkpoint = listing.checkpoints.last().copied();
        if let Some(c) = checkpoint {
            let path = dir.join(checkpoint_name(c));
            match read_records(&path, tags, &mut report.records, &mut f)? {
                ReadEnd::Clean => report.checkpoint = Some(c),
                // The segments the checkpoint covers may be gone: nothing to repair from.
                ReadEnd::Damaged { offset, reason } => {
                    return Err(Error::corruption(path, offset, reason).into());
                }
            }
        }
        let segs = segments_after(dir, &listing, checkpoint)?;
        for (i, &seg) in segs.iter().enumerate() {
            let path = dir.join(segment_name(seg));
            report.segments_replayed += 1;
            let end = read_records(&path, tags, &mut report.records, &mut f)?;
            if let ReadEnd::Damaged { offset, reason } = end {
                let later = segs.get(i + 1..).unwrap_or_default();
                repair(dir, seg, offset, reason, later, &mut report)?;
                break;
            }
        }
        let mut sealed = BTreeMap::new();
        for &s in listing
            .segments
            .iter()
            .filter(|s| !report.deleted_segments.contains(s))
        {
            sealed.insert(s, file_len(&dir.join(segment_name(s)))?);
        }
        let next = sealed.keys().next_back().map(|s| s + 1);
        let next = next.max(checkpoint.map(|c| c + 1)).unwrap_or(0);
        let wal = Wal::start(dir, opts, sealed, next)?;
        Ok((wal, report))
    }
}

/// Removes unfinished checkpoints (a crash before their rename) and checkpoints older than the
/// newest (a crash between a checkpoint's rename and the deletion of its predecessors).
fn remove_leftovers(dir: &Path, listing: &DirListing, report: &mut RepairReport) -> Result<()> {
    let superseded = listing
        .checkpoints
        .iter()
        .rev()
        .skip(1)
        .map(|&c| dir.join(checkpoint_name(c)));
    let victims: Vec<PathBuf> = listing
        .tmp_checkpoints
        .iter()
        .cloned()
        .chain(superseded)
        .collect();
    for path in &victims {
        tracing::info!(file = %path.display(), "removing leftover WAL checkpoint");
        std::fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
    }
    if !victims.is_empty() {
        sync_dir(dir)?;
    }
    report.removed_files.extend(victims);
    Ok(())
}

/// Truncates segment `seg` at `offset` and deletes `later` segments, durably.
fn repair(
    dir: &Path,
    seg: u64,
    offset: u64,
    reason: String,
    later: &[u64],
    report: &mut RepairReport,
) -> Result<()> {
    let path = dir.join(segment_name(seg));
    tracing::warn!(
        segment = %path.display(),
        offset,
        reason = %reason,
        deleted_later_segments = later.len(),
        "WAL corruption: keeping the records before the damage, truncating the rest",
    );
    let file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    file.set_len(offset)
        .map_err(|e| Error::io("truncate", &path, e))?;
    file.sync_all().map_err(|e| Error::io("fsync", &path, e))?;
    for &s in later {
        let p = dir.join(segment_name(s));
        std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
        report.deleted_segments.push(s);
    }
    sync_dir(dir)?;
    report.corruption = Some(Corruption {
        segment: seg,
        offset,
        reason,
    });
    Ok(())
}
