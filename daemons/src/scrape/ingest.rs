//! Turning one scrape's body into stored samples, as Prometheus's `scrapeLoop.append` and
//! `report` (scrape/scrape.go): target labels merged by `honor_labels`, metric relabeling,
//! label and sample limits, staleness markers, and the synthetic report series, all in one
//! appender commit. Storage is synchronous: callers run this on a blocking thread.

use std::collections::BTreeMap;
use std::time::Instant;

use model::exposition::{Entry, Format, Parser};
use model::relabel::RelabelConfig;
use model::{Labels, STALE_NAN};
use tsdb_core::{Appender, Db, Error as DbError, SeriesRef};

use super::cache::{CacheEntry, ScrapeCache};
use super::status::MetricMetadata;
use crate::config::ScrapeConfig;
use crate::tsdbd::metrics::{Metrics, ReasonLabels};

/// How a job treats the samples it scrapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SampleRules {
    /// Scraped labels win over target labels.
    pub honor_labels: bool,
    /// Keep the exposed timestamps.
    pub honor_timestamps: bool,
    /// `metric_relabel_configs`.
    pub metric_relabel: Vec<RelabelConfig>,
    /// `sample_limit`.
    pub sample_limit: Option<u64>,
    /// `label_limit`.
    pub label_limit: Option<u64>,
    /// `label_name_length_limit`.
    pub label_name_length_limit: Option<u64>,
    /// `label_value_length_limit`.
    pub label_value_length_limit: Option<u64>,
}

impl SampleRules {
    /// The rules of `job`.
    pub(crate) fn of(job: &ScrapeConfig) -> Self {
        SampleRules {
            honor_labels: job.honor_labels,
            honor_timestamps: job.honor_timestamps,
            metric_relabel: job.metric_relabel_configs.clone(),
            sample_limit: job.sample_limit,
            label_limit: job.label_limit,
            label_name_length_limit: job.label_name_length_limit,
            label_value_length_limit: job.label_value_length_limit,
        }
    }
}

/// Sample counts of one scrape, as the report series give them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Samples in the body (`scrape_samples_scraped`).
    pub scraped: u64,
    /// Samples left after metric relabeling (`scrape_samples_post_metric_relabeling`).
    pub post_relabel: u64,
    /// Series new to this loop's cache (`scrape_series_added`).
    pub series_added: u64,
}

/// What one scrape produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Why the scrape failed; `None` when it succeeded.
    pub error: Option<String>,
    /// Metadata of every family the body described, when it succeeded.
    pub metadata: Option<BTreeMap<String, MetricMetadata>>,
    /// The counts reported.
    pub counts: Counts,
}

/// What a scrape ingests into: storage, the target's labels, the job's rules and metrics.
pub(crate) struct Sink<'a> {
    /// Storage.
    pub db: &'a Db,
    /// The target's public labels.
    pub target: &'a Labels,
    /// The job's sample rules.
    pub rules: &'a SampleRules,
    /// Daemon metrics (`scrape_samples_rejected`).
    pub metrics: &'a Metrics,
}

/// A scrape failure, with the counts reached before it.
struct Failure {
    message: String,
    counts: Counts,
}

