//! Entry points for the fuzz targets and benches, compiled only with the `testing` feature. Not
//! part of the supported API.

/// Encodes samples (strictly increasing timestamps) into one XOR chunk's bytes.
pub fn xor_encode(samples: &[(i64, f64)]) -> Vec<u8> {
    let mut c = crate::chunk::XorChunk::new();
    for &(t, v) in samples {
        c.append(t, v);
    }
    c.bytes().to_vec()
}

/// Decodes a chunk to its end; returns the number of samples.
pub fn xor_decode_all(bytes: &[u8]) -> usize {
    let mut it = crate::chunk::XorIter::new(bytes);
    let mut n = 0;
    while it.next().is_some() {
        n += 1;
    }
    n
}

/// Fuzz hook: the XOR chunk decoder on arbitrary bytes, with seeks.
pub fn fuzz_chunk_decoder(data: &[u8]) {
    crate::chunk::fuzz_decode(data);
}

/// Fuzz hook: a WAL segment of arbitrary bytes, replayed.
pub fn fuzz_wal_reader(data: &[u8]) {
    crate::wal::fuzz_wal_reader(data);
}

/// Fuzz hook: an index file of arbitrary bytes, read through every reader call.
pub fn fuzz_index_reader(data: &[u8]) {
    crate::index::fuzz_index_reader(data);
}

/// Fuzz hook: a tombstones file of arbitrary bytes, decoded.
pub fn fuzz_tombstones(data: &[u8]) {
    crate::block::tombstones::fuzz_tombstones(data);
}
