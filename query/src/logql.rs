//! The LogQL engine: parser, canonical printer, log pipeline and evaluator over
//! [`model::LogQuerier`].

pub mod syntax;
pub mod template;
