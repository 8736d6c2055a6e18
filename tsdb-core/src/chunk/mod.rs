//! Chunk encodings. Only Prometheus's Gorilla XOR encoding for float samples is implemented.

mod bstream;
mod xor;

pub(crate) use xor::{ENCODING_XOR, XorChunk, XorIter};

#[cfg(any(test, feature = "testing"))]
pub(crate) use xor::fuzz_decode;
