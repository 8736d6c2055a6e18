//! Tests of `record.rs`.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use proptest::prelude::*;

use super::*;

fn entry() -> impl Strategy<Value = LogEntry> {
    (
        prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), 0i64..1_000],
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(("[a-z_]{1,6}", "\\PC{0,6}"), 0..3),
    )
        .prop_map(|(ts, line, metadata)| LogEntry { ts, line, metadata })
}

fn labels() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map("[a-z_][a-z0-9_]{0,5}", "\\PC{1,6}", 1..4)
        .prop_map(|m| Labels::from_pairs(m.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap())
}

fn encode_push(tenant: &str, streams: &[StreamEntries]) -> Vec<u8> {
    let mut out = Vec::new();
    begin_push(&mut out, tenant, streams.len());
    for s in streams {
        put_push_stream(&mut out, &s.labels, entry_fields(&s.entries));
    }
    out
}

proptest! {
    #[test]
    fn push_records_round_trip(
        tenant in "\\PC{0,8}",
        streams in proptest::collection::vec(
            (labels(), proptest::collection::vec(entry(), 0..6))
                .prop_map(|(labels, entries)| StreamEntries { labels, entries }),
            0..4,
        ),
    ) {
        let bytes = encode_push(&tenant, &streams);
        prop_assert_eq!(decode(&bytes).unwrap(), Record::Push { tenant, streams });
    }

    #[test]
    fn head_records_round_trip(
        tenant in "\\PC{0,8}",
        labels in labels(),
        chunks in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..30), any::<u64>()),
            0..3,
        ),
        open in proptest::collection::vec(entry(), 0..6),
    ) {
        let mut bytes = Vec::new();
        let refs: Vec<(&[u8], u64)> = chunks.iter().map(|(c, n)| (c.as_slice(), *n)).collect();
        encode_head(&mut bytes, &tenant, &labels, &refs, entry_fields(&open));
        prop_assert_eq!(
            decode(&bytes).unwrap(),
            Record::Head { tenant, labels, chunks, open }
        );
    }

    #[test]
    fn damaged_records_are_errors_not_panics(
        streams in proptest::collection::vec(
            (labels(), proptest::collection::vec(entry(), 1..4))
                .prop_map(|(labels, entries)| StreamEntries { labels, entries }),
            1..3,
        ),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let bytes = encode_push("t", &streams);
        for cut in 0..bytes.len() {
            prop_assert!(decode(&bytes[..cut]).is_err(), "truncated to {cut}");
        }
        let mut flipped = bytes.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= 1 << bit;
        // A flip may still decode (e.g. inside a line); it must not panic.
        let _ = decode(&flipped);
    }
}

#[test]
fn unknown_tags_and_trailing_bytes_are_refused() {
    let err = decode(&[9]).unwrap_err();
    assert!(err.to_string().contains("unknown record tag 9"), "{err}");
    let mut bytes = encode_push("t", &[]);
    bytes.push(0);
    let err = decode(&bytes).unwrap_err();
    assert!(
        err.to_string().contains("1 bytes after the record"),
        "{err}"
    );
    // A count larger than the input cannot make the decoder allocate it.
    let err = decode(&[TAG_PUSH, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
}
