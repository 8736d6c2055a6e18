use std::time::Duration;

use model::{ChunkScanStats, ScanStats};
use serde_json::json;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn response(data: QueryData) -> QueryResponse {
    QueryResponse {
        data,
        stats: Statistics::default(),
        warnings: Vec::new(),
    }
}

#[test]
fn streams_match_lokis_documented_example() {
    // The `query_range` example of Loki's HTTP API reference.
    let data = QueryData::Streams(vec![LogStream {
        labels: labels(&[
            ("filename", "/var/log/myproject.log"),
            ("job", "varlogs"),
            ("level", "info"),
        ]),
        entries: vec![
            StreamEntry {
                ts: 1_569_266_497_240_578_000,
                line: b"foo".to_vec(),
            },
            StreamEntry {
                ts: 1_569_266_492_548_155_000,
                line: b"bar".to_vec(),
            },
        ],
    }]);
    let json = response(data).to_json();
    assert_eq!(json["resultType"], "streams");
    assert_eq!(
        json["result"],
        json!([{
            "stream": {"filename": "/var/log/myproject.log", "job": "varlogs", "level": "info"},
            "values": [["1569266497240578000", "foo"], ["1569266492548155000", "bar"]]
        }])
    );
}

#[test]
fn matrix_and_vector_match_lokis_documented_examples() {
    let data = QueryData::Matrix(vec![RangeSeries {
        labels: labels(&[("level", "info")]),
        samples: vec![
            Sample::new(1_588_889_221_000, 137.95238095238096),
            Sample::new(1_588_889_221_500, f64::NAN),
        ],
    }]);
    let json = response(data).to_json();
    assert_eq!(json["resultType"], "matrix");
    assert_eq!(
        json["result"].to_string(),
        r#"[{"metric":{"level":"info"},"values":[[1588889221,"137.95238095238096"],[1588889221.5,"NaN"]]}]"#
    );
    let data = QueryData::Vector(vec![InstantSample {
        labels: Labels::empty(),
        t: 1_588_889_221_123,
        v: 1e21,
    }]);
    assert_eq!(
        response(data).to_json()["result"].to_string(),
        r#"[{"metric":{},"value":[1588889221.123,"1000000000000000000000"]}]"#
    );
    let data = QueryData::Scalar(Sample::new(-1_500, f64::NEG_INFINITY));
    assert_eq!(
        response(data).to_json()["result"].to_string(),
        r#"[-1.5,"-Inf"]"#
    );
}

#[test]
fn invalid_utf8_lines_are_replaced_like_go() {
    let data = QueryData::Streams(vec![LogStream {
        labels: labels(&[("a", "b")]),
        entries: vec![StreamEntry {
            ts: 1,
            line: b"ok \xff".to_vec(),
        }],
    }]);
    assert_eq!(
        response(data).to_json()["result"][0]["values"][0][1],
        "ok \u{fffd}"
    );
}

#[test]
fn lengths_count_entries_points_and_samples() {
    let streams = QueryData::Streams(vec![
        LogStream {
            labels: labels(&[("a", "1")]),
            entries: vec![
                StreamEntry {
                    ts: 1,
                    line: vec![]
                };
                3
            ],
        },
        LogStream {
            labels: labels(&[("a", "2")]),
            entries: vec![
                StreamEntry {
                    ts: 1,
                    line: vec![]
                };
                2
            ],
        },
    ]);
    assert_eq!(streams.len(), 5);
    assert_eq!(QueryData::Scalar(Sample::new(0, 1.0)).len(), 0);
    assert!(QueryData::Vector(vec![]).is_empty());
}

#[test]
fn stats_have_lokis_fields_and_sums() {
    let stats = Statistics {
        exec_time: Duration::from_millis(500),
        queue_time: Duration::ZERO,
        entries_returned: 7,
        scan: ScanStats {
            head: ChunkScanStats {
                chunks: 1,
                compressed_bytes: 0,
                lines: 10,
                bytes: 100,
                structured_metadata_bytes: 5,
            },
            store: ChunkScanStats {
                chunks: 2,
                compressed_bytes: 40,
                lines: 20,
                bytes: 300,
                structured_metadata_bytes: 0,
            },
            post_filter_lines: 30,
        },
        post_filter_lines: 12,
    };
    let json = stats.to_json();
    let summary = &json["summary"];
    assert_eq!(summary["totalBytesProcessed"], 400);
    assert_eq!(summary["totalLinesProcessed"], 30);
    assert_eq!(summary["bytesProcessedPerSecond"], 800);
    assert_eq!(summary["linesProcessedPerSecond"], 60);
    assert_eq!(summary["execTime"], 0.5);
    assert_eq!(summary["totalEntriesReturned"], 7);
    assert_eq!(summary["totalPostFilterLines"], 12);
    assert_eq!(summary["totalStructuredMetadataBytesProcessed"], 5);
    let keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 12);
    for key in ["queueTime", "subqueries", "splits", "shards"] {
        assert_eq!(summary[key], 0, "{key}");
    }
    let store = &json["querier"]["store"];
    assert_eq!(store["totalChunksRef"], 2);
    assert_eq!(store["chunk"]["decompressedBytes"], 300);
    assert_eq!(store["chunk"]["decompressedLines"], 20);
    assert_eq!(store["chunk"]["compressedBytes"], 40);
    assert_eq!(store["chunk"]["postFilterLines"], 12);
    let ingester = &json["ingester"];
    assert_eq!(ingester["totalReached"], 1);
    assert_eq!(ingester["totalChunksMatched"], 1);
    assert_eq!(ingester["store"]["chunk"]["headChunkBytes"], 100);
    assert_eq!(ingester["store"]["chunk"]["headChunkLines"], 10);
    assert_eq!(
        ingester["store"]["chunk"]["headChunkStructuredMetadataBytes"],
        5
    );
    assert_eq!(json["cache"]["chunk"]["requests"], 0);
    assert_eq!(json["cache"].as_object().unwrap().len(), 8);
    assert_eq!(json["index"]["totalChunks"], 3);
}

#[test]
fn head_only_scans_report_post_filter_lines_under_the_ingester() {
    let stats = Statistics {
        scan: ScanStats {
            head: ChunkScanStats {
                lines: 4,
                ..ChunkScanStats::default()
            },
            ..ScanStats::default()
        },
        post_filter_lines: 3,
        ..Statistics::default()
    };
    let json = stats.to_json();
    assert_eq!(json["ingester"]["store"]["chunk"]["postFilterLines"], 3);
    assert_eq!(json["ingester"]["totalLinesSent"], 3);
    assert_eq!(json["querier"]["store"]["chunk"]["postFilterLines"], 0);
    assert_eq!(
        json["summary"]["bytesProcessedPerSecond"], 0,
        "no time measured"
    );
}
