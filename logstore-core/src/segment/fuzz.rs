//! The segment reader's fuzz hook and the helpers it shares with the tests: building small
//! chunks, a reference model of a segment's contents, and `reseal`, which rewrites a file's
//! checksums so that damaged structure reaches the parsers behind them.
#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};

use model::{Labels, MatchType, Matcher};
use roaring::RoaringBitmap;

use super::format::{FOOTER_FIXED_LEN, HEADER_LEN, Partition, TRAILER_LEN};
use super::reader::SegmentReader;
use super::writer::{ChunkInput, SegmentWriter};
use crate::chunk::{BlockBuilder, encode_chunk};

/// Label names the generated streams use.
pub(super) const NAMES: [&str; 4] = ["app", "env", "level", "pod"];

/// Fuzz hook: `data` read as a segment, and again with its checksums rewritten, must open or
/// fail with an error, never panic, and what opens must keep the reader's invariants; streams
/// derived from `data` must come back unchanged from a write → open round trip, matchers
/// must agree with testing every stream's labels, and damage to that segment must not panic.
pub fn fuzz_log_segment_reader(data: &[u8]) {
    exercise(data);
    let mut resealed = data.to_vec();
    if reseal(&mut resealed) {
        exercise(&resealed);
    }
    round_trip(data);
}

/// Opens `bytes` and, when that works, calls every reader method, checking invariants that
/// hold for any segment that opens.
pub(super) fn exercise(bytes: &[u8]) {
    let Ok(reader) = SegmentReader::open(bytes, "<fuzz>") else {
        return;
    };
    let n = reader.stream_count();
    assert_eq!(reader.totals().streams, u64::from(n), "stream total");
    let all = reader.all_streams();
    let stats = reader.index_stats(&all, i64::MIN, i64::MAX);
    assert_eq!(
        stats,
        reader.totals(),
        "index stats of everything differ from the totals"
    );
    let mut matchers = Vec::new();
    for id in 0..n {
        let Some(labels) = reader.labels(id) else {
            panic!("stream {id} of {n} has no labels");
        };
        if let Some((name, value)) = labels.iter().next() {
            matchers.push(Matcher::equal(name, value));
            matchers.extend(Matcher::new(MatchType::NotRegex, name, ".*0.*").ok());
        }
        let refs: Vec<_> = reader.chunks(id, i64::MIN, i64::MAX).collect();
        assert!(!refs.is_empty(), "stream {id} without chunks");
        assert!(refs.is_sorted_by_key(|r| r.mint), "refs out of order");
        for r in refs {
            let bytes = reader.chunk_bytes(r).map(<[u8]>::len).ok();
            assert_eq!(bytes, Some(r.len as usize), "chunk bytes of {r:?}");
            if let Ok(chunk) = reader.read_chunk(r) {
                assert_eq!(chunk.entries(), r.entries, "entries of a chunk that reads");
            }
        }
        matchers.truncate(16);
    }
    for m in &matchers {
        if let Ok(streams) = reader.streams_matching(std::slice::from_ref(m)) {
            assert!(
                streams.max().is_none_or(|s| s < n),
                "{m} selects a stream past {n}"
            );
        }
    }
    if let Ok(names) = reader.label_names(None) {
        assert!(names.is_sorted(), "label names unsorted");
        for name in names.iter().take(8) {
            let values = reader.label_values(name, Some(&all));
            assert!(
                values.is_ok_and(|v| v.is_sorted()),
                "label values of {name}"
            );
        }
    }
    assert!(
        reader.label_names(Some(&all)).is_ok(),
        "label names of every stream"
    );
    let _ = reader.verify_chunks();
}

/// Recomputes the section checksums in the section table and the footer checksum of `file`
/// in place, when its trailer and footer length can be read; returns whether it did.
pub(super) fn reseal(file: &mut [u8]) -> bool {
    let len = file.len();
    if len < HEADER_LEN + TRAILER_LEN + FOOTER_FIXED_LEN {
        return false;
    }
    let trailer_at = len - TRAILER_LEN;
    let Some(footer_len) = read_be(file, trailer_at, 4) else {
        return false;
    };
    let footer_len = footer_len as usize;
    if footer_len < FOOTER_FIXED_LEN || footer_len > trailer_at - HEADER_LEN {
        return false;
    }
    let footer_at = trailer_at - footer_len;
    let Some(tenant_len) = read_be(file, footer_at, 2) else {
        return false;
    };
    let toc_at = footer_at + 2 + tenant_len as usize + 48;
    if toc_at + 100 > trailer_at {
        return false;
    }
    for k in 0..5 {
        let entry = toc_at + 20 * k;
        let (Some(offset), Some(len)) = (read_be(file, entry, 8), read_be(file, entry + 8, 8))
        else {
            return false;
        };
        let range = usize::try_from(offset)
            .ok()
            .and_then(|o| Some(o..o.checked_add(usize::try_from(len).ok()?)?));
        if let Some(crc) = range.and_then(|r| file.get(r)).map(crc32fast::hash) {
            write_be32(file, entry + 16, crc);
        }
    }
    let crc = crc32fast::hash(file.get(footer_at..trailer_at + 4).unwrap_or_default());
    write_be32(file, trailer_at + 4, crc);
    true
}

