//! The series notation of the scripts: `metric{label="value"} <values>` lines, their value
//! sequences (`1 _ 2+3x4 stale {{...}}`) and the start-timestamp offsets of `@st` lines.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use model::{Labels, METRIC_NAME};

use crate::lexing::{
    Cursor, NotationError, NotationResult, is_label_char, is_label_start, is_metric_char,
    is_metric_start, parse_duration, parse_go_number, scan_quoted,
};

/// Most values one sequence may expand to; guards against `1x99999999999`.
pub const MAX_SEQUENCE_LEN: u64 = 1_000_000;

/// One position of a value sequence.
#[derive(Debug, Clone)]
pub enum SeqValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A float; `stale` is [`model::STALE_NAN`].
    Float(f64),
    /// A native-histogram literal, kept as written: neither the store nor the engine's result
    /// types hold histograms, so evals that involve one are skipped.
    Histogram(Arc<str>),
}

impl PartialEq for SeqValue {
    /// Floats compare by bits, so NaN equals NaN and the staleness marker is told apart.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SeqValue::Omitted, SeqValue::Omitted) => true,
            (SeqValue::Float(a), SeqValue::Float(b)) => a.to_bits() == b.to_bits(),
            (SeqValue::Histogram(a), SeqValue::Histogram(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for SeqValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqValue::Omitted => f.write_str("_"),
            SeqValue::Float(v) if model::is_stale_nan(*v) => f.write_str("stale"),
            SeqValue::Float(v) => write!(f, "{v}"),
            SeqValue::Histogram(text) => f.write_str(text),
        }
    }
}

/// Reads a metric at the start of `text`: a name, a `{...}` label set, or both. Returns the
/// labels and the text after them.
///
/// Label names may be quoted (`{"my.label"="x"}`), and a bare quoted string in the braces is the
/// metric name (`{"my.metric"}`), as in PromQL selectors. A name before the braces replaces a
/// `__name__` given inside them.
pub fn parse_metric(text: &str) -> NotationResult<(Labels, &str)> {
    let mut cur = Cursor::new(text.trim_start());
    let name = cur.take_while(is_metric_start_then_char(cur.peek()));
    let mut pairs = BTreeMap::new();
    if cur.peek() == Some('{') {
        parse_label_set(&mut cur, &mut pairs)?;
    } else if name.is_empty() {
        return Err(NotationError::new(format!(
            "expected a metric name or '{{' at {:?}",
            cur.rest()
        )));
    }
    if !name.is_empty() {
        pairs.insert(METRIC_NAME.to_owned(), name.to_owned());
    }
    let labels = labels_from_map(pairs)?;
    Ok((labels, cur.rest()))
}

/// A predicate that accepts metric-name characters when `first` may start a metric name, and
/// nothing otherwise.
fn is_metric_start_then_char(first: Option<char>) -> impl Fn(char) -> bool {
    let starts = first.is_some_and(is_metric_start);
    move |c| starts && is_metric_char(c)
}

/// Builds [`Labels`] from names and values. Names are not checked against the legacy
/// `[a-zA-Z_]` syntax because quoted UTF-8 names are allowed.
pub fn labels_from_map(pairs: BTreeMap<String, String>) -> NotationResult<Labels> {
    Labels::from_sorted(pairs).map_err(|e| NotationError::new(e.to_string()))
}

/// Reads `{name="value", "quoted name"="value", "metric name"}` into `pairs`; the cursor is on
/// the `{`.
fn parse_label_set(
    cur: &mut Cursor<'_>,
    pairs: &mut BTreeMap<String, String>,
) -> NotationResult<()> {
    cur.bump();
    loop {
        cur.skip_ws();
        if cur.eat("}") {
            return Ok(());
        }
        let (name, value) = parse_label_item(cur)?;
        if pairs.insert(name.clone(), value).is_some() {
            return Err(NotationError::new(format!("label {name:?} given twice")));
        }
        cur.skip_ws();
        if !cur.eat(",") && cur.peek() != Some('}') {
            return Err(NotationError::new(format!(
                "expected ',' or '}}' in label set at {:?}",
                cur.rest()
            )));
        }
    }
}

