//! The `stats` block of a Loki query response, with Loki v3's field names
//! (`pkg/logqlmodel/stats`), filled from the stores' [`ScanStats`].
//!
//! Head figures (entries read from in-memory chunks) are reported where Loki reports its
//! ingesters' (`ingester.store.chunk.headChunk*`), store figures (flushed chunks) where Loki
//! reports its queriers' (`querier.store.chunk.decompressed*`). Post-filter lines cannot be
//! split between the two; they are reported under the querier when the store read anything,
//! else under the ingester. Caches, downloads and queue times do not exist here: zeros.

use std::time::Duration;

use model::ScanStats;
use serde_json::{Value as Json, json};

/// What a query read and how long it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Statistics {
    /// Time spent evaluating the query.
    pub exec_time: Duration,
    /// Time the query waited before it ran (set by the caller; 0 when it did not wait).
    pub queue_time: Duration,
    /// Entries, points or samples in the result (Loki's `totalEntriesReturned`).
    pub entries_returned: u64,
    /// What the selects read, head and store.
    pub scan: ScanStats,
    /// Entries that passed the whole pipeline.
    pub post_filter_lines: u64,
}

impl Statistics {
    /// Bytes of lines read (Loki's `totalBytesProcessed`).
    pub fn total_bytes(&self) -> u64 {
        self.scan.head.bytes + self.scan.store.bytes
    }

    /// Lines read (Loki's `totalLinesProcessed`).
    pub fn total_lines(&self) -> u64 {
        self.scan.total_lines()
    }

    /// Loki's `stats` object.
    pub fn to_json(&self) -> Json {
        json!({
            "summary": self.summary_json(),
            "querier": {"store": self.querier_store_json()},
            "ingester": self.ingester_json(),
            "cache": caches_json(),
            "index": {
                "totalChunks": self.scan.head.chunks + self.scan.store.chunks,
                "postFilterChunks": self.scan.head.chunks + self.scan.store.chunks,
            },
        })
    }

    fn summary_json(&self) -> Json {
        let exec = self.exec_time.as_secs_f64();
        let per_second = |total: u64| {
            if exec > 0.0 {
                (total as f64 / exec) as i64
            } else {
                0
            }
        };
        json!({
            "bytesProcessedPerSecond": per_second(self.total_bytes()),
            "linesProcessedPerSecond": per_second(self.total_lines()),
            "totalBytesProcessed": self.total_bytes(),
            "totalLinesProcessed": self.total_lines(),
            "execTime": go_float(exec),
            "queueTime": go_float(self.queue_time.as_secs_f64()),
            "subqueries": 0,
            "totalEntriesReturned": self.entries_returned,
            "splits": 0,
            "shards": 0,
            "totalPostFilterLines": self.post_filter_lines,
            "totalStructuredMetadataBytesProcessed":
                self.scan.head.structured_metadata_bytes + self.scan.store.structured_metadata_bytes,
        })
    }

    /// Post-filter lines attributed to (querier, ingester).
    fn post_filter_split(&self) -> (u64, u64) {
        if self.scan.store.lines > 0 {
            (self.post_filter_lines, 0)
        } else {
            (0, self.post_filter_lines)
        }
    }

    fn querier_store_json(&self) -> Json {
        let store = &self.scan.store;
        let chunk = ChunkFigures {
            decompressed_bytes: store.bytes,
            decompressed_lines: store.lines,
            decompressed_metadata_bytes: store.structured_metadata_bytes,
            compressed_bytes: store.compressed_bytes,
            post_filter_lines: self.post_filter_split().0,
            ..ChunkFigures::default()
        };
        store_json(store.chunks, &chunk)
    }

    fn ingester_json(&self) -> Json {
        let head = &self.scan.head;
        let post_filter_lines = self.post_filter_split().1;
        let chunk = ChunkFigures {
            head_bytes: head.bytes,
            head_lines: head.lines,
            head_metadata_bytes: head.structured_metadata_bytes,
            compressed_bytes: head.compressed_bytes,
            post_filter_lines,
            ..ChunkFigures::default()
        };
        json!({
            "totalReached": u64::from(head.lines > 0 || head.chunks > 0),
            "totalChunksMatched": head.chunks,
            "totalBatches": 0,
            "totalLinesSent": post_filter_lines,
            "store": store_json(0, &chunk),
        })
    }
}

/// A float as Go's JSON encoder writes it: whole numbers without a fraction (`0`, not `0.0`).
fn go_float(v: f64) -> Json {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Loki's `stats.Chunk`.
#[derive(Debug, Default)]
struct ChunkFigures {
    head_bytes: u64,
    head_lines: u64,
    head_metadata_bytes: u64,
    decompressed_bytes: u64,
    decompressed_lines: u64,
    decompressed_metadata_bytes: u64,
    compressed_bytes: u64,
    post_filter_lines: u64,
}

/// Loki's `stats.Store` with `chunks` chunks fetched.
fn store_json(chunks: u64, c: &ChunkFigures) -> Json {
    json!({
        "totalChunksRef": chunks,
        "totalChunksDownloaded": chunks,
        "chunksDownloadTime": 0,
        "queryReferencedStructuredMetadata": false,
        "chunk": {
            "headChunkBytes": c.head_bytes,
            "headChunkLines": c.head_lines,
            "decompressedBytes": c.decompressed_bytes,
            "decompressedLines": c.decompressed_lines,
            "compressedBytes": c.compressed_bytes,
            "totalDuplicates": 0,
            "postFilterLines": c.post_filter_lines,
            "headChunkStructuredMetadataBytes": c.head_metadata_bytes,
            "decompressedStructuredMetadataBytes": c.decompressed_metadata_bytes,
        },
        "chunkRefsFetchTime": 0,
        "congestionControlLatency": 0,
        "pipelineWrapperFilteredLines": 0,
    })
}

/// Loki's `cache` object: every cache, all zeros.
fn caches_json() -> Json {
    let zero = json!({
        "entriesFound": 0,
        "entriesRequested": 0,
        "entriesStored": 0,
        "bytesReceived": 0,
        "bytesSent": 0,
        "requests": 0,
        "downloadTime": 0,
        "queryLengthServed": 0,
    });
    let names = [
        "chunk",
        "index",
        "result",
        "statsResult",
        "volumeResult",
        "seriesResult",
        "labelResult",
        "instantMetricResult",
    ];
    Json::Object(
        names
            .into_iter()
            .map(|name| (name.to_owned(), zero.clone()))
            .collect(),
    )
}
