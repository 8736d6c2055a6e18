//! A segmented, CRC32C-framed write-ahead log whose records are opaque bytes.
//!
//! The WAL's owner (an engine) encodes its records; this module makes them durable and hands
//! them back on open. Life cycle:
//!
//! 1. [`Wal::open_and_replay`] lists the directory, removes leftover checkpoints, passes every
//!    record of the newest checkpoint and of the segments after it to the owner's callback,
//!    cuts a damaged tail back to the last whole record ([`RepairReport`], [`Corruption`]), and
//!    starts the writer on a fresh segment.
//! 2. [`Wal::log`] appends a batch of records as one write into one segment and fsyncs per
//!    [`SyncPolicy`]; concurrent callers share fsyncs (group commit). A failed write or fsync
//!    poisons the writer ([`Error::Poisoned`](crate::Error::Poisoned)) until the WAL is reopened.
//! 3. To shrink the log, the owner calls [`Wal::next_segment`], then [`write_checkpoint`] with a
//!    callback that keeps what is still needed, then [`Wal::truncate_before`].
//! 4. [`Wal::close`] fsyncs and refuses further writes.
//!
//! Directory layout: segments `00000000`, `00000001`, … and checkpoints `checkpoint.NNNNNNNN`
//! (covering segments up to NNNNNNNN), each a sequence of frames
//! `len u32 BE | crc32c(payload) u32 BE | payload`; tsdb-core's `docs/format/wal.md` describes
//! the bytes.
//!
//! ```
//! use storage_io::wal::{RecordOutcome, SyncPolicy, Wal, WalOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! // Records start with a tag byte; this owner knows tags 1 and 2.
//! let opts = WalOptions {
//!     sync: SyncPolicy::Never,
//!     record_tags: Some(&[1, 2]),
//!     ..WalOptions::default()
//! };
//! let (wal, _) = Wal::open(dir.path(), opts.clone())?;
//! wal.log(&[b"\x01series", b"\x02samples"])?;
//! assert!(wal.log(&[b"\x07unknown"]).is_err());
//!
//! // Checkpoint everything logged so far, keeping only tag-1 records.
//! let next = wal.next_segment()?;
//! storage_io::wal::write_checkpoint(dir.path(), next - 1, opts.record_tags, |rec, out| {
//!     if rec.first() == Some(&1) {
//!         out.append(rec)?;
//!     }
//!     Ok::<_, storage_io::Error>(RecordOutcome::Used)
//! })?;
//! wal.truncate_before(next)?;
//! wal.close()?;
//!
//! let mut replayed = Vec::new();
//! let (_wal, report) = Wal::open_and_replay(dir.path(), opts, |rec| {
//!     replayed.push(rec.to_vec());
//!     Ok::<_, storage_io::Error>(RecordOutcome::Used)
//! })?;
//! assert_eq!(replayed, [b"\x01series".to_vec()]);
//! assert_eq!(report.checkpoint, Some(next - 1));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod checkpoint;
mod replay;
mod segment;
mod writer;

#[cfg(test)]
mod tests;

pub use checkpoint::{CheckpointReport, CheckpointWriter, write_checkpoint};
pub use replay::{Corruption, RecordOutcome, RepairReport};
pub use segment::{
    DirListing, FRAME_HEADER_LEN, Frame, SegmentReader, checkpoint_name, list_dir, segment_name,
};
#[cfg(any(test, feature = "testing"))]
pub use writer::FailPoint;
pub use writer::{DEFAULT_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SyncPolicy, Wal, WalOptions};
