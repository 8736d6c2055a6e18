//! The lexer: query text to tokens, as Loki's lexer (`pkg/logql/syntax/lex.go` over Go's
//! `text/scanner`, Loki v3) splits it.
//!
//! * Identifiers are Go identifiers; a word in Loki's keyword table (`by`, `json`, `or`,
//!   `offset`, ...) is a keyword wherever it appears, case-insensitively. Function words
//!   (`rate`, `sum`, `vector`, `bytes`, `ip`, ...) are functions only when `(` follows, or
//!   `by`/`without` and then `(`; otherwise they are identifiers (`| rate="a"` is a filter).
//! * A number followed by duration units (`5m`, `1h30m`, `1.5s`) is a duration and by byte units
//!   (`10KB`, `5MiB`) a byte size; `-` directly followed by a duration is a negative duration,
//!   and by `-strict` / `-keep-empty` a logfmt flag. `[...]` is a range, read up to `]` and
//!   parsed as a Prometheus duration.
//! * Strings are Go strings: `"..."` with escapes, or raw in backticks. `#` starts a comment
//!   to the end of the line, as do Go's `//` and `/* */`.
//! * Any other character is an identifier of its own, as in Loki (the parser then refuses it).
//!
//! The lexer never fails: it stops at the first error with an [`TokenKind::Error`] token, which
//! the parser reports when it reaches it (Loki reports the first error in reading order).
#![deny(clippy::indexing_slicing)]

use super::ast::{RangeOp, UnwrapConversion, VectorOp};
use super::units::{
    is_bytes_char, is_duration_char, parse_duration, parse_humanized_bytes, parse_prom_duration,
};

/// Longest query Loki accepts, in bytes (its parser's `maxInputSize`); longer is refused.
pub(crate) const MAX_INPUT_BYTES: usize = 5120;

/// Where a token starts, as Loki reports it: line and column from 1 (columns count
/// characters). `line` is 0 for tokens Loki's lexer reads ahead for (see [`super::ParseError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub pos: Pos,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// The end of the input.
    Eof,
    /// An identifier, as written.
    Ident(String),
    /// A string literal's value.
    Str(String),
    /// A number as written (`1.5e3`, `1_000`, `0x1f`); converted where the grammar uses it.
    Number(String),
    /// A duration, nanoseconds.
    Duration(i64),
    /// A byte size.
    Bytes(u64),
    /// A range `[..]`, nanoseconds.
    Range(i64),
    /// `--strict` or `--keep-empty`.
    Flag(ParserFlag),
    /// A keyword or an operator.
    Kw(Keyword),
    /// A function word followed by `(` (or by `by`/`without` and `(`).
    Func(Function),
    /// The input cannot be read here; the message says why.
    Error(String),
}

impl TokenKind {
    /// The token's name in Loki's (goyacc) syntax errors: `IDENTIFIER`, `STRING`, `$end`,
    /// keywords and operators as written, function words in capitals.
    pub(crate) fn yacc_name(&self) -> String {
        match self {
            TokenKind::Eof => "$end".to_owned(),
            TokenKind::Ident(_) => "IDENTIFIER".to_owned(),
            TokenKind::Str(_) => "STRING".to_owned(),
            TokenKind::Number(_) => "NUMBER".to_owned(),
            TokenKind::Duration(_) => "DURATION".to_owned(),
            TokenKind::Bytes(_) => "BYTES".to_owned(),
            TokenKind::Range(_) => "RANGE".to_owned(),
            TokenKind::Flag(_) => "PARSER_FLAG".to_owned(),
            TokenKind::Kw(k) => k.text().to_owned(),
            TokenKind::Func(f) => f.yacc_name(),
            TokenKind::Error(_) => "error".to_owned(),
        }
    }
}

/// A logfmt parser flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParserFlag {
    /// `--strict`
    Strict,
    /// `--keep-empty`
    KeepEmpty,
}

