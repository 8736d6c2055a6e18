//! Parser for the Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text.
//!
//! [`Parser`] walks a byte buffer line by line and yields one [`Entry`] per line: samples,
//! `# TYPE`, `# HELP`, `# UNIT`, comments and OpenMetrics's `# EOF`. Names and label values borrow
//! from the input unless a value has escapes; the parser reuses its label buffer, so steady-state
//! parsing does not allocate. It never panics and always advances by at least one line per entry.
//!
//! Behaviour follows Prometheus's own parsers (`model/textparse/promparse.go` and
//! `openmetricsparse.go`, v2.42–v3.x) where they are stricter or looser than the specs:
//!
//! * OpenMetrics timestamps are float seconds, converted to ms as `int64(ts * 1000)` (truncation);
//!   text-format timestamps are integer ms.
//! * Every NaN value becomes [`NORMAL_NAN_BITS`], the NaN Prometheus stores, so a parsed NaN is
//!   never mistaken for the staleness marker.
//! * Label values undo `\\`, `\"` and `\n`; other escapes are kept verbatim. A trailing comma in
//!   a label set is allowed.
//! * OpenMetrics must end with `# EOF` (optionally followed by one `\n`) and nothing else; blank
//!   lines and comments other than `# HELP/TYPE/UNIT` are errors; separators are single spaces.
//!   Exemplars are parsed and validated, then skipped.
//! * The text format allows blank lines, `# ` comments, runs of spaces and tabs between tokens
//!   and a trailing `\r`.
//! * Label names must be unique per sample in both formats (Prometheus refuses such samples when
//!   it appends them), and a label may not be named `__name__`.
//!
//! Known differences from Prometheus: quoted (UTF-8) metric and label names are not supported,
//! label values may not span lines, the text format requires commas between labels and accepts
//! a sign on its integer timestamps.
//!
//! ```
//! use model::exposition::{Entry, Format, Parser};
//!
//! let input = b"# TYPE up gauge\nup{job=\"node\"} 1 1700000000.5\n# EOF\n";
//! let mut parser = Parser::new(input, Format::OpenMetrics);
//! let mut samples = Vec::new();
//! while let Some(entry) = parser.next() {
//!     if let Entry::Sample { value, timestamp_ms, .. } = entry.unwrap() {
//!         let labels = parser.series_labels().unwrap();
//!         samples.push((labels.to_string(), value, timestamp_ms));
//!     }
//! }
//! assert_eq!(samples, [("{__name__=\"up\", job=\"node\"}".to_owned(), 1.0, Some(1700000000500))]);
//! ```

mod scan;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

use crate::error::LabelError;
use crate::labels::{Labels, METRIC_NAME};
use scan::{Cursor, is_ws, unexpected};

/// The bits of the NaN Prometheus stores for a NaN sample value (Go's `math.NaN()`, Prometheus's
/// `value.NormalNaN`); distinct from [`crate::STALE_NAN_BITS`].
pub const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// Which exposition format the input is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    Text,
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
}

impl Format {
    /// Guesses the format from content: OpenMetrics when the last line is `# EOF` (which
    /// OpenMetrics requires and the text format never has), text otherwise.
    pub fn detect(input: &[u8]) -> Self {
        let body = input.strip_suffix(b"\n").unwrap_or(input);
        if body == b"# EOF" || body.ends_with(b"\n# EOF") {
            Self::OpenMetrics
        } else {
            Self::Text
        }
    }
}

/// The type a `# TYPE` line declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics only).
    Info,
    /// `stateset` (OpenMetrics only).
    StateSet,
    /// `unknown` in OpenMetrics, `untyped` in the text format.
    Unknown,
}

impl MetricType {
    /// Parses a type word of `format`; `None` for words that format does not define.
    fn parse(word: &str, format: Format) -> Option<Self> {
        let om = format == Format::OpenMetrics;
        Some(match word {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "histogram" => Self::Histogram,
            "summary" => Self::Summary,
            "gaugehistogram" if om => Self::GaugeHistogram,
            "info" if om => Self::Info,
            "stateset" if om => Self::StateSet,
            "unknown" if om => Self::Unknown,
            "untyped" if !om => Self::Unknown,
            _ => return None,
        })
    }

