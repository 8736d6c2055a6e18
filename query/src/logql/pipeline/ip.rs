//! `ip("...")` matching, after Loki's `pkg/logql/log/ip.go` (v3).
//!
//! A pattern is a single address (`192.168.0.1`, `::1`), a CIDR prefix (`10.0.0.0/8`) or an
//! inclusive range (`192.168.0.1-192.168.0.20`), IPv4 or IPv6; Go's `netip` parses them, and
//! an address matches only a pattern of its own family (`::ffff:1.2.3.4` is not `1.2.3.4`).
//!
//! In a line, addresses are found as Loki finds them, without a regex: scanning left to right,
//! a position where an IPv4 address could start (a digit with a `.` within the next three
//! bytes) or an IPv6 one (hex digits then `:`, or `::` and a hex digit) starts a candidate:
//! the longest run of characters an address of that family may contain. When the candidate
//! parses and matches, the line matches; otherwise the scan resumes after the candidate. A
//! label value is scanned the same way.

// Lines come from outside the process.
#![deny(clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::PipelineError;
use super::convert::go_quote;

/// A compiled `ip("...")` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IpPattern {
    /// One address.
    Single(IpAddr),
    /// Addresses whose first `bits` bits are the prefix's (stored masked).
    Prefix { network: IpAddr, bits: u8 },
    /// Addresses from `from` to `to`, inclusive, of one family.
    Range { from: IpAddr, to: IpAddr },
}

impl IpPattern {
    /// Parses a pattern as Loki's `getMatcher` does: address, then CIDR, then range.
    pub(crate) fn parse(pattern: &str) -> Result<Self, PipelineError> {
        let parsed = parse_addr(pattern)
            .map(IpPattern::Single)
            .or_else(|| parse_prefix(pattern))
            .or_else(|| parse_range(pattern));
        parsed.ok_or_else(|| PipelineError {
            message: format!("ip: invalid pattern: {}", go_quote(pattern)),
        })
    }

    /// True when `ip` is in the pattern.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match *self {
            IpPattern::Single(addr) => addr == ip,
            IpPattern::Prefix { network, bits } => {
                same_family(network, ip) && mask(ip, bits) == network
            }
            IpPattern::Range { from, to } => {
                same_family(from, ip)
                    && addr_bits(from) <= addr_bits(ip)
                    && addr_bits(ip) <= addr_bits(to)
            }
        }
    }

    /// True when `text` contains an address in the pattern (see the module docs).
    pub(crate) fn matches_in(&self, text: &[u8]) -> bool {
        let n = text.len();
        let mut i = 0;
        while i < n {
            let rest = text.get(i..).unwrap_or_default();
            let charset: Option<fn(u8) -> bool> = if i + 3 < n && ipv4_hint(rest) {
                Some(is_ipv4_char)
            } else if i + 4 < n && ipv6_hint(rest) {
                Some(is_ipv6_char)
            } else {
                None
            };
            if let Some(in_charset) = charset {
                let len = rest.iter().take_while(|&&b| in_charset(b)).count();
                let candidate = rest.get(..len).unwrap_or_default();
                let found = std::str::from_utf8(candidate).ok().and_then(parse_addr);
                if found.is_some_and(|ip| self.contains(ip)) {
                    return true;
                }
                i += len;
            }
            i += 1;
        }
        false
    }
}

fn is_ipv4_char(b: u8) -> bool {
    b.is_ascii_digit() || b == b'.'
}

fn is_ipv6_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// A digit with a `.` in one of the next three bytes (`rest` has at least four).
fn ipv4_hint(rest: &[u8]) -> bool {
    match rest {
        [first, a, b, c, ..] => first.is_ascii_digit() && (*a == b'.' || *b == b'.' || *c == b'.'),
        _ => false,
    }
}

/// `::` and a hex digit, or one to four hex digits then `:` (`rest` has at least five).
fn ipv6_hint(rest: &[u8]) -> bool {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    match rest {
        [b':', b':', c, ..] if hex(c) => true,
        [a, b':', ..] if hex(a) => true,
        [a, b, b':', ..] if hex(a) && hex(b) => true,
        [a, b, c, b':', ..] if hex(a) && hex(b) && hex(c) => true,
        [a, b, c, d, b':', ..] => hex(a) && hex(b) && hex(c) && hex(d),
        _ => false,
    }
}

/// Go's `netip.ParseAddr` for what may appear here (no zones: `%` starts none in a line, and
/// a zoned pattern never matches an address found in one).
fn parse_addr(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        parse_ipv4(s).map(IpAddr::V4)
    }
}

/// Dotted decimal, four fields of 0..=255 without leading zeros, as Go reads IPv4.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut fields = s.split('.');
    for octet in &mut octets {
        let field = fields.next()?;
        let leading_zero = field.len() > 1 && field.starts_with('0');
        if field.is_empty() || field.len() > 3 || leading_zero {
            return None;
        }
        if !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = field.parse().ok()?;
    }
    fields.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// Go's `netip.ParsePrefix`: `addr/bits`, bits in decimal without sign or leading zeros and
/// at most the family's length; the address is masked.
fn parse_prefix(s: &str) -> Option<IpPattern> {
    let (addr, bits) = s.rsplit_once('/')?;
    let addr = parse_addr(addr)?;
    let leading_zero = bits.len() > 1 && bits.starts_with('0');
    if bits.is_empty() || leading_zero || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then(|| IpPattern::Prefix {
        network: mask(addr, bits),
        bits,
    })
}

/// netipx's `ParseIPRange`: `from-to`, one family, `from <= to`.
fn parse_range(s: &str) -> Option<IpPattern> {
    let (from, to) = s.split_once('-')?;
    let (from, to) = (parse_addr(from)?, parse_addr(to)?);
    (same_family(from, to) && addr_bits(from) <= addr_bits(to))
        .then_some(IpPattern::Range { from, to })
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// The address as a number, for range comparisons within one family.
fn addr_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// `ip` with all but its first `bits` bits cleared.
fn mask(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep))
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep))
        }
    }
}

#[cfg(test)]
#[path = "ip_tests.rs"]
mod tests;
