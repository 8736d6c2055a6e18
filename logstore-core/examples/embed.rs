//! Embedding the log store: open a store, push a few lines for two streams, query them back
//! with a line filter, flush them into a segment file, and close.
//!
//! `cargo run -p logstore-core --example embed`

use logstore_core::{LogStore, Options, PushStream, StreamLabels, now_ns};
use model::logs::{Direction, LineFilterChain, LineFilterOp, LogEntry, LogQuerier, LogSelect};
use model::{MatchType, Matcher};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("logstore-embed-{}", std::process::id()));
    let store = LogStore::open(&dir, Options::default())?;

    let now = now_ns();
    let outcome = store.push(
        "fake",
        vec![
            PushStream {
                labels: StreamLabels::Selector(r#"{app="api", env="prod"}"#.into()),
                entries: vec![
                    LogEntry::new(now - 2_000_000_000, "GET /health 200"),
                    LogEntry::new(now - 1_000_000_000, "POST /orders 500 upstream error")
                        .with_metadata("trace_id", "4bf92f35"),
                ],
            },
            PushStream {
                labels: StreamLabels::Pairs(vec![("app".into(), "db".into())]),
                entries: vec![LogEntry::new(now, "checkpoint complete")],
            },
        ],
    )?;
    println!(
        "stored {} entries ({} bytes), refused {}",
        outcome.accepted_entries,
        outcome.accepted_bytes,
        outcome.rejected.len()
    );

    // `{app=~".+"} |= "error"`, newest first.
    let mut query = LogSelect::new(
        "fake",
        vec![Matcher::new(MatchType::Regex, "app", ".+")?],
        now - 60_000_000_000,
        now + 1,
    );
    query.direction = Direction::Backward;
    query.filter = LineFilterChain::new().then(LineFilterOp::Contains, ["error"]);
    for item in store.select(&query)? {
        let (stream, entry) = item?;
        println!(
            "{stream} {} {} {:?}",
            entry.ts,
            String::from_utf8_lossy(&entry.line),
            entry.metadata
        );
    }

    // Cut every head chunk and write it into a segment file; the WAL shrinks to a checkpoint.
    store.flush(true)?;
    store.close()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
