//! Go `text/template` for LogQL's `line_format` and `label_format`.
//!
//! Loki evaluates these stages' templates with Go's `text/template` (option
//! `missingkey=zero`) over the entry's labels, plus the functions Loki registers in
//! `pkg/logql/log/fmt.go` (grafana/loki v3.x): Go's builtins, a set of sprig v3 functions, and
//! Loki's own (`__line__`, `__timestamp__`, `alignLeft`, `unixToTime`, ...). This module
//! compiles such a template once ([`Template::parse`]) and renders it per entry
//! ([`Template::render`]) through a [`TemplateContext`].
//!
//! ```
//! use std::borrow::Cow;
//! use query::logql::template::{Template, TemplateContext};
//!
//! struct Entry;
//! impl TemplateContext for Entry {
//!     fn label(&self, name: &str) -> Option<&str> {
//!         (name == "method").then_some("get")
//!     }
//!     fn label_at(&self, index: usize) -> Option<(&str, &str)> {
//!         (index == 0).then_some(("method", "get"))
//!     }
//!     fn line(&self) -> Cow<'_, str> {
//!         Cow::Borrowed("GET /index.html 200")
//!     }
//!     fn timestamp_ns(&self) -> i64 {
//!         1_656_353_124_120_000_000
//!     }
//! }
//!
//! let template = Template::parse(r#"{{ .method | upper }} at {{ __timestamp__ | date "2006-01-02" }}"#).unwrap();
//! let mut out = String::new();
//! template.render(&Entry, &mut out).unwrap();
//! assert_eq!(out, "GET at 2022-06-27");
//! ```
//!
//! # Language
//!
//! Text and `{{ }}` actions with the `{{- ` / ` -}}` trim markers and `{{/* comments */}}`;
//! fields `.label` (a missing label is the empty string), `.` and `$`; variables `$x := ...`,
//! `$x = ...`; pipelines `a | b` (each value is passed as the last argument of the next
//! command); calls with arguments and parentheses; string, raw string, character, number
//! and boolean literals and `nil`; `if`/`else if`/`else`/`end`, `with`/`else with`,
//! `range` (over lists and maps from `fromJson`, the label map, and integers) with `break`,
//! `continue` and `else`. Named templates (`define`, `template`, `block`) and the builtins
//! `call` and `slice` are not supported: using them is a parse error naming them, as is a call
//! of any function Loki does not register.
//!
//! # Values
//!
//! Values are typed as in Go: label values are strings; sprig's integer math returns
//! integers and converts its arguments like sprig does (`add .status 1` parses the label);
//! float math (`addf`, `divf`, ...) uses sprig's decimal arithmetic; time functions return
//! times, printed like Go's `Time.String()`. Argument types are checked like Go's (a string
//! where `trunc` wants an integer is an execution error), except that integer kinds (`int`,
//! `int64`) are interchangeable and integers are accepted where a float is expected.
//!
//! # Time zones
//!
//! There is no time-zone database: the server's local zone is UTC (`now`, `date`, `toDate`
//! use UTC), and `toDateInZone` accepts only `"UTC"`, `"Local"` and `""`; another zone is a
//! parse error naming it when it is a literal, an execution error otherwise.
//!
//! # Limits
//!
//! Rendering is bounded by [`RenderLimits`]: the output, and every string a function builds
//! (`repeat`, `indent`, `printf` widths, ...), may not exceed `max_output_bytes`, and every
//! executed node or loop iteration costs one of `max_steps`. Nesting of control structures and
//! parentheses is limited to 100 levels at parse time. Strings decoded from bytes
//! (`b64dec`, `urldecode`) that are not UTF-8 get U+FFFD replacement characters.

// Template source, label values and lines all come from outside the process.
#![deny(clippy::indexing_slicing)]

mod ast;
mod builtins;
mod decimal;
mod escape;
mod exec;
mod floatfmt;
mod funcs;
mod gotime;
mod layout;
mod lexer;
mod literal;
mod methods;
mod numeric;
mod parser;
mod printf;
mod strings;
#[cfg(test)]
mod test_support;
mod timefuncs;
mod value;

