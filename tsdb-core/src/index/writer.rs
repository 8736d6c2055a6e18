//! Writes an index file in Prometheus's format v2, byte for byte as Prometheus 2.42's
//! `tsdb/index.Writer` does: header, symbol table, 16-byte aligned series, one label index per
//! label name, 4-byte aligned postings lists (the all-postings list first), the label offset
//! table, the postings offset table and the TOC, each section with its CRC32-Castagnoli.
//!
//! Call order: [`IndexWriter::add_symbols`] once, then [`IndexWriter::add_series`] in ascending
//! label order, then [`IndexWriter::finish`]. Postings are collected in memory while series are
//! added (4 bytes per label pair of every series) instead of re-reading the series section as
//! Prometheus does; after an I/O error the writer must be dropped and the file discarded.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use model::Labels;

use crate::encoding::{Encbuf, crc32c};
use crate::error::{Error, Result};

/// Magic number opening every index file.
pub(crate) const MAGIC_INDEX: u32 = 0xBAAA_D700;
/// The index format version written and read here.
pub(crate) const FORMAT_V2: u8 = 2;
/// Bytes of magic plus version.
pub(crate) const HEADER_LEN: usize = 5;
/// Series entries start at multiples of this; a series reference is its offset divided by it.
pub(crate) const SERIES_ALIGN: u64 = 16;
/// Postings lists and label indices start at multiples of this.
pub(crate) const POSTINGS_ALIGN: u64 = 4;
/// Size of the TOC: six big-endian u64 offsets and a CRC32.
pub(crate) const TOC_LEN: usize = 6 * 8 + 4;

/// Where one chunk of a series lives and which samples it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ChunkMeta {
    /// Timestamp of the first sample (ms, inclusive).
    pub(crate) mint: i64,
    /// Timestamp of the last sample (ms, inclusive).
    pub(crate) maxt: i64,
    /// Reference of the chunk in the block's chunk files: segment index << 32 | byte offset.
    pub(crate) chunk_ref: u64,
}

/// The table of contents: absolute file offsets of each section (0 = absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Toc {
    /// Symbol table.
    pub(crate) symbols: u64,
    /// First byte after the symbol table; series follow from the next 16-byte boundary.
    pub(crate) series: u64,
    /// First byte after the series.
    pub(crate) label_indices: u64,
    /// Label offset table.
    pub(crate) label_indices_table: u64,
    /// First byte after the label indices; postings follow from the next 4-byte boundary.
    pub(crate) postings: u64,
    /// Postings offset table.
    pub(crate) postings_table: u64,
}

impl Toc {
    /// The six offsets in file order.
    pub(crate) fn offsets(&self) -> [u64; 6] {
        [
            self.symbols,
            self.series,
            self.label_indices,
            self.label_indices_table,
            self.postings,
            self.postings_table,
        ]
    }

    /// The TOC as it ends the file, CRC included.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut e = Encbuf::with_capacity(TOC_LEN);
        for off in self.offsets() {
            e.put_be64(off);
        }
        let crc = crc32c(&e.buf);
        e.put_be32(crc);
        e.buf
    }
}

/// Streams an index file to disk. See the module docs for the call order.
pub(crate) struct IndexWriter {
    path: PathBuf,
    out: BufWriter<File>,
    /// Bytes written so far.
    pos: u64,
    toc: Toc,
    /// Symbols in ascending order; a symbol's reference is its position.
    symbols: Vec<Box<str>>,
    /// xxh3 of a symbol → its reference, for lookups without string comparisons; a hash shared
    /// by two symbols maps to `u32::MAX` and falls back to binary search.
    symbol_ids: HashMap<u64, u32>,
    symbols_written: bool,
    /// The last series added, to enforce ascending order (the empty set before the first).
    last_series: Labels,
    /// Series references of every (name, value) pair, keyed by symbol references.
    postings: HashMap<(u32, u32), Vec<u32>>,
    /// Every series reference, in order: the all-postings list.
    all: Vec<u32>,
    buf: Encbuf,
}

