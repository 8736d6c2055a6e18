//! Decoding of Prometheus remote-write 1.0 requests (`POST /api/v1/write`).
//!
//! A body is a snappy *block* (not the framed stream format) holding a protobuf
//! `prometheus.WriteRequest` (prompb `remote.proto` and `types.proto`):
//!
//! ```text
//! WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//! TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//!                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//! Label          { string name = 1; string value = 2; }
//! Sample         { double value = 1; int64 timestamp = 2; }
//! MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
//!                  string unit = 5; }
//! ```
//!
//! Size limits are checked before anything is allocated: the compressed body against
//! [`DecodeLimits::max_body_bytes`], then the decompressed length the snappy preamble claims against
//! [`DecodeLimits::max_decompressed_bytes`] and against what the body's size can possibly encode.
//! Unknown fields are skipped by wire type, as protobuf requires; exemplars are counted and skipped;
//! native histograms are counted per series so the caller can report them as unsupported.
//!
//! ```
//! use model::remote_write::{DecodeLimits, decode_write_request};
//!
//! // A 10-byte body whose snappy preamble claims 4 GB is refused before any allocation.
//! let body = [0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0, 0];
//! assert!(decode_write_request(&body, &DecodeLimits::default()).is_err());
//! ```
#![deny(clippy::indexing_slicing)]

mod wire;

#[cfg(any(test, feature = "testing"))]
pub mod encode;
#[cfg(test)]
mod tests;

use crate::error::LabelError;
use crate::{Labels, METRIC_NAME, Sample, is_valid_label_name, is_valid_metric_name};
use wire::{Reader, WireType};

/// Prometheus's limit on a decompressed remote-write request: 32 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 32 << 20;

/// The default limit on a compressed request body: 32 MiB, as a body never needs to be larger
/// than what it decompresses to.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;

/// The most output one byte of a snappy block can produce: a 3-byte copy emits at most 64 bytes
/// (literals emit at most one byte per input byte, 2-byte copies at most 11, 5-byte copies 64), so
/// a claim above `22 × compressed length` cannot be honest.
const MAX_SNAPPY_EXPANSION: usize = 22;

/// Size limits applied to a request before it is decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The largest compressed body accepted.
    pub max_body_bytes: usize,
    /// The largest decompressed protobuf accepted (checked against the snappy preamble's claim).
    pub max_decompressed_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

/// A decoded `WriteRequest`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteRequest {
    /// The series in request order, each with its float samples.
    pub series: Vec<TimeSeries>,
    /// Metric metadata the sender attached (Prometheus sends it in separate requests).
    pub metadata: Vec<MetricMetadata>,
    /// How many exemplars the request carried; they are not kept.
    pub exemplars: usize,
    /// How many series carried native histograms, which are not supported; their float samples
    /// (if any) are still in `series`.
    pub histogram_series: usize,
}

impl WriteRequest {
    /// The number of float samples over all series.
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }
}

/// One series of a request: its labels (validated and sorted) and its samples in request order.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    /// The series' labels.
    pub labels: Labels,
    /// The float samples, values bit-exact (the staleness marker included).
    pub samples: Vec<Sample>,
}

/// The type a `MetricMetadata` gives a metric family (prompb `MetricMetadata.MetricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// 0, or a number this decoder does not know.
    Unknown,
    /// 1.
    Counter,
    /// 2.
    Gauge,
    /// 3.
    Histogram,
    /// 4.
    GaugeHistogram,
    /// 5.
    Summary,
    /// 6.
    Info,
    /// 7.
    StateSet,
}

impl MetricType {
    fn from_number(n: u64) -> Self {
        match n {
            1 => Self::Counter,
            2 => Self::Gauge,
            3 => Self::Histogram,
            4 => Self::GaugeHistogram,
            5 => Self::Summary,
            6 => Self::Info,
            7 => Self::StateSet,
            _ => Self::Unknown,
        }
    }

    /// The number prompb gives this type.
    pub fn number(self) -> u64 {
        match self {
            Self::Unknown => 0,
            Self::Counter => 1,
            Self::Gauge => 2,
            Self::Histogram => 3,
            Self::GaugeHistogram => 4,
            Self::Summary => 5,
            Self::Info => 6,
            Self::StateSet => 7,
        }
    }
}

