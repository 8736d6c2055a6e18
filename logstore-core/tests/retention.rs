//! Delete requests, compaction and retention through the store's public API.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use logstore_core::{LogStore, PushStream, StreamLabels, TenantLimits};
use model::logs::{Direction, LogEntry, LogQuerier, LogSelect};
use model::{MatchType, Matcher};

const SEC: i64 = 1_000_000_000;
const DAY: i64 = 86_400 * SEC;
/// 01:00 UTC on 2023-11-14: an hour into a day, so test data stays in one partition.
const T0: i64 = 1_699_920_000 * SEC + 3_600 * SEC;

fn push(store: &LogStore, tenant: &str, app: &str, entries: &[Entry]) {
    let stream = PushStream {
        labels: StreamLabels::Selector(format!(r#"{{app="{app}"}}"#)),
        entries: entries
            .iter()
            .map(|(ts, l)| LogEntry::new(*ts, l.as_bytes()))
            .collect(),
    };
    let out = store.push_at(tenant, vec![stream], T0).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
}

/// `n` entries of `app` a second apart from `from`, with lines that do not compress away.
fn entries(app: &str, from: i64, n: i64) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            let ms = (i * 7919 + 13) % 997;
            let line = format!(
                "{app} request {i} took {ms}ms path /api/v1/items/{}",
                i * 31 % 101
            );
            (from + i * SEC, line)
        })
        .collect()
}

fn app(v: &str) -> Vec<Matcher> {
    vec![Matcher::new(MatchType::Regex, "app", v).unwrap()]
}

type Row = (String, i64, String);
/// (ts, line) of a pushed entry.
type Entry = (i64, String);

/// Every entry of `tenant` in a wide range, as (app, ts, line), in the given direction.
fn read_dir(store: &LogStore, tenant: &str, direction: Direction) -> Vec<Row> {
    let mut req = LogSelect::new(tenant, app(".+"), T0 - 100 * DAY, T0 + 100 * DAY);
    req.direction = direction;
    store
        .select(&req)
        .unwrap()
        .map(|r| {
            let (l, e) = r.unwrap();
            let line = String::from_utf8(e.line).unwrap();
            (l.get("app").unwrap().to_owned(), e.ts, line)
        })
        .collect()
}

/// Every entry of `tenant`, sorted.
fn read(store: &LogStore, tenant: &str) -> BTreeSet<Row> {
    let rows = read_dir(store, tenant, Direction::Forward);
    let set: BTreeSet<Row> = rows.iter().cloned().collect();
    assert_eq!(set.len(), rows.len(), "a read returned an entry twice");
    set
}

fn rows(app: &str, list: &[Entry]) -> BTreeSet<Row> {
    list.iter()
        .map(|(ts, l)| (app.to_owned(), *ts, l.clone()))
        .collect()
}

/// Entries the index counts for `tenant` (chunk-level, no deduplication or delete filter).
fn indexed_entries(store: &LogStore, tenant: &str) -> u64 {
    store
        .index_stats(tenant, T0 - 100 * DAY, T0 + 100 * DAY, &app(".+"))
        .unwrap()
        .entries
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn bytes_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

fn segments_dir(root: &Path, tenant: &str) -> PathBuf {
    root.join("segments").join(tenant)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn deletes_hide_entries_at_once_in_the_head_and_on_disk_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let api = entries("api", T0, 5);
    let db = entries("db", T0, 5);
    push(&store, "fake", "api", &api);
    push(&store, "fake", "db", &db);
    store.flush(true).unwrap();
    let api_head = entries("api", T0 + 5 * SEC, 3);
    push(&store, "fake", "api", &api_head);
    push(&store, "other", "api", &api);

    let id = store
        .delete("fake", &app("api"), T0 + 2 * SEC, T0 + 6 * SEC)
        .unwrap();
    let mut want = rows("api", &api[..2]);
    want.extend(rows("api", &api_head[1..]));
    want.extend(rows("db", &db));
    assert_eq!(read(&store, "fake"), want);
    let backward: BTreeSet<Row> = read_dir(&store, "fake", Direction::Backward)
        .into_iter()
        .collect();
    assert_eq!(backward, want, "backward reads hide them too");
    assert_eq!(
        read(&store, "other"),
        rows("api", &api),
        "other tenants keep theirs"
    );
    let pending = store.pending_deletes("fake");
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].id, pending[0].start, pending[0].end),
        (id, T0 + 2 * SEC, T0 + 6 * SEC)
    );
    assert!(!pending[0].done);
    assert!(store.pending_deletes("other").is_empty());

    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(
        read(&store, "fake"),
        want,
        "after reopen (head replayed from the WAL)"
    );
    assert_eq!(store.pending_deletes("fake"), pending);
    let second = store.delete("fake", &app("db"), T0, T0 + 1).unwrap();
    assert!(second > id);
}

