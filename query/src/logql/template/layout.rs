//! Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`): formatting (`Time.Format`) and
//! parsing (`time.ParseInLocation`), ported from Go 1.22's `time/format.go`.
//!
//! The default location for parsing is UTC (there is no zone database; the server's local
//! zone is UTC). A numeric offset in the input gives a fixed-offset time, a zone abbreviation
//! a named zone with the offset Go would give it (0 unless `GMT+h`).

use model::civil::{days_in_month, is_leap_year};

use super::gotime::{Abbrev, CivilInput, GoTime, Zone};

const LONG_DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const SHORT_DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SHORT_MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One layout element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    UpperPm,
    LowerPm,
    Tz,
    /// Numeric zone offset; `iso` prints `Z` for UTC.
    Offset {
        iso: bool,
        style: OffsetStyle,
    },
    /// `.000` (`trim == false`) or `.999` (trailing zeros trimmed), with `sep` `.` or `,`.
    Frac {
        digits: usize,
        sep: u8,
        trim: bool,
    },
}

/// Shapes of numeric offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetStyle {
    /// `-0700`.
    HourMinute,
    /// `-07:00`.
    ColonHourMinute,
    /// `-07`.
    Hour,
    /// `-070000`.
    HourMinuteSecond,
    /// `-07:00:00`.
    ColonHourMinuteSecond,
}

/// Go's `nextStdChunk`: the literal prefix length, and the element with its length.
fn next_std_chunk(layout: &str) -> (usize, Option<(Std, usize)>) {
    let bytes = layout.as_bytes();
    for i in 0..bytes.len() {
        if let Some(found) = std_at(layout, i) {
            return (i, Some(found));
        }
    }
    (layout.len(), None)
}

