//! The compiled stages and the loop that runs them over one entry (Loki's `streamPipeline`).
//!
//! Stages read the current line (the stored one until a stage rewrites it) and the entry's
//! labels; `keep` and `drop` follow Loki's `keep_labels.go` and `drop_labels.go`: `keep`
//! never removes `__error__` or `__error_details__`, and `drop __error__` (or a matcher on it)
//! clears the error.

use model::{Labels, LogEntry};

use super::PipelineError;
use super::format::{FormatScratch, LabelFormatStage, LineFormatStage};
use super::label_filter::LabelFilterStage;
use super::labels::{ERROR_DETAILS_LABEL, ERROR_LABEL, EntryLabels, PairList};
use super::line_filter::LineFilterStage;
use super::parsers::{LineParser, ParseOutcome};
use crate::logql::syntax::{LabelSelector, Stage};

/// One compiled stage.
#[derive(Debug)]
pub(crate) enum CompiledStage {
    /// `|= ...`, `!~ ...`, `|> ...`, `|= ip(...)`.
    LineFilter(LineFilterStage),
    /// `| level="error"`, `| status >= 500` ...
    LabelFilter(LabelFilterStage),
    /// `json`, `logfmt`, `regexp`, `pattern`, `unpack`, `decolorize`.
    Parser(LineParser),
    /// `line_format`.
    LineFormat(LineFormatStage),
    /// `label_format`.
    LabelFormat(LabelFormatStage),
    /// `keep`.
    Keep(Vec<LabelSelector>),
    /// `drop`.
    Drop(Vec<LabelSelector>),
}

impl CompiledStage {
    /// Compiles one stage of a query.
    pub(crate) fn new(stage: &Stage) -> Result<Self, PipelineError> {
        Ok(match stage {
            Stage::LineFilter(filter) => CompiledStage::LineFilter(LineFilterStage::new(filter)?),
            Stage::LabelFilter(filter) => {
                CompiledStage::LabelFilter(LabelFilterStage::new(filter)?)
            }
            Stage::LineFormat(template) => {
                CompiledStage::LineFormat(LineFormatStage::new(template)?)
            }
            Stage::LabelFormat(formats) => {
                CompiledStage::LabelFormat(LabelFormatStage::new(formats)?)
            }
            Stage::Keep(selectors) => CompiledStage::Keep(selectors.clone()),
            Stage::Drop(selectors) => CompiledStage::Drop(selectors.clone()),
            Stage::Json(_)
            | Stage::Logfmt(_)
            | Stage::Regexp(_)
            | Stage::Pattern(_)
            | Stage::Unpack
            | Stage::Decolorize => match LineParser::from_stage(stage)? {
                Some(parser) => CompiledStage::Parser(parser),
                None => {
                    return Err(PipelineError {
                        message: format!("unsupported parser stage: {stage}"),
                    });
                }
            },
        })
    }
}

/// What running the stages over entries of one stream needs, reused from entry to entry.
#[derive(Debug)]
pub(crate) struct EntryRun {
    /// The entry's labels.
    pub(crate) labels: EntryLabels,
    /// The line when a stage rewrote it.
    line_buf: Vec<u8>,
    /// Whether `line_buf` holds the line (else it is the entry's).
    rewritten: bool,
    /// `line_format`'s output.
    render_buf: String,
    format_scratch: FormatScratch,
    /// Names `keep` removes.
    names_buf: PairList,
}

impl EntryRun {
    /// The state for entries of `stream`.
    pub(crate) fn new(stream: &model::Labels) -> Self {
        Self {
            labels: EntryLabels::new(stream),
            line_buf: Vec::new(),
            rewritten: false,
            render_buf: String::new(),
            format_scratch: FormatScratch::default(),
            names_buf: PairList::default(),
        }
    }

    /// Runs `stages` over `entry`: false when a filter drops it.
    pub(crate) fn run(&mut self, stages: &[CompiledStage], entry: &LogEntry) -> bool {
        self.labels.reset();
        self.rewritten = false;
        if !entry.metadata.is_empty() {
            self.labels.add_metadata(&entry.metadata);
        }
        stages.iter().all(|stage| self.run_stage(stage, entry))
    }

