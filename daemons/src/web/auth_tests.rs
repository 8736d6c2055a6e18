use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower::ServiceExt;

use super::*;
use crate::web::WebConfig;

/// "user:password" in base64, as a client sends it.
fn basic(credentials: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("Basic ");
    for chunk in credentials.as_bytes().chunks(3) {
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            n |= u32::from(*b) << (16 - 8 * i);
        }
        for i in 0..4 {
            let c = if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
            out.push(char::from(c));
        }
    }
    out
}

fn users() -> BTreeMap<String, String> {
    let hash = |p: &str| bcrypt::hash(p, 4).unwrap_or_else(|e| panic!("{e}"));
    BTreeMap::from([
        ("alice".to_owned(), hash("wonderland")),
        ("bob".to_owned(), hash("builder:with:colons")),
    ])
}

fn app(auth: Arc<BasicAuth>) -> Router {
    Router::new()
        .route("/api/v1/query", get(|| async { "ok" }))
        .layer(from_fn_with_state(auth, require_basic_auth))
}

async fn call(app: &Router, authorization: Option<&str>) -> (u16, Option<String>, String) {
    let mut request = Request::builder().uri("/api/v1/query");
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let request = request
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app
        .clone()
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("WWW-Authenticate")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn without_users_every_request_passes() {
    let app = app(Arc::new(BasicAuth::new(BTreeMap::new())));
    assert_eq!(call(&app, None).await.0, 200);
    assert_eq!(call(&app, Some("Basic !!!")).await.0, 200);
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_and_right_ones_200() {
    let app = app(Arc::new(BasicAuth::new(users())));
    let unauthorized = (401, Some("Basic".to_owned()), "Unauthorized\n".to_owned());
    for refused in [
        None,
        Some(basic("alice:wrong")),
        Some(basic("alice:")),
        Some(basic("mallory:wonderland")),
        Some(basic("alicewonderland")),
        Some("Bearer abc".to_owned()),
        Some("Basic not-base64!".to_owned()),
        Some(basic("bob:builder")),
    ] {
        assert_eq!(
            call(&app, refused.as_deref()).await,
            unauthorized,
            "{refused:?}"
        );
    }
    assert_eq!(call(&app, Some(&basic("alice:wonderland"))).await.0, 200);
    // The password is everything after the first colon; the scheme is case-insensitive.
    let bob = basic("bob:builder:with:colons").replacen("Basic", "bAsIc", 1);
    assert_eq!(call(&app, Some(&bob)).await.0, 200);
}

#[tokio::test]
async fn a_right_password_is_checked_with_bcrypt_once() {
    let auth = Arc::new(BasicAuth::new(users()));
    let app = app(Arc::clone(&auth));
    let right = basic("alice:wonderland");
    for _ in 0..5 {
        assert_eq!(call(&app, Some(&right)).await.0, 200);
    }
    assert_eq!(auth.bcrypt_runs(), 1);
    // A wrong password is cached as wrong, and does not poison the right one.
    for _ in 0..3 {
        assert_eq!(call(&app, Some(&basic("alice:nope"))).await.0, 401);
    }
    assert_eq!(auth.bcrypt_runs(), 2);
    assert_eq!(call(&app, Some(&right)).await.0, 200);
    // An unknown user costs a bcrypt run every time and is never cached.
    for _ in 0..2 {
        assert_eq!(call(&app, Some(&basic("mallory:x"))).await.0, 401);
    }
    assert_eq!(auth.bcrypt_runs(), 4);
}

#[test]
fn the_cache_stays_bounded() {
    let mut cache = OutcomeCache::new(4);
    for i in 0..10u64 {
        cache.insert(("alice".to_owned(), [i, 0]), i % 2 == 0);
        assert!(cache.len() <= 4);
        assert_eq!(cache.get(&("alice".to_owned(), [i, 0])), Some(i % 2 == 0));
    }
    // Replacing an entry of a full cache evicts nothing else.
    cache.insert(("alice".to_owned(), [9, 0]), true);
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.get(&("alice".to_owned(), [9, 0])), Some(true));
}

#[tokio::test]
async fn web_config_wrap_adds_auth_and_headers_to_every_response() {
    let hash = bcrypt::hash("pw", 4).unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "basic_auth_users:\n  u: {hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    );
    let config = WebConfig::parse(&text, Path::new("web.yml")).unwrap_or_else(|e| panic!("{e}"));
    let app = config.wrap(Router::new().route("/x", get(|| async { "x" })));
    for (authorization, status) in [(None, 401), (Some(basic("u:pw")), 200)] {
        let mut request = Request::builder().uri("/x");
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        let request = request
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response
                .headers()
                .get("X-Frame-Options")
                .map(|v| v.as_bytes()),
            Some(&b"deny"[..])
        );
    }
}

#[test]
fn basic_credentials_parse_strictly() {
    let parse = |v: &str| parse_basic(&HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(parse(&basic("a:b")), Some(("a".to_owned(), b"b".to_vec())));
    assert_eq!(parse(&basic(":")), Some((String::new(), Vec::new())));
    assert_eq!(parse(&basic("nocolon")), None);
    assert_eq!(parse("Basic"), None);
    assert_eq!(parse("Digest abc"), None);
    assert_eq!(parse("Basic YQ=x"), None);
}