fn read_be(file: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = file.get(at..at.checked_add(n)?)?;
    Some(bytes.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

fn write_be32(file: &mut [u8], at: usize, v: u32) {
    if let Some(slot) = file.get_mut(at..at + 4) {
        slot.copy_from_slice(&v.to_be_bytes());
    }
}

/// A chunk of one block holding `entries` (timestamp, line), compressed at level 1.
pub(super) fn build_chunk(entries: &[(i64, &[u8])]) -> Vec<u8> {
    let mut builder = BlockBuilder::new();
    for &(ts, line) in entries {
        builder.push(ts, line, &[]);
    }
    match builder.seal(1) {
        Ok(Some(block)) => encode_chunk(&[block]),
        Ok(None) => encode_chunk(&[]),
        Err(e) => panic!("sealing a test block: {e}"),
    }
}

/// What a segment should hold: per label set, its chunks' bytes in the order the reader
/// lists them (by `mint`, then `maxt`, then the order written).
#[derive(Debug, Default, Clone)]
pub(super) struct Model {
    pub streams: BTreeMap<Labels, Vec<Vec<u8>>>,
}

impl Model {
    /// Adds a chunk as a writer was given it.
    pub(super) fn add(&mut self, labels: &Labels, chunk: Vec<u8>) {
        self.streams.entry(labels.clone()).or_default().push(chunk);
    }

    /// Sorts each stream's chunks as the reader lists them.
    pub(super) fn sort(&mut self) {
        for chunks in self.streams.values_mut() {
            chunks.sort_by_key(|c| {
                ChunkInput::from_chunk(c).map_or((i64::MAX, i64::MAX), |i| (i.mint, i.maxt))
            });
        }
    }

    /// The streams `matchers` select, tested label set by label set.
    pub(super) fn matching(&self, matchers: &[Matcher]) -> RoaringBitmap {
        let selects = |l: &Labels| {
            matchers
                .iter()
                .all(|m| m.matches(l.get(m.name()).unwrap_or("")))
        };
        (0u32..)
            .zip(self.streams.keys())
            .filter(|(_, l)| selects(l))
            .map(|(id, _)| id)
            .collect()
    }

    /// Asserts that `reader` holds exactly the model (after `sort`), and answers `matchers`
    /// and label questions as the model does.
    pub(super) fn check<B: AsRef<[u8]>>(
        &self,
        reader: &SegmentReader<B>,
        matchers: &[Vec<Matcher>],
    ) {
        assert_eq!(
            reader.stream_count() as usize,
            self.streams.len(),
            "streams"
        );
        for ((labels, chunks), id) in self.streams.iter().zip(0u32..) {
            assert_eq!(reader.labels(id).as_ref(), Some(labels), "labels of {id}");
            let stored: Vec<&[u8]> = reader
                .chunks(id, i64::MIN, i64::MAX)
                .filter_map(|r| reader.chunk_bytes(r).ok())
                .collect();
            let want: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            assert_eq!(stored, want, "chunks of {labels}");
        }
        for m in matchers {
            let got = reader.streams_matching(m).ok();
            assert_eq!(got, Some(self.matching(m)), "streams matching {m:?}");
        }
        let all = reader.all_streams();
        let picked = self.matching(matchers.first().map(Vec::as_slice).unwrap_or_default());
        for within in [None, Some(&all), Some(&picked)] {
            let names = reader.label_names(within).ok();
            assert_eq!(
                names,
                Some(self.label_names(within)),
                "label names in {within:?}"
            );
            for name in NAMES {
                let values = reader.label_values(name, within).ok();
                assert_eq!(
                    values,
                    Some(self.label_values(name, within)),
                    "values of {name}"
                );
            }
        }
    }

    fn selected(&self, within: Option<&RoaringBitmap>) -> impl Iterator<Item = &Labels> {
        (0u32..)
            .zip(self.streams.keys())
            .filter(move |(id, _)| within.is_none_or(|w| w.contains(*id)))
            .map(|(_, l)| l)
    }

    fn label_names(&self, within: Option<&RoaringBitmap>) -> Vec<&str> {
        let names: BTreeSet<&str> = self
            .selected(within)
            .flat_map(|l| l.iter().map(|(n, _)| n))
            .collect();
        names.into_iter().collect()
    }

    fn label_values(&self, name: &str, within: Option<&RoaringBitmap>) -> Vec<&str> {
        let values: BTreeSet<&str> = self.selected(within).filter_map(|l| l.get(name)).collect();
        values.into_iter().collect()
    }
}

/// Streams and chunks derived from `data`, written, read back and compared; then the written
/// segment damaged at places `data` picks.
fn round_trip(data: &[u8]) {
    let mut model = Model::default();
    let Ok(mut writer) = SegmentWriter::new(
        Vec::new(),
        "<fuzz>",
        "fuzz",
        Partition {
            mint: 0,
            maxt: 86_399_999_999_999,
        },
    ) else {
        panic!("a valid tenant and partition are refused");
    };
    for piece in data.split(|&b| b == 0xff).take(32) {
        let selector = piece.first().copied().unwrap_or_default();
        let pairs = NAMES
            .iter()
            .enumerate()
            .filter(|&(i, _)| selector >> i & 1 == 1)
            .map(|(i, &n)| {
                (
                    n,
                    format!("{:x}", piece.get(i + 1).copied().unwrap_or_default() % 8),
                )
            });
        let Ok(labels) = Labels::from_pairs(pairs) else {
            continue;
        };
        let base = i64::from(piece.get(1).copied().unwrap_or_default()) * 1_000;
        let entries: Vec<(i64, &[u8])> = (0..1 + i64::from(selector % 3))
            .map(|k| (base.wrapping_mul(k + 1), piece))
            .collect();
        let chunk = build_chunk(&entries);
        let Ok(input) = ChunkInput::from_chunk(&chunk) else {
            panic!("a chunk just built does not read");
        };
        if writer.add_chunk(&labels, &input).is_err() {
            panic!("adding a valid chunk failed");
        }
        model.add(&labels, chunk);
    }
    let Ok((file, _, _)) = writer.finish() else {
        panic!("finishing a segment in memory failed");
    };
    model.sort();
    let Ok(reader) = SegmentReader::open(&file[..], "<fuzz>") else {
        panic!("a segment just written does not open");
    };
    model.check(&reader, &matchers_from(data));
    damage(&file, data);
}

/// Matchers of each kind over the generated names, values picked by `data`.
fn matchers_from(data: &[u8]) -> Vec<Vec<Matcher>> {
    let mut out = vec![Vec::new()];
    for (i, name) in NAMES.iter().enumerate() {
        let v = format!("{:x}", data.get(i).copied().unwrap_or_default() % 8);
        let w = format!("{:x}", data.get(i + 4).copied().unwrap_or_default() % 8);
        let specs = [
            (MatchType::Equal, v.clone()),
            (MatchType::NotEqual, v.clone()),
            (MatchType::Regex, format!("{v}|{w}")),
            (MatchType::NotRegex, format!("{v}|{w}")),
            (MatchType::Regex, ".+".into()),
            (MatchType::Equal, String::new()),
            (MatchType::NotRegex, "[0-3]".into()),
        ];
        for (kind, value) in specs {
            out.extend(Matcher::new(kind, *name, value).ok().map(|m| vec![m]));
        }
    }
    if let (Some(a), Some(b)) = (out.get(1).cloned(), out.get(9).cloned()) {
        out.push([a, b].concat());
    }
    out
}

/// Flips and truncations of a valid segment at offsets `data` picks: never a panic.
fn damage(file: &[u8], data: &[u8]) {
    if file.is_empty() {
        return;
    }
    for pick in data.chunks(2).take(8) {
        let at = pick.iter().fold(0usize, |v, &b| (v << 8) | usize::from(b)) % file.len();
        let mut flipped = file.to_vec();
        if let Some(b) = flipped.get_mut(at) {
            *b ^= 0x5a;
        }
        exercise(&flipped);
        reseal(&mut flipped);
        exercise(&flipped);
        exercise(file.get(..at).unwrap_or_default());
    }
}
