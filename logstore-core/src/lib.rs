//! The label-indexed, chunked log engine (`logstore-core`).
//!
//! Not built yet: its issue comes after `tsdb-core`. The crate exists so that the workspace layout in
//! `DESIGN.md` is in place from the start.
#![forbid(unsafe_code)]
