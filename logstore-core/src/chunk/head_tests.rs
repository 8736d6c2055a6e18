//! Tests of `head.rs`, kept apart so the module itself stays short.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use proptest::collection::vec;
use proptest::prelude::*;

use super::super::block::tests::{Owned, entries, owned, push_all};
use super::*;
use crate::error::Structure;

fn small_blocks() -> ChunkOptions {
    ChunkOptions {
        block_size: 256,
        ..ChunkOptions::default()
    }
}

fn head(options: &ChunkOptions) -> (HeadChunk, Instant) {
    let now = Instant::now();
    (HeadChunk::new(options, now).unwrap(), now)
}

fn append(h: &mut HeadChunk, ts: i64, line: &str, now: Instant) -> Result<AppendOutcome> {
    h.append(ts, line.as_bytes(), &[], now)
}

/// Every entry of a chunk's bytes, block after block.
fn read_all(bytes: &[u8]) -> Vec<Owned> {
    let reader = ChunkReader::new(bytes).unwrap();
    reader
        .blocks()
        .iter()
        .flat_map(|b| owned(&b.decode().unwrap()))
        .collect()
}

proptest! {
    #[test]
    fn chunk_round_trip(mut entries in entries(200), block_size in 64usize..2048) {
        entries.sort_by_key(|e| e.0);
        let options = ChunkOptions { block_size, ..ChunkOptions::default() };
        let (mut h, now) = head(&options);
        let mut want = Vec::new();
        for (ts, line, md) in &entries {
            let md: Vec<(&str, &str)> = md.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            if h.append(*ts, line, &md, now).unwrap() == AppendOutcome::Stored {
                want.push((*ts, line.clone(), md.iter().map(|&(n, v)| (n.into(), v.into())).collect()));
            }
        }
        prop_assert_eq!(h.entries(), want.len() as u64);
        let bytes = h.finish().unwrap();
        let reader = ChunkReader::new(&bytes).unwrap();
        prop_assert!(reader.blocks_ordered());
        prop_assert_eq!(reader.entries(), want.len() as u64);
        prop_assert_eq!(reader.bounds(), h.bounds());
        prop_assert_eq!(read_all(&bytes), want);
        prop_assert_eq!(h.finish().unwrap(), bytes, "finish twice gives the same chunk");
    }

    #[test]
    fn any_arrival_order_is_sorted_ties_in_arrival_order(entries in entries(80)) {
        let mut b = BlockBuilder::new();
        push_all(&mut b, &entries);
        let mut want = entries.clone();
        want.sort_by_key(|e| e.0);
        prop_assert_eq!(owned(&b.snapshot().unwrap().unwrap()), want.clone());
        let mut payload = Vec::new();
        b.encode_payload(&mut payload);
        let block = b.seal(1).unwrap().unwrap();
        prop_assert_eq!(block.header().uncompressed_len as usize, payload.len());
        prop_assert_eq!(owned(&block.decode().unwrap()), want);
        prop_assert!(b.is_empty() && b.size() == 0);
        prop_assert_eq!(b.len(), 0);
    }

    #[test]
    fn size_estimate_bounds_the_payload(mut entries in entries(80)) {
        entries.sort_by_key(|e| e.0);
        let mut b = BlockBuilder::new();
        push_all(&mut b, &entries);
        let mut payload = Vec::new();
        b.encode_payload(&mut payload);
        prop_assert_eq!(b.size(), payload.len());
        let bound: usize = entries
            .iter()
            .map(|(_, l, md)| {
                let md: Vec<(&str, &str)> = md.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                BlockBuilder::entry_size(l, &md)
            })
            .sum();
        prop_assert!(payload.len() <= bound + 2);
    }

    #[test]
    fn size_bounds_the_payload_in_any_arrival_order(
        entries in entries(80),
        multiline_at in proptest::collection::vec(any::<bool>(), 80),
    ) {
        let mut b = BlockBuilder::new();
        for ((ts, line, _), newline) in entries.iter().zip(multiline_at) {
            let line = if newline { [&line[..], b"\n"].concat() } else { line.clone() };
            let max_before = b.max_size();
            b.push(*ts, &line, &[]);
            let mut payload = Vec::new();
            b.encode_payload(&mut payload);
            prop_assert!(b.size() >= payload.len(), "{} < {}", b.size(), payload.len());
            prop_assert!(b.max_size() >= b.size());
            prop_assert!(b.max_size() <= max_before + BlockBuilder::entry_size(&line, &[]));
        }
    }
}

