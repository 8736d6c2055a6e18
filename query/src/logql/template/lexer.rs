//! Tokenizer for Go `text/template` source, following the state machine of Go's
//! `text/template/parse/lex.go` (Go 1.22): text, `{{ }}` actions with the `{{- ` / ` -}}` trim
//! markers, `{{/* */}}` comments, and the tokens inside an action.
//!
//! The whole template is tokenized up front; tokens are byte spans into the source, so the
//! parser copies nothing it does not keep. Text tokens already exclude whitespace removed by a
//! trim marker.

use super::SyntaxError;

/// Kinds of token. Spaces inside actions are tokens because the parser needs them: `.a.b` is
/// one field chain, `.a .b` two arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Plain text outside actions.
    Text,
    /// `{{` (the trim marker, if any, is consumed with it).
    LeftDelim,
    /// `}}` (the trim marker, if any, is consumed with it).
    RightDelim,
    /// Run of spaces inside an action.
    Space,
    /// Function name.
    Identifier,
    /// `.name` (one segment).
    Field,
    /// `$` or `$name`.
    Variable,
    /// A lone `.`.
    Dot,
    /// `true` or `false`.
    Bool,
    /// `nil`.
    Nil,
    /// A keyword (`if`, `end`, ...).
    Keyword(Keyword),
    /// `"..."`.
    String,
    /// `` `...` ``.
    RawString,
    /// `'c'`.
    CharConstant,
    /// Number literal.
    Number,
    /// `|`.
    Pipe,
    /// `(`.
    LeftParen,
    /// `)`.
    RightParen,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,` (only meaningful in `range $i, $e :=`).
    Comma,
    /// End of input.
    Eof,
}

/// Template keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "block" => Self::Block,
            "break" => Self::Break,
            "continue" => Self::Continue,
            "define" => Self::Define,
            "else" => Self::Else,
            "end" => Self::End,
            "if" => Self::If,
            "range" => Self::Range,
            "template" => Self::Template,
            "with" => Self::With,
            _ => return None,
        })
    }

    /// The keyword as written.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Break => "break",
            Self::Continue => "continue",
            Self::Define => "define",
            Self::Else => "else",
            Self::End => "end",
            Self::If => "if",
            Self::Range => "range",
            Self::Template => "template",
            Self::With => "with",
        }
    }
}

/// One token: its kind and its byte span in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    /// What the token is.
    pub(crate) kind: TokenKind,
    /// Byte offset of the first byte.
    pub(crate) start: usize,
    /// Byte offset one past the last byte.
    pub(crate) end: usize,
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
/// Length of a trim marker including its space: `"- "` or `" -"`.
const TRIM_MARKER_LEN: usize = 2;

/// Go's `isSpace` for templates: space, tab, carriage return, newline.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `isAlphaNumeric`: underscore, Unicode letter or digit.
pub(crate) fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn has_left_trim_marker(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    bytes.first() == Some(&b'-') && bytes.get(1).is_some_and(|b| is_space(*b))
}

fn has_right_trim_marker(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    bytes.first().is_some_and(|b| is_space(*b)) && bytes.get(1) == Some(&b'-')
}

/// Tokenizes `source`; the last token is always [`TokenKind::Eof`].
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        src: source,
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), SyntaxError> {
        while self.lex_text() {
            self.lex_left_delim()?;
        }
        self.emit(TokenKind::Eof, self.src.len(), self.src.len());
        Ok(())
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn emit(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.tokens.push(Token { kind, start, end });
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }

    /// Emits the text up to the next `{{` (trimmed if the action has a left trim marker).
    /// Returns whether an action follows.
    fn lex_text(&mut self) -> bool {
        let start = self.pos;
        let Some(found) = self.rest().find(LEFT_DELIM) else {
            if start < self.src.len() {
                self.emit(TokenKind::Text, start, self.src.len());
            }
            self.pos = self.src.len();
            return false;
        };
        let delim_at = start + found;
        let after_delim = self.src.get(delim_at + LEFT_DELIM.len()..).unwrap_or("");
        let mut end = delim_at;
        if has_left_trim_marker(after_delim) {
            let text = self.src.get(start..delim_at).unwrap_or("");
            end = start + text.trim_end_matches([' ', '\t', '\r', '\n']).len();
        }
        if end > start {
            self.emit(TokenKind::Text, start, end);
        }
        self.pos = delim_at;
        true
    }

    /// At `{{`: lexes a comment, or the whole action up to and including `}}`.
    fn lex_left_delim(&mut self) -> Result<(), SyntaxError> {
        let delim_start = self.pos;
        self.pos += LEFT_DELIM.len();
        let after_marker = if has_left_trim_marker(self.rest()) {
            TRIM_MARKER_LEN
        } else {
            0
        };
        if self
            .rest()
            .get(after_marker..)
            .is_some_and(|r| r.starts_with(LEFT_COMMENT))
        {
            self.pos += after_marker;
            return self.lex_comment();
        }
        self.emit(TokenKind::LeftDelim, delim_start, self.pos);
        self.pos += after_marker;
        self.paren_depth = 0;
        self.lex_inside_action(delim_start)
    }

    fn lex_comment(&mut self) -> Result<(), SyntaxError> {
        let comment_start = self.pos;
        self.pos += LEFT_COMMENT.len();
        let Some(found) = self.rest().find(RIGHT_COMMENT) else {
            return Err(self.error(comment_start, "unclosed comment"));
        };
        self.pos += found + RIGHT_COMMENT.len();
        let Some(trim) = self.at_right_delim() else {
            return Err(self.error(self.pos, "comment ends before closing delimiter"));
        };
        self.skip_right_delim(trim);
        Ok(())
    }

    /// Whether the input continues with `}}` (`Some(false)`) or ` -}}` (`Some(true)`).
    fn at_right_delim(&self) -> Option<bool> {
        let rest = self.rest();
        if has_right_trim_marker(rest)
            && rest
                .get(TRIM_MARKER_LEN..)
                .is_some_and(|r| r.starts_with(RIGHT_DELIM))
        {
            return Some(true);
        }
        rest.starts_with(RIGHT_DELIM).then_some(false)
    }

    /// Consumes the right delimiter (and trim marker), and with a trim marker the whitespace
    /// that follows.
    fn skip_right_delim(&mut self, trim: bool) -> (usize, usize) {
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        let start = self.pos;
        self.pos += RIGHT_DELIM.len();
        let end = self.pos;
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        }
        (start, end)
    }

    fn lex_inside_action(&mut self, action_start: usize) -> Result<(), SyntaxError> {
        loop {
            if let Some(trim) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return Err(self.error(self.pos, "unclosed left paren"));
                }
                let (start, end) = self.skip_right_delim(trim);
                self.emit(TokenKind::RightDelim, start, end);
                return Ok(());
            }
            let Some(c) = self.rest().chars().next() else {
                return Err(self.error(action_start, "unclosed action"));
            };
            self.lex_action_token(c)?;
        }
    }

    fn lex_action_token(&mut self, c: char) -> Result<(), SyntaxError> {
        let start = self.pos;
        match c {
            ' ' | '\t' | '\r' | '\n' => self.lex_space(),
            '=' => self.single(TokenKind::Assign),
            ':' => {
                if !self.rest().starts_with(":=") {
                    return Err(self.error(start, "expected :="));
                }
                self.pos += 2;
                self.emit(TokenKind::Declare, start, self.pos);
            }
            '|' => self.single(TokenKind::Pipe),
            ',' => self.single(TokenKind::Comma),
            '"' => self.lex_quote()?,
            '`' => self.lex_raw_quote()?,
            '\'' => self.lex_char()?,
            '$' => self.lex_field_or_variable(TokenKind::Variable)?,
            '.' if !self
                .rest()
                .as_bytes()
                .get(1)
                .is_some_and(u8::is_ascii_digit) =>
            {
                self.lex_field_or_variable(TokenKind::Field)?;
            }
            '.' | '+' | '-' | '0'..='9' => self.lex_number()?,
            '(' => {
                self.paren_depth += 1;
                self.single(TokenKind::LeftParen);
            }
            ')' => {
                if self.paren_depth == 0 {
                    return Err(self.error(start, "unexpected right paren"));
                }
                self.paren_depth -= 1;
                self.single(TokenKind::RightParen);
            }
            c if is_alphanumeric(c) => self.lex_identifier()?,
            c => {
                let message = format!("unrecognized character in action: {}", go_rune(c));
                return Err(self.error(start, message));
            }
        }
        Ok(())
    }

    fn single(&mut self, kind: TokenKind) {
        let start = self.pos;
        self.pos += 1;
        self.emit(kind, start, self.pos);
    }

    /// Spaces; a space that begins a ` -}}` trim marker is left for the delimiter.
    fn lex_space(&mut self) {
        let start = self.pos;
        let rest = self.rest();
        let count = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        self.pos += count;
        let last_space = self.pos - 1;
        let tail = self.src.get(last_space..).unwrap_or("");
        if has_right_trim_marker(tail)
            && tail
                .get(TRIM_MARKER_LEN..)
                .is_some_and(|r| r.starts_with(RIGHT_DELIM))
        {
            self.pos = last_space;
            if count == 1 {
                return;
            }
        }
        self.emit(TokenKind::Space, start, self.pos);
    }

    /// Go's `atTerminator`: what may legally follow a field, variable or identifier.
    fn at_terminator(&self) -> bool {
        let rest = self.rest();
        match rest.as_bytes().first() {
            None => true,
            Some(b) if is_space(*b) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            Some(_) => rest.starts_with(RIGHT_DELIM),
        }
    }

    fn bad_character(&self) -> SyntaxError {
        let c = self.rest().chars().next().unwrap_or('\u{0}');
        self.error(self.pos, format!("bad character {}", go_rune(c)))
    }

    fn take_alphanumerics(&mut self) {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !is_alphanumeric(c))
            .unwrap_or(rest.len());
        self.pos += len;
    }

    fn lex_field_or_variable(&mut self, kind: TokenKind) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        if self.at_terminator() {
            let kind = if kind == TokenKind::Variable {
                kind
            } else {
                TokenKind::Dot
            };
            self.emit(kind, start, self.pos);
            return Ok(());
        }
        self.take_alphanumerics();
        if !self.at_terminator() {
            return Err(self.bad_character());
        }
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn lex_identifier(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.take_alphanumerics();
        if !self.at_terminator() {
            return Err(self.bad_character());
        }
        let word = self.src.get(start..self.pos).unwrap_or("");
        let kind = match word {
            "true" | "false" => TokenKind::Bool,
            "nil" => TokenKind::Nil,
            _ => Keyword::from_word(word).map_or(TokenKind::Identifier, TokenKind::Keyword),
        };
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn lex_quote(&mut self) -> Result<(), SyntaxError> {
        self.lex_escaped(b'"', TokenKind::String, "unterminated quoted string")
    }

    fn lex_char(&mut self) -> Result<(), SyntaxError> {
        self.lex_escaped(
            b'\'',
            TokenKind::CharConstant,
            "unterminated character constant",
        )
    }

    /// A quoted literal with backslash escapes; it may not span lines.
    fn lex_escaped(
        &mut self,
        quote: u8,
        kind: TokenKind,
        unterminated: &str,
    ) -> Result<(), SyntaxError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = start + 1;
        loop {
            match bytes.get(i) {
                None | Some(b'\n') => return Err(self.error(start, unterminated)),
                Some(b'\\') => match bytes.get(i + 1) {
                    None | Some(b'\n') => return Err(self.error(start, unterminated)),
                    Some(_) => i += 2,
                },
                Some(b) if *b == quote => break,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let Some(found) = self.src.get(start + 1..).and_then(|r| r.find('`')) else {
            return Err(self.error(start, "unterminated raw quoted string"));
        };
        self.pos = start + 1 + found + 1;
        self.emit(TokenKind::RawString, start, self.pos);
        Ok(())
    }

    /// Go's `scanNumber`: sign, base prefix, digits with underscores, fraction, exponent,
    /// imaginary suffix. The text is validated later by the literal parser.
    fn lex_number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let mut scan = NumberScan {
            bytes: self.src.as_bytes(),
            pos: start,
        };
        scan.accept(b"+-");
        let mut digits: &[u8] = b"0123456789_";
        let mut decimal = true;
        if scan.accept(b"0") {
            if scan.accept(b"xX") {
                digits = b"0123456789abcdefABCDEF_";
                decimal = false;
            } else if scan.accept(b"oO") {
                digits = b"01234567_";
                decimal = false;
            } else if scan.accept(b"bB") {
                digits = b"01_";
                decimal = false;
            }
        }
        let hex = digits.len() == 23;
        scan.accept_run(digits);
        if scan.accept(b".") {
            scan.accept_run(digits);
        }
        if (decimal && scan.accept(b"eE")) || (hex && scan.accept(b"pP")) {
            scan.accept(b"+-");
            scan.accept_run(b"0123456789_");
        }
        scan.accept(b"i");
        self.pos = scan.pos;
        if self.rest().chars().next().is_some_and(is_alphanumeric) {
            let bad_end = self.pos + self.rest().chars().next().map_or(0, char::len_utf8);
            let text = self.src.get(start..bad_end).unwrap_or("");
            return Err(self.error(start, format!("bad number syntax: {text:?}")));
        }
        self.emit(TokenKind::Number, start, self.pos);
        Ok(())
    }
}

struct NumberScan<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl NumberScan<'_> {
    fn accept(&mut self, valid: &[u8]) -> bool {
        match self.bytes.get(self.pos) {
            Some(b) if valid.contains(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &[u8]) {
        while self.accept(valid) {}
    }
}

/// Go's `%#U` rendering of a rune: `U+0023 '#'`.
pub(crate) fn go_rune(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("U+{:04X} '{c}'", u32::from(c))
    }
}