impl IndexWriter {
    /// Creates (or truncates) the file at `path` and writes the header.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io("create", path, e))?;
        let mut w = Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            toc: Toc::default(),
            symbols: Vec::new(),
            symbol_ids: HashMap::new(),
            symbols_written: false,
            last_series: Labels::empty(),
            postings: HashMap::new(),
            all: Vec::new(),
            buf: Encbuf::with_capacity(1 << 12),
        };
        let mut h = Encbuf::with_capacity(HEADER_LEN);
        h.put_be32(MAGIC_INDEX);
        h.put_u8(FORMAT_V2);
        w.write(&h.buf)?;
        Ok(w)
    }

    /// Writes the symbol table. `sorted_unique` must be strictly ascending and contain every
    /// label name and value of the series added later. Call exactly once, before any series.
    pub(crate) fn add_symbols<'a>(
        &mut self,
        sorted_unique: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        if self.symbols_written {
            return Err(self.invalid("add_symbols", "symbols were already written".into()));
        }
        let mut body = Encbuf::new();
        body.put_be32(0); // Count, patched below.
        for sym in sorted_unique {
            if self.symbols.last().is_some_and(|last| **last >= *sym) {
                return Err(self.invalid("add_symbols", format!("symbol {sym:?} out of order")));
            }
            body.put_uvarint_str(sym);
            let id = count_u32(self.symbols.len());
            self.symbol_ids
                .entry(xxhash_rust::xxh3::xxh3_64(sym.as_bytes()))
                .and_modify(|v| *v = u32::MAX)
                .or_insert(id);
            self.symbols.push(sym.into());
        }
        let count = u32::try_from(self.symbols.len())
            .map_err(|_| self.invalid("add_symbols", "more than 2^32-1 symbols".into()))?;
        if let Some(c) = body.buf.get_mut(..4) {
            c.copy_from_slice(&count.to_be_bytes());
        }
        self.toc.symbols = self.pos;
        self.write_section(&body.buf, "symbol table")?;
        self.toc.series = self.pos;
        self.symbols_written = true;
        Ok(())
    }

    /// Appends a series with its chunk metas and returns its reference (offset / 16).
    ///
    /// Series must come in strictly ascending label order; chunks must be ordered, non-overlapping
    /// (`mint` above the previous `maxt`), each with `mint <= maxt` and non-decreasing references.
    pub(crate) fn add_series(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<u64> {
        if !self.symbols_written {
            return Err(self.invalid("add_series", "add_symbols must come first".into()));
        }
        if *labels <= self.last_series {
            let msg = format!("out-of-order series {labels}, last {}", self.last_series);
            return Err(self.invalid("add_series", msg));
        }
        check_chunks(chunks).map_err(|m| self.invalid("add_series", m))?;
        let mut pairs = Vec::with_capacity(8);
        for (name, value) in labels.iter() {
            pairs.push((self.symbol_ref(name)?, self.symbol_ref(value)?));
        }

        self.pad(SERIES_ALIGN)?;
        let series_ref = u32::try_from(self.pos / SERIES_ALIGN)
            .map_err(|_| self.invalid("add_series", "index exceeds 64 GiB".into()))?;
        encode_series(&mut self.buf, &pairs, chunks);
        let body = std::mem::take(&mut self.buf);
        let res = self.write_uvarint_section(&body.buf);
        self.buf = body;
        res?;

        self.all.push(series_ref);
        for pair in pairs {
            self.postings.entry(pair).or_default().push(series_ref);
        }
        self.last_series = labels.clone();
        Ok(u64::from(series_ref))
    }

    /// Writes label indices, postings, both offset tables and the TOC, then flushes and fsyncs
    /// the file. Returns the file size. Syncing the directory is the block writer's job.
    pub(crate) fn finish(mut self) -> Result<u64> {
        if !self.symbols_written {
            self.add_symbols([])?;
        }
        let mut keys: Vec<(u32, u32)> = self.postings.keys().copied().collect();
        keys.sort_unstable();

        self.toc.label_indices = self.pos;
        let label_indices = self.write_label_indices(&keys)?;
        self.toc.postings = self.pos;
        let postings_offsets = self.write_postings(&keys)?;

        self.toc.label_indices_table = self.pos;
        let mut table = Encbuf::new();
        table.put_be32(count_u32(label_indices.len()));
        for (name, off) in &label_indices {
            table.put_uvarint(1);
            table.put_uvarint_str(self.symbol(*name));
            table.put_uvarint(*off);
        }
        self.write_section(&table.buf, "label offset table")?;

        self.toc.postings_table = self.pos;
        table.reset();
        table.put_be32(count_u32(postings_offsets.len()));
        for (key, off) in &postings_offsets {
            let (name, value) = match key {
                Some((n, v)) => (self.symbol(*n), self.symbol(*v)),
                None => ("", ""),
            };
            table.put_uvarint(2);
            table.put_uvarint_str(name);
            table.put_uvarint_str(value);
            table.put_uvarint(*off);
        }
        self.write_section(&table.buf, "postings offset table")?;

        let toc = self.toc.encode();
        self.write(&toc)?;
        self.out
            .flush()
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.out
            .get_ref()
            .sync_all()
            .map_err(|e| Error::io("fsync", &self.path, e))?;
        Ok(self.pos)
    }

    /// One label index per label name: the symbol references of its values, ascending.
    /// Returns (name symbol, offset) per index.
    fn write_label_indices(&mut self, keys: &[(u32, u32)]) -> Result<Vec<(u32, u64)>> {
        let mut offsets = Vec::new();
        let mut body = Encbuf::new();
        for group in keys.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(name, _)) = group.first() else {
                continue;
            };
            self.pad(POSTINGS_ALIGN)?;
            offsets.push((name, self.pos));
            body.reset();
            body.put_be32(1); // Number of names per entry.
            body.put_be32(count_u32(group.len()));
            for &(_, value) in group {
                body.put_be32(value);
            }
            self.write_section(&body.buf, "label index")?;
        }
        Ok(offsets)
    }

    /// Postings lists, all-postings (key `None`, written as ("", "")) first, then every pair in
    /// (name, value) order. Returns (key, offset) per list in that order.
    #[allow(clippy::type_complexity)]
    fn write_postings(&mut self, keys: &[(u32, u32)]) -> Result<Vec<(Option<(u32, u32)>, u64)>> {
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        let all = std::mem::take(&mut self.all);
        offsets.push((None, self.write_postings_list(&all)?));
        for key in keys {
            let list = self.postings.remove(key).unwrap_or_default();
            offsets.push((Some(*key), self.write_postings_list(&list)?));
        }
        Ok(offsets)
    }

    fn write_postings_list(&mut self, refs: &[u32]) -> Result<u64> {
        self.pad(POSTINGS_ALIGN)?;
        let off = self.pos;
        let mut body = std::mem::take(&mut self.buf);
        body.reset();
        body.put_be32(count_u32(refs.len()));
        for &r in refs {
            body.put_be32(r);
        }
        let res = self.write_section(&body.buf, "postings list");
        self.buf = body;
        res.map(|()| off)
    }

    /// Writes `be32(len) body crc32(body)`, the framing of every fixed section.
    fn write_section(&mut self, body: &[u8], what: &str) -> Result<()> {
        let len = u32::try_from(body.len())
            .map_err(|_| self.invalid("finish", format!("{what} exceeds 4 GiB")))?;
        self.write(&len.to_be_bytes())?;
        self.write(body)?;
        self.write(&crc32c(body).to_be_bytes())
    }

    /// Writes `uvarint(len) body crc32(body)`, the framing of a series entry.
    fn write_uvarint_section(&mut self, body: &[u8]) -> Result<()> {
        let mut len = Vec::with_capacity(10);
        crate::encoding::put_uvarint(&mut len, body.len() as u64);
        self.write(&len)?;
        self.write(body)?;
        self.write(&crc32c(body).to_be_bytes())
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    /// Zero bytes up to the next multiple of `align`.
    fn pad(&mut self, align: u64) -> Result<()> {
        let rem = self.pos % align;
        if rem == 0 {
            return Ok(());
        }
        let zeros = [0u8; 16];
        let n = usize::try_from(align - rem).unwrap_or(0);
        self.write(zeros.get(..n).unwrap_or_default())
    }

    fn symbol_ref(&self, s: &str) -> Result<u32> {
        if let Some(&id) = self
            .symbol_ids
            .get(&xxhash_rust::xxh3::xxh3_64(s.as_bytes()))
            && self.symbols.get(id as usize).is_some_and(|x| **x == *s)
        {
            return Ok(id);
        }
        match self.symbols.binary_search_by(|x| (**x).cmp(s)) {
            Ok(i) => Ok(count_u32(i)),
            Err(_) => Err(self.invalid("add_series", format!("symbol {s:?} was not added"))),
        }
    }

    fn symbol(&self, r: u32) -> &str {
        self.symbols.get(r as usize).map_or("", |s| s)
    }

    /// A misuse of the writer: reported as an invalid-input I/O error on the index file.
    fn invalid(&self, op: &'static str, msg: String) -> Error {
        Error::io(
            op,
            &self.path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, msg),
        )
    }
}

