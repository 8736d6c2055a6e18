//! One relabel rule: the fields as written ([`RelabelSpec`]) and the validated, compiled rule
//! ([`RelabelConfig`]).

use std::fmt;
use std::str::FromStr;

use regex::Regex;

use super::error::RelabelError;
use super::expand::is_label_name_template;
use crate::labels::is_valid_label_name;

/// The separator between joined source values when none is given.
pub const DEFAULT_SEPARATOR: &str = ";";
/// The regex when none is given.
pub const DEFAULT_REGEX: &str = "(.*)";
/// The replacement when none is given.
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Action {
    /// Writes the expanded `replacement` to the expanded `target_label` when `regex` matches the
    /// joined source values (an empty result deletes the target).
    #[default]
    Replace,
    /// Drops the label set unless `regex` matches the joined source values.
    Keep,
    /// Drops the label set when `regex` matches the joined source values.
    Drop,
    /// Drops the label set unless `target_label`'s value equals the joined source values.
    KeepEqual,
    /// Drops the label set when `target_label`'s value equals the joined source values.
    DropEqual,
    /// Sets `target_label` to the MD5 hash of the joined source values modulo `modulus`.
    HashMod,
    /// Copies every label whose name matches `regex` to the name the expanded `replacement` gives.
    LabelMap,
    /// Removes every label whose name matches `regex`.
    LabelDrop,
    /// Removes every label whose name does not match `regex`.
    LabelKeep,
    /// Sets `target_label` to the joined source values in lower case.
    Lowercase,
    /// Sets `target_label` to the joined source values in upper case.
    Uppercase,
}

impl Action {
    /// The name as written in a configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Actions that write `target_label` from the joined source values.
    fn needs_target(self) -> bool {
        matches!(
            self,
            Action::Replace
                | Action::HashMod
                | Action::Lowercase
                | Action::Uppercase
                | Action::KeepEqual
                | Action::DropEqual
        )
    }

    /// Actions whose `target_label` is a plain name and that take no `replacement`.
    fn plain_target_without_replacement(self) -> bool {
        matches!(
            self,
            Action::Lowercase | Action::Uppercase | Action::KeepEqual | Action::DropEqual
        )
    }
}

impl FromStr for Action {
    type Err = RelabelError;

    /// Parses an action name case-insensitively, as Prometheus does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const ALL: [Action; 11] = [
            Action::Replace,
            Action::Keep,
            Action::Drop,
            Action::KeepEqual,
            Action::DropEqual,
            Action::HashMod,
            Action::LabelMap,
            Action::LabelDrop,
            Action::LabelKeep,
            Action::Lowercase,
            Action::Uppercase,
        ];
        let lower = s.to_lowercase();
        ALL.into_iter()
            .find(|a| a.as_str() == lower)
            .ok_or_else(|| RelabelError::UnknownAction(s.to_owned()))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A relabel rule as written, before validation. `Default` gives Prometheus's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelabelSpec {
    /// Labels whose values are joined with `separator`; `None` when the field is absent
    /// (`labeldrop`/`labelkeep` refuse even an empty list).
    pub source_labels: Option<Vec<String>>,
    /// Joins the source values; default `;`.
    pub separator: String,
    /// The pattern, unanchored as written; `None` when absent, which means `(.*)`. An explicit
    /// pattern counts as "set" even when it is `(.*)`, as in Prometheus.
    pub regex: Option<String>,
    /// Modulus for `hashmod`; 0 when absent.
    pub modulus: u64,
    /// The label written to; empty when absent.
    pub target_label: String,
    /// The replacement template; default `$1`.
    pub replacement: String,
    /// What the rule does; default `replace`.
    pub action: Action,
}

impl Default for RelabelSpec {
    fn default() -> Self {
        Self {
            source_labels: None,
            separator: DEFAULT_SEPARATOR.to_owned(),
            regex: None,
            modulus: 0,
            target_label: String::new(),
            replacement: DEFAULT_REPLACEMENT.to_owned(),
            action: Action::Replace,
        }
    }
}

/// A validated relabel rule with its compiled, anchored regex.
#[derive(Clone)]
pub struct RelabelConfig {
    spec: RelabelSpec,
    /// `^(?:pattern)$` of `spec.regex`, or of `(.*)` when it is `None`.
    regex: Regex,
}

