//! Compatibility with the real `promtool` (Debian's `prometheus` package, which CI installs):
//! blocks written by tsdb-core pass `promtool tsdb analyze`, and `promtool tsdb dump` lists exactly
//! the samples written.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use model::Labels;
use tsdb_core::{Db, Options, WalSync};

/// Runs promtool; fails the test with a clear message when it is missing.
fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool ({e}); install Debian's `prometheus` package (.ci/run does)"
            )
        });
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Go's `strconv.Quote` for the ASCII strings these tests use.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A label set as Prometheus's `labels.Labels.String()` prints it.
fn go_labels(l: &Labels) -> String {
    let parts: Vec<String> = l
        .iter()
        .map(|(n, v)| format!("{n}={}", go_quote(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Parses `promtool tsdb dump` output into (labels, t, value bits) with NaNs normalised.
fn parse_dump(out: &str) -> Vec<(String, i64, u64)> {
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (rest, ts) = line.rsplit_once(' ').unwrap();
            let (labels, value) = rest.rsplit_once(' ').unwrap();
            let v: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                v => v
                    .parse()
                    .unwrap_or_else(|_| panic!("bad value in {line:?}")),
            };
            (labels.to_owned(), ts.parse().unwrap(), normalise(v))
        })
        .collect()
}

/// The dump prints every NaN alike; bit-exactness of NaNs is checked by our own reader tests.
fn normalise(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

/// Copies only the block directories of `db_dir` into a fresh directory with an empty `wal/`,
/// which is what promtool 2.42's dump needs (it opens the directory as a read-only database).
fn blocks_only(db_dir: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    fs::create_dir(out.path().join("wal")).unwrap();
    for e in fs::read_dir(db_dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() && ulid::Ulid::from_string(&name).is_ok() {
            common::copy_dir(&p, &out.path().join(&name));
        }
    }
    out
}

#[test]
fn promtool_reads_our_blocks_sample_for_sample() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        retention_ms: None,
        wal_sync: WalSync::Never,
        ..Options::default()
    };
    let db = Db::open(dir.path(), opts).unwrap();
    let specials = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::MIN_POSITIVE / 4.0,
        f64::MAX,
        model::STALE_NAN,
        f64::from_bits(0x7ff8_0000_0000_0abc),
        1e-300,
        123_456_789.125,
    ];
    let mut expected = Vec::new();
    let mut app = db.appender();
    for s in 0..40usize {
        let labels = Labels::from_pairs([
            ("__name__", format!("metric_{}", s % 4)),
            ("instance", format!("host-{s}:9100")),
            (
                "job",
                if s % 2 == 0 {
                    "node".into()
                } else {
                    "api \"quoted\"".to_string()
                },
            ),
        ])
        .unwrap();
        // Six hours at a 15 s interval with jitter: several blocks, many chunks.
        let mut t = 1_700_000_000_000i64 + s as i64 * 7;
        for i in 0..1440usize {
            let v = if i % 97 == 0 {
                specials[(i / 97 + s) % specials.len()]
            } else {
                (i * s) as f64 * 0.5
            };
            app.append(&labels, t, v).unwrap();
            expected.push((go_labels(&labels), t, normalise(v)));
            t += 15_000 + (i as i64 % 3) - 1;
        }
    }
    app.commit().unwrap();
    db.flush().unwrap();
    let metas = db.blocks();
    assert!(metas.len() >= 3, "expected several blocks: {metas:?}");
    db.close().unwrap();

    let copy = blocks_only(dir.path());
    let path = copy.path().to_str().unwrap();
    let analyze = promtool(&["tsdb", "analyze", path]);
    assert!(analyze.contains("Block ID"), "{analyze}");
    let list = promtool(&["tsdb", "list", path]);
    for meta in &metas {
        assert!(
            list.contains(&meta.ulid.to_string()),
            "{} missing from:\n{list}",
            meta.ulid
        );
    }

    let mut got = parse_dump(&promtool(&["tsdb", "dump", path]));
    got.sort();
    expected.sort();
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "promtool dump differs from what was written"
    );
}
