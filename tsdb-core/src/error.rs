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
    /// A storage-layer failure of a kind the variants above do not describe (storage-io's
    /// errors of the kinds above arrive as those variants).
    #[error(transparent)]
    Storage(storage_io::Error),
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

/// storage-io's errors keep their meaning and their messages: an I/O error, corruption, an
/// invalid option, a poisoned WAL writer and a closed WAL become the variants of the same name
/// (a closed WAL means a closed database).
impl From<storage_io::Error> for Error {
    fn from(e: storage_io::Error) -> Self {
        use storage_io::Error as S;
        match e {
            S::Io { op, path, source } => Error::Io { op, path, source },
            S::Corruption {
                path,
                offset,
                reason,
            } => Error::Corruption {
                path,
                offset,
                reason,
            },
            S::Poisoned(reason) => Error::Poisoned(reason),
            S::Closed => Error::Closed,
            S::InvalidOption { name, reason } => Error::InvalidOption { name, reason },
            other => Error::Storage(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_keep_kind_and_message() {
        let cases = [
            storage_io::Error::io("fsync", "/d/wal/00000001", std::io::Error::other("disk")),
            storage_io::Error::corruption("/d/wal/checkpoint.00000002", 7, "CRC mismatch"),
            storage_io::Error::Poisoned("fsync /d/wal/00000001: disk".to_owned()),
            storage_io::Error::InvalidOption {
                name: "wal segment_size",
                reason: "too small".to_owned(),
            },
        ];
        for e in cases {
            let msg = e.to_string();
            let converted = Error::from(e);
            assert_eq!(converted.to_string(), msg);
            assert!(!matches!(converted, Error::Storage(_)), "{converted:?}");
        }
        assert!(matches!(
            Error::from(storage_io::Error::Closed),
            Error::Closed
        ));
    }
}
