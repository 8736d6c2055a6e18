//! Crash and corruption: a WAL cut or overwritten at random offsets loses nothing committed
//! before the damage; a damaged block is reported by path; nothing panics.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use model::{MatchType, Matcher, SeriesQuerier};
use rand::{Rng, SeedableRng};
use tsdb_core::{Db, Options, WalSync};

const SERIES: usize = 3;
const COMMITS: usize = 100;

fn options() -> Options {
    Options {
        retention_ms: None,
        wal_sync: WalSync::Never,
        ..Options::default()
    }
}

fn wal_segment(dir: &Path) -> PathBuf {
    let mut segs: Vec<PathBuf> = fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|p| fs::metadata(p).unwrap().len() > 0)
        .collect();
    segs.sort();
    assert_eq!(
        segs.len(),
        1,
        "the test expects one non-empty segment: {segs:?}"
    );
    segs.pop().unwrap()
}

/// Writes COMMITS commits (one sample per series each, at t = commit index) and returns the WAL
/// segment length after each commit.
fn write_commits(dir: &Path) -> Vec<u64> {
    let db = Db::open(dir, options()).unwrap();
    let mut ends = Vec::new();
    for i in 0..COMMITS {
        let mut app = db.appender();
        for s in 0..SERIES {
            app.append(&common::series(s), i as i64, (i * 10 + s) as f64)
                .unwrap();
        }
        app.commit().unwrap();
        ends.push(fs::metadata(wal_segment(dir)).unwrap().len());
    }
    // No close: the process "crashes" here.
    drop(db);
    ends
}

/// Checks that each series holds exactly samples 0..k for one k shared by all series, and that
/// k covers every commit that ended at or before `damage`.
fn check_prefix(db: &Db, ends: &[u64], damage: u64) {
    let got = common::read_all(db, i64::MIN, i64::MAX);
    let whole = ends.iter().filter(|&&e| e <= damage).count();
    let mut counts = Vec::new();
    for s in 0..SERIES {
        let samples = got.get(&common::series(s)).cloned().unwrap_or_default();
        for (i, (t, v)) in samples.iter().enumerate() {
            assert_eq!(*t, i as i64, "series {s} has a hole");
            assert_eq!(f64::from_bits(*v), (i * 10 + s) as f64);
        }
        counts.push(samples.len());
    }
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "series disagree: {counts:?}"
    );
    assert!(
        counts[0] >= whole,
        "lost commits before the damage at {damage}: have {}, want >= {whole}",
        counts[0]
    );
}

#[test]
fn truncated_wal_keeps_every_commit_before_the_cut() {
    let base = tempfile::tempdir().unwrap();
    let ends = write_commits(base.path());
    let total = *ends.last().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for case in 0..40 {
        let cut = if case == 0 {
            0
        } else {
            rng.random_range(0..=total)
        };
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(base.path(), dir.path());
        let seg = wal_segment(base.path()).file_name().unwrap().to_owned();
        let f = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("wal").join(seg))
            .unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let db = Db::open(dir.path(), options()).unwrap();
        check_prefix(&db, &ends, cut);
        // The repaired WAL takes new commits, which survive another reopen.
        let mut app = db.appender();
        app.append(&common::series(0), 1_000_000, 1.0).unwrap();
        app.commit().unwrap();
        db.close().unwrap();
        let db = Db::open(dir.path(), options()).unwrap();
        let got = common::read_all(&db, 1_000_000, 1_000_000);
        assert_eq!(got.len(), 1, "commit after repair lost (cut at {cut})");
    }
}

