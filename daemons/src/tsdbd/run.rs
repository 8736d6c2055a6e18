//! Start-up, the main loop (signals, lifecycle requests, WAL sync) and clean shutdown.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use query::promql::{Engine, EngineOptions};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;
use tsdb_core::{Db, Options};

use super::flags::{ServerFlags, format_duration};
use super::metrics::Metrics;
use super::routes;
use super::state::{LifecycleRequest, LoadedConfig, StateParts, TsdbState, WebFeatures};
use crate::config::Config;
use crate::remote_queue::RemoteWriteQueues;
use crate::scrape::ScrapeManager;
use crate::scrape::status::ScrapeStatus;
use crate::web::{self, WebConfig};

/// How often the WAL is fsynced when commits alone would not (an idle server).
const WAL_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Runs the server until SIGTERM, SIGINT or `/-/quit`.
pub async fn run(flags: ServerFlags) -> anyhow::Result<()> {
    let web_features = web_features(&flags)?;
    let config = load_config(
        flags.config_file.as_deref(),
        &flags.listen_address,
        &web_features.route_prefix,
    )?;
    let web_config = match &flags.web_config_file {
        Some(path) => WebConfig::load(path)?,
        None => WebConfig::default(),
    };
    let tls = web_config.tls_server_config()?;
    let (db, storage_retention) = open_db(&flags).await?;
    let metrics = Arc::new(Metrics::new());
    let registry = Arc::new(metrics.registry(Arc::clone(&db)));
    let scrape_status = Arc::new(ScrapeStatus::new());
    let engine = Engine::new(EngineOptions {
        lookback_delta_ms: duration_ms(flags.lookback_delta),
        max_samples: flags.query_max_samples,
        timeout: flags.query_timeout,
        ..EngineOptions::default()
    });
    let scrape = ScrapeManager::new(
        Arc::clone(&db),
        Arc::clone(&scrape_status),
        Arc::clone(&metrics),
    );
    let remote_queues =
        RemoteWriteQueues::new(Arc::clone(&db), flags.storage_path.join("remote_write"));
    let (state, requests) = TsdbState::new(StateParts {
        db: Arc::clone(&db),
        engine,
        max_concurrent_queries: flags.query_max_concurrency,
        flags: flags.as_map(),
        web: web_features.clone(),
        scrape_status,
        metrics: Arc::clone(&metrics),
        storage_retention,
        config: config.clone(),
    });
    record_reload_metrics(&metrics, Some(config.loaded_at));

    let listener = TcpListener::bind(&flags.listen_address)
        .await
        .with_context(|| format!("listening on {}", flags.listen_address))?;
    let app = web_config.wrap(routes::app(
        Arc::clone(&state),
        registry,
        &web_features.route_prefix,
    ));
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, app, tls, async {
        let _ = server_stopped.await;
    }));
    remote_queues
        .apply(&config.config)
        .await
        .context("starting remote-write queues")?;
    scrape
        .apply(&config.config)
        .await
        .context("starting scrape loops")?;
    state.set_ready();
    tracing::info!(
        address = %flags.listen_address,
        external_url = %web_features.external_url,
        "tsdbd is ready"
    );

    let appliers = Appliers {
        scrape: &scrape,
        remote_queues: &remote_queues,
    };
    let outcome = main_loop(&state, &appliers, flags.config_file.as_deref(), requests).await;
    tracing::info!("shutting down");
    let _ = stop_server.send(());
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "HTTP server failed"),
        Err(e) => tracing::error!(error = %e, "HTTP server task failed"),
    }
    scrape.stop().await;
    remote_queues.stop().await;
    drop(state);
    close_db(db).await;
    outcome
}

/// What a configuration reload is applied to.
struct Appliers<'a> {
    scrape: &'a ScrapeManager,
    remote_queues: &'a RemoteWriteQueues,
}

