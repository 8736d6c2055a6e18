//! Series selectors as `match[]` and `match_target` carry them (Prometheus's
//! `parser.ParseMetricSelector`): `up`, `up{job="node"}`, `{__name__=~"node_.+"}`, and
//! Prometheus 3's quoted names, `{"my.metric", "label.name"="v"}`.
//!
//! Strings are Go string literals: `"…"` and `'…'` with Go's escapes (`\n`, `\x41`, `\101`,
//! `\u00e9`, `\U0001F600`, …), and raw `` `…` `` without escapes. Errors name the byte column
//! (`1:5: parse error: …`) as Prometheus's do.
#![deny(clippy::indexing_slicing)]

use model::{MatchType, Matcher};

/// Parses a selector into matchers; the metric name, if any, comes first as `__name__="…"`.
pub(crate) fn parse_selector(text: &str) -> Result<Vec<Matcher>, String> {
    let mut parser = Parser { text, pos: 0 };
    let parsed = parser.selector()?;
    let mut matchers = Vec::with_capacity(parsed.len());
    for (kind, name, value) in parsed {
        let matcher = Matcher::new(kind, name, value).map_err(|e| format!("parse error: {e}"))?;
        matchers.push(matcher);
    }
    if matchers.iter().all(Matcher::matches_empty) {
        return Err(
            "parse error: vector selector must contain at least one non-empty matcher".to_owned(),
        );
    }
    Ok(matchers)
}

type RawMatcher = (MatchType, String, String);

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
}

