//! Prometheus durations (`model.ParseDuration`): `1y2w3d4h5m6s7ms`, each unit at most once and
//! from the largest to the smallest, integers only, `0` allowed without a unit. A year is 365
//! days and a week 7 days, as in Prometheus.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// Units from the largest to the smallest, with their length in milliseconds.
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// The longest duration Prometheus accepts: Go's `time.Duration` holds at most 2^63-1 ns.
const MAX_MS: u64 = (i64::MAX as u64) / 1_000_000;

/// Why a duration string was refused; the texts are Prometheus's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The empty string.
    #[error("empty duration string")]
    Empty,
    /// Not of the form `<int><unit>...` with units in decreasing order.
    #[error("not a valid duration string: {0:?}")]
    Invalid(String),
    /// A unit that is not one of `y w d h m s ms`.
    #[error("unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration as written.
        input: String,
    },
    /// Longer than about 292 years.
    #[error("duration out of range")]
    OutOfRange,
}

/// Parses a Prometheus duration.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    match input {
        "" => return Err(DurationError::Empty),
        "0" => return Ok(Duration::ZERO),
        _ => {}
    }
    let invalid = || DurationError::Invalid(input.to_owned());
    let mut rest = input;
    let mut total_ms: u64 = 0;
    // Index into UNITS of the previous unit; each next one must come later.
    let mut previous: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(invalid());
        }
        let (number, after) = rest.split_at(digits);
        let value: u64 = number.parse().map_err(|_| invalid())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        if unit_len == 0 {
            return Err(invalid());
        }
        let (unit, after) = after.split_at(unit_len);
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_owned(),
                input: input.to_owned(),
            });
        };
        if previous.is_some_and(|p| index <= p) {
            return Err(invalid());
        }
        previous = Some(index);
        let unit_ms = UNITS.get(index).map_or(1, |(_, ms)| *ms);
        total_ms = value
            .checked_mul(unit_ms)
            .and_then(|ms| total_ms.checked_add(ms))
            .filter(|&ms| ms <= MAX_MS)
            .ok_or(DurationError::OutOfRange)?;
        rest = after;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Formats a duration as Prometheus prints it (`1h30m`, `15s`, `0s`), to millisecond precision.
pub fn format_duration(duration: Duration) -> String {
    let mut ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (name, unit_ms) in UNITS {
        // Prometheus prints weeks and years only when they are exact.
        if (name == "y" || name == "w") && ms % unit_ms != 0 {
            continue;
        }
        if ms >= unit_ms {
            out.push_str(&(ms / unit_ms).to_string());
            out.push_str(name);
            ms %= unit_ms;
        }
    }
    out
}

/// Deserializes a present duration field; integers are accepted as their decimal text, so
/// `0` works and other bare numbers get Prometheus's error.
pub(crate) fn deserialize_opt<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(DurationVisitor).map(Some)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as 15s, 1m or 1h30m")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        self.visit_str(&v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn valid_durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("15s"), Ok(ms(15_000)));
        assert_eq!(parse_duration("1m"), Ok(ms(60_000)));
        assert_eq!(parse_duration("100ms"), Ok(ms(100)));
        assert_eq!(parse_duration("1h30m"), Ok(ms(5_400_000)));
        assert_eq!(parse_duration("1d"), Ok(ms(86_400_000)));
        assert_eq!(parse_duration("1w"), Ok(ms(7 * 86_400_000)));
        assert_eq!(parse_duration("1y"), Ok(ms(365 * 86_400_000)));
        assert_eq!(
            parse_duration("1y2w3d4h5m6s7ms"),
            Ok(ms(
                ((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7
            ))
        );
        assert_eq!(parse_duration("90m"), Ok(ms(5_400_000)));
    }

    #[test]
    fn invalid_durations_with_prometheus_messages() {
        let err = |s: &str| parse_duration(s).unwrap_err().to_string();
        assert_eq!(err(""), "empty duration string");
        assert_eq!(err("1"), r#"not a valid duration string: "1""#);
        assert_eq!(err("s"), r#"not a valid duration string: "s""#);
        assert_eq!(err("1.5s"), r#"unknown unit "." in duration "1.5s""#);
        assert_eq!(err("-1s"), r#"not a valid duration string: "-1s""#);
        assert_eq!(err("30m1h"), r#"not a valid duration string: "30m1h""#);
        assert_eq!(err("1m1m"), r#"not a valid duration string: "1m1m""#);
        assert_eq!(err(" 1m"), r#"not a valid duration string: " 1m""#);
        assert_eq!(err("1x"), r#"unknown unit "x" in duration "1x""#);
        assert_eq!(err("1M"), r#"unknown unit "M" in duration "1M""#);
        assert_eq!(err("300y"), "duration out of range");
        assert_eq!(
            err("99999999999999999999s"),
            r#"not a valid duration string: "99999999999999999999s""#
        );
    }

    #[test]
    fn formats_as_prometheus() {
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(ms(15_000)), "15s");
        assert_eq!(format_duration(ms(5_400_000)), "1h30m");
        assert_eq!(format_duration(ms(100)), "100ms");
        assert_eq!(format_duration(ms(14 * 86_400_000)), "2w");
        assert_eq!(format_duration(ms(15 * 86_400_000)), "15d");
        assert_eq!(format_duration(ms(365 * 86_400_000)), "1y");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(v in prop_oneof![
            Just(0u64), Just(1), Just(999), Just(1000), Just(60_000), Just(86_400_000),
            Just(7 * 86_400_000), Just(365 * 86_400_000), 0u64..=MAX_MS,
        ]) {
            prop_assert_eq!(parse_duration(&format_duration(ms(v))), Ok(ms(v)));
        }
    }
}
