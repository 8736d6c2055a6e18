//! How parser stages write labels, with Loki's two rules (`pkg/logql/log/parser.go`,
//! `labels.go`): a label the stream already has is written as `<name>_extracted`, and a label
//! an earlier parser stage set for this entry is left alone (the first parser's value wins;
//! `ParserLabelHints().ShouldExtract`).
#![deny(clippy::indexing_slicing)]

use super::ParsedLabelSink;

/// The suffix Loki gives a parsed label whose name the stream already has.
pub(super) const DUPLICATE_SUFFIX: &str = "_extracted";

/// Writes one entry's parsed labels into a [`ParsedLabelSink`].
pub(super) struct LabelWriter<'s> {
    sink: &'s mut dyn ParsedLabelSink,
    /// Scratch for `<name>_extracted`.
    suffixed: String,
}

impl<'s> LabelWriter<'s> {
    /// A writer into `sink`.
    pub(super) fn new(sink: &'s mut dyn ParsedLabelSink) -> Self {
        Self {
            sink,
            suffixed: String::new(),
        }
    }

    /// The label a parser found in the line: written as `<name>_extracted` when the stream
    /// has `name`, and not at all when an earlier parser stage already set that label or
    /// `name` is empty.
    pub(super) fn found(&mut self, name: &str, value: &str) {
        if name.is_empty() {
            return;
        }
        let target = target_name(&*self.sink, &mut self.suffixed, name);
        if !self.sink.parsed_has(target) {
            self.sink.set_parsed(target, value);
        }
    }

    /// A label an extraction parameter asked for (`| json a="b"`): written as
    /// `<name>_extracted` when the stream has `name`, even over an earlier parser's value.
    pub(super) fn requested(&mut self, name: &str, value: &str) {
        let target = target_name(&*self.sink, &mut self.suffixed, name);
        self.sink.set_parsed(target, value);
    }

    /// The sink, for the checks a parser makes itself.
    pub(super) fn sink(&self) -> &dyn ParsedLabelSink {
        &*self.sink
    }

    /// Sets `name` as is.
    pub(super) fn set_exact(&mut self, name: &str, value: &str) {
        self.sink.set_parsed(name, value);
    }
}

/// `name`, or `<name>_extracted` (built in `buf`) when the stream has `name`.
fn target_name<'a>(sink: &dyn ParsedLabelSink, buf: &'a mut String, name: &'a str) -> &'a str {
    if sink.base_has(name) {
        buf.clear();
        buf.push_str(name);
        buf.push_str(DUPLICATE_SUFFIX);
        buf
    } else {
        name
    }
}
