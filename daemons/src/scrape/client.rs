//! The HTTP side of scraping: one reqwest client per job built from its `HttpClientConfig`,
//! and the scrape request with Prometheus's headers.

use std::time::Duration;

use bytes::Bytes;
use model::exposition::Format;

use crate::config::{HttpClientConfig, ScrapeConfig, ScrapeProtocol};

/// `User-Agent` of every scrape.
const USER_AGENT: &str = concat!("tsdbd/", env!("CARGO_PKG_VERSION"));

/// Exposition protocols Prometheus knows (the four tsdbd parses and protobuf): the weights of
/// the `Accept` header count down from this plus one, as Prometheus's `acceptHeader` does.
const KNOWN_PROTOCOLS: usize = 5;

/// Why a job's client could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// A TLS file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The files or settings were not usable.
    #[error("{0}")]
    Invalid(String),
    /// A setting tsdbd does not implement.
    #[error("{0} is not supported by tsdbd's scraper")]
    Unsupported(&'static str),
}

/// A job's HTTP client and the headers every scrape of it sends.
#[derive(Debug, Clone)]
pub(crate) struct ScrapeClient {
    http: reqwest::Client,
    accept: String,
    auth: HttpClientConfig,
}

/// A successful response body and the parser its `Content-Type` asks for.
#[derive(Debug)]
pub(crate) struct Body {
    /// The decompressed body.
    pub bytes: Bytes,
    /// OpenMetrics for `application/openmetrics-text`, the text format otherwise.
    pub format: Format,
}

impl ScrapeClient {
    /// The client of `job`: its TLS settings and `scrape_protocols`.
    pub(crate) fn new(job: &ScrapeConfig) -> Result<Self, ClientError> {
        let tls = &job.http_client.tls_config;
        if tls.server_name.is_some() {
            return Err(ClientError::Unsupported("tls_config.server_name"));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .gzip(true)
            .danger_accept_invalid_certs(tls.insecure_skip_verify)
            .pool_max_idle_per_host(2);
        if let Some(ca) = &tls.ca_file {
            let pem = read(ca)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ClientError::Invalid(format!("ca_file {}: {e}", ca.display())))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend_from_slice(&read(key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| ClientError::Invalid(format!("client certificate: {e}")))?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Invalid(e.to_string()))?;
        Ok(ScrapeClient {
            http,
            accept: accept_header(&job.scrape_protocols),
            auth: job.http_client.clone(),
        })
    }

    /// GETs `url` within `timeout`; errors are worded as Prometheus's scrape errors.
    pub(crate) async fn scrape(&self, url: &str, timeout: Duration) -> Result<Body, String> {
        let request = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, &self.accept)
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                timeout.as_secs_f64().to_string(),
            );
        let request = authorize(&self.auth, request)?;
        let exchange = async {
            let response = request.send().await.map_err(|e| request_error(url, &e))?;
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err(format!("server returned HTTP status {status}"));
            }
            let format = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map_or(Format::Text, format_of);
            let bytes = response.bytes().await.map_err(|e| request_error(url, &e))?;
            Ok(Body { bytes, format })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("Get {url:?}: context deadline exceeded")),
        }
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Prometheus's `Accept` header: the job's protocols by decreasing weight, then `*/*`.
pub(crate) fn accept_header(protocols: &[ScrapeProtocol]) -> String {
    let mut weight = KNOWN_PROTOCOLS + 1;
    let mut parts: Vec<String> = Vec::with_capacity(protocols.len() + 1);
    for p in protocols {
        parts.push(format!("{};q=0.{weight}", p.media_type()));
        weight = weight.saturating_sub(1);
    }
    parts.push(format!("*/*;q=0.{weight}"));
    parts.join(",")
}

/// The parser a `Content-Type` asks for: OpenMetrics for its media type, text for the rest.
pub(crate) fn format_of(content_type: &str) -> Format {
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/openmetrics-text") {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

/// Adds `basic_auth` or `authorization`; secrets in files are read per scrape, so rotated
/// credentials apply at once, as in Prometheus.
fn authorize(
    auth: &HttpClientConfig,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::RequestBuilder, String> {
    if let Some(basic) = &auth.basic_auth {
        let password = match &basic.password {
            Some(p) => Some(
                p.read()
                    .map_err(|e| format!("unable to read basic auth password file: {e}"))?,
            ),
            None => None,
        };
        let password = password.map(|p| p.expose().trim().to_owned());
        return Ok(request.basic_auth(&basic.username, password));
    }
    if let Some(a) = &auth.authorization {
        let value = match &a.credentials {
            Some(c) => {
                let secret = c
                    .read()
                    .map_err(|e| format!("unable to read authorization credentials: {e}"))?;
                format!("{} {}", a.credential_type, secret.expose().trim())
            }
            None => a.credential_type.clone(),
        };
        return Ok(request.header(reqwest::header::AUTHORIZATION, value));
    }
    Ok(request)
}

/// `Get "<url>": <cause: cause: ...>`, the innermost causes being the informative ones.
fn request_error(url: &str, error: &reqwest::Error) -> String {
    let mut text = format!("Get {url:?}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_weights_the_protocols_in_order() {
        assert_eq!(
            accept_header(&ScrapeProtocol::DEFAULT),
            "application/openmetrics-text;version=1.0.0;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=0.0.4;q=0.4,*/*;q=0.3"
        );
        assert_eq!(
            accept_header(&[ScrapeProtocol::PrometheusText0_0_4]),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
        );
    }

    #[test]
    fn content_type_picks_the_parser() {
        assert_eq!(
            format_of("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::OpenMetrics
        );
        assert_eq!(format_of("text/plain; version=0.0.4"), Format::Text);
        assert_eq!(format_of("application/json"), Format::Text);
        assert_eq!(format_of(""), Format::Text);
    }
}
