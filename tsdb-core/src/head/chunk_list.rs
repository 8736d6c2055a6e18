//! The full chunks of one head series, kept delta-encoded.
//!
//! A series of a long head holds dozens of full chunks (a 25 h head scraped every 30 s has 25),
//! and their metadata would be the largest part of the series' memory as plain structs (24 bytes
//! each). Each entry here is three varints relative to the previous entry, about 11 bytes:
//! `zigzag(mint - prev.maxt)`, `maxt - mint`, `zigzag(ref - prev.ref)` (the first entry relative to
//! zeros). Reads decode the list, which is short and read far less often than it is appended to.
//!
//! Invariant: entries are sorted by time and do not overlap (each `mint` is above the previous
//! `maxt`), which is what the head produces; only whole prefixes are ever removed.

use crate::encoding::{Decbuf, put_uvarint, unzigzag, uvarint_len, zigzag};

use super::series::MmappedChunk;

/// Full chunks of a series, oldest first.
#[derive(Debug, Default)]
pub(crate) struct ChunkList {
    /// Boxed rather than a `Vec`: always exactly sized, so the capacity field would be waste.
    bytes: Box<[u8]>,
}

const ZERO: MmappedChunk = MmappedChunk {
    chunk_ref: 0,
    mint: 0,
    maxt: 0,
};

impl ChunkList {
    /// A list of `chunks`, which must be sorted and disjoint.
    pub fn from_chunks(chunks: impl IntoIterator<Item = MmappedChunk>) -> Self {
        let mut bytes = Vec::new();
        let mut prev = ZERO;
        for c in chunks {
            encode(&mut bytes, &prev, &c);
            prev = c;
        }
        Self {
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// Appends `c`, which starts after every chunk in the list.
    pub fn push(&mut self, c: MmappedChunk) {
        let prev = self.last().unwrap_or(ZERO);
        // Exact growth: the list lives as long as the series, and doubling would leave up to
        // half of it unused.
        let mut bytes = std::mem::take(&mut self.bytes).into_vec();
        let added: usize = fields(&prev, &c).iter().map(|&f| uvarint_len(f)).sum();
        bytes.reserve_exact(added);
        encode(&mut bytes, &prev, &c);
        self.bytes = bytes.into_boxed_slice();
    }

    /// The chunks, oldest first.
    pub fn iter(&self) -> ChunkListIter<'_> {
        ChunkListIter {
            buf: Decbuf::new(&self.bytes),
            prev: ZERO,
        }
    }

    /// The oldest chunk.
    pub fn first(&self) -> Option<MmappedChunk> {
        self.iter().next()
    }

    /// The newest chunk.
    pub fn last(&self) -> Option<MmappedChunk> {
        self.iter().last()
    }

    /// True when the list holds no chunk.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Drops the chunks whose newest sample is older than `mint`.
    pub fn retain_from(&mut self, mint: i64) {
        if self.first().is_none_or(|c| c.maxt >= mint) {
            return;
        }
        let kept: Vec<MmappedChunk> = self.iter().filter(|c| c.maxt >= mint).collect();
        *self = Self::from_chunks(kept);
    }
}

/// The three varints of entry `c` after `prev`.
fn fields(prev: &MmappedChunk, c: &MmappedChunk) -> [u64; 3] {
    [
        zigzag(c.mint.wrapping_sub(prev.maxt)),
        c.maxt.wrapping_sub(c.mint) as u64,
        zigzag((c.chunk_ref as i64).wrapping_sub(prev.chunk_ref as i64)),
    ]
}

fn encode(bytes: &mut Vec<u8>, prev: &MmappedChunk, c: &MmappedChunk) {
    for f in fields(prev, c) {
        put_uvarint(bytes, f);
    }
}

/// Decodes a [`ChunkList`]. The bytes were written by this process, so a decoding failure cannot
/// happen; if it did, iteration would end early rather than panic.
pub(crate) struct ChunkListIter<'a> {
    buf: Decbuf<'a>,
    prev: MmappedChunk,
}

impl Iterator for ChunkListIter<'_> {
    type Item = MmappedChunk;

    fn next(&mut self) -> Option<MmappedChunk> {
        if self.buf.is_empty() {
            return None;
        }
        let gap = unzigzag(self.buf.uvarint().ok()?);
        let span = self.buf.uvarint().ok()?;
        let ref_delta = unzigzag(self.buf.uvarint().ok()?);
        let mint = self.prev.maxt.wrapping_add(gap);
        let c = MmappedChunk {
            chunk_ref: (self.prev.chunk_ref as i64).wrapping_add(ref_delta) as u64,
            mint,
            maxt: mint.wrapping_add(span as i64),
        };
        self.prev = c;
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chunks() -> impl Strategy<Value = Vec<MmappedChunk>> {
        proptest::collection::vec((0i64..1 << 40, 0i64..1 << 40, any::<u64>()), 0..40).prop_map(
            |parts| {
                let mut t = i64::MIN / 2;
                parts
                    .into_iter()
                    .map(|(gap, span, chunk_ref)| {
                        let mint = t + gap + 1;
                        let maxt = mint + span;
                        t = maxt;
                        MmappedChunk {
                            chunk_ref,
                            mint,
                            maxt,
                        }
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn round_trips_and_truncates(chunks in chunks(), cut in any::<prop::sample::Index>()) {
            let mut list = ChunkList::default();
            for c in &chunks {
                list.push(*c);
            }
            prop_assert_eq!(list.iter().collect::<Vec<_>>(), chunks.clone());
            prop_assert_eq!(list.last(), chunks.last().copied());
            prop_assert_eq!(list.first(), chunks.first().copied());
            if !chunks.is_empty() {
                let mint = chunks[cut.index(chunks.len())].maxt;
                list.retain_from(mint);
                let want: Vec<_> = chunks.iter().filter(|c| c.maxt >= mint).copied().collect();
                prop_assert_eq!(list.iter().collect::<Vec<_>>(), want);
            }
        }
    }

    #[test]
    fn a_typical_entry_takes_half_a_struct() {
        let hour = 3_600_000;
        let list = ChunkList::from_chunks((0..25).map(|i| MmappedChunk {
            chunk_ref: (1 << 32) + i * 1_500_000,
            mint: 1_700_000_000_000 + i as i64 * hour,
            maxt: 1_700_000_000_000 + i as i64 * hour + hour - 30_000,
        }));
        // 3-byte gap, 4-byte span, 4-byte ref delta; the first entry is larger (absolute).
        assert!(list.bytes.len() <= 25 * 12, "{} bytes", list.bytes.len());
    }
}
