//! Prometheus's HTTP API (`/api/v1/*`) and `/federate`, over tsdbd's shared state.
//!
//! Shapes, parameter parsing, error types and messages follow Prometheus's
//! `web/api/v1/api.go` (3.x) so Grafana's Prometheus data source, `promtool query` and
//! scripts written against Prometheus work unchanged:
//!
//! * parameters come from the URL and from a form-encoded body alike ([`params`]);
//! * answers use the `{"status":"success","data":…}` envelope, failures
//!   `{"status":"error","errorType":…,"error":…}` with Prometheus's status codes
//!   ([`response`]);
//! * queries run on the blocking pool under the `--query.max-concurrency` limit and stop
//!   when the client disconnects ([`query`]).
//!
//! Not implemented, each answering a clear `unavailable` error (501):
//! `admin/tsdb/clean_tombstones` (tsdb-core applies tombstones at compaction) and
//! `admin/tsdb/snapshot`. Exemplars are not stored, so `query_exemplars` answers `[]`.
//! Unknown paths get the router's plain 404, as Prometheus's router gives.

mod admin;
mod blocking;
mod federate;
mod labels;
mod metadata_targets;
mod params;
mod query;
mod response;
mod selector;
mod status;
mod timestamp;

#[cfg(test)]
mod test_support;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::tsdbd::TsdbState;

/// Every route of this module, relative to the route prefix; the caller nests it and adds
/// authentication, `/-/*`, `/metrics` and the remote-write receiver.
pub fn router() -> Router<Arc<TsdbState>> {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route(
            "/api/v1/query_exemplars",
            get(query::exemplars).post(query::exemplars),
        )
        .route(
            "/api/v1/format_query",
            get(query::format_query).post(query::format_query),
        )
        .route("/api/v1/series", get(labels::series).post(labels::series))
        .route("/api/v1/labels", get(labels::names).post(labels::names))
        .route("/api/v1/label/{name}/values", get(labels::values))
        .route("/api/v1/metadata", get(metadata_targets::metadata))
        .route("/api/v1/targets", get(metadata_targets::targets))
        .route(
            "/api/v1/targets/metadata",
            get(metadata_targets::target_metadata),
        )
        .route("/api/v1/status/buildinfo", get(status::build_info))
        .route("/api/v1/status/runtimeinfo", get(status::runtime_info))
        .route("/api/v1/status/config", get(status::config))
        .route("/api/v1/status/flags", get(status::flags))
        .route("/api/v1/status/tsdb", get(status::tsdb))
        .route(
            "/api/v1/admin/tsdb/delete_series",
            post(admin::delete_series).put(admin::delete_series),
        )
        .route(
            "/api/v1/admin/tsdb/clean_tombstones",
            post(admin::clean_tombstones).put(admin::clean_tombstones),
        )
        .route(
            "/api/v1/admin/tsdb/snapshot",
            post(admin::snapshot).put(admin::snapshot),
        )
        .route(
            "/federate",
            get(federate::federate).post(federate::federate),
        )
}
