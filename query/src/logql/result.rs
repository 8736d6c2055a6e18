//! What a LogQL query returns, and its JSON form: the `data` object of Loki's
//! `/loki/api/v1/query` and `/query_range` responses (`pkg/util/marshal` in grafana/loki).
//!
//! * streams: `{"stream": {labels}, "values": [["<ns timestamp>", "<line>"], ...]}`;
//! * matrix: `{"metric": {labels}, "values": [[<seconds>, "<value>"], ...]}`;
//! * vector: `{"metric": {labels}, "value": [<seconds>, "<value>"]}`;
//! * scalar: `[<seconds>, "<value>"]`.
//!
//! Timestamps of metric results are milliseconds, written as seconds with up to three decimals
//! (`1435781451.781`); values as the shortest decimal that reads back as the same float, never
//! in exponent form, with Go's `NaN`, `+Inf`, `-Inf`.

mod stats;

use model::{Labels, Sample};
use serde_json::{Map, Value as Json, json};

pub use crate::promql::{InstantSample, RangeSeries};
pub use stats::Statistics;

/// A query's result with its statistics and warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResponse {
    /// The result.
    pub data: QueryData,
    /// What the query read and how long it took.
    pub stats: Statistics,
    /// Warnings for the response's `warnings` field (none are raised yet).
    pub warnings: Vec<String>,
}

impl QueryResponse {
    /// Loki's `data` object: `resultType`, `result` and `stats`.
    pub fn to_json(&self) -> Json {
        json!({
            "resultType": self.data.result_type(),
            "result": self.data.result_json(),
            "stats": self.stats.to_json(),
        })
    }
}

/// The result of a query, in the four shapes of Loki's API.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryData {
    /// Log lines (log queries), streams sorted by their labels' text.
    Streams(Vec<LogStream>),
    /// Series over the steps of a range query, sorted by labels.
    Matrix(Vec<RangeSeries>),
    /// Series at the instant of an instant query.
    Vector(Vec<InstantSample>),
    /// A number (an instant query of a number literal).
    Scalar(Sample),
}

impl QueryData {
    /// Loki's `resultType`.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryData::Streams(_) => "streams",
            QueryData::Matrix(_) => "matrix",
            QueryData::Vector(_) => "vector",
            QueryData::Scalar(_) => "scalar",
        }
    }

    /// How many entries, points or samples it holds (Loki's `totalEntriesReturned`; 0 for a
    /// scalar).
    pub fn len(&self) -> usize {
        match self {
            QueryData::Streams(streams) => streams.iter().map(|s| s.entries.len()).sum(),
            QueryData::Matrix(series) => series.iter().map(|s| s.samples.len()).sum(),
            QueryData::Vector(samples) => samples.len(),
            QueryData::Scalar(_) => 0,
        }
    }

    /// True when [`QueryData::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loki's `result` array (or pair, for a scalar).
    pub fn result_json(&self) -> Json {
        match self {
            QueryData::Streams(streams) => streams.iter().map(LogStream::to_json).collect(),
            QueryData::Matrix(series) => series
                .iter()
                .map(|s| {
                    let values: Vec<Json> =
                        s.samples.iter().map(|p| point_json(p.t, p.v)).collect();
                    json!({"metric": labels_json(&s.labels), "values": values})
                })
                .collect(),
            QueryData::Vector(samples) => samples
                .iter()
                .map(|s| json!({"metric": labels_json(&s.labels), "value": point_json(s.t, s.v)}))
                .collect(),
            QueryData::Scalar(s) => point_json(s.t, s.v),
        }
    }
}

/// The entries of one result stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStream {
    /// The stream's labels after the pipeline.
    pub labels: Labels,
    /// Its entries, in the query's direction.
    pub entries: Vec<StreamEntry>,
}

impl LogStream {
    fn to_json(&self) -> Json {
        let values: Vec<Json> = self
            .entries
            .iter()
            .map(|e| json!([e.ts.to_string(), String::from_utf8_lossy(&e.line)]))
            .collect();
        json!({"stream": labels_json(&self.labels), "values": values})
    }
}

/// One log line of a result stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The line after the pipeline (bytes as stored; JSON replaces invalid UTF-8 with U+FFFD,
    /// as Go's encoder does).
    pub line: Vec<u8>,
}

fn labels_json(labels: &Labels) -> Json {
    let map: Map<String, Json> = labels
        .iter()
        .map(|(n, v)| (n.to_owned(), Json::String(v.to_owned())))
        .collect();
    Json::Object(map)
}

fn point_json(t_ms: i64, v: f64) -> Json {
    json!([seconds_json(t_ms), value_text(v)])
}

/// A millisecond timestamp as a JSON number of seconds: `1435781451.781`, `1`, `-1.5`.
fn seconds_json(t_ms: i64) -> Json {
    let sign = if t_ms < 0 { "-" } else { "" };
    let abs = t_ms.unsigned_abs();
    let (whole, millis) = (abs / 1000, abs % 1000);
    let text = if millis == 0 {
        format!("{sign}{whole}")
    } else {
        let fraction = format!("{millis:03}");
        format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
    };
    serde_json::from_str(&text).unwrap_or(Json::Null)
}

/// A sample value as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it.
fn value_text(v: f64) -> String {
    match crate::float_text::non_finite_name(v) {
        Some(name) => name.to_owned(),
        // Rust's `Display` for f64 is the shortest round-trip form without an exponent.
        None => format!("{v}"),
    }
}

#[cfg(test)]
mod tests;
