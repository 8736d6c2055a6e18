//! Numeric functions: sprig's integer math (`add sub mul div mod max min`, on `int64` with
//! Go's wrapping), its decimal float math (`addf subf mulf divf`), `maxf minf ceil floor
//! round`, the conversions `int` and `float64`, and Loki's `bytes` and `duration`.
//!
//! Arguments are converted the way sprig converts them, through `spf13/cast`: a string is
//! parsed (`"10"` is 10; `"0x10"` is 16; anything unparsable is 0), a bool is 0 or 1, other
//! values are 0. This is what makes `{{ add .status 1 }}` work on label values.

use super::decimal::{Num, Op};
use super::funcs::{FuncError, float_arg, int_arg, str_arg};
use super::literal::{parse_go_float, parse_go_int};
use super::value::Value;

/// Numeric functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MathFunc {
    /// `int`.
    Int,
    /// `float64`.
    Float64,
    /// `add`.
    Add,
    /// `sub`.
    Sub,
    /// `mul`.
    Mul,
    /// `div`.
    Div,
    /// `mod`.
    Mod,
    /// `addf`.
    Addf,
    /// `subf`.
    Subf,
    /// `mulf`.
    Mulf,
    /// `divf`.
    Divf,
    /// `max`.
    Max,
    /// `min`.
    Min,
    /// `maxf`.
    Maxf,
    /// `minf`.
    Minf,
    /// `ceil`.
    Ceil,
    /// `floor`.
    Floor,
    /// `round`.
    Round,
    /// `bytes`: a humanized size to a number of bytes.
    Bytes,
    /// `duration`, `duration_seconds`: a Go duration to seconds.
    Duration,
}

impl MathFunc {
    /// Runs the function on arguments already converted to its parameter types.
    pub(crate) fn call<'a>(self, args: &mut [Value<'a>]) -> Result<Value<'a>, FuncError> {
        let ints = || args.iter().map(to_int64);
        Ok(match self {
            Self::Int => Value::Int(args.first().map_or(0, to_int64)),
            Self::Float64 => Value::Float(args.first().map_or(0.0, to_float64)),
            Self::Add => Value::Int(ints().fold(0i64, i64::wrapping_add)),
            Self::Mul => Value::Int(ints().reduce(i64::wrapping_mul).unwrap_or(0)),
            Self::Sub => Value::Int(ints().reduce(i64::wrapping_sub).unwrap_or(0)),
            Self::Div | Self::Mod => Value::Int(divide(
                self,
                &args.iter().map(to_int64).collect::<Vec<_>>(),
            )?),
            Self::Max => Value::Int(ints().max().unwrap_or(0)),
            Self::Min => Value::Int(ints().min().unwrap_or(0)),
            Self::Addf => Value::Float(decimal_fold(
                Num::Exact {
                    mantissa: 0,
                    exponent: 0,
                },
                args,
                Op::Add,
            )?),
            Self::Subf | Self::Mulf | Self::Divf => {
                let op = match self {
                    Self::Subf => Op::Sub,
                    Self::Mulf => Op::Mul,
                    _ => Op::Div,
                };
                let (first, rest) = args
                    .split_first()
                    .ok_or_else(|| FuncError::failed("missing operand"))?;
                Value::Float(decimal_fold(decimal_of(first)?, rest, op)?)
            }
            Self::Maxf => Value::Float(args.iter().map(to_float64).reduce(go_max).unwrap_or(0.0)),
            Self::Minf => Value::Float(args.iter().map(to_float64).reduce(go_min).unwrap_or(0.0)),
            Self::Ceil => Value::Float(args.first().map_or(0.0, to_float64).ceil()),
            Self::Floor => Value::Float(args.first().map_or(0.0, to_float64).floor()),
            Self::Round => Value::Float(round(args)?),
            Self::Bytes => Value::Float(parse_bytes(str_arg(args, 0)?).map_err(FuncError::Failed)?),
            Self::Duration => {
                Value::Float(duration_seconds(str_arg(args, 0)?).map_err(FuncError::Failed)?)
            }
        })
    }
}

fn divide(func: MathFunc, operands: &[i64]) -> Result<i64, FuncError> {
    let (a, b) = match operands {
        [a, b] => (*a, *b),
        _ => return Err(FuncError::failed("missing operand")),
    };
    if b == 0 {
        return Err(FuncError::failed("runtime error: integer divide by zero"));
    }
    Ok(if func == MathFunc::Div {
        a.wrapping_div(b)
    } else {
        a.wrapping_rem(b)
    })
}

fn decimal_of(value: &Value<'_>) -> Result<Num, FuncError> {
    Num::from_f64(to_float64(value)).map_err(FuncError::Failed)
}

/// sprig's `execDecimalOp`: folds `op` over the operands in decimal arithmetic.
fn decimal_fold(start: Num, operands: &[Value<'_>], op: Op) -> Result<f64, FuncError> {
    let mut acc = start;
    for operand in operands {
        acc = acc
            .apply(op, decimal_of(operand)?)
            .map_err(FuncError::Failed)?;
    }
    Ok(acc.to_f64())
}

/// sprig's `round(a, places, roundOn = .5)`.
fn round(args: &[Value<'_>]) -> Result<f64, FuncError> {
    let value = args.first().map_or(0.0, to_float64);
    let places = int_arg(args, 1)? as f64;
    let round_on = if args.len() > 2 {
        float_arg(args, 2)?
    } else {
        0.5
    };
    let pow = 10f64.powf(places);
    let digit = pow * value;
    let rounded = if digit.fract() >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(rounded / pow)
}

/// Go's `math.Max`: NaN wins, and +0 beats -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    if a > b { a } else { b }
}

/// Go's `math.Min`: NaN wins, and -0 beats +0.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { a } else { b };
    }
    if a < b { a } else { b }
}

