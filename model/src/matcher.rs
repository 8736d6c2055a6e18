//! Label matchers, with Prometheus's semantics.
//!
//! A matcher tests one label's value; an absent label matches as the empty string, so `{a=""}`
//! selects series without `a` and `{a!=""}` those that have it. Regexes are fully anchored
//! (`^(?:re)$`) and use RE2 syntax as the `regex` crate implements it.

use std::fmt;

use regex::Regex;

use crate::error::LabelError;

/// The four kinds of matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regex => "=~",
            MatchType::NotRegex => "!~",
        })
    }
}

/// One label matcher.
#[derive(Clone)]
pub struct Matcher {
    kind: MatchType,
    name: String,
    value: String,
    /// Compiled, anchored regex for `Regex` and `NotRegex`; `None` for the others.
    re: Option<Regex>,
    /// For regexes that are a plain alternation of literals (`a|b|c`), the literals, sorted, so
    /// that indexes can look each one up instead of scanning every value.
    set: Option<Vec<String>>,
}

impl Matcher {
    /// A matcher; fails when a regex does not compile.
    pub fn new(
        kind: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, LabelError> {
        let name = name.into();
        let value = value.into();
        let (re, set) = match kind {
            MatchType::Regex | MatchType::NotRegex => {
                let re = Regex::new(&format!("^(?s:{value})$")).map_err(|e| {
                    LabelError::InvalidRegex {
                        name: name.clone(),
                        pattern: value.clone(),
                        reason: e.to_string(),
                    }
                })?;
                (Some(re), literal_alternation(&value))
            }
            _ => (None, None),
        };
        Ok(Self {
            kind,
            name,
            value,
            re,
            set,
        })
    }

    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: MatchType::Equal,
            name: name.into(),
            value: value.into(),
            re: None,
            set: None,
        }
    }

    /// The kind of matcher.
    pub fn kind(&self) -> MatchType {
        self.kind
    }

    /// The label name it tests.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value or pattern as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// True when `value` (the empty string for an absent label) passes.
    pub fn matches(&self, value: &str) -> bool {
        match self.kind {
            MatchType::Equal => value == self.value,
            MatchType::NotEqual => value != self.value,
            MatchType::Regex => self.regex_matches(value),
            MatchType::NotRegex => !self.regex_matches(value),
        }
    }

    fn regex_matches(&self, value: &str) -> bool {
        if let Some(set) = &self.set {
            return set.binary_search_by(|s| s.as_str().cmp(value)).is_ok();
        }
        self.re.as_ref().is_some_and(|re| re.is_match(value))
    }

    /// True when the empty string (an absent label) passes, e.g. `a=""`, `a!="x"`, `a=~".*"`.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// For `=` and for regexes that are an alternation of literals, the finite set of values that
    /// pass, sorted; `None` when the set is not known to be finite.
    pub fn set_matches(&self) -> Option<Vec<&str>> {
        match self.kind {
            MatchType::Equal => Some(vec![self.value.as_str()]),
            MatchType::Regex => self
                .set
                .as_ref()
                .map(|s| s.iter().map(String::as_str).collect()),
            _ => None,
        }
    }
}

/// The literals of a regex of the form `a|b|c` made only of characters that are not regex syntax,
/// sorted and deduplicated; `None` for any other pattern.
fn literal_alternation(pattern: &str) -> Option<Vec<String>> {
    const META: &[char] = &[
        '\\', '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '^', '$',
    ];
    if pattern.contains(META) {
        return None;
    }
    let mut set: Vec<String> = pattern.split('|').map(str::to_owned).collect();
    set.sort_unstable();
    set.dedup();
    Some(set)
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.kind, self.value)
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.value == other.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: MatchType, v: &str) -> Matcher {
        Matcher::new(kind, "a", v).unwrap()
    }

    #[test]
    fn regexes_are_fully_anchored() {
        assert!(m(MatchType::Regex, "fo+").matches("foo"));
        assert!(!m(MatchType::Regex, "fo+").matches("xfoo"));
        assert!(!m(MatchType::Regex, "fo+").matches("foox"));
        assert!(m(MatchType::Regex, "a|b").matches("b"));
        assert!(!m(MatchType::Regex, "a|b").matches("ab"));
        assert!(m(MatchType::NotRegex, "a|b").matches("c"));
        assert!(m(MatchType::Regex, ".*").matches("line\nbreak"));
    }

    #[test]
    fn empty_value_semantics() {
        assert!(m(MatchType::Equal, "").matches_empty());
        assert!(!m(MatchType::NotEqual, "").matches_empty());
        assert!(m(MatchType::Regex, ".*").matches_empty());
        assert!(!m(MatchType::Regex, ".+").matches_empty());
        assert!(m(MatchType::NotEqual, "x").matches_empty());
    }

    #[test]
    fn set_matches_only_for_literal_alternations() {
        assert_eq!(
            m(MatchType::Regex, "b|a|b").set_matches(),
            Some(vec!["a", "b"])
        );
        assert_eq!(m(MatchType::Regex, "a.*").set_matches(), None);
        assert_eq!(m(MatchType::NotRegex, "a|b").set_matches(), None);
        assert_eq!(m(MatchType::Equal, "x").set_matches(), Some(vec!["x"]));
    }

    #[test]
    fn bad_regex_is_an_error_naming_the_label() {
        let err = Matcher::new(MatchType::Regex, "job", "(").unwrap_err();
        assert!(err.to_string().contains("job"));
    }
}
