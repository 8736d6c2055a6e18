//! Go's `time.Time` as far as templates see it: an instant with nanoseconds, the offset and
//! zone name it is displayed in, civil-calendar fields (proleptic Gregorian, as Go), and
//! `Time.String()`.
//!
//! There is no zone database: the server's local zone is UTC. Times parsed with a numeric
//! offset (`-0700`) keep that offset, as Go's `FixedZone` does.

use model::civil::{civil_from_days, days_from_civil};

use super::layout;

/// Seconds between 0001-01-01T00:00:00Z (Go's zero `Time`) and the Unix epoch.
const ZERO_TIME_UNIX: i64 = -62_135_596_800;
const SECONDS_PER_DAY: i64 = 86_400;

/// An instant plus the zone it is displayed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GoTime {
    /// Seconds since the Unix epoch.
    secs: i64,
    /// Nanoseconds within the second, `0..1e9`.
    nanos: u32,
    /// Offset east of UTC in seconds.
    offset: i32,
    /// Zone name shown by the `MST` layout element.
    zone: Zone,
}

/// The zone name of a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// UTC (also the server's local zone).
    Utc,
    /// A fixed offset with no name (Go's `FixedZone("", offset)`); `MST` prints `-0700`.
    Unnamed,
    /// A fixed offset with a parsed abbreviation such as `CEST`.
    Named(Abbrev),
}

/// A zone abbreviation of at most 8 ASCII bytes, stored inline so times stay `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abbrev {
    bytes: [u8; 8],
    len: u8,
}

impl Abbrev {
    /// The abbreviation, when it is ASCII and at most 8 bytes long.
    pub(crate) fn new(name: &str) -> Option<Self> {
        if !name.is_ascii() || name.len() > 8 {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes
            .get_mut(..name.len())?
            .copy_from_slice(name.as_bytes());
        Some(Self {
            bytes,
            len: u8::try_from(name.len()).ok()?,
        })
    }

    /// The abbreviation text.
    pub(crate) fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// Calendar fields of a time in its own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// Year (may be negative or beyond 9999).
    pub(crate) year: i64,
    /// Month, 1..=12.
    pub(crate) month: u32,
    /// Day of month, 1..=31.
    pub(crate) day: u32,
    /// Hour, 0..=23.
    pub(crate) hour: u32,
    /// Minute, 0..=59.
    pub(crate) minute: u32,
    /// Second, 0..=59.
    pub(crate) second: u32,
    /// Day of week, 0 = Sunday.
    pub(crate) weekday: u32,
    /// Day of year, 1..=366.
    pub(crate) year_day: u32,
}

impl GoTime {
    /// `time.Unix(secs, nanos)` in UTC; `nanos` is normalized into the second.
    pub(crate) fn from_unix(secs: i64, nanos: i64) -> Self {
        let secs = secs.saturating_add(nanos.div_euclid(1_000_000_000));
        let nanos = u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0);
        Self {
            secs,
            nanos,
            offset: 0,
            zone: Zone::Utc,
        }
    }

    /// `time.Unix(0, ns)`.
    pub(crate) fn from_unix_nanos(ns: i64) -> Self {
        Self::from_unix(0, ns)
    }

    /// Go's zero `Time`: 0001-01-01 00:00:00 UTC.
    pub(crate) fn zero() -> Self {
        Self::from_unix(ZERO_TIME_UNIX, 0)
    }

    /// The current time (UTC, the server's local zone).
    pub(crate) fn now() -> Self {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        match since_epoch {
            Ok(d) => Self::from_unix(
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                i64::from(d.subsec_nanos()),
            ),
            Err(before) => {
                let d = before.duration();
                Self::from_unix(
                    -i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                    -i64::from(d.subsec_nanos()),
                )
            }
        }
    }

    /// A civil date and time in a zone with `offset` seconds east of UTC.
    pub(crate) fn from_civil(fields: CivilInput, offset: i32, zone: Zone) -> Self {
        let days = days_from_civil(fields.year, fields.month, fields.day);
        let local = days * SECONDS_PER_DAY
            + i64::from(fields.hour) * 3600
            + i64::from(fields.minute) * 60
            + i64::from(fields.second);
        let mut time = Self::from_unix(local - i64::from(offset), i64::from(fields.nanos));
        time.offset = offset;
        time.zone = zone;
        time
    }

    /// `t.Unix()`.
    pub(crate) fn unix(&self) -> i64 {
        self.secs
    }

    /// `t.UnixMilli()` (wrapping like Go's).
    pub(crate) fn unix_milli(&self) -> i64 {
        self.secs
            .wrapping_mul(1000)
            .wrapping_add(i64::from(self.nanos / 1_000_000))
    }

    /// `t.UnixMicro()` (wrapping like Go's).
    pub(crate) fn unix_micro(&self) -> i64 {
        self.secs
            .wrapping_mul(1_000_000)
            .wrapping_add(i64::from(self.nanos / 1000))
    }

    /// `t.UnixNano()` (wrapping like Go's).
    pub(crate) fn unix_nano(&self) -> i64 {
        self.secs
            .wrapping_mul(1_000_000_000)
            .wrapping_add(i64::from(self.nanos))
    }

    /// `t.Nanosecond()`.
    pub(crate) fn nanosecond(&self) -> u32 {
        self.nanos
    }

    /// Offset east of UTC in seconds.
    pub(crate) fn offset(&self) -> i32 {
        self.offset
    }

    /// The zone name, or `None` for an unnamed fixed offset.
    pub(crate) fn zone_name(&self) -> Option<&str> {
        match &self.zone {
            Zone::Utc => Some("UTC"),
            Zone::Unnamed => None,
            Zone::Named(abbrev) => Some(abbrev.as_str()),
        }
    }

    /// `t.UTC()` (and `t.Local()`, the local zone being UTC).
    pub(crate) fn to_utc(self) -> Self {
        Self {
            offset: 0,
            zone: Zone::Utc,
            ..self
        }
    }

    /// Calendar fields in the time's own zone.
    pub(crate) fn civil(&self) -> Civil {
        let local = self.secs.saturating_add(i64::from(self.offset));
        let days = local.div_euclid(SECONDS_PER_DAY);
        let in_day = u32::try_from(local.rem_euclid(SECONDS_PER_DAY)).unwrap_or(0);
        let (year, month, day) = civil_from_days(days);
        let year_day = u32::try_from(days - days_from_civil(year, 1, 1) + 1).unwrap_or(1);
        let weekday = u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        Civil {
            year,
            month,
            day,
            hour: in_day / 3600,
            minute: in_day / 60 % 60,
            second: in_day % 60,
            weekday,
            year_day,
        }
    }

    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST` (no monotonic part).
    pub(crate) fn write_string(&self, out: &mut String) {
        layout::format(out, "2006-01-02 15:04:05.999999999 -0700 MST", self);
    }
}

/// Inputs of [`GoTime::from_civil`], already range-checked by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CivilInput {
    /// Year.
    pub(crate) year: i64,
    /// Month 1..=12.
    pub(crate) month: u32,
    /// Day 1..=31.
    pub(crate) day: u32,
    /// Hour 0..=23.
    pub(crate) hour: u32,
    /// Minute 0..=59.
    pub(crate) minute: u32,
    /// Second 0..=59.
    pub(crate) second: u32,
    /// Nanoseconds 0..1e9.
    pub(crate) nanos: u32,
}
