//! [`VecQueryable`]: series held in memory, readable through the storage traits.

use std::collections::{BTreeMap, BTreeSet};

use super::{Queryable, SampleIterator, Series, SeriesQuerier, SeriesSet, VecSampleIterator};
use crate::logs::matches_all;
use crate::{Labels, Matcher, Sample, StorageError};

/// Series held in memory (for tests, fuzzing and small adapters), readable through
/// [`Queryable`] with the contract of the storage traits: selects in label order, only
/// series with samples in the querier's range, samples in time order without duplicate
/// timestamps.
///
/// ```
/// use model::{Labels, Matcher, Queryable, Sample, VecQueryable};
///
/// let mut store = VecQueryable::new();
/// let up = Labels::from_pairs([("__name__", "up")]).unwrap();
/// store.add_samples(&up, [Sample::new(10, 1.0), Sample::new(20, 0.0)]);
/// let querier = store.querier(15, 30).unwrap();
/// let selected: Vec<_> = querier
///     .select(&[Matcher::equal("__name__", "up")])
///     .unwrap()
///     .collect();
/// assert_eq!(selected.len(), 1);
/// ```
#[derive(Debug, Default, Clone)]
pub struct VecQueryable {
    /// Samples by timestamp, per series.
    series: BTreeMap<Labels, BTreeMap<i64, f64>>,
}

impl VecQueryable {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds samples to the series `labels` (creating it); a sample at a timestamp the series
    /// already holds replaces the stored one.
    pub fn add_samples(&mut self, labels: &Labels, samples: impl IntoIterator<Item = Sample>) {
        let stored = self.series.entry(labels.clone()).or_default();
        for sample in samples {
            stored.insert(sample.t, sample.v);
        }
    }

    /// Number of series held (with or without samples).
    pub fn series_count(&self) -> usize {
        self.series.len()
    }
}

impl Queryable for VecQueryable {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn SeriesQuerier + '_>, StorageError> {
        Ok(Box::new(VecSeriesQuerier {
            store: self,
            mint,
            maxt,
        }))
    }
}

/// A [`VecQueryable`] seen over `[mint, maxt]`.
struct VecSeriesQuerier<'a> {
    store: &'a VecQueryable,
    mint: i64,
    maxt: i64,
}

impl<'a> VecSeriesQuerier<'a> {
    /// The series passing every matcher (every series when `matchers` is empty) with their
    /// samples in range, leaving out series without any; in label order.
    fn matching<'m>(
        &'m self,
        matchers: &'m [Matcher],
    ) -> impl Iterator<Item = (&'a Labels, Vec<Sample>)> + 'm {
        let (mint, maxt) = (self.mint, self.maxt);
        self.store
            .series
            .iter()
            .filter_map(move |(labels, stored)| {
                if mint > maxt || !matches_all(labels, matchers) {
                    return None;
                }
                let samples: Vec<Sample> = stored
                    .range(mint..=maxt)
                    .map(|(&t, &v)| Sample::new(t, v))
                    .collect();
                (!samples.is_empty()).then_some((labels, samples))
            })
    }
}

impl SeriesQuerier for VecSeriesQuerier<'_> {
    fn select(&self, matchers: &[Matcher]) -> Result<SeriesSet<'_>, StorageError> {
        if matchers.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let selected: Vec<Result<Box<dyn Series + '_>, StorageError>> = self
            .matching(matchers)
            .map(|(labels, samples)| {
                Ok(Box::new(HeldSeries {
                    labels: labels.clone(),
                    samples,
                }) as Box<dyn Series>)
            })
            .collect();
        Ok(Box::new(selected.into_iter()))
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut names = BTreeSet::new();
        for (labels, _) in self.matching(matchers) {
            names.extend(labels.iter().map(|(name, _)| name.to_owned()));
        }
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

/// One selected series with its samples in range.
struct HeldSeries {
    labels: Labels,
    samples: Vec<Sample>,
}

impl Series for HeldSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn samples(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(VecSampleIterator::new(self.samples.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn store() -> VecQueryable {
        let mut store = VecQueryable::new();
        let a = labels(&[("__name__", "m"), ("job", "a")]);
        let b = labels(&[("__name__", "m"), ("job", "b"), ("zone", "z1")]);
        store.add_samples(&b, [Sample::new(30, 3.0), Sample::new(10, 1.0)]);
        store.add_samples(&a, [Sample::new(5, 0.5)]);
        store.add_samples(&b, [Sample::new(10, 9.0)]);
        store
    }

    fn select(
        store: &VecQueryable,
        mint: i64,
        maxt: i64,
        m: &[Matcher],
    ) -> Vec<(String, Vec<Sample>)> {
        let querier = store.querier(mint, maxt).unwrap_or_else(|e| panic!("{e}"));
        let set = querier.select(m).unwrap_or_else(|e| panic!("{e}"));
        set.map(|s| {
            let s = s.unwrap_or_else(|e| panic!("{e}"));
            let mut it = s.samples();
            let mut samples = Vec::new();
            while let Some(sample) = it.next() {
                samples.push(sample);
            }
            (s.labels().to_string(), samples)
        })
        .collect()
    }

    #[test]
    fn selects_in_label_order_within_the_range_with_replaced_duplicates() {
        let store = store();
        let all = select(&store, 0, 100, &[Matcher::equal("__name__", "m")]);
        assert_eq!(
            all,
            vec![
                (
                    r#"{__name__="m", job="a"}"#.to_owned(),
                    vec![Sample::new(5, 0.5)]
                ),
                (
                    r#"{__name__="m", job="b", zone="z1"}"#.to_owned(),
                    vec![Sample::new(10, 9.0), Sample::new(30, 3.0)]
                ),
            ]
        );
        let late = select(&store, 10, 30, &[Matcher::equal("__name__", "m")]);
        assert_eq!(
            late.len(),
            1,
            "series without samples in range are left out"
        );
        assert!(
            select(&store, 0, 100, &[]).is_empty(),
            "no matchers select nothing"
        );
        assert!(select(&store, 40, 10, &[Matcher::equal("job", "b")]).is_empty());
    }

    #[test]
    fn label_names_and_values_follow_the_matchers_and_range() {
        let store = store();
        let querier = store.querier(0, 100).unwrap_or_else(|e| panic!("{e}"));
        let names = querier.label_names(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names, ["__name__", "job", "zone"]);
        let values = querier
            .label_values("job", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(values, ["a", "b"]);
        let late = store.querier(20, 100).unwrap_or_else(|e| panic!("{e}"));
        let values = late
            .label_values("job", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(values, ["b"]);
        assert_eq!(store.series_count(), 2);
    }
}
