//! Tests of the WAL tailer against a live database: following appends across segments,
//! resuming from a saved position, lagging behind a checkpoint, and a torn live tail.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use model::Labels;
use storage_io::wal::{FRAME_HEADER_LEN, list_dir, segment_name};

use super::*;
use crate::wal::{RefSample, encode_samples};
use crate::{Db, Options, WalSync};

/// What a run of `next` calls up to `CaughtUp` read, resolved through the series it saw.
#[derive(Debug, Default)]
struct Seen {
    /// Every series definition seen, by reference.
    series: HashMap<u64, Labels>,
    /// Samples as (metric name, t, v).
    samples: Vec<(String, i64, f64)>,
    gaps: Vec<WalGap>,
    /// Samples whose reference no earlier series record defined.
    unknown_refs: usize,
}

fn drain(tail: &mut WalTail, seen: &mut Seen) {
    loop {
        match tail.next().unwrap() {
            TailEvent::Series(s) => {
                for s in s {
                    seen.series.insert(s.series_ref.0, s.labels.clone());
                }
            }
            TailEvent::Samples(s) => {
                for s in s {
                    match seen.series.get(&s.series_ref.0) {
                        Some(l) => {
                            let name = l.metric_name().unwrap_or_default().to_owned();
                            seen.samples.push((name, s.t, s.v));
                        }
                        None => seen.unknown_refs += 1,
                    }
                }
            }
            TailEvent::Gap(g) => seen.gaps.push(g),
            TailEvent::CaughtUp => return,
        }
    }
}

fn opts() -> Options {
    Options {
        wal_segment_size: 64 << 10,
        wal_sync: WalSync::Never,
        ..Options::default()
    }
}

fn name(n: &str) -> Labels {
    Labels::from_pairs([("__name__", n), ("job", "tail")]).unwrap()
}

/// Appends `n` samples of series `metric` at `t0, t0+1, …` (value = t) in one commit.
fn append(db: &Db, metric: &str, t0: i64, n: i64) {
    let mut app = db.appender();
    let l = name(metric);
    for t in t0..t0 + n {
        app.append(&l, t, t as f64).unwrap();
    }
    app.commit().unwrap();
}

fn segments(db: &Db) -> Vec<u64> {
    list_dir(&db.dir().join("wal")).unwrap().segments
}

#[test]
fn follows_appends_across_segments_from_the_current_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    append(&db, "before", 0, 10);
    let mut tail = db.wal_tail(None).unwrap();
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    // Only the series is known; samples logged before the tailer existed are not yielded.
    assert!(seen.samples.is_empty());
    assert!(seen.series.values().any(|l| l == &name("before")));

    // ~12 bytes per sample: 40 commits of 500 cross several 64 KiB segments.
    for i in 0..40 {
        append(&db, "before", 10 + i * 500, 500);
        if i % 7 == 0 {
            drain(&mut tail, &mut seen);
        }
    }
    append(&db, "after", 0, 3);
    drain(&mut tail, &mut seen);
    assert!(segments(&db).len() > 2, "the test must cross segments");
    assert_eq!(seen.unknown_refs, 0);
    assert!(seen.gaps.is_empty(), "{:?}", seen.gaps);
    let before: Vec<i64> = seen
        .samples
        .iter()
        .filter(|s| s.0 == "before")
        .map(|s| s.1)
        .collect();
    assert_eq!(before, (10..10 + 40 * 500).collect::<Vec<_>>());
    let after: Vec<_> = seen.samples.iter().filter(|s| s.0 == "after").collect();
    assert_eq!(after.len(), 3);
    assert!(seen.samples.iter().all(|s| s.2 == s.1 as f64));
    assert_eq!(tail.position().segment, *segments(&db).last().unwrap());
}

#[test]
fn resumes_from_a_saved_position_with_every_series_known() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let mut tail = db.wal_tail(None).unwrap();
    append(&db, "a", 0, 5);
    append(&db, "b", 0, 5);
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    assert_eq!(seen.samples.len(), 10);
    let saved = tail.position();
    drop(tail);

    // More samples of known series, across segments and a database restart (which starts a
    // fresh segment).
    for i in 0..20 {
        append(&db, "a", 5 + i * 500, 500);
    }
    db.close().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    append(&db, "b", 5, 1);

    let mut tail = db.wal_tail(Some(saved)).unwrap();
    let mut again = Seen::default();
    drain(&mut tail, &mut again);
    assert_eq!(
        again.unknown_refs, 0,
        "series from before the position are known"
    );
    assert!(again.gaps.is_empty(), "{:?}", again.gaps);
    let a: Vec<i64> = again
        .samples
        .iter()
        .filter(|s| s.0 == "a")
        .map(|s| s.1)
        .collect();
    assert_eq!(a, (5..5 + 20 * 500).collect::<Vec<_>>(), "nothing re-sent");
    assert!(again.samples.iter().any(|s| s.0 == "b" && s.1 == 5));
    assert!(tail.position() > saved);

    // Resuming at the end position yields nothing more.
    let end = tail.position();
    let mut tail = db.wal_tail(Some(end)).unwrap();
    let mut none = Seen::default();
    drain(&mut tail, &mut none);
    assert!(none.samples.is_empty() && none.gaps.is_empty());
}

