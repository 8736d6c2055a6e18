//! Criterion benches and the `capacity` capacity-planning tool.
//!
//! The library part holds what both share: loading the label sets of
//! `promtool tsdb bench write`, and reading the process's memory figures.
#![forbid(unsafe_code)]

pub mod procstat;
pub mod workload;
