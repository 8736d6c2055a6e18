//! From discovered target groups to scrape targets, as Prometheus's `PopulateLabels` and
//! `Target.URL` (scrape/target.go, 3.x semantics: no default port is added to `__address__`).
//!
//! A discovered target is its group's labels plus `__address__`; the job's defaults fill
//! `job`, `__scheme__`, `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__` and
//! `__param_<name>` where discovery did not set them; `relabel_configs` then rewrite or drop the
//! set; `__meta_*` labels are removed, `instance` defaults to `__address__`, and the target's
//! public labels are those without the `__` prefix.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use model::Labels;
use model::relabel;

use crate::config::ScrapeConfig;
use crate::config::duration::{format_duration, parse_duration};

/// A group of discovered targets sharing labels (a `static_configs` entry or one group of a
/// file-SD file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetGroup {
    /// One label set per target, each with at least `__address__`.
    pub targets: Vec<Labels>,
    /// Labels every target of the group gets unless it has its own of the same name.
    pub labels: Labels,
}

impl TargetGroup {
    /// A group from addresses and common labels, as `static_configs` and file SD write them.
    pub(crate) fn from_addresses(addresses: &[String], labels: Labels) -> Self {
        let targets = addresses
            .iter()
            .filter_map(|a| Labels::from_pairs([("__address__", a.as_str())]).ok())
            .collect();
        TargetGroup { targets, labels }
    }
}

/// A target ready to be scraped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Labels before relabeling (what `/api/v1/targets` calls discovered labels).
    pub discovered: Labels,
    /// Every label after relabeling, `__`-prefixed ones included (but not `__meta_*`).
    pub all: Labels,
    /// The labels every scraped series gets: `all` without `__`-prefixed names.
    pub public: Labels,
    /// The URL scraped.
    pub url: String,
    /// Time between scrapes (`__scrape_interval__`).
    pub interval: Duration,
    /// Per-scrape timeout (`__scrape_timeout__`).
    pub timeout: Duration,
}

impl Target {
    /// Identifies the target within its pool, as Prometheus's `Target.hash`: equal labels
    /// and URL mean the same target, and the loop's phase derives from this value.
    pub(crate) fn key(&self) -> u64 {
        let mut bytes = self.all.stable_hash().to_le_bytes().to_vec();
        bytes.extend_from_slice(self.url.as_bytes());
        fnv1a(&bytes)
    }
}

/// What became of one discovered target.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// To be scraped.
    Active(Target),
    /// Relabeling dropped it; its discovered labels.
    Dropped(Labels),
    /// Its labels cannot make a target; the reason, for the log.
    Invalid(String),
}

/// Builds the target for one discovered label set of `job`.
pub(crate) fn populate(job: &ScrapeConfig, group: &TargetGroup, target: &Labels) -> Outcome {
    let discovered = match discovered_labels(job, group, target) {
        Ok(l) => l,
        Err(e) => return Outcome::Invalid(e),
    };
    let relabeled = match relabel::process_checked(&discovered, &job.relabel_configs) {
        Ok(Some(l)) => l,
        Ok(None) => return Outcome::Dropped(discovered),
        Err(e) => return Outcome::Invalid(format!("relabeling produced invalid labels: {e}")),
    };
    match finish(job, relabeled, discovered) {
        Ok(t) => Outcome::Active(t),
        Err(e) => Outcome::Invalid(e),
    }
}

/// The target's own labels, then the group's, then the job's defaults.
fn discovered_labels(
    job: &ScrapeConfig,
    group: &TargetGroup,
    target: &Labels,
) -> Result<Labels, String> {
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    for (n, v) in group.labels.iter().chain(target.iter()) {
        pairs.insert(n.to_owned(), v.to_owned());
    }
    let defaults = [
        ("job", job.job_name.clone()),
        ("__scrape_interval__", format_duration(job.scrape_interval)),
        ("__scrape_timeout__", format_duration(job.scrape_timeout)),
        ("__metrics_path__", job.metrics_path.clone()),
        ("__scheme__", job.scheme.clone()),
    ];
    for (name, value) in defaults {
        pairs.entry(name.to_owned()).or_insert(value);
    }
    for (name, values) in &job.params {
        if let Some(first) = values.first() {
            pairs
                .entry(format!("__param_{name}"))
                .or_insert_with(|| first.clone());
        }
    }
    Labels::from_pairs(pairs).map_err(|e| format!("invalid discovered labels: {e}"))
}

