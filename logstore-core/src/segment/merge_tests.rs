//! Tests of `merge.rs`: union of streams, chunk order, drop and rewrite decisions, refusals.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use std::path::Path;

use model::{Labels, MatchType, Matcher};

use super::fuzz::{Model, build_chunk};
use super::*;

const DAY: Partition = Partition {
    mint: 0,
    maxt: 86_399_999_999_999,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn write(dir: &Path, name: &str, tenant: &str, partition: Partition, chunks: &[(Labels, Vec<u8>)]) {
    let inputs: Vec<StreamInput<'_>> = chunks
        .iter()
        .map(|(l, c)| StreamInput {
            labels: l.clone(),
            chunks: vec![ChunkInput::from_chunk(c).unwrap()],
        })
        .collect();
    write_segment(dir, name, tenant, partition, &inputs).unwrap();
}

fn read(dir: &Path, name: &str) -> SegmentReader<Vec<u8>> {
    let path = dir.join(name);
    SegmentReader::open(std::fs::read(&path).unwrap(), path).unwrap()
}

/// Two segments sharing the stream {app="api"}, whose chunks interleave in time.
/// Chunks as written: stream, chunk bytes.
type Chunks = Vec<(Labels, Vec<u8>)>;

fn two_segments(dir: &Path) -> (Chunks, Chunks) {
    let api = labels(&[("app", "api")]);
    let a = vec![
        (api.clone(), build_chunk(&[(100, b"a1"), (200, b"a2")])),
        (api.clone(), build_chunk(&[(500, b"a3")])),
        (labels(&[("app", "db")]), build_chunk(&[(50, b"d1")])),
    ];
    let b = vec![
        (api.clone(), build_chunk(&[(300, b"b1"), (400, b"b2")])),
        (labels(&[("app", "web")]), build_chunk(&[(10, b"w1")])),
    ];
    write(dir, "a", "t1", DAY, &a);
    write(dir, "b", "t1", DAY, &b);
    (a, b)
}

#[test]
fn merge_keeps_every_stream_and_sorts_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_segments(dir.path());
    let inputs = [read(dir.path(), "a"), read(dir.path(), "b")];
    let outcome = merge(&inputs, dir.path(), "ab", |_, _| ChunkAction::Keep).unwrap();
    assert_eq!(outcome.dropped, IndexStats::default());
    assert!(outcome.needs_rewrite.is_empty());
    let merged = read(dir.path(), "ab");
    assert_eq!(outcome.segment.totals, merged.totals());
    assert_eq!(merged.tenant(), "t1");
    assert_eq!(merged.partition(), DAY);
    let mut model = Model::default();
    for (l, c) in a.iter().chain(&b) {
        model.add(l, c.clone());
    }
    model.sort();
    let api = vec![Matcher::equal("app", "api")];
    model.check(&merged, &[api]);
    let mints: Vec<i64> = merged
        .chunks(0, i64::MIN, i64::MAX)
        .map(|r| r.mint)
        .collect();
    assert_eq!(mints, [100, 300, 500]);
    let total = |r: &SegmentReader<Vec<u8>>| r.totals().entries;
    assert_eq!(total(&merged), total(&inputs[0]) + total(&inputs[1]));
    assert!(!dir.path().join("ab.tmp").exists());
}

