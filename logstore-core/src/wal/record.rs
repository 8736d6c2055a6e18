//! WAL records of the log store: what a push appended, and the heads a checkpoint carries.
//!
//! Layout (all integers varints unless said otherwise; strings and byte strings length-prefixed):
//!
//! ```text
//! push record:  tag=1, tenant, n_streams, then per stream:
//!                 n_labels, (name, value)*, n_entries, then per entry:
//!                   zigzag(ts - previous ts of the stream, 0 before the first), line,
//!                   n_metadata, (name, value)*
//! head record:  tag=2, tenant, n_labels, (name, value)*, n_chunks, (chunk bytes, entry bytes)*,
//!                 then the open block's entries as in a push stream (n_entries, entries)
//! ```
//!
//! A push record holds only entries the store accepted, so replaying it needs no limit checks.
//! A head record (written by checkpoints) carries a stream's unflushed state: its finished chunks
//! (`docs/format/log-chunks.md` bytes, each with the bytes of its entries' lines and metadata)
//! and the entries of its open block. New record kinds get
//! new tags; tags are never reused.
#![deny(clippy::indexing_slicing)]

use model::Labels;
use model::logs::LogEntry;

use crate::error::{Error, Result, Structure};

/// Tag of a push record.
pub(crate) const TAG_PUSH: u8 = 1;
/// Tag of a head (checkpoint) record.
pub(crate) const TAG_HEAD: u8 = 2;

/// The entries of one stream in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamEntries {
    pub labels: Labels,
    pub entries: Vec<LogEntry>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// Entries a push stored.
    Push {
        tenant: String,
        streams: Vec<StreamEntries>,
    },
    /// A stream's unflushed state at a checkpoint.
    Head {
        tenant: String,
        labels: Labels,
        /// Chunk bytes and the entry bytes (lines and metadata) they hold.
        chunks: Vec<(Vec<u8>, u64)>,
        open: Vec<LogEntry>,
    },
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_labels(out: &mut Vec<u8>, labels: &Labels) {
    put_uvarint(out, labels.len() as u64);
    for (n, v) in labels.iter() {
        put_bytes(out, n.as_bytes());
        put_bytes(out, v.as_bytes());
    }
}

/// Appends the entries of one stream: count, then each entry.
pub(crate) fn put_entries<'a, M>(
    out: &mut Vec<u8>,
    entries: impl ExactSizeIterator<Item = (i64, &'a [u8], M)>,
) where
    M: ExactSizeIterator<Item = (&'a str, &'a str)>,
{
    put_uvarint(out, entries.len() as u64);
    let mut prev = 0i64;
    for (ts, line, metadata) in entries {
        let delta = ts.wrapping_sub(prev);
        put_uvarint(out, ((delta << 1) ^ (delta >> 63)) as u64);
        prev = ts;
        put_bytes(out, line);
        put_uvarint(out, metadata.len() as u64);
        for (n, v) in metadata {
            put_bytes(out, n.as_bytes());
            put_bytes(out, v.as_bytes());
        }
    }
}

/// Starts a push record for `tenant` with `n_streams` streams; follow with
/// [`put_push_stream`] once per stream.
pub(crate) fn begin_push(out: &mut Vec<u8>, tenant: &str, n_streams: usize) {
    out.push(TAG_PUSH);
    put_bytes(out, tenant.as_bytes());
    put_uvarint(out, n_streams as u64);
}

/// Appends one stream of a push record.
pub(crate) fn put_push_stream<'a, M>(
    out: &mut Vec<u8>,
    labels: &Labels,
    entries: impl ExactSizeIterator<Item = (i64, &'a [u8], M)>,
) where
    M: ExactSizeIterator<Item = (&'a str, &'a str)>,
{
    put_labels(out, labels);
    put_entries(out, entries);
}

/// Encodes a head record.
pub(crate) fn encode_head<'a, M>(
    out: &mut Vec<u8>,
    tenant: &str,
    labels: &Labels,
    chunks: &[(&[u8], u64)],
    open: impl ExactSizeIterator<Item = (i64, &'a [u8], M)>,
) where
    M: ExactSizeIterator<Item = (&'a str, &'a str)>,
{
    out.push(TAG_HEAD);
    put_bytes(out, tenant.as_bytes());
    put_labels(out, labels);
    put_uvarint(out, chunks.len() as u64);
    for (c, entry_bytes) in chunks {
        put_bytes(out, c);
        put_uvarint(out, *entry_bytes);
    }
    put_entries(out, open);
}

