//! A scrape loop's memory between scrapes: which exposition series text became which stored
//! series (so steady-state scrapes neither relabel nor hash), which series the last scrape
//! stored (for staleness markers), and the references of the synthetic report series.

use std::collections::HashMap;

use model::Labels;
use tsdb_core::SeriesRef;

/// Scrapes a cache entry may go unseen before it is forgotten.
const FORGET_AFTER_SCRAPES: u64 = 10;

/// The synthetic series every scrape writes, in [`ReportSeries`] order.
pub(crate) const REPORT_NAMES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// What one exposition series text stands for.
#[derive(Debug)]
pub(crate) enum CacheEntry {
    /// A stored series.
    Series {
        /// Its labels after target labels and metric relabeling.
        labels: Labels,
        /// Its storage reference, once an append returned one.
        series_ref: Option<SeriesRef>,
        /// The scrape that last saw it.
        last_seen: u64,
    },
    /// Metric relabeling dropped it.
    Dropped {
        /// The scrape that last saw it.
        last_seen: u64,
    },
}

/// The synthetic series of one target: labels and storage references.
#[derive(Debug)]
pub(crate) struct ReportSeries {
    /// `up`, `scrape_duration_seconds`, ... each with the target's labels.
    pub labels: Vec<Labels>,
    /// References returned by the last appends, in the same order.
    pub refs: Vec<Option<SeriesRef>>,
}

impl ReportSeries {
    /// The report series of a target with public labels `target`.
    pub(crate) fn new(target: &Labels) -> Self {
        let labels: Vec<Labels> = REPORT_NAMES
            .iter()
            .map(|name| {
                let mut b = target.to_builder();
                b.set(model::METRIC_NAME, name);
                // Target labels are valid and the names are valid metric names.
                b.build().unwrap_or_else(|_| target.clone())
            })
            .collect();
        let refs = vec![None; labels.len()];
        ReportSeries { labels, refs }
    }
}

/// Everything a scrape loop remembers between scrapes.
#[derive(Debug)]
pub(crate) struct ScrapeCache {
    /// Series text as exposed (`name{labels}`) → what it became.
    entries: HashMap<Box<[u8]>, CacheEntry>,
    /// Number of the current scrape; starts at 1.
    iteration: u64,
    /// Series without explicit timestamps stored by the last successful scrape.
    previous: HashMap<Labels, Option<SeriesRef>>,
    /// The same for the scrape being appended.
    current: HashMap<Labels, Option<SeriesRef>>,
    /// The synthetic series.
    pub report: ReportSeries,
}

impl ScrapeCache {
    /// An empty cache for a target with public labels `target`.
    pub(crate) fn new(target: &Labels) -> Self {
        ScrapeCache {
            entries: HashMap::new(),
            iteration: 0,
            previous: HashMap::new(),
            current: HashMap::new(),
            report: ReportSeries::new(target),
        }
    }

    /// The cache for a successor loop with other settings: what the series texts became no
    /// longer holds (relabeling or `honor_labels` may differ), but the series the last scrape
    /// stored still get staleness markers when the next scrape lacks them.
    pub(crate) fn forget_series_texts(&mut self) {
        self.entries.clear();
    }

    /// Starts a scrape.
    pub(crate) fn begin(&mut self) {
        self.iteration += 1;
        self.current.clear();
    }

    /// The number of the current scrape.
    pub(crate) fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The entry of `series`, marked as seen by this scrape.
    pub(crate) fn get(&mut self, series: &[u8]) -> Option<&mut CacheEntry> {
        let iteration = self.iteration;
        let entry = self.entries.get_mut(series)?;
        match entry {
            CacheEntry::Series { last_seen, .. } | CacheEntry::Dropped { last_seen } => {
                *last_seen = iteration;
            }
        }
        Some(entry)
    }

    /// Remembers what `series` became.
    pub(crate) fn insert(&mut self, series: &[u8], entry: CacheEntry) {
        self.entries.insert(series.into(), entry);
    }

    /// Notes that this scrape stored `labels` without an explicit timestamp.
    pub(crate) fn track(&mut self, labels: &Labels, series_ref: Option<SeriesRef>) {
        self.current.insert(labels.clone(), series_ref);
    }

    /// Ends a successful scrape: returns the series the previous one stored and this one did
    /// not (they get staleness markers), then forgets entries unseen for a while.
    pub(crate) fn finish(&mut self) -> Vec<(Labels, Option<SeriesRef>)> {
        let gone: Vec<(Labels, Option<SeriesRef>)> = self
            .previous
            .drain()
            .filter(|(labels, _)| !self.current.contains_key(labels))
            .collect();
        std::mem::swap(&mut self.previous, &mut self.current);
        let iteration = self.iteration;
        self.entries.retain(|_, e| match e {
            CacheEntry::Series { last_seen, .. } | CacheEntry::Dropped { last_seen } => {
                iteration - *last_seen <= FORGET_AFTER_SCRAPES
            }
        });
        gone
    }

    /// Ends a failed scrape (or the loop): every series the last successful scrape stored
    /// is returned for staleness markers and forgotten.
    pub(crate) fn abandon(&mut self) -> Vec<(Labels, Option<SeriesRef>)> {
        self.current.clear();
        self.previous.drain().collect()
    }

    /// Number of cached series texts (stored and dropped).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: &str) -> Labels {
        Labels::from_pairs([("__name__", name)]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn series_missing_from_a_scrape_are_returned_once() {
        let mut cache = ScrapeCache::new(&Labels::empty());
        cache.begin();
        cache.track(&labels("a"), None);
        cache.track(&labels("b"), None);
        assert!(cache.finish().is_empty());
        cache.begin();
        cache.track(&labels("a"), None);
        let gone = cache.finish();
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].0, labels("b"));
        cache.begin();
        cache.track(&labels("a"), None);
        assert!(cache.finish().is_empty());
        cache.begin();
        assert_eq!(cache.abandon().len(), 1);
        cache.begin();
        assert!(cache.finish().is_empty());
    }

    #[test]
    fn entries_unseen_for_a_while_are_forgotten() {
        let mut cache = ScrapeCache::new(&Labels::empty());
        cache.begin();
        cache.insert(b"old", CacheEntry::Dropped { last_seen: 1 });
        cache.insert(
            b"kept",
            CacheEntry::Series {
                labels: labels("kept"),
                series_ref: None,
                last_seen: 1,
            },
        );
        cache.finish();
        for _ in 0..FORGET_AFTER_SCRAPES + 1 {
            cache.begin();
            assert!(cache.get(b"kept").is_some());
            cache.finish();
        }
        assert_eq!(cache.len(), 1);
        assert!(cache.get(b"old").is_none());
    }

    #[test]
    fn report_series_carry_the_target_labels() {
        let target = Labels::from_pairs([("instance", "a:1"), ("job", "j")])
            .unwrap_or_else(|e| panic!("{e}"));
        let report = ReportSeries::new(&target);
        assert_eq!(report.labels.len(), 5);
        assert_eq!(
            report.labels[0].to_string(),
            r#"{__name__="up", instance="a:1", job="j"}"#
        );
    }
}
