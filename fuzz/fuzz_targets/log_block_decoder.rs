//! Fuzz target: `logstore_core::testing::fuzz_log_block_decoder` must never panic or hang on any
//! input, read as a sealed log block, a log chunk or a raw block payload, and entries built from
//! the input must round-trip. Crashes found go into `fuzz/regressions/log_block_decoder/`, which
//! `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    logstore_core::testing::fuzz_log_block_decoder(data);
});
