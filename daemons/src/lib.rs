//! The `tsdbd` and `logd` daemons; the binaries arrive with their issues.
#![forbid(unsafe_code)]
