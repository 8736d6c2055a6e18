//! The log half of the grammar: stream selectors, pipeline stages, label filters, and the log
//! ranges of range aggregations.
#![deny(clippy::indexing_slicing)]

use model::{MatchType, Matcher};

use super::{PResult, Parser, regex_error_text};
use crate::logql::syntax::ast::{
    CmpOp, LabelExtraction, LabelFilter, LabelFormat, LabelSelector, LineFilter, LineFilterArg,
    LineFilterKind, LogExpr, LogRange, LogfmtParser, Stage, Unwrap,
};
use crate::logql::syntax::error::ParseError;
use crate::logql::syntax::lexer::{Function, Keyword, ParserFlag, TokenKind};
use crate::logql::syntax::pattern::{parse_pattern, validate_regexp_parser};

/// How a label filter combines with the next one inside an `and`/`or` chain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Junction {
    And,
    Or,
}

impl Parser {
    /// A log query: a selector and its pipeline.
    pub(super) fn parse_log_query(&mut self) -> PResult<LogExpr> {
        let matchers = self.parse_selector()?;
        let stages = self.parse_stages(false)?;
        Ok(LogExpr { matchers, stages })
    }

    /// `{ [matcher {, matcher}] }`.
    fn parse_selector(&mut self) -> PResult<Vec<Matcher>> {
        self.expect_kw(Keyword::LBrace, &["{"])?;
        let mut matchers = Vec::new();
        if self.eat_kw(Keyword::RBrace) {
            return Ok(matchers);
        }
        let mut expected: &[&str] = &["IDENTIFIER", "}"];
        loop {
            let name = self.expect_ident(expected)?;
            matchers.push(self.parse_matcher_rest(name)?);
            if self.eat_kw(Keyword::RBrace) {
                return Ok(matchers);
            }
            self.expect_kw(Keyword::Comma, &["}", ","])?;
            expected = &["IDENTIFIER"];
        }
    }

    /// The operator and value of a matcher whose label name was just read.
    fn parse_matcher_rest(&mut self, name: String) -> PResult<Matcher> {
        let kind = match self.kind() {
            TokenKind::Kw(Keyword::Eq) => MatchType::Equal,
            TokenKind::Kw(Keyword::Neq) => MatchType::NotEqual,
            TokenKind::Kw(Keyword::Re) => MatchType::Regex,
            TokenKind::Kw(Keyword::Nre) => MatchType::NotRegex,
            _ => return Err(self.unexpected(&["=", "=~", "!~", "!="])),
        };
        self.advance();
        let value = self.expect_str(&["STRING"])?;
        new_matcher(kind, name, value)
    }

    /// Pipeline stages, as many as follow. In a log range, `| unwrap` ends them (the caller
    /// reads it); in a log query it is an error.
    pub(super) fn parse_stages(&mut self, in_range: bool) -> PResult<Vec<Stage>> {
        let mut stages = Vec::new();
        loop {
            if let Some(kind) = self.line_filter_kind() {
                self.parse_line_filter(kind, &mut stages)?;
            } else if self.at_kw(Keyword::Pipe) {
                if in_range && *self.kind_at(1) == TokenKind::Kw(Keyword::Unwrap) {
                    break;
                }
                self.advance();
                stages.push(self.parse_pipe_stage()?);
            } else {
                break;
            }
        }
        Ok(stages)
    }

    fn line_filter_kind(&self) -> Option<LineFilterKind> {
        let TokenKind::Kw(keyword) = self.kind() else {
            return None;
        };
        Some(match keyword {
            Keyword::PipeExact => LineFilterKind::Contains,
            Keyword::Neq => LineFilterKind::NotContains,
            Keyword::PipeMatch => LineFilterKind::Regex,
            Keyword::Nre => LineFilterKind::NotRegex,
            Keyword::PipePattern => LineFilterKind::Pattern,
            Keyword::Npa => LineFilterKind::NotPattern,
            _ => return None,
        })
    }

