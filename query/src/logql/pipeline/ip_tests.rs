//! `ip(...)` patterns and the address scan, against Loki's `ip_test.go` expectations.

use std::net::IpAddr;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pattern(s: &str) -> IpPattern {
    IpPattern::parse(s).unwrap()
}

#[test]
fn patterns_parse_as_go_netip_reads_them() {
    assert_eq!(pattern("192.168.0.1"), IpPattern::Single(ip("192.168.0.1")));
    assert_eq!(
        pattern("192.168.5.1/16"),
        IpPattern::Prefix {
            network: ip("192.168.0.0"),
            bits: 16
        }
    );
    assert_eq!(
        pattern("192.168.0.1-192.168.0.20"),
        IpPattern::Range {
            from: ip("192.168.0.1"),
            to: ip("192.168.0.20")
        }
    );
    assert_eq!(pattern("::1"), IpPattern::Single(ip("::1")));
    assert!(matches!(
        pattern("2001:db8::/32"),
        IpPattern::Prefix { bits: 32, .. }
    ));
    for bad in [
        "",
        "192.168.0",
        "192.168.0.256",
        "192.168.00.1",
        "192.168.0.1/33",
        "192.168.0.1/016",
        "192.168.0.1/",
        "::1/129",
        "192.168.0.20-192.168.0.1",
        "192.168.0.1-::2",
        "192.168.0.1 - 192.168.0.2",
        "abc",
    ] {
        assert!(IpPattern::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        IpPattern::parse("abc").unwrap_err().message,
        r#"ip: invalid pattern: "abc""#
    );
}

#[test]
fn families_do_not_mix() {
    assert!(!pattern("1.2.3.4").contains(ip("::ffff:1.2.3.4")));
    assert!(!pattern("0.0.0.0/0").contains(ip("::1")));
    assert!(pattern("0.0.0.0/0").contains(ip("8.8.8.8")));
    assert!(pattern("::/0").contains(ip("::ffff:1.2.3.4")));
    assert!(!pattern("::/0").contains(ip("1.2.3.4")));
}

#[test]
fn addresses_are_found_anywhere_in_a_line() {
    let p = pattern("192.168.0.1");
    assert!(p.matches_in(b"192.168.0.1"));
    assert!(p.matches_in(b"from 192.168.0.1:8080 to x"));
    assert!(p.matches_in(b"ip=192.168.0.1,"));
    assert!(!p.matches_in(b"192.168.0.10"));
    // The scan starts a candidate where the hint fits, not at a word boundary (as Loki).
    assert!(p.matches_in(b"1192.168.0.1"));
    assert!(!p.matches_in(b""));
    let cidr = pattern("192.168.0.0/24");
    assert!(cidr.matches_in(b"a 192.168.0.3 b 10.0.0.1"));
    assert!(cidr.matches_in(b"a 10.0.0.1 b 192.168.0.250"));
    assert!(!cidr.matches_in(b"a 10.0.0.1 b 192.168.1.250"));
    let range = pattern("192.168.0.1-192.168.0.5");
    assert!(range.matches_in(b"x192.168.0.4x"));
    assert!(!range.matches_in(b"x192.168.0.6x"));
}

#[test]
fn ipv6_addresses_are_found_with_loki_hints() {
    let p = pattern("::1");
    assert!(p.matches_in(b"connect ::1 ok"));
    // Loki needs five bytes from the start of an IPv6 candidate.
    assert!(!p.matches_in(b"x ::1"));
    let p = pattern("2001:db8::/32");
    assert!(p.matches_in(b"peer=2001:db8:0:1::5, ok"));
    assert!(p.matches_in(b"[2001:db8::1]:443"));
    assert!(!p.matches_in(b"peer=2001:db9::5"));
    let p = pattern("fe80::1-fe80::ff");
    assert!(p.matches_in(b"addr fe80::a0 up"));
    assert!(!p.matches_in(b"addr fe80::100 up"));
}

#[test]
fn leading_zeros_are_not_addresses() {
    assert!(!pattern("1.2.3.4").matches_in(b"01.2.3.4"));
    assert!(pattern("1.2.3.4").matches_in(b"0 1.2.3.4"));
}
