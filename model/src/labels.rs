//! Label sets: the names of series and streams.
//!
//! A [`Labels`] is stored as one shared string (`Arc<str>`), each label as
//! `len name len value`, sorted by name, where `len` is the byte length in 6-bit groups, low
//! group first, each group an ASCII byte with bit 6 set when another group follows. Keeping the
//! buffer a `str` (lengths are ASCII) lets iteration slice names and values without re-validating
//! UTF-8. One allocation per label set keeps per-series memory small in the head, and clones are
//! a reference-count increment.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::error::LabelError;

/// The label that carries the metric name.
pub const METRIC_NAME: &str = "__name__";

/// True when `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// True when `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// One owned label, used to build label sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The label name.
    pub name: String,
    /// The label value.
    pub value: String,
}

impl Label {
    /// A label from a name and a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A set of labels, sorted by name, names unique and valid.
///
/// Labels with empty values are dropped on construction: in Prometheus an empty value means the
/// label is absent, and keeping them would let two names denote one series.
///
/// Ordering compares label by label (name, then value), as Prometheus's `labels.Compare` does,
/// which is the order series appear in an index.
#[derive(Clone, Default)]
pub struct Labels {
    data: Arc<str>,
}

impl Labels {
    /// The empty label set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds a label set from name/value pairs in any order; validates names (and the metric name)
    /// and refuses duplicates.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Self, LabelError>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut builder = LabelsBuilder::new();
        for (name, value) in pairs {
            builder.push(name.as_ref(), value.as_ref());
        }
        builder.build()
    }

    /// Builds from labels that the caller guarantees are valid, sorted by name and unique, e.g.
    /// read back from our own files after their checksums matched. Still refuses what breaks the
    /// invariants, so a bug elsewhere cannot produce an unsorted set.
    pub fn from_sorted<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Self, LabelError>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut data = String::new();
        let mut prev_end: Option<(usize, usize)> = None;
        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref());
            // The previous name is the last one written into `data`, so compare against it there
            // instead of keeping an owned copy.
            if let Some((start, end)) = prev_end
                && data.get(start..end).is_some_and(|p| p >= name)
            {
                return Err(LabelError::DuplicateName(name.to_owned()));
            }
            if value.is_empty() {
                continue;
            }
            push_str(&mut data, name);
            let end = data.len();
            prev_end = Some((end - name.len(), end));
            push_str(&mut data, value);
        }
        Ok(Self { data: data.into() })
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True for the empty label set.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The labels in name order.
    pub fn iter(&self) -> LabelsIter<'_> {
        LabelsIter { rest: &self.data }
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The metric name (`__name__`), if present.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// Bytes of the encoded label strings (names, values and their length prefixes).
    pub fn encoded_len(&self) -> usize {
        self.data.len()
    }

    /// A 64-bit hash of the label set, stable across processes and versions of this crate
    /// (xxh3 over names and values with separators), so it may be persisted.
    pub fn stable_hash(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(self.data.as_bytes())
    }

    /// A copy without the labels named in `names`.
    pub fn without(&self, names: &[&str]) -> Self {
        let mut data = String::with_capacity(self.data.len());
        for (n, v) in self.iter() {
            if !names.contains(&n) {
                push_str(&mut data, n);
                push_str(&mut data, v);
            }
        }
        Self { data: data.into() }
    }

    /// A copy with only the labels named in `names`.
    pub fn keep_only(&self, names: &[&str]) -> Self {
        let mut data = String::with_capacity(self.data.len());
        for (n, v) in self.iter() {
            if names.contains(&n) {
                push_str(&mut data, n);
                push_str(&mut data, v);
            }
        }
        Self { data: data.into() }
    }

    /// A builder that starts from this label set, to set or remove labels.
    pub fn to_builder(&self) -> LabelsBuilder {
        let mut b = LabelsBuilder::new();
        for (n, v) in self.iter() {
            b.push(n, v);
        }
        b
    }
}

fn push_str(data: &mut String, s: &str) {
    let mut len = s.len();
    while len >= 0x40 {
        data.push(char::from(((len & 0x3f) as u8) | 0x40));
        len >>= 6;
    }
    data.push(char::from(len as u8));
    data.push_str(s);
}

/// Iterator over `(name, value)` pairs of a [`Labels`], in name order.
pub struct LabelsIter<'a> {
    rest: &'a str,
}

