//! Remote write: the `POST /api/v1/write` receiver (remote-write 1.0), as Prometheus 2.42's
//! `storage/remote/write_handler.go` answers it, with the header checks of later versions.
//!
//! - Off unless `--web.enable-remote-write-receiver`: 404 with Prometheus's message.
//! - `Content-Type` must be `application/x-protobuf` (or absent, for 1.0 senders that send none);
//!   a `proto=` parameter other than `prometheus.WriteRequest` (remote-write 2.0's
//!   `io.prometheus.write.v2.Request` above all) is 415. `Content-Encoding` must be `snappy` or
//!   absent; anything else is 415. Messages are Prometheus's.
//! - The body is limited by axum before it is read ([`DefaultBodyLimit`], 413 above it); the
//!   decoder then checks the body and the decompressed length its snappy preamble claims against
//!   [`DecodeLimits`] before allocating, so a 10-byte body claiming 4 GB costs nothing.
//! - The whole request is decoded before anything is appended: malformed protobuf, invalid or
//!   duplicate label names and series without labels are 400 with nothing written. Labels are
//!   sorted by the decoder when the sender did not.
//! - Samples are appended on a blocking thread in one [`Appender`] commit (WAL first).
//!   Out-of-order, duplicate-timestamp and out-of-bounds samples are skipped, counted by reason
//!   in `tsdbd_remote_write_samples_rejected`, and the request is answered 400 with the first
//!   refusal's message once the good samples are committed. Prometheus 2.42 answers the same
//!   400 (a status its senders do not retry) but rolls the whole request back; keeping the
//!   accepted samples loses less data when one series of a batch is behind, and the sender sees
//!   no difference.
//! - Exemplars and metadata are tolerated and dropped (tsdbd keeps neither). Native histograms
//!   are not supported: the float samples of the request are kept and the request is answered
//!   400 naming the feature, each series that carried histograms counted under reason
//!   `unsupported` (Prometheus 2.42 without its native-histogram feature flag answers 500 and
//!   rolls back, which makes senders retry the batch forever).
//! - A storage failure (I/O, a poisoned WAL, a closed database) rolls back and answers 500 with
//!   a generic message; the detail goes to the log.
//! - Success is 204 with no body.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use model::remote_write::{DecodeError, DecodeLimits, TimeSeries, decode_write_request};
use tsdb_core::{Appender, Db, SeriesRef};

use crate::tsdbd::TsdbState;
use crate::tsdbd::metrics::ReasonLabels;

/// Prometheus's answer when the receiver is off.
const RECEIVER_DISABLED: &str =
    "remote write receiver needs to be enabled with --web.enable-remote-write-receiver";

/// The media type of remote-write bodies.
const PROTOBUF_MEDIA_TYPE: &str = "application/x-protobuf";

/// The `proto=` value of remote-write 1.0, the only message this receiver accepts.
const PROTO_V1: &str = "prometheus.WriteRequest";

/// The `proto=` value of remote-write 2.0.
const PROTO_V2: &str = "io.prometheus.write.v2.Request";

/// The only `Content-Encoding` remote write uses.
const SNAPPY: &str = "snappy";

/// The receiver's route: `POST /api/v1/write`, its body limited to what the decoder accepts.
pub fn routes() -> Router<Arc<TsdbState>> {
    let limit = DecodeLimits::default().max_body_bytes;
    Router::new().route(
        "/api/v1/write",
        post(receive).layer(DefaultBodyLimit::max(limit)),
    )
}

