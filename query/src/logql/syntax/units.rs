//! Durations and byte sizes as Loki reads and prints them.
//!
//! Loki reads a range `[..]` with Prometheus's `model.ParseDuration` (units `y w d h m s ms`,
//! biggest first) and a duration elsewhere (label filters, `offset`) with it too, falling back
//! to Go's `time.ParseDuration` (fractions, signs, `ns us µs ms s m h`). It prints ranges with
//! Prometheus's `model.Duration.String` and other durations with Go's `time.Duration.String`.
//! Byte sizes are read with go-humanize's `ParseBytes` and printed with its `Bytes` (SI units),
//! spaces removed. All durations here are signed nanoseconds.

use super::literals::{go_quote, parse_go_float};

const NS_PER_MS: u64 = 1_000_000;
const NS_PER_SECOND: u64 = 1_000_000_000;

/// Prometheus's `model.ParseDuration`, error texts included.
pub(crate) fn parse_prom_duration(s: &str) -> Result<i64, String> {
    match s {
        "0" => return Ok(0),
        "" => return Err("empty duration string".to_owned()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {}", go_quote(s));
    let bytes = s.as_bytes();
    let mut rest = bytes;
    let mut total: u64 = 0;
    let mut last_unit_pos = 0;
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(invalid());
        }
        let (number, after) = rest.split_at(digits);
        let value: u64 = std::str::from_utf8(number)
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(invalid)?;
        let unit_len = after.iter().take_while(|b| !b.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(invalid());
        }
        let (unit, after_unit) = after.split_at(unit_len);
        rest = after_unit;
        let unit = String::from_utf8_lossy(unit);
        let Some((pos, mult)) = prom_unit(&unit) else {
            return Err(format!(
                "unknown unit {} in duration {}",
                go_quote(&unit),
                go_quote(s)
            ));
        };
        if pos <= last_unit_pos {
            return Err(invalid());
        }
        last_unit_pos = pos;
        if value > (1u64 << 63) / mult {
            return Err("duration out of range".to_owned());
        }
        total += value * mult;
        if total > i64::MAX as u64 {
            return Err("duration out of range".to_owned());
        }
    }
    i64::try_from(total).map_err(|_| "duration out of range".to_owned())
}

/// A Prometheus duration unit: its rank (units go biggest first) and its nanoseconds.
fn prom_unit(unit: &str) -> Option<(u8, u64)> {
    Some(match unit {
        "y" => (1, 365 * 24 * 3600 * NS_PER_SECOND),
        "w" => (2, 7 * 24 * 3600 * NS_PER_SECOND),
        "d" => (3, 24 * 3600 * NS_PER_SECOND),
        "h" => (4, 3600 * NS_PER_SECOND),
        "m" => (5, 60 * NS_PER_SECOND),
        "s" => (6, NS_PER_SECOND),
        "ms" => (7, NS_PER_MS),
        _ => return None,
    })
}

/// `time.ParseDuration(s)` in nanoseconds; the error is Go's text.
pub(crate) fn parse_go_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(s));
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (term, after) = duration_term(rest, s)?;
        total = total
            .checked_add(term)
            .filter(|&t| t <= 1 << 63)
            .ok_or_else(invalid)?;
        rest = after;
    }
    if negative {
        // 1 << 63 negated is i64::MIN; larger totals were refused above.
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// One `digits[.digits]unit` term of a Go duration: its nanoseconds and the rest.
fn duration_term<'s>(s: &'s str, whole_input: &str) -> Result<(u64, &'s str), String> {
    let invalid = || format!("time: invalid duration {}", go_quote(whole_input));
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (int_digits, after_int) = s.split_at(int_len);
    let mut whole: u64 = 0;
    for b in int_digits.bytes() {
        whole = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add(u64::from(b - b'0')))
            .filter(|&w| w <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    let (fraction, after_fraction) = match after_int.strip_prefix('.') {
        Some(after_dot) => {
            let len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            let (digits, rest) = after_dot.split_at(len);
            (Some(digits), rest)
        }
        None => (None, after_int),
    };
    if int_len == 0 && fraction.is_none_or(str::is_empty) {
        return Err(invalid());
    }
    let unit_len = after_fraction
        .bytes()
        .take_while(|&b| b != b'.' && !b.is_ascii_digit())
        .count();
    let (unit, rest) = after_fraction.split_at(unit_len);
    if unit.is_empty() {
        return Err(format!(
            "time: missing unit in duration {}",
            go_quote(whole_input)
        ));
    }
    let unit_ns: u64 = match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                go_quote(unit),
                go_quote(whole_input)
            ));
        }
    };
    let mut ns = whole
        .checked_mul(unit_ns)
        .filter(|&v| v <= 1 << 63)
        .ok_or_else(invalid)?;
    if let Some(digits) = fraction {
        let (numerator, scale) = leading_fraction(digits);
        // As Go: through a float64, which keeps fractions of an hour nanosecond-accurate.
        ns = ns
            .checked_add((numerator as f64 * (unit_ns as f64 / scale)) as u64)
            .filter(|&v| v <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    Ok((ns, rest))
}

/// Go's `leadingFraction`: the fraction digits as an integer and the power of ten dividing
/// it, keeping the digits that fit (later ones only lose precision).
fn leading_fraction(digits: &str) -> (u64, f64) {
    let (mut value, mut scale) = (0u64, 1f64);
    for b in digits.bytes() {
        let Some(next) = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .filter(|&v| v <= 1 << 63)
        else {
            break;
        };
        value = next;
        scale *= 10.0;
    }
    (value, scale)
}

/// How Loki's lexer reads a duration after a number: Prometheus's form first, then Go's.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    parse_prom_duration(s)
        .or_else(|_| parse_go_duration(s))
        .ok()
}

