//! The canonical query text: `Display` on every node prints what Loki's `String()` methods
//! print (`/loki/api/v1/format_query`), so that [`super::parse`] of the text gives the tree back.
//!
//! Loki's forms, in short: binary operations in parentheses, `(a + b)`; label filter pairs in
//! spaced parentheses, `( a>1 , b="x" )`; `sum by (a)(inner)`; `count_over_time({..} | json[5m])`;
//! strings in Go's `strconv.Quote`; offsets and filter durations as Go durations (`5m0s`),
//! ranges as Prometheus durations (`5m`); numeric comparisons with `==`.
//!
//! Where Loki's text loses information, the printer keeps it instead, so printing and parsing
//! again is the identity: a byte size Loki would round (`1.0kB` for 1024 bytes) is printed as
//! `1024B`; a `vector()` value with more than six decimals in full; a non-finite literal, which
//! Loki prints as `NaN`/`+Inf` and cannot read back, as an expression that folds to it
//! (`(0 / 0)`, `(2 ^ 1024)`, `(-2 ^ 1025)`); negative zero, which Loki prints as `-0` and
//! then reads as a duration, as `-0.0`; `ignoring () group_left`, whose grouping Loki drops,
//! in full; and `group_left ()` (not `group_left`) before a right operand in parentheses, which
//! would otherwise read as the label list.

use std::fmt::{self, Display, Formatter, Write};

use model::Matcher;

use super::ast::{
    BinaryExpr, Cardinality, Expr, Grouping, LabelExtraction, LabelFilter, LabelFormat,
    LabelReplace, LabelSelector, LineFilter, LineFilterArg, LogExpr, LogRange, LogfmtParser,
    MatchingLabels, RangeAggregation, SampleExpr, Stage, Unwrap, VectorAggregation,
};
use super::lexer::{TokenKind, tokenize};
use super::literals::{
    format_go_float_f, format_go_float_fixed6, format_go_float_g, go_quote, parse_go_float,
};
use super::units::{format_go_duration, format_humanized_bytes, format_prom_duration};

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(log) => log.fmt(f),
            Expr::Sample(sample) => sample.fmt(f),
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_matcher(f, m)?;
        }
        f.write_char('}')?;
        for stage in &self.stages {
            write!(f, " {stage}")?;
        }
        Ok(())
    }
}

fn write_matcher(f: &mut Formatter<'_>, m: &Matcher) -> fmt::Result {
    write!(f, "{}{}{}", m.name(), m.kind(), go_quote(m.value()))
}

/// Writes `items` separated by `sep`.
fn join<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    sep: &str,
    mut write: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write(f, item)?;
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(filter) => filter.fmt(f),
            Stage::Json(extractions) => {
                f.write_str("| json")?;
                if !extractions.is_empty() {
                    f.write_char(' ')?;
                    join(f, extractions, ",", write_extraction)?;
                }
                Ok(())
            }
            Stage::Logfmt(parser) => write_logfmt(f, parser),
            Stage::Regexp(regex) => write!(f, "| regexp {}", go_quote(regex)),
            Stage::Pattern(pattern) => write!(f, "| pattern {}", go_quote(pattern)),
            Stage::Unpack => f.write_str("| unpack"),
            Stage::Decolorize => f.write_str("| decolorize"),
            Stage::LabelFilter(filter) => write!(f, "| {filter}"),
            Stage::LineFormat(template) => write!(f, "| line_format {}", go_quote(template)),
            Stage::LabelFormat(formats) => {
                f.write_str("| label_format ")?;
                join(f, formats, ",", |f, format| match format {
                    LabelFormat::Rename { target, source } => write!(f, "{target}={source}"),
                    LabelFormat::Template { target, template } => {
                        write!(f, "{target}={}", go_quote(template))
                    }
                })
            }
            Stage::Keep(labels) => {
                f.write_str("| keep ")?;
                join(f, labels, ",", write_label_selector)
            }
            Stage::Drop(labels) => {
                f.write_str("| drop ")?;
                join(f, labels, ",", write_label_selector)
            }
        }
    }
}

