//! `tls_server_config`: its settings, checked against what rustls (with its `ring` provider) can
//! do, and the rustls [`ServerConfig`] built from them.
//!
//! Names follow Go's `crypto/tls`, as the exporter toolkit reads them. What rustls cannot do is
//! refused by name where the value stands: TLS 1.0 and 1.1, cipher suites other than the ECDHE
//! AEAD ones, the P-521 curve, and the client-auth policies that accept a certificate without
//! verifying it (`RequestClientCert`, `RequireAnyClientCert`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, SupportedKxGroup, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::error::WebConfigError;

/// A TLS version `min_version` and `max_version` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// `TLS12`.
    Tls12,
    /// `TLS13`.
    Tls13,
}

impl TryFrom<String> for TlsVersion {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        match name.as_str() {
            "TLS12" => Ok(Self::Tls12),
            "TLS13" => Ok(Self::Tls13),
            "TLS10" | "TLS11" => Err(format!(
                "{name} is not supported: rustls speaks TLS 1.2 and 1.3 only"
            )),
            _ => Err(format!("unknown TLS version: {name}")),
        }
    }
}

impl TlsVersion {
    fn rustls(self) -> &'static SupportedProtocolVersion {
        match self {
            Self::Tls12 => &rustls::version::TLS12,
            Self::Tls13 => &rustls::version::TLS13,
        }
    }
}

/// The client-certificate policy (`client_auth_type`), as Go's `tls.ClientAuthType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `NoClientCert` (the default): no certificate is asked for.
    #[default]
    NoClientCert,
    /// `VerifyClientCertIfGiven`: a certificate is optional but verified when sent.
    VerifyClientCertIfGiven,
    /// `RequireAndVerifyClientCert`: a certificate signed by `client_ca_file` is required.
    RequireAndVerifyClientCert,
}

impl TryFrom<String> for ClientAuth {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        match name.as_str() {
            "" | "NoClientCert" => Ok(Self::NoClientCert),
            "VerifyClientCertIfGiven" => Ok(Self::VerifyClientCertIfGiven),
            "RequireAndVerifyClientCert" => Ok(Self::RequireAndVerifyClientCert),
            "RequestClientCert" | "RequireAnyClientCert" => Err(format!(
                "{name} (accepting client certificates without verifying them) is not supported; \
                 use VerifyClientCertIfGiven or RequireAndVerifyClientCert"
            )),
            _ => Err(format!("Invalid ClientAuth: {name}")),
        }
    }
}

/// A cipher suite `cipher_suites` may name (Go's names). Like Go, the list orders and restricts
/// the TLS 1.2 suites only; TLS 1.3 suites are always on, so naming one changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, missing_docs)]
pub enum TlsCipherSuite {
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS_AES_128_GCM_SHA256,
    TLS_AES_256_GCM_SHA384,
    TLS_CHACHA20_POLY1305_SHA256,
}

/// Go's cipher suites that rustls does not implement (CBC, RC4, 3DES, static RSA key exchange).
const GO_ONLY_CIPHER_SUITES: &[&str] = &[
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
];

impl TryFrom<String> for TlsCipherSuite {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        use TlsCipherSuite::*;
        Ok(match name.as_str() {
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            // Go accepts both spellings of the ChaCha20 suites.
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" => {
                TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
            | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" => TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            "TLS_AES_128_GCM_SHA256" => TLS_AES_128_GCM_SHA256,
            "TLS_AES_256_GCM_SHA384" => TLS_AES_256_GCM_SHA384,
            "TLS_CHACHA20_POLY1305_SHA256" => TLS_CHACHA20_POLY1305_SHA256,
            other if GO_ONLY_CIPHER_SUITES.contains(&other) => {
                return Err(format!(
                    "cipher suite {other} is not supported by rustls (only ECDHE with AES-GCM or \
                     ChaCha20-Poly1305)"
                ));
            }
            other => return Err(format!("unknown cipher suite: {other}")),
        })
    }
}

impl TlsCipherSuite {
    /// The rustls suite for a TLS 1.2 name; `None` for the TLS 1.3 names, which Go ignores.
    fn tls12_rustls(self) -> Option<SupportedCipherSuite> {
        use ring::cipher_suite as cs;
        Some(match self {
            Self::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
                cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            }
            Self::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
                cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            }
            Self::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
                cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            Self::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
                cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            }
            Self::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
            }
            Self::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
                cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
            Self::TLS_AES_128_GCM_SHA256
            | Self::TLS_AES_256_GCM_SHA384
            | Self::TLS_CHACHA20_POLY1305_SHA256 => return None,
        })
    }
}

/// An elliptic curve `curve_preferences` may name (Go's `tls.CurveID` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveName {
    /// `X25519`.
    X25519,
    /// `CurveP256`.
    P256,
    /// `CurveP384`.
    P384,
}

impl TryFrom<String> for CurveName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        match name.as_str() {
            "X25519" => Ok(Self::X25519),
            "CurveP256" => Ok(Self::P256),
            "CurveP384" => Ok(Self::P384),
            "CurveP521" | "X25519MLKEM768" => Err(format!(
                "curve {name} is not supported by rustls' ring provider \
                 (X25519, CurveP256 and CurveP384 are)"
            )),
            _ => Err(format!("unknown curve: {name}")),
        }
    }
}