impl Sink<'_> {
    /// Appends the scrape taken at `t` (ms) whose body is `body` (or the error fetching it),
    /// staleness markers and the report series, in one commit. `started` is when the scrape
    /// began, for `scrape_duration_seconds`.
    pub(crate) fn ingest(
        &self,
        cache: &mut ScrapeCache,
        body: Result<(&[u8], Format), String>,
        t: i64,
        started: Instant,
    ) -> Outcome {
        cache.begin();
        let mut app = self.db.appender();
        let mut metadata = BTreeMap::new();
        let appended = match body {
            Ok((bytes, format)) => {
                self.append_body(&mut app, cache, bytes, format, t, &mut metadata)
            }
            Err(message) => Err(Failure {
                message,
                counts: Counts::default(),
            }),
        };
        let (error, counts, gone) = match appended {
            Ok(counts) => (None, counts, cache.finish()),
            Err(f) => {
                app.rollback();
                app = self.db.appender();
                (Some(f.message), f.counts, cache.abandon())
            }
        };
        for (labels, series_ref) in gone {
            self.append_stale(&mut app, &labels, series_ref, t);
        }
        let up = if error.is_some() { 0.0 } else { 1.0 };
        let values = [
            up,
            started.elapsed().as_secs_f64(),
            counts.scraped as f64,
            counts.post_relabel as f64,
            counts.series_added as f64,
        ];
        self.append_report(&mut app, cache, t, values);
        if let Err(e) = app.commit() {
            tracing::warn!(target = %self.target, error = %e, "committing a scrape failed");
        }
        Outcome {
            metadata: error.is_none().then_some(metadata),
            error,
            counts,
        }
    }

    /// Writes staleness markers at `t` for every series of the last successful scrape and the
    /// report series: the target is gone.
    pub(crate) fn end_of_run(&self, cache: &mut ScrapeCache, t: i64) {
        let mut app = self.db.appender();
        for (labels, series_ref) in cache.abandon() {
            self.append_stale(&mut app, &labels, series_ref, t);
        }
        self.append_report(&mut app, cache, t, [STALE_NAN; 5]);
        if let Err(e) = app.commit() {
            tracing::warn!(target = %self.target, error = %e, "committing staleness markers failed");
        }
    }

    fn append_report(
        &self,
        app: &mut Appender<'_>,
        cache: &mut ScrapeCache,
        t: i64,
        values: [f64; 5],
    ) {
        let report = &mut cache.report;
        for ((labels, series_ref), v) in
            report.labels.iter().zip(report.refs.iter_mut()).zip(values)
        {
            match append(app, *series_ref, labels, t, v) {
                Ok(r) => *series_ref = Some(r),
                Err(e) => {
                    self.rejected(&e);
                    *series_ref = None;
                }
            }
        }
    }

    fn append_stale(&self, app: &mut Appender<'_>, labels: &Labels, r: Option<SeriesRef>, t: i64) {
        // A marker older than what another loop wrote since is expected (a target that moved
        // to a new loop): not worth counting or logging.
        let _ = append(app, r, labels, t, STALE_NAN);
    }

    /// Appends every sample of the body; the first fatal problem fails the whole scrape.
    fn append_body(
        &self,
        app: &mut Appender<'_>,
        cache: &mut ScrapeCache,
        bytes: &[u8],
        format: Format,
        t: i64,
        metadata: &mut BTreeMap<String, MetricMetadata>,
    ) -> Result<Counts, Failure> {
        let mut counts = Counts::default();
        let mut parser = Parser::new(bytes, format);
        let mut empty_names: Vec<String> = Vec::new();
        let mut over_limit = false;
        loop {
            let sample = match parser.next() {
                None => break,
                Some(Err(e)) => return Err(fail(e.to_string(), counts)),
                Some(Ok(entry)) => match describe(entry, metadata, &mut empty_names) {
                    Some(sample) => sample,
                    None => continue,
                },
            };
            counts.scraped += 1;
            let key = parser.series_bytes();
            let (labels, series_ref, is_new) = match cache.get(key) {
                Some(CacheEntry::Dropped { .. }) => continue,
                Some(CacheEntry::Series {
                    labels, series_ref, ..
                }) => (labels.clone(), *series_ref, false),
                None => {
                    let exposed = parser
                        .series_labels()
                        .map_err(|e| fail(e.to_string(), counts))?;
                    let iteration = cache.iteration();
                    match self
                        .final_labels(exposed, &empty_names)
                        .map_err(|m| fail(m, counts))?
                    {
                        None => {
                            cache.insert(
                                key,
                                CacheEntry::Dropped {
                                    last_seen: iteration,
                                },
                            );
                            continue;
                        }
                        Some(labels) => (labels, None, true),
                    }
                }
            };
            counts.post_relabel += 1;
            if self
                .rules
                .sample_limit
                .is_some_and(|limit| counts.post_relabel > limit)
            {
                over_limit = true;
            }
            let explicit = sample.timestamp_ms.filter(|_| self.rules.honor_timestamps);
            let stored = if over_limit {
                series_ref
            } else {
                match append(
                    app,
                    series_ref,
                    &labels,
                    explicit.unwrap_or(t),
                    sample.value,
                ) {
                    Ok(r) => Some(r),
                    Err(e) if is_rejection(&e) => {
                        self.rejected(&e);
                        series_ref
                    }
                    Err(e) => return Err(fail(format!("appending {labels}: {e}"), counts)),
                }
            };
            if explicit.is_none() {
                cache.track(&labels, stored);
            }
            if is_new {
                if !over_limit {
                    counts.series_added += 1;
                }
                let iteration = cache.iteration();
                cache.insert(
                    key,
                    CacheEntry::Series {
                        labels,
                        series_ref: stored,
                        last_seen: iteration,
                    },
                );
            } else if let Some(CacheEntry::Series { series_ref, .. }) = cache.get(key) {
                *series_ref = stored;
            }
        }
        if over_limit {
            return Err(fail("sample limit exceeded".into(), counts));
        }
        Ok(counts)
    }

    /// The stored labels of an exposed series: target labels merged, metric relabeling
    /// applied, limits checked. `Ok(None)` when relabeling dropped it.
    fn final_labels(
        &self,
        exposed: Labels,
        empty_names: &[String],
    ) -> Result<Option<Labels>, String> {
        let merged =
            merge_target_labels(&exposed, empty_names, self.target, self.rules.honor_labels)?;
        let relabeled = match model::relabel::process_checked(&merged, &self.rules.metric_relabel) {
            Ok(Some(l)) => l,
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("invalid metric name or label names: {e}")),
        };
        if relabeled.is_empty() {
            return Ok(None);
        }
        if relabeled.metric_name().is_none() {
            return Err("missing metric name (__name__ label)".into());
        }
        check_label_limits(&relabeled, self.rules)?;
        Ok(Some(relabeled))
    }

    fn rejected(&self, e: &DbError) {
        let reason = match e {
            DbError::OutOfOrder { .. } => "out_of_order",
            DbError::DuplicateSampleForTimestamp { .. } => "duplicate",
            DbError::OutOfBounds { .. } => "out_of_bounds",
            _ => "invalid",
        };
        tracing::debug!(target = %self.target, error = %e, "scraped sample refused by storage");
        self.metrics
            .scrape_samples_rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }
}

