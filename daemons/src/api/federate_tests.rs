use axum::http::{Method, StatusCode};
use model::STALE_NAN;

use super::super::test_support::{TestServer, request};
use super::*;

#[tokio::test]
async fn latest_samples_grouped_with_external_labels() {
    let server = TestServer::new();
    let now = now_ms();
    let (t1, t2) = (now - 10_000, now - 5_000);
    server.append(
        &[("__name__", "fed_metric"), ("instance", "i1"), ("job", "j")],
        &[(t1 - 1_000, 7.0), (t1, 1.5)],
    );
    server.append(
        &[("__name__", "fed_metric"), ("job", "j"), ("region", "us")],
        &[(t2, 1e6)],
    );
    server.append(
        &[("__name__", "fed_other"), ("job", "j")],
        &[(t1, 3.0), (t2, STALE_NAN)],
    );
    server.append(
        &[("__name__", "fed_old"), ("job", "j")],
        &[(now - 600_000, 1.0)],
    );
    server.append(
        &[("__name__", "fed_quote"), ("path", "a\"b\\c\nd")],
        &[(t1, f64::INFINITY)],
    );
    let uri = "/federate?match[]=%7B__name__%3D~%22fed_.*%22%7D&match[]=fed_metric";
    let (status, content_type, body) = server.send(request(Method::GET, uri, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let expected = format!(
        "# TYPE fed_metric untyped\n\
         fed_metric{{instance=\"i1\",job=\"j\",region=\"eu\"}} 1.5 {t1}\n\
         fed_metric{{job=\"j\",region=\"us\",instance=\"\"}} 1e+06 {t2}\n\
         # TYPE fed_quote untyped\n\
         fed_quote{{path=\"a\\\"b\\\\c\\nd\",instance=\"\",region=\"eu\"}} +Inf {t1}\n"
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn errors_are_plain_text() {
    let server = TestServer::new();
    let (status, _, body) = server.send(request(Method::GET, "/federate", None)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "no match[] parameter provided\n")
    );
    let (status, _, body) = server
        .send(request(Method::POST, "/federate", Some("match[]=up%7B")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("parse error"), "{body}");
    // Old data only: an empty, successful answer.
    let (status, _, body) = server
        .send(request(Method::GET, "/federate?match[]=up", None))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
}

#[test]
fn floats_as_go_formats_them() {
    let cases = [
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (123_456.0, "123456"),
        (1_234_567.0, "1.234567e+06"),
        (16_615_862_272.0, "1.6615862272e+10"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e-300, "1e-300"),
        (1e100, "1e+100"),
        (-2.5e-7, "-2.5e-07"),
        (0.0, "0"),
        (-0.0, "-0"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
    ];
    for (v, text) in cases {
        assert_eq!(format_go_float(v), text, "{v}");
    }
}
