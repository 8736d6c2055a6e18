//! `| json` without parameters: every string, number and boolean field of the line's JSON
//! object becomes a label, as Loki's `JSONParser` does (`pkg/logql/log/parser.go`):
//!
//! * nested objects are flattened, their keys joined with `_` (`{"a":{"b":1}}` gives
//!   `a_b="1"`); arrays and `null`s are skipped;
//! * keys are sanitized (see [`super::go_text`]); a top-level key starting with a digit gets
//!   a leading `_`; a key that is only white space adds nothing to the prefix;
//! * strings are unescaped (an invalid escape gives `""`, a rune error becomes a space);
//!   numbers are kept as written; booleans are `true`/`false`;
//! * a line that is not a JSON object, or breaks off, fails with jsonparser's error text;
//!   the labels read before the break stay.
//!
//! The walk is iterative (an explicit stack of open objects), so nesting never deepens the
//! call stack; it stops at [`MAX_NESTING`] objects deep.
#![deny(clippy::indexing_slicing)]

use super::go_text::{push_sanitized, replace_rune_errors, sanitize_key};
use super::json_scan::{JsonError, Kind, MAX_NESTING, Member, Members, unescape};
use super::label_writer::LabelWriter;
use super::{JSON_PARSER_ERROR, ParseOutcome, ParsedLabelSink};

/// The `json` stage without parameters.
#[derive(Debug, Clone, Default)]
pub(super) struct JsonParser;

impl JsonParser {
    /// Extracts the labels of `line` into `sink`.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        let mut walk = Walk {
            line,
            labels: LabelWriter::new(sink),
            prefix: String::new(),
            name: String::new(),
            unescaped: Vec::new(),
        };
        match walk.run() {
            Ok(()) => ParseOutcome::Unchanged,
            Err(e) => ParseOutcome::Failed {
                error: JSON_PARSER_ERROR,
                details: e.to_string(),
            },
        }
    }
}

/// The state of one line's walk.
struct Walk<'a, 's> {
    line: &'a [u8],
    labels: LabelWriter<'s>,
    /// The sanitized keys of the enclosing objects, joined with `_`.
    prefix: String,
    /// Scratch for a label name.
    name: String,
    /// Scratch for an unescaped value.
    unescaped: Vec<u8>,
}

impl Walk<'_, '_> {
    fn run(&mut self) -> Result<(), JsonError> {
        let line = self.line;
        // The objects being read, outermost first, each with the prefix length to restore
        // when its child object is done.
        let mut open: Vec<(Members, usize)> = Vec::new();
        let mut current = Members::open(line, 0, line.len())?;
        loop {
            let Some(member) = current.next(line)? else {
                match open.pop() {
                    Some((parent, prefix_len)) => {
                        self.prefix.truncate(prefix_len);
                        current = parent;
                        continue;
                    }
                    None => return Ok(()),
                }
            };
            match member.value.kind {
                Kind::String | Kind::Number | Kind::Boolean => self.emit(&member),
                Kind::Object => {
                    if open.len() + 2 > MAX_NESTING {
                        return Err(JsonError::TooDeep);
                    }
                    let prefix_len = self.prefix.len();
                    self.push_prefix(&member.key);
                    let child = Members::open(line, member.value.start, member.value.end)?;
                    open.push((std::mem::replace(&mut current, child), prefix_len));
                }
                Kind::Array | Kind::Null => {}
            }
        }
    }

    /// Loki's `nextKeyPrefix`: the object's key joins the prefix.
    fn push_prefix(&mut self, key: &[u8]) {
        let top_level = self.prefix.is_empty();
        if !top_level {
            self.prefix.push('_');
        }
        push_sanitized(&mut self.prefix, key, top_level);
    }

    fn emit(&mut self, member: &Member<'_>) {
        let name: &str = if self.prefix.is_empty() {
            sanitize_key(&member.key, &mut self.name)
        } else {
            self.name.clear();
            self.name.push_str(&self.prefix);
            self.name.push('_');
            push_sanitized(&mut self.name, &member.key, false);
            &self.name
        };
        let text = member.value.text(self.line);
        let value = match member.value.kind {
            Kind::String => match unescape(text, &mut self.unescaped) {
                Ok(unescaped) => replace_rune_errors(unescaped),
                Err(()) => "".into(),
            },
            _ => String::from_utf8_lossy(text),
        };
        self.labels.found(name, &value);
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
