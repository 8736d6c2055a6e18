//! The HTTP client settings Prometheus inlines into scrape, Alertmanager and remote-write
//! sections (`basic_auth`, `authorization`, `bearer_token`, `bearer_token_file`, `tls_config`),
//! validated as `prometheus/common`'s `HTTPClientConfig.Validate` does.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::de::Scalar;

/// A credential that must not appear in logs: `Debug` prints `<secret>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for building a request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Written in the configuration.
    Inline(Secret),
    /// Read from this file (resolved against the configuration's directory) on every use, so a
    /// rotated credential is picked up without a reload, as in Prometheus.
    File(PathBuf),
}

impl SecretSource {
    /// The credential: the inline value, or the file's content.
    pub fn read(&self) -> std::io::Result<Secret> {
        match self {
            SecretSource::Inline(s) => Ok(s.clone()),
            SecretSource::File(path) => std::fs::read_to_string(path).map(Secret),
        }
    }
}

/// `basic_auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name (may be empty, as Prometheus allows).
    pub username: String,
    /// The password; `None` sends an empty one.
    pub password: Option<SecretSource>,
}

/// `authorization`, and `bearer_token`/`bearer_token_file`, which Prometheus turns into an
/// `authorization` of type `Bearer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The scheme sent before the credentials; default `Bearer`.
    pub credential_type: String,
    /// The credentials; `None` sends the scheme alone.
    pub credentials: Option<SecretSource>,
}

/// `tls_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// CA certificate(s) to verify the server with; the system roots when `None`.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (always with `key_file`).
    pub cert_file: Option<PathBuf>,
    /// Client key (always with `cert_file`).
    pub key_file: Option<PathBuf>,
    /// Server name to verify and send as SNI; the target's host when `None`.
    pub server_name: Option<String>,
    /// Accept any server certificate.
    pub insecure_skip_verify: bool,
}

/// The HTTP client settings of one section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpClientConfig {
    /// `basic_auth`, if given.
    pub basic_auth: Option<BasicAuth>,
    /// `authorization` (or a bearer token), if given.
    pub authorization: Option<Authorization>,
    /// `tls_config` (defaults when absent).
    pub tls_config: TlsConfig,
}

/// `basic_auth` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBasicAuth {
    #[serde(default)]
    username: Option<Scalar>,
    #[serde(default)]
    password: Option<Scalar>,
    #[serde(default)]
    password_file: Option<String>,
}

/// `authorization` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuthorization {
    #[serde(default, rename = "type")]
    credential_type: Option<String>,
    #[serde(default)]
    credentials: Option<Scalar>,
    #[serde(default)]
    credentials_file: Option<String>,
}

/// `tls_config` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTlsConfig {
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    cert_file: Option<String>,
    #[serde(default)]
    key_file: Option<String>,
    #[serde(default)]
    server_name: Option<String>,
    #[serde(default)]
    insecure_skip_verify: Option<bool>,
}

/// The inlined HTTP client fields of a section, gathered by the section's own raw type.
pub(crate) struct RawHttpClient {
    pub basic_auth: Option<RawBasicAuth>,
    pub authorization: Option<RawAuthorization>,
    pub bearer_token: Option<Scalar>,
    pub bearer_token_file: Option<String>,
    pub tls_config: Option<RawTlsConfig>,
}

/// A path from the file, resolved against the configuration's directory (Prometheus's
/// `JoinDir`): absolute paths stay, empty means absent.
pub(crate) fn resolve(dir: &Path, path: Option<String>) -> Option<PathBuf> {
    path.filter(|p| !p.is_empty()).map(|p| dir.join(p))
}

fn non_empty(s: Option<Scalar>) -> Option<String> {
    s.map(|s| s.0).filter(|s| !s.is_empty())
}

/// Validates and normalizes, in the order and with the messages of Prometheus's
/// `HTTPClientConfig.Validate` (and, for TLS files, of `promtool check config`).
pub(crate) fn build(raw: RawHttpClient, dir: &Path) -> Result<HttpClientConfig, String> {
    let bearer_token = non_empty(raw.bearer_token);
    let bearer_token_file = raw.bearer_token_file.filter(|f| !f.is_empty());
    let has_bearer = bearer_token.is_some() || bearer_token_file.is_some();
    if bearer_token.is_some() && bearer_token_file.is_some() {
        return Err("at most one of bearer_token & bearer_token_file must be configured".into());
    }
    if raw.basic_auth.is_some() && has_bearer {
        return Err("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into());
    }
    let basic_auth = raw.basic_auth.map(|b| basic_auth(b, dir)).transpose()?;
    let authorization = match raw.authorization {
        Some(a) => {
            if has_bearer {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            let a = authorization(a, dir)?;
            if basic_auth.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
            Some(a)
        }
        None => bearer_token
            .map(|t| SecretSource::Inline(Secret(t)))
            .or_else(|| resolve(dir, bearer_token_file).map(SecretSource::File))
            .map(|credentials| Authorization {
                credential_type: "Bearer".into(),
                credentials: Some(credentials),
            }),
    };
    let tls_config = tls(raw.tls_config.unwrap_or_default(), dir)?;
    Ok(HttpClientConfig {
        basic_auth,
        authorization,
        tls_config,
    })
}

fn basic_auth(raw: RawBasicAuth, dir: &Path) -> Result<BasicAuth, String> {
    let password = non_empty(raw.password);
    let password_file = raw.password_file.filter(|f| !f.is_empty());
    if password.is_some() && password_file.is_some() {
        return Err("at most one of basic_auth password & password_file must be configured".into());
    }
    Ok(BasicAuth {
        username: raw.username.map(|u| u.0).unwrap_or_default(),
        password: password
            .map(|p| SecretSource::Inline(Secret(p)))
            .or_else(|| resolve(dir, password_file).map(SecretSource::File)),
    })
}

fn authorization(raw: RawAuthorization, dir: &Path) -> Result<Authorization, String> {
    let credentials = non_empty(raw.credentials);
    let credentials_file = raw.credentials_file.filter(|f| !f.is_empty());
    if credentials.is_some() && credentials_file.is_some() {
        return Err(
            "at most one of authorization credentials & credentials_file must be configured".into(),
        );
    }
    let mut credential_type = raw.credential_type.unwrap_or_default().trim().to_owned();
    if credential_type.is_empty() {
        credential_type = "Bearer".into();
    }
    if credential_type.eq_ignore_ascii_case("basic") {
        return Err(
            r#"authorization type cannot be set to "basic", use "basic_auth" instead"#.into(),
        );
    }
    Ok(Authorization {
        credential_type,
        credentials: credentials
            .map(|c| SecretSource::Inline(Secret(c)))
            .or_else(|| resolve(dir, credentials_file).map(SecretSource::File)),
    })
}

fn tls(raw: RawTlsConfig, dir: &Path) -> Result<TlsConfig, String> {
    let cert_file = resolve(dir, raw.cert_file);
    let key_file = resolve(dir, raw.key_file);
    match (&cert_file, &key_file) {
        (Some(cert), None) => {
            return Err(format!(
                "client cert file {:?} specified without client key file",
                cert.display().to_string()
            ));
        }
        (None, Some(key)) => {
            return Err(format!(
                "client key file {:?} specified without client cert file",
                key.display().to_string()
            ));
        }
        _ => {}
    }
    Ok(TlsConfig {
        ca_file: resolve(dir, raw.ca_file),
        cert_file,
        key_file,
        server_name: raw.server_name.filter(|s| !s.is_empty()),
        insecure_skip_verify: raw.insecure_skip_verify.unwrap_or(false),
    })
}
