//! Replays every input saved under `fuzz/regressions/<target>/` through the fuzz entry points,
//! so crashes found by fuzzing stay fixed. Runs with the normal `cargo test`.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("missing regression corpus {}", dir.display());
    };
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

fn replay(target: &str, f: fn(&[u8])) {
    let all = inputs(target);
    assert!(!all.is_empty(), "no inputs for {target}");
    for (path, bytes) in all {
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "{} panics {target}", path.display());
    }
}

#[test]
fn chunk_decoder_regressions() {
    replay("chunk_decoder", |d| {
        crate::chunk::fuzz_decode(d);
    });
}

#[test]
fn wal_reader_regressions() {
    replay("wal_reader", crate::wal::fuzz_wal_reader);
}

#[test]
fn index_reader_regressions() {
    replay("index_reader", crate::index::fuzz_index_reader);
}

#[test]
fn tombstones_regressions() {
    replay("tombstones", crate::block::tombstones::fuzz_tombstones);
}
