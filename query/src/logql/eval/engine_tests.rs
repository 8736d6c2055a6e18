use model::{LogEntry, VecLogQuerier};
use serde_json::json;

use super::*;

const S: i64 = 1_000_000_000;

fn engine() -> Engine {
    Engine::default()
}

fn instant(query: &str, time: i64) -> Result<QueryResponse, QueryError> {
    let store = VecLogQuerier::new();
    engine().instant(
        &store,
        "t",
        &InstantQuery::new(query, time),
        &CancelToken::default(),
    )
}

fn range(
    engine: &Engine,
    store: &VecLogQuerier,
    query: RangeQuery<'_>,
) -> Result<QueryResponse, QueryError> {
    engine.range(store, "t", &query, &CancelToken::default())
}

#[test]
fn grafanas_health_check_returns_two() {
    let response = instant("vector(1)+vector(1)", 1_700_000_000 * S).unwrap();
    assert_eq!(
        response.to_json()["result"],
        json!([{"metric": {}, "value": [1_700_000_000, "2"]}])
    );
    assert_eq!(response.to_json()["resultType"], "vector");
}

#[test]
fn numbers_are_scalars_at_an_instant_and_matrices_over_a_range() {
    let response = instant("1+1", 1_500 * 1_000_000).unwrap();
    assert_eq!(response.data, QueryData::Scalar(Sample::new(1_500, 2.0)));
    assert_eq!(response.to_json()["result"], json!([1.5, "2"]));
    let store = VecLogQuerier::new();
    let response = range(&engine(), &store, RangeQuery::new("2", 0, 20 * S, 10 * S)).unwrap();
    assert_eq!(
        response.to_json()["result"],
        json!([{"metric": {}, "values": [[0, "2"], [10, "2"], [20, "2"]]}])
    );
    let response = instant("vector(5)", 3 * S).unwrap();
    assert_eq!(
        response.to_json()["result"],
        json!([{"metric": {}, "value": [3, "5"]}])
    );
    assert_eq!(response.stats.entries_returned, 1);
}

#[test]
fn parse_errors_carry_their_position() {
    let err = instant("sum(", 0).unwrap_err();
    assert!(
        matches!(&err, QueryError::Parse(e) if e.line == 1),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("parse error at line 1, col "),
        "{err}"
    );
}

#[test]
fn instant_log_queries_are_refused_as_loki_refuses_them() {
    let err = instant(r#"{app="a"}"#, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "log queries are not supported as an instant query type, please change your query to a range query type"
    );
}