/// Waits for signals and lifecycle requests; returns when the server should stop.
async fn main_loop(
    state: &Arc<TsdbState>,
    scrape: &Appliers<'_>,
    config_file: Option<&Path>,
    mut requests: tokio::sync::mpsc::Receiver<LifecycleRequest>,
) -> anyhow::Result<()> {
    let mut hangup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sync = tokio::time::interval(WAL_SYNC_INTERVAL);
    sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                if let Err(e) = reload(state, scrape, config_file).await {
                    tracing::error!(error = %e, "reloading the configuration on SIGHUP failed");
                }
            }
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            request = requests.recv() => match request {
                Some(LifecycleRequest::Reload(reply)) => {
                    let outcome = reload(state, scrape, config_file).await;
                    if let Err(e) = &outcome {
                        tracing::error!(error = %e, "reloading the configuration failed");
                    }
                    let _ = reply.send(outcome);
                }
                Some(LifecycleRequest::Quit) | None => return Ok(()),
            },
            _ = sync.tick() => {
                let db = Arc::clone(&state.db);
                match tokio::task::spawn_blocking(move || db.sync()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "fsyncing the WAL failed"),
                    Err(e) => tracing::error!(error = %e, "WAL sync task failed"),
                }
            }
        }
    }
}

/// Re-reads the configuration file and applies it; on failure the old configuration stays.
/// Without `--config.file` the built-in configuration cannot change, so this succeeds at once.
async fn reload(
    state: &TsdbState,
    appliers: &Appliers<'_>,
    config_file: Option<&Path>,
) -> Result<(), String> {
    let Some(path) = config_file else {
        return Ok(());
    };
    let outcome = match read_config_file(path) {
        Ok(loaded) => apply_config(appliers, &loaded.config).await.map(|()| {
            state.set_config(loaded);
        }),
        Err(e) => Err(format!("{e:#}")),
    };
    match &outcome {
        Ok(()) => {
            record_reload_metrics(&state.metrics, Some(SystemTime::now()));
            tracing::info!(file = %path.display(), "configuration reloaded");
        }
        Err(_) => {
            state.record_failed_reload();
            record_reload_metrics(&state.metrics, None);
        }
    }
    outcome
}

async fn apply_config(appliers: &Appliers<'_>, config: &Config) -> Result<(), String> {
    appliers
        .remote_queues
        .apply(config)
        .await
        .map_err(|e| format!("remote write: {e}"))?;
    appliers
        .scrape
        .apply(config)
        .await
        .map_err(|e| format!("scrape: {e}"))
}

fn record_reload_metrics(metrics: &Metrics, success_at: Option<SystemTime>) {
    match success_at {
        Some(at) => {
            metrics.config_last_reload_successful.set(1);
            let secs = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            metrics
                .config_last_reload_success_timestamp_seconds
                .set(i64::try_from(secs).unwrap_or(i64::MAX));
        }
        None => {
            metrics.config_last_reload_successful.set(0);
        }
    }
}

/// The configuration file, or the built-in self-scrape configuration without one.
fn load_config(
    config_file: Option<&Path>,
    listen_address: &str,
    route_prefix: &str,
) -> anyhow::Result<LoadedConfig> {
    match config_file {
        Some(path) => read_config_file(path),
        None => {
            let metrics_path = format!("{route_prefix}/metrics");
            let yaml = Config::default_self_scrape_yaml(listen_address, &metrics_path);
            let config = Config::default_self_scrape(listen_address, &metrics_path)
                .context("building the built-in configuration from --web.listen-address")?;
            Ok(LoadedConfig {
                config,
                yaml,
                loaded_at: SystemTime::now(),
            })
        }
    }
}

fn read_config_file(path: &Path) -> anyhow::Result<LoadedConfig> {
    let yaml = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    let config = Config::parse(&yaml, path)?;
    Ok(LoadedConfig {
        config,
        yaml,
        loaded_at: SystemTime::now(),
    })
}

/// The external URL and route prefix as Prometheus derives them: the external URL defaults
/// to `http://<listen host>:<port>/`, the prefix to the external URL's path.
fn web_features(flags: &ServerFlags) -> anyhow::Result<WebFeatures> {
    let external_url = match &flags.external_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let (host, port) = flags.listen_address.rsplit_once(':').with_context(|| {
                format!(
                    "--web.listen-address {:?} has no port",
                    flags.listen_address
                )
            })?;
            let host = match host {
                "" | "0.0.0.0" | "[::]" => "localhost",
                h => h,
            };
            format!("http://{host}:{port}")
        }
    };
    let url_path = match external_url.split_once("://") {
        Some((scheme, rest)) if scheme == "http" || scheme == "https" => {
            rest.find('/').map(|i| &rest[i..]).unwrap_or("")
        }
        _ => anyhow::bail!(
            "--web.external-url {external_url:?} must be an absolute http:// or https:// URL"
        ),
    };
    let route_prefix = normalize_prefix(flags.route_prefix.as_deref().unwrap_or(url_path));
    Ok(WebFeatures {
        admin_api: flags.enable_admin_api,
        lifecycle: flags.enable_lifecycle,
        remote_write_receiver: flags.enable_remote_write_receiver,
        external_url,
        route_prefix,
    })
}

