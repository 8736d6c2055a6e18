//! Tests of `compact.rs`: segment names, what deletes do to a segment, and re-encoding a chunk
//! without deleted entries. The store-level behaviour is tested in `tests/retention.rs`.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use model::Matcher;

use super::*;

const DAY: Partition = Partition {
    mint: 0,
    maxt: 86_399_999_999_999,
};

#[test]
fn segment_names_round_trip_and_say_what_they_stand_for() {
    let day = 1_700_000_000_000_000_000i64;
    for name in [
        SegmentName {
            seq: 7,
            replaces_from: None,
        },
        SegmentName {
            seq: 9,
            replaces_from: Some(2),
        },
        SegmentName {
            seq: u64::MAX,
            replaces_from: Some(0),
        },
    ] {
        for d in [day, 0, -86_400_000_000_000] {
            assert_eq!(SegmentName::parse(&name.file_name(d)), Some(name), "{d}");
        }
    }
    assert_eq!(
        SegmentName {
            seq: 7,
            replaces_from: None
        }
        .file_name(0),
        "00000000000000000000-0000000007.seg"
    );
    for bad in [
        "x.seg",
        "1-2.seg.tmp",
        "1-x.seg",
        "1-2_y.seg",
        "12.seg",
        "a-1.seg",
    ] {
        assert_eq!(SegmentName::parse(bad), None, "{bad}");
    }
    let compacted = SegmentName {
        seq: 9,
        replaces_from: Some(2),
    };
    let flushed = |seq| SegmentName {
        seq,
        replaces_from: None,
    };
    assert!(compacted.stands_for(&flushed(2)));
    assert!(compacted.stands_for(&flushed(8)));
    assert!(!compacted.stands_for(&flushed(1)));
    assert!(!compacted.stands_for(&flushed(9)));
    assert!(!compacted.stands_for(&flushed(10)));
    assert!(!flushed(9).stands_for(&flushed(3)));
    assert_eq!(compacted.first(), 2);
    assert_eq!(flushed(4).first(), 4);
}

fn opts() -> ChunkOptions {
    ChunkOptions {
        block_size: 64,
        ..ChunkOptions::default()
    }
}

/// A segment holding one chunk of stream {app="api"} with `entries` (ts, line), some with
/// metadata, pushed in the order given.
fn one_chunk_segment(dir: &Path, entries: &[(i64, &str)]) -> SegmentReader<Vec<u8>> {
    let now = Instant::now();
    let mut head = HeadChunk::new(&opts(), now).unwrap();
    for (ts, line) in entries {
        let md: &[(&str, &str)] = if ts % 2 == 0 { &[("k", "v")] } else { &[] };
        head.insert_out_of_order(*ts, line.as_bytes(), md, now)
            .unwrap();
    }
    let bytes = head.finish().unwrap();
    let labels = Labels::from_pairs([("app", "api")]).unwrap();
    let streams = [StreamInput {
        labels,
        chunks: vec![ChunkInput::from_chunk(&bytes).unwrap()],
    }];
    let file = write_segment(dir, "one.seg", "t", DAY, &streams).unwrap();
    SegmentReader::open(std::fs::read(&file.path).unwrap(), file.path).unwrap()
}

/// The entries (ts, line, metadata count) of each chunk.
fn pieces(chunks: &[Vec<u8>]) -> Vec<Vec<(i64, String, usize)>> {
    chunks
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            for b in crate::chunk::ChunkReader::new(c).unwrap().blocks() {
                for e in b.decode().unwrap().entries() {
                    let line = String::from_utf8(e.line.to_vec()).unwrap();
                    out.push((e.ts, line, e.metadata.len()));
                }
            }
            out
        })
        .collect()
}

#[test]
fn a_rewritten_chunk_loses_the_hidden_entries_and_splits_around_them() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<(i64, String)> = [30, 10, 20, 40, 50, 60, 70]
        .iter()
        .map(|&t| (t, format!("line {t} with some padding to fill blocks")))
        .collect();
    let entries: Vec<(i64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    let segment = one_chunk_segment(dir.path(), &entries);
    let chunk = *segment.chunks(0, i64::MIN, i64::MAX).next().unwrap();
    let hidden = [(25, 35), (55, 65), (100, 200)];
    let (chunks, removed) = rewrite_chunk(&segment, &chunk, &hidden, &opts()).unwrap();
    assert_eq!(removed, 2);
    let got = pieces(&chunks);
    let ts: Vec<Vec<i64>> = got
        .iter()
        .map(|p| p.iter().map(|e| e.0).collect())
        .collect();
    assert_eq!(ts, vec![vec![10, 20], vec![40, 50], vec![70]]);
    assert_eq!(got[0][1].2, 1, "metadata kept");
    assert_eq!(got[2][0].1, lines[6].1, "line kept");
    // Nothing hidden: one chunk with every entry, in time order.
    let (same, removed) = rewrite_chunk(&segment, &chunk, &[], &opts()).unwrap();
    assert_eq!((same.len(), removed), (1, 0));
    assert_eq!(pieces(&same)[0].len(), 7);
    // Everything hidden: no chunk at all.
    let (none, removed) = rewrite_chunk(&segment, &chunk, &[(0, 100)], &opts()).unwrap();
    assert_eq!((none.len(), removed), (0, 7));
}

#[test]
fn delete_impact_reads_the_index_only_and_ranks_drop_over_rewrite_per_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let segment = one_chunk_segment(dir.path(), &[(10, "a"), (20, "b")]);
    let api = vec![Matcher::equal("app", "api")];
    let request = |matchers: &Vec<Matcher>, mint, maxt| DeleteRequest {
        matchers: matchers.clone(),
        mint,
        maxt,
    };
    let impact = |rs: &[DeleteRequest]| {
        let i = delete_impact(&segment, rs).unwrap();
        (i.affected, i.rewrite)
    };
    assert_eq!(impact(&[]), (false, false));
    assert_eq!(impact(&[request(&api, 21, 30)]), (false, false));
    let other = vec![Matcher::equal("app", "db")];
    assert_eq!(impact(&[request(&other, 0, 30)]), (false, false));
    assert_eq!(impact(&[request(&api, 15, 30)]), (true, true));
    assert_eq!(impact(&[request(&api, 10, 20)]), (true, false));
    // One request drops the chunk another would rewrite: it is dropped.
    let both = [request(&api, 15, 30), request(&api, 10, 20)];
    assert_eq!(impact(&both), (true, false));
    let labels = Labels::from_pairs([("app", "api"), ("env", "x")]).unwrap();
    let ranges = hidden_ranges(&both, &labels);
    assert_eq!(ranges, vec![(15, 30), (10, 20)]);
    assert!(hidden_ranges(&both, &Labels::from_pairs([("app", "db")]).unwrap()).is_empty());
}
