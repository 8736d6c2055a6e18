//! The executor: walks the compiled tree for one entry, with Go's `text/template/exec.go`
//! semantics (Go 1.22): pipelines pass each value as the last argument of the next command,
//! `and`/`or` short-circuit, `if`/`with` test Go truth, `range` iterates lists, maps (sorted)
//! and integers, missing labels are empty strings (Loki's `missingkey=zero` on a
//! `map[string]string`).
//!
//! Every node and loop iteration costs one step against [`RenderLimits::max_steps`], and the
//! output and every string a function builds are bounded by
//! [`RenderLimits::max_output_bytes`]. Recursion depth follows the tree, whose nesting the
//! parser bounds.

use std::borrow::Cow;

use super::ast::{Branch, Command, List, Node, Operand, Pipeline, PreparedRegex, Span};
use super::builtins::Builtin;
use super::funcs::Func;
use super::funcs::{self, Env, FuncError, FuncInfo, Kind};
use super::literal::Ideal;
use super::value::{Value, is_true, sorted_labels, write_action_value, write_go_value};
use super::{RenderLimits, TemplateContext};

/// Why execution stopped.
#[derive(Debug)]
pub(crate) struct ExecError {
    /// The node being executed.
    pub(crate) span: Span,
    /// What went wrong.
    pub(crate) kind: ExecErrorKind,
}

/// Kinds of execution failure.
#[derive(Debug)]
pub(crate) enum ExecErrorKind {
    /// Go's execution error message.
    Message(String),
    /// The output or a built string would exceed the byte limit.
    TooLarge,
    /// The step budget ran out.
    TooManySteps,
}

/// Control flow out of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// State of one render.
pub(crate) struct Exec<'a, 'o> {
    source: &'a str,
    ctx: &'a dyn TemplateContext,
    out: &'o mut String,
    out_start: usize,
    limits: RenderLimits,
    steps: u64,
    /// Variable slots; slot 0 is `$`.
    vars: Vec<Value<'a>>,
    /// Arguments of the calls in progress.
    stack: Vec<Value<'a>>,
}

/// Errors are boxed: they are rare, and a small `Err` keeps every `Result<Value>` small.
type Result<T> = std::result::Result<T, Box<ExecError>>;

fn error(span: &Span, message: impl Into<String>) -> Box<ExecError> {
    Box::new(ExecError {
        span: span.clone(),
        kind: ExecErrorKind::Message(message.into()),
    })
}

impl<'a, 'o> Exec<'a, 'o> {
    /// Prepares a render of a template with `var_slots` variables.
    pub(crate) fn new(
        source: &'a str,
        var_slots: usize,
        limits: RenderLimits,
        ctx: &'a dyn TemplateContext,
        out: &'o mut String,
    ) -> Self {
        let vars = if var_slots > 1 {
            vec![Value::Nil; var_slots]
        } else {
            Vec::new()
        };
        let out_start = out.len();
        Exec {
            source,
            ctx,
            out,
            out_start,
            limits,
            steps: 0,
            vars,
            stack: Vec::new(),
        }
    }

    /// Renders `root` with the label map as dot.
    pub(crate) fn run(&mut self, root: &'a List) -> Result<()> {
        if let Some(root_var) = self.vars.first_mut() {
            *root_var = Value::Labels;
        }
        self.walk(&Value::Labels, root)?;
        Ok(())
    }

