//! An in-memory store built by the scripts' `load` commands, readable through `model`'s storage
//! traits.
//!
//! Float samples (staleness markers as [`model::STALE_NAN`], bit-exact) are what the engine
//! reads. Native-histogram samples and start timestamps cannot travel through
//! [`model::Series`], so the store only remembers which series hold them; the runner skips evals
//! that select such series.

use std::collections::{BTreeMap, BTreeSet};

use model::{
    Labels, METRIC_NAME, Matcher, Queryable, Sample, SampleIterator, Series, SeriesQuerier,
    SeriesSet, StorageError, VecSampleIterator,
};

use crate::lexing::parse_go_float;
use crate::notation::{SeqValue, labels_from_map};
use crate::script::{Load, LoadSeries};

/// One stored series.
#[derive(Debug, Default, Clone)]
pub struct StoredSeries {
    /// Float samples by timestamp; a later load replaces a sample at the same timestamp.
    pub floats: BTreeMap<i64, f64>,
    /// It holds at least one native-histogram sample (a `{{...}}` value, or a series
    /// `load_with_nhcb` made from a classic histogram).
    pub has_histograms: bool,
    /// At least one of its samples has a start timestamp (`@st`).
    pub has_start_timestamps: bool,
}

/// The series of one script, by labels (so iteration is in label order).
#[derive(Debug, Default)]
pub struct MemoryStore {
    series: BTreeMap<Labels, StoredSeries>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Drops every series (`clear`).
    pub fn clear(&mut self) {
        self.series.clear();
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
        for (k, value) in series.values.iter().enumerate() {
            let t = (k as i64).saturating_mul(interval_ms);
            let has_start = series
                .start_offsets
                .as_ref()
                .is_some_and(|offsets| offsets.get(k).copied().flatten().is_some());
            match value {
                SeqValue::Omitted => continue,
                SeqValue::Float(v) => {
                    stored.floats.insert(t, *v);
                }
                SeqValue::Histogram(_) => stored.has_histograms = true,
            }
            stored.has_start_timestamps |= has_start;
        }
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
        Ok(Box::new(MemoryQuerier {
            store: self,
            mint,
            maxt,
        }))
    }
}

/// A view of a [`MemoryStore`] over `[mint, maxt]`.
struct MemoryQuerier<'a> {
    store: &'a MemoryStore,
    mint: i64,
    maxt: i64,
}

impl MemoryQuerier<'_> {
    /// The series passing every matcher with at least one float sample in range, as
    /// (labels, samples in range), in label order.
    fn matching<'m>(
        &'m self,
        matchers: &'m [Matcher],
    ) -> impl Iterator<Item = (&'m Labels, Vec<Sample>)> + 'm {
        let (mint, maxt) = (self.mint, self.maxt);
        self.store
            .series
            .iter()
            .filter_map(move |(labels, stored)| {
                if !matches_all(labels, matchers) || mint > maxt {
                    return None;
                }
                let samples: Vec<Sample> = stored
                    .floats
                    .range(mint..=maxt)
                    .map(|(t, v)| Sample::new(*t, *v))
                    .collect();
                (!samples.is_empty()).then_some((labels, samples))
            })
    }
}

/// True when `labels` pass every matcher (an absent label matches as "").
pub fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

impl SeriesQuerier for MemoryQuerier<'_> {
    fn select(&self, matchers: &[Matcher]) -> Result<SeriesSet<'_>, StorageError> {
        if matchers.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let selected: Vec<Result<Box<dyn Series + '_>, StorageError>> = self
            .matching(matchers)
            .map(|(labels, samples)| {
                Ok(Box::new(MemorySeries {
                    labels: labels.clone(),
                    samples,
                }) as Box<dyn Series>)
            })
            .collect();
        Ok(Box::new(selected.into_iter()))
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let names: BTreeSet<String> = self
            .matching(matchers)
            .flat_map(|(labels, _)| labels.iter().map(|(n, _)| n.to_owned()).collect::<Vec<_>>())
            .collect();
        Ok(names.into_iter().collect())
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let values: BTreeSet<String> = self
            .matching(matchers)
            .filter_map(|(labels, _)| labels.get(name).map(str::to_owned))
            .collect();
        Ok(values.into_iter().collect())
    }
}

/// One selected series with its samples in the querier's range.
struct MemorySeries {
    labels: Labels,
    samples: Vec<Sample>,
}

impl Series for MemorySeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn samples(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(VecSampleIterator::new(self.samples.clone()))
    }
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;
