//! Behaviour of the database through its public API: append rules, out-of-order window,
//! deletion, compaction, retention, label queries.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use model::{Labels, MatchType, Matcher, SeriesQuerier};
use tsdb_core::{Db, Error, Options, WalSync};

const H: i64 = 3_600_000;

fn opts() -> Options {
    Options {
        retention_ms: None,
        wal_sync: WalSync::Never,
        compact_on_commit: false,
        ..Options::default()
    }
}

fn append(db: &Db, labels: &Labels, samples: &[(i64, f64)]) {
    let mut app = db.appender();
    for &(t, v) in samples {
        app.append(labels, t, v).unwrap();
    }
    app.commit().unwrap();
}

fn samples_of(db: &Db, labels: &Labels) -> Vec<(i64, f64)> {
    common::read_all(db, i64::MIN, i64::MAX)
        .remove(labels)
        .unwrap_or_default()
        .into_iter()
        .map(|(t, v)| (t, f64::from_bits(v)))
        .collect()
}

#[test]
fn append_rules_are_typed_errors_naming_the_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let s = common::series(1);
    append(&db, &s, &[(1000, 1.0), (2000, 2.0)]);
    let mut app = db.appender();
    let err = app.append(&s, 1500, 9.0).unwrap_err();
    assert!(
        matches!(&err, Error::OutOfOrder { series, t: 1500 } if *series == s),
        "{err}"
    );
    assert!(err.to_string().contains(r#"i="1""#), "{err}");
    let err = app.append(&s, 2000, 9.0).unwrap_err();
    assert!(
        matches!(err, Error::DuplicateSampleForTimestamp { t: 2000, .. }),
        "{err}"
    );
    // The same sample again is accepted and stored once.
    app.append(&s, 2000, 2.0).unwrap();
    app.commit().unwrap();
    assert_eq!(samples_of(&db, &s), vec![(1000, 1.0), (2000, 2.0)]);

    // After the head range is persisted, older samples are out of bounds.
    db.flush().unwrap();
    let mut app = db.appender();
    let err = app.append(&common::series(2), 3000, 1.0).unwrap_err();
    assert!(matches!(err, Error::OutOfBounds { t: 3000, .. }), "{err}");
}

#[test]
fn uncommitted_samples_are_checked_too_and_the_first_applied_wins() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let s = common::series(1);
    append(&db, &s, &[(1000, 1.0)]);
    let mut a = db.appender();
    a.append(&s, 3000, 3.0).unwrap();
    // Older than the appender's own uncommitted sample.
    let err = a.append(&s, 2000, 2.0).unwrap_err();
    assert!(matches!(err, Error::OutOfOrder { t: 2000, .. }), "{err}");
    // Another appender is checked against it as well, until it is committed or dropped.
    let mut b = db.appender();
    let err = b.append(&s, 2500, 2.5).unwrap_err();
    assert!(matches!(err, Error::OutOfOrder { t: 2500, .. }), "{err}");
    // The same time is accepted by both; whichever commit applies first is kept.
    b.append(&s, 3000, 30.0).unwrap();
    b.commit().unwrap();
    a.commit().unwrap();
    assert_eq!(samples_of(&db, &s), vec![(1000, 1.0), (3000, 30.0)]);
    // A dropped appender releases its claim: older times are accepted again.
    let mut c = db.appender();
    c.append(&s, 5000, 5.0).unwrap();
    drop(c);
    let mut d = db.appender();
    d.append(&s, 4000, 4.0).unwrap();
    d.commit().unwrap();
    assert_eq!(
        samples_of(&db, &s),
        vec![(1000, 1.0), (3000, 30.0), (4000, 4.0)]
    );
}

#[test]
fn out_of_order_window_accepts_recent_samples_and_merges_them() {
    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        out_of_order_window_ms: Some(10 * 60_000),
        ..opts()
    };
    let db = Db::open(dir.path(), o.clone()).unwrap();
    let s = common::series(1);
    append(&db, &s, &[(60 * 60_000, 1.0), (70 * 60_000, 3.0)]);
    append(&db, &s, &[(65 * 60_000, 2.0)]);
    let mut app = db.appender();
    let err = app.append(&s, 50 * 60_000, 0.0).unwrap_err();
    assert!(
        matches!(err, Error::OutOfBounds { .. } | Error::OutOfOrder { .. }),
        "{err}"
    );
    drop(app);
    let want = vec![(60 * 60_000, 1.0), (65 * 60_000, 2.0), (70 * 60_000, 3.0)];
    assert_eq!(samples_of(&db, &s), want);
    // Survives a restart (WAL replay) and persisting to a block.
    db.close().unwrap();
    let db = Db::open(dir.path(), o).unwrap();
    assert_eq!(samples_of(&db, &s), want);
    db.flush().unwrap();
    assert_eq!(db.blocks().len(), 1);
    assert_eq!(samples_of(&db, &s), want);
}