macro_rules! keywords {
    ($($variant:ident => $text:literal,)*) => {
        /// Loki's keywords and operators (its lexer's `tokens` table, less `ip` and
        /// `label_replace`, which are functions).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Keyword { $($variant,)* }

        impl Keyword {
            /// The keyword as written (lower case), which is also its name in syntax errors.
            pub(crate) fn text(self) -> &'static str {
                match self { $(Keyword::$variant => $text,)* }
            }

            fn from_text(s: &str) -> Option<Keyword> {
                match s { $($text => Some(Keyword::$variant),)* _ => None }
            }
        }
    };
}

keywords! {
    Comma => ",", Dot => ".", LBrace => "{", RBrace => "}", Eq => "=", Neq => "!=", Re => "=~",
    Nre => "!~", Npa => "!>", PipeExact => "|=", PipeMatch => "|~", PipePattern => "|>",
    Pipe => "|", LParen => "(", RParen => ")", RBracket => "]", Add => "+", Sub => "-",
    Mul => "*", Div => "/", Mod => "%", Pow => "^", CmpEq => "==", Gt => ">", Gte => ">=",
    Lt => "<", Lte => "<=", Unwrap => "unwrap", By => "by", Without => "without", Bool => "bool",
    Offset => "offset", On => "on", Ignoring => "ignoring", GroupLeft => "group_left",
    GroupRight => "group_right", Or => "or", And => "and", Unless => "unless", Json => "json",
    Regexp => "regexp", Logfmt => "logfmt", Unpack => "unpack", Pattern => "pattern",
    LabelFormat => "label_format", LineFormat => "line_format", Decolorize => "decolorize",
    Drop => "drop", Keep => "keep", Variants => "variants", Of => "of",
}

/// Function words (Loki's `functionTokens`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    /// A range aggregation (`rate`, `count_over_time`, ...).
    Range(RangeOp),
    /// A vector aggregation (`sum`, `topk`, `sort`, ...).
    Vector(VectorOp),
    /// `approx_topk`, which Loki has and this engine does not.
    ApproxTopk,
    /// `vector`
    VectorLiteral,
    /// `label_replace`
    LabelReplace,
    /// `bytes`, `duration`, `duration_seconds` (in `unwrap`).
    Conversion(UnwrapConversion),
    /// `ip` (in line and label filters).
    Ip,
}

impl Function {
    fn from_word(lower: &str) -> Option<Function> {
        if let Some(op) = RangeOp::ALL.into_iter().find(|op| op.name() == lower) {
            return Some(Function::Range(op));
        }
        if let Some(op) = VectorOp::ALL.into_iter().find(|op| op.name() == lower) {
            return Some(Function::Vector(op));
        }
        if let Some(c) = UnwrapConversion::ALL
            .into_iter()
            .find(|c| c.name() == lower)
        {
            return Some(Function::Conversion(c));
        }
        match lower {
            "approx_topk" => Some(Function::ApproxTopk),
            "vector" => Some(Function::VectorLiteral),
            "label_replace" => Some(Function::LabelReplace),
            "ip" => Some(Function::Ip),
            _ => None,
        }
    }

    /// The name as written, lower case.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::Range(op) => op.name(),
            Function::Vector(op) => op.name(),
            Function::Conversion(c) => c.name(),
            Function::ApproxTopk => "approx_topk",
            Function::VectorLiteral => "vector",
            Function::LabelReplace => "label_replace",
            Function::Ip => "ip",
        }
    }

    /// The name in syntax errors: goyacc's token names (`RATE`, `BYTES_CONV`, ...), except for
    /// `ip` and `label_replace`, which Loki also lists as keywords and names as written.
    fn yacc_name(self) -> String {
        match self {
            Function::Ip | Function::LabelReplace => self.name().to_owned(),
            Function::Conversion(c) => format!("{}_CONV", c.name().to_uppercase()),
            _ => self.name().to_uppercase(),
        }
    }
}

/// Splits `input` into tokens, ending with [`TokenKind::Eof`] or, at the first error, with
/// [`TokenKind::Error`].
pub(crate) fn tokenize(input: &str) -> Vec<Token> {
    let mut lexer = Lexer::new(input);
    lexer.run();
    lexer.tokens
}

