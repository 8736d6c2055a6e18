//! tsdb-core's WAL handle: storage-io's segmented writer, opened with this crate's record tags,
//! replayed through this crate's record decoder, with this crate's errors.
//!
//! Everything about files (framing, fsync policy, group commit, poisoning, segment cuts,
//! repair of a damaged tail) is storage-io's; this module only binds it to tsdb's records, so
//! the head and the database can keep calling `log`/`sync`/`close` with tsdb-core's `Result`.

use std::path::Path;

use storage_io::wal::{self as sio, RecordOutcome};

pub(crate) use storage_io::wal::{DEFAULT_SEGMENT_SIZE, RepairReport, SyncPolicy};

use super::record::{RECORD_TAGS, Record, RecordDecoder};
use crate::error::Result;

/// Writer options; the record tags are always this crate's ([`RECORD_TAGS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WalOptions {
    /// Maximum segment size in bytes (default 128 MiB, at least 64). A batch larger than this
    /// gets a segment of its own that exceeds it, since frames never span segments.
    pub(crate) segment_size: u64,
    /// Fsync policy (default [`SyncPolicy::Always`]).
    pub(crate) sync: SyncPolicy,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            segment_size: DEFAULT_SEGMENT_SIZE,
            sync: SyncPolicy::Always,
        }
    }
}

impl WalOptions {
    /// storage-io's options for a WAL of tsdb records.
    fn storage(&self) -> sio::WalOptions {
        sio::WalOptions {
            segment_size: self.segment_size,
            sync: self.sync,
            record_tags: Some(RECORD_TAGS),
        }
    }
}

/// Decodes `payload` with `dec` and hands the record to `f`. A record that does not decode is
/// reported as undecodable (damage to storage-io), never as an error of `f`.
pub(super) fn decode_into(
    dec: &mut RecordDecoder,
    payload: &[u8],
    f: impl FnOnce(Record<'_>) -> Result<()>,
) -> Result<RecordOutcome> {
    match dec.decode(payload) {
        Ok(rec) => f(rec).map(|()| RecordOutcome::Used),
        Err(e) => Ok(RecordOutcome::Undecodable(e.to_string())),
    }
}

/// The write-ahead log of a database. Thread-safe: every method takes `&self`.
#[derive(Debug)]
pub(crate) struct Wal {
    inner: sio::Wal,
}

impl Wal {
    /// Opens (creating if needed) the WAL in `dir` without replaying into anything.
    #[cfg(test)]
    pub(crate) fn open(dir: &Path, opts: WalOptions) -> Result<(Wal, RepairReport)> {
        Self::open_and_replay(dir, opts, |_| Ok(()))
    }

    /// Opens (creating if needed) the WAL in `dir`: passes every record of the newest
    /// checkpoint and the later segments to `f` in the order they were logged, cuts a damaged
    /// tail (a torn or corrupt frame, or a record that does not decode) back to the last whole
    /// record, and starts the writer on a fresh segment. An error of `f` stops opening without
    /// changing any segment. See `storage_io::wal::Wal::open_and_replay`.
    pub(crate) fn open_and_replay(
        dir: &Path,
        opts: WalOptions,
        mut f: impl FnMut(Record<'_>) -> Result<()>,
    ) -> Result<(Wal, RepairReport)> {
        let mut dec = RecordDecoder::new();
        let (inner, report) = sio::Wal::open_and_replay(dir, opts.storage(), |payload| {
            decode_into(&mut dec, payload, &mut f)
        })?;
        Ok((Wal { inner }, report))
    }

    /// The WAL directory.
    pub(crate) fn dir(&self) -> &Path {
        self.inner.dir()
    }

    /// Appends `records` (encoded series, samples or tombstones records of one commit) as one
    /// write, then fsyncs per policy. Returns once the batch is written (and, under
    /// [`SyncPolicy::Always`], durable).
    pub(crate) fn log(&self, records: &[&[u8]]) -> Result<()> {
        Ok(self.inner.log(records)?)
    }

    /// Fsyncs everything written so far.
    pub(crate) fn sync(&self) -> Result<()> {
        Ok(self.inner.sync()?)
    }

    /// Seals the active segment and starts a new one; returns the new active segment's index.
    pub(crate) fn next_segment(&self) -> Result<u64> {
        Ok(self.inner.next_segment()?)
    }

    /// Deletes segments with index `< segment`. Precondition (enforced by the caller, the
    /// database's WAL truncation): [`checkpoint`](super::checkpoint()) covering `segment - 1`
    /// succeeded.
    pub(crate) fn truncate_before(&self, segment: u64) -> Result<()> {
        Ok(self.inner.truncate_before(segment)?)
    }

    /// First and last segment on disk (the last is the active one).
    #[cfg(test)]
    pub(crate) fn segment_range(&self) -> (u64, u64) {
        self.inner.segment_range()
    }

    /// Bytes of all segments and checkpoints.
    pub(crate) fn size_bytes(&self) -> u64 {
        self.inner.size_bytes()
    }

    /// Fsyncs and refuses further writes with [`Error::Closed`](crate::Error::Closed).
    pub(crate) fn close(&self) -> Result<()> {
        Ok(self.inner.close()?)
    }

    /// Arms a failure of the next storage operation of kind `at`.
    #[cfg(test)]
    pub(crate) fn fail_next(&self, at: sio::FailPoint) {
        self.inner.fail_next(at);
    }
}
