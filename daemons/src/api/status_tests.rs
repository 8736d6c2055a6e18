use serde_json::json;

use super::super::test_support::{CONFIG_YAML, TestServer, assert_error, data};
use super::*;

#[tokio::test]
async fn build_info_has_prometheus_keys_only() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/status/buildinfo").await;
    let d = data(status, &body);
    let mut keys: Vec<&str> = d
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "branch",
            "buildDate",
            "buildUser",
            "goVersion",
            "revision",
            "version"
        ]
    );
    assert_eq!(d["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn runtime_info_is_truthful() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/status/runtimeinfo").await;
    let d = data(status, &body);
    assert_eq!(d["reloadConfigSuccess"], true);
    assert_eq!(d["lastConfigTime"], "2023-11-14T22:13:20Z");
    assert_eq!(d["storageRetention"], "15d");
    assert_eq!(d["corruptionCount"], 0);
    assert!(d["goroutineCount"].as_u64().is_some_and(|n| n >= 1), "{d}");
    assert!(d["GOMAXPROCS"].as_u64().is_some_and(|n| n >= 1), "{d}");
    assert!(
        d["startTime"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{d}"
    );
    assert!(d["CWD"].as_str().is_some_and(|c| !c.is_empty()), "{d}");
    server.state.record_failed_reload();
    let (status, body) = server.get("/api/v1/status/runtimeinfo").await;
    assert_eq!(data(status, &body)["reloadConfigSuccess"], false);
}

#[tokio::test]
async fn config_and_flags() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/status/config").await;
    assert_eq!(data(status, &body), &json!({"yaml": CONFIG_YAML}));
    let (status, body) = server.get("/api/v1/status/flags").await;
    assert_eq!(
        data(status, &body),
        &json!({"query.timeout": "2m", "web.listen-address": "127.0.0.1:9090"})
    );
}

#[tokio::test]
async fn tsdb_cardinality() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/status/tsdb?limit=2").await;
    assert_eq!(
        data(status, &body),
        &json!({
            "headStats": {
                "numSeries": 3, "numLabelPairs": 7, "chunkCount": 0,
                "minTime": 0, "maxTime": 120_000,
            },
            "seriesCountByMetricName": [
                {"name": "up", "value": 2}, {"name": "http_requests_total", "value": 1},
            ],
            "labelValueCountByLabelName": [
                {"name": "__name__", "value": 2}, {"name": "instance", "value": 2},
            ],
            "memoryInBytesByLabelName": [
                {"name": "__name__", "value": 23}, {"name": "instance", "value": 12},
            ],
            "seriesCountByLabelValuePair": [
                {"name": "__name__=up", "value": 2}, {"name": "job=node", "value": 2},
            ],
        })
    );
    let (status, body) = server.get("/api/v1/status/tsdb").await;
    assert_eq!(
        data(status, &body)["seriesCountByLabelValuePair"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    assert_error(
        &server.get("/api/v1/status/tsdb?limit=x").await,
        400,
        "bad_data",
        "limit",
    );
}

#[test]
fn top_orders_by_count_then_name() {
    let counts = HashMap::from([
        ("b".to_owned(), 2),
        ("a".to_owned(), 2),
        ("c".to_owned(), 5),
    ]);
    assert_eq!(
        top(&counts, 2),
        json!([{"name": "c", "value": 5}, {"name": "a", "value": 2}])
    );
}