/// Timestamps from a clock that ticks in a few steps (zero, one ns, a second, a second and a
/// ns, a huge jump) or in any step, in a shuffled arrival order.
fn clock() -> impl Strategy<Value = Vec<i64>> {
    let few = prop_oneof![
        Just(0u64),
        Just(1),
        Just(1_000_000_000),
        Just(1_000_000_001),
        Just(1 << 62)
    ];
    let step = prop_oneof![3 => few, 1 => 0u64..u64::MAX >> 8];
    (any::<i32>(), vec(step, 0..300)).prop_flat_map(|(start, steps)| {
        let mut ts = i64::from(start);
        let mut all = vec![ts];
        for step in steps {
            ts = ts.saturating_add_unsigned(step);
            all.push(ts);
        }
        Just(all).prop_shuffle()
    })
}

proptest! {
    #[test]
    fn timestamps_round_trip_and_size_is_exact(arrivals in clock()) {
        let mut b = BlockBuilder::new();
        for &ts in &arrivals {
            let max_before = b.max_size();
            b.push(ts, b"x", &[]);
            let mut payload = Vec::new();
            b.encode_payload(&mut payload);
            prop_assert_eq!(b.size(), payload.len());
            prop_assert!(b.max_size() <= max_before + BlockBuilder::entry_size(b"x", &[]));
        }
        let mut sorted = arrivals.clone();
        sorted.sort_unstable();
        let decoded = b.seal(1).unwrap().unwrap().decode().unwrap();
        prop_assert_eq!(decoded.timestamps(), &sorted[..]);
    }
}

#[test]
fn gap_table_when_it_is_smaller() {
    let encode = |steps: &mut dyn Iterator<Item = i64>| {
        let mut b = BlockBuilder::new();
        let mut ts = 1_700_000_000_000_000_000;
        for step in steps {
            ts += step;
            b.push(ts, b"x", &[]);
        }
        let mut payload = Vec::new();
        b.encode_payload(&mut payload);
        assert_eq!(b.size(), payload.len());
        payload
    };
    // Seconds and single ns: a two-gap table [1, 10^9] and a byte per gap.
    let payload = encode(&mut (0..100).map(|i| if i % 3 == 0 { 1 } else { 1_000_000_000 }));
    assert_eq!(payload[..7], [2, 1, 0x80, 0x94, 0xeb, 0xdc, 0x03]);
    assert_eq!(payload[7..10], [1, 1, 0]);
    // Whole seconds: no table, unit 10^9, gaps of 1 and 2.
    let payload = encode(&mut (0..100).map(|i| 1_000_000_000 * (1 + i % 2)));
    assert_eq!(payload[..9], [0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 2, 1, 2]);
    // 200 distinct gaps overflow the table: no table, unit 1.
    let payload = encode(&mut (0..200).map(|i| i * i));
    assert_eq!(payload[..3], [0, 1, 1]);
}

#[test]
fn multiline_size_is_exact_in_order() {
    let mut b = BlockBuilder::new();
    let lines: [&[u8]; 6] = [b"a\nb", b"plain", b"\n", b"", b"\n\n\n", b"x"];
    for (ts, line) in lines.iter().enumerate() {
        b.push(ts as i64, line, &[]);
    }
    for i in 0..200 {
        b.push(
            10 + i,
            if i % 150 == 149 { b"late\nline" } else { b"y" },
            &[],
        );
    }
    let mut payload = Vec::new();
    b.encode_payload(&mut payload);
    assert_eq!(b.size(), payload.len());
    // Timestamps (0, unit 1, 205 gaps of 1 byte), then the list: 4 entries, (0, 1), (2, 1),
    // (2, 3), (149 + 6 - 4 = 151, 1).
    assert_eq!(payload[..2], [0, 1]);
    assert_eq!(payload[207..217], [4, 0, 1, 2, 1, 2, 3, 151, 1, 1]);
}

#[test]
fn repeated_metadata_is_stored_once() {
    let line = b"GET /".to_vec();
    let md = vec![("trace_id".to_owned(), "abcdef0123456789".to_owned())];
    let entries: Vec<Owned> = (0..100).map(|i| (i, line.clone(), md.clone())).collect();
    let mut b = BlockBuilder::new();
    push_all(&mut b, &entries);
    let mut payload = Vec::new();
    b.encode_payload(&mut payload);
    let once = "trace_id".len() + "abcdef0123456789".len();
    // Timestamps: no gap table, unit 1, 99 gaps of 1. Per entry: line 5, newline 1, pair count
    // 1, two ids 2. Then the multi-line and symbol counts and the two symbols' lengths.
    assert_eq!(payload.len(), 2 + 99 + 100 * 9 + 1 + 1 + 2 + once);
}