impl CurveName {
    fn rustls(self) -> &'static dyn SupportedKxGroup {
        match self {
            Self::X25519 => ring::kx_group::X25519,
            Self::P256 => ring::kx_group::SECP256R1,
            Self::P384 => ring::kx_group::SECP384R1,
        }
    }
}

/// `tls_server_config` as written, before its fields are checked together. Values are parsed
/// where they stand, so errors carry the line and name the field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTlsServerConfig {
    #[serde(default)]
    cert_file: Option<String>,
    #[serde(default)]
    key_file: Option<String>,
    #[serde(default, deserialize_with = "client_auth_type")]
    client_auth_type: Option<ClientAuth>,
    #[serde(default)]
    client_ca_file: Option<String>,
    #[serde(default, deserialize_with = "min_version")]
    min_version: Option<TlsVersion>,
    #[serde(default, deserialize_with = "max_version")]
    max_version: Option<TlsVersion>,
    #[serde(default, deserialize_with = "cipher_suites")]
    cipher_suites: Option<Vec<TlsCipherSuite>>,
    #[serde(default)]
    prefer_server_cipher_suites: Option<bool>,
    #[serde(default, deserialize_with = "curve_preferences")]
    curve_preferences: Option<Vec<CurveName>>,
}

/// A string field parsed by `T::try_from`, its errors prefixed with the field's name.
fn named<'de, D, T>(deserializer: D, field: &str) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<String, Error = String>,
{
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    T::try_from(text)
        .map(Some)
        .map_err(|e| de::Error::custom(format!("{field}: {e}")))
}

/// A list of strings parsed by `T::try_from`, errors naming the field and the entry.
fn named_list<'de, D, T>(deserializer: D, field: &str) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<String, Error = String>,
{
    let Some(texts) = Option::<Vec<String>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let parse = |(i, text)| T::try_from(text).map_err(|e| format!("{field}[{i}]: {e}"));
    let values: Result<Vec<T>, String> = texts.into_iter().enumerate().map(parse).collect();
    values.map(Some).map_err(de::Error::custom)
}

fn client_auth_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ClientAuth>, D::Error> {
    named(d, "client_auth_type")
}

fn min_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TlsVersion>, D::Error> {
    named(d, "min_version")
}

fn max_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TlsVersion>, D::Error> {
    named(d, "max_version")
}

fn cipher_suites<'de, D>(d: D) -> Result<Option<Vec<TlsCipherSuite>>, D::Error>
where
    D: Deserializer<'de>,
{
    named_list(d, "cipher_suites")
}

fn curve_preferences<'de, D>(d: D) -> Result<Option<Vec<CurveName>>, D::Error>
where
    D: Deserializer<'de>,
{
    named_list(d, "curve_preferences")
}

/// A checked `tls_server_config`, paths resolved against the configuration file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsServerConfig {
    /// The server's PEM certificate chain.
    pub cert_file: PathBuf,
    /// The server's PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// The client-certificate policy; default [`ClientAuth::NoClientCert`].
    pub client_auth: ClientAuth,
    /// PEM CA certificates client certificates must chain to; required by the verifying policies.
    pub client_ca_file: Option<PathBuf>,
    /// The oldest TLS version accepted; default TLS 1.2.
    pub min_version: TlsVersion,
    /// The newest TLS version accepted; default TLS 1.3.
    pub max_version: TlsVersion,
    /// TLS 1.2 cipher suites in preference order; empty means rustls' defaults.
    pub cipher_suites: Vec<TlsCipherSuite>,
    /// Whether the server's suite order wins over the client's; default true.
    pub prefer_server_cipher_suites: bool,
    /// Key-exchange groups in preference order; empty means rustls' defaults.
    pub curve_preferences: Vec<CurveName>,
}

