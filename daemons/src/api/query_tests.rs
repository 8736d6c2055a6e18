use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use proptest::prelude::*;
use query::promql::EngineOptions;
use serde_json::json;

use super::super::test_support::{TestOptions, TestServer, assert_error, data, request};
use super::*;

#[tokio::test]
async fn instant_vector_shape() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/query?query=up&time=120").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "up", "instance": "a:9100", "job": "node"}, "value": [120, "1"]},
            {"metric": {"__name__": "up", "instance": "b:9100", "job": "node"}, "value": [120, "0"]},
        ]}})
    );
}

#[tokio::test]
async fn scalar_string_and_rfc3339_time() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/query?query=1%2B1&time=1970-01-01T00:02:00.5%2B00:00")
        .await;
    assert_eq!(
        data(status, &body),
        &json!({"resultType": "scalar", "result": [120.5, "2"]})
    );
    let (status, body) = server.get("/api/v1/query?query=%22hi%22&time=3").await;
    assert_eq!(
        data(status, &body),
        &json!({"resultType": "string", "result": [3, "hi"]})
    );
}

#[tokio::test]
async fn range_matrix_shape() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/query_range?query=up%7Binstance%3D%22b:9100%22%7D&start=30&end=60&step=15s")
        .await;
    assert_eq!(
        data(status, &body),
        &json!({"resultType": "matrix", "result": [
            {"metric": {"__name__": "up", "instance": "b:9100", "job": "node"},
             "values": [[30, "1"], [45, "1"], [60, "0"]]},
        ]})
    );
}

