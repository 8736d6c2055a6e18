//! Date and time functions: sprig's `date`, `toDate`, `now`, `unixEpoch`, and Loki's
//! `toDateInZone`, `unixEpochMillis`, `unixEpochNanos`, `unixToTime`.
//!
//! The server's local zone is UTC, so `date` formats in UTC and `toDate` parses in UTC.
//! `toDateInZone` accepts the zones `UTC`, `Local` and `""` only: there is no zone database;
//! any other zone is an error naming it (a parse error when the zone is a literal).

use std::borrow::Cow;

use super::funcs::{Env, FuncError, str_arg, time_arg};
use super::gotime::GoTime;
use super::layout;
use super::value::Value;

/// Date and time functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeFunc {
    /// `date layout time`.
    Date,
    /// `toDate layout text`.
    ToDate,
    /// `toDateInZone layout zone text`.
    ToDateInZone,
    /// `now`.
    Now,
    /// `unixEpoch time`: seconds as a string.
    UnixEpoch,
    /// `unixEpochMillis time`: milliseconds as a string.
    UnixEpochMillis,
    /// `unixEpochNanos time`: nanoseconds as a string.
    UnixEpochNanos,
    /// `unixToTime epoch`: days, seconds, ms, µs or ns since the epoch, by digit count.
    UnixToTime,
}

/// Whether `toDateInZone` can resolve `zone` (UTC under any of its Go spellings).
pub(crate) fn is_supported_zone(zone: &str) -> bool {
    matches!(zone, "" | "UTC" | "Local")
}

/// The error for a zone without a database entry.
pub(crate) fn unsupported_zone(zone: &str) -> String {
    format!(
        "time zone {zone:?} in toDateInZone is not supported: only \"UTC\" and \"Local\" (UTC) are available"
    )
}

impl TimeFunc {
    /// Runs the function on arguments already converted to its parameter types.
    pub(crate) fn call<'a>(
        self,
        args: &mut [Value<'a>],
        _env: &Env<'_, 'a>,
    ) -> Result<Value<'a>, FuncError> {
        let text = |s: String| Value::Str(Cow::Owned(s));
        Ok(match self {
            Self::Date => {
                let time = match args.get(1) {
                    Some(Value::Time(t)) => *t,
                    Some(Value::Int(secs)) => GoTime::from_unix(*secs, 0),
                    _ => GoTime::now(),
                };
                let mut out = String::new();
                layout::format(&mut out, str_arg(args, 0)?, &time.to_utc());
                text(out)
            }
            Self::ToDate => Value::Time(parse_or_zero(str_arg(args, 0)?, str_arg(args, 1)?)),
            Self::ToDateInZone => {
                let zone = str_arg(args, 1)?;
                if !is_supported_zone(zone) {
                    return Err(FuncError::failed(unsupported_zone(zone)));
                }
                Value::Time(parse_or_zero(str_arg(args, 0)?, str_arg(args, 2)?))
            }
            Self::Now => Value::Time(GoTime::now()),
            Self::UnixEpoch => text(time_arg(args, 0)?.unix().to_string()),
            Self::UnixEpochMillis => text(time_arg(args, 0)?.unix_milli().to_string()),
            Self::UnixEpochNanos => text(time_arg(args, 0)?.unix_nano().to_string()),
            Self::UnixToTime => {
                Value::Time(unix_to_time(str_arg(args, 0)?).map_err(FuncError::Failed)?)
            }
        })
    }
}

/// sprig's `toDate`: a parse failure gives Go's zero time.
fn parse_or_zero(layout_text: &str, value: &str) -> GoTime {
    layout::parse(layout_text, value).unwrap_or_else(GoTime::zero)
}

/// Loki's `unixToTime`: the unit is chosen by the length of the text.
fn unix_to_time(epoch: &str) -> Result<GoTime, String> {
    let value =
        parse_decimal_int(epoch).map_err(|err| format!("unable to parse time '{epoch}': {err}"))?;
    Ok(match epoch.len() {
        5 => GoTime::from_unix(value.wrapping_mul(86_400), 0),
        10 => GoTime::from_unix(value, 0),
        13 => GoTime::from_unix_nanos(value.wrapping_mul(1_000_000)),
        16 => GoTime::from_unix_nanos(value.wrapping_mul(1000)),
        19 => GoTime::from_unix_nanos(value),
        // Loki formats a nil error with %w here.
        _ => return Err(format!("unable to parse time '{epoch}': %!w(<nil>)")),
    })
}

/// Go's `strconv.ParseInt(s, 10, 64)` with its error text.
fn parse_decimal_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let quoted = super::escape::quote(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {quoted}: invalid syntax"
        ));
    }
    s.parse()
        .map_err(|_| format!("strconv.ParseInt: parsing {quoted}: value out of range"))
}
