//! Checkpoints: the previous checkpoint plus a range of segments, rewritten by the WAL's owner
//! down to what it still needs, as one file `checkpoint.NNNNNNNN` in the segment frame format.
//!
//! This module owns the file handling; the owner's callback decides, record by record, what to
//! keep (it decodes, filters and re-encodes: the content is the owner's format).
//!
//! Crash safety, step by step (the caller then calls `Wal::truncate_before(NNNNNNNN + 1)`):
//! 1. records are written to `checkpoint.NNNNNNNN.tmp` and fsynced: a crash leaves a `.tmp`
//!    that the next open (and the next checkpoint) removes; the old checkpoint and all
//!    segments are untouched, so replay is unchanged;
//! 2. the file is renamed to `checkpoint.NNNNNNNN` and the directory fsynced: the rename is
//!    atomic, so replay sees either the old checkpoint and all segments, or the new one and the
//!    segments after NNNNNNNN (segments it covers are skipped even if still present);
//! 3. older checkpoints are deleted: a crash leaves them behind, and replay uses the newest;
//! 4. `truncate_before` deletes covered segments oldest first: a crash leaves a contiguous
//!    suffix, all covered ones skipped by replay.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::replay::{ReadEnd, RecordOutcome, read_records, segments_after};
use super::segment::{
    append_frame, check_record, checkpoint_name, checkpoint_tmp_name, list_dir, segment_name,
    sync_dir,
};
use crate::error::{Error, Result};

/// Write buffer of the checkpoint file.
const WRITE_BUFFER: usize = 1 << 20;

/// What writing a checkpoint read and wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Records read from the previous checkpoint and the segments (those the callback used).
    pub records_read: u64,
    /// Records written to the new checkpoint.
    pub records_written: u64,
    /// Size of the new checkpoint file in bytes.
    pub bytes: u64,
}

/// The temporary checkpoint file a [`write_checkpoint`] callback appends the records it keeps to.
#[derive(Debug)]
pub struct CheckpointWriter {
    /// The `.tmp` file, for errors.
    path: PathBuf,
    out: BufWriter<File>,
    /// Tags a record may start with (the WAL's [`record_tags`](super::WalOptions::record_tags)).
    tags: Option<&'static [u8]>,
    /// Reused framing buffer.
    frame: Vec<u8>,
    records: u64,
    bytes: u64,
}

impl CheckpointWriter {
    fn create(path: PathBuf, tags: Option<&'static [u8]>) -> Result<Self> {
        let file = File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        Ok(Self {
            path,
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            tags,
            frame: Vec::new(),
            records: 0,
            bytes: 0,
        })
    }

    /// Appends one record to the checkpoint. Records replay in the order they are appended. A
    /// record the WAL writer would refuse (empty, too long, unknown tag) is refused the same way,
    /// with [`Error::InvalidOption`].
    pub fn append(&mut self, record: &[u8]) -> Result<()> {
        check_record(record, self.tags)?;
        self.frame.clear();
        append_frame(&mut self.frame, record);
        self.out
            .write_all(&self.frame)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.records += 1;
        self.bytes += self.frame.len() as u64;
        Ok(())
    }

    /// Flushes and fsyncs the file.
    fn finish(self, records_read: u64) -> Result<CheckpointReport> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io("fsync", &path, e))?;
        Ok(CheckpointReport {
            records_read,
            records_written: self.records,
            bytes: self.bytes,
        })
    }
}

