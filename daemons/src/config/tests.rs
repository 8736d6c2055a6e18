//! Loader tests: the ready-made configurations in `testdata/prometheus/`, Prometheus's defaults,
//! each validation message (as `promtool check config` 2.42 prints it), and positions of
//! unknown and unsupported fields.

use std::path::{Path, PathBuf};
use std::time::Duration;

use model::Labels;
use model::relabel::{self, Action};

use super::*;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/prometheus")
}

fn testdata_configs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "testdata/prometheus has the ready-made configs"
    );
    files
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/tsdbd/prometheus.yml"))
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

fn load(name: &str) -> Config {
    Config::load(testdata().join(name)).unwrap()
}

#[test]
fn every_testdata_config_loads() {
    for path in testdata_configs() {
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!config.scrape_configs.is_empty(), "{}", path.display());
    }
}

#[test]
fn promtool_accepts_every_testdata_config() {
    // Files that reference credentials, certificates and rule files that testdata does not
    // ship; promtool checks those with --syntax-only.
    const REFERENCES_FILES: &[&str] = &["full.yml"];
    let promtool = std::process::Command::new("promtool")
        .arg("--version")
        .output();
    if promtool.is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool (Debian package `prometheus`) must be installed in CI"
        );
        eprintln!("promtool not installed: skipping the cross-check");
        return;
    }
    for path in testdata_configs() {
        let mut cmd = std::process::Command::new("promtool");
        cmd.args(["check", "config"]);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if REFERENCES_FILES.contains(&name) {
            cmd.arg("--syntax-only");
        }
        let out = cmd.arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "promtool refuses {}: {}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn self_scrape_default_matches_its_testdata_file() {
    assert_eq!(
        load("self-scrape.yml"),
        Config::default_self_scrape("127.0.0.1:9090", "/metrics").unwrap()
    );
    let target = |listen: &str| {
        Config::default_self_scrape(listen, "/metrics")
            .unwrap()
            .scrape_configs[0]
            .static_configs[0]
            .targets[0]
            .clone()
    };
    assert_eq!(target(":9090"), "127.0.0.1:9090");
    assert_eq!(target("0.0.0.0:9191"), "127.0.0.1:9191");
    assert_eq!(target("[::]:9090"), "[::1]:9090");
    assert_eq!(target("localhost:9090"), "localhost:9090");
    let config = Config::default_self_scrape("127.0.0.1:9090", "/prometheus/metrics").unwrap();
    assert_eq!(config.scrape_configs[0].job_name, "tsdbd");
    assert_eq!(config.scrape_configs[0].metrics_path, "/prometheus/metrics");
    assert!(Config::default_self_scrape("127.0.0.1:9090\"\n- x", "/metrics").is_ok());
    assert_eq!(
        config.scrape_configs[0].scrape_interval,
        Duration::from_secs(15)
    );
}

#[test]
fn prometheus_defaults() {
    let config = parse("scrape_configs:\n  - job_name: a\n").unwrap();
    assert_eq!(config.global, GlobalConfig::default());
    assert_eq!(config.global.scrape_interval, Duration::from_secs(60));
    assert_eq!(config.global.scrape_timeout, Duration::from_secs(10));
    assert_eq!(config.global.evaluation_interval, Duration::from_secs(60));
    let job = &config.scrape_configs[0];
    assert_eq!(job.scrape_interval, Duration::from_secs(60));
    assert_eq!(job.scrape_timeout, Duration::from_secs(10));
    assert_eq!(job.metrics_path, "/metrics");
    assert_eq!(job.scheme, "http");
    assert!(!job.honor_labels);
    assert!(job.honor_timestamps);
    assert_eq!(job.scrape_protocols, ScrapeProtocol::DEFAULT.to_vec());
    assert_eq!(job.sample_limit, None);
    assert_eq!(job.http_client, HttpClientConfig::default());
    assert!(config.rule_files.is_empty() && config.remote_write.is_empty());

    // A short interval caps the default timeout, globally and per job.
    let config = parse("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: a\n    scrape_interval: 2s\n").unwrap();
    assert_eq!(config.global.scrape_timeout, Duration::from_secs(5));
    assert_eq!(
        config.scrape_configs[0].scrape_timeout,
        Duration::from_secs(2)
    );

    // Empty files and empty sections are the defaults, as in Prometheus.
    for text in [
        "",
        "# nothing\n",
        "global:\n",
        "global: {}\nscrape_configs: []\n",
    ] {
        let config = parse(text).unwrap();
        assert_eq!(config.global, GlobalConfig::default(), "{text:?}");
        assert!(config.scrape_configs.is_empty());
    }
}