/// Reads a record's bytes. Errors are [`Error::Corruption`] in [`Structure::WalRecord`] with the
/// offset inside the record.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, reason: impl Into<String>) -> Error {
        Error::corruption(Structure::WalRecord, self.pos as u64, reason)
    }

    fn u8(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.fail("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    fn uvarint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            if i == 9 && b > 1 {
                return Err(self.fail("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.fail("varint longer than 10 bytes"))
    }

    /// A count that cannot exceed the bytes left (each counted item takes at least one byte),
    /// so a lying count cannot make the decoder allocate beyond the input's size.
    fn count(&mut self) -> Result<usize> {
        let n = self.uvarint()?;
        let left = self.buf.len().saturating_sub(self.pos) as u64;
        if n > left {
            return Err(self.fail(format!("count {n} exceeds the {left} bytes left")));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.count()?;
        let end = self.pos + n;
        let b = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.fail("unexpected end"))?;
        self.pos = end;
        Ok(b)
    }

    fn string(&mut self) -> Result<String> {
        let at = self.pos;
        let b = self.bytes()?;
        String::from_utf8(b.to_vec())
            .map_err(|_| Error::corruption(Structure::WalRecord, at as u64, "string is not UTF-8"))
    }

    fn labels(&mut self) -> Result<Labels> {
        let at = self.pos;
        let n = self.count()?;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            pairs.push((self.string()?, self.string()?));
        }
        Labels::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .map_err(|e| Error::corruption(Structure::WalRecord, at as u64, format!("labels: {e}")))
    }

    fn entries(&mut self) -> Result<Vec<LogEntry>> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        let mut prev = 0i64;
        for _ in 0..n {
            let z = self.uvarint()?;
            let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
            let ts = prev.wrapping_add(delta);
            prev = ts;
            let line = self.bytes()?.to_vec();
            let m = self.count()?;
            let mut metadata = Vec::with_capacity(m);
            for _ in 0..m {
                metadata.push((self.string()?, self.string()?));
            }
            out.push(LogEntry { ts, line, metadata });
        }
        Ok(out)
    }
}

/// Decodes one record.
pub(crate) fn decode(buf: &[u8]) -> Result<Record> {
    let mut r = Reader { buf, pos: 0 };
    let record = match r.u8()? {
        TAG_PUSH => {
            let tenant = r.string()?;
            let n = r.count()?;
            let mut streams = Vec::with_capacity(n);
            for _ in 0..n {
                let labels = r.labels()?;
                let entries = r.entries()?;
                streams.push(StreamEntries { labels, entries });
            }
            Record::Push { tenant, streams }
        }
        TAG_HEAD => {
            let tenant = r.string()?;
            let labels = r.labels()?;
            let n = r.count()?;
            let mut chunks = Vec::with_capacity(n);
            for _ in 0..n {
                let bytes = r.bytes()?.to_vec();
                chunks.push((bytes, r.uvarint()?));
            }
            let open = r.entries()?;
            Record::Head {
                tenant,
                labels,
                chunks,
                open,
            }
        }
        tag => {
            return Err(Error::corruption(
                Structure::WalRecord,
                0,
                format!("unknown record tag {tag}"),
            ));
        }
    };
    if r.pos != buf.len() {
        return Err(r.fail(format!("{} bytes after the record", buf.len() - r.pos)));
    }
    Ok(record)
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;

/// Fuzz entry point: decoding arbitrary bytes never panics, and whatever decodes encodes back to
/// a record that decodes to the same value.
#[cfg(any(test, feature = "testing"))]
pub fn fuzz_log_wal_record(data: &[u8]) {
    let Ok(record) = decode(data) else { return };
    let mut again = Vec::new();
    match &record {
        Record::Push { tenant, streams } => {
            begin_push(&mut again, tenant, streams.len());
            for s in streams {
                put_push_stream(&mut again, &s.labels, entry_fields(&s.entries));
            }
        }
        Record::Head {
            tenant,
            labels,
            chunks,
            open,
        } => {
            let refs: Vec<(&[u8], u64)> = chunks.iter().map(|(c, n)| (c.as_slice(), *n)).collect();
            encode_head(&mut again, tenant, labels, &refs, entry_fields(open));
        }
    }
    match decode(&again) {
        Ok(back) if back == record => {}
        other => panic!("a decoded record does not round-trip: {other:?}"),
    }
}

/// The fields of entries as the encoders take them.
pub(crate) fn entry_fields(
    entries: &[LogEntry],
) -> impl ExactSizeIterator<Item = (i64, &[u8], impl ExactSizeIterator<Item = (&str, &str)>)> {
    entries.iter().map(|e| {
        (
            e.ts,
            e.line.as_slice(),
            e.metadata.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        )
    })
}