/// Writes `checkpoint.<up_to_segment>` in the WAL directory `dir` from the newest existing
/// checkpoint and the segments after it up to `up_to_segment`: passes every record's bytes, in
/// replay order, to `rewrite`, which appends what it keeps (re-encoded as it likes) to the
/// [`CheckpointWriter`]; then makes the file durable, renames it into place and deletes older
/// checkpoints. `record_tags` is the WAL's [`WalOptions::record_tags`](super::WalOptions).
///
/// Preconditions (enforced by the caller, which calls [`Wal::next_segment`](super::Wal) first
/// and returns `up_to_segment = next - 1`): every segment up to `up_to_segment` is complete,
/// i.e. the writer's active segment is later; this is checked as far as the directory shows it
/// ([`Error::InvalidOption`] otherwise, as for an `up_to_segment` older than the newest
/// checkpoint). A damaged record in the input, or one `rewrite` reports as
/// [`RecordOutcome::Undecodable`], is an [`Error::Corruption`] naming its file and offset: the
/// segments were verified when the WAL was opened. On any error the temporary file is removed
/// and nothing else changes.
pub fn write_checkpoint<E: From<Error>>(
    dir: &Path,
    up_to_segment: u64,
    record_tags: Option<&'static [u8]>,
    mut rewrite: impl FnMut(&[u8], &mut CheckpointWriter) -> Result<RecordOutcome, E>,
) -> Result<CheckpointReport, E> {
    let listing = list_dir(dir)?;
    let prev = listing.checkpoints.last().copied();
    if let Some(p) = prev.filter(|&p| p > up_to_segment) {
        return Err(invalid_up_to(format!(
            "{up_to_segment} is older than the checkpoint at {p}"
        ))
        .into());
    }
    if listing
        .segments
        .last()
        .is_none_or(|&last| last <= up_to_segment)
    {
        let reason = format!("{up_to_segment} is not below the active segment");
        return Err(invalid_up_to(reason).into());
    }
    let segs = segments_after(dir, &listing, prev)?;
    let sources: Vec<PathBuf> = prev
        .map(|p| dir.join(checkpoint_name(p)))
        .into_iter()
        .chain(
            segs.into_iter()
                .filter(|&s| s <= up_to_segment)
                .map(|s| dir.join(segment_name(s))),
        )
        .collect();
    let tmp = dir.join(checkpoint_tmp_name(up_to_segment));
    let out = CheckpointWriter::create(tmp.clone(), record_tags)?;
    let report = match fill(&sources, out, &mut rewrite) {
        Ok(report) => report,
        Err(e) => {
            // Best effort: a leftover `.tmp` is removed by the next open anyway.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let dst = dir.join(checkpoint_name(up_to_segment));
    std::fs::rename(&tmp, &dst).map_err(|e| Error::io("rename", &tmp, e))?;
    sync_dir(dir)?;
    remove_older(dir, up_to_segment)?;
    Ok(report)
}

/// Passes every record of `sources` to `rewrite`, then makes `out` durable.
fn fill<E: From<Error>>(
    sources: &[PathBuf],
    mut out: CheckpointWriter,
    rewrite: &mut impl FnMut(&[u8], &mut CheckpointWriter) -> Result<RecordOutcome, E>,
) -> Result<CheckpointReport, E> {
    let mut records_read = 0;
    for src in sources {
        copy_file(src, &mut out, &mut records_read, rewrite)?;
    }
    Ok(out.finish(records_read)?)
}

/// Passes every record of `src` to `rewrite`; damage there is an error.
fn copy_file<E: From<Error>>(
    src: &Path,
    out: &mut CheckpointWriter,
    records_read: &mut u64,
    rewrite: &mut impl FnMut(&[u8], &mut CheckpointWriter) -> Result<RecordOutcome, E>,
) -> Result<(), E> {
    let tags = out.tags;
    match read_records(src, tags, records_read, &mut |rec| rewrite(rec, out))? {
        ReadEnd::Clean => Ok(()),
        ReadEnd::Damaged { offset, reason } => Err(Error::corruption(src, offset, reason).into()),
    }
}

fn invalid_up_to(reason: String) -> Error {
    Error::InvalidOption {
        name: "checkpoint up_to_segment",
        reason,
    }
}

/// Deletes checkpoints older than `keep`.
fn remove_older(dir: &Path, keep: u64) -> Result<()> {
    let old: Vec<u64> = list_dir(dir)?
        .checkpoints
        .into_iter()
        .filter(|&c| c < keep)
        .collect();
    for c in &old {
        let path = dir.join(checkpoint_name(*c));
        std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
    }
    if !old.is_empty() {
        sync_dir(dir)?;
    }
    Ok(())
}
