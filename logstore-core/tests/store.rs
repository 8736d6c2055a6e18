//! The log store through its public API: push, query, flush, reopen, limits, damaged WAL.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::num::NonZeroU64;
use std::path::Path;

use logstore_core::{LogStore, PushStream, StreamLabels};
use model::logs::{Direction, LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect};
use model::{MatchType, Matcher};

const T0: i64 = 1_700_000_000_000_000_000;
const SEC: i64 = 1_000_000_000;

fn stream(selector: &str, entries: &[(i64, &str)]) -> PushStream {
    PushStream {
        labels: StreamLabels::Selector(selector.to_owned()),
        entries: entries
            .iter()
            .map(|(ts, l)| LogEntry::new(*ts, l.as_bytes()))
            .collect(),
    }
}

fn app(v: &str) -> Vec<Matcher> {
    vec![Matcher::new(MatchType::Regex, "app", v).unwrap()]
}

fn read(store: &LogStore, req: &LogSelect) -> Vec<(String, i64, String)> {
    store
        .select(req)
        .unwrap()
        .map(|r| {
            let (l, e) = r.unwrap();
            (
                l.get("app").unwrap_or("").to_owned(),
                e.ts,
                String::from_utf8(e.line).unwrap(),
            )
        })
        .collect()
}

fn all(store: &LogStore) -> Vec<(String, i64, String)> {
    read(
        store,
        &LogSelect::new("fake", app(".+"), T0 - 100 * SEC, T0 + 100 * SEC),
    )
}

fn push_sample(store: &LogStore) {
    let out = store
        .push_at(
            "fake",
            vec![
                stream(
                    r#"{app="api", env="prod"}"#,
                    &[(T0, "GET /a 200"), (T0 + 2 * SEC, "GET /b 500 error")],
                ),
                stream(
                    r#"{app="db"}"#,
                    &[(T0 + SEC, "slow query"), (T0 + 3 * SEC, "error: disk")],
                ),
            ],
            T0,
        )
        .unwrap();
    assert_eq!(out.accepted_entries, 4, "{:?}", out.rejected);
}

fn expected() -> Vec<(String, i64, String)> {
    vec![
        ("api".into(), T0, "GET /a 200".into()),
        ("db".into(), T0 + SEC, "slow query".into()),
        ("api".into(), T0 + 2 * SEC, "GET /b 500 error".into()),
        ("db".into(), T0 + 3 * SEC, "error: disk".into()),
    ]
}

#[test]
fn push_query_flush_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    push_sample(&store);
    assert_eq!(all(&store), expected());

    let mut req = LogSelect::new("fake", app(".+"), T0, T0 + 10 * SEC);
    req.direction = Direction::Backward;
    req.limit = Some(3);
    req.filter = LineFilterChain::new().then(LineFilterOp::Contains, ["error", "slow"]);
    let got = read(&store, &req);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].1, T0 + 3 * SEC);
    assert_eq!(got[2].2, "slow query");
    // Another tenant sees nothing; end is exclusive.
    assert!(
        read(
            &store,
            &LogSelect::new("other", app(".+"), T0, T0 + 10 * SEC)
        )
        .is_empty()
    );
    assert_eq!(
        read(&store, &LogSelect::new("fake", app(".+"), T0, T0 + SEC)).len(),
        1
    );

    store.flush(true).unwrap();
    assert!(dir.path().join("segments/fake").read_dir().unwrap().count() >= 1);
    assert_eq!(all(&store), expected(), "after flush");
    let names = store.label_names("fake", T0, T0 + 10 * SEC, &[]).unwrap();
    assert_eq!(names, vec!["app", "env"]);
    let values = store
        .label_values("fake", T0, T0 + 10 * SEC, "app", &[])
        .unwrap();
    assert_eq!(values, vec!["api", "db"]);
    let stats = store
        .index_stats("fake", T0, T0 + 10 * SEC, &app("api"))
        .unwrap();
    assert_eq!((stats.streams, stats.entries), (1, 2));
    store.close().unwrap();

    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(all(&store), expected(), "after reopen");
    let series = store
        .series("fake", T0, T0 + 10 * SEC, &[app("db")])
        .unwrap();
    assert_eq!(series.len(), 1);
}

