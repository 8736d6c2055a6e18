//! `| unpack`, as Loki's `UnpackParser` (`pkg/logql/log/parser.go`): the line is a JSON
//! object written by Promtail's `pack` stage; its `_entry` string becomes the new line and
//! its other top-level string fields labels (their keys sanitized; a name the stream has gets
//! `_extracted`; a rune error in a value becomes a space). Fields that are not strings are
//! ignored, nested objects too.
//!
//! Without an `_entry` field nothing happens: no label, the line unchanged. An empty line is
//! left alone; a line not starting with `{` fails with `expecting json object(6), but it is
//! not`; a malformed object with jsonparser's error, and then no label is set.
#![deny(clippy::indexing_slicing)]

use super::go_text::{replace_rune_errors, sanitize_key};
use super::json_scan::{JsonError, Kind, Members, unescape, unescape_into};
use super::label_writer::{DUPLICATE_SUFFIX, LabelWriter};
use super::{JSON_PARSER_ERROR, ParseOutcome, ParsedLabelSink};

/// The key of the packed line.
const ENTRY_KEY: &[u8] = b"_entry";

/// Loki's error for a line that is not a JSON object (`jsoniter.ObjectValue` is 6).
const NOT_AN_OBJECT: &str = "expecting json object(6), but it is not";

/// The `unpack` stage.
#[derive(Debug, Clone, Default)]
pub(super) struct UnpackParser;

impl UnpackParser {
    /// Unpacks `line`: labels into `sink`, and the `_entry` text as the new line.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        match line.first() {
            None => return ParseOutcome::Unchanged,
            Some(b'{') => {}
            Some(_) => return failed(NOT_AN_OBJECT.to_owned()),
        }
        // A first pass finds the entry and checks the whole object; Loki sets no label when
        // the object turns out malformed.
        let entry = match packed_entry(line) {
            Ok(Some(entry)) => entry,
            Ok(None) => return ParseOutcome::Unchanged,
            Err(e) => return failed(e.to_string()),
        };
        let mut labels = LabelWriter::new(sink);
        let (mut field, mut name, mut scratch) = (String::new(), String::new(), Vec::new());
        let Ok(mut members) = Members::open(line, 0, line.len()) else {
            return ParseOutcome::NewLine(entry);
        };
        while let Ok(Some(member)) = members.next(line) {
            if member.value.kind != Kind::String || member.key.as_ref() == ENTRY_KEY {
                continue;
            }
            // Loki checks the stream and earlier parsers on the key as written, then
            // sanitizes.
            field.clear();
            field.push_str(&String::from_utf8_lossy(&member.key));
            if labels.sink().base_has(&field) {
                field.push_str(DUPLICATE_SUFFIX);
            }
            if labels.sink().parsed_has(&field) {
                continue;
            }
            let label = sanitize_key(field.as_bytes(), &mut name);
            let value = match unescape(member.value.text(line), &mut scratch) {
                Ok(text) => replace_rune_errors(text),
                Err(()) => "".into(),
            };
            if !label.is_empty() {
                labels.set_exact(label, &value);
            }
        }
        ParseOutcome::NewLine(entry)
    }
}

fn failed(details: String) -> ParseOutcome {
    ParseOutcome::Failed {
        error: JSON_PARSER_ERROR,
        details,
    }
}

/// Reads the whole object: the last `_entry` string unescaped (not checked for UTF-8, as
/// Loki), `None` without one.
fn packed_entry(line: &[u8]) -> Result<Option<Vec<u8>>, JsonError> {
    let mut members = Members::open(line, 0, line.len())?;
    let mut entry = None;
    while let Some(member) = members.next(line)? {
        if member.value.kind == Kind::String && member.key.as_ref() == ENTRY_KEY {
            let mut text = Vec::new();
            unescape_into(member.value.text(line), &mut text)
                .map_err(|()| JsonError::MalformedStringEscape)?;
            entry = Some(text);
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::super::test_sink::TestSink;
    use super::*;

    fn run(stream: &[(&str, &str)], line: &str) -> (ParseOutcome, Vec<(String, String)>) {
        let mut sink = TestSink::new(stream);
        let outcome = UnpackParser.parse(line.as_bytes(), &mut sink);
        (outcome, sink.parsed())
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn new_line(s: &str) -> ParseOutcome {
        ParseOutcome::NewLine(s.as_bytes().to_vec())
    }

    #[test]
    fn packed_lines_unpack_into_labels_and_their_entry() {
        // Loki's documented example
        let (outcome, labels) = run(
            &[],
            r#"{"container": "myapp", "pod": "pod-3223f", "_entry": "original log message"}"#,
        );
        assert_eq!(outcome, new_line("original log message"));
        assert_eq!(
            labels,
            pairs(&[("container", "myapp"), ("pod", "pod-3223f")])
        );
        let (outcome, labels) = run(
            &[("cluster", "us-central1")],
            r#"{"bar":1,"app":"foo","namespace":"prod","_entry":"some message","pod":{"uid":"1"}}"#,
        );
        assert_eq!(outcome, new_line("some message"));
        assert_eq!(labels, pairs(&[("app", "foo"), ("namespace", "prod")]));
    }

    #[test]
    fn names_get_the_suffix_and_are_sanitized() {
        let (_, labels) = run(
            &[("app", "bar")],
            r#"{"app":"foo","foo.bar":"10ms","test-dash":"x","_entry":"m"}"#,
        );
        assert_eq!(
            labels,
            pairs(&[
                ("app_extracted", "foo"),
                ("foo_bar", "10ms"),
                ("test_dash", "x")
            ])
        );
    }

    #[test]
    fn the_entry_is_unescaped() {
        let line =
            r#"{"_entry":"I0303 kubelet] \"Pod status updated\" pod=\"etcd\" status=Running"}"#;
        let (outcome, labels) = run(&[], line);
        assert_eq!(
            outcome,
            new_line(r#"I0303 kubelet] "Pod status updated" pod="etcd" status=Running"#)
        );
        assert!(labels.is_empty());
    }

    #[test]
    fn without_an_entry_nothing_changes() {
        let (outcome, labels) = run(&[("app", "bar")], r#"{"bar":1,"app":"foo"}"#);
        assert_eq!(outcome, ParseOutcome::Unchanged);
        assert!(labels.is_empty());
        let (outcome, _) = run(&[], "");
        assert_eq!(outcome, ParseOutcome::Unchanged);
    }

    #[test]
    fn bad_lines_fail_with_lokis_errors_and_no_labels() {
        let not_object = ParseOutcome::Failed {
            error: JSON_PARSER_ERROR,
            details: NOT_AN_OBJECT.to_owned(),
        };
        assert_eq!(run(&[], r#""app":"foo","_entry":"x""#).0, not_object);
        assert_eq!(run(&[], r#"["foo","bar"]"#).0, not_object);
        assert_eq!(run(&[], r#" {"_entry":"x"}"#).0, not_object);
        let (outcome, labels) = run(&[], r#"{"app":"foo","_entry":"x","b":"#);
        assert_eq!(
            outcome,
            ParseOutcome::Failed {
                error: JSON_PARSER_ERROR,
                details: "Malformed JSON error".to_owned(),
            }
        );
        assert!(labels.is_empty());
        let (outcome, _) = run(&[], r#"{"_entry":"bad \q escape"}"#);
        assert_eq!(
            outcome,
            ParseOutcome::Failed {
                error: JSON_PARSER_ERROR,
                details: "Encountered an invalid escape sequence in a string".to_owned(),
            }
        );
    }
}
