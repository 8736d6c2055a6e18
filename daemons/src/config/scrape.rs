//! `scrape_configs`: jobs, their targets (`static_configs`, `file_sd_configs`) and how they are
//! scraped, with Prometheus's defaults and validation.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use model::Labels;
use model::relabel::RelabelConfig;
use serde::Deserialize;

use super::de::{Scalar, unique_map};
use super::duration;
use super::global::GlobalConfig;
use super::http_client::{
    self, HttpClientConfig, RawAuthorization, RawBasicAuth, RawHttpClient, RawTlsConfig,
};
use super::relabel::{RawRelabel, compile_list};

/// How often file-SD files are re-read when no `refresh_interval` is given.
pub const DEFAULT_FILE_SD_REFRESH: Duration = Duration::from_secs(300);

/// An exposition format offered in the scrape request's `Accept` header (`scrape_protocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    /// `OpenMetricsText1.0.0`.
    OpenMetricsText1_0_0,
    /// `OpenMetricsText0.0.1`.
    OpenMetricsText0_0_1,
    /// `PrometheusText1.0.0`.
    PrometheusText1_0_0,
    /// `PrometheusText0.0.4`.
    PrometheusText0_0_4,
}

impl ScrapeProtocol {
    /// Every protocol tsdbd can parse, in Prometheus's default order of preference.
    pub const DEFAULT: [ScrapeProtocol; 3] = [
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
        }
    }

    /// The media type with its version parameter, as sent in `Accept`.
    pub fn media_type(self) -> &'static str {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
        }
    }

    fn parse(name: &str) -> Result<Self, String> {
        const ALL: [ScrapeProtocol; 4] = [
            ScrapeProtocol::OpenMetricsText1_0_0,
            ScrapeProtocol::OpenMetricsText0_0_1,
            ScrapeProtocol::PrometheusText1_0_0,
            ScrapeProtocol::PrometheusText0_0_4,
        ];
        if name == "PrometheusProto" {
            return Err(
                "scrape protocol PrometheusProto (protobuf exposition) is not supported by tsdbd"
                    .into(),
            );
        }
        ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            format!(
                "unknown scrape protocol {name}, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]"
            )
        })
    }
}

impl fmt::Display for ScrapeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses and checks a `scrape_protocols` list as Prometheus's `validateAcceptScrapeProtocols`.
pub(crate) fn parse_protocols(names: &[String]) -> Result<Vec<ScrapeProtocol>, String> {
    if names.is_empty() {
        return Err("scrape_protocols cannot be empty".into());
    }
    let mut out: Vec<ScrapeProtocol> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if names.iter().take(i).any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "duplicated protocol in scrape_protocols, got [{}]",
                names.join(" ")
            ));
        }
        out.push(ScrapeProtocol::parse(name).map_err(|e| format!("scrape_protocols: {e}"))?);
    }
    Ok(out)
}

/// One `static_configs` entry: addresses and the labels every one of them gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticConfig {
    /// `host:port` addresses (each becomes a target's `__address__`).
    pub targets: Vec<String>,
    /// Labels added to every target of the group.
    pub labels: Labels,
}

/// One `file_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSdConfig {
    /// File patterns (a `*` allowed in the last path element), resolved against the
    /// configuration's directory; each file holds target groups in JSON or YAML.
    pub files: Vec<PathBuf>,
    /// How often the files are re-read besides watching them; default 5 minutes.
    pub refresh_interval: Duration,
}

/// One scrape job, with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeConfig {
    /// The job name; unique; the default `job` label.
    pub job_name: String,
    /// Time between scrapes of a target; the global one by default.
    pub scrape_interval: Duration,
    /// Per-scrape timeout, at most `scrape_interval`; the global one (capped) by default.
    pub scrape_timeout: Duration,
    /// Formats offered in `Accept`, in order of preference.
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// Path scraped; default `/metrics` (a target's `__metrics_path__`).
    pub metrics_path: String,
    /// `http` (default) or `https` (a target's `__scheme__`).
    pub scheme: String,
    /// URL query parameters (each becomes `__param_<name>`; a target's label overrides the first value).
    pub params: BTreeMap<String, Vec<String>>,
    /// Keep the scraped labels when they clash with target labels; default false.
    pub honor_labels: bool,
    /// Keep timestamps exposed by the target; default true.
    pub honor_timestamps: bool,
    /// Authentication and TLS.
    pub http_client: HttpClientConfig,
    /// Fixed target groups.
    pub static_configs: Vec<StaticConfig>,
    /// Target groups read from files.
    pub file_sd_configs: Vec<FileSdConfig>,
    /// Rules applied to each target's labels before scraping.
    pub relabel_configs: Vec<RelabelConfig>,
    /// Rules applied to each scraped series before storing.
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// Fail a scrape with more samples than this after metric relabeling; `None`: no limit.
    pub sample_limit: Option<u64>,
    /// Fail a scrape with a series of more labels than this; `None`: no limit.
    pub label_limit: Option<u64>,
    /// Fail a scrape with a label name longer than this (bytes); `None`: no limit.
    pub label_name_length_limit: Option<u64>,
    /// Fail a scrape with a label value longer than this (bytes); `None`: no limit.
    pub label_value_length_limit: Option<u64>,
}

