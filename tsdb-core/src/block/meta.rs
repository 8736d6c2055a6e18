//! A block's `meta.json`, field for field as Prometheus 2.42 writes it (`tsdb.BlockMeta`).
//!
//! The time range is half-open: `min_time` is the first millisecond the block covers and
//! `max_time` is one past the last (EXCLUSIVE), so a head block holding samples at 1000..=2000 has
//! `maxTime` 2001 and adjacent blocks share a boundary value. Zero stats, empty lists and false
//! flags are omitted as Go's `omitempty` does; fields newer Prometheus versions add (e.g.
//! `numFloatSamples`) are ignored on read and never written, because 2.42 does not know them.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::error::{Error, Result};

/// Name of the file in the block directory.
pub(crate) const META_FILENAME: &str = "meta.json";
/// The only meta.json version.
pub(crate) const META_VERSION: u32 = 1;

/// Everything `meta.json` says about a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// The block's identity; a new one on every compaction.
    #[serde(with = "ulid_text")]
    pub ulid: Ulid,
    /// First millisecond covered (inclusive).
    pub min_time: i64,
    /// One past the last millisecond covered (EXCLUSIVE).
    pub max_time: i64,
    /// Counts of the block's contents.
    #[serde(default)]
    pub stats: BlockStats,
    /// Where the block came from.
    #[serde(default)]
    pub compaction: Compaction,
    /// Always [`META_VERSION`].
    pub version: u32,
}

/// Counts of a block's contents; zeros are omitted from the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlockStats {
    /// Samples in all chunks.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Series in the index.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks in the chunk files.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Deletion intervals in the tombstones file.
    #[serde(skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

/// A block's compaction history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Compaction {
    /// 1 for a block cut from the head; one more than its deepest parent after compaction.
    pub level: u32,
    /// ULIDs of the head blocks whose data ended up here.
    #[serde(with = "ulid_vec", skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Ulid>,
    /// The compaction produced no samples; the block is deleted on the next reload.
    #[serde(skip_serializing_if = "is_false")]
    pub deletable: bool,
    /// The blocks this one was compacted from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    /// A compaction of this block failed; it is not picked again.
    #[serde(skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Free-form hints (Prometheus uses "from-out-of-order").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// A parent block: identity and time range (`max_time` exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDesc {
    /// The parent's ULID.
    #[serde(with = "ulid_text")]
    pub ulid: Ulid,
    /// First millisecond covered (inclusive).
    pub min_time: i64,
    /// One past the last millisecond covered (EXCLUSIVE).
    pub max_time: i64,
}

impl Compaction {
    /// The history of block `ulid` at `level` made from `parents`: a block without parents (cut
    /// from the head or imported) is its own only source; otherwise the sources are the union of
    /// the parents' sources, sorted, as Prometheus's compactor records them.
    pub(crate) fn new(ulid: Ulid, level: u32, parents: &[BlockMeta]) -> Self {
        let mut sources: Vec<Ulid> = parents
            .iter()
            .flat_map(|p| p.compaction.sources.iter().copied())
            .collect();
        sources.sort_unstable();
        sources.dedup();
        if parents.is_empty() {
            sources.push(ulid);
        }
        let parents = parents.iter().map(BlockMeta::desc).collect();
        Self {
            level,
            sources,
            parents,
            ..Default::default()
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

impl BlockMeta {
    /// A meta of [`META_VERSION`].
    pub(crate) fn new(
        ulid: Ulid,
        min_time: i64,
        max_time: i64,
        stats: BlockStats,
        compaction: Compaction,
    ) -> Self {
        Self {
            ulid,
            min_time,
            max_time,
            stats,
            compaction,
            version: META_VERSION,
        }
    }

    /// This block as a parent of a compacted one.
    pub(crate) fn desc(&self) -> BlockDesc {
        BlockDesc {
            ulid: self.ulid,
            min_time: self.min_time,
            max_time: self.max_time,
        }
    }

    /// True when the block holds samples in the closed range `[mint, maxt]`.
    pub(crate) fn overlaps_closed(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint < self.max_time
    }

    /// The JSON as Prometheus writes it: `json.MarshalIndent(meta, "", "\t")`, no final newline.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        // Serializing plain structs of numbers and strings into a Vec cannot fail.
        if self.serialize(&mut ser).is_err() {
            out.clear();
        }
        out
    }

    /// Parses `meta.json` contents; `path` names the file in errors.
    pub(crate) fn from_json(b: &[u8], path: &Path) -> Result<Self> {
        let meta: BlockMeta = serde_json::from_slice(b)
            .map_err(|e| Error::corruption(path, e.column() as u64, format!("bad JSON: {e}")))?;
        if meta.version != META_VERSION {
            let msg = format!("unexpected meta file version {}", meta.version);
            return Err(Error::corruption(path, 0, msg));
        }
        Ok(meta)
    }

    /// Reads `<dir>/meta.json`.
    pub(crate) fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILENAME);
        let b = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        Self::from_json(&b, &path)
    }