struct Lexer {
    chars: Vec<char>,
    /// Line and column of each character (as Go's scanner counts them).
    positions: Vec<Pos>,
    /// Where the end of the input is reported.
    eof: Pos,
    i: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn new(input: &str) -> Self {
        let chars: Vec<char> = input.chars().collect();
        let mut positions = Vec::with_capacity(chars.len());
        let (mut line, mut column) = (1, 0);
        for &c in &chars {
            column += 1;
            positions.push(Pos { line, column });
            if c == '\n' {
                line += 1;
                column = 0;
            }
        }
        let eof = if chars.is_empty() {
            Pos { line: 0, column: 0 }
        } else {
            Pos {
                line,
                column: column + 1,
            }
        };
        // Go's scanner skips a byte order mark at the start (it still counts as a column).
        let i = usize::from(chars.first() == Some(&'\u{feff}'));
        Self {
            chars,
            positions,
            eof,
            i,
            tokens: Vec::new(),
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn pos(&self, i: usize) -> Pos {
        self.positions.get(i).copied().unwrap_or(self.eof)
    }

    /// The position Loki reports for a token it read ahead for: line 0, same column.
    fn read_ahead_pos(&self, i: usize) -> Pos {
        Pos {
            line: 0,
            column: self.pos(i).column,
        }
    }

    fn push(&mut self, kind: TokenKind, pos: Pos) {
        self.tokens.push(Token { kind, pos });
    }

    fn run(&mut self) {
        loop {
            while matches!(self.at(self.i), Some(' ' | '\t' | '\n' | '\r')) {
                self.i += 1;
            }
            let start = self.i;
            let Some(c) = self.at(start) else {
                self.push(TokenKind::Eof, self.eof);
                return;
            };
            if c == '\0' {
                self.push(
                    TokenKind::Error("invalid character NUL".into()),
                    self.pos(start),
                );
                return;
            }
            let ok = match c {
                '#' => self.skip_line(),
                '/' if self.at(start + 1) == Some('/') => self.skip_line(),
                '/' if self.at(start + 1) == Some('*') => self.skip_block_comment(),
                '"' => self.string(),
                '`' => self.raw_string(),
                '\'' => self.char_literal(),
                '[' => self.range(),
                '-' => self.minus(),
                c if c == '_' || c.is_alphabetic() => self.word(),
                c if c.is_ascii_digit() => self.number(),
                '.' if self.at(start + 1).is_some_and(|c| c.is_ascii_digit()) => self.number(),
                _ => self.operator(),
            };
            if !ok {
                return;
            }
        }
    }

    fn fail(&mut self, message: impl Into<String>, pos: Pos) -> bool {
        self.push(TokenKind::Error(message.into()), pos);
        false
    }

    fn skip_line(&mut self) -> bool {
        while self.at(self.i).is_some_and(|c| c != '\n') {
            self.i += 1;
        }
        true
    }

    fn skip_block_comment(&mut self) -> bool {
        let start = self.i;
        let mut j = start + 2;
        while let Some(c) = self.at(j) {
            if c == '*' && self.at(j + 1) == Some('/') {
                self.i = j + 2;
                return true;
            }
            j += 1;
        }
        self.fail("comment not terminated", self.pos(start))
    }

    /// A `"..."` string: Go's scanner checks the escapes and the end (its errors come first),
    /// then Prometheus's `strutil.Unquote` decodes them.
    fn string(&mut self) -> bool {
        let start = self.i;
        let pos = self.pos(start);
        let mut value: Vec<u8> = Vec::new();
        let mut decode_error = false;
        let mut j = start + 1;
        loop {
            match self.at(j) {
                None | Some('\n') => return self.fail("literal not terminated", pos),
                Some('\0') => return self.fail("invalid character NUL", pos),
                Some('"') => break,
                Some('\\') => match self.escape(j + 1, '"') {
                    Ok((next, decoded)) => {
                        match decoded {
                            Some(bytes) => value.extend_from_slice(&bytes),
                            None => decode_error = true,
                        }
                        j = next;
                    }
                    Err(message) => return self.fail(message, pos),
                },
                Some(c) => {
                    let mut buf = [0; 4];
                    value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    j += 1;
                }
            }
        }
        self.i = j + 1;
        if decode_error {
            return self.fail("invalid syntax", pos);
        }
        match String::from_utf8(value) {
            Ok(s) => {
                self.push(TokenKind::Str(s), pos);
                true
            }
            Err(_) => self.fail("string literal is not valid UTF-8 once unescaped", pos),
        }
    }

    /// The escape after the `\` at `j - 1`: where it ends, and its bytes (`None` when Go's
    /// scanner accepts it but `Unquote` does not, e.g. `\400` or `\ud800`).
    fn escape(&self, j: usize, quote: char) -> Result<(usize, Option<Vec<u8>>), &'static str> {
        let simple = |b: u8| Ok((j + 1, Some(vec![b])));
        match self.at(j) {
            Some('a') => simple(7),
            Some('b') => simple(8),
            Some('f') => simple(12),
            Some('n') => simple(b'\n'),
            Some('r') => simple(b'\r'),
            Some('t') => simple(b'\t'),
            Some('v') => simple(11),
            Some('\\') => simple(b'\\'),
            Some(c) if c == quote => simple(c as u8),
            Some('0'..='7') => {
                let v = self.digits(j, 8, 3)?;
                Ok((j + 3, u8::try_from(v).ok().map(|b| vec![b])))
            }
            Some('x') => {
                let v = self.digits(j + 1, 16, 2)?;
                Ok((j + 3, u8::try_from(v).ok().map(|b| vec![b])))
            }
            Some(u @ ('u' | 'U')) => {
                let n = if u == 'u' { 4 } else { 8 };
                let v = self.digits(j + 1, 16, n)?;
                // Prometheus's `Unquote` refuses only code points past U+10FFFF; Go encodes a
                // surrogate as U+FFFD.
                let encoded = (v <= 0x10FFFF).then(|| {
                    char::from_u32(v)
                        .unwrap_or('\u{fffd}')
                        .to_string()
                        .into_bytes()
                });
                Ok((j + 1 + n, encoded))
            }
            _ => Err("invalid char escape"),
        }
    }

    fn digits(&self, from: usize, radix: u32, count: usize) -> Result<u32, &'static str> {
        let mut v: u32 = 0;
        for k in 0..count {
            let d = self
                .at(from + k)
                .and_then(|c| c.to_digit(radix))
                .ok_or("invalid char escape")?;
            v = v.wrapping_mul(radix).wrapping_add(d);
        }
        Ok(v)
    }