impl RelabelConfig {
    /// Compiles and validates a rule, refusing what Prometheus refuses, with its messages.
    pub fn new(spec: RelabelSpec) -> Result<Self, RelabelError> {
        for name in spec.source_labels.iter().flatten() {
            if !is_valid_label_name(name) {
                return Err(RelabelError::InvalidSourceLabel(name.clone()));
            }
        }
        let pattern = spec.regex.as_deref().unwrap_or(DEFAULT_REGEX);
        let regex =
            Regex::new(&format!("^(?:{pattern})$")).map_err(|e| RelabelError::InvalidRegex {
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            })?;
        validate(&spec)?;
        Ok(Self { spec, regex })
    }

    /// The fields as written.
    pub fn spec(&self) -> &RelabelSpec {
        &self.spec
    }

    /// What the rule does.
    pub fn action(&self) -> Action {
        self.spec.action
    }

    /// The source label names (empty when absent).
    pub fn source_labels(&self) -> &[String] {
        self.spec.source_labels.as_deref().unwrap_or(&[])
    }

    /// The separator between joined source values.
    pub fn separator(&self) -> &str {
        &self.spec.separator
    }

    /// The pattern as written (`(.*)` when absent), without the anchors.
    pub fn regex_pattern(&self) -> &str {
        self.spec.regex.as_deref().unwrap_or(DEFAULT_REGEX)
    }

    /// The compiled, anchored regex.
    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    /// The `hashmod` modulus (0 for other actions when absent).
    pub fn modulus(&self) -> u64 {
        self.spec.modulus
    }

    /// The target label (may be a template for `replace`).
    pub fn target_label(&self) -> &str {
        &self.spec.target_label
    }

    /// The replacement template.
    pub fn replacement(&self) -> &str {
        &self.spec.replacement
    }
}

impl PartialEq for RelabelConfig {
    /// Two rules are equal when written alike; the compiled regex follows from the pattern.
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Eq for RelabelConfig {}

impl fmt::Debug for RelabelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.spec, f)
    }
}

/// Prometheus's `Config.Validate`, check for check and in the same order, so the first problem
/// reported is the one Prometheus reports.
fn validate(spec: &RelabelSpec) -> Result<(), RelabelError> {
    let action = spec.action;
    let target = spec.target_label.as_str();
    if action == Action::HashMod && spec.modulus == 0 {
        return Err(RelabelError::ZeroModulus);
    }
    if action.needs_target() && target.is_empty() {
        return Err(RelabelError::MissingTargetLabel(action));
    }
    let invalid_target = || RelabelError::InvalidTargetLabel {
        target: target.to_owned(),
        action,
    };
    if action == Action::Replace {
        let valid = if target.contains('$') {
            is_label_name_template(target)
        } else {
            is_valid_label_name(target)
        };
        if !valid {
            return Err(invalid_target());
        }
    }
    if action.plain_target_without_replacement() {
        if !is_valid_label_name(target) {
            return Err(invalid_target());
        }
        if spec.replacement != DEFAULT_REPLACEMENT {
            return Err(RelabelError::ReplacementNotAllowed(action));
        }
    }
    if action == Action::LabelMap && !is_label_name_template(&spec.replacement) {
        return Err(RelabelError::InvalidReplacement {
            replacement: spec.replacement.clone(),
            action,
        });
    }
    if action == Action::HashMod && !is_valid_label_name(target) {
        return Err(invalid_target());
    }
    let other_fields_set = spec.modulus != 0
        || spec.separator != DEFAULT_SEPARATOR
        || spec.replacement != DEFAULT_REPLACEMENT;
    if matches!(action, Action::KeepEqual | Action::DropEqual)
        && (spec.regex.is_some() || other_fields_set)
    {
        return Err(RelabelError::OnlySourceAndTarget(action));
    }
    if matches!(action, Action::LabelDrop | Action::LabelKeep)
        && (spec.source_labels.is_some() || !target.is_empty() || other_fields_set)
    {
        return Err(RelabelError::OnlyRegex(action));
    }
    Ok(())
}
