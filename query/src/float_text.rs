//! How Go (and so Prometheus and Loki) spells the floats that have no digits.

/// `NaN`, `+Inf` or `-Inf` for the non-finite floats, `None` for every finite one.
pub(crate) fn non_finite_name(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}
