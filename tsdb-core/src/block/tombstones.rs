//! Deletion intervals of a block (its `tombstones` file), in Prometheus's format:
//!
//! ```text
//! magic 0x0130BA30 <be32> | version 1 <u8> | (series ref <uvarint>, mint <varint>, maxt <varint>)* | CRC32C <be32>
//! ```
//!
//! The CRC covers the entries only, not the magic and not the version byte (Prometheus skips the
//! version byte "for compatibility"). Intervals are inclusive on both ends; per series they are
//! kept sorted, non-overlapping and non-adjacent, merged as Prometheus's `Intervals.Add` does.

use std::collections::BTreeMap;
use std::path::Path;

use crate::encoding::{Decbuf, Encbuf, crc32c};
use crate::error::{Error, Result};

/// Name of the file in the block directory.
pub(crate) const TOMBSTONES_FILENAME: &str = "tombstones";
/// Magic number opening the file.
pub(crate) const MAGIC_TOMBSTONES: u32 = 0x0130_BA30;
/// The only format version.
pub(crate) const TOMBSTONES_V1: u8 = 1;

/// A closed range of deleted timestamps, `mint..=maxt` (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Interval {
    /// First deleted timestamp.
    pub(crate) mint: i64,
    /// Last deleted timestamp.
    pub(crate) maxt: i64,
}

impl Interval {
    /// The interval `mint..=maxt`.
    pub(crate) fn new(mint: i64, maxt: i64) -> Self {
        Self { mint, maxt }
    }

    /// True when `t` lies in the interval.
    pub(crate) fn contains(&self, t: i64) -> bool {
        self.mint <= t && t <= self.maxt
    }
}

/// True when `t` lies in one of the sorted intervals `ivs`.
pub(crate) fn is_deleted(ivs: &[Interval], t: i64) -> bool {
    let i = ivs.partition_point(|iv| iv.maxt < t);
    ivs.get(i).is_some_and(|iv| iv.contains(t))
}

/// Adds `n` to the sorted, disjoint intervals `ivs`, merging it with every interval it overlaps
/// or touches (timestamps are discrete, so `[1,2]` and `[3,4]` become `[1,4]`). An empty interval
/// (`mint > maxt`) changes nothing.
pub(crate) fn add_interval(ivs: &mut Vec<Interval>, n: Interval) {
    if n.mint > n.maxt {
        return;
    }
    // First interval that ends at or after n.mint - 1, i.e. that n could touch.
    let lo = ivs.partition_point(|iv| iv.maxt < n.mint.saturating_sub(1));
    // First interval (from lo) that starts after n.maxt + 1, i.e. beyond n's reach.
    let hi = lo
        + ivs
            .get(lo..)
            .unwrap_or_default()
            .partition_point(|iv| iv.mint <= n.maxt.saturating_add(1));
    let mut merged = n;
    // Intervals lo..hi overlap or touch n (none when hi == lo): n absorbs them.
    if let (Some(first), Some(last)) = (ivs.get(lo), hi.checked_sub(1).and_then(|h| ivs.get(h)))
        && hi > lo
    {
        merged.mint = merged.mint.min(first.mint);
        merged.maxt = merged.maxt.max(last.maxt);
    }
    ivs.splice(lo..hi, [merged]);
}

/// Deletion intervals per series reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tombstones {
    /// Series reference → sorted, disjoint, non-adjacent, non-empty intervals.
    by_series: BTreeMap<u64, Vec<Interval>>,
}

impl Tombstones {
    /// No deletions.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Marks `iv` of series `series_ref` deleted.
    pub(crate) fn add(&mut self, series_ref: u64, iv: Interval) {
        if iv.mint > iv.maxt {
            return;
        }
        add_interval(self.by_series.entry(series_ref).or_default(), iv);
    }

    /// The deleted intervals of `series_ref`, sorted; empty when none.
    pub(crate) fn get(&self, series_ref: u64) -> &[Interval] {
        self.by_series.get(&series_ref).map_or(&[], Vec::as_slice)
    }

    /// True when nothing is deleted.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }

