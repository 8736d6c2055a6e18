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
    check_nesting(query)?;
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

/// Deepest bracket nesting a query may have. The parser and the evaluator recurse once per
/// level, so a hostile query must not reach the stack's end: Prometheus answers such queries
/// too, but its stacks grow; ours do not.
const MAX_NESTING: usize = 128;

/// Most binary operators a query may hold: a chain of them nests in the syntax tree like
/// brackets do.
const MAX_OPERATORS: usize = 1000;

/// Refuses queries nested deeper than [`MAX_NESTING`] or with more than [`MAX_OPERATORS`]
/// operators, before the parser sees them. Strings and comments are skipped.
fn check_nesting(query: &str) -> Result<(), QueryError> {
    let too_complex = |position: usize, what: String| QueryError::Parse {
        position: Some(position),
        message: format!("parse error: query too complex: {what}"),
    };
    let (mut depth, mut operators) = (0usize, 0usize);
    let mut chars = query.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some((_, d)) = chars.next() {
                    if d == '\\' && c != '`' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '#' => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_complex(at, format!("nested deeper than {MAX_NESTING}")));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '^' | '=' | '<' | '>' => {
                operators += 1;
                if operators > MAX_OPERATORS {
                    return Err(too_complex(
                        at,
                        format!("more than {MAX_OPERATORS} operators"),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
