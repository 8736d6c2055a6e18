//! Answering label questions from a segment's index: matchers → stream bitmap, label names,
//! label values.
//!
//! Matchers have Prometheus's semantics: an absent label matches as the empty string, so a
//! matcher that matches `""` (`a=""`, `a!="x"`, `a=~".*"`, `a!~"x"`) also selects the streams
//! without the label. Such a matcher is answered as "every stream minus those whose value
//! fails"; any other as "the union of the values that pass". Matchers with a finite set of
//! values (`=`, `=~"a|b"`) look each value up instead of testing every value of the name.
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeSet;

use model::{MatchType, Matcher};
use roaring::RoaringBitmap;

use super::format::Section;
use super::index::Index;
use crate::error::Result;

/// The streams every matcher selects; every stream when `matchers` is empty.
pub(super) fn streams_matching(index: Index<'_>, matchers: &[Matcher]) -> Result<RoaringBitmap> {
    // Matchers that cannot select label-less streams usually narrow the most: apply them first
    // so an empty result stops early.
    let (narrow, wide): (Vec<&Matcher>, Vec<&Matcher>) =
        matchers.iter().partition(|m| !m.matches_empty());
    let mut result: Option<RoaringBitmap> = None;
    for m in narrow.into_iter().chain(wide) {
        let selected = matcher_streams(index, m)?;
        let next = match result {
            None => selected,
            Some(mut r) => {
                r &= selected;
                r
            }
        };
        if next.is_empty() {
            return Ok(next);
        }
        result = Some(next);
    }
    match result {
        Some(r) => Ok(r),
        None => index.bitmap(0),
    }
}

/// The streams one matcher selects.
fn matcher_streams(index: Index<'_>, m: &Matcher) -> Result<RoaringBitmap> {
    let name = index.find_name(m.name());
    if m.matches_empty() {
        let mut result = index.bitmap(0)?;
        let Some(name) = name else {
            return Ok(result);
        };
        if m.kind() == MatchType::NotEqual {
            if let Some(v) = index.find_value(name, m.value()) {
                result -= index.bitmap(v + 1)?;
            }
            return Ok(result);
        }
        for v in index.values(name) {
            if !m.matches(value(index, v)?) {
                result -= index.bitmap(v + 1)?;
            }
        }
        return Ok(result);
    }
    let mut result = RoaringBitmap::new();
    let Some(name) = name else {
        return Ok(result);
    };
    if let Some(set) = m.set_matches() {
        for s in set {
            if let Some(v) = index.find_value(name, s) {
                result |= index.bitmap(v + 1)?;
            }
        }
        return Ok(result);
    }
    for v in index.values(name) {
        if m.matches(value(index, v)?) {
            result |= index.bitmap(v + 1)?;
        }
    }
    Ok(result)
}

/// The string of postings value `v`.
fn value(index: Index<'_>, v: u32) -> Result<&str> {
    index
        .value_symbol(v)
        .and_then(|id| index.symbol(id))
        .ok_or_else(|| Section::Postings.error(0, format!("value {v} has no symbol")))
}

/// Label names of the streams in `within` (ids past the last stream are ignored), or of every
/// stream; sorted.
pub(super) fn label_names<'a>(
    index: Index<'a>,
    within: Option<&RoaringBitmap>,
) -> Result<Vec<&'a str>> {
    let missing = |what: String| Section::Postings.error(0, what);
    let Some(within) = within else {
        return (0..index.name_count())
            .map(|i| {
                index
                    .name_symbol(i)
                    .and_then(|id| index.symbol(id))
                    .ok_or_else(|| missing(format!("name {i} has no symbol")))
            })
            .collect();
    };
    let mut ids = BTreeSet::new();
    for s in within.iter() {
        let Some(pairs) = index.pairs(s) else {
            break;
        };
        ids.extend(pairs.map(|[name, _]| name));
    }
    symbols(index, ids)
}

/// Values of label `name` among the streams in `within` (ids past the last stream are
/// ignored), or among every stream; sorted.
pub(super) fn label_values<'a>(
    index: Index<'a>,
    name: &str,
    within: Option<&RoaringBitmap>,
) -> Result<Vec<&'a str>> {
    let Some(i) = index.find_name(name) else {
        return Ok(Vec::new());
    };
    let Some(within) = within else {
        return index.values(i).map(|v| value(index, v)).collect();
    };
    let name_id = index.name_symbol(i);
    let mut ids = BTreeSet::new();
    for s in within.iter() {
        let Some(mut pairs) = index.pairs(s) else {
            break;
        };
        if let Some([_, v]) = pairs.find(|&[n, _]| Some(n) == name_id) {
            ids.insert(v);
        }
    }
    symbols(index, ids)
}

/// The strings of symbol ids, in id order (which is string order).
fn symbols(index: Index<'_>, ids: BTreeSet<u32>) -> Result<Vec<&str>> {
    ids.into_iter()
        .map(|id| {
            index
                .symbol(id)
                .ok_or_else(|| Section::Streams.error(0, format!("no symbol {id}")))
        })
        .collect()
}
