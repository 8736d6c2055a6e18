//! `tsdbd`: the time-series daemon. Today it has the `backfill` command; the server (scrape,
//! remote write, HTTP API) arrives with its issue and will run when no command is given.

use clap::{Parser, Subcommand};
use daemons::backfill::{self, BackfillArgs};

#[derive(Parser)]
#[command(
    name = "tsdbd",
    version,
    about = "Prometheus-compatible time-series daemon"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Import an OpenMetrics or Prometheus text file with timestamps into blocks.
    Backfill(BackfillArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Backfill(args)) => backfill::run(&args).map(|_| ()),
        None => anyhow::bail!(
            "the tsdbd server (scraping, remote write, HTTP API) is not built yet; \
             available command: `tsdbd backfill <FILE> <DIR>`"
        ),
    }
}
