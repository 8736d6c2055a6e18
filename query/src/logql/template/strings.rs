//! String functions: Go's `strings` package as Loki registers it (`ToLower`, `Replace`,
//! `Trim`, ...), sprig's string helpers (`lower`, `trunc`, `indent`, `b64enc`, ...), Loki's
//! `alignLeft`/`alignRight`/`urlencode`/`urldecode` and the regex functions.
//!
//! `trunc`, `substr` and the align functions count runes, as Loki's own implementations do.
//! Functions that only cut their input return a slice of it, so a borrowed label value stays
//! borrowed. Growing functions check the result size against the render limit before
//! building it.

use std::borrow::Cow;

use regex::{Regex, RegexBuilder};

use super::ast::PreparedRegex;
use super::escape::{base64_decode, base64_encode, query_escape, query_unescape};
use super::funcs::{Env, FuncError, int_arg, str_arg, take_str};
use super::value::Value;

/// Largest compiled program a regex argument may produce.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// String functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrFunc {
    /// `lower`, `ToLower`.
    Lower,
    /// `upper`, `ToUpper`.
    Upper,
    /// `title`.
    Title,
    /// `Replace s old new n`.
    GoReplace,
    /// `replace old new s`.
    Replace,
    /// `Trim s cutset`.
    GoTrim,
    /// `TrimLeft s cutset`.
    GoTrimLeft,
    /// `TrimRight s cutset`.
    GoTrimRight,
    /// `TrimPrefix s prefix`.
    GoTrimPrefix,
    /// `TrimSuffix s suffix`.
    GoTrimSuffix,
    /// `trim`, `TrimSpace`.
    TrimSpace,
    /// `trimAll cutset s`.
    TrimAll,
    /// `trimPrefix prefix s`.
    TrimPrefix,
    /// `trimSuffix suffix s`.
    TrimSuffix,
    /// `trunc n s`.
    Trunc,
    /// `substr start end s`.
    Substr,
    /// `contains sub s`.
    Contains,
    /// `hasPrefix prefix s`.
    HasPrefix,
    /// `hasSuffix suffix s`.
    HasSuffix,
    /// `indent n s`.
    Indent,
    /// `nindent n s`.
    Nindent,
    /// `repeat n s`.
    Repeat,
    /// `alignLeft n s`.
    AlignLeft,
    /// `alignRight n s`.
    AlignRight,
    /// `b64enc`.
    B64Enc,
    /// `b64dec`.
    B64Dec,
    /// `urlencode`.
    UrlEncode,
    /// `urldecode`.
    UrlDecode,
    /// `regexReplaceAll regex s replacement`.
    RegexReplaceAll,
    /// `regexReplaceAllLiteral regex s replacement`.
    RegexReplaceAllLiteral,
    /// `count regex s`.
    Count,
}

