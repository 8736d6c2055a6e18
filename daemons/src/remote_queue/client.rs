//! The HTTP side of one remote-write queue: a reqwest client built from the entry's settings,
//! one POST per batch with remote-write 1.0's headers, and what the answer means for retrying
//! (Prometheus's `storage/remote/client.go`: 5xx and 429 are recoverable, other 4xx are not).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::RemoteQueueError;
use crate::config::{HttpClientConfig, RemoteWriteConfig};

/// The `User-Agent` sent with every request.
const USER_AGENT: &str = concat!("tsdbd/", env!("CARGO_PKG_VERSION"));
/// The protocol version header remote-write 1.0 receivers expect.
const REMOTE_WRITE_VERSION: &str = "0.1.0";
/// How much of a refusal's body is logged.
const MAX_LOGGED_BODY: usize = 512;

/// What sending one request came to.
#[derive(Debug)]
pub(crate) enum SendOutcome {
    /// 2xx: delivered.
    Delivered,
    /// 5xx, 429 or a connection error: try again, after `retry_after` when the receiver said.
    Retry {
        /// What went wrong, for the log.
        reason: String,
        /// The receiver's `Retry-After` on a 429, if it gave one in seconds.
        retry_after: Option<Duration>,
    },
    /// Another status: the batch can never succeed and is dropped.
    Refused {
        /// The status.
        status: StatusCode,
        /// The start of the body, for the log.
        body: String,
    },
}

/// A remote-write endpoint.
#[derive(Debug, Clone)]
pub(crate) struct WriteClient {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    auth: HttpClientConfig,
}

impl WriteClient {
    /// Builds the client of `cfg`: timeout, TLS settings, extra headers.
    pub(crate) fn new(cfg: &RemoteWriteConfig) -> Result<Self, RemoteQueueError> {
        let tls = &cfg.http_client.tls_config;
        if tls.server_name.is_some() {
            return Err(RemoteQueueError::Unsupported {
                field: "remote_write tls_config.server_name",
            });
        }
        let mut builder = reqwest::Client::builder()
            .timeout(cfg.remote_timeout)
            .user_agent(USER_AGENT)
            .danger_accept_invalid_certs(tls.insecure_skip_verify);
        if let Some(ca) = &tls.ca_file {
            let pem = std::fs::read(ca).map_err(|source| RemoteQueueError::Io {
                path: ca.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| client_error(cfg, format!("ca_file {}: {e}", ca.display())))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            let mut pem = read(cert)?;
            pem.extend_from_slice(b"\n");
            pem.extend_from_slice(&read(key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| client_error(cfg, format!("client certificate: {e}")))?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|e| client_error(cfg, e.to_string()))?;
        let mut headers = HeaderMap::new();
        for (name, value) in &cfg.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|e| client_error(cfg, format!("header {name:?}: {e}")))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|e| client_error(cfg, format!("header {name}: {e}")))?;
            headers.insert(name, value);
        }
        Ok(Self {
            http,
            url: cfg.url.clone(),
            headers,
            auth: cfg.http_client.clone(),
        })
    }

    /// POSTs one snappy-compressed request body.
    pub(crate) async fn send(&self, body: Vec<u8>) -> SendOutcome {
        let mut req = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", REMOTE_WRITE_VERSION)
            .body(body);
        // Credentials from files are read per request, so rotated ones apply at once.
        match self.authorize(req) {
            Ok(r) => req = r,
            Err(reason) => {
                return SendOutcome::Retry {
                    reason,
                    retry_after: None,
                };
            }
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                return SendOutcome::Retry {
                    reason: format!("request to {}: {e}", self.url),
                    retry_after: None,
                };
            }
        };
        classify(resp).await
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, String> {
        if let Some(basic) = &self.auth.basic_auth {
            let password = match &basic.password {
                Some(p) => Some(p.read().map_err(|e| format!("basic_auth password: {e}"))?),
                None => None,
            };
            let password = password.as_ref().map(|p| p.expose().trim_end().to_owned());
            return Ok(req.basic_auth(&basic.username, password));
        }
        if let Some(auth) = &self.auth.authorization {
            let value = match &auth.credentials {
                Some(c) => {
                    let secret = c
                        .read()
                        .map_err(|e| format!("authorization credentials: {e}"))?;
                    format!("{} {}", auth.credential_type, secret.expose().trim())
                }
                None => auth.credential_type.clone(),
            };
            return Ok(req.header("Authorization", value));
        }
        Ok(req)
    }
}

/// Sorts a response into delivered, retry and refused.
async fn classify(resp: reqwest::Response) -> SendOutcome {
    let status = resp.status();
    if status.is_success() {
        return SendOutcome::Delivered;
    }
    let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
        .then(|| resp.headers().get(reqwest::header::RETRY_AFTER))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut body = resp.text().await.unwrap_or_default();
    if body.len() > MAX_LOGGED_BODY {
        let cut = (0..=MAX_LOGGED_BODY)
            .rev()
            .find(|&i| body.is_char_boundary(i))
            .unwrap_or(0);
        body.truncate(cut);
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        SendOutcome::Retry {
            reason: format!("server returned HTTP status {status}: {}", body.trim()),
            retry_after,
        }
    } else {
        SendOutcome::Refused { status, body }
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, RemoteQueueError> {
    std::fs::read(path).map_err(|source| RemoteQueueError::Io {
        path: path.to_owned(),
        source,
    })
}

fn client_error(cfg: &RemoteWriteConfig, reason: String) -> RemoteQueueError {
    RemoteQueueError::Client {
        url: cfg.url.clone(),
        reason,
    }
}
