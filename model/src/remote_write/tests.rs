// Tests index into results they have just checked the shape of; a panic there is a failed test.
#![allow(clippy::indexing_slicing)]

use super::encode::{
    compress, encode_request, label, put_bytes, put_fixed64_field, put_key, put_varint,
    put_varint_field, sample,
};
use super::*;
use crate::STALE_NAN;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/remote-write"
    ))
}

/// The counts and first series the capture tool logged next to a body.
struct Logged {
    series: usize,
    samples: usize,
    exemplars: usize,
    metadata: usize,
    first_labels: Vec<(String, String)>,
    first_sample: Option<(f64, i64)>,
}

fn read_logged(path: &Path) -> Logged {
    let text = std::fs::read_to_string(path).unwrap();
    let counts = regex::Regex::new(
        r"WriteRequest: (\d+) series, (\d+) samples, (\d+) exemplars, (\d+) metadata",
    )
    .unwrap();
    let c = counts.captures(&text).unwrap();
    let n = |i: usize| c.get(i).unwrap().as_str().parse::<usize>().unwrap();
    let pair = regex::Regex::new(r"\('([^']*)', '([^']*)'\)").unwrap();
    let first = text.split("first=").nth(1).unwrap_or("");
    let (labels_part, samples_part) = first.split_once("], [").unwrap_or((first, ""));
    let first_labels = pair
        .captures_iter(labels_part)
        .map(|p| (p[1].to_owned(), p[2].to_owned()))
        .collect();
    let sample_re = regex::Regex::new(r"^\(([^,]+), (-?\d+)\)").unwrap();
    let first_sample = sample_re
        .captures(samples_part)
        .map(|s| (s[1].parse().unwrap(), s[2].parse().unwrap()));
    Logged {
        series: n(1),
        samples: n(2),
        exemplars: n(3),
        metadata: n(4),
        first_labels,
        first_sample,
    }
}

#[test]
fn every_capture_decodes_to_the_logged_counts() {
    let mut bodies = 0;
    for entry in std::fs::read_dir(captures_dir()).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "bin") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let request = decode_write_request(&body, &DecodeLimits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let logged = read_logged(&path.with_extension("headers.txt"));
        let name = path.display();
        assert_eq!(request.series.len(), logged.series, "{name}");
        assert_eq!(request.sample_count(), logged.samples, "{name}");
        assert_eq!(request.exemplars, logged.exemplars, "{name}");
        assert_eq!(request.metadata.len(), logged.metadata, "{name}");
        assert_eq!(request.histogram_series, 0, "{name}");
        for series in &request.series {
            assert!(series.labels.metric_name().is_some(), "{name}: {series:?}");
            let names: Vec<_> = series.labels.iter().map(|(n, _)| n).collect();
            assert!(names.is_sorted(), "{name}: {series:?}");
        }
        for m in &request.metadata {
            assert!(is_valid_metric_name(&m.family), "{name}: {m:?}");
        }
        if let Some(first) = request.series.first() {
            let expected = Labels::from_pairs(logged.first_labels).unwrap();
            assert_eq!(first.labels, expected, "{name}: first series (sorted)");
            let (v, t) = logged.first_sample.unwrap();
            assert_eq!(first.samples.first(), Some(&Sample::new(t, v)), "{name}");
        }
        fuzz_decode(&body);
        bodies += 1;
    }
    assert_eq!(bodies, 9, "captures in {}", captures_dir().display());
}

fn request_of(series: Vec<TimeSeries>) -> WriteRequest {
    WriteRequest {
        series,
        ..WriteRequest::default()
    }
}

fn decode_body(protobuf: &[u8]) -> Result<WriteRequest, DecodeError> {
    decode_write_request(&compress(protobuf), &DecodeLimits::default())
}

fn series_of(labels: &[&[u8]], samples: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in labels {
        put_bytes(&mut out, 1, l);
    }
    for s in samples {
        put_bytes(&mut out, 2, s);
    }
    out
}

