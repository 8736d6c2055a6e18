//! Log chunks: blocks of entries compressed with zstd, grouped in chunks. `head` writes them (the
//! open block builder and the head chunk of a stream), `block` reads them (block and chunk
//! decoders over untrusted bytes), `timestamps` writes and reads a block's timestamp section. Layouts: `docs/format/log-chunks.md`.

mod block;
mod head;
mod timestamps;

// Until the stream head, segment writer and querier (later modules) use them, most of these are
// reached only through the `testing` feature's re-exports.
#[allow(unused_imports)]
pub use block::{
    BLOCK_HEADER_LEN, BlockHeader, ChunkBlock, ChunkReader, DEFAULT_COMPRESSION_LEVEL,
    DecodedBlock, EntryRef, MAX_BLOCK_SIZE, Metadata, SealedBlock, decode_block,
};
#[allow(unused_imports)]
pub use head::{AppendOutcome, BlockBuilder, ChunkOptions, CutReason, HeadChunk, encode_chunk};

#[cfg(any(test, feature = "testing"))]
pub use head::fuzz_log_block_decoder;
