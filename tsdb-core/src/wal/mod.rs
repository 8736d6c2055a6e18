//! The write-ahead log: makes the head durable between blocks.
//!
//! `commit()` encodes one batch (series definitions, then samples) with the `encode_*`
//! functions, logs it with [`Wal::log`], and only then applies it to the head. Opening replays
//! the newest checkpoint and the segments after it ([`Wal::open_and_replay`]), repairing a
//! damaged tail first. After a block is written, the head calls [`Wal::next_segment`],
//! [`checkpoint()`] and [`Wal::truncate_before`]. The byte layout is in `docs/format/wal.md`.
#![allow(
    unused_imports,
    reason = "re-exports for the head and the database, which land later"
)]

mod checkpoint;
mod record;
mod replay;
mod segment;
mod writer;

#[cfg(test)]
mod tests;

pub(crate) use checkpoint::{CheckpointStats, checkpoint};
pub(crate) use record::{
    Record, RecordDecoder, RecordError, RefSample, RefSeries, RefTombstone, decode_samples,
    decode_series, decode_tombstones, encode_samples, encode_series, encode_tombstones,
};
#[cfg(any(test, feature = "testing"))]
pub(crate) use replay::fuzz_wal_reader;
pub(crate) use replay::{Corruption, RepairReport};
pub(crate) use writer::{DEFAULT_SEGMENT_SIZE, SyncPolicy, Wal, WalOptions};
