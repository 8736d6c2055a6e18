//! Command-line flags of the tsdbd server, with Prometheus's names and defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::duration::parse_duration;

/// The server's flags. Names and defaults are Prometheus 2.x's, except that the listen address
/// defaults to the loopback interface and `--config.file` may be left out (the embedded
/// self-scrape configuration is used then).
#[derive(Debug, Clone, Args)]
pub struct ServerFlags {
    /// Configuration file (prometheus.yml). Without it, tsdbd scrapes itself every 15 s.
    #[arg(long = "config.file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,

    /// Base path for metrics storage.
    #[arg(long = "storage.tsdb.path", default_value = "data/")]
    pub storage_path: PathBuf,

    /// How long to retain samples in storage (Prometheus duration; 0 keeps data forever
    /// unless a size limit is set).
    #[arg(long = "storage.tsdb.retention.time", default_value = "15d", value_parser = parse_flag_duration)]
    pub retention_time: Duration,

    /// Maximum number of bytes blocks, WAL and head chunks may take (e.g. 512MB, 10GB); 0 is
    /// no limit.
    #[arg(long = "storage.tsdb.retention.size", default_value = "0B", value_parser = parse_byte_size)]
    pub retention_size: u64,

    /// Address to listen on for the web interface and API.
    #[arg(long = "web.listen-address", default_value = "127.0.0.1:9090")]
    pub listen_address: String,

    /// The URL under which tsdbd is reached from outside (behind a reverse proxy); its path
    /// is the default route prefix.
    #[arg(long = "web.external-url", value_name = "URL")]
    pub external_url: Option<String>,

    /// Prefix of every HTTP route; defaults to the path of --web.external-url.
    #[arg(long = "web.route-prefix", value_name = "PATH")]
    pub route_prefix: Option<String>,

    /// Accept remote-write requests on /api/v1/write.
    #[arg(long = "web.enable-remote-write-receiver")]
    pub enable_remote_write_receiver: bool,

    /// Enable shutdown and reload via HTTP (/-/quit, /-/reload).
    #[arg(long = "web.enable-lifecycle")]
    pub enable_lifecycle: bool,

    /// Enable the admin endpoints (/api/v1/admin/tsdb/*).
    #[arg(long = "web.enable-admin-api")]
    pub enable_admin_api: bool,

    /// Web configuration file (Prometheus's format: TLS and basic authentication).
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config_file: Option<PathBuf>,

    /// How far back an instant selector looks for a sample.
    #[arg(long = "query.lookback-delta", default_value = "5m", value_parser = parse_flag_duration)]
    pub lookback_delta: Duration,

    /// Maximum time a query may take before it is aborted.
    #[arg(long = "query.timeout", default_value = "2m", value_parser = parse_flag_duration)]
    pub query_timeout: Duration,

    /// Maximum number of samples a single query may load into memory.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    pub query_max_samples: usize,

    /// Maximum number of queries evaluated at the same time.
    #[arg(long = "query.max-concurrency", default_value_t = 20)]
    pub query_max_concurrency: usize,

    /// Only log messages of this level or above: debug, info, warn, error.
    #[arg(long = "log.level", default_value = "info")]
    pub log_level: String,
}

impl ServerFlags {
    /// The flags as `/api/v1/status/flags` reports them: name → value as text.
    pub fn as_map(&self) -> BTreeMap<String, String> {
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let entries = [
            ("config.file", path(&self.config_file)),
            ("storage.tsdb.path", self.storage_path.display().to_string()),
            (
                "storage.tsdb.retention.time",
                format_duration(self.retention_time),
            ),
            (
                "storage.tsdb.retention.size",
                format!("{}B", self.retention_size),
            ),
            ("web.listen-address", self.listen_address.clone()),
            (
                "web.external-url",
                self.external_url.clone().unwrap_or_default(),
            ),
            (
                "web.route-prefix",
                self.route_prefix.clone().unwrap_or_default(),
            ),
            (
                "web.enable-remote-write-receiver",
                self.enable_remote_write_receiver.to_string(),
            ),
            ("web.enable-lifecycle", self.enable_lifecycle.to_string()),
            ("web.enable-admin-api", self.enable_admin_api.to_string()),
            ("web.config.file", path(&self.web_config_file)),
            ("query.lookback-delta", format_duration(self.lookback_delta)),
            ("query.timeout", format_duration(self.query_timeout)),
            ("query.max-samples", self.query_max_samples.to_string()),
            (
                "query.max-concurrency",
                self.query_max_concurrency.to_string(),
            ),
            ("log.level", self.log_level.clone()),
        ];
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }
}

fn parse_flag_duration(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// Parses a byte size as Prometheus's `units.Base2Bytes` flags do: a number followed by `B`,
/// `KB`, `MB`, `GB`, `TB`, `PB` or `EB` (powers of 1024; `KiB`-style spellings accepted too).
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits_end);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid byte size {s:?}: expected a number and a unit like 512MB"))?;
    let shift = match unit {
        "" | "B" => 0,
        "KB" | "KiB" | "K" => 10,
        "MB" | "MiB" | "M" => 20,
        "GB" | "GiB" | "G" => 30,
        "TB" | "TiB" | "T" => 40,
        "PB" | "PiB" | "P" => 50,
        "EB" | "EiB" | "E" => 60,
        _ => return Err(format!("invalid byte size {s:?}: unknown unit {unit:?}")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("invalid byte size {s:?}: too large"))
}

/// A duration as Prometheus's `model.Duration` prints it (`2w1d` for 15 days, `1h30m`, `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, len) in [
        ("y", 365 * 86_400_000u128),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= len {
            out.push_str(&format!("{}{unit}", ms / len));
            ms %= len;
        }
    }
    out
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

    #[test]
    fn defaults_are_prometheus_ones() {
        let f = Cli::try_parse_from(["tsdbd"])
            .unwrap_or_else(|e| panic!("{e}"))
            .flags;
        assert_eq!(f.retention_time, Duration::from_secs(15 * 86_400));
        assert_eq!(f.retention_size, 0);
        assert_eq!(f.listen_address, "127.0.0.1:9090");
        assert_eq!(f.query_timeout, Duration::from_secs(120));
        assert_eq!(f.lookback_delta, Duration::from_secs(300));
        assert_eq!(f.query_max_samples, 50_000_000);
        assert_eq!(f.as_map()["storage.tsdb.retention.time"], "2w1d");
    }

    #[test]
    fn prometheus_flag_spellings_parse() {
        let f = Cli::try_parse_from([
            "tsdbd",
            "--config.file=prom.yml",
            "--storage.tsdb.retention.size=512MB",
            "--web.route-prefix=/prometheus",
            "--web.enable-lifecycle",
            "--query.lookback-delta",
            "1m30s",
        ])
        .unwrap_or_else(|e| panic!("{e}"))
        .flags;
        assert_eq!(f.retention_size, 512 << 20);
        assert_eq!(f.route_prefix.as_deref(), Some("/prometheus"));
        assert!(f.enable_lifecycle && !f.enable_admin_api);
        assert_eq!(format_duration(f.lookback_delta), "1m30s");
        assert!(Cli::try_parse_from(["tsdbd", "--query.timeout=soon"]).is_err());
        assert!(parse_byte_size("10XB").is_err());
        assert!(parse_byte_size("99999999999EB").is_err());
    }
}
