//! [`WebConfig`]: the web configuration file, parsed and checked, and what it does to a router.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use rustls::ServerConfig;
use serde::Deserialize;

use super::auth::{BasicAuth, require_basic_auth};
use super::error::WebConfigError;
use super::headers::{ResponseHeaders, add_response_headers};
use super::tls::{RawTlsServerConfig, TlsServerConfig};

/// A loaded, checked web configuration. The default is no TLS, no authentication, no headers.
/// Its `Debug` output leaves the password hashes out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebConfig {
    /// `tls_server_config`; `None` serves plain HTTP.
    pub tls: Option<TlsServerConfig>,
    /// `http_server_config`.
    pub http: HttpServerConfig,
    /// `basic_auth_users`: user → bcrypt hash, every hash checked to be one.
    pub basic_auth_users: BTreeMap<String, String>,
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls)
            .field("http", &self.http)
            .field(
                "basic_auth_users",
                &self.basic_auth_users.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// `http_server_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpServerConfig {
    /// `http2` (default true). HTTP/2 is only ever negotiated over TLS; the server offers
    /// HTTP/1.1 alone for now, which clients that prefer h2 fall back to through ALPN, so either
    /// value gives a working server.
    pub http2: bool,
    /// `headers` added to every response.
    pub headers: ResponseHeaders,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        HttpServerConfig {
            http2: true,
            headers: ResponseHeaders::default(),
        }
    }
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebConfig {
    #[serde(default)]
    tls_server_config: Option<RawTlsServerConfig>,
    #[serde(default)]
    http_server_config: Option<RawHttpServerConfig>,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, BcryptHash>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpServerConfig {
    #[serde(default)]
    http2: Option<bool>,
    #[serde(default)]
    headers: Option<ResponseHeaders>,
}

/// A string checked to be a bcrypt hash (`$2a$`, `$2b$`, `$2x$` or `$2y$`, a cost from 4 to 31,
/// 53 characters of salt and digest), as the toolkit checks each one when loading.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
struct BcryptHash(String);

impl TryFrom<String> for BcryptHash {
    type Error = String;

    fn try_from(hash: String) -> Result<Self, String> {
        // The hash is not echoed: configuration errors end up in logs.
        let parts = bcrypt::HashParts::from_str(&hash).map_err(|e| {
            let why = match e {
                bcrypt::BcryptError::InvalidPrefix(_) => "unknown $2?$ version prefix",
                bcrypt::BcryptError::InvalidCost(_) => "cost is not a number",
                _ => "expected $2y$<cost>$ followed by 53 characters of salt and digest",
            };
            format!("invalid bcrypt hash: {why}")
        })?;
        if !(4..=31).contains(&parts.get_cost()) {
            return Err(format!(
                "invalid bcrypt hash: cost {} is outside 4..=31",
                parts.get_cost()
            ));
        }
        Ok(BcryptHash(hash))
    }
}

impl fmt::Debug for BcryptHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl WebConfig {
    /// Reads and checks the file at `path`; relative paths in it resolve against its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<WebConfig, WebConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| WebConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        WebConfig::parse(&text, path)
    }

    /// Parses and checks `text`; `origin` names it in errors and its directory resolves
    /// relative paths. An empty file is the default configuration.
    pub fn parse(text: &str, origin: &Path) -> Result<WebConfig, WebConfigError> {
        let name = origin.display().to_string();
        let raw: Option<RawWebConfig> =
            serde_yaml_ng::from_str(text).map_err(|e| WebConfigError::from_yaml(&name, &e))?;
        let raw = raw.unwrap_or_default();
        let dir = origin.parent().unwrap_or(Path::new(""));
        let tls = match raw.tls_server_config {
            Some(tls) => tls
                .build(dir)
                .map_err(|(field, message)| WebConfigError::Invalid {
                    origin: name.clone(),
                    field,
                    message,
                })?,
            None => None,
        };
        let http = raw.http_server_config.unwrap_or_default();
        let http = HttpServerConfig {
            http2: http.http2.unwrap_or(true),
            headers: http.headers.unwrap_or_default(),
        };
        let basic_auth_users = raw
            .basic_auth_users
            .unwrap_or_default()
            .into_iter()
            .map(|(user, hash)| (user, hash.0))
            .collect();
        Ok(WebConfig {
            tls,
            http,
            basic_auth_users,
        })
    }

    /// The rustls configuration for `tls_server_config`, certificate and key read now; `None`
    /// when the server speaks plain HTTP.
    pub fn tls_server_config(&self) -> Result<Option<Arc<ServerConfig>>, WebConfigError> {
        self.tls
            .as_ref()
            .map(TlsServerConfig::server_config)
            .transpose()
    }

    /// `app` with basic authentication (when users are configured) and the configured response
    /// headers (on every response, 401s included).
    pub fn wrap(&self, app: Router) -> Router {
        let auth = BasicAuth::new(self.basic_auth_users.clone());
        let app = if auth.is_enabled() {
            app.layer(from_fn_with_state(Arc::new(auth), require_basic_auth))
        } else {
            app
        };
        if self.http.headers.is_empty() {
            app
        } else {
            let headers = Arc::new(self.http.headers.clone());
            app.layer(from_fn_with_state(headers, add_response_headers))
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