    fn raw_string(&mut self) -> bool {
        let start = self.i;
        let pos = self.pos(start);
        let Some(len) = self.chars.iter().skip(start + 1).position(|&c| c == '`') else {
            return self.fail("literal not terminated", pos);
        };
        let value: String = self.chars.iter().skip(start + 1).take(len).collect();
        if value.contains('\0') {
            return self.fail("invalid character NUL", pos);
        }
        self.i = start + len + 2;
        self.push(TokenKind::Str(value), pos);
        true
    }

    /// A Go character literal (`'a'`): Loki's lexer passes its text on as an identifier.
    fn char_literal(&mut self) -> bool {
        let start = self.i;
        let pos = self.pos(start);
        let mut j = start + 1;
        let mut count = 0;
        loop {
            match self.at(j) {
                None | Some('\n') => return self.fail("literal not terminated", pos),
                Some('\'') => break,
                Some('\\') => match self.escape(j + 1, '\'') {
                    Ok((next, _)) => j = next,
                    Err(message) => return self.fail(message, pos),
                },
                Some(_) => j += 1,
            }
            count += 1;
        }
        if count != 1 {
            return self.fail("invalid char literal", pos);
        }
        let text: String = self.chars.iter().skip(start).take(j + 1 - start).collect();
        self.i = j + 1;
        self.push(TokenKind::Ident(text), pos);
        true
    }

    fn range(&mut self) -> bool {
        let start = self.i;
        let pos = self.read_ahead_pos(start);
        let Some(len) = self.chars.iter().skip(start + 1).position(|&c| c == ']') else {
            return self.fail("missing closing ']' in duration", pos);
        };
        let text: String = self.chars.iter().skip(start + 1).take(len).collect();
        self.i = start + len + 2;
        match parse_prom_duration(&text) {
            Ok(ns) => {
                self.push(TokenKind::Range(ns), pos);
                true
            }
            Err(message) => self.fail(message, pos),
        }
    }

