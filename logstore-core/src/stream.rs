//! Stream label sets as a push names them: parsing Loki's selector form `{a="b", c="d"}` and
//! validating the set like Loki's distributor does.
//!
//! The text form is Prometheus's series notation inside braces: labels in any order, separated
//! by commas (a trailing comma allowed), values (and, as in Prometheus 3, names) quoted with `"`,
//! `'` or backticks, with Go's escapes inside `"` and `'` (`\n`, `\t`, `\\`, `\"`, `\xFF`, `\377`,
//! `\u00e9`, `\U0001F600`, …), nothing escaped inside backticks. A metric name before the
//! brace is not accepted: log streams have none.
//!
//! Validation follows Loki 3.x (`pkg/distributor/validator.go`), in its order: empty values are
//! dropped (an empty value means "no such label"); no label left is [`Rejection::MissingLabels`];
//! then the count of names (`service_name`, which Loki adds itself, not counted); then, in name
//! order, each name's length, its value's length and duplicates. Errors name the stream as it was
//! pushed.

use std::fmt;

use model::{LabelError, Labels, is_valid_label_name};

use crate::limits::{Limits, Rejection, SERVICE_NAME_LABEL};

/// Why a stream's labels are not a valid label set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamLabelsError {
    /// The text is not of the selector form.
    #[error("parse error at byte {offset}: {problem}")]
    Syntax {
        /// Byte offset in the text where the problem was found.
        offset: usize,
        /// What was expected or wrong there.
        problem: SyntaxProblem,
    },
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`, or another label-set rule broken.
    #[error(transparent)]
    Label(#[from] LabelError),
}

/// What is wrong at a [`StreamLabelsError::Syntax`] position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxProblem {
    /// The text does not start with `{`.
    ExpectedOpenBrace,
    /// A label name was expected.
    ExpectedLabelName,
    /// `=` was expected after a label name.
    ExpectedEquals,
    /// A matcher other than `=` (`!=`, `=~`, `!~`): a stream's labels are values, not a query.
    NotEquality(&'static str),
    /// A quoted value was expected after `=`.
    ExpectedValue,
    /// A quoted string without its closing quote.
    UnterminatedString,
    /// A backslash escape Go does not define, or one cut short.
    InvalidEscape,
    /// A string whose escapes produce bytes that are not UTF-8, or a code point that is not a
    /// character.
    InvalidUtf8,
    /// `,` or `}` was expected after a label.
    ExpectedCommaOrCloseBrace,
    /// Something after the closing `}`.
    TrailingInput,
}

impl fmt::Display for SyntaxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxProblem::ExpectedOpenBrace => f.write_str("expected '{'"),
            SyntaxProblem::ExpectedLabelName => f.write_str("expected a label name"),
            SyntaxProblem::ExpectedEquals => f.write_str("expected '=' after the label name"),
            SyntaxProblem::NotEquality(op) => {
                write!(f, "only '=' may give a stream's labels, found '{op}'")
            }
            SyntaxProblem::ExpectedValue => f.write_str("expected a quoted label value"),
            SyntaxProblem::UnterminatedString => f.write_str("unterminated quoted string"),
            SyntaxProblem::InvalidEscape => f.write_str("invalid escape sequence"),
            SyntaxProblem::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            SyntaxProblem::ExpectedCommaOrCloseBrace => f.write_str("expected ',' or '}'"),
            SyntaxProblem::TrailingInput => f.write_str("unexpected input after '}'"),
        }
    }
}

/// Parses and validates a stream's labels given in selector form (push API, protobuf and legacy
/// JSON). Errors name the stream by `text`.
pub fn parse_stream(text: &str, limits: &Limits) -> Result<Labels, Rejection> {
    let pairs = parse_selector(text).map_err(|error| Rejection::InvalidLabels {
        stream: text.to_owned(),
        error,
    })?;
    validate(|| text.to_owned(), pairs, limits)
}

/// Validates a stream's labels given as pairs in push order (the JSON push API's `stream`
/// object). Errors name the stream as `{name="value", …}` in the order given.
pub fn validate_stream(pairs: Vec<(String, String)>, limits: &Limits) -> Result<Labels, Rejection> {
    for (name, _) in &pairs {
        if !is_valid_label_name(name) {
            return Err(Rejection::InvalidLabels {
                stream: describe(&pairs),
                error: LabelError::InvalidName(name.clone()).into(),
            });
        }
    }
    let text = describe(&pairs);
    validate(move || text, pairs, limits)
}

/// `{a="1", b="2"}` for pairs in the order given.
fn describe(pairs: &[(String, String)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", body.join(", "))
}

/// The checks after parsing, in Loki's order. `stream` names the stream in errors; it is only
/// called on an error.
fn validate(
    stream: impl FnOnce() -> String,
    mut pairs: Vec<(String, String)>,
    limits: &Limits,
) -> Result<Labels, Rejection> {
    pairs.retain(|(_, v)| !v.is_empty());
    if pairs.is_empty() {
        return Err(Rejection::MissingLabels);
    }
    let count = pairs
        .iter()
        .filter(|(n, _)| n != SERVICE_NAME_LABEL)
        .count();
    if count > limits.max_label_names_per_series {
        return Err(Rejection::MaxLabelNamesPerSeries {
            stream: stream(),
            count,
            limit: limits.max_label_names_per_series,
        });
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut previous: Option<&str> = None;
    for (name, value) in &pairs {
        if name.len() > limits.max_label_name_length {
            return Err(Rejection::LabelNameTooLong {
                stream: stream(),
                name: name.clone(),
                limit: limits.max_label_name_length,
            });
        }
        if value.len() > limits.max_label_value_length {
            return Err(Rejection::LabelValueTooLong {
                stream: stream(),
                value: value.clone(),
                limit: limits.max_label_value_length,
            });
        }
        if previous == Some(name.as_str()) {
            return Err(Rejection::DuplicateLabelNames {
                stream: stream(),
                name: name.clone(),
            });
        }
        previous = Some(name);
    }
    // Sorted and unique now; building still checks names and the `__name__` value.
    Labels::from_pairs(pairs.iter().map(|(n, v)| (n, v))).map_err(|e| Rejection::InvalidLabels {
        stream: stream(),
        error: e.into(),
    })
}

/// Parses `{name="value", …}` into (name, value) pairs in the order written, keeping empty
/// values and duplicates for validation to judge.
pub fn parse_selector(text: &str) -> Result<Vec<(String, String)>, StreamLabelsError> {
    let mut p = Parser { text, pos: 0 };
    p.skip_ws();
    p.expect(b'{', SyntaxProblem::ExpectedOpenBrace)?;
    let mut pairs = Vec::new();
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let name = p.label_name()?;
        p.skip_ws();
        p.equals()?;
        p.skip_ws();
        let value = p.quoted(SyntaxProblem::ExpectedValue)?;
        pairs.push((name, value));
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        p.expect(b',', SyntaxProblem::ExpectedCommaOrCloseBrace)?;
    }
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error(SyntaxProblem::TrailingInput));
    }
    Ok(pairs)
}

/// A cursor over the text: `pos` is a byte offset. Outside quoted strings it only moves past
/// ASCII bytes; inside them bytes are copied one by one and checked as UTF-8 at the end.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, problem: SyntaxProblem) -> StreamLabelsError {
        self.error_at(self.pos, problem)
    }

    fn error_at(&self, offset: usize, problem: SyntaxProblem) -> StreamLabelsError {
        StreamLabelsError::Syntax { offset, problem }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, problem: SyntaxProblem) -> Result<(), StreamLabelsError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(problem))
        }
    }

    /// An identifier, or a quoted name (validated later, like any name).
    fn label_name(&mut self) -> Result<String, StreamLabelsError> {
        if matches!(self.peek(), Some(b'"' | b'\'' | b'`')) {
            return self.quoted(SyntaxProblem::ExpectedLabelName);
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        match self.text.get(start..self.pos) {
            Some(name) if !name.is_empty() => Ok(name.to_owned()),
            _ => Err(self.error(SyntaxProblem::ExpectedLabelName)),
        }
    }

    /// `=`, refusing the other matcher operators by name.
    fn equals(&mut self) -> Result<(), StreamLabelsError> {
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b'='), Some(b'~')) => "=~",
            (Some(b'!'), Some(b'=')) => "!=",
            (Some(b'!'), Some(b'~')) => "!~",
            (Some(b'='), _) => {
                self.pos += 1;
                return Ok(());
            }
            _ => return Err(self.error(SyntaxProblem::ExpectedEquals)),
        };
        Err(self.error(SyntaxProblem::NotEquality(op)))
    }

    /// A string in `"`, `'` or backticks.
    fn quoted(&mut self, missing: SyntaxProblem) -> Result<String, StreamLabelsError> {
        let start = self.pos;
        let Some(quote @ (b'"' | b'\'' | b'`')) = self.peek() else {
            return Err(self.error(missing));
        };
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error_at(start, SyntaxProblem::UnterminatedString));
            };
            self.pos += 1;
            match b {
                _ if b == quote => break,
                b'\\' if quote != b'`' => self.escape(&mut out)?,
                b'\n' if quote != b'`' => {
                    return Err(self.error_at(start, SyntaxProblem::UnterminatedString));
                }
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.error_at(start, SyntaxProblem::InvalidUtf8))
    }

    /// One escape after its backslash, appended to `out` as bytes.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), StreamLabelsError> {
        let at = self.pos - 1;
        let bad = |p: &Self| p.error_at(at, SyntaxProblem::InvalidEscape);
        let Some(c) = self.peek() else {
            return Err(bad(self));
        };
        self.pos += 1;
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'"' | b'\'' => Some(c),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        match c {
            b'x' => out.push(self.digits(2, 16).ok_or_else(|| bad(self))? as u8),
            b'0'..=b'7' => {
                self.pos -= 1;
                let value = self.digits(3, 8).ok_or_else(|| bad(self))?;
                out.push(u8::try_from(value).map_err(|_| bad(self))?);
            }
            b'u' | b'U' => {
                let width = if c == b'u' { 4 } else { 8 };
                let code = self.digits(width, 16).ok_or_else(|| bad(self))?;
                let ch = char::from_u32(code)
                    .ok_or_else(|| self.error_at(at, SyntaxProblem::InvalidUtf8))?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => return Err(bad(self)),
        }
        Ok(())
    }

    /// Exactly `count` digits of `radix`, consumed; `None` if they are not there.
    fn digits(&mut self, count: usize, radix: u32) -> Option<u32> {
        let mut value: u32 = 0;
        for _ in 0..count {
            let digit = char::from(self.peek()?).to_digit(radix)?;
            value = value * radix + digit;
            self.pos += 1;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|&(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    fn syntax(text: &str) -> (usize, SyntaxProblem) {
        match parse_selector(text) {
            Err(StreamLabelsError::Syntax { offset, problem }) => (offset, problem),
            other => panic!("{text:?}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn parses_lokis_selector_form() {
        let got = parse_selector(r#" { job = "varlogs", filename="/var/log/a.log",} "#).unwrap();
        assert_eq!(
            got,
            pairs(&[("job", "varlogs"), ("filename", "/var/log/a.log")])
        );
        assert_eq!(parse_selector("{}").unwrap(), pairs(&[]));
        let quoted = parse_selector(r#"{a='x"y', b=`c:\d`, "c"="z"}"#).unwrap();
        assert_eq!(quoted, pairs(&[("a", "x\"y"), ("b", r"c:\d"), ("c", "z")]));
    }

    #[test]
    fn go_escapes_are_decoded() {
        let text = r#"{a="q\"b\\s\n\t\x41\101\u00e9\U0001F600\a\v\'"}"#;
        let got = parse_selector(text).unwrap();
        assert_eq!(got, pairs(&[("a", "q\"b\\s\n\tAAé😀\u{7}\u{b}'")]));
        let labels = parse_stream(text, &Limits::default()).unwrap();
        assert_eq!(labels.get("a"), Some("q\"b\\s\n\tAAé😀\u{7}\u{b}'"));
    }

    #[test]
    fn syntax_errors_give_the_position_and_the_problem() {
        use SyntaxProblem::*;
        assert_eq!(syntax(""), (0, ExpectedOpenBrace));
        assert_eq!(syntax(r#"app{a="b"}"#), (0, ExpectedOpenBrace));
        assert_eq!(syntax("{a}"), (2, ExpectedEquals));
        assert_eq!(syntax(r#"{a!="b"}"#), (2, NotEquality("!=")));
        assert_eq!(syntax(r#"{a=~"b"}"#), (2, NotEquality("=~")));
        assert_eq!(syntax(r#"{a !~ "b"}"#), (3, NotEquality("!~")));
        assert_eq!(syntax("{a=b}"), (3, ExpectedValue));
        assert_eq!(syntax(r#"{a="b""#), (6, ExpectedCommaOrCloseBrace));
        assert_eq!(syntax(r#"{a="b" c="d"}"#), (7, ExpectedCommaOrCloseBrace));
        assert_eq!(syntax(r#"{a="b}"#), (3, UnterminatedString));
        assert_eq!(syntax("{a=\"b\nc\"}"), (3, UnterminatedString));
        assert_eq!(syntax(r#"{a="b"} x"#), (8, TrailingInput));
        assert_eq!(syntax(r#"{a="\q"}"#), (4, InvalidEscape));
        assert_eq!(syntax(r#"{a="\x4"}"#), (4, InvalidEscape));
        assert_eq!(syntax(r#"{a="\400"}"#), (4, InvalidEscape));
        assert_eq!(syntax(r#"{a="\"#), (4, InvalidEscape));
        assert_eq!(syntax(r#"{a="\xff"}"#), (3, InvalidUtf8));
        assert_eq!(syntax(r#"{a="\ud800"}"#), (4, InvalidUtf8));
        assert_eq!(syntax("{,}"), (1, ExpectedLabelName));
        assert_eq!(syntax(r#"{a="b",,}"#), (7, ExpectedLabelName));
    }

    #[test]
    fn parse_errors_read_like_lokis() {
        let err = parse_stream("{a}", &Limits::default()).unwrap_err();
        assert_eq!(err.reason(), "invalid_labels");
        assert_eq!(
            err.to_string(),
            "Error parsing labels '{a}' with error: parse error at byte 2: expected '=' after \
             the label name"
        );
        let err = parse_stream(r#"{1a="x"}"#, &Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Error parsing labels '{1a="x"}' with error: invalid label name "1a""#
        );
        let err = parse_stream(r#"{__name__="a-b"}"#, &Limits::default()).unwrap_err();
        assert!(matches!(
            err,
            Rejection::InvalidLabels {
                error: StreamLabelsError::Label(LabelError::InvalidMetricName(_)),
                ..
            }
        ));
    }

    #[test]
    fn labels_are_sorted_and_empty_values_dropped() {
        let limits = Limits::default();
        let labels = parse_stream(r#"{zone="b", app="x", empty=""}"#, &limits).unwrap();
        assert_eq!(labels.to_string(), r#"{app="x", zone="b"}"#);
        for text in ["{}", r#"{a=""}"#, r#"{a="", b=''}"#] {
            let err = parse_stream(text, &limits).unwrap_err();
            assert_eq!(err, Rejection::MissingLabels, "{text}");
            assert_eq!(
                err.to_string(),
                "error at least one label pair is required per stream"
            );
            assert_eq!(err.reason(), "missing_labels");
        }
        let dup_with_empty = parse_stream(r#"{a="", a="x"}"#, &limits).unwrap();
        assert_eq!(dup_with_empty.get("a"), Some("x"));
    }

    fn many_labels(n: usize) -> String {
        let body: Vec<String> = (0..n).map(|i| format!("l{i:02}=\"v\"")).collect();
        format!("{{{}}}", body.join(", "))
    }

    #[test]
    fn label_count_limit() {
        let limits = Limits::default();
        assert_eq!(parse_stream(&many_labels(15), &limits).unwrap().len(), 15);
        let text = many_labels(16);
        let err = parse_stream(&text, &limits).unwrap_err();
        assert_eq!(
            err,
            Rejection::MaxLabelNamesPerSeries {
                stream: text.clone(),
                count: 16,
                limit: 15
            }
        );
        assert_eq!(
            err.to_string(),
            format!("entry for stream '{text}' has 16 label names; limit 15")
        );
        assert_eq!(err.reason(), "max_label_names_per_series");
        let with_service = format!("{}, service_name=\"svc\"}}", &text[..text.len() - 1]);
        let fifteen_and_service = with_service.replacen("l00=\"v\", ", "", 1);
        let labels = parse_stream(&fifteen_and_service, &limits).unwrap();
        assert_eq!(labels.len(), 16, "service_name is not counted");
    }

    #[test]
    fn label_name_and_value_length_limits() {
        let limits = Limits::default();
        let name_ok = "n".repeat(1024);
        assert!(parse_stream(&format!("{{{name_ok}=\"v\"}}"), &limits).is_ok());
        let long_name = "n".repeat(1025);
        let text = format!("{{{long_name}=\"v\"}}");
        let err = parse_stream(&text, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("stream '{text}' has label name too long: '{long_name}'")
        );
        assert!(matches!(
            err,
            Rejection::LabelNameTooLong { limit: 1024, .. }
        ));
        assert_eq!(err.reason(), "label_name_too_long");

        let value_ok = "v".repeat(2048);
        assert!(parse_stream(&format!("{{a=\"{value_ok}\"}}"), &limits).is_ok());
        let long_value = "v".repeat(2049);
        let text = format!("{{a=\"{long_value}\"}}");
        let err = parse_stream(&text, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("stream '{text}' has label value too long: '{long_value}'")
        );
        assert!(matches!(
            err,
            Rejection::LabelValueTooLong { limit: 2048, .. }
        ));
        assert_eq!(err.reason(), "label_value_too_long");

        let tight = Limits {
            max_label_name_length: 3,
            max_label_value_length: 3,
            ..Limits::default()
        };
        let err = parse_stream(r#"{zzzz="1", a="long"}"#, &tight).unwrap_err();
        assert_eq!(
            err.reason(),
            "label_value_too_long",
            "checked in name order"
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let text = r#"{b="1", a="x", b="2"}"#;
        let err = parse_stream(text, &Limits::default()).unwrap_err();
        assert_eq!(
            err,
            Rejection::DuplicateLabelNames {
                stream: text.into(),
                name: "b".into()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("stream '{text}' has duplicate label name: 'b'")
        );
        assert_eq!(err.reason(), "duplicate_label_names");
    }

    #[test]
    fn pairs_from_json_are_validated_alike() {
        let limits = Limits::default();
        let labels = validate_stream(pairs(&[("job", "x"), ("env", "")]), &limits).unwrap();
        assert_eq!(labels.to_string(), r#"{job="x"}"#);
        let err = validate_stream(pairs(&[("job", "x"), ("a.b", "y")]), &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Error parsing labels '{job="x", a.b="y"}' with error: invalid label name "a.b""#
        );
        let err = validate_stream(pairs(&[("b", "1"), ("b", "2")]), &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"stream '{b="1", b="2"}' has duplicate label name: 'b'"#
        );
        assert_eq!(
            validate_stream(Vec::new(), &limits),
            Err(Rejection::MissingLabels)
        );
    }

    /// Go-style quoting with a random quote character; backticks only when the value allows.
    fn quote(value: &str, style: u8) -> String {
        if style == 2 && !value.contains('`') {
            return format!("`{value}`");
        }
        let q = if style == 1 { '\'' } else { '"' };
        let mut out = String::from(q);
        for c in value.chars() {
            match c {
                '\\' => out.push_str(r"\\"),
                '\n' => out.push_str(r"\n"),
                c if c == q => {
                    out.push('\\');
                    out.push(c);
                }
                c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if (c as u32) > 0xffff => out.push_str(&format!("\\U{:08x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push(q);
        out
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-z0-9 ._/-]{0,12}",
            2 => "[\\\\\"'`\n\t\u{0}é😀{}=,]{0,6}",
            1 => any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn selector_text_round_trips(
            labels in proptest::collection::vec(
                ("[a-zA-Z_][a-zA-Z0-9_]{0,8}", value(), 0u8..3, 0u8..3), 0..6),
            trailing_comma in any::<bool>(),
        ) {
            let body: Vec<String> = labels
                .iter()
                .map(|(n, v, style, ws)| {
                    let pad = " ".repeat(usize::from(*ws));
                    format!("{pad}{n}{pad}={pad}{}", quote(v, *style))
                })
                .collect();
            let comma = if trailing_comma && !body.is_empty() { "," } else { "" };
            let text = format!("{{{}{comma}}}", body.join(","));
            let want: Vec<(String, String)> =
                labels.into_iter().map(|(n, v, _, _)| (n, v)).collect();
            prop_assert_eq!(parse_selector(&text).unwrap(), want);
        }

        #[test]
        fn any_text_parses_or_fails_without_panicking(text in any::<String>()) {
            let _ = parse_stream(&text, &Limits::default());
        }

        #[test]
        fn selector_like_text_parses_or_fails_without_panicking(
            text in "[{}=!~,\"'`\\\\ a-z0-9xuU]{0,24}"
        ) {
            if let Err(StreamLabelsError::Syntax { offset, .. }) = parse_selector(&text) {
                prop_assert!(offset <= text.len());
            }
        }
    }
}
