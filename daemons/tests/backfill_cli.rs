//! `tsdbd backfill` as a user runs it: the bundled sample imports into blocks the engine reads
//! back; bad input is a clear error naming the line, and writes no block.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;
use std::process::Command;

use model::{MatchType, Matcher, SeriesQuerier};
use tsdb_core::{Db, Options};

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/backfill/sample.om")
}

#[test]
fn sample_imports_into_aligned_blocks() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_tsdbd"))
        .args(["backfill", "--quiet"])
        .arg(sample())
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let db = Db::open(
        out.path(),
        Options {
            retention_ms: None,
            ..Options::default()
        },
    )
    .unwrap();
    let blocks = db.blocks();
    // 22:13:20 to 01:13:05 UTC spans two aligned 2 h ranges.
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert!(blocks.iter().all(|b| b.max_time - b.min_time == 7_200_000));
    assert_eq!(
        blocks.iter().map(|b| b.stats.num_samples).sum::<u64>(),
        2160
    );
    let q = db.querier(i64::MIN, i64::MAX);
    assert_eq!(q.label_values("sensor", &[]).unwrap(), vec!["s1"]);
    let m = [Matcher::new(MatchType::Equal, "__name__", "demo_requests_total").unwrap()];
    assert_eq!(q.select(&m).unwrap().count(), 2);
}

#[test]
fn bad_input_names_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.om");
    std::fs::write(
        &input,
        "up{job=\"a\"} 1 100.0\nup{job=\"a\" 2 101.0\n# EOF\n",
    )
    .unwrap();
    let out = dir.path().join("blocks");
    let backfill = || {
        Command::new(env!("CARGO_BIN_EXE_tsdbd"))
            .arg("backfill")
            .arg(&input)
            .arg(&out)
            .output()
            .unwrap()
    };
    let res = backfill();
    assert!(!res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("bad.om:2"), "{stderr}");
    let entries = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(entries, 0, "no block may be written");

    std::fs::write(
        &input,
        "up{job=\"a\"} 1 100.0\nup{job=\"a\"} 2 99.0\n# EOF\n",
    )
    .unwrap();
    let res = backfill();
    assert!(!res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("out of order") && stderr.contains("job=\"a\""),
        "{stderr}"
    );
}

#[test]
fn server_mode_refuses_a_bad_listen_address_before_touching_storage() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let res = Command::new(env!("CARGO_BIN_EXE_tsdbd"))
        .arg("--web.listen-address=nonsense")
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .output()
        .unwrap();
    assert!(!res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains("--web.listen-address \"nonsense\" has no port"),
        "{stderr}"
    );
    assert!(!data.exists());
}
