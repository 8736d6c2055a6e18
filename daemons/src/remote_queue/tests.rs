//! The sender against a small in-test receiver (axum on 127.0.0.1:0) that decodes every request
//! with the receiver's decoder, and against Debian's `victoria-metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use model::remote_write::{DecodeLimits, decode_write_request};
use model::{Labels, Sample};
use parking_lot::Mutex;
use tsdb_core::{Db, Options, WalSync};

use super::*;

/// What the receiver saw: every attempt's status, and the series of accepted requests.
#[derive(Default)]
struct Received {
    /// Statuses to answer with, in order; then 204.
    script: VecDeque<(StatusCode, Option<&'static str>)>,
    attempts: Vec<StatusCode>,
    accepted: Vec<(Labels, Vec<Sample>)>,
    headers: Vec<HeaderMap>,
}

type Shared = Arc<Mutex<Received>>;

async fn write(State(rx): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match decode_write_request(&body, &DecodeLimits::default()) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut rx = rx.lock();
    let (status, retry_after) = rx
        .script
        .pop_front()
        .unwrap_or((StatusCode::NO_CONTENT, None));
    rx.attempts.push(status);
    rx.headers.push(headers);
    if status.is_success() {
        for s in req.series {
            rx.accepted.push((s.labels, s.samples));
        }
    }
    match retry_after {
        Some(v) => (status, [("Retry-After", v)]).into_response(),
        None => status.into_response(),
    }
}

async fn receiver(script: Vec<(StatusCode, Option<&'static str>)>) -> (SocketAddr, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Received {
        script: script.into(),
        ..Received::default()
    }));
    let app = axum::Router::new()
        .route("/api/v1/write", axum::routing::post(write))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, shared)
}

fn config(url: &str) -> Config {
    let yaml = format!(
        r#"
global:
  external_labels:
    cluster: c1
remote_write:
  - url: {url}
    name: test
    headers:
      X-Scope-OrgID: tenant-1
    write_relabel_configs:
      - source_labels: [__name__]
        regex: dropped_.*
        action: drop
      - target_label: env
        replacement: prod
    queue_config:
      batch_send_deadline: 50ms
      min_backoff: 10ms
      max_backoff: 40ms
      max_samples_per_send: 100
"#
    );
    Config::parse(&yaml, Path::new("test.yml")).unwrap()
}

fn open_db(dir: &Path) -> Arc<Db> {
    let opts = Options {
        wal_sync: WalSync::Never,
        ..Options::default()
    };
    Arc::new(Db::open(dir.join("data"), opts).unwrap())
}

fn labels(name: &str, instance: &str) -> Labels {
    Labels::from_pairs([("__name__", name), ("instance", instance)]).unwrap()
}

/// Appends `(series, t, v = t)` for each `t` in `ts`, one commit.
fn append(db: &Db, series: &Labels, ts: impl IntoIterator<Item = i64>) {
    let mut app = db.appender();
    for t in ts {
        app.append(series, t, t as f64).unwrap();
    }
    app.commit().unwrap();
}

