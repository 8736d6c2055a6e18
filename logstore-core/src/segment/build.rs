//! Encoding a segment's index sections from its streams and their chunk references. Layout:
//! `docs/format/log-segments.md`; `index` reads what this writes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use model::Labels;
use roaring::RoaringBitmap;

use super::format::{ChunkRef, invalid_input};
use crate::error::Result;

/// The encoded symbols, streams, postings and chunk refs sections.
pub(super) struct IndexSections {
    pub symbols: Vec<u8>,
    pub streams: Vec<u8>,
    pub postings: Vec<u8>,
    pub chunk_refs: Vec<u8>,
}

/// Encodes the index of `streams` (in label order, so stream ids follow it; each stream's refs
/// sorted by `mint`, with at least one ref).
pub(super) fn build_index(streams: &BTreeMap<Labels, Vec<ChunkRef>>) -> Result<IndexSections> {
    let symbols: Vec<&str> = streams
        .keys()
        .flat_map(|l| l.iter().flat_map(|(n, v)| [n, v]))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .collect();
    let ids: HashMap<&str, u32> = symbols
        .iter()
        .enumerate()
        .map(|(i, &s)| Ok((s, to_u32(i, "symbols")?)))
        .collect::<Result<_>>()?;
    let id = |s: &str| ids.get(s).copied().unwrap_or_default();
    Ok(IndexSections {
        symbols: encode_symbols(&symbols)?,
        streams: encode_streams(streams, id)?,
        postings: encode_postings(streams, id)?,
        chunk_refs: encode_chunk_refs(streams)?,
    })
}

fn to_u32(n: usize, what: &'static str) -> Result<u32> {
    u32::try_from(n).map_err(|_| invalid_input(what, format!("{n} is more than a segment holds")))
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn encode_symbols(symbols: &[&str]) -> Result<Vec<u8>> {
    let data_len: usize = symbols.iter().map(|s| s.len()).sum();
    to_u32(data_len, "symbol bytes")?;
    let mut out = Vec::with_capacity(8 + 4 * symbols.len() + data_len);
    put32(&mut out, to_u32(symbols.len(), "symbols")?);
    let mut offset = 0u32;
    put32(&mut out, offset);
    for s in symbols {
        offset += s.len() as u32;
        put32(&mut out, offset);
    }
    for s in symbols {
        out.extend_from_slice(s.as_bytes());
    }
    Ok(out)
}

fn encode_streams(
    streams: &BTreeMap<Labels, Vec<ChunkRef>>,
    id: impl Fn(&str) -> u32,
) -> Result<Vec<u8>> {
    let pair_count: usize = streams.keys().map(Labels::len).sum();
    let mut out = Vec::with_capacity(12 + 4 * streams.len() + 8 * pair_count);
    put32(&mut out, to_u32(streams.len(), "streams")?);
    put32(&mut out, to_u32(pair_count, "label pairs")?);
    let mut start = 0u32;
    put32(&mut out, start);
    for labels in streams.keys() {
        start += labels.len() as u32;
        put32(&mut out, start);
    }
    for labels in streams.keys() {
        for (n, v) in labels {
            put32(&mut out, id(n));
            put32(&mut out, id(v));
        }
    }
    Ok(out)
}

fn encode_postings(
    streams: &BTreeMap<Labels, Vec<ChunkRef>>,
    id: impl Fn(&str) -> u32,
) -> Result<Vec<u8>> {
    // Symbol ids sort as their strings, so these maps iterate names and values in the order
    // the reader binary-searches.
    let mut postings: BTreeMap<u32, BTreeMap<u32, RoaringBitmap>> = BTreeMap::new();
    for (stream, labels) in streams.keys().enumerate() {
        let stream = to_u32(stream, "streams")?;
        for (n, v) in labels {
            let values = postings.entry(id(n)).or_default();
            values.entry(id(v)).or_default().insert(stream);
        }
    }
    let mut all = RoaringBitmap::new();
    all.insert_range(0..to_u32(streams.len(), "streams")?);
    let value_count: usize = postings.values().map(BTreeMap::len).sum();
    let mut out = Vec::new();
    put32(&mut out, to_u32(postings.len(), "label names")?);
    put32(&mut out, to_u32(value_count, "label values")?);
    for name in postings.keys() {
        put32(&mut out, *name);
    }
    let mut start = 0u32;
    put32(&mut out, start);
    for values in postings.values() {
        start += values.len() as u32;
        put32(&mut out, start);
    }
    for value in postings.values().flat_map(BTreeMap::keys) {
        put32(&mut out, *value);
    }
    let bitmaps =
        std::iter::once(&mut all).chain(postings.values_mut().flat_map(|v| v.values_mut()));
    let mut data = Vec::new();
    out.extend_from_slice(&0u64.to_be_bytes());
    for bitmap in bitmaps {
        bitmap.optimize();
        bitmap
            .serialize_into(&mut data)
            .map_err(|e| invalid_input("postings", format!("roaring: {e}")))?;
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(&data);
    Ok(out)
}

fn encode_chunk_refs(streams: &BTreeMap<Labels, Vec<ChunkRef>>) -> Result<Vec<u8>> {
    let ref_count: usize = streams.values().map(Vec::len).sum();
    let mut out = Vec::with_capacity(12 + 4 * streams.len() + 44 * ref_count);
    put32(&mut out, to_u32(streams.len(), "streams")?);
    put32(&mut out, to_u32(ref_count, "chunks")?);
    let mut start = 0u32;
    put32(&mut out, start);
    for refs in streams.values() {
        start += refs.len() as u32;
        put32(&mut out, start);
    }
    for r in streams.values().flatten() {
        r.encode(&mut out);
    }
    Ok(out)
}
