//! Parsing with `promql-parser`, and turning its selector parts into `model` types.

use std::time::{Duration, SystemTime};

use model::{MatchType, Matcher};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, AtModifier, Expr, Offset, VectorSelector};

use super::QueryError;

use super::extended;

/// Parses `query` into the parser's AST, wrapping its error. Selectors with an `anchored` or
/// `smoothed` modifier come back marked (see [`extended`]); [`selector_matchers`] leaves the
/// mark out and [`extended::modifier_of`] reads it.
pub(crate) fn parse(query: &str) -> Result<Expr, QueryError> {
    let marked = extended::mark_modifiers(query)?;
    let expr = parser::parse(&marked.text).map_err(|message| QueryError::Parse {
        position: error_position(&message).map(|p| marked.query_position(p)),
        message: format!("parse error: {message}"),
    })?;
    extended::check_marked_selectors(&expr)?;
    Ok(expr)
}

/// The parser reports positions as `... at <offset>` or `line:col` in some messages; take
/// the first number after `at ` when there is one.
fn error_position(message: &str) -> Option<usize> {
    let rest = &message[message.find(" at ")? + 4..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The matchers of a selector as `model` matchers, its metric name included and the mark of an
/// `anchored` / `smoothed` modifier left out.
pub(crate) fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Matcher>, QueryError> {
    if !vs.matchers.or_matchers.is_empty() {
        return Err(QueryError::Execution(
            "selectors with `or` between matcher sets are not supported".into(),
        ));
    }
    let mut out = Vec::with_capacity(vs.matchers.matchers.len() + 1);
    if let Some(name) = &vs.name {
        out.push(model_matcher(MatchType::Equal, model::METRIC_NAME, name)?);
    }
    for m in vs
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != extended::MODIFIER_LABEL)
    {
        let kind = match &m.op {
            MatchOp::Equal => MatchType::Equal,
            MatchOp::NotEqual => MatchType::NotEqual,
            MatchOp::Re(_) => MatchType::Regex,
            MatchOp::NotRe(_) => MatchType::NotRegex,
        };
        out.push(model_matcher(kind, &m.name, &m.value)?);
    }
    Ok(out)
}

fn model_matcher(kind: MatchType, name: &str, value: &str) -> Result<Matcher, QueryError> {
    Matcher::new(kind, name, value).map_err(|e| QueryError::Execution(e.to_string()))
}

/// A duration in milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// An offset in milliseconds: positive looks back in time.
pub(crate) fn offset_millis(offset: Option<&Offset>) -> i64 {
    match offset {
        None => 0,
        Some(Offset::Pos(d)) => millis(*d),
        Some(Offset::Neg(d)) => -millis(*d),
    }
}

/// The fixed evaluation time an `@` modifier sets, ms; `None` without one.
pub(crate) fn at_millis(at: Option<&AtModifier>, start: i64, end: i64) -> Option<i64> {
    match at? {
        AtModifier::Start => Some(start),
        AtModifier::End => Some(end),
        AtModifier::At(t) => Some(system_time_millis(*t)),
    }
}

fn system_time_millis(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => millis(d),
        Err(before) => -millis(before.duration()),
    }
}
