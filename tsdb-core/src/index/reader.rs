//! Reads index files in Prometheus's format v2 (ours and Prometheus's alike).
//!
//! `open` checks the header, the TOC's CRC, the symbol table and the postings offset table (CRC,
//! UTF-8, strictly ascending keys) and keeps in memory one offset per symbol and per label pair.
//! Postings lists and series entries are CRC-checked when read. Every defect is an
//! [`Error::Corruption`] naming the file; no input makes the reader panic.

use std::ops::Range;
use std::path::{Path, PathBuf};

use model::Labels;

use super::postings::Postings;
use super::writer::{ChunkMeta, FORMAT_V2, HEADER_LEN, MAGIC_INDEX, SERIES_ALIGN, TOC_LEN, Toc};
use crate::encoding::{Decbuf, DecodeError, crc32c};
use crate::error::{Error, Result};

/// The bytes of an index file: memory-mapped, or owned (fuzzing, tests, small files).
enum Data {
    /// A copy in memory.
    #[cfg(any(test, feature = "testing"))]
    Owned(Vec<u8>),
    /// A read-only mapping of the file.
    Mapped(memmap2::Mmap),
}

impl Data {
    fn bytes(&self) -> &[u8] {
        match self {
            #[cfg(any(test, feature = "testing"))]
            Data::Owned(v) => v,
            Data::Mapped(m) => m,
        }
    }
}

/// One label name of the postings offset table with its values.
#[derive(Debug)]
struct NameEntry {
    name: String,
    /// Values in ascending order.
    values: Vec<ValueEntry>,
}

/// One label value: where its bytes are in the file, and where its postings list starts.
#[derive(Debug, Clone)]
struct ValueEntry {
    value: Range<usize>,
    postings: u64,
}

/// A read-only view of one index file.
pub(crate) struct IndexReader {
    path: PathBuf,
    data: Data,
    toc: Toc,
    /// File offset of each symbol's length prefix, by symbol reference.
    symbols: Vec<usize>,
    /// Label names in ascending order, without the all-postings key.
    names: Vec<NameEntry>,
    /// Offset of the all-postings list, if the file has one.
    all_postings: Option<u64>,
}