/// `""` for the root, else `/path` without a trailing slash.
fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Opens storage on a blocking thread (WAL replay may take a while) with retention from the
/// flags; returns it with the retention as `/api/v1/status/runtimeinfo` describes it.
async fn open_db(flags: &ServerFlags) -> anyhow::Result<(Arc<Db>, String)> {
    let (retention_ms, retention_size) = match (flags.retention_time, flags.retention_size) {
        // Prometheus: with neither limit set, the default time limit applies.
        (t, 0) if t.is_zero() => (Some(duration_ms(Duration::from_secs(15 * 86_400))), None),
        (t, size) => (
            (!t.is_zero()).then(|| duration_ms(t)),
            (size > 0).then_some(size),
        ),
    };
    let description = match (retention_ms, retention_size) {
        (Some(ms), Some(size)) => format!(
            "{} or {}",
            format_duration(Duration::from_millis(ms.unsigned_abs())),
            format_bytes(size)
        ),
        (Some(ms), None) => format_duration(Duration::from_millis(ms.unsigned_abs())),
        (None, Some(size)) => format_bytes(size),
        (None, None) => String::new(),
    };
    let options = Options {
        retention_ms,
        retention_size_bytes: retention_size,
        ..Options::default()
    };
    let path = flags.storage_path.clone();
    let (db, report) = tokio::task::spawn_blocking(move || Db::open_with_report(&path, options))
        .await
        .context("storage open task failed")?
        .with_context(|| format!("opening storage at {}", flags.storage_path.display()))?;
    tracing::info!(path = %flags.storage_path.display(), ?report, "storage opened");
    Ok((Arc::new(db), description))
}

/// Bytes in the largest binary unit that divides them (`10GiB`, `512MiB`, `1000B`).
fn format_bytes(n: u64) -> String {
    for (unit, shift) in [
        ("EiB", 60),
        ("PiB", 50),
        ("TiB", 40),
        ("GiB", 30),
        ("MiB", 20),
        ("KiB", 10),
    ] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n}B")
}

/// Closes storage once every other owner let go; otherwise only fsyncs the WAL.
async fn close_db(db: Arc<Db>) {
    let outcome = tokio::task::spawn_blocking(move || match Arc::try_unwrap(db) {
        Ok(db) => db.close(),
        Err(shared) => {
            tracing::warn!("storage still in use at shutdown; fsyncing the WAL only");
            shared.sync()
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) => tracing::info!("storage closed"),
        Ok(Err(e)) => tracing::error!(error = %e, "closing storage failed"),
        Err(e) => tracing::error!(error = %e, "storage close task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        flags: ServerFlags,
    }

    fn features(args: &[&str]) -> anyhow::Result<WebFeatures> {
        let mut argv = vec!["tsdbd"];
        argv.extend_from_slice(args);
        web_features(&Cli::try_parse_from(argv)?.flags)
    }

    #[test]
    fn route_prefix_follows_the_external_url_unless_given() {
        let f = features(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (f.external_url.as_str(), f.route_prefix.as_str()),
            ("http://127.0.0.1:9090", "")
        );
        let f = features(&["--web.external-url=https://example.org/prometheus/"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.route_prefix, "/prometheus");
        let f = features(&[
            "--web.external-url=https://example.org/prometheus/",
            "--web.route-prefix=/",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.route_prefix, "");
        assert!(features(&["--web.external-url=example.org"]).is_err());
        assert_eq!(normalize_prefix("a/b/"), "/a/b");
    }

    #[test]
    fn byte_sizes_are_written_in_binary_units() {
        assert_eq!(format_bytes(10 << 30), "10GiB");
        assert_eq!(format_bytes(1000), "1000B");
        assert_eq!(format_bytes(1536 << 10), "1536KiB");
    }
}
