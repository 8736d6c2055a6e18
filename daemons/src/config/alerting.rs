//! The `alerting` section: where alerts go and how their labels are rewritten first.

use std::path::Path;
use std::time::Duration;

use model::relabel::RelabelConfig;
use serde::Deserialize;

use super::de::Scalar;
use super::duration;
use super::http_client::{
    self, HttpClientConfig, RawAuthorization, RawBasicAuth, RawHttpClient, RawTlsConfig,
};
use super::relabel::{RawRelabel, compile_list};
use super::scrape::{RawStaticConfig, StaticConfig};

/// Prometheus's default timeout for sending alerts.
pub const DEFAULT_ALERTMANAGER_TIMEOUT: Duration = Duration::from_secs(10);

/// The `alerting` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertingConfig {
    /// Rules applied to every alert's labels before it is sent.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// The Alertmanagers alerts are sent to.
    pub alertmanagers: Vec<AlertmanagerConfig>,
}

/// One `alertmanagers` entry (Alertmanager API v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerConfig {
    /// `http` (default) or `https`.
    pub scheme: String,
    /// Prefix before `/api/v2/alerts`; default empty.
    pub path_prefix: String,
    /// Timeout for one push of alerts; default 10 s.
    pub timeout: Duration,
    /// Authentication and TLS.
    pub http_client: HttpClientConfig,
    /// The Alertmanager addresses.
    pub static_configs: Vec<StaticConfig>,
    /// Rules applied to each Alertmanager's target labels.
    pub relabel_configs: Vec<RelabelConfig>,
}

/// The `alerting` section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlerting {
    #[serde(default)]
    alert_relabel_configs: Option<Vec<Option<RawRelabel>>>,
    #[serde(default)]
    alertmanagers: Option<Vec<Option<RawAlertmanager>>>,
}

/// An `alertmanagers` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlertmanager {
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    path_prefix: Option<String>,
    #[serde(default, deserialize_with = "duration::deserialize_opt")]
    timeout: Option<Duration>,
    #[serde(default)]
    api_version: Option<Scalar>,
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
    relabel_configs: Option<Vec<Option<RawRelabel>>>,
}

impl RawAlerting {
    /// Validates as Prometheus's `AlertingConfig` and `AlertmanagerConfig` do.
    pub(crate) fn build(self, dir: &Path) -> Result<AlertingConfig, String> {
        let alert_relabel_configs = compile_list(
            self.alert_relabel_configs,
            "alert_relabel_configs",
            "alert relabeling rule",
        )?;
        let mut alertmanagers = Vec::new();
        for (i, raw) in self
            .alertmanagers
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let Some(raw) = raw else {
                return Err(format!(
                    "alertmanagers[{i}]: empty or null Alertmanager config"
                ));
            };
            alertmanagers.push(
                raw.build(dir)
                    .map_err(|e| format!("alertmanagers[{i}]: {e}"))?,
            );
        }
        Ok(AlertingConfig {
            alert_relabel_configs,
            alertmanagers,
        })
    }
}

impl RawAlertmanager {
    fn build(self, dir: &Path) -> Result<AlertmanagerConfig, String> {
        match self.api_version.as_ref().map(|v| v.0.as_str()) {
            None | Some("v2") => {}
            Some("v1") => {
                return Err("Alertmanager api_version v1 is not supported by tsdbd (Prometheus 3 removed it too): use v2".into());
            }
            Some(other) => {
                return Err(format!(
                    "expected Alertmanager api version to be one of [v1 v2] but got {other}"
                ));
            }
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
        let relabel_configs = compile_list(
            self.relabel_configs,
            "relabel_configs",
            "Alertmanager target relabeling rule",
        )?;
        let static_configs =
            super::scrape::static_configs(self.static_configs, relabel_configs.is_empty())?;
        let scheme = super::scrape::scheme(self.scheme)?;
        Ok(AlertmanagerConfig {
            scheme,
            path_prefix: self.path_prefix.unwrap_or_default(),
            timeout: self
                .timeout
                .filter(|t| !t.is_zero())
                .unwrap_or(DEFAULT_ALERTMANAGER_TIMEOUT),
            http_client,
            static_configs,
            relabel_configs,
        })
    }
}
