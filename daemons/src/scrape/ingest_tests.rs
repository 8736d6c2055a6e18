use model::{Matcher, SeriesQuerier};
use tsdb_core::Options;

use super::*;

/// A database in a temporary directory, with the rules and target every test starts from.
pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    pub db: Db,
    pub metrics: Metrics,
    pub rules: SampleRules,
    pub target: Labels,
}

impl Fixture {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = Db::open(dir.path(), Options::default()).unwrap_or_else(|e| panic!("{e}"));
        Fixture {
            _dir: dir,
            db,
            metrics: Metrics::new(),
            rules: SampleRules {
                honor_labels: false,
                honor_timestamps: true,
                metric_relabel: Vec::new(),
                sample_limit: None,
                label_limit: None,
                label_name_length_limit: None,
                label_value_length_limit: None,
            },
            target: labels(&[("instance", "t:1"), ("job", "j")]),
        }
    }

    fn scrape(&self, cache: &mut ScrapeCache, body: &str, t: i64) -> Outcome {
        self.scrape_as(cache, Ok((body.as_bytes(), Format::Text)), t)
    }

    fn scrape_as(
        &self,
        cache: &mut ScrapeCache,
        body: Result<(&[u8], Format), String>,
        t: i64,
    ) -> Outcome {
        let sink = Sink {
            db: &self.db,
            target: &self.target,
            rules: &self.rules,
            metrics: &self.metrics,
        };
        sink.ingest(cache, body, t, Instant::now())
    }

    fn cache(&self) -> ScrapeCache {
        ScrapeCache::new(&self.target)
    }

    /// Every series whose name is `name`, with its samples (value bits kept by `f64`).
    pub(super) fn series(&self, name: &str) -> Vec<(Labels, Vec<(i64, f64)>)> {
        series_of(&self.db, name)
    }

    fn rejected(&self, reason: &str) -> u64 {
        self.metrics
            .scrape_samples_rejected
            .get_or_create(&ReasonLabels {
                reason: reason.into(),
            })
            .get()
    }
}

/// Every series of `db` named `name`, with its samples.
pub(super) fn series_of(db: &Db, name: &str) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let q = db.querier(i64::MIN, i64::MAX);
    let set = q
        .select(&[Matcher::equal("__name__", name)])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for series in set {
        let series = series.unwrap_or_else(|e| panic!("{e}"));
        let mut it = series.samples();
        let mut samples = Vec::new();
        while let Some(s) = it.next() {
            samples.push((s.t, s.v));
        }
        out.push((series.labels().clone(), samples));
    }
    out
}

pub(super) fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
}

fn value_of(f: &Fixture, name: &str) -> Vec<(i64, f64)> {
    let mut series = f.series(name);
    assert_eq!(series.len(), 1, "{name}: {series:?}");
    series.remove(0).1
}

#[test]
fn target_labels_win_and_clashing_exposed_labels_are_exported() {
    let f = Fixture::new();
    let mut cache = f.cache();
    let out = f.scrape(
        &mut cache,
        "m{job=\"x\",instance=\"y\",exported_job=\"z\"} 1\n",
        1_000,
    );
    assert_eq!(out.error, None);
    let series = f.series("m");
    assert_eq!(
        series[0].0,
        labels(&[
            ("__name__", "m"),
            ("exported_exported_job", "x"),
            ("exported_instance", "y"),
            ("exported_job", "z"),
            ("instance", "t:1"),
            ("job", "j"),
        ])
    );
}

#[test]
fn honor_labels_keeps_exposed_labels_and_empty_ones_suppress_the_target_label() {
    let mut f = Fixture::new();
    f.rules.honor_labels = true;
    let mut cache = f.cache();
    let out = f.scrape(&mut cache, "m{job=\"x\",instance=\"\"} 1\nn 2\n", 1_000);
    assert_eq!(out.error, None);
    assert_eq!(
        f.series("m")[0].0,
        labels(&[("__name__", "m"), ("job", "x")])
    );
    assert_eq!(
        f.series("n")[0].0,
        labels(&[("__name__", "n"), ("instance", "t:1"), ("job", "j")])
    );
}