    /// Series with deletions and their intervals, by ascending reference.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &[Interval])> {
        self.by_series.iter().map(|(r, v)| (*r, v.as_slice()))
    }

    /// Forgets the deletions of `series_ref`.
    pub(crate) fn remove_series(&mut self, series_ref: u64) {
        self.by_series.remove(&series_ref);
    }

    /// Drops every interval that ends before `t`, as Prometheus's `TruncateBefore`.
    pub(crate) fn truncate_before(&mut self, t: i64) {
        self.by_series.retain(|_, ivs| {
            ivs.retain(|iv| iv.maxt >= t);
            !ivs.is_empty()
        });
    }

    /// The whole file: magic, version, entries by ascending series reference, CRC.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut e = Encbuf::new();
        e.put_be32(MAGIC_TOMBSTONES);
        e.put_u8(TOMBSTONES_V1);
        for (r, ivs) in self.iter() {
            for iv in ivs {
                e.put_uvarint(r);
                e.put_varint(iv.mint);
                e.put_varint(iv.maxt);
            }
        }
        let crc = crc32c(e.buf.get(5..).unwrap_or_default());
        e.put_be32(crc);
        e.buf
    }

    /// Parses a whole file; `path` names it in errors.
    pub(crate) fn decode(b: &[u8], path: &Path) -> Result<Self> {
        let corrupt = |off: usize, why: String| Error::corruption(path, off as u64, why);
        let Some((body, crc)) = b
            .split_at_checked(b.len().saturating_sub(4))
            .filter(|_| b.len() >= 9)
        else {
            return Err(corrupt(0, format!("file too short ({} bytes)", b.len())));
        };
        let mut d = Decbuf::new(body);
        let magic = d.be32().map_err(|e| corrupt(0, e.to_string()))?;
        if magic != MAGIC_TOMBSTONES {
            return Err(corrupt(0, format!("invalid magic number {magic:#010x}")));
        }
        let version = d.u8().map_err(|e| corrupt(4, e.to_string()))?;
        if version != TOMBSTONES_V1 {
            return Err(corrupt(4, format!("invalid tombstones format {version}")));
        }
        let want = Decbuf::new(crc)
            .be32()
            .map_err(|e| corrupt(body.len(), e.to_string()))?;
        if crc32c(d.remaining()) != want {
            return Err(corrupt(body.len(), "checksum mismatch".to_owned()));
        }
        let mut t = Self::new();
        while !d.is_empty() {
            let off = body.len() - d.len();
            let entry = (|| {
                Ok::<_, crate::encoding::DecodeError>((d.uvarint()?, d.varint()?, d.varint()?))
            })();
            let (r, mint, maxt) = entry.map_err(|e| corrupt(off, e.to_string()))?;
            if mint > maxt {
                return Err(corrupt(off, format!("interval [{mint}, {maxt}] is empty")));
            }
            t.add(r, Interval::new(mint, maxt));
        }
        Ok(t)
    }

    /// Reads the tombstones file at `path` (a block's `<dir>/tombstones`); a missing file means
    /// no deletions.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(b) => Self::decode(&b, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Writes `<dir>/tombstones` atomically (through `tombstones.tmp`, fsynced, renamed, directory
    /// fsynced) and returns its size. Blocks always have the file, even when nothing is deleted.
    pub(crate) fn write(&self, dir: &Path) -> Result<u64> {
        let b = self.encode();
        super::meta::write_atomic(dir, TOMBSTONES_FILENAME, &b)?;
        Ok(b.len() as u64)
    }
}