/// Characters Loki's lexer takes as part of a duration after a number (with digits and `.`).
pub(crate) fn is_duration_char(c: char) -> bool {
    matches!(c, 'n' | 'u' | 'µ' | 'm' | 's' | 'h' | 'd' | 'w' | 'y')
}

/// Characters Loki's lexer takes as part of a byte size after a number (with digits and `.`).
pub(crate) fn is_bytes_char(c: char) -> bool {
    matches!(c, 'B' | 'i' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P')
}

/// Go's `time.Duration.String`: `1h0m0s`, `1m30s`, `1.5s`, `250ms`, `1µs`, `0s`.
pub(crate) fn format_go_duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    if u == 0 {
        return "0s".to_owned();
    }
    if u < NS_PER_SECOND {
        let (digits, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < NS_PER_MS {
            (3, "µs")
        } else {
            (6, "ms")
        };
        return format!("{sign}{}{unit}", decimal(u, digits));
    }
    let secs = u / NS_PER_SECOND;
    let mut out = sign.to_owned();
    if secs >= 3600 {
        out.push_str(&format!("{}h", secs / 3600));
    }
    if secs >= 60 {
        out.push_str(&format!("{}m", secs / 60 % 60));
    }
    out.push_str(&decimal(secs % 60 * NS_PER_SECOND + u % NS_PER_SECOND, 9));
    out.push('s');
    out
}

/// `v / 10^digits` in decimal, without trailing zeros in the fraction.
fn decimal(v: u64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:0width$}", width = digits as usize);
    format!("{int}.{}", frac.trim_end_matches('0'))
}

/// Prometheus's `model.Duration.String` (millisecond resolution): `5m`, `1h30m`, `1d`, `1w`,
/// `1y`, `0s`; years and weeks only when they divide the duration.
pub(crate) fn format_prom_duration(ns: i64) -> String {
    let mut ms = ns / NS_PER_MS as i64;
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    let day = 24 * 3600 * 1000;
    let units: [(&str, i64, bool); 7] = [
        ("y", 365 * day, true),
        ("w", 7 * day, true),
        ("d", day, false),
        ("h", 3600 * 1000, false),
        ("m", 60 * 1000, false),
        ("s", 1000, false),
        ("ms", 1, false),
    ];
    for (unit, mult, exact) in units {
        if exact && ms % mult != 0 {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
            ms -= v * mult;
        }
    }
    out
}

/// go-humanize's `ParseBytes(s)`: a number (digits, `.`, `,`) then an optional SI (`kB`)
/// or IEC (`KiB`) unit, case-insensitive, spaces allowed between; the error is its text.
pub(crate) fn parse_humanized_bytes(s: &str) -> Result<u64, String> {
    let num_len = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(num_len);
    let number: String = number.chars().filter(|&c| c != ',').collect();
    let value = parse_go_float(&number)?;
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "ti" | "tib" => 1 << 40,
        "p" | "pb" => 1_000_000_000_000_000,
        "pi" | "pib" => 1 << 50,
        "e" | "eb" => 1_000_000_000_000_000_000,
        "ei" | "eib" => 1 << 60,
        _ => return Err(format!("unhandled size name: {unit}")),
    };
    let bytes = value * multiplier as f64;
    // 2^64 as a float: go-humanize refuses what does not fit a uint64.
    if bytes >= u64::MAX as f64 {
        return Err(format!("too large: {s}"));
    }
    Ok(bytes as u64)
}

/// go-humanize's `Bytes` with the space removed, as Loki prints a byte-size label filter:
/// `10kB`, `1.5MB`, `5B` (SI units, one decimal below 10).
pub(crate) fn format_humanized_bytes(n: u64) -> String {
    if n < 10 {
        return format!("{n}B");
    }
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = ((n as f64).ln() / 1000f64.ln()).floor();
    let suffix = SIZES.get(e as usize).copied().unwrap_or("EB");
    let val = (n as f64 / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{val:.1}{suffix}")
    } else {
        format!("{val:.0}{suffix}")
    }
}

#[cfg(test)]
#[path = "units_tests.rs"]
mod tests;
