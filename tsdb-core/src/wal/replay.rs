//! Opening the WAL: replay of the newest checkpoint and the segments after it, repair of a
//! damaged tail, and hand-over to the writer.
//!
//! Repair is part of opening, never a separate step: `Wal::open_and_replay` (and `Wal::open`,
//! which replays into nothing) truncates the first damaged segment at the damaged frame and
//! deletes every later segment before the writer exists, and the writer then starts a fresh
//! segment. So no API path appends after bytes that were not verified.
//!
//! Each repair step is crash-safe: truncation and deletions are fsynced before the writer
//! starts; a crash in between leaves a state the next open repairs the same way (the damage is
//! found again at the same offset, or the deleted segments are simply gone).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::record::{Record, RecordDecoder};
use super::segment::{
    DirListing, Frame, SegmentReader, checkpoint_name, file_len, list_dir, segment_name, sync_dir,
};
use super::writer::{Wal, WalOptions};
use crate::error::{Error, Result};

/// Where replay found damage and truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Corruption {
    /// Index of the truncated segment.
    pub(crate) segment: u64,
    /// Offset the segment was truncated to: the start of the damaged frame.
    pub(crate) offset: u64,
    /// What was wrong with the frame.
    pub(crate) reason: String,
}

/// What opening the WAL found and changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RepairReport {
    /// The checkpoint replayed, if any.
    pub(crate) checkpoint: Option<u64>,
    /// Segments replayed after it.
    pub(crate) segments_replayed: u64,
    /// Records passed to the callback.
    pub(crate) records: u64,
    /// The damage that was cut off, if any.
    pub(crate) corruption: Option<Corruption>,
    /// Segments deleted because they followed the damage.
    pub(crate) deleted_segments: Vec<u64>,
    /// Leftover files removed: unfinished (`.tmp`) and superseded checkpoints.
    pub(crate) removed_files: Vec<PathBuf>,
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

/// Reads every record of `path` in order, decoding with `dec` and passing each to `f`. Stops at
/// the first damaged frame; errors of `f` and I/O errors are returned as they are.
pub(super) fn read_records(
    path: &Path,
    dec: &mut RecordDecoder,
    records: &mut u64,
    f: &mut impl FnMut(Record<'_>) -> Result<()>,
) -> Result<ReadEnd> {
    let mut reader = SegmentReader::open(path)?;
    loop {
        let (offset, payload) = match reader.next_frame()? {
            Frame::Record { offset, payload } => (offset, payload),
            Frame::End => return Ok(ReadEnd::Clean),
            Frame::Damaged { offset, reason } => return Ok(ReadEnd::Damaged { offset, reason }),
        };
        match dec.decode(payload) {
            Ok(rec) => f(rec)?,
            Err(e) => {
                let reason = format!("undecodable record: {e}");
                return Ok(ReadEnd::Damaged { offset, reason });
            }
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
    /// Opens (creating if needed) the WAL in `dir`, verifying and repairing it without
    /// replaying into anything. See [`Wal::open_and_replay`].
    #[cfg(test)]
    pub(crate) fn open(dir: &Path, opts: WalOptions) -> Result<(Wal, RepairReport)> {
        Self::open_and_replay(dir, opts, |_| Ok(()))
    }

    /// Opens (creating if needed) the WAL in `dir`: passes every record of the newest complete
    /// checkpoint and then of every later segment to `f`, in the order they were logged;
    /// truncates the first damaged segment at the damaged frame and deletes the segments after
    /// it (logging a warning and reporting it); removes leftover checkpoints; then starts the
    /// writer on a fresh segment.
    ///
    /// An error from `f`, an I/O error, a damaged checkpoint or a gap between segments stops
    /// opening without changing any segment.
    pub(crate) fn open_and_replay(
        dir: &Path,
        opts: WalOptions,
        mut f: impl FnMut(Record<'_>) -> Result<()>,
    ) -> Result<(Wal, RepairReport)> {
        opts.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create_dir", dir, e))?;
        let listing = list_dir(dir)?;
        let mut report = RepairReport::default();
        let mut dec = RecordDecoder::new();
        remove_leftovers(dir, &listing, &mut report)?;
        let checkpoint = listing.checkpoints.last().copied();
        if let Some(c) = checkpoint {
            replay_checkpoint(&dir.join(checkpoint_name(c)), &mut dec, &mut report, &mut f)?;
            report.checkpoint = Some(c);
        }
        let segs = segments_after(dir, &listing, checkpoint)?;
        for (i, &seg) in segs.iter().enumerate() {
            let path = dir.join(segment_name(seg));
            report.segments_replayed += 1;
            let end = read_records(&path, &mut dec, &mut report.records, &mut f)?;
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

/// Replays a checkpoint; damage in it is an error, since the segments it covers may be gone.
fn replay_checkpoint(
    path: &Path,
    dec: &mut RecordDecoder,
    report: &mut RepairReport,
    f: &mut impl FnMut(Record<'_>) -> Result<()>,
) -> Result<()> {
    match read_records(path, dec, &mut report.records, f)? {
        ReadEnd::Clean => Ok(()),
        ReadEnd::Damaged { offset, reason } => Err(Error::corruption(path, offset, reason)),
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

/// Fuzz entry point: writes `data` as the only segment of a fresh WAL directory, opens it
/// (replaying and repairing), appends a record and checks that it replays after the kept ones.
/// Panics only on a bug: any byte content must be handled.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn fuzz_wal_reader(data: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUN: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "tsdb-wal-fuzz-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err()
        || std::fs::write(dir.join(segment_name(0)), data).is_err()
    {
        return;
    }
    let _ = fuzz_round(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(any(test, feature = "testing"))]
fn fuzz_round(dir: &Path) -> Result<()> {
    use super::record::{RefTombstone, encode_tombstones};
    let opts = WalOptions {
        sync: super::writer::SyncPolicy::Never,
        ..WalOptions::default()
    };
    let mut first = 0u64;
    let (wal, _) = Wal::open_and_replay(dir, opts.clone(), |_| {
        first += 1;
        Ok(())
    })?;
    let marker = [RefTombstone {
        series_ref: u64::MAX,
        mint: i64::MIN,
        maxt: 42,
    }];
    let mut rec = Vec::new();
    encode_tombstones(&marker, &mut rec);
    wal.log(&[&rec])?;
    // Dropped without `close`: the reopen reads the page cache, and skipping fsyncs keeps
    // fuzzing fast.
    drop(wal);
    let mut seen = 0u64;
    let mut last_is_marker = false;
    let (_, report) = Wal::open_and_replay(dir, opts, |r| {
        seen += 1;
        last_is_marker = r == Record::Tombstones(&marker);
        Ok(())
    })?;
    assert_eq!(
        seen,
        first + 1,
        "replay after repair lost or invented records"
    );
    assert!(last_is_marker, "the appended record must replay last");
    assert_eq!(report.corruption, None, "a repaired WAL must reopen clean");
    Ok(())
}
