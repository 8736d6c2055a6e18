//! The log-reading trait the LogQL engine reads through, and the types it speaks.
//!
//! A log store holds, per tenant, streams (a [`Labels`] each) of [`LogEntry`]s. The engine asks a
//! [`LogQuerier`] for the entries of the streams a selector picks, in a time range, in either
//! [`Direction`], with a line filter ([`LineFilterChain`]) pushed down into the scan; and for the
//! metadata Loki's API serves: label names and values, series, index statistics and volumes.
//!
//! Times are nanoseconds since the Unix epoch. Ranges are `[start, end)`: start inclusive, end
//! exclusive, as in Loki's query API. [`VecLogQuerier`] is a small in-memory implementation for
//! tests of the engine; `logs::conformance` (with the `testing` feature) checks any implementation
//! against the contract.

use std::fmt;

use regex::bytes::Regex;

use crate::{Labels, Matcher, StorageError};

#[cfg(any(test, feature = "testing"))]
pub mod conformance;
mod vec;

pub use vec::VecLogQuerier;

/// One log entry of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The log line, as pushed (not necessarily UTF-8).
    pub line: Vec<u8>,
    /// Structured metadata: (name, value) pairs in the order they were pushed.
    pub metadata: Vec<(String, String)>,
}

impl LogEntry {
    /// An entry without structured metadata.
    pub fn new(ts: i64, line: impl Into<Vec<u8>>) -> Self {
        Self {
            ts,
            line: line.into(),
            metadata: Vec::new(),
        }
    }

    /// `self` with one more structured metadata pair.
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// Bytes of the structured metadata: names and values, as Loki counts them.
    pub fn metadata_size(&self) -> usize {
        self.metadata.iter().map(|(n, v)| n.len() + v.len()).sum()
    }

    /// The entry's size as Loki counts it for rate limits, stats and volumes: line bytes plus
    /// structured metadata bytes.
    pub fn size(&self) -> usize {
        self.line.len() + self.metadata_size()
    }
}

/// Which way entries come out of a select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Oldest first.
    Forward,
    /// Newest first.
    Backward,
}

/// What one line filter stage tests (LogQL's line filter operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFilterOp {
    /// `|=`: the line contains at least one of the patterns (byte substring).
    Contains,
    /// `!=`: the line contains none of the patterns.
    NotContains,
    /// `|~`: at least one of the patterns, a regex, matches somewhere in the line.
    Matches,
    /// `!~`: none of the regexes matches anywhere in the line.
    NotMatches,
}

impl fmt::Display for LineFilterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineFilterOp::Contains => "|=",
            LineFilterOp::NotContains => "!=",
            LineFilterOp::Matches => "|~",
            LineFilterOp::NotMatches => "!~",
        })
    }
}

/// One line filter stage: an operator and its alternatives (`|= "a" or "b"` has two).
///
/// Regexes use RE2 syntax as the `regex` crate implements it, unanchored (a search, like Go's
/// `regexp.Match` in Loki). The empty string is contained in every line, so `|= ""` passes
/// every line and `!= ""` none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineFilterStage {
    /// The operator.
    pub op: LineFilterOp,
    /// The alternatives; at least one.
    pub patterns: Vec<String>,
}

impl LineFilterStage {
    /// A stage from an operator and its alternatives.
    pub fn new<S: Into<String>>(op: LineFilterOp, patterns: impl IntoIterator<Item = S>) -> Self {
        Self {
            op,
            patterns: patterns.into_iter().map(Into::into).collect(),
        }
    }
}

/// The line filters the engine pushes down into a scan: stages ANDed in order. The empty chain
/// passes every line. Plain data: the store compiles it into its own matcher.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LineFilterChain {
    /// The stages; a line passes when it passes every one.
    pub stages: Vec<LineFilterStage>,
}

impl LineFilterChain {
    /// The chain that passes every line.
    pub fn new() -> Self {
        Self::default()
    }

