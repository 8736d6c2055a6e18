//! Segment files: the immutable, time-partitioned files that flushed chunks go into, one per
//! tenant and partition, each with its own label index. `writer` writes them (`build` encodes
//! the index), `reader` opens them over any bytes (`format` is the layout both share, `index`
//! parses the index, `select` answers matchers and label questions), `merge` compacts several
//! into one while applying deletes. Layout: `docs/format/log-segments.md`.

mod build;
mod format;
#[cfg(any(test, feature = "testing"))]
mod fuzz;
mod index;
mod merge;
mod reader;
mod select;
mod writer;

// Until the flush loop, the querier and the compactor use them, these are reached only from
// tests and the `testing` feature.
#[allow(unused_imports)]
pub use format::{ChunkRef, IndexStats, Partition};
#[allow(unused_imports)]
pub use merge::{ChunkAction, DeleteRequest, MergeOutcome, RewriteCandidate, merge};
#[allow(unused_imports)]
pub use reader::SegmentReader;
#[allow(unused_imports)]
pub use writer::{ChunkInput, SegmentFile, SegmentWriter, StreamInput, write_segment};

// Re-exported by `lib.rs`'s `testing` module for the fuzz target.
#[cfg(any(test, feature = "testing"))]
#[allow(unused_imports)]
pub use fuzz::fuzz_log_segment_reader;

#[cfg(test)]
#[path = "merge_tests.rs"]
mod merge_tests;
#[cfg(test)]
#[path = "reader_tests.rs"]
mod reader_tests;
#[cfg(test)]
#[path = "regressions_tests.rs"]
mod regressions_tests;
