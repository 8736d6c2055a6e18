//! In-memory postings of the head: for every label pair, the set of series references that carry
//! it, as roaring bitmaps.
//!
//! Head series references are dense counters that fit in `u32` (the head refuses to create more
//! than `u32::MAX` series over its lifetime), which is what lets them live in a `RoaringBitmap`.
//! Most label values of real series sets (instance names, ids) belong to one series only; they are
//! kept inline as [`PostingList::One`], which saves a bitmap's two heap allocations per value.

use std::collections::HashMap;

use model::Labels;
use roaring::RoaringBitmap;

/// The series of one label pair.
pub(crate) enum PostingList {
    /// Exactly one series.
    One(u32),
    /// Any number of series (never empty while stored).
    Many(RoaringBitmap),
}

impl PostingList {
    fn insert(&mut self, r: u32) {
        match self {
            PostingList::One(x) if *x == r => {}
            PostingList::One(x) => {
                let first = *x;
                *self = PostingList::Many(RoaringBitmap::from_iter([first, r]));
            }
            PostingList::Many(bm) => {
                bm.insert(r);
            }
        }
    }

    /// Removes `r`; true when the list is now empty.
    fn remove(&mut self, r: u32) -> bool {
        match self {
            PostingList::One(x) => *x == r,
            PostingList::Many(bm) => {
                bm.remove(r);
                match bm.len() {
                    0 => true,
                    1 => {
                        if let Some(only) = bm.min() {
                            *self = PostingList::One(only);
                        }
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    /// True when no series of the list is in `refs`.
    pub fn is_disjoint(&self, refs: &RoaringBitmap) -> bool {
        match self {
            PostingList::One(x) => !refs.contains(*x),
            PostingList::Many(bm) => bm.is_disjoint(refs),
        }
    }

    /// Adds the list's series to `out`.
    pub fn union_into(&self, out: &mut RoaringBitmap) {
        match self {
            PostingList::One(x) => {
                out.insert(*x);
            }
            PostingList::Many(bm) => *out |= bm,
        }
    }

    /// The list as a bitmap.
    pub fn to_bitmap(&self) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        self.union_into(&mut out);
        out
    }
}

/// Label name → label value → series.
#[derive(Default)]
pub(crate) struct MemPostings {
    by_name: HashMap<Box<str>, HashMap<Box<str>, PostingList>>,
    all: RoaringBitmap,
}

impl MemPostings {
    /// Adds series `r` under every label pair of `labels`.
    pub fn add(&mut self, r: u32, labels: &Labels) {
        for (name, value) in labels.iter() {
            let values = match self.by_name.get_mut(name) {
                Some(v) => v,
                None => self.by_name.entry(name.into()).or_default(),
            };
            match values.get_mut(value) {
                Some(list) => list.insert(r),
                None => {
                    values.insert(value.into(), PostingList::One(r));
                }
            }
        }
        self.all.insert(r);
    }

    /// Removes series `r`, whose labels are `labels`.
    pub fn remove(&mut self, r: u32, labels: &Labels) {
        for (name, value) in labels.iter() {
            let Some(values) = self.by_name.get_mut(name) else {
                continue;
            };
            if values.get_mut(value).is_some_and(|list| list.remove(r)) {
                values.remove(value);
            }
            if values.is_empty() {
                self.by_name.remove(name);
            }
        }
        self.all.remove(r);
    }

    /// Every series.
    pub fn all(&self) -> &RoaringBitmap {
        &self.all
    }

    /// Series with label `name="value"`.
    pub fn get(&self, name: &str, value: &str) -> Option<&PostingList> {
        self.by_name.get(name)?.get(value)
    }

    /// Label names, unsorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(|k| &**k)
    }

    /// The values of label `name` with their series, unsorted.
    pub fn values(&self, name: &str) -> impl Iterator<Item = (&str, &PostingList)> {
        self.by_name
            .get(name)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (&**k, v)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn add_and_remove() {
        let mut p = MemPostings::default();
        let a = Labels::from_pairs([("job", "a"), ("i", "1")]).unwrap();
        let b = Labels::from_pairs([("job", "a"), ("i", "2")]).unwrap();
        p.add(1, &a);
        p.add(2, &b);
        assert_eq!(
            p.get("job", "a")
                .unwrap()
                .to_bitmap()
                .iter()
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(matches!(p.get("i", "2"), Some(PostingList::One(2))));
        p.remove(1, &a);
        assert!(matches!(p.get("job", "a"), Some(PostingList::One(2))));
        assert!(p.get("i", "1").is_none());
        assert_eq!(p.all().len(), 1);
        let mut names: Vec<_> = p.names().collect();
        names.sort();
        assert_eq!(names, vec!["i", "job"]);
    }
}