/// Checks the relabeled set and derives the target from it.
fn finish(job: &ScrapeConfig, relabeled: Labels, discovered: Labels) -> Result<Target, String> {
    let address = relabeled.get("__address__").unwrap_or("").to_owned();
    if address.is_empty() {
        return Err("no address".to_owned());
    }
    if address.contains('/') {
        return Err(format!("{address:?} is not a valid hostname"));
    }
    let interval = label_duration(&relabeled, "__scrape_interval__", "scrape interval")?;
    let timeout = label_duration(&relabeled, "__scrape_timeout__", "scrape timeout")?;
    if interval.is_zero() {
        return Err("scrape interval cannot be 0".to_owned());
    }
    if timeout.is_zero() {
        return Err("scrape timeout cannot be 0".to_owned());
    }
    if timeout > interval {
        return Err(format!(
            "scrape timeout cannot be greater than scrape interval ({:?} > {:?})",
            format_duration(timeout),
            format_duration(interval)
        ));
    }
    let mut builder = relabeled.to_builder();
    for (name, _) in relabeled.iter().filter(|(n, _)| n.starts_with("__meta_")) {
        builder.remove(name);
    }
    if relabeled.get("instance").is_none() {
        builder.set("instance", &address);
    }
    let all = builder.build().map_err(|e| e.to_string())?;
    let public_names: Vec<&str> = all
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !n.starts_with("__"))
        .collect();
    let public = all.keep_only(&public_names);
    let url = target_url(job, &all)?;
    Ok(Target {
        discovered,
        all,
        public,
        url,
        interval,
        timeout,
    })
}

fn label_duration(labels: &Labels, name: &str, what: &str) -> Result<Duration, String> {
    let raw = labels.get(name).unwrap_or("");
    parse_duration(raw).map_err(|e| format!("error parsing {what}: {e}"))
}

/// `scheme://address/path?query`: the job's `params`, each one's first value replaced by the
/// target's `__param_<name>` label (which also adds parameters the job does not have). Keys are
/// sorted and values escaped as Go's `url.Values.Encode`.
fn target_url(job: &ScrapeConfig, labels: &Labels) -> Result<String, String> {
    let mut params: BTreeMap<String, Vec<String>> = job.params.clone();
    for (name, value) in labels.iter() {
        if let Some(key) = name.strip_prefix("__param_") {
            let values = params.entry(key.to_owned()).or_default();
            match values.first_mut() {
                Some(first) => value.clone_into(first),
                None => values.push(value.to_owned()),
            }
        }
    }
    let scheme = labels.get("__scheme__").unwrap_or("http");
    let address = labels.get("__address__").unwrap_or("");
    let path = labels.get("__metrics_path__").unwrap_or("");
    let mut url = format!("{scheme}://{address}");
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    escape_path(path, &mut url);
    let mut separator = '?';
    for (key, values) in &params {
        for value in values {
            url.push(separator);
            separator = '&';
            query_escape(key, &mut url);
            url.push('=');
            query_escape(value, &mut url);
        }
    }
    reqwest::Url::parse(&url).map_err(|e| format!("invalid scrape URL {url:?}: {e}"))?;
    Ok(url)
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the rest `%XX`.
fn query_escape(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// Escapes what a URL path cannot hold literally (`?`, `#`, spaces, controls, non-ASCII).
fn escape_path(path: &str, out: &mut String) {
    for b in path.bytes() {
        if b.is_ascii_graphic() && b != b'?' && b != b'#' && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// FNV-1a over `bytes`: stable across processes and versions, so a target keeps its phase
/// within the interval across restarts.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
