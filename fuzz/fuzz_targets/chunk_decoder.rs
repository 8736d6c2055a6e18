//! Fuzz target: `tsdb_core::testing::fuzz_chunk_decoder` must never panic or hang on any input.
//! Crashes found go into `fuzz/regressions/chunk_decoder/`, which `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tsdb_core::testing::fuzz_chunk_decoder(data);
});
