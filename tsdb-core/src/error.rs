//! The engine's errors.

use std::path::PathBuf;

use model::Labels;

/// Result alias for the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `tsdb-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file or directory.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("open", "write", "fsync", …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file whose contents are not what we (or Prometheus) wrote.
    #[error("corrupt {path} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damage, as far as it is known.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// A sample older than the newest one of its series (and outside any out-of-order window).
    #[error("out of order sample for series {series} at {t}")]
    OutOfOrder {
        /// The series.
        series: Labels,
        /// The refused timestamp.
        t: i64,
    },
    /// A sample at an existing timestamp with a different value.
    #[error("duplicate sample for timestamp {t} with a different value for series {series}")]
    DuplicateSampleForTimestamp {
        /// The series.
        series: Labels,
        /// The timestamp.
        t: i64,
    },
    /// A sample too old for the head (below its appendable minimum).
    #[error("out of bounds sample for series {series} at {t}: head accepts t >= {min_valid}")]
    OutOfBounds {
        /// The series.
        series: Labels,
        /// The refused timestamp.
        t: i64,
        /// The oldest timestamp the head accepts.
        min_valid: i64,
    },
    /// A series reference the head does not know.
    #[error("unknown series reference {0}")]
    UnknownSeriesRef(u64),
    /// Invalid labels.
    #[error(transparent)]
    Labels(#[from] model::LabelError),
    /// Options that cannot work together.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// An earlier fsync or write failed; the writer refuses further work because what is on disk
    /// is no longer known.
    #[error("WAL writer is poisoned by an earlier failure: {0}")]
    Poisoned(String),
    /// The database is closed.
    #[error("database is closed")]
    Closed,
    /// A parse error in an exposition file being imported.
    #[error("{path}:{line}: {reason}")]
    Parse {
        /// The input file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What was wrong.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// A corruption error.
    pub fn corruption(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}
