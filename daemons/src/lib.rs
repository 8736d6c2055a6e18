//! The `tsdbd` and `logd` daemons. Today `tsdbd` has its `backfill` command; the servers arrive
//! with their issues.
#![forbid(unsafe_code)]

pub mod backfill;
pub mod config;
