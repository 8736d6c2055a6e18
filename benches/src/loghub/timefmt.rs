//! Timestamp layouts of the loghub systems: which layout a time column is written in, reading a
//! value of it, and writing any instant back the same way.
//!
//! A system spreads its timestamp over one or more columns (`Month`, `Date`, `Time`, a Unix
//! `Timestamp`, …). Each column is read into a [`PartialTime`]; the parts of a row merge into one
//! instant. Instants are nanoseconds since 1970-01-01T00:00:00 of the log's own (unknown) zone,
//! treated as UTC: only the rendered text matters.

use model::civil::{civil_from_days, days_from_civil};

/// Nanoseconds per second.
pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SEC;
/// Year assumed when a system's columns carry none (syslog, logcat). A leap year, so that a
/// sample's Feb 29 is a valid date.
const DEFAULT_YEAR: i64 = 2016;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Day names from Sunday, the weekday of day -4 (1970-01-01 was a Thursday).
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// How a number is padded to its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pad {
    /// Exactly `width` digits, leading zeros.
    Zero,
    /// Leading spaces up to `width` characters (syslog's day of month).
    Space,
    /// As many digits as the value needs (at most `width`).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    /// Two-digit year: 70–99 are 19xx, 00–69 are 20xx.
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millis,
    Micros,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Lit(char),
    Num {
        field: Field,
        width: u8,
        pad: Pad,
    },
    MonthName,
    Weekday,
    /// Seconds since the Unix epoch, 9 or 10 digits.
    UnixSeconds,
}

/// A timestamp layout; `name` spells it in strftime style (`%-H`: no padding, `%-3f`:
/// milliseconds without padding, `%e`: day padded with a space).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) name: &'static str,
    items: &'static [Item],
}

const fn num(field: Field, width: u8, pad: Pad) -> Item {
    Item::Num { field, width, pad }
}
const fn lit(c: char) -> Item {
    Item::Lit(c)
}
const Y4: Item = num(Field::Year, 4, Pad::Zero);
const Y2: Item = num(Field::Year2, 2, Pad::Zero);
const MO: Item = num(Field::Month, 2, Pad::Zero);
const DD: Item = num(Field::Day, 2, Pad::Zero);
const HH: Item = num(Field::Hour, 2, Pad::Zero);
const MM: Item = num(Field::Minute, 2, Pad::Zero);
const SS: Item = num(Field::Second, 2, Pad::Zero);
const MS: Item = num(Field::Millis, 3, Pad::Zero);
const US: Item = num(Field::Micros, 6, Pad::Zero);
const H_: Item = num(Field::Hour, 2, Pad::None);
const M_: Item = num(Field::Minute, 2, Pad::None);
const S_: Item = num(Field::Second, 2, Pad::None);
const MS_: Item = num(Field::Millis, 3, Pad::None);

/// Layouts a column named `Time` or `Timestamp` may use, most specific first.
static TIME_LAYOUTS: &[Layout] = &[
    Layout {
        name: "%s",
        items: &[Item::UnixSeconds],
    },
    Layout {
        name: "%a %b %d %H:%M:%S %Y",
        items: &[
            Item::Weekday,
            lit(' '),
            Item::MonthName,
            lit(' '),
            DD,
            lit(' '),
            HH,
            lit(':'),
            MM,
            lit(':'),
            SS,
            lit(' '),
            Y4,
        ],
    },
    Layout {
        name: "%Y-%m-%d-%H.%M.%S.%6f",
        items: &[
            Y4,
            lit('-'),
            MO,
            lit('-'),
            DD,
            lit('-'),
            HH,
            lit('.'),
            MM,
            lit('.'),
            SS,
            lit('.'),
            US,
        ],
    },
    Layout {
        name: "%Y%m%d-%H:%M:%S:%3f",
        items: &[
            Y4,
            MO,
            DD,
            lit('-'),
            HH,
            lit(':'),
            MM,
            lit(':'),
            SS,
            lit(':'),
            MS,
        ],
    },
    Layout {
        name: "%Y%m%d-%-H:%-M:%-S:%-3f",
        items: &[
            Y4,
            MO,
            DD,
            lit('-'),
            H_,
            lit(':'),
            M_,
            lit(':'),
            S_,
            lit(':'),
            MS_,
        ],
    },
    Layout {
        name: "%m.%d %H:%M:%S",
        items: &[MO, lit('.'), DD, lit(' '), HH, lit(':'), MM, lit(':'), SS],
    },
    Layout {
        name: "%H:%M:%S.%3f",
        items: &[HH, lit(':'), MM, lit(':'), SS, lit('.'), MS],
    },
    Layout {
        name: "%H:%M:%S,%3f",
        items: &[HH, lit(':'), MM, lit(':'), SS, lit(','), MS],
    },
    Layout {
        name: "%H:%M:%S",
        items: &[HH, lit(':'), MM, lit(':'), SS],
    },
    Layout {
        name: "%H%M%S",
        items: &[HH, MM, SS],
    },
];