#[test]
fn a_lagging_tailer_skips_truncated_segments_and_reports_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let mut tail = db.wal_tail(None).unwrap();
    append(&db, "kept", 0, 1);
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    let lagging_at = tail.position();
    // The tailer is not read while the WAL grows and is checkpointed and truncated; the
    // segment it has open stays readable, the ones after it are deleted.
    for i in 0..20 {
        append(&db, "lost", i * 500, 500);
    }
    db.flush().unwrap();
    assert!(segments(&db)[0] > lagging_at.segment + 1);
    // After the flush the head accepts only samples after the persisted block range.
    append(&db, "kept", 10_000_000, 2);
    drain(&mut tail, &mut seen);
    assert_eq!(seen.gaps.len(), 1, "{:?}", seen.gaps);
    let gap = &seen.gaps[0];
    assert_eq!(gap.cause, GapCause::Truncated);
    assert!(gap.from > lagging_at && gap.resumed_at > gap.from);
    assert_eq!(seen.unknown_refs, 0);
    let kept: Vec<i64> = seen
        .samples
        .iter()
        .filter(|s| s.0 == "kept")
        .map(|s| s.1)
        .collect();
    assert_eq!(kept, [0, 10_000_000, 10_000_001]);

    // A saved position inside the truncated range resumes after the checkpoint with a gap.
    let mut late = db.wal_tail(Some(lagging_at)).unwrap();
    let mut seen = Seen::default();
    drain(&mut late, &mut seen);
    assert!(matches!(
        seen.gaps.as_slice(),
        [WalGap {
            cause: GapCause::Truncated,
            ..
        }]
    ));
    assert_eq!(seen.unknown_refs, 0);
    assert!(
        seen.samples
            .iter()
            .any(|s| s.0 == "kept" && s.1 == 10_000_001)
    );
}

/// Appends `bytes` to segment `segment` of the WAL in `dir`.
fn append_bytes(dir: &Path, segment: u64, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .append(true)
        .open(dir.join(segment_name(segment)))
        .unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_torn_tail_is_not_yet_written_and_is_read_once_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    append(&db, "x", 0, 1);
    let series_ref = db
        .appender()
        .append(&name("x"), 1, 1.0)
        .map(|r| r.0)
        .unwrap();
    db.close().unwrap();
    let wal = dir.path().join("wal");
    let active = *list_dir(&wal).unwrap().segments.last().unwrap();

    // The frame of one more samples record, as the writer lays it out.
    let mut rec = Vec::new();
    let sample = RefSample {
        series_ref,
        t: 7,
        v: 7.0,
    };
    encode_samples(&[sample], &mut rec);
    let mut frame = (rec.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&crc32c::crc32c(&rec).to_be_bytes());
    frame.extend_from_slice(&rec);

    let mut tail = WalTail::open(
        &wal,
        Some(WalPosition {
            segment: 0,
            offset: 0,
        }),
    )
    .unwrap();
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    assert_eq!(seen.samples, [("x".to_owned(), 0, 0.0)]);
    let before = tail.position();
    // The frame arrives in pieces, as a reader may see a write in progress.
    let mut written = 0;
    for cut in [3, FRAME_HEADER_LEN, frame.len() - 1] {
        append_bytes(&wal, active, &frame[written..cut]);
        written = cut;
        drain(&mut tail, &mut seen);
        assert_eq!(
            seen.samples.len(),
            1,
            "a torn frame is not read (cut at {cut})"
        );
        assert!(seen.gaps.is_empty());
        assert_eq!(tail.position(), before);
    }
    append_bytes(&wal, active, &frame[written..]);
    drain(&mut tail, &mut seen);
    assert_eq!(seen.samples.last(), Some(&("x".to_owned(), 7, 7.0)));
    assert!(tail.position() > before);
}

#[test]
fn damage_in_a_sealed_segment_is_a_gap_not_a_stall() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("wal");
    let db = Db::open(dir.path(), opts()).unwrap();
    append(&db, "x", 0, 2);
    db.close().unwrap();
    // Garbage after the last record of the sealed segment 0; segment 1 is the active one.
    append_bytes(&wal, 0, &[0xff; 20]);
    let db = Db::open(dir.path(), opts()).unwrap();
    let first = WalPosition {
        segment: 0,
        offset: 0,
    };
    // Opening the database cut the garbage back; put it there again behind its back.
    append_bytes(&wal, 0, &[0xff; 20]);
    append(&db, "x", 2, 1);
    let mut tail = db.wal_tail(Some(first)).unwrap();
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    assert!(matches!(
        seen.gaps.as_slice(),
        [WalGap {
            cause: GapCause::Damaged { .. },
            ..
        }]
    ));
    let ts: Vec<i64> = seen.samples.iter().map(|s| s.1).collect();
    assert_eq!(ts, [0, 1, 2]);
}

#[test]
fn a_position_beyond_the_wal_restarts_at_its_oldest_segment() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    append(&db, "x", 0, 2);
    let beyond = WalPosition {
        segment: 99,
        offset: 10,
    };
    let mut tail = db.wal_tail(Some(beyond)).unwrap();
    let mut seen = Seen::default();
    drain(&mut tail, &mut seen);
    assert!(matches!(
        seen.gaps.as_slice(),
        [WalGap {
            cause: GapCause::Rewritten,
            ..
        }]
    ));
    assert_eq!(seen.samples.len(), 2);
}