/// Reads one `name="value"` item, or a bare quoted metric name (returned as `__name__`).
fn parse_label_item(cur: &mut Cursor<'_>) -> NotationResult<(String, String)> {
    let quoted_name = matches!(cur.peek(), Some('"' | '\'' | '`'));
    let name = match cur.peek() {
        Some('"' | '\'' | '`') => scan_quoted(cur)?,
        Some(c) if is_label_start(c) => cur.take_while(is_label_char).to_owned(),
        _ => {
            return Err(NotationError::new(format!(
                "expected a label name at {:?}",
                cur.rest()
            )));
        }
    };
    cur.skip_ws();
    if !cur.eat("=") {
        return match cur.peek() {
            Some(',' | '}') if quoted_name => Ok((METRIC_NAME.to_owned(), name)),
            _ => Err(NotationError::new(format!(
                "expected '=' after label {name:?}"
            ))),
        };
    }
    if cur.peek() == Some('~') {
        return Err(NotationError::new(format!(
            "only '=' may appear in a series' labels (label {name:?})"
        )));
    }
    cur.skip_ws();
    let value = scan_quoted(cur)?;
    Ok((name, value))
}

/// Reads a whitespace-separated value sequence: `_`, `_xN` (N omitted), numbers, `Inf`, `NaN`,
/// `stale`, `vxN` (N+1 copies), `a+bxN` / `a-bxN` (N+1 values, each the previous plus b) and
/// native-histogram literals `{{...}}` with `xN` and `{{...}}+{{...}}xN` ramps.
pub fn parse_values(text: &str) -> NotationResult<Vec<SeqValue>> {
    let mut cur = Cursor::new(text);
    let mut out = Vec::new();
    loop {
        cur.skip_ws();
        if cur.at_end() {
            return Ok(out);
        }
        let start = cur.pos();
        parse_item(&mut cur, &mut out)?;
        if !cur.at_end() && !cur.peek().is_some_and(char::is_whitespace) {
            return Err(NotationError::new(format!(
                "unexpected {:?} after value {:?}",
                cur.rest(),
                cur.since(start)
            )));
        }
        if out.len() as u64 > MAX_SEQUENCE_LEN {
            return Err(NotationError::new(format!(
                "sequence longer than {MAX_SEQUENCE_LEN} values"
            )));
        }
    }
}

/// Reads one item at the cursor and appends its expansion.
fn parse_item(cur: &mut Cursor<'_>, out: &mut Vec<SeqValue>) -> NotationResult<()> {
    if cur.eat("_") {
        let count = if cur.eat("x") { read_count(cur)? } else { 1 };
        out.extend((0..count).map(|_| SeqValue::Omitted));
        return Ok(());
    }
    if cur.rest().starts_with("{{") {
        return parse_histogram_item(cur, out);
    }
    let first = read_series_value(cur)?;
    if cur.eat("x") {
        let count = read_count(cur)?;
        out.extend((0..=count).map(|_| SeqValue::Float(first)));
        return Ok(());
    }
    if matches!(cur.peek(), Some('+' | '-')) {
        let negative = cur.bump() == Some('-');
        let step = read_unsigned_number(cur)?;
        let step = if negative { -step } else { step };
        if !cur.eat("x") {
            return Err(NotationError::new(
                "expected 'x<count>' after a ramp's step",
            ));
        }
        let count = read_count(cur)?;
        // Each value is the previous one plus the step, as upstream accumulates it (not
        // `first + i * step`, which can differ in the last bits).
        let mut value = first;
        for _ in 0..=count {
            out.push(SeqValue::Float(value));
            value += step;
        }
        return Ok(());
    }
    out.push(SeqValue::Float(first));
    Ok(())
}

/// Reads the `N` of `xN`, bounded by [`MAX_SEQUENCE_LEN`].
fn read_count(cur: &mut Cursor<'_>) -> NotationResult<u64> {
    let digits = cur.take_while(|c| c.is_ascii_digit());
    let count: u64 = digits.parse().map_err(|_| {
        NotationError::new(format!("expected a repetition count at {:?}", cur.rest()))
    })?;
    if count > MAX_SEQUENCE_LEN {
        return Err(NotationError::new(format!(
            "repetition count {count} above {MAX_SEQUENCE_LEN}"
        )));
    }
    Ok(count)
}

