//! Tests of `block.rs`, kept apart so the module itself stays short.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use proptest::collection::vec;
use proptest::prelude::*;

use super::super::head::{BlockBuilder, compress};
use super::*;

/// An owned entry: timestamp, line, metadata pairs.
pub(crate) type Owned = (i64, Vec<u8>, Vec<(String, String)>);

pub(crate) fn push_all(b: &mut BlockBuilder, entries: &[Owned]) {
    for (ts, line, md) in entries {
        let md: Vec<(&str, &str)> = md.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        b.push(*ts, line, &md);
    }
}

pub(crate) fn owned(block: &DecodedBlock) -> Vec<Owned> {
    let pairs = |m: Metadata<'_>| m.iter().map(|(n, v)| (n.into(), v.into())).collect();
    block
        .entries()
        .map(|e| (e.ts, e.line.to_vec(), pairs(e.metadata)))
        .collect()
}

/// Timestamps weighted to the edges: i64 extremes, zero, and runs of close or equal values.
pub(crate) fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
        1 => Just(0i64),
        3 => any::<i64>(),
        4 => 1_700_000_000_000_000_000i64..1_700_000_000_000_000_100,
    ]
}

pub(crate) fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => "[a-z =]{0,40}".prop_map(String::into_bytes),
        2 => vec(any::<u8>(), 0..64),
    ]
}

pub(crate) fn metadata() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![Just("trace_id".to_owned()), "[a-z_]{1,8}"];
    let value = prop_oneof![Just(String::new()), Just("a".to_owned()), ".{0,12}"];
    prop_oneof![3 => Just(Vec::new()), 1 => vec((name, value), 1..4)]
}

pub(crate) fn entries(max: usize) -> impl Strategy<Value = Vec<Owned>> {
    vec((timestamp(), line(), metadata()), 1..max)
}

fn sealed(entries: &[Owned]) -> SealedBlock {
    let mut b = BlockBuilder::new();
    push_all(&mut b, entries);
    b.seal(DEFAULT_COMPRESSION_LEVEL).unwrap().unwrap()
}

/// A sealed block made from an arbitrary payload, with a matching checksum, so that the
/// payload checks run behind a valid frame.
fn sealed_payload(payload: &[u8], mint: i64, maxt: i64, entries: u32) -> Result<DecodedBlock> {
    let data = compress(payload, 1).unwrap();
    let header = BlockHeader {
        mint,
        maxt,
        entries,
        uncompressed_len: payload.len() as u32,
        compressed_len: data.len() as u32,
        crc32: crc32fast::hash(&data),
    };
    decode_block(&header, &data)
}

fn is_corruption(r: Result<impl std::fmt::Debug>, structure: Structure) -> bool {
    matches!(r, Err(Error::Corruption { structure: s, .. }) if s == structure)
}

proptest! {
    #[test]
    fn round_trip_in_order(mut entries in entries(80)) {
        entries.sort_by_key(|e| e.0);
        let block = sealed(&entries);
        prop_assert_eq!(block.header().entries as usize, entries.len());
        let back = SealedBlock::from_bytes(&block.to_bytes()).unwrap();
        prop_assert_eq!(&back, &block);
        prop_assert_eq!(owned(&back.decode().unwrap()), entries);
    }

}

#[test]
fn damaged_headers_are_errors() {
    let block = sealed(&[(5, b"a".to_vec(), vec![]), (9, b"bb".to_vec(), vec![])]);
    let good = *block.header();
    let lies = [
        BlockHeader { mint: 10, ..good },
        BlockHeader { maxt: 4, ..good },
        BlockHeader { maxt: 8, ..good },
        BlockHeader { entries: 0, ..good },
        BlockHeader { entries: 1, ..good },
        BlockHeader { entries: 3, ..good },
        BlockHeader {
            entries: u32::MAX,
            ..good
        },
        BlockHeader {
            uncompressed_len: good.uncompressed_len + 1,
            ..good
        },
        BlockHeader {
            uncompressed_len: good.uncompressed_len - 1,
            ..good
        },
        BlockHeader {
            uncompressed_len: MAX_BLOCK_SIZE as u32 + 1,
            ..good
        },
        BlockHeader {
            compressed_len: good.compressed_len + 1,
            ..good
        },
        BlockHeader {
            compressed_len: 0,
            ..good
        },
        BlockHeader {
            crc32: good.crc32 ^ 1,
            ..good
        },
    ];
    for lie in lies {
        assert!(decode_block(&lie, block.data()).is_err(), "{lie:?}");
        let mut bytes = Vec::new();
        lie.encode(&mut bytes);
        bytes.extend_from_slice(block.data());
        assert!(
            SealedBlock::from_bytes(&bytes)
                .and_then(|b| b.decode())
                .is_err(),
            "{lie:?}"
        );
    }
    let mut bytes = block.to_bytes();
    bytes[0] = 2;
    assert!(is_corruption(
        SealedBlock::from_bytes(&bytes),
        Structure::BlockHeader
    ));
}

