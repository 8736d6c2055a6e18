//! Chunk files: the segment files of persisted blocks (Prometheus's format, read by `promtool`)
//! and the memory-mapped files that hold the head's full chunks.

mod block;
mod head;

pub(crate) use block::{BlockChunkReader, BlockChunkWriter};
pub(crate) use head::{ChunkBytes, DEFAULT_MAX_FILE_SIZE, HeadChunkFiles};

use crate::error::{Error, Result};

/// Checks a chunk file's maximum size: it must exceed the file header and keep every offset
/// within the 32 bits a chunk reference has for it.
fn check_file_size(name: &'static str, size: u64, header: usize) -> Result<()> {
    if size <= header as u64 || size > u64::from(u32::MAX) {
        return Err(Error::InvalidOption {
            name,
            reason: format!("{size} is not in {}..=4294967295", header + 1),
        });
    }
    Ok(())
}
