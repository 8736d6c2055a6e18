//! `| logfmt [--strict] [--keep-empty] [label="key", ...]`, as Loki's `LogfmtParser` and
//! `LogfmtExpressionParser` do (`pkg/logql/log/parser.go`):
//!
//! * every pair becomes a label named by its sanitized key (see [`super::go_text`]); a pair
//!   without a value (`key`, `key=`, `key=""`) only with `--keep-empty`; a rune error in a
//!   value becomes a space;
//! * malformed pairs are skipped; with `--strict` the parser stops at the first one and the
//!   entry gets `LogfmtParserErr` with the tokenizer's error, keeping the labels read before;
//! * with extraction parameters only the named keys are read: each label is first set to
//!   `""` (unless the stream has it), then to the value of the pair whose sanitized key is the
//!   expression (a value with a rune error gives `""`); a key some other parser stage
//!   already extracted is skipped unless it is itself one of the labels.
//!
//! Loki maps a pair to at most one label, picked by iterating a Go map (so at random when two
//! labels name the same key), and lets a pair whose key is the name of a requested label
//! set that label whatever its expression; here a pair sets every label whose expression is
//! its key, and only those.
#![deny(clippy::indexing_slicing)]

use model::is_valid_label_name;

use super::go_text::{has_rune_error, replace_rune_errors, sanitize_key};
use super::label_writer::LabelWriter;
use super::logfmt_decode::Decoder;
use super::{LOGFMT_PARSER_ERROR, ParseOutcome, ParsedLabelSink, PipelineError};
use crate::logql::syntax::{LabelExtraction, LogfmtParser};

/// The `logfmt` stage.
#[derive(Debug, Clone)]
pub(super) struct LogfmtStage {
    strict: bool,
    keep_empty: bool,
    /// The requested labels; empty for every key.
    extractions: Vec<KeyExtraction>,
}

/// `label="key"`: the label and the sanitized key it takes, `None` for an expression that
/// names no single key (which never matches).
#[derive(Debug, Clone)]
struct KeyExtraction {
    label: String,
    key: Option<String>,
}

impl LogfmtStage {
    /// Compiles the stage: each expression must parse and each label be a valid name.
    pub(super) fn new(stage: &LogfmtParser) -> Result<Self, PipelineError> {
        let extractions = stage
            .extractions
            .iter()
            .map(compile_extraction)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            strict: stage.strict,
            keep_empty: stage.keep_empty,
            extractions,
        })
    }

    /// Extracts the labels of `line` into `sink`.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        let mut labels = LabelWriter::new(sink);
        for extraction in &self.extractions {
            if !labels.sink().base_has(&extraction.label) {
                labels.set_exact(&extraction.label, "");
            }
        }
        let mut decoder = Decoder::new(line);
        let mut name = String::new();
        while !decoder.at_end() {
            let Some(pair) = decoder.next_pair() else {
                if self.strict {
                    break;
                }
                continue;
            };
            let key = sanitize_key(pair.key, &mut name);
            if key.is_empty() {
                continue;
            }
            let value = pair.value.as_deref().unwrap_or_default();
            if self.extractions.is_empty() {
                if value.is_empty() && !self.keep_empty {
                    continue;
                }
                labels.found(key, &replace_rune_errors(value));
            } else {
                self.extract(&mut labels, key, value);
            }
        }
        match decoder.error() {
            Some(error) if self.strict => ParseOutcome::Failed {
                error: LOGFMT_PARSER_ERROR,
                details: error.to_string(),
            },
            _ => ParseOutcome::Unchanged,
        }
    }

    /// Sets the labels whose expression is `key`.
    fn extract(&self, labels: &mut LabelWriter<'_>, key: &str, value: &[u8]) {
        let is_label = self.extractions.iter().any(|e| e.label == key);
        if !is_label && labels.sink().parsed_has(key) {
            return;
        }
        let value = if has_rune_error(value) {
            ""
        } else {
            std::str::from_utf8(value).unwrap_or_default()
        };
        for extraction in &self.extractions {
            if extraction.key.as_deref() == Some(key) {
                labels.requested(&extraction.label, value);
            }
        }
    }
}

fn compile_extraction(extraction: &LabelExtraction) -> Result<KeyExtraction, PipelineError> {
    let key = parse_key_expression(&extraction.expression).map_err(|error| PipelineError {
        message: format!(
            "cannot parse expression [{}]: {error}",
            extraction.expression
        ),
    })?;
    if !is_valid_label_name(&extraction.label) {
        return Err(PipelineError {
            message: format!("invalid extracted label name '{}'", extraction.label),
        });
    }
    Ok(KeyExtraction {
        label: extraction.label.clone(),
        key,
    })
}

/// Loki's logfmt expression language (`pkg/logql/log/logfmt`): a KEY (`[A-Za-z_][A-Za-z0-9_]*`)
/// or a STRING (`"` up to `"`, `]` or the end, no escapes), then more STRINGs. A single token
/// names the key it is; several name none (Loki joins them with `fmt.Sprintf("%v")` into a
/// text no key equals). Errors are Loki's texts.
fn parse_key_expression(expression: &str) -> Result<Option<String>, String> {
    let mut chars = expression.chars().peekable();
    let mut tokens: Vec<String> = Vec::new();
    loop {
        let c = match chars.next() {
            None | Some('\0') => break,
            Some(' ' | '\t' | '\n') => continue,
            Some(c) => c,
        };
        if c.is_ascii_alphabetic() || c == '_' {
            if !tokens.is_empty() {
                return Err("syntax error: unexpected KEY".to_owned());
            }
            let mut key = String::from(c);
            while let Some(&next) = chars.peek() {
                if !(next.is_ascii_alphanumeric() || next == '_') {
                    break;
                }
                key.push(next);
                chars.next();
            }
            tokens.push(key);
        } else if c == '"' {
            let text = chars
                .by_ref()
                .take_while(|&c| !matches!(c, '"' | ']' | '\0'))
                .collect();
            tokens.push(text);
        } else if tokens.is_empty() {
            // the lexer error ends the input, where the parser still wants a token
            return Err("syntax error: unexpected $end, expecting STRING or KEY".to_owned());
        } else {
            return Err(format!("unexpected char {c}"));
        }
    }
    match tokens.len() {
        0 => Err("syntax error: unexpected $end, expecting STRING or KEY".to_owned()),
        1 => Ok(tokens.pop()),
        _ => Ok(None),
    }
}

#[cfg(test)]
#[path = "logfmt_tests.rs"]
mod tests;