impl Parser<'_> {
    fn selector(&mut self) -> Result<Vec<RawMatcher>, String> {
        self.skip_space();
        let mut name = None;
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        {
            name = Some(self.identifier(true));
            self.skip_space();
        }
        let mut matchers = Vec::new();
        match self.peek() {
            Some('{') => {
                self.bump();
                self.braces(&mut name, &mut matchers)?;
                self.skip_space();
            }
            None if name.is_none() => return Err(self.error("unexpected end of input")),
            _ => {}
        }
        if let Some(c) = self.peek() {
            return Err(self.error(&format!("unexpected character {c:?} after the selector")));
        }
        if let Some(name) = name {
            matchers.insert(0, (MatchType::Equal, model::METRIC_NAME.to_owned(), name));
        }
        Ok(matchers)
    }

    /// The matchers after `{`, through the closing `}`.
    fn braces(
        &mut self,
        name: &mut Option<String>,
        matchers: &mut Vec<RawMatcher>,
    ) -> Result<(), String> {
        loop {
            self.skip_space();
            match self.peek() {
                Some('}') => {
                    self.bump();
                    return Ok(());
                }
                None => return Err(self.error("unexpected end of input inside braces")),
                _ => {}
            }
            self.matcher(name, matchers)?;
            self.skip_space();
            match self.peek() {
                Some(',') => self.bump(),
                Some('}') => {}
                None => return Err(self.error("unexpected end of input inside braces")),
                Some(c) => {
                    return Err(self.error(&format!(
                        "unexpected character inside braces: {c:?}, expected \",\" or \"}}\""
                    )));
                }
            }
        }
    }

    /// One `name op "value"`, or a bare string naming the metric.
    fn matcher(
        &mut self,
        name: &mut Option<String>,
        matchers: &mut Vec<RawMatcher>,
    ) -> Result<(), String> {
        let (label, quoted) = match self.peek() {
            Some('"' | '\'' | '`') => (self.string()?, true),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => (self.identifier(false), false),
            Some(c) => {
                return Err(self.error(&format!(
                    "unexpected character inside braces: {c:?}, expected a label name"
                )));
            }
            None => return Err(self.error("unexpected end of input inside braces")),
        };
        self.skip_space();
        if quoted && matches!(self.peek(), Some(',' | '}')) {
            if let Some(previous) = name.replace(label.clone()) {
                return Err(self.error(&format!(
                    "metric name must not be set twice: {previous:?} or {label:?}"
                )));
            }
            return Ok(());
        }
        let kind = self.operator()?;
        self.skip_space();
        let value = match self.peek() {
            Some('"' | '\'' | '`') => self.string()?,
            _ => return Err(self.error("expected a quoted label value after the operator")),
        };
        if label == model::METRIC_NAME
            && let Some(previous) = name.as_ref()
        {
            return Err(self.error(&format!(
                "metric name must not be set twice: {previous:?} or {value:?}"
            )));
        }
        matchers.push((kind, label, value));
        Ok(())
    }

    fn operator(&mut self) -> Result<MatchType, String> {
        let rest = self.rest();
        let (kind, len) = if rest.starts_with("=~") {
            (MatchType::Regex, 2)
        } else if rest.starts_with("!~") {
            (MatchType::NotRegex, 2)
        } else if rest.starts_with("!=") {
            (MatchType::NotEqual, 2)
        } else if rest.starts_with('=') {
            (MatchType::Equal, 1)
        } else {
            return Err(self.error("expected a label matching operator (=, !=, =~ or !~)"));
        };
        self.pos += len;
        Ok(kind)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, with `:` allowed too for metric names. The caller checked
    /// the first character.
    fn identifier(&mut self, metric: bool) -> String {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || (metric && c == ':');
        let len = self
            .rest()
            .find(|c| !allowed(c))
            .unwrap_or(self.rest().len());
        let ident = self.rest().get(..len).unwrap_or_default().to_owned();
        self.pos += len;
        ident
    }

    /// A Go string literal starting at the current quote.
    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let Some(quote) = self.peek() else {
            return Err(self.error("unexpected end of input"));
        };
        self.bump();
        let mut bytes = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("unterminated quoted string"));
            };
            self.bump();
            match c {
                c if c == quote => break,
                '\n' if quote != '`' => {
                    self.pos = start;
                    return Err(self.error("unterminated quoted string"));
                }
                '\\' if quote != '`' => self.escape(quote, &mut bytes)?,
                c => {
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        String::from_utf8(bytes).map_err(|_| {
            self.pos = start;
            self.error("string literal is not valid UTF-8")
        })
    }

    /// The escape after a backslash, appended to `out` as bytes (`\xff` need not be UTF-8 on
    /// its own; the whole string is checked at the end).
    fn escape(&mut self, quote: char, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated quoted string"));
        };
        self.bump();
        let simple = match c {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '"' | '\'' if c == quote => Some(c as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        match c {
            'x' => out.push(self.number_byte(2, 16)?),
            '0'..='7' => {
                self.pos -= 1;
                out.push(self.number_byte(3, 8)?);
            }
            'u' | 'U' => {
                let len = if c == 'u' { 4 } else { 8 };
                let code = self.number(len, 16)?;
                let ch = char::from_u32(code).ok_or_else(|| {
                    self.error(&format!("invalid Unicode code point \\{c}{code:x}"))
                })?;
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            other => return Err(self.error(&format!("unknown escape sequence \\{other}"))),
        }
        Ok(())
    }

    fn number_byte(&mut self, len: usize, radix: u32) -> Result<u8, String> {
        let n = self.number(len, radix)?;
        u8::try_from(n).map_err(|_| self.error("octal escape value above 255"))
    }

    /// Exactly `len` digits in `radix`.
    fn number(&mut self, len: usize, radix: u32) -> Result<u32, String> {
        let digits = self
            .rest()
            .get(..len)
            .filter(|d| d.chars().all(|c| c.is_digit(radix)));
        let Some(digits) = digits else {
            return Err(self.error(&format!("escape sequence needs {len} base-{radix} digits")));
        };
        let n = u32::from_str_radix(digits, radix).map_err(|e| self.error(&e.to_string()))?;
        self.pos += len;
        Ok(n)
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                // A comment runs to the end of the line, as in PromQL.
                let len = self.rest().find('\n').unwrap_or(self.rest().len());
                self.pos += len;
            } else {
                break;
            }
        }
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    /// `line:column: parse error: what`, positions 1-based, columns in bytes.
    fn error(&self, what: &str) -> String {
        let before = self.text.get(..self.pos).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = self.pos - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!("{line}:{column}: parse error: {what}")
    }
}

#[cfg(test)]
#[path = "selector_tests.rs"]
mod tests;