/// Layouts a column named `Date`, `Day` or `Month` may use, most specific first.
static DATE_LAYOUTS: &[Layout] = &[
    Layout {
        name: "%Y-%m-%d",
        items: &[Y4, lit('-'), MO, lit('-'), DD],
    },
    Layout {
        name: "%Y.%m.%d",
        items: &[Y4, lit('.'), MO, lit('.'), DD],
    },
    Layout {
        name: "%y/%m/%d",
        items: &[Y2, lit('/'), MO, lit('/'), DD],
    },
    Layout {
        name: "%m-%d",
        items: &[MO, lit('-'), DD],
    },
    Layout {
        name: "%y%m%d",
        items: &[Y2, MO, DD],
    },
    Layout {
        name: "%b",
        items: &[Item::MonthName],
    },
    Layout {
        name: "%d",
        items: &[DD],
    },
    DAY_UNPADDED,
];

const DAY_UNPADDED: Layout = Layout {
    name: "%-d",
    items: &[num(Field::Day, 2, Pad::None)],
};
static DAY_SPACE_PADDED: Layout = Layout {
    name: "%e",
    items: &[num(Field::Day, 2, Pad::Space)],
};

/// Every layout, for tests that cover them all.
#[cfg(test)]
pub(crate) fn all_layouts() -> impl Iterator<Item = &'static Layout> {
    TIME_LAYOUTS
        .iter()
        .chain(DATE_LAYOUTS)
        .chain([&DAY_SPACE_PADDED])
}

/// Whether a column holds (part of) the timestamp, by its name, and which layouts it may use.
pub(crate) fn layouts_for_column(column: &str) -> Option<&'static [Layout]> {
    match column {
        "Time" | "Timestamp" => Some(TIME_LAYOUTS),
        "Date" | "Day" | "Month" => Some(DATE_LAYOUTS),
        _ => None,
    }
}

/// The first of `layouts` that reads every value; otherwise the index of the value that stopped
/// the layout that read the most, to name in an error.
pub(crate) fn infer(layouts: &'static [Layout], values: &[&str]) -> Result<&'static Layout, usize> {
    let mut furthest = 0;
    for layout in layouts {
        match values.iter().position(|v| layout.parse(v).is_none()) {
            None => return Ok(layout),
            Some(failed) => furthest = furthest.max(failed),
        }
    }
    Err(furthest)
}

impl Layout {
    /// The layout that writes the day of month padded with a space to two characters, when this
    /// is the unpadded day (syslog writes `Jul  1`; loghub's CSV keeps only `1`).
    pub(crate) fn space_padded(&self) -> Option<&'static Layout> {
        (*self == DAY_UNPADDED).then_some(&DAY_SPACE_PADDED)
    }

    /// Whether this layout writes Unix seconds (zone-free, unlike the civil fields).
    pub(crate) fn is_unix(&self) -> bool {
        self.items.contains(&Item::UnixSeconds)
    }

    /// Reads `text`, which must be exactly in this layout.
    pub(crate) fn parse(&self, text: &str) -> Option<PartialTime> {
        let mut time = PartialTime::default();
        let mut rest = text;
        for item in self.items {
            rest = item.parse(rest, &mut time)?;
        }
        rest.is_empty().then_some(time)
    }

    /// Writes `instant_ns` in this layout; Unix seconds are shifted by `unix_offset_s`.
    pub(crate) fn render(&self, instant_ns: i64, unix_offset_s: i64, out: &mut Vec<u8>) {
        let civil = Civil::from_ns(instant_ns);
        for item in self.items {
            match *item {
                Item::Lit(c) => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Item::Num { field, width, pad } => {
                    push_number(out, civil.field(field), usize::from(width), pad);
                }
                Item::MonthName => out.extend_from_slice(name_at(&MONTHS, civil.month - 1)),
                Item::Weekday => out.extend_from_slice(name_at(&WEEKDAYS, civil.weekday)),
                Item::UnixSeconds => {
                    let seconds = instant_ns.div_euclid(NANOS_PER_SEC) + unix_offset_s;
                    push_signed(out, seconds);
                }
            }
        }
    }
}

