//! The path language of `| json label="expression"` (Loki's `pkg/logql/log/jsonexpr`):
//! `field`, `.field`, `["key"]` and `[index]` steps, as in `pod.containers[0]["image name"]`.
//! Errors have the texts of Loki's goyacc parser and lexer (`syntax error: unexpected DOT,
//! expecting FIELD`, `cannot use float as array index`, ...), including where a lexer error
//! is replaced by the parser's: the lexer ends the input when it fails, and only after a
//! complete path does its own message survive.
#![deny(clippy::indexing_slicing)]

use std::iter::Peekable;
use std::str::Chars;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// An object member by key.
    Key(String),
    /// An array element by position.
    Index(usize),
}

/// Parses a path expression; the error is Loki's text (without its `cannot parse
/// expression [...]: ` prefix).
pub(super) fn parse_path(expression: &str) -> Result<Vec<Step>, String> {
    let mut lexer = Lexer {
        chars: expression.chars().peekable(),
        error: None,
    };
    let mut steps = Vec::new();
    let mut state = State::Start;
    loop {
        let token = lexer.next_token();
        state = match (state, token) {
            (State::Start, Token::Lsb) | (State::Path, Token::Lsb) => State::Bracket,
            (State::Start, Token::Field(f)) | (State::Dot, Token::Field(f)) => {
                steps.push(Step::Key(f));
                State::Path
            }
            (State::Bracket, Token::Str(s)) => State::Key(s),
            (State::Bracket, Token::Index(i)) => State::Index(i),
            (State::Key(s), Token::Rsb) => {
                steps.push(Step::Key(s));
                State::Path
            }
            (State::Index(i), Token::Rsb) => {
                steps.push(Step::Index(i));
                State::Path
            }
            (State::Path, Token::Dot) => State::Dot,
            (State::Path, Token::End) => {
                return match lexer.error {
                    Some(error) => Err(error),
                    None => Ok(steps),
                };
            }
            (state, token) => return Err(state.syntax_error(&token)),
        };
    }
}

/// Where the parser is.
#[derive(Debug)]
enum State {
    /// Nothing read.
    Start,
    /// After `[`.
    Bracket,
    /// After `["key"`.
    Key(String),
    /// After `[0`.
    Index(usize),
    /// After `.`.
    Dot,
    /// After a complete step.
    Path,
}

impl State {
    /// goyacc's message for `token` here; it lists what the state could shift, and nothing
    /// after a complete path (whose state reduces by default).
    fn syntax_error(&self, token: &Token) -> String {
        let expecting = match self {
            State::Start => ", expecting LSB or FIELD",
            State::Bracket => ", expecting STRING or INDEX",
            State::Key(_) | State::Index(_) => ", expecting RSB",
            State::Dot => ", expecting FIELD",
            State::Path => "",
        };
        format!("syntax error: unexpected {}{expecting}", token.name())
    }
}

/// A token of the path language.
#[derive(Debug)]
enum Token {
    Dot,
    Lsb,
    Rsb,
    Str(String),
    Field(String),
    Index(usize),
    /// The end of the input, or where the lexer failed.
    End,
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::Dot => "DOT",
            Token::Lsb => "LSB",
            Token::Rsb => "RSB",
            Token::Str(_) => "STRING",
            Token::Field(_) => "FIELD",
            Token::Index(_) => "INDEX",
            Token::End => "$end",
        }
    }
}

/// Loki's jsonexpr scanner: a NUL character ends the input like its end does.
struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    /// The lexer's error; it ends the input.
    error: Option<String>,
}

fn is_field_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