    /// `-`: a logfmt flag, a negative duration, or the minus operator.
    fn minus(&mut self) -> bool {
        let start = self.i;
        if self.at(start + 1) == Some('-') {
            let len = self
                .chars
                .iter()
                .skip(start + 1)
                .take_while(|&&c| c.is_alphabetic() || c == '-')
                .count();
            let text: String = self.chars.iter().skip(start).take(len + 1).collect();
            let flag = match text.as_str() {
                "--strict" => Some(ParserFlag::Strict),
                "--keep-empty" => Some(ParserFlag::KeepEmpty),
                _ => None,
            };
            if let Some(flag) = flag {
                self.i = start + 1 + len;
                self.push(TokenKind::Flag(flag), self.read_ahead_pos(start));
                return true;
            }
        }
        if self.try_duration("-", start + 1, start) {
            return true;
        }
        self.operator()
    }

    /// After the text `prefix` (a number or `-`) ending before `from`: the duration characters
    /// that follow, if together they read as a duration.
    fn try_duration(&mut self, prefix: &str, from: usize, start: usize) -> bool {
        self.try_unit_suffix(prefix, from, start, is_duration_char, |text| {
            parse_duration(text).map(TokenKind::Duration)
        })
    }

    /// The same for a byte size.
    fn try_bytes(&mut self, prefix: &str, from: usize, start: usize) -> bool {
        self.try_unit_suffix(prefix, from, start, is_bytes_char, |text| {
            parse_humanized_bytes(text).ok().map(TokenKind::Bytes)
        })
    }

    /// After `prefix` ending before `from`: the digits, `.` and `unit_char`s that follow, taken
    /// as one token when `read` accepts the whole text.
    fn try_unit_suffix(
        &mut self,
        prefix: &str,
        from: usize,
        start: usize,
        unit_char: fn(char) -> bool,
        read: impl Fn(&str) -> Option<TokenKind>,
    ) -> bool {
        let len = self.suffix_len(from, |c| c.is_numeric() || unit_char(c) || c == '.');
        if len == 0 {
            return false;
        }
        let text: String = prefix
            .chars()
            .chain(self.chars.iter().skip(from).take(len).copied())
            .collect();
        match read(&text) {
            Some(kind) => {
                self.i = from + len;
                self.push(kind, self.read_ahead_pos(start));
                true
            }
            None => false,
        }
    }

    /// How many characters from `from` pass `accept`, stopping at white space.
    fn suffix_len(&self, from: usize, accept: impl Fn(char) -> bool) -> usize {
        self.chars
            .iter()
            .skip(from)
            .take_while(|&&c| !c.is_whitespace() && accept(c))
            .count()
    }

    fn word(&mut self) -> bool {
        let start = self.i;
        let len = self
            .chars
            .iter()
            .skip(start)
            .take_while(|&&c| c == '_' || c.is_alphabetic() || c.is_numeric())
            .count();
        let text: String = self.chars.iter().skip(start).take(len).collect();
        self.i = start + len;
        let lower = text.to_lowercase();
        let kind = if let Some(f) = Function::from_word(&lower) {
            if self.is_call(self.i) {
                TokenKind::Func(f)
            } else {
                TokenKind::Ident(text)
            }
        } else if let Some(k) = Keyword::from_text(&lower) {
            TokenKind::Kw(k)
        } else {
            TokenKind::Ident(text)
        };
        self.push(kind, self.pos(start));
        true
    }