fn starts_with_lower(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// The layout element starting at byte `i`, if any.
fn std_at(layout: &str, i: usize) -> Option<(Std, usize)> {
    let rest = layout.get(i..)?;
    let bytes = rest.as_bytes();
    let at = |k: usize| bytes.get(k).copied();
    match at(0)? {
        b'J' if rest.starts_with("January") => Some((Std::LongMonth, 7)),
        b'J' if rest.starts_with("Jan") && !starts_with_lower(rest.get(3..)?) => {
            Some((Std::Month, 3))
        }
        b'M' if rest.starts_with("Monday") => Some((Std::LongWeekDay, 6)),
        b'M' if rest.starts_with("Mon") && !starts_with_lower(rest.get(3..)?) => {
            Some((Std::WeekDay, 3))
        }
        b'M' if rest.starts_with("MST") => Some((Std::Tz, 3)),
        b'0' => match (at(1), at(2)) {
            (Some(b'1'), _) => Some((Std::ZeroMonth, 2)),
            (Some(b'2'), _) => Some((Std::ZeroDay, 2)),
            (Some(b'3'), _) => Some((Std::ZeroHour12, 2)),
            (Some(b'4'), _) => Some((Std::ZeroMinute, 2)),
            (Some(b'5'), _) => Some((Std::ZeroSecond, 2)),
            (Some(b'6'), _) => Some((Std::Year, 2)),
            (Some(b'0'), Some(b'2')) => Some((Std::ZeroYearDay, 3)),
            _ => None,
        },
        b'1' if at(1) == Some(b'5') => Some((Std::Hour, 2)),
        b'1' => Some((Std::NumMonth, 1)),
        b'2' if rest.starts_with("2006") => Some((Std::LongYear, 4)),
        b'2' => Some((Std::Day, 1)),
        b'_' if at(1) == Some(b'2') && rest.get(1..).is_some_and(|r| r.starts_with("2006")) => None,
        b'_' if at(1) == Some(b'2') => Some((Std::UnderDay, 2)),
        b'_' if at(1) == Some(b'_') && at(2) == Some(b'2') => Some((Std::UnderYearDay, 3)),
        b'3' => Some((Std::Hour12, 1)),
        b'4' => Some((Std::Minute, 1)),
        b'5' => Some((Std::Second, 1)),
        b'P' if at(1) == Some(b'M') => Some((Std::UpperPm, 2)),
        b'p' if at(1) == Some(b'm') => Some((Std::LowerPm, 2)),
        b'-' => offset_std(rest, false),
        b'Z' => offset_std(rest.get(1..)?, true).map(|(std, len)| (std, len + 1)),
        b'.' | b',' => frac_std(bytes),
        _ => None,
    }
}

/// `-070000`, `-07:00:00`, `-0700`, `-07:00`, `-07` (after the `Z` for ISO forms, which
/// start at `07`).
fn offset_std(rest: &str, iso: bool) -> Option<(Std, usize)> {
    let body = if iso { rest } else { rest.get(1..)? };
    let forms: [(&str, OffsetStyle); 5] = [
        ("070000", OffsetStyle::HourMinuteSecond),
        ("07:00:00", OffsetStyle::ColonHourMinuteSecond),
        ("0700", OffsetStyle::HourMinute),
        ("07:00", OffsetStyle::ColonHourMinute),
        ("07", OffsetStyle::Hour),
    ];
    let sign_len = usize::from(!iso);
    forms
        .iter()
        .find(|(text, _)| body.starts_with(text))
        .map(|(text, style)| (Std::Offset { iso, style: *style }, sign_len + text.len()))
}

/// `.000`, `,999`, ...: a run of the same digit not followed by another digit.
fn frac_std(bytes: &[u8]) -> Option<(Std, usize)> {
    let sep = *bytes.first()?;
    let digit = *bytes.get(1)?;
    if digit != b'0' && digit != b'9' {
        return None;
    }
    let run = bytes.iter().skip(1).take_while(|b| **b == digit).count();
    if bytes.get(1 + run).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((
        Std::Frac {
            digits: run,
            sep,
            trim: digit == b'9',
        },
        1 + run,
    ))
}

/// The `index`-th name of a month or weekday table (callers reduce the index modulo its length).
fn name_at(table: &[&'static str], index: usize) -> &'static str {
    table.get(index).copied().unwrap_or("")
}

/// Go's `appendInt`: sign, then at least `width` digits.
fn append_int(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// `t.Format(layout)`, appended to `out`.
pub(crate) fn format(out: &mut String, layout: &str, time: &GoTime) {
    let civil = time.civil();
    let mut rest = layout;
    loop {
        let (prefix_len, std) = next_std_chunk(rest);
        out.push_str(rest.get(..prefix_len).unwrap_or(""));
        let Some((std, len)) = std else { return };
        format_std(out, std, time, &civil);
        rest = rest.get(prefix_len + len..).unwrap_or("");
    }
}

fn format_std(out: &mut String, std: Std, time: &GoTime, c: &super::gotime::Civil) {
    let month_index = usize::try_from(c.month.saturating_sub(1)).unwrap_or(0) % 12;
    let weekday = usize::try_from(c.weekday).unwrap_or(0) % 7;
    let hour12 = if c.hour.is_multiple_of(12) {
        12
    } else {
        c.hour % 12
    };
    match std {
        Std::Year => append_int(out, (c.year % 100).abs(), 2),
        Std::LongYear => append_int(out, c.year, 4),
        Std::Month => out.push_str(name_at(&SHORT_MONTH_NAMES, month_index)),
        Std::LongMonth => out.push_str(name_at(&LONG_MONTH_NAMES, month_index)),
        Std::NumMonth => append_int(out, i64::from(c.month), 0),
        Std::ZeroMonth => append_int(out, i64::from(c.month), 2),
        Std::WeekDay => out.push_str(name_at(&SHORT_DAY_NAMES, weekday)),
        Std::LongWeekDay => out.push_str(name_at(&LONG_DAY_NAMES, weekday)),
        Std::Day => append_int(out, i64::from(c.day), 0),
        Std::UnderDay => {
            if c.day < 10 {
                out.push(' ');
            }
            append_int(out, i64::from(c.day), 0);
        }
        Std::ZeroDay => append_int(out, i64::from(c.day), 2),
        Std::UnderYearDay => {
            let pad = if c.year_day < 10 {
                "  "
            } else if c.year_day < 100 {
                " "
            } else {
                ""
            };
            out.push_str(pad);
            append_int(out, i64::from(c.year_day), 0);
        }
        Std::ZeroYearDay => append_int(out, i64::from(c.year_day), 3),
        Std::Hour => append_int(out, i64::from(c.hour), 2),
        Std::Hour12 => append_int(out, i64::from(hour12), 0),
        Std::ZeroHour12 => append_int(out, i64::from(hour12), 2),
        Std::Minute => append_int(out, i64::from(c.minute), 0),
        Std::ZeroMinute => append_int(out, i64::from(c.minute), 2),
        Std::Second => append_int(out, i64::from(c.second), 0),
        Std::ZeroSecond => append_int(out, i64::from(c.second), 2),
        Std::UpperPm => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
        Std::LowerPm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
        Std::Tz => format_zone_name(out, time),
        Std::Offset { iso, style } => format_offset(out, time.offset(), iso, style),
        Std::Frac { digits, sep, trim } => format_frac(out, time.nanosecond(), digits, sep, trim),
    }
}

fn format_zone_name(out: &mut String, time: &GoTime) {
    if let Some(name) = time.zone_name().filter(|n| !n.is_empty()) {
        out.push_str(name);
        return;
    }
    let minutes = time.offset() / 60;
    out.push(if minutes < 0 { '-' } else { '+' });
    append_int(out, i64::from(minutes.abs() / 60), 2);
    append_int(out, i64::from(minutes.abs() % 60), 2);
}

fn format_offset(out: &mut String, offset: i32, iso: bool, style: OffsetStyle) {
    if offset == 0 && iso {
        out.push('Z');
        return;
    }
    let minutes = offset / 60;
    out.push(if minutes < 0 { '-' } else { '+' });
    let (minutes, seconds) = (minutes.abs(), offset.abs() % 60);
    append_int(out, i64::from(minutes / 60), 2);
    let colon = matches!(
        style,
        OffsetStyle::ColonHourMinute | OffsetStyle::ColonHourMinuteSecond
    );
    if colon {
        out.push(':');
    }
    if style != OffsetStyle::Hour {
        append_int(out, i64::from(minutes % 60), 2);
    }
    if matches!(
        style,
        OffsetStyle::HourMinuteSecond | OffsetStyle::ColonHourMinuteSecond
    ) {
        if colon {
            out.push(':');
        }
        append_int(out, i64::from(seconds), 2);
    }
}

/// Go's `appendNano`.
fn format_frac(out: &mut String, nanos: u32, digits: usize, sep: u8, trim: bool) {
    if trim && (digits == 0 || nanos == 0) {
        return;
    }
    let all = format!("{nanos:09}");
    let mut shown = all.get(..digits.min(9)).unwrap_or("");
    if trim {
        shown = shown.trim_end_matches('0');
        if shown.is_empty() {
            return;
        }
    }
    out.push(char::from(sep));
    out.push_str(shown);
}

/// Fields collected while parsing.
struct Parsed {
    year: i64,
    month: Option<u32>,
    day: Option<u32>,
    year_day: Option<u32>,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    pm: Option<bool>,
    utc: bool,
    offset: Option<i32>,
    zone_name: Option<Abbrev>,
}

/// `time.ParseInLocation(layout, value, UTC)`; `None` where Go returns an error.
pub(crate) fn parse(layout: &str, value: &str) -> Option<GoTime> {
    let mut p = Parsed {
        year: 0,
        month: None,
        day: None,
        year_day: None,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        pm: None,
        utc: false,
        offset: None,
        zone_name: None,
    };
    let mut layout = layout;
    let mut value = value;
    loop {
        let (prefix_len, std) = next_std_chunk(layout);
        value = skip_prefix(value, layout.get(..prefix_len)?)?;
        let Some((std, len)) = std else {
            if !value.is_empty() {
                return None;
            }
            break;
        };
        layout = layout.get(prefix_len + len..)?;
        value = parse_std(&mut p, std, value, layout)?;
    }
    finish(p)
}

/// Go's `skip`: the literal layout text must match; a space matches a run of spaces.
fn skip_prefix<'v>(mut value: &'v str, mut prefix: &str) -> Option<&'v str> {
    while let Some(&p) = prefix.as_bytes().first() {
        if p == b' ' {
            if value.as_bytes().first().is_some_and(|v| *v != b' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.as_bytes().first() != Some(&p) {
            return None;
        }
        prefix = prefix.get(1..)?;
        value = value.get(1..)?;
    }
    Some(value)
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn get_num(value: &str, fixed: bool) -> Option<(u32, &str)> {
    let bytes = value.as_bytes();
    let first = bytes.first().filter(|b| b.is_ascii_digit())?;
    let first = u32::from(first - b'0');
    match bytes.get(1).filter(|b| b.is_ascii_digit()) {
        Some(second) => Some((first * 10 + u32::from(second - b'0'), value.get(2..)?)),
        None if fixed => None,
        None => Some((first, value.get(1..)?)),
    }
}

/// Go's `getnum3`: one to three digits (exactly three when `fixed`).
fn get_num3(value: &str, fixed: bool) -> Option<(u32, &str)> {
    let count = value.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if count == 0 || (fixed && count < 3) {
        return None;
    }
    Some((value.get(..count)?.parse().ok()?, value.get(count..)?))
}

/// Case-insensitive table lookup at the start of `value`.
fn lookup<'v>(table: &[&str], value: &'v str) -> Option<(usize, &'v str)> {
    table.iter().enumerate().find_map(|(i, name)| {
        let head = value.get(..name.len())?;
        head.eq_ignore_ascii_case(name)
            .then(|| (i, value.get(name.len()..).unwrap_or("")))
    })
}

fn parse_std<'v>(p: &mut Parsed, std: Std, value: &'v str, layout_rest: &str) -> Option<&'v str> {
    match std {
        Std::Year | Std::LongYear => parse_year(p, std, value),
        Std::Month | Std::LongMonth => {
            let table: &[&str] = if std == Std::Month {
                &SHORT_MONTH_NAMES
            } else {
                &LONG_MONTH_NAMES
            };
            let (index, rest) = lookup(table, value)?;
            p.month = Some(u32::try_from(index).ok()? + 1);
            Some(rest)
        }
        Std::NumMonth | Std::ZeroMonth => {
            let (month, rest) = get_num(value, std == Std::ZeroMonth)?;
            (1..=12).contains(&month).then_some(())?;
            p.month = Some(month);
            Some(rest)
        }
        Std::WeekDay => lookup(&SHORT_DAY_NAMES, value).map(|(_, rest)| rest),
        Std::LongWeekDay => lookup(&LONG_DAY_NAMES, value).map(|(_, rest)| rest),
        Std::Day | Std::UnderDay | Std::ZeroDay => {
            let value = if std == Std::UnderDay {
                value.strip_prefix(' ').unwrap_or(value)
            } else {
                value
            };
            let (day, rest) = get_num(value, std == Std::ZeroDay)?;
            p.day = Some(day);
            Some(rest)
        }
        Std::UnderYearDay | Std::ZeroYearDay => {
            let mut value = value;
            if std == Std::UnderYearDay {
                for _ in 0..2 {
                    value = value.strip_prefix(' ').unwrap_or(value);
                }
            }
            let (year_day, rest) = get_num3(value, std == Std::ZeroYearDay)?;
            p.year_day = Some(year_day);
            Some(rest)
        }
        _ => parse_clock(p, std, value, layout_rest),
    }
}

/// `06` (69..99 are 19xx, the rest 20xx) or `2006` (exactly four digits).
fn parse_year<'v>(p: &mut Parsed, std: Std, value: &'v str) -> Option<&'v str> {
    let len = if std == Std::Year { 2 } else { 4 };
    let digits = value
        .get(..len)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    let year: i64 = digits.parse().ok()?;
    p.year = match std {
        Std::Year if year >= 69 => year + 1900,
        Std::Year => year + 2000,
        _ => year,
    };
    value.get(len..)
}

