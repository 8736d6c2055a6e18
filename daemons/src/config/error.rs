//! Why a configuration file was refused.

use std::fmt;
use std::path::PathBuf;

/// Fields Prometheus reads in some section of `prometheus.yml` that tsdbd does not implement.
/// Refusing them by name (rather than as unknown) tells the user the file is valid Prometheus
/// configuration that this daemon cannot honour, instead of silently ignoring a setting.
const PROMETHEUS_ONLY_FIELDS: &[&str] = &[
    // Top level.
    "remote_read",
    "storage",
    "tracing",
    "runtime",
    "otlp",
    "scrape_config_files",
    // global and scrape_configs.
    "query_log_file",
    "scrape_failure_log_file",
    "rule_query_offset",
    "body_size_limit",
    "target_limit",
    "keep_dropped_targets",
    "native_histogram_bucket_limit",
    "native_histogram_min_bucket_factor",
    "scrape_classic_histograms",
    "always_scrape_classic_histograms",
    "convert_classic_histograms_to_nhcb",
    "scrape_native_histograms",
    "fallback_scrape_protocol",
    "track_timestamps_staleness",
    "enable_compression",
    "extra_scrape_metrics",
    "metric_name_validation_scheme",
    "metric_name_escaping_scheme",
    // HTTP client settings.
    "oauth2",
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
    "follow_redirects",
    "enable_http2",
    "http_headers",
    "sigv4",
    "azuread",
    "google_iam",
    // TLS settings beyond files, server name and verification.
    "ca",
    "cert",
    "key",
    "min_version",
    "max_version",
    // remote_write.
    "metadata_config",
    "send_exemplars",
    "send_native_histograms",
    "round_robin_dns",
    "protobuf_message",
    "retry_on_http_429",
    "sample_age_limit",
];

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Not YAML, a value of the wrong type, a missing required field, or a field that
    /// `prometheus.yml` does not have.
    #[error("{at}: {message}")]
    Yaml {
        /// Where: file, line and column.
        at: Position,
        /// What is wrong, with the path to the value (`scrape_configs[0].static_configs[0]: ...`).
        message: String,
    },
    /// A field Prometheus reads but tsdbd does not implement.
    #[error(
        "{at}: {}`{field}` is a Prometheus setting that tsdbd does not support",
        Prefix(section)
    )]
    Unsupported {
        /// Where: file, line and column.
        at: Position,
        /// The path to the section holding the field (`scrape_configs[0]`); empty at the top level.
        section: String,
        /// The field.
        field: String,
    },
    /// Well-formed, but refused by Prometheus's validation rules (or by tsdbd's, for values it
    /// cannot use).
    #[error("{origin}: {message}")]
    Invalid {
        /// The file.
        origin: String,
        /// The scrape job concerned, if any.
        job: Option<String>,
        /// What is wrong; names the job when there is one.
        message: String,
    },
}

/// A place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file (or another name for the text, e.g. `<default>`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl Position {
    /// Where a YAML error in `origin` happened, and its message without the library's
    /// " at line L column C" suffix (the position carries that).
    pub(crate) fn of_yaml_error(origin: &str, err: &serde_yaml_ng::Error) -> (Position, String) {
        let location = err.location();
        let at = Position {
            origin: origin.to_owned(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        };
        let mut message = err.to_string();
        if let Some(l) = &location {
            let suffix = format!(" at line {} column {}", l.line(), l.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_owned();
            }
        }
        (at, message)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

impl ConfigError {
    /// Classifies a YAML error: a known Prometheus field becomes [`ConfigError::Unsupported`].
    pub(crate) fn from_yaml(origin: &str, err: &serde_yaml_ng::Error) -> Self {
        let (at, message) = Position::of_yaml_error(origin, err);
        match unknown_field(&message) {
            Some(field)
                if PROMETHEUS_ONLY_FIELDS.contains(&field) || field.ends_with("_sd_configs") =>
            {
                let section = message
                    .split_once("unknown field `")
                    .map_or("", |(head, _)| head.trim_end_matches([':', ' ']))
                    .to_owned();
                ConfigError::Unsupported {
                    at,
                    section,
                    field: field.to_owned(),
                }
            }
            _ => ConfigError::Yaml { at, message },
        }
    }

    /// A validation error about the file as a whole.
    pub(crate) fn invalid(origin: &str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            origin: origin.to_owned(),
            job: None,
            message: message.into(),
        }
    }

    /// A validation error in scrape job `job`, prefixed with the job's name as Prometheus names
    /// jobs in its own messages.
    pub(crate) fn invalid_job(origin: &str, job: &str, message: impl fmt::Display) -> Self {
        Self::invalid_job_verbatim(
            origin,
            job,
            format!("scrape config with job name {job:?}: {message}"),
        )
    }

    /// A validation error in scrape job `job` whose message already names the job.
    pub(crate) fn invalid_job_verbatim(origin: &str, job: &str, message: String) -> Self {
        ConfigError::Invalid {
            origin: origin.to_owned(),
            job: Some(job.to_owned()),
            message,
        }
    }
}

/// Displays a section path followed by `: `, or nothing for the top level.
struct Prefix<'a>(&'a str);

impl fmt::Display for Prefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, "{}: ", self.0)
    }
}

/// The field named by serde's "unknown field `name`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("unknown field `")?;
    let (field, _) = rest.split_once('`')?;
    Some(field)
}
