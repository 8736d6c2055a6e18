//! The engine over tsdb-core: results read through the real storage, and the limits that keep a
//! query from taking the process down (sample limit, timeout, cancellation, hostile text).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::time::Duration;

use model::Labels;
use query::promql::{CancelToken, Engine, EngineOptions, QueryError, QueryValue};
use tsdb_core::{Db, Options};

/// 50 counters `requests_total{instance="i"}` growing by `i + 1` per 15 s scrape, 100 scrapes.
fn db(dir: &std::path::Path) -> Db {
    let db = Db::open(dir, Options::default()).expect("open");
    let mut app = db.appender();
    for i in 0..50 {
        let labels =
            Labels::from_pairs([("__name__", "requests_total"), ("instance", &i.to_string())])
                .unwrap();
        let mut r = app.append(&labels, 0, 0.0).unwrap();
        for k in 1..100i64 {
            r = app.append_ref(r, k * 15_000, (k * (i + 1)) as f64).unwrap();
        }
    }
    app.commit().unwrap();
    db
}

#[test]
fn rate_and_sum_over_tsdb_core() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let engine = Engine::default();
    let out = engine
        .instant(&db, "sum(rate(requests_total[1m]))", 900_000)
        .unwrap();
    let QueryValue::Vector(v) = out.value else {
        panic!("vector expected")
    };
    // Each counter grows (i + 1) per 15 s: the rates sum to (1 + ... + 50) / 15.
    assert_eq!(v.len(), 1);
    assert!((v[0].v - 1275.0 / 15.0).abs() < 1e-9, "{}", v[0].v);
    let out = engine
        .range(
            &db,
            r#"requests_total{instance="3"} * 2"#,
            0,
            60_000,
            15_000,
        )
        .unwrap();
    let QueryValue::Matrix(m) = out.value else {
        panic!("matrix expected")
    };
    let values: Vec<f64> = m[0].samples.iter().map(|s| s.v).collect();
    assert_eq!(values, vec![0.0, 8.0, 16.0, 24.0, 32.0]);
    assert_eq!(
        m[0].labels.get("__name__"),
        None,
        "arithmetic drops the name"
    );
}

#[test]
fn sample_limit_gives_prometheus_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let engine = Engine::new(EngineOptions {
        max_samples: 1000,
        ..EngineOptions::default()
    });
    let err = engine
        .range(&db, "sum(requests_total)", 0, 1_500_000, 15_000)
        .unwrap_err();
    assert!(matches!(err, QueryError::TooManySamples(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "query processing would load too many samples into memory in query execution"
    );
}

#[test]
fn cancelled_and_timed_out_queries_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let cancel = CancelToken::default();
    cancel.cancel();
    let err = Engine::default()
        .instant_with(&db, "requests_total", 0, &cancel)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "query was canceled in expression evaluation"
    );
    let engine = Engine::new(EngineOptions {
        timeout: Duration::ZERO,
        ..EngineOptions::default()
    });
    std::thread::sleep(Duration::from_millis(2));
    let err = engine.instant(&db, "requests_total", 0).unwrap_err();
    assert_eq!(err.to_string(), "query timed out in expression evaluation");
}

#[test]
fn hostile_queries_give_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let engine = Engine::default();
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(matches!(
        engine.instant(&db, &deep, 0),
        Err(QueryError::Parse { .. })
    ));
    let chain = vec!["1"; 2000].join(" + ");
    assert!(matches!(
        engine.instant(&db, &chain, 0),
        Err(QueryError::Parse { .. })
    ));
    // Within the limits, a long chain still evaluates.
    let chain = vec!["requests_total"; 1000].join(" * ");
    assert!(engine.instant(&db, &chain, 0).is_ok());
    let nested = format!("{}requests_total{}", "(".repeat(100), ")".repeat(100));
    assert!(engine.instant(&db, &nested, 0).is_ok());
    for bad in [
        "sum(",
        "rate(requests_total)",
        "{}",
        "requests_total[5m]) ",
        "\u{0}",
        "x @ end(",
    ] {
        assert!(engine.instant(&db, bad, 0).is_err(), "{bad:?} must fail");
    }
    assert!(engine.range(&db, "requests_total", 10, 0, 1).is_err());
    assert!(engine.range(&db, "requests_total", 0, 10, 0).is_err());
}
