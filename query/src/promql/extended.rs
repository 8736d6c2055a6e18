//! Prometheus 3's extended range selectors (`x[5m] anchored`, `x[5m] smoothed`, `x smoothed`)
//! on top of `promql-parser`, which lexes the keywords but has no grammar for them.
//!
//! Before parsing, [`mark_modifiers`] removes every modifier keyword and marks the selector it
//! follows with a reserved equality matcher ([`MODIFIER_LABEL`]`="anchored"`), inserted into the
//! selector's braces (or into new braces after a bare metric name). The parser then keeps the
//! mark on the selector's node; [`modifier_of`] reads it back, and `parse::selector_matchers`
//! leaves it out of what storage is asked for. Strings and comments are skipped by a small
//! tokenizer, so a keyword inside them is never touched.
//!
//! A keyword is a modifier when it follows a selector, possibly after its range, `offset` and
//! `@` (a `]`, `}`, `)`, number, duration or metric name before it); anywhere else it is left
//! for the parser, which rejects it. Misuse gives upstream's parse errors: a modifier on a
//! subquery or on anything but a selector, or both modifiers on one selector.

use std::borrow::Cow;

use promql_parser::parser::{Expr, VectorSelector};

use crate::promql::QueryError;
use crate::promql::functions::range::SelectorModifier;

/// The label name of the matcher that marks a selector's modifier. Reserved: a query that names
/// it itself is rejected, so every such matcher comes from [`mark_modifiers`].
pub(crate) const MODIFIER_LABEL: &str = "__promql_range_modifier__";

/// The modifier a selector was marked with, if any.
pub(crate) fn modifier_of(vs: &VectorSelector) -> Option<SelectorModifier> {
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == MODIFIER_LABEL)
        .and_then(|m| modifier_named(&m.value))
}

/// The modifier a keyword names (case-insensitively, as the lexer reads keywords).
fn modifier_named(word: &str) -> Option<SelectorModifier> {
    [SelectorModifier::Anchored, SelectorModifier::Smoothed]
        .into_iter()
        .find(|m| m.keyword().eq_ignore_ascii_case(word))
}

/// One change [`mark_modifiers`] made, in the query's own byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edit {
    /// Where the change starts in the query.
    at: usize,
    /// Bytes of the query it removes (a keyword) ...
    removed: usize,
    /// ... and bytes of marking text it inserts instead.
    inserted: usize,
}

/// The query with its modifiers turned into marks, and how to map positions back.
#[derive(Debug)]
pub(crate) struct Marked<'a> {
    /// The text to hand the parser.
    pub(crate) text: Cow<'a, str>,
    /// The edits, in increasing `at` order.
    edits: Vec<Edit>,
}

impl Marked<'_> {
    /// The query offset that offset `position` of the marked text stands for (positions inside
    /// an inserted mark map to where it was inserted).
    pub(crate) fn query_position(&self, position: usize) -> usize {
        let mut shift = 0isize; // marked offset minus query offset, before the current edit
        for edit in &self.edits {
            let marked_at = edit.at.saturating_add_signed(shift);
            if position < marked_at {
                break;
            }
            if position < marked_at + edit.inserted {
                return edit.at;
            }
            shift += edit.inserted as isize - edit.removed as isize;
        }
        position.saturating_add_signed(-shift)
    }
}

/// The kinds of token the pre-pass tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A name or keyword: `[A-Za-z_:][A-Za-z0-9_:]*`.
    Word,
    /// A number or duration (starts with a digit, or a dot and a digit).
    Number,
    /// A quoted string.
    Text,
    /// Any other character (the byte, or 0 for a non-ASCII character).
    Punct(u8),
}