/// Decodes arbitrary bytes as a tombstones file; must never panic. For a cargo-fuzz target.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn fuzz_tombstones(data: &[u8]) {
    if let Ok(t) = Tombstones::decode(data, Path::new("fuzz-tombstones")) {
        let again = Tombstones::decode(&t.encode(), Path::new("fuzz-tombstones"));
        assert!(again.is_ok_and(|a| a == t), "re-encoded tombstones differ");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn prometheus_bytes() {
        // An empty file as Prometheus writes it: magic, version, CRC32C of nothing (0).
        assert_eq!(
            Tombstones::new().encode(),
            [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]
        );
        let mut t = Tombstones::new();
        t.add(3, Interval::new(-1, 10));
        let b = t.encode();
        let entries = [0x03, 0x01, 0x14];
        assert_eq!(b.get(5..8).unwrap(), entries);
        assert_eq!(b.get(8..).unwrap(), crc32c(&entries).to_be_bytes());
        assert_eq!(Tombstones::decode(&b, Path::new("t")).unwrap(), t);
    }

    #[test]
    fn merges_like_prometheus() {
        let mut ivs = Vec::new();
        for (a, b) in [(10, 20), (1, 2), (30, 40), (22, 25)] {
            add_interval(&mut ivs, Interval::new(a, b));
        }
        let want = [(1, 2), (10, 20), (22, 25), (30, 40)].map(|(a, b)| Interval::new(a, b));
        assert_eq!(ivs, want);
        add_interval(&mut ivs, Interval::new(21, 21)); // Touches both neighbours.
        add_interval(&mut ivs, Interval::new(3, 3)); // Adjacent to [1,2].
        let want = [(1, 3), (10, 25), (30, 40)].map(|(a, b)| Interval::new(a, b));
        assert_eq!(ivs, want);
        add_interval(&mut ivs, Interval::new(i64::MIN, i64::MAX));
        assert_eq!(ivs, [Interval::new(i64::MIN, i64::MAX)]);
        let mut ivs = vec![Interval::new(i64::MAX, i64::MAX)];
        add_interval(&mut ivs, Interval::new(i64::MIN, i64::MIN));
        add_interval(&mut ivs, Interval::new(5, 4));
        assert_eq!(
            ivs,
            [
                Interval::new(i64::MIN, i64::MIN),
                Interval::new(i64::MAX, i64::MAX)
            ]
        );
    }

    #[test]
    fn bad_files_are_corruption_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Tombstones::read(&dir.path().join(TOMBSTONES_FILENAME))
                .unwrap()
                .is_empty()
        );
        let mut t = Tombstones::new();
        t.add(7, Interval::new(100, 200));
        t.add(1, Interval::new(-5, -5));
        assert_eq!(t.write(dir.path()).unwrap(), 17);
        assert_eq!(
            Tombstones::read(&dir.path().join(TOMBSTONES_FILENAME)).unwrap(),
            t
        );
        let good = t.encode();
        let mut cases: Vec<Vec<u8>> = (0..good.len())
            .map(|n| good.get(..n).unwrap().to_vec())
            .collect();
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x40;
            cases.push(b);
        }
        for b in cases {
            std::fs::write(dir.path().join(TOMBSTONES_FILENAME), &b).unwrap();
            let err = Tombstones::read(&dir.path().join(TOMBSTONES_FILENAME)).unwrap_err();
            assert!(
                matches!(&err, Error::Corruption { path, .. } if path.ends_with(TOMBSTONES_FILENAME)),
                "{err}"
            );
        }
    }

    fn small() -> impl Strategy<Value = i64> {
        -20i64..20
    }

    proptest! {
        #[test]
        fn intervals_match_a_point_set(ivs in proptest::collection::vec((small(), small()), 0..12)) {
            let mut got = Vec::new();
            let mut want = BTreeSet::new();
            for (a, b) in ivs {
                add_interval(&mut got, Interval::new(a, b));
                want.extend(a..=b);
            }
            for w in got.windows(2) {
                prop_assert!(w[0].maxt + 1 < w[1].mint, "not disjoint and non-adjacent: {:?}", got);
            }
            let covered: BTreeSet<i64> = got.iter().flat_map(|iv| iv.mint..=iv.maxt).collect();
            prop_assert_eq!(&covered, &want);
            for t in -22..22 {
                prop_assert_eq!(is_deleted(&got, t), want.contains(&t));
            }
        }

        #[test]
        fn encode_decode_round_trip(
            entries in proptest::collection::vec(
                (prop_oneof![4 => 0u64..8, 1 => any::<u64>()],
                 prop_oneof![4 => small(), 1 => any::<i64>()],
                 prop_oneof![4 => 0i64..30, 1 => Just(i64::MAX)]), 0..16),
        ) {
            let mut t = Tombstones::new();
            for (r, mint, len) in entries {
                t.add(r, Interval::new(mint, mint.saturating_add(len)));
            }
            let b = t.encode();
            prop_assert_eq!(Tombstones::decode(&b, Path::new("t")).unwrap(), t.clone());
            fuzz_tombstones(&b);
        }

        #[test]
        fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            fuzz_tombstones(&b);
        }
    }
}
