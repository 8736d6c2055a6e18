//! Timestamps and durations as the Prometheus API reads and writes them.
//!
//! Input times are Unix seconds (a float, rounded to the millisecond) or RFC 3339 with an
//! optional fraction of up to nine digits and `Z` or a `±hh:mm` offset, as Go's
//! `time.Parse(time.RFC3339Nano, …)` reads them, plus the two literal strings clients send
//! for Prometheus's minimum and maximum time. Durations are float seconds or Prometheus
//! durations (`1h30m`). Output times are RFC 3339 in UTC with the fraction trimmed, as Go's
//! `RFC3339Nano` layout prints them.
#![deny(clippy::indexing_slicing)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use model::civil::{civil_from_days, days_from_civil, days_in_month};

use crate::config::duration::parse_duration;

/// Prometheus's `MinTime`, `time.Unix(math.MinInt64/1000+62135596801, 0)`, in milliseconds.
pub(crate) const MIN_TIME_MS: i64 = (i64::MIN / 1000 + 62_135_596_801) * 1000;
/// Prometheus's `MaxTime`, `time.Unix(math.MaxInt64/1000-62135596801, 999999999)`, in ms.
pub(crate) const MAX_TIME_MS: i64 = (i64::MAX / 1000 - 62_135_596_801) * 1000 + 999;

/// How Go prints `MinTime` in RFC 3339; clients send it back verbatim.
const MIN_TIME_TEXT: &str = "-292273086-05-16T16:47:06Z";
/// How Go prints `MaxTime` in RFC 3339.
const MAX_TIME_TEXT: &str = "292277025-08-18T07:12:54.999999999Z";

const NANOS_PER_MS: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Parses a time parameter into milliseconds since the epoch; the error is Prometheus's text.
pub(crate) fn parse_time(text: &str) -> Result<i64, String> {
    let invalid = || format!("cannot parse {text:?} to a valid timestamp");
    if let Ok(seconds) = text.parse::<f64>() {
        return float_seconds_to_ms(seconds).ok_or_else(invalid);
    }
    match text {
        MIN_TIME_TEXT => return Ok(MIN_TIME_MS),
        MAX_TIME_TEXT => return Ok(MAX_TIME_MS),
        _ => {}
    }
    parse_rfc3339(text).ok_or_else(invalid)
}

/// Seconds as milliseconds: the whole seconds, plus the fraction rounded to the millisecond
/// (half away from zero), as Prometheus's `parseTime`. `None` when not finite or outside
/// Prometheus's time range.
fn float_seconds_to_ms(seconds: f64) -> Option<i64> {
    let lowest = (MIN_TIME_MS / 1000) as f64;
    let highest = (MAX_TIME_MS / 1000) as f64;
    if !seconds.is_finite() || seconds < lowest || seconds > highest + 1.0 {
        return None;
    }
    let whole = seconds.trunc();
    let fraction_ms = ((seconds - whole) * 1000.0).round();
    // In range by the check above, so the conversions are exact.
    let ms = (whole as i64)
        .checked_mul(1000)?
        .checked_add(fraction_ms as i64)?;
    (MIN_TIME_MS..=MAX_TIME_MS).contains(&ms).then_some(ms)
}

/// Parses `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)` into milliseconds (the fraction truncated
/// to the millisecond, as Prometheus's `timestamp.FromTime`).
fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if b.get(10) != Some(&b'T') || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = u32::try_from(digits(b, 5, 2)?).ok()?;
    let day = u32::try_from(digits(b, 8, 2)?).ok()?;
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut pos = 19;
    let mut nanos = 0;
    if b.get(pos) == Some(&b'.') {
        let count = b
            .iter()
            .skip(pos + 1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&count) {
            return None;
        }
        nanos = digits(b, pos + 1, count)? * 10_i64.pow(9 - count as u32);
        pos += 1 + count;
    }
    let offset_seconds = parse_offset(b.get(pos..)?)?;
    let days = days_from_civil(year, month, day);
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * 1000 + nanos / NANOS_PER_MS)
}

/// `Z` → 0; `±hh:mm` → the offset east of UTC in seconds.
fn parse_offset(b: &[u8]) -> Option<i64> {
    match b {
        [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let hours = digits(b, 1, 2)?;
            let minutes = digits(b, 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            Some(if *sign == b'-' { -offset } else { offset })
        }
        _ => None,
    }
}

/// The decimal number in `b[start..start + len]`, all ASCII digits.
fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let field = b.get(start..start + len)?;
    field.iter().try_fold(0_i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// `t` as Go's `time.RFC3339Nano` prints a UTC time: `2017-01-17T14:07:44.723715405Z`, the
/// fraction without trailing zeros and left out when zero. Times before 1970 (which tsdbd
/// never records) print as the epoch.
pub(crate) fn format_rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX / 2);
    format_seconds_nanos(seconds, since.subsec_nanos())
}

/// Go's zero `time.Time` in RFC 3339, which Prometheus prints for "never".
pub(crate) const ZERO_TIME_TEXT: &str = "0001-01-01T00:00:00Z";

fn format_seconds_nanos(seconds: i64, nanos: u32) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let in_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    );
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Parses a duration parameter (`step`, `timeout`, `lookback_delta`) into nanoseconds, as
/// Prometheus's `parseDuration`: float seconds (which may be negative) or a Prometheus
/// duration.
pub(crate) fn parse_duration_param(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        let nanos = seconds * 1e9;
        if nanos.is_nan() {
            return Err(format!("cannot parse {text:?} to a valid duration"));
        }
        if nanos >= i64::MAX as f64 || nanos <= i64::MIN as f64 {
            return Err(format!(
                "cannot parse {text:?} to a valid duration. It overflows int64"
            ));
        }
        // Truncation toward zero, as Go's float-to-Duration conversion.
        return Ok(nanos as i64);
    }
    parse_duration(text)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .ok_or_else(|| format!("cannot parse {text:?} to a valid duration"))
}

/// The current time in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    system_time_ms(SystemTime::now())
}

/// `t` in milliseconds since the epoch (negative before it).
pub(crate) fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

#[cfg(test)]
#[path = "timestamp_tests.rs"]
mod tests;
