//! Fuzz target: `logstore_core::testing::fuzz_log_segment_reader` must never panic or hang on
//! any input, read as a log segment and again with its checksums rewritten (so damaged index
//! structure reaches the parsers), and streams built from the input must round-trip through a
//! segment written in memory. Crashes found go into `fuzz/regressions/log_segment_reader/`,
//! which `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    logstore_core::testing::fuzz_log_segment_reader(data);
});