/// Reads `stale`, or a number with an optional sign.
fn read_series_value(cur: &mut Cursor<'_>) -> NotationResult<f64> {
    match cur.peek() {
        Some('+') => {
            cur.bump();
            read_unsigned_number(cur)
        }
        Some('-') => {
            cur.bump();
            read_unsigned_number(cur).map(|v| -v)
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let word = cur.take_while(is_label_char);
            if word == "stale" {
                Ok(model::STALE_NAN)
            } else {
                word_number(word)
            }
        }
        _ => read_unsigned_number(cur),
    }
}

/// Reads a number without sign: decimal digits with optional fraction and exponent, or the
/// words `Inf` / `NaN` in any case. Digits stop at `x`, the repetition mark.
fn read_unsigned_number(cur: &mut Cursor<'_>) -> NotationResult<f64> {
    if cur.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
        let word = cur.take_while(is_label_char);
        return word_number(word);
    }
    let start = cur.pos();
    let int_digits = cur.take_while(|c| c.is_ascii_digit()).len();
    let mut frac_digits = 0;
    if cur.eat(".") {
        frac_digits = cur.take_while(|c| c.is_ascii_digit()).len();
    }
    if int_digits + frac_digits == 0 {
        return Err(NotationError::new(format!(
            "expected a number at {:?}",
            cur.rest()
        )));
    }
    let mut exponent = cur.clone();
    if exponent.eat("e") || exponent.eat("E") {
        if !exponent.eat("+") {
            exponent.eat("-");
        }
        if !exponent.take_while(|c| c.is_ascii_digit()).is_empty() {
            *cur = exponent;
        }
    }
    let text = cur.since(start);
    parse_go_number(text).ok_or_else(|| NotationError::new(format!("bad number {text:?}")))
}

/// The value of a word in a sequence: `Inf` or `NaN` in any case.
fn word_number(word: &str) -> NotationResult<f64> {
    if word.eq_ignore_ascii_case("inf") {
        Ok(f64::INFINITY)
    } else if word.eq_ignore_ascii_case("nan") {
        Ok(f64::NAN)
    } else {
        Err(NotationError::new(format!(
            "unexpected {word:?} in series values: expected a number or \"stale\""
        )))
    }
}

/// Reads `{{...}}`, `{{...}}xN` or `{{...}}+{{...}}xN` (also `-`) and appends the histogram
/// positions, each carrying the item's text.
fn parse_histogram_item(cur: &mut Cursor<'_>, out: &mut Vec<SeqValue>) -> NotationResult<()> {
    let start = cur.pos();
    read_histogram_literal(cur)?;
    let count = if cur.eat("x") {
        read_count(cur)? + 1
    } else if cur.rest().starts_with("+{{") || cur.rest().starts_with("-{{") {
        cur.bump();
        read_histogram_literal(cur)?;
        if !cur.eat("x") {
            return Err(NotationError::new(
                "expected 'x<count>' after a histogram ramp",
            ));
        }
        read_count(cur)? + 1
    } else {
        1
    };
    let text: Arc<str> = Arc::from(cur.since(start));
    out.extend((0..count).map(|_| SeqValue::Histogram(Arc::clone(&text))));
    Ok(())
}

/// Histogram fields and whether their value is a `[...]` list.
const HISTOGRAM_FIELDS: [(&str, bool); 11] = [
    ("schema", false),
    ("sum", false),
    ("count", false),
    ("z_bucket", false),
    ("z_bucket_w", false),
    ("custom_values", true),
    ("buckets", true),
    ("offset", false),
    ("n_buckets", true),
    ("n_offset", false),
    ("counter_reset_hint", false),
];

/// Checks the syntax of one `{{field:value ...}}` literal at the cursor and moves past it.
fn read_histogram_literal(cur: &mut Cursor<'_>) -> NotationResult<()> {
    if !cur.eat("{{") {
        return Err(NotationError::new("expected '{{'"));
    }
    loop {
        cur.skip_ws();
        if cur.eat("}}") {
            return Ok(());
        }
        let field = cur.take_while(|c| c.is_ascii_lowercase() || c == '_');
        let Some((_, is_list)) = HISTOGRAM_FIELDS.iter().find(|(name, _)| *name == field) else {
            return Err(NotationError::new(format!(
                "unknown histogram field at {:?}",
                cur.rest()
            )));
        };
        if !cur.eat(":") {
            return Err(NotationError::new(format!("expected ':' after {field}")));
        }
        if *is_list {
            read_number_list(cur)?;
        } else if field == "counter_reset_hint" {
            let hint = cur.take_while(|c| c.is_ascii_lowercase() || c == '_');
            if !matches!(hint, "unknown" | "reset" | "not_reset" | "gauge") {
                return Err(NotationError::new(format!(
                    "unknown counter reset hint {hint:?}"
                )));
            }
        } else {
            read_series_value(cur)?;
        }
    }
}

