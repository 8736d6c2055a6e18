//! `| json label="path", ...`: only the named values become labels, as Loki's
//! `JSONExpressionParser` does (`pkg/logql/log/parser.go`, over jsonparser's `EachKey`):
//!
//! * a string value is unescaped (a rune error becomes a space, an invalid escape gives
//!   `""`), `null` gives `""`, an object its JSON text as written; a number, boolean or array
//!   gives its text after unescaping (jsonparser hands it over like a string);
//! * a label always gets a value: a path that is not in the line gives `""`, unless the
//!   label exists already (in the stream, or set by an earlier stage or another extraction);
//! * a requested label overrides an earlier parser's (Loki does not check the parser hints
//!   here); a name the stream has is written as `<name>_extracted`;
//! * an empty line is left alone; a line that does not start with `{`, `[` or `"` fails with
//!   `JSONParserErr` and no details; a malformed value at a path fails with jsonparser's
//!   error, the other labels being set.
//!
//! Where jsonparser's `EachKey` scans the line once for all paths, each path here descends
//! to its value on its own (skipping over the members before it); on a key that repeats, the
//! first member whose value can continue the path is taken.
#![deny(clippy::indexing_slicing)]

use model::is_valid_label_name;

use super::go_text::replace_rune_errors;
use super::json_expr::{Step, parse_path};
use super::json_scan::{JsonError, Kind, Members, Value, array_element, skip_space, unescape};
use super::label_writer::LabelWriter;
use super::{JSON_PARSER_ERROR, ParseOutcome, ParsedLabelSink, PipelineError};
use crate::logql::syntax::LabelExtraction;

/// The `json` stage with extraction parameters.
#[derive(Debug, Clone)]
pub(super) struct JsonPathParser {
    extractions: Vec<PathExtraction>,
}

#[derive(Debug, Clone)]
struct PathExtraction {
    label: String,
    path: Vec<Step>,
}

impl JsonPathParser {
    /// Compiles the extractions: each path must parse and each label be a valid name.
    pub(super) fn new(extractions: &[LabelExtraction]) -> Result<Self, PipelineError> {
        let extractions = extractions
            .iter()
            .map(|e| {
                let path = parse_path(&e.expression).map_err(|error| PipelineError {
                    message: format!("cannot parse expression [{}]: {error}", e.expression),
                })?;
                if !is_valid_label_name(&e.label) {
                    return Err(PipelineError {
                        message: format!("invalid extracted label name '{}'", e.label),
                    });
                }
                Ok(PathExtraction {
                    label: e.label.clone(),
                    path,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { extractions })
    }

    /// Extracts the requested values of `line` into `sink`.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        let Some(&first) = line.first() else {
            return ParseOutcome::Unchanged;
        };
        if !matches!(first, b'"' | b'{' | b'[') {
            return ParseOutcome::Failed {
                error: JSON_PARSER_ERROR,
                details: String::new(),
            };
        }
        let mut labels = LabelWriter::new(sink);
        let mut found = Found::new(self.extractions.len());
        let mut error = None;
        let mut scratch = Vec::new();
        for (i, extraction) in self.extractions.iter().enumerate() {
            match lookup(line, &extraction.path) {
                Ok(Some(value)) => {
                    labels.requested(&extraction.label, &render(line, value, &mut scratch));
                    found.insert(i);
                }
                Ok(None) => {}
                Err(e) => error = Some(e),
            }
        }
        for (i, extraction) in self.extractions.iter().enumerate() {
            let label = extraction.label.as_str();
            let exists = labels.sink().base_has(label)
                || labels.sink().parsed_has(label)
                || self
                    .extractions
                    .iter()
                    .enumerate()
                    .any(|(j, other)| found.contains(j) && other.label == label);
            if !found.contains(i) && !exists {
                labels.set_exact(label, "");
            }
        }
        match error {
            Some(e) => ParseOutcome::Failed {
                error: JSON_PARSER_ERROR,
                details: e.to_string(),
            },
            None => ParseOutcome::Unchanged,
        }
    }
}

/// The label value of a located value.
fn render<'a>(line: &'a [u8], value: Value, scratch: &'a mut Vec<u8>) -> std::borrow::Cow<'a, str> {
    let text = value.text(line);
    match value.kind {
        Kind::Null => "".into(),
        Kind::Object => String::from_utf8_lossy(text),
        _ => match unescape(text, scratch) {
            Ok(unescaped) => replace_rune_errors(unescaped),
            Err(()) => "".into(),
        },
    }
}

/// The value at `path` in `line`; `None` when the line has no such value. The error of a
/// malformed value at the end of the path is returned; malformed data on the way is "not
/// found", as `EachKey` stops there silently.
fn lookup(line: &[u8], path: &[Step]) -> Result<Option<Value>, JsonError> {
    let (mut start, mut end) = (0, line.len());
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let next = steps.peek().copied();
        let value = match step {
            Step::Key(key) => member(line, start, end, key.as_bytes(), next)?,
            Step::Index(index) => element(line, start, end, *index),
        };
        let Some(value) = value else {
            return Ok(None);
        };
        if next.is_none() {
            return Ok(Some(value));
        }
        (start, end) = (value.start, value.end);
    }
    Ok(None)
}

/// The value of the first member named `key` of the object in `start..end` that can be
/// followed by `next`.
fn member(
    line: &[u8],
    start: usize,
    end: usize,
    key: &[u8],
    next: Option<&Step>,
) -> Result<Option<Value>, JsonError> {
    let Ok(mut members) = Members::open(line, start, end) else {
        return Ok(None);
    };
    while let Ok(Some(candidate)) = members.next_key(line) {
        let value = members.next_value(line);
        if candidate.as_ref() != key {
            if value.is_err() {
                return Ok(None);
            }
            continue;
        }
        let value = match (value, next) {
            (Err(e), None) => return Err(e),
            (Err(_), Some(_)) => return Ok(None),
            (Ok(value), _) => value,
        };
        let continues = match next {
            None => true,
            Some(Step::Key(_)) => value.kind == Kind::Object,
            Some(Step::Index(_)) => value.kind == Kind::Array,
        };
        if continues {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// The `index`-th element of the array in `start..end`.
fn element(line: &[u8], start: usize, end: usize, index: usize) -> Option<Value> {
    let bracket = skip_space(line, start, end)?;
    if line.get(bracket) != Some(&b'[') {
        return None;
    }
    array_element(line, bracket, end, index)
}

/// Which extractions found a value: a bit set, on the heap only past 64 extractions.
struct Found {
    bits: u64,
    more: Vec<bool>,
}

impl Found {
    fn new(len: usize) -> Self {
        Self {
            bits: 0,
            more: vec![false; len.saturating_sub(64)],
        }
    }

    fn insert(&mut self, i: usize) {
        match i.checked_sub(64) {
            None => self.bits |= 1 << i,
            Some(j) => {
                if let Some(slot) = self.more.get_mut(j) {
                    *slot = true;
                }
            }
        }
    }

    fn contains(&self, i: usize) -> bool {
        match i.checked_sub(64) {
            None => self.bits & (1 << i) != 0,
            Some(j) => self.more.get(j).copied().unwrap_or(false),
        }
    }
}

#[cfg(test)]
#[path = "json_path_tests.rs"]
mod tests;