/// Waits up to 20 s for `cond`.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Accepted samples of the series whose `__name__` is `name`, as (t, v), in arrival order.
fn accepted(rx: &Shared, name: &str) -> Vec<(i64, f64)> {
    rx.lock()
        .accepted
        .iter()
        .filter(|(l, _)| l.metric_name() == Some(name))
        .flat_map(|(_, s)| s.iter().map(|s| (s.t, s.v)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_arrive_relabeled_with_external_labels_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    append(&db, &labels("old", "a"), 0..3); // before the first start: not sent
    let (addr, rx) = receiver(Vec::new()).await;
    let queues = RemoteWriteQueues::new(db.clone(), dir.path().join("remote_write"));
    queues
        .apply(&config(&format!("http://{addr}/api/v1/write")))
        .await
        .unwrap();
    for i in 0..10 {
        append(&db, &labels("kept", "a"), i * 100..(i + 1) * 100);
        append(&db, &labels("kept", "b"), i * 10..(i + 1) * 10);
        append(&db, &labels("dropped_x", "a"), i..i + 1);
    }
    eventually("every kept sample", || accepted(&rx, "kept").len() == 1_100).await;
    queues.stop().await;

    let got = rx.lock();
    assert!(
        got.accepted
            .iter()
            .all(|(l, _)| l.metric_name() == Some("kept"))
    );
    for (l, _) in &got.accepted {
        assert_eq!(l.get("cluster"), Some("c1"), "{l:?}");
        assert_eq!(l.get("env"), Some("prod"), "{l:?}");
    }
    for instance in ["a", "b"] {
        let ts: Vec<i64> = got
            .accepted
            .iter()
            .filter(|(l, _)| l.get("instance") == Some(instance))
            .flat_map(|(_, s)| s.iter().map(|s| s.t))
            .collect();
        let n = if instance == "a" { 1_000 } else { 100 };
        assert_eq!(
            ts,
            (0..n).collect::<Vec<_>>(),
            "instance {instance} in order"
        );
    }
    let h = &got.headers[0];
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert_eq!(h["x-scope-orgid"], "tenant-1");
    assert!(h["user-agent"].to_str().unwrap().starts_with("tsdbd/"));
    assert!(got.attempts.iter().all(|s| s.is_success()));
    assert!(
        got.attempts.len() >= 11,
        "max_samples_per_send 100 splits requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_and_429_then_delivers_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let script = vec![
        (StatusCode::INTERNAL_SERVER_ERROR, None),
        (StatusCode::TOO_MANY_REQUESTS, Some("0")),
        (StatusCode::SERVICE_UNAVAILABLE, None),
    ];
    let (addr, rx) = receiver(script).await;
    let queues = RemoteWriteQueues::new(db.clone(), dir.path().join("remote_write"));
    queues
        .apply(&config(&format!("http://{addr}/api/v1/write")))
        .await
        .unwrap();
    append(&db, &labels("kept", "a"), 0..5);
    eventually("delivery after retries", || {
        accepted(&rx, "kept").len() == 5
    })
    .await;
    let metrics = queues.metrics().await;
    queues.stop().await;
    let attempts = rx.lock().attempts.clone();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    let want: Vec<(i64, f64)> = (0..5).map(|t| (t, t as f64)).collect();
    assert_eq!(accepted(&rx, "kept"), want);
    let m = &metrics[0].1;
    assert_eq!(m.samples_retried.load(Ordering::Relaxed), 15);
    assert_eq!(m.samples_sent.load(Ordering::Relaxed), 5);
    assert_eq!(m.samples_failed.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_drops_the_batch_without_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let (addr, rx) = receiver(vec![(StatusCode::BAD_REQUEST, None)]).await;
    let queues = RemoteWriteQueues::new(db.clone(), dir.path().join("remote_write"));
    queues
        .apply(&config(&format!("http://{addr}/api/v1/write")))
        .await
        .unwrap();
    append(&db, &labels("refused", "a"), 0..3);
    eventually("the refused attempt", || rx.lock().attempts.len() == 1).await;
    append(&db, &labels("kept", "a"), 10..12);
    eventually("the next batch", || accepted(&rx, "kept").len() == 2).await;
    // Give a wrongly retried batch time to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics = queues.metrics().await;
    queues.stop().await;
    assert_eq!(rx.lock().attempts.len(), 2);
    assert!(accepted(&rx, "refused").is_empty());
    assert_eq!(metrics[0].1.samples_failed.load(Ordering::Relaxed), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_restart_from_the_persisted_position() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("remote_write");
    let db = open_db(dir.path());
    let (addr, rx) = receiver(Vec::new()).await;
    let cfg = config(&format!("http://{addr}/api/v1/write"));
    let queues = RemoteWriteQueues::new(db.clone(), state.clone());
    queues.apply(&cfg).await.unwrap();
    append(&db, &labels("kept", "a"), 0..5);
    eventually("first samples", || accepted(&rx, "kept").len() == 5).await;
    queues.stop().await;
    let files: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
    assert_eq!(files.len(), 1, "one position file");

    // Written while no queue runs, then across a database restart.
    append(&db, &labels("kept", "a"), 5..8);
    drop(db);
    let db = open_db(dir.path());
    append(&db, &labels("kept", "b"), 0..2);
    let queues = RemoteWriteQueues::new(db.clone(), state);
    queues.apply(&cfg).await.unwrap();
    eventually("the samples written while stopped", || {
        accepted(&rx, "kept").len() == 10
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    queues.stop().await;
    let a: Vec<i64> = rx
        .lock()
        .accepted
        .iter()
        .filter(|(l, _)| l.get("instance") == Some("a"))
        .flat_map(|(_, s)| s.iter().map(|s| s.t))
        .collect();
    assert_eq!(a, (0..8).collect::<Vec<_>>(), "nothing sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_queues_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let yaml = r#"
remote_write:
  - url: http://127.0.0.1:1/api/v1/write
  - url: http://127.0.0.1:1/api/v1/write
"#;
    let cfg = Config::parse(yaml, Path::new("dup.yml")).unwrap();
    let queues = RemoteWriteQueues::new(db, dir.path().join("remote_write"));
    let err = queues.apply(&cfg).await.unwrap_err();
    assert!(matches!(err, RemoteQueueError::Duplicate { .. }), "{err}");
    assert!(queues.metrics().await.is_empty());
}

/// Kills the child process when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victoria_metrics_receives_the_samples() {
    let binary = Path::new("/usr/bin/victoria-metrics");
    if !binary.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} is missing (Debian package victoria-metrics)",
            binary.display()
        );
        eprintln!(
            "skipping: {} is missing (apt install victoria-metrics)",
            binary.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = std::process::Command::new(binary)
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!(
            "-storageDataPath={}",
            dir.path().join("vm").display()
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _vm = KillOnDrop(child);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for i in 0.. {
        let up = http.get(format!("{base}/health")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(i < 200, "victoria-metrics did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let db = open_db(dir.path());
    let queues = RemoteWriteQueues::new(db.clone(), dir.path().join("remote_write"));
    queues
        .apply(&config(&format!("{base}/api/v1/write")))
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t0 = now - 60_000;
    let mut app = db.appender();
    for i in 0..10 {
        app.append(&labels("rw_vm_test", "a"), t0 + i * 1_000, i as f64 / 4.0)
            .unwrap();
    }
    app.append(&labels("dropped_vm", "a"), t0, 1.0).unwrap();
    app.commit().unwrap();

    let mut exported = Vec::new();
    for _ in 0..200 {
        let _ = http
            .get(format!("{base}/internal/force_flush"))
            .send()
            .await;
        let text = http
            .get(format!("{base}/api/v1/export"))
            .query(&[("match[]", r#"{__name__=~"rw_vm_test|dropped_vm"}"#)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        exported = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect();
        let complete = |v: &serde_json::Value| v["timestamps"].as_array().map(Vec::len) == Some(10);
        if exported.iter().any(complete) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    queues.stop().await;
    assert_eq!(exported.len(), 1, "only the kept series: {exported:?}");
    let line = &exported[0];
    let metric = &line["metric"];
    assert_eq!(metric["__name__"], "rw_vm_test", "{line}");
    assert_eq!(metric["cluster"], "c1");
    assert_eq!(metric["env"], "prod");
    assert_eq!(metric["instance"], "a");
    let ts: Vec<i64> = line["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    assert_eq!(ts, (0..10).map(|i| t0 + i * 1_000).collect::<Vec<_>>());
    let vs: Vec<f64> = line["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(vs, (0..10).map(|i| f64::from(i) / 4.0).collect::<Vec<_>>());
}
