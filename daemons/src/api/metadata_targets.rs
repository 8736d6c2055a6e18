//! `/api/v1/metadata`, `/api/v1/targets` and `/api/v1/targets/metadata`, read from the scrape
//! manager's status.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::State;
use model::{Labels, Matcher};
use serde_json::{Map, Value as Json, json};

use super::labels::labels_json;
use super::params::Params;
use super::response::{ApiError, ApiResult, Success};
use super::selector::parse_selector;
use super::timestamp::{ZERO_TIME_TEXT, format_rfc3339};
use crate::config::duration::format_duration;
use crate::scrape::status::{MetricMetadata, TargetHealth};
use crate::tsdbd::TsdbState;

/// An optional count parameter that Prometheus parses with `strconv.Atoi`: absent is `None`.
fn optional_count(params: &Params, name: &str) -> Result<Option<usize>, ApiError> {
    match params.value(name) {
        "" => Ok(None),
        text => {
            let n: i64 = text
                .parse()
                .map_err(|_| ApiError::bad_data(format!("{name} must be a number")))?;
            // A negative count means no limit, as in Prometheus.
            Ok(usize::try_from(n).ok())
        }
    }
}

/// `GET /api/v1/metadata`: metric family → its distinct metadata across active targets.
/// `limit` caps the families, `limit_per_metric` the entries per family, `metric` picks one.
pub(crate) async fn metadata(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let limit = optional_count(&params, "limit")?;
    let per_metric = optional_count(&params, "limit_per_metric")?.filter(|&n| n > 0);
    let metric = params.value("metric");
    let mut families: BTreeMap<String, BTreeSet<(String, String, String)>> = BTreeMap::new();
    for pool in state.scrape_status.snapshot().into_values() {
        for target in &pool.active {
            for (name, m) in target.metadata().iter() {
                if !metric.is_empty() && name != metric {
                    continue;
                }
                let entries = families.entry(name.clone()).or_default();
                let key = (m.kind.clone(), m.help.clone(), m.unit.clone());
                if per_metric.is_none_or(|n| entries.len() < n || entries.contains(&key)) {
                    entries.insert(key);
                }
            }
        }
    }
    let data: Map<String, Json> = families
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|(name, entries)| {
            let list = entries
                .into_iter()
                .map(|(kind, help, unit)| json!({"type": kind, "help": help, "unit": unit}))
                .collect();
            (name, Json::Array(list))
        })
        .collect();
    Ok(Success::new(Json::Object(data)))
}

/// Which targets `/api/v1/targets` lists (`state=active|dropped|any`, case-insensitive;
/// anything else lists both, as Prometheus does).
fn shown_states(state: &str) -> (bool, bool) {
    match state.to_ascii_lowercase().as_str() {
        "active" => (true, false),
        "dropped" => (false, true),
        _ => (true, true),
    }
}

/// `GET /api/v1/targets`.
pub(crate) async fn targets(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let (show_active, show_dropped) = shown_states(params.value("state"));
    let pool_filter = params.value("scrapePool");
    let url_context = GlobalUrlContext::new(&state);
    let pools = state.scrape_status.snapshot();
    let wanted = |pool: &str| pool_filter.is_empty() || pool == pool_filter;
    let mut active = Vec::new();
    let mut dropped = Vec::new();
    let mut dropped_counts = Map::new();
    for (name, pool) in &pools {
        if show_active && wanted(name) {
            active.extend(
                pool.active
                    .iter()
                    .map(|t| active_target_json(name, t, &url_context)),
            );
        }
        if show_dropped {
            dropped_counts.insert(name.clone(), Json::from(pool.dropped.len()));
            if wanted(name) {
                dropped.extend(pool.dropped.iter().map(
                    |labels| json!({"discoveredLabels": labels_json(labels), "scrapePool": name}),
                ));
            }
        }
    }
    let counts = if show_dropped {
        Json::Object(dropped_counts)
    } else {
        Json::Null
    };
    Ok(Success::new(json!({
        "activeTargets": active,
        "droppedTargets": dropped,
        "droppedTargetCounts": counts,
    })))
}