impl StrFunc {
    /// Runs the function on arguments already converted to its parameter types.
    pub(crate) fn call<'a>(
        self,
        args: &mut [Value<'a>],
        env: &Env<'_, 'a>,
    ) -> Result<Value<'a>, FuncError> {
        let text = |s: Cow<'a, str>| Ok(Value::Str(s));
        match self {
            Self::Lower => text(map_case(take_str(args, 0)?, CaseMap::Lower)),
            Self::Upper => text(map_case(take_str(args, 0)?, CaseMap::Upper)),
            Self::Title => text(map_case(take_str(args, 0)?, CaseMap::Title)),
            Self::GoReplace => {
                let n = int_arg(args, 3)?;
                let (old, new) = (str_arg(args, 1)?.to_owned(), str_arg(args, 2)?.to_owned());
                text(replace(take_str(args, 0)?, &old, &new, n, env)?)
            }
            Self::Replace => {
                let (old, new) = (str_arg(args, 0)?.to_owned(), str_arg(args, 1)?.to_owned());
                text(replace(take_str(args, 2)?, &old, &new, -1, env)?)
            }
            Self::GoTrim | Self::GoTrimLeft | Self::GoTrimRight => {
                let cutset = str_arg(args, 1)?.to_owned();
                let (left, right) = (self != Self::GoTrimRight, self != Self::GoTrimLeft);
                text(trim_cutset(take_str(args, 0)?, &cutset, left, right))
            }
            Self::GoTrimPrefix => {
                let prefix = str_arg(args, 1)?.to_owned();
                text(trim_prefix(take_str(args, 0)?, &prefix))
            }
            Self::GoTrimSuffix => {
                let suffix = str_arg(args, 1)?.to_owned();
                text(trim_suffix(take_str(args, 0)?, &suffix))
            }
            Self::TrimSpace => text(trim_space(take_str(args, 0)?)),
            Self::TrimAll => {
                let cutset = str_arg(args, 0)?.to_owned();
                text(trim_cutset(take_str(args, 1)?, &cutset, true, true))
            }
            Self::TrimPrefix => {
                let prefix = str_arg(args, 0)?.to_owned();
                text(trim_prefix(take_str(args, 1)?, &prefix))
            }
            Self::TrimSuffix => {
                let suffix = str_arg(args, 0)?.to_owned();
                text(trim_suffix(take_str(args, 1)?, &suffix))
            }
            Self::Trunc => text(trunc(int_arg(args, 0)?, take_str(args, 1)?)),
            Self::Substr => text(substr(
                int_arg(args, 0)?,
                int_arg(args, 1)?,
                take_str(args, 2)?,
            )),
            _ => self.call_more(args, env),
        }
    }

    fn call_more<'a>(
        self,
        args: &mut [Value<'a>],
        env: &Env<'_, 'a>,
    ) -> Result<Value<'a>, FuncError> {
        let text = |s: String| Ok(Value::Str(Cow::Owned(s)));
        match self {
            Self::Contains => Ok(Value::Bool(str_arg(args, 1)?.contains(str_arg(args, 0)?))),
            Self::HasPrefix => Ok(Value::Bool(
                str_arg(args, 1)?.starts_with(str_arg(args, 0)?),
            )),
            Self::HasSuffix => Ok(Value::Bool(str_arg(args, 1)?.ends_with(str_arg(args, 0)?))),
            Self::Indent => text(indent(int_arg(args, 0)?, str_arg(args, 1)?, false, env)?),
            Self::Nindent => text(indent(int_arg(args, 0)?, str_arg(args, 1)?, true, env)?),
            Self::Repeat => text(repeat(str_arg(args, 1)?, int_arg(args, 0)?, env)?),
            Self::AlignLeft => Ok(Value::Str(align(
                int_arg(args, 0)?,
                take_str(args, 1)?,
                true,
                env,
            )?)),
            Self::AlignRight => Ok(Value::Str(align(
                int_arg(args, 0)?,
                take_str(args, 1)?,
                false,
                env,
            )?)),
            Self::B64Enc => text(base64_encode(str_arg(args, 0)?.as_bytes())),
            Self::B64Dec => text(match base64_decode(str_arg(args, 0)?) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(message) => message,
            }),
            Self::UrlEncode => text(query_escape(str_arg(args, 0)?)),
            Self::UrlDecode => query_unescape(str_arg(args, 0)?)
                .map(|s| Value::Str(Cow::Owned(s)))
                .map_err(FuncError::Failed),
            Self::RegexReplaceAll | Self::RegexReplaceAllLiteral => {
                let literal = self == Self::RegexReplaceAllLiteral;
                let replacement = str_arg(args, 2)?.to_owned();
                let pattern = str_arg(args, 0)?.to_owned();
                let regex = regex_for(&pattern, env)?;
                Ok(Value::Str(replace_regex(
                    &regex,
                    take_str(args, 1)?,
                    &replacement,
                    literal,
                    env,
                )?))
            }
            Self::Count => {
                let regex = regex_for(str_arg(args, 0)?, env)?;
                let count = regex.find_iter(str_arg(args, 1)?).count();
                Ok(Value::Int(i64::try_from(count).unwrap_or(i64::MAX)))
            }
            _ => Err(FuncError::failed(format!(
                "internal error: {self:?} dispatched to call_more"
            ))),
        }
    }
}

/// The part `start..end` of `s`, cutting an owned string in place.
fn cut(s: Cow<'_, str>, start: usize, end: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(start..end).unwrap_or("")),
        Cow::Owned(mut o) => {
            if start > end || !o.is_char_boundary(start) || !o.is_char_boundary(end) {
                return Cow::Owned(String::new());
            }
            o.truncate(end);
            o.replace_range(..start, "");
            Cow::Owned(o)
        }
    }
}

