use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;

#[test]
fn unix_seconds_round_to_the_millisecond() {
    assert_eq!(parse_time("1435781451.781"), Ok(1_435_781_451_781));
    assert_eq!(parse_time("1435781451"), Ok(1_435_781_451_000));
    assert_eq!(parse_time("0.0005"), Ok(1));
    assert_eq!(parse_time("-1.5"), Ok(-1_500));
    assert_eq!(parse_time("1e3"), Ok(1_000_000));
}

#[test]
fn rfc3339_with_fraction_and_offset() {
    assert_eq!(
        parse_time("2015-07-01T20:10:51.781Z"),
        Ok(1_435_781_451_781)
    );
    assert_eq!(
        parse_time("2019-07-07T20:47:40+03:00"),
        Ok(1_562_521_660_000)
    );
    assert_eq!(
        parse_time("2019-07-07T20:47:40-01:30"),
        Ok(1_562_537_860_000)
    );
    // Nanoseconds are cut to the millisecond, not rounded.
    assert_eq!(parse_time("1970-01-01T00:00:00.999999999Z"), Ok(999));
    assert_eq!(parse_time("1969-12-31T23:59:59Z"), Ok(-1_000));
    assert_eq!(parse_time("2024-02-29T00:00:00Z"), Ok(1_709_164_800_000));
}

#[test]
fn prometheus_boundary_strings() {
    assert_eq!(parse_time("-292273086-05-16T16:47:06Z"), Ok(MIN_TIME_MS));
    assert_eq!(
        parse_time("292277025-08-18T07:12:54.999999999Z"),
        Ok(MAX_TIME_MS)
    );
    assert_eq!(MIN_TIME_MS, -9_223_309_901_257_974_000);
    assert_eq!(MAX_TIME_MS, 9_223_309_901_257_974_999);
}

#[test]
fn bad_times_are_refused_with_prometheus_text() {
    for bad in [
        "",
        "abc",
        "NaN",
        "inf",
        "-Inf",
        "1e300",
        "2015-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2015-07-01T24:00:00Z",
        "2015-07-01T20:10:51",
        "2015-07-01t20:10:51Z",
        "2015-07-01T20:10:51.Z",
        "2015-07-01T20:10:51.1234567891Z",
        "2015-07-01T20:10:51+3:00",
        "2015-07-01T20:10:51+24:00",
        "2015-07-01 20:10:51Z",
    ] {
        assert_eq!(
            parse_time(bad),
            Err(format!("cannot parse {bad:?} to a valid timestamp")),
            "{bad}"
        );
    }
}

#[test]
fn durations_as_float_seconds_or_prometheus_text() {
    assert_eq!(parse_duration_param("15"), Ok(15_000_000_000));
    assert_eq!(parse_duration_param("0.5"), Ok(500_000_000));
    assert_eq!(parse_duration_param("-1"), Ok(-1_000_000_000));
    assert_eq!(parse_duration_param("1m30s"), Ok(90_000_000_000));
    assert_eq!(parse_duration_param("0"), Ok(0));
    assert_eq!(
        parse_duration_param("1e10"),
        Err("cannot parse \"1e10\" to a valid duration. It overflows int64".into())
    );
    for bad in ["", "x", "5 m", "1s1m", "NaN"] {
        assert_eq!(
            parse_duration_param(bad),
            Err(format!("cannot parse {bad:?} to a valid duration"))
        );
    }
}

#[test]
fn formats_like_go_rfc3339nano_in_utc() {
    let t = UNIX_EPOCH + Duration::new(1_484_662_064, 723_715_405);
    assert_eq!(format_rfc3339(t), "2017-01-17T14:07:44.723715405Z");
    let t = UNIX_EPOCH + Duration::new(1_484_662_064, 500_000_000);
    assert_eq!(format_rfc3339(t), "2017-01-17T14:07:44.5Z");
    assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
}

proptest! {
    /// Formatting then parsing gives the time back, to the millisecond.
    #[test]
    fn rfc3339_round_trips(seconds in 0_i64..253_402_300_799, nanos in 0_u32..1_000_000_000) {
        let t = UNIX_EPOCH + Duration::new(seconds as u64, nanos);
        let text = format_rfc3339(t);
        prop_assert_eq!(parse_time(&text), Ok(seconds * 1000 + i64::from(nanos / 1_000_000)));
    }

    /// Civil-date conversion is a bijection over a wide span, negative days included.
    #[test]
    fn civil_dates_round_trip(days in -3_000_000_i64..3_000_000) {
        let (y, m, d) = civil_from_days(days);
        prop_assert_eq!(days_from_civil(y, m, d), days);
    }

    /// No input makes the parsers panic.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = parse_time(&text);
        let _ = parse_duration_param(&text);
    }
}
