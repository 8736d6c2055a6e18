//! End-to-end tests of the WAL: write, reopen, damage, repair, checkpoint, poison.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use model::{Labels, STALE_NAN_BITS};
use proptest::prelude::*;

use super::segment::{Frame, SegmentReader, checkpoint_name, segment_name};
use super::writer::FailPoint;
use super::*;
use crate::error::Error;

/// An owned copy of a decoded record, for comparing what was written with what replays.
#[derive(Debug, Clone, PartialEq)]
enum Owned {
    Series(Vec<RefSeries>),
    Samples(Vec<RefSample>),
    Tombstones(Vec<RefTombstone>),
}

impl Owned {
    fn from_record(r: Record<'_>) -> Self {
        match r {
            Record::Series(s) => Owned::Series(s.to_vec()),
            Record::Samples(s) => Owned::Samples(s.to_vec()),
            Record::Tombstones(t) => Owned::Tombstones(t.to_vec()),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        match self {
            Owned::Series(s) => encode_series(s, &mut buf),
            Owned::Samples(s) => encode_samples(s, &mut buf),
            Owned::Tombstones(t) => encode_tombstones(t, &mut buf),
        }
        buf
    }
}

fn opts(segment_size: u64) -> WalOptions {
    WalOptions {
        segment_size,
        sync: SyncPolicy::Never,
    }
}

fn labels(i: u64) -> Labels {
    Labels::from_pairs([
        ("__name__", "up"),
        ("job", "node"),
        ("instance", &format!("host-{i}")),
    ])
    .unwrap()
}

/// The records of commit `i`: a series definition, its samples, and every fifth time a tombstone.
fn batch(i: u64) -> Vec<Owned> {
    let t = 1_700_000_000_000 + i as i64 * 15_000;
    let mut out = vec![
        Owned::Series(vec![RefSeries {
            series_ref: i,
            labels: labels(i),
        }]),
        Owned::Samples(vec![
            RefSample {
                series_ref: i,
                t,
                v: i as f64,
            },
            RefSample {
                series_ref: i / 2,
                t: t + 1,
                v: f64::from_bits(STALE_NAN_BITS),
            },
            RefSample {
                series_ref: u64::MAX - i,
                t: i64::MIN + i as i64,
                v: -0.0,
            },
        ]),
    ];
    if i.is_multiple_of(5) {
        out.push(Owned::Tombstones(vec![RefTombstone {
            series_ref: i,
            mint: t - 10,
            maxt: t,
        }]));
    }
    out
}

fn log(wal: &Wal, records: &[Owned]) {
    let encoded: Vec<Vec<u8>> = records.iter().map(Owned::encode).collect();
    let refs: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    wal.log(&refs).unwrap();
}

/// Opens `dir`, collecting every replayed record.
fn reopen(dir: &Path, opts: WalOptions) -> (Wal, Vec<Owned>, RepairReport) {
    let mut seen = Vec::new();
    let (wal, report) = Wal::open_and_replay(dir, opts, |r| {
        seen.push(Owned::from_record(r));
        Ok(())
    })
    .unwrap();
    (wal, seen, report)
}

/// Writes `n` batches into a fresh WAL in `dir` and returns the records in order. Closes the
/// writer (fsyncing every segment) only when `close`; otherwise it is dropped, which keeps the
/// many-case tests fast, since a reopen reads the page cache anyway.
fn write_batches(dir: &Path, n: u64, segment_size: u64, close: bool) -> Vec<Owned> {
    let (wal, report) = Wal::open(dir, opts(segment_size)).unwrap();
    assert_eq!(report, RepairReport::default());
    let mut written = Vec::new();
    for i in 0..n {
        let b = batch(i);
        log(&wal, &b);
        written.extend(b);
    }
    if close {
        wal.close().unwrap();
    }
    written
}

/// (segment, frame start, frame end) of every record on disk, in replay order.
fn frame_map(dir: &Path) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    for seg in super::segment::list_dir(dir).unwrap().segments {
        let mut r = SegmentReader::open(&dir.join(segment_name(seg))).unwrap();
        while let Frame::Record { offset, payload } = r.next_frame().unwrap() {
            out.push((seg, offset, offset + 8 + payload.len() as u64));
        }
    }
    out
}

