//! The entry point of the `logql_pipeline` fuzz target, and the replay of its saved crashes.

use model::{Labels, LogEntry};

use super::pipeline::{Pipeline, SampleExtractor};
use super::syntax::{Expr, SampleExpr, parse};

/// Pipelines every fuzzed line goes through: each parser, the formatters, filters after a
/// parser, and sample extraction with unwrap conversions.
const QUERIES: &[&str] = &[
    r#"{app="a"} | json | level="error" or status >= 500"#,
    r#"{app="a"} | json first="a.b[0]", second=`["c d"].e` | line_format "{{.first}} {{.second | upper}}""#,
    r#"{app="a"} | logfmt | duration > 1s | label_format msg="{{.msg | trunc 10}}""#,
    r#"{app="a"} | logfmt --strict --keep-empty | keep level, msg"#,
    r#"{app="a"} | regexp "(?P<ip>\\S+) (?P<verb>\\w+)" | drop verb"#,
    r#"{app="a"} | pattern "<ip> - <_> [<ts>] \"<method> <path> <_>\" <status> <size>" | status=~"5..""#,
    r#"{app="a"} | unpack | decolorize |~ "(?i)err" | ip="10.0.0.0/8""#,
    r#"{app="a"} |> "<_> error <_>" | json | line_format "{{__line__ | len}} {{.__error__}}""#,
];

/// Metric queries whose sample extraction runs over every fuzzed line.
const METRIC_QUERIES: &[&str] = &[
    r#"sum_over_time({app="a"} | logfmt | unwrap bytes(size) | __error__="" [1m])"#,
    r#"max_over_time({app="a"} | json | unwrap duration(latency) [1m]) by (level)"#,
    r#"bytes_over_time({app="a"} | json | line_format "{{.msg}}" [1m])"#,
];

/// Runs `data` as a log line (with a structured metadata pair) through every pipeline of
/// [`QUERIES`] and every sample extractor of [`METRIC_QUERIES`]. Every line must come out
/// passed or dropped: a panic, stack overflow or hang is a bug.
pub fn fuzz_pipeline(data: &[u8]) {
    let Ok(stream) = Labels::from_pairs([("app", "a"), ("level", "info")]) else {
        return;
    };
    let entry = LogEntry::new(1_700_000_000_000_000_000, data).with_metadata("trace_id", "0abc");
    for query in QUERIES {
        let log = match parse(query) {
            Ok(Expr::Log(log)) => log,
            other => panic!("fixture query is not a log query: {query}: {other:?}"),
        };
        let pipeline = Pipeline::new(log.stages.iter())
            .unwrap_or_else(|e| panic!("fixture pipeline: {query}: {e}"));
        let mut for_stream = pipeline.for_stream(&stream);
        if let Some(out) = for_stream.process(&entry) {
            let _ = (out.line.len(), out.labels.len());
        }
    }
    for query in METRIC_QUERIES {
        let Ok(Expr::Sample(SampleExpr::RangeAggregation(agg))) = parse(query) else {
            panic!("fixture query is not a range aggregation: {query}");
        };
        let extractor = SampleExtractor::new(&agg.range, agg.op, agg.grouping.as_ref())
            .unwrap_or_else(|e| panic!("fixture extractor: {query}: {e}"));
        let mut for_stream = extractor.for_stream(&stream);
        let _ = for_stream.process(&entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays the inputs saved under `fuzz/regressions/logql_pipeline/`, so crashes found by
    /// fuzzing stay fixed.
    #[test]
    fn saved_fuzz_inputs_pass_every_pipeline() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/regressions/logql_pipeline");
        let mut replayed = 0;
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{e}"));
            fuzz_pipeline(&bytes);
            replayed += 1;
        }
        assert!(replayed > 0, "no inputs in {}", dir.display());
    }
}
