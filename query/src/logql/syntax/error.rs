//! The error a LogQL query that does not parse ends with.

use std::fmt;

/// Why a LogQL query does not parse, with Loki's text (`logqlmodel.ParseError`).
///
/// `line` and `column` are 1-based, the column counting characters, and point at the token where
/// the parser (or lexer) gave up. Both are 0 for errors Loki reports without a position: checks
/// made after the grammar matched (a parameter an aggregation does not take, a selector without
/// a selective matcher, an input too long ...). As in Loki, `line` is 0 (and `column` set) when
/// the offending token is one Loki's lexer reads ahead for: a range `[..]`, a duration or byte
/// size, a parser flag, or a two-character operator such as `|=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Line of the offending token, from 1; 0 when not known (see the type's docs).
    pub line: usize,
    /// Column of the offending token, from 1, in characters; 0 when not known.
    pub column: usize,
    /// What is wrong, e.g. `syntax error: unexpected IDENTIFIER, expecting STRING`.
    pub message: String,
}

impl ParseError {
    /// An error at a position.
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
        }
    }

    /// An error without a position (Loki's checks after the grammar matched).
    pub(crate) fn unpositioned(message: impl Into<String>) -> Self {
        Self::at(0, 0, message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 && self.column == 0 {
            write!(f, "parse error : {}", self.message)
        } else {
            write!(
                f,
                "parse error at line {}, col {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_loki_with_and_without_position() {
        let e = ParseError::at(1, 7, "syntax error: unexpected IDENTIFIER");
        assert_eq!(
            e.to_string(),
            "parse error at line 1, col 7: syntax error: unexpected IDENTIFIER"
        );
        let e = ParseError::at(0, 21, "missing closing ']' in duration");
        assert_eq!(
            e.to_string(),
            "parse error at line 0, col 21: missing closing ']' in duration"
        );
        let e = ParseError::unpositioned("parameter required for operation topk");
        assert_eq!(
            e.to_string(),
            "parse error : parameter required for operation topk"
        );
    }
}
