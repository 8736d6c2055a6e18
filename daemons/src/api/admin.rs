//! `/api/v1/admin/tsdb/*`, answered only with `--web.enable-admin-api`; otherwise every one
//! gets Prometheus's `unavailable` error `admin APIs disabled`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::blocking::blocking;
use super::params::Params;
use super::response::{ApiError, ErrorKind};
use super::selector::parse_selector;
use super::timestamp::{MAX_TIME_MS, MIN_TIME_MS};
use crate::tsdbd::TsdbState;

fn require_admin(state: &TsdbState) -> Result<(), ApiError> {
    if state.web.admin_api {
        Ok(())
    } else {
        Err(ApiError::new(ErrorKind::Unavailable, "admin APIs disabled"))
    }
}

/// `POST|PUT /api/v1/admin/tsdb/delete_series`: deletes the samples in `[start, end]`
/// (default: all time) of every series a `match[]` selects; 204 on success.
pub(crate) async fn delete_series(
    State(state): State<Arc<TsdbState>>,
    params: Params,
) -> Result<Response, ApiError> {
    require_admin(&state)?;
    let selectors = params.values("match[]");
    if selectors.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let start = params.time_or("start", MIN_TIME_MS)?;
    let end = params.time_or("end", MAX_TIME_MS)?;
    let sets = selectors
        .into_iter()
        .map(|s| parse_selector(s).map_err(|e| ApiError::invalid_param("match[]", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let db = Arc::clone(&state.db);
    blocking(move || {
        for matchers in &sets {
            db.delete(start, end, matchers)
                .map_err(|e| ApiError::internal(format!("deleting series: {e}")))?;
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST|PUT /api/v1/admin/tsdb/clean_tombstones`: tsdb-core applies tombstones when it
/// compacts the affected blocks and has no call to rewrite them on demand yet.
pub(crate) async fn clean_tombstones(
    State(state): State<Arc<TsdbState>>,
) -> Result<Response, ApiError> {
    require_admin(&state)?;
    Err(ApiError::unsupported(
        "/api/v1/admin/tsdb/clean_tombstones",
        "deleted data is removed when compaction rewrites the affected blocks",
    ))
}

/// `POST|PUT /api/v1/admin/tsdb/snapshot`.
pub(crate) async fn snapshot(State(state): State<Arc<TsdbState>>) -> Result<Response, ApiError> {
    require_admin(&state)?;
    Err(ApiError::unsupported(
        "/api/v1/admin/tsdb/snapshot",
        "copy the block directories instead; they are Prometheus blocks",
    ))
}

#[cfg(test)]
#[path = "admin_tests.rs"]
mod tests;
