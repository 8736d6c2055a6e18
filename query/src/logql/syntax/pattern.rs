//! The arguments of the `pattern` and `regexp` parser stages, checked as Loki checks them when
//! it parses a query (`pkg/logql/log/pattern` and `log.NewRegexpParser`).

use std::fmt;

use super::parser::regex_error_text;

/// One piece of a `pattern` stage's pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatternNode {
    /// Text matched as is.
    Literal(String),
    /// `<name>`: captures up to the next literal into label `name`; `<_>` captures nothing.
    Capture(String),
}

/// Why a pattern is refused; the text is Loki's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

/// Splits a `pattern` stage's pattern into literals and captures, with Loki's checks: at least
/// one named capture, no two captures side by side, no name captured twice. A capture is
/// `<` + an ASCII letter or `_` + ASCII letters, digits or `_` + `>`; every other character
/// is literal (so `<1>` or `< a>` are text).
///
/// ```
/// use query::logql::syntax::{parse_pattern, PatternNode};
///
/// let nodes = parse_pattern("<ip> - <_> [<ts>]").unwrap();
/// assert_eq!(nodes[0], PatternNode::Capture("ip".into()));
/// assert_eq!(nodes[1], PatternNode::Literal(" - ".into()));
/// assert!(parse_pattern("no captures").is_err());
/// ```
pub fn parse_pattern(pattern: &str) -> Result<Vec<PatternNode>, PatternError> {
    let nodes = split_pattern(pattern);
    let names: Vec<&str> = nodes
        .iter()
        .filter_map(|n| match n {
            PatternNode::Capture(name) if name != "_" => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if names.is_empty() {
        return Err(PatternError("at least one capture is required".into()));
    }
    // Loki only looks at pairs starting at even positions; any two adjacent captures would
    // break its matcher, so every pair is checked here.
    let consecutive = nodes
        .windows(2)
        .any(|pair| matches!(pair, [PatternNode::Capture(_), PatternNode::Capture(_)]));
    if consecutive {
        return Err(PatternError(
            "found consecutive capture: invalid expression".into(),
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if names.iter().take(i).any(|earlier| earlier == name) {
            return Err(PatternError(format!(
                "duplicate capture name ({name}): invalid expression"
            )));
        }
    }
    Ok(nodes)
}

/// Splits a pattern into literals and captures, without the parser stage's checks (the `|>`
/// filters use it as it is).
pub(crate) fn split_pattern(pattern: &str) -> Vec<PatternNode> {
    let mut nodes = Vec::new();
    let mut literal = String::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some((name, after)) = capture_at(rest) {
            if !literal.is_empty() {
                nodes.push(PatternNode::Literal(std::mem::take(&mut literal)));
            }
            nodes.push(PatternNode::Capture(name.to_owned()));
            rest = after;
            continue;
        }
        literal.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    if !literal.is_empty() {
        nodes.push(PatternNode::Literal(literal));
    }
    nodes
}

/// `<name>` at the start of `s`: the name and the text after the `>`.
fn capture_at(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('<')?;
    let end = inner.find('>')?;
    let name = inner.get(..end)?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name, inner.get(end + 1..).unwrap_or("")))
}

/// Loki's checks on a `regexp` stage's regex: it compiles, has at least one named group, and
/// every group name is a valid label name. The error text is Loki's (after
/// `invalid regexp parser: `).
pub(crate) fn validate_regexp_parser(regex: &str) -> Result<(), String> {
    let compiled = regex::Regex::new(regex).map_err(|e| regex_error_text(&e.to_string()))?;
    let mut named = 0;
    for name in compiled.capture_names().flatten() {
        if !model::is_valid_label_name(name) {
            return Err(format!("invalid extracted label name '{name}'"));
        }
        named += 1;
    }
    if named == 0 {
        return Err("at least one named capture must be supplied".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> PatternNode {
        PatternNode::Literal(s.into())
    }

    fn cap(s: &str) -> PatternNode {
        PatternNode::Capture(s.into())
    }

    #[test]
    fn patterns_split_into_literals_and_captures() {
        assert_eq!(
            parse_pattern(r#"<ip> - - [<_>] "<method> <path> <_>" <status>"#).unwrap(),
            vec![
                cap("ip"),
                lit(" - - ["),
                cap("_"),
                lit("] \""),
                cap("method"),
                lit(" "),
                cap("path"),
                lit(" "),
                cap("_"),
                lit("\" "),
                cap("status"),
            ]
        );
        assert_eq!(
            parse_pattern("<1> < a> <b> <é>").unwrap(),
            vec![lit("<1> < a> "), cap("b"), lit(" <é>")]
        );
    }

    #[test]
    fn bad_patterns_are_refused_with_lokis_text() {
        let err = |p: &str| parse_pattern(p).unwrap_err().to_string();
        assert_eq!(err("foo"), "at least one capture is required");
        assert_eq!(err(""), "at least one capture is required");
        assert_eq!(err("<_> x"), "at least one capture is required");
        assert_eq!(
            err("<a><b>"),
            "found consecutive capture: invalid expression"
        );
        assert_eq!(
            err("x <a><b>"),
            "found consecutive capture: invalid expression"
        );
        assert_eq!(
            err("<a> <a>"),
            "duplicate capture name (a): invalid expression"
        );
    }

    #[test]
    fn regexp_parsers_need_a_named_group_with_a_label_name() {
        assert_eq!(validate_regexp_parser("(?P<foo>\\w+) (?P<bar>.*)"), Ok(()));
        assert_eq!(validate_regexp_parser("(?<foo>x)(y)"), Ok(()));
        assert_eq!(
            validate_regexp_parser("(x)"),
            Err("at least one named capture must be supplied".to_owned())
        );
        assert_eq!(
            validate_regexp_parser("foo"),
            Err("at least one named capture must be supplied".to_owned())
        );
        assert_eq!(
            validate_regexp_parser("(?P<a.b>x)"),
            Err("invalid extracted label name 'a.b'".to_owned())
        );
        let err = validate_regexp_parser("(?P<a>x").unwrap_err();
        assert!(err.starts_with("error parsing regexp: "), "{err}");
    }
}
