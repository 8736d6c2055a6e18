//! The compiled template tree. Shapes follow Go's `text/template/parse` nodes, but names are
//! resolved at compile time: functions to a [`Func`], variables to a slot index.

use std::ops::Range;

use regex::Regex;

use super::funcs::FuncInfo;
use super::literal::Number;

/// Byte span of a node in the template source (used for error positions and contexts).
pub(crate) type Span = Range<usize>;

/// A sequence of nodes.
#[derive(Debug, Default)]
pub(crate) struct List {
    pub(crate) nodes: Vec<Node>,
}

/// A node of a list.
#[derive(Debug)]
pub(crate) enum Node {
    /// Text copied to the output: a span of the source.
    Text(Span),
    /// `{{pipeline}}`: printed unless the pipeline declares or assigns variables.
    Action(Pipeline),
    /// `{{if}}`.
    If(Box<Branch>),
    /// `{{with}}`.
    With(Box<Branch>),
    /// `{{range}}`.
    Range(Box<Branch>),
    /// `{{break}}` inside a range.
    Break,
    /// `{{continue}}` inside a range.
    Continue,
}

/// `if`, `with` and `range`: the pipeline, the body and the optional `else` body.
#[derive(Debug)]
pub(crate) struct Branch {
    /// Span of the keyword, for errors.
    pub(crate) span: Span,
    /// The controlling pipeline.
    pub(crate) pipe: Pipeline,
    /// Body.
    pub(crate) list: List,
    /// `{{else}}` body.
    pub(crate) else_list: Option<List>,
}

/// `[decl :=] command | command ...`.
#[derive(Debug)]
pub(crate) struct Pipeline {
    /// Span of the whole pipeline.
    pub(crate) span: Span,
    /// Declared or assigned variable slots (two for `range $i, $e :=`).
    pub(crate) decl: Vec<usize>,
    /// The commands; the value of each is passed as the last argument of the next.
    pub(crate) cmds: Vec<Command>,
}

/// One command: an operand, or a function with arguments.
#[derive(Debug)]
pub(crate) struct Command {
    /// Span of the command.
    pub(crate) span: Span,
    /// First the function or value, then the arguments.
    pub(crate) args: Vec<Operand>,
    /// Regex compiled at parse time when the function takes a regex and it is a literal.
    pub(crate) regex: Option<PreparedRegex>,
}

/// A regex argument compiled once; an invalid one keeps its error for execution time, where
/// Loki reports it (`error calling count: ...`).
#[derive(Debug)]
pub(crate) enum PreparedRegex {
    /// Compiled.
    Ready(Regex),
    /// The compile error message.
    Invalid(String),
}

/// Arguments and values.
#[derive(Debug)]
pub(crate) enum Operand {
    /// `.a.b`: field chain on dot.
    Field { span: Span, names: Vec<Box<str>> },
    /// `$x` or `$x.a.b`.
    Variable {
        span: Span,
        slot: usize,
        names: Vec<Box<str>>,
    },
    /// `(pipeline).a.b` or `func.a`: fields of a computed value.
    Chain {
        span: Span,
        base: Box<Operand>,
        names: Vec<Box<str>>,
    },
    /// `.`.
    Dot(Span),
    /// `nil`.
    Nil(Span),
    /// `true` / `false`.
    Bool(Span, bool),
    /// Number or character constant.
    Number(Span, Number),
    /// String constant.
    String(Span, Box<str>),
    /// Function name.
    Function(Span, &'static FuncInfo),
    /// `(pipeline)`.
    Pipe(Box<Pipeline>),
}

impl Operand {
    /// Source span of the operand.
    pub(crate) fn span(&self) -> Span {
        match self {
            Self::Field { span, .. } | Self::Variable { span, .. } | Self::Chain { span, .. } => {
                span.clone()
            }
            Self::Dot(span)
            | Self::Nil(span)
            | Self::Bool(span, _)
            | Self::Number(span, _)
            | Self::String(span, _)
            | Self::Function(span, _) => span.clone(),
            Self::Pipe(pipe) => pipe.span.clone(),
        }
    }

    /// Whether Go calls this operand non-executable in a later pipeline stage.
    pub(crate) fn is_constant(&self) -> bool {
        matches!(
            self,
            Self::Bool(..) | Self::Dot(_) | Self::Nil(_) | Self::Number(..) | Self::String(..)
        )
    }
}

/// Appends the names of every dot-rooted field in `list`, in order, without duplicates:
/// Loki's `RequiredLabelNames` for formatters.
pub(crate) fn collect_field_names<'t>(list: &'t List, out: &mut Vec<&'t str>) {
    for node in &list.nodes {
        match node {
            Node::Action(pipe) => collect_pipeline(pipe, out),
            Node::If(branch) | Node::With(branch) | Node::Range(branch) => {
                collect_pipeline(&branch.pipe, out);
                collect_field_names(&branch.list, out);
                if let Some(else_list) = &branch.else_list {
                    collect_field_names(else_list, out);
                }
            }
            Node::Text(_) | Node::Break | Node::Continue => {}
        }
    }
}

fn collect_pipeline<'t>(pipe: &'t Pipeline, out: &mut Vec<&'t str>) {
    for cmd in &pipe.cmds {
        for arg in &cmd.args {
            collect_operand(arg, out);
        }
    }
}

fn collect_operand<'t>(operand: &'t Operand, out: &mut Vec<&'t str>) {
    match operand {
        Operand::Field { names, .. } => {
            for name in names {
                if !out.contains(&&**name) {
                    out.push(name);
                }
            }
        }
        Operand::Pipe(pipe) => collect_pipeline(pipe, out),
        Operand::Chain { base, .. } => collect_operand(base, out),
        _ => {}
    }
}
