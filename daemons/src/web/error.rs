//! Why a web configuration file, or the TLS material it names, was refused.

use std::path::PathBuf;

use crate::config::Position;

/// A web configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebConfigError {
    /// A file (the configuration, a certificate, a key or a CA bundle) could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Not YAML, a value of the wrong type or refused where it stands (a bad bcrypt hash, an
    /// unsupported TLS version), or a field the web configuration does not have.
    #[error("{at}: {message}")]
    Yaml {
        /// Where: file, line and column.
        at: Position,
        /// What is wrong, with the path to the value (`tls_server_config: unknown field ...`).
        message: String,
    },
    /// Well-formed, but settings that do not work together.
    #[error("{origin}: {field}: {message}")]
    Invalid {
        /// The configuration file.
        origin: String,
        /// The field concerned, as a path (`tls_server_config.key_file`).
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A certificate, key or CA file that does not hold what it should, or that rustls refused.
    #[error("{path}: {message}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl WebConfigError {
    /// A YAML error located in `origin`, its " at line L column C" suffix moved into the position.
    pub(crate) fn from_yaml(origin: &str, err: &serde_yaml_ng::Error) -> Self {
        let (at, message) = Position::of_yaml_error(origin, err);
        WebConfigError::Yaml { at, message }
    }
}
