//! The label-indexed, chunked log engine (`logstore-core`).
//!
//! Built so far: the log block codec (entries with nanosecond timestamps, lines and structured
//! metadata, zstd-compressed per block), the head chunk of a stream with its byte format and
//! reader, and the line filters that run inside block scans. Streams, WAL, index, segments and
//! the querier facade follow (`DESIGN.md`, section "logstore-core").
#![forbid(unsafe_code)]

// `chunk` and `filter` are used by tests and the `testing` feature until the stream head, the
// segment writer and the querier (later modules of this crate) use them.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod chunk;
mod compact;
mod db;
mod error;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod filter;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod head;
pub(crate) mod limits;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod merge;
mod querier;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod segment;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod stream;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod wal;

#[cfg(test)]
mod fuzz_regressions;

pub use compact::{CompactionReport, DeleteRecord, RetentionReport};
pub use db::{LogStore, Options, PushOutcome, PushStream, StreamLabels, WalSync, now_ns};
pub use error::{Error, Result, Structure};
pub use limits::{Limits, Rejection, TenantLimits};

/// Entry points for the fuzz targets and benches, compiled only with the `testing` feature. Not
/// part of the supported API.
#[cfg(feature = "testing")]
pub mod testing {
    pub use crate::chunk::{
        AppendOutcome, BLOCK_HEADER_LEN, BlockBuilder, BlockHeader, ChunkBlock, ChunkOptions,
        ChunkReader, CutReason, DecodedBlock, EntryRef, HeadChunk, MAX_BLOCK_SIZE, Metadata,
        SealedBlock, decode_block, encode_chunk, fuzz_log_block_decoder,
    };
    pub use crate::filter::{BlockScan, Direction, FilterOp, LineFilter};
    pub use crate::segment::fuzz_log_segment_reader;
    pub use crate::wal::record::fuzz_log_wal_record;
}
