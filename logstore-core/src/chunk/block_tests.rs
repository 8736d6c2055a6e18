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

/// Lines weighted to the edges of the newline-terminated layout: empty, only newlines, newlines
/// at the start, end or inside, and arbitrary bytes.
pub(crate) fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => "[a-z =]{0,40}".prop_map(String::into_bytes),
        2 => vec(any::<u8>(), 0..64),
        1 => multiline(),
    ]
}

/// Lines holding at least one `\n`: only newlines, or text with newlines anywhere.
pub(crate) fn multiline() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(b"\n".to_vec()),
        1 => "\n{2,5}".prop_map(String::into_bytes),
        3 => "[a-z\n]{0,20}\n[a-z\n]{0,20}".prop_map(String::into_bytes),
        1 => (vec(any::<u8>(), 0..16), vec(any::<u8>(), 0..16))
            .prop_map(|(a, b)| [&a[..], b"\n", &b[..]].concat()),
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

    #[test]
    fn round_trip_every_line_multiline(
        lines in vec(multiline(), 1..60),
        start in timestamp(),
    ) {
        let entries: Vec<Owned> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (start.saturating_add(i as i64), l, vec![]))
            .collect();
        let mut sorted = entries.clone();
        sorted.sort_by_key(|e| e.0);
        let decoded = sealed(&entries).decode().unwrap();
        prop_assert_eq!(owned(&decoded), sorted.clone());
        let region: Vec<u8> = sorted.iter().flat_map(|e| [&e.1[..], b"\n"].concat()).collect();
        prop_assert_eq!(decoded.lines_region(), &region[..]);
        for (i, e) in sorted.iter().enumerate() {
            let span = decoded.line_span(i).unwrap();
            prop_assert_eq!(&region[span.clone()], &e.1[..]);
            prop_assert_eq!(region[span.end], b'\n');
            prop_assert_eq!(decoded.line_at(span.end), i);
        }
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
    // Encoding 1 (length-prefixed lines) is no longer read; unknown encodings are named.
    for encoding in [0u8, 1, 3, 0xff] {
        let mut bytes = block.to_bytes();
        bytes[0] = encoding;
        let err = SealedBlock::from_bytes(&bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("unknown block encoding {encoding} ")),
            "{err}"
        );
        assert!(is_corruption(Err::<(), _>(err), Structure::BlockHeader));
    }
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

/// Two entries at 5 and 7 (no gap table, unit 1, gap 2) with lines `line0` and `line1`, one
/// symbol "k" used by entry 1, behind the given multi-line list.
fn payload(multiline: &[u8], line0: &[u8], line1: &[u8]) -> Vec<u8> {
    let lines = [line0, b"\n", line1, b"\n"].concat();
    [
        &[0u8, 1, 2][..],
        multiline,
        &lines,
        &[1, 1, b'k', 0, 1, 0, 0],
    ]
    .concat()
}