/// `cast`'s `trimZeroDecimal`: `"12.000"` becomes `"12"` (but `"12."` stays).
fn trim_zero_decimal(s: &str) -> &str {
    let mut found_zero = false;
    for (i, c) in s.char_indices().rev() {
        match c {
            '.' if found_zero => return s.get(..i).unwrap_or(s),
            '.' => {}
            '0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `cast.ToInt64` as sprig calls it (errors become 0). Out-of-range floats give
/// `math.MinInt64`, as Go's conversion does on amd64.
pub(crate) fn to_int64(value: &Value<'_>) -> i64 {
    match value {
        Value::Int(i) => *i,
        Value::Float(f) => {
            const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
            if (-TWO_POW_63..TWO_POW_63).contains(f) {
                *f as i64
            } else {
                i64::MIN
            }
        }
        Value::Str(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// `cast.ToFloat64` as sprig calls it (errors become 0).
pub(crate) fn to_float64(value: &Value<'_>) -> f64 {
    match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Str(s) => parse_go_float(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// go-humanize's `ParseBytes`, as a float like Loki's `convertBytes`.
fn parse_bytes(s: &str) -> Result<f64, String> {
    let number_len = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let number = s.get(..number_len).unwrap_or("").replace(',', "");
    let value: f64 = parse_go_float(&number)
        .filter(|_| !number.starts_with(['+', '-']))
        .ok_or_else(|| {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                super::escape::quote(&number)
            )
        })?;
    let unit = s.get(number_len..).unwrap_or("").trim().to_lowercase();
    let multiplier: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(format!("unhandled size name: {unit}")),
    };
    let bytes = value * multiplier;
    if bytes >= u64::MAX as f64 {
        return Err(format!("too large: {s}"));
    }
    Ok((bytes as u64) as f64)
}

/// Go's `time.ParseDuration(s).Seconds()`.
pub(crate) fn duration_seconds(s: &str) -> Result<f64, String> {
    let nanos = parse_duration(s)?;
    let seconds = nanos / 1_000_000_000;
    let rest = nanos % 1_000_000_000;
    Ok(seconds as f64 + rest as f64 / 1e9)
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` in nanoseconds.
pub(crate) fn parse_duration(original: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", super::escape::quote(original));
    let (negative, mut s) = match original.as_bytes().first() {
        Some(b'-') => (true, original.get(1..).unwrap_or("")),
        Some(b'+') => (false, original.get(1..).unwrap_or("")),
        _ => (false, original),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let (nanos, rest) = duration_term(s, original).map_err(|e| e.unwrap_or_else(invalid))?;
        total = total
            .checked_add(nanos)
            .filter(|t| *t <= 1 << 63)
            .ok_or_else(invalid)?;
        s = rest;
    }
    if negative {
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// One `number unit` term; `Err(None)` means "invalid duration".
fn duration_term<'s>(s: &'s str, original: &str) -> Result<(u64, &'s str), Option<String>> {
    let (number, rest) = duration_number(s).ok_or(None)?;
    let unit_len = rest
        .find(|c: char| c == '.' || c.is_ascii_digit())
        .unwrap_or(rest.len());
    let quote = super::escape::quote;
    if unit_len == 0 {
        return Err(Some(format!(
            "time: missing unit in duration {}",
            quote(original)
        )));
    }
    let unit_text = rest.get(..unit_len).ok_or(None)?;
    let unit: u64 = match unit_text {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => {
            let (u, o) = (quote(unit_text), quote(original));
            return Err(Some(format!("time: unknown unit {u} in duration {o}")));
        }
    };
    let mut nanos = number
        .whole
        .checked_mul(unit)
        .filter(|v| *v <= 1 << 63)
        .ok_or(None)?;
    if number.fraction > 0 {
        let fraction_nanos = (number.fraction as f64 * (unit as f64 / number.scale)) as u64;
        nanos = nanos
            .checked_add(fraction_nanos)
            .filter(|v| *v <= 1 << 63)
            .ok_or(None)?;
    }
    Ok((nanos, rest.get(unit_len..).ok_or(None)?))
}

/// The number of a duration term: `[0-9]*(\.[0-9]*)?` with at least one digit.
struct DurationNumber {
    whole: u64,
    /// Fraction digits as an integer (Go's `leadingFraction`, overflow digits dropped) ...
    fraction: u64,
    /// ... and the power of ten it is scaled by.
    scale: f64,
}

fn duration_number(s: &str) -> Option<(DurationNumber, &str)> {
    if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
        return None;
    }
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let whole: u64 = if int_len == 0 {
        0
    } else {
        s.get(..int_len)?.parse().ok()?
    };
    let mut rest = s.get(int_len..)?;
    let mut number = DurationNumber {
        whole,
        fraction: 0,
        scale: 1.0,
    };
    let mut frac_len = 0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        for digit in after_dot.bytes().take(frac_len) {
            let next = number
                .fraction
                .checked_mul(10)
                .and_then(|f| f.checked_add(u64::from(digit - b'0')));
            if let Some(next) = next.filter(|n| *n <= 1 << 63) {
                number.fraction = next;
                number.scale *= 10.0;
            }
        }
        rest = after_dot.get(frac_len..)?;
    }
    if int_len == 0 && frac_len == 0 {
        return None;
    }
    Some((number, rest))
}

#[cfg(test)]
#[path = "numeric_tests.rs"]
mod tests;