#[test]
fn damaged_data_is_an_error_before_decompressing() {
    let block = sealed(&[(1, b"x".repeat(1000), vec![])]);
    let bytes = block.to_bytes();
    for len in 0..bytes.len() {
        assert!(
            SealedBlock::from_bytes(&bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
    for i in BLOCK_HEADER_LEN..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x10;
        let r = SealedBlock::from_bytes(&flipped).unwrap().decode();
        assert!(is_corruption(r, Structure::BlockData), "flip at {i}");
    }
    // A frame that is valid zstd and checksums right but decompresses to more than declared.
    assert!(is_corruption(
        sealed_payload(&[0; 64], 0, 0, 1),
        Structure::BlockPayload
    ));
    let block = *block.header();
    let garbage = b"not zstd at all";
    let header = BlockHeader {
        compressed_len: 15,
        crc32: crc32fast::hash(garbage),
        ..block
    };
    assert!(is_corruption(
        decode_block(&header, garbage),
        Structure::BlockData
    ));
}

#[test]
fn damaged_payloads_are_errors() {
    // Two entries at 5 and 7 with lines "a" and "bc", one symbol "k" used by entry 1.
    let good = [&[0u8, 4, 1, 2][..], b"abc", &[1, 1, b'k', 0, 1, 0, 0]].concat();
    assert!(sealed_payload(&good, 5, 7, 2).is_ok());
    for (what, mint, maxt) in [("maxt lies", 5, 8), ("mint lies", 4, 7)] {
        let r = sealed_payload(&good, mint, maxt, 2);
        assert!(is_corruption(r, Structure::BlockPayload), "{what}");
    }
    let (head, tail) = (&good[..good.len() - 3], &good[4..]);
    let cases: [(&str, Vec<u8>); 7] = [
        ("decreasing", [&[0u8, 1, 1, 2][..], tail].concat()),
        ("line past end", [&[0u8, 4, 1, 60][..], tail].concat()),
        ("overlong varint", [&[0xffu8; 11][..], &good].concat()),
        ("bad symbol id", [head, &[1, 1, 0]].concat()),
        ("not utf-8", [&good[..9], &[0xff], &good[10..]].concat()),
        ("trailing bytes", [&good[..], &[0]].concat()),
        ("pair count lies", [head, &[90, 0, 0]].concat()),
    ];
    for (what, payload) in cases {
        let r = sealed_payload(&payload, 5, 7, 2);
        assert!(is_corruption(r, Structure::BlockPayload), "{what}");
    }
    let header = BlockHeader {
        mint: 5,
        maxt: 7,
        entries: 2,
        uncompressed_len: 0,
        compressed_len: 0,
        crc32: 0,
    };
    for len in 0..good.len() {
        let r = DecodedBlock::parse(good[..len].to_vec(), &header);
        assert!(r.is_err(), "payload truncated to {len}");
    }
}

#[test]
fn decoded_block_accessors() {
    let entries: Vec<Owned> = vec![
        (1, b"".to_vec(), vec![]),
        (2, b"abc".to_vec(), vec![("k".into(), "v".into())]),
        (2, b"".to_vec(), vec![]),
        (4, b"de".to_vec(), vec![]),
    ];
    let d = sealed(&entries).decode().unwrap();
    assert_eq!(d.lines_region(), b"abcde");
    assert_eq!(d.line_offsets(), &[0, 0, 3, 3, 5]);
    assert_eq!(
        (0..5).map(|o| d.line_at(o)).collect::<Vec<_>>(),
        [1, 1, 1, 3, 3]
    );
    assert_eq!(d.index_range(2, 3), 1..3);
    assert_eq!(d.index_range(5, 9), 4..4);
    assert!(d.index_range(3, 1).is_empty());
    assert!(d.entry(4).is_none() && d.line(4).is_none() && !d.is_empty());
    assert!(d.entry(0).unwrap().metadata.is_empty());
    assert_eq!(d.entry(1).unwrap().metadata.len(), 1);
    assert_eq!(
        d.entries().rev().map(|e| e.ts).collect::<Vec<_>>(),
        [4, 2, 2, 1]
    );
}

#[test]
fn varints_round_trip_at_the_edges() {
    for v in [0, 1, 127, 128, 16383, 16384, u64::MAX >> 1, u64::MAX] {
        let mut out = Vec::new();
        put_uvarint(&mut out, v);
        assert_eq!(out.len(), uvarint_len(v));
        let mut r = ByteReader::new(&out, Structure::BlockPayload);
        assert_eq!(r.uvarint().unwrap(), v);
    }
    for v in [0, 1, -1, i64::MIN, i64::MAX] {
        assert_eq!(unzigzag(zigzag(v)), v);
    }
    let mut r = ByteReader::new(&[0xff; 9], Structure::BlockPayload);
    assert!(r.uvarint().is_err());
    let mut r = ByteReader::new(
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2],
        Structure::BlockPayload,
    );
    assert!(r.uvarint().is_err());
}
