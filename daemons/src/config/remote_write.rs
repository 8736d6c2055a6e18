//! The `remote_write` section: receivers every appended sample is forwarded to.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use model::relabel::RelabelConfig;
use serde::Deserialize;

use super::de::{Scalar, unique_map};
use super::duration;
use super::http_client::{
    self, HttpClientConfig, RawAuthorization, RawBasicAuth, RawHttpClient, RawTlsConfig,
};
use super::relabel::{RawRelabel, compile_list};

/// Prometheus's default `remote_timeout`.
pub const DEFAULT_REMOTE_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers a `headers` entry may not set (Prometheus's list, compared case-insensitively).
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// One `remote_write` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWriteConfig {
    /// The receiver's endpoint (`http://` or `https://`).
    pub url: String,
    /// A name for logs and metrics; unique when given.
    pub name: Option<String>,
    /// Timeout of one request; default 30 s.
    pub remote_timeout: Duration,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Rules applied to each series before it is sent (a dropped series is not sent).
    pub write_relabel_configs: Vec<RelabelConfig>,
    /// Queueing and sharding.
    pub queue_config: QueueConfig,
    /// Authentication and TLS.
    pub http_client: HttpClientConfig,
}

/// `queue_config`, with Prometheus 3's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Samples buffered per shard before reading the WAL pauses; default 10 000.
    pub capacity: u64,
    /// Most concurrent senders; default 50.
    pub max_shards: u64,
    /// Fewest concurrent senders; default 1.
    pub min_shards: u64,
    /// Most samples in one request; default 2 000.
    pub max_samples_per_send: u64,
    /// Longest a sample waits for a request to fill; default 5 s.
    pub batch_send_deadline: Duration,
    /// First retry delay, doubled up to `max_backoff`; default 30 ms.
    pub min_backoff: Duration,
    /// Longest retry delay; default 5 s.
    pub max_backoff: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2_000,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A `remote_write` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRemoteWrite {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    name: Option<Scalar>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    remote_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "unique_map")]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    write_relabel_configs: Option<Vec<Option<RawRelabel>>>,
    #[serde(default)]
    queue_config: Option<RawQueueConfig>,
    #[serde(default)]
    basic_auth: Option<RawBasicAuth>,
    #[serde(default)]
    authorization: Option<RawAuthorization>,
    #[serde(default)]
    bearer_token: Option<Scalar>,
    #[serde(default)]
    bearer_token_file: Option<String>,
    #[serde(default)]
    tls_config: Option<RawTlsConfig>,
}

/// `queue_config` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueueConfig {
    #[serde(default)]
    capacity: Option<u64>,
    #[serde(default)]
    max_shards: Option<u64>,
    #[serde(default)]
    min_shards: Option<u64>,
    #[serde(default)]
    max_samples_per_send: Option<u64>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    batch_send_deadline: Option<Duration>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    min_backoff: Option<Duration>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    max_backoff: Option<Duration>,
}

impl RawRemoteWrite {
    /// The name as written, to name the entry in errors.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name
            .as_ref()
            .map(|n| n.0.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Applies defaults and validates as Prometheus's `RemoteWriteConfig.UnmarshalYAML` does,
    /// plus checks on values a sender cannot work with.
    pub(crate) fn build(self, dir: &Path) -> Result<RemoteWriteConfig, String> {
        let name = self.name().map(str::to_owned);
        let url = self
            .url
            .filter(|u| !u.is_empty())
            .ok_or("url for remote_write is empty")?;
        check_url(&url)?;
        let write_relabel_configs = compile_list(
            self.write_relabel_configs,
            "write_relabel_configs",
            "relabeling rule in remote write config",
        )?;
        let headers = self.headers.unwrap_or_default();
        check_headers(&headers)?;
        let http_client = http_client::build(
            RawHttpClient {
                basic_auth: self.basic_auth,
                authorization: self.authorization,
                bearer_token: self.bearer_token,
                bearer_token_file: self.bearer_token_file,
                tls_config: self.tls_config,
            },
            dir,
        )?;
        let queue_config = self.queue_config.unwrap_or_default().build()?;
        Ok(RemoteWriteConfig {
            url,
            name,
            remote_timeout: self
                .remote_timeout
                .filter(|t| !t.is_zero())
                .unwrap_or(DEFAULT_REMOTE_TIMEOUT),
            headers,
            write_relabel_configs,
            queue_config,
            http_client,
        })
    }
}

/// An absolute `http`/`https` URL with a host.
fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(format!(
            "remote_write url {url:?} is not an absolute http or https URL"
        )),
    }
}

fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), String> {
    for name in headers.keys() {
        let lower = name.to_ascii_lowercase();
        if lower == "authorization" {
            return Err("authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter".into());
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(format!(
                "{name} is a reserved header. It must not be changed"
            ));
        }
    }
    Ok(())
}

impl RawQueueConfig {
    fn build(self) -> Result<QueueConfig, String> {
        let d = QueueConfig::default();
        let q = QueueConfig {
            capacity: self.capacity.unwrap_or(d.capacity),
            max_shards: self.max_shards.unwrap_or(d.max_shards),
            min_shards: self.min_shards.unwrap_or(d.min_shards),
            max_samples_per_send: self.max_samples_per_send.unwrap_or(d.max_samples_per_send),
            batch_send_deadline: self.batch_send_deadline.unwrap_or(d.batch_send_deadline),
            min_backoff: self.min_backoff.unwrap_or(d.min_backoff),
            max_backoff: self.max_backoff.unwrap_or(d.max_backoff),
        };
        for (field, value) in [
            ("capacity", q.capacity),
            ("max_shards", q.max_shards),
            ("min_shards", q.min_shards),
            ("max_samples_per_send", q.max_samples_per_send),
        ] {
            if value == 0 {
                return Err(format!("queue_config: {field} must be at least 1"));
            }
        }
        if q.min_shards > q.max_shards {
            return Err(format!(
                "queue_config: min_shards ({}) is greater than max_shards ({})",
                q.min_shards, q.max_shards
            ));
        }
        if q.min_backoff > q.max_backoff {
            return Err(format!(
                "queue_config: min_backoff ({}) is greater than max_backoff ({})",
                duration::format_duration(q.min_backoff),
                duration::format_duration(q.max_backoff)
            ));
        }
        Ok(q)
    }
}
