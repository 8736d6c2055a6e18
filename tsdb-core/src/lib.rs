//! An embeddable time-series engine for float samples of labelled series.
//!
//! Samples are Gorilla-compressed in chunks bit-compatible with Prometheus's XOR chunks, logged to
//! a write-ahead log before a commit returns, kept in an in-memory head whose full chunks live in
//! memory-mapped files, and persisted as immutable blocks in Prometheus's TSDB block layout, so
//! the real `promtool tsdb analyze` and `promtool tsdb dump` read them.
//!
//! ```
//! use model::{Labels, Matcher, SampleIterator, Series, SeriesQuerier};
//! use tsdb_core::{Db, Options};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let db = Db::open(dir.path(), Options::default())?;
//! let series = Labels::from_pairs([("__name__", "up"), ("job", "node")])?;
//! let mut app = db.appender();
//! let r = app.append(&series, 1_000, 1.0)?;
//! app.append_ref(r, 2_000, 0.0)?;
//! app.commit()?;
//!
//! {
//!     let q = db.querier(0, 10_000);
//!     for series in q.select(&[Matcher::equal("job", "node")])? {
//!         let series = series?;
//!         let mut it = series.samples();
//!         assert_eq!(it.next().map(|s| (s.t, s.v)), Some((1_000, 1.0)));
//!         assert_eq!(it.next().map(|s| (s.t, s.v)), Some((2_000, 0.0)));
//!     }
//! }
//! db.close()?;
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]

pub mod encoding;
mod error;
mod mmap;
mod options;
mod spinlock;

mod backfill;
pub(crate) mod block;
pub(crate) mod chunk;
pub(crate) mod chunk_files;
mod compact;
mod db;
#[cfg(test)]
mod fuzz_regressions;
pub(crate) mod head;
pub(crate) mod index;
pub(crate) mod postings;
pub(crate) mod querier;
pub(crate) mod wal;

#[cfg(feature = "testing")]
pub mod testing;

pub use backfill::{BackfillOptions, BackfillReport, backfill};
pub use block::meta::{BlockMeta, BlockStats};
pub use db::{Appender, Db, OpenReport};
pub use error::{Error, Result};
pub use head::SeriesRef;
pub use options::{Options, WalSync};
pub use querier::Querier;
pub use wal::{GapCause, TailEvent, WalGap, WalPosition, WalSample, WalSeries, WalTail};
