//! LogQL patterns (`<ip> - - [<_>] "<method> <path> <_>"`), Loki's `pkg/logql/log/pattern`:
//! literals and captures, a capture being `<` + an ASCII letter or `_` + ASCII letters,
//! digits or `_` + `>`, and `<_>` capturing nothing. Both uses match greedily left to right,
//! finding each literal at its first occurrence after the previous one:
//!
//! * the `pattern` parser ([`PatternParser`], `Matcher.Matches`): a leading literal must
//!   start the line; each capture takes the text up to the next literal, or the rest of the
//!   line when that literal is missing or the pattern ends with the capture, and matching
//!   stops at a missing literal, so a line may fill only the first captures;
//! * the `|>` and `!>` line filters ([`PatternMatcher`], `Matcher.Test`): every literal must
//!   be found in order, no capture may be empty, and the line must end with the last literal
//!   or, when the pattern ends with a capture, go on after the last literal. (Loki does not
//!   anchor a leading literal here: it may occur anywhere.) Only `<_>` captures are allowed;
//!   the empty pattern matches the empty line only.
#![deny(clippy::indexing_slicing)]

use super::go_text::lossy;
use super::label_writer::LabelWriter;
use super::{ParseOutcome, ParsedLabelSink, PipelineError};
use crate::logql::syntax::pattern::split_pattern;
use crate::logql::syntax::{PatternNode, parse_pattern};

/// A compiled pattern piece.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Text matched as is (never empty).
    Literal(Box<[u8]>),
    /// A capture; `named` is false for `<_>`.
    Capture { named: bool },
}

fn compile(nodes: &[PatternNode]) -> Vec<Node> {
    nodes
        .iter()
        .map(|node| match node {
            PatternNode::Literal(text) => Node::Literal(text.as_bytes().into()),
            PatternNode::Capture(name) => Node::Capture { named: name != "_" },
        })
        .collect()
}

/// A compiled `|>` / `!>` pattern.
#[derive(Debug, Clone)]
pub(crate) struct PatternMatcher {
    nodes: Vec<Node>,
}

impl PatternMatcher {
    /// Compiles a line filter's pattern with Loki's checks (`ParseLineFilter`): no two
    /// captures side by side, no named capture.
    pub(crate) fn new(pattern: &str) -> Result<PatternMatcher, PipelineError> {
        let nodes = split_pattern(pattern);
        let fail = |message: String| Err(PipelineError { message });
        for pair in nodes.windows(2) {
            if let [PatternNode::Capture(a), PatternNode::Capture(b)] = pair {
                return fail(format!(
                    "found consecutive capture '<{a}><{b}>': invalid expression"
                ));
            }
        }
        for node in &nodes {
            if let PatternNode::Capture(name) = node
                && name != "_"
            {
                return fail(format!("named captures are not allowed: found '<{name}>'"));
            }
        }
        Ok(Self {
            nodes: compile(&nodes),
        })
    }

    /// True when the whole line matches (Loki's `Matcher.Test`).
    pub(crate) fn matches(&self, line: &[u8]) -> bool {
        if line.is_empty() || self.nodes.is_empty() {
            return line.is_empty() && self.nodes.is_empty();
        }
        let mut offset = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Literal(literal) = node else {
                continue;
            };
            let Some(found) = find(line.get(offset..).unwrap_or_default(), literal) else {
                return false;
            };
            if i != 0 && found == 0 {
                return false;
            }
            offset += found + literal.len();
        }
        let ends_with_capture = matches!(self.nodes.last(), Some(Node::Capture { .. }));
        ends_with_capture == (offset != line.len())
    }
}

/// The `pattern` parser stage.
#[derive(Debug, Clone)]
pub(super) struct PatternParser {
    nodes: Vec<Node>,
    /// The named captures' labels, in pattern order.
    names: Vec<String>,
}

impl PatternParser {
    /// Compiles the stage's pattern (checked as [`parse_pattern`] checks it).
    pub(super) fn new(pattern: &str) -> Result<Self, PipelineError> {
        let nodes = parse_pattern(pattern).map_err(|e| PipelineError {
            message: format!("invalid pattern parser: {e}"),
        })?;
        let names = nodes
            .iter()
            .filter_map(|node| match node {
                PatternNode::Capture(name) if name != "_" => Some(name.clone()),
                _ => None,
            })
            .collect();
        Ok(Self {
            nodes: compile(&nodes),
            names,
        })
    }

    /// Extracts the captures of `line` into `sink`.
    pub(super) fn parse(&self, line: &[u8], sink: &mut dyn ParsedLabelSink) -> ParseOutcome {
        let mut labels = LabelWriter::new(sink);
        let mut names = self.names.iter();
        self.captures(line, |value| {
            if let Some(name) = names.next() {
                labels.found(name, &lossy(value));
            }
        });
        ParseOutcome::Unchanged
    }

    /// Calls `found` with each named capture's text, in order (Loki's `Matcher.Matches`).
    fn captures<'a>(&self, line: &'a [u8], mut found: impl FnMut(&'a [u8])) {
        if line.is_empty() {
            return;
        }
        let mut rest = line;
        let mut nodes = self.nodes.as_slice();
        if let Some((Node::Literal(literal), after)) = nodes.split_first() {
            match rest.strip_prefix(&literal[..]) {
                Some(stripped) => rest = stripped,
                None => return,
            }
            nodes = after;
        }
        // From here on: capture, literal, capture, ... (literal)?
        while let Some((node, after)) = nodes.split_first() {
            let named = matches!(node, Node::Capture { named: true });
            let Some((Node::Literal(literal), after)) = after.split_first() else {
                if named {
                    found(rest);
                }
                return;
            };
            nodes = after;
            let Some(at) = find(rest, literal) else {
                if named {
                    found(rest);
                }
                return;
            };
            if named {
                found(rest.get(..at).unwrap_or_default());
            }
            rest = rest.get(at + literal.len()..).unwrap_or_default();
        }
    }
}

/// The first occurrence of `needle` (not empty) in `haystack` (Go's `bytes.Index`).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(p) = haystack
        .get(from..)
        .and_then(|h| h.iter().position(|&b| b == first))
    {
        let at = from + p;
        if haystack.get(at + 1..at + needle.len()) == Some(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