    /// `op arg {or arg}`; a negated filter becomes one stage per alternative, as in Loki
    /// (`!= "a" or "b"` is `!= "a" != "b"`).
    fn parse_line_filter(&mut self, kind: LineFilterKind, stages: &mut Vec<Stage>) -> PResult<()> {
        self.advance();
        let mut alternatives = vec![self.parse_line_filter_arg()?];
        while self.eat_kw(Keyword::Or) {
            alternatives.push(self.parse_line_filter_arg()?);
        }
        if kind.is_negated() {
            for alternative in alternatives {
                stages.push(Stage::LineFilter(LineFilter {
                    kind,
                    alternatives: vec![alternative],
                }));
            }
        } else {
            stages.push(Stage::LineFilter(LineFilter { kind, alternatives }));
        }
        Ok(())
    }

    fn parse_line_filter_arg(&mut self) -> PResult<LineFilterArg> {
        match self.kind() {
            TokenKind::Str(text) => {
                let text = text.clone();
                self.advance();
                Ok(LineFilterArg::Text(text))
            }
            TokenKind::Func(Function::Ip) => Ok(LineFilterArg::Ip(self.parse_ip_call()?)),
            _ => Err(self.unexpected(&["STRING", "ip"])),
        }
    }

    /// `ip("...")`: the argument.
    fn parse_ip_call(&mut self) -> PResult<String> {
        self.advance();
        self.expect_kw(Keyword::LParen, &["("])?;
        let pattern = self.expect_str(&["STRING"])?;
        self.expect_kw(Keyword::RParen, &[")"])?;
        Ok(pattern)
    }

    /// The stage after a `|`.
    fn parse_pipe_stage(&mut self) -> PResult<Stage> {
        let keyword = match self.kind() {
            TokenKind::Ident(_) | TokenKind::Kw(Keyword::LParen) => {
                return Ok(Stage::LabelFilter(self.parse_label_filter()?));
            }
            TokenKind::Kw(
                keyword @ (Keyword::Json
                | Keyword::Logfmt
                | Keyword::Regexp
                | Keyword::Pattern
                | Keyword::Unpack
                | Keyword::Decolorize
                | Keyword::LineFormat
                | Keyword::LabelFormat
                | Keyword::Keep
                | Keyword::Drop),
            ) => *keyword,
            _ => return Err(self.unexpected(&[])),
        };
        self.advance();
        Ok(match keyword {
            Keyword::Json => Stage::Json(self.parse_extractions()?),
            Keyword::Logfmt => Stage::Logfmt(self.parse_logfmt()?),
            Keyword::Regexp => {
                let regex = self.expect_str(&["STRING"])?;
                validate_regexp_parser(&regex)
                    .map_err(|e| ParseError::unpositioned(format!("invalid regexp parser: {e}")))?;
                Stage::Regexp(regex)
            }
            Keyword::Pattern => {
                let pattern = self.expect_str(&["STRING"])?;
                parse_pattern(&pattern).map_err(|e| {
                    ParseError::unpositioned(format!("invalid pattern parser: {e}"))
                })?;
                Stage::Pattern(pattern)
            }
            Keyword::Unpack => Stage::Unpack,
            Keyword::Decolorize => Stage::Decolorize,
            Keyword::LineFormat => Stage::LineFormat(self.expect_str(&["STRING"])?),
            Keyword::LabelFormat => Stage::LabelFormat(self.parse_label_formats()?),
            Keyword::Keep => Stage::Keep(self.parse_label_selectors()?),
            _ => Stage::Drop(self.parse_label_selectors()?),
        })
    }

    /// `[--strict] [--keep-empty] [extractions]` after `logfmt`.
    fn parse_logfmt(&mut self) -> PResult<LogfmtParser> {
        let mut parser = LogfmtParser::default();
        while let TokenKind::Flag(flag) = self.kind() {
            match flag {
                ParserFlag::Strict => parser.strict = true,
                ParserFlag::KeepEmpty => parser.keep_empty = true,
            }
            self.advance();
        }
        parser.extractions = self.parse_extractions()?;
        Ok(parser)
    }

    /// `label[="expression"] {, label[="expression"]}`, or nothing.
    fn parse_extractions(&mut self) -> PResult<Vec<LabelExtraction>> {
        let mut extractions = Vec::new();
        if !matches!(self.kind(), TokenKind::Ident(_)) {
            return Ok(extractions);
        }
        loop {
            let label = self.expect_ident(&["IDENTIFIER"])?;
            let expression = if self.eat_kw(Keyword::Eq) {
                self.expect_str(&["STRING"])?
            } else {
                label.clone()
            };
            extractions.push(LabelExtraction { label, expression });
            if !self.eat_kw(Keyword::Comma) {
                return Ok(extractions);
            }
        }
    }