fn write_extraction(f: &mut Formatter<'_>, e: &LabelExtraction) -> fmt::Result {
    write!(f, "{}={}", e.label, go_quote(&e.expression))
}

fn write_label_selector(f: &mut Formatter<'_>, selector: &LabelSelector) -> fmt::Result {
    match selector {
        LabelSelector::Name(name) => f.write_str(name),
        LabelSelector::Matcher(m) => write_matcher(f, m),
    }
}

fn write_logfmt(f: &mut Formatter<'_>, parser: &LogfmtParser) -> fmt::Result {
    f.write_str("| logfmt")?;
    if parser.extractions.is_empty() {
        if parser.strict {
            f.write_str(" --strict")?;
        }
        if parser.keep_empty {
            f.write_str(" --keep-empty")?;
        }
        return Ok(());
    }
    f.write_char(' ')?;
    if parser.strict {
        f.write_str("--strict ")?;
    }
    if parser.keep_empty {
        f.write_str("--keep-empty ")?;
    }
    join(f, &parser.extractions, ",", write_extraction)
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind.symbol())?;
        join(f, &self.alternatives, " or ", |f, arg| match arg {
            LineFilterArg::Text(text) => f.write_str(&go_quote(text)),
            LineFilterArg::Ip(pattern) => write!(f, "ip({})", go_quote(pattern)),
        })
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilter::Matcher(m) => write_matcher(f, m),
            LabelFilter::Number { name, op, value } => {
                let text = readable_zero(format_go_float_f(*value));
                write!(f, "{name}{}{text}", op.symbol())
            }
            LabelFilter::Duration { name, op, value_ns } => {
                write!(f, "{name}{}{}", op.symbol(), format_go_duration(*value_ns))
            }
            LabelFilter::Bytes { name, op, value } => {
                write!(f, "{name}{}{}", op.symbol(), bytes_text(*value))
            }
            LabelFilter::Ip {
                name,
                negated,
                pattern,
            } => {
                let op = if *negated { "!=" } else { "=" };
                write!(f, "{name}{op}ip({})", go_quote(pattern))
            }
            LabelFilter::And(left, right) => write!(f, "( {left} , {right} )"),
            LabelFilter::Or(left, right) => write!(f, "( {left} or {right} )"),
        }
    }
}

/// Loki's humanized size (`10kB`), or the exact `<n>B` when that would not read back as `n`.
fn bytes_text(n: u64) -> String {
    let humanized = format_humanized_bytes(n);
    let reads_back = matches!(
        tokenize(&humanized).as_slice(),
        [first, last] if first.kind == TokenKind::Bytes(n) && last.kind == TokenKind::Eof
    );
    if reads_back {
        humanized
    } else {
        format!("{n}B")
    }
}

impl Display for SampleExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SampleExpr::RangeAggregation(agg) => agg.fmt(f),
            SampleExpr::VectorAggregation(agg) => agg.fmt(f),
            SampleExpr::Binary(bin) => bin.fmt(f),
            SampleExpr::Literal(v) => f.write_str(&literal_text(*v)),
            SampleExpr::Vector(v) => {
                let fixed = format_go_float_fixed6(*v);
                if parse_go_float(&fixed) == Ok(*v) {
                    write!(f, "vector({fixed})")
                } else {
                    write!(f, "vector({})", format_go_float_f(*v))
                }
            }
            SampleExpr::LabelReplace(lr) => lr.fmt(f),
        }
    }
}

/// Loki's `fmt.Sprint` of a literal; a non-finite value as an expression that folds to it.
fn literal_text(v: f64) -> String {
    if v.is_nan() {
        "(0 / 0)".to_owned()
    } else if v == f64::INFINITY {
        "(2 ^ 1024)".to_owned()
    } else if v == f64::NEG_INFINITY {
        "(-2 ^ 1025)".to_owned()
    } else {
        readable_zero(format_go_float_g(v))
    }
}