/// A setting that conflicts with others, for [`WebConfigError::Invalid`].
pub(super) type Conflict = (&'static str, String);

impl RawTlsServerConfig {
    /// Checks the fields together: `None` when neither certificate nor key is given (plain HTTP),
    /// which is refused if other TLS settings are, since they could not take effect.
    pub(super) fn build(self, dir: &Path) -> Result<Option<TlsServerConfig>, Conflict> {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        let (cert, key) = (non_empty(self.cert_file), non_empty(self.key_file));
        let client_ca_file = non_empty(self.client_ca_file).map(|f| dir.join(f));
        let (cert_file, key_file) = match (cert, key) {
            (Some(cert), Some(key)) => (dir.join(cert), dir.join(key)),
            (None, None) => {
                let others = self.client_auth_type.is_some()
                    || client_ca_file.is_some()
                    || self.min_version.is_some()
                    || self.max_version.is_some()
                    || self.cipher_suites.is_some()
                    || self.prefer_server_cipher_suites.is_some()
                    || self.curve_preferences.is_some();
                if others {
                    return Err((
                        "tls_server_config",
                        "TLS settings are given without cert_file and key_file".to_owned(),
                    ));
                }
                return Ok(None);
            }
            (None, Some(_)) => {
                return Err(("tls_server_config.cert_file", "missing cert_file".into()));
            }
            (Some(_), None) => {
                return Err(("tls_server_config.key_file", "missing key_file".into()));
            }
        };
        let client_auth = self.client_auth_type.unwrap_or_default();
        check_client_auth(client_auth, client_ca_file.as_deref())?;
        let min_version = self.min_version.unwrap_or(TlsVersion::Tls12);
        let max_version = self.max_version.unwrap_or(TlsVersion::Tls13);
        if min_version > max_version {
            return Err((
                "tls_server_config.min_version",
                format!("min_version {min_version:?} is above max_version {max_version:?}"),
            ));
        }
        Ok(Some(TlsServerConfig {
            cert_file,
            key_file,
            client_auth,
            client_ca_file,
            min_version,
            max_version,
            cipher_suites: self.cipher_suites.unwrap_or_default(),
            prefer_server_cipher_suites: self.prefer_server_cipher_suites.unwrap_or(true),
            curve_preferences: self.curve_preferences.unwrap_or_default(),
        }))
    }
}

/// A CA file needs a policy that verifies, and a verifying policy needs a CA file.
fn check_client_auth(policy: ClientAuth, ca_file: Option<&Path>) -> Result<(), Conflict> {
    match (policy, ca_file) {
        (ClientAuth::NoClientCert, Some(_)) => Err((
            "tls_server_config.client_ca_file",
            "Client CA's have been configured without a Client Auth Policy".to_owned(),
        )),
        (ClientAuth::NoClientCert, None) | (_, Some(_)) => Ok(()),
        (policy, None) => Err((
            "tls_server_config.client_ca_file",
            format!("client_auth_type {policy:?} needs client_ca_file"),
        )),
    }
}

impl TlsServerConfig {
    /// Reads the certificate, key and CA files and builds the rustls configuration; the server
    /// offers HTTP/1.1 through ALPN.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, WebConfigError> {
        let provider = Arc::new(self.crypto_provider());
        let versions: Vec<&'static SupportedProtocolVersion> =
            [TlsVersion::Tls12, TlsVersion::Tls13]
                .into_iter()
                .filter(|v| (self.min_version..=self.max_version).contains(v))
                .map(TlsVersion::rustls)
                .collect();
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)
            .map_err(|e| self.invalid("tls_server_config.cipher_suites", e))?;
        let builder = match (self.client_auth, &self.client_ca_file) {
            (ClientAuth::NoClientCert, _) => builder.with_no_client_auth(),
            (policy, None) => {
                return Err(tls_error(
                    &self.cert_file,
                    format!("client_auth_type {policy:?} needs client_ca_file"),
                ));
            }
            (policy, Some(ca_file)) => {
                let roots = Arc::new(read_roots(ca_file)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
                let verifier = match policy {
                    ClientAuth::VerifyClientCertIfGiven => verifier.allow_unauthenticated(),
                    _ => verifier,
                };
                let verifier = verifier.build().map_err(|e| tls_error(ca_file, e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let certs = read_certs(&self.cert_file)?;
        let key = read_key(&self.key_file)?;
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| tls_error(&self.key_file, e))?;
        config.ignore_client_order = self.prefer_server_cipher_suites;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// rustls' ring provider with the configured TLS 1.2 suites and curves, when given.
    fn crypto_provider(&self) -> CryptoProvider {
        let mut provider = ring::default_provider();
        if !self.cipher_suites.is_empty() {
            let tls13 = provider
                .cipher_suites
                .iter()
                .copied()
                .filter(|s| s.tls13().is_some());
            let tls12 = self.cipher_suites.iter().filter_map(|s| s.tls12_rustls());
            provider.cipher_suites = tls12.chain(tls13).collect();
        }
        if !self.curve_preferences.is_empty() {
            provider.kx_groups = self.curve_preferences.iter().map(|c| c.rustls()).collect();
        }
        provider
    }

    fn invalid(&self, field: &'static str, e: rustls::Error) -> WebConfigError {
        WebConfigError::Tls {
            path: self.cert_file.clone(),
            message: format!("{field}: {e}"),
        }
    }
}

fn tls_error(path: &Path, e: impl std::fmt::Display) -> WebConfigError {
    WebConfigError::Tls {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, WebConfigError> {
    std::fs::read(path).map_err(|source| WebConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Every `CERTIFICATE` block of a PEM file; none is an error.
fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, WebConfigError> {
    let pem = read_file(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(path, format!("reading PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(path, "no PEM CERTIFICATE block found"));
    }
    Ok(certs)
}

/// The first private key of a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, WebConfigError> {
    let pem = read_file(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| tls_error(path, format!("reading PEM private key: {e}")))?
        .ok_or_else(|| tls_error(path, "no PEM private key block found"))
}

fn read_roots(path: &Path) -> Result<RootCertStore, WebConfigError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(path)? {
        roots.add(cert).map_err(|e| tls_error(path, e))?;
    }
    Ok(roots)
}
