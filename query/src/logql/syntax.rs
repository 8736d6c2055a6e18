//! LogQL syntax: the lexer, the recursive-descent parser, the syntax tree and its canonical
//! printer, following Loki v3's grammar (`pkg/logql/syntax` in grafana/loki: `syntax.y`,
//! `lex.go`, the `String()` methods of `ast.go` and `pkg/logql/log`).
//!
//! [`parse`] reads a query into an [`Expr`] with Loki's checks and errors ([`ParseError`],
//! `parse error at line 1, col 7: syntax error: unexpected ...`). `Display` on the tree prints
//! the canonical query text Loki's `/loki/api/v1/format_query` returns, and parsing that text
//! gives the same tree. [`LogExpr::pushdown_filters`] gives the line filters a log store can
//! run inside its scan.
//!
//! ```
//! use query::logql::syntax::{parse, Expr};
//!
//! let expr = parse(r#"{app="api"} |= "error" or "fatal" | logfmt | duration > 1s"#).unwrap();
//! assert_eq!(
//!     expr.to_string(),
//!     r#"{app="api"} |= "error" or "fatal" | logfmt | duration>1s"#
//! );
//! let Expr::Log(log) = expr else { unreachable!() };
//! assert_eq!(log.pushdown_filters().to_string(), r#"|= "error" or "fatal""#);
//! ```

mod ast;
mod error;
mod lexer;
pub(crate) mod literals;
mod parser;
pub(crate) mod pattern;
mod print;
mod pushdown;
pub(crate) mod units;
mod validate;

pub use ast::{
    BinaryExpr, BinaryOp, Cardinality, CmpOp, Expr, Grouping, LabelExtraction, LabelFilter,
    LabelFormat, LabelReplace, LabelSelector, LineFilter, LineFilterArg, LineFilterKind, LogExpr,
    LogRange, LogfmtParser, MatchingLabels, RangeAggregation, RangeOp, SampleExpr, Stage, Unwrap,
    UnwrapConversion, VectorAggregation, VectorMatching, VectorOp,
};
pub use error::ParseError;
pub use parser::{parse, parse_matchers};
pub use pattern::{PatternError, PatternNode, parse_pattern};

#[cfg(test)]
mod golden_tests;

#[cfg(test)]
mod error_tests;

#[cfg(test)]
mod roundtrip_tests;
