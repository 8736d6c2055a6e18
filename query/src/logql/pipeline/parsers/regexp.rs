//! `| regexp "(?P<name>...)"`, as Loki's `RegexpParser` (`pkg/logql/log/parser.go`): on the
//! first match every named group becomes a label (a group that took no part gives `""`);
//! unnamed groups are ignored; a line that does not match gets no label and no error.
//!
//! The regex is RE2 syntax as the `regex` crate reads it (Unicode classes: `\d`, `\w` and
//! `\s` also match non-ASCII digits, letters and spaces, where Go's are ASCII).
#![deny(clippy::indexing_slicing)]

use model::is_valid_label_name;
use regex::bytes::Regex;

use super::go_text::lossy;
use super::label_writer::LabelWriter;
use super::{ParseOutcome, ParsedLabelSink, PipelineError};

/// The `regexp` stage.
#[derive(Debug, Clone)]
pub(super) struct RegexpParser {
    regex: Regex,
    /// The named groups: index and label name.
    groups: Vec<(usize, String)>,
}

impl RegexpParser {
    /// Compiles the stage's regex; it needs a named group, and group names must be valid,
    /// distinct label names (Loki's checks and texts).
    pub(super) fn new(pattern: &str) -> Result<Self, PipelineError> {
        let fail = |message: String| PipelineError {
            message: format!("invalid regexp parser: {message}"),
        };
        let regex = Regex::new(pattern).map_err(|e| fail(e.to_string()))?;
        let mut groups: Vec<(usize, String)> = Vec::new();
        for (index, name) in regex.capture_names().enumerate() {
            let Some(name) = name else { continue };
            if !is_valid_label_name(name) {
                return Err(fail(format!("invalid extracted label name '{name}'")));
            }
            if groups.iter().any(|(_, seen)| seen == name) {
                return Err(fail(format!("duplicate extracted label name '{name}'")));
            }
            groups.push((index, name.to_owned()));
        }
        if groups.is_empty() {
            return Err(fail(
                "at least one named capture must be supplied".to_owned(),
            ));
        }
        Ok(Self { regex, groups })
    }

    /// Extracts the named groups of the first match in `line` into `sink`.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        let Some(captures) = self.regex.captures(line) else {
            return ParseOutcome::Unchanged;
        };
        let mut labels = LabelWriter::new(sink);
        for (index, name) in &self.groups {
            let value = captures.get(*index).map_or(&[][..], |m| m.as_bytes());
            labels.found(name, &lossy(value));
        }
        ParseOutcome::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_sink::TestSink;
    use super::*;

    fn run(pattern: &str, stream: &[(&str, &str)], line: &str) -> Vec<(String, String)> {
        let parser = RegexpParser::new(pattern).unwrap();
        let mut sink = TestSink::new(stream);
        assert_eq!(
            parser.parse(line.as_bytes(), &mut sink),
            ParseOutcome::Unchanged
        );
        sink.parsed()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn named_groups_become_labels() {
        // Loki's documented example
        assert_eq!(
            run(
                r"(?P<method>\w+) (?P<path>[\w|/]+) \((?P<status>\d+?)\) (?P<duration>.*)",
                &[],
                "POST /api/prom/api/v1/query_range (200) 1.5s"
            ),
            pairs(&[
                ("method", "POST"),
                ("path", "/api/prom/api/v1/query_range"),
                ("status", "200"),
                ("duration", "1.5s"),
            ])
        );
        assert_eq!(
            run(
                r"status=(?P<status>\w+),latency=(?P<latency>\w+)(ms|ns)",
                &[],
                "status=200,latency=500ms"
            ),
            pairs(&[("status", "200"), ("latency", "500")])
        );
        assert_eq!(
            run("(?P<foo>.*)buzz", &[], "matchebuzz barbuzz"),
            pairs(&[("foo", "matchebuzz bar")])
        );
    }

    #[test]
    fn no_match_means_no_label_and_no_error() {
        assert_eq!(
            run("(?P<foo>foo|bar)buzz", &[("app", "foo")], "blah"),
            vec![]
        );
        assert_eq!(run("(?P<foo>x)", &[], ""), vec![]);
    }

    #[test]
    fn stream_labels_get_the_suffix_and_idle_groups_are_empty() {
        assert_eq!(
            run("(?P<bar>bar)buzz", &[("bar", "foo")], "barbuzz"),
            pairs(&[("bar_extracted", "bar")])
        );
        assert_eq!(run("a(?P<b>x)?", &[], "a"), pairs(&[("b", "")]));
    }

    #[test]
    fn bad_regexes_are_refused_with_lokis_texts() {
        let err = |p: &str| RegexpParser::new(p).unwrap_err().message;
        assert_eq!(
            err("w.*"),
            "invalid regexp parser: at least one named capture must be supplied"
        );
        assert_eq!(
            err("f(.*) (foo|bar|buzz)"),
            "invalid regexp parser: at least one named capture must be supplied"
        );
        assert!(err("(?P<a>").starts_with("invalid regexp parser: "));
        assert!(RegexpParser::new("blah (.*) (?P<foo>)").is_ok());
    }
}
