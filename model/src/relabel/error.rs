//! Why a relabel rule was refused. The texts are Prometheus's, so an error reads the same as
//! `promtool check config` prints it.

use super::config::Action;

/// A relabel rule that Prometheus would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelabelError {
    /// `action` is not one of the known actions.
    #[error("unknown relabel action {0:?}")]
    UnknownAction(String),
    /// A `source_labels` entry that is not a valid label name.
    #[error("{0:?} is not a valid label name")]
    InvalidSourceLabel(String),
    /// `regex` does not compile.
    #[error("error parsing regexp {pattern:?}: {reason}")]
    InvalidRegex {
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler said.
        reason: String,
    },
    /// `hashmod` with `modulus` absent or 0.
    #[error("relabel configuration for hashmod requires non-zero modulus")]
    ZeroModulus,
    /// An action that writes a label, without `target_label`.
    #[error("relabel configuration for {0} action requires 'target_label' value")]
    MissingTargetLabel(Action),
    /// A `target_label` that is not a label name (nor, for `replace`, a `$1`/`${name}` template).
    #[error("{target:?} is invalid 'target_label' for {action} action")]
    InvalidTargetLabel {
        /// The target as written.
        target: String,
        /// The rule's action.
        action: Action,
    },
    /// `replacement` given to an action that takes none.
    #[error("'replacement' can not be set for {0} action")]
    ReplacementNotAllowed(Action),
    /// A `labelmap` replacement that is not a label-name template.
    #[error("{replacement:?} is invalid 'replacement' for {action} action")]
    InvalidReplacement {
        /// The replacement as written.
        replacement: String,
        /// The rule's action.
        action: Action,
    },
    /// `keepequal`/`dropequal` with fields other than `source_labels` and `target_label`.
    #[error("{0} action requires only 'source_labels' and `target_label`, and no other fields")]
    OnlySourceAndTarget(Action),
    /// `labeldrop`/`labelkeep` with fields other than `regex`.
    #[error("{0} action requires only 'regex', and no other fields")]
    OnlyRegex(Action),
}
