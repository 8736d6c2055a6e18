//! The log pipeline: runs the stages of a LogQL log query that the store did not run (see
//! [`crate::logql::syntax::LogExpr::residual_stages`]) over each entry, and extracts sample
//! values for metric queries. Semantics are Loki v3's (`pkg/logql/log` in grafana/loki).
//!
//! A [`Pipeline`] is compiled once per query from its stages; compiling checks what Loki
//! checks when a query starts (regexes, `ip(...)` patterns, templates, `label_format` targets)
//! and reports it as a [`PipelineError`]. [`Pipeline::for_stream`] binds it to one stream;
//! [`StreamPipeline::process`] then runs each entry of that stream through the stages:
//!
//! * line filters (`|=`, `!=`, `|~`, `!~`, `|>`, `!>`, `ip(...)`, with `or`) test the
//!   current line, which `line_format`, `unpack` and `decolorize` may have rewritten;
//! * parsers (`json`, `logfmt`, `regexp`, `pattern`, `unpack`) add labels; a label the stream
//!   already has is added as `<name>_extracted`; a line that does not parse keeps going with
//!   `__error__` (`JSONParserErr`, ...) and `__error_details__`;
//! * label filters compare labels as strings, numbers, durations or byte sizes; a value that
//!   does not convert sets `__error__="LabelFilterErr"` and keeps the entry; `__error__` is
//!   filtered like a label (`| __error__=""`);
//! * `line_format` and `label_format` render Go templates ([`crate::logql::template`]);
//!   `keep` and `drop` remove labels.
//!
//! An entry's labels are the stream's, plus its structured metadata (names sanitized as Loki
//! does), plus what parsers and formatters set. An entry no stage changed costs no label
//! work: it shares the stream's label set.
//!
//! A [`SampleExtractor`] wraps the same stages for a range aggregation and gives each entry's
//! sample value and series labels (see [`SampleExtractor`]).
//!
//! ```
//! use model::{Labels, LogEntry};
//! use query::logql::pipeline::Pipeline;
//! use query::logql::syntax::{parse, Expr};
//!
//! let Ok(Expr::Log(query)) = parse(r#"{app="api"} | logfmt | status >= 500 | line_format "{{.method}} {{.path}}""#) else {
//!     panic!()
//! };
//! let pipeline = Pipeline::new(query.residual_stages()).unwrap();
//! let stream = Labels::from_pairs([("app", "api")]).unwrap();
//! let mut entries = pipeline.for_stream(&stream);
//!
//! let entry = LogEntry::new(1, "method=GET path=/health status=200");
//! assert!(entries.process(&entry).is_none());
//!
//! let entry = LogEntry::new(2, "method=POST path=/orders status=503");
//! let out = entries.process(&entry).unwrap();
//! assert_eq!(out.line, b"POST /orders");
//! assert_eq!(out.labels.get("status"), Some("503"));
//! ```

mod convert;
mod extract;
mod format;
mod ip;
mod label_filter;
mod labels;
mod line_filter;
mod parsers;
mod stages;

use model::{Labels, LogEntry};

use self::extract::{SeriesLabels, ValueSource};
use self::stages::{CompiledStage, EntryRun};
use super::syntax::{Grouping, LogRange, RangeOp, Stage};

/// Why a pipeline could not be built from its stages (an invalid `ip(...)` argument, a template
/// that does not parse, ...). Loki reports these when the query starts, before reading logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PipelineError {
    /// What is wrong, naming the stage.
    pub message: String,
}

/// The compiled stages of a log query's pipeline, shared by every stream the query reads.
#[derive(Debug)]
pub struct Pipeline {
    stages: Vec<CompiledStage>,
}

impl Pipeline {
    /// Compiles `stages` (in query order).
    pub fn new<'a>(stages: impl IntoIterator<Item = &'a Stage>) -> Result<Self, PipelineError> {
        let stages = stages
            .into_iter()
            .map(CompiledStage::new)
            .collect::<Result<_, _>>()?;
        Ok(Self { stages })
    }

    /// True when the pipeline has no stage: every entry passes unchanged with its stream's labels.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The pipeline for the entries of one stream.
    pub fn for_stream(&self, stream: &Labels) -> StreamPipeline<'_> {
        StreamPipeline {
            stages: &self.stages,
            run: EntryRun::new(stream),
        }
    }
}

