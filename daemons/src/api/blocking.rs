//! Storage work off the async runtime: the engines are synchronous, so handlers run their
//! reads and deletions on tokio's blocking pool.

use super::response::ApiError;

/// Runs `work` on the blocking pool; a panic in it becomes an `internal` error.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("storage task failed: {e}")))?
}