fn fail(message: String, counts: Counts) -> Failure {
    Failure { message, counts }
}

/// A sample's value and timestamp.
struct Sample {
    value: f64,
    timestamp_ms: Option<i64>,
}

/// Records metadata entries; for a sample, notes the names of its empty-valued labels (which
/// [`Labels`] drops but `honor_labels` must see) and returns its value and timestamp.
fn describe(
    entry: Entry<'_>,
    metadata: &mut BTreeMap<String, MetricMetadata>,
    empty_names: &mut Vec<String>,
) -> Option<Sample> {
    match entry {
        Entry::Sample {
            labels,
            value,
            timestamp_ms,
            ..
        } => {
            empty_names.clear();
            if labels.iter().any(|(_, v)| v.is_empty()) {
                empty_names.extend(
                    labels
                        .iter()
                        .filter(|(_, v)| v.is_empty())
                        .map(|(n, _)| (*n).to_owned()),
                );
            }
            return Some(Sample {
                value,
                timestamp_ms,
            });
        }
        Entry::Type { metric, kind } => {
            kind.as_str().clone_into(&mut family(metadata, metric).kind)
        }
        Entry::Help { metric, text } => {
            text.as_ref().clone_into(&mut family(metadata, metric).help)
        }
        Entry::Unit { metric, unit } => unit.clone_into(&mut family(metadata, metric).unit),
        _ => {}
    }
    None
}

