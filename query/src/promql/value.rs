//! What a query returns.

use model::{Labels, Sample};

/// One series' value at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    /// The series' labels.
    pub labels: Labels,
    /// Timestamp, ms.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// One series' samples over a range, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// The series' labels.
    pub labels: Labels,
    /// Its samples, in increasing timestamp order.
    pub samples: Vec<Sample>,
}

/// The value of a query, in the four shapes of Prometheus's API.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    /// A scalar at one instant.
    Scalar(Sample),
    /// A string at one instant.
    String {
        /// Timestamp, ms.
        t: i64,
        /// The string.
        value: String,
    },
    /// An instant vector.
    Vector(Vec<InstantSample>),
    /// A range vector, or a range query's result (one entry per series).
    Matrix(Vec<RangeSeries>),
}

/// A query's value with the annotations Prometheus attaches to it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The value.
    pub value: QueryValue,
    /// Warnings (e.g. `PromQL warning: ...`), in the order they were raised, without duplicates.
    pub warnings: Vec<String>,
    /// Infos (e.g. `PromQL info: metric might not be a counter ...`), likewise.
    pub infos: Vec<String>,
}

impl QueryValue {
    /// Prometheus's name of the value's type (`resultType` in the HTTP API).
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryValue::Scalar(_) => "scalar",
            QueryValue::String { .. } => "string",
            QueryValue::Vector(_) => "vector",
            QueryValue::Matrix(_) => "matrix",
        }
    }

    /// The `data` object of a Prometheus HTTP API query response: `resultType` and `result`,
    /// timestamps as seconds and values as strings, exactly as Prometheus writes them.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value as Json, json};
        let result = match self {
            QueryValue::Scalar(s) => point_json(s.t, s.v),
            QueryValue::String { t, value } => json!([timestamp_json(*t), value]),
            QueryValue::Vector(samples) => Json::Array(
                samples
                    .iter()
                    .map(|s| json!({"metric": labels_json(&s.labels), "value": point_json(s.t, s.v)}))
                    .collect(),
            ),
            QueryValue::Matrix(series) => Json::Array(
                series
                    .iter()
                    .map(|s| {
                        let values: Vec<Json> = s.samples.iter().map(|p| point_json(p.t, p.v)).collect();
                        json!({"metric": labels_json(&s.labels), "values": values})
                    })
                    .collect(),
            ),
        };
        json!({"resultType": self.result_type(), "result": result})
    }
}

fn labels_json(labels: &Labels) -> serde_json::Value {
    serde_json::Value::Object(
        labels
            .iter()
            .map(|(n, v)| (n.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect(),
    )
}

fn point_json(t: i64, v: f64) -> serde_json::Value {
    serde_json::json!([timestamp_json(t), format_sample_value(v)])
}

/// A millisecond timestamp as the seconds number Prometheus writes (`1435781451.781`, `1`).
fn timestamp_json(t: i64) -> serde_json::Value {
    let seconds = t.div_euclid(1000);
    let millis = t.rem_euclid(1000);
    let text = if millis == 0 {
        seconds.to_string()
    } else if seconds < 0 && millis != 0 {
        // -1.5 s is -2 s + 500 ms; print it the way a decimal reads.
        let total = -t;
        format!("-{}.{:03}", total / 1000, total % 1000)
            .trim_end_matches('0')
            .to_owned()
    } else {
        format!("{seconds}.{millis:03}")
            .trim_end_matches('0')
            .to_owned()
    };
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A sample value as Prometheus writes it: the shortest decimal that reads back as the same
/// float, never in exponent form, and `NaN`, `+Inf`, `-Inf` (Go's `FormatFloat(v, 'f', -1, 64)`).
pub fn format_sample_value(v: f64) -> String {
    match crate::float_text::non_finite_name(v) {
        Some(name) => name.to_owned(),
        // Rust's `Display` for f64 is the shortest round-trip form without an exponent.
        None => format!("{v}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes_match_prometheus() {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap_or_default();
        let v = QueryValue::Vector(vec![InstantSample {
            labels: labels.clone(),
            t: 1_435_781_451_781,
            v: 1.0,
        }]);
        assert_eq!(
            v.to_json().to_string(),
            r#"{"result":[{"metric":{"__name__":"up","job":"a"},"value":[1435781451.781,"1"]}],"resultType":"vector"}"#
        );
        let m = QueryValue::Matrix(vec![RangeSeries {
            labels,
            samples: vec![
                Sample::new(1000, f64::NAN),
                Sample::new(1500, f64::INFINITY),
                Sample::new(-1500, 1e21),
            ],
        }]);
        assert_eq!(
            m.to_json()["result"][0]["values"].to_string(),
            r#"[[1,"NaN"],[1.5,"+Inf"],[-1.5,"1000000000000000000000"]]"#
        );
        assert_eq!(
            QueryValue::Scalar(Sample::new(0, -0.25)).to_json()["result"].to_string(),
            r#"[0,"-0.25"]"#
        );
        assert_eq!(format_sample_value(1e-7), "0.0000001");
    }
}
