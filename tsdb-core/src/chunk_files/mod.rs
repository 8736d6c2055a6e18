//! Chunk files: the segment files of persisted blocks (Prometheus's format, read by `promtool`)
//! and the memory-mapped files that hold the head's full chunks.

mod block;
mod head;

pub(crate) use block::{BlockChunkReader, BlockChunkWriter};
pub(crate) use head::{ChunkBytes, DEFAULT_MAX_FILE_SIZE, HeadChunkFiles};
