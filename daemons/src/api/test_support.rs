//! A [`TsdbState`] over a temporary database with a small fixed dataset, and helpers to send
//! requests through [`super::router`] in-process.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use model::Labels;
use query::promql::{Engine, EngineOptions};
use serde_json::Value as Json;
use tower::ServiceExt;
use tsdb_core::{Db, Options};

use crate::config::Config;
use crate::scrape::status::ScrapeStatus;
use crate::tsdbd::metrics::Metrics;
use crate::tsdbd::state::{LoadedConfig, StateParts, TsdbState, WebFeatures};

/// The configuration every test state loads.
pub(crate) const CONFIG_YAML: &str = "global:\n  external_labels:\n    region: eu\n";

/// One series of the test dataset: its labels and its `(t ms, value)` samples.
pub(crate) type TestSeries = (Vec<(&'static str, &'static str)>, Vec<(i64, f64)>);

/// The fixed dataset. Samples every 15 s from 0 to 120 s.
pub(crate) fn dataset() -> Vec<TestSeries> {
    let every_15s = |f: fn(i64) -> f64| (0..=8).map(|i| (i * 15_000, f(i))).collect::<Vec<_>>();
    vec![
        (
            vec![("__name__", "up"), ("instance", "a:9100"), ("job", "node")],
            every_15s(|_| 1.0),
        ),
        (
            vec![("__name__", "up"), ("instance", "b:9100"), ("job", "node")],
            every_15s(|i| if i < 4 { 1.0 } else { 0.0 }),
        ),
        (
            vec![
                ("__name__", "http_requests_total"),
                ("code", "200"),
                ("job", "api"),
            ],
            every_15s(|i| (i * 10) as f64),
        ),
    ]
}

/// A test server: the state, and the directory its database lives in.
pub(crate) struct TestServer {
    pub(crate) state: Arc<TsdbState>,
    _dir: tempfile::TempDir,
}

/// What a test may change about the server.
#[derive(Debug, Clone)]
pub(crate) struct TestOptions {
    pub(crate) admin_api: bool,
    pub(crate) engine: EngineOptions,
    pub(crate) max_concurrent_queries: usize,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            admin_api: false,
            engine: EngineOptions::default(),
            max_concurrent_queries: 4,
        }
    }
}

impl TestServer {
    /// A server holding [`dataset`].
    pub(crate) fn new() -> Self {
        Self::with(TestOptions::default())
    }

    /// A server holding [`dataset`], set up as `options` says.
    pub(crate) fn with(options: TestOptions) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = Db::open(
            dir.path(),
            Options {
                compact_on_commit: false,
                retention_ms: None,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("open db: {e}"));
        let server = TestServer {
            state: state_over(Arc::new(db), options),
            _dir: dir,
        };
        for (labels, samples) in dataset() {
            server.append(&labels, &samples);
        }
        server
    }

    /// Appends samples to one series.
    pub(crate) fn append(&self, labels: &[(&str, &str)], samples: &[(i64, f64)]) {
        let labels =
            Labels::from_pairs(labels.iter().copied()).unwrap_or_else(|e| panic!("labels: {e}"));
        let mut app = self.state.db.appender();
        for &(t, v) in samples {
            app.append(&labels, t, v)
                .unwrap_or_else(|e| panic!("append: {e}"));
        }
        app.commit().unwrap_or_else(|e| panic!("commit: {e}"));
    }

    /// Sends `request` through the router: status, content type and body text.
    pub(crate) async fn send(&self, request: Request<Body>) -> (StatusCode, String, String) {
        let response = super::router()
            .with_state(Arc::clone(&self.state))
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("body: {e}"));
        let text = String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("utf-8: {e}"));
        (status, content_type, text)
    }

    /// `GET uri`: status and JSON body.
    pub(crate) async fn get(&self, uri: &str) -> (StatusCode, Json) {
        self.json(request(Method::GET, uri, None)).await
    }

    /// `POST uri` with a form body: status and JSON body.
    pub(crate) async fn post_form(&self, uri: &str, form: &str) -> (StatusCode, Json) {
        self.json(request(Method::POST, uri, Some(form))).await
    }

    /// Sends `request`, parsing the answer as JSON (`Json::Null` for an empty body).
    pub(crate) async fn json(&self, request: Request<Body>) -> (StatusCode, Json) {
        let (status, _, text) = self.send(request).await;
        if text.is_empty() {
            return (status, Json::Null);
        }
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {status} {text}"));
        (status, json)
    }
}

/// A request; with `form`, a form-encoded body.
pub(crate) fn request(method: Method, uri: &str, form: Option<&str>) -> Request<Body> {
    let builder = Request::builder().method(method).uri(uri);
    let result = match form {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned())),
        None => builder.body(Body::empty()),
    };
    result.unwrap_or_else(|e| panic!("request {uri}: {e}"))
}

fn state_over(db: Arc<Db>, options: TestOptions) -> Arc<TsdbState> {
    let config =
        Config::parse(CONFIG_YAML, Path::new("test.yml")).unwrap_or_else(|e| panic!("config: {e}"));
    let flags = BTreeMap::from([
        ("web.listen-address".to_owned(), "127.0.0.1:9090".to_owned()),
        ("query.timeout".to_owned(), "2m".to_owned()),
    ]);
    let (state, _requests) = TsdbState::new(StateParts {
        db,
        engine: Engine::new(options.engine),
        max_concurrent_queries: options.max_concurrent_queries,
        flags,
        web: WebFeatures {
            admin_api: options.admin_api,
            external_url: "https://prom.example.com:8443/prefix".to_owned(),
            route_prefix: "/prefix".to_owned(),
            ..WebFeatures::default()
        },
        scrape_status: Arc::new(ScrapeStatus::new()),
        metrics: Arc::new(Metrics::new()),
        storage_retention: "15d".to_owned(),
        config: LoadedConfig {
            config,
            yaml: CONFIG_YAML.to_owned(),
            loaded_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        },
    });
    state
}

/// The `data` of a success envelope, after checking the envelope.
pub(crate) fn data(status: StatusCode, body: &Json) -> &Json {
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    &body["data"]
}

/// Checks an error envelope: status code, `errorType`, and that `error` contains `needle`.
pub(crate) fn assert_error(
    (status, body): &(StatusCode, Json),
    code: u16,
    error_type: &str,
    needle: &str,
) {
    assert_eq!(status.as_u16(), code, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["errorType"], error_type, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}
