//! Duration expressions: arithmetic where PromQL expects a duration, rewritten into plain
//! durations before `promql-parser` (which reads only plain ones) sees the query.
//!
//! Prometheus 3 (feature `promql-duration-expr`; grammar in prometheus/prometheus v3.14
//! `promql/parser/generated_parser.y`, rules `duration_expr`, `positive_duration_expr` and
//! `offset_duration_expr`; evaluation in `promql/durations.go`) accepts:
//!
//! * as the range and the step of `[range]` / `[range:step]`: a whole arithmetic expression
//!   over numbers (seconds), durations, `step()`, `range()`, `min_of(a, b)` and `max_of(a, b)`,
//!   with unary `+`/`-`, parentheses and `+ - * / % ^` at PromQL's precedence (unary binds like
//!   `*`, so `-2^2` is `-(2^2)`; `^` is right-associative);
//! * after `offset`: one *primary* only — a signed literal, a signed `step()`, `range()`,
//!   `min_of(..)`/`max_of(..)`, or a signed parenthesis — so `x offset 100 + 2` is
//!   `(x offset 100) + 2`. An unsigned parenthesis is the exception: the upstream parser shifts
//!   an operator that follows it (its rule `offset_duration_expr: duration_expr` has no
//!   precedence), so `x offset (1m) * 2` is an offset of 2m.
//! * `@` takes a plain number upstream (`expr AT signed_or_unsigned_number`), so the text after
//!   `@` is never touched: `x @ 100 + 50` is `(x @ 100) + 50`.
//!
//! The pass tokenizes the query (skipping strings, `#` comments and label matchers), parses the
//! expression at each of those places, evaluates it in `f64` seconds as upstream does, truncates
//! it to whole milliseconds and prints it back as a plain duration (`1h30m`, `1s500ms`, `-1m`
//! after `offset`, `0` for a zero offset or range). A single literal that `promql-parser` reads
//! the same way is left as written, so a query without duration arithmetic comes back borrowed
//! and byte-for-byte unchanged.
//!
//! Errors copy upstream's text. What its parser rejects (a literal range or step of 0 or less, a
//! literal divisor of 0, a literal beyond ±2^63 ns, a malformed duration) is a parse error at the
//! byte where it is; what only evaluation finds is `start:end: <message>` with the byte range of
//! the expression, as `durations.go` reports it. Both are [`QueryError::Parse`]: upstream
//! rejects the query before running it.
#![deny(clippy::indexing_slicing)]

mod syntax;
mod tokens;

use std::borrow::Cow;

use self::syntax::{BinaryOp, Failure, MAX_MILLIS, Node, Parser, UNITS, millis_to_seconds};
use self::tokens::{Span, Token, TokenKind, tokenize};
use super::QueryError;

/// Rewrites the duration expressions of `query` into plain durations. `start` and `end` are the
/// query's bounds (ms) and `step` its resolution (ms, 0 for an instant query): `range()` is
/// `end - start` and `step()` is `step`.
pub(crate) fn rewrite(
    query: &str,
    start: i64,
    end: i64,
    step: i64,
) -> Result<Cow<'_, str>, QueryError> {
    let tokens = tokenize(query);
    let sites = SiteFinder::new(query, &tokens).find()?;
    if sites.is_empty() {
        return Ok(Cow::Borrowed(query));
    }
    let window = QueryWindow {
        step_seconds: millis_to_seconds(step),
        range_seconds: millis_to_seconds(end.saturating_sub(start)),
    };
    let mut edits = Vec::with_capacity(sites.len());
    for site in &sites {
        let seconds = evaluate(&site.node, &window)?;
        let millis = to_millis(seconds, site.allow_negative, site.node.span())?;
        edits.push((site.node.span(), format_millis(millis)));
    }
    Ok(Cow::Owned(splice(query, &edits)))
}

/// What `step()` and `range()` stand for in one query.
#[derive(Debug, Clone, Copy)]
struct QueryWindow {
    /// The query's step; 0 for an instant query.
    step_seconds: f64,
    /// `end - start` of the query; 0 for an instant query.
    range_seconds: f64,
}

/// A duration expression that must be replaced by its value.
#[derive(Debug)]
struct Site {
    node: Node,
    /// Offsets may be negative; ranges and steps must be positive.
    allow_negative: bool,
}

/// Keywords after which an operand is still to come, so an `offset` after them is a metric name.
const KEYWORDS_BEFORE_OPERAND: [&str; 11] = [
    "and",
    "or",
    "unless",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
];

