//! Applying relabel rules to a label set.
//!
//! The working state mirrors Prometheus's `labels.Builder`: the untouched input plus a list of
//! labels set and a list of names deleted. A rule list that changes nothing costs no allocation
//! beyond the buffer for joined source values, and the input is returned as a cheap clone.

use md5::{Digest, Md5};

use super::config::{Action, RelabelConfig};
use super::expand::expand_into;
use crate::error::LabelError;
use crate::labels::{Labels, METRIC_NAME, is_valid_label_name, is_valid_metric_name};

/// Applies `rules` in order; `None` when a rule drops the label set or the result is not a valid
/// label set (see [`process_checked`] to tell the two apart).
pub fn process(labels: &Labels, rules: &[RelabelConfig]) -> Option<Labels> {
    process_checked(labels, rules).ok().flatten()
}

/// Applies `rules` in order: `Ok(None)` when a rule drops the label set, an error when the
/// rules produced an invalid label name (possible with `labelmap`) or metric name, which
/// Prometheus refuses after relabeling too.
pub fn process_checked(
    labels: &Labels,
    rules: &[RelabelConfig],
) -> Result<Option<Labels>, LabelError> {
    let mut state = Builder::new(labels);
    let mut joined = String::new();
    for rule in rules {
        if !apply(rule, &mut state, &mut joined) {
            return Ok(None);
        }
    }
    state.finish().map(Some)
}

/// Applies one rule; false when it drops the label set.
fn apply(rule: &RelabelConfig, state: &mut Builder<'_>, joined: &mut String) -> bool {
    joined.clear();
    for (i, name) in rule.source_labels().iter().enumerate() {
        if i > 0 {
            joined.push_str(rule.separator());
        }
        joined.push_str(state.get(name));
    }
    let val = joined.as_str();
    match rule.action() {
        Action::Drop => return !rule.regex().is_match(val),
        Action::Keep => return rule.regex().is_match(val),
        Action::DropEqual => return state.get(rule.target_label()) != val,
        Action::KeepEqual => return state.get(rule.target_label()) == val,
        Action::Replace => replace(rule, state, val),
        Action::Lowercase => state.set(rule.target_label(), &simple_lowercase(val)),
        Action::Uppercase => state.set(rule.target_label(), &simple_uppercase(val)),
        Action::HashMod => {
            let bucket = md5_tail(val) % rule.modulus();
            state.set(rule.target_label(), &bucket.to_string());
        }
        Action::LabelMap => label_map(rule, state),
        Action::LabelDrop => state.delete_where(|name| rule.regex().is_match(name)),
        Action::LabelKeep => state.delete_where(|name| !rule.regex().is_match(name)),
    }
    true
}

/// `replace`: when the regex matches, the expanded target (skipped unless a valid label name)
/// gets the expanded replacement; an empty replacement deletes it.
fn replace(rule: &RelabelConfig, state: &mut Builder<'_>, val: &str) {
    let Some(caps) = rule.regex().captures(val) else {
        return;
    };
    let mut target = String::new();
    expand_into(&mut target, rule.target_label(), &caps);
    if !is_valid_label_name(&target) {
        return;
    }
    let mut value = String::new();
    expand_into(&mut value, rule.replacement(), &caps);
    state.set(&target, &value);
}

/// `labelmap`: every label (as the set stood before this rule) whose name matches is copied to
/// the expanded replacement, in Prometheus's order so that the last copy to a name wins alike.
fn label_map(rule: &RelabelConfig, state: &mut Builder<'_>) {
    let mut copies = Vec::new();
    state.for_each(|name, value| {
        if let Some(caps) = rule.regex().captures(name) {
            let mut new_name = String::new();
            expand_into(&mut new_name, rule.replacement(), &caps);
            copies.push((new_name, value.to_owned()));
        }
    });
    for (name, value) in copies {
        state.set(&name, &value);
    }
}

/// The hash Prometheus's `hashmod` uses: the last 8 bytes of the MD5 digest, big-endian.
fn md5_tail(val: &str) -> u64 {
    let digest: [u8; 16] = Md5::digest(val.as_bytes()).into();
    let [_, _, _, _, _, _, _, _, tail @ ..] = digest;
    u64::from_be_bytes(tail)
}

/// Go's `strings.ToLower`: each character by its simple (one-to-one) mapping, so characters whose
/// full lower case is several characters stay as they are instead of growing.
fn simple_lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| single(c.to_lowercase()).unwrap_or(c))
        .collect()
}

/// Go's `strings.ToUpper`, by simple mappings as [`simple_lowercase`].
fn simple_uppercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars()
        .map(|c| single(c.to_uppercase()).unwrap_or(c))
        .collect()
}

fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

/// Prometheus's `labels.Builder`: the input, the labels set since, and the names deleted since.
struct Builder<'a> {
    base: &'a Labels,
    /// Labels set, in the order first set; never with an empty value.
    add: Vec<(String, String)>,
    /// Names deleted; a name may also be in `add` when set again after its deletion.
    del: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(base: &'a Labels) -> Self {
        Self {
            base,
            add: Vec::new(),
            del: Vec::new(),
        }
    }

    /// The current value of `name`, empty when absent.
    fn get(&self, name: &str) -> &str {
        if let Some((_, v)) = self.add.iter().find(|(n, _)| n == name) {
            return v;
        }
        if self.del.iter().any(|n| n == name) {
            return "";
        }
        self.base.get(name).unwrap_or("")
    }

    /// Sets `name`; an empty value deletes it, since an empty label is an absent one.
    fn set(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            self.delete(name);
            return;
        }
        match self.add.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => value.clone_into(v),
            None => self.add.push((name.to_owned(), value.to_owned())),
        }
    }

    fn delete(&mut self, name: &str) {
        self.add.retain(|(n, _)| n != name);
        if !self.del.iter().any(|n| n == name) {
            self.del.push(name.to_owned());
        }
    }

    /// Calls `f` on every current label: the untouched input labels in name order, then the
    /// labels set, in the order first set (Prometheus's `Builder.Range`).
    fn for_each(&self, mut f: impl FnMut(&str, &str)) {
        for (name, value) in self.base.iter() {
            if !self.overridden(name) {
                f(name, value);
            }
        }
        for (name, value) in &self.add {
            f(name, value);
        }
    }

    /// Deletes every current label whose name passes `pred`.
    fn delete_where(&mut self, pred: impl Fn(&str) -> bool) {
        let mut doomed = Vec::new();
        self.for_each(|name, _| {
            if pred(name) {
                doomed.push(name.to_owned());
            }
        });
        for name in doomed {
            self.delete(&name);
        }
    }

    /// True when `name` of the input was deleted or set since.
    fn overridden(&self, name: &str) -> bool {
        self.del.iter().any(|n| n == name) || self.add.iter().any(|(n, _)| n == name)
    }

    /// The resulting label set, validated where rules could have broken it.
    fn finish(self) -> Result<Labels, LabelError> {
        if self.add.is_empty() && self.del.is_empty() {
            return Ok(self.base.clone());
        }
        let mut pairs: Vec<(&str, &str)> = self
            .base
            .iter()
            .filter(|(name, _)| !self.overridden(name))
            .collect();
        for (name, value) in &self.add {
            if !is_valid_label_name(name) {
                return Err(LabelError::InvalidName(name.clone()));
            }
            if name == METRIC_NAME && !is_valid_metric_name(value) {
                return Err(LabelError::InvalidMetricName(value.clone()));
            }
            pairs.push((name, value));
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Labels::from_sorted(pairs)
    }
}
