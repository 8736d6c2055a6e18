//! The write-ahead log: makes the head durable between blocks.
//!
//! The files (segments, frames, fsync policy, group commit, repair, checkpoint replacement) are
//! storage-io's generic WAL; this module holds what is tsdb's: the record formats
//! (`record.rs`), what a checkpoint keeps (`checkpoint.rs`), and the handle that binds the two
//! (`writer.rs`). `commit()` encodes one batch (series definitions, then samples) with the
//! `encode_*` functions, logs it with [`Wal::log`], and only then applies it to the head.
//! Opening replays the newest checkpoint and the segments after it ([`Wal::open_and_replay`]),
//! repairing a damaged tail first. After a block is written, the database calls
//! [`Wal::next_segment`], [`checkpoint()`] and [`Wal::truncate_before`]. The byte layout is in
//! `docs/format/wal.md`. Readers outside the write path (the remote-write sender) follow the
//! live log with a [`WalTail`] (`tail.rs`).

mod checkpoint;
#[cfg(any(test, feature = "testing"))]
mod fuzz;
mod record;
mod tail;
mod writer;

#[cfg(test)]
mod tests;

pub(crate) use checkpoint::checkpoint;
#[cfg(any(test, feature = "testing"))]
pub(crate) use fuzz::fuzz_wal_reader;
pub(crate) use record::{
    Record, RefSample, RefSeries, RefTombstone, encode_samples, encode_series, encode_tombstones,
};
pub use tail::{GapCause, TailEvent, WalGap, WalPosition, WalSample, WalSeries, WalTail};
pub(crate) use writer::{SyncPolicy, Wal, WalOptions};
