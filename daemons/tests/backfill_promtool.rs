//! `tsdbd backfill` on real node_exporter data, read back by the real promtool: `analyze`
//! succeeds and `dump` lists exactly the samples of the input file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use model::Labels;
use model::exposition::{Entry, Format, Parser};

fn shared_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Prometheus's `labels.String()` for the plain ASCII labels of this file.
fn go_labels(l: &Labels) -> String {
    let parts: Vec<String> = l.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn value_key(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

#[test]
fn node_exporter_backfill_matches_promtool_dump() {
    let input = shared_data("metrics/node-exporter-1s.om.zst");
    let out = tempfile::tempdir().expect("tempdir");
    let blocks = out.path().join("data");
    run(Command::new(env!("CARGO_BIN_EXE_tsdbd"))
        .args(["backfill", "--quiet"])
        .arg(&input)
        .arg(&blocks));

    // What the file says, parsed independently of the import path's series cache.
    let mut text = Vec::new();
    zstd::stream::Decoder::new(fs::File::open(&input).expect("input"))
        .and_then(|mut d| d.read_to_end(&mut text))
        .expect("decompress");
    let mut expected: Vec<(String, i64, u64)> = Vec::new();
    let mut names: HashMap<Vec<u8>, String> = HashMap::new();
    let mut p = Parser::new(&text, Format::OpenMetrics);
    while let Some(e) = p.next() {
        let (v, t) = match e.expect("input parses") {
            Entry::Sample {
                value,
                timestamp_ms,
                ..
            } => (value, timestamp_ms.expect("timestamp")),
            _ => continue,
        };
        let key = p.series_bytes().to_vec();
        let name = match names.get(&key) {
            Some(n) => n.clone(),
            None => {
                let n = go_labels(&p.series_labels().expect("labels"));
                names.insert(key, n.clone());
                n
            }
        };
        expected.push((name, t, value_key(v)));
    }
    drop(text);

    let analyze = run(Command::new("promtool")
        .args(["tsdb", "analyze"])
        .arg(&blocks));
    assert!(analyze.contains("Block ID"), "{analyze}");

    // promtool 2.42's dump opens the directory as a database: it wants a `wal/` folder and
    // writes `chunks_head/`; the directory is a throwaway, so it gets an empty `wal/`.
    fs::create_dir_all(blocks.join("wal")).expect("wal dir");
    let dump = run(Command::new("promtool").args(["tsdb", "dump"]).arg(&blocks));
    let mut got: Vec<(String, i64, u64)> = dump
        .lines()
        .map(|line| {
            let (rest, ts) = line.rsplit_once(' ').expect("timestamp");
            let (labels, value) = rest.rsplit_once(' ').expect("value");
            let v: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                v => v.parse().expect("number"),
            };
            (labels.to_owned(), ts.parse().expect("ts"), value_key(v))
        })
        .collect();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got.len(), expected.len(), "sample count");
    let first_diff = got.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(
        first_diff,
        None,
        "first difference: {:?}",
        first_diff.map(|i| (&got[i], &expected[i]))
    );
}