    fn step(&mut self, span: &Span) -> Result<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Box::new(ExecError {
                span: span.clone(),
                kind: ExecErrorKind::TooManySteps,
            }));
        }
        Ok(())
    }

    fn check_output(&self, span: &Span) -> Result<()> {
        if self.out.len() - self.out_start > self.limits.max_output_bytes {
            return Err(Box::new(ExecError {
                span: span.clone(),
                kind: ExecErrorKind::TooLarge,
            }));
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Value<'a>, list: &'a List) -> Result<Flow> {
        for node in &list.nodes {
            let flow = match node {
                Node::Text(span) => {
                    self.step(span)?;
                    self.out
                        .push_str(self.source.get(span.clone()).unwrap_or(""));
                    self.check_output(span)?;
                    Flow::Normal
                }
                Node::Action(pipe) => {
                    self.step(&pipe.span)?;
                    if let (Value::Labels, Some(name)) = (dot, simple_field(pipe)) {
                        // `{{.name}}` on the label map: copy the value, skipping the general
                        // evaluation (Loki's `simpleKey` fast path, per action).
                        self.out.push_str(self.ctx.label(name).unwrap_or(""));
                        self.check_output(&pipe.span)?;
                        continue;
                    }
                    let value = self.eval_pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        write_action_value(self.out, &value, self.ctx);
                        self.check_output(&pipe.span)?;
                    }
                    Flow::Normal
                }
                Node::If(branch) | Node::With(branch) => {
                    self.walk_if_with(dot, branch, matches!(node, Node::With(_)))?
                }
                Node::Range(branch) => self.walk_range(dot, branch)?,
                Node::Break => Flow::Break,
                Node::Continue => Flow::Continue,
            };
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, dot: &Value<'a>, branch: &'a Branch, with: bool) -> Result<Flow> {
        self.step(&branch.span)?;
        let value = self.eval_pipeline(dot, &branch.pipe)?;
        if is_true(&value, self.ctx) {
            let body_dot = if with { &value } else { dot };
            return self.walk(body_dot, &branch.list);
        }
        match &branch.else_list {
            Some(else_list) => self.walk(dot, else_list),
            None => Ok(Flow::Normal),
        }
    }

    fn walk_range(&mut self, dot: &Value<'a>, branch: &'a Branch) -> Result<Flow> {
        self.step(&branch.span)?;
        let value = self.eval_pipeline(dot, &branch.pipe)?;
        let ran = match &value {
            Value::List(items) => {
                let index = |i: usize| Value::Int(i64::try_from(i).unwrap_or(i64::MAX));
                let pairs = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (index(i), item.clone()));
                self.range_over(branch, pairs)?
            }
            Value::Map(map) => {
                let pairs = map
                    .iter()
                    .map(|(k, v)| (Value::Str(Cow::Owned(k.clone())), v.clone()));
                self.range_over(branch, pairs)?
            }
            Value::Labels => {
                let labels = sorted_labels(self.ctx);
                let pairs = labels
                    .into_iter()
                    .map(|(n, v)| (Value::Str(n.into()), Value::Str(v.into())));
                self.range_over(branch, pairs)?
            }
            Value::Int(count) => {
                if branch.pipe.decl.len() > 1 {
                    let message =
                        format!("can't use {count} to iterate over more than one variable");
                    return Err(error(&branch.span, message));
                }
                self.range_over(branch, (0..*count).map(|i| (Value::Int(i), Value::Int(i))))?
            }
            Value::Nil => false,
            other => {
                let mut shown = String::new();
                write_go_value(&mut shown, other, self.ctx);
                return Err(error(
                    &branch.span,
                    format!("range can't iterate over {shown}"),
                ));
            }
        };
        match (&branch.else_list, ran) {
            (Some(else_list), false) => self.walk(dot, else_list).map(|_| Flow::Normal),
            _ => Ok(Flow::Normal),
        }
    }

    /// Runs the range body for each `(index, element)`; whether there was any.
    fn range_over(
        &mut self,
        branch: &'a Branch,
        pairs: impl Iterator<Item = (Value<'a>, Value<'a>)>,
    ) -> Result<bool> {
        let mut ran = false;
        for (index, element) in pairs {
            ran = true;
            if self.iterate(branch, index, element)? == Flow::Break {
                break;
            }
        }
        Ok(ran)
    }

    /// One range iteration: set the loop variables (one: the element; two: index and
    /// element), then run the body with the element as dot.
    fn iterate(
        &mut self,
        branch: &'a Branch,
        index: Value<'a>,
        element: Value<'a>,
    ) -> Result<Flow> {
        self.step(&branch.span)?;
        match branch.pipe.decl.as_slice() {
            [] => {}
            [only] => self.set_var(*only, element.clone()),
            [first, second, ..] => {
                self.set_var(*first, index);
                self.set_var(*second, element.clone());
            }
        }
        self.walk(&element, &branch.list)
    }

    fn set_var(&mut self, slot: usize, value: Value<'a>) {
        if let Some(var) = self.vars.get_mut(slot) {
            *var = value;
        }
    }

    fn var(&self, slot: usize) -> Value<'a> {
        match slot {
            0 => Value::Labels,
            _ => self.vars.get(slot).cloned().unwrap_or(Value::Nil),
        }
    }

    fn eval_pipeline(&mut self, dot: &Value<'a>, pipe: &'a Pipeline) -> Result<Value<'a>> {
        let mut value = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Nil);
        for slot in &pipe.decl {
            self.set_var(*slot, value.clone());
        }
        Ok(value)
    }

    fn eval_command(
        &mut self,
        dot: &Value<'a>,
        cmd: &'a Command,
        last: Option<Value<'a>>,
    ) -> Result<Value<'a>> {
        self.step(&cmd.span)?;
        let Some((first, args)) = cmd.args.split_first() else {
            return Err(error(&cmd.span, "empty command"));
        };
        match first {
            Operand::Field { span, names } => {
                self.eval_fields(dot, dot.clone(), span, names, args, last)
            }
            Operand::Chain { span, base, names } => {
                let receiver = self.eval_value(dot, base)?;
                self.eval_fields(dot, receiver, span, names, args, last)
            }
            Operand::Variable { span, slot, names } if !names.is_empty() => {
                let receiver = self.var(*slot);
                self.eval_fields(dot, receiver, span, names, args, last)
            }
            Operand::Function(span, info) => {
                self.eval_call(dot, info, span, args, last, cmd.regex.as_ref())
            }
            _ => {
                if !args.is_empty() || last.is_some() {
                    let text = self.source.get(first.span()).unwrap_or("");
                    return Err(error(
                        &first.span(),
                        format!("can't give argument to non-function {text}"),
                    ));
                }
                match first {
                    Operand::Pipe(pipe) => self.eval_pipeline(dot, pipe),
                    Operand::Variable { slot, .. } => Ok(self.var(*slot)),
                    Operand::Nil(span) => Err(error(span, "nil is not a command")),
                    constant => self.eval_arg(dot, Kind::Any, constant),
                }
            }
        }
    }

    /// Follows a field chain; only the last field may receive arguments.
    fn eval_fields(
        &mut self,
        dot: &Value<'a>,
        mut receiver: Value<'a>,
        span: &Span,
        names: &'a [Box<str>],
        args: &'a [Operand],
        last: Option<Value<'a>>,
    ) -> Result<Value<'a>> {
        let Some((final_name, leading)) = names.split_last() else {
            return Ok(receiver);
        };
        for name in leading {
            receiver = self.eval_field(dot, receiver, name, span, &[], None)?;
        }
        self.eval_field(dot, receiver, final_name, span, args, last)
    }

    fn eval_field(
        &mut self,
        dot: &Value<'a>,
        receiver: Value<'a>,
        name: &str,
        span: &Span,
        args: &'a [Operand],
        last: Option<Value<'a>>,
    ) -> Result<Value<'a>> {
        let has_args = !args.is_empty() || last.is_some();
        let not_a_method = || error(span, format!("{name} is not a method but has arguments"));
        match receiver {
            Value::Nil => Ok(Value::Nil),
            Value::Time(time) => {
                let mut method_args = Vec::new();
                for (i, arg) in args.iter().enumerate() {
                    let kind = if i == 0 && name == "Format" {
                        Kind::Str
                    } else {
                        Kind::Any
                    };
                    method_args.push(self.eval_arg(dot, kind, arg)?);
                }
                method_args.extend(
                    last.map(|v| self.validate(Kind::Str, v, span))
                        .transpose()?,
                );
                super::methods::time_method(time, name, &method_args)
                    .map_err(|message| error(span, message))
            }
            Value::Labels if has_args => Err(not_a_method()),
            Value::Labels => Ok(Value::Str(Cow::Borrowed(
                self.ctx.label(name).unwrap_or(""),
            ))),
            Value::Map(_) if has_args => Err(not_a_method()),
            Value::Map(map) => Ok(map.get(name).cloned().unwrap_or(Value::Nil)),
            other => Err(error(
                span,
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    fn eval_call(
        &mut self,
        dot: &Value<'a>,
        info: &'static FuncInfo,
        span: &Span,
        args: &'a [Operand],
        last: Option<Value<'a>>,
        regex: Option<&'a PreparedRegex>,
    ) -> Result<Value<'a>> {
        check_arity(info, span, args.len(), last.is_some())?;
        if let Func::Builtin(builtin @ (Builtin::And | Builtin::Or)) = info.func {
            return self.eval_and_or(dot, builtin == Builtin::Or, args, last);
        }
        let base = self.stack.len();
        for (i, arg) in args.iter().enumerate() {
            let value = self.eval_arg(dot, info.param(i), arg);
            match value {
                Ok(value) => self.stack.push(value),
                Err(err) => {
                    self.stack.truncate(base);
                    return Err(err);
                }
            }
        }
        if let Some(last) = last {
            let value = self.validate(info.param(args.len()), last, span);
            match value {
                Ok(value) => self.stack.push(value),
                Err(err) => {
                    self.stack.truncate(base);
                    return Err(err);
                }
            }
        }
        let env = Env {
            ctx: self.ctx,
            max_bytes: self.limits.max_output_bytes,
            regex,
        };
        let result = funcs::call(info, self.stack.get_mut(base..).unwrap_or_default(), &env);
        self.stack.truncate(base);
        result.map_err(|err| match err {
            FuncError::Failed(message) => {
                error(span, format!("error calling {}: {message}", info.name))
            }
            FuncError::TooLarge => Box::new(ExecError {
                span: span.clone(),
                kind: ExecErrorKind::TooLarge,
            }),
        })
    }

    /// `and` / `or`: evaluates arguments until one decides, returning that value.
    fn eval_and_or(
        &mut self,
        dot: &Value<'a>,
        or: bool,
        args: &'a [Operand],
        last: Option<Value<'a>>,
    ) -> Result<Value<'a>> {
        let mut value = Value::Nil;
        for arg in args {
            value = self.eval_arg(dot, Kind::Any, arg)?;
            if is_true(&value, self.ctx) == or {
                return Ok(value);
            }
        }
        Ok(last.unwrap_or(value))
    }

    /// Go's `evalArg`: evaluates an argument for a parameter of type `kind`.
    fn eval_arg(&mut self, dot: &Value<'a>, kind: Kind, node: &'a Operand) -> Result<Value<'a>> {
        let span = node.span();
        let source = self.source;
        let text = || source.get(span.clone()).unwrap_or("").to_owned();
        match (node, kind) {
            (Operand::Dot(_), _) => self.validate(kind, dot.clone(), &span),
            (Operand::Nil(_), Kind::Any) => Ok(Value::Nil),
            (Operand::Nil(_), _) => Err(error(
                &span,
                format!("cannot assign nil to {}", kind.go_name()),
            )),
            (
                Operand::Field { .. }
                | Operand::Variable { .. }
                | Operand::Pipe(_)
                | Operand::Function(..)
                | Operand::Chain { .. },
                _,
            ) => {
                let value = self.eval_value(dot, node)?;
                self.validate(kind, value, &span)
            }
            (Operand::Bool(_, b), Kind::Any) => Ok(Value::Bool(*b)),
            (Operand::String(_, s), Kind::Any | Kind::Str) => Ok(Value::Str(Cow::Borrowed(s))),
            (Operand::Number(_, n), Kind::Any) => match n.ideal {
                Ideal::Int(i) => Ok(Value::Int(i)),
                Ideal::Float(f) => Ok(Value::Float(f)),
                Ideal::Overflow => Err(error(&span, format!("{} overflows int", text()))),
            },
            (Operand::Number(_, n), Kind::Int) if n.int.is_some() => {
                Ok(Value::Int(n.int.unwrap_or(0)))
            }
            (Operand::Number(_, n), Kind::Float) if n.float.is_some() => {
                Ok(Value::Float(n.float.unwrap_or(0.0)))
            }
            (_, Kind::Str) => Err(error(&span, format!("expected string; found {}", text()))),
            (_, Kind::Int) => Err(error(&span, format!("expected integer; found {}", text()))),
            (_, Kind::Float) => Err(error(&span, format!("expected float; found {}", text()))),
            (_, Kind::Time) => Err(error(
                &span,
                format!("can't handle {} for arg of type {}", text(), kind.go_name()),
            )),
        }
    }

    /// The value of an operand used as an argument, before type checking.
    fn eval_value(&mut self, dot: &Value<'a>, node: &'a Operand) -> Result<Value<'a>> {
        match node {
            Operand::Field { span, names } => {
                self.eval_fields(dot, dot.clone(), span, names, &[], None)
            }
            Operand::Variable { span, slot, names } => {
                let value = self.var(*slot);
                self.eval_fields(dot, value, span, names, &[], None)
            }
            Operand::Chain { span, base, names } => {
                let receiver = self.eval_value(dot, base)?;
                self.eval_fields(dot, receiver, span, names, &[], None)
            }
            Operand::Pipe(pipe) => self.eval_pipeline(dot, pipe),
            Operand::Function(span, info) => self.eval_call(dot, info, span, &[], None, None),
            literal => self.eval_arg(dot, Kind::Any, literal),
        }
    }

    /// Go's `validateType` for a computed value.
    fn validate(&self, kind: Kind, value: Value<'a>, span: &Span) -> Result<Value<'a>> {
        match (kind, value) {
            (Kind::Any, value) => Ok(value),
            (_, Value::Nil) => Err(error(
                span,
                format!("invalid value; expected {}", kind.go_name()),
            )),
            (Kind::Str, value @ Value::Str(_))
            | (Kind::Int, value @ Value::Int(_))
            | (Kind::Float, value @ Value::Float(_))
            | (Kind::Time, value @ Value::Time(_)) => Ok(value),
            (Kind::Float, Value::Int(i)) => Ok(Value::Float(i as f64)),
            (kind, value) => Err(error(
                span,
                format!(
                    "wrong type for value; expected {}; got {}",
                    kind.go_name(),
                    value.type_name()
                ),
            )),
        }
    }
}

/// The label name when `pipe` is exactly `.name` (no declaration, no other command).
fn simple_field(pipe: &Pipeline) -> Option<&str> {
    match (pipe.decl.as_slice(), pipe.cmds.as_slice()) {
        ([], [Command { args, .. }]) => match args.as_slice() {
            [Operand::Field { names, .. }] => match names.as_slice() {
                [name] => Some(name),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Go's argument count check (`wrong number of args for NAME: want N got M`).
fn check_arity(info: &FuncInfo, span: &Span, explicit: usize, piped: bool) -> Result<()> {
    let given = explicit + usize::from(piped);
    let fixed = info.fixed.len();
    if info.variadic.is_some() {
        if given < fixed {
            return Err(error(
                span,
                format!(
                    "wrong number of args for {}: want at least {fixed} got {explicit}",
                    info.name
                ),
            ));
        }
    } else if given != fixed {
        return Err(error(
            span,
            format!(
                "wrong number of args for {}: want {fixed} got {given}",
                info.name
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
