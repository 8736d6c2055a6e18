use proptest::prelude::*;

use super::*;

fn layout(name: &str) -> &'static Layout {
    all_layouts().find(|l| l.name == name).unwrap()
}

fn render(layout: &Layout, instant_ns: i64, unix_offset_s: i64) -> String {
    let mut out = Vec::new();
    layout.render(instant_ns, unix_offset_s, &mut out);
    String::from_utf8(out).unwrap()
}

/// 2005-12-04T04:47:44.123456789 as nanoseconds.
const SAMPLE_NS: i64 = 1_133_671_664 * NANOS_PER_SEC + 123_456_789;

#[test]
fn calendar_conversions_agree_on_known_days() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    for days in (-800_000..800_000).step_by(997) {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
    }
}

#[test]
fn renders_every_system_layout() {
    let cases = [
        ("%s", "1133671664"),
        ("%a %b %d %H:%M:%S %Y", "Sun Dec 04 04:47:44 2005"),
        ("%Y-%m-%d-%H.%M.%S.%6f", "2005-12-04-04.47.44.123456"),
        ("%Y%m%d-%H:%M:%S:%3f", "20051204-04:47:44:123"),
        ("%Y%m%d-%-H:%-M:%-S:%-3f", "20051204-4:47:44:123"),
        ("%m.%d %H:%M:%S", "12.04 04:47:44"),
        ("%H:%M:%S.%3f", "04:47:44.123"),
        ("%H:%M:%S,%3f", "04:47:44,123"),
        ("%H:%M:%S", "04:47:44"),
        ("%H%M%S", "044744"),
        ("%Y-%m-%d", "2005-12-04"),
        ("%Y.%m.%d", "2005.12.04"),
        ("%y/%m/%d", "05/12/04"),
        ("%m-%d", "12-04"),
        ("%y%m%d", "051204"),
        ("%b", "Dec"),
        ("%d", "04"),
        ("%-d", "4"),
        ("%e", " 4"),
    ];
    assert_eq!(cases.len(), all_layouts().count(), "a layout lacks a case");
    for (name, text) in cases {
        assert_eq!(render(layout(name), SAMPLE_NS, 0), text, "{name}");
        assert!(layout(name).parse(text).is_some(), "{name} reads {text}");
    }
}

#[test]
fn full_layouts_read_back_the_instant() {
    let whole_seconds = SAMPLE_NS - 123_456_789;
    let read = |name: &str, text: &str| layout(name).parse(text).unwrap().instant_ns().unwrap();
    assert_eq!(
        read("%a %b %d %H:%M:%S %Y", "Sun Dec 04 04:47:44 2005"),
        whole_seconds
    );
    assert_eq!(read("%s", "1133671664"), whole_seconds);
    assert_eq!(
        read("%Y-%m-%d-%H.%M.%S.%6f", "2005-12-04-04.47.44.123456"),
        SAMPLE_NS - 789
    );
    assert_eq!(
        read("%Y%m%d-%-H:%-M:%-S:%-3f", "20051204-4:47:44:12"),
        whole_seconds + 12_000_000
    );
}

#[test]
fn unix_offset_shifts_only_unix_seconds() {
    assert_eq!(render(layout("%s"), SAMPLE_NS, 3600), "1133675264");
    assert_eq!(render(layout("%H:%M:%S"), SAMPLE_NS, 3600), "04:47:44");
}

#[test]
fn values_out_of_range_or_shape_are_rejected() {
    assert!(layout("%H%M%S").parse("081109").is_some());
    assert!(layout("%y%m%d").parse("203615").is_none(), "month 36");
    assert!(layout("%H:%M:%S").parse("24:00:00").is_none());
    assert!(layout("%H:%M:%S").parse("1:02:03").is_none());
    assert!(layout("%d").parse("7").is_none());
    assert!(layout("%-d").parse("32").is_none());
    assert!(
        layout("%s").parse("12345678").is_none(),
        "8 digits is no Unix time here"
    );
    assert!(layout("%b").parse("Dez").is_none());
    assert!(
        layout("%H:%M:%S").parse("10:20:30 ").is_none(),
        "trailing text"
    );
}

#[test]
fn infer_picks_by_column_name_and_reports_the_stopping_value() {
    let date = layouts_for_column("Date").unwrap();
    let time = layouts_for_column("Time").unwrap();
    assert!(layouts_for_column("Pid").is_none());
    // HDFS: six digits read as a date in `Date` and as a time of day in `Time`.
    assert_eq!(infer(date, &["081109", "081110"]).unwrap().name, "%y%m%d");
    assert_eq!(infer(time, &["203615", "081109"]).unwrap().name, "%H%M%S");
    // HealthApp: unpadded hours only in some rows.
    let health = ["20171223-22:15:29:606", "20171224-1:2:35:78"];
    assert_eq!(
        infer(time, &health).unwrap().name,
        "%Y%m%d-%-H:%-M:%-S:%-3f"
    );
    assert_eq!(infer(date, &["14", "9"]).unwrap().name, "%-d");
    assert_eq!(infer(date, &["10", "11"]).unwrap().name, "%d");
    assert_eq!(infer(time, &["10:00:00", "11:00:00", "soon"]), Err(2));
    assert_eq!(layout("%-d").space_padded().map(|l| l.name), Some("%e"));
    assert_eq!(layout("%d").space_padded(), None);
}

proptest! {
    /// Rendering, reading and rendering again gives the same text, for every layout, over
    /// instants from 1973 to 2096 (Unix seconds keep 9–10 digits).
    #[test]
    fn render_parse_render_is_stable(
        seconds in prop_oneof![
            1 => Just(100_000_000i64),
            1 => Just(3_999_999_999i64),
            1 => Just(951_782_400i64), // 2000-02-29
            8 => 100_000_000i64..4_000_000_000,
        ],
        nanos in prop_oneof![1 => Just(0i64), 1 => Just(999_999_999i64), 4 => 0i64..NANOS_PER_SEC],
    ) {
        let instant = seconds * NANOS_PER_SEC + nanos;
        for layout in all_layouts() {
            let text = render(layout, instant, 0);
            let parsed = layout.parse(&text);
            prop_assert!(parsed.is_some(), "{} cannot read {}", layout.name, text);
            let again = parsed.and_then(|p| p.instant_ns()).unwrap_or_default();
            prop_assert_eq!(render(layout, again, 0), text, "{}", layout.name);
        }
    }
}
