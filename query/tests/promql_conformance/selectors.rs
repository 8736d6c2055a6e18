//! Which stored series a query may read, found from the query's text alone.
//!
//! The skip rules need to know whether an eval reads native histograms or start timestamps. A
//! lexical scan answers that for every query, including syntax the PromQL parser in use may
//! not know yet (so whether an eval is skipped never depends on the parser). The scan
//! over-approximates: every identifier that is not a function, keyword or grouping label
//! counts as a metric name, and braces it cannot read match every series.

use model::{Labels, MatchType, Matcher};

use crate::lexing::{
    Cursor, is_label_char, is_label_start, is_metric_char, is_metric_start, scan_quoted,
};

/// One selector found in a query.
#[derive(Debug)]
pub struct SelectorRef {
    /// The metric name written before the braces, or as a bare quoted string inside them.
    name: Option<String>,
    /// The label matchers in the braces.
    matchers: Vec<Matcher>,
    /// The braces could not be read; the selector is taken to match every series.
    unreadable: bool,
}

impl SelectorRef {
    /// True when the selector may select a series with `labels`.
    pub fn may_select(&self, labels: &Labels) -> bool {
        if self.unreadable {
            return true;
        }
        let name_ok = self
            .name
            .as_deref()
            .is_none_or(|n| labels.metric_name() == Some(n));
        name_ok && model::logs::matches_all(labels, &self.matchers)
    }
}

/// Words that are never metric names when they stand alone (PromQL keywords are
/// case-insensitive).
const KEYWORDS: [&str; 22] = [
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "atan2",
    "anchored",
    "smoothed",
    "start",
    "end",
    "step",
    "fill",
    "fill_left",
    "fill_right",
];

/// Words followed by a parenthesised list of label names.
const GROUPING: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Aggregation operators, which may be followed by `by` / `without` instead of `(`.
const AGGREGATORS: [&str; 14] = [
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Tokens that matter for finding selectors.
#[derive(Debug, PartialEq)]
enum Token {
    /// An identifier (metric name, function, keyword or label name).
    Ident(String),
    /// The text between `{` and its `}`.
    Braces(String),
    /// `(`
    Open,
    /// `)`
    Close,
    /// Anything else (numbers, strings, operators, `[...]` ranges).
    Other,
}

/// Every selector of `query`, including the implicit `target_info` of `info(...)`.
pub fn selectors_in(query: &str) -> Vec<SelectorRef> {
    let tokens = tokenize(query);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        let word = match token {
            Token::Braces(inside) => {
                out.push(read_braces(None, inside));
                continue;
            }
            Token::Ident(word) => word,
            _ => continue,
        };
        let lower = word.to_ascii_lowercase();
        let next = tokens.get(i);
        if next == Some(&Token::Open) {
            if GROUPING.contains(&lower.as_str()) {
                i = after_parens(&tokens, i);
            } else if lower == "info" {
                out.push(SelectorRef {
                    name: Some("target_info".to_owned()),
                    matchers: Vec::new(),
                    unreadable: false,
                });
            }
            continue;
        }
        let grouped = matches!(next, Some(Token::Ident(w))
            if w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("without"));
        if KEYWORDS.contains(&lower.as_str()) || (grouped && AGGREGATORS.contains(&lower.as_str()))
        {
            continue;
        }
        if let Some(Token::Braces(inside)) = next {
            out.push(read_braces(Some(word.clone()), inside));
            i += 1;
        } else {
            out.push(SelectorRef {
                name: Some(word.clone()),
                matchers: Vec::new(),
                unreadable: false,
            });
        }
    }
    out
}