fn name_at(names: &[&'static str], index: u32) -> &'static [u8] {
    names.get(index as usize).map_or(b"???", |n| n.as_bytes())
}

impl Item {
    /// Reads this item from the start of `text` into `time`; returns the rest.
    fn parse<'a>(&self, text: &'a str, time: &mut PartialTime) -> Option<&'a str> {
        match *self {
            Item::Lit(c) => text.strip_prefix(c),
            Item::Num { field, width, pad } => {
                let width = usize::from(width);
                let (min, max, text) = match pad {
                    Pad::Zero => (width, width, text),
                    Pad::None => (1, width, text),
                    // Padding spaces are optional, so the unpadded CSV value reads too.
                    Pad::Space => {
                        let spaces = text
                            .bytes()
                            .take(width - 1)
                            .take_while(|&b| b == b' ')
                            .count();
                        (1, width - spaces, text.get(spaces..)?)
                    }
                };
                let (value, rest) = take_digits(text, min, max)?;
                time.set(field, value).then_some(rest)
            }
            Item::MonthName => {
                let (index, rest) = take_name(text, &MONTHS)?;
                time.month = Some(u32::try_from(index).ok()? + 1);
                Some(rest)
            }
            Item::Weekday => take_name(text, &WEEKDAYS).map(|(_, rest)| rest),
            Item::UnixSeconds => {
                let (value, rest) = take_digits(text, 9, 10)?;
                time.unix_s = Some(i64::try_from(value).ok()?);
                Some(rest)
            }
        }
    }
}

/// Reads `min..=max` ASCII digits (as many as there are) from the start of `text`.
fn take_digits(text: &str, min: usize, max: usize) -> Option<(u64, &str)> {
    let len = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min {
        return None;
    }
    let (digits, rest) = text.split_at_checked(len)?;
    Some((digits.parse().ok()?, rest))
}

fn take_name<'a>(text: &'a str, names: &[&str]) -> Option<(usize, &'a str)> {
    names
        .iter()
        .enumerate()
        .find_map(|(i, n)| text.strip_prefix(n).map(|rest| (i, rest)))
}

fn push_number(out: &mut Vec<u8>, value: u64, width: usize, pad: Pad) {
    let text = value.to_string();
    let fill = match pad {
        Pad::Zero => b'0',
        Pad::Space => b' ',
        Pad::None => b'\0',
    };
    if pad != Pad::None {
        out.extend(std::iter::repeat_n(fill, width.saturating_sub(text.len())));
    }
    out.extend_from_slice(text.as_bytes());
}

fn push_signed(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(value.to_string().as_bytes());
}

/// The parts of a timestamp one column holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PartialTime {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    minute: Option<u32>,
    second: Option<u32>,
    nanos: Option<u32>,
    unix_s: Option<i64>,
}