impl IndexReader {
    /// Memory-maps and validates the index file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
        let map = crate::mmap::map_file(&file, path)?;
        Self::from_data(Data::Mapped(map), path)
    }

    /// Validates an index held in memory; `path` names it in errors.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn from_bytes(data: Vec<u8>, path: &Path) -> Result<Self> {
        Self::from_data(Data::Owned(data), path)
    }

    fn from_data(data: Data, path: &Path) -> Result<Self> {
        let mut r = Self {
            path: path.to_owned(),
            data,
            toc: Toc::default(),
            symbols: Vec::new(),
            names: Vec::new(),
            all_postings: None,
        };
        r.read_header()?;
        r.toc = r.read_toc()?;
        r.symbols = r.read_symbols()?;
        r.read_postings_table()?;
        r.check_label_indices()?;
        Ok(r)
    }

    /// Size of the index file in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.bytes().len() as u64
    }

    /// Number of symbols in the symbol table.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn num_symbols(&self) -> u32 {
        u32::try_from(self.symbols.len()).unwrap_or(u32::MAX)
    }

    /// The symbol with reference `i`.
    pub(crate) fn symbol(&self, i: u32) -> Result<&str> {
        let off = *self
            .symbols
            .get(i as usize)
            .ok_or_else(|| self.corrupt(0, format!("unknown symbol reference {i}")))?;
        let b = self.bytes().get(off..).unwrap_or_default();
        Decbuf::new(b)
            .uvarint_str()
            .map_err(|e| self.decode_err(off, "symbol", e))
    }

    /// Every label name, ascending.
    pub(crate) fn label_names(&self) -> Result<Vec<String>> {
        Ok(self.names.iter().map(|n| n.name.clone()).collect())
    }

    /// Every value of label `name`, ascending; empty when the name is absent.
    pub(crate) fn label_values(&self, name: &str) -> Result<Vec<String>> {
        let Some(entry) = self.name_entry(name) else {
            return Ok(Vec::new());
        };
        entry
            .values
            .iter()
            .map(|v| self.value_str(v).map(str::to_owned))
            .collect()
    }

    /// The series carrying `name="value"`; empty when the pair is absent. The pair `("", "")` is
    /// Prometheus's all-postings key and yields every series.
    pub(crate) fn postings(&self, name: &str, value: &str) -> Result<Postings<'_>> {
        if name.is_empty() && value.is_empty() {
            return self.all_postings();
        }
        let Some(entry) = self.name_entry(name) else {
            return Ok(Postings::empty());
        };
        // Values were checked to be in bounds, UTF-8 and ascending at open.
        let idx = entry
            .values
            .binary_search_by(|v| self.value_str(v).unwrap_or_default().cmp(value));
        match idx.ok().and_then(|i| entry.values.get(i)) {
            Some(v) => self.postings_at(v.postings),
            None => Ok(Postings::empty()),
        }
    }

    /// Every series of the index, ascending.
    pub(crate) fn all_postings(&self) -> Result<Postings<'_>> {
        match self.all_postings {
            Some(off) => self.postings_at(off),
            None => Ok(Postings::empty()),
        }
    }

    /// One postings list per value of `name` that `pred` accepts, in value order.
    pub(crate) fn postings_for_values(
        &self,
        name: &str,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Result<Vec<Postings<'_>>> {
        let Some(entry) = self.name_entry(name) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for v in &entry.values {
            if pred(self.value_str(v)?) {
                out.push(self.postings_at(v.postings)?);
            }
        }
        Ok(out)
    }

    /// The labels of series `series_ref`; its chunk metas replace the contents of `chunks`.
    pub(crate) fn series(&self, series_ref: u64, chunks: &mut Vec<ChunkMeta>) -> Result<Labels> {
        chunks.clear();
        let off = series_ref
            .checked_mul(SERIES_ALIGN)
            .filter(|&o| o >= self.toc.series && o < self.toc_start() as u64)
            .ok_or_else(|| {
                self.corrupt(0, format!("series reference {series_ref} out of range"))
            })?;
        let off = off as usize;
        let body = self.uvarint_section(off, "series")?;
        let mut d = Decbuf::new(body);
        let n = d
            .uvarint()
            .map_err(|e| self.decode_err(off, "series labels", e))?;
        let mut pairs = Vec::new();
        for _ in 0..n {
            let name = self.series_symbol(&mut d, off)?;
            let value = self.series_symbol(&mut d, off)?;
            pairs.push((name, value));
        }
        let labels = Labels::from_sorted(pairs)
            .map_err(|e| self.corrupt(off as u64, format!("series labels: {e}")))?;
        decode_chunk_metas(&mut d, chunks).map_err(|e| self.decode_err(off, "chunk metas", e))?;
        Ok(labels)
    }

    fn series_symbol(&self, d: &mut Decbuf<'_>, off: usize) -> Result<&str> {
        let r = d
            .uvarint()
            .map_err(|e| self.decode_err(off, "series labels", e))?;
        let r = u32::try_from(r)
            .map_err(|_| self.corrupt(off as u64, format!("symbol reference {r} too large")))?;
        self.symbol(r)
    }

    fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// Offset of the TOC (the file was checked to be long enough at open).
    fn toc_start(&self) -> usize {
        self.bytes().len().saturating_sub(TOC_LEN)
    }

    fn read_header(&self) -> Result<()> {
        let b = self.bytes();
        if b.len() < HEADER_LEN + TOC_LEN {
            return Err(self.corrupt(0, format!("file too short ({} bytes)", b.len())));
        }
        let mut d = Decbuf::new(b);
        let magic = d.be32().map_err(|e| self.decode_err(0, "header", e))?;
        if magic != MAGIC_INDEX {
            return Err(self.corrupt(0, format!("invalid magic number {magic:#010x}")));
        }
        let version = d.u8().map_err(|e| self.decode_err(4, "header", e))?;
        if version != FORMAT_V2 {
            return Err(self.corrupt(4, format!("unsupported index version {version}")));
        }
        Ok(())
    }

    fn read_toc(&self) -> Result<Toc> {
        let start = self.toc_start();
        let b = self.bytes().get(start..).unwrap_or_default();
        let (body, crc) = b.split_at_checked(TOC_LEN - 4).unwrap_or_default();
        let mut d = Decbuf::new(body);
        let err = |e| self.decode_err(start, "TOC", e);
        let mut offs = [0u64; 6];
        for o in &mut offs {
            *o = d.be64().map_err(err)?;
        }
        let want = Decbuf::new(crc).be32().map_err(err)?;
        if crc32c(body) != want {
            return Err(self.corrupt(start as u64, "TOC checksum mismatch"));
        }
        if let Some(bad) = offs.iter().find(|&&o| o > start as u64) {
            return Err(self.corrupt(start as u64, format!("TOC offset {bad} beyond the TOC")));
        }
        let [
            symbols,
            series,
            label_indices,
            label_indices_table,
            postings,
            postings_table,
        ] = offs;
        Ok(Toc {
            symbols,
            series,
            label_indices,
            label_indices_table,
            postings,
            postings_table,
        })
    }

    fn read_symbols(&self) -> Result<Vec<usize>> {
        if self.toc.symbols == 0 {
            return Ok(Vec::new());
        }
        let off = self.toc.symbols as usize;
        let body = self.section(off, "symbol table")?;
        let mut d = Decbuf::new(body);
        let err = |e| self.decode_err(off, "symbol table", e);
        let count = d.be32().map_err(err)?;
        // Each symbol takes at least one byte, which bounds the allocation by the file size.
        if count as usize > d.len() {
            return Err(self.corrupt(off as u64, format!("{count} symbols in {} bytes", d.len())));
        }
        let base = off + 4 + body.len();
        let mut offsets = Vec::with_capacity(count as usize);
        for _ in 0..count {
            offsets.push(base - d.len());
            d.uvarint_str().map_err(err)?;
        }
        Ok(offsets)
    }

    fn read_postings_table(&mut self) -> Result<()> {
        if self.toc.postings_table == 0 {
            return Ok(());
        }
        let off = self.toc.postings_table as usize;
        let body = self.section(off, "postings offset table")?;
        let base = off + 4 + body.len();
        let mut d = Decbuf::new(body);
        let err = |e| self.decode_err(off, "postings offset table", e);
        let count = d.be32().map_err(err)?;
        let mut names: Vec<NameEntry> = Vec::new();
        let mut all = None;
        let mut last: Option<(&str, &str)> = None;
        for _ in 0..count {
            let keys = d.uvarint().map_err(err)?;
            if keys != 2 {
                return Err(self.corrupt(off as u64, format!("postings key with {keys} parts")));
            }
            let name = d.uvarint_str().map_err(err)?;
            let value_at = base - d.len();
            let value = d.uvarint_str().map_err(err)?;
            let postings = d.uvarint().map_err(err)?;
            if last.is_some_and(|l| l >= (name, value)) {
                return Err(self.corrupt(off as u64, "postings offset table not sorted"));
            }
            last = Some((name, value));
            if name.is_empty() && value.is_empty() {
                all = Some(postings);
                continue;
            }
            let start = value_at + crate::encoding::uvarint_len(value.len() as u64);
            let v = ValueEntry {
                value: start..start + value.len(),
                postings,
            };
            match names.last_mut() {
                Some(e) if e.name == name => e.values.push(v),
                _ => names.push(NameEntry {
                    name: name.to_owned(),
                    values: vec![v],
                }),
            }
        }
        self.names = names;
        self.all_postings = all;
        Ok(())
    }

    /// Checks the label offset table and the CRC of every label index it points to. Readers of
    /// v2 no longer use them, but Prometheus writes them and a damaged one is a damaged file.
    fn check_label_indices(&self) -> Result<()> {
        if self.toc.label_indices_table == 0 {
            return Ok(());
        }
        let off = self.toc.label_indices_table as usize;
        let body = self.section(off, "label offset table")?;
        let mut d = Decbuf::new(body);
        let err = |e| self.decode_err(off, "label offset table", e);
        let count = d.be32().map_err(err)?;
        for _ in 0..count {
            let keys = d.uvarint().map_err(err)?;
            for _ in 0..keys {
                d.uvarint_str().map_err(err)?;
            }
            let index = d.uvarint_usize().map_err(err)?;
            self.section(index, "label index")?;
        }
        Ok(())
    }

    fn name_entry(&self, name: &str) -> Option<&NameEntry> {
        let i = self
            .names
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()?;
        self.names.get(i)
    }

    fn value_str(&self, v: &ValueEntry) -> Result<&str> {
        self.bytes()
            .get(v.value.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| self.corrupt(v.value.start as u64, "label value out of bounds"))
    }

    fn postings_at(&self, off: u64) -> Result<Postings<'_>> {
        let off = usize::try_from(off)
            .map_err(|_| self.corrupt(off, "postings offset out of range".to_owned()))?;
        let body = self.section(off, "postings list")?;
        let mut d = Decbuf::new(body);
        let n = d
            .be32()
            .map_err(|e| self.decode_err(off, "postings list", e))? as usize;
        if n.checked_mul(4) != Some(d.len()) {
            let msg = format!("postings list of {n} entries in {} bytes", d.len());
            return Err(self.corrupt(off as u64, msg));
        }
        Ok(Postings::new(d.remaining()))
    }

    /// The body of a `be32(len) body crc32(body)` section at `off`, after checking its CRC.
    fn section(&self, off: usize, what: &str) -> Result<&[u8]> {
        let b = self.bytes().get(..self.toc_start()).unwrap_or_default();
        let mut d = Decbuf::new(b.get(off..).unwrap_or_default());
        let len = d.be32().map_err(|e| self.decode_err(off, what, e))? as usize;
        self.checked_body(&mut d, off, len, what)
    }

    /// The body of a `uvarint(len) body crc32(body)` entry at `off`, after checking its CRC.
    fn uvarint_section(&self, off: usize, what: &str) -> Result<&[u8]> {
        let b = self.bytes().get(..self.toc_start()).unwrap_or_default();
        let mut d = Decbuf::new(b.get(off..).unwrap_or_default());
        let len = d
            .uvarint_usize()
            .map_err(|e| self.decode_err(off, what, e))?;
        self.checked_body(&mut d, off, len, what)
    }

    fn checked_body<'a>(
        &self,
        d: &mut Decbuf<'a>,
        off: usize,
        len: usize,
        what: &str,
    ) -> Result<&'a [u8]> {
        let body = d.bytes(len).map_err(|e| self.decode_err(off, what, e))?;
        let want = d.be32().map_err(|e| self.decode_err(off, what, e))?;
        if crc32c(body) != want {
            return Err(self.corrupt(off as u64, format!("{what} checksum mismatch")));
        }
        Ok(body)
    }

    fn corrupt(&self, off: u64, reason: impl Into<String>) -> Error {
        Error::corruption(&self.path, off, reason)
    }

    fn decode_err(&self, off: usize, what: &str, e: DecodeError) -> Error {
        self.corrupt(off as u64, format!("{what}: {e}"))
    }
}