/// A `scrape_configs` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScrapeConfig {
    #[serde(default)]
    job_name: Option<Scalar>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    scrape_interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    scrape_timeout: Option<Duration>,
    #[serde(default)]
    scrape_protocols: Option<Vec<String>>,
    #[serde(default)]
    metrics_path: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    params: Option<BTreeMap<String, Vec<Scalar>>>,
    #[serde(default)]
    honor_labels: Option<bool>,
    #[serde(default)]
    honor_timestamps: Option<bool>,
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
    #[serde(default)]
    static_configs: Option<Vec<Option<RawStaticConfig>>>,
    #[serde(default)]
    file_sd_configs: Option<Vec<Option<RawFileSdConfig>>>,
    #[serde(default)]
    relabel_configs: Option<Vec<Option<RawRelabel>>>,
    #[serde(default)]
    metric_relabel_configs: Option<Vec<Option<RawRelabel>>>,
    #[serde(default)]
    sample_limit: Option<u64>,
    #[serde(default)]
    label_limit: Option<u64>,
    #[serde(default)]
    label_name_length_limit: Option<u64>,
    #[serde(default)]
    label_value_length_limit: Option<u64>,
}

/// A `static_configs` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStaticConfig {
    #[serde(default)]
    targets: Option<Vec<Scalar>>,
    #[serde(default, deserialize_with = "unique_map")]
    labels: Option<BTreeMap<String, String>>,
}

/// A `file_sd_configs` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileSdConfig {
    #[serde(default)]
    files: Option<Vec<String>>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    refresh_interval: Option<Duration>,
}

impl RawScrapeConfig {
    /// The job name as written (empty when absent), to name the job in errors.
    pub(crate) fn job_name(&self) -> &str {
        self.job_name.as_ref().map_or("", |j| j.0.as_str())
    }

    /// Applies defaults from `global` and validates; errors do not yet name the job (the
    /// caller adds it) except where Prometheus's own text does.
    pub(crate) fn build(self, global: &GlobalConfig, dir: &Path) -> Result<ScrapeConfig, JobError> {
        let job_name = self.job_name.map(|j| j.0).unwrap_or_default();
        if job_name.is_empty() {
            return Err(JobError::Plain("job_name is empty".into()));
        }
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
        let (relabel_configs, metric_relabel_configs) =
            relabel_lists(self.relabel_configs, self.metric_relabel_configs)?;
        let static_configs = static_configs(self.static_configs, relabel_configs.is_empty())?;
        let file_sd_configs = file_sd_configs(self.file_sd_configs, dir)?;
        let (scrape_interval, scrape_timeout) =
            intervals(self.scrape_interval, self.scrape_timeout, global, &job_name)?;
        let scrape_protocols = job_protocols(self.scrape_protocols, global, &job_name)?;
        let scheme = scheme(self.scheme)?;
        let limit = |own: Option<u64>, global: Option<u64>| own.filter(|&l| l > 0).or(global);
        Ok(ScrapeConfig {
            job_name,
            scrape_interval,
            scrape_timeout,
            scrape_protocols,
            metrics_path: self.metrics_path.unwrap_or_else(|| "/metrics".into()),
            scheme,
            params: self
                .params
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(|s| s.0).collect()))
                .collect(),
            honor_labels: self.honor_labels.unwrap_or(false),
            honor_timestamps: self.honor_timestamps.unwrap_or(true),
            http_client,
            static_configs,
            file_sd_configs,
            relabel_configs,
            metric_relabel_configs,
            sample_limit: limit(self.sample_limit, global.sample_limit),
            label_limit: limit(self.label_limit, global.label_limit),
            label_name_length_limit: limit(
                self.label_name_length_limit,
                global.label_name_length_limit,
            ),
            label_value_length_limit: limit(
                self.label_value_length_limit,
                global.label_value_length_limit,
            ),
        })
    }
}

/// A scrape job's error: either a detail the caller prefixes with the job's name, or
/// Prometheus's own message, which already names it.
#[derive(Debug)]
pub(crate) enum JobError {
    /// Needs the job's name in front.
    Plain(String),
    /// Complete as it is.
    Verbatim(String),
}

