//! Fuzz target: the exposition parser (text and OpenMetrics) must never panic or hang.
//! Crashes found go into `fuzz/regressions/exposition_parser/`, which `cargo test` replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    model::exposition::fuzz_parse(data);
});
