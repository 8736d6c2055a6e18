use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use model::Labels;
use serde_json::json;

use super::super::test_support::{TestServer, assert_error, data};
use super::*;
use crate::scrape::status::PoolStatus;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
}

fn metadata(kind: &str, help: &str) -> MetricMetadata {
    MetricMetadata {
        kind: kind.into(),
        help: help.into(),
        unit: String::new(),
    }
}

/// Two pools: `node` with two targets (one scraped, one not yet) and a dropped target, and
/// `self` with tsdbd itself on the listen port.
fn install_targets(server: &TestServer) {
    let node_a = Arc::new(TargetHealth::new(
        labels(&[("__address__", "a:9100"), ("job", "node")]),
        labels(&[("instance", "a:9100"), ("job", "node")]),
        "http://a:9100/metrics".into(),
        Duration::from_secs(15),
        Duration::from_secs(10),
    ));
    node_a.record(
        UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
        Duration::from_millis(25),
        None,
    );
    node_a.set_metadata(BTreeMap::from([
        ("up".to_owned(), metadata("gauge", "Up.")),
        (
            "node_load1".to_owned(),
            metadata("gauge", "1m load average."),
        ),
    ]));
    let node_b = Arc::new(TargetHealth::new(
        labels(&[("__address__", "localhost:9100"), ("job", "node")]),
        labels(&[("instance", "localhost:9100"), ("job", "node")]),
        "http://localhost:9100/metrics".into(),
        Duration::from_secs(15),
        Duration::from_secs(10),
    ));
    node_b.set_metadata(BTreeMap::from([
        ("up".to_owned(), metadata("gauge", "Up.")),
        ("node_load1".to_owned(), metadata("gauge", "Load.")),
    ]));
    let own = Arc::new(TargetHealth::new(
        labels(&[("__address__", "127.0.0.1:9090"), ("job", "self")]),
        labels(&[("instance", "127.0.0.1:9090"), ("job", "self")]),
        "http://127.0.0.1:9090/prefix/metrics".into(),
        Duration::from_secs(60),
        Duration::from_millis(1500),
    ));
    own.record(
        UNIX_EPOCH + Duration::from_secs(5),
        Duration::from_secs(2),
        Some("connection refused".into()),
    );
    let status = &server.state.scrape_status;
    status.set_pool(
        "node",
        PoolStatus {
            active: vec![node_a, node_b],
            dropped: vec![labels(&[("__address__", "c:9100"), ("job", "node")])],
        },
    );
    status.set_pool(
        "self",
        PoolStatus {
            active: vec![own],
            dropped: Vec::new(),
        },
    );
}

#[tokio::test]
async fn targets_shape() {
    let server = TestServer::new();
    install_targets(&server);
    let (status, body) = server.get("/api/v1/targets?scrapePool=self").await;
    assert_eq!(
        data(status, &body),
        &json!({
            "activeTargets": [{
                "discoveredLabels": {"__address__": "127.0.0.1:9090", "job": "self"},
                "labels": {"instance": "127.0.0.1:9090", "job": "self"},
                "scrapePool": "self",
                "scrapeUrl": "http://127.0.0.1:9090/prefix/metrics",
                "globalUrl": "https://prom.example.com:8443/prefix/metrics",
                "lastError": "connection refused",
                "lastScrape": "1970-01-01T00:00:05Z",
                "lastScrapeDuration": 2.0,
                "health": "down",
                "scrapeInterval": "1m",
                "scrapeTimeout": "1s500ms",
            }],
            "droppedTargets": [],
            "droppedTargetCounts": {"node": 1, "self": 0},
        })
    );
}

#[tokio::test]
async fn targets_state_filter() {
    let server = TestServer::new();
    install_targets(&server);
    let (status, body) = server.get("/api/v1/targets?state=Dropped").await;
    let d = data(status, &body);
    assert_eq!(d["activeTargets"], json!([]));
    assert_eq!(
        d["droppedTargets"],
        json!([{"discoveredLabels": {"__address__": "c:9100", "job": "node"}, "scrapePool": "node"}])
    );
    let (status, body) = server.get("/api/v1/targets?state=active").await;
    let d = data(status, &body);
    assert_eq!(d["droppedTargets"], json!([]));
    assert_eq!(d["droppedTargetCounts"], json!(null));
    let active = d["activeTargets"].as_array().cloned().unwrap_or_default();
    assert_eq!(active.len(), 3);
    assert_eq!(active[0]["lastScrape"], "2023-11-14T22:13:20.123456789Z");
    assert_eq!(active[0]["health"], "up");
    assert_eq!(active[0]["globalUrl"], "http://a:9100/metrics");
    // Never scraped: Go's zero time and "unknown".
    assert_eq!(active[1]["lastScrape"], "0001-01-01T00:00:00Z");
    assert_eq!(active[1]["health"], "unknown");
    // Loopback on another port: the external host, the target's port.
    assert_eq!(
        active[1]["globalUrl"],
        "http://prom.example.com:9100/metrics"
    );
    let (status, body) = server.get("/api/v1/targets?state=bogus").await;
    assert_eq!(
        data(status, &body)["activeTargets"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn metadata_merges_targets_and_dedupes() {
    let server = TestServer::new();
    install_targets(&server);
    let (status, body) = server.get("/api/v1/metadata").await;
    assert_eq!(
        data(status, &body),
        &json!({
            "node_load1": [
                {"type": "gauge", "help": "1m load average.", "unit": ""},
                {"type": "gauge", "help": "Load.", "unit": ""},
            ],
            "up": [{"type": "gauge", "help": "Up.", "unit": ""}],
        })
    );
    let (status, body) = server
        .get("/api/v1/metadata?limit=1&limit_per_metric=1")
        .await;
    assert_eq!(
        data(status, &body),
        &json!({"node_load1": [{"type": "gauge", "help": "1m load average.", "unit": ""}]})
    );
    let (status, body) = server.get("/api/v1/metadata?metric=up").await;
    assert_eq!(data(status, &body).as_object().map(|o| o.len()), Some(1));
    let (status, body) = server.get("/api/v1/metadata?limit=0").await;
    assert_eq!(data(status, &body), &json!({}));
    assert_error(
        &server.get("/api/v1/metadata?limit=x").await,
        400,
        "bad_data",
        "limit must be a number",
    );
}

#[tokio::test]
async fn target_metadata_filters() {
    let server = TestServer::new();
    install_targets(&server);
    let (status, body) = server
        .get("/api/v1/targets/metadata?match_target=%7Binstance%3D%22a:9100%22%7D&metric=up")
        .await;
    assert_eq!(
        data(status, &body),
        &json!([{"target": {"instance": "a:9100", "job": "node"}, "type": "gauge", "help": "Up.", "unit": ""}])
    );
    let (status, body) = server.get("/api/v1/targets/metadata?limit=1").await;
    let d = data(status, &body);
    assert_eq!(d.as_array().map(Vec::len), Some(1));
    assert_eq!(d[0]["metric"], "node_load1");
    assert_error(
        &server
            .get("/api/v1/targets/metadata?match_target=%7B")
            .await,
        400,
        "bad_data",
        r#"invalid parameter "match_target""#,
    );
}

#[test]
fn splits_hosts_and_ports() {
    assert_eq!(split_host_port("a:9100"), ("a", "9100"));
    assert_eq!(split_host_port("[::1]:9090"), ("::1", "9090"));
    assert_eq!(split_host_port("[::1]"), ("::1", ""));
    assert_eq!(split_host_port("host"), ("host", ""));
}
