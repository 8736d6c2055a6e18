use std::path::Path;

use super::*;
use crate::config::Config;

fn job(yaml: &str) -> ScrapeConfig {
    let config = Config::parse(yaml, Path::new("test.yml")).unwrap_or_else(|e| panic!("{e}"));
    config.scrape_configs[0].clone()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every outcome of the job's static targets, in order.
fn outcomes(job: &ScrapeConfig) -> Vec<Outcome> {
    job.static_configs
        .iter()
        .map(|s| TargetGroup::from_addresses(&s.targets, s.labels.clone()))
        .flat_map(|g| {
            g.targets
                .iter()
                .map(|t| populate(job, &g, t))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn active(outcome: Outcome) -> Target {
    match outcome {
        Outcome::Active(t) => t,
        other => panic!("expected an active target, got {other:?}"),
    }
}

#[test]
fn defaults_fill_the_target_labels_and_url() {
    let job = job("scrape_configs:
  - job_name: node
    scrape_interval: 30s
    static_configs:
      - targets: ['a:9100']
        labels: {env: prod}
");
    let t = active(outcomes(&job).remove(0));
    assert_eq!(
        t.public,
        labels(&[("env", "prod"), ("instance", "a:9100"), ("job", "node")])
    );
    assert_eq!(t.url, "http://a:9100/metrics");
    assert_eq!(t.interval, Duration::from_secs(30));
    assert_eq!(t.timeout, Duration::from_secs(10));
    assert_eq!(
        t.discovered,
        labels(&[
            ("__address__", "a:9100"),
            ("__metrics_path__", "/metrics"),
            ("__scheme__", "http"),
            ("__scrape_interval__", "30s"),
            ("__scrape_timeout__", "10s"),
            ("env", "prod"),
            ("job", "node"),
        ])
    );
    assert_eq!(t.all.get("__address__"), Some("a:9100"), "no port is added");
}

#[test]
fn the_blackbox_pattern_from_testdata_probes_through_the_exporter() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/prometheus/blackbox.yml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let job = &config.scrape_configs[0];
    let targets: Vec<Target> = outcomes(job).into_iter().map(active).collect();
    assert_eq!(targets.len(), 2);
    assert_eq!(
        targets[0].public,
        labels(&[("instance", "https://prometheus.io"), ("job", "blackbox")])
    );
    assert_eq!(
        targets[0].url,
        "http://127.0.0.1:9115/probe?module=http_2xx&target=https%3A%2F%2Fprometheus.io"
    );
    assert_eq!(
        targets[1].url,
        "http://127.0.0.1:9115/probe?module=http_2xx&target=http%3A%2F%2Flocalhost%3A8000%2Fhealth"
    );
    assert_eq!(
        targets[0].discovered.get("__param_module"),
        Some("http_2xx")
    );
    assert_ne!(targets[0].key(), targets[1].key());
}

#[test]
fn param_labels_replace_the_first_value_and_add_new_parameters() {
    let job = job_with_params();
    let t = active(outcomes(&job).remove(0));
    assert_eq!(
        t.url,
        "https://h:1/federate?extra=a+b&module=override&module=second"
    );
}

fn job_with_params() -> ScrapeConfig {
    job("scrape_configs:
  - job_name: j
    scheme: https
    metrics_path: /federate
    params:
      module: [first, second]
    static_configs:
      - targets: ['h:1']
    relabel_configs:
      - target_label: __param_module
        replacement: override
      - target_label: __param_extra
        replacement: a b
")
}

#[test]
fn relabeling_drops_and_invalid_targets_are_told_apart() {
    let job = job("scrape_configs:
  - job_name: j
    static_configs:
      - targets: ['keep:1', 'drop:1']
      - targets: ['slash:1']
        labels: {__address__: 'ignored'}
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop:.*'
        action: drop
      - source_labels: [__address__]
        regex: 'slash:1'
        target_label: __address__
        replacement: 'h/path'
");
    let mut out = outcomes(&job).into_iter();
    let kept = active(out.next().unwrap_or_else(|| panic!("first")));
    assert_eq!(kept.public.get("instance"), Some("keep:1"));
    match out.next() {
        Some(Outcome::Dropped(discovered)) => {
            assert_eq!(discovered.get("__address__"), Some("drop:1"));
            assert_eq!(discovered.get("job"), Some("j"));
        }
        other => panic!("{other:?}"),
    }
    match out.next() {
        Some(Outcome::Invalid(reason)) => {
            assert_eq!(reason, "\"h/path\" is not a valid hostname");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn interval_labels_are_checked_and_meta_labels_removed() {
    let job = job("scrape_configs:
  - job_name: j
    static_configs:
      - targets: ['a:1', 'b:1', 'c:1']
        labels: {__meta_zone: z1}
    relabel_configs:
      - source_labels: [__address__]
        regex: 'a:1'
        target_label: __scrape_timeout__
        replacement: 2m
      - source_labels: [__address__]
        regex: 'b:1'
        target_label: __scrape_interval__
        replacement: soon
      - source_labels: [__meta_zone]
        target_label: zone
");
    let mut out = outcomes(&job).into_iter();
    match out.next() {
        Some(Outcome::Invalid(reason)) => assert_eq!(
            reason,
            "scrape timeout cannot be greater than scrape interval (\"2m\" > \"1m\")"
        ),
        other => panic!("{other:?}"),
    }
    match out.next() {
        Some(Outcome::Invalid(reason)) => {
            assert!(
                reason.starts_with("error parsing scrape interval"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let t = active(out.next().unwrap_or_else(|| panic!("third")));
    assert_eq!(t.all.get("__meta_zone"), None);
    assert_eq!(t.public.get("zone"), Some("z1"));
    assert_eq!(t.discovered.get("__meta_zone"), Some("z1"));
}

#[test]
fn explicit_instance_is_kept_and_keys_are_stable() {
    let job = job("scrape_configs:
  - job_name: j
    static_configs:
      - targets: ['a:1']
        labels: {instance: mine}
");
    let a = active(outcomes(&job).remove(0));
    let b = active(outcomes(&job).remove(0));
    assert_eq!(a.public.get("instance"), Some("mine"));
    assert_eq!(a.key(), b.key());
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
}

#[test]
fn query_escaping_matches_go() {
    let mut out = String::new();
    query_escape("a b/c?d=e&f~g_h.i-j*k", &mut out);
    assert_eq!(out, "a+b%2Fc%3Fd%3De%26f~g_h.i-j%2Ak");
}
