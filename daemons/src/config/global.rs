//! The `global` section: defaults for every job and the labels this server adds when talking
//! to others.

use std::collections::BTreeMap;
use std::time::Duration;

use model::Labels;
use serde::Deserialize;

use super::de::unique_map;
use super::duration;
use super::scrape::{ScrapeProtocol, group_labels, parse_protocols};

/// Prometheus's default scrape interval.
pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(60);
/// Prometheus's default scrape timeout.
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
/// Prometheus's default rule evaluation interval.
pub const DEFAULT_EVALUATION_INTERVAL: Duration = Duration::from_secs(60);

/// The `global` section with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalConfig {
    /// Default time between scrapes; 1 minute.
    pub scrape_interval: Duration,
    /// Default scrape timeout; 10 s, or the interval when that is shorter.
    pub scrape_timeout: Duration,
    /// Default time between rule evaluations; 1 minute.
    pub evaluation_interval: Duration,
    /// Labels added to alerts and remote-written series (`external_labels`).
    pub external_labels: Labels,
    /// Default `scrape_protocols`.
    pub scrape_protocols: Vec<ScrapeProtocol>,
    /// Default per-job `sample_limit`; `None`: no limit.
    pub sample_limit: Option<u64>,
    /// Default per-job `label_limit`; `None`: no limit.
    pub label_limit: Option<u64>,
    /// Default per-job `label_name_length_limit`; `None`: no limit.
    pub label_name_length_limit: Option<u64>,
    /// Default per-job `label_value_length_limit`; `None`: no limit.
    pub label_value_length_limit: Option<u64>,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            scrape_timeout: DEFAULT_SCRAPE_TIMEOUT,
            evaluation_interval: DEFAULT_EVALUATION_INTERVAL,
            external_labels: Labels::empty(),
            scrape_protocols: ScrapeProtocol::DEFAULT.to_vec(),
            sample_limit: None,
            label_limit: None,
            label_name_length_limit: None,
            label_value_length_limit: None,
        }
    }
}

/// The `global` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGlobal {
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    scrape_interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    scrape_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    evaluation_interval: Option<Duration>,
    #[serde(default, deserialize_with = "unique_map")]
    external_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    scrape_protocols: Option<Vec<String>>,
    #[serde(default)]
    sample_limit: Option<u64>,
    #[serde(default)]
    label_limit: Option<u64>,
    #[serde(default)]
    label_name_length_limit: Option<u64>,
    #[serde(default)]
    label_value_length_limit: Option<u64>,
}

impl RawGlobal {
    /// Applies defaults and validates as Prometheus's `GlobalConfig.UnmarshalYAML`.
    pub(crate) fn build(self) -> Result<GlobalConfig, String> {
        let external_labels = group_labels(self.external_labels.unwrap_or_default())?;
        let non_zero = |d: Option<Duration>| d.filter(|d| !d.is_zero());
        let scrape_interval = non_zero(self.scrape_interval).unwrap_or(DEFAULT_SCRAPE_INTERVAL);
        let scrape_timeout = non_zero(self.scrape_timeout);
        if scrape_timeout.is_some_and(|t| t > scrape_interval) {
            return Err("global scrape timeout greater than scrape interval".into());
        }
        let scrape_protocols = match self.scrape_protocols {
            Some(names) => parse_protocols(&names).map_err(|e| format!("{e} for global config"))?,
            None => ScrapeProtocol::DEFAULT.to_vec(),
        };
        let limit = |l: Option<u64>| l.filter(|&l| l > 0);
        Ok(GlobalConfig {
            scrape_interval,
            scrape_timeout: scrape_timeout.unwrap_or(DEFAULT_SCRAPE_TIMEOUT.min(scrape_interval)),
            evaluation_interval: non_zero(self.evaluation_interval)
                .unwrap_or(DEFAULT_EVALUATION_INTERVAL),
            external_labels,
            scrape_protocols,
            sample_limit: limit(self.sample_limit),
            label_limit: limit(self.label_limit),
            label_name_length_limit: limit(self.label_name_length_limit),
            label_value_length_limit: limit(self.label_value_length_limit),
        })
    }
}