#[test]
fn damaged_payloads_are_errors() {
    let good = payload(&[0], b"a", b"bc");
    assert_eq!(good.len(), 16);
    assert!(sealed_payload(&good, 5, 7, 2).is_ok());
    let tabled = [&[1u8, 2, 0][..], &good[3..]].concat();
    assert_eq!(
        sealed_payload(&tabled, 5, 7, 2).unwrap().timestamps(),
        [5, 7]
    );
    for (what, mint, maxt) in [("maxt lies", 5, 8), ("mint lies", 4, 7)] {
        let r = sealed_payload(&good, mint, maxt, 2);
        assert!(is_corruption(r, Structure::BlockPayload), "{what}");
    }
    let (head, tail) = (&good[..good.len() - 3], &good[3..]);
    let max = [0xffu8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1];
    let cases: [(&str, Vec<u8>, &str); 12] = [
        ("unit 0", [&[0u8, 0, 2][..], tail].concat(), "unit 0"),
        (
            "gap × unit overflows",
            [&[0u8][..], &max, &[2], tail].concat(),
            "past i64::MAX",
        ),
        (
            "timestamp overflows",
            [&[0u8, 1][..], &max, tail].concat(),
            "past i64::MAX",
        ),
        (
            "table longer than the gaps",
            [&[2u8, 2, 3, 0][..], tail].concat(),
            "gap table of 2",
        ),
        (
            "index past the table",
            [&[1u8, 2, 1][..], tail].concat(),
            "gap index 1",
        ),
        (
            "last line unterminated",
            [&good[..8], &good[9..]].concat(),
            "line 1 of 2",
        ),
        (
            "overlong varint",
            [&[0xffu8; 11][..], &good].concat(),
            "varint",
        ),
        (
            "bad symbol id",
            [head, &[1, 1, 0]].concat(),
            "symbol id 1 of 1",
        ),
        (
            "not utf-8",
            [&good[..11], &[0xff], &good[12..]].concat(),
            "UTF-8",
        ),
        (
            "trailing bytes",
            [&good[..], &[0]].concat(),
            "after the metadata",
        ),
        (
            "pair count lies",
            [head, &[90, 0, 0]].concat(),
            "90 metadata pairs",
        ),
        (
            "timestamps run past the lines",
            [&[0u8, 1, 9][..], tail].concat(),
            "maxt 7",
        ),
    ];
    for (what, payload, reason) in cases {
        let err = sealed_payload(&payload, 5, 7, 2).unwrap_err();
        assert!(err.to_string().contains(reason), "{what}: {err}");
        assert!(
            is_corruption(Err::<(), _>(err), Structure::BlockPayload),
            "{what}"
        );
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
fn damaged_gap_tables_are_errors() {
    let header = |entries| BlockHeader {
        mint: 0,
        maxt: 10,
        entries,
        uncompressed_len: 0,
        compressed_len: 0,
        crc32: 0,
    };
    let three = |ts: &[u8]| [ts, &[0], b"a\nb\nc\n", &[0]].concat();
    let cases: [(&str, Vec<u8>, u32, &str); 4] = [
        (
            "repeated gap",
            three(&[2, 5, 5, 0, 1]),
            3,
            "not ascending at 5",
        ),
        (
            "descending",
            three(&[2, 5, 4, 0, 1]),
            3,
            "not ascending at 4",
        ),
        (
            "over the maximum",
            [&[0x80u8, 1][..], &[0; 401]].concat(),
            200,
            "gap table of 128",
        ),
        ("zero after five", three(&[2, 5]), 3, "not ascending at 0"),
    ];
    for (what, payload, entries, reason) in cases {
        let err = DecodedBlock::parse(payload, &header(entries)).unwrap_err();
        assert!(err.to_string().contains(reason), "{what}: {err}");
    }
    let good = three(&[2, 0, 5, 1, 1]);
    let d = DecodedBlock::parse(good, &header(3)).unwrap();
    assert_eq!(d.timestamps(), [0, 5, 10]);
}

#[test]
fn multiline_entries_decode() {
    let lines = |p: &[u8]| {
        let d = sealed_payload(p, 5, 7, 2).unwrap();
        (d.line(0).unwrap().to_vec(), d.line(1).unwrap().to_vec())
    };
    let first = payload(&[1, 0, 1], b"a\nx", b"bc");
    assert_eq!(lines(&first), (b"a\nx".to_vec(), b"bc".to_vec()));
    let second = payload(&[1, 1, 3], b"", b"\nb\n\n");
    assert_eq!(lines(&second), (Vec::new(), b"\nb\n\n".to_vec()));
    let both = payload(&[2, 0, 1, 1, 2], b"\n", b"\n\n");
    assert_eq!(lines(&both), (b"\n".to_vec(), b"\n\n".to_vec()));
}

#[test]
fn damaged_multiline_lists_are_errors() {
    let cases: [(&str, Vec<u8>, &str); 9] = [
        (
            "more entries than lines",
            payload(&[3, 0, 1, 1, 1, 1, 1], b"\n", b"\n"),
            "3 multi-line entries among 2",
        ),
        (
            "count past the payload",
            vec![0, 1, 2, 2, b'\n', b'\n', 0],
            "2 multi-line entries among 2 entries in 3 bytes",
        ),
        (
            "index out of range",
            payload(&[1, 2, 1], b"a", b"b\nc"),
            "multi-line entry 2 of 2 entries",
        ),
        (
            "index past u64",
            payload(
                &[
                    2, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 1,
                ],
                b"a",
                b"b\nc",
            ),
            "of 2 entries",
        ),
        (
            "index listed twice",
            payload(&[2, 1, 1, 0, 1], b"a", b"b\n\nc"),
            "listed twice",
        ),
        (
            "no newlines",
            payload(&[1, 0, 0], b"a", b"b"),
            "listed with 0 newlines",
        ),
        (
            "more newlines than bytes",
            payload(&[1, 0, 90], b"a", b"b"),
            "listed with 90 newlines",
        ),
        (
            "newlines missing",
            payload(&[1, 0, 2], b"a\nx", b"bc"),
            "line 1 of 2 is not terminated",
        ),
        (
            "exception missing",
            payload(&[0], b"a\nx", b"bc"),
            "symbols in",
        ),
    ];
    for (what, p, reason) in cases {
        let err = sealed_payload(&p, 5, 7, 2).unwrap_err();
        assert!(err.to_string().contains(reason), "{what}: {err}");
        assert!(
            is_corruption(Err::<(), _>(err), Structure::BlockPayload),
            "{what}"
        );
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
    assert_eq!(d.lines_region(), b"\nabc\n\nde\n");
    assert_eq!(d.line_offsets(), &[0, 1, 5, 6, 9]);
    assert_eq!(
        (0..10).map(|o| d.line_at(o)).collect::<Vec<_>>(),
        [0, 1, 1, 1, 1, 2, 3, 3, 3, 3]
    );
    assert_eq!(d.line_span(1), Some(1..4));
    assert_eq!(d.line_span(2), Some(5..5));
    assert!(d.line_span(4).is_none());
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
    let mut r = ByteReader::new(&[0xff; 9], Structure::BlockPayload);
    assert!(r.uvarint().is_err());
    let mut r = ByteReader::new(
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2],
        Structure::BlockPayload,
    );
    assert!(r.uvarint().is_err());
}
