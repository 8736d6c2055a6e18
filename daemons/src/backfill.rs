//! `tsdbd backfill <FILE> <DIR>`: import an OpenMetrics or Prometheus text file with timestamps
//! into Prometheus-format blocks, like `promtool tsdb create-blocks-from openmetrics`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use model::exposition::Format;
use tsdb_core::{BackfillOptions, BackfillReport};

/// Arguments of `tsdbd backfill`.
#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// Input file: OpenMetrics (ends with `# EOF`) or Prometheus text format, with a timestamp
    /// on every sample; `.zst` files are decompressed.
    pub input: PathBuf,
    /// Output directory for the blocks (created if missing).
    pub output: PathBuf,
    /// Range of each block, e.g. `2h` (promtool's `--max-block-duration`).
    #[arg(long = "max-block-duration", default_value = "2h", value_parser = parse_duration_ms)]
    pub block_duration_ms: i64,
    /// Input format; detected from the content when not given.
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InputFormat {
    /// OpenMetrics 1.0 text.
    Openmetrics,
    /// Prometheus text format 0.0.4.
    Text,
}

/// Parses a positive Prometheus duration such as `2h`, `90m`, `1d`, `1h30m` into ms.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let duration = crate::config::duration::parse_duration(s).map_err(|e| e.to_string())?;
    match i64::try_from(duration.as_millis()) {
        Ok(ms) if ms > 0 => Ok(ms),
        Ok(_) => Err(format!("duration {s:?} must be positive")),
        Err(_) => Err(format!("duration {s:?} is too long")),
    }
}

/// Reads the input, decompressing `.zst`.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "zst") {
        zstd::stream::Decoder::new(file)
            .and_then(|mut d| d.read_to_end(&mut out))
            .with_context(|| format!("decompress {}", path.display()))?;
    } else {
        std::io::BufReader::new(file)
            .read_to_end(&mut out)
            .with_context(|| format!("read {}", path.display()))?;
    }
    Ok(out)
}

/// Runs the import and prints a summary.
pub fn run(args: &BackfillArgs) -> anyhow::Result<BackfillReport> {
    let input = read_input(&args.input)?;
    let opts = BackfillOptions {
        block_duration_ms: args.block_duration_ms,
        format: args.format.map(|f| match f {
            InputFormat::Openmetrics => Format::OpenMetrics,
            InputFormat::Text => Format::Text,
        }),
        source: args.input.clone(),
    };
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(input.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let started = Instant::now();
    let report = tsdb_core::backfill(&input, &args.output, &opts, |done| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    if !args.quiet {
        println!(
            "imported {} samples of {} series into {} block(s) in {:.2}s ({:.0} samples/s)",
            report.samples,
            report.series,
            report.blocks.len(),
            secs,
            report.samples as f64 / secs.max(1e-9)
        );
        println!(
            "BLOCK ULID                  MIN TIME       MAX TIME       NUM SAMPLES  NUM SERIES"
        );
        for b in &report.blocks {
            println!(
                "{:<26}  {:<13}  {:<13}  {:<11}  {}",
                b.ulid, b.min_time, b.max_time, b.stats.num_samples, b.stats.num_series
            );
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("2x").is_err());
        assert!(parse_duration_ms("h").is_err());
        assert!(parse_duration_ms("0s").is_err());
    }
}
