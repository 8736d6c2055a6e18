//! The JSON envelope of every `/api/v1` answer, and the API's error type.
//!
//! Success: `{"status":"success","data":…}` plus `warnings` and `infos` arrays when they are
//! not empty. Failure: `{"status":"error","errorType":…,"error":…}` with the status code
//! Prometheus's `respondError` gives the error type (`web/api/v1/api.go`, Prometheus 3.x):
//! `bad_data` 400, `execution` 422, `canceled` 499, `timeout` 503, `internal` 500, and 500 for
//! every other type (`unavailable` included, as Prometheus answers a disabled admin API).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};

/// Status code Prometheus sends when the client went away before the answer (nginx's 499).
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// What the generic message of an internal error says; the detail goes to the log only.
const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";

/// Prometheus's error classes (`errorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// Bad parameters or an unparsable query: 400.
    BadData,
    /// The query could not be executed: 422.
    Execution,
    /// The client cancelled the query: 499.
    Canceled,
    /// The query ran out of time: 503.
    Timeout,
    /// A storage or server fault: 500, message generic.
    Internal,
    /// The endpoint is switched off (the admin API without `--web.enable-admin-api`): 500.
    Unavailable,
    /// The endpoint exists in Prometheus but tsdbd does not implement it: 501.
    Unsupported,
}

impl ErrorKind {
    /// The `errorType` string.
    fn name(self) -> &'static str {
        match self {
            ErrorKind::BadData => "bad_data",
            ErrorKind::Execution => "execution",
            ErrorKind::Canceled => "canceled",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
            ErrorKind::Unavailable | ErrorKind::Unsupported => "unavailable",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadData => StatusCode::BAD_REQUEST,
            ErrorKind::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Canceled => StatusCode::from_u16(CLIENT_CLOSED_REQUEST)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            ErrorKind::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal | ErrorKind::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// A failed API call: its class and the message the client sees (for
/// [`ErrorKind::Internal`], the message is logged and a generic text is sent instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// The class, which fixes `errorType` and the status code.
    pub(crate) kind: ErrorKind,
    /// What went wrong.
    pub(crate) message: String,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A `bad_data` error.
    pub(crate) fn bad_data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadData, message)
    }

    /// Prometheus's `invalid parameter "<name>": <reason>` (`bad_data`).
    pub(crate) fn invalid_param(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::bad_data(format!("invalid parameter {name:?}: {reason}"))
    }

    /// An `internal` error; `detail` is logged, never sent.
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, detail)
    }

    /// The answer of an endpoint tsdbd does not implement.
    pub(crate) fn unsupported(what: &str, why: &str) -> Self {
        Self::new(
            ErrorKind::Unsupported,
            format!("{what} is not supported by tsdbd: {why}"),
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = if self.kind == ErrorKind::Internal {
            tracing::error!(error = %self.message, "API request failed");
            INTERNAL_MESSAGE.to_owned()
        } else {
            self.message
        };
        let body = serde_json::json!({
            "status": "error",
            "errorType": self.kind.name(),
            "error": message,
        });
        json_response(self.kind.status(), &body)
    }
}

/// A successful answer: `data` plus the annotations Prometheus sends beside it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Success {
    /// The `data` field.
    pub(crate) data: Json,
    /// `warnings`, left out of the JSON when empty.
    pub(crate) warnings: Vec<String>,
    /// `infos`, left out of the JSON when empty.
    pub(crate) infos: Vec<String>,
}

impl Success {
    /// `data` without annotations.
    pub(crate) fn new(data: Json) -> Self {
        Success {
            data,
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }

    /// The whole envelope.
    pub(crate) fn to_json(&self) -> Json {
        let mut body = Map::new();
        body.insert("status".into(), Json::from("success"));
        body.insert("data".into(), self.data.clone());
        if !self.warnings.is_empty() {
            body.insert("warnings".into(), Json::from(self.warnings.clone()));
        }
        if !self.infos.is_empty() {
            body.insert("infos".into(), Json::from(self.infos.clone()));
        }
        Json::Object(body)
    }
}

impl IntoResponse for Success {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.to_json())
    }
}

/// What an API handler returns.
pub(crate) type ApiResult = Result<Success, ApiError>;

fn json_response(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The warning Prometheus adds when `limit` cut a result short.
pub(crate) const TRUNCATED_WARNING: &str = "results truncated due to limit";

/// Cuts `items` to `limit` (0: no limit), returning the warnings to send with them.
pub(crate) fn apply_limit<T>(items: &mut Vec<T>, limit: usize) -> Vec<String> {
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        vec![TRUNCATED_WARNING.to_owned()]
    } else {
        Vec::new()
    }
}
