//! Storage building blocks the engines share: a segmented, CRC32C-framed write-ahead log
//! ([`wal`]) and read-only file maps ([`mmap`]).
//!
//! Both `tsdb-core` and `logstore-core` keep their records' formats and their checkpoints'
//! content; this crate owns the files: naming, framing, fsync policies, group commit, repair of
//! a torn tail, crash-safe checkpoint replacement, and memory maps. All `unsafe` code of the
//! engines' I/O lives in [`mmap`], so the engines themselves can forbid it.
//!
//! ```
//! use storage_io::wal::{RecordOutcome, Wal, WalOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let (wal, report) = Wal::open(dir.path(), WalOptions::default())?;
//! assert_eq!(report.corruption, None);
//! wal.log(&[b"one record", b"another, in the same write"])?;
//! wal.close()?;
//!
//! let mut n = 0;
//! Wal::open_and_replay(dir.path(), WalOptions::default(), |_record: &[u8]| {
//!     n += 1;
//!     Ok::<_, storage_io::Error>(RecordOutcome::Used)
//! })?;
//! assert_eq!(n, 2);
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]

mod error;
pub mod mmap;
pub mod wal;

pub use error::{Error, Result};
