//! An embeddable time-series engine for float samples of labelled series.
//!
//! Samples are Gorilla-compressed in chunks bit-compatible with Prometheus's XOR chunks, logged to
//! a write-ahead log before they are acknowledged, kept in an in-memory head whose full chunks live
//! in memory-mapped files, and persisted as immutable blocks in Prometheus's TSDB block layout, so
//! the real `promtool tsdb analyze` and `promtool tsdb dump` read them.
#![deny(unsafe_code)]
// Modules land one at a time and are wired together by the head and block writer; until then
// some crate-internal items have no caller outside their tests.
#![allow(dead_code)]

pub mod encoding;
mod error;
mod mmap;

pub(crate) mod block;
pub(crate) mod chunk;
pub(crate) mod chunk_files;
pub(crate) mod index;
pub(crate) mod wal;

pub use error::{Error, Result};