use std::borrow::Cow;
use std::fmt;

use exec::{Exec, ExecErrorKind};
use parser::ParseError;

/// What a template reads from the entry it renders.
///
/// Implementations are called during [`Template::render`] only, and only for what the
/// template uses: a template without `__line__` never calls [`TemplateContext::line`].
pub trait TemplateContext {
    /// Value of the label `name` (stream labels, parsed labels and structured metadata alike),
    /// or `None` when the entry has no such label; templates see a missing label as `""`.
    fn label(&self, name: &str) -> Option<&str>;

    /// The `index`-th label as `(name, value)`, for `index` from 0 until the first `None`.
    /// Used when a template prints or ranges over the whole label map; any order is accepted
    /// (the template sorts by name, as Go does for maps), each name must appear once.
    fn label_at(&self, index: usize) -> Option<(&str, &str)>;

    /// The log line (`__line__`). Lines that are not UTF-8 should be given lossily converted.
    fn line(&self) -> Cow<'_, str>;

    /// The entry's timestamp in nanoseconds since the Unix epoch (`__timestamp__`).
    fn timestamp_ns(&self) -> i64;
}

/// Bounds on one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// Largest output, and largest string any function may build, in bytes.
    /// Default: 16 MiB.
    pub max_output_bytes: usize,
    /// Most nodes, commands and loop iterations one render may execute. Default: 1,000,000.
    pub max_steps: u64,
}

impl Default for RenderLimits {
    fn default() -> Self {
        Self {
            max_output_bytes: 16 << 20,
            max_steps: 1_000_000,
        }
    }
}

/// A compiled template. Compile once, render for every entry; rendering does not allocate
/// beyond the output unless a function builds a new string or the template uses variables.
#[derive(Debug)]
pub struct Template {
    name: Box<str>,
    source: Box<str>,
    root: ast::List,
    var_slots: usize,
    limits: RenderLimits,
}

/// Where in a template an error is: template name, byte offset, line (1-based) and column
/// (0-based byte offset within the line, as Go reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Template name (`line` or `label` in Loki's messages; `template` by default).
    pub name: String,
    /// Byte offset in the template source.
    pub offset: usize,
    /// Line number, from 1.
    pub line: usize,
    /// Byte offset within the line, from 0.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.name, self.line, self.column)
    }
}

/// Which render limit was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The output or a built string would exceed this many bytes.
    OutputBytes(usize),
    /// More than this many steps.
    Steps(u64),
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputBytes(limit) => write!(f, "output exceeds the limit of {limit} bytes"),
            Self::Steps(limit) => write!(f, "execution exceeds the limit of {limit} steps"),
        }
    }
}

/// Errors compiling or rendering a template. Messages follow Go's, with a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template is not valid syntax.
    #[error("template: {position}: {message}")]
    Syntax {
        /// Where.
        position: Position,
        /// Go-like description.
        message: String,
    },
    /// A call of a function Loki does not define.
    #[error("template: {position}: function {function:?} not defined")]
    UnknownFunction {
        /// Where the name is.
        position: Position,
        /// The name.
        function: String,
    },
    /// A valid Go template feature this implementation does not provide.
    #[error("template: {position}: {feature} is not supported")]
    Unsupported {
        /// Where.
        position: Position,
        /// What.
        feature: String,
    },
    /// Rendering failed (Loki sets `__error__="TemplateFormatErr"` with this message).
    #[error("template: {position}: executing {:?} at <{context}>: {message}", .position.name)]
    Execution {
        /// The node being executed.
        position: Position,
        /// Source text of that node (truncated like Go's).
        context: String,
        /// Go-like description.
        message: String,
    },
    /// Rendering hit a [`RenderLimits`] bound.
    #[error("template: {position}: executing {:?} at <{context}>: {limit}", .position.name)]
    Limit {
        /// The node being executed.
        position: Position,
        /// Source text of that node.
        context: String,
        /// The bound.
        limit: LimitKind,
    },
}