fn parse_clock<'v>(p: &mut Parsed, std: Std, value: &'v str, layout_rest: &str) -> Option<&'v str> {
    match std {
        Std::Hour => {
            let (hour, rest) = get_num(value, false)?;
            p.hour = (hour < 24).then_some(hour)?;
            Some(rest)
        }
        Std::Hour12 | Std::ZeroHour12 => {
            let (hour, rest) = get_num(value, std == Std::ZeroHour12)?;
            p.hour = (hour <= 12).then_some(hour)?;
            Some(rest)
        }
        Std::Minute | Std::ZeroMinute => {
            let (minute, rest) = get_num(value, std == Std::ZeroMinute)?;
            p.minute = (minute < 60).then_some(minute)?;
            Some(rest)
        }
        Std::Second | Std::ZeroSecond => parse_second(p, std, value, layout_rest),
        Std::UpperPm | Std::LowerPm => {
            let (am, pm) = if std == Std::UpperPm {
                ("AM", "PM")
            } else {
                ("am", "pm")
            };
            let head = value.get(..2)?;
            p.pm = Some(if head == pm {
                true
            } else if head == am {
                false
            } else {
                return None;
            });
            value.get(2..)
        }
        Std::Offset { iso, style } => parse_offset(p, iso, style, value),
        Std::Tz => parse_zone_name(p, value),
        Std::Frac { digits, trim, .. } => parse_frac(p, value, digits, trim),
        _ => None,
    }
}

