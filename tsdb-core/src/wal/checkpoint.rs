//! Checkpoints: the previous checkpoint plus a range of segments, filtered down to what the head
//! still needs, written as one file `checkpoint.NNNNNNNN` in the segment frame format.
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
use std::path::Path;

use super::record::{Record, RecordDecoder, RefSample, RefSeries, RefTombstone, encode_record};
use super::replay::{ReadEnd, read_records, segments_after};
use super::segment::{
    append_frame, checkpoint_name, checkpoint_tmp_name, list_dir, segment_name, sync_dir,
};
use crate::error::{Error, Result};

/// Write buffer of the checkpoint file.
const WRITE_BUFFER: usize = 1 << 20;

/// What a checkpoint kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CheckpointStats {
    /// Series definitions kept.
    pub(crate) series: u64,
    /// Samples kept.
    pub(crate) samples: u64,
    /// Tombstones kept.
    pub(crate) tombstones: u64,
    /// Records read from the previous checkpoint and the segments.
    pub(crate) records_read: u64,
}

/// Writes `checkpoint.<up_to_segment>` from the newest existing checkpoint and the segments
/// after it up to `up_to_segment`, keeping series definitions of series for which `keep_series`
/// is true, their samples with `t >= mint` and their tombstones with `maxt >= mint`; then
/// deletes older checkpoints.
///
/// Preconditions (enforced by the caller, the head's WAL truncation, which calls
/// `Wal::next_segment` first): every segment up to `up_to_segment` is complete, i.e. the
/// writer's active segment is later; this is checked as far as the directory shows it.
pub(crate) fn checkpoint(
    dir: &Path,
    up_to_segment: u64,
    keep_series: impl Fn(u64) -> bool,
    mint: i64,
) -> Result<CheckpointStats> {
    let listing = list_dir(dir)?;
    let prev = listing.checkpoints.last().copied();
    if let Some(p) = prev.filter(|&p| p > up_to_segment) {
        return Err(invalid_up_to(format!(
            "{up_to_segment} is older than the checkpoint at {p}"
        )));
    }
    if listing
        .segments
        .last()
        .is_none_or(|&last| last <= up_to_segment)
    {
        return Err(invalid_up_to(format!(
            "{up_to_segment} is not below the active segment"
        )));
    }
    let segs: Vec<u64> = segments_after(dir, &listing, prev)?
        .into_iter()
        .filter(|&s| s <= up_to_segment)
        .collect();
    let tmp = dir.join(checkpoint_tmp_name(up_to_segment));
    let mut filter = Filter::new(keep_series, mint, &tmp)?;
    let written = (|| {
        if let Some(p) = prev {
            filter.copy_file(&dir.join(checkpoint_name(p)))?;
        }
        for s in segs {
            filter.copy_file(&dir.join(segment_name(s)))?;
        }
        filter.finish()
    })();
    let stats = match written {
        Ok(stats) => stats,
        Err(e) => {
            // Best effort: a leftover is removed by the next open anyway.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let dst = dir.join(checkpoint_name(up_to_segment));
    std::fs::rename(&tmp, &dst).map_err(|e| Error::io("rename", &tmp, e))?;
    sync_dir(dir)?;
    remove_older(dir, up_to_segment)?;
    Ok(stats)
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

/// Filters decoded records and writes the survivors to the temporary checkpoint file.
struct Filter<'p, K> {
    keep_series: K,
    mint: i64,
    path: &'p Path,
    out: BufWriter<File>,
    dec: RecordDecoder,
    stats: CheckpointStats,
    series: Vec<RefSeries>,
    samples: Vec<RefSample>,
    tombstones: Vec<RefTombstone>,
    /// Reused encoding and framing buffers.
    rec: Vec<u8>,
    frame: Vec<u8>,
}

impl<'p, K: Fn(u64) -> bool> Filter<'p, K> {
    fn new(keep_series: K, mint: i64, path: &'p Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io("create", path, e))?;
        Ok(Self {
            keep_series,
            mint,
            path,
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            dec: RecordDecoder::new(),
            stats: CheckpointStats::default(),
            series: Vec::new(),
            samples: Vec::new(),
            tombstones: Vec::new(),
            rec: Vec::new(),
            frame: Vec::new(),
        })
    }

    /// Filters every record of `src`; damage there is an error, since segments a checkpoint
    /// reads were repaired when the WAL was opened.
    fn copy_file(&mut self, src: &Path) -> Result<()> {
        let mut dec = std::mem::take(&mut self.dec);
        let mut records = 0;
        let end = read_records(src, &mut dec, &mut records, &mut |r| self.filter(r));
        self.dec = dec;
        self.stats.records_read += records;
        match end? {
            ReadEnd::Clean => Ok(()),
            ReadEnd::Damaged { offset, reason } => Err(Error::corruption(src, offset, reason)),
        }
    }

    fn filter(&mut self, rec: Record<'_>) -> Result<()> {
        let keep = &self.keep_series;
        let mint = self.mint;
        let kept = match rec {
            Record::Series(s) => {
                self.series.clear();
                self.series
                    .extend(s.iter().filter(|s| keep(s.series_ref)).cloned());
                self.stats.series += self.series.len() as u64;
                Record::Series(&self.series)
            }
            Record::Samples(s) => {
                self.samples.clear();
                let kept = s.iter().filter(|s| s.t >= mint && keep(s.series_ref));
                self.samples.extend(kept);
                self.stats.samples += self.samples.len() as u64;
                Record::Samples(&self.samples)
            }
            Record::Tombstones(t) => {
                self.tombstones.clear();
                let kept = t.iter().filter(|t| t.maxt >= mint && keep(t.series_ref));
                self.tombstones.extend(kept);
                self.stats.tombstones += self.tombstones.len() as u64;
                Record::Tombstones(&self.tombstones)
            }
        };
        let empty = match kept {
            Record::Series(s) => s.is_empty(),
            Record::Samples(s) => s.is_empty(),
            Record::Tombstones(t) => t.is_empty(),
        };
        if empty {
            return Ok(());
        }
        self.rec.clear();
        encode_record(kept, &mut self.rec);
        self.frame.clear();
        append_frame(&mut self.frame, &self.rec);
        self.out
            .write_all(&self.frame)
            .map_err(|e| Error::io("write", self.path, e))
    }

    /// Flushes and fsyncs the temporary file.
    fn finish(self) -> Result<CheckpointStats> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io("write", path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io("fsync", path, e))?;
        Ok(self.stats)
    }
}