    /// `dst=src` or `dst="template"`, comma-separated.
    fn parse_label_formats(&mut self) -> PResult<Vec<LabelFormat>> {
        let mut formats = Vec::new();
        loop {
            let target = self.expect_ident(&["IDENTIFIER"])?;
            self.expect_kw(Keyword::Eq, &["="])?;
            let format = match self.kind() {
                TokenKind::Ident(source) => LabelFormat::Rename {
                    target,
                    source: source.clone(),
                },
                TokenKind::Str(template) => LabelFormat::Template {
                    target,
                    template: template.clone(),
                },
                _ => return Err(self.unexpected(&["IDENTIFIER", "STRING"])),
            };
            self.advance();
            formats.push(format);
            if !self.eat_kw(Keyword::Comma) {
                return Ok(formats);
            }
        }
    }

    /// `label` or a matcher, comma-separated (`keep` and `drop`).
    fn parse_label_selectors(&mut self) -> PResult<Vec<LabelSelector>> {
        let mut selectors = Vec::new();
        loop {
            let name = self.expect_ident(&["IDENTIFIER"])?;
            let is_matcher = matches!(
                self.kind(),
                TokenKind::Kw(Keyword::Eq | Keyword::Neq | Keyword::Re | Keyword::Nre)
            );
            selectors.push(if is_matcher {
                LabelSelector::Matcher(self.parse_matcher_rest(name)?)
            } else {
                LabelSelector::Name(name)
            });
            if !self.eat_kw(Keyword::Comma) {
                return Ok(selectors);
            }
        }
    }

    /// A label filter expression. `and` binds tighter than `or`, both left-associative; a
    /// `,` (or two filters side by side) ands the filter before it with everything after it
    /// (Loki's grammar shifts there), so `a or b, c or d` is `a or (b and (c or d))`. Built
    /// with loops: each `,`-separated segment is an `and`/`or` chain, folded from the right.
    pub(super) fn parse_label_filter(&mut self) -> PResult<LabelFilter> {
        let mut segments: Vec<Vec<(Junction, LabelFilter)>> = Vec::new();
        loop {
            let mut segment = vec![(Junction::And, self.parse_label_filter_primary()?)];
            loop {
                let junction = match self.kind() {
                    TokenKind::Kw(Keyword::And) => Junction::And,
                    TokenKind::Kw(Keyword::Or) => Junction::Or,
                    _ => break,
                };
                self.advance();
                segment.push((junction, self.parse_label_filter_primary()?));
            }
            segments.push(segment);
            let juxtaposed = matches!(
                self.kind(),
                TokenKind::Ident(_) | TokenKind::Kw(Keyword::LParen)
            );
            if !(self.eat_kw(Keyword::Comma) || juxtaposed) {
                break;
            }
        }
        let mut rest: Option<LabelFilter> = None;
        while let Some(mut segment) = segments.pop() {
            if let Some(tail) = rest.take()
                && let Some((junction, head)) = segment.pop()
            {
                segment.push((junction, LabelFilter::And(Box::new(head), Box::new(tail))));
            }
            rest = fold_chain(segment);
        }
        rest.ok_or_else(|| self.unexpected(&[]))
    }

    /// A parenthesized filter or one comparison.
    fn parse_label_filter_primary(&mut self) -> PResult<LabelFilter> {
        let name = match self.kind() {
            TokenKind::Kw(Keyword::LParen) => {
                self.advance();
                self.enter()?;
                let filter = self.parse_label_filter()?;
                self.expect_kw(Keyword::RParen, &[])?;
                self.leave();
                return Ok(filter);
            }
            TokenKind::Ident(name) => name.clone(),
            _ => return Err(self.unexpected(&[])),
        };
        self.advance();
        let TokenKind::Kw(keyword) = self.kind() else {
            return Err(self.unexpected(&[]));
        };
        let keyword = *keyword;
        let op = match keyword {
            Keyword::Re | Keyword::Nre => {
                self.advance();
                let kind = if keyword == Keyword::Re {
                    MatchType::Regex
                } else {
                    MatchType::NotRegex
                };
                let value = self.expect_str(&["STRING"])?;
                return Ok(LabelFilter::Matcher(new_matcher(kind, name, value)?));
            }
            Keyword::Eq | Keyword::CmpEq => CmpOp::Eq,
            Keyword::Neq => CmpOp::Ne,
            Keyword::Gt => CmpOp::Gt,
            Keyword::Gte => CmpOp::Ge,
            Keyword::Lt => CmpOp::Lt,
            Keyword::Lte => CmpOp::Le,
            _ => return Err(self.unexpected(&[])),
        };
        self.advance();
        let equality = matches!(keyword, Keyword::Eq | Keyword::Neq);
        self.parse_comparison_value(name, op, equality)
    }

