//! Postings lists as stored in an index file: strictly ascending big-endian `u32` series
//! references. The querier turns them into roaring bitmaps, the same representation the head
//! uses, so matcher resolution is one code path for both (see `crate::postings`).

/// A postings list over an index file's bytes.
///
/// The bytes were CRC-checked by the reader; a list that is nevertheless unsorted makes the
/// results wrong, never a panic.
#[derive(Debug, Clone)]
pub(crate) struct Postings<'a> {
    /// The references, 4 bytes each.
    list: &'a [[u8; 4]],
    /// Index of the next entry `next` returns.
    next_idx: usize,
}

impl<'a> Postings<'a> {
    /// A list over `bytes`, whose length must be a multiple of 4 (a trailing remainder is ignored).
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let (list, _) = bytes.as_chunks::<4>();
        Self { list, next_idx: 0 }
    }

    /// The empty list.
    pub(crate) fn empty() -> Self {
        Self {
            list: &[],
            next_idx: 0,
        }
    }
}

impl Iterator for Postings<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let b = self.list.get(self.next_idx)?;
        self.next_idx += 1;
        Some(u64::from(u32::from_be_bytes(*b)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.list.len().saturating_sub(self.next_idx);
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn reads_back_what_was_encoded(refs in proptest::collection::btree_set(any::<u32>(), 0..64)) {
            let bytes: Vec<u8> = refs.iter().flat_map(|r| r.to_be_bytes()).collect();
            let got: Vec<u64> = Postings::new(&bytes).collect();
            let want: Vec<u64> = refs.iter().map(|&r| u64::from(r)).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn ragged_and_empty_lists() {
        assert_eq!(Postings::new(&[0, 0, 0]).count(), 0);
        assert_eq!(Postings::new(&[0, 0, 0, 7, 1]).collect::<Vec<_>>(), vec![7]);
        assert_eq!(Postings::empty().next(), None);
    }
}
