//! Float samples and the staleness marker.

/// The bit pattern of Prometheus's staleness marker: a NaN that storage must keep bit-exact, since
/// the query engine tells it apart from ordinary NaNs by its bits.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The staleness marker as an `f64`.
pub const STALE_NAN: f64 = f64::from_bits(STALE_NAN_BITS);

/// True when `v` is exactly the staleness marker (not merely some NaN).
#[inline]
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One float sample: a timestamp in milliseconds since the Unix epoch and a value.
///
/// Equality compares values by bits, so NaN payloads and the staleness marker are told apart
/// and `Sample`s can be compared in tests.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// The value; any bit pattern is allowed.
    pub v: f64,
}

impl Sample {
    /// A sample at `t` with value `v`.
    #[inline]
    pub const fn new(t: i64, v: f64) -> Self {
        Self { t, v }
    }
}

impl PartialEq for Sample {
    fn eq(&self, other: &Self) -> bool {
        self.t == other.t && self.v.to_bits() == other.v.to_bits()
    }
}

impl Eq for Sample {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_marker_is_a_nan_told_apart_by_bits() {
        assert!(STALE_NAN.is_nan());
        assert!(is_stale_nan(STALE_NAN));
        assert!(!is_stale_nan(f64::NAN));
        assert_ne!(Sample::new(1, f64::NAN), Sample::new(1, STALE_NAN));
        assert_eq!(Sample::new(1, STALE_NAN), Sample::new(1, STALE_NAN));
    }
}
