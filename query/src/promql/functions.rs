//! The numeric kernels of PromQL's functions and aggregations, free of evaluation machinery:
//! each works on plain samples or values so that it can be tested against Prometheus's
//! definitions on its own. The evaluator picks the inputs (windows, groups) and calls them.

pub mod aggregate;
pub mod histogram;
pub mod instant;
pub mod range;