/// Whether `value` starts with a separator and a digit (a fractional second).
fn fraction_follows(value: &str) -> bool {
    let mut bytes = value.bytes();
    matches!(bytes.next(), Some(b'.' | b',')) && bytes.next().is_some_and(|b| b.is_ascii_digit())
}

/// Length of a separator and the digits after it.
fn fraction_len(value: &str) -> usize {
    1 + value.bytes().skip(1).take_while(u8::is_ascii_digit).count()
}

/// `.000` needs exactly that many digits; `.999` takes any number, or none.
fn parse_frac<'v>(p: &mut Parsed, value: &'v str, digits: usize, trim: bool) -> Option<&'v str> {
    let len = match trim {
        true if !fraction_follows(value) => return Some(value),
        true => fraction_len(value),
        false => 1 + digits,
    };
    p.nanos = parse_nanos(value.get(..len)?)?;
    value.get(len..)
}

fn parse_second<'v>(
    p: &mut Parsed,
    std: Std,
    value: &'v str,
    layout_rest: &str,
) -> Option<&'v str> {
    let (second, rest) = get_num(value, std == Std::ZeroSecond)?;
    p.second = (second < 60).then_some(second)?;
    if !fraction_follows(rest) {
        return Some(rest);
    }
    if matches!(next_std_chunk(layout_rest).1, Some((Std::Frac { .. }, _))) {
        return Some(rest);
    }
    let len = fraction_len(rest);
    p.nanos = parse_nanos(rest.get(..len)?)?;
    rest.get(len..)
}