/// A token: its kind and byte span in the query.
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Splits `query` into tokens, dropping blanks and `#` comments. Unterminated strings run to the
/// end: the parser reports them.
fn tokenize(query: &str) -> Vec<Token> {
    let bytes = query.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let kind = match b {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'#' => {
                i = find_from(bytes, i, |c| c == b'\n');
                continue;
            }
            b'"' | b'\'' | b'`' => {
                i = string_end(bytes, i);
                Kind::Text
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {
                i = find_from(bytes, i, |c| {
                    !(c.is_ascii_alphanumeric() || c == b'_' || c == b':')
                });
                Kind::Word
            }
            b if b.is_ascii_digit()
                || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                i = number_end(bytes, i);
                Kind::Number
            }
            b if b.is_ascii() => {
                i += 1;
                Kind::Punct(b)
            }
            _ => {
                // A non-ASCII character: step over all of it.
                i += 1;
                while bytes.get(i).is_some_and(|c| (c & 0xC0) == 0x80) {
                    i += 1;
                }
                Kind::Punct(0)
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// The first index at or after `from` whose byte satisfies `stop` (the length when none does).
fn find_from(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&c| stop(c)))
        .map_or(bytes.len(), |p| from + p)
}

/// The end of the string starting at `start` (its quote): backslash escapes in `"` and `'`
/// strings, none in backtick strings.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes.get(start).copied();
    let mut i = start + 1;
    while let Some(&c) = bytes.get(i) {
        i += 1;
        if Some(c) == quote {
            return i;
        }
        if c == b'\\' && quote != Some(b'`') {
            i += 1;
        }
    }
    bytes.len()
}

/// The end of the number or duration starting at `start`: letters, digits, `_` and `.`, and a
/// sign right after the exponent of a decimal number (`1e-3`).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = matches!(bytes.get(start..start + 2), Some(b"0x" | b"0X"));
    let mut i = start;
    while let Some(&c) = bytes.get(i) {
        let exponent_sign = (c == b'+' || c == b'-')
            && !hex
            && i > start
            && matches!(bytes.get(i - 1), Some(b'e' | b'E'))
            && bytes
                .get(start..i - 1)
                .is_some_and(|m| m.iter().all(|d| d.is_ascii_digit() || *d == b'.'));
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Words that are operators or keywords, never a metric name right before a modifier.
const NOT_A_SELECTOR: &[&str] = &[
    "and",
    "or",
    "unless",
    "atan2",
    "bool",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "start",
    "end",
    "inf",
    "nan",
    "fill",
    "fill_left",
    "fill_right",
];

/// How a modifier keyword was used wrongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Misuse {
    /// After a subquery.
    Subquery,
    /// After something that is no selector (a call, a parenthesis, a number ...).
    NotASelector,
}

impl Misuse {
    /// Upstream's parse error for this misuse of `modifier`.
    fn message(self, modifier: SelectorModifier) -> String {
        let keyword = modifier.keyword();
        match self {
            Misuse::Subquery => format!("{keyword} modifier is not supported for subqueries"),
            Misuse::NotASelector => format!("{keyword} modifier not implemented"),
        }
    }
}

/// Where a selector's mark goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Braces right after a bare metric name ending at this offset.
    Bare(usize),
    /// Into the selector's braces, before the `}` at this offset; with a leading comma unless
    /// the braces are empty or already end in one.
    Braces { close: usize, comma: bool },
}

impl Target {
    /// The offset the mark is inserted at: one per selector.
    fn offset(self) -> usize {
        match self {
            Target::Bare(at) | Target::Braces { close: at, .. } => at,
        }
    }

    /// The text that marks the selector with `modifier`.
    fn mark(self, modifier: SelectorModifier) -> String {
        let matcher = format!("{MODIFIER_LABEL}=\"{}\"", modifier.keyword());
        match self {
            Target::Bare(_) => format!("{{{matcher}}}"),
            Target::Braces { comma: true, .. } => format!(",{matcher}"),
            Target::Braces { comma: false, .. } => matcher,
        }
    }
}

/// The token stream and which of its words have been taken as modifiers so far.
struct Scan<'q> {
    query: &'q str,
    tokens: Vec<Token>,
    is_modifier: Vec<bool>,
}

