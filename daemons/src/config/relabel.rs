//! `<relabel_config>` entries: read as written, then compiled and validated by
//! [`model::relabel::RelabelConfig::new`], which carries Prometheus's rules and messages.

use model::relabel::{Action, RelabelConfig, RelabelSpec};
use serde::Deserialize;

use super::de::{Scalar, null_as_empty, present};

/// One relabel rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRelabel {
    #[serde(default)]
    source_labels: Option<Vec<Scalar>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    separator: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    regex: Option<String>,
    #[serde(default)]
    modulus: Option<u64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    target_label: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    replacement: Option<String>,
    #[serde(default, deserialize_with = "present")]
    action: Option<Option<Scalar>>,
}

/// Compiles a list of rules; `what` names the list for errors about null entries, as Prometheus
/// words them (e.g. "target relabeling rule in scrape config"), and `field` prefixes other
/// errors with the list's name and the rule's index.
pub(crate) fn compile_list(
    raw: Option<Vec<Option<RawRelabel>>>,
    field: &str,
    what: &str,
) -> Result<Vec<RelabelConfig>, String> {
    let raw = raw.unwrap_or_default();
    if raw.iter().any(Option::is_none) {
        return Err(format!("empty or null {what}"));
    }
    raw.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, rule)| compile(rule).map_err(|e| format!("{field}[{i}]: {e}")))
        .collect()
}

fn compile(raw: RawRelabel) -> Result<RelabelConfig, String> {
    let defaults = RelabelSpec::default();
    let action = match raw.action {
        None => defaults.action,
        Some(None) => return Err("relabel action cannot be empty".to_owned()),
        Some(Some(name)) => name.0.parse::<Action>().map_err(|e| e.to_string())?,
    };
    let spec = RelabelSpec {
        source_labels: raw
            .source_labels
            .map(|names| names.into_iter().map(|n| n.0).collect()),
        separator: raw.separator.unwrap_or(defaults.separator),
        regex: raw.regex,
        modulus: raw.modulus.unwrap_or(0),
        target_label: raw.target_label.unwrap_or_default(),
        replacement: raw.replacement.unwrap_or(defaults.replacement),
        action,
    };
    RelabelConfig::new(spec).map_err(|e| e.to_string())
}