fn request_with_series(series: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in series {
        put_bytes(&mut out, 1, s);
    }
    out
}

#[test]
fn hand_encoded_request_round_trips_bit_exact() {
    let odd_nan = f64::from_bits(0x7ff8_0000_dead_beef);
    let request = WriteRequest {
        series: vec![
            TimeSeries {
                labels: Labels::from_pairs([("__name__", "up"), ("job", "node")]).unwrap(),
                samples: vec![
                    Sample::new(1_700_000_000_000, 1.0),
                    Sample::new(1_700_000_015_000, STALE_NAN),
                    Sample::new(-5, odd_nan),
                    Sample::new(i64::MIN, -0.0),
                    Sample::new(i64::MAX, f64::INFINITY),
                ],
            },
            TimeSeries {
                labels: Labels::from_pairs([("a", "ü ∑ \u{0}")]).unwrap(),
                samples: vec![],
            },
        ],
        metadata: vec![MetricMetadata {
            kind: MetricType::Counter,
            family: "http_requests".into(),
            help: "Requests served.".into(),
            unit: String::new(),
        }],
        exemplars: 0,
        histogram_series: 0,
    };
    let decoded = decode_body(&encode_request(&request)).unwrap();
    assert_eq!(decoded, request);
    let stale = decoded.series[0].samples[1].v;
    assert!(crate::is_stale_nan(stale));
    assert_eq!(decoded.series[0].samples[2].v.to_bits(), odd_nan.to_bits());
}

#[test]
fn unsorted_labels_are_sorted_and_empty_values_dropped() {
    let s = series_of(
        &[
            &label("zone", "eu"),
            &label("empty", ""),
            &label("__name__", "m"),
            &label("b", "1"),
        ],
        &[sample(10, 2.5)],
    );
    let decoded = decode_body(&request_with_series(&[s])).unwrap();
    let pairs: Vec<_> = decoded.series[0].labels.iter().collect();
    assert_eq!(pairs, [("__name__", "m"), ("b", "1"), ("zone", "eu")]);
}

#[test]
fn missing_fields_take_proto3_defaults() {
    // A sample with no fields is (t=0, v=0.0); a label without a value is dropped.
    let mut only_name = Vec::new();
    put_bytes(&mut only_name, 1, b"x");
    let s = series_of(&[&label("__name__", "m"), &only_name], &[Vec::new()]);
    let decoded = decode_body(&request_with_series(&[s])).unwrap();
    assert_eq!(decoded.series[0].samples, [Sample::new(0, 0.0)]);
    assert_eq!(decoded.series[0].labels.len(), 1);
}

/// Whether an error is the one a case expects.
type ErrorCheck = fn(&DecodeError) -> bool;