impl Scan<'_> {
    fn text(&self, index: usize) -> &str {
        self.tokens
            .get(index)
            .and_then(|t| self.query.get(t.start..t.end))
            .unwrap_or("")
    }

    fn kind(&self, index: usize) -> Option<Kind> {
        self.tokens.get(index).map(|t| t.kind)
    }

    /// The index of the token before `index`, skipping modifier keywords.
    fn before(&self, index: usize) -> Option<usize> {
        (0..index)
            .rev()
            .find(|&i| !self.is_modifier.get(i).copied().unwrap_or(false))
    }

    fn is_selector_name(&self, index: usize) -> bool {
        let word = self.text(index).to_ascii_lowercase();
        self.kind(index) == Some(Kind::Word) && !NOT_A_SELECTOR.contains(&word.as_str())
    }

    /// Whether the word at `index` is a modifier keyword in a modifier's place.
    fn is_modifier_at(&self, index: usize) -> bool {
        if self.kind(index) != Some(Kind::Word) || modifier_named(self.text(index)).is_none() {
            return false;
        }
        match self
            .before(index)
            .and_then(|p| self.kind(p).map(|k| (p, k)))
        {
            Some((_, Kind::Punct(b']' | b'}' | b')') | Kind::Number)) => true,
            Some((p, Kind::Word)) => self.is_selector_name(p),
            _ => false,
        }
    }

    /// Where the query names [`MODIFIER_LABEL`] itself: as a word, or quoted before a matcher
    /// operator.
    fn reserved_label(&self) -> Option<usize> {
        let quoted = [
            format!("\"{MODIFIER_LABEL}\""),
            format!("'{MODIFIER_LABEL}'"),
        ];
        (0..self.tokens.len()).find_map(|i| {
            let token = self.tokens.get(i)?;
            let named = match token.kind {
                Kind::Word => self.text(i) == MODIFIER_LABEL,
                Kind::Text => {
                    quoted.iter().any(|q| q == self.text(i))
                        && matches!(self.kind(i + 1), Some(Kind::Punct(b'=' | b'!')))
                }
                _ => false,
            };
            named.then_some(token.start)
        })
    }

    /// The index of the bracket opening the one that closes at `close`.
    fn opening(&self, close: usize, open: u8, shut: u8) -> Option<usize> {
        let mut depth = 0usize;
        for i in (0..=close).rev() {
            match self.kind(i) {
                Some(Kind::Punct(b)) if b == shut => depth += 1,
                Some(Kind::Punct(b)) if b == open => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The selector the modifier at `index` applies to, walking back over its range, `offset`
    /// and `@`.
    fn target(&self, index: usize) -> Result<Target, Misuse> {
        let mut at = index;
        loop {
            let prev = self.before(at).ok_or(Misuse::NotASelector)?;
            at = match self.kind(prev) {
                Some(Kind::Punct(b']')) => {
                    let open = self.opening(prev, b'[', b']').ok_or(Misuse::NotASelector)?;
                    // A `:` (which the tokenizer may have glued to a duration) makes a subquery.
                    let inside = match (self.tokens.get(open), self.tokens.get(prev)) {
                        (Some(o), Some(c)) => self.query.get(o.end..c.start).unwrap_or(""),
                        _ => "",
                    };
                    if inside.contains(':') {
                        return Err(Misuse::Subquery);
                    }
                    open
                }
                Some(Kind::Punct(b'}')) => {
                    self.opening(prev, b'{', b'}').ok_or(Misuse::NotASelector)?;
                    let inner = self.before(prev).and_then(|i| self.kind(i));
                    let comma = !matches!(inner, Some(Kind::Punct(b'{' | b',')));
                    let close = self.tokens.get(prev).map_or(0, |t| t.start);
                    return Ok(Target::Braces { close, comma });
                }
                Some(Kind::Word) if self.is_selector_name(prev) => {
                    return Ok(Target::Bare(self.tokens.get(prev).map_or(0, |t| t.end)));
                }
                Some(Kind::Number) => self.modifier_argument_start(prev)?,
                Some(Kind::Punct(b')')) => self.at_preprocessor_start(prev)?,
                _ => return Err(Misuse::NotASelector),
            };
        }
    }

    /// For the number at `index`: the index of the `offset` or `@` it belongs to.
    fn modifier_argument_start(&self, index: usize) -> Result<usize, Misuse> {
        let mut prev = self.before(index).ok_or(Misuse::NotASelector)?;
        if matches!(self.kind(prev), Some(Kind::Punct(b'-' | b'+'))) {
            prev = self.before(prev).ok_or(Misuse::NotASelector)?;
        }
        let is_offset =
            self.kind(prev) == Some(Kind::Word) && self.text(prev).eq_ignore_ascii_case("offset");
        if is_offset || self.kind(prev) == Some(Kind::Punct(b'@')) {
            Ok(prev)
        } else {
            Err(Misuse::NotASelector)
        }
    }

    /// For the `)` at `index`: the index of the `@` of an `@ start()` / `@ end()`.
    fn at_preprocessor_start(&self, index: usize) -> Result<usize, Misuse> {
        let open = self
            .before(index)
            .filter(|&i| self.kind(i) == Some(Kind::Punct(b'(')));
        let name = open.and_then(|i| self.before(i)).filter(|&i| {
            let word = self.text(i);
            word.eq_ignore_ascii_case("start") || word.eq_ignore_ascii_case("end")
        });
        name.and_then(|i| self.before(i))
            .filter(|&i| self.kind(i) == Some(Kind::Punct(b'@')))
            .ok_or(Misuse::NotASelector)
    }
}

/// A parse error at query offset `position`, in the form the parser's errors take.
fn parse_error(position: usize, message: String) -> QueryError {
    QueryError::Parse {
        position: Some(position),
        message: format!("parse error: {message}"),
    }
}

/// Removes the modifier keywords of `query` and marks their selectors (see the module doc).
/// Returns the text unchanged (borrowed) when there are none.
pub(crate) fn mark_modifiers(query: &str) -> Result<Marked<'_>, QueryError> {
    let tokens = tokenize(query);
    let mut scan = Scan {
        query,
        is_modifier: vec![false; tokens.len()],
        tokens,
    };
    if let Some(at) = scan.reserved_label() {
        let message = format!("the label name {MODIFIER_LABEL} is reserved by this engine");
        return Err(parse_error(at, message));
    }
    let mut marks: Vec<Mark> = Vec::new();
    let mut keywords: Vec<Token> = Vec::new();
    for index in 0..scan.tokens.len() {
        if !scan.is_modifier_at(index) {
            continue;
        }
        let (Some(keyword), Some(modifier)) = (
            scan.tokens.get(index).copied(),
            modifier_named(scan.text(index)),
        ) else {
            continue;
        };
        let target = scan
            .target(index)
            .map_err(|misuse| parse_error(keyword.start, misuse.message(modifier)))?;
        match marks.iter().find(|m| m.at == target.offset()) {
            Some(earlier) if earlier.modifier != modifier => {
                let message = "anchored and smoothed modifiers cannot be used together".to_owned();
                return Err(parse_error(keyword.start, message));
            }
            Some(_) => {}
            None => marks.push(Mark {
                at: target.offset(),
                text: target.mark(modifier),
                modifier,
            }),
        }
        if let Some(flag) = scan.is_modifier.get_mut(index) {
            *flag = true;
        }
        keywords.push(keyword);
    }
    Ok(apply(query, marks, &keywords))
}

/// A selector's mark, to be inserted.
struct Mark {
    /// The query offset it goes to (one per selector, see [`Target::offset`]).
    at: usize,
    /// The marking text.
    text: String,
    /// The modifier it marks.
    modifier: SelectorModifier,
}

/// The query with the `marks` inserted and the `keywords` removed.
fn apply<'q>(query: &'q str, marks: Vec<Mark>, keywords: &[Token]) -> Marked<'q> {
    if keywords.is_empty() {
        return Marked {
            text: Cow::Borrowed(query),
            edits: Vec::new(),
        };
    }
    // Every change as (offset, bytes removed, text inserted); a mark never sits inside a keyword.
    let mut changes: Vec<(usize, usize, String)> = marks
        .into_iter()
        .map(|m| (m.at, 0, m.text))
        .chain(
            keywords
                .iter()
                .map(|k| (k.start, k.end - k.start, String::new())),
        )
        .collect();
    changes.sort_by_key(|c| c.0);
    let mut text = String::with_capacity(query.len() + 48 * changes.len());
    let mut edits = Vec::with_capacity(changes.len());
    let mut copied = 0;
    for (at, removed, inserted) in changes {
        text.push_str(query.get(copied..at).unwrap_or(""));
        text.push_str(&inserted);
        copied = at + removed;
        edits.push(Edit {
            at,
            removed,
            inserted: inserted.len(),
        });
    }
    text.push_str(query.get(copied..).unwrap_or(""));
    Marked {
        text: Cow::Owned(text),
        edits,
    }
}

