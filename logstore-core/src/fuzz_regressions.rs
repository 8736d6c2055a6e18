//! Replays every input saved under `fuzz/regressions/<target>/` through the fuzz entry points,
//! so crashes found by fuzzing stay fixed. Runs with the normal `cargo test`.

use std::path::PathBuf;

/// The saved inputs of `target`, sorted by path.
pub(crate) fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("missing regression corpus {}", dir.display());
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file()
            && let Ok(bytes) = std::fs::read(&p)
        {
            out.push((p, bytes));
        }
    }
    out.sort();
    out
}

/// Runs every saved input of `target` through `f`; none may panic.
pub(crate) fn replay(target: &str, f: fn(&[u8])) {
    let all = inputs(target);
    assert!(!all.is_empty(), "no inputs for {target}");
    for (path, bytes) in all {
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "{} panics {target}", path.display());
    }
}

#[test]
fn log_wal_record_regressions() {
    replay("log_wal_record", crate::wal::record::fuzz_log_wal_record);
}

#[test]
fn log_block_decoder_regressions() {
    replay("log_block_decoder", crate::chunk::fuzz_log_block_decoder);
}

/// Every truncation and a byte flip at every `step`-th byte of each saved input of `target`,
/// through `f`: a small deterministic fuzz run over damage the decoders must reject cleanly.
pub(crate) fn replay_damaged(target: &str, f: fn(&[u8]), step: usize) {
    for (path, bytes) in inputs(target) {
        for (i, _) in bytes.iter().enumerate().step_by(step) {
            let mut flipped = bytes.clone();
            if let Some(b) = flipped.get_mut(i) {
                *b ^= 0x41;
            }
            for input in [bytes.get(..i).unwrap_or_default(), &flipped[..]] {
                let r = std::panic::catch_unwind(|| f(input));
                assert!(r.is_ok(), "{} damaged at byte {i} panics", path.display());
            }
        }
    }
}

/// Every truncation and every single-byte flip of each saved input, through the same hook.
#[test]
fn log_block_decoder_damaged_seeds() {
    replay_damaged("log_block_decoder", crate::chunk::fuzz_log_block_decoder, 1);
}

/// Rewrites the seed inputs of `fuzz/regressions/log_block_decoder/` (valid and damaged blocks
/// and chunks) after a format change: `cargo test -p logstore-core -- --ignored write_log_block_seeds`.
#[test]
#[ignore = "rewrites the checked-in seed corpus"]
fn write_log_block_seeds() {
    use crate::chunk::{ChunkOptions, HeadChunk};

    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/log_block_decoder");
    std::fs::create_dir_all(&dir).unwrap();
    let options = ChunkOptions {
        block_size: 200,
        ..ChunkOptions::default()
    };
    let now = std::time::Instant::now();
    let mut head = HeadChunk::new(&options, now).unwrap();
    for ts in 0..24 {
        let line = format!("level=info msg=\"request {ts}\" status={}", 200 + ts % 3);
        let metadata: &[(&str, &str)] = if ts % 4 == 0 {
            &[("trace_id", "7f3a")]
        } else {
            &[]
        };
        head.append(
            1_700_000_000_000_000_000 + ts * 1_000,
            line.as_bytes(),
            metadata,
            now,
        )
        .unwrap();
    }
    let chunk = head.finish().unwrap();
    let block = head.sealed_blocks()[0].to_bytes();
    let mut flipped_crc = block.clone();
    flipped_crc[32] ^= 0xff;
    let mut lying_size = block.clone();
    lying_size[21..25].copy_from_slice(&(64u32 << 20).to_be_bytes());
    let seeds: [(&str, &[u8]); 7] = [
        ("empty", &[]),
        ("valid-block", &block),
        ("valid-chunk", &chunk),
        ("truncated-block", &block[..block.len() / 2]),
        ("truncated-chunk", &chunk[..chunk.len() - 1]),
        ("flipped-crc", &flipped_crc),
        ("lying-uncompressed-size", &lying_size),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