fn active_target_json(pool: &str, target: &TargetHealth, urls: &GlobalUrlContext) -> Json {
    let last = target.last();
    json!({
        "discoveredLabels": labels_json(&target.discovered_labels),
        "labels": labels_json(&target.labels),
        "scrapePool": pool,
        "scrapeUrl": target.scrape_url,
        "globalUrl": urls.global_url(&target.scrape_url),
        "lastError": last.error,
        "lastScrape": last.at.map_or_else(|| ZERO_TIME_TEXT.to_owned(), format_rfc3339),
        "lastScrapeDuration": last.duration.as_secs_f64(),
        "health": last.health.as_str(),
        "scrapeInterval": format_duration(target.scrape_interval),
        "scrapeTimeout": format_duration(target.scrape_timeout),
    })
}

/// What Prometheus's `getGlobalURL` needs: the external URL's scheme and host, and the port
/// the server listens on.
struct GlobalUrlContext {
    scheme: String,
    host: String,
    listen_port: String,
}

impl GlobalUrlContext {
    fn new(state: &TsdbState) -> Self {
        let (scheme, rest) = state
            .web
            .external_url
            .split_once("://")
            .unwrap_or(("http", state.web.external_url.as_str()));
        let host = rest.split('/').next().unwrap_or_default();
        let listen = state
            .flags
            .get("web.listen-address")
            .map_or("", String::as_str);
        GlobalUrlContext {
            scheme: scheme.to_owned(),
            host: host.to_owned(),
            listen_port: split_host_port(listen).1.to_owned(),
        }
    }

    /// A target's URL as seen from outside: a loopback host on our own port becomes the
    /// external URL's scheme and host; another loopback host becomes the external host,
    /// keeping its port. Other URLs are unchanged.
    fn global_url(&self, url: &str) -> String {
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.to_owned();
        };
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_len);
        let (host, port) = split_host_port(authority);
        if !["127.0.0.1", "localhost", "::1"].contains(&host) || self.host.is_empty() {
            return url.to_owned();
        }
        if port == self.listen_port {
            return format!("{}://{}{path}", self.scheme, self.host);
        }
        let external_host = split_host_port(&self.host).0;
        let external_host = if external_host.contains(':') {
            format!("[{external_host}]")
        } else {
            external_host.to_owned()
        };
        match port {
            "" => format!("{scheme}://{external_host}{path}"),
            port => format!("{scheme}://{external_host}:{port}{path}"),
        }
    }
}

/// `host:port`, `[v6]:port` or a bare host → (host without brackets, port or `""`).
fn split_host_port(authority: &str) -> (&str, &str) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':').unwrap_or(""));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port),
        _ => (authority, ""),
    }
}

/// `GET /api/v1/targets/metadata`: per-target metadata, filtered by `match_target` (a
/// selector over target labels) and `metric`, at most `limit` entries.
pub(crate) async fn target_metadata(
    State(state): State<Arc<TsdbState>>,
    params: Params,
) -> ApiResult {
    let limit = optional_count(&params, "limit")?;
    let matchers = match params.value("match_target") {
        "" => Vec::new(),
        text => parse_selector(text).map_err(|e| ApiError::invalid_param("match_target", e))?,
    };
    let metric = params.value("metric");
    let mut out = Vec::new();
    for pool in state.scrape_status.snapshot().into_values() {
        for target in pool
            .active
            .iter()
            .filter(|t| matches_all(&t.labels, &matchers))
        {
            for (name, m) in target.metadata().iter() {
                if metric.is_empty() || name == metric {
                    out.push(target_metadata_json(
                        &target.labels,
                        name,
                        m,
                        metric.is_empty(),
                    ));
                }
            }
        }
    }
    if let Some(limit) = limit {
        out.truncate(limit);
    }
    Ok(Success::new(Json::Array(out)))
}

fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

fn target_metadata_json(target: &Labels, name: &str, m: &MetricMetadata, with_name: bool) -> Json {
    let mut entry = json!({
        "target": labels_json(target),
        "type": m.kind,
        "help": m.help,
        "unit": m.unit,
    });
    if with_name && let Some(object) = entry.as_object_mut() {
        object.insert("metric".into(), Json::from(name));
    }
    entry
}

#[cfg(test)]
#[path = "metadata_targets_tests.rs"]
mod tests;