#[test]
fn records_replay_in_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_batches(dir.path(), 100, 256, true);
    let (wal, seen, report) = reopen(dir.path(), opts(256));
    assert_eq!(seen, written);
    assert_eq!(report.corruption, None);
    assert_eq!(report.records, written.len() as u64);
    let (first, last) = wal.segment_range().unwrap();
    assert_eq!(first, 0);
    assert!(
        last >= 10,
        "100 batches of ~150 bytes must span many 256-byte segments: {last}"
    );
    assert_eq!(report.segments_replayed, last); // the new active segment was not replayed
    let on_disk: u64 = (first..=last)
        .map(|s| {
            fs::metadata(dir.path().join(segment_name(s)))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(wal.size_bytes(), on_disk);
}

#[test]
fn concurrent_appenders_share_fsyncs_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        segment_size: 4096,
        sync: SyncPolicy::Always,
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts.clone()).unwrap();
    std::thread::scope(|s| {
        for th in 0..4u64 {
            let wal = &wal;
            s.spawn(move || {
                for i in 0..25 {
                    let rec = Owned::Samples(vec![RefSample {
                        series_ref: th,
                        t: i,
                        v: 0.5,
                    }]);
                    log(wal, &[rec]);
                }
            });
        }
    });
    wal.close().unwrap();
    let (_, seen, _) = reopen(dir.path(), wal_opts);
    assert_eq!(seen.len(), 100);
    let mut next_t = [0i64; 4];
    for rec in seen {
        let Owned::Samples(s) = rec else {
            panic!("unexpected {rec:?}")
        };
        let th = usize::try_from(s[0].series_ref).unwrap();
        assert_eq!(
            s[0].t, next_t[th],
            "thread {th}'s records replay in its order"
        );
        next_t[th] += 1;
    }
}

/// How a test damages the WAL.
#[derive(Debug, Clone)]
enum Damage {
    /// Cut the last segment to this fraction of its length.
    Truncate(f64),
    /// Overwrite bytes at this fraction of the total WAL length.
    Overwrite(f64, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Damage::Truncate),
        ((0.0..1.0f64), proptest::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(at, bytes)| Damage::Overwrite(at, bytes)),
    ]
}