/// Byte offset of the `n`-th character (or the length).
fn char_offset(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CaseMap {
    Lower,
    Upper,
    Title,
}

/// Go's rune-by-rune simple case mapping: a character whose Unicode mapping is more than one
/// character is left unchanged, as Go's `unicode.ToUpper` leaves it.
fn map_char(c: char, map: CaseMap) -> char {
    fn single(mut mapped: impl Iterator<Item = char>, c: char) -> char {
        match (mapped.next(), mapped.next()) {
            (Some(only), None) => only,
            _ => c,
        }
    }
    match map {
        CaseMap::Lower => single(c.to_lowercase(), c),
        CaseMap::Upper | CaseMap::Title => single(c.to_uppercase(), c),
    }
}

/// Go's `strings.Title` word boundary test.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

fn map_case(s: Cow<'_, str>, map: CaseMap) -> Cow<'_, str> {
    let unchanged = match map {
        CaseMap::Lower => s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()),
        CaseMap::Upper => s.is_ascii() && !s.bytes().any(|b| b.is_ascii_lowercase()),
        CaseMap::Title => false,
    };
    if unchanged {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut previous = ' ';
    for c in s.chars() {
        let mapped = match map {
            CaseMap::Title if !is_separator(previous) => c,
            _ => map_char(c, map),
        };
        out.push(mapped);
        previous = c;
    }
    Cow::Owned(out)
}

/// Go's `strings.Replace(s, old, new, n)` (`n < 0`: all).
fn replace<'a>(
    s: Cow<'a, str>,
    old: &str,
    new: &str,
    n: i64,
    env: &Env<'_, '_>,
) -> Result<Cow<'a, str>, FuncError> {
    if n == 0 || old == new {
        return Ok(s);
    }
    let occurrences = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    let replaced = usize::try_from(n).map_or(occurrences, |n| n.min(occurrences));
    if replaced == 0 {
        return Ok(s);
    }
    let size = s
        .len()
        .saturating_add(replaced.saturating_mul(new.len()))
        .saturating_sub(replaced * old.len());
    env.check_size(size)?;
    Ok(Cow::Owned(if replaced == occurrences {
        s.replace(old, new)
    } else {
        s.replacen(old, new, replaced)
    }))
}

fn trim_cutset<'a>(s: Cow<'a, str>, cutset: &str, left: bool, right: bool) -> Cow<'a, str> {
    if cutset.is_empty() {
        return s;
    }
    let in_set = |c: char| cutset.contains(c);
    let start = if left {
        s.len() - s.trim_start_matches(in_set).len()
    } else {
        0
    };
    let end = if right {
        start + s.get(start..).unwrap_or("").trim_end_matches(in_set).len()
    } else {
        s.len()
    };
    cut(s, start, end)
}

fn trim_space(s: Cow<'_, str>) -> Cow<'_, str> {
    let start = s.len() - s.trim_start().len();
    let end = start + s.get(start..).unwrap_or("").trim_end().len();
    cut(s, start, end)
}

fn trim_prefix<'a>(s: Cow<'a, str>, prefix: &str) -> Cow<'a, str> {
    if s.starts_with(prefix) {
        let len = s.len();
        cut(s, prefix.len(), len)
    } else {
        s
    }
}

fn trim_suffix<'a>(s: Cow<'a, str>, suffix: &str) -> Cow<'a, str> {
    if s.ends_with(suffix) {
        let end = s.len() - suffix.len();
        cut(s, 0, end)
    } else {
        s
    }
}