#[test]
fn full_config_global_and_rule_files() {
    let config = load("full.yml");
    let dir = testdata();
    assert_eq!(config.global.scrape_interval, Duration::from_secs(30));
    assert_eq!(config.global.scrape_timeout, Duration::from_secs(20));
    assert_eq!(
        config.global.external_labels,
        Labels::from_pairs([("region", "eu-west"), ("replica", "1")]).unwrap()
    );
    assert_eq!(
        config.rule_files,
        vec![dir.join("rules/recording.yml"), dir.join("alerts/*.yml")]
    );
}

#[test]
fn full_config_scrape_jobs() {
    let config = load("full.yml");
    let dir = testdata();
    let app = &config.scrape_configs[0];
    assert_eq!(
        (app.job_name.as_str(), app.scheme.as_str()),
        ("secure-app", "https")
    );
    assert_eq!(app.scrape_timeout, Duration::from_secs(20));
    assert_eq!(app.metrics_path, "/internal/metrics");
    assert!(app.honor_labels && !app.honor_timestamps);
    assert_eq!(app.params["format"], vec!["prometheus".to_string()]);
    assert_eq!(
        (
            app.sample_limit,
            app.label_limit,
            app.label_name_length_limit,
            app.label_value_length_limit
        ),
        (Some(5000), Some(30), Some(200), Some(1000))
    );
    let auth = app.http_client.authorization.as_ref().unwrap();
    assert_eq!(auth.credential_type, "Token");
    assert_eq!(
        auth.credentials,
        Some(SecretSource::File(dir.join("secrets/token")))
    );
    let tls = &app.http_client.tls_config;
    assert_eq!(tls.ca_file, Some(dir.join("certs/ca.pem")));
    assert_eq!(tls.key_file, Some(dir.join("certs/client-key.pem")));
    assert_eq!(tls.server_name.as_deref(), Some("app.internal"));
    assert_eq!(
        app.file_sd_configs,
        vec![FileSdConfig {
            files: vec![dir.join("targets/*.json"), dir.join("targets/static.yml")],
            refresh_interval: Duration::from_secs(120),
        }]
    );
    let actions: Vec<Action> = app.relabel_configs.iter().map(|r| r.action()).collect();
    assert_eq!(
        actions,
        [
            Action::Replace,
            Action::HashMod,
            Action::Keep,
            Action::LabelMap,
            Action::Uppercase,
            Action::KeepEqual
        ]
    );
    assert_eq!(app.relabel_configs[1].modulus(), 4);
    assert_eq!(app.metric_relabel_configs[0].separator(), "@");
}

#[test]
fn bearer_token_becomes_an_authorization() {
    let config = load("full.yml");
    // bearer_token becomes an authorization of type Bearer, as in Prometheus.
    let bearer = config.scrape_configs[1]
        .http_client
        .authorization
        .as_ref()
        .unwrap();
    assert_eq!(bearer.credential_type, "Bearer");
    assert_eq!(
        bearer.credentials,
        Some(SecretSource::Inline(Secret::new("s3cr3t")))
    );
    assert_eq!(
        config.scrape_configs[1].scrape_interval,
        Duration::from_secs(30)
    );
}

#[test]
fn full_config_alerting_and_remote_write() {
    let config = load("full.yml");
    let dir = testdata();
    let am = &config.alerting.alertmanagers[0];
    assert_eq!(
        (am.scheme.as_str(), am.path_prefix.as_str()),
        ("https", "/am")
    );
    assert_eq!(am.timeout, Duration::from_secs(5));
    assert_eq!(am.static_configs[0].targets, vec!["am-1:9093", "am-2:9093"]);
    let basic = am.http_client.basic_auth.as_ref().unwrap();
    assert_eq!(
        basic.password,
        Some(SecretSource::File(dir.join("secrets/am-password")))
    );
    assert_eq!(
        config.alerting.alert_relabel_configs[0].action(),
        Action::LabelDrop
    );

    let rw = &config.remote_write[0];
    assert_eq!(rw.url, "http://127.0.0.1:8428/api/v1/write");
    assert_eq!(rw.name.as_deref(), Some("victoria"));
    assert_eq!(rw.remote_timeout, Duration::from_secs(10));
    assert_eq!(rw.headers["X-Scope-OrgID"], "tenant-1");
    assert_eq!(rw.write_relabel_configs.len(), 1);
    let q = &rw.queue_config;
    assert_eq!(
        (
            q.capacity,
            q.max_shards,
            q.min_shards,
            q.max_samples_per_send
        ),
        (20000, 8, 2, 1000)
    );
    assert_eq!(
        (q.min_backoff, q.max_backoff),
        (Duration::from_millis(100), Duration::from_secs(10))
    );
    let password = rw
        .http_client
        .basic_auth
        .as_ref()
        .unwrap()
        .password
        .as_ref()
        .unwrap();
    assert_eq!(password.read().unwrap().expose(), "hunter2");
    assert!(
        !format!("{config:?}").contains("hunter2"),
        "Debug hides secrets"
    );
}