/// Applies `d` to the segments in `dir`; returns the first changed (segment, offset), if any.
fn apply_damage(dir: &Path, d: &Damage) -> Option<(u64, u64)> {
    let segs = super::segment::list_dir(dir).unwrap().segments;
    let path = |s: u64| dir.join(segment_name(s));
    match d {
        Damage::Truncate(frac) => {
            let last = *segs.last().unwrap();
            let len = fs::metadata(path(last)).unwrap().len();
            let at = (len as f64 * frac) as u64;
            fs::OpenOptions::new()
                .write(true)
                .open(path(last))
                .unwrap()
                .set_len(at)
                .unwrap();
            (at < len).then_some((last, at))
        }
        Damage::Overwrite(frac, bytes) => {
            let sizes: Vec<u64> = segs
                .iter()
                .map(|&s| fs::metadata(path(s)).unwrap().len())
                .collect();
            let mut at = (sizes.iter().sum::<u64>() as f64 * frac) as u64;
            let (i, _) = sizes.iter().enumerate().find(|&(_, &n)| {
                let here = at < n;
                if !here {
                    at -= n;
                }
                here
            })?;
            let mut data = fs::read(path(segs[i])).unwrap();
            let start = usize::try_from(at).unwrap();
            let mut first_change = None;
            for (k, b) in bytes.iter().enumerate() {
                if let Some(slot) = data.get_mut(start + k) {
                    if *slot != *b && first_change.is_none() {
                        first_change = Some((segs[i], (start + k) as u64));
                    }
                    *slot = *b;
                }
            }
            fs::write(path(segs[i]), data).unwrap();
            first_change
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    #[test]
    fn damaged_wal_keeps_exactly_the_prefix_before_the_damage(d in damage()) {
        let dir = tempfile::tempdir().unwrap();
        let written = write_batches(dir.path(), 20, 1024, false);
        let frames = frame_map(dir.path());
        prop_assert_eq!(frames.len(), written.len());
        let hit = apply_damage(dir.path(), &d);
        // Records that end before the first changed byte must all survive; none after it may.
        let keep = match hit {
            None => frames.len(),
            Some((seg, off)) => frames.iter().take_while(|&&(s, _, end)| s < seg || (s == seg && end <= off)).count(),
        };
        let (wal, seen, report) = reopen(dir.path(), opts(1024));
        prop_assert_eq!(&seen[..], &written[..keep]);
        if let (Some(c), Some(&(seg, start, _))) = (&report.corruption, frames.get(keep)) {
            prop_assert_eq!((c.segment, c.offset), (seg, start));
        } else {
            // No damage found only when nothing was lost or the cut fell on a frame boundary.
            prop_assert!(report.corruption.is_none());
        }
        let extra = batch(1000);
        log(&wal, &extra);
        drop(wal); // no fsyncs: the reopen reads the page cache
        let (_, again, report) = reopen(dir.path(), opts(1024));
        prop_assert_eq!(report.corruption, None);
        let mut want = written[..keep].to_vec();
        want.extend(extra);
        prop_assert_eq!(again, want);
    }

    #[test]
    fn fuzz_reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzz_wal_reader(&data);
    }

    #[test]
    fn fuzz_reader_on_damaged_valid_segments(cut in 0usize..400, flip in 0usize..400, bit in 0u8..8) {
        let mut data = Vec::new();
        for i in 0..4 {
            for r in batch(i) {
                super::segment::append_frame(&mut data, &r.encode());
            }
        }
        if let Some(b) = data.get_mut(flip) {
            *b ^= 1 << bit;
        }
        data.truncate(cut.max(flip / 2));
        fuzz_wal_reader(&data);
    }
}

/// The model of what a checkpoint keeps, written independently of `Filter`.
fn model_checkpoint(records: &[Owned], keep: impl Fn(u64) -> bool, mint: i64) -> Vec<Owned> {
    let mut out = Vec::new();
    for r in records {
        let kept = match r {
            Owned::Series(s) => {
                Owned::Series(s.iter().filter(|s| keep(s.series_ref)).cloned().collect())
            }
            Owned::Samples(s) => Owned::Samples(
                s.iter()
                    .filter(|s| keep(s.series_ref) && s.t >= mint)
                    .copied()
                    .collect(),
            ),
            Owned::Tombstones(t) => Owned::Tombstones(
                t.iter()
                    .filter(|t| keep(t.series_ref) && t.maxt >= mint)
                    .copied()
                    .collect(),
            ),
        };
        if kept != Owned::Series(vec![])
            && kept != Owned::Samples(vec![])
            && kept != Owned::Tombstones(vec![])
        {
            out.push(kept);
        }
    }
    out
}

#[test]
fn checkpoint_keeps_exactly_what_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(300)).unwrap();
    let mut written = Vec::new();
    for i in 0..30 {
        let b = batch(i);
        log(&wal, &b);
        written.extend(b);
    }
    let active = wal.next_segment().unwrap();
    let keep = |r: u64| !r.is_multiple_of(3);
    let mint = 1_700_000_000_000 + 12 * 15_000;
    let stats = checkpoint(dir.path(), active - 1, keep, mint).unwrap();
    wal.truncate_before(active).unwrap();
    assert_eq!(wal.segment_range(), Some((active, active)));
    let mut expected = model_checkpoint(&written, keep, mint);
    let count = |f: fn(&Owned) -> usize| expected.iter().map(f).sum::<usize>() as u64;
    assert_eq!(
        stats.series,
        count(|o| if let Owned::Series(s) = o { s.len() } else { 0 })
    );
    assert_eq!(
        stats.samples,
        count(|o| if let Owned::Samples(s) = o {
            s.len()
        } else {
            0
        })
    );
    assert_eq!(
        stats.tombstones,
        count(|o| if let Owned::Tombstones(t) = o {
            t.len()
        } else {
            0
        })
    );
    assert!(stats.samples > 0 && stats.tombstones > 0 && stats.series < 30);

    // Later commits replay after the checkpoint; a second checkpoint reads the first.
    for i in 30..40 {
        let b = batch(i);
        log(&wal, &b);
        expected.extend(b);
    }
    let active2 = wal.next_segment().unwrap();
    let keep2 = |r: u64| r.is_multiple_of(2);
    checkpoint(dir.path(), active2 - 1, keep2, i64::MIN).unwrap();
    let expected2 = model_checkpoint(&expected, keep2, i64::MIN);
    wal.truncate_before(active2).unwrap();
    let ckpt_size = fs::metadata(dir.path().join(checkpoint_name(active2 - 1)))
        .unwrap()
        .len();
    assert_eq!(
        wal.size_bytes(),
        ckpt_size,
        "only the empty active segment and the checkpoint remain"
    );
    wal.close().unwrap();
    assert!(
        !dir.path().join(checkpoint_name(active - 1)).exists(),
        "older checkpoint deleted"
    );

    let (_, seen, report) = reopen(dir.path(), opts(300));
    assert_eq!(report.checkpoint, Some(active2 - 1));
    assert_eq!(seen, expected2);
}

