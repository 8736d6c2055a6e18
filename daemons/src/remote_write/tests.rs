use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::Request;
use model::remote_write::encode::{self, label, put_bytes, sample};
use model::{Labels, Matcher, SeriesQuerier};
use query::promql::{Engine, EngineOptions};
use tower::ServiceExt;
use tsdb_core::{Db, Options};

use super::*;
use crate::config::Config;
use crate::scrape::status::ScrapeStatus;
use crate::tsdbd::Metrics;
use crate::tsdbd::state::{LoadedConfig, StateParts, WebFeatures};

const CAPTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/remote-write"
);

/// Shared state over a fresh database in `dir`, the receiver on or off.
fn test_state(dir: &Path, receiver: bool) -> Arc<TsdbState> {
    let db = Db::open(dir, Options::default()).unwrap_or_else(|e| panic!("open db: {e}"));
    let config = Config::parse("", Path::new("test.yml")).unwrap_or_else(|e| panic!("{e}"));
    let (state, _requests) = TsdbState::new(StateParts {
        db: Arc::new(db),
        engine: Engine::new(EngineOptions::default()),
        max_concurrent_queries: 1,
        flags: BTreeMap::new(),
        web: WebFeatures {
            remote_write_receiver: receiver,
            ..WebFeatures::default()
        },
        scrape_status: Arc::new(ScrapeStatus::new()),
        metrics: Arc::new(Metrics::new()),
        storage_retention: "15d".to_owned(),
        config: LoadedConfig {
            config,
            yaml: String::new(),
            loaded_at: SystemTime::now(),
        },
    });
    state
}

/// Posts `body` to the receiver with `headers`; returns the status and body text.
async fn post(state: &Arc<TsdbState>, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, String) {
    let mut request = Request::builder().method("POST").uri("/api/v1/write");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let app = routes().with_state(Arc::clone(state));
    let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Headers a Prometheus 2.42 sender sends.
const PROMETHEUS_HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

/// Every stored series matching `matchers`, with its samples.
fn stored(db: &Db, matchers: &[Matcher]) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let querier = db.querier(i64::MIN, i64::MAX);
    let set = querier.select(matchers).unwrap_or_else(|e| panic!("{e}"));
    set.map(|series| {
        let series = series.unwrap_or_else(|e| panic!("{e}"));
        let mut it = series.samples();
        let mut samples = Vec::new();
        while let Some(s) = it.next() {
            samples.push((s.t, s.v));
        }
        (series.labels().clone(), samples)
    })
    .collect()
}

/// Matchers selecting exactly the series with `labels`.
fn exact(labels: &Labels) -> Vec<Matcher> {
    labels.iter().map(|(n, v)| Matcher::equal(n, v)).collect()
}

/// One series of a test body: labels in the order given, samples `(t, v)`.
type TestSeries<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

/// A snappy body with one series per entry.
fn body(series: &[TestSeries<'_>]) -> Vec<u8> {
    let mut protobuf = Vec::new();
    for (labels, samples) in series {
        let mut message = Vec::new();
        for (name, value) in *labels {
            put_bytes(&mut message, 1, &label(name, value));
        }
        for (t, v) in *samples {
            put_bytes(&mut message, 2, &sample(*t, *v));
        }
        put_bytes(&mut protobuf, 1, &message);
    }
    encode::compress(&protobuf)
}

/// The `Content-Type` and `Content-Encoding` a capture's `.headers.txt` records.
fn captured_headers(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .filter_map(|line| line.trim().split_once(": "))
        .filter(|(name, _)| {
            name.eq_ignore_ascii_case("content-type")
                || name.eq_ignore_ascii_case("content-encoding")
        })
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn captures() -> Vec<PathBuf> {
    let mut bins: Vec<PathBuf> = std::fs::read_dir(CAPTURES)
        .unwrap_or_else(|e| panic!("{CAPTURES}: {e}"))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{e}")).path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    bins.sort();
    bins
}

#[tokio::test]
async fn every_capture_is_accepted_and_its_samples_are_queryable() {
    let bins = captures();
    assert!(bins.len() >= 9, "captures missing: {bins:?}");
    for bin in bins {
        // A database per capture: separate senders reuse series with different clocks.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = test_state(dir.path(), true);
        let body = std::fs::read(&bin).unwrap_or_else(|e| panic!("{bin:?}: {e}"));
        let headers = captured_headers(&bin.with_extension("headers.txt"));
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let (status, text) = post(&state, &headers, body.clone()).await;
        assert_eq!(status, 204, "{bin:?}: {text}");

        let request = decode_write_request(&body, &DecodeLimits::default())
            .unwrap_or_else(|e| panic!("{bin:?}: {e}"));
        let mut expected_samples = 0;
        for series in request.series.iter().filter(|s| !s.samples.is_empty()) {
            let found = stored(&state.db, &exact(&series.labels));
            let found = found
                .iter()
                .find(|(labels, _)| labels == &series.labels)
                .unwrap_or_else(|| panic!("{bin:?}: {:?} not stored", series.labels));
            let want: Vec<(i64, u64)> = series
                .samples
                .iter()
                .map(|s| (s.t, s.v.to_bits()))
                .collect();
            let got: Vec<(i64, u64)> = found.1.iter().map(|(t, v)| (*t, v.to_bits())).collect();
            assert_eq!(got, want, "{bin:?}: {:?}", series.labels);
            expected_samples += series.samples.len() as u64;
        }
        assert_eq!(
            state.metrics.remote_write_samples_received.get(),
            expected_samples
        );
    }
}

#[tokio::test]
async fn a_body_claiming_1_gb_is_refused_by_the_limit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    // Snappy preamble: varint 0x4000_0000 (1 GiB), then six bytes of nothing.
    let body = vec![0x80, 0x80, 0x80, 0x80, 0x04, 0, 0, 0, 0, 0];
    let (status, text) = post(&state, PROMETHEUS_HEADERS, body).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("claims 1073741824 decompressed bytes"),
        "{text}"
    );
}