impl PartialTime {
    /// Stores `value` as `field` if it is in range for it.
    fn set(&mut self, field: Field, value: u64) -> bool {
        let Ok(small) = u32::try_from(value) else {
            return false;
        };
        let (slot, valid) = match field {
            Field::Year => {
                self.year = Some(i64::from(small));
                return true;
            }
            Field::Year2 => {
                let century = if small >= 70 { 1900 } else { 2000 };
                self.year = Some(century + i64::from(small));
                return small < 100;
            }
            Field::Month => (&mut self.month, (1..=12).contains(&small)),
            Field::Day => (&mut self.day, (1..=31).contains(&small)),
            Field::Hour => (&mut self.hour, small <= 23),
            Field::Minute => (&mut self.minute, small <= 59),
            Field::Second => (&mut self.second, small <= 60),
            Field::Millis => (&mut self.nanos, small <= 999),
            Field::Micros => (&mut self.nanos, small <= 999_999),
        };
        let scale = match field {
            Field::Millis => 1_000_000,
            Field::Micros => 1_000,
            _ => 1,
        };
        *slot = Some(small * scale);
        valid
    }

    /// Fills the parts still unknown from `other`.
    pub(crate) fn merge(&mut self, other: &PartialTime) {
        self.year = self.year.or(other.year);
        self.month = self.month.or(other.month);
        self.day = self.day.or(other.day);
        self.hour = self.hour.or(other.hour);
        self.minute = self.minute.or(other.minute);
        self.second = self.second.or(other.second);
        self.nanos = self.nanos.or(other.nanos);
        self.unix_s = self.unix_s.or(other.unix_s);
    }

    /// The instant of the civil parts (missing ones default to the start of [`DEFAULT_YEAR`]),
    /// or `None` when there are none.
    pub(crate) fn civil_ns(&self) -> Option<i64> {
        let parts = [
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.nanos,
        ];
        if self.year.is_none() && parts.iter().all(Option::is_none) {
            return None;
        }
        let days = days_from_civil(
            self.year.unwrap_or(DEFAULT_YEAR),
            self.month.unwrap_or(1),
            self.day.unwrap_or(1),
        );
        let seconds = i64::from(self.hour.unwrap_or(0)) * 3600
            + i64::from(self.minute.unwrap_or(0)) * 60
            + i64::from(self.second.unwrap_or(0));
        Some(days * NANOS_PER_DAY + seconds * NANOS_PER_SEC + i64::from(self.nanos.unwrap_or(0)))
    }

    /// The Unix seconds, if a column held them.
    pub(crate) fn unix_s(&self) -> Option<i64> {
        self.unix_s
    }

    /// The instant: the civil parts if any, else the Unix seconds.
    pub(crate) fn instant_ns(&self) -> Option<i64> {
        self.civil_ns()
            .or(self.unix_s.map(|s| s.saturating_mul(NANOS_PER_SEC)))
    }
}

/// Calendar fields of an instant.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// 0 = Sunday.
    weekday: u32,
}

impl Civil {
    fn from_ns(ns: i64) -> Civil {
        let days = ns.div_euclid(NANOS_PER_DAY);
        let in_day = ns.rem_euclid(NANOS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = in_day / NANOS_PER_SEC;
        // All below are within a day, so they fit u32.
        let small = |v: i64| u32::try_from(v).unwrap_or(0);
        Civil {
            year,
            month,
            day,
            hour: small(seconds / 3600),
            minute: small(seconds / 60 % 60),
            second: small(seconds % 60),
            nanos: small(in_day % NANOS_PER_SEC),
            weekday: small((days + 4).rem_euclid(7)),
        }
    }

    fn field(&self, field: Field) -> u64 {
        let value = match field {
            Field::Year => return u64::try_from(self.year).unwrap_or(0),
            Field::Year2 => return u64::try_from(self.year.rem_euclid(100)).unwrap_or(0),
            Field::Month => self.month,
            Field::Day => self.day,
            Field::Hour => self.hour,
            Field::Minute => self.minute,
            Field::Second => self.second,
            Field::Millis => self.nanos / 1_000_000,
            Field::Micros => self.nanos / 1_000,
        };
        u64::from(value)
    }
}

#[cfg(test)]
#[path = "timefmt_tests.rs"]
mod tests;