/// Checks the chunk order rules Prometheus's writer enforces within a series.
fn check_chunks(chunks: &[ChunkMeta]) -> std::result::Result<(), String> {
    for (i, c) in chunks.iter().enumerate() {
        if c.maxt < c.mint {
            return Err(format!(
                "chunk maxt {} is less than mint {}",
                c.maxt, c.mint
            ));
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| chunks.get(p)) {
            if c.mint <= prev.maxt {
                return Err(format!(
                    "chunk mint {} not above previous maxt {}",
                    c.mint, prev.maxt
                ));
            }
            if c.chunk_ref < prev.chunk_ref {
                return Err(format!(
                    "unsorted chunk ref {} after {}",
                    c.chunk_ref, prev.chunk_ref
                ));
            }
        }
    }
    Ok(())
}

/// Encodes a series entry's body: label symbol pairs, then chunk metas delta-encoded as
/// Prometheus does (wrapping arithmetic, so extreme timestamps round-trip as in Go).
fn encode_series(e: &mut Encbuf, pairs: &[(u32, u32)], chunks: &[ChunkMeta]) {
    e.reset();
    e.put_uvarint(pairs.len() as u64);
    for &(n, v) in pairs {
        e.put_uvarint(u64::from(n));
        e.put_uvarint(u64::from(v));
    }
    e.put_uvarint(chunks.len() as u64);
    let Some((first, rest)) = chunks.split_first() else {
        return;
    };
    e.put_varint(first.mint);
    e.put_uvarint(first.maxt.wrapping_sub(first.mint) as u64);
    e.put_uvarint(first.chunk_ref);
    let (mut t0, mut ref0) = (first.maxt, first.chunk_ref);
    for c in rest {
        e.put_uvarint(c.mint.wrapping_sub(t0) as u64);
        e.put_uvarint(c.maxt.wrapping_sub(c.mint) as u64);
        e.put_varint(c.chunk_ref.wrapping_sub(ref0) as i64);
        t0 = c.maxt;
        ref0 = c.chunk_ref;
    }
}