/// The index after the `)` that closes the `(` at `open`.
fn after_parens(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Splits a query into [`Token`]s; a `#` outside strings starts a comment to the end.
fn tokenize(query: &str) -> Vec<Token> {
    let mut cur = Cursor::new(query);
    let mut tokens = Vec::new();
    loop {
        cur.skip_ws();
        let Some(c) = cur.peek() else { return tokens };
        let token = match c {
            '#' => return tokens,
            '"' | '\'' | '`' => match scan_quoted(&mut cur) {
                Ok(_) => Token::Other,
                Err(_) => return tokens,
            },
            '[' => {
                cur.take_while(|c| c != ']');
                cur.bump();
                Token::Other
            }
            '{' => match braces_body(&mut cur) {
                Some(inside) => Token::Braces(inside),
                None => Token::Braces(cur.rest().to_owned()),
            },
            '(' | ')' => {
                cur.bump();
                if c == '(' { Token::Open } else { Token::Close }
            }
            c if c.is_ascii_digit()
                || (c == '.' && cur.peek_second().is_some_and(|d| d.is_ascii_digit())) =>
            {
                skip_number(&mut cur);
                Token::Other
            }
            c if is_metric_start(c) => Token::Ident(cur.take_while(is_metric_char).to_owned()),
            _ => {
                cur.bump();
                Token::Other
            }
        };
        tokens.push(token);
    }
}

/// Moves past a number or duration (`1.5e-3`, `0x1F`, `1h30m`).
fn skip_number(cur: &mut Cursor<'_>) {
    loop {
        let part = cur.take_while(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        let exponent_sign = part.ends_with(['e', 'E'])
            && matches!(cur.peek(), Some('+' | '-'))
            && cur.peek_second().is_some_and(|d| d.is_ascii_digit());
        if !exponent_sign {
            return;
        }
        cur.bump();
    }
}

/// Reads `{...}` at the cursor, honouring quotes, and returns what is inside; `None` when the
/// braces do not close.
fn braces_body(cur: &mut Cursor<'_>) -> Option<String> {
    cur.bump();
    let start = cur.pos();
    loop {
        match cur.peek()? {
            '}' => {
                let inside = cur.since(start).to_owned();
                cur.bump();
                return Some(inside);
            }
            '"' | '\'' | '`' => {
                scan_quoted(cur).ok()?;
            }
            _ => {
                cur.bump();
            }
        }
    }
}

/// A selector from an optional name and the text inside its braces.
fn read_braces(name: Option<String>, inside: &str) -> SelectorRef {
    match parse_matchers(inside) {
        Some((bare_name, matchers)) => SelectorRef {
            name: name.or(bare_name),
            matchers,
            unreadable: false,
        },
        None => SelectorRef {
            name,
            matchers: Vec::new(),
            unreadable: true,
        },
    }
}

/// Parses `a="x", b=~"y", "quoted"!="z", "metric name"` into matchers and an optional bare
/// metric name; `None` when the text does not parse.
fn parse_matchers(inside: &str) -> Option<(Option<String>, Vec<Matcher>)> {
    let mut cur = Cursor::new(inside);
    let mut bare_name = None;
    let mut matchers = Vec::new();
    loop {
        cur.skip_ws();
        if cur.at_end() {
            return Some((bare_name, matchers));
        }
        let quoted = matches!(cur.peek(), Some('"' | '\'' | '`'));
        let label = if quoted {
            scan_quoted(&mut cur).ok()?
        } else if cur.peek().is_some_and(is_label_start) {
            cur.take_while(is_label_char).to_owned()
        } else {
            return None;
        };
        cur.skip_ws();
        match read_match_type(&mut cur) {
            Some(kind) => {
                cur.skip_ws();
                let value = scan_quoted(&mut cur).ok()?;
                matchers.push(Matcher::new(kind, label, value).ok()?);
            }
            None if quoted => bare_name = Some(label),
            None => return None,
        }
        cur.skip_ws();
        if !cur.eat(",") && !cur.at_end() {
            return None;
        }
    }
}

/// Reads `=~`, `!~`, `!=` or `=`.
fn read_match_type(cur: &mut Cursor<'_>) -> Option<MatchType> {
    [
        ("=~", MatchType::Regex),
        ("!~", MatchType::NotRegex),
        ("!=", MatchType::NotEqual),
        ("=", MatchType::Equal),
    ]
    .into_iter()
    .find_map(|(op, kind)| cur.eat(op).then_some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    fn names(query: &str) -> Vec<Option<String>> {
        selectors_in(query).into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn functions_keywords_and_grouping_labels_are_not_selectors() {
        let found = names(
            r#"sum by (job, instance) (rate(http_requests{job="a"}[5m] offset 1m)) / on(job) group_left(x) other and bool_metric"#,
        );
        assert_eq!(
            found,
            vec![
                Some("http_requests".into()),
                Some("other".into()),
                Some("bool_metric".into())
            ]
        );
        assert_eq!(
            names("SUM(x) BY (job) - COUNT without (a) (y)"),
            vec![Some("x".into()), Some("y".into())]
        );
        assert_eq!(
            names("rate(x[5m:1m]) @ start() + 1e-3 * NaN"),
            vec![Some("x".into())]
        );
        assert_eq!(
            names(r#"label_replace(x, "dst", "$1", "src", "(.*)") # y"#),
            vec![Some("x".into())]
        );
    }

    #[test]
    fn braces_give_matchers_and_quoted_names() {
        let found = selectors_in(r#"{"metric.name", job=~"a|b"} + {__name__="up"}"#);
        let up = labels(&[("__name__", "up")]);
        let dotted = Labels::from_sorted([("__name__", "metric.name"), ("job", "b")]).unwrap();
        assert!(found[0].may_select(&dotted));
        assert!(!found[0].may_select(&up));
        assert!(found[1].may_select(&up));
        assert!(!found[1].may_select(&dotted));
    }

    #[test]
    fn unreadable_braces_match_everything_and_info_reads_target_info() {
        let found = selectors_in(r#"x{job=~"("} * info(y)"#);
        assert!(
            found[0].may_select(&labels(&[("__name__", "z")])),
            "bad regex: match all"
        );
        assert_eq!(found[1].name.as_deref(), Some("target_info"));
        assert_eq!(found[2].name.as_deref(), Some("y"));
    }
}