/// Reads `[n n ...]`.
fn read_number_list(cur: &mut Cursor<'_>) -> NotationResult<()> {
    if !cur.eat("[") {
        return Err(NotationError::new("expected '[' to open a bucket list"));
    }
    loop {
        cur.skip_ws();
        if cur.eat("]") {
            return Ok(());
        }
        read_series_value(cur)?;
    }
}

/// Reads the offsets of an `@st` line: per position the start timestamp minus the sample's
/// timestamp, in ms, or `None`. Items: `_`, `_xN` (N omitted, N ≥ 1), `<dur>`, `<dur>xN`,
/// `<dur>+<dur>xN`, `<dur>-<dur>xN` (N+1 each), `*` and `*xN` (repeat the last offset given).
/// Durations take a sign and a single unit (`-1m`, `-59999ms`).
pub fn parse_start_offsets(text: &str) -> NotationResult<Vec<Option<i64>>> {
    let mut out: Vec<Option<i64>> = Vec::new();
    for item in text.split_whitespace() {
        let previous = out.iter().rev().find_map(|o| *o).unwrap_or(0);
        let expanded = parse_start_item(item, previous)
            .map_err(|e| NotationError::new(format!("bad @st item {item:?}: {e}")))?;
        out.extend(expanded);
        if out.len() as u64 > MAX_SEQUENCE_LEN {
            return Err(NotationError::new("@st sequence too long"));
        }
    }
    Ok(out)
}

/// Expands one `@st` item; `previous` is the last offset given so far (for `*`).
fn parse_start_item(item: &str, previous: i64) -> NotationResult<Vec<Option<i64>>> {
    let mut cur = Cursor::new(item);
    if cur.eat("_") {
        if cur.at_end() {
            return Ok(vec![None]);
        }
        let count = repeat_suffix(&mut cur)?;
        if count == 0 {
            return Err(NotationError::new("'_x0' omits nothing"));
        }
        let count = usize::try_from(count).map_err(|_| NotationError::new("count too large"))?;
        return Ok(vec![None; count]);
    }
    let (base, step) = if cur.eat("*") {
        (previous, 0)
    } else {
        let base = read_signed_duration(&mut cur)?;
        if !matches!(cur.peek(), Some('+' | '-')) {
            (base, 0)
        } else {
            let step = read_signed_duration(&mut cur)?;
            if !cur.rest().starts_with('x') {
                return Err(NotationError::new("expected 'x<count>' after the step"));
            }
            (base, step)
        }
    };
    let count = if cur.at_end() {
        0
    } else {
        repeat_suffix(&mut cur)?
    };
    let mut offsets = Vec::new();
    let mut offset = base;
    for _ in 0..=count {
        offsets.push(Some(offset));
        offset = offset.saturating_add(step);
    }
    Ok(offsets)
}

/// Reads `xN` to the end of an item.
fn repeat_suffix(cur: &mut Cursor<'_>) -> NotationResult<u64> {
    if !cur.eat("x") {
        return Err(NotationError::new(format!("unexpected {:?}", cur.rest())));
    }
    let count = read_count(cur)?;
    if !cur.at_end() {
        return Err(NotationError::new(format!("unexpected {:?}", cur.rest())));
    }
    Ok(count)
}

/// Reads `[+-]digits unit` (one unit, which ends before `x`) as signed milliseconds.
fn read_signed_duration(cur: &mut Cursor<'_>) -> NotationResult<i64> {
    let negative = cur.eat("-");
    if !negative {
        cur.eat("+");
    }
    let start = cur.pos();
    if cur.take_while(|c| c.is_ascii_digit()).is_empty() {
        return Err(NotationError::new(format!(
            "expected a duration at {:?}",
            cur.rest()
        )));
    }
    cur.take_while(|c| c.is_ascii_alphabetic() && c != 'x');
    let ms = parse_duration(cur.since(start))?;
    Ok(if negative { -ms } else { ms })
}

#[cfg(test)]
#[path = "notation_tests.rs"]
mod tests;