#[test]
fn leftover_checkpoints_are_ignored_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    let mut written = Vec::new();
    for i in 0..10 {
        let b = batch(i);
        log(&wal, &b);
        written.extend(b);
    }
    let active = wal.next_segment().unwrap();
    checkpoint(dir.path(), active - 1, |_| true, i64::MIN).unwrap();
    wal.close().unwrap();
    // A crash mid-checkpoint leaves a .tmp; a crash before deleting predecessors leaves those.
    let tmp = dir
        .path()
        .join(format!("{}.tmp", checkpoint_name(active + 5)));
    fs::write(&tmp, b"garbage that must never be read").unwrap();
    let stale = dir.path().join(checkpoint_name(0));
    fs::write(&stale, b"also garbage").unwrap();
    // Segments the checkpoint covers are still there (no truncate_before): they must be skipped.
    let (_, seen, report) = reopen(dir.path(), opts(200));
    assert_eq!(seen, written);
    assert_eq!(report.checkpoint, Some(active - 1));
    let mut removed = report.removed_files.clone();
    removed.sort();
    let mut want: Vec<PathBuf> = vec![stale.clone(), tmp.clone()];
    want.sort();
    assert_eq!(removed, want);
    assert!(!tmp.exists() && !stale.exists());
}

#[test]
fn a_damaged_checkpoint_or_a_gap_stops_opening() {
    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 10, 200, false);
    fs::remove_file(dir.path().join(segment_name(2))).unwrap();
    assert!(matches!(
        Wal::open(dir.path(), opts(200)),
        Err(Error::Corruption { .. })
    ));

    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 10, 200, false);
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    let active = wal.next_segment().unwrap();
    checkpoint(dir.path(), active - 1, |_| true, 0).unwrap();
    wal.close().unwrap();
    let ckpt = dir.path().join(checkpoint_name(active - 1));
    let mut data = fs::read(&ckpt).unwrap();
    data[10] ^= 0xff;
    fs::write(&ckpt, data).unwrap();
    let err = Wal::open(dir.path(), opts(200)).unwrap_err();
    assert!(
        matches!(err, Error::Corruption { ref path, .. } if *path == ckpt),
        "{err}"
    );
}

