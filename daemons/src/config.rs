//! `prometheus.yml`, read as Prometheus 2.42 and 3.x read it.
//!
//! An existing Prometheus configuration loads unchanged when it uses what tsdbd implements:
//! `global`, `scrape_configs` (static and file service discovery, relabeling, authentication,
//! TLS, limits), `rule_files`, `alerting` and `remote_write`. Defaults and validation follow
//! Prometheus (`config/config.go` and `prometheus/common`'s HTTP client config), with its error
//! texts. What the file says is never silently ignored: a field Prometheus does not know is an
//! error naming the file, line and field; a field Prometheus knows but tsdbd does not implement
//! (`remote_read`, `kubernetes_sd_configs`, `oauth2`, ...) is a [`ConfigError::Unsupported`]
//! naming it the same way. Validation errors name the scrape job they concern.
//!
//! Relative paths (rule files, file-SD files, password and certificate files) are resolved
//! against the configuration file's directory, as Prometheus does.
//!
//! ```
//! use std::path::Path;
//! use std::time::Duration;
//! use daemons::config::Config;
//!
//! let text = "
//! global:
//!   scrape_interval: 15s
//! scrape_configs:
//!   - job_name: node
//!     static_configs:
//!       - targets: ['localhost:9100']
//! ";
//! let config = Config::parse(text, Path::new("prometheus.yml")).unwrap();
//! let node = &config.scrape_configs[0];
//! assert_eq!(node.scrape_interval, Duration::from_secs(15));
//! assert_eq!(node.scrape_timeout, Duration::from_secs(10));
//! assert_eq!(node.metrics_path, "/metrics");
//!
//! let err = Config::parse("global:\n  scrape_intervall: 1m\n", Path::new("p.yml")).unwrap_err();
//! assert!(err.to_string().starts_with("p.yml:2:3: global: unknown field `scrape_intervall`"));
//! ```

mod alerting;
mod de;
pub mod duration;
mod error;
mod global;
mod http_client;
mod relabel;
mod remote_write;
mod rule_files;
mod scrape;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use alerting::{AlertingConfig, AlertmanagerConfig, DEFAULT_ALERTMANAGER_TIMEOUT};
pub use error::{ConfigError, Position};
pub use global::{
    DEFAULT_EVALUATION_INTERVAL, DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, GlobalConfig,
};
pub use http_client::{
    Authorization, BasicAuth, HttpClientConfig, Secret, SecretSource, TlsConfig,
};
pub use remote_write::{DEFAULT_REMOTE_TIMEOUT, QueueConfig, RemoteWriteConfig};
pub use scrape::{
    DEFAULT_FILE_SD_REFRESH, FileSdConfig, ScrapeConfig, ScrapeProtocol, StaticConfig,
};

use alerting::RawAlerting;
use global::RawGlobal;
use remote_write::RawRemoteWrite;
use scrape::{JobError, RawScrapeConfig};

/// How often the built-in configuration scrapes tsdbd itself.
pub const SELF_SCRAPE_INTERVAL: Duration = Duration::from_secs(15);

/// A loaded, validated `prometheus.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `global` section, defaults applied.
    pub global: GlobalConfig,
    /// Rule file patterns (a `*` allowed in the last path element), resolved against the
    /// configuration's directory; [`Config::rule_file_paths`] expands them.
    pub rule_files: Vec<PathBuf>,
    /// Scrape jobs, in file order, names unique.
    pub scrape_configs: Vec<ScrapeConfig>,
    /// The `alerting` section.
    pub alerting: AlertingConfig,
    /// Remote-write receivers.
    pub remote_write: Vec<RemoteWriteConfig>,
}

