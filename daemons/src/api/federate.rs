//! `/federate`: the latest sample of every series a `match[]` selects, within the lookback
//! delta, in text format 0.0.4, as Prometheus's `web/federate.go` writes it.
//!
//! Series are grouped by metric name (`# TYPE <name> untyped` once per group, sorted by
//! name); labels with empty values and nameless series are left out; stale markers are
//! skipped (the text format cannot carry them); the configuration's `external_labels` are
//! appended, sorted, to every series that lacks them, with `instance=""` among them unless
//! configured, exactly as Prometheus does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::{Labels, Matcher, SeriesQuerier, is_stale_nan};
use tsdb_core::Db;

use super::blocking::blocking;
use super::params::Params;
use super::response::ApiError;
use super::selector::parse_selector;
use super::timestamp::now_ms;
use crate::tsdbd::TsdbState;

/// Content type of text format 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET|POST /federate`. Errors are plain text, as Prometheus's `http.Error`.
pub(crate) async fn federate(State(state): State<Arc<TsdbState>>, params: Params) -> Response {
    match render(&state, &params).await {
        Ok(body) => ([(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response(),
        Err((status, message)) => (status, format!("{message}\n")).into_response(),
    }
}

async fn render(state: &TsdbState, params: &Params) -> Result<String, (StatusCode, String)> {
    let selectors = params.values("match[]");
    if selectors.is_empty() {
        return Err((
            StatusCode::BAD_REQUEST,
            "no match[] parameter provided".into(),
        ));
    }
    let sets = selectors
        .into_iter()
        .map(parse_selector)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let maxt = now_ms();
    let mint = maxt.saturating_sub(state.engine.options().lookback_delta_ms);
    let external = external_labels(&state.config().config.global.external_labels);
    let db = Arc::clone(&state.db);
    let latest = blocking(move || latest_samples(&db, mint, maxt, &sets))
        .await
        .map_err(|e: ApiError| {
            tracing::error!(error = %e.message, "federation failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "federation failed; the server log has the details".into(),
            )
        })?;
    Ok(write_text(&latest, &external))
}

/// The latest non-stale sample in `[mint, maxt]` of each selected series, by labels.
fn latest_samples(
    db: &Db,
    mint: i64,
    maxt: i64,
    sets: &[Vec<Matcher>],
) -> Result<BTreeMap<Labels, (i64, f64)>, ApiError> {
    let querier = db.querier(mint, maxt);
    let mut latest = BTreeMap::new();
    for set in sets {
        let selected = querier.select(set).map_err(super::labels::storage_error)?;
        for series in selected {
            let series = series.map_err(super::labels::storage_error)?;
            if latest.contains_key(series.labels()) {
                continue;
            }
            let mut samples = series.samples();
            let mut last = None;
            while let Some(s) = samples.next() {
                last = Some(s);
            }
            if let Some(e) = samples.error() {
                return Err(ApiError::internal(format!("reading samples: {e}")));
            }
            if let Some(s) = last.filter(|s| !is_stale_nan(s.v)) {
                latest.insert(series.labels().clone(), (s.t, s.v));
            }
        }
    }
    Ok(latest)
}

/// External labels sorted by name, with `instance` (empty) added unless configured.
fn external_labels(configured: &Labels) -> Vec<(String, String)> {
    let mut labels: BTreeMap<String, String> = configured
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    labels.entry("instance".to_owned()).or_default();
    labels.into_iter().collect()
}

/// Text format 0.0.4 of `samples` (sorted by labels, so by metric name first).
fn write_text(samples: &BTreeMap<Labels, (i64, f64)>, external: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut current_name: Option<&str> = None;
    for (labels, &(t, v)) in samples {
        let Some(name) = labels.metric_name().filter(|n| !n.is_empty()) else {
            tracing::warn!(series = %labels, "ignoring nameless series during federation");
            continue;
        };
        if current_name != Some(name) {
            let _ = writeln!(out, "# TYPE {name} untyped");
            current_name = Some(name);
        }
        let mut pairs: Vec<(&str, &str)> = labels
            .iter()
            .filter(|(n, v)| *n != model::METRIC_NAME && !v.is_empty())
            .collect();
        for (n, v) in external {
            if labels.get(n).is_none_or(str::is_empty) {
                pairs.push((n.as_str(), v.as_str()));
            }
        }
        out.push_str(name);
        if !pairs.is_empty() {
            out.push('{');
            for (i, (n, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{n}=\"{}\"", escape_label_value(v));
            }
            out.push('}');
        }
        let _ = writeln!(out, " {} {t}", format_go_float(v));
    }
    out
}

fn escape_label_value(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// A float as Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes it (the text format's
/// value syntax): shortest round-trip digits, exponent form when the decimal exponent is
/// below -4 or at least 6 (`1e+06`, `1.6615862272e+10`), and `+Inf`, `-Inf`, `NaN`.
pub(crate) fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{v:e}");
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return sci;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        return format!("{v}");
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

#[cfg(test)]
#[path = "federate_tests.rs"]
mod tests;
