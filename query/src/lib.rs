//! The PromQL and LogQL engines (`query`).
//!
//! Not built yet: their issues come after the storage engines. The crate exists so that the workspace
//! layout in `DESIGN.md` is in place from the start.
#![forbid(unsafe_code)]
