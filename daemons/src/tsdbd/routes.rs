//! The HTTP routes tsdbd serves itself (`/-/*` lifecycle endpoints and `/metrics`), request
//! metrics, and the assembly of every route under the route prefix.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use prometheus_client::registry::Registry;

use super::metrics::{HandlerLabels, HttpLabels};
use super::state::TsdbState;

/// Content type of `/metrics`: OpenMetrics text, as the prometheus-client crate writes it.
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every route of the server, under `route_prefix` (`""` or `/path`): the Prometheus API, the
/// remote-write receiver, lifecycle endpoints and `/metrics`, with per-route request metrics.
pub fn app(state: Arc<TsdbState>, registry: Arc<Registry>, route_prefix: &str) -> Router {
    let metrics_route = Router::new()
        .route("/metrics", get(serve_metrics))
        .with_state(registry);
    let own = Router::new()
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload).put(reload))
        .route("/-/quit", post(quit).put(quit));
    let routes = Router::new()
        .merge(crate::api::router())
        .merge(crate::remote_write::routes())
        .merge(own)
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            record_request,
        ))
        .with_state(state)
        .merge(metrics_route);
    if route_prefix.is_empty() {
        routes
    } else {
        Router::new().nest(route_prefix, routes)
    }
}

/// Counts each request by matched route and status code, and times it.
async fn record_request(
    State(state): State<Arc<TsdbState>>,
    request: Request,
    next: Next,
) -> Response {
    let handler = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .http_request_duration
        .get_or_create(&HandlerLabels {
            handler: handler.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            handler,
            code: response.status().as_u16().to_string(),
        })
        .inc();
    response
}

async fn serve_metrics(State(registry): State<Arc<Registry>>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &registry) {
        Ok(()) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "encoding /metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn healthy() -> &'static str {
    "tsdbd Server is Healthy.\n"
}

async fn ready(State(state): State<Arc<TsdbState>>) -> Response {
    if state.is_ready() {
        "tsdbd Server is Ready.\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable\n").into_response()
    }
}

/// Prometheus's answer when `--web.enable-lifecycle` is off.
fn lifecycle_disabled() -> Response {
    (StatusCode::FORBIDDEN, "Lifecycle API is not enabled.\n").into_response()
}

async fn reload(State(state): State<Arc<TsdbState>>) -> Response {
    if !state.web.lifecycle {
        return lifecycle_disabled();
    }
    match state.request_reload().await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}

async fn quit(State(state): State<Arc<TsdbState>>) -> Response {
    if !state.web.lifecycle {
        return lifecycle_disabled();
    }
    state.request_quit().await;
    "Requesting termination... Goodbye!\n".into_response()
}