/// Handles one remote-write request; see the module documentation for the answers.
pub async fn receive(
    State(state): State<Arc<TsdbState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !state.web.remote_write_receiver {
        return plain_error(StatusCode::NOT_FOUND, RECEIVER_DISABLED);
    }
    if let Err(message) = check_content_type(headers.get(header::CONTENT_TYPE))
        .and_then(|()| check_content_encoding(headers.get(header::CONTENT_ENCODING)))
    {
        tracing::warn!(error = %message, "refusing remote write request");
        return plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
    }
    let db = Arc::clone(&state.db);
    let outcome =
        tokio::task::spawn_blocking(move || ingest(&db, &body, &DecodeLimits::default())).await;
    match outcome {
        Ok(Ok(report)) => {
            record_metrics(&state, &report);
            report.response()
        }
        Ok(Err(IngestError::Decode(e))) => {
            tracing::warn!(error = %e, "error decoding remote write request");
            plain_error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Ok(Err(IngestError::Storage(e))) => {
            tracing::error!(error = %e, "error appending remote write");
            plain_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage error appending samples",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "remote write task failed");
            plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Checks `Content-Type` as Prometheus does: the media type first, then any `proto=` parameter.
fn check_content_type(value: Option<&HeaderValue>) -> Result<(), String> {
    let Some(value) = value else {
        // 1.0 senders may send none; they mean protobuf.
        return Ok(());
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = text.trim();
    let mut parts = text.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case(PROTOBUF_MEDIA_TYPE) {
        return Err(format!(
            "expected {PROTOBUF_MEDIA_TYPE} as the first (media) part, got {text} content-type"
        ));
    }
    for parameter in parts {
        let Some((name, proto)) = parameter.split_once('=') else {
            return Err(format!(
                "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to \
                 be key-values, got {parameter} in {text} content-type"
            ));
        };
        if name.trim() != "proto" {
            continue;
        }
        return match proto.trim() {
            PROTO_V1 => Ok(()),
            PROTO_V2 => Err(format!(
                "{PROTO_V2} protobuf message is not accepted by this server; accepted [{PROTO_V1}]"
            )),
            other => Err(format!(
                "got {text} content type; unknown remote write protobuf message {other}, \
                 supported: {PROTO_V1}, {PROTO_V2}"
            )),
        };
    }
    Ok(())
}

/// Checks `Content-Encoding`: snappy, or absent (1.0 senders always mean snappy).
fn check_content_encoding(value: Option<&HeaderValue>) -> Result<(), String> {
    let Some(value) = value else {
        return Ok(());
    };
    let encoding = String::from_utf8_lossy(value.as_bytes());
    if encoding.is_empty() || encoding.eq_ignore_ascii_case(SNAPPY) {
        return Ok(());
    }
    Err(format!(
        "{encoding} encoding (compression) is not accepted by this server; only {SNAPPY} is \
         acceptable"
    ))
}

/// A plain-text error as Go's `http.Error` writes it.
fn plain_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        format!("{message}\n"),
    )
        .into_response()
}

/// Why a request could not be taken.
#[derive(Debug)]
enum IngestError {
    /// The body is not a valid remote-write 1.0 request: 400, nothing written.
    Decode(DecodeError),
    /// Storage failed: 500, rolled back.
    Storage(tsdb_core::Error),
}

/// Samples storage refused, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Refusals {
    out_of_order: u64,
    duplicate: u64,
    out_of_bounds: u64,
    invalid: u64,
}

/// What one committed request did.
#[derive(Debug, Default)]
struct IngestReport {
    /// Samples committed.
    appended: u64,
    /// Samples skipped, by reason.
    refused: Refusals,
    /// The message of the first refused sample.
    first_refusal: Option<String>,
    /// Series that carried native histograms (not stored).
    histogram_series: usize,
}

impl IngestReport {
    /// Counts `e` when storage refused one sample; hands back any other error.
    fn refuse(&mut self, e: tsdb_core::Error) -> Result<(), tsdb_core::Error> {
        use tsdb_core::Error as E;
        let counter = match &e {
            E::OutOfOrder { .. } => &mut self.refused.out_of_order,
            E::DuplicateSampleForTimestamp { .. } => &mut self.refused.duplicate,
            E::OutOfBounds { .. } => &mut self.refused.out_of_bounds,
            E::Labels(_) => &mut self.refused.invalid,
            _ => return Err(e),
        };
        *counter += 1;
        if self.first_refusal.is_none() {
            self.first_refusal = Some(e.to_string());
        }
        Ok(())
    }

    /// 400 with the first refusal, else 400 for histograms, else 204.
    fn response(&self) -> Response {
        if let Some(first) = &self.first_refusal {
            return plain_error(StatusCode::BAD_REQUEST, first);
        }
        if self.histogram_series > 0 {
            let message = format!(
                "native histograms are not supported: {} series carried them (their float \
                 samples were stored)",
                self.histogram_series
            );
            return plain_error(StatusCode::BAD_REQUEST, &message);
        }
        StatusCode::NO_CONTENT.into_response()
    }
}

/// Decodes `body` and appends its samples in one commit.
fn ingest(db: &Db, body: &[u8], limits: &DecodeLimits) -> Result<IngestReport, IngestError> {
    let request = decode_write_request(body, limits).map_err(IngestError::Decode)?;
    let mut report = IngestReport {
        histogram_series: request.histogram_series,
        ..IngestReport::default()
    };
    let mut appender = db.appender();
    for series in &request.series {
        // On error the appender is dropped, which rolls the batch back.
        append_series(&mut appender, series, &mut report).map_err(IngestError::Storage)?;
    }
    appender.commit().map_err(IngestError::Storage)?;
    Ok(report)
}

/// Appends one series' samples, skipping (and counting) those storage refuses.
fn append_series(
    appender: &mut Appender<'_>,
    series: &TimeSeries,
    report: &mut IngestReport,
) -> Result<(), tsdb_core::Error> {
    let mut series_ref: Option<SeriesRef> = None;
    for sample in &series.samples {
        let appended = match series_ref {
            Some(r) => match appender.append_ref(r, sample.t, sample.v) {
                // The head dropped the series since the last append: go by labels again.
                Err(tsdb_core::Error::UnknownSeriesRef(_)) => {
                    appender.append(&series.labels, sample.t, sample.v)
                }
                other => other,
            },
            None => appender.append(&series.labels, sample.t, sample.v),
        };
        match appended {
            Ok(r) => {
                series_ref = Some(r);
                report.appended += 1;
            }
            Err(e) => report.refuse(e)?,
        }
    }
    Ok(())
}

/// Adds a committed request's counts to the daemon's metrics and logs refusals once.
fn record_metrics(state: &TsdbState, report: &IngestReport) {
    let metrics = &state.metrics;
    metrics
        .remote_write_samples_received
        .inc_by(report.appended);
    let refused = report.refused;
    let histograms = u64::try_from(report.histogram_series).unwrap_or(u64::MAX);
    let reasons = [
        ("out_of_order", refused.out_of_order),
        ("duplicate", refused.duplicate),
        ("out_of_bounds", refused.out_of_bounds),
        ("invalid", refused.invalid),
        ("unsupported", histograms),
    ];
    for (reason, count) in reasons.into_iter().filter(|(_, n)| *n > 0) {
        metrics
            .remote_write_samples_rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc_by(count);
    }
    if let Some(first) = &report.first_refusal {
        tracing::warn!(
            out_of_order = refused.out_of_order,
            duplicate = refused.duplicate,
            out_of_bounds = refused.out_of_bounds,
            invalid = refused.invalid,
            first = %first,
            "remote write samples refused by storage"
        );
    }
}

#[cfg(test)]
mod tests;
