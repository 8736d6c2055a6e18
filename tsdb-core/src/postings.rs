//! Resolving label matchers to sets of series references, the same way for the head and for
//! blocks.
//!
//! Semantics follow Prometheus: a matcher that accepts the empty string (`a=""`, `a!="x"`,
//! `a=~"x|"`, …) also accepts series that lack the label, so it is applied by subtracting the
//! series whose value it rejects; any other matcher selects the union of the postings of the
//! values it accepts. The result is the intersection over matchers; when every matcher accepts
//! the empty string, the start set is every series.

use model::Matcher;
use roaring::RoaringBitmap;

use crate::error::Result;

/// A label index that can answer postings questions.
pub(crate) trait PostingsIndex {
    /// Every series.
    fn all_postings(&self) -> Result<RoaringBitmap>;
    /// Series with label `name="value"` (empty when none).
    fn postings(&self, name: &str, value: &str) -> Result<RoaringBitmap>;
    /// Union of the postings of every value of `name` that passes `pred`.
    fn postings_matching(&self, name: &str, pred: &dyn Fn(&str) -> bool) -> Result<RoaringBitmap>;
}

/// The series that pass every matcher. An empty matcher list selects nothing.
pub(crate) fn postings_for_matchers(
    ix: &dyn PostingsIndex,
    matchers: &[Matcher],
) -> Result<RoaringBitmap> {
    if matchers.is_empty() {
        return Ok(RoaringBitmap::new());
    }
    let mut selected: Option<RoaringBitmap> = None;
    let mut excluded = RoaringBitmap::new();
    // Selecting matchers first: they usually shrink the set the most.
    let (selecting, rest): (Vec<&Matcher>, Vec<&Matcher>) =
        matchers.iter().partition(|m| !m.matches_empty());
    for m in selecting {
        let found = match m.set_matches() {
            Some(values) => {
                let mut u = RoaringBitmap::new();
                for v in values {
                    u |= ix.postings(m.name(), v)?;
                }
                u
            }
            None => ix.postings_matching(m.name(), &|v| m.matches(v))?,
        };
        let next = match selected {
            Some(s) => s & found,
            None => found,
        };
        if next.is_empty() {
            return Ok(next);
        }
        selected = Some(next);
    }
    for m in rest {
        excluded |= ix.postings_matching(m.name(), &|v| !m.matches(v))?;
    }
    let mut result = match selected {
        Some(s) => s,
        None => ix.all_postings()?,
    };
    result -= excluded;
    Ok(result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use model::{Labels, MatchType};
    use proptest::prelude::*;

    use super::*;

    /// A brute-force index over a list of label sets.
    struct ListIndex(Vec<Labels>);

    impl PostingsIndex for ListIndex {
        fn all_postings(&self) -> Result<RoaringBitmap> {
            Ok((0..self.0.len() as u32).collect())
        }
        fn postings(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
            self.postings_matching(name, &|v| v == value)
        }
        fn postings_matching(
            &self,
            name: &str,
            pred: &dyn Fn(&str) -> bool,
        ) -> Result<RoaringBitmap> {
            Ok(self
                .0
                .iter()
                .enumerate()
                .filter(|(_, l)| l.get(name).is_some_and(pred))
                .map(|(i, _)| i as u32)
                .collect())
        }
    }

    fn kind() -> impl Strategy<Value = MatchType> {
        prop_oneof![
            Just(MatchType::Equal),
            Just(MatchType::NotEqual),
            Just(MatchType::Regex),
            Just(MatchType::NotRegex)
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_matching_each_series(
            series in proptest::collection::vec(
                proptest::collection::btree_map("[ab]", "[xy]{0,1}", 0..3), 0..12),
            ms in proptest::collection::vec((kind(), "[ab]", "[xy]{0,1}|x\\|y|\\.\\*|x\\|"), 1..4),
        ) {
            let series: Vec<Labels> = series
                .iter()
                .map(|m: &BTreeMap<String, String>| Labels::from_pairs(m.iter()).unwrap())
                .collect();
            let matchers: Vec<Matcher> =
                ms.iter().map(|(k, n, v)| Matcher::new(*k, n.as_str(), v.as_str()).unwrap()).collect();
            let got: Vec<u32> = postings_for_matchers(&ListIndex(series.clone()), &matchers)
                .unwrap()
                .iter()
                .collect();
            let want: Vec<u32> = series
                .iter()
                .enumerate()
                .filter(|(_, l)| matchers.iter().all(|m| m.matches(l.get(m.name()).unwrap_or(""))))
                .map(|(i, _)| i as u32)
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
