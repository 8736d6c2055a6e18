//! An in-memory store built by the scripts' `load` commands, readable through `model`'s storage
//! traits.
//!
//! Float samples (staleness markers as [`model::STALE_NAN`], bit-exact) are what the engine
//! reads. Native-histogram samples and start timestamps cannot travel through
//! [`model::Series`], so the store only remembers which series hold them; the runner skips evals
//! that select such series.

use std::collections::{BTreeMap, BTreeSet};

use model::{Labels, METRIC_NAME, Queryable, Sample, SeriesQuerier, StorageError, VecQueryable};

use crate::lexing::parse_go_float;
use crate::notation::{SeqValue, labels_from_map};
use crate::script::{Load, LoadSeries};

/// What the runner needs to know of one stored series besides its float samples.
#[derive(Debug, Default, Clone)]
pub struct StoredSeries {
    /// It holds at least one native-histogram sample (a `{{...}}` value, or a series
    /// `load_with_nhcb` made from a classic histogram).
    pub has_histograms: bool,
    /// At least one of its samples has a start timestamp (`@st`).
    pub has_start_timestamps: bool,
}

/// The series of one script, by labels (so iteration is in label order); the float samples
/// (a later load replaces a sample at the same timestamp) are what the engine reads.
#[derive(Debug, Default)]
pub struct MemoryStore {
    series: BTreeMap<Labels, StoredSeries>,
    floats: VecQueryable,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Drops every series (`clear`).
    pub fn clear(&mut self) {
        self.series.clear();
        self.floats = VecQueryable::new();
    }

    /// Every series with its labels, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&Labels, &StoredSeries)> {
        self.series.iter()
    }

    /// Adds the series of a `load` block: the k-th value of each lands at `k * interval`.
    pub fn apply_load(&mut self, load: &Load) {
        for series in &load.series {
            self.apply_series(series, load.interval_ms);
        }
        if load.with_nhcb {
            for labels in nhcb_series(&load.series) {
                self.series.entry(labels).or_default().has_histograms = true;
            }
        }
    }

    fn apply_series(&mut self, series: &LoadSeries, interval_ms: i64) {
        let stored = self.series.entry(series.labels.clone()).or_default();
        let mut floats = Vec::new();
        for (k, value) in series.values.iter().enumerate() {
            let t = (k as i64).saturating_mul(interval_ms);
            let has_start = series
                .start_offsets
                .as_ref()
                .is_some_and(|offsets| offsets.get(k).copied().flatten().is_some());
            match value {
                SeqValue::Omitted => continue,
                SeqValue::Float(v) => floats.push(Sample::new(t, *v)),
                SeqValue::Histogram(_) => stored.has_histograms = true,
            }
            stored.has_start_timestamps |= has_start;
        }
        self.floats.add_samples(&series.labels, floats);
    }
}

/// The labels of the native histograms `load_with_nhcb` builds from classic histogram series:
/// `x_bucket` (with a float `le`), `x_count` and `x_sum` become series `x` without `le`.
fn nhcb_series(series: &[LoadSeries]) -> BTreeSet<Labels> {
    let mut out = BTreeSet::new();
    for s in series {
        let Some(name) = s.labels.metric_name() else {
            continue;
        };
        let base = if let Some(base) = name.strip_suffix("_bucket") {
            let le = s.labels.get("le").and_then(parse_go_float);
            if le.is_none_or(f64::is_nan) {
                continue;
            }
            base
        } else if let Some(base) = name
            .strip_suffix("_count")
            .or_else(|| name.strip_suffix("_sum"))
        {
            base
        } else {
            continue;
        };
        let mut pairs: BTreeMap<String, String> = s
            .labels
            .iter()
            .filter(|(n, _)| *n != "le")
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        pairs.insert(METRIC_NAME.to_owned(), base.to_owned());
        if let Ok(labels) = labels_from_map(pairs) {
            out.insert(labels);
        }
    }
    out
}

impl Queryable for MemoryStore {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn SeriesQuerier + '_>, StorageError> {
        self.floats.querier(mint, maxt)
    }
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;
