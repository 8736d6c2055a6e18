use axum::body::Body;
use axum::http::{Method, Request, header};
use proptest::prelude::*;

use super::*;

async fn extract(request: Request<Body>) -> Params {
    Params::from_request(request, &())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request(method: Method, uri: &str, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(t) = content_type {
        builder = builder.header(header::CONTENT_TYPE, t);
    }
    builder
        .body(Body::from(body.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn decodes_like_a_form() {
    let p =
        Params::from_query("query=sum(rate(x%5B5m%5D))+by+(job)&match%5B%5D=a&match[]=b&e=&flag");
    assert_eq!(p.value("query"), "sum(rate(x[5m])) by (job)");
    assert_eq!(p.values("match[]"), ["a", "b"]);
    assert_eq!(p.value("e"), "");
    assert_eq!(p.value("flag"), "");
    assert_eq!(p.value("absent"), "");
    // A broken escape is kept as written.
    assert_eq!(Params::from_query("q=100%&r=%zz%4").value("q"), "100%");
    assert_eq!(Params::from_query("r=%zz%4").value("r"), "%zz%4");
    assert_eq!(Params::from_query("r=%+1").value("r"), "% 1");
}

#[tokio::test]
async fn body_values_come_before_url_values() {
    let p = extract(request(
        Method::POST,
        "/q?query=url&time=1&match[]=u",
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        "query=body&match[]=b",
    ))
    .await;
    assert_eq!(p.value("query"), "body");
    assert_eq!(p.value("time"), "1");
    assert_eq!(p.values("match[]"), ["b", "u"]);
}

#[tokio::test]
async fn bodies_of_other_types_or_methods_are_not_read() {
    let p = extract(request(Method::POST, "/q?a=1", Some("text/plain"), "a=2")).await;
    assert_eq!(p.value("a"), "1");
    let p = extract(request(
        Method::GET,
        "/q?a=1",
        Some("application/x-www-form-urlencoded"),
        "a=2",
    ))
    .await;
    assert_eq!(p.values("a"), ["1"]);
}

#[test]
fn time_parameters() {
    let p = Params::from_query("time=10.5&bad=x");
    assert_eq!(p.time_or("time", 7), Ok(10_500));
    assert_eq!(p.time_or("missing", 7), Ok(7));
    assert_eq!(
        p.time_or("bad", 7).map_err(|e| e.message),
        Err(r#"invalid parameter "bad": Invalid time value for 'bad': cannot parse "x" to a valid timestamp"#.into())
    );
}

#[test]
fn limits() {
    assert_eq!(Params::from_query("").limit(), Ok(0));
    assert_eq!(Params::from_query("limit=40000").limit(), Ok(40_000));
    assert_eq!(
        Params::from_query("limit=-1")
            .limit()
            .map_err(|e| e.message),
        Err(r#"invalid parameter "limit": limit must be non-negative"#.into())
    );
    assert!(Params::from_query("limit=ten").limit().is_err());
}

#[test]
fn matcher_sets_refuse_selectors_matching_everything() {
    let p = Params::from_query("match[]=up&match[]=%7Bjob%3D%22node%22%7D");
    assert_eq!(p.matcher_sets().map(|s| s.len()), Ok(2));
    assert!(
        Params::from_query("")
            .matcher_sets()
            .is_ok_and(|s| s.is_empty())
    );
    let p = Params::from_query("match[]=up&match[]=%7B");
    assert!(p.matcher_sets().is_err_and(|e| e.contains("parse error")));
}

proptest! {
    /// Percent-encoding any text and decoding it gives the text back.
    #[test]
    fn encoded_values_round_trip(value in "\\PC{0,30}") {
        let encoded: String = value
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let p = Params::from_query(&format!("v={encoded}"));
        prop_assert_eq!(p.value("v"), value.as_str());
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
        let _ = parse_urlencoded(&bytes);
    }
}
