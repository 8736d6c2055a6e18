//! The remote-write 1.0 request body: a protobuf `prometheus.WriteRequest` (prompb
//! `remote.proto`/`types.proto`) compressed as one snappy block.
//!
//! Only the fields a float sample needs are written: `WriteRequest.timeseries = 1`,
//! `TimeSeries.labels = 1` and `samples = 2`, `Label.name = 1`/`value = 2`,
//! `Sample.value = 1` (double) and `timestamp = 2` (int64). Nested messages are length-delimited,
//! so each one's size is computed before it is written, and the body is built in one buffer.

use model::Labels;

/// One series of a request with its samples `(t, v)` in log order.
pub(crate) struct SeriesSamples<'a> {
    /// The labels sent (after external labels and relabeling).
    pub(crate) labels: &'a Labels,
    /// The samples, oldest first.
    pub(crate) samples: &'a [(i64, f64)],
}

/// Protobuf wire type of varints.
const VARINT: u8 = 0;
/// Protobuf wire type of 64-bit fixed values.
const FIXED64: u8 = 1;
/// Protobuf wire type of length-delimited fields.
const LEN: u8 = 2;

/// Encodes `series` as a protobuf `WriteRequest` into `out` (cleared first).
pub(crate) fn encode_write_request(series: &[SeriesSamples<'_>], out: &mut Vec<u8>) {
    out.clear();
    for s in series {
        put_key(out, 1, LEN);
        put_varint(out, series_len(s) as u64);
        for (name, value) in s.labels.iter() {
            put_key(out, 1, LEN);
            put_varint(out, label_len(name, value) as u64);
            put_str_field(out, 1, name);
            put_str_field(out, 2, value);
        }
        for &(t, v) in s.samples {
            put_key(out, 2, LEN);
            put_varint(out, sample_len(t) as u64);
            put_key(out, 1, FIXED64);
            out.extend_from_slice(&v.to_bits().to_le_bytes());
            if t != 0 {
                put_key(out, 2, VARINT);
                // int64 fields carry negative values as ten-byte two's-complement varints.
                put_varint(out, t as u64);
            }
        }
    }
}

/// Compresses a protobuf body into one snappy block.
pub(crate) fn compress(protobuf: &[u8]) -> Result<Vec<u8>, snap::Error> {
    snap::raw::Encoder::new().compress_vec(protobuf)
}

fn series_len(s: &SeriesSamples<'_>) -> usize {
    let labels: usize = s
        .labels
        .iter()
        .map(|(n, v)| nested_len(label_len(n, v)))
        .sum();
    let samples: usize = s
        .samples
        .iter()
        .map(|&(t, _)| nested_len(sample_len(t)))
        .sum();
    labels + samples
}

/// Key, length prefix and body of a nested message of `len` bytes.
fn nested_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn label_len(name: &str, value: &str) -> usize {
    str_field_len(name) + str_field_len(value)
}

fn str_field_len(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        1 + varint_len(s.len() as u64) + s.len()
    }
}

fn sample_len(t: i64) -> usize {
    let ts = if t == 0 { 0 } else { 1 + varint_len(t as u64) };
    1 + 8 + ts
}

fn varint_len(v: u64) -> usize {
    // 7 bits per byte; zero still takes one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_key(out: &mut Vec<u8>, field: u64, wire_type: u8) {
    put_varint(out, field << 3 | u64::from(wire_type));
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Proto3 omits empty strings; decoders read a missing field as "".
fn put_str_field(out: &mut Vec<u8>, field: u64, s: &str) {
    if !s.is_empty() {
        put_key(out, field, LEN);
        put_varint(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use model::remote_write::{DecodeLimits, decode_write_request};
    use proptest::prelude::*;

    use super::*;

    fn timestamp() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(i64::MIN),
            Just(i64::MAX),
            Just(1_700_000_000_000),
            any::<i64>(),
        ]
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(f64::from_bits(model::STALE_NAN_BITS)),
            Just(f64::INFINITY),
            any::<f64>(),
        ]
    }

    proptest! {
        #[test]
        fn requests_decode_back(
            series in proptest::collection::vec(
                (
                    proptest::collection::btree_map("[a-z_]{1,8}", ".{1,12}", 0..4),
                    proptest::collection::vec((timestamp(), value()), 1..5),
                ),
                0..4,
            )
        ) {
            let labels: Vec<Labels> = series
                .iter()
                .enumerate()
                .map(|(i, (pairs, _))| {
                    let mut pairs = pairs.clone();
                    pairs.insert("__name__".into(), format!("m{i}"));
                    Labels::from_pairs(pairs).unwrap()
                })
                .collect();
            let input: Vec<SeriesSamples<'_>> = labels
                .iter()
                .zip(&series)
                .map(|(labels, (_, samples))| SeriesSamples { labels, samples })
                .collect();
            let mut body = Vec::new();
            encode_write_request(&input, &mut body);
            let req = decode_write_request(&compress(&body).unwrap(), &DecodeLimits::default())
                .unwrap();
            prop_assert_eq!(req.series.len(), input.len());
            for (got, want) in req.series.iter().zip(&input) {
                prop_assert_eq!(&got.labels, want.labels);
                let got: Vec<(i64, u64)> =
                    got.samples.iter().map(|s| (s.t, s.v.to_bits())).collect();
                let want: Vec<(i64, u64)> =
                    want.samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn varint_lengths_match_the_encoder() {
        for v in [0, 1, 127, 128, 16_383, 16_384, u64::MAX >> 1, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
        }
    }
}
