use axum::http::{Method, StatusCode};
use serde_json::json;

use super::super::test_support::{TestOptions, TestServer, assert_error, data, request};

fn admin_server() -> TestServer {
    TestServer::with(TestOptions {
        admin_api: true,
        ..TestOptions::default()
    })
}

#[tokio::test]
async fn disabled_admin_api_answers_as_prometheus() {
    let server = TestServer::new();
    for path in ["delete_series?match[]=up", "clean_tombstones", "snapshot"] {
        for method in [Method::POST, Method::PUT] {
            let uri = format!("/api/v1/admin/tsdb/{path}");
            let answer = server.json(request(method, &uri, None)).await;
            assert_error(&answer, 500, "unavailable", "admin APIs disabled");
        }
    }
}

#[tokio::test]
async fn delete_series_hides_the_deleted_range() {
    let server = admin_server();
    let (status, body) = server
        .post_form(
            "/api/v1/admin/tsdb/delete_series",
            "match[]=up%7Binstance%3D%22b:9100%22%7D&start=60&end=120",
        )
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, json!(null)));
    let (status, body) = server
        .get("/api/v1/query_range?query=up%7Binstance%3D%22b:9100%22%7D&start=0&end=120&step=30")
        .await;
    // The zeros from 60 s on are gone; the lookback finds the 1 at 45 s instead.
    assert_eq!(
        data(status, &body)["result"][0]["values"],
        json!([[0, "1"], [30, "1"], [60, "1"], [90, "1"], [120, "1"]])
    );
    let answer = server
        .json(request(
            Method::PUT,
            "/api/v1/admin/tsdb/delete_series?match[]=http_requests_total",
            None,
        ))
        .await;
    assert_eq!(answer.0, StatusCode::NO_CONTENT);
    let (status, body) = server
        .get("/api/v1/query?query=http_requests_total&time=120")
        .await;
    assert_eq!(data(status, &body)["result"], json!([]));
}

#[tokio::test]
async fn delete_series_errors() {
    let server = admin_server();
    assert_error(
        &server
            .post_form("/api/v1/admin/tsdb/delete_series", "")
            .await,
        400,
        "bad_data",
        "no match[] parameter provided",
    );
    assert_error(
        &server
            .post_form("/api/v1/admin/tsdb/delete_series", "match[]=up%7B")
            .await,
        400,
        "bad_data",
        r#"invalid parameter "match[]""#,
    );
    assert_error(
        &server
            .post_form("/api/v1/admin/tsdb/delete_series", "match[]=up&end=never")
            .await,
        400,
        "bad_data",
        r#"invalid parameter "end""#,
    );
}

#[tokio::test]
async fn unsupported_admin_calls_say_so() {
    let server = admin_server();
    for path in ["clean_tombstones", "snapshot"] {
        let uri = format!("/api/v1/admin/tsdb/{path}");
        let answer = server.json(request(Method::POST, &uri, None)).await;
        assert_error(&answer, 501, "unavailable", "is not supported by tsdbd");
    }
}