/// Walks the tokens and parses every range, subquery step and offset.
struct SiteFinder<'q> {
    query: &'q str,
    tokens: &'q [Token],
    /// Index of the next token to look at.
    next: usize,
    /// Whether the tokens so far end an operand, so that `offset` here is the modifier.
    after_operand: bool,
    sites: Vec<Site>,
}

impl<'q> SiteFinder<'q> {
    fn new(query: &'q str, tokens: &'q [Token]) -> Self {
        SiteFinder {
            query,
            tokens,
            next: 0,
            after_operand: false,
            sites: Vec::new(),
        }
    }

    /// The sites in text order; a parse error when a duration expression is malformed.
    fn find(mut self) -> Result<Vec<Site>, QueryError> {
        while let Some(&token) = self.tokens.get(self.next) {
            self.next += 1;
            match token.kind {
                TokenKind::LeftBrace => self.skip_matchers(),
                TokenKind::LeftBracket => {
                    if !self.bracket(token)? {
                        // Unclosed: promql-parser reports it.
                        break;
                    }
                }
                TokenKind::Ident if self.after_operand && self.is_word(token, "offset") => {
                    self.offset()?;
                }
                _ => self.after_operand = self.ends_operand(token),
            }
        }
        Ok(self.sites)
    }

    fn is_word(&self, token: Token, word: &str) -> bool {
        self.text(token.span).eq_ignore_ascii_case(word)
    }

    fn text(&self, span: Span) -> &'q str {
        self.query.get(span.start..span.end).unwrap_or_default()
    }

    fn ends_operand(&self, token: Token) -> bool {
        match token.kind {
            TokenKind::Number
            | TokenKind::Duration
            | TokenKind::Str
            | TokenKind::RightParen
            | TokenKind::RightBracket
            | TokenKind::RightBrace => true,
            TokenKind::Ident => !KEYWORDS_BEFORE_OPERAND
                .iter()
                .any(|k| self.is_word(token, k)),
            _ => false,
        }
    }

    /// Skips a `{...}` of label matchers (names there are never keywords).
    fn skip_matchers(&mut self) {
        let mut depth = 1usize;
        while let Some(token) = self.tokens.get(self.next) {
            self.next += 1;
            match token.kind {
                TokenKind::LeftBrace => depth += 1,
                TokenKind::RightBrace => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        self.after_operand = true;
    }

    /// Parses the range and the optional step of the bracket opened by `open`. `false` when the
    /// bracket is never closed.
    fn bracket(&mut self, open: Token) -> Result<bool, QueryError> {
        let rest = self.tokens.get(self.next..).unwrap_or_default();
        let Some(close_at) = rest.iter().position(|t| t.kind == TokenKind::RightBracket) else {
            return Ok(false);
        };
        let inside = rest.get(..close_at).unwrap_or_default();
        let close = rest.get(close_at).map_or(open.span, |t| t.span);
        let colon_at = inside.iter().position(|t| t.kind == TokenKind::Colon);
        let (range, step) = match colon_at {
            Some(i) => (
                inside.get(..i).unwrap_or_default(),
                Some(inside.get(i + 1..).unwrap_or_default()),
            ),
            None => (inside, None),
        };
        let range_end = match colon_at.and_then(|i| inside.get(i)) {
            Some(colon) => colon.span,
            None => close,
        };
        self.positive_part(range, range_end)?;
        // An empty step (`[5m:]`) means the default step.
        if let Some(step) = step.filter(|s| !s.is_empty()) {
            self.positive_part(step, close)?;
        }
        self.next += close_at + 1;
        self.after_operand = true;
        Ok(true)
    }

    /// Parses one part of a bracket, which must be positive; `terminator` is the `:` or `]`
    /// after it.
    fn positive_part(&mut self, tokens: &[Token], terminator: Span) -> Result<(), QueryError> {
        let mut parser = Parser::new(self.query, tokens, terminator);
        let node = parser.whole().map_err(Failure::into_error)?;
        if let Some(value) = node.literal_value()
            && (value <= 0.0 || value.is_nan())
        {
            let failure = Failure::invalid(node.span().start, "duration must be greater than 0");
            return Err(failure.into_error());
        }
        if !matches!(node, Node::Literal { .. }) {
            self.sites.push(Site {
                node,
                allow_negative: false,
            });
        }
        Ok(())
    }

    /// Parses the expression after an `offset` modifier. One that does not start like a
    /// duration expression is left alone for promql-parser to report.
    fn offset(&mut self) -> Result<(), QueryError> {
        let rest = self.tokens.get(self.next..).unwrap_or_default();
        let end = Span {
            start: self.query.len(),
            end: self.query.len(),
        };
        let mut parser = Parser::new(self.query, rest, end);
        match parser.offset() {
            Ok(node) => {
                self.next += parser.next;
                self.after_operand = true;
                if !node.is_plain_offset() {
                    self.sites.push(Site {
                        node,
                        allow_negative: true,
                    });
                }
                Ok(())
            }
            Err(failure) if failure.unexpected_token => {
                self.after_operand = false;
                Ok(())
            }
            Err(failure) => Err(failure.into_error()),
        }
    }
}

/// An error upstream's duration evaluation reports: `start:end: message`.
fn evaluation_error(span: Span, message: &str) -> QueryError {
    QueryError::Parse {
        position: Some(span.start),
        message: format!("{}:{}: {message}", span.start, span.end),
    }
}

/// The value of `node` in seconds, as `durations.go` computes it (`f64`, left operand first).
fn evaluate(node: &Node, window: &QueryWindow) -> Result<f64, QueryError> {
    match node {
        Node::Literal { seconds, .. } => Ok(*seconds),
        Node::Step(_) => Ok(window.step_seconds),
        Node::Range(_) => Ok(window.range_seconds),
        Node::Paren { inner, .. } => evaluate(inner, window),
        Node::Unary {
            negative, operand, ..
        } => {
            let value = evaluate(operand, window)?;
            Ok(if *negative { -value } else { value })
        }
        Node::Extreme { max, lhs, rhs, .. } => {
            let (a, b) = (evaluate(lhs, window)?, evaluate(rhs, window)?);
            // Go's math.Min and math.Max return NaN when either side is NaN.
            Ok(if a.is_nan() || b.is_nan() {
                f64::NAN
            } else if *max {
                a.max(b)
            } else {
                a.min(b)
            })
        }
        Node::Binary { op, lhs, rhs, span } => {
            let (a, b) = (evaluate(lhs, window)?, evaluate(rhs, window)?);
            if let Some(message) = op.zero_divisor_message()
                && b == 0.0
            {
                return Err(evaluation_error(*span, message));
            }
            Ok(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div => a / b,
                // Truncated remainder, as Go's math.Mod.
                BinaryOp::Mod => a % b,
                BinaryOp::Pow => a.powf(b),
            })
        }
    }
}

