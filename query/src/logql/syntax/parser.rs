//! The recursive-descent parser: tokens to the syntax tree, accepting what Loki's grammar
//! (`pkg/logql/syntax/syntax.y`, Loki v3) accepts and building the same trees.
//!
//! Binary operators are parsed by precedence climbing with Loki's table ([`BinaryOp::precedence`];
//! `^` is right-associative, the rest left). Errors come in Loki's three kinds, reported in its
//! order: a syntax error (or the lexer's error at the token reached) stops the parse at once and
//! carries the token's position; a check Loki makes while it builds a node (an aggregation
//! parameter, a literal operand of `or` ...) is recorded, the parse goes on, and the first such
//! error is returned if the grammar matched; a bad regex in a matcher, a `regexp` or a `pattern`
//! stage stops the parse at once without a position, as Loki's panics do. The selector checks of
//! [`super::validate`] come last.
//!
//! Hostile input is bounded: at most [`MAX_INPUT_BYTES`] bytes, and nesting (parentheses, calls,
//! right-associative chains) at most [`MAX_DEPTH`] deep. Flat chains (`a and b and ...`,
//! `x + y + ...`) are parsed with loops, not recursion, but print nested one level per
//! operator, so [`super::validate`] bounds them too: whatever parses prints to text that parses.
#![deny(clippy::indexing_slicing)]

mod log;

use model::Matcher;

use super::ast::{
    BinaryExpr, BinaryOp, Cardinality, Expr, Grouping, LabelReplace, LogExpr, MatchingLabels,
    RangeAggregation, RangeOp, SampleExpr, VectorAggregation, VectorMatching, VectorOp,
};
use super::error::ParseError;
use super::lexer::{Function, Keyword, MAX_INPUT_BYTES, Pos, Token, TokenKind, tokenize};
use super::literals::{format_go_float_fixed6, parse_go_float, parse_go_int};
use super::validate::validate;

/// How deep parentheses, calls and right-associative chains may nest, here and in a query's
/// canonical form (see [`super::validate`]). Measured: 500 levels fit in a 2 MiB thread stack
/// in an unoptimized build, 1000 do not.
pub(crate) const MAX_DEPTH: usize = 256;

type PResult<T> = Result<T, ParseError>;

/// Parses a LogQL query (a log query or a metric query), with Loki's checks.
///
/// ```
/// use query::logql::syntax::{parse, Expr};
///
/// let expr = parse(r#"sum by (level) (count_over_time({app="api"} |= "error" | json [5m]))"#)
///     .unwrap();
/// assert!(matches!(expr, Expr::Sample(_)));
/// assert_eq!(
///     expr.to_string(),
///     r#"sum by (level)(count_over_time({app="api"} |= "error" | json[5m]))"#
/// );
/// let err = parse(r#"{app="api"} |= 42"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "parse error at line 1, col 16: syntax error: unexpected NUMBER, expecting STRING or ip"
/// );
/// ```
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    if input.len() >= MAX_INPUT_BYTES {
        return Err(ParseError::unpositioned(format!(
            "input size too long ({} > {MAX_INPUT_BYTES})",
            input.len()
        )));
    }
    let mut parser = Parser::new(tokenize(input));
    let expr = parser.parse_expr(0)?;
    if !matches!(parser.kind(), TokenKind::Eof) {
        return Err(parser.unexpected(&[]));
    }
    if let Some(error) = parser.deferred {
        return Err(error);
    }
    validate(&expr)?;
    Ok(expr)
}

/// Parses a stream selector alone (`{app="api", env=~"prod|dev"}`), as Loki's `ParseMatchers`:
/// anything after the selector is an error, and so is a selector without a matcher that
/// selects (see [`parse`]).
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>, ParseError> {
    match parse(input)? {
        Expr::Log(LogExpr { matchers, stages }) if stages.is_empty() => Ok(matchers),
        _ => Err(ParseError::unpositioned(
            "only label matchers are supported",
        )),
    }
}

pub(super) struct Parser {
    /// The tokens, ending with `Eof` or `Error`.
    tokens: Vec<Token>,
    /// Index of the current token.
    next: usize,
    /// Current nesting depth (see [`MAX_DEPTH`]).
    depth: usize,
    /// The first error found while building a node (reported if the grammar matches).
    deferred: Option<ParseError>,
    /// Returned past the end of `tokens` (never reached: the last token is `Eof` or `Error`).
    end: Token,
}

