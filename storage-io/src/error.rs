//! The crate's errors: every failure names the file and the operation, or the option, it is about.

use std::path::PathBuf;

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `storage-io`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file or directory.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("open", "write", "fsync", "mmap", …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file whose bytes are not what was written: a damaged WAL checkpoint, a gap between WAL
    /// segments, a record a checkpoint's callback could not decode, a file shorter than expected.
    /// (Damage at the tail of the WAL's segments is repaired on open and reported in
    /// [`RepairReport`](crate::wal::RepairReport) instead.)
    #[error("corrupt {path} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file: a segment, a checkpoint or a mapped file.
        path: PathBuf,
        /// Byte offset of the damage, as far as it is known (0 when it concerns the whole file).
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// An earlier write, fsync or segment creation failed; the WAL writer refuses further work
    /// because what reached the disk is no longer known. Reopening the WAL repairs it.
    #[error("WAL writer is poisoned by an earlier failure: {0}")]
    Poisoned(String),
    /// The WAL writer was closed.
    #[error("WAL is closed")]
    Closed,
    /// An option, argument or record the operation cannot work with.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option or argument.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
}

impl Error {
    /// An I/O error of operation `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Damage in `path` at `offset`.
    pub fn corruption(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}