/// Go's `parseNanoseconds`: separator then digits, at most 9 significant.
fn parse_nanos(text: &str) -> Option<u32> {
    if !text.starts_with(['.', ',']) {
        return None;
    }
    let digits = text.get(1..)?;
    let digits = digits.get(..digits.len().min(9))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = digits.parse().ok()?;
    Some(value * 10u32.pow(u32::try_from(9 - digits.len()).ok()?))
}

fn parse_offset<'v>(
    p: &mut Parsed,
    iso: bool,
    style: OffsetStyle,
    value: &'v str,
) -> Option<&'v str> {
    if iso && let Some(rest) = value.strip_prefix('Z') {
        p.utc = true;
        return Some(rest);
    }
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i32> {
        let text = value.get(range)?;
        text.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| text.parse().ok())?
    };
    let (hours, minutes, seconds, len) = match style {
        OffsetStyle::ColonHourMinute => {
            (*b.get(3)? == b':').then_some(())?;
            (digits(1..3)?, digits(4..6)?, 0, 6)
        }
        OffsetStyle::Hour => (digits(1..3)?, 0, 0, 3),
        OffsetStyle::ColonHourMinuteSecond => {
            (*b.get(3)? == b':' && *b.get(6)? == b':').then_some(())?;
            (digits(1..3)?, digits(4..6)?, digits(7..9)?, 9)
        }
        OffsetStyle::HourMinuteSecond => (digits(1..3)?, digits(3..5)?, digits(5..7)?, 7),
        OffsetStyle::HourMinute => (digits(1..3)?, digits(3..5)?, 0, 5),
    };
    if hours > 24 || minutes > 60 || seconds > 60 {
        return None;
    }
    let magnitude = (hours * 60 + minutes) * 60 + seconds;
    p.offset = Some(match b.first()? {
        b'+' => magnitude,
        b'-' => -magnitude,
        _ => return None,
    });
    value.get(len..)
}

