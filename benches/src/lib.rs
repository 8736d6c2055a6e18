//! Criterion benches and the `capacity` capacity-planning tool.
//!
//! The library part holds what both share: loading the label sets of
//! `promtool tsdb bench write`, synthesizing loghub lines (`loghub`) and running `capacity logs`
//! on them (`logs_capacity`), and reading the process's memory figures. `unsafe` is denied
//! except in `live_heap`, the counting allocator (listed in UNSAFE.md).
#![deny(unsafe_code)]

pub mod live_heap;
pub mod loghub;
pub mod logs_capacity;
pub mod procstat;
pub mod workload;