#[test]
fn remote_write_defaults() {
    let config = parse("remote_write:\n  - url: https://mimir.example/api/v1/push\n").unwrap();
    let rw = &config.remote_write[0];
    assert_eq!(rw.remote_timeout, Duration::from_secs(30));
    assert_eq!(rw.queue_config, QueueConfig::default());
    assert_eq!(rw.queue_config.max_shards, 50);
    assert_eq!(rw.name, None);
}

#[test]
fn blackbox_relabeling_rewrites_the_target_as_documented() {
    let config = load("blackbox.yml");
    let job = &config.scrape_configs[0];
    assert_eq!(job.params["module"], vec!["http_2xx".to_string()]);
    assert_eq!(job.metrics_path, "/probe");
    let target = Labels::from_pairs([
        ("__address__", job.static_configs[0].targets[0].as_str()),
        ("job", "blackbox"),
    ])
    .unwrap();
    let out = relabel::process(&target, &job.relabel_configs).unwrap();
    assert_eq!(out.get("__address__"), Some("127.0.0.1:9115"));
    assert_eq!(out.get("__param_target"), Some("https://prometheus.io"));
    assert_eq!(out.get("instance"), Some("https://prometheus.io"));
}

#[test]
fn django_and_node_relabel_rules_behave() {
    let django = load("django.yml");
    let job = &django.scrape_configs[0];
    let target = Labels::from_pairs([("__address__", "localhost:8000")]).unwrap();
    let out = relabel::process(&target, &job.relabel_configs).unwrap();
    assert_eq!(out.get("instance"), Some("localhost"));
    let series = Labels::from_pairs([
        (
            "__name__",
            "django_http_requests_latency_seconds_by_view_method_bucket",
        ),
        ("view", "index"),
        ("le", "0.1"),
    ])
    .unwrap();
    let out = relabel::process(&series, &job.metric_relabel_configs).unwrap();
    assert_eq!(out.get("view"), None);
    let other = Labels::from_pairs([("__name__", "django_db_errors_total")]).unwrap();
    assert_eq!(relabel::process(&other, &job.metric_relabel_configs), None);

    let node = load("node-exporter.yml");
    let job = &node.scrape_configs[1];
    assert_eq!(job.static_configs[0].targets, vec!["localhost:9100"]);
    assert_eq!(job.static_configs[0].labels.get("env"), Some("dev"));
    let gc = Labels::from_pairs([("__name__", "go_gc_duration_seconds")]).unwrap();
    assert_eq!(relabel::process(&gc, &job.metric_relabel_configs), None);
}

