//! Fuzz target: the remote-write decoder (snappy block, then protobuf `WriteRequest`) must never
//! panic, hang or over-allocate, and what decodes must survive a re-encode unchanged.
//! Crashes found go into `fuzz/regressions/remote_write_decoder/`, which `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    model::remote_write::fuzz_decode(data);
});