    /// `self` with one more stage at the end.
    pub fn then<S: Into<String>>(
        mut self,
        op: LineFilterOp,
        patterns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.stages.push(LineFilterStage::new(op, patterns));
        self
    }

    /// True when there is no stage.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// A straightforward compiled form (one regex per alternative), for in-memory
    /// implementations and tests; stores compile their own, faster matcher.
    pub fn compile(&self) -> Result<CompiledLineFilter, LineFilterError> {
        let mut stages = Vec::with_capacity(self.stages.len());
        for (index, stage) in self.stages.iter().enumerate() {
            if stage.patterns.is_empty() {
                return Err(LineFilterError::EmptyStage { stage: index });
            }
            let mut regexes = Vec::with_capacity(stage.patterns.len());
            for pattern in &stage.patterns {
                let source = match stage.op {
                    LineFilterOp::Contains | LineFilterOp::NotContains => regex::escape(pattern),
                    LineFilterOp::Matches | LineFilterOp::NotMatches => pattern.clone(),
                };
                let re = Regex::new(&source).map_err(|e| LineFilterError::InvalidRegex {
                    stage: index,
                    pattern: pattern.clone(),
                    reason: e.to_string(),
                })?;
                regexes.push(re);
            }
            let negated = matches!(
                stage.op,
                LineFilterOp::NotContains | LineFilterOp::NotMatches
            );
            stages.push((negated, regexes));
        }
        Ok(CompiledLineFilter { stages })
    }
}

impl fmt::Display for LineFilterChain {
    /// LogQL syntax: `|= "a" or "b" !~ "c"`; the empty chain prints nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stage) in self.stages.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}", stage.op)?;
            for (j, pattern) in stage.patterns.iter().enumerate() {
                let sep = if j == 0 { " " } else { " or " };
                write!(f, "{sep}{pattern:?}")?;
            }
        }
        Ok(())
    }
}

/// A [`LineFilterChain`] compiled by [`LineFilterChain::compile`].
#[derive(Debug, Clone)]
pub struct CompiledLineFilter {
    /// Per stage: whether it is negated, and one regex per alternative (substrings escaped).
    stages: Vec<(bool, Vec<Regex>)>,
}

impl CompiledLineFilter {
    /// True when `line` passes every stage.
    pub fn matches(&self, line: &[u8]) -> bool {
        self.stages
            .iter()
            .all(|(negated, regexes)| regexes.iter().any(|re| re.is_match(line)) != *negated)
    }
}

/// Why a [`LineFilterChain`] cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineFilterError {
    /// A stage without any pattern.
    #[error("line filter stage {stage} has no pattern")]
    EmptyStage {
        /// Index of the stage in the chain, from 0.
        stage: usize,
    },
    /// A regex that does not compile.
    #[error("invalid regex {pattern:?} in line filter stage {stage}: {reason}")]
    InvalidRegex {
        /// Index of the stage in the chain, from 0.
        stage: usize,
        /// The pattern as given.
        pattern: String,
        /// What the regex compiler said.
        reason: String,
    },
}

/// What a [`LogQuerier::select`] reads.
#[derive(Debug, Clone)]
pub struct LogSelect {
    /// The tenant whose streams are read; no other tenant's data is ever seen.
    pub tenant: String,
    /// The stream selector: a stream is read when its labels pass every matcher (an absent label
    /// matches as the empty string). An empty list selects nothing.
    pub matchers: Vec<Matcher>,
    /// First nanosecond of the range, inclusive.
    pub start: i64,
    /// End of the range, exclusive.
    pub end: i64,
    /// Order of the entries.
    pub direction: Direction,
    /// At most this many entries (counted after the filter); `None` for all.
    pub limit: Option<usize>,
    /// Line filters applied inside the scan.
    pub filter: LineFilterChain,
}