#[test]
fn invalid_labels_name_the_series() {
    let good = series_of(&[&label("__name__", "ok")], &[sample(1, 1.0)]);
    let mut bad_utf8 = Vec::new();
    put_bytes(&mut bad_utf8, 1, b"a");
    put_bytes(&mut bad_utf8, 2, b"\xff\xfe");
    let cases: Vec<(Vec<u8>, ErrorCheck)> = vec![
        (
            series_of(&[&label("a", "1"), &label("a", "2")], &[]),
            |e| matches!(e, DecodeError::InvalidLabels { series: 1, source: LabelError::DuplicateName(n) } if n == "a"),
        ),
        (series_of(&[&label("a", ""), &label("a", "2")], &[]), |e| {
            matches!(
                e,
                DecodeError::InvalidLabels {
                    series: 1,
                    source: LabelError::DuplicateName(_)
                }
            )
        }),
        (series_of(&[&label("", "v")], &[]), |e| {
            matches!(e, DecodeError::EmptyLabelName { series: 1 })
        }),
        (series_of(&[&label("", "")], &[]), |e| {
            matches!(e, DecodeError::EmptyLabelName { series: 1 })
        }),
        (series_of(&[&label("1x", "v")], &[]), |e| {
            matches!(
                e,
                DecodeError::InvalidLabels {
                    series: 1,
                    source: LabelError::InvalidName(_)
                }
            )
        }),
        (series_of(&[&label("__name__", "a-b")], &[]), |e| {
            matches!(
                e,
                DecodeError::InvalidLabels {
                    series: 1,
                    source: LabelError::InvalidMetricName(_)
                }
            )
        }),
        (series_of(&[&bad_utf8], &[]), |e| {
            matches!(e, DecodeError::LabelNotUtf8 { series: 1, .. })
        }),
        (series_of(&[&label("a", "")], &[sample(1, 1.0)]), |e| {
            matches!(e, DecodeError::NoLabels { series: 1 })
        }),
    ];
    for (bad, expected) in cases {
        let err = decode_body(&request_with_series(&[good.clone(), bad])).unwrap_err();
        assert!(expected(&err), "{err:?}");
        assert!(err.to_string().starts_with("series 1:"), "{err}");
    }
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let unknowns = |out: &mut Vec<u8>| {
        put_varint_field(out, 9, u64::MAX);
        put_fixed64_field(out, 10, 7);
        put_bytes(out, 11, b"anything \xff");
        put_key(out, 12, 5);
        out.extend_from_slice(&[1, 2, 3, 4]);
        put_varint_field(out, 1 << 28, 1);
    };
    let mut l = label("__name__", "m");
    unknowns(&mut l);
    let mut s = sample(42, 1.5);
    unknowns(&mut s);
    let mut series = series_of(&[&l], &[s]);
    unknowns(&mut series);
    let mut request = Vec::new();
    unknowns(&mut request);
    put_bytes(&mut request, 1, &series);
    put_bytes(&mut request, 2, b"reserved field");
    unknowns(&mut request);
    let decoded = decode_body(&request).unwrap();
    let expected = TimeSeries {
        labels: Labels::from_pairs([("__name__", "m")]).unwrap(),
        samples: vec![Sample::new(42, 1.5)],
    };
    assert_eq!(decoded, request_of(vec![expected]));
}

#[test]
fn exemplars_counted_and_histogram_series_reported() {
    let mut with_both = series_of(&[&label("__name__", "h")], &[sample(1, 1.0)]);
    put_bytes(&mut with_both, 3, &label("trace_id", "abc"));
    put_bytes(&mut with_both, 3, b"");
    put_bytes(&mut with_both, 4, b"\x08\x01");
    put_bytes(&mut with_both, 4, b"");
    let mut histogram_only = series_of(&[&label("__name__", "h2")], &[]);
    put_bytes(&mut histogram_only, 4, b"");
    let plain = series_of(&[&label("__name__", "p")], &[sample(1, 1.0)]);
    let decoded = decode_body(&request_with_series(&[with_both, histogram_only, plain])).unwrap();
    assert_eq!(decoded.exemplars, 2);
    assert_eq!(decoded.histogram_series, 2);
    assert_eq!(decoded.series.len(), 3);
    assert_eq!(decoded.sample_count(), 2);
}