    /// The entry's line after the stages that ran.
    pub(crate) fn line<'a>(&'a self, entry: &'a LogEntry) -> &'a [u8] {
        if self.rewritten {
            &self.line_buf
        } else {
            &entry.line
        }
    }

    /// The entry's line and labels after the stages that ran (the line borrows the entry's
    /// own when no stage rewrote it).
    pub(crate) fn output<'a>(&'a mut self, entry: &'a LogEntry) -> (&'a [u8], &'a Labels) {
        let line = if self.rewritten {
            &self.line_buf
        } else {
            &entry.line
        };
        (line, self.labels.labels())
    }

    fn run_stage(&mut self, stage: &CompiledStage, entry: &LogEntry) -> bool {
        let line: &[u8] = if self.rewritten {
            &self.line_buf
        } else {
            &entry.line
        };
        match stage {
            CompiledStage::LineFilter(filter) => filter.matches(line),
            CompiledStage::LabelFilter(filter) => filter.process(&mut self.labels),
            CompiledStage::Parser(parser) => {
                self.labels.begin_parser_stage();
                match parser.parse(line, &mut self.labels) {
                    ParseOutcome::Unchanged => {}
                    ParseOutcome::NewLine(new_line) => {
                        self.line_buf = new_line;
                        self.rewritten = true;
                    }
                    ParseOutcome::Failed { error, details } => self.labels.fail(error, &details),
                }
                true
            }
            CompiledStage::LineFormat(format) => {
                if format.render(&mut self.labels, line, entry.ts, &mut self.render_buf) {
                    self.line_buf.clear();
                    self.line_buf.extend_from_slice(self.render_buf.as_bytes());
                    self.rewritten = true;
                }
                true
            }
            CompiledStage::LabelFormat(format) => {
                format.process(&mut self.labels, line, entry.ts, &mut self.format_scratch);
                true
            }
            CompiledStage::Keep(selectors) => {
                keep(&mut self.labels, selectors, &mut self.names_buf);
                true
            }
            CompiledStage::Drop(selectors) => {
                drop_labels(&mut self.labels, selectors);
                true
            }
        }
    }
}

/// Deletes every label no selector keeps; the error labels stay.
fn keep(labels: &mut EntryLabels, selectors: &[LabelSelector], doomed: &mut PairList) {
    doomed.clear();
    labels.for_each(|name, value| {
        if name == ERROR_LABEL || name == ERROR_DETAILS_LABEL {
            return;
        }
        let kept = selectors.iter().any(|selector| match selector {
            LabelSelector::Name(n) => n == name,
            LabelSelector::Matcher(m) => m.name() == name && m.matches(value),
        });
        if !kept {
            doomed.push(name, "");
        }
    });
    for (name, _) in doomed.pairs() {
        labels.delete(name);
    }
}

/// Deletes the labels the selectors name (when present) or match (an absent label matches
/// as ""); on `__error__` and `__error_details__` clears the error or its details.
fn drop_labels(labels: &mut EntryLabels, selectors: &[LabelSelector]) {
    for selector in selectors {
        match selector {
            LabelSelector::Name(name) => match name.as_str() {
                ERROR_LABEL => labels.clear_error(),
                ERROR_DETAILS_LABEL => labels.clear_error_details(),
                _ => {
                    if labels.get(name).is_some() {
                        labels.delete(name);
                    }
                }
            },
            LabelSelector::Matcher(m) => match m.name() {
                ERROR_LABEL => {
                    if m.matches(labels.error()) {
                        labels.clear_error();
                    }
                }
                ERROR_DETAILS_LABEL => {
                    if m.matches(labels.error_details()) {
                        labels.clear_error_details();
                    }
                }
                name => {
                    if m.matches(labels.get(name).unwrap_or_default()) {
                        labels.delete(name);
                    }
                }
            },
        }
    }
}
