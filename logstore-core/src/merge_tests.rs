//! Tests of `merge.rs`: merged reads against a sorted reference.

use proptest::prelude::*;

use super::*;
use crate::chunk::BlockBuilder;
use crate::filter::FilterOp;

fn sealed(entries: &[(i64, String)]) -> SealedBlock {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.0);
    let mut b = BlockBuilder::new();
    for (ts, line) in &sorted {
        b.push(*ts, line.as_bytes(), &[]);
    }
    b.seal(3).unwrap().unwrap()
}

fn cursor(
    name: &str,
    blocks: &[Vec<(i64, String)>],
    range: (i64, i64),
    direction: Direction,
    filter: &Arc<LineFilter>,
) -> StreamCursor {
    let sources = blocks
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| BlockSource::Sealed(sealed(b)))
        .collect();
    let labels = Labels::from_pairs([("s", name)]).unwrap();
    StreamCursor::new(labels, sources, range, direction, filter.clone())
}

fn drain(m: &mut MergedEntries) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    while let Some((l, e)) = m.next_entry().unwrap() {
        out.push((
            l.get("s").unwrap().to_owned(),
            e.ts,
            String::from_utf8(e.line).unwrap(),
        ));
    }
    out
}

/// Streams of overlapping blocks: (stream → blocks → entries).
fn streams() -> impl Strategy<Value = Vec<Vec<Vec<(i64, String)>>>> {
    let entry = (0i64..40, "[ab]{1,2}").prop_map(|(t, l)| (t, l));
    let block = proptest::collection::vec(entry, 0..8);
    let stream = proptest::collection::vec(block, 0..4);
    proptest::collection::vec(stream, 1..4)
}

proptest! {
    #[test]
    fn merged_reads_match_a_sorted_reference(
        streams in streams(),
        mint in 0i64..20,
        span in 0i64..40,
        backward in any::<bool>(),
        limit in proptest::option::of(0usize..20),
        needle in proptest::option::of("[ab]"),
    ) {
        let maxt = mint + span;
        let direction = if backward { Direction::Backward } else { Direction::Forward };
        let filter = Arc::new(match &needle {
            Some(n) => LineFilter::compile(&[(FilterOp::Contains, &[n.as_str()][..])]).unwrap(),
            None => LineFilter::default(),
        });
        let cursors = streams
            .iter()
            .enumerate()
            .map(|(i, blocks)| cursor(&format!("{i}"), blocks, (mint, maxt), direction, &filter))
            .collect();
        let mut merged = MergedEntries::new(cursors, direction, limit);
        let got = drain(&mut merged);

        // Reference: every distinct (stream, ts, line) in range that passes, sorted.
        let mut want: Vec<(String, i64, String)> = Vec::new();
        for (i, blocks) in streams.iter().enumerate() {
            for (ts, line) in blocks.iter().flatten() {
                let keep = *ts >= mint && *ts <= maxt
                    && needle.as_ref().is_none_or(|n| line.contains(n.as_str()));
                let e = (format!("{i}"), *ts, line.clone());
                if keep && !want.contains(&e) {
                    want.push(e);
                }
            }
        }
        want.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        if backward {
            want.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        }
        if let Some(n) = limit {
            want.truncate(n);
        }
        // Within one stream and timestamp the line order is storage order; compare as multisets
        // per (ts, stream), in order otherwise.
        let key = |v: &Vec<(String, i64, String)>| {
            let mut k: Vec<_> = v.iter().map(|e| (e.1, e.0.clone())).collect();
            k.dedup();
            k
        };
        prop_assert_eq!(key(&got), key(&want));
        let mut g = got.clone();
        let mut w = want.clone();
        g.sort();
        w.sort();
        if limit.is_none() {
            prop_assert_eq!(g, w);
        } else {
            prop_assert_eq!(got.len(), want.len());
        }
    }
}

struct Garbage;

impl ChunkSource for Garbage {
    fn chunk_bytes(&self) -> Result<&[u8]> {
        Ok(b"not a chunk")
    }
    fn is_flushed(&self) -> bool {
        true
    }
}

fn bad_block() -> BlockSource {
    BlockSource::InChunk {
        header: *sealed(&[(10, "x".into())]).header(),
        chunk: Arc::new(Garbage),
        index: 0,
    }
}

#[test]
fn blocks_are_decoded_only_when_needed() {
    // A block that fails to decode is never reached when the limit is met before it.
    let filter = Arc::new(LineFilter::default());
    let good = BlockSource::Sealed(sealed(&[(1, "a".into()), (2, "b".into())]));
    let labels = Labels::from_pairs([("s", "0")]).unwrap();
    let c = StreamCursor::new(
        labels,
        vec![bad_block(), good],
        (0, 100),
        Direction::Forward,
        filter,
    );
    let mut m = MergedEntries::new(vec![c], Direction::Forward, Some(2));
    assert_eq!(m.next_entry().unwrap().unwrap().1.ts, 1);
    assert_eq!(m.next_entry().unwrap().unwrap().1.ts, 2);
    assert!(m.next_entry().unwrap().is_none());
    assert_eq!(m.stats().head.lines, 2);
    assert_eq!(m.stats().store.chunks, 0);
    // Without a limit, the damaged block is reached and reported.
    let filter = Arc::new(LineFilter::default());
    let labels = Labels::from_pairs([("s", "0")]).unwrap();
    let c = StreamCursor::new(
        labels,
        vec![bad_block()],
        (0, 100),
        Direction::Forward,
        filter,
    );
    let mut m = MergedEntries::new(vec![c], Direction::Forward, None);
    assert!(m.next_entry().is_err());
}
