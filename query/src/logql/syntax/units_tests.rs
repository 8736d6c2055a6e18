use proptest::prelude::*;

use super::*;

const MINUTE: i64 = 60_000_000_000;

#[test]
fn prom_durations_parse_with_prometheus_rules_and_errors() {
    assert_eq!(parse_prom_duration("5m"), Ok(5 * MINUTE));
    assert_eq!(parse_prom_duration("1h30m"), Ok(90 * MINUTE));
    assert_eq!(parse_prom_duration("1d"), Ok(24 * 60 * MINUTE));
    assert_eq!(parse_prom_duration("1w"), Ok(7 * 24 * 60 * MINUTE));
    assert_eq!(parse_prom_duration("1y"), Ok(365 * 24 * 60 * MINUTE));
    assert_eq!(parse_prom_duration("1s500ms"), Ok(1_500_000_000));
    assert_eq!(parse_prom_duration("0"), Ok(0));
    assert_eq!(
        parse_prom_duration(""),
        Err("empty duration string".to_owned())
    );
    assert_eq!(
        parse_prom_duration("5minutes"),
        Err(r#"unknown unit "minutes" in duration "5minutes""#.to_owned())
    );
    assert_eq!(
        parse_prom_duration("30m1h"),
        Err(r#"not a valid duration string: "30m1h""#.to_owned())
    );
    assert_eq!(
        parse_prom_duration(" 5m"),
        Err(r#"not a valid duration string: " 5m""#.to_owned())
    );
    assert_eq!(
        parse_prom_duration("5"),
        Err(r#"not a valid duration string: "5""#.to_owned())
    );
    assert_eq!(
        parse_prom_duration("300y"),
        Err("duration out of range".to_owned())
    );
}

#[test]
fn go_durations_parse_with_go_rules() {
    assert_eq!(parse_go_duration("1.5h"), Ok(90 * MINUTE));
    assert_eq!(parse_go_duration("-5m"), Ok(-5 * MINUTE));
    assert_eq!(parse_go_duration("250ms"), Ok(250_000_000));
    assert_eq!(parse_go_duration("1µs"), Ok(1_000));
    assert_eq!(parse_go_duration("1μs"), Ok(1_000));
    assert_eq!(parse_go_duration(".5s"), Ok(500_000_000));
    assert_eq!(parse_go_duration("1h0m0.000000001s"), Ok(3_600_000_000_001));
    assert_eq!(parse_go_duration("0"), Ok(0));
    assert!(parse_go_duration("5").is_err(), "a unit is required");
    assert!(parse_go_duration("1d").is_err(), "Go has no days");
    assert!(parse_go_duration("-").is_err());
    assert!(parse_go_duration(".s").is_err());
    assert!(parse_go_duration("9999999h").is_err(), "overflow");
    assert_eq!(parse_go_duration("-2562047h47m16.854775808s"), Ok(i64::MIN));
    assert!(parse_go_duration("2562047h47m16.854775808s").is_err());
    assert_eq!(parse_duration("1d"), Some(24 * 60 * MINUTE));
    assert_eq!(parse_duration("1.5m"), Some(90_000_000_000));
}

#[test]
fn durations_print_like_go_and_prometheus() {
    assert_eq!(format_go_duration(0), "0s");
    assert_eq!(format_go_duration(5 * MINUTE), "5m0s");
    assert_eq!(format_go_duration(60 * MINUTE), "1h0m0s");
    assert_eq!(format_go_duration(90_500_000_000), "1m30.5s");
    assert_eq!(format_go_duration(250_000_000), "250ms");
    assert_eq!(format_go_duration(1_500), "1.5µs");
    assert_eq!(format_go_duration(7), "7ns");
    assert_eq!(format_go_duration(-5 * MINUTE), "-5m0s");
    assert_eq!(format_go_duration(i64::MIN), "-2562047h47m16.854775808s");
    assert_eq!(format_prom_duration(5 * MINUTE), "5m");
    assert_eq!(format_prom_duration(90 * MINUTE), "1h30m");
    assert_eq!(format_prom_duration(24 * 60 * MINUTE), "1d");
    assert_eq!(format_prom_duration(10 * 24 * 60 * MINUTE), "10d");
    assert_eq!(format_prom_duration(14 * 24 * 60 * MINUTE), "2w");
    assert_eq!(format_prom_duration(90 * 24 * 60 * MINUTE), "90d");
    assert_eq!(format_prom_duration(365 * 24 * 60 * MINUTE), "1y");
    assert_eq!(format_prom_duration(1_500_000_000), "1s500ms");
    assert_eq!(format_prom_duration(0), "0s");
}

#[test]
fn bytes_parse_and_print_like_go_humanize() {
    assert_eq!(parse_humanized_bytes("10KB"), Ok(10_000));
    assert_eq!(parse_humanized_bytes("10kB"), Ok(10_000));
    assert_eq!(parse_humanized_bytes("5MiB"), Ok(5 << 20));
    assert_eq!(parse_humanized_bytes("2.5KiB"), Ok(2560));
    assert_eq!(parse_humanized_bytes("1.5GB"), Ok(1_500_000_000));
    assert_eq!(parse_humanized_bytes("42B"), Ok(42));
    assert_eq!(parse_humanized_bytes("10M"), Ok(10_000_000));
    assert_eq!(parse_humanized_bytes("10Ki"), Ok(10 << 10));
    assert!(parse_humanized_bytes("10XB").is_err());
    assert!(parse_humanized_bytes("1.2.3KB").is_err());
    assert!(
        parse_humanized_bytes("100EB").is_err(),
        "does not fit in u64"
    );
    assert_eq!(format_humanized_bytes(5), "5B");
    assert_eq!(format_humanized_bytes(10_000), "10kB");
    assert_eq!(format_humanized_bytes(2560), "2.6kB");
    assert_eq!(format_humanized_bytes(1_500_000), "1.5MB");
    assert_eq!(format_humanized_bytes(10_000_000_000), "10GB");
    assert_eq!(format_humanized_bytes(u64::MAX), "18EB");
}

proptest! {
    #[test]
    fn go_durations_read_back(ns in prop_oneof![
        any::<i64>(),
        -1_000_000_000i64..1_000_000_000,
        (-10_000i64..10_000).prop_map(|m| m * MINUTE),
    ]) {
        prop_assert_eq!(parse_go_duration(&format_go_duration(ns)), Ok(ns));
        prop_assert_eq!(parse_duration(&format_go_duration(ns)), Some(ns));
    }

    #[test]
    fn prom_durations_read_back(ms in 0i64..9_000_000_000_000) {
        let ns = ms * 1_000_000;
        prop_assert_eq!(parse_prom_duration(&format_prom_duration(ns)), Ok(ns));
    }
}
