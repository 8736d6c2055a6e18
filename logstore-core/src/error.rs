//! The log engine's errors.

use std::fmt;

/// Result alias for the log engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The on-disk or in-memory structure a [`Error::Corruption`] was found in.
///
/// Offsets in a corruption error are relative to the start of that structure, as the decoder saw
/// it: a block decoder does not know where its bytes came from, so the caller that does (the
/// segment reader) adds the file and the base offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Structure {
    /// A chunk's header or block header table (`docs/format/log-chunks.md`).
    Chunk,
    /// The fixed-size header of one sealed block.
    BlockHeader,
    /// The compressed bytes of one block (checksum or zstd frame).
    BlockData,
    /// The decompressed payload of one block: timestamps, lines, metadata.
    BlockPayload,
    /// A segment file's header, footer or section table (`docs/format/log-segments.md`).
    Segment,
    /// A segment's index: symbols, streams, postings, chunk references.
    SegmentIndex,
    /// One record of the write-ahead log.
    WalRecord,
    /// A tenant's file of delete requests.
    DeleteRequests,
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Structure::Chunk => "log chunk",
            Structure::BlockHeader => "log block header",
            Structure::BlockData => "compressed log block",
            Structure::BlockPayload => "decompressed log block",
            Structure::Segment => "log segment",
            Structure::SegmentIndex => "log segment index",
            Structure::WalRecord => "log WAL record",
            Structure::DeleteRequests => "delete requests file",
        })
    }
}

/// Everything that can go wrong in `logstore-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that are not what this crate wrote: a bad checksum, a truncated structure, a size
    /// that does not fit, a value out of its range.
    #[error("corrupt {structure} at offset {offset}: {reason}")]
    Corruption {
        /// What was damaged.
        structure: Structure,
        /// Byte offset of the damage from the start of `structure`, as far as it is known.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// An entry older than the newest entry of its head chunk, given to the in-order append.
    /// The caller decides whether it may go in through the out-of-order insert instead.
    #[error("out of order entry at {ts}: the head chunk's newest entry is at {newest}")]
    OutOfOrder {
        /// The refused timestamp (ns).
        ts: i64,
        /// The newest timestamp already in the head chunk (ns).
        newest: i64,
    },
    /// One entry whose encoded size is larger than a block may be.
    #[error("log entry of {size} bytes is larger than the maximum block size of {max} bytes")]
    EntryTooLarge {
        /// Encoded size of the entry (line, metadata and their lengths).
        size: usize,
        /// The largest uncompressed block a reader accepts.
        max: usize,
    },
    /// zstd could not set up a context or compress a block (out of memory, a level it
    /// rejects). Damaged compressed input is a [`Error::Corruption`] instead.
    #[error("zstd: {0}")]
    Zstd(#[source] std::io::Error),
    /// A line filter's regular expression that does not compile.
    #[error("invalid line filter regex {pattern:?}: {source}")]
    InvalidRegex {
        /// The pattern as given.
        pattern: String,
        /// Why it does not compile.
        #[source]
        source: regex::Error,
    },
    /// A damaged structure inside a file: names the file, then what is damaged where.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is damaged (usually a [`Error::Corruption`] with offsets from the file start).
        #[source]
        source: Box<Error>,
    },
    /// A filesystem operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was attempted (`open`, `read`, `write`, `fsync`, `rename` …).
        op: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The write-ahead log failed (I/O, a poisoned writer, a damaged checkpoint).
    #[error("log WAL: {0}")]
    Wal(#[from] storage_io::Error),
    /// Options that cannot work.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// An I/O error of `op` on `path`.
    pub fn io(
        op: &'static str,
        path: impl Into<std::path::PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// `self`, said to be in file `path`.
    pub fn in_file(self, path: impl Into<std::path::PathBuf>) -> Self {
        Error::InFile {
            path: path.into(),
            source: Box::new(self),
        }
    }

    /// A corruption error in `structure` at `offset`.
    pub fn corruption(structure: Structure, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corruption {
            structure,
            offset,
            reason: reason.into(),
        }
    }
}
