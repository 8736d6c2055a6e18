//! The `promtool tsdb bench write` workload.
//!
//! Semantics follow promtool (cmd/promtool/tsdb.go): the first `metrics` distinct label sets of
//! the input (one JSON object per line); `scrapes` scrapes 30 s apart, run in rounds of 100; in
//! each round the series are split into shards of 1000, each shard ingested by its own thread,
//! one commit per shard and scrape; in every round each value starts at 123456789 and grows by
//! 1000 per scrape.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;
use model::Labels;

/// Milliseconds between scrapes, as promtool's `timeDelta`.
pub const SCRAPE_INTERVAL_MS: i64 = 30_000;
/// Series per ingesting thread.
pub const SHARD_SIZE: usize = 1000;
/// Scrapes per round.
pub const SCRAPES_PER_ROUND: usize = 100;
/// First value of every series.
pub const START_VALUE: i64 = 123_456_789;

/// Reads up to `n` distinct label sets from a file of JSON objects, one per line.
pub fn read_label_sets(path: &Path, n: usize) -> anyhow::Result<Vec<Labels>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    for (i, line) in text.lines().enumerate() {
        if out.len() >= n {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let map: BTreeMap<String, String> = serde_json::from_str(line).with_context(|| {
            format!("{}:{}: not a JSON object of strings", path.display(), i + 1)
        })?;
        let labels = Labels::from_pairs(map.iter())
            .with_context(|| format!("{}:{}: invalid labels", path.display(), i + 1))?;
        if seen.insert(labels.clone()) {
            out.push(labels);
        }
    }
    Ok(out)
}

/// Total bytes of label names and values, the part of series memory the 1 KiB-per-series target
/// leaves out.
pub fn label_bytes(sets: &[Labels]) -> u64 {
    sets.iter()
        .flat_map(|l| l.iter())
        .map(|(n, v)| (n.len() + v.len()) as u64)
        .sum()
}
