//! The manager end to end: tiny HTTP targets on 127.0.0.1, a database in a temporary directory.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use model::{Labels, Matcher, SeriesQuerier};
use tokio::sync::oneshot;
use tsdb_core::Options;

use super::status::Health;
use super::*;

/// A target serving fixed bodies by path, recording every request's headers.
struct TestServer {
    addr: SocketAddr,
    requests: Arc<parking_lot::Mutex<Vec<(String, HeaderMap)>>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

const TEXT_BODY: &str = "# HELP m A gauge.\n# TYPE m gauge\nm{job=\"exposed\"} 1\nother 2\n";
const OM_BODY: &str = "# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n";

async fn reply(uri: Uri) -> Response {
    let text = |body: &'static str| ([("content-type", "text/plain; version=0.0.4")], body);
    match uri.path() {
        "/metrics" => text(TEXT_BODY).into_response(),
        "/om" => (
            [(
                "content-type",
                "application/openmetrics-text; version=1.0.0",
            )],
            OM_BODY,
        )
            .into_response(),
        "/om-as-text" => text(OM_BODY).into_response(),
        "/gzip" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = gz.write_all(b"zipped 42\n");
            let bytes = gz.finish().unwrap_or_default();
            (
                [("content-type", "text/plain"), ("content-encoding", "gzip")],
                Body::from(bytes),
            )
                .into_response()
        }
        "/500" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            text(TEXT_BODY).into_response()
        }
        "/bad" => text("this is { not a sample\n").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

impl TestServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let requests = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            seen.lock().push((uri.path().to_owned(), headers));
            reply(uri)
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        TestServer {
            addr,
            requests,
            stop: Some(stop),
            task,
        }
    }

    async fn shut(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
        let _ = self.task.await;
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    db: Arc<Db>,
    status: Arc<ScrapeStatus>,
    metrics: Arc<Metrics>,
    manager: ScrapeManager,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db =
            Arc::new(Db::open(dir.path(), Options::default()).unwrap_or_else(|e| panic!("{e}")));
        let status = Arc::new(ScrapeStatus::new());
        let metrics = Arc::new(Metrics::new());
        let manager =
            ScrapeManager::new(Arc::clone(&db), Arc::clone(&status), Arc::clone(&metrics));
        Harness {
            _dir: dir,
            db,
            status,
            metrics,
            manager,
        }
    }

    async fn apply(&self, yaml: &str) {
        let config =
            Config::parse(yaml, Path::new("/tmp/test.yml")).unwrap_or_else(|e| panic!("{e}"));
        self.manager
            .apply(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn series(&self, name: &str) -> Vec<(Labels, Vec<(i64, f64)>)> {
        let q = self.db.querier(i64::MIN, i64::MAX);
        let set = q
            .select(&[Matcher::equal("__name__", name)])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for series in set {
            let series = series.unwrap_or_else(|e| panic!("{e}"));
            let mut it = series.samples();
            let mut samples = Vec::new();
            while let Some(s) = it.next() {
                samples.push((s.t, s.v));
            }
            out.push((series.labels().clone(), samples));
        }
        out
    }

    /// The `up` samples of the target whose `instance` is `instance`.
    fn up(&self, instance: &str) -> Vec<f64> {
        self.series("up")
            .into_iter()
            .filter(|(l, _)| l.get("instance") == Some(instance))
            .flat_map(|(_, s)| s.into_iter().map(|(_, v)| v))
            .collect()
    }

    fn target(&self, job: &str, index: usize) -> Arc<status::TargetHealth> {
        let pools = self.status.snapshot();
        Arc::clone(&pools[job].active[index])
    }
}

/// Polls `check` until it holds, for at most 10 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn job_yaml(name: &str, addr: &str, path: &str, extra: &str) -> String {
    format!(
        "  - job_name: {name}\n    scrape_interval: 100ms\n    scrape_timeout: 80ms\n    metrics_path: {path}\n{extra}    static_configs:\n      - targets: ['{addr}']\n"
    )
}

