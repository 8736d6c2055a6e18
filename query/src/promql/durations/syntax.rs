//! The syntax of duration expressions (upstream's `duration_expr` and `offset_duration_expr`)
//! and of the literals in them.
#![deny(clippy::indexing_slicing)]

use super::tokens::{Span, Token, TokenKind};
use crate::promql::QueryError;

/// A parsed duration expression; every node knows the bytes it was written in.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// A number (seconds) or a duration.
    Literal {
        seconds: f64,
        written_as_duration: bool,
        span: Span,
    },
    /// `step()`.
    Step(Span),
    /// `range()`.
    Range(Span),
    /// `+operand` or `-operand`.
    Unary {
        negative: bool,
        operand: Box<Node>,
        span: Span,
    },
    /// `lhs op rhs`.
    Binary {
        op: BinaryOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
        span: Span,
    },
    /// `min_of(lhs, rhs)` or `max_of(lhs, rhs)`.
    Extreme {
        max: bool,
        lhs: Box<Node>,
        rhs: Box<Node>,
        span: Span,
    },
    /// `(inner)`.
    Paren { inner: Box<Node>, span: Span },
}

impl Node {
    /// The bytes the node was written in, parentheses and signs included.
    pub(super) fn span(&self) -> Span {
        match self {
            Node::Literal { span, .. }
            | Node::Step(span)
            | Node::Range(span)
            | Node::Unary { span, .. }
            | Node::Binary { span, .. }
            | Node::Extreme { span, .. }
            | Node::Paren { span, .. } => *span,
        }
    }

    /// The value when the node is a literal under signs and parentheses: upstream folds those
    /// into one number literal, which its parser checks (positive ranges, zero divisors).
    pub(super) fn literal_value(&self) -> Option<f64> {
        match self {
            Node::Literal { seconds, .. } => Some(*seconds),
            Node::Unary {
                negative, operand, ..
            } => operand
                .literal_value()
                .map(|v| if *negative { -v } else { v }),
            Node::Paren { inner, .. } => inner.literal_value(),
            _ => None,
        }
    }

    /// Whether promql-parser reads this offset as written: a literal with an optional sign,
    /// except a zero duration (`0s`), which it rejects while upstream reads it as no offset.
    pub(super) fn is_plain_offset(&self) -> bool {
        let literal = match self {
            Node::Unary { operand, .. } => operand.as_ref(),
            other => other,
        };
        match literal {
            Node::Literal {
                seconds,
                written_as_duration,
                ..
            } => !*written_as_duration || *seconds != 0.0,
            _ => false,
        }
    }
}

/// The arithmetic of duration expressions (PromQL's, without comparisons, sets and `atan2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

/// The precedence unary signs bind with: like `*`, so only `^` binds tighter.
const UNARY_OPERAND_PRECEDENCE: u8 = 3;
/// The lowest precedence: a whole expression.
const LOWEST_PRECEDENCE: u8 = 1;

impl BinaryOp {
    fn of(kind: TokenKind) -> Option<BinaryOp> {
        Some(match kind {
            TokenKind::Add => BinaryOp::Add,
            TokenKind::Sub => BinaryOp::Sub,
            TokenKind::Mul => BinaryOp::Mul,
            TokenKind::Div => BinaryOp::Div,
            TokenKind::Mod => BinaryOp::Mod,
            TokenKind::Pow => BinaryOp::Pow,
            _ => return None,
        })
    }

    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Add | BinaryOp::Sub => 1,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 2,
            BinaryOp::Pow => 3,
        }
    }

    /// What upstream says when the right-hand side is zero, for the ops that refuse it.
    pub(super) fn zero_divisor_message(self) -> Option<&'static str> {
        match self {
            BinaryOp::Div => Some("division by zero"),
            BinaryOp::Mod => Some("modulo by zero"),
            _ => None,
        }
    }
}

/// Why a duration expression did not parse.
#[derive(Debug)]
pub(super) struct Failure {
    position: usize,
    message: String,
    /// The text is not a duration expression at all (as opposed to a malformed one), so after
    /// `offset` it may be something this pass does not know; promql-parser gets to judge it.
    pub(super) unexpected_token: bool,
}

impl Failure {
    pub(super) fn invalid(position: usize, message: impl Into<String>) -> Failure {
        Failure {
            position,
            message: message.into(),
            unexpected_token: false,
        }
    }

    pub(super) fn into_error(self) -> QueryError {
        QueryError::Parse {
            position: Some(self.position),
            message: format!("parse error: {}", self.message),
        }
    }
}

/// The largest literal upstream accepts, in seconds: 2^63 ns.
const MAX_LITERAL_SECONDS: f64 = 9_223_372_036_854_775_808.0 / 1e9;

