//! The errors a LogQL query ends with. Their texts are Loki v3's (`pkg/logqlmodel/error.go`,
//! `pkg/querier/http.go`, `pkg/util/server/error.go`, `pkg/loghttp/params.go`), so clients that
//! match on them (Grafana, logcli) see what they see from Loki.

use model::{LabelError, Labels, StorageError};

use crate::logql::pipeline::PipelineError;
use crate::logql::syntax::ParseError;

/// Why a LogQL query failed.
///
/// Loki answers the first six kinds (the query or its parameters are wrong) with HTTP 400,
/// [`QueryError::Timeout`] with 504, [`QueryError::Canceled`] with 499 and
/// [`QueryError::Storage`] with 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The query text does not parse; the error carries the line and column.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A pipeline stage could not be built (an invalid `ip(...)`, a template that does not
    /// parse ...).
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    /// A metric query met a sample whose labels carry `__error__`: a parser or conversion
    /// failed on a line and no label filter removed it.
    #[error("{}", series_pipeline_message(.series, .error_type))]
    SeriesPipeline {
        /// The sample's labels.
        series: Labels,
        /// The value of its `__error__` label.
        error_type: String,
    },
    /// A query limit was exceeded.
    #[error("{0}")]
    Limit(#[from] LimitError),
    /// A query parameter (range, step, limit ...) is not acceptable.
    #[error("{0}")]
    InvalidParameter(String),
    /// Evaluation failed: vector matching found duplicates, a relabelling produced invalid
    /// labels, the query uses something this engine does not evaluate.
    #[error("{0}")]
    Execution(String),
    /// The query ran longer than the engine's timeout.
    #[error(
        "request timed out, decrease the duration of the request or add more label matchers \
         (prefer exact match over regex match) to reduce the amount of data processed"
    )]
    Timeout,
    /// The caller cancelled the query.
    #[error("the request was cancelled by the client")]
    Canceled,
    /// The log store failed while the query read it.
    #[error("{0}")]
    Storage(#[from] StorageError),
}

impl QueryError {
    /// An instant query of a log selector, which Loki refuses.
    pub(crate) fn instant_log_query() -> Self {
        QueryError::InvalidParameter(
            "log queries are not supported as an instant query type, please change your query \
             to a range query type"
                .into(),
        )
    }

    /// A relabelling that produced labels `model` refuses.
    pub(crate) fn labels(context: &str, err: LabelError) -> Self {
        QueryError::Execution(format!("{context}: {err}"))
    }
}

/// A limit of [`crate::logql::EngineOptions`] that a query exceeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A metric query returned more series than `max_query_series`.
    #[error("maximum of series ({limit}) reached for a single query")]
    Series {
        /// The limit.
        limit: usize,
    },
    /// A log query asked for more entries than `max_entries_limit_per_query`.
    #[error(
        "max entries limit per query exceeded, limit > max_entries_limit_per_query \
         ({requested} > {limit})"
    )]
    Entries {
        /// The `limit` the query asked for.
        requested: usize,
        /// The engine's limit.
        limit: usize,
    },
}

/// Loki's `logqlmodel.PipelineError` text.
fn series_pipeline_message(series: &Labels, error: &str) -> String {
    format!(
        "pipeline error: '{error}' for series: '{series}'.\n\
         Use a label filter to intentionally skip this error. (e.g | __error__!=\"{error}\").\n\
         To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n\
         The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lokis() {
        let series = Labels::from_pairs([("__error__", "JSONParserErr"), ("app", "a")]).unwrap();
        let err = QueryError::SeriesPipeline {
            series,
            error_type: "JSONParserErr".into(),
        };
        assert_eq!(
            err.to_string(),
            "pipeline error: 'JSONParserErr' for series: '{__error__=\"JSONParserErr\", app=\"a\"}'.\n\
             Use a label filter to intentionally skip this error. (e.g | __error__!=\"JSONParserErr\").\n\
             To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n\
             The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
        );
        assert_eq!(
            QueryError::from(LimitError::Series { limit: 500 }).to_string(),
            "maximum of series (500) reached for a single query"
        );
        assert_eq!(
            QueryError::from(LimitError::Entries {
                requested: 6000,
                limit: 5000
            })
            .to_string(),
            "max entries limit per query exceeded, limit > max_entries_limit_per_query (6000 > 5000)"
        );
        assert_eq!(
            QueryError::instant_log_query().to_string(),
            "log queries are not supported as an instant query type, please change your query to a range query type"
        );
    }
}