/// Go's `stdTZ` parsing: `UTC`, or an abbreviation shape (`parseTimeZone`).
fn parse_zone_name<'v>(p: &mut Parsed, value: &'v str) -> Option<&'v str> {
    if let Some(rest) = value.strip_prefix("UTC") {
        p.utc = true;
        return Some(rest);
    }
    let len = zone_name_len(value)?;
    p.zone_name = Some(Abbrev::new(value.get(..len)?)?);
    value.get(len..)
}

fn zone_name_len(value: &str) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with("ChST") || value.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = value.strip_prefix("GMT") {
        return Some(3 + gmt_offset_len(rest));
    }
    let upper = value
        .bytes()
        .take(6)
        .take_while(u8::is_ascii_uppercase)
        .count();
    let bytes = value.as_bytes();
    match upper {
        3 => Some(3),
        4 if bytes.get(3) == Some(&b'T') || value.starts_with("WITA") => Some(4),
        5 if bytes.get(4) == Some(&b'T') => Some(5),
        _ => None,
    }
}

/// Go's `parseSignedOffset` after `GMT`: `+h` / `-h` with `h <= 12`, else nothing.
fn gmt_offset_len(rest: &str) -> usize {
    let Some(sign) = rest.as_bytes().first() else {
        return 0;
    };
    if *sign != b'+' && *sign != b'-' {
        return 0;
    }
    let digits = rest.bytes().skip(1).take_while(u8::is_ascii_digit).count();
    let hours: Option<u32> = rest.get(1..1 + digits).and_then(|d| d.parse().ok());
    match hours {
        Some(h) if digits > 0 && h <= 12 => 1 + digits,
        _ => 0,
    }
}

fn finish(p: Parsed) -> Option<GoTime> {
    let mut hour = p.hour;
    match p.pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    let (month, day) = resolve_date(&p)?;
    if day < 1 || day > days_in_month(p.year, month) {
        return None;
    }
    let fields = CivilInput {
        year: p.year,
        month,
        day,
        hour,
        minute: p.minute,
        second: p.second,
        nanos: p.nanos,
    };
    if p.utc {
        return Some(GoTime::from_civil(fields, 0, Zone::Utc));
    }
    if let Some(offset) = p.offset {
        let zone = match p.zone_name {
            _ if offset == 0 && p.zone_name.is_none() => Zone::Utc,
            Some(name) => Zone::Named(name),
            None => Zone::Unnamed,
        };
        return Some(GoTime::from_civil(fields, offset, zone));
    }
    if let Some(name) = p.zone_name {
        let offset = gmt_hours(&name).map_or(0, |h| h * 3600);
        return Some(GoTime::from_civil(fields, offset, Zone::Named(name)));
    }
    Some(GoTime::from_civil(fields, 0, Zone::Utc))
}

/// Hours of a `GMT+h` abbreviation.
fn gmt_hours(name: &Abbrev) -> Option<i32> {
    name.as_str()
        .strip_prefix("GMT")
        .filter(|r| !r.is_empty())?
        .parse()
        .ok()
}

/// Month and day from the parsed month/day or year-day (Go's yday validation).
fn resolve_date(p: &Parsed) -> Option<(u32, u32)> {
    let Some(mut year_day) = p.year_day else {
        return Some((p.month.unwrap_or(1), p.day.unwrap_or(1)));
    };
    let mut fixed = None;
    if is_leap_year(p.year) {
        if year_day == 31 + 29 {
            fixed = Some((2, 29));
        } else if year_day > 31 + 29 {
            year_day -= 1;
        }
    }
    if !(1..=365).contains(&year_day) {
        return None;
    }
    let (month, day) = fixed.unwrap_or_else(|| month_day_of(year_day));
    if p.month.is_some_and(|m| m != month) || p.day.is_some_and(|d| d != day) {
        return None;
    }
    Some((month, day))
}

/// Month and day of a non-leap year day.
fn month_day_of(year_day: u32) -> (u32, u32) {
    let mut remaining = year_day;
    for month in 1..=12 {
        let len = days_in_month(1, month);
        if remaining <= len {
            return (month, remaining);
        }
        remaining -= len;
    }
    (12, 31)
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