/// Loki's rune-based `trunc`: the first `c` runes, or the last `-c`.
fn trunc(c: i64, s: Cow<'_, str>) -> Cow<'_, str> {
    let runes = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    if c < 0 && runes + c > 0 {
        let start = char_offset(&s, usize::try_from(runes + c).unwrap_or(0));
        let len = s.len();
        return cut(s, start, len);
    }
    if c >= 0 && runes > c {
        let end = char_offset(&s, usize::try_from(c).unwrap_or(0));
        return cut(s, 0, end);
    }
    s
}

/// Loki's rune-based `substr start end s`.
fn substr(start: i64, end: i64, s: Cow<'_, str>) -> Cow<'_, str> {
    let runes = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    let end = end.min(runes);
    let start = start.min(runes);
    let offset = |n: i64| char_offset(&s, usize::try_from(n).unwrap_or(0));
    let (from, to) = if start < 0 {
        if end < 0 {
            return Cow::Borrowed("");
        }
        (0, offset(end))
    } else if end < 0 {
        (offset(start), s.len())
    } else if start > end {
        return Cow::Borrowed("");
    } else {
        (offset(start), offset(end))
    };
    cut(s, from, to)
}

fn repeat(s: &str, count: i64, env: &Env<'_, '_>) -> Result<String, FuncError> {
    let count =
        usize::try_from(count).map_err(|_| FuncError::failed("strings: negative Repeat count"))?;
    let size = s
        .len()
        .checked_mul(count)
        .ok_or_else(|| FuncError::failed("strings: Repeat output length overflow"))?;
    env.check_size(size)?;
    Ok(s.repeat(count))
}

/// Sprig's `indent` / `nindent`.
fn indent(spaces: i64, s: &str, newline: bool, env: &Env<'_, '_>) -> Result<String, FuncError> {
    let pad = repeat(" ", spaces, env)?;
    let lines = s.matches('\n').count() + 1;
    env.check_size(lines.saturating_mul(pad.len()).saturating_add(s.len() + 1))?;
    let mut out = String::new();
    if newline {
        out.push('\n');
    }
    out.push_str(&pad);
    out.push_str(&s.replace('\n', &format!("\n{pad}")));
    Ok(out)
}

/// Loki's `alignLeft` / `alignRight`: pad with spaces to `count` runes, or cut to them.
fn align<'a>(
    count: i64,
    s: Cow<'a, str>,
    left: bool,
    env: &Env<'_, '_>,
) -> Result<Cow<'a, str>, FuncError> {
    let runes = s.chars().count();
    let Ok(count) = usize::try_from(count) else {
        return Ok(s);
    };
    if count == runes {
        return Ok(s);
    }
    if count > runes {
        let pad = count - runes;
        env.check_size(s.len().saturating_add(pad))?;
        let spaces = " ".repeat(pad);
        return Ok(Cow::Owned(if left {
            format!("{s}{spaces}")
        } else {
            format!("{spaces}{s}")
        }));
    }
    if left {
        let end = char_offset(&s, count);
        Ok(cut(s, 0, end))
    } else {
        let start = char_offset(&s, runes - count);
        let len = s.len();
        Ok(cut(s, start, len))
    }
}

/// Compiles a regex argument the way Loki does (`regexp.Compile`), with a size limit.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| {
            let detail = err
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            format!("error parsing regexp: {detail}")
        })
}

/// The regex for this call: the one compiled at parse time, or `pattern` compiled now.
fn regex_for<'e>(pattern: &str, env: &'e Env<'_, '_>) -> Result<Cow<'e, Regex>, FuncError> {
    match env.regex {
        Some(PreparedRegex::Ready(regex)) => Ok(Cow::Borrowed(regex)),
        Some(PreparedRegex::Invalid(message)) => Err(FuncError::failed(message.clone())),
        None => compile_regex(pattern)
            .map(Cow::Owned)
            .map_err(FuncError::Failed),
    }
}

/// Go's `ReplaceAllString` (`$1`, `${name}` expanded) or `ReplaceAllLiteralString`, checking
/// the size as the result grows.
fn replace_regex<'a>(
    regex: &Regex,
    s: Cow<'a, str>,
    replacement: &str,
    literal: bool,
    env: &Env<'_, '_>,
) -> Result<Cow<'a, str>, FuncError> {
    let mut out = String::new();
    let mut last = 0;
    let mut matched = false;
    for caps in regex.captures_iter(&s) {
        let Some(whole) = caps.get(0) else { continue };
        matched = true;
        out.push_str(s.get(last..whole.start()).unwrap_or(""));
        if literal {
            out.push_str(replacement);
        } else {
            caps.expand(replacement, &mut out);
        }
        last = whole.end();
        env.check_size(out.len())?;
    }
    if !matched {
        return Ok(s);
    }
    out.push_str(s.get(last..).unwrap_or(""));
    env.check_size(out.len())?;
    Ok(Cow::Owned(out))
}
