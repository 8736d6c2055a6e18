//! Recursive-descent parser from tokens to the [`ast`](super::ast) tree, following Go's
//! `text/template/parse/parse.go` (Go 1.22) grammar and messages. Unlike Go it resolves names
//! while parsing: functions to their table entry (an unknown name is an error, as in Go),
//! variables to slots, and literal regex arguments are compiled once.

use super::SyntaxError;
use super::ast::{Branch, Command, List, Node, Operand, Pipeline, PreparedRegex, Span};
use super::funcs::{Func, FuncInfo, Lookup, lookup};
use super::lexer::{Keyword, Token, TokenKind, tokenize};
use super::literal::{parse_number, unquote_string};
use super::strings::compile_regex;
use super::timefuncs::{TimeFunc, is_supported_zone, unsupported_zone};

/// How deeply control structures and parentheses may nest; bounds recursion in the parser
/// and the executor.
pub(crate) const MAX_NESTING: usize = 100;

/// Why a template does not compile.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// Bad syntax.
    Syntax(SyntaxError),
    /// A call of a name that is no function.
    UnknownFunction { offset: usize, name: String },
    /// A valid Go template feature this implementation does not provide.
    Unsupported { offset: usize, feature: String },
}

impl From<SyntaxError> for ParseError {
    fn from(err: SyntaxError) -> Self {
        Self::Syntax(err)
    }
}

/// A compiled template body.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Top-level nodes.
    pub(crate) root: List,
    /// Number of variable slots execution needs (slot 0 is `$`).
    pub(crate) var_slots: usize,
}

/// Parses template source.
pub(crate) fn parse(source: &str) -> Result<Parsed, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        src: source,
        tokens,
        pos: 0,
        vars: vec!["$".to_owned()],
        max_vars: 1,
        range_depth: 0,
        nesting: 0,
    };
    let mut root = List::default();
    loop {
        if parser.peek().kind == TokenKind::Eof {
            break;
        }
        match parser.text_or_action()? {
            Item::Node(node) => root.nodes.push(node),
            Item::End(offset) => return Err(parser.syntax(offset, "unexpected {{end}}")),
            Item::Else(offset, _) => return Err(parser.syntax(offset, "unexpected {{else}}")),
        }
    }
    Ok(Parsed {
        root,
        var_slots: parser.max_vars,
    })
}

/// What an action produced.
enum Item {
    Node(Node),
    /// `{{end}}` at this offset.
    End(usize),
    /// `{{else}}`, with the `if`/`with` keyword that follows it directly, if any.
    Else(usize, Option<Keyword>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Control {
    If,
    Range,
    With,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Self::If => "if",
            Self::Range => "range",
            Self::With => "with",
        }
    }
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    /// Visible variables; a variable's slot is its index here.
    vars: Vec<String>,
    max_vars: usize,
    range_depth: usize,
    nesting: usize,
}