/// Recursive-descent parser over the tokens of one duration expression and what follows it.
pub(super) struct Parser<'q> {
    query: &'q str,
    tokens: &'q [Token],
    /// Index of the next token; after a parse, how many tokens it used.
    pub(super) next: usize,
    /// Where the tokens end: the `:` or `]` of a bracket, or the end of the query.
    terminator: Span,
}

impl<'q> Parser<'q> {
    pub(super) fn new(query: &'q str, tokens: &'q [Token], terminator: Span) -> Self {
        Parser {
            query,
            tokens,
            next: 0,
            terminator,
        }
    }

    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.next).copied()
    }

    fn text(&self, span: Span) -> &'q str {
        self.query.get(span.start..span.end).unwrap_or_default()
    }

    fn unexpected(&self, token: Option<Token>) -> Failure {
        let (position, found) = match token {
            Some(t) => (t.span.start, format!("{:?}", self.text(t.span))),
            None if self.terminator.start >= self.query.len() => {
                (self.query.len(), "end of input".to_owned())
            }
            None => (
                self.terminator.start,
                format!("{:?}", self.text(self.terminator)),
            ),
        };
        Failure {
            position,
            message: format!(
                "unexpected {found} in duration expression, expected number, duration, \
                 step(), range(), min_of(), max_of() or \"(\""
            ),
            unexpected_token: true,
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Token, Failure> {
        match self.peek() {
            Some(t) if t.kind == kind => {
                self.next += 1;
                Ok(t)
            }
            other => {
                let mut failure = self.unexpected(other);
                failure.message = match other {
                    Some(t) => format!("unexpected {:?}, expected {what}", self.text(t.span)),
                    None => format!("unexpected end of duration expression, expected {what}"),
                };
                Err(failure)
            }
        }
    }

    /// An expression that must use up every token (a bracket part).
    pub(super) fn whole(&mut self) -> Result<Node, Failure> {
        let node = self.expression(LOWEST_PRECEDENCE)?;
        match self.peek() {
            None => Ok(node),
            Some(extra) => {
                let mut failure = self.unexpected(Some(extra));
                failure.message = format!(
                    "unexpected {:?} in duration expression",
                    self.text(extra.span)
                );
                Err(failure)
            }
        }
    }

    /// What follows `offset`: one primary, signed or not; an unsigned parenthesis continues
    /// into a whole expression (see the module doc).
    pub(super) fn offset(&mut self) -> Result<Node, Failure> {
        match self.peek().map(|t| (t, t.kind)) {
            Some((sign, TokenKind::Add | TokenKind::Sub)) => {
                self.next += 1;
                let operand = self.primary()?;
                Ok(unary(sign, operand))
            }
            Some((_, TokenKind::LeftParen)) => self.expression(LOWEST_PRECEDENCE),
            _ => self.primary(),
        }
    }

    /// Binary operators by precedence climbing, each at least `min_precedence`.
    fn expression(&mut self, min_precedence: u8) -> Result<Node, Failure> {
        let mut lhs = self.unary()?;
        while let Some((token, op)) = self
            .peek()
            .and_then(|t| BinaryOp::of(t.kind).map(|op| (t, op)))
        {
            if op.precedence() < min_precedence {
                break;
            }
            self.next += 1;
            // `^` is right-associative, the others left-associative.
            let rhs_precedence = op.precedence() + u8::from(op != BinaryOp::Pow);
            let rhs = self.expression(rhs_precedence)?;
            if let Some(message) = op.zero_divisor_message()
                && rhs.literal_value() == Some(0.0)
            {
                return Err(Failure::invalid(token.span.start, message));
            }
            let span = lhs.span().to(rhs.span());
            lhs = Node::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Node, Failure> {
        match self.peek() {
            Some(sign) if matches!(sign.kind, TokenKind::Add | TokenKind::Sub) => {
                self.next += 1;
                let operand = self.expression(UNARY_OPERAND_PRECEDENCE)?;
                Ok(unary(sign, operand))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node, Failure> {
        let token = self.peek();
        match token.map(|t| t.kind) {
            Some(TokenKind::Number | TokenKind::Duration) => {
                self.next += 1;
                self.literal(token)
            }
            Some(TokenKind::LeftParen) => {
                self.next += 1;
                let inner = self.expression(LOWEST_PRECEDENCE)?;
                let close = self.expect(TokenKind::RightParen, "\")\"")?;
                let span = token.map_or(close.span, |t| t.span).to(close.span);
                Ok(Node::Paren {
                    inner: Box::new(inner),
                    span,
                })
            }
            Some(TokenKind::Ident) => self.function(token),
            _ => Err(self.unexpected(token)),
        }
    }

    fn literal(&self, token: Option<Token>) -> Result<Node, Failure> {
        let Some(token) = token else {
            return Err(self.unexpected(None));
        };
        let text = self.text(token.span);
        let written_as_duration = token.kind == TokenKind::Duration;
        let seconds = if written_as_duration {
            parse_duration_millis(text).map(millis_to_seconds)
        } else {
            parse_number(text)
        }
        .map_err(|message| Failure::invalid(token.span.start, message))?;
        if seconds.abs() > MAX_LITERAL_SECONDS || seconds.is_nan() {
            return Err(Failure::invalid(token.span.start, "duration out of range"));
        }
        Ok(Node::Literal {
            seconds,
            written_as_duration,
            span: token.span,
        })
    }

    /// `step()`, `range()`, `min_of(a, b)` or `max_of(a, b)`, names in any case.
    fn function(&mut self, token: Option<Token>) -> Result<Node, Failure> {
        let Some(name) = token else {
            return Err(self.unexpected(None));
        };
        let word = self.text(name.span).to_ascii_lowercase();
        if !matches!(word.as_str(), "step" | "range" | "min_of" | "max_of") {
            return Err(self.unexpected(token));
        }
        self.next += 1;
        self.expect(TokenKind::LeftParen, "\"(\"")?;
        if word == "step" || word == "range" {
            let close = self.expect(TokenKind::RightParen, "\")\"")?;
            let span = name.span.to(close.span);
            return Ok(if word == "step" {
                Node::Step(span)
            } else {
                Node::Range(span)
            });
        }
        let lhs = self.expression(LOWEST_PRECEDENCE)?;
        self.expect(TokenKind::Comma, "\",\"")?;
        let rhs = self.expression(LOWEST_PRECEDENCE)?;
        let close = self.expect(TokenKind::RightParen, "\")\"")?;
        Ok(Node::Extreme {
            max: word == "max_of",
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            span: name.span.to(close.span),
        })
    }
}

fn unary(sign: Token, operand: Node) -> Node {
    let span = sign.span.to(operand.span());
    Node::Unary {
        negative: sign.kind == TokenKind::Sub,
        operand: Box::new(operand),
        span,
    }
}

/// A number as PromQL writes it, in seconds: as Go's `strconv.ParseInt(text, 0, 64)` (`0x`,
/// `0o`, `0b` and leading-`0` octal integers, `_` separators), else as a decimal float.
/// (promql-parser's own `parse_str_radix` panics on some malformed input, so it is not used.)
pub(super) fn parse_number(text: &str) -> Result<f64, String> {
    let bad = || format!("bad number or duration syntax: {text:?}");
    let digits: String = text
        .chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let integer = |body: &str, radix: u32| {
        i64::from_str_radix(body, radix)
            .map(|v| v as f64)
            .map_err(|_| bad())
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(body) = digits.strip_prefix(prefix) {
            return integer(body, radix);
        }
    }
    if let Some(octal) = digits.strip_prefix('0')
        && !octal.is_empty()
        && let Ok(value) = integer(octal, 8)
    {
        return Ok(value);
    }
    digits.parse::<f64>().map_err(|_| bad())
}

/// Seconds in `millis` milliseconds.
pub(super) fn millis_to_seconds(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

/// Milliseconds in each duration unit, largest first (the order units must be written in).
pub(super) const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
];

/// The longest duration upstream can hold (`time.Duration`, ns in an `int64`), in ms.
pub(super) const MAX_MILLIS: i64 = i64::MAX / 1_000_000;

/// A Prometheus duration (`1h30m`, `5m`, `250ms`) in milliseconds, with
/// `model.ParseDuration`'s errors.
pub(super) fn parse_duration_millis(text: &str) -> Result<i64, String> {
    let invalid = || format!("not a valid duration string: {text:?}");
    let mut rest = text;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digit_count = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, after) = rest.split_at_checked(digit_count).ok_or_else(invalid)?;
        let unit_count = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at_checked(unit_count).ok_or_else(invalid)?;
        if digits.is_empty() {
            return Err(invalid());
        }
        let Some(offset) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!("unknown unit {unit:?} in duration {text:?}"));
        };
        if offset < next_unit {
            return Err(invalid());
        }
        let size = UNITS.get(offset).map_or(1, |(_, size)| *size);
        total = digits
            .parse::<i64>()
            .ok()
            .and_then(|count| count.checked_mul(size))
            .and_then(|millis| millis.checked_add(total))
            .filter(|&millis| millis <= MAX_MILLIS)
            .ok_or_else(|| "duration out of range".to_owned())?;
        next_unit = offset + 1;
        rest = after;
    }
    Ok(total)
}
