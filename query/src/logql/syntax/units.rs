//! Durations and byte sizes as Loki reads and prints them.
//!
//! Loki reads a range `[..]` with Prometheus's `model.ParseDuration` (units `y w d h m s ms`,
//! biggest first) and a duration elsewhere (label filters, `offset`) with it too, falling back
//! to Go's `time.ParseDuration` (fractions, signs, `ns us µs ms s m h`). It prints ranges with
//! Prometheus's `model.Duration.String` and other durations with Go's `time.Duration.String`.
//! Byte sizes are read with go-humanize's `ParseBytes` and printed with its `Bytes` (SI units),
//! spaces removed. All durations here are signed nanoseconds.

use super::literals::go_quote;

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

/// Go's `time.ParseDuration`; `None` where Go returns an error.
pub(crate) fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (part, after) = go_duration_component(rest)?;
        rest = after;
        total = total.checked_add(part)?;
        if total > 1u64 << 63 {
            return None;
        }
    }
    if neg {
        // -(1 << 63) is i64::MIN; anything smaller was refused above.
        Some((total as i64).wrapping_neg())
    } else {
        i64::try_from(total).ok()
    }
}

/// One `[0-9]*(\.[0-9]*)?unit` of a Go duration: its nanoseconds and the text after it.
fn go_duration_component(s: &str) -> Option<(u64, &str)> {
    let bytes = s.as_bytes();
    if !matches!(bytes.first(), Some(b'.' | b'0'..=b'9')) {
        return None;
    }
    let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut whole: u64 = 0;
    for &b in bytes.get(..int_len)? {
        whole = whole.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        if whole > 1u64 << 63 {
            return None;
        }
    }
    let mut rest = s.get(int_len..)?;
    let (mut frac, mut scale, mut post) = (0u64, 1f64, false);
    if let Some(after_dot) = rest.strip_prefix('.') {
        let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        post = frac_len > 0;
        (frac, scale) = leading_fraction(after_dot.get(..frac_len)?);
        rest = after_dot.get(frac_len..)?;
    }
    if int_len == 0 && !post {
        return None;
    }
    let unit_len = rest
        .bytes()
        .take_while(|&b| b != b'.' && !b.is_ascii_digit())
        .count();
    let (unit, after) = rest.split_at_checked(unit_len)?;
    let unit_ns: u64 = match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => NS_PER_MS,
        "s" => NS_PER_SECOND,
        "m" => 60 * NS_PER_SECOND,
        "h" => 3600 * NS_PER_SECOND,
        _ => return None,
    };
    if whole > (1u64 << 63) / unit_ns {
        return None;
    }
    let mut v = whole * unit_ns;
    if frac > 0 {
        // As Go: float64 keeps fractions of an hour nanosecond-accurate.
        v = v.checked_add((frac as f64 * (unit_ns as f64 / scale)) as u64)?;
        if v > 1u64 << 63 {
            return None;
        }
    }
    Some((v, after))
}

/// Go's `leadingFraction`: the digits as an integer and the power of ten they are divided by,
/// keeping as many digits as fit (later ones only lose precision, as in Go).
fn leading_fraction(digits: &str) -> (u64, f64) {
    let (mut frac, mut scale) = (0u64, 1f64);
    for b in digits.bytes() {
        if frac > (i64::MAX as u64) / 10 {
            break;
        }
        let next = frac * 10 + u64::from(b - b'0');
        if next > 1u64 << 63 {
            break;
        }
        frac = next;
        scale *= 10.0;
    }
    (frac, scale)
}

/// How Loki's lexer reads a duration after a number: Prometheus's form first, then Go's.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    parse_prom_duration(s).ok().or_else(|| parse_go_duration(s))
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

/// go-humanize's `ParseBytes`: a number (digits, `.`, `,`) and an optional unit, SI (`kB`) or
/// IEC (`KiB`), case-insensitive; `None` where it returns an error.
pub(crate) fn parse_humanized_bytes(s: &str) -> Option<u64> {
    let num_len = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map_or(s.len(), |(i, _)| i);
    let (num, unit) = s.split_at(num_len);
    let num: String = num.chars().filter(|&c| c != ',').collect();
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let value: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_lowercase().as_str() {
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
        _ => return None,
    };
    let bytes = value * mult as f64;
    // 2^64 as a float: go-humanize refuses what does not fit.
    if bytes >= u64::MAX as f64 {
        return None;
    }
    Some(bytes as u64)
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