#[test]
fn unflushed_entries_survive_reopen_and_checkpoints_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    push_sample(&store);
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(all(&store), expected(), "replayed from the WAL");
    // A flush that cuts nothing still checkpoints the heads; more pushes follow it.
    store.flush(false).unwrap();
    let out = store
        .push_at(
            "fake",
            vec![stream(r#"{app="db"}"#, &[(T0 + 4 * SEC, "later")])],
            T0,
        )
        .unwrap();
    assert_eq!(out.accepted_entries, 1);
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let mut want = expected();
    want.push(("db".into(), T0 + 4 * SEC, "later".into()));
    assert_eq!(all(&store), want, "checkpoint plus later WAL");
    store.flush(true).unwrap();
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(all(&store), want, "all flushed");
}

#[test]
fn same_entry_pushed_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    push_sample(&store);
    push_sample(&store);
    assert_eq!(all(&store), expected());
}

#[test]
fn limits_refuse_what_they_name_and_keep_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = common::opts();
    let mut limits = o.limits.defaults().clone();
    limits.max_line_size = NonZeroU64::new(10);
    limits.reject_old_samples = true;
    limits.max_streams_per_user = std::num::NonZeroUsize::new(2);
    o.limits = logstore_core::TenantLimits::new(limits);
    let store = LogStore::open(dir.path(), o).unwrap();
    let out = store
        .push_at(
            "fake",
            vec![
                stream(
                    r#"{app="a"}"#,
                    &[(T0, "short"), (T0 + 1, "this line is too long")],
                ),
                stream(r#"{app="b"}"#, &[(T0 - 30 * 86_400 * SEC, "old")]),
                stream(r#"{app="c"}"#, &[(T0, "c")]),
                stream(r#"{app="d"}"#, &[(T0, "d")]),
                stream(r#"{0bad="x"}"#, &[(T0, "bad labels")]),
                stream(r#"{app="a"}"#, &[(T0 - 3 * 3600 * SEC, "far behind")]),
            ],
            T0,
        )
        .unwrap();
    let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason()).collect();
    assert_eq!(out.accepted_entries, 2, "{reasons:?}");
    for want in [
        "line_too_long",
        "greater_than_max_sample_age",
        "stream_limit",
        "invalid_labels",
        "too_far_behind",
    ] {
        assert!(reasons.contains(&want), "{want} missing from {reasons:?}");
    }
    let msg = out
        .rejected
        .iter()
        .find(|r| r.reason() == "line_too_long")
        .unwrap()
        .to_string();
    assert!(msg.contains("app=\"a\""), "{msg}");
}

#[test]
fn a_push_beyond_the_burst_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = common::opts();
    let mut limits = o.limits.defaults().clone();
    limits.ingestion_rate_mb = 0.001;
    limits.ingestion_burst_size_mb = 0.001;
    o.limits = logstore_core::TenantLimits::new(limits);
    let store = LogStore::open(dir.path(), o).unwrap();
    let big = "x".repeat(2000);
    let out = store
        .push_at("fake", vec![stream(r#"{app="a"}"#, &[(T0, &big)])], T0)
        .unwrap();
    assert_eq!(out.accepted_entries, 0);
    assert_eq!(out.rejected[0].reason(), "rate_limited");
}

fn wal_segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_torn_wal_tail_loses_only_the_torn_push() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    push_sample(&store);
    let out = store
        .push_at(
            "fake",
            vec![stream(r#"{app="db"}"#, &[(T0 + 9 * SEC, "torn")])],
            T0,
        )
        .unwrap();
    assert_eq!(out.accepted_entries, 1);
    store.close().unwrap();
    let last = wal_segments(dir.path())
        .into_iter()
        .rev()
        .find(|p| std::fs::metadata(p).unwrap().len() > 0)
        .unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(len - 3).unwrap();
    drop(f);
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(all(&store), expected());
}

/// Loads the shared fixture into a store, one push per stream, entries in the fixture's order.
fn load_fixture(store: &LogStore) {
    for (tenant, labels, entries) in model::logs::conformance::fixture() {
        let pairs = labels
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let out = store
            .push_at(
                &tenant,
                vec![PushStream {
                    labels: StreamLabels::Pairs(pairs),
                    entries,
                }],
                i64::MAX / 2,
            )
            .unwrap();
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    }
}

#[test]
fn the_store_keeps_the_log_querier_contract_in_the_head_on_disk_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    load_fixture(&store);
    model::logs::conformance::check(&store);
    store.flush(true).unwrap();
    model::logs::conformance::check(&store);
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    model::logs::conformance::check(&store);
}