#[test]
fn malformed_protobuf_gets_typed_errors() {
    let mut wrong_type = Vec::new();
    put_varint_field(&mut wrong_type, 1, 5); // value must be fixed64
    let s = series_of(&[&label("__name__", "m")], &[wrong_type]);
    let err = decode_body(&request_with_series(&[s])).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::WrongWireType {
                message: "Sample",
                field: 1,
                expected: 1,
                found: 0,
                ..
            }
        ),
        "{err:?}"
    );

    let mut group = Vec::new();
    put_key(&mut group, 1, 3);
    let err = decode_body(&group).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::UnsupportedWireType {
                wire_type: 3,
                offset: 0,
                ..
            }
        ),
        "{err:?}"
    );

    let err = decode_body(&[0x02, 0x00]).unwrap_err();
    assert!(
        matches!(err, DecodeError::FieldNumberZero { offset: 0, .. }),
        "{err:?}"
    );

    let mut overflow = vec![0x48]; // unknown field 9, varint: skipped, but still read
    overflow.extend_from_slice(&[0xff; 9]);
    overflow.push(0x02);
    let err = decode_body(&overflow).unwrap_err();
    assert!(
        matches!(err, DecodeError::VarintOverflow { offset: 1, .. }),
        "{err:?}"
    );

    let mut too_long = Vec::new();
    put_key(&mut too_long, 1, 2);
    put_varint(&mut too_long, 100);
    too_long.extend_from_slice(b"short");
    let err = decode_body(&too_long).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Truncated {
                message: "WriteRequest",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn largest_ten_byte_varint_is_accepted() {
    let s = series_of(&[&label("__name__", "m")], &[sample(-1, 0.0)]);
    let decoded = decode_body(&request_with_series(&[s])).unwrap();
    assert_eq!(decoded.series[0].samples[0].t, -1);
}

#[test]
fn truncation_at_every_byte_never_panics() {
    let body = std::fs::read(captures_dir().join("prom-remote-write-exemplars-001.bin")).unwrap();
    let protobuf = decompress(&body, &DecodeLimits::default()).unwrap();
    for cut in 0..protobuf.len() {
        let _ = decode_protobuf(&protobuf[..cut]);
    }
    for cut in 0..body.len() {
        // A snappy block whose output falls short of its claimed length is corrupt.
        assert!(
            decode_write_request(&body[..cut], &DecodeLimits::default()).is_err(),
            "prefix of {cut} bytes"
        );
    }
}

#[test]
fn huge_claims_are_refused_before_allocating() {
    // Exactly 4 GiB is beyond what a snappy block can describe at all.
    let mut body = Vec::new();
    put_varint(&mut body, 4 << 30);
    body.extend_from_slice(&[0x08, b'a', b'b', b'c']);
    let err = decode_write_request(&body, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(err, DecodeError::SnappyCorrupt { .. }), "{err:?}");
    // The preamble varint claims 4 GiB - 1; the rest is a short literal.
    let claim = (4u64 << 30) - 1;
    let mut body = Vec::new();
    put_varint(&mut body, claim);
    body.extend_from_slice(&[0x08, b'a', b'b', b'c']);
    let err = decode_write_request(&body, &DecodeLimits::default()).unwrap_err();
    assert!(
        matches!(err, DecodeError::DecompressedTooLarge { claimed, .. } if claimed == claim),
        "{err:?}"
    );
    // Even under a limit that allows it, a 9-byte body cannot produce 4 GiB.
    let unlimited = DecodeLimits {
        max_body_bytes: usize::MAX,
        max_decompressed_bytes: usize::MAX,
    };
    let err = decode_write_request(&body, &unlimited).unwrap_err();
    assert!(
        matches!(err, DecodeError::ImpossibleLength { compressed: 9, .. }),
        "{err:?}"
    );

    let limits = DecodeLimits {
        max_body_bytes: 8,
        ..DecodeLimits::default()
    };
    let err = decode_write_request(&body, &limits).unwrap_err();
    assert_eq!(err, DecodeError::BodyTooLarge { len: 9, limit: 8 });
}

#[test]
fn highly_compressible_request_is_within_the_expansion_bound() {
    // Zeros compress at snappy's best ratio; the bound must still accept them.
    let mut request = Vec::new();
    put_bytes(&mut request, 15, &vec![0u8; 1 << 20]);
    let body = compress(&request);
    assert!(
        body.len() * 20 < request.len(),
        "ratio {}",
        request.len() / body.len()
    );
    assert_eq!(
        decode_write_request(&body, &DecodeLimits::default()).unwrap(),
        WriteRequest::default()
    );
}

#[test]
fn corrupt_snappy_is_refused() {
    let err = decode_write_request(&[], &DecodeLimits::default()).unwrap_err();
    assert!(matches!(err, DecodeError::SnappyCorrupt { .. }), "{err:?}");
    // Claims 4 bytes, then a copy that reaches before the start of the output.
    let err = decode_write_request(&[0x04, 0x01, 0x05], &DecodeLimits::default()).unwrap_err();
    assert!(matches!(err, DecodeError::SnappyCorrupt { .. }), "{err:?}");
    assert!(err.to_string().starts_with("snappy block corrupt"), "{err}");
}

#[test]
fn fuzz_regressions_replay() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/remote_write_decoder");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        let outcome = std::panic::catch_unwind(|| fuzz_decode(&bytes));
        assert!(
            outcome.is_ok(),
            "{} panics the decoder",
            entry.path().display()
        );
        inputs += 1;
    }
    assert!(inputs > 0, "no inputs in {}", dir.display());
}