#[tokio::test]
async fn a_body_claiming_4_gb_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    // Snappy preamble: varint 0x1_0000_0000 (4 GiB), then five bytes of nothing.
    let body = vec![0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0, 0];
    let started = Instant::now();
    let (status, text) = post(&state, PROMETHEUS_HEADERS, body).await;
    assert_eq!(status, 400, "{text}");
    // snappy itself refuses lengths beyond 32 bits, before the limit is looked at.
    assert!(text.contains("4294967296"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn garbage_is_a_bad_request_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, b"not snappy at all".to_vec()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("snappy block corrupt"), "{text}");

    // Valid snappy around a protobuf cut short after a good series.
    let mut protobuf = encode::encode_request(&model::remote_write::WriteRequest {
        series: vec![TimeSeries {
            labels: Labels::from_pairs([("__name__", "up")]).unwrap_or_else(|e| panic!("{e}")),
            samples: vec![model::Sample { t: 1000, v: 1.0 }],
        }],
        ..Default::default()
    });
    protobuf.extend_from_slice(&[0x0a, 0x20, 0x0a]);
    let (status, text) = post(&state, &[], encode::compress(&protobuf)).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("truncated"), "{text}");
    assert_eq!(state.db.head_series(), 0);
}

#[tokio::test]
async fn an_invalid_label_name_refuses_the_whole_request() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let body = body(&[
        (&[("__name__", "good")], &[(1000, 1.0)]),
        (&[("__name__", "bad"), ("0label", "x")], &[(1000, 1.0)]),
    ]);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("series 1"), "{text}");
    assert!(stored(&state.db, &[Matcher::equal("__name__", "good")]).is_empty());
}

#[tokio::test]
async fn other_encodings_and_remote_write_2_are_unsupported_media() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let good = body(&[(&[("__name__", "up")], &[(1000, 1.0)])]);
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("Content-Encoding", "gzip")],
            "gzip encoding (compression) is not accepted by this server; only snappy is acceptable",
        ),
        (
            &[(
                "Content-Type",
                "application/x-protobuf;proto=io.prometheus.write.v2.Request",
            )],
            "io.prometheus.write.v2.Request protobuf message is not accepted by this server; \
             accepted [prometheus.WriteRequest]",
        ),
        (
            &[("Content-Type", "application/json")],
            "expected application/x-protobuf as the first (media) part, got application/json \
             content-type",
        ),
        (
            &[("Content-Type", "application/x-protobuf;proto=foo.Bar")],
            "unknown remote write protobuf message foo.Bar",
        ),
    ];
    for (headers, message) in cases {
        let (status, text) = post(&state, headers, good.clone()).await;
        assert_eq!(status, 415, "{headers:?}: {text}");
        assert!(text.contains(message), "{headers:?}: {text}");
    }
    assert_eq!(state.db.head_series(), 0);
    // Remote-write 1.0 named explicitly, and no headers at all, are fine.
    let v1 = [(
        "Content-Type",
        "application/x-protobuf; proto=prometheus.WriteRequest",
    )];
    assert_eq!(post(&state, &v1, good.clone()).await.0, 204);
    assert_eq!(post(&state, &[], good).await.0, 204);
}

#[tokio::test]
async fn a_disabled_receiver_answers_404_as_prometheus_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), false);
    let good = body(&[(&[("__name__", "up")], &[(1000, 1.0)])]);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, good).await;
    assert_eq!(status, 404);
    assert_eq!(
        text,
        "remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n"
    );
    assert_eq!(state.db.head_series(), 0);
}