/// The whole file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    global: Option<RawGlobal>,
    #[serde(default)]
    rule_files: Option<Vec<String>>,
    #[serde(default)]
    scrape_configs: Option<Vec<Option<RawScrapeConfig>>>,
    #[serde(default)]
    alerting: Option<RawAlerting>,
    #[serde(default)]
    remote_write: Option<Vec<Option<RawRemoteWrite>>>,
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates `text`; `origin` names it in errors and its directory resolves
    /// relative paths.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let name = origin.display().to_string();
        let raw: Option<RawConfig> =
            serde_yaml_ng::from_str(text).map_err(|e| ConfigError::from_yaml(&name, &e))?;
        let raw = raw.unwrap_or_default();
        let dir = origin.parent().unwrap_or(Path::new(""));
        let global = raw
            .global
            .unwrap_or_default()
            .build()
            .map_err(|e| ConfigError::invalid(&name, e))?;
        let mut rule_files = Vec::new();
        for pattern in raw.rule_files.unwrap_or_default() {
            if !is_single_star_pattern(&pattern) {
                return Err(ConfigError::invalid(
                    &name,
                    format!("invalid rule file path {pattern:?}"),
                ));
            }
            rule_files.push(dir.join(pattern));
        }
        let scrape_configs = scrape_configs(raw.scrape_configs, &global, dir, &name)?;
        let alerting = raw
            .alerting
            .unwrap_or_default()
            .build(dir)
            .map_err(|e| ConfigError::invalid(&name, format!("alerting: {e}")))?;
        let remote_write = remote_writes(raw.remote_write, dir, &name)?;
        Ok(Config {
            global,
            rule_files,
            scrape_configs,
            alerting,
            remote_write,
        })
    }

    /// The text of `tsdbd`'s built-in configuration, used without `--config.file`: job
    /// `tsdbd` scrapes the server at `listen_address` (a wildcard host becomes the loopback
    /// address) every 15 s, at `metrics_path` (`/metrics` under the route prefix).
    pub fn default_self_scrape_yaml(listen_address: &str, metrics_path: &str) -> String {
        // JSON strings are YAML double-quoted scalars, so any address or path stays one value.
        let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        format!(
            "# tsdbd's built-in configuration (no --config.file given).\n\
             global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n\n\
             scrape_configs:\n  - job_name: tsdbd\n    metrics_path: {}\n    \
             static_configs:\n      - targets: [{}]\n",
            quote(metrics_path),
            quote(&self_scrape_target(listen_address)),
        )
    }

    /// The built-in configuration: [`Config::default_self_scrape_yaml`], parsed. Fails only
    /// when the address or path is not valid in a configuration.
    pub fn default_self_scrape(
        listen_address: &str,
        metrics_path: &str,
    ) -> Result<Config, ConfigError> {
        Config::parse(
            &Config::default_self_scrape_yaml(listen_address, metrics_path),
            Path::new("<built-in configuration>"),
        )
    }

    /// The rule files the `rule_files` patterns match now, sorted, each once.
    pub fn rule_file_paths(&self) -> std::io::Result<Vec<PathBuf>> {
        rule_files::expand(&self.rule_files)
    }
}

/// The address tsdbd scrapes itself at when listening on `listen_address`.
fn self_scrape_target(listen_address: &str) -> String {
    match listen_address.rsplit_once(':') {
        Some(("" | "0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => listen_address.to_owned(),
    }
}

/// Prometheus's `^[^*]*(\*[^/]*)?$` for rule files: wildcards only in the last path element.
fn is_single_star_pattern(path: &str) -> bool {
    match path.split_once('*') {
        None => true,
        Some((_, rest)) => !rest.contains('/'),
    }
}

fn scrape_configs(
    raw: Option<Vec<Option<RawScrapeConfig>>>,
    global: &GlobalConfig,
    dir: &Path,
    origin: &str,
) -> Result<Vec<ScrapeConfig>, ConfigError> {
    let mut jobs: Vec<ScrapeConfig> = Vec::new();
    let mut names = HashSet::new();
    for raw in raw.unwrap_or_default() {
        let Some(raw) = raw else {
            return Err(ConfigError::invalid(
                origin,
                "empty or null scrape config section",
            ));
        };
        let job_name = raw.job_name().to_owned();
        let job = raw.build(global, dir).map_err(|e| match e {
            JobError::Plain(m) if job_name.is_empty() => ConfigError::invalid(origin, m),
            JobError::Plain(m) => ConfigError::invalid_job(origin, &job_name, m),
            JobError::Verbatim(m) => ConfigError::invalid_job_verbatim(origin, &job_name, m),
        })?;
        if !names.insert(job.job_name.clone()) {
            let message = format!("found multiple scrape configs with job name {job_name:?}");
            return Err(ConfigError::invalid_job_verbatim(
                origin, &job_name, message,
            ));
        }
        jobs.push(job);
    }
    Ok(jobs)
}

fn remote_writes(
    raw: Option<Vec<Option<RawRemoteWrite>>>,
    dir: &Path,
    origin: &str,
) -> Result<Vec<RemoteWriteConfig>, ConfigError> {
    let mut out: Vec<RemoteWriteConfig> = Vec::new();
    for (i, raw) in raw.unwrap_or_default().into_iter().enumerate() {
        let Some(raw) = raw else {
            return Err(ConfigError::invalid(
                origin,
                "empty or null remote write config section",
            ));
        };
        let label = match raw.name() {
            Some(name) => format!("remote_write {name:?}"),
            None => format!("remote_write[{i}]"),
        };
        let rw = raw
            .build(dir)
            .map_err(|e| ConfigError::invalid(origin, format!("{label}: {e}")))?;
        if let Some(name) = &rw.name
            && out.iter().any(|o| o.name.as_ref() == Some(name))
        {
            let message = format!("found multiple remote write configs with job name {name:?}");
            return Err(ConfigError::invalid(origin, message));
        }
        out.push(rw);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;
