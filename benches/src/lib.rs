//! Criterion benches and the `capacity` capacity-planning tool.
#![forbid(unsafe_code)]