impl LogSelect {
    /// A forward select of every line, without limit.
    pub fn new(tenant: impl Into<String>, matchers: Vec<Matcher>, start: i64, end: i64) -> Self {
        Self {
            tenant: tenant.into(),
            matchers,
            start,
            end,
            direction: Direction::Forward,
            limit: None,
            filter: LineFilterChain::new(),
        }
    }
}

/// Index statistics of a selector over a range (Loki's `index/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexStats {
    /// Streams selected.
    pub streams: u64,
    /// Chunks of those streams counted.
    pub chunks: u64,
    /// Entries in those chunks.
    pub entries: u64,
    /// Bytes of those entries ([`LogEntry::size`]: lines and structured metadata, uncompressed).
    pub bytes: u64,
}

/// How [`LogQuerier::volume`] groups streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VolumeAggregation {
    /// One group per distinct combination of the grouping labels' values (Loki's
    /// `aggregateBy=series`, the default).
    #[default]
    Series,
    /// One group per grouping label name, summing every stream that has that label (Loki's
    /// `aggregateBy=labels`).
    Labels,
}

/// What [`LogQuerier::volume`] reads (Loki's `index/volume`).
#[derive(Debug, Clone)]
pub struct VolumeRequest {
    /// The tenant.
    pub tenant: String,
    /// The stream selector; an empty list selects nothing.
    pub matchers: Vec<Matcher>,
    /// First nanosecond of the range, inclusive.
    pub start: i64,
    /// End of the range, exclusive.
    pub end: i64,
    /// The grouping labels (Loki's `targetLabels`); when empty, the names the matchers test, each
    /// once.
    pub target_labels: Vec<String>,
    /// How streams are grouped.
    pub aggregate_by: VolumeAggregation,
    /// At most this many groups, the largest; `None` for all. (Loki's API defaults to 100.)
    pub limit: Option<usize>,
}

impl VolumeRequest {
    /// The grouping label names: `target_labels`, or else the matchers' names, each once, in
    /// first-seen order.
    pub fn grouping_labels(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let candidates: Box<dyn Iterator<Item = &str>> = if self.target_labels.is_empty() {
            Box::new(self.matchers.iter().map(Matcher::name))
        } else {
            Box::new(self.target_labels.iter().map(String::as_str))
        };
        for name in candidates {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}

/// The group one [`Volume`] is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumeKey {
    /// [`VolumeAggregation::Series`]: the grouping labels' values (labels a stream lacks are
    /// absent, so streams with none of them form the empty group).
    Series(Labels),
    /// [`VolumeAggregation::Labels`]: a label name (Loki reports it as `{name=""}`).
    Label(String),
}

/// Bytes of one group of streams.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Volume {
    /// The group.
    pub key: VolumeKey,
    /// Bytes of its streams' entries ([`LogEntry::size`]).
    pub bytes: u64,
}

/// Work done by one part of a scan: the head (in-memory chunks, Loki's ingester figures) or the
/// store (flushed chunks, Loki's `querier.store` figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkScanStats {
    /// Chunks read.
    pub chunks: u64,
    /// Compressed bytes read for them (0 for entries held uncompressed in memory).
    pub compressed_bytes: u64,
    /// Entries in the range tested against the filter.
    pub lines: u64,
    /// Their line bytes.
    pub bytes: u64,
    /// Their structured metadata bytes.
    pub structured_metadata_bytes: u64,
}

impl ChunkScanStats {
    /// Adds `other`'s figures to `self`'s.
    pub fn add(&mut self, other: &ChunkScanStats) {
        self.chunks += other.chunks;
        self.compressed_bytes += other.compressed_bytes;
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.structured_metadata_bytes += other.structured_metadata_bytes;
    }
}

/// Work a select has done so far (the figures of Loki's `stats` block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanStats {
    /// Entries read from head chunks.
    pub head: ChunkScanStats,
    /// Entries read from flushed chunks.
    pub store: ChunkScanStats,
    /// Entries that passed the filter (at least those yielded; at most `head.lines +
    /// store.lines`).
    pub post_filter_lines: u64,
}

