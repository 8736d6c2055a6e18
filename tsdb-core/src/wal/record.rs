//! WAL record payloads: what one framed record carries, and its encoding.
//!
//! Every record starts with a one-byte tag naming its kind; a new kind gets a new tag and tags
//! are never reused, so an old reader refuses what it does not know instead of misreading it.
//! Encoders append one record to a caller's reusable `Vec<u8>`; decoders fill a caller's
//! reusable `Vec` so that replay allocates nothing per samples record. Decoders never panic and
//! refuse trailing bytes, so a record either decodes exactly or is reported as damaged.
//!
//! The samples layout follows Prometheus's `tsdb/record` (first reference and timestamp in full,
//! then zig-zag deltas against them and raw value bits); see `docs/format/wal.md`.

use model::{LabelError, Labels};

use crate::encoding::{Decbuf, DecodeError, put_uvarint, zigzag};

/// Tag of a [`Record::Series`] record.
pub(crate) const TAG_SERIES: u8 = 1;
/// Tag of a [`Record::Samples`] record.
pub(crate) const TAG_SAMPLES: u8 = 2;
/// Tag of a [`Record::Tombstones`] record.
pub(crate) const TAG_TOMBSTONES: u8 = 3;

/// Smallest encoding of one sample: two one-byte deltas and the 8-byte value. Bounds the count
/// read from disk before anything is reserved.
const MIN_SAMPLE_LEN: usize = 10;
/// Smallest encoding of one series: one-byte reference and one-byte label count.
const MIN_SERIES_LEN: usize = 2;
/// Smallest encoding of one label: two empty strings.
const MIN_LABEL_LEN: usize = 2;
/// Smallest encoding of one tombstone: three one-byte varints.
const MIN_TOMBSTONE_LEN: usize = 3;

/// A series definition: the head's reference for a label set. Logged before any sample that
/// uses the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefSeries {
    /// The head's series reference.
    pub(crate) series_ref: u64,
    /// The series' labels.
    pub(crate) labels: Labels,
}

/// One sample of a series known by reference.
///
/// Equality compares values by bits, so NaN payloads and the staleness marker round-trip
/// observably.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefSample {
    /// The head's series reference.
    pub(crate) series_ref: u64,
    /// Milliseconds since the Unix epoch.
    pub(crate) t: i64,
    /// The value; every bit pattern is kept.
    pub(crate) v: f64,
}

impl PartialEq for RefSample {
    fn eq(&self, other: &Self) -> bool {
        self.series_ref == other.series_ref
            && self.t == other.t
            && self.v.to_bits() == other.v.to_bits()
    }
}

/// A deletion of the samples of one series in `[mint, maxt]` (inclusive, ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RefTombstone {
    /// The head's series reference.
    pub(crate) series_ref: u64,
    /// First deleted timestamp.
    pub(crate) mint: i64,
    /// Last deleted timestamp.
    pub(crate) maxt: i64,
}

