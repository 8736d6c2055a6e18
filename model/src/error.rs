//! Errors of the shared types.

use std::fmt;

/// Why a label set or a matcher was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("invalid label name {0:?}")]
    InvalidName(String),
    /// A metric name (`__name__` value) that is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name {0:?}")]
    InvalidMetricName(String),
    /// The same label name given twice in one label set.
    #[error("duplicate label name {0:?}")]
    DuplicateName(String),
    /// A regex matcher whose pattern does not compile.
    #[error("invalid regex {pattern:?} in matcher for label {name:?}: {reason}")]
    InvalidRegex {
        /// The label the matcher is for.
        name: String,
        /// The pattern as given.
        pattern: String,
        /// What the regex compiler said.
        reason: String,
    },
}

/// An error a storage engine reports through the storage traits.
///
/// The query engine cannot act on the details, so they travel as a boxed source with a short context.
#[derive(Debug, thiserror::Error)]
pub struct StorageError {
    context: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StorageError {
    /// An error with a message and no underlying cause.
    pub fn msg(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            source: None,
        }
    }

    /// An error that wraps the engine's own error.
    pub fn wrap(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.context),
            None => f.write_str(&self.context),
        }
    }
}
