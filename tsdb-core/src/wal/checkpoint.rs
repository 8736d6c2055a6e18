//! Checkpoint content: what of the previous checkpoint and a range of segments the head still
//! needs. storage-io's `write_checkpoint` owns the file (`checkpoint.NNNNNNNN`, written as a
//! `.tmp`, fsynced, renamed, older ones deleted; see its crash-safety steps); this module
//! decodes each record, filters it and re-encodes what is kept.

use std::path::Path;

use storage_io::wal::{CheckpointWriter, write_checkpoint};

use super::record::{
    RECORD_TAGS, Record, RecordDecoder, RefSample, RefSeries, RefTombstone, encode_record,
};
use super::writer::decode_into;
use crate::error::Result;

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
/// Preconditions (enforced by the caller, the database's WAL truncation, which calls
/// `Wal::next_segment` first): every segment up to `up_to_segment` is complete, i.e. the
/// writer's active segment is later; storage-io checks this as far as the directory shows it.
pub(crate) fn checkpoint(
    dir: &Path,
    up_to_segment: u64,
    keep_series: impl Fn(u64) -> bool,
    mint: i64,
) -> Result<CheckpointStats> {
    let mut filter = Filter::new(keep_series, mint);
    let mut dec = RecordDecoder::new();
    let report = write_checkpoint(dir, up_to_segment, Some(RECORD_TAGS), |payload, out| {
        decode_into(&mut dec, payload, |rec| filter.filter(rec, out))
    })?;
    Ok(CheckpointStats {
        records_read: report.records_read,
        ..filter.stats
    })
}

/// Filters decoded records and appends the survivors, re-encoded, to the checkpoint.
struct Filter<K> {
    keep_series: K,
    mint: i64,
    stats: CheckpointStats,
    series: Vec<RefSeries>,
    samples: Vec<RefSample>,
    tombstones: Vec<RefTombstone>,
    /// Reused encoding buffer.
    rec: Vec<u8>,
}

impl<K: Fn(u64) -> bool> Filter<K> {
    fn new(keep_series: K, mint: i64) -> Self {
        Self {
            keep_series,
            mint,
            stats: CheckpointStats::default(),
            series: Vec::new(),
            samples: Vec::new(),
            tombstones: Vec::new(),
            rec: Vec::new(),
        }
    }

    /// Appends what `rec` keeps to `out`; a record left empty is dropped.
    fn filter(&mut self, rec: Record<'_>, out: &mut CheckpointWriter) -> Result<()> {
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
        Ok(out.append(&self.rec)?)
    }
}
