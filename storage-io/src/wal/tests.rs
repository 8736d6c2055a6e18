//! End-to-end tests of the WAL on opaque records: write, reopen, damage, repair, checkpoint,
//! poison.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::error::Error;

/// The tags these tests' records start with.
const TAGS: &[u8] = &[1, 2, 3];

fn opts(segment_size: u64) -> WalOptions {
    WalOptions {
        segment_size,
        sync: SyncPolicy::Never,
        record_tags: Some(TAGS),
    }
}

/// Record `k` of batch `i`: a tag, `i` (8 bytes BE), `k`, then `i % 7 + 3 * k` filler bytes, so
/// records differ in kind, content and length.
fn record(i: u64, k: u8) -> Vec<u8> {
    let mut r = vec![1 + k % 3];
    r.extend_from_slice(&i.to_be_bytes());
    r.push(k);
    r.resize(r.len() + (i % 7) as usize + 3 * usize::from(k), 0xa5);
    r
}

/// The batch of commit `i`: two records, every fifth time three.
fn batch(i: u64) -> Vec<Vec<u8>> {
    let n = if i.is_multiple_of(5) { 3 } else { 2 };
    (0..n).map(|k| record(i, k)).collect()
}

/// The batch number a record carries.
fn batch_of(r: &[u8]) -> u64 {
    u64::from_be_bytes(r[1..9].try_into().unwrap())
}

fn log(wal: &Wal, records: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    wal.log(&refs).unwrap();
}

/// Opens `dir`, collecting every replayed record.
fn reopen(dir: &Path, opts: WalOptions) -> (Wal, Vec<Vec<u8>>, RepairReport) {
    let mut seen = Vec::new();
    let (wal, report) = Wal::open_and_replay(dir, opts, |r| {
        seen.push(r.to_vec());
        Ok::<_, Error>(RecordOutcome::Used)
    })
    .unwrap();
    (wal, seen, report)
}