    /// Loki's `isFunction`: after white space, `(`, or `by` / `without`, white space and `(`.
    fn is_call(&self, from: usize) -> bool {
        let skip_space = |mut j: usize| {
            while self.at(j).is_some_and(char::is_whitespace) {
                j += 1;
            }
            j
        };
        let j = skip_space(from);
        if self.at(j) == Some('(') {
            return true;
        }
        for keyword in ["by", "without"] {
            let n = keyword.chars().count();
            let word: String = self.chars.iter().skip(j).take(n).collect();
            if word.to_lowercase() == keyword {
                return self.at(skip_space(j + n)) == Some('(');
            }
        }
        false
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        let pos = self.pos(start);
        let (end, error) = self.scan_number(start);
        if let Some(message) = error {
            return self.fail(message, pos);
        }
        let text: String = self.chars.iter().skip(start).take(end - start).collect();
        if self.try_duration(&text, end, start) || self.try_bytes(&text, end, start) {
            return true;
        }
        self.i = end;
        self.push(TokenKind::Number(text), pos);
        true
    }

    /// Go's scanner on a number starting at `start`: where it ends, and its error if any.
    fn scan_number(&self, start: usize) -> (usize, Option<String>) {
        if let Some(scanned) = self.scan_prefixed_number(start) {
            return scanned;
        }
        let mut j = start;
        let int_len = self.suffix_len(j, |c| c == '_' || c.is_ascii_digit());
        j += int_len;
        let mut is_float = false;
        if self.at(j) == Some('.') {
            is_float = true;
            j += 1;
            j += self.suffix_len(j, |c| c == '_' || c.is_ascii_digit());
        }
        if matches!(self.at(j), Some('e' | 'E')) {
            is_float = true;
            j += 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            let exp_len = self.suffix_len(j, |c| c == '_' || c.is_ascii_digit());
            if !self
                .chars
                .iter()
                .skip(j)
                .take(exp_len)
                .any(char::is_ascii_digit)
            {
                return (j + exp_len, Some("exponent has no digits".to_owned()));
            }
            j += exp_len;
        }
        let text: String = self.chars.iter().skip(start).take(j - start).collect();
        if text.contains('_') && !underscores_separate_digits(&text) {
            return (j, Some("'_' must separate successive digits".to_owned()));
        }
        if !is_float
            && text.starts_with('0')
            && let Some(bad) = text.chars().find(|&c| c == '8' || c == '9')
        {
            return (j, Some(format!("invalid digit '{bad}' in octal literal")));
        }
        (j, None)
    }

    /// A `0x`, `0o` or `0b` number (Loki's float parser refuses them later); `None` for others.
    fn scan_prefixed_number(&self, start: usize) -> Option<(usize, Option<String>)> {
        // `0B` directly followed by no digit is a byte size (zero bytes), not a binary prefix.
        let name = match (
            self.at(start),
            self.at(start + 1).map(|c| c.to_ascii_lowercase()),
        ) {
            (Some('0'), Some('x')) => "hexadecimal literal",
            (Some('0'), Some('o')) => "octal literal",
            (Some('0'), Some('b'))
                if self
                    .at(start + 2)
                    .is_some_and(|c| c == '_' || c.is_ascii_digit()) =>
            {
                "binary literal"
            }
            _ => return None,
        };
        let j = start + 2;
        let radix = if name.starts_with("hex") { 16 } else { 10 };
        let len = self.suffix_len(j, |c| c == '_' || c.is_digit(radix));
        if len == 0 {
            return Some((j, Some(format!("{name} has no digits"))));
        }
        Some((j + len, None))
    }

    fn operator(&mut self) -> bool {
        let start = self.i;
        let Some(c) = self.at(start) else {
            return true;
        };
        let two: String = [Some(c), self.at(start + 1)]
            .into_iter()
            .flatten()
            .collect();
        if two.chars().count() == 2
            && let Some(k) = Keyword::from_text(&two)
        {
            self.i = start + 2;
            self.push(TokenKind::Kw(k), self.read_ahead_pos(start));
            return true;
        }
        self.i = start + 1;
        let kind = match Keyword::from_text(&c.to_string()) {
            Some(k) => TokenKind::Kw(k),
            None => TokenKind::Ident(c.to_string()),
        };
        self.push(kind, self.pos(start));
        true
    }
}

/// Go's rule for `_` in numbers: each one sits between two digits.
fn underscores_separate_digits(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().all(|(k, &c)| {
        c != '_'
            || (k > 0
                && chars.get(k - 1).is_some_and(char::is_ascii_digit)
                && chars.get(k + 1).is_some_and(char::is_ascii_digit))
    })
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