fn config(jobs: &[String]) -> String {
    format!("scrape_configs:\n{}", jobs.concat())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_with_prometheus_headers_and_records_status() {
    let server = TestServer::start().await;
    let h = Harness::new();
    let addr = server.addr.to_string();
    h.apply(&config(&[job_yaml("node", &addr, "/metrics", "")]))
        .await;
    eventually("up 1", || h.up(&addr).contains(&1.0)).await;
    let m = h.series("m");
    assert_eq!(m[0].0.get("job"), Some("node"));
    assert_eq!(m[0].0.get("exported_job"), Some("exposed"));
    assert_eq!(m[0].0.get("instance"), Some(addr.as_str()));
    let (path, headers) = server.requests.lock()[0].clone();
    assert_eq!(path, "/metrics");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert!(header("accept").starts_with("application/openmetrics-text;version=1.0.0;q=0.6,"));
    assert!(header("accept-encoding").contains("gzip"));
    assert_eq!(header("x-prometheus-scrape-timeout-seconds"), "0.08");
    assert!(header("user-agent").starts_with("tsdbd/"));
    let target = h.target("node", 0);
    eventually("health up", || target.last().health == Health::Up).await;
    assert_eq!(target.scrape_url, format!("http://{addr}/metrics"));
    assert_eq!(target.metadata()["m"].help, "A gauge.");
    let job = crate::tsdbd::metrics::JobLabels { job: "node".into() };
    assert!(h.metrics.scrapes.get_or_create(&job).get() >= 1);
    h.manager.stop().await;
    server.shut().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_and_the_parser_chosen_by_content_type() {
    let server = TestServer::start().await;
    let h = Harness::new();
    let addr = server.addr.to_string();
    h.apply(&config(&[
        job_yaml("gz", &addr, "/gzip", ""),
        job_yaml("om", &addr, "/om", ""),
        job_yaml("text", &addr, "/om-as-text", ""),
    ]))
    .await;
    eventually("gzip series", || !h.series("zipped").is_empty()).await;
    assert_eq!(h.series("zipped")[0].1[0].1, 42.0);
    let om = h.target("om", 0);
    let text = h.target("text", 0);
    eventually("both scraped", || {
        om.last().health == Health::Up && text.last().health == Health::Up
    })
    .await;
    // `# UNIT` is metadata in OpenMetrics and a plain comment in the text format.
    assert_eq!(om.metadata()["a_seconds"].unit, "seconds");
    assert_eq!(text.metadata()["a_seconds"].unit, "");
    h.manager.stop().await;
    server.shut().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_set_up_to_zero_with_the_error_in_status() {
    let server = TestServer::start().await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().unwrap_or_else(|e| panic!("{e}")).to_string()
    };
    let h = Harness::new();
    let addr = server.addr.to_string();
    h.apply(&config(&[
        job_yaml("refused", &refused, "/metrics", ""),
        job_yaml("e500", &addr, "/500", ""),
        job_yaml("slow", &addr, "/slow", ""),
        job_yaml("bad", &addr, "/bad", ""),
    ]))
    .await;
    let expect = [
        ("refused", "Get \"http://"),
        (
            "e500",
            "server returned HTTP status 500 Internal Server Error",
        ),
        ("slow", "context deadline exceeded"),
        ("bad", "line 1"),
    ];
    for (job, text) in expect {
        let target = h.target(job, 0);
        eventually(job, || target.last().health == Health::Down).await;
        let error = target.last().error;
        assert!(error.contains(text), "{job}: {error}");
    }
    assert!(
        h.target("refused", 0)
            .last()
            .error
            .contains("onnection refused")
    );
    for (l, samples) in h.series("up") {
        assert!(samples.iter().all(|(_, v)| *v == 0.0), "{l}: {samples:?}");
    }
    let job = crate::tsdbd::metrics::JobLabels { job: "e500".into() };
    assert!(h.metrics.scrape_failures.get_or_create(&job).get() >= 1);
    h.manager.stop().await;
    server.shut().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_loops_survive_apply_and_removed_targets_go_stale() {
    let server = TestServer::start().await;
    let other = TestServer::start().await;
    let h = Harness::new();
    let (a, b) = (server.addr.to_string(), other.addr.to_string());
    let keep = job_yaml("keep", &a, "/metrics", "");
    h.apply(&config(&[
        keep.clone(),
        job_yaml("gone", &b, "/metrics", ""),
    ]))
    .await;
    eventually("both up", || {
        h.up(&a).contains(&1.0) && h.up(&b).contains(&1.0)
    })
    .await;
    let kept = h.target("keep", 0);

    // The same job again (another job removed): the loop and its status stay.
    h.apply(&config(std::slice::from_ref(&keep))).await;
    assert!(Arc::ptr_eq(&kept, &h.target("keep", 0)));
    assert_eq!(h.status.snapshot().len(), 1);
    // The removed target's series end with staleness markers after about two intervals.
    eventually("stale markers", || {
        h.series("up").iter().any(|(l, s)| {
            l.get("instance") == Some(b.as_str())
                && s.last().is_some_and(|(_, v)| model::is_stale_nan(*v))
        })
    })
    .await;
    let kept_up = h.up(&a);
    assert!(
        kept_up.iter().all(|v| !model::is_stale_nan(*v)),
        "{kept_up:?}"
    );

    // A second target in the same job: the first loop is untouched.
    let two = keep.replace(&format!("['{a}']"), &format!("['{a}', '{b}']"));
    h.apply(&config(&[two])).await;
    let pool = &h.status.snapshot()["keep"];
    assert_eq!(pool.active.len(), 2);
    assert!(pool.active.iter().any(|t| Arc::ptr_eq(t, &kept)));

    // Changed scrape settings: new loops that take over the old caches, so no markers.
    let honored = job_yaml("keep", &a, "/metrics", "    honor_labels: true\n");
    h.apply(&config(&[honored])).await;
    let replaced = h.target("keep", 0);
    assert!(!Arc::ptr_eq(&kept, &replaced));
    eventually("honored labels", || {
        h.series("m")
            .iter()
            .any(|(l, _)| l.get("job") == Some("exposed"))
    })
    .await;
    let up = h.up(&a);
    assert!(up.iter().all(|v| !model::is_stale_nan(*v)), "{up:?}");
    h.manager.stop().await;
    server.shut().await;
    other.shut().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_targets_follow_the_file_and_dropped_ones_are_listed() {
    let server = TestServer::start().await;
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("targets.json");
    let addr = server.addr.to_string();
    std::fs::write(
        &file,
        format!(r#"[{{"targets": ["{addr}"], "labels": {{"env": "a"}}}}]"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let yaml = format!(
        "scrape_configs:
  - job_name: files
    scrape_interval: 100ms
    scrape_timeout: 80ms
    file_sd_configs:
      - files: ['{}/*.json']
        refresh_interval: 100ms
    static_configs:
      - targets: ['{addr}', '{addr}', 'dropped:1']
        labels: {{env: a}}
    relabel_configs:
      - source_labels: [__address__]
        regex: 'dropped:.*'
        action: drop
",
        dir.path().display()
    );
    h.apply(&yaml).await;
    let pool = &h.status.snapshot()["files"];
    assert_eq!(pool.active.len(), 1, "duplicates are scraped once");
    assert_eq!(pool.dropped.len(), 1);
    assert_eq!(pool.dropped[0].get("__address__"), Some("dropped:1"));
    std::fs::write(
        &file,
        format!(r#"[{{"targets": ["{addr}"], "labels": {{"env": "b"}}}}]"#),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eventually("the file's new group", || {
        h.status.snapshot()["files"]
            .active
            .iter()
            .any(|t| t.labels.get("env") == Some("b"))
    })
    .await;
    eventually("series of the new target", || {
        h.series("other")
            .iter()
            .any(|(l, _)| l.get("env") == Some("b"))
    })
    .await;
    h.manager.stop().await;
    assert!(matches!(
        h.manager
            .apply(&Config::parse("", Path::new("x.yml")).unwrap_or_else(|e| panic!("{e}")))
            .await,
        Err(ScrapeError::Stopped)
    ));
    server.shut().await;
}