    /// The value after a comparison operator: a string or `ip(...)` after `=` and `!=` only,
    /// or a duration, a byte size or a number.
    fn parse_comparison_value(
        &mut self,
        name: String,
        op: CmpOp,
        equality: bool,
    ) -> PResult<LabelFilter> {
        let negated = op == CmpOp::Ne;
        match self.kind() {
            TokenKind::Str(value) if equality => {
                let kind = if negated {
                    MatchType::NotEqual
                } else {
                    MatchType::Equal
                };
                let value = value.clone();
                self.advance();
                Ok(LabelFilter::Matcher(new_matcher(kind, name, value)?))
            }
            TokenKind::Func(Function::Ip) if equality => {
                let pattern = self.parse_ip_call()?;
                Ok(LabelFilter::Ip {
                    name,
                    negated,
                    pattern,
                })
            }
            TokenKind::Duration(value_ns) => {
                let value_ns = *value_ns;
                self.advance();
                Ok(LabelFilter::Duration { name, op, value_ns })
            }
            TokenKind::Bytes(value) => {
                let value = *value;
                self.advance();
                Ok(LabelFilter::Bytes { name, op, value })
            }
            TokenKind::Number(_) | TokenKind::Kw(Keyword::Add | Keyword::Sub) => {
                let value = self.parse_signed_literal()?;
                Ok(LabelFilter::Number { name, op, value })
            }
            _ if equality => Err(self.unexpected(&[])),
            _ => Err(self.unexpected(&["BYTES", "NUMBER", "DURATION"])),
        }
    }