#[tokio::test]
async fn unsorted_labels_are_stored_sorted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let body = body(&[(
        &[("zone", "b"), ("job", "a"), ("__name__", "up")],
        &[(1000, 1.0), (2000, 0.0)],
    )]);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, body).await;
    assert_eq!(status, 204, "{text}");
    let found = stored(&state.db, &[Matcher::equal("job", "a")]);
    let want = Labels::from_pairs([("__name__", "up"), ("job", "a"), ("zone", "b")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found, vec![(want, vec![(1000, 1.0), (2000, 0.0)])]);
}

#[tokio::test]
async fn refused_samples_are_reported_and_the_good_ones_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let first = body(&[(&[("__name__", "b")], &[(1000, 1.0)])]);
    assert_eq!(post(&state, PROMETHEUS_HEADERS, first).await.0, 204);
    let body = body(&[
        (
            &[("__name__", "a")],
            &[(2000, 1.0), (1000, 2.0), (3000, 3.0)],
        ),
        // A different value at a stored timestamp is refused; the same value is a no-op.
        (
            &[("__name__", "b")],
            &[(1000, 5.0), (1000, 1.0), (2000, 2.0)],
        ),
        (&[("__name__", "c")], &[(1000, 7.0)]),
    ]);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("out of order sample"), "{text}");
    let name = |n: &str| stored(&state.db, &[Matcher::equal("__name__", n)]);
    assert_eq!(name("a")[0].1, vec![(2000, 1.0), (3000, 3.0)]);
    assert_eq!(name("b")[0].1, vec![(1000, 1.0), (2000, 2.0)]);
    assert_eq!(name("c")[0].1, vec![(1000, 7.0)]);
    let metrics = &state.metrics;
    let rejected = |reason: &str| {
        metrics
            .remote_write_samples_rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .get()
    };
    assert_eq!(rejected("out_of_order"), 1);
    assert_eq!(rejected("duplicate"), 1);
    assert_eq!(rejected("out_of_bounds"), 0);
    // Storage accepted 1 + 5 samples (the identical resend of b@1000 included).
    assert_eq!(metrics.remote_write_samples_received.get(), 6);
}

#[tokio::test]
async fn a_sample_below_the_head_is_out_of_bounds() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let day = 24 * 3600 * 1000;
    let first = body(&[(&[("__name__", "a")], &[(10 * day, 1.0)])]);
    assert_eq!(post(&state, PROMETHEUS_HEADERS, first).await.0, 204);
    let old = body(&[
        (&[("__name__", "b")], &[(day, 1.0)]),
        (&[("__name__", "c")], &[(10 * day, 1.0)]),
    ]);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, old).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("out of bounds sample"), "{text}");
    assert_eq!(
        stored(&state.db, &[Matcher::equal("__name__", "c")])[0].1,
        vec![(10 * day, 1.0)]
    );
}

#[tokio::test]
async fn native_histograms_are_refused_by_name_and_floats_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let mut series = Vec::new();
    put_bytes(&mut series, 1, &label("__name__", "h"));
    put_bytes(&mut series, 2, &sample(1000, 4.0));
    // A Histogram message (field 4) holding only its timestamp (field 15).
    put_bytes(&mut series, 4, &[0x78, 0x01]);
    let mut protobuf = Vec::new();
    put_bytes(&mut protobuf, 1, &series);
    let (status, text) = post(&state, PROMETHEUS_HEADERS, encode::compress(&protobuf)).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.starts_with("native histograms are not supported"),
        "{text}"
    );
    assert_eq!(
        stored(&state.db, &[Matcher::equal("__name__", "h")])[0].1,
        vec![(1000, 4.0)]
    );
    let unsupported = state
        .metrics
        .remote_write_samples_rejected
        .get_or_create(&ReasonLabels {
            reason: "unsupported".to_owned(),
        })
        .get();
    assert_eq!(unsupported, 1);
}

#[tokio::test]
async fn a_body_above_the_limit_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = test_state(dir.path(), true);
    let too_big = vec![0u8; DecodeLimits::default().max_body_bytes + 1];
    let (status, _) = post(&state, PROMETHEUS_HEADERS, too_big).await;
    assert_eq!(status, 413);
}

#[test]
fn content_type_parameters_follow_prometheus() {
    let check = |v: &str| {
        check_content_type(Some(
            &HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
        ))
    };
    assert!(check("application/x-protobuf").is_ok());
    assert!(check("application/x-protobuf;charset=utf-8").is_ok());
    assert!(check("application/x-protobuf;proto=prometheus.WriteRequest").is_ok());
    assert!(check("application/x-protobuf;proto").is_err());
    assert!(check("application/x-protobuf;proto=io.prometheus.write.v2.Request").is_err());
    assert!(check("text/plain").is_err());
    assert!(check_content_type(None).is_ok());
    assert!(check_content_encoding(Some(&HeaderValue::from_static("SNAPPY"))).is_ok());
    assert!(check_content_encoding(Some(&HeaderValue::from_static("zstd"))).is_err());
}