impl Lexer<'_> {
    fn next_token(&mut self) -> Token {
        if self.error.is_some() {
            return Token::End;
        }
        loop {
            let c = match self.chars.next() {
                None | Some('\0') => return Token::End,
                Some(' ' | '\t' | '\n') => continue,
                Some(c) => c,
            };
            return match c {
                '0'..='9' => self.scan_index(c),
                '[' => Token::Lsb,
                ']' => Token::Rsb,
                '.' => Token::Dot,
                '"' => Token::Str(self.scan_string()),
                c if is_field_start(c) => Token::Field(self.scan_field(c)),
                c => self.fail(format!("unexpected char {c}")),
            };
        }
    }

    fn fail(&mut self, error: String) -> Token {
        self.error = Some(error);
        Token::End
    }

    fn scan_field(&mut self, first: char) -> String {
        let mut field = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if !(is_field_start(c) || c.is_ascii_digit()) {
                break;
            }
            field.push(c);
            self.chars.next();
        }
        field
    }

    /// A string runs to `"` or `]` (both consumed) or the end; it has no escapes.
    fn scan_string(&mut self) -> String {
        let mut text = String::new();
        for c in self.chars.by_ref() {
            if matches!(c, '"' | ']' | '\0') {
                break;
            }
            text.push(c);
        }
        text
    }

    /// Digits up to white space, `.` or `]`; anything else (the end included) fails.
    fn scan_index(&mut self, first: char) -> Token {
        let mut digits = String::from(first);
        loop {
            match self.chars.peek().copied() {
                Some('.') => {
                    self.chars.next();
                    return self.fail("cannot use float as array index".to_owned());
                }
                Some(' ' | '\t' | '\n' | ']') => break,
                Some(c) if c.is_ascii_digit() => {
                    digits.push(c);
                    self.chars.next();
                }
                other => {
                    self.chars.next();
                    let c = other.unwrap_or('\0');
                    return self.fail(format!("non-integer value: {c}"));
                }
            }
        }
        match digits
            .parse::<i64>()
            .ok()
            .and_then(|i| usize::try_from(i).ok())
        {
            Some(index) => Token::Index(index),
            None => self.fail(format!(
                "strconv.Atoi: parsing \"{digits}\": value out of range"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Step {
        Step::Key(s.to_owned())
    }

    #[test]
    fn paths_parse_like_lokis_jsonexpr() {
        assert_eq!(parse_path("app"), Ok(vec![key("app")]));
        assert_eq!(parse_path("utf8"), Ok(vec![key("utf8")]));
        assert_eq!(
            parse_path(r#"["field with space"]"#),
            Ok(vec![key("field with space")])
        );
        assert_eq!(
            parse_path(r#"["field with ÜFT8👌"]"#),
            Ok(vec![key("field with ÜFT8👌")])
        );
        assert_eq!(parse_path("[0]"), Ok(vec![Step::Index(0)]));
        assert_eq!(parse_path("pod.uuid"), Ok(vec![key("pod"), key("uuid")]));
        assert_eq!(
            parse_path(r#"pod["uuid"]"#),
            Ok(vec![key("pod"), key("uuid")])
        );
        assert_eq!(
            parse_path(r#"["pod"]["uuid"]"#),
            Ok(vec![key("pod"), key("uuid")])
        );
        assert_eq!(
            parse_path(r#"["pod"].uuid"#),
            Ok(vec![key("pod"), key("uuid")])
        );
        assert_eq!(
            parse_path(r#"pod.deployment.params[0]["param"]"#),
            Ok(vec![
                key("pod"),
                key("deployment"),
                key("params"),
                Step::Index(0),
                key("param")
            ])
        );
        assert_eq!(
            parse_path(" a . b [ 12 ] "),
            Ok(vec![key("a"), key("b"), Step::Index(12)])
        );
        // a string also ends at `]`, and the input at a NUL
        assert_eq!(parse_path(r#"["a]]"#), Ok(vec![key("a")]));
        assert_eq!(
            parse_path(r#"["a]"#).unwrap_err(),
            "syntax error: unexpected $end, expecting RSB"
        );
        assert_eq!(parse_path("a\0.."), Ok(vec![key("a")]));
    }

    #[test]
    fn syntax_errors_have_lokis_texts() {
        let err = |s: &str| parse_path(s).unwrap_err();
        assert_eq!(err("field with space"), "syntax error: unexpected FIELD");
        assert_eq!(
            err(r#""pod"]"#),
            "syntax error: unexpected STRING, expecting LSB or FIELD"
        );
        assert_eq!(
            err(r#"["pod""#),
            "syntax error: unexpected $end, expecting RSB"
        );
        assert_eq!(
            err(r#"["pod""uuid"]"#),
            "syntax error: unexpected STRING, expecting RSB"
        );
        assert_eq!(
            err("pod..uuid"),
            "syntax error: unexpected DOT, expecting FIELD"
        );
        assert_eq!(
            err(r#"["key"#),
            "syntax error: unexpected $end, expecting RSB"
        );
        assert_eq!(
            err(""),
            "syntax error: unexpected $end, expecting LSB or FIELD"
        );
        assert_eq!(err("a]"), "syntax error: unexpected RSB");
        assert_eq!(
            err("0"),
            "syntax error: unexpected $end, expecting LSB or FIELD"
        );
        assert_eq!(
            err("[a]"),
            "syntax error: unexpected FIELD, expecting STRING or INDEX"
        );
        assert_eq!(
            err("a.[0]"),
            "syntax error: unexpected LSB, expecting FIELD"
        );
    }

    #[test]
    fn lexer_errors_survive_only_after_a_complete_path() {
        let err = |s: &str| parse_path(s).unwrap_err();
        assert_eq!(err("a$"), "unexpected char $");
        assert_eq!(err("a-b"), "unexpected char -");
        assert_eq!(err("a 1"), "non-integer value: \0");
        assert_eq!(err("a 7 "), "syntax error: unexpected INDEX");
        assert_eq!(
            err("a 99999999999999999999 "),
            "strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            err("[1.5]"),
            "syntax error: unexpected $end, expecting STRING or INDEX"
        );
        assert_eq!(
            err("[1a]"),
            "syntax error: unexpected $end, expecting STRING or INDEX"
        );
        assert_eq!(
            err("$a"),
            "syntax error: unexpected $end, expecting LSB or FIELD"
        );
    }
}
