//! The entry point of the `promql_query` fuzz target, and the replay of its saved crashes.

use std::time::Duration;

use model::{Labels, Sample, VecQueryable};

use super::{Engine, EngineOptions};

/// Milliseconds between the fixture's samples.
const SCRAPE_MS: i64 = 15_000;
/// Samples per fixture series: an hour.
const SAMPLES: i64 = 240;

/// Series every fuzzed query runs over: counters with labels, a gauge with a staleness marker
/// and a classic histogram, so selectors, functions, aggregations and joins find data.
fn fixture() -> VecQueryable {
    let mut store = VecQueryable::new();
    let mut add = |pairs: &[(&str, &str)], value: &dyn Fn(i64) -> f64| {
        if let Ok(labels) = Labels::from_pairs(pairs.iter().copied()) {
            let samples = (0..SAMPLES).map(|k| Sample::new(k * SCRAPE_MS, value(k)));
            store.add_samples(&labels, samples);
        }
    };
    for (job, scale) in [("api", 1.0), ("db", 3.0)] {
        add(&[("__name__", "requests_total"), ("job", job)], &|k| {
            (k % 100) as f64 * scale
        });
        add(&[("__name__", "up"), ("job", job)], &|k| (k % 2) as f64);
        for (le, share) in [("0.1", 0.5), ("1", 0.9), ("+Inf", 1.0)] {
            add(
                &[("__name__", "latency_bucket"), ("job", job), ("le", le)],
                &|k| (k as f64 * 10.0 * share).floor(),
            );
        }
    }
    add(&[("__name__", "temperature")], &|k| {
        if k == 120 {
            model::STALE_NAN
        } else {
            (k as f64).sin() * 30.0
        }
    });
    store
}

/// Evaluates `data`, when it is UTF-8, as an instant and as a range query over a small fixture
/// with tight limits, and renders any result as JSON. The engine must answer every input with
/// a result or an error: a panic, a stack overflow or a hang is a bug.
pub fn fuzz_query(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let store = fixture();
    let engine = Engine::new(EngineOptions {
        max_samples: 200_000,
        timeout: Duration::from_secs(2),
        ..EngineOptions::default()
    });
    let end = SAMPLES * SCRAPE_MS;
    if let Ok(result) = engine.instant(&store, query, end / 2) {
        let _ = result.value.to_json();
    }
    if let Ok(result) = engine.range(&store, query, 0, end, 60_000) {
        let _ = result.value.to_json();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays the inputs saved under `fuzz/regressions/promql_query/`, so crashes found by
    /// fuzzing stay fixed.
    #[test]
    fn saved_fuzz_inputs_are_answered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/regressions/promql_query");
        let mut replayed = 0;
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{e}"));
            fuzz_query(&bytes);
            replayed += 1;
        }
        assert!(replayed > 0, "no inputs in {}", dir.display());
    }

    #[test]
    fn the_fixture_answers_ordinary_queries() {
        let store = fixture();
        let engine = Engine::default();
        let result = engine
            .instant(&store, "sum(up)", 20 * SCRAPE_MS)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            result.value.to_json()["result"].to_string(),
            r#"[{"metric":{},"value":[300,"0"]}]"#
        );
    }
}