#[test]
fn range_parameters_are_checked() {
    let store = VecLogQuerier::new();
    let e = engine();
    let err = range(&e, &store, RangeQuery::new("vector(1)", 10, 0, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "end timestamp must not be before or equal to start time"
    );
    let err = range(&e, &store, RangeQuery::new("vector(1)", 0, 10, 0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "zero or negative query resolution step widths are not accepted. Try a positive integer"
    );
    let err = range(&e, &store, RangeQuery::new("vector(1)", 0, 11_001 * S, S)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
    );
    assert!(range(&e, &store, RangeQuery::new("vector(1)", 0, 11_000 * S, S)).is_ok());
}

#[test]
fn log_query_limits() {
    let store = VecLogQuerier::new();
    let mut q = RangeQuery::new(r#"{app="a"}"#, 0, S, S);
    q.limit = 5001;
    let err = range(&engine(), &store, q).unwrap_err();
    assert!(matches!(
        err,
        QueryError::Limit(LimitError::Entries {
            requested: 5001,
            limit: 5000
        })
    ));
    q.limit = 0;
    let err = range(&engine(), &store, q).unwrap_err();
    assert_eq!(err.to_string(), "limit must be a positive value");
    let unlimited = Engine::new(EngineOptions {
        max_entries_limit_per_query: None,
        ..EngineOptions::default()
    });
    q.limit = 1_000_000;
    assert!(range(&unlimited, &store, q).is_ok());
}

#[test]
fn timeouts_and_cancellation_stop_queries() {
    let store = VecLogQuerier::new();
    let e = Engine::new(EngineOptions {
        timeout: Some(Duration::ZERO),
        ..EngineOptions::default()
    });
    let err = range(&e, &store, RangeQuery::new("sum(vector(1))", 0, S, S)).unwrap_err();
    assert!(matches!(err, QueryError::Timeout));
    let cancel = CancelToken::default();
    cancel.cancel();
    let err = engine()
        .instant(
            &store,
            "t",
            &InstantQuery::new("sum(vector(1))", 0),
            &cancel,
        )
        .unwrap_err();
    assert!(matches!(err, QueryError::Canceled));
}

/// One stream per `i` in `0..n`, each with a line at 1 s.
fn wide_store(n: usize) -> VecLogQuerier {
    let mut store = VecLogQuerier::new();
    for i in 0..n {
        let labels = Labels::from_pairs([("app", "x"), ("i", &i.to_string())]).unwrap();
        store.push("t", &labels, LogEntry::new(S, "line"));
    }
    store
}

#[test]
fn the_series_limit_counts_result_series() {
    let store = wide_store(4);
    let e = Engine::new(EngineOptions {
        max_query_series: Some(3),
        ..EngineOptions::default()
    });
    let query = r#"count_over_time({app="x"}[1m])"#;
    let err = range(&e, &store, RangeQuery::new(query, S, 2 * S, S)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "maximum of series (3) reached for a single query"
    );
    let err = e
        .instant(
            &store,
            "t",
            &InstantQuery::new(query, S),
            &CancelToken::default(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        QueryError::Limit(LimitError::Series { limit: 3 })
    ));
    let summed = format!("sum({query})");
    let ok = range(&e, &store, RangeQuery::new(&summed, S, 2 * S, S)).unwrap();
    assert_eq!(
        ok.to_json()["result"],
        json!([{"metric": {}, "values": [[1, "4"], [2, "4"]]}])
    );
    assert_eq!(ok.stats.scan.total_lines(), 4);
    assert_eq!(ok.stats.entries_returned, 2);
}

#[test]
fn instant_vectors_are_sorted_by_labels_unless_sorted_by_value() {
    let mut store = VecLogQuerier::new();
    for (app, lines) in [("a", 3), ("b", 1), ("c", 2)] {
        let labels = Labels::from_pairs([("app", app)]).unwrap();
        for i in 0..lines {
            store.push("t", &labels, LogEntry::new(S + i, "x"));
        }
    }
    let run = |q: &str| {
        let r = engine()
            .instant(
                &store,
                "t",
                &InstantQuery::new(q, 2 * S),
                &CancelToken::default(),
            )
            .unwrap();
        let QueryData::Vector(v) = r.data else {
            panic!()
        };
        v.iter()
            .map(|s| format!("{}={}", s.labels.get("app").unwrap_or(""), s.v))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run(r#"count_over_time({app=~".+"}[1m])"#),
        ["a=3", "b=1", "c=2"]
    );
    assert_eq!(
        run(r#"sort(count_over_time({app=~".+"}[1m]))"#),
        ["b=1", "c=2", "a=3"]
    );
    assert_eq!(
        run(r#"sort_desc(count_over_time({app=~".+"}[1m]))"#),
        ["a=3", "c=2", "b=1"]
    );
    assert_eq!(
        run(r#"topk(2, count_over_time({app=~".+"}[1m]))"#),
        ["a=3", "c=2"]
    );
}

#[test]
fn pipeline_errors_fail_metric_queries_with_lokis_message() {
    let mut store = VecLogQuerier::new();
    let labels = Labels::from_pairs([("app", "x")]).unwrap();
    store.push("t", &labels, LogEntry::new(S, "not json"));
    let query = r#"count_over_time({app="x"} | json [1m])"#;
    let err = engine()
        .instant(
            &store,
            "t",
            &InstantQuery::new(query, 2 * S),
            &CancelToken::default(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, QueryError::SeriesPipeline { error_type, .. } if error_type == "JSONParserErr"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("pipeline error: 'JSONParserErr' for series: "),
        "{err}"
    );
    let filtered = r#"count_over_time({app="x"} | json | __error__="" [1m])"#;
    let ok = engine()
        .instant(
            &store,
            "t",
            &InstantQuery::new(filtered, 2 * S),
            &CancelToken::default(),
        )
        .unwrap();
    assert_eq!(ok.data, QueryData::Vector(vec![]));
}
