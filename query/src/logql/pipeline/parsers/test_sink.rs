//! A [`ParsedLabelSink`] for the parsers' tests: stream labels, then parsed labels in the
//! order they were first set, with [`TestSink::next_stage`] marking where a parser stage
//! ends (the labels set so far become "set by an earlier stage").

use super::ParsedLabelSink;

/// Records what a parser writes.
#[derive(Debug, Default)]
pub(super) struct TestSink {
    stream: Vec<(String, String)>,
    parsed: Vec<(String, String)>,
    /// How many of `parsed` earlier stages set.
    earlier: usize,
}

impl TestSink {
    /// A sink for an entry of a stream with these labels.
    pub(super) fn new(stream: &[(&str, &str)]) -> Self {
        Self {
            stream: owned_pairs(stream),
            ..Self::default()
        }
    }

    /// Ends the current parser stage.
    pub(super) fn next_stage(&mut self) {
        self.earlier = self.parsed.len();
    }

    /// The parsed labels, in the order they were first set.
    pub(super) fn parsed(&self) -> Vec<(String, String)> {
        self.parsed.clone()
    }

    /// The parsed labels, sorted.
    pub(super) fn parsed_sorted(&self) -> Vec<(String, String)> {
        let mut labels = self.parsed.clone();
        labels.sort();
        labels
    }

    /// The value of parsed label `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.parsed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl ParsedLabelSink for TestSink {
    fn base_has(&self, name: &str) -> bool {
        self.stream.iter().any(|(n, _)| n == name)
    }

    fn parsed_has(&self, name: &str) -> bool {
        self.parsed
            .get(..self.earlier)
            .unwrap_or_default()
            .iter()
            .any(|(n, _)| n == name)
    }

    fn set_parsed(&mut self, name: &str, value: &str) {
        assert!(
            model::is_valid_label_name(name),
            "parser wrote the invalid label name {name:?}"
        );
        match self.parsed.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.parsed.push((name.to_owned(), value.to_owned())),
        }
    }
}

/// `(name, value)` pairs as owned strings, in the order given.
pub(super) fn owned_pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// `(name, value)` pairs as owned strings, sorted.
pub(super) fn sorted_pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = owned_pairs(p);
    pairs.sort();
    pairs
}