impl ScanStats {
    /// Adds `other`'s figures to `self`'s.
    pub fn add(&mut self, other: &ScanStats) {
        self.head.add(&other.head);
        self.store.add(&other.store);
        self.post_filter_lines += other.post_filter_lines;
    }

    /// Entries read, head and store.
    pub fn total_lines(&self) -> u64 {
        self.head.lines + self.store.lines
    }
}

/// The entries a [`LogQuerier::select`] returns, with their streams.
///
/// Contract: items come in the order [`LogQuerier::select`] describes. An `Err` item ends the
/// iteration: every later `next` returns `None`. [`LogIterator::stats`] may be read at any time
/// and reports the work done so far (an implementation may scan ahead of what it has yielded).
pub trait LogIterator: Iterator<Item = Result<(Labels, LogEntry), StorageError>> {
    /// The work done so far.
    fn stats(&self) -> ScanStats;
}

/// Reads the logs of a store, per tenant. Implemented by the log engine; the LogQL engine and
/// the daemon read only through it.
///
/// Every call names the tenant and a range `[start, end)` of nanoseconds (start inclusive, end
/// exclusive); an empty or inverted range (`start >= end`) holds nothing. A tenant the store does
/// not know holds nothing (it is not an error). No call ever sees another tenant's streams.
///
/// "The streams selected" by matchers are the tenant's streams whose labels pass every matcher
/// (an absent label matches as the empty string) and that have at least one entry in the range.
/// The metadata calls (`label_names`, `label_values`, `series`, `index_stats`, `volume`) may
/// answer at chunk granularity, as Loki does ("Loki may use a larger time span than the one
/// specified"): they never miss a stream with an entry in the range, and may also count a stream
/// (and whole chunks) whose stored entries span a time interval that overlaps the range.
/// `select` is exact.
pub trait LogQuerier: Send + Sync {
    /// The entries of the selected streams with `start <= ts < end` whose lines pass the filter,
    /// merged across streams in `direction`, at most `limit` of them (counted after the filter).
    ///
    /// Forward order: by timestamp ascending; equal timestamps by stream labels ascending (the
    /// [`Labels`] order), then within a stream in the order the entries were stored. Backward
    /// order is exactly the reverse of forward order. With a limit, forward returns the oldest
    /// entries and backward the newest. An empty matcher list selects nothing. A filter that does
    /// not compile is an error (wrapping a [`LineFilterError`] where the store uses
    /// [`LineFilterChain::compile`]'s rules).
    fn select(&self, request: &LogSelect) -> Result<Box<dyn LogIterator + '_>, StorageError>;

    /// Label names, sorted and unique, of the selected streams; all the tenant's streams with
    /// entries in the range when `matchers` is empty.
    fn label_names(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<String>, StorageError>;

    /// Values of label `name`, sorted and unique, among the selected streams; all the tenant's
    /// streams with entries in the range when `matchers` is empty.
    fn label_values(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        name: &str,
        matchers: &[Matcher],
    ) -> Result<Vec<String>, StorageError>;

    /// The label sets of the streams any group of matchers selects (Loki's `/series` with
    /// several `match[]`), sorted by labels and unique. An empty group selects nothing.
    fn series(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        groups: &[Vec<Matcher>],
    ) -> Result<Vec<Labels>, StorageError>;

    /// Streams, chunks, entries and bytes of the selected streams (Loki's `index/stats`). An
    /// empty matcher list selects nothing.
    fn index_stats(
        &self,
        tenant: &str,
        start: i64,
        end: i64,
        matchers: &[Matcher],
    ) -> Result<IndexStats, StorageError>;

    /// Bytes of the selected streams, grouped as the request says (Loki's `index/volume`),
    /// largest first, equal volumes by key ascending, at most `limit` groups. Groups of zero bytes
    /// are left out.
    fn volume(&self, request: &VolumeRequest) -> Result<Vec<Volume>, StorageError>;
}

/// True when `labels` passes every matcher (an absent label matches as the empty string).
pub fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_size_counts_line_and_metadata() {
        let e = LogEntry::new(1, "abc").with_metadata("trace", "12345");
        assert_eq!(e.metadata_size(), 10);
        assert_eq!(e.size(), 13);
    }

