//! A small remote-write encoder for tests and fuzzing: protobuf field writers and a
//! [`WriteRequest`] encoder, so the decoder can be checked by round trips and hand-made bodies.
//! The daemon's sender has its own encoder; this one favours plainness over speed.

use super::{MetricMetadata, TimeSeries, WriteRequest};

/// Appends `value` as a protobuf varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a field key: `field` and `wire_type` (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
pub fn put_key(out: &mut Vec<u8>, field: u64, wire_type: u8) {
    put_varint(out, (field << 3) | u64::from(wire_type));
}

/// Appends a length-delimited field (bytes, string or nested message).
pub fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_key(out, field, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a varint field.
pub fn put_varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    put_key(out, field, 0);
    put_varint(out, value);
}

/// Appends a fixed64 field.
pub fn put_fixed64_field(out: &mut Vec<u8>, field: u64, value: u64) {
    put_key(out, field, 1);
    out.extend_from_slice(&value.to_le_bytes());
}

/// Encodes one `Label` message body.
pub fn label(name: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(&mut out, 1, name.as_bytes());
    put_bytes(&mut out, 2, value.as_bytes());
    out
}

/// Encodes one `Sample` message body.
pub fn sample(t: i64, v: f64) -> Vec<u8> {
    let mut out = Vec::new();
    put_fixed64_field(&mut out, 1, v.to_bits());
    put_varint_field(&mut out, 2, t as u64);
    out
}

/// Encodes one `TimeSeries` message body (labels in their stored order, then samples).
pub fn series(series: &TimeSeries) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in series.labels.iter() {
        put_bytes(&mut out, 1, &label(name, value));
    }
    for s in &series.samples {
        put_bytes(&mut out, 2, &sample(s.t, s.v));
    }
    out
}

/// Encodes one `MetricMetadata` message body.
pub fn metadata(metadata: &MetricMetadata) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint_field(&mut out, 1, metadata.kind.number());
    put_bytes(&mut out, 2, metadata.family.as_bytes());
    put_bytes(&mut out, 4, metadata.help.as_bytes());
    put_bytes(&mut out, 5, metadata.unit.as_bytes());
    out
}

/// Encodes the series and metadata of `request` as an uncompressed protobuf `WriteRequest`
/// (exemplar and histogram counts have nothing to encode).
pub fn encode_request(request: &WriteRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for s in &request.series {
        put_bytes(&mut out, 1, &series(s));
    }
    for m in &request.metadata {
        put_bytes(&mut out, 3, &metadata(m));
    }
    out
}

/// Compresses a protobuf request into a snappy block, as a remote-write body.
pub fn compress(protobuf: &[u8]) -> Vec<u8> {
    match snap::raw::Encoder::new().compress_vec(protobuf) {
        Ok(body) => body,
        // Only inputs above snappy's 4 GiB block limit fail; test requests are far smaller.
        Err(e) => panic!("snappy refused a {} byte test request: {e}", protobuf.len()),
    }
}
