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
mod parse;
mod value;

pub use engine::{CancelToken, Engine, EngineOptions};
pub use error::QueryError;
pub use value::{InstantSample, QueryResult, QueryValue, RangeSeries};