    /// The OpenMetrics spelling of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::GaugeHistogram => "gaugehistogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::StateSet => "stateset",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label of a sample as written in the input: `(name, value)`, the value unescaped.
pub type LabelPair<'a> = (&'a str, Cow<'a, str>);

/// One parsed line. Borrows the input and the parser's buffers until the next call to
/// [`Parser::next`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Entry<'a> {
    /// A sample line.
    Sample {
        /// The metric name, e.g. `http_requests_total` (suffixes such as `_bucket` kept as is).
        name: &'a str,
        /// The labels in input order, without `__name__`; names are valid and unique. Values may
        /// be empty (Prometheus then drops the label, as [`Labels`] does).
        labels: &'a [LabelPair<'a>],
        /// The value; NaNs are [`NORMAL_NAN_BITS`].
        value: f64,
        /// The timestamp in ms since the Unix epoch, if the line has one.
        timestamp_ms: Option<i64>,
    },
    /// A `# TYPE` line.
    Type {
        /// The metric family name.
        metric: &'a str,
        /// The declared type.
        kind: MetricType,
    },
    /// A `# HELP` line.
    Help {
        /// The metric family name.
        metric: &'a str,
        /// The help text, escapes undone.
        text: Cow<'a, str>,
    },
    /// A `# UNIT` line (OpenMetrics only).
    Unit {
        /// The metric family name.
        metric: &'a str,
        /// The unit; empty or a `_`-separated suffix of the family name.
        unit: &'a str,
    },
    /// Any other `#` line (text format only), raw bytes after the `#`.
    Comment {
        /// The text after `#`, not necessarily UTF-8.
        text: &'a [u8],
    },
    /// OpenMetrics's final `# EOF`; [`Parser::next`] returns `None` after it.
    Eof,
}

/// Why a line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    line: u64,
    kind: ParseErrorKind,
}

impl ParseError {
    /// The 1-based line the error is on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A token other than the one the grammar allows here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the grammar allows.
        expected: &'static str,
        /// An excerpt of the rest of the line (or "end of line").
        found: String,
    },
    /// A metric name that is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name {0:?}")]
    InvalidMetricName(String),
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("invalid label name {0:?}")]
    InvalidLabelName(String),
    /// The same label name twice on one sample (or a label named `__name__`).
    #[error("duplicate label name {0:?}")]
    DuplicateLabelName(String),
    /// A label value without its closing `"` on the same line.
    #[error("unterminated label value")]
    UnterminatedLabelValue,
    /// Bytes that are not UTF-8 on a line that must be text (all but text-format comments).
    #[error("invalid UTF-8 in {0}")]
    InvalidUtf8(&'static str),
    /// A sample or exemplar value that is not a float.
    #[error("invalid value {0}")]
    InvalidValue(String),
    /// A timestamp that is not a number, not finite, or out of the i64 millisecond range.
    #[error("invalid timestamp {0}")]
    InvalidTimestamp(String),
    /// A `# TYPE` word the format does not define.
    #[error("invalid metric type {0:?}")]
    InvalidMetricType(String),
    /// A `# UNIT` that is not a `_`-separated suffix of the metric family name.
    #[error("unit {unit:?} is not a suffix of metric name {metric:?}")]
    UnitNotSuffix {
        /// The family name.
        metric: String,
        /// The unit.
        unit: String,
    },
    /// An empty line in OpenMetrics, which has none.
    #[error("blank line (not allowed in OpenMetrics)")]
    BlankLine,
    /// An OpenMetrics `#` line that is not `# HELP`, `# TYPE`, `# UNIT` or `# EOF`.
    #[error("expected '# HELP', '# TYPE', '# UNIT' or '# EOF', found {0}")]
    InvalidDescriptor(String),
    /// OpenMetrics input that ends without a `# EOF` line.
    #[error("data does not end with # EOF")]
    MissingEof,
    /// Anything after OpenMetrics's `# EOF` line.
    #[error("unexpected data after # EOF")]
    DataAfterEof,
    /// [`Parser::series_labels`] called when the current entry is not a sample.
    #[error("the current entry is not a sample")]
    NoSample,
    /// The sample's labels did not form a valid label set.
    #[error(transparent)]
    Labels(#[from] LabelError),
}

/// A parsed line before it is tied to the parser's label buffer.
enum Raw<'a> {
    Sample {
        value: f64,
        timestamp_ms: Option<i64>,
    },
    Type {
        metric: &'a str,
        kind: MetricType,
    },
    Help {
        metric: &'a str,
        text: Cow<'a, str>,
    },
    Unit {
        metric: &'a str,
        unit: &'a str,
    },
    Comment(&'a [u8]),
    Eof,
}

/// Streaming parser over an exposition in memory; see the [module docs](self) for the rules.
///
/// Call [`next`](Self::next) until it returns `None`. After an error it returns `None`: a bad line
/// fails the whole input, as it fails a scrape or a `promtool` import.
pub struct Parser<'a> {
    input: &'a [u8],
    format: Format,
    /// Offset of the next unread line; always `<= input.len()`.
    pos: usize,
    /// Number of lines read so far = 1-based number of the current line.
    line: u64,
    done: bool,
    /// Name of the current sample, valid while `has_sample`.
    name: &'a str,
    /// Name and labels as written (`name{...}`), valid while `has_sample`.
    series: &'a [u8],
    /// Labels of the current sample; reused across lines.
    labels: Vec<LabelPair<'a>>,
    has_sample: bool,
    /// Scratch for sorting label indexes in `series_labels`.
    order: Vec<usize>,
}

