//! Go layout formatting and parsing, checked against Go's outputs.

use super::*;
use crate::logql::template::gotime::{CivilInput, GoTime, Zone};

fn time(offset: i32, zone: Zone, nanos: u32) -> GoTime {
    let fields = CivilInput {
        year: 2009,
        month: 11,
        day: 10,
        hour: 23,
        minute: 4,
        second: 5,
        nanos,
    };
    GoTime::from_civil(fields, offset, zone)
}

fn formatted(layout: &str, t: &GoTime) -> String {
    let mut out = String::new();
    format(&mut out, layout, t);
    out
}

#[test]
fn formats_reference_layouts() {
    let t = time(0, Zone::Utc, 123_456_789);
    for (layout, want) in [
        ("2006-01-02T15:04:05Z07:00", "2009-11-10T23:04:05Z"),
        (
            "2006-01-02T15:04:05.999999999Z07:00",
            "2009-11-10T23:04:05.123456789Z",
        ),
        ("Mon Jan _2 15:04:05 2006", "Tue Nov 10 23:04:05 2009"),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Tue, 10 Nov 2009 23:04:05 UTC",
        ),
        ("3:04PM", "11:04PM"),
        (
            "Monday January 2 06 pm 03 .000 ,999 __2 002",
            "Tuesday November 10 09 pm 11 .123 ,123 314 314",
        ),
        ("Jan _2 15:04:05.000", "Nov 10 23:04:05.123"),
        ("-07:00 -0700 Z0700", "+00:00 +0000 Z"),
        ("Janet Month _2006", "Janet Month _2009"),
        (
            "2006-01-02 15:04:05.999999999 -0700 MST",
            "2009-11-10 23:04:05.123456789 +0000 UTC",
        ),
    ] {
        assert_eq!(formatted(layout, &t), want, "{layout}");
    }
    let t = time(5 * 3600 + 1800, Zone::Unnamed, 100_000_000);
    assert_eq!(
        formatted("-0700 -07:00 -07 Z07:00 Z0700 MST -07:00:00 .999 .000", &t),
        "+0530 +05:30 +05 +05:30 +0530 +0530 +05:30:00 .1 .100"
    );
    let early = GoTime::from_civil(
        CivilInput {
            year: 5,
            month: 3,
            day: 5,
            hour: 0,
            minute: 7,
            second: 9,
            nanos: 0,
        },
        0,
        Zone::Utc,
    );
    assert_eq!(
        formatted("_2|__2|2006|06|1|3PM|4|5|.999|.000", &early),
        " 5| 64|0005|05|3|12AM|7|9||.000"
    );
    assert_eq!(formatted("2006", &GoTime::zero()), "0001");
}

#[test]
fn parses_reference_layouts() {
    let parsed = parse("2006-01-02T15:04:05Z07:00", "2009-11-10T23:04:05+01:00").unwrap();
    assert_eq!(
        (parsed.unix(), parsed.offset(), parsed.zone_name()),
        (1_257_890_645, 3600, None)
    );
    let utc = parse("2006-01-02T15:04:05Z07:00", "2009-11-10T23:04:05Z").unwrap();
    assert_eq!((utc.unix(), utc.zone_name()), (1_257_894_245, Some("UTC")));
    assert_eq!(
        parse("Mon Jan _2 15:04:05 2006", "Sun Nov 10 23:04:05 2009").map(|t| t.unix()),
        Some(1_257_894_245)
    );
    assert_eq!(
        parse("Mon Jan _2 15:04:05 2006", "Tue Nov  1 23:04:05 2009").map(|t| t.civil().day),
        Some(1)
    );
    let kitchen = parse("3:04PM", "11:04PM").unwrap().civil();
    assert_eq!(
        (kitchen.year, kitchen.month, kitchen.day, kitchen.hour),
        (0, 1, 1, 23)
    );
    assert_eq!(parse("3:04PM", "12:30AM").map(|t| t.civil().hour), Some(0));
    assert_eq!(
        parse("15:04:05", "01:02:03.5").map(|t| t.nanosecond()),
        Some(500_000_000)
    );
    assert_eq!(
        parse("15:04:05.000", "01:02:03,250").map(|t| t.nanosecond()),
        Some(250_000_000)
    );
    assert_eq!(
        parse("2006 002", "2021 032").map(|t| (t.civil().month, t.civil().day)),
        Some((2, 1))
    );
    assert_eq!(
        parse("2006 002", "2020 060").map(|t| (t.civil().month, t.civil().day)),
        Some((2, 29))
    );
    let named = parse(
        "Mon, 02 Jan 2006 15:04:05 MST",
        "Tue, 10 Nov 2009 23:04:05 CEST",
    )
    .unwrap();
    assert_eq!(
        (named.unix(), named.zone_name()),
        (1_257_894_245, Some("CEST"))
    );
    let gmt = parse("15:04 MST", "10:00 GMT+2").unwrap();
    assert_eq!((gmt.offset(), gmt.zone_name()), (7200, Some("GMT+2")));
    assert_eq!(
        parse("Jan 2 2006", "NOV 10 2009").map(|t| t.civil().month),
        Some(11)
    );
    assert_eq!(
        parse("jan 2 2006", "jan 2 2009").map(|t| t.civil().year),
        Some(2009)
    );
}

#[test]
fn rejects_what_go_rejects() {
    for (layout, value) in [
        ("2006-01-02", "2021-02-30"),
        ("2006-01-02", "2021-13-01"),
        ("2006-01-02", "2021-1-02"),
        ("2006-01-02", "2021-01-02 extra"),
        ("15:04", "24:00"),
        ("15:04", "12:60"),
        ("Jan", "Foo"),
        ("2006 002", "2021 366"),
        ("2006-01-02 002", "2021-01-02 003"),
        ("-07:00", "+0100"),
        ("MST", "Xy"),
        ("2006", "20a1"),
        (".000", ".12"),
    ] {
        assert_eq!(parse(layout, value), None, "{layout} / {value}");
    }
}