/// Label names weighted to edge cases: the metric name, one-letter names, underscores.
fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("__name__".to_owned()),
        Just("_".to_owned()),
        "[a-c]",
        "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z_:]{1,8}", any::<String>()]
}

fn sample_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(STALE_NAN),
        Just(f64::NAN),
        Just(-0.0),
        Just(f64::INFINITY),
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
    ]
}

fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX),
        any::<i64>()
    ]
}

fn arb_series() -> impl Strategy<Value = (Vec<(String, String)>, Vec<Sample>)> {
    (
        prop::collection::btree_map(label_name(), label_value(), 0..6),
        prop::collection::vec((timestamp(), sample_value()), 0..5),
    )
        .prop_map(|(labels, samples)| {
            let labels = labels
                .into_iter()
                .map(|(n, v)| {
                    if n == METRIC_NAME {
                        (n, "metric_x".to_owned())
                    } else {
                        (n, v)
                    }
                })
                .collect();
            (
                labels,
                samples
                    .into_iter()
                    .map(|(t, v)| Sample::new(t, v))
                    .collect(),
            )
        })
}

proptest! {
    #[test]
    fn random_requests_round_trip(series in prop::collection::vec(arb_series(), 0..6), reverse in any::<bool>()) {
        let mut protobuf = Vec::new();
        let mut expected = Vec::new();
        for (pairs, samples) in &series {
            let mut ordered: Vec<_> = pairs.iter().collect();
            if reverse {
                ordered.reverse();
            }
            let labels: Vec<Vec<u8>> = ordered.iter().map(|(n, v)| label(n, v)).collect();
            let label_refs: Vec<&[u8]> = labels.iter().map(Vec::as_slice).collect();
            let encoded_samples: Vec<Vec<u8>> = samples.iter().map(|s| sample(s.t, s.v)).collect();
            put_bytes(&mut protobuf, 1, &series_of(&label_refs, &encoded_samples));
            expected.push((Labels::from_pairs(pairs.clone()).unwrap(), samples.clone()));
        }
        let decoded = decode_body(&protobuf);
        let all_empty = expected.iter().position(|(l, _)| l.is_empty());
        match (decoded, all_empty) {
            (Err(DecodeError::NoLabels { series }), Some(index)) => prop_assert_eq!(series, index),
            (Ok(request), None) => {
                prop_assert_eq!(request.series.len(), expected.len());
                for (got, (labels, samples)) in request.series.iter().zip(&expected) {
                    prop_assert_eq!(&got.labels, labels);
                    prop_assert_eq!(&got.samples, samples);
                }
            }
            (other, index) => prop_assert!(false, "{other:?} for empty series {index:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzz_decode(&bytes);
        let mut body = Vec::new();
        put_varint(&mut body, bytes.len() as u64);
        body.push(0xfc); // a 4-byte-length literal tag covering the rest
        body.extend_from_slice(&(bytes.len() as u32).wrapping_sub(1).to_le_bytes());
        body.extend_from_slice(&bytes);
        fuzz_decode(&body);
    }
}