#[test]
fn duplicates_in_the_open_block_and_at_the_sealed_edge_are_dropped() {
    let (mut h, now) = head(&small_blocks());
    assert_eq!(append(&mut h, 1, "a", now).unwrap(), AppendOutcome::Stored);
    assert_eq!(
        append(&mut h, 1, "a", now).unwrap(),
        AppendOutcome::Duplicate
    );
    assert_eq!(append(&mut h, 1, "b", now).unwrap(), AppendOutcome::Stored);
    let big = "x".repeat(300);
    assert_eq!(append(&mut h, 2, &big, now).unwrap(), AppendOutcome::Stored);
    assert_eq!(append(&mut h, 2, "y", now).unwrap(), AppendOutcome::Stored);
    assert_eq!(
        h.sealed_blocks().len(),
        1,
        "the full block is sealed by the next append"
    );
    assert_eq!(
        append(&mut h, 2, &big, now).unwrap(),
        AppendOutcome::Duplicate
    );
    assert_eq!(
        append(&mut h, 2, "y", now).unwrap(),
        AppendOutcome::Duplicate
    );
    let md = [("k", "v")];
    assert_eq!(
        h.append(2, b"y", &md, now).unwrap(),
        AppendOutcome::Duplicate
    );
    assert_eq!(h.entries(), 4);
    // A duplicate of an entry sealed further back is stored again (documented).
    h.insert_out_of_order(1, b"a", &[], now).unwrap();
    assert_eq!(h.entries(), 5);
}

#[test]
fn out_of_order_needs_the_explicit_insert() {
    let (mut h, now) = head(&small_blocks());
    append(&mut h, 10, "ten", now).unwrap();
    let err = append(&mut h, 9, "nine", now).unwrap_err();
    assert!(matches!(err, Error::OutOfOrder { ts: 9, newest: 10 }));
    h.insert_out_of_order(9, b"nine", &[], now).unwrap();
    h.insert_out_of_order(10, b"ten too", &[], now).unwrap();
    assert_eq!(h.bounds(), Some((9, 10)));
    let open = h.open_block().unwrap().unwrap();
    assert_eq!(open.timestamps(), &[9, 10, 10]);
    assert_eq!(
        open.line(2),
        Some(&b"ten too"[..]),
        "ties keep arrival order"
    );
    append(&mut h, 11, &"x".repeat(300), now).unwrap();
    append(&mut h, 12, "after seal", now).unwrap();
    h.insert_out_of_order(3, b"three", &[], now).unwrap();
    let bytes = h.finish().unwrap();
    let reader = ChunkReader::new(&bytes).unwrap();
    assert!(!reader.blocks_ordered());
    let ts: Vec<i64> = read_all(&bytes).iter().map(|e| e.0).collect();
    assert_eq!(ts, [9, 10, 10, 11, 3, 12]);
}

#[test]
fn time_range_skips_blocks_without_decompressing() {
    let (mut h, now) = head(&small_blocks());
    for ts in 0..100 {
        append(
            &mut h,
            ts * 10,
            &format!("line {ts} {}", "p".repeat(40)),
            now,
        )
        .unwrap();
    }
    let mut bytes = h.finish().unwrap();
    let reader = ChunkReader::new(&bytes).unwrap();
    assert!(reader.blocks().len() > 3);
    let first = reader.blocks()[0].header;
    let last = reader.blocks().last().unwrap().header;
    // Damage the first block's compressed bytes: a reader of the newest range never sees it.
    let table_end = CHUNK_HEADER_LEN + reader.blocks().len() * BLOCK_HEADER_LEN + 4;
    bytes[table_end] ^= 0xff;
    let reader = ChunkReader::new(&bytes).unwrap();
    let wanted: Vec<_> = reader.blocks_overlapping(last.mint, i64::MAX).collect();
    assert_eq!(wanted.len(), 1);
    assert_eq!(wanted[0].decode().unwrap().timestamps().last(), Some(&990));
    assert!(
        reader
            .blocks_overlapping(first.maxt + 1, last.mint - 1)
            .all(|b| b.header != first)
    );
    assert!(matches!(
        reader.blocks()[0].decode(),
        Err(Error::Corruption {
            structure: Structure::BlockData,
            ..
        })
    ));
}