/// A [`Pipeline`] bound to one stream; reuse it for every entry of that stream.
#[derive(Debug)]
pub struct StreamPipeline<'p> {
    stages: &'p [CompiledStage],
    run: EntryRun,
}

/// An entry that passed the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct ProcessedEntry<'a> {
    /// The line after the stages (`line_format`, `decolorize`, `unpack` rewrite it).
    pub line: &'a [u8],
    /// The entry's labels after the stages: the stream's labels, its structured metadata and the
    /// labels parsers extracted, as `label_format`, `keep` and `drop` left them, including
    /// `__error__` and `__error_details__` when a stage failed. Log query results group entries
    /// into streams by these labels.
    pub labels: &'a Labels,
}

impl StreamPipeline<'_> {
    /// Runs one entry through the stages: `None` when a filter drops it.
    /// The processed line borrows the entry's own line when no stage rewrote it.
    pub fn process<'a>(&'a mut self, entry: &'a LogEntry) -> Option<ProcessedEntry<'a>> {
        if !self.run.run(self.stages, entry) {
            return None;
        }
        let (line, labels) = self.run.output(entry);
        Some(ProcessedEntry { line, labels })
    }
}

/// Turns the entries of a log range into sample values for a range aggregation: 1 per line
/// (`count_over_time`, `rate`, `absent_over_time`), the line's byte length (`bytes_over_time`,
/// `bytes_rate`), or the unwrapped label's value, with the range aggregation's `by`/`without`
/// applied to the labels.
///
/// As in Loki: an entry without the unwrapped label (or with it empty) gives no sample; a value
/// that does not convert gives 0 with `__error__="SampleExtractionErr"`; the label filters
/// after `unwrap` then run. With `unwrap` and no `by`, the unwrapped label is not part of the
/// series labels. `by ()` and `absent_over_time` give series without labels. An entry with an
/// error keeps all its labels, `__error__` and `__error_details__` included, whatever the
/// grouping, so that the evaluator can report it.
#[derive(Debug)]
pub struct SampleExtractor {
    stages: Vec<CompiledStage>,
    value: ValueSource,
    series: SeriesLabels,
}

impl SampleExtractor {
    /// The extractor of `op` over `range`'s residual stages and unwrap, grouped by `grouping`.
    pub fn new(
        range: &LogRange,
        op: RangeOp,
        grouping: Option<&Grouping>,
    ) -> Result<Self, PipelineError> {
        let stages = range
            .selector
            .residual_stages()
            .into_iter()
            .map(CompiledStage::new)
            .collect::<Result<_, _>>()?;
        let value = ValueSource::new(range, op)?;
        let series = SeriesLabels::new(op, grouping, value.unwrapped_label());
        Ok(Self {
            stages,
            value,
            series,
        })
    }

    /// The extractor for the entries of one stream.
    pub fn for_stream(&self, stream: &Labels) -> StreamSampleExtractor<'_> {
        let mut run = EntryRun::new(stream);
        run.labels.reset();
        let unchanged_series = self.series.apply(&mut run.labels).clone();
        StreamSampleExtractor {
            extractor: self,
            run,
            unchanged_series,
        }
    }
}

/// A [`SampleExtractor`] bound to one stream.
#[derive(Debug)]
pub struct StreamSampleExtractor<'e> {
    extractor: &'e SampleExtractor,
    run: EntryRun,
    /// The series labels of an entry no stage changed, computed once.
    unchanged_series: Labels,
}

impl StreamSampleExtractor<'_> {
    /// The entry's sample value and series labels, or `None` when a filter drops the entry.
    /// A failed conversion or parse does not drop it: its labels carry `__error__` (and
    /// `__error_details__`), which the evaluator reports as a pipeline error unless a label
    /// filter removed such entries.
    pub fn process(&mut self, entry: &LogEntry) -> Option<(f64, &Labels)> {
        let extractor = self.extractor;
        if !self.run.run(&extractor.stages, entry) {
            return None;
        }
        let line_len = self.run.line(entry).len();
        let value = extractor.value.value(line_len, &mut self.run.labels)?;
        if self.run.labels.is_unchanged() {
            return Some((value, &self.unchanged_series));
        }
        Some((value, extractor.series.apply(&mut self.run.labels)))
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pipeline/end_to_end_tests.rs"]
mod end_to_end_tests;