    /// The log range of a range aggregation, in any of the orders Loki accepts:
    /// `{..} |pipeline| unwrap [5m] offset 1h`, `{..}[5m] offset 1h |pipeline| unwrap`,
    /// `({..} |pipeline| unwrap)[5m]`, `({..})[5m] unwrap`, `(<log range>)`.
    pub(super) fn parse_log_range(&mut self, expected: &[&str]) -> PResult<LogRange> {
        match self.kind() {
            TokenKind::Kw(Keyword::LBrace) => {
                let matchers = self.parse_selector()?;
                let stages = self.parse_stages(true)?;
                let unwrap = self.parse_unwrap()?;
                self.complete_log_range(matchers, stages, unwrap)
            }
            TokenKind::Kw(Keyword::LParen) => {
                self.advance();
                self.enter()?;
                let range = self.parse_parenthesized_log_range()?;
                self.leave();
                Ok(range)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// After the `(` of a parenthesized log range or selector.
    fn parse_parenthesized_log_range(&mut self) -> PResult<LogRange> {
        if !self.at_kw(Keyword::LBrace) {
            let range = self.parse_log_range(&["{", "("])?;
            self.expect_kw(Keyword::RParen, &[])?;
            return Ok(range);
        }
        let matchers = self.parse_selector()?;
        let stages = self.parse_stages(true)?;
        let unwrap = self.parse_unwrap()?;
        if !self.eat_kw(Keyword::RParen) {
            // `( {..} [5m] ... )`: a whole log range in parentheses.
            let range = self.complete_log_range(matchers, stages, unwrap)?;
            self.expect_kw(Keyword::RParen, &[])?;
            return Ok(range);
        }
        // `( {..} |pipeline| unwrap ) [5m] offset`, and only `unwrap` after a bare selector.
        let (range_ns, offset_ns) = self.parse_range_and_offset()?;
        let unwrap = match unwrap {
            None if stages.is_empty() => self.parse_unwrap()?,
            unwrap => unwrap,
        };
        Ok(LogRange {
            selector: LogExpr { matchers, stages },
            unwrap,
            range_ns,
            offset_ns,
        })
    }

    /// The `[range] [offset d]` of a log range whose selector (and maybe pipeline and unwrap)
    /// were read; after a bare selector, a pipeline and an unwrap may follow the range.
    fn complete_log_range(
        &mut self,
        matchers: Vec<Matcher>,
        mut stages: Vec<Stage>,
        mut unwrap: Option<Unwrap>,
    ) -> PResult<LogRange> {
        let (range_ns, offset_ns) = self.parse_range_and_offset()?;
        if stages.is_empty() && unwrap.is_none() {
            stages = self.parse_stages(true)?;
            unwrap = self.parse_unwrap()?;
        }
        Ok(LogRange {
            selector: LogExpr { matchers, stages },
            unwrap,
            range_ns,
            offset_ns,
        })
    }

    fn parse_range_and_offset(&mut self) -> PResult<(i64, i64)> {
        let TokenKind::Range(range_ns) = self.kind() else {
            return Err(self.unexpected(&[]));
        };
        let range_ns = *range_ns;
        self.advance();
        if !self.eat_kw(Keyword::Offset) {
            return Ok((range_ns, 0));
        }
        let TokenKind::Duration(offset_ns) = self.kind() else {
            return Err(self.unexpected(&["DURATION"]));
        };
        let offset_ns = *offset_ns;
        self.advance();
        Ok((range_ns, offset_ns))
    }

    /// `| unwrap [conversion(]label[)] {| label filter}`, if the next tokens are `| unwrap`.
    fn parse_unwrap(&mut self) -> PResult<Option<Unwrap>> {
        if !(self.at_kw(Keyword::Pipe) && *self.kind_at(1) == TokenKind::Kw(Keyword::Unwrap)) {
            return Ok(None);
        }
        self.advance();
        self.advance();
        let (label, conversion) = match self.kind() {
            TokenKind::Ident(label) => {
                let label = label.clone();
                self.advance();
                (label, None)
            }
            TokenKind::Func(Function::Conversion(conversion)) => {
                let conversion = *conversion;
                self.advance();
                self.expect_kw(Keyword::LParen, &["("])?;
                let label = self.expect_ident(&["IDENTIFIER"])?;
                self.expect_kw(Keyword::RParen, &[")"])?;
                (label, Some(conversion))
            }
            _ => {
                return Err(self.unexpected(&[
                    "IDENTIFIER",
                    "BYTES_CONV",
                    "DURATION_CONV",
                    "DURATION_SECONDS_CONV",
                ]));
            }
        };
        let mut post_filters = Vec::new();
        while self.eat_kw(Keyword::Pipe) {
            post_filters.push(self.parse_label_filter()?);
        }
        Ok(Some(Unwrap {
            label,
            conversion,
            post_filters,
        }))
    }
}

/// A matcher from the parts read; a regex that does not compile stops the parse without a
/// position, as Loki's `mustNewMatcher` does.
fn new_matcher(kind: MatchType, name: String, value: String) -> PResult<Matcher> {
    Matcher::new(kind, name, value).map_err(|e| match e {
        model::LabelError::InvalidRegex { reason, .. } => {
            ParseError::unpositioned(regex_error_text(&reason))
        }
        other => ParseError::unpositioned(other.to_string()),
    })
}

/// An `and`/`or` chain: `and` groups first, then `or`, both left to right. `None` when empty.
fn fold_chain(chain: Vec<(Junction, LabelFilter)>) -> Option<LabelFilter> {
    let mut or_terms: Vec<LabelFilter> = Vec::new();
    for (junction, filter) in chain {
        match (junction, or_terms.pop()) {
            (Junction::And, Some(left)) => {
                or_terms.push(LabelFilter::And(Box::new(left), Box::new(filter)));
            }
            (Junction::Or, Some(left)) => {
                or_terms.push(left);
                or_terms.push(filter);
            }
            (_, None) => or_terms.push(filter),
        }
    }
    or_terms
        .into_iter()
        .reduce(|left, right| LabelFilter::Or(Box::new(left), Box::new(right)))
}
