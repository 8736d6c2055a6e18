//! Web server plumbing shared by the daemons: Prometheus's web configuration file (basic
//! authentication with bcrypt hashes, TLS, response headers) and serving a router over plain or
//! TLS connections.
//!
//! The file is the one `--web.config.file` names in Prometheus and every exporter built on
//! `prometheus/exporter-toolkit` (its `docs/web-configuration.md`, as of the toolkit Prometheus
//! 2.42 ships): `tls_server_config`, `http_server_config` and `basic_auth_users`. A field the
//! toolkit does not know is an error naming the file, line and field; a setting rustls cannot
//! honour (TLS 1.0 and 1.1, CBC cipher suites, the P-521 curve, accepting unverified client
//! certificates) is an error naming the field rather than being silently dropped.
//!
//! ```
//! use std::path::Path;
//! use daemons::web::WebConfig;
//!
//! let hash = bcrypt::hash("s3cret", 4).unwrap();
//! let text = format!("basic_auth_users:\n  alice: {hash}\n");
//! let config = WebConfig::parse(&text, Path::new("web.yml")).unwrap();
//! assert_eq!(config.basic_auth_users.len(), 1);
//! assert!(config.tls.is_none());
//!
//! let err = WebConfig::parse("tls_server_config:\n  certfile: a\n", Path::new("web.yml"));
//! assert!(err.unwrap_err().to_string().starts_with("web.yml:2:3: tls_server_config: unknown field `certfile`"));
//! ```

mod auth;
mod base64;
mod config;
mod error;
mod headers;
mod server;
mod tls;

pub use auth::{BasicAuth, require_basic_auth};
pub use config::{HttpServerConfig, WebConfig};
pub use error::WebConfigError;
pub use headers::ResponseHeaders;
pub use server::serve;
pub use tls::{ClientAuth, CurveName, TlsCipherSuite, TlsServerConfig, TlsVersion};