#[test]
fn overwritten_wal_keeps_every_commit_before_the_damage() {
    let base = tempfile::tempdir().unwrap();
    let ends = write_commits(base.path());
    let total = *ends.last().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for _ in 0..40 {
        let at = rng.random_range(0..total);
        let len = rng.random_range(1..64u64).min(total - at);
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(base.path(), dir.path());
        let path = dir
            .path()
            .join("wal")
            .join(wal_segment(base.path()).file_name().unwrap());
        let mut bytes = fs::read(&path).unwrap();
        for b in &mut bytes[at as usize..(at + len) as usize] {
            *b = rng.random();
        }
        fs::write(&path, bytes).unwrap();
        let db = Db::open(dir.path(), options()).unwrap();
        check_prefix(&db, &ends, at);
    }
}

fn block_dir(dir: &Path) -> PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir() && ulid::Ulid::from_string(&p.file_name().unwrap().to_string_lossy()).is_ok()
        })
        .expect("a block")
}

fn db_with_block() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options()).unwrap();
    let mut app = db.appender();
    for s in 0..SERIES {
        for t in 0..300 {
            app.append(&common::series(s), t, t as f64).unwrap();
        }
    }
    app.commit().unwrap();
    db.flush().unwrap();
    db.close().unwrap();
    dir
}

/// The errors of opening the database and reading every series, as text.
fn open_and_read_errors(dir: &Path) -> Vec<String> {
    let db = match Db::open(dir, options()) {
        Ok(db) => db,
        Err(e) => return vec![e.to_string()],
    };
    let q = db.querier(i64::MIN, i64::MAX);
    let all = [Matcher::new(MatchType::Regex, "__name__", ".+").unwrap()];
    match q.select(&all) {
        Err(e) => vec![e.to_string()],
        Ok(set) => set.filter_map(|s| s.err()).map(|e| e.to_string()).collect(),
    }
}

#[test]
fn damaged_block_files_are_reported_by_path() {
    for file in ["index", "meta.json", "tombstones"] {
        for at in [0.1, 0.5, 0.9] {
            let dir = db_with_block();
            let path = block_dir(dir.path()).join(file);
            let mut bytes = fs::read(&path).unwrap();
            let (start, len) = (((bytes.len() as f64) * at) as usize, bytes.len());
            for b in &mut bytes[start..(start + 4).min(len)] {
                *b ^= 0x5a;
            }
            fs::write(&path, &bytes).unwrap();
            let errors = open_and_read_errors(dir.path());
            if errors.is_empty() {
                // Bytes no checksum covers (alignment padding) may change harmlessly; then every
                // sample must still read back as written.
                let db = Db::open(dir.path(), options()).unwrap();
                let got = common::read_all(&db, i64::MIN, i64::MAX);
                assert_eq!(
                    got.len(),
                    SERIES,
                    "{file} damaged at {at}: series lost without an error"
                );
                assert!(
                    got.values().all(|v| v.len() == 300),
                    "{file} at {at}: samples lost silently"
                );
                continue;
            }
            let name = path.display().to_string();
            assert!(
                errors.iter().all(|e| e.contains(&name)),
                "{file} at {at}: {errors:?}"
            );
        }
    }
}

#[test]
fn damaged_chunk_file_is_reported_on_read() {
    let dir = db_with_block();
    let path = block_dir(dir.path()).join("chunks").join("000001");
    let mut bytes = fs::read(&path).unwrap();
    let end = bytes.len();
    for b in &mut bytes[end - 40..end - 8] {
        *b ^= 0xff;
    }
    fs::write(&path, &bytes).unwrap();
    let db = Db::open(dir.path(), options()).unwrap();
    let q = db.querier(i64::MIN, i64::MAX);
    let all = [Matcher::new(MatchType::Regex, "__name__", ".+").unwrap()];
    let errors: Vec<String> = q
        .select(&all)
        .unwrap()
        .filter_map(|s| s.err())
        .map(|e| format!("{e}"))
        .collect();
    assert!(!errors.is_empty(), "a damaged chunk must be an error");
    assert!(
        errors
            .iter()
            .all(|e| e.contains(&path.display().to_string())),
        "{errors:?}"
    );
}
