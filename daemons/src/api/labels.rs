//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`.
//!
//! Missing `start`/`end` mean Prometheus's minimum and maximum time; `limit` cuts the sorted
//! result and adds Prometheus's truncation warning; several `match[]` selectors are unioned.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use model::{Labels, Matcher, SeriesQuerier, is_valid_label_name};
use serde_json::{Map, Value as Json};
use tsdb_core::Db;

use super::blocking::blocking;
use super::params::Params;
use super::response::{ApiError, ApiResult, Success, apply_limit};
use super::timestamp::{MAX_TIME_MS, MIN_TIME_MS};
use crate::tsdbd::TsdbState;

/// `GET|POST /api/v1/series`.
pub(crate) async fn series(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    if params.values("match[]").is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let limit = params.limit()?;
    let start = params.time_or("start", MIN_TIME_MS)?;
    let end = params.time_or("end", MAX_TIME_MS)?;
    let sets = params
        .matcher_sets()
        .map_err(|e| ApiError::invalid_param("match[]", e))?;
    let db = Arc::clone(&state.db);
    let mut found = blocking(move || select_labels(&db, start, end, &sets)).await?;
    let warnings = apply_limit(&mut found, limit);
    let data = found.iter().map(labels_json).collect();
    Ok(Success {
        data: Json::Array(data),
        warnings,
        infos: Vec::new(),
    })
}

/// Labels of the series any of `sets` selects in `[start, end]`, sorted, each once.
pub(crate) fn select_labels(
    db: &Db,
    start: i64,
    end: i64,
    sets: &[Vec<Matcher>],
) -> Result<Vec<Labels>, ApiError> {
    let querier = db.querier(start, end);
    let mut found = BTreeSet::new();
    for set in sets {
        let selected = querier.select(set).map_err(storage_error)?;
        for series in selected {
            found.insert(series.map_err(storage_error)?.labels().clone());
        }
    }
    Ok(found.into_iter().collect())
}

/// A label set as the JSON object Prometheus writes.
pub(crate) fn labels_json(labels: &Labels) -> Json {
    Json::Object(
        labels
            .iter()
            .map(|(n, v)| (n.to_owned(), Json::from(v)))
            .collect::<Map<_, _>>(),
    )
}

pub(crate) fn storage_error(e: model::StorageError) -> ApiError {
    ApiError::internal(format!("reading storage: {e}"))
}

/// What `/labels` and `/label/<name>/values` share: limit, range and optional selectors.
struct LabelQuery {
    limit: usize,
    start: i64,
    end: i64,
    sets: Vec<Vec<Matcher>>,
}

impl LabelQuery {
    fn from_params(params: &Params) -> Result<Self, ApiError> {
        Ok(LabelQuery {
            limit: params.limit()?,
            start: params.time_or("start", MIN_TIME_MS)?,
            end: params.time_or("end", MAX_TIME_MS)?,
            sets: params.matcher_sets().map_err(ApiError::bad_data)?,
        })
    }

    /// Runs `lookup` once without matchers, or once per selector and unions the answers;
    /// sorts, applies the limit and wraps the answer.
    async fn answer<F>(self, db: Arc<Db>, lookup: F) -> ApiResult
    where
        F: Fn(&dyn SeriesQuerier, &[Matcher]) -> Result<Vec<String>, model::StorageError>
            + Send
            + 'static,
    {
        let LabelQuery {
            limit,
            start,
            end,
            sets,
        } = self;
        let mut found = blocking(move || {
            let querier = db.querier(start, end);
            if sets.is_empty() {
                return lookup(&querier, &[]).map_err(storage_error);
            }
            let mut union = BTreeSet::new();
            for set in &sets {
                union.extend(lookup(&querier, set).map_err(storage_error)?);
            }
            Ok(union.into_iter().collect::<Vec<_>>())
        })
        .await?;
        found.sort_unstable();
        found.dedup();
        let warnings = apply_limit(&mut found, limit);
        Ok(Success {
            data: Json::from(found),
            warnings,
            infos: Vec::new(),
        })
    }
}

/// `GET|POST /api/v1/labels`.
pub(crate) async fn names(State(state): State<Arc<TsdbState>>, params: Params) -> ApiResult {
    let query = LabelQuery::from_params(&params)?;
    query
        .answer(Arc::clone(&state.db), |querier, matchers| {
            querier.label_names(matchers)
        })
        .await
}

/// `GET /api/v1/label/<name>/values`; `name` may be escaped as Prometheus 3 escapes names
/// that are not valid legacy names (`U__` prefix).
pub(crate) async fn values(
    State(state): State<Arc<TsdbState>>,
    name: Result<Path<String>, PathRejection>,
    params: Params,
) -> ApiResult {
    let raw = name
        .map_err(|e| ApiError::bad_data(format!("invalid label name: {e}")))?
        .0;
    let name = unescape_name(&raw).unwrap_or(raw);
    // Stored series only carry legacy names, so any other name is refused rather than
    // answered with an empty list.
    if !is_valid_label_name(&name) {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let query = LabelQuery::from_params(&params)?;
    query
        .answer(Arc::clone(&state.db), move |querier, matchers| {
            querier.label_values(&name, matchers)
        })
        .await
}

/// Decodes Prometheus's `U__` value-encoding escape (`model.UnescapeName` with
/// `ValueEncodingEscaping`): `__` is `_`, `_<hex>_` a Unicode code point, anything else
/// itself. `None` when `name` has no `U__` prefix or the escape is malformed, in which case
/// Prometheus keeps the name as written.
pub(crate) fn unescape_name(name: &str) -> Option<String> {
    let escaped = name.strip_prefix("U__")?;
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '_' {
            out.push(c);
            continue;
        }
        let mut code: u32 = 0;
        let mut digits = 0;
        loop {
            match chars.next()? {
                '_' if digits == 0 => {
                    out.push('_');
                    break;
                }
                '_' => {
                    out.push(char::from_u32(code)?);
                    break;
                }
                h => {
                    digits += 1;
                    if digits > 6 {
                        return None;
                    }
                    code = code * 16 + h.to_digit(16)?;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;