#[test]
fn delete_requests_that_cannot_be_right_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let err = store.delete("fake", &app("api"), T0, T0).unwrap_err();
    assert!(err.to_string().contains("empty time range"), "{err}");
    let everything = vec![Matcher::new(MatchType::Regex, "app", ".*").unwrap()];
    let err = store.delete("fake", &everything, T0, T0 + 1).unwrap_err();
    assert!(err.to_string().contains("empty string"), "{err}");
    assert!(store.delete("fake", &[], T0, T0 + 1).is_err());
    assert!(store.pending_deletes("fake").is_empty());
}

/// Two flushed segments of one day: api 0..100 s and 100..200 s, db 0..50 s in the second.
fn two_segments(store: &LogStore) -> (Vec<Entry>, Vec<Entry>) {
    let api = entries("api", T0, 200);
    let db = entries("db", T0, 50);
    push(store, "fake", "api", &api[..100]);
    store.flush(true).unwrap();
    push(store, "fake", "api", &api[100..]);
    push(store, "fake", "db", &db);
    store.flush(true).unwrap();
    (api, db)
}

#[test]
fn compaction_applies_deletes_shrinks_files_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let (api, db) = two_segments(&store);
    let seg_dir = segments_dir(dir.path(), "fake");
    assert_eq!(files(&seg_dir).len(), 2);
    let before = bytes_of(&seg_dir);
    // Part of api's first chunk (rewritten) and of its second; all of db (dropped).
    store
        .delete("fake", &app("api"), T0 + 10 * SEC, T0 + 150 * SEC)
        .unwrap();
    store
        .delete("fake", &app("db"), T0 - SEC, T0 + 60 * SEC)
        .unwrap();
    let mut want = rows("api", &api[..10]);
    want.extend(rows("api", &api[150..]));
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(indexed_entries(&store, "fake"), 250, "still on disk");

    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.segments_out), (2, 1));
    assert_eq!(report.chunks_dropped, 1);
    assert_eq!(report.chunks_rewritten, 2);
    assert_eq!(report.entries_deleted, 140 + 50);
    assert_eq!(report.deletes_done, 2);
    assert!(store.pending_deletes("fake").is_empty());
    assert_eq!(files(&seg_dir).len(), 1);
    assert!(
        bytes_of(&seg_dir) < before / 2,
        "{} of {before}",
        bytes_of(&seg_dir)
    );
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(indexed_entries(&store, "fake"), 60, "gone from the files");
    // A second compaction has nothing to do.
    assert_eq!(store.compact().unwrap(), Default::default());

    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(read(&store, "fake"), want, "after reopen");
    assert_eq!(indexed_entries(&store, "fake"), 60);
    assert!(store.pending_deletes("fake").is_empty());
    // Entries pushed after the request was done are kept; the compacted segment is compacted
    // again with the one they are flushed into.
    push(&store, "fake", "db", &db[..5]);
    want.extend(rows("db", &db[..5]));
    assert_eq!(read(&store, "fake"), want);
    store.flush(true).unwrap();
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.entries_deleted), (2, 0));
    assert_eq!(files(&seg_dir).len(), 1);
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(indexed_entries(&store, "fake"), 65);
}