/// Metadata of one metric family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricMetadata {
    /// The family's type.
    pub kind: MetricType,
    /// The family name (a metric name without `_total`, `_bucket`, … suffixes).
    pub family: String,
    /// The help text.
    pub help: String,
    /// The unit, often empty.
    pub unit: String,
}

/// Why a remote-write request was refused; every variant is the sender's fault (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The compressed body is above [`DecodeLimits::max_body_bytes`].
    #[error("request body of {len} bytes is above the limit of {limit} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The snappy preamble claims more than [`DecodeLimits::max_decompressed_bytes`].
    #[error("snappy body claims {claimed} decompressed bytes, above the limit of {limit} bytes")]
    DecompressedTooLarge {
        /// The claimed decompressed length.
        claimed: u64,
        /// The limit.
        limit: usize,
    },
    /// The snappy preamble claims more than a body of this size can encode.
    #[error(
        "snappy body of {compressed} bytes claims {claimed} decompressed bytes, more than it can encode"
    )]
    ImpossibleLength {
        /// The claimed decompressed length.
        claimed: u64,
        /// The body's length.
        compressed: usize,
    },
    /// The body is not a valid snappy block (remote write 1.0 uses the block format, not framed).
    #[error("snappy block corrupt: {reason}")]
    SnappyCorrupt {
        /// What the snappy decoder said.
        reason: String,
    },
    /// A protobuf message or value ends before its declared end.
    #[error("protobuf {message} truncated at byte {offset}")]
    Truncated {
        /// The message being read.
        message: &'static str,
        /// Offset in the decompressed request.
        offset: usize,
    },
    /// A varint longer than ten bytes or above 64 bits.
    #[error("protobuf {message}: varint at byte {offset} overflows 64 bits")]
    VarintOverflow {
        /// The message being read.
        message: &'static str,
        /// Offset in the decompressed request.
        offset: usize,
    },
    /// Wire type 3 or 4 (deprecated groups) or 6 or 7 (undefined).
    #[error("protobuf {message}: unsupported wire type {wire_type} at byte {offset}")]
    UnsupportedWireType {
        /// The message being read.
        message: &'static str,
        /// The wire type found.
        wire_type: u8,
        /// Offset in the decompressed request.
        offset: usize,
    },
    /// A field key with field number 0, which protobuf forbids.
    #[error("protobuf {message}: field number 0 at byte {offset}")]
    FieldNumberZero {
        /// The message being read.
        message: &'static str,
        /// Offset in the decompressed request.
        offset: usize,
    },
    /// A known field encoded with a wire type its schema does not give it.
    #[error(
        "protobuf {message}: field {field} at byte {offset} has wire type {found}, expected {expected}"
    )]
    WrongWireType {
        /// The message being read.
        message: &'static str,
        /// The field number.
        field: u64,
        /// The wire type the schema gives the field.
        expected: u8,
        /// The wire type found.
        found: u8,
        /// Offset in the decompressed request.
        offset: usize,
    },
    /// A label name or value that is not UTF-8.
    #[error("series {series}: label at byte {offset} is not valid UTF-8")]
    LabelNotUtf8 {
        /// Index of the series in the request.
        series: usize,
        /// Offset of the string in the decompressed request.
        offset: usize,
    },
    /// A label with an empty name.
    #[error("series {series}: empty label name")]
    EmptyLabelName {
        /// Index of the series in the request.
        series: usize,
    },
    /// An invalid or duplicate label name, or an invalid metric name.
    #[error("series {series}: {source}")]
    InvalidLabels {
        /// Index of the series in the request.
        series: usize,
        /// What is wrong with the labels.
        source: LabelError,
    },
    /// A series without any label (or only labels with empty values).
    #[error("series {series}: empty label set")]
    NoLabels {
        /// Index of the series in the request.
        series: usize,
    },
    /// A metadata string that is not UTF-8.
    #[error("metadata {index}: string at byte {offset} is not valid UTF-8")]
    MetadataNotUtf8 {
        /// Index of the metadata entry in the request.
        index: usize,
        /// Offset of the string in the decompressed request.
        offset: usize,
    },
}

