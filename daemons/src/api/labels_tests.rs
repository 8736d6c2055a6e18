use axum::http::StatusCode;
use serde_json::json;

use super::super::test_support::{TestServer, assert_error, data};
use super::*;

#[tokio::test]
async fn series_by_selectors_unioned_and_sorted() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/series?match[]=up%7Binstance%3D%22b:9100%22%7D&match[]=http_requests_total&match[]=up%7Bjob%3D%22node%22%7D")
        .await;
    assert_eq!(
        data(status, &body),
        &json!([
            {"__name__": "http_requests_total", "code": "200", "job": "api"},
            {"__name__": "up", "instance": "a:9100", "job": "node"},
            {"__name__": "up", "instance": "b:9100", "job": "node"},
        ])
    );
    assert!(body.get("warnings").is_none());
}

#[tokio::test]
async fn series_by_post_form_with_time_range_and_limit() {
    let server = TestServer::new();
    // Only series with samples in range count: nothing lies beyond 120 s.
    let (status, body) = server
        .post_form(
            "/api/v1/series",
            "match[]=%7Bjob%3D~%22.%2B%22%7D&start=121&end=500",
        )
        .await;
    assert_eq!(data(status, &body), &json!([]));
    let (status, body) = server
        .post_form("/api/v1/series?limit=1", "match[]=up")
        .await;
    assert_eq!(
        data(status, &body),
        &json!([{"__name__": "up", "instance": "a:9100", "job": "node"}])
    );
    assert_eq!(body["warnings"], json!(["results truncated due to limit"]));
}

#[tokio::test]
async fn series_errors() {
    let server = TestServer::new();
    assert_error(
        &server.get("/api/v1/series").await,
        400,
        "bad_data",
        "no match[] parameter provided",
    );
    assert_error(
        &server.get("/api/v1/series?match[]=up%7B").await,
        400,
        "bad_data",
        r#"invalid parameter "match[]": 1:4: parse error"#,
    );
    assert_error(
        &server.get("/api/v1/series?match[]=%7Ba%3D%22%22%7D").await,
        400,
        "bad_data",
        "at least one non-empty matcher",
    );
    assert_error(
        &server.get("/api/v1/series?match[]=up&limit=-3").await,
        400,
        "bad_data",
        r#"invalid parameter "limit": limit must be non-negative"#,
    );
    assert_error(
        &server
            .get("/api/v1/series?match[]=up&start=yesterday")
            .await,
        400,
        "bad_data",
        r#"invalid parameter "start": Invalid time value for 'start'"#,
    );
}

#[tokio::test]
async fn label_names_with_and_without_selectors() {
    let server = TestServer::new();
    let (status, body) = server.get("/api/v1/labels").await;
    assert_eq!(
        data(status, &body),
        &json!(["__name__", "code", "instance", "job"])
    );
    let (status, body) = server
        .get("/api/v1/labels?match[]=http_requests_total&match[]=up%7Binstance%3D%22a:9100%22%7D")
        .await;
    assert_eq!(
        data(status, &body),
        &json!(["__name__", "code", "instance", "job"])
    );
    let (status, body) = server
        .post_form("/api/v1/labels", "match[]=up&limit=2")
        .await;
    assert_eq!(data(status, &body), &json!(["__name__", "instance"]));
    assert_eq!(body["warnings"], json!(["results truncated due to limit"]));
    assert_error(
        &server.get("/api/v1/labels?match[]=%7B").await,
        400,
        "bad_data",
        "parse error",
    );
}

#[tokio::test]
async fn label_values_as_grafana_asks() {
    let server = TestServer::new();
    let (status, body) = server
        .get("/api/v1/label/__name__/values?limit=40000")
        .await;
    assert_eq!(data(status, &body), &json!(["http_requests_total", "up"]));
    assert!(body.get("warnings").is_none());
    let (status, body) = server
        .get("/api/v1/label/instance/values?match[]=up&start=0&end=1970-01-01T00:02:00Z")
        .await;
    assert_eq!(data(status, &body), &json!(["a:9100", "b:9100"]));
    let (status, body) = server.get("/api/v1/label/nothing/values").await;
    assert_eq!(data(status, &body), &json!([]));
    let (status, body) = server.get("/api/v1/label/job/values?limit=1").await;
    assert_eq!(data(status, &body), &json!(["api"]));
    assert_eq!(body["warnings"], json!(["results truncated due to limit"]));
}

#[tokio::test]
async fn escaped_and_invalid_label_names() {
    let server = TestServer::new();
    // U__ escaping of a legacy name decodes to the name itself.
    let (status, body) = server.get("/api/v1/label/U__job/values").await;
    assert_eq!(data(status, &body), &json!(["api", "node"]));
    let (status, body) = server.get("/api/v1/label/U______name____/values").await;
    assert_eq!(data(status, &body), &json!(["http_requests_total", "up"]));
    assert_error(
        &server.get("/api/v1/label/U__my_2e_label/values").await,
        400,
        "bad_data",
        r#"invalid label name: "my.label""#,
    );
    assert_error(
        &server.get("/api/v1/label/1abc/values").await,
        400,
        "bad_data",
        r#"invalid label name: "1abc""#,
    );
    let (status, _) = server.get("/api/v1/label/job/values?match[]=%7B").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn unescapes_as_prometheus() {
    assert_eq!(unescape_name("U__my_2e_label"), Some("my.label".into()));
    assert_eq!(unescape_name("U__a__b"), Some("a_b".into()));
    assert_eq!(unescape_name("U___1F600_"), Some("😀".into()));
    assert_eq!(unescape_name("plain"), None);
    // Malformed escapes leave the name as written (None: keep it).
    assert_eq!(unescape_name("U__a_zz_"), None);
    assert_eq!(unescape_name("U__a_"), None);
    assert_eq!(unescape_name("U__a_1234567_"), None);
    assert_eq!(unescape_name("U___D800_"), None);
}