#[test]
fn a_delete_of_head_data_stays_pending_until_it_is_flushed_and_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let api = entries("api", T0, 20);
    push(&store, "fake", "api", &api);
    store
        .delete("fake", &app("api"), T0 + 5 * SEC, T0 + 10 * SEC)
        .unwrap();
    let mut want = rows("api", &api[..5]);
    want.extend(rows("api", &api[10..]));
    assert_eq!(read(&store, "fake"), want);
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.deletes_done), (0, 0));
    assert_eq!(store.pending_deletes("fake").len(), 1);

    store.flush(true).unwrap();
    assert_eq!(read(&store, "fake"), want, "flushed, still hidden");
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.chunks_rewritten), (1, 1));
    assert_eq!((report.entries_deleted, report.deletes_done), (5, 1));
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(indexed_entries(&store, "fake"), 15);
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(read(&store, "fake"), want);
    assert!(store.pending_deletes("fake").is_empty());
}

#[test]
fn compacting_many_small_segments_into_one_gives_identical_query_results() {
    use model::logs::conformance::{TENANT, check, fixture};
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    // One entry per push and a flush after each: a segment per entry, streams spread over many,
    // equal timestamps in different segments.
    for (tenant, labels, entries) in fixture() {
        let pairs: Vec<(String, String)> = labels
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        for e in entries {
            let stream = PushStream {
                labels: StreamLabels::Pairs(pairs.clone()),
                entries: vec![e],
            };
            let out = store.push_at(&tenant, vec![stream], i64::MAX / 2).unwrap();
            assert!(out.rejected.is_empty(), "{:?}", out.rejected);
            store.flush(true).unwrap();
        }
    }
    let seg_dir = segments_dir(dir.path(), TENANT);
    let small = files(&seg_dir).len();
    assert!(small >= 10, "{small} segments");
    check(&store);
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.segments_out), (small, 1));
    assert_eq!(report.entries_deleted, 0);
    assert_eq!(files(&seg_dir).len(), 1);
    check(&store);
    store.close().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    check(&store);
}

#[test]
fn retention_removes_old_segments_and_head_chunks_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = common::opts();
    let mut limits = o.limits.defaults().clone();
    limits.retention_period = Some(Duration::from_secs(30 * 86_400));
    o.limits = TenantLimits::new(limits.clone());
    limits.retention_period = None;
    o.limits.set_override("keep", limits.clone());
    limits.retention_period = Some(Duration::from_secs(86_400));
    o.limits.set_override("short", limits);
    let store = LogStore::open(dir.path(), o.clone()).unwrap();
    let old = entries("old", T0 - 40 * DAY, 3);
    let mid = entries("mid", T0 - 2 * DAY, 3);
    let new = entries("new", T0, 3);
    let old_head = entries("oldhead", T0 - 35 * DAY, 2);
    let tenants = ["fake", "keep", "short"];
    for tenant in tenants {
        push(&store, tenant, "old", &old);
        push(&store, tenant, "mid", &mid);
        push(&store, tenant, "new", &new);
    }
    store.flush(true).unwrap();
    for tenant in tenants {
        push(&store, tenant, "oldhead", &old_head);
        assert_eq!(files(&segments_dir(dir.path(), tenant)).len(), 3);
    }
    let report = store.apply_retention(T0).unwrap();
    assert_eq!(report.segments_removed, 1 + 2);
    assert_eq!(report.head_chunks_dropped, 2);
    assert!(report.bytes_removed > 0);
    let everything: BTreeSet<Row> = [
        rows("old", &old),
        rows("mid", &mid),
        rows("new", &new),
        rows("oldhead", &old_head),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut thirty_days = rows("mid", &mid);
    thirty_days.extend(rows("new", &new));
    let check = |store: &LogStore, when: &str| {
        assert_eq!(read(store, "fake"), thirty_days, "30 days, {when}");
        assert_eq!(read(store, "keep"), everything, "kept forever, {when}");
        assert_eq!(read(store, "short"), rows("new", &new), "1 day, {when}");
    };
    check(&store, "at once");
    assert_eq!(files(&segments_dir(dir.path(), "fake")).len(), 2);
    assert_eq!(files(&segments_dir(dir.path(), "keep")).len(), 3);
    assert_eq!(files(&segments_dir(dir.path(), "short")).len(), 1);
    assert_eq!(store.apply_retention(T0).unwrap(), Default::default());
    store.close().unwrap();
    let store = LogStore::open(dir.path(), o).unwrap();
    check(&store, "after reopen");
}