/// The metadata of family `metric`, created as `unknown` with no help or unit.
fn family<'m>(
    metadata: &'m mut BTreeMap<String, MetricMetadata>,
    metric: &str,
) -> &'m mut MetricMetadata {
    metadata
        .entry(metric.to_owned())
        .or_insert_with(|| MetricMetadata {
            kind: "unknown".into(),
            help: String::new(),
            unit: String::new(),
        })
}

/// Appends by reference when there is one (by labels when the head forgot it).
fn append(
    app: &mut Appender<'_>,
    r: Option<SeriesRef>,
    labels: &Labels,
    t: i64,
    v: f64,
) -> Result<SeriesRef, DbError> {
    if let Some(r) = r {
        match app.append_ref(r, t, v) {
            Err(DbError::UnknownSeriesRef(_)) => {}
            other => return other,
        }
    }
    app.append(labels, t, v)
}

/// Storage refusals that cost one sample, not the scrape.
fn is_rejection(e: &DbError) -> bool {
    matches!(
        e,
        DbError::OutOfOrder { .. }
            | DbError::DuplicateSampleForTimestamp { .. }
            | DbError::OutOfBounds { .. }
    )
}

/// Prometheus's `mutateSampleLabels` before relabeling. With `honor`, exposed labels win and
/// an exposed empty value keeps the target's label off; without, target labels win and each
/// clashing exposed label moves to `exported_<name>` (more `exported_` prefixes while taken,
/// shorter names first).
pub(crate) fn merge_target_labels(
    exposed: &Labels,
    empty_names: &[String],
    target: &Labels,
    honor: bool,
) -> Result<Labels, String> {
    let mut out: BTreeMap<String, String> = exposed
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    if honor {
        for (n, v) in target.iter() {
            if exposed.get(n).is_none() && !empty_names.iter().any(|e| e == n) {
                out.insert(n.to_owned(), v.to_owned());
            }
        }
    } else {
        let mut clashes: Vec<(&str, &str)> = Vec::new();
        for (n, v) in target.iter() {
            if let Some(existing) = exposed.get(n) {
                clashes.push((n, existing));
            }
            out.insert(n.to_owned(), v.to_owned());
        }
        clashes.sort_by_key(|(n, _)| n.len());
        for (name, value) in clashes {
            let mut new_name = name.to_owned();
            loop {
                new_name.insert_str(0, "exported_");
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    out.entry(new_name.clone())
                {
                    slot.insert(value.to_owned());
                    break;
                }
            }
        }
    }
    Labels::from_pairs(out).map_err(|e| format!("invalid metric name or label names: {e}"))
}

/// `label_limit`, `label_name_length_limit` and `label_value_length_limit`, with Prometheus's
/// messages (names and values cut at 50 characters).
fn check_label_limits(labels: &Labels, rules: &SampleRules) -> Result<(), String> {
    let metric = cut(labels.metric_name().unwrap_or(""));
    if let Some(limit) = rules.label_limit {
        let n = labels.len() as u64;
        if n > limit {
            return Err(format!(
                "label_limit exceeded (metric: {metric}, number of labels: {n}, limit: {limit})"
            ));
        }
    }
    for (name, value) in labels.iter() {
        if let Some(limit) = rules.label_name_length_limit
            && name.len() as u64 > limit
        {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {metric}, label name: {}, length: {}, limit: {limit})",
                cut(name),
                name.len()
            ));
        }
        if let Some(limit) = rules.label_value_length_limit
            && value.len() as u64 > limit
        {
            return Err(format!(
                "label_value_length_limit exceeded (metric: {metric}, label value: {}, length: {}, limit: {limit})",
                cut(value),
                value.len()
            ));
        }
    }
    Ok(())
}

/// Go's `%.50s`: at most 50 characters.
fn cut(s: &str) -> &str {
    match s.char_indices().nth(50) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
