//! Tests of what the WAL is in tsdb-core: its records through storage-io's WAL (replay,
//! decoding damage, checkpoint filtering) and its errors as tsdb-core's. storage-io tests the
//! files themselves (framing, repair, group commit, poisoning, checkpoint replacement).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;
use std::time::Duration;

use model::{Labels, STALE_NAN_BITS};
use proptest::prelude::*;
use storage_io::wal::{FailPoint, RepairReport, checkpoint_name, segment_name};

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

#[test]
fn records_replay_in_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_batches(dir.path(), 100, 256, true);
    let (wal, seen, report) = reopen(dir.path(), opts(256));
    assert_eq!(seen, written);
    assert_eq!(report.corruption, None);
    assert_eq!(report.records, written.len() as u64);
    let (first, last) = wal.segment_range();
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    #[test]
    fn fuzz_reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzz_wal_reader(&data);
    }

    #[test]
    fn fuzz_reader_on_damaged_valid_segments(cut in 0usize..400, flip in 0usize..400, bit in 0u8..8) {
        let dir = tempfile::tempdir().unwrap();
        write_batches(dir.path(), 4, 1 << 20, false);
        let mut data = fs::read(dir.path().join(segment_name(0))).unwrap();
        if let Some(b) = data.get_mut(flip) {
            *b ^= 1 << bit;
        }
        data.truncate(cut.max(flip / 2));
        fuzz_wal_reader(&data);
    }
}

#[test]
fn a_record_that_does_not_decode_is_damage_and_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(1 << 20)).unwrap();
    log(&wal, &batch(1));
    // A known tag (samples) with a count the bytes cannot hold: the frame is intact, the record
    // is not. The writer checks tags only, so it accepts it.
    wal.log(&[&[2, 0xff, 0xff, 0xff, 0xff, 0x0f]]).unwrap();
    log(&wal, &batch(2));
    wal.close().unwrap();
    let (_, seen, report) = reopen(dir.path(), opts(1 << 20));
    assert_eq!(seen, batch(1));
    let c = report.corruption.unwrap();
    assert_eq!(c.segment, 0);
    let first_batch: u64 = batch(1).iter().map(|r| 8 + r.encode().len() as u64).sum();
    assert_eq!(c.offset, first_batch);
    assert!(
        c.reason.starts_with("undecodable record: count"),
        "{}",
        c.reason
    );
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
    assert_eq!(wal.segment_range(), (active, active));
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
fn storage_errors_arrive_as_tsdb_errors() {
    // A gap between segments: corruption naming the segment after the gap.
    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 10, 200, false);
    fs::remove_file(dir.path().join(segment_name(2))).unwrap();
    let err = Wal::open(dir.path(), opts(200)).unwrap_err();
    assert!(
        matches!(&err, Error::Corruption { path, .. } if *path == dir.path().join(segment_name(3))),
        "{err}"
    );

    // A damaged checkpoint: corruption naming it.
    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 10, 200, false);
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    let active = wal.next_segment().unwrap();
    assert!(matches!(
        checkpoint(dir.path(), active, |_| true, 0),
        Err(Error::InvalidOption {
            name: "checkpoint up_to_segment",
            ..
        })
    ));
    checkpoint(dir.path(), active - 1, |_| true, 0).unwrap();
    wal.close().unwrap();
    let ckpt = dir.path().join(checkpoint_name(active - 1));
    let mut data = fs::read(&ckpt).unwrap();
    data[10] ^= 0xff;
    fs::write(&ckpt, data).unwrap();
    let err = Wal::open(dir.path(), opts(200)).unwrap_err();
    assert!(
        matches!(&err, Error::Corruption { path, .. } if *path == ckpt),
        "{err}"
    );

    // Refused records and options, a closed writer.
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        segment_size: 1 << 20,
        sync: SyncPolicy::Interval(Duration::from_secs(3600)),
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts).unwrap();
    assert!(matches!(wal.log(&[b""]), Err(Error::InvalidOption { .. })));
    let err = wal.log(&[b"\x09junk"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid option wal record: unknown record tag 9"
    );
    log(&wal, &batch(1));
    wal.sync().unwrap();
    wal.close().unwrap();
    assert!(matches!(
        wal.log(&[&batch(2)[0].encode()]),
        Err(Error::Closed)
    ));
    let bad = WalOptions {
        segment_size: 10,
        sync: SyncPolicy::Never,
    };
    assert!(matches!(
        Wal::open(dir.path(), bad),
        Err(Error::InvalidOption {
            name: "wal segment_size",
            ..
        })
    ));
}

#[test]
fn a_failed_write_poisons_with_tsdb_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        segment_size: 1 << 20,
        sync: SyncPolicy::Always,
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts.clone()).unwrap();
    log(&wal, &batch(0));
    wal.fail_next(FailPoint::Sync);
    let rec = batch(1).remove(0).encode();
    let err = wal.log(&[&rec]).unwrap_err();
    assert!(matches!(err, Error::Io { op: "fsync", .. }), "{err}");
    let cause = err.to_string();
    for e in [wal.log(&[&rec]), wal.sync(), wal.close()] {
        let e = e.unwrap_err();
        assert!(matches!(&e, Error::Poisoned(why) if *why == cause), "{e}");
        assert_eq!(
            e.to_string(),
            format!("WAL writer is poisoned by an earlier failure: {cause}")
        );
    }
    assert!(matches!(wal.next_segment(), Err(Error::Poisoned(_))));
    drop(wal);
    let (_, seen, _) = reopen(dir.path(), wal_opts);
    assert_eq!(seen[..batch(0).len()], batch(0)[..]);
}