/// Writes `n` batches into a fresh WAL in `dir` and returns the records in order. Closes the
/// writer (fsyncing every segment) only when `close`; otherwise it is dropped, which keeps the
/// many-case tests fast, since a reopen reads the page cache anyway.
fn write_batches(dir: &Path, n: u64, segment_size: u64, close: bool) -> Vec<Vec<u8>> {
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
    for seg in list_dir(dir).unwrap().segments {
        let mut r = SegmentReader::open(&dir.join(segment_name(seg))).unwrap();
        while let Frame::Record { offset, payload } = r.next_frame().unwrap() {
            let end = offset + (FRAME_HEADER_LEN + payload.len()) as u64;
            out.push((seg, offset, end));
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
    let (first, last) = wal.segment_range();
    assert_eq!(first, 0);
    assert!(last >= 10, "100 batches of ~50 bytes span many segments");
    assert_eq!(report.segments_replayed, last); // the new active segment was not replayed
    let on_disk: u64 = (first..=last)
        .map(|s| {
            fs::metadata(dir.path().join(segment_name(s)))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(wal.size_bytes(), on_disk);
    assert_eq!(wal.dir(), dir.path());
    assert_eq!(wal.options(), &opts(256));
}

#[test]
fn frame_bytes_are_pinned() {
    // docs/format/wal.md: len u32 BE | crc32c(payload) u32 BE | payload, no file header. The
    // CRC is the standard CRC-32C check value of "123456789".
    let dir = tempfile::tempdir().unwrap();
    let any_tag = WalOptions {
        record_tags: None,
        ..opts(1 << 20)
    };
    let (wal, _) = Wal::open(dir.path(), any_tag).unwrap();
    wal.log(&[b"123456789", b"\x01"]).unwrap();
    wal.close().unwrap();
    let mut want = vec![0, 0, 0, 9, 0xe3, 0x06, 0x92, 0x83];
    want.extend_from_slice(b"123456789");
    want.extend_from_slice(&[0, 0, 0, 1]);
    want.extend_from_slice(&crc32c::crc32c(b"\x01").to_be_bytes());
    want.push(1);
    assert_eq!(fs::read(dir.path().join("00000000")).unwrap(), want);
    assert_eq!(checkpoint_name(41), "checkpoint.00000041");
}

#[test]
fn concurrent_appenders_share_fsyncs_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        segment_size: 4096,
        ..opts(0)
    };
    let wal_opts = WalOptions {
        sync: SyncPolicy::Always,
        ..wal_opts
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts.clone()).unwrap();
    std::thread::scope(|s| {
        for th in 0..4u8 {
            let wal = &wal;
            s.spawn(move || {
                for i in 0..25u8 {
                    wal.log(&[&[1, th, i]]).unwrap();
                }
            });
        }
    });
    wal.close().unwrap();
    let (_, seen, _) = reopen(dir.path(), wal_opts);
    assert_eq!(seen.len(), 100);
    let mut next = [0u8; 4];
    for rec in seen {
        let th = usize::from(rec[1]);
        assert_eq!(
            rec[2], next[th],
            "thread {th}'s records replay in its order"
        );
        next[th] += 1;
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
    let segs = list_dir(dir).unwrap().segments;
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

/// Writes `data` as the only segment of a fresh WAL, opens it (repairing), appends a record and
/// checks that it replays right after the records that were kept.
fn open_arbitrary_segment(data: &[u8], tags: Option<&'static [u8]>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(segment_name(0)), data).unwrap();
    let wal_opts = WalOptions {
        record_tags: tags,
        ..opts(1024)
    };
    let (wal, first, report) = reopen(dir.path(), wal_opts.clone());
    assert_eq!(report.records, first.len() as u64);
    let kept = report
        .corruption
        .as_ref()
        .map_or(data.len() as u64, |c| c.offset);
    assert_eq!(
        fs::metadata(dir.path().join(segment_name(0)))
            .unwrap()
            .len(),
        kept
    );
    wal.log(&[b"\x02marker"]).unwrap();
    drop(wal);
    let (_, again, report) = reopen(dir.path(), wal_opts);
    assert_eq!(report.corruption, None, "a repaired WAL reopens clean");
    assert_eq!(&again[..first.len()], &first[..]);
    assert_eq!(&again[first.len()..], [b"\x02marker".to_vec()]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    #[test]
    fn damaged_wal_keeps_exactly_the_prefix_before_the_damage(d in damage()) {
        let dir = tempfile::tempdir().unwrap();
        let written = write_batches(dir.path(), 40, 512, false);
        let frames = frame_map(dir.path());
        prop_assert_eq!(frames.len(), written.len());
        let hit = apply_damage(dir.path(), &d);
        // Records that end before the first changed byte must all survive; none after it may.
        let keep = match hit {
            None => frames.len(),
            Some((seg, off)) => frames.iter().take_while(|&&(s, _, end)| s < seg || (s == seg && end <= off)).count(),
        };
        let (wal, seen, report) = reopen(dir.path(), opts(512));
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
        let (_, again, report) = reopen(dir.path(), opts(512));
        prop_assert_eq!(report.corruption, None);
        let mut want = written[..keep].to_vec();
        want.extend(extra);
        prop_assert_eq!(again, want);
    }

    #[test]
    fn any_segment_bytes_open_repair_and_reopen_clean(
        data in proptest::collection::vec(any::<u8>(), 0..256),
        any_tag in any::<bool>(),
    ) {
        open_arbitrary_segment(&data, if any_tag { None } else { Some(TAGS) });
    }

    #[test]
    fn damaged_valid_segments_open_repair_and_reopen_clean(
        cut in 0usize..400, flip in 0usize..400, bit in 0u8..8,
    ) {
        let mut data = Vec::new();
        for i in 0..6 {
            for r in batch(i) {
                segment::append_frame(&mut data, &r);
            }
        }
        if let Some(b) = data.get_mut(flip) {
            *b ^= 1 << bit;
        }
        data.truncate(cut.max(flip / 2));
        open_arbitrary_segment(&data, Some(TAGS));
    }
}

#[test]
fn unknown_tags_and_undecodable_records_are_damage() {
    let dir = tempfile::tempdir().unwrap();
    let any_tag = WalOptions {
        record_tags: None,
        ..opts(1 << 20)
    };
    let (wal, _) = Wal::open(dir.path(), any_tag.clone()).unwrap();
    wal.log(&[b"\x01ok", b"\x09other tag", b"\x01after"])
        .unwrap();
    wal.close().unwrap();
    let (_, seen, report) = reopen(dir.path(), any_tag.clone());
    assert_eq!(seen.len(), 3, "without a tag set every record replays");
    assert_eq!(report.corruption, None);

    // Reopening with a tag set cuts the WAL at the unknown tag. The reopen above started
    // segment 1, so segment 0 is the one repaired and segment 1 is deleted.
    let (wal, seen, report) = reopen(dir.path(), opts(1 << 20));
    assert_eq!(seen, [b"\x01ok".to_vec()]);
    let c = report.corruption.unwrap();
    assert_eq!((c.segment, c.offset), (0, (FRAME_HEADER_LEN + 3) as u64));
    assert_eq!(c.reason, "undecodable record: unknown record tag 9");
    assert_eq!(report.deleted_segments, [1]);
    wal.log(&[b"\x02second", b"\x03third"]).unwrap();
    wal.close().unwrap();

    // A record the callback cannot decode is damage too, and the callback's reason is kept.
    let mut seen = 0;
    let (_, report) = Wal::open_and_replay(dir.path(), opts(1 << 20), |r| {
        seen += 1;
        Ok::<_, Error>(if r == b"\x03third" {
            RecordOutcome::Undecodable("bad varint".to_owned())
        } else {
            RecordOutcome::Used
        })
    })
    .unwrap();
    assert_eq!((seen, report.records), (3, 2));
    let c = report.corruption.unwrap();
    assert_eq!(
        (c.segment, c.reason.as_str()),
        (1, "undecodable record: bad varint")
    );
}

#[test]
fn a_callback_error_stops_opening_without_changing_anything() {
    #[derive(Debug)]
    enum Owner {
        Mine,
        Storage(Error),
    }
    impl From<Error> for Owner {
        fn from(e: Error) -> Self {
            Owner::Storage(e)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let written = write_batches(dir.path(), 10, 128, true);
    let before = list_dir(dir.path()).unwrap();
    let mut calls = 0;
    let err = Wal::open_and_replay(dir.path(), opts(128), |_| {
        calls += 1;
        if calls == 4 {
            Err(Owner::Mine)
        } else {
            Ok(RecordOutcome::Used)
        }
    })
    .unwrap_err();
    assert!(matches!(err, Owner::Mine));
    assert_eq!(
        list_dir(dir.path()).unwrap(),
        before,
        "no segment created or removed"
    );
    let bad = WalOptions {
        segment_size: 1,
        ..opts(128)
    };
    let err = Wal::open_and_replay(dir.path(), bad, |_| Ok::<_, Owner>(RecordOutcome::Used));
    assert!(matches!(
        err,
        Err(Owner::Storage(Error::InvalidOption { .. }))
    ));
    let (_, seen, _) = reopen(dir.path(), opts(128));
    assert_eq!(seen, written);
}

#[test]
fn a_damaged_checkpoint_or_a_gap_stops_opening() {
    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 30, 100, false);
    assert!(list_dir(dir.path()).unwrap().segments.len() > 4);
    fs::remove_file(dir.path().join(segment_name(2))).unwrap();
    let err = Wal::open(dir.path(), opts(100)).unwrap_err();
    assert!(
        matches!(&err, Error::Corruption { path, reason, .. }
            if *path == dir.path().join(segment_name(3)) && reason.contains("not consecutive")),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_batches(dir.path(), 10, 200, false);
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    let next = wal.next_segment().unwrap();
    keep_all_checkpoint(dir.path(), next - 1).unwrap();
    wal.close().unwrap();
    let ckpt = dir.path().join(checkpoint_name(next - 1));
    let mut data = fs::read(&ckpt).unwrap();
    data[10] ^= 0xff;
    fs::write(&ckpt, data).unwrap();
    let err = Wal::open(dir.path(), opts(200)).unwrap_err();
    assert!(
        matches!(&err, Error::Corruption { path, offset: 0, reason } if *path == ckpt && reason.contains("CRC")),
        "{err}"
    );
}

#[test]
fn any_write_or_fsync_failure_poisons_the_writer() {
    for fp in [FailPoint::Write, FailPoint::Sync, FailPoint::Create] {
        let dir = tempfile::tempdir().unwrap();
        let wal_opts = WalOptions {
            sync: SyncPolicy::Always,
            ..opts(200)
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
            let b = batch(i);
            let refs: Vec<&[u8]> = b.iter().map(Vec::as_slice).collect();
            if let Err(e) = wal.log(&refs) {
                err = Some(e);
                break;
            }
            written.extend(b);
        }
        assert!(matches!(err, Some(Error::Io { .. })), "{fp:?}: {err:?}");
        let msg = err.unwrap().to_string();
        for e in [
            wal.log(&[&record(9, 0)]).unwrap_err(),
            wal.sync().unwrap_err(),
            wal.next_segment().unwrap_err(),
            wal.close().unwrap_err(),
        ] {
            assert!(
                matches!(&e, Error::Poisoned(why) if *why == msg),
                "{fp:?}: {e}"
            );
        }
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
fn closed_writer_bad_records_and_bad_options_are_refused_without_poison() {
    let dir = tempfile::tempdir().unwrap();
    let wal_opts = WalOptions {
        sync: SyncPolicy::Interval(Duration::from_secs(3600)),
        ..opts(1 << 20)
    };
    let (wal, _) = Wal::open(dir.path(), wal_opts).unwrap();
    for bad in [&b""[..], b"\x09junk"] {
        let err = wal.log(&[b"\x01fine", bad]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidOption {
                    name: "wal record",
                    ..
                }
            ),
            "{err}"
        );
    }
    log(&wal, &batch(1));
    wal.sync().unwrap();
    wal.close().unwrap();
    wal.close().unwrap();
    assert!(matches!(wal.log(&[&record(2, 0)]), Err(Error::Closed)));
    assert!(matches!(wal.sync(), Err(Error::Closed)));
    assert!(matches!(wal.truncate_before(1), Err(Error::Closed)));
    let (_, seen, _) = reopen(dir.path(), opts(1 << 20));
    assert_eq!(seen, batch(1), "refused batches left nothing behind");

    for bad in [
        WalOptions {
            segment_size: MIN_SEGMENT_SIZE - 1,
            ..WalOptions::default()
        },
        WalOptions {
            sync: SyncPolicy::Interval(Duration::ZERO),
            ..WalOptions::default()
        },
        WalOptions {
            record_tags: Some(&[]),
            ..WalOptions::default()
        },
    ] {
        assert!(
            matches!(bad.validate(), Err(Error::InvalidOption { .. })),
            "{bad:?}"
        );
    }
    WalOptions::default().validate().unwrap();
}

#[test]
fn a_record_larger_than_a_segment_gets_its_own_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(1024)).unwrap();
    let mut big = vec![2u8];
    big.resize(10_000, 7);
    log(&wal, &batch(0));
    log(&wal, std::slice::from_ref(&big));
    log(&wal, &batch(1));
    wal.close().unwrap();
    let sizes: Vec<u64> = list_dir(dir.path())
        .unwrap()
        .segments
        .iter()
        .map(|&s| {
            fs::metadata(dir.path().join(segment_name(s)))
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes.len(), 3);
    assert_eq!(sizes[1], (FRAME_HEADER_LEN + big.len()) as u64);
    let (_, seen, _) = reopen(dir.path(), opts(1024));
    let mut want = batch(0);
    want.push(big);
    want.extend(batch(1));
    assert_eq!(seen, want);
}

/// A checkpoint up to `up_to` that keeps every record unchanged.
fn keep_all_checkpoint(dir: &Path, up_to: u64) -> Result<CheckpointReport, Error> {
    write_checkpoint(dir, up_to, Some(TAGS), |r, out| {
        out.append(r)?;
        Ok::<_, Error>(RecordOutcome::Used)
    })
}

/// The checkpoint rewrite these tests use: drops batches that are multiples of `drop_every`,
/// and shortens the rest to tag, batch number and record number (dropping the filler).
fn rewrite(r: &[u8], drop_every: u64) -> Option<Vec<u8>> {
    (!batch_of(r).is_multiple_of(drop_every)).then(|| r[..10].to_vec())
}

fn checkpoint_dropping(dir: &Path, up_to: u64, drop_every: u64) -> CheckpointReport {
    write_checkpoint(dir, up_to, Some(TAGS), |r, out| {
        if let Some(kept) = rewrite(r, drop_every) {
            out.append(&kept)?;
        }
        Ok::<_, Error>(RecordOutcome::Used)
    })
    .unwrap()
}

#[test]
fn checkpoint_keeps_exactly_what_the_rewrite_appends() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(300)).unwrap();
    let mut written = Vec::new();
    for i in 0..30 {
        let b = batch(i);
        log(&wal, &b);
        written.extend(b);
    }
    let next = wal.next_segment().unwrap();
    let report = checkpoint_dropping(dir.path(), next - 1, 3);
    wal.truncate_before(next).unwrap();
    assert_eq!(wal.segment_range(), (next, next));
    let mut expected: Vec<Vec<u8>> = written.iter().filter_map(|r| rewrite(r, 3)).collect();
    assert_eq!(report.records_read, written.len() as u64);
    assert_eq!(report.records_written, expected.len() as u64);
    let ckpt = dir.path().join(checkpoint_name(next - 1));
    assert_eq!(report.bytes, fs::metadata(&ckpt).unwrap().len());
    assert_eq!(
        wal.size_bytes(),
        report.bytes,
        "the active segment is empty"
    );

    // Later batches replay after the checkpoint; a second checkpoint reads the first.
    for i in 30..40 {
        let b = batch(i);
        log(&wal, &b);
        expected.extend(b);
    }
    let next2 = wal.next_segment().unwrap();
    checkpoint_dropping(dir.path(), next2 - 1, 2);
    let expected2: Vec<Vec<u8>> = expected.iter().filter_map(|r| rewrite(r, 2)).collect();
    wal.truncate_before(next2).unwrap();
    wal.close().unwrap();
    assert!(!ckpt.exists(), "older checkpoint deleted");

    let (_, seen, report) = reopen(dir.path(), opts(300));
    assert_eq!(report.checkpoint, Some(next2 - 1));
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
    let next = wal.next_segment().unwrap();
    keep_all_checkpoint(dir.path(), next - 1).unwrap();
    wal.close().unwrap();
    // A crash mid-checkpoint leaves a .tmp; a crash before deleting predecessors leaves those.
    let tmp = dir
        .path()
        .join(format!("{}.tmp", checkpoint_name(next + 5)));
    fs::write(&tmp, b"garbage that must never be read").unwrap();
    let stale = dir.path().join(checkpoint_name(0));
    fs::write(&stale, b"also garbage").unwrap();
    // Segments the checkpoint covers are still there (no truncate_before): they must be skipped.
    let (_, seen, report) = reopen(dir.path(), opts(200));
    assert_eq!(seen, written);
    assert_eq!(report.checkpoint, Some(next - 1));
    let mut removed = report.removed_files.clone();
    removed.sort();
    let mut want: Vec<PathBuf> = vec![stale.clone(), tmp.clone()];
    want.sort();
    assert_eq!(removed, want);
    assert!(!tmp.exists() && !stale.exists());
}

#[test]
fn checkpoint_refuses_the_active_segment_going_back_and_undecodable_input() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open(dir.path(), opts(200)).unwrap();
    log(&wal, &batch(1));
    let next = wal.next_segment().unwrap();
    let err = keep_all_checkpoint(dir.path(), next).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidOption { name: "checkpoint up_to_segment", reason }
            if reason.contains("not below the active segment")),
        "{err}"
    );
    log(&wal, &batch(2));
    let next2 = wal.next_segment().unwrap();
    keep_all_checkpoint(dir.path(), next2 - 1).unwrap();
    let err = keep_all_checkpoint(dir.path(), next2 - 2).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidOption { reason, .. } if reason.contains("older than the checkpoint")),
        "{err}"
    );

    // Input the rewrite cannot decode is corruption naming the file; nothing changes.
    log(&wal, &batch(3));
    let next3 = wal.next_segment().unwrap();
    let before = list_dir(dir.path()).unwrap();
    let err = write_checkpoint(dir.path(), next3 - 1, Some(TAGS), |r, _| {
        Ok::<_, Error>(if batch_of(r) == 3 {
            RecordOutcome::Undecodable("no".to_owned())
        } else {
            RecordOutcome::Used
        })
    })
    .unwrap_err();
    assert!(
        matches!(&err, Error::Corruption { path, offset: 0, reason }
            if *path == dir.path().join(segment_name(next2)) && reason == "undecodable record: no"),
        "{err}"
    );
    // A record the WAL would refuse is refused in a checkpoint too.
    let err = write_checkpoint(dir.path(), next3 - 1, Some(TAGS), |_, out| {
        out.append(b"\x08")?;
        Ok::<_, Error>(RecordOutcome::Used)
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                name: "wal record",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(list_dir(dir.path()).unwrap(), before, "no .tmp left behind");
}