#[test]
fn metric_relabeling_drops_series_and_the_counts_say_so() {
    let mut f = Fixture::new();
    f.rules.metric_relabel = vec![
        RelabelConfig::new(model::relabel::RelabelSpec {
            source_labels: Some(vec!["__name__".into()]),
            regex: Some("go_.*".into()),
            action: model::relabel::Action::Drop,
            ..model::relabel::RelabelSpec::default()
        })
        .unwrap_or_else(|e| panic!("{e}")),
    ];
    let mut cache = f.cache();
    let body = "go_goroutines 7\ngo_threads 3\nhttp_requests_total 10\n";
    let out = f.scrape(&mut cache, body, 1_000);
    assert_eq!(
        out.counts,
        Counts {
            scraped: 3,
            post_relabel: 1,
            series_added: 1
        }
    );
    assert!(f.series("go_goroutines").is_empty());
    assert_eq!(value_of(&f, "http_requests_total"), [(1_000, 10.0)]);
    // The second scrape is served from the cache: nothing is new.
    let out = f.scrape(&mut cache, body, 2_000);
    assert_eq!(out.counts.series_added, 0);
    assert_eq!(out.counts.post_relabel, 1);
    assert_eq!(cache.len(), 3);
}

#[test]
fn report_series_carry_the_counts() {
    let f = Fixture::new();
    let mut cache = f.cache();
    let out = f.scrape(
        &mut cache,
        "# TYPE a counter\n# HELP a Things.\na 1\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n",
        5_000,
    );
    assert_eq!(out.error, None);
    assert_eq!(value_of(&f, "up"), [(5_000, 1.0)]);
    assert_eq!(value_of(&f, "scrape_samples_scraped"), [(5_000, 3.0)]);
    assert_eq!(
        value_of(&f, "scrape_samples_post_metric_relabeling"),
        [(5_000, 3.0)]
    );
    assert_eq!(value_of(&f, "scrape_series_added"), [(5_000, 3.0)]);
    let duration = value_of(&f, "scrape_duration_seconds");
    assert!(duration[0].1 >= 0.0 && duration[0].1 < 60.0);
    assert_eq!(
        f.series("up")[0].0,
        labels(&[("__name__", "up"), ("instance", "t:1"), ("job", "j")])
    );
    let metadata = out.metadata.unwrap_or_else(|| panic!("metadata"));
    assert_eq!(metadata["a"].kind, "counter");
    assert_eq!(metadata["a"].help, "Things.");
}

#[test]
fn sample_limit_fails_the_whole_scrape() {
    let mut f = Fixture::new();
    f.rules.sample_limit = Some(2);
    let mut cache = f.cache();
    assert_eq!(f.scrape(&mut cache, "a 1\nb 1\n", 1_000).error, None);
    let out = f.scrape(&mut cache, "a 2\nb 2\nc 2\n", 2_000);
    assert_eq!(out.error.as_deref(), Some("sample limit exceeded"));
    assert_eq!(out.counts.scraped, 3);
    assert!(
        f.series("c").is_empty(),
        "nothing of a failed scrape is stored"
    );
    let a = value_of(&f, "a");
    assert_eq!(a.len(), 2);
    assert!(
        model::is_stale_nan(a[1].1),
        "the failure marks a stale: {a:?}"
    );
    assert_eq!(value_of(&f, "up"), [(1_000, 1.0), (2_000, 0.0)]);
}

#[test]
fn label_limits_fail_the_scrape_with_prometheus_messages() {
    let mut f = Fixture::new();
    f.rules.label_limit = Some(3);
    let mut cache = f.cache();
    let out = f.scrape(&mut cache, "m{a=\"1\",b=\"2\"} 1\n", 1_000);
    assert_eq!(
        out.error.as_deref(),
        Some("label_limit exceeded (metric: m, number of labels: 5, limit: 3)")
    );
    let mut f = Fixture::new();
    f.rules.label_value_length_limit = Some(3);
    let mut cache = f.cache();
    let out = f.scrape(&mut cache, "m{a=\"long\"} 1\n", 1_000);
    assert_eq!(
        out.error.as_deref(),
        Some(
            "label_value_length_limit exceeded (metric: m, label value: long, length: 4, limit: 3)"
        )
    );
    let mut f = Fixture::new();
    f.rules.label_name_length_limit = Some(8);
    let mut cache = f.cache();
    let out = f.scrape(&mut cache, "m{long_name=\"v\"} 1\n", 1_000);
    assert_eq!(
        out.error.as_deref(),
        Some(
            "label_name_length_limit exceeded (metric: m, label name: long_name, length: 9, limit: 8)"
        )
    );
    assert_eq!(value_of(&f, "up"), [(1_000, 0.0)]);
}