impl<'a> LabelsIter<'a> {
    fn take(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = 0;
        loop {
            let b = *bytes.get(i)?;
            i += 1;
            len |= usize::from(b & 0x3f) << shift;
            if b & 0x40 == 0 {
                break;
            }
            shift += 6;
        }
        // Length bytes are ASCII and lengths count whole strings, so both cuts fall on char
        // boundaries and `get` only checks them, without re-validating the text.
        let s = self.rest.get(i..i + len)?;
        self.rest = self.rest.get(i + len..)?;
        Some(s)
    }
}

impl<'a> Iterator for LabelsIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let name = self.take()?;
        let value = self.take()?;
        Some((name, value))
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = LabelsIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl Eq for Labels {}

impl Hash for Labels {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.data.hash(state);
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut a = self.iter();
        let mut b = other.iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => match x.0.cmp(y.0).then_with(|| x.1.cmp(y.1)) {
                    Ordering::Equal => {}
                    other => return other,
                },
            }
        }
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Labels {
    /// Prints `{a="1", b="2"}` with values escaped as Prometheus prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}={v:?}")?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Collects labels in any order, then validates and sorts them into a [`Labels`].
#[derive(Debug, Default, Clone)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl LabelsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a label; a second label of the same name makes `build` fail.
    pub fn push(&mut self, name: &str, value: &str) -> &mut Self {
        self.labels.push(Label::new(name, value));
        self
    }

    /// Sets label `name` to `value`, replacing any earlier value; an empty value removes it.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        if !value.is_empty() {
            self.labels.push(Label::new(name, value));
        }
        self
    }

    /// Removes label `name`.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        self
    }

    /// Validates names, refuses duplicates, drops empty values and sorts.
    pub fn build(&self) -> Result<Labels, LabelError> {
        let mut labels: Vec<&Label> = self.labels.iter().filter(|l| !l.value.is_empty()).collect();
        labels.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let mut data = String::new();
        for (i, l) in labels.iter().enumerate() {
            if !is_valid_label_name(&l.name) {
                return Err(LabelError::InvalidName(l.name.clone()));
            }
            if l.name == METRIC_NAME && !is_valid_metric_name(&l.value) {
                return Err(LabelError::InvalidMetricName(l.value.clone()));
            }
            if i > 0 && labels[i - 1].name == l.name {
                return Err(LabelError::DuplicateName(l.name.clone()));
            }
            push_str(&mut data, &l.name);
            push_str(&mut data, &l.value);
        }
        Ok(Labels { data: data.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorted_unique_and_validated() {
        let l = Labels::from_pairs([("job", "a"), ("__name__", "up"), ("empty", "")]).unwrap();
        let pairs: Vec<_> = l.iter().collect();
        assert_eq!(pairs, vec![("__name__", "up"), ("job", "a")]);
        assert_eq!(l.to_string(), r#"{__name__="up", job="a"}"#);
        assert!(matches!(
            Labels::from_pairs([("a", "1"), ("a", "2")]),
            Err(LabelError::DuplicateName(_))
        ));
        assert!(matches!(
            Labels::from_pairs([("1a", "x")]),
            Err(LabelError::InvalidName(_))
        ));
        assert!(matches!(
            Labels::from_pairs([("__name__", "a-b")]),
            Err(LabelError::InvalidMetricName(_))
        ));
        assert!(matches!(
            Labels::from_sorted([("b", "1"), ("a", "2")]),
            Err(LabelError::DuplicateName(_))
        ));
    }

    #[test]
    fn long_values_round_trip() {
        let long = "x".repeat(70_000);
        let l = Labels::from_pairs([("a", long.as_str()), ("b", "ü")]).unwrap();
        assert_eq!(l.get("a"), Some(long.as_str()));
        assert_eq!(l.get("b"), Some("ü"));
        assert_eq!(l.len(), 2);
    }

    proptest! {
        #[test]
        fn order_matches_pairwise_comparison(
            a in proptest::collection::btree_map("[a-c]{1,2}", "[a-c]{1,3}", 0..4),
            b in proptest::collection::btree_map("[a-c]{1,2}", "[a-c]{1,3}", 0..4),
        ) {
            let la = Labels::from_pairs(a.iter()).unwrap();
            let lb = Labels::from_pairs(b.iter()).unwrap();
            let va: Vec<_> = a.iter().collect();
            let vb: Vec<_> = b.iter().collect();
            prop_assert_eq!(la.cmp(&lb), va.cmp(&vb));
            prop_assert_eq!(la == lb, a == b);
        }
    }
}
