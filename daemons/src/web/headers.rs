//! `http_server_config.headers`: the security headers the exporter toolkit lets a web
//! configuration add to every response, checked as the toolkit checks them.

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The headers a web configuration may set, with the values each accepts (`None`: any).
const CONFIGURABLE_HEADERS: &[(&str, Option<&[&str]>)] = &[
    ("Strict-Transport-Security", None),
    ("X-Content-Type-Options", Some(&["nosniff"])),
    ("X-Frame-Options", Some(&["deny", "sameorigin"])),
    ("X-XSS-Protection", None),
    ("Content-Security-Policy", None),
];

/// Headers added to every response, in file order. A blank value leaves the header unset, as
/// the toolkit documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders(Vec<(HeaderName, HeaderValue)>);

impl ResponseHeaders {
    /// Whether no header is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The configured headers.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// Checks one entry: the name must be configurable and the value one it accepts.
    fn check(name: &str, value: &str) -> Result<Option<(HeaderName, HeaderValue)>, String> {
        let Some((_, allowed)) = CONFIGURABLE_HEADERS.iter().find(|(n, _)| *n == name) else {
            return Err(format!("HTTP header {name:?} can not be configured"));
        };
        if value.is_empty() {
            return Ok(None);
        }
        if let Some(allowed) = allowed
            && !allowed.contains(&value)
        {
            return Err(format!(
                "invalid value for {name}. Expected one of: {allowed:?}, but got: {value:?}"
            ));
        }
        let header_value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for {name}: not a valid header value"))?;
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("HTTP header {name:?} can not be configured"))?;
        Ok(Some((header_name, header_value)))
    }
}

impl<'de> Deserialize<'de> for ResponseHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeadersVisitor)
    }
}

struct HeadersVisitor;

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = ResponseHeaders;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of header names to values")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ResponseHeaders::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut headers = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Option<String>>()? {
            if seen.contains(&name) {
                return Err(de::Error::custom(format!("duplicate header {name:?}")));
            }
            let entry = ResponseHeaders::check(&name, value.as_deref().unwrap_or(""))
                .map_err(de::Error::custom)?;
            headers.extend(entry);
            seen.push(name);
        }
        Ok(ResponseHeaders(headers))
    }
}

/// Middleware adding the configured headers to every response (401s included) unless the
/// handler set them itself: the toolkit sets them before the handler runs, so a handler's own
/// value wins there too.
pub(crate) async fn add_response_headers(
    State(headers): State<Arc<ResponseHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let out = response.headers_mut();
    for (name, value) in headers.iter() {
        if !out.contains_key(name) {
            out.insert(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configurable_headers_with_accepted_values_pass() {
        assert!(ResponseHeaders::check("X-Frame-Options", "deny").is_ok());
        assert!(ResponseHeaders::check("X-Frame-Options", "allow").is_err());
        assert!(ResponseHeaders::check("X-Content-Type-Options", "nosniff").is_ok());
        assert!(ResponseHeaders::check("Server", "tsdbd").is_err());
        assert!(matches!(
            ResponseHeaders::check("Content-Security-Policy", ""),
            Ok(None)
        ));
        assert!(ResponseHeaders::check("X-XSS-Protection", "1\nx").is_err());
    }
}
