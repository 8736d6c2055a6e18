//! Request parameters as Go's `r.FormValue` / `r.Form` see them: a form-encoded body (POST,
//! PUT, PATCH with `Content-Type: application/x-www-form-urlencoded`) first, then the URL's
//! query string; a parameter given in both takes the body's value first. Plus the parsers of
//! the parameters several endpoints share (times, `limit`, `match[]`).
#![deny(clippy::indexing_slicing)]

use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use model::Matcher;

use super::response::ApiError;
use super::selector::parse_selector;
use super::timestamp::parse_time;

/// Largest form body read, as Go's `ParseForm` (10 MB).
const MAX_FORM_BODY: usize = 10 << 20;

/// Every parameter of a request, in Go's `r.Form` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parameters from a query string alone.
    #[cfg(test)]
    pub(crate) fn from_query(query: &str) -> Self {
        Params {
            pairs: parse_urlencoded(query.as_bytes()),
        }
    }

    /// The first value of `name`, `""` when absent (Go's `FormValue`).
    pub(crate) fn value(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Time parameter `name` in ms, `default` when absent or empty (Prometheus's
    /// `parseTimeParam`).
    pub(crate) fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.value(name) {
            "" => Ok(default),
            text => parse_time(text).map_err(|e| {
                ApiError::invalid_param(name, format!("Invalid time value for '{name}': {e}"))
            }),
        }
    }

    /// `limit`: 0 (no limit) when absent; a negative or non-integer value is `bad_data`.
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        parse_limit(self.value("limit")).map_err(|e| ApiError::invalid_param("limit", e))
    }

    /// The `match[]` selectors, each as its matchers (Prometheus's `parseMatchersParam`): a
    /// selector whose every matcher matches the empty string is refused.
    pub(crate) fn matcher_sets(&self) -> Result<Vec<Vec<Matcher>>, String> {
        self.values("match[]")
            .into_iter()
            .map(parse_selector)
            .collect::<Result<Vec<_>, _>>()
            .and_then(|sets| {
                if sets
                    .iter()
                    .any(|set| set.iter().all(Matcher::matches_empty))
                {
                    Err("match[] must contain at least one non-empty matcher".to_owned())
                } else {
                    Ok(sets)
                }
            })
    }
}

/// Prometheus's `parseLimitParam`: `""` → 0 (no limit).
fn parse_limit(text: &str) -> Result<usize, String> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: i64 = text
        .parse()
        .map_err(|_| format!("cannot parse {text:?} as an integer"))?;
    usize::try_from(n).map_err(|_| "limit must be non-negative".to_owned())
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let mut pairs = Vec::new();
        if has_form_body(&parts.method, &parts.headers) {
            let bytes = axum::body::to_bytes(body, MAX_FORM_BODY)
                .await
                .map_err(|e| ApiError::bad_data(format!("error parsing form values: {e}")))?;
            pairs = parse_urlencoded(&bytes);
        }
        pairs.extend(parse_urlencoded(parts.uri.query().unwrap_or("").as_bytes()));
        Ok(Params { pairs })
    }
}

fn has_form_body(method: &Method, headers: &axum::http::HeaderMap) -> bool {
    let form_method = [Method::POST, Method::PUT, Method::PATCH].contains(method);
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    form_method && form_type
}

/// `a=1&b=x+y&c=%41` → pairs, `+` as space and `%XX` decoded; invalid escapes are kept as
/// written and invalid UTF-8 replaced (the lenient reading browsers apply).
pub(crate) fn parse_urlencoded(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|&b| b == b'=') {
                Some(i) => (
                    part.get(..i).unwrap_or_default(),
                    part.get(i + 1..).unwrap_or_default(),
                ),
                None => (part, &[][..]),
            };
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(decoded) = hex {
                    out.push(decoded);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