/// One decoded record, borrowing the decoder's reusable buffers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Record<'a> {
    /// Series definitions.
    Series(&'a [RefSeries]),
    /// Samples.
    Samples(&'a [RefSample]),
    /// Deletions.
    Tombstones(&'a [RefTombstone]),
}

/// Why a record whose frame checksum matched still does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecordError {
    /// The bytes ran out or a varint/length was malformed.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A tag this version does not know (or an empty record).
    #[error("unknown record tag {0}")]
    UnknownTag(u8),
    /// A count larger than the bytes that follow could hold.
    #[error("count {count} does not fit in {left} bytes")]
    CountTooLarge {
        /// The count read.
        count: u64,
        /// Bytes left after it.
        left: usize,
    },
    /// A label set that is not sorted and unique.
    #[error("invalid labels: {0}")]
    Labels(#[from] LabelError),
    /// Bytes after the last entry.
    #[error("{0} trailing bytes after the last entry")]
    Trailing(usize),
}

/// Appends a series record.
pub(crate) fn encode_series(series: &[RefSeries], buf: &mut Vec<u8>) {
    buf.push(TAG_SERIES);
    put_uvarint(buf, series.len() as u64);
    for s in series {
        put_uvarint(buf, s.series_ref);
        put_uvarint(buf, s.labels.len() as u64);
        for (name, value) in s.labels.iter() {
            put_str(buf, name);
            put_str(buf, value);
        }
    }
}

/// Appends a samples record: count, then (if any) the first reference and timestamp as
/// big-endian 64-bit values, then per sample the zig-zag deltas against them and the value bits.
pub(crate) fn encode_samples(samples: &[RefSample], buf: &mut Vec<u8>) {
    buf.reserve(1 + 10 + 16 + samples.len() * 12);
    buf.push(TAG_SAMPLES);
    put_uvarint(buf, samples.len() as u64);
    let Some(first) = samples.first() else { return };
    buf.extend_from_slice(&first.series_ref.to_be_bytes());
    buf.extend_from_slice(&first.t.to_be_bytes());
    for s in samples {
        // Wrapping keeps extreme pairs (u64::MAX after 0, i64::MIN after i64::MAX) exact.
        put_uvarint(
            buf,
            zigzag(s.series_ref.wrapping_sub(first.series_ref) as i64),
        );
        put_uvarint(buf, zigzag(s.t.wrapping_sub(first.t)));
        buf.extend_from_slice(&s.v.to_bits().to_be_bytes());
    }
}

/// Appends a tombstones record.
pub(crate) fn encode_tombstones(tombstones: &[RefTombstone], buf: &mut Vec<u8>) {
    buf.push(TAG_TOMBSTONES);
    put_uvarint(buf, tombstones.len() as u64);
    for ts in tombstones {
        put_uvarint(buf, ts.series_ref);
        put_uvarint(buf, zigzag(ts.mint));
        put_uvarint(buf, zigzag(ts.maxt));
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_uvarint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

/// The tags of every record kind this version can decode: the WAL writer refuses other records
/// and replay treats them as damage (storage-io's `WalOptions::record_tags`).
pub(crate) const RECORD_TAGS: &[u8] = &[TAG_SERIES, TAG_SAMPLES, TAG_TOMBSTONES];

/// Reads the tag and the entry count, refusing counts the remaining bytes cannot hold so that a
/// damaged count never turns into a huge allocation.
fn read_header(d: &mut Decbuf<'_>, tag: u8, min_entry_len: usize) -> Result<usize, RecordError> {
    let got = d.u8()?;
    if got != tag {
        return Err(RecordError::UnknownTag(got));
    }
    read_count(d, min_entry_len)
}

fn read_count(d: &mut Decbuf<'_>, min_entry_len: usize) -> Result<usize, RecordError> {
    let count = d.uvarint()?;
    let left = d.len();
    match usize::try_from(count) {
        Ok(n) if n <= left / min_entry_len => Ok(n),
        _ => Err(RecordError::CountTooLarge { count, left }),
    }
}

fn expect_end(d: &Decbuf<'_>) -> Result<(), RecordError> {
    if d.is_empty() {
        Ok(())
    } else {
        Err(RecordError::Trailing(d.len()))
    }
}

/// Decodes a series record into `out` (cleared first).
pub(crate) fn decode_series(rec: &[u8], out: &mut Vec<RefSeries>) -> Result<(), RecordError> {
    out.clear();
    let mut d = Decbuf::new(rec);
    let n = read_header(&mut d, TAG_SERIES, MIN_SERIES_LEN)?;
    out.reserve(n);
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for _ in 0..n {
        let series_ref = d.uvarint()?;
        let k = read_count(&mut d, MIN_LABEL_LEN)?;
        pairs.clear();
        for _ in 0..k {
            pairs.push((d.uvarint_str()?, d.uvarint_str()?));
        }
        let labels = Labels::from_sorted(pairs.iter().copied())?;
        out.push(RefSeries { series_ref, labels });
    }
    expect_end(&d)
}

/// Decodes a samples record into `out` (cleared first; its capacity is reused).
pub(crate) fn decode_samples(rec: &[u8], out: &mut Vec<RefSample>) -> Result<(), RecordError> {
    out.clear();
    let mut d = Decbuf::new(rec);
    let n = read_header(&mut d, TAG_SAMPLES, MIN_SAMPLE_LEN)?;
    if n == 0 {
        return expect_end(&d);
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    if n > d.len() / MIN_SAMPLE_LEN {
        return Err(RecordError::CountTooLarge {
            count: n as u64,
            left: d.len(),
        });
    }
    out.reserve(n);
    for _ in 0..n {
        let dref = d.varint()?;
        let dt = d.varint()?;
        let v = f64::from_bits(d.be64()?);
        out.push(RefSample {
            series_ref: base_ref.wrapping_add(dref as u64),
            t: base_t.wrapping_add(dt),
            v,
        });
    }
    expect_end(&d)
}

/// Decodes a tombstones record into `out` (cleared first).
pub(crate) fn decode_tombstones(
    rec: &[u8],
    out: &mut Vec<RefTombstone>,
) -> Result<(), RecordError> {
    out.clear();
    let mut d = Decbuf::new(rec);
    let n = read_header(&mut d, TAG_TOMBSTONES, MIN_TOMBSTONE_LEN)?;
    out.reserve(n);
    for _ in 0..n {
        let series_ref = d.uvarint()?;
        let mint = d.varint()?;
        let maxt = d.varint()?;
        out.push(RefTombstone {
            series_ref,
            mint,
            maxt,
        });
    }
    expect_end(&d)
}

/// Decodes records of any kind into buffers it keeps, so that a replay loop allocates only
/// while the buffers grow to the largest record seen.
#[derive(Debug, Default)]
pub(crate) struct RecordDecoder {
    series: Vec<RefSeries>,
    samples: Vec<RefSample>,
    tombstones: Vec<RefTombstone>,
}

impl RecordDecoder {
    /// A decoder with empty buffers.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Decodes one record; the result borrows the decoder until the next call.
    pub(crate) fn decode<'a>(&'a mut self, rec: &[u8]) -> Result<Record<'a>, RecordError> {
        match rec.first().copied() {
            Some(TAG_SERIES) => {
                decode_series(rec, &mut self.series)?;
                Ok(Record::Series(&self.series))
            }
            Some(TAG_SAMPLES) => {
                decode_samples(rec, &mut self.samples)?;
                Ok(Record::Samples(&self.samples))
            }
            Some(TAG_TOMBSTONES) => {
                decode_tombstones(rec, &mut self.tombstones)?;
                Ok(Record::Tombstones(&self.tombstones))
            }
            Some(tag) => Err(RecordError::UnknownTag(tag)),
            None => Err(RecordError::Decode(DecodeError::UnexpectedEnd)),
        }
    }
}

/// Encodes a decoded record again, exactly as the `encode_*` functions would.
pub(crate) fn encode_record(rec: Record<'_>, buf: &mut Vec<u8>) {
    match rec {
        Record::Series(s) => encode_series(s, buf),
        Record::Samples(s) => encode_samples(s, buf),
        Record::Tombstones(t) => encode_tombstones(t, buf),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use model::STALE_NAN_BITS;
    use proptest::prelude::*;

    /// f64 bit patterns weighted to the values storage must keep exactly.
    pub(crate) fn value_bits() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(STALE_NAN_BITS),
            Just(f64::NAN.to_bits()),
            Just(0x7ff8_0000_dead_beef),
            Just(0xfff0_0000_0000_0001),
            Just(f64::INFINITY.to_bits()),
            Just(f64::NEG_INFINITY.to_bits()),
            Just((-0.0f64).to_bits()),
            Just(0),
            any::<u64>(),
        ]
    }

    pub(crate) fn extreme_u64() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(u64::MAX),
            Just(1 << 63),
            0..1000u64,
            any::<u64>()
        ]
    }

    pub(crate) fn extreme_i64() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0),
            Just(-1),
            1_600_000_000_000..1_600_000_100_000i64,
            any::<i64>(),
        ]
    }

    pub(crate) fn sample() -> impl Strategy<Value = RefSample> {
        (extreme_u64(), extreme_i64(), value_bits()).prop_map(|(series_ref, t, v)| RefSample {
            series_ref,
            t,
            v: f64::from_bits(v),
        })
    }

    pub(crate) fn labels() -> impl Strategy<Value = Labels> {
        proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,6}", ".{0,6}", 0..5)
            .prop_map(|m| Labels::from_pairs(m).unwrap())
    }

    pub(crate) fn series() -> impl Strategy<Value = RefSeries> {
        (extreme_u64(), labels()).prop_map(|(series_ref, labels)| RefSeries { series_ref, labels })
    }

    pub(crate) fn tombstone() -> impl Strategy<Value = RefTombstone> {
        (extreme_u64(), extreme_i64(), extreme_i64()).prop_map(|(series_ref, mint, maxt)| {
            RefTombstone {
                series_ref,
                mint,
                maxt,
            }
        })
    }

    proptest! {
        #[test]
        fn samples_round_trip(v in proptest::collection::vec(sample(), 0..50)) {
            let mut buf = vec![0xAA]; // encoders append: leading bytes stay untouched
            encode_samples(&v, &mut buf);
            prop_assert_eq!(buf[0], 0xAA);
            let mut dec = RecordDecoder::new();
            // `RefSample` equality compares value bits, so NaN payloads must survive exactly.
            prop_assert_eq!(dec.decode(&buf[1..]).unwrap(), Record::Samples(&v));
        }

        #[test]
        fn series_round_trip(v in proptest::collection::vec(series(), 0..10)) {
            let mut buf = Vec::new();
            encode_series(&v, &mut buf);
            let mut dec = RecordDecoder::new();
            prop_assert_eq!(dec.decode(&buf).unwrap(), Record::Series(&v));
        }

        #[test]
        fn tombstones_round_trip(v in proptest::collection::vec(tombstone(), 0..20)) {
            let mut buf = Vec::new();
            encode_tombstones(&v, &mut buf);
            let mut dec = RecordDecoder::new();
            prop_assert_eq!(dec.decode(&buf).unwrap(), Record::Tombstones(&v));
        }

        #[test]
        fn every_strict_prefix_is_refused(v in proptest::collection::vec(sample(), 1..10),
                                          s in proptest::collection::vec(series(), 1..4)) {
            let mut a = Vec::new();
            encode_samples(&v, &mut a);
            let mut b = Vec::new();
            encode_series(&s, &mut b);
            let mut dec = RecordDecoder::new();
            for rec in [&a, &b] {
                for cut in 0..rec.len() {
                    prop_assert!(dec.decode(&rec[..cut]).is_err());
                }
            }
        }

        #[test]
        fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64), tag in 0u8..5) {
            let mut rec = vec![tag];
            rec.extend_from_slice(&b);
            let _ = RecordDecoder::new().decode(&rec);
        }
    }

    #[test]
    fn samples_layout_is_pinned() {
        let s = [
            RefSample {
                series_ref: 7,
                t: 1000,
                v: 1.0,
            },
            RefSample {
                series_ref: 5,
                t: 1001,
                v: f64::from_bits(STALE_NAN_BITS),
            },
        ];
        let mut buf = Vec::new();
        encode_samples(&s, &mut buf);
        let mut want = vec![TAG_SAMPLES, 2];
        want.extend_from_slice(&7u64.to_be_bytes());
        want.extend_from_slice(&1000u64.to_be_bytes());
        want.extend_from_slice(&[0, 0]);
        want.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
        want.extend_from_slice(&[3, 2]); // zig-zag(-2) = 3, zig-zag(1) = 2
        want.extend_from_slice(&STALE_NAN_BITS.to_be_bytes());
        assert_eq!(buf, want);
    }

    #[test]
    fn bad_records_are_refused() {
        let mut dec = RecordDecoder::new();
        assert_eq!(
            dec.decode(&[]),
            Err(RecordError::Decode(DecodeError::UnexpectedEnd))
        );
        assert_eq!(dec.decode(&[9]), Err(RecordError::UnknownTag(9)));
        // A count far beyond the bytes present is refused before any allocation.
        let huge = [TAG_SAMPLES, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            dec.decode(&huge),
            Err(RecordError::CountTooLarge { .. })
        ));
        assert_eq!(
            dec.decode(&[TAG_TOMBSTONES, 0, 0]),
            Err(RecordError::Trailing(1))
        );
        // Labels out of order: "b" before "a".
        let unsorted = [TAG_SERIES, 1, 1, 2, 1, b'b', 1, b'x', 1, b'a', 1, b'y'];
        assert!(matches!(dec.decode(&unsorted), Err(RecordError::Labels(_))));
    }

    #[test]
    fn record_tags_are_exactly_the_tags_the_decoder_knows() {
        let mut dec = RecordDecoder::new();
        for tag in 0..=u8::MAX {
            // An empty record of kind `tag`: the tag and a zero count.
            let known = !matches!(dec.decode(&[tag, 0]), Err(RecordError::UnknownTag(_)));
            assert_eq!(known, RECORD_TAGS.contains(&tag), "tag {tag}");
        }
    }
}
