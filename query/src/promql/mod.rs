//! The PromQL engine.
//!
//! [`Engine::instant`] and [`Engine::range`] parse a query, select its series once through a
//! [`Queryable`], and evaluate it series-at-a-time over every step. Results come back as a
//! [`QueryResult`]: a [`QueryValue`] plus the warnings and infos Prometheus would attach.

mod durations;
mod engine;
mod error;
mod eval;
/// The `anchored` / `smoothed` selector modifiers, which the parser has no grammar for.
mod extended;
pub mod functions;
#[cfg(any(test, feature = "testing"))]
mod fuzzing;
mod parse;
mod value;

pub use engine::{CancelToken, Engine, EngineOptions};
pub use error::QueryError;
#[cfg(any(test, feature = "testing"))]
pub use fuzzing::fuzz_query;
pub use value::{InstantSample, QueryResult, QueryValue, RangeSeries};