impl Parser<'_> {
    fn syntax(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError::Syntax(SyntaxError {
            offset,
            message: message.into(),
        })
    }

    fn text(&self, token: Token) -> &str {
        self.src.get(token.start..token.end).unwrap_or("")
    }

    fn peek(&self) -> Token {
        let eof = Token {
            kind: TokenKind::Eof,
            start: self.src.len(),
            end: self.src.len(),
        };
        self.tokens.get(self.pos).copied().unwrap_or(eof)
    }

    fn next(&mut self) -> Token {
        let token = self.peek();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn backup(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// Skips spaces and returns the next token without consuming it.
    fn peek_non_space(&mut self) -> Token {
        while self.peek().kind == TokenKind::Space {
            self.pos += 1;
        }
        self.peek()
    }

    fn next_non_space(&mut self) -> Token {
        self.peek_non_space();
        self.next()
    }

    /// Go's `item.String()` for error messages.
    fn describe(&self, token: Token) -> String {
        let text = self.text(token);
        match token.kind {
            TokenKind::Eof => "EOF".to_owned(),
            TokenKind::Keyword(_) | TokenKind::Nil | TokenKind::Bool => format!("<{text}>"),
            _ if text.chars().count() > 10 => {
                format!("{:?}...", text.chars().take(10).collect::<String>())
            }
            _ => format!("{text:?}"),
        }
    }

    fn unexpected(&self, token: Token, context: &str) -> ParseError {
        self.syntax(
            token.start,
            format!("unexpected {} in {context}", self.describe(token)),
        )
    }

    fn expect(&mut self, kind: TokenKind, context: &str) -> Result<Token, ParseError> {
        let token = self.next_non_space();
        if token.kind != kind {
            return Err(self.unexpected(token, context));
        }
        Ok(token)
    }

    fn enter(&mut self, offset: usize) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.syntax(
                offset,
                format!("template nesting too deep: more than {MAX_NESTING} levels"),
            ));
        }
        Ok(())
    }

    fn text_or_action(&mut self) -> Result<Item, ParseError> {
        let token = self.next_non_space();
        match token.kind {
            TokenKind::Text => Ok(Item::Node(Node::Text(token.start..token.end))),
            TokenKind::LeftDelim => self.action(),
            _ => Err(self.unexpected(token, "input")),
        }
    }

    fn action(&mut self) -> Result<Item, ParseError> {
        let token = self.next_non_space();
        let TokenKind::Keyword(keyword) = token.kind else {
            self.backup();
            let pipe = self.pipeline("command", TokenKind::RightDelim)?;
            return Ok(Item::Node(Node::Action(pipe)));
        };
        match keyword {
            Keyword::Block | Keyword::Define | Keyword::Template => Err(ParseError::Unsupported {
                offset: token.start,
                feature: format!("{{{{{}}}}} (named templates)", keyword.as_str()),
            }),
            Keyword::Break | Keyword::Continue => {
                let context = format!("{{{{{}}}}}", keyword.as_str());
                self.expect(TokenKind::RightDelim, &context)?;
                if self.range_depth == 0 {
                    return Err(
                        self.syntax(token.start, format!("{context} outside {{{{range}}}}"))
                    );
                }
                Ok(Item::Node(if keyword == Keyword::Break {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Keyword::Else => {
                let next = self.peek_non_space();
                if let TokenKind::Keyword(chained @ (Keyword::If | Keyword::With)) = next.kind {
                    return Ok(Item::Else(token.start, Some(chained)));
                }
                self.expect(TokenKind::RightDelim, "else")?;
                Ok(Item::Else(token.start, None))
            }
            Keyword::End => {
                self.expect(TokenKind::RightDelim, "end")?;
                Ok(Item::End(token.start))
            }
            Keyword::If => Ok(Item::Node(Node::If(Box::new(
                self.control(Control::If, token)?,
            )))),
            Keyword::Range => Ok(Item::Node(Node::Range(Box::new(
                self.control(Control::Range, token)?,
            )))),
            Keyword::With => Ok(Item::Node(Node::With(Box::new(
                self.control(Control::With, token)?,
            )))),
        }
    }

    /// The nodes up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> Result<(List, Item), ParseError> {
        let mut list = List::default();
        while self.peek_non_space().kind != TokenKind::Eof {
            match self.text_or_action()? {
                Item::Node(node) => list.nodes.push(node),
                end @ (Item::End(_) | Item::Else(..)) => return Ok((list, end)),
            }
        }
        Err(self.syntax(self.src.len(), "unexpected EOF"))
    }

    /// `if`, `range`, `with`: pipeline, body, optional else; variables declared inside go out of
    /// scope at `{{end}}`.
    fn control(&mut self, control: Control, keyword: Token) -> Result<Branch, ParseError> {
        self.enter(keyword.start)?;
        let mark = self.vars.len();
        let pipe = self.pipeline(control.name(), TokenKind::RightDelim)?;
        if control == Control::Range {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if control == Control::Range {
            self.range_depth -= 1;
        }
        let else_list = match next {
            Item::Else(_, Some(chained))
                if (chained == Keyword::If && control == Control::If)
                    || (chained == Keyword::With && control == Control::With) =>
            {
                let chained_token = self.next_non_space();
                let nested = self.control(control, chained_token)?;
                let node = if control == Control::If {
                    Node::If(Box::new(nested))
                } else {
                    Node::With(Box::new(nested))
                };
                Some(List { nodes: vec![node] })
            }
            Item::Else(..) => {
                let (else_list, end) = self.item_list()?;
                if let Item::Else(offset, _) = end {
                    return Err(self.syntax(offset, "expected end; found {{else}}"));
                }
                Some(else_list)
            }
            _ => None,
        };
        self.vars.truncate(mark);
        self.nesting -= 1;
        Ok(Branch {
            span: keyword.start..keyword.end,
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, end: TokenKind) -> Result<Pipeline, ParseError> {
        let start = self.peek_non_space().start;
        let (decl_names, is_assign) = self.declarations(context)?;
        let mut cmds = Vec::new();
        let end_token = loop {
            let token = self.next_non_space();
            match token.kind {
                kind if kind == end => break token,
                TokenKind::Bool
                | TokenKind::CharConstant
                | TokenKind::Dot
                | TokenKind::Field
                | TokenKind::Identifier
                | TokenKind::Number
                | TokenKind::Nil
                | TokenKind::RawString
                | TokenKind::String
                | TokenKind::Variable
                | TokenKind::LeftParen => {
                    self.backup();
                    cmds.push(self.command()?);
                }
                _ => return Err(self.unexpected(token, context)),
            }
        };
        self.check_pipeline(&cmds, context, start)?;
        let mut decl = Vec::with_capacity(decl_names.len());
        for (name, offset) in decl_names {
            decl.push(if is_assign {
                self.resolve_var(&name, offset)?
            } else {
                self.declare_var(name)
            });
        }
        Ok(Pipeline {
            span: start..end_token.start,
            decl,
            cmds,
        })
    }

    /// `$x :=`, `$x =`, `$i, $e :=` at the start of a pipeline: the names and whether it is an
    /// assignment.
    fn declarations(&mut self, context: &str) -> Result<(Vec<(String, usize)>, bool), ParseError> {
        let mut names = Vec::new();
        loop {
            let variable = self.peek_non_space();
            if variable.kind != TokenKind::Variable {
                return Ok((names, false));
            }
            let variable_index = self.pos;
            self.next();
            let next = self.peek_non_space();
            let name = self.text(variable).to_owned();
            match next.kind {
                TokenKind::Assign | TokenKind::Declare => {
                    self.next();
                    names.push((name, variable.start));
                    return Ok((names, next.kind == TokenKind::Assign));
                }
                TokenKind::Comma => {
                    self.next();
                    names.push((name, variable.start));
                    let follows = self.peek_non_space().kind;
                    if context == "range" && names.len() < 2 {
                        if matches!(
                            follows,
                            TokenKind::Variable | TokenKind::RightDelim | TokenKind::RightParen
                        ) {
                            continue;
                        }
                        return Err(self.syntax(next.start, "range can only initialize variables"));
                    }
                    return Err(
                        self.syntax(next.start, format!("too many declarations in {context}"))
                    );
                }
                _ => {
                    self.pos = variable_index;
                    return Ok((names, false));
                }
            }
        }
    }

    fn declare_var(&mut self, name: String) -> usize {
        let slot = self.vars.len();
        self.vars.push(name);
        self.max_vars = self.max_vars.max(self.vars.len());
        slot
    }

    fn resolve_var(&self, name: &str, offset: usize) -> Result<usize, ParseError> {
        self.vars
            .iter()
            .rposition(|v| v == name)
            .ok_or_else(|| self.syntax(offset, format!("undefined variable {name:?}")))
    }

    fn check_pipeline(
        &self,
        cmds: &[Command],
        context: &str,
        offset: usize,
    ) -> Result<(), ParseError> {
        if cmds.is_empty() {
            return Err(self.syntax(offset, format!("missing value for {context}")));
        }
        for (i, cmd) in cmds.iter().enumerate().skip(1) {
            if cmd.args.first().is_some_and(Operand::is_constant) {
                return Err(self.syntax(
                    cmd.span.start,
                    format!("non executable command in pipeline stage {}", i + 1),
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let start = self.peek_non_space().start;
        let mut args = Vec::new();
        let mut end = start;
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                end = operand.span().end;
                args.push(operand);
            }
            let token = self.next();
            match token.kind {
                TokenKind::Space => continue,
                TokenKind::RightDelim | TokenKind::RightParen => self.backup(),
                TokenKind::Pipe => {}
                _ => return Err(self.unexpected(token, "operand")),
            }
            break;
        }
        if args.is_empty() {
            return Err(self.syntax(start, "empty command"));
        }
        let regex = self.prepare_call(&args)?;
        Ok(Command {
            span: start..end,
            args,
            regex,
        })
    }

    /// Compile-time work for calls with literal arguments: regex compilation, zone checks.
    fn prepare_call(&self, args: &[Operand]) -> Result<Option<PreparedRegex>, ParseError> {
        let Some(Operand::Function(_, info)) = args.first() else {
            return Ok(None);
        };
        if info.func == Func::Time(TimeFunc::ToDateInZone)
            && let Some(Operand::String(span, zone)) = args.get(2)
            && !is_supported_zone(zone)
        {
            return Err(ParseError::Unsupported {
                offset: span.start,
                feature: unsupported_zone(zone),
            });
        }
        if !info.takes_regex() {
            return Ok(None);
        }
        let Some(Operand::String(_, pattern)) = args.get(1) else {
            return Ok(None);
        };
        Ok(Some(match compile_regex(pattern) {
            Ok(regex) => PreparedRegex::Ready(regex),
            Err(message) => PreparedRegex::Invalid(message),
        }))
    }

    fn operand(&mut self) -> Result<Option<Operand>, ParseError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != TokenKind::Field {
            return Ok(Some(node));
        }
        let mut fields = Vec::new();
        let mut end = node.span().end;
        while self.peek().kind == TokenKind::Field {
            let token = self.next();
            fields.push(Box::from(self.text(token).get(1..).unwrap_or("")));
            end = token.end;
        }
        Ok(Some(match node {
            Operand::Field { span, mut names } => {
                names.extend(fields);
                Operand::Field {
                    span: span.start..end,
                    names,
                }
            }
            Operand::Variable {
                span,
                slot,
                mut names,
            } => {
                names.extend(fields);
                Operand::Variable {
                    span: span.start..end,
                    slot,
                    names,
                }
            }
            Operand::Bool(span, _)
            | Operand::String(span, _)
            | Operand::Number(span, _)
            | Operand::Nil(span)
            | Operand::Dot(span) => {
                let text = self.src.get(span.clone()).unwrap_or("");
                return Err(self.syntax(span.start, format!("unexpected . after term {text:?}")));
            }
            base => {
                let span = base.span().start..end;
                Operand::Chain {
                    span,
                    base: Box::new(base),
                    names: fields,
                }
            }
        }))
    }

    fn term(&mut self) -> Result<Option<Operand>, ParseError> {
        let token = self.next_non_space();
        let span: Span = token.start..token.end;
        let text = self.text(token);
        Ok(Some(match token.kind {
            TokenKind::Identifier => Operand::Function(span, self.function(text, token.start)?),
            TokenKind::Dot => Operand::Dot(span),
            TokenKind::Nil => Operand::Nil(span),
            TokenKind::Variable => {
                let slot = self.resolve_var(text, token.start)?;
                Operand::Variable {
                    span,
                    slot,
                    names: Vec::new(),
                }
            }
            TokenKind::Field => Operand::Field {
                span,
                names: vec![Box::from(text.get(1..).unwrap_or(""))],
            },
            TokenKind::Bool => Operand::Bool(span, text == "true"),
            TokenKind::Number | TokenKind::CharConstant => {
                let number = parse_number(text, token.kind == TokenKind::CharConstant).map_err(
                    |message| {
                        if message.starts_with("complex") {
                            ParseError::Unsupported {
                                offset: token.start,
                                feature: message,
                            }
                        } else {
                            self.syntax(token.start, message)
                        }
                    },
                )?;
                Operand::Number(span, number)
            }
            TokenKind::String | TokenKind::RawString => {
                let value =
                    unquote_string(text).map_err(|message| self.syntax(token.start, message))?;
                Operand::String(span, value.into())
            }
            TokenKind::LeftParen => {
                self.enter(token.start)?;
                let mut pipe = self.pipeline("parenthesized pipeline", TokenKind::RightParen)?;
                self.nesting -= 1;
                let close = self
                    .tokens
                    .get(self.pos.saturating_sub(1))
                    .map_or(self.src.len(), |t| t.end);
                pipe.span = token.start..close;
                Operand::Pipe(Box::new(pipe))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn function(&self, name: &str, offset: usize) -> Result<&'static FuncInfo, ParseError> {
        match lookup(name) {
            Lookup::Found(info) => Ok(info),
            Lookup::Unsupported => Err(ParseError::Unsupported {
                offset,
                feature: format!("function {name:?}"),
            }),
            Lookup::Unknown => Err(ParseError::UnknownFunction {
                offset,
                name: name.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