#[test]
fn damaged_chunks_are_errors() {
    let (mut h, now) = head(&small_blocks());
    for ts in 0..20 {
        append(&mut h, ts, &"line ".repeat(10), now).unwrap();
    }
    let bytes = h.finish().unwrap();
    let n = ChunkReader::new(&bytes).unwrap().blocks().len();
    assert!(n > 1);
    for len in 0..bytes.len() {
        assert!(
            ChunkReader::new(&bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
    let table_end = CHUNK_HEADER_LEN + n * BLOCK_HEADER_LEN + 4;
    for i in 0..table_end {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x01;
        assert!(ChunkReader::new(&flipped).is_err(), "flip at {i}");
    }
    let longer = [&bytes[..], b"x"].concat();
    assert!(ChunkReader::new(&longer).is_err());
    let mut lying = bytes.clone();
    lying[5..9].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(ChunkReader::new(&lying).is_err());
    assert_eq!(
        ChunkReader::new(&encode_chunk(&[])).unwrap().blocks().len(),
        0
    );
}

#[test]
fn cut_reasons() {
    let options = ChunkOptions {
        block_size: 1024,
        target_size: 4096,
        max_age: Duration::from_secs(100),
        idle_period: Duration::from_secs(10),
        ..ChunkOptions::default()
    };
    let (mut h, t0) = head(&options);
    assert_eq!(
        h.should_cut(&options, t0 + Duration::from_secs(1000)),
        None,
        "empty"
    );
    append(&mut h, 0, "first", t0).unwrap();
    let t = |s| t0 + Duration::from_secs(s);
    append(&mut h, 1, "second", t(5)).unwrap();
    assert_eq!(h.should_cut(&options, t(6)), None);
    assert_eq!(h.should_cut(&options, t(15)), Some(CutReason::Idle));
    assert_eq!(h.should_cut(&options, t(100)), Some(CutReason::MaxAge));
    append(&mut h, 100_000_000_000, "late", t(7)).unwrap();
    assert_eq!(h.should_cut(&options, t(8)), Some(CutReason::MaxSpan));

    let (mut h, t0) = head(&options);
    let mut i = 0;
    while h.should_cut(&options, t0).is_none() {
        append(
            &mut h,
            i,
            &format!("{i:x} {}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            t0,
        )
        .unwrap();
        i += 1;
    }
    assert_eq!(h.should_cut(&options, t0), Some(CutReason::Full));
    assert!(h.compressed_bytes() >= 4096 && h.compressed_bytes() < 4096 + 1024);
    assert!(h.uncompressed_bytes() > h.compressed_bytes());
    let bytes = h.finish().unwrap();
    assert!(bytes.len() as u64 <= h.compressed_bytes() + 1024);
    assert_eq!(h.created_at(), t0);
    assert_eq!(h.last_append(), t0);
}

#[test]
fn invalid_options_and_oversized_entries() {
    let bad = [
        ChunkOptions {
            block_size: 0,
            ..ChunkOptions::default()
        },
        ChunkOptions {
            block_size: MAX_BLOCK_SIZE + 1,
            ..ChunkOptions::default()
        },
        ChunkOptions {
            compression_level: 99,
            ..ChunkOptions::default()
        },
        ChunkOptions {
            target_size: 0,
            ..ChunkOptions::default()
        },
        ChunkOptions {
            max_age: Duration::ZERO,
            ..ChunkOptions::default()
        },
        ChunkOptions {
            idle_period: Duration::ZERO,
            ..ChunkOptions::default()
        },
    ];
    for options in bad {
        let err = HeadChunk::new(&options, Instant::now()).unwrap_err();
        assert!(matches!(err, Error::InvalidOption { .. }), "{options:?}");
    }
    let (mut h, now) = head(&ChunkOptions::default());
    let line = vec![b'x'; MAX_BLOCK_SIZE];
    let err = h.append(0, &line, &[], now).unwrap_err();
    assert!(matches!(err, Error::EntryTooLarge { .. }));
    assert!(h.is_empty());
}

#[test]
fn open_block_reads_back_unsealed_entries() {
    let (mut h, now) = head(&ChunkOptions::default());
    assert!(h.open_block().unwrap().is_none());
    let mut b = BlockBuilder::new();
    let entries: Vec<Owned> = vec![(1, b"a".to_vec(), vec![("k".into(), "v".into())])];
    push_all(&mut b, &entries);
    h.append(1, b"a", &[("k", "v")], now).unwrap();
    assert_eq!(owned(&h.open_block().unwrap().unwrap()), entries);
    assert_eq!(h.uncompressed_bytes(), b.size() as u64);
}
