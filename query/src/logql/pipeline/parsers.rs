//! The parser stages of a log pipeline, `json`, `logfmt`, `regexp`, `pattern`, `unpack` and
//! `decolorize`, with Loki v3's semantics (grafana/loki `pkg/logql/log/parser.go` and its
//! `jsonexpr`, `logfmt` and `pattern` packages; the JSON scanning of `grafana/jsonparser`).
//! Each stage's module states its rules; what they share:
//!
//! * parsers write labels through a [`ParsedLabelSink`]; a name the stream already has is
//!   written as `<name>_extracted`; a label an earlier parser stage set for the entry is not
//!   overwritten (the first parser wins), except by extraction parameters (`| json a="b"`,
//!   `| logfmt a="b"`), which always write; within one stage a repeated key overwrites;
//! * names are sanitized into label names as Loki does (see [`go_text`]);
//! * a line a parser cannot read keeps going with `__error__` set ([`ParseOutcome::Failed`],
//!   `JSONParserErr` or `LogfmtParserErr`) and the labels read before the failure;
//! * `unpack` and `decolorize` rewrite the line ([`ParseOutcome::NewLine`]).
//!
//! The scanners read bytes without building a document; a label name or value is borrowed
//! from the line when it needs no sanitizing, unescaping or suffix, so a line of plain keys
//! and values costs no allocation beyond what the sink keeps.
//!
//! [`PatternMatcher`] is the `|>` / `!>` line filters' matcher, which shares the pattern
//! language with the `pattern` parser.

mod decolorize;
mod go_text;
mod json;
mod json_expr;
mod json_path;
mod json_scan;
mod label_writer;
mod logfmt;
mod logfmt_decode;
mod pattern;
mod regexp;
mod unpack;

#[cfg(test)]
mod test_sink;

pub(crate) use self::pattern::PatternMatcher;

use self::decolorize::Decolorizer;
use self::json::JsonParser;
use self::json_path::JsonPathParser;
use self::logfmt::LogfmtStage;
use self::pattern::PatternParser;
use self::regexp::RegexpParser;
use self::unpack::UnpackParser;
use super::PipelineError;
use crate::logql::syntax::Stage;

/// `__error__` of a line the `json` or `unpack` parser cannot read.
pub(crate) const JSON_PARSER_ERROR: &str = "JSONParserErr";

/// `__error__` of a line the `logfmt --strict` parser cannot read.
pub(crate) const LOGFMT_PARSER_ERROR: &str = "LogfmtParserErr";

/// Where a parser writes the labels it extracts; implemented by the pipeline's label builder.
pub(crate) trait ParsedLabelSink {
    /// True when `name` is a label of the stream (a parser then writes `<name>_extracted`
    /// instead, as Loki's `BaseHas`; a parsed label named like structured metadata replaces it).
    fn base_has(&self, name: &str) -> bool;
    /// True when an earlier parser stage of this pipeline already set `name` for this entry.
    /// Labels the running stage set itself do not count: a key that repeats within one
    /// stage's line overwrites its first value, as in Loki.
    fn parsed_has(&self, name: &str) -> bool;
    /// Sets or replaces the parsed label `name` (a valid label name) to `value`.
    fn set_parsed(&mut self, name: &str, value: &str);
}

/// What a parser did to the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseOutcome {
    /// Labels (maybe none) were written; the line is unchanged.
    Unchanged,
    /// The line is replaced (unpack's `_entry`, decolorize).
    NewLine(Vec<u8>),
    /// The parser failed: the pipeline sets `__error__` to `error` (Loki's names, e.g.
    /// "JSONParserErr", "LogfmtParserErr") and `__error_details__` to `details`. Empty
    /// `details` means no `__error_details__` (Loki gives none for a `json` line with
    /// parameters that does not start like JSON). Labels written before the failure stay.
    Failed {
        /// The error's name.
        error: &'static str,
        /// Loki's text of what went wrong.
        details: String,
    },
}

/// A compiled parser stage.
#[derive(Debug, Clone)]
pub(crate) struct LineParser {
    kind: ParserKind,
}

#[derive(Debug, Clone)]
enum ParserKind {
    Json(JsonParser),
    JsonPaths(JsonPathParser),
    Logfmt(LogfmtStage),
    Regexp(RegexpParser),
    Pattern(PatternParser),
    Unpack(UnpackParser),
    Decolorize(Decolorizer),
}

impl LineParser {
    /// The parser of a parser stage (json, logfmt, regexp, pattern, unpack, decolorize);
    /// `Ok(None)` for any other stage. Errors name what is wrong as Loki does (e.g. `cannot
    /// parse expression [a..b]: syntax error: unexpected DOT, expecting FIELD`).
    pub(crate) fn from_stage(stage: &Stage) -> Result<Option<LineParser>, PipelineError> {
        let kind = match stage {
            Stage::Json(extractions) if extractions.is_empty() => ParserKind::Json(JsonParser),
            Stage::Json(extractions) => ParserKind::JsonPaths(JsonPathParser::new(extractions)?),
            Stage::Logfmt(logfmt) => ParserKind::Logfmt(LogfmtStage::new(logfmt)?),
            Stage::Regexp(regex) => ParserKind::Regexp(RegexpParser::new(regex)?),
            Stage::Pattern(pattern) => ParserKind::Pattern(PatternParser::new(pattern)?),
            Stage::Unpack => ParserKind::Unpack(UnpackParser),
            Stage::Decolorize => ParserKind::Decolorize(Decolorizer::new()?),
            Stage::LineFilter(_)
            | Stage::LabelFilter(_)
            | Stage::LineFormat(_)
            | Stage::LabelFormat(_)
            | Stage::Keep(_)
            | Stage::Drop(_) => return Ok(None),
        };
        Ok(Some(LineParser { kind }))
    }

    /// Runs the parser over `line`, writing the labels it extracts into `labels`.
    pub(crate) fn parse(&self, line: &[u8], labels: &mut dyn ParsedLabelSink) -> ParseOutcome {
        match &self.kind {
            ParserKind::Json(parser) => parser.parse(line, labels),
            ParserKind::JsonPaths(parser) => parser.parse(line, labels),
            ParserKind::Logfmt(parser) => parser.parse(line, labels),
            ParserKind::Regexp(parser) => parser.parse(line, labels),
            ParserKind::Pattern(parser) => parser.parse(line, labels),
            ParserKind::Unpack(parser) => parser.parse(line, labels),
            ParserKind::Decolorize(parser) => parser.parse(line),
        }
    }
}

#[cfg(test)]
#[path = "parsers/tests.rs"]
mod tests;
