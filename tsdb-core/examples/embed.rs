//! Embedding tsdb-core: open a database, append samples, query them back, close.
//!
//! Run with `cargo run -p tsdb-core --example embed`.

use model::{Labels, MatchType, Matcher, SeriesQuerier};
use tsdb_core::{Db, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("tsdb-core-embed-{}", std::process::id()));
    let db = Db::open(&dir, Options::default())?;

    // Two series, one sample every 15 s for an hour. One appender per batch, as a scrape would.
    let up_a = Labels::from_pairs([("__name__", "up"), ("job", "api"), ("instance", "a:9100")])?;
    let up_b = Labels::from_pairs([("__name__", "up"), ("job", "api"), ("instance", "b:9100")])?;
    let start = 1_700_000_000_000i64;
    let (mut ref_a, mut ref_b) = (None, None);
    for i in 0..240 {
        let t = start + i * 15_000;
        let mut app = db.appender();
        ref_a = Some(match ref_a {
            Some(r) => app.append_ref(r, t, 1.0)?,
            None => app.append(&up_a, t, 1.0)?,
        });
        ref_b = Some(match ref_b {
            Some(r) => app.append_ref(r, t, if i % 10 == 0 { 0.0 } else { 1.0 })?,
            None => app.append(&up_b, t, 0.0)?,
        });
        app.commit()?;
    }

    // Select `up{job="api", instance=~"b.*"}` over the last 10 minutes.
    let querier = db.querier(start + 50 * 60_000, start + 60 * 60_000);
    let matchers = [
        Matcher::new(MatchType::Equal, "__name__", "up")?,
        Matcher::new(MatchType::Equal, "job", "api")?,
        Matcher::new(MatchType::Regex, "instance", "b.*")?,
    ];
    for series in querier.select(&matchers)? {
        let series = series?;
        let mut it = series.samples();
        let mut n = 0;
        let mut sum = 0.0;
        while let Some(s) = it.next() {
            n += 1;
            sum += s.v;
        }
        if let Some(e) = it.error() {
            return Err(e.to_string().into());
        }
        println!(
            "{}: {n} samples, mean {:.3}",
            series.labels(),
            sum / n as f64
        );
    }
    println!(
        "label values of instance: {:?}",
        querier.label_values("instance", &[])?
    );

    drop(querier);
    db.close()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