/// `text` (an expression as the parser prints it) without the marks, so that it can be found in
/// the query as written.
pub(crate) fn without_marks(text: &str) -> Cow<'_, str> {
    if !text.contains(MODIFIER_LABEL) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for modifier in [SelectorModifier::Anchored, SelectorModifier::Smoothed] {
        let matcher = format!("{MODIFIER_LABEL}=\"{}\"", modifier.keyword());
        // Alone in its braces, after another matcher, or before one (they print sorted).
        for pattern in [
            format!("{{{matcher}}}"),
            format!(",{matcher}"),
            format!("{matcher},"),
        ] {
            out = out.replace(&pattern, "");
        }
    }
    Cow::Owned(out)
}

/// Calls `f` on every vector selector of `expr` (those inside range selectors too).
fn for_each_selector<'e>(expr: &'e Expr, f: &mut impl FnMut(&'e VectorSelector)) {
    match expr {
        Expr::VectorSelector(vs) => f(vs),
        Expr::MatrixSelector(ms) => f(&ms.vs),
        Expr::Subquery(sq) => for_each_selector(&sq.expr, f),
        Expr::Paren(p) => for_each_selector(&p.expr, f),
        Expr::Unary(u) => for_each_selector(&u.expr, f),
        Expr::Binary(b) => {
            for_each_selector(&b.lhs, f);
            for_each_selector(&b.rhs, f);
        }
        Expr::Aggregate(a) => {
            for_each_selector(&a.expr, f);
            if let Some(p) = &a.param {
                for_each_selector(p, f);
            }
        }
        Expr::Call(c) => c.args.args.iter().for_each(|a| for_each_selector(a, f)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// Rejects a marked selector with no non-empty matcher besides its mark, as the parser rejects
/// an unmarked one (the mark itself would otherwise satisfy the parser's check).
pub(crate) fn check_marked_selectors(expr: &Expr) -> Result<(), QueryError> {
    let mut empty = false;
    for_each_selector(expr, &mut |vs| {
        let selects_all = vs.name.is_none()
            && vs.matchers.or_matchers.is_empty()
            && vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != MODIFIER_LABEL)
                .all(|m| m.is_match(""));
        empty |= modifier_of(vs).is_some() && selects_all;
    });
    if empty {
        return Err(QueryError::Parse {
            position: None,
            message: "parse error: vector selector must contain at least one non-empty matcher"
                .into(),
        });
    }
    Ok(())
}

/// The time range storage must be read over for `expr`, given the range `[mint, maxt]` its
/// selectors need without modifiers: a lookback delta more on both sides when any selector is
/// marked (an anchor before a window, the neighbours a smoothed value is interpolated from).
pub(crate) fn load_range(expr: &Expr, mint: i64, maxt: i64, lookback: i64) -> (i64, i64) {
    let mut marked = false;
    for_each_selector(expr, &mut |vs| marked |= modifier_of(vs).is_some());
    if marked {
        (mint.saturating_sub(lookback), maxt.saturating_add(lookback))
    } else {
        (mint, maxt)
    }
}

#[cfg(test)]
#[path = "extended_tests.rs"]
mod tests;
