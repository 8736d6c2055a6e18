//! The block index in Prometheus's index format v2: symbol table, series with their chunk metas,
//! label indices, postings lists and their offset table, closed by a table of contents.
//!
//! The byte layout is described in `docs/format/index.md`; blocks written here are read by the
//! real `promtool tsdb analyze` and `promtool tsdb dump`.

pub(crate) mod postings;
pub(crate) mod reader;
pub(crate) mod writer;

pub(crate) use reader::IndexReader;
#[cfg(any(test, feature = "testing"))]
pub(crate) use reader::fuzz_index_reader;
pub(crate) use writer::{ChunkMeta, IndexWriter};