impl From<String> for JobError {
    fn from(message: String) -> Self {
        JobError::Plain(message)
    }
}

/// A job's `relabel_configs` and `metric_relabel_configs`, compiled.
fn relabel_lists(
    target: Option<Vec<Option<RawRelabel>>>,
    metric: Option<Vec<Option<RawRelabel>>>,
) -> Result<(Vec<RelabelConfig>, Vec<RelabelConfig>), String> {
    let target = compile_list(
        target,
        "relabel_configs",
        "target relabeling rule in scrape config",
    )?;
    let metric = compile_list(
        metric,
        "metric_relabel_configs",
        "metric relabeling rule in scrape config",
    )?;
    Ok((target, metric))
}

/// The job's `scrape_protocols`, or the global ones.
fn job_protocols(
    names: Option<Vec<String>>,
    global: &GlobalConfig,
    job: &str,
) -> Result<Vec<ScrapeProtocol>, JobError> {
    match names {
        Some(names) => parse_protocols(&names).map_err(|e| {
            JobError::Verbatim(format!("{e} for scrape config with job name {job:?}"))
        }),
        None => Ok(global.scrape_protocols.clone()),
    }
}

/// A `scheme` field: `http` by default, `https` the only alternative.
pub(crate) fn scheme(raw: Option<String>) -> Result<String, String> {
    let scheme = raw.unwrap_or_else(|| "http".into());
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "scheme {scheme:?} is not supported: use http or https"
        ));
    }
    Ok(scheme)
}

/// Prometheus's interval rules: the job's interval defaults to the global one; an explicit
/// timeout may not exceed it; a default timeout is the global one capped at the interval.
fn intervals(
    interval: Option<Duration>,
    timeout: Option<Duration>,
    global: &GlobalConfig,
    job: &str,
) -> Result<(Duration, Duration), JobError> {
    let interval = interval
        .filter(|d| !d.is_zero())
        .unwrap_or(global.scrape_interval);
    let timeout = timeout.filter(|d| !d.is_zero());
    if timeout.is_some_and(|t| t > interval) {
        return Err(JobError::Verbatim(format!(
            "scrape timeout greater than scrape interval for scrape config with job name {job:?}"
        )));
    }
    Ok((
        interval,
        timeout.unwrap_or(global.scrape_timeout.min(interval)),
    ))
}

pub(crate) fn static_configs(
    raw: Option<Vec<Option<RawStaticConfig>>>,
    check_addresses: bool,
) -> Result<Vec<StaticConfig>, String> {
    let mut out = Vec::new();
    for group in raw.unwrap_or_default().into_iter().flatten() {
        let targets: Vec<String> = group
            .targets
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.0)
            .collect();
        if check_addresses && let Some(url) = targets.iter().find(|t| t.contains('/')) {
            return Err(format!("{url:?} is not a valid hostname"));
        }
        let labels = group_labels(group.labels.unwrap_or_default())?;
        out.push(StaticConfig { targets, labels });
    }
    Ok(out)
}

/// Target-group labels, with Prometheus's message for a bad name.
pub(crate) fn group_labels(labels: BTreeMap<String, String>) -> Result<Labels, String> {
    if let Some(name) = labels.keys().find(|n| !model::is_valid_label_name(n)) {
        return Err(format!("{name:?} is not a valid label name"));
    }
    Labels::from_pairs(labels).map_err(|e| e.to_string())
}

fn file_sd_configs(
    raw: Option<Vec<Option<RawFileSdConfig>>>,
    dir: &Path,
) -> Result<Vec<FileSdConfig>, String> {
    let mut out = Vec::new();
    for sd in raw.unwrap_or_default().into_iter().flatten() {
        let files = sd.files.unwrap_or_default();
        if files.is_empty() {
            return Err("file service discovery config must contain at least one path name".into());
        }
        if let Some(bad) = files.iter().find(|f| !is_file_sd_pattern(f)) {
            return Err(format!("path name {bad:?} is not valid for file discovery"));
        }
        out.push(FileSdConfig {
            files: files.into_iter().map(|f| dir.join(f)).collect(),
            refresh_interval: sd.refresh_interval.unwrap_or(DEFAULT_FILE_SD_REFRESH),
        });
    }
    Ok(out)
}

/// Prometheus's `^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$`.
fn is_file_sd_pattern(path: &str) -> bool {
    let extension_ok = ["json", "yml", "yaml", "JSON", "YML", "YAML"]
        .iter()
        .any(|ext| path.strip_suffix(ext).is_some_and(|p| p.ends_with('.')));
    extension_ok && super::is_single_star_pattern(path)
}
