//! Tests of writing and reading segments: a proptest round trip against a model, corruption
//! of every section, and the writer's refusals.
#![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

use model::{Labels, MatchType, Matcher};
use proptest::prelude::*;

use super::format::{Footer, Section};
use super::fuzz::{Model, NAMES, build_chunk, exercise, reseal};
use super::*;
use crate::error::{Error, Structure};

const VALUES: [&str; 7] = ["a", "b", "0", "1", "ü-ß", "a|b", ".*"];
const DAY: Partition = Partition {
    mint: 1_700_006_400_000_000_000,
    maxt: 1_700_092_799_999_999_999,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

/// Writes `chunks` (stream, chunk bytes) in the order given into an in-memory segment.
fn write(chunks: &[(Labels, Vec<u8>)]) -> Vec<u8> {
    let mut w = SegmentWriter::new(Vec::new(), "mem", "tenant-1", DAY).unwrap();
    for (l, c) in chunks {
        w.add_chunk(l, &ChunkInput::from_chunk(c).unwrap()).unwrap();
    }
    w.finish().unwrap().0
}

fn open(bytes: &[u8]) -> Result<SegmentReader<&[u8]>, Error> {
    SegmentReader::open(bytes, "test.seg")
}

/// Three streams, four chunks (two in one stream, added out of time order).
fn fixture() -> (Vec<(Labels, Vec<u8>)>, Vec<u8>) {
    let t = DAY.mint;
    let chunks = vec![
        (
            labels(&[("app", "api"), ("env", "prod")]),
            build_chunk(&[(t + 50, b"GET /x 200"), (t + 60, b"GET /y 500")]),
        ),
        (
            labels(&[("app", "db")]),
            build_chunk(&[(t + 5, b"checkpoint")]),
        ),
        (
            labels(&[("app", "api"), ("env", "prod")]),
            build_chunk(&[(t + 10, b"start"), (t + 20, b"ready")]),
        ),
        (
            labels(&[("app", "api"), ("env", "dev")]),
            build_chunk(&[(t, b"debug on")]),
        ),
    ];
    let bytes = write(&chunks);
    (chunks, bytes)
}

/// The corruption error inside `e` (which names the file).
fn corruption(e: &Error) -> (Structure, u64, &str) {
    let Error::InFile { path, source } = e else {
        panic!("not a file error: {e}");
    };
    assert_eq!(path.to_str(), Some("test.seg"));
    let Error::Corruption {
        structure,
        offset,
        reason,
    } = &**source
    else {
        panic!("not corruption: {source}");
    };
    (*structure, *offset, reason)
}

fn toc(bytes: &[u8]) -> [super::format::TocEntry; 5] {
    Footer::decode(bytes).unwrap().0.toc
}

#[test]
fn fixture_reads_back() {
    let (chunks, bytes) = fixture();
    let reader = open(&bytes).unwrap();
    assert_eq!(reader.tenant(), "tenant-1");
    assert_eq!(reader.partition(), DAY);
    assert_eq!(reader.bounds(), Some((DAY.mint, DAY.mint + 60)));
    let totals = reader.totals();
    assert_eq!((totals.streams, totals.chunks, totals.entries), (3, 4, 6));
    // Label order: {app="api", env="dev"} < {app="api", env="prod"} < {app="db"}.
    assert_eq!(reader.labels(1), Some(chunks[0].0.clone()));
    assert_eq!(reader.labels(3), None);
    let mints: Vec<i64> = reader
        .chunks(1, i64::MIN, i64::MAX)
        .map(|r| r.mint)
        .collect();
    assert_eq!(mints, [DAY.mint + 10, DAY.mint + 50]);
    // Inclusive bounds: a range ending at a chunk's mint or starting at its maxt selects it.
    assert_eq!(reader.chunks(1, DAY.mint + 60, DAY.mint + 60).count(), 1);
    assert_eq!(reader.chunks(1, DAY.mint + 21, DAY.mint + 49).count(), 0);
    assert_eq!(reader.chunks(1, i64::MIN, DAY.mint + 10).count(), 1);
    let r = *reader
        .chunks(1, DAY.mint + 50, DAY.mint + 50)
        .next()
        .unwrap();
    assert_eq!(reader.chunk_bytes(&r).unwrap(), &chunks[0].1[..]);
    let blocks = reader.read_chunk(&r).unwrap();
    let lines: Vec<Vec<u8>> = blocks.blocks()[0]
        .decode()
        .unwrap()
        .entries()
        .map(|e| e.line.to_vec())
        .collect();
    assert_eq!(lines, [b"GET /x 200".to_vec(), b"GET /y 500".to_vec()]);
    let stats = reader.stream_stats(1).unwrap();
    assert_eq!((stats.streams, stats.chunks, stats.entries), (1, 2, 4));
    assert_eq!(reader.stream_stats(3), None);
    let api = reader
        .streams_matching(&[Matcher::equal("app", "api")])
        .unwrap();
    let window = reader.index_stats(&api, DAY.mint + 55, DAY.mint + 100);
    assert_eq!((window.streams, window.chunks, window.entries), (1, 1, 2));
    reader.verify_chunks().unwrap();
}

#[test]
fn matchers_follow_prometheus_semantics() {
    let (_, bytes) = fixture();
    let reader = open(&bytes).unwrap();
    let ids = |ms: &[Matcher]| {
        reader
            .streams_matching(ms)
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    };
    let m = |kind, name: &str, value: &str| Matcher::new(kind, name, value).unwrap();
    assert_eq!(ids(&[]), [0, 1, 2]);
    assert_eq!(ids(&[m(MatchType::Equal, "env", "")]), [2]);
    assert_eq!(ids(&[m(MatchType::NotEqual, "env", "")]), [0, 1]);
    assert_eq!(ids(&[m(MatchType::NotEqual, "env", "prod")]), [0, 2]);
    assert_eq!(ids(&[m(MatchType::Regex, "env", "pro.")]), [1]);
    assert_eq!(ids(&[m(MatchType::Regex, "env", ".*")]), [0, 1, 2]);
    assert_eq!(ids(&[m(MatchType::NotRegex, "env", "d.*")]), [1, 2]);
    assert_eq!(ids(&[m(MatchType::Regex, "app", "db|api")]), [0, 1, 2]);
    assert_eq!(
        ids(&[m(MatchType::Equal, "missing", "x")]),
        Vec::<u32>::new()
    );
    assert_eq!(ids(&[m(MatchType::NotEqual, "missing", "x")]), [0, 1, 2]);
    assert_eq!(
        ids(&[
            m(MatchType::Equal, "app", "api"),
            m(MatchType::NotEqual, "env", "dev")
        ]),
        [1]
    );
    assert_eq!(reader.label_names(None).unwrap(), ["app", "env"]);
    assert_eq!(reader.label_values("env", None).unwrap(), ["dev", "prod"]);
    let db = reader
        .streams_matching(&[Matcher::equal("app", "db")])
        .unwrap();
    assert_eq!(reader.label_names(Some(&db)).unwrap(), ["app"]);
    assert_eq!(
        reader.label_values("env", Some(&db)).unwrap(),
        Vec::<&str>::new()
    );
    assert_eq!(
        reader.label_values("nope", None).unwrap(),
        Vec::<&str>::new()
    );
}

#[test]
fn empty_segment_reads_back() {
    let bytes = write(&[]);
    let reader = open(&bytes).unwrap();
    assert_eq!(reader.stream_count(), 0);
    assert_eq!(reader.bounds(), None);
    assert_eq!(reader.totals(), IndexStats::default());
    assert!(reader.streams_matching(&[]).unwrap().is_empty());
    assert!(reader.label_names(None).unwrap().is_empty());
    exercise(&bytes);
}

#[test]
fn a_flip_in_each_section_is_found_and_named() {
    let (_, bytes) = fixture();
    for (section, entry) in Section::ALL.iter().zip(toc(&bytes)) {
        let at = (entry.offset + entry.len / 2) as usize;
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x04;
        if *section == Section::Chunks {
            let reader = open(&damaged).unwrap();
            let err = reader.verify_chunks().unwrap_err();
            let (structure, offset, reason) = corruption(&err);
            assert_eq!((structure, offset), (Structure::Segment, entry.offset));
            assert!(reason.starts_with("chunks section"), "{reason}");
            let unreadable = (0..reader.stream_count())
                .flat_map(|id| reader.chunks(id, i64::MIN, i64::MAX))
                .any(|r| match reader.read_chunk(r) {
                    Err(_) => true,
                    Ok(c) => c.blocks().iter().any(|b| b.decode().is_err()),
                });
            assert!(unreadable, "damage in the chunks section goes unnoticed");
            continue;
        }
        let err = open(&damaged).unwrap_err();
        let (structure, offset, reason) = corruption(&err);
        assert_eq!(structure, Structure::SegmentIndex, "{reason}");
        assert_eq!(offset, entry.offset);
        assert!(reason.starts_with(section.what()), "{section:?}: {reason}");
    }
}

#[test]
fn header_footer_and_trailer_damage_is_named() {
    let (_, bytes) = fixture();
    let footer_at = Footer::decode(&bytes).unwrap().1;
    let cases = [
        (0, "header: magic"),
        (4, "header: unknown version"),
        (footer_at + 3, "footer: checksum"),
        (bytes.len() - 12, "trailer: footer length"),
        (bytes.len() - 1, "trailer: magic"),
    ];
    for (at, want) in cases {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x80;
        let err = open(&damaged).unwrap_err();
        let (structure, _, reason) = corruption(&err);
        assert_eq!(structure, Structure::Segment);
        assert!(reason.starts_with(want), "flip at {at}: {reason}");
    }
}

#[test]
fn every_truncation_is_an_error() {
    let (_, bytes) = fixture();
    for cut in 0..bytes.len() {
        assert!(open(&bytes[..cut]).is_err(), "cut at {cut} opens");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(open(&longer).is_err());
}

#[test]
fn every_flip_outside_the_chunks_is_an_error_and_none_panics() {
    let (_, bytes) = fixture();
    let chunks = toc(&bytes)[0];
    let in_chunks = chunks.offset as usize..(chunks.offset + chunks.len) as usize;
    for at in 0..bytes.len() {
        for mask in [0x01, 0xff] {
            let mut damaged = bytes.clone();
            damaged[at] ^= mask;
            let opened = open(&damaged);
            assert_eq!(
                opened.is_ok(),
                in_chunks.contains(&at),
                "flip {mask:#x} at {at}"
            );
            exercise(&damaged);
            reseal(&mut damaged);
            exercise(&damaged);
        }
    }
}

#[test]
fn structural_damage_behind_valid_checksums_is_named() {
    let (_, bytes) = fixture();
    for (section, entry) in Section::ALL.iter().zip(toc(&bytes)).skip(1) {
        let mut damaged = bytes.clone();
        let at = entry.offset as usize;
        damaged[at..at + 4].copy_from_slice(&[0xff; 4]);
        assert!(reseal(&mut damaged));
        let err = open(&damaged).unwrap_err();
        let (structure, _, reason) = corruption(&err);
        assert_eq!(structure, Structure::SegmentIndex);
        assert!(reason.starts_with(section.what()), "{section:?}: {reason}");
    }
    // Footer totals that disagree with the index.
    let (mut footer, footer_at) = Footer::decode(&bytes).unwrap();
    footer.totals.entries += 1;
    let mut damaged = bytes[..footer_at].to_vec();
    footer.encode(&mut damaged);
    let err = open(&damaged).unwrap_err();
    assert!(corruption(&err).2.contains("totals"), "{err}");
}

#[test]
fn foreign_refs_are_refused() {
    let (_, bytes) = fixture();
    let reader = open(&bytes).unwrap();
    let mut r = *reader.chunks(0, i64::MIN, i64::MAX).next().unwrap();
    r.offset = bytes.len() as u64;
    assert!(reader.chunk_bytes(&r).is_err());
    let mut r = *reader.chunks(0, i64::MIN, i64::MAX).next().unwrap();
    r.entries += 1;
    let err = reader.read_chunk(&r).unwrap_err();
    assert!(corruption(&err).2.contains("its ref says"), "{err}");
}

#[test]
fn writer_refuses_bad_input_without_writing() {
    let chunk = build_chunk(&[(5, b"x")]);
    let l = labels(&[("app", "a")]);
    assert!(SegmentWriter::new(Vec::new(), "m", "", DAY).is_err());
    let backwards = Partition { mint: 2, maxt: 1 };
    assert!(SegmentWriter::new(Vec::new(), "m", "t", backwards).is_err());
    let mut w = SegmentWriter::new(Vec::new(), "m", "t", DAY).unwrap();
    let good = ChunkInput::from_chunk(&chunk).unwrap();
    let lying = ChunkInput { maxt: 6, ..good };
    assert!(matches!(
        w.add_chunk(&l, &lying),
        Err(Error::InvalidOption { .. })
    ));
    let cut = ChunkInput {
        bytes: &chunk[..chunk.len() - 1],
        ..good
    };
    assert!(w.add_chunk(&l, &cut).is_err());
    assert!(ChunkInput::from_chunk(&build_chunk(&[])).is_err());
    w.add_chunk(&l, &good).unwrap();
    let (bytes, totals, size) = w.finish().unwrap();
    assert_eq!((totals.chunks, size), (1, bytes.len() as u64));
    let reader = open(&bytes).unwrap();
    assert_eq!(
        reader
            .chunk_bytes(reader.chunks(0, 0, 10).next().unwrap())
            .unwrap(),
        &chunk[..]
    );
}

/// A sink that fails once `limit` bytes were written.
struct FailingSink {
    written: usize,
    limit: usize,
}

impl std::io::Write for FailingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::other("disk full"));
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_write_poisons_the_writer() {
    let chunk = build_chunk(&[(5, b"line")]);
    let input = ChunkInput::from_chunk(&chunk).unwrap();
    let l = labels(&[("app", "a")]);
    let sink = FailingSink {
        written: 0,
        limit: 5 + chunk.len() + 3,
    };
    let mut w = SegmentWriter::new(sink, "sink", "t", DAY).unwrap();
    w.add_chunk(&l, &input).unwrap();
    assert!(matches!(
        w.add_chunk(&l, &input),
        Err(Error::Io { op: "write", .. })
    ));
    assert!(matches!(w.finish(), Err(Error::Io { .. })));
}

#[test]
fn write_segment_is_atomic_and_names_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (chunks, expected) = fixture();
    let inputs: Vec<StreamInput<'_>> = chunks
        .iter()
        .map(|(l, c)| StreamInput {
            labels: l.clone(),
            chunks: vec![ChunkInput::from_chunk(c).unwrap()],
        })
        .collect();
    std::fs::write(dir.path().join("day.seg.tmp"), b"left over from a crash").unwrap();
    let file = write_segment(dir.path(), "day.seg", "tenant-1", DAY, &inputs).unwrap();
    assert_eq!(file.path, dir.path().join("day.seg"));
    assert!(!dir.path().join("day.seg.tmp").exists());
    let bytes = std::fs::read(&file.path).unwrap();
    assert_eq!(file.size, bytes.len() as u64);
    assert_eq!(file.totals, open(&expected).unwrap().totals());
    let reader = open(&bytes).unwrap();
    let mut model = Model::default();
    for (l, c) in &chunks {
        model.add(l, c.clone());
    }
    model.sort();
    model.check(&reader, &[]);
    for bad in ["", ".", "..", "a/b", "x.tmp"] {
        assert!(
            write_segment(dir.path(), bad, "t", DAY, &inputs).is_err(),
            "{bad:?}"
        );
    }
    let missing = dir.path().join("missing");
    let err = write_segment(&missing, "s", "t", DAY, &inputs).unwrap_err();
    assert!(matches!(err, Error::Io { op: "create", .. }), "{err}");
}

fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0i64),
        -1_000i64..1_000,
        any::<i64>(),
    ]
}

/// A chunk of 1 to 3 entries.
fn chunk() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(timestamp(), 1..4).prop_map(|mut ts| {
        ts.sort_unstable();
        let lines: Vec<String> = (0..ts.len()).map(|i| format!("line {i}")).collect();
        let entries: Vec<(i64, &[u8])> = ts
            .iter()
            .zip(&lines)
            .map(|(&t, l)| (t, l.as_bytes()))
            .collect();
        build_chunk(&entries)
    })
}

fn stream_labels() -> impl Strategy<Value = Labels> {
    prop::collection::btree_map(
        prop::sample::select(&NAMES[..]),
        prop::sample::select(&VALUES[..]),
        0..4,
    )
    .prop_map(|m| Labels::from_pairs(m).unwrap())
}

fn matcher() -> impl Strategy<Value = Matcher> {
    let kind = prop::sample::select(vec![
        MatchType::Equal,
        MatchType::NotEqual,
        MatchType::Regex,
        MatchType::NotRegex,
    ]);
    let name = prop::sample::select(vec!["app", "env", "level", "pod", "missing"]);
    let value = prop::sample::select(vec![
        "a", "b", "ü-ß", "", ".*", ".+", "a|b", "[0-9]", "a|ü-ß",
    ]);
    (kind, name, value).prop_map(|(k, n, v)| Matcher::new(k, n, v).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_matches_the_model(
        chunks in prop::collection::vec((stream_labels(), chunk()), 0..10),
        matchers in prop::collection::vec(prop::collection::vec(matcher(), 0..3), 1..6),
        range in (timestamp(), timestamp()),
    ) {
        let bytes = write(&chunks);
        let reader = open(&bytes).unwrap();
        let mut model = Model::default();
        for (l, c) in &chunks {
            model.add(l, c.clone());
        }
        model.sort();
        model.check(&reader, &matchers);
        let (mint, maxt) = (range.0.min(range.1), range.0.max(range.1));
        let mut entries = 0;
        for id in 0..reader.stream_count() {
            let all: Vec<ChunkRef> = reader.chunks(id, i64::MIN, i64::MAX).copied().collect();
            let want: Vec<ChunkRef> = all.iter().filter(|r| r.overlaps(mint, maxt)).copied().collect();
            let got: Vec<ChunkRef> = reader.chunks(id, mint, maxt).copied().collect();
            prop_assert_eq!(got, want);
            entries += reader.stream_stats(id).unwrap().entries;
        }
        prop_assert_eq!(reader.totals().entries, entries);
        prop_assert_eq!(reader.totals().chunks, chunks.len() as u64);
        exercise(&bytes);
    }
}