/// Configurations Prometheus refuses, and the message (as promtool 2.42 prints it, where it
/// has one) that names the problem.
const VALIDATION_CASES: &[(&str, &str)] = &[
    (
        "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
        r#"scrape timeout greater than scrape interval for scrape config with job name "a""#,
    ),
    (
        "global:\n  scrape_interval: 5s\n  scrape_timeout: 10s\n",
        "global scrape timeout greater than scrape interval",
    ),
    (
        "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
        r#"found multiple scrape configs with job name "a""#,
    ),
    (
        "scrape_configs:\n  - scrape_interval: 1m\n",
        "job_name is empty",
    ),
    (
        "scrape_configs:\n  -\n",
        "empty or null scrape config section",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [~]\n",
        r#"scrape config with job name "a": empty or null target relabeling rule in scrape config"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [{source_labels: [a], target_label: b, action: keepequal, regex: '(.*)'}]\n",
        r#"scrape config with job name "a": relabel_configs[0]: keepequal action requires only 'source_labels' and `target_label`, and no other fields"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    metric_relabel_configs: [{target_label: x}, {source_labels: [], action: labeldrop, regex: x}]\n",
        r#"scrape config with job name "a": metric_relabel_configs[1]: labeldrop action requires only 'regex', and no other fields"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: '', target_label: x}]\n",
        r#"scrape config with job name "a": relabel_configs[0]: unknown relabel action """#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: lowercase, target_label: x, replacement: }]\n",
        r#"relabel_configs[0]: 'replacement' can not be set for lowercase action"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [{source_labels: [a-b], target_label: x}]\n",
        r#"relabel_configs[0]: "a-b" is not a valid label name"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n",
        "relabel_configs[0]: relabel configuration for hashmod requires non-zero modulus",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: p, password_file: f}\n",
        "at most one of basic_auth password & password_file must be configured",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    bearer_token: x\n    bearer_token_file: y\n",
        "at most one of bearer_token & bearer_token_file must be configured",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    bearer_token: x\n    basic_auth: {username: u}\n",
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    bearer_token: x\n    authorization: {credentials: c}\n",
        "authorization is not compatible with bearer_token & bearer_token_file",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    authorization: {credentials: c, credentials_file: f}\n",
        "at most one of authorization credentials & credentials_file must be configured",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    authorization: {type: ' Basic ', credentials: c}\n",
        r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    authorization: {credentials: c}\n    basic_auth: {username: u}\n",
        "at most one of basic_auth, oauth2 & authorization must be configured",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c}\n",
        r#"client cert file "/etc/tsdbd/c" specified without client key file"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    tls_config: {key_file: /k}\n",
        r#"client key file "/k" specified without client cert file"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['http://x:1']}]\n",
        r#"scrape config with job name "a": "http://x:1" is not a valid hostname"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [x:1], labels: {a-b: c}}]\n",
        r#""a-b" is not a valid label name"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: [x.txt]}]\n",
        r#"path name "x.txt" is not valid for file discovery"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{refresh_interval: 1m}]\n",
        "file service discovery config must contain at least one path name",
    ),
    (
        "scrape_configs:\n  - job_name: a\n    scheme: ftp\n",
        r#"scheme "ftp" is not supported: use http or https"#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    scrape_protocols: []\n",
        r#"scrape_protocols cannot be empty for scrape config with job name "a""#,
    ),
    (
        "scrape_configs:\n  - job_name: a\n    scrape_protocols: [PrometheusProto]\n",
        "PrometheusProto (protobuf exposition) is not supported by tsdbd",
    ),
    (
        "global:\n  scrape_protocols: [Foo]\n",
        "scrape_protocols: unknown scrape protocol Foo, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0] for global config",
    ),
    (
        "global:\n  external_labels: {a-b: x}\n",
        r#""a-b" is not a valid label name"#,
    ),
    (
        "rule_files: ['a/*/b.yml']\n",
        r#"invalid rule file path "a/*/b.yml""#,
    ),
    (
        "remote_write: [{name: x}]\n",
        r#"remote_write "x": url for remote_write is empty"#,
    ),
    (
        "remote_write: [{url: 'http://x/', headers: {User-Agent: x}}]\n",
        "User-Agent is a reserved header. It must not be changed",
    ),
    (
        "remote_write: [{url: 'http://x/', name: a}, {url: 'http://y/', name: a}]\n",
        r#"found multiple remote write configs with job name "a""#,
    ),
    (
        "remote_write: [{url: 'x.example/write'}]\n",
        r#"remote_write[0]: remote_write url "x.example/write" is not an absolute http or https URL"#,
    ),
    (
        "remote_write: [{url: 'http://x/', queue_config: {min_shards: 9, max_shards: 3}}]\n",
        "queue_config: min_shards (9) is greater than max_shards (3)",
    ),
    (
        "alerting:\n  alertmanagers: [{api_version: v3}]\n",
        "alerting: alertmanagers[0]: expected Alertmanager api version to be one of [v1 v2] but got v3",
    ),
    (
        "alerting:\n  alertmanagers: [{api_version: v1}]\n",
        "api_version v1 is not supported by tsdbd",
    ),
];

#[test]
fn validation_messages_are_prometheus_and_name_the_job() {
    const ORIGIN: &str = "/etc/tsdbd/prometheus.yml: ";
    for (text, expected) in VALIDATION_CASES {
        let got = error(text);
        assert!(got.starts_with(ORIGIN), "{got}");
        assert!(
            got.contains(expected),
            "{text}\n  got:  {got}\n  want: {expected}"
        );
    }
    let err = parse("scrape_configs:\n  - job_name: web\n    scheme: ftp\n").unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { job: Some(ref j), .. } if j == "web"));
}

