//! Helpers shared by the integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(dead_code)]

use std::collections::BTreeMap;

use model::{Labels, MatchType, Matcher, SeriesQuerier};
use tsdb_core::Db;

/// Every sample of every series in `[mint, maxt]`, value bits kept, read through the public API.
pub fn read_all(db: &Db, mint: i64, maxt: i64) -> BTreeMap<Labels, Vec<(i64, u64)>> {
    let q = db.querier(mint, maxt);
    let all = [Matcher::new(MatchType::Regex, "__name__", ".+").unwrap()];
    let mut out = BTreeMap::new();
    for s in q.select(&all).unwrap() {
        let s = s.unwrap();
        let mut it = s.samples();
        let mut v = Vec::new();
        while let Some(x) = it.next() {
            v.push((x.t, x.v.to_bits()));
        }
        assert!(it.error().is_none(), "{:?}", it.error());
        if !v.is_empty() {
            out.insert(s.labels().clone(), v);
        }
    }
    out
}

/// `{__name__="m", i="<i>"}`.
pub fn series(i: usize) -> Labels {
    Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())]).unwrap()
}

/// Copies a directory tree.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