#[tokio::test]
async fn get_post_and_mixed_parameters_agree() {
    let server = TestServer::new();
    let query = "sum(http_requests_total)";
    let (s1, via_get) = server
        .get("/api/v1/query?query=sum(http_requests_total)&time=60")
        .await;
    let (s2, via_post) = server
        .post_form("/api/v1/query", &format!("query={query}&time=60"))
        .await;
    let (s3, mixed) = server
        .post_form("/api/v1/query?time=60", &format!("query={query}"))
        .await;
    // The body wins over the URL, as Go's FormValue.
    let (s4, body_first) = server
        .post_form(
            "/api/v1/query?time=1&query=up",
            &format!("query={query}&time=60"),
        )
        .await;
    assert_eq!(data(s1, &via_get)["result"][0]["value"], json!([60, "40"]));
    for (s, other) in [(s2, &via_post), (s3, &mixed), (s4, &body_first)] {
        assert_eq!(s, StatusCode::OK);
        assert_eq!(other, &via_get);
    }
    let (s, range) = server
        .post_form(
            "/api/v1/query_range?step=60",
            "query=up&start=0&end=120&stats=all",
        )
        .await;
    assert_eq!(data(s, &range)["result"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn warnings_and_infos_ride_beside_the_data() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/query?query=rate(up%5B1m%5D)&time=120")
        .await;
    assert_eq!(status, StatusCode::OK);
    let infos = body["infos"].as_array().cloned().unwrap_or_default();
    assert!(
        infos.iter().any(|i| i
            .as_str()
            .is_some_and(|s| s.contains("might not be a counter"))),
        "{body}"
    );
    assert!(
        body.get("warnings").is_none(),
        "empty arrays are left out: {body}"
    );
}

#[tokio::test]
async fn bad_data_errors() {
    let server = TestServer::new();
    let cases = [
        ("/api/v1/query", r#"invalid parameter "query": "#),
        (
            "/api/v1/query?query=rate(up)",
            r#"invalid parameter "query": "#,
        ),
        (
            "/api/v1/query?query=up&time=x",
            r#"invalid parameter "time": Invalid time value for 'time': cannot parse "x""#,
        ),
        (
            "/api/v1/query?query=up&timeout=soon",
            r#"invalid parameter "timeout": cannot parse "soon" to a valid duration"#,
        ),
        (
            "/api/v1/query_range?query=up&end=1&step=1",
            r#"invalid parameter "start": cannot parse "" to a valid timestamp"#,
        ),
        (
            "/api/v1/query_range?query=up&start=2&end=1&step=1",
            r#"invalid parameter "end": end timestamp must not be before start time"#,
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=1",
            r#"invalid parameter "step": cannot parse "" to a valid duration"#,
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=1&step=-5",
            "zero or negative query resolution step widths are not accepted",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=11001&step=1",
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ),
        (
            "/api/v1/query_range?query=up%5B5m%5D&start=0&end=10&step=1",
            "invalid expression type \"range vector\" for range query",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=0&step=0.0001",
            "shorter than a millisecond",
        ),
    ];
    for (uri, needle) in cases {
        assert_error(&server.get(uri).await, 400, "bad_data", needle);
    }
    // 11,000 points exactly are allowed.
    let (status, _) = server
        .get("/api/v1/query_range?query=up&start=0&end=11000&step=1")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn execution_errors_are_422() {
    let server = TestServer::new();
    let duplicate =
        "/api/v1/query?query=label_replace(up,%22instance%22,%22x%22,%22%22,%22%22)&time=120";
    assert_error(
        &server.get(duplicate).await,
        422,
        "execution",
        "same labelset",
    );
    let small = TestServer::with(TestOptions {
        engine: EngineOptions {
            max_samples: 2,
            ..EngineOptions::default()
        },
        ..TestOptions::default()
    });
    assert_error(
        &small.get("/api/v1/query?query=up%5B2m%5D&time=120").await,
        422,
        "execution",
        "query processing would load too many samples into memory",
    );
}

#[tokio::test]
async fn waiting_for_a_slot_counts_against_the_timeout() {
    let server = TestServer::with(TestOptions {
        max_concurrent_queries: 1,
        ..TestOptions::default()
    });
    let held = server.state.query_slots.clone().acquire_owned().await;
    assert!(held.is_ok());
    assert_error(
        &server.get("/api/v1/query?query=up&timeout=0.05").await,
        503,
        "timeout",
        "query timed out in query queue",
    );
}

#[tokio::test]
async fn a_closed_queue_cancels() {
    let server = TestServer::new();
    server.state.query_slots.close();
    assert_error(
        &server.get("/api/v1/query?query=up").await,
        499,
        "canceled",
        "query was canceled",
    );
}

#[test]
fn a_dropped_guard_cancels_its_token() {
    let token = CancelToken::default();
    drop(CancelOnDrop(Some(token.clone())));
    assert!(token.is_canceled());
    let kept = CancelToken::default();
    let mut guard = CancelOnDrop(Some(kept.clone()));
    guard.0 = None;
    drop(guard);
    assert!(!kept.is_canceled());
}

#[tokio::test]
async fn internal_errors_hide_their_detail() {
    let response = ApiError::internal("disk /secret/path failed").into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    let text = bytes
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    assert!(text.contains(r#""errorType":"internal""#), "{text}");
    assert!(!text.contains("secret"), "{text}");
    assert_eq!(
        query_error(
            QueryError::Storage(model::StorageError::msg("boom")),
            QueryKind::Instant
        )
        .kind,
        ErrorKind::Internal
    );
}

#[test]
fn timeout_parameter_is_capped_by_the_engine() {
    let options = EngineOptions {
        timeout: Duration::from_secs(10),
        ..EngineOptions::default()
    };
    let settings = |q: &str| QuerySettings::from_params(&Params::from_query(q), &options);
    assert_eq!(
        settings("timeout=1m").map(|s| s.timeout),
        Ok(Duration::from_secs(10))
    );
    assert_eq!(
        settings("timeout=2.5").map(|s| s.timeout),
        Ok(Duration::from_millis(2500))
    );
    assert_eq!(
        settings("timeout=-1").map(|s| s.timeout),
        Ok(Duration::ZERO)
    );
    assert_eq!(
        settings("lookback_delta=1m").map(|s| s.lookback_delta_ms),
        Ok(60_000)
    );
    assert_eq!(
        settings("lookback_delta=0").map(|s| s.lookback_delta_ms),
        Ok(300_000)
    );
    assert!(settings("lookback_delta=x").is_err());
}

#[tokio::test]
async fn exemplars_validate_then_answer_empty() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/query_exemplars?query=up&start=0&end=10")
        .await;
    assert_eq!(data(status, &body), &json!([]));
    assert_error(
        &server
            .get("/api/v1/query_exemplars?query=up&start=10&end=0")
            .await,
        400,
        "bad_data",
        "end timestamp must not be before start timestamp",
    );
    assert_error(
        &server.get("/api/v1/query_exemplars?start=0").await,
        400,
        "bad_data",
        "no expression",
    );
    let formatted = server
        .json(request(
            Method::POST,
            "/api/v1/format_query?query=sum%28rate%28up%5B5m%5D%29%29by%28job%29",
            None,
        ))
        .await;
    assert_eq!(formatted.0, 200, "{}", formatted.1);
    assert_eq!(formatted.1["data"], "sum by (job) (rate(up[5m]))");
    assert_error(
        &server.get("/api/v1/format_query?query=sum%28").await,
        400,
        "bad_data",
        "invalid parameter \"query\"",
    );
}

/// Parameter values drawn from a vocabulary of valid, odd and broken pieces.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("up".to_owned()),
        Just("rate(up[1m])".to_owned()),
        Just("sum by (job) (up)".to_owned()),
        Just("1e400".to_owned()),
        Just("-1".to_owned()),
        Just("NaN".to_owned()),
        Just("2015-07-01T20:10:51.781Z".to_owned()),
        Just("1m".to_owned()),
        Just("0".to_owned()),
        Just("{__name__=~\".*\"}".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ]
}

fn encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the parameters, the query endpoints answer 200, 400 or 422, never a 5xx, except
    /// the 503 `timeout` Prometheus also gives when a `timeout` parameter (e.g. `0`) expires.
    #[test]
    fn bad_input_never_fails_the_server(
        path in prop_oneof![
            Just("/api/v1/query"), Just("/api/v1/query_range"), Just("/api/v1/series"),
            Just("/api/v1/labels"), Just("/api/v1/label/job/values"),
        ],
        params in proptest::collection::vec(
            (prop_oneof![
                Just("query"), Just("time"), Just("start"), Just("end"), Just("step"),
                Just("timeout"), Just("match[]"), Just("limit"), Just("lookback_delta"),
            ], param_value()),
            0..6,
        ),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let server = TestServer::new();
        let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={}", encode(v))).collect();
        let uri = format!("{path}?{}", query.join("&"));
        let (status, body) = runtime.block_on(server.get(&uri));
        let timed_out = status.as_u16() == 503 && body["errorType"] == "timeout";
        prop_assert!(
            [200, 400, 422].contains(&status.as_u16()) || timed_out,
            "{uri} → {status} {body}"
        );
    }
}