#[test]
fn unknown_fields_name_file_line_and_field() {
    let text = "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [x:1]\n        lables: {a: b}\n";
    let err = parse(text).unwrap_err();
    let ConfigError::Yaml { at, message } = &err else {
        panic!("{err}")
    };
    assert_eq!(at.line, Some(7));
    assert_eq!(at.column, Some(9));
    assert!(
        message.starts_with("scrape_configs[0].static_configs[0]: unknown field `lables`"),
        "{message}"
    );
    assert!(
        err.to_string()
            .starts_with("/etc/tsdbd/prometheus.yml:7:9: "),
        "{err}"
    );

    let err = error("global:\n  scrape_intervall: 1m\n");
    assert!(
        err.starts_with("/etc/tsdbd/prometheus.yml:2:3: global: unknown field `scrape_intervall`"),
        "{err}"
    );
    let err = error(
        "scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - target_label: x\n        replace: y\n",
    );
    assert!(
        err.contains(":5:9: ") && err.contains("unknown field `replace`"),
        "{err}"
    );
}

#[test]
fn unsupported_prometheus_fields_are_named() {
    let cases = [
        ("remote_read:\n  - url: http://x/read\n", "remote_read", 1),
        (
            "scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: [{role: pod}]\n",
            "kubernetes_sd_configs",
            3,
        ),
        (
            "scrape_configs:\n  - job_name: o\n    oauth2: {client_id: x}\n",
            "oauth2",
            3,
        ),
        ("global:\n  query_log_file: q.log\n", "query_log_file", 2),
        (
            "remote_write:\n  - url: http://x/\n    metadata_config: {send: false}\n",
            "metadata_config",
            3,
        ),
    ];
    for (text, field, line) in cases {
        let err = parse(text).unwrap_err();
        let ConfigError::Unsupported { at, field: got, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!((got.as_str(), at.line), (field, Some(line)));
        let shown = err.to_string();
        assert!(
            shown.contains(&format!(
                "`{field}` is a Prometheus setting that tsdbd does not support"
            )),
            "{shown}"
        );
        assert!(
            shown.starts_with(&format!("/etc/tsdbd/prometheus.yml:{line}:")),
            "{shown}"
        );
    }
    assert_eq!(
        error("scrape_configs:\n  - job_name: o\n    oauth2: {client_id: x}\n"),
        "/etc/tsdbd/prometheus.yml:3:5: scrape_configs[0]: `oauth2` is a Prometheus setting that tsdbd does not support"
    );
    assert_eq!(
        error("remote_read:\n  - url: http://x/read\n"),
        "/etc/tsdbd/prometheus.yml:1:1: `remote_read` is a Prometheus setting that tsdbd does not support"
    );
}

#[test]
fn durations_in_the_file() {
    let config = parse(
        "global:\n  scrape_interval: 1h30m\n  scrape_timeout: 0\n  evaluation_interval: 1d\n",
    )
    .unwrap();
    assert_eq!(config.global.scrape_interval, Duration::from_secs(5400));
    assert_eq!(config.global.scrape_timeout, Duration::from_secs(10));
    assert_eq!(
        config.global.evaluation_interval,
        Duration::from_secs(86_400)
    );
    let err = error("global:\n  scrape_interval: 1x\n");
    assert!(err.starts_with("/etc/tsdbd/prometheus.yml:2:20: global.scrape_interval: unknown unit \"x\" in duration \"1x\""), "{err}");
    let err = error("global:\n  scrape_interval: 15\n");
    assert!(
        err.contains(r#"not a valid duration string: "15""#),
        "{err}"
    );
}

#[test]
fn yaml_scalars_read_as_prometheus_reads_them() {
    let config = parse(
        "scrape_configs:\n  - job_name: 42\n    static_configs: [{targets: [x:1], labels: {tier: 1, on: true}}]\n    relabel_configs: [{target_label: shard, replacement: 7}]\n",
    )
    .unwrap();
    let job = &config.scrape_configs[0];
    assert_eq!(job.job_name, "42");
    assert_eq!(job.static_configs[0].labels.get("tier"), Some("1"));
    assert_eq!(job.relabel_configs[0].replacement(), "7");
    let err = error("global:\n  external_labels: {a: x, a: y}\n");
    assert!(err.contains("duplicate"), "{err}");
}

#[test]
fn rule_file_patterns_expand_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for name in ["rules/b.yml", "rules/a.yml", "rules/notes.txt"] {
        std::fs::write(dir.path().join(name), "groups: []\n").unwrap();
    }
    let path = dir.path().join("prometheus.yml");
    std::fs::write(&path, "rule_files: ['rules/*.yml']\nscrape_configs: []\n").unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.rule_files, vec![dir.path().join("rules/*.yml")]);
    assert_eq!(
        config.rule_file_paths().unwrap(),
        vec![
            dir.path().join("rules/a.yml"),
            dir.path().join("rules/b.yml")
        ]
    );
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = Config::load("/nonexistent/prometheus.yml").unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with("reading /nonexistent/prometheus.yml: ")
    );
}