/// A lexer or parser error before it is placed in the source.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl Template {
    /// Compiles `source`, named `template` in error messages.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        Self::parse_named("template", source)
    }

    /// Compiles `source` with the name used in error messages (Loki uses `line` for
    /// `line_format` and `label` for `label_format`).
    pub fn parse_named(name: &str, source: &str) -> Result<Self, TemplateError> {
        let parsed = parser::parse(source).map_err(|err| {
            let place = |offset| position(name, source, offset);
            match err {
                ParseError::Syntax(SyntaxError { offset, message }) => TemplateError::Syntax {
                    position: place(offset),
                    message,
                },
                ParseError::UnknownFunction { offset, name } => TemplateError::UnknownFunction {
                    position: place(offset),
                    function: name,
                },
                ParseError::Unsupported { offset, feature } => TemplateError::Unsupported {
                    position: place(offset),
                    feature,
                },
            }
        })?;
        Ok(Self {
            name: name.into(),
            source: source.into(),
            root: parsed.root,
            var_slots: parsed.var_slots,
            limits: RenderLimits::default(),
        })
    }

    /// Replaces the render limits.
    #[must_use]
    pub fn with_limits(mut self, limits: RenderLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The template source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Appends the rendering for `ctx` to `out`. On error `out` is left as it was.
    pub fn render(&self, ctx: &dyn TemplateContext, out: &mut String) -> Result<(), TemplateError> {
        let start = out.len();
        let mut exec = Exec::new(&self.source, self.var_slots, self.limits, ctx, out);
        let result = exec.run(&self.root);
        drop(exec);
        result.map_err(|err| {
            out.truncate(start);
            self.execution_error(*err)
        })
    }

    fn execution_error(&self, err: exec::ExecError) -> TemplateError {
        let position = position(&self.name, &self.source, err.span.start);
        let context = error_context(self.source.get(err.span.clone()).unwrap_or(""));
        match err.kind {
            ExecErrorKind::Message(message) => TemplateError::Execution {
                position,
                context,
                message,
            },
            ExecErrorKind::TooLarge => TemplateError::Limit {
                position,
                context,
                limit: LimitKind::OutputBytes(self.limits.max_output_bytes),
            },
            ExecErrorKind::TooManySteps => TemplateError::Limit {
                position,
                context,
                limit: LimitKind::Steps(self.limits.max_steps),
            },
        }
    }

    /// Names of the labels the template reads through `.name` fields, in order of first use
    /// (Loki's `RequiredLabelNames`).
    pub fn field_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        ast::collect_field_names(&self.root, &mut names);
        names
    }

    /// The label name when the whole template is `{{.name}}`: the output is then exactly that
    /// label's value, which callers can use without rendering.
    pub fn single_field(&self) -> Option<&str> {
        let [ast::Node::Action(pipe)] = self.root.nodes.as_slice() else {
            return None;
        };
        let [cmd] = pipe.cmds.as_slice() else {
            return None;
        };
        match (pipe.decl.as_slice(), cmd.args.as_slice()) {
            ([], [ast::Operand::Field { names, .. }]) if names.len() == 1 => {
                names.first().map(|n| &**n)
            }
            _ => None,
        }
    }
}

/// Line and column of `offset` in `source`.
fn position(name: &str, source: &str, offset: usize) -> Position {
    let before = source.get(..offset.min(source.len())).unwrap_or("");
    let line = 1 + before.matches('\n').count();
    let column = before
        .rfind('\n')
        .map_or(before.len(), |newline| before.len() - newline - 1);
    Position {
        name: name.to_owned(),
        offset,
        line,
        column,
    }
}

/// Go's `ErrorContext` text: at most 20 characters, then `...`.
fn error_context(text: &str) -> String {
    match text.char_indices().nth(20) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or(text)),
        None => text.to_owned(),
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
