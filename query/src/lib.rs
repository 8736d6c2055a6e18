//! The PromQL and LogQL engines (`query`).
//!
//! * [`promql`]: parses PromQL with the `promql-parser` crate and evaluates it, with the semantics
//!   of current Prometheus, over the storage traits in `model` ([`model::Queryable`]).
#![forbid(unsafe_code)]

mod float_text;
pub mod logql;
pub mod promql;