/// A store with three segments of one day and a pending delete that rewrites one chunk, closed.
/// Returns what reads return and what the index counts once it is compacted.
fn three_segments_and_a_delete(root: &Path) -> (BTreeSet<Row>, u64) {
    let store = LogStore::open(root, common::opts()).unwrap();
    let api = entries("api", T0, 30);
    for part in api.chunks(10) {
        push(&store, "fake", "api", part);
        store.flush(true).unwrap();
    }
    store
        .delete("fake", &app("api"), T0 + 12 * SEC, T0 + 15 * SEC)
        .unwrap();
    store.close().unwrap();
    let mut want = rows("api", &api[..12]);
    want.extend(rows("api", &api[15..]));
    (want, 27)
}

#[test]
fn a_crash_between_writing_the_compacted_segment_and_deleting_its_inputs_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let before = tempfile::tempdir().unwrap();
    let (want, entries_after) = three_segments_and_a_delete(dir.path());
    copy_dir(dir.path(), before.path());
    let seg_dir = segments_dir(dir.path(), "fake");

    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.deletes_done), (3, 1));
    store.close().unwrap();
    let compacted = files(&seg_dir);
    assert_eq!(compacted.len(), 1);

    // The crash: the inputs are still there and the request not yet marked done.
    copy_dir(&segments_dir(before.path(), "fake"), &seg_dir);
    copy_dir(&before.path().join("deletes"), &dir.path().join("deletes"));
    assert_eq!(files(&seg_dir).len(), 4);
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(files(&seg_dir), compacted, "the inputs are removed on open");
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(
        indexed_entries(&store, "fake"),
        entries_after,
        "no entry twice"
    );
    assert_eq!(store.pending_deletes("fake").len(), 1);
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.deletes_done), (0, 1));
    assert_eq!(read(&store, "fake"), want);
}

#[test]
fn a_crash_before_the_compacted_segment_is_complete_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (want, _) = three_segments_and_a_delete(dir.path());
    let seg_dir = segments_dir(dir.path(), "fake");
    let inputs = files(&seg_dir);
    // What an interrupted compaction leaves: a half-written file and a staged merge.
    std::fs::write(
        seg_dir.join("00000000000000000000-0000000099_0000000001.seg.tmp"),
        b"half",
    )
    .unwrap();
    let staged = seg_dir.join("00000000000000000000-0000000099_0000000001.seg.merged");
    std::fs::copy(seg_dir.join(&inputs[0]), &staged).unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    assert_eq!(files(&seg_dir), inputs, "leftovers removed");
    assert_eq!(read(&store, "fake"), want);
    assert_eq!(indexed_entries(&store, "fake"), 30);
    let report = store.compact().unwrap();
    assert_eq!((report.segments_in, report.entries_deleted), (3, 3));
    assert_eq!(read(&store, "fake"), want);
}

#[test]
fn a_damaged_delete_file_fails_the_open_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), common::opts()).unwrap();
    store.delete("fake", &app("api"), T0, T0 + SEC).unwrap();
    store.close().unwrap();
    let file = dir.path().join("deletes/fake.del");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let err = LogStore::open(dir.path(), common::opts())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("fake.del") && err.contains("checksum"),
        "{err}"
    );
}