/// `seconds` as whole milliseconds, truncated toward zero as upstream's
/// `time.Duration(seconds*1000) * time.Millisecond`.
fn to_millis(seconds: f64, allow_negative: bool, span: Span) -> Result<i64, QueryError> {
    if seconds <= 0.0 && !allow_negative {
        return Err(evaluation_error(span, "duration must be greater than 0"));
    }
    let millis = (seconds * 1000.0).trunc();
    if millis.abs() > MAX_MILLIS as f64 || millis.is_nan() {
        return Err(evaluation_error(span, "duration is out of range"));
    }
    Ok(millis as i64)
}

/// `millis` as promql-parser reads it: `1h30m`, `1s500ms`, `-5m`; `0` for zero (it rejects
/// `0s`).
fn format_millis(millis: i64) -> String {
    if millis == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    if millis < 0 {
        out.push('-');
    }
    let mut rest = millis.unsigned_abs();
    for (unit, size) in UNITS {
        let size = size.unsigned_abs();
        let count = rest / size;
        if count > 0 {
            out.push_str(&count.to_string());
            out.push_str(unit);
            rest %= size;
        }
    }
    out
}

/// `query` with each span replaced by its text; spans are in order and do not overlap. A
/// space keeps a replacement from running into a neighbouring word (`offset(1m)` → `offset 1m`).
fn splice(query: &str, edits: &[(Span, String)]) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.');
    let mut out = String::with_capacity(query.len() + 8 * edits.len());
    let mut copied = 0;
    for (span, text) in edits {
        out.push_str(query.get(copied..span.start).unwrap_or_default());
        let before = query.get(..span.start).and_then(|s| s.chars().next_back());
        if before.is_some_and(is_word) {
            out.push(' ');
        }
        out.push_str(text);
        let after = query.get(span.end..).and_then(|s| s.chars().next());
        if after.is_some_and(is_word) {
            out.push(' ');
        }
        copied = span.end;
    }
    out.push_str(query.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
#[path = "durations_tests.rs"]
mod tests;
