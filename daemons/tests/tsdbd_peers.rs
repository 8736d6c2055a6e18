//! tsdbd with the real peers from Debian's packages: it scrapes node_exporter and
//! blackbox_exporter with the seed's configurations, and real Prometheus 2.42 remote-writes into
//! it while `promtool query` gets the same answers from both.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Running, Tsdbd, eventually, free_port, get, peer};

/// A seed configuration from testdata/prometheus with its addresses and intervals replaced.
fn seed_config(name: &str, replacements: &[(&str, &str)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/prometheus")
        .join(name);
    let mut text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in replacements {
        assert!(text.contains(from), "{name} has no {from:?}");
        text = text.replace(from, to);
    }
    text
}

async fn wait_listening(name: &str, url: &str) {
    eventually(name, Duration::from_secs(30), || async {
        get(url).await.map(|_| ())
    })
    .await;
}

fn one_value(result: &[serde_json::Value]) -> Option<&str> {
    match result {
        [only] => only["value"][1].as_str(),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_node_exporter_with_the_seed_config() {
    let Some(node_exporter) = peer("prometheus-node-exporter") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let node_address = format!("127.0.0.1:{}", free_port());
    let _node = Running::start(
        "node_exporter",
        &node_exporter,
        &[format!("--web.listen-address={node_address}")],
        dir.path(),
    );
    wait_listening("node_exporter", &format!("http://{node_address}/metrics")).await;

    let address = format!("127.0.0.1:{}", free_port());
    let config = seed_config(
        "node-exporter.yml",
        &[
            ("15s", "1s"),
            ("10s", "1s"),
            ("127.0.0.1:9090", &address),
            ("localhost:9100", &node_address),
        ],
    );
    let tsdbd = Tsdbd::start_at(dir.path(), &address, Some(&config), &[], "").await;
    let up = eventually("node up", Duration::from_secs(30), || async {
        let r = tsdbd.query("up{job=\"node\"}").await;
        (one_value(&r) == Some("1")).then_some(r)
    })
    .await;
    assert_eq!(up[0]["metric"]["env"], "dev");
    assert_eq!(up[0]["metric"]["instance"], node_address.as_str());
    let cpu = tsdbd.query("node_cpu_seconds_total{job=\"node\"}").await;
    assert!(!cpu.is_empty());
    for series in &cpu {
        let m = &series["metric"];
        assert!(m["cpu"].is_string() && m["mode"].is_string(), "{m}");
        assert_eq!(
            (&m["env"], &m["instance"]),
            (&serde_json::json!("dev"), &serde_json::json!(node_address))
        );
    }
    // metric_relabel_configs dropped node_exporter's Go GC series; external labels are not
    // stored on series.
    assert!(
        tsdbd
            .query("{job=\"node\", __name__=~\"go_(gc|memstats)_.*\"}")
            .await
            .is_empty()
    );
    assert!(
        !tsdbd
            .query("{job=\"node\", __name__=~\"go_.*\"}")
            .await
            .is_empty()
    );
    assert!(tsdbd.query("up{monitor=\"tsdbd\"}").await.is_empty());
    let scraped = tsdbd.query("scrape_samples_scraped{job=\"node\"} > scrape_samples_post_metric_relabeling{job=\"node\"}").await;
    assert_eq!(
        scraped.len(),
        1,
        "the drop rule removed samples after the scrape"
    );
    let metadata = support::get_json(&format!(
        "{}/api/v1/metadata?metric=node_cpu_seconds_total",
        tsdbd.base
    ))
    .await;
    assert_eq!(
        metadata["data"]["node_cpu_seconds_total"][0]["type"], "counter",
        "{metadata}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_through_blackbox_exporter_with_the_seed_relabeling() {
    let Some(blackbox) = peer("prometheus-blackbox-exporter") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let blackbox_address = format!("127.0.0.1:{}", free_port());
    let module_file = dir.path().join("blackbox.yml");
    std::fs::write(
        &module_file,
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let _blackbox = Running::start(
        "blackbox_exporter",
        &blackbox,
        &[
            format!("--web.listen-address={blackbox_address}"),
            format!("--config.file={}", module_file.display()),
        ],
        dir.path(),
    );
    wait_listening(
        "blackbox_exporter",
        &format!("http://{blackbox_address}/metrics"),
    )
    .await;

    let address = format!("127.0.0.1:{}", free_port());
    let healthy = format!("http://{address}/-/healthy");
    let missing = format!("http://{address}/no-such-page");
    let config = seed_config(
        "blackbox.yml",
        &[
            ("15s", "1s"),
            ("https://prometheus.io", &healthy),
            ("http://localhost:8000/health", &missing),
            ("127.0.0.1:9115", &blackbox_address),
        ],
    );
    let tsdbd = Tsdbd::start_at(dir.path(), &address, Some(&config), &[], "").await;
    let ok = format!("probe_success{{job=\"blackbox\", instance=\"{healthy}\"}}");
    eventually(
        "the healthy probe to succeed",
        Duration::from_secs(30),
        || async { (one_value(&tsdbd.query(&ok).await) == Some("1")).then_some(()) },
    )
    .await;
    let failing = format!("probe_success{{job=\"blackbox\", instance=\"{missing}\"}}");
    eventually("the 404 probe to fail", Duration::from_secs(30), || async {
        (one_value(&tsdbd.query(&failing).await) == Some("0")).then_some(())
    })
    .await;
    // The exporter's own job runs at its own phase: wait for its first scrape too.
    let exporter = eventually(
        "the exporter's own scrape",
        Duration::from_secs(30),
        || async {
            let r = tsdbd.query("up{job=\"blackbox_exporter\"}").await;
            (one_value(&r) == Some("1")).then_some(r)
        },
    )
    .await;
    assert_eq!(exporter[0]["metric"]["instance"], blackbox_address.as_str());
}

/// Queries compared between Prometheus and tsdbd on the samples Prometheus remote-wrote.
const COMPARED_QUERIES: &[&str] = &[
    "up{job=\"node\"}",
    "count by (job) ({job=\"node\"})",
    "count(count by (__name__) ({job=\"node\"}))",
    "node_memory_MemTotal_bytes{job=\"node\"}",
    "sum by (mode) (rate(node_cpu_seconds_total{job=\"node\"}[5s]))",
    "scrape_samples_scraped{job=\"node\"}",
    "topk(3, node_network_receive_bytes_total{job=\"node\"})",
    "max_over_time(scrape_duration_seconds{job=\"node\"}[10s])",
];

fn promtool_query(promtool: &Path, server: &str, query: &str, time: i64) -> String {
    let output = Command::new(promtool)
        .args(["query", "instant", server, query, &format!("--time={time}")])
        .output()
        .unwrap_or_else(|e| panic!("promtool: {e}"));
    assert!(
        output.status.success(),
        "promtool query {query} against {server}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_remote_writes_into_tsdbd_and_promtool_agrees() {
    let (Some(prometheus), Some(promtool), Some(node_exporter)) = (
        peer("prometheus"),
        peer("promtool"),
        peer("prometheus-node-exporter"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let node_address = format!("127.0.0.1:{}", free_port());
    let _node = Running::start(
        "node_exporter",
        &node_exporter,
        &[format!("--web.listen-address={node_address}")],
        dir.path(),
    );
    wait_listening("node_exporter", &format!("http://{node_address}/metrics")).await;
    let tsdbd = Tsdbd::start(
        dir.path(),
        Some(""),
        &["--web.enable-remote-write-receiver"],
        "",
    )
    .await;

    let prom_address = format!("127.0.0.1:{}", free_port());
    let prom_config = dir.path().join("prom.yml");
    std::fs::write(
        &prom_config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [\"{node_address}\"]\n\
             remote_write:\n  - url: {}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n",
            tsdbd.base
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let _prometheus = Running::start(
        "prometheus",
        &prometheus,
        &[
            format!("--config.file={}", prom_config.display()),
            format!(
                "--storage.tsdb.path={}",
                dir.path().join("prom-data").display()
            ),
            format!("--web.listen-address={prom_address}"),
        ],
        dir.path(),
    );
    let prom_url = format!("http://{prom_address}");
    eventually(
        "remote-written samples",
        Duration::from_secs(60),
        || async { (!tsdbd.query("up{job=\"node\"}").await.is_empty()).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0);
    let at = now - 4;
    let tsdbd_url = tsdbd.base.clone();
    // Remote write lags a little behind Prometheus's own storage: retry until both agree.
    let mut last = Vec::new();
    for _ in 0..30 {
        last = COMPARED_QUERIES
            .iter()
            .map(|q| {
                (
                    *q,
                    promtool_query(&promtool, &prom_url, q, at),
                    promtool_query(&promtool, &tsdbd_url, q, at),
                )
            })
            .collect();
        if last.iter().all(|(_, p, t)| p == t && !p.trim().is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for (query, from_prometheus, from_tsdbd) in &last {
        assert_eq!(from_tsdbd, from_prometheus, "{query} at {at}");
        assert!(
            !from_prometheus.trim().is_empty(),
            "{query} at {at}: no answer"
        );
    }
}
