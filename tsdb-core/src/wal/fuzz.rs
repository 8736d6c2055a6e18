//! Fuzz entry point of the WAL reader (the `wal_reader` target and its regression corpus).

use std::path::Path;

use storage_io::wal::segment_name;

use super::record::{Record, RefTombstone, encode_tombstones};
use super::writer::{SyncPolicy, Wal, WalOptions};
use crate::error::Result;

/// Writes `data` as the only segment of a fresh WAL directory, opens it (replaying and
/// repairing), appends a record and checks that it replays after the kept ones. Panics only on
/// a bug: any byte content must be handled.
pub(crate) fn fuzz_wal_reader(data: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUN: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "tsdb-wal-fuzz-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err()
        || std::fs::write(dir.join(segment_name(0)), data).is_err()
    {
        return;
    }
    let _ = fuzz_round(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

fn fuzz_round(dir: &Path) -> Result<()> {
    let opts = WalOptions {
        sync: SyncPolicy::Never,
        ..WalOptions::default()
    };
    let mut first = 0u64;
    let (wal, _) = Wal::open_and_replay(dir, opts.clone(), |_| {
        first += 1;
        Ok(())
    })?;
    let marker = [RefTombstone {
        series_ref: u64::MAX,
        mint: i64::MIN,
        maxt: 42,
    }];
    let mut rec = Vec::new();
    encode_tombstones(&marker, &mut rec);
    wal.log(&[&rec])?;
    // Dropped without `close`: the reopen reads the page cache, and skipping fsyncs keeps
    // fuzzing fast.
    drop(wal);
    let mut seen = 0u64;
    let mut last_is_marker = false;
    let (_, report) = Wal::open_and_replay(dir, opts, |r| {
        seen += 1;
        last_is_marker = r == Record::Tombstones(&marker);
        Ok(())
    })?;
    assert_eq!(
        seen,
        first + 1,
        "replay after repair lost or invented records"
    );
    assert!(last_is_marker, "the appended record must replay last");
    assert_eq!(report.corruption, None, "a repaired WAL must reopen clean");
    Ok(())
}
