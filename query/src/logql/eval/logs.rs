//! Log queries: one select with the pushed-down line filters, the rest of the pipeline per
//! stream, entries grouped into result streams by their final labels (Loki v3's `readStreams`).
//!
//! At most `limit` entries are returned, the oldest (forward) or newest (backward) that pass the
//! pipeline. Without a residual pipeline the store applies the limit itself; with one the scan
//! stops as soon as `limit` entries passed. With an `interval`, an entry is returned only when it
//! is at least `interval` after (forward) or before (backward) the last entry returned.
//! Result streams are sorted by their labels' text, entries keep the requested direction.

use std::collections::HashMap;

use model::{Direction, Labels, LogEntry, LogSelect};

use super::error::QueryError;
use super::{CHECK_EVERY, Guard, ScanTotals};
use crate::logql::pipeline::{Pipeline, StreamPipeline};
use crate::logql::result::{LogStream, StreamEntry};
use crate::logql::syntax::LogExpr;

/// What a log query reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogRequest<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// First nanosecond, inclusive.
    pub start: i64,
    /// Last nanosecond, exclusive.
    pub end: i64,
    /// Order of the entries.
    pub direction: Direction,
    /// Most entries returned (at least 1).
    pub limit: usize,
    /// Least time between two returned entries, nanoseconds; 0 returns every entry.
    pub interval: i64,
}

/// Runs a log query; returns its streams and adds its work to `totals`.
pub(crate) fn eval(
    querier: &dyn model::LogQuerier,
    expr: &LogExpr,
    request: &LogRequest<'_>,
    guard: &Guard,
    totals: &mut ScanTotals,
) -> Result<Vec<LogStream>, QueryError> {
    let pipeline = Pipeline::new(expr.residual_stages())?;
    let select = LogSelect {
        tenant: request.tenant.to_owned(),
        matchers: expr.matchers.clone(),
        start: request.start,
        end: request.end,
        direction: request.direction,
        limit: pipeline.is_empty().then_some(request.limit),
        filter: expr.pushdown_filters(),
    };
    let mut entries = querier.select(&select)?;
    let mut reader = StreamReader::new(&pipeline, request);
    for (n, item) in entries.by_ref().enumerate() {
        if n.is_multiple_of(CHECK_EVERY) {
            guard.check()?;
        }
        let (stream, entry) = item?;
        if reader.read(stream, entry) {
            break;
        }
    }
    // Entries this query consumed that passed (a store may scan ahead of what it yields).
    totals.add(&entries.stats(), reader.passed);
    Ok(reader.finish())
}

/// Collects the entries of a log query into streams.
struct StreamReader<'p> {
    pipeline: &'p Pipeline,
    streams: HashMap<Labels, StreamPipeline<'p>>,
    out: HashMap<Labels, Vec<StreamEntry>>,
    direction: Direction,
    limit: usize,
    interval: i64,
    returned: usize,
    last: Option<i64>,
    /// Entries that passed the pipeline.
    passed: u64,
}

impl<'p> StreamReader<'p> {
    fn new(pipeline: &'p Pipeline, request: &LogRequest<'_>) -> Self {
        Self {
            pipeline,
            streams: HashMap::new(),
            out: HashMap::new(),
            direction: request.direction,
            limit: request.limit,
            interval: request.interval,
            returned: 0,
            last: None,
            passed: 0,
        }
    }

    /// Takes one entry of `stream`; true once `limit` entries were returned.
    fn read(&mut self, stream: Labels, entry: LogEntry) -> bool {
        if self.returned >= self.limit {
            return true;
        }
        // Without stages and structured metadata an entry passes unchanged with its stream's
        // labels; otherwise the pipeline decides (metadata becomes labels, as in Loki).
        let (labels, line) = if self.pipeline.is_empty() && entry.metadata.is_empty() {
            (stream, entry.line)
        } else {
            let pipeline = self.pipeline;
            let stream_pipeline = self
                .streams
                .entry(stream)
                .or_insert_with_key(|stream| pipeline.for_stream(stream));
            match stream_pipeline.process(&entry) {
                Some(processed) => (processed.labels.clone(), processed.line.to_vec()),
                None => return false,
            }
        };
        self.passed += 1;
        if !self.due(entry.ts) {
            return false;
        }
        self.last = Some(entry.ts);
        self.out
            .entry(labels)
            .or_default()
            .push(StreamEntry { ts: entry.ts, line });
        self.returned += 1;
        self.returned >= self.limit
    }

    /// True when an entry at `ts` is far enough from the last one returned.
    fn due(&self, ts: i64) -> bool {
        match self.last {
            Some(last) if self.interval > 0 => match self.direction {
                Direction::Forward => ts >= last.saturating_add(self.interval),
                Direction::Backward => ts <= last.saturating_sub(self.interval),
            },
            _ => true,
        }
    }

    /// The streams, sorted by their labels' text as Loki sorts them.
    fn finish(self) -> Vec<LogStream> {
        let mut streams: Vec<(String, LogStream)> = self
            .out
            .into_iter()
            .map(|(labels, entries)| (labels.to_string(), LogStream { labels, entries }))
            .collect();
        streams.sort_by(|a, b| a.0.cmp(&b.0));
        streams.into_iter().map(|(_, stream)| stream).collect()
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
