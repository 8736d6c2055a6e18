//! Replays every input saved under `fuzz/regressions/log_segment_reader/` through the fuzz
//! hook, so crashes found by fuzzing stay fixed, and writes the seed corpus.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use std::path::PathBuf;

use super::format::Footer;
use super::fuzz::build_chunk;
use super::fuzz_log_segment_reader;
use super::*;
use crate::fuzz_regressions::{replay, replay_damaged};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/log_segment_reader")
}

#[test]
fn log_segment_reader_regressions() {
    replay("log_segment_reader", fuzz_log_segment_reader);
}

/// Every truncation of each saved input, and a flip at every 7th byte, through the same hook.
#[test]
fn log_segment_reader_damaged_seeds() {
    replay_damaged("log_segment_reader", fuzz_log_segment_reader, 7);
}

/// Rewrites the seed inputs of `fuzz/regressions/log_segment_reader/` after a format change:
/// `cargo test -p logstore-core -- --ignored write_log_segment_seeds`.
#[test]
#[ignore = "rewrites the checked-in seed corpus"]
fn write_log_segment_seeds() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let t = 1_700_000_000_000_000_000;
    let day = Partition {
        mint: t,
        maxt: t + 86_399_999_999_999,
    };
    let mut w = SegmentWriter::new(Vec::new(), "seed", "fake", day).unwrap();
    for (i, app) in ["api", "db", "web"].iter().enumerate() {
        let labels = model::Labels::from_pairs([("app", *app), ("env", "prod")]).unwrap();
        let ts = t + i as i64 * 1_000;
        let chunk = build_chunk(&[(ts, b"level=info msg=started"), (ts + 5, b"level=error")]);
        w.add_chunk(&labels, &ChunkInput::from_chunk(&chunk).unwrap())
            .unwrap();
    }
    let (valid, _, _) = w.finish().unwrap();
    let (empty, _, _) = SegmentWriter::new(Vec::new(), "seed", "fake", day)
        .unwrap()
        .finish()
        .unwrap();
    let footer_at = Footer::decode(&valid).unwrap().1;
    let mut flipped_index = valid.clone();
    flipped_index[footer_at - 10] ^= 0xff;
    let mut flipped_chunk = valid.clone();
    flipped_chunk[40] ^= 0xff;
    let seeds: [(&str, &[u8]); 6] = [
        ("empty-input", &[]),
        ("valid-segment", &valid),
        ("valid-empty-segment", &empty),
        ("truncated-segment", &valid[..valid.len() - 1]),
        ("flipped-index", &flipped_index),
        ("flipped-chunk", &flipped_chunk),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