#[test]
fn vanished_series_get_staleness_markers_but_not_timestamped_ones() {
    let f = Fixture::new();
    let mut cache = f.cache();
    f.scrape(&mut cache, "a 1\nb 1\nc 1 500\n", 1_000);
    f.scrape(&mut cache, "a 2\n", 2_000);
    let b = value_of(&f, "b");
    assert_eq!(b[0], (1_000, 1.0));
    assert_eq!(b[1].0, 2_000);
    assert!(model::is_stale_nan(b[1].1));
    assert_eq!(
        value_of(&f, "c"),
        [(500, 1.0)],
        "explicit timestamps are never marked stale"
    );
    // A failed scrape marks everything of the last good one stale.
    let out = f.scrape_as(&mut cache, Err("connection refused".into()), 3_000);
    assert_eq!(out.error.as_deref(), Some("connection refused"));
    let a = value_of(&f, "a");
    assert_eq!(a.len(), 3);
    assert!(model::is_stale_nan(a[2].1));
    assert_eq!(value_of(&f, "up").last(), Some(&(3_000, 0.0)));
}

#[test]
fn honor_timestamps_false_uses_the_scrape_time() {
    let mut f = Fixture::new();
    f.rules.honor_timestamps = false;
    let mut cache = f.cache();
    f.scrape(&mut cache, "a 1 500\n", 1_000);
    f.scrape(&mut cache, "b 1\n", 2_000);
    let a = value_of(&f, "a");
    assert_eq!(a[0], (1_000, 1.0));
    assert!(model::is_stale_nan(a[1].1), "tracked for staleness: {a:?}");
}

#[test]
fn parse_errors_and_storage_refusals() {
    let f = Fixture::new();
    let mut cache = f.cache();
    let out = f.scrape(&mut cache, "a 1\nnot a sample\n", 1_000);
    assert!(
        out.error
            .as_deref()
            .is_some_and(|e| e.starts_with("line 2")),
        "{:?}",
        out.error
    );
    assert!(f.series("a").is_empty());
    // An older explicit timestamp than stored is refused, counted, and not fatal.
    assert_eq!(f.scrape(&mut cache, "x 1 5000\n", 6_000).error, None);
    assert_eq!(f.scrape(&mut cache, "x 1 4000\n", 7_000).error, None);
    assert_eq!(f.rejected("out_of_order"), 1);
    // OpenMetrics needs its # EOF.
    let out = f.scrape_as(
        &mut cache,
        Ok((b"a 1\n".as_slice(), Format::OpenMetrics)),
        8_000,
    );
    assert!(out.error.is_some_and(|e| e.contains("# EOF")));
}

#[test]
fn end_of_run_marks_every_series_and_the_report_stale() {
    let f = Fixture::new();
    let mut cache = f.cache();
    f.scrape(&mut cache, "a 1\n", 1_000);
    let sink = Sink {
        db: &f.db,
        target: &f.target,
        rules: &f.rules,
        metrics: &f.metrics,
    };
    sink.end_of_run(&mut cache, 2_000);
    for name in ["a", "up", "scrape_series_added"] {
        let samples = value_of(&f, name);
        assert_eq!(samples.len(), 2, "{name}");
        assert!(model::is_stale_nan(samples[1].1), "{name}");
    }
}

#[test]
fn cut_keeps_fifty_characters() {
    let long = "é".repeat(60);
    assert_eq!(cut(&long).chars().count(), 50);
    assert_eq!(cut("short"), "short");
}
