//! Errors a query can end with. Their messages are Prometheus's, so clients that match on them
//! (and the conformance scripts) see the same text.

use model::StorageError;

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query text does not parse; `position` is a byte offset into it.
    #[error("{message}")]
    Parse {
        /// Byte offset of the offending token, when the parser names one.
        position: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// Evaluation failed (a type error, a duplicate series, a bad argument ...).
    #[error("{0}")]
    Execution(String),
    /// The query ran longer than the engine's timeout.
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The query was cancelled by its caller.
    #[error("query was canceled in {0}")]
    Canceled(&'static str),
    /// More samples than the engine's limit would be held at once.
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(&'static str),
    /// Storage failed while the query read it.
    #[error("{0}")]
    Storage(#[from] StorageError),
}