#[test]
fn checkpoint_refuses_the_active_segment_and_going_back() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    log(&wal, &batch(1));
    let active = wal.next_segment().unwrap();
    assert!(matches!(
        checkpoint(dir.path(), active, |_| true, 0),
        Err(Error::InvalidOption { .. })
    ));
    checkpoint(dir.path(), active - 1, |_| true, 0).unwrap();
    if active >= 2 {
        assert!(checkpoint(dir.path(), active - 2, |_| true, 0).is_err());
    }
}

fn assert_poisoned(wal: &Wal) {
    let rec = batch(9).remove(0).encode();
    assert!(matches!(wal.log(&[&rec]), Err(Error::Poisoned(_))));
    assert!(matches!(wal.sync(), Err(Error::Poisoned(_))));
    assert!(matches!(wal.next_segment(), Err(Error::Poisoned(_))));
    assert!(matches!(wal.close(), Err(Error::Poisoned(_))));
}

#[test]
fn any_write_or_fsync_failure_poisons_the_writer() {
    for fp in [FailPoint::Write, FailPoint::Sync, FailPoint::Create] {
        let dir = tempfile::tempdir().unwrap();
        let wal_opts = WalOptions {
            segment_size: 200,
            sync: SyncPolicy::Always,
        };
        let (wal, _) = Wal::open(dir.path(), wal_opts.clone()).unwrap();
        let mut written = Vec::new();
        for i in 0..3 {
            let b = batch(i);
            log(&wal, &b);
            written.extend(b);
        }
        wal.fail_next(fp);
        let mut err = None;
        for i in 3..20 {
            let encoded: Vec<Vec<u8>> = batch(i).iter().map(Owned::encode).collect();
            let refs: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
            if let Err(e) = wal.log(&refs) {
                err = Some(e);
                break;
            }
            written.extend(batch(i));
        }
        assert!(matches!(err, Some(Error::Io { .. })), "{fp:?}: {err:?}");
        assert_poisoned(&wal);
        drop(wal);
        // Reopening recovers everything acknowledged; a batch whose fsync failed may or may not
        // be there, but nothing else.
        let (_, seen, _) = reopen(dir.path(), wal_opts);
        assert_eq!(seen[..written.len()], written[..], "{fp:?}");
        assert!(
            seen.len() == written.len() || fp == FailPoint::Sync,
            "{fp:?}"
        );
    }
}

#[test]
fn closed_writer_and_bad_records_are_refused_without_poison() {
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        segment_size: 1 << 20,
        sync: SyncPolicy::Interval(Duration::from_secs(3600)),
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts).unwrap();
    assert!(matches!(wal.log(&[b""]), Err(Error::InvalidOption { .. })));
    assert!(matches!(
        wal.log(&[b"\x09junk"]),
        Err(Error::InvalidOption { .. })
    ));
    log(&wal, &batch(1));
    wal.sync().unwrap();
    wal.close().unwrap();
    wal.close().unwrap();
    assert!(matches!(
        wal.log(&[&batch(2)[0].encode()]),
        Err(Error::Closed)
    ));
    assert!(
        WalOptions {
            segment_size: 10,
            sync: SyncPolicy::Never
        }
        .validate()
        .is_err()
    );
    assert!(
        WalOptions {
            segment_size: 1 << 20,
            sync: SyncPolicy::Interval(Duration::ZERO)
        }
        .validate()
        .is_err()
    );
}

#[test]
fn a_record_larger_than_a_segment_gets_its_own_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(1024)).unwrap();
    let big = Owned::Samples(
        (0..1000)
            .map(|i| RefSample {
                series_ref: i % 7,
                t: i as i64,
                v: i as f64,
            })
            .collect(),
    );
    log(&wal, &batch(0));
    log(&wal, std::slice::from_ref(&big));
    log(&wal, &batch(1));
    wal.close().unwrap();
    let (_, seen, _) = reopen(dir.path(), opts(1024));
    let mut want = batch(0);
    want.push(big);
    want.extend(batch(1));
    assert_eq!(seen, want);
}
