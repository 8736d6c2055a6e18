//! Line filters that run in the pipeline (Loki's `pkg/logql/log/filter.go`): the ones after
//! a parser or a line rewrite, and the kinds the store cannot run (`|>`, `!>`, `ip(...)`).
//!
//! A filter's alternatives (`|= "a" or "b"`) of one kind compile to one matcher: texts to one
//! regex of escaped literals (the `regex` crate runs literal alternations with SIMD substring
//! search), regexes to one alternation of their groups. A line passes a positive filter when
//! any alternative matches and a negated one when none does (the parser gives negated filters
//! one alternative). `|= ""` passes every line, `!= ""` none.

use regex::bytes::{Regex, RegexBuilder};

use super::PipelineError;
use super::ip::IpPattern;
use super::parsers::PatternMatcher;
use crate::logql::syntax::{LineFilter, LineFilterArg, LineFilterKind};

/// Largest compiled regex, as for other user-supplied regexes in the crate (bytes).
const REGEX_SIZE_LIMIT: usize = 1 << 24;

/// A compiled line filter.
#[derive(Debug)]
pub(crate) struct LineFilterStage {
    negated: bool,
    /// One regex for all text and regex alternatives; `None` when there are none.
    regex: Option<Regex>,
    patterns: Vec<PatternMatcher>,
    ips: Vec<IpPattern>,
}

impl LineFilterStage {
    /// Compiles `filter`; a regex, pattern or `ip(...)` that does not parse is an error naming
    /// the filter.
    pub(crate) fn new(filter: &LineFilter) -> Result<Self, PipelineError> {
        let mut sources = Vec::new();
        let mut patterns = Vec::new();
        let mut ips = Vec::new();
        for alternative in &filter.alternatives {
            match alternative {
                LineFilterArg::Ip(pattern) => ips.push(IpPattern::parse(pattern)?),
                LineFilterArg::Text(text) => match filter.kind {
                    LineFilterKind::Contains | LineFilterKind::NotContains => {
                        sources.push(regex::escape(text));
                    }
                    LineFilterKind::Regex | LineFilterKind::NotRegex => {
                        check_regex(filter.kind, text)?;
                        sources.push(format!("(?:{text})"));
                    }
                    LineFilterKind::Pattern | LineFilterKind::NotPattern => {
                        patterns.push(PatternMatcher::new(text)?);
                    }
                },
            }
        }
        let regex = match sources.as_slice() {
            [] => None,
            _ => Some(compile(filter.kind, &sources.join("|"))?),
        };
        Ok(Self {
            negated: filter.kind.is_negated(),
            regex,
            patterns,
            ips,
        })
    }

    /// True when `line` passes.
    pub(crate) fn matches(&self, line: &[u8]) -> bool {
        let any = self.regex.as_ref().is_some_and(|re| re.is_match(line))
            || self.patterns.iter().any(|p| p.matches(line))
            || self.ips.iter().any(|ip| ip.matches_in(line));
        any != self.negated
    }
}

/// Checks one regex alone, so that the error names it rather than the combined alternation.
fn check_regex(kind: LineFilterKind, source: &str) -> Result<(), PipelineError> {
    compile(kind, source).map(drop)
}

fn compile(kind: LineFilterKind, source: &str) -> Result<Regex, PipelineError> {
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| PipelineError {
            message: format!(
                "invalid regex in line filter {}: {}",
                kind.symbol(),
                one_line(&e.to_string())
            ),
        })
}

/// The `regex` crate's error on one line: its last line, without the `error: ` prefix.
pub(crate) fn one_line(reason: &str) -> String {
    let last = reason.lines().last().unwrap_or(reason).trim();
    format!(
        "error parsing regexp: {}",
        last.strip_prefix("error: ").unwrap_or(last)
    )
}