#[test]
fn delete_requests_drop_whole_chunks_and_flag_partial_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_segments(dir.path());
    let inputs = [read(dir.path(), "a"), read(dir.path(), "b")];
    let requests = [
        // Covers {app="api"}'s chunk 300..400 wholly and 100..200 partly.
        DeleteRequest {
            matchers: vec![Matcher::equal("app", "api")],
            mint: 150,
            maxt: 450,
        },
        // Covers all of {app="db"}.
        DeleteRequest {
            matchers: vec![Matcher::new(MatchType::Regex, "app", "d.*").unwrap()],
            mint: i64::MIN,
            maxt: i64::MAX,
        },
    ];
    let outcome = merge(&inputs, dir.path(), "ab", |l, c| {
        DeleteRequest::action_of_all(&requests, l, c)
    })
    .unwrap();
    assert_eq!(
        (
            outcome.dropped.streams,
            outcome.dropped.chunks,
            outcome.dropped.entries
        ),
        (1, 2, 3)
    );
    let merged = read(dir.path(), "ab");
    assert_eq!(merged.stream_count(), 2, "{{app=\"db\"}} is gone");
    assert_eq!(merged.labels(1), Some(labels(&[("app", "web")])));
    let api: Vec<ChunkRef> = merged.chunks(0, i64::MIN, i64::MAX).copied().collect();
    assert_eq!(api.iter().map(|r| r.mint).collect::<Vec<_>>(), [100, 500]);
    assert_eq!(outcome.needs_rewrite.len(), 1);
    let flagged = &outcome.needs_rewrite[0];
    assert_eq!(flagged.labels, labels(&[("app", "api")]));
    assert_eq!(
        flagged.chunk, api[0],
        "reported with its reference in the new segment"
    );
    assert_eq!(merged.chunk_bytes(&flagged.chunk).unwrap(), &a[0].1[..]);
}

#[test]
fn delete_request_actions() {
    let chunk = |mint, maxt| ChunkRef {
        offset: 5,
        len: 1,
        mint,
        maxt,
        entries: 1,
        uncompressed_bytes: 3,
        entry_bytes: 3,
    };
    let request = DeleteRequest {
        matchers: vec![Matcher::equal("env", "")],
        mint: 10,
        maxt: 20,
    };
    let bare = labels(&[("app", "x")]);
    let prod = labels(&[("app", "x"), ("env", "prod")]);
    assert_eq!(request.action(&bare, &chunk(10, 20)), ChunkAction::Drop);
    assert_eq!(request.action(&bare, &chunk(9, 20)), ChunkAction::Rewrite);
    assert_eq!(request.action(&bare, &chunk(20, 30)), ChunkAction::Rewrite);
    assert_eq!(request.action(&bare, &chunk(21, 30)), ChunkAction::Keep);
    assert_eq!(request.action(&prod, &chunk(10, 20)), ChunkAction::Keep);
    assert_eq!(
        DeleteRequest::action_of_all(&[], &bare, &chunk(10, 20)),
        ChunkAction::Keep
    );
    let wider = DeleteRequest {
        mint: 0,
        ..request.clone()
    };
    let both = [request, wider];
    assert_eq!(
        DeleteRequest::action_of_all(&both, &bare, &chunk(5, 15)),
        ChunkAction::Drop
    );
}

#[test]
fn merge_refuses_mixed_or_damaged_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_segments(dir.path());
    write(dir.path(), "other-tenant", "t2", DAY, &a);
    let next_day = Partition {
        mint: DAY.maxt + 1,
        maxt: DAY.maxt + 86_400_000_000_000,
    };
    write(dir.path(), "other-day", "t1", next_day, &a);
    let keep = |_: &Labels, _: &ChunkRef| ChunkAction::Keep;
    for other in ["other-tenant", "other-day"] {
        let inputs = [read(dir.path(), "a"), read(dir.path(), other)];
        assert!(merge(&inputs, dir.path(), "out", keep).is_err(), "{other}");
    }
    let none: [SegmentReader<Vec<u8>>; 0] = [];
    assert!(merge(&none, dir.path(), "out", keep).is_err());
    let mut bytes = std::fs::read(dir.path().join("a")).unwrap();
    bytes[8] ^= 0x01;
    let damaged = SegmentReader::open(bytes, dir.path().join("a")).unwrap();
    let err = merge(&[damaged], dir.path(), "out", keep).unwrap_err();
    assert!(err.to_string().contains("chunks section"), "{err}");
    assert!(!dir.path().join("out").exists() && !dir.path().join("out.tmp").exists());
}