/// Converts a count bounded elsewhere (symbols and series refs fit u32) to u32.
fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::block::meta::{BlockMeta, BlockStats, Compaction};
    use crate::block::tombstones::Tombstones;
    use crate::index::IndexReader;
    use std::process::Command;

    pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    /// Writes an index of `series` (already in label order) with exactly the symbols they use.
    pub(crate) fn write_index(path: &Path, series: &[(Labels, Vec<ChunkMeta>)]) -> Vec<u64> {
        let mut symbols: Vec<&str> = series
            .iter()
            .flat_map(|(l, _)| l.iter())
            .flat_map(|(n, v)| [n, v])
            .collect();
        symbols.sort_unstable();
        symbols.dedup();
        let mut w = IndexWriter::create(path).unwrap();
        w.add_symbols(symbols).unwrap();
        let refs = series
            .iter()
            .map(|(l, c)| w.add_series(l, c).unwrap())
            .collect();
        assert_eq!(w.finish().unwrap(), std::fs::metadata(path).unwrap().len());
        refs
    }

    fn section(out: &mut Vec<u8>, body: &[u8]) {
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&crc32c(body).to_be_bytes());
    }

    fn series_entry(out: &mut Vec<u8>, body: &[u8]) {
        out.push(u8::try_from(body.len()).unwrap());
        out.extend_from_slice(body);
        out.extend_from_slice(&crc32c(body).to_be_bytes());
    }

    /// The tiny index of the golden test, laid out by hand from the format description.
    pub(crate) fn golden_bytes() -> Vec<u8> {
        let mut want = vec![0xBA, 0xAA, 0xD7, 0x00, 0x02];
        section(&mut want, &[0, 0, 0, 4, 1, b'1', 1, b'2', 1, b'a', 1, b'b']); // 5..25
        want.resize(32, 0);
        series_entry(&mut want, &[1, 2, 0, 1, 0, 10, 8]); // 32..44: ref 2, {a="1"}, one chunk.
        want.resize(48, 0);
        series_entry(&mut want, &[2, 2, 1, 3, 0, 0]); // 48..59: ref 3, {a="2",b="1"}.
        want.resize(60, 0);
        section(&mut want, &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]); // 60..84: label index a.
        section(&mut want, &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]); // 84..104: label index b.
        section(&mut want, &[0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]); // 104..124: all postings.
        section(&mut want, &[0, 0, 0, 1, 0, 0, 0, 2]); // 124..140: a="1".
        section(&mut want, &[0, 0, 0, 1, 0, 0, 0, 3]); // 140..156: a="2".
        section(&mut want, &[0, 0, 0, 1, 0, 0, 0, 3]); // 156..172: b="1".
        section(&mut want, &[0, 0, 0, 2, 1, 1, b'a', 60, 1, 1, b'b', 84]); // 172..192
        #[rustfmt::skip]
        section(&mut want, &[0, 0, 0, 4,
            2, 0, 0, 104,
            2, 1, b'a', 1, b'1', 124,
            2, 1, b'a', 1, b'2', 0x8c, 0x01,
            2, 1, b'b', 1, b'1', 0x9c, 0x01]); // 192..228
        let toc = Toc {
            symbols: 5,
            series: 25,
            label_indices: 59,
            label_indices_table: 172,
            postings: 104,
            postings_table: 192,
        };
        want.extend_from_slice(&toc.encode());
        want
    }

    pub(crate) fn golden_series() -> Vec<(Labels, Vec<ChunkMeta>)> {
        vec![
            (
                labels(&[("a", "1")]),
                vec![ChunkMeta {
                    mint: 0,
                    maxt: 10,
                    chunk_ref: 8,
                }],
            ),
            (labels(&[("a", "2"), ("b", "1")]), vec![]),
        ]
    }

    #[test]
    fn golden_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        assert_eq!(write_index(&path, &golden_series()), [2, 3]);
        let got = std::fs::read(&path).unwrap();
        let want = golden_bytes();
        assert_eq!(want.len(), 280);
        assert_eq!(got, want);
    }

    #[test]
    fn empty_index_has_only_the_all_postings_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        IndexWriter::create(&path).unwrap().finish().unwrap();
        let r = IndexReader::open(&path).unwrap();
        assert_eq!(r.num_symbols(), 0);
        assert!(r.label_names().unwrap().is_empty());
        assert_eq!(r.all_postings().unwrap().count(), 0);
        // Header, symbols, padding, all-postings, label offset table, postings table, TOC.
        assert_eq!(r.size(), 5 + 12 + 3 + 12 + 12 + 16 + 52);
    }

    #[test]
    fn refuses_misuse() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = IndexWriter::create(&dir.path().join("index")).unwrap();
        let l = labels(&[("a", "1")]);
        assert!(w.add_series(&l, &[]).is_err(), "series before symbols");
        assert!(
            IndexWriter::create(&dir.path().join("i2"))
                .unwrap()
                .add_symbols(["b", "a"])
                .is_err()
        );
        w.add_symbols(["1", "2", "a"]).unwrap();
        assert!(w.add_symbols(["x"]).is_err(), "symbols twice");
        assert!(
            w.add_series(&Labels::empty(), &[]).is_err(),
            "empty label set"
        );
        assert!(
            w.add_series(&labels(&[("a", "3")]), &[]).is_err(),
            "unknown symbol"
        );
        let c = |mint, maxt, chunk_ref| ChunkMeta {
            mint,
            maxt,
            chunk_ref,
        };
        assert!(w.add_series(&l, &[c(5, 4, 0)]).is_err(), "maxt < mint");
        assert!(
            w.add_series(&l, &[c(0, 4, 0), c(4, 6, 1)]).is_err(),
            "overlapping chunks"
        );
        assert!(
            w.add_series(&l, &[c(0, 4, 9), c(5, 6, 1)]).is_err(),
            "unsorted chunk refs"
        );
        w.add_series(&l, &[c(0, 4, 0), c(5, 6, 1)]).unwrap();
        assert!(w.add_series(&l, &[]).is_err(), "duplicate series");
        assert!(
            w.add_series(&labels(&[("a", "1"), ("a", "1")][..1]), &[])
                .is_err()
        );
        w.add_series(&labels(&[("a", "2")]), &[]).unwrap();
        w.finish().unwrap();
    }

    fn promtool() -> bool {
        let ok = Command::new("promtool")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("promtool not installed; skipping");
        }
        ok
    }

    /// Metrics in OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: shared
    /// and unicode values, and one series long enough for several chunks.
    fn openmetrics() -> String {
        let mut s = String::from("# TYPE up gauge\n");
        for (i, inst) in ["x", "ü", "日本", "y"].iter().enumerate() {
            for job in ["a", "b"] {
                for t in 0..(1 + i * 110) {
                    s.push_str(&format!(
                        "up{{job=\"{job}\",instance=\"{inst}\"}} {t}.5 {}\n",
                        1000 + t * 15
                    ));
                }
            }
        }
        s.push_str("# TYPE req counter\n");
        let long = "v".repeat(300);
        for code in ["200", "500", long.as_str()] {
            s.push_str(&format!("req_total{{code=\"{code}\",job=\"a\"}} 1 1000\n"));
        }
        s.push_str("# EOF\n");
        s
    }

    #[test]
    fn rewrites_prometheus_indexes_byte_for_byte() {
        if !promtool() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let om = dir.path().join("in.om");
        std::fs::write(&om, openmetrics()).unwrap();
        let out = dir.path().join("db");
        let st = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let mut blocks = 0;
        for block in std::fs::read_dir(&out).unwrap() {
            let theirs = block.unwrap().path().join("index");
            let r = IndexReader::open(&theirs).unwrap();
            let symbols: Vec<String> = (0..r.num_symbols())
                .map(|i| r.symbol(i).unwrap().to_owned())
                .collect();
            let ours = dir.path().join("ours");
            let mut w = IndexWriter::create(&ours).unwrap();
            w.add_symbols(symbols.iter().map(String::as_str)).unwrap();
            let (mut chunks, mut multi) = (Vec::new(), false);
            for s in r.all_postings().unwrap() {
                let l = r.series(s, &mut chunks).unwrap();
                multi |= chunks.len() > 1;
                assert_eq!(w.add_series(&l, &chunks).unwrap(), s);
            }
            assert!(multi, "no series with several chunks");
            w.finish().unwrap();
            assert!(
                std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
                "index differs from Prometheus's"
            );
            blocks += 1;
        }
        assert!(blocks > 0);
    }

    /// One XOR chunk of a single sample, framed as in a chunk file: the chunk body is the
    /// sample count, the varint timestamp and the value's bits.
    fn xor_chunk(t: i64, v: f64) -> Vec<u8> {
        let mut data = Encbuf::new();
        data.put_bytes(&[0, 1]);
        data.put_varint(t);
        data.put_be64(v.to_bits());
        let mut out = Encbuf::new();
        out.put_uvarint(data.len() as u64);
        let mut enc_and_data = vec![1u8];
        enc_and_data.extend_from_slice(&data.buf);
        out.put_bytes(&enc_and_data);
        out.put_be32(crc32c(&enc_and_data));
        out.buf
    }

    #[test]
    fn promtool_reads_our_blocks() {
        if !promtool() {
            return;
        }
        let db = tempfile::tempdir().unwrap();
        let id = ulid::Ulid::from_string("01M7ZEBM3GQ709EH7MZ2DCYKAY").unwrap();
        let block = db.path().join(id.to_string());
        std::fs::create_dir_all(block.join("chunks")).unwrap();
        std::fs::create_dir_all(db.path().join("wal")).unwrap();
        let names = [("a", "x"), ("a", "ü"), ("b", "日本"), ("b", "y")];
        let mut file = vec![0x85, 0xBD, 0x40, 0xDD, 1, 0, 0, 0];
        let mut series = Vec::new();
        let mut want = Vec::new();
        for (job, inst) in names {
            let l = labels(&[("__name__", "up"), ("instance", inst), ("job", job)]);
            let mut chunks = Vec::new();
            for (k, t) in [1000i64, 5000].into_iter().enumerate() {
                let v = k as f64 + 0.5;
                chunks.push(ChunkMeta {
                    mint: t,
                    maxt: t,
                    chunk_ref: file.len() as u64,
                });
                file.extend_from_slice(&xor_chunk(t, v));
                want.push(format!(
                    "{{__name__=\"up\", instance=\"{inst}\", job=\"{job}\"}} {v} {t}"
                ));
            }
            series.push((l, chunks));
        }
        series.sort_by(|a, b| a.0.cmp(&b.0));
        std::fs::write(block.join("chunks").join("000001"), &file).unwrap();
        write_index(&block.join("index"), &series);
        let stats = BlockStats {
            num_samples: 8,
            num_series: 4,
            num_chunks: 8,
            num_tombstones: 0,
        };
        BlockMeta::new(id, 1000, 5001, stats, Compaction::new(id, 1, &[]))
            .write(&block)
            .unwrap();
        Tombstones::new().write(&block).unwrap();

        let promtool = |cmd: &str| {
            let out = Command::new("promtool")
                .args(["tsdb", cmd])
                .arg(db.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let stdout = promtool("dump");
        let mut got: Vec<&str> = stdout.lines().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);

        let stdout = promtool("analyze");
        assert!(
            stdout.contains("Series: 4") && stdout.contains("Label names: 3"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Postings (unique label pairs): 7"),
            "{stdout}"
        );
    }
}