    /// Writes `<dir>/meta.json` atomically: to `meta.json.tmp`, fsync, rename, fsync the
    /// directory. Returns the file size.
    pub(crate) fn write(&self, dir: &Path) -> Result<u64> {
        let json = self.to_json();
        write_atomic(dir, META_FILENAME, &json)?;
        Ok(json.len() as u64)
    }
}

/// Writes `<dir>/<name>` through `<name>.tmp`, fsyncing the file and the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let res = (|| {
        let mut f = File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(contents)
            .map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &tmp, e))
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync", dir, e))
}

/// A ULID as its 26-character Crockford base32 text, as Go's `ulid.ULID` marshals.
mod ulid_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use ulid::Ulid;

    pub(super) fn serialize<S: Serializer>(u: &Ulid, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&u.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Ulid, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ulid::from_string(&s).map_err(serde::de::Error::custom)
    }
}

/// A list of ULIDs as text.
mod ulid_vec {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use ulid::Ulid;

    pub(super) fn serialize<S: Serializer>(v: &[Ulid], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for u in v {
            seq.serialize_element(&u.to_string())?;
        }
        seq.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Ulid>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| Ulid::from_string(s).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Prometheus 2.42 writes for a compacted block (field order and tabs included).
    const GOLDEN: &str = "{
\t\"ulid\": \"01M7ZEBM3GQ709EH7MZ2DCYKAY\",
\t\"minTime\": 1000000,
\t\"maxTime\": 3000001,
\t\"stats\": {
\t\t\"numSamples\": 5,
\t\t\"numSeries\": 3,
\t\t\"numChunks\": 3,
\t\t\"numTombstones\": 1
\t},
\t\"compaction\": {
\t\t\"level\": 2,
\t\t\"sources\": [
\t\t\t\"01M7ZEBM3GQ709EH7MZ2DCYKAY\",
\t\t\t\"01M7ZEBM3GQ709EH7MZ2DCYKAZ\"
\t\t],
\t\t\"parents\": [
\t\t\t{
\t\t\t\t\"ulid\": \"01M7ZEBM3GQ709EH7MZ2DCYKAY\",
\t\t\t\t\"minTime\": 1000000,
\t\t\t\t\"maxTime\": 2000000
\t\t\t}
\t\t]
\t},
\t\"version\": 1
}";

    fn ulid(s: &str) -> Ulid {
        Ulid::from_string(s).unwrap()
    }

    fn golden_meta() -> BlockMeta {
        let a = ulid("01M7ZEBM3GQ709EH7MZ2DCYKAY");
        let b = ulid("01M7ZEBM3GQ709EH7MZ2DCYKAZ");
        let stats = BlockStats {
            num_samples: 5,
            num_series: 3,
            num_chunks: 3,
            num_tombstones: 1,
        };
        let mut parent = BlockMeta::new(
            a,
            1_000_000,
            2_000_000,
            stats.clone(),
            Compaction::new(a, 1, &[]),
        );
        parent.compaction.sources.push(b);
        BlockMeta::new(
            a,
            1_000_000,
            3_000_001,
            stats,
            Compaction::new(b, 2, &[parent]),
        )
    }

    #[test]
    fn matches_prometheus_json_exactly() {
        let m = golden_meta();
        assert_eq!(String::from_utf8(m.to_json()).unwrap(), GOLDEN);
        assert_eq!(
            BlockMeta::from_json(GOLDEN.as_bytes(), Path::new("m")).unwrap(),
            m
        );
    }

    #[test]
    fn empty_stats_and_lists_are_omitted() {
        let a = ulid("01M7ZEBM3GQ709EH7MZ2DCYKAY");
        let m = BlockMeta::new(
            a,
            0,
            10,
            BlockStats::default(),
            Compaction {
                level: 1,
                ..Default::default()
            },
        );
        let json = String::from_utf8(m.to_json()).unwrap();
        let want = "{\n\t\"ulid\": \"01M7ZEBM3GQ709EH7MZ2DCYKAY\",\n\t\"minTime\": 0,\n\t\"maxTime\": 10,\n\t\"stats\": {},\n\t\"compaction\": {\n\t\t\"level\": 1\n\t},\n\t\"version\": 1\n}";
        assert_eq!(json, want);
    }

    #[test]
    fn reads_newer_prometheus_fields_and_flags() {
        let json = r#"{"ulid":"01m7zebm3gq709eh7mz2dcykay","minTime":1,"maxTime":2,
            "stats":{"numSamples":3,"numFloatSamples":3,"numHistogramSamples":0},
            "compaction":{"level":3,"deletable":true,"failed":true,"hints":["from-out-of-order"]},
            "version":1}"#;
        let m = BlockMeta::from_json(json.as_bytes(), Path::new("m")).unwrap();
        assert_eq!(m.stats.num_samples, 3);
        assert!(m.compaction.deletable && m.compaction.failed);
        let back = String::from_utf8(m.to_json()).unwrap();
        assert!(back.contains("\"deletable\": true") && back.contains("\"hints\": ["));
        assert!(!back.contains("numFloatSamples"));
    }

    #[test]
    fn bad_json_and_versions_are_corruption_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "{",
            r#"{"ulid":"nope","minTime":0,"maxTime":1,"version":1}"#,
            r#"{"ulid":"01M7ZEBM3GQ709EH7MZ2DCYKAY","minTime":0,"maxTime":1,"version":2}"#,
        ] {
            std::fs::write(dir.path().join(META_FILENAME), bad).unwrap();
            let err = BlockMeta::read(dir.path()).unwrap_err();
            assert!(
                matches!(&err, Error::Corruption { path, .. } if path.ends_with(META_FILENAME)),
                "{err}"
            );
        }
        std::fs::remove_file(dir.path().join(META_FILENAME)).unwrap();
        assert!(matches!(BlockMeta::read(dir.path()), Err(Error::Io { .. })));
    }

    #[test]
    fn overlap_uses_exclusive_max_time() {
        let m = BlockMeta::new(
            Ulid::nil(),
            100,
            200,
            BlockStats::default(),
            Compaction::default(),
        );
        assert!(m.overlaps_closed(199, 300));
        assert!(!m.overlaps_closed(200, 300));
        assert!(m.overlaps_closed(0, 100));
        assert!(!m.overlaps_closed(0, 99));
    }

    proptest! {
        // Each case fsyncs twice; a few dozen cases cover the shapes.
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn write_read_round_trip(
            ids in proptest::collection::vec(any::<u128>(), 1..4),
            min in any::<i64>(), max in any::<i64>(),
            stats in any::<(u64, u64, u64, u64)>(),
            level in 0u32..10, flags in any::<(bool, bool)>(),
        ) {
            let stats = BlockStats { num_samples: stats.0, num_series: stats.1, num_chunks: stats.2, num_tombstones: stats.3 };
            let mut m = BlockMeta::new(Ulid(ids[0]), min, max, stats, Compaction::new(Ulid(ids[0]), level, &[]));
            m.compaction.sources = ids.iter().map(|&i| Ulid(i)).collect();
            m.compaction.parents = ids.iter().map(|&i| BlockDesc { ulid: Ulid(i), min_time: min, max_time: max }).collect();
            (m.compaction.deletable, m.compaction.failed) = flags;
            let dir = tempfile::tempdir().unwrap();
            let n = m.write(dir.path()).unwrap();
            prop_assert_eq!(n, std::fs::metadata(dir.path().join(META_FILENAME)).unwrap().len());
            prop_assert!(!dir.path().join("meta.json.tmp").exists());
            prop_assert_eq!(BlockMeta::read(dir.path()).unwrap(), m);
        }
    }
}