/// Go prints negative zero as `-0`, which Loki's lexer reads as a duration (Go's
/// `time.ParseDuration` takes `-0`); `-0.0` reads back as the number.
fn readable_zero(text: String) -> String {
    if text == "-0" {
        "-0.0".to_owned()
    } else {
        text
    }
}

impl Display for RangeAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.name())?;
        if let Some(param) = self.param {
            write!(f, "{},", format_go_float_f(param))?;
        }
        write!(f, "{})", self.range)?;
        if let Some(grouping) = &self.grouping {
            grouping.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.selector.fmt(f)?;
        if let Some(unwrap) = &self.unwrap {
            unwrap.fmt(f)?;
        }
        write!(f, "[{}]", format_prom_duration(self.range_ns))?;
        if self.offset_ns != 0 {
            write!(f, " offset {}", format_go_duration(self.offset_ns))?;
        }
        Ok(())
    }
}

impl Display for Unwrap {
    /// ` | unwrap label` (with a leading space, as Loki writes it after the pipeline).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.conversion {
            Some(conversion) => write!(f, " | unwrap {}({})", conversion.name(), self.label)?,
            None => write!(f, " | unwrap {}", self.label)?,
        }
        for filter in &self.post_filters {
            write!(f, " | {filter}")?;
        }
        Ok(())
    }
}

impl Display for Grouping {
    /// ` by (a,b)` or ` without (a,b)`, with a leading space.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let keyword = if self.without { "without" } else { "by" };
        write!(f, " {keyword} ({})", self.labels.join(","))
    }
}

impl Display for VectorAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.name())?;
        if self.grouping.without || !self.grouping.labels.is_empty() {
            self.grouping.fmt(f)?;
        }
        f.write_char('(')?;
        if let Some(k) = self.param {
            write!(f, "{k},")?;
        }
        write!(f, "{})", self.inner)
    }
}

impl Display for BinaryExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "({} {}", self.lhs, self.op.name())?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        let (keyword, labels) = match &self.matching.labels {
            MatchingLabels::On(labels) => ("on", labels),
            MatchingLabels::Ignoring(labels) => ("ignoring", labels),
        };
        let rhs = self.rhs.to_string();
        let has_group = self.matching.card != Cardinality::OneToOne;
        if keyword == "on" || !labels.is_empty() || has_group {
            // Loki writes "%s %s (%s) %s": without a group the trailing space stays, so the
            // right operand follows after two spaces.
            write!(f, " {keyword} ({}) ", labels.join(","))?;
            // `group_left (` would read the right operand's parenthesis as the label list.
            let parenthesized = rhs.starts_with('(');
            match &self.matching.card {
                Cardinality::OneToOne => {}
                Cardinality::ManyToOne(include) => {
                    write_group(f, "group_left", include, parenthesized)?;
                }
                Cardinality::OneToMany(include) => {
                    write_group(f, "group_right", include, parenthesized)?;
                }
            }
        }
        write!(f, " {rhs})")
    }
}

/// `group_left`, `group_left (a,b)`, or `group_left ()` before a parenthesized operand.
fn write_group(
    f: &mut Formatter<'_>,
    keyword: &str,
    include: &[String],
    before_parenthesis: bool,
) -> fmt::Result {
    f.write_str(keyword)?;
    if !include.is_empty() || before_parenthesis {
        write!(f, " ({})", include.join(","))?;
    }
    Ok(())
}

impl Display for LabelReplace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label_replace({},{},{},{},{})",
            self.inner,
            go_quote(&self.destination),
            go_quote(&self.replacement),
            go_quote(&self.source),
            go_quote(&self.regex)
        )
    }
}