    #[test]
    fn filter_chain_ands_stages_and_ors_alternatives() {
        let chain = LineFilterChain::new()
            .then(LineFilterOp::Contains, ["error", "warn"])
            .then(LineFilterOp::NotContains, ["debug"])
            .then(LineFilterOp::Matches, [r"code=\d+"])
            .then(LineFilterOp::NotMatches, ["(?i)^skip"]);
        let f = chain.compile().unwrap();
        assert!(f.matches(b"error code=42"));
        assert!(f.matches(b"warn code=1"));
        assert!(!f.matches(b"info code=1"), "no alternative of stage 0");
        assert!(!f.matches(b"error debug code=1"), "stage 1 refuses");
        assert!(!f.matches(b"error code=x"), "stage 2 refuses");
        assert!(!f.matches(b"SKIP error code=1"), "stage 3 refuses");
        assert_eq!(
            chain.to_string(),
            r#"|= "error" or "warn" != "debug" |~ "code=\\d+" !~ "(?i)^skip""#
        );
    }

    #[test]
    fn substring_patterns_are_literal_and_empty_pattern_matches_all() {
        let f = LineFilterChain::new()
            .then(LineFilterOp::Contains, ["a.b"])
            .compile()
            .unwrap();
        assert!(f.matches(b"xa.by"));
        assert!(!f.matches(b"axb"), "a regex metacharacter in |= is literal");
        let all = LineFilterChain::new()
            .then(LineFilterOp::Contains, [""])
            .compile()
            .unwrap();
        assert!(all.matches(b"") && all.matches(b"anything"));
        let none = LineFilterChain::new()
            .then(LineFilterOp::NotContains, [""])
            .compile()
            .unwrap();
        assert!(!none.matches(b"anything"));
        assert!(LineFilterChain::new().compile().unwrap().matches(b"x"));
    }

    #[test]
    fn regex_filters_search_unanchored_over_bytes() {
        let f = LineFilterChain::new()
            .then(LineFilterOp::Matches, ["b+c"])
            .compile()
            .unwrap();
        assert!(f.matches(b"aabbcc"));
        assert!(f.matches(b"\xff\xfebc"), "invalid UTF-8 around a match");
        assert!(!f.matches(b"ac"));
    }

    #[test]
    fn bad_filters_are_typed_errors_naming_the_stage() {
        let err = LineFilterChain::new()
            .then(LineFilterOp::Contains, ["x"])
            .then(LineFilterOp::Matches, ["("])
            .compile()
            .unwrap_err();
        assert!(matches!(
            &err,
            LineFilterError::InvalidRegex { stage: 1, pattern, .. } if pattern == "("
        ));
        let empty = LineFilterChain {
            stages: vec![LineFilterStage::new(
                LineFilterOp::NotMatches,
                Vec::<String>::new(),
            )],
        };
        assert_eq!(
            empty.compile().unwrap_err(),
            LineFilterError::EmptyStage { stage: 0 }
        );
    }

    #[test]
    fn grouping_labels_default_to_matcher_names_once() {
        let mut req = VolumeRequest {
            tenant: "t".into(),
            matchers: vec![
                Matcher::equal("job", "a"),
                Matcher::equal("env", "b"),
                Matcher::equal("job", "a"),
            ],
            start: 0,
            end: 1,
            target_labels: Vec::new(),
            aggregate_by: VolumeAggregation::Series,
            limit: None,
        };
        assert_eq!(req.grouping_labels(), vec!["job", "env"]);
        req.target_labels = vec!["team".into()];
        assert_eq!(req.grouping_labels(), vec!["team"]);
    }
}