impl Parser {
    fn new(tokens: Vec<Token>) -> Self {
        Self {
            tokens,
            next: 0,
            depth: 0,
            deferred: None,
            end: Token {
                kind: TokenKind::Eof,
                pos: Pos { line: 0, column: 0 },
            },
        }
    }

    fn token_at(&self, ahead: usize) -> &Token {
        self.tokens
            .get(self.next + ahead)
            .or(self.tokens.last())
            .unwrap_or(&self.end)
    }

    /// The current token's kind.
    fn kind(&self) -> &TokenKind {
        &self.token_at(0).kind
    }

    /// The kind of the token `ahead` places after the current one.
    fn kind_at(&self, ahead: usize) -> &TokenKind {
        &self.token_at(ahead).kind
    }

    fn advance(&mut self) {
        if self.next < self.tokens.len() {
            self.next += 1;
        }
    }

    fn at_kw(&self, keyword: Keyword) -> bool {
        *self.kind() == TokenKind::Kw(keyword)
    }

    fn eat_kw(&mut self, keyword: Keyword) -> bool {
        let found = self.at_kw(keyword);
        if found {
            self.advance();
        }
        found
    }

    fn expect_kw(&mut self, keyword: Keyword, expected: &[&str]) -> PResult<()> {
        if self.eat_kw(keyword) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect_ident(&mut self, expected: &[&str]) -> PResult<String> {
        match self.kind() {
            TokenKind::Ident(name) => {
                let name = name.clone();
                self.advance();
                Ok(name)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    fn expect_str(&mut self, expected: &[&str]) -> PResult<String> {
        match self.kind() {
            TokenKind::Str(value) => {
                let value = value.clone();
                self.advance();
                Ok(value)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// The syntax error at the current token, goyacc style: `syntax error: unexpected X`, with
    /// `, expecting A or B` when the grammar allows at most four tokens there. At a token the
    /// lexer could not read, the lexer's error instead.
    fn unexpected(&self, expected: &[&str]) -> ParseError {
        let token = self.token_at(0);
        if let TokenKind::Error(message) = &token.kind {
            return ParseError::at(token.pos.line, token.pos.column, message.clone());
        }
        let mut message = format!("syntax error: unexpected {}", token.kind.yacc_name());
        if (1..=4).contains(&expected.len()) {
            message.push_str(", expecting ");
            message.push_str(&expected.join(" or "));
        }
        ParseError::at(token.pos.line, token.pos.column, message)
    }

    /// An error naming a construct Loki has and this engine does not.
    fn unsupported(&self, what: &str) -> ParseError {
        let pos = self.token_at(0).pos;
        ParseError::at(pos.line, pos.column, format!("{what} is not supported"))
    }

    /// Records an error found while building a node; the first one is reported.
    fn defer(&mut self, message: String) {
        if self.deferred.is_none() {
            self.deferred = Some(ParseError::unpositioned(message));
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let pos = self.token_at(0).pos;
            return Err(ParseError::at(
                pos.line,
                pos.column,
                format!("syntax error: expression nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// An expression whose operators bind at least as tightly as `min_prec`.
    fn parse_expr(&mut self, min_prec: u8) -> PResult<Expr> {
        self.enter()?;
        let mut lhs = self.parse_operand()?;
        while let Some(op) = self.binary_op() {
            if op.precedence() < min_prec {
                break;
            }
            self.advance();
            let (return_bool, matching) = self.parse_binary_modifiers()?;
            let rhs_min = if op == BinaryOp::Pow {
                op.precedence()
            } else {
                op.precedence() + 1
            };
            let rhs = self.parse_expr(rhs_min)?;
            lhs = self.binary(op, return_bool, matching, lhs, rhs);
        }
        self.leave();
        Ok(lhs)
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        let TokenKind::Kw(keyword) = self.kind() else {
            return None;
        };
        Some(match keyword {
            Keyword::Or => BinaryOp::Or,
            Keyword::And => BinaryOp::And,
            Keyword::Unless => BinaryOp::Unless,
            Keyword::Add => BinaryOp::Add,
            Keyword::Sub => BinaryOp::Sub,
            Keyword::Mul => BinaryOp::Mul,
            Keyword::Div => BinaryOp::Div,
            Keyword::Mod => BinaryOp::Mod,
            Keyword::Pow => BinaryOp::Pow,
            Keyword::CmpEq => BinaryOp::Eq,
            Keyword::Neq => BinaryOp::Ne,
            Keyword::Gt => BinaryOp::Gt,
            Keyword::Gte => BinaryOp::Ge,
            Keyword::Lt => BinaryOp::Lt,
            Keyword::Lte => BinaryOp::Le,
            _ => return None,
        })
    }

    /// `[bool] [on|ignoring (labels) [group_left|group_right [(labels)]]]`.
    fn parse_binary_modifiers(&mut self) -> PResult<(bool, VectorMatching)> {
        let return_bool = self.eat_kw(Keyword::Bool);
        let mut matching = VectorMatching::default();
        let on = match self.kind() {
            TokenKind::Kw(Keyword::On) => true,
            TokenKind::Kw(Keyword::Ignoring) => false,
            _ => return Ok((return_bool, matching)),
        };
        self.advance();
        let labels = self.parse_label_list()?;
        matching.labels = if on {
            MatchingLabels::On(labels)
        } else {
            MatchingLabels::Ignoring(labels)
        };
        let left = match self.kind() {
            TokenKind::Kw(Keyword::GroupLeft) => true,
            TokenKind::Kw(Keyword::GroupRight) => false,
            _ => return Ok((return_bool, matching)),
        };
        self.advance();
        let include = if self.at_kw(Keyword::LParen) {
            self.parse_label_list()?
        } else {
            Vec::new()
        };
        matching.card = if left {
            Cardinality::ManyToOne(include)
        } else {
            Cardinality::OneToMany(include)
        };
        Ok((return_bool, matching))
    }

    /// `( [label {, label}] )`.
    fn parse_label_list(&mut self) -> PResult<Vec<String>> {
        self.expect_kw(Keyword::LParen, &["("])?;
        let mut labels = Vec::new();
        if self.eat_kw(Keyword::RParen) {
            return Ok(labels);
        }
        loop {
            labels.push(self.expect_ident(&["IDENTIFIER"])?);
            if self.eat_kw(Keyword::RParen) {
                return Ok(labels);
            }
            self.expect_kw(Keyword::Comma, &[",", ")"])?;
        }
    }

    /// Builds `lhs op rhs` with Loki's checks: both operands are metric queries, set operations
    /// take no number literal, and an operation on two literals is folded into one.
    fn binary(
        &mut self,
        op: BinaryOp,
        return_bool: bool,
        matching: VectorMatching,
        lhs: Expr,
        rhs: Expr,
    ) -> Expr {
        let legs = [("left", &lhs), ("right", &rhs)];
        for (side, leg) in legs {
            if let Expr::Log(log) = leg {
                let go_type = if log.stages.is_empty() {
                    "*syntax.MatchersExpr"
                } else {
                    "*syntax.PipelineExpr"
                };
                self.defer(format!(
                    "unexpected type for {side} leg of binary operation ({}): {go_type}",
                    op.name()
                ));
                return placeholder();
            }
        }
        let (Expr::Sample(lhs), Expr::Sample(rhs)) = (lhs, rhs) else {
            return placeholder();
        };
        if op.is_set() {
            for (side, leg) in [("left", &lhs), ("right", &rhs)] {
                if let SampleExpr::Literal(v) = leg {
                    self.defer(format!(
                        "unexpected literal for {side} leg of logical/set binary operation ({}): {}",
                        op.name(),
                        format_go_float_fixed6(*v)
                    ));
                    return placeholder();
                }
            }
        }
        if let (SampleExpr::Literal(l), SampleExpr::Literal(r)) = (&lhs, &rhs) {
            return Expr::Sample(SampleExpr::Literal(fold(op, *l, *r)));
        }
        Expr::Sample(SampleExpr::Binary(BinaryExpr {
            op,
            return_bool,
            matching,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }))
    }

    fn parse_operand(&mut self) -> PResult<Expr> {
        match self.kind() {
            TokenKind::Kw(Keyword::LBrace) => Ok(Expr::Log(self.parse_log_query()?)),
            TokenKind::Kw(Keyword::LParen) => {
                self.advance();
                let inner = self.parse_expr(0)?;
                self.expect_kw(Keyword::RParen, &[])?;
                Ok(inner)
            }
            TokenKind::Number(_) | TokenKind::Kw(Keyword::Add | Keyword::Sub) => {
                let value = self.parse_signed_literal()?;
                Ok(Expr::Sample(SampleExpr::Literal(value)))
            }
            TokenKind::Func(function) => {
                let function = *function;
                self.parse_call(function).map(Expr::Sample)
            }
            TokenKind::Kw(Keyword::Variants) => Err(self.unsupported("variants")),
            _ => Err(self.unexpected(&[])),
        }
    }

    /// `NUMBER`, `+NUMBER` or `-NUMBER` (Loki's `literalExpr`).
    fn parse_signed_literal(&mut self) -> PResult<f64> {
        let negative = match self.kind() {
            TokenKind::Kw(Keyword::Sub) => true,
            TokenKind::Kw(Keyword::Add) => false,
            _ => return self.parse_number("unable to parse literal as a float"),
        };
        self.advance();
        if !matches!(self.kind(), TokenKind::Number(_)) {
            return Err(self.unexpected(&["NUMBER"]));
        }
        let value = self.parse_number("unable to parse literal as a float")?;
        Ok(if negative { -value } else { value })
    }

    /// A `NUMBER` token as a float; a value Go cannot read is a deferred error (`context: ...`).
    fn parse_number(&mut self, context: &str) -> PResult<f64> {
        let TokenKind::Number(text) = self.kind() else {
            return Err(self.unexpected(&["NUMBER"]));
        };
        let parsed = parse_go_float(text);
        self.advance();
        Ok(parsed.unwrap_or_else(|e| {
            self.defer(format!("{context}: {e}"));
            0.0
        }))
    }

    fn parse_call(&mut self, function: Function) -> PResult<SampleExpr> {
        match function {
            Function::Range(op) => self.parse_range_aggregation(op),
            Function::Vector(op) => self.parse_vector_aggregation(op),
            Function::VectorLiteral => self.parse_vector(),
            Function::LabelReplace => self.parse_label_replace(),
            Function::ApproxTopk => Err(self.unsupported("approx_topk")),
            Function::Conversion(_) | Function::Ip => Err(self.unexpected(&[])),
        }
    }

    /// A metric query where the grammar wants one: a log query here is a syntax error at the
    /// token after it, as in Loki.
    fn parse_metric_expr(&mut self) -> PResult<SampleExpr> {
        match self.parse_expr(0)? {
            Expr::Sample(sample) => Ok(sample),
            Expr::Log(_) => Err(self.unexpected(&[])),
        }
    }

    /// `NUMBER ,` at the start of an aggregation's arguments: the parameter's text.
    fn parse_leading_param(&mut self) -> Option<String> {
        match (self.kind(), self.kind_at(1)) {
            (TokenKind::Number(text), TokenKind::Kw(Keyword::Comma)) => {
                let text = text.clone();
                self.advance();
                self.advance();
                Some(text)
            }
            _ => None,
        }
    }

    fn parse_grouping(&mut self) -> PResult<Option<Grouping>> {
        let without = match self.kind() {
            TokenKind::Kw(Keyword::By) => false,
            TokenKind::Kw(Keyword::Without) => true,
            _ => return Ok(None),
        };
        self.advance();
        let labels = self.parse_label_list()?;
        Ok(Some(Grouping { without, labels }))
    }

    fn parse_range_aggregation(&mut self, op: RangeOp) -> PResult<SampleExpr> {
        self.advance();
        self.expect_kw(Keyword::LParen, &["("])?;
        let param = self.parse_leading_param();
        let expected: &[&str] = if param.is_some() {
            &["{", "("]
        } else {
            &["NUMBER", "{", "("]
        };
        let range = self.parse_log_range(expected)?;
        self.expect_kw(Keyword::RParen, &[])?;
        let grouping = self.parse_grouping()?;
        let param = self.range_param(op, param);
        if grouping.is_some() && !op.allows_grouping() {
            self.defer(format!(
                "grouping not allowed for {} aggregation",
                op.name()
            ));
        }
        if range.unwrap.is_some() && !op.allows_unwrap() {
            self.defer(format!("invalid aggregation {} with unwrap", op.name()));
        }
        if range.unwrap.is_none() && !op.allows_lines() {
            self.defer(format!("invalid aggregation {} without unwrap", op.name()));
        }
        Ok(SampleExpr::RangeAggregation(RangeAggregation {
            op,
            param,
            range,
            grouping,
        }))
    }

    /// Checks a range aggregation's parameter as Loki does: only `quantile_over_time` takes
    /// one, and requires it.
    fn range_param(&mut self, op: RangeOp, text: Option<String>) -> Option<f64> {
        let name = op.name();
        match text {
            Some(text) if op == RangeOp::QuantileOverTime => match parse_go_float(&text) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.defer(format!("invalid parameter for operation {name}: {e}"));
                    None
                }
            },
            Some(text) => {
                self.defer(format!(
                    "parameter {text} not supported for operation {name}"
                ));
                None
            }
            None if op == RangeOp::QuantileOverTime => {
                self.defer(format!("parameter required for operation {name}"));
                None
            }
            None => None,
        }
    }

    fn parse_vector_aggregation(&mut self, op: VectorOp) -> PResult<SampleExpr> {
        self.advance();
        let before = self.parse_grouping()?;
        self.expect_kw(Keyword::LParen, &["("])?;
        let param = self.parse_leading_param();
        let inner = self.parse_metric_expr()?;
        self.expect_kw(Keyword::RParen, &[])?;
        let grouping = match before {
            Some(grouping) => grouping,
            None => self.parse_grouping()?.unwrap_or_default(),
        };
        let param = self.vector_param(op, param);
        Ok(SampleExpr::VectorAggregation(VectorAggregation {
            op,
            param,
            grouping,
            inner: Box::new(inner),
        }))
    }

    /// Checks a vector aggregation's parameter as Loki does: `topk` and `bottomk` require a
    /// positive integer, the others take none.
    fn vector_param(&mut self, op: VectorOp, text: Option<String>) -> Option<i64> {
        let name = op.name();
        match text {
            Some(text) if op.takes_param() => match parse_go_int(&text) {
                Some(k) if k > 0 => Some(k),
                Some(_) => {
                    self.defer(format!(
                        "invalid parameter (must be greater than 0) {name}({text}"
                    ));
                    None
                }
                None => {
                    self.defer(format!("invalid parameter {name}({text},"));
                    None
                }
            },
            Some(text) => {
                self.defer(format!(
                    "unsupported parameter for operation {name}({text},"
                ));
                None
            }
            None if op.takes_param() => {
                self.defer(format!("parameter required for operation {name}"));
                None
            }
            None => None,
        }
    }

    /// `vector(NUMBER)`.
    fn parse_vector(&mut self) -> PResult<SampleExpr> {
        self.advance();
        self.expect_kw(Keyword::LParen, &["("])?;
        if !matches!(self.kind(), TokenKind::Number(_)) {
            return Err(self.unexpected(&["NUMBER"]));
        }
        let value = self.parse_number("unable to parse vectorExpr as a float")?;
        self.expect_kw(Keyword::RParen, &[")"])?;
        Ok(SampleExpr::Vector(value))
    }

    /// `label_replace(metric, "dst", "replacement", "src", "regex")`.
    fn parse_label_replace(&mut self) -> PResult<SampleExpr> {
        self.advance();
        self.expect_kw(Keyword::LParen, &["("])?;
        let inner = self.parse_metric_expr()?;
        let mut args: [String; 4] = Default::default();
        for arg in &mut args {
            self.expect_kw(Keyword::Comma, &[","])?;
            *arg = self.expect_str(&["STRING"])?;
        }
        self.expect_kw(Keyword::RParen, &[")"])?;
        let [destination, replacement, source, regex] = args;
        if let Err(e) = regex::Regex::new(&format!("^(?:{regex})$")) {
            self.defer(format!(
                "invalid regex in label_replace: {}",
                regex_error_text(&e.to_string())
            ));
        }
        Ok(SampleExpr::LabelReplace(LabelReplace {
            inner: Box::new(inner),
            destination,
            replacement,
            source,
            regex,
        }))
    }
}

/// What the tree holds where a deferred error was found (never returned: the error is).
fn placeholder() -> Expr {
    Expr::Sample(SampleExpr::Literal(0.0))
}

/// `l op r` on two literals (set operators are refused before folding).
fn fold(op: BinaryOp, l: f64, r: f64) -> f64 {
    op.apply(l, r).unwrap_or(f64::NAN)
}

/// The `regex` crate's error in one line, after Go's prefix: `error parsing regexp: <what>`.
pub(super) fn regex_error_text(reason: &str) -> String {
    let last = reason.lines().last().unwrap_or(reason).trim();
    let what = last.strip_prefix("error: ").unwrap_or(last);
    format!("error parsing regexp: {what}")
}