impl fmt::Debug for Parser<'_> {
    /// Position only: printing the input could mean printing hundreds of megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("format", &self.format)
            .field("line", &self.line)
            .field("offset", &self.pos)
            .field("len", &self.input.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a> Parser<'a> {
    /// A parser over `input` in `format`.
    pub fn new(input: &'a [u8], format: Format) -> Self {
        Self {
            input,
            format,
            pos: 0,
            line: 0,
            done: false,
            name: "",
            series: &[],
            labels: Vec::new(),
            has_sample: false,
            order: Vec::new(),
        }
    }

    /// The format being parsed.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The 1-based line number of the current entry (0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next entry, `None` at the end of input (text) or after `# EOF` (OpenMetrics), and
    /// after any error. Blank text-format lines are skipped.
    #[allow(
        clippy::should_implement_trait,
        reason = "entries borrow the parser: not an Iterator"
    )]
    pub fn next(&mut self) -> Option<Result<Entry<'_>, ParseError>> {
        if self.done {
            return None;
        }
        self.has_sample = false;
        match self.advance() {
            Ok(Some(raw)) => Some(Ok(self.entry(raw))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(kind) => {
                self.done = true;
                Some(Err(ParseError {
                    line: self.line,
                    kind,
                }))
            }
        }
    }

    /// The labels of the current sample as a [`Labels`], `__name__` included.
    ///
    /// Allocates; callers that see the same series repeatedly can key a cache on
    /// [`series_bytes`](Self::series_bytes) instead, as Prometheus's scrape cache does.
    pub fn series_labels(&mut self) -> Result<Labels, ParseError> {
        let err = |kind| ParseError {
            line: self.line,
            kind,
        };
        if !self.has_sample {
            return Err(err(ParseErrorKind::NoSample));
        }
        let (labels, name) = (&self.labels, self.name);
        let pair = |i: usize| match labels.get(i) {
            Some((n, v)) => (*n, v.as_ref()),
            None => (METRIC_NAME, name),
        };
        self.order.clear();
        // Index `labels.len()` stands for `__name__`.
        self.order.extend(0..=labels.len());
        self.order
            .sort_unstable_by(|&a, &b| pair(a).0.cmp(pair(b).0));
        Labels::from_sorted(self.order.iter().map(|&i| pair(i)))
            .map_err(|e| err(ParseErrorKind::Labels(e)))
    }

    /// The current sample's name and label set exactly as written (e.g. `up{job="a"}`): equal
    /// bytes mean an equal series, so this is a cheap cache key. Empty when not on a sample.
    pub fn series_bytes(&self) -> &'a [u8] {
        if self.has_sample { self.series } else { &[] }
    }

    /// Ties a parsed line to the label buffer.
    fn entry(&self, raw: Raw<'a>) -> Entry<'_> {
        match raw {
            Raw::Sample {
                value,
                timestamp_ms,
            } => Entry::Sample {
                name: self.name,
                labels: &self.labels,
                value,
                timestamp_ms,
            },
            Raw::Type { metric, kind } => Entry::Type { metric, kind },
            Raw::Help { metric, text } => Entry::Help { metric, text },
            Raw::Unit { metric, unit } => Entry::Unit { metric, unit },
            Raw::Comment(text) => Entry::Comment { text },
            Raw::Eof => Entry::Eof,
        }
    }

    /// Reads lines until one yields an entry; `None` at the end of text input.
    fn advance(&mut self) -> Result<Option<Raw<'a>>, ParseErrorKind> {
        loop {
            let Some(line) = self.next_line() else {
                return match self.format {
                    Format::Text => Ok(None),
                    Format::OpenMetrics => {
                        self.line += 1;
                        Err(ParseErrorKind::MissingEof)
                    }
                };
            };
            let raw = match self.format {
                Format::Text => self.text_line(line)?,
                Format::OpenMetrics => Some(self.om_line(line)?),
            };
            if let Some(raw) = raw {
                if matches!(raw, Raw::Sample { .. }) {
                    self.has_sample = true;
                }
                return Ok(Some(raw));
            }
        }
    }

    /// The next line without its `\n`, counting it; `None` at the end of input.
    fn next_line(&mut self) -> Option<&'a [u8]> {
        let rest = self.input.get(self.pos..).filter(|r| !r.is_empty())?;
        self.line += 1;
        let len = scan::find_newline(rest).unwrap_or(rest.len());
        self.pos = self.pos.saturating_add(len + 1).min(self.input.len());
        rest.get(..len)
    }

    /// One line of the text format; `None` for a blank line.
    fn text_line(&mut self, line: &'a [u8]) -> Result<Option<Raw<'a>>, ParseErrorKind> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let indent = line.iter().position(|&b| !is_ws(b));
        match indent.and_then(|i| line.get(i..)) {
            None => Ok(None),
            Some([b'#', after @ ..]) => text_meta(after).map(Some),
            Some(rest) => self
                .sample(Cursor::new(scan::utf8(rest, "sample line")?))
                .map(Some),
        }
    }

    /// One line of OpenMetrics.
    fn om_line(&mut self, line: &'a [u8]) -> Result<Raw<'a>, ParseErrorKind> {
        if line == b"# EOF" {
            if self.pos < self.input.len() {
                self.line += 1;
                return Err(ParseErrorKind::DataAfterEof);
            }
            self.done = true;
            return Ok(Raw::Eof);
        }
        let text = scan::utf8(line, "line")?;
        match line.first() {
            None => Err(ParseErrorKind::BlankLine),
            Some(b'#') => om_meta(text),
            Some(_) => self.sample(Cursor::new(text)),
        }
    }

    /// A sample line, in either format.
    fn sample(&mut self, mut cur: Cursor<'a>) -> Result<Raw<'a>, ParseErrorKind> {
        let om = self.format == Format::OpenMetrics;
        let start = cur.rest();
        self.labels.clear();
        self.name = cur.metric_name()?;
        if !om {
            cur.skip_ws();
        }
        if cur.eat(b'{') {
            self.label_set(&mut cur)?;
            check_unique(&self.labels)?;
        }
        let series_len = start.len().saturating_sub(cur.rest().len());
        self.series = start.as_bytes().get(..series_len).unwrap_or_default();
        let value_tok = if om {
            cur.expect(b' ', "' ' before the value")?;
            cur.take_until(|b| b == b' ')
        } else {
            // The name scan stopped at whitespace, `{` or the end, so a value cannot be glued to
            // the name; after `}` Prometheus allows it, and so do we.
            cur.skip_ws();
            cur.take_until(is_ws)
        };
        if value_tok.is_empty() {
            return Err(unexpected("a value", cur.rest()));
        }
        let value = scan::parse_value(value_tok)?;
        let timestamp_ms = if om {
            self.om_tail(&mut cur)?
        } else {
            text_tail(&mut cur)?
        };
        Ok(Raw::Sample {
            value,
            timestamp_ms,
        })
    }

    /// The labels after `{`, up to and including `}`, appended to `self.labels`.
    fn label_set(&mut self, cur: &mut Cursor<'a>) -> Result<(), ParseErrorKind> {
        let text = self.format == Format::Text;
        loop {
            if text {
                cur.skip_ws();
            }
            if cur.eat(b'}') {
                return Ok(());
            }
            let name = cur.label_name()?;
            if text {
                cur.skip_ws();
            }
            cur.expect(b'=', "'=' after label name")?;
            if text {
                cur.skip_ws();
            }
            let value = cur.quoted()?;
            self.labels.push((name, value));
            if text {
                cur.skip_ws();
            }
            if !cur.eat(b',') && cur.peek() != Some(b'}') {
                return Err(unexpected("',' or '}' after label value", cur.rest()));
            }
        }
    }

    /// OpenMetrics after the value: ` timestamp`, ` # exemplar`, both, or nothing.
    fn om_tail(&mut self, cur: &mut Cursor<'a>) -> Result<Option<i64>, ParseErrorKind> {
        if cur.is_empty() {
            return Ok(None);
        }
        cur.expect(b' ', "' ' after value")?;
        if cur.eat_str("# ") {
            self.exemplar(cur)?;
            return Ok(None);
        }
        let ts = scan::parse_om_timestamp(cur.take_until(|b| b == b' '))?;
        if !cur.is_empty() {
            if !cur.eat_str(" # ") {
                return Err(unexpected(
                    "' # ' and an exemplar, or end of line",
                    cur.rest(),
                ));
            }
            self.exemplar(cur)?;
        }
        Ok(Some(ts))
    }

    /// An exemplar after ` # `: `{labels} value [timestamp]`, validated and dropped.
    fn exemplar(&mut self, cur: &mut Cursor<'a>) -> Result<(), ParseErrorKind> {
        cur.expect(b'{', "'{' to open the exemplar labels")?;
        let mark = self.labels.len();
        let parsed = self.label_set(cur);
        let unique = self.labels.get(mark..).map_or(Ok(()), check_unique);
        self.labels.truncate(mark);
        parsed?;
        unique?;
        cur.expect(b' ', "' ' and the exemplar value")?;
        scan::parse_value(cur.take_until(|b| b == b' '))?;
        if cur.eat(b' ') {
            scan::parse_om_timestamp(cur.take_until(|b| b == b' '))?;
        }
        if cur.is_empty() {
            Ok(())
        } else {
            Err(unexpected("end of line after exemplar", cur.rest()))
        }
    }
}

/// Text format after the value: optional whitespace, integer-ms timestamp, whitespace.
fn text_tail(cur: &mut Cursor<'_>) -> Result<Option<i64>, ParseErrorKind> {
    cur.skip_ws();
    if cur.is_empty() {
        return Ok(None);
    }
    let ts = scan::parse_text_timestamp(cur.take_until(is_ws))?;
    cur.skip_ws();
    if cur.is_empty() {
        Ok(Some(ts))
    } else {
        Err(unexpected("end of line after timestamp", cur.rest()))
    }
}

/// Refuses a repeated label name or a label named `__name__`.
fn check_unique(labels: &[LabelPair<'_>]) -> Result<(), ParseErrorKind> {
    let dup = |name: &str| Err(ParseErrorKind::DuplicateLabelName(name.to_owned()));
    // Quadratic is fastest for the handful of labels real samples have; sort past that.
    if labels.len() <= 16 {
        for (i, (name, _)) in labels.iter().enumerate() {
            if *name == METRIC_NAME || labels.iter().take(i).any(|(n, _)| n == name) {
                return dup(name);
            }
        }
        return Ok(());
    }
    let mut names: Vec<&str> = labels.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    if let Some(name) = names.iter().find(|n| **n == METRIC_NAME) {
        return dup(name);
    }
    match names.windows(2).find(|w| w.first() == w.last()) {
        Some(w) => dup(w.first().copied().unwrap_or_default()),
        None => Ok(()),
    }
}

/// A text-format `#` line, given what follows the `#`: `# HELP`, `# TYPE`, or a comment (which
/// need not be UTF-8).
fn text_meta(after_hash: &[u8]) -> Result<Raw<'_>, ParseErrorKind> {
    let comment = Ok(Raw::Comment(after_hash));
    let Some(keyword_at) = after_hash
        .iter()
        .position(|&b| !is_ws(b))
        .filter(|&i| i > 0)
    else {
        return comment;
    };
    let Some(rest) = after_hash.get(keyword_at..) else {
        return comment;
    };
    let is_help = rest.starts_with(b"HELP");
    if !(is_help || rest.starts_with(b"TYPE")) || !rest.get(4).is_some_and(|&b| is_ws(b)) {
        return comment;
    }
    let mut cur = Cursor::new(scan::utf8(
        rest.get(4..).unwrap_or_default(),
        "HELP or TYPE line",
    )?);
    cur.skip_ws();
    let metric = cur.metric_name()?;
    if !cur.is_empty() && !cur.peek().is_some_and(is_ws) {
        return Err(unexpected("whitespace after metric name", cur.rest()));
    }
    // Like Prometheus, exactly one separator is dropped: HELP keeps further leading spaces.
    let _ = cur.eat(b' ') || cur.eat(b'\t');
    if is_help {
        return Ok(Raw::Help {
            metric,
            text: scan::help_text(cur.rest(), false),
        });
    }
    let word = cur.rest().trim_ascii();
    match MetricType::parse(word, Format::Text) {
        Some(kind) => Ok(Raw::Type { metric, kind }),
        None => Err(ParseErrorKind::InvalidMetricType(word.to_owned())),
    }
}

/// An OpenMetrics descriptor line: `# HELP`, `# TYPE` or `# UNIT` (`# EOF` is handled by the caller).
fn om_meta(line: &str) -> Result<Raw<'_>, ParseErrorKind> {
    let mut cur = Cursor::new(line);
    let kw = ["# HELP ", "# TYPE ", "# UNIT "]
        .into_iter()
        .position(|kw| cur.eat_str(kw));
    let Some(kw) = kw else {
        return Err(ParseErrorKind::InvalidDescriptor(scan::snippet(
            line.as_bytes(),
        )));
    };
    let metric = cur.metric_name()?;
    cur.expect(b' ', "' ' after metric name")?;
    let text = cur.rest();
    match kw {
        0 => Ok(Raw::Help {
            metric,
            text: scan::help_text(text, true),
        }),
        1 => match MetricType::parse(text, Format::OpenMetrics) {
            Some(kind) => Ok(Raw::Type { metric, kind }),
            None => Err(ParseErrorKind::InvalidMetricType(text.to_owned())),
        },
        _ => {
            let suffix_ok = metric
                .strip_suffix(text)
                .is_some_and(|head| head.ends_with('_'));
            if text.is_empty() || suffix_ok {
                Ok(Raw::Unit { metric, unit: text })
            } else {
                Err(ParseErrorKind::UnitNotSuffix {
                    metric: metric.to_owned(),
                    unit: text.to_owned(),
                })
            }
        }
    }
}

/// Parses `data` in both formats to the end, checking the parser's invariants; for fuzzing.
#[cfg(any(test, feature = "testing"))]
pub fn fuzz_parse(data: &[u8]) {
    let _ = Format::detect(data);
    for format in [Format::Text, Format::OpenMetrics] {
        let mut parser = Parser::new(data, format);
        let mut entries = 0u64;
        let mut last_line = 0;
        while let Some(entry) = parser.next() {
            let is_sample = matches!(entry, Ok(Entry::Sample { .. }));
            entries += 1;
            assert!(parser.line() > last_line, "every entry consumes a line");
            last_line = parser.line();
            if is_sample {
                let _ = parser.series_labels();
            }
        }
        assert!(entries <= data.len() as u64 + 1, "more entries than lines");
    }
}

/// Replays the inputs saved under `fuzz/regressions/exposition_parser/`, so crashes found by
/// fuzzing stay fixed.
#[cfg(test)]
#[test]
fn fuzz_regressions_replay() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions/exposition_parser");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir)
        .expect("regression corpus")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).expect("readable input");
        let r = std::panic::catch_unwind(|| fuzz_parse(&bytes));
        assert!(r.is_ok(), "{} panics the parser", entry.path().display());
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}
