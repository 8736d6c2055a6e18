//! `tsdbd`: the time-series daemon that stands in for Prometheus. With no command it runs the
//! server (scraping, remote write, the Prometheus HTTP API); `tsdbd backfill` imports a file.

use clap::{Parser, Subcommand};
use daemons::backfill::{self, BackfillArgs};
use daemons::tsdbd::ServerFlags;

#[derive(Parser)]
#[command(
    name = "tsdbd",
    version,
    about = "Prometheus-compatible time-series daemon",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    server: ServerFlags,
}

#[derive(Subcommand)]
enum Command {
    /// Import an OpenMetrics or Prometheus text file with timestamps into blocks.
    Backfill(BackfillArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cli.server.log_level))
        .map_err(|e| anyhow::anyhow!("invalid --log.level {:?}: {e}", cli.server.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Some(Command::Backfill(args)) => backfill::run(&args).map(|_| ()),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("tsdbd")
            .build()?
            .block_on(daemons::tsdbd::run(cli.server)),
    }
}
