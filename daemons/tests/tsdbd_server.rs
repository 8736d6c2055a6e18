//! tsdbd as a whole process: start-up, self-scrape, the calls Grafana makes, lifecycle
//! endpoints, reloads and error answers, on 127.0.0.1 with ephemeral ports.

mod support;

use std::time::Duration;

use support::{Tsdbd, encode, eventually, get, get_json};

/// The seed's self-scrape configuration with a short interval so tests don't wait 15 s.
fn self_scrape_config(address: &str, metrics_path: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  external_labels:\n    monitor: test\n\
         scrape_configs:\n  - job_name: tsdbd\n    metrics_path: {metrics_path}\n    \
         static_configs:\n      - targets: [\"{address}\"]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_itself_and_answers_grafanas_calls() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let address = format!("127.0.0.1:{}", support::free_port());
    // Without --config.file the built-in configuration scrapes the listen address.
    let tsdbd = Tsdbd::start_at(dir.path(), &address, None, &[], "").await;
    let built_in = get_json(&format!("{}/api/v1/status/config", tsdbd.base)).await;
    let yaml = built_in["data"]["yaml"].as_str().unwrap_or_default();
    assert!(yaml.contains(&address) && yaml.contains("15s"), "{yaml}");
    drop(tsdbd);

    // Restart on the same data with a 1 s self-scrape so series arrive quickly.
    let config = self_scrape_config(&address, "/metrics");
    let tsdbd = Tsdbd::start_at(dir.path(), &address, Some(&config), &[], "").await;
    let up = eventually(
        "up{job=\"tsdbd\"} == 1",
        Duration::from_secs(20),
        || async {
            let r = tsdbd.query("up{job=\"tsdbd\"}").await;
            (r.len() == 1 && r[0]["value"][1] == "1").then_some(r)
        },
    )
    .await;
    assert_eq!(up[0]["metric"]["instance"], address.as_str());
    for synthetic in [
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ] {
        assert_eq!(tsdbd.query(synthetic).await.len(), 1, "{synthetic}");
    }
    assert!(!tsdbd.query("tsdbd_http_requests_total").await.is_empty());
    assert!(
        !tsdbd
            .query("process_resident_memory_bytes")
            .await
            .is_empty()
    );

    // Grafana's data source check and its first calls.
    let one = get_json(&format!("{}/api/v1/query?query=1%2B1", tsdbd.base)).await;
    assert_eq!(one["data"]["resultType"], "scalar");
    assert_eq!(one["data"]["result"][1], "2");
    let names = get_json(&format!(
        "{}/api/v1/label/__name__/values?limit=40000",
        tsdbd.base
    ))
    .await;
    let names: Vec<&str> = names["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"up") && names.contains(&"scrape_duration_seconds"));
    let series = get_json(&format!(
        "{}/api/v1/series?match[]={}",
        tsdbd.base,
        encode("up{job=\"tsdbd\"}")
    ))
    .await;
    assert_eq!(series["data"][0]["__name__"], "up");
    let labels = get_json(&format!(
        "{}/api/v1/labels?match[]={}",
        tsdbd.base,
        encode("up")
    ))
    .await;
    assert_eq!(
        labels["data"],
        serde_json::json!(["__name__", "instance", "job"])
    );
    let build = get_json(&format!("{}/api/v1/status/buildinfo", tsdbd.base)).await;
    assert!(build["data"]["version"].is_string());
    let targets = get_json(&format!("{}/api/v1/targets", tsdbd.base)).await;
    assert_eq!(targets["data"]["activeTargets"][0]["health"], "up");
    let metadata = get_json(&format!(
        "{}/api/v1/metadata?metric=tsdbd_scrapes",
        tsdbd.base
    ))
    .await;
    assert!(metadata["data"].is_object(), "{metadata}");
    let now = get_json(&format!(
        "{}/api/v1/query_range?query=up&start={}&end={}&step=1",
        tsdbd.base,
        chrono_seconds(-10),
        chrono_seconds(0)
    ))
    .await;
    assert_eq!(now["data"]["resultType"], "matrix");
}

/// Unix seconds `offset` seconds from now.
fn chrono_seconds(offset: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(now).unwrap_or(0) + offset
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_get_prometheus_errors_never_a_500() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tsdbd = Tsdbd::start(dir.path(), Some(""), &[], "").await;
    for (query, code, kind) in [
        ("query=sum(", 400, "bad_data"),
        ("query=up&time=yesterday", 400, "bad_data"),
        ("query=", 400, "bad_data"),
        (
            "query=label_replace(vector(1),\"a\",\"b\",\"c\",\"(\")",
            422,
            "execution",
        ),
    ] {
        let (status, body) = get(&format!(
            "{}/api/v1/query?{}",
            tsdbd.base,
            query.replace('"', "%22").replace('(', "%28")
        ))
        .await
        .unwrap_or_else(|| panic!("no connection"));
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{query}: {e}: {body}"));
        assert_eq!(
            (status, json["errorType"].as_str()),
            (code, Some(kind)),
            "{query}: {body}"
        );
        assert_eq!(json["status"], "error");
    }
    let (status, body) = get(&format!(
        "{}/api/v1/query_range?query=up&start=0&end=100000&step=1",
        tsdbd.base
    ))
    .await
    .unwrap_or_else(|| panic!("no connection"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("11,000 points"), "{body}");
    // Remote write is off unless enabled.
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/api/v1/write", tsdbd.base))
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_prefix_lifecycle_reload_and_quit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flags = [
        "--web.external-url=http://example.org/prometheus/",
        "--web.enable-lifecycle",
    ];
    let mut tsdbd = Tsdbd::start(dir.path(), Some(""), &flags, "/prometheus").await;
    let (healthy, _) = get(&format!("{}/-/healthy", tsdbd.base))
        .await
        .unwrap_or_else(|| panic!("no connection"));
    assert_eq!(healthy, 200);
    let unprefixed = format!("http://{}/api/v1/query?query=1", tsdbd.address);
    assert_eq!(get(&unprefixed).await.map(|r| r.0), Some(404));

    // Add the self-scrape job and reload over HTTP: the new job starts.
    let config = self_scrape_config(&tsdbd.address, "/prometheus/metrics");
    std::fs::write(dir.path().join("prometheus.yml"), &config).unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::new();
    let reload = client
        .post(format!("{}/-/reload", tsdbd.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reload.status().as_u16(), 200);
    eventually(
        "the reloaded job to scrape",
        Duration::from_secs(20),
        || async {
            let r = tsdbd.query("up{job=\"tsdbd\"} == 1").await;
            (!r.is_empty()).then_some(())
        },
    )
    .await;

    // A broken file is refused and the old configuration stays in force.
    std::fs::write(
        dir.path().join("prometheus.yml"),
        "scrape_configs: [{job_name: a, bogus: 1}]",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let reload = client
        .post(format!("{}/-/reload", tsdbd.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reload.status().as_u16(), 500);
    let body = reload.text().await.unwrap_or_default();
    assert!(body.contains("bogus"), "{body}");
    let info = get_json(&format!("{}/api/v1/status/runtimeinfo", tsdbd.base)).await;
    assert_eq!(info["data"]["reloadConfigSuccess"], false);
    // SIGHUP with the file fixed again reloads too.
    std::fs::write(dir.path().join("prometheus.yml"), &config).unwrap_or_else(|e| panic!("{e}"));
    tsdbd.process.signal("HUP");
    eventually("SIGHUP reload", Duration::from_secs(10), || async {
        let info = get_json(&format!("{}/api/v1/status/runtimeinfo", tsdbd.base)).await;
        (info["data"]["reloadConfigSuccess"] == true).then_some(())
    })
    .await;

    let quit = client
        .post(format!("{}/-/quit", tsdbd.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(quit.status().as_u16(), 200);
    assert_eq!(tsdbd.process.wait_exit(Duration::from_secs(20)), Some(0));
    assert!(
        tsdbd.process.log().contains("storage closed"),
        "{}",
        tsdbd.process.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_sigterm_and_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let address = format!("127.0.0.1:{}", support::free_port());
    let config = self_scrape_config(&address, "/metrics");
    let mut tsdbd = Tsdbd::start_at(dir.path(), &address, Some(&config), &[], "").await;
    let count = |r: Vec<serde_json::Value>| -> Option<f64> {
        r.first()?["value"][1].as_str()?.parse().ok()
    };
    let before = eventually("three scrapes", Duration::from_secs(20), || async {
        count(tsdbd.query("count_over_time(up[1h])").await).filter(|n| *n >= 3.0)
    })
    .await;
    tsdbd.process.signal("TERM");
    assert_eq!(tsdbd.process.wait_exit(Duration::from_secs(20)), Some(0));
    let tsdbd = Tsdbd::start_at(dir.path(), &address, Some(""), &[], "").await;
    let after = count(tsdbd.query("count_over_time(up[1h])").await).unwrap_or(0.0);
    assert!(
        after >= before,
        "{after} samples after restart, {before} before"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_config_basic_auth_with_bcrypt() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let hash = bcrypt::hash("s3cret", 4).unwrap_or_else(|e| panic!("{e}"));
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        format!("basic_auth_users:\n  grafana: {hash}\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let flag = format!("--web.config.file={}", web_config.display());
    let address = format!("127.0.0.1:{}", support::free_port());
    let mut args = vec![
        format!("--web.listen-address={address}"),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        flag,
    ];
    args.push("--config.file=/dev/null".to_owned());
    let _tsdbd = support::Running::start(
        "tsdbd",
        std::path::Path::new(env!("CARGO_BIN_EXE_tsdbd")),
        &args,
        dir.path(),
    );
    let client = reqwest::Client::new();
    let url = format!("http://{address}/api/v1/query?query=1");
    let status = |user: &'static str, password: &'static str| {
        let request = client.get(&url).basic_auth(user, Some(password));
        async move { request.send().await.ok().map(|r| r.status().as_u16()) }
    };
    eventually("tsdbd to listen", Duration::from_secs(30), || async {
        status("grafana", "s3cret").await.filter(|s| *s == 200)
    })
    .await;
    assert_eq!(status("grafana", "wrong").await, Some(401));
    assert_eq!(status("nobody", "s3cret").await, Some(401));
    let anonymous = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
}