/// Decodes a remote-write 1.0 body: a snappy block holding a protobuf `WriteRequest`.
///
/// Limits are checked before anything is allocated; labels come back validated and sorted.
pub fn decode_write_request(
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<WriteRequest, DecodeError> {
    let protobuf = decompress(body, limits)?;
    decode_protobuf(&protobuf)
}

/// Decompresses a snappy block after checking the body and its claimed length against `limits`.
fn decompress(body: &[u8], limits: &DecodeLimits) -> Result<Vec<u8>, DecodeError> {
    if body.len() > limits.max_body_bytes {
        return Err(DecodeError::BodyTooLarge {
            len: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    let corrupt = |e: snap::Error| DecodeError::SnappyCorrupt {
        reason: e.to_string(),
    };
    let claimed = snap::raw::decompress_len(body).map_err(corrupt)?;
    if claimed > limits.max_decompressed_bytes {
        return Err(DecodeError::DecompressedTooLarge {
            claimed: claimed as u64,
            limit: limits.max_decompressed_bytes,
        });
    }
    if claimed > body.len().saturating_mul(MAX_SNAPPY_EXPANSION) {
        return Err(DecodeError::ImpossibleLength {
            claimed: claimed as u64,
            compressed: body.len(),
        });
    }
    let mut out = vec![0u8; claimed];
    let written = snap::raw::Decoder::new()
        .decompress(body, &mut out)
        .map_err(corrupt)?;
    out.truncate(written);
    Ok(out)
}

/// Decodes an uncompressed protobuf `WriteRequest`.
fn decode_protobuf(buf: &[u8]) -> Result<WriteRequest, DecodeError> {
    let mut request = WriteRequest::default();
    let mut reader = Reader::new(buf, 0, "WriteRequest");
    // Reused across series: label pairs borrow from `buf`, so no per-label allocation.
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    while let Some(key) = reader.next_key()? {
        match key.number {
            1 => {
                let series = reader.nested(key, "TimeSeries")?;
                let index = request.series.len();
                let decoded = decode_series(series, index, &mut pairs, &mut request)?;
                request.series.push(decoded);
            }
            3 => {
                let metadata = reader.nested(key, "MetricMetadata")?;
                let index = request.metadata.len();
                request.metadata.push(decode_metadata(metadata, index)?);
            }
            _ => reader.skip(key)?,
        }
    }
    Ok(request)
}

/// Decodes one `TimeSeries`; counts its exemplars and histograms into `request`.
fn decode_series<'a>(
    mut reader: Reader<'a>,
    index: usize,
    pairs: &mut Vec<(&'a str, &'a str)>,
    request: &mut WriteRequest,
) -> Result<TimeSeries, DecodeError> {
    pairs.clear();
    let mut samples = Vec::new();
    let mut has_histograms = false;
    while let Some(key) = reader.next_key()? {
        match key.number {
            1 => pairs.push(decode_label(reader.nested(key, "Label")?, index)?),
            2 => samples.push(decode_sample(reader.nested(key, "Sample")?)?),
            3 => {
                reader.nested(key, "Exemplar")?;
                request.exemplars += 1;
            }
            4 => {
                reader.nested(key, "Histogram")?;
                has_histograms = true;
            }
            _ => reader.skip(key)?,
        }
    }
    if has_histograms {
        request.histogram_series += 1;
    }
    Ok(TimeSeries {
        labels: build_labels(pairs, index)?,
        samples,
    })
}

/// Decodes one `Label` of series `series`; a missing field is the empty string, as in proto3.
fn decode_label<'a>(
    mut reader: Reader<'a>,
    series: usize,
) -> Result<(&'a str, &'a str), DecodeError> {
    let (mut name, mut value) = ("", "");
    while let Some(key) = reader.next_key()? {
        let slot = match key.number {
            1 => &mut name,
            2 => &mut value,
            _ => {
                reader.skip(key)?;
                continue;
            }
        };
        let (bytes, offset) = reader.bytes(key)?;
        *slot =
            std::str::from_utf8(bytes).map_err(|_| DecodeError::LabelNotUtf8 { series, offset })?;
    }
    Ok((name, value))
}

/// Decodes one `Sample`; the value keeps its exact bits.
fn decode_sample(mut reader: Reader<'_>) -> Result<Sample, DecodeError> {
    let mut sample = Sample { t: 0, v: 0.0 };
    while let Some(key) = reader.next_key()? {
        match key.number {
            1 => {
                reader.expect(key, WireType::Fixed64)?;
                sample.v = f64::from_bits(reader.fixed64()?);
            }
            2 => {
                reader.expect(key, WireType::Varint)?;
                // int64 is the varint of the two's-complement bits (not zigzag).
                sample.t = reader.varint()? as i64;
            }
            _ => reader.skip(key)?,
        }
    }
    Ok(sample)
}

/// Decodes one `MetricMetadata`.
fn decode_metadata(mut reader: Reader<'_>, index: usize) -> Result<MetricMetadata, DecodeError> {
    let mut metadata = MetricMetadata {
        kind: MetricType::Unknown,
        family: String::new(),
        help: String::new(),
        unit: String::new(),
    };
    while let Some(key) = reader.next_key()? {
        let slot = match key.number {
            1 => {
                reader.expect(key, WireType::Varint)?;
                metadata.kind = MetricType::from_number(reader.varint()?);
                continue;
            }
            2 => &mut metadata.family,
            4 => &mut metadata.help,
            5 => &mut metadata.unit,
            _ => {
                reader.skip(key)?;
                continue;
            }
        };
        let (bytes, offset) = reader.bytes(key)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| DecodeError::MetadataNotUtf8 { index, offset })?;
        text.clone_into(slot);
    }
    Ok(metadata)
}

/// Validates the label pairs of series `series` and builds its [`Labels`], sorting them first if
/// the sender did not (Prometheus senders do; others need not).
fn build_labels(pairs: &mut [(&str, &str)], series: usize) -> Result<Labels, DecodeError> {
    if !pairs.is_sorted_by(|a, b| a.0 <= b.0) {
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    let invalid = |source| DecodeError::InvalidLabels { series, source };
    let mut previous: Option<&str> = None;
    // Checked here, before empty values are dropped, so `a=""` next to `a="x"` is still a duplicate.
    for &(name, value) in pairs.iter() {
        if name.is_empty() {
            return Err(DecodeError::EmptyLabelName { series });
        }
        if previous == Some(name) {
            return Err(invalid(LabelError::DuplicateName(name.to_owned())));
        }
        if !is_valid_label_name(name) {
            return Err(invalid(LabelError::InvalidName(name.to_owned())));
        }
        if name == METRIC_NAME && !value.is_empty() && !is_valid_metric_name(value) {
            return Err(invalid(LabelError::InvalidMetricName(value.to_owned())));
        }
        previous = Some(name);
    }
    let labels = Labels::from_sorted(pairs.iter().copied()).map_err(invalid)?;
    if labels.is_empty() {
        return Err(DecodeError::NoLabels { series });
    }
    Ok(labels)
}

/// Decodes `data` both as a snappy body and as an uncompressed protobuf request, checking that
/// whatever decodes survives a re-encode unchanged; for fuzzing. Panics only on a broken invariant.
#[cfg(any(test, feature = "testing"))]
pub fn fuzz_decode(data: &[u8]) {
    let limits = DecodeLimits {
        max_body_bytes: 1 << 20,
        max_decompressed_bytes: 4 << 20,
    };
    let decoded = [decode_write_request(data, &limits), decode_protobuf(data)];
    for request in decoded.into_iter().flatten() {
        let again = decode_protobuf(&encode::encode_request(&request));
        match again {
            Ok(again) => {
                assert_eq!(again.series, request.series, "series change on re-encode");
                assert_eq!(
                    again.metadata, request.metadata,
                    "metadata changes on re-encode"
                );
            }
            Err(e) => panic!("a decoded request re-encodes to bytes that fail: {e}"),
        }
    }
}
