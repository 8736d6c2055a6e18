//! The LogQL engine: parser, canonical printer, log pipeline and evaluator over
//! [`model::LogQuerier`].
//!
//! * [`syntax`]: the parser and the syntax tree;
//! * [`pipeline`]: the stages a log query runs over each entry, and sample extraction;
//! * [`Engine`]: range and instant queries with Loki v3's semantics, limits and errors
//!   ([`QueryError`]), answering a [`QueryResponse`] whose [`QueryResponse::to_json`] is the
//!   `data` object of Loki's query API.

pub mod engine;
mod eval;
#[cfg(any(test, feature = "testing"))]
mod fuzzing;
pub mod pipeline;
pub mod result;
pub mod syntax;
pub mod template;

pub use engine::{Engine, EngineOptions, InstantQuery, RangeQuery};
pub use eval::error::{LimitError, QueryError};
#[cfg(any(test, feature = "testing"))]
pub use fuzzing::fuzz_pipeline;
pub use result::{LogStream, QueryData, QueryResponse, Statistics, StreamEntry};