#[test]
fn deletion_hides_samples_at_once_and_compaction_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let (a, b) = (common::series(1), common::series(2));
    let pts: Vec<(i64, f64)> = (0..10).map(|i| (i * 1000, i as f64)).collect();
    append(&db, &a, &pts);
    append(&db, &b, &pts);
    db.flush().unwrap();
    append(&db, &a, &[(2 * H + 1, 99.0)]);
    let only_a = [Matcher::equal("i", "1")];
    db.delete(2000, 4000, &only_a).unwrap();
    db.delete(2 * H, 3 * H, &only_a).unwrap();
    let want: Vec<(i64, f64)> = pts
        .iter()
        .copied()
        .filter(|&(t, _)| !(2000..=4000).contains(&t))
        .collect();
    assert_eq!(samples_of(&db, &a), want);
    assert_eq!(samples_of(&db, &b), pts);
    // Compaction rewrites the block without the deleted samples; a reopen sees the same.
    db.compact().unwrap();
    db.close().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(samples_of(&db, &a), want);
    let stats = &db.blocks()[0].stats;
    assert_eq!(stats.num_samples, 17);
    assert_eq!(stats.num_tombstones, 0);
}

#[test]
fn adjacent_blocks_merge_into_longer_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let s = common::series(1);
    // Four 2 h ranges: the first three fill a 6 h range; the newest is left alone.
    for r in 0..4 {
        append(
            &db,
            &s,
            &[(r * 2 * H + 1, r as f64), (r * 2 * H + H, r as f64)],
        );
        db.flush().unwrap();
    }
    assert_eq!(db.blocks().len(), 4);
    db.compact().unwrap();
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!((blocks[0].min_time, blocks[0].max_time), (0, 6 * H));
    assert_eq!(blocks[0].compaction.level, 2);
    assert_eq!(blocks[0].compaction.parents.len(), 3);
    assert_eq!(samples_of(&db, &s).len(), 8);
}

#[test]
fn retention_drops_whole_blocks_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        retention_ms: Some(5 * H),
        max_block_duration_ms: Some(2 * H),
        ..opts()
    };
    let db = Db::open(dir.path(), o).unwrap();
    let s = common::series(1);
    for r in 0..5 {
        append(&db, &s, &[(r * 2 * H + 1, r as f64)]);
        db.flush().unwrap();
    }
    db.compact().unwrap();
    // Newest block ends at 10 h; blocks ending more than 5 h before that are gone.
    let mins: Vec<i64> = db.blocks().iter().map(|b| b.min_time).collect();
    assert_eq!(mins, vec![4 * H, 6 * H, 8 * H]);
    drop(db);

    let dir = tempfile::tempdir().unwrap();
    let o = Options {
        retention_size_bytes: Some(1),
        max_block_duration_ms: Some(2 * H),
        ..opts()
    };
    let db = Db::open(dir.path(), o).unwrap();
    for r in 0..3 {
        append(&db, &s, &[(r * 2 * H + 1, r as f64)]);
        db.flush().unwrap();
    }
    db.compact().unwrap();
    assert!(db.blocks().is_empty(), "every block exceeds a 1-byte limit");
}

#[test]
fn label_names_and_values_across_head_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let l = |job: &str, extra: Option<&str>| {
        let mut b = Labels::from_pairs([("__name__", "up"), ("job", job)])
            .unwrap()
            .to_builder();
        if let Some(e) = extra {
            b.set("zone", e);
        }
        b.build().unwrap()
    };
    append(&db, &l("a", Some("eu")), &[(1000, 1.0)]);
    db.flush().unwrap();
    append(&db, &l("b", None), &[(3 * H, 1.0)]);
    let q = db.querier(0, 4 * H);
    assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "job", "zone"]);
    assert_eq!(q.label_values("job", &[]).unwrap(), vec!["a", "b"]);
    let no_zone = [Matcher::new(MatchType::Equal, "zone", "").unwrap()];
    assert_eq!(q.label_names(&no_zone).unwrap(), vec!["__name__", "job"]);
    assert_eq!(q.label_values("job", &no_zone).unwrap(), vec!["b"]);
    // A querier over the head's range only does not see the block.
    let q = db.querier(3 * H, 4 * H);
    assert_eq!(q.label_values("job", &[]).unwrap(), vec!["b"]);
}