/// Decodes the chunk metas of a series entry: the first chunk absolute, the rest as deltas from
/// the previous chunk, with Go's wrapping arithmetic.
fn decode_chunk_metas(
    d: &mut Decbuf<'_>,
    chunks: &mut Vec<ChunkMeta>,
) -> std::result::Result<(), DecodeError> {
    let k = d.uvarint()?;
    if k == 0 {
        return Ok(());
    }
    let mint = d.varint()?;
    let maxt = (d.uvarint()? as i64).wrapping_add(mint);
    let mut chunk_ref = d.uvarint()?;
    chunks.push(ChunkMeta {
        mint,
        maxt,
        chunk_ref,
    });
    let mut t0 = maxt;
    for _ in 1..k {
        let mint = (d.uvarint()? as i64).wrapping_add(t0);
        let maxt = (d.uvarint()? as i64).wrapping_add(mint);
        chunk_ref = chunk_ref.wrapping_add(d.varint()? as u64);
        chunks.push(ChunkMeta {
            mint,
            maxt,
            chunk_ref,
        });
        t0 = maxt;
    }
    Ok(())
}

/// Opens `data` as an index and exercises every reader call; must never panic. Wired into a
/// cargo-fuzz target.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn fuzz_index_reader(data: &[u8]) {
    let Ok(r) = IndexReader::from_bytes(data.to_vec(), Path::new("fuzz-index")) else {
        return;
    };
    let _ = r.size();
    for i in 0..r.num_symbols().saturating_add(2).min(4096) {
        let _ = r.symbol(i);
    }
    let mut chunks = Vec::new();
    let mut visit = |p: Postings<'_>| {
        for s in p.take(1024) {
            let _ = r.series(s, &mut chunks);
        }
    };
    if let Ok(p) = r.all_postings() {
        visit(p);
    }
    for name in r.label_names().unwrap_or_default() {
        for value in r.label_values(&name).unwrap_or_default() {
            if let Ok(p) = r.postings(&name, &value) {
                visit(p);
            }
        }
        for p in r
            .postings_for_values(&name, |v| v.len() % 2 == 0)
            .unwrap_or_default()
        {
            visit(p);
        }
    }
    let _ = r.postings("", "");
    for s in [0, 1, u64::from(u32::MAX), u64::MAX] {
        let _ = r.series(s, &mut chunks);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::index::writer::IndexWriter;
    use crate::index::writer::tests::{golden_bytes, golden_series, write_index};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write as _;

    fn collect(p: impl Iterator<Item = u64>) -> Vec<u64> {
        p.collect()
    }

    /// Everything the reader can tell about an index, as text; the first error stops it.
    fn dump(r: &IndexReader) -> Result<String> {
        let mut s = String::new();
        for i in 0..r.num_symbols() {
            writeln!(s, "sym {i} {:?}", r.symbol(i)?).unwrap();
        }
        for name in r.label_names()? {
            for value in r.label_values(&name)? {
                writeln!(
                    s,
                    "{name}={value:?}: {:?}",
                    collect(r.postings(&name, &value)?)
                )
                .unwrap();
            }
            let n = r.postings_for_values(&name, |_| true)?.len();
            writeln!(s, "{name}: {n} lists").unwrap();
        }
        let mut chunks = Vec::new();
        for series_ref in collect(r.all_postings()?) {
            let l = r.series(series_ref, &mut chunks)?;
            writeln!(s, "{series_ref} {l} {chunks:?}").unwrap();
        }
        Ok(s)
    }

    fn open_and_dump(b: &[u8], path: &Path) -> Result<String> {
        dump(&IndexReader::from_bytes(b.to_vec(), path)?)
    }

    fn assert_corruption_of(err: &Error, want: &Path) {
        assert!(
            matches!(err, Error::Corruption { path, .. } if path == want),
            "{err}"
        );
    }

    #[test]
    fn reads_the_golden_index() {
        let r = IndexReader::from_bytes(golden_bytes(), Path::new("golden")).unwrap();
        assert_eq!(r.label_names().unwrap(), ["a", "b"]);
        assert_eq!(r.label_values("a").unwrap(), ["1", "2"]);
        assert!(r.label_values("c").unwrap().is_empty());
        assert_eq!(collect(r.postings("a", "2").unwrap()), [3]);
        assert_eq!(collect(r.postings("a", "3").unwrap()), [] as [u64; 0]);
        assert_eq!(collect(r.postings("", "").unwrap()), [2, 3]);
        let mut chunks = Vec::new();
        for (want_ref, (l, c)) in [2, 3].into_iter().zip(golden_series()) {
            assert_eq!(r.series(want_ref, &mut chunks).unwrap(), l);
            assert_eq!(chunks, c);
        }
        for bad in [0, 1, 4, 5, 17, 1 << 40, u64::MAX] {
            assert_corruption_of(
                &r.series(bad, &mut chunks).unwrap_err(),
                Path::new("golden"),
            );
        }
    }

    #[test]
    fn every_damaged_byte_is_detected() {
        let good = golden_bytes();
        let path = Path::new("/blocks/x/index");
        let want = open_and_dump(&good, path).unwrap();
        let padding = |i: usize| (25..32).contains(&i) || (44..48).contains(&i) || i == 59;
        for i in 0..good.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = good.clone();
                b[i] ^= flip;
                match open_and_dump(&b, path) {
                    Err(e) => assert_corruption_of(&e, path),
                    Ok(got) => assert!(
                        padding(i) && got == want,
                        "byte {i} ^ {flip:#x} went unnoticed"
                    ),
                }
            }
        }
        for n in 0..good.len() {
            let err = IndexReader::from_bytes(good.get(..n).unwrap().to_vec(), path)
                .err()
                .unwrap();
            assert_corruption_of(&err, path);
        }
    }

    #[test]
    fn open_reports_io_errors_and_corruption_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        assert!(matches!(IndexReader::open(&path), Err(Error::Io { .. })));
        let mut b = golden_bytes();
        b[4] = 1; // Version 1 is not supported.
        std::fs::write(&path, &b).unwrap();
        assert_corruption_of(&IndexReader::open(&path).err().unwrap(), &path);
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec!["1", "2", "x", "ü", "日本語", "a b"]).prop_map(str::to_owned),
            2 => "[a-c]{1,3}",
            1 => "\\PC{1,6}",
            1 => (100usize..400).prop_map(|n| "v".repeat(n)),
        ]
    }

    fn label_set() -> impl Strategy<Value = BTreeMap<String, String>> {
        let metric = prop::option::of(prop::sample::select(vec!["up", "req_total", "a:b"]));
        let name = prop::sample::select(vec!["a", "b", "job", "zz"]).prop_map(str::to_owned);
        (metric, prop::collection::btree_map(name, value(), 0..4)).prop_map(|(metric, mut m)| {
            if let Some(metric) = metric {
                m.insert("__name__".to_owned(), metric.to_owned());
            }
            if m.is_empty() {
                m.insert("a".to_owned(), "1".to_owned());
            }
            m
        })
    }

    fn chunk_metas() -> impl Strategy<Value = Vec<ChunkMeta>> {
        let start = prop_oneof![4 => -1000i64..1000, 1 => Just(i64::MIN), 1 => any::<i64>()];
        let step = (
            prop_oneof![4 => 1i64..100, 1 => 1i64..i64::MAX],
            0i64..200,
            0u64..5000,
        );
        (start, any::<u64>(), prop::collection::vec(step, 0..5)).prop_map(
            |(mut t, mut r, steps)| {
                let mut out: Vec<ChunkMeta> = Vec::new();
                for (gap, len, dref) in steps {
                    let mint = if out.is_empty() {
                        Some(t)
                    } else {
                        t.checked_add(gap)
                    };
                    let Some(maxt) = mint.and_then(|m| m.checked_add(len)) else {
                        break;
                    };
                    r = r.saturating_add(dref);
                    out.push(ChunkMeta {
                        mint: maxt - len,
                        maxt,
                        chunk_ref: r,
                    });
                    t = maxt;
                }
                out
            },
        )
    }

    type Series = Vec<(Labels, Vec<ChunkMeta>)>;

    fn series() -> impl Strategy<Value = Series> {
        let one = (label_set(), chunk_metas());
        prop::collection::vec(one, 0..16).prop_map(|v| {
            let mut s: Series = v
                .into_iter()
                .map(|(l, c)| (Labels::from_pairs(l).unwrap(), c))
                .collect();
            s.sort_by(|a, b| a.0.cmp(&b.0));
            s.dedup_by(|a, b| a.0 == b.0);
            s
        })
    }

    fn check_round_trip(
        r: &IndexReader,
        series: &Series,
        refs: &[u64],
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(collect(r.all_postings().unwrap()), refs.to_vec());
        let mut chunks = Vec::new();
        let mut pairs: BTreeMap<(&str, &str), Vec<u64>> = BTreeMap::new();
        for ((l, c), &sref) in series.iter().zip(refs) {
            prop_assert_eq!(&r.series(sref, &mut chunks).unwrap(), l);
            prop_assert_eq!(&chunks, c);
            for pair in l.iter() {
                pairs.entry(pair).or_default().push(sref);
            }
        }
        let names: BTreeSet<&str> = pairs.keys().map(|k| k.0).collect();
        prop_assert_eq!(
            r.label_names().unwrap(),
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>()
        );
        for name in names {
            let values: Vec<String> = pairs
                .keys()
                .filter(|k| k.0 == name)
                .map(|k| k.1.to_owned())
                .collect();
            prop_assert_eq!(r.label_values(name).unwrap(), values.clone());
            let even: Vec<Vec<u64>> = r
                .postings_for_values(name, |v| v.len() % 2 == 0)
                .unwrap()
                .into_iter()
                .map(collect)
                .collect();
            let want: Vec<Vec<u64>> = values
                .iter()
                .filter(|v| v.len() % 2 == 0)
                .map(|v| pairs[&(name, v.as_str())].clone())
                .collect();
            prop_assert_eq!(even, want);
            prop_assert_eq!(r.postings(name, "absent value").unwrap().count(), 0);
        }
        for ((n, v), want) in &pairs {
            let mut p = r.postings(n, v).unwrap();
            prop_assert_eq!(collect(&mut p), want.clone());
        }
        prop_assert_eq!(r.postings("absent", "1").unwrap().count(), 0);
        prop_assert_eq!(collect(r.all_postings().unwrap()), refs.to_vec());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn round_trip(series in series(), extra in prop::collection::btree_set(value(), 0..3)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index");
            let refs = if extra.is_empty() {
                write_index(&path, &series)
            } else {
                // Unused symbols (and the empty one) are allowed and keep their positions.
                let mut symbols: BTreeSet<&str> = series.iter().flat_map(|(l, _)| l.iter()).flat_map(|(n, v)| [n, v]).collect();
                symbols.extend(extra.iter().map(String::as_str));
                symbols.insert("");
                let mut w = IndexWriter::create(&path).unwrap();
                w.add_symbols(symbols.iter().copied()).unwrap();
                let refs: Vec<u64> = series.iter().map(|(l, c)| w.add_series(l, c).unwrap()).collect();
                w.finish().unwrap();
                let r = IndexReader::open(&path).unwrap();
                let got: Vec<&str> = (0..r.num_symbols()).map(|i| r.symbol(i).unwrap()).collect();
                prop_assert_eq!(got, symbols.into_iter().collect::<Vec<_>>());
                refs
            };
            let r = IndexReader::open(&path).unwrap();
            prop_assert_eq!(r.size(), std::fs::metadata(&path).unwrap().len());
            check_round_trip(&r, &series, &refs)?;
        }

        #[test]
        fn damaged_files_never_panic(
            series in series(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index");
            write_index(&path, &series);
            let mut b = std::fs::read(&path).unwrap();
            for (i, x) in &flips {
                let i = i.index(b.len());
                b[i] ^= x;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len()));
            }
            fuzz_index_reader(&b);
            if let Err(e) = open_and_dump(&b, &path) {
                assert_corruption_of(&e, &path);
            }
        }

        #[test]
        fn garbage_never_panics(mut b in prop::collection::vec(any::<u8>(), 0..200), magic in any::<bool>()) {
            if magic && b.len() >= 5 {
                b[..5].copy_from_slice(&[0xBA, 0xAA, 0xD7, 0x00, 0x02]);
            }
            fuzz_index_reader(&b);
        }
    }
}
